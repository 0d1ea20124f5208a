"""geo.testing's visitor without a browser (Streamlit's websocket protocol), against a real server:
what bench/load_ws.py measures must be what a visitor gets."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

from geo.testing import StreamlitVisitor, drawn_map, view_report, widget_key


def test_widget_key_is_the_user_key_of_the_id():
    assert widget_key("$$ID-84481bdf8bf026015a5c8e05511fba0c-radius_4G") == "radius_4G"
    assert widget_key("$$ID-7c0d-FormSubmitter:save-Lưu bản") == "FormSubmitter:save-Lưu bản"
    assert widget_key("no-prefix") == "no-prefix"


def test_view_report_is_the_fitted_view_in_the_returned_objects():
    args = {
        "script": "map_1.fitBounds(\n  [[16.0, 106.5], [17.0, 107.5]],\n  {});",
        "default": {"last_clicked": None, "zoom": 11},
        "returned_objects": ["last_clicked", "center", "zoom"],
    }
    assert view_report(args) == {
        "last_clicked": None,
        "zoom": 11,
        "center": {"lat": 16.5, "lng": 107.0},
    }


def test_two_visitors_get_the_drawn_map_and_their_own_slider(server):
    async def visit():
        a, b = StreamlitVisitor(server, timeout_s=120), StreamlitVisitor(server, timeout_s=120)
        await a.connect()
        await b.connect()
        try:
            first_a, first_b = await asyncio.gather(a.rerun(), b.rerun())
            assert drawn_map(first_a) and drawn_map(first_b)
            assert first_a.exceptions == first_b.exceptions == []
            assert a.values["radius_4G"] == [3.0]  # settings' default 4G radius
            # The frame reports its view: the same map again (a reference to it), the URL has it
            report = await a.rerun([a.component(first_a.map_ids[0], view_report(first_a.maps[0]))])
            assert report.exceptions == [] and report.map_ids == first_a.map_ids
            assert report.bytes < first_a.bytes / 4  # the map came as a reference
            assert drawn_map(report) and "view=" in a.query_string
            moved = await a.rerun([a.slider("radius_4G", 6.0)])
            assert moved.exceptions == [] and drawn_map(moved)
            assert moved.map_ids != first_a.map_ids and "r4G=6" in a.query_string
            again = await b.rerun()  # the other session keeps its own radius
            assert b.values["radius_4G"] == [3.0] and again.map_ids == first_b.map_ids
        finally:
            await a.close()
            await b.close()

    # In a thread of its own: the browser tests' Playwright (sync API) keeps an event loop
    # running in this one when they run first.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, visit()).result()
