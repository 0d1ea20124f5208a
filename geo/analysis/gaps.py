"""Per-commune coverage statistics, the gap score and the uncovered areas.

``analyse`` turns a :class:`geo.io.loading.Dataset` into a :class:`GapAnalysis`: everything maps,
snapshots, exports and the app show. Computation is in the dataset's UTM zone (metres, km²).

People figures: where a commune holds settlements with population, the share of its people reached
is the share of its settlements' people inside the covered area (``population_basis =
"settlements"``); else, where the dataset has a population grid covering it, the share of its grid
people inside (``"grid"``, :mod:`geo.io.population`; ``"mixed"`` for a 2025 commune whose parts differ);
elsewhere people are spread uniformly over the commune, so the people share equals the area share
(``"uniform"``). On the grid, people beyond loudspeaker reach and far from internet points are also
given as a range (``*_pop_low``, ``*_pop_high``) between a cell's people spread evenly within it and
gathered at one point.
"""

from __future__ import annotations

from collections.abc import Callable
import functools
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import STRtree

from geo.analysis import coverage
from geo.precision import private_prepared
from geo.io import population
from geo import i18n, settings
from geo.cache import BoundedCache, IdentityCache
from geo.crs import working_crs
from geo.errors import PhusongError
from geo.io.loading import Dataset
from geo.settings import CoverageParams
from geo.analysis.vintages import communes_for_vintage

# Uncovered-share inputs of the gap score, by gap kind.
_SCORE_SHARES = {
    "no_4g": "covered_4g",
    "no_mobile": "mobile_covered",
    "no_loudspeaker": "loudspeaker_covered",
    "no_internet": "internet_access",
    "no_service": None,
}


class UncoveredAreas:
    """Uncovered-area polygons per gap kind, computed on first request and then kept.

    Polygon differences are the costly part of an analysis and most views draw one or two kinds,
    so :func:`analyse` only records what they are made of: per kind a (whole, covered) pair of
    geometry arrays, or a function returning it (the grid method makes no polygons until asked).
    Build one from a finished table with :meth:`from_table`.
    """

    def __init__(
        self,
        units: pd.DataFrame | None = None,
        zones: np.ndarray | None = None,
        parts: dict[
            str, tuple[np.ndarray, np.ndarray] | Callable[[], tuple[np.ndarray, np.ndarray]]
        ]
        | None = None,
        crs=None,
    ):
        self._units, self._zones, self._parts, self._crs = units, zones, parts or {}, crs
        self._tables: dict[str, gpd.GeoDataFrame] = {}

    @classmethod
    def from_table(cls, table: gpd.GeoDataFrame) -> "UncoveredAreas":
        """Wrap a finished table (columns code, name, gap, area_km2, geometry)."""
        areas = cls(crs=table.crs)
        for kind in settings.GAP_KINDS:
            areas._tables[kind] = table[table["gap"] == kind]
        return areas

    def table(self, kinds: tuple[str, ...] | list[str] = settings.GAP_KINDS) -> gpd.GeoDataFrame:
        """Uncovered areas of ``kinds`` (metric CRS), columns code, name, gap, area_km2, geometry."""
        for kind in kinds:
            if kind not in self._tables:
                settings.check_choice("gap kind", kind, settings.GAP_KINDS)
                part = self._parts[kind]
                whole, covered = part() if callable(part) else part
                self._tables[kind] = _gap_table(
                    self._units, kind, _difference(whole, covered), self._crs
                )
        frames = [self._tables[k] for k in kinds]
        if not frames or all(len(f) == 0 for f in frames):
            return gpd.GeoDataFrame(
                {"code": [], "name": [], "gap": [], "area_km2": []},
                geometry=gpd.GeoSeries([], crs=self._crs),
            )
        return gpd.GeoDataFrame(
            pd.concat([f for f in frames if len(f)], ignore_index=True),
            geometry="geometry",
            crs=self._crs,
        )


# Analyses that share a layer (a slider moved that leaves it alone: the layer cache returns the same
# arrays) share its uncovered polygons instead of overlaying them again.
_DIFFERENCES = IdentityCache(max_entries=64)


def _difference(whole: np.ndarray, covered: np.ndarray) -> np.ndarray:
    """``whole − covered`` row by row, kept while both arrays live."""
    return _DIFFERENCES.get(
        (whole, covered), "difference", lambda: shapely.difference(whole, covered)
    )


