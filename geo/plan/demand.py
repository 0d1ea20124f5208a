"""Demand: what the service's existing sites leave uncovered, as weighted points (settlements,
or cells of a square grid), and the people of a unit inside a covered area (:class:`People`),
counted as :func:`geo.analysis.gaps.analyse` counts them.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from shapely import STRtree

from geo.analysis import coverage
from geo.precision import private_prepared
from geo.model.schema import Dataset
from geo.plan.request import AREA_TIE_BREAK_PER_KM2
from geo.settings import CoverageParams


def existing_reach(
    dataset: Dataset, service: str, params: CoverageParams, crs, *, technology: str | None
) -> np.ndarray:
    """Reach of the service's existing sites, exactly as geo.analysis.gaps.analyse computes it."""
    if service == "bts":
        bts = coverage.filter_sites(dataset.bts_sites, params).to_crs(crs)
        return coverage.site_reach(bts, params, technology=technology)
    if service == "loudspeaker":
        return coverage.loudspeaker_reach(dataset.loudspeakers.to_crs(crs), params)
    return coverage.internet_reach(dataset.internet_points.to_crs(crs), params)


def lacking_c03(dataset: Dataset, units: gpd.GeoDataFrame, crs) -> np.ndarray:
    """Units that need a Circular 03 support point and have none (as geo.analysis.gaps counts them)."""
    inet = dataset.internet_points.to_crs(crs)
    support = inet[inet["kind"] == "support_point"].geometry.to_numpy()
    zones = units.geometry.to_numpy()
    count = np.zeros(len(units))
    if len(support):
        z, _ = STRtree(support).query(zones, predicate="intersects")
        count = np.bincount(z, minlength=len(units))
    required = units["especially_difficult"].fillna(False).astype(bool).to_numpy()
    return required & (count == 0)


def grid_people(dataset: Dataset, vintage: str):
    """geo.analysis.gaps' people rule for the units (settlements > population grid > area) when the dataset
    has a population grid; else None."""
    if dataset.population is None:
        return None
    from geo.analysis import gaps

    return gaps.people_shares(gaps.prepare(dataset, vintage=vintage))


class People:
    """People of each unit inside a covered area, counted as geo.analysis.gaps.analyse counts them:
    by the unit's settlements' people where it has any, else by its population-grid people
    (``grid``: :func:`geo.analysis.gaps.people_shares`), else by area share."""

    def __init__(self, zones: np.ndarray, settlements: gpd.GeoDataFrame | None, grid=None):
        self.zones = zones
        self.grid = grid
        if settlements is None:
            self.pair_zone = self.pair_pt = np.array([], np.int64)
            self.points, self.pop = np.array([], dtype=object), np.array([])
        else:
            self.points = settlements.geometry.to_numpy()
            self.pop = settlements["population"].to_numpy(float)
            self.pair_zone, self.pair_pt = STRtree(self.points).query(zones, predicate="intersects")
        self.total = (
            np.bincount(self.pair_zone, weights=self.pop[self.pair_pt], minlength=len(zones))
            if len(self.pair_zone)
            else np.zeros(len(zones))
        )
        self.has = self.total > 0

    def inside(self, geoms: np.ndarray, pairs: np.ndarray | None = None) -> np.ndarray:
        """Per pair (unit, settlement): is the settlement in the unit's covered geometry?"""
        sel = np.arange(len(self.pair_zone)) if pairs is None else pairs
        used = np.unique(self.pair_zone[sel])
        local = np.asarray(geoms, dtype=object).copy()
        local[used] = private_prepared(local[used])  # the analyses' geometries are shared
        return shapely.intersects(local[self.pair_zone[sel]], self.points[self.pair_pt[sel]])

    def covered(
        self, geoms: np.ndarray, zone_area: np.ndarray, population: np.ndarray
    ) -> np.ndarray:
        """People of each unit inside ``geoms`` (one geometry per unit)."""
        share = shapely.area(geoms) / np.where(zone_area > 0, zone_area, np.nan)
        if self.grid is not None:  # settlements, grid, area: geo.analysis.gaps' rule itself
            return population * self.grid(geoms, share)
        if len(self.pair_zone):
            w = self.pop[self.pair_pt] * self.inside(geoms)
            inside = np.bincount(self.pair_zone, weights=w, minlength=len(self.zones))
            share = np.where(self.has, inside / np.where(self.has, self.total, 1), share)
        return population * share


