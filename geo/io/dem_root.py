"""The server's DEM folders: chosen from one configured root, never typed as free paths.

A visitor of the app picks a DEM folder from a list of the folders under the root
(``PHUSONG_DEM_DIR``; by default ``<repo>/dem``, git-ignored) that hold DEM files. A choice
that is not one of them — an absolute path, ``..``, a link that leads out of the root, a folder
that does not exist — is refused with one message that does not say which, so the app never
reveals what exists elsewhere on the server.
"""

from __future__ import annotations

import os
from pathlib import Path

from geo import settings
from geo.errors import PhusongError

DEM_SUFFIXES = (".tif", ".tiff", ".hgt", ".zip")
# Folders deeper than this under the root are not listed (a root holding a whole tile archive
# would otherwise be walked at every rerun).
MAX_DEPTH = 2
MAX_FOLDERS = 200


class DemFolderError(PhusongError):
    """A DEM folder choice that is not one of the configured root's folders."""


def dem_root() -> Path:
    """The configured root of DEM folders: ``PHUSONG_DEM_DIR``, else ``settings.DEFAULT_DEM_DIR``."""
    configured = os.environ.get(settings.DEM_DIR_ENV, "").strip()
    return Path(configured) if configured else settings.DEFAULT_DEM_DIR


def _holds_dem(folder: Path) -> bool:
    try:
        return any(f.is_file() and f.name.lower().endswith(DEM_SUFFIXES) for f in folder.iterdir())
    except OSError:
        return False


def dem_folders(root: Path | None = None) -> list[str]:
    """Folders under ``root`` holding DEM files, as POSIX paths relative to it (``"."`` = root).

    Sorted, at most ``MAX_FOLDERS``, at most ``MAX_DEPTH`` levels deep; folders reached through
    links that lead out of the root are left out. An absent root gives an empty list.
    """
    root = dem_root() if root is None else root
    try:
        real_root = root.resolve(strict=True)
    except OSError:
        return []
    found: list[str] = []
    level = [real_root]
    for depth in range(MAX_DEPTH + 1):
        following: list[Path] = []
        for folder in level:
            if _holds_dem(folder):
                found.append(folder.relative_to(real_root).as_posix())
            if depth < MAX_DEPTH:
                try:
                    children = sorted(p for p in folder.iterdir() if p.is_dir())
                except OSError:
                    continue
                following += [
                    c.resolve() for c in children if c.resolve().is_relative_to(real_root)
                ]
        level = following
    return sorted(found)[:MAX_FOLDERS]


def resolve_dem_folder(choice: str, root: Path | None = None) -> Path:
    """The folder ``choice`` (relative to ``root``) if it is one of :func:`dem_folders`.

    Raises
    ------
    DemFolderError
        For anything else, with the same message whether or not the path exists.
    """
    root = dem_root() if root is None else root
    if choice in dem_folders(root):
        return (root.resolve() / choice).resolve()
    raise DemFolderError(
        f"{choice!r} is not one of the server's DEM folders (set by {settings.DEM_DIR_ENV})"
    )