@dataclass(frozen=True)
class GapAnalysis:
    """Everything one analysis run produced.

    Attributes
    ----------
    communes : GeoDataFrame in the working metric CRS (UTM), one row per commune, columns
        ``code``, ``name``, ``area_km2``, ``population``, ``population_basis``, the ``*_pct``
        shares (0–100), the ``*_pop`` people counts (NaN where population is unknown),
        ``c03_required``, ``c03_present``, ``support_points``, ``gap_score`` (0–100) and
        ``gap_rank`` (1 = largest gap).
    sites : layer name -> points in the working CRS (``bts_sites`` filtered by the params'
        carriers and technologies, ``loudspeakers``, ``internet_points``), each with an
        ``illustrative`` bool column.
    vintage : "legacy" or "2025".
    params : the :class:`CoverageParams` used.
    uncovered : the uncovered areas (see :attr:`gaps` and :meth:`gap_polygons`).
    dataset_name : title of the dataset, e.g. "Đakrông (Quảng Trị)".
    sources : attribution lines shown on maps and exports.
    model : the coverage model that made the figures: "circle" or "terrain" (``geo.analysis.terrain``).
    notes : lines about how the figures were made (DEM used, voids filled, sites skipped …).
    method : how the circle model's shares were computed: "exact" (polygon overlays) or "grid"
        (cells, :mod:`geo.analysis.grid`); the gap polygons are exact either way.
    settlements : the dataset's villages in the working CRS (None when it has none); the terrain
        model adds ``internet_walk_min`` (:func:`geo.analysis.terrain.analyse_terrain`).
    layers : covered-area layer name (:func:`coverage_keys`) -> one covered geometry per commune,
        or a function returning it (made on request); read with :meth:`covered`.
    population : the dataset's population grid (:class:`geo.io.population.PopulationGrid`, people
        per cell), drawn by the map's population layer; None without one.
    """

    communes: gpd.GeoDataFrame
    sites: dict[str, gpd.GeoDataFrame]
    vintage: str
    params: CoverageParams
    uncovered: UncoveredAreas
    dataset_name: str = ""
    sources: tuple[str | dict[str, str], ...] = field(default_factory=tuple)
    model: str = "circle"
    notes: tuple[i18n.Note | str, ...] = field(default_factory=tuple)
    method: str = "exact"
    settlements: gpd.GeoDataFrame | None = None
    layers: dict[str, np.ndarray | Callable[[], np.ndarray]] = field(
        default_factory=dict, repr=False, compare=False
    )
    population: population.PopulationGrid | None = field(default=None, compare=False, repr=False)

    def covered(self, name: str) -> np.ndarray:
        """The covered area of layer ``name`` in each commune (working CRS, clipped to it)."""
        if name not in self.layers:
            raise PhusongError(f"this analysis holds no covered layer {name!r}")
        layer = self.layers[name]
        return layer() if callable(layer) else layer

    @property
    def gaps(self) -> gpd.GeoDataFrame:
        """Uncovered areas of every kind (metric CRS): code, name, gap, area_km2, geometry."""
        return self.uncovered.table(settings.GAP_KINDS)

    def gap_polygons(self, kinds: tuple[str, ...]) -> gpd.GeoDataFrame:
        """Uncovered areas of ``kinds`` only (computed on demand)."""
        return self.uncovered.table(kinds)

    @property
    def illustrative(self) -> bool:
        """True when any site shown is illustrative (not an operator's real position)."""
        return any(
            bool(g["illustrative"].any())
            for g in self.sites.values()
            if "illustrative" in g and len(g)
        )

    @property
    def crs(self):
        """The working metric CRS."""
        return self.communes.crs


def carrier_column(carrier: str) -> str:
    """Name of the per-carrier share column, e.g. ``covered_viettel_pct``."""
    return f"covered_{carrier.lower()}_pct"


def carriers_reported(bts_sites: gpd.GeoDataFrame) -> list[str]:
    """Carriers with a column: the three main ones always, others where they have sites."""
    present = set(bts_sites["carrier"]) if len(bts_sites) else set()
    return [c for c in settings.CARRIERS if c in settings.MAIN_CARRIERS or c in present]


