"""N visitors at once on one phusong server: time to the drawn map, rerun times, errors, memory.

    uv run python bench/load.py --visitors 1 5 20 --moves 3 --json bench/results/load.json

One server (``scripts/serve.py``, as the README's command starts it) on the default Đakrông data,
warmed by one visit that is not counted. Then, for each N, N visitors — each a Chromium page of
its own browser context (its own Streamlit session), driven concurrently through Playwright's
async API — arrive within two seconds (seeded), wait for the map to draw 13 communes, then move
the 4G radius slider ``--moves`` times, each to a value new for that visitor.

- *time to drawn map*: navigation → 13 commune shapes in the map's frame (seconds);
- *rerun*: key press on the slider → the session's ``script_finished`` message on its websocket
  (decoded with Streamlit's own protobuf classes), i.e. what the visitor waits for before the new
  figures arrive, queueing for the server's cores included (milliseconds);
- *errors*: Streamlit exception elements on a page, pages that never drew, uncaught page errors;
- *memory*: the server process's resident set (VmRSS), sampled every 0.5 s (MB);
- *server script runs*: the wall time of every script run in the server under that load
  (``bench/timed_server.py`` logs each), p50/p95: the server's own share of a visitor's wait.
Chromium runs on the same two cores as the server, so N pages parsing Streamlit's front end and
drawing Leaflet maps compete with the server: the client-side times are an upper bound on what
visitors on their own machines see; the script-run times are the server's part.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import threading
import time
from pathlib import Path

from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from geo.testing import CHROMIUM, CHROMIUM_ARGS, COMMUNE_PATHS, MAP_FRAME, REPO, app_server


def server_proc(port: int) -> Path | None:
    """The /proc directory of the process serving ``port``, or None."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmd = (proc / "cmdline").read_bytes().split(b"\0")
            if (
                b"--server.port" in cmd
                and cmd[cmd.index(b"--server.port") + 1] == str(port).encode()
            ):
                return proc
        except (OSError, ValueError, IndexError):
            continue
    return None


def server_rss_mb(port: int) -> float:
    """Resident memory (MB) of the process serving ``port`` (found through /proc)."""
    try:
        for line in (server_proc(port) / "status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except (OSError, TypeError):
        pass
    return float("nan")


class MemorySampler(threading.Thread):
    """The servers' resident memory, summed over ``ports``, every 0.5 s."""

    def __init__(self, ports: int | list[int]):
        super().__init__(daemon=True)
        self.ports = [ports] if isinstance(ports, int) else ports
        self.samples, self.stop = [], threading.Event()

    def run(self) -> None:
        start = time.perf_counter()
        while not self.stop.wait(0.5):
            rss = sum(server_rss_mb(port) for port in self.ports)
            self.samples.append((time.perf_counter() - start, rss))


async def drawn(page, timeout_s: float = 300, communes: int | None = 13) -> None:
    """Wait until Streamlit is idle and the map draws ``communes`` shapes (None: any)."""
    deadline = time.perf_counter() + timeout_s
    while time.perf_counter() < deadline:
        if not await page.locator('[data-testid="stStatusWidget"]').count():
            frames = page.locator(MAP_FRAME)
            if await frames.count():
                count = await frames.first.content_frame.locator(COMMUNE_PATHS).count()
                if count == communes or (communes is None and count):
                    return
        await page.wait_for_timeout(50)
    raise TimeoutError("the map did not draw")


async def visitor(browser, url: str, delay_s: float, moves: int, out: dict) -> None:
    await asyncio.sleep(delay_s)
    context = await browser.new_context(viewport={"width": 1400, "height": 1000})
    page = await context.new_page()
    finished: list[float] = []

    def on_frame(payload) -> None:
        if isinstance(payload, bytes):
            try:
                msg = ForwardMsg.FromString(payload)
            except Exception:  # not a ForwardMsg: nothing to time
                return
            if msg.WhichOneof("type") == "script_finished":
                finished.append(time.perf_counter())

    page.on("websocket", lambda ws: ws.on("framereceived", on_frame))
    page.on("pageerror", lambda exc: out["errors"].append(f"page error: {exc}"))
    try:
        start = time.perf_counter()
        await page.goto(url, timeout=300_000)
        await drawn(page)
        out["drawn_s"].append(time.perf_counter() - start)
        thumb = (
            page.locator('[data-testid="stSlider"]')
            .filter(has_text="4G")
            .first.get_by_role("slider")
        )
        for _ in range(moves):
            seen = len(finished)
            pressed = time.perf_counter()
            await thumb.focus()
            await page.keyboard.press("ArrowRight")
            deadline = pressed + 300
            while len(finished) == seen and time.perf_counter() < deadline:
                await page.wait_for_timeout(10)
            if len(finished) == seen:
                out["errors"].append("no rerun within 300 s")
                break
            out["rerun_ms"].append((finished[seen] - pressed) * 1000)
            await drawn(page)
            await page.wait_for_timeout(700)  # the new frame reports its view: let it settle
        if await page.locator('[data-testid="stException"]').count():
            out["errors"].append(
                "exception shown: "
                + await page.locator('[data-testid="stException"]').first.inner_text()
            )
    except Exception as exc:  # a visitor that fails is counted, the others go on
        out["errors"].append(f"{type(exc).__name__}: {exc}")
    finally:
        await context.close()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * (len(values) - 1))))]


