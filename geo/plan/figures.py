"""Figures of a plan: the people and km² each proposed site adds, in rank order (exact, from the
reach polygons clipped to the units), the sites as dataset rows, and the check against the
analysis rerun with the sites added.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import STRtree

from geo.crs import WGS84
from geo.model.schema import Dataset
from geo.plan.demand import People
from geo.plan.request import DEFAULT_TECHNOLOGY, SERVICE_LAYER, TERRAIN_ABS_TOL_KM2, Plan, PlanError


def exact_gains(
    zones, zone_area, population, scope, base, people: People, new_reach: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """People and km² each new reach polygon adds within the scope units, in order.

    Each unit's covered geometry grows by the new polygon clipped to it, as in
    :func:`geo.analysis.coverage.clipped_union`; people follow geo.analysis.gaps' rule (settlements, else area).
    """
    covered = base.copy()
    tree = STRtree(zones)
    people_new = np.zeros(len(new_reach))
    area_new = np.zeros(len(new_reach))
    for r, geom in enumerate(new_reach):  # one step per proposed site (k ≤ MAX_K)
        if geom is None:
            continue
        idx = tree.query(geom, predicate="intersects")
        idx = idx[scope[idx]]
        if not len(idx):
            continue
        before = covered[idx]
        after = shapely.union(before, shapely.intersection(geom, zones[idx]))
        d_area = shapely.area(after) - shapely.area(before)
        area_new[r] = d_area.sum() / 1e6
        share = d_area / zone_area[idx]
        has = people.has[idx]
        if (
            people.grid is not None
        ):  # a new array each step: geo.analysis.gaps caches by array identity
            grown = covered.copy()
            grown[idx] = after
            people_new[r] = float(
                np.nansum(
                    (
                        people.covered(grown, zone_area, population)
                        - people.covered(covered, zone_area, population)
                    )[idx]
                )
            )
            covered = grown
            continue
        if has.any():
            pairs = np.flatnonzero(np.isin(people.pair_zone, idx[has]))
            old = people.inside(covered, pairs)
            tmp = covered.copy()
            tmp[idx] = after
            new = people.inside(tmp, pairs)
            d = np.bincount(
                people.pair_zone[pairs],
                weights=people.pop[people.pair_pt[pairs]] * (new.astype(float) - old),
                minlength=len(zones),
            )[idx]
            share = np.where(has, d / np.where(has, people.total[idx], 1), share)
        people_new[r] = float(np.sum(population[idx] * share))
        covered[idx] = after
    return people_new, area_new


def new_layer(
    sites: gpd.GeoDataFrame, service: str, *, carrier: str | None, technology: str | None
) -> gpd.GeoDataFrame:
    """Rows of the service's dataset layer for the proposed sites, EPSG:4326."""
    n = len(sites)
    ids = sites["site_id"].to_numpy()
    if service == "bts":
        data = {
            "site_id": ids,
            "carrier": np.full(n, carrier or "other", dtype=object),
            "technologies": np.full(n, technology or DEFAULT_TECHNOLOGY, dtype=object),
            "height_m": np.full(n, np.nan),
        }
    elif service == "loudspeaker":
        data = {
            "id": ids,
            "kind": np.full(n, "cluster", dtype=object),
            "radius_m": np.full(n, np.nan),
        }
    else:
        data = {"id": ids, "kind": np.full(n, "support_point", dtype=object)}
    data["illustrative"] = np.zeros(n, bool)
    data["proposed_rank"] = sites["rank"].to_numpy()
    data["people_new"] = sites["people_new"].to_numpy(float)
    data["area_new_km2"] = sites["area_new_km2"].to_numpy(float)
    return gpd.GeoDataFrame(data, geometry=sites.geometry.to_numpy(), crs=sites.crs).to_crs(WGS84)


def with_sites(dataset: Dataset, plan_: Plan) -> Dataset:
    """A copy of ``dataset`` with the plan's sites appended to the service's layer (EPSG:4326).

    Existing rows are kept as they are, in their order, before the new ones.
    """
    name = SERVICE_LAYER[plan_.service]
    layer = getattr(dataset, name)
    new = plan_.layer.to_crs(layer.crs) if layer.crs is not None else plan_.layer
    extra = ("geometry", "proposed_rank", "people_new", "area_new_km2")
    combined = pd.concat(
        [layer, new[[c for c in new.columns if c in layer.columns or c in extra]]],
        ignore_index=True,
    )
    combined = gpd.GeoDataFrame(combined, geometry="geometry", crs=layer.crs or WGS84)
    return dataclasses.replace(dataset, **{name: combined})


