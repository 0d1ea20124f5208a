"""Synthetic field truth for the field-evidence tests: sites on a grid, readings drawn around
them, service decided by a known radius per carrier × technology, then flipped with label noise."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from builders import UTM48N, X0, Y0

# carrier, technology -> the true radius (m) the readings are generated from
TRUTH = {
    ("Viettel", "4G"): 2200.0,
    ("VinaPhone", "4G"): 1600.0,
    ("Viettel", "2G"): 4200.0,
    ("MobiFone", "3G"): 2600.0,
}


def sites() -> gpd.GeoDataFrame:
    """Three masts per carrier, 20 km apart (no disc overlaps another), EPSG:4326."""
    rows = []
    for k, carrier in enumerate(("Viettel", "VinaPhone", "MobiFone")):
        techs = {"Viettel": "2G;3G;4G", "VinaPhone": "2G;3G;4G", "MobiFone": "2G;3G"}[carrier]
        for j in range(3):
            rows.append(
                {
                    "site_id": f"{carrier}-{j}",
                    "carrier": carrier,
                    "technologies": techs,
                    "height_m": 30.0,
                    "illustrative": False,
                    "x": X0 + 20_000.0 * j + 300.0 * k,
                    "y": Y0 + 25_000.0 * k,
                }
            )
    frame = pd.DataFrame(rows)
    geometry = shapely.points(frame.pop("x"), frame.pop("y"))
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=UTM48N).to_crs(4326)


def readings(
    n_per_group: int = 400, noise: float = 0.1, seed: int = 7, truth: dict = TRUTH
) -> gpd.GeoDataFrame:
    """``n_per_group`` readings per carrier × technology of ``truth``, uniform in distance from
    0 to twice the true radius around a random mast of the carrier; service = distance ≤ radius,
    flipped for a ``noise`` share. EPSG:4326, columns carrier, technology, service, distance_m."""
    rng = np.random.default_rng(seed)
    masts = sites().to_crs(UTM48N)
    frames = []
    for (carrier, tech), radius in truth.items():
        own = masts[masts["carrier"] == carrier]
        k = rng.integers(0, len(own), n_per_group)
        d = rng.uniform(0, 2 * radius, n_per_group)
        angle = rng.uniform(0, 2 * np.pi, n_per_group)
        x = own.geometry.x.to_numpy()[k] + d * np.cos(angle)
        y = own.geometry.y.to_numpy()[k] + d * np.sin(angle)
        service = (d <= radius) ^ (rng.random(n_per_group) < noise)
        frames.append(
            gpd.GeoDataFrame(
                {
                    "carrier": carrier,
                    "technology": tech,
                    "service": np.where(service, "yes", "no"),
                    "distance_m": d,
                },
                geometry=shapely.points(x, y),
                crs=UTM48N,
            )
        )
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=UTM48N).to_crs(4326)
