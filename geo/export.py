"""Writing what an analysis produced: tables, gap layers, the map and its snapshot.

The CLI (``python -m geo report``) and the app's download buttons both call these functions, so a
report and a download are the same bytes. Files are written atomically (a temporary file in the
target folder, then a rename), so a reader never sees half a file; nothing outside ``out_dir`` is
written.
"""

from __future__ import annotations

import io
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo import i18n, settings
from geo.gaps import GapAnalysis, carrier_column, carriers_reported

REPORT_FILES = ("communes.csv", "communes.xlsx", "gaps.geojson", "gaps.gpkg", "map.html",
                "map.png", "map.pdf")


def table_columns(analysis: GapAnalysis) -> list[str]:
    """Columns of the per-commune table, in reading order."""
    carriers = [carrier_column(c) for c in carriers_reported(analysis.sites["bts_sites"])]
    pct = (["mobile_covered_pct", "covered_4g_pct", "covered_3g_pct", "covered_2g_pct",
            "covered_5g_pct"] + carriers +
           ["loudspeaker_covered_pct", "internet_access_pct", "no_service_pct", "at_risk_pct"])
    pop = ["no_4g_pop", "no_mobile_pop", "no_loudspeaker_pop", "no_internet_pop",
           "no_service_pop", "at_risk_pop"]
    tail = ["c03_required", "c03_present", "support_points", "gap_score", "gap_rank"]
    head = ["gap_rank", "code", "name"] + (["legacy_codes"] if analysis.vintage == "2025" else [])
    cols = head + ["area_km2", "population", "population_basis"] + pct + pop + tail[:-1]
    return [c for c in cols if c in analysis.communes.columns]


def commune_table(analysis: GapAnalysis, *, lang: str = "vi") -> pd.DataFrame:
    """The per-commune table, rounded for reading, sorted by gap rank, headers in ``lang``.

    Shares are percent (0–100, one decimal), areas km² (two decimals), people whole numbers.
    """
    settings.check_choice("lang", lang, settings.LANGS)
    cols = table_columns(analysis)
    table = pd.DataFrame(analysis.communes[cols]).sort_values("gap_rank")
    for col in cols:
        if col.endswith("_pct") or col == "gap_score":
            table[col] = table[col].round(1)
        elif col.endswith("_pop") or col == "population":
            table[col] = table[col].round(0).astype("Int64")
        elif col == "area_km2":
            table[col] = table[col].round(2)
    table["population_basis"] = table["population_basis"].map(lambda v: i18n.t(f"basis_{v}", lang))
    return table.rename(columns={c: i18n.t(c, lang) for c in cols}).reset_index(drop=True)


def csv_bytes(analysis: GapAnalysis, *, lang: str = "vi") -> bytes:
    """The commune table as UTF-8 CSV with a BOM (so Excel shows Vietnamese letters)."""
    return commune_table(analysis, lang=lang).to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(analysis: GapAnalysis, *, lang: str = "vi") -> bytes:
    """The commune table and a notes sheet (assumptions, sources) as an XLSX workbook."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        commune_table(analysis, lang=lang).to_excel(writer, sheet_name=i18n.t("sheet_communes", lang),
                                                    index=False)
        pd.DataFrame({i18n.t("notes", lang): notes(analysis, lang=lang)}).to_excel(
            writer, sheet_name=i18n.t("sheet_notes", lang), index=False)
    return buffer.getvalue()


def notes(analysis: GapAnalysis, *, lang: str = "vi") -> list[str]:
    """Lines on assumptions, sources and the illustrative status, for exports."""
    p = analysis.params
    radii = ", ".join(f"{t} {r / 1000:g} km" for t, r in p.radius_m)
    loud = ", ".join(f"{i18n.t(k, lang)} {r:g} m" for k, r in p.loudspeaker_radius_m)
    lines = [
        f"{i18n.t('assumptions', lang)}: {i18n.t('radius_per_technology', lang)}: {radii}; "
        f"{i18n.t('loudspeaker_reach', lang)}: {loud}; "
        f"{i18n.t('internet_access_distance', lang)}: {p.internet_access_m / 1000:g} km",
        f"{i18n.t('vintage', lang)}: {i18n.t('vintage_' + analysis.vintage, lang)}",
    ]
    if p.carriers:
        lines.append(f"{i18n.t('carriers', lang)}: {', '.join(p.carriers)}")
    if p.technologies:
        lines.append(f"{i18n.t('technologies', lang)}: {', '.join(p.technologies)}")
    if analysis.illustrative:
        lines.append(i18n.t("illustrative_notice", lang))
    lines += [f"{i18n.t('sources', lang)}: {s}" for s in analysis.sources]
    return lines


def gaps_layer(analysis: GapAnalysis) -> gpd.GeoDataFrame:
    """Uncovered areas in EPSG:4326 for export (column names stay English: they are a schema)."""
    return analysis.gaps.to_crs(4326)


def geojson_bytes(analysis: GapAnalysis) -> bytes:
    """Uncovered areas as GeoJSON (EPSG:4326)."""
    return gaps_layer(analysis).to_json(drop_id=True).encode("utf-8")


def gpkg_bytes(analysis: GapAnalysis) -> bytes:
    """Uncovered areas and the commune table as a GeoPackage (layers ``gaps``, ``communes``)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gaps.gpkg"
        gaps_layer(analysis).to_file(path, layer="gaps", driver="GPKG")
        communes = analysis.communes.to_crs(4326)
        communes.to_file(path, layer="communes", driver="GPKG")
        return path.read_bytes()


def write_report(analysis: GapAnalysis, out_dir: str | Path, *, lang: str = "vi",
                 metric: str = "no_4g_pct",
                 progress: Callable[[str], None] = lambda message: None) -> list[Path]:
    """Write every report file (``REPORT_FILES``) into ``out_dir``; returns their paths."""
    from geo import maps, snapshot  # heavy imports only when a report is written

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    steps: list[tuple[str, Callable[[], bytes]]] = [
        ("communes.csv", lambda: csv_bytes(analysis, lang=lang)),
        ("communes.xlsx", lambda: xlsx_bytes(analysis, lang=lang)),
        ("gaps.geojson", lambda: geojson_bytes(analysis)),
        ("gaps.gpkg", lambda: gpkg_bytes(analysis)),
        ("map.html", lambda: maps.to_html(maps.build_map(analysis, metric=metric, lang=lang))
         .encode("utf-8")),
        ("map.png", lambda: snapshot.render(analysis, metric=metric, lang=lang, fmt="png")),
        ("map.pdf", lambda: snapshot.render(analysis, metric=metric, lang=lang, fmt="pdf")),
    ]
    written = []
    for i, (name, make) in enumerate(steps, 1):
        progress(f"[{i}/{len(steps)}] {name}")
        written.append(write_atomic(out / name, make()))
    return written


def write_atomic(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and a rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
