"""Measure geo.build.boundaries against the derived Đakrông commune polygons, where they are available.

The reference (``../shared/data/raw/derived/dakrong_communes_13_derived.geojson``, next to the repo)
is read at run time only; nothing from it is written into the repository.

    uv run python scripts/measure_boundaries.py [--cell-m 100] [--timings]

Prints a markdown table: IoU per legacy commune, mean IoU, total area against the 1,228 km²
official district outline, and the IoU of the five 2025 communes after merging: the accuracy
table of ``data/BOUNDARIES.md`` (which describes the method).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

from geo.build import boundaries

ROOT = Path(__file__).resolve().parents[1]

RAW = ROOT.parent / "shared" / "data" / "raw"
REFERENCE = RAW / "derived" / "dakrong_communes_13_derived.geojson"
DISTRICT = "467"
DISTRICT_KM2 = 1228.0  # official outline of huyện Đa Krông


def iou(a: shapely.Geometry, b: shapely.Geometry) -> float:
    union = shapely.union(a, b).area
    return float(shapely.intersection(a, b).area / union) if union > 0 else 0.0


def measure(cell_m: float = 100.0) -> dict:
    """IoU of approximate vs reference polygons (both in the district's UTM zone)."""
    ref = gpd.read_file(REFERENCE)
    ref["code"] = ref["commune_code"].astype(str)
    units = boundaries.legacy_units(district_code=DISTRICT)
    approx = boundaries.approximate_communes(units, cell_m=cell_m)
    utm = approx.estimate_utm_crs()
    a = approx.to_crs(utm).set_index("code")
    r = ref.to_crs(utm).set_index("code")
    rows = [
        (
            code,
            a.at[code, "name"],
            a.at[code, "area_km2"],
            r.geometry[code].area / 1e6,
            iou(a.geometry[code], r.geometry[code]),
        )
        for code in a.index
        if code in r.index
    ]
    merged = boundaries.merge_to_2025(approx).to_crs(utm)
    # Reference 2025 communes = reference legacy polygons dissolved with the same crosswalk.
    r25 = r.join(a[["code_2025"]]).dissolve("code_2025")
    rows25 = [
        (
            m.code,
            m.name,
            m.legacy_codes,
            m.area_km2,
            r25.geometry[m.code].area / 1e6,
            iou(m.geometry, r25.geometry[m.code]),
        )
        for m in merged.itertuples()
        if m.code in r25.index
    ]
    return {"rows": rows, "rows25": rows25, "total_km2": float(approx["area_km2"].sum())}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cell-m", type=float, default=100.0)
    ap.add_argument(
        "--timings", action="store_true", help="also time a district, province, country"
    )
    args = ap.parse_args()
    if not REFERENCE.exists():
        print(f"reference data not found at {REFERENCE}; nothing to measure")
        return 0
    m = measure(args.cell_m)
    print(f"### Đakrông (district {DISTRICT}), cell {args.cell_m:g} m\n")
    print("| code | commune | approx km² | reference km² | IoU |")
    print("|---|---|---:|---:|---:|")
    for code, name, ak, rk, v in m["rows"]:
        print(f"| {code} | {name} | {ak:.1f} | {rk:.1f} | {v:.3f} |")
    ious = [r[-1] for r in m["rows"]]
    print(f"\nmean IoU (13 legacy communes): **{np.mean(ious):.4f}** (min {np.min(ious):.3f})")
    tot = m["total_km2"]
    print(
        f"total area: **{tot:.1f} km²** vs {DISTRICT_KM2:,.0f} km² ({100 * (tot / DISTRICT_KM2 - 1):+.1f} %)\n"
    )
    print("| 2025 code | 2025 commune | legacy codes | approx km² | reference km² | IoU |")
    print("|---|---|---|---:|---:|---:|")
    for code, name, legacy, ak, rk, v in m["rows25"]:
        print(f"| {code} | {name} | {legacy} | {ak:.1f} | {rk:.1f} | {v:.3f} |")
    print(f"\nmean IoU (5 communes of 2025): **{np.mean([r[-1] for r in m['rows25']]):.4f}**")
    if args.timings:
        print("\n| run | units | seconds |\n|---|---:|---:|")
        for label, kw in (
            ("district 467", {"district_code": "467"}),
            ("province 45", {"province_code": "45"}),
        ):
            u = boundaries.legacy_units(**kw)
            t0 = time.perf_counter()
            boundaries.approximate_communes(u, cell_m=args.cell_m)
            print(f"| {label} | {len(u)} | {time.perf_counter() - t0:.2f} |")
        t0 = time.perf_counter()
        nat = boundaries.approximate_communes_national(cell_m=args.cell_m)
        print(f"| Vietnam | {len(nat)} | {time.perf_counter() - t0:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
