"""The server's memory in its log (geo/ui/usage.py)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

from geo import settings
from geo.cache import BoundedCache, memoize
from geo.ui import usage


def test_the_line_names_resident_memory_every_memo_and_the_other_caches():
    @memoize(4, 1e6)
    def doubled(x: int) -> bytes:
        return b"0" * (2 * x)

    doubled(250_000)  # 0.5 MB
    layers = BoundedCache(8, 10e6)
    layers.put("a", b"0" * 3_000_000)
    line = usage.usage_line({"layers": layers})
    assert line.startswith("memory: rss ") and " MB" in line.split(";")[0]
    assert "; doubled 1 / 1 MB" in line  # 0.5 MB (+ the object's few bytes), rounded
    assert "; layers 1 / 3 MB" in line


def test_the_interval_comes_from_the_environment_or_the_default():
    assert usage.log_interval_s({}) == settings.MEMORY_LOG_S
    assert usage.log_interval_s({settings.MEMORY_LOG_ENV: "0"}) == 0
    assert usage.log_interval_s({settings.MEMORY_LOG_ENV: "12.5"}) == 12.5
    assert usage.log_interval_s({settings.MEMORY_LOG_ENV: "soon"}) == settings.MEMORY_LOG_S


def test_a_process_logs_its_memory_every_interval_from_one_thread():
    script = textwrap.dedent(
        """
        import time
        from geo.cache import BoundedCache
        from geo.ui import usage
        jobs = BoundedCache(4, 1e6)
        first = usage.start_usage_log({"jobs": jobs}, 0.1)
        assert usage.log_started() and usage.start_usage_log({}, 0.1) is first  # once a process
        time.sleep(0.55)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    lines = [ln for ln in done.stderr.splitlines() if "memory: rss" in ln]
    assert 3 <= len(lines) <= 6, done.stderr
    assert all(ln.endswith("jobs 0 / 0 MB") for ln in lines)


def test_an_interval_of_zero_turns_the_log_off_for_the_process():
    script = textwrap.dedent(
        """
        import time
        from geo.ui import usage
        assert usage.start_usage_log({}, 0) is None and usage.log_started()
        assert usage.start_usage_log({}, 0.05) is None  # decided: off
        time.sleep(0.2)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    assert "memory:" not in done.stderr
