"""geo.render.export's reading tables and KPI totals, on the hand-made analysis of maps_fixture."""

from __future__ import annotations

import datetime as dt
import io
import json
import math
import re
import sqlite3
from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, Polygon, box

from geo.render import export
from geo.analysis import gaps
from geo import precision
from geo.settings import CoverageParams

try:
    from maps_fixture import synthetic_analysis
except ImportError:  # tests/ made a package
    from .maps_fixture import synthetic_analysis

FIVE = ("A", "B", "C", "D", "E")  # communes 10000…10004, 25 km² each


def test_c03_table_lists_communes_lacking_a_point_first_in_the_chosen_language():
    # required: A (absent), C (present); the others not required
    table = export.c03_table(synthetic_analysis(FIVE), lang="en")
    assert list(table["Commune"]) == ["A", "B", "D", "E", "C"]
    assert list(table["Circular 03 support point required"]) == ["yes", "no", "no", "no", "yes"]
    assert table["Population"].dtype == "Int64" and table["Population"].isna().sum() == 1
    vi = export.c03_table(synthetic_analysis(FIVE), lang="vi")
    assert vi.iloc[0, 3] == "có"


def test_commune_table_rounds_and_sorts_by_gap_rank():
    table = export.commune_table(synthetic_analysis(FIVE), lang="en")
    # gap scores 62, 31, 8, 40, 12 → ranks A, D, B, E, C
    assert list(table["Commune"]) == ["A", "D", "B", "E", "C"]
    assert list(table["Gap score"]) == [62.0, 40.0, 31.0, 12.0, 8.0]
    assert table["People without 4G"].tolist()[0] == 2800  # 70 % of 4,000
    assert table["Circular 03 support point present"].tolist() == ["no", "no", "no", "no", "yes"]


def test_district_totals_weight_shares_by_area_and_propagate_unknown_people():
    totals = gaps.district_totals(synthetic_analysis(FIVE))
    assert totals["area_km2"] == 125.0
    assert math.isclose(totals["no_4g_pct"], (70 + 30 + 3 + 45 + 10) / 5)
    assert math.isnan(totals["no_4g_pop"])  # B's population is unknown
    assert totals["c03_required"] == 2 and totals["c03_missing"] == 1
    known = gaps.district_totals(synthetic_analysis(("A",)))
    assert known["no_4g_pop"] == 2800 and known["population"] == 4000


def test_commune_card_writes_numbers_in_the_language_of_the_reader():
    analysis = synthetic_analysis(FIVE)
    for lang, area, people, share in (
        ("vi", "25,00", "4.000", "30,0"),
        ("en", "25.00", "4,000", "30.0"),
    ):
        card = export.commune_card(analysis, "10000", lang=lang)
        values = dict(zip(card.iloc[:, 0], card.iloc[:, 1]))
        col = {
            c: export.i18n.t(f"col.{c}", lang)
            for c in ("code", "area_km2", "population", "covered_4g_pct")
        }
        assert values[col["code"]] == "10000"  # a code is not a number to group
        assert values[col["area_km2"]] == area  # 25 km², two decimals as in the table
        assert values[col["population"]] == people
        assert values[col["covered_4g_pct"]] == share  # 70 % of A lacks 4G
    unknown = export.commune_card(analysis, "10001", lang="en")  # B: population unknown
    assert dict(zip(unknown.iloc[:, 0], unknown.iloc[:, 1]))["Population"] == "–"


