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

import dataclasses
import heapq
import itertools
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numba import njit, prange
from shapely import STRtree

from geo.analysis import coverage
from geo import i18n, settings
from geo.crs import WGS84, working_crs
from geo.errors import PhusongError
from geo.io.loading import Dataset
from geo.settings import CoverageParams, TerrainParams
from geo.analysis.walking import walk_kernel
from geo.analysis.vintages import communes_for_vintage

Service = Literal["bts", "loudspeaker", "support-point"]
SERVICES: tuple[str, ...] = ("bts", "loudspeaker", "support-point")
Solver = Literal["auto", "greedy", "exact"]
SOLVERS: tuple[str, ...] = ("auto", "greedy", "exact")
# Demand weight per km² added to every demand cell when people are maximised: a tie-break only
# (a person outweighs 10⁶ km²), so among equally populated choices the larger area wins.
AREA_TIE_BREAK_PER_KM2 = 1e-6
# Seconds CBC may take: with "auto" the app and CLI wait for it before falling back to greedy, so
# it is short (on the Đakrông default, 3 new BTS are proven optimal in about 3 s on two shared
# cores; 5 loudspeaker clusters took 25 s, 12 support points ran out); "exact" gets a minute.
AUTO_TIME_LIMIT_S = 20.0
EXACT_TIME_LIMIT_S = 60.0
Objective = Literal["people", "area"]

# Layer a new site of each service is added to, and the GapAnalysis column (without _pct/_pop)
# it raises; for BTS the column depends on the technology (covered_4g …).
SERVICE_LAYER = {"bts": "bts_sites", "loudspeaker": "loudspeakers",
                 "support-point": "internet_points"}
DEFAULT_TECHNOLOGY = "4G"
MAX_K = 500
# Candidate grid spacing: the service's reach, clamped (metres). 1 km for BTS (3 km 4G reach) and
# support points (2 km access), 300 m for loudspeaker clusters.
SPACING_CLAMP_M = (250.0, 1000.0)
# Demand cells (units without settlements): a third of the reach, clamped (metres): 500 m for BTS
# and support points, 100 m for loudspeaker clusters.
CELL_CLAMP_M = (100.0, 500.0)

# Hilltop candidates: local maxima over a HILLTOP_WINDOW_M square, the HILLTOPS_N most prominent
# (prominence approximated by the height above the lowest cell of that window).
HILLTOPS_N = 100
HILLTOP_WINDOW_M = 1500.0
# Consistency with geo.analysis.terrain.analyse_terrain: the plan's figures come from the same rasters
# (cell squares clipped to the units, settlements by the cell they lie in), so only the order of
# floating-point sums differs; candidates stand at their cell's centre, so the EPSG:4326 round
# trip of their coordinates cannot move them into the next cell. The tolerance is relative to the
# reported gain (1e-6), with an absolute floor of 1e-5 km² (a hundredth of a 30 m cell) for the
# area. A settlement lying exactly on a cell edge could be counted differently (never seen).
TERRAIN_REL_TOL = 1e-6
TERRAIN_ABS_TOL_KM2 = 1e-5

Reach = Callable[[np.ndarray, np.ndarray], np.ndarray]


