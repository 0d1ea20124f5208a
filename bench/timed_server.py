"""``streamlit run`` with the duration of every script run appended to ``$PHUSONG_RUN_LOG``.

For ``bench/app.py`` only: the same server as ``streamlit run app.py``, with Streamlit's
``ScriptRunner._run_script`` wrapped to write one line per run: wall seconds and the CPU seconds
of the script thread (steadier on a shared machine). With ``PHUSONG_PROFILE_DIR`` set, each run
is also profiled (cProfile, the script thread only) into a file of its own in that folder; with
``PHUSONG_GC_LOG``, every collection of Python's cyclic collector is logged (generation, seconds).

    PHUSONG_RUN_LOG=/tmp/runs.txt python bench/timed_server.py run app.py --server.port 8599
"""

from __future__ import annotations

import cProfile
import gc
import os
import sys
import threading
import time
from pathlib import Path

from streamlit.runtime.scriptrunner.script_runner import ScriptRunner
from streamlit.web import cli

_run_script = ScriptRunner._run_script


def _timed(self, rerun_data):
    start, cpu = time.perf_counter(), time.thread_time()
    profile = cProfile.Profile() if os.environ.get("PHUSONG_PROFILE_DIR") else None
    try:
        if profile is None:
            return _run_script(self, rerun_data)
        return profile.runcall(_run_script, self, rerun_data)
    finally:
        if profile is not None:
            profile.dump_stats(
                Path(os.environ["PHUSONG_PROFILE_DIR"])
                / f"{os.getpid()}-{threading.get_ident()}-{time.perf_counter_ns()}.prof"
            )
        with open(os.environ["PHUSONG_RUN_LOG"], "a") as log:
            log.write(f"{time.perf_counter() - start:.6f} {time.thread_time() - cpu:.6f}\n")


ScriptRunner._run_script = _timed

if os.environ.get("PHUSONG_GC_LOG"):  # every collection of Python's cyclic collector, timed
    _gc_start = [0.0]

    def _gc_timed(phase, info):
        if phase == "start":
            _gc_start[0] = time.perf_counter()
        else:  # the time first: opening the file lets other threads run
            line = f"{info['generation']} {time.perf_counter() - _gc_start[0]:.6f}\n"
            with open(os.environ["PHUSONG_GC_LOG"], "a") as log:
                log.write(line)

    gc.callbacks.append(_gc_timed)

if __name__ == "__main__":
    sys.exit(cli.main(prog_name="streamlit"))
