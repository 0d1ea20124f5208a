"""The model-versus-field map and tables: offline HTML, readings coloured, disagreements ringed,
headers and numbers in both languages, "not enough evidence" instead of a number."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from field_truth import readings, sites

from geo.render import maps
from geo.analysis import agreement, calibration
from geo.render import field_map


@pytest.fixture(scope="module")
def comparison():
    few = readings(n_per_group=40)
    return agreement.compare(few, sites())


def test_map_is_offline_and_marks_disagreements(comparison):
    from builders import X0, Y0, communes, square

    units = communes(
        [{"code": "A", "name": "Xã A", "geometry": square(X0 - 10_000, Y0 - 10_000, 80_000)}]
    )
    m = field_map.field_map(comparison, units, lang="vi")
    page = maps.to_html(m)
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.S)
    assert not re.search(r"""(src|href)=["']https?:""", markup)
    assert "Mô hình so với thực địa" in page
    n_bad = int((~comparison.readings["agrees"]).sum())
    assert n_bad > 0
    assert f"{len(comparison.readings)} lần đo" in page
    assert field_map.DISAGREE_COLOUR in page and field_map.SERVICE_COLOURS["yes"] in page


def test_map_readings_keeps_every_disagreement(comparison):
    shown = field_map.map_readings(comparison, limit=50)
    assert len(shown) == 50
    assert (~shown["agrees"]).sum() == min(50, int((~comparison.readings["agrees"]).sum()))


def test_tables_in_both_languages(comparison):
    fits = calibration.calibrate(comparison.readings)
    table = calibration.agreement_table(comparison.by_group, comparison.by_group, fits)
    table.loc[0, "radius_fitted_m"] = pd.NA
    vi = field_map.agreement_display(table, "vi")
    en = field_map.agreement_display(table, "en")
    assert "Bán kính theo thực địa (m)" in vi.columns and "Fitted radius (m)" in en.columns
    assert vi.iloc[0]["Bán kính theo thực địa (m)"] == "chưa đủ bằng chứng"
    assert en.iloc[0]["Fitted radius (m)"] == "not enough evidence"
    assert vi.iloc[0]["Bán kính đang dùng (m)"] in ("3.000", "5.000")
    for lang in ("vi", "en"):
        assert len(field_map.confusion_display(comparison.by_group, lang).columns) == 7
    from builders import X0, Y0, communes, square

    units = communes(
        [
            {"code": "A", "name": "Xã A", "geometry": square(X0 - 10_000, Y0 - 10_000, 80_000)},
            {"code": "B", "name": "Xã B", "geometry": square(X0, Y0 + 200_000, 1000)},
        ]
    )
    conf, _ = agreement.confidence(agreement.compare(readings(40), sites(), communes=units), units)
    vi = field_map.communes_display(conf, "vi")
    assert list(vi["Mức tin cậy"])[1] == "Chưa kiểm chứng"
    assert "Area checked (%)" in field_map.communes_display(conf, "en").columns
    assert field_map.calibration_text((("Viettel", "4G", 2270.0),), "vi") == "Viettel 4G: 2.270 m"


def test_main_map_draws_the_readings_in_their_own_pane(comparison):
    from maps_fixture import synthetic_analysis

    analysis = synthetic_analysis()
    shown = field_map.map_readings(comparison)
    plain = maps.to_html(maps.build_map(analysis, metric="no_4g_pct", lang="en"))
    with_readings = maps.to_html(
        maps.build_map(analysis, metric="no_4g_pct", lang="en", readings=shown)
    )
    # the same state builds the same map (streamlit-folium keeps its frame), with and without
    assert with_readings == maps.to_html(
        maps.build_map(analysis, metric="no_4g_pct", lang="en", readings=shown)
    )
    assert plain == maps.to_html(maps.build_map(analysis, metric="no_4g_pct", lang="en"))
    assert "phusong_readings" not in plain and "Field readings" not in plain
    assert with_readings.count('"pane": "phusong_readings"') == 2  # dots and rings
    assert (
        "phusong-legend-readings" in with_readings and "Model and field disagree" in with_readings
    )
    n_bad = int((~shown["agrees"]).sum())
    assert with_readings.count(f'"color": "{maps.DISAGREE_COLOUR}"') >= 1 and n_bad > 0
    # every reading is a feature of the readings layer, every disagreement one of the rings
    assert with_readings.count('"what": ') == len(shown)
