"""The model-versus-field map: readings coloured by what they say, disagreements ringed in red.

Built on the offline rules of :mod:`geo.render.maps` (vendored Leaflet, :func:`geo.render.maps.to_html` inlines
everything; no tile layer, no request off the page). Layers: commune outlines, the confidence
layer (checked / contradicted / unchecked, :func:`geo.analysis.agreement.confidence`) when given,
the readings (green service, amber weak, grey none) and red rings on the disagreements.
"""

from __future__ import annotations

import html

import folium
import geopandas as gpd
import numpy as np
import pandas as pd

from geo import i18n
from geo.render import maps
from geo.analysis.agreement import CONFUSION, Comparison
from geo.crs import WGS84
from geo.settings import LANGS, check_choice

SERVICE_COLOURS = maps.SERVICE_COLOURS
STATUS_COLOURS = {"checked": "#1a9850", "contradicted": "#d73027", "unchecked": "#bdbdbd"}
DISAGREE_COLOUR = maps.DISAGREE_COLOUR
# A map of more readings than this draws every disagreement and a regular sample of the others
# (the browser stays responsive); the legend says so.
MAX_MAP_READINGS = 10_000


def map_readings(comparison: Comparison, limit: int = MAX_MAP_READINGS) -> gpd.GeoDataFrame:
    """The readings drawn on the map (WGS 84): all when at most ``limit``, else every
    disagreement and an evenly spaced share of the agreeing readings."""
    readings = comparison.readings
    if len(readings) > limit:
        bad = np.flatnonzero(~readings["agrees"].to_numpy(bool))
        good = np.flatnonzero(readings["agrees"].to_numpy(bool))
        room = max(limit - len(bad), 0)
        keep = np.sort(
            np.r_[
                bad[:limit],
                good[np.linspace(0, len(good) - 1, room).astype(int)] if room and len(good) else [],
            ]
        ).astype(int)
        readings = readings.iloc[keep]
    return readings.to_crs(WGS84)


def field_map(
    comparison: Comparison,
    communes: gpd.GeoDataFrame,
    *,
    lang: str = "vi",
    confidence: gpd.GeoDataFrame | None = None,
    asset_base_url: str | None = None,
) -> folium.Map:
    """Folium map of ``comparison`` over ``communes`` (any CRS) in ``lang``; ``confidence``: the
    layer of :func:`geo.analysis.agreement.confidence`."""
    check_choice("lang", lang, LANGS)
    outline = communes.to_crs(WGS84)
    west, south, east, north = outline.total_bounds
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=11,
        tiles=None,
        control_scale=True,
    )
    folium.Figure().add_child(m)
    m.fit_bounds([[south, west], [north, east]])
    if confidence is not None and len(confidence):
        layer = confidence.to_crs(WGS84)[["status", "commune", "geometry"]].copy()
        layer["label"] = layer["status"].map(lambda s: i18n.t(f"field.{s}", lang))
        folium.GeoJson(
            layer.to_json(),
            name=i18n.t("field.commune_status", lang),
            style_function=lambda f: {
                "fillColor": STATUS_COLOURS[f["properties"]["status"]],
                "color": STATUS_COLOURS[f["properties"]["status"]],
                "weight": 0,
                "fillOpacity": 0.35,
            },
            tooltip=folium.GeoJsonTooltip(["commune", "label"], labels=False),
        ).add_to(m)
    folium.GeoJson(
        outline[["name", "geometry"]].to_json(),
        name=i18n.t("col.name", lang),
        style_function=lambda f: {"fill": False, "color": "#333", "weight": 1.2},
        tooltip=folium.GeoJsonTooltip(["name"], labels=False),
    ).add_to(m)
    shown = map_readings(comparison)
    maps.add_readings(m, shown, lang)
    folium.LayerControl(collapsed=False).add_to(m)
    m.get_root().html.add_child(folium.Element(legend_html(comparison, lang, len(shown))))
    maps.use_local_assets(m, asset_base_url)
    return m


def legend_html(comparison: Comparison, lang: str, shown: int) -> str:
    """The legend box of the standalone map (title, counts, colours)."""
    n = len(comparison.readings)
    agree = int(comparison.readings["agrees"].sum())
    rows = [
        f"<b>{html.escape(i18n.t('field.map_title', lang))}</b>",
        html.escape(
            i18n.t("field.map_note", lang).format(
                n=i18n.number(n, lang),
                agree=i18n.number(agree, lang),
                pct=i18n.number(comparison.agreement_pct, lang, 1),
            )
        ),
    ]
    if shown < n:
        rows.append(html.escape(f"({i18n.number(shown, lang)} / {i18n.number(n, lang)})"))
    rows += maps.readings_legend_rows(lang)
    return (
        "<div style='position:fixed;bottom:24px;right:12px;z-index:1000;max-width:320px;"
        "background:#fff;padding:8px 10px;border:1px solid #999;border-radius:4px;"
        "font:12px/1.4 sans-serif'>" + "<br>".join(rows) + "</div>"
    )


