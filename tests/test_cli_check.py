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
        pts = shapely.points(
            own.geometry.x.to_numpy()[k] + d * np.cos(a),
            own.geometry.y.to_numpy()[k] + d * np.sin(a),
        )
        nearest, _ = agreement.serving_distance_m(pts, sites, carrier, tech)
        service = (nearest <= radius) ^ (rng.random(m) < 0.1)
        ll = gpd.GeoSeries(pts, crs=crs).to_crs(4326)
        level = np.where(service, -95, -131 if tech == "4G" else -118)
        names = {"Viettel": "Viettel", "VinaPhone": "VN VINAPHONE", "MobiFone": "MOBIFONE"}
        rows += [
            {
                "Timestamp": f"2026.03.0{1 + i % 9}_10.00.00",
                "Longitude": f"{p.x:.6f}",
                "Latitude": f"{p.y:.6f}",
                "Operatorname": names[carrier],
                "NetworkTech": {"4G": "LTE", "3G": "UMTS"}[tech],
                "Level": lv,
            }
            for i, (p, lv) in enumerate(zip(ll, level))
        ]
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
    assert list(table.columns) == [
        "carrier",
        "technology",
        "samples",
        "agreement_before_pct",
        "radius_before_m",
        "radius_fitted_m",
        "radius_low_m",
        "radius_high_m",
        "agreement_after_pct",
    ]
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
        ("Viettel", "4G"): True,
        ("VinaPhone", "4G"): True,
        ("MobiFone", "3G"): False,
    }
    geo = json.loads((checked / "disagreements.geojson").read_text(encoding="utf-8"))
    assert geo["features"] and all(
        f["properties"]["model_covered"] != f["properties"]["field_service"]
        for f in geo["features"]
    )
    page = (checked / "field_map.html").read_text(encoding="utf-8")
    assert "Model versus field" in page
    markup = re.sub(r"<script\b[^>]*>.*?</script>", "", page, flags=re.S)
    assert not re.search(r"""(src|href)=["']https?:""", markup)  # nothing loaded from the web
    communes = pd.read_csv(checked / "communes_agreement.csv", encoding="utf-8-sig")
    assert set(communes["status"]) <= {"checked", "contradicted", "unchecked"}
    assert len(communes) == 13


