"""One site's viewshed over a DEM: line of sight from an antenna or horn to a handset or listener,
with earth curvature and refraction, the reference-plane sweep of Wang et al. (2000) as
``gdal_viewshed`` runs it, compiled with numba; and the painting of viewsheds into coverage
layers. Part of the terrain model (:mod:`geo.analysis.terrain`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from geo import settings
from geo.cache import BoundedCache
from geo.io.dem import DEM

# --- one site's viewshed ------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewshed:
    """Cells one observer sees: a packed bool window of the DEM grid.

    ``bits`` is ``np.packbits`` of the (rows, cols) window along its rows; the window's top-left
    cell is (``row0``, ``col0``) of the DEM and the observer stands in cell (``orow``, ``ocol``).
    """

    bits: np.ndarray
    rows: int
    cols: int
    row0: int
    col0: int
    orow: int
    ocol: int
    radius_m: float

    def visible(self) -> np.ndarray:
        """The window as a bool array (rows, cols)."""
        return np.unpackbits(self.bits, axis=1, count=self.cols).astype(bool)

    @property
    def nbytes(self) -> int:
        return self.bits.nbytes


def viewshed_cache(max_bytes: float = 256e6) -> BoundedCache:
    """A cache for per-site viewsheds (:func:`viewsheds`), keyed by position, heights, radius,
    curvature and DEM id, bounded by the viewsheds' bytes; shared by every app session, as the
    results depend on nothing but the key."""
    return BoundedCache(max_entries=1_000_000, max_bytes=max_bytes)


def observer_cell(dem: DEM, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, col) of the DEM cell holding each point (−1 where outside), as gdal_viewshed picks it."""
    t = dem.transform
    cols = np.floor((np.asarray(x, float) - t.c) / t.a).astype(np.int64)
    rows = np.floor((np.asarray(y, float) - t.f) / t.e).astype(np.int64)
    outside = (rows < 0) | (cols < 0) | (rows >= dem.shape[0]) | (cols >= dem.shape[1])
    return np.where(outside, -1, rows), np.where(outside, -1, cols)


def viewsheds(
    dem: DEM,
    x,
    y,
    *,
    observer_height_m,
    target_height_m: float,
    radius_m,
    curvature_coeff: float = settings.RADIO_CURVATURE_COEFF,
    cache: BoundedCache | None = None,
) -> list[Viewshed | None]:
    """The viewshed of each observer at (x, y) (DEM CRS, metres), within ``radius_m``.

    Parameters
    ----------
    observer_height_m : height of each observer above the ground (scalar or per point), metres.
    target_height_m : height of the target above the ground, metres.
    radius_m : maximum distance (scalar or per point), metres; cells farther are not visible.
    curvature_coeff : gdal_viewshed's ``-cc``: heights drop by ``cc × d² / (2 a)`` (a = the CRS's
        semi-major axis); 1 − 1/k, so 0.25 for radio (k = 4/3), 0 for a flat earth.
    cache : per-site results to reuse and fill.

    Returns
    -------
    One :class:`Viewshed` per point; None where the point is outside the DEM or on a void.
    """
    x, y = np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(y, float))
    n = len(x)
    obs_h = np.broadcast_to(np.asarray(observer_height_m, float), (n,))
    radius = np.broadcast_to(np.asarray(radius_m, float), (n,))
    keys = [
        (
            "los",
            round(float(x[i]), 3),
            round(float(y[i]), 3),
            float(obs_h[i]),
            float(target_height_m),
            float(radius[i]),
            float(curvature_coeff),
            dem.id,
        )
        for i in range(n)
    ]
    results: list[Viewshed | None] = [None] * n
    todo = []
    for i, key in enumerate(keys):
        found, value = cache.lookup(key) if cache is not None else (False, None)
        if found:
            results[i] = value
        else:
            todo.append(i)
    if todo:
        computed = _compute_viewsheds(
            dem,
            x[todo],
            y[todo],
            obs_h[todo],
            float(target_height_m),
            radius[todo],
            float(curvature_coeff),
        )
        for i, value in zip(todo, computed):
            results[i] = value
            if cache is not None:
                cache.put(keys[i], value)
    return results


# Sites per parallel batch: bounds the memory of unpacked windows (≈ 1 MB each at 15 km / 30 m).
_BATCH = 16