@dataclass(frozen=True)
class Prepared:
    """A dataset's layers in the working metric CRS, ready for a coverage model.

    ``units`` are the communes of the vintage; ``bts`` the sites kept by the params' carrier and
    technology filters; ``carriers`` the carriers that get a column (:func:`carriers_reported`).
    """

    units: gpd.GeoDataFrame
    bts: gpd.GeoDataFrame
    loudspeakers: gpd.GeoDataFrame
    internet_points: gpd.GeoDataFrame
    settlements: gpd.GeoDataFrame | None
    carriers: tuple[str, ...]
    population_grid: population.PopulationGrid | None = None  # people per cell, if given
    legacy_communes: gpd.GeoDataFrame | None = None  # the dataset's communes (any CRS)
    unit_of: np.ndarray | None = None  # per legacy commune, the row of its unit in ``units``

    @property
    def crs(self):
        return self.units.crs

    @property
    def zones(self) -> np.ndarray:
        return self.units.geometry.to_numpy()

    @functools.cached_property
    def people(self) -> population.CellPeople | None:
        """The units cut by the population grid's cells with their people (None without a grid);
        scaled per legacy commune, then relabelled to the units. Made when first asked for: the
        grid method counts people on its own cells instead."""
        if self.population_grid is None:
            return None
        legacy = population.commune_people(self.legacy_communes, self.population_grid, self.crs)
        if (
            len(self.unit_of) == len(self.units)
            and (self.unit_of == np.arange(len(self.units))).all()
        ):
            return legacy
        return legacy.for_units(self.unit_of, len(self.units))


def analyse(
    dataset: Dataset,
    *,
    vintage: str = "legacy",
    params: CoverageParams = CoverageParams(),
    cache: BoundedCache | None = None,
    method: settings.Method = "exact",
    cell_m: float = settings.GRID_CELL_M,
) -> GapAnalysis:
    """Coverage shares, people reached, gap score and uncovered areas per commune.

    Parameters
    ----------
    dataset : layers in any CRS (normally EPSG:4326 from :func:`geo.io.loading.load_dataset`).
    vintage : "legacy" (units before 1 July 2025) or "2025".
    params : radii, access distance and carrier/technology filters of the circle model.
    cache : a :func:`layer_cache` kept for this dataset and vintage (the app keeps one), so a
        changed parameter recomputes only the layers it affects.
    method : "exact" (polygon overlays; the default), "grid" (shares counted on ``cell_m`` cells,
        :mod:`geo.analysis.grid`: seconds for all of Vietnam, within about a percentage point of exact; see
        bench/README.md) or "auto" (grid above ``settings.GRID_AUTO_COMMUNES`` communes). Gap
        polygons are exact with either, made on request.
    cell_m : cell side in metres of the grid method.
    """
    settings.check_choice("method", method, settings.METHODS)
    if not (np.isfinite(cell_m) and cell_m > 0):
        raise PhusongError(f"cell_m must be a positive number of metres; got {cell_m!r}")
    if cache is None:
        prepared = prepare(dataset, vintage=vintage, params=params)
    else:  # the same layers for the same filters: maps reuse what they drew from them
        prepared = cache.get_or_build(
            ("prepared", params.carriers, params.technologies),
            lambda: prepare(dataset, vintage=vintage, params=params),
        )
    if method == "auto":
        method = "grid" if len(prepared.units) > settings.GRID_AUTO_COMMUNES else "exact"
    if method == "grid":
        return _grid_analysis(
            dataset,
            prepared,
            vintage=vintage,
            params=params,
            cell_m=cell_m,
            cache=cache if cache is not None else layer_cache(),
        )
    return summarise(
        dataset,
        prepared,
        circle_coverage(prepared, params, cache=cache),
        vintage=vintage,
        params=params,
    )


def _grid_analysis(
    dataset: Dataset,
    prepared: Prepared,
    *,
    vintage: str,
    params: CoverageParams,
    cell_m: float,
    cache: BoundedCache,
) -> GapAnalysis:
    """The circle model's statistics counted on cells (:func:`geo.analysis.grid.shares`); the gap polygons
    come from the exact layers of :func:`circle_coverage`, computed (and cached) when asked for."""
    from geo.analysis import grid  # numba compiles (or loads) its kernels on first use

    names = coverage_keys(prepared.carriers)
    shares, on_grid = grid.shares(prepared, params, names, cell_m=cell_m)
    people = _PeopleShares(prepared.zones, prepared.settlements, grid_people=on_grid)
    zones = prepared.zones

    def layer(name: str) -> np.ndarray:
        if name == "any_channel":
            return _any_channel({k: layer(k) for k in _ANY_CHANNEL})
        if name == "modern":
            return _modern({k: layer(k) for k in _MODERN})
        return circle_coverage(prepared, params, cache=cache, names=(name,))[name]

    parts = {
        kind: (
            lambda whole=whole, part=part: (zones if whole is None else layer(whole), layer(part))
        )
        for kind, (whole, part) in _GAP_PARTS.items()
    }
    note = i18n.note(
        "grid", decimals=1, cell_m=int(cell_m) if float(cell_m).is_integer() else float(cell_m)
    )
    return _analysis(
        dataset,
        prepared,
        shares,
        names,
        parts,
        vintage=vintage,
        params=params,
        model="circle",
        notes=(note,),
        method="grid",
        people=people,
        layers={name: functools.partial(layer, name) for name in names},
    )


