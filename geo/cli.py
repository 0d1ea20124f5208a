"""Command-line interface: ``python -m geo report``, ``plan``, ``check``, ``build-dataset``,
``workspace`` and ``users``.

Errors a user can cause print one clear message (file, row, column, reason) and exit with code 2;
no traceback reaches the terminal. ``report`` takes per-layer files (``--communes FILE --sites FILE
--loudspeakers FILE --internet FILE --settlements FILE``) over the folder of ``--data``; the import
report (every problem as CSV) goes to ``--import-report FILE`` and, when the data could be used but
had warnings, to ``OUT/import_report.csv``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from geo import settings
from geo.errors import DataError, PhusongError

# --communes FILE … (the folder's own files otherwise); --sites is the bts_sites layer.
LAYER_OPTIONS = ("communes", "sites", "loudspeakers", "internet", "settlements")
_LAYER_OF_OPTION = {
    "communes": "communes",
    "sites": "bts_sites",
    "loudspeakers": "loudspeakers",
    "internet": "internet_points",
    "settlements": "settlements",
}


CALIBRATION_HELP = (
    "calibration.json written by `python -m geo check`: its fitted radii replace "
    "the default radius of each carrier and technology it has evidence for"
)
POPULATION_HELP = (
    "population grid (GeoTIFF in any CRS, people per cell, e.g. WorldPop) used "
    "instead of the dataset's population.tif: people counted where they live"
)


def _population_override(args: argparse.Namespace) -> dict[str, Path]:
    return {"population": args.population} if args.population is not None else {}


def _progress(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m geo",
        description="phusong: coverage gaps of mobile networks, "
        "loudspeakers and public internet per commune",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    report = sub.add_parser(
        "report", help="write the per-commune table, gap layers, map and snapshot for a dataset"
    )
    report.add_argument(
        "--data",
        type=Path,
        default=settings.DEFAULT_DATA_DIR,
        help="dataset folder (default: the embedded Đakrông data)",
    )
    report.add_argument(
        "--vintage",
        choices=settings.VINTAGES,
        default="legacy",
        help="communes before 1 July 2025 (legacy) or since (2025)",
    )
    report.add_argument("--lang", choices=settings.LANGS, default="vi")
    report.add_argument(
        "--metric", default="no_4g_pct", help="gap the map colours communes by (default no_4g_pct)"
    )
    report.add_argument("--out", type=Path, required=True, help="folder to write into")
    report.add_argument(
        "--method",
        choices=settings.METHODS,
        default="auto",
        help="per-commune shares by exact polygon overlays, or counted on "
        f"{settings.GRID_CELL_M:g} m cells (seconds for a whole province or "
        f"country); auto = grid above {settings.GRID_AUTO_COMMUNES:,} communes",
    )
    report.add_argument(
        "--dem",
        type=Path,
        nargs="+",
        metavar="FILE",
        help="elevation model: GeoTIFF(s) in any CRS, SRTM .hgt tiles or a folder "
        "of them; adds terrain figures beside the circle figures",
    )
    layers = report.add_argument_group(
        "per-layer files (override the files of --data; any "
        "format of data/README.md, 'Importing your own data')"
    )
    for layer in LAYER_OPTIONS:
        layers.add_argument(
            f"--{layer.replace('_', '-')}",
            type=Path,
            metavar="FILE",
            dest=f"layer_{layer}",
            help=f"the {layer} layer",
        )
    report.add_argument("--population", type=Path, metavar="FILE", help=POPULATION_HELP)
    report.add_argument(
        "--workspace-version",
        type=int,
        metavar="N",
        help="the data of version N of the workspace ($PHUSONG_DATABASE_URL) "
        "instead of a folder: the same report as the folder it was saved "
        "from",
    )
    report.add_argument("--calibration", type=Path, metavar="FILE", help=CALIBRATION_HELP)
    report.add_argument(
        "--measurements",
        type=Path,
        nargs="+",
        metavar="FILE",
        help="field readings (as for `check`): the snapshot, report.pdf and "
        "settings say per commune and overall how much area and how many "
        "people have nearby evidence and whether it agrees",
    )
    report.add_argument(
        "--reports",
        type=Path,
        nargs="+",
        metavar="FILE",
        help="residents' reports, used as evidence with --measurements",
    )
    report.add_argument(
        "--import-report",
        type=Path,
        metavar="FILE",
        help="also write the import report (CSV: severity, file, row, column, "
        "value, reason) here, also when the data cannot be used; a usable "
        "dataset with warnings gets OUT/import_report.csv",
    )

    plan = sub.add_parser(
        "plan",
        help="propose where k new BTS sites, loudspeaker clusters or "
        "support points close the most gap",
    )
    plan.add_argument("--service", choices=("bts", "loudspeaker", "support-point"), required=True)
    plan.add_argument("--k", type=int, required=True, help="number of new sites")
    plan.add_argument(
        "--carrier",
        choices=settings.CARRIERS,
        help="BTS: carrier of the new sites; only its sites count (default: any)",
    )
    plan.add_argument(
        "--technology",
        choices=settings.TECHNOLOGIES,
        help="BTS: technology of the new sites and of the gap closed (default 4G)",
    )
    plan.add_argument(
        "--data",
        type=Path,
        default=settings.DEFAULT_DATA_DIR,
        help="dataset folder (default: the embedded Đakrông data)",
    )
    plan.add_argument("--vintage", choices=settings.VINTAGES, default="legacy")
    plan.add_argument(
        "--communes", help="comma-separated commune codes whose gap counts (default: all)"
    )
    plan.add_argument(
        "--exclude",
        type=Path,
        help="polygon file (GeoJSON, GeoPackage …) where no new site may stand",
    )
    plan.add_argument(
        "--solver",
        choices=("auto", "greedy", "exact"),
        default="auto",
        help="auto (default): exact integer programming (CBC) within --time-limit, "
        "the better of its best and lazy greedy when it runs out; or greedy, "
        "or exact",
    )
    plan.add_argument(
        "--time-limit",
        type=float,
        default=None,
        help="seconds for the exact solver (default 20 with auto, 60 with exact)",
    )
    plan.add_argument(
        "--spacing-m",
        type=float,
        help="candidate grid spacing in metres (default: the reach, 250–1,000 m)",
    )
    plan.add_argument(
        "--dem",
        type=Path,
        nargs="+",
        metavar="FILE",
        help="elevation model files (GeoTIFF, SRTM .hgt) or folders: plan with line "
        "of sight (BTS, loudspeakers) or walking time (support points) over the "
        "terrain, hilltops as extra candidates",
    )
    plan.add_argument("--population", type=Path, metavar="FILE", help=POPULATION_HELP)
    plan.add_argument("--calibration", type=Path, metavar="FILE", help=CALIBRATION_HELP)
    plan.add_argument("--lang", choices=settings.LANGS, default="vi")
    plan.add_argument("--out", type=Path, required=True, help="folder to write into")

    check = sub.add_parser(
        "check",
        help="compare the model with field readings (measurements, "
        "residents' reports) and fit the radii they support",
    )
    check.add_argument(
        "--measurements",
        type=Path,
        nargs="+",
        required=True,
        metavar="FILE",
        help="signal readings or residents' reports (CSV, XLSX, GeoJSON, GPX, KML; "
        "a G-NetTrack log as it is)",
    )
    check.add_argument(
        "--reports",
        type=Path,
        nargs="+",
        metavar="FILE",
        help="residents' reports (lat, lon, carrier, technology, service "
        "yes/weak/no, note, date, reporter), used as evidence too",
    )
    check.add_argument(
        "--data",
        type=Path,
        default=settings.DEFAULT_DATA_DIR,
        help="dataset folder (default: the embedded Đakrông data)",
    )
    check.add_argument(
        "--sites",
        type=Path,
        metavar="FILE",
        dest="layer_sites",
        help="BTS sites instead of the dataset's (an OpenCellID export works)",
    )
    check.add_argument("--vintage", choices=settings.VINTAGES, default="legacy")
    check.add_argument(
        "--dem",
        type=Path,
        nargs="+",
        metavar="FILE",
        help="elevation model (GeoTIFF, SRTM .hgt or a folder): also fit the "
        "terrain model's path-loss threshold per carrier and technology "
        "(path_loss.csv, calibration.json's max_path_loss_db)",
    )
    check.add_argument("--lang", choices=settings.LANGS, default="vi")
    check.add_argument("--out", type=Path, required=True, help="folder to write into")

    build = sub.add_parser(
        "build-dataset",
        help="build a dataset folder with approximate commune "
        "polygons for any district or province",
    )
    area = build.add_mutually_exclusive_group(required=True)
    area.add_argument("--district", help="GSO district code before 2025, e.g. 467 (Đakrông)")
    area.add_argument("--province", help="GSO province code before 2025, e.g. 45 (Quảng Trị)")
    build.add_argument("--out", type=Path, required=True)
    build.add_argument(
        "--population",
        type=Path,
        metavar="FILE",
        help="population grid to clip into the dataset (default: WorldPop's grid "
        "of Viet Nam from $PHUSONG_WORLDPOP or ../shared/data/open/worldpop/)",
    )
    build.add_argument(
        "--illustrative-sites",
        action="store_true",
        help="also place illustrative BTS, loudspeakers and internet points",
    )
    _workspace_parser(sub)
    _users_parser(sub)
    return parser


def _users_parser(sub) -> None:
    users = sub.add_parser(
        "users",
        help="who may log in to a team server (PHUSONG_MODE=team) "
        "and their role; kept in the workspace database",
    )
    usub = users.add_subparsers(dest="action", required=True)
    add = usub.add_parser(
        "add",
        help="add a user; the password is asked for (or read from the "
        "first line of standard input), never given as an option",
    )
    add.add_argument("name")
    add.add_argument(
        "--role",
        choices=("viewer", "editor", "admin"),
        required=True,
        help="viewer: reads maps, tables, exports; editor: also imports data, saves "
        "versions, plans and field reports; admin: also manages users",
    )
    password = usub.add_parser("password", help="set a user's password (asked for, or stdin)")
    password.add_argument("name")
    usub.add_parser("list", help="one line per user: name and role")
    remove = usub.add_parser("remove", help="remove a user")
    remove.add_argument("name")


def _workspace_parser(sub) -> None:
    ws = sub.add_parser(
        "workspace",
        help="versions of the data, comparisons and backups in the "
        "workspace database ($PHUSONG_DATABASE_URL)",
    )
    wsub = ws.add_subparsers(dest="action", required=True)
    add = wsub.add_parser("add", help="save a dataset folder as a new version; prints its id last")
    add.add_argument("--data", type=Path, required=True, help="dataset folder")
    add.add_argument("--label", required=True, help="e.g. 'operator list of 2026-10'")
    add.add_argument("--date", help="the date the data describes, YYYY-MM-DD")
    add.add_argument("--by", help="who saves it (default: the system user name)")
    wsub.add_parser("list", help="one line per version: id, label, date described, saved by/at")
    compare = wsub.add_parser(
        "compare",
        help="per commune, each metric before, after and the change between versions A and B",
    )
    compare.add_argument("a", type=int, metavar="A", help="the earlier version")
    compare.add_argument("b", type=int, metavar="B", help="the later version")
    compare.add_argument("--lang", choices=settings.LANGS, default="en")
    compare.add_argument("--vintage", choices=settings.VINTAGES, default="legacy")
    compare.add_argument("--out", type=Path, required=True, help="folder to write into")
    backup = wsub.add_parser("backup", help="write the whole workspace to one GeoPackage")
    backup.add_argument("--out", type=Path, required=True, help="the .gpkg file to write")
    restore = wsub.add_parser("restore", help="restore a backup into an empty workspace")
    restore.add_argument("file", type=Path, metavar="FILE.gpkg")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the process exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "report":
            return _report(args)
        if args.command == "plan":
            return _plan(args)
        if args.command == "workspace":
            return _workspace(args)
        if args.command == "check":
            return _check(args)
        if args.command == "users":
            return _users(args)
        return _build(args)
    except PhusongError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug, not the user's fault: one line, no traceback
        print(
            f"internal error ({type(exc).__name__}): {exc}\nPlease report it with the command "
            "you ran; set PHUSONG_DEBUG=1 to see the traceback.",
            file=sys.stderr,
        )
        if os.environ.get("PHUSONG_DEBUG"):
            raise
        return 1


def _report(args: argparse.Namespace) -> int:
    from geo.render import export
    from geo.analysis import gaps
    from geo.io import importing, loading

    started = time.perf_counter()
    overrides = {
        _LAYER_OF_OPTION[o]: getattr(args, f"layer_{o}")
        for o in LAYER_OPTIONS
        if getattr(args, f"layer_{o}") is not None
    } | _population_override(args)
    if args.workspace_version is not None:
        if overrides:
            raise PhusongError(
                "--workspace-version reads the stored version; per-layer files "
                "and --population apply to --data only"
            )
        from geo.store import versions

        _progress(f"reading version {args.workspace_version} of the workspace")
        dataset = versions.load_version(args.workspace_version)
    else:
        _progress(f"reading {args.data}" + "".join(f", {k} from {v}" for k, v in overrides.items()))
    try:
        if args.workspace_version is None:
            dataset = loading.load_dataset(args.data, overrides=overrides)
    except DataError as exc:
        if args.import_report:
            args.import_report.parent.mkdir(parents=True, exist_ok=True)
            export.write_atomic(args.import_report, importing.report_csv(exc.problems))
            _progress(f"import report written to {args.import_report}")
        else:
            _progress("write every problem as CSV with --import-report FILE")
        raise
    n = importing.counts(dataset.problems)
    if n["warning"]:
        _progress(f"{n['warning']} warning(s) while importing (rows kept):")
        for problem in dataset.problems[:20]:
            _progress(f"  - {problem}")
    _progress(f"analysing {len(dataset.communes)} communes ({args.vintage})")
    params = _params(args)
    analysis = gaps.analyse(dataset, vintage=args.vintage, method=args.method, params=params)
    if args.calibration is not None:  # the exports say how much of the radii rests on evidence
        analysis = _with_calibration_note(analysis, args.calibration, bool(args.dem))
    if args.measurements:  # … and how much of the figures rests on field evidence
        analysis = _with_evidence_notes(dataset, analysis, args, params)
    elif args.reports:
        raise PhusongError("--reports needs --measurements (the field readings)")
    if args.metric not in analysis.communes.columns:
        raise PhusongError(
            f"--metric {args.metric!r} is not a commune column; try no_4g_pct, "
            "no_mobile_pct, no_loudspeaker_pct, no_internet_pct, no_service_pct, "
            "no_4g_pop, at_risk_pct or gap_score"
        )
    terrain_analysis = _terrain(dataset, args, params) if args.dem else None
    paths = export.write_report(
        analysis,
        args.out,
        lang=args.lang,
        metric=args.metric,
        progress=_progress,
        terrain=terrain_analysis,
    )
    report_bytes = importing.report_csv(dataset.problems)
    if dataset.problems:
        paths.append(export.write_atomic(args.out / "import_report.csv", report_bytes))
        _progress(f"import report: {args.out / 'import_report.csv'}")
    if args.import_report:
        export.write_atomic(args.import_report, report_bytes)
    _progress(f"done in {time.perf_counter() - started:.1f} s: {len(paths)} files in {args.out}")
    if analysis.illustrative:
        _progress("note: site positions in this dataset are illustrative, not operator data")
    return 0


def _read_dem(dataset, args: argparse.Namespace):
    """The DEM of ``--dem`` over the communes plus the largest default reach, in their UTM zone."""
    from geo.io import dem
    from geo.analysis import terrain
    from geo.settings import CoverageParams

    params = CoverageParams()
    reach = max([r for _, r in params.radius_m] + [r for _, r in params.loudspeaker_radius_m])
    crs, bounds = terrain.dem_area(dataset, vintage=args.vintage, margin_m=reach)
    _progress(f"reading the elevation model: {', '.join(map(str, args.dem))}")
    grid = dem.read_dem(args.dem, crs=crs, bounds=bounds)
    _progress(grid.summary())
    return grid


def _params(args: argparse.Namespace):
    """The circle model's parameters: the defaults, with the fitted radii of ``--calibration``."""
    from geo.settings import CoverageParams

    if getattr(args, "calibration", None) is None:
        return CoverageParams()
    from geo.analysis import calibration

    fits = calibration.read_json(args.calibration)
    params = calibration.apply(fits)
    for c, t, r in params.carrier_radius_m:
        _progress(f"calibration: {c} {t} radius {r:,.0f} m (from {args.calibration.name})")
    return params