def script_runs(log: Path, since: int) -> tuple[list[float], int, list[float]]:
    """Wall seconds of the server's script runs logged after line ``since``; the new length;
    the script threads' CPU seconds of the same runs."""
    lines = log.read_text().splitlines()
    runs = [line.split() for line in lines[since:]]
    return [float(r[0]) for r in runs], len(lines), [float(r[1]) for r in runs]


async def run(
    url: str, port: int, visitors: list[int], moves: int, seed: int, log: Path
) -> list[dict]:
    from playwright.async_api import async_playwright

    rng = random.Random(seed)
    rows = []
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        warm = {"drawn_s": [], "rerun_ms": [], "errors": []}
        await visitor(browser, url, 0, 1, warm)  # not counted: the server's first visit
        for n in visitors:
            _, seen, _ = script_runs(log, 0)
            out = {"drawn_s": [], "rerun_ms": [], "errors": []}
            sampler = MemorySampler(port)
            sampler.start()
            started = time.perf_counter()
            await asyncio.gather(
                *(visitor(browser, url, rng.uniform(0, 2), moves, out) for _ in range(n))
            )
            sampler.stop.set()
            sampler.join()
            rss = [m for _, m in sampler.samples]
            runs, _, _ = script_runs(log, seen)
            rows.append(
                {
                    "visitors": n,
                    "wall_s": round(time.perf_counter() - started, 1),
                    "drawn_p50_s": round(pct(out["drawn_s"], 0.5), 2),
                    "drawn_p95_s": round(pct(out["drawn_s"], 0.95), 2),
                    "rerun_p50_ms": round(pct(out["rerun_ms"], 0.5)),
                    "rerun_p95_ms": round(pct(out["rerun_ms"], 0.95)),
                    "maps_drawn": len(out["drawn_s"]),
                    "reruns": len(out["rerun_ms"]),
                    "server_runs": len(runs),
                    "server_run_p50_ms": round(1000 * pct(runs, 0.5)),
                    "server_run_p95_ms": round(1000 * pct(runs, 0.95)),
                    "errors": out["errors"],
                    "rss_start_mb": round(rss[0]) if rss else None,
                    "rss_peak_mb": round(max(rss)) if rss else None,
                }
            )
            print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
        await browser.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visitors", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--moves", type=int, default=3, help="slider moves per visitor")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", type=Path, help="write the rows here")
    args = parser.parse_args()
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "runs.txt"
        log.touch()
        with app_server(
            runner=[str(REPO / "bench" / "timed_server.py")],
            timeout_s=120,
            env={"PHUSONG_RUN_LOG": str(log)},
        ) as url:
            port = int(url.rsplit(":", 1)[1])
            rows = asyncio.run(run(url, port, args.visitors, args.moves, args.seed, log))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        command = (
            "uv run python bench/load.py --visitors "
            + " ".join(map(str, args.visitors))
            + f" --moves {args.moves}"
        )
        args.json.write_text(
            json.dumps(
                {
                    "command": command,
                    "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                    "rows": rows,
                },
                ensure_ascii=False,
                indent=1,
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
