"""The circle coverage model: where each channel reaches, clipped to each commune.

All functions take and return geometries in the working metric CRS (metres); shapely 2 arrays in,
arrays out, one spatial-index query per layer and no Python loop over sites × communes.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely import STRtree

from geo import settings
from geo.settings import CoverageParams


def reach_discs(points: np.ndarray, radius_m: np.ndarray) -> np.ndarray:
    """Discs of ``radius_m`` (metres, per point) around ``points`` (metric CRS).

    A radius ≤ 0 or NaN gives no disc (None) rather than a degenerate polygon.
    """
    radius_m = np.asarray(radius_m, dtype=float)
    ok = np.isfinite(radius_m) & (radius_m > 0)
    discs = np.full(len(points), None, dtype=object)
    if ok.any():
        discs[ok] = shapely.buffer(
            np.asarray(points, dtype=object)[ok], radius_m[ok], quad_segs=settings.CIRCLE_QUAD_SEGS
        )
    return discs


def clipped_union(zones: np.ndarray, discs: np.ndarray) -> np.ndarray:
    """Per zone, the union of ``discs`` clipped to the zone.

    Parameters
    ----------
    zones : polygons (commune boundaries), metric CRS.
    discs : polygons (reach of each site); None entries are ignored.

    Returns
    -------
    ndarray of geometries, one per zone (empty where nothing reaches it).
    """
    zones = np.asarray(zones, dtype=object)
    discs = np.asarray([d for d in discs if d is not None], dtype=object)
    empty = np.array([shapely.Polygon() for _ in range(len(zones))], dtype=object)
    if len(zones) == 0 or len(discs) == 0:
        return empty
    zone_idx, disc_idx = STRtree(discs).query(zones, predicate="intersects")
    if len(zone_idx) == 0:
        return empty
    # Group the discs of each zone into one padded row, then union every row in one C call.
    order = np.argsort(zone_idx, kind="stable")
    zone_idx, disc_idx = zone_idx[order], disc_idx[order]
    counts = np.bincount(zone_idx, minlength=len(zones))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    slot = np.arange(len(zone_idx)) - starts[zone_idx]
    padded = np.full((len(zones), counts.max()), None, dtype=object)
    padded[zone_idx, slot] = discs[disc_idx]
    unions = shapely.union_all(padded, axis=1)
    return shapely.intersection(unions, zones)


def site_reach(
    bts_sites: gpd.GeoDataFrame,
    params: CoverageParams,
    *,
    technology: str | None = None,
    carrier: str | None = None,
) -> np.ndarray:
    """Reach disc of each BTS site for one technology and/or carrier (metric CRS).

    The disc's radius is :func:`site_radius_m`; sites with radius 0 get None.
    """
    if len(bts_sites) == 0:
        return np.array([], dtype=object)
    radius = site_radius_m(bts_sites, params, technology=technology, carrier=carrier)
    return reach_discs(bts_sites.geometry.to_numpy(), radius)


def site_radius_m(
    bts_sites: gpd.GeoDataFrame,
    params: CoverageParams,
    *,
    technology: str | None = None,
    carrier: str | None = None,
) -> np.ndarray:
    """Reach in metres of each BTS site for one technology and/or carrier (0 = does not count).

    A site's reach is the largest radius among its technologies that count (the params'
    technology filter, then ``technology`` if given); sites of other carriers (the params' carrier
    filter, then ``carrier`` if given) get 0.
    """
    if len(bts_sites) == 0:
        return np.zeros(0)
    carriers = bts_sites["carrier"].to_numpy()
    allowed = np.ones(len(bts_sites), dtype=bool)
    if params.carriers:
        allowed &= np.isin(carriers, params.carriers)
    if carrier is not None:
        allowed &= carriers == carrier
    tech_r = technology_radius_m(bts_sites, params)
    if technology is not None:
        tech_r = tech_r[:, [settings.TECHNOLOGIES.index(technology)]]
    return np.where(allowed, tech_r.max(axis=1), 0.0)


def technology_radius_m(bts_sites: gpd.GeoDataFrame, params: CoverageParams) -> np.ndarray:
    """Reach in metres of each BTS site for each technology (columns: ``settings.TECHNOLOGIES``).

    0 where the site lacks the technology or the params' technology filter leaves it out; the
    radius is the technology's, or the site carrier's override.
    """
    out = np.zeros((len(bts_sites), len(settings.TECHNOLOGIES)))
    if len(bts_sites) == 0:
        return out
    carriers = bts_sites["carrier"].to_numpy()
    # ";2G;3G;" holds ";3G;" exactly when "3G" is one of the ";"-separated items (one C call).
    padded = np.char.add(np.char.add(";", bts_sites["technologies"].to_numpy(str)), ";")
    for j, tech in enumerate(settings.TECHNOLOGIES):
        if params.technologies and tech not in params.technologies:
            continue
        has = np.char.find(padded, f";{tech};") >= 0
        if params.carrier_radius_m:  # overrides: one radius per distinct carrier
            kinds, inverse = np.unique(carriers.astype(str), return_inverse=True)
            per_site = np.array([params.radius_for(tech, c) for c in kinds])[inverse]
        else:
            per_site = params.radius_for(tech)
        out[:, j] = np.where(has, per_site, 0.0)
    return out


def loudspeaker_radius_m(loudspeakers: gpd.GeoDataFrame, params: CoverageParams) -> np.ndarray:
    """Reach in metres of each loudspeaker: its own ``radius_m`` where given, else its kind's."""
    if len(loudspeakers) == 0:
        return np.zeros(0)
    default = loudspeakers["kind"].map(dict(params.loudspeaker_radius_m)).to_numpy(float)
    own = loudspeakers["radius_m"].to_numpy(float) if "radius_m" in loudspeakers else default
    return np.where(np.isfinite(own), own, default)


def loudspeaker_reach(loudspeakers: gpd.GeoDataFrame, params: CoverageParams) -> np.ndarray:
    """Reach disc of each loudspeaker: its own ``radius_m`` where given, else its kind's default."""
    if len(loudspeakers) == 0:
        return np.array([], dtype=object)
    return reach_discs(loudspeakers.geometry.to_numpy(), loudspeaker_radius_m(loudspeakers, params))


def internet_reach(internet_points: gpd.GeoDataFrame, params: CoverageParams) -> np.ndarray:
    """Access disc (``params.internet_access_m``) around each internet point."""
    return reach_discs(
        internet_points.geometry.to_numpy(), np.full(len(internet_points), params.internet_access_m)
    )


def filter_sites(bts_sites: gpd.GeoDataFrame, params: CoverageParams) -> gpd.GeoDataFrame:
    """The BTS sites that count under the params' carrier and technology filters (same CRS)."""
    keep = np.ones(len(bts_sites), dtype=bool)
    if params.carriers:
        keep &= bts_sites["carrier"].isin(params.carriers).to_numpy()
    if params.technologies:
        wanted = set(params.technologies)
        keep &= (
            bts_sites["technologies"]
            .map(lambda ts: bool(wanted & set(ts.split(";"))))
            .to_numpy(bool)
        )
    return bts_sites[keep]
