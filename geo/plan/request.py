"""A siting request and its result: the services, the limits and defaults of a request, its
check (:func:`validate`), :class:`Plan` and :class:`PlanError`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

import geopandas as gpd
import numpy as np
import shapely

from geo import settings
from geo.errors import PhusongError
from geo.settings import CoverageParams, TerrainParams


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
SERVICE_LAYER = {
    "bts": "bts_sites",
    "loudspeaker": "loudspeakers",
    "support-point": "internet_points",
}
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


def service_radius_m(
    service: str,
    params: CoverageParams,
    *,
    carrier: str | None = None,
    technology: str | None = None,
) -> float:
    """Reach of one new site of ``service`` (metres), as :mod:`geo.analysis.coverage` computes it."""
    if service == "bts":
        return params.radius_for(technology or DEFAULT_TECHNOLOGY, carrier or "other")
    if service == "loudspeaker":
        return params.loudspeaker_radius_for("cluster")
    return float(params.internet_access_m)


def validate(
    *,
    service,
    k,
    carrier,
    technology,
    vintage,
    solver,
    spacing_m,
    cell_m,
    exclude,
    extra_candidates,
    time_limit_s,
) -> None:
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
        problems.append(
            f"technology must be one of {', '.join(settings.TECHNOLOGIES)}; got {technology!r}"
        )
    if vintage not in settings.VINTAGES:
        problems.append(f"vintage must be one of {', '.join(settings.VINTAGES)}; got {vintage!r}")
    if solver not in SOLVERS:
        problems.append(f"solver must be one of {', '.join(SOLVERS)}; got {solver!r}")
    for name, value in (("spacing_m", spacing_m), ("cell_m", cell_m)):
        if value is not None and not (np.isfinite(value) and 10 <= value <= 50_000):
            problems.append(f"{name} must be from 10 to 50,000 metres; got {value!r}")
    if not (np.isfinite(time_limit_s) and time_limit_s > 0):
        problems.append(f"time_limit_s must be positive; got {time_limit_s!r}")
    for name, layer, kinds in (
        ("exclusion layer", exclude, (3, 6)),
        ("extra candidates", extra_candidates, (0,)),
    ):
        if layer is None:
            continue
        if layer.crs is None:
            problems.append(f"the {name} has no coordinate reference system (CRS); declare one")
        types = shapely.get_type_id(layer.geometry.to_numpy())
        bad = np.flatnonzero(~np.isin(types, kinds))
        if len(bad):
            want = "polygons" if kinds != (0,) else "points"
            problems.append(
                f"the {name} must hold {want}; feature(s) "
                f"{', '.join(str(i + 1) for i in bad[:10])} are not"
            )
    if problems:
        raise PlanError(problems)
