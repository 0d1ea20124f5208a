"""Measurement and residents' report files through the common importer (one layer, problems).

:func:`import_measurements` reads one file as the ``measurements`` layer
(:func:`geo.io.importing.import_layer`, whose hook :func:`geo.io.measurements.finish` judges the
carrier, technology and service of each row); :func:`import_files` and :func:`import_bytes` read
several (paths, or uploads) into one layer in EPSG:4326.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import settings
from geo.errors import Problem
from geo.io import importing, measurements, uploads


def import_measurements(
    path: str | Path,
    *,
    communes: gpd.GeoDataFrame | None = None,
    crs=None,
    source: str = "measurement",
):
    """Read a measurement (or residents' report) file: an :class:`geo.io.importing.Imported` with
    the readings (EPSG:4326; see the module doc) and every problem (file, row, column, reason).

    ``source`` ("measurement" or "report") fills the ``source`` column where the file has none.
    """
    settings.check_choice("source", source, measurements.SOURCES)
    imported = importing.import_layer(path, "measurements", crs=crs, communes=communes)
    layer = imported.layer
    if len(layer) and "source" in layer:
        layer["source"] = layer["source"].where(layer["source"].isin(measurements.SOURCES), source)
        if source == "report":
            layer.loc[layer["source"] == "measurement", "source"] = "report"
    return imported


def import_files(
    files: list[tuple[str | Path, str]], *, communes: gpd.GeoDataFrame | None = None
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Readings of several files, each given as (path, source: "measurement" or "report"), as
    one layer (EPSG:4326) and the problems of all of them."""
    frames, problems = [], []
    for path, source in files:
        imported = import_measurements(path, communes=communes, source=source)
        problems += imported.problems
        frames.append(imported.layer)
    layer = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    return gpd.GeoDataFrame(layer, geometry="geometry" if frames else None, crs=4326), problems


def import_bytes(
    files: list[tuple[str, bytes, str]], *, communes: gpd.GeoDataFrame | None = None
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """:func:`import_files` for uploads: (file name, content, source) each, written to a
    temporary folder under a safe name (:func:`geo.io.uploads.safe_filename`) and read from there."""
    refused: list[Problem] = []
    with tempfile.TemporaryDirectory(prefix="phusong-field-") as tmp:
        paths = []
        for k, (name, data, source) in enumerate(files):
            try:
                uploads.check_size(data, name=name)
            except uploads.UploadError as exc:
                refused += exc.problems
                continue
            folder = Path(tmp) / str(k)  # two uploads may share a name
            folder.mkdir()
            path = folder / uploads.safe_filename(name, stem="measurements")
            path.write_bytes(data)
            paths.append((path, source))
        layer, problems = import_files(paths, communes=communes)
    return layer, refused + problems
