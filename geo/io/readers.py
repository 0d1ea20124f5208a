"""Reading one user file into a raw table: text cells, as the file holds them.

``read_raw(path)`` returns a :class:`Raw`: a ``pandas.DataFrame`` of strings (tables) or a
``GeoDataFrame`` with its declared CRS (vector files), the number of the first data row as the user
sees it (see :mod:`geo.errors`, "Row numbers") and the problems met while reading
(encoding guesses, ragged rows). The user's file is only read; zip containers (zipped Shapefile,
KMZ, a GeoPackage in a zip) are opened through :mod:`geo.io.archives` inside a temporary folder.

Formats: CSV/TSV/TXT (delimiter , ; tab or | sniffed from the header; UTF-8 with or without BOM,
UTF-16 with BOM, else Windows-1258 then Windows-1252), XLSX, GeoJSON, GeoPackage, Shapefile (.shp
or .zip), KML, KMZ, FlatGeobuf.
"""

from __future__ import annotations

import csv
import io
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo.io import archives
from geo.i18n import reason
from geo.errors import Problem

TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")
VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".zip", ".kml", ".kmz", ".fgb", ".gpx")
SUFFIXES = VECTOR_SUFFIXES + TABLE_SUFFIXES
_DELIMITERS = (",", ";", "\t", "|")


class ReadError(Exception):
    """A file that cannot be read at all; its one argument is the reason for the user (a
    :class:`geo.i18n.Reason`; ``str(exc)`` is its English text)."""


@dataclass
class Raw:
    """What a file held: ``frame`` (str cells or a GeoDataFrame), ``first_row`` (user-facing
    number of the first record) and ``problems`` met while reading."""

    frame: pd.DataFrame
    first_row: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def is_vector(self) -> bool:
        return isinstance(self.frame, gpd.GeoDataFrame)


