"""The terrain coverage model: what each site reaches over a DEM, per commune.

- **Mobile:** line of sight from the antenna (site ``height_m`` above ground) to a handset at
  ``HANDSET_HEIGHT_M``, with earth curvature and radio refraction (k = 4/3), limited to the
  technology's radius. The viewshed is the reference-plane sweep of Wang et al. (2000) as
  ``gdal_viewshed`` runs it (edge mode, the same height adjustment ``cc × d² / (2 a)``), so the two
  agree cell for cell; it is compiled with numba and runs the sites in parallel.
- **Count of servers:** how many sites reach each cell (1 = a single point of failure).
- **Path loss (optional, an estimate):** Okumura–Hata / COST-231 Hata (open area) classes each
  covered cell strong / variable / weak.
- **Loudspeakers:** line of sight from the horn (``height_m`` or the default) to a listener,
  within the reach radius.
- **Internet points:** walking time over the terrain with Tobler's hiking function (a 16-neighbour
  Dijkstra cost-distance); access = at most ``internet_walk_min`` minutes' walk.

Results per site are cached (:func:`viewshed_cache`, keyed by position, heights, radius,
curvature and DEM id), so moving one site recomputes one site. The per-commune statistics are
made by the same code as the circle model (:func:`geo.gaps.summarise`), from coverage rasters
turned into polygons clipped to each commune.
"""

from __future__ import annotations

import dataclasses
import heapq
import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from affine import Affine
from numba import njit, prange
from shapely import STRtree

from geo import coverage, gaps, i18n, settings
from geo.cache import BoundedCache
from geo.dem import DEM
from geo.errors import PhusongError
from geo.loading import Dataset
from geo.settings import CoverageParams, TerrainParams

# Signal classes of the path-loss estimate (raster values).
NO_SIGNAL, WEAK, VARIABLE, STRONG = 0, 1, 2, 3
SIGNAL_CLASSES = {"signal_strong": STRONG, "signal_variable": VARIABLE, "signal_weak": WEAK}


# --- one site's viewshed ------------------------------------------------------------------------

@dataclass(frozen=True)
class Viewshed:
    """Cells one observer sees: a packed bool window of the DEM grid.

    ``bits`` is ``np.packbits`` of the (rows, cols) window along its rows; the window's top-left
    cell is (``row0``, ``col0``) of the DEM and the observer stands in cell (``orow``, ``ocol``).
    """

    bits: np.ndarray
    rows: int
    cols: int
    row0: int
    col0: int
    orow: int
    ocol: int
    radius_m: float

    def visible(self) -> np.ndarray:
        """The window as a bool array (rows, cols)."""
        return np.unpackbits(self.bits, axis=1, count=self.cols).astype(bool)

    @property
    def nbytes(self) -> int:
        return self.bits.nbytes


def viewshed_cache(max_bytes: float = 256e6) -> BoundedCache:
    """A cache for per-site viewsheds (:func:`viewsheds`), keyed by position, heights, radius,
    curvature and DEM id, bounded by the viewsheds' bytes; shared by every app session, as the
    results depend on nothing but the key."""
    return BoundedCache(max_entries=1_000_000, max_bytes=max_bytes)


