"""The app in a real server and a real browser, for the browser tests, ``bench/app.py`` and
``scripts/screenshots.py``: start ``streamlit run app.py`` on a free local port, launch Debian's
headless Chromium, and tell when the page has settled with the map drawn.

The one helper module that tests, bench and scripts share: they import it as ``geo.testing``
(the project is installed in the environment), so none of them edits ``sys.path``. It runs the
``app.py`` of the source tree it sits in (``REPO``); nothing in ``geo`` imports it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
COMMUNE_PATHS = ".leaflet-phusong_communes-pane path"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def app_server(
    *,
    data_dir: Path | None = None,
    runner: Sequence[str] = ("-m", "streamlit"),
    env: dict[str, str] | None = None,
    cpus: set[int] | None = None,
    timeout_s: float = 90,
    base_path: str = "",
    log: Path | None = None,
) -> Iterator[str]:
    """Run ``python <runner> run app.py`` (on ``data_dir`` through ``PHUSONG_DATA``; on the CPU
    cores ``cpus`` only, when given; under ``server.baseUrlPath`` = ``base_path``, as behind a
    reverse proxy, when given) and yield its URL once it answers; stop it afterwards.
    RuntimeError, with the server's output, if it exits or does not answer within ``timeout_s``.

    The server's output goes to the file ``log`` (a temporary file otherwise), never to a pipe
    nobody reads: a server that logs much would block on a full pipe. A native crash prints
    every thread's Python stack there (``PYTHONFAULTHANDLER``)."""
    import tempfile

    port = free_port()
    env = {**os.environ, "PYTHONFAULTHANDLER": "1", **(env or {})}
    if data_dir is not None:
        env["PHUSONG_DATA"] = str(data_dir)
    output = open(log, "wb") if log is not None else tempfile.TemporaryFile()
    proc = subprocess.Popen(
        [
            sys.executable,
            *runner,
            "run",
            str(REPO / "app.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
            *(["--server.baseUrlPath", base_path] if base_path else []),
        ],
        cwd=REPO,
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
        preexec_fn=None if cpus is None else (lambda: os.sched_setaffinity(0, cpus)),
    )
    url = f"http://127.0.0.1:{port}" + (f"/{base_path.strip('/')}" if base_path else "")
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    output.flush()
                    output.seek(0)
                    raise RuntimeError(
                        "streamlit exited: " + output.read().decode(errors="replace")
                    ) from None
                if time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not answer within {timeout_s:g} s") from None
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        output.close()


def launch_chromium(playwright, executable_path: str | None = CHROMIUM):
    """Headless Chromium (Debian's by default; None = Playwright's own build)."""
    return playwright.chromium.launch(executable_path=executable_path, args=CHROMIUM_ARGS)


def map_frame(page, communes: int):
    """The Map tab's frame (the first st_folium frame; the planning tab may hold a second) when
    Streamlit is idle and it draws ``communes`` shapes, else None."""
    frames = page.locator(MAP_FRAME)
    if page.locator('[data-testid="stStatusWidget"]').count() or not frames.count():
        return None
    frame = frames.first.content_frame
    return frame if frame.locator(COMMUNE_PATHS).count() == communes else None


def wait_for_map(page, communes: int = 13, *, timeout_s: float = 90, poll_ms: int = 200):
    """Wait for :func:`map_frame`; return it, or raise TimeoutError."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        frame = map_frame(page, communes)
        if frame is not None:
            return frame
        page.wait_for_timeout(poll_ms)
    raise TimeoutError(f"the map did not draw {communes} communes within {timeout_s:g} s")
