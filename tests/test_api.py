"""geo's public API as a notebook user calls it: load the default dataset, analyse, map, report."""

from __future__ import annotations

import json

import folium
import pandas as pd

import geo


def test_the_public_api_runs_end_to_end(tmp_path):
    dataset = geo.load_dataset()
    assert len(dataset.communes) == 13  # the 13 approximate communes of Đakrông (data/README.md)
    assert dataset.communes.crs.to_epsg() == 4326

    analysis = geo.analyse(dataset)
    assert {"no_4g_pct", "no_4g_pop", "gap_score"} <= set(analysis.communes.columns)
    assert analysis.communes["no_4g_pct"].between(0, 100).all()

    m = geo.build_map(analysis, metric="no_mobile_pct", lang="en")
    assert isinstance(m, folium.Map)

    paths = geo.write_report(analysis, tmp_path / "out", lang="en")
    names = {p.name for p in paths}
    assert {"communes.csv", "gaps.geojson", "report.pdf", "map.html"} <= names
    table = pd.read_csv(tmp_path / "out" / "communes.csv", encoding="utf-8-sig")
    assert len(table) == len(dataset.communes)
    gaps = json.loads((tmp_path / "out" / "gaps.geojson").read_text(encoding="utf-8"))
    assert gaps["type"] == "FeatureCollection" and gaps["features"]


def test_the_api_is_the_same_as_the_modules_it_calls():
    from geo.analysis import gaps

    dataset = geo.load_dataset()
    a = geo.analyse(dataset, vintage="2025")
    b = gaps.analyse(dataset, vintage="2025")
    pd.testing.assert_frame_equal(
        pd.DataFrame(a.communes.drop(columns="geometry")),
        pd.DataFrame(b.communes.drop(columns="geometry")),
    )


def test_every_public_function_is_documented():
    for name in geo.__all__:
        doc = getattr(geo, name).__doc__
        assert doc and len(doc.split()) > 15, name


def test_plan_sites_proposes_sites_on_the_default_dataset():
    import geo.plan.siting  # noqa: F401  (binds geo.plan to the package: the API is plan_sites)

    proposal = geo.plan_sites(geo.load_dataset(), service="loudspeaker", k=2, solver="greedy")
    assert list(proposal.sites["rank"]) == [1, 2]
    assert (proposal.sites["people_new"] > 0).all()
