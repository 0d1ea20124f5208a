"""National-scale benchmark of the per-commune statistics (see bench/README.md).

    uv run python bench/national.py [--sites 100000] [--seed 1] [--baseline-sample N]

1. Approximate polygons for all ~10,040 legacy communes (geo.build.boundaries, built once and cached as a
   GeoPackage in $PHUSONG_BENCH_CACHE or /tmp/phusong-bench; the build time is reported apart).
2. Seeded synthetic layers: BTS sites (area-proportional, carriers Viettel/VinaPhone/MobiFone,
   technology mixes), loudspeakers and internet points.
3. Each measured part runs in its own spawned process, so its peak memory (ru_maxrss) is its own:
   - ours: ``geo.analysis.gaps.analyse(dataset, vintage="legacy")`` on the whole country;
   - the naive geopandas baseline (bench/baseline.py: buffer -> union_all -> overlay -> area per
     commune) and ``analyse`` on the same regional samples of N/2 and N communes (the naive
     baseline grows faster than linearly and would take > 10 minutes nationally), with the national
     baseline time extrapolated from them (clearly labelled); ``--baseline-sample 0`` runs the
     baseline on the whole country instead;
   - grid: ``geo.analysis.gaps.analyse(dataset, vintage="legacy", method="grid")`` (geo.analysis.grid) on the whole
     country and on the samples, timed warm: a first call on three communes loads (or compiles)
     the numba kernels and is reported apart;
   - grid with people: the same with WorldPop's population grid of Viet Nam as the dataset's
     ``population`` (people counted where they live; reading the GeoTIFF is timed apart), when the
     file is found (``--population FILE``, ``$PHUSONG_WORLDPOP`` or ``../shared/data/open/worldpop``).
4. The methods' covered shares are compared commune by commune (largest and mean absolute
   difference in percentage points), then a markdown table is printed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import multiprocessing as mp
import os
import pickle
import platform
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

SHARE_COLUMNS = [  # the ten covered layers both methods compute
    "mobile_covered_pct",
    "covered_2g_pct",
    "covered_3g_pct",
    "covered_4g_pct",
    "covered_5g_pct",
    "covered_viettel_pct",
    "covered_vinaphone_pct",
    "covered_mobifone_pct",
    "loudspeaker_covered_pct",
    "internet_access_pct",
]


# ------------------------------------------------------------------------------ measured parts


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


def _cpu_s() -> float:
    """CPU seconds of this process and its reaped children (forked workers), user + system."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def wait_idle(max_wait_s: float, threshold: float = 1.0) -> float:
    """Wait (at most ``max_wait_s``) until the 1-minute load average is below ``threshold``, so
    other work on the machine does not inflate the wall times; returns the load average then."""
    t0 = time.monotonic()
    while os.getloadavg()[0] >= threshold and time.monotonic() - t0 < max_wait_s:
        time.sleep(5)
    return os.getloadavg()[0]


def _measure(kind: str, dataset_path: str, shares_path: str) -> dict:
    """Run one measured part in this (fresh) process; write its shares, return its figures."""
    with open(dataset_path, "rb") as fh:
        dataset = pickle.load(fh)
    import geopandas  # noqa: F401  (imports are not part of the timed work)
    import shapely  # noqa: F401
    from geo.analysis import gaps

    import baseline  # bench/ is on sys.path: this script's folder (here and in spawned children)

    before = _rss_mb()
    load_before = os.getloadavg()[0]
    cpu0 = _cpu_s()
    t0 = time.perf_counter()
    extra: dict = {}
    if kind == "ours":
        result = gaps.analyse(dataset, vintage="legacy")
        elapsed = time.perf_counter() - t0
        cpu = _cpu_s() - cpu0
        extra["stats_peak_rss_mb"] = _rss_mb()
        # geo.analysis.gaps makes the uncovered-area polygons on demand: time making all six kinds apart.
        t1, cpu1 = time.perf_counter(), _cpu_s()
        extra["gap_polygons"] = int(len(result.gaps))
        extra["gaps_seconds"] = time.perf_counter() - t1
        extra["gaps_cpu_s"] = _cpu_s() - cpu1
    elif kind in ("grid", "grid_pop"):
        if kind == "grid_pop":  # reading the population GeoTIFF is I/O, timed apart
            import dataclasses

            from geo.io import population

            t_read = time.perf_counter()
            grid = population.read_grid(POPULATION_FILE, area=dataset.communes)
            extra["population_read_s"] = time.perf_counter() - t_read
            dataset = dataclasses.replace(dataset, population=grid)
        # Warm-up apart: the first call loads the numba kernels (compiles them when no cache).
        elapsed_warm = _warm_up_grid(dataset)
        cpu0, t0 = _cpu_s(), time.perf_counter()
        result = gaps.analyse(dataset, vintage="legacy", method="grid")
        elapsed = time.perf_counter() - t0
        cpu = _cpu_s() - cpu0
        extra["warmup_s"] = elapsed_warm
        if kind == "grid_pop":
            c = result.communes
            extra["on_grid_communes"] = int((c["population_basis"] == "grid").sum())
            extra["grid_people"] = float(c["grid_population"].sum())
            extra["no_4g_pop"] = float(c["no_4g_pop"].sum())
            extra["no_4g_area_people"] = float((c["population"] * c["no_4g_pct"] / 100).sum())
    elif kind == "baseline":
        shares = baseline.naive_shares(dataset)
        elapsed = time.perf_counter() - t0
        cpu = _cpu_s() - cpu0
    else:
        raise ValueError(kind)
    if kind != "baseline":
        shares = result.communes.set_index("code")[SHARE_COLUMNS]
    shares.to_pickle(shares_path)
    return {
        "kind": kind,
        "seconds": elapsed,
        "cpu_s": cpu,
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "peak_rss_mb": _rss_mb(),
        "rss_before_mb": before,
        "communes": int(len(dataset.communes)),
        "bts_sites": int(len(dataset.bts_sites)),
        "loudspeakers": int(len(dataset.loudspeakers)),
        "internet_points": int(len(dataset.internet_points)),
        **extra,
    }


