"""The ``vietnamadminunits`` tables: every legacy (before 1 July 2025) commune-level unit of Vietnam
with its point, its cleaned lat/lon envelope and its 2025 commune (:func:`legacy_units`), read
from the package's SQLite database and 2025 converter. :mod:`geo.build.boundaries` grows
approximate polygons from them; :mod:`geo.io.importing` joins commune codes with them.
"""

from __future__ import annotations

import json
import sqlite3
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from geo.errors import PhusongError

M_PER_DEG_LAT = 111_320.0
BBOX_COLUMNS = ["min_lat", "min_lon", "max_lat", "max_lon"]
ZONE_COLUMNS = ["zone_" + c for c in BBOX_COLUMNS]
# Heuristics that flag a package bbox as unusable (the geocoder fell back to a district/province box,
# or to a point): bbox area against the official area of the unit's 2025 commune.
_HUGE_BBOX = 8.0
_TINY_BBOX = 0.02


# --------------------------------------------------------------------------------------------- data


def _data_dir() -> Path:
    import vietnamadminunits

    return Path(vietnamadminunits.__file__).parent / "data"


def _parse_bounds(s: pd.Series) -> pd.DataFrame:
    """``"lat_min,lon_min – lat_max,lon_max"`` -> four float columns (NaN where missing)."""
    parts = s.fillna("").str.replace("–", ",", regex=False).str.split(",", expand=True)
    parts = parts.reindex(columns=range(4))
    out = parts.apply(lambda c: pd.to_numeric(c.str.strip(), errors="coerce"))
    out.columns = BBOX_COLUMNS
    return out


@lru_cache(maxsize=1)
def tables() -> tuple[pd.DataFrame, dict[str, list[dict]]]:
    """National table of legacy units (cleaned) and the split crosswalk.

    Returns the table of all legacy units and ``{legacy code: [{code, name, lat, lon, area_km2}, ...]}``
    for legacy units that were divided among several 2025 units.
    """
    data = _data_dir()
    con = sqlite3.connect(f"file:{data / 'dataset.db'}?mode=ro", uri=True)
    try:
        legacy = pd.read_sql("SELECT * FROM admin_units_legacy", con)
        new = pd.read_sql(
            "SELECT ward, wardCode, wardLat, wardLon, wardAreaKm2, provinceKey, wardKey FROM admin_units",
            con,
        )
    finally:
        con.close()
    conv = json.loads((data / "converter_2025.json").read_text(encoding="utf-8"))

    # The five island districts have no ward level: they are units of their own.
    island = legacy["wardCode"].isna()
    t = pd.DataFrame(
        {
            "code": legacy["wardCode"].where(~island, legacy["districtCode"]),
            "name": legacy["ward"].where(~island, legacy["district"]),
            "name_short": legacy["wardShort"].where(~island, legacy["districtShort"]),
            "unit_type": legacy["wardType"].where(~island, legacy["districtType"]),
            "district": legacy["district"],
            "district_code": legacy["districtCode"],
            "province": legacy["province"],
            "province_code": legacy["provinceCode"],
            "lat": legacy["wardLat"].where(~island, legacy["districtLat"]),
            "lon": legacy["wardLon"].where(~island, legacy["districtLon"]),
            "bounds_raw": legacy["wardBounds"].where(~island, legacy["districtBounds"]),
        }
    )
    key = legacy["provinceKey"] + "_" + legacy["districtKey"] + "_" + legacy["wardKey"].fillna("")

    nkey = new["provinceKey"] + "_" + new["wardKey"]
    new_by_key = {
        k: (c, n, la, lo, a)
        for k, c, n, la, lo, a in zip(
            nkey, new["wardCode"], new["ward"], new["wardLat"], new["wardLon"], new["wardAreaKm2"]
        )
    }
    to_new: dict[str, str] = {}
    for nprov, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for nward, olds in wards.items():
            for old in olds:
                to_new[old] = f"{nprov}_{nward}"
    divided_keys: dict[str, list[str]] = {}
    for nprov, olds in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, parts in olds.items():
            default = [p for p in parts if p["isDefaultNewWard"]] or parts[:1]
            to_new[old] = f"{nprov}_{default[0]['newWardKey']}"
            divided_keys[old] = [f"{nprov}_{p['newWardKey']}" for p in parts]

    nk = key.map(to_new)
    t["code_2025"] = nk.map(lambda k: new_by_key[k][0] if k in new_by_key else None)
    t["name_2025"] = nk.map(lambda k: new_by_key[k][1] if k in new_by_key else None)
    new_lat = nk.map(lambda k: new_by_key[k][2] if k in new_by_key else np.nan)
    new_lon = nk.map(lambda k: new_by_key[k][3] if k in new_by_key else np.nan)
    new_area = nk.map(lambda k: new_by_key[k][4] if k in new_by_key else np.nan)

    splits: dict[str, list[dict]] = {}
    for code, k in zip(t["code"], key):
        if k in divided_keys:
            splits[code] = [
                dict(zip(("code", "name", "lat", "lon", "area_km2"), new_by_key[nk_]))
                for nk_ in divided_keys[k]
                if nk_ in new_by_key
            ]

    t["area_2025_km2"] = new_area.to_numpy(float)
    t = pd.concat([t, _parse_bounds(t["bounds_raw"])], axis=1)
    t = _clean_bboxes(t, new_lat.to_numpy(float), new_lon.to_numpy(float), new_area.to_numpy(float))
    t = _district_zones(t, _parse_bounds(legacy["districtBounds"]))
    t = t.sort_values("code", kind="stable").reset_index(drop=True)
    return t, splits


