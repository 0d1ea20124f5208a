"""Writing a siting plan: the proposed sites, the before/after table, the maps.

``python -m geo plan`` and the app's planning downloads both call these functions, so a file and a
download are the same bytes. The property names of ``suggested_sites.geojson`` stay English (a
schema, like ``gaps.geojson``); the headers of ``suggested_sites.csv`` and of the before/after table
follow ``lang`` (English: the schema names :data:`SITE_COLUMNS`).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from geo import i18n, settings
from geo.io.files import write_atomic
from geo.plan.siting import Plan

SITE_COLUMNS = (
    "rank",
    "site_id",
    "lat",
    "lon",
    "commune_code",
    "commune_name",
    "mandatory",
    "people_new",
    "area_new_km2",
    "people_cum",
    "area_cum_km2",
    "service",
    "carrier",
    "technology",
)

# (kind, file name, MIME type) of every plan download; the CLI writes the same files.
DOWNLOADS: tuple[tuple[str, str, str], ...] = (
    ("sites_csv", "suggested_sites.csv", "text/csv"),
    ("sites_geojson", "suggested_sites.geojson", "application/geo+json"),
    ("before_after", "before_after.csv", "text/csv"),
    ("map_html", "map_after.html", "text/html"),
    ("map_after_png", "map_after.png", "image/png"),
    ("map_before_png", "map_before.png", "image/png"),
)


def map_metric(plan: Plan) -> str:
    """The map metric that shows the gap the plan closes."""
    if plan.service == "bts":
        return "no_4g_pct" if plan.technology == "4G" else "no_mobile_pct"
    return {"loudspeaker": "no_loudspeaker_pct", "support-point": "no_internet_pct"}[plan.service]


def sites_table(plan: Plan) -> pd.DataFrame:
    """One row per proposed site: rank, WGS 84 position (6 decimals), commune, people (whole) and
    area (km², 3 decimals) newly covered and cumulative."""
    s = plan.sites
    wgs = s.geometry.to_crs(4326)
    table = pd.DataFrame(
        {
            "rank": s["rank"].to_numpy(int),
            "site_id": s["site_id"].to_numpy(),
            "lat": wgs.y.round(6).to_numpy(),
            "lon": wgs.x.round(6).to_numpy(),
            "commune_code": s["code"].to_numpy(),
            "commune_name": s["name"].to_numpy(),
            "mandatory": s["mandatory"].to_numpy(bool),
            "people_new": s["people_new"].round(0).astype("Int64").to_numpy(),
            "area_new_km2": s["area_new_km2"].round(3).to_numpy(),
            "people_cum": s["people_cum"].round(0).astype("Int64").to_numpy(),
            "area_cum_km2": s["area_cum_km2"].round(3).to_numpy(),
            "service": plan.service,
            "carrier": (plan.carrier or ("any" if plan.service == "bts" else "")),
            "technology": plan.technology or "",
        },
        columns=list(SITE_COLUMNS),
    )
    return table


def sites_display(plan: Plan, *, lang: str = "vi") -> pd.DataFrame:
    """The proposed sites for reading: rank, commune, gap closed, cumulative, position; headers
    in ``lang``."""
    table = sites_table(plan).drop(columns=["service", "carrier", "technology"])
    if plan.service != "support-point":
        table = table.drop(columns=["mandatory"])
    else:
        table["mandatory"] = table["mandatory"].map(
            lambda v: i18n.t("unit.yes" if v else "unit.no", lang)
        )
    return _headers(table, lang)


def _headers(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    return table.rename(columns={c: i18n.t(f"plan.col_{c}", lang) for c in table.columns})


def sites_csv_bytes(plan: Plan, *, lang: str = "en") -> bytes:
    """The proposed sites as UTF-8 CSV with a BOM (Excel shows Vietnamese letters); headers in
    ``lang``, for "en" the schema names :data:`SITE_COLUMNS` (values stay machine-readable)."""
    settings.check_choice("lang", lang, settings.LANGS)
    table = sites_table(plan)
    return (
        (table if lang == "en" else _headers(table, lang)).to_csv(index=False).encode("utf-8-sig")
    )


def sites_geojson_bytes(plan: Plan) -> bytes:
    """The proposed sites as GeoJSON points (EPSG:4326, 6-decimal coordinates)."""
    import geopandas as gpd

    table = sites_table(plan)
    layer = gpd.GeoDataFrame(
        table, geometry=gpd.points_from_xy(table["lon"], table["lat"]), crs=4326
    )
    layer["people_new"] = layer["people_new"].astype(float)
    layer["people_cum"] = layer["people_cum"].astype(float)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "suggested_sites.geojson"
        layer.to_file(path, driver="GeoJSON", COORDINATE_PRECISION=6, WRITE_NAME=False)
        return path.read_bytes()


def before_after(plan: Plan, before, after, *, lang: str = "vi") -> pd.DataFrame:
    """Per commune: the gap the plan addresses before and after, and the new sites in it.

    Uncovered people (whole numbers; empty where population is unknown) and uncovered share of the
    area (%, one decimal), communes of the plan's scope only, largest closure first.
    """
    settings.check_choice("lang", lang, settings.LANGS)
    col = plan.column
    b = before.communes.set_index("code")
    a = after.communes.set_index("code")
    codes = list(plan.scope)
    people_b = b.loc[codes, "population"] - b.loc[codes, f"{col}_pop"]
    people_a = a.loc[codes, "population"] - a.loc[codes, f"{col}_pop"]
    counts = plan.sites["code"].value_counts()
    table = pd.DataFrame(
        {
            "code": codes,
            "name": b.loc[codes, "name"].to_numpy(),
            "new_sites": [int(counts.get(c, 0)) for c in codes],
            "gap_people_before": people_b.round(0).astype("Int64").to_numpy(),
            "gap_people_after": people_a.round(0).astype("Int64").to_numpy(),
            "people_reached": (people_b - people_a).round(0).astype("Int64").to_numpy(),
            "gap_pct_before": (100 - b.loc[codes, f"{col}_pct"]).round(1).to_numpy(),
            "gap_pct_after": (100 - a.loc[codes, f"{col}_pct"]).round(1).to_numpy(),
        }
    )
    if plan.service == "support-point":
        table["c03_before"] = _c03_status(b.loc[codes], lang)
        table["c03_after"] = _c03_status(a.loc[codes], lang)
    key = (
        (people_b - people_a).fillna(0).to_numpy()
        if plan.objective == "people"
        else (table["gap_pct_before"] - table["gap_pct_after"]).to_numpy()
    )
    table = table.iloc[np.lexsort((table["code"].to_numpy(), -key))]
    return _headers(table, lang).reset_index(drop=True)


def _c03_status(communes: pd.DataFrame, lang: str) -> list[str]:
    return [
        i18n.t("c03." + ("missing" if r and not p else "ok" if r else "not_required"), lang)
        for r, p in zip(communes["c03_required"], communes["c03_present"])
    ]


def before_after_csv_bytes(plan: Plan, before, after, *, lang: str = "vi") -> bytes:
    return before_after(plan, before, after, lang=lang).to_csv(index=False).encode("utf-8-sig")


def render(kind: str, plan: Plan, before, after, *, lang: str = "vi") -> bytes:
    """The bytes of one plan download ``kind`` (see :data:`DOWNLOADS`)."""
    from geo.render import maps, snapshot

    settings.check_choice("plan download", kind, tuple(k for k, _, _ in DOWNLOADS))
    metric = map_metric(plan)
    gap = (maps.metric_for_gap(metric),)
    if kind == "sites_csv":
        return sites_csv_bytes(plan, lang=lang)
    if kind == "sites_geojson":
        return sites_geojson_bytes(plan)
    if kind == "before_after":
        return before_after_csv_bytes(plan, before, after, lang=lang)
    if kind == "map_html":
        return maps.to_html(maps.build_map(after, metric=metric, lang=lang, show_gaps=gap)).encode(
            "utf-8"
        )
    analysis = after if kind == "map_after_png" else before
    title = i18n.t("plan.title_after" if kind == "map_after_png" else "plan.title_before", lang)
    return snapshot.render(
        analysis,
        metric=metric,
        lang=lang,
        fmt="png",
        show_gaps=gap,
        title=f"{title}: {analysis.dataset_name}",
    )


def write_plan(
    plan: Plan,
    before,
    after,
    out_dir: str | Path,
    *,
    lang: str = "vi",
    progress: Callable[[str], None] = lambda message: None,
) -> list[Path]:
    """Write every plan file (:data:`DOWNLOADS`) into ``out_dir``; returns their paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for i, (kind, name, _) in enumerate(DOWNLOADS, 1):
        progress(f"[{i}/{len(DOWNLOADS)}] {name}")
        written.append(write_atomic(out / name, render(kind, plan, before, after, lang=lang)))
    return written
