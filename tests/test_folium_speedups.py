"""geo.render.folium_speedups: jinja skipped for jinja-free texts, compiled templates shared: the
same output, in less time."""

from __future__ import annotations

import jinja2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit_folium import generate_leaflet_string

from geo.render import folium_speedups, maps

try:
    from maps_fixture import synthetic_analysis
except ImportError:  # tests/ made a package
    from .maps_fixture import synthetic_analysis


@given(st.text(alphabet="{}%#\r\n ab\"'<>é", max_size=40))
@settings(max_examples=400, deadline=None)
def test_verbatim_renders_what_jinja_renders(source):
    if not folium_speedups.is_verbatim(source):
        return
    assert folium_speedups.VerbatimTemplate(source).render(this=None, kwargs={}) == jinja2.Template(
        source
    ).render(this=None, kwargs={})


@pytest.mark.parametrize(
    "source, verbatim",
    [
        ('var a = {"x": 1};\n', True),
        ("a {{ b }}", False),
        ("{% if x %}", False),
        ("{# note #}", False),
        ("line\r\nline", False),
        ("{ {", True),
        ("", True),
    ],
)
def test_which_sources_skip_jinja(source, verbatim):
    assert folium_speedups.is_verbatim(source) is verbatim


def _outputs() -> tuple[str, str]:
    analysis = synthetic_analysis(n_bts=40)
    m = maps.build_map(analysis, metric="no_4g_pct", lang="vi", show_gaps=("no_4g", "no_service"))
    page = maps.to_html(m)
    m = maps.build_map(analysis, metric="no_4g_pct", lang="vi", show_gaps=("no_4g", "no_service"))
    m.render()
    return page, generate_leaflet_string(m)


@pytest.fixture
def installed():
    """The shims installed for one test, then removed (importing geo.render.maps installs nothing)."""
    assert folium_speedups.install()
    yield
    folium_speedups.uninstall()


def test_importing_maps_installs_nothing():
    import subprocess
    import sys

    code = (
        "import branca.element, geo.render.maps, geo.render.export; "
        "print(branca.element.Element.__init__.__module__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "branca.element"


def test_refused_on_versions_it_was_not_tested_with():
    assert folium_speedups.untested_versions({"folium": "0.20.0", "branca": "0.8.2"}) == []
    assert folium_speedups.untested_versions({"folium": "0.21.1", "branca": "0.8.2"}) == [
        "folium 0.21.1"
    ]
    assert folium_speedups.untested_versions({"folium": "0.20.0", "branca": "1.0"}) == [
        "branca 1.0"
    ]


def test_install_warns_and_leaves_untested_versions_alone(monkeypatch):
    import branca.element

    folium_speedups.uninstall()
    monkeypatch.setattr(folium_speedups.folium, "__version__", "0.99.0")
    with pytest.warns(RuntimeWarning, match="folium 0.99.0"):
        assert folium_speedups.install() is False
    assert not isinstance(branca.element.Element("x")._template, folium_speedups.VerbatimTemplate)


def test_map_html_and_streamlit_script_are_byte_identical_with_and_without(installed):
    with_shim = _outputs()
    folium_speedups.uninstall()
    try:
        without = _outputs()
    finally:
        folium_speedups.install()
    assert with_shim[0] == without[0]
    assert with_shim[1] == without[1]
    assert "FeatureCollection" in with_shim[1]


def test_folium_style_templates_are_compiled_once(installed):
    import folium.features

    analysis = synthetic_analysis(n_bts=5)
    maps.build_map(analysis, metric="no_4g_pct", lang="vi").render()
    first = folium.features.Template.cache_info()
    maps.build_map(analysis, metric="no_4g_pct", lang="vi").render()
    second = folium.features.Template.cache_info()
    assert second.misses == first.misses and second.hits > first.hits
