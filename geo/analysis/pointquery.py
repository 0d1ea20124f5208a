"""What reaches one spot: the card a liaison reads to a villager on the phone.

:func:`query_point` answers, for a point given in WGS 84 degrees, from a finished
:class:`geo.analysis.gaps.GapAnalysis` (so the active carrier/technology filters, radii, reach and access
distance are the analysis' own):

- which carriers and technologies reach it, from which BTS sites, at what distance; with a DEM
  (the terrain model) whether each site within its radius is in line of sight and an ESTIMATE of
  the signal (Okumura–Hata / COST-231 path loss, :func:`geo.analysis.terrain.hata_loss_db`);
- the nearest loudspeaker that reaches it, else the nearest one and that it does not;
- the nearest internet point, its distance and, with a DEM, the minutes' walk (Tobler).

Distances are straight lines in the analysis' metric CRS (UTM), in metres. The terrain checks use
:mod:`geo.analysis.terrain`'s own viewsheds with the keys the analysis used, so a
:func:`geo.analysis.terrain.viewshed_cache` shared with it answers without recomputing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from pyproj import Transformer

from geo.analysis import coverage, terrain
from geo import i18n, settings
from geo.cache import BoundedCache, IdentityCache
from geo.crs import WGS84
from geo.analysis.gaps import GapAnalysis
from geo.settings import TerrainParams

SIGNAL_NAMES = {terrain.STRONG: "strong", terrain.VARIABLE: "variable", terrain.WEAK: "weak"}
# Walking times are computed up to this multiple of the access limit (minutes); beyond, the card
# says "more than …": a bounded Dijkstra stays cheap and a longer walk is an access gap anyway.
WALK_QUERY_FACTOR = 2.0


@dataclass(frozen=True)
class SiteReach:
    """One BTS site within reach of the point (circle) or within its radius (terrain).

    ``technologies``: the site's technologies that reach the point (filters and radii applied;
    in the terrain model only with line of sight). ``line_of_sight``: None in the circle model.
    ``loss_db`` / ``signal`` ("strong", "variable", "weak"): the path-loss estimate at the
    site's lowest band among those technologies, terrain model only.
    """

    site_id: str
    carrier: str
    technologies: tuple[str, ...]
    distance_m: float
    hypothetical: bool = False
    line_of_sight: bool | None = None
    loss_db: float | None = None
    signal: str | None = None


@dataclass(frozen=True)
class Nearest:
    """The nearest loudspeaker or internet point of interest.

    ``reach_m``: its reach (loudspeaker) or the access distance (internet), metres; ``within``:
    whether it reaches the point (terrain: with line of sight / within the walking limit).
    ``walk_minutes``: minutes' walk to the nearest internet point over the DEM (inf beyond
    ``walk_limit_min``), None without a DEM.
    """

    id: str
    kind: str
    distance_m: float
    reach_m: float
    within: bool
    hypothetical: bool = False
    line_of_sight: bool | None = None
    walk_minutes: float | None = None
    walk_limit_min: float | None = None


@dataclass(frozen=True)
class PointReport:
    """Everything :func:`query_point` found about one point (coordinates: WGS 84 degrees and the
    analysis' metric CRS, metres)."""

    lat: float
    lon: float
    x: float
    y: float
    commune_code: str | None
    commune_name: str | None
    mobile: tuple[SiteReach, ...]
    blocked: tuple[SiteReach, ...]
    loudspeaker: Nearest | None
    internet: Nearest | None
    model: str = "circle"

    @property
    def carriers(self) -> tuple[str, ...]:
        """Carriers reaching the point, in ``settings.CARRIERS`` order."""
        present = {s.carrier for s in self.mobile}
        return tuple(c for c in settings.CARRIERS if c in present)

    def technologies(self, carrier: str | None = None) -> tuple[str, ...]:
        """Technologies reaching the point (of ``carrier`` only, when given)."""
        got = {t for s in self.mobile if carrier in (None, s.carrier) for t in s.technologies}
        return tuple(t for t in settings.TECHNOLOGIES if t in got)


def to_metric(lat: float, lon: float, crs) -> tuple[float, float]:
    """(x, y) in ``crs`` (metres) of a WGS 84 point."""
    x, y = Transformer.from_crs(WGS84, crs, always_xy=True).transform(float(lon), float(lat))
    return float(x), float(y)


def query_point(
    analysis: GapAnalysis,
    lat: float,
    lon: float,
    *,
    dem=None,
    terrain_params: TerrainParams | None = None,
    cache: BoundedCache | None = None,
) -> PointReport:
    """What reaches the point (``lat``, ``lon``, WGS 84 degrees) in ``analysis``.

    Parameters
    ----------
    analysis : a :class:`geo.analysis.gaps.GapAnalysis`; its sites (already filtered by carrier and
        technology), params and metric CRS are used.
    dem, terrain_params : the DEM (in the analysis' CRS) and terrain parameters of a terrain
        analysis: adds line of sight, the signal estimate and walking time. Without them, the
        circle model (straight distance ≤ radius).
    cache : the viewshed cache the terrain analysis filled (optional; saves recomputing).
    """
    crs, params = analysis.crs, analysis.params
    x, y = to_metric(lat, lon, crs)
    point = shapely.Point(x, y)
    use_dem = dem is not None and dem.crs.equals(crs)
    tp = terrain_params or TerrainParams()

    communes = analysis.communes
    inside = np.flatnonzero(shapely.contains_xy(communes.geometry.to_numpy(), x, y))
    code = str(communes["code"].iloc[inside[0]]) if len(inside) else None
    name = str(communes["name"].iloc[inside[0]]) if len(inside) else None

    mobile, blocked = _mobile(
        analysis.sites["bts_sites"], params, point, dem if use_dem else None, tp, cache
    )
    loud = _loudspeaker(
        analysis.sites["loudspeakers"], params, point, dem if use_dem else None, tp, cache
    )
    inet = _internet(analysis.sites["internet_points"], params, point, dem if use_dem else None, tp)
    return PointReport(
        float(lat),
        float(lon),
        x,
        y,
        code,
        name,
        tuple(mobile),
        tuple(blocked),
        loud,
        inet,
        model="terrain" if use_dem else "circle",
    )


# --- the three channels -------------------------------------------------------------------------


def _distances(layer: gpd.GeoDataFrame, point: shapely.Point) -> np.ndarray:
    if len(layer) == 0:
        return np.zeros(0)
    return shapely.distance(layer.geometry.to_numpy(), point)


def _hypothetical(layer: gpd.GeoDataFrame) -> np.ndarray:
    if "hypothetical" not in layer:
        return np.zeros(len(layer), bool)
    return layer["hypothetical"].fillna(False).to_numpy(bool)


def _sight(dem, layer, idx, point, *, observer_h, target_h, radius, cc, cache) -> np.ndarray:
    """Whether each site ``idx`` of ``layer`` sees the point's DEM cell within ``radius`` (the
    viewshed the analysis made: same heights, radius and curvature, so the same cache key)."""
    out = np.zeros(len(idx), bool)
    if not len(idx):
        return out
    g = layer.geometry.to_numpy()[idx]
    sheds = terrain.viewsheds(
        dem,
        shapely.get_x(g),
        shapely.get_y(g),
        observer_height_m=observer_h[idx],
        target_height_m=target_h,
        radius_m=radius[idx],
        curvature_coeff=cc,
        cache=cache,
    )
    prow, pcol = (int(v[0]) for v in terrain.observer_cell(dem, [point.x], [point.y]))
    if prow < 0:
        return out
    for k, shed in enumerate(sheds):
        if shed is None:
            continue
        i, j = prow - shed.row0, pcol - shed.col0
        if 0 <= i < shed.rows and 0 <= j < shed.cols:
            out[k] = bool((shed.bits[i, j >> 3] >> (7 - (j & 7))) & 1)
    return out


def _cell_distance(dem, layer, idx, point) -> np.ndarray:
    """Distance between DEM cell centres (site's, point's), metres: how the terrain model's
    layers cut a viewshed to a radius (:func:`geo.analysis.terrain.paint`)."""
    g = layer.geometry.to_numpy()[idx]
    rows, cols = terrain.observer_cell(dem, shapely.get_x(g), shapely.get_y(g))
    prow, pcol = terrain.observer_cell(dem, [point.x], [point.y])
    return np.hypot((rows - prow[0]) * dem.transform.e, (cols - pcol[0]) * dem.transform.a)


def _mobile(bts, params, point, dem, tp: TerrainParams, cache):
    """(sites reaching the point, sites within their radius but out of sight)."""
    if len(bts) == 0:
        return [], []
    d = _distances(bts, point)
    tech_r = coverage.technology_radius_m(bts, params)  # the technology filter and radii
    allowed = np.ones(len(bts), bool)
    if params.carriers:
        allowed &= np.isin(bts["carrier"].to_numpy(), params.carriers)
    tech_r = np.where(allowed[:, None], tech_r, 0.0)
    max_r = tech_r.max(axis=1)
    near = np.flatnonzero((max_r > 0) & (d <= max_r))
    if dem is None:
        reach_d = d
        sees = np.ones(len(bts), bool)
    else:
        # a point near the radius can be in reach by cell centres but not by straight distance
        # (or the reverse): the terrain model's layers count cells, so the card does too
        cand = np.flatnonzero((max_r > 0) & (d <= max_r + 2 * dem.cell_m))
        reach_d = np.full(len(bts), np.inf)
        reach_d[cand] = _cell_distance(dem, bts, cand, point)
        near = cand[reach_d[cand] <= max_r[cand]]
        heights = terrain.site_heights(bts, tp.bts_height_m)
        sees = np.zeros(len(bts), bool)
        sees[near] = _sight(
            dem,
            bts,
            near,
            point,
            observer_h=heights,
            target_h=tp.handset_height_m,
            radius=max_r,
            cc=tp.curvature_coeff,
            cache=cache,
        )
    hypo = _hypothetical(bts)
    ids, carriers = bts["site_id"].astype(str).to_numpy(), bts["carrier"].astype(str).to_numpy()
    reached, hidden = [], []
    for i in near:
        techs = tuple(
            t
            for j, t in enumerate(settings.TECHNOLOGIES)
            if tech_r[i, j] > 0 and reach_d[i] <= tech_r[i, j]
        )
        if not techs:
            continue
        loss = signal = None
        if dem is not None:
            if not sees[i]:
                hidden.append(
                    SiteReach(
                        ids[i], carriers[i], techs, float(d[i]), bool(hypo[i]), line_of_sight=False
                    )
                )
                continue
            loss, signal = _signal(dem, bts, i, point, techs, heights[i], tp)
        reached.append(
            SiteReach(
                ids[i],
                carriers[i],
                techs,
                float(d[i]),
                bool(hypo[i]),
                line_of_sight=None if dem is None else True,
                loss_db=loss,
                signal=signal,
            )
        )
    order = {c: k for k, c in enumerate(settings.CARRIERS)}
    key = lambda s: (order.get(s.carrier, len(order)), s.distance_m, s.site_id)  # noqa: E731
    return sorted(reached, key=key), sorted(hidden, key=key)


def _signal(dem, bts, i, point, techs, height_m, tp: TerrainParams) -> tuple[float, str]:
    """Hata path loss (dB) at the lowest band among ``techs`` and its class."""
    band = min(settings.BAND_MHZ[t] for t in techs)
    g = bts.geometry.iloc[i]
    (srow, scol), (prow, pcol) = (
        (int(r[0]), int(c[0]))
        for r, c in (
            terrain.observer_cell(dem, [g.x], [g.y]),
            terrain.observer_cell(dem, [point.x], [point.y]),
        )
    )
    z = dem.elevation_m
    base = float(z[srow, scol]) + float(height_m) - float(z[prow, pcol])
    d_km = float(np.hypot((prow - srow) * dem.transform.e, (pcol - scol) * dem.transform.a)) / 1e3
    loss = float(terrain.hata_loss_db(d_km, band, base, tp.handset_height_m))
    cls = int(terrain.signal_classes(np.array([loss]))[0])
    return loss, SIGNAL_NAMES.get(cls, "weak")


def _loudspeaker(loud, params, point, dem, tp: TerrainParams, cache) -> Nearest | None:
    """The nearest loudspeaker reaching the point, else the nearest one (``within`` False)."""
    if len(loud) == 0:
        return None
    d = _distances(loud, point)
    radius = coverage.loudspeaker_radius_m(loud, params)
    reach = (radius > 0) & (d <= radius)
    sight = None
    if dem is not None:
        idx = np.flatnonzero((radius > 0) & (d <= radius + 2 * dem.cell_m))
        cell_d = np.full(len(loud), np.inf)
        cell_d[idx] = _cell_distance(dem, loud, idx, point)
        reach = (radius > 0) & (cell_d <= radius)
        idx = np.flatnonzero(reach)
        sight = np.zeros(len(loud), bool)
        sight[idx] = _sight(
            dem,
            loud,
            idx,
            point,
            observer_h=terrain.site_heights(loud, tp.loudspeaker_height_m),
            target_h=tp.listener_height_m,
            radius=radius,
            cc=tp.sound_curvature_coeff,
            cache=cache,
        )
        reach = reach & sight
    pool = np.flatnonzero(reach) if reach.any() else np.arange(len(loud))
    i = int(pool[np.argmin(d[pool])])
    return Nearest(
        str(loud["id"].iloc[i]),
        str(loud["kind"].iloc[i]),
        float(d[i]),
        float(radius[i]),
        bool(reach[i]),
        bool(_hypothetical(loud)[i]),
        line_of_sight=None if sight is None else bool(sight[i]),
    )


# Walking times per (DEM, internet layer), kept as the cells within the limit only: a full
# float64 raster of a district DEM is tens of MB.
_WALKS = IdentityCache(max_entries=8)


def _reachable(minutes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sorted flat indices, minutes) of the cells with a finite walking time."""
    cells = np.flatnonzero(np.isfinite(minutes))
    return cells, minutes.ravel()[cells].astype(np.float32)


def _internet(inet, params, point, dem, tp: TerrainParams) -> Nearest | None:
    """The nearest internet point (straight line) and, with a DEM, the walk to the nearest one."""
    if len(inet) == 0:
        return None
    d = _distances(inet, point)
    i = int(np.argmin(d))
    walk = limit = None
    within = bool(d[i] <= params.internet_access_m)
    if dem is not None:
        limit = WALK_QUERY_FACTOR * tp.internet_walk_min
        cells, minutes = _WALKS.get(
            (dem, inet),
            ("walk", limit),
            lambda: _reachable(
                terrain.walking_minutes(
                    dem,
                    shapely.get_x(inet.geometry.to_numpy()),
                    shapely.get_y(inet.geometry.to_numpy()),
                    max_minutes=limit,
                )
            ),
        )
        row, col = (int(v[0]) for v in terrain.observer_cell(dem, [point.x], [point.y]))
        k = int(np.searchsorted(cells, row * dem.shape[1] + col)) if row >= 0 else len(cells)
        walk = (
            float(minutes[k])
            if k < len(cells) and cells[k] == row * dem.shape[1] + col
            else math.inf
        )
        within = walk <= tp.internet_walk_min
    return Nearest(
        str(inet["id"].iloc[i]),
        str(inet["kind"].iloc[i]),
        float(d[i]),
        float(params.internet_access_m),
        within,
        bool(_hypothetical(inet)[i]),
        walk_minutes=walk,
        walk_limit_min=limit,
    )


# --- the card in the reader's language ----------------------------------------------------------


def distance_text(metres: float, lang: str) -> str:
    """``850 m`` below a kilometre, else ``1,2 km`` (vi) / ``1.2 km`` (en)."""
    if metres < 1000:
        return f"{i18n.number(round(metres / 10) * 10, lang)} m"
    return f"{i18n.number(metres / 1000, lang, 1)} km"


def _site_label(site_id: str, hypothetical: bool, lang: str) -> str:
    return f"{site_id} ({i18n.t('whatif.tag', lang)})" if hypothetical else site_id


def mobile_lines(report: PointReport, lang: str = "vi") -> list[str]:
    """One line per BTS site reaching the point (then, terrain model, those out of sight):
    carrier, technologies, site, distance; with a DEM line of sight and the signal estimate."""
    t = lambda k: i18n.t(k, lang)  # noqa: E731
    lines = []
    for s in report.mobile + report.blocked:
        carrier = t(f"carrier.{s.carrier}") if s.carrier in settings.CARRIERS else s.carrier
        line = t("point.site_line").format(
            carrier=carrier,
            technologies="/".join(s.technologies),
            site=_site_label(s.site_id, s.hypothetical, lang),
            distance=distance_text(s.distance_m, lang),
        )
        if report.model == "terrain":
            line += ", " + (
                t("point.signal_line").format(signal=t(f"point.signal_{s.signal}"))
                if s.line_of_sight
                else t("point.hidden")
            )
        lines.append(line)
    return lines


def summary_lines(report: PointReport, lang: str = "vi") -> list[str]:
    """The card's sentences (plain text, data escaped by the caller's renderer): place, mobile
    summary, loudspeaker, internet."""
    t = lambda k: i18n.t(k, lang)  # noqa: E731
    where = (
        t("point.in_commune").format(name=report.commune_name)
        if report.commune_name
        else t("point.outside")
    )
    coords = t("point.coords").format(
        lat=i18n.number(report.lat, lang, 5), lon=i18n.number(report.lon, lang, 5)
    )
    lines = [f"{where} · {coords}"]
    if report.mobile:
        parts = [
            f"{t(f'carrier.{c}') if c in settings.CARRIERS else c} "
            f"{'/'.join(report.technologies(c))}"
            for c in report.carriers
        ]
        lines.append(t("point.mobile_yes").format(carriers="; ".join(parts)))
    else:
        lines.append(t("point.mobile_no"))
    lo = report.loudspeaker
    if lo is None:
        lines.append(t("point.loud_none"))
    else:
        key = (
            "point.loud_yes"
            if lo.within
            else (
                "point.loud_hidden"
                if lo.line_of_sight is False and lo.distance_m <= lo.reach_m
                else "point.loud_no"
            )
        )
        lines.append(
            t(key).format(
                id=_site_label(lo.id, lo.hypothetical, lang),
                kind=t(f"loudspeaker.{lo.kind}")
                if lo.kind in settings.LOUDSPEAKER_KINDS
                else lo.kind,
                distance=distance_text(lo.distance_m, lang),
                reach=distance_text(lo.reach_m, lang),
            )
        )
    it = report.internet
    if it is None:
        lines.append(t("point.inet_none"))
    else:
        lines.append(
            t("point.inet").format(
                id=_site_label(it.id, it.hypothetical, lang),
                kind=t(f"internet.{it.kind}") if it.kind in settings.INTERNET_KINDS else it.kind,
                distance=distance_text(it.distance_m, lang),
            )
        )
        if it.walk_minutes is not None:
            lines.append(
                t("point.walk").format(minutes=i18n.number(it.walk_minutes, lang))
                if math.isfinite(it.walk_minutes)
                else t("point.walk_over").format(minutes=i18n.number(it.walk_limit_min, lang))
            )
        lines.append(t("point.inet_within" if it.within else "point.inet_far"))
    return lines
