"""Siting plans kept in the workspace: the inputs and the suggested sites, reopened later and
compared with what the next version of the data shows was built.

A plan belongs to the version it was made on; like versions, saved plans are never changed.
Sites are kept in EPSG:4326 (the plan's working-CRS table projected once on saving).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import sqlalchemy as sa
from pyproj import CRS

from geo.crs import working_crs
from geo.errors import PhusongError
from geo.store import engine, frames, schema, versions
from geo.store.engine import WorkspaceError

# A site of the later version within this distance of a suggested one counts as built there:
# the coarsest candidate grid spacing of the planner (the upper bound of
# geo.siting.SPACING_CLAMP_M; geo.store sits below the planner and does not import it), metres.
BUILT_WITHIN_M = 1000.0
# The dataset layer each planned service adds to (geo.SERVICE_LAYER).
SERVICE_LAYER = {
    "bts": "bts_sites",
    "loudspeaker": "loudspeakers",
    "support-point": "internet_points",
}


@dataclass(frozen=True)
class SavedPlan:
    """A plan as saved: its inputs (k, carrier, technology, vintage, scope …), its summary
    (people / km² newly reached, solver) and the suggested sites (EPSG:4326)."""

    id: int
    version_id: int
    label: str
    service: str
    inputs: dict
    summary: dict
    sites: gpd.GeoDataFrame
    saved_by: str
    saved_at: str


def plan_inputs(plan) -> dict:
    """What a plan (a :class:`geo.siting.Plan`) was asked for (JSON-ready)."""
    return {
        "service": plan.service,
        "k": plan.k,
        "carrier": plan.carrier,
        "technology": plan.technology,
        "vintage": plan.vintage,
        "scope": list(plan.scope),
        "model": plan.model,
        "column": plan.column,
        "objective": plan.objective,
    }


def plan_summary(plan) -> dict:
    """What a plan found (JSON-ready): people and km² newly reached, solver, notes."""
    return {
        "people_new": plan.people_new,
        "area_new_km2": plan.area_new_km2,
        "solver": plan.solver,
        "optimal": plan.optimal,
        "n_candidates": plan.n_candidates,
        "uncovered_people": plan.uncovered_people,
        "uncovered_area_km2": plan.uncovered_area_km2,
        "notes": [str(n) for n in plan.notes],
    }


def save_plan(
    plan, *, version_id: int, label: str, saved_by: str | None = None, url: str | None = None
) -> int:
    """Save ``plan`` (a :class:`geo.siting.Plan` made on version ``version_id``) in one
    transaction; returns its id."""
    label = (label or "").strip() or f"{plan.service} k={plan.k}"
    sites = plan.sites.to_crs(schema.SRID).reset_index(drop=True)
    columns, _crs, rows = frames.encode(sites)
    with engine.transaction(url) as conn:
        versions.get_row(conn, int(version_id))  # the version must exist
        plan_id = conn.execute(
            sa.insert(schema.plans)
            .values(
                version_id=int(version_id),
                label=label,
                service=plan.service,
                inputs=frames.dumps(plan_inputs(plan)),
                summary=frames.dumps(plan_summary(plan)),
                columns=columns,
                saved_by=(saved_by or "").strip() or versions.default_user(),
                saved_at=versions.now_utc(),
            )
            .returning(schema.plans.c.id)
        ).scalar_one()
        if rows:
            conn.execute(
                sa.insert(schema.plan_sites),
                [
                    {"plan_id": plan_id, "ord": r["ord"], "props": r["props"], "geom": r["geom"]}
                    for r in rows
                ],
            )
    return plan_id


def list_plans(url: str | None = None) -> list[SavedPlan]:
    """Every saved plan, oldest first (sites included)."""
    with engine.engine(url).connect() as conn:
        ids = conn.execute(sa.select(schema.plans.c.id).order_by(schema.plans.c.id)).scalars()
        return [_plan(conn, i) for i in list(ids)]


def load_plan(plan_id: int, url: str | None = None) -> SavedPlan:
    """The plan saved as ``plan_id``."""
    with engine.engine(url).connect() as conn:
        return _plan(conn, int(plan_id))


def _plan(conn, plan_id: int) -> SavedPlan:
    row = conn.execute(sa.select(schema.plans).where(schema.plans.c.id == plan_id)).first()
    if row is None:
        raise WorkspaceError(f"there is no plan {plan_id} in the workspace")
    p = schema.plan_sites
    site_rows = conn.execute(
        sa.select(p.c.ord, p.c.props, p.c.geom).where(p.c.plan_id == plan_id).order_by(p.c.ord)
    ).all()
    rows = [_SiteRow(r.ord, r.props, r.geom) for r in site_rows]
    sites = frames.decode(row.columns, CRS.from_epsg(schema.SRID).to_wkt(), rows)
    return SavedPlan(
        row.id,
        row.version_id,
        row.label,
        row.service,
        json.loads(row.inputs),
        json.loads(row.summary),
        sites,
        row.saved_by,
        row.saved_at,
    )


@dataclass(frozen=True)
class _SiteRow:
    row_index: int
    props: str
    geom: object


def built_since(saved: SavedPlan, later_version: int, url: str | None = None) -> pd.DataFrame:
    """Each suggested site of ``saved`` beside the nearest site of its service that the version
    ``later_version`` holds and the plan's version did not (a new site, by id).

    Columns: ``rank``, ``site_id``, ``code``, ``name``, ``people_new`` (the plan's estimate),
    ``nearest_new`` (id of the nearest new site, "" if none), ``distance_m`` (metres, in the
    communes' UTM zone; NaN if none) and ``built`` (within :data:`BUILT_WITHIN_M`).
    """
    if int(later_version) == saved.version_id:
        raise PhusongError("compare a plan with a LATER version than the one it was made on")
    layer = SERVICE_LAYER[saved.service]
    before = getattr(versions.load_version(saved.version_id, url), layer)
    later = versions.load_version(later_version, url)
    after = getattr(later, layer)
    id_column = "site_id" if layer == "bts_sites" else "id"
    new = after[~after[id_column].isin(set(before[id_column]))]
    crs = working_crs(later.communes)
    sites = saved.sites.to_crs(crs)
    out = pd.DataFrame(
        {
            c: saved.sites[c].to_numpy()
            for c in ("rank", "site_id", "code", "name", "people_new")
            if c in saved.sites
        }
    )
    if len(new) and len(sites):
        points = new.to_crs(crs).geometry.to_numpy()
        distances = np.array([[g.distance(p) for p in points] for g in sites.geometry])
        nearest = distances.argmin(axis=1)
        out["nearest_new"] = new[id_column].to_numpy()[nearest]
        out["distance_m"] = distances[np.arange(len(sites)), nearest]
    else:
        out["nearest_new"] = ""
        out["distance_m"] = np.nan
    out["built"] = out["distance_m"].to_numpy(float) <= BUILT_WITHIN_M
    return out
