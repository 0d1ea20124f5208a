"""Versions of the data: a dataset saved as it was loaded, never changed afterwards.

A version keeps every layer exactly (columns, dtypes, index, CRS, geometries), the population grid
(``population.tif``) and ``dataset.json`` as files, the names, sizes and SHA-256 of the source
files, the import report, a label, the date the data describes, who saved it and when (UTC).
Saving is one transaction: a process killed while saving leaves no trace of the version.
:func:`load_version` gives back the :class:`geo.loading.Dataset` that was saved, so any analysis
or report of a version equals the one of the folder it came from.
"""

from __future__ import annotations

import datetime as dt
import getpass
import hashlib
import json
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from geo import i18n
from geo.io import loading
from geo.io import population as pop_module
from geo.errors import PhusongError, Problem
from geo.store import engine, frames, schema
from geo.store.engine import WorkspaceError

LAYERS = loading.LAYERS


@dataclass(frozen=True)
class SourceFile:
    """A file a version was read from: its name, size in bytes and SHA-256 (hex)."""

    name: str
    bytes: int
    sha256: str


@dataclass(frozen=True)
class VersionInfo:
    """What the list of versions shows about one version (dates ISO 8601, ``saved_at`` UTC)."""

    id: int
    label: str
    described_on: str | None
    saved_by: str
    saved_at: str
    name: str
    files: tuple[SourceFile, ...]
    problems: int


def now_utc() -> str:
    """The current time, UTC, ISO 8601 to the second."""
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


def check_date(value: str | dt.date | None) -> str | None:
    """``value`` as ``YYYY-MM-DD`` (None stays None); a malformed date is a PhusongError."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise PhusongError(f"date {value!r} is not a date of the form YYYY-MM-DD") from None


def default_user() -> str:
    """Who saves when nobody says: the operating system's user name."""
    try:
        return getpass.getuser()
    except Exception:  # no user name in this environment (container without passwd entry)
        return "unknown"


def source_file(path: Path) -> SourceFile:
    """Name, size and SHA-256 of the file at ``path``."""
    data = path.read_bytes()
    return SourceFile(path.name, len(data), hashlib.sha256(data).hexdigest())


def folder_files(folder: Path, overrides: dict[str, Path] | None = None) -> list[Path]:
    """The files a dataset folder is read from: its layer files, ``dataset.json`` and its
    population grid (each override instead of the folder's own)."""
    overrides = overrides or {}
    paths = [overrides.get(layer) or loading.find_layer_file(folder, layer) for layer in LAYERS]
    paths.append(folder / "dataset.json")
    paths.append(overrides.get("population") or pop_module.find_grid(folder))
    return [Path(p) for p in paths if p is not None and Path(p).is_file()]


def save_folder(
    folder: str | Path,
    *,
    label: str,
    described_on: str | dt.date | None = None,
    saved_by: str | None = None,
    overrides: dict[str, Path] | None = None,
    dataset: loading.Dataset | None = None,
    url: str | None = None,
) -> int:
    """Load the dataset in ``folder`` (strictly, as ``python -m geo report`` does) and save it as a
    new version with its source files' names and hashes; returns its id. ``dataset``: the folder
    as already loaded (e.g. leniently by the app), saved as it is instead of reading it again."""
    folder = Path(folder)
    overrides = {k: Path(v) for k, v in (overrides or {}).items()}
    if dataset is None:
        dataset = loading.load_dataset(folder, overrides=overrides)
    paths = folder_files(folder, overrides)
    grid = overrides.get("population") or pop_module.find_grid(folder)
    meta = folder / "dataset.json"
    return save_dataset(
        dataset,
        label=label,
        described_on=described_on,
        saved_by=saved_by,
        files=[source_file(p) for p in paths],
        dataset_json=meta.read_bytes() if meta.is_file() else None,
        population=(grid.name, grid.read_bytes()) if grid else None,
        url=url,
    )


