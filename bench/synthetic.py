"""National commune polygons (cached) and seeded synthetic site layers for the benchmarks.

Nothing here is timed as part of the statistics: it only prepares the inputs.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo.io.loading import Dataset

WGS84 = "EPSG:4326"
# Metric CRS used only to *place* synthetic points (area-proportional sampling); analyse()
# chooses its own working CRS.
PLACE_CRS = "EPSG:32648"

# Technology mixes of a synthetic BTS site, with weights (roughly: most sites multi-technology,
# some 4G-only, a few legacy 2G-only, a handful of 5G).
TECH_MIX = {
    "2G;3G;4G": 0.45,
    "4G": 0.20,
    "2G;4G": 0.12,
    "3G;4G": 0.08,
    "2G": 0.06,
    "2G;3G": 0.05,
    "4G;5G": 0.04,
}
CARRIER_MIX = {"Viettel": 0.45, "VinaPhone": 0.30, "MobiFone": 0.25}
LOUDSPEAKER_MIX = {"cluster": 0.9, "commune_station": 0.09, "district_station": 0.01}
INTERNET_MIX = {"internet_shop": 0.7, "public_access": 0.2, "support_point": 0.1}


def cache_dir() -> Path:
    """Where the national GeoPackage and the inputs made from it are cached
    ($PHUSONG_BENCH_CACHE, else /tmp/phusong-bench), in a folder named after the code of
    geo/build/boundaries.py: a changed polygon method never reuses polygons of the old one."""
    import hashlib

    import geo.build.boundaries

    version = hashlib.sha256(Path(geo.build.boundaries.__file__).read_bytes()).hexdigest()[:10]
    d = Path(os.environ.get("PHUSONG_BENCH_CACHE", "/tmp/phusong-bench")) / f"boundaries-{version}"
    d.mkdir(parents=True, exist_ok=True)
    return d


def national_communes(cell_m: float = 100.0) -> tuple[gpd.GeoDataFrame, float | None]:
    """All ~10,040 legacy communes (EPSG:4326) and the build time in s (None if read from cache)."""
    path = cache_dir() / f"communes_national_{int(cell_m)}m.gpkg"
    if path.exists():
        return gpd.read_file(path), None
    from geo.build import boundaries

    t0 = time.perf_counter()
    if hasattr(boundaries, "approximate_communes_national"):
        gdf = boundaries.approximate_communes_national(cell_m=cell_m)
    else:  # fall back to the public per-area function on the whole country
        gdf = boundaries.approximate_communes(boundaries.legacy_units(), cell_m=cell_m)
    build_s = time.perf_counter() - t0
    gdf = gdf[~gdf.geometry.is_empty & gdf.geometry.notna()].reset_index(drop=True)
    tmp = path.with_suffix(".tmp.gpkg")
    gdf.to_file(tmp, driver="GPKG")
    tmp.replace(path)
    (cache_dir() / f"communes_national_{int(cell_m)}m.build_seconds").write_text(f"{build_s:.1f}\n")
    return gdf, build_s


def cached_build_seconds(cell_m: float = 100.0) -> float | None:
    p = cache_dir() / f"communes_national_{int(cell_m)}m.build_seconds"
    return float(p.read_text()) if p.exists() else None


def communes_layer(polys: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The schema's communes layer (geo.io.loading.SCHEMA['communes']) from approximate polygons."""
    n = len(polys)
    return gpd.GeoDataFrame(
        {
            "code": polys["code"].astype(str).to_numpy(),
            "name": polys["name"].astype(str).to_numpy(),
            "population": np.full(n, np.nan),
            "population_source": np.full(n, "", dtype=object),
            "especially_difficult": np.zeros(n, dtype=bool),
            "code_2025": polys["code_2025"].fillna("").astype(str).to_numpy(),
            "name_2025": polys["name_2025"].fillna("").astype(str).to_numpy(),
        },
        geometry=polys.geometry.to_numpy(),
        crs=polys.crs,
    )


