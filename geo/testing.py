"""The app in a real server and a real browser, for the browser tests, ``bench/app.py`` and
``scripts/screenshots.py``: start ``streamlit run app.py`` on a free local port, launch Debian's
headless Chromium, and tell when the page has settled with the map drawn; or be a visitor
without a browser, speaking Streamlit's websocket protocol (:class:`StreamlitVisitor`).

The one helper module that tests, bench and scripts share: they import it as ``geo.testing``
(the project is installed in the environment), so none of them edits ``sys.path``. It runs the
``app.py`` of the source tree it sits in (``REPO``); nothing in ``geo`` imports it."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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


# Streamlit's own websocket protocol, without a browser (bench/load_ws.py, tests/test_testing.py).
MAP_COMPONENT = "streamlit_folium.st_folium"


@dataclass
class ScriptRun:
    """What one script run sent a visitor: request → ``script_finished`` in ``seconds``, the bytes
    on the websocket, the widgets by key (their last element), the map components' arguments
    (st_folium's ``json_args``: ``script`` holds the Leaflet map), exception messages."""

    seconds: float
    bytes: int
    widgets: dict[str, Any] = field(default_factory=dict)
    maps: list[dict] = field(default_factory=list)
    map_ids: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)


def widget_key(widget_id: str) -> str:
    """The user key of a widget id (``$$ID-<hash>-<key>``); the id itself when it has none."""
    return widget_id.split("-", 2)[2] if widget_id.startswith("$$ID-") else widget_id


def drawn_map(run: ScriptRun) -> bool:
    """True if ``run`` delivered the main map, drawn: Leaflet's map and the communes' pane."""
    return bool(run.maps) and all(
        s in run.maps[0].get("script", "") for s in ("L.map(", "phusong_communes")
    )


def view_report(map_args: dict) -> dict:
    """The value st_folium's frame reports once it has drawn the map (``setComponentValue``):
    the ``returned_objects`` the app asks for, the map fitted to its ``fitBounds`` at its zoom."""
    import re

    box = re.search(
        r"fitBounds\(\s*\[\[([-\d.]+),\s*([-\d.]+)\],\s*\[([-\d.]+),\s*([-\d.]+)\]\]",
        map_args["script"],
    )
    south, west, north, east = map(float, box.groups())
    value = {
        "last_clicked": None,
        "last_active_drawing": None,
        "zoom": map_args["default"].get("zoom"),
        "center": {"lat": (south + north) / 2, "lng": (west + east) / 2},
    }
    return {k: v for k, v in value.items() if k in map_args["returned_objects"]}


class StreamlitVisitor:
    """One visitor speaking Streamlit's websocket protocol (``/_stcore/stream``) as the browser's
    front end does, for what the server sees: a ``rerun_script`` BackMsg (query string, the
    widget states that changed, the hashes of the large messages it already holds) and the
    ForwardMsgs of the run up to ``script_finished``. Large elements the visitor already holds
    come as references (``ref_hash``), resolved here from its own cache, as in a browser.

    ``await v.connect()``, then ``await v.rerun()`` (the first run opens the session), then
    ``await v.rerun([v.slider("radius_4G", 4.5)])``; ``await v.close()``."""

    def __init__(self, url: str, *, timeout_s: float = 300):
        self.url, self.timeout_s = url, timeout_s
        self.query_string = ""
        self.page_script_hash = ""
        self.widgets: dict[str, Any] = {}  # key → last element seen
        self.values: dict[
            str, list[float]
        ] = {}  # slider key → its value, as the front end keeps it
        self._cache: dict[str, Any] = {}  # hash → cacheable ForwardMsg
        self._ws = None

    async def connect(self) -> None:
        from websockets.asyncio.client import connect

        ws_url = "ws" + self.url.removeprefix("http").rstrip("/") + "/_stcore/stream"
        # No client pings: a server busy with twenty scripts may answer late (a browser sends none)
        self._ws = await connect(
            ws_url, subprotocols=["streamlit"], max_size=None, ping_interval=None
        )

    async def close(self) -> None:
        if self._ws is not None:
            await self._ws.close()

    def slider(self, key: str, value: float):
        """The widget state of the slider ``key`` moved to ``value``."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        state = WidgetState(id=self.widgets[key].id)
        state.double_array_value.data.append(value)
        self.values[key] = [value]
        return state

    def component(self, widget_id: str, value: Any):
        """The widget state a component reports (``setComponentValue(value)``)."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        return WidgetState(id=widget_id, json_value=json.dumps(value))

    async def rerun(self, widget_states: Sequence[Any] = ()) -> ScriptRun:
        """Request a run with ``widget_states`` and read its messages to ``script_finished``.
        TimeoutError after ``timeout_s``; websockets' ConnectionClosed if the server hangs up."""
        from streamlit.proto.BackMsg_pb2 import BackMsg

        back = BackMsg()
        state = back.rerun_script
        state.query_string = self.query_string
        state.page_script_hash = self.page_script_hash
        state.widget_states.widgets.extend(widget_states)
        state.cached_message_hashes.extend(self._cache)
        start = time.perf_counter()
        await self._ws.send(back.SerializeToString())
        return await asyncio.wait_for(self._read_run(start), self.timeout_s)

    async def _read_run(self, start: float) -> ScriptRun:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        run = ScriptRun(0.0, 0)
        while True:
            data = await self._ws.recv()
            run.bytes += len(data)
            msg = ForwardMsg.FromString(data)
            kind = msg.WhichOneof("type")
            if kind == "ref_hash":
                msg = self._cache[msg.ref_hash]
                kind = msg.WhichOneof("type")
            elif msg.metadata.cacheable:
                self._cache[msg.hash] = msg
            if kind == "new_session":
                self.page_script_hash = msg.new_session.page_script_hash
            elif kind == "page_info_changed":
                self.query_string = msg.page_info_changed.query_string
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                self._element(msg.delta.new_element, run)
            elif (
                kind == "script_finished"
                and msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN
            ):
                if msg.script_finished == ForwardMsg.FINISHED_WITH_COMPILE_ERROR:
                    run.exceptions.append("compile error")
                run.seconds = time.perf_counter() - start
                return run

    def _element(self, element, run: ScriptRun) -> None:
        kind = element.WhichOneof("type")
        if kind == "exception":
            run.exceptions.append(f"{element.exception.type}: {element.exception.message}")
        elif (
            kind == "component_instance"
            and element.component_instance.component_name == MAP_COMPONENT
        ):
            run.maps.append(json.loads(element.component_instance.json_args))
            run.map_ids.append(element.component_instance.id)
        elif getattr(getattr(element, kind), "id", ""):
            widget = getattr(element, kind)
            key = widget_key(widget.id)
            run.widgets[key] = self.widgets[key] = widget
            if kind == "slider" and (widget.set_value or key not in self.values):
                # The app's value (set_value), else the front end keeps what it has
                self.values[key] = list(widget.value if widget.set_value else widget.default)
