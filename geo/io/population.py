"""Population grids (people per cell): reading, clipping, and where each commune's people live.

A dataset folder may hold ``population.tif``: a GeoTIFF in any CRS whose cells hold *people per
cell* (WorldPop, GHSL and Meta HRSL publish such grids), nodata honoured. It tells where people
live inside a commune ("dasymetric" people): :func:`cell_people` cuts the communes into pieces,
one per grid cell they overlap, and gives each piece its share of the cell's people; where a
commune's population is known the pieces are scaled to that total, otherwise the grid's own total
is used. A commune the grid does not cover falls back to spreading its people evenly.

Two readings of a cell's people, since a 1 km cell is coarser than a loudspeaker's 300 m reach:
*even* (spread evenly within the cell: the figure reported) and *hamlet* (gathered at one point,
the cell's centre, or a point of the piece where the centre lies outside the commune). Figures
that depend on short reaches are reported as the range between the two (``geo.analysis.gaps``).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer
from shapely import STRtree

from geo import i18n, settings
from geo.cache import IdentityCache
from geo.errors import PhusongError, Problem
from geo.model.schema import PopulationGrid

# File names a dataset folder's population grid may have.
POPULATION_SUFFIXES = (".tif", ".tiff")


class GridError(PhusongError):
    """A population grid that cannot be used: ``reason`` (a :class:`geo.i18n.Reason`) says why in
    either language; the message names the file."""

    def __init__(self, name: str, reason: i18n.Reason):
        self.name, self.reason = name, reason
        super().__init__(f"{name}: {reason}")


def find_grid(folder: Path) -> Path | None:
    """The population grid of a dataset folder (``population.tif``), or None."""
    for suffix in POPULATION_SUFFIXES:
        path = Path(folder) / f"population{suffix}"
        if path.is_file():
            return path
    return None


def read_grid(
    path: str | Path,
    *,
    area: gpd.GeoDataFrame | None = None,
    margin_m: float = settings.POPULATION_MARGIN_M,
) -> PopulationGrid:
    """Read a population GeoTIFF, cut to ``area`` (any CRS) plus ``margin_m`` metres.

    Raises :class:`PhusongError` naming the file when it cannot be read, declares no CRS, does not
    overlap ``area``, holds only nodata there, or holds negative values.
    """
    import rasterio
    from rasterio.windows import Window, from_bounds

    path = Path(path)
    name = path.name
    if not path.is_file():
        raise PhusongError(f"population grid not found: {path}")
    try:
        src = rasterio.open(path)
    except Exception as exc:  # any reader failure becomes a message naming the file
        raise GridError(name, i18n.reason("grid_unreadable", detail=str(exc))) from None
    with src:
        if src.crs is None:
            raise GridError(name, i18n.reason("grid_no_crs"))
        crs = CRS.from_user_input(src.crs.to_wkt())
        full = Window(0, 0, src.width, src.height)
        window = full
        if area is not None and len(area):
            left, bottom, right, top = _bounds_in(area, crs, margin_m)
            try:
                wanted = from_bounds(left, bottom, right, top, transform=src.transform)
                c0, r0 = math.floor(wanted.col_off), math.floor(wanted.row_off)
                window = Window(
                    c0,
                    r0,
                    math.ceil(wanted.col_off + wanted.width) - c0,
                    math.ceil(wanted.row_off + wanted.height) - r0,
                ).intersection(full)
            except Exception:  # rasterio raises when the windows do not intersect
                window = None
            if window is None or window.width < 1 or window.height < 1:
                raise GridError(
                    name,
                    i18n.reason(
                        "grid_no_overlap",
                        grid=_fmt_bounds(src.bounds),
                        crs=crs.name,
                        communes=_fmt_bounds((left, bottom, right, top)),
                    ),
                )
        data = src.read(1, window=window, masked=True)
        transform = tuple(src.window_transform(window))[:6]
    values = np.ma.filled(data.astype(np.float64), np.nan)
    values[~np.isfinite(values)] = np.nan
    if not np.isfinite(values).any():
        raise GridError(name, i18n.reason("grid_nodata"))
    negative = np.argwhere(values < 0)
    if len(negative):
        r, c = negative[0]
        raise GridError(
            name,
            i18n.reason(
                "grid_negative",
                n=len(negative),
                row=int(r) + 1,
                col=int(c) + 1,
                value=f"{values[r, c]:g}",
            ),
        )
    return PopulationGrid(values, transform, crs, name)


def clip_grid(
    src_path: str | Path,
    dst_path: str | Path,
    *,
    area: gpd.GeoDataFrame,
    margin_m: float = settings.POPULATION_MARGIN_M,
) -> Path:
    """Write the part of a population GeoTIFF covering ``area`` plus ``margin_m`` as a new GeoTIFF
    (same CRS and cells, float32, nodata −99999, LZW); deterministic bytes for the same input."""
    import rasterio

    grid = read_grid(src_path, area=area, margin_m=margin_m)
    dst = Path(dst_path)
    dst.parent.mkdir(parents=True, exist_ok=True)
    a, b, c, d, e, f = grid.transform
    profile = {
        "driver": "GTiff",
        "dtype": "float32",
        "nodata": -99999.0,
        "count": 1,
        "width": grid.values.shape[1],
        "height": grid.values.shape[0],
        "crs": grid.crs.to_wkt(),
        "transform": rasterio.Affine(a, b, c, d, e, f),
        "compress": "lzw",
    }
    tmp = dst.with_suffix(".tmp.tif")
    with rasterio.open(tmp, "w", **profile) as out:
        out.write(np.where(np.isfinite(grid.values), grid.values, -99999.0).astype(np.float32), 1)
    tmp.replace(dst)
    return dst


def worldpop_path() -> Path | None:
    """The WorldPop 2020 1 km grid of Viet Nam where phusong looks for it (``PHUSONG_WORLDPOP``,
    else ``../shared/data/open/worldpop/`` beside the repository), or None."""
    for path in settings.worldpop_candidates():
        if path.is_file():
            return path
    return None


# --- people per commune piece ---------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class CellPeople:
    """The communes cut by the grid's cells, with the people of each piece (working metric CRS).

    Attributes
    ----------
    zone : commune index (row of the communes given) of each piece.
    geoms : piece polygons (a cell ∩ a commune; the whole commune where it falls back).
    people : people of each piece: its cell's people × its share of the cell's area, scaled to the
        commune's population where known; pieces of an even-spread commune hold its population by
        area (a share weight of 1 per m² where the population is unknown).
    points : each piece's hamlet point (the cell centre where it lies in the piece).
    whole : True for pieces of communes that fall back to the even spread (no cell reading).
    basis : per commune, "grid" or "uniform".
    grid_people : per commune, the grid's own people in it (NaN where it falls back).
    population : per commune, the population the pieces add up to (the given one, else the grid's;
        NaN where neither is known).
    cover : per commune, the share of its area inside the grid's extent (0–1); nodata cells
        inside the extent (sea, another country) hold nobody.
    """

    zone: np.ndarray
    geoms: np.ndarray
    people: np.ndarray
    points: np.ndarray
    whole: np.ndarray
    basis: np.ndarray
    grid_people: np.ndarray
    population: np.ndarray
    cover: np.ndarray

    def for_units(self, unit_of: np.ndarray, n_units: int) -> "CellPeople":
        """The pieces relabelled to the units holding each commune (``unit_of[commune]``), e.g. a
        2025 commune made of legacy ones; per-unit fields summed ("mixed" basis where parts differ; cover: the least covered part)."""
        zone = unit_of[self.zone]
        basis = np.full(n_units, "uniform", dtype=object)
        for u in range(n_units):
            kinds = set(self.basis[unit_of == u])
            basis[u] = kinds.pop() if len(kinds) == 1 else ("mixed" if kinds else "uniform")
        grid_people = np.bincount(
            unit_of, weights=np.nan_to_num(self.grid_people), minlength=n_units
        )
        grid_people[basis == "uniform"] = np.nan
        population = np.bincount(unit_of, weights=self.population, minlength=n_units)
        cover = np.ones(n_units)
        np.minimum.at(cover, unit_of, self.cover)  # the least covered part
        return CellPeople(
            zone,
            self.geoms,
            self.people,
            self.points,
            self.whole,
            basis,
            grid_people,
            population,
            cover,
        )


def cell_people(
    communes: gpd.GeoDataFrame,
    grid: PopulationGrid,
    *,
    min_cover: float = settings.POPULATION_MIN_COVER,
) -> CellPeople:
    """Dasymetric people of ``communes`` (polygons in a metric CRS, column ``population``).

    A commune is read from the grid when at least ``min_cover`` of its area lies inside the grid's
    extent and its cells hold people; otherwise its people are spread evenly (``basis``
    "uniform"). Nodata cells inside the extent hold nobody (WorldPop: sea, other countries). Cells are taken as
    quadrilaterals through their four corners reprojected to the communes' CRS.
    """
    zones = communes.geometry.to_numpy()
    n = len(zones)
    known = communes["population"].to_numpy(float)
    zone_area = shapely.area(zones)
    cells, centres, values = _cells(grid, communes.crs, shapely.total_bounds(zones))
    pieces_zone = np.zeros(0, dtype=np.int64)
    pieces = np.zeros(0, dtype=object)
    share = np.zeros(0)
    centre = np.zeros(0, dtype=object)
    if len(cells):
        zi, ci = STRtree(cells).query(zones, predicate="intersects")
        pieces = shapely.intersection(zones[zi], cells[ci])
        cell_area = shapely.area(cells[ci])
        share = np.divide(
            shapely.area(pieces), cell_area, out=np.zeros(len(zi)), where=cell_area > 0
        )
        keep = share > 1e-9
        pieces_zone, pieces, share = zi[keep], pieces[keep], share[keep]
        values, centre = values[ci[keep]], centres[ci[keep]]
    raw_people = np.bincount(pieces_zone, weights=values * share, minlength=n)
    extent = _extent(grid, communes.crs)
    cover = shapely.area(shapely.intersection(zones, extent)) / np.where(
        zone_area > 0, zone_area, 1
    )
    on_grid = (cover >= min_cover) & (raw_people > 0)

    keep = on_grid[pieces_zone] if len(pieces) else np.zeros(0, bool)
    scale = np.where(np.isfinite(known), known, raw_people) / np.where(
        raw_people > 0, raw_people, 1
    )
    people = (values * share * scale[pieces_zone])[keep]
    points = (
        np.where(
            shapely.contains(pieces[keep], centre[keep]),
            centre[keep],
            shapely.point_on_surface(pieces[keep]),
        )
        if keep.any()
        else np.zeros(0, object)
    )
    off = np.flatnonzero(~on_grid)  # the even spread: one piece, the whole commune
    even_people = np.where(np.isfinite(known[off]), known[off], zone_area[off])
    return CellPeople(
        zone=np.concatenate([pieces_zone[keep], off]).astype(np.int64),
        geoms=np.concatenate([pieces[keep], zones[off]]),
        people=np.concatenate([people, even_people]),
        points=np.concatenate([points, shapely.point_on_surface(zones[off])]),
        whole=np.concatenate([np.zeros(int(keep.sum()), bool), np.ones(len(off), bool)]),
        basis=np.where(on_grid, "grid", "uniform").astype(object),
        grid_people=np.where(on_grid, raw_people, np.nan),
        population=np.where(np.isfinite(known), known, np.where(on_grid, raw_people, np.nan)),
        cover=cover,
    )


_PEOPLE = IdentityCache(max_entries=16)


def commune_people(communes: gpd.GeoDataFrame, grid: PopulationGrid, crs) -> CellPeople:
    """:func:`cell_people` of ``communes`` (any CRS) in the metric ``crs``, kept while both the
    communes frame and the grid live (loading and every analysis of a dataset share it)."""
    return _PEOPLE.get(
        (communes, grid),
        str(CRS.from_user_input(crs).to_wkt()),
        lambda: cell_people(communes.to_crs(crs), grid),
    )


def coverage_problems(communes: gpd.GeoDataFrame, grid: PopulationGrid, crs) -> list[Problem]:
    """Warnings naming the communes (value: name; reason: code) that the grid does not cover and
    whose people are therefore spread evenly."""
    people = commune_people(communes, grid, crs)
    return [
        Problem(
            grid.name,
            None,
            None,
            str(communes["name"].iloc[i]),
            i18n.reason("grid_empty", code=str(communes["code"].iloc[i]))
            if people.cover[i] >= settings.POPULATION_MIN_COVER
            else i18n.reason(
                "grid_partial",
                pct=int(round(100 * people.cover[i])),
                code=str(communes["code"].iloc[i]),
            ),
            "warning",
        )
        for i in np.flatnonzero(people.basis == "uniform")
    ]


def density_classes(
    grid: PopulationGrid, communes: gpd.GeoDataFrame, edges: tuple[float, ...]
) -> gpd.GeoDataFrame:
    """Where people live, for a map: the grid's cells cut to the communes, classed by density.

    ``communes`` are polygons in a metric CRS (UTM); ``edges`` are class edges in people per km²
    (``edges[0]`` .. ``edges[-1]``, the last may be ``inf``). A cell's density is its people over
    its own area (km², in the communes' CRS); cells of one class are merged into one polygon.
    Returns a GeoDataFrame in the communes' CRS with columns ``klass`` (0-based index into the
    classes; only classes that occur), ``people`` (the grid's people inside the communes' cells of
    that class, whole cells) and ``geometry``; empty where the grid holds nobody there.
    """
    crs = communes.crs
    polys, _, people = _cells(grid, crs, np.asarray(communes.total_bounds, float))
    empty = gpd.GeoDataFrame(
        {"klass": np.zeros(0, int), "people": np.zeros(0)}, geometry=gpd.GeoSeries([], crs=crs)
    )
    if not len(polys):
        return empty
    whole = shapely.union_all(shapely.make_valid(communes.geometry.to_numpy()))
    shapely.prepare(whole)
    inside = shapely.intersects(polys, whole) & ~shapely.touches(polys, whole)  # not an edge only
    polys, people = polys[inside], people[inside]
    density = people / (shapely.area(polys) / 1e6)
    klass = np.searchsorted(np.asarray(edges[1:-1], float), density, side="right")
    keep = people > 0  # a cell with nobody is not drawn: the communes show through
    rows = []
    for k in np.unique(klass[keep]):
        chosen = keep & (klass == k)
        rows.append(
            (
                int(k),
                float(people[chosen].sum()),
                shapely.intersection(shapely.union_all(polys[chosen]), whole),
            )
        )
    if not rows:
        return empty
    klasses, counts, geoms = zip(*rows)
    return gpd.GeoDataFrame(
        {"klass": list(klasses), "people": list(counts)}, geometry=list(geoms), crs=crs
    )


def _cells(
    grid: PopulationGrid, crs, bounds: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Valid cells of ``grid`` near ``bounds`` (x0, y0, x1, y1 in ``crs``) as polygons, their
    centres (both in ``crs``) and people."""
    rows, cols = grid.values.shape
    a, b, c, d, e, f = grid.transform
    to_grid = _transformer(CRS.from_user_input(crs), grid.crs)
    t = np.linspace(0.0, 1.0, 21)  # the box's edges, densified: they curve in another CRS
    ex, ey = bounds[0] + t * (bounds[2] - bounds[0]), bounds[1] + t * (bounds[3] - bounds[1])
    bx = np.concatenate([ex, ex, np.full(21, bounds[0]), np.full(21, bounds[2])])
    by = np.concatenate([np.full(21, bounds[1]), np.full(21, bounds[3]), ey, ey])
    gx, gy = to_grid.transform(bx, by)
    det = a * e - b * d
    col = (e * (np.asarray(gx) - c) - b * (np.asarray(gy) - f)) / det
    row = (-d * (np.asarray(gx) - c) + a * (np.asarray(gy) - f)) / det
    c0, c1 = max(0, math.floor(col.min()) - 1), min(cols, math.ceil(col.max()) + 1)
    r0, r1 = max(0, math.floor(row.min()) - 1), min(rows, math.ceil(row.max()) + 1)
    if c0 >= c1 or r0 >= r1:
        return np.zeros(0, object), np.zeros(0, object), np.zeros(0)
    cc, rr = np.meshgrid(np.arange(c0, c1 + 1, dtype=float), np.arange(r0, r1 + 1, dtype=float))
    to_crs = _transformer(grid.crs, CRS.from_user_input(crs))
    cx, cy = to_crs.transform(c + a * cc + b * rr, f + d * cc + e * rr)  # corners, in crs
    cx, cy = np.asarray(cx), np.asarray(cy)
    sub = grid.values[r0:r1, c0:c1]
    valid = np.argwhere(np.isfinite(sub))
    i, j = valid[:, 0], valid[:, 1]
    ring = np.stack(
        [
            np.stack([cx[i, j], cy[i, j]], -1),
            np.stack([cx[i, j + 1], cy[i, j + 1]], -1),
            np.stack([cx[i + 1, j + 1], cy[i + 1, j + 1]], -1),
            np.stack([cx[i + 1, j], cy[i + 1, j]], -1),
        ],
        axis=1,
    )
    polys = shapely.polygons(ring)
    mx, my = to_crs.transform(
        c + a * (c0 + j + 0.5) + b * (r0 + i + 0.5), f + d * (c0 + j + 0.5) + e * (r0 + i + 0.5)
    )
    return polys, shapely.points(np.asarray(mx), np.asarray(my)), sub[i, j]


