"""Model versus field: does the circle model say "covered" where the readings found service?

:func:`compare` takes field readings (:mod:`geo.io.measurements`: carrier, technology, service)
and the BTS sites, and for each reading finds the nearest site of the reading's carrier that
serves its technology, the radius the model gives that site (``CoverageParams.radius_for``, with
per-carrier overrides such as fitted radii) and so whether the model covers the spot. Agreement is
the share of readings where model and field say the same (a "weak" reading counts as service,
:data:`geo.settings.WEAK_IS_SERVICE`), with the confusion counts:

- ``both_service``: model covered, field has service;
- ``model_only``: model covered, field has none (the model overstates);
- ``field_only``: model not covered, field has service (the model understates);
- ``neither``: model not covered, field has none.

:func:`confidence` says per commune how much of its area (and of its people, with a population
grid) lies within :data:`geo.settings.EVIDENCE_M` of a reading, and whether that evidence agrees.
Distances are straight lines in the working UTM CRS of the communes (or of the readings), metres.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.crs import working_crs
from geo.io.measurements import has_service
from geo.settings import CoverageParams

CONFUSION: tuple[str, ...] = ("both_service", "model_only", "field_only", "neither")
GROUP_COLUMNS: tuple[str, ...] = ("carrier", "technology", "samples", "agreement_pct", *CONFUSION)
STATUSES: tuple[str, ...] = ("checked", "contradicted", "unchecked")


@dataclass
class Comparison:
    """The readings judged against the model.

    Attributes
    ----------
    readings : one row per reading in the working CRS: the input columns plus ``distance_m``
        (to the nearest site of its carrier serving its technology; inf where there is none),
        ``radius_m`` (that site's radius in the model), ``model_covered``, ``field_service``,
        ``agrees`` and, with communes, ``code`` and ``commune`` ("" outside every commune).
    by_group : per carrier × technology: :data:`GROUP_COLUMNS`.
    by_commune : per commune with readings: code, commune, samples, agreement_pct and the
        confusion counts (empty without communes).
    params : the model's parameters.
    """

    readings: gpd.GeoDataFrame
    by_group: pd.DataFrame
    by_commune: pd.DataFrame
    params: CoverageParams

    @property
    def disagreements(self) -> gpd.GeoDataFrame:
        """The readings where model and field disagree (working CRS)."""
        return self.readings[~self.readings["agrees"]]

    @property
    def agreement_pct(self) -> float:
        """Share of all readings where model and field agree, 0–100 (NaN without readings)."""
        return 100.0 * float(self.readings["agrees"].mean()) if len(self.readings) else np.nan


def serving_distance_m(
    points: np.ndarray, bts_sites: gpd.GeoDataFrame, carrier: str, technology: str
) -> tuple[np.ndarray, np.ndarray]:
    """(distance in metres, row in ``bts_sites``) of the nearest site of ``carrier`` serving
    ``technology`` for each of ``points`` (same metric CRS as ``bts_sites``); inf and −1 where the
    carrier has no such site."""
    has = bts_sites["technologies"].map(lambda ts: technology in str(ts).split(";")).to_numpy(bool)
    rows = np.flatnonzero(has & (bts_sites["carrier"].to_numpy(object) == carrier))
    if len(rows) == 0 or len(points) == 0:
        return np.full(len(points), np.inf), np.full(len(points), -1)
    tree = shapely.STRtree(bts_sites.geometry.to_numpy()[rows])
    (src, hit), dist = tree.query_nearest(points, return_distance=True, all_matches=False)
    distance = np.full(len(points), np.inf)
    nearest = np.full(len(points), -1)
    distance[src] = dist
    nearest[src] = rows[hit]
    return distance, nearest


def compare(
    readings: gpd.GeoDataFrame,
    bts_sites: gpd.GeoDataFrame,
    *,
    params: CoverageParams = CoverageParams(),
    communes: gpd.GeoDataFrame | None = None,
    crs=None,
) -> Comparison:
    """Judge every reading against the circle model of ``bts_sites`` under ``params`` (its radii
    and per-carrier overrides; its carrier/technology filters are ignored: every reading is
    judged). Layers in any CRS; distances in ``crs`` (default: the communes' or readings' UTM)."""
    if crs is None:
        crs = working_crs(communes if communes is not None and len(communes) else readings)
    pts = readings.to_crs(crs)
    sites = bts_sites.to_crs(crs)
    xy = pts.geometry.to_numpy()
    distance = np.full(len(pts), np.inf)
    radius = np.zeros(len(pts))
    carrier = pts["carrier"].to_numpy(object)
    tech = pts["technology"].to_numpy(object)
    for c, t in sorted(set(zip(carrier, tech))):
        k = np.flatnonzero((carrier == c) & (tech == t))
        distance[k], _ = serving_distance_m(xy[k], sites, c, t)
        radius[k] = params.radius_for(t, c)
    out = pts.copy()
    out["distance_m"] = distance
    out["radius_m"] = radius
    out["model_covered"] = distance <= radius
    out["field_service"] = has_service(pts["service"])
    out["agrees"] = out["model_covered"] == out["field_service"]
    by_commune = pd.DataFrame(columns=["code", "commune", "samples", "agreement_pct", *CONFUSION])
    if communes is not None and len(communes):
        units = communes.to_crs(crs)
        idx_pt, idx_unit = units.sindex.query(xy, predicate="within")
        code = np.full(len(pts), "", dtype=object)
        name = np.full(len(pts), "", dtype=object)
        code[idx_pt] = units["code"].to_numpy(object)[idx_unit]
        name[idx_pt] = units["name"].to_numpy(object)[idx_unit]
        out["code"], out["commune"] = code, name
        by_commune = _table(out[out["code"] != ""], ["code", "commune"])
    return Comparison(out, _table(out, ["carrier", "technology"]), by_commune, params)


def _table(readings: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Readings, agreement % and confusion counts per ``keys``."""
    m, f = readings["model_covered"], readings["field_service"]
    flags = pd.DataFrame(
        {
            "both_service": m & f,
            "model_only": m & ~f,
            "field_only": ~m & f,
            "neither": ~m & ~f,
            "agrees": readings["agrees"],
        }
    )
    flags[keys] = readings[keys].to_numpy()
    grouped = flags.groupby(keys, sort=True)
    table = grouped[list(CONFUSION)].sum().astype(int)
    table.insert(0, "agreement_pct", 100.0 * grouped["agrees"].mean())
    table.insert(0, "samples", grouped.size())
    return table.reset_index()


def confidence(
    comparison: Comparison,
    communes: gpd.GeoDataFrame,
    *,
    evidence_m: float = settings.EVIDENCE_M,
    contradicted_below_pct: float = settings.CONTRADICTED_BELOW_PCT,
    people=None,
) -> tuple[pd.DataFrame, gpd.GeoDataFrame]:
    """How much of each commune rests on field evidence.

    Returns a table per commune (code, commune, samples, agreement_pct, evidence_area_pct,
    checked_area_pct, contradicted_area_pct, unchecked_area_pct, evidence_people_pct (NaN
    without ``people``), status: "checked", "contradicted" (agreement below
    ``contradicted_below_pct``) or "unchecked" (no reading)) and the map layer: per commune and
    status its area (working CRS): within ``evidence_m`` of a disagreeing reading is
    "contradicted", of agreeing readings only "checked", the rest "unchecked".

    ``people``: a :func:`geo.analysis.gaps.people_shares` of the same communes (in the same order), to
    count the people share with evidence.
    """
    crs = comparison.readings.crs
    units = communes.to_crs(crs).reset_index(drop=True)
    zones = units.geometry.to_numpy()
    readings = comparison.readings

    def discs(mask: np.ndarray) -> shapely.Geometry:
        pts = readings.geometry.to_numpy()[mask]
        if len(pts) == 0:
            return shapely.Polygon()
        # Discs centred on a grid of a quarter of the distance (a reading moves at most 0.18 ×
        # evidence_m): a log's readings metres apart make one disc, and the union stays cheap.
        step = evidence_m / 4
        xy = np.unique(np.round(shapely.get_coordinates(pts) / step), axis=0)
        return shapely.union_all(shapely.buffer(shapely.points(xy * step), evidence_m, quad_segs=4))

    bad = discs(~readings["agrees"].to_numpy(bool))
    good = shapely.difference(discs(readings["agrees"].to_numpy(bool)), bad)
    contradicted = shapely.intersection(zones, bad)
    checked = shapely.intersection(zones, good)
    area = shapely.area(zones)
    share_bad = np.where(area > 0, shapely.area(contradicted) / area, 0.0)
    share_good = np.where(area > 0, shapely.area(checked) / area, 0.0)
    evidence = share_bad + share_good
    table = units[["code", "name"]].rename(columns={"name": "commune"}).copy()
    stats = comparison.by_commune.set_index("code")
    table["samples"] = table["code"].map(stats["samples"]).fillna(0).astype(int)
    table["agreement_pct"] = table["code"].map(stats["agreement_pct"]).astype(float)
    table["evidence_area_pct"] = 100.0 * evidence
    table["checked_area_pct"] = 100.0 * share_good
    table["contradicted_area_pct"] = 100.0 * share_bad
    table["unchecked_area_pct"] = 100.0 * (1.0 - evidence)
    table["evidence_people_pct"] = np.nan
    if people is not None:
        with_evidence = shapely.union(contradicted, checked)
        table["evidence_people_pct"] = 100.0 * np.asarray(people(with_evidence, evidence), float)
    table["status"] = np.where(
        table["samples"] == 0,
        "unchecked",
        np.where(table["agreement_pct"] < contradicted_below_pct, "contradicted", "checked"),
    )
    unchecked = shapely.difference(zones, shapely.union(contradicted, checked))
    layer = gpd.GeoDataFrame(
        {
            "code": np.tile(table["code"].to_numpy(object), 3),
            "commune": np.tile(table["commune"].to_numpy(object), 3),
            "status": np.repeat(np.array(STATUSES, dtype=object), len(units)),
        },
        geometry=np.concatenate([checked, contradicted, unchecked]),
        crs=crs,
    )
    layer = layer[~layer.geometry.is_empty].reset_index(drop=True)
    return table, layer


def disagreements_json(comparison: Comparison) -> str:
    """The disagreeing readings as GeoJSON (WGS 84) with what the model and the field said
    (``distance_m`` null where the carrier has no site serving the technology)."""
    columns = [
        "carrier",
        "technology",
        "service",
        "level_dbm",
        "time",
        "source",
        "distance_m",
        "radius_m",
        "model_covered",
        "field_service",
        "code",
        "commune",
        "geometry",
    ]
    layer = comparison.disagreements
    layer = layer[[c for c in columns if c in layer.columns]].to_crs(4326)
    layer["distance_m"] = layer["distance_m"].where(np.isfinite(layer["distance_m"])).round(0)
    return layer.to_json(drop_id=True, na="null")


__all__ = [
    "CONFUSION",
    "Comparison",
    "GROUP_COLUMNS",
    "STATUSES",
    "compare",
    "confidence",
    "disagreements_json",
    "serving_distance_m",
]
