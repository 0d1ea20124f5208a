"""Writing what an analysis produced: tables, gap layers, the map and its snapshot.

The CLI (``python -m geo report``) and the app's download buttons both call these functions, so a
report and a download are the same bytes. Files are written atomically (a temporary file in the
target folder, then a rename), so a reader never sees half a file; nothing outside ``out_dir`` is
written.
"""

from __future__ import annotations

import datetime as dt
import html as _html
import io
import json
import tempfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio

from geo import i18n, precision, settings
from geo.analysis.gaps import GapAnalysis
from geo.io.files import write_atomic  # noqa: F401  (re-exported)
from geo.render.style import carrier_name, filter_line, is_filtered  # noqa: F401  (re-exported)
from geo.render.tables import (  # noqa: F401  (re-exported: export.commune_table, export.kpis, …)
    KPI_KINDS,
    c03_table,
    commune_card,
    commune_name,
    commune_table,
    compare_table,
    kpis,
    table_columns,
)


def csv_bytes(
    analysis: GapAnalysis, *, lang: str = "vi", terrain: GapAnalysis | None = None
) -> bytes:
    """The commune table as UTF-8 CSV with a BOM (so Excel shows Vietnamese letters); with
    ``terrain``, circle and terrain figures side by side (:func:`compare_table`)."""
    table = (
        commune_table(analysis, lang=lang)
        if terrain is None
        else compare_table(analysis, terrain, lang=lang)
    )
    return table.to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(
    analysis: GapAnalysis, *, lang: str = "vi", terrain: GapAnalysis | None = None, **view
) -> bytes:
    """The commune table, a notes sheet (assumptions, sources) and a settings sheet
    (:func:`settings_table`: filters, radii, reach, access distance, model; ``view`` = its
    ``metric``, ``show_gaps``, ``date``) as an XLSX workbook; with ``terrain``, circle and
    terrain figures side by side."""
    buffer = io.BytesIO()
    table = (
        commune_table(analysis, lang=lang)
        if terrain is None
        else compare_table(analysis, terrain, lang=lang)
    )
    shown = settings_table(analysis, lang=lang, **view)
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        table.to_excel(writer, sheet_name=i18n.t("export.sheet_communes", lang), index=False)
        pd.DataFrame(
            {i18n.t("export.notes", lang): notes(analysis, lang=lang, terrain=terrain)}
        ).to_excel(writer, sheet_name=i18n.t("export.sheet_notes", lang), index=False)
        pd.DataFrame(
            {
                i18n.t("settings.setting", lang): shown["label"],
                i18n.t("settings.value", lang): shown["text"],
            }
        ).to_excel(writer, sheet_name=i18n.t("settings.title", lang), index=False)
        if has_settlements(analysis):
            from geo.analysis import villages

            villages.for_export(analysis, lang=lang, terrain=terrain).to_excel(
                writer, sheet_name=i18n.t("village.sheet", lang), index=False
            )
    return buffer.getvalue()


def has_settlements(analysis: GapAnalysis) -> bool:
    """True when the analysis carries villages (a settlements layer with rows)."""
    return analysis.settlements is not None and len(analysis.settlements) > 0


def notes(
    analysis: GapAnalysis, *, lang: str = "vi", terrain: GapAnalysis | None = None
) -> list[str]:
    """Lines on assumptions, sources and the illustrative status, for exports; with ``terrain``,
    which model made which figure and the terrain model's own notes (DEM, voids)."""
    from geo.render.snapshot import assumption_lines

    lines = [f"{i18n.t('map.vintage', lang)}: {i18n.t('map.vintage_' + analysis.vintage, lang)}"]
    if terrain is not None or analysis.model == "terrain":
        lines.append(i18n.t("terrain.note_models", lang))
        lines += [i18n.note_text(n, lang) for n in (terrain or analysis).notes]
    lines += assumption_lines(analysis.params, lang)
    if has_settlements(analysis):
        from geo.analysis import villages

        lines.append(villages.note_line(villages.village_table(analysis), lang))
        if terrain is not None:  # the terrain model's count (and which villages) too
            lines.append(
                f"{villages.note_line(villages.village_table(terrain), lang)} "
                f"{i18n.t('terrain.tag_terrain', lang)}"
            )
    if analysis.illustrative:
        lines.append(i18n.t("notice.illustrative", lang))
    lines += [f"{i18n.t('map.sources', lang)}: {i18n.localized(s, lang)}" for s in analysis.sources]
    return lines


GEOJSON_DECIMALS = 6  # coordinates of gaps.geojson: 6 decimals of a degree ≈ 0.1 m


