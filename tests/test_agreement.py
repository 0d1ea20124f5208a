"""Model versus field: hand-placed readings around hand-placed sites, counted by hand."""

from __future__ import annotations

import numpy as np
import pytest
from builders import X0, Y0, communes, points, square

from geo.analysis import agreement
from geo.settings import CoverageParams

SITES = points(
    [
        {"x": X0 + 5000, "y": Y0 + 5000, "carrier": "Viettel", "technologies": "2G;4G"},
        {"x": X0 + 15000, "y": Y0 + 5000, "carrier": "VinaPhone", "technologies": "4G"},
    ],
    {"site_id": "s", "height_m": 30.0, "illustrative": False},
)
COMMUNES = communes(
    [
        {"code": "A", "name": "Xã A", "geometry": square(X0, Y0, 10_000)},
        {"code": "B", "name": "Xã B", "geometry": square(X0 + 10_000, Y0, 10_000)},
        {"code": "C", "name": "Xã C", "geometry": square(X0, Y0 + 20_000, 10_000)},
    ]
)


def readings(rows):
    return points(rows, {"carrier": "Viettel", "technology": "4G", "service": "yes"})


# Viettel 4G at 1 km (yes: agree), 2.5 km (no: model_only), 4 km (yes: field_only),
# 3.5 km (no: neither), 2G at 4 km (weak = service, 2G radius 5 km: agree);
# VinaPhone 4G at 1 km with no service (model_only).
ROWS = [
    {"x": X0 + 6000, "y": Y0 + 5000, "service": "yes"},
    {"x": X0 + 5000, "y": Y0 + 7500, "service": "no"},
    {"x": X0 + 1000, "y": Y0 + 5000, "service": "yes"},
    {"x": X0 + 5000, "y": Y0 + 1500, "service": "no"},
    {"x": X0 + 9000, "y": Y0 + 5000, "service": "weak", "technology": "2G"},
    {"x": X0 + 16000, "y": Y0 + 5000, "service": "no", "carrier": "VinaPhone"},
]


def test_confusion_counts_per_group_and_commune():
    result = agreement.compare(readings(ROWS), SITES, communes=COMMUNES)
    r = result.readings
    assert np.allclose(r["distance_m"], [1000, 2500, 4000, 3500, 4000, 1000], atol=1)
    assert list(r["model_covered"]) == [True, True, False, False, True, True]
    assert list(r["agrees"]) == [True, False, False, True, True, False]
    g = result.by_group.set_index(["carrier", "technology"])
    assert g.loc[
        ("Viettel", "4G"), ["samples", "both_service", "model_only", "field_only", "neither"]
    ].tolist() == [4, 1, 1, 1, 1]
    assert g.loc[("Viettel", "4G"), "agreement_pct"] == 50.0
    assert g.loc[("Viettel", "2G"), "agreement_pct"] == 100.0
    assert g.loc[("VinaPhone", "4G"), "model_only"] == 1
    c = result.by_commune.set_index("code")
    assert c.loc["A", "samples"] == 5 and c.loc["B", "samples"] == 1
    assert c.loc["A", "agreement_pct"] == pytest.approx(60.0)
    assert result.agreement_pct == pytest.approx(50.0)
    assert len(result.disagreements) == 3


def test_carrier_radius_override_and_missing_carrier():
    params = CoverageParams(carrier_radius_m=(("Viettel", "4G", 2000.0),))
    result = agreement.compare(
        readings(ROWS[:2] + [{"x": X0 + 5000, "y": Y0 + 5100, "carrier": "MobiFone"}]),
        SITES,
        params=params,
        communes=COMMUNES,
    )
    r = result.readings
    assert list(r["radius_m"]) == [2000.0, 2000.0, 3000.0]
    assert list(r["model_covered"]) == [True, False, False]  # MobiFone has no site: not covered
    assert np.isinf(r["distance_m"].iloc[2])


def test_confidence_per_commune():
    result = agreement.compare(readings(ROWS), SITES, communes=COMMUNES)
    table, layer = agreement.confidence(result, COMMUNES, evidence_m=500)
    t = table.set_index("code")
    assert t.loc["A", "status"] == "contradicted"  # 60 % agree, below 80 %
    assert t.loc["B", "status"] == "contradicted"  # its one reading disagrees
    assert t.loc["C", "status"] == "unchecked" and t.loc["C", "evidence_area_pct"] == 0
    # five 500 m discs (16-gons: 8 sin(π/8) r² = 0.765 km² each) wholly inside A's 100 km²
    disc = 8 * np.sin(np.pi / 8) * 0.25
    assert t.loc["A", "evidence_area_pct"] == pytest.approx(5 * disc, rel=1e-6)
    # its 3 agreeing readings are checked, 2 contradicted
    assert t.loc["A", "checked_area_pct"] == pytest.approx(3 * disc, rel=1e-6)
    assert t.loc["A", "contradicted_area_pct"] == pytest.approx(2 * disc, rel=1e-6)
    assert t.loc["A", "unchecked_area_pct"] == pytest.approx(100 - 5 * disc, rel=1e-6)
    assert set(layer["status"]) == {"checked", "contradicted", "unchecked"}
    assert (layer[layer["code"] == "C"]["status"] == "unchecked").all()