def _extent(grid: PopulationGrid, crs) -> shapely.Geometry:
    """The footprint of the grid's cells (the part read) as a polygon in ``crs``, its edges
    densified (they curve in another CRS)."""
    rows, cols = grid.values.shape
    a, b, c, d, e, f = grid.transform
    t = np.linspace(0.0, 1.0, 101)
    col = np.concatenate([t * cols, np.full(101, cols), (1 - t) * cols, np.zeros(101)])
    row = np.concatenate([np.zeros(101), t * rows, np.full(101, rows), (1 - t) * rows])
    x, y = _transformer(grid.crs, CRS.from_user_input(crs)).transform(
        c + a * col + b * row, f + d * col + e * row
    )
    return shapely.make_valid(shapely.Polygon(np.column_stack([x, y])))


@functools.lru_cache(maxsize=32)
def _transformer(src: CRS, dst: CRS) -> Transformer:
    return Transformer.from_crs(src, dst, always_xy=True)


def _bounds_in(area: gpd.GeoDataFrame, crs: CRS, margin_m: float) -> tuple[float, ...]:
    """Bounds of ``area`` in ``crs`` plus ``margin_m`` metres (in degrees for a geographic CRS)."""
    left, bottom, right, top = area.to_crs(crs).total_bounds
    margin = margin_m / 111_000 if crs.is_geographic else margin_m
    return left - margin, bottom - margin, right + margin, top + margin


def _fmt_bounds(b) -> str:
    return "(" + ", ".join(f"{v:.4f}" for v in b) + ")"
