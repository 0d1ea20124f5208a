"""Approximate commune polygons for Vietnam, built from the ``vietnamadminunits`` package.

No surveyed commune polygons are shipped with phusong. What the package does ship, for every one of the
~10,040 pre-July-2025 ("legacy", 63-province) commune-level units, is a point (``wardLat``/``wardLon``)
and the *tight* lat/lon envelope of the commune (``wardBounds``), plus a crosswalk to the 34-province
units of 1 July 2025 (with their official areas). This module turns those into a gap-free,
non-overlapping set of approximate polygons.

The method (bbox cleaning, one global raster, bbox-normalised scores, growth of 2025 communes short
of their official area, exact polygonisation), its guarantees and its measured accuracy are
described in one place: ``data/BOUNDARIES.md``.

All output geometries are in EPSG:4326 (lon/lat). Areas are computed in the UTM zone of the area
(:func:`geo.crs.utm_crs_for_bounds`).
"""

from __future__ import annotations

from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.crs import WGS84, utm_crs_for_bounds
from geo.errors import PhusongError
from geo.io.adminunits import BBOX_COLUMNS as _BBOX_COLUMNS
from geo.io.adminunits import M_PER_DEG_LAT as _M_PER_DEG_LAT
from geo.io.adminunits import ZONE_COLUMNS as _ZONE_COLUMNS
from geo.io.adminunits import legacy_units
from geo.io.adminunits import tables as _tables

__all__ = [
    "approximate_communes",
    "approximate_communes_national",
    "legacy_units",
    "merge_to_2025",
]

# One global grid for every run, so a district computed alone and the same district inside a
# national run fall on the same cells.
_LON0, _LAT0 = 100.0, 5.0
_REF_LAT = 16.0  # latitude at which grid columns are cell_m wide (±4 % over mainland Vietnam)

# Dropping a single-bbox cell: its normalised distance exceeds this (see _assign).
_TRIM = 0.95
# Norm of the bbox-normalised distance (2 = ellipse, larger = closer to the bbox rectangle).
_NORM_P = 2.0
# Contested cells: score = distance * bbox_km2**_GAMMA / (fill / 0.5)**_KAPPA (see _assign).
_GAMMA = 0.1
_KAPPA = 0.5
# A 2025 commune whose polygons cover less than (1 - _DEFICIT) of its official area grows into free
# cells of its members' district zones (see _grow).
_DEFICIT = 0.15


# --------------------------------------------------------------------------------------------- grid


def _grid_step(cell_m: float) -> tuple[float, float]:
    dlat = cell_m / _M_PER_DEG_LAT
    dlon = cell_m / (_M_PER_DEG_LAT * np.cos(np.radians(_REF_LAT)))
    return dlon, dlat


def _axis(lo: float, hi: float, step: float, origin: float, extra: np.ndarray) -> np.ndarray:
    """Grid lines in [lo, hi]: the global regular lines plus every bbox edge in range."""
    k = np.arange(np.floor((lo - origin) / step), np.ceil((hi - origin) / step) + 1)
    regular = origin + k * step
    lines = np.concatenate([regular, extra, [lo, hi]])
    return np.unique(lines[(lines >= lo) & (lines <= hi)])


def _context(units: pd.DataFrame, window: tuple[float, float, float, float]) -> pd.DataFrame:
    """The units themselves plus every package unit whose bbox meets the window (by code)."""
    t, _ = _tables()
    x0, y0, x1, y1 = window
    meets = (t["min_lon"] < x1) & (t["max_lon"] > x0) & (t["min_lat"] < y1) & (t["max_lat"] > y0)
    extra = ["fill", "code_2025", "district_code", "area_2025_km2", *_ZONE_COLUMNS]
    ctx = t.loc[
        meets & ~t["code"].isin(units["code"]), ["code", "lat", "lon", *_BBOX_COLUMNS, *extra]
    ]
    own = units[["code", "lat", "lon", *_BBOX_COLUMNS]].merge(
        t[["code", *extra]], on="code", how="left"
    )
    allu = pd.concat([own, ctx], ignore_index=True)
    # Sorting by code makes tie-breaks independent of which run a unit is computed in.
    return allu.sort_values("code", kind="stable").reset_index(drop=True)


def _weights(allu: pd.DataFrame) -> np.ndarray:
    """Unit weight: ``bbox_km2 ** _GAMMA / (fill / 0.5) ** _KAPPA`` (see :func:`_assign`)."""
    x0, x1 = allu["min_lon"].to_numpy(float), allu["max_lon"].to_numpy(float)
    y0, y1 = allu["min_lat"].to_numpy(float), allu["max_lat"].to_numpy(float)
    cy = allu["lat"].to_numpy(float)
    bbox_km2 = (x1 - x0) * (y1 - y0) * np.cos(np.radians(cy)) * (_M_PER_DEG_LAT / 1000) ** 2
    fill = np.nan_to_num(allu["fill"].to_numpy(float), nan=0.5)
    return np.maximum(bbox_km2, 1e-6) ** _GAMMA / (fill / 0.5) ** _KAPPA


def _edge_offset(v: np.ndarray, c: float, lo: float, hi: float) -> np.ndarray:
    """Offset of ``v`` from the point ``c`` along one axis, over the distance from ``c`` to the
    bbox edge ``lo``/``hi`` on that side: 1 on both edges, whatever the point's place in the bbox."""
    return np.where(v >= c, (v - c) / max(hi - c, 1e-12), (c - v) / max(c - lo, 1e-12))


