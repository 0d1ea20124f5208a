"""geo.analysis.vintages: legacy communes, and the 2025 communes dissolved from them."""

from __future__ import annotations

import math

import pytest

from geo.analysis import vintages
from geo.errors import PhusongError

import builders as b

KM = 1000.0


def three_communes(**overrides):
    """A, B (side by side, 2 km × 1 km together) became X in 2025; C (1 km², 5 km east) became Y."""
    rows = [
        {
            "code": "A",
            "name": "Xã A",
            "population": 100.0,
            "population_source": "census",
            "especially_difficult": False,
            "code_2025": "X",
            "name_2025": "Xã Mới",
            "geometry": b.square(b.X0, b.Y0, KM),
        },
        {
            "code": "B",
            "name": "Xã B",
            "population": 250.0,
            "population_source": "survey",
            "especially_difficult": True,
            "code_2025": "X",
            "name_2025": "Xã Mới",
            "geometry": b.square(b.X0 + KM, b.Y0, KM),
        },
        {
            "code": "C",
            "name": "Xã C",
            "population": 40.0,
            "population_source": "census",
            "especially_difficult": False,
            "code_2025": "Y",
            "name_2025": "Xã Y",
            "geometry": b.square(b.X0 + 5 * KM, b.Y0, KM),
        },
    ]
    for code, values in overrides.items():
        next(r for r in rows if r["code"] == code).update(values)
    return b.communes(rows)


def test_legacy_keeps_every_commune_and_lists_itself():
    out = vintages.communes_for_vintage(three_communes(), "legacy")
    assert list(out["code"]) == ["A", "B", "C"]
    assert list(out["legacy_codes"]) == ["A", "B", "C"]
    assert list(out.columns) == [
        "code",
        "name",
        "population",
        "population_source",
        "especially_difficult",
        "geometry",
        "legacy_codes",
    ]


def test_2025_communes_are_unions_of_their_parts():
    communes = three_communes()
    before = communes.copy()
    out = vintages.communes_for_vintage(communes, "2025")
    assert communes.equals(before)  # the input is not modified
    assert out.crs == communes.crs
    assert list(out["code"]) == ["X", "Y"]
    x, y = out.iloc[0], out.iloc[1]
    assert (x["name"], x["legacy_codes"], y["legacy_codes"]) == ("Xã Mới", "A;B", "C")
    assert x["population"] == 350.0 and y["population"] == 40.0  # 100 + 250
    assert x["population_source"] == "census; survey"  # distinct sources, sorted
    assert bool(x["especially_difficult"]) and not bool(y["especially_difficult"])  # any part
    # A and B share an edge: one polygon of 2 km² (areas in UTM 48N)
    areas = out.to_crs(b.UTM48N).area / 1e6
    assert list(areas) == pytest.approx([2.0, 1.0], rel=1e-6)
    assert out.geometry.iloc[0].geom_type == "Polygon"


def test_unknown_population_of_a_part_makes_the_2025_commune_unknown():
    out = vintages.communes_for_vintage(three_communes(A={"population": float("nan")}), "2025")
    assert math.isnan(out["population"].iloc[0]) and out["population"].iloc[1] == 40.0


def test_missing_crosswalk_names_the_communes():
    with pytest.raises(PhusongError, match="'code_2025' is empty for Xã B, Xã C"):
        vintages.communes_for_vintage(
            three_communes(B={"code_2025": ""}, C={"code_2025": None}), "2025"
        )


def test_unknown_vintage_lists_the_valid_ones():
    with pytest.raises(PhusongError, match="legacy, 2025"):
        vintages.communes_for_vintage(three_communes(), "2024")
