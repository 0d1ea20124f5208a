"""PROTOTYPE — a faster ``geo.analysis.gaps.analyse`` for national runs, kept in bench/ to prove a point.

Not used by phusong. It returns the same :class:`geo.analysis.gaps.GapAnalysis` (same columns, same gap
polygons up to floating-point noise) for the default :class:`CoverageParams` and the legacy vintage,
and is checked against ``geo.analysis.gaps.analyse`` by ``bench/national.py --prototype``. What it changes,
each measured in bench/README.md:

1. Works with the *uncovered* remainder of each commune (``zone − ∪ discs``) instead of the clipped
   covered area. Shares are ``1 − area(rem)/area(zone)``; the gap polygons *are* the remainders; the
   covered geometries are never built. The difference is taken against the **unclipped** union, so
   no overlay sees two nearly-coincident copies of the commune boundary (in geo/analysis/gaps.py
   ``difference(zones, clipped_union)`` is ~6× slower than ``difference(zones, union)`` for the same
   result).
2. Discs are built once per distinct radius by translating one template polygon (no per-layer
   ``shapely.buffer`` of every site), and candidate (commune, site) pairs come from one STRtree
   query on the site *points* with ``dwithin`` (no polygon–polygon ``intersects`` query per layer).
3. Communes proven covered without any overlay: (a) one disc contains the commune (all its convex
   hull vertices lie within the disc polygon's apothem), or (b) a Lipschitz certificate: on a grid
   over the commune's bbox, every grid point is within ``apothem − half cell diagonal`` of some
   candidate site, so every point of the cell is inside a disc. Only the remaining communes union
   their discs.
4. Derived layers come from remainders by cheap intersections: mobile = ∩ of the per-technology
   remainders, no-service = mobile ∩ loudspeaker ∩ internet remainders, at-risk =
   (4G ∩ 5G remainders) − mobile remainder (mostly empty operands: no overlay at all).
5. The union/difference work left is spread over the cores (fork, 2 workers here).
"""

from __future__ import annotations

import multiprocessing as mp
import os

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import STRtree

from geo import settings
from geo.analysis.gaps import (GapAnalysis, UncoveredAreas, _count_points, _gap_table, _people_shares,
                      _safe_div, carrier_column, carriers_reported, gap_rank, gap_score, prepare)
from geo.io.loading import Dataset
from geo.settings import CoverageParams

# The disc polygon (CIRCLE_QUAD_SEGS per quarter) contains the circle of this fraction of r.
_APOTHEM = np.cos(np.pi / (4 * settings.CIRCLE_QUAD_SEGS))
_GRIDS = (4, 12)  # certificate grid sizes tried, coarse first

_WORK: dict = {}  # inherited by forked workers
# Per layer: communes settled by one disc / by the certificate / left to union (last call).
LAST_COUNTS: dict[str, dict[str, float]] = {}


# ------------------------------------------------------------------------------------ geometry

def _template(radius: float) -> np.ndarray:
    return shapely.get_coordinates(shapely.buffer(shapely.Point(0.0, 0.0), radius,
                                                  quad_segs=settings.CIRCLE_QUAD_SEGS))


class _Discs:
    """Disc polygons of sites, built lazily once per (site, radius) by translating a template."""

    def __init__(self, xy: np.ndarray):
        self.xy = xy
        self.cache: dict[float, np.ndarray] = {}

    def get(self, sites: np.ndarray, radius: np.ndarray) -> np.ndarray:
        out = np.empty(len(sites), dtype=object)
        for r in np.unique(radius):
            sel = radius == r
            if r not in self.cache:
                self.cache[r] = np.full(len(self.xy), None, dtype=object)
            store = self.cache[r]
            need = sites[sel][store[sites[sel]] == None]  # noqa: E711 (object array)
            if len(need):
                store[need] = shapely.polygons(self.xy[need][:, None, :] + _template(r)[None])
            out[sel] = store[sites[sel]]
        return out


