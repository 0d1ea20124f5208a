"""Siting: where k new BTS sites, loudspeaker clusters or support points close the most gap.

The model (all in the dataset's UTM CRS, metres)
------------------------------------------------
- **Candidates**: commune centres (a point inside each unit), settlements, any extra points given
  (e.g. hilltops from a DEM), and a regular grid over the units (``spacing_m``, default
  :func:`default_spacing_m`: the service's reach, clamped to 250–1,000 m); candidates outside every
  unit or inside the ``exclude`` polygons are dropped, coincident ones merged.
- **Reach** of a candidate: ``reach(points, radius_m) -> polygons``; the default is the circle
  model (:func:`geo.analysis.coverage.reach_discs`, the very discs :func:`geo.analysis.gaps.analyse` draws).
- **Terrain** (``dem=``): the reach, the existing coverage and the figures are
  :mod:`geo.analysis.terrain`'s instead: line of sight from the antenna (BTS, ``bts_height_m``, 30 m) or
  horn (loudspeakers) to a handset / listener within the radius, numba viewsheds of every
  candidate; for support points, Tobler walking time within ``internet_walk_min``. The matrix is
  each demand point's DEM cell looked up in the candidate's viewshed (after a ``dwithin``
  pre-filter); candidates are snapped to their cell centre, and the DEM's most prominent
  hilltops (:func:`hilltops`) are added. Figures are summed over the rasters the way
  :func:`geo.analysis.terrain.raster_areas` clips cells to units, so rerunning
  :func:`geo.analysis.terrain.analyse_terrain` with the sites added reproduces them (``compare(…, dem=)``).
- **Demand**: what the service's *existing* sites leave uncovered in the chosen units (default:
  all). Units with settlements: each settlement carries ``unit population × its share of the
  unit's settlement people`` (as :func:`geo.analysis.gaps.analyse` counts people). Other units: the centres of a
  square grid of cells (``cell_m``, default :func:`default_cell_m`) inside the unit, each carrying
  the people the dataset's population grid puts in the cell (units on the grid) or
  ``unit population × cell area / unit area``, plus ``AREA_TIE_BREAK_PER_KM2`` per km² so that
  area breaks ties. If any chosen unit has no population, the objective is the uncovered **area**
  (km², cells everywhere) instead of people.
- **Coverage matrix**: candidate × demand sparse boolean (CSR arrays), one STRtree query of the
  demand points against the reach polygons (no Python loop over candidates × demand).
- **Solvers**: ``"auto"`` (default): ``"exact"`` within a time limit, and when CBC runs out the
  better of its best and ``"greedy"`` (a note says which). ``"greedy"``: lazy greedy on marginal
  gains with a priority queue; the objective is monotone submodular, so it is within (1 − 1/e) of
  the optimum (Nemhauser, Wolsey & Fisher 1978). ``"exact"``: the maximal-covering integer
  programme solved by CBC through PuLP with a time limit.
- **Support points** (Circular 03/2023/TT-BTTTT): first one inside each especially difficult unit
  that has none, each where it serves most uncovered people within the access distance (greedy
  over those units), then the remaining ones greedily anywhere.

The figures reported per site (people and area newly covered, cumulative) are computed exactly
from the reach polygons clipped to the units, in rank order, the way :func:`geo.analysis.gaps.analyse`
computes coverage: adding the proposed sites to the dataset (:func:`with_sites`) and rerunning the
analysis reproduces them (:func:`check_consistency`). The cells only steer the choice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from shapely import STRtree

from geo import i18n
from geo.analysis import coverage
from geo.analysis.vintages import communes_for_vintage
from geo.crs import working_crs
from geo.model.schema import Dataset
from geo.plan.candidates import candidate_points, hilltops
from geo.plan.demand import People, demand_points, existing_reach, grid_people, lacking_c03
from geo.plan.figures import exact_gains, new_layer, site_table
from geo.plan.matrix import CoverMatrix
from geo.plan.request import (
    AUTO_TIME_LIMIT_S,
    EXACT_TIME_LIMIT_S,
    HILLTOPS_N,
    Objective,
    Plan,
    PlanError,
    Reach,
    default_cell_m,
    default_spacing_m,
    plan_params,
    service_radius_m,
    validate,
)
from geo.plan.solvers import solve
from geo.plan.terrain_reach import TerrainReach
from geo.settings import CoverageParams, TerrainParams

# Re-exported: the names a caller of geo.plan.siting uses (siting.plan, siting.PlanError, …).
from geo.plan.candidates import square_filter  # noqa: F401, E402
from geo.plan.figures import (  # noqa: F401, E402
    check_consistency,
    compare,
    gains_by_analysis,
    with_sites,
)
from geo.plan.request import (  # noqa: F401, E402
    AREA_TIE_BREAK_PER_KM2,
    CELL_CLAMP_M,
    DEFAULT_TECHNOLOGY,
    HILLTOP_WINDOW_M,
    MAX_K,
    SERVICE_LAYER,
    SERVICES,
    SOLVERS,
    SPACING_CLAMP_M,
    TERRAIN_ABS_TOL_KM2,
    TERRAIN_REL_TOL,
    Service,
    Solver,
    covered_column,
)
from geo.plan.solvers import exact, exhaustive, greedy, rank_chosen  # noqa: F401, E402


@dataclass(frozen=True)
class _Area:
    """The units of a plan in the working CRS (metres) and the ones whose gap counts."""

    units: gpd.GeoDataFrame
    crs: object
    codes: np.ndarray
    scope: np.ndarray
    zones: np.ndarray
    zone_area: np.ndarray
    population: np.ndarray


class _Clock:
    """Seconds per step of a plan (``Plan.timings_s``)."""

    def __init__(self):
        self.timings: dict[str, float] = {}
        self.last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.timings[name] = now - self.last
        self.last = now


def plan(
    dataset: Dataset,
    *,
    service: str,
    k: int,
    carrier: str | None = None,
    technology: str | None = None,
    vintage: str = "legacy",
    params: CoverageParams = CoverageParams(),
    communes: Sequence[str] | None = None,
    exclude: gpd.GeoDataFrame | None = None,
    extra_candidates: gpd.GeoDataFrame | None = None,
    spacing_m: float | None = None,
    cell_m: float | None = None,
    settlement_candidates: bool = True,
    solver: str = "auto",
    time_limit_s: float | None = None,
    reach: Reach = coverage.reach_discs,
    dem=None,
    terrain: TerrainParams = TerrainParams(),
    cache=None,
    hilltops_n: int = HILLTOPS_N,
    progress: Callable[[str], None] = lambda message: None,
) -> Plan:
    """Choose up to ``k`` new sites of ``service`` that close the most gap.

    Parameters
    ----------
    dataset : the layers (any CRS; normally EPSG:4326); never modified.
    service : "bts", "loudspeaker" or "support-point".
    k : number of new sites (1–500); for support points at least the number of especially
        difficult units lacking one.
    carrier : BTS only: the carrier of the new sites; only its existing sites count (default: any
        carrier, new sites labelled "other").
    technology : BTS only: the technology of the new sites and of the gap closed (default 4G).
    vintage : "legacy" or "2025" units.
    params : radii and access distance of the circle model.
    communes : codes of the units (of ``vintage``) whose gap counts; default all.
    exclude : polygons (any CRS) where no new site may stand.
    extra_candidates : more candidate points (any CRS), e.g. hilltops.
    spacing_m, cell_m : candidate grid spacing and demand cell size, metres (defaults:
        :func:`default_spacing_m`, :func:`default_cell_m`).
    settlement_candidates : also try a site at every settlement (default True).
    solver : "auto" (default: exact within ``time_limit_s``, else the better of its best and the
        greedy answer; a note says which), "greedy" (lazy greedy) or "exact" (CBC via PuLP).
    time_limit_s : seconds for CBC; default :data:`AUTO_TIME_LIMIT_S` with "auto" (the app waits
        for it), :data:`EXACT_TIME_LIMIT_S` with "exact".
    reach : candidate points and radii (metres) -> reach polygons; the circle model by default.
    dem : a :class:`geo.io.dem.DEM` in the working CRS (:func:`geo.analysis.terrain.dem_area`): use the terrain
        model instead of circles (``reach`` is then unused). Existing coverage is the terrain
        model's; a candidate reaches the demand it sees (BTS: antenna ``terrain.bts_height_m``
        → handset ``terrain.handset_height_m``; loudspeakers: horn ``terrain.loudspeaker_height_m``
        → listener) within the service radius, or (support points) what lies within
        ``terrain.internet_walk_min`` minutes' walk (Tobler); the ``hilltops_n`` most prominent
        hilltops (:func:`hilltops`) are added as candidates.
    terrain : terrain model parameters (with ``dem``).
    cache : a :func:`geo.analysis.terrain.viewshed_cache` to reuse and fill (with ``dem``).
    progress : called with a short message per step.
    """
    clock = _Clock()
    if time_limit_s is None:
        time_limit_s = AUTO_TIME_LIMIT_S if solver == "auto" else EXACT_TIME_LIMIT_S
    validate(
        service=service,
        k=k,
        carrier=carrier,
        technology=technology,
        vintage=vintage,
        solver=solver,
        spacing_m=spacing_m,
        cell_m=cell_m,
        exclude=exclude,
        extra_candidates=extra_candidates,
        time_limit_s=time_limit_s,
    )
    technology = (technology or DEFAULT_TECHNOLOGY) if service == "bts" else None
    aparams = plan_params(params, service, carrier)
    area = _area(dataset, vintage, communes)
    radius = service_radius_m(service, aparams, carrier=carrier, technology=technology)
    notes: list[i18n.Note] = []
    gap = _gap(
        dataset,
        area,
        service,
        aparams,
        technology,
        radius,
        vintage,
        dem=dem,
        terrain=terrain,
        cache=cache,
        carrier=carrier,
        notes=notes,
        progress=progress,
    )
    clock.lap("existing coverage")

    progress("candidates")
    extra = _with_hilltops(extra_candidates, dem, gap.tr, hilltops_n, area, notes)
    cand_pts, cand_zone, zone_pairs = candidate_points(
        area.units,
        gap.settlements if settlement_candidates else None,
        extra,
        exclude,
        area.crs,
        float(spacing_m) if spacing_m else default_spacing_m(radius),
        snap=None if gap.tr is None else gap.tr.snap,
    )
    if len(cand_pts) == 0:
        raise PlanError(
            [
                "no candidate site is left inside the area (is the exclusion layer "
                "covering everything?)"
            ]
        )
    reach_of = _reach_of(cand_pts, reach, radius, gap.tr, service, clock, progress)

    progress(f"demand ({gap.objective})")
    dem_pts, dem_w = demand_points(
        area.zones,
        area.zone_area,
        gap.population,
        area.scope,
        gap.base,
        gap.people,
        gap.objective,
        float(cell_m) if cell_m else default_cell_m(radius),
    )
    clock.lap("demand")
    progress(f"coverage matrix: {len(cand_pts)} candidates × {len(dem_pts)} demand points")
    matrix = _matrix(cand_pts, reach_of, dem_pts, gap.tr, radius)
    clock.lap("matrix")
    required = _required(dataset, area, zone_pairs, k) if service == "support-point" else []

    progress(f"solving ({solver}, k = {k})")
    solver_notes: list[i18n.Note] = []
    chosen, optimal, solver = solve(matrix, dem_w, k, required, solver, time_limit_s, solver_notes)
    clock.lap("solve")
    if len(chosen) < k:
        notes.append(i18n.note("fewer_sites", n=len(chosen), rest=k - len(chosen)))
    notes += solver_notes

    progress("figures per site")
    chosen = np.asarray(chosen, np.int64)
    sites = site_table(
        cand_pts,
        cand_zone,
        chosen,
        _gains(gap, area, reach_of, chosen),
        required,
        area.codes,
        area.units["name"].to_numpy(),
        area.crs,
    )
    layer = new_layer(sites, service, carrier=carrier, technology=technology)
    clock.lap("figures")
    uncovered_people, uncovered_area = _uncovered(gap, area)
    return Plan(
        sites=sites,
        layer=layer,
        service=service,
        k=int(k),
        carrier=carrier,
        technology=technology,
        vintage=vintage,
        params=aparams,
        column=covered_column(service, technology),
        objective=gap.objective,
        solver=solver,
        optimal=optimal,
        scope=tuple(area.codes[area.scope]),
        uncovered_people=uncovered_people,
        uncovered_area_km2=uncovered_area,
        n_candidates=len(cand_pts),
        n_demand=len(dem_pts),
        nnz=len(matrix.indices),
        notes=tuple(notes),
        timings_s=clock.timings,
        model="circle" if gap.tr is None else "terrain",
        terrain=None if gap.tr is None else terrain,
    )


def lacking_support_points(dataset: Dataset, *, vintage: str = "legacy") -> list[str]:
    """Codes of the especially difficult units (of ``vintage``) without a Circular 03 support
    point: a support-point plan needs at least this many sites."""
    units = communes_for_vintage(dataset.communes, vintage)
    crs = working_crs(units)
    units = units.to_crs(crs).reset_index(drop=True)
    return list(units["code"].astype(str).to_numpy()[lacking_c03(dataset, units, crs)])


# --- the stages of plan() ------------------------------------------------------------------------


def _area(dataset: Dataset, vintage: str, communes: Sequence[str] | None) -> _Area:
    """The units of ``vintage`` in the working CRS and the scope (``communes``, default all)."""
    units = communes_for_vintage(dataset.communes, vintage)
    crs = working_crs(units)
    units = units.to_crs(crs).reset_index(drop=True)
    codes = units["code"].astype(str).to_numpy()
    if communes:
        unknown = sorted(set(map(str, communes)) - set(codes))
        if unknown:
            raise PlanError(
                [
                    f"unknown commune code(s) {', '.join(unknown)} for vintage "
                    f"{vintage!r}; codes are {', '.join(codes)}"
                ]
            )
    scope = np.isin(codes, list(map(str, communes))) if communes else np.ones(len(units), bool)
    zones = units.geometry.to_numpy()
    return _Area(
        units, crs, codes, scope, zones, shapely.area(zones), units["population"].to_numpy(float)
    )


def _terrain_reach(
    dem,
    area: _Area,
    terrain: TerrainParams,
    service: str,
    radius: float,
    params: CoverageParams,
    technology: str | None,
    cache,
    notes: list,
    progress: Callable[[str], None],
    carrier: str | None = None,
) -> TerrainReach:
    """The terrain model of a plan on ``dem`` (which must be in the working CRS), and its note."""
    if not dem.crs.equals(area.crs):
        raise PlanError(
            [
                f"the DEM is in {dem.crs.name} but planning works in {area.crs.name}; "
                "read it with crs= the working CRS (geo.analysis.terrain.dem_area)"
            ]
        )
    progress("terrain model: existing coverage over the DEM")
    if service == "support-point":
        notes.append(i18n.note("plan_walk", decimals=1, minutes=float(terrain.internet_walk_min)))
    else:
        h = terrain.bts_height_m if service == "bts" else terrain.loudspeaker_height_m
        to = terrain.handset_height_m if service == "bts" else terrain.listener_height_m
        notes.append(
            i18n.note("plan_sight", decimals=1, h=float(h), to=float(to), radius=int(round(radius)))
        )
    return TerrainReach(dem, terrain, service, radius, params, technology, cache, carrier=carrier)


def _with_hilltops(
    extra: gpd.GeoDataFrame | None, dem, tr: TerrainReach | None, n: int, area: _Area, notes: list
) -> gpd.GeoDataFrame | None:
    """The extra candidates plus the DEM's ``n`` most prominent hilltops (terrain plans)."""
    if tr is None or n <= 0:
        return extra
    tops = hilltops(dem, n=n, zones=area.zones)
    if not len(tops):
        return extra
    parts = ([extra.to_crs(area.crs).geometry.to_numpy()] if extra is not None else []) + [
        tops.geometry.to_numpy()
    ]
    notes.append(i18n.note("hilltops", n=len(tops)))
    return gpd.GeoDataFrame(geometry=np.concatenate(parts), crs=area.crs)


