"""Model versus field in terrain mode: the path loss each reading had, and the terrain model's
agreement with the readings before and after its path-loss threshold is fitted.

For each reading, :func:`compare` finds the nearest site of its carrier serving its technology
(:func:`geo.analysis.agreement.serving_distance_m`), asks the terrain model's own viewshed
(:func:`geo.analysis.viewshed.viewsheds`: line of sight from the antenna to a handset, earth
curvature and refraction) whether that site sees the reading's DEM cell, and if so computes the
Hata path loss to that cell (:func:`geo.analysis.pathloss.loss_at`, the technology's band of
:data:`geo.settings.BAND_MHZ`). The terrain model covers the reading when the site sees it within
the technology's radius (and, with a fitted threshold, the loss is at most the threshold), as
:func:`geo.analysis.terrain.terrain_coverage` paints it. Working UTM CRS of the DEM; metres, dB.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo.analysis.agreement import serving_distance_m
from geo.analysis.calibration import LossFit
from geo.analysis.pathloss import loss_at
from geo.analysis.terrain import site_heights
from geo.analysis.viewshed import observer_cell, viewsheds
from geo.io.dem import DEM
from geo.io.measurements import has_service
from geo.settings import CoverageParams, TerrainParams

LOSS_COLUMNS: tuple[str, ...] = (
    "carrier",
    "technology",
    "readings",
    "in_sight",
    "agreement_before_pct",
    "max_path_loss_fitted_db",
    "max_path_loss_low_db",
    "max_path_loss_high_db",
    "agreement_after_pct",
)


def compare(
    readings: gpd.GeoDataFrame,
    bts_sites: gpd.GeoDataFrame,
    dem: DEM,
    *,
    params: CoverageParams = CoverageParams(),
    terrain: TerrainParams = TerrainParams(),
) -> gpd.GeoDataFrame:
    """``readings`` (carrier, technology, service; any CRS) in the DEM's CRS with
    ``in_sight`` (the nearest serving site sees the reading's cell), ``cell_distance_m`` (between
    cell centres, as the terrain model measures; inf without a site), ``path_loss_db`` (Hata,
    inf where not in sight), ``field_service`` and ``model_covered``: in sight within the
    technology's radius and within ``terrain``'s threshold for the carrier and technology.
    A reading off the DEM, or whose serving site is off it, counts as not in sight."""
    pts = readings.to_crs(dem.crs)
    sites = bts_sites.to_crs(dem.crs).reset_index(drop=True)
    xy = pts.geometry.to_numpy()
    n = len(pts)
    carrier = pts["carrier"].to_numpy(object)
    tech = pts["technology"].to_numpy(object)
    nearest = np.full(n, -1)
    for c, t in sorted(set(zip(carrier, tech))):
        k = np.flatnonzero((carrier == c) & (tech == t))
        _, nearest[k] = serving_distance_m(xy[k], sites, c, t)
    rows, cols = observer_cell(dem, pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy())
    in_sight = np.zeros(n, bool)
    distance = np.full(n, np.inf)
    loss = np.full(n, np.inf)
    used = np.unique(nearest[nearest >= 0])
    if len(used):
        own = sites.iloc[used]
        heights = site_heights(own, terrain.bts_height_m)
        # each site's viewshed just reaches its farthest reading (two cells of slack: the cell
        # centre, not the reading, is what the sweep measures)
        sx, sy = sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy()
        has = nearest >= 0
        far = np.zeros(len(sites))
        np.maximum.at(
            far,
            nearest[has],
            np.hypot(
                pts.geometry.x.to_numpy()[has] - sx[nearest[has]],
                pts.geometry.y.to_numpy()[has] - sy[nearest[has]],
            ),
        )
        reach = far[used] + 2 * dem.cell_m
        sheds = viewsheds(
            dem,
            own.geometry.x.to_numpy(),
            own.geometry.y.to_numpy(),
            observer_height_m=heights,
            target_height_m=terrain.handset_height_m,
            radius_m=reach,
            curvature_coeff=terrain.curvature_coeff,
        )
        for s, shed, h in zip(used, sheds, heights):
            k = np.flatnonzero((nearest == s) & (rows >= 0))
            if shed is None or not len(k):
                continue
            i, j = rows[k] - shed.row0, cols[k] - shed.col0
            inside = (i >= 0) & (j >= 0) & (i < shed.rows) & (j < shed.cols)
            seen = np.zeros(len(k), bool)
            seen[inside] = shed.visible()[i[inside], j[inside]]
            k = k[seen]
            in_sight[k] = True
            distance[k] = np.hypot(
                (rows[k] - shed.orow) * dem.transform.e, (cols[k] - shed.ocol) * dem.transform.a
            )
            for t in set(tech[k]):
                kt = k[tech[k] == t]
                loss[kt] = loss_at(dem, shed, rows[kt], cols[kt], settings.BAND_MHZ[t], h)
    out = pts.copy()
    out["in_sight"] = in_sight
    out["cell_distance_m"] = distance
    out["path_loss_db"] = loss
    out["field_service"] = has_service(pts["service"])
    out["model_covered"] = covered(out, params, terrain)
    return out


def covered(readings: pd.DataFrame, params: CoverageParams, terrain: TerrainParams) -> np.ndarray:
    """Whether the terrain model covers each of :func:`compare`'s readings under ``params`` and
    ``terrain``'s thresholds."""
    radius = np.array(
        [params.radius_for(t, c) for c, t in zip(readings["carrier"], readings["technology"])],
        float,
    )
    limit = np.array(
        [
            terrain.path_loss_limit(c, t)
            for c, t in zip(readings["carrier"], readings["technology"])
        ],
        float,
    )
    return (
        readings["in_sight"].to_numpy(bool)
        & (readings["cell_distance_m"].to_numpy(float) <= radius)
        & (readings["path_loss_db"].to_numpy(float) <= limit)
    )