def _hull_max_dist(zones: np.ndarray, zi: np.ndarray, site_xy: np.ndarray) -> np.ndarray:
    """Per (zone, site) pair: largest distance from the site to the zone's convex hull vertices."""
    hc, hidx = shapely.get_coordinates(shapely.convex_hull(zones), return_index=True)
    starts = np.searchsorted(hidx, np.arange(len(zones) + 1))
    nv = np.diff(starts)[zi]
    rep = np.repeat(np.arange(len(zi)), nv)
    off = np.arange(len(rep)) - np.repeat(np.cumsum(nv) - nv, nv)
    d2 = ((hc[starts[zi][rep] + off] - site_xy[rep]) ** 2).sum(1)
    out = np.zeros(len(zi))
    nonzero = nv > 0
    out[nonzero] = np.maximum.reduceat(d2, (np.cumsum(nv) - nv)[nonzero])
    return np.sqrt(out)


def _certified(bounds: np.ndarray, zi: np.ndarray, site_xy: np.ndarray, reach: np.ndarray,
               zones_to_test: np.ndarray, g: int) -> np.ndarray:
    """Zones (of ``zones_to_test``) proven covered by the candidate discs (pairs zi/site_xy, each
    reaching ``reach`` = apothem): every g×g cell of the zone's bbox is within a disc."""
    test = np.zeros(len(bounds), dtype=bool)
    test[zones_to_test] = True
    keep = test[zi]
    zi, site_xy, reach = zi[keep], site_xy[keep], reach[keep]
    if len(zi) == 0:
        return np.zeros(len(bounds), dtype=bool)
    order = np.argsort(zi, kind="stable")
    zi, site_xy, reach = zi[order], site_xy[order], reach[order]
    b = bounds[zi]
    frac = (np.arange(g) + 0.5) / g
    gx = b[:, 0, None] + (b[:, 2] - b[:, 0])[:, None] * frac[None, :]  # pairs × g
    gy = b[:, 1, None] + (b[:, 3] - b[:, 1])[:, None] * frac[None, :]
    dx = (gx - site_xy[:, 0, None])[:, None, :]  # pairs × 1 × g
    dy = (gy - site_xy[:, 1, None])[:, :, None]  # pairs × g × 1
    slack = (reach[:, None, None] - np.sqrt(dx * dx + dy * dy)).reshape(len(zi), g * g)
    uz, start = np.unique(zi, return_index=True)
    best = np.maximum.reduceat(slack, start, axis=0)  # per zone and grid point: best disc
    half_diag = 0.5 * np.hypot((bounds[uz, 2] - bounds[uz, 0]) / g, (bounds[uz, 3] - bounds[uz, 1]) / g)
    ok = np.zeros(len(bounds), dtype=bool)
    ok[uz] = best.min(1) >= half_diag
    return ok & test


def _remainder_tasks(zones: np.ndarray, zi: np.ndarray, si: np.ndarray, radius: np.ndarray,
                     maxd: np.ndarray, discs: _Discs) -> tuple[np.ndarray, list]:
    """Remainders settled without overlay (None = still to compute) and the union tasks left.

    ``zi``/``si``: candidate (zone, site) pairs of the layer, ``radius`` of each pair's site (> 0),
    ``maxd`` the hull max distance of each pair.
    """
    n = len(zones)
    rem = zones.copy()  # zones without any disc keep their whole area uncovered
    has = np.zeros(n, dtype=bool)
    has[zi] = True
    full = np.zeros(n, dtype=bool)
    full[zi[maxd <= _APOTHEM * radius]] = True
    counts = {"no_disc": int((~has).sum()), "one_disc": int(full.sum())}
    todo = np.flatnonzero(has & ~full)
    bounds = shapely.bounds(zones)
    site_xy = discs.xy[si]
    for g in _GRIDS:
        if len(todo) == 0:
            break
        ok = _certified(bounds, zi, site_xy, _APOTHEM * radius, todo, g)
        full |= ok
        todo = todo[~ok[todo]]
    rem[full] = shapely.Polygon()
    keep = np.isin(zi, todo)
    counts.update(certified=int(full.sum()) - counts["one_disc"], union=int(len(todo)),
                  discs_per_union=float(keep.sum() / max(len(todo), 1)))
    _remainder_tasks.counts = counts
    tasks = []
    if keep.any():
        zk, sk, rk = zi[keep], si[keep], radius[keep]
        tasks.append((zk, discs.get(sk, rk)))
    rem[todo] = None
    return rem, tasks


