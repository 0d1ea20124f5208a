"""Time and peak memory of `geo check` on 100,000 readings against the default Đakrông data.

    uv run python bench/check.py [--readings 100000] [--seed 1] [--repeat 3]

Readings are drawn uniformly over the communes' bounding box, spread over the three carriers and
2G/3G/4G, with service decided by a 2.5 km radius (10 % of labels flipped), written as a
G-NetTrack-style CSV. Timed stages, each the minimum of ``--repeat`` runs in one process: import
(the common importer: parsing, coordinates, carriers, levels), compare + fit + compare again +
confidence (:func:`geo.analysis.fieldcheck.check`), and the map's HTML. Peak memory is the
process's ``ru_maxrss``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.analysis import gaps
from geo.io import loading
from geo.render import maps
from geo.analysis import agreement, calibration, fieldcheck
from geo.crs import working_crs
from geo.io import fieldfiles
from geo.render import field_map

TECH = {"2G": "GSM", "3G": "UMTS", "4G": "LTE"}
LEVEL = {"2G": (-90, -110), "3G": (-95, -118), "4G": (-100, -131)}  # (service, none) in dBm


def synthetic_log(path: Path, n: int, seed: int) -> Path:
    ds = loading.load_dataset(settings.DEFAULT_DATA_DIR)
    crs = working_crs(ds.communes)
    sites = ds.bts_sites.to_crs(crs)
    xmin, ymin, xmax, ymax = ds.communes.to_crs(crs).total_bounds
    rng = np.random.default_rng(seed)
    x, y = rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n)
    pts = shapely.points(x, y)
    carrier = rng.choice(["Viettel", "VinaPhone", "MobiFone"], n)
    tech = rng.choice(["2G", "3G", "4G"], n)
    service = np.zeros(n, bool)
    for c in ("Viettel", "VinaPhone", "MobiFone"):
        for t in TECH:
            k = np.flatnonzero((carrier == c) & (tech == t))
            d, _ = agreement.serving_distance_m(pts[k], sites, c, t)
            service[k] = d <= 2500
    service ^= rng.random(n) < 0.1
    ll = gpd.GeoSeries(pts, crs=crs).to_crs(4326)
    level = np.array([LEVEL[t][0 if s else 1] for t, s in zip(tech, service)])
    pd.DataFrame(
        {
            "Timestamp": "2026.03.01_10.00.00",
            "Longitude": ll.x.round(6),
            "Latitude": ll.y.round(6),
            "Operatorname": carrier,
            "NetworkTech": [TECH[t] for t in tech],
            "Level": level,
        }
    ).to_csv(path, index=False)
    return path


def best(repeat: int, run):
    """(wall seconds, CPU seconds of this process, result): the run with the least wall time."""
    times, out = [], None
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        out = run()
        times.append((time.perf_counter() - t0, time.process_time() - c0))
    wall, cpu = min(times)
    return wall, cpu, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--readings", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    ds = loading.load_dataset(settings.DEFAULT_DATA_DIR)
    with tempfile.TemporaryDirectory() as tmp:
        log = synthetic_log(Path(tmp) / "gnettrack.csv", args.readings, args.seed)
        t_import = best(
            args.repeat,
            lambda: fieldfiles.import_files([(log, "measurement")], communes=ds.communes),
        )
    readings, problems = t_import[2]
    prepared = gaps.prepare(ds)
    t_compare = best(
        args.repeat,
        lambda: agreement.compare(
            readings, ds.bts_sites, communes=prepared.units, crs=prepared.crs
        ),
    )
    t_fit = best(args.repeat, lambda: calibration.calibrate(t_compare[2].readings))
    t_conf = best(
        args.repeat,
        lambda: agreement.confidence(
            t_compare[2], prepared.units, people=gaps.people_shares(prepared)
        ),
    )
    t_check = best(args.repeat, lambda: fieldcheck.check(ds, readings))
    result = t_check[2]
    t_map = best(
        args.repeat,
        lambda: maps.to_html(
            field_map.field_map(
                result.before, result.units, lang="vi", confidence=result.confidence_layer
            )
        ),
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"readings kept: {len(readings):,} of {args.readings:,} ({len(problems)} problems)")
    print("stage: wall s / CPU s")
    for label, t in (
        ("import (common importer + field hook)", t_import),
        ("compare (nearest serving site, agreement)", t_compare),
        ("fit (9 carrier x technology)", t_fit),
        ("confidence per commune", t_conf),
        ("check = compare + fit + compare + confidence", t_check),
        ("map HTML", t_map),
    ):
        print(f"  {label}: {t[0]:.2f} / {t[1]:.2f}")
    print(f"map HTML size: {len(t_map[2]) / 1e6:.1f} MB")
    print(f"peak memory (ru_maxrss): {peak_mb:.0f} MB")
    print(result.table.to_string(index=False))


if __name__ == "__main__":
    main()