def gaps_layer(analysis: GapAnalysis, *, decimals: int | None = None) -> gpd.GeoDataFrame:
    """Uncovered areas in EPSG:4326 for export (column names stay English: they are a schema),
    coordinates rounded to ``decimals`` (None: as reprojected); every polygon valid
    (:func:`geo.precision.round_valid`: reprojection and rounding can make two rings touch)."""
    return _valid_wgs84(analysis.gaps, decimals).assign(area_km2=lambda g: g["area_km2"].round(4))


def _valid_wgs84(layer: gpd.GeoDataFrame, decimals: int | None) -> gpd.GeoDataFrame:
    out = layer.to_crs(4326)
    return out.set_geometry(
        gpd.GeoSeries(
            precision.round_valid(out.geometry.values, decimals), index=out.index, crs=out.crs
        )
    )


def geojson_bytes(analysis: GapAnalysis, **view) -> bytes:
    """Uncovered areas as GeoJSON (EPSG:4326), coordinates written with 6 decimals (≈ 0.1 m);
    the settings they were computed with (:func:`settings_table`; ``view`` = its ``lang``,
    ``metric``, ``show_gaps``, ``date``) in a top-level member ``phusong_settings``, a list of
    {key, value, label, text} (RFC 7946 allows such foreign members; readers ignore them)."""
    members = {"phusong_settings": settings_table(analysis, **view).to_dict("records")}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gaps.geojson"
        gaps_layer(analysis, decimals=GEOJSON_DECIMALS).to_file(
            path,
            driver="GeoJSON",
            COORDINATE_PRECISION=GEOJSON_DECIMALS,
            WRITE_NAME=False,
            NATIVE_DATA=json.dumps(members, ensure_ascii=False),
            NATIVE_MEDIA_TYPE="application/vnd.geo+json",
        )
        return path.read_bytes()


# GeoPackage 1.3: GDAL writes 1.4 by default, which GDAL 3.6 (QGIS LTR) opens with a warning.
GPKG_VERSION = "1.3"


def gpkg_bytes(analysis: GapAnalysis, **view) -> bytes:
    """Uncovered areas, the commune table and the settings as a GeoPackage 1.3: layers ``gaps``
    and ``communes`` (EPSG:4326, every polygon valid; their description is the filter line) and
    the attribute table ``settings`` (key, value, label, text; :func:`settings_table`, ``view`` =
    its ``lang``, ``metric``, ``show_gaps``, ``date``)."""
    shown = settings_table(analysis, **view)
    about = {"DESCRIPTION": filter_line(analysis.params, view.get("lang", "vi"))}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gaps.gpkg"
        gaps_layer(analysis).to_file(
            path,
            layer="gaps",
            driver="GPKG",
            dataset_options={"VERSION": GPKG_VERSION},
            layer_options=about,
        )
        _valid_wgs84(analysis.communes, None).to_file(
            path, layer="communes", driver="GPKG", layer_options=about
        )
        pyogrio.write_dataframe(shown, path, layer="settings", driver="GPKG")
        return path.read_bytes()