def _assign(
    allu: pd.DataFrame, xe: np.ndarray, ye: np.ndarray, step: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """Label raster (rows = latitude bands from the south, columns = longitude bands from the west).

    Value ``i`` = row ``i`` of ``allu``; ``-1`` = no commune. The rule is pointwise (a cell's label
    depends only on the cell and the bboxes containing it), see :func:`approximate_communes`.
    Also returns the labels before the single-bbox trim (used to refill enclosed holes) and the
    mask of the cells that hold a unit's point (never taken by :func:`_grow`).
    """
    xc = (xe[:-1] + xe[1:]) / 2
    yc = (ye[:-1] + ye[1:]) / 2
    ny, nx = yc.size, xc.size
    # Scores are taken at the centre of the *regular* grid cell holding each sub-cell: a bbox edge
    # of a unit that does not compete here then changes nothing, which keeps runs over
    # overlapping windows (provinces of a national run) cell-for-cell identical.
    kx = np.floor((xc - _LON0) / step[0])
    ky = np.floor((yc - _LAT0) / step[1])
    xr = _LON0 + (kx + 0.5) * step[0]
    yr = _LAT0 + (ky + 0.5) * step[1]
    best = np.full((ny, nx), np.inf)
    raw = np.zeros((ny, nx))
    label = np.full((ny, nx), -1, dtype=np.int32)
    count = np.zeros((ny, nx), dtype=np.int32)

    x0, x1 = allu["min_lon"].to_numpy(float), allu["max_lon"].to_numpy(float)
    y0, y1 = allu["min_lat"].to_numpy(float), allu["max_lat"].to_numpy(float)
    cx, cy = allu["lon"].to_numpy(float), allu["lat"].to_numpy(float)
    # Cells whose centre lies in the bbox; bbox edges are grid lines, so this is exact.
    ix0, ix1 = np.searchsorted(xc, x0), np.searchsorted(xc, x1)
    iy0, iy1 = np.searchsorted(yc, y0), np.searchsorted(yc, y1)
    # Unit weight: a larger bbox (bbox_km2**_GAMMA) or a bbox its 2025 commune fills less
    # (fill**-_KAPPA) needs a lower normalised distance to win a contested cell.
    weight = _weights(allu)
    p = _NORM_P
    for i in range(len(allu)):
        if ix0[i] >= ix1[i] or iy0[i] >= iy1[i]:
            continue
        xs, ys = xr[ix0[i] : ix1[i]], yr[iy0[i] : iy1[i]]
        # Offsets over the point-to-edge distance on that side: the commune touches all four
        # edges, so every edge is at distance 1 whatever the point's place in the bbox.
        ux = _edge_offset(xs, cx[i], x0[i], x1[i])
        uy = _edge_offset(ys, cy[i], y0[i], y1[i])
        r = (ux[None, :] ** p + uy[:, None] ** p) ** (1 / p)
        s = r * weight[i]
        win = (slice(iy0[i], iy1[i]), slice(ix0[i], ix1[i]))
        better = s < best[win]  # strict: ties go to the lower code (allu is sorted by code)
        best[win][better] = s[better]
        raw[win][better] = r[better]
        label[win][better] = i
        count[win] += 1
    # A cell one bbox alone claims is that commune's inside the country (every commune's land is
    # in its own bbox), but at the national border or the coast it may be the bbox's empty corner:
    # drop it when far from the point.
    claim = label.copy()
    label[(count == 1) & (raw > _TRIM)] = -1
    # The regular cell holding a unit's point (within its bbox) is always its own, so tiny units
    # do not vanish.
    pkx = np.floor((cx - _LON0) / step[0])
    pky = np.floor((cy - _LAT0) / step[1])
    cols0, cols1 = np.searchsorted(kx, pkx, "left"), np.searchsorted(kx, pkx, "right")
    rows0, rows1 = np.searchsorted(ky, pky, "left"), np.searchsorted(ky, pky, "right")
    fixed = np.zeros((ny, nx), dtype=bool)
    for i in range(len(allu) - 1, -1, -1):  # reversed: the lowest code wins a shared cell
        c0, c1 = max(cols0[i], ix0[i]), min(cols1[i], ix1[i])
        r0, r1 = max(rows0[i], iy0[i]), min(rows1[i], iy1[i])
        if c0 < c1 and r0 < r1:
            label[r0:r1, c0:c1] = i
            claim[r0:r1, c0:c1] = i
            fixed[r0:r1, c0:c1] = True
    return label, claim, fixed


def _runs(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Maximal runs along the last axis where ``a != b`` with a constant (a, b) pair.

    Returns (line index, start, stop) of each run, stop exclusive.
    """
    edge = a != b
    prev_same = np.zeros_like(edge)
    prev_same[..., 1:] = edge[..., :-1] & (a[..., 1:] == a[..., :-1]) & (b[..., 1:] == b[..., :-1])
    start = edge & ~prev_same
    line, s = np.nonzero(start)
    # Run end: next start or break, found via cumulative ids on the flattened edge mask.
    flat_edge = edge.ravel()
    flat_start = start.ravel()
    run_id = np.cumsum(flat_start) - 1
    ids = run_id[flat_edge]
    lengths = np.bincount(ids, minlength=len(s))
    return line, s, s + lengths


def _faces(label: np.ndarray, xe: np.ndarray, ye: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Exact polygons (lon/lat) of the connected same-label regions, and their labels.

    The region of label -1 that reaches the raster edge is unbounded and not returned; -1 faces
    are therefore the enclosed holes.
    """
    ny, nx = label.shape
    pad = np.full((ny + 2, nx + 2), -1, dtype=label.dtype)
    pad[1:-1, 1:-1] = label
    # Horizontal boundaries: between padded rows r and r+1, at latitude ye[r], along x.
    line, s, e = _runs(pad[:-1, 1:-1], pad[1:, 1:-1])
    hx0, hx1, hy = xe[s], xe[e], ye[line]
    # Vertical boundaries: between padded columns c and c+1, at longitude xe[c], along y.
    line_v, s_v, e_v = _runs(pad[1:-1, :-1].T, pad[1:-1, 1:].T)
    vx, vy0, vy1 = xe[line_v], ye[s_v], ye[e_v]
    # Runs break wherever the label pair changes, so the segments are noded for polygonize.
    coords = np.concatenate(
        [
            np.stack([np.stack([hx0, hy], 1), np.stack([hx1, hy], 1)], 1),
            np.stack([np.stack([vx, vy0], 1), np.stack([vx, vy1], 1)], 1),
        ]
    )
    if not len(coords):
        return np.empty(0, dtype=object), np.empty(0, dtype=label.dtype)
    faces = np.asarray(shapely.get_parts(shapely.polygonize(shapely.linestrings(coords))))
    if faces.size == 0:
        return faces, np.empty(0, dtype=label.dtype)
    pts = shapely.get_coordinates(shapely.point_on_surface(faces))
    fx = np.clip(np.searchsorted(xe, pts[:, 0], side="right") - 1, 0, nx - 1)
    fy = np.clip(np.searchsorted(ye, pts[:, 1], side="right") - 1, 0, ny - 1)
    return faces, label[fy, fx]


def _fill_holes(
    label: np.ndarray,
    claim: np.ndarray,
    faces: np.ndarray,
    flab: np.ndarray,
    xe: np.ndarray,
    ye: np.ndarray,
) -> np.ndarray | None:
    """Give back trimmed cells that ended up enclosed by communes (not at a border or coast).

    Returns the new label raster, or None when nothing changed.
    """
    holes = faces[flab == -1]
    if holes.size == 0:
        return None
    xc = (xe[:-1] + xe[1:]) / 2
    yc = (ye[:-1] + ye[1:]) / 2
    out = label.copy()
    for hole, (bx0, by0, bx1, by1) in zip(holes, shapely.bounds(holes)):
        c0, c1 = np.searchsorted(xc, bx0), np.searchsorted(xc, bx1)
        r0, r1 = np.searchsorted(yc, by0), np.searchsorted(yc, by1)
        gx, gy = np.meshgrid(xc[c0:c1], yc[r0:r1])
        inside = shapely.contains_xy(hole, gx, gy)
        win = out[r0:r1, c0:c1]
        win[inside] = claim[r0:r1, c0:c1][inside]
    return None if np.array_equal(out, label) else out


def _group(faces: np.ndarray, flab: np.ndarray, keep: np.ndarray) -> dict[int, shapely.Geometry]:
    """Faces dissolved per label (a MultiPolygon where a label has several), for labels in keep."""
    out: dict[int, shapely.Geometry] = {}
    want = np.isin(flab, keep)
    order = np.argsort(flab[want], kind="stable")
    labs, faces_w = flab[want][order], faces[want][order]
    cuts = np.flatnonzero(np.diff(labs)) + 1
    for grp_l, grp_f in zip(np.split(labs, cuts), np.split(faces_w, cuts)):
        if len(grp_l):
            out[int(grp_l[0])] = grp_f[0] if len(grp_f) == 1 else shapely.multipolygons(grp_f)
    return out


def _boxes_meet(t: pd.DataFrame, cols: list[str], boxes: np.ndarray) -> np.ndarray:
    """Rows of ``t`` whose box (``cols`` = min_lat, min_lon, max_lat, max_lon) meets any of boxes.

    ``boxes`` rows are (min_lat, min_lon, max_lat, max_lon).
    """
    b = t[cols].to_numpy(float)
    out = np.zeros(len(t), dtype=bool)
    for y0, x0, y1, x1 in np.unique(boxes, axis=0):
        out |= (b[:, 1] < x1) & (b[:, 3] > x0) & (b[:, 0] < y1) & (b[:, 2] > y0)
    return out


def _growth_window(
    window: tuple[float, float, float, float],
) -> tuple[float, float, float, float]:
    """Window to rasterise so that the growth of every 2025 commune that may reach ``window`` is
    computed exactly as in any other run.

    It covers the district zones that meet ``window``, every legacy member of the 2025 communes of
    those districts (to know their areas), the zones of those members' districts, and every member
    of each 2025 commune with a bbox in those zones (to know whether it has area to spare).
    """
    t, _ = _tables()
    x0, y0, x1, y1 = window
    near = _boxes_meet(t, _ZONE_COLUMNS, np.array([[y0, x0, y1, x1]]))
    growers = t["code_2025"][near & t["code_2025"].notna()].unique()
    members = t[t["code_2025"].isin(growers)]
    zones = t.loc[t["district_code"].isin(members["district_code"]), _ZONE_COLUMNS]
    zones = zones.drop_duplicates().to_numpy(float)
    victims = t["code_2025"][_boxes_meet(t, _BBOX_COLUMNS, zones) & t["code_2025"].notna()]
    vmembers = t[t["code_2025"].isin(victims.unique())]
    both = pd.concat([members, vmembers])
    lat = np.r_[y0, y1, zones[:, [0, 2]].ravel(), both[["min_lat", "max_lat"]].to_numpy().ravel()]
    lon = np.r_[x0, x1, zones[:, [1, 3]].ravel(), both[["min_lon", "max_lon"]].to_numpy().ravel()]
    return (
        float(np.nanmin(lon)),
        float(np.nanmin(lat)),
        float(np.nanmax(lon)),
        float(np.nanmax(lat)),
    )


class _Cells(NamedTuple):
    """The cells of a raster with edges ``xe`` (lon) and ``ye`` (lat), degrees WGS 84."""

    xc: np.ndarray  # column centres, degrees lon
    yc: np.ndarray  # row centres, degrees lat
    xr: np.ndarray  # lon of the centre of the regular grid cell holding each column (scores)
    yr: np.ndarray  # lat of the same, per row
    km2: np.ndarray  # (rows, columns): cell areas, km² (spherical approximation)


def _cells(xe: np.ndarray, ye: np.ndarray, step: tuple[float, float]) -> _Cells:
    """Centres and areas (km²) of the cells between grid lines ``xe``/``ye`` (degrees lon/lat).

    Scores are taken at the centre of the regular grid cell (``step`` = its size, degrees lon, lat)
    holding each cell, as in :func:`_assign`.
    """
    xc = (xe[:-1] + xe[1:]) / 2
    yc = (ye[:-1] + ye[1:]) / 2
    xr = _LON0 + (np.floor((xc - _LON0) / step[0]) + 0.5) * step[0]
    yr = _LAT0 + (np.floor((yc - _LAT0) / step[1]) + 0.5) * step[1]
    km_lat = _M_PER_DEG_LAT / 1000.0
    km_lon = km_lat * np.cos(np.radians(yr))  # per row
    km2 = np.diff(ye)[:, None] * km_lat * np.diff(xe)[None, :] * km_lon[:, None]
    return _Cells(xc, yc, xr, yr, km2)


class _Balance(NamedTuple):
    """Each 2025 commune's cells against its official area (arrays indexed like ``codes``)."""

    codes: np.ndarray  # 2025 codes (str), sorted
    member_of: np.ndarray  # per unit of allu: index into codes, -1 without a 2025 commune
    official: np.ndarray  # official area, km²
    have: np.ndarray  # area of its members' cells, km²
    cell_commune: np.ndarray  # raster: the 2025 commune (index into codes) of each cell, or -1
    long_: np.ndarray  # covers more than its official area
    short: np.ndarray  # covers less than 1 - _DEFICIT of it


def _balance(
    allu: pd.DataFrame, label: np.ndarray, cells: _Cells, xe: np.ndarray, ye: np.ndarray
) -> _Balance:
    """Short and long 2025 communes of a label raster (areas in km²).

    Only 2025 communes whose legacy members' bboxes lie wholly in the raster (edges ``xe``/``ye``,
    degrees) are judged, so that their areas are the same in every run.
    """
    t, _ = _tables()
    c25 = allu["code_2025"].to_numpy(object)
    known = pd.notna(c25)
    codes, inv = np.unique(c25[known].astype(str), return_inverse=True)
    member_of = np.full(len(allu), -1)
    member_of[known] = inv
    tm = t[t["code_2025"].isin(codes)]
    inside = (
        (tm["min_lon"] >= xe[0])
        & (tm["max_lon"] <= xe[-1])
        & (tm["min_lat"] >= ye[0])
        & (tm["max_lat"] <= ye[-1])
    )
    complete = inside.groupby(tm["code_2025"]).all().reindex(codes, fill_value=False).to_numpy()
    official = (
        allu.loc[known].groupby("code_2025")["area_2025_km2"].first().reindex(codes).to_numpy(float)
    )
    lab_c = np.where(label >= 0, member_of[np.maximum(label, 0)], -1)
    have = np.bincount(lab_c[lab_c >= 0], weights=cells.km2[lab_c >= 0], minlength=len(codes))
    ok = complete & np.isfinite(official) & (official > 0)
    long_ = ok & (have > official)
    short = ok & (have < (1.0 - _DEFICIT) * official)
    return _Balance(codes, member_of, official, have, lab_c, long_, short)


class _Units(NamedTuple):
    """Per-unit arrays of ``allu`` (degrees WGS 84 unless said otherwise)."""

    x0: np.ndarray  # bbox
    x1: np.ndarray
    y0: np.ndarray
    y1: np.ndarray
    cx: np.ndarray  # point
    cy: np.ndarray
    weight: np.ndarray  # score weight (_weights)
    zones: np.ndarray  # district zone: min_lat, min_lon, max_lat, max_lon
    district: np.ndarray  # district code as an integer (fast comparisons)
    bbox_cells: (
        np.ndarray
    )  # bbox as cell index ranges: col0, col1, row0, row1 (edges are grid lines)


def _units(allu: pd.DataFrame, cells: _Cells) -> _Units:
    """The arrays of ``allu`` that growth needs, bboxes also as cell index ranges of ``cells``."""
    x0, x1 = allu["min_lon"].to_numpy(float), allu["max_lon"].to_numpy(float)
    y0, y1 = allu["min_lat"].to_numpy(float), allu["max_lat"].to_numpy(float)
    bbox_cells = np.column_stack(
        [
            np.searchsorted(cells.xc, x0),
            np.searchsorted(cells.xc, x1),
            np.searchsorted(cells.yc, y0),
            np.searchsorted(cells.yc, y1),
        ]
    )
    return _Units(
        x0,
        x1,
        y0,
        y1,
        allu["lon"].to_numpy(float),
        allu["lat"].to_numpy(float),
        _weights(allu),
        allu[_ZONE_COLUMNS].to_numpy(float),
        pd.factorize(allu["district_code"].fillna(""))[0],
        bbox_cells,
    )


def _zone_cells(
    zone: np.ndarray, district: int, open_: np.ndarray, lab_dist: np.ndarray, cells: _Cells
) -> tuple[np.ndarray, np.ndarray]:
    """(rows, columns) of the cells of a district zone (min_lat, min_lon, max_lat, max_lon,
    degrees) that a member of that district may take: ``open_`` (free, or held by a long commune
    and not a point cell) and not held by a unit of the same district (``lab_dist``)."""
    # Zone edges are grid lines: the zone is an exact union of cells.
    zy0, zx0, zy1, zx1 = zone
    c0, c1 = np.searchsorted(cells.xc, zx0), np.searchsorted(cells.xc, zx1)
    r0, r1 = np.searchsorted(cells.yc, zy0), np.searchsorted(cells.yc, zy1)
    if c0 >= c1 or r0 >= r1:
        return np.zeros(0, int), np.zeros(0, int)
    win = (slice(r0, r1), slice(c0, c1))
    rr, cc = np.nonzero(open_[win] & (lab_dist[win] != district))  # free cells: lab_dist -1
    return rr + r0, cc + c0


def _growers(units: _Units, bal: _Balance, keep: tuple[float, float, float, float]) -> list[int]:
    """Short 2025 communes (indices into ``bal.codes``) with a member whose district zone meets
    ``keep`` (west, south, east, north degrees); the others cannot change a cell of it."""
    kx0, ky0, kx1, ky1 = keep
    z = units.zones
    reach = (z[:, 1] < kx1) & (z[:, 3] > kx0) & (z[:, 0] < ky1) & (z[:, 2] > ky0)
    return [int(g) for g in np.flatnonzero(bal.short) if reach[bal.member_of == g].any()]


def _offers(
    g: int, units: _Units, bal: _Balance, cells: _Cells, zone_cells: dict
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The cells short 2025 commune ``g`` may take: flat cell index, score and the member
    (row of ``allu``) that scores lowest there, one entry per cell.

    ``zone_cells`` maps a district to its candidate cells (:func:`_zone_cells`).
    """
    mem = np.flatnonzero(bal.member_of == g)
    nxg = cells.xc.size
    b = units.bbox_cells
    idx_l, s_l, m_l = [], [], []
    for d in np.unique(units.district[mem]):
        dm = mem[units.district[mem] == d]  # ascending code: ties go to the lower code
        rr, cc = zone_cells[d]
        # Not in a bbox of another unit of the district (that unit could own the cell).
        ok = np.ones(rr.size, dtype=bool)
        for j in np.flatnonzero((units.district == d) & (bal.member_of != g)):
            ok &= ~((cc >= b[j, 0]) & (cc < b[j, 1]) & (rr >= b[j, 2]) & (rr < b[j, 3]))
        rr, cc = rr[ok], cc[ok]
        xs, ys = cells.xr[cc], cells.yr[rr]
        sc = np.full(rr.size, np.inf)
        sm = np.full(rr.size, -1, dtype=np.int32)
        for m in dm:
            ux = _edge_offset(xs, units.cx[m], units.x0[m], units.x1[m])
            uy = _edge_offset(ys, units.cy[m], units.y0[m], units.y1[m])
            s_m = np.hypot(ux, uy) * units.weight[m]
            better = s_m < sc
            sc[better], sm[better] = s_m[better], m
        idx_l.append(rr * nxg + cc)
        s_l.append(sc)
        m_l.append(sm)
    idx, sc, mm = np.concatenate(idx_l), np.concatenate(s_l), np.concatenate(m_l)
    if len(idx_l) > 1 and idx.size:  # members in several districts: lowest score per cell
        o = np.lexsort((sc, idx))  # stable: equal scores keep the lower code first
        idx, sc, mm = idx[o], sc[o], mm[o]
        first = np.r_[True, idx[1:] != idx[:-1]]
        idx, sc, mm = idx[first], sc[first], mm[first]
    return idx, sc, mm


def _grow(
    allu: pd.DataFrame,
    xe: np.ndarray,
    ye: np.ndarray,
    step: tuple[float, float],
    label: np.ndarray,
    claim: np.ndarray,
    fixed: np.ndarray,
    keep: tuple[float, float, float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """``label`` and ``claim`` (rasters of :func:`_assign`, not modified) after the 2025 communes
    too small for their official area have grown: step 5 of the method in data/BOUNDARIES.md.

    ``xe``/``ye`` are the grid lines (degrees lon/lat), ``step`` the regular cell size (degrees),
    ``fixed`` the point cells (never taken), ``keep`` the window the run keeps (west, south, east,
    north degrees): only communes that may reach it are grown. Stages: cell areas
    (:func:`_cells`), short and long communes (:func:`_balance`), candidate cells per district
    zone (:func:`_zone_cells`), scored per short commune (:func:`_offers`), picked
    (:func:`_pick_cells`); where two short communes want a cell, the lower score wins, ties to the
    lower code.
    """
    cells = _cells(xe, ye, step)
    bal = _balance(allu, label, cells, xe, ye)
    if not bal.short.any():
        return label.copy(), claim.copy()
    units = _units(allu, cells)
    growers = _growers(units, bal, keep)
    lab_c = bal.cell_commune
    lab_long = (lab_c >= 0) & bal.long_[np.maximum(lab_c, 0)]
    lab_dist = np.where(label >= 0, units.district[np.maximum(label, 0)], -1)
    open_ = (label == -1) | (lab_long & ~fixed)
    # Each district's candidates from the zone of its first member met (zones are per district).
    zone_cells: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for g in growers:
        for m in np.flatnonzero(bal.member_of == g):
            d = units.district[m]
            if d not in zone_cells:
                zone_cells[d] = _zone_cells(units.zones[m], d, open_, lab_dist, cells)
    # The long 2025 commune holding each cell (-1: a free cell), and what it holds beyond its
    # official area: the most it gives a short neighbour.
    holder = np.where(lab_long, lab_c, -1).ravel()
    spare_km2 = np.where(bal.long_, bal.have - bal.official, 0.0)
    cell_km2 = cells.km2.ravel()
    best = np.full(label.size, np.inf)
    won = np.full(label.size, -1, dtype=label.dtype)
    for g in growers:
        idx, sc, mm = _offers(g, units, bal, cells, zone_cells)
        if not idx.size:
            continue
        need_km2 = bal.official[g] - bal.have[g]
        want = _pick_cells(sc, cell_km2[idx], holder[idx], spare_km2, need_km2)
        take = want & (sc < best[idx])
        best[idx[take]], won[idx[take]] = sc[take], mm[take]
    won = won.reshape(label.shape)
    return np.where(won >= 0, won, label), np.where(won >= 0, won, claim)


def _lowest(score: np.ndarray, cell_km2: np.ndarray, km2: float, *, reach: bool) -> np.ndarray:
    """Mask of the lowest-scoring cells by area: with ``reach``, the fewest that cover ``km2`` (all
    cells when they never do); without, as many as fit within ``km2``. Decided by a score
    threshold, so cells of equal score are all in or all out, whatever their order."""
    if km2 <= 0 or not score.size:
        return np.zeros(score.size, dtype=bool)
    # The lowest-scoring k cells cover at least km2, so only they need sorting.
    k = int(np.ceil(km2 / max(cell_km2.min(), 1e-12))) + 1
    sub = score <= np.partition(score, k)[k] if k < score.size else np.ones(score.size, bool)
    order = np.argsort(score[sub], kind="stable")
    sc, cum = score[sub][order], np.cumsum(cell_km2[sub][order])
    if cum[-1] <= km2:  # only when every cell was sorted (k cells alone exceed km2)
        return np.ones(score.size, dtype=bool)
    if reach:
        return score <= sc[np.searchsorted(cum, km2)]
    return score < sc[np.searchsorted(cum, km2, side="right")]


def _pick_cells(
    score: np.ndarray,
    cell_km2: np.ndarray,
    holder: np.ndarray,
    spare_km2: np.ndarray,
    need_km2: float,
) -> np.ndarray:
    """Mask of the candidate cells a short 2025 commune takes to cover ``need_km2``.

    ``holder`` is the long 2025 commune holding each cell (an index into ``spare_km2``, its area
    beyond its official area), or -1 for a free cell. Cells of long communes come first, in order
    of score, each long commune giving at most its spare area; free cells come only for what they
    leave short. A long commune's surplus is evidence that some of its cells belong to a short
    neighbour, and only that much; a free cell (claimed by no bbox, or only as the far corner of a
    single bbox) carries no such evidence: it may lie abroad or at sea. Cells of long communes
    scoring more than the farthest free cell that growing into free cells alone would need are
    left out, so that the preference never fetches a distant piece. Within each group the
    lowest-scoring cells are taken until their area reaches ``need_km2`` (all when it never does).
    """
    held = holder >= 0
    ok = ~held
    for v in np.unique(holder[held]):
        cells = np.flatnonzero(holder == v)
        ok[cells] = _lowest(score[cells], cell_km2[cells], spare_km2[v], reach=False)
    # No farther than free cells alone would reach: the surplus says that some cells of a long
    # commune belong to a short neighbour, the nearest ones, not that a distant piece does.
    free = np.flatnonzero(~held)
    by_free = _lowest(score[free], cell_km2[free], need_km2, reach=True)
    if cell_km2[free].sum() >= need_km2 and by_free.any():
        ok &= score <= score[free][by_free].max()
    want = np.zeros(score.size, dtype=bool)
    for tier in (held & ok, ~held):
        cells = np.flatnonzero(tier)
        want[cells] = _lowest(score[cells], cell_km2[cells], need_km2, reach=True)
        need_km2 -= cell_km2[want & tier].sum()
    return want


def _raw_polygons(
    units: pd.DataFrame, cell_m: float
) -> tuple[list[shapely.Geometry], tuple[float, float, float, float]]:
    """Unsimplified polygons (lon/lat) for the units, in their order, and the window used."""
    t, _ = _tables()
    dlon, dlat = _grid_step(cell_m)
    # The units' bboxes and the zones of their districts (where they may grow), padded by two
    # cells so the edges of border communes are noded exactly as in a run of the neighbouring area
    # (national runs stitch province by province).
    zone = t.loc[t["district_code"].isin(t.loc[t["code"].isin(units["code"]), "district_code"])]
    x0 = min(units["min_lon"].min(), zone["zone_min_lon"].min()) - 2 * dlon
    x1 = max(units["max_lon"].max(), zone["zone_max_lon"].max()) + 2 * dlon
    y0 = min(units["min_lat"].min(), zone["zone_min_lat"].min()) - 2 * dlat
    y1 = max(units["max_lat"].max(), zone["zone_max_lat"].max()) + 2 * dlat
    window = (x0, y0, x1, y1)
    # Rasterise a larger window (every short 2025 commune that may reach this one, and its
    # neighbours), then keep the cells of the window.
    big = _growth_window(window)
    big = (min(big[0], x0), min(big[1], y0), max(big[2], x1), max(big[3], y1))
    allu = _context(units, big)
    # Grid lines: regular lines, bbox and district-zone edges, and the edges of the window kept.
    lon_cols = ["min_lon", "max_lon", "zone_min_lon", "zone_max_lon"]
    lat_cols = ["min_lat", "max_lat", "zone_min_lat", "zone_max_lat"]
    xb = _axis(big[0], big[2], dlon, _LON0, np.r_[allu[lon_cols].to_numpy().ravel(), x0, x1])
    yb = _axis(big[1], big[3], dlat, _LAT0, np.r_[allu[lat_cols].to_numpy().ravel(), y0, y1])
    label, claim, fixed = _assign(allu, xb, yb, (dlon, dlat))
    label, claim = _grow(allu, xb, yb, (dlon, dlat), label, claim, fixed, window)
    cx0, cx1 = np.searchsorted(xb, x0), np.searchsorted(xb, x1)
    cy0, cy1 = np.searchsorted(yb, y0), np.searchsorted(yb, y1)
    xe, ye = xb[cx0 : cx1 + 1], yb[cy0 : cy1 + 1]
    label = np.ascontiguousarray(label[cy0:cy1, cx0:cx1])
    claim = np.ascontiguousarray(claim[cy0:cy1, cx0:cx1])
    faces, flab = _faces(label, xe, ye)
    refilled = _fill_holes(label, claim, faces, flab, xe, ye)
    if refilled is not None:
        faces, flab = _faces(refilled, xe, ye)
    keep_idx = np.flatnonzero(allu["code"].isin(units["code"]).to_numpy())
    polys = _group(faces, flab, keep_idx)
    by_code = {allu["code"].iat[i]: polys.get(int(i), shapely.Polygon()) for i in keep_idx}
    return [by_code[c] for c in units["code"]], window


def _finish(
    units: pd.DataFrame, geoms: list[shapely.Geometry], cell_m: float, simplify: bool
) -> gpd.GeoDataFrame:
    geoms = np.asarray(geoms, dtype=object)
    if simplify and len(geoms):
        # Tolerance in degrees of latitude; shared edges stay shared (coverage simplification).
        tol = 0.5 * cell_m / _M_PER_DEG_LAT
        nonempty = ~shapely.is_empty(geoms)
        simp = geoms.copy()
        simp[nonempty] = shapely.coverage_simplify(geoms[nonempty], tol)
        ok = shapely.is_valid(simp) & ~shapely.is_empty(simp) | ~nonempty
        geoms = np.where(ok, simp, geoms)
    gdf = gpd.GeoDataFrame(
        {
            "code": units["code"].to_numpy(),
            "name": units["name"].to_numpy(),
            "code_2025": units["code_2025"].to_numpy() if "code_2025" in units else None,
            "name_2025": units["name_2025"].to_numpy() if "name_2025" in units else None,
        },
        geometry=list(geoms),
        crs=WGS84,
    )
    gdf["area_km2"] = _area_km2(gdf)
    return gdf


def _area_km2(gdf: gpd.GeoDataFrame) -> np.ndarray:
    if gdf.empty:
        return np.zeros(0)
    b = gdf.total_bounds
    if not np.all(np.isfinite(b)):
        return np.zeros(len(gdf))
    return gdf.geometry.to_crs(utm_crs_for_bounds(*b)).area.to_numpy() / 1e6


def approximate_communes(
    units: pd.DataFrame, *, cell_m: float = 100.0, simplify: bool = True
) -> gpd.GeoDataFrame:
    """Approximate, non-overlapping polygons of commune-level units from their points and bboxes.

    Parameters
    ----------
    units : pandas.DataFrame
        Rows as returned by :func:`legacy_units` (needs ``code``, ``name``, ``lat``, ``lon``,
        ``min_lat``, ``min_lon``, ``max_lat``, ``max_lon``; ``code_2025``/``name_2025`` optional).
        Degrees WGS 84. Not modified.
    cell_m : float, default 100
        Raster cell size in metres (grid columns are ``cell_m`` wide at 16° N, so 0.92-0.99 ×
        ``cell_m`` over mainland Vietnam). Smaller is finer and slower.
    simplify : bool, default True
        Simplify the staircase cell edges (coverage simplification, tolerance 0.5 ``cell_m``).

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, one row per unit in the input order: ``code``, ``name``, ``code_2025``,
        ``name_2025``, ``area_km2`` (km², computed in the area's UTM zone) and the polygon.
        Polygons are valid, do not overlap, and lie inside their unit's bbox, or, for units of a
        2025 commune grown to meet its official area, inside the union of the bbox and the
        district zone (``zone_*`` columns of :func:`legacy_units`). This is exact with
        ``simplify=False``; the simplified edge may cut across the inner corner of that L-shaped
        region by less than the tolerance. A polygon always holds the unit's point.

    Notes
    -----
    The method (a global lon/lat raster refined by every bbox and district-zone edge; every
    package unit whose bbox meets the area competes for cells by a bbox-normalised score; 2025
    communes short of their official area grow; exact polygonisation) is described, with its
    guarantees and its accuracy on Đa Krông (``scripts/measure_boundaries.py``), in
    ``data/BOUNDARIES.md``. Areas (``area_km2``) are computed in the UTM zone of the area
    (:func:`geo.crs.utm_crs_for_bounds`).
    """
    missing = {"code", "name", "lat", "lon", *_BBOX_COLUMNS} - set(units.columns)
    if missing:
        raise PhusongError(
            f"units lack column(s) {sorted(missing)}; build them with legacy_units()"
        )
    if cell_m <= 0:
        raise PhusongError(f"cell_m must be positive; got {cell_m!r}")
    units = units.reset_index(drop=True).astype({"code": str})
    if units["code"].duplicated().any():
        raise PhusongError("units contain duplicate codes")
    if units.empty:
        return _finish(units, [], cell_m, simplify)
    geoms, _ = _raw_polygons(units, cell_m)
    return _finish(units, geoms, cell_m, simplify)


def approximate_communes_national(
    *, cell_m: float = 100.0, simplify: bool = True
) -> gpd.GeoDataFrame:
    """:func:`approximate_communes` for every legacy unit of Vietnam, computed province by province.

    Each province is rasterised on the shared global grid with its neighbours competing, so the
    province results join edge to edge; the national coverage is simplified once at the end so
    that shared edges stay shared across provinces. Same columns as :func:`approximate_communes`,
    EPSG:4326, ordered by code. Takes about four minutes at ``cell_m=100`` (2 CPUs).
    """
    allu = legacy_units()
    geoms: list[shapely.Geometry] = []
    parts = []
    for _, prov in allu.groupby("province_code", sort=True):
        g, _ = _raw_polygons(prov.reset_index(drop=True), cell_m)
        geoms.extend(g)
        parts.append(prov)
    units = pd.concat(parts, ignore_index=True)
    out = _finish(units, geoms, cell_m, simplify)
    return out.sort_values("code", kind="stable").reset_index(drop=True)


# ---------------------------------------------------------------------------------------- 2025 merge


def merge_to_2025(communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Dissolve legacy polygons into the communes of 1 July 2025.

    Parameters
    ----------
    communes : geopandas.GeoDataFrame
        Output of :func:`approximate_communes` (``code``, ``code_2025``, ``name_2025``), any CRS.
        Not modified.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per 2025 commune touched, ordered by code, in the input CRS: ``code`` (2025 GSO
        code), ``name``, ``legacy_codes`` (";"-joined legacy codes that contributed, ascending),
        ``area_km2`` (km², in the area's UTM zone) and the polygon.

    Notes
    -----
    Units wholly merged into one 2025 commune are dissolved as they are. A legacy unit that the
    crosswalk divides among several 2025 communes is cut by the Voronoi cells (computed in the UTM
    zone of the area) of those communes' points, each piece going to its commune, and it appears in
    the ``legacy_codes`` of each commune that receives a non-empty piece. Units without a 2025 code
    are left out.
    """
    _, splits = _tables()
    crs = communes.crs
    src = communes.to_crs(WGS84) if crs is not None and not crs.equals(WGS84) else communes
    pieces: list[tuple[str, str, str, shapely.Geometry]] = []
    utm = None
    for code, c25, n25, geom in zip(src["code"], src["code_2025"], src["name_2025"], src.geometry):
        parts = splits.get(code)
        if parts and len(parts) > 1 and geom is not None and not geom.is_empty:
            if utm is None:
                utm = utm_crs_for_bounds(*src.total_bounds)
            for p, piece in zip(parts, _voronoi_split(geom, parts, utm)):
                if not piece.is_empty:
                    pieces.append((p["code"], p["name"], code, piece))
        elif c25 is not None and not pd.isna(c25):
            pieces.append((c25, n25, code, geom))
    if not pieces:
        out = gpd.GeoDataFrame(
            {"code": [], "name": [], "legacy_codes": [], "area_km2": []}, geometry=[], crs=WGS84
        )
        return out.to_crs(crs) if crs is not None else out
    df = pd.DataFrame(pieces, columns=["code", "name", "legacy", "geometry"])
    rows = []
    for code, grp in df.groupby("code", sort=True):
        geom = shapely.union_all(grp["geometry"].to_numpy())
        legacy = ";".join(sorted(set(grp["legacy"])))
        rows.append((code, grp["name"].iat[0], legacy, geom))
    out = gpd.GeoDataFrame(
        pd.DataFrame(rows, columns=["code", "name", "legacy_codes", "geometry"]),
        geometry="geometry",
        crs=WGS84,
    )
    out["area_km2"] = _area_km2(out)
    out = out[["code", "name", "legacy_codes", "area_km2", "geometry"]]
    return out.to_crs(crs) if crs is not None and not crs.equals(WGS84) else out


def _voronoi_split(geom: shapely.Geometry, parts: list[dict], utm) -> list[shapely.Geometry]:
    """Cut ``geom`` (lon/lat) by the Voronoi cells, built in UTM, of the parts' points."""
    from pyproj import Transformer

    fwd = Transformer.from_crs(WGS84, utm, always_xy=True)
    inv = Transformer.from_crs(utm, WGS84, always_xy=True)
    xy = np.array([fwd.transform(p["lon"], p["lat"]) for p in parts])
    if len(np.unique(xy, axis=0)) < len(xy):
        # Coincident points: no geometry to split by; the first (default order) takes it all.
        return [geom] + [shapely.Polygon()] * (len(parts) - 1)
    gx0, gy0, gx1, gy1 = shapely.bounds(
        shapely.transform(geom, lambda c: np.column_stack(fwd.transform(c[:, 0], c[:, 1])))
    )
    span = max(gx1 - gx0, gy1 - gy0, 1.0)
    env = shapely.box(
        min(gx0, xy[:, 0].min()) - 10 * span,
        min(gy0, xy[:, 1].min()) - 10 * span,
        max(gx1, xy[:, 0].max()) + 10 * span,
        max(gy1, xy[:, 1].max()) + 10 * span,
    )
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=env))
    out = []
    for x, y in xy:
        cell = cells[shapely.contains_xy(cells, x, y)]
        cell = shapely.segmentize(cell[0], span / 50) if len(cell) else shapely.Polygon()
        cell_ll = shapely.transform(
            cell, lambda c: np.column_stack(inv.transform(c[:, 0], c[:, 1]))
        )
        out.append(shapely.make_valid(shapely.intersection(geom, cell_ll)))
    return out