def _reach_of(
    cand_pts: np.ndarray,
    reach: Reach,
    radius: float,
    tr: TerrainReach | None,
    service: str,
    clock: _Clock,
    progress: Callable[[str], None],
):
    """Each candidate's reach: polygons (circle model) or DEM windows (terrain model)."""
    if tr is None:
        out = reach(cand_pts, np.full(len(cand_pts), radius))
        clock.lap("candidates")
        return out
    clock.lap("candidates")
    progress(f"terrain model: reach of {len(cand_pts)} candidates")
    out = tr.windows(cand_pts)
    clock.lap("viewsheds" if service != "support-point" else "walking times")
    return out


def _matrix(
    cand_pts: np.ndarray, reach_of, dem_pts: np.ndarray, tr: TerrainReach | None, radius: float
) -> CoverMatrix:
    """The coverage matrix: one STRtree query of the demand points against the reach polygons
    (the polygons are the query side: shapely prepares them), or against the candidates' DEM
    windows."""
    if len(dem_pts) and tr is None:
        c_idx, d_idx = STRtree(dem_pts).query(reach_of, predicate="intersects")
    elif len(dem_pts):
        c_idx, d_idx = tr.pairs(cand_pts, reach_of, dem_pts, radius)
    else:
        d_idx = c_idx = np.array([], np.int64)
    return CoverMatrix.from_pairs(c_idx, d_idx, len(cand_pts), len(dem_pts))


