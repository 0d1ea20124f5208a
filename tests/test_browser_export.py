"""The Export tab in a real browser: what a user downloads says what it shows.

A user narrows the view to Viettel without 2G in the sidebar, then downloads the A4 map (PDF),
the interactive map (HTML) and the report for officials (PDF). Each must state those filters, so
that a "Viettel only, no 2G" map cannot be read as the whole coverage; the report has a district
page and one page per commune.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from test_browser import page, settle  # noqa: F401  (fixture: a tab of the default app)

pytestmark = pytest.mark.browser

FILTER_VI = "Bộ lọc — nhà mạng: Viettel; công nghệ: 3G, 4G, 5G"
COMMUNES = 13  # the default data, before the 2025 merger


def narrow_to_viettel_without_2g(page) -> None:
    """Remove VinaPhone and MobiFone from the carriers and 2G from the technologies."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    for widget, value in (("Nhà mạng", "VinaPhone"), ("Nhà mạng", "MobiFone"), ("Công nghệ", "2G")):
        box = sidebar.locator('[data-testid="stMultiSelect"]').filter(has_text=widget)
        box.get_by_role("button", name=f"Remove {value}", exact=True).click()
        rerun_done(page)


def rerun_done(page) -> None:
    """Wait for the rerun a widget change starts (its status widget shows up, unless it was
    quicker than a poll), then for the page to settle."""
    try:
        page.locator('[data-testid="stStatusWidget"]').wait_for(timeout=3_000)
    except PlaywrightTimeout:
        pass
    settle(page, communes=COMMUNES)


def open_export_tab(page) -> None:
    page.get_by_role("tab", name="Xuất báo cáo").click()
    page.get_by_role("button", name="Bản đồ A4 (PDF)", exact=True).wait_for(timeout=30_000)
    settle(page, communes=COMMUNES)


def download(page, label: str) -> bytes:
    with page.expect_download(timeout=180_000) as info:
        page.get_by_role("button", name=label, exact=True).click()
    return Path(info.value.path()).read_bytes()


def pdf_pages(data: bytes) -> list[str]:
    from pypdf import PdfReader

    return [p.extract_text() for p in PdfReader(io.BytesIO(data)).pages]


def test_downloads_state_the_filters_of_the_view(page):
    settle(page, communes=COMMUNES)
    narrow_to_viettel_without_2g(page)
    open_export_tab(page)
    snapshot = pdf_pages(download(page, "Bản đồ A4 (PDF)"))
    assert len(snapshot) == 1 and FILTER_VI in snapshot[0]
    assert "Mô hình phủ sóng: Vòng tròn (bán kính cố định)" in snapshot[0]
    assert "Bán kính phủ sóng: 2G 5 km, 3G 3 km, 4G 3 km, 5G 1 km" in snapshot[0]

    html = download(page, "Bản đồ tương tác (HTML)").decode("utf-8")
    today = dt.date.today().strftime("%d/%m/%Y")
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "Vùng chưa được phủ sóng thông tin" in title and today in title
    header = re.search(r'<header class="phusong-export-header".*?</header>', html, re.S).group(0)
    assert FILTER_VI in header and today in header
    assert "Tầm phủ của loa" in header and "Khoảng cách tới điểm internet: 2 km" in header
    page.get_by_text(FILTER_VI).wait_for(timeout=30_000)  # the tab says what the files state
    shot = os.environ.get("PHUSONG_SCREENSHOT")
    if shot:
        page.screenshot(path=shot, full_page=False)


def test_report_has_a_district_page_and_one_page_per_commune(page):
    settle(page, communes=COMMUNES)
    narrow_to_viettel_without_2g(page)
    open_export_tab(page)
    pages = pdf_pages(download(page, "Báo cáo theo xã (PDF)"))
    assert len(pages) == 1 + COMMUNES
    assert "Số liệu toàn huyện" in pages[0]
    assert all(FILTER_VI in text for text in pages)
    assert all(f"Trang {i}/{1 + COMMUNES}" in text for i, text in enumerate(pages, 1))
    ranks = [re.search(r"Hạng thiếu hụt (\d+)/13", text).group(1) for text in pages[1:]]
    assert ranks == [str(i) for i in range(1, COMMUNES + 1)]
