"""geo.render.style: the classes, colours and lines shared by the folium map and the snapshot."""

from __future__ import annotations

import math

from geo.render import style
from geo.settings import CoverageParams


def test_percent_classes_have_fixed_edges_and_missing_values_are_grey():
    values = [0.0, 4.99, 5.0, 19.9, 20.0, 59.9, 60.0, 100.0, math.nan]
    assert style.classify(values, "no_4g_pct").tolist() == [0, 0, 1, 1, 2, 3, 4, 4, -1]
    colors = style.class_colors(values, "no_4g_pct")
    assert colors[0] == style.CLASS_COLORS[0] and colors[6] == style.CLASS_COLORS[4]
    assert colors[-1] == style.NO_DATA_COLOR


def test_people_classes_and_labels_follow_the_language():
    assert style.classify([99, 100, 2499, 2500, 1e6], "no_4g_pop").tolist() == [0, 1, 3, 4, 4]
    assert style.class_labels("no_4g_pop", "vi")[-1] == "≥ 2.500"
    assert style.class_labels("no_4g_pop", "en")[-1] == "≥ 2,500"
    assert style.class_labels("no_4g_pct", "en")[1] == "5–20"


def test_a_metric_names_its_gap_kind():
    assert style.metric_for_gap("no_4g_pct") == "no_4g"
    assert style.metric_for_gap("no_mobile_pop") == "no_mobile"
    assert style.metric_for_gap("gap_score") is None


def test_the_filter_line_says_what_counts():
    assert not style.is_filtered(CoverageParams())
    assert style.filter_line(CoverageParams(), "en") == "Filters — carriers: all; technologies: all"
    params = CoverageParams(carriers=("Viettel",), technologies=("4G",))
    assert style.is_filtered(params)
    assert style.filter_line(params, "en") == "Filters — carriers: Viettel; technologies: 4G"