def observer_cell(dem: DEM, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, col) of the DEM cell holding each point (−1 where outside), as gdal_viewshed picks it."""
    t = dem.transform
    cols = np.floor((np.asarray(x, float) - t.c) / t.a).astype(np.int64)
    rows = np.floor((np.asarray(y, float) - t.f) / t.e).astype(np.int64)
    outside = (rows < 0) | (cols < 0) | (rows >= dem.shape[0]) | (cols >= dem.shape[1])
    return np.where(outside, -1, rows), np.where(outside, -1, cols)


def viewsheds(dem: DEM, x, y, *, observer_height_m, target_height_m: float, radius_m,
              curvature_coeff: float = settings.RADIO_CURVATURE_COEFF,
              cache: BoundedCache | None = None) -> list[Viewshed | None]:
    """The viewshed of each observer at (x, y) (DEM CRS, metres), within ``radius_m``.

    Parameters
    ----------
    observer_height_m : height of each observer above the ground (scalar or per point), metres.
    target_height_m : height of the target above the ground, metres.
    radius_m : maximum distance (scalar or per point), metres; cells farther are not visible.
    curvature_coeff : gdal_viewshed's ``-cc``: heights drop by ``cc × d² / (2 a)`` (a = the CRS's
        semi-major axis); 1 − 1/k, so 0.25 for radio (k = 4/3), 0 for a flat earth.
    cache : per-site results to reuse and fill.

    Returns
    -------
    One :class:`Viewshed` per point; None where the point is outside the DEM or on a void.
    """
    x, y = np.atleast_1d(np.asarray(x, float)), np.atleast_1d(np.asarray(y, float))
    n = len(x)
    obs_h = np.broadcast_to(np.asarray(observer_height_m, float), (n,))
    radius = np.broadcast_to(np.asarray(radius_m, float), (n,))
    keys = [("los", round(float(x[i]), 3), round(float(y[i]), 3), float(obs_h[i]),
             float(target_height_m), float(radius[i]), float(curvature_coeff), dem.id)
            for i in range(n)]
    results: list[Viewshed | None] = [None] * n
    todo = []
    for i, key in enumerate(keys):
        found, value = cache.lookup(key) if cache is not None else (False, None)
        if found:
            results[i] = value
        else:
            todo.append(i)
    if todo:
        computed = _compute_viewsheds(dem, x[todo], y[todo], obs_h[todo], float(target_height_m),
                                      radius[todo], float(curvature_coeff))
        for i, value in zip(todo, computed):
            results[i] = value
            if cache is not None:
                cache.put(keys[i], value)
    return results


# Sites per parallel batch: bounds the memory of unpacked windows (≈ 1 MB each at 15 km / 30 m).
_BATCH = 16


def _compute_viewsheds(dem: DEM, x, y, obs_h, target_h, radius, cc) -> list[Viewshed | None]:
    z = dem.elevation_m
    rows, cols = observer_cell(dem, x, y)
    cell_x, cell_y = float(dem.transform.a), float(-dem.transform.e)
    adj = cc / (2.0 * dem.crs.ellipsoid.semi_major_metre) if cc else 0.0
    out: list[Viewshed | None] = [None] * len(x)
    ok = [i for i in range(len(x)) if rows[i] >= 0 and radius[i] > 0
          and np.isfinite(z[rows[i], cols[i]])]
    for start in range(0, len(ok), _BATCH):
        batch = ok[start:start + _BATCH]
        # gdal_viewshed's window: the observer's cell ± ceil(radius / cell), clipped to the grid.
        half_r = np.array([math.ceil(radius[i] / cell_y) for i in batch])
        half_c = np.array([math.ceil(radius[i] / cell_x) for i in batch])
        r0 = np.maximum(rows[batch] - half_r, 0)
        c0 = np.maximum(cols[batch] - half_c, 0)
        r1 = np.minimum(rows[batch] + half_r + 1, z.shape[0])
        c1 = np.minimum(cols[batch] + half_c + 1, z.shape[1])
        windows = np.zeros((len(batch), int((r1 - r0).max()), int((c1 - c0).max())), np.uint8)
        _viewshed_batch(z, rows[batch], cols[batch], obs_h[batch].astype(float), target_h,
                        radius[batch].astype(float), cell_x, cell_y, adj, r0, c0, r1 - r0,
                        c1 - c0, windows)
        for k, i in enumerate(batch):
            h, w = int(r1[k] - r0[k]), int(c1[k] - c0[k])
            out[i] = Viewshed(np.packbits(windows[k, :h, :w], axis=1), h, w, int(r0[k]),
                              int(c0[k]), int(rows[i]), int(cols[i]), float(radius[i]))
    return out


@njit(cache=True, parallel=True)
def _viewshed_batch(z, orows, ocols, obs_h, target_h, radius, cell_x, cell_y, adj, r0, c0,
                    heights, widths, windows):  # pragma: no cover - compiled
    for k in prange(len(orows)):
        _viewshed_one(z, orows[k], ocols[k], obs_h[k], target_h, radius[k], cell_x, cell_y, adj,
                      r0[k], c0[k], heights[k], widths[k], windows[k])


@njit(cache=True)
def _adjust_line(z, row, c0, width, ocol, y_off, cell_x, cell_y, adj, zobs, max_d2, line):
    """Heights of one window row relative to the observer, less the curvature drop; returns the
    [left, right) span of cells within range (window columns), as gdal_viewshed scans it."""
    ox = ocol - c0
    dy = y_off * cell_y
    left, right = 0, width
    for c in range(ox, -1, -1):
        dx = (c - ox) * cell_x
        d2 = dx * dx + dy * dy
        if d2 > max_d2:
            left = c + 1
            break
        line[c] = z[row, c0 + c] - adj * d2 - zobs
    for c in range(ox + 1, width):
        dx = (c - ox) * cell_x
        d2 = dx * dx + dy * dy
        if d2 > max_d2:
            right = c
            break
        line[c] = z[row, c0 + c] - adj * d2 - zobs
    return left, right


@njit(cache=True, inline="always")
def _set(line, c, zp, target_h, out_row):
    """Visible if the cell's height plus the target reaches the sight line ``zp``; the cell then
    holds the higher of the two (the reference plane of the cells beyond). Voids see nothing."""
    v = line[c]
    if math.isnan(v):  # a void or outside the DEM: transparent and not visible
        line[c] = zp
        return
    if v + target_h >= zp:
        out_row[c] = 1
    if zp > v:
        line[c] = zp


@njit(cache=True)
def _viewshed_one(z, orow, ocol, obs_h, target_h, radius, cell_x, cell_y, adj, r0, c0, height,
                  width, out):  # pragma: no cover - compiled
    max_d2 = radius * radius
    zobs = z[orow, ocol] + obs_h
    ox = ocol - c0
    first = np.empty(width)
    this = np.empty(width)
    last = np.empty(width)

    # The observer's own row: a straight line out on each side.
    left, right = _adjust_line(z, orow, c0, width, ocol, 0, cell_x, cell_y, adj, zobs, max_d2, this)
    row_out = out[orow - r0]
    row_out[ox] = 1
    if ox - 1 >= left:
        row_out[ox - 1] = 1
    if ox + 1 < right:
        row_out[ox + 1] = 1
    for c in range(ox - 2, left - 1, -1):
        x = ox - c
        _set(this, c, this[c + 1] * x / (x - 1), target_h, row_out)
    for c in range(ox + 2, right):
        x = c - ox
        _set(this, c, this[c - 1] * x / (x - 1), target_h, row_out)
    first[:] = this

    for step in (-1, 1):  # rows above, then rows below the observer
        last[:] = first
        row = orow + step
        while r0 <= row < r0 + height:
            y = abs(row - orow)
            left, right = _adjust_line(z, row, c0, width, ocol, y, cell_x, cell_y, adj, zobs,
                                       max_d2, this)
            if left >= right:
                break
            row_out = out[row - r0]
            zp = this[ox] if y == 1 else last[ox] * y / (y - 1)
            _set(this, ox, zp, target_h, row_out)
            for c in range(ox - 1, left - 1, -1):  # leftwards from the observer's column
                x = ox - c
                if x == y:
                    zp = this[c] if x == 1 else last[c + 1] * x / (x - 1)
                elif x > y:
                    zp = (last[c + 1] * y + this[c + 1] * (x - y)) / (x - 1)
                else:
                    zp = (last[c + 1] * x + last[c] * (y - x)) / (y - 1)
                _set(this, c, zp, target_h, row_out)
            for c in range(ox + 1, right):  # rightwards
                x = c - ox
                if x == y:
                    zp = this[c] if x == 1 else last[c - 1] * x / (x - 1)
                elif x > y:
                    zp = (last[c - 1] * y + this[c - 1] * (x - y)) / (x - 1)
                else:
                    zp = (last[c - 1] * x + last[c] * (y - x)) / (y - 1)
                _set(this, c, zp, target_h, row_out)
            last, this = this, last
            row += step


# --- painting viewsheds into layers -------------------------------------------------------------

def paint(dem: DEM, sheds: list[Viewshed | None], radius_m: np.ndarray) -> np.ndarray:
    """Per layer, how many sites see each cell within their layer radius.

    Parameters
    ----------
    sheds : one viewshed per site (None = site reaches nothing).
    radius_m : (layers, sites) reach of each site in each layer, metres (0 = not in the layer).

    Returns
    -------
    uint16 array (layers, rows, cols) of site counts.
    """
    radius_m = np.atleast_2d(np.asarray(radius_m, float))
    grids = np.zeros((radius_m.shape[0],) + dem.shape, np.uint16)
    idx = [i for i, s in enumerate(sheds) if s is not None]
    if not idx or not grids.size:
        return grids
    meta = np.array([[sheds[i].rows, sheds[i].cols, sheds[i].row0, sheds[i].col0, sheds[i].orow,
                      sheds[i].ocol] for i in idx], dtype=np.int64)
    width = max(sheds[i].bits.shape[1] for i in idx)
    height = max(sheds[i].rows for i in idx)
    bits = np.zeros((len(idx), height, width), np.uint8)
    for k, i in enumerate(idx):
        b = sheds[i].bits
        bits[k, :b.shape[0], :b.shape[1]] = b
    _paint(grids, bits, meta, np.ascontiguousarray(radius_m[:, idx]),
           float(dem.transform.a), float(-dem.transform.e))
    return grids


@njit(cache=True, parallel=True)
def _paint(grids, bits, meta, radius, cell_x, cell_y):  # pragma: no cover - compiled
    for layer in prange(grids.shape[0]):  # one thread per layer: no two write the same grid
        grid = grids[layer]
        for k in range(meta.shape[0]):
            r_max = radius[layer, k]
            if r_max <= 0:
                continue
            r2 = r_max * r_max
            rows, cols, row0, col0, orow, ocol = meta[k]
            for i in range(rows):
                dy = (row0 + i - orow) * cell_y
                if dy * dy > r2:
                    continue
                brow = bits[k, i]
                for j in range(cols):
                    if (brow[j >> 3] >> (7 - (j & 7))) & 1:
                        dx = (col0 + j - ocol) * cell_x
                        if dx * dx + dy * dy <= r2:
                            grid[row0 + i, col0 + j] += 1


# --- walking time -------------------------------------------------------------------------------

def tobler_kmh(slope: np.ndarray) -> np.ndarray:
    """Tobler's hiking function: walking speed (km/h) on a slope (rise/run, uphill positive)."""
    return settings.TOBLER_MAX_KMH * np.exp(-3.5 * np.abs(np.asarray(slope, float) + 0.05))