def read_raw(
    path: str | Path, *, layer: str = "", max_bytes: int = archives.MAX_UPLOAD_BYTES
) -> Raw:
    """Read ``path`` (see module doc). ``layer`` picks a GeoPackage/zip member by name when the
    container holds several. Raises :class:`ReadError` with the reason when nothing can be read."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ReadError(
            reason(
                "unsupported_type",
                suffix=repr(path.suffix or "(none)"),
                suffixes=", ".join(SUFFIXES),
            )
        )
    size = path.stat().st_size
    if size == 0:
        raise ReadError(reason("file_empty"))
    if size > max_bytes:
        raise ReadError(reason("file_too_large", 1, size=size / 1e6, limit=round(max_bytes / 1e6)))
    if suffix in (".csv", ".tsv", ".txt"):
        return read_text_table(path.read_bytes(), name=path.name)
    if suffix == ".xlsx":
        return _read_xlsx(path, layer)
    if suffix in (".zip", ".kmz"):
        return _read_zip(path, layer, kmz=suffix == ".kmz")
    return _read_vector(path, layer)


# --- text tables ----------------------------------------------------------------------------------


def decode(data: bytes, *, name: str) -> tuple[str, list[Problem]]:
    """Text of ``data``: UTF-8 (BOM or not), UTF-16 (BOM), else Windows-1258, else Windows-1252,
    with a warning naming the guess. Output is NFC (Windows-1258 spells tones as combining marks)."""
    notes: list[Problem] = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16")
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            text = None
            for encoding in ("cp1258", "cp1252"):
                try:
                    text = data.decode(encoding)
                except UnicodeDecodeError:
                    continue
                notes.append(
                    Problem(
                        name,
                        None,
                        None,
                        None,
                        reason(
                            "not_utf8",
                            byte=f"{data[exc.start]:#04x}",
                            offset=str(exc.start),
                            encoding=reason(encoding),
                        ),
                        "warning",
                    )
                )
                break
            if text is None:
                raise ReadError(reason("bad_encoding")) from None
    if "\x00" in text:
        raise ReadError(reason("nul_bytes"))
    return unicodedata.normalize("NFC", text), notes


def sniff_delimiter(header: str) -> str:
    """The delimiter of a CSV from its header line: the most frequent of , ; tab | (comma on a
    tie or when none occurs)."""
    counts = {d: header.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def read_text_table(data: bytes, *, name: str) -> Raw:
    """A delimited text table as strings; ragged rows reported (and left out), blank lines
    skipped (rows numbered as in :mod:`geo.errors`)."""
    text, notes = decode(data, name=name)
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        raise ReadError(reason("file_empty"))
    header_at = next(i for i, line in enumerate(lines) if line.strip())
    delimiter = sniff_delimiter(lines[header_at])
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = [h.strip() for h in rows[header_at]]
    problems = list(notes)
    if len(header) == 1 and not header[0]:
        raise ReadError(reason("header_empty"))
    blank = [h for h in header if not h]
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        raise ReadError(reason("repeated_columns", names=", ".join(dupes)))
    if blank:
        header = [h or f"unnamed_{i + 1}" for i, h in enumerate(header)]
    records, index = [], []
    for number, row in enumerate(rows[header_at + 1 :], start=header_at + 2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            if len(row) > len(header) and not any(c.strip() for c in row[len(header) :]):
                row = row[: len(header)]  # trailing empty cells (spreadsheet exports)
            else:
                problems.append(
                    Problem(
                        name,
                        number,
                        None,
                        delimiter.join(row)[:80],
                        reason(
                            "ragged",
                            fields=len(row),
                            header=len(header),
                            delimiter=_show(delimiter),
                        ),
                    )
                )
                continue
        records.append([cell.strip() for cell in row])
        index.append(number - 2)
    frame = pd.DataFrame(records, columns=header, index=index, dtype=str)
    return Raw(frame, 2, problems)


def _show(delimiter: str):
    return reason(
        "delimiter_" + {"\t": "tab", ",": "comma", ";": "semicolon", "|": "pipe"}[delimiter]
    )


def _read_xlsx(path: Path, layer: str) -> Raw:
    try:
        sheets = pd.read_excel(path, sheet_name=None, dtype=str, header=0, engine="openpyxl")
    except Exception as exc:  # openpyxl raises many types for broken workbooks
        raise ReadError(reason("not_xlsx", detail=str(exc))) from None
    sheets = {k: v for k, v in sheets.items() if len(v.columns)}
    if not sheets:
        raise ReadError(reason("no_sheet"))
    sheet = next((k for k in sheets if k.strip().lower() == layer), next(iter(sheets)))
    frame = sheets[sheet].fillna("")
    frame.columns = [str(c).strip() for c in frame.columns]
    frame = frame.map(lambda v: _excel_cell(v))
    frame = frame[(frame != "").any(axis=1)]
    problems = []
    if len(sheets) > 1:
        problems.append(
            Problem(
                path.name,
                None,
                None,
                sheet,
                reason("sheets", n=len(sheets), names=", ".join(sheets), sheet=repr(sheet)),
                "warning",
            )
        )
    return Raw(frame, 2, problems)


def _excel_cell(value: object) -> str:
    text = unicodedata.normalize("NFC", str(value)).strip()
    # integers typed in a number cell come back as "19555.0" from some writers
    if text.endswith(".0") and text[:-2].lstrip("-").isdigit():
        return text[:-2]
    return text


# --- vector files ---------------------------------------------------------------------------------


def _read_vector(path: Path, layer: str) -> Raw:
    raw = _read_vector_layers(path, layer)
    if path.suffix.lower() == ".kml" and "id" in raw.frame.columns:
        # GDAL's LIBKML driver exposes the technical <Placemark id="…">; people name their
        # placemarks with <name>, which the column aliases then pick up.
        raw.frame = raw.frame.rename(columns={"id": "kml_placemark_id"})
    return raw


def _read_vector_layers(path: Path, layer: str) -> Raw:
    try:
        names = [n for n, _ in pyogrio.list_layers(path)]
    except Exception as exc:
        raise ReadError(reason("not_vector", detail=_gdal_reason(exc))) from None
    problems: list[Problem] = []
    if path.suffix.lower() == ".gpx":  # waypoints and track points; <extensions> as columns
        return _read_gpx(path, names)
    if path.suffix.lower() == ".kml" and len(names) > 1:
        frames = [gpd.read_file(path, layer=n) for n in names]
        frames = [f for f in frames if len(f)]
        if not frames:
            return Raw(gpd.read_file(path, layer=names[0]), 1, problems)
        frame = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
        return Raw(frame, 1, problems)
    chosen = None
    if len(names) > 1:
        chosen = next((n for n in names if n.lower() == layer), None)
        if chosen is None:
            chosen = names[0]
            problems.append(
                Problem(
                    path.name,
                    None,
                    None,
                    chosen,
                    reason(
                        "layers",
                        n=len(names),
                        names=", ".join(names),
                        chosen=repr(chosen),
                        layer=layer,
                    ),
                    "warning",
                )
            )
    try:
        frame = gpd.read_file(path, layer=chosen) if chosen else gpd.read_file(path)
    except Exception as exc:
        raise ReadError(reason("not_vector", detail=_gdal_reason(exc))) from None
    return Raw(frame, 1, problems)


def _read_gpx(path: Path, names: list[str]) -> Raw:
    """The points of a GPX file (waypoints, then track and route points) with the fields of
    their ``<extensions>`` as columns (GDAL may name them ``ogr_carrier`` …: the prefix is dropped)."""
    frames = []
    for n in ("waypoints", "track_points", "route_points"):
        if n in names:
            frame = gpd.read_file(path, layer=n)
            if len(frame):
                frames.append(frame)
    if not frames:
        raise ReadError(reason("not_vector", detail="no waypoint or track point"))
    frame = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=frames[0].crs)
    frame = frame.rename(
        columns={
            c: c[4:] for c in frame.columns if c.startswith("ogr_") and c[4:] not in frame.columns
        }
    )
    return Raw(frame, 1, [])


def _gdal_reason(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300]


def _read_zip(path: Path, layer: str, *, kmz: bool) -> Raw:
    data = path.read_bytes()
    with tempfile.TemporaryDirectory(prefix="phusong-zip-") as tmp:
        files = archives.extract_zip(data, Path(tmp), name=path.name)
        wanted = (
            (".kml",)
            if kmz
            else (".shp", ".gpkg", ".geojson", ".json", ".kml", ".fgb", ".csv", ".xlsx")
        )
        found = [f for f in files if f.suffix.lower() in wanted]
        if not found:
            listing = ", ".join(sorted(str(f.relative_to(tmp)) for f in files)[:20]) or "nothing"
            raise ReadError(reason("zip_no_kml" if kmz else "zip_no_data", listing=listing))
        if len(found) > 1:
            named = [f for f in found if f.stem.lower() == layer]
            if len(named) != 1:
                listing = ", ".join(str(f.relative_to(tmp)) for f in found[:20])
                raise ReadError(reason("zip_several", listing=listing, layer=layer))
            found = named
        member = found[0]
        if member.suffix.lower() == ".shp":
            parts = {g.suffix.lower() for g in files if g.with_suffix("") == member.with_suffix("")}
            missing = [ext for ext in (".shx", ".dbf") if ext not in parts]
            if missing:
                raise ReadError(
                    reason("shp_parts", name=member.name, missing=" and ".join(missing))
                )
        return read_raw(member, layer=layer)