def _with_calibration_note(analysis, path: Path, terrain_model: bool = False):
    """``analysis`` with a note (settings.csv, the XLSX's settings) on the fitted radii in use
    and, with ``terrain_model`` (``--dem``), one on the fitted path-loss thresholds."""
    from dataclasses import replace

    from geo import i18n
    from geo.analysis import calibration

    fits = calibration.read_json(path)
    fitted = [f for f in fits if f.fitted]
    notes = [
        i18n.note(
            "calibrated",
            file=path.name,
            fitted=len(fitted),
            n=sum(f.samples for f in fitted),
            unfitted=len(fits) - len(fitted),
        )
    ]
    loss_fits = calibration.read_loss_json(path) if terrain_model else []
    if loss_fits:
        fitted = [f for f in loss_fits if f.fitted]
        notes.append(
            i18n.note(
                "calibrated_path_loss",
                file=path.name,
                fitted=len(fitted),
                n=sum(f.samples for f in fitted),
                unfitted=len(loss_fits) - len(fitted),
            )
        )
    return replace(analysis, notes=tuple(analysis.notes) + tuple(notes))


def _terrain(dataset, args: argparse.Namespace, params=None):
    """The terrain model's analysis of ``dataset`` over the DEM files of ``--dem``."""
    from geo.analysis import terrain
    from geo.settings import CoverageParams

    params = params or CoverageParams()
    grid = _read_dem(dataset, args)
    _progress("terrain model: line of sight from every site, walking time to internet points")
    analysis = terrain.analyse_terrain(
        dataset, grid, vintage=args.vintage, params=params, terrain=_terrain_params(args)
    )
    for line in analysis.notes[2:]:
        _progress(f"note: {line}")
    return analysis


