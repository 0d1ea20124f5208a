"""Render the README screenshots from the running app (headless Debian Chromium, no network).

    uv run python scripts/screenshots.py [--out docs/screenshots]

Starts ``streamlit run app.py`` on a free local port, waits until the map is drawn, and saves:
``app_map_vi.png`` (default view), ``app_2025_en.png`` (5 communes, English),
``app_table.png`` (per-commune table) and ``report_map.png`` (the A4 snapshot of ``geo report``).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from appserver import app_server, launch_chromium, wait_for_map  # noqa: E402


def settled_map(page, communes: int) -> None:
    wait_for_map(page, communes)
    page.wait_for_timeout(800)  # let tiles-free rendering and fonts settle


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    with app_server() as url, sync_playwright() as p:
        browser = launch_chromium(p)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.goto(url)
        settled_map(page, 13)
        page.screenshot(path=args.out / "app_map_vi.png")
        page.get_by_role("tab", name="Bảng theo xã").click()
        page.wait_for_timeout(1000)
        page.screenshot(path=args.out / "app_table.png")
        page.get_by_role("tab", name="Bản đồ").click()
        page.get_by_text("English").click()
        settled_map(page, 13)
        page.get_by_text("5 communes (since 1 July 2025)").click()
        settled_map(page, 5)
        page.screenshot(path=args.out / "app_2025_en.png")
        browser.close()
    subprocess.run([sys.executable, "-m", "geo", "report", "--out", str(args.out / "report")],
                   cwd=REPO, check=True)
    (args.out / "report" / "map.png").rename(args.out / "report_map.png")
    for extra in (args.out / "report").iterdir():
        extra.unlink()
    (args.out / "report").rmdir()
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
