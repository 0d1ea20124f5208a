"""``python tests/slow_streamlit.py run app.py …``: Streamlit with slow long work, for browser tests
of the jobs that run off the script thread (tests/test_browser_jobs.py). Production code has no
sleep hooks; this wrapper slows geo functions down before Streamlit starts:

- ``PHUSONG_TEST_SLOW_DEM_S``: seconds added to reading each DEM file (geo.io.dem.read_source).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's geo package

from geo.io import dem  # noqa: E402

DELAY_S = float(os.environ.get("PHUSONG_TEST_SLOW_DEM_S", "0"))
_read_source = dem.read_source


def slow_read_source(path):
    time.sleep(DELAY_S)
    return _read_source(path)


if DELAY_S > 0:
    dem.read_source = slow_read_source

if __name__ == "__main__":
    from streamlit.web.cli import main

    sys.exit(main())
