"""The app's view in the URL query string: one official sends a colleague the exact map.

Each piece of state is a :class:`Field`: the ``st.session_state`` key it lives under (a widget's
key or a plain key), its query-string name, its default and how it is written and read. Only
values that differ from their default go into the URL, so a fresh app has a clean address.

:func:`decode` reads a query string into session-state values and lists what it could not use
(unknown names, bad or out-of-range values); :func:`encode` writes session-state values back.
Neither needs Streamlit. What-if sites travel as :func:`geo.analysis.whatif.encode`'s text. To add state to the URL, add a :class:`Field` to
:data:`FIELDS` (or pass your own tuple of fields): a ``parse`` that raises ``ValueError`` on a bad
value and a ``fmt`` that ``parse`` reads back.

Units: radii and the internet distance in km, the loudspeaker reach in m, the walk in minutes
(as the sidebar's sliders); the map view as latitude, longitude (WGS84, degrees) and zoom level.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from geo import settings
from geo.analysis import whatif
from geo.render.style import MAP_METRICS, metric_for_gap


@dataclass(frozen=True)
class Range:
    """A slider's range: values ``lo``, ``lo + step`` … ``hi``."""

    lo: float
    hi: float
    step: float

    def check(self, value: float) -> float:
        """``value`` if it is one of the range's steps, else ValueError."""
        if not math.isfinite(value) or not self.lo <= value <= self.hi:
            raise ValueError(f"outside {self.lo:g}–{self.hi:g}")
        steps = (value - self.lo) / self.step
        if abs(steps - round(steps)) > 1e-6:
            raise ValueError(f"not a multiple of {self.step:g}")
        return value


# The sidebar's sliders (app.py uses these, so the URL accepts exactly what a slider can show).
RADIUS_KM = Range(0.5, 15.0, 0.5)
LOUDSPEAKER_M = Range(50, 2000, 50)
INTERNET_KM = Range(0.5, 10.0, 0.5)
WALK_MIN = Range(5, 120, 1)
MAX_ZOOM = 19


@dataclass(frozen=True)
class Field:
    """One piece of app state in the URL.

    key: its ``st.session_state`` key; param: its query-string name; default: the value the app
    starts with (not written to the URL); parse: query-string text → value, ValueError if bad;
    fmt: value → query-string text (``parse(fmt(v)) == v``).
    """

    key: str
    param: str
    default: Any
    parse: Callable[[str], Any]
    fmt: Callable[[Any], str]


def choice(key: str, param: str, options: Sequence[str], default: str | None = None) -> Field:
    """One of ``options`` (matched without regard to case); default the first."""
    canon = {o.casefold(): o for o in options}

    def parse(raw: str) -> str:
        if raw.strip().casefold() not in canon:
            raise ValueError("unknown choice")
        return canon[raw.strip().casefold()]

    return Field(key, param, options[0] if default is None else default, parse, str)


def choices(key: str, param: str, options: Sequence[str], default: Sequence[str]) -> Field:
    """A list of ``options``, comma-separated; empty text is the empty list."""
    one = choice(key, param, options).parse

    def parse(raw: str) -> list[str]:
        picked = [one(part) for part in raw.split(",") if part.strip()]
        return list(dict.fromkeys(picked))

    return Field(key, param, list(default), parse, lambda v: ",".join(v))


def number(key: str, param: str, rng: Range, default: float, *, integer: bool = False) -> Field:
    """A slider's value, one of ``rng``'s steps (int if ``integer``)."""

    def parse(raw: str) -> float | int:
        value = rng.check(float(raw))
        return int(round(value)) if integer else value

    return Field(key, param, int(default) if integer else float(default), parse, lambda v: f"{v:g}")


_CODE = re.compile(r"^[\w.\-]{1,40}$")


def code(key: str, param: str) -> Field:
    """An identifier such as a commune code (letters, digits, ``.``, ``-``, ``_``); default none.
    Whether it exists in the data is for the app to check."""

    def parse(raw: str) -> str:
        if not _CODE.match(raw.strip()):
            raise ValueError("not a code")
        return raw.strip()

    return Field(key, param, None, parse, str)


def parse_view(raw: str) -> tuple[float, float, int]:
    """``"lat,lon,zoom"`` (WGS84 degrees, Leaflet zoom level) → (lat, lon, zoom)."""
    parts = raw.split(",")
    if len(parts) != 3:
        raise ValueError("not lat,lon,zoom")
    lat, lon, zoom = (float(p) for p in parts)
    if not (math.isfinite(lat) and -85 <= lat <= 85 and math.isfinite(lon) and -180 <= lon <= 180):
        raise ValueError("no such place")
    if not (math.isfinite(zoom) and zoom == int(zoom) and 1 <= zoom <= MAX_ZOOM):
        raise ValueError("no such zoom level")
    return (lat, lon, int(zoom))