def _district_zones(t: pd.DataFrame, dbox: pd.DataFrame) -> pd.DataFrame:
    """Add each unit's *district zone*: where it may grow to meet its official 2025 area.

    The zone is the package's district bbox (``districtBounds``) intersected with the envelope of
    the (cleaned) bboxes of the district's units, so a wrong district bbox cannot send a commune
    far away; where the two do not meet or the district bbox is missing, the envelope alone.
    """
    t = t.copy()
    env = t.groupby("district_code")[BBOX_COLUMNS].agg(
        {"min_lat": "min", "min_lon": "min", "max_lat": "max", "max_lon": "max"}
    )
    env = env.reindex(t["district_code"]).to_numpy(float)
    d = dbox.to_numpy(float)
    z = np.column_stack(
        [
            np.fmax(env[:, 0], d[:, 0]),
            np.fmax(env[:, 1], d[:, 1]),
            np.fmin(env[:, 2], d[:, 2]),
            np.fmin(env[:, 3], d[:, 3]),
        ]
    )
    bad = ~((z[:, 0] < z[:, 2]) & (z[:, 1] < z[:, 3]))
    z[bad] = env[bad]
    for k, col in enumerate(BBOX_COLUMNS):
        t["zone_" + col] = z[:, k]
    return t


def _clean_bboxes(t: pd.DataFrame, new_lat, new_lon, new_area) -> pd.DataFrame:
    """Flag package bboxes that cannot be a tight commune envelope and replace them.

    A bbox is unreliable when several units share it (geocoder fell back to the district/province),
    when it is far larger or far smaller than the official area of the unit's 2025 commune allows,
    or when it is missing. Such a unit gets a square of twice its expected area (2025 area shared
    equally among its legacy members) around its point; units sharing one point are spread on a
    small circle so that each keeps some cells. ``bbox_reliable`` records the decision.
    """
    t = t.copy()
    new_area = np.where(
        new_area > 0, new_area, np.nan
    )  # a few 2025 units have area 0 in the package
    lat0 = np.where(np.isfinite(t["lat"]), t["lat"], 16.0)
    kx = M_PER_DEG_LAT * np.cos(np.radians(lat0)) / 1000.0  # km per degree of longitude
    ky = M_PER_DEG_LAT / 1000.0
    w_km = (t["max_lon"] - t["min_lon"]).to_numpy() * kx
    h_km = (t["max_lat"] - t["min_lat"]).to_numpy() * ky
    bbox_km2 = w_km * h_km

    members = t.groupby("code_2025", dropna=False)["code"].transform("size").to_numpy()
    est_km2 = np.where(np.isfinite(new_area), new_area / members, np.nanmedian(new_area))

    # Shared bbox or shared point: the geocoder returned another unit's (or a parent's) answer.
    shared = (t["bounds_raw"].duplicated(keep=False) & t["bounds_raw"].notna()) | (
        t[["lat", "lon"]].duplicated(keep=False) & t["lat"].notna()
    )
    bad = (
        ~np.isfinite(bbox_km2)
        | shared.to_numpy()
        | (bbox_km2 > _HUGE_BBOX * np.where(np.isfinite(new_area), new_area, np.inf))
        | (bbox_km2 < _TINY_BBOX * est_km2)
    )
    # A sole member whose 2025 point lies well outside the bbox: the bbox is elsewhere (Hoàng Sa).
    dx = np.maximum(np.maximum(t["min_lon"] - new_lon, new_lon - t["max_lon"]), 0) * kx
    dy = np.maximum(np.maximum(t["min_lat"] - new_lat, new_lat - t["max_lat"]), 0) * ky
    far = (members == 1) & (np.hypot(dx, dy) > np.maximum(np.fmax(w_km, h_km), 1.0))
    bad = bad | far.to_numpy()

    lat = t["lat"].to_numpy(float).copy()
    lon = t["lon"].to_numpy(float).copy()
    use_new = bad & (members == 1) & np.isfinite(new_lat)
    lat[use_new], lon[use_new] = new_lat[use_new], new_lon[use_new]
    # Spread units that share one point (deterministically, by code).
    side_km = np.sqrt(2.0 * est_km2)
    pts = pd.DataFrame({"lat": lat, "lon": lon, "code": t["code"]})
    rank = pts[bad].groupby(["lat", "lon"])["code"].rank(method="first").reindex(pts.index)
    n = pts[bad].groupby(["lat", "lon"])["code"].transform("size").reindex(pts.index)
    spread = bad & (n.to_numpy() > 1)
    ang = 2 * np.pi * (rank.to_numpy() - 1) / np.where(spread, n.to_numpy(), 1)
    r_km = 0.6 * side_km
    lat = np.where(spread, lat + r_km * np.sin(ang) / ky, lat)
    lon = np.where(spread, lon + r_km * np.cos(ang) / np.where(np.isfinite(kx), kx, 107.0), lon)
    half_lat = side_km / 2 / ky
    half_lon = side_km / 2 / kx
    for col, val in (
        ("min_lat", lat - half_lat),
        ("max_lat", lat + half_lat),
        ("min_lon", lon - half_lon),
        ("max_lon", lon + half_lon),
    ):
        t[col] = np.where(bad, val, t[col])
    # The point must lie in the bbox: clamp (a handful of package points sit just outside).
    t["lat"] = np.clip(np.where(bad, lat, t["lat"]), t["min_lat"], t["max_lat"])
    t["lon"] = np.clip(np.where(bad, lon, t["lon"]), t["min_lon"], t["max_lon"])
    t["bbox_reliable"] = ~bad
    # Share of its bboxes that a 2025 commune fills (official area / sum of members' bbox areas).
    bb = (t["max_lon"] - t["min_lon"]) * kx * (t["max_lat"] - t["min_lat"]) * ky
    tot = bb.groupby(t["code_2025"]).transform("sum")
    with np.errstate(invalid="ignore", divide="ignore"):
        t["fill"] = np.nan_to_num(np.clip(new_area / tot.to_numpy(), 0.15, 1.0), nan=0.5)
    return t