def prepare(
    dataset: Dataset, *, vintage: str = "legacy", params: CoverageParams = CoverageParams()
) -> Prepared:
    """The communes of ``vintage`` and the site layers, in the working UTM CRS (inputs untouched)."""
    units = communes_for_vintage(dataset.communes, vintage)
    crs = working_crs(units)
    unit_index = {
        code: i for i, codes in enumerate(units["legacy_codes"]) for code in str(codes).split(";")
    }
    return Prepared(
        units=units.to_crs(crs),
        bts=coverage.filter_sites(dataset.bts_sites, params).to_crs(crs),
        loudspeakers=dataset.loudspeakers.to_crs(crs),
        internet_points=dataset.internet_points.to_crs(crs),
        settlements=dataset.settlements.to_crs(crs) if dataset.settlements is not None else None,
        carriers=tuple(carriers_reported(dataset.bts_sites)),
        population_grid=dataset.population,
        legacy_communes=dataset.communes,
        unit_of=dataset.communes["code"].map(unit_index).to_numpy(np.int64),
    )


def coverage_keys(carriers) -> list[str]:
    """Names of the covered-area layers a coverage model returns, e.g. ``covered_4g``."""
    return (
        ["mobile_covered", "loudspeaker_covered", "internet_access"]
        + [f"covered_{tech.lower()}" for tech in settings.TECHNOLOGIES]
        + [carrier_column(c)[:-4] for c in carriers]
    )


def layer_cache(max_entries: int = 256, max_bytes: float = 512e6) -> BoundedCache:
    """A cache for the covered areas of circle-model layers, kept between analyses of one dataset
    and vintage (:func:`analyse`'s ``cache``).

    A key names a layer and only the parameters it depends on, so moving one slider recomputes
    only the layers that slider changes (a loudspeaker reach leaves the mobile layers alone).
    Bounded by entries and estimated bytes, least recently used out first; safe to share
    between the app's sessions.
    """
    return BoundedCache(max_entries=max_entries, max_bytes=max_bytes)


def circle_coverage(
    prepared: Prepared,
    params: CoverageParams,
    *,
    cache: BoundedCache | None = None,
    names: tuple[str, ...] | None = None,
) -> dict[str, np.ndarray]:
    """The circle model: per layer (:func:`coverage_keys`), the covered area of each commune.

    ``cache`` (for one dataset and vintage) keeps layers between calls with other parameters;
    ``names`` limits the work to those layers (default: all).
    """
    zones, bts = prepared.zones, prepared.bts
    site_filter = (params.carriers, params.technologies)
    radii = (params.radius_m, params.carrier_radius_m)
    layers: dict[str, tuple[tuple, Callable[[], np.ndarray]]] = {
        "mobile_covered": (
            ("mobile", radii, site_filter),
            lambda: coverage.site_reach(bts, params),
        ),
        "loudspeaker_covered": (
            ("loudspeakers", params.loudspeaker_radius_m),
            lambda: coverage.loudspeaker_reach(prepared.loudspeakers, params),
        ),
        "internet_access": (
            ("internet", params.internet_access_m),
            lambda: coverage.internet_reach(prepared.internet_points, params),
        ),
    }
    for tech in settings.TECHNOLOGIES:
        tech_radii = (
            params.radius_for(tech),
            tuple(o for o in params.carrier_radius_m if o[1] == tech),
        )
        layers[f"covered_{tech.lower()}"] = (
            ("technology", tech, tech_radii, site_filter),
            lambda tech=tech: coverage.site_reach(bts, params, technology=tech),
        )
    for carrier in prepared.carriers:
        layers[carrier_column(carrier)[:-4]] = (
            ("carrier", carrier, radii, site_filter),
            lambda carrier=carrier: coverage.site_reach(bts, params, carrier=carrier),
        )
    cache = cache if cache is not None else layer_cache()
    return {
        name: cache.get_or_build(key, lambda discs=discs: coverage.clipped_union(zones, discs()))
        for name, (key, discs) in layers.items()
        if names is None or name in names
    }