def _warm_up_grid(dataset) -> float:
    """Seconds of a first grid analysis of three communes (numba kernels loaded or compiled)."""
    import dataclasses

    from geo.analysis import gaps

    small = dataclasses.replace(
        dataset,
        communes=dataset.communes.iloc[:3],
        bts_sites=dataset.bts_sites.iloc[:20],
        loudspeakers=dataset.loudspeakers.iloc[:5],
        internet_points=dataset.internet_points.iloc[:5],
    )
    t0 = time.perf_counter()
    gaps.analyse(small, vintage="legacy", method="grid")
    return time.perf_counter() - t0


WAIT_IDLE_S = 0.0
POPULATION_FILE = ""  # set by main (spawned children get it through _child)


def _child(queue, kind: str, dataset_path: str, shares_path: str, population_file: str) -> None:
    global POPULATION_FILE
    POPULATION_FILE = population_file
    try:
        queue.put((True, _measure(kind, dataset_path, shares_path)))
    except BaseException:  # report, do not hang the parent
        import traceback

        queue.put((False, traceback.format_exc()))


def run_part(kind: str, dataset_path: Path, label: str) -> tuple[dict, pd.DataFrame]:
    """One measured part in a new spawned process (separate peak memory)."""
    if WAIT_IDLE_S:
        wait_idle(WAIT_IDLE_S)
    shares_path = dataset_path.with_name(f"{dataset_path.stem}.{kind}.shares.pkl")
    ctx = mp.get_context("spawn")
    t0 = time.perf_counter()
    queue = ctx.SimpleQueue()
    proc = ctx.Process(
        target=_child, args=(queue, kind, str(dataset_path), str(shares_path), POPULATION_FILE)
    )
    proc.start()
    ok, figures = queue.get()
    proc.join()
    if not ok:
        raise RuntimeError(f"{kind} on {label} failed:\n{figures}")
    figures["label"] = label
    gaps_txt = (
        f" + gap polygons {figures['gaps_seconds']:.1f} s" if "gaps_seconds" in figures else ""
    )
    if "warmup_s" in figures:
        gaps_txt += f" (after a {figures['warmup_s']:.1f} s numba warm-up)"
    print(
        f"  {label:<22} {kind:<10} {figures['seconds']:7.1f} s{gaps_txt} (CPU {figures['cpu_s']:.1f} s)"
        f"  peak {figures['peak_rss_mb']:6.0f} MB  load {figures['load_before']:.1f}→"
        f"{figures['load_after']:.1f}  [process {time.perf_counter() - t0:.0f} s]",
        flush=True,
    )
    return figures, pd.read_pickle(shares_path)


def abs_diff(a: pd.DataFrame, b: pd.DataFrame) -> np.ndarray:
    """Absolute differences (percentage points), communes × the ten layers."""
    a, b = a.sort_index()[SHARE_COLUMNS], b.sort_index()[SHARE_COLUMNS]
    if not a.index.equals(b.index):
        raise AssertionError("the two methods returned different communes")
    return np.abs(a.to_numpy(float) - b.to_numpy(float))


