"""The terrain model on synthetic DEMs with known answers, and agreement with gdal_viewshed."""

import math
import shutil
import subprocess

import numpy as np
import pytest
import rasterio
from affine import Affine

from geo.io import dem as dem_io
from geo.analysis import gaps, terrain
from geo.errors import PhusongError
from geo.settings import CoverageParams, TerrainParams

import builders as b
from conftest import finish_jobs

KM = 1000.0
CELL = 30.0
UTM48N = "EPSG:32648"
FLAT = CoverageParams(radius_m=(("2G", 5 * KM), ("3G", 3 * KM), ("4G", 3 * KM), ("5G", 1 * KM)))
GDAL = shutil.which("gdal_viewshed")


def grid(heights, *, x0=b.X0 - 12 * KM, y0=b.Y0 + 12 * KM, cell=CELL):
    """A DEM in UTM 48N whose top-left corner is (x0, y0)."""
    return dem_io.from_array(heights, transform=Affine(cell, 0, x0, 0, -cell, y0), crs=UTM48N)


def coords(d, shape=None):
    """Cell-centre x, y arrays of a DEM (metres)."""
    rows, cols = shape or d.shape
    t = d.transform
    return (t.c + (np.arange(cols) + 0.5) * t.a)[None, :], (t.f + (np.arange(rows) + 0.5) * t.e)[
        :, None
    ]


def seen(d, x, y, *, h=30.0, target=1.5, radius=5 * KM, cc=0.25):
    """Full-grid bool raster of what an observer at (x, y) sees."""
    shed = terrain.viewsheds(
        d,
        [x],
        [y],
        observer_height_m=h,
        target_height_m=target,
        radius_m=radius,
        curvature_coeff=cc,
    )[0]
    out = np.zeros(d.shape, bool)
    out[shed.row0 : shed.row0 + shed.rows, shed.col0 : shed.col0 + shed.cols] = shed.visible()
    return out


def distance(d, x, y):
    xs, ys = coords(d)
    return np.hypot(xs - x, ys - y)


def big_commune(**extra):
    return {
        "code": "1",
        "name": "Tà Rụt",
        "geometry": b.square(b.X0 - 10 * KM, b.Y0 - 10 * KM, 20 * KM),
        **extra,
    }


def flat_dem(height=200.0):
    return grid(np.full((800, 800), height, np.float32))


# --- known answers ------------------------------------------------------------------------------


def test_flat_plane_equals_the_circle_within_a_cell():
    ds = b.dataset(
        [big_commune(population=400.0)],
        bts=[
            {"site_id": "a", "x": b.X0, "y": b.Y0, "technologies": "2G;4G"},
            {
                "site_id": "b",
                "x": b.X0 + 4 * KM,
                "y": b.Y0 + 1 * KM,
                "carrier": "MobiFone",
                "technologies": "3G",
            },
        ],
        loudspeakers=[{"x": b.X0 - 5 * KM, "y": b.Y0, "radius_m": 1 * KM}],
        internet=[{"x": b.X0 - 4 * KM, "y": b.Y0 - 5 * KM}],
    )
    # Walking limit equal to the circle's distance on flat ground at Tobler's 5.04 km/h.
    minutes = 2 * KM / (terrain.tobler_kmh(0.0) * 1000 / 60)
    params = CoverageParams(radius_m=FLAT.radius_m, internet_access_m=2 * KM)
    circle = gaps.analyse(ds, params=params).communes.iloc[0]
    flat = terrain.analyse_terrain(
        ds, flat_dem(), params=params, terrain=TerrainParams(internet_walk_min=float(minutes))
    )
    assert flat.model == "terrain" and any("DEM" in n for n in flat.notes)
    row = flat.communes.iloc[0]
    area = 400.0  # km²
    for col, radius_km in (
        ("covered_2g_pct", 5),
        ("covered_4g_pct", 3),
        ("covered_3g_pct", 3),
        ("loudspeaker_covered_pct", 1),
    ):
        tolerance = 2 * math.pi * radius_km * CELL / 1000 / 2  # half a cell along the edge, km²
        assert abs(row[col] - circle[col]) / 100 * area <= tolerance, col
    # 16 walking directions make a 16-gon inside the circle: within 3 %.
    assert row["internet_access_pct"] == pytest.approx(circle["internet_access_pct"], rel=0.03)
    for col in ("mobile_covered_pct", "no_service_pct", "at_risk_pct", "gap_score"):
        assert row[col] == pytest.approx(circle[col], abs=0.3), col
    assert list(circle.index) == [c for c in row.index if not c.startswith("single_server")]


