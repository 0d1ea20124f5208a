"""What-if sites: hypothetical BTS sites, loudspeaker clusters and Circular 03 support points.

A user places them on the map; :func:`with_sites` appends them to the dataset's layers as rows
flagged ``hypothetical`` (and ``illustrative``: they are not real positions), so the ordinary
analysis (:func:`geo.analysis.gaps.analyse`, or the terrain model) counts them like any site and
:func:`gains` reads what they add from the analyses before and after. :func:`encode` /
:func:`decode` turn a list of them into a short text for a URL; :func:`layer_csv` writes them in
the dataset schema (``data/README.md``), which ``python -m geo report --sites FILE`` (BTS),
``--loudspeakers FILE`` or ``--internet FILE`` read back.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.analysis import coverage
from geo import i18n, settings
from geo.crs import WGS84
from geo.errors import PhusongError
from geo.analysis.gaps import GapAnalysis, district_totals
from geo.io.loading import Dataset

KINDS: tuple[str, ...] = ("bts", "loudspeaker", "support_point")
LAYER = {"bts": "bts_sites", "loudspeaker": "loudspeakers", "support_point": "internet_points"}
ID_COLUMN = {"bts_sites": "site_id", "loudspeakers": "id", "internet_points": "id"}
_CODE = {"bts": "b", "loudspeaker": "l", "support_point": "s"}  # kind letter in encode()
ID_PREFIX = "WHATIF-"
MAX_SITES = 50  # a URL stays short; a planner with more has a sites file
COORD_DECIMALS = 5  # about 1 m


@dataclass(frozen=True)
class WhatIfSite:
    """One hypothetical site, WGS 84 degrees.

    ``number`` identifies it for this session (``WHATIF-<number>``); ``carrier``,
    ``technologies`` and ``height_m`` (antenna above ground, metres; None = the terrain model's
    default) are for BTS only.
    """

    number: int
    kind: str
    lat: float
    lon: float
    carrier: str | None = None
    technologies: tuple[str, ...] = ()
    height_m: float | None = None

    @property
    def site_id(self) -> str:
        return f"{ID_PREFIX}{self.number}"


def make_site(
    kind: str,
    lat: float,
    lon: float,
    *,
    existing: list[WhatIfSite] = (),
    carrier: str | None = None,
    technologies=(),
    height_m: float | None = None,
) -> WhatIfSite:
    """A checked :class:`WhatIfSite` numbered after ``existing``; PhusongError naming the field
    when a value is not allowed."""
    settings.check_choice("what-if kind", kind, KINDS)
    lat, lon = round(float(lat), COORD_DECIMALS), round(float(lon), COORD_DECIMALS)
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise PhusongError(f"what-if site: latitude/longitude out of range: {lat}, {lon}")
    if len(existing) >= MAX_SITES:
        raise PhusongError(f"at most {MAX_SITES} what-if sites")
    number = max((s.number for s in existing), default=0) + 1
    if kind != "bts":
        return WhatIfSite(number, kind, lat, lon)
    settings.check_choice("carrier", carrier, settings.CARRIERS)
    techs = tuple(t for t in settings.TECHNOLOGIES if t in set(technologies))
    if not techs or len(techs) != len(set(technologies)):
        raise PhusongError(
            f"what-if BTS: technologies must be some of "
            f"{', '.join(settings.TECHNOLOGIES)}; got {list(technologies)}"
        )
    if height_m is not None:
        height_m = float(height_m)
        if not (math.isfinite(height_m) and 0 < height_m <= 500):  # the bts_sites schema's range
            raise PhusongError(f"what-if BTS: height must be 0–500 m; got {height_m}")
    return WhatIfSite(number, kind, lat, lon, carrier, techs, height_m)


def remove(sites: list[WhatIfSite], number: int) -> list[WhatIfSite]:
    """``sites`` without the one numbered ``number`` (the others keep their numbers)."""
    return [s for s in sites if s.number != number]


# --- URL text -----------------------------------------------------------------------------------


def encode(sites: list[WhatIfSite]) -> str:
    """A short URL-safe text for ``sites``: ``;``-separated entries
    ``<b|l|s><number>,<lat>,<lon>[,<carrier>,<tech>-<tech>,<height or empty>]``, e.g.
    ``b1,16.70123,106.88456,Viettel,3G-4G,30;l2,16.7,106.9``. ``decode(encode(s)) == s``."""
    out = []
    for s in sites:
        entry = [f"{_CODE[s.kind]}{s.number}", _num(s.lat), _num(s.lon)]
        if s.kind == "bts":
            entry += [
                s.carrier,
                "-".join(s.technologies),
                "" if s.height_m is None else _num(s.height_m),
            ]
        out.append(",".join(entry))
    return ";".join(out)


def _num(v: float) -> str:
    return f"{float(v):.{COORD_DECIMALS}f}".rstrip("0").rstrip(".")


_ENTRY = re.compile(r"^([bls])(\d{1,4})$")


def decode(text: str, *, problems: list[str] | None = None) -> list[WhatIfSite]:
    """The sites in a text made by :func:`encode`. A bad entry is left out and described in
    ``problems`` (when given: entry number, text, reason); the good ones are kept."""
    sites: list[WhatIfSite] = []
    kinds = {v: k for k, v in _CODE.items()}
    for n, entry in enumerate(e for e in (text or "").split(";") if e.strip()):
        fields = entry.strip().split(",")
        try:
            head = _ENTRY.match(fields[0])
            if not head:
                raise PhusongError("starts with b, l or s and a number")
            kind, number = kinds[head.group(1)], int(head.group(2))
            if number in {s.number for s in sites}:
                raise PhusongError(f"number {number} used twice")
            expected = 6 if kind == "bts" else 3
            if len(fields) != expected:
                raise PhusongError(f"{expected} fields expected, {len(fields)} found")
            lat, lon = float(fields[1]), float(fields[2])
            extra = {}
            if kind == "bts":
                extra = dict(
                    carrier=fields[3],
                    technologies=fields[4].split("-"),
                    height_m=float(fields[5]) if fields[5] else None,
                )
            site = make_site(kind, lat, lon, **extra)
            sites.append(dataclasses.replace(site, number=number))
        except (PhusongError, ValueError) as exc:
            if problems is not None:
                problems.append(f"what-if entry {n + 1} ({entry[:60]!r}): {exc}")
        if len(sites) >= MAX_SITES:
            break
    return sites


# --- the dataset with the sites -----------------------------------------------------------------


def layer_rows(sites: list[WhatIfSite], layer: str) -> gpd.GeoDataFrame:
    """The rows of ``layer`` (dataset schema + ``hypothetical``) for the sites of that layer,
    EPSG:4326, in the order given."""
    chosen = [s for s in sites if LAYER[s.kind] == layer]
    data: dict[str, list] = {ID_COLUMN[layer]: [s.site_id for s in chosen]}
    if layer == "bts_sites":
        data |= {
            "carrier": [s.carrier for s in chosen],
            "technologies": [";".join(s.technologies) for s in chosen],
            "height_m": [np.nan if s.height_m is None else s.height_m for s in chosen],
        }
    elif layer == "loudspeakers":
        data |= {"kind": ["cluster"] * len(chosen), "radius_m": [np.nan] * len(chosen)}
    else:
        data |= {"kind": ["support_point"] * len(chosen)}
    data |= {"illustrative": [True] * len(chosen), "hypothetical": [True] * len(chosen)}
    return gpd.GeoDataFrame(
        data,
        geometry=gpd.points_from_xy([s.lon for s in chosen], [s.lat for s in chosen]),
        crs=WGS84,
    )


def with_sites(dataset: Dataset, sites: list[WhatIfSite]) -> Dataset:
    """A copy of ``dataset`` with ``sites`` appended to their layers (existing rows first, as
    they are, with ``hypothetical`` False). ``dataset`` itself is left untouched."""
    if not sites:
        return dataset
    changes = {}
    for layer in sorted({LAYER[s.kind] for s in sites}):
        base = getattr(dataset, layer)
        new = layer_rows(sites, layer)
        new = new.to_crs(base.crs) if base.crs is not None else new
        old = pd.DataFrame(base).assign(hypothetical=False)
        combined = pd.concat([old, pd.DataFrame(new)], ignore_index=True)
        for col in ("illustrative", "hypothetical"):
            combined[col] = combined[col].fillna(False).astype(bool)
        changes[layer] = gpd.GeoDataFrame(combined, geometry="geometry", crs=base.crs or WGS84)
    return dataclasses.replace(dataset, **changes)


def data_key(base_key: str, sites: list[WhatIfSite]) -> str:
    """A cache key for the dataset ``base_key`` with ``sites`` added."""
    return f"{base_key}|whatif:{encode(sites)}" if sites else base_key


# --- what they add ------------------------------------------------------------------------------

# (covered layer of geo.analysis.gaps, i18n label): the channels a what-if site can add to.
GAIN_LAYERS: tuple[str, ...] = (
    "covered_4g",
    "mobile_covered",
    "loudspeaker_covered",
    "internet_access",
    "any_channel",
)


def gains(before: GapAnalysis, after: GapAnalysis) -> pd.DataFrame:
    """What the what-if sites add, district-wide: per layer of :data:`GAIN_LAYERS` the area
    (km²) and people newly covered, ``after − before`` (two analyses of the same communes, CRS
    and model). People NaN where a commune's population is unknown. ``any_channel`` is the
    shrinking of "no channel at all"."""
    b, a = district_totals(before), district_totals(after)
    rows = []
    for layer in GAIN_LAYERS:
        if layer == "any_channel":
            area = (b["no_service_pct"] - a["no_service_pct"]) / 100 * a["area_km2"]
            people = b["no_service_pop"] - a["no_service_pop"]
        else:
            area = (a[f"{layer}_pct"] - b[f"{layer}_pct"]) / 100 * a["area_km2"]
            people = a[f"{layer}_pop"] - b[f"{layer}_pop"]
        rows.append({"layer": layer, "area_km2": area, "people": people})
    return pd.DataFrame(rows)


def gains_table(table: pd.DataFrame, lang: str = "vi") -> pd.DataFrame:
    """:func:`gains` for reading: channel, area (km², 2 decimals), people, in ``lang``'s format."""
    t = lambda k: i18n.t(k, lang)  # noqa: E731
    return pd.DataFrame(
        {
            t("whatif.channel"): [t(f"whatif.layer_{r}") for r in table["layer"]],
            t("whatif.area_added"): [i18n.number(v, lang, 2) for v in table["area_km2"]],
            t("whatif.people_added"): [i18n.number(v, lang) for v in table["people"]],
        }
    )


