"""``python tests/slow_streamlit.py run app.py …``: Streamlit with slow long work, for browser tests
of the jobs that run off the script thread (tests/test_browser_jobs.py). Production code has no
sleep hooks; this wrapper slows geo functions down before Streamlit starts:

- ``PHUSONG_TEST_SLOW_DEM_S``: seconds added to reading each DEM file (geo.io.dem.read_source);
- ``PHUSONG_TEST_SLOW_IMPORT_S``: seconds added to each import (geo.io.uploads.review_upload),
  with every upload imported off the script thread (settings.BACKGROUND_UPLOAD_BYTES = 0).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository's geo package

from geo import settings  # noqa: E402
from geo.io import dem, uploads  # noqa: E402


def slowed(function, delay_s: float):
    def slow(*args, **kwargs):
        time.sleep(delay_s)
        return function(*args, **kwargs)

    return slow


DEM_DELAY_S = float(os.environ.get("PHUSONG_TEST_SLOW_DEM_S", "0"))
IMPORT_DELAY_S = float(os.environ.get("PHUSONG_TEST_SLOW_IMPORT_S", "0"))
if DEM_DELAY_S > 0:
    dem.read_source = slowed(dem.read_source, DEM_DELAY_S)
if IMPORT_DELAY_S > 0:
    uploads.review_upload = slowed(uploads.review_upload, IMPORT_DELAY_S)
    settings.BACKGROUND_UPLOAD_BYTES = 0

if __name__ == "__main__":
    from streamlit.web.cli import main

    sys.exit(main())