def _fmt(value, lang: str, decimals: int = 0) -> str:
    return "" if value is None or pd.isna(value) else maps.fmt_number(float(value), lang, decimals)


def agreement_display(table: pd.DataFrame, lang: str = "vi") -> pd.DataFrame:
    """``agreement.csv``'s table for reading: headers and numbers in ``lang``, "not enough
    evidence" where no radius was fitted."""
    out = pd.DataFrame(
        {
            "carrier": table["carrier"].map(lambda c: i18n.t(f"carrier.{c}", lang)),
            "technology": table["technology"],
            "samples": [_fmt(v, lang) for v in table["samples"]],
            "agreement_before_pct": [_fmt(v, lang, 1) for v in table["agreement_before_pct"]],
            "radius_before_m": [_fmt(v, lang) for v in table["radius_before_m"]],
            "radius_fitted_m": [
                _fmt(v, lang) if not pd.isna(v) else i18n.t("field.not_enough", lang)
                for v in table["radius_fitted_m"]
            ],
            "radius_low_m": [_fmt(v, lang) for v in table["radius_low_m"]],
            "radius_high_m": [_fmt(v, lang) for v in table["radius_high_m"]],
            "agreement_after_pct": [_fmt(v, lang, 1) for v in table["agreement_after_pct"]],
        }
    )
    return out.rename(columns={c: i18n.t(f"field.{c}", lang) for c in out.columns})


def confusion_display(by_group: pd.DataFrame, lang: str = "vi") -> pd.DataFrame:
    """Readings per carrier × technology by outcome (model covered or not × field service or
    not), headers in ``lang``."""
    out = by_group[["carrier", "technology", "samples", *CONFUSION]].copy()
    out["carrier"] = out["carrier"].map(lambda c: i18n.t(f"carrier.{c}", lang))
    return out.rename(columns={c: i18n.t(f"field.{c}", lang) for c in out.columns})


def communes_display(confidence: pd.DataFrame, lang: str = "vi") -> pd.DataFrame:
    """The per-commune confidence table (:func:`geo.analysis.agreement.confidence`) for reading."""
    columns = [
        "code",
        "commune",
        "samples",
        "agreement_pct",
        "evidence_area_pct",
        "evidence_people_pct",
        "checked_area_pct",
        "contradicted_area_pct",
        "status",
    ]
    out = confidence[columns].copy()
    for col in columns[3:-1]:
        out[col] = [_fmt(v, lang, 1) for v in out[col]]
    out["status"] = out["status"].map(lambda s: i18n.t(f"field.{s}", lang))
    return out.rename(columns={c: i18n.t(f"field.{c}", lang) for c in out.columns})


def loss_display(table: pd.DataFrame, lang: str = "vi") -> pd.DataFrame:
    """``path_loss.csv``'s table (:func:`geo.analysis.terrain_check.loss_table`) for reading:
    headers and numbers in ``lang``, "not enough evidence" where no threshold was fitted."""
    out = pd.DataFrame(
        {
            "carrier": table["carrier"].map(lambda c: i18n.t(f"carrier.{c}", lang)),
            "technology": table["technology"],
            "readings": [_fmt(v, lang) for v in table["readings"]],
            "in_sight": [_fmt(v, lang) for v in table["in_sight"]],
            "agreement_before_pct": [_fmt(v, lang, 1) for v in table["agreement_before_pct"]],
            "max_path_loss_fitted_db": [
                _fmt(v, lang, 1) if not pd.isna(v) else i18n.t("field.not_enough", lang)
                for v in table["max_path_loss_fitted_db"]
            ],
            "max_path_loss_low_db": [_fmt(v, lang, 1) for v in table["max_path_loss_low_db"]],
            "max_path_loss_high_db": [_fmt(v, lang, 1) for v in table["max_path_loss_high_db"]],
            "agreement_after_pct": [_fmt(v, lang, 1) for v in table["agreement_after_pct"]],
        }
    )
    return out.rename(columns={c: i18n.t(f"field.{c}", lang) for c in out.columns})


def loss_text(limits: tuple, lang: str = "vi") -> str:
    """ "Viettel 4G: 124,6 dB, …" for path-loss thresholds (carrier, technology, dB)."""
    return ", ".join(
        f"{i18n.t(f'carrier.{c}', lang)} {t}: {maps.fmt_number(v, lang, 1)} dB"
        for c, t, v in limits
    )


def calibration_text(params_overrides: tuple, lang: str = "vi") -> str:
    """ "Viettel 4G: 2.278 m, …" for per-carrier radius overrides (carrier, technology, metres)."""
    return ", ".join(
        f"{i18n.t(f'carrier.{c}', lang)} {t}: {maps.fmt_number(r, lang)} m"
        for c, t, r in params_overrides
    )


__all__ = [
    "MAX_MAP_READINGS",
    "SERVICE_COLOURS",
    "STATUS_COLOURS",
    "agreement_display",
    "calibration_text",
    "communes_display",
    "confusion_display",
    "field_map",
    "legend_html",
    "loss_display",
    "loss_text",
    "map_readings",
]
