"""Interactive folium map of a :class:`geo.analysis.gaps.GapAnalysis`, built to work with no internet at all.

Offline assets: what folium and streamlit-folium do with them (folium 0.20, streamlit-folium 0.27.4)
----------------------------------------------------------------------------------------------------
- folium puts every JS/CSS dependency in class attributes ``default_js`` / ``default_css`` of the
  map and of each plugin (``JSCSSMixin``), all CDN URLs: the map asks for leaflet 1.9.3, jquery,
  bootstrap 5, bootstrap-glyphicons, font-awesome, awesome-markers and an awesome-rotate css;
  Fullscreen asks for leaflet.fullscreen 3.0.0, MeasureControl for leaflet-measure 2.1.7. Rendering
  turns each into a ``<script src>`` / ``<link href>`` in the figure header. ``add_js_link`` edits
  the *class* list (shared by every map in the process), so this module only ever assigns new
  *instance* lists.
- streamlit-folium's frontend (``site-packages/streamlit_folium/frontend/build``) bundles React
  and the Streamlit component library, NOT Leaflet. ``st_folium`` walks the map tree, collects every
  element's ``default_js`` / ``default_css`` URLs and sends them as ``js_links`` / ``css_links``;
  the iframe appends one ``<script src=URL>`` / ``<link href=URL>`` per entry. It strips
  ``<script src>`` and ``<link href>`` tags from the folium header and appends the rest with
  ``document.head.innerHTML +=``, so inline ``<style>`` in the header applies but inline header
  ``<script>`` never runs; the map's own JS (every element's ``script`` macro) is ``eval``-ed.
  If any branca ``ColorMap`` is in the tree it also adds two d3 CDN URLs: so no ColorMap here.
- Therefore this module (a) replaces every element's ``default_js`` / ``default_css`` with local
  URLs (:func:`use_local_assets`, done by :func:`build_map`): by default ``data:`` URIs of the
  vendored files in ``geo/static`` (zero configuration, about 0.4 MB per map sent to the iframe),
  or ``base_url + path`` when the app serves ``geo/static`` itself (Streamlit's
  ``server.enableStaticServing`` serves ``<app dir>/static/`` at ``/app/static/`` with a proper
  content type; see :func:`asset_urls`); (b) puts every custom control (legend, banner,
  background, scale) in ``script`` macros, which both st_folium and a plain HTML file run; and
  (c) for the standalone file, :func:`to_html` inlines the vendored JS and CSS (with the CSS
  images as data URIs) into one self-contained HTML page.
- Checked in headless Chromium against ``streamlit run`` (streamlit 1.67): with data: URIs and
  with ``asset_base_url="/app/static/"`` (static serving on, ``static`` -> ``geo/static``) the map
  draws and the page makes no request off localhost; with the relative ``"app/static/"`` the
  iframe asks ``/component/streamlit_folium.st_folium/app/static/…``, gets 404s and draws
  nothing, so :func:`asset_urls` refuses a base URL that does not start with ``/``.
- The app (``app.py``) serves ``geo/static`` as the files of a component that draws nothing
  (``components.declare_component(path=...)``, URL ``/component/app.phusong_assets/``): no
  server configuration, and the ~0.4 MB of ``data:`` URIs is not sent again with every rerun.
  Exports (:func:`to_html`) inline everything.
- phusong's own browser code (commune labels with a collision check, hatched areas that act as
  their commune on click, popups kept clear of the banner and legend) is one plain script,
  ``geo/static/phusong/phusong-map.js`` (:data:`OWN_JS`), loaded like the vendored files.
- Element ids are set deterministically (hex digests of a counter), so the same inputs give
  byte-identical HTML; they stay 32 hex digits long because st_folium rewrites ``_<id>`` suffixes
  by regex and a short id such as ``1`` would also hit data such as ``BTS_1``.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import math
import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import folium
import folium.plugins
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.ops import polylabel
from branca.element import MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from geo.cache import BoundedCache, IdentityCache, estimate_nbytes
from geo.errors import PhusongError
from geo import i18n, precision
from geo.i18n import t
from geo.settings import (
    CARRIERS,
    GAP_KINDS,
    INTERNET_KINDS,
    LANGS,
    LOUDSPEAKER_KINDS,
    STATIC_DIR,
    check_choice,
)

from geo.render.style import (  # noqa: F401  (re-exported: maps.MAP_METRICS, maps.fmt_number, …)
    CARRIER_COLORS,
    CLASS_COLORS,
    COORD_DECIMALS,
    GAP_COLORS,
    GAP_HATCH_ANGLE,
    INTERNET_COLOR,
    INTERNET_EDGE,
    LOUDSPEAKER_COLOR,
    LOUDSPEAKER_EDGE,
    MAP_METRICS,
    METRIC_BINS,
    NO_DATA_COLOR,
    POPULATION_BINS,
    POPULATION_COLORS,
    POPULATION_OPACITY,
    PROPOSED_COLOR,
    SIMPLIFY_M,
    SITE_LAYERS,
    VILLAGE_STYLE,
    class_colors,
    class_labels,
    classify,
    edge_labels,
    fmt_number,
    follow_metric,
    metric_for_gap,
    proposed_sites,
)


# --- vendored assets ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Asset:
    """A vendored file the map loads: folium's resource name, js or css, path under geo/static."""

    name: str
    kind: str
    path: str


LEAFLET = "leaflet-1.9.4"
OWN_JS = "phusong/phusong-map.js"  # phusong's own map script (labels, clicks), not vendored
FULLSCREEN = "leaflet.fullscreen-3.0.0"
MEASURE = "leaflet-measure-2.1.7"
ASSETS: dict[str, tuple[Asset, ...]] = {
    # keyed by the folium class whose CDN links they replace; names are folium's own
    "Map": (
        Asset("leaflet", "js", f"{LEAFLET}/leaflet.js"),
        Asset("leaflet_css", "css", f"{LEAFLET}/leaflet.css"),
    ),
    "Fullscreen": (
        Asset("Control.Fullscreen.js", "js", f"{FULLSCREEN}/Control.FullScreen.js"),
        Asset("Control.FullScreen.css", "css", f"{FULLSCREEN}/Control.FullScreen.css"),
    ),
    "MeasureControl": (
        Asset("leaflet_measure_js", "js", f"{MEASURE}/leaflet-measure.min.js"),
        Asset("leaflet_measure_css", "css", f"{MEASURE}/leaflet-measure.css"),
    ),
    "_PhusongJs": (Asset("phusong_map_js", "js", OWN_JS),),
}
_PLACEHOLDER = "phusong-asset:"  # base URL marking the links to_html() inlines


def asset_path(path: str) -> Path:
    """Absolute path of a vendored file; a clear error when ``geo/static`` lacks it."""
    p = STATIC_DIR / path
    if not p.is_file():
        raise PhusongError(
            f"vendored web asset {path} is missing from {STATIC_DIR}; "
            "run `uv run python scripts/vendor_assets.py` to fetch it"
        )
    return p


_CSS_URL = re.compile(r"""url\(\s*(['"]?)(?!data:|#|['"]?data:)([^'")]+)\1\s*\)""")
_MIME = {".png": "image/png", ".svg": "image/svg+xml", ".gif": "image/gif"}


@lru_cache(maxsize=None)
def asset_text(path: str) -> str:
    """Text of a vendored JS or CSS file; relative ``url(...)`` in CSS become data URIs."""
    p = asset_path(path)
    text = p.read_text(encoding="utf-8")
    if p.suffix == ".css":

        def inline(m: re.Match) -> str:
            img = asset_path(str((Path(path).parent / m.group(2)).as_posix()))
            data = base64.b64encode(img.read_bytes()).decode("ascii")
            return f"url(data:{_MIME[img.suffix]};base64,{data})"

        text = _CSS_URL.sub(inline, text)
    return text