def summarise(
    dataset: Dataset,
    prepared: Prepared,
    covered: dict[str, np.ndarray],
    *,
    vintage: str,
    params: CoverageParams,
    model: str = "circle",
    notes: tuple[str, ...] = (),
    extra: dict[str, np.ndarray] | None = None,
) -> GapAnalysis:
    """Statistics, gap score and gap polygons from the covered areas of any coverage model.

    Parameters
    ----------
    covered : layer name (:func:`coverage_keys`) -> covered area of each commune (geometries in
        the working CRS, one per row of ``prepared.units``, already clipped to the commune).
    model : "circle" or "terrain", recorded in the result.
    extra : further covered areas to report as ``<name>_pct`` / ``<name>_pop`` columns.
    """
    settings.check_choice("model", model, settings.MODELS)
    missing = [k for k in coverage_keys(prepared.carriers) if k not in covered]
    if missing:
        raise PhusongError(f"coverage model returned no layer for {', '.join(missing)}")
    zones = prepared.zones
    layers = {**covered, "any_channel": _any_channel(covered), "modern": _modern(covered)}
    # Uncovered area of each gap kind = whole − part; the polygons are made on demand.
    parts = {
        kind: (zones if whole is None else layers[whole], layers[part])
        for kind, (whole, part) in _GAP_PARTS.items()
    }
    area_m2 = shapely.area(zones)
    share_of = people_shares(prepared)
    shares: dict[str, tuple[np.ndarray, np.ndarray]] = {}  # name -> (area share, people share)
    for name, geoms in {**layers, **(extra or {})}.items():
        area_share = _safe_div(shapely.area(geoms), area_m2)
        shares[name] = (area_share, share_of(geoms, area_share))
    hamlet = (
        {name: share_of(layers[name], shares[name][0], hamlet=True) for name in RANGE_LAYERS}
        if share_of.on_grid.any()
        else {}
    )
    return _analysis(
        dataset,
        prepared,
        shares,
        list(covered),
        parts,
        extra=list(extra or {}),
        vintage=vintage,
        params=params,
        model=model,
        notes=notes,
        people=share_of,
        hamlet=hamlet,
        layers=dict(covered),
    )


# Gap kind -> (whole, covered part): layer names (None = the whole commune). at_risk: served by
# mobile but by neither 4G nor 5G.
_GAP_PARTS: dict[str, tuple[str | None, str]] = {
    "no_4g": (None, "covered_4g"),
    "no_mobile": (None, "mobile_covered"),
    "no_loudspeaker": (None, "loudspeaker_covered"),
    "no_internet": (None, "internet_access"),
    "no_service": (None, "any_channel"),
    "at_risk": ("mobile_covered", "modern"),
}
_ANY_CHANNEL = ("mobile_covered", "loudspeaker_covered", "internet_access")
# Layers whose reach (300 m, 2 km) is near a 1 km population cell: their people are also given as a
# range between the two readings of a cell (geo.io.population), on the gap kinds they make.
RANGE_LAYERS: dict[str, str] = {
    "loudspeaker_covered": "no_loudspeaker",
    "internet_access": "no_internet",
}
_MODERN = ("covered_4g", "covered_5g")


def _any_channel(covered: dict[str, np.ndarray]) -> np.ndarray:
    """Per commune, the area reached by mobile, a loudspeaker or an internet point."""
    return shapely.union_all(np.stack([covered[k] for k in _ANY_CHANNEL], axis=1), axis=1)


def _modern(covered: dict[str, np.ndarray]) -> np.ndarray:
    """Per commune, the area served by 4G or 5G."""
    return shapely.union(*(covered[k] for k in _MODERN))