def max_diff(a: pd.DataFrame, b: pd.DataFrame) -> float:
    """Largest absolute difference (percentage points) over communes and the ten layers."""
    return float(np.nanmax(abs_diff(a, b)))


def compare(what: str, a: pd.DataFrame, b: pd.DataFrame) -> dict:
    """Largest, mean and 99th-percentile absolute difference (pp) of two methods' shares."""
    d = abs_diff(a, b)
    return {
        "what": what,
        "max_abs_pp": float(np.nanmax(d)),
        "mean_abs_pp": float(np.nanmean(d)),
        "p99_abs_pp": float(np.nanpercentile(d, 99)),
    }


# ------------------------------------------------------------------------------ environment


def machine() -> dict:
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    import geopandas
    import pyproj
    import shapely

    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu": model,
        "mem_gb": round(mem_gb, 1),
        "python": platform.python_version(),
        "shapely": shapely.__version__,
        "geos": shapely.geos_version_string,
        "geopandas": geopandas.__version__,
        "numpy": np.__version__,
        "pyproj": pyproj.__version__,
    }


# ------------------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sites", type=int, default=100_000, help="synthetic BTS sites (national)")
    ap.add_argument("--loudspeakers", type=int, default=20_000)
    ap.add_argument("--internet", type=int, default=2_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--baseline-sample",
        type=int,
        default=1000,
        metavar="N",
        help="run the naive baseline (and analyse) on regional samples of N/2 and N "
        "communes and extrapolate; 0 = run the baseline on the whole country",
    )
    ap.add_argument(
        "--anchor",
        default="19555",
        help="GSO code of the commune the regional samples are centred on "
        "(default 19555, Krông Klang, Đakrông)",
    )
    ap.add_argument(
        "--skip-ours-national",
        action="store_true",
        help="do not time geo.analysis.gaps.analyse on the whole country (samples only)",
    )
    ap.add_argument("--no-baseline", action="store_true", help="skip the baseline and the samples")
    ap.add_argument(
        "--no-grid",
        action="store_true",
        help='do not time analyse(method="grid") (national and samples)',
    )
    ap.add_argument(
        "--wait-idle",
        type=float,
        default=0.0,
        metavar="S",
        help="before each part, wait up to S seconds for the 1-min load average to "
        "drop below 1 (other work on the machine inflates wall times)",
    )
    ap.add_argument(
        "--population",
        type=Path,
        metavar="FILE",
        help="population grid for the grid-with-people part (default: WorldPop's "
        "grid of Viet Nam where geo.io.population.worldpop_path finds it)",
    )
    ap.add_argument("--json", type=Path, help="also write every figure to this JSON file")
    args = ap.parse_args(argv)
    global WAIT_IDLE_S, POPULATION_FILE
    WAIT_IDLE_S = args.wait_idle
    from geo.io import population

    found = args.population or population.worldpop_path()
    POPULATION_FILE = str(found) if found else ""

    import synthetic

    cache = synthetic.cache_dir()
    print(f"# phusong national benchmark — {dt.datetime.now():%Y-%m-%d %H:%M}", flush=True)
    t0 = time.perf_counter()
    polys, build_s = synthetic.national_communes()
    build_note = (
        f"built in {build_s:.0f} s"
        if build_s is not None
        else f"read from cache in {time.perf_counter() - t0:.1f} s (built in "
        f"{synthetic.cached_build_seconds() or float('nan'):.0f} s)"
    )
    print(f"communes: {len(polys)} approximate legacy communes, {build_note} [{cache}]", flush=True)

    t0 = time.perf_counter()
    dataset, inside = synthetic.synthetic_dataset(
        polys,
        sites=args.sites,
        loudspeakers=args.loudspeakers,
        internet=args.internet,
        seed=args.seed,
    )
    tag = f"s{args.sites}_l{args.loudspeakers}_i{args.internet}_seed{args.seed}"
    national_path = cache / f"dataset_{tag}.pkl"
    with open(national_path, "wb") as fh:
        pickle.dump(dataset, fh, protocol=pickle.HIGHEST_PROTOCOL)
    print(
        f"synthetic layers: {args.sites} BTS sites, {args.loudspeakers} loudspeakers, "
        f"{args.internet} internet points (seed {args.seed}) in "
        f"{time.perf_counter() - t0:.1f} s",
        flush=True,
    )

    area_km2 = dataset.communes.to_crs(synthetic.PLACE_CRS).area / 1e6
    national_km2 = float(area_km2.sum())

    print("measured parts (each in its own process):", flush=True)
    rows: list[dict] = []
    checks: list[dict] = []
    shares_ours_nat = None
    if not args.skip_ours_national:
        fig, shares_ours_nat = run_part("ours", national_path, "national")
        fig["area_km2"] = national_km2
        rows.append(fig)
    if not args.no_grid:
        fig, shares_grid_nat = run_part("grid", national_path, "national")
        fig["area_km2"] = national_km2
        rows.append(fig)
        if shares_ours_nat is not None:
            checks.append(
                compare("grid vs exact analyse, national", shares_grid_nat, shares_ours_nat)
            )
        if POPULATION_FILE:
            fig_pop, shares_pop = run_part("grid_pop", national_path, "national")
            fig_pop["area_km2"] = national_km2
            rows.append(fig_pop)
            print(
                f"  with people: {fig_pop['seconds']:.1f} s vs {fig['seconds']:.1f} s without "
                f"({100 * (fig_pop['seconds'] / fig['seconds'] - 1):+.0f} %; reading the grid "
                f"{fig_pop['population_read_s']:.1f} s apart); {fig_pop['on_grid_communes']:,} "
                f"communes on the grid, {fig_pop['grid_people']:,.0f} grid people; people "
                f"without 4G {fig_pop['no_4g_pop']:,.0f} (even spread: "
                f"{fig_pop['no_4g_area_people']:,.0f})",
                flush=True,
            )
            checks.append(
                compare(
                    "grid with people vs grid, national (area shares)", shares_pop, shares_grid_nat
                )
            )
        else:
            print("  (no population grid found: the grid-with-people part is skipped)", flush=True)

    samples: list[dict] = []
    if args.no_baseline:
        pass
    elif args.baseline_sample == 0:
        fig, shares_base = run_part("baseline", national_path, "national")
        fig["area_km2"] = national_km2
        rows.append(fig)
        if shares_ours_nat is not None:
            checks.append(
                {
                    "what": "baseline vs analyse, national",
                    "max_abs_pp": max_diff(shares_base, shares_ours_nat),
                }
            )
    else:
        for n in sorted({max(args.baseline_sample // 2, 1), args.baseline_sample}):
            sub = synthetic.regional_sample(dataset, inside, n, args.anchor)
            path = cache / f"dataset_{tag}_sample{n}_{args.anchor}.pkl"
            with open(path, "wb") as fh:
                pickle.dump(sub, fh, protocol=pickle.HIGHEST_PROTOCOL)
            sub_km2 = float(sub.communes.to_crs(synthetic.PLACE_CRS).area.sum() / 1e6)
            label = f"sample {n} communes"
            fb, sb = run_part("baseline", path, label)
            fo, so = run_part("ours", path, label)
            for f in (fb, fo):
                f["area_km2"] = sub_km2
            rows += [fb, fo]
            checks.append({"what": f"baseline vs analyse, {label}", "max_abs_pp": max_diff(sb, so)})
            samples.append(
                {"n": n, "area_km2": sub_km2, "baseline_s": fb["seconds"], "ours_s": fo["seconds"]}
            )
            if not args.no_grid:
                fg, sg = run_part("grid", path, label)
                fg["area_km2"] = sub_km2
                rows.append(fg)
                checks.append(compare(f"grid vs exact analyse, {label}", sg, so))
                samples[-1]["grid_s"] = fg["seconds"]

    env = machine()
    report = render(
        rows,
        checks,
        samples,
        national_km2,
        len(polys),
        build_s if build_s is not None else synthetic.cached_build_seconds(),
        env,
        args,
    )
    print()
    print(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(
            json.dumps(
                {
                    "rows": rows,
                    "checks": checks,
                    "samples": samples,
                    "machine": env,
                    "args": vars(args) | {"json": str(args.json)},
                    "date": f"{dt.datetime.now():%Y-%m-%d %H:%M}",
                },
                indent=2,
                default=str,
            )
        )
    return 0


def extrapolate(samples: list[dict], national_km2: float) -> dict | None:
    """National baseline time from the regional samples: linear in area (a lower bound: the
    naive overlay grows faster than linearly) and a power law fitted through the two samples."""
    if not samples:
        return None
    big = max(samples, key=lambda s: s["area_km2"])
    out = {"linear_s": big["baseline_s"] * national_km2 / big["area_km2"]}
    if len(samples) >= 2:
        small = min(samples, key=lambda s: s["area_km2"])
        k = math.log(big["baseline_s"] / small["baseline_s"]) / math.log(
            big["area_km2"] / small["area_km2"]
        )
        k = max(k, 1.0)  # never extrapolate below linear
        out["exponent"] = k
        out["power_s"] = big["baseline_s"] * (national_km2 / big["area_km2"]) ** k
    return out


def render(rows, checks, samples, national_km2, n_communes, build_s, env, args) -> str:
    lines = [
        "| part | communes | BTS sites | loudspeakers | internet pts | method | statistics "
        "wall (s) | + all gap polygons (s) | CPU (s) | peak RSS (MB) | load avg | speed-up vs "
        "naive (statistics) |",
        "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    base_by_label = {r["label"]: r["seconds"] for r in rows if r["kind"] == "baseline"}
    ext = extrapolate(samples, national_km2)
    method = {
        "ours": "geo.analysis.gaps.analyse (exact)",
        "baseline": "naive geopandas",
        "grid": 'geo.analysis.gaps.analyse(method="grid")',
        "grid_pop": 'geo.analysis.gaps.analyse(method="grid") + population grid',
    }
    for r in rows:
        base = base_by_label.get(r["label"])
        speed = "" if r["kind"] == "baseline" or base is None else f"{base / r['seconds']:.1f}×"
        if r["label"] == "national" and base is None and ext and r["kind"] != "baseline":
            speed = f"{ext['linear_s'] / r['seconds']:.1f}× vs linear extrapolation"
            if "power_s" in ext:
                speed += f"; {ext['power_s'] / r['seconds']:.0f}× vs power law"
        if r["kind"] == "ours":
            gaps = f"{r['gaps_seconds']:.1f}"
        elif r["kind"] in ("grid", "grid_pop"):
            gaps = f"on request (exact); numba warm-up {r['warmup_s']:.1f} s apart"
            if "population_read_s" in r:
                gaps += f", reading the population grid {r['population_read_s']:.1f} s apart"
        else:
            gaps = "not computed"
        cpu = r["cpu_s"] + r.get("gaps_cpu_s", 0.0)
        lines.append(
            f"| {r['label']} | {r['communes']:,} | {r['bts_sites']:,} | {r['loudspeakers']:,} "
            f"| {r['internet_points']:,} | {method[r['kind']]} | {r['seconds']:.1f} | {gaps} "
            f"| {cpu:.1f} | {r['peak_rss_mb']:,.0f} | {r['load_before']:.1f}→"
            f"{r['load_after']:.1f} | {speed} |"
        )
    if ext:
        txt = (
            f"| national | {n_communes:,} | {args.sites:,} | {args.loudspeakers:,} | {args.internet:,} "
            f"| naive geopandas, EXTRAPOLATED (not run) | ≥ {ext['linear_s']:.0f} (linear in area)"
        )
        if "power_s" in ext:
            txt += f"; ≈ {ext['power_s']:.0f} (area^{ext['exponent']:.2f} through the two samples)"
        lines.append(txt + " | | | | | |")
    lines.append("")
    for c in checks:
        if "mean_abs_pp" in c:
            lines.append(
                f"- covered shares, {c['what']}: max |Δ| = {c['max_abs_pp']:.2f}, mean "
                f"|Δ| = {c['mean_abs_pp']:.3f}, 99th percentile {c['p99_abs_pp']:.2f} "
                "percentage points over all communes × 10 layers"
            )
        else:
            lines.append(
                f"- same covered shares, {c['what']}: max |Δ| = {c['max_abs_pp']:.2g} "
                f"percentage points over all communes × 10 layers"
            )
    if build_s is not None:
        lines.append(
            f"- approximate communes for all of Vietnam ({n_communes:,}): built in "
            f"{build_s:.0f} s (not part of the timed statistics; cached)"
        )
    lines.append(
        f"- national commune area {national_km2:,.0f} km²; samples: "
        + ", ".join(f"{s['n']} communes = {s['area_km2']:,.0f} km²" for s in samples)
    )
    lines.append(
        "- load avg = the machine's 1-minute load average before → after the part; above "
        f"{env['nproc']} other work was competing for the cores and wall times are inflated "
        "(CPU time is the steadier figure)"
    )
    lines.append(
        f"- machine: {env['nproc']} cores ({env['cpu']}), {env['mem_gb']} GB; Python "
        f"{env['python']}, shapely {env['shapely']}, GEOS {env['geos']}, geopandas "
        f"{env['geopandas']}, numpy {env['numpy']}, pyproj {env['pyproj']}"
    )
    lines.append("- command: uv run python bench/national.py " + " ".join(a for a in sys.argv[1:]))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
