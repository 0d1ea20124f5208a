"""Plausible, clearly labelled *illustrative* positions for sites whose real positions are not public.

Operators' BTS lists, loudspeaker inventories and internet-shop addresses are not published for
Đakrông. To let phusong show something meaningful, these functions place the *number* of sites the
sources state at plausible spots with a fixed random seed: where a population grid says where people
live (``people``, :class:`geo.io.population.CellPeople` of the communes), loudspeaker clusters and
internet shops stand in the most populated cells (one per cell, as one per village-like cluster)
and BTS sites at the population centres, a few km apart; without a grid, around the commune centres. Every row they make has ``illustrative = True``; replace the files with real lists as
described in ``data/README.md``. Inputs and outputs are in a metric CRS (metres).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.io.population import CellPeople

# Illustrative BTS of one commune stand at least this far apart (m): about a 4G cell's radius, so
# they serve different hamlets.
BTS_SPACING_M = 2500.0


def allocate(total: int, weights: np.ndarray, *, minimum: int = 1) -> np.ndarray:
    """Split ``total`` items over units in proportion to ``weights`` (largest remainder), at least
    ``minimum`` each where possible; sums exactly to ``total``."""
    weights = np.asarray(weights, float)
    weights = np.where(np.isfinite(weights) & (weights > 0), weights, 0.0)
    if weights.sum() == 0:
        weights = np.ones(len(weights))
    n = len(weights)
    base = np.full(n, min(minimum, total // max(n, 1)), dtype=int)
    rest = total - base.sum()
    quota = rest * weights / weights.sum()
    counts = base + np.floor(quota).astype(int)
    remainder = total - counts.sum()
    order = np.argsort(-(quota - np.floor(quota)), kind="stable")
    counts[order[:remainder]] += 1
    return counts


def points_around(
    polygon: shapely.Geometry,
    centre: shapely.Point,
    count: int,
    *,
    rng: np.random.Generator,
    spread: float = 0.35,
) -> np.ndarray:
    """``count`` points inside ``polygon``, scattered around ``centre``.

    Points follow a normal distribution around the centre with a standard deviation of ``spread`` ×
    √(polygon area) — people in these communes live along valleys near the commune centre more than
    on the ridges — redrawn until they fall inside the polygon.
    """
    if count <= 0:
        return np.array([], dtype=object)
    sigma = spread * np.sqrt(polygon.area)
    shapely.prepare(polygon)  # many contains() calls against one polygon
    found: list[shapely.Point] = []
    for _ in range(200):  # bounded retries; each round draws a batch
        xy = rng.normal([centre.x, centre.y], sigma, size=(4 * count, 2))
        candidates = shapely.points(xy)
        inside = candidates[shapely.contains(polygon, candidates)]
        found.extend(inside[: count - len(found)])
        if len(found) >= count:
            break
    while len(found) < count:  # degenerate slivers: fall back to a point on the surface
        found.append(shapely.point_on_surface(polygon))
    return np.array(found, dtype=object)


def commune_centres(communes: gpd.GeoDataFrame) -> np.ndarray:
    """A centre per commune: its ``centre_lon``/``centre_lat`` (WGS 84) if given and inside the
    polygon, else a point on its surface. Same CRS as ``communes``."""
    surface = shapely.point_on_surface(communes.geometry.to_numpy())
    if {"centre_lon", "centre_lat"} <= set(communes.columns):
        given = (
            gpd.GeoSeries(
                gpd.points_from_xy(communes["centre_lon"], communes["centre_lat"]), crs=4326
            )
            .to_crs(communes.crs)
            .to_numpy()
        )
        inside = shapely.contains(communes.geometry.to_numpy(), given)
        return np.where(inside, given, surface)
    return surface


def populated_spots(
    people: CellPeople | None, index: int, count: int, *, spacing_m: float = 0.0
) -> np.ndarray:
    """Up to ``count`` points in the most populated grid cells of commune ``index`` (one per cell,
    most people first, at least ``spacing_m`` apart), each at its cell's hamlet point (the cell
    centre where it lies in the commune): as if the cell's people lived in one hamlet there, the
    "hamlet" reading of :mod:`geo.io.population`. Empty without a grid or where the commune is off it."""
    if people is None or count <= 0:
        return np.array([], dtype=object)
    mine = np.flatnonzero((people.zone == index) & ~people.whole & (people.people > 0))
    mine = mine[np.argsort(-people.people[mine], kind="stable")]
    chosen: list[shapely.Point] = []
    for k in mine:
        if len(chosen) >= count:
            break
        spot = people.points[k]
        if spacing_m and any(spot.distance(c) < spacing_m for c in chosen):
            continue
        chosen.append(spot)
    return np.array(chosen, dtype=object)


def _spots(
    polygon,
    centre,
    count: int,
    people: CellPeople | None,
    index: int,
    *,
    rng: np.random.Generator,
    spread: float,
    spacing_m: float = 0.0,
) -> np.ndarray:
    """``count`` points: in populated cells first (:func:`populated_spots`), the rest around the
    commune's centre (:func:`points_around`)."""
    found = populated_spots(people, index, count, spacing_m=spacing_m)
    rest = points_around(polygon, centre, count - len(found), rng=rng, spread=spread)
    return np.concatenate([found, rest]) if len(rest) else found


