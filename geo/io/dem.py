"""Digital elevation models (DEM): reading GeoTIFF and SRTM ``.hgt`` tiles into one metric grid.

Files are read at the edge (:func:`read_dem`, :func:`read_source`); everything after works on arrays:
every source is reprojected **once**, straight into the working metric CRS (UTM), sources are
mosaicked (the first file listed wins where tiles overlap), and nodata voids are filled by
interpolation from their edges (GDAL's inverse-distance ``FillNodata``) and counted in
:attr:`DEM.filled_cells` — a void is never read as sea level. Heights are metres above the
source's vertical datum (EGM96 for SRTM, EGM2008 for Copernicus GLO-30).
"""

from __future__ import annotations

import hashlib
import math
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from affine import Affine
from pyproj import CRS

from geo import i18n
from geo.errors import PhusongError

GEOTIFF_SUFFIXES = (".tif", ".tiff")
# Any value below this is a void marker, not ground: the lowest land surface (Dead Sea shore) is
# about −430 m; SRTM voids are −32768, many GeoTIFFs use −9999 without declaring it.
MIN_VALID_ELEVATION_M = -500.0
# Voids wider than this many cells from a valid edge stay unfilled (NaN) and are reported.
MAX_FILL_DISTANCE_CELLS = 1000
# The largest DEM file (cells of its band) and grid (cells) read: refused before any array is
# allocated, so one visitor's oversized file cannot take the shared server's memory. 50 million
# cells = 200 MB as float32; the Đakrông area with its 15 km margin is 7 million at 30 m.
MAX_DEM_CELLS = 50_000_000


def _check_cells(what: str, rows: int, cols: int) -> None:
    if rows * cols > MAX_DEM_CELLS:
        raise PhusongError(
            f"{what}: {cols:,} × {rows:,} cells is more than this server reads "
            f"({MAX_DEM_CELLS:,}); clip the DEM to the area first, e.g. "
            "gdal_translate -projwin xmin ymax xmax ymin in.tif out.tif"
        )


_HGT_NAME = re.compile(r"^([NS])(\d{2})([EW])(\d{3})", re.IGNORECASE)
_HGT_SIZES = {1201: 3, 3601: 1}  # samples per side -> arc-seconds


@dataclass(frozen=True)
class Source:
    """One DEM file as read: heights (NaN for voids), its affine transform and CRS."""

    name: str
    elevation_m: np.ndarray
    transform: Affine
    crs: CRS


@dataclass(frozen=True, eq=False)
class DEM:
    """A north-up elevation grid in a metric CRS.

    Attributes
    ----------
    elevation_m : float32 (rows, cols) heights in metres; NaN outside every source and in voids
        that could not be filled.
    transform : affine transform of the grid (square cells, ``cell_m`` metres).
    crs : the metric CRS (UTM).
    filled_cells : void cells inside the sources filled by interpolation.
    void_cells : void cells left unfilled (NaN).
    sources : the names of the files mosaicked, in priority order.
    """

    elevation_m: np.ndarray
    transform: Affine
    crs: CRS
    filled_cells: int = 0
    void_cells: int = 0
    sources: tuple[str, ...] = ()

    @property
    def shape(self) -> tuple[int, int]:
        return self.elevation_m.shape

    @property
    def cell_m(self) -> float:
        """Cell size in metres."""
        return float(self.transform.a)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) in the DEM's CRS."""
        rows, cols = self.shape
        x0, y0 = self.transform.c, self.transform.f
        return x0, y0 - rows * self.cell_m, x0 + cols * self.cell_m, y0

    @property
    def id(self) -> str:
        """A short content hash: the same heights, grid and CRS give the same id (cache key)."""
        cached = self.__dict__.get("_id")
        if cached is None:
            h = hashlib.blake2b(digest_size=10)
            h.update(np.ascontiguousarray(self.elevation_m).tobytes())
            h.update(repr(tuple(self.transform)[:6]).encode())
            h.update(self.crs.to_wkt().encode())
            cached = h.hexdigest()
            object.__setattr__(self, "_id", cached)
        return cached

    def notes(self) -> tuple[i18n.Note, ...]:
        """For reports, in any language: grid, cell size, voids filled and left."""
        rows, cols = self.shape
        cell_km2 = self.cell_m**2 / 1e6
        cell_m = int(self.cell_m) if float(self.cell_m).is_integer() else round(self.cell_m, 1)
        out = [
            i18n.note(
                "dem",
                cols=int(cols),
                rows=int(rows),
                cell_m=cell_m,
                km2=int(round(rows * cols * cell_km2)),
                sources=", ".join(self.sources) or "arrays",
            )
        ]
        for key, cells in (("dem_filled", self.filled_cells), ("dem_void", self.void_cells)):
            if cells:
                out.append(i18n.note(key, decimals=2, cells=int(cells), km2=cells * cell_km2))
        return tuple(out)

    def summary(self, lang: str = "en") -> str:
        """One line for reports: grid, cell size, voids filled and left."""
        return "; ".join(n.text(lang) for n in self.notes())