def _required(dataset: Dataset, area: _Area, zone_pairs, k: int) -> list[np.ndarray]:
    """Candidate groups of which one must be chosen: a Circular 03 support point in each
    especially difficult unit of the scope lacking one."""
    required: list[np.ndarray] = []
    lacking = lacking_c03(dataset, area.units, area.crs) & area.scope
    names = area.units["name"]
    for z in np.flatnonzero(lacking):
        group = zone_pairs[1][zone_pairs[0] == z]
        if not len(group):
            raise PlanError(
                [
                    f"no candidate site inside {names.iloc[z]} ({area.codes[z]}), which "
                    "needs a Circular 03 support point: the exclusion layer covers it"
                ]
            )
        required.append(np.unique(group))
    if len(required) > k:
        listed = ", ".join(f"{names.iloc[z]} ({area.codes[z]})" for z in np.flatnonzero(lacking))
        raise PlanError(
            [
                f"k = {k} is less than the {len(required)} especially difficult "
                f"communes lacking a support point ({listed}); use --k {len(required)} "
                "or more"
            ]
        )
    return required


@dataclass(frozen=True)
class _Gap:
    """What the service's existing sites leave uncovered: their coverage per unit (``base``; with
    a DEM also the raster ``base_mask`` and the terrain model ``tr``), and how people count."""

    tr: TerrainReach | None
    base_mask: np.ndarray | None
    base: np.ndarray
    settlements: gpd.GeoDataFrame | None
    people: People
    population: np.ndarray
    objective: Objective