def walking_minutes(dem: DEM, x, y, *, max_minutes: float) -> np.ndarray:
    """Minutes' walk from each DEM cell to the nearest of the points (x, y), over the terrain.

    Tobler's hiking function on 16 neighbour moves (horizontal distance ÷ speed for the slope
    between cell centres, walking *towards* the point); NaN cells are impassable. Cells farther
    than ``max_minutes`` are ``inf``.
    """
    rows, cols = observer_cell(dem, x, y)
    keep = rows >= 0
    out = np.full(dem.shape, np.inf, dtype=np.float64)
    if keep.any():
        _walk(dem.elevation_m, rows[keep], cols[keep], float(dem.transform.a),
              float(-dem.transform.e), float(max_minutes) * 60.0, settings.TOBLER_MAX_KMH / 3.6,
              out)
    return out / 60.0


_DR = np.array([-1, -1, -1, 0, 0, 1, 1, 1, -2, -2, -1, -1, 1, 1, 2, 2], dtype=np.int64)
_DC = np.array([-1, 0, 1, -1, 1, -1, 0, 1, -1, 1, -2, 2, -2, 2, -1, 1], dtype=np.int64)


@njit(cache=True)
def _walk(z, src_rows, src_cols, cell_x, cell_y, max_s, vmax_ms, out):  # pragma: no cover
    h, w = z.shape
    heap = [(0.0, np.int64(0))]
    heap.pop()
    for k in range(len(src_rows)):
        r, c = src_rows[k], src_cols[k]
        if not math.isnan(z[r, c]) and out[r, c] > 0.0:
            out[r, c] = 0.0
            heapq.heappush(heap, (0.0, r * w + c))
    while len(heap) > 0:
        t, idx = heapq.heappop(heap)
        r, c = idx // w, idx % w
        if t > out[r, c]:
            continue
        zv = z[r, c]
        for k in range(16):
            rr, cc = r + _DR[k], c + _DC[k]
            if rr < 0 or cc < 0 or rr >= h or cc >= w:
                continue
            zu = z[rr, cc]
            if math.isnan(zu):
                continue
            dist = math.sqrt((_DR[k] * cell_y) ** 2 + (_DC[k] * cell_x) ** 2)
            slope = (zv - zu) / dist  # walking from (rr, cc) towards (r, c)
            nt = t + dist / (vmax_ms * math.exp(-3.5 * abs(slope + 0.05)))
            if nt <= max_s and nt < out[rr, cc]:
                out[rr, cc] = nt
                heapq.heappush(heap, (nt, rr * w + cc))