@lru_cache(maxsize=None)
def _data_uri(path: str) -> str:
    mime = "text/css" if path.endswith(".css") else "text/javascript"
    data = base64.b64encode(asset_text(path).encode("utf-8")).decode("ascii")
    return f"data:{mime};base64,{data}"


def asset_urls(base_url: str | None = None) -> dict[str, str]:
    """URL of every vendored asset, keyed by its path under ``geo/static``.

    ``base_url=None`` gives self-contained ``data:`` URIs (CSS images inlined), which work in the
    st_folium iframe with no server configuration. With ``base_url`` (e.g. ``"/app/static/"``
    when Streamlit's ``server.enableStaticServing`` serves a ``static`` folder beside the app
    script that is, or links to, ``geo/static``) the URL is ``base_url + path`` and the CSS
    images load from beside the CSS. It must start with ``/`` (checked in a real browser: the
    relative ``"app/static/"`` 404s inside the st_folium iframe); behind
    ``server.baseUrlPath=X`` it is ``"/X/app/static/"``.
    """
    if base_url is not None and not (base_url.startswith("/") or base_url == _PLACEHOLDER):
        raise PhusongError(
            f"asset base URL must be an absolute path on the app's own server such as "
            f"'/app/static/', or None for inline data: URIs; got {base_url!r}. A relative URL "
            "resolves against the st_folium iframe (/component/streamlit_folium.st_folium/) "
            "and 404s; a web address would make the map depend on the internet"
        )
    out = {}
    for assets in ASSETS.values():
        for a in assets:
            out[a.path] = (
                _data_uri(a.path) if base_url is None else f"{base_url.rstrip('/')}/{a.path}"
            )
    return out


def _walk(element):
    yield element
    for child in element._children.values():
        yield from _walk(child)


def use_local_assets(m: folium.Map, base_url: str | None = None) -> folium.Map:
    """Point the map's and its plugins' JS/CSS at the vendored copies (see :func:`asset_urls`).

    Raises :class:`PhusongError` if the map holds an element whose assets are not vendored.
    """
    urls = asset_urls(base_url)
    for el in _walk(m):
        if not isinstance(el, JSCSSMixin):
            continue
        cls = type(el).__name__
        if cls not in ASSETS:
            if el.default_js or el.default_css:
                raise PhusongError(f"map element {cls} needs web assets that are not vendored")
            continue
        el.default_js = [(a.name, urls[a.path]) for a in ASSETS[cls] if a.kind == "js"]
        el.default_css = [(a.name, urls[a.path]) for a in ASSETS[cls] if a.kind == "css"]
    return m


# --- small custom elements (script macros: they run in st_folium and in a plain file) -----------


class _Script(MacroElement):
    """A piece of JS run after the map is made; ``{map}`` in ``js`` is the map's variable."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this.js.replace('{map}', this._parent.get_name()) }}
        {% endmacro %}
    """)

    def __init__(self, js: str):
        super().__init__()
        self._name = "PhusongScript"
        self.js = js


class _HtmlControl(MacroElement):
    """A Leaflet control holding fixed HTML (legend …); the HTML is passed as a JSON string."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var ctl = L.control({position: {{ this.position|tojson }}});
            ctl.onAdd = function () {
                var div = L.DomUtil.create('div', {{ this.css_class|tojson }});
                div.innerHTML = {{ this.html|tojson }};
                div.setAttribute('style', {{ this.style|tojson }});
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            ctl.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
    """)

    def __init__(self, html_text: str, *, position: str, css_class: str, style: str):
        super().__init__()
        self._name = "PhusongControl"
        self.html = html_text
        self.position = position
        self.css_class = css_class
        self.style = style


class _Banner(MacroElement):
    """A notice centred at the top of the map, above every layer."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function () {
            var div = document.createElement('div');
            div.className = 'phusong-banner';
            div.setAttribute('role', 'note');
            div.setAttribute('style', {{ this.style|tojson }});
            div.textContent = {{ this.text|tojson }};
            {{ this._parent.get_name() }}.getContainer().appendChild(div);
            phusong.clearOfBanner({{ this._parent.get_name() }}, div);  // popups open below it
        })();
        {% endmacro %}
    """)

    _STYLE = (
        "position:absolute;top:8px;left:50%;transform:translateX(-50%);z-index:1000;"
        "max-width:60%;padding:4px 10px;background:#fff3cd;color:#664d03;"
        "border:1px solid #e0b000;border-radius:4px;font:13px/1.3 sans-serif;"
        "text-align:center;pointer-events:none;box-shadow:0 1px 3px rgba(0,0,0,.3)"
    )

    def __init__(self, text: str):
        super().__init__()
        self._name = "PhusongBanner"
        self.text = text
        self.style = self._STYLE


class _PhusongJs(JSCSSMixin, MacroElement):
    """Loads phusong's own map script (:data:`OWN_JS`: labels, hatch clicks, banner); draws
    nothing itself. Its URL is set like the vendored files' (:func:`use_local_assets`)."""

    _template = Template("")
    default_js = [("phusong_map_js", OWN_JS)]

    def __init__(self):
        super().__init__()
        self._name = "PhusongJs"


class _Labels(folium.map.Layer):
    """Commune name labels (a layer in the layer control); the browser shows them in the given
    order and hides any that would overlap one already shown (``phusong.labels``)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = phusong.labels({{ this._parent.get_name() }},
                                                   {{ this.labels|tojson }});
        {% endmacro %}
    """)

    def __init__(self, labels: list, name: str):
        super().__init__(name=name, overlay=True, control=True, show=True)
        self._name = "PhusongLabels"
        self.labels = labels


class _GapLink(MacroElement):
    """A click on a hatched area acts as a click on its commune (same ``properties.code``)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        phusong.linkGaps({{ this.communes.get_name() }}, [
            {%- for g in this.gap_layers %}
            {{ g.get_name() }}{{ "," if not loop.last }}
            {%- endfor %}
        ]);
        {% endmacro %}
    """)

    def __init__(self, communes: folium.GeoJson, gap_layers: list[folium.GeoJson]):
        super().__init__()
        self._name = "PhusongGapLink"
        self.communes = communes
        self.gap_layers = gap_layers


class _LegendPart(MacroElement):
    """The legend's part matching ``selector`` shows only while ``layer`` is on the map."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        phusong.toggleWithLayer({{ this._parent.get_name() }}, {{ this.layer.get_name() }},
                                {{ this.selector|tojson }});
        {% endmacro %}
    """)

    def __init__(self, layer: folium.GeoJson, selector: str):
        super().__init__()
        self._name = "PhusongLegendPart"
        self.layer = layer
        self.selector = selector


# --- geometry helpers ---------------------------------------------------------------------------


def _check_crs(gdf: gpd.GeoDataFrame, what: str) -> None:
    if gdf.crs is None:
        raise PhusongError(
            f"{what} has no CRS; set the UTM CRS it was computed in "
            "(e.g. EPSG:32648) before drawing it"
        )


def _round_coords(geoms: np.ndarray) -> np.ndarray:
    # rounding can make a polygon self-intersect: those are snapped to the grid instead
    return precision.round_valid(geoms, COORD_DECIMALS)


def _to_wgs84(gdf: gpd.GeoDataFrame, what: str, *, coverage: bool = False) -> gpd.GeoSeries:
    """Geometries of ``gdf`` simplified in its metric CRS, then in EPSG:4326, rounded."""
    _check_crs(gdf, what)
    geoms = np.array(gdf.geometry.values, dtype=object)  # a copy: the input stays as it is
    if len(gdf) and not gdf.crs.is_geographic:
        polys = shapely.get_type_id(geoms) >= 3  # (multi)polygons
        if coverage and polys.all():
            try:  # keeps shared borders shared
                geoms = shapely.coverage_simplify(geoms, SIMPLIFY_M)
            except Exception:  # e.g. an invalid coverage: simplify one by one
                geoms = shapely.simplify(geoms, SIMPLIFY_M, preserve_topology=True)
        else:
            shapes = ~np.isin(shapely.get_type_id(geoms), (0, 4))  # all but (multi)points
            if shapes.any():
                geoms[shapes] = shapely.simplify(geoms[shapes], SIMPLIFY_M, preserve_topology=True)
    out = gpd.GeoSeries(geoms, crs=gdf.crs, index=gdf.index).to_crs(4326)
    return gpd.GeoSeries(_round_coords(np.asarray(out.values)), crs=4326, index=gdf.index)


