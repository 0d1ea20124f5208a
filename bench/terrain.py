"""Benchmark of the terrain viewshed against gdal_viewshed doing the same work in the same run.

    uv run python bench/terrain.py [--sites 100] [--radius-km 15] [--side 1155] [--repeat 3]

Work: ``--sites`` observers (30 m masts, 1.5 m handset, k = 4/3 so -cc 0.25) at seeded random
cells of a seeded synthetic 30 m mountain DEM of ``--side``² cells (1155² ≈ 1.33 M cells ≈ 1,200
km²), each within ``--radius-km``.

- GDAL in process (the strongest peer): ``gdal.ViewshedGenerate`` for every site in one process
  (``bench/gdal_inprocess.py``, run by a Python with GDAL's bindings: Debian's ``python3-gdal``
  at ``/usr/bin/python3`` or ``$PHUSONG_GDAL_PYTHON``), the DEM read once, outputs in memory,
  only the calls timed.
- gdal_viewshed: one ``gdal_viewshed`` process per site on the DEM as a GeoTIFF (what a user of
  GDAL's command line runs), timed end to end; process start dominates it.
- phusong: ``geo.analysis.terrain.viewsheds`` for all sites (no cache) and ``geo.analysis.terrain.paint`` of the
  count-of-servers raster, in a fresh process (numba's compiled code loaded from its cache); the
  peak resident memory of that process is its ``ru_maxrss``.
- agreement: share of in-range cells where both say the same, over the first 10 sites.

The minimum over ``--repeat`` runs is reported.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
UTM48N = "EPSG:32648"
CELL = 30.0
X0, Y0 = 690_000.0, 1_845_000.0


def mountain_dem(side: int, seed: int = 7) -> np.ndarray:
    """Seeded hills and valleys (200–1,800 m) with 5 m noise, float32."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32)
    z = np.zeros((side, side), np.float32)
    for _ in range(120):
        cy, cx = rng.uniform(0, side, 2)
        s, h = rng.uniform(15, 120), rng.uniform(-400, 700)
        z += (h * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))).astype(np.float32)
    z += rng.normal(0, 5, z.shape).astype(np.float32)
    z -= z.min()
    return (200 + 1600 * z / z.max()).astype(np.float32)


def sites(side: int, n: int, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    cols, rows = rng.uniform(5, side - 5, n), rng.uniform(5, side - 5, n)
    return X0 + cols * CELL, Y0 - rows * CELL


def write_geotiff(z: np.ndarray, path: Path) -> None:
    import rasterio
    from affine import Affine

    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=z.shape[1],
        height=z.shape[0],
        count=1,
        dtype="float32",
        crs=UTM48N,
        transform=Affine(CELL, 0, X0, 0, -CELL, Y0),
    ) as out:
        out.write(z, 1)


def run_gdal(path: Path, xs, ys, radius_m: float, out_dir: Path) -> float:
    exe = shutil.which("gdal_viewshed")
    started = time.perf_counter()
    for i, (x, y) in enumerate(zip(xs, ys)):
        subprocess.run(
            [
                exe,
                "-q",
                "-oz",
                "30",
                "-tz",
                "1.5",
                "-md",
                str(radius_m),
                "-cc",
                "0.25",
                "-ox",
                str(x),
                "-oy",
                str(y),
                str(path),
                str(out_dir / f"vs{i}.tif"),
            ],
            check=True,
        )
    return time.perf_counter() - started


def gdal_python() -> str | None:
    """A Python with GDAL's bindings (``osgeo``), or None."""
    import os

    for exe in (os.environ.get("PHUSONG_GDAL_PYTHON"), "/usr/bin/python3"):
        if (
            exe
            and subprocess.run(
                [exe, "-c", "from osgeo import gdal; gdal.ViewshedGenerate"], capture_output=True
            ).returncode
            == 0
        ):
            return exe
    return None


def run_gdal_inprocess(exe: str, path: Path, xs, ys, radius_m: float) -> float:
    job = json.dumps(
        {
            "dem": str(path),
            "sites": [[float(x), float(y)] for x, y in zip(xs, ys)],
            "radius_m": radius_m,
        }
    )
    out = subprocess.run(
        [exe, str(REPO / "bench" / "gdal_inprocess.py")],
        input=job,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])["seconds"]


def child(path: str, n: int, radius_m: float, side: int) -> None:
    """Run in a fresh process: time phusong's viewsheds + servers raster; print JSON."""
    import rasterio

    from geo.io import dem as dem_io
    from geo.analysis import terrain

    with rasterio.open(path) as src:
        d = dem_io.from_array(src.read(1), transform=src.transform, crs=UTM48N)
    xs, ys = sites(side, n)
    warm = terrain.viewsheds(
        d, xs[:2], ys[:2], observer_height_m=30.0, target_height_m=1.5, radius_m=1000.0
    )  # load the compiled code (not timed)
    terrain.paint(d, warm, np.full((1, 2), 1000.0))
    started = time.perf_counter()
    sheds = terrain.viewsheds(
        d,
        xs,
        ys,
        observer_height_m=30.0,
        target_height_m=1.5,
        radius_m=radius_m,
        curvature_coeff=0.25,
    )
    mid = time.perf_counter()
    servers = terrain.paint(d, sheds, np.full((1, n), radius_m))[0]
    done = time.perf_counter()
    print(
        json.dumps(
            {
                "viewsheds_s": mid - started,
                "paint_s": done - mid,
                "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                "max_servers": int(servers.max()),
            }
        )
    )


