"""Per-commune coverage shares counted on a raster: the ``"grid"`` method of :func:`geo.analysis.gaps.analyse`.

The circle model of :mod:`geo.analysis.coverage` (same layers, same per-technology, per-carrier and
per-loudspeaker radii), evaluated on square cells of ``cell_m`` metres in the working metric CRS
instead of with polygon overlays:

1. the communes are burnt into an int32 label raster (scanlines, cell-centre rule as GDAL's
   ``rasterize``: a cell belongs to the commune holding its centre), tile by tile over the communes' extent, so memory stays bounded
   and tiles with no commune (sea, neighbouring countries) are skipped;
2. every site stamps all its layers at once into a uint16 bit mask (one bit per covered layer): its
   discs are concentric, so each raster row is one run per disc edge; a cell is covered when its
   centre lies within the radius (the exact circle, not its 64-gon);
3. one pass over the tile counts, per commune, the cells of each bit and of the derived conditions
   (any channel = mobile, loudspeaker or internet; modern = 4G or 5G).

A share is covered cells / commune cells. With a population grid (``Prepared.population_grid``)
each cell also carries people (its share of the population-grid cell holding its centre, people
even within a grid cell) and people shares are people-weighted counts in the same pass. Communes with fewer than ``min_cells`` cells are counted
again on a finer grid of their own (``refined_cells`` cells over the commune), so the share of a
small urban ward is not a handful of cells. People shares where a commune has settlements use exact
point-in-circle tests (no raster).

Error: cells cut by a disc's or a commune's edge count whole or not at all. On a commune of area A
whose covered part has edge length P inside it, the error is at most about P·cell/(2A) and in
practice far smaller (cells on an edge fall in and out at random); bench/README.md reports the
measured difference from the exact method over all Vietnamese communes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from numba import njit
from shapely import STRtree

from geo.analysis import coverage
from geo import settings
from geo.io.population import PopulationGrid
from geo.settings import CoverageParams

# Derived conditions counted besides the layer bits, named as geo.analysis.gaps names them.
DERIVED: tuple[str, ...] = ("any_channel", "modern")


@dataclass(frozen=True)
class Stamps:
    """Sites as concentric discs to stamp: per site up to ``L`` (radius, bits) pairs.

    Attributes
    ----------
    x, y : site coordinates in the working metric CRS, metres (float64, length n).
    radius_m : (n, L) radii in metres; 0 = no disc.
    bits : (n, L) uint16 layer bits set inside the matching disc.
    """

    x: np.ndarray
    y: np.ndarray
    radius_m: np.ndarray
    bits: np.ndarray

    @property
    def max_radius_m(self) -> float:
        return float(self.radius_m.max()) if self.radius_m.size else 0.0


def layer_bits(names: list[str]) -> dict[str, int]:
    """Bit of each layer name (order of :func:`geo.analysis.gaps.coverage_keys`); at most 16 layers."""
    if len(names) > 16:
        raise ValueError(f"at most 16 layers fit a uint16 mask; got {len(names)}: {names}")
    return {name: 1 << i for i, name in enumerate(names)}


def site_stamps(prepared, params: CoverageParams, bit: dict[str, int]) -> Stamps:
    """The discs of every site of ``prepared`` (a :class:`geo.analysis.gaps.Prepared`), as :class:`Stamps`.

    BTS sites: one disc per technology (its radius, carrier override included) and one of the
    site's largest radius for "mobile" and the site's carrier; loudspeakers: their own ``radius_m``
    or their kind's; internet points: ``params.internet_access_m``. Metres, working CRS.
    """
    bts, loud, inet = prepared.bts, prepared.loudspeakers, prepared.internet_points
    n_tech = len(settings.TECHNOLOGIES)
    width = n_tech + 1
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    if len(bts):
        tech_r = coverage.technology_radius_m(bts, params)  # n × 4, 0 where it does not count
        radius = np.zeros((len(bts), width))
        bits = np.zeros((len(bts), width), dtype=np.uint16)
        radius[:, :n_tech] = tech_r
        for j, tech in enumerate(settings.TECHNOLOGIES):
            bits[:, j] = bit[f"covered_{tech.lower()}"]
        radius[:, n_tech] = tech_r.max(axis=1)
        carrier_bit = np.array(
            [bit.get(f"covered_{c.lower()}", 0) for c in bts["carrier"].to_numpy()], dtype=np.uint16
        )
        bits[:, n_tech] = bit["mobile_covered"] | carrier_bit
        parts.append((shapely.get_coordinates(bts.geometry.to_numpy()), radius, bits))
    for frame, radius_m, name in (
        (loud, coverage.loudspeaker_radius_m(loud, params), "loudspeaker_covered"),
        (inet, np.full(len(inet), params.internet_access_m), "internet_access"),
    ):
        if len(frame):
            radius = np.zeros((len(frame), width))
            radius[:, 0] = np.where(np.isfinite(radius_m), radius_m, 0.0)
            bits = np.zeros((len(frame), width), dtype=np.uint16)
            bits[:, 0] = bit[name]
            parts.append((shapely.get_coordinates(frame.geometry.to_numpy()), radius, bits))
    if not parts:
        return Stamps(
            np.zeros(0), np.zeros(0), np.zeros((0, width)), np.zeros((0, width), np.uint16)
        )
    xy = np.concatenate([p[0] for p in parts])
    radius = np.concatenate([p[1] for p in parts])
    radius = np.where(np.isfinite(radius) & (radius > 0), radius, 0.0)
    return Stamps(
        np.ascontiguousarray(xy[:, 0]),
        np.ascontiguousarray(xy[:, 1]),
        radius,
        np.concatenate([p[2] for p in parts]),
    )


# --- numba kernels --------------------------------------------------------------------------------


@njit(cache=True)
def _stamp(mask, x0, y_top, cell, xs, ys, radii, bits):  # pragma: no cover - compiled
    """OR each site's disc bits into ``mask`` (rows from ``y_top`` down, columns from ``x0``).

    A cell is inside a disc when its centre is within the radius. The discs of one site are
    concentric, so per row each disc adds only the runs outside the next smaller one; every cell of
    the largest disc is written once.
    """
    h, w = mask.shape
    n_disc = radii.shape[1]
    r_sorted = np.empty(n_disc)
    b_sorted = np.empty(n_disc, dtype=np.uint16)
    for i in range(len(xs)):
        m = 0
        for j in range(n_disc):  # insertion sort, largest radius first
            r = radii[i, j]
            if r <= 0.0 or bits[i, j] == 0:
                continue
            k = m
            while k > 0 and r_sorted[k - 1] < r:
                r_sorted[k] = r_sorted[k - 1]
                b_sorted[k] = b_sorted[k - 1]
                k -= 1
            r_sorted[k] = r
            b_sorted[k] = bits[i, j]
            m += 1
        if m == 0:
            continue
        for k in range(1, m):  # an inner disc lies inside every outer one: it gets their bits too
            b_sorted[k] |= b_sorted[k - 1]
        sc = (xs[i] - x0) / cell - 0.5  # site position in cell-centre units
        sr = (y_top - ys[i]) / cell - 0.5
        big = r_sorted[0] / cell
        row0 = max(0, math.ceil(sr - big))
        row1 = min(h - 1, math.floor(sr + big))
        for row in range(row0, row1 + 1):
            dy = row - sr
            lo_in, hi_in = 0, -1  # columns already written (the next smaller disc)
            for k in range(m - 1, -1, -1):
                rk = r_sorted[k] / cell
                d2 = rk * rk - dy * dy
                if d2 < 0.0:
                    continue
                half = math.sqrt(d2)
                lo = max(0, math.ceil(sc - half))
                hi = min(w - 1, math.floor(sc + half))
                if lo > hi:
                    continue
                b = b_sorted[k]
                if lo_in > hi_in:
                    for c in range(lo, hi + 1):
                        mask[row, c] |= b
                else:
                    for c in range(lo, lo_in):
                        mask[row, c] |= b
                    for c in range(hi_in + 1, hi + 1):
                        mask[row, c] |= b
                lo_in, hi_in = lo, hi


@njit(cache=True)
def _count(labels, mask, n_bits, derived, counts):  # pragma: no cover - compiled
    """Add per label: cells (last column), cells of each bit, cells meeting each derived mask."""
    h, w = labels.shape
    total = counts.shape[1] - 1
    n_derived = len(derived)
    for r in range(h):
        for c in range(w):
            lab = labels[r, c]
            if lab == 0:
                continue
            counts[lab, total] += 1
            m = mask[r, c]
            if m == 0:
                continue
            for b in range(n_bits):
                counts[lab, b] += (m >> b) & 1
            for d in range(n_derived):
                if m & derived[d]:
                    counts[lab, n_bits + d] += 1


@njit(cache=True)
def _people(weights, x0, y_top, cell, aff, values):  # pragma: no cover - compiled
    """People of each cell from the population grid ``values`` (NaN = nodata): the people of the
    grid cell holding the cell's centre times the share of its area the cell takes (people even
    within a grid cell); 0 on nodata cells, NaN outside the grid's extent. ``aff`` maps metres to
    grid (col, row): col = aff[0] + aff[1]·x + aff[2]·y, row = aff[3] + aff[4]·x + aff[5]·y
    (fitted per tile)."""
    h, w = weights.shape
    rows, cols = values.shape
    scale = cell * cell * abs(aff[1] * aff[5] - aff[2] * aff[4])  # grid cells per cell
    for r in range(h):
        y = y_top - (r + 0.5) * cell
        for c in range(w):
            x = x0 + (c + 0.5) * cell
            pc = aff[0] + aff[1] * x + aff[2] * y
            pr = aff[3] + aff[4] * x + aff[5] * y
            if pc < 0.0 or pr < 0.0 or pc >= cols or pr >= rows:
                weights[r, c] = np.nan  # outside the grid's extent
            else:
                v = values[int(pr), int(pc)]
                weights[r, c] = 0.0 if v != v else v * scale  # nodata inside: nobody


@njit(cache=True)
def _count_people(labels, mask, weights, n_bits, derived, people):  # pragma: no cover - compiled
    """Add per label: people of each bit and derived mask, cells inside the grid's extent
    (column -2) and people (column -1); cells outside it (NaN) count nowhere."""
    h, w = labels.shape
    n_derived = len(derived)
    for r in range(h):
        for c in range(w):
            lab = labels[r, c]
            if lab == 0:
                continue
            wv = weights[r, c]
            if wv != wv:  # NaN: outside the grid's extent
                continue
            people[lab, -2] += 1.0
            people[lab, -1] += wv
            m = mask[r, c]
            if m == 0:
                continue
            for b in range(n_bits):
                if (m >> b) & 1:
                    people[lab, b] += wv
            for d in range(n_derived):
                if m & derived[d]:
                    people[lab, n_bits + d] += wv


@njit(cache=True)
def _point_bits(px, py, xs, ys, radii, bits, pi, si, out):  # pragma: no cover - compiled
    """OR into ``out[p]`` the bits of every disc of site ``si`` whose circle holds point ``pi``."""
    for k in range(len(pi)):
        p, s = pi[k], si[k]
        d2 = (px[p] - xs[s]) ** 2 + (py[p] - ys[s]) ** 2
        for j in range(radii.shape[1]):
            if radii[s, j] > 0.0 and d2 <= radii[s, j] * radii[s, j]:
                out[p] |= bits[s, j]


@njit(cache=True)
def _burn(labels, x0, y_top, cell, xy, ring_start, ring_lo, ring_hi, label):  # pragma: no cover
    """Set ``label`` on the cells whose centre lies inside rings ``ring_lo:ring_hi`` (even-odd
    rule, so holes and multi-part communes need nothing special), one scanline per cell row.

    ``xy``: closed ring coordinates (metres), ring k = ``xy[ring_start[k]:ring_start[k + 1]]``.
    A centre exactly on an edge is inside on the lower/left side only (half-open), as in GDAL.
    """
    h, w = labels.shape
    # Rows the rings span (row units: the centre of row r is at r), so a zone far smaller than the
    # tile costs its own rows only.
    v_min, v_max = np.inf, -np.inf
    for e in range(ring_start[ring_lo], ring_start[ring_hi]):
        v = (y_top - xy[e, 1]) / cell - 0.5
        v_min = min(v_min, v)
        v_max = max(v_max, v)
    first = max(0, math.ceil(v_min))
    last = min(h - 1, math.ceil(v_max) - 1)
    if first > last:
        return
    n_rows = last - first + 1
    per_row = np.zeros(n_rows + 1, dtype=np.int64)
    xs = np.empty(0)
    fill = per_row[:n_rows].copy()
    for pass_ in range(2):
        if pass_ == 1:  # crossings of row first + i: xs[per_row[i]:per_row[i + 1]]
            for i in range(n_rows):
                per_row[i + 1] += per_row[i]
            xs = np.empty(per_row[n_rows])
            fill = per_row[:n_rows].copy()
        for ring in range(ring_lo, ring_hi):
            for e in range(ring_start[ring], ring_start[ring + 1] - 1):
                va = (y_top - xy[e, 1]) / cell - 0.5
                vb = (y_top - xy[e + 1, 1]) / cell - 0.5
                if va == vb:
                    continue
                r0 = max(first, math.ceil(min(va, vb)))
                r1 = min(last, math.ceil(max(va, vb)) - 1)
                if r0 > r1:
                    continue
                if pass_ == 0:
                    for r in range(r0, r1 + 1):
                        per_row[r - first + 1] += 1
                    continue
                ua = (xy[e, 0] - x0) / cell - 0.5
                ub = (xy[e + 1, 0] - x0) / cell - 0.5
                for r in range(r0, r1 + 1):
                    xs[fill[r - first]] = ua + (r - va) * (ub - ua) / (vb - va)
                    fill[r - first] += 1
    for i in range(n_rows):
        if per_row[i + 1] - per_row[i] < 2:
            continue
        row = np.sort(xs[per_row[i] : per_row[i + 1]])
        for k in range(0, len(row) - 1, 2):
            c0 = max(0, math.ceil(row[k]))
            c1 = min(w, math.ceil(row[k + 1]))
            for c in range(c0, c1):
                labels[first + i, c] = label


@njit(cache=True)
def _tile(
    counts,
    zone_ids,
    x0,
    y_top,
    cell,
    h,
    w,
    xy,
    ring_start,
    zone_rings,
    site_ids,
    xs,
    ys,
    radii,
    bits,
    n_bits,
    derived,
    aff,
    values,
    people,
):  # pragma: no cover - compiled
    """Burn ``zone_ids`` (label = id + 1) on a tile, stamp ``site_ids`` on it, add the counts;
    with a population grid (``values`` not empty) add the people counts too."""
    labels = np.zeros((h, w), dtype=np.int32)
    for z in zone_ids:
        _burn(labels, x0, y_top, cell, xy, ring_start, zone_rings[z], zone_rings[z + 1], z + 1)
    mask = np.zeros((h, w), dtype=np.uint16)
    _stamp(mask, x0, y_top, cell, xs[site_ids], ys[site_ids], radii[site_ids], bits[site_ids])
    _count(labels, mask, n_bits, derived, counts)
    if values.size:
        weights = np.empty((h, w))
        _people(weights, x0, y_top, cell, aff, values)
        _count_people(labels, mask, weights, n_bits, derived, people)


@njit(cache=True)
def _refine(
    counts,
    zone_ids,
    x0s,
    y_tops,
    cells,
    hs,
    ws,
    xy,
    ring_start,
    zone_rings,
    site_ptr,
    site_ids,
    xs,
    ys,
    radii,
    bits,
    n_bits,
    derived,
    affs,
    values,
    people,
):  # pragma: no cover - compiled
    """Count each of ``zone_ids`` again alone on its own finer grid; replace its row of counts
    (label = id + 1) when the finer grid holds any of its cells."""
    for k in range(len(zone_ids)):
        z = zone_ids[k]
        labels = np.zeros((hs[k], ws[k]), dtype=np.int32)
        _burn(
            labels, x0s[k], y_tops[k], cells[k], xy, ring_start, zone_rings[z], zone_rings[z + 1], 1
        )
        mask = np.zeros((hs[k], ws[k]), dtype=np.uint16)
        sel = site_ids[site_ptr[k] : site_ptr[k + 1]]
        _stamp(mask, x0s[k], y_tops[k], cells[k], xs[sel], ys[sel], radii[sel], bits[sel])
        row = np.zeros((2, counts.shape[1]), dtype=np.int64)
        _count(labels, mask, n_bits, derived, row)
        if row[1, -1] > 0:
            counts[z + 1, :] = row[1, :]
            if values.size:
                weights = np.empty((hs[k], ws[k]))
                _people(weights, x0s[k], y_tops[k], cells[k], affs[k], values)
                prow = np.zeros((2, people.shape[1]))
                _count_people(labels, mask, weights, n_bits, derived, prow)
                people[z + 1, :] = prow[1, :]


# --- counting -------------------------------------------------------------------------------------


def _rings(zones: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ring coordinates of every zone: xy (metres), ring offsets into xy, zone offsets into rings."""
    parts, part_zone = shapely.get_parts(zones, return_index=True)
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    xy, coord_ring = shapely.get_coordinates(rings, return_index=True)
    ring_start = np.searchsorted(coord_ring, np.arange(len(rings) + 1)).astype(np.int64)
    zone_rings = np.searchsorted(part_zone[ring_part], np.arange(len(zones) + 1)).astype(np.int64)
    return np.ascontiguousarray(xy, dtype=np.float64), ring_start, zone_rings


