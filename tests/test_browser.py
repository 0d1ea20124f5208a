"""The app in a real browser against a real server, with no network.

A fixture starts ``streamlit run app.py`` on a free local port; Debian's Chromium (through
Playwright) opens it. The page must draw the communes, the sites, switch vintage, make no request
to any host but the app's, and download PNG and PDF snapshots that hold the map.
"""

from __future__ import annotations

import io
import os
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest

from geo.testing import COMMUNE_PATHS, REPO, wait_for_map
from conftest import serve

pytestmark = pytest.mark.browser


SITE_PATHS = ".leaflet-phusong_sites-pane path"


def settle(page, *, communes: int, timeout_s: float = 60):
    """Wait until Streamlit is idle and the Map tab's frame draws ``communes``."""
    try:
        return wait_for_map(page, communes, timeout_s=timeout_s)
    except TimeoutError as exc:
        pytest.fail(str(exc))


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    tab = context.new_page()
    tab.requests = []
    tab.on("request", lambda r: tab.requests.append(r.url))
    tab.goto(server)
    yield tab
    context.close()


def test_map_draws_communes_sites_and_switches_vintage(page):
    frame = settle(page, communes=13)
    assert frame.locator(SITE_PATHS).count() >= 28 + 155 + 3  # BTS, loudspeakers, internet
    assert "minh hoạ" in frame.locator(".phusong-banner").inner_text()
    page.get_by_text("5 xã (từ 1/7/2025)").click()
    settle(page, communes=5)


def test_no_request_leaves_the_app(page, server):
    settle(page, communes=13)
    own = urlparse(server).netloc
    outside = [
        u
        for u in page.requests
        if urlparse(u).scheme not in ("data", "blob", "about") and urlparse(u).netloc != own
    ]
    assert outside == []


def test_downloaded_png_and_pdf_hold_the_map(page):
    from PIL import Image

    settle(page, communes=13)
    page.get_by_role("tab", name="Xuất báo cáo").click()
    files = {}
    for label in ("Ảnh bản đồ (PNG)", "Bản đồ A4 (PDF)"):
        with page.expect_download(timeout=60_000) as info:
            page.get_by_role("button", name=label).click()
        files[label] = Path(info.value.path()).read_bytes()
    png, pdf = files["Ảnh bản đồ (PNG)"], files["Bản đồ A4 (PDF)"]
    assert png.startswith(b"\x89PNG")
    image = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = image.size
    assert width > height  # A4 landscape
    # the map's dark-red classes are on the page, so it is not blank
    pixels = np.asarray(image.resize((300, 212)), dtype=int)
    reds = int(((pixels[..., 0] > 150) & (pixels[..., 1] < 80) & (pixels[..., 2] < 80)).sum())
    assert reds > 500
    assert pdf.startswith(b"%PDF") and b"/Type /Page" in pdf


# --- bringing your own data -------------------------------------------------------------------

HOSTILE = "<img src=x onerror=alert(1)>"


def main_map(page, *, communes: int = 13, timeout_s: float = 90):
    """The Map tab's frame once idle."""
    return settle(page, communes=communes, timeout_s=timeout_s)


