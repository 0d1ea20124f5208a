"""Importing one layer file the way real users send it, with every problem named.

``import_layer(path, layer)`` reads any supported format (:mod:`geo.io.readers`), renames aliased
columns (:mod:`geo.io.normalise`: "Kinh độ" → lon, "Nhà mạng" → carrier …), builds the geometry
(a vector file's own, reprojected from its declared CRS; or coordinates in a table: decimal point
or comma, degrees-minutes-seconds, one "lat, lon" column), checks and types the schema columns of
``geo.io.loading.SCHEMA`` and returns the good rows in EPSG:4326 with the problems of the others.

A :class:`~geo.errors.Problem` with severity "error" left its row (or the file) out; a "warning"
kept it and says what was assumed or changed (swapped latitude/longitude, a repaired polygon, a
commune code found by name, a point far outside the communes). Rows are numbered as the user sees
them (:mod:`geo.errors`, "Row numbers").
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import replace
from pathlib import Path
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geo.io import measurements, normalise, opencellid, readers
from geo.crs import WGS84, working_crs
from geo.errors import PhusongError, Problem
from geo.i18n import Reason, reason
from geo.io.normalise import bare_name
from geo.model.schema import ID_COLUMN, SCHEMA, empty_layer
from geo.io.archives import UploadError

# Vietnam's extent in degrees (mainland and islands, rounded out): used to tell swapped
# latitude/longitude apart, never to reject a point.
VIETNAM_LAT = (8.0, 24.0)
VIETNAM_LON = (102.0, 110.0)
# A point farther than this from every commune is flagged (kept, with a warning).
FAR_FROM_COMMUNES_M = 10_000.0
# An invalid polygon is repaired (shapely.make_valid) when the repair changes its area by at most
# this fraction; otherwise the row is refused.
REPAIR_AREA_TOLERANCE = 0.01
_MAX_VALUE_CHARS = 200
_GEOM_NAMES = (
    "Point",
    "LineString",
    "LinearRing",
    "Polygon",
    "MultiPoint",
    "MultiLineString",
    "MultiPolygon",
    "GeometryCollection",
)


class Imported(NamedTuple):
    """One imported layer (EPSG:4326, schema columns typed) and the problems found."""

    layer: gpd.GeoDataFrame
    problems: list[Problem]


def import_layer(
    path: str | Path,
    layer: str,
    *,
    crs: str | CRS | None = None,
    communes: gpd.GeoDataFrame | None = None,
    reference: pd.DataFrame | None = None,
) -> Imported:
    """Read ``path`` as ``layer`` (one of ``geo.io.loading.LAYERS``).

    Parameters
    ----------
    path : the file (CSV/TSV/TXT, XLSX, GeoJSON, GeoPackage, zipped Shapefile, KML, KMZ …).
    layer : which layer the file holds.
    crs : CRS of a table's x/y columns or of a vector file that declares none (e.g. "EPSG:3405"
        for VN-2000 / UTM 48N); default WGS 84 degrees.
    communes : the commune layer (EPSG:4326); points farther than :data:`FAR_FROM_COMMUNES_M`
        from every commune get a warning.
    reference : communes to join a commune file without codes to (columns ``code``, ``name`` and
        optionally ``lat``, ``lon``, ``code_2025``, ``name_2025``); default
        :func:`reference_communes` (the legacy GSO units of ``vietnamadminunits``), loaded only
        when needed.

    Stages: read (:func:`_read`), map columns (:func:`_map_columns`), geometry
    (:func:`_vector_geometry` or :func:`_table_points`), commune codes by name
    (:func:`join_codes`), schema columns (:func:`_missing_columns`, :func:`_schema_columns`,
    :func:`_duplicate_ids`), the kept rows (:func:`_assemble`), far points (:func:`far_points`),
    the report in the user's column names (:func:`_in_user_columns`).
    """

    path = Path(path)
    if layer not in SCHEMA:
        raise PhusongError(f"unknown layer {layer!r}; layers are {', '.join(SCHEMA)}")
    name = path.name
    raw, refused = _read(path, layer)
    if raw is None:
        return Imported(empty_layer(layer), refused)
    frame, renamed = _map_columns(raw, layer)
    user_column = {canonical: original for original, canonical in renamed.items()}
    if layer == "bts_sites" and opencellid.is_export(raw.frame.columns):
        return _opencellid_sites(raw, name, communes)
    first = raw.first_row
    if raw.is_vector:
        geometry, geom_problems = _vector_geometry(frame, name, layer, first, crs)
    else:
        geometry, geom_problems = _table_points(frame, name, first, crs)
    problems = [*raw.problems, *geom_problems]
    joined = None
    if layer == "communes" and "code" not in frame.columns and "name" in frame.columns:
        joined, join_problems = join_codes(
            frame["name"], geometry, name=name, first_row=first, reference=reference
        )
        problems += join_problems
    missing = _missing_columns(frame, layer, SCHEMA[layer], joined, name)
    problems += missing
    if missing or geometry is None:
        return Imported(empty_layer(layer), _in_user_columns(problems, user_column))
    bad = {p.row - first for p in geom_problems if p.row is not None and p.is_error}
    out, col_problems, col_bad = _schema_columns(frame, SCHEMA[layer], joined, name, first)
    problems += col_problems
    if layer == "measurements":  # carrier codes, technology, service from a level or bars
        more, left_out = measurements.finish(
            out, set(frame.columns), name=name, first=first, bad=bad | col_bad
        )
        problems += more
        col_bad |= left_out
    dup_problems, dup_bad = _duplicate_ids(out, ID_COLUMN.get(layer), bad | col_bad, name, first)
    problems += dup_problems
    keep = ~out.index.isin(sorted(bad | col_bad | dup_bad))
    gdf = _assemble(out[keep], np.asarray(geometry, dtype=object)[keep], SCHEMA[layer])
    if communes is not None and layer != "communes" and len(gdf) and len(communes):
        rows = (frame.index[keep] + first).to_numpy()
        problems += far_points(gdf, communes, file=name, rows=rows)
    return Imported(gdf, _in_user_columns(problems, user_column))


def _opencellid_sites(raw: readers.Raw, name: str, communes: gpd.GeoDataFrame | None) -> Imported:
    """An OpenCellID export read as ``bts_sites``: its cells merged into sites
    (:func:`geo.io.opencellid.cells_to_sites`), far sites warned about."""
    sites, problems = opencellid.cells_to_sites(raw, name=name, problems=list(raw.problems))
    rows = sites.pop("first_row").to_numpy()
    if communes is not None and len(sites) and len(communes):
        problems += far_points(sites, communes, file=name, rows=rows)
    return Imported(sites, problems)


def _read(path: Path, layer: str) -> tuple[readers.Raw | None, list[Problem]]:
    """(what the file held, []), or (None, the problems that refuse the whole file)."""
    name = path.name
    try:
        return readers.read_raw(path, layer=layer), []
    except readers.ReadError as exc:
        return None, [Problem(name, None, None, None, reason("cannot_read", detail=_why(exc)))]
    except UploadError as exc:
        return None, list(exc.problems)
    except Exception as exc:  # a reader failing in an unforeseen way still names the file
        return None, [Problem(name, None, None, None, reason("cannot_read", detail=str(exc)))]


def _map_columns(raw: readers.Raw, layer: str) -> tuple[pd.DataFrame, dict[str, str]]:
    """(a copy of the file's table with its aliased columns renamed to the schema's names,
    {the user's column name: schema name}); column names are stripped of spaces."""
    frame = raw.frame.copy()
    frame.columns = [str(c).strip() for c in frame.columns]
    attrs = [c for c in frame.columns if not (raw.is_vector and c == frame.geometry.name)]
    renamed = normalise.resolve_columns(attrs, layer)
    return frame.rename(columns=renamed), renamed


def _missing_columns(
    frame: pd.DataFrame, layer: str, columns, joined: pd.DataFrame | None, name: str
) -> list[Problem]:
    """One problem per required schema column the file lacks (a joined ``code`` counts)."""
    missing = [
        c.name
        for c in columns
        if c.required
        and c.name not in frame.columns
        and not (joined is not None and c.name == "code")
    ]
    return [
        Problem(name, None, column, None, _missing_reason(column, layer, frame))
        for column in missing
    ]


def _schema_columns(
    frame: pd.DataFrame, columns, joined: pd.DataFrame | None, name: str, first: int
) -> tuple[pd.DataFrame, list[Problem], set]:
    """The schema columns parsed from the file (or from the joined codes, or empty defaults),
    the problems met, and the index labels of the rows refused."""
    out = pd.DataFrame(index=frame.index)
    problems: list[Problem] = []
    bad: set = set()
    for col in columns:
        if joined is not None and col.name in joined.columns and col.name not in frame.columns:
            values = joined[col.name].reindex(frame.index)
            bad |= set(frame.index[values.isna() & (col.name == "code")])
            out[col.name] = values.fillna("")
            continue
        if col.name not in frame.columns:
            out[col.name] = {"number": np.nan, "bool": False}.get(col.kind, "")
            continue
        values, col_problems = _parse_column(frame[col.name], col, name, first)
        out[col.name] = values
        problems += col_problems
        bad |= {p.row - first for p in col_problems if p.is_error}
    return out, problems, bad


def _duplicate_ids(
    out: pd.DataFrame, id_col: str | None, bad: set, name: str, first: int
) -> tuple[list[Problem], set]:
    """A problem and a refusal for each repeated identifier after its first good row."""
    if not id_col:
        return [], set()
    dup = out[id_col].duplicated(keep="first") & ~out.index.isin(bad) & (out[id_col] != "")
    problems = [
        Problem(name, int(i) + first, id_col, str(out.at[i, id_col]), reason("duplicate_id"))
        for i in out.index[dup]
    ]
    return problems, set(out.index[dup])


def _assemble(out: pd.DataFrame, geometry: np.ndarray, columns) -> gpd.GeoDataFrame:
    """The kept rows as a layer in EPSG:4326 with every schema column typed."""
    geoms = gpd.GeoSeries(geometry, crs=WGS84)
    gdf = gpd.GeoDataFrame(out.reset_index(drop=True), geometry=geoms.reset_index(drop=True))
    for col in columns:
        if col.kind == "number":
            gdf[col.name] = pd.to_numeric(gdf[col.name], errors="coerce").astype(float)
        elif col.kind == "bool":
            gdf[col.name] = gdf[col.name].astype(bool)
        else:
            gdf[col.name] = gdf[col.name].astype(object)
    return gdf


def _in_user_columns(problems: list[Problem], user_column: dict[str, str]) -> list[Problem]:
    """``problems`` with each column named as the user's file names it ("Vĩ độ", not ``lat``)."""

    def own(column: str | None) -> str | None:
        if column is None:
            return None
        if column == "lat/lon" and "lat" not in user_column and "latlon" in user_column:
            return user_column["latlon"]  # one "Tọa độ" column
        return "/".join(user_column.get(part, part) for part in column.split("/"))

    return [p if own(p.column) == p.column else replace(p, column=own(p.column)) for p in problems]


def _why(exc: Exception) -> Reason | str:
    """The reason an exception carries: its :class:`~geo.i18n.Reason`, else its text."""
    return exc.args[0] if exc.args and isinstance(exc.args[0], Reason) else str(exc)


# --- geometry ---------------------------------------------------------------------------------------


def _plausible_degrees(bounds: np.ndarray) -> bool:
    xmin, ymin, xmax, ymax = bounds
    return bool(
        np.all(np.isfinite(bounds)) and -180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90
    )


def _metres_hint(bounds: np.ndarray) -> Reason:
    return reason("metres_hint", x=round(float(bounds[2])), y=round(float(bounds[3])))


def _vector_geometry(
    frame: gpd.GeoDataFrame, name: str, layer: str, first: int, crs
) -> tuple[np.ndarray | None, list[Problem]]:
    problems: list[Problem] = []
    series = frame.geometry
    present = series[~(series.isna() | series.is_empty)]
    bounds = present.total_bounds if len(present) else np.array([0.0, 0.0, 0.0, 0.0])
    if series.crs is None:
        if crs is not None:
            series = series.set_crs(crs)
        elif _plausible_degrees(bounds):
            problems.append(
                Problem(name, None, "geometry", None, reason("no_crs_degrees"), "warning")
            )
            series = series.set_crs(WGS84)
        else:
            return None, [
                Problem(
                    name, None, "geometry", None, reason("no_crs_metres", hint=_metres_hint(bounds))
                )
            ]
    elif series.crs.is_geographic and len(present) and not _plausible_degrees(bounds):
        return None, [
            Problem(
                name,
                None,
                "geometry",
                str(series.crs.name),
                reason("crs_not_degrees", hint=_metres_hint(bounds)),
            )
        ]
    try:
        geoms = series.to_crs(WGS84).to_numpy()
    except Exception as exc:
        return None, [
            Problem(name, None, "geometry", str(series.crs), reason("reproject", detail=str(exc)))
        ]
    wanted = ("Polygon", "MultiPolygon") if layer == "communes" else ("Point",)
    out = geoms.copy()
    types = shapely.get_type_id(geoms)
    for i, geom in enumerate(geoms):
        row = i + first
        if geom is None or shapely.is_empty(geom):
            problems.append(Problem(name, row, "geometry", None, reason("geometry_empty")))
            continue
        type_name = _GEOM_NAMES[types[i]] if 0 <= types[i] < len(_GEOM_NAMES) else "unknown"
        if (
            type_name == "MultiPoint"
            and wanted == ("Point",)
            and shapely.get_num_geometries(geom) == 1
        ):
            out[i] = geom = shapely.get_geometry(geom, 0)
            type_name = "Point"
        if type_name not in wanted:
            problems.append(
                Problem(
                    name,
                    row,
                    "geometry",
                    type_name,
                    reason("expected_polygon" if layer == "communes" else "expected_point"),
                )
            )
            continue
        if not np.isfinite(shapely.get_coordinates(geom)).all():
            problems.append(Problem(name, row, "geometry", None, reason("not_finite_coords")))
            continue
        if not shapely.is_valid(geom):
            why = shapely.is_valid_reason(geom)
            repaired, change = repair_polygon(geom)
            if repaired is None:
                problems.append(
                    Problem(
                        name,
                        row,
                        "geometry",
                        None,
                        reason("invalid_geometry", detail=why, change=100.0 * change),
                    )
                )
                continue
            out[i] = repaired
            problems.append(
                Problem(
                    name,
                    row,
                    "geometry",
                    None,
                    reason("repaired", 4, detail=why, change=100.0 * change),
                    "warning",
                )
            )
    return out, problems


def repair_polygon(geom) -> tuple[shapely.Geometry | None, float]:
    """(repaired polygon, relative area change) with :func:`shapely.make_valid`, keeping only
    polygonal parts; (None, change) when the change exceeds :data:`REPAIR_AREA_TOLERANCE` or
    nothing polygonal is left. Areas are compared in the shape's own units (ratio only)."""
    fixed = shapely.make_valid(geom)
    parts = [
        p for p in shapely.get_parts(fixed) if shapely.get_type_id(p) in (3, 6)
    ]  # Polygon, MultiPolygon
    if fixed.geom_type == "GeometryCollection":
        parts = [
            q
            for p in shapely.get_parts(fixed)
            for q in shapely.get_parts(p)
            if q.geom_type in ("Polygon", "MultiPolygon")
        ]
    if not parts:
        return None, 1.0
    fixed = shapely.union_all(parts)
    before = abs(geom.area)
    change = abs(fixed.area - before) / before if before > 0 else math.inf
    if not change <= REPAIR_AREA_TOLERANCE:
        return None, change if math.isfinite(change) else 1.0
    return fixed, change


def _table_points(
    frame: pd.DataFrame, name: str, first: int, crs
) -> tuple[np.ndarray | None, list[Problem]]:
    """Points (EPSG:4326; None for refused rows) from a table's coordinate columns, and the
    problems; (None, problems) when the file has no coordinates or they are not degrees.

    Stages: parse (:func:`_parse_lat_lon` for two columns, :func:`_parse_pairs` for one
    "lat, lon" column), convert to degrees (:func:`_to_degrees`), check each point
    (:func:`_check_points`: swapped axes, range).
    """
    pair = not ("lat" in frame.columns and "lon" in frame.columns)
    if not pair:
        lat, lon, bad, hemis, problems = _parse_lat_lon(frame, name, first)
    elif "latlon" in frame.columns:
        lat, lon, bad, problems = _parse_pairs(frame, name, first)
        hemis = np.zeros(len(frame), bool)
    else:
        return None, _missing_coordinates(frame, name)
    lat, lon, not_degrees = _to_degrees(lat, lon, ~bad, crs)
    if not_degrees is not None:
        return None, problems + [Problem(name, None, "lat/lon", None, not_degrees)]
    lat, lon, bad, point_problems = _check_points(
        frame, lat, lon, bad, hemis, pair=pair, name=name, first=first
    )
    geoms = shapely.points(lon, lat)
    geoms[bad] = None
    return geoms, problems + point_problems


def _parse_lat_lon(frame: pd.DataFrame, name: str, first: int):
    """(lat, lon, refused, hemisphere given, problems) parsed from the ``lat`` and ``lon``
    columns (any notation of :func:`geo.io.normalise.parse_coordinate`); NaN where refused."""
    n = len(frame)
    lat, lon = np.full(n, np.nan), np.full(n, np.nan)
    bad, hemis = np.zeros(n, bool), np.zeros(n, bool)
    problems: list[Problem] = []
    for k, (i, a, b) in enumerate(zip(frame.index, frame["lat"], frame["lon"])):
        for column, text, target in (("lat", a, lat), ("lon", b, lon)):
            try:
                value, axis = normalise.parse_coordinate(text)
            except ValueError as exc:
                problems.append(Problem(name, int(i) + first, column, _show(text), _why(exc)))
                bad[k] = True
                continue
            if axis is not None and axis != column:
                problems.append(
                    Problem(
                        name,
                        int(i) + first,
                        column,
                        _show(text),
                        reason(
                            "hemisphere_axis",
                            axis=reason("longitude" if axis == "lon" else "latitude"),
                        ),
                    )
                )
                bad[k] = True
            hemis[k] |= axis is not None
            target[k] = value
    return lat, lon, bad, hemis, problems


def _parse_pairs(frame: pd.DataFrame, name: str, first: int):
    """(lat, lon, refused, problems) parsed from one "lat, lon" column (``latlon``)."""
    n = len(frame)
    lat, lon = np.full(n, np.nan), np.full(n, np.nan)
    bad = np.zeros(n, bool)
    problems: list[Problem] = []
    for k, (i, text) in enumerate(zip(frame.index, frame["latlon"])):
        try:
            lat[k], lon[k] = normalise.parse_lat_lon(text)
        except ValueError as exc:
            problems.append(Problem(name, int(i) + first, "latlon", _show(text), _why(exc)))
            bad[k] = True
    return lat, lon, bad, problems


def _missing_coordinates(frame: pd.DataFrame, name: str) -> list[Problem]:
    """The problems of a table with no coordinate columns, listing the names accepted."""
    found = ", ".join(map(str, frame.columns)) or reason("none_found")
    hint = ""
    if len(frame.columns) == 1 and any(d in str(frame.columns[0]) for d in " :"):
        hint = reason("one_column_hint")
    return [
        Problem(
            name,
            None,
            c,
            None,
            reason("missing_coordinate", column=c, aliases=aliases, found=found, hint=hint),
        )
        for c, aliases in (
            ("lat", "Vĩ độ, vi_do, latitude, y"),
            ("lon", "Kinh độ, kinh_do, lng, long, longitude, x"),
        )
    ]


def _to_degrees(
    lat: np.ndarray, lon: np.ndarray, ok: np.ndarray, crs
) -> tuple[np.ndarray, np.ndarray, Reason | None]:
    """(lat, lon) in WGS 84 degrees: the ``ok`` rows converted from ``crs`` when one is given.
    Without one, the reason to refuse the file when most values look like metres, else None."""
    lat, lon = lat.copy(), lon.copy()
    if crs is not None:
        transformer = Transformer.from_crs(CRS.from_user_input(crs), WGS84, always_xy=True)
        lon[ok], lat[ok] = transformer.transform(lon[ok], lat[ok])
        return lat, lon, None
    out_of_range = ok & ((np.abs(lat) > 90) | (np.abs(lon) > 180))
    if (
        out_of_range.sum() > 0
        and out_of_range.sum() >= 0.5 * ok.sum()
        and np.nanmax(np.abs(np.r_[lat[out_of_range], lon[out_of_range]])) > 1000
    ):
        bounds = np.array([0, 0, np.nanmax(lon[ok]), np.nanmax(lat[ok])])
        return lat, lon, reason("not_degrees", hint=_metres_hint(bounds))
    return lat, lon, None


def _check_points(
    frame: pd.DataFrame,
    lat: np.ndarray,
    lon: np.ndarray,
    bad: np.ndarray,
    hemis: np.ndarray,
    *,
    pair: bool,
    name: str,
    first: int,
):
    """(lat, lon, refused, problems): latitude and longitude swapped back where only the swap
    puts a point in Vietnam (and no hemisphere letter fixed the axes), out-of-range rows refused."""
    lat, lon, refused = lat.copy(), lon.copy(), bad.copy()
    problems: list[Problem] = []
    for k, i in enumerate(frame.index):
        if bad[k]:
            continue
        swapped = (
            not hemis[k]
            and _in(lon[k], VIETNAM_LAT)
            and _in(lat[k], VIETNAM_LON)
            and not (_in(lat[k], VIETNAM_LAT) and _in(lon[k], VIETNAM_LON))
        )
        if swapped:
            problems.append(
                Problem(
                    name,
                    int(i) + first,
                    "latlon" if pair else "lat",
                    f"{lat[k]:g}, {lon[k]:g}",
                    reason("swapped"),
                    "warning",
                )
            )
            lat[k], lon[k] = lon[k], lat[k]
        for column, value, limit in (("lat", lat[k], 90), ("lon", lon[k], 180)):
            if abs(value) > limit:
                raw = frame.at[i, "latlon"] if pair else frame.at[i, column]
                problems.append(
                    Problem(
                        name,
                        int(i) + first,
                        "latlon" if pair else column,
                        _show(raw),
                        reason("out_of_range", limit=limit),
                    )
                )
                refused[k] = True
    return lat, lon, refused, problems


def _in(value: float, bounds: tuple[float, float]) -> bool:
    return bounds[0] <= value <= bounds[1]


def _show(value) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= _MAX_VALUE_CHARS else text[:_MAX_VALUE_CHARS] + "…"


def _missing_reason(column: str, layer: str, frame: pd.DataFrame) -> Reason:
    found = ", ".join(str(c) for c in frame.columns if c != "geometry") or reason("none_found")
    aliases = [a for a in normalise.ALIASES[layer].get(column, ()) if a != column][:6]
    also = reason("also_understood", aliases=", ".join(aliases)) if aliases else ""
    hint = reason("code_by_name_hint") if column == "code" and layer == "communes" else ""
    return reason("missing_column", column=column, also=also, hint=hint, found=found)


def far_points(
    points: gpd.GeoDataFrame,
    communes: gpd.GeoDataFrame,
    *,
    file: str,
    rows: np.ndarray,
    max_m: float = FAR_FROM_COMMUNES_M,
) -> list[Problem]:
    """Warnings for points farther than ``max_m`` metres from every commune (kept)."""
    crs = working_crs(communes)
    area = shapely.union_all(communes.to_crs(crs).geometry.to_numpy())
    pts = points.to_crs(crs).geometry.to_numpy()
    dist = shapely.distance(pts, area)
    out = []
    for k in np.flatnonzero(dist > max_m):
        p = points.geometry.iloc[k]
        out.append(
            Problem(
                file,
                int(rows[k]),
                "lat/lon",
                f"{p.y:.6f}, {p.x:.6f}",
                reason("far_point", 1, km=float(dist[k]) / 1000),
                "warning",
            )
        )
    return out


# --- values -------------------------------------------------------------------------------------------


def _parse_column(series: pd.Series, col, name: str, first: int) -> tuple[pd.Series, list[Problem]]:
    problems: list[Problem] = []
    values = []
    for i, raw in series.items():
        text = (
            "" if raw is None or (isinstance(raw, float) and math.isnan(raw)) else str(raw).strip()
        )
        value, why, note = parse_value(text, col)
        if why:
            problems.append(Problem(name, int(i) + first, col.name, _show(text), why))
        elif note:
            problems.append(Problem(name, int(i) + first, col.name, _show(text), note, "warning"))
        values.append(value)
    return pd.Series(values, index=series.index, dtype=object), problems


def parse_value(text: str, col) -> tuple[object, Reason | str | None, Reason | None]:
    """(value, error reason, warning note) of one cell for schema column ``col``."""
    default = {"number": np.nan, "bool": False}.get(col.kind, "")
    if text == "":
        return default, (reason("empty_required") if col.required else None), None
    try:
        if col.kind == "text":
            return text, None, None
        if col.kind == "number":
            number = normalise.parse_number(text)
            if col.minimum is not None and number < col.minimum:
                return default, reason("minimum", limit=_limit(col.minimum)), None
            if col.maximum is not None and number > col.maximum:
                return default, reason("maximum", limit=_limit(col.maximum)), None
            return number, None, None
        if col.kind == "bool":
            return normalise.parse_bool(text), None, None
        if col.kind == "choice" and col.name == "carrier":
            carrier, note = normalise.normalise_carrier(text)
            return carrier, None, note
        if col.kind == "choice":
            return normalise.normalise_choice(text, col.choices), None, None
        if col.kind == "technologies":
            return normalise.parse_technologies(text), None, None
    except ValueError as exc:
        return default if col.kind != "text" else text, _why(exc), None
    raise AssertionError(col.kind)


def _limit(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


# --- commune codes ----------------------------------------------------------------------------------


def reference_communes() -> pd.DataFrame:
    """Legacy (before 1 July 2025) GSO communes of Vietnam from ``vietnamadminunits``: columns
    code, name, lat, lon, code_2025, name_2025, district, province."""
    from geo.io import adminunits

    units = adminunits.legacy_units()
    return units[["code", "name", "lat", "lon", "code_2025", "name_2025", "district", "province"]]


def join_codes(
    names: pd.Series,
    geometry: np.ndarray | None,
    *,
    name: str,
    first_row: int,
    reference: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, list[Problem]]:
    """GSO codes for commune ``names`` by name, ignoring diacritics, case, spaces and the
    "Xã"/"Thị trấn"/"Phường" prefix ("Xã Tà Rụt" = "Ta Rut"). Where several reference communes
    share the name, the one whose point lies in (or nearest to) the row's polygon wins.

    Returns a frame on ``names.index`` with ``code`` (NaN where unmatched) and, where the reference
    has them, ``code_2025`` and ``name_2025``; and one error per unmatched name plus a summary
    warning.
    """
    ref = reference if reference is not None else reference_communes()
    label = reason("reference_given" if reference is not None else "reference_gso")
    ref = ref.reset_index(drop=True)
    bare_ref = ref["name"].map(bare_name)
    by_bare: dict[str, list[int]] = {}
    for k, b in enumerate(bare_ref):
        by_bare.setdefault(b, []).append(k)
    out = pd.DataFrame(index=names.index, columns=["code", "code_2025", "name_2025"], dtype=object)
    problems: list[Problem] = []
    has_points = {"lat", "lon"} <= set(ref.columns)
    for k, (i, text) in enumerate(names.items()):
        text = "" if text is None or (isinstance(text, float) and math.isnan(text)) else str(text)
        candidates = by_bare.get(bare_name(text), []) if text.strip() else []
        if not candidates:
            close = difflib.get_close_matches(bare_name(text), list(by_bare), n=3, cutoff=0.8)
            suggestion = (
                reason("close_names", names=", ".join(ref.at[by_bare[c][0], "name"] for c in close))
                if close
                else ""
            )
            problems.append(
                Problem(
                    name,
                    int(i) + first_row,
                    "name",
                    _show(text),
                    reason("no_commune_name", reference=label, suggestion=suggestion),
                )
            )
            continue
        chosen = candidates[0]
        if len(candidates) > 1 and has_points and geometry is not None and geometry[k] is not None:
            geom = geometry[k]
            pts = shapely.points(
                ref.loc[candidates, "lon"].to_numpy(float),
                ref.loc[candidates, "lat"].to_numpy(float),
            )
            chosen = candidates[int(np.argmin(shapely.distance(geom, pts)))]
        out.at[i, "code"] = str(ref.at[chosen, "code"])
        for col in ("code_2025", "name_2025"):
            if col in ref.columns and isinstance(ref.at[chosen, col], str):
                out.at[i, col] = ref.at[chosen, col]
    matched = int(out["code"].notna().sum())
    problems.append(
        Problem(
            name,
            None,
            "code",
            None,
            reason("codes_by_name", matched=matched, total=len(names), reference=label),
            "warning",
        )
    )
    if "code_2025" in ref.columns and matched:
        out["code_2025"] = out["code_2025"].where(out["code"].notna())
    return out, problems


# --- the import report --------------------------------------------------------------------------------

REPORT_COLUMNS = ("severity", "file", "row", "column", "value", "reason")


def report_frame(problems: list[Problem], *, lang: str = "en") -> pd.DataFrame:
    """The problems as a table (severity, file, row, column, value, reason), errors first; the
    reasons in ``lang``, the column named as the user's file names it."""
    rows = [
        {
            "severity": p.severity,
            "file": p.file,
            "row": p.row,
            "column": p.column,
            "value": p.value,
            "reason": p.text(lang),
        }
        for p in problems
    ]
    frame = pd.DataFrame(rows, columns=list(REPORT_COLUMNS))
    frame["row"] = frame["row"].astype("Int64")
    order = frame["severity"].map({"error": 0, "warning": 1}).fillna(0)
    return (
        frame.assign(_o=order)
        .sort_values("_o", kind="stable")
        .drop(columns="_o")
        .reset_index(drop=True)
    )


def _cell(value) -> object:
    # A spreadsheet must not run a value from the user's file as a formula.
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def report_csv(problems: list[Problem], *, lang: str | None = None) -> bytes:
    """The import report as UTF-8 CSV with a BOM (Excel-friendly); values that a spreadsheet would
    run as formulas are prefixed with an apostrophe.

    Without ``lang`` (the CLI's ``--import-report``): English, headers :data:`REPORT_COLUMNS`.
    With ``lang``: the table the app shows (:func:`report_table`), headers, severities and
    reasons in ``lang``.
    """
    frame = report_frame(problems) if lang is None else report_table(problems, lang=lang)
    for col in ("file", "value", "reason", "column"):  # headers may be in lang: by position
        header = frame.columns[REPORT_COLUMNS.index(col)]
        frame[header] = frame[header].map(_cell)
    return frame.to_csv(index=False).encode("utf-8-sig")


def counts(problems: list[Problem]) -> dict[str, int]:
    """{"error": problems that left something out, "warning": the others, "rows_out": distinct
    rows (or whole files) left out}."""
    errors = [p for p in problems if p.is_error]
    return {
        "error": len(errors),
        "warning": len(problems) - len(errors),
        "rows_out": len({(p.file, p.row) for p in errors}),
    }


def layer_counts(dataset) -> dict[str, int]:
    """Rows read per layer of a :class:`geo.io.loading.Dataset` (settlements only if present)."""
    out = {"communes": len(dataset.communes)}
    out |= {k: len(v) for k, v in dataset.sites.items()}
    if dataset.settlements is not None:
        out["settlements"] = len(dataset.settlements)
    return out


__all__ = [
    "Imported",
    "counts",
    "far_points",
    "import_layer",
    "join_codes",
    "layer_counts",
    "parse_value",
    "reference_communes",
    "repair_polygon",
    "report_csv",
    "report_frame",
]


def report_table(problems: list[Problem], *, lang: str = "vi") -> pd.DataFrame:
    """:func:`report_frame` with headers and severities in ``lang`` (for the app)."""
    from geo import i18n

    frame = report_frame(problems, lang=lang)
    frame["severity"] = frame["severity"].map(lambda s: i18n.t(f"import.severity_{s}", lang))
    frame["row"] = frame["row"].astype(object).where(frame["row"].notna(), "")
    frame = frame.fillna("")
    return frame.rename(columns={c: i18n.t(f"import.col_{c}", lang) for c in REPORT_COLUMNS})


def refusals(problems: list[Problem], *, lang: str = "vi", limit: int = 5) -> list[str]:
    """The first ``limit`` problems that refused a whole file, as Markdown lines "**file**: reason"
    in ``lang`` (file names and reasons escaped: they are text, never markup)."""

    def text(value: str) -> str:
        return re.sub(r"([\\`*_{}\[\]()#+\-.!|$<>~])", r"\\\1", value)

    return [
        f"**{text(p.file)}**: {text(p.text(lang))}"
        for p in problems
        if p.is_error and p.row is None
    ][:limit]


def layer_table(dataset, *, lang: str = "vi") -> pd.DataFrame:
    """Rows read per layer, headers and layer names in ``lang`` (for the app)."""
    from geo import i18n

    rows = layer_counts(dataset)
    return pd.DataFrame(
        {
            i18n.t("import.layer", lang): [i18n.t(f"import.layer_{k}", lang) for k in rows],
            i18n.t("import.count", lang): list(rows.values()),
        }
    )
