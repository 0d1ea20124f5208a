"""Reading a phusong dataset folder and enforcing its schema (see ``data/README.md``).

A dataset is a folder with one file per layer, named after the layer: ``communes`` (polygons, any
vector format GDAL reads), ``bts_sites``, ``loudspeakers``, ``internet_points`` and optional
``settlements`` (CSV with ``lat``/``lon`` in WGS 84, or any point vector file), plus an optional
``dataset.json`` with a title and attribution lines.

Every problem is collected (file, row, column, value, reason) before anything is raised; rows are
numbered as the user sees them (:mod:`geo.errors`, "Row numbers"). The user's files are only read,
never written.
"""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd

from geo import i18n, settings
from geo.crs import working_crs
from geo.errors import DataError, PhusongError, Problem
from geo.io import population as pop_module
from geo.model.schema import (  # noqa: F401  (re-exported: loading.LAYERS, loading.Dataset, …)
    ID_COLUMN,
    LAYERS,
    OPTIONAL_LAYERS,
    POINT_LAYERS,
    SCHEMA,
    Column,
    Dataset,
    PopulationGrid,
    empty_layer,
)

VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip", ".kml", ".kmz", ".fgb")
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")


def find_layer_file(folder: Path, layer: str) -> Path | None:
    """The file in ``folder`` holding ``layer`` (by file stem), or None."""
    candidates = [
        p
        for p in sorted(folder.iterdir())
        if p.stem == layer and p.suffix.lower() in VECTOR_SUFFIXES + TABLE_SUFFIXES
    ]
    return candidates[0] if candidates else None


def folder_bytes(folder: str | Path) -> int:
    """The size in bytes of the files directly in ``folder`` (0 if it is not a folder): a cheap
    measure of how long :func:`load_dataset` will take (about 1.7 s per MB, settings.py)."""
    folder = Path(folder)
    if not folder.is_dir():
        return 0
    return sum(p.stat().st_size for p in folder.iterdir() if p.is_file())


def load_dataset(
    folder: str | Path, *, strict: bool = True, overrides: dict[str, str | Path] | None = None
) -> Dataset:
    """Read and validate every layer of the dataset in ``folder``.

    Parameters
    ----------
    folder : the dataset folder.
    strict : raise :class:`DataError` listing every problem if any row is bad; with
        ``strict=False`` bad rows are left out and listed in ``Dataset.problems``. Warnings
        (kept rows, e.g. swapped coordinates read swapped) never raise; they are listed too.
    overrides : layer name -> file to read instead of the folder's own file; ``"population"``
        names a population grid (GeoTIFF) to use instead of the folder's ``population.tif``.

    Returns
    -------
    Dataset in EPSG:4326.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise PhusongError(f"dataset folder not found: {folder}")
    overrides = {k: Path(v) for k, v in (overrides or {}).items()}
    problems: list[Problem] = []
    layers: dict[str, gpd.GeoDataFrame | None] = {}
    meta = _read_meta(folder / "dataset.json", problems)
    layer_crs = meta.get("crs") if isinstance(meta.get("crs"), dict) else {}
    for layer in LAYERS:
        path = overrides.get(layer) or find_layer_file(folder, layer)
        if path is None:
            if layer in OPTIONAL_LAYERS:
                layers[layer] = None
                continue
            problems.append(
                Problem(
                    str(folder / f"{layer}.*"),
                    None,
                    None,
                    None,
                    i18n.reason("layer_missing", layer=layer),
                )
            )
            layers[layer] = empty_layer(layer)
            continue
        gdf, layer_problems = read_layer(
            path, layer, crs=layer_crs.get(layer), communes=layers.get("communes")
        )
        layers[layer] = gdf
        problems += layer_problems
        if layer == "communes" and not len(gdf) and not any(p.is_error for p in layer_problems):
            problems.append(Problem(path.name, None, None, None, i18n.reason("no_commune")))

    # The folder's own grid with other communes (e.g. uploaded for another district) may not fit
    # them: then it is only a warning, since the user did not choose that grid.
    population = _read_population(
        overrides.get("population") or pop_module.find_grid(folder),
        layers["communes"],
        problems,
        implicit="population" not in overrides and "communes" in overrides,
    )
    errors = [p for p in problems if p.is_error]
    if strict and errors:
        raise DataError(problems, f"{len(errors)} problem(s) in dataset {folder}")
    return Dataset(
        communes=layers["communes"],
        bts_sites=layers["bts_sites"],
        loudspeakers=layers["loudspeakers"],
        internet_points=layers["internet_points"],
        settlements=layers["settlements"],
        name=meta.get("name", folder.name),
        sources=_sources(meta, problems),
        problems=problems,
        population=population,
    )


def read_layer(
    path: str | Path, layer: str, *, crs=None, communes: gpd.GeoDataFrame | None = None
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Read one layer file and validate it against ``SCHEMA[layer]``.

    Returns the valid rows (EPSG:4326, schema columns typed) and the problems of the others
    (and warnings on kept rows). Any format and column alias of :mod:`geo.io.importing` is accepted.
    """
    from geo.io import importing

    return tuple(importing.import_layer(path, layer, crs=crs, communes=communes))


# --- helpers -------------------------------------------------------------------------------------


def _read_population(
    path: Path | None,
    communes: gpd.GeoDataFrame | None,
    problems: list[Problem],
    *,
    implicit: bool = False,
) -> PopulationGrid | None:
    """The population grid at ``path`` cut to the communes, or None; a grid that cannot be used is
    one error (a warning when ``implicit``: the folder's grid under communes given apart, people
    then spread evenly) and communes it does not cover are warnings, added to ``problems``."""
    if path is None:
        return None
    if communes is None or not len(communes):
        return None
    try:
        grid = pop_module.read_grid(path, area=communes)
    except pop_module.GridError as exc:
        problems.append(
            Problem(
                exc.name,
                None,
                None,
                None,
                i18n.reason("grid_not_used", reason=exc.reason) if implicit else exc.reason,
                severity="warning" if implicit else "error",
            )
        )
        return None
    except PhusongError as exc:  # the file is missing
        problems.append(Problem(Path(path).name, None, None, None, str(exc)))
        return None
    problems += pop_module.coverage_problems(communes, grid, working_crs(communes))
    return grid


def _sources(meta: dict, problems: list[Problem]) -> tuple[str | dict[str, str], ...]:
    """The ``sources`` of dataset.json: strings, or objects with one string per language
    (``{"vi": "…", "en": "…"}``); any other entry is reported and left out."""
    kept = []
    for i, entry in enumerate(meta.get("sources", ()) or ()):
        if isinstance(entry, str) or (
            isinstance(entry, dict)
            and entry
            and set(entry) <= set(settings.LANGS)
            and all(isinstance(v, str) for v in entry.values())
        ):
            kept.append(entry)
        else:
            problems.append(
                Problem(
                    "dataset.json",
                    i + 1,
                    "sources",
                    str(entry)[:80],
                    i18n.reason("bad_source", langs=", ".join(settings.LANGS)),
                    severity="warning",
                )
            )
    return tuple(kept)


def _read_meta(path: Path, problems: list[Problem]) -> dict:
    if not path.exists():
        return {}
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        problems.append(
            Problem(path.name, None, None, None, i18n.reason("not_json", detail=str(exc)))
        )
        return {}
    return meta if isinstance(meta, dict) else {}
