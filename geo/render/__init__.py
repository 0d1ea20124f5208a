"""Rendering: map style, folium map, matplotlib snapshot, reports and exports."""
