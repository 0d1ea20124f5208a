"""Versions in the workspace (geo.store): saved exactly as loaded, never changed, safe with
concurrent writers and killed writers, refusing damaged or newer databases. Every test runs on
SQLite and on PostgreSQL/PostGIS (tests/store_backends.py)."""

from __future__ import annotations

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import numpy as np
import pandas.testing as pdt
import pytest
import sqlalchemy as sa

import builders as b
from geo import i18n
from geo.io import loading
from geo.errors import PhusongError, Problem
from geo.store import engine, versions
from geo.store.engine import WorkspaceError

ROOT = Path(__file__).resolve().parents[1]
DAKRONG = ROOT / "data" / "dakrong"


def small_dataset(n_loudspeakers: int = 3):
    """Two communes, NaN and empty values, a settlements layer and one translatable problem."""
    ds = b.dataset(
        [
            {
                "code": "001",
                "name": "A Bung",
                "population": 1380.0,
                "especially_difficult": True,
                "geometry": b.square(b.X0, b.Y0, 1000),
            },
            {"code": "002", "name": "Tà Rụt", "geometry": b.square(b.X0 + 1000, b.Y0, 1000)},
        ],
        bts=[{"site_id": "V1", "x": b.X0 + 500, "y": b.Y0 + 500, "technologies": "2G;4G"}],
        loudspeakers=[
            {
                "id": f"L{i}",
                "x": b.X0 + i,
                "y": b.Y0 + 10,
                "radius_m": 300.0 if i % 2 else float("nan"),
            }
            for i in range(n_loudspeakers)
        ],
        settlements=[{"name": "Bản Sê Sáp", "x": b.X0 + 200, "y": b.Y0 + 200, "population": 250.0}],
    )
    ds.communes.index = [7, 9]  # labels other than 0..n-1 survive too
    ds.problems = [
        Problem(
            "bts_sites.csv",
            3,
            "Vĩ độ",
            "91",
            i18n.reason("not_json", detail="x"),
            severity="warning",
        )
    ]
    ds.sources = ("plain source", {"vi": "nguồn", "en": "source"})
    return ds


def assert_same_dataset(got: loading.Dataset, want: loading.Dataset) -> None:
    for layer in loading.LAYERS:
        a, e = getattr(got, layer), getattr(want, layer)
        if e is None:
            assert a is None
            continue
        pdt.assert_frame_equal(a, e, check_exact=True)
        assert a.crs == e.crs
    assert (got.name, got.sources, got.problems) == (want.name, want.sources, want.problems)
    assert [p.text("vi") for p in got.problems] == [p.text("vi") for p in want.problems]


def test_a_saved_dataset_comes_back_exactly(workspace_url):
    ds = small_dataset()
    vid = versions.save_dataset(
        ds,
        label="list of 2026-10",
        described_on="2026-10-01",
        saved_by="Hà",
        files=[versions.SourceFile("a.csv", 3, "ab")],
    )
    got = versions.load_version(vid)
    assert_same_dataset(got, ds)
    assert got.communes.index.tolist() == [7, 9]
    assert np.isnan(got.loudspeakers["radius_m"].iloc[0])
    assert got.loudspeakers["radius_m"].dtype == np.float64
    assert got.bts_sites["illustrative"].dtype == bool
    [info] = versions.list_versions()
    assert (info.id, info.label, info.described_on, info.saved_by) == (
        vid,
        "list of 2026-10",
        "2026-10-01",
        "Hà",
    )
    assert info.files == (versions.SourceFile("a.csv", 3, "ab"),)
    assert info.problems == 1
    assert versions.check_version(vid)


def test_the_default_folder_is_kept_with_its_files_and_grid(workspace_url):
    vid = versions.save_folder(DAKRONG, label="default")
    want = loading.load_dataset(DAKRONG)
    got = versions.load_version(vid)
    assert_same_dataset(got, want)
    np.testing.assert_array_equal(got.population.values, want.population.values)
    assert got.population.transform == want.population.transform
    assert got.population.name == "population.tif"
    files = {f.name: f for f in versions.list_versions()[0].files}
    tif = (DAKRONG / "population.tif").read_bytes()
    assert files["population.tif"].sha256 == hashlib.sha256(tif).hexdigest()
    assert set(files) == {
        "communes.geojson",
        "bts_sites.csv",
        "loudspeakers.csv",
        "internet_points.csv",
        "dataset.json",
        "population.tif",
    }
    assert versions.version_file(vid, "population.tif") == tif
    assert versions.version_file(vid, "dataset.json") == (DAKRONG / "dataset.json").read_bytes()


