"""geo.render.view: the map's kept view, the commune highlight and what the map reports."""

import folium
import geopandas as gpd
import pytest
from shapely.geometry import box

from geo.render import view


def test_reported_view_and_click():
    value = {
        "center": {"lat": 16.5, "lng": 106.9},
        "zoom": 12.0,
        "last_active_drawing": {"properties": {"code": 19588}},
    }
    assert view.reported_view(value) == (16.5, 106.9, 12)
    assert view.clicked_code(value) == "19588"
    assert view.reported_view({"zoom": 12}) is None and view.reported_view(None) is None
    assert view.clicked_code({"last_active_drawing": None}) is None


def test_view_within_grown_bounds():
    bounds = (16.0, 106.0, 17.0, 107.0)  # south, west, north, east: grown by half, 15.5–17.5 N
    assert view.view_within((17.4, 106.5, 12), bounds)
    assert not view.view_within((17.6, 106.5, 12), bounds)
    assert not view.view_within((48.85, 2.35, 12), bounds)


def test_keep_view_follows_the_fit_and_makes_it_instant():
    m = folium.Map(location=[16.5, 106.5], zoom_start=11)
    m.fit_bounds([[16.0, 106.0], [17.0, 107.0]])
    script = view.keep_view(m).get_root().render()
    assert view.fit_bounds_of(m) == (16.0, 106.0, 17.0, 107.0)
    assert '"animate": false' in script
    assert script.index("fitBounds") < script.index("phusong-view:main")
    # a fixed id: the same map gives the same script (streamlit-folium keeps its frame)
    ids = [
        [c._id for c in mm._children.values() if isinstance(c, view.KeepView)]
        for mm in (
            m,
            view.keep_view(
                folium.Map().add_child(folium.map.FitBounds([[16.0, 106.0], [17.0, 107.0]]))
            ),
        )
    ]
    assert ids[0] == ids[1] and len(ids[0]) == 1


def test_outline_in_degrees_and_fit_only_when_asked():
    # a 10 × 20 km rectangle in UTM 48N around 16.5° N, 107° E
    communes = gpd.GeoDataFrame(
        {"code": ["A"]}, geometry=[box(700_000, 1_820_000, 710_000, 1_840_000)], crs=32648
    )
    shape, (south, west, north, east) = view.outline(communes, "A")
    expected = communes.to_crs(4326).total_bounds  # west, south, east, north
    assert (west, south, east, north) == pytest.approx(tuple(expected))
    assert north - south == pytest.approx(20 / 111, rel=0.02)  # 20 km of latitude
    assert view.outline(communes, "B") is None
    m = folium.Map()
    plain = view.highlight(shape, (south, west, north, east)).add_to(m)
    fitted = view.highlight(shape, (south, west, north, east), fit=True).add_to(m)
    plain_js = list(plain._children.values())[0]._template.module.script(
        list(plain._children.values())[0]
    )
    fitted_js = list(fitted._children.values())[0]._template.module.script(
        list(fitted._children.values())[0]
    )
    assert "fitBounds" not in plain_js and "fitBounds" in fitted_js
    assert view.HIGHLIGHT_PANE in plain_js and '"Polygon"' in plain_js