def fmt_view(view: Sequence[float]) -> str:
    """(lat, lon, zoom) → ``"16.65432,106.87654,12"`` (5 decimals ≈ 1 m)."""
    lat, lon, zoom = view
    return f"{lat:.5f},{lon:.5f},{int(round(zoom))}"


# st.session_state keys of state that is not a widget's
COMMUNE, MAP_VIEW, WHATIF = "commune", "map_view", "whatif_sites"


def parse_whatif(raw: str) -> list:
    """What-if sites (:func:`geo.analysis.whatif.encode`'s text) → a list of ``WhatIfSite``; a link with
    any entry that cannot be read is refused whole (named in the app's notice), never half read."""
    problems: list = []
    sites = whatif.decode(raw, problems=problems)
    if problems:
        raise ValueError("; ".join(str(p) for p in problems))
    return sites


FIELDS: tuple[Field, ...] = (
    choice("lang", "lang", settings.LANGS),
    choice("vintage", "vintage", settings.VINTAGES),
    choice("metric", "metric", MAP_METRICS),
    choices("gaps", "gaps", settings.GAP_KINDS, [metric_for_gap(MAP_METRICS[0]) or "no_4g"]),
    choices("carriers", "carriers", settings.CARRIERS, settings.MAIN_CARRIERS),
    choices("technologies", "tech", settings.TECHNOLOGIES, settings.TECHNOLOGIES),
    *(
        number(f"radius_{tech}", f"r{tech}", RADIUS_KM, settings.DEFAULT_RADIUS_M[tech] / 1000)
        for tech in settings.TECHNOLOGIES
    ),
    number(
        "loud",
        "loud",
        LOUDSPEAKER_M,
        settings.DEFAULT_LOUDSPEAKER_RADIUS_M["cluster"],
        integer=True,
    ),
    number("inet", "inet", INTERNET_KM, settings.DEFAULT_INTERNET_ACCESS_M / 1000),
    choice("model", "model", settings.MODELS),
    number("walk_min", "walk", WALK_MIN, settings.DEFAULT_INTERNET_WALK_MIN, integer=True),
    code(COMMUNE, "commune"),
    Field(MAP_VIEW, "view", None, parse_view, fmt_view),
    Field(WHATIF, "whatif", [], parse_whatif, whatif.encode),
)

# Streamlit's own query parameters: neither ours nor an error.
RESERVED = frozenset({"embed", "embed_options"})


@dataclass(frozen=True)
class Decoded:
    """values: session-state key → value for every understood parameter; ignored: (name, text)
    of each parameter that was unknown or whose value could not be used."""

    values: dict[str, Any]
    ignored: tuple[tuple[str, str], ...]


def defaults(fields: Sequence[Field] = FIELDS) -> dict[str, Any]:
    """Session-state key → default value (lists copied: callers may change them)."""
    return {f.key: list(f.default) if isinstance(f.default, list) else f.default for f in fields}


def decode(params: Mapping[str, str | Sequence[str]], fields: Sequence[Field] = FIELDS) -> Decoded:
    """Read a query string (``st.query_params.to_dict()``; for a repeated name the last value
    counts). Never raises on bad input: what cannot be used is listed in ``ignored``."""
    by_param = {f.param: f for f in fields}
    values, ignored = {}, []
    for name, raw in params.items():
        if not isinstance(raw, str):
            raw = raw[-1] if len(raw) else ""
        if name in RESERVED:
            continue
        field = by_param.get(name)
        if field is None:
            ignored.append((name, raw))
            continue
        try:
            values[field.key] = field.parse(raw)
        except (ValueError, TypeError, OverflowError):
            ignored.append((name, raw))
    return Decoded(values, tuple(ignored))


def encode(values: Mapping[str, Any], fields: Sequence[Field] = FIELDS) -> dict[str, str]:
    """Query parameters for the ``values`` (session-state key → value) that differ from their
    default, in the order of ``fields``. Missing, None or unwritable values are left out."""
    out = {}
    for f in fields:
        value = values.get(f.key)
        if value is None:
            continue
        try:
            text = f.fmt(value)
        except (ValueError, TypeError):
            continue
        if f.default is None or text != f.fmt(f.default):
            out[f.param] = text
    return out


def notice_text(ignored: Sequence[tuple[str, str]], limit: int = 60) -> str:
    """``name=value`` pairs for a notice, each value cut to ``limit`` characters."""
    return ", ".join(
        f"{name}={raw[:limit] + ('…' if len(raw) > limit else '')}" for name, raw in ignored
    )