# --- reading (I/O) ------------------------------------------------------------------------------


def read_dem(
    paths,
    *,
    crs,
    cell_m: float | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    progress: Callable[[str], None] | None = None,
) -> DEM:
    """Read, mosaic, reproject (once) and void-fill DEM files into one grid.

    Parameters
    ----------
    paths : files (GeoTIFF in any CRS, SRTM ``.hgt`` 1″/3″ or ``.hgt.zip`` named like
        ``N16E106.hgt``) or folders holding them; the first listed wins where tiles overlap.
    crs : the working metric CRS (UTM) to reproject into.
    cell_m : cell size in metres (default: the finest source resolution, rounded to a metre).
    bounds : (xmin, ymin, xmax, ymax) in ``crs`` to clip to (default: every source's extent).
    progress : called with a message after each file read and each step of :func:`build_dem`
        (``2 * files + 1`` calls, :func:`progress_steps`), e.g. a job's report, which may raise to
        stop the work there.
    """
    files = dem_files(paths)
    sources = []
    for f in files:
        sources.append(read_source(f))
        if progress is not None:
            progress(f"read {f.name}")
    return build_dem(sources, crs=crs, cell_m=cell_m, bounds=bounds, progress=progress)


def progress_steps(files: int) -> int:
    """How many times :func:`read_dem` reports progress for ``files`` DEM files."""
    return 2 * files + 1


def read_dem_bytes(
    files: list[tuple[str, bytes]],
    *,
    crs,
    cell_m: float | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    progress: Callable[[str], None] | None = None,
) -> DEM:
    """:func:`read_dem` for uploaded files given as (file name, content) pairs."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="phusong-dem-") as tmp:
        paths = []
        for i, (name, data) in enumerate(files):
            path = Path(tmp) / f"{i:03d}" / Path(name).name  # keep the name: .hgt origins
            path.parent.mkdir()
            path.write_bytes(data)
            paths.append(path)
        return read_dem(paths, crs=crs, cell_m=cell_m, bounds=bounds, progress=progress)


def dem_files(paths) -> list[Path]:
    """The DEM files named by ``paths`` (files, or folders searched for DEM files), in order."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    files: list[Path] = []
    missing = []
    for p in map(Path, paths):
        if p.is_dir():
            files += sorted(f for f in p.iterdir() if _is_dem_file(f))
        elif p.is_file():
            files.append(p)
        else:
            missing.append(str(p))
    if missing:
        raise PhusongError(f"DEM file(s) not found: {', '.join(missing)}")
    if not files:
        raise PhusongError(
            f"no DEM files (GeoTIFF .tif or SRTM .hgt) in {', '.join(map(str, paths))}"
        )
    return files


def read_source(path: str | Path) -> Source:
    """Read one DEM file: GeoTIFF (any CRS) or SRTM ``.hgt`` / ``.hgt.zip`` (origin from its name)."""
    path = Path(path)
    name = path.name.lower()
    if name.endswith((".hgt", ".hgt.zip")) or (
        name.endswith(".zip") and _HGT_NAME.match(path.name)
    ):
        return read_hgt(path)
    if name.endswith(GEOTIFF_SUFFIXES):
        return read_geotiff(path)
    raise PhusongError(
        f"{path.name}: not a DEM file this reads; use a GeoTIFF (.tif) or an SRTM "
        "tile named like N16E106.hgt (optionally zipped)"
    )


def read_geotiff(path: str | Path) -> Source:
    """A GeoTIFF DEM (first band) in its own CRS; nodata and values < −500 m become NaN."""
    import rasterio

    path = Path(path)
    try:
        with rasterio.open(path) as src:
            if src.crs is None:
                raise PhusongError(
                    f"{path.name}: the GeoTIFF declares no CRS; set one with "
                    "gdal_edit.py -a_srs EPSG:4326 (or its real CRS)"
                )
            _check_cells(path.name, src.height, src.width)
            band = src.read(1, masked=True)
            transform, crs = src.transform, CRS.from_user_input(src.crs)
    except rasterio.errors.RasterioIOError as exc:
        raise PhusongError(f"{path.name}: cannot be read as a GeoTIFF DEM: {exc}") from None
    heights = np.ma.filled(band.astype("float32"), np.nan)
    return Source(path.name, _mark_voids(heights), transform, crs)