def _run_tasks(chunk: int) -> list[tuple[np.ndarray, list]]:
    """Worker: zone − ∪ discs for the zones of this chunk, for every layer's task."""
    zones, layers, nchunks = _WORK["zones"], _WORK["tasks"], _WORK["nchunks"]
    out = []
    for zk, dk in layers:
        mine = zk % nchunks == chunk if nchunks > 1 else np.ones(len(zk), dtype=bool)
        zk, dk = zk[mine], dk[mine]
        if len(zk) == 0:
            out.append((np.empty(0, dtype=int), []))
            continue
        order = np.argsort(zk, kind="stable")
        zk, dk = zk[order], dk[order]
        uz, start, counts = np.unique(zk, return_index=True, return_counts=True)
        slot = np.arange(len(zk)) - np.repeat(start, counts)
        padded = np.full((len(uz), counts.max()), None, dtype=object)
        padded[np.repeat(np.arange(len(uz)), counts), slot] = dk
        unions = shapely.union_all(padded, axis=1)
        rem = shapely.difference(zones[uz], unions)
        out.append((uz, shapely.to_wkb(rem) if nchunks > 1 else rem))
    return out


def _solve(zones: np.ndarray, layer_tasks: list[list], workers: int) -> list[list]:
    """Results of every layer's union tasks, computed in ``workers`` forked processes."""
    flat = [t for tasks in layer_tasks for t in tasks]
    if not flat:
        return [[] for _ in layer_tasks]
    if workers > 1 and "fork" in mp.get_all_start_methods():
        _WORK.update(zones=zones, tasks=flat, nchunks=workers)
        try:
            with mp.get_context("fork").Pool(workers) as pool:
                parts = pool.map(_run_tasks, range(workers))
        finally:
            _WORK.clear()
        merged = []
        for i in range(len(flat)):
            idx = np.concatenate([p[i][0] for p in parts])
            geoms = np.concatenate([shapely.from_wkb(np.asarray(p[i][1], dtype=object))
                                    if len(p[i][0]) else np.empty(0, dtype=object) for p in parts])
            merged.append((idx, geoms))
    else:
        _WORK.update(zones=zones, tasks=flat, nchunks=1)
        try:
            merged = _run_tasks(0)
        finally:
            _WORK.clear()
    out, k = [], 0
    for tasks in layer_tasks:
        out.append(merged[k:k + len(tasks)])
        k += len(tasks)
    return out


# ------------------------------------------------------------------------------------ analyse

def _pairs(zones: np.ndarray, points: np.ndarray, rmax: float) -> tuple[np.ndarray, np.ndarray]:
    if len(points) == 0 or rmax <= 0:
        return np.empty(0, dtype=int), np.empty(0, dtype=int)
    return STRtree(points).query(zones, predicate="dwithin", distance=rmax)