class _FeatureCollection(dict):
    """A GeoJSON FeatureCollection (a plain dict to folium and json) that keeps its own JSON text.

    The map of every rerun embeds the same site collections, and streamlit-folium renders each
    layer twice per rerun; folium's ``tojson`` filter (through :func:`_json_dumps`) encodes each
    collection once. Never modified after it is made.
    """

    @cached_property
    def sorted_json(self) -> str:
        return json.dumps(self, sort_keys=True)

    @cached_property
    def nbytes(self) -> int:
        """Its estimated memory (:func:`geo.cache.estimate_nbytes` of its items), counted once:
        the same outline, district and population collections are part of the map data of
        every analysis, and walking their coordinates took ~12 ms of each new state's rerun."""
        return estimate_nbytes(dict(self))


def _json_dumps(obj, **kwargs) -> str:
    """``json.dumps`` for folium's templates, reusing a collection's own text when it has one."""
    if isinstance(obj, _FeatureCollection) and kwargs == {"sort_keys": True}:
        return obj.sorted_json
    return json.dumps(obj, **kwargs)


# jinja's tojson filter reads this policy at each call; folium's templates share one environment.
folium.GeoJson._template.environment.policies["json.dumps_function"] = _json_dumps


def _split(seq: list, offsets: np.ndarray) -> list[list]:
    bounds = offsets.tolist()
    return [seq[a:b] for a, b in zip(bounds[:-1], bounds[1:])]


def _geometry_dicts(arr: np.ndarray) -> list[dict]:
    """GeoJSON geometry dicts of ``arr`` (none missing or empty): one ragged-array call and list
    slicing, instead of shapely's Python walk over every coordinate (``mapping``)."""
    try:
        kind, coords, offsets = shapely.to_ragged_array(arr)
    except (ValueError, NotImplementedError):  # geometry collections
        return [shapely.geometry.mapping(g) for g in arr]
    xy = coords.tolist()
    if kind == shapely.GeometryType.POINT:
        return [{"type": "Point", "coordinates": p} for p in xy]
    parts = _split(xy, offsets[0])  # rings, lines or multipoint members
    for level in offsets[1:]:
        parts = _split(parts, level)
    names = {
        shapely.GeometryType.MULTIPOINT: "MultiPoint",
        shapely.GeometryType.LINESTRING: "LineString",
        shapely.GeometryType.POLYGON: "Polygon",
        shapely.GeometryType.MULTILINESTRING: "MultiLineString",
        shapely.GeometryType.MULTIPOLYGON: "MultiPolygon",
    }
    out = [{"type": names[kind], "coordinates": p} for p in parts]
    # a mixed array comes back all multi-part: give single parts their own type back
    single = {
        shapely.GeometryType.MULTILINESTRING: "LineString",
        shapely.GeometryType.MULTIPOLYGON: "Polygon",
    }.get(kind)
    if single:
        for g, type_id in zip(out, shapely.get_type_id(arr).tolist()):
            if type_id in (1, 3):
                g["type"], g["coordinates"] = single, g["coordinates"][0]
    return out


def _feature_collection(
    geoms: gpd.GeoSeries, props: list[dict], shapes: list[dict] | None = None
) -> _FeatureCollection:
    """A FeatureCollection with its GeoJSON ``bbox`` (read by :class:`_GeoJson`); ``shapes`` are
    the geometry dicts of the non-empty ``geoms`` when already made (:func:`_outlines`)."""
    arr = np.asarray(geoms.values)
    if len(props) != len(arr):
        raise ValueError(f"{len(props)} property rows for {len(arr)} geometries")
    keep = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
    if shapes is None:
        shapes = _geometry_dicts(arr[keep]) if keep.any() else []
    feats = [
        {"type": "Feature", "id": str(i), "properties": props[i], "geometry": g}
        for i, g in zip(np.flatnonzero(keep).tolist(), shapes, strict=True)
    ]
    fc = _FeatureCollection(type="FeatureCollection", features=feats)
    if feats:
        fc["bbox"] = [float(v) for v in shapely.total_bounds(arr)]
    return fc


class _GeoJson(folium.GeoJson):
    """folium's GeoJson, taking its bounds from the collection's ``bbox`` member: folium would
    walk every coordinate in Python to find them, on every streamlit-folium rerun."""

    def _get_self_bounds(self):
        bbox = self.data.get("bbox") if isinstance(self.data, dict) else None
        if bbox is None:
            return super()._get_self_bounds()
        west, south, east, north = bbox
        return [[south, west], [north, east]]


