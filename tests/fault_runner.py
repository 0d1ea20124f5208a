"""``streamlit run`` with one fault injected, for tests/test_browser_faults.py only:

    python tests/fault_runner.py run app.py [streamlit options]

``PHUSONG_TEST_FAULT`` names the fault (production code has no test hooks; this wrapper patches
it from outside before Streamlit starts):

- ``slow-save``: saving a version whose label holds ``SLOW`` stops inside its transaction (the
  version's row and layers written, not committed) before its features, prints ``FAULT: saving``
  to the server's output and waits there, so that a test can kill the server in mid-save.
- ``crash``: drawing the map raises an unforeseen exception (a Python one, as a bug would) in the
  sessions whose URL holds ``fault=crash``; every other session runs as usual.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repo: geo, as app.py finds it


def slow_saves() -> None:
    import sqlalchemy as sa
    from sqlalchemy import event

    slow = threading.local()

    @event.listens_for(sa.engine.Engine, "before_cursor_execute")
    def stall(conn, cursor, statement, parameters, context, executemany):
        text = statement.lstrip().upper()
        if text.startswith("INSERT INTO VERSIONS"):
            slow.on = "SLOW" in str(parameters)
        elif text.startswith("INSERT INTO FEATURES") and getattr(slow, "on", False):
            print("FAULT: saving", flush=True)
            time.sleep(600)


def crash_marked_sessions() -> None:
    import streamlit as st

    from geo.render import maps

    build_map = maps.build_map

    def build_or_crash(*args, **kwargs):
        if st.query_params.get("fault") == "crash":
            raise RuntimeError("injected fault: SECRET-DETAIL /srv/phusong/internal")
        return build_map(*args, **kwargs)

    maps.build_map = build_or_crash


if __name__ == "__main__":
    {"slow-save": slow_saves, "crash": crash_marked_sessions}[os.environ["PHUSONG_TEST_FAULT"]]()
    from streamlit.web import cli

    sys.exit(cli.main(prog_name="streamlit"))
