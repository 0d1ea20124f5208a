"""Analyses on the data: coverage, gaps, change between versions."""
