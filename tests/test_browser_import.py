"""Bringing your own data, in a real browser against a real server (issue 15): an unreadable file
is refused and the data in use stays, a layer that would lose most of its rows waits for a
confirmation, problems name the user's own column in the interface's language, and "back to the
default data" empties the uploaders.

``PHUSONG_SCREENSHOTS=folder`` keeps a screenshot of the sidebar of each test there.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from geo.testing import wait_for_map

pytestmark = pytest.mark.browser

UPLOADER = '[data-testid="stFileUploader"]'
UPLOADED_FILE = '[data-testid="stFileChip"]'


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1400}, accept_downloads=True)
    tab = context.new_page()
    tab.goto(server)
    settle(tab)
    tab.get_by_text("Dữ liệu của bạn").click()  # the sidebar's upload section
    tab.locator(UPLOADER).first.wait_for(timeout=30_000)
    yield tab
    context.close()


def settle(page):
    try:
        return wait_for_map(page, 13, timeout_s=90)
    except TimeoutError as exc:
        pytest.fail(str(exc))


def kpis(page) -> list[str]:
    settle(page)
    return page.locator('[data-testid="stMetricValue"]').all_inner_texts()


def upload(page, layer_label: str, name: str, data: bytes) -> None:
    """Choose a file in a layer's uploader, once Streamlit is idle (a file chosen while a rerun
    redraws the sidebar can be lost), and wait until the uploader shows it."""
    settle(page)
    uploader = page.locator(UPLOADER).filter(has_text=layer_label)
    uploader.locator("input[type=file]").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}]
    )
    uploader.locator(UPLOADED_FILE).wait_for(timeout=30_000)
    settle(page)


def apply(page) -> None:
    page.get_by_role("button", name="Dùng dữ liệu này").click()


def sidebar_shot(page, name: str) -> None:
    folder = os.environ.get("PHUSONG_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        size = page.viewport_size
        page.set_viewport_size({"width": size["width"], "height": 3000})  # the whole sidebar
        page.wait_for_timeout(500)
        page.locator('[data-testid="stSidebar"]').screenshot(path=str(Path(folder) / name))
        page.set_viewport_size(size)


def test_random_bytes_as_sites_are_refused_and_the_data_in_use_stays(page):
    before = kpis(page)
    # people without mobile signal (31,5 % of the area), the 28 default sites (not everyone)
    assert before[2] == "5.634 người"
    upload(page, "Trạm BTS", "sites.csv", random.Random(15).randbytes(4096))
    apply(page)
    page.get_by_text("Không nhập được dữ liệu").wait_for(timeout=60_000)
    refusal = page.locator('[data-testid="stAlert"]').filter(has_text="sites.csv")
    assert "không có dòng nào dùng được (không đọc được: " in refusal.inner_text()
    sidebar_shot(page, "refused.png")
    assert page.get_by_text("Đang dùng dữ liệu bạn tải lên").count() == 0
    assert page.get_by_role("button", name="Xác nhận dùng dữ liệu này").count() == 0
    with page.expect_download(timeout=30_000) as info:  # not applied: its report is in the sidebar
        page.get_by_test_id("stSidebar").get_by_role(
            "button", name="Tải báo cáo nhập dữ liệu (CSV)"
        ).click()
    report = Path(info.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert report[0] == "Mức độ,Tệp,Dòng,Cột,Giá trị,Lý do"
    assert report[1].startswith('lỗi,sites.csv,,,,"không có dòng nào dùng được (không đọc được')
    assert kpis(page) == before
    assert "Traceback" not in page.content()


def test_a_layer_that_would_lose_most_rows_waits_for_confirmation(page):
    before = kpis(page)
    one_site = "Mã trạm,Vĩ độ,Kinh độ,Nhà mạng,Công nghệ\nU1,16.70,106.88,VTL,4G\n".encode()
    upload(page, "Trạm BTS", "tram.csv", one_site)
    apply(page)
    page.get_by_text("Trạm BTS: 28 dòng đang dùng → 1 dòng sau khi tải lên").wait_for(
        timeout=60_000
    )
    sidebar_shot(page, "confirm.png")
    assert page.get_by_text("Đang dùng dữ liệu bạn tải lên").count() == 0
    assert kpis(page) == before  # nothing applied yet
    page.get_by_role("button", name="Huỷ, giữ dữ liệu đang dùng").click()
    page.get_by_text("Đã huỷ: vẫn dùng dữ liệu trước đó.").wait_for(timeout=60_000)
    assert kpis(page) == before
    apply(page)
    page.get_by_role("button", name="Xác nhận dùng dữ liệu này").click()
    page.get_by_text("Đang dùng dữ liệu bạn tải lên").wait_for(timeout=60_000)
    after = kpis(page)
    for _ in range(60):  # the notice may be drawn before the run's figures are
        if after[2] != before[2]:
            break
        page.wait_for_timeout(500)
        after = kpis(page)
    assert after != before and after[2] != before[2]  # one 4G site: far more people without signal


def test_problems_name_the_users_column_in_vietnamese(page):
    sites = (
        "Mã trạm;Vĩ độ;Kinh độ;Nhà mạng;Công nghệ\n"
        + "".join(f"A{i};16,{60 + i};106,88;VTL;4G\n" for i in range(20))
        + "B1;abc;106,9;VTL;4G\n"
    ).encode("utf-8")
    upload(page, "Trạm BTS", "tram_bts.csv", sites)
    apply(page)
    page.get_by_text("1 lỗi (dòng bị bỏ qua), 0 cảnh báo (dòng vẫn được dùng)").wait_for(
        timeout=60_000
    )
    settle(page)
    expander = page.get_by_text("1 dòng dữ liệu bị bỏ qua vì lỗi, 0 cảnh báo khi nhập dữ liệu")
    expander.wait_for(timeout=30_000)  # drawn above the map once the new figures are
    sidebar_shot(page, "vietnamese_reason.png")
    folder = os.environ.get("PHUSONG_SCREENSHOTS")
    if folder:  # the report above the map, in Vietnamese
        page.locator('[data-testid="stExpander"]').first.screenshot(
            path=str(Path(folder) / "vietnamese_report.png")
        )
    with page.expect_download(timeout=30_000) as info:
        page.get_by_test_id("stExpanderDetails").get_by_role(
            "button", name="Tải báo cáo nhập dữ liệu (CSV)"
        ).click()
    report = Path(info.value.path()).read_text(encoding="utf-8-sig").splitlines()
    assert report == [
        "Mức độ,Tệp,Dòng,Cột,Giá trị,Lý do",
        'lỗi,tram_bts.csv,22,Vĩ độ,abc,"không phải toạ độ (dùng độ thập phân như '
        '16.7061 hoặc độ-phút-giây như 16°42\'23.5""N)"',
    ]


def test_back_to_the_default_data_empties_the_uploaders(page):
    sites = "Mã trạm,Vĩ độ,Kinh độ,Nhà mạng,Công nghệ\nU1,16.70,106.88,VTL,4G\n".encode()
    upload(page, "Trạm BTS", "tram.csv", sites)
    upload(page, "Cụm loa truyền thanh", "loa.csv", b"id,lat,lon,kind\nL1,16.7,106.88,cluster\n")
    assert page.locator(UPLOADED_FILE).count() == 2
    page.get_by_role("button", name="Trở về dữ liệu mặc định").click()
    settle(page)
    page.wait_for_timeout(500)
    sidebar_shot(page, "reset.png")
    sidebar = page.locator('[data-testid="stSidebar"]')
    # five layers, the population grid, the zip: empty (the field tab has uploaders of its own)
    assert sidebar.locator(UPLOADER).count() == 7
    assert page.locator(UPLOADED_FILE).count() == 0
