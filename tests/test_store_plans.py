"""Plans kept in the workspace (geo.store.plans) and field reports (geo.store.fieldreports)."""

from __future__ import annotations

import pandas as pd
import pandas.testing as pdt
import pytest

import builders as b
from geo.plan import siting
from geo.errors import PhusongError
from geo.store import fieldreports, plans, versions

COMMUNE = {
    "code": "001",
    "name": "A Bung",
    "population": 1000.0,
    "geometry": b.square(b.X0, b.Y0, 4000),
}


def test_a_plan_is_saved_reopened_and_compared_with_what_was_built(workspace_url):
    ds = b.dataset([COMMUNE])
    base = versions.save_dataset(ds, label="before")
    plan = siting.plan(ds, service="bts", k=1, solver="greedy")
    plan_id = plans.save_plan(plan, version_id=base, label="one more tower", saved_by="Minh")
    saved = plans.load_plan(plan_id)
    assert (saved.version_id, saved.label, saved.service, saved.saved_by) == (
        base,
        "one more tower",
        "bts",
        "Minh",
    )
    assert saved.inputs["k"] == 1 and saved.inputs["service"] == "bts"
    assert saved.summary["people_new"] == pytest.approx(plan.people_new)
    want = plan.sites.to_crs(4326).reset_index(drop=True)
    pdt.assert_frame_equal(saved.sites.drop(columns="geometry"), want.drop(columns="geometry"))
    assert saved.sites.geometry.geom_equals_exact(want.geometry, 1e-12).all()
    assert [p.id for p in plans.list_plans()] == [plan_id]

    # the next list has a tower 300 m from the suggestion, and one far away
    x, y = plan.sites.geometry.iloc[0].x, plan.sites.geometry.iloc[0].y
    later = b.dataset(
        [COMMUNE],
        bts=[
            {"site_id": "NEW1", "x": x + 300, "y": y},
            {"site_id": "FAR", "x": x + 30_000, "y": y},
        ],
    )
    later_id = versions.save_dataset(later, label="after")
    built = plans.built_since(saved, later_id)
    assert built.loc[0, "nearest_new"] == "NEW1"
    assert built.loc[0, "distance_m"] == pytest.approx(300.0, abs=1.0)  # UTM, not degrees
    assert bool(built.loc[0, "built"])
    with pytest.raises(PhusongError, match="LATER"):
        plans.built_since(saved, base)


def test_field_reports_are_added_and_listed(workspace_url):
    first = fieldreports.add_field_report(
        lon=106.91,
        lat=16.61,
        service="no",
        carrier="Viettel",
        technology="4G",
        observed_on="2026-11-01",
        reporter="Lan",
        note="no bars at the market",
        created_by="Hà",
    )
    second = fieldreports.add_field_report(
        lon=106.95, lat=16.65, service="yes", observed_on="2026-11-03", reporter="Minh"
    )
    table = fieldreports.field_reports()
    assert list(table["id"]) == [first, second]
    assert list(table.columns) == list(fieldreports.COLUMNS) + ["geometry"]
    row = table.iloc[0]
    assert (
        row["service"],
        row["carrier"],
        row["technology"],
        row["note"],
        row["observed_on"],
        row["reporter"],
        row["created_by"],
    ) == ("no", "Viettel", "4G", "no bars at the market", "2026-11-01", "Lan", "Hà")
    assert (row.geometry.x, row.geometry.y) == (106.91, 16.61) and table.crs.to_epsg() == 4326
    assert pd.isna(table.iloc[1]["carrier"]) and table.iloc[1]["created_at"].endswith("+00:00")


@pytest.mark.parametrize(
    "bad, message",
    [
        ({"service": "maybe"}, "service must be one of"),
        ({"carrier": "Telco"}, "carrier must be one of"),
        ({"technology": "6G"}, "technology must be one of"),
        ({"lat": 123.0}, "not a place on Earth"),
        ({"observed_on": "yesterday"}, "YYYY-MM-DD"),
        ({"reporter": " "}, "reporter"),
    ],
)
def test_a_bad_field_report_is_refused(workspace_url, bad, message):
    good = {
        "lon": 106.9,
        "lat": 16.6,
        "service": "weak",
        "observed_on": "2026-11-01",
        "reporter": "Lan",
    }
    with pytest.raises(PhusongError, match=message):
        fieldreports.add_field_report(**{**good, **bad})
    assert len(fieldreports.field_reports()) == 0


def test_the_store_keeps_the_planners_constants():
    """geo.store sits below the planner: its copies of the planner's constants must agree."""
    assert plans.BUILT_WITHIN_M == siting.SPACING_CLAMP_M[1]
    assert plans.SERVICE_LAYER == siting.SERVICE_LAYER
