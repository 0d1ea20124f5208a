"""The terrain coverage model: what each site reaches over a DEM, per commune.

- **Mobile:** line of sight from the antenna (site ``height_m`` above ground) to a handset at
  ``HANDSET_HEIGHT_M``, with earth curvature and radio refraction (k = 4/3), limited to the
  technology's radius. The viewshed is the reference-plane sweep of Wang et al. (2000) as
  ``gdal_viewshed`` runs it (edge mode, the same height adjustment ``cc × d² / (2 a)``), so the two
  agree cell for cell; it is compiled with numba and runs the sites in parallel.
- **Count of servers:** how many sites reach each cell (1 = a single point of failure).
- **Path loss (optional, an estimate):** Okumura–Hata / COST-231 Hata (open area) classes each
  covered cell strong / variable / weak.
- **Loudspeakers:** line of sight from the horn (``height_m`` or the default) to a listener,
  within the reach radius.
- **Internet points:** walking time over the terrain with Tobler's hiking function (a 16-neighbour
  Dijkstra cost-distance); access = at most ``internet_walk_min`` minutes' walk.

Results per site are cached (:func:`viewshed_cache`, keyed by position, heights, radius,
curvature and DEM id), so moving one site recomputes one site. The per-commune statistics are
made by the same code as the circle model (:func:`geo.analysis.gaps.summarise`), from coverage rasters
turned into polygons clipped to each commune.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from affine import Affine
from shapely import STRtree

from geo.analysis import coverage, gaps
from geo.precision import private_prepared
from geo import i18n, settings
from geo.cache import BoundedCache
from geo.io.dem import DEM
from geo.errors import PhusongError
from geo.io.loading import Dataset
from geo.settings import CoverageParams, TerrainParams
from geo.analysis.viewshed import (  # noqa: F401  (re-exported: terrain.Viewshed, …)
    Viewshed,
    observer_cell,
    paint,
    viewshed_cache,
    viewsheds,
)
from geo.analysis.walking import (  # noqa: F401  (re-exported: terrain.tobler_kmh, …)
    tobler_kmh,
    walk_kernel,
    walking_minutes,
)
from geo.analysis.pathloss import (  # noqa: F401  (re-exported: terrain.NO_SIGNAL, …)
    NO_SIGNAL,
    SIGNAL_CLASSES,
    STRONG,
    VARIABLE,
    WEAK,
    best_loss,
    hata_loss_db,
    loss_limited,
    signal_classes,
)


# --- rasters to commune polygons ----------------------------------------------------------------


def raster_areas(mask: np.ndarray, transform: Affine, zones: np.ndarray) -> np.ndarray:
    """Per zone, the area of the True cells of ``mask`` inside it (polygons, the mask's CRS).

    Cells become squares (rasterio's polygonize, 4-connected); squares inside a zone are kept
    whole, those across its edge are clipped to it.
    """
    from rasterio import features

    empty = np.array([shapely.Polygon() for _ in range(len(zones))], dtype=object)
    if len(zones) == 0 or not mask.any():
        return empty
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    r0, r1, c0, c1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
    sub = np.ascontiguousarray(mask[r0:r1, c0:c1]).astype(np.uint8)
    sub_transform = transform @ Affine.translation(c0, r0)
    parts = np.array(
        [
            shapely.geometry.shape(g)
            for g, _ in features.shapes(
                sub, mask=sub.astype(bool), transform=sub_transform, connectivity=4
            )
        ],
        dtype=object,
    )
    zones = np.asarray(zones, dtype=object)
    zone_idx, part_idx = STRtree(parts).query(zones, predicate="intersects")
    if len(zone_idx) == 0:
        return empty
    zones = private_prepared(zones)  # the commune zones are shared between sessions
    pieces = parts[part_idx]
    inside = shapely.contains_properly(zones[zone_idx], pieces)
    cut = ~inside
    pieces = pieces.copy()
    pieces[cut] = shapely.intersection(pieces[cut], zones[zone_idx[cut]])
    flat, which = shapely.get_parts(pieces, return_index=True)
    poly = shapely.get_type_id(flat) == 3
    flat, owner = flat[poly], zone_idx[which[poly]]
    order = np.argsort(owner, kind="stable")
    flat, owner = flat[order], owner[order]
    bounds = np.searchsorted(owner, np.arange(len(zones) + 1))
    return np.array(
        [
            shapely.multipolygons(flat[bounds[i] : bounds[i + 1]])
            if bounds[i + 1] > bounds[i]
            else shapely.Polygon()
            for i in range(len(zones))
        ],
        dtype=object,
    )


# --- the whole model ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TerrainCoverage:
    """Coverage rasters on the DEM grid and their per-commune areas.

    Attributes
    ----------
    rasters : layer name (:func:`geo.analysis.gaps.coverage_keys`) -> bool raster of covered cells.
    servers : uint16 raster: how many BTS sites reach each cell (mobile, any technology).
    walk_minutes : minutes' walk to the nearest internet point (inf beyond the limit).
    signal : uint8 raster of path-loss classes (``SIGNAL_CLASSES``), or None if not asked for.
    covered : layer name -> covered area of each commune (for :func:`geo.analysis.gaps.summarise`).
    extra : further areas per commune: ``single_server`` and the signal classes.
    notes : what to tell the reader (DEM, voids, sites outside the DEM).
    """

    rasters: dict[str, np.ndarray]
    servers: np.ndarray
    walk_minutes: np.ndarray
    signal: np.ndarray | None
    covered: dict[str, np.ndarray]
    extra: dict[str, np.ndarray]
    notes: tuple[str, ...]


def terrain_coverage(
    prepared: gaps.Prepared,
    dem: DEM,
    params: CoverageParams,
    terrain: TerrainParams = TerrainParams(),
    *,
    cache: BoundedCache | None = None,
) -> TerrainCoverage:
    """The terrain model for every layer of :func:`geo.analysis.gaps.coverage_keys`.

    ``prepared`` and ``dem`` must share the working CRS (see :func:`geo.io.dem.read_dem`'s ``crs``).
    """
    if not dem.crs.equals(prepared.crs):
        raise PhusongError(
            f"the DEM is in {dem.crs.name} but the communes are analysed in "
            f"{prepared.crs.name}; read the DEM with crs= the working CRS"
        )
    zones = prepared.zones
    notes = list(dem.notes())
    _check_extent(dem, zones, notes)
    bts, loud, inet = prepared.bts, prepared.loudspeakers, prepared.internet_points

    # Mobile: one viewshed per site at its largest radius; layers are that viewshed cut to the
    # layer's radius (visibility within r does not depend on cells beyond r).
    layer_names = (
        ["mobile_covered"]
        + [f"covered_{t.lower()}" for t in settings.TECHNOLOGIES]
        + [gaps.carrier_column(c)[:-4] for c in prepared.carriers]
    )
    radii = (
        np.vstack(
            [coverage.site_radius_m(bts, params)]
            + [coverage.site_radius_m(bts, params, technology=t) for t in settings.TECHNOLOGIES]
            + [coverage.site_radius_m(bts, params, carrier=c) for c in prepared.carriers]
        )
        if len(bts)
        else np.zeros((len(layer_names), 0))
    )
    heights = site_heights(bts, terrain.bts_height_m)
    xs, ys = (bts.geometry.x.to_numpy(), bts.geometry.y.to_numpy()) if len(bts) else ([], [])
    sheds = viewsheds(
        dem,
        xs,
        ys,
        observer_height_m=heights,
        target_height_m=terrain.handset_height_m,
        radius_m=radii[0] if len(bts) else 0.0,
        curvature_coeff=terrain.curvature_coeff,
        cache=cache,
    )
    _note_skipped(bts, "site_id", sheds, radii[0] if len(bts) else [], notes, "what_bts")
    if terrain.max_path_loss_db and len(bts):
        counts = loss_limited_counts(dem, bts, sheds, radii, heights, terrain)
    else:
        counts = paint(dem, sheds, radii)
    rasters = {name: counts[k] > 0 for k, name in enumerate(layer_names)}
    servers = counts[0]

    # Loudspeakers: line of sight from the horn to a listener within the reach radius.
    l_radius = coverage.loudspeaker_radius_m(loud, params)
    l_sheds = viewsheds(
        dem,
        loud.geometry.x.to_numpy() if len(loud) else [],
        loud.geometry.y.to_numpy() if len(loud) else [],
        observer_height_m=site_heights(loud, terrain.loudspeaker_height_m),
        target_height_m=terrain.listener_height_m,
        radius_m=l_radius,
        curvature_coeff=terrain.sound_curvature_coeff,
        cache=cache,
    )
    _note_skipped(loud, "id", l_sheds, l_radius, notes, "what_loudspeaker")
    rasters["loudspeaker_covered"] = paint(dem, l_sheds, l_radius[None, :])[0] > 0

    # Internet points: walking time over the terrain.
    minutes = walking_minutes(
        dem,
        inet.geometry.x.to_numpy() if len(inet) else [],
        inet.geometry.y.to_numpy() if len(inet) else [],
        max_minutes=terrain.internet_walk_min,
    )
    rasters["internet_access"] = minutes <= terrain.internet_walk_min

    covered = {
        name: raster_areas(rasters[name], dem.transform, zones)
        for name in gaps.coverage_keys(prepared.carriers)
    }
    extra = {"single_server": raster_areas(servers == 1, dem.transform, zones)}
    signal = None
    if terrain.path_loss and len(bts):
        freq = _site_band_mhz(bts, params)
        loss = best_loss(dem, sheds, frequency_mhz=freq, antenna_height_m=heights)
        signal = np.where(rasters["mobile_covered"], signal_classes(loss), NO_SIGNAL)
        for name, value in SIGNAL_CLASSES.items():
            extra[name] = raster_areas(signal == value, dem.transform, zones)
        notes.append(i18n.note("path_loss"))
    return TerrainCoverage(rasters, servers, minutes, signal, covered, extra, tuple(notes))


def analyse_terrain(
    dataset: Dataset,
    dem: DEM,
    *,
    vintage: str = "legacy",
    params: CoverageParams = CoverageParams(),
    terrain: TerrainParams = TerrainParams(),
    cache: BoundedCache | None = None,
) -> gaps.GapAnalysis:
    """The per-commune statistics of :func:`geo.analysis.gaps.analyse`, made by the terrain model.

    Same columns as the circle model, plus ``single_server_pct``/``_pop`` (reached by exactly one
    site) and, with ``terrain.path_loss``, ``signal_strong/variable/weak_pct``; ``model`` is
    "terrain", ``notes`` say which DEM made the figures; its ``settlements`` carry
    ``internet_walk_min``, the minutes' walk to the nearest internet point (inf beyond
    ``terrain.internet_walk_min``, NaN off the DEM), for :mod:`geo.analysis.villages`.
    """
    prepared = gaps.prepare(dataset, vintage=vintage, params=params)
    result = terrain_coverage(prepared, dem, params, terrain, cache=cache)
    notes = (i18n.note("terrain_model"),) + result.notes
    analysis = gaps.summarise(
        dataset,
        prepared,
        result.covered,
        vintage=vintage,
        params=params,
        model="terrain",
        notes=notes,
        extra=result.extra,
    )
    if analysis.settlements is None or not len(analysis.settlements):
        return analysis
    # the villages' walking time, read now: the raster is not kept with the analysis
    villages = analysis.settlements
    rows, cols = observer_cell(dem, villages.geometry.x.to_numpy(), villages.geometry.y.to_numpy())
    on = rows >= 0
    minutes = np.full(len(villages), np.nan)
    minutes[on] = result.walk_minutes[rows[on], cols[on]]
    return dataclasses.replace(analysis, settlements=villages.assign(internet_walk_min=minutes))


def dem_area(
    dataset: Dataset, *, vintage: str = "legacy", margin_m: float = 15_000.0
) -> tuple[object, tuple[float, float, float, float]]:
    """(working CRS, bounds) a DEM must cover for ``dataset``: the communes' box grown by
    ``margin_m`` (the longest reach, so sites just outside the communes are on the DEM)."""
    from geo.crs import working_crs
    from geo.analysis.vintages import communes_for_vintage

    units = communes_for_vintage(dataset.communes, vintage)
    crs = working_crs(units)
    xmin, ymin, xmax, ymax = units.to_crs(crs).total_bounds
    return crs, (xmin - margin_m, ymin - margin_m, xmax + margin_m, ymax + margin_m)


# --- helpers ------------------------------------------------------------------------------------


def site_heights(layer: gpd.GeoDataFrame, default: float) -> np.ndarray:
    if len(layer) == 0:
        return np.zeros(0)
    own = layer["height_m"].to_numpy(float) if "height_m" in layer else np.full(len(layer), np.nan)
    return np.where(np.isfinite(own), own, default)


def loss_limited_counts(
    dem: DEM,
    bts: gpd.GeoDataFrame,
    sheds: list,
    radii: np.ndarray,
    heights: np.ndarray,
    terrain: TerrainParams,
) -> np.ndarray:
    """The mobile layers' site counts (:func:`paint`; rows of ``radii``: any technology, each
    technology of ``settings.TECHNOLOGIES``, then any carriers) when fitted path-loss thresholds
    (``terrain.max_path_loss_db``) apply: per site and
    technology its viewshed cut to the technology's radius and to the cells within the carrier's
    threshold at the technology's band; a site's any-technology reach is the union of those."""
    n_tech = len(settings.TECHNOLOGIES)
    carriers = bts["carrier"].to_numpy(object)
    by_tech, union = [], [None] * len(sheds)
    for k, tech in enumerate(settings.TECHNOLOGIES):
        cut = [
            loss_limited(
                dem,
                shed,
                frequency_mhz=settings.BAND_MHZ[tech],
                antenna_height_m=float(heights[i]),
                radius_m=float(radii[1 + k][i]),
                limit_db=terrain.path_loss_limit(str(carriers[i]), tech),
            )
            for i, shed in enumerate(sheds)
        ]
        by_tech.append(paint(dem, cut, radii[1 + k][None, :])[0])
        for i, shed in enumerate(cut):
            if shed is not None:
                union[i] = (
                    shed
                    if union[i] is None
                    else dataclasses.replace(shed, bits=union[i].bits | shed.bits)
                )
    return np.concatenate(
        [paint(dem, union, radii[:1]), np.stack(by_tech), paint(dem, union, radii[1 + n_tech :])]
    )


def _site_band_mhz(bts: gpd.GeoDataFrame, params: CoverageParams) -> np.ndarray:
    """Each site's lowest band among its technologies that count (lowest loss), MHz."""
    freq = np.full(len(bts), np.inf)
    for tech in settings.TECHNOLOGIES:
        has = coverage.site_radius_m(bts, params, technology=tech) > 0
        freq = np.where(has, np.minimum(freq, settings.BAND_MHZ[tech]), freq)
    return freq


def _note_skipped(layer, id_col, sheds, radius, notes: list, what: str) -> None:
    skipped = [
        str(layer[id_col].iloc[i]) for i, s in enumerate(sheds) if s is None and radius[i] > 0
    ]
    if skipped:
        notes.append(
            i18n.note(
                "skipped",
                n=len(skipped),
                what=i18n.note(what),
                ids=", ".join(skipped[:10]) + (" …" if len(skipped) > 10 else ""),
            )
        )


def _check_extent(dem: DEM, zones: np.ndarray, notes: list) -> None:
    """Raise if the DEM misses part of the communes (naming the 1° tiles needed)."""
    from rasterio import features

    from geo.io.dem import tile_names

    if len(zones) == 0:
        return
    inside = features.geometry_mask(zones, dem.shape, dem.transform, invert=True, all_touched=False)
    if not inside.any():
        raise PhusongError(
            "the DEM does not overlap the communes; tiles needed: "
            + ", ".join(tile_names(tuple(shapely.total_bounds(zones)), dem.crs))
        )
    void = inside & np.isnan(dem.elevation_m)
    area = float(shapely.area(zones).sum())
    covered = float(inside.sum()) * dem.cell_m**2
    if covered < 0.99 * area or void.sum() > 0.01 * inside.sum():
        raise PhusongError(
            f"the DEM covers only {100 * min(covered, area) / area:.1f} % of the communes "
            f"({int(void.sum()):,} cells without data inside them); add the tiles "
            + ", ".join(tile_names(tuple(shapely.total_bounds(zones)), dem.crs))
        )
    if void.any():
        notes.append(i18n.note("void_in_communes", cells=int(void.sum())))