# --- path loss (an estimate) --------------------------------------------------------------------

def hata_loss_db(distance_km, frequency_mhz, base_height_m, mobile_height_m=settings.HANDSET_HEIGHT_M):
    """Okumura–Hata (< 1500 MHz) or COST-231 Hata (≥ 1500 MHz) path loss in dB, open-area
    correction. Inputs are clipped to the models' ranges' edges (1–20 km is their range; closer
    distances are clipped to 0.1 km): the result is an estimate."""
    d = np.clip(np.asarray(distance_km, float), 0.1, 100.0)
    f = float(frequency_mhz)
    hb = np.clip(np.asarray(base_height_m, float), 10.0, 200.0)
    lf = math.log10(f)
    a_hm = (1.1 * lf - 0.7) * mobile_height_m - (1.56 * lf - 0.8)
    head = 69.55 + 26.16 * lf if f < 1500 else 46.3 + 33.9 * lf
    urban = head - 13.82 * np.log10(hb) - a_hm + (44.9 - 6.55 * np.log10(hb)) * np.log10(d)
    return urban - 4.78 * lf * lf + 18.33 * lf - 40.94


def signal_classes(loss_db: np.ndarray) -> np.ndarray:
    """Class of each cell by its lowest path loss: STRONG, VARIABLE, WEAK (NaN/inf → NO_SIGNAL)."""
    loss = np.asarray(loss_db, float)
    limit, margin = settings.MAX_PATH_LOSS_DB, settings.VARIABLE_MARGIN_DB
    out = np.full(loss.shape, NO_SIGNAL, np.uint8)
    finite = np.isfinite(loss)
    out[finite] = WEAK
    out[finite & (loss <= limit)] = VARIABLE
    out[finite & (loss <= limit - margin)] = STRONG
    return out


