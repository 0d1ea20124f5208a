"""Path loss, an estimate: Okumura–Hata / COST-231 Hata (open area) and the signal classes
strong / variable / weak of each covered cell, for the terrain model (:mod:`geo.analysis.terrain`).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np

from geo import settings
from geo.io.dem import DEM

from geo.analysis.viewshed import Viewshed

# Signal classes of the path-loss estimate (raster values).
NO_SIGNAL, WEAK, VARIABLE, STRONG = 0, 1, 2, 3
SIGNAL_CLASSES = {"signal_strong": STRONG, "signal_variable": VARIABLE, "signal_weak": WEAK}


# --- path loss (an estimate) --------------------------------------------------------------------


def hata_loss_db(
    distance_km, frequency_mhz, base_height_m, mobile_height_m=settings.HANDSET_HEIGHT_M
):
    """Okumura–Hata (< 1500 MHz) or COST-231 Hata (≥ 1500 MHz) path loss in dB, open-area
    correction. Inputs are clipped to the models' ranges' edges (1–20 km is their range; closer
    distances are clipped to 0.1 km): the result is an estimate."""
    d = np.clip(np.asarray(distance_km, float), 0.1, 100.0)
    f = float(frequency_mhz)
    hb = np.clip(np.asarray(base_height_m, float), 10.0, 200.0)
    lf = math.log10(f)
    a_hm = (1.1 * lf - 0.7) * mobile_height_m - (1.56 * lf - 0.8)
    head = 69.55 + 26.16 * lf if f < 1500 else 46.3 + 33.9 * lf
    urban = head - 13.82 * np.log10(hb) - a_hm + (44.9 - 6.55 * np.log10(hb)) * np.log10(d)
    return urban - 4.78 * lf * lf + 18.33 * lf - 40.94


def signal_classes(loss_db: np.ndarray) -> np.ndarray:
    """Class of each cell by its lowest path loss: STRONG, VARIABLE, WEAK (NaN/inf → NO_SIGNAL)."""
    loss = np.asarray(loss_db, float)
    limit, margin = settings.MAX_PATH_LOSS_DB, settings.VARIABLE_MARGIN_DB
    out = np.full(loss.shape, NO_SIGNAL, np.uint8)
    finite = np.isfinite(loss)
    out[finite] = WEAK
    out[finite & (loss <= limit)] = VARIABLE
    out[finite & (loss <= limit - margin)] = STRONG
    return out


def loss_at(
    dem: DEM,
    shed: Viewshed,
    rows: np.ndarray,
    cols: np.ndarray,
    frequency_mhz: float,
    antenna_height_m: float,
) -> np.ndarray:
    """Hata path loss (dB) from ``shed``'s site to the DEM cells (``rows``, ``cols``), whether the
    site sees them or not: distance between cell centres, base height = the antenna's altitude
    (its cell's ground plus ``antenna_height_m``) minus the cell's ground (clipped by Hata)."""
    z = dem.elevation_m
    rows, cols = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
    d_km = (
        np.hypot((rows - shed.orow) * dem.transform.e, (cols - shed.ocol) * dem.transform.a) / 1e3
    )
    hb = z[shed.orow, shed.ocol] + antenna_height_m - z[rows, cols]
    return hata_loss_db(d_km, frequency_mhz, hb)


def loss_limited(
    dem: DEM,
    shed: Viewshed | None,
    *,
    frequency_mhz: float,
    antenna_height_m: float,
    limit_db: float,
    radius_m: float,
) -> Viewshed | None:
    """``shed`` cut to the cells within ``radius_m`` (metres, between cell centres) whose Hata
    path loss is at most ``limit_db`` (inf: no limit); None where the site reaches nothing."""
    if shed is None or not radius_m > 0:
        return None
    vis = shed.visible()
    ii, jj = np.nonzero(vis)
    rr, cc = ii + shed.row0, jj + shed.col0
    keep = (
        np.hypot((rr - shed.orow) * dem.transform.e, (cc - shed.ocol) * dem.transform.a) <= radius_m
    )
    if np.isfinite(limit_db):
        keep &= loss_at(dem, shed, rr, cc, frequency_mhz, antenna_height_m) <= limit_db
    out = np.zeros_like(vis)
    out[ii[keep], jj[keep]] = True
    return replace(shed, bits=np.packbits(out, axis=1))


def best_loss(
    dem: DEM,
    sheds: list[Viewshed | None],
    *,
    frequency_mhz: np.ndarray,
    antenna_height_m: np.ndarray,
) -> np.ndarray:
    """Lowest Hata path loss (dB) over the sites seeing each cell (inf where none sees it).

    The base height is the antenna's height above the receiving cell's ground (the antenna's
    altitude minus the cell's), clipped to Hata's 10–200 m.
    """
    loss = np.full(dem.shape, np.inf, dtype=np.float32)
    for shed, f, h in zip(sheds, frequency_mhz, antenna_height_m):
        if shed is None or not np.isfinite(f):
            continue
        ii, jj = np.nonzero(shed.visible())
        rr, cc = ii + shed.row0, jj + shed.col0
        value = loss_at(dem, shed, rr, cc, f, h).astype(np.float32)
        np.minimum.at(loss, (rr, cc), value)
    return loss
