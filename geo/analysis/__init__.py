"""Analyses on GeoDataFrames: coverage, people, gaps, terrain, search, what-if."""
