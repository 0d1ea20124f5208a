"""Rendering results: maps, tables and files for people to read."""
