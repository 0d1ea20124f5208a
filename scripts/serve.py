"""``streamlit run`` for phusong, with the app's libraries loaded while the server starts.

    python scripts/serve.py run app.py [streamlit options]

Streamlit imports a script's modules only when the first visitor opens the page; for phusong that
is geopandas, shapely, folium, matplotlib and the ``geo`` package, about three seconds of the
first page load on a fresh server (bench/README.md, "first load"). Here a background thread
imports them while the server starts and the visitor is still on the way, so the first script run
finds them loaded. Nothing else changes: the same server, options and script.
"""

from __future__ import annotations

import importlib
import sys
import threading

# What app.py imports (directly or through geo), heaviest first.
PRELOAD = (
    "geopandas",
    "shapely",
    "pyproj",
    "folium",
    "geo.render.maps",
    "geo.analysis.gaps",
    "geo.render.export",
    "geo.render.snapshot",
    "geo.analysis.terrain",
    "geo.plan.siting",
    "geo.io.importing",
    "geo.io.uploads",
)


def preload() -> None:
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except Exception:  # the script's own import reports any real problem to the visitor
            pass


if __name__ == "__main__":
    from streamlit.web import cli

    threading.Thread(target=preload, name="phusong-preload", daemon=True).start()
    sys.exit(cli.main(prog_name="streamlit"))
