"""Two speed shims for folium/branca rendering, byte-identical output (used by geo.render.maps).

First, skip the jinja compile of rendered map scripts that hold no jinja syntax.

When branca renders a map, every element's finished output (for a GeoJson layer: the whole
FeatureCollection as JS text) is wrapped in a new ``branca.element.Element(text)``, whose
constructor compiles ``text`` as a jinja template. Lexing hundreds of kilobytes of GeoJSON that
way was about two thirds of st_folium's time per app rerun (``bench/README.md``), for nothing:
a source without ``{{``, ``{%``, ``{#`` or a carriage return renders to itself, minus one
trailing newline (jinja's ``keep_trailing_newline=False``). Such texts get a stand-in template that
returns exactly that; any other text is compiled as before, so the output is byte-identical
(``tests/test_folium_speedups.py`` compares both on random and real inputs).

Second, the module keeps folium's tooltip/popup style template from being compiled anew at every
render (``GeoJsonDetail.render`` builds ``Template("<style>…")`` each time): compiled templates
of the same source are shared, which jinja allows (a compiled template is immutable).

Installed explicitly, process-wide, by whoever renders many maps (the app calls :func:`install`
once; importing :mod:`geo.render.maps` changes nothing). The shims reach into branca's and folium's
internals, so they install only on the versions they were tested with (:data:`TESTED`, the same
range pyproject.toml pins); on any other version :func:`install` leaves both libraries alone and
says so. The behaviour of branca and folium is unchanged apart from the time taken.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import branca
import branca.element
import folium
import folium.features
from folium.template import Template

# (major, minor) versions the shims were tested with (tests/test_folium_speedups.py compares the
# output with and without them); pyproject.toml pins the same range.
TESTED: dict[str, tuple[tuple[int, int], ...]] = {"folium": ((0, 20),), "branca": ((0, 8),)}

_JINJA_SYNTAX = ("{{", "{%", "{#", "\r")
_original_init = branca.element.Element.__init__


class VerbatimTemplate:
    """What ``jinja2.Template(source).render(...)`` returns for a source without jinja syntax."""

    __slots__ = ("source", "_output")

    def __init__(self, source: str):
        self.source = source
        self._output = source[:-1] if source.endswith("\n") else source

    def render(self, *args, **kwargs) -> str:
        return self._output


def is_verbatim(source: str) -> bool:
    """True when jinja would render ``source`` unchanged (but for one trailing newline)."""
    return not any(mark in source for mark in _JINJA_SYNTAX)


def _element_init(self, template: str | None = None, template_name: str | None = None) -> None:
    if template is not None and is_verbatim(template):
        _original_init(self, None, template_name)
        self._template_str = template
        self._template = VerbatimTemplate(template)
    else:
        _original_init(self, template, template_name)


@lru_cache(maxsize=64)
def _shared_template(source: str) -> Template:
    return Template(source)


def untested_versions(versions: dict[str, str] | None = None) -> list[str]:
    """``"name version"`` of each library whose version the shims were not tested with
    (``versions``: name → version string, default the installed folium and branca)."""
    versions = versions or {"folium": folium.__version__, "branca": branca.__version__}
    out = []
    for name, version in versions.items():
        try:
            major_minor = tuple(int(p) for p in version.split(".")[:2])
        except ValueError:
            major_minor = None
        if major_minor not in TESTED[name]:
            out.append(f"{name} {version}")
    return out


def install() -> bool:
    """Use :class:`VerbatimTemplate` for branca elements made from jinja-free text, and share
    compiled templates inside folium's feature renders (idempotent). Returns True when
    installed; on untested folium/branca versions installs nothing, warns and returns False."""
    untested = untested_versions()
    if untested:
        warnings.warn(
            f"phusong: folium/branca speed-ups not installed: tested with folium 0.20 "
            f"and branca 0.8, found {', '.join(untested)}; maps render the same, "
            f"more slowly",
            RuntimeWarning,
            stacklevel=2,
        )
        return False
    branca.element.Element.__init__ = _element_init
    folium.features.Template = _shared_template
    return True


def uninstall() -> None:
    """Back to branca's and folium's own behaviour (tests compare both)."""
    branca.element.Element.__init__ = _original_init
    folium.features.Template = Template
