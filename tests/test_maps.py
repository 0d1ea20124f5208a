"""geo.render.maps (interactive folium map, offline) and the labels it takes from geo.i18n."""

from __future__ import annotations

import json
import re
from pathlib import Path

import folium
import pytest

from geo import i18n
from geo.render import maps
from geo.errors import ChoiceError, PhusongError
from geo.settings import GAP_KINDS, STATIC_DIR

try:
    from maps_fixture import synthetic_analysis
except ImportError:  # tests/ made a package
    from .maps_fixture import synthetic_analysis

XSS = "<img src=x onerror=alert(1)>"


def _geojson_layers(page: str) -> list[dict]:
    """Every FeatureCollection folium embedded in the page (``<var>_add({...});``)."""
    dec = json.JSONDecoder()
    out = []
    for m in re.finditer(r"\w+_add\(", page):
        try:
            obj, _ = dec.raw_decode(page, m.end())
        except json.JSONDecodeError:
            continue
        if isinstance(obj, dict) and obj.get("type") == "FeatureCollection":
            out.append(obj)
    return out


def _strip_code(page: str) -> str:
    return re.sub(r"<(script|style)\b[^>]*>.*?</\1>", "", page, flags=re.S | re.I)


@pytest.fixture(scope="module")
def analysis():
    return synthetic_analysis()


@pytest.fixture(scope="module")
def page(analysis):
    return maps.to_html(
        maps.build_map(analysis, metric="no_4g_pct", show_gaps=("no_4g", "no_mobile"))
    )


# --- offline ------------------------------------------------------------------------------------