def test_ridge_hides_the_far_valley():
    z = np.full((800, 800), 100.0, np.float32)
    xs, _ = coords(grid(z))
    ridge = np.abs(xs - (b.X0 + 1 * KM)) < 60  # a 120 m wide wall, 300 m high, 1 km east
    z[np.broadcast_to(ridge, z.shape)] = 400.0
    d = grid(z)
    vis = seen(d, b.X0, b.Y0)
    dist = distance(d, b.X0, b.Y0)
    xs, ys = coords(d)
    near_side = (xs < b.X0 + 0.8 * KM) & (dist < 4.5 * KM)
    far_valley = (xs > b.X0 + 1.2 * KM) & (np.abs(ys - b.Y0) < 1 * KM) & (dist < 4.5 * KM)
    assert vis[np.broadcast_to(near_side, d.shape)].all()
    assert not vis[np.broadcast_to(far_valley, d.shape)].any()
    # The ridge's own face is seen.
    assert vis[np.broadcast_to(ridge, d.shape) & (dist < 1.2 * KM)].any()


def test_cone_hill_seen_from_its_top():
    d0 = flat_dem()
    top = b.X0 + CELL / 2, b.Y0 - CELL / 2  # the summit is the centre of a cell
    dist = distance(d0, *top)
    z = (1200.0 - 0.25 * dist).astype(np.float32)  # a cone, slope 25 %
    d = grid(z)
    vis = seen(d, *top, h=10.0, radius=4 * KM, cc=0.0)
    assert vis[dist <= 4 * KM - CELL].all()
    assert not vis[dist > 4 * KM + CELL].any()


def test_site_in_a_pit_sees_only_the_pit():
    d0 = flat_dem()
    dist = distance(d0, b.X0, b.Y0)
    z = np.where(dist < 300, 100.0, 300.0).astype(np.float32)  # a pit 200 m deep, 300 m across
    d = grid(z)
    vis = seen(d, b.X0, b.Y0, h=30.0)
    assert vis[dist < 250].all()
    assert not vis[dist > 400].any()


def test_earth_curvature_hides_far_low_ground():
    # Over a flat sea-level plane a 30 m mast sees a 1.5 m handset to ≈ √(2·k·R)(√30 + √1.5).
    d = grid(np.zeros((400, 1400), np.float32), x0=b.X0 - 100, y0=b.Y0 + 6 * KM)
    x, y = b.X0, b.Y0
    vis = seen(d, x, y, h=30.0, radius=40 * KM, cc=0.25)
    xs, ys = coords(d)
    on_axis = np.abs(ys - y) < CELL / 2
    k_r = 4 / 3 * 6_378_137.0
    horizon = math.sqrt(2 * k_r) * (math.sqrt(30) + math.sqrt(1.5))
    far = np.broadcast_to(on_axis & (xs - x > horizon + 2 * CELL), d.shape)
    near = np.broadcast_to(on_axis & (xs - x < horizon - 2 * CELL) & (xs > x), d.shape)
    assert vis[near].all() and not vis[far].any()


def test_moving_one_site_recomputes_one_site():
    ds = b.dataset(
        [big_commune()],
        bts=[{"site_id": f"s{i}", "x": b.X0 + i * 2 * KM, "y": b.Y0} for i in range(-2, 3)],
    )
    cache = terrain.viewshed_cache()
    d = flat_dem()
    terrain.analyse_terrain(ds, d, params=FLAT, cache=cache)
    assert (cache.hits, cache.misses) == (0, 5)
    moved = b.dataset(
        [big_commune()],
        bts=[
            {"site_id": f"s{i}", "x": b.X0 + i * 2 * KM + (500 if i == 0 else 0), "y": b.Y0}
            for i in range(-2, 3)
        ],
    )
    terrain.analyse_terrain(moved, d, params=FLAT, cache=cache)
    assert (cache.hits, cache.misses) == (4, 6)