def _plan(args: argparse.Namespace) -> int:
    from geo.io import loading
    from geo.plan import siting
    from geo.render import siting_export

    started = time.perf_counter()
    if args.service != "bts" and (args.carrier or args.technology):
        raise PhusongError("--carrier and --technology apply to --service bts only")
    exclude = _read_polygons(args.exclude) if args.exclude else None
    _progress(f"reading {args.data}")
    dataset = loading.load_dataset(args.data, overrides=_population_override(args))
    communes = [c.strip() for c in args.communes.split(",") if c.strip()] if args.communes else None
    grid = cache = None
    if args.dem:
        from geo.analysis import terrain

        grid = _read_dem(dataset, args)
        cache = terrain.viewshed_cache()
    _progress(
        f"planning {args.k} new {args.service} site(s)"
        + (" with the terrain model" if grid is not None else "")
    )
    result = siting.plan(
        dataset,
        service=args.service,
        k=args.k,
        carrier=args.carrier,
        technology=args.technology,
        vintage=args.vintage,
        communes=communes,
        exclude=exclude,
        spacing_m=args.spacing_m,
        solver=args.solver,
        params=_params(args),
        terrain=_terrain_params(args),
        time_limit_s=args.time_limit,
        progress=_progress,
        dem=grid,
        cache=cache,
    )
    _progress("analysing before and after")
    before, after = siting.compare(dataset, result, dem=grid, cache=cache)
    for problem in siting.check_consistency(result, before, after):
        _progress(f"warning: {problem}")
    paths = siting_export.write_plan(
        result, before, after, args.out, lang=args.lang, progress=_progress
    )
    unit = "people" if result.objective == "people" else "km²"
    gained = result.people_new if result.objective == "people" else result.area_new_km2
    _progress(
        f"{len(result.sites)} site(s) reach {gained:,.0f} more {unit} "
        f"({result.area_new_km2:,.1f} km²); {result.n_candidates} candidates, "
        f"{result.n_demand} demand points, solver {result.solver}"
        + (
            ""
            if result.optimal is None
            else f" ({'optimal' if result.optimal else 'time limit hit'})"
        )
    )
    for note in result.notes:
        _progress(f"note: {note}")
    _progress(f"done in {time.perf_counter() - started:.1f} s: {len(paths)} files in {args.out}")
    return 0