def _gap(
    dataset: Dataset,
    area: _Area,
    service: str,
    params: CoverageParams,
    technology: str | None,
    radius: float,
    vintage: str,
    *,
    dem,
    terrain: TerrainParams,
    cache,
    notes: list,
    progress: Callable[[str], None],
    carrier: str | None = None,
) -> _Gap:
    """The existing coverage (circles, or the terrain model with ``dem``) and the people rule;
    the objective is people where every scope unit's population is known, else area (km²)."""
    tr = base_mask = None
    if dem is not None:
        tr = _terrain_reach(
            dem,
            area,
            terrain,
            service,
            radius,
            params,
            technology,
            cache,
            notes,
            progress,
            carrier=carrier,
        )
        base_mask = tr.existing(dataset, vintage)
        base = tr.areas(base_mask, area.zones)
    else:
        base = coverage.clipped_union(
            area.zones, existing_reach(dataset, service, params, area.crs, technology=technology)
        )
    settlements = (
        dataset.settlements.to_crs(area.crs)
        if dataset.settlements is not None and len(dataset.settlements)
        else None
    )
    people = People(area.zones, settlements, grid=grid_people(dataset, vintage))
    population = area.population
    if people.grid is not None and people.grid.population is not None:  # the grid's own total
        population = np.where(np.isfinite(population), population, people.grid.population)
    objective: Objective = "people" if np.isfinite(population[area.scope]).all() else "area"
    return _Gap(tr, base_mask, base, settlements, people, population, objective)


def _gains(gap: _Gap, area: _Area, reach_of, chosen: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """People and km² each chosen candidate adds, in rank order (exact figures)."""
    if gap.tr is None:
        return exact_gains(
            area.zones,
            area.zone_area,
            gap.population,
            area.scope,
            gap.base,
            gap.people,
            reach_of[chosen] if len(chosen) else np.array([], dtype=object),
        )
    return gap.tr.gains(
        area.zones,
        area.zone_area,
        gap.population,
        area.scope,
        gap.base_mask,
        gap.people,
        [reach_of[j] for j in chosen],
    )


def _uncovered(gap: _Gap, area: _Area) -> tuple[float, float]:
    """People (NaN for the area objective) and km² the existing sites leave uncovered in scope."""
    covered_people = gap.people.covered(gap.base, area.zone_area, gap.population)
    people = (
        float(np.nansum((gap.population - covered_people)[area.scope]))
        if gap.objective == "people"
        else np.nan
    )
    return people, float(((area.zone_area - shapely.area(gap.base)) / 1e6)[area.scope].sum())