def analyse(dataset: Dataset, *, vintage: str = "legacy",
            params: CoverageParams = CoverageParams(), workers: int | None = None) -> GapAnalysis:
    """PROTOTYPE of :func:`geo.analysis.gaps.analyse` (default params, no carrier radius overrides)."""
    if params.carrier_radius_m or params.carriers or params.technologies:
        raise NotImplementedError("prototype: default CoverageParams only")
    workers = workers or len(os.sched_getaffinity(0))
    prepared = prepare(dataset, vintage=vintage, params=params)
    units, crs, zones = prepared.units, prepared.crs, prepared.zones
    bts, loud, inet = prepared.bts, prepared.loudspeakers, prepared.internet_points
    settlements = prepared.settlements

    # --- BTS: per site radius of each technology (0 = does not have it) and of the site (max).
    tech_r = {}
    techs = bts["technologies"].to_numpy(str) if len(bts) else np.array([], dtype=str)
    for tech in settings.TECHNOLOGIES:
        has = np.char.find(np.char.add(np.char.add(";", techs), ";"), f";{tech};") >= 0
        tech_r[tech] = np.where(has, params.radius_for(tech), 0.0)
    site_r = np.max(np.stack(list(tech_r.values())), axis=0) if len(bts) else np.zeros(0)
    bts_pts = bts.geometry.to_numpy()
    bts_discs = _Discs(shapely.get_coordinates(bts_pts))
    zi, si = _pairs(zones, bts_pts, float(site_r.max()) if len(bts) else 0.0)
    dist = shapely.distance(zones[zi], bts_pts[si])
    maxd = _hull_max_dist(zones, zi, bts_discs.xy[si])
    carriers = bts["carrier"].to_numpy()

    layers: dict[str, tuple[np.ndarray, list]] = {}

    def bts_layer(name: str, radius_of_site: np.ndarray) -> None:
        r = radius_of_site[si]
        ok = (r > 0) & (dist <= r)
        layers[name] = _remainder_tasks(zones, zi[ok], si[ok], r[ok], maxd[ok], bts_discs)
        LAST_COUNTS[name] = _remainder_tasks.counts

    for tech in settings.TECHNOLOGIES:
        bts_layer(f"covered_{tech.lower()}", tech_r[tech])
    for carrier in carriers_reported(dataset.bts_sites):
        bts_layer(carrier_column(carrier)[:-4], np.where(carriers == carrier, site_r, 0.0))

    for name, frame, radius in (
        ("loudspeaker_covered", loud,
         np.where(np.isfinite(loud["radius_m"].to_numpy(float)), loud["radius_m"].to_numpy(float),
                  loud["kind"].map(dict(params.loudspeaker_radius_m)).to_numpy(float))),
        ("internet_access", inet, np.full(len(inet), params.internet_access_m)),
    ):
        pts = frame.geometry.to_numpy()
        radius = np.where(np.isfinite(radius), radius, 0.0)
        lz, ls = _pairs(zones, pts, float(radius.max()) if len(pts) else 0.0)
        r = radius[ls]
        ok = (r > 0) & (shapely.distance(zones[lz], pts[ls]) <= r)
        xy = shapely.get_coordinates(pts)
        layers[name] = _remainder_tasks(zones, lz[ok], ls[ok], r[ok],
                                        _hull_max_dist(zones, lz[ok], xy[ls[ok]]), _Discs(xy))
        LAST_COUNTS[name] = _remainder_tasks.counts

    names = list(layers)
    solved = _solve(zones, [layers[n][1] for n in names], workers)
    rem: dict[str, np.ndarray] = {}
    for name, results in zip(names, solved):
        geoms = layers[name][0]
        for idx, g in results:
            geoms[idx] = g
        rem[name] = geoms

    # --- derived layers from remainders (cheap: empty operands need no overlay)
    techs_present = [t for t in settings.TECHNOLOGIES if (tech_r[t] > 0).any()]
    mobile = _intersect_all([rem[f"covered_{t.lower()}"] for t in techs_present], zones)
    rem["mobile_covered"] = mobile
    no_service = _intersect_all([mobile, rem["loudspeaker_covered"], rem["internet_access"]], zones)
    modern_rem = _intersect_all([rem["covered_4g"], rem["covered_5g"]], zones)
    at_risk = _difference_sparse(modern_rem, mobile)
    uncovered = {"no_4g": rem["covered_4g"], "no_mobile": mobile,
                 "no_loudspeaker": rem["loudspeaker_covered"],
                 "no_internet": rem["internet_access"], "no_service": no_service,
                 "at_risk": at_risk}

    area_m2 = shapely.area(zones)
    stats = pd.DataFrame({"code": units["code"].to_numpy(), "name": units["name"].to_numpy(),
                          "legacy_codes": units["legacy_codes"].to_numpy(),
                          "area_km2": area_m2 / 1e6})
    population = units["population"].to_numpy(float)
    stats["population"] = population
    share_of = _people_shares(zones, settlements)
    stats["population_basis"] = np.where(share_of.has_settlements, "settlements", "uniform")

    def add(name: str, geoms: np.ndarray, covered: bool) -> None:
        share = _safe_div(shapely.area(geoms), area_m2)
        people = _people_in(share_of, geoms, share)
        if covered:
            share, people = 1 - share, 1 - people
        stats[f"{name}_pct"] = np.clip(100 * share, 0, 100)
        stats[f"{name}_pop"] = population * np.clip(people, 0, 1)

    order = ["mobile_covered", "loudspeaker_covered", "internet_access"] + \
        [f"covered_{t.lower()}" for t in settings.TECHNOLOGIES] + \
        [carrier_column(c)[:-4] for c in carriers_reported(dataset.bts_sites)]
    for name in order:
        add(name, rem[name], covered=True)
    for name in ("no_service", "at_risk", "no_4g", "no_mobile", "no_loudspeaker", "no_internet"):
        add(name, uncovered[name], covered=False)

    support = inet[inet["kind"] == "support_point"]
    stats["support_points"] = _count_points(zones, support.geometry.to_numpy()).astype(int)
    stats["c03_required"] = units["especially_difficult"].fillna(False).astype(bool).to_numpy()
    stats["c03_present"] = stats["support_points"] > 0
    stats["gap_score"] = gap_score(stats)
    stats["gap_rank"] = gap_rank(stats["gap_score"], stats["code"])
    communes = gpd.GeoDataFrame(stats, geometry=zones, crs=crs)
    # The gap polygons are the remainders already computed: format them now (geo.analysis.gaps makes them
    # on demand with one more overlay per commune and kind).
    table = pd.concat([_gap_table(units, kind, uncovered[kind], crs) for kind in settings.GAP_KINDS],
                      ignore_index=True)
    table = gpd.GeoDataFrame(table, geometry="geometry", crs=crs)
    return GapAnalysis(communes=communes,
                       sites={"bts_sites": bts, "loudspeakers": loud, "internet_points": inet},
                       vintage=vintage, params=params, uncovered=UncoveredAreas.from_table(table),
                       dataset_name=dataset.name, sources=dataset.sources)