def test_report_applies_the_calibration(checked, tmp_path, capsys):
    out = tmp_path / "report"
    assert (
        main(
            [
                "report",
                "--calibration",
                str(checked / "calibration.json"),
                "--out",
                str(out),
                "--lang",
                "en",
            ]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert "calibration: Viettel 4G radius" in err
    assert "MobiFone" not in err.split("calibration:")[-1].splitlines()[0]
    used = pd.read_csv(out / "settings.csv", encoding="utf-8-sig").set_index("key")
    fits = {
        (f.carrier, f.technology): f for f in calibration.read_json(checked / "calibration.json")
    }
    assert float(used.loc["radius_Viettel_4G_m", "value"]) == round(
        fits[("Viettel", "4G")].radius_m
    )
    assert (
        "2 carrier × technology group(s) fitted from 600 readings; 1 group(s) without "
        "enough evidence" in " ".join(used["value"].astype(str))
    )


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
    reports.write_text(
        "lat,lon,carrier,technology,service,note,date,reporter\n"
        "16.6875,106.8865,Viettel,4G,không,không gọi được,2026-03-02,Hồ Văn A\n"
        "16.6871,106.8863,Viettel,4G,có,,2026-03-02,Hồ Văn B\n",
        encoding="utf-8",
    )
    out = tmp_path / "o"
    assert (
        main(
            ["check", "--measurements", str(reports), "--reports", str(reports), "--out", str(out)]
        )
        == 0
    )
    table = pd.read_csv(out / "agreement.csv", encoding="utf-8-sig")
    assert table[["carrier", "technology", "samples"]].values.tolist() == [["Viettel", "4G", 4]]
    assert table["agreement_before_pct"].tolist() == [50.0]
    geo = json.loads((out / "disagreements.geojson").read_text(encoding="utf-8"))
    assert sorted(f["properties"]["source"] for f in geo["features"]) == ["measurement", "report"]


# --- with a DEM: the terrain model's path-loss threshold ----------------------------------------


def flat_dem(path, cell=100.0):
    """A flat GeoTIFF (200 m above sea level) over the area `check --dem` reads."""
    import rasterio
    from affine import Affine

    from geo.analysis import terrain

    crs, (xmin, ymin, xmax, ymax) = terrain.dem_area(
        loading.load_dataset(settings.DEFAULT_DATA_DIR), margin_m=6000.0
    )
    cols, rows = int((xmax - xmin) // cell) + 1, int((ymax - ymin) // cell) + 1
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=cols,
        height=rows,
        count=1,
        dtype="float32",
        crs=crs,
        transform=Affine(cell, 0, xmin, 0, -cell, ymax),
    ) as out:
        out.write(np.full((rows, cols), 200.0, np.float32), 1)
    return path


def hata_open_1800(d_km: float, hb: float = 30.0) -> float:
    """COST-231 Hata, 1800 MHz, open area, handset at 1.5 m: 104.27 dB at 1 km, 35.22 dB per
    decade for a 30 m mast (worked by hand in tests/test_terrain_check.py)."""
    import math

    return 104.27 + (44.9 - 6.55 * math.log10(hb)) * math.log10(d_km)


@pytest.fixture(scope="module")
def checked_dem(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("check_dem")
    log = synthetic_log(tmp / "gnettrack.txt")
    dem = flat_dem(tmp / "flat.tif")
    out = tmp / "out"
    assert (
        main(
            [
                "check",
                "--measurements",
                str(log),
                "--dem",
                str(dem),
                "--out",
                str(out),
                "--lang",
                "en",
            ]
        )
        == 0
    )
    return out, dem


def test_check_with_dem_fits_the_path_loss_threshold(checked_dem, checked):
    out, _ = checked_dem
    # agreement.csv keeps its nine columns and figures; the thresholds go to path_loss.csv
    assert pd.read_csv(out / "agreement.csv", encoding="utf-8-sig").equals(
        pd.read_csv(checked / "agreement.csv", encoding="utf-8-sig")
    )
    table = pd.read_csv(out / "path_loss.csv", encoding="utf-8-sig")
    assert list(table.columns) == [
        "carrier",
        "technology",
        "readings",
        "in_sight",
        "agreement_before_pct",
        "max_path_loss_fitted_db",
        "max_path_loss_low_db",
        "max_path_loss_high_db",
        "agreement_after_pct",
    ]
    t = table.set_index(["carrier", "technology"])
    for key, radius in TRUTH.items():
        # flat ground: every reading in sight; service ends where Hata's loss reaches the loss at
        # the true radius (116.33 dB at 2.2 km, 113.26 dB at 1.8 km)
        assert t.loc[key, "in_sight"] == t.loc[key, "readings"] == 300
        expected = hata_open_1800(radius / 1000.0)
        assert t.loc[key, "max_path_loss_fitted_db"] == pytest.approx(expected, rel=0.10)
        assert abs(t.loc[key, "max_path_loss_fitted_db"] - expected) < 1.5
        assert (
            t.loc[key, "max_path_loss_low_db"]
            < t.loc[key, "max_path_loss_fitted_db"]
            < t.loc[key, "max_path_loss_high_db"]
        )
        assert t.loc[key, "agreement_after_pct"] > t.loc[key, "agreement_before_pct"]
    assert np.isnan(t.loc[("MobiFone", "3G"), "max_path_loss_fitted_db"])  # 5 readings
    loss = {
        (f.carrier, f.technology): f for f in calibration.read_loss_json(out / "calibration.json")
    }
    assert loss[("Viettel", "4G")].fitted and not loss[("MobiFone", "3G")].fitted
    assert calibration.read_loss_json(checked / "calibration.json") == []  # no DEM, no key


def test_report_with_dem_applies_the_threshold(checked_dem, tmp_path, capsys):
    out, dem = checked_dem
    args = ["report", "--dem", str(dem), "--lang", "en", "--metric", "no_4g_pct"]
    assert main(args + ["--out", str(tmp_path / "plain")]) == 0
    capsys.readouterr()
    assert (
        main(
            args + ["--calibration", str(out / "calibration.json"), "--out", str(tmp_path / "cal")]
        )
        == 0
    )
    err = capsys.readouterr().err
    assert "calibration: Viettel 4G path-loss threshold" in err
    used = pd.read_csv(tmp_path / "cal" / "settings.csv", encoding="utf-8-sig")
    assert (
        "the terrain model's field-fitted path-loss thresholds (calibration.json): 2 carrier "
        "× technology group(s) fitted from 600 readings in line of sight; 1 group(s) without "
        "enough evidence have no threshold" in " ".join(used["value"].astype(str))
    )
    plain = pd.read_csv(tmp_path / "plain" / "communes.csv")
    key = "Commune code"  # rows are sorted by the metric, which the calibration changes
    plain = plain.set_index(key).sort_index()
    cal = pd.read_csv(tmp_path / "cal" / "communes.csv").set_index(key).sort_index()
    column = "4G coverage (%) [terrain]"
    # a threshold of about 116 dB (2.2 km) cuts Viettel's 3 km line-of-sight discs: terrain 4G
    # coverage falls somewhere and rises nowhere (the circle radii, fitted too, change the
    # circle figures, not the terrain ones' upper bound)
    assert (cal[column] <= plain[column] + 1e-9).all() and (cal[column] < plain[column]).any()