def footprints(analysis: GapAnalysis) -> gpd.GeoDataFrame:
    """Reach discs of the hypothetical sites in ``analysis`` (its metric CRS; the circle of
    the active radii and filters, the terrain model's limit), columns ``site_id``, ``layer``,
    ``radius_m``, ``geometry``. Sites the filters leave out have no row."""
    rows: dict[str, list] = {"site_id": [], "layer": [], "radius_m": [], "geometry": []}
    params = analysis.params
    for layer, g in analysis.sites.items():
        if g is None or "hypothetical" not in g or not g["hypothetical"].any():
            continue
        g = g[g["hypothetical"].fillna(False).to_numpy(bool)]
        if layer == "bts_sites":
            radius = coverage.site_radius_m(g, params)
        elif layer == "loudspeakers":
            radius = coverage.loudspeaker_radius_m(g, params)
        else:
            radius = np.full(len(g), float(params.internet_access_m))
        discs = coverage.reach_discs(g.geometry.to_numpy(), radius)
        for sid, r, disc in zip(g[ID_COLUMN[layer]], radius, discs, strict=True):
            if disc is not None:
                rows["site_id"].append(str(sid))
                rows["layer"].append(layer)
                rows["radius_m"].append(float(r))
                rows["geometry"].append(disc)
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=analysis.crs)