def _esc(value) -> str:
    """Data as safe HTML text (names and codes are data, never markup)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return html.escape(str(value), quote=True)


def _value_text(row, col: str, lang: str) -> str:
    v = row.get(col)
    if col.endswith("_pct") or col == "gap_score":
        return fmt_number(v, lang, 1)
    if col.endswith("_pop") or col == "population":
        return fmt_number(v, lang, 0)
    if col == "area_km2":
        return fmt_number(v, lang, 2)
    if isinstance(v, (bool, np.bool_)):
        return t("unit.yes" if v else "unit.no", lang)
    return _esc(v)


_POPUP_COLUMNS = (
    "code",
    "area_km2",
    "population",
    "no_4g_pct",
    "no_mobile_pct",
    "no_loudspeaker_pct",
    "no_internet_pct",
    "no_service_pct",
    "at_risk_pct",
    "no_4g_pop",
    "no_mobile_pop",
    "no_loudspeaker_pop",
    "no_internet_pop",
    "no_service_pop",
    "at_risk_pop",
    "c03_required",
    "c03_present",
    "gap_score",
    "gap_rank",
)


def _commune_props(communes: gpd.GeoDataFrame, metric: str, lang: str) -> list[dict]:
    colors = class_colors(
        communes[metric] if metric in communes else [np.nan] * len(communes), metric
    )
    props = []
    for (_, row), fill in zip(communes.iterrows(), colors, strict=True):
        name = _esc(row.get("name"))
        tip = (
            f"<b>{name}</b><br>{_esc(t('metric.' + metric, lang))}: "
            f"{_value_text(row, metric, lang)}"
        )
        rows = "".join(
            f"<tr><th style='text-align:left;font-weight:normal;padding-right:8px'>"
            f"{_esc(t('col.' + c, lang))}</th><td style='text-align:right'>"
            f"{_value_text(row, c, lang)}</td></tr>"
            for c in _POPUP_COLUMNS
            if c in row.index
        )
        props.append(
            {
                "code": _esc(row.get("code")),
                "tip": tip,
                "pop": f"<b>{name}</b><table style='font-size:12px'>{rows}</table>",
                "style": {"fillColor": fill, "color": "#666666", "weight": 1, "fillOpacity": 0.8},
            }
        )
    return props


def _site_tip(layer: str, row, lang: str) -> str:
    if layer == "bts_sites":
        carrier = row.get("carrier")
        carrier_txt = t(f"carrier.{carrier}", lang) if carrier in CARRIERS else carrier
        parts = [
            f"<b>{_esc(carrier_txt)}</b>",
            _esc(str(row.get("technologies", "")).replace(";", ", ")),
        ]
        if "site_id" in row:
            parts.append(f"{_esc(t('col.site_id', lang))}: {_esc(row.get('site_id'))}")
        height = row.get("height_m")
        if height is not None and height == height:  # not NaN
            parts.append(f"{_esc(t('col.height_m', lang))}: {fmt_number(height, lang)}")
    else:
        prefix, kinds = (
            ("loudspeaker", LOUDSPEAKER_KINDS)
            if layer == "loudspeakers"
            else ("internet", INTERNET_KINDS)
        )
        kind = row.get("kind")
        kind_txt = t(f"{prefix}.{kind}", lang) if kind in kinds else kind
        parts = [f"<b>{_esc(kind_txt)}</b>", f"{_esc(t('col.id', lang))}: {_esc(row.get('id'))}"]
        radius = row.get("radius_m") if layer == "loudspeakers" else None
        if radius is not None and radius == radius:  # not NaN
            parts.append(f"{_esc(t('col.radius_m', lang))}: {fmt_number(radius, lang)} m")
    if bool(row.get("illustrative", False)):
        parts.append(f"<i>{_esc(t('col.illustrative', lang))}</i>")
    return "<br>".join(parts)


def _site_style(layer: str, row) -> dict:
    if layer == "bts_sites":
        c = CARRIER_COLORS.get(row.get("carrier"), CARRIER_COLORS["other"])
        return {
            "fillColor": c,
            "color": "#ffffff",
            "weight": 1.5,
            "fill": True,
            "fillOpacity": 0.95,
            "radius": 6,
        }
    if layer == "loudspeakers":
        return {
            "fillColor": LOUDSPEAKER_COLOR,
            "color": LOUDSPEAKER_EDGE,
            "weight": 1.5,
            "fill": True,
            "fillOpacity": 0.95,
            "radius": 4,
        }
    return {
        "fillColor": INTERNET_COLOR,
        "color": INTERNET_EDGE,
        "weight": 1,
        "fill": True,
        "fillOpacity": 0.95,
        "radius": 4,
    }


def _add_proposed(m: folium.Map, analysis, lang: str) -> None:
    """Numbered markers of proposed sites, with the gap each one closes."""
    g = proposed_sites(analysis)
    if g is None:
        return
    pts = _to_wgs84(g, "proposed sites")
    group = folium.FeatureGroup(name=t("plan.proposed", lang))
    for (_, row), pt in zip(g.iterrows(), pts, strict=True):
        rank = int(row["proposed_rank"])
        tip = [f"<b>{_esc(t('plan.proposed_tip', lang).format(rank=rank))}</b>"]
        if "people_new" in row.index and row["people_new"] == row["people_new"]:
            tip.append(f"{_esc(t('plan.people_new', lang))}: {fmt_number(row['people_new'], lang)}")
        if "area_new_km2" in row.index and row["area_new_km2"] == row["area_new_km2"]:
            tip.append(
                f"{_esc(t('plan.area_new', lang))}: {fmt_number(row['area_new_km2'], lang, 2)}"
            )
        icon = folium.DivIcon(
            html=f"<div class='phusong-proposed' style='width:22px;height:22px;border-radius:50%;"
            f"background:{PROPOSED_COLOR};color:#fff;border:2px solid #fff;"
            f"box-shadow:0 0 3px rgba(0,0,0,.6);font:bold 12px/22px sans-serif;"
            f"text-align:center'>{rank}</div>",
            icon_size=(26, 26),
            icon_anchor=(13, 13),
        )
        folium.Marker([pt.y, pt.x], icon=icon, tooltip="<br>".join(tip)).add_to(group)
    group.add_to(m)


HYPOTHETICAL_COLOR = "#e6550d"


def _has_hypothetical(analysis) -> bool:
    return any(
        g is not None and "hypothetical" in g and bool(g["hypothetical"].any())
        for g in analysis.sites.values()
    )


def _add_hypothetical(m: folium.Map, analysis, lang: str) -> None:
    """What-if sites (``geo.analysis.whatif``, rows flagged ``hypothetical``): their reach as a dashed
    circle and a marker with their number, above the ordinary site dot."""
    from geo.analysis import whatif

    if not _has_hypothetical(analysis):  # the usual case: no frame to build
        return
    points = whatif.hypothetical_points(analysis)
    group = folium.FeatureGroup(name=t("whatif.map_layer", lang))
    discs = whatif.footprints(analysis)
    if len(discs):
        props = [
            {
                "tip": f"<b>{_esc(r['site_id'])}</b> ({_esc(t('whatif.tag', lang))})<br>"
                f"{_esc(t('col.radius_m', lang))}: {fmt_number(r['radius_m'], lang)}",
                "style": {
                    "color": HYPOTHETICAL_COLOR,
                    "weight": 2,
                    "dashArray": "6 4",
                    "fillColor": HYPOTHETICAL_COLOR,
                    "fillOpacity": 0.12,
                },
            }
            for r in pd.DataFrame(discs.drop(columns="geometry")).to_dict("records")
        ]
        _GeoJson(
            _feature_collection(_to_wgs84(discs, "what-if reach"), props),
            pane="phusong_gaps",
            tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        ).add_to(group)
    for sid, layer, pt in zip(
        points["site_id"], points["layer"], _to_wgs84(points, "what-if sites"), strict=True
    ):
        number = _esc(sid.removeprefix(whatif.ID_PREFIX))
        icon = folium.DivIcon(
            html=f"<div class='phusong-whatif' style='width:20px;height:20px;"
            f"background:{HYPOTHETICAL_COLOR};color:#fff;border:2px dashed #fff;"
            f"box-shadow:0 0 3px rgba(0,0,0,.6);font:bold 11px/20px sans-serif;"
            f"text-align:center;transform:rotate(45deg)'>"
            f"<span style='display:inline-block;transform:rotate(-45deg)'>{number}</span></div>",
            icon_size=(24, 24),
            icon_anchor=(12, 12),
        )
        folium.Marker(
            [pt.y, pt.x],
            icon=icon,
            tooltip=f"<b>{_esc(sid)}</b> ({_esc(t('whatif.tag', lang))})<br>"
            f"{_esc(t('layer.' + layer, lang))}",
        ).add_to(group)
    group.add_to(m)


def _has_villages(analysis) -> bool:
    settlements = getattr(analysis, "settlements", None)
    return settlements is not None and len(settlements) > 0


def _village_collection(analysis, lang: str) -> "_FeatureCollection":
    """Village markers (:func:`geo.analysis.villages.village_table`): styled by mobile signal, the tooltip
    naming the village, its commune, people and the channels that reach it."""
    from geo.analysis import villages

    table = villages.village_table(analysis)
    layers = villages.channel_columns(analysis)
    mobile = [
        c for c in layers if c not in ("mobile_covered", "loudspeaker_covered", "internet_access")
    ]
    yes_no = {True: t("unit.yes", lang), False: t("unit.no", lang)}
    rows = pd.DataFrame(table.drop(columns="geometry")).to_dict("records")
    props = []
    for r in rows:
        known = not pd.isna(r["no_mobile"])
        key = "unknown" if not known else ("lom_song" if r["no_mobile"] else "covered")
        tip = [
            f"<b>{_esc(r['name'])}</b>" + (f" ({_esc(r['commune'])})" if r["commune"] else ""),
            f"{_esc(t('village.population', lang))}: {fmt_number(r['population'], lang)}",
        ]
        if known:
            reached = [t(f"village.{c}", lang) for c in mobile if r[c]]
            tip.append(
                f"<b>{_esc(t('village.no_mobile', lang))}</b>"
                if r["no_mobile"]
                else f"{_esc(t('village.mobile_covered', lang))}: {_esc(', '.join(reached))}"
            )
            tip.append(
                f"{_esc(t('village.loudspeaker_covered', lang))}: "
                f"{_esc(yes_no[bool(r['loudspeaker_covered'])])}"
            )
        for col in ("internet_distance_m", "internet_walk_min"):  # walking: terrain model only
            if math.isfinite(r.get(col, math.nan)):
                tip.append(f"{_esc(t(f'village.{col}', lang))}: {fmt_number(r[col], lang)}")
        fill, edge = VILLAGE_STYLE[key]
        props.append(
            {
                "tip": "<br>".join(tip),
                "style": {
                    "fillColor": fill,
                    "color": edge,
                    "weight": 1.5,
                    "fill": True,
                    "fillOpacity": 0.95,
                    "radius": 4,
                },
            }
        )
    return _feature_collection(_to_wgs84(table, "settlements"), props)


# --- legend -------------------------------------------------------------------------------------


def _swatch(
    fill: str,
    *,
    border: str = "#666",
    opacity: float = 1.0,
    round_: bool = False,
    dashed: bool = False,
) -> str:
    radius = "50%" if round_ else "2px"
    style = "dashed" if dashed else "solid"
    return (
        f"<span style='display:inline-block;width:12px;height:12px;margin-right:6px;"
        f"vertical-align:-2px;background:{fill};opacity:{opacity};border:1px {style} {border};"
        f"border-radius:{radius}'></span>"
    )


def legend_html(
    analysis, *, metric: str, lang: str, show_gaps: tuple[str, ...], colocated: bool = False
) -> str:
    """The legend as HTML (every data-derived text escaped); ``colocated``: some markers are
    stacked as rings (:func:`_site_collections`), which the legend then explains."""
    head = "<div style='font-weight:bold;margin:6px 0 4px'>{}</div>"
    rows = [head.format(_esc(t("metric." + metric, lang)))]
    for color, label in zip(CLASS_COLORS, class_labels(metric, lang), strict=True):
        rows.append(f"<div>{_swatch(color)}{_esc(label)}</div>")
    if metric in analysis.communes and analysis.communes[metric].isna().any():
        rows.append(f"<div>{_swatch(NO_DATA_COLOR)}{_esc(t('map.no_data', lang))}</div>")
    if show_gaps:
        rows.append(head.format(_esc(t("layer.gaps", lang))))
        for kind in show_gaps:
            c, angle = GAP_COLORS[kind], 90 + GAP_HATCH_ANGLE[kind]
            hatch = f"repeating-linear-gradient({angle}deg,{c} 0 1.5px,transparent 1.5px 5px)"
            rows.append(
                f"<div>{_swatch(hatch, border=c, dashed=True)}{_esc(t('gap.' + kind, lang))}</div>"
            )
    if getattr(analysis, "population", None) is not None:
        # shown by phusong.toggleWithLayer while the population layer is on (off at first)
        pop = [head.format(_esc(t("map.population_legend", lang)))]
        pop += [
            f"<div>{_swatch(color, opacity=POPULATION_OPACITY)}{_esc(label)}</div>"
            for color, label in zip(
                POPULATION_COLORS, edge_labels(POPULATION_BINS, lang), strict=True
            )
        ]
        rows.append(
            f"<div class='phusong-legend-population' style='display:none'>{''.join(pop)}</div>"
        )
    bts = analysis.sites.get("bts_sites")
    if bts is not None and len(bts):
        rows.append(head.format(_esc(t("layer.bts_sites", lang))))
        present = set(bts["carrier"]) if "carrier" in bts else set()
        for carrier, color in CARRIER_COLORS.items():
            if carrier in present:
                rows.append(
                    f"<div>{_swatch(color, border='#fff', round_=True)}"
                    f"{_esc(t('carrier.' + carrier, lang))}</div>"
                )
    for layer, color, border in (
        ("loudspeakers", LOUDSPEAKER_COLOR, LOUDSPEAKER_EDGE),
        ("internet_points", INTERNET_COLOR, INTERNET_EDGE),
    ):
        g = analysis.sites.get(layer)
        if g is not None and len(g):
            rows.append(
                f"<div style='margin-top:4px'>{_swatch(color, border=border, round_=True)}"
                f"{_esc(t('layer.' + layer, lang))}</div>"
            )
    if _has_villages(analysis):
        for key, label in (
            ("covered", "village.covered_marker"),
            ("lom_song", "village.lom_song_marker"),
        ):
            fill, edge = VILLAGE_STYLE[key]
            rows.append(
                f"<div style='margin-top:4px'>{_swatch(fill, border=edge, round_=True)}"
                f"{_esc(t(label, lang))}</div>"
            )
    if colocated:
        ring = (
            f"<span style='display:inline-block;width:8px;height:8px;margin:0 8px 0 2px;"
            f"vertical-align:-1px;background:{CARRIER_COLORS['Viettel']};border-radius:50%;"
            f"box-shadow:0 0 0 1.5px #fff,0 0 0 4px {LOUDSPEAKER_COLOR},"
            f"0 0 0 5px {LOUDSPEAKER_EDGE}'></span>"
        )
        rows.append(f"<div style='margin-top:4px'>{ring}{_esc(t('map.colocated', lang))}</div>")
    if proposed_sites(analysis) is not None:
        rows.append(
            f"<div style='margin-top:4px'>{_swatch(PROPOSED_COLOR, border='#fff', round_=True)}"
            f"{_esc(t('plan.proposed', lang))}</div>"
        )
    if _has_hypothetical(analysis):
        rows.append(
            f"<div style='margin-top:4px'>"
            f"{_swatch(HYPOTHETICAL_COLOR, border='#fff', dashed=True)}"
            f"{_esc(t('whatif.map_layer', lang))}</div>"
        )
    return "".join(rows)


# --- the map ------------------------------------------------------------------------------------


def _set_ids(m: folium.Map) -> None:
    """Give every element a deterministic 32-hex id (folium uses random uuids)."""
    for i, el in enumerate(_walk(m.get_root())):
        el._id = hashlib.sha256(f"phusong-map-{i}".encode()).hexdigest()[:32]


# Map data per analysis and view (metric, language, gap kinds): an analysis is never modified,
# so its views stay valid while it lives; kept here, not on the analysis, bounded and locked.
_MAP_DATA = IdentityCache(max_entries=32, max_bytes=256e6)


def _memo(analysis, key: tuple, build):
    """``build()`` once per live analysis and key."""
    return _MAP_DATA.get((analysis,), key, build)


# Site layers stay the same frames while only radii change, so their map data is made once.
_SITE_DATA = IdentityCache(max_entries=64)

# Site layers from the bottom of the drawing to the top (each in its own pane, so the order
# survives layer toggling): the few BTS sites stay on top of the many loudspeakers, which often
# share their position (a commune radio station beside a Viettel mast).
SITE_STACK: tuple[str, ...] = ("loudspeakers", "internet_points", "bts_sites")
RING_PX = 3  # a marker under another one at the same position is this much wider: a ring
_TIP_SEPARATOR = "<hr style='margin:3px 0;border:0;border-top:1px solid #bbb'>"


def _site_pane(layer: str) -> str:
    return f"phusong_{layer}"


def _site_collections(sites: dict, lang: str) -> list[tuple[str, "_FeatureCollection"]]:
    """The site layers' GeoJSON (in :data:`SITE_LAYERS` order), every site drawn.

    Sites at the same drawn position (coordinates rounded to :data:`COORD_DECIMALS`) are stacked:
    the topmost (BTS over internet points over loudspeakers, then row order) keeps its size, each
    one below is :data:`RING_PX` wider than the one above, so it shows as a ring around it; each
    marker's tooltip lists every site at its position, so hovering any ring names them all.
    """
    parts = {}
    for layer in SITE_LAYERS:
        g = sites.get(layer)
        if g is None or not len(g):
            continue
        g = g[~(g.geometry.isna() | g.geometry.is_empty)]
        rows = pd.DataFrame(g.drop(columns=g.geometry.name)).to_dict("records")  # fast rows
        parts[layer] = (_to_wgs84(g, layer), rows)
    stacks: dict[tuple[float, float], list[tuple[str, int]]] = {}  # position -> top first
    for layer in reversed(SITE_STACK):
        if layer in parts:
            pts = parts[layer][0]
            for i, xy in enumerate(zip(pts.x.tolist(), pts.y.tolist())):
                stacks.setdefault(xy, []).append((layer, i))
    tips, radius, depth = {}, {}, {}
    for stack in stacks.values():
        tip = _TIP_SEPARATOR.join(_site_tip(layer, parts[layer][1][i], lang) for layer, i in stack)
        r = 0.0
        for d, (layer, i) in enumerate(stack):
            base = _site_style(layer, parts[layer][1][i])["radius"]
            r = base if d == 0 else max(base, r + RING_PX)
            tips[layer, i], radius[layer, i], depth[layer, i] = tip, r, d
    out = []
    for layer, (pts, rows) in parts.items():
        order = sorted(range(len(rows)), key=lambda i: -depth[layer, i])  # rings drawn first
        props = [
            {
                "tip": tips[layer, i],
                "style": {**_site_style(layer, rows[i]), "radius": radius[layer, i]},
            }
            for i in order
        ]
        out.append((layer, _feature_collection(pts.iloc[order], props)))
    return out


# Commune outlines by content, shared by every session (bounded, locked: one session evicting an
# entry never breaks another's lookup).
_OUTLINES = BoundedCache(max_entries=16, max_bytes=64e6)


def _label_points(communes: gpd.GeoDataFrame) -> list[tuple[int, float, float]]:
    """Where each commune's name goes: (row position, lat, lon) in label priority order (larger
    communes first, ties by row). The point is the pole of inaccessibility of the commune's
    largest part (found to 1/50 of its size, in the data's CRS), so the name sits well inside."""
    rows, points = [], []
    for i, g in enumerate(communes.geometry.values):
        if g is None or g.is_empty:
            continue
        part = max(getattr(g, "geoms", [g]), key=lambda q: q.area)
        if part.geom_type != "Polygon" or part.area <= 0:
            continue
        rows.append(i)
        try:
            points.append(polylabel(part, tolerance=math.sqrt(part.area) / 50))
        except Exception:  # e.g. an invalid ring: any point inside will do
            points.append(part.representative_point())
    if not rows:
        return []
    wgs = _round_coords(np.asarray(gpd.GeoSeries(points, crs=communes.crs).to_crs(4326).values))
    area = shapely.area(communes.geometry.values[rows])
    order = sorted(range(len(rows)), key=lambda k: (-area[k], rows[k]))
    return [(rows[k], float(wgs[k].y), float(wgs[k].x)) for k in order]


def _outlines(
    communes: gpd.GeoDataFrame,
) -> tuple[gpd.GeoSeries, list[dict], "_FeatureCollection", list[tuple[int, float, float]]]:
    """Commune shapes for the map (EPSG:4326, and as GeoJSON geometries), the district
    outline and the label points (:func:`_label_points`), kept by content: every analysis of the
    same communes (any radius, filter or model) draws the same shapes."""
    _check_crs(communes, "communes")
    key = (
        hashlib.sha1(b"".join(shapely.to_wkb(communes.geometry.values))).hexdigest(),
        communes.crs.to_string(),
        tuple(communes.index),
    )

    def build() -> tuple:
        geoms = _to_wgs84(communes, "communes", coverage=True)
        arr = np.asarray(geoms.values)
        keep = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
        district = gpd.GeoDataFrame(  # union of the communes, in the metric CRS
            geometry=[shapely.union_all(communes.geometry.values).boundary], crs=communes.crs
        )
        return (
            geoms,
            _geometry_dicts(arr[keep]) if keep.any() else [],
            _feature_collection(
                _to_wgs84(district, "district"),
                [{"style": {"color": "#333333", "weight": 2.5, "fill": False}}],
            ),
            _label_points(communes),
        )

    return _OUTLINES.get_or_build(key, build)


# The population layer depends only on the grid and the communes' shapes: made once per dataset
# and vintage, whatever the radii, filters, metric or language.
_POPULATION = IdentityCache(max_entries=16, max_bytes=64e6)


def population_layer(analysis) -> "_FeatureCollection | None":
    """Where people live, for the map: the population grid's cells cut to the communes, merged
    per class of people per km² (:data:`POPULATION_BINS`, :func:`geo.io.population.density_classes`),
    as GeoJSON in EPSG:4326 with each feature's style; None without a grid or with nobody on it."""
    grid = getattr(analysis, "population", None)
    if grid is None:
        return None
    communes = analysis.communes
    _check_crs(communes, "communes")
    key = (
        hashlib.sha1(b"".join(shapely.to_wkb(communes.geometry.values))).hexdigest(),
        communes.crs.to_string(),
    )

    def build():
        from geo.io.population import density_classes

        classes = density_classes(grid, communes, POPULATION_BINS)
        if not len(classes):
            return None
        props = [
            {
                "klass": int(k),
                "style": {
                    "stroke": False,
                    "fillColor": POPULATION_COLORS[k],
                    "fillOpacity": POPULATION_OPACITY,
                },
            }
            for k in classes["klass"]
        ]
        return _feature_collection(_to_wgs84(classes, "population"), props)

    return _POPULATION.get((grid,), key, build)


def population_attribution(analysis, lang: str = "vi") -> tuple[str, str]:
    """The credit shown while the population layer is on, short and in full (on hover): for the
    folder's own grid (``population.tif``) the dataset's source line naming WorldPop (e.g.
    "Population: WorldPop …, CC BY 4.0", short "Population: WorldPop, CC BY 4.0"), else the
    grid's file name."""
    grid = analysis.population
    if grid.name.startswith("population."):
        for source in analysis.sources:
            text = i18n.localized(source, lang)
            if "worldpop" in text.lower():
                licence = ", CC BY 4.0" if "CC BY 4.0" in text else ""
                return t("map.population_worldpop", lang) + licence, text
    text = t("map.population_file", lang).format(name=grid.name)
    return text, text


def _population_credit(analysis, lang: str) -> str:
    """The population layer's attribution HTML: the short credit, the full line on hover (a long
    line would cover the scale bar)."""
    short, full = population_attribution(analysis, lang)
    if short == full:
        return _esc(short)
    return (
        f'<span title="{_esc(full)}" style="cursor:help;border-bottom:1px dotted">'
        f"{_esc(short)}</span>"
    )


def _map_data(analysis, *, metric: str, lang: str, show_gaps: tuple[str, ...]) -> dict:
    """The data of a map (GeoJSON in EPSG:4326, styles, legend): the costly, state-free part of
    :func:`build_map`, computed once per analysis and view."""
    communes = analysis.communes
    geoms, shapes, district, label_points = _outlines(communes)
    props = _commune_props(communes, metric, lang)
    styles = {str(i): p.pop("style") for i, p in enumerate(props)}
    gap_layers = []
    gaps = analysis.gap_polygons(tuple(show_gaps))
    for kind in show_gaps:
        sel = gaps[gaps["gap"] == kind] if len(gaps) else gaps
        sel = sel[~(sel.geometry.isna() | sel.geometry.is_empty)] if len(sel) else sel
        if not len(sel):
            continue
        color = GAP_COLORS[kind]
        # one piece per commune, with its code: a click here selects the commune (app.py reads
        # properties.code of the clicked feature), and the tooltip names it
        gap_props = [
            {
                "code": _esc(r.get("code")),
                "name": _esc(r.get("name")),
                "tip": f"<b>{_esc(r.get('name'))}</b><br>{_esc(t('gap.' + kind, lang))}: "
                f"{fmt_number(r.get('area_km2'), lang, 2)} km²",
                "style": {
                    "color": color,
                    "weight": 1.2,
                    "dashArray": "4 3",
                    "fillColor": f"url(#phusong-hatch-{kind})",
                    "fillOpacity": 1.0,
                },
            }
            for r in pd.DataFrame(sel.drop(columns=sel.geometry.name)).to_dict("records")
        ]
        gap_layers.append((kind, _feature_collection(_to_wgs84(sel, "gaps"), gap_props)))
    present = tuple(
        layer
        for layer in SITE_LAYERS
        if analysis.sites.get(layer) is not None and len(analysis.sites[layer])
    )
    site_layers = _SITE_DATA.get(
        tuple(analysis.sites[layer] for layer in present),
        ("sites", present, lang),
        lambda: _site_collections({layer: analysis.sites[layer] for layer in present}, lang),
    )
    villages = _village_collection(analysis, lang) if _has_villages(analysis) else None
    names = communes["name"].tolist()
    labels = [
        [lat, lon, str(names[i])]
        for i, lat, lon in label_points
        if names[i] is not None and names[i] == names[i]
    ]  # not missing
    return {
        "bounds": tuple(float(v) for v in geoms.total_bounds),
        "communes": _feature_collection(geoms, props, shapes),
        "commune_styles": styles,
        "district": district,
        "gaps": gap_layers,
        "sites": site_layers,
        "labels": labels,
        "population": population_layer(analysis),
        "villages": villages,
        "legend": legend_html(
            analysis,
            metric=metric,
            lang=lang,
            show_gaps=show_gaps,
            colocated=any(
                _TIP_SEPARATOR in f["properties"]["tip"]
                for _, fc in site_layers
                for f in fc["features"]
            ),
        ),
    }


# Field readings (geo.analysis.agreement): what they say, and a red ring where the model disagrees.
SERVICE_COLOURS = {"yes": "#1a9850", "weak": "#f4a300", "no": "#5b5b5b"}
DISAGREE_COLOUR = "#d73027"


def add_readings(m: folium.Map, readings, lang: str, *, pane: str | None = None) -> None:
    """Draw field readings (WGS 84; columns carrier, technology, service yes/weak/no, agrees:
    :attr:`geo.analysis.agreement.Comparison.readings`) on ``m``: a dot coloured by what each
    says (:data:`SERVICE_COLOURS`) and a red ring on each disagreement, as two layers of the
    layer control, in ``pane`` if given."""
    points = readings[["carrier", "technology", "service", "agrees", "geometry"]].copy()
    points["agrees"] = points["agrees"].astype(bool)
    points["what"] = [
        f"{c} {tech}: {t('field.service_' + sv, lang)}"
        + ("" if a else f" — {t('field.disagreement', lang)}")
        for c, tech, sv, a in zip(
            points["carrier"], points["technology"], points["service"], points["agrees"]
        )
    ]

    def marker(radius: int) -> folium.CircleMarker:
        out = folium.CircleMarker(radius=radius, fill=True)
        if pane is not None:
            out.options["pane"] = pane  # folium's CircleMarker drops a pane argument
        return out

    disagree = points[~points["agrees"]]
    if len(disagree):
        folium.GeoJson(
            disagree[["geometry"]].to_json(),
            name=t("field.disagreement", lang),
            marker=marker(8),
            style_function=lambda f: {"color": DISAGREE_COLOUR, "weight": 2.5, "fill": False},
        ).add_to(m)
    folium.GeoJson(
        points[["service", "what", "geometry"]].to_json(),
        name=t("field.readings_layer", lang),
        marker=marker(4),
        style_function=lambda f: {
            "color": "#fff",
            "weight": 0.6,
            "fill": True,
            "fillOpacity": 0.9,
            "fillColor": SERVICE_COLOURS[f["properties"]["service"]],
        },
        tooltip=folium.GeoJsonTooltip(["what"], labels=False),
    ).add_to(m)


def readings_legend_rows(lang: str) -> list[str]:
    """Legend lines (HTML) for :func:`add_readings`' colours and rings."""
    rows = [
        f"<span style='display:inline-block;width:10px;height:10px;border-radius:5px;"
        f"background:{colour}'></span> {_esc(t(f'field.service_{service}', lang))}"
        for service, colour in SERVICE_COLOURS.items()
    ]
    rows.append(
        f"<span style='display:inline-block;width:10px;height:10px;border-radius:6px;"
        f"border:2px solid {DISAGREE_COLOUR}'></span> "
        f"{_esc(t('field.disagreement', lang))}"
    )
    return rows


def build_map(
    analysis,
    *,
    metric: str,
    lang: str = "vi",
    show_gaps: tuple[str, ...] = ("no_4g",),
    tiles: bool = False,
    asset_base_url: str | None = None,
    readings=None,
) -> folium.Map:
    """Folium map of ``analysis``: communes coloured by ``metric``, uncovered areas, sites, legend.

    Parameters
    ----------
    analysis : a :class:`geo.analysis.gaps.GapAnalysis` (tables in a metric CRS; projected here only).
    metric : one of :data:`MAP_METRICS`.
    lang : "vi" or "en", for every label.
    show_gaps : uncovered-area kinds (``geo.settings.GAP_KINDS``) drawn over the communes.
    tiles : also offer an OpenStreetMap tile layer (needs internet; off means no request at all).
    asset_base_url : where the browser gets Leaflet and plugins; None = inline ``data:`` URIs
        (see :func:`asset_urls`).
    readings : field readings to draw (:func:`add_readings`, WGS 84), in their own pane between
        the uncovered areas and the sites; None = none.

    The same arguments always give byte-identical HTML (deterministic element ids).
    """
    check_choice("metric", metric, MAP_METRICS)
    check_choice("lang", lang, LANGS)
    show_gaps = tuple(check_choice("show_gaps", g, GAP_KINDS) for g in show_gaps)
    communes = analysis.communes
    if len(communes) == 0:
        raise PhusongError("the analysis has no communes to draw")

    data = _memo(
        analysis,
        ("map_data", metric, lang, show_gaps),
        lambda: _map_data(analysis, metric=metric, lang=lang, show_gaps=show_gaps),
    )
    west, south, east, north = data["bounds"]
    m = folium.Map(
        location=[(south + north) / 2, (west + east) / 2],
        zoom_start=11,
        tiles=None,
        control_scale=False,
        prefer_canvas=False,
    )
    folium.Figure().add_child(m)
    m.add_child(_PhusongJs())
    m.add_child(
        _Script(
            "{map}.getContainer().style.background = '#f4f4f0';"
            "{map}.attributionControl.setPrefix('Leaflet');"
            "L.control.scale({imperial: false, position: 'bottomleft'}).addTo({map});"
        )
    )
    # own panes above Leaflet's overlay pane (400): the drawing order survives layer toggling
    for name, z, events in (
        ("phusong_communes", 410, True),
        ("phusong_population", 412, False),
        ("phusong_district", 415, False),
        ("phusong_gaps", 420, True),
        ("phusong_sites", 430, True),
    ) + ((("phusong_readings", 425, True),) if readings is not None else ()):
        folium.map.CustomPane(name, z_index=z, pointer_events=events).add_to(m)
    # one pane per site layer inside the sites pane, stacked as SITE_STACK says
    m.add_child(
        _Script(
            "".join(
                f"{{map}}.createPane({_js_string(_site_pane(layer))}, {{map}}.getPane('phusong_sites'))"
                f".style.zIndex = {z};"
                for z, layer in enumerate(SITE_STACK, 1)
            )
        )
    )

    if tiles:
        folium.TileLayer(
            "OpenStreetMap",
            name=t("layer.osm", lang),
            overlay=True,
            control=True,
            show=True,
            attr="© OpenStreetMap contributors",
        ).add_to(m)

    # communes (style through style_function: resetStyle after a highlight needs it)
    styles = data["commune_styles"]
    communes_layer = _GeoJson(
        data["communes"],
        name=t("layer.communes", lang),
        pane="phusong_communes",
        style_function=lambda f: styles[f["id"]],
        highlight_function=lambda f: {"weight": 3, "color": "#222222"},
        tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False, sticky=True),
        popup=folium.GeoJsonPopup(fields=["pop"], labels=False, max_width=360),
    ).add_to(m)
    if data["population"] is not None:  # off at first: a toggle in the layer control
        population = _GeoJson(
            data["population"],
            name=t("layer.population", lang),
            pane="phusong_population",
            show=False,
            interactive=False,
            attribution=_population_credit(analysis, lang),
        ).add_to(m)
        m.add_child(_LegendPart(population, ".phusong-legend-population"))
    _GeoJson(data["district"], name=t("layer.district", lang), pane="phusong_district").add_to(m)

    # uncovered areas of the chosen kinds: SVG hatch patterns with a dashed edge
    m.add_child(_Script(_hatch_defs_js(show_gaps)))
    gap_layers = [
        _GeoJson(
            fc,
            name=t("gap." + kind, lang),
            pane="phusong_gaps",
            tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        ).add_to(m)
        for kind, fc in data["gaps"]
    ]
    if gap_layers:
        m.add_child(_GapLink(communes_layer, gap_layers))
    if data["labels"]:
        m.add_child(_Labels(data["labels"], t("layer.labels", lang)))

    # sites as small circle markers (no icon fonts needed)
    for layer, fc in data["sites"]:
        marker = folium.CircleMarker(radius=5, fill=True)
        marker.options["pane"] = _site_pane(layer)  # folium's CircleMarker drops a pane argument
        _GeoJson(
            fc,
            name=t("layer." + layer, lang),
            marker=marker,
            tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        ).add_to(m)

    if data["villages"] is not None:  # under the sites, in their pane: sites stay clickable
        m.add_child(
            _Script(
                "{map}.createPane('phusong_villages', {map}.getPane("
                "'phusong_sites')).style.zIndex = 0;"
            )
        )
        marker = folium.CircleMarker(radius=4, fill=True)
        marker.options["pane"] = "phusong_villages"
        _GeoJson(
            data["villages"],
            name=t("village.layer", lang),
            marker=marker,
            tooltip=folium.GeoJsonTooltip(fields=["tip"], labels=False),
        ).add_to(m)

    _add_proposed(m, analysis, lang)
    _add_hypothetical(m, analysis, lang)
    legend = data["legend"]
    if readings is not None:
        add_readings(m, readings, lang, pane="phusong_readings")
        legend += (
            "<div class='phusong-legend-readings' style='margin-top:4px'><b>"
            + _esc(t("field.readings_layer", lang))
            + "</b><br>"
            + "<br>".join(readings_legend_rows(lang))
            + "</div>"
        )

    m.add_child(_Script("phusong.legendGivesWay({map});"))  # popups stay readable under it
    m.add_child(
        _HtmlControl(
            legend,
            position="bottomright",
            css_class="phusong-legend",
            style="background:rgba(255,255,255,.92);padding:6px 8px;border-radius:4px;"
            "font:12px/1.4 sans-serif;box-shadow:0 1px 4px rgba(0,0,0,.3);max-width:260px",
        )
    )
    # The full source lines are long: the attribution shows a short label, the lines on hover.
    sources = " · ".join(_esc(i18n.localized(s, lang)) for s in analysis.sources)
    if sources:
        # a dotted underline, not an "ⓘ" glyph: common Linux fonts lack it (an empty box)
        label = (
            f'<span title="{sources}" style="cursor:help;border-bottom:1px dotted">'
            f"{_esc(t('map.sources', lang))}</span>"
        )
        m.add_child(_Script("{map}.attributionControl.addAttribution(" + _js_string(label) + ");"))
    if analysis.illustrative:
        m.add_child(_Banner(t("notice.illustrative", lang)))

    folium.plugins.Fullscreen(
        position="topleft",
        title=t("map.fullscreen", lang),
        title_cancel=t("map.exit_fullscreen", lang),
    ).add_to(m)
    folium.plugins.MeasureControl(
        position="topleft",
        primary_length_unit="kilometers",
        secondary_length_unit="meters",
        primary_area_unit="hectares",
        secondary_area_unit="sqmeters",
    ).add_to(m)
    folium.LayerControl(collapsed=True, position="topright").add_to(m)
    m.fit_bounds([[south, west], [north, east]])

    use_local_assets(m, asset_base_url)
    _set_ids(m)
    return m