def _analysis(
    dataset: Dataset,
    prepared: Prepared,
    shares: dict[str, tuple[np.ndarray, np.ndarray]],
    reported: list[str],
    parts: dict,
    *,
    vintage: str,
    params: CoverageParams,
    model: str,
    notes: tuple[str, ...],
    extra: list[str] = (),
    method: str = "exact",
    people: _PeopleShares | None = None,
    hamlet: dict[str, np.ndarray] | None = None,
    layers: dict | None = None,
) -> GapAnalysis:
    """The commune table and the result from covered shares (0–1 of area and of people) per layer.

    ``shares`` holds every name of ``reported`` and ``extra`` (a ``*_pct``/``*_pop`` pair each,
    the gap kinds between them) plus "any_channel" and "modern", from which the gap kinds are
    derived. ``parts``: per gap kind, what :class:`UncoveredAreas` makes its polygons from.
    ``hamlet``: people shares of :data:`RANGE_LAYERS` with each cell's people at one point (the
    other end of the ``*_pop_low``/``*_pop_high`` range; empty without a population grid).
    ``layers``: the covered areas per layer the result carries (:meth:`GapAnalysis.covered`).
    """
    units, crs, zones = prepared.units, prepared.crs, prepared.zones
    if people is None:
        people = people_shares(prepared)
    area_m2 = shapely.area(zones)
    population = units["population"].to_numpy(float)
    if people.population is not None:  # the grid's own total where the commune's is not known
        population = np.where(np.isfinite(population), population, people.population)
    columns: dict[str, np.ndarray] = {  # built as arrays, one DataFrame at the end (cheap rerun)
        "code": units["code"].to_numpy(),
        "name": units["name"].to_numpy(),
        "legacy_codes": units["legacy_codes"].to_numpy(),
        "area_km2": area_m2 / 1e6,
        "population": population,
        "population_basis": people.basis,
    }
    if people.grid_people is not None:
        columns["grid_population"] = np.where(people.on_grid, people.grid_people, np.nan)
    shares = dict(shares)
    for kind, (whole, part) in _GAP_PARTS.items():  # uncovered = whole − covered, no overlay needed
        whole_area, whole_people = shares[whole] if whole else (1.0, 1.0)
        shares[kind] = (whole_area - shares[part][0], whole_people - shares[part][1])
    for name in (
        list(reported)
        + ["no_service", "at_risk", "no_4g", "no_mobile", "no_loudspeaker", "no_internet"]
        + list(extra)
    ):
        area_share, people_share = shares[name]
        columns[f"{name}_pct"] = np.clip(100 * area_share, 0, 100)
        columns[f"{name}_pop"] = population * np.clip(people_share, 0, 1)
    for layer, kind in RANGE_LAYERS.items():
        if layer in (hamlet or {}):
            even, point = 1 - shares[layer][1], 1 - hamlet[layer]
            columns[f"{kind}_pop_low"] = population * np.clip(np.fmin(even, point), 0, 1)
            columns[f"{kind}_pop_high"] = population * np.clip(np.fmax(even, point), 0, 1)
    stats = pd.DataFrame(columns)

    inet = prepared.internet_points
    support = inet[inet["kind"] == "support_point"]
    stats["support_points"] = _count_points(zones, support.geometry.to_numpy()).astype(int)
    stats["c03_required"] = units["especially_difficult"].fillna(False).astype(bool).to_numpy()
    stats["c03_present"] = stats["support_points"] > 0
    stats["gap_score"] = gap_score(stats)
    stats["gap_rank"] = gap_rank(stats["gap_score"], stats["code"])
    communes = gpd.GeoDataFrame(stats, geometry=zones, crs=crs)

    return GapAnalysis(
        communes=communes,
        sites={
            "bts_sites": prepared.bts,
            "loudspeakers": prepared.loudspeakers,
            "internet_points": inet,
        },
        vintage=vintage,
        params=params,
        uncovered=UncoveredAreas(units[["code", "name"]], zones, parts, crs),
        dataset_name=dataset.name,
        sources=dataset.sources,
        model=model,
        notes=tuple(notes) + _population_notes(prepared, people, bool(hamlet)),
        method=method,
        settlements=prepared.settlements,
        layers=layers or {},
        population=dataset.population,
    )


def gap_score(stats: pd.DataFrame) -> np.ndarray:
    """Gap score 0–100 per commune (higher = larger gap).

    ``100 × Σ_k w_k × u_k + C03_PENALTY × (support point required and missing)``, capped at 100,
    where ``u_k`` is the uncovered share of people (of area where population is unknown) for each
    gap kind ``k`` in ``settings.GAP_SCORE_WEIGHTS`` (weights sum to 1).
    """
    score = np.zeros(len(stats))
    for kind, weight in settings.GAP_SCORE_WEIGHTS.items():
        pop_col, pct_col = f"{kind}_pop", f"{kind}_pct"
        share = stats[pct_col].to_numpy(float) / 100
        people = _safe_div(stats[pop_col].to_numpy(float), stats["population"].to_numpy(float))
        known = np.isfinite(people) & (stats["population"].to_numpy(float) > 0)
        score += weight * np.where(known, people, share)
    score = 100 * score
    missing_c03 = stats["c03_required"].to_numpy(bool) & ~stats["c03_present"].to_numpy(bool)
    return np.minimum(100.0, score + settings.C03_PENALTY * missing_c03).round(2)