def _check(args: argparse.Namespace) -> int:
    """``check``: the readings against the model, the radii they support, and the files."""
    from geo.render import export
    from geo.io import loading
    from geo.render import maps
    from geo.analysis import agreement, calibration, fieldcheck
    from geo.render import field_map
    from geo.settings import CoverageParams

    started = time.perf_counter()
    overrides = {"bts_sites": args.layer_sites} if args.layer_sites else {}
    _progress(f"reading {args.data}" + (f", sites from {args.layer_sites}" if overrides else ""))
    dataset = loading.load_dataset(args.data, overrides=overrides)
    readings, problems, files = _field_readings(
        dataset, args, "import_report.csv", list(dataset.problems)
    )
    params = CoverageParams()
    _progress(f"comparing {len(readings):,} reading(s) with the model")
    result = fieldcheck.check(dataset, readings, vintage=args.vintage, params=params)
    before, after, fits = result.before, result.after, result.fits
    loss_fits, paths = None, []
    if args.dem:
        loss_fits, loss_table = _check_terrain(dataset, readings, args, params)
        paths.append(
            export.write_atomic(
                args.out / "path_loss.csv", loss_table.to_csv(index=False).encode("utf-8-sig")
            )
        )
    paths += [
        export.write_atomic(
            args.out / "agreement.csv", result.table.to_csv(index=False).encode("utf-8-sig")
        ),
        calibration.write_json(
            args.out / "calibration.json",
            fits,
            source=", ".join(p.name for p, _ in files),
            params=params,
            loss_fits=loss_fits,
        ),
        export.write_atomic(
            args.out / "communes_agreement.csv",
            result.communes_table().to_csv(index=False).encode("utf-8-sig"),
        ),
        export.write_atomic(
            args.out / "disagreements.geojson", agreement.disagreements_json(before).encode("utf-8")
        ),
    ]
    m = field_map.field_map(
        before, result.units, lang=args.lang, confidence=result.confidence_layer
    )
    paths.append(export.write_atomic(args.out / "field_map.html", maps.to_html(m).encode("utf-8")))
    for fit in fits:
        figure = (
            f"{fit.radius_m:,.0f} m ({fit.low_m:,.0f}–{fit.high_m:,.0f})"
            if fit.fitted
            else f"not enough evidence ({fit.why})"
        )
        _progress(f"{fit.carrier} {fit.technology}: {fit.samples:,} reading(s), {figure}")
    _progress(
        f"agreement {before.agreement_pct:.1f} % before, {after.agreement_pct:.1f} % after "
        "calibration"
    )
    _progress(f"done in {time.perf_counter() - started:.1f} s: {len(paths)} files in {args.out}")
    return 0