def _hatch_defs_js(kinds: tuple[str, ...]) -> str:
    """JS adding a hidden SVG with one hatch <pattern> per gap kind (``fill: url(#…)``)."""
    patterns = "".join(
        f"<pattern id='phusong-hatch-{k}' patternUnits='userSpaceOnUse' width='7' height='7' "
        f"patternTransform='rotate({GAP_HATCH_ANGLE[k]})'>"
        f"<rect width='7' height='7' fill='{GAP_COLORS[k]}' fill-opacity='0.12'/>"
        f"<line x1='0' y1='0' x2='0' y2='7' stroke='{GAP_COLORS[k]}' stroke-width='2.2' "
        f"stroke-opacity='0.85'/></pattern>"
        for k in kinds
    )
    svg = (
        f"<svg width='0' height='0' aria-hidden='true' "
        f"style='position:absolute;width:0;height:0'><defs>{patterns}</defs></svg>"
    )
    return (
        "(function () { var d = document.createElement('div'); d.innerHTML = "
        + _js_string(svg)
        + "; {map}.getContainer().appendChild(d.firstChild); })();"
    )


def _js_string(s: str) -> str:
    """``s`` as a JS string literal safe inside a <script> element."""
    return (
        json.dumps(s, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )


# --- one self-contained HTML file ---------------------------------------------------------------

_SCRIPT_TAG = re.compile(r'<script src="(?P<url>[^"]*)"></script>')
_LINK_TAG = re.compile(r'<link rel="stylesheet" href="(?P<url>[^"]*)"/>')
_EXTERNAL = re.compile(
    r"""(?:\bsrc|\bhref)\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|url\(\s*["']?\s*(?:https?:)?//""",
    re.IGNORECASE,
)


def _inline_tag(kind: str, url: str) -> str:
    prefix = _PLACEHOLDER + "/"
    if not url.startswith(prefix):
        raise PhusongError(f"map loads a resource that is not vendored: {url}")
    text = asset_text(url[len(prefix) :])
    if kind == "js":
        return "<script>" + re.sub(r"</(script)", r"<\\/\1", text, flags=re.I) + "</script>"
    return "<style>" + re.sub(r"</(style)", r"<\\/\1", text, flags=re.I) + "</style>"


def to_html(m: folium.Map) -> str:
    """The map as ONE self-contained HTML page: Leaflet, plugins, CSS and images inlined.

    Raises :class:`PhusongError` if anything would still be loaded from elsewhere (an element
    with non-vendored assets, or a ``src``/``href``/``url()`` pointing at a web address).
    """
    saved = [
        (el, el.__dict__.get("default_js"), el.__dict__.get("default_css"))
        for el in _walk(m)
        if isinstance(el, JSCSSMixin)
    ]
    root = m.get_root()
    # rendering adds every element's JS to root.script under the element's name; folium makes
    # some elements (a layer's addTo call) anew with a random name at each render, so start empty
    root.script._children.clear()
    try:
        use_local_assets(m, _PLACEHOLDER)
        page = root.render()
    finally:
        for el, js, css in saved:
            for attr, val in (("default_js", js), ("default_css", css)):
                if val is None:
                    el.__dict__.pop(attr, None)
                else:
                    setattr(el, attr, val)
    page = _SCRIPT_TAG.sub(lambda mt: _inline_tag("js", mt.group("url")), page)
    page = _LINK_TAG.sub(lambda mt: _inline_tag("css", mt.group("url")), page)
    outside_code = re.sub(r"<(script|style)\b[^>]*>.*?</\1>", "", page, flags=re.S | re.I)
    hit = _EXTERNAL.search(outside_code) or _EXTERNAL.search(
        "".join(re.findall(r"<style\b[^>]*>(.*?)</style>", page, flags=re.S | re.I))
    )
    if hit:
        raise PhusongError(f"the map HTML still references the web: {hit.group(0)!r}")
    return page
