"""The first workspace schema: versions (layers, features), plans, field reports.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_IMMUTABLE = ("versions", "layers", "features", "plans", "plan_sites")


class _PostGIS(sa.types.UserDefinedType):
    cache_ok = True

    def get_col_spec(self, **_):
        return "geometry(Geometry, 4326)"


def _geom(nullable: bool = True) -> sa.Column:
    """A geometry column (EWKB, EPSG:4326): PostGIS geometry on PostgreSQL, a BLOB on SQLite
    (see geo.store.schema.GeometryType). Spelled out as DDL: GeoAlchemy2's table events do not
    follow the type that changes with the dialect."""
    if op.get_bind().dialect.name == "postgresql":
        return sa.Column("geom", _PostGIS(), nullable=nullable)
    return sa.Column("geom", sa.LargeBinary, nullable=nullable)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":  # a no-op where the server already has it
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
    op.create_table(
        "versions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("described_on", sa.Text),
        sa.Column("saved_by", sa.Text, nullable=False),
        sa.Column("saved_at", sa.Text, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("sources", sa.Text, nullable=False),
        sa.Column("problems", sa.Text, nullable=False),
        sa.Column("import_report", sa.LargeBinary, nullable=False),
        sa.Column("files", sa.Text, nullable=False),
        sa.Column("dataset_json", sa.LargeBinary),
        sa.Column("population_name", sa.Text),
        sa.Column("population_tif", sa.LargeBinary),
        sa.Column("content_sha256", sa.Text, nullable=False),
    )
    op.create_table(
        "layers",
        sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id"), primary_key=True),
        sa.Column("layer", sa.Text, primary_key=True),
        sa.Column("columns", sa.Text, nullable=False),
        sa.Column("crs", sa.Text, nullable=False),
        sa.Column("index_name", sa.Text),
        sa.Column("n_rows", sa.Integer, nullable=False),
    )
    op.create_table(
        "features",
        sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id"), primary_key=True),
        sa.Column("layer", sa.Text, primary_key=True),
        sa.Column("ord", sa.Integer, primary_key=True),
        sa.Column("row_index", sa.Integer, nullable=False),
        sa.Column("props", sa.Text, nullable=False),
        _geom(),
    )
    op.create_table(
        "plans",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("version_id", sa.Integer, sa.ForeignKey("versions.id"), nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("service", sa.Text, nullable=False),
        sa.Column("inputs", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("columns", sa.Text, nullable=False),
        sa.Column("saved_by", sa.Text, nullable=False),
        sa.Column("saved_at", sa.Text, nullable=False),
    )
    op.create_table(
        "plan_sites",
        sa.Column("plan_id", sa.Integer, sa.ForeignKey("plans.id"), primary_key=True),
        sa.Column("ord", sa.Integer, primary_key=True),
        sa.Column("props", sa.Text, nullable=False),
        _geom(),
    )
    op.create_table(
        "field_reports",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _geom(nullable=False),
        sa.Column("carrier", sa.Text),
        sa.Column("technology", sa.Text),
        sa.Column("service", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        sa.Column("observed_on", sa.Text, nullable=False),
        sa.Column("reporter", sa.Text, nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("created_at", sa.Text, nullable=False),
    )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        for table in ("features", "plan_sites", "field_reports"):
            op.execute(f"CREATE INDEX {table}_geom_idx ON {table} USING GIST (geom)")
    # Saved versions and plans are never changed: the database itself refuses it.
    if dialect == "sqlite":
        for table in _IMMUTABLE:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON "
                    f"{table} BEGIN SELECT RAISE(ABORT, '{table} are never changed'); END"
                )
    elif dialect == "postgresql":
        op.execute(
            "CREATE FUNCTION phusong_refuse_change() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN RAISE EXCEPTION '% are never changed', TG_TABLE_NAME; END $$"
        )
        for table in _IMMUTABLE:
            op.execute(
                f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION phusong_refuse_change()"
            )


def downgrade() -> None:
    raise NotImplementedError("workspaces are only upgraded; restore a backup instead")