def _compute_viewsheds(dem: DEM, x, y, obs_h, target_h, radius, cc) -> list[Viewshed | None]:
    z = dem.elevation_m
    rows, cols = observer_cell(dem, x, y)
    cell_x, cell_y = float(dem.transform.a), float(-dem.transform.e)
    adj = cc / (2.0 * dem.crs.ellipsoid.semi_major_metre) if cc else 0.0
    out: list[Viewshed | None] = [None] * len(x)
    ok = [
        i
        for i in range(len(x))
        if rows[i] >= 0 and radius[i] > 0 and np.isfinite(z[rows[i], cols[i]])
    ]
    for start in range(0, len(ok), _BATCH):
        batch = ok[start : start + _BATCH]
        # gdal_viewshed's window: the observer's cell ± ceil(radius / cell), clipped to the grid.
        half_r = np.array([math.ceil(radius[i] / cell_y) for i in batch])
        half_c = np.array([math.ceil(radius[i] / cell_x) for i in batch])
        r0 = np.maximum(rows[batch] - half_r, 0)
        c0 = np.maximum(cols[batch] - half_c, 0)
        r1 = np.minimum(rows[batch] + half_r + 1, z.shape[0])
        c1 = np.minimum(cols[batch] + half_c + 1, z.shape[1])
        windows = np.zeros((len(batch), int((r1 - r0).max()), int((c1 - c0).max())), np.uint8)
        _viewshed_batch(
            z,
            rows[batch],
            cols[batch],
            obs_h[batch].astype(float),
            target_h,
            radius[batch].astype(float),
            cell_x,
            cell_y,
            adj,
            r0,
            c0,
            r1 - r0,
            c1 - c0,
            windows,
        )
        for k, i in enumerate(batch):
            h, w = int(r1[k] - r0[k]), int(c1[k] - c0[k])
            out[i] = Viewshed(
                np.packbits(windows[k, :h, :w], axis=1),
                h,
                w,
                int(r0[k]),
                int(c0[k]),
                int(rows[i]),
                int(cols[i]),
                float(radius[i]),
            )
    return out


@njit(cache=True, parallel=True)
def _viewshed_batch(
    z, orows, ocols, obs_h, target_h, radius, cell_x, cell_y, adj, r0, c0, heights, widths, windows
):  # pragma: no cover - compiled
    for k in prange(len(orows)):
        _viewshed_one(
            z,
            orows[k],
            ocols[k],
            obs_h[k],
            target_h,
            radius[k],
            cell_x,
            cell_y,
            adj,
            r0[k],
            c0[k],
            heights[k],
            widths[k],
            windows[k],
        )


@njit(cache=True)
def _adjust_line(z, row, c0, width, ocol, y_off, cell_x, cell_y, adj, zobs, max_d2, line):
    """Heights of one window row relative to the observer, less the curvature drop; returns the
    [left, right) span of cells within range (window columns), as gdal_viewshed scans it."""
    ox = ocol - c0
    dy = y_off * cell_y
    left, right = 0, width
    for c in range(ox, -1, -1):
        dx = (c - ox) * cell_x
        d2 = dx * dx + dy * dy
        if d2 > max_d2:
            left = c + 1
            break
        line[c] = z[row, c0 + c] - adj * d2 - zobs
    for c in range(ox + 1, width):
        dx = (c - ox) * cell_x
        d2 = dx * dx + dy * dy
        if d2 > max_d2:
            right = c
            break
        line[c] = z[row, c0 + c] - adj * d2 - zobs
    return left, right


@njit(cache=True, inline="always")
def _set(line, c, zp, target_h, out_row):
    """Visible if the cell's height plus the target reaches the sight line ``zp``; the cell then
    holds the higher of the two (the reference plane of the cells beyond). Voids see nothing."""
    v = line[c]
    if math.isnan(v):  # a void or outside the DEM: transparent and not visible
        line[c] = zp
        return
    if v + target_h >= zp:
        out_row[c] = 1
    if zp > v:
        line[c] = zp