def test_count_of_servers_and_single_server_share():
    ds = b.dataset(
        [big_commune()],
        bts=[
            {"site_id": "a", "x": b.X0 - 2 * KM, "y": b.Y0},
            {"site_id": "b", "x": b.X0 + 2 * KM, "y": b.Y0, "carrier": "VinaPhone"},
        ],
    )
    prepared = gaps.prepare(ds, params=FLAT)
    result = terrain.terrain_coverage(prepared, flat_dem(), FLAT)
    lens_km2 = 2 * 9 * math.acos(4 / 6) - 2 * math.sqrt(36 - 16)  # two 3 km circles 4 km apart
    cell_km2 = CELL * CELL / 1e6
    assert (result.servers == 2).sum() * cell_km2 == pytest.approx(lens_km2, rel=0.02)
    assert (result.servers == 1).sum() * cell_km2 == pytest.approx(
        2 * (9 * math.pi - lens_km2), rel=0.02
    )
    analysis = terrain.analyse_terrain(ds, flat_dem(), params=FLAT)
    single = analysis.communes.iloc[0]["single_server_pct"] / 100 * 400
    assert single == pytest.approx(2 * (9 * math.pi - lens_km2), rel=0.02)


def test_loudspeaker_behind_a_wall_is_not_heard():
    z = np.full((800, 800), 100.0, np.float32)
    xs, _ = coords(grid(z))
    z[np.broadcast_to(np.abs(xs - (b.X0 + 100)) < 20, z.shape)] = 130.0  # a 30 m bank 100 m east
    ds = b.dataset([big_commune()], loudspeakers=[{"x": b.X0, "y": b.Y0, "radius_m": 300.0}])
    prepared = gaps.prepare(ds, params=FLAT)
    heard = terrain.terrain_coverage(prepared, grid(z), FLAT).rasters["loudspeaker_covered"]
    d = distance(grid(z), b.X0, b.Y0)
    east = np.broadcast_to(xs > b.X0 + 150, z.shape) & (d < 280)
    west = np.broadcast_to(xs < b.X0 - 20, z.shape) & (d < 280)
    assert heard[west].all() and not heard[east].any()