def settings_table(
    analysis: GapAnalysis,
    *,
    lang: str = "vi",
    metric: str | None = None,
    show_gaps: tuple[str, ...] | None = None,
    date: dt.date | None = None,
) -> pd.DataFrame:
    """What an export shows and how it was computed, one setting a row: ``key`` and ``value``
    for programs (distances in metres, lists joined by ";", "all" where nothing is filtered
    out), ``label`` and ``text`` for readers in ``lang``. Rows: dataset, date (default today),
    vintage, model, carriers, technologies, the radius of each technology (and per-carrier
    overrides), the reach of each loudspeaker kind, the internet access distance, the metric
    and gap kinds shown (when given), whether positions are illustrative, the model's notes and
    the sources."""
    from geo.render.snapshot import day_text, distance_text

    settings.check_choice("lang", lang, settings.LANGS)
    params, day = analysis.params, date or dt.date.today()
    rows: list[tuple[str, str, str, str]] = []

    def t(key: str) -> str:
        return i18n.t(key, lang)

    def add(key: str, value, label: str, text: str) -> None:
        rows.append((key, str(value), label, text))

    def add_distance(key: str, label: str, m: float) -> None:
        add(key, f"{float(m):g}", label, distance_text(float(m), lang))

    def add_choice(key: str, label: str, values: tuple[str, ...], text) -> None:
        add(
            key, ";".join(values) or "all", label, ", ".join(map(text, values)) or t("settings.all")
        )

    add("dataset", analysis.dataset_name, t("settings.dataset"), analysis.dataset_name)
    add("date", day.isoformat(), t("map.date"), day_text(day, lang))
    add("vintage", analysis.vintage, t("map.vintage"), t(f"map.vintage_{analysis.vintage}"))
    add("model", analysis.model, t("settings.model"), t(f"terrain.model_{analysis.model}"))
    add_choice("carriers", t("settings.carriers"), params.carriers, lambda c: carrier_name(c, lang))
    add_choice("technologies", t("settings.technologies"), params.technologies, str)
    for tech, r in params.radius_m:
        add_distance(f"radius_{tech}_m", f"{t('map.radius')} {tech}", r)
    for c, tech, r in params.carrier_radius_m:
        add_distance(f"radius_{c}_{tech}_m", f"{t('map.carrier_radius')} {c} {tech}", r)
    for kind, r in params.loudspeaker_radius_m:
        add_distance(
            f"loudspeaker_{kind}_m",
            f"{t('map.loudspeaker_reach')}: {t(f'loudspeaker.{kind}').lower()}",
            r,
        )
    add_distance("internet_access_m", t("map.internet_access"), params.internet_access_m)
    if metric is not None:
        add("metric", metric, t("app.metric"), t(f"metric.{metric}"))
    if show_gaps is not None:
        add(
            "gaps_shown",
            ";".join(show_gaps),
            t("app.show_gaps"),
            ", ".join(t(f"gap.{g}") for g in show_gaps) or "–",
        )
    add(
        "illustrative",
        str(analysis.illustrative).lower(),
        t("col.illustrative"),
        t(f"unit.{'yes' if analysis.illustrative else 'no'}"),
    )
    for i, n in enumerate(analysis.notes, 1):
        add(f"note_{i}", i18n.note_text(n, "en"), t("settings.note"), i18n.note_text(n, lang))
    for i, src in enumerate(analysis.sources, 1):
        add(f"source_{i}", i18n.localized(src, "en"), t("map.sources"), i18n.localized(src, lang))
    return pd.DataFrame(rows, columns=["key", "value", "label", "text"])


def settings_csv_bytes(analysis: GapAnalysis, **view) -> bytes:
    """:func:`settings_table` as UTF-8 CSV with a BOM: the sidecar of ``communes.csv``, whose
    columns stay as they are (a commented preamble would break CSV readers)."""
    return settings_table(analysis, **view).to_csv(index=False).encode("utf-8-sig")


