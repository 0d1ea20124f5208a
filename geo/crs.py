"""Choosing the metric working CRS for a dataset.

Distances and areas are computed in the UTM zone pyproj estimates for the data (UTM 48N for
Đakrông), never in EPSG:4326 degrees or Web Mercator.
"""

from __future__ import annotations

import geopandas as gpd
from pyproj import CRS

from geo.errors import PhusongError

WGS84 = CRS.from_epsg(4326)


def utm_crs_for_bounds(lon_min: float, lat_min: float, lon_max: float, lat_max: float) -> CRS:
    """The WGS 84 / UTM CRS of the zone holding the centre of a lon/lat box (degrees)."""
    if not (-180 <= lon_min <= lon_max <= 180 and -90 <= lat_min <= lat_max <= 90):
        raise PhusongError(
            f"bounds are not longitude/latitude degrees: {lon_min, lat_min, lon_max, lat_max}"
        )
    centre_lon = (lon_min + lon_max) / 2
    zone = int((centre_lon + 180) // 6) + 1
    north = (lat_min + lat_max) / 2 >= 0
    return CRS.from_epsg((32600 if north else 32700) + zone)


def working_crs(gdf: gpd.GeoDataFrame) -> CRS:
    """The metric CRS to compute ``gdf`` in (its UTM zone).

    Raises
    ------
    PhusongError
        If ``gdf`` has no CRS: a table without a CRS is an error, not a guess.
    """
    if gdf.crs is None:
        raise PhusongError("the layer has no coordinate reference system (CRS); declare one")
    lon_min, lat_min, lon_max, lat_max = gdf.to_crs(WGS84).total_bounds
    return utm_crs_for_bounds(lon_min, lat_min, lon_max, lat_max)