def demand_points(
    zones, zone_area, population, scope, base, people: People, objective: str, cell_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Demand points (working CRS) and their weights (people, or km² for the area objective):
    uncovered settlements of settlement units, uncovered cell centres of the others."""
    pts_parts, w_parts = [], []
    use_settlements = people.has & scope & (objective == "people")
    if use_settlements.any():
        sel = np.flatnonzero(use_settlements[people.pair_zone])
        uncovered = ~people.inside(base, sel)
        sel = sel[uncovered]
        z = people.pair_zone[sel]
        w = population[z] * people.pop[people.pair_pt[sel]] / people.total[z]
        pts_parts.append(people.points[people.pair_pt[sel]])
        w_parts.append(w)
    cell_units = scope & ~use_settlements
    if cell_units.any():
        idx = np.flatnonzero(cell_units)
        xmin, ymin, xmax, ymax = shapely.total_bounds(zones[idx])
        xs = np.arange(xmin + cell_m / 2, xmax, cell_m)
        ys = np.arange(ymin + cell_m / 2, ymax, cell_m)
        gx, gy = np.meshgrid(xs, ys)
        centres = shapely.points(gx.ravel(), gy.ravel())
        zi, reps_idx = STRtree(centres).query(private_prepared(zones[idx]), predicate="contains")
        zi, reps = idx[zi], centres[reps_idx]
        area = np.full(len(reps), cell_m * cell_m)
        hit = np.zeros(len(reps), bool)
        own = np.flatnonzero(cell_units & ~shapely.is_empty(base))
        if len(own):  # cells whose centre lies in their own unit's existing coverage
            b_idx, p_idx = STRtree(reps).query(base[own], predicate="intersects")
            hit[p_idx[zi[p_idx] == own[b_idx]]] = True
        zi, area, reps = zi[~hit], area[~hit], reps[~hit]
        w = area / 1e6 if objective == "area" else population[zi] * area / zone_area[zi]
        if objective == "people" and people.grid is not None and people.grid.on_grid.any():
            w = grid_demand(people.grid, reps, zi, cell_m, population, w)
        pts_parts.append(reps)
        w_parts.append(w)
    if not pts_parts:
        return np.array([], dtype=object), np.array([])
    pts, w = np.concatenate(pts_parts), np.concatenate(w_parts)
    if objective == "people" and cell_units.any():  # area as the tie-break (cells only)
        n_cells = len(pts_parts[-1])
        w = np.where(np.isfinite(w), w, 0.0)
        w[len(w) - n_cells :] += AREA_TIE_BREAK_PER_KM2 * area / 1e6
    keep = np.isfinite(w) & (w > 0)
    return pts[keep], w[keep]


def grid_demand(
    grid, reps: np.ndarray, zi: np.ndarray, cell_m: float, population: np.ndarray, w: np.ndarray
) -> np.ndarray:
    """Demand weights of cells of units on the population grid: the people of the grid pieces of
    their unit inside the cell's square (people even within a grid cell), scaled to the unit's
    population; other cells keep ``w``."""
    pieces = grid.people
    xy = shapely.get_coordinates(reps)
    half = cell_m / 2
    squares = shapely.box(xy[:, 0] - half, xy[:, 1] - half, xy[:, 0] + half, xy[:, 1] + half)
    ci, pi = STRtree(pieces.geoms).query(squares, predicate="intersects")
    same = pieces.zone[pi] == zi[ci]
    ci, pi = ci[same], pi[same]
    frac = shapely.area(shapely.intersection(squares[ci], pieces.geoms[pi])) / np.maximum(
        shapely.area(pieces.geoms[pi]), 1e-9
    )
    weight_of_unit = np.bincount(pieces.zone, weights=pieces.people, minlength=len(population))
    people = np.bincount(ci, weights=pieces.people[pi] * frac, minlength=len(reps))
    scale = population[zi] / np.where(weight_of_unit[zi] > 0, weight_of_unit[zi], np.nan)
    return np.where(grid.on_grid[zi], people * scale, w)
