"""Long work off the script thread in a real browser (issue 13): reading a DEM shows a progress
bar and a cancel button in the sidebar while the page keeps the circle model, another visitor's
page draws its map meanwhile, cancel stops waiting and "try again" reads it to the end.

The read is made slow by tests/slow_streamlit.py (each DEM file takes PHUSONG_TEST_SLOW_DEM_S
more seconds), never by a hook in the app. ``PHUSONG_SCREENSHOTS=folder`` keeps a screenshot of
the sidebar while the DEM is read."""

from __future__ import annotations

import time

import numpy as np
import pytest
import rasterio
from affine import Affine

from conftest import serve
from geo.testing import REPO, wait_for_map
from test_browser_import import apply, sidebar_shot, upload

pytestmark = pytest.mark.browser

TILES, DELAY_S = 4, 6.0  # four files of 6 s each: about 24 s of reading
IMPORT_S = 6.0  # every import: 6 s more, and off the script thread however small
SIDEBAR = '[data-testid="stSidebar"]'
PROGRESS = '[data-testid="stSidebar"] [data-testid="stProgress"]'


@pytest.fixture(scope="module")
def slow_dem_server(tmp_path_factory):
    """The app on the Đakrông data with a DEM folder of four flat 40 km × 50 km tiles at 500 m
    that together cover the district and its 15 km margin (UTM 48N: 668–748 km E,
    1,780–1,880 km N; the area analysed is 670–743 km E, 1,789–1,877 km N)."""
    root = tmp_path_factory.mktemp("dem_root")
    (root / "dakrong").mkdir()
    for i in range(TILES):
        x0, y0 = 668_000 + 40_000 * (i % 2), 1_880_000 - 50_000 * (i // 2)
        with rasterio.open(
            root / "dakrong" / f"tile{i}.tif",
            "w",
            driver="GTiff",
            width=80,
            height=100,
            count=1,
            dtype="float32",
            crs="EPSG:32648",
            transform=Affine(500, 0, x0, 0, -500, y0),
        ) as out:
            out.write(np.full((100, 80), 300.0, np.float32), 1)
    yield from serve(
        REPO / "data" / "dakrong",
        env={
            "PHUSONG_DEM_DIR": str(root),
            "PHUSONG_TEST_SLOW_DEM_S": str(DELAY_S),
            "PHUSONG_TEST_SLOW_IMPORT_S": str(IMPORT_S),
        },
        runner=(str(REPO / "tests" / "slow_streamlit.py"),),
    )


def visitor(browser, url):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    wait_for_map(page, 13, timeout_s=90)
    return context, page


def choose_dem_folder(page) -> None:
    page.get_by_text("Địa hình (mô hình số độ cao)").click()
    box = page.locator(f'{SIDEBAR} [data-testid="stSelectbox"]').filter(
        has_text="thư mục DEM của máy chủ"
    )
    box.wait_for(timeout=30_000)
    combo = box.get_by_role("combobox")
    combo.click()
    combo.fill("")
    combo.type("dak")
    page.get_by_role("option", name="dakrong").click()


def soon(check, page, timeout_s: float = 10) -> bool:
    """True once ``check()`` is, polled every 200 ms for at most ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while not check():
        if time.monotonic() > deadline:
            return False
        page.wait_for_timeout(200)
    return True


def test_a_dem_read_runs_off_the_thread_with_progress_and_can_be_cancelled(
    browser, slow_dem_server
):
    ctx_a, a = visitor(browser, slow_dem_server)
    choose_dem_folder(a)
    bar = a.locator(PROGRESS)
    bar.wait_for(timeout=30_000)
    started = time.monotonic()
    a.get_by_text("Đang đọc mô hình số độ cao").wait_for(timeout=10_000)
    assert a.locator(SIDEBAR).get_by_role("button", name="Huỷ").count() == 1
    # meanwhile this page keeps the circle model's map, and no "cannot use the DEM" warning
    frame = a.locator('iframe[title="streamlit_folium.st_folium"]').first.content_frame
    assert soon(lambda: frame.locator(".leaflet-phusong_communes-pane path").count() == 13, a)
    assert a.get_by_text("không dùng được mô hình số độ cao").count() == 0
    a.wait_for_timeout(DELAY_S * 1000 + 500)  # a file read: the bar moved on
    assert "Bước" in bar.inner_text()
    sidebar_shot(a, "dem_reading_sidebar.png")

    # another visitor opens the app and draws its map while the DEM is read
    ctx_b, b = visitor(browser, slow_dem_server)
    b.get_by_text("English").click()  # and reruns it
    b.get_by_text("Without 4G").first.wait_for(timeout=30_000)
    wait_for_map(b, 13, timeout_s=30)
    drawn_s = time.monotonic() - started
    assert drawn_s < TILES * DELAY_S, drawn_s  # within the read
    assert a.locator(PROGRESS).count() == 1  # still reading

    # cancel: this page stops waiting and says so; the circle model stays
    a.locator(SIDEBAR).get_by_role("button", name="Huỷ").click()
    a.get_by_text("Đã huỷ việc đọc mô hình số độ cao").wait_for(timeout=10_000)
    assert a.locator(PROGRESS).count() == 0
    a.wait_for_timeout(1_500)  # no new job on the reruns after a cancel
    assert a.locator(PROGRESS).count() == 0

    # try again: read to the end; the page reruns itself and the terrain model appears
    a.locator(SIDEBAR).get_by_role("button", name="Thử lại").click()
    a.locator(PROGRESS).wait_for(timeout=10_000)
    deadline = time.monotonic() + 120
    while a.locator(PROGRESS).count() and time.monotonic() < deadline:
        a.wait_for_timeout(500)
    sidebar_shot(a, "dem_read_sidebar.png")
    a.get_by_text("[địa hình]").first.wait_for(timeout=60_000)
    assert a.get_by_text("Đã huỷ việc đọc mô hình số độ cao").count() == 0
    ctx_a.close()
    ctx_b.close()


def test_an_import_runs_off_the_thread_and_can_be_cancelled(browser, slow_dem_server):
    context, page = visitor(browser, slow_dem_server)
    page.get_by_text("Dữ liệu của bạn").click()
    sites = (REPO / "data" / "dakrong" / "bts_sites.csv").read_bytes()
    upload(page, "Trạm BTS", "bts_sites.csv", sites)
    apply(page)
    bar = page.locator(PROGRESS)
    bar.wait_for(timeout=10_000)
    page.get_by_text("Đang đọc và kiểm tra dữ liệu tải lên…").wait_for(timeout=10_000)
    sidebar_shot(page, "import_running_sidebar.png")
    page.locator(SIDEBAR).get_by_role("button", name="Huỷ").click()
    page.get_by_text("Đã huỷ: vẫn dùng dữ liệu trước đó.").wait_for(timeout=10_000)
    assert page.locator(PROGRESS).count() == 0
    assert page.get_by_text("Đang dùng dữ liệu bạn tải lên").count() == 0
    apply(page)  # again: read to the end (after the cancelled one, which finishes unseen)
    page.locator(PROGRESS).wait_for(timeout=10_000)
    page.get_by_text("Đang dùng dữ liệu bạn tải lên").wait_for(timeout=60_000)
    assert page.locator(PROGRESS).count() == 0
    context.close()
