"""The whole workspace in one GeoPackage, and back.

Each table becomes a layer ``phusong_<table>`` of the GeoPackage (geometries as EPSG:4326
geometry columns, files such as ``population.tif`` as base64 text), plus ``phusong_backup`` with
the schema revision and the time of the backup. :func:`restore` fills an EMPTY workspace (ids
kept) in one transaction, after checking the schema revision and every version's content digest:
backup → restore → backup gives the same content.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import geopandas as gpd
import pandas as pd
import sqlalchemy as sa

from geo.store import engine, schema, versions
from geo.store.engine import WorkspaceError

PREFIX = "phusong_"
META = "phusong_backup"
FORMAT = 1


def _geometry_column(table: sa.Table) -> str | None:
    return next((c.name for c in table.columns if isinstance(c.type, schema.GeometryType)), None)


def _blob_columns(table: sa.Table) -> list[str]:
    return [
        c.name
        for c in table.columns
        if isinstance(c.type, sa.LargeBinary) and not isinstance(c.type, schema.GeometryType)
    ]


def read_tables(url: str | None = None) -> dict[str, pd.DataFrame]:
    """Every table of the workspace as a DataFrame (primary-key order; geometries shapely), read
    in one transaction (a consistent snapshot)."""
    out = {}
    with engine.engine(url).connect() as conn, conn.begin():
        for table in schema.TABLES:
            rows = conn.execute(sa.select(table).order_by(*table.primary_key.columns)).all()
            out[table.name] = pd.DataFrame(
                [dict(r._mapping) for r in rows], columns=[c.name for c in table.columns]
            )
    return out


def backup(path: str | Path, url: str | None = None) -> dict[str, int]:
    """Write the workspace to the GeoPackage ``path`` (replaced atomically); returns the number of
    rows per table."""
    import os
    import tempfile

    path = Path(path)
    tables = read_tables(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".gpkg")
    os.close(fd)
    os.unlink(tmp)  # GDAL creates the file itself
    try:
        meta = pd.DataFrame(
            {
                "format": [FORMAT],
                "schema": [engine.head_revision()],
                "created_at": [versions.now_utc()],
            }
        )
        _write(tmp, META, meta, None)
        for table in schema.TABLES:
            frame = tables[table.name].copy()
            for column in _blob_columns(table):
                frame[column] = [
                    None if v is None else base64.b64encode(v).decode("ascii")
                    for v in frame[column]
                ]
            _write(tmp, PREFIX + table.name, frame, _geometry_column(table))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return {name: len(frame) for name, frame in tables.items()}


def _write(path: str, layer: str, frame: pd.DataFrame, geometry: str | None) -> None:
    import pyogrio

    if geometry is None:
        pyogrio.write_dataframe(pd.DataFrame(frame), path, layer=layer, driver="GPKG")
        return
    gdf = gpd.GeoDataFrame(
        frame.drop(columns=[geometry]),
        geometry=gpd.GeoSeries(list(frame[geometry]), index=frame.index, crs=schema.SRID),
    )
    pyogrio.write_dataframe(
        gdf, path, layer=layer, driver="GPKG", geometry_type="Unknown", promote_to_multi=False
    )


def read_backup(path: str | Path) -> dict[str, pd.DataFrame]:
    """The tables of a backup (as :func:`read_tables` gives them), checked: a file that is not a
    phusong backup, is damaged or comes from a newer schema is a :class:`WorkspaceError`."""
    import pyogrio

    path = Path(path)
    if not path.is_file():
        raise WorkspaceError(f"backup not found: {path}")
    try:
        names = {name for name, _ in pyogrio.list_layers(path)}
        if META not in names:
            raise WorkspaceError(f"{path.name} is not a phusong workspace backup (no {META} layer)")
        meta = pyogrio.read_dataframe(path, layer=META)
        revision = str(meta["schema"].iloc[0])
        if int(meta["format"].iloc[0]) > FORMAT or revision not in engine.known_revisions():
            raise WorkspaceError(
                f"{path.name} was written by a newer phusong (schema {revision}"
                f"); this version knows up to {engine.head_revision()}"
            )
        tables = {}
        for table in schema.TABLES:
            if PREFIX + table.name not in names:
                raise WorkspaceError(f"{path.name} has no layer {PREFIX + table.name}: damaged")
            tables[table.name] = _read(path, table)
    except WorkspaceError:
        raise
    except Exception as exc:  # any reader failure: the file is damaged
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise WorkspaceError(f"{path.name} cannot be read as a phusong backup: {detail}") from None
    _check_versions(path.name, tables)
    return tables


def _read(path: Path, table: sa.Table) -> pd.DataFrame:
    import pyogrio

    geometry = _geometry_column(table)
    frame = pyogrio.read_dataframe(
        path, layer=PREFIX + table.name, read_geometry=geometry is not None, fid_as_index=False
    )
    names = [c.name for c in table.columns]
    if geometry is not None:
        geoms = list(frame.geometry.to_numpy())
        frame = pd.DataFrame(frame.drop(columns=[frame.geometry.name]))
        frame[geometry] = geoms
    missing = [n for n in names if n not in frame.columns]
    if missing:
        raise WorkspaceError(f"layer {PREFIX + table.name} lacks {', '.join(missing)}: damaged")
    frame = frame[names].astype(object).where(frame[names].notna(), None)
    for column in table.columns:
        if isinstance(column.type, sa.Integer):
            frame[column.name] = [None if v is None else int(v) for v in frame[column.name]]
    for column in _blob_columns(table):
        frame[column] = [None if v is None else base64.b64decode(v) for v in frame[column]]
    return frame


def _records(frame: pd.DataFrame) -> list[dict]:
    return [
        {k: (None if v is None or (isinstance(v, float) and v != v) else v) for k, v in row.items()}
        for row in frame.to_dict("records")
    ]


def _check_versions(name: str, tables: dict[str, pd.DataFrame]) -> None:
    by_version: dict[str, dict[int, list]] = {"layers": {}, "features": {}}
    for table, grouped in by_version.items():
        for r in _records(tables[table]):
            grouped.setdefault(r["version_id"], []).append(r)
    for row in _records(tables["versions"]):
        own_layers = by_version["layers"].get(row["id"], [])
        own_features = by_version["features"].get(row["id"], [])
        if versions.content_digest(row, own_layers, own_features) != row["content_sha256"]:
            raise WorkspaceError(
                f"{name}: version {row['id']} does not hold what was saved "
                "(content check failed): the backup is damaged"
            )


def restore(path: str | Path, url: str | None = None) -> dict[str, int]:
    """Restore the backup ``path`` into the workspace, which must be empty; one transaction.
    Returns the number of rows per table."""
    tables = read_backup(path)
    with engine.transaction(url) as conn:
        used = [
            t.name
            for t in schema.TABLES
            if conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
        ]
        if used:
            raise WorkspaceError(
                "a backup is restored into an empty workspace only; this one "
                f"holds {', '.join(used)}. Point PHUSONG_DATABASE_URL at a new "
                "database"
            )
        for table in schema.TABLES:
            rows = _records(tables[table.name])
            if rows:
                conn.execute(sa.insert(table), rows)
        if conn.dialect.name == "postgresql":  # the next id after the restored ones
            for table in schema.TABLES:
                if "id" in table.c:
                    conn.execute(
                        sa.text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                            f"COALESCE((SELECT max(id) FROM {table.name}), 0) + 1, false)"
                        )
                    )
    return {name: len(frame) for name, frame in tables.items()}


def dump(url: str | None = None) -> str:
    """The content of every table as JSON text (geometries as WKB hex): for comparing two
    workspaces."""
    import shapely

    out = {}
    for name, frame in read_tables(url).items():
        rows = []
        for row in _records(frame):
            rows.append(
                {
                    k: (
                        shapely.to_wkb(v, hex=True)
                        if hasattr(v, "geom_type")
                        else base64.b64encode(v).decode()
                        if isinstance(v, bytes)
                        else v
                    )
                    for k, v in row.items()
                }
            )
        out[name] = rows
    return json.dumps(out, sort_keys=True, ensure_ascii=False)