def compare(dataset: Dataset, plan_: Plan, *, dem=None, cache=None):
    """The analysis before and after adding the plan's sites: ``(before, after)`` GapAnalysis.

    A terrain plan (``plan_.model == "terrain"``) is analysed with
    :func:`geo.analysis.terrain.analyse_terrain` over ``dem`` (the DEM it was planned on) and
    ``plan_.terrain``; ``cache`` (:func:`geo.analysis.terrain.viewshed_cache`) saves recomputing the existing sites.
    """
    from geo.analysis import gaps

    if plan_.model == "terrain":
        from geo.analysis import terrain

        if dem is None:
            raise PlanError(["this plan was made with the terrain model: pass the DEM to compare"])
        kw = dict(vintage=plan_.vintage, params=plan_.params, terrain=plan_.terrain, cache=cache)
        return (
            terrain.analyse_terrain(dataset, dem, **kw),
            terrain.analyse_terrain(with_sites(dataset, plan_), dem, **kw),
        )
    before = gaps.analyse(dataset, vintage=plan_.vintage, params=plan_.params)
    after = gaps.analyse(with_sites(dataset, plan_), vintage=plan_.vintage, params=plan_.params)
    return before, after


def gains_by_analysis(plan_: Plan, before, after) -> tuple[float, float]:
    """(people, km²) newly covered within the plan's scope according to the two analyses."""
    b = before.communes.set_index("code").loc[list(plan_.scope)]
    a = after.communes.set_index("code").loc[list(plan_.scope)]
    col = plan_.column
    people = float((a[f"{col}_pop"] - b[f"{col}_pop"]).sum(min_count=1))
    area = float(((a[f"{col}_pct"] - b[f"{col}_pct"]) / 100 * a["area_km2"]).sum())
    return people, area


def check_consistency(plan_: Plan, before, after, *, rel_tol: float = 1e-6) -> list[str]:
    """Differences between the plan's reported gains and the analyses' (empty when consistent).

    The tolerance covers the round trip of site coordinates through EPSG:4326 (≈1e-9 m) and the
    order of polygon unions; nothing else differs. Terrain plans: the same rasters make both
    figures (cell squares clipped to the units), so the same tolerance holds, with an absolute
    floor of ``TERRAIN_ABS_TOL_KM2`` for the area.
    """
    people, area = gains_by_analysis(plan_, before, after)
    problems = []
    pairs = [("area (km²)", plan_.area_new_km2, area)]
    if plan_.objective == "people":  # people are known in every unit of the scope
        pairs.append(("people", plan_.people_new, people))
    for what, reported, measured in pairs:
        atol = TERRAIN_ABS_TOL_KM2 if plan_.model == "terrain" and what.startswith("area") else 1e-6
        if not np.isclose(reported, measured, rtol=rel_tol, atol=atol):
            problems.append(
                f"{what} newly covered: plan says {reported:.6f}, the analysis {measured:.6f}"
            )
    return problems


def site_table(
    cand_pts: np.ndarray,
    cand_zone: np.ndarray,
    chosen: np.ndarray,
    gains,
    required: list[np.ndarray],
    codes: np.ndarray,
    names: np.ndarray,
    crs,
) -> gpd.GeoDataFrame:
    """The proposed sites in rank order (see :attr:`Plan.sites`): ``chosen`` candidates with
    ``gains`` (people, km² each adds); the first of each ``required`` group is ``mandatory``."""
    mandatory = np.zeros(len(chosen), bool)
    for grp in required:
        hit = np.flatnonzero(np.isin(chosen, grp))
        if len(hit):
            mandatory[hit[0]] = True
    rank = np.arange(1, len(chosen) + 1)
    zone_of = cand_zone[chosen] if len(chosen) else np.array([], np.int64)
    return gpd.GeoDataFrame(
        {
            "rank": rank,
            "site_id": [f"PLAN-{r:02d}" for r in rank],
            "code": codes[zone_of],
            "name": names[zone_of],
            "mandatory": mandatory,
            "people_new": gains[0],
            "area_new_km2": gains[1],
            "people_cum": np.cumsum(gains[0]),
            "area_cum_km2": np.cumsum(gains[1]),
        },
        geometry=cand_pts[chosen] if len(chosen) else [],
        crs=crs,
    )
