"""The dataset schema: the layers, their columns (see ``data/README.md``), the population grid
and the :class:`Dataset` they load into. Shared by reading (:mod:`geo.io.loading`) and importing
(:mod:`geo.io.importing`), which therefore need not import each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from geo import settings
from geo.crs import WGS84
from geo.errors import Problem

POINT_LAYERS = ("bts_sites", "loudspeakers", "internet_points", "settlements")
LAYERS = ("communes",) + POINT_LAYERS
OPTIONAL_LAYERS = ("settlements",)


@dataclass(frozen=True)
class Column:
    """One column of the schema: its name, whether it must be present and filled, and its kind."""

    name: str
    kind: str  # "text" | "number" | "bool" | "choice" | "technologies"
    required: bool = True
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


SCHEMA: dict[str, tuple[Column, ...]] = {
    "communes": (
        Column("code", "text"),
        Column("name", "text"),
        Column("population", "number", required=False, minimum=0),
        Column("population_source", "text", required=False),
        Column("especially_difficult", "bool", required=False),
        Column("code_2025", "text", required=False),
        Column("name_2025", "text", required=False),
    ),
    "bts_sites": (
        Column("site_id", "text"),
        Column("carrier", "choice", choices=settings.CARRIERS),
        Column("technologies", "technologies"),
        Column("height_m", "number", required=False, minimum=0, maximum=500),
        Column("illustrative", "bool", required=False),
    ),
    "loudspeakers": (
        Column("id", "text"),
        Column("kind", "choice", choices=settings.LOUDSPEAKER_KINDS),
        Column("radius_m", "number", required=False, minimum=0, maximum=50_000),
        Column("illustrative", "bool", required=False),
    ),
    "internet_points": (
        Column("id", "text"),
        Column("kind", "choice", choices=settings.INTERNET_KINDS),
        Column("illustrative", "bool", required=False),
    ),
    "settlements": (
        Column("name", "text"),
        Column("population", "number", minimum=0),
    ),
    # Field evidence (geo.io.measurements, not a dataset folder's layer): carrier, technology and
    # service are text here and judged per row by geo.io.measurements.finish.
    "measurements": (
        Column("carrier", "text", required=False),  # else from operator_code (G-NetTrack)
        Column("technology", "text"),
        Column("service", "text", required=False),
        Column("level_dbm", "number", required=False),
        Column("bars", "number", required=False, minimum=0, maximum=5),
        Column("operator_code", "text", required=False),
        Column("time", "text", required=False),
        Column("note", "text", required=False),
        Column("reporter", "text", required=False),
        Column("source", "text", required=False),
    ),
}
ID_COLUMN = {
    "communes": "code",
    "bts_sites": "site_id",
    "loudspeakers": "id",
    "internet_points": "id",
}


@dataclass(frozen=True, eq=False)
class PopulationGrid:
    """A population raster over (at least) the communes: people per cell, NaN where nodata.

    Attributes
    ----------
    values : float64 (rows, cols), people per cell (≥ 0), NaN = nodata.
    transform : affine (a, b, c, d, e, f) of the grid: x = c + a·col + b·row, y = f + d·col + e·row
        (cell corners, the grid's CRS units).
    crs : the grid's CRS.
    name : the file's name, for messages and notes.
    """

    values: np.ndarray
    transform: tuple[float, float, float, float, float, float]
    crs: CRS
    name: str

    @property
    def total(self) -> float:
        """People in all valid cells."""
        return float(np.nansum(self.values))


@dataclass
class Dataset:
    """The layers of one dataset, in EPSG:4326, with the problems found while reading them.

    ``communes`` holds polygons; the point layers hold points and an ``illustrative`` bool column.
    Rows with problems are left out of the layers and listed in ``problems``.
    """

    communes: gpd.GeoDataFrame
    bts_sites: gpd.GeoDataFrame
    loudspeakers: gpd.GeoDataFrame
    internet_points: gpd.GeoDataFrame
    settlements: gpd.GeoDataFrame | None = None
    name: str = ""
    sources: tuple[str | dict[str, str], ...] = ()  # per language where a dict
    problems: list[Problem] = field(default_factory=list)
    population: PopulationGrid | None = None  # people per cell (geo.analysis.population), if given

    @property
    def sites(self) -> dict[str, gpd.GeoDataFrame]:
        """The three service layers by name."""
        return {
            "bts_sites": self.bts_sites,
            "loudspeakers": self.loudspeakers,
            "internet_points": self.internet_points,
        }


def empty_layer(layer: str) -> gpd.GeoDataFrame:
    """An empty layer with the schema's columns, typed, in EPSG:4326."""
    columns = {c.name: pd.Series(dtype=dtype(c)) for c in SCHEMA[layer]}
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries([], crs=WGS84))


def dtype(col: Column) -> str:
    """The pandas dtype of a schema column."""
    return {"number": "float64", "bool": "bool"}.get(col.kind, "object")