def best_loss(dem: DEM, sheds: list[Viewshed | None], *, frequency_mhz: np.ndarray,
              antenna_height_m: np.ndarray) -> np.ndarray:
    """Lowest Hata path loss (dB) over the sites seeing each cell (inf where none sees it).

    The base height is the antenna's height above the receiving cell's ground (the antenna's
    altitude minus the cell's), clipped to Hata's 10–200 m.
    """
    loss = np.full(dem.shape, np.inf, dtype=np.float32)
    z = dem.elevation_m
    for shed, f, h in zip(sheds, frequency_mhz, antenna_height_m):
        if shed is None or not np.isfinite(f):
            continue
        vis = shed.visible()
        ii, jj = np.nonzero(vis)
        rr, cc = ii + shed.row0, jj + shed.col0
        d_km = np.hypot((rr - shed.orow) * dem.transform.e, (cc - shed.ocol) * dem.transform.a) / 1e3
        hb = z[shed.orow, shed.ocol] + h - z[rr, cc]
        value = hata_loss_db(d_km, f, hb).astype(np.float32)
        np.minimum.at(loss, (rr, cc), value)
    return loss


# --- rasters to commune polygons ----------------------------------------------------------------

def raster_areas(mask: np.ndarray, transform: Affine, zones: np.ndarray) -> np.ndarray:
    """Per zone, the area of the True cells of ``mask`` inside it (polygons, the mask's CRS).

    Cells become squares (rasterio's polygonize, 4-connected); squares inside a zone are kept
    whole, those across its edge are clipped to it.
    """
    from rasterio import features

    empty = np.array([shapely.Polygon() for _ in range(len(zones))], dtype=object)
    if len(zones) == 0 or not mask.any():
        return empty
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    sub = np.ascontiguousarray(mask[r0:r1, c0:c1]).astype(np.uint8)
    sub_transform = transform @ Affine.translation(c0, r0)
    parts = np.array([shapely.geometry.shape(g) for g, _ in
                      features.shapes(sub, mask=sub.astype(bool), transform=sub_transform,
                                      connectivity=4)], dtype=object)
    zones = np.asarray(zones, dtype=object)
    zone_idx, part_idx = STRtree(parts).query(zones, predicate="intersects")
    if len(zone_idx) == 0:
        return empty
    shapely.prepare(zones)
    pieces = parts[part_idx]
    inside = shapely.contains_properly(zones[zone_idx], pieces)
    cut = ~inside
    pieces = pieces.copy()
    pieces[cut] = shapely.intersection(pieces[cut], zones[zone_idx[cut]])
    flat, which = shapely.get_parts(pieces, return_index=True)
    poly = shapely.get_type_id(flat) == 3
    flat, owner = flat[poly], zone_idx[which[poly]]
    order = np.argsort(owner, kind="stable")
    flat, owner = flat[order], owner[order]
    bounds = np.searchsorted(owner, np.arange(len(zones) + 1))
    return np.array([shapely.multipolygons(flat[bounds[i]:bounds[i + 1]]) if bounds[i + 1] > bounds[i]
                     else shapely.Polygon() for i in range(len(zones))], dtype=object)


