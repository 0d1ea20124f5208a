"""``streamlit run`` with the duration of every script run appended to ``$PHUSONG_RUN_LOG``.

For ``bench/app.py`` only: the same server as ``streamlit run app.py``, with Streamlit's
``ScriptRunner._run_script`` wrapped to write one line per run: wall seconds and the CPU seconds
of the script thread (steadier on a shared machine).

    PHUSONG_RUN_LOG=/tmp/runs.txt python bench/timed_server.py run app.py --server.port 8599
"""

from __future__ import annotations

import os
import sys
import time

from streamlit.runtime.scriptrunner.script_runner import ScriptRunner
from streamlit.web import cli

_run_script = ScriptRunner._run_script


def _timed(self, rerun_data):
    start, cpu = time.perf_counter(), time.thread_time()
    try:
        return _run_script(self, rerun_data)
    finally:
        with open(os.environ["PHUSONG_RUN_LOG"], "a") as log:
            log.write(f"{time.perf_counter() - start:.6f} {time.thread_time() - cpu:.6f}\n")


ScriptRunner._run_script = _timed

if __name__ == "__main__":
    sys.exit(cli.main(prog_name="streamlit"))
