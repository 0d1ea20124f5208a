"""The field check's readings on the main map, in a real browser against a real server: upload a
log in the field tab, tick the sidebar toggle, and the map draws the readings in their own pane
with the disagreements ringed. ``PHUSONG_SCREENSHOTS=folder`` keeps a screenshot there."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from geo.testing import MAP_FRAME, wait_for_map

from test_cli_check import synthetic_log

pytestmark = pytest.mark.browser

READINGS = ".leaflet-phusong_readings-pane path"


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.errors = []
    tab.on("pageerror", lambda e: tab.errors.append(str(e)))
    yield tab
    context.close()


def test_readings_on_the_main_map(page, server, tmp_path):
    log = synthetic_log(tmp_path / "gnettrack.txt", n=60)
    page.goto(server)
    wait_for_map(page)
    frame = page.locator(MAP_FRAME).first.content_frame
    assert frame.locator(READINGS).count() == 0
    page.get_by_role("tab", name="Thực địa").click()
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Kết quả đo sóng")
    uploader.locator("input[type=file]").set_input_files(
        files=[{"name": "gnettrack.txt", "mimeType": "text/plain", "buffer": log.read_bytes()}]
    )
    toggle = page.get_by_role("checkbox", name="Hiện kết quả đo thực địa trên bản đồ")
    toggle.wait_for(timeout=90_000)
    page.get_by_text("Hiện kết quả đo thực địa trên bản đồ").click()
    page.get_by_role("tab", name="Bản đồ").click()
    wait_for_map(page)
    frame = page.locator(MAP_FRAME).first.content_frame
    frame.locator(READINGS).first.wait_for(timeout=60_000)
    # 125 readings: a dot each, and a ring on each disagreement (10 % of the labels are flipped)
    n = frame.locator(READINGS).count()
    assert 125 + 5 <= n <= 2 * 125
    assert frame.locator(".phusong-legend-readings").count() == 1
    folder = os.environ.get("PHUSONG_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.locator(MAP_FRAME).first.screenshot(path=str(Path(folder) / "field_readings_map.png"))
    # off again: the map is drawn without them
    page.get_by_text("Hiện kết quả đo thực địa trên bản đồ").click()
    for _ in range(120):  # the rerun may start late on a busy machine: wait for the new map
        wait_for_map(page)
        frame = page.locator(MAP_FRAME).first.content_frame
        if frame.locator(READINGS).count() == 0:
            break
        page.wait_for_timeout(500)
    assert frame.locator(READINGS).count() == 0
    # the export tab's snapshot says how much rests on the evidence loaded in the field tab
    page.get_by_role("tab", name="Xuất báo cáo").click()
    page.get_by_text("bằng chứng thực địa (tab Thực địa)").wait_for(timeout=30_000)
    with page.expect_download(timeout=180_000) as info:
        page.get_by_role("button", name="Bản đồ A4 (PDF)", exact=True).click()
    from pypdf import PdfReader

    text = " ".join(PdfReader(info.value.path()).pages[0].extract_text().split())
    assert "bằng chứng thực địa (125 lần đo; gnettrack.txt)" in text
    assert not page.errors