# --- the whole model ----------------------------------------------------------------------------

@dataclass(frozen=True)
class TerrainCoverage:
    """Coverage rasters on the DEM grid and their per-commune areas.

    Attributes
    ----------
    rasters : layer name (:func:`geo.gaps.coverage_keys`) -> bool raster of covered cells.
    servers : uint16 raster: how many BTS sites reach each cell (mobile, any technology).
    walk_minutes : minutes' walk to the nearest internet point (inf beyond the limit).
    signal : uint8 raster of path-loss classes (``SIGNAL_CLASSES``), or None if not asked for.
    covered : layer name -> covered area of each commune (for :func:`geo.gaps.summarise`).
    extra : further areas per commune: ``single_server`` and the signal classes.
    notes : what to tell the reader (DEM, voids, sites outside the DEM).
    """

    rasters: dict[str, np.ndarray]
    servers: np.ndarray
    walk_minutes: np.ndarray
    signal: np.ndarray | None
    covered: dict[str, np.ndarray]
    extra: dict[str, np.ndarray]
    notes: tuple[str, ...]


def terrain_coverage(prepared: gaps.Prepared, dem: DEM, params: CoverageParams,
                     terrain: TerrainParams = TerrainParams(), *,
                     cache: BoundedCache | None = None) -> TerrainCoverage:
    """The terrain model for every layer of :func:`geo.gaps.coverage_keys`.

    ``prepared`` and ``dem`` must share the working CRS (see :func:`geo.dem.read_dem`'s ``crs``).
    """
    if not dem.crs.equals(prepared.crs):
        raise PhusongError(f"the DEM is in {dem.crs.name} but the communes are analysed in "
                           f"{prepared.crs.name}; read the DEM with crs= the working CRS")
    zones = prepared.zones
    notes = list(dem.notes())
    _check_extent(dem, zones, notes)
    bts, loud, inet = prepared.bts, prepared.loudspeakers, prepared.internet_points

    # Mobile: one viewshed per site at its largest radius; layers are that viewshed cut to the
    # layer's radius (visibility within r does not depend on cells beyond r).
    layer_names = ["mobile_covered"] + [f"covered_{t.lower()}" for t in settings.TECHNOLOGIES] \
        + [gaps.carrier_column(c)[:-4] for c in prepared.carriers]
    radii = np.vstack([coverage.site_radius_m(bts, params)]
                      + [coverage.site_radius_m(bts, params, technology=t)
                         for t in settings.TECHNOLOGIES]
                      + [coverage.site_radius_m(bts, params, carrier=c)
                         for c in prepared.carriers]) if len(bts) else np.zeros((len(layer_names), 0))
    heights = _heights(bts, terrain.bts_height_m)
    xs, ys = (bts.geometry.x.to_numpy(), bts.geometry.y.to_numpy()) if len(bts) else ([], [])
    sheds = viewsheds(dem, xs, ys, observer_height_m=heights,
                      target_height_m=terrain.handset_height_m, radius_m=radii[0] if len(bts) else 0.0,
                      curvature_coeff=terrain.curvature_coeff, cache=cache)
    _note_skipped(bts, "site_id", sheds, radii[0] if len(bts) else [], notes, "what_bts")
    counts = paint(dem, sheds, radii)
    rasters = {name: counts[k] > 0 for k, name in enumerate(layer_names)}
    servers = counts[0]

    # Loudspeakers: line of sight from the horn to a listener within the reach radius.
    l_radius = coverage.loudspeaker_radius_m(loud, params)
    l_sheds = viewsheds(dem, loud.geometry.x.to_numpy() if len(loud) else [],
                        loud.geometry.y.to_numpy() if len(loud) else [],
                        observer_height_m=_heights(loud, terrain.loudspeaker_height_m),
                        target_height_m=terrain.listener_height_m, radius_m=l_radius,
                        curvature_coeff=terrain.sound_curvature_coeff, cache=cache)
    _note_skipped(loud, "id", l_sheds, l_radius, notes, "what_loudspeaker")
    rasters["loudspeaker_covered"] = paint(dem, l_sheds, l_radius[None, :])[0] > 0

    # Internet points: walking time over the terrain.
    minutes = walking_minutes(dem, inet.geometry.x.to_numpy() if len(inet) else [],
                              inet.geometry.y.to_numpy() if len(inet) else [],
                              max_minutes=terrain.internet_walk_min)
    rasters["internet_access"] = minutes <= terrain.internet_walk_min

    covered = {name: raster_areas(rasters[name], dem.transform, zones)
               for name in gaps.coverage_keys(prepared.carriers)}
    extra = {"single_server": raster_areas(servers == 1, dem.transform, zones)}
    signal = None
    if terrain.path_loss and len(bts):
        freq = _site_band_mhz(bts, params)
        loss = best_loss(dem, sheds, frequency_mhz=freq, antenna_height_m=heights)
        signal = np.where(rasters["mobile_covered"], signal_classes(loss), NO_SIGNAL)
        for name, value in SIGNAL_CLASSES.items():
            extra[name] = raster_areas(signal == value, dem.transform, zones)
        notes.append(i18n.note("path_loss"))
    return TerrainCoverage(rasters, servers, minutes, signal, covered, extra, tuple(notes))