def loudspeakers(
    communes: gpd.GeoDataFrame,
    *,
    clusters: int,
    district_station_code: str | None,
    seed: int = 2023,
    people: CellPeople | None = None,
) -> gpd.GeoDataFrame:
    """One commune radio station at each commune centre, one district station at the centre of
    ``district_station_code`` and ``clusters`` loudspeaker clusters split over communes by
    population (at least one each): one per populated cell of the grid (``people``), most people
    first, else scattered around the centres."""
    rng = np.random.default_rng(seed)
    centres = commune_centres(communes)
    counts = allocate(clusters, _population(communes, people))
    rows = []
    for i, (code, polygon) in enumerate(zip(communes["code"], communes.geometry)):
        rows.append({"id": f"CS-{code}", "kind": "commune_station", "geometry": centres[i]})
        for j, point in enumerate(
            _spots(polygon, centres[i], counts[i], people, i, rng=rng, spread=0.35), 1
        ):
            rows.append({"id": f"CL-{code}-{j:02d}", "kind": "cluster", "geometry": point})
        if code == district_station_code:
            rows.append({"id": "DS-1", "kind": "district_station", "geometry": centres[i]})
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=communes.crs)
    out["radius_m"] = np.nan
    out["illustrative"] = True
    return out


def bts_sites(
    communes: gpd.GeoDataFrame,
    *,
    without_modern: int,
    town_code: str | None,
    seed: int = 2023,
    people: CellPeople | None = None,
) -> gpd.GeoDataFrame:
    """Illustrative BTS sites: per commune one Viettel site at the centre, a VinaPhone site where
    the commune has more than 3,000 people, a MobiFone site in the town and in communes over 5,000
    people, and an extra Viettel site for every further 2,500 people. The ``without_modern``
    communes farthest from the town get 2G only (the source says 3G and 4G reach *most*, not all,
    communes); elsewhere sites carry 2G;3G;4G (MobiFone 2G;3G). With a population grid
    (``people``) the sites stand at the commune's population centres (most populated cells,
    ``BTS_SPACING_M`` apart), else the first at the commune centre and the rest around it."""
    rng = np.random.default_rng(seed)
    centres = commune_centres(communes)
    population = np.nan_to_num(_population(communes, people))
    codes = communes["code"].to_numpy()
    town = centres[list(codes).index(town_code)] if town_code in set(codes) else centres[0]
    remote = set(
        codes[np.argsort(-shapely.distance(centres, town), kind="stable")[:without_modern]]
    )
    rows = []
    for i, (code, polygon) in enumerate(zip(codes, communes.geometry)):
        modern = code not in remote
        plan = [("Viettel", "2G;3G;4G" if modern else "2G")]
        plan += [("Viettel", "2G;3G;4G" if modern else "2G")] * int(
            max(population[i] - 2500, 0) // 2500
        )
        if population[i] > 3000 or code == town_code:
            plan.append(("VinaPhone", "2G;3G;4G" if modern else "2G"))
        if population[i] > 5000 or code == town_code:
            plan.append(("MobiFone", "2G;3G" if modern else "2G"))
        spots = populated_spots(people, i, len(plan), spacing_m=BTS_SPACING_M)
        if len(spots) == 0:
            spots = np.array([centres[i]], dtype=object)
        spots = np.concatenate(
            [spots, points_around(polygon, centres[i], len(plan) - len(spots), rng=rng, spread=0.3)]
        )
        for j, ((carrier, techs), point) in enumerate(zip(plan, spots), 1):
            rows.append(
                {
                    "site_id": f"BTS-{code}-{j:02d}",
                    "carrier": carrier,
                    "technologies": techs,
                    "height_m": 30.0 if modern else 24.0,
                    "geometry": point,
                }
            )
    out = gpd.GeoDataFrame(rows, geometry="geometry", crs=communes.crs)
    out["illustrative"] = True
    return out


def internet_points(
    communes: gpd.GeoDataFrame,
    shops_by_code: dict[str, int],
    *,
    seed: int = 2023,
    people: CellPeople | None = None,
) -> gpd.GeoDataFrame:
    """``shops_by_code[code]`` internet shops in each named commune: in its most populated cells
    (``people``), else near its centre."""
    rng = np.random.default_rng(seed)
    centres = commune_centres(communes)
    rows = []
    for i, (code, polygon) in enumerate(zip(communes["code"], communes.geometry)):
        count = int(shops_by_code.get(code, 0))
        for j, point in enumerate(
            _spots(polygon, centres[i], count, people, i, rng=rng, spread=0.05), 1
        ):
            rows.append({"id": f"NET-{code}-{j}", "kind": "internet_shop", "geometry": point})
    out = (
        gpd.GeoDataFrame(rows, geometry="geometry", crs=communes.crs)
        if rows
        else gpd.GeoDataFrame({"id": [], "kind": []}, geometry=gpd.GeoSeries([], crs=communes.crs))
    )
    out["illustrative"] = True
    return out


def _population(communes: gpd.GeoDataFrame, people: CellPeople | None) -> np.ndarray:
    """Each commune's population: the given one, else the grid's where there is one."""
    given = communes["population"].to_numpy(float)
    return given if people is None else np.where(np.isfinite(given), given, people.population)


def as_csv_table(points: gpd.GeoDataFrame) -> pd.DataFrame:
    """Point layer as a table with ``lat``/``lon`` (WGS 84, 6 decimals ≈ 0.1 m) after its id."""
    wgs = points.to_crs(4326)
    table = pd.DataFrame(wgs.drop(columns="geometry"))
    table.insert(1, "lat", wgs.geometry.y.round(6))
    table.insert(2, "lon", wgs.geometry.x.round(6))
    return table