def test_kpis_lead_with_people_and_give_the_area_share_beside_them():
    # A alone: 4,000 people on 25 km²; 70 % without 4G → 2,800 people, 10 % only 2G/3G → 400
    one = synthetic_analysis(("A",))
    kpis = export.kpis(one, lang="vi")
    assert len(kpis) == 8  # two rows of four in the app
    assert kpis[0][:3] == ("Dân số", "4.000 người", "25,0 km²")
    assert kpis[1][:3] == ("Chưa có 4G", "2.800 người", "70,0 % diện tích")
    assert kpis[2][:3] == ("Không có sóng di động", "1.400 người", "35,0 % diện tích")
    label, value, beside, help_text = kpis[3]
    assert (label, value, beside) == (
        "Chỉ có 2G/3G (sắp tắt sóng)",
        "400 người",
        "10,0 % diện tích",
    )
    assert "tắt 2G/3G" in help_text
    assert kpis[4][1:3] == ("3.200 người", "80,0 % diện tích")  # loudspeakers: 80 % of 4,000
    assert kpis[7][:3] == ("Xã thiếu điểm hỗ trợ TT 03", "1 / 1", "")
    en = export.kpis(one, lang="en")
    assert en[1][:3] == ("Without 4G", "2,800 people", "70.0 % of the area")


def test_kpis_show_a_range_of_people_where_the_grid_cell_makes_one():
    one = synthetic_analysis(("A",))
    communes = one.communes.assign(
        no_loudspeaker_pop_low=3000.4,
        no_loudspeaker_pop_high=3600.0,
        no_internet_pop_low=3600.0,
        no_internet_pop_high=3600.2,
    )
    kpis = export.kpis(replace(one, communes=communes), lang="vi")
    label, value, beside, help_text = kpis[4]
    assert (label, value, beside) == ("Ngoài vùng loa", "3.000–3.600 người", "80,0 % diện tích")
    assert "1 km" in help_text and "một thôn/bản" in help_text  # the assumption, named
    assert kpis[5][1] == "3.600 người"  # low and high round to the same number: no range
    en = export.kpis(replace(one, communes=communes), lang="en")[4]
    assert en[1] == "3,000–3,600 people" and "one hamlet" in en[3]


def test_kpis_fall_back_to_area_where_a_population_is_unknown():
    # B's population is unknown: the district's people are too; no_4g over five 25 km² communes
    # (70 + 30 + 3 + 45 + 10) / 5 = 31.6 %, only 2G/3G (10 + 5 + 0 + 2 + 1) / 5 = 3.6 %
    kpis = export.kpis(synthetic_analysis(FIVE), lang="vi")
    assert kpis[0][1:3] == ("—", "125,0 km²")
    assert kpis[1][1:3] == ("31,6 %", "số người: chưa rõ")
    assert kpis[3][1] == "3,6 %" and "chưa rõ" in kpis[3][3]
    en = export.kpis(synthetic_analysis(FIVE), lang="en")
    assert en[3][:3] == ("Only 2G/3G (switch-off ahead)", "3.6 %", "people: unknown")


# --- what an export shows: the settings it states -------------------------------------------

DAY = dt.date(2025, 7, 1)
VIETTEL_NO_2G = CoverageParams(
    carriers=("Viettel",),
    technologies=("3G", "4G", "5G"),
    internet_access_m=1500.0,
    loudspeaker_radius_m=(("cluster", 500.0),),
).with_radius("4G", 2500)


def filtered_analysis():
    return replace(synthetic_analysis(FIVE), params=VIETTEL_NO_2G)


def test_settings_table_states_filters_radii_reach_access_and_model():
    table = export.settings_table(
        filtered_analysis(), lang="vi", metric="no_4g_pct", show_gaps=("no_4g",), date=DAY
    )
    assert list(table.columns) == ["key", "value", "label", "text"]
    value, text = table.set_index("key")["value"], table.set_index("key")["text"]
    assert value["carriers"] == "Viettel" and value["technologies"] == "3G;4G;5G"
    assert value["radius_4G_m"] == "2500" and text["radius_4G_m"] == "2,5 km"
    assert value["radius_2G_m"] == "5000" and text["radius_2G_m"] == "5 km"
    assert value["loudspeaker_cluster_m"] == "500" and text["loudspeaker_cluster_m"] == "500 m"
    assert value["internet_access_m"] == "1500" and text["internet_access_m"] == "1,5 km"
    assert value["model"] == "circle" and text["model"] == "Vòng tròn (bán kính cố định)"
    assert value["date"] == "2025-07-01" and text["date"] == "01/07/2025"
    assert value["gaps_shown"] == "no_4g" and value["illustrative"] == "true"
    assert value["source_2"] == "Trạm BTS: minh hoạ"
    en = export.settings_table(synthetic_analysis(FIVE), lang="en", date=DAY).set_index("key")
    assert en.at["carriers", "value"] == "all" and en.at["technologies", "text"] == "all"
    assert en.at["internet_access_m", "label"] == "Distance to an internet point"
    assert "metric" not in en.index  # only what was given


