"""Which channels reach each village (thôn, bản) of a dataset's settlements layer.

:func:`village_table` reads an analysis's own covered areas (:meth:`geo.analysis.gaps.GapAnalysis.covered`),
so a village is reached exactly where the analysis's figures say: the circle model's discs with
its radii and carrier/technology filters, or the terrain model's line-of-sight and walking-time
rasters. A village is covered by a layer when its point lies in its commune's covered area (the
rule :func:`geo.analysis.gaps.analyse` counts settlement people by). The villages without mobile signal are
the "thôn, bản lõm sóng" provinces report.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely import STRtree

from geo import i18n, settings
from geo.analysis.gaps import GapAnalysis, carrier_column


def channel_columns(analysis: GapAnalysis) -> list[str]:
    """The covered-layer columns of :func:`village_table`, in reading order: mobile (any), per
    carrier with a column in the analysis, per technology, loudspeaker, internet access."""
    carriers = [
        carrier_column(c)[:-4]
        for c in settings.CARRIERS
        if carrier_column(c)[:-4] in analysis.layers
    ]
    techs = [f"covered_{t.lower()}" for t in settings.TECHNOLOGIES]
    return ["mobile_covered"] + carriers + techs + ["loudspeaker_covered", "internet_access"]


def village_table(
    analysis: GapAnalysis, settlements: gpd.GeoDataFrame | None = None
) -> gpd.GeoDataFrame:
    """One row per village: its commune, population and the channels that reach it.

    Parameters
    ----------
    analysis : a finished analysis (circle or terrain model) that carries its covered layers.
    settlements : villages (points with ``name`` and ``population``, any CRS); default the
        analysis's own (``analysis.settlements``).

    Returns
    -------
    GeoDataFrame in the analysis's metric CRS (UTM), the villages' order kept, columns ``name``,
    ``code`` and ``commune`` (the commune holding the village, empty outside every commune),
    ``population``, one nullable bool per :func:`channel_columns` layer (NA outside every commune:
    the analysis says nothing there), ``internet_distance_m`` (straight-line metres to the nearest
    internet point, NaN without any), with the terrain model ``internet_walk_min`` (minutes' walk
    over the DEM, inf beyond its walking limit, NaN off the DEM) and ``no_mobile`` (the "lõm
    sóng" flag: no mobile signal).
    Empty (same columns) without settlements.
    """
    if settlements is None:
        settlements = analysis.settlements
    layers = channel_columns(analysis)
    if settlements is None or len(settlements) == 0:
        empty = {c: pd.Series(dtype=object) for c in ("name", "code", "commune")}
        empty |= {"population": pd.Series(dtype=float)}
        empty |= {c: pd.Series(dtype="boolean") for c in layers + ["no_mobile"]}
        empty |= {"internet_distance_m": pd.Series(dtype=float)}
        return gpd.GeoDataFrame(empty, geometry=gpd.GeoSeries([], crs=analysis.crs))
    villages = settlements.to_crs(analysis.crs)
    points = villages.geometry.to_numpy()
    communes = analysis.communes
    unit = _commune_of(communes.geometry.to_numpy(), points)
    inside = unit >= 0
    at = np.where(inside, unit, 0)
    columns: dict[str, object] = {
        "name": villages["name"].astype(str).to_numpy(),
        "code": np.where(inside, communes["code"].astype(str).to_numpy()[at], ""),
        "commune": np.where(inside, communes["name"].astype(str).to_numpy()[at], ""),
        "population": villages["population"].to_numpy(float),
    }
    for name in layers:
        reached = shapely.intersects(analysis.covered(name)[at], points)
        columns[name] = pd.array(np.where(inside, reached, None), dtype="boolean")
    columns["internet_distance_m"] = _nearest_m(
        points, analysis.sites["internet_points"].geometry.to_numpy()
    )
    if "internet_walk_min" in villages:  # the terrain model's walking time
        columns["internet_walk_min"] = villages["internet_walk_min"].to_numpy(float)
    columns["no_mobile"] = ~columns["mobile_covered"]
    return gpd.GeoDataFrame(columns, geometry=points, crs=analysis.crs)


def _commune_of(zones: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Row of the commune holding each point (the first by row where borders touch), −1 if none."""
    out = np.full(len(points), -1, dtype=np.int64)
    if len(zones) == 0 or len(points) == 0:
        return out
    point_idx, zone_idx = STRtree(zones).query(points, predicate="intersects")
    order = np.lexsort((zone_idx, point_idx))[::-1]  # last write wins: the smallest zone row
    out[point_idx[order]] = zone_idx[order]
    return out


def _nearest_m(points: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Metres from each point to the nearest target (NaN without targets); metric CRS."""
    if len(targets) == 0:
        return np.full(len(points), np.nan)
    (point_idx, _), distance = STRtree(targets).query_nearest(
        points, return_distance=True, all_matches=False
    )
    out = np.full(len(points), np.nan)
    out[point_idx] = distance
    return out


def lom_song_count(table: pd.DataFrame) -> tuple[int, int]:
    """(villages without mobile signal, villages inside a commune) of a :func:`village_table`."""
    known = table["no_mobile"].notna()
    return int(table["no_mobile"][known].astype(bool).sum()), int(known.sum())


def note_line(table: pd.DataFrame, lang: str = "vi") -> str:
    """The notes' line on villages: how many have no mobile signal ("lõm sóng") and which."""
    n, total = lom_song_count(table)
    flagged = table[table["no_mobile"].fillna(False).astype(bool)]
    names = ", ".join(f"{v} ({c})" for v, c in zip(flagged["name"], flagged["commune"]))
    return i18n.t("village.note", lang).format(
        n=i18n.number(n, lang), total=i18n.number(total, lang), names=names or "—"
    )


def reading_table(table: pd.DataFrame, analysis: GapAnalysis, lang: str = "vi") -> pd.DataFrame:
    """:func:`village_table` for reading: headers in ``lang``, yes/no words for the channels (empty
    outside every commune), population, distance and minutes whole numbers (plain numbers, no
    thousands separator; walking time empty beyond the walking limit or off the DEM)."""
    settings.check_choice("lang", lang, settings.LANGS)
    yes_no = {True: i18n.t("unit.yes", lang), False: i18n.t("unit.no", lang)}
    flags = channel_columns(analysis)
    order = (
        ["name", "code", "commune", "population"]
        + flags
        + ["internet_distance_m"]
        + (["internet_walk_min"] if "internet_walk_min" in table else [])
        + ["no_mobile"]
    )
    out = {}
    for col in order:
        values = table[col]
        if col in flags or col == "no_mobile":
            values = [yes_no[bool(v)] if not pd.isna(v) else "" for v in values]
        elif col != "population" and col.startswith("internet_"):
            v = np.asarray(values, float)
            values = pd.array(np.where(np.isfinite(v), v, np.nan).round(0), dtype="Int64")
        elif col == "population":
            values = pd.array(np.asarray(values, float).round(0), dtype="Int64")
        out[header(col, lang)] = values
    return pd.DataFrame(out)


def compare_table(circle: GapAnalysis, terrain: GapAnalysis, lang: str = "vi") -> pd.DataFrame:
    """The circle model's :func:`reading_table` with the terrain model's channels, walking time
    and lõm sóng flag beside it, each header tagged with its model (as the commune table)."""
    left = reading_table(village_table(circle), circle, lang)
    right = reading_table(village_table(terrain), terrain, lang)
    fixed = [
        header(c, lang) for c in ("name", "code", "commune", "population", "internet_distance_m")
    ]
    circle_tag, terrain_tag = (
        i18n.t("terrain.tag_circle", lang),
        i18n.t("terrain.tag_terrain", lang),
    )
    left = left.rename(columns={c: f"{c} {circle_tag}" for c in left.columns if c not in fixed})
    right = right.drop(columns=[c for c in fixed if c in right.columns])
    return pd.concat(
        [left, right.rename(columns={c: f"{c} {terrain_tag}" for c in right.columns})], axis=1
    )


def header(col: str, lang: str = "vi") -> str:
    """Header of a :func:`village_table` column in ``lang``."""
    return i18n.t(f"village.{col}", lang)


def csv_bytes(
    analysis: GapAnalysis, *, lang: str = "vi", terrain: GapAnalysis | None = None
) -> bytes:
    """The village table as UTF-8 CSV with a BOM (``settlements.csv`` of the report); with
    ``terrain``, both models side by side (:func:`compare_table`)."""
    return table_csv(for_export(analysis, lang=lang, terrain=terrain))


def for_export(
    analysis: GapAnalysis, *, lang: str = "vi", terrain: GapAnalysis | None = None
) -> pd.DataFrame:
    """The village table of the exports: :func:`reading_table`, or with ``terrain``
    :func:`compare_table`."""
    if terrain is None:
        return reading_table(village_table(analysis), analysis, lang)
    return compare_table(analysis, terrain, lang)


def table_csv(reading: pd.DataFrame) -> bytes:
    """A :func:`reading_table` as UTF-8 CSV with a BOM (Excel shows Vietnamese letters)."""
    return reading.to_csv(index=False).encode("utf-8-sig")
