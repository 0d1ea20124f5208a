"""Siting: where new sites would reach the most people, in stages."""