# (kind, file name, MIME type) of every download the app offers; the report writes the same files.
DOWNLOADS: tuple[tuple[str, str, str], ...] = (
    ("png", "map.png", "image/png"),
    ("pdf", "map.pdf", "application/pdf"),
    ("report", "report.pdf", "application/pdf"),
    ("html", "map.html", "text/html"),
    ("csv", "communes.csv", "text/csv"),
    ("xlsx", "communes.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("settings", "settings.csv", "text/csv"),
    ("geojson", "gaps.geojson", "application/geo+json"),
    ("gpkg", "gaps.gpkg", "application/geopackage+sqlite3"),
)


def render(
    kind: str,
    analysis: GapAnalysis,
    *,
    metric: str = "no_4g_pct",
    lang: str = "vi",
    show_gaps: tuple[str, ...] | None = None,
    terrain: GapAnalysis | None = None,
    date: dt.date | None = None,
) -> bytes:
    """The bytes of one export ``kind`` (see :data:`DOWNLOADS`); ``terrain`` adds the terrain
    model's figures beside the circle model's in the tables; ``date`` (default today) is the
    date the maps, the report and the settings state."""
    from geo.render import maps, report_pdf, snapshot  # heavy imports only when a map is asked for

    kinds = [k for k, _, _ in DOWNLOADS]
    settings.check_choice("export kind", kind, tuple(kinds))
    if show_gaps is None:  # what the snapshot hatches by default: the metric's own gap kind
        show_gaps = tuple(g for g in [maps.metric_for_gap(metric)] if g)
    view = {"lang": lang, "metric": metric, "show_gaps": show_gaps, "date": date}
    if kind in ("png", "pdf"):
        return snapshot.render(
            analysis, metric=metric, lang=lang, fmt=kind, show_gaps=show_gaps, date=date
        )
    makers = {
        "report": lambda: report_pdf.render(analysis, **view),
        "html": lambda: html_bytes(analysis, **view),
        "csv": lambda: csv_bytes(analysis, lang=lang, terrain=terrain),
        "xlsx": lambda: xlsx_bytes(analysis, terrain=terrain, **view),
        "settings": lambda: settings_csv_bytes(analysis, **view),
        "geojson": lambda: geojson_bytes(analysis, **view),
        "gpkg": lambda: gpkg_bytes(analysis, **view),
    }
    return makers[kind]()


_FILTER_CSS = "color:#a50f15;font-weight:bold"  # the snapshot's red for a filtered view


def html_bytes(
    analysis: GapAnalysis,
    *,
    lang: str = "vi",
    metric: str = "no_4g_pct",
    show_gaps: tuple[str, ...] = (),
    date: dt.date | None = None,
) -> bytes:
    """The interactive map as one self-contained HTML page (:func:`geo.render.maps.to_html`) under a
    header that says what it shows: the title and date (also the page's ``<title>``), the
    metric and boundaries, the filters (in red when some sites are left out) and the model's
    settings (:func:`geo.render.snapshot.model_lines`)."""
    from geo.render import maps, snapshot

    page = maps.to_html(maps.build_map(analysis, metric=metric, lang=lang, show_gaps=show_gaps))
    day = snapshot.day_text(date or dt.date.today(), lang)
    title = snapshot.page_title(analysis, lang)
    sub = [
        i18n.t(f"metric.{metric}", lang),
        f"{i18n.t('map.vintage', lang)}: {i18n.t('map.vintage_' + analysis.vintage, lang)}",
        f"{i18n.t('map.date', lang)}: {day}",
    ]
    filtered = is_filtered(analysis.params)
    esc = _html.escape
    header = (
        '<header class="phusong-export-header" style="flex:0 0 auto;padding:6px 12px 5px;'
        'font:13px/1.35 sans-serif;background:#fff;border-bottom:1px solid #bbb;color:#222">'
        f'<h1 style="font-size:18px;margin:0 0 2px">{esc(title)}</h1>'
        f"<div>{' · '.join(esc(x) for x in sub)}</div>"
        f'<div class="phusong-filters" style="{_FILTER_CSS if filtered else ""}">'
        f"{esc(filter_line(analysis.params, lang))}</div>"
        '<div class="phusong-settings" style="font-size:12px;color:#444">'
        f"{' · '.join(esc(x) for x in snapshot.model_lines(analysis, lang))}</div></header>"
    )
    # the header above the map, the map filling the rest of the window
    css = (
        "<style>body{display:flex;flex-direction:column}"
        ".folium-map{flex:1 1 auto;height:auto!important;min-height:0}</style>"
    )
    page = page.replace("<head>", f"<head>\n    <title>{esc(title)} — {esc(day)}</title>{css}", 1)
    at = page.index('<div class="folium-map"')
    return (page[:at] + header + page[at:]).encode("utf-8")


def write_report(
    analysis: GapAnalysis,
    out_dir: str | Path,
    *,
    lang: str = "vi",
    metric: str = "no_4g_pct",
    progress: Callable[[str], None] = lambda message: None,
    terrain: GapAnalysis | None = None,
    date: dt.date | None = None,
) -> list[Path]:
    """Write every report file (:data:`DOWNLOADS`) into ``out_dir``; returns their paths.

    With ``terrain`` (the terrain model's analysis of the same data), the tables show circle and
    terrain figures side by side, and ``gaps_terrain.geojson`` and ``map_terrain.html`` are added.
    With settlements, ``settlements.csv`` (:func:`geo.analysis.villages.csv_bytes`) is added.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    order = ("csv", "xlsx", "settings", "geojson", "gpkg", "html", "png", "pdf", "report")
    names = {k: name for k, name, _ in DOWNLOADS}
    written = []
    for i, kind in enumerate(order, 1):
        progress(f"[{i}/{len(order)}] {names[kind]}")
        written.append(
            write_atomic(
                out / names[kind],
                render(kind, analysis, metric=metric, lang=lang, terrain=terrain, date=date),
            )
        )
    if terrain is not None:
        progress("terrain: gaps_terrain.geojson, map_terrain.html")
        written.append(
            write_atomic(
                out / "gaps_terrain.geojson",
                render("geojson", terrain, metric=metric, lang=lang, date=date),
            )
        )
        written.append(
            write_atomic(
                out / "map_terrain.html",
                render("html", terrain, metric=metric, lang=lang, date=date),
            )
        )
    if has_settlements(analysis):
        from geo.analysis import villages

        n, total = villages.lom_song_count(villages.village_table(analysis))
        progress(f"villages: settlements.csv ({n} of {total} without mobile signal, lõm sóng)")
        written.append(
            write_atomic(
                out / "settlements.csv", villages.csv_bytes(analysis, lang=lang, terrain=terrain)
            )
        )
    return written


# The KPI row: each uncovered kind's people, area share beside them (geo.analysis.gaps column stems).
