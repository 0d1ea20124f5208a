"""Command-line interface: ``python -m geo report`` and ``python -m geo build-dataset``.

Errors a user can cause print one clear message (file, row, column, reason) and exit with code 2;
no traceback reaches the terminal.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from geo import settings
from geo.errors import PhusongError


def _progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m geo",
                                     description="phusong: coverage gaps of mobile networks, "
                                                 "loudspeakers and public internet per commune")
    sub = parser.add_subparsers(dest="command", required=True)

    report = sub.add_parser("report", help="write the per-commune table, gap layers, map and "
                                           "snapshot for a dataset")
    report.add_argument("--data", type=Path, default=settings.DEFAULT_DATA_DIR,
                        help="dataset folder (default: the embedded Đakrông data)")
    report.add_argument("--vintage", choices=settings.VINTAGES, default="legacy",
                        help="communes before 1 July 2025 (legacy) or since (2025)")
    report.add_argument("--lang", choices=settings.LANGS, default="vi")
    report.add_argument("--metric", default="no_4g_pct",
                        help="gap the map colours communes by (default no_4g_pct)")
    report.add_argument("--out", type=Path, required=True, help="folder to write into")

    build = sub.add_parser("build-dataset", help="build a dataset folder with approximate commune "
                                                 "polygons for any district or province")
    area = build.add_mutually_exclusive_group(required=True)
    area.add_argument("--district", help="GSO district code before 2025, e.g. 467 (Đakrông)")
    area.add_argument("--province", help="GSO province code before 2025, e.g. 45 (Quảng Trị)")
    build.add_argument("--out", type=Path, required=True)
    build.add_argument("--illustrative-sites", action="store_true",
                       help="also place illustrative BTS, loudspeakers and internet points")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "report":
            return _report(args)
        return _build(args)
    except PhusongError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug, not the user's fault: one line, no traceback
        print(f"internal error ({type(exc).__name__}): {exc}\nPlease report it with the command "
              "you ran; set PHUSONG_DEBUG=1 to see the traceback.", file=sys.stderr)
        if os.environ.get("PHUSONG_DEBUG"):
            raise
        return 1


def _report(args: argparse.Namespace) -> int:
    from geo import export, gaps, loading

    started = time.perf_counter()
    _progress(f"reading {args.data}")
    dataset = loading.load_dataset(args.data)
    _progress(f"analysing {len(dataset.communes)} communes ({args.vintage})")
    analysis = gaps.analyse(dataset, vintage=args.vintage)
    if args.metric not in analysis.communes.columns:
        raise PhusongError(f"--metric {args.metric!r} is not a commune column; try no_4g_pct, "
                           "no_mobile_pct, no_loudspeaker_pct, no_internet_pct, no_service_pct, "
                           "no_4g_pop, at_risk_pct or gap_score")
    paths = export.write_report(analysis, args.out, lang=args.lang, metric=args.metric,
                                progress=_progress)
    _progress(f"done in {time.perf_counter() - started:.1f} s: {len(paths)} files in {args.out}")
    if analysis.illustrative:
        _progress("note: site positions in this dataset are illustrative, not operator data")
    return 0


def _build(args: argparse.Namespace) -> int:
    from geo import datasets

    _progress("building approximate commune polygons from vietnamadminunits")
    folder = datasets.build_area_dataset(args.out, district_code=args.district,
                                         province_code=args.province,
                                         illustrative_sites=args.illustrative_sites)
    _progress(f"dataset written to {folder}")
    return 0