def test_versions_are_never_changed(workspace_url):
    vid = versions.save_dataset(small_dataset(), label="first")
    for statement in (
        "UPDATE versions SET label = 'changed'",
        "DELETE FROM features",
        "UPDATE layers SET n_rows = 0",
        "DELETE FROM versions",
    ):
        with pytest.raises(sa.exc.DatabaseError, match="never changed"):
            with engine.transaction() as conn:
                conn.execute(sa.text(statement))
    assert versions.list_versions()[0].label == "first"
    assert versions.check_version(vid)
    second = versions.save_dataset(small_dataset(5), label="second")  # a new list: a new version
    assert second != vid and len(versions.load_version(second).loudspeakers) == 5
    assert_same_dataset(versions.load_version(vid), small_dataset())


def test_bad_requests_are_clear(workspace_url):
    with pytest.raises(PhusongError, match="label"):
        versions.save_dataset(small_dataset(), label="  ")
    with pytest.raises(PhusongError, match="YYYY-MM-DD"):
        versions.save_dataset(small_dataset(), label="x", described_on="10/2026")
    with pytest.raises(WorkspaceError, match="no version 42"):
        versions.load_version(42)
    assert versions.list_versions() == []


def test_two_threads_saving_at_once_both_succeed(workspace_url):
    ds, ids, errors = small_dataset(200), [], []

    def save(i):
        try:
            for j in range(3):
                ids.append(versions.save_dataset(ds, label=f"t{i}-{j}"))
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(ids) == [v.id for v in versions.list_versions()] and len(set(ids)) == 12
    assert all(versions.check_version(i) for i in ids)


_CHILD = textwrap.dedent("""
    from test_store_versions import small_dataset
    from geo.store import versions
    ds = small_dataset({n})
    print("ready", flush=True)
    for i in range({repeat}):
        print("start", flush=True)
        print("saved", versions.save_dataset(ds, label={label!r} + str(i)), flush=True)
""")


def _child(url: str, *, label: str, n: int = 200, repeat: int = 1) -> subprocess.Popen:
    code = _CHILD.format(n=n, repeat=repeat, label=label)
    env = dict(os.environ, PHUSONG_DATABASE_URL=url, PYTHONPATH=str(ROOT / "tests"))
    return subprocess.Popen(
        [sys.executable, "-c", code],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )


def test_two_processes_saving_at_once_both_succeed(workspace_url):
    versions.list_versions()  # schema made; the children race on the saves themselves
    children = [_child(workspace_url, label=f"p{i}-", repeat=4) for i in range(2)]
    outputs = [c.communicate(timeout=300) for c in children]
    assert [c.returncode for c in children] == [0, 0], [err for _, err in outputs]
    saved = [
        line.split()[1]
        for out, _ in outputs
        for line in out.splitlines()
        if line.startswith("saved")
    ]
    assert len(saved) == 8
    assert sorted(int(s) for s in saved) == [v.id for v in versions.list_versions()]


