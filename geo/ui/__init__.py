"""Helpers of the app only (state in links, long work off the script thread)."""
