import os
from pathlib import Path

import pytest
from store_backends import workspace_url  # noqa: F401 - the workspace tests' fixture

TESTS = Path(__file__).resolve().parent

SHARED_RAW = TESTS.parents[1] / "shared" / "data" / "raw"


@pytest.fixture(autouse=True, scope="session")
def throwaway_workspace(tmp_path_factory):
    """No test touches a real workspace (workspace/phusong.sqlite or $PHUSONG_DATABASE_URL): the
    app, app servers and the CLI get a fresh SQLite file; store tests set their own per test."""
    os.environ["PHUSONG_DATABASE_URL"] = (
        f"sqlite:///{tmp_path_factory.mktemp('workspace') / 'phusong.sqlite'}"
    )


@pytest.fixture
def shared_raw() -> Path:
    """../shared/data/raw next to the repo; skips the test where it is absent."""
    if not SHARED_RAW.is_dir():
        pytest.skip("../shared/data/raw is not available")
    return SHARED_RAW


def finish_jobs(at, timeout_s: float = 300):
    """Rerun an AppTest until no job shows a progress bar (plans, DEM reads, large imports and
    first analyses run off the script thread, geo/ui/jobs.py); return it."""
    import time

    deadline = time.monotonic() + timeout_s
    while at.get("progress"):
        if time.monotonic() > deadline:
            pytest.fail(f"the job did not finish within {timeout_s:g} s")
        time.sleep(0.1)
        at.run()
    return at


finish_plan = finish_jobs


def serve(data_dir: Path, **options):
    """Start ``streamlit run app.py`` on ``data_dir`` (``options``: geo.testing.app_server's);
    yield its URL; stop it. A server that does not start is a failure with its output, not an
    error in a fixture."""
    from geo.testing import app_server

    try:
        with app_server(data_dir=data_dir, **options) as url:
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="module")
def server():
    """The app on the default Đakrông data, one server per test module."""
    yield from serve(TESTS.parent / "data" / "dakrong")


@pytest.fixture(scope="session")
def browser():
    """A headless Chromium: Debian's /usr/bin/chromium, or Playwright's own build where the test
    setup installed it (PHUSONG_CHROMIUM=playwright). Missing both is a failure, not a skip."""
    import os
    import shutil

    from playwright.sync_api import sync_playwright

    use_playwright_build = os.environ.get("PHUSONG_CHROMIUM") == "playwright"
    path = None if use_playwright_build else (shutil.which("chromium") or "/usr/bin/chromium")
    if path is not None and not Path(path).exists():
        pytest.fail(
            "no Chromium: install Debian's chromium (apt-get install chromium) or run "
            "bash scripts/test.sh, which installs one"
        )
    from geo.testing import launch_chromium

    with sync_playwright() as p:
        launched = launch_chromium(p, path)
        yield launched
        launched.close()
