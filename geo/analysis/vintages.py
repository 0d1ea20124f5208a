"""Commune units of either vintage: the 13 legacy units (until 30 June 2025) or the units in
force since 1 July 2025 (NQ 1680/NQ-UBTVQH15 for Quảng Trị), dissolved with the crosswalk kept in
the communes layer (``code_2025``, ``name_2025``)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo.errors import PhusongError


def communes_for_vintage(communes: gpd.GeoDataFrame, vintage: str) -> gpd.GeoDataFrame:
    """Commune polygons of ``vintage`` ("legacy" or "2025"), any CRS in, same CRS out.

    The 2025 units are unions of their legacy parts: population is summed (unknown if any part's
    is unknown), ``especially_difficult`` is true if any part was, and ``legacy_codes`` lists the
    parts. Columns out: code, name, population, population_source, especially_difficult,
    legacy_codes, geometry.
    """
    settings.check_choice("vintage", vintage, settings.VINTAGES)
    base = communes.reset_index(drop=True)
    if vintage == "legacy":
        out = base[
            ["code", "name", "population", "population_source", "especially_difficult", "geometry"]
        ].copy()
        out["legacy_codes"] = out["code"]
        return out
    if "code_2025" not in base or (base["code_2025"].fillna("") == "").any():
        missing = base.loc[
            base.get("code_2025", pd.Series("", index=base.index)).fillna("") == "", "name"
        ].tolist()
        raise PhusongError(
            "the 2025 communes cannot be formed: column 'code_2025' is empty for "
            f"{', '.join(map(str, missing))}; fill code_2025 and name_2025 in the "
            "communes layer"
        )
    groups = base.groupby("code_2025", sort=True)
    rows = []
    for code, part in groups:  # one row per new commune (a handful per district)
        pops = part["population"].to_numpy(float)
        rows.append(
            {
                "code": code,
                "name": part["name_2025"].iloc[0],
                "population": float(pops.sum()) if np.isfinite(pops).all() else np.nan,
                "population_source": "; ".join(
                    sorted(set(part["population_source"].fillna("")) - {""})
                ),
                "especially_difficult": bool(part["especially_difficult"].any()),
                "legacy_codes": ";".join(part["code"]),
                "geometry": shapely.union_all(part.geometry.to_numpy()),
            }
        )
    return gpd.GeoDataFrame(rows, geometry="geometry", crs=communes.crs)