def test_walking_uphill_takes_longer_than_downhill():
    xs, _ = coords(flat_dem())
    z = np.broadcast_to(100.0 + 0.2 * (xs - b.X0), (800, 800)).astype(
        np.float32
    )  # 20 % slope up east
    d = grid(z)
    minutes = terrain.walking_minutes(d, [b.X0], [b.Y0], max_minutes=120)
    row = int((d.transform.f - b.Y0) // CELL)
    col = int((b.X0 - d.transform.c) // CELL)
    east, west = minutes[row, col + 50], minutes[row, col - 50]  # 1.5 km either way
    # Walking *to* the point: from the east is downhill (slope −0.2), from the west uphill (+0.2).
    speed = terrain.tobler_kmh
    flat_km = 50 * CELL / 1000
    assert east == pytest.approx(60 * flat_km / speed(-0.2), rel=0.01)
    assert west == pytest.approx(60 * flat_km / speed(0.2), rel=0.01)
    assert west > east
    flat = terrain.walking_minutes(flat_dem(), [b.X0], [b.Y0], max_minutes=30)
    assert flat[row, col + 50] == pytest.approx(60 * flat_km / 5.036, rel=0.01)
    assert np.isinf(flat[row, col + 300])  # 9 km away: beyond 30 minutes


def test_path_loss_estimate_classes_cells():
    loss = terrain.hata_loss_db(np.array([1.0, 5.0, 20.0]), 900.0, 30.0)
    assert np.all(np.diff(loss) > 0) and 80 < loss[0] < 120
    assert terrain.hata_loss_db(1.0, 1800.0, 30.0) > terrain.hata_loss_db(1.0, 900.0, 30.0)
    classes = terrain.signal_classes(np.array([100.0, 130.0, 150.0, np.inf]))
    assert list(classes) == [terrain.STRONG, terrain.VARIABLE, terrain.WEAK, terrain.NO_SIGNAL]
    ds = b.dataset([big_commune()], bts=[{"x": b.X0, "y": b.Y0, "technologies": "2G"}])
    analysis = terrain.analyse_terrain(
        ds, flat_dem(), params=FLAT, terrain=TerrainParams(path_loss=True)
    )
    row = analysis.communes.iloc[0]
    total = row["signal_strong_pct"] + row["signal_variable_pct"] + row["signal_weak_pct"]
    assert total == pytest.approx(row["mobile_covered_pct"], abs=0.01)
    assert any("ESTIMATE" in n for n in analysis.notes)


def test_dem_that_misses_the_communes_names_the_tiles():
    ds = b.dataset([big_commune()], bts=[{"x": b.X0, "y": b.Y0}])
    small = grid(np.zeros((100, 100), np.float32))
    with pytest.raises(PhusongError, match="N16E10"):
        terrain.analyse_terrain(ds, small, params=FLAT)
    other_crs = dem_io.from_array(
        np.zeros((10, 10)), transform=Affine(30, 0, 0, 0, -30, 0), crs="EPSG:32647"
    )
    with pytest.raises(PhusongError, match="crs"):
        terrain.analyse_terrain(ds, other_crs, params=FLAT)


def test_site_outside_the_dem_is_reported():
    ds = b.dataset([big_commune()], bts=[{"site_id": "far", "x": b.X0 + 30 * KM, "y": b.Y0}])
    analysis = terrain.analyse_terrain(ds, flat_dem(), params=FLAT)
    assert any("far" in n and "outside the DEM" in n for n in analysis.notes)


# --- agreement with gdal_viewshed ---------------------------------------------------------------


def rough_dem(seed, n=400):
    """Gaussian hills and valleys plus noise: a synthetic mountain district."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:n, 0:n]
    z = np.zeros((n, n))
    for _ in range(30):
        cy, cx = rng.uniform(0, n, 2)
        s, h = rng.uniform(8, 50), rng.uniform(-250, 450)
        z += h * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * s * s))
    z += rng.normal(0, 4, (n, n))
    return (z - z.min() + 50).astype(np.float32)


def gdal_viewshed(path, tmp_path, x, y, *, h, target, radius, cc):
    out = tmp_path / "vs.tif"
    subprocess.run(
        [
            GDAL,
            "-q",
            "-oz",
            str(h),
            "-tz",
            str(target),
            "-md",
            str(radius),
            "-cc",
            str(cc),
            "-ox",
            str(x),
            "-oy",
            str(y),
            str(path),
            str(out),
        ],
        check=True,
    )
    with rasterio.open(out) as src:
        return src.read(1) == 255, src.transform


@pytest.mark.skipif(GDAL is None, reason="gdal_viewshed not installed (Debian package gdal-bin)")
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_agrees_with_gdal_viewshed(tmp_path, seed):
    z = rough_dem(seed)
    d = grid(z)
    path = tmp_path / "dem.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=z.shape[1],
        height=z.shape[0],
        count=1,
        dtype="float32",
        crs=UTM48N,
        transform=d.transform,
    ) as out:
        out.write(z, 1)
    rng = np.random.default_rng(seed)
    t = d.transform
    total = agree = 0
    for h, radius, cc in ((30.0, 6 * KM, 0.25), (15.0, 12 * KM, 0.85714), (45.0, 3 * KM, 0.0)):
        col, row = rng.uniform(20, z.shape[1] - 20), rng.uniform(20, z.shape[0] - 20)
        x, y = t.c + col * t.a, t.f + row * t.e
        theirs, their_t = gdal_viewshed(path, tmp_path, x, y, h=h, target=1.5, radius=radius, cc=cc)
        full = np.zeros(z.shape, bool)
        r0, c0 = round((t.f - their_t.f) / CELL), round((their_t.c - t.c) / CELL)
        full[r0 : r0 + theirs.shape[0], c0 : c0 + theirs.shape[1]] = theirs
        mine = seen(d, x, y, h=h, target=1.5, radius=radius, cc=cc)
        shed = terrain.viewsheds(
            d, [x], [y], observer_height_m=h, target_height_m=1.5, radius_m=radius
        )[0]
        rr, cc_ = np.mgrid[0 : z.shape[0], 0 : z.shape[1]]
        in_range = ((rr - shed.orow) ** 2 + (cc_ - shed.ocol) ** 2) * CELL**2 <= radius**2
        total += in_range.sum()
        agree += (mine == full)[in_range].sum()
        assert 0.05 < mine[in_range].mean() < 0.95  # a real test: neither all seen nor none
    assert agree / total >= 0.99


# --- report -------------------------------------------------------------------------------------


def test_report_with_dem_shows_both_models_side_by_side(tmp_path):
    import pandas as pd

    from geo import cli

    ds = b.dataset(
        [big_commune(population=400.0)],
        bts=[{"site_id": "a", "x": b.X0, "y": b.Y0, "technologies": "4G"}],
        internet=[{"x": b.X0 + 1 * KM, "y": b.Y0}],
    )
    b.write_folder(ds, tmp_path / "data")
    z = rough_dem(5, n=800)
    path = tmp_path / "dem.tif"
    d = grid(z)
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=800,
        height=800,
        count=1,
        dtype="float32",
        crs=UTM48N,
        transform=d.transform,
    ) as out:
        out.write(z, 1)
    code = cli.main(
        [
            "report",
            "--data",
            str(tmp_path / "data"),
            "--dem",
            str(path),
            "--lang",
            "en",
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == 0
    table = pd.read_csv(tmp_path / "out" / "communes.csv")
    assert "4G coverage (%) [circle]" in table and "4G coverage (%) [terrain]" in table
    row = table.iloc[0]
    assert row["4G coverage (%) [terrain]"] < row["4G coverage (%) [circle]"]  # hills hide some
    notes = pd.read_excel(tmp_path / "out" / "communes.xlsx", sheet_name=None)
    text = " ".join(map(str, list(notes.values())[1].iloc[:, 0]))
    assert "[terrain]" in text and "DEM" in text
    assert (tmp_path / "out" / "gaps_terrain.geojson").exists()


# --- app ----------------------------------------------------------------------------------------


def test_app_terrain_mode_with_a_folder_of_tiles(tmp_path, monkeypatch):
    import time
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    ds = b.dataset(
        [big_commune(population=400.0)],
        bts=[{"site_id": "v", "x": b.X0, "y": b.Y0, "technologies": "4G"}],
        internet=[{"id": "n", "x": b.X0, "y": b.Y0}],
    )
    b.write_folder(ds, tmp_path / "data")
    (tmp_path / "dem").mkdir()
    z = rough_dem(9, n=400)
    with rasterio.open(
        tmp_path / "dem" / "tile.tif",
        "w",
        driver="GTiff",
        width=400,
        height=400,
        count=1,
        dtype="float32",
        crs=UTM48N,
        transform=Affine(60, 0, b.X0 - 12 * KM, 0, -60, b.Y0 + 12 * KM),
    ) as out:
        out.write(z, 1)
    monkeypatch.setenv("PHUSONG_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("PHUSONG_DEM_DIR", str(tmp_path))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    at.radio(key="model").set_value("terrain").run()
    assert any("mô hình số độ cao" in i.value for i in at.sidebar.info)  # asks for a DEM
    finish_jobs(at.selectbox(key="dem_folder").set_value("dem").run())
    assert not at.exception, at.exception
    assert any("[địa hình]" in i.value for i in at.info)
    headers = [c for df in at.dataframe for c in df.value.columns]
    assert "Có 4G (%) [địa hình]" in headers and "Có 4G (%) [vòng tròn]" in headers
    started = time.perf_counter()
    at.run()  # nothing terrain-related changed: served from the caches
    rerun_s = time.perf_counter() - started
    assert not at.exception and rerun_s < 5, rerun_s


def test_sixteen_sessions_sharing_a_small_viewshed_cache_each_get_their_own_viewshed():
    """The app shares one viewshed cache between sessions (threads): 16 threads asking for 10
    sites over a cache that holds about 3 viewsheds (constant eviction) each get the viewshed of
    the site they asked for: on rough ground, the same cells as computed without any cache."""
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(5)
    d = grid((200 + 300 * rng.random((300, 300))).astype(np.float32))
    xs = b.X0 - 12 * KM + 30 * (50 + 20 * np.arange(10))
    ys = np.full(10, b.Y0 + 12 * KM - 30 * 150)
    kw = dict(observer_height_m=30.0, target_height_m=1.5, radius_m=2 * KM)
    alone = [s.visible().copy() for s in terrain.viewsheds(d, xs, ys, **kw)]
    shared = terrain.viewshed_cache(max_bytes=3 * alone[0].size / 8 * 1.5)

    def work(i: int) -> list[int]:
        wrong = []
        for step in range(15):
            k = (i * 3 + step) % 10
            got = terrain.viewsheds(d, xs[k : k + 1], ys[k : k + 1], cache=shared, **kw)[0]
            if not np.array_equal(got.visible(), alone[k]):
                wrong.append(k)
        return wrong

    with ThreadPoolExecutor(16) as pool:
        wrong = [k for found in pool.map(work, range(16)) for k in found]
    assert wrong == []
