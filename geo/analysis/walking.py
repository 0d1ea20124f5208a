"""Walking time over a DEM: Tobler's hiking function and a 16-neighbour Dijkstra cost-distance
(minutes), for the reach of internet points in the terrain model (:mod:`geo.analysis.terrain`).
"""

from __future__ import annotations

import heapq
import math

import numpy as np
from numba import njit

from geo import settings
from geo.io.dem import DEM
from geo.analysis.viewshed import observer_cell

# --- walking time -------------------------------------------------------------------------------


def tobler_kmh(slope: np.ndarray) -> np.ndarray:
    """Tobler's hiking function: walking speed (km/h) on a slope (rise/run, uphill positive)."""
    return settings.TOBLER_MAX_KMH * np.exp(-3.5 * np.abs(np.asarray(slope, float) + 0.05))


def walking_minutes(dem: DEM, x, y, *, max_minutes: float) -> np.ndarray:
    """Minutes' walk from each DEM cell to the nearest of the points (x, y), over the terrain.

    Tobler's hiking function on 16 neighbour moves (horizontal distance ÷ speed for the slope
    between cell centres, walking *towards* the point); NaN cells are impassable. Cells farther
    than ``max_minutes`` are ``inf``.
    """
    rows, cols = observer_cell(dem, x, y)
    keep = rows >= 0
    out = np.full(dem.shape, np.inf, dtype=np.float64)
    if keep.any():
        walk_kernel(
            dem.elevation_m,
            rows[keep],
            cols[keep],
            float(dem.transform.a),
            float(-dem.transform.e),
            float(max_minutes) * 60.0,
            settings.TOBLER_MAX_KMH / 3.6,
            out,
        )
    return out / 60.0


_DR = np.array([-1, -1, -1, 0, 0, 1, 1, 1, -2, -2, -1, -1, 1, 1, 2, 2], dtype=np.int64)
_DC = np.array([-1, 0, 1, -1, 1, -1, 0, 1, -1, 1, -2, 2, -2, 2, -1, 1], dtype=np.int64)


@njit(cache=True)
def walk_kernel(z, src_rows, src_cols, cell_x, cell_y, max_s, vmax_ms, out):  # pragma: no cover
    h, w = z.shape
    heap = [(0.0, np.int64(0))]
    heap.pop()
    for k in range(len(src_rows)):
        r, c = src_rows[k], src_cols[k]
        if not math.isnan(z[r, c]) and out[r, c] > 0.0:
            out[r, c] = 0.0
            heapq.heappush(heap, (0.0, r * w + c))
    while len(heap) > 0:
        t, idx = heapq.heappop(heap)
        r, c = idx // w, idx % w
        if t > out[r, c]:
            continue
        zv = z[r, c]
        for k in range(16):
            rr, cc = r + _DR[k], c + _DC[k]
            if rr < 0 or cc < 0 or rr >= h or cc >= w:
                continue
            zu = z[rr, cc]
            if math.isnan(zu):
                continue
            dist = math.sqrt((_DR[k] * cell_y) ** 2 + (_DC[k] * cell_x) ** 2)
            slope = (zv - zu) / dist  # walking from (rr, cc) towards (r, c)
            nt = t + dist / (vmax_ms * math.exp(-3.5 * abs(slope + 0.05)))
            if nt <= max_s and nt < out[rr, cc]:
                out[rr, cc] = nt
                heapq.heappush(heap, (nt, rr * w + cc))
