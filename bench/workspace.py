"""Workspace timings: save a dataset as a version and open it again, beside loading its folder.

    uv run python bench/workspace.py [--postgres URL] [--repeat 3]

Two datasets, timed in the same run: the embedded Đakrông default (13 communes), and a
province-sized area of 400 communes (the approximate national polygons of bench/synthetic.py,
400 consecutive GSO codes around Đakrông: Quảng Bình – Quảng Trị – Thừa Thiên Huế) with seeded
synthetic sites (4,000 BTS, 4,000 loudspeakers, 400 internet points) written as a folder.
Each step is timed ``--repeat`` times (median and max printed): loading the folder
(``geo.io.loading.load_dataset``), saving the loaded dataset as a version (``save_folder``: source
file hashes, one transaction) and opening it (``load_version``, the population grid re-read).
SQLite on a fresh file under a temporary folder; PostgreSQL/PostGIS too with ``--postgres`` (or
$PHUSONG_TEST_POSTGRES_URL; its phusong tables are dropped first).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from geo.io import loading
from geo.store import engine, versions

REPO = Path(__file__).resolve().parents[1]


DROP = (
    "DROP TABLE IF EXISTS field_reports, plan_sites, plans, features, layers, versions, "
    "alembic_version CASCADE; DROP FUNCTION IF EXISTS phusong_refuse_change() CASCADE"
)


def timed(fn, repeat: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), max(times), result


def province_folder(folder: Path) -> Path:
    """The 400-commune folder (communes GeoJSON, point layers CSV), written once."""
    import synthetic  # bench/synthetic.py: this script's folder is on sys.path

    if (folder / "communes.geojson").exists():
        return folder
    national, _ = synthetic.national_communes()
    national = national.sort_values("code").reset_index(drop=True)
    at = int((national["code"] >= "19555").to_numpy().argmax())
    polys = national.iloc[at - 200 : at + 200].reset_index(drop=True)
    ds, _ = synthetic.synthetic_dataset(polys, sites=4000, loudspeakers=4000, internet=400, seed=1)
    folder.mkdir(parents=True, exist_ok=True)
    ds.communes.to_file(folder / "communes.geojson", driver="GeoJSON")
    for name, layer in ds.sites.items():  # point layers as CSV with lat/lon, as users give them
        table = pd.DataFrame(layer.drop(columns="geometry"))
        table.insert(1, "lat", layer.geometry.y)
        table.insert(2, "lon", layer.geometry.x)
        table.to_csv(folder / f"{name}.csv", index=False)
    return folder


def bench(name: str, folder: Path, url: str, repeat: int) -> list[str]:
    load_s, load_max, ds = timed(lambda: loading.load_dataset(folder), repeat)
    save_s, save_max, vid = timed(
        lambda: versions.save_folder(folder, label=name, dataset=ds, url=url), repeat
    )
    open_s, open_max, got = timed(lambda: versions.load_version(vid, url), repeat)
    assert len(got.communes) == len(ds.communes) and versions.check_version(vid, url)
    rows = sum(
        len(getattr(ds, layer)) for layer in loading.LAYERS if getattr(ds, layer) is not None
    )
    backend = engine.database_url(url).split(":", 1)[0].split("+")[0]
    return [
        f"| {name} | {len(ds.communes):,} | {rows:,} | {backend} "
        f"| {load_s:.2f} ({load_max:.2f}) | {save_s:.2f} ({save_max:.2f}) "
        f"| {open_s:.2f} ({open_max:.2f}) |"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", default=os.environ.get("PHUSONG_TEST_POSTGRES_URL"))
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="phusong-bench-ws-") as tmp:
        urls = [f"sqlite:///{tmp}/workspace.sqlite"]
        if args.postgres:  # its phusong tables dropped: a fresh workspace
            wipe = sa.create_engine(engine.database_url(args.postgres))
            with wipe.begin() as conn:
                conn.exec_driver_sql(DROP)
            wipe.dispose()
            urls.append(args.postgres)
        province = province_folder(Path(tmp) / "province")
        lines = [
            "| dataset | communes | features | database | load folder s | save version s "
            "| open version s |",
            "| --- | ---: | ---: | --- | ---: | ---: | ---: |",
        ]
        for url in urls:
            versions.list_versions(url)  # schema made before timing
            lines += bench("Đakrông default", REPO / "data" / "dakrong", url, args.repeat)
            lines += bench("400 communes, synthetic sites", province, url, args.repeat)
            engine.dispose(url)
    print(
        f"Machine: {platform.machine()}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores; median (max) of {args.repeat}"
    )
    print("\n".join(lines))


if __name__ == "__main__":
    main()
