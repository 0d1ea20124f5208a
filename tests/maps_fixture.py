"""A small synthetic GapAnalysis for the map and snapshot tests (no files, no network).

Three 5 km square communes side by side in EPSG:32648 near 16.5° N 106.9° E, a few BTS sites of
three carriers, two loudspeakers, one internet point and some uncovered-area polygons.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box

from geo.analysis.gaps import GapAnalysis, UncoveredAreas
from geo.settings import CoverageParams

CRS = "EPSG:32648"
X0, Y0 = 700_000.0, 1_822_000.0  # about 16.47° N 106.88° E
SIDE = 5_000.0
NAMES = ("Tà Rụt", "Hướng Hiệp", "A Ngo")


COLUMNS = 5  # communes per row of the grid


def _origin(i: int) -> tuple[float, float]:
    return X0 + (i % COLUMNS) * SIDE, Y0 + (i // COLUMNS) * SIDE


def _cycle(values, n: int) -> np.ndarray:
    return np.resize(np.asarray(values, dtype=float), n)


def _communes(names) -> gpd.GeoDataFrame:
    n = len(names)
    geoms = [box(*_origin(i), _origin(i)[0] + SIDE, _origin(i)[1] + SIDE) for i in range(n)]
    no_4g = _cycle([70.0, 30.0, 3.0, 45.0, 10.0], n)
    pop = _cycle([4000.0, np.nan, 2500.0, 1200.0, 800.0], n)
    df = pd.DataFrame(
        {
            "code": [f"1{i:04d}" for i in range(n)],
            "name": list(names),
            "area_km2": [25.0] * n,
            "population": pop,
            "population_basis": ["uniform"] * n,
        }
    )
    pct = {
        "no_4g_pct": no_4g,
        "no_mobile_pct": no_4g / 2,
        "no_loudspeaker_pct": _cycle([80.0, 50.0, 20.0, 60.0, 5.0], n),
        "no_internet_pct": _cycle([90.0, 40.0, 10.0, 30.0, 20.0], n),
        "no_service_pct": no_4g / 4,
        "at_risk_pct": _cycle([10.0, 5.0, 0.0, 2.0, 1.0], n),
    }
    for k, v in pct.items():
        df[k] = v
    df["mobile_covered_pct"] = 100 - df["no_mobile_pct"]
    df["covered_2g_pct"] = df["mobile_covered_pct"]
    df["covered_3g_pct"] = df["mobile_covered_pct"] - 5
    df["covered_4g_pct"] = 100 - df["no_4g_pct"]
    df["covered_5g_pct"] = 0.0
    for c in ("viettel", "vinaphone", "mobifone"):
        df[f"covered_{c}_pct"] = df["covered_4g_pct"] / 2
    df["loudspeaker_covered_pct"] = 100 - df["no_loudspeaker_pct"]
    df["internet_access_pct"] = 100 - df["no_internet_pct"]
    for g in ("no_4g", "no_mobile", "no_loudspeaker", "no_internet", "no_service", "at_risk"):
        df[f"{g}_pop"] = df[f"{g}_pct"] / 100 * df["population"]
    df["c03_required"] = _cycle([1, 0, 1, 0, 0], n).astype(bool)
    df["c03_present"] = _cycle([0, 0, 1, 0, 0], n).astype(bool)
    df["support_points"] = df["c03_present"].astype(int)
    df["gap_score"] = _cycle([62.0, 31.0, 8.0, 40.0, 12.0], n)
    df["gap_rank"] = df["gap_score"].rank(ascending=False, method="first").astype(int)
    return gpd.GeoDataFrame(df, geometry=geoms, crs=CRS)


def _gaps(communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    rows = []
    for i, r in communes.reset_index(drop=True).iterrows():
        x, y = _origin(i)
        for kind, frac in (("no_4g", 0.7), ("no_mobile", 0.35), ("no_loudspeaker", 0.8)):
            g = box(x, y, x + SIDE * frac, y + SIDE * 0.6)
            rows.append(
                {
                    "code": r["code"],
                    "name": r["name"],
                    "gap": kind,
                    "area_km2": g.area / 1e6,
                    "geometry": g,
                }
            )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=CRS)


def _many_bts(n: int, illustrative: bool, n_communes: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(0)
    rows = max(1, -(-n_communes // COLUMNS))
    xs = X0 + rng.uniform(0, SIDE * min(n_communes, COLUMNS), n)
    ys = Y0 + rng.uniform(0, SIDE * rows, n)
    carriers = np.resize(["Viettel", "VinaPhone", "MobiFone", "Vietnamobile", "other"], n)
    return gpd.GeoDataFrame(
        {
            "site_id": [f"S{i:04d}" for i in range(n)],
            "carrier": carriers,
            "technologies": np.resize(["2G;3G;4G", "4G", "3G;4G;5G"], n),
            "height_m": rng.uniform(15, 60, n).round(1),
            "illustrative": [illustrative] * n,
        },
        geometry=gpd.points_from_xy(xs, ys),
        crs=CRS,
    )


def _sites(
    illustrative: bool, n_bts: int | None = None, n_communes: int = 3
) -> dict[str, gpd.GeoDataFrame]:
    bts = (
        _many_bts(n_bts, illustrative, n_communes)
        if n_bts
        else gpd.GeoDataFrame(
            {
                "site_id": ["VT_1", "VT_2", "VNP_1", "MBF_1"],
                "carrier": ["Viettel", "Viettel", "VinaPhone", "MobiFone"],
                "technologies": ["2G;3G;4G", "4G", "3G;4G", "2G;4G"],
                "height_m": [30.0, 42.0, np.nan, 25.0],
                "illustrative": [illustrative] * 4,
            },
            geometry=[
                Point(X0 + 4000, Y0 + 4000),
                Point(X0 + 9000, Y0 + 3500),
                Point(X0 + 12000, Y0 + 1000),
                Point(X0 + 13500, Y0 + 4200),
            ],
            crs=CRS,
        )
    )
    speakers = gpd.GeoDataFrame(
        {
            "id": ["L1", "L2"],
            "kind": ["cluster", "commune_station"],
            "radius_m": [300.0, 500.0],
            "illustrative": [illustrative] * 2,
        },
        geometry=[Point(X0 + 2500, Y0 + 4500), Point(X0 + 7500, Y0 + 4000)],
        crs=CRS,
    )
    internet = gpd.GeoDataFrame(
        {
            "id": ["I1"],
            "kind": ["support_point"],
            "illustrative": [illustrative],
        },
        geometry=[Point(X0 + 12500, Y0 + 2500)],
        crs=CRS,
    )
    return {"bts_sites": bts, "loudspeakers": speakers, "internet_points": internet}


def synthetic_analysis(
    names=NAMES, *, illustrative: bool = True, n_bts: int | None = None
) -> GapAnalysis:
    """A GapAnalysis with one 5 km square commune per name (rows of five).

    ``n_bts`` replaces the four hand-placed BTS sites with that many random (seeded) ones.
    """
    communes = _communes(names)
    return GapAnalysis(
        communes=communes,
        uncovered=UncoveredAreas.from_table(_gaps(communes)),
        sites=_sites(illustrative, n_bts, len(communes)),
        vintage="2025",
        params=CoverageParams(),
        dataset_name="Đakrông (Quảng Trị) — thử nghiệm",
        sources=("Ranh giới xã: dữ liệu thử nghiệm", "Trạm BTS: minh hoạ"),
    )