def test_filter_line_in_both_languages():
    assert (
        export.filter_line(VIETTEL_NO_2G, "vi")
        == "Bộ lọc — nhà mạng: Viettel; công nghệ: 3G, 4G, 5G"
    )
    assert (
        export.filter_line(CoverageParams(), "en") == "Filters — carriers: all; technologies: all"
    )
    assert export.is_filtered(VIETTEL_NO_2G) and not export.is_filtered(CoverageParams())


def test_xlsx_has_a_settings_sheet_and_csv_keeps_its_columns():
    analysis = filtered_analysis()
    book = pd.read_excel(
        io.BytesIO(export.render("xlsx", analysis, lang="en", date=DAY)), sheet_name=None
    )
    assert list(book) == ["Communes", "Notes", "Settings"]
    rows = dict(zip(book["Settings"]["Setting"], book["Settings"]["Value"]))
    assert rows["Carriers counted"] == "Viettel" and rows["Technologies counted"] == "3G, 4G, 5G"
    assert rows["Coverage model"] == "Circle (fixed radius)"
    csv = pd.read_csv(io.BytesIO(export.render("csv", analysis, lang="en")), encoding="utf-8-sig")
    assert list(csv.columns) == list(export.commune_table(analysis, lang="en").columns)
    sidecar = pd.read_csv(
        io.BytesIO(export.render("settings", analysis, lang="en", date=DAY)),
        encoding="utf-8-sig",
        dtype=str,
    )
    assert sidecar.set_index("key").at["technologies", "value"] == "3G;4G;5G"


def test_geojson_carries_the_settings_and_valid_geometry():
    data = export.render("geojson", filtered_analysis(), lang="en", date=DAY)
    doc = json.loads(data)
    settings_ = {row["key"]: row["value"] for row in doc["phusong_settings"]}
    assert settings_["carriers"] == "Viettel" and settings_["radius_4G_m"] == "2500"
    layer = gpd.read_file(io.BytesIO(data))
    assert len(layer) == 15 and layer.is_valid.all() and layer.crs.to_epsg() == 4326


def test_gpkg_is_version_1_3_with_a_settings_table(tmp_path):
    import pyogrio

    path = tmp_path / "gaps.gpkg"
    path.write_bytes(export.render("gpkg", filtered_analysis(), lang="vi", date=DAY))
    header = path.read_bytes()[:100]
    assert header[68:72] == b"GPKG"  # application_id
    assert int.from_bytes(header[60:64], "big") == 10300  # user_version: GeoPackage 1.3.0
    layers = {name: kind for name, kind in pyogrio.list_layers(path)}
    assert layers == {"gaps": "Polygon", "communes": "Polygon", "settings": None}
    for name in ("gaps", "communes"):
        assert gpd.read_file(path, layer=name).is_valid.all()
    shown = pyogrio.read_dataframe(path, layer="settings").set_index("key")
    assert shown.at["carriers", "value"] == "Viettel"
    assert shown.at["carriers", "label"] == "Nhà mạng được tính"
    with sqlite3.connect(path) as db:
        about = dict(db.execute("select table_name, description from gpkg_contents"))
    assert about["gaps"] == "Bộ lọc — nhà mạng: Viettel; công nghệ: 3G, 4G, 5G"