def agreement(path: Path, z: np.ndarray, xs, ys, radius_m: float, out_dir: Path, k: int = 10):
    import rasterio
    from affine import Affine

    from geo.io import dem as dem_io
    from geo.analysis import terrain

    d = dem_io.from_array(z, transform=Affine(CELL, 0, X0, 0, -CELL, Y0), crs=UTM48N)
    sheds = terrain.viewsheds(
        d,
        xs[:k],
        ys[:k],
        observer_height_m=30.0,
        target_height_m=1.5,
        radius_m=radius_m,
        curvature_coeff=0.25,
    )
    same = total = 0
    for i, shed in enumerate(sheds):
        with rasterio.open(out_dir / f"vs{i}.tif") as src:
            theirs, t = src.read(1) == 255, src.transform
        r0, c0 = round((Y0 - t.f) / CELL), round((t.c - X0) / CELL)
        full_theirs = np.zeros(z.shape, bool)
        full_theirs[r0 : r0 + theirs.shape[0], c0 : c0 + theirs.shape[1]] = theirs
        mine = np.zeros(z.shape, bool)
        mine[shed.row0 : shed.row0 + shed.rows, shed.col0 : shed.col0 + shed.cols] = shed.visible()
        rr, cc = np.ogrid[0 : z.shape[0], 0 : z.shape[1]]
        in_range = ((rr - shed.orow) ** 2 + (cc - shed.ocol) ** 2) * CELL**2 <= radius_m**2
        same += int((mine == full_theirs)[in_range].sum())
        total += int(in_range.sum())
    return same / total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--radius-km", type=float, default=15.0)
    parser.add_argument("--side", type=int, default=1155)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), float(args.child[2]), int(args.child[3]))
        return
    if shutil.which("gdal_viewshed") is None:
        sys.exit("gdal_viewshed not found: apt-get install gdal-bin")
    radius_m = args.radius_km * 1000
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        z = mountain_dem(args.side)
        path = tmp / "dem.tif"
        write_geotiff(z, path)
        xs, ys = sites(args.side, args.sites)
        print(
            f"DEM {args.side}×{args.side} cells of {CELL:g} m "
            f"({args.side**2 / 1e6:.2f} M cells, {args.side**2 * CELL**2 / 1e6:,.0f} km²), "
            f"{args.sites} sites, radius {args.radius_km:g} km, observer 30 m, target 1.5 m, "
            "cc 0.25"
        )
        gdal_s, ours, inprocess = [], [], []
        exe = gdal_python()
        for _ in range(args.repeat):
            if exe is not None:
                inprocess.append(run_gdal_inprocess(exe, path, xs, ys, radius_m))
            gdal_s.append(run_gdal(path, xs, ys, radius_m, tmp))
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    str(path),
                    str(args.sites),
                    str(radius_m),
                    str(args.side),
                ],
                check=True,
                cwd=REPO,
                capture_output=True,
                text=True,
            ).stdout
            ours.append(json.loads(out.strip().splitlines()[-1]))
        best = min(ours, key=lambda r: r["viewsheds_s"] + r["paint_s"])
        share = agreement(path, z, xs, ys, radius_m, tmp)
        (tmp / "small").mkdir()
        overhead = run_gdal(path, xs[:20], ys[:20], 3 * CELL, tmp / "small") / 20  # start + I/O
        g = min(gdal_s)
        total = best["viewsheds_s"] + best["paint_s"]
        if inprocess:
            gi = min(inprocess)
            print(
                f"GDAL ViewshedGenerate, in process:    {gi:.2f} s "
                f"({1000 * gi / args.sites:.1f} ms per site; {exe})"
            )
        else:
            print(
                "GDAL ViewshedGenerate, in process: no Python with GDAL's bindings "
                "(apt-get install python3-gdal, or set PHUSONG_GDAL_PYTHON)"
            )
        print(
            f"gdal_viewshed ({args.sites} processes): {g:.2f} s "
            f"({1000 * g / args.sites:.1f} ms per site, of which ≈ {1000 * overhead:.0f} ms "
            "process start and I/O: a run with -md 90 m)"
        )
        print(
            f"phusong viewsheds:                    {best['viewsheds_s']:.2f} s "
            f"({1000 * best['viewsheds_s'] / args.sites:.1f} ms per site)"
        )
        print(
            f"phusong viewsheds + servers raster:   {total:.2f} s  "
            f"= {total / g:.2f} × gdal_viewshed"
            + (
                f", {best['viewsheds_s'] / min(inprocess):.2f} × GDAL in process (viewsheds)"
                if inprocess
                else ""
            )
        )
        print(f"phusong peak memory (process RSS):    {best['peak_rss_mb']:.0f} MB")
        print(f"agreement with gdal_viewshed (first 10 sites, in-range cells): {100 * share:.3f} %")


if __name__ == "__main__":
    main()
