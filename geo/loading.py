"""Reading a phusong dataset folder and enforcing its schema (see ``data/README.md``).

A dataset is a folder with one file per layer, named after the layer: ``communes`` (polygons, any
vector format GDAL reads), ``bts_sites``, ``loudspeakers``, ``internet_points`` and optional
``settlements`` (CSV with ``lat``/``lon`` in WGS 84, or any point vector file), plus an optional
``dataset.json`` with a title and attribution lines.

Every problem is collected (file, row, column, value, reason) before anything is raised. Rows are
numbered as a spreadsheet shows them: the header is row 1, the first data row is row 2; features of
a vector file are numbered from 1. The user's files are only read, never written.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.crs import WGS84
from geo.errors import DataError, PhusongError, Problem

VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip", ".kml", ".fgb")
TABLE_SUFFIXES = (".csv",)
POINT_LAYERS = ("bts_sites", "loudspeakers", "internet_points", "settlements")
LAYERS = ("communes",) + POINT_LAYERS
OPTIONAL_LAYERS = ("settlements",)

_TRUE = {"true", "1", "yes", "y", "x", "có", "co"}
_FALSE = {"false", "0", "no", "n", "", "không", "khong"}


@dataclass(frozen=True)
class Column:
    """One column of the schema: its name, whether it must be present and filled, and its kind."""

    name: str
    kind: str  # "text" | "number" | "bool" | "choice" | "technologies"
    required: bool = True
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


SCHEMA: dict[str, tuple[Column, ...]] = {
    "communes": (
        Column("code", "text"),
        Column("name", "text"),
        Column("population", "number", required=False, minimum=0),
        Column("population_source", "text", required=False),
        Column("especially_difficult", "bool", required=False),
        Column("code_2025", "text", required=False),
        Column("name_2025", "text", required=False),
    ),
    "bts_sites": (
        Column("site_id", "text"),
        Column("carrier", "choice", choices=settings.CARRIERS),
        Column("technologies", "technologies"),
        Column("height_m", "number", required=False, minimum=0, maximum=500),
        Column("illustrative", "bool", required=False),
    ),
    "loudspeakers": (
        Column("id", "text"),
        Column("kind", "choice", choices=settings.LOUDSPEAKER_KINDS),
        Column("radius_m", "number", required=False, minimum=0, maximum=50_000),
        Column("illustrative", "bool", required=False),
    ),
    "internet_points": (
        Column("id", "text"),
        Column("kind", "choice", choices=settings.INTERNET_KINDS),
        Column("illustrative", "bool", required=False),
    ),
    "settlements": (
        Column("name", "text"),
        Column("population", "number", minimum=0),
    ),
}
ID_COLUMN = {"communes": "code", "bts_sites": "site_id", "loudspeakers": "id",
             "internet_points": "id"}


@dataclass
class Dataset:
    """The layers of one dataset, in EPSG:4326, with the problems found while reading them.

    ``communes`` holds polygons; the point layers hold points and an ``illustrative`` bool column.
    Rows with problems are left out of the layers and listed in ``problems``.
    """

    communes: gpd.GeoDataFrame
    bts_sites: gpd.GeoDataFrame
    loudspeakers: gpd.GeoDataFrame
    internet_points: gpd.GeoDataFrame
    settlements: gpd.GeoDataFrame | None = None
    name: str = ""
    sources: tuple[str, ...] = ()
    problems: list[Problem] = field(default_factory=list)

    @property
    def sites(self) -> dict[str, gpd.GeoDataFrame]:
        """The three service layers by name."""
        return {"bts_sites": self.bts_sites, "loudspeakers": self.loudspeakers,
                "internet_points": self.internet_points}


def find_layer_file(folder: Path, layer: str) -> Path | None:
    """The file in ``folder`` holding ``layer`` (by file stem), or None."""
    candidates = [p for p in sorted(folder.iterdir())
                  if p.stem == layer and p.suffix.lower() in VECTOR_SUFFIXES + TABLE_SUFFIXES]
    return candidates[0] if candidates else None


def load_dataset(folder: str | Path, *, strict: bool = True,
                 overrides: dict[str, str | Path] | None = None) -> Dataset:
    """Read and validate every layer of the dataset in ``folder``.

    Parameters
    ----------
    folder : the dataset folder.
    strict : raise :class:`DataError` listing every problem if any row is bad; with
        ``strict=False`` bad rows are left out and listed in ``Dataset.problems``.
    overrides : layer name -> file to read instead of the folder's own file.

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
    for layer in LAYERS:
        path = overrides.get(layer) or find_layer_file(folder, layer)
        if path is None:
            if layer in OPTIONAL_LAYERS:
                layers[layer] = None
                continue
            problems.append(Problem(str(folder / f"{layer}.*"), None, None, None,
                                    f"layer '{layer}' is missing: add {layer}.csv or "
                                    f"{layer}.geojson (see data/README.md)"))
            layers[layer] = _empty_layer(layer)
            continue
        gdf, layer_problems = read_layer(path, layer)
        layers[layer] = gdf
        problems += layer_problems

    meta = _read_meta(folder / "dataset.json", problems)
    if strict and problems:
        raise DataError(problems, f"{len(problems)} problem(s) in dataset {folder}")
    return Dataset(communes=layers["communes"], bts_sites=layers["bts_sites"],
                   loudspeakers=layers["loudspeakers"], internet_points=layers["internet_points"],
                   settlements=layers["settlements"], name=meta.get("name", folder.name),
                   sources=tuple(meta.get("sources", ())), problems=problems)


