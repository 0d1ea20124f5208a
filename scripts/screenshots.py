"""Render the README and user-guide screenshots from the running app (headless Debian Chromium,
no network).

    uv run python scripts/screenshots.py [--out docs/screenshots]

Starts the app server on a free local port (:mod:`geo.testing`), waits until the map is drawn,
and saves: ``app_map_vi.png`` (default view), ``app_2025_en.png`` (5 communes, English),
``app_table.png`` (per-commune table), ``report_map.png`` (the A4 snapshot of ``geo report``)
and, for the user guides ``docs/guide.vi.md`` / ``docs/guide.en.md``, in each language:
``guide_map_<lang>.png`` (the map), ``guide_commune_<lang>.png`` (a commune found by name),
``guide_filter_<lang>.png`` (Viettel only, with the card of a clicked spot),
``guide_upload_<lang>.png`` (an operator list with a bad row, waiting for confirmation) and
``guide_export_<lang>.png`` (the Export tab).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from geo.testing import app_server, launch_chromium, wait_for_map

REPO = Path(__file__).resolve().parents[1]

# (label in vi, label in en) of what the guide screenshots touch
SEARCH = {"vi": "Tìm xã", "en": "Find a commune"}
YOUR_DATA = {"vi": "Dữ liệu của bạn", "en": "Your data"}
BTS_LAYER = {"vi": "Trạm BTS", "en": "BTS sites"}
APPLY = {"vi": "Dùng dữ liệu này", "en": "Use this data"}
EXPORT_TAB = {"vi": "Xuất báo cáo", "en": "Export"}
# An operator's list as a liaison might bring it: Vietnamese headers, decimal commas, one bad row.
OPERATOR_CSV = (
    "Mã trạm;Vĩ độ;Kinh độ;Nhà mạng;Công nghệ\n"
    "VT-01;16,6521;106,8803;Viettel;4G\nVT-02;16,71;106,97;Viettel;3G, 4G\n"
    "VT-03;abc;106,9;Viettel;4G\n"
).encode("utf-8")


def spot_in(commune: str) -> tuple[float, float]:
    """(lat, lon) of a point inside ``commune`` of the default data."""
    import geopandas as gpd

    communes = gpd.read_file(REPO / "data" / "dakrong" / "communes.geojson")
    p = communes[communes["name"] == commune].geometry.iloc[0].representative_point()
    return (p.y, p.x)


def settled_map(page, communes: int) -> None:
    wait_for_map(page, communes)
    page.wait_for_timeout(800)  # let tiles-free rendering and fonts settle


def guide_shots(browser, url: str, lang: str, out: Path) -> None:
    global SPOT
    SPOT = spot_in("Xã Tà Long")
    query = "" if lang == "vi" else "?lang=en"
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.goto(url + query)
    settled_map(page, 13)
    page.screenshot(path=out / f"guide_map_{lang}.png")

    page.get_by_role("textbox", name=SEARCH[lang]).fill("ta rut")
    page.keyboard.press("Enter")
    page.wait_for_timeout(1500)
    settled_map(page, 13)
    page.wait_for_timeout(1200)  # the fit-to-commune animation
    page.screenshot(path=out / f"guide_commune_{lang}.png")
    page.close()

    # tall enough that the map needs no scrolling: Playwright places a click inside a frame
    # before it scrolls the page, so a scrolled click lands off the spot
    page = browser.new_page(viewport={"width": 1440, "height": 1300})
    page.goto(url + (query + "&" if query else "?") + "carriers=Viettel")
    frame = wait_for_map(page, 13)
    page.wait_for_timeout(1500)  # the page settles (the KPI rows push the map down once)
    # a spot inside Tà Long: the point card beside the map
    container = frame.locator(".leaflet-container")
    spot = container.evaluate(
        "(el, [lat, lon]) => { const p = window.map"
        ".latLngToContainerPoint([lat, lon]); return [p.x, p.y]; }",
        list(SPOT),
    )
    container.click(position={"x": spot[0], "y": spot[1]})
    page.wait_for_timeout(1500)
    settled_map(page, 13)
    page.screenshot(path=out / f"guide_filter_{lang}.png")
    page.close()

    page = browser.new_page(viewport={"width": 1440, "height": 1400})
    page.goto(url + query)
    settled_map(page, 13)
    page.get_by_text(YOUR_DATA[lang]).click()
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text=BTS_LAYER[lang])
    uploader.locator("input[type=file]").set_input_files(
        files=[{"name": "tram_viettel.csv", "mimeType": "text/csv", "buffer": OPERATOR_CSV}]
    )
    page.wait_for_timeout(800)
    page.get_by_role("button", name=APPLY[lang]).click()
    page.wait_for_timeout(3000)
    settled_map(page, 13)
    # the confirmation the upload waits for, in view in the sidebar
    page.get_by_test_id("stSidebar").locator(
        '[data-testid="stAlert"]'
    ).last.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    page.screenshot(path=out / f"guide_upload_{lang}.png")
    page.close()

    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.goto(url + query)
    settled_map(page, 13)
    page.get_by_role("tab", name=EXPORT_TAB[lang]).click()
    page.wait_for_timeout(1200)
    page.screenshot(path=out / f"guide_export_{lang}.png")
    page.close()


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
        page.close()
        for lang in ("vi", "en"):
            guide_shots(browser, url, lang, args.out)
        browser.close()
    subprocess.run(
        [sys.executable, "-m", "geo", "report", "--out", str(args.out / "report")],
        cwd=REPO,
        check=True,
    )
    (args.out / "report" / "map.png").rename(args.out / "report_map.png")
    for extra in (args.out / "report").iterdir():
        extra.unlink()
    (args.out / "report").rmdir()
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
