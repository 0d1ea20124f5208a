"""The workspace in one GeoPackage and back (geo.store.backup), on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3

import pandas.testing as pdt
import pytest
import sqlalchemy as sa

from geo.store import backup, engine, fieldreports, versions
from geo.store.engine import WorkspaceError
from store_backends import fresh_url
from test_store_versions import DAKRONG, assert_same_dataset, small_dataset


def _fill(url: str) -> None:
    versions.save_folder(DAKRONG, label="default", described_on="2025-06-30", url=url)
    versions.save_dataset(small_dataset(), label="small", saved_by="Hà", url=url)
    fieldreports.add_field_report(
        lon=106.9,
        lat=16.6,
        service="weak",
        carrier="Viettel",
        technology="4G",
        observed_on="2026-11-02",
        reporter="Lan",
        note="only near the school",
        url=url,
    )


def test_backup_restore_backup_gives_the_same_content(workspace_url, tmp_path):
    _fill(workspace_url)
    first = tmp_path / "first.gpkg"
    counts = backup.backup(first)
    assert counts["versions"] == 2 and counts["field_reports"] == 1
    target = f"sqlite:///{tmp_path / 'restored.sqlite'}"
    assert backup.restore(first, url=target) == counts
    assert backup.dump(target) == backup.dump(workspace_url)
    second = tmp_path / "second.gpkg"
    backup.backup(second, url=target)
    a, b = backup.read_backup(first), backup.read_backup(second)
    for table in a:
        pdt.assert_frame_equal(a[table], b[table])
    assert_same_dataset(versions.load_version(2, url=target), small_dataset())
    # a version added after the restore gets the next id
    assert versions.save_dataset(small_dataset(), label="after", url=target) == 3
    engine.dispose(target)


def test_restore_into_postgresql_keeps_ids(tmp_path):
    source = f"sqlite:///{tmp_path / 'source.sqlite'}"
    _fill(source)
    path = tmp_path / "b.gpkg"
    backup.backup(path, url=source)
    target = fresh_url("postgresql", tmp_path)
    backup.restore(path, url=target)
    assert backup.dump(target) == backup.dump(source)
    assert versions.save_dataset(small_dataset(), label="next", url=target) == 3
    engine.dispose(target)


def test_a_restore_needs_an_empty_workspace(workspace_url, tmp_path):
    _fill(workspace_url)
    path = tmp_path / "b.gpkg"
    backup.backup(path)
    with pytest.raises(WorkspaceError, match="empty workspace only"):
        backup.restore(path)
    assert len(versions.list_versions()) == 2


def test_damaged_foreign_and_newer_backups_are_refused(tmp_path):
    url = f"sqlite:///{tmp_path / 'ws.sqlite'}"
    target = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    versions.save_dataset(small_dataset(), label="x", url=url)
    garbage = tmp_path / "garbage.gpkg"
    garbage.write_bytes(b"no geopackage here" * 100)
    with pytest.raises(WorkspaceError, match="cannot be read as a phusong backup"):
        backup.restore(garbage, url=target)
    assert garbage.read_bytes() == b"no geopackage here" * 100

    path = tmp_path / "b.gpkg"
    backup.backup(path, url=url)
    with sqlite3.connect(path) as conn:  # a newer phusong's backup
        conn.execute("UPDATE phusong_backup SET schema = '9999_future'")
    with pytest.raises(WorkspaceError, match="newer phusong"):
        backup.restore(path, url=target)

    backup.backup(path, url=url)
    with sqlite3.connect(path) as conn:  # a changed version: the content check fails
        conn.execute("UPDATE phusong_versions SET name = 'tampered'")
    with pytest.raises(WorkspaceError, match="content check failed"):
        backup.restore(path, url=target)
    assert versions.list_versions(target) == []  # nothing half-restored
    with sa.create_engine(target).connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM features")).scalar() == 0
