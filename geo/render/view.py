"""Where the app's map looks, and what it highlights (streamlit-folium glue, no Streamlit).

- :class:`KeepView`: the map remembers its view across redraws. A changed slider gives a new
  map script, so streamlit-folium draws a new frame that would start again at the whole district;
  the frame keeps the user's centre and zoom in the tab's ``sessionStorage`` instead and the next
  frame starts there, before it first reports its view (no jump, no server round trip).
- :func:`highlight`: a commune's outline as a layer added to the drawn map without redrawing it
  (``st_folium(feature_group_to_add=…)``), optionally zooming the map to the commune.
- :func:`reported_view`, :func:`clicked_code`: what the map sent back.

Coordinates on the map are WGS84 degrees (EPSG:4326), as Leaflet's; the tables of an analysis
stay in their metric CRS and are reprojected here only for drawing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import folium
import geopandas as gpd
import shapely
from branca.element import MacroElement
from jinja2 import Template

HIGHLIGHT_PANE = "phusong_highlight"  # above the uncovered areas (420), below the sites (430)
HIGHLIGHT_COLOR = "#0050ff"
FIT_MAX_ZOOM = 14


class KeepView(MacroElement):
    """Restore the map's last view (kept per ``name`` in ``sessionStorage``) when its centre lies
    in ``bounds`` ((south, west, north, east), degrees) grown by half their size, and store the
    view after every move. A view from other data (another district) is not restored."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map) {
            var key = {{ this.storage_key|tojson }};
            var area = L.latLngBounds({{ this.bounds|tojson }}).pad(0.5);
            try {
                var v = JSON.parse(window.sessionStorage.getItem(key) || "null");
                if (v && v.length === 3 && area.contains([v[0], v[1]])) {
                    map.setView([v[0], v[1]], v[2], {animate: false});
                }
            } catch (e) {}
            map.on("moveend", function () {
                var c = map.getCenter();
                try {
                    window.sessionStorage.setItem(key, JSON.stringify([c.lat, c.lng, map.getZoom()]));
                } catch (e) {}
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, name: str, bounds: tuple[float, float, float, float]):
        super().__init__()
        self._name = "PhusongKeepView"
        self.storage_key = f"phusong-view:{name}"
        south, west, north, east = bounds
        self.bounds = [[south, west], [north, east]]
        # a fixed id: the same map gives the same script (streamlit-folium keeps its frame)
        self._id = hashlib.sha256(f"phusong-keep-view-{name}".encode()).hexdigest()[:32]


def _fit_of(m: folium.Map) -> folium.map.FitBounds | None:
    return next((c for c in m._children.values() if isinstance(c, folium.map.FitBounds)), None)


def fit_bounds_of(m: folium.Map) -> tuple[float, float, float, float] | None:
    """(south, west, north, east) of the map's own ``fit_bounds`` (the data), or None."""
    fit = _fit_of(m)
    if fit is None:
        return None
    (south, west), (north, east) = fit.bounds
    return (south, west, north, east)


def keep_view(m: folium.Map, name: str = "main") -> folium.Map:
    """Add :class:`KeepView` to ``m``, after its ``fit_bounds`` (which gives the bounds). That
    first fit is made without animation: Leaflet ignores a ``setView`` while it animates a zoom,
    and the animation's end would put the whole district back."""
    fit = _fit_of(m)
    if fit is not None:
        fit.options["animate"] = False
        m.add_child(KeepView(name, fit_bounds_of(m)))
    return m


class _Highlight(MacroElement):
    """The outline of one commune in its feature group: a blue line on a white casing, in a pane
    of its own that takes no clicks (they reach the commune below); with ``fit``, the map zooms
    to the commune. The shape is written once and drawn twice by Leaflet (folium's GeoJson would
    write it twice and cost ~10 ms more per rerun)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map, group) {
            if (!map.getPane({{ this.pane|tojson }})) {
                var pane = map.createPane({{ this.pane|tojson }});
                pane.style.zIndex = 425;
                pane.style.pointerEvents = "none";
            }
            var shape = {{ this.shape }};
            [["#ffffff", 8], [{{ this.color|tojson }}, 4]].forEach(function (s) {
                L.geoJSON(shape, {pane: {{ this.pane|tojson }}, interactive: false,
                                  style: {color: s[0], weight: s[1], opacity: 1, fill: false}})
                    .addTo(group);
            });
            {% if this.fit %}
            map.fitBounds({{ this.bounds|tojson }},
                          {padding: [24, 24], maxZoom: {{ this.max_zoom }}});
            {% endif %}
        })({{ this._parent._parent.get_name() }}, {{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, shape: str, bounds: tuple[float, float, float, float], fit: bool):
        super().__init__()
        self._name = "PhusongHighlight"
        south, west, north, east = bounds
        self.shape, self.bounds, self.fit = shape, [[south, west], [north, east]], fit
        self.pane, self.color, self.max_zoom = HIGHLIGHT_PANE, HIGHLIGHT_COLOR, FIT_MAX_ZOOM


def outline(
    communes: gpd.GeoDataFrame, code: str
) -> tuple[str, tuple[float, float, float, float]] | None:
    """Commune ``code`` of ``communes`` (any CRS, with ``code`` and geometry) as GeoJSON geometry
    text in EPSG:4326 (numbers only: safe inside a script) and its (south, west, north, east) in
    degrees; None if there is none."""
    row = communes.loc[communes["code"] == code]
    if not len(row):
        return None
    geom = row.geometry.to_crs(4326).iloc[0]
    west, south, east, north = geom.bounds
    return shapely.to_geojson(geom), (float(south), float(west), float(north), float(east))


def highlight(
    shape: str, bounds: tuple[float, float, float, float], *, fit: bool = False
) -> folium.FeatureGroup:
    """A commune's outline (``shape``, ``bounds`` from :func:`outline`) as a feature group for
    ``st_folium(feature_group_to_add=…)``. ``fit``: the map also zooms to the commune (at most to
    level :data:`FIT_MAX_ZOOM`)."""
    group = folium.FeatureGroup(name="highlight", control=False)
    group.add_child(_Highlight(shape, bounds, fit))
    return group


def reported_view(value: Mapping | None) -> tuple[float, float, int] | None:
    """(lat, lon, zoom) the map reported (``st_folium``'s ``center`` and ``zoom``), or None."""
    center = (value or {}).get("center") or {}
    zoom = (value or {}).get("zoom")
    try:
        return (float(center["lat"]), float(center["lng"]), int(round(float(zoom))))
    except (KeyError, TypeError, ValueError):
        return None


def clicked_code(value: Mapping | None) -> str | None:
    """The ``code`` of the commune last clicked on the map (``last_active_drawing``), or None."""
    drawing = (value or {}).get("last_active_drawing") or {}
    code = (drawing.get("properties") or {}).get("code")
    return str(code) if code is not None else None


def view_within(
    view: tuple[float, float, int], bounds: tuple[float, float, float, float], pad: float = 0.5
) -> bool:
    """True if the centre of ``view`` lies in ``bounds`` (south, west, north, east) grown by
    ``pad`` times their size on each side (a shared link that points elsewhere is ignored)."""
    lat, lon, _ = view
    south, west, north, east = bounds
    dy, dx = (north - south) * pad, (east - west) * pad
    return south - dy <= lat <= north + dy and west - dx <= lon <= east + dx