def _near(stamps: Stamps, tree: STRtree | None, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(box index, stamp index) pairs of the stamps whose discs may reach each box, by box;
    ``tree``: an STRtree of the stamps' centres (None when there are none)."""
    if tree is None or stamps.max_radius_m <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    bi, si = tree.query(boxes, predicate="dwithin", distance=stamps.max_radius_m)
    order = np.argsort(bi, kind="stable")
    return bi[order].astype(np.int64), si[order].astype(np.int64)


def cell_counts(
    zones: np.ndarray,
    stamps: Stamps,
    *,
    n_bits: int,
    derived: np.ndarray,
    cell_m: float = settings.GRID_CELL_M,
    tile_cells: int = settings.GRID_TILE_CELLS,
    min_cells: int = settings.GRID_MIN_CELLS,
    refined_cells: int = settings.GRID_REFINED_CELLS,
) -> np.ndarray:
    """Per zone, cells in it (last column) and covered cells of each bit and derived mask.

    See :func:`cell_and_people_counts` for the parameters.
    """
    return cell_and_people_counts(
        zones,
        stamps,
        n_bits=n_bits,
        derived=derived,
        cell_m=cell_m,
        tile_cells=tile_cells,
        min_cells=min_cells,
        refined_cells=refined_cells,
    )[0]


def cell_and_people_counts(
    zones: np.ndarray,
    stamps: Stamps,
    *,
    n_bits: int,
    derived: np.ndarray,
    cell_m: float = settings.GRID_CELL_M,
    tile_cells: int = settings.GRID_TILE_CELLS,
    min_cells: int = settings.GRID_MIN_CELLS,
    refined_cells: int = settings.GRID_REFINED_CELLS,
    population: PopulationGrid | None = None,
    crs=None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Per zone, cells in it (last column) and covered cells of each bit and derived mask; with a
    population grid also its people (even within each grid cell) in the same layout.

    Parameters
    ----------
    zones : polygons in the working metric CRS (metres).
    stamps : the sites' discs (:func:`site_stamps`), same CRS.
    n_bits, derived : layer bits to count, then uint16 masks counted where any of their bits is set.
    cell_m : cell side, metres; the grid is aligned on multiples of it.
    tile_cells : tile side in cells (memory: 6 bytes per cell of a tile).
    min_cells, refined_cells : zones with fewer than ``min_cells`` cells are counted again on a grid
        of their own with about ``refined_cells`` cells over the zone.

    population, crs : a population grid and the zones' (metric) CRS: people are counted too.

    Returns
    -------
    int64 array (len(zones), n_bits + len(derived) + 1); the cell size of a row is ``cell_m`` or,
    for refined zones, finer (shares are ratios within a row, so it does not matter). With
    ``population``, also a float array (len(zones), n_bits + len(derived) + 2): people of each bit
    and derived mask, then cells inside the grid's extent, then people; else None.
    """
    zones = np.asarray(zones, dtype=object)
    n = len(zones)
    width = n_bits + len(derived) + 1
    counts = np.zeros((n + 1, width), dtype=np.int64)  # row 0: cells of no zone
    people = np.zeros((n + 1, width + 1))
    values = (
        np.ascontiguousarray(population.values, dtype=np.float64)
        if population is not None
        else np.zeros((0, 0))
    )
    present = ~(shapely.is_missing(zones) | shapely.is_empty(zones)) if n else np.zeros(0, bool)
    if not present.any():
        return counts[1:], (people[1:] if population is not None else None)
    safe = np.where(present, zones, shapely.Polygon())
    xy, ring_start, zone_rings = _rings(safe)
    derived = np.asarray(derived, dtype=np.uint16)
    site_args = (
        stamps.x,
        stamps.y,
        np.ascontiguousarray(stamps.radius_m),
        np.ascontiguousarray(stamps.bits),
    )
    all_bounds = shapely.bounds(safe)
    bounds = all_bounds[present]
    gx0 = math.floor(np.min(bounds[:, 0]) / cell_m) * cell_m
    gy1 = math.ceil(np.max(bounds[:, 3]) / cell_m) * cell_m
    n_cols = math.ceil((np.max(bounds[:, 2]) - gx0) / cell_m)
    n_rows = math.ceil((gy1 - np.min(bounds[:, 1])) / cell_m)
    tiles = [(r, c) for r in range(0, n_rows, tile_cells) for c in range(0, n_cols, tile_cells)]
    boxes = shapely.box(
        [gx0 + c * cell_m for _, c in tiles],
        [gy1 - min(r + tile_cells, n_rows) * cell_m for r, _ in tiles],
        [gx0 + min(c + tile_cells, n_cols) * cell_m for _, c in tiles],
        [gy1 - r * cell_m for r, _ in tiles],
    )
    idx = np.flatnonzero(present)
    tile_of, zone_of = STRtree(zones[idx]).query(boxes, predicate="intersects")
    zone_of = idx[zone_of]
    jobs = []  # (members, x0, y_top, rows, cols) per tile with zones
    for t in np.unique(tile_of):
        members = zone_of[tile_of == t]
        r, c = tiles[t]
        # Shrink the tile to its zones' extent: a coastal tile need not stamp the sea.
        zb = all_bounds[members]
        c_lo = max(c, math.floor((zb[:, 0].min() - gx0) / cell_m))
        c_hi = min(c + tile_cells, n_cols, math.ceil((zb[:, 2].max() - gx0) / cell_m))
        r_lo = max(r, math.floor((gy1 - zb[:, 3].max()) / cell_m))
        r_hi = min(r + tile_cells, n_rows, math.ceil((gy1 - zb[:, 1].min()) / cell_m))
        if c_hi > c_lo and r_hi > r_lo:
            jobs.append(
                (
                    members.astype(np.int64),
                    gx0 + c_lo * cell_m,
                    gy1 - r_lo * cell_m,
                    r_hi - r_lo,
                    c_hi - c_lo,
                )
            )
    tile_boxes = shapely.box(
        [j[1] for j in jobs],
        [j[2] - j[3] * cell_m for j in jobs],
        [j[1] + j[4] * cell_m for j in jobs],
        [j[2] for j in jobs],
    )
    tree = STRtree(shapely.points(stamps.x, stamps.y)) if len(stamps.x) else None
    box_of, sites = _near(stamps, tree, tile_boxes)
    site_ptr = np.searchsorted(box_of, np.arange(len(jobs) + 1))
    affs = _pixel_affines(
        population, crs, [(j[1], j[2] - j[3] * cell_m, j[1] + j[4] * cell_m, j[2]) for j in jobs]
    )
    for k, (members, x0, y_top, rows, cols) in enumerate(jobs):
        _tile(
            counts,
            members,
            x0,
            y_top,
            cell_m,
            rows,
            cols,
            xy,
            ring_start,
            zone_rings,
            sites[site_ptr[k] : site_ptr[k + 1]],
            *site_args,
            n_bits,
            derived,
            affs[k],
            values,
            people,
        )

    # Small zones: counted again alone on a finer grid of their own, all in one compiled call.
    small = np.flatnonzero(present & (counts[1:, -1] < min_cells))
    if len(small):
        b = all_bounds[small]
        cell = np.minimum(
            np.sqrt(np.maximum(shapely.area(zones[small]), 1e-6) / refined_cells), cell_m
        )
        x0s = np.floor(b[:, 0] / cell) * cell
        y_tops = np.ceil(b[:, 3] / cell) * cell
        hs = np.maximum(1, np.ceil((y_tops - b[:, 1]) / cell)).astype(np.int64)
        ws = np.maximum(1, np.ceil((b[:, 2] - x0s) / cell)).astype(np.int64)
        box_of, sites = _near(stamps, tree, shapely.box(b[:, 0], b[:, 1], b[:, 2], b[:, 3]))
        site_ptr = np.searchsorted(box_of, np.arange(len(small) + 1)).astype(np.int64)
        _refine(
            counts,
            small.astype(np.int64),
            x0s,
            y_tops,
            cell,
            hs,
            ws,
            xy,
            ring_start,
            zone_rings,
            site_ptr,
            sites,
            *site_args,
            n_bits,
            derived,
            _pixel_affines(population, crs, list(map(tuple, b))),
            values,
            people,
        )
    return counts[1:], (people[1:] if population is not None else None)


def _pixel_affines(population: PopulationGrid | None, crs, boxes: list[tuple]) -> np.ndarray:
    """Per box (x0, y0, x1, y1 in ``crs``), the affine map from metres to the population grid's
    (col, row), fitted by least squares on 3 × 3 points of the box (exact for a grid in ``crs``;
    within metres over a 100 km tile for a geographic grid). Zeros without a grid."""
    out = np.zeros((max(len(boxes), 1), 6))
    if population is None or not boxes:
        return out
    from pyproj import CRS, Transformer

    to_grid = Transformer.from_crs(CRS.from_user_input(crs), population.crs, always_xy=True)
    a, b, c, d, e, f = population.transform
    det = a * e - b * d
    box = np.asarray(boxes, dtype=float)
    xc, yc = (box[:, 0] + box[:, 2]) / 2, (box[:, 1] + box[:, 3]) / 2
    hx, hy = (box[:, 2] - box[:, 0]) / 2, (box[:, 3] - box[:, 1]) / 2
    u, v = (g.ravel() for g in np.meshgrid([-1.0, 0.0, 1.0], [-1.0, 0.0, 1.0]))  # 3 × 3 layout
    x = xc[:, None] + u[None, :] * hx[:, None]
    y = yc[:, None] + v[None, :] * hy[:, None]
    gx, gy = (np.asarray(t).reshape(x.shape) for t in to_grid.transform(x.ravel(), y.ravel()))
    col = (e * (gx - c) - b * (gy - f)) / det
    row = (-d * (gx - c) + a * (gy - f)) / det
    # Least squares on the symmetric 3 × 3 layout: the centred design is orthogonal, so each
    # coefficient is a projection (Σu² = Σv² = 6 over the nine points).
    for j, target in ((0, col), (3, row)):
        q0 = target.mean(axis=1)
        q1 = (target * u).sum(axis=1) / 6 / np.where(hx > 0, hx, 1)
        q2 = (target * v).sum(axis=1) / 6 / np.where(hy > 0, hy, 1)
        out[: len(box), j], out[: len(box), j + 1], out[: len(box), j + 2] = (
            q0 - q1 * xc - q2 * yc,
            q1,
            q2,
        )
    return out


def point_bits(points: np.ndarray, stamps: Stamps) -> np.ndarray:
    """uint16 layer bits of each point (metric CRS): exact point-in-circle tests, no raster."""
    out = np.zeros(len(points), dtype=np.uint16)
    if len(points) == 0 or len(stamps.x) == 0 or stamps.max_radius_m <= 0:
        return out
    pxy = shapely.get_coordinates(points)
    sites = shapely.points(stamps.x, stamps.y)
    pi, si = STRtree(sites).query(points, predicate="dwithin", distance=stamps.max_radius_m)
    _point_bits(
        np.ascontiguousarray(pxy[:, 0]),
        np.ascontiguousarray(pxy[:, 1]),
        stamps.x,
        stamps.y,
        stamps.radius_m,
        stamps.bits,
        pi.astype(np.int64),
        si.astype(np.int64),
        out,
    )
    return out


def shares(
    prepared,
    params: CoverageParams,
    names: list[str],
    *,
    cell_m: float = settings.GRID_CELL_M,
    min_cover: float = settings.POPULATION_MIN_COVER,
) -> tuple[dict[str, tuple[np.ndarray, np.ndarray]], dict[str, np.ndarray] | None]:
    """Covered share of each commune for each layer of ``names`` and for :data:`DERIVED`.

    Parameters
    ----------
    prepared : a :class:`geo.analysis.gaps.Prepared` (working metric CRS).
    names : the layers (:func:`geo.analysis.gaps.coverage_keys`), one mask bit each.
    cell_m : cell side in metres.
    min_cover : with a population grid, the share of a commune's cells inside the grid's extent
        needed to read its people from the grid (:data:`geo.settings.POPULATION_MIN_COVER`).

    Returns
    -------
    name -> (area share 0–1, people share 0–1) per commune: the people share is the share of the
    commune's settlements' people inside the layer where it has settlements, else of its grid
    people (each cell carrying its share of its population-grid cell's people) where the grid
    covers it, else the area share (the definitions of :func:`geo.analysis.gaps.summarise`); NaN for a
    commune with no cell (empty). And, with a population grid, per commune ``on_grid`` (bool) and
    ``grid_people`` (the grid's people in it); else None.
    """
    bit = layer_bits(names)
    derived_masks = {
        "any_channel": bit["mobile_covered"] | bit["loudspeaker_covered"] | bit["internet_access"],
        "modern": bit["covered_4g"] | bit["covered_5g"],
    }
    derived = np.array([derived_masks[d] for d in DERIVED], dtype=np.uint16)
    stamps = site_stamps(prepared, params, bit)
    zones = prepared.zones
    counts, people = cell_and_people_counts(
        zones,
        stamps,
        n_bits=len(names),
        derived=derived,
        cell_m=cell_m,
        population=prepared.population_grid,
        crs=prepared.crs,
    )
    total = counts[:, -1].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        area_share = np.where(total[:, None] > 0, counts[:, :-1] / total[:, None], np.nan)

    people_share = area_share.copy()
    on_grid_info = None
    if people is not None:
        grid_people = people[:, -1]
        on_grid = (people[:, -2] >= min_cover * total) & (grid_people > 0)
        with np.errstate(invalid="ignore", divide="ignore"):
            people_share = np.where(
                on_grid[:, None], people[:, :-2] / grid_people[:, None], area_share
            )
        on_grid_info = {"on_grid": on_grid, "grid_people": np.where(on_grid, grid_people, np.nan)}
    settlements = prepared.settlements
    if settlements is not None and len(settlements):
        points = settlements.geometry.to_numpy()
        pop = settlements["population"].to_numpy(float)
        pbits = point_bits(points, stamps)
        zi, pi = STRtree(points).query(zones, predicate="intersects")
        people = np.bincount(zi, weights=pop[pi], minlength=len(zones))
        has = people > 0
        for k, m in enumerate([bit[nm] for nm in names] + list(derived)):
            inside = np.bincount(zi, weights=pop[pi] * ((pbits[pi] & m) != 0), minlength=len(zones))
            with np.errstate(invalid="ignore", divide="ignore"):
                people_share[:, k] = np.where(has, inside / people, people_share[:, k])
    return (
        {
            name: (area_share[:, k], people_share[:, k])
            for k, name in enumerate(list(names) + list(DERIVED))
        },
        on_grid_info,
    )
