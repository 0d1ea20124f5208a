"""The naive geopandas baseline: per layer, buffer -> union -> overlay -> area per commune.

This is what one would write without thinking about scale:

    coverage = sites.buffer(radius).union_all()
    pieces = gpd.overlay(communes, GeoDataFrame(geometry=[coverage]), how="intersection")
    covered_km2 = pieces.area.groupby(pieces["code"]).sum()

It computes the same covered shares as :func:`geo.analysis.gaps.analyse` (same circle model: a BTS site's
disc has the largest radius among the technologies that count, ``CIRCLE_QUAD_SEGS`` segments per
quarter circle, same working UTM CRS), for the ten "covered" layers only. It does NOT compute what
``analyse`` additionally produces (the six uncovered-area layers and their gap polygons, at-risk,
no-service, people counts, gap score), so the comparison favours the baseline.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo.crs import working_crs
from geo.io.loading import Dataset
from geo.settings import CoverageParams

# analyse() column -> (layer, technology or None, carrier or None)
LAYERS: dict[str, tuple[str, str | None, str | None]] = {
    "mobile_covered_pct": ("bts_sites", None, None),
    "covered_2g_pct": ("bts_sites", "2G", None),
    "covered_3g_pct": ("bts_sites", "3G", None),
    "covered_4g_pct": ("bts_sites", "4G", None),
    "covered_5g_pct": ("bts_sites", "5G", None),
    "covered_viettel_pct": ("bts_sites", None, "Viettel"),
    "covered_vinaphone_pct": ("bts_sites", None, "VinaPhone"),
    "covered_mobifone_pct": ("bts_sites", None, "MobiFone"),
    "loudspeaker_covered_pct": ("loudspeakers", None, None),
    "internet_access_pct": ("internet_points", None, None),
}


def _bts_radius(bts: gpd.GeoDataFrame, params: CoverageParams, technology: str | None) -> pd.Series:
    """Largest radius among a site's technologies that count (0 = none), plain pandas."""
    techs = [technology] if technology else list(settings.TECHNOLOGIES)
    radius = pd.Series(0.0, index=bts.index)
    for tech in techs:
        has = bts["technologies"].str.split(";").apply(lambda ts, t=tech: t in ts)
        radius = radius.where(~has, np.maximum(radius, params.radius_for(tech)))
    return radius


def naive_shares(dataset: Dataset, params: CoverageParams = CoverageParams()) -> pd.DataFrame:
    """Covered share (0-100) of each commune for each layer of :data:`LAYERS`; index = code."""
    communes = dataset.communes[["code", "geometry"]]
    crs = working_crs(communes)
    communes = communes.to_crs(crs)
    area = communes.set_index("code").area
    out = pd.DataFrame(index=area.index)
    for column, (layer, tech, carrier) in LAYERS.items():
        sites = getattr(dataset, layer).to_crs(crs)
        if layer == "bts_sites":
            if carrier is not None:
                sites = sites[sites["carrier"] == carrier]
            radius = _bts_radius(sites, params, tech)
        elif layer == "loudspeakers":
            radius = sites["radius_m"].fillna(sites["kind"].map(dict(params.loudspeaker_radius_m)))
        else:
            radius = pd.Series(params.internet_access_m, index=sites.index)
        sites, radius = sites[radius > 0], radius[radius > 0]
        if len(sites) == 0:
            out[column] = 0.0
            continue
        # 1. buffer  2. union  3. overlay  4. area per commune
        discs = sites.geometry.buffer(radius.to_numpy(), quad_segs=settings.CIRCLE_QUAD_SEGS)
        coverage = gpd.GeoDataFrame(geometry=[discs.union_all()], crs=crs)
        pieces = gpd.overlay(communes, coverage, how="intersection", keep_geom_type=True)
        covered = pieces.area.groupby(pieces["code"].to_numpy()).sum()
        out[column] = 100 * covered.reindex(area.index).fillna(0.0) / area
    return out