def _field_readings(dataset, args: argparse.Namespace, report_name: str, problems: list):
    """(readings, problems, files) of ``--measurements`` and ``--reports``; the problems (after
    ``problems``) written to ``OUT/report_name`` when there are any; :class:`DataError` when no
    reading is usable."""
    from geo.io import fieldfiles, importing
    from geo.render import export

    files = [(p, "measurement") for p in args.measurements] + [
        (p, "report") for p in args.reports or ()
    ]
    for path, _ in files:
        if not path.is_file():
            raise PhusongError(f"file not found: {path}")
    readings, found = fieldfiles.import_files(files, communes=dataset.communes)
    problems = problems + found
    _progress(
        f"{len(readings):,} reading(s) kept, {importing.counts(problems)['rows_out']:,} "
        "row(s) left out"
    )
    args.out.mkdir(parents=True, exist_ok=True)
    if problems:
        export.write_atomic(args.out / report_name, importing.report_csv(problems))
        _progress(f"import report: {args.out / report_name}")
    if not len(readings):
        raise DataError(
            [p for p in problems if p.is_error],
            "no usable reading in " + ", ".join(p.name for p, _ in files),
        )
    return readings, problems, files


def _with_evidence_notes(dataset, analysis, args: argparse.Namespace, params):
    """``analysis`` with the notes of :func:`geo.analysis.fieldcheck.evidence_notes`: how much of
    each commune has nearby field evidence (``--measurements``, ``--reports``) and whether it
    agrees with the model as used (``params``)."""
    from dataclasses import replace

    from geo.analysis import fieldcheck

    readings, _, files = _field_readings(dataset, args, "field_import_report.csv", [])
    result = fieldcheck.check(dataset, readings, vintage=args.vintage, params=params)
    notes = fieldcheck.evidence_notes(result, source=", ".join(p.name for p, _ in files))
    _progress(notes[0].text("en"))
    return replace(analysis, notes=tuple(analysis.notes) + notes)