@njit(cache=True)
def _viewshed_one(
    z, orow, ocol, obs_h, target_h, radius, cell_x, cell_y, adj, r0, c0, height, width, out
):  # pragma: no cover - compiled
    max_d2 = radius * radius
    zobs = z[orow, ocol] + obs_h
    ox = ocol - c0
    first = np.empty(width)
    this = np.empty(width)
    last = np.empty(width)

    # The observer's own row: a straight line out on each side.
    left, right = _adjust_line(z, orow, c0, width, ocol, 0, cell_x, cell_y, adj, zobs, max_d2, this)
    row_out = out[orow - r0]
    row_out[ox] = 1
    if ox - 1 >= left:
        row_out[ox - 1] = 1
    if ox + 1 < right:
        row_out[ox + 1] = 1
    for c in range(ox - 2, left - 1, -1):
        x = ox - c
        _set(this, c, this[c + 1] * x / (x - 1), target_h, row_out)
    for c in range(ox + 2, right):
        x = c - ox
        _set(this, c, this[c - 1] * x / (x - 1), target_h, row_out)
    first[:] = this

    for step in (-1, 1):  # rows above, then rows below the observer
        last[:] = first
        row = orow + step
        while r0 <= row < r0 + height:
            y = abs(row - orow)
            left, right = _adjust_line(
                z, row, c0, width, ocol, y, cell_x, cell_y, adj, zobs, max_d2, this
            )
            if left >= right:
                break
            row_out = out[row - r0]
            zp = this[ox] if y == 1 else last[ox] * y / (y - 1)
            _set(this, ox, zp, target_h, row_out)
            for c in range(ox - 1, left - 1, -1):  # leftwards from the observer's column
                x = ox - c
                if x == y:
                    zp = this[c] if x == 1 else last[c + 1] * x / (x - 1)
                elif x > y:
                    zp = (last[c + 1] * y + this[c + 1] * (x - y)) / (x - 1)
                else:
                    zp = (last[c + 1] * x + last[c] * (y - x)) / (y - 1)
                _set(this, c, zp, target_h, row_out)
            for c in range(ox + 1, right):  # rightwards
                x = c - ox
                if x == y:
                    zp = this[c] if x == 1 else last[c - 1] * x / (x - 1)
                elif x > y:
                    zp = (last[c - 1] * y + this[c - 1] * (x - y)) / (x - 1)
                else:
                    zp = (last[c - 1] * x + last[c] * (y - x)) / (y - 1)
                _set(this, c, zp, target_h, row_out)
            last, this = this, last
            row += step


# --- painting viewsheds into layers -------------------------------------------------------------


def paint(dem: DEM, sheds: list[Viewshed | None], radius_m: np.ndarray) -> np.ndarray:
    """Per layer, how many sites see each cell within their layer radius.

    Parameters
    ----------
    sheds : one viewshed per site (None = site reaches nothing).
    radius_m : (layers, sites) reach of each site in each layer, metres (0 = not in the layer).

    Returns
    -------
    uint16 array (layers, rows, cols) of site counts.
    """
    radius_m = np.atleast_2d(np.asarray(radius_m, float))
    grids = np.zeros((radius_m.shape[0],) + dem.shape, np.uint16)
    idx = [i for i, s in enumerate(sheds) if s is not None]
    if not idx or not grids.size:
        return grids
    meta = np.array(
        [
            [
                sheds[i].rows,
                sheds[i].cols,
                sheds[i].row0,
                sheds[i].col0,
                sheds[i].orow,
                sheds[i].ocol,
            ]
            for i in idx
        ],
        dtype=np.int64,
    )
    width = max(sheds[i].bits.shape[1] for i in idx)
    height = max(sheds[i].rows for i in idx)
    bits = np.zeros((len(idx), height, width), np.uint8)
    for k, i in enumerate(idx):
        b = sheds[i].bits
        bits[k, : b.shape[0], : b.shape[1]] = b
    _paint(
        grids,
        bits,
        meta,
        np.ascontiguousarray(radius_m[:, idx]),
        float(dem.transform.a),
        float(-dem.transform.e),
    )
    return grids


@njit(cache=True, parallel=True)
def _paint(grids, bits, meta, radius, cell_x, cell_y):  # pragma: no cover - compiled
    for layer in prange(grids.shape[0]):  # one thread per layer: no two write the same grid
        grid = grids[layer]
        for k in range(meta.shape[0]):
            r_max = radius[layer, k]
            if r_max <= 0:
                continue
            r2 = r_max * r_max
            rows, cols, row0, col0, orow, ocol = meta[k]
            for i in range(rows):
                dy = (row0 + i - orow) * cell_y
                if dy * dy > r2:
                    continue
                brow = bits[k, i]
                for j in range(cols):
                    if (brow[j >> 3] >> (7 - (j & 7))) & 1:
                        dx = (col0 + j - ocol) * cell_x
                        if dx * dx + dy * dy <= r2:
                            grid[row0 + i, col0 + j] += 1
