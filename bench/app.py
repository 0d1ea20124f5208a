"""Benchmark of the app on the default data: script rerun after a widget change, map payload and
first page load to a drawn map.

    uv run python bench/app.py [--repeat 5]

Part 1 (AppTest, in process): time of a full script rerun after a slider or filter change, each
value new (so the analysis is computed, not served from cache) and again with the same state
(cached); baseline in the same run: the same reruns with every Streamlit cache cleared first.
Part 2 (real server + headless Chromium): bytes the page receives over the websocket until the map
is drawn (the map payload), and the time from navigation to 13 commune shapes drawn.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def rerun_times(repeat: int) -> dict[str, list[float]]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(REPO / "app.py"), default_timeout=120)
    at.run()
    changes = [("slider", "radius_4G", v) for v in (3.5, 4.0, 4.5, 5.0, 5.5, 6.0)][:repeat] + \
              [("multiselect", "carriers", v) for v in (["Viettel"], ["VinaPhone"], ["MobiFone"],
                                                        ["Viettel", "MobiFone"])][:repeat] + \
              [("slider", "loud", v) for v in (400, 500, 600, 700, 800)][:repeat]
    out: dict[str, list[float]] = {"new state": [], "same state again": [], "caches cleared": []}
    for kind, key, value in changes:
        widget = getattr(at, kind)(key=key)
        start = time.perf_counter()
        widget.set_value(value).run()
        out["new state"].append(time.perf_counter() - start)
        start = time.perf_counter()
        at.run()
        out["same state again"].append(time.perf_counter() - start)
        st.cache_resource.clear()
        st.cache_data.clear()
        start = time.perf_counter()
        at.run()
        out["caches cleared"].append(time.perf_counter() - start)
        assert not at.exception, at.exception
    return out


def browser_load() -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"),
                             "--server.port", str(port), "--server.address", "127.0.0.1"],
                            cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ})
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            received = {"ws": 0, "http": 0}

            def on_ws(ws):
                ws.on("framereceived", lambda frame: received.__setitem__(
                    "ws", received["ws"] + len(frame if isinstance(frame, (bytes, str)) else b"")))

            page.on("websocket", on_ws)
            page.on("response", lambda r: received.__setitem__(
                "http", received["http"] + int(r.headers.get("content-length", 0) or 0)))
            start = time.perf_counter()
            page.goto(url)
            while True:
                frames = page.locator('iframe[title="streamlit_folium.st_folium"]')
                if frames.count() == 1 and frames.first.content_frame.locator(
                        ".leaflet-phusong_communes-pane path").count() == 13:
                    break
                if time.perf_counter() - start > 120:
                    raise RuntimeError("map not drawn within 120 s")
                page.wait_for_timeout(50)
            drawn = time.perf_counter() - start
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return {"first load to drawn map (s)": drawn, "websocket bytes (MB)": received["ws"] / 1e6,
            "http bytes (MB)": received["http"] / 1e6}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    times = rerun_times(args.repeat)
    print("| rerun after a widget change | median ms | max ms | n |")
    print("|---|---:|---:|---:|")
    for name, values in times.items():
        print(f"| {name} | {1000 * statistics.median(values):.0f} | {1000 * max(values):.0f} "
              f"| {len(values)} |")
    if not args.no_browser:
        for name, value in browser_load().items():
            print(f"| {name} | {value:.2f} |")


if __name__ == "__main__":
    main()
