"""Map style shared by the folium map (:mod:`geo.render.maps`) and the matplotlib snapshot
(:mod:`geo.render.snapshot`): the metrics and their classes, colours, legend labels, number
formats and the line that states the active filters. No folium here, so the snapshot and the PDF
report do not load it.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import i18n
from geo.settings import GAP_KINDS, check_choice

# --- metrics and their classes (shared with geo.render.snapshot) ---------------------------------------

MAP_METRICS: tuple[str, ...] = (
    "no_4g_pct",
    "no_mobile_pct",
    "no_loudspeaker_pct",
    "no_internet_pct",
    "no_service_pct",
    "no_4g_pop",
    "no_mobile_pop",
    "no_loudspeaker_pop",
    "no_internet_pop",
    "no_service_pop",
    "at_risk_pct",
    "at_risk_pop",
    "gap_score",
)

_PCT_BINS = (0.0, 5.0, 20.0, 40.0, 60.0, 100.0)
# People in a commune: one scale for every "people without …" metric, so that switching from
# 4G to loudspeakers shows the larger gap as darker communes, not as the same colours.
_POP_BINS = (0.0, 100.0, 500.0, 1000.0, 2500.0, math.inf)
# Fixed class edges per metric, so the same value always gets the same colour in every map.
METRIC_BINS: dict[str, tuple[float, ...]] = {
    "no_4g_pct": _PCT_BINS,
    "no_mobile_pct": _PCT_BINS,
    "no_loudspeaker_pct": _PCT_BINS,
    "no_internet_pct": _PCT_BINS,
    "no_service_pct": _PCT_BINS,
    "at_risk_pct": _PCT_BINS,
    "gap_score": (0.0, 10.0, 20.0, 35.0, 50.0, 100.0),
    "no_4g_pop": _POP_BINS,
    "no_mobile_pop": _POP_BINS,
    "no_loudspeaker_pop": _POP_BINS,
    "no_internet_pop": _POP_BINS,
    "no_service_pop": _POP_BINS,
    "at_risk_pop": _POP_BINS,
}
# ColorBrewer YlOrRd, 5 classes: light = small gap, dark red = big gap.
CLASS_COLORS: tuple[str, ...] = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
NO_DATA_COLOR = "#d9d9d9"
# The population layer (where people live): people per km² of each grid cell, fixed classes; WorldPop's
# 1 km cells in Đakrông run from a few to a few hundred people per km² (mountains to town).
POPULATION_BINS: tuple[float, ...] = (0.0, 10.0, 25.0, 50.0, 100.0, 250.0, math.inf)
# ColorBrewer BuPu, 6 classes: apart from the communes' YlOrRd, light = few people.
POPULATION_COLORS: tuple[str, ...] = (
    "#edf8fb",
    "#bfd3e6",
    "#9ebcda",
    "#8c96c6",
    "#8856a7",
    "#810f7c",
)
POPULATION_OPACITY = 0.75

CARRIER_COLORS: dict[str, str] = {
    "Viettel": "#00897b",  # teal
    "VinaPhone": "#1f5fbf",  # blue
    "MobiFone": "#7b3294",  # purple
    "Vietnamobile": "#e7298a",  # magenta
    "other": "#555555",
}
GAP_COLORS: dict[str, str] = {
    "no_4g": "#08306b",
    "no_mobile": "#000000",
    "no_loudspeaker": "#3f007d",
    "no_internet": "#00441b",
    "no_service": "#252525",
    "at_risk": "#7f2704",
}
# Hatch angle (degrees) of each uncovered-area kind, so overlapping kinds stay distinguishable.
GAP_HATCH_ANGLE: dict[str, int] = {
    "no_4g": 45,
    "no_mobile": -45,
    "no_loudspeaker": 0,
    "no_internet": 90,
    "no_service": 30,
    "at_risk": -30,
}
LOUDSPEAKER_COLOR = "#ffffff"
LOUDSPEAKER_EDGE = "#222222"
INTERNET_COLOR = "#ffd92f"
INTERNET_EDGE = "#333333"
SITE_LAYERS: tuple[str, ...] = ("bts_sites", "loudspeakers", "internet_points")
# Villages (geo.analysis.villages): green with mobile signal, black ringed white without ("lõm sóng"; not
# red, which the gap classes use), grey outside every commune (not known).
VILLAGE_STYLE: dict[str, tuple[str, str]] = {
    "covered": ("#4daf4a", "#1b4d1a"),
    "lom_song": ("#111111", "#ffffff"),
    "unknown": ("#9e9e9e", "#555555"),
}

COORD_DECIMALS = 5  # about 1 m at this latitude
SIMPLIFY_M = 40.0  # tolerance of the map geometry simplification, metres (in the UTM CRS): the
# approximate communes are 100 m staircases, a circle model is no finer; smaller maps rerun faster


def classify(values, metric: str) -> np.ndarray:
    """Class index 0..4 of each value of ``metric`` (``-1`` where the value is missing)."""
    check_choice("metric", metric, MAP_METRICS)
    edges = np.asarray(METRIC_BINS[metric][1:-1])
    v = np.asarray(values, dtype=float)
    idx = np.searchsorted(edges, v, side="right")
    return np.where(np.isnan(v), -1, idx)


def class_colors(values, metric: str) -> list[str]:
    """Fill colour of each value of ``metric`` (grey where the value is missing)."""
    return [CLASS_COLORS[i] if i >= 0 else NO_DATA_COLOR for i in classify(values, metric)]


def fmt_number(x, lang: str = "vi", decimals: int = 0) -> str:
    """``x`` formatted for ``lang`` (vi: 1.234,5; en: 1,234.5); an en dash for a missing value."""
    return i18n.number(x, lang, decimals)


def class_labels(metric: str, lang: str = "vi") -> list[str]:
    """Legend label of each class of ``metric``, e.g. ``"5–20"`` or ``"≥ 2.500"``."""
    return edge_labels(METRIC_BINS[metric], lang)


def edge_labels(edges: tuple[float, ...], lang: str = "vi") -> list[str]:
    """Legend label of each class between ``edges``, e.g. ``"5–20"`` or ``"≥ 2.500"``."""
    labels = []
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        if math.isinf(hi):
            labels.append(f"≥ {fmt_number(lo, lang)}")
        else:
            labels.append(f"{fmt_number(lo, lang)}–{fmt_number(hi, lang)}")
    return labels


def metric_for_gap(metric: str) -> str | None:
    """The gap kind a metric measures (``no_4g_pct`` → ``no_4g``), or None for ``gap_score``."""
    for kind in GAP_KINDS:
        if metric.startswith(kind + "_"):
            return kind
    return None


def follow_metric(
    chosen: list[str] | None, followed: str | None, metric: str
) -> tuple[list[str], str]:
    """The uncovered-area kinds to hatch once the colour metric is ``metric``, and the kind that
    now follows the metric.

    ``chosen`` is the current selection (None before the first one), ``followed`` the kind the
    previous metric put there. The hatching follows the metric: ``followed`` gives way to
    :func:`metric_for_gap` of ``metric`` (first in the list); kinds the user added stay, and a
    kind the user removed stays removed while the metric's kind does not change. ``gap_score``
    measures no single kind and changes nothing; with no selection yet it starts with "no_4g".
    """
    kind = metric_for_gap(metric)
    if chosen is None or followed is None:
        first = kind or "no_4g"
        return (list(chosen) if chosen is not None else [first]), first
    if kind is None or kind == followed:
        return list(chosen), followed
    return [kind] + [g for g in chosen if g not in (kind, followed)], kind


PROPOSED_COLOR = "#d7301f"


def proposed_sites(analysis) -> gpd.GeoDataFrame | None:
    """Proposed new sites (``geo.plan.siting``) among the analysis' site layers, in rank order: the rows
    with a ``proposed_rank``; None when there are none."""
    frames = [
        g[g["proposed_rank"].notna()]
        for g in analysis.sites.values()
        if g is not None and "proposed_rank" in g and g["proposed_rank"].notna().any()
    ]
    if not frames:
        return None
    return gpd.GeoDataFrame(pd.concat(frames), crs=frames[0].crs).sort_values("proposed_rank")


def is_filtered(params) -> bool:
    """True when only some carriers or technologies count (``CoverageParams`` filters)."""
    return bool(getattr(params, "carriers", ()) or getattr(params, "technologies", ()))


def filter_line(params, lang: str = "vi") -> str:
    """The active filters of a ``CoverageParams``, e.g. "Bộ lọc — nhà mạng: Viettel; công nghệ:
    3G, 4G, 5G" ("tất cả" / "all" where nothing is filtered out)."""
    every = i18n.t("settings.all", lang)
    carriers = ", ".join(carrier_name(c, lang) for c in getattr(params, "carriers", ()) or ())
    techs = ", ".join(getattr(params, "technologies", ()) or ())
    return i18n.t("settings.filters", lang).format(
        carriers=carriers or every, technologies=techs or every
    )


def carrier_name(name: str, lang: str) -> str:
    """A carrier's name as the app shows it (a name the labels do not know stays as it is)."""
    return i18n.t(f"carrier.{name}", lang) if f"carrier.{name}" in i18n.TEXT else str(name)
