"""Render the README screenshots from the running app (headless Debian Chromium, no network).

    uv run python scripts/screenshots.py [--out docs/screenshots]

Starts ``streamlit run app.py`` on a free local port, waits until the map is drawn, and saves:
``app_map_vi.png`` (default view), ``app_2025_en.png`` (5 communes, English),
``app_table.png`` (per-commune table) and ``report_map.png`` (the A4 snapshot of ``geo report``).
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


def wait_for_map(page, communes: int) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        frames = page.locator('iframe[title="streamlit_folium.st_folium"]')
        if (not page.locator('[data-testid="stStatusWidget"]').count() and frames.count() == 1
                and frames.first.content_frame.locator(
                    ".leaflet-phusong_communes-pane path").count() == communes):
            page.wait_for_timeout(800)  # let tiles-free rendering and fonts settle
            return
        page.wait_for_timeout(200)
    raise RuntimeError(f"map with {communes} communes not drawn")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"),
                               "--server.port", str(port), "--server.address", "127.0.0.1"],
                              cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
            page = browser.new_page(viewport={"width": 1440, "height": 1000})
            page.goto(url)
            wait_for_map(page, 13)
            page.screenshot(path=args.out / "app_map_vi.png")
            page.get_by_role("tab", name="Bảng theo xã").click()
            page.wait_for_timeout(1000)
            page.screenshot(path=args.out / "app_table.png")
            page.get_by_role("tab", name="Bản đồ").click()
            page.get_by_text("English").click()
            wait_for_map(page, 13)
            page.get_by_text("5 communes (since 1 July 2025)").click()
            wait_for_map(page, 5)
            page.screenshot(path=args.out / "app_2025_en.png")
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
    subprocess.run([sys.executable, "-m", "geo", "report", "--out", str(args.out / "report")],
                   cwd=REPO, check=True)
    (args.out / "report" / "map.png").rename(args.out / "report_map.png")
    for extra in (args.out / "report").iterdir():
        extra.unlink()
    (args.out / "report").rmdir()
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