def read_layer(path: str | Path, layer: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Read one layer file and validate it against ``SCHEMA[layer]``.

    Returns the valid rows (EPSG:4326, schema columns typed) and the problems of the others.
    """
    path = Path(path)
    if layer not in SCHEMA:
        raise PhusongError(f"unknown layer {layer!r}; layers are {', '.join(LAYERS)}")
    name = path.name
    try:
        if path.suffix.lower() in TABLE_SUFFIXES:
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
            row_offset = 2  # header is row 1
        else:
            frame = gpd.read_file(path)
            row_offset = 1
    except Exception as exc:  # any reader failure becomes a message naming the file
        return _empty_layer(layer), [Problem(name, None, None, None, f"cannot be read: {exc}")]
    frame.columns = [str(c).strip() for c in frame.columns]
    problems: list[Problem] = []

    if isinstance(frame, gpd.GeoDataFrame):
        geometry, bad_geom = _check_geometry(frame, name, layer, row_offset)
    else:
        geometry, bad_geom = _points_from_latlon(frame, name, row_offset)
    problems += bad_geom
    missing = [c.name for c in SCHEMA[layer] if c.required and c.name not in frame.columns]
    for column in missing:
        problems.append(Problem(name, None, column, None,
                                f"required column '{column}' is missing; columns found: "
                                f"{', '.join(map(str, frame.columns)) or 'none'}"))
    if missing or geometry is None:
        return _empty_layer(layer), problems

    out = pd.DataFrame(index=frame.index)
    bad_rows = set(i for p in bad_geom if p.row is not None for i in [p.row - row_offset])
    for col in SCHEMA[layer]:
        if col.name not in frame.columns:
            out[col.name] = _default(col)
            continue
        values, col_problems = _parse_column(frame[col.name], col, name, row_offset)
        out[col.name] = values
        problems += col_problems
        bad_rows |= {p.row - row_offset for p in col_problems}
    id_col = ID_COLUMN.get(layer)
    if id_col:
        dup = out[id_col].duplicated(keep="first") & ~out.index.isin(bad_rows)
        for i in out.index[dup]:
            problems.append(Problem(name, int(i) + row_offset, id_col, str(out.at[i, id_col]),
                                    "duplicate id: each row needs its own"))
            bad_rows.add(i)
    keep = ~out.index.isin(sorted(bad_rows))
    gdf = gpd.GeoDataFrame(out[keep].reset_index(drop=True),
                           geometry=gpd.GeoSeries(geometry[keep], crs=WGS84).reset_index(drop=True))
    if layer in ("bts_sites", "loudspeakers", "internet_points"):
        gdf["illustrative"] = gdf["illustrative"].astype(bool)
    return gdf, problems


# --- helpers -------------------------------------------------------------------------------------

def _empty_layer(layer: str) -> gpd.GeoDataFrame:
    columns = {c.name: pd.Series(dtype=_dtype(c)) for c in SCHEMA[layer]}
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=WGS84))


def _dtype(col: Column) -> str:
    return {"number": "float64", "bool": "bool"}.get(col.kind, "object")


def _default(col: Column):
    return {"number": np.nan, "bool": False}.get(col.kind, "")


def _parse_column(series: pd.Series, col: Column, name: str,
                  row_offset: int) -> tuple[pd.Series, list[Problem]]:
    problems: list[Problem] = []
    values = []
    for i, raw in series.items():
        text = "" if raw is None or (isinstance(raw, float) and math.isnan(raw)) else str(raw).strip()
        value, reason = _parse_value(text, col)
        if reason:
            problems.append(Problem(name, int(i) + row_offset, col.name, text, reason))
        values.append(value)
    return pd.Series(values, index=series.index, dtype=_dtype(col) if not problems else object), problems


def _parse_value(text: str, col: Column):
    """(value, None) or (placeholder, reason)."""
    if text == "":
        if col.required:
            return _default(col), "empty, but this column is required"
        return _default(col), None
    if col.kind == "text":
        return text, None
    if col.kind == "number":
        try:
            number = float(text)
        except ValueError:
            return np.nan, "not a number (use a decimal point, e.g. 30.5)"
        if not math.isfinite(number):
            return np.nan, "not a finite number"
        if col.minimum is not None and number < col.minimum:
            return np.nan, f"must be ≥ {col.minimum:g}"
        if col.maximum is not None and number > col.maximum:
            return np.nan, f"must be ≤ {col.maximum:g}"
        return number, None
    if col.kind == "bool":
        low = text.lower()
        if low in _TRUE:
            return True, None
        if low in _FALSE:
            return False, None
        return False, "not a yes/no value (use true or false)"
    if col.kind == "choice":
        for option in col.choices:
            if text.lower() == option.lower():
                return option, None
        return text, f"not one of {', '.join(col.choices)}"
    if col.kind == "technologies":
        parts = [p.strip().upper() for p in text.replace(",", ";").replace("/", ";").split(";")]
        parts = [p for p in parts if p]
        unknown = [p for p in parts if p not in settings.TECHNOLOGIES]
        if unknown or not parts:
            return text, (f"unknown technology {', '.join(unknown)}; use any of "
                          f"{', '.join(settings.TECHNOLOGIES)} separated by ';'")
        ordered = [t for t in settings.TECHNOLOGIES if t in parts]
        return ";".join(ordered), None
    raise AssertionError(col.kind)


def _points_from_latlon(frame: pd.DataFrame, name: str,
                        row_offset: int) -> tuple[np.ndarray | None, list[Problem]]:
    problems = [Problem(name, None, c, None, f"required column '{c}' is missing (WGS 84 degrees)")
                for c in ("lat", "lon") if c not in frame.columns]
    if problems:
        return None, problems
    lat = pd.to_numeric(frame["lat"].str.strip(), errors="coerce").to_numpy(float)
    lon = pd.to_numeric(frame["lon"].str.strip(), errors="coerce").to_numpy(float)
    for column, values, raw, limit in (("lat", lat, frame["lat"], 90), ("lon", lon, frame["lon"], 180)):
        for i in np.flatnonzero(~np.isfinite(values) | (np.abs(values) > limit)):
            reason = ("not a number in decimal degrees" if not np.isfinite(values[i])
                      else f"outside ±{limit}°")
            problems.append(Problem(name, int(i) + row_offset, column, str(raw.iloc[i]), reason))
    return shapely.points(lon, lat), problems


def _check_geometry(frame: gpd.GeoDataFrame, name: str, layer: str,
                    row_offset: int) -> tuple[np.ndarray | None, list[Problem]]:
    if frame.crs is None:
        return None, [Problem(name, None, "geometry", None,
                              "the file declares no coordinate reference system (CRS)")]
    geoms = frame.geometry.to_crs(WGS84).to_numpy()
    wanted = ("Polygon", "MultiPolygon") if layer == "communes" else ("Point",)
    problems = []
    types = shapely.get_type_id(geoms)
    names = np.array(["Point", "LineString", "LinearRing", "Polygon", "MultiPoint",
                      "MultiLineString", "MultiPolygon", "GeometryCollection"] + ["missing"])
    for i, geom in enumerate(geoms):
        type_name = names[types[i]] if types[i] >= 0 else "missing"
        if geom is None or shapely.is_empty(geom):
            problems.append(Problem(name, i + row_offset, "geometry", None, "geometry is empty"))
        elif type_name not in wanted:
            problems.append(Problem(name, i + row_offset, "geometry", type_name,
                                    f"expected {' or '.join(wanted)}"))
        elif not shapely.is_valid(geom):
            problems.append(Problem(name, i + row_offset, "geometry", None,
                                    f"invalid geometry: {shapely.is_valid_reason(geom)}"))
    return geoms, problems


def _read_meta(path: Path, problems: list[Problem]) -> dict:
    if not path.exists():
        return {}
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        problems.append(Problem(path.name, None, None, None, f"cannot be read as JSON: {exc}"))
        return {}
    return meta if isinstance(meta, dict) else {}
