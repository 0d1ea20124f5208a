"""Opening the workspace database: its URL, the engine, the schema migrations on first use.

``PHUSONG_DATABASE_URL`` selects the database (CLI, app, tests); the default is one SQLite file,
``workspace/phusong.sqlite`` under the project folder (git-ignored), created on first use. A team
server uses PostgreSQL with PostGIS through the same variable (``postgresql://user@host/db``;
the ``psycopg`` driver is used).

SQLite runs in WAL mode with a busy timeout, and every write transaction starts with
``BEGIN IMMEDIATE``: two sessions saving at once queue for the write lock instead of failing.
A file that is not a phusong workspace, is damaged, or was written by a newer phusong (a schema
revision this code does not know) is refused with a :class:`WorkspaceError`; it is never
written to.
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from geo.errors import PhusongError

ENV_VAR = "PHUSONG_DATABASE_URL"
DEFAULT_DIR = Path(__file__).resolve().parents[2] / "workspace"
DEFAULT_FILE = "phusong.sqlite"
BUSY_TIMEOUT_S = 60.0  # a writer waits this long for another's transaction before giving up
_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
_PG_LOCK = 4_711_011  # advisory lock id: one migration at a time on a PostgreSQL server


class WorkspaceError(PhusongError):
    """The workspace cannot be used (damaged, newer schema, unknown version …)."""


def database_url(url: str | None = None) -> str:
    """The URL of the workspace: ``url``, else ``$PHUSONG_DATABASE_URL``, else the default file."""
    url = url or os.environ.get(ENV_VAR) or f"sqlite:///{DEFAULT_DIR / DEFAULT_FILE}"
    if url.startswith(("postgresql://", "postgres://")):  # the driver we ship
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def describe(url: str) -> str:
    """The URL without its password, for messages."""
    return sa.engine.make_url(url).render_as_string(hide_password=True)


_ENGINES: dict[str, Engine] = {}
_LOCK = threading.Lock()


def engine(url: str | None = None) -> Engine:
    """The engine of the workspace at ``url`` (see :func:`database_url`), its schema checked and
    brought up to date on first use; one engine per URL and process."""
    url = database_url(url)
    with _LOCK:
        found = _ENGINES.get(url)
        if found is not None:
            return found
        made = _make_engine(url)
        try:
            _check_and_upgrade(made, url)
        except BaseException:
            made.dispose()
            raise
        _ENGINES[url] = made
        return made


def dispose(url: str | None = None) -> None:
    """Close the pooled connections of ``url`` (every workspace without it)."""
    with _LOCK:
        urls = [database_url(url)] if url else list(_ENGINES)
        for key in urls:
            found = _ENGINES.pop(key, None)
            if found is not None:
                found.dispose()


@contextmanager
def transaction(url: str | None = None) -> Iterator[Connection]:
    """One write transaction: everything in it is saved together or not at all."""
    with engine(url).execution_options(phusong_write=True).begin() as conn:
        yield conn


def _make_engine(url: str) -> Engine:
    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        try:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WorkspaceError(
                f"the folder of the workspace {describe(url)} cannot be made: "
                f"{exc.strerror}; set PHUSONG_DATABASE_URL to a writable place"
            ) from None
    made = sa.create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_S})

    @event.listens_for(made, "connect")
    def _connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # SQLAlchemy issues BEGIN itself (below)
        cursor = dbapi_conn.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = FULL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(made, "begin")
    def _begin(conn):
        # a writer takes the write lock at once (no deadlock upgrading a read lock); readers
        # read a snapshot and never wait (WAL)
        write = conn.get_execution_options().get("phusong_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return made


def _alembic_config(conn: Connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = conn
    return config


def known_revisions() -> set[str]:
    """Every schema revision this code knows."""
    from alembic.script import ScriptDirectory

    config = _alembic_config(None)
    return {s.revision for s in ScriptDirectory.from_config(config).walk_revisions()}


def head_revision() -> str:
    """The schema revision this code writes."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()


def _check_and_upgrade(made: Engine, url: str) -> None:
    """Refuse a database that is damaged, foreign or newer; create or upgrade the schema in one
    transaction (a second process waits for it, then finds the schema up to date)."""
    from alembic import command

    where = describe(url)
    try:
        with made.execution_options(phusong_write=True).begin() as conn:
            if made.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
            else:
                result = conn.exec_driver_sql("PRAGMA quick_check").scalar()
                if result != "ok":
                    raise WorkspaceError(
                        f"the workspace {where} is damaged (SQLite: {result}); "
                        "it was left untouched: restore a backup into a new file"
                    )
            tables = set(sa.inspect(conn).get_table_names())
            revision = None
            if "alembic_version" in tables:
                revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            elif tables - {"spatial_ref_sys"}:
                raise WorkspaceError(
                    f"{where} holds other tables ({', '.join(sorted(tables)[:5])})"
                    " and is not a phusong workspace; it was left untouched"
                )
            if revision is not None and revision not in known_revisions():
                raise WorkspaceError(
                    f"the workspace {where} was written by a newer phusong "
                    f"(schema {revision}); this version knows up to "
                    f"{head_revision()}. Update phusong; the workspace was left "
                    "untouched"
                )
            if revision != head_revision():
                command.upgrade(_alembic_config(conn), "head")
    except WorkspaceError:
        raise
    except sa.exc.OperationalError as exc:
        if made.dialect.name != "sqlite":
            detail = str(exc.orig).strip().splitlines()[0]
            raise WorkspaceError(f"the workspace {where} cannot be reached: {detail}") from None
        raise WorkspaceError(
            f"the workspace {where} cannot be opened: {exc.orig}. It is damaged "
            "or not a phusong workspace; it was left untouched"
        ) from None
    except sa.exc.DatabaseError as exc:
        detail = str(getattr(exc, "orig", exc)).splitlines()[0]
        raise WorkspaceError(
            f"the workspace {where} cannot be opened: {detail}. It is damaged or "
            "not a phusong workspace; it was left untouched"
        ) from None