def _check_terrain(dataset, readings, args: argparse.Namespace, params):
    """``check --dem``: each reading's path loss from its nearest serving site over the DEM, the
    path-loss threshold per carrier × technology, and the ``path_loss.csv`` table."""
    from geo.analysis import calibration, terrain_check
    from geo.settings import TerrainParams

    grid = _read_dem(dataset, args)
    _progress("terrain model: line of sight and path loss from each reading's serving site")
    judged = terrain_check.compare(readings, dataset.bts_sites, grid, params=params)
    fits = calibration.calibrate_path_loss(judged)
    table = terrain_check.loss_table(
        judged, fits, params, TerrainParams(), calibration.apply_terrain(fits)
    )
    for fit in fits:
        figure = (
            f"{fit.max_path_loss_db:.1f} dB ({fit.low_db:.1f}–{fit.high_db:.1f})"
            if fit.fitted
            else f"not enough evidence ({fit.why})"
        )
        _progress(
            f"{fit.carrier} {fit.technology}: {fit.samples:,} of {fit.readings:,} "
            f"reading(s) in sight, path-loss threshold {figure}"
        )
    return fits, table


def _terrain_params(args: argparse.Namespace):
    """The terrain model's parameters: the defaults, with the path-loss thresholds of
    ``--calibration`` (a check run with a DEM)."""
    from geo.settings import TerrainParams

    if getattr(args, "calibration", None) is None or not args.dem:
        return TerrainParams()
    from geo.analysis import calibration

    terrain = calibration.apply_terrain(calibration.read_loss_json(args.calibration))
    for c, t, limit in terrain.max_path_loss_db:
        _progress(
            f"calibration: {c} {t} path-loss threshold {limit:.1f} dB "
            f"(from {args.calibration.name}, terrain model)"
        )
    return terrain