def test_html_has_no_external_reference(page):
    assert "<!DOCTYPE html>" in page
    # nothing is loaded by URL at all: every script and stylesheet is inline
    assert not re.search(r"<script\b[^>]*\bsrc\s*=", page, re.I)
    assert not re.search(r"<link\b[^>]*\bhref\s*=", page, re.I)
    assert not re.search(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", _strip_code(page))
    assert not re.search(r"""url\(\s*["']?\s*(?:https?:)?//""", page, re.I)
    assert "@import" not in page
    for cdn in ("cdn.jsdelivr", "cdnjs", "code.jquery", "bootstrapcdn", "tile.openstreetmap"):
        assert cdn not in page
    # what the map needs is really there
    assert "Leaflet 1.9.4" in page
    assert "L.control.fullscreen" in page and "L.Control.Measure" in page
    assert "L.control.layers" in page


def test_css_images_are_inlined_as_data_uris(page):
    assert "url(data:image/png;base64," in page  # leaflet layers icon, measure icons
    assert "url(data:image/svg+xml;base64," in page  # fullscreen icon
    assert "url(images/" not in page


def test_no_unused_assets(page):
    for unused in ("jQuery", "Bootstrap", "awesome-markers", "Font Awesome"):
        assert unused not in page


def test_tiles_only_on_request(analysis):
    m = maps.build_map(analysis, metric="gap_score", show_gaps=(), tiles=True)
    page = maps.to_html(m)
    assert "tile.openstreetmap.org" in page  # a tile URL template in JS, not a src/href
    assert not re.search(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", _strip_code(page))


def test_streamlit_folium_gets_local_assets_only(analysis):
    # st_folium collects every element's default_js/default_css and loads them by URL
    m = maps.build_map(analysis, metric="no_4g_pct")
    urls = [
        u
        for el in maps._walk(m)
        for _, u in getattr(el, "default_js", []) + getattr(el, "default_css", [])
    ]
    assert len(urls) == 7  # Leaflet, fullscreen, measure (js + css each), phusong-map.js
    assert all(u.startswith("data:text/") for u in urls)
    served = maps.use_local_assets(m, "/app/static/")
    urls = [
        u
        for el in maps._walk(served)
        for _, u in getattr(el, "default_js", []) + getattr(el, "default_css", [])
    ]
    assert "/app/static/leaflet-1.9.4/leaflet.js" in urls
    for bad in ("app/static/", "https://cdn.example.org/"):
        with pytest.raises(PhusongError, match="absolute path"):
            maps.use_local_assets(m, bad)
    assert not any(isinstance(el, folium.branca.colormap.ColorMap) for el in maps._walk(m))
    # folium's class-level CDN lists are left alone for other users of folium
    assert folium.Map.default_js[0][1].startswith("https://")


def test_unvendored_plugin_is_refused(analysis):
    m = maps.build_map(analysis, metric="no_4g_pct")
    folium.plugins.MiniMap().add_to(m)
    with pytest.raises(PhusongError, match="not vendored"):
        maps.to_html(m)


def test_vendored_files_match_manifest(monkeypatch):
    manifest = (STATIC_DIR / "ASSETS.md").read_text(encoding="utf-8")
    for assets in maps.ASSETS.values():
        for a in assets:
            assert (STATIC_DIR / a.path).is_file()
            if a.path != maps.OWN_JS:  # the project's own script is not a vendored package
                assert f"`{a.path}`" in manifest
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "vendor_assets", Path(__file__).resolve().parent.parent / "scripts" / "vendor_assets.py"
    )
    mod = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(__import__("sys").modules, "vendor_assets", mod)
    spec.loader.exec_module(mod)
    assert mod.check() == 0


# --- content ------------------------------------------------------------------------------------


def test_feature_counts(page):
    layers = _geojson_layers(page)
    polygons = [
        lyr
        for lyr in layers
        if lyr["features"] and lyr["features"][0]["geometry"]["type"] == "Polygon"
    ]
    points = [
        lyr
        for lyr in layers
        if lyr["features"] and lyr["features"][0]["geometry"]["type"] == "Point"
    ]
    # communes (3), no_4g gaps (3), no_mobile gaps (3)
    assert [len(lyr["features"]) for lyr in polygons] == [3, 3, 3]
    # BTS, loudspeakers, internet points
    assert [len(lyr["features"]) for lyr in points] == [4, 2, 1]


def test_thirteen_communes_and_hundreds_of_sites_stay_small():
    big = synthetic_analysis([f"Xã {i}" for i in range(13)], n_bts=300)
    page = maps.to_html(
        maps.build_map(big, metric="no_4g_pop", show_gaps=("no_4g", "no_mobile", "no_loudspeaker"))
    )
    layers = _geojson_layers(page)
    assert len(layers[0]["features"]) == 13
    assert sum(len(lyr["features"]) for lyr in layers) == 13 + 1 + 3 * 13 + 300 + 2 + 1
    assert len(page.encode("utf-8")) < 1_500_000


def test_coordinates_are_wgs84_and_rounded(page):
    coords = _geojson_layers(page)[0]["features"][0]["geometry"]["coordinates"][0]
    for lon, lat in coords:
        assert 106.5 < lon < 107.5 and 16.0 < lat < 17.0
        assert round(lon, 5) == lon and round(lat, 5) == lat


def test_choropleth_colours_follow_fixed_bins(analysis):
    # 70 % → darkest class, 30 % → middle, 3 % → lightest
    assert maps.class_colors([70.0, 30.0, 3.0, float("nan")], "no_4g_pct") == [
        maps.CLASS_COLORS[4],
        maps.CLASS_COLORS[2],
        maps.CLASS_COLORS[0],
        maps.NO_DATA_COLOR,
    ]
    assert list(maps.classify([0, 5, 100], "no_4g_pct")) == [0, 1, 4]
    assert list(maps.classify([0, 99, 100, 5000], "no_4g_pop")) == [0, 0, 1, 4]
    page = maps.to_html(maps.build_map(analysis, metric="no_4g_pct"))
    for color in (maps.CLASS_COLORS[4], maps.CLASS_COLORS[2], maps.CLASS_COLORS[0]):
        assert f'"fillColor": "{color}"' in page


def test_illustrative_banner(page):
    notice = i18n.t("notice.illustrative", "vi")
    assert "phusong-banner" in page
    assert json.dumps(notice) in page  # as the JS string folium writes


def test_no_banner_for_operator_data():
    page = maps.to_html(maps.build_map(synthetic_analysis(illustrative=False), metric="no_4g_pct"))
    assert "div.className = 'phusong-banner'" not in page  # (the map script names the class)
    assert json.dumps(i18n.t("notice.illustrative", "vi")) not in page


def test_english_labels(analysis):
    page = maps.to_html(maps.build_map(analysis, metric="no_internet_pct", lang="en"))
    assert json.dumps(i18n.t("notice.illustrative", "en")) in page
    assert json.dumps(i18n.t("layer.bts_sites", "en")) in page
    assert "Area far from internet access (%)" in page


def test_names_are_escaped():
    page = maps.to_html(
        maps.build_map(
            synthetic_analysis((XSS, "Tà Rụt")), metric="no_4g_pct", show_gaps=GAP_KINDS[:3]
        )
    )
    assert XSS not in page
    assert "<img" not in page
    layers = _geojson_layers(page)
    tips = [f["properties"].get("tip", "") for lyr in layers for f in lyr["features"]]
    assert any("&lt;img src=x onerror=alert(1)&gt;" in tip for tip in tips)
    assert not any("<img" in tip for tip in tips)
    pops = [f["properties"]["pop"] for f in layers[0]["features"]]
    assert "&lt;img src=x onerror=alert(1)&gt;" in pops[0]


def test_deterministic(analysis):
    a = maps.to_html(maps.build_map(analysis, metric="no_4g_pct", show_gaps=("no_4g",)))
    b = maps.to_html(maps.build_map(analysis, metric="no_4g_pct", show_gaps=("no_4g",)))
    assert a == b
    m = maps.build_map(analysis, metric="no_4g_pct")
    ids = {el._id for el in maps._walk(m.get_root())}
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert maps.to_html(m) == maps.to_html(m)  # rendering twice changes nothing


def test_input_not_modified(analysis):
    before = analysis.communes.copy()
    maps.build_map(analysis, metric="gap_score")
    assert analysis.communes.geometry.equals(before.geometry)
    assert analysis.communes.crs == before.crs


@pytest.mark.parametrize("metric", maps.MAP_METRICS)
def test_every_metric_builds(analysis, metric):
    m = maps.build_map(analysis, metric=metric, show_gaps=GAP_KINDS)
    assert isinstance(m, folium.Map)
    assert json.dumps(i18n.t(f"metric.{metric}", "vi"))[1:-1] in maps.to_html(m)


def test_bad_choices_are_reported(analysis):
    with pytest.raises(ChoiceError, match="metric must be one of .*no_4g_pct"):
        maps.build_map(analysis, metric="no_5g_pct")
    with pytest.raises(ChoiceError, match="show_gaps"):
        maps.build_map(analysis, metric="no_4g_pct", show_gaps=("no_wifi",))
    with pytest.raises(ChoiceError, match="lang"):
        maps.build_map(analysis, metric="no_4g_pct", lang="fr")


def test_missing_crs_is_an_error(analysis):
    from dataclasses import replace

    bad = replace(analysis, communes=analysis.communes.set_crs(None, allow_override=True))
    with pytest.raises(PhusongError, match="no CRS"):
        maps.build_map(bad, metric="no_4g_pct")


def test_multipolygons_and_empty_gaps(analysis):
    from dataclasses import replace

    import shapely

    gaps = analysis.gaps.copy()
    gaps.loc[0, "geometry"] = shapely.MultiPolygon([gaps.geometry[0], gaps.geometry[1]])
    gaps.loc[1, "geometry"] = shapely.Polygon()
    from geo.analysis.gaps import UncoveredAreas

    page = maps.to_html(
        maps.build_map(
            replace(analysis, uncovered=UncoveredAreas.from_table(gaps)), metric="no_4g_pct"
        )
    )
    types = [f["geometry"]["type"] for lyr in _geojson_layers(page) for f in lyr["features"]]
    assert "MultiPolygon" in types


# --- labels (geo.i18n) --------------------------------------------------------------------------


def test_labels_exist_in_both_languages():
    keys = [f"metric.{m}" for m in maps.MAP_METRICS] + [f"gap.{g}" for g in GAP_KINDS]
    keys += [f"layer.{s}" for s in maps.SITE_LAYERS]
    keys += [f"carrier.{c}" for c in maps.CARRIER_COLORS]
    keys += [
        "notice.illustrative",
        "map.north",
        "map.legend",
        "map.scale",
        "map.date",
        "map.sources",
        "map.assumptions",
        "map.title",
    ]
    for key in keys:
        vi, en = i18n.t(key, "vi"), i18n.t(key, "en")
        assert vi and en
    assert i18n.t("map.north", "vi") == "B" and i18n.t("map.north", "en") == "N"
    for entry in i18n.TEXT.values():
        assert set(entry) == {"vi", "en"}
    with pytest.raises(KeyError, match="no label"):
        i18n.t("metric.nope")
    with pytest.raises(ChoiceError):
        i18n.t("map.title", "de")


def test_fold():
    assert i18n.fold("Tà Rụt") == i18n.fold("ta rut") == "ta rut"
    assert i18n.fold("ĐAKRÔNG") == "dakrong"
    assert i18n.fold("Hướng  Hiệp ") == "huong hiep"
    assert i18n.fold("A Ngo") == i18n.fold("A Ngò")


def test_fmt_number():
    assert maps.fmt_number(1234.5, "vi", 1) == "1.234,5"
    assert maps.fmt_number(1234.5, "en", 1) == "1,234.5"
    assert maps.fmt_number(float("nan"), "vi") == "–"
    assert maps.class_labels("no_4g_pop", "vi")[-1] == "≥ 2.500"


# --- in a real browser ----------------------------------------------------------------------------


@pytest.mark.browser
def test_renders_offline_in_chromium(page, tmp_path, browser):
    path = tmp_path / "map.html"
    path.write_text(page, encoding="utf-8")
    tab = browser.new_page()
    try:
        requests, errors = [], []
        tab.on("request", lambda r: requests.append(r.url))
        tab.on("pageerror", lambda e: errors.append(str(e)))
        tab.goto(path.as_uri())
        tab.wait_for_selector(".phusong-legend")
        n_paths = tab.locator("path.leaflet-interactive").count()
        banner = tab.locator(".phusong-banner").inner_text()
    finally:
        tab.close()
    assert errors == []
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
    assert n_paths >= 3 + 6 + 7  # communes, gap polygons, sites
    assert banner == i18n.t("notice.illustrative", "vi")


def test_geometry_dicts_match_shapely_mapping():
    import numpy as np
    import shapely
    from shapely.geometry import mapping

    poly = shapely.Polygon([(0, 0), (4, 0), (4, 4), (0, 4)], [[(1, 1), (2, 1), (2, 2), (1, 1)]])
    multi = shapely.MultiPolygon([poly, shapely.box(10, 10, 11, 11)])
    line, mline = (
        shapely.LineString([(0, 0), (1, 2)]),
        shapely.MultiLineString([[(0, 0), (1, 1)], [(5, 5), (6, 7)]]),
    )
    cases = [
        [poly, multi, shapely.box(0, 0, 1, 1)],
        [line, mline],
        [shapely.Point(1.5, 2.5)],
        [shapely.MultiPoint([(0, 0), (1, 1)])],
        [poly],
        [multi],
        [shapely.GeometryCollection([line, poly])],
    ]

    def plain(obj):  # tuples → lists, as JSON sees them
        return json.loads(json.dumps(obj))

    for geoms in cases:
        arr = np.array(geoms, dtype=object)
        assert plain(maps._geometry_dicts(arr)) == plain([mapping(g) for g in arr]), geoms


def test_embedded_collections_are_the_json_folium_would_write():
    analysis = synthetic_analysis(n_bts=12)
    m = maps.build_map(analysis, metric="no_4g_pct", lang="vi", show_gaps=("no_4g",))
    page = maps.to_html(m)
    data = maps._map_data(analysis, metric="no_4g_pct", lang="vi", show_gaps=("no_4g",))
    for fc in [data["communes"], data["district"]] + [fc for _, fc in data["sites"]]:
        assert isinstance(fc, maps._FeatureCollection)
        text = json.dumps(dict(fc), sort_keys=True)  # folium: {{ data|tojson }}, html-safe
        text = (
            text.replace("<", "\\u003c")
            .replace(">", "\\u003e")
            .replace("&", "\\u0026")
            .replace("'", "\\u0027")
        )
        assert text in page


# --- issue 15: hatch clicks, co-located sites, labels, hatching that follows the metric ----------


def test_gap_pieces_carry_their_commune_code_and_name(analysis):
    data = maps._map_data(analysis, metric="no_4g_pct", lang="vi", show_gaps=("no_4g", "no_mobile"))
    communes = [f["properties"]["code"] for f in data["communes"]["features"]]
    for kind, fc in data["gaps"]:
        props = [f["properties"] for f in fc["features"]]
        assert [p["code"] for p in props] == communes == ["10000", "10001", "10002"]
        assert [p["name"] for p in props] == ["Tà Rụt", "Hướng Hiệp", "A Ngo"]
        assert props[0]["tip"].startswith("<b>Tà Rụt</b><br>" + i18n.t("gap." + kind, "vi"))
    # 0.7 × 5 km by 0.6 × 5 km = 10.5 km² of no 4G in each commune
    assert data["gaps"][0][1]["features"][0]["properties"]["tip"].endswith(": 10,50 km²")
    page = maps.to_html(maps.build_map(analysis, metric="no_4g_pct", show_gaps=("no_4g",)))
    assert "phusong.linkGaps(" in page  # a click on a hatch acts on its commune


def test_co_located_sites_are_stacked_rings_listing_every_site():
    from dataclasses import replace

    analysis = synthetic_analysis()
    bts = analysis.sites["bts_sites"]
    speakers = analysis.sites["loudspeakers"]
    mast = bts.geometry.iloc[0]  # VT_1's position; VNP_1 and loudspeaker L1 moved onto it
    bts = bts.set_geometry(bts.geometry.where(bts["site_id"] != "VNP_1", mast))
    speakers = speakers.set_geometry(speakers.geometry.where(speakers["id"] != "L1", mast))
    stacked = replace(
        analysis, sites={**analysis.sites, "bts_sites": bts, "loudspeakers": speakers}
    )
    layers = dict(maps._map_data(stacked, metric="no_4g_pct", lang="en", show_gaps=())["sites"])
    assert list(layers) == ["bts_sites", "loudspeakers", "internet_points"]
    bts_props = [f["properties"] for f in layers["bts_sites"]["features"]]
    # top of the stack: VT_1 (first row) keeps its 6 px; VNP_1 under it, 6 + 3 = 9 px, comes
    # first in its layer (drawn below); then VT_2 and MBF_1 alone
    assert [p["style"]["radius"] for p in bts_props] == [9, 6, 6, 6]
    assert "VNP_1" in bts_props[0]["tip"] and "VT_2" in bts_props[2]["tip"]
    # L1, in the loudspeaker pane below the BTS pane, is a ring 9 + 3 = 12 px; L2 is alone
    loud_props = [f["properties"] for f in layers["loudspeakers"]["features"]]
    assert [p["style"]["radius"] for p in loud_props] == [12, 4]
    # every marker at the mast lists the three sites, top first; each one says illustrative
    tip = bts_props[0]["tip"]
    assert bts_props[1]["tip"] == loud_props[0]["tip"] == tip
    assert tip.count("<hr") == 2 and tip.index("VT_1") < tip.index("VNP_1") < tip.index("L1")
    assert "Viettel" in tip and "VinaPhone" in tip
    assert tip.count(i18n.t("col.illustrative", "en")) == 3
    assert "<hr" not in bts_props[2]["tip"]
    page = maps.to_html(maps.build_map(stacked, metric="no_4g_pct", lang="en"))
    assert i18n.t("map.colocated", "en") in page  # the legend explains the rings
    assert i18n.t("map.colocated", "en") not in maps.to_html(
        maps.build_map(analysis, metric="no_4g_pct", lang="en")
    )
    # the BTS pane is made after (above) the loudspeaker pane
    assert page.index('"phusong_loudspeakers"') < page.index('"phusong_bts_sites"')


def test_commune_labels_at_the_centre_of_each_square_larger_first():
    import geopandas as gpd
    from shapely.geometry import Point

    from maps_fixture import CRS, SIDE, X0, Y0

    analysis = synthetic_analysis()
    data = maps._map_data(analysis, metric="no_4g_pct", lang="vi", show_gaps=())
    # three equal 5 km squares: ties keep the row order; a square's pole is its centre
    centres = gpd.GeoSeries(
        [Point(X0 + SIDE * (i + 0.5), Y0 + SIDE / 2) for i in range(3)], crs=CRS
    ).to_crs(4326)
    assert [lab[2] for lab in data["labels"]] == ["Tà Rụt", "Hướng Hiệp", "A Ngo"]
    for (lat, lon, _), c in zip(data["labels"], centres, strict=True):
        assert abs(lat - c.y) < 2e-4 and abs(lon - c.x) < 2e-4  # within 1/50 of 5 km
    # a larger commune is labelled first
    from dataclasses import replace

    communes = analysis.communes.copy()
    communes.loc[2, "geometry"] = communes.geometry[2].buffer(1000, join_style="mitre")
    bigger = replace(analysis, communes=communes)
    assert [
        lab[2]
        for lab in maps._map_data(bigger, metric="no_4g_pct", lang="vi", show_gaps=())["labels"]
    ] == ["A Ngo", "Tà Rụt", "Hướng Hiệp"]
    page = maps.to_html(maps.build_map(analysis, metric="no_4g_pct"))
    assert "phusong.labels(" in page and json.dumps(i18n.t("layer.labels", "vi")) in page


def test_hatching_follows_the_colour_metric():
    follow = maps.follow_metric
    assert follow(None, None, "no_4g_pct") == (["no_4g"], "no_4g")  # first run
    assert follow(None, None, "no_internet_pct") == (["no_internet"], "no_internet")
    assert follow(None, None, "gap_score") == (["no_4g"], "no_4g")
    # the metric's kind replaces the previous metric's; kinds the user added stay
    assert follow(["no_4g", "no_service"], "no_4g", "no_loudspeaker_pct") == (
        ["no_loudspeaker", "no_service"],
        "no_loudspeaker",
    )
    assert follow(["no_service", "no_4g"], "no_4g", "no_service_pct") == (
        ["no_service"],
        "no_service",
    )
    # same kind (no_4g_pct → no_4g_pop): a kind the user removed stays removed
    assert follow([], "no_4g", "no_4g_pop") == ([], "no_4g")
    assert follow(["at_risk"], "no_4g", "no_mobile_pct") == (["no_mobile", "at_risk"], "no_mobile")
    # the gap score measures no single kind: nothing changes
    assert follow(["no_mobile", "at_risk"], "no_mobile", "gap_score") == (
        ["no_mobile", "at_risk"],
        "no_mobile",
    )


def test_map_caches_give_every_thread_the_right_map_while_evicting():
    """16 sessions at once over more commune sets than the outline cache holds (16): every map
    holds its own communes, nothing raises (the old outline cache could raise KeyError when
    another session evicted the entry between its check and its read)."""
    from concurrent.futures import ThreadPoolExecutor

    from maps_fixture import NAMES, synthetic_analysis

    sets = [NAMES + tuple(f"Q{i:02d}Z{j}" for j in range(i % 3 + 1)) for i in range(24)]
    analyses = [synthetic_analysis(names) for names in sets]

    def draw(i: int) -> list[str]:
        wrong = []
        for step in range(6):
            k = (i * 7 + step * 5) % len(analyses)
            html = (
                maps.build_map(analyses[k], metric="no_4g_pct", lang="vi", show_gaps=("no_4g",))
                .get_root()
                .render()
            )
            own = {n for n in sets[k] if n.startswith("Q")}
            found = set(re.findall(r"Q\d\dZ\d", html))
            if found != own:
                wrong.append(k)
        return wrong

    with ThreadPoolExecutor(16) as pool:
        wrong = [k for found in pool.map(draw, range(16)) for k in found]
    assert wrong == []


# --- people: "people without …" metrics and the population layer -------------------------------

PEOPLE_METRICS = (
    "no_4g_pop",
    "no_mobile_pop",
    "no_loudspeaker_pop",
    "no_internet_pop",
    "no_service_pop",
    "at_risk_pop",
)


def test_people_metrics_colour_communes_on_one_scale_and_hatch_their_gap():
    assert set(PEOPLE_METRICS) <= set(maps.MAP_METRICS)
    for metric in PEOPLE_METRICS:
        assert maps.METRIC_BINS[metric] == maps.METRIC_BINS["no_4g_pop"]
        assert maps.metric_for_gap(metric) == metric.removesuffix("_pop")
        assert i18n.t(f"metric.{metric}", "vi").startswith("Số người")
        assert i18n.t(f"metric.{metric}", "en").startswith("People")
    # the fixture's five communes: no_internet_pct 90, 40, 10, 30, 20 of 4,000, unknown, 2,500,
    # 1,200 and 800 people → 3,600 (≥ 2,500), unknown, 250, 360 and 160 (100–500)
    five = synthetic_analysis(("A", "B", "C", "D", "E"))
    values = five.communes["no_internet_pop"]
    assert list(values.fillna(-1)) == pytest.approx([3600, -1, 250, 360, 160])
    assert list(maps.classify(values, "no_internet_pop")) == [4, -1, 1, 1, 1]
    assert maps.class_colors(values, "no_internet_pop")[:2] == [
        maps.CLASS_COLORS[4],
        maps.NO_DATA_COLOR,
    ]
    page = maps.to_html(
        maps.build_map(five, metric="no_internet_pop", lang="en", show_gaps=("no_internet",))
    )
    assert "People far from internet access" in page


def test_a_link_may_name_a_people_metric():
    from geo.ui import urlstate

    decoded = urlstate.decode({"metric": "no_loudspeaker_pop"})
    assert decoded.values["metric"] == "no_loudspeaker_pop" and not decoded.ignored


def _grid(values, *, name: str = "test.tif"):
    """A population grid of 1 km cells in the fixture's UTM CRS, its top-left corner at the first
    commune's top-left corner (X0, Y0 + 5 km); ``values``: people per cell, rows from the top."""
    import numpy as np
    from pyproj import CRS

    from geo.io.population import PopulationGrid
    from maps_fixture import CRS as UTM, SIDE, X0, Y0

    return PopulationGrid(
        np.asarray(values, float),
        (1000.0, 0.0, X0, 0.0, -1000.0, Y0 + SIDE),
        CRS.from_user_input(UTM),
        name,
    )


def test_population_layer_classes_people_per_km2_inside_the_communes():
    from dataclasses import replace

    from geo.io.population import density_classes

    # one row of seven 1 km cells over the first commune (0–5 km) and 2 km beyond it (no
    # commune there: cut away); 5 and 8 people per km² → class 0–10, 30 → 25–50, 0 → not drawn
    one = synthetic_analysis(("A",))
    grid = _grid([[5, 8, 30, 0, 30, 400, 400]])
    classes = density_classes(grid, one.communes, maps.POPULATION_BINS)
    assert list(classes["klass"]) == [0, 2]
    assert list(classes["people"]) == pytest.approx([13, 60])
    assert list(classes.area / 1e6) == pytest.approx([2.0, 2.0])
    analysis = replace(one, population=grid)
    page = maps.to_html(maps.build_map(analysis, metric="no_4g_pop", lang="en"))
    layer = next(
        lyr
        for lyr in _geojson_layers(page)
        if lyr["features"] and "klass" in lyr["features"][0]["properties"]
    )
    assert [f["properties"]["style"]["fillColor"] for f in layer["features"]] == [
        maps.POPULATION_COLORS[0],
        maps.POPULATION_COLORS[2],
    ]
    assert json.dumps("Where people live (people/km²)")[1:-1] in page  # its layer-control name
    assert "Population grid: test.tif" in page  # the credit, shown while the layer is on
    assert "phusong-legend-population" in page and "phusong.toggleWithLayer(" in page
    assert page == maps.to_html(maps.build_map(analysis, metric="no_4g_pop", lang="en"))
    # without a grid: no layer, no legend part
    assert "phusong-legend-population" not in maps.to_html(maps.build_map(one, metric="no_4g_pop"))


def test_population_layer_credits_worldpop_for_the_folders_grid():
    from dataclasses import replace

    one = synthetic_analysis(("A",))
    worldpop = {
        "vi": "Dân số theo ô lưới: WorldPop …, CC BY 4.0",
        "en": "Population: WorldPop …, CC BY 4.0",
    }
    analysis = replace(
        one, population=_grid([[5]], name="population.tif"), sources=one.sources + (worldpop,)
    )
    assert maps.population_attribution(analysis, "en") == (
        "Population: WorldPop, CC BY 4.0",
        "Population: WorldPop …, CC BY 4.0",
    )
    assert maps.population_attribution(analysis, "vi") == (
        "Dân số: WorldPop, CC BY 4.0",
        "Dân số theo ô lưới: WorldPop …, CC BY 4.0",
    )
    page = maps.to_html(maps.build_map(analysis, metric="no_4g_pop", lang="en"))
    assert r"title=\"Population: WorldPop \u2026, CC BY 4.0\"" in page  # the full line on hover
    uploaded = replace(analysis, population=_grid([[5]], name="mine.tif"))
    assert maps.population_attribution(uploaded, "vi") == ("Dân số theo ô lưới: mine.tif",) * 2


def test_a_collection_estimates_its_bytes_once():
    from geo.cache import estimate_nbytes

    point = {"type": "Point", "coordinates": [106.9, 16.5]}
    fc = maps._FeatureCollection(
        type="FeatureCollection", features=[{"type": "Feature", "geometry": point}]
    )
    assert estimate_nbytes(fc) == estimate_nbytes(dict(fc)) > estimate_nbytes({})
    fc["features"] = []  # never done to a collection: shows that the first count is kept
    assert estimate_nbytes(fc) == fc.nbytes > estimate_nbytes(dict(fc))
