"""The team deployment (deploy/, README "Running it for a team"): two app processes behind nginx
with sticky sessions, tested with the shipped nginx files and a real nginx and browser.

The repo's deploy/nginx-phusong-upstream.conf (its two ports replaced by those of two test
servers under the base path /phusong) and deploy/nginx-phusong.conf (as shipped) are included in
a minimal nginx.conf in a temporary folder. Visitors (separate browser contexts) must be spread
over both processes, every request of one visitor (page, websocket, upload, download) must reach
the same process, and when one process dies nginx must send everyone to the other.

Needs nginx (``apt-get install nginx-light``): skipped where it is missing, a failure in CI
(``CI=true``, .ci/run installs it). ``PHUSONG_SCREENSHOTS=folder`` keeps a screenshot of the map
drawn through nginx there.
"""

from __future__ import annotations

import getpass
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

import pytest

from geo.testing import REPO, app_server, free_port, wait_for_map
from test_browser_import import UPLOADER, apply, kpis, upload

pytestmark = pytest.mark.browser

DEPLOY = REPO / "deploy"
LOG_FORMAT = "'$phusong_node\\t$upstream_addr\\t$status\\t$request_method\\t$uri'"


def nginx_binary() -> str:
    """nginx's path; skips the test where it is missing (fails in CI, which installs it)."""
    path = shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )
    if path is None:
        reason = "nginx is not installed (apt-get install nginx-light)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(reason + "; .ci/run installs it")
        pytest.skip(reason)
    return path


def render_upstream(ports: tuple[int, int]) -> str:
    """The shipped upstream file with its two ports (8501, 8502) replaced by ``ports``."""
    text = (DEPLOY / "nginx-phusong-upstream.conf").read_text()
    for shipped, port in zip(("127.0.0.1:8501", "127.0.0.1:8502"), ports):
        assert text.count(shipped) == 1, f"{shipped} not once in nginx-phusong-upstream.conf"
        text = text.replace(shipped, f"127.0.0.1:{port}")
    return text


def nginx_conf(root: Path, port: int, upstream: Path) -> str:
    temp = "\n".join(
        f"    {kind}_temp_path {root / kind};" for kind in ("client_body", "proxy", "fastcgi")
    )
    return f"""\
# running as root, the workers would be "nobody", who cannot read the test's folder
user {getpass.getuser()};
daemon off;
worker_processes 1;
pid {root / "nginx.pid"};
error_log {root / "error.log"} info;
events {{ worker_connections 256; }}
http {{
    log_format phusong {LOG_FORMAT};
    access_log {root / "access.log"} phusong;
{temp}
    uwsgi_temp_path {root / "uwsgi"};
    scgi_temp_path {root / "scgi"};
    include {upstream};
    server {{
        listen 127.0.0.1:{port};
        include {DEPLOY / "nginx-phusong.conf"};
    }}
}}
"""


def wait_for_port(port: int, proc: subprocess.Popen, error_log: Path, timeout_s: float = 20):
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("nginx did not start: " + error_log.read_text(errors="replace"))
            time.sleep(0.1)