def _people_in(share_of, geoms: np.ndarray, area_share: np.ndarray) -> np.ndarray:
    """Share of people inside ``geoms`` (settlements where known, else the area share)."""
    return share_of(geoms, area_share)


def _intersect_all(parts: list[np.ndarray], zones: np.ndarray) -> np.ndarray:
    """Element-wise intersection; rows where any part is empty are empty without any overlay,
    rows where a part is the whole zone skip that part."""
    if not parts:
        return zones.copy()
    out = parts[0].copy()
    for p in parts[1:]:
        empty = shapely.is_empty(out) | shapely.is_empty(p)
        same_out = _same(out, zones)  # whole-zone remainders are the very zone objects
        same_p = _same(p, zones)
        out = np.where(same_out & ~empty, p, out)
        work = ~empty & ~same_out & ~same_p
        if work.any():
            out[work] = shapely.intersection(out[work], p[work])
        out[empty] = shapely.Polygon()
    return out


_IS = np.frompyfunc(lambda a, b: a is b, 2, 1)


def _same(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Element-wise object identity."""
    return _IS(a, b).astype(bool)


def _difference_sparse(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a − b element-wise, with no overlay where a or b is empty."""
    out = a.copy()
    work = ~shapely.is_empty(a) & ~shapely.is_empty(b)
    if work.any():
        out[work] = shapely.difference(a[work], b[work])
    return out