def gap_rank(score: pd.Series, code: pd.Series) -> np.ndarray:
    """Rank 1 = largest gap score; ties broken by commune code so the order is stable."""
    order = pd.DataFrame({"score": score.to_numpy(), "code": code.to_numpy()})
    order = order.sort_values(["score", "code"], ascending=[False, True])
    rank = np.empty(len(order), dtype=int)
    rank[order.index.to_numpy()] = np.arange(1, len(order) + 1)
    return rank


# --- helpers -------------------------------------------------------------------------------------


def _safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    a, b = np.asarray(a, float), np.asarray(b, float)
    out = np.full(a.shape, np.nan)
    np.divide(a, b, out=out, where=np.isfinite(b) & (b > 0))
    return out


def _count_points(
    zones: np.ndarray, points: np.ndarray, weights: np.ndarray | None = None
) -> np.ndarray:
    """Number (or summed weight) of ``points`` inside each zone."""
    if len(points) == 0:
        return np.zeros(len(zones))
    zone_idx, point_idx = STRtree(points).query(zones, predicate="intersects")
    w = np.ones(len(points)) if weights is None else np.asarray(weights, float)
    return np.bincount(zone_idx, weights=w[point_idx], minlength=len(zones))


class _PeopleShares:
    """Share of a commune's people inside a covered area: from its settlements where it has any,
    else from the population grid's pieces where it is on the grid, else the area share.

    ``basis`` names which per commune; ``on_grid`` marks the communes read from the grid.
    """

    def __init__(
        self,
        zones: np.ndarray,
        settlements: gpd.GeoDataFrame | None,
        people: population.CellPeople | None = None,
        grid_people: dict[str, np.ndarray] | None = None,
    ):
        self.zones = zones
        if settlements is None or len(settlements) == 0:
            self.points, self.pop = np.array([], dtype=object), np.array([])
            self.total = np.zeros(len(zones))
        else:
            self.points = settlements.geometry.to_numpy()
            self.pop = settlements["population"].to_numpy(float)
            self.total = _count_points(zones, self.points, self.pop)
        self.has_settlements = self.total > 0
        self.people = people
        grid_basis = people.basis if people is not None else np.full(len(zones), "uniform")
        # Per commune: the grid's people in it and the population it gives where none is known.
        self.grid_people = self.population = None
        if people is not None:
            self.grid_people, self.population = people.grid_people, people.population
        elif grid_people is not None:  # counted by the grid method
            grid_basis = np.where(grid_people["on_grid"], "grid", "uniform")
            self.grid_people = self.population = grid_people["grid_people"]
        self.on_grid = ~self.has_settlements & (grid_basis != "uniform")
        self.basis = np.where(self.has_settlements, "settlements", grid_basis).astype(object)
        if people is not None:
            self.weight = np.bincount(people.zone, weights=people.people, minlength=len(zones))

    def __call__(
        self, geoms: np.ndarray, area_share: np.ndarray, *, hamlet: bool = False
    ) -> np.ndarray:
        """People share (0–1) per commune inside ``geoms`` (one covered area per commune); on the
        grid, a cell's people spread evenly within it, or with ``hamlet`` at its one point."""
        share = area_share
        if self.on_grid.any() and self.people is not None:
            p = self.people
            inside = _piece_fractions(p, geoms, hamlet)
            grid = _safe_div(
                np.bincount(p.zone, weights=p.people * inside, minlength=len(self.zones)),
                self.weight,
            )
            share = np.where(self.on_grid & np.isfinite(grid), grid, share)
        if not self.has_settlements.any():
            return share
        inside = _count_points(geoms, self.points, self.pop)
        return np.where(self.has_settlements, _safe_div(inside, self.total), share)


def people_shares(prepared: Prepared) -> _PeopleShares:
    """How people inside a covered area are counted for each unit of ``prepared`` (settlements,
    population grid or area share): call the result with one covered geometry per unit and the
    area shares to get the people shares (0–1); ``basis`` says which rule each unit follows."""
    return _PeopleShares(prepared.zones, prepared.settlements, prepared.people)


# Fractions of the grid pieces inside a covered layer, kept while the layer's array and the pieces
# live (a moved slider leaves most layers as they are).
_FRACTIONS = IdentityCache(max_entries=64)


