"""The server's DEM folders (geo/io/dem_root.py): listed under one root, nothing outside it."""

from __future__ import annotations

import pytest

from geo.io import dem_root


@pytest.fixture
def root(tmp_path):
    """root/{a/N16E107.hgt, a/deeper/x.tif, b/readme.txt, c/d/e/too_deep.tif}; outside/secret.tif"""
    r = tmp_path / "root"
    for rel in ("a/N16E107.hgt", "a/deeper/x.tif", "b/readme.txt", "c/d/e/too_deep.tif"):
        (r / rel).parent.mkdir(parents=True, exist_ok=True)
        (r / rel).write_bytes(b"x")
    (tmp_path / "outside").mkdir()
    (tmp_path / "outside" / "secret.tif").write_bytes(b"x")
    (r / "link_out").symlink_to(tmp_path / "outside", target_is_directory=True)
    return r


def test_lists_the_folders_holding_dem_files_under_the_root(root):
    # b holds no DEM file; c/d/e is three levels down (MAX_DEPTH = 2); link_out leaves the root
    assert dem_root.dem_folders(root) == ["a", "a/deeper"]
    (root / "top.tif").write_bytes(b"x")
    assert dem_root.dem_folders(root) == [".", "a", "a/deeper"]


def test_a_listed_folder_resolves_inside_the_root(root):
    assert dem_root.resolve_dem_folder("a/deeper", root) == (root / "a" / "deeper").resolve()


@pytest.mark.parametrize(
    "choice", ["../outside", "link_out", "/etc", "b", "nope", "a/../../outside", str("/tmp")]
)
def test_anything_else_is_refused_with_one_message(root, choice):
    with pytest.raises(dem_root.DemFolderError) as err:
        dem_root.resolve_dem_folder(choice, root)
    # the same words whether the path exists or not: nothing about the server's files leaks
    assert (
        str(err.value)
        == f"{choice!r} is not one of the server's DEM folders (set by PHUSONG_DEM_DIR)"
    )


def test_the_root_comes_from_the_environment(root, monkeypatch):
    monkeypatch.setenv("PHUSONG_DEM_DIR", str(root))
    assert dem_root.dem_root() == root
    assert dem_root.dem_folders() == ["a", "a/deeper"]
    monkeypatch.delenv("PHUSONG_DEM_DIR")
    assert dem_root.dem_root().name == "dem"
    assert dem_root.dem_folders(root / "absent") == []