def read_hgt(path: str | Path) -> Source:
    """An SRTM tile: big-endian int16 samples, 1201² (3″) or 3601² (1″), void −32768.

    The name gives the south-west corner (``N16E106`` → 16° N, 106° E); samples sit on whole
    arc-second points, so the grid's outer edge is half a sample beyond the tile's degrees.
    """
    path = Path(path)
    match = _HGT_NAME.match(path.name)
    if not match:
        raise PhusongError(
            f"{path.name}: an SRTM tile name must start like N16E106 (latitude, "
            "longitude of its south-west corner)"
        )
    ns, lat, ew, lon = match.groups()
    lat = int(lat) * (1 if ns.upper() == "N" else -1)
    lon = int(lon) * (1 if ew.upper() == "E" else -1)
    if path.suffix.lower() == ".zip":
        with zipfile.ZipFile(path) as archive:
            inner = [n for n in archive.namelist() if n.lower().endswith(".hgt")]
            if not inner:
                raise PhusongError(f"{path.name}: the zip holds no .hgt file")
            raw = archive.read(inner[0])
    else:
        raw = path.read_bytes()
    side = math.isqrt(len(raw) // 2)
    if side not in _HGT_SIZES or side * side * 2 != len(raw):
        raise PhusongError(
            f"{path.name}: {len(raw)} bytes is not an SRTM tile (1201² or 3601² 16-bit samples)"
        )
    heights = np.frombuffer(raw, dtype=">i2").reshape(side, side).astype("float32")
    step = 1.0 / (side - 1)
    transform = Affine(step, 0, lon - step / 2, 0, -step, lat + 1 + step / 2)
    return Source(path.name, _mark_voids(heights), transform, CRS.from_epsg(4326))


# --- building the grid (arrays) -----------------------------------------------------------------


def build_dem(
    sources: list[Source],
    *,
    crs,
    cell_m: float | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    progress: Callable[[str], None] | None = None,
) -> DEM:
    """Mosaic ``sources`` into one grid in ``crs`` (each reprojected once, bilinear) and fill voids.

    See :func:`read_dem` for the parameters (``progress``: once per source placed, once filled).
    """
    from rasterio.warp import Resampling, reproject, transform_bounds

    if not sources:
        raise PhusongError("no DEM sources given")
    crs = CRS.from_user_input(crs)
    if not crs.is_projected:
        raise PhusongError(f"the DEM's working CRS must be metric (UTM); got {crs.name}")
    extents = [transform_bounds(s.crs, crs, *_source_bounds(s), densify_pts=21) for s in sources]
    if cell_m is None:
        cell_m = max(1.0, round(min(_cell_size_m(s, crs) for s in sources)))
    xmin, ymin = min(e[0] for e in extents), min(e[1] for e in extents)
    xmax, ymax = max(e[2] for e in extents), max(e[3] for e in extents)
    if bounds is not None:
        xmin, ymin = max(xmin, bounds[0]), max(ymin, bounds[1])
        xmax, ymax = min(xmax, bounds[2]), min(ymax, bounds[3])
        if xmin >= xmax or ymin >= ymax:
            raise PhusongError(
                "the DEM files do not cover the area analysed; "
                f"tiles needed: {', '.join(tile_names(bounds, crs))}"
            )
    # Snap the grid to whole cells so the same inputs always give the same grid.
    xmin, ymin = math.floor(xmin / cell_m) * cell_m, math.floor(ymin / cell_m) * cell_m
    cols, rows = math.ceil((xmax - xmin) / cell_m), math.ceil((ymax - ymin) / cell_m)
    transform = Affine(cell_m, 0, xmin, 0, -cell_m, ymin + rows * cell_m)
    _check_cells(f"the DEM grid at {cell_m:g} m", rows, cols)

    heights = np.full((rows, cols), np.nan, dtype="float32")
    inside = np.zeros((rows, cols), dtype=bool)  # within some source's footprint
    for source in sources:
        warped = np.full((rows, cols), np.nan, dtype="float32")
        reproject(
            source.elevation_m,
            warped,
            src_transform=source.transform,
            src_crs=source.crs,
            src_nodata=np.nan,
            dst_transform=transform,
            dst_crs=crs,
            dst_nodata=np.nan,
            resampling=Resampling.bilinear,
        )
        footprint = np.zeros((rows, cols), dtype="uint8")
        reproject(
            np.ones(source.elevation_m.shape, dtype="uint8"),
            footprint,
            src_transform=source.transform,
            src_crs=source.crs,
            dst_transform=transform,
            dst_crs=crs,
            dst_nodata=0,
            resampling=Resampling.nearest,
        )
        empty = np.isnan(heights)
        heights[empty] = warped[empty]
        inside |= footprint.astype(bool)
        if progress is not None:
            progress(f"placed {source.name}")
    heights, filled, left = fill_voids(heights, inside)
    if progress is not None:
        progress("voids filled")
    return DEM(
        heights,
        transform,
        crs,
        filled_cells=filled,
        void_cells=left,
        sources=tuple(s.name for s in sources),
    )


def fill_voids(
    heights: np.ndarray, inside: np.ndarray, max_distance_cells: int = MAX_FILL_DISTANCE_CELLS
) -> tuple[np.ndarray, int, int]:
    """Fill NaN voids inside the footprint ``inside`` by interpolation from their edges.

    Returns (a new heights array, cells filled, void cells left as NaN). Cells outside the
    footprint stay NaN: they are beyond the data, not voids.
    """
    voids = np.isnan(heights) & inside
    if not voids.any():
        return heights, 0, 0
    from rasterio.fill import fillnodata

    valid = ~np.isnan(heights)
    if not valid.any():
        return heights, 0, int(voids.sum())
    sentinel = np.float32(-3.0e38)  # what a void keeps where no valid cell is in reach
    work = np.where(valid, heights, sentinel).astype("float32")
    filled = fillnodata(
        work,
        mask=valid.astype("uint8"),
        max_search_distance=max_distance_cells,
        smoothing_iterations=0,
    )
    done = voids & (filled > sentinel)
    out = heights.copy()
    out[done] = filled[done]
    return out, int(done.sum()), int((voids & ~done).sum())


def from_array(heights, *, transform: Affine, crs) -> DEM:
    """A DEM from an in-memory array already in a metric CRS (tests, benchmarks)."""
    heights = np.asarray(heights, dtype="float32")
    return DEM(heights, transform, CRS.from_user_input(crs))


def tile_names(bounds: tuple[float, float, float, float], crs) -> list[str]:
    """SRTM / Copernicus 1° tile names (e.g. ``N16E106``) covering ``bounds`` in ``crs``."""
    from rasterio.warp import transform_bounds

    lon0, lat0, lon1, lat1 = transform_bounds(
        CRS.from_user_input(crs), CRS.from_epsg(4326), *bounds, densify_pts=21
    )
    names = []
    for lat in range(math.floor(lat0), math.floor(lat1) + 1):
        for lon in range(math.floor(lon0), math.floor(lon1) + 1):
            names.append(
                f"{'N' if lat >= 0 else 'S'}{abs(lat):02d}{'E' if lon >= 0 else 'W'}{abs(lon):03d}"
            )
    return names


def copernicus_tile_name(srtm_name: str) -> str:
    """The Copernicus DEM GLO-30 name of the same 1° tile: ``N16E106`` →
    ``Copernicus_DSM_COG_10_N16_00_E106_00_DEM`` (its folder in the public bucket)."""
    m = re.fullmatch(r"([NS])(\d{2})([EW])(\d{3})", srtm_name)
    if m is None:
        raise ValueError(f"not an SRTM tile name: {srtm_name!r}")
    return f"Copernicus_DSM_COG_10_{m[1]}{m[2]}_00_{m[3]}{m[4]}_00_DEM"


# --- helpers ------------------------------------------------------------------------------------


def _is_dem_file(path: Path) -> bool:
    name = path.name.lower()
    return path.is_file() and (
        name.endswith(GEOTIFF_SUFFIXES)
        or name.endswith(".hgt")
        or (name.endswith(".zip") and bool(_HGT_NAME.match(path.name)))
    )


def _mark_voids(heights: np.ndarray) -> np.ndarray:
    heights = np.array(heights, dtype="float32")
    with np.errstate(invalid="ignore"):
        heights[~(heights >= MIN_VALID_ELEVATION_M)] = np.nan
    return heights


def _source_bounds(source: Source) -> tuple[float, float, float, float]:
    rows, cols = source.elevation_m.shape
    t = source.transform
    xs = [t.c, t.c + cols * t.a]
    ys = [t.f, t.f + rows * t.e]
    return min(xs), min(ys), max(xs), max(ys)


def _cell_size_m(source: Source, crs: CRS) -> float:
    """The source's cell size in metres (its y step, converted at its centre for degrees)."""
    step = abs(source.transform.e)
    if source.crs.is_geographic:
        return step * math.pi / 180 * 6_371_000.0
    return step * source.crs.axis_info[0].unit_conversion_factor