class PlanError(PhusongError):
    """A planning request that cannot be carried out (every problem listed at once)."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        super().__init__("cannot plan:\n" + "\n".join(f"  - {p}" for p in self.problems))


# --- the sparse coverage matrix and the solvers --------------------------------------------------

@dataclass(frozen=True)
class CoverMatrix:
    """Candidate × demand boolean matrix in CSR form: candidate ``j`` covers demand
    ``indices[indptr[j]:indptr[j + 1]]``."""

    indptr: np.ndarray
    indices: np.ndarray
    n_demand: int

    @property
    def n_candidates(self) -> int:
        return len(self.indptr) - 1

    @classmethod
    def from_pairs(cls, cand: np.ndarray, demand: np.ndarray, n_candidates: int,
                   n_demand: int) -> CoverMatrix:
        """From unique (candidate, demand) index pairs."""
        cand, demand = np.asarray(cand, np.int64), np.asarray(demand, np.int64)
        order = np.lexsort((demand, cand))
        cand, demand = cand[order], demand[order]
        indptr = np.concatenate([[0], np.cumsum(np.bincount(cand, minlength=n_candidates))])
        return cls(indptr=indptr.astype(np.int64), indices=demand, n_demand=n_demand)

    @classmethod
    def from_dense(cls, dense: np.ndarray) -> CoverMatrix:
        """From a boolean candidate × demand array (tests, small cases)."""
        cand, demand = np.nonzero(np.asarray(dense, bool))
        return cls.from_pairs(cand, demand, dense.shape[0], dense.shape[1])

    def row(self, j: int) -> np.ndarray:
        return self.indices[self.indptr[j]:self.indptr[j + 1]]

    def gains(self, weights: np.ndarray, covered: np.ndarray | None = None) -> np.ndarray:
        """Marginal gain of every candidate: summed weight of the demand it covers not yet covered."""
        w = np.asarray(weights, float)
        if covered is not None:
            w = np.where(covered, 0.0, w)
        rows = np.repeat(np.arange(self.n_candidates), np.diff(self.indptr))
        return np.bincount(rows, weights=w[self.indices], minlength=self.n_candidates)

    def value(self, chosen: Sequence[int], weights: np.ndarray) -> float:
        """Summed weight of the demand covered by the ``chosen`` candidates."""
        hit = np.zeros(self.n_demand, bool)
        for j in chosen:
            hit[self.row(j)] = True
        return float(np.asarray(weights, float)[hit].sum())


def greedy(matrix: CoverMatrix, weights: np.ndarray, k: int, *,
           required: Sequence[np.ndarray] = ()) -> tuple[list[int], list[float]]:
    """Lazy greedy maximal covering: up to ``k`` candidates and the marginal gain of each.

    ``required`` lists candidate groups of which at least one member must be chosen (one per
    especially difficult commune lacking a support point); they are filled first, each time the
    group member with the largest marginal gain over all open groups (ties: lowest index). Then
    candidates are added by largest marginal gain (lazy evaluation: a stale gain is an upper bound
    by submodularity). Stops early when no candidate adds anything.
    """
    w = np.asarray(weights, float)
    covered = np.zeros(matrix.n_demand, bool)
    chosen: list[int] = []
    gains: list[float] = []

    def take(j: int, gain: float) -> None:
        chosen.append(int(j))
        gains.append(float(gain))
        covered[matrix.row(j)] = True

    open_groups = [np.asarray(g, np.int64) for g in required]
    while open_groups and len(chosen) < k:
        g_all = matrix.gains(w, covered)
        best = [(float(g_all[grp].max()), -int(grp[np.argmax(g_all[grp])]), i)
                for i, grp in enumerate(open_groups) if len(grp)]
        gain, neg_j, i = max(best)
        take(-neg_j, gain)
        open_groups = [grp for n, grp in enumerate(open_groups)
                       if n != i and not np.isin(grp, chosen).any()]

    start = matrix.gains(w, covered)
    taken = set(chosen)
    heap = [(-g, j) for j, g in enumerate(start) if g > 0 and j not in taken]
    heapq.heapify(heap)
    scale = max(float(start.max()) if len(start) else 0.0, 1.0)
    while heap and len(chosen) < k:
        _, j = heapq.heappop(heap)
        row = matrix.row(j)
        gain = float(w[row][~covered[row]].sum())
        if gain <= 0:
            continue
        if heap and gain < -heap[0][0] - 1e-12 * scale:
            heapq.heappush(heap, (-gain, j))  # stale: put back with its fresh gain
            continue
        take(j, gain)
    return chosen, gains


def exhaustive(matrix: CoverMatrix, weights: np.ndarray, k: int) -> tuple[tuple[int, ...], float]:
    """The best ``k``-subset by trying all of them (tests; tiny instances only)."""
    best, best_value = (), -1.0
    for subset in itertools.combinations(range(matrix.n_candidates), min(k, matrix.n_candidates)):
        value = matrix.value(subset, weights)
        if value > best_value + 1e-12:
            best, best_value = subset, value
    return best, best_value


def exact(matrix: CoverMatrix, weights: np.ndarray, k: int, *,
          required: Sequence[np.ndarray] = (), time_limit_s: float = 60.0
          ) -> tuple[list[int], bool]:
    """The maximal-covering integer programme solved by CBC (PuLP): at most ``k`` candidates, at
    least one of each ``required`` group, maximising the covered weight.

    Demand with the same covering candidates is merged into one variable. Returns the chosen
    candidates and whether CBC proved them optimal (False: best found within ``time_limit_s``).
    """
    import pulp

    w = np.asarray(weights, float)
    g0 = matrix.gains(w)
    useful = set(np.flatnonzero(g0 > 0).tolist())
    for grp in required:
        useful |= set(np.asarray(grp).tolist())
    # demand -> covering candidates (transpose of the CSR), merged by identical covering sets
    cand_of = np.repeat(np.arange(matrix.n_candidates), np.diff(matrix.indptr))
    order = np.lexsort((cand_of, matrix.indices))
    dem_sorted, cand_sorted = matrix.indices[order], cand_of[order]
    cuts = np.flatnonzero(np.diff(dem_sorted)) + 1
    merged: dict[tuple[int, ...], float] = {}
    for d, cands in zip(np.split(dem_sorted, cuts), np.split(cand_sorted, cuts)):
        if len(d) and w[d[0]] > 0:
            key = tuple(cands.tolist())
            merged[key] = merged.get(key, 0.0) + float(w[d[0]])

    prob = pulp.LpProblem("max_covering", pulp.LpMaximize)
    x = {j: prob.add_variable(f"x{j}", cat="Binary") for j in sorted(useful)}
    y = [prob.add_variable(f"y{i}", lowBound=0, upBound=1) for i in range(len(merged))]
    prob += pulp.lpSum(weight * yi for (_, weight), yi in zip(merged.items(), y))
    prob += pulp.lpSum(x.values()) <= k
    for (cands, _), yi in zip(merged.items(), y):
        prob += yi <= pulp.lpSum(x[j] for j in cands)
    for grp in required:
        prob += pulp.lpSum(x[int(j)] for j in grp) >= 1
    with warnings.catch_warnings():  # PuLP 3.3 flags its bundled CBC for removal in 4.0 (pinned <4)
        warnings.simplefilter("ignore", DeprecationWarning)
        solver = pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s)
    prob.solve(solver)
    if prob.status != pulp.LpStatusOptimal and prob.sol_status not in (
            pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        raise PlanError([f"the exact solver found no solution within {time_limit_s:g} s "
                         f"(status {pulp.LpStatus[prob.status]}); use the greedy solver"])
    chosen = [j for j, v in x.items() if (v.value() or 0) > 0.5]
    return chosen, prob.sol_status == pulp.LpSolutionOptimal


def _solve(matrix: CoverMatrix, weights: np.ndarray, k: int, required: Sequence[np.ndarray],
           solver: str, time_limit_s: float, notes: list) -> tuple[list[int], bool | None, str]:
    """Chosen candidates, whether proven optimal (None for greedy) and the solver that chose them.

    "auto": the exact programme within ``time_limit_s``; when CBC runs out of time (or finds
    nothing) the lazy greedy runs too and the better answer is kept; a note says which.
    """
    if solver == "greedy":
        return greedy(matrix, weights, k, required=required)[0], None, "greedy"
    try:
        chosen, optimal = exact(matrix, weights, k, required=required, time_limit_s=time_limit_s)
        chosen = _rank(matrix, weights, chosen, required, drop_idle=solver == "auto")
    except PlanError:
        if solver == "exact":
            raise
        chosen, optimal = None, False
    if solver == "exact" or optimal:
        if solver == "auto":
            notes.append(i18n.note("plan_auto_exact"))
        return chosen, optimal, "exact"
    fallback = greedy(matrix, weights, k, required=required)[0]
    if chosen is None or matrix.value(fallback, weights) > matrix.value(chosen, weights):
        notes.append(i18n.note("plan_auto_greedy", decimals=0, seconds=float(time_limit_s)))
        return fallback, None, "greedy"
    notes.append(i18n.note("plan_auto_best", decimals=0, seconds=float(time_limit_s)))
    return chosen, False, "exact"


def _rank(matrix: CoverMatrix, weights: np.ndarray, chosen: list[int],
          required: Sequence[np.ndarray], *, drop_idle: bool = False) -> list[int]:
    """Order a chosen set as greedy would (required groups first), for meaningful ranks; with
    ``drop_idle`` leave out the chosen sites that add nothing after the others."""
    sub = CoverMatrix.from_pairs(
        np.concatenate([np.full(len(matrix.row(j)), i) for i, j in enumerate(chosen)] or [[]]),
        np.concatenate([matrix.row(j) for j in chosen] or [[]]), len(chosen), matrix.n_demand)
    pos = {j: i for i, j in enumerate(chosen)}
    groups = [np.array([pos[j] for j in grp if j in pos]) for grp in required]
    order, _ = greedy(sub, weights, len(chosen), required=[g for g in groups if len(g)])
    rest = [] if drop_idle else [i for i in range(len(chosen)) if i not in order]
    return [chosen[i] for i in order + rest]


# --- the plan --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Plan:
    """Proposed new sites and how they were chosen.

    Attributes
    ----------
    sites : GeoDataFrame in the working CRS, one row per proposed site in rank order: ``rank``
        (1 = first), ``site_id``, ``code`` and ``name`` of the unit it stands in, ``mandatory``
        (a Circular 03 support point for a unit lacking one), ``people_new`` and ``area_new_km2``
        (newly covered within the chosen units, given the sites ranked before it; people NaN where
        population is unknown), ``people_cum``, ``area_cum_km2``.
    layer : the new rows for the dataset layer of the service, EPSG:4326 (see :func:`with_sites`).
    service, k, carrier, technology, vintage : the request.
    params : coverage parameters to analyse the dataset with before and after (for BTS, the
        carrier filter is the requested carrier and every technology counts).
    column : the GapAnalysis column the sites raise (``covered_4g``, ``loudspeaker_covered``,
        ``internet_access``): ``<column>_pop`` and ``<column>_pct``.
    objective : "people" or "area" (km²), what the solver maximised.
    solver : "greedy" or "exact"; optimal : whether the exact solver proved optimality.
    scope : codes of the units whose gap counts.
    uncovered_people, uncovered_area_km2 : the gap before, within the scope.
    n_candidates, n_demand : size of the coverage matrix; nnz its non-zeros.
    notes : things a reader should know (stopped early, fewer sites than asked …).
    timings_s : seconds per step.
    model : "circle", or "terrain" (line of sight / walking time on a DEM; analyse before and
        after with :func:`geo.analysis.terrain.analyse_terrain` and ``terrain``, see :func:`compare`).
    terrain : the terrain parameters of a "terrain" plan.
    """

    sites: gpd.GeoDataFrame
    layer: gpd.GeoDataFrame
    service: str
    k: int
    carrier: str | None
    technology: str | None
    vintage: str
    params: CoverageParams
    column: str
    objective: str
    solver: str
    optimal: bool | None
    scope: tuple[str, ...]
    uncovered_people: float
    uncovered_area_km2: float
    n_candidates: int
    n_demand: int
    nnz: int
    notes: tuple[str, ...] = ()
    timings_s: dict[str, float] = field(default_factory=dict)
    model: str = "circle"
    terrain: TerrainParams | None = None

    @property
    def people_new(self) -> float:
        return float(self.sites["people_new"].sum(min_count=1)) if len(self.sites) else 0.0

    @property
    def area_new_km2(self) -> float:
        return float(self.sites["area_new_km2"].sum()) if len(self.sites) else 0.0


def default_spacing_m(radius_m: float) -> float:
    """Default candidate grid spacing for a reach of ``radius_m`` (metres)."""
    return float(np.clip(radius_m, *SPACING_CLAMP_M))


def default_cell_m(radius_m: float) -> float:
    """Default demand cell size for a reach of ``radius_m`` (metres)."""
    return float(np.clip(radius_m / 3, *CELL_CLAMP_M))


def plan_params(params: CoverageParams, service: str, carrier: str | None = None) -> CoverageParams:
    """The parameters to analyse with for a plan: for BTS only ``carrier``'s sites count (every
    carrier's when None) and every technology counts (the plan's technology picks the column)."""
    if service != "bts":
        return params
    return replace(params, carriers=(carrier,) if carrier else (), technologies=())


def covered_column(service: str, technology: str | None = None) -> str:
    """The GapAnalysis column (without ``_pct``/``_pop``) a new site of ``service`` raises."""
    if service == "bts":
        return f"covered_{(technology or DEFAULT_TECHNOLOGY).lower()}"
    return {"loudspeaker": "loudspeaker_covered", "support-point": "internet_access"}[service]


def service_radius_m(service: str, params: CoverageParams, *, carrier: str | None = None,
                     technology: str | None = None) -> float:
    """Reach of one new site of ``service`` (metres), as :mod:`geo.analysis.coverage` computes it."""
    if service == "bts":
        return params.radius_for(technology or DEFAULT_TECHNOLOGY, carrier or "other")
    if service == "loudspeaker":
        return params.loudspeaker_radius_for("cluster")
    return float(params.internet_access_m)


def plan(dataset: Dataset, *, service: str, k: int, carrier: str | None = None,
         technology: str | None = None, vintage: str = "legacy",
         params: CoverageParams = CoverageParams(), communes: Sequence[str] | None = None,
         exclude: gpd.GeoDataFrame | None = None, extra_candidates: gpd.GeoDataFrame | None = None,
         spacing_m: float | None = None, cell_m: float | None = None,
         settlement_candidates: bool = True, solver: str = "auto",
         time_limit_s: float | None = None, reach: Reach = coverage.reach_discs,
         dem=None, terrain: TerrainParams = TerrainParams(), cache=None,
         hilltops_n: int = HILLTOPS_N,
         progress: Callable[[str], None] = lambda message: None) -> Plan:
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
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = now - clock
        clock = now

    if time_limit_s is None:
        time_limit_s = AUTO_TIME_LIMIT_S if solver == "auto" else EXACT_TIME_LIMIT_S
    _validate(service=service, k=k, carrier=carrier, technology=technology, vintage=vintage,
              solver=solver, spacing_m=spacing_m, cell_m=cell_m, exclude=exclude,
              extra_candidates=extra_candidates, time_limit_s=time_limit_s)
    technology = (technology or DEFAULT_TECHNOLOGY) if service == "bts" else None
    aparams = plan_params(params, service, carrier)
    units = communes_for_vintage(dataset.communes, vintage)
    crs = working_crs(units)
    units = units.to_crs(crs).reset_index(drop=True)
    codes = units["code"].astype(str).to_numpy()
    if communes:
        unknown = sorted(set(map(str, communes)) - set(codes))
        if unknown:
            raise PlanError([f"unknown commune code(s) {', '.join(unknown)} for vintage "
                             f"{vintage!r}; codes are {', '.join(codes)}"])
    scope = np.isin(codes, list(map(str, communes))) if communes else np.ones(len(units), bool)
    zones = units.geometry.to_numpy()
    zone_area = shapely.area(zones)
    population = units["population"].to_numpy(float)
    radius = service_radius_m(service, aparams, carrier=carrier, technology=technology)
    spacing = float(spacing_m) if spacing_m else default_spacing_m(radius)
    cell = float(cell_m) if cell_m else default_cell_m(radius)

    notes: list[i18n.Note] = []
    tr = None
    if dem is not None:
        from geo.analysis import terrain as terrain_model

        if not dem.crs.equals(crs):
            raise PlanError([f"the DEM is in {dem.crs.name} but planning works in {crs.name}; read "
                             "it with crs= the working CRS (geo.analysis.terrain.dem_area)"])
        progress("terrain model: existing coverage over the DEM")
        tr = _TerrainReach(dem, terrain, service, radius, aparams, technology, cache)
        base_mask = tr.existing(dataset, vintage)
        base = terrain_model.raster_areas(base_mask, dem.transform, zones)
        if service == "support-point":
            notes.append(i18n.note("plan_walk", decimals=1, minutes=float(terrain.internet_walk_min)))
        else:
            h = terrain.bts_height_m if service == "bts" else terrain.loudspeaker_height_m
            to = terrain.handset_height_m if service == "bts" else terrain.listener_height_m
            notes.append(i18n.note("plan_sight", decimals=1, h=float(h), to=float(to),
                                   radius=int(round(radius))))
    else:
        base = coverage.clipped_union(zones, _existing_reach(dataset, service, aparams, crs,
                                                              technology=technology))
    settlements = (dataset.settlements.to_crs(crs) if dataset.settlements is not None
                   and len(dataset.settlements) else None)
    people = _People(zones, settlements, grid=_grid_people(dataset, vintage))
    if people.grid is not None and people.grid.population is not None:  # the grid's own total
        population = np.where(np.isfinite(population), population, people.grid.population)
    objective: Objective = "people" if np.isfinite(population[scope]).all() else "area"
    lap("existing coverage")

    # --- candidates
    progress("candidates")
    extra = extra_candidates
    if tr is not None and hilltops_n > 0:
        tops = hilltops(dem, n=hilltops_n, zones=zones)
        if len(tops):
            parts = ([extra.to_crs(crs).geometry.to_numpy()] if extra is not None else []) \
                + [tops.geometry.to_numpy()]
            extra = gpd.GeoDataFrame(geometry=np.concatenate(parts), crs=crs)
            notes.append(i18n.note("hilltops", n=len(tops)))
    cand_pts, cand_zone, zone_pairs = _candidates(
        units, settlements if settlement_candidates else None, extra, exclude, crs, spacing,
        snap=None if tr is None else tr.snap)
    if len(cand_pts) == 0:
        raise PlanError(["no candidate site is left inside the area (is the exclusion layer "
                         "covering everything?)"])
    if tr is None:
        cand_reach = reach(cand_pts, np.full(len(cand_pts), radius))
        lap("candidates")
    else:
        lap("candidates")
        progress(f"terrain model: reach of {len(cand_pts)} candidates")
        windows = tr.windows(cand_pts)
        lap("viewsheds" if service != "support-point" else "walking times")

    # --- demand
    progress(f"demand ({objective})")
    dem_pts, dem_w = _demand(zones, zone_area, population, scope, base, people, objective, cell)
    lap("demand")

    # --- coverage matrix: one STRtree query of demand points against reach polygons
    progress(f"coverage matrix: {len(cand_pts)} candidates × {len(dem_pts)} demand points")
    # (the reach polygons are the query side: shapely prepares them, the points sit in the tree)
    if len(dem_pts) and tr is None:
        c_idx, d_idx = STRtree(dem_pts).query(cand_reach, predicate="intersects")
    elif len(dem_pts):
        # candidates near each demand point (a cell's diagonal beyond the reach: paint measures
        # from cell centres), then the cell's bit in the candidate's window
        far = (tr.walk_limit_m() if service == "support-point" else radius) \
            + 2 * max(tr.cell_x, tr.cell_y)
        c_idx, d_idx = STRtree(dem_pts).query(cand_pts, predicate="dwithin", distance=far)
        from geo.analysis import terrain as terrain_model

        d_rows, d_cols = terrain_model.observer_cell(dem, shapely.get_x(dem_pts),
                                                     shapely.get_y(dem_pts))
        keep = tr.covers(windows, c_idx, d_rows[d_idx], d_cols[d_idx])
        c_idx, d_idx = c_idx[keep], d_idx[keep]
    else:
        d_idx = c_idx = np.array([], np.int64)
    matrix = CoverMatrix.from_pairs(c_idx, d_idx, len(cand_pts), len(dem_pts))
    lap("matrix")

    # --- support points required by Circular 03
    required: list[np.ndarray] = []
    if service == "support-point":
        lacking = _lacking_c03(dataset, units, crs) & scope
        for z in np.flatnonzero(lacking):
            group = zone_pairs[1][zone_pairs[0] == z]
            if not len(group):
                raise PlanError([f"no candidate site inside {units['name'].iloc[z]} "
                                 f"({codes[z]}), which needs a Circular 03 support point: "
                                 "the exclusion layer covers it"])
            required.append(np.unique(group))
        if len(required) > k:
            names = ", ".join(f"{units['name'].iloc[z]} ({codes[z]})" for z in np.flatnonzero(lacking))
            raise PlanError([f"k = {k} is less than the {len(required)} especially difficult "
                             f"communes lacking a support point ({names}); use --k {len(required)} "
                             "or more"])

    # --- solve
    progress(f"solving ({solver}, k = {k})")
    solver_notes: list[i18n.Note] = []
    chosen, optimal, solver = _solve(matrix, dem_w, k, required, solver, time_limit_s, solver_notes)
    lap("solve")
    if len(chosen) < k:
        notes.append(i18n.note("fewer_sites", n=len(chosen), rest=k - len(chosen)))
    notes += solver_notes

    # --- exact figures per site, in rank order
    progress("figures per site")
    chosen = np.asarray(chosen, np.int64)
    if tr is None:
        gains = _exact_gains(zones, zone_area, population, scope, base, people,
                             cand_reach[chosen] if len(chosen) else np.array([], dtype=object))
    else:
        gains = tr.gains(zones, zone_area, population, scope, base_mask, people,
                         [windows[j] for j in chosen])
    mandatory = np.zeros(len(chosen), bool)
    for grp in required:
        hit = np.flatnonzero(np.isin(chosen, grp))
        if len(hit):
            mandatory[hit[0]] = True
    rank = np.arange(1, len(chosen) + 1)
    zone_of = cand_zone[chosen] if len(chosen) else np.array([], np.int64)
    sites = gpd.GeoDataFrame({
        "rank": rank,
        "site_id": [f"PLAN-{r:02d}" for r in rank],
        "code": codes[zone_of],
        "name": units["name"].to_numpy()[zone_of],
        "mandatory": mandatory,
        "people_new": gains[0],
        "area_new_km2": gains[1],
        "people_cum": np.cumsum(gains[0]),
        "area_cum_km2": np.cumsum(gains[1]),
    }, geometry=cand_pts[chosen] if len(chosen) else [], crs=crs)
    layer = _new_layer(sites, service, carrier=carrier, technology=technology)
    lap("figures")

    covered_people = people.covered(base, zone_area, population)
    uncovered_people = float(np.nansum((population - covered_people)[scope])) \
        if objective == "people" else np.nan
    uncovered_area = float(((zone_area - shapely.area(base)) / 1e6)[scope].sum())
    return Plan(sites=sites, layer=layer, service=service, k=int(k), carrier=carrier,
                technology=technology, vintage=vintage, params=aparams,
                column=covered_column(service, technology), objective=objective, solver=solver,
                optimal=optimal, scope=tuple(codes[scope]), uncovered_people=uncovered_people,
                uncovered_area_km2=uncovered_area, n_candidates=len(cand_pts),
                n_demand=len(dem_pts), nnz=len(matrix.indices), notes=tuple(notes),
                timings_s=timings, model="circle" if tr is None else "terrain",
                terrain=None if tr is None else terrain)


def lacking_support_points(dataset: Dataset, *, vintage: str = "legacy") -> list[str]:
    """Codes of the especially difficult units (of ``vintage``) without a Circular 03 support
    point: a support-point plan needs at least this many sites."""
    units = communes_for_vintage(dataset.communes, vintage)
    crs = working_crs(units)
    units = units.to_crs(crs).reset_index(drop=True)
    return list(units["code"].astype(str).to_numpy()[_lacking_c03(dataset, units, crs)])


# --- terrain: line of sight (and walking time) on a DEM ------------------------------------------



def hilltops(dem, *, n: int = HILLTOPS_N, window_m: float = HILLTOP_WINDOW_M,
             zones: np.ndarray | None = None) -> gpd.GeoDataFrame:
    """Up to ``n`` hilltops of ``dem``: cells that are the highest of the ``window_m`` square around
    them (a ``maximum_filter``), ranked by prominence, approximated as the height above
    the lowest cell of that square (ties: higher first, then row-major). Only cells inside
    ``zones`` (polygons, DEM CRS) when given; flat ground (prominence 0) is never a hilltop.
    Returns points at cell centres (DEM CRS) with ``elevation_m`` and ``prominence_m``."""
    z = dem.elevation_m.astype(float)
    size = max(3, int(round(window_m / dem.cell_m)) | 1)
    filled = np.where(np.isfinite(z), z, -np.inf)
    peak = (_square_filter(filled, size, np.maximum) == filled) & np.isfinite(z)
    low = _square_filter(np.where(np.isfinite(z), z, np.inf), size, np.minimum)
    prominence = np.where(peak, z - low, 0.0)
    if zones is not None and len(zones):
        from rasterio import features

        inside = features.geometry_mask(zones, dem.shape, dem.transform, invert=True)
        prominence = np.where(inside, prominence, 0.0)
    rows, cols = np.nonzero(prominence > 0)
    order = np.lexsort((cols, rows, -z[rows, cols], -prominence[rows, cols]))[:n]
    rows, cols = rows[order], cols[order]
    t = dem.transform
    x, y = t.c + (cols + 0.5) * t.a, t.f + (rows + 0.5) * t.e
    return gpd.GeoDataFrame({"elevation_m": z[rows, cols], "prominence_m": prominence[rows, cols]},
                            geometry=shapely.points(x, y), crs=dem.crs)


_WALK_BATCH = 64


@njit(cache=True, parallel=True)
def _walk_batch(padded, rows, cols, half, cell_x, cell_y, max_s, vmax_ms, out):  # pragma: no cover
    """geo.analysis.terrain.walk_kernel from each (row, col) alone, on its window of ``padded``, in parallel."""
    size = 2 * half + 1
    src = np.array([half], dtype=np.int64)
    for k in prange(len(rows)):
        window = padded[rows[k]:rows[k] + size, cols[k]:cols[k] + size]
        walk_kernel(window, src, src, cell_x, cell_y, max_s, vmax_ms, out[k])


def _square_filter(a: np.ndarray, size: int, reduce) -> np.ndarray:
    """Max or min (``np.maximum`` / ``np.minimum`` as ``reduce``) over the ``size`` × ``size``
    square around each cell, edges repeated (scipy.ndimage.maximum_filter / minimum_filter, mode
    "nearest"; scipy is not a dependency): separable, and along each axis the window of a power
    of two p ≤ size is built by doubling, then two such windows overlap to cover ``size``."""
    half = size // 2
    p = 1 << (size.bit_length() - 1)
    for axis in (0, 1):
        pad = [(0, 0), (0, 0)]
        pad[axis] = (half, half)
        padded = np.pad(a, pad, mode="edge")
        m, width = padded, 1
        while width < p:  # m[i] = reduce over [i, i + 2 width)
            n = m.shape[axis] - width
            m = reduce(np.take(m, np.arange(n), axis=axis),
                       np.take(m, np.arange(width, width + n), axis=axis))
            width *= 2
        n = a.shape[axis]
        a = reduce(np.take(m, np.arange(n), axis=axis),
                   np.take(m, np.arange(size - p, size - p + n), axis=axis))
    return a


class _TerrainReach:
    """What the service's sites reach over a DEM, exactly as :mod:`geo.analysis.terrain` computes it.

    BTS: line of sight from the antenna (``height_m`` or ``terrain.bts_height_m``) to a handset
    (``terrain.handset_height_m``) within the technology's radius; loudspeakers: from the horn to a
    listener within the reach radius; support points: at most ``terrain.internet_walk_min``
    minutes' walk (Tobler). A candidate's reach is a :class:`geo.analysis.terrain.Viewshed` window (for
    walking, a window of the cells within the limit), cut to the radius the way
    :func:`geo.analysis.terrain.paint` cuts it.
    """

    def __init__(self, dem, terrain_params, service: str, radius: float, params: CoverageParams,
                 technology: str | None, cache):
        self.dem, self.tp, self.service = dem, terrain_params, service
        self.radius, self.params, self.technology, self.cache = radius, params, technology, cache
        self.cell_x, self.cell_y = float(dem.transform.a), float(-dem.transform.e)

    # existing sites ------------------------------------------------------------------------
    def existing(self, dataset: Dataset, vintage: str) -> np.ndarray:
        """Bool raster of what the existing sites reach (terrain_coverage's layer)."""
        from geo.analysis import gaps, terrain

        prepared = gaps.prepare(dataset, vintage=vintage, params=self.params)
        dem, tp = self.dem, self.tp
        if self.service == "support-point":
            inet = prepared.internet_points
            minutes = terrain.walking_minutes(dem, inet.geometry.x.to_numpy() if len(inet) else [],
                                              inet.geometry.y.to_numpy() if len(inet) else [],
                                              max_minutes=tp.internet_walk_min)
            return minutes <= tp.internet_walk_min
        if self.service == "loudspeaker":
            loud = prepared.loudspeakers
            radius = coverage.loudspeaker_radius_m(loud, self.params)
            sheds = terrain.viewsheds(
                dem, loud.geometry.x.to_numpy() if len(loud) else [],
                loud.geometry.y.to_numpy() if len(loud) else [],
                observer_height_m=terrain.site_heights(loud, tp.loudspeaker_height_m),
                target_height_m=tp.listener_height_m, radius_m=radius,
                curvature_coeff=tp.sound_curvature_coeff, cache=self.cache)
            return terrain.paint(dem, sheds, radius[None, :])[0] > 0
        bts = prepared.bts
        if not len(bts):
            return np.zeros(dem.shape, bool)
        sheds = terrain.viewsheds(
            dem, bts.geometry.x.to_numpy(), bts.geometry.y.to_numpy(),
            observer_height_m=terrain.site_heights(bts, tp.bts_height_m),
            target_height_m=tp.handset_height_m,
            radius_m=coverage.site_radius_m(bts, self.params),
            curvature_coeff=tp.curvature_coeff, cache=self.cache)
        layer = coverage.site_radius_m(bts, self.params, technology=self.technology)
        return terrain.paint(dem, sheds, layer[None, :])[0] > 0

    # candidates --------------------------------------------------------------------------------
    def windows(self, pts: np.ndarray) -> list:
        """One reach window per candidate point (None: outside the DEM, on a void)."""
        from geo.analysis import terrain

        x, y = shapely.get_x(pts), shapely.get_y(pts)
        if self.service == "support-point":
            return self._walk_windows(x, y)
        if self.service == "loudspeaker":
            h, target, cc = (self.tp.loudspeaker_height_m, self.tp.listener_height_m,
                             self.tp.sound_curvature_coeff)
        else:
            h, target, cc = self.tp.bts_height_m, self.tp.handset_height_m, self.tp.curvature_coeff
        return terrain.viewsheds(self.dem, x, y, observer_height_m=h, target_height_m=target,
                                 radius_m=self.radius, curvature_coeff=cc, cache=self.cache)

    def snap(self, pts: np.ndarray) -> np.ndarray:
        """Points moved to the centre of their DEM cell (those outside the DEM stay): a proposed
        site stands where it was modelled, and the EPSG:4326 round trip of its coordinates
        (≈1e-9 m) cannot move it into the next cell, as it could from a cell edge."""
        from geo.analysis import terrain

        x, y = shapely.get_x(pts), shapely.get_y(pts)
        rows, cols = terrain.observer_cell(self.dem, x, y)
        t = self.dem.transform
        ok = rows >= 0
        x = np.where(ok, t.c + (cols + 0.5) * t.a, x)
        y = np.where(ok, t.f + (rows + 0.5) * t.e, y)
        return shapely.points(x, y)

    def walk_limit_m(self) -> float:
        """Farthest a walk within the time limit can go (Tobler's top speed), metres."""
        return settings.TOBLER_MAX_KMH / 3.6 * self.tp.internet_walk_min * 60.0

    def _walk_windows(self, x: np.ndarray, y: np.ndarray) -> list:
        """Walking reach of each point: geo.analysis.terrain's Dijkstra (``_walk``) from the point alone, on
        the window of cells a walk within the limit can reach (every cell of such a walk lies in
        it too, so the times equal the full grid's), several points in parallel."""
        from geo.analysis import terrain

        dem = self.dem
        z = dem.elevation_m
        rows, cols = terrain.observer_cell(dem, x, y)
        ok = np.flatnonzero((rows >= 0) & np.isfinite(z[np.maximum(rows, 0), np.maximum(cols, 0)]))
        half = int(np.ceil(self.walk_limit_m() / min(self.cell_x, self.cell_y))) + 2
        size = 2 * half + 1
        # NaN around the grid: impassable, as outside the grid is, so every window has one size
        padded = np.pad(z, half, constant_values=np.nan)
        limit = self.tp.internet_walk_min
        out: list = [None] * len(x)
        for start in range(0, len(ok), _WALK_BATCH):
            idx = ok[start:start + _WALK_BATCH]
            times = np.full((len(idx), size, size), np.inf)
            _walk_batch(padded, rows[idx].astype(np.int64), cols[idx].astype(np.int64), half,
                        self.cell_x, self.cell_y, limit * 60.0,
                        settings.TOBLER_MAX_KMH / 3.6, times)
            for k, i in enumerate(idx):
                row, col = int(rows[i]), int(cols[i])
                r0, c0 = max(row - half, 0), max(col - half, 0)
                r1, c1 = min(row + half + 1, dem.shape[0]), min(col + half + 1, dem.shape[1])
                mask = times[k, r0 - row + half:r1 - row + half, c0 - col + half:c1 - col + half] \
                    / 60.0 <= limit
                out[i] = terrain.Viewshed(np.packbits(mask, axis=1), r1 - r0, c1 - c0, r0, c0, row,
                                          col, float("inf"))
        return out

    def covers(self, windows: list, c_idx: np.ndarray, rows: np.ndarray,
               cols: np.ndarray) -> np.ndarray:
        """For (candidate, demand cell) pairs, whether the candidate's window reaches the cell."""
        ok = np.array([w is not None for w in windows], bool)
        if not ok.any() or not len(c_idx):
            return np.zeros(len(c_idx), bool)
        meta = np.array([[w.row0, w.col0, w.rows, w.cols, w.orow, w.ocol, w.bits.shape[1]]
                         if w is not None else [0, 0, 0, 0, 0, 0, 0] for w in windows], np.int64)
        radius = np.array([w.radius_m if w is not None else 0.0 for w in windows])
        sizes = np.array([w.bits.size if w is not None else 0 for w in windows], np.int64)
        offset = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        flat = np.concatenate([w.bits.ravel() for w in windows if w is not None])
        m = meta[c_idx]
        rr, cc = rows - m[:, 0], cols - m[:, 1]
        inside = ok[c_idx] & (rows >= 0) & (rr >= 0) & (cc >= 0) & (rr < m[:, 2]) & (cc < m[:, 3])
        rr, cc = np.where(inside, rr, 0), np.where(inside, cc, 0)
        byte = flat[np.where(inside, offset[c_idx] + rr * m[:, 6] + (cc >> 3), 0)]
        bit = (byte >> (7 - (cc & 7))) & 1
        dy = (rows - m[:, 4]) * self.cell_y
        dx = (cols - m[:, 5]) * self.cell_x
        near = dx * dx + dy * dy <= radius[c_idx] ** 2  # paint's cut (inf for walking)
        return inside & (bit == 1) & near

    def mask(self, w) -> np.ndarray:
        """A window's reached cells (bool, window shape), cut to the radius as paint cuts it."""
        vis = w.visible()
        if np.isfinite(w.radius_m):
            ii, jj = np.ogrid[:w.rows, :w.cols]
            dy = (w.row0 + ii - w.orow) * self.cell_y
            dx = (w.col0 + jj - w.ocol) * self.cell_x
            vis &= dx * dx + dy * dy <= w.radius_m ** 2
        return vis

    def gains(self, zones, zone_area, population, scope, base_mask: np.ndarray, people,
              chosen_windows: list) -> tuple[np.ndarray, np.ndarray]:
        """People and km² each chosen window adds within the scope units, in order, from the
        rasters (as :func:`_exact_gains` does from polygons, without unions of cell squares).

        A unit's covered area is the area of its covered cells' squares clipped to it (as
        :func:`geo.analysis.terrain.raster_areas` makes it): cells away from every unit boundary count
        whole for the unit holding their centre, the others are clipped exactly. A settlement is
        covered when its cell is; units without settlements count people by area share.
        """
        from rasterio import features

        from geo.analysis import terrain

        dem = self.dem
        shape, t = dem.shape, dem.transform
        cell_area = abs(t.a * t.e)
        zone_id = features.rasterize([(z, i + 1) for i, z in enumerate(zones)], out_shape=shape,
                                     transform=t, fill=0, all_touched=False, dtype="int32") - 1
        edge = features.rasterize([(b, 1) for b in shapely.boundary(zones)], out_shape=shape,
                                  transform=t, fill=0, all_touched=True, dtype="uint8").astype(bool)
        grown = edge.copy()  # one cell more around every boundary: those are clipped exactly
        grown[1:] |= edge[:-1]
        grown[:-1] |= edge[1:]
        grown[:, 1:] |= grown[:, :-1].copy()
        grown[:, :-1] |= grown[:, 1:].copy()
        tree = STRtree(zones)
        pair_ok = people.has[people.pair_zone] & scope[people.pair_zone] if len(people.pair_zone) \
            else np.zeros(0, bool)
        pts = people.points[people.pair_pt] if len(people.pair_pt) else np.array([], dtype=object)
        pr, pc = terrain.observer_cell(dem, shapely.get_x(pts), shapely.get_y(pts))
        pair_in = pr >= 0
        covered = base_mask.copy()
        people_new = np.zeros(len(chosen_windows))
        area_new = np.zeros(len(chosen_windows))
        # With a population grid, people follow geo.analysis.gaps' rule on the covered polygons the terrain
        # analysis makes from the same mask (terrain.raster_areas), so the two agree.
        grid_geoms = terrain.raster_areas(covered, t, zones) if people.grid is not None else None
        for r, w in enumerate(chosen_windows):
            if w is None:
                continue
            sub = covered[w.row0:w.row0 + w.rows, w.col0:w.col0 + w.cols]
            new = self.mask(w) & ~sub
            ii, jj = np.nonzero(new)
            ii, jj = ii + w.row0, jj + w.col0
            d_area = np.zeros(len(zones))
            inner = ~grown[ii, jj] & (zone_id[ii, jj] >= 0)
            d_area += np.bincount(zone_id[ii[inner], jj[inner]], minlength=len(zones)) * cell_area
            bi, bj = ii[~inner], jj[~inner]
            if len(bi):
                boxes = shapely.box(t.c + bj * t.a, t.f + (bi + 1) * t.e,
                                    t.c + (bj + 1) * t.a, t.f + bi * t.e)
                b_idx, z_idx = tree.query(boxes, predicate="intersects")
                d_area += np.bincount(z_idx, weights=shapely.area(
                    shapely.intersection(boxes[b_idx], zones[z_idx])), minlength=len(zones))
            was = np.zeros(len(pr), bool)
            was[pair_in] = covered[pr[pair_in], pc[pair_in]]
            sub |= new
            now = np.zeros(len(pr), bool)
            now[pair_in] = covered[pr[pair_in], pc[pair_in]]
            d_area = np.where(scope, d_area, 0.0)
            if grid_geoms is not None:
                after = terrain.raster_areas(covered, t, zones)
                d_people = (people.covered(after, zone_area, population)
                            - people.covered(grid_geoms, zone_area, population))
                people_new[r] = float(np.nansum(d_people[scope]))
                area_new[r] = d_area.sum() / 1e6
                grid_geoms = after
                continue
            share = d_area / np.where(zone_area > 0, zone_area, np.nan)
            touched = d_area > 0
            if len(pr):
                gained = pair_ok & now & ~was
                d_people = np.bincount(people.pair_zone[gained],
                                       weights=people.pop[people.pair_pt[gained]],
                                       minlength=len(zones))
                share = np.where(people.has, d_people / np.where(people.has, people.total, 1),
                                 share)
                touched |= d_people > 0
            touched &= scope
            area_new[r] = d_area.sum() / 1e6
            people_new[r] = float(np.sum(population[touched] * share[touched]))
        return people_new, area_new


def with_sites(dataset: Dataset, plan_: Plan) -> Dataset:
    """A copy of ``dataset`` with the plan's sites appended to the service's layer (EPSG:4326).

    Existing rows are kept as they are, in their order, before the new ones.
    """
    name = SERVICE_LAYER[plan_.service]
    layer = getattr(dataset, name)
    new = plan_.layer.to_crs(layer.crs) if layer.crs is not None else plan_.layer
    extra = ("geometry", "proposed_rank", "people_new", "area_new_km2")
    combined = pd.concat([layer, new[[c for c in new.columns if c in layer.columns or c in extra]]],
                         ignore_index=True)
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
        return (terrain.analyse_terrain(dataset, dem, **kw),
                terrain.analyse_terrain(with_sites(dataset, plan_), dem, **kw))
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
            problems.append(f"{what} newly covered: plan says {reported:.6f}, the analysis "
                            f"{measured:.6f}")
    return problems


# --- helpers -------------------------------------------------------------------------------------

def _validate(*, service, k, carrier, technology, vintage, solver, spacing_m, cell_m, exclude,
              extra_candidates, time_limit_s) -> None:
    problems = []
    if service not in SERVICES:
        problems.append(f"service must be one of {', '.join(SERVICES)}; got {service!r}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= MAX_K:
        problems.append(f"k must be a whole number from 1 to {MAX_K}; got {k!r}")
    if carrier is not None and carrier not in settings.CARRIERS:
        problems.append(f"carrier must be one of {', '.join(settings.CARRIERS)}; got {carrier!r}")
    for name, value in (("carrier", carrier), ("technology", technology)):
        if value is not None and service in SERVICES and service != "bts":
            problems.append(f"a {name} only applies to BTS sites, not to {service!r}")
    if technology is not None and technology not in settings.TECHNOLOGIES:
        problems.append(f"technology must be one of {', '.join(settings.TECHNOLOGIES)}; "
                        f"got {technology!r}")
    if vintage not in settings.VINTAGES:
        problems.append(f"vintage must be one of {', '.join(settings.VINTAGES)}; got {vintage!r}")
    if solver not in SOLVERS:
        problems.append(f"solver must be one of {', '.join(SOLVERS)}; got {solver!r}")
    for name, value in (("spacing_m", spacing_m), ("cell_m", cell_m)):
        if value is not None and not (np.isfinite(value) and 10 <= value <= 50_000):
            problems.append(f"{name} must be from 10 to 50,000 metres; got {value!r}")
    if not (np.isfinite(time_limit_s) and time_limit_s > 0):
        problems.append(f"time_limit_s must be positive; got {time_limit_s!r}")
    for name, layer, kinds in (("exclusion layer", exclude, (3, 6)),
                               ("extra candidates", extra_candidates, (0,))):
        if layer is None:
            continue
        if layer.crs is None:
            problems.append(f"the {name} has no coordinate reference system (CRS); declare one")
        types = shapely.get_type_id(layer.geometry.to_numpy())
        bad = np.flatnonzero(~np.isin(types, kinds))
        if len(bad):
            want = "polygons" if kinds != (0,) else "points"
            problems.append(f"the {name} must hold {want}; feature(s) "
                            f"{', '.join(str(i + 1) for i in bad[:10])} are not")
    if problems:
        raise PlanError(problems)


def _existing_reach(dataset: Dataset, service: str, params: CoverageParams, crs, *,
                    technology: str | None) -> np.ndarray:
    """Reach of the service's existing sites, exactly as geo.analysis.gaps.analyse computes it."""
    if service == "bts":
        bts = coverage.filter_sites(dataset.bts_sites, params).to_crs(crs)
        return coverage.site_reach(bts, params, technology=technology)
    if service == "loudspeaker":
        return coverage.loudspeaker_reach(dataset.loudspeakers.to_crs(crs), params)
    return coverage.internet_reach(dataset.internet_points.to_crs(crs), params)


def _lacking_c03(dataset: Dataset, units: gpd.GeoDataFrame, crs) -> np.ndarray:
    """Units that need a Circular 03 support point and have none (as geo.analysis.gaps counts them)."""
    inet = dataset.internet_points.to_crs(crs)
    support = inet[inet["kind"] == "support_point"].geometry.to_numpy()
    zones = units.geometry.to_numpy()
    count = np.zeros(len(units))
    if len(support):
        z, _ = STRtree(support).query(zones, predicate="intersects")
        count = np.bincount(z, minlength=len(units))
    required = units["especially_difficult"].fillna(False).astype(bool).to_numpy()
    return required & (count == 0)


def _candidates(units: gpd.GeoDataFrame, settlements: gpd.GeoDataFrame | None,
                extra: gpd.GeoDataFrame | None, exclude: gpd.GeoDataFrame | None, crs,
                spacing_m: float, snap: Callable[[np.ndarray], np.ndarray] | None = None):
    """Candidate points (working CRS), the unit each stands in, and (unit, candidate) pairs.

    Order: unit centres, settlements, extra points, grid (ties in the solver go to the first).
    ``snap`` moves points (e.g. to their DEM cell's centre) before coincident ones are merged.
    """
    zones = units.geometry.to_numpy()
    parts = [shapely.point_on_surface(zones)]
    if settlements is not None:
        parts.append(settlements.geometry.to_numpy())
    if extra is not None and len(extra):
        parts.append(extra.to_crs(crs).geometry.to_numpy())
    xmin, ymin, xmax, ymax = shapely.total_bounds(zones)
    xs = np.arange(xmin + spacing_m / 2, xmax, spacing_m)
    ys = np.arange(ymin + spacing_m / 2, ymax, spacing_m)
    gx, gy = np.meshgrid(xs, ys)
    parts.append(shapely.points(gx.ravel(), gy.ravel()))
    pts = np.concatenate(parts)
    pts = pts[~(shapely.is_missing(pts) | shapely.is_empty(pts))]
    if snap is not None:
        pts = snap(pts)
    # merge coincident points, keeping the first
    xy = shapely.get_coordinates(pts)
    _, first = np.unique(xy, axis=0, return_index=True)
    pts = pts[np.sort(first)]
    if exclude is not None and len(exclude):
        ex = exclude.to_crs(crs).geometry.to_numpy()
        hit, _ = STRtree(ex).query(pts, predicate="intersects")
        pts = np.delete(pts, np.unique(hit))
    z, c = STRtree(pts).query(zones, predicate="intersects")
    inside = np.unique(c)
    remap = np.full(len(pts), -1)
    remap[inside] = np.arange(len(inside))
    pts = pts[inside]
    c = remap[c]
    order = np.lexsort((z, c))  # by candidate, then unit: the first unit is the lowest index
    _, first = np.unique(c[order], return_index=True)
    zone_of = z[order][first]
    return pts, zone_of, (z, c)


def _grid_people(dataset: Dataset, vintage: str):
    """geo.analysis.gaps' people rule for the units (settlements > population grid > area) when the dataset
    has a population grid; else None."""
    if dataset.population is None:
        return None
    from geo.analysis import gaps

    return gaps.people_shares(gaps.prepare(dataset, vintage=vintage))


class _People:
    """People of each unit inside a covered area, counted as geo.analysis.gaps.analyse counts them:
    by the unit's settlements' people where it has any, else by its population-grid people
    (``grid``: :func:`geo.analysis.gaps.people_shares`), else by area share."""

    def __init__(self, zones: np.ndarray, settlements: gpd.GeoDataFrame | None, grid=None):
        self.zones = zones
        self.grid = grid
        if settlements is None:
            self.pair_zone = self.pair_pt = np.array([], np.int64)
            self.points, self.pop = np.array([], dtype=object), np.array([])
        else:
            self.points = settlements.geometry.to_numpy()
            self.pop = settlements["population"].to_numpy(float)
            self.pair_zone, self.pair_pt = STRtree(self.points).query(zones, predicate="intersects")
        self.total = np.bincount(self.pair_zone, weights=self.pop[self.pair_pt],
                                 minlength=len(zones)) if len(self.pair_zone) else np.zeros(len(zones))
        self.has = self.total > 0

    def inside(self, geoms: np.ndarray, pairs: np.ndarray | None = None) -> np.ndarray:
        """Per pair (unit, settlement): is the settlement in the unit's covered geometry?"""
        sel = np.arange(len(self.pair_zone)) if pairs is None else pairs
        shapely.prepare(geoms[np.unique(self.pair_zone[sel])])
        return shapely.intersects(geoms[self.pair_zone[sel]], self.points[self.pair_pt[sel]])

    def covered(self, geoms: np.ndarray, zone_area: np.ndarray, population: np.ndarray) -> np.ndarray:
        """People of each unit inside ``geoms`` (one geometry per unit)."""
        share = shapely.area(geoms) / np.where(zone_area > 0, zone_area, np.nan)
        if self.grid is not None:  # settlements, grid, area: geo.analysis.gaps' rule itself
            return population * self.grid(geoms, share)
        if len(self.pair_zone):
            w = self.pop[self.pair_pt] * self.inside(geoms)
            inside = np.bincount(self.pair_zone, weights=w, minlength=len(self.zones))
            share = np.where(self.has, inside / np.where(self.has, self.total, 1), share)
        return population * share


def _demand(zones, zone_area, population, scope, base, people: _People, objective: str,
            cell_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Demand points (working CRS) and their weights (people, or km² for the area objective):
    uncovered settlements of settlement units, uncovered cell centres of the others."""
    pts_parts, w_parts = [], []
    use_settlements = people.has & scope & (objective == "people")
    if use_settlements.any():
        sel = np.flatnonzero(use_settlements[people.pair_zone])
        uncovered = ~people.inside(base, sel)
        sel = sel[uncovered]
        z = people.pair_zone[sel]
        w = population[z] * people.pop[people.pair_pt[sel]] / people.total[z]
        pts_parts.append(people.points[people.pair_pt[sel]])
        w_parts.append(w)
    cell_units = scope & ~use_settlements
    if cell_units.any():
        idx = np.flatnonzero(cell_units)
        xmin, ymin, xmax, ymax = shapely.total_bounds(zones[idx])
        xs = np.arange(xmin + cell_m / 2, xmax, cell_m)
        ys = np.arange(ymin + cell_m / 2, ymax, cell_m)
        gx, gy = np.meshgrid(xs, ys)
        centres = shapely.points(gx.ravel(), gy.ravel())
        shapely.prepare(zones[idx])
        zi, reps_idx = STRtree(centres).query(zones[idx], predicate="contains")
        zi, reps = idx[zi], centres[reps_idx]
        area = np.full(len(reps), cell_m * cell_m)
        hit = np.zeros(len(reps), bool)
        own = np.flatnonzero(cell_units & ~shapely.is_empty(base))
        if len(own):  # cells whose centre lies in their own unit's existing coverage
            b_idx, p_idx = STRtree(reps).query(base[own], predicate="intersects")
            hit[p_idx[zi[p_idx] == own[b_idx]]] = True
        zi, area, reps = zi[~hit], area[~hit], reps[~hit]
        w = area / 1e6 if objective == "area" else population[zi] * area / zone_area[zi]
        if objective == "people" and people.grid is not None and people.grid.on_grid.any():
            w = _grid_demand(people.grid, reps, zi, cell_m, population, w)
        pts_parts.append(reps)
        w_parts.append(w)
    if not pts_parts:
        return np.array([], dtype=object), np.array([])
    pts, w = np.concatenate(pts_parts), np.concatenate(w_parts)
    if objective == "people" and cell_units.any():  # area as the tie-break (cells only)
        n_cells = len(pts_parts[-1])
        w = np.where(np.isfinite(w), w, 0.0)
        w[len(w) - n_cells:] += AREA_TIE_BREAK_PER_KM2 * area / 1e6
    keep = np.isfinite(w) & (w > 0)
    return pts[keep], w[keep]


def _grid_demand(grid, reps: np.ndarray, zi: np.ndarray, cell_m: float, population: np.ndarray,
                 w: np.ndarray) -> np.ndarray:
    """Demand weights of cells of units on the population grid: the people of the grid pieces of
    their unit inside the cell's square (people even within a grid cell), scaled to the unit's
    population; other cells keep ``w``."""
    pieces = grid.people
    xy = shapely.get_coordinates(reps)
    half = cell_m / 2
    squares = shapely.box(xy[:, 0] - half, xy[:, 1] - half, xy[:, 0] + half, xy[:, 1] + half)
    ci, pi = STRtree(pieces.geoms).query(squares, predicate="intersects")
    same = pieces.zone[pi] == zi[ci]
    ci, pi = ci[same], pi[same]
    frac = shapely.area(shapely.intersection(squares[ci], pieces.geoms[pi])) / np.maximum(
        shapely.area(pieces.geoms[pi]), 1e-9)
    weight_of_unit = np.bincount(pieces.zone, weights=pieces.people, minlength=len(population))
    people = np.bincount(ci, weights=pieces.people[pi] * frac, minlength=len(reps))
    scale = population[zi] / np.where(weight_of_unit[zi] > 0, weight_of_unit[zi], np.nan)
    return np.where(grid.on_grid[zi], people * scale, w)


def _exact_gains(zones, zone_area, population, scope, base, people: _People,
                 new_reach: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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
        if people.grid is not None:  # a new array each step: geo.analysis.gaps caches by array identity
            grown = covered.copy()
            grown[idx] = after
            people_new[r] = float(np.nansum((people.covered(grown, zone_area, population)
                                             - people.covered(covered, zone_area, population))[idx]))
            covered = grown
            continue
        if has.any():
            pairs = np.flatnonzero(np.isin(people.pair_zone, idx[has]))
            old = people.inside(covered, pairs)
            tmp = covered.copy()
            tmp[idx] = after
            new = people.inside(tmp, pairs)
            d = np.bincount(people.pair_zone[pairs], weights=people.pop[people.pair_pt[pairs]] *
                            (new.astype(float) - old), minlength=len(zones))[idx]
            share = np.where(has, d / np.where(has, people.total[idx], 1), share)
        people_new[r] = float(np.sum(population[idx] * share))
        covered[idx] = after
    return people_new, area_new


def _new_layer(sites: gpd.GeoDataFrame, service: str, *, carrier: str | None,
               technology: str | None) -> gpd.GeoDataFrame:
    """Rows of the service's dataset layer for the proposed sites, EPSG:4326."""
    n = len(sites)
    ids = sites["site_id"].to_numpy()
    if service == "bts":
        data = {"site_id": ids, "carrier": np.full(n, carrier or "other", dtype=object),
                "technologies": np.full(n, technology or DEFAULT_TECHNOLOGY, dtype=object),
                "height_m": np.full(n, np.nan)}
    elif service == "loudspeaker":
        data = {"id": ids, "kind": np.full(n, "cluster", dtype=object),
                "radius_m": np.full(n, np.nan)}
    else:
        data = {"id": ids, "kind": np.full(n, "support_point", dtype=object)}
    data["illustrative"] = np.zeros(n, bool)
    data["proposed_rank"] = sites["rank"].to_numpy()
    data["people_new"] = sites["people_new"].to_numpy(float)
    data["area_new_km2"] = sites["area_new_km2"].to_numpy(float)
    return gpd.GeoDataFrame(data, geometry=sites.geometry.to_numpy(), crs=sites.crs).to_crs(WGS84)
