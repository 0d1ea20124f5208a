"""Terrain calibration: the path loss of each reading over a DEM, the fitted path-loss threshold
from synthetic truth, and the terrain model applying a threshold."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from affine import Affine

from geo.analysis import calibration, gaps, terrain, terrain_check
from geo.io import dem as dem_io
from geo.settings import CoverageParams, TerrainParams

import builders as b
from conftest import finish_jobs

CELL = 50.0
N = 400  # 20 km × 20 km
X_LEFT, Y_TOP = b.X0 - 10_000.0, b.Y0 + 10_000.0
# carrier, technology -> the true path-loss threshold (dB) the readings are generated from
TRUTH = {("Viettel", "4G"): 125.0, ("VinaPhone", "4G"): 118.0}
# at cell centres (25 m in from the 50 m cells' corners)
# radii longer than every reading's distance: the threshold, not the radius, decides
WIDE = CoverageParams(radius_m=(("2G", 8000.0), ("3G", 8000.0), ("4G", 8000.0), ("5G", 8000.0)))
SITES = {"Viettel": (b.X0 - 3975.0, b.Y0 - 25.0), "VinaPhone": (b.X0 + 4025.0, b.Y0 - 25.0)}


def write_dem(path, z) -> dem_io.DEM:
    """``z`` as a GeoTIFF in UTM 48N (top-left corner X_LEFT, Y_TOP), read back as a DEM."""
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=N,
        height=N,
        count=1,
        dtype="float32",
        crs=b.UTM48N,
        transform=Affine(CELL, 0, X_LEFT, 0, -CELL, Y_TOP),
    ) as out:
        out.write(z.astype(np.float32), 1)
    return dem_io.read_dem([path], crs=b.UTM48N)


def sites() -> gpd.GeoDataFrame:
    return b.points(
        [{"site_id": c, "carrier": c, "x": x, "y": y} for c, (x, y) in SITES.items()],
        {"technologies": "2G;4G", "height_m": 30.0, "illustrative": False},
    )


def hata_open_1800(d_km: float, hb: float = 30.0, hm: float = 1.5) -> float:
    """COST-231 Hata at 1800 MHz with the open-area correction, written out by hand."""
    lf = math.log10(1800.0)
    a_hm = (1.1 * lf - 0.7) * hm - (1.56 * lf - 0.8)
    urban = (
        46.3
        + 33.9 * lf
        - 13.82 * math.log10(hb)
        - a_hm
        + (44.9 - 6.55 * math.log10(hb)) * math.log10(d_km)
    )
    return urban - 4.78 * lf**2 + 18.33 * lf - 40.94


def readings(n=400, noise=0.1, seed=11):
    """``n`` 4G readings per carrier of TRUTH, 0.3–5.5 km from its site (on the DEM) in random directions;
    service = the hand-written Hata loss at the reading's distance ≤ the true threshold, flipped
    for a ``noise`` share. Flat ground: every reading is in sight."""
    rng = np.random.default_rng(seed)
    frames = []
    for (carrier, tech), limit in TRUTH.items():
        x0, y0 = SITES[carrier]
        d = rng.uniform(300.0, 5500.0, n)
        a = rng.uniform(0, 2 * np.pi, n)
        loss = np.array([hata_open_1800(v / 1000.0) for v in d])
        service = (loss <= limit) ^ (rng.random(n) < noise)
        frames.append(
            gpd.GeoDataFrame(
                {"carrier": carrier, "technology": tech, "service": np.where(service, "yes", "no")},
                geometry=shapely.points(x0 + d * np.cos(a), y0 + d * np.sin(a)),
                crs=b.UTM48N,
            )
        )
    return gpd.GeoDataFrame(
        np.concatenate([f.to_numpy() for f in frames]),
        columns=frames[0].columns,
        geometry="geometry",
        crs=b.UTM48N,
    )


@pytest.fixture(scope="module")
def flat(tmp_path_factory):
    return write_dem(tmp_path_factory.mktemp("dem") / "flat.tif", np.full((N, N), 100.0))


def test_path_loss_of_a_reading_is_hata_at_its_cell(flat):
    # a reading 2 km east of the Viettel site, in the cell whose centre is 2000 m away
    x0, y0 = SITES["Viettel"]
    one = gpd.GeoDataFrame(
        {"carrier": ["Viettel"], "technology": ["4G"], "service": ["yes"]},
        geometry=[shapely.Point(x0 + 2000.0 + 10, y0 + 10)],
        crs=b.UTM48N,
    )
    out = terrain_check.compare(one, sites(), flat)
    assert bool(out["in_sight"].iloc[0])
    assert out["cell_distance_m"].iloc[0] == pytest.approx(2000.0)
    # flat ground: base height = the 30 m mast; by hand 156.65 − 20.41 − 0.04 + 35.22 × log10 2 − 31.92 = 114.88 dB
    assert out["path_loss_db"].iloc[0] == pytest.approx(hata_open_1800(2.0), abs=0.01)
    assert hata_open_1800(2.0) == pytest.approx(114.88, abs=0.01)
    assert bool(out["model_covered"].iloc[0])  # 2 km < the 4G radius, no threshold yet


def test_fit_recovers_each_threshold_within_ten_percent(flat):
    out = terrain_check.compare(readings(), sites(), flat, params=WIDE)
    assert out["in_sight"].all()
    fits = {(f.carrier, f.technology): f for f in calibration.calibrate_path_loss(out)}
    for key, limit in TRUTH.items():
        fit = fits[key]
        assert fit.fitted, fit.why
        assert fit.max_path_loss_db == pytest.approx(limit, rel=0.10)
        assert abs(fit.max_path_loss_db - limit) < 2.0  # in fact much closer than 10 %
        assert fit.low_db < limit < fit.high_db
    # the fitted thresholds make the terrain model agree with the field more
    after = calibration.apply_terrain(list(fits.values()))
    table = terrain_check.loss_table(out, list(fits.values()), WIDE, TerrainParams(), after)
    assert list(table.columns) == list(terrain_check.LOSS_COLUMNS)
    assert (table["agreement_after_pct"] > table["agreement_before_pct"]).all()
    assert (table["agreement_after_pct"] >= 85.0).all()  # 10 % of the labels are flipped


def test_readings_behind_a_ridge_are_left_out(tmp_path):
    z = np.full((N, N), 100.0)
    x0, _ = SITES["Viettel"]
    wall = int((x0 + 1000.0 - X_LEFT) // CELL)
    z[:, wall] = 400.0  # a wall 1 km east of the Viettel site
    grid = write_dem(tmp_path / "wall.tif", z)
    out = terrain_check.compare(readings(n=200), sites(), grid)
    viettel = out[out["carrier"] == "Viettel"]
    behind = viettel.geometry.x > x0 + 1000.0 + CELL
    assert not viettel.loc[behind, "in_sight"].any() and behind.sum() > 20
    assert np.isinf(viettel.loc[behind, "path_loss_db"]).all()
    assert not viettel.loc[behind, "model_covered"].any()
    fit = calibration.fit_path_loss(viettel["path_loss_db"], viettel["field_service"])
    assert fit.samples == int((~behind).sum() - (~viettel.loc[~behind, "in_sight"]).sum())
    assert fit.readings == len(viettel)


def test_too_few_readings_give_no_threshold(flat):
    out = terrain_check.compare(readings(n=20), sites(), flat)
    fits = calibration.calibrate_path_loss(out)
    assert not any(f.fitted for f in fits)
    assert all("fewer than 30" in f.why for f in fits)
    assert calibration.apply_terrain(fits) == TerrainParams()


def test_json_keeps_the_thresholds_and_old_files_have_none(tmp_path):
    fits = [
        calibration.LossFit(
            "Viettel", "4G", 300, calibration.FITTED, 124.6, 122.9, 126.1, readings=320
        ),
        calibration.LossFit("MobiFone", "3G", 5, calibration.NOT_ENOUGH, why="few"),
    ]
    path = calibration.write_json(tmp_path / "c.json", [], loss_fits=fits)
    assert calibration.read_loss_json(path) == fits
    assert calibration.read_loss_json(calibration.to_json([])) == []
    terrain_params = calibration.apply_terrain(calibration.read_loss_json(path))
    assert terrain_params.max_path_loss_db == (("Viettel", "4G", 124.6),)
    assert terrain_params.path_loss_limit("Viettel", "4G") == 124.6
    assert terrain_params.path_loss_limit("Viettel", "2G") == math.inf
    bad = calibration.to_json([], loss_fits=[fits[0]]).replace("124.6", "-3")
    with pytest.raises(Exception, match="max_path_loss_db 1"):
        calibration.read_loss_json(bad)


def test_terrain_model_applies_a_threshold(flat):
    """On flat ground a threshold of L dB keeps the 4G disc where Hata's loss ≤ L: radius
    d = 10 ** ((L − loss at 1 km) / slope), with slope = 44.9 − 6.55 log10(30) dB per decade."""
    ds = b.dataset(
        [
            {
                "code": "1",
                "name": "Tà Rụt",
                "geometry": b.square(b.X0 - 9000.0, b.Y0 - 9000.0, 18000.0),
            }
        ],
        bts=[{"site_id": "v", "carrier": "Viettel", "x": b.X0, "y": b.Y0, "technologies": "2G;4G"}],
    )
    params = CoverageParams(
        radius_m=(("2G", 8000.0), ("3G", 3000.0), ("4G", 8000.0), ("5G", 1000.0))
    )
    prepared = gaps.prepare(ds, params=params)
    limit = 118.0
    slope = 44.9 - 6.55 * math.log10(30.0)
    d_km = 10 ** ((limit - hata_open_1800(1.0)) / slope)
    assert d_km == pytest.approx(2.45, abs=0.01)  # (118 − 104.27) / 35.22 = 0.390 decades
    plain = terrain.terrain_coverage(prepared, flat, params)
    cut = terrain.terrain_coverage(
        prepared, flat, params, TerrainParams(max_path_loss_db=(("Viettel", "4G", limit),))
    )
    area = {k: shapely.area(v[0]) for k, v in cut.covered.items()}
    assert area["covered_4g"] == pytest.approx(math.pi * (1000 * d_km) ** 2, rel=0.03)
    # 2G has no threshold: its 8 km disc stays, and so does the any-technology layer
    assert area["covered_2g"] == pytest.approx(shapely.area(plain.covered["covered_2g"][0]))
    assert area["mobile_covered"] == pytest.approx(shapely.area(plain.covered["mobile_covered"][0]))
    assert shapely.area(plain.covered["covered_4g"][0]) > 2 * area["covered_4g"]


def test_app_applies_the_thresholds_and_shows_the_field_check(tmp_path, monkeypatch):
    """Terrain model on a flat 200 m tile: with Viettel 4G's threshold at 118 dB its site covers
    the 2.45 km disc (not the 3 km radius): 4G is missing from 100 − 100 π 2.45² / 400 = 95.3 %
    of the 20 km × 20 km commune. Two residents' reports in the workspace load the field check:
    its path-loss table, the map toggle and the downloads' note."""
    import re
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from geo.store import fieldreports

    ds = b.dataset(
        [
            {
                "code": "1",
                "name": "Tà Rụt",
                "population": 400.0,
                "geometry": b.square(b.X0 - 10_000.0, b.Y0 - 10_000.0, 20_000.0),
            }
        ],
        bts=[
            {
                "site_id": "v",
                "carrier": "Viettel",
                "x": b.X0 + 25.0,
                "y": b.Y0 - 25.0,
                "technologies": "4G",
            }
        ],
    )
    b.write_folder(ds, tmp_path / "data")
    (tmp_path / "dem").mkdir()
    write_dem(tmp_path / "dem" / "flat.tif", np.full((N, N), 200.0))
    monkeypatch.setenv("PHUSONG_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("PHUSONG_DEM_DIR", str(tmp_path))
    monkeypatch.setenv("PHUSONG_DATABASE_URL", f"sqlite:///{tmp_path / 'workspace.sqlite'}")
    centre = gpd.GeoSeries([shapely.Point(b.X0 + 500.0, b.Y0)], crs=b.UTM48N).to_crs(4326)
    for service in ("yes", "no"):
        fieldreports.add_field_report(
            lon=centre.x[0],
            lat=centre.y[0],
            service=service,
            observed_on="2026-03-02",
            reporter="Hồ Văn A",
            carrier="Viettel",
            technology="4G",
        )
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=120)
    at.run()
    at.radio(key="model").set_value("terrain").run()
    finish_jobs(at.selectbox(key="dem_folder").set_value("dem").run())
    assert not at.exception, at.exception

    def no_4g_area() -> float:
        for metric in at.metric:
            if metric.label.startswith("Chưa có 4G"):
                return float(re.search(r"[\d,]+", metric.delta).group().replace(",", "."))
        raise AssertionError("no 4G KPI")

    assert no_4g_area() == pytest.approx(100 - 100 * math.pi * 3.0**2 / 400, abs=0.15)
    headers = [c for df in at.dataframe for c in df.value.columns]
    assert "Ngưỡng suy hao theo thực địa (dB)" in headers  # the field tab's terrain table
    assert at.sidebar.checkbox(key="field_on_map").value is False
    assert any("bằng chứng thực địa" in c.value for c in at.caption)  # the downloads' note
    at.session_state["calibration_path_loss"] = (("Viettel", "4G", 118.0),)
    at.run()
    assert not at.exception, at.exception
    assert no_4g_area() == pytest.approx(100 - 100 * math.pi * 2.453**2 / 400, abs=0.15)
    assert any("Viettel 4G: 118,0 dB" in c.value for c in at.sidebar.caption)
    at.sidebar.button(key="calibration_loss_remove").click().run()
    assert no_4g_area() == pytest.approx(100 - 100 * math.pi * 3.0**2 / 400, abs=0.15)