def test_a_writer_killed_mid_save_leaves_no_half_version(workspace_url):
    """SIGKILL at random points of a stream of saves: afterwards every version listed is whole
    (content digest, row counts) and every earlier one intact; no orphan rows."""
    rng = random.Random(11)
    first = versions.save_dataset(small_dataset(), label="before the kills")
    expected = small_dataset(2000)
    killed_mid_save = 0
    for run in range(4):
        child = _child(workspace_url, label=f"kill{run}-", n=2000, repeat=50)
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 1.5))
        child.send_signal(signal.SIGKILL)
        child.wait()
        out = child.stdout.read()  # not communicate(): it would skip what readline() buffered
        child.stdout.close()
        child.stderr.close()
        killed_mid_save += bool(out.splitlines()) and out.splitlines()[-1] == "start"
        engine.dispose(workspace_url)
        listed = versions.list_versions()
        assert listed[0].id == first
        for info in listed:
            assert versions.check_version(info.id), f"run {run}: version {info.id} damaged"
        for info in listed[1:]:
            got = versions.load_version(info.id)
            pdt.assert_frame_equal(got.loudspeakers, expected.loudspeakers, check_exact=True)
        with engine.engine(workspace_url).connect() as conn:
            orphans = conn.execute(
                sa.text(
                    "SELECT count(*) FROM features WHERE version_id NOT IN (SELECT id FROM versions)"
                )
            ).scalar()
            counts = conn.execute(
                sa.text(
                    "SELECT l.version_id, l.n_rows, count(f.ord) FROM layers l LEFT JOIN features f "
                    "ON f.version_id = l.version_id AND f.layer = l.layer "
                    "GROUP BY l.version_id, l.layer, l.n_rows"
                )
            ).all()
        assert orphans == 0
        assert all(n == m for _, n, m in counts)
    assert_same_dataset(versions.load_version(first), small_dataset())
    assert killed_mid_save >= 3  # the kills did land inside saves, not only between them


def _sqlite_file(url: str) -> Path:
    return Path(sa.engine.make_url(url).database)


def test_a_damaged_file_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "damaged.sqlite"
    path.write_bytes(b"this is not a database at all\n" * 200)
    before = path.read_bytes()
    with pytest.raises(WorkspaceError, match="damaged or not a phusong workspace"):
        versions.list_versions(f"sqlite:///{path}")
    assert path.read_bytes() == before


def test_a_damaged_page_is_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'ws.sqlite'}"
    versions.save_dataset(small_dataset(500), label="x", url=url)
    engine.dispose(url)
    path = _sqlite_file(url)
    data = bytearray(path.read_bytes())
    page = 4096
    for i in range(2 * page + 100, min(len(data), 6 * page)):  # scribble over the table pages
        data[i] = 0xA5
    path.write_bytes(bytes(data))
    with pytest.raises(WorkspaceError, match="damaged|cannot be opened"):
        versions.list_versions(url)
    assert path.read_bytes() == bytes(data)


def test_another_programs_database_is_refused(tmp_path):
    import sqlite3

    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE things (x)")
    with pytest.raises(WorkspaceError, match="not a phusong workspace"):
        versions.list_versions(f"sqlite:///{path}")


def test_a_newer_schema_is_refused_and_left_untouched(workspace_url):
    versions.save_dataset(small_dataset(), label="x")
    with engine.transaction() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999_future'"))
    engine.dispose(workspace_url)
    with pytest.raises(WorkspaceError, match="newer phusong.*9999_future"):
        versions.list_versions()
    engine.dispose(workspace_url)
    raw = sa.create_engine(engine.database_url(workspace_url))
    with raw.connect() as conn:
        assert (
            conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            == "9999_future"
        )
        assert conn.execute(sa.text("SELECT count(*) FROM versions")).scalar() == 1
    raw.dispose()


def test_the_default_url_is_a_file_under_workspace(monkeypatch):
    monkeypatch.delenv(engine.ENV_VAR, raising=False)
    assert engine.database_url() == f"sqlite:///{ROOT / 'workspace' / 'phusong.sqlite'}"
    monkeypatch.setenv(engine.ENV_VAR, "postgresql://u:secret@host/db")
    assert engine.database_url() == "postgresql+psycopg://u:secret@host/db"
    assert "secret" not in engine.describe(engine.database_url())


def test_sqlite_runs_in_wal_mode(tmp_path):
    url = f"sqlite:///{tmp_path / 'ws.sqlite'}"
    with engine.engine(url).connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 10_000
    assert json.loads(json.dumps(engine.known_revisions() and sorted(engine.known_revisions())))


def test_an_unreachable_server_or_folder_is_a_clear_error(tmp_path):
    with pytest.raises(WorkspaceError, match="cannot be reached: .*refused"):
        versions.list_versions("postgresql://u:secret@127.0.0.1:1/db")
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(WorkspaceError, match="cannot be made"):
        versions.list_versions(f"sqlite:///{blocker / 'ws.sqlite'}")