def save_dataset(
    dataset: loading.Dataset,
    *,
    label: str,
    described_on: str | dt.date | None = None,
    saved_by: str | None = None,
    files: list[SourceFile] = (),
    dataset_json: bytes | None = None,
    population: tuple[str, bytes] | None = None,
    url: str | None = None,
) -> int:
    """Save ``dataset`` (as loaded) as a new version, in one transaction; returns its id.

    ``files``: the source files (name, size, SHA-256); ``dataset_json``: the bytes of its
    ``dataset.json``; ``population``: ``(file name, GeoTIFF bytes)`` of its population grid (the
    grid is re-read from it on loading); without it, ``dataset.population`` (already cut to the
    communes) is written as a GeoTIFF.
    """
    from geo.io import importing

    label = (label or "").strip()
    if not label:
        raise PhusongError("a version needs a label (e.g. 'operator list of 2026-10')")
    if dataset.population is not None and population is None:  # e.g. an upload's grid
        population = (dataset.population.name, grid_tif(dataset.population))
    row = {
        "label": label,
        "described_on": check_date(described_on),
        "saved_by": (saved_by or "").strip() or default_user(),
        "saved_at": now_utc(),
        "name": dataset.name,
        "sources": frames.dumps(list(dataset.sources)),
        "problems": frames.dumps([problem_dict(p) for p in dataset.problems]),
        "import_report": importing.report_csv(dataset.problems),
        "files": frames.dumps([asdict(f) for f in files]),
        "dataset_json": dataset_json,
        "population_name": population[0] if population else None,
        "population_tif": population[1] if population else None,
    }
    layer_rows, feature_rows = [], []
    for layer in LAYERS:
        frame = getattr(dataset, layer)
        if frame is None:
            continue
        columns, crs, rows = frames.encode(frame)
        layer_rows.append(
            {
                "layer": layer,
                "columns": columns,
                "crs": crs,
                "index_name": frame.index.name,
                "n_rows": len(frame),
            }
        )
        feature_rows += [dict(r, layer=layer) for r in rows]
    row["content_sha256"] = content_digest(row, layer_rows, feature_rows)
    with engine.transaction(url) as conn:
        version_id = conn.execute(
            sa.insert(schema.versions).values(**row).returning(schema.versions.c.id)
        ).scalar_one()
        conn.execute(sa.insert(schema.layers), [dict(r, version_id=version_id) for r in layer_rows])
        if feature_rows:
            conn.execute(
                sa.insert(schema.features), [dict(r, version_id=version_id) for r in feature_rows]
            )
    return version_id


def grid_tif(grid: pop_module.PopulationGrid) -> bytes:
    """A population grid as GeoTIFF bytes (float64, NaN as nodata, its CRS and transform)."""
    import rasterio
    from affine import Affine
    from rasterio.io import MemoryFile

    rows, cols = grid.values.shape
    with MemoryFile() as memory:
        with memory.open(
            driver="GTiff",
            width=cols,
            height=rows,
            count=1,
            dtype="float64",
            crs=rasterio.crs.CRS.from_wkt(grid.crs.to_wkt()),
            nodata=float("nan"),
            transform=Affine(*grid.transform),
        ) as out:
            out.write(grid.values, 1)
        return memory.read()


def content_digest(row: dict, layer_rows: list[dict], feature_rows: list[dict]) -> str:
    """SHA-256 over everything a version holds (its row, layers and features, in a fixed
    order): saved in ``content_sha256``, checked by :func:`check_version` and on restore."""
    keys = (
        "label",
        "described_on",
        "saved_by",
        "saved_at",
        "name",
        "sources",
        "problems",
        "import_report",
        "files",
        "dataset_json",
        "population_name",
        "population_tif",
    )
    parts = [row[k] for k in keys]
    for r in sorted(layer_rows, key=lambda r: r["layer"]):
        parts += [r["layer"], r["columns"], r["crs"], r["index_name"], r["n_rows"]]
    for r in sorted(feature_rows, key=lambda r: (r["layer"], r["ord"])):
        parts += [r["layer"], r["ord"], r["row_index"], r["props"], frames.geom_bytes(r["geom"])]
    return frames.digest(parts)


def list_versions(url: str | None = None) -> list[VersionInfo]:
    """Every version, oldest first."""
    v = schema.versions
    query = sa.select(
        v.c.id,
        v.c.label,
        v.c.described_on,
        v.c.saved_by,
        v.c.saved_at,
        v.c.name,
        v.c.files,
        v.c.problems,
    ).order_by(v.c.id)
    with engine.engine(url).connect() as conn:
        rows = conn.execute(query).all()
    return [
        VersionInfo(
            r.id,
            r.label,
            r.described_on,
            r.saved_by,
            r.saved_at,
            r.name,
            tuple(SourceFile(**f) for f in json.loads(r.files)),
            len(json.loads(r.problems)),
        )
        for r in rows
    ]


def versions_table(url: str | None = None, *, lang: str = "vi") -> pd.DataFrame:
    """The versions as a table for reading, headers in ``lang``."""
    rows = [
        {
            "id": v.id,
            "label": v.label,
            "described_on": v.described_on or "",
            "saved_by": v.saved_by,
            "saved_at": v.saved_at.replace("T", " ").replace("+00:00", " UTC"),
            "name": v.name,
            "files": ", ".join(f.name for f in v.files),
        }
        for v in list_versions(url)
    ]
    columns = ["id", "label", "described_on", "saved_by", "saved_at", "name", "files"]
    return pd.DataFrame(rows, columns=columns).rename(
        columns={c: i18n.t(f"workspace.col.{c}", lang) for c in columns}
    )


