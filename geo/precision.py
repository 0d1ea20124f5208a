"""Rounding exported coordinates without breaking polygons.

Reprojecting valid UTM polygons to EPSG:4326, and rounding their coordinates to a few decimals,
can move two nearly touching rings onto each other: the polygon self-intersects and GIS tools
(shapely, GDAL, QGIS) reject it. :func:`round_valid` rounds every geometry and repairs only the
polygons that came out invalid; the valid ones keep the plain rounding, so their bytes do not
change.
"""

from __future__ import annotations

import numpy as np
import shapely

_POLYGONAL = (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON)


def round_valid(geoms: np.ndarray, decimals: int | None) -> np.ndarray:
    """``geoms`` (any CRS; degrees for EPSG:4326) with coordinates rounded to ``decimals``
    (``None``: kept as they are), every polygon valid and of its input type.

    A (multi)polygon that rounding, or an earlier reprojection, made invalid is repaired from
    its unrounded form: GEOS' ``make_valid`` (structure method: rings kept as areas, collapsed
    parts dropped), then snapped to the grid of ``10 ** -decimals`` with the precision reducer,
    whose output is valid. A MultiPolygon stays a MultiPolygon when one part is left. Returns a
    new array.
    """
    geoms = np.asarray(geoms, dtype=object)
    out = (
        geoms.copy()
        if decimals is None
        else shapely.transform(geoms, lambda xy: np.round(xy, decimals))
    )
    types = shapely.get_type_id(out)
    broken = np.isin(types, _POLYGONAL) & ~shapely.is_valid(out)
    if broken.any():
        fixed = shapely.make_valid(geoms[broken], method="structure", keep_collapsed=False)
        if decimals is not None:
            fixed = shapely.set_precision(fixed, 10.0**-decimals)
        multi = types[broken] == shapely.GeometryType.MULTIPOLYGON
        fixed[multi] = [_as_multi(g) for g in fixed[multi]]
        out[broken] = fixed
    return out


def _as_multi(geom):
    if shapely.get_type_id(geom) == shapely.GeometryType.POLYGON:
        return shapely.MultiPolygon([geom])
    return geom


def private_prepared(geoms: np.ndarray) -> np.ndarray:
    """Copies of ``geoms`` (same coordinates, bit for bit: a WKB round trip), prepared, for the
    calling thread alone.

    GEOS' prepared geometries build their indexes lazily on first use and are not thread-safe;
    ``shapely.prepare`` on geometries that several sessions share (covered areas, commune zones
    kept in caches) let two threads build one geometry's index at once and crashed the server
    (a segfault under load, bench/soak.py, 2026-11-29). Predicates on the copies answer exactly
    as on the originals.
    """
    copies = shapely.from_wkb(shapely.to_wkb(np.asarray(geoms, dtype=object)))
    shapely.prepare(copies)
    return copies