def _norm_code(value: str | int | None, width: int, what: str) -> str | None:
    if value is None:
        return None
    s = str(value).strip()
    if not s.isdigit():
        raise PhusongError(
            f"{what} must be a numeric GSO code such as {'4' * width!r}; got {value!r}"
        )
    return s.zfill(width)


def legacy_units(
    *, province_code: str | None = None, district_code: str | None = None
) -> pd.DataFrame:
    """Legacy (pre-1 July 2025, 63-province) commune-level units of a district or province.

    Parameters
    ----------
    province_code : str, optional
        GSO province code of the 63-province scheme, e.g. ``"45"`` (Quảng Trị).
    district_code : str, optional
        GSO district code, e.g. ``"467"`` (Đa Krông). With both codes the district must lie in the
        province. With neither, every unit of Vietnam is returned.

    Returns
    -------
    pandas.DataFrame
        One row per unit, ordered by GSO code, with columns

        - ``code`` (str, 5-digit GSO commune code; 3-digit district code for the five island
          districts that have no commune level), ``name`` (full name with type, e.g. "Xã Tà Rụt"),
          ``name_short``, ``unit_type``, ``district``, ``district_code``, ``province``,
          ``province_code``;
        - ``lat``, ``lon``: the unit's point, degrees WGS 84 (EPSG:4326), inside the bbox;
        - ``min_lat``, ``min_lon``, ``max_lat``, ``max_lon``: the unit's envelope, degrees WGS 84;
          normally the package's tight ``wardBounds``. Where that bbox is unusable
          (``bbox_reliable`` False: shared with other units, missing, or wildly larger/smaller than
          the official 2025 area allows) it is replaced by a square of twice the expected area around
          the point; ``bounds_raw`` keeps the package string;
        - ``code_2025``, ``name_2025``: the 1 July 2025 commune the unit became (the default one for
          units split among several), None where the crosswalk has no entry;
        - ``area_2025_km2``: official area of that 2025 commune, km² (NaN where unknown or 0);
        - ``fill``: that 2025 area over the summed bbox area of its legacy members, clipped to
          [0.15, 1] (0.5 where unknown); used to weight contested cells;
        - ``zone_min_lat``, ``zone_min_lon``, ``zone_max_lat``, ``zone_max_lon``: the district
          zone, degrees WGS 84: the package district bbox intersected with the envelope of the
          district's unit bboxes. A unit whose 2025 commune is short of its official area may grow
          into it.

    Raises
    ------
    PhusongError
        If a code is not numeric or matches no unit.
    """
    t, _ = tables()
    pc = _norm_code(province_code, 2, "province_code")
    dc = _norm_code(district_code, 3, "district_code")
    sel = pd.Series(True, index=t.index)
    if pc is not None:
        sel &= t["province_code"] == pc
        if not sel.any():
            provinces = t.drop_duplicates("province_code")[["province_code", "province"]]
            listing = ", ".join(f"{c} {n}" for c, n in provinces.itertuples(index=False))
            raise PhusongError(
                f"no legacy province with code {pc!r}. Valid 63-province GSO codes: {listing}"
            )
    if dc is not None:
        sel &= t["district_code"] == dc
        if not sel.any():
            scope = t if pc is None else t[t["province_code"] == pc]
            where = "" if pc is None else f" in province {pc}"
            if pc is not None and (t["district_code"] == dc).any():
                real = t.loc[t["district_code"] == dc, "province_code"].iloc[0]
                where += f" (district {dc} is in province {real})"
            sample = scope.drop_duplicates("district_code")[["district_code", "district"]].head(40)
            listing = ", ".join(f"{c} {n}" for c, n in sample.itertuples(index=False))
            raise PhusongError(
                f"no legacy district with code {dc!r}{where}. Codes are 3-digit GSO district codes "
                f"of the pre-2025 scheme, e.g. {listing}. "
                "List them all with geo.build.boundaries.legacy_units()[['district_code', 'district']]"
                ".drop_duplicates()."
            )
    return t[sel].reset_index(drop=True)
