"""Calibration: the logistic fit recovers known radii from noisy synthetic readings, agreement
does not fall after calibration, too few readings give no number, calibration.json round-trips."""

from __future__ import annotations

import math

import numpy as np
import pytest
from field_truth import TRUTH, readings, sites

from geo.analysis import agreement, calibration
from geo.errors import PhusongError
from geo.settings import CoverageParams


@pytest.fixture(scope="module")
def before():
    return agreement.compare(readings(), sites())


def test_fit_recovers_each_radius_within_ten_percent(before):
    fits = calibration.calibrate(before.readings)
    assert {(f.carrier, f.technology) for f in fits} == set(TRUTH)
    for fit in fits:
        truth = TRUTH[(fit.carrier, fit.technology)]
        assert fit.fitted, fit
        assert fit.samples == 400
        assert abs(fit.radius_m - truth) <= 0.10 * truth, (fit, truth)
        assert fit.low_m < fit.radius_m < fit.high_m
        assert fit.high_m - fit.low_m < 0.5 * truth  # a few hundred readings: a useful interval


def test_agreement_does_not_fall_after_calibration(before):
    fits = calibration.calibrate(before.readings)
    after = agreement.compare(readings(), sites(), params=calibration.apply(fits))
    table = calibration.agreement_table(before.by_group, after.by_group, fits)
    assert list(table.columns) == list(calibration.AGREEMENT_COLUMNS)
    assert (table["agreement_after_pct"] >= table["agreement_before_pct"]).all()
    # 10 % label noise: the best a model can do is about 90 %
    assert after.agreement_pct > 85
    assert after.agreement_pct >= before.agreement_pct


def test_too_few_readings_give_no_number():
    d = np.array([100.0, 200, 300, 2000, 2500, 3000] * 4)
    y = d < 1000
    fit = calibration.fit_radius(d, y, carrier="Viettel", technology="4G")
    assert fit.status == calibration.NOT_ENOUGH and math.isnan(fit.radius_m)
    assert "24 readings" in fit.why
    # enough readings but almost all with service: still no number
    d = np.linspace(0, 3000, 60)
    y = np.ones(60, bool)
    y[-3:] = False
    assert not calibration.fit_radius(d, y).fitted


def test_no_fall_with_distance_gives_no_number():
    rng = np.random.default_rng(0)
    d = rng.uniform(0, 5000, 300)
    y = rng.random(300) < 0.5  # service unrelated to distance
    fit = calibration.fit_radius(d, y)
    assert not fit.fitted and math.isnan(fit.radius_m)


def test_perfect_separation_gives_the_gap():
    d = np.r_[np.linspace(0, 1000, 20), np.linspace(1400, 3000, 20)]
    y = d < 1200
    fit = calibration.fit_radius(d, y)
    assert fit.fitted and (fit.low_m, fit.radius_m, fit.high_m) == (1000.0, 1200.0, 1400.0)


def test_unreached_readings_are_left_out_of_the_fit():
    d = np.r_[np.linspace(0, 1000, 20), np.linspace(1400, 3000, 20), [np.inf] * 50]
    y = np.r_[np.ones(20, bool), np.zeros(20, bool), np.ones(50, bool)]
    assert calibration.fit_radius(d, y).samples == 40


def test_apply_keeps_other_overrides_and_unfitted_groups():
    fits = [
        calibration.Fit("Viettel", "4G", 100, calibration.FITTED, 2345.6, 2000, 2600),
        calibration.Fit("MobiFone", "3G", 5, calibration.NOT_ENOUGH),
    ]
    params = calibration.apply(
        fits, CoverageParams(carrier_radius_m=(("VinaPhone", "4G", 999.0), ("Viettel", "4G", 1.0)))
    )
    assert params.radius_for("4G", "Viettel") == 2346.0
    assert params.radius_for("4G", "VinaPhone") == 999.0
    assert params.radius_for("3G", "MobiFone") == 3000.0  # the default: no evidence


def test_json_round_trip_and_bad_files(tmp_path):
    fits = [
        calibration.Fit("Viettel", "4G", 100, calibration.FITTED, 2345.6, 2000.0, 2600.0),
        calibration.Fit("MobiFone", "3G", 5, calibration.NOT_ENOUGH, why="5 readings"),
    ]
    path = calibration.write_json(tmp_path / "calibration.json", fits, source="x.csv")
    assert calibration.read_json(path) == fits
    assert calibration.read_json(path.read_text(encoding="utf-8")) == fits
    (tmp_path / "bad.json").write_text('{"format": "other"}', encoding="utf-8")
    with pytest.raises(PhusongError, match="bad.json: not a phusong calibration file"):
        calibration.read_json(tmp_path / "bad.json")
    with pytest.raises(PhusongError, match="missing.json"):
        calibration.read_json(tmp_path / "missing.json")


def test_technology_radii_weighted_by_readings():
    fits = [
        calibration.Fit("Viettel", "4G", 300, calibration.FITTED, 2000.0, 1800, 2200),
        calibration.Fit("VinaPhone", "4G", 100, calibration.FITTED, 3000.0, 2500, 3500),
        calibration.Fit("MobiFone", "3G", 5, calibration.NOT_ENOUGH),
    ]
    assert calibration.technology_radii(fits) == {"4G": 2250.0}