def analyse_terrain(dataset: Dataset, dem: DEM, *, vintage: str = "legacy",
                    params: CoverageParams = CoverageParams(),
                    terrain: TerrainParams = TerrainParams(),
                    cache: BoundedCache | None = None) -> gaps.GapAnalysis:
    """The per-commune statistics of :func:`geo.gaps.analyse`, made by the terrain model.

    Same columns as the circle model, plus ``single_server_pct``/``_pop`` (reached by exactly one
    site) and, with ``terrain.path_loss``, ``signal_strong/variable/weak_pct``; ``model`` is
    "terrain", ``notes`` say which DEM made the figures; its ``settlements`` carry
    ``internet_walk_min``, the minutes' walk to the nearest internet point (inf beyond
    ``terrain.internet_walk_min``, NaN off the DEM), for :mod:`geo.villages`.
    """
    prepared = gaps.prepare(dataset, vintage=vintage, params=params)
    result = terrain_coverage(prepared, dem, params, terrain, cache=cache)
    notes = (i18n.note("terrain_model"),) + result.notes
    analysis = gaps.summarise(dataset, prepared, result.covered, vintage=vintage, params=params,
                              model="terrain", notes=notes, extra=result.extra)
    if analysis.settlements is None or not len(analysis.settlements):
        return analysis
    # the villages' walking time, read now: the raster is not kept with the analysis
    villages = analysis.settlements
    rows, cols = observer_cell(dem, villages.geometry.x.to_numpy(), villages.geometry.y.to_numpy())
    on = rows >= 0
    minutes = np.full(len(villages), np.nan)
    minutes[on] = result.walk_minutes[rows[on], cols[on]]
    return dataclasses.replace(analysis, settlements=villages.assign(internet_walk_min=minutes))


