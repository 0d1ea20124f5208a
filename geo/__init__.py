"""phusong (*phủ sóng*, "coverage"): where mobile networks, public loudspeakers and internet points
do not reach people, per commune.

The public API, for a notebook or a script::

    import geo

    dataset = geo.load_dataset()                  # the default Đakrông dataset
    analysis = geo.analyse(dataset)               # circle model, per commune
    m = geo.build_map(analysis, metric="no_4g_pct")
    geo.write_report(analysis, "out/")            # CSV, XLSX, GeoJSON, GPKG, HTML, PNG, PDF

    terrain = geo.analyse(dataset, dem="tiles/")  # the terrain model over a DEM (SRTM/Copernicus)
    proposal = geo.plan_sites(dataset, service="bts", k=3)

Everything a function returns is in EPSG:4326 unless it says otherwise; distances and areas are
computed in the data's UTM zone (metres, km²), never in EPSG:3857. ``import geo`` stays light:
each function imports what it needs when called.

The modules, in layers (imports point downwards only; ``uv run lint-imports`` checks it):
:mod:`geo.cli` and :mod:`geo.ui` on top; :mod:`geo.render` (maps, snapshot, exports) beside
:mod:`geo.build` (dataset folders); :mod:`geo.plan` (siting); :mod:`geo.analysis`;
:mod:`geo.store`; :mod:`geo.io` (reading files); :mod:`geo.model` (the schema); and the base
modules :mod:`geo.settings`, :mod:`geo.errors`, :mod:`geo.i18n`, :mod:`geo.crs`, :mod:`geo.cache`,
:mod:`geo.precision`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for the annotations only: nothing heavy is imported with geo
    import folium

    from geo.analysis.gaps import GapAnalysis
    from geo.io.dem import DEM
    from geo.model.schema import Dataset
    from geo.plan.siting import Plan
    from geo.settings import CoverageParams, TerrainParams

__all__ = [
    "analyse",
    "analyse_terrain",
    "build_map",
    "load_dataset",
    "plan_sites",
    "read_dem",
    "write_report",
]


def load_dataset(folder: str | Path | None = None, *, strict: bool = True) -> Dataset:
    """Read and validate a dataset folder (see ``data/README.md``).

    Parameters
    ----------
    folder : the dataset folder: ``communes`` polygons, ``bts_sites``, ``loudspeakers``,
        ``internet_points`` and optional ``settlements`` points, optional ``population.tif``.
        Default: the Đakrông dataset shipped in ``data/dakrong``.
    strict : raise :class:`geo.errors.DataError` listing every problem (file, row, column) when a
        row is bad; with ``False`` bad rows are left out and listed in ``dataset.problems``.

    Returns
    -------
    Dataset
        The layers as GeoDataFrames in EPSG:4326 (lon/lat), the problems found, and the population
        grid (people per cell, the grid's own CRS) when the folder has one.
    """
    from geo import settings
    from geo.io import loading

    return loading.load_dataset(
        settings.DEFAULT_DATA_DIR if folder is None else folder, strict=strict
    )


def analyse(
    dataset: Dataset,
    *,
    vintage: str = "legacy",
    params: CoverageParams | None = None,
    dem: DEM | str | Path | list | None = None,
    terrain: TerrainParams | None = None,
) -> GapAnalysis:
    """Who and where the services do not reach, per commune.

    Parameters
    ----------
    dataset : from :func:`load_dataset`.
    vintage : ``"legacy"`` communes (before 1 July 2025) or the merged ``"2025"`` ones.
    params : reach radii (metres) and filters (:class:`geo.settings.CoverageParams`); default
        the cited defaults of :mod:`geo.settings`.
    dem : a digital elevation model (a :class:`geo.io.dem.DEM`, or DEM files / a folder / zip,
        read with :func:`read_dem`): use the terrain model (line of sight, walking time) instead of
        circles. Default None: the circle model.
    terrain : terrain model parameters (antenna and handset heights in metres, walking minutes),
        with ``dem``.

    Returns
    -------
    GapAnalysis
        ``communes``: per commune the shares (percent of area), people (persons) and areas (km²)
        without 4G, mobile, loudspeaker, internet access, and the gap score; ``gaps``: the
        uncovered areas. Geometries in EPSG:4326; figures computed in the data's UTM zone.
    """
    if dem is not None:
        return analyse_terrain(dataset, dem, vintage=vintage, params=params, terrain=terrain)
    from geo.analysis import gaps
    from geo.settings import CoverageParams

    return gaps.analyse(dataset, vintage=vintage, params=params or CoverageParams())


def read_dem(paths: str | Path | list, dataset: Dataset, *, vintage: str = "legacy") -> DEM:
    """Read DEM files (GeoTIFF, SRTM ``.hgt``, zips of them) over ``dataset``'s communes plus the
    longest default reach, mosaicked and reprojected once to the communes' UTM zone (metres).

    Returns
    -------
    DEM
        Elevations in metres above sea level on a square grid in the working UTM CRS.
    """
    from geo.analysis import terrain
    from geo.io import dem as dem_io
    from geo.settings import CoverageParams

    params = CoverageParams()
    reach = max([r for _, r in params.radius_m] + [r for _, r in params.loudspeaker_radius_m])
    crs, bounds = terrain.dem_area(dataset, vintage=vintage, margin_m=reach)
    files = [paths] if isinstance(paths, (str, Path)) else list(paths)
    return dem_io.read_dem(files, crs=crs, bounds=bounds)


def analyse_terrain(
    dataset: Dataset,
    dem: DEM | str | Path | list,
    *,
    vintage: str = "legacy",
    params: CoverageParams | None = None,
    terrain: TerrainParams | None = None,
) -> GapAnalysis:
    """:func:`analyse` with the terrain model: line of sight from every site over ``dem`` (earth
    curvature and refraction), walking time (Tobler) to internet points.

    ``dem`` is a :class:`geo.io.dem.DEM` in the data's UTM zone, or DEM files read with
    :func:`read_dem`. The per-commune figures are those of :func:`analyse` (percent, persons, km²).
    """
    from geo.analysis import terrain as terrain_model
    from geo.io.dem import DEM as DEMType
    from geo.settings import CoverageParams, TerrainParams

    grid = dem if isinstance(dem, DEMType) else read_dem(dem, dataset, vintage=vintage)
    return terrain_model.analyse_terrain(
        dataset,
        grid,
        vintage=vintage,
        params=params or CoverageParams(),
        terrain=terrain or TerrainParams(),
    )


def plan_sites(
    dataset: Dataset, *, service: str, k: int, dem: DEM | None = None, **options
) -> Plan:
    """Where ``k`` new sites of ``service`` (``"bts"``, ``"loudspeaker"`` or ``"support-point"``)
    would reach the most people still uncovered (or km² where populations are unknown).

    ``options`` are those of :func:`geo.plan.siting.plan` (carrier, technology, vintage, communes,
    exclude, solver, time limit …). Returns a :class:`geo.plan.siting.Plan`: the proposed sites in
    rank order (UTM CRS of the data, metres) with the people and km² each adds.

    (Not ``geo.plan``: that name is the :mod:`geo.plan` package, which Python binds on ``geo``
    as soon as any of its modules is imported.)
    """
    from geo.plan import siting

    return siting.plan(dataset, service=service, k=k, dem=dem, **options)


def build_map(
    analysis: GapAnalysis,
    *,
    metric: str = "no_4g_pct",
    lang: str = "vi",
    show_gaps: tuple[str, ...] = ("no_4g",),
) -> folium.Map:
    """An interactive (folium/Leaflet) map of ``analysis``, offline: communes coloured by
    ``metric`` (a column of ``analysis.communes``, e.g. ``"no_4g_pct"`` in percent), the uncovered
    areas of ``show_gaps`` hatched, the sites, a legend in ``lang`` (``"vi"`` or ``"en"``).
    Shown in a notebook as it is; ``.save("map.html")`` writes one self-contained file."""
    from geo.render import maps

    return maps.build_map(analysis, metric=metric, lang=lang, show_gaps=show_gaps)


def write_report(
    analysis: GapAnalysis,
    out_dir: str | Path,
    *,
    lang: str = "vi",
    metric: str = "no_4g_pct",
    terrain: GapAnalysis | None = None,
) -> list[Path]:
    """Write the report of ``analysis`` into ``out_dir``: the commune table (CSV, XLSX), the
    uncovered areas (GeoJSON and GeoPackage, EPSG:4326), the settings, the map (HTML, PNG, PDF) and
    the PDF report, in ``lang``; with ``terrain`` (an :func:`analyse_terrain` result) the table
    compares both models. Returns the paths written."""
    from geo.render import export

    return export.write_report(analysis, Path(out_dir), lang=lang, metric=metric, terrain=terrain)
