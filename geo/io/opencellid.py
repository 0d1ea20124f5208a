"""OpenCellID cell lists as the BTS site layer: crowd-sourced, approximate positions.

OpenCellID (opencellid.org, CC BY-SA 4.0) and Mozilla Location Service export one row per cell
with the header ``radio,mcc,net,area,cell,unit,lon,lat,range,samples,changeable,created,updated,
averageSignal``. :func:`cells_to_sites` reads such a table (found by its header wherever a
``bts_sites`` file is read: ``--sites``, the app's upload):

- keeps Viet Nam's cells (MCC :data:`geo.settings.MCC_VIET_NAM`); another country's row is an
  error naming its MCC, as is a malformed row (file, row, column);
- maps ``net`` (the MNC) to the carrier (:data:`geo.settings.MNC_CARRIER`; operators phusong has
  no column for become "other" with a warning) and ``radio`` to the technology
  (:data:`geo.settings.RADIO_TECHNOLOGY`);
- merges the cells of one carrier lying within :data:`geo.settings.CELL_MERGE_M` metres of each
  other (chains included) into one site at their mean position (UTM), with the union of their
  technologies, the largest ``range`` (m), the summed ``samples`` and the number of ``cells``;
- labels the layer: every site has ``position_source`` = "opencellid" and the import report
  carries a warning "crowd-sourced, approximate positions" with the counts.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geo import settings
from geo.io import normalise
from geo.crs import WGS84, working_crs
from geo.errors import Problem
from geo.i18n import reason
from geo.io.measurements import carrier_of_mnc

HEADER: tuple[str, ...] = (
    "radio",
    "mcc",
    "net",
    "area",
    "cell",
    "unit",
    "lon",
    "lat",
    "range",
    "samples",
    "changeable",
    "created",
    "updated",
    "averageSignal",
)
_REQUIRED = {"radio", "mcc", "net", "area", "cell", "lon", "lat"}
POSITION_SOURCE = "opencellid"
# Columns of the site layer made from an export, beyond the bts_sites schema.
EXTRA_COLUMNS: tuple[str, ...] = ("range_m", "samples", "cells", "position_source")


def is_export(columns) -> bool:
    """True when ``columns`` hold the OpenCellID header's identifying columns (any case)."""
    return _REQUIRED <= {str(c).strip().lower() for c in columns}


def cells_to_sites(
    raw, *, name: str, problems: list[Problem] | None = None
) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """The sites of an OpenCellID export held by ``raw`` (a :class:`geo.io.readers.Raw` table
    of text cells) in EPSG:4326, with the ``bts_sites`` schema columns, :data:`EXTRA_COLUMNS`
    and ``first_row`` (the file row of each site's first cell), and every problem (file, row,
    column, value, reason). :func:`geo.io.importing.import_layer` calls it."""
    problems = list(problems or [])
    frame = raw.frame.rename(columns={c: str(c).strip().lower() for c in raw.frame.columns})
    first = raw.first_row
    cells = []
    for i, row in frame.iterrows():
        cell, why = _cell(row)
        if why is not None:
            column, value, text, severity = why
            problems.append(Problem(name, int(i) + first, column, value, text, severity))
            if severity == "error":
                continue
        cells.append(cell | {"row": int(i) + first})
    sites = merge_cells(pd.DataFrame(cells), merge_m=settings.CELL_MERGE_M)
    problems.append(
        Problem(
            name,
            None,
            None,
            None,
            reason(
                "opencellid_source",
                cells=len(cells),
                sites=len(sites),
                merge=int(settings.CELL_MERGE_M),
            ),
            "warning",
        )
    )
    return sites, problems


