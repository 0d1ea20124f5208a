"""The app's state: its view in the URL (geo.ui.urlstate by hand, then a round trip through the
Streamlit script with AppTest) and the terrain notice, on tests/test_app.py's two-commune data."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

import builders as b
from conftest import finish_jobs
from geo import settings
from geo.ui import urlstate
from test_app import app  # noqa: F401  (fixture: writes the dataset, points PHUSONG_DATA at it)

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def test_defaults_encode_to_an_empty_query():
    assert urlstate.encode(urlstate.defaults()) == {}


def test_encode_writes_only_changed_values_in_field_order():
    state = urlstate.defaults() | {
        "radius_4G": 5.0,
        "vintage": "2025",
        "carriers": ["Viettel"],
        "technologies": [],
        "loud": 500,
        "commune": "N",
        "map_view": (16.123456, 106.5, 12),
    }
    assert urlstate.encode(state) == {
        "vintage": "2025",
        "carriers": "Viettel",
        "tech": "",
        "r4G": "5",
        "loud": "500",
        "commune": "N",
        "view": "16.12346,106.50000,12",
    }


def test_decode_reads_back_what_encode_wrote():
    state = urlstate.defaults() | {
        "lang": "en",
        "metric": "no_mobile_pct",
        "gaps": ["no_mobile", "no_internet"],
        "carriers": ["MobiFone", "Viettel"],
        "technologies": ["2G", "4G"],
        "radius_2G": 7.5,
        "inet": 1.5,
        "model": "terrain",
        "walk_min": 30,
        "map_view": (16.5, 106.75, 11),
    }
    decoded = urlstate.decode(urlstate.encode(state))
    assert decoded.ignored == ()
    assert urlstate.defaults() | decoded.values == state


def test_decode_ignores_bad_and_unknown_values_and_keeps_the_rest():
    decoded = urlstate.decode(
        {
            "vintage": "1999",
            "r4G": "abc",
            "r3G": "3.3",
            "r2G": "20",
            "loud": "nan",
            "carriers": "Viettel,Unknown",
            "view": "16.5,106.7",
            "foo": "1",
            "embed": "true",
            "metric": "NO_MOBILE_PCT",
            "inet": ["9", "1.5"],
            "tech": "4G,4G,2G",
        }
    )
    assert decoded.values == {"metric": "no_mobile_pct", "inet": 1.5, "technologies": ["4G", "2G"]}
    assert {name for name, _ in decoded.ignored} == {
        "vintage",
        "r4G",
        "r3G",
        "r2G",
        "loud",
        "carriers",
        "view",
        "foo",
    }


def test_view_is_checked_for_place_and_zoom():
    assert urlstate.parse_view("16.5,106.75,12") == (16.5, 106.75, 12)
    for bad in ("91,106,12", "16,181,12", "16,106,0", "16,106,12.5", "16,106,inf", "16;106;12"):
        with pytest.raises(ValueError):
            urlstate.parse_view(bad)


def test_every_slider_default_is_one_of_its_steps():
    for f in urlstate.FIELDS:
        if f.default is not None:
            assert f.parse(f.fmt(f.default)) == f.default, f.key


# --- the app: the query string in, the query string out ----------------------------------------


def center_view(zoom: int = 11) -> tuple[float, float, int]:
    """(lat, lon, zoom) of the test dataset's centre (builders' X0, Y0 in UTM 48N)."""
    import geopandas as gpd
    from shapely.geometry import Point

    p = gpd.GeoSeries([Point(b.X0, b.Y0)], crs=b.UTM48N).to_crs(4326).iloc[0]
    return (round(p.y, 5), round(p.x, 5), zoom)


def opened(query: dict) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params.update(query)
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_link_restores_the_state_and_the_url_follows_changes(app):  # noqa: F811
    link = {
        "lang": "en",
        "vintage": "2025",
        "metric": "no_mobile_pct",
        "gaps": "no_mobile",
        "carriers": "VinaPhone",
        "tech": "2G,4G",
        "r4G": "5",
        "loud": "500",
        "inet": "1.5",
        "commune": "N",
        "view": urlstate.fmt_view(center_view(12)),
    }
    at = opened(link)
    assert at.radio(key="lang").value == "en"
    assert at.radio(key="vintage").value == "2025"
    assert at.selectbox(key="metric").value == "no_mobile_pct"
    assert at.multiselect(key="gaps").value == ["no_mobile"]
    assert at.multiselect(key="carriers").value == ["VinaPhone"]
    assert at.multiselect(key="technologies").value == ["2G", "4G"]
    assert at.slider(key="radius_4G").value == 5.0
    assert at.slider(key="loud").value == 500
    assert at.slider(key="inet").value == 1.5
    assert at.selectbox(key="chosen").value == "N"  # the linked commune is selected
    assert not at.toast
    assert at.query_params == link  # the URL stays as opened
    at.slider(key="radius_4G").set_value(6.0).run()
    at.radio(key="lang").set_value("vi").run()
    assert at.query_params == {k: v for k, v in link.items() if k != "lang"} | {"r4G": "6"}
    again = opened(dict(at.query_params))  # the colleague opens the link
    assert again.radio(key="lang").value == "vi"
    assert again.slider(key="radius_4G").value == 6.0
    assert again.multiselect(key="carriers").value == ["VinaPhone"]
    assert again.query_params == at.query_params


def test_bad_link_values_are_ignored_with_a_notice(app):  # noqa: F811
    at = opened(
        {
            "vintage": "1999",
            "r4G": "abc",
            "foo": "<b>1</b>",
            "commune": "ZZ",
            "view": "48.85,2.35,12",
            "metric": "no_mobile_pct",
        }
    )
    assert at.radio(key="vintage").value == "legacy"
    assert at.slider(key="radius_4G").value == settings.DEFAULT_RADIUS_M["4G"] / 1000
    assert at.selectbox(key="metric").value == "no_mobile_pct"  # the good value is kept
    assert len(at.toast) == 1
    notice = at.toast[0].value
    assert "vintage=1999" in notice and "r4G=abc" in notice and "foo=<b>1</b>" in notice
    assert "commune=ZZ" in notice and "view=48.85000,2.35000,12" in notice
    assert at.query_params == {"metric": "no_mobile_pct"}  # the URL keeps only what was used
    at.run()
    assert not at.toast  # said once


def test_terrain_without_a_usable_dem_names_the_tiles(app, tmp_path, monkeypatch):  # noqa: F811
    # The 40 km square around X0, Y0 (UTM 48N) grown by 15 km: 106.64°–107.30° E, 16.18°–16.82° N.
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "N16E107.tif").write_bytes(b"not a GeoTIFF")
    monkeypatch.setenv("PHUSONG_DEM_DIR", str(tmp_path))
    app.radio(key="model").set_value("terrain").run()
    text = " ".join(w.value for w in app.warning)
    assert "chưa có mô hình số độ cao" in text
    assert "N16E106" in text and "N16E107" in text and "N17" not in text
    assert "Copernicus_DSM_COG_10_N16_00_E107_00_DEM" in text
    finish_jobs(app.selectbox(key="dem_folder").set_value("broken").run())
    assert not app.exception, app.exception
    assert any("không dùng được mô hình số độ cao" in w.value for w in app.warning)
    assert any("N16E107" in w.value for w in app.warning)


def test_the_selected_commune_follows_a_vintage_switch(app):  # noqa: F811
    app.text_input(key="search").set_value("xa tay").run()
    assert app.selectbox(key="chosen").value == "W"
    assert app.query_params["commune"] == "W"
    app.radio(key="vintage").set_value("2025").run()
    assert app.selectbox(key="chosen").value == "N"  # Xã Tây is part of Xã Mới since 2025
    assert app.query_params["commune"] == "N"
    app.button(key="clear_commune").click().run()
    assert "commune" not in app.query_params and app.text_input(key="search").value == ""
    assert not [s for s in app.selectbox if s.key == "chosen"]
