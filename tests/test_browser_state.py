"""The app keeps the user's state, in a real browser against a real server (issue 15).

A language switch keeps every choice; the map keeps its zoom when a slider changes; a search
outlines the commune and zooms to it; the terrain model without an elevation model says so above
the map with the DEM tiles to get; no "Deploy" button; a link with a query string restores the
view. Default Đakrông data; Chromium as in tests/test_browser.py.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlparse

import geopandas as gpd
import pytest

from geo import i18n
from geo.testing import MAP_FRAME, REPO, wait_for_map

pytestmark = pytest.mark.browser

DATA = REPO / "data" / "dakrong"
HIGHLIGHT_PATHS = ".leaflet-phusong_highlight-pane path"
STATUS = '[data-testid="stStatusWidget"]'


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.errors = []
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))
    yield tab
    context.close()


def open_app(page, url: str, *, communes: int = 13):
    page.goto(url)
    return settle(page, communes)


def settle(page, communes: int = 13, timeout_s: float = 90):
    try:
        wait_for_map(page, communes, timeout_s=timeout_s)
    except TimeoutError as exc:
        pytest.fail(str(exc))
    return leaflet(page)


def leaflet(page):
    """The Map tab's frame as a Playwright Frame (to evaluate Leaflet's ``window.map``)."""
    return page.locator(MAP_FRAME).first.element_handle().content_frame()


def idle(page, quiet_ms: int = 1200, timeout_s: float = 60) -> None:
    """Wait until no script run has been going on for ``quiet_ms`` (the map's reports of its
    view are debounced by 250 ms, then rerun the script)."""
    deadline, quiet_since = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        if page.locator(STATUS).count():
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > quiet_ms / 1000:
            return
        page.wait_for_timeout(100)
    pytest.fail("the app never became idle")


def checked(page, label: str) -> str:
    """The text of the selected option of the radio labelled ``label`` ('' if none)."""
    group = page.locator('[data-testid="stRadio"]').filter(has_text=label)
    option = group.locator("label:has(input:checked)")
    return option.inner_text().strip() if option.count() else ""


def selectbox_text(page, label: str) -> str:
    """The option shown in the selectbox labelled ``label``."""
    return page.get_by_role("combobox", name=label, exact=True).input_value()


def slider_value(page, label: str) -> str:
    """The value shown on the thumb of the slider labelled ``label``."""
    slider = page.locator('[data-testid="stSlider"]').filter(has_text=label)
    return slider.locator('[data-testid="stSliderThumbValue"]').inner_text().strip()


def zoom_and_center(frame) -> tuple[int, float, float]:
    return tuple(
        frame.evaluate(
            "() => [window.map.getZoom(), window.map.getCenter().lat, window.map.getCenter().lng]"
        )
    )


def map_bounds(frame) -> tuple[float, float, float, float]:
    """(south, west, north, east) the map shows."""
    return tuple(
        frame.evaluate(
            "() => { const b = window.map.getBounds();"
            " return [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; }"
        )
    )


def commune_bounds(name: str, vintage_column: str = "name") -> tuple[float, float, float, float]:
    g = gpd.read_file(DATA / "communes.geojson")
    west, south, east, north = g[g[vintage_column] == name].total_bounds
    return (south, west, north, east)


def contains(outer, inner) -> bool:
    return (
        outer[0] <= inner[0]
        and outer[1] <= inner[1]
        and outer[2] >= inner[2]
        and outer[3] >= inner[3]
    )


# --- defect 4: a language switch keeps every widget's state ----------------------------------


def test_language_switch_keeps_choices_both_ways(page, server):
    open_app(page, server)
    page.get_by_text("5 xã (từ 1/7/2025)").click()
    settle(page, 5)
    page.locator('[data-testid="stSelectbox"]').filter(has_text="Tô màu xã theo").click()
    page.get_by_role("option", name="Diện tích không có sóng di động (%)").click()
    idle(page)
    slider = page.locator('[data-testid="stSlider"]').filter(has_text="Bán kính 4G (km)")
    slider.get_by_role("slider").press("ArrowRight")  # 3 → 3.5 km
    idle(page)
    assert slider_value(page, "Bán kính 4G (km)") == "3.50"

    page.get_by_text("English").click()
    idle(page)
    settle(page, 5)
    assert checked(page, "Administrative units") == "5 communes (since 1 July 2025)"
    assert "Area without mobile signal (%)" in selectbox_text(page, "Colour communes by")
    assert checked(page, "Coverage model") == "Circle (fixed radius)"
    carriers = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Carriers")
    assert all(c in carriers.inner_text() for c in ("Viettel", "VinaPhone", "MobiFone"))
    gaps = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Draw uncovered areas")
    # the hatching followed the colour metric (no mobile signal) and keeps it in English
    assert gaps.inner_text().endswith(i18n.t("gap.no_mobile", "en"))
    assert slider_value(page, "4G radius (km)") == "3.50"
    assert page.get_by_role("heading", name="phusong — where information does not reach").count()

    page.get_by_text("Tiếng Việt").click()
    idle(page)
    settle(page, 5)  # still the 5 communes, not silently back to 13
    assert checked(page, "Đơn vị hành chính") == "5 xã (từ 1/7/2025)"
    assert "Diện tích không có sóng di động (%)" in selectbox_text(page, "Tô màu xã theo")
    assert page.errors == []


# --- defect 5: the map keeps its view when a slider changes ----------------------------------


def test_zoom_and_position_survive_a_slider_change(page, server):
    frame = open_app(page, server)
    idle(page)
    zoom0, _, _ = zoom_and_center(frame)
    frame.locator(".leaflet-control-zoom-in").click()
    frame.wait_for_timeout(400)
    frame.locator(".leaflet-control-zoom-in").click()
    frame.wait_for_timeout(400)
    frame.evaluate("() => window.map.panBy([120, -80], {animate: false})")
    idle(page)
    before = zoom_and_center(frame)
    assert before[0] == zoom0 + 2
    frame.evaluate("() => { window.__old_frame = true; }")

    slider = page.locator('[data-testid="stSlider"]').filter(has_text="Tầm phủ của loa (m)")
    slider.get_by_role("slider").press("ArrowRight")  # 300 → 350 m: a new map script
    idle(page)
    frame = settle(page)
    assert frame.evaluate("() => window.__old_frame === undefined"), "the map was not redrawn"
    after = zoom_and_center(frame)
    assert after[0] == before[0]
    assert after[1] == pytest.approx(before[1], abs=1e-4)
    assert after[2] == pytest.approx(before[2], abs=1e-4)
    # and the view is in the URL
    lat, lon, zoom = parse_qs(urlparse(page.url).query)["view"][0].split(",")
    assert int(zoom) == before[0]
    assert float(lat) == pytest.approx(before[1], abs=1e-4)


# --- defect 6: a search outlines the commune and zooms to it ---------------------------------


def test_search_highlights_the_commune_and_zooms_to_it(page, server):
    frame = open_app(page, server)
    idle(page)
    zoom0 = zoom_and_center(frame)[0]
    page.get_by_role("textbox", name="Tìm xã").fill("ta rut")
    page.keyboard.press("Enter")
    idle(page)
    frame = settle(page)
    outline = frame.locator(HIGHLIGHT_PATHS)
    assert outline.count() >= 1
    ta_rut = commune_bounds("Xã Tà Rụt")
    shown = map_bounds(frame)
    assert contains(shown, ta_rut), (shown, ta_rut)
    assert zoom_and_center(frame)[0] > zoom0  # zoomed in to it
    # the outline is Tà Rụt's: its box on screen matches the commune's box
    box = frame.evaluate(
        "() => { let b = null; window.map.eachLayer(l => { if (l.options && l.options.pane === "
        "'phusong_highlight' && l.getBounds) { b = l.getBounds(); } });"
        " return b && [b.getSouth(), b.getWest(), b.getNorth(), b.getEast()]; }"
    )
    assert box == pytest.approx(list(ta_rut), abs=1e-4)
    assert selectbox_text(page, "Xã") == "Xã Tà Rụt"
    assert "commune=19588" in page.url


# --- defect 10: terrain without a DEM says so above the map, with the tiles to get ------------


def test_terrain_without_dem_names_the_tiles_above_the_map(page, server):
    open_app(page, server)
    page.get_by_text("Địa hình (mô hình số độ cao)").click()
    idle(page)
    settle(page)
    warning = page.locator('[data-testid="stMain"] [data-testid="stAlert"]').filter(
        has_text="mô hình số độ cao"
    )
    assert warning.count() == 1
    text = warning.inner_text()
    assert "N16E106" in text and "N16E107" in text
    assert "Copernicus_DSM_COG_10_N16_00_E106_00_DEM" in text
    assert "earthexplorer.usgs.gov" in text and "dataspace.copernicus.eu" in text
    assert warning.is_visible()
    # above the map: the warning's box ends before the map frame begins
    assert warning.bounding_box()["y"] < page.locator(MAP_FRAME).first.bounding_box()["y"]
    page.get_by_text("English").click()
    idle(page)
    assert (
        page.locator('[data-testid="stMain"] [data-testid="stAlert"]')
        .filter(has_text="no elevation model")
        .count()
        == 1
    )


# --- issue 13 (part): no "Deploy" button ------------------------------------------------------


def test_no_deploy_button(page, server):
    open_app(page, server)
    assert page.locator('[data-testid="stToolbar"]').count() in (0, 1)
    assert page.locator('[data-testid="stAppDeployButton"]').count() == 0
    assert page.get_by_text("Deploy", exact=True).count() == 0


# --- the view in the URL -------------------------------------------------------------------------


def test_a_link_restores_the_view(page, server):
    ta_rut = commune_bounds("Xã Tà Rụt", "name_2025")
    lat, lon = (ta_rut[0] + ta_rut[2]) / 2, (ta_rut[1] + ta_rut[3]) / 2
    link = {
        "lang": "en",
        "vintage": "2025",
        "metric": "no_mobile_pct",
        "carriers": "Viettel",
        "r4G": "5",
        "loud": "500",
        "commune": "19588",
        "view": f"{lat:.5f},{lon:.5f},12",
    }
    frame = open_app(page, server + "/?" + urlencode(link) + "&r3G=abc&foo=1", communes=5)
    idle(page)
    frame = settle(page, 5)
    assert checked(page, "Administrative units") == "5 communes (since 1 July 2025)"
    assert "Area without mobile signal (%)" in selectbox_text(page, "Colour communes by")
    carriers = page.locator('[data-testid="stMultiSelect"]').filter(has_text="Carriers")
    assert "Viettel" in carriers.inner_text() and "MobiFone" not in carriers.inner_text()
    assert slider_value(page, "4G radius (km)") == "5.00"
    zoom, clat, clon = zoom_and_center(frame)
    assert zoom == 12
    assert (clat, clon) == pytest.approx((lat, lon), abs=1e-4)
    assert frame.locator(HIGHLIGHT_PATHS).count() >= 1
    # the bad values are named in a quiet notice and dropped from the URL; the rest stays
    page.get_by_text("could not be used").first.wait_for(timeout=10_000)
    assert "r3G=abc" in page.locator('[data-testid="stToast"]').first.inner_text()
    query = parse_qs(urlparse(page.url).query)
    assert "foo" not in query and "r3G" not in query
    assert {k: v[0] for k, v in query.items()} == link
    assert "Traceback" not in page.content()
    assert page.errors == []


def test_browser_back_restores_the_state_before(page, server):
    open_app(page, server)
    idle(page)
    slider = page.locator('[data-testid="stSlider"]').filter(has_text="Tầm phủ của loa (m)")
    for _ in range(2):  # 300 → 350 → 400 m, one history entry each
        slider.get_by_role("slider").press("ArrowRight")
        idle(page)
    assert parse_qs(urlparse(page.url).query)["loud"] == ["400"]
    page.go_back()
    idle(page)
    settle(page)
    assert slider_value(page, "Tầm phủ của loa (m)") == "350"
    assert parse_qs(urlparse(page.url).query)["loud"] == ["350"]
