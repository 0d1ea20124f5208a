"""What a service's sites reach over a DEM, for the coverage matrix and the figures of a terrain
plan, exactly as :mod:`geo.analysis.terrain` computes it.
"""

from __future__ import annotations

import numpy as np
from rasterio import features
import shapely
from numba import njit, prange
from shapely import STRtree

from geo import settings
from geo.analysis import coverage, gaps, terrain
from geo.analysis.walking import walk_kernel
from geo.model.schema import Dataset
from geo.settings import CoverageParams


_WALK_BATCH = 64


@njit(cache=True, parallel=True)
def _walk_batch(padded, rows, cols, half, cell_x, cell_y, max_s, vmax_ms, out):  # pragma: no cover
    """geo.analysis.terrain.walk_kernel from each (row, col) alone, on its window of ``padded``, in parallel."""
    size = 2 * half + 1
    src = np.array([half], dtype=np.int64)
    for k in prange(len(rows)):
        window = padded[rows[k] : rows[k] + size, cols[k] : cols[k] + size]
        walk_kernel(window, src, src, cell_x, cell_y, max_s, vmax_ms, out[k])


class TerrainReach:
    """What the service's sites reach over a DEM, exactly as :mod:`geo.analysis.terrain` computes it.

    BTS: line of sight from the antenna (``height_m`` or ``terrain.bts_height_m``) to a handset
    (``terrain.handset_height_m``) within the technology's radius; loudspeakers: from the horn to a
    listener within the reach radius; support points: at most ``terrain.internet_walk_min``
    minutes' walk (Tobler). A candidate's reach is a :class:`geo.analysis.terrain.Viewshed` window (for
    walking, a window of the cells within the limit), cut to the radius the way
    :func:`geo.analysis.terrain.paint` cuts it.
    """

    def __init__(
        self,
        dem,
        terrain_params,
        service: str,
        radius: float,
        params: CoverageParams,
        technology: str | None,
        cache,
        carrier: str | None = None,
    ):
        self.dem, self.tp, self.service = dem, terrain_params, service
        self.radius, self.params, self.technology, self.cache = radius, params, technology, cache
        self.carrier = carrier  # of the new BTS sites: its fitted path-loss threshold cuts them
        self.cell_x, self.cell_y = float(dem.transform.a), float(-dem.transform.e)

    # existing sites ------------------------------------------------------------------------
    def existing(self, dataset: Dataset, vintage: str) -> np.ndarray:
        """Bool raster of what the existing sites reach (terrain_coverage's layer)."""
        prepared = gaps.prepare(dataset, vintage=vintage, params=self.params)
        dem, tp = self.dem, self.tp
        if self.service == "support-point":
            inet = prepared.internet_points
            minutes = terrain.walking_minutes(
                dem,
                inet.geometry.x.to_numpy() if len(inet) else [],
                inet.geometry.y.to_numpy() if len(inet) else [],
                max_minutes=tp.internet_walk_min,
            )
            return minutes <= tp.internet_walk_min
        if self.service == "loudspeaker":
            loud = prepared.loudspeakers
            radius = coverage.loudspeaker_radius_m(loud, self.params)
            sheds = terrain.viewsheds(
                dem,
                loud.geometry.x.to_numpy() if len(loud) else [],
                loud.geometry.y.to_numpy() if len(loud) else [],
                observer_height_m=terrain.site_heights(loud, tp.loudspeaker_height_m),
                target_height_m=tp.listener_height_m,
                radius_m=radius,
                curvature_coeff=tp.sound_curvature_coeff,
                cache=self.cache,
            )
            return terrain.paint(dem, sheds, radius[None, :])[0] > 0
        bts = prepared.bts
        if not len(bts):
            return np.zeros(dem.shape, bool)
        sheds = terrain.viewsheds(
            dem,
            bts.geometry.x.to_numpy(),
            bts.geometry.y.to_numpy(),
            observer_height_m=terrain.site_heights(bts, tp.bts_height_m),
            target_height_m=tp.handset_height_m,
            radius_m=coverage.site_radius_m(bts, self.params),
            curvature_coeff=tp.curvature_coeff,
            cache=self.cache,
        )
        layer = coverage.site_radius_m(bts, self.params, technology=self.technology)
        if tp.max_path_loss_db:  # fitted path-loss thresholds cut the existing sites' reach
            radii = np.vstack(
                [coverage.site_radius_m(bts, self.params)]
                + [
                    coverage.site_radius_m(bts, self.params, technology=t)
                    for t in settings.TECHNOLOGIES
                ]
            )
            row = 0 if self.technology is None else 1 + settings.TECHNOLOGIES.index(self.technology)
            counts = terrain.loss_limited_counts(
                dem, bts, sheds, radii, terrain.site_heights(bts, tp.bts_height_m), tp
            )
            return counts[row] > 0
        return terrain.paint(dem, sheds, layer[None, :])[0] > 0

    # candidates --------------------------------------------------------------------------------
    def windows(self, pts: np.ndarray) -> list:
        """One reach window per candidate point (None: outside the DEM, on a void)."""
        x, y = shapely.get_x(pts), shapely.get_y(pts)
        if self.service == "support-point":
            return self._walk_windows(x, y)
        if self.service == "loudspeaker":
            h, target, cc = (
                self.tp.loudspeaker_height_m,
                self.tp.listener_height_m,
                self.tp.sound_curvature_coeff,
            )
        else:
            h, target, cc = self.tp.bts_height_m, self.tp.handset_height_m, self.tp.curvature_coeff
        sheds = terrain.viewsheds(
            self.dem,
            x,
            y,
            observer_height_m=h,
            target_height_m=target,
            radius_m=self.radius,
            curvature_coeff=cc,
            cache=self.cache,
        )
        limit = (
            self.tp.path_loss_limit(self.carrier, self.technology)
            if self.service == "bts" and self.carrier and self.technology
            else np.inf
        )
        if np.isfinite(limit):  # the carrier's fitted threshold, as the terrain model applies it
            sheds = [
                terrain.loss_limited(
                    self.dem,
                    s,
                    frequency_mhz=settings.BAND_MHZ[self.technology],
                    antenna_height_m=h,
                    limit_db=limit,
                    radius_m=self.radius,
                )
                for s in sheds
            ]
        return sheds

    def snap(self, pts: np.ndarray) -> np.ndarray:
        """Points moved to the centre of their DEM cell (those outside the DEM stay): a proposed
        site stands where it was modelled, and the EPSG:4326 round trip of its coordinates
        (≈1e-9 m) cannot move it into the next cell, as it could from a cell edge."""
        x, y = shapely.get_x(pts), shapely.get_y(pts)
        rows, cols = terrain.observer_cell(self.dem, x, y)
        t = self.dem.transform
        ok = rows >= 0
        x = np.where(ok, t.c + (cols + 0.5) * t.a, x)
        y = np.where(ok, t.f + (rows + 0.5) * t.e, y)
        return shapely.points(x, y)

    def walk_limit_m(self) -> float:
        """Farthest a walk within the time limit can go (Tobler's top speed), metres."""
        return settings.TOBLER_MAX_KMH / 3.6 * self.tp.internet_walk_min * 60.0

    def _walk_windows(self, x: np.ndarray, y: np.ndarray) -> list:
        """Walking reach of each point: geo.analysis.terrain's Dijkstra (``_walk``) from the point alone, on
        the window of cells a walk within the limit can reach (every cell of such a walk lies in
        it too, so the times equal the full grid's), several points in parallel."""
        dem = self.dem
        z = dem.elevation_m
        rows, cols = terrain.observer_cell(dem, x, y)
        ok = np.flatnonzero((rows >= 0) & np.isfinite(z[np.maximum(rows, 0), np.maximum(cols, 0)]))
        half = int(np.ceil(self.walk_limit_m() / min(self.cell_x, self.cell_y))) + 2
        size = 2 * half + 1
        # NaN around the grid: impassable, as outside the grid is, so every window has one size
        padded = np.pad(z, half, constant_values=np.nan)
        limit = self.tp.internet_walk_min
        out: list = [None] * len(x)
        for start in range(0, len(ok), _WALK_BATCH):
            idx = ok[start : start + _WALK_BATCH]
            times = np.full((len(idx), size, size), np.inf)
            _walk_batch(
                padded,
                rows[idx].astype(np.int64),
                cols[idx].astype(np.int64),
                half,
                self.cell_x,
                self.cell_y,
                limit * 60.0,
                settings.TOBLER_MAX_KMH / 3.6,
                times,
            )
            for k, i in enumerate(idx):
                row, col = int(rows[i]), int(cols[i])
                r0, c0 = max(row - half, 0), max(col - half, 0)
                r1, c1 = min(row + half + 1, dem.shape[0]), min(col + half + 1, dem.shape[1])
                mask = (
                    times[k, r0 - row + half : r1 - row + half, c0 - col + half : c1 - col + half]
                    / 60.0
                    <= limit
                )
                out[i] = terrain.Viewshed(
                    np.packbits(mask, axis=1), r1 - r0, c1 - c0, r0, c0, row, col, float("inf")
                )
        return out

    def covers(
        self, windows: list, c_idx: np.ndarray, rows: np.ndarray, cols: np.ndarray
    ) -> np.ndarray:
        """For (candidate, demand cell) pairs, whether the candidate's window reaches the cell."""
        ok = np.array([w is not None for w in windows], bool)
        if not ok.any() or not len(c_idx):
            return np.zeros(len(c_idx), bool)
        meta = np.array(
            [
                [w.row0, w.col0, w.rows, w.cols, w.orow, w.ocol, w.bits.shape[1]]
                if w is not None
                else [0, 0, 0, 0, 0, 0, 0]
                for w in windows
            ],
            np.int64,
        )
        radius = np.array([w.radius_m if w is not None else 0.0 for w in windows])
        sizes = np.array([w.bits.size if w is not None else 0 for w in windows], np.int64)
        offset = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        flat = np.concatenate([w.bits.ravel() for w in windows if w is not None])
        m = meta[c_idx]
        rr, cc = rows - m[:, 0], cols - m[:, 1]
        inside = ok[c_idx] & (rows >= 0) & (rr >= 0) & (cc >= 0) & (rr < m[:, 2]) & (cc < m[:, 3])
        rr, cc = np.where(inside, rr, 0), np.where(inside, cc, 0)
        byte = flat[np.where(inside, offset[c_idx] + rr * m[:, 6] + (cc >> 3), 0)]
        bit = (byte >> (7 - (cc & 7))) & 1
        dy = (rows - m[:, 4]) * self.cell_y
        dx = (cols - m[:, 5]) * self.cell_x
        near = dx * dx + dy * dy <= radius[c_idx] ** 2  # paint's cut (inf for walking)
        return inside & (bit == 1) & near

    def mask(self, w) -> np.ndarray:
        """A window's reached cells (bool, window shape), cut to the radius as paint cuts it."""
        vis = w.visible()
        if np.isfinite(w.radius_m):
            ii, jj = np.ogrid[: w.rows, : w.cols]
            dy = (w.row0 + ii - w.orow) * self.cell_y
            dx = (w.col0 + jj - w.ocol) * self.cell_x
            vis &= dx * dx + dy * dy <= w.radius_m**2
        return vis

    def gains(
        self,
        zones,
        zone_area,
        population,
        scope,
        base_mask: np.ndarray,
        people,
        chosen_windows: list,
    ) -> tuple[np.ndarray, np.ndarray]:
        """People and km² each chosen window adds within the scope units, in order, from the
        rasters (as :func:`exact_gains` does from polygons, without unions of cell squares).

        A unit's covered area is the area of its covered cells' squares clipped to it (as
        :func:`geo.analysis.terrain.raster_areas` makes it): cells away from every unit boundary count
        whole for the unit holding their centre, the others are clipped exactly. A settlement is
        covered when its cell is; units without settlements count people by area share.
        """
        dem = self.dem
        t = dem.transform
        cells = _UnitCells(zones, dem.shape, t)
        pair_ok = (
            people.has[people.pair_zone] & scope[people.pair_zone]
            if len(people.pair_zone)
            else np.zeros(0, bool)
        )
        pts = people.points[people.pair_pt] if len(people.pair_pt) else np.array([], dtype=object)
        pr, pc = terrain.observer_cell(dem, shapely.get_x(pts), shapely.get_y(pts))
        pair_in = pr >= 0
        covered = base_mask.copy()
        people_new = np.zeros(len(chosen_windows))
        area_new = np.zeros(len(chosen_windows))
        # With a population grid, people follow geo.analysis.gaps' rule on the covered polygons the terrain
        # analysis makes from the same mask (terrain.raster_areas), so the two agree.
        grid_geoms = terrain.raster_areas(covered, t, zones) if people.grid is not None else None
        for r, w in enumerate(chosen_windows):
            if w is None:
                continue
            sub = covered[w.row0 : w.row0 + w.rows, w.col0 : w.col0 + w.cols]
            new = self.mask(w) & ~sub
            ii, jj = np.nonzero(new)
            ii, jj = ii + w.row0, jj + w.col0
            d_area = cells.area(ii, jj)
            was = np.zeros(len(pr), bool)
            was[pair_in] = covered[pr[pair_in], pc[pair_in]]
            sub |= new
            now = np.zeros(len(pr), bool)
            now[pair_in] = covered[pr[pair_in], pc[pair_in]]
            d_area = np.where(scope, d_area, 0.0)
            if grid_geoms is not None:
                after = terrain.raster_areas(covered, t, zones)
                d_people = people.covered(after, zone_area, population) - people.covered(
                    grid_geoms, zone_area, population
                )
                people_new[r] = float(np.nansum(d_people[scope]))
                area_new[r] = d_area.sum() / 1e6
                grid_geoms = after
                continue
            area_new[r] = d_area.sum() / 1e6
            people_new[r] = _settled_people(
                d_area,
                zone_area,
                population,
                scope,
                people,
                pair_ok & now & ~was if len(pr) else None,
            )
        return people_new, area_new

    def areas(self, mask: np.ndarray, zones: np.ndarray) -> np.ndarray:
        """The covered cells of ``mask`` as one geometry per unit (terrain.raster_areas)."""
        return terrain.raster_areas(mask, self.dem.transform, zones)

    def pairs(
        self, cand_pts: np.ndarray, windows: list, dem_pts: np.ndarray, radius: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """(candidate, demand point) pairs where the candidate's window reaches the point's cell:
        candidates near each demand point (a cell's diagonal beyond the reach: paint measures from
        cell centres), then the cell's bit in the candidate's window."""
        far = (self.walk_limit_m() if self.service == "support-point" else radius) + 2 * max(
            self.cell_x, self.cell_y
        )
        c_idx, d_idx = STRtree(dem_pts).query(cand_pts, predicate="dwithin", distance=far)
        d_rows, d_cols = terrain.observer_cell(
            self.dem, shapely.get_x(dem_pts), shapely.get_y(dem_pts)
        )
        keep = self.covers(windows, c_idx, d_rows[d_idx], d_cols[d_idx])
        return c_idx[keep], d_idx[keep]


class _UnitCells:
    """The DEM cells of the units: the unit holding each cell's centre (-1: none) and the cells
    on or next to a unit boundary, which are clipped exactly (as terrain.raster_areas does)."""

    def __init__(self, zones: np.ndarray, shape: tuple[int, int], t):
        self.zones, self.t, self.tree = zones, t, STRtree(zones)
        self.cell_area = abs(t.a * t.e)
        self.zone_id = (
            features.rasterize(
                [(z, i + 1) for i, z in enumerate(zones)],
                out_shape=shape,
                transform=t,
                fill=0,
                all_touched=False,
                dtype="int32",
            )
            - 1
        )
        edge = features.rasterize(
            [(b, 1) for b in shapely.boundary(zones)],
            out_shape=shape,
            transform=t,
            fill=0,
            all_touched=True,
            dtype="uint8",
        ).astype(bool)
        grown = edge.copy()  # one cell more around every boundary: those are clipped exactly
        grown[1:] |= edge[:-1]
        grown[:-1] |= edge[1:]
        grown[:, 1:] |= grown[:, :-1].copy()
        grown[:, :-1] |= grown[:, 1:].copy()
        self.grown = grown

    def area(self, ii: np.ndarray, jj: np.ndarray) -> np.ndarray:
        """Area (m²) of the cells (``ii``, ``jj``) in each unit: whole cells away from the
        boundaries, the squares clipped to the units near them."""
        t, zones = self.t, self.zones
        d_area = np.zeros(len(zones))
        inner = ~self.grown[ii, jj] & (self.zone_id[ii, jj] >= 0)
        d_area += (
            np.bincount(self.zone_id[ii[inner], jj[inner]], minlength=len(zones)) * self.cell_area
        )
        bi, bj = ii[~inner], jj[~inner]
        if len(bi):
            boxes = shapely.box(
                t.c + bj * t.a, t.f + (bi + 1) * t.e, t.c + (bj + 1) * t.a, t.f + bi * t.e
            )
            b_idx, z_idx = self.tree.query(boxes, predicate="intersects")
            d_area += np.bincount(
                z_idx,
                weights=shapely.area(shapely.intersection(boxes[b_idx], zones[z_idx])),
                minlength=len(zones),
            )
        return d_area


def _settled_people(
    d_area: np.ndarray,
    zone_area: np.ndarray,
    population: np.ndarray,
    scope: np.ndarray,
    people,
    gained: np.ndarray | None,
) -> float:
    """People a step adds: by the newly covered settlements (``gained`` pairs) in units with
    settlements, by the area share ``d_area`` in the others, scope units only."""
    share = d_area / np.where(zone_area > 0, zone_area, np.nan)
    touched = d_area > 0
    if gained is not None:
        d_people = np.bincount(
            people.pair_zone[gained],
            weights=people.pop[people.pair_pt[gained]],
            minlength=len(zone_area),
        )
        share = np.where(people.has, d_people / np.where(people.has, people.total, 1), share)
        touched |= d_people > 0
    touched &= scope
    return float(np.sum(population[touched] * share[touched]))