def _read_polygons(path: Path):
    import geopandas as gpd

    if not path.is_file():
        raise PhusongError(f"--exclude file not found: {path}")
    try:
        layer = gpd.read_file(path)
    except Exception as exc:  # any reader failure becomes a message naming the file
        raise PhusongError(f"{path.name} cannot be read: {exc}") from None
    if layer.crs is None:
        raise PhusongError(f"{path.name}: the file declares no coordinate reference system (CRS)")
    return layer


def _build(args: argparse.Namespace) -> int:
    from geo.build import datasets
    from geo.io import population

    grid = args.population or population.worldpop_path()
    if grid is None:
        _progress(
            "no population grid: people will be spread evenly over each commune (looked for "
            "WorldPop in "
            + ", ".join(map(str, settings.worldpop_candidates()))
            + "; give one with --population FILE or PHUSONG_WORLDPOP)"
        )
    else:
        _progress(f"population grid: {grid} (clipped into the dataset)")
    _progress("building approximate commune polygons from vietnamadminunits")
    folder = datasets.build_area_dataset(
        args.out,
        district_code=args.district,
        province_code=args.province,
        illustrative_sites=args.illustrative_sites,
        population_grid=grid,
    )
    _progress(f"dataset written to {folder}")
    return 0


def _workspace(args: argparse.Namespace) -> int:
    from geo.store import engine

    _progress(f"workspace: {engine.describe(engine.database_url())}")
    if args.action == "add":
        from geo.store import versions

        _progress(f"reading {args.data}")
        version_id = versions.save_folder(
            args.data, label=args.label, described_on=args.date, saved_by=args.by
        )
        _progress(f"saved as version {version_id}")
        print(version_id)
    elif args.action == "list":
        from geo.store import versions

        for v in versions.list_versions():
            print(f"{v.id}\t{v.label}\t{v.described_on or '-'}\t{v.saved_by}\t{v.saved_at}")
    elif args.action == "compare":
        return _workspace_compare(args)
    elif args.action == "backup":
        from geo.store import backup

        counts = backup.backup(args.out)
        _progress(
            "backup written to "
            + str(args.out)
            + ": "
            + ", ".join(f"{n} {table}" for table, n in counts.items())
        )
    else:
        from geo.store import backup

        counts = backup.restore(args.file)
        _progress(f"restored {args.file}: " + ", ".join(f"{n} {t}" for t, n in counts.items()))
    return 0


