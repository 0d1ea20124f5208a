"""Two visitors of one server stay apart (issue 13): one visitor's upload, vintage and filters
never reach the other's session, in a real browser against a real server."""

from __future__ import annotations

import pytest

from geo.testing import wait_for_map
from test_browser_import import UPLOADER, apply, kpis, settle, upload

pytestmark = pytest.mark.browser


def visitor(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1400})
    tab = context.new_page()
    tab.goto(server)
    settle(tab)
    return context, tab


def test_one_visitors_upload_and_choices_never_reach_another(browser, server):
    first_context, first = visitor(browser, server)
    default = kpis(first)
    first.get_by_text("Dữ liệu của bạn").click()
    first.locator(UPLOADER).first.wait_for(timeout=30_000)
    # 20 sites of one carrier, all 4G, in one corner: far fewer people with signal
    sites = (
        "Mã trạm,Vĩ độ,Kinh độ,Nhà mạng,Công nghệ\n"
        + "".join(f"U{i},16.{60 + i},106.88,VTL,4G\n" for i in range(20))
    ).encode()
    upload(first, "Trạm BTS", "tram_a.csv", sites)
    apply(first)
    first.get_by_text("Đang dùng dữ liệu bạn tải lên").wait_for(timeout=60_000)
    for _ in range(60):  # the notice may be drawn before the run's figures are
        uploaded = kpis(first)
        if uploaded[2] != default[2]:
            break
        first.wait_for_timeout(500)
    assert uploaded[2] != default[2]

    second_context, second = visitor(browser, server)
    assert kpis(second) == default
    assert second.get_by_text("Đang dùng dữ liệu bạn tải lên").count() == 0
    second.get_by_text("5 xã (từ 1/7/2025)").click()  # the second visitor changes the vintage
    wait_for_map(second, 5, timeout_s=90)

    # a rerun of the first visitor's script (a widget that changes no figure): its data and
    # vintage stay
    first.get_by_text("Bản đồ nền trực tuyến (cần mạng)").click()
    assert first.get_by_role("checkbox", name="Bản đồ nền trực tuyến (cần mạng)").is_checked()
    first.wait_for_timeout(1000)
    assert kpis(first) == uploaded
    assert wait_for_map(first, 13, timeout_s=90)
    assert first.get_by_text("Đang dùng dữ liệu bạn tải lên").count() == 1
    first_context.close()
    second_context.close()
