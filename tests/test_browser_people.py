"""Where people live (issue 14), in a real browser against a real server on the default Đakrông
data: the population layer is a toggle of the map's layer control (off at first, its legend part
and the WorldPop credit shown while it is on), a "people without …" metric colours the communes,
the KPI row leads with people, the area share beside them, and a population grid that cannot be
used is refused naming the file.

``PHUSONG_SCREENSHOTS=folder`` keeps screenshots of the map and the KPI row there (vi and en).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from geo.testing import wait_for_map

pytestmark = pytest.mark.browser

POPULATION_PATHS = ".leaflet-phusong_population-pane path"
LEGEND_PART = ".phusong-legend-population"


def open_app(browser, url: str):
    context = browser.new_context(viewport={"width": 1400, "height": 1300})
    page = context.new_page()
    page.goto(url)
    try:
        frame = wait_for_map(page, 13, timeout_s=90)
    except TimeoutError as exc:
        pytest.fail(str(exc))
    page.wait_for_timeout(600)
    return context, page, frame


def shot(page, name: str, *, full_page: bool = True) -> None:
    folder = os.environ.get("PHUSONG_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=full_page)


def toggle_population(frame, name: str) -> None:
    """Tick the population layer's box in the (collapsed) layer control."""
    frame.locator(".leaflet-control-layers").hover()
    box = frame.locator(".leaflet-control-layers-overlays label").filter(has_text=name)
    box.locator("input").click()
    frame.locator(".leaflet-control-layers").evaluate(
        "el => el.classList.remove('leaflet-control-layers-expanded')"
    )


@pytest.mark.parametrize(
    "lang, layer, legend, credit, metric_title, kpi_label, people",
    [
        (
            "vi",
            "Nơi dân cư sống (người/km²)",
            "Mật độ dân số (người/km²)",
            "Dân số: WorldPop, CC BY 4.0",
            "Số người ngoài vùng loa",
            "Ngoài vùng loa",
            ("32.788–41.280 người", "96,5 % diện tích"),
        ),
        (
            "en",
            "Where people live (people/km²)",
            "People per km²",
            "Population: WorldPop, CC BY 4.0",
            "People out of loudspeaker reach",
            "Beyond loudspeakers",
            ("32,788–41,280 people", "96.5 % of the area"),
        ),
    ],
)
def test_population_layer_toggle_people_metric_and_people_first_kpis(
    browser, server, lang, layer, legend, credit, metric_title, kpi_label, people
):
    context, page, frame = open_app(browser, f"{server}?lang={lang}&metric=no_loudspeaker_pop")
    try:
        # the people metric colours the communes: its title heads the legend, its gap is hatched
        legend_box = frame.locator(".phusong-legend")
        assert legend_box.inner_text().startswith(metric_title)
        assert frame.locator(".leaflet-phusong_gaps-pane path").count() > 0
        # the population layer: off at first (no cells drawn, no legend part, no credit)
        assert frame.locator(POPULATION_PATHS).count() == 0
        assert not frame.locator(LEGEND_PART).is_visible()
        assert credit not in frame.locator(".leaflet-control-attribution").inner_text()
        toggle_population(frame, layer)
        frame.locator(POPULATION_PATHS).first.wait_for(state="attached", timeout=10_000)
        assert frame.locator(POPULATION_PATHS).count() >= 4  # one merged shape per class drawn
        assert frame.locator(LEGEND_PART).is_visible()
        assert frame.locator(LEGEND_PART).inner_text().startswith(legend)
        assert credit in frame.locator(".leaflet-control-attribution").inner_text()
        # the cells lie under the hatching and the communes still take the clicks
        pane = frame.locator(".leaflet-phusong_population-pane")
        assert pane.evaluate("el => getComputedStyle(el).pointerEvents") == "none"
        shot(page, f"people_map_{lang}.png")
        # the KPI row: people first, the area share beside them; a range for loudspeakers
        metric = page.locator('[data-testid="stMetric"]').filter(has_text=kpi_label).first
        assert metric.locator('[data-testid="stMetricValue"]').inner_text() == people[0]
        assert metric.locator('[data-testid="stMetricDelta"]').inner_text().strip() == people[1]
        page.locator('[data-testid="stMetric"]').first.scroll_into_view_if_needed()
        shot(page, f"people_kpis_{lang}.png", full_page=False)
        # off again: the legend part and the credit go with it
        toggle_population(frame, layer)
        page.wait_for_timeout(300)
        assert frame.locator(POPULATION_PATHS).count() == 0
        assert not frame.locator(LEGEND_PART).is_visible()
        assert credit not in frame.locator(".leaflet-control-attribution").inner_text()
    finally:
        context.close()


def grid_bytes(tmp_path, crs: str | None) -> bytes:
    """10 people in every 0.01° cell over the whole district (106.6–107.2° E, 16.35–16.95° N)."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    path = tmp_path / "dan_so.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=60,
        height=60,
        count=1,
        dtype="float32",
        crs=crs,
        transform=from_origin(106.6, 16.95, 0.01, 0.01),
    ) as dst:
        dst.write(np.full((60, 60), 10.0, dtype=np.float32), 1)
    return path.read_bytes()


def upload_grid(page, data: bytes) -> None:
    page.get_by_text("Dữ liệu của bạn").click()
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Lưới dân số GeoTIFF")
    uploader.locator("input[type=file]").set_input_files(
        files=[{"name": "dan_so.tif", "mimeType": "image/tiff", "buffer": data}]
    )
    uploader.locator('[data-testid="stFileChip"]').wait_for(timeout=30_000)
    page.get_by_role("button", name="Dùng dữ liệu này").click()


def test_an_uploaded_population_grid_places_the_people_and_is_credited(browser, server, tmp_path):
    context, page, _ = open_app(browser, server)
    try:
        before = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
        upload_grid(page, grid_bytes(tmp_path, "EPSG:4326"))
        page.get_by_text("Đang dùng dữ liệu bạn tải lên").wait_for(timeout=60_000)
        # the communes' totals stay (46.140); where they live changes, so who lacks 4G does too
        for _ in range(60):
            after = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
            if after[1] != before[1]:
                break
            page.wait_for_timeout(500)
        assert after[0] == before[0] == "46.140 người" and after[1] != before[1]
        frame = wait_for_map(page, 13, timeout_s=90)
        toggle_population(frame, "Nơi dân cư sống (người/km²)")
        frame.locator(POPULATION_PATHS).first.wait_for(state="attached", timeout=10_000)
        credit = frame.locator(".leaflet-control-attribution").inner_text()
        assert "Dân số theo ô lưới: dan_so.tif" in credit and "WorldPop" not in credit
    finally:
        context.close()


def test_a_population_grid_without_a_crs_is_refused_naming_the_file(browser, server, tmp_path):
    context, page, _ = open_app(browser, server)
    try:
        before = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
        upload_grid(page, grid_bytes(tmp_path, None))
        page.get_by_text("Không nhập được dữ liệu").wait_for(timeout=60_000)
        refusal = page.locator('[data-testid="stAlert"]').filter(has_text="dan_so.tif")
        assert "không khai báo hệ toạ độ (CRS)" in refusal.inner_text()
        assert page.get_by_text("Đang dùng dữ liệu bạn tải lên").count() == 0
        assert page.locator('[data-testid="stMetricValue"]').all_inner_texts() == before
        assert "Traceback" not in page.content()
    finally:
        context.close()
