"""The app in a real browser against a real server, with no network.

A fixture starts ``streamlit run app.py`` on a free local port; Debian's Chromium (through
Playwright) opens it. The page must draw the communes, the sites, switch vintage, make no request
to any host but the app's, and download PNG and PDF snapshots that hold the map.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.browser


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = free_port()
    env = {**os.environ, "PHUSONG_DATA": str(REPO / "data" / "dakrong")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"),
         "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/_stcore/health", timeout=1)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited: {proc.stdout.read().decode(errors='replace')}")
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail("streamlit did not start within 60 s")
    yield url
    proc.terminate()
    proc.wait(timeout=10)


COMMUNE_PATHS = ".leaflet-phusong_communes-pane path"
SITE_PATHS = ".leaflet-phusong_sites-pane path"


def settle(page, *, communes: int, timeout_s: float = 60):
    """Wait until Streamlit is idle, one map frame is on the page and it draws ``communes``."""
    deadline = time.monotonic() + timeout_s
    last = None
    while time.monotonic() < deadline:
        running = page.locator('[data-testid="stStatusWidget"]').count()
        frames = page.locator('iframe[title="streamlit_folium.st_folium"]')
        if not running and frames.count() == 1:
            frame = frames.first.content_frame
            last = frame.locator(COMMUNE_PATHS).count()
            if last == communes:
                return frame
        page.wait_for_timeout(200)
    pytest.fail(f"page did not settle on {communes} communes (last count {last})")


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
    outside = [u for u in page.requests
               if urlparse(u).scheme not in ("data", "blob", "about")
               and urlparse(u).netloc != own]
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
