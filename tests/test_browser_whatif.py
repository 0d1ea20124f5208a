"""The point card and a what-if BTS in a real browser (Debian's Chromium) against a real server.

Clicking the map (anywhere, here a spot of Đakrông's default data) shows the card of what reaches
that spot; adding a what-if BTS there redraws the map with its marker and reach and lowers the
"area without 4G" figure. Before this change a click on the map did nothing but select a commune.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from geo.testing import REPO, wait_for_map

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ.get("PHUSONG_SHOTS", "/tmp/phusong-shots"))


def kpi_area(page, label: str) -> str:
    """The share of the district's area beside a KPI's people ("65,4 % diện tích")."""
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label).first
    return metric.locator('[data-testid="stMetricDelta"]').inner_text()


def idle(page, timeout_ms: int = 60_000) -> None:
    """Wait until Streamlit has finished the rerun."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=timeout_ms)


def largest_no_4g_spot() -> tuple[float, float]:
    """(lat, lon) well inside the largest piece without 4G of the default data (WGS84)."""
    from geo.analysis import gaps
    from geo.io import loading

    analysis = gaps.analyse(loading.load_dataset(REPO / "data" / "dakrong"))
    pieces = analysis.gap_polygons(("no_4g",)).explode(index_parts=False)
    largest = pieces.loc[[pieces.area.idxmax()]].geometry
    point = largest.representative_point().to_crs(4326).iloc[0]
    return point.y, point.x


def test_click_shows_the_point_card_and_a_what_if_bts_changes_the_figures(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1100}, accept_downloads=True)
    page = context.new_page()
    page.goto(server)
    frame = wait_for_map(page, 13)
    before = kpi_area(page, "Chưa có 4G")
    # a spot drawn as "no 4G": inside the largest uncovered piece of the default analysis
    lat, lon = largest_no_4g_spot()
    container = frame.locator(".leaflet-container")
    x, y = container.evaluate(
        "(el, [lat, lon]) => { const p = window.map"
        ".latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        [lat, lon],
    )
    container.click(position={"x": x, "y": y})
    card = page.locator(".st-key-point_card")
    card.wait_for(timeout=60_000)
    idle(page)
    text = card.inner_text()
    assert "Tại điểm đã chọn" in text
    assert re.search(r"Có sóng: |Không có sóng di động", text), text
    assert re.search(r"(Nghe được loa|Ngoài tầm loa).*cách [\d.,]+ (m|km)", text), text
    assert re.search(r"Điểm internet gần nhất: .* cách [\d.,]+ (m|km)", text), text

    form = page.locator(".st-key-whatif_form")
    form.get_by_text("Đặt tại điểm đã chọn").click()  # unfold
    form.get_by_role("button", name="Thêm").click()
    # the card names the new site (the tables are drawn on a canvas, the card is text)
    page.locator(".st-key-point_card").filter(has_text="WHATIF-1").wait_for(timeout=60_000)
    idle(page)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "whatif_added.png"), full_page=True)
    page.wait_for_function(
        "([label, old]) => [...document.querySelectorAll('[data-testid=stMetric]')]"
        ".some(m => m.innerText.includes(label) && !m.innerText.includes(old))",
        arg=["Chưa có 4G", before],
        timeout=60_000,
    )
    after = kpi_area(page, "Chưa có 4G")

    # the area without 4G, "65,4 % diện tích": less once the what-if 4G site is added
    def as_number(text: str) -> float:
        return float(re.search(r"[\d.,]+", text).group().replace(".", "").replace(",", "."))

    assert as_number(after) < as_number(before), (before, after)
    frame = wait_for_map(page, 13)
    frame.locator(".phusong-whatif").wait_for(timeout=30_000)
    assert "WHATIF-1 (giả định), cách 0 m" in page.locator(".st-key-point_card").inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "whatif.png"), full_page=True)
    # the download is the bts_sites layer with the what-if row, read back as --sites reads it
    with page.expect_download(timeout=60_000) as info:
        page.get_by_role("button", name="Tải Trạm BTS (CSV)").click()
    assert info.value.suggested_filename == "bts_sites_whatif.csv"
    path = SHOTS / info.value.suggested_filename
    info.value.save_as(path)
    from geo.io import loading

    back, problems = loading.read_layer(path, "bts_sites")
    assert [p for p in problems if p.is_error] == []
    assert len(back) == 29 and back["site_id"].iloc[-1] == "WHATIF-1"
    assert back["illustrative"].iloc[-1] and back["technologies"].iloc[-1] == "4G"
    context.close()