def _piece_fractions(people: population.CellPeople, geoms: np.ndarray, hamlet: bool) -> np.ndarray:
    """Per piece, the share of its people inside its commune's covered area ``geoms[zone]``:
    its area share (people even within the cell), or with ``hamlet`` 1/0 as its point is in or
    out (whole-commune pieces of the even spread take their area share either way)."""

    def build() -> np.ndarray:
        covered = private_prepared(geoms)[people.zone]  # geoms are shared between sessions
        frac = np.zeros(len(people.zone))
        touch = shapely.intersects(covered, people.geoms)
        full = touch & shapely.contains_properly(covered, people.geoms)
        frac[full] = 1.0
        cut = np.flatnonzero(touch & ~full)
        area = shapely.area(people.geoms[cut])
        frac[cut] = _safe_div(
            shapely.area(shapely.intersection(people.geoms[cut], covered[cut])), area
        )
        if hamlet:
            at_point = shapely.intersects(covered, people.points).astype(float)
            frac = np.where(people.whole, frac, at_point)
        return np.nan_to_num(frac)

    return _FRACTIONS.get((geoms, people), ("hamlet" if hamlet else "even"), build)


def _population_notes(
    prepared: Prepared, people: _PeopleShares, ranged: bool
) -> tuple[i18n.Note, ...]:
    """Notes saying where people figures come from when a population grid was given."""
    if prepared.population_grid is None:
        return ()
    units, on_grid = prepared.units, people.on_grid
    notes = []
    if on_grid.any():
        given = np.where(
            np.isfinite(units["population"].to_numpy(float)),
            units["population"].to_numpy(float),
            people.population,
        )[on_grid]
        notes.append(
            i18n.note(
                "population_grid",
                name=prepared.population_grid.name,
                n=int(on_grid.sum()),
                grid=int(round(np.nansum(people.grid_people[on_grid]))),
                given=int(round(np.nansum(given))),
            )
        )
    off = (people.basis == "uniform") | (people.basis == "mixed")
    if off.any():
        notes.append(
            i18n.note(
                "population_fallback", names=", ".join(map(str, units["name"].to_numpy()[off]))
            )
        )
    if ranged:
        notes.append(i18n.note("population_range"))
    return tuple(notes)


def _gap_table(units: pd.DataFrame, kind: str, geoms: np.ndarray, crs) -> gpd.GeoDataFrame:
    keep = ~shapely.is_empty(geoms) & (shapely.area(geoms) > 1.0)  # drop sub-m² slivers
    return gpd.GeoDataFrame(
        {
            "code": units["code"].to_numpy()[keep],
            "name": units["name"].to_numpy()[keep],
            "gap": kind,
            "area_km2": shapely.area(geoms[keep]) / 1e6,
            "geometry": _polygonal(geoms[keep]),
        },
        geometry="geometry",
        crs=crs,
    )


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygon parts (overlay results can carry stray lines), as MultiPolygons."""
    parts, index = shapely.get_parts(geoms, return_index=True)
    polys = shapely.get_type_id(parts) == 3
    parts, index = parts[polys], index[polys]
    bounds = np.searchsorted(index, np.arange(len(geoms) + 1))  # index is sorted by input order
    return np.array(
        [shapely.multipolygons(parts[bounds[i] : bounds[i + 1]]) for i in range(len(geoms))],
        dtype=object,
    )


def district_totals(analysis: GapAnalysis) -> dict[str, float]:
    """Totals over all communes: area (km²), people, area-weighted ``*_pct`` shares and summed
    ``*_pop`` counts (and their ``*_pop_low``/``*_pop_high`` ranges and ``grid_population``
    where a population grid was used; NaN if any commune's population is unknown), communes
    needing and lacking a Circular 03 support point."""
    c = analysis.communes
    area = c["area_km2"].to_numpy(float)
    totals: dict[str, float] = {
        "area_km2": float(area.sum()),
        "population": float(c["population"].to_numpy(float).sum()) if len(c) else 0.0,
    }  # NaN when any commune's is unknown
    # whole blocks of columns at once: a GeoDataFrame's column access costs more than the sums
    pct_cols = [col for col in c.columns if col.endswith("_pct")]
    pop_cols = [
        col
        for col in c.columns
        if col.endswith(("_pop", "_pop_low", "_pop_high")) or col == "grid_population"
    ]
    pct = pd.DataFrame(c[pct_cols]).to_numpy(float)
    pop = pd.DataFrame(c[pop_cols]).to_numpy(float)
    weighted = (
        (pct * area[:, None]).sum(axis=0) / area.sum() if area.sum() else np.zeros(len(pct_cols))
    )
    totals |= {col: float(v) for col, v in zip(pct_cols, weighted)}
    totals |= {col: float(v) if len(c) else 0.0 for col, v in zip(pop_cols, pop.sum(axis=0))}
    totals["c03_required"] = int(c["c03_required"].sum())
    totals["c03_missing"] = int((c["c03_required"] & ~c["c03_present"]).sum())
    return totals
