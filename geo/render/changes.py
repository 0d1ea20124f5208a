"""The change between two versions for people to read: ``changes.csv``/XLSX and the change map.

Tables come from :func:`geo.analysis.change.compare`; headers in the language asked ("4G area (%)
change" in English, "… thay đổi" in Vietnamese). Shares are rounded to one decimal, people to whole
numbers (the change from unrounded figures, then rounded). The map is one self-contained HTML page
(Leaflet inlined by :func:`geo.maps.to_html`): no request leaves the machine.
"""

from __future__ import annotations

import html
import io

import folium
import numpy as np
import pandas as pd

from geo import i18n, settings
from geo.render import maps
from geo.analysis import change

# Change of the 4G area share, percentage points: class edges and colours (loss red, gain green).
EDGES = (-25.0, -5.0, -0.05, 0.05, 5.0, 25.0)
COLORS = ("#b2182b", "#ef8a62", "#fddbc7", "#f0f0f0", "#d9f0d3", "#7fbf7b", "#1b7837")
NO_DATA = "#bdbdbd"


def table_for_reading(table: pd.DataFrame, *, lang: str = "vi") -> pd.DataFrame:
    """A :func:`change.compare` table rounded for reading, headers and status in ``lang``."""
    settings.check_choice("lang", lang, settings.LANGS)
    t = lambda key: i18n.t(key, lang)  # noqa: E731 - a short alias keeps the headers readable
    out = {
        t("col.code"): table["code"].to_numpy(),
        t("col.name"): table["name"].to_numpy(),
        t("change.status"): [t(f"change.status.{s}") for s in table["status"]],
    }
    for column, kind in change.METRICS:
        label = t(f"change.metric.{column}")
        for side in ("before", "after", "change"):
            values = table[f"{column}_{side}"].to_numpy(float)
            out[f"{label} {t('change.' + side)}"] = (
                values.round(1) if kind == "pct" else pd.array(values.round(0), dtype="Int64")
            )
    return pd.DataFrame(out)


def csv_bytes(table: pd.DataFrame, *, lang: str = "vi") -> bytes:
    """``changes.csv``: UTF-8 with a BOM (Excel shows Vietnamese letters)."""
    return table_for_reading(table, lang=lang).to_csv(index=False).encode("utf-8-sig")


def xlsx_bytes(table: pd.DataFrame, *, lang: str = "vi") -> bytes:
    """The changes table and one summary line per commune as an XLSX workbook."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        table_for_reading(table, lang=lang).to_excel(
            writer, sheet_name=i18n.t("change.sheet", lang), index=False
        )
        pd.DataFrame({i18n.t("change.sheet_lines", lang): change.lines(table, lang)}).to_excel(
            writer, sheet_name=i18n.t("change.sheet_lines", lang), index=False
        )
    return buffer.getvalue()


def color_of(value: float) -> str:
    """The fill of a change of the 4G area share (percentage points); grey where unknown."""
    if not np.isfinite(value):
        return NO_DATA
    return COLORS[int(np.searchsorted(EDGES, value, side="right"))]


def change_map(table: pd.DataFrame, after, *, lang: str = "vi") -> folium.Map:
    """Folium map of the communes of ``after`` (a GapAnalysis) coloured by the change of their
    4G area share, a tooltip per commune with its :func:`change.line`; no tiles (offline)."""
    settings.check_choice("lang", lang, settings.LANGS)
    communes = after.communes[["code", "geometry"]].to_crs(4326)
    rows = table.set_index("code")
    features = []
    for code, geom in zip(communes["code"].astype(str), communes.geometry):
        row = rows.loc[code] if code in rows.index else None
        value = float(row["covered_4g_pct_change"]) if row is not None else float("nan")
        text = html.escape(change.line(row, lang)) if row is not None else code
        features.append(
            {
                "type": "Feature",
                "geometry": geom.__geo_interface__,
                "properties": {"code": code, "line": text, "fill": color_of(value)},
            }
        )
    west, south, east, north = communes.total_bounds
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2], tiles=None, control_scale=False
    )  # folium's scale adds miles; the main map has the scale
    folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name="change",
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": "#555",
            "weight": 1,
            "fillOpacity": 0.8,
        },
        tooltip=folium.GeoJsonTooltip(fields=["line"], labels=False),
    ).add_to(m)
    m.fit_bounds([[south, west], [north, east]])
    m.get_root().html.add_child(folium.Element(legend_html(lang)))
    return m


def legend_html(lang: str = "vi") -> str:
    """The legend of :func:`change_map` (fixed in the map's corner)."""

    def edge(x: float) -> str:
        return i18n.number(x, lang, 0 if abs(x) >= 1 else 2)

    labels = (
        [f"&lt; {edge(EDGES[0])}"]
        + [f"{edge(a)} … {edge(b)}" for a, b in zip(EDGES[:-1], EDGES[1:])]
        + [f"≥ {edge(EDGES[-1])}"]
    )
    labels[3] = i18n.t("change.legend_none", lang)
    items = "".join(
        f'<div><span style="display:inline-block;width:14px;height:10px;'
        f'background:{c};border:1px solid #777;margin-right:4px"></span>{label}</div>'
        for c, label in zip(COLORS[::-1], labels[::-1])
    )
    return (
        '<div style="position:fixed;top:10px;right:10px;z-index:1000;background:white;'
        'padding:6px 8px;font:12px sans-serif;border:1px solid #999">'
        f"<b>{html.escape(i18n.t('change.map_title', lang))}</b>{items}</div>"
    )


def map_html(table: pd.DataFrame, after, *, lang: str = "vi") -> bytes:
    """:func:`change_map` as one self-contained HTML page (UTF-8)."""
    return maps.to_html(change_map(table, after, lang=lang)).encode("utf-8")