def server_pid(port: int) -> int:
    """The pid of the streamlit process this test started on ``port`` (its command line)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if (
            b"--server.port" in argv
            and argv[argv.index(b"--server.port") + 1] == str(port).encode()
        ):
            if any(a.endswith(b"app.py") for a in argv):
                return int(entry.name)
    raise LookupError(f"no app server on port {port}")


class Proxy:
    """nginx on ``url`` (…/phusong/) in front of app servers on ``ports``; its access log."""

    def __init__(self, url: str, ports: tuple[int, int], access_log: Path):
        self.url, self.ports, self.access_log = url, ports, access_log

    def requests(self) -> list[tuple[str, str, int, str, str]]:
        """(node cookie, upstream address(es), status, method, path) per logged request. A
        websocket is logged when it closes."""
        rows = []
        for line in self.access_log.read_text().splitlines():
            node, upstream, status, method, path = line.split("\t")
            rows.append((node, upstream, int(status), method, path))
        return rows

    def wait_for_streams(self, nodes: set[str], timeout_s: float = 20) -> list:
        """The requests once the websocket of each of ``nodes`` is logged (closed)."""
        deadline = time.monotonic() + timeout_s
        while True:
            rows = self.requests()
            streams = {r[0] for r in rows if r[4].endswith("/_stcore/stream")}
            if nodes <= streams:
                return rows
            assert time.monotonic() < deadline, f"no websocket logged for {nodes - streams}"
            time.sleep(0.5)

    def upstream_of(self, node: str) -> set[str]:
        """The app server(s) that answered the requests of one visitor (its cookie)."""
        return {up for n, up, *_ in self.requests() if n == node and up != "-"}


@pytest.fixture(scope="module")
def proxy(tmp_path_factory):
    nginx = nginx_binary()
    root = tmp_path_factory.mktemp("nginx")
    with ExitStack() as stack:
        urls = []
        for i in (1, 2):
            try:
                urls.append(
                    stack.enter_context(
                        app_server(
                            data_dir=REPO / "data" / "dakrong",
                            base_path="phusong",
                            log=root / f"app{i}.log",
                        )
                    )
                )
            except RuntimeError as exc:
                pytest.fail(str(exc))
        ports = tuple(int(u.split(":")[2].split("/")[0]) for u in urls)
        upstream = root / "phusong-upstream.conf"
        upstream.write_text(render_upstream(ports))
        port = free_port()
        (root / "nginx.conf").write_text(nginx_conf(root, port, upstream))
        test = subprocess.run(
            [nginx, "-t", "-p", str(root), "-e", str(root / "error.log"), "-c", "nginx.conf"],
            capture_output=True,
            text=True,
        )
        assert test.returncode == 0, test.stderr
        proc = subprocess.Popen(
            [nginx, "-p", str(root), "-e", str(root / "error.log"), "-c", "nginx.conf"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_for_port(port, proc, root / "error.log")
            url = f"http://127.0.0.1:{port}/phusong/"
            assert urllib.request.urlopen(url + "_stcore/health", timeout=10).read() == b"ok"
            yield Proxy(url, ports, root / "access.log")
        finally:
            proc.terminate()  # SIGTERM: nginx's fast shutdown
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()


class Visitor:
    """One browser (its own context: its own cookies) on the app through nginx."""

    def __init__(self, browser, url: str, node: str | None = None):
        self.context = browser.new_context(
            viewport={"width": 1400, "height": 1000}, accept_downloads=True
        )
        if node is not None:  # a browser that already holds its cookie (visitors_on_both)
            self.context.add_cookies(
                [
                    {
                        "name": "phusong_node",
                        "value": node,
                        "domain": "127.0.0.1",
                        "path": "/phusong/",
                    }
                ]
            )
        self.page = self.context.new_page()
        self.failed: list[tuple] = []
        self.leaflet: list[str] = []
        self.page.on(
            "response", lambda r: self.failed.append((r.status, r.url)) if r.status >= 400 else None
        )
        self.page.on("requestfailed", lambda r: self.failed.append((r.failure, r.url)))
        self.page.on(
            "request", lambda r: self.leaflet.append(r.url) if "leaflet" in r.url else None
        )
        self.websockets = 0
        self.page.on("websocket", lambda ws: setattr(self, "websockets", self.websockets + 1))
        self.page.goto(url)
        wait_for_map(self.page, 13, timeout_s=120)
        # the cookie nginx set with the first page (HttpOnly: the page's scripts cannot read it)
        self.node = next(c["value"] for c in self.context.cookies() if c["name"] == "phusong_node")


def cookie_per_process(proxy: Proxy, tries: int = 200) -> dict[str, str]:
    """A ``phusong_node`` value that nginx sends to each process: random values, as nginx gives
    new browsers, tried with plain requests until both processes answered one. With two
    processes on random test ports the consistent hash may split unevenly (a browser per
    process is then many browsers away); plain requests find one for each in milliseconds, and
    200 values all on one process would mean the hash does not spread."""
    found: dict[str, str] = {}
    for _ in range(tries):
        node = secrets.token_hex(16)
        request = urllib.request.Request(
            proxy.url + "_stcore/health", headers={"Cookie": f"phusong_node={node}"}
        )
        assert urllib.request.urlopen(request, timeout=10).read() == b"ok"
        for _ in range(20):  # nginx logs the request once it is answered
            answered = proxy.upstream_of(node)
            if answered:
                break
            time.sleep(0.05)
        assert len(answered) == 1, (node, answered)
        found.setdefault(next(iter(answered)), node)
        if len(found) == 2:
            return found
    raise AssertionError(
        f"{tries} random cookies all went to one process: the hash does not spread"
    )


def visitors_on_both(browser, proxy: Proxy) -> list[Visitor]:
    """A new browser (its cookie given by nginx), then one browser per process it did not land
    on, holding a cookie that nginx sends there (cookie_per_process)."""
    visitors = [Visitor(browser, proxy.url)]
    first = next(iter(proxy.upstream_of(visitors[0].node)))
    for upstream, node in cookie_per_process(proxy).items():
        if upstream != first:
            visitors.append(Visitor(browser, proxy.url, node=node))
    return visitors


def test_visitors_spread_over_both_processes_and_each_stays_on_its_own(browser, proxy, tmp_path):
    visitors = visitors_on_both(browser, proxy)
    nodes = [v.node for v in visitors]
    assert len(set(nodes)) == len(nodes)  # a cookie per browser, not per address (one NAT)
    upstreams = {f"127.0.0.1:{p}" for p in proxy.ports}
    assert {up for v in visitors for up in proxy.upstream_of(v.node)} == upstreams
    for v in visitors:  # the map's assets come through nginx, under the base path
        assert v.leaflet and all("/phusong/" in u for u in v.leaflet), v.leaflet[:3]
        assert v.failed == []
    folder = os.environ.get("PHUSONG_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        visitors[0].page.screenshot(path=str(Path(folder) / "deploy_nginx_map.png"))

    # one visitor uploads sites and downloads the table of the figures: the upload and the
    # download are served by the process holding its session (a non-sticky proxy sends some of
    # them to the other one: 400 for the upload, 404 for the download)
    page = visitors[-1].page
    default = kpis(page)
    page.get_by_text("Dữ liệu của bạn").click()
    page.locator(UPLOADER).first.wait_for(timeout=30_000)
    sites = (
        "Mã trạm,Vĩ độ,Kinh độ,Nhà mạng,Công nghệ\n"
        + "".join(f"U{i},16.{60 + i},106.88,VTL,4G\n" for i in range(20))
    ).encode()
    upload(page, "Trạm BTS", "tram.csv", sites)
    apply(page)
    page.get_by_text("Đang dùng dữ liệu bạn tải lên").wait_for(timeout=90_000)
    for _ in range(60):  # the notice may be drawn before the run's figures are
        uploaded = kpis(page)
        if uploaded[2] != default[2]:
            break
        page.wait_for_timeout(500)
    assert uploaded[2] != default[2]
    page.get_by_role("tab", name="Xuất báo cáo").click()
    with page.expect_download(timeout=120_000) as info:
        page.get_by_role("button", name="Bảng số liệu (CSV)", exact=True).click()
    table = Path(info.value.path()).read_text(encoding="utf-8-sig")
    assert len(table.splitlines()) > 13  # a row per commune, and more
    uploader = visitors[-1].node
    for v in visitors:
        v.context.close()  # closes the websockets: nginx logs them now

    rows = proxy.wait_for_streams({v.node for v in visitors})
    for v in visitors:
        assert len(proxy.upstream_of(v.node)) == 1, (v.node, proxy.upstream_of(v.node))
    mine = [r for r in rows if r[0] == uploader]
    assert any("/_stcore/upload_file/" in r[4] and r[3] == "PUT" for r in mine)
    assert any(r[4].startswith("/phusong/media/") for r in mine)
    assert [r for r in rows if r[2] >= 400] == []


def test_one_process_killed_the_other_serves_everyone(browser, proxy):
    """A process that dies (a native crash) before systemd restarts it: its visitors' pages
    reconnect to the other process (a new session there: the map is drawn again), the other
    process's visitors keep working, new visitors are served. This test kills a process: keep it
    last in the module."""
    visitors = visitors_on_both(browser, proxy)
    survivor_addr = next(iter(proxy.upstream_of(visitors[0].node)))
    stays = visitors[0]
    moved = next(v for v in visitors if proxy.upstream_of(v.node) != {survivor_addr})
    dead_port = int(next(iter(proxy.upstream_of(moved.node))).rsplit(":", 1)[1])
    os.kill(server_pid(dead_port), signal.SIGKILL)

    # the survivor's visitor changes the vintage: a new analysis, drawn
    stays.page.get_by_text("5 xã (từ 1/7/2025)").click()
    wait_for_map(stays.page, 5, timeout_s=120)
    # the dead process's visitor: Streamlit's page reconnects, nginx sends it to the other
    # process, a new session draws the default map
    deadline = time.monotonic() + 60
    while moved.websockets < 2:  # until then the page shows the old map, its widgets inert
        assert time.monotonic() < deadline, "the page did not reconnect"
        moved.page.wait_for_timeout(200)
    wait_for_map(moved.page, 13, timeout_s=120)
    for attempt in range(3):  # a click while the new session's first run starts may be lost
        moved.page.get_by_text("5 xã (từ 1/7/2025)").click()
        try:
            wait_for_map(moved.page, 5, timeout_s=60)
            break
        except TimeoutError:
            assert attempt < 2, "the reconnected page never drew the other vintage"
    assert moved.page.locator('[data-testid="stException"]').count() == 0
    folder = os.environ.get("PHUSONG_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        moved.page.screenshot(path=str(Path(folder) / "deploy_after_failover.png"))
    # a new visitor, whatever its cookie hashes to
    new = [Visitor(browser, proxy.url) for _ in range(3)]
    for v in visitors + new:
        v.context.close()
    for v in new:
        assert proxy.upstream_of(v.node) <= {
            survivor_addr,
            f"127.0.0.1:{dead_port}, {survivor_addr}",
        }
        assert [f for f in v.failed if "/phusong/" in f[1]] == []
    assert any(n == moved.node and up.endswith(survivor_addr) for n, up, *_ in proxy.requests())
