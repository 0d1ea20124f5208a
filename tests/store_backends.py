"""The workspace backends the store tests run against: SQLite (a file per test) and PostgreSQL
with PostGIS at ``$PHUSONG_TEST_POSTGRES_URL`` (``scripts/postgres.sh start`` sets one up; in CI,
``CI=true``, a missing or unreachable server FAILS the test instead of skipping it)."""

from __future__ import annotations

import os

import pytest
import sqlalchemy as sa

from geo.store import engine

POSTGRES_ENV = "PHUSONG_TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")
# every table the migrations make, children first
_DROP = (
    "DROP TABLE IF EXISTS users, field_reports, plan_sites, plans, features, layers, versions, "
    "alembic_version CASCADE; DROP FUNCTION IF EXISTS phusong_refuse_change() CASCADE"
)


def postgres_url() -> str:
    """The test server's URL, or fail (CI) / skip (elsewhere) with the reason."""
    url = os.environ.get(POSTGRES_ENV)
    problem = None
    if not url:
        problem = f"{POSTGRES_ENV} is not set (source scripts/postgres.sh start)"
    else:
        try:
            probe = sa.create_engine(engine.database_url(url))
            with probe.connect() as conn:
                conn.execute(sa.text("SELECT PostGIS_Version()"))
            probe.dispose()
        except Exception as exc:  # unreachable server, no PostGIS …
            problem = f"PostgreSQL/PostGIS at {url} cannot be used: {str(exc).splitlines()[0]}"
    if problem:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(problem)
        pytest.skip(problem)
    return url


def fresh_url(backend: str, tmp_path) -> str:
    """An empty workspace of ``backend``: a new SQLite file, or the test server emptied."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'workspace.sqlite'}"
    url = postgres_url()
    engine.dispose(url)
    wipe = sa.create_engine(engine.database_url(url))
    with wipe.begin() as conn:
        conn.exec_driver_sql(_DROP)
    wipe.dispose()
    return url


@pytest.fixture(params=BACKENDS)
def workspace_url(request, tmp_path, monkeypatch):
    """The URL of an empty workspace, once per backend; also set as PHUSONG_DATABASE_URL."""
    url = fresh_url(request.param, tmp_path)
    monkeypatch.setenv(engine.ENV_VAR, url)
    yield url
    engine.dispose(url)
