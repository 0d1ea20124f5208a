"""GeoDataFrames to rows and back, exactly: column order, dtypes, index labels, CRS, geometry.

Each row's values are one JSON list (Python's JSON keeps every float bit for bit, NaN included);
the geometry goes to its own column as EWKB. A frame read back equals the frame saved
(``pandas.testing.assert_frame_equal`` with ``check_exact=True``).
"""

from __future__ import annotations

import hashlib
import json

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    raise TypeError(f"cannot store a value of type {type(value).__name__}")


def dumps(value) -> str:
    """JSON text of ``value`` (numpy scalars as Python numbers, NaN kept), keys sorted."""
    return json.dumps(value, ensure_ascii=False, default=_plain, sort_keys=True)


def encode(frame: gpd.GeoDataFrame) -> tuple[str, str, list[dict]]:
    """``(columns JSON, CRS WKT, rows)`` of ``frame``; rows hold ``ord``, ``row_index``, ``props``
    (JSON list of the values in column order) and ``geom`` (shapely, or None)."""
    geometry = frame.geometry.name
    names = [c for c in frame.columns if c != geometry]
    columns = [[c, "geometry" if c == geometry else str(frame[c].dtype)] for c in frame.columns]
    if not pd.api.types.is_integer_dtype(frame.index.dtype):
        raise TypeError("only frames with an integer index can be stored")
    values = frame[names].astype(object).to_numpy() if names else np.empty((len(frame), 0))
    rows = [
        {"ord": i, "row_index": int(label), "props": dumps(list(row)), "geom": geom}
        for i, (label, row, geom) in enumerate(zip(frame.index, values, frame.geometry.to_numpy()))
    ]
    crs = frame.crs.to_wkt() if frame.crs is not None else ""
    return json.dumps(columns, ensure_ascii=False), crs, rows


def decode(
    columns_json: str, crs: str, rows: list, *, index_name: str | None = None
) -> gpd.GeoDataFrame:
    """The frame :func:`encode` was given, from its columns, CRS and rows (``row_index``,
    ``props``, ``geom`` each, in ``ord`` order)."""
    columns = json.loads(columns_json)
    geometry = next(name for name, dtype in columns if dtype == "geometry")
    names = [(name, dtype) for name, dtype in columns if dtype != "geometry"]
    values = [json.loads(r.props) for r in rows]
    data = {}
    for j, (name, dtype) in enumerate(names):
        column = [v[j] for v in values]
        if dtype == "object":
            data[name] = pd.Series(column, dtype=object)
        elif dtype.startswith("float"):
            data[name] = pd.Series(
                np.array([np.nan if x is None else x for x in column], dtype=dtype)
            )
        else:
            data[name] = pd.Series(column, dtype=dtype)
    index = pd.Index([r.row_index for r in rows], dtype="int64", name=index_name)
    frame = pd.DataFrame({n: s.to_numpy() for n, s in data.items()}, index=index)
    for name, dtype in names:  # an empty frame's columns still carry their dtypes
        frame[name] = frame[name].astype(dtype)
    geoms = gpd.GeoSeries(
        [r.geom for r in rows], index=index, crs=CRS.from_wkt(crs) if crs else None
    )
    frame[geometry] = geoms
    return gpd.GeoDataFrame(frame[[name for name, _ in columns]], geometry=geometry, crs=geoms.crs)


def digest(parts: list) -> str:
    """SHA-256 over ``parts`` (bytes, str, None), each length-prefixed: the content check of a
    version or plan."""
    h = hashlib.sha256()
    for part in parts:
        data = (
            part
            if isinstance(part, bytes)
            else b"\0none"
            if part is None
            else str(part).encode("utf-8")
        )
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


def geom_bytes(geom) -> bytes | None:
    """The WKB of ``geom`` (None for none), for :func:`digest`."""
    import shapely

    return None if geom is None else shapely.to_wkb(geom)