def sample_points(
    polys: gpd.GeoDataFrame, n: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points uniformly distributed over the union of ``polys`` (area-proportional commune
    choice, then rejection inside the commune's bbox): EPSG:4326 shapely points and the row of
    ``polys`` holding each."""
    if n == 0:
        return np.empty(0, dtype=object), np.empty(0, dtype=int)
    metric = polys.to_crs(PLACE_CRS).geometry.to_numpy()
    area = shapely.area(metric)
    pick = rng.choice(len(metric), size=n, p=area / area.sum())
    out = np.empty(n, dtype=object)
    todo = np.arange(n)
    shapely.prepare(metric)
    bounds = shapely.bounds(metric)
    while len(todo):
        b = bounds[pick[todo]]
        x = rng.uniform(b[:, 0], b[:, 2])
        y = rng.uniform(b[:, 1], b[:, 3])
        pts = shapely.points(x, y)
        ok = shapely.contains(metric[pick[todo]], pts)
        out[todo[ok]] = pts[ok]
        todo = todo[~ok]
    return gpd.GeoSeries(out, crs=PLACE_CRS).to_crs(WGS84).to_numpy(), pick


def _choice(rng: np.random.Generator, mix: dict[str, float], n: int) -> np.ndarray:
    keys = np.array(list(mix), dtype=object)
    p = np.array(list(mix.values()), float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def synthetic_dataset(
    polys: gpd.GeoDataFrame,
    *,
    sites: int = 100_000,
    loudspeakers: int = 20_000,
    internet: int = 2_000,
    seed: int = 1,
) -> tuple[Dataset, dict[str, np.ndarray]]:
    """A :class:`geo.io.loading.Dataset` over ``polys`` with seeded synthetic point layers, and for
    each point layer the row of ``polys`` each point lies in."""
    rng = np.random.default_rng(seed)
    bts_xy, bts_in = sample_points(polys, sites, rng)
    bts = gpd.GeoDataFrame(
        {
            "site_id": [f"S{i:06d}" for i in range(sites)],
            "carrier": _choice(rng, CARRIER_MIX, sites),
            "technologies": _choice(rng, TECH_MIX, sites),
            "height_m": rng.uniform(15, 45, sites).round(1),
            "illustrative": np.ones(sites, dtype=bool),
        },
        geometry=bts_xy,
        crs=WGS84,
    )
    loud_xy, loud_in = sample_points(polys, loudspeakers, rng)
    loud = gpd.GeoDataFrame(
        {
            "id": [f"L{i:06d}" for i in range(loudspeakers)],
            "kind": _choice(rng, LOUDSPEAKER_MIX, loudspeakers),
            "radius_m": np.full(loudspeakers, np.nan),
            "illustrative": np.ones(loudspeakers, dtype=bool),
        },
        geometry=loud_xy,
        crs=WGS84,
    )
    inet_xy, inet_in = sample_points(polys, internet, rng)
    inet = gpd.GeoDataFrame(
        {
            "id": [f"I{i:06d}" for i in range(internet)],
            "kind": _choice(rng, INTERNET_MIX, internet),
            "illustrative": np.ones(internet, dtype=bool),
        },
        geometry=inet_xy,
        crs=WGS84,
    )
    ds = Dataset(
        communes=communes_layer(polys),
        bts_sites=bts,
        loudspeakers=loud,
        internet_points=inet,
        name="Việt Nam (synthetic sites)",
        sources=(
            "Commune polygons: approximated (vietnamadminunits)",
            f"Sites: synthetic, seed {seed}",
        ),
    )
    return ds, {"bts_sites": bts_in, "loudspeakers": loud_in, "internet_points": inet_in}


def regional_sample(
    dataset: Dataset, inside: dict[str, np.ndarray], n: int, anchor: str
) -> Dataset:
    """A contiguous region of the dataset: the ``n`` communes whose centroids are nearest to the
    centroid of commune ``anchor``, and the synthetic points placed inside them (so the site
    densities are the national ones)."""
    metric = dataset.communes.to_crs(PLACE_CRS)
    centroids = metric.geometry.centroid
    hit = np.flatnonzero(metric["code"].to_numpy() == anchor)
    if len(hit) == 0:
        raise SystemExit(f"anchor commune {anchor!r} not found")
    order = np.argsort(centroids.distance(centroids.iloc[hit[0]]).to_numpy(), kind="stable")
    keep = np.sort(order[:n])
    keep_mask = np.zeros(len(metric), dtype=bool)
    keep_mask[keep] = True
    layers = {
        name: getattr(dataset, name)[keep_mask[rows]].reset_index(drop=True)
        for name, rows in inside.items()
    }
    return Dataset(
        communes=dataset.communes.iloc[keep].reset_index(drop=True),
        **layers,
        name=f"{n} communes around {anchor}",
        sources=dataset.sources,
    )
