"""`python -m geo check`: the files it writes from synthetic readings around the default sites,
and `report --calibration` applying the fitted radii."""

from __future__ import annotations

import json
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import settings
from geo.io import loading
from geo.analysis import agreement, calibration
from geo.cli import main
from geo.crs import working_crs

TRUTH = {("Viettel", "4G"): 2200.0, ("VinaPhone", "4G"): 1800.0}


def synthetic_log(path, n=300, seed=3):
    """A G-NetTrack-style log around the default dataset's sites, service decided by TRUTH
    (nearest serving site), 10 % of the labels flipped; plus 5 MobiFone 3G readings."""
    ds = loading.load_dataset(settings.DEFAULT_DATA_DIR)
    crs = working_crs(ds.communes)
    sites = ds.bts_sites.to_crs(crs)
    rng = np.random.default_rng(seed)
    rows = []
    for (carrier, tech), radius in list(TRUTH.items()) + [(("MobiFone", "3G"), 3000.0)]:
        own = sites[(sites["carrier"] == carrier) & sites["technologies"].str.contains(tech)]
        m = n if carrier != "MobiFone" else 5
        k = rng.integers(0, len(own), m)
        d = rng.uniform(0, 2 * radius, m)
        a = rng.uniform(0, 2 * np.pi, m)
        pts = shapely.points(own.geometry.x.to_numpy()[k] + d * np.cos(a),
                             own.geometry.y.to_numpy()[k] + d * np.sin(a))
        nearest, _ = agreement.serving_distance_m(pts, sites, carrier, tech)
        service = (nearest <= radius) ^ (rng.random(m) < 0.1)
        ll = gpd.GeoSeries(pts, crs=crs).to_crs(4326)
        level = np.where(service, -95, -131 if tech == "4G" else -118)
        names = {"Viettel": "Viettel", "VinaPhone": "VN VINAPHONE", "MobiFone": "MOBIFONE"}
        rows += [{"Timestamp": f"2026.03.0{1 + i % 9}_10.00.00", "Longitude": f"{p.x:.6f}",
                  "Latitude": f"{p.y:.6f}", "Operatorname": names[carrier],
                  "NetworkTech": {"4G": "LTE", "3G": "UMTS"}[tech], "Level": lv}
                 for i, (p, lv) in enumerate(zip(ll, level))]
    pd.DataFrame(rows).to_csv(path, index=False, sep="\t")
    return path


@pytest.fixture(scope="module")
def checked(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("check")
    log = synthetic_log(tmp / "gnettrack.txt")
    out = tmp / "out"
    assert main(["check", "--measurements", str(log), "--out", str(out), "--lang", "en"]) == 0
    return out


def test_agreement_csv_columns_and_fits(checked):
    table = pd.read_csv(checked / "agreement.csv", encoding="utf-8-sig")
    assert list(table.columns) == ["carrier", "technology", "samples", "agreement_before_pct",
                                   "radius_before_m", "radius_fitted_m", "radius_low_m",
                                   "radius_high_m", "agreement_after_pct"]
    t = table.set_index(["carrier", "technology"])
    for key, radius in TRUTH.items():
        assert t.loc[key, "samples"] == 300
        assert t.loc[key, "radius_before_m"] == 3000
        assert abs(t.loc[key, "radius_fitted_m"] - radius) <= 0.1 * radius
        low, fitted, high = t.loc[key, ["radius_low_m", "radius_fitted_m", "radius_high_m"]]
        assert low < fitted < high
        assert t.loc[key, "agreement_after_pct"] >= t.loc[key, "agreement_before_pct"]
    # five readings: not enough evidence, no number
    assert t.loc[("MobiFone", "3G"), "samples"] == 5
    assert np.isnan(t.loc[("MobiFone", "3G"), "radius_fitted_m"])


def test_calibration_json_disagreements_and_map(checked):
    fits = calibration.read_json(checked / "calibration.json")
    assert {(f.carrier, f.technology): f.fitted for f in fits} == {
        ("Viettel", "4G"): True, ("VinaPhone", "4G"): True, ("MobiFone", "3G"): False}
    geo = json.loads((checked / "disagreements.geojson").read_text(encoding="utf-8"))
    assert geo["features"] and all(f["properties"]["model_covered"] !=
                                   f["properties"]["field_service"] for f in geo["features"])
    page = (checked / "field_map.html").read_text(encoding="utf-8")
    assert "Model versus field" in page
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.S)
    assert not re.search(r"""(src|href)=["']https?:""", markup)  # nothing loaded from the web
    communes = pd.read_csv(checked / "communes_agreement.csv", encoding="utf-8-sig")
    assert set(communes["status"]) <= {"checked", "contradicted", "unchecked"}
    assert len(communes) == 13


def test_report_applies_the_calibration(checked, tmp_path, capsys):
    out = tmp_path / "report"
    assert main(["report", "--calibration", str(checked / "calibration.json"), "--out", str(out),
                 "--lang", "en"]) == 0
    err = capsys.readouterr().err
    assert "calibration: Viettel 4G radius" in err
    assert "MobiFone" not in err.split("calibration:")[-1].splitlines()[0]
    used = pd.read_csv(out / "settings.csv", encoding="utf-8-sig").set_index("key")
    fits = {(f.carrier, f.technology): f for f in calibration.read_json(
        checked / "calibration.json")}
    assert float(used.loc["radius_Viettel_4G_m", "value"]) == round(
        fits[("Viettel", "4G")].radius_m)
    assert "2 carrier × technology group(s) fitted from 600 readings; 1 group(s) without " \
        "enough evidence" in " ".join(used["value"].astype(str))


def test_check_without_usable_reading_exits_2(tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("lat,lon,carrier,technology,service\n16.7,106.9,Foo,4G,yes\n", encoding="utf-8")
    assert main(["check", "--measurements", str(bad), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "no usable reading in bad.csv" in err and "row 2" in err
    assert (tmp_path / "o" / "import_report.csv").exists()


def test_residents_reports_are_evidence(tmp_path):
    reports = tmp_path / "reports.csv"
    # two reports beside Viettel's first default site (BTS-19555-01 at 16.687083, 106.88625)
    reports.write_text("lat,lon,carrier,technology,service,note,date,reporter\n"
                       "16.6875,106.8865,Viettel,4G,không,không gọi được,2026-03-02,Hồ Văn A\n"
                       "16.6871,106.8863,Viettel,4G,có,,2026-03-02,Hồ Văn B\n", encoding="utf-8")
    out = tmp_path / "o"
    assert main(["check", "--measurements", str(reports), "--reports", str(reports),
                 "--out", str(out)]) == 0
    table = pd.read_csv(out / "agreement.csv", encoding="utf-8-sig")
    assert table[["carrier", "technology", "samples"]].values.tolist() == [["Viettel", "4G", 4]]
    assert table["agreement_before_pct"].tolist() == [50.0]
    geo = json.loads((out / "disagreements.geojson").read_text(encoding="utf-8"))
    assert sorted(f["properties"]["source"] for f in geo["features"]) == ["measurement", "report"]