def _cell(row: pd.Series) -> tuple[dict, tuple | None]:
    """One cell's values, or the (column, value, reason, severity) of its first problem."""
    radio = str(row.get("radio", "")).strip().upper()
    if radio not in settings.RADIO_TECHNOLOGY:
        return {}, ("radio", radio, reason("bad_radio", radio=radio), "error")
    values = {}
    for column in ("mcc", "net", "lon", "lat"):
        text = str(row.get(column, "")).strip()
        try:
            values[column] = normalise.parse_number(text) if text else None
        except ValueError as exc:
            return {}, (column, text, exc.args[0], "error")
        if values[column] is None:
            return {}, (column, "", reason("empty_required"), "error")
    if int(values["mcc"]) != settings.MCC_VIET_NAM:
        return {}, (
            "mcc",
            str(int(values["mcc"])),
            reason("foreign_mcc", mcc=str(int(values["mcc"])), ours=str(settings.MCC_VIET_NAM)),
            "error",
        )
    for column, limit in (("lat", 90), ("lon", 180)):
        if abs(values[column]) > limit:
            return {}, (column, str(values[column]), reason("out_of_range", limit=limit), "error")
    try:
        carrier, note = carrier_of_mnc(int(values["net"]))
    except ValueError as exc:
        return {}, ("net", str(int(values["net"])), exc.args[0], "error")
    extra = {}
    for column in ("range", "samples"):
        text = str(row.get(column, "")).strip()
        try:
            extra[column] = normalise.parse_number(text) if text else np.nan
        except ValueError:
            extra[column] = np.nan
    cell = {
        "carrier": carrier,
        "technology": settings.RADIO_TECHNOLOGY[radio],
        "net": int(values["net"]),
        "area": str(row.get("area", "")).strip(),
        "cell": str(row.get("cell", "")).strip(),
        "lon": values["lon"],
        "lat": values["lat"],
        "range_m": extra["range"],
        "samples": extra["samples"],
    }
    if note is not None:
        return cell, ("net", str(int(values["net"])), note, "warning")
    return cell, None


def merge_cells(cells: pd.DataFrame, *, merge_m: float = settings.CELL_MERGE_M) -> gpd.GeoDataFrame:
    """Sites from cells (columns carrier, technology, net, area, cell, lon, lat, range_m, samples,
    row): the cells of one carrier within ``merge_m`` metres of each other (chains included) are
    one site at their mean position in the working UTM CRS. EPSG:4326 out, one row per site with
    the ``bts_sites`` schema columns, :data:`EXTRA_COLUMNS` and ``first_row`` (its first cell's
    row in the file)."""
    columns = [
        "site_id",
        "carrier",
        "technologies",
        "height_m",
        "illustrative",
        *EXTRA_COLUMNS,
        "first_row",
    ]
    if cells.empty:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=gpd.GeoSeries([], crs=WGS84))
    pts = gpd.GeoSeries(
        shapely.points(cells["lon"].to_numpy(float), cells["lat"].to_numpy(float)), crs=WGS84
    )
    crs = working_crs(gpd.GeoDataFrame(geometry=pts))
    xy = shapely.get_coordinates(pts.to_crs(crs).to_numpy())
    tree = shapely.STRtree(pts.to_crs(crs).to_numpy())
    a, b = tree.query(pts.to_crs(crs).to_numpy(), predicate="dwithin", distance=merge_m)
    carriers = cells["carrier"].to_numpy(object)
    same = carriers[a] == carriers[b]
    n = len(cells)
    graph = coo_matrix((np.ones(int(same.sum())), (a[same], b[same])), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    rows = []
    for group in pd.Series(np.arange(n)).groupby(label):
        k = group[1].to_numpy()
        first = k[0]
        techs = set(cells["technology"].iloc[k])
        rows.append(
            {
                "site_id": f"OCID-{settings.MCC_VIET_NAM}-{cells['net'].iloc[first]:02d}-"
                f"{cells['area'].iloc[first]}-{cells['cell'].iloc[first]}",
                "carrier": carriers[first],
                "technologies": ";".join(t for t in settings.TECHNOLOGIES if t in techs),
                "height_m": np.nan,
                "illustrative": False,
                "range_m": float(np.nanmax(cells["range_m"].iloc[k]))
                if np.isfinite(cells["range_m"].iloc[k]).any()
                else np.nan,
                "samples": float(np.nansum(cells["samples"].iloc[k])),
                "cells": len(k),
                "position_source": POSITION_SOURCE,
                "first_row": int(cells["row"].iloc[first]),
                "x": float(xy[k, 0].mean()),
                "y": float(xy[k, 1].mean()),
            }
        )
    out = pd.DataFrame(rows).sort_values("first_row", kind="stable").reset_index(drop=True)
    geometry = gpd.GeoSeries(
        shapely.points(out.pop("x").to_numpy(), out.pop("y").to_numpy()), crs=crs
    ).to_crs(WGS84)
    return gpd.GeoDataFrame(out[columns], geometry=geometry.to_numpy(), crs=WGS84)


__all__ = [
    "EXTRA_COLUMNS",
    "HEADER",
    "POSITION_SOURCE",
    "cells_to_sites",
    "is_export",
    "merge_cells",
]