def test_html_map_has_title_date_filters_and_settings():
    html = export.render("html", filtered_analysis(), lang="en", date=DAY).decode("utf-8")
    assert (
        "<title>Where information does not reach: Đakrông (Quảng Trị) — thử nghiệm — "
        "2025-07-01</title>" in html
    )
    header = re.search(r'<header class="phusong-export-header".*?</header>', html, re.S).group(0)
    assert "Date: 2025-07-01" in header and "Area without 4G (%)" in header
    assert re.search(
        r'class="phusong-filters" style="color:#a50f15;font-weight:bold">'
        r"Filters — carriers: Viettel; technologies: 3G, 4G, 5G<",
        header,
    )
    for part in (
        "Coverage model: Circle (fixed radius)",
        "Coverage radius: 2G 5 km, 3G 3 km, 4G 2.5 km, 5G 1 km",
        "Loudspeaker reach: village loudspeaker cluster 500 m",
        "Distance to an internet point: 1.5 km",
    ):
        assert part in header
    plain = export.render("html", synthetic_analysis(FIVE), lang="vi", date=DAY).decode("utf-8")
    assert 'class="phusong-filters" style="">Bộ lọc — nhà mạng: tất cả; công nghệ: tất cả<' in plain


def test_every_download_kind_renders_and_the_report_and_settings_are_offered():
    kinds = [k for k, _, _ in export.DOWNLOADS]
    assert {"report", "settings"} <= set(kinds) and len(set(kinds)) == len(kinds)
    names = dict((k, n) for k, n, _ in export.DOWNLOADS)
    assert names["report"] == "report.pdf" and names["settings"] == "settings.csv"


# --- exported geometry stays valid -----------------------------------------------------------


def test_round_valid_repairs_what_rounding_breaks_and_leaves_the_rest():
    # two squares 3e-7° apart: rounding to 6 decimals puts them edge to edge (invalid)
    a = box(106.0, 16.0, 106.0000101, 16.00001)
    b = box(106.0000104, 16.0, 106.00002, 16.00001)
    pair, single = MultiPolygon([a, b]), box(106.1, 16.1, 106.1000014, 16.1000027)
    plain = shapely.transform(np.array([pair, single]), lambda xy: np.round(xy, 6))
    assert pair.is_valid and not plain[0].is_valid
    out = precision.round_valid(np.array([pair, single]), 6)
    assert shapely.is_valid(out).all()
    assert out[0].geom_type == "MultiPolygon"  # merged into one part, still a MultiPolygon
    assert out[0].area == pytest.approx(0.00002 * 0.00001, rel=0.01)
    assert shapely.equals_exact(out[1], plain[1], tolerance=0)  # valid: the plain rounding
    coords = shapely.get_coordinates(out)
    assert np.allclose(coords, np.round(coords, 6), rtol=0, atol=1e-12)  # on the 6-decimal grid


def test_round_valid_repairs_an_invalid_input_without_rounding():
    bowtie = Polygon([(0, 0), (2, 2), (2, 0), (0, 2)])  # self-intersecting
    out = precision.round_valid(np.array([bowtie, Point(1, 1)]), None)
    assert out[0].is_valid and out[0].geom_type in ("Polygon", "MultiPolygon")
    assert out[0].area == pytest.approx(2.0)  # the two triangles
    assert out[1].equals(Point(1, 1))


def test_private_prepared_copies_answer_like_the_originals_and_leave_them_unprepared():
    import numpy as np
    import shapely

    from geo.precision import private_prepared

    squares = np.array([shapely.box(0, 0, 1, 1), shapely.box(2, 0, 3, 1), None], dtype=object)
    copies = private_prepared(squares)
    assert all(c is not o for c, o in zip(copies[:2], squares[:2]))
    assert shapely.equals_exact(copies[:2], squares[:2], tolerance=0).all() and copies[2] is None
    assert shapely.is_prepared(copies[:2]).all() and not shapely.is_prepared(squares[:2]).any()
    points = shapely.points([0.5, 2.5, 9.0], [0.5, 0.5, 9.0])
    assert list(shapely.contains(copies[:2, None], points).any(axis=0)) == [True, True, False]