def hypothetical_points(analysis: GapAnalysis) -> gpd.GeoDataFrame:
    """The hypothetical sites among the analysis' layers (metric CRS): ``site_id``, ``layer``,
    ``geometry`` (after the filters)."""
    frames = []
    for layer, g in analysis.sites.items():
        if g is not None and "hypothetical" in g and g["hypothetical"].any():
            g = g[g["hypothetical"].fillna(False).to_numpy(bool)]
            frames.append(
                gpd.GeoDataFrame(
                    {"site_id": g[ID_COLUMN[layer]].astype(str).to_numpy(), "layer": layer},
                    geometry=g.geometry.to_numpy(),
                    crs=g.crs,
                )
            )
    if not frames:
        return gpd.GeoDataFrame(
            {"site_id": [], "layer": []}, geometry=gpd.GeoSeries([], crs=analysis.crs)
        )
    return gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs=analysis.crs)


# --- reading and exporting ----------------------------------------------------------------------


def sites_table(sites: list[WhatIfSite], lang: str = "vi") -> pd.DataFrame:
    """The sites for reading: id, kind, carrier, technologies, height, latitude, longitude."""
    t = lambda k: i18n.t(k, lang)  # noqa: E731
    return pd.DataFrame(
        {
            t("col.id"): [s.site_id for s in sites],
            t("col.kind"): [t(f"whatif.kind_{s.kind}") for s in sites],
            t("col.carrier"): [t(f"carrier.{s.carrier}") if s.carrier else "" for s in sites],
            t("col.technologies"): [", ".join(s.technologies) for s in sites],
            t("col.height_m"): [
                i18n.number(s.height_m, lang)
                if s.height_m is not None
                else ("–" if s.kind == "bts" else "")
                for s in sites
            ],
            t("plan.col_lat"): [i18n.number(s.lat, lang, COORD_DECIMALS) for s in sites],
            t("plan.col_lon"): [i18n.number(s.lon, lang, COORD_DECIMALS) for s in sites],
        }
    )


