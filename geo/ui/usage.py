"""The server's memory in its own log: resident memory and what each shared cache holds.

Whoever runs the team server (README, "Running it for a team") sees in the journal, every few
minutes, a line such as ``memory: rss 912 MB; analysis_for 64 / 88 MB; layers 410 / 498 MB; …``
(entries / estimated bytes, :func:`geo.cache.estimate_nbytes`), so a cache that outgrows its
budget, or memory that grows outside the caches, shows without a debugger. ``bench/soak.py``
keeps these lines beside its memory curve.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Mapping
from pathlib import Path

from geo import settings
from geo.cache import MEMOS

LOG = logging.getLogger("phusong.memory")
_STARTED: list[threading.Thread | None] = []  # this process's log thread (None: off), once decided
_START_LOCK = threading.Lock()


def rss_mb() -> float | None:
    """This process's resident memory (MB, VmRSS of /proc/self/status); None where there is no
    /proc (not Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def usage_line(others: Mapping[str, object] | None = None) -> str:
    """One line: resident memory, then every memoized cache (:data:`geo.cache.MEMOS`, by function
    name) and ``others`` (name → anything with ``len()`` and ``nbytes``) as entries / MB."""
    caches = {name.rsplit(".", 1)[-1]: cache for name, cache in list(MEMOS.items())}
    caches.update(others or {})
    rss = rss_mb()
    parts = [f"rss {rss:.0f} MB" if rss is not None else "rss ?"]
    parts += [
        f"{name} {len(cache)} / {cache.nbytes / 1e6:.0f} MB"
        for name, cache in sorted(caches.items())
    ]
    return "memory: " + "; ".join(parts)


def log_interval_s(environ: Mapping[str, str]) -> float:
    """Seconds between two lines: ``PHUSONG_MEMORY_LOG_S`` (0 turns the log off), else
    settings.MEMORY_LOG_S; a value that is not a number is ignored (the default)."""
    try:
        return float(environ.get(settings.MEMORY_LOG_ENV, settings.MEMORY_LOG_S))
    except ValueError:
        return settings.MEMORY_LOG_S


def log_started() -> bool:
    """True once this process's log was started or turned off (no need to call again)."""
    with _START_LOCK:
        return bool(_STARTED)


def start_usage_log(others: Mapping[str, object], every_s: float) -> threading.Thread | None:
    """Log :func:`usage_line` every ``every_s`` seconds from a daemon thread, with ``others``
    (shared caches and job runners, kept for the process's life), once per process: later
    calls return the running thread. Nothing (then or later) when ``every_s`` is 0 or less.
    The logger writes to stderr (the server's log, the journal under systemd) unless it was
    given handlers elsewhere."""
    with _START_LOCK:
        if _STARTED:
            return _STARTED[0]
        if every_s <= 0:
            _STARTED.append(None)  # decided: off for this process
            return None
        thread = threading.Thread(
            target=_log_every, args=(others, every_s), name="phusong-memory-log", daemon=True
        )
        _STARTED.append(thread)
        if not LOG.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
            LOG.addHandler(handler)
            LOG.setLevel(logging.INFO)
            LOG.propagate = False
        thread.start()
        return thread


def _log_every(others: Mapping[str, object], every_s: float) -> None:
    pause = threading.Event()  # never set: a wait that the daemon thread's end interrupts
    while not pause.wait(every_s):
        try:
            LOG.info(usage_line(others))
        except Exception:  # a failed line is logged; the server goes on
            LOG.exception("memory: usage line failed")
