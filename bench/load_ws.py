"""N visitors at once on one phusong server, without browsers: Streamlit's own websocket protocol.

    uv run python bench/load_ws.py --visitors 1 5 20 --json bench/results/load_ws.json

``bench/load.py`` drives real Chromium pages, which on this 2-core machine take most of the CPU
themselves; here each visitor is a :class:`geo.testing.StreamlitVisitor` (a websocket speaking
Streamlit's protobuf messages as the browser's front end does), so the server alone is measured.
One server (``bench/timed_server.py``, each script run logged), warmed by one uncounted visit;
then, for each N, N visitors arrive within ``--arrive`` seconds (seeded), each:

1. opens a session (the first script run) and waits for the map: the st_folium element whose
   script holds Leaflet's map and the communes' pane, no exception element (*time to map*: the
   websocket's opening → that run's ``script_finished``, seconds);
2. reports the map's view, as the map's frame does once it has drawn a new map (one more,
   same-state run: *view report*);
3. ``--moves`` times: thinks ``--think`` seconds (0.5–1.5 × that, seeded), then moves one of the
   4G radius, loudspeaker reach and 3G radius sliders to a value new for that visitor (seeded; with
   ``--same-moves`` every visitor presses → on the 4G slider, as ``bench/load.py`` does, so all
   but the first hit the shared analysis cache) and waits for the run with the new map (*rerun*:
   request → ``script_finished``, ms); then the view report of the new map.

Large elements a visitor already holds come back as references (``ref_hash``), as for a browser.
Errors: exception elements, runs without the drawn map, closed websockets, timeouts. Memory: the
server's VmRSS every 0.5 s. Server: the wall and script-thread CPU of every script run, and the
server process's CPU seconds over the pass (utilisation = CPU s / wall s; 2.0 = both cores).
``--servers 2``: two servers, visitors alternately on each (as a sticky reverse proxy would
spread them). ``--server-cpus 0 --client-cpus 1``: the servers on core 0, this client on core 1.
``--gc-log FILE``: the server logs each collection of Python's cyclic garbage collector (a pause
of every session), summed per pass; ``--profile DIR``: a cProfile file per script run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from load import MemorySampler, pct, script_runs, server_proc

from geo.testing import REPO, StreamlitVisitor, app_server, drawn_map, view_report

SLIDERS = ("radius_4G", "loud", "radius_3G")


def server_cpu_s(port: int) -> float:
    """User + system CPU seconds the process serving ``port`` has used (its threads summed)."""
    fields = (server_proc(port) / "stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def ms(values: list[float], q: float, scale: float = 1.0):
    """The ``q`` quantile of ``values`` times ``scale``, rounded; None when there are none."""
    return round(scale * pct(values, q)) if values else None


def gc_pauses(log: Path | None) -> list[float]:
    """Seconds of each garbage collection the server logged (``--gc-log``), in order."""
    if log is None or not log.exists():
        return []
    return [float(line.split()[1]) for line in log.read_text().splitlines()]


def new_value(visitor: StreamlitVisitor, key: str, used: set, rng: random.Random) -> float:
    """A value of slider ``key`` this visitor has not had yet (its steps from min to max)."""
    s = visitor.widgets[key]
    steps = round((s.max - s.min) / s.step)
    values = [round(s.min + i * s.step, 6) for i in range(steps + 1)]
    return rng.choice([v for v in values if (key, v) not in used])


async def visitor(
    url: str, delay_s: float, moves: int, think_s: float, same: bool, seed: int, out: dict
) -> None:
    rng = random.Random(seed)
    await asyncio.sleep(delay_s)
    v = StreamlitVisitor(url)
    map_id = None

    async def run(states, label: str):
        """One run, its errors counted; the run if it delivered the drawn map, else None."""
        nonlocal map_id
        result = await v.rerun(states)
        out["bytes"].append(result.bytes)
        out["errors"].extend(f"{label}: exception shown: {e}" for e in result.exceptions)
        if not drawn_map(result):
            out["errors"].append(f"{label}: no drawn map")
            return None
        if result.map_ids[0] != map_id:  # a new map: its frame reports the view it drew
            map_id = result.map_ids[0]
            report = await v.rerun([v.component(map_id, view_report(result.maps[0]))])
            out["report_ms"].append(report.seconds * 1000)
            out["errors"].extend(f"view report: exception shown: {e}" for e in report.exceptions)
        return result

    try:
        start = time.perf_counter()
        await v.connect()
        first = await run([], "first run")
        if not first:
            return
        out["map_s"].append(time.perf_counter() - start)
        used = {(k, v.values[k][0]) for k in SLIDERS}
        for _ in range(moves):
            await asyncio.sleep(think_s * rng.uniform(0.5, 1.5))
            if same:
                key = "radius_4G"
                value = v.values[key][0] + v.widgets[key].step
            else:
                key = rng.choice(SLIDERS)
                value = new_value(v, key, used, rng)
            used.add((key, value))
            result = await run([v.slider(key, value)], f"{key} → {value:g}")
            if result:
                out["rerun_ms"].append(result.seconds * 1000)
    except Exception as exc:  # a visitor that fails is counted, the others go on
        out["errors"].append(f"{type(exc).__name__}: {exc}")
    finally:
        await v.close()


async def one_pass(urls, n, args, seed) -> dict:
    rng = random.Random(seed)
    out = {"map_s": [], "rerun_ms": [], "report_ms": [], "bytes": [], "errors": []}
    await asyncio.gather(
        *(
            visitor(
                urls[i % len(urls)],
                rng.uniform(0, args.arrive),
                args.moves,
                args.think,
                args.same_moves,
                rng.randrange(1 << 30),
                out,
            )
            for i in range(n)
        )
    )
    return out


def measure(urls: list[str], log: Path, args) -> list[dict]:
    ports = [int(u.rsplit(":", 1)[1]) for u in urls]
    warm = {"map_s": [], "rerun_ms": [], "report_ms": [], "bytes": [], "errors": []}
    for url in urls:  # not counted: each server's first visit
        asyncio.run(visitor(url, 0, 1, 0, False, 0, warm))
    rows = []
    for n in args.visitors:
        _, seen, _ = script_runs(log, 0)
        gc_seen = len(gc_pauses(args.gc_log))
        sampler = MemorySampler(ports)
        sampler.start()
        cpu0, started = sum(server_cpu_s(p) for p in ports), time.perf_counter()
        client0 = time.process_time()
        out = asyncio.run(one_pass(urls, n, args, args.seed + n))
        wall = time.perf_counter() - started
        cpu = sum(server_cpu_s(p) for p in ports) - cpu0
        client = time.process_time() - client0
        sampler.stop.set()
        sampler.join()
        rss = [m for _, m in sampler.samples]
        runs, _, run_cpu = script_runs(log, seen)
        rows.append(
            {
                "visitors": n,
                "servers": len(urls),
                "wall_s": round(wall, 1),
                "maps": len(out["map_s"]),
                "map_p50_s": round(pct(out["map_s"], 0.5), 2) if out["map_s"] else None,
                "map_p95_s": round(pct(out["map_s"], 0.95), 2) if out["map_s"] else None,
                "reruns": len(out["rerun_ms"]),
                "rerun_p50_ms": ms(out["rerun_ms"], 0.5),
                "rerun_p95_ms": ms(out["rerun_ms"], 0.95),
                "report_p50_ms": ms(out["report_ms"], 0.5),
                "report_p95_ms": ms(out["report_ms"], 0.95),
                "run_kb_p50": ms(out["bytes"], 0.5, 1 / 1024),
                "server_runs": len(runs),
                "server_run_p50_ms": ms(runs, 0.5, 1000),
                "server_run_p95_ms": ms(runs, 0.95, 1000),
                "server_run_cpu_p50_ms": ms(run_cpu, 0.5, 1000),
                "server_cpu_s": round(cpu, 1),
                "server_cpu_per_run_ms": round(1000 * cpu / max(1, len(runs))),
                "server_utilisation": round(cpu / wall, 2),
                "client_cpu_s": round(client, 1),
                **(
                    {
                        "gc_s": round(sum(gc_pauses(args.gc_log)[gc_seen:]), 2),
                        "gc_max_ms": ms(gc_pauses(args.gc_log)[gc_seen:], 1.0, 1000),
                    }
                    if args.gc_log
                    else {}
                ),
                "errors": out["errors"],
                "rss_start_mb": round(rss[0]) if rss else None,
                "rss_peak_mb": round(max(rss)) if rss else None,
            }
        )
        print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--visitors", type=int, nargs="+", default=[1, 5, 20])
    parser.add_argument("--moves", type=int, default=3, help="slider moves per visitor")
    parser.add_argument("--think", type=float, default=1.0, help="mean seconds between moves")
    parser.add_argument("--arrive", type=float, default=2.0, help="visitors arrive within (s)")
    parser.add_argument("--same-moves", action="store_true", help="everyone: 4G slider, → key")
    parser.add_argument("--servers", type=int, default=1, help="server processes")
    parser.add_argument("--server-cpus", type=int, nargs="+", help="pin the servers to these")
    parser.add_argument("--client-cpus", type=int, nargs="+", help="pin this client to these")
    parser.add_argument("--profile", type=Path, help="cProfile every script run into this folder")
    parser.add_argument("--gc-log", type=Path, help="log the server's garbage collections here")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", type=Path, help="write the rows here")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    if args.client_cpus:
        os.sched_setaffinity(0, set(args.client_cpus))
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as servers:
        log = Path(tmp) / "runs.txt"
        log.touch()
        urls = [
            servers.enter_context(
                app_server(
                    runner=[str(REPO / "bench" / "timed_server.py")],
                    timeout_s=120,
                    env={
                        "PHUSONG_RUN_LOG": str(log),
                        **({"PHUSONG_PROFILE_DIR": str(args.profile)} if args.profile else {}),
                        **({"PHUSONG_GC_LOG": str(args.gc_log)} if args.gc_log else {}),
                    },
                    cpus=set(args.server_cpus) if args.server_cpus else None,
                )
            )
            for _ in range(args.servers)
        ]
        rows = measure(urls, log, args)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        argv, skip = [], False
        for a in sys.argv[1:]:  # the command without where its output went
            if not skip and a not in ("--json", "--gc-log", "--profile"):
                argv.append(a)
            skip = a in ("--json", "--gc-log", "--profile")
        command = "uv run python bench/load_ws.py " + " ".join(argv)
        args.json.write_text(
            json.dumps(
                {
                    "command": command,
                    "when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                    "load_average_before": load_before,
                    "rows": rows,
                },
                ensure_ascii=False,
                indent=1,
            )
            + "\n"
        )


if __name__ == "__main__":
    main()