def loss_table(
    readings: pd.DataFrame,
    fits: list[LossFit],
    params: CoverageParams,
    before: TerrainParams,
    after: TerrainParams,
) -> pd.DataFrame:
    """Per carrier × technology (``path_loss.csv``, :data:`LOSS_COLUMNS`): readings, those in
    sight of their serving site, the terrain model's agreement with the field (%) under
    ``before`` and ``after`` (the fitted thresholds), the fitted threshold and its interval (dB,
    one decimal; empty where there was not enough evidence)."""
    fit_of = {(f.carrier, f.technology): f for f in fits}
    field = readings["field_service"].to_numpy(bool)
    agree_before = covered(readings, params, before) == field
    agree_after = covered(readings, params, after) == field
    rows = []
    keys = readings[["carrier", "technology"]].to_numpy(object)
    for (c, t), group in readings.groupby(["carrier", "technology"], sort=True):
        k = (keys[:, 0] == c) & (keys[:, 1] == t)
        fit = fit_of.get((c, t))
        fitted = fit is not None and fit.fitted
        rows.append(
            {
                "carrier": c,
                "technology": t,
                "readings": int(k.sum()),
                "in_sight": int(group["in_sight"].sum()),
                "agreement_before_pct": round(100.0 * float(agree_before[k].mean()), 1),
                "max_path_loss_fitted_db": round(fit.max_path_loss_db, 1) if fitted else np.nan,
                "max_path_loss_low_db": round(fit.low_db, 1) if fitted else np.nan,
                "max_path_loss_high_db": round(fit.high_db, 1) if fitted else np.nan,
                "agreement_after_pct": round(100.0 * float(agree_after[k].mean()), 1),
            }
        )
    return pd.DataFrame(rows, columns=list(LOSS_COLUMNS))


__all__ = ["LOSS_COLUMNS", "compare", "covered", "loss_table"]
