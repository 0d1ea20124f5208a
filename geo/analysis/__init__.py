"""Analyses on GeoDataFrames: coverage, gaps, agreement with the field, calibration."""