def _read_password() -> str:
    """A password from the terminal (asked twice) or the first line of standard input."""
    import getpass

    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise PhusongError("the two passwords differ")
    return first


def _users(args: argparse.Namespace) -> int:
    from geo.store import users

    if args.action == "add":
        user = users.add_user(args.name, _read_password(), args.role)
        _progress(f"user {user.name} added ({user.role})")
    elif args.action == "password":
        users.set_password(args.name, _read_password())
        _progress(f"password of {args.name} changed")
    elif args.action == "list":
        for user in users.list_users():
            print(f"{user.name}\t{user.role}")
    else:
        users.remove_user(args.name)
        _progress(f"user {args.name} removed")
    return 0


def _workspace_compare(args: argparse.Namespace) -> int:
    from geo.analysis import change, gaps
    from geo.render import export
    from geo.render import changes
    from geo.store import versions

    analyses = []
    for version_id in (args.a, args.b):
        _progress(f"analysing version {version_id}")
        analyses.append(gaps.analyse(versions.load_version(version_id), vintage=args.vintage))
    table = change.compare(*analyses)
    args.out.mkdir(parents=True, exist_ok=True)
    paths = [
        export.write_atomic(args.out / "changes.csv", changes.csv_bytes(table, lang=args.lang)),
        export.write_atomic(args.out / "changes.xlsx", changes.xlsx_bytes(table, lang=args.lang)),
        export.write_atomic(
            args.out / "change_map.html", changes.map_html(table, analyses[1], lang=args.lang)
        ),
    ]
    for line in change.lines(table, lang=args.lang):
        print(line)
    _progress(f"{len(paths)} files in {args.out}")
    return 0
