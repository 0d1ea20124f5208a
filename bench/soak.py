"""A soak test of one phusong server: visitors come and go for N minutes; its memory over time.

    uv run python bench/soak.py --minutes 30 --concurrent 4 --csv bench/results/soak.csv

One server (``scripts/serve.py``, as the README's command starts it) on the default data. Up to
``--concurrent`` visitors at a time (Chromium pages, each its own browser context and Streamlit
session), each doing a seeded random mix of what users do, then leaving:
- open the app and wait for the map;
- move the 4G / 3G radius or loudspeaker reach sliders (new values: new analyses and maps);
- upload their own BTS list (20–60 random sites in the district: a new dataset, new caches);
- switch the vintage; run a siting plan with a random k (a new plan job);
and close the page (the session ends). The server's resident memory (VmRSS) is sampled every
5 s and written with the count of visits so far to ``--csv``; the summary printed at the end
gives the memory at each fifth of the run and the growth over its last third. Memory that
levels off (bounded caches, sessions freed) shows as a flat last third.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import random
import time
from pathlib import Path

from load import drawn, server_rss_mb  # bench/load.py: this script's folder is on sys.path

from geo.testing import CHROMIUM, CHROMIUM_ARGS, REPO, app_server

# The district's box (degrees): random sites land inside or near it.
LAT, LON = (16.45, 16.80), (106.75, 107.10)


def random_sites(rng: random.Random) -> bytes:
    rows = ["Mã trạm,Vĩ độ,Kinh độ,Nhà mạng,Công nghệ"]
    for i in range(rng.randint(20, 60)):
        rows.append(
            f"S{i},{rng.uniform(*LAT):.5f},{rng.uniform(*LON):.5f},"
            f"{rng.choice(['VTL', 'VNP', 'MBF'])},{rng.choice(['2G', '3G', '4G'])}"
        )
    return ("\n".join(rows) + "\n").encode()


async def move_slider(page, rng: random.Random) -> None:
    label = rng.choice(["4G", "3G", "(m)"])
    thumb = (
        page.locator('[data-testid="stSlider"]').filter(has_text=label).first.get_by_role("slider")
    )
    await thumb.focus()
    for _ in range(rng.randint(1, 3)):
        await page.keyboard.press(rng.choice(["ArrowRight", "ArrowLeft"]))
    await drawn(page, communes=None)


async def upload_sites(page, rng: random.Random) -> None:
    await page.get_by_text("Dữ liệu của bạn").click()
    uploader = page.locator('[data-testid="stFileUploader"]').filter(has_text="Trạm BTS")
    await uploader.locator("input[type=file]").set_input_files(
        files=[{"name": "tram.csv", "mimeType": "text/csv", "buffer": random_sites(rng)}]
    )
    await uploader.locator('[data-testid="stFileChip"]').wait_for(timeout=60_000)
    await drawn(page, communes=None)
    await page.get_by_role("button", name="Dùng dữ liệu này").click()
    confirm = page.get_by_role("button", name="Xác nhận dùng dữ liệu này")
    await page.wait_for_timeout(1500)
    if await confirm.count():
        await confirm.click()
    await drawn(page, communes=None)


async def switch_vintage(page, rng: random.Random) -> None:
    await page.get_by_text("5 xã (từ 1/7/2025)").click()
    await page.wait_for_timeout(500)
    deadline = time.perf_counter() + 120
    while (
        time.perf_counter() < deadline
        and await page.locator('[data-testid="stStatusWidget"]').count()
    ):
        await page.wait_for_timeout(100)


async def run_plan(page, rng: random.Random) -> None:
    await page.get_by_role("tab", name="Quy hoạch").click()
    box = page.get_by_label("Số vị trí mới (k)")
    await box.fill(str(rng.randint(1, 12)))
    await box.press("Enter")
    await page.wait_for_timeout(500)
    await page.get_by_text("Tính đề xuất").click()
    await page.locator('[data-testid="stAlertContentSuccess"]').first.wait_for(timeout=300_000)


ACTIONS = (move_slider, move_slider, upload_sites, switch_vintage, run_plan)


async def visit(browser, url: str, rng: random.Random, stats: dict) -> None:
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    try:
        await page.goto(url)
        await drawn(page, communes=None)
        for action in rng.sample(ACTIONS, k=rng.randint(1, len(ACTIONS))):
            await action(page, rng)
            stats[action.__name__] = stats.get(action.__name__, 0) + 1
        if await page.locator('[data-testid="stException"]').count():
            stats["exceptions"] = stats.get("exceptions", 0) + 1
        stats["visits"] += 1
    except Exception as exc:  # counted; the soak goes on
        stats.setdefault("errors", []).append(f"{type(exc).__name__}: {str(exc)[:200]}")
    finally:
        await context.close()


async def soak(
    url: str, port: int, minutes: float, concurrent: int, seed: int, out_csv: Path
) -> dict:
    from playwright.async_api import async_playwright

    rng = random.Random(seed)
    stats: dict = {"visits": 0}
    end = time.perf_counter() + minutes * 60
    start = time.perf_counter()
    samples: list[tuple[float, float, int]] = []

    async def sampler():
        while time.perf_counter() < end:
            samples.append((time.perf_counter() - start, server_rss_mb(port), stats["visits"]))
            await asyncio.sleep(5)

    async def worker(i: int, browser):
        own = random.Random(rng.random())
        while time.perf_counter() < end:
            await visit(browser, url, own, stats)

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        await asyncio.gather(sampler(), *(worker(i, browser) for i in range(concurrent)))
        await browser.close()
    out_csv.parent.mkdir(parents=True, exist_ok=True)
    with out_csv.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["minutes", "rss_mb", "visits"])
        w.writerows((round(t / 60, 2), round(m, 1), v) for t, m, v in samples)
    died = next((t for t, m, _ in samples if m != m), None)  # NaN: the server process is gone
    rss = [m for _, m, _ in samples if m == m]
    fifths = (
        {
            f"rss_mb_at_{round(minutes * q / 5)}min": round(
                rss[min(len(rss) - 1, len(rss) * q // 5)]
            )
            for q in range(1, 6)
        }
        if rss
        else {}
    )
    third = rss[len(rss) * 2 // 3 :]
    return {
        **stats,
        **fifths,
        "server_gone_at_min": None if died is None else round(died / 60, 1),
        "rss_peak_mb": round(max(rss)) if rss else None,
        "growth_last_third_mb": round(third[-1] - third[0], 1) if len(third) > 1 else None,
        "errors": stats.get("errors", [])[:20],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--concurrent", type=int, default=4)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--csv", type=Path, default=REPO / "bench" / "results" / "soak.csv")
    args = parser.parse_args()
    log = args.csv.with_suffix(".server.log")  # with every thread's stack if it crashes
    with app_server(
        runner=[str(REPO / "scripts" / "serve.py")],
        timeout_s=120,
        log=log,
        # a line of the server's memory by cache every minute, in its log (geo/ui/usage.py)
        env={"PHUSONG_MEMORY_LOG_S": "60"},
    ) as url:
        port = int(url.rsplit(":", 1)[1])
        summary = asyncio.run(soak(url, port, args.minutes, args.concurrent, args.seed, args.csv))
    summary["command"] = (
        f"uv run python bench/soak.py --minutes {args.minutes:g} "
        f"--concurrent {args.concurrent} --seed {args.seed}"
    )
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    args.csv.with_suffix(".json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=1) + "\n"
    )


if __name__ == "__main__":
    main()