def layers_of(sites: list[WhatIfSite]) -> list[str]:
    """The dataset layers the sites belong to, in ``geo.io.loading`` order."""
    present = {LAYER[s.kind] for s in sites}
    return [layer for layer in ("bts_sites", "loudspeakers", "internet_points") if layer in present]


def layer_csv(
    dataset: Dataset, sites: list[WhatIfSite], layer: str, *, include_existing: bool = True
) -> bytes:
    """``layer`` as a CSV of the dataset schema (``lat``/``lon`` WGS 84, UTF-8): the dataset's
    rows (``include_existing``) then the what-if sites of that layer, with ``illustrative=true``
    and ``hypothetical=true`` on theirs (``hypothetical`` is not a schema column: a re-import
    ignores it, the ``illustrative`` flag keeps the notice on every report).
    ``python -m geo report --sites FILE`` (bts_sites), ``--loudspeakers``, ``--internet`` read it."""
    new = layer_rows(sites, layer)
    frames = [new]
    if include_existing:
        frames.insert(0, getattr(dataset, layer).to_crs(WGS84).assign(hypothetical=False))
    g = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs=WGS84)
    keep = [
        c
        for c in g.columns
        if c != "geometry"
        and not c.startswith("proposed_")
        and c not in ("people_new", "area_new_km2")
    ]
    table = pd.DataFrame(g[keep]).copy()
    table.insert(1, "lat", shapely.get_y(g.geometry.to_numpy()))  # unrounded: the same figures
    table.insert(2, "lon", shapely.get_x(g.geometry.to_numpy()))
    for col in ("illustrative", "hypothetical"):
        table[col] = np.where(table[col].fillna(False).astype(bool), "true", "false")
    return table.to_csv(index=False, lineterminator="\n").encode("utf-8")