@pytest.fixture(scope="module")
def hostile_server(tmp_path_factory):
    """The default dataset with a commune and a BTS site named like an HTML injection."""
    import json

    folder = tmp_path_factory.mktemp("hostile")
    for p in (REPO / "data" / "dakrong").iterdir():
        (folder / p.name).write_bytes(p.read_bytes())
    communes = json.loads((folder / "communes.geojson").read_text(encoding="utf-8"))
    communes["features"][0]["properties"]["name"] = HOSTILE
    (folder / "communes.geojson").write_text(json.dumps(communes), encoding="utf-8")
    lines = (folder / "bts_sites.csv").read_text(encoding="utf-8").splitlines()
    lines[1] = '"' + HOSTILE + '"' + lines[1][lines[1].index(",") :]
    (folder / "bts_sites.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    yield from serve(folder)


def test_feature_names_are_text_not_markup(browser, hostile_server):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(hostile_server)
    frame = main_map(page)
    tooltip_texts = []
    for i in range(13):  # the tooltip of the commune named like markup shows it as text
        frame.locator(COMMUNE_PATHS).nth(i).dispatch_event("mouseover")
        tip = frame.locator(".leaflet-tooltip")
        if tip.count():
            tooltip_texts.append(tip.last.inner_text())
        if any(HOSTILE in t for t in tooltip_texts):
            break
    assert any(HOSTILE in t for t in tooltip_texts), tooltip_texts
    site_tips = []
    for i in range(min(frame.locator(SITE_PATHS).count(), 40)):
        frame.locator(SITE_PATHS).nth(i).dispatch_event("mouseover")
        tip = frame.locator(".leaflet-tooltip")
        if tip.count() and HOSTILE in tip.last.inner_text():
            site_tips.append(tip.last.inner_text())
            break
    assert site_tips, "no site tooltip showed the hostile site id as text"
    page.get_by_role("textbox", name="Tìm xã").fill("Mò Ó")  # a search result panel renders
    page.keyboard.press("Enter")
    page.wait_for_timeout(1500)
    assert frame.locator("img[src='x']").count() == 0
    assert page.locator("img[src='x']").count() == 0
    assert dialogs == []
    context.close()


def test_uploading_a_bad_file_shows_the_import_report(page):
    main_map(page)
    page.get_by_text("Dữ liệu của bạn").click()
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Trạm BTS")
    bad = (
        "Mã trạm;Vĩ độ;Kinh độ;Nhà mạng;Công nghệ\nA1;16,70;106,88;VTL;4G\n"
        "A2;abc;106,9;Viettell;6G\nA3;106.9;16.6;MBF;3G\n"
    ).encode("utf-8")
    uploader.locator("input[type=file]").set_input_files(
        files=[{"name": "tram_bts.csv", "mimeType": "text/csv", "buffer": bad}]
    )
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Dùng dữ liệu này").click()
    report = page.get_by_text("3 lỗi (dòng bị bỏ qua), 1 cảnh báo (dòng vẫn được dùng)")
    report.wait_for(timeout=60_000)
    # 2 usable sites instead of 28: applied only once confirmed
    page.get_by_role("button", name="Xác nhận dùng dữ liệu này").click()
    page.get_by_text("Đang dùng dữ liệu bạn tải lên").wait_for(timeout=60_000)
    # applied: the report moves from the sidebar to the problems panel above the map (the
    # sidebar's copy may linger until the run ends)
    with page.expect_download(timeout=30_000) as info:
        page.get_by_test_id("stExpanderDetails").get_by_role(
            "button", name="Tải báo cáo nhập dữ liệu (CSV)"
        ).click()
    csv = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert "tram_bts.csv,3,Vĩ độ,abc" in csv and "tram_bts.csv,3,Nhà mạng,Viettell" in csv
    assert "Traceback" not in page.content()
    shot = os.environ.get("PHUSONG_SCREENSHOT")
    if shot:
        page.screenshot(path=shot, full_page=False)


def test_the_map_and_its_assets_load_under_a_base_path(browser):
    """Behind a reverse proxy (README, "Running it for a team") the app lives under a path such
    as /phusong: Leaflet and our scripts come from the app's own server under that path."""
    from geo.testing import app_server

    with app_server(data_dir=REPO / "data" / "dakrong", base_path="phusong/app") as url:
        assert url.endswith("/phusong/app")
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        tab = context.new_page()
        failed, assets = [], []
        tab.on("response", lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None)
        tab.on("requestfailed", lambda r: failed.append((r.failure, r.url)))
        tab.on("request", lambda r: assets.append(r.url) if "leaflet" in r.url else None)
        tab.goto(url)
        frame = settle(page=tab, communes=13)
        assert frame.locator(SITE_PATHS).count() >= 28 + 155 + 3
        assert failed == []
        assert assets and all(urlparse(u).path.startswith("/phusong/app/") for u in assets)
        context.close()
