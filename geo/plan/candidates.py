"""Candidate sites: unit centres, settlements, extra points, DEM hilltops and a regular grid
(working CRS, metres).
"""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import numpy as np
import shapely
from shapely import STRtree

from geo.plan.request import HILLTOP_WINDOW_M, HILLTOPS_N


def candidate_points(
    units: gpd.GeoDataFrame,
    settlements: gpd.GeoDataFrame | None,
    extra: gpd.GeoDataFrame | None,
    exclude: gpd.GeoDataFrame | None,
    crs,
    spacing_m: float,
    snap: Callable[[np.ndarray], np.ndarray] | None = None,
):
    """Candidate points (working CRS), the unit each stands in, and (unit, candidate) pairs.

    Order: unit centres, settlements, extra points, grid (ties in the solver go to the first).
    ``snap`` moves points (e.g. to their DEM cell's centre) before coincident ones are merged.
    """
    zones = units.geometry.to_numpy()
    parts = [shapely.point_on_surface(zones)]
    if settlements is not None:
        parts.append(settlements.geometry.to_numpy())
    if extra is not None and len(extra):
        parts.append(extra.to_crs(crs).geometry.to_numpy())
    xmin, ymin, xmax, ymax = shapely.total_bounds(zones)
    xs = np.arange(xmin + spacing_m / 2, xmax, spacing_m)
    ys = np.arange(ymin + spacing_m / 2, ymax, spacing_m)
    gx, gy = np.meshgrid(xs, ys)
    parts.append(shapely.points(gx.ravel(), gy.ravel()))
    pts = np.concatenate(parts)
    pts = pts[~(shapely.is_missing(pts) | shapely.is_empty(pts))]
    if snap is not None:
        pts = snap(pts)
    # merge coincident points, keeping the first
    xy = shapely.get_coordinates(pts)
    _, first = np.unique(xy, axis=0, return_index=True)
    pts = pts[np.sort(first)]
    if exclude is not None and len(exclude):
        ex = exclude.to_crs(crs).geometry.to_numpy()
        hit, _ = STRtree(ex).query(pts, predicate="intersects")
        pts = np.delete(pts, np.unique(hit))
    z, c = STRtree(pts).query(zones, predicate="intersects")
    inside = np.unique(c)
    remap = np.full(len(pts), -1)
    remap[inside] = np.arange(len(inside))
    pts = pts[inside]
    c = remap[c]
    order = np.lexsort((z, c))  # by candidate, then unit: the first unit is the lowest index
    _, first = np.unique(c[order], return_index=True)
    zone_of = z[order][first]
    return pts, zone_of, (z, c)


def hilltops(
    dem, *, n: int = HILLTOPS_N, window_m: float = HILLTOP_WINDOW_M, zones: np.ndarray | None = None
) -> gpd.GeoDataFrame:
    """Up to ``n`` hilltops of ``dem``: cells that are the highest of the ``window_m`` square around
    them (a ``maximum_filter``), ranked by prominence, approximated as the height above
    the lowest cell of that square (ties: higher first, then row-major). Only cells inside
    ``zones`` (polygons, DEM CRS) when given; flat ground (prominence 0) is never a hilltop.
    Returns points at cell centres (DEM CRS) with ``elevation_m`` and ``prominence_m``."""
    z = dem.elevation_m.astype(float)
    size = max(3, int(round(window_m / dem.cell_m)) | 1)
    filled = np.where(np.isfinite(z), z, -np.inf)
    peak = (square_filter(filled, size, np.maximum) == filled) & np.isfinite(z)
    low = square_filter(np.where(np.isfinite(z), z, np.inf), size, np.minimum)
    prominence = np.where(peak, z - low, 0.0)
    if zones is not None and len(zones):
        from rasterio import features

        inside = features.geometry_mask(zones, dem.shape, dem.transform, invert=True)
        prominence = np.where(inside, prominence, 0.0)
    rows, cols = np.nonzero(prominence > 0)
    order = np.lexsort((cols, rows, -z[rows, cols], -prominence[rows, cols]))[:n]
    rows, cols = rows[order], cols[order]
    t = dem.transform
    x, y = t.c + (cols + 0.5) * t.a, t.f + (rows + 0.5) * t.e
    return gpd.GeoDataFrame(
        {"elevation_m": z[rows, cols], "prominence_m": prominence[rows, cols]},
        geometry=shapely.points(x, y),
        crs=dem.crs,
    )


def square_filter(a: np.ndarray, size: int, reduce) -> np.ndarray:
    """Max or min (``np.maximum`` / ``np.minimum`` as ``reduce``) over the ``size`` × ``size``
    square around each cell, edges repeated (scipy.ndimage.maximum_filter / minimum_filter, mode
    "nearest"; scipy is not a dependency): separable, and along each axis the window of a power
    of two p ≤ size is built by doubling, then two such windows overlap to cover ``size``."""
    half = size // 2
    p = 1 << (size.bit_length() - 1)
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (half, half)
        padded = np.pad(a, pad, mode="edge")
        m, width = padded, 1
        while width < p:  # m[i] = reduce over [i, i + 2 width)
            n = m.shape[axis] - width
            m = reduce(
                np.take(m, np.arange(n), axis=axis),
                np.take(m, np.arange(width, width + n), axis=axis),
            )
            width *= 2
        n = a.shape[axis]
        a = reduce(
            np.take(m, np.arange(n), axis=axis),
            np.take(m, np.arange(size - p, size - p + n), axis=axis),
        )
    return a
