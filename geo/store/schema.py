"""The tables of the workspace (SQLAlchemy Core), for SQLite and PostgreSQL/PostGIS alike.

Geometries are EWKB in EPSG:4326 (the CRS of a loaded :class:`geo.io.loading.Dataset`): a PostGIS
``geometry(Geometry, 4326)`` column on PostgreSQL, a BLOB of the same bytes on SQLite (so the
embedded workspace needs no SpatiaLite). Dates and times are ISO 8601 text ("2026-10-01",
"2026-11-29T20:04:08+00:00") so that a backup carries them unchanged.

The tables are created by the Alembic migrations of :mod:`geo.store.migrations`, never by
``metadata.create_all``: this module is the shape the code reads and writes.
"""

from __future__ import annotations

import shapely
from geoalchemy2 import Geometry
from sqlalchemy import Column, ForeignKey, Integer, LargeBinary, MetaData, Table, Text, types

SRID = 4326
metadata = MetaData()


class GeometryType(types.TypeDecorator):
    """A shapely geometry stored as EWKB (SRID 4326): PostGIS geometry, or a BLOB on SQLite."""

    impl = LargeBinary
    cache_ok = True

    def load_dialect_impl(self, dialect):
        if dialect.name == "postgresql":
            return dialect.type_descriptor(Geometry(srid=SRID, spatial_index=False))
        return dialect.type_descriptor(LargeBinary())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        geom = shapely.set_srid(value, SRID)
        if dialect.name == "postgresql":  # hex EWKB: PostGIS reads it as geometry text
            return shapely.to_wkb(geom, hex=True, include_srid=True)
        return shapely.to_wkb(geom, include_srid=True)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        data = getattr(value, "data", value)  # a GeoAlchemy2 WKBElement on PostgreSQL
        if isinstance(data, memoryview):
            data = bytes(data)
        return shapely.set_srid(shapely.from_wkb(data), 0)


versions = Table(
    "versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("label", Text, nullable=False),
    Column("described_on", Text),  # the date the data describes, YYYY-MM-DD (may be unknown)
    Column("saved_by", Text, nullable=False),
    Column("saved_at", Text, nullable=False),  # UTC, ISO 8601
    Column("name", Text, nullable=False),  # the dataset's title (dataset.json "name")
    Column("sources", Text, nullable=False),  # JSON list: str or {"vi": …, "en": …}
    Column("problems", Text, nullable=False),  # JSON list of the import report's problems
    Column("import_report", LargeBinary, nullable=False),  # the import report CSV (English)
    Column("files", Text, nullable=False),  # JSON list of {name, bytes, sha256} of the sources
    Column("dataset_json", LargeBinary),  # dataset.json as it was, if any
    Column("population_name", Text),  # file name of the population grid, if any
    Column("population_tif", LargeBinary),  # the population grid (GeoTIFF) as it was
    Column("content_sha256", Text, nullable=False),  # over everything stored: an integrity check
)

layers = Table(
    "layers",
    metadata,
    Column("version_id", Integer, ForeignKey("versions.id"), primary_key=True),
    Column("layer", Text, primary_key=True),
    Column("columns", Text, nullable=False),  # JSON [[name, dtype], …] in order, without geometry
    Column("crs", Text, nullable=False),  # the layer's CRS as WKT
    Column("index_name", Text),
    Column("n_rows", Integer, nullable=False),
)

features = Table(
    "features",
    metadata,
    Column("version_id", Integer, ForeignKey("versions.id"), primary_key=True),
    Column("layer", Text, primary_key=True),
    Column("ord", Integer, primary_key=True),  # position in the layer
    Column("row_index", Integer, nullable=False),  # the GeoDataFrame's index label
    Column("props", Text, nullable=False),  # JSON list of the values, in the order of ``columns``
    Column("geom", GeometryType),
)

plans = Table(
    "plans",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("version_id", Integer, ForeignKey("versions.id"), nullable=False),
    Column("label", Text, nullable=False),
    Column("service", Text, nullable=False),
    Column("inputs", Text, nullable=False),  # JSON: k, carrier, technology, vintage, communes …
    Column("summary", Text, nullable=False),  # JSON: people / area reached, solver, notes
    Column("columns", Text, nullable=False),  # JSON [[name, dtype], …] of the sites table
    Column("saved_by", Text, nullable=False),
    Column("saved_at", Text, nullable=False),
)

plan_sites = Table(
    "plan_sites",
    metadata,
    Column("plan_id", Integer, ForeignKey("plans.id"), primary_key=True),
    Column("ord", Integer, primary_key=True),
    Column("props", Text, nullable=False),
    Column("geom", GeometryType),
)

field_reports = Table(
    "field_reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("geom", GeometryType, nullable=False),  # the point where service was tried
    Column("carrier", Text),
    Column("technology", Text),
    Column("service", Text, nullable=False),  # "yes" | "weak" | "no"
    Column("note", Text, nullable=False),
    Column("observed_on", Text, nullable=False),  # YYYY-MM-DD
    Column("reporter", Text, nullable=False),
    Column("created_by", Text, nullable=False),
    Column("created_at", Text, nullable=False),
)

users = Table(
    "users",
    metadata,
    Column("name", Text, primary_key=True),
    Column("role", Text, nullable=False),  # "viewer" | "editor" | "admin"
    Column("password_hash", Text, nullable=False),  # argon2id, PHC string; never the password
    Column("created_by", Text, nullable=False),
    Column("created_at", Text, nullable=False),
    Column("failed_logins", Integer, nullable=False, server_default="0"),  # since the last success
    Column("locked_until", Text),  # UTC ISO 8601: no login attempt is checked before then
)

# Backups and restores carry every table in this order (parents first). Rows of all but users
# are only ever added; a user's role, password and failed logins change.
TABLES = (versions, layers, features, plans, plan_sites, field_reports, users)
IMMUTABLE = ("versions", "layers", "features", "plans", "plan_sites")