def get_row(conn, version_id: int):
    """The row of version ``version_id`` read on ``conn``; a WorkspaceError if there is none."""
    row = conn.execute(sa.select(schema.versions).where(schema.versions.c.id == version_id)).first()
    if row is None:
        where = conn.engine.url.render_as_string(hide_password=True)
        raise WorkspaceError(
            f"there is no version {version_id} in the workspace {where}; "
            "'python -m geo workspace list' shows the versions"
        )
    return row


def load_version(version_id: int, url: str | None = None) -> loading.Dataset:
    """The dataset saved as version ``version_id``, as it was loaded when it was saved."""
    version_id = int(version_id)
    with engine.engine(url).connect() as conn:
        row = get_row(conn, version_id)
        layer_rows = {
            r.layer: r
            for r in conn.execute(
                sa.select(schema.layers).where(schema.layers.c.version_id == version_id)
            )
        }
        f = schema.features
        feature_rows = conn.execute(
            sa.select(f.c.layer, f.c.ord, f.c.row_index, f.c.props, f.c.geom)
            .where(f.c.version_id == version_id)
            .order_by(f.c.layer, f.c.ord)
        ).all()
    by_layer: dict[str, list] = {}
    for r in feature_rows:
        by_layer.setdefault(r.layer, []).append(r)
    layers = {}
    for layer in LAYERS:
        meta = layer_rows.get(layer)
        layers[layer] = (
            None
            if meta is None
            else frames.decode(
                meta.columns, meta.crs, by_layer.get(layer, []), index_name=meta.index_name
            )
        )
    population = None
    if row.population_tif is not None:
        with tempfile.TemporaryDirectory(prefix="phusong-version-") as tmp:
            path = Path(tmp) / row.population_name
            path.write_bytes(row.population_tif)
            population = pop_module.read_grid(path, area=layers["communes"])
    sources = tuple(json.loads(row.sources))
    return loading.Dataset(
        communes=layers["communes"],
        bts_sites=layers["bts_sites"],
        loudspeakers=layers["loudspeakers"],
        internet_points=layers["internet_points"],
        settlements=layers["settlements"],
        name=row.name,
        sources=sources,
        problems=[problem_from(p) for p in json.loads(row.problems)],
        population=population,
    )


def version_file(version_id: int, name: str, url: str | None = None) -> bytes | None:
    """A stored file of a version: ``"dataset.json"``, the population grid's name, or
    ``"import_report.csv"``; None if the version has no such file."""
    with engine.engine(url).connect() as conn:
        row = get_row(conn, int(version_id))
    if name == "dataset.json":
        return row.dataset_json
    if name == "import_report.csv":
        return row.import_report
    return row.population_tif if name == row.population_name else None


def check_version(version_id: int, url: str | None = None) -> bool:
    """True if version ``version_id`` holds exactly what was saved (its content digest)."""
    version_id = int(version_id)
    with engine.engine(url).connect() as conn:
        row = get_row(conn, version_id)
        layer_rows = [
            dict(r._mapping)
            for r in conn.execute(
                sa.select(schema.layers).where(schema.layers.c.version_id == version_id)
            )
        ]
        feature_rows = [
            dict(r._mapping)
            for r in conn.execute(
                sa.select(schema.features).where(schema.features.c.version_id == version_id)
            )
        ]
    return content_digest(dict(row._mapping), layer_rows, feature_rows) == row.content_sha256


# --- problems of the import report ---------------------------------------------------------------


def _note_dict(note) -> dict | None:
    if note is None:
        return None
    return {
        "prefix": note.PREFIX,
        "key": note.key,
        "decimals": note.decimals,
        "values": [
            [k, {"note": _note_dict(v)} if isinstance(v, i18n.Note) else v] for k, v in note.values
        ],
    }


def _note_from(data: dict | None):
    if data is None:
        return None
    cls = i18n.Reason if data["prefix"] == i18n.Reason.PREFIX else i18n.Note
    values = tuple(
        (k, _note_from(v["note"]) if isinstance(v, dict) and "note" in v else v)
        for k, v in data["values"]
    )
    return cls(data["key"], values, data["decimals"])


def problem_dict(problem: Problem) -> dict:
    """A :class:`Problem` as JSON-ready data (its translatable reason kept)."""
    return {
        "file": problem.file,
        "row": problem.row,
        "column": problem.column,
        "value": problem.value,
        "reason": problem.reason,
        "severity": problem.severity,
        "note": _note_dict(problem.note),
    }


def problem_from(data: dict) -> Problem:
    """The :class:`Problem` of :func:`problem_dict`."""
    note = _note_from(data.get("note"))
    problem = Problem(
        data["file"],
        data["row"],
        data["column"],
        data["value"],
        note if note is not None else data["reason"],
        data["severity"],
    )
    return problem