def dem_area(dataset: Dataset, *, vintage: str = "legacy",
             margin_m: float = 15_000.0) -> tuple[object, tuple[float, float, float, float]]:
    """(working CRS, bounds) a DEM must cover for ``dataset``: the communes' box grown by
    ``margin_m`` (the longest reach, so sites just outside the communes are on the DEM)."""
    from geo.crs import working_crs
    from geo.vintages import communes_for_vintage

    units = communes_for_vintage(dataset.communes, vintage)
    crs = working_crs(units)
    xmin, ymin, xmax, ymax = units.to_crs(crs).total_bounds
    return crs, (xmin - margin_m, ymin - margin_m, xmax + margin_m, ymax + margin_m)


# --- helpers ------------------------------------------------------------------------------------

def _heights(layer: gpd.GeoDataFrame, default: float) -> np.ndarray:
    if len(layer) == 0:
        return np.zeros(0)
    own = layer["height_m"].to_numpy(float) if "height_m" in layer else np.full(len(layer), np.nan)
    return np.where(np.isfinite(own), own, default)


def _site_band_mhz(bts: gpd.GeoDataFrame, params: CoverageParams) -> np.ndarray:
    """Each site's lowest band among its technologies that count (lowest loss), MHz."""
    freq = np.full(len(bts), np.inf)
    for tech in settings.TECHNOLOGIES:
        has = coverage.site_radius_m(bts, params, technology=tech) > 0
        freq = np.where(has, np.minimum(freq, settings.BAND_MHZ[tech]), freq)
    return freq


def _note_skipped(layer, id_col, sheds, radius, notes: list, what: str) -> None:
    skipped = [str(layer[id_col].iloc[i]) for i, s in enumerate(sheds)
               if s is None and radius[i] > 0]
    if skipped:
        notes.append(i18n.note("skipped", n=len(skipped), what=i18n.note(what),
                               ids=", ".join(skipped[:10]) + (" …" if len(skipped) > 10 else "")))


def _check_extent(dem: DEM, zones: np.ndarray, notes: list) -> None:
    """Raise if the DEM misses part of the communes (naming the 1° tiles needed)."""
    from rasterio import features

    from geo.dem import tile_names

    if len(zones) == 0:
        return
    inside = features.geometry_mask(zones, dem.shape, dem.transform, invert=True, all_touched=False)
    if not inside.any():
        raise PhusongError("the DEM does not overlap the communes; tiles needed: "
                           + ", ".join(tile_names(tuple(shapely.total_bounds(zones)), dem.crs)))
    void = inside & np.isnan(dem.elevation_m)
    area = float(shapely.area(zones).sum())
    covered = float(inside.sum()) * dem.cell_m ** 2
    if covered < 0.99 * area or void.sum() > 0.01 * inside.sum():
        raise PhusongError(
            f"the DEM covers only {100 * min(covered, area) / area:.1f} % of the communes "
            f"({int(void.sum()):,} cells without data inside them); add the tiles "
            + ", ".join(tile_names(tuple(shapely.total_bounds(zones)), dem.crs)))
    if void.any():
        notes.append(i18n.note("void_in_communes", cells=int(void.sum())))
