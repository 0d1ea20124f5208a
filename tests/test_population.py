"""Population grids: reading, refusing bad grids, dasymetric people and the sub-cell range, on small
GeoTIFFs written by the tests (UTM 48N squares near 16.5° N, tests/builders.py)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from rasterio.warp import Resampling, calculate_default_transform, reproject

from geo import gaps, loading, population
from geo.errors import DataError, PhusongError
from geo.settings import CoverageParams

import builders as b

KM = 1000.0
# 4G reaches 3 km; every other layer as the defaults.
PARAMS = CoverageParams(radius_m=(("2G", 3 * KM), ("3G", 3 * KM), ("4G", 3 * KM), ("5G", 1 * KM)))
# The commune: 10 × 10 km with its lower-left corner at (X0, Y0); the grid: 1 km cells on it.
ORIGIN = (b.X0, b.Y0 + 10 * KM)


def write_grid(path, values, *, crs="EPSG:32648", transform=None, nodata=-99999.0):
    values = np.asarray(values, dtype=np.float32)
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0],
                       count=1, dtype="float32", crs=crs, nodata=nodata,
                       transform=transform or from_origin(*ORIGIN, KM, KM)) as dst:
        dst.write(values, 1)
    return path


def one_cell(people=500.0, row=4, col=5, shape=(10, 10)):
    """A grid of zeros with ``people`` in one cell (row 4, col 5: x 5–6 km, y 5–6 km)."""
    values = np.zeros(shape)
    values[row, col] = people
    return values


def commune(code="1", x=0.0, population=1000.0, **extra):
    return {"code": code, "name": f"Xã {code}", "population": population,
            "geometry": b.square(b.X0 + x, b.Y0, 10 * KM), **extra}


def with_grid(ds, path):
    ds.population = population.read_grid(path, area=ds.communes)
    return ds


def row(analysis, code="1"):
    return analysis.communes.set_index("code").loc[code]


# --- known answers --------------------------------------------------------------------------------

def test_everyone_in_reach_nobody_without_4g_while_most_area_is_uncovered(tmp_path):
    grid = write_grid(tmp_path / "p.tif", one_cell())
    ds = with_grid(b.dataset([commune()], bts=[{"x": b.X0 + 5.5 * KM, "y": b.Y0 + 5.5 * KM}]), grid)
    r = row(gaps.analyse(ds, params=PARAMS))
    assert r["population_basis"] == "grid"
    assert r["no_4g_pct"] == pytest.approx(100 - math.pi * 9, abs=0.1)  # 71.7 % of the area
    assert r["no_4g_pop"] == pytest.approx(0.0, abs=1e-6)
    assert r["population"] == 1000 and r["grid_population"] == pytest.approx(500)  # both totals


def test_everyone_far_away_everybody_without_4g(tmp_path):
    grid = write_grid(tmp_path / "p.tif", one_cell(row=0, col=0))  # the north-west corner cell
    ds = with_grid(b.dataset([commune()], bts=[{"x": b.X0 + 7 * KM, "y": b.Y0 + 3 * KM}]), grid)
    r = row(gaps.analyse(ds, params=PARAMS))
    assert r["no_4g_pct"] == pytest.approx(100 - math.pi * 9, abs=0.1)
    assert r["no_4g_pop"] == pytest.approx(1000.0)


def test_without_a_grid_people_are_spread_evenly(tmp_path):
    ds = b.dataset([commune()], bts=[{"x": b.X0 + 5.5 * KM, "y": b.Y0 + 5.5 * KM}])
    r = row(gaps.analyse(ds, params=PARAMS))
    assert r["population_basis"] == "uniform"
    assert r["no_4g_pop"] == pytest.approx(10 * r["no_4g_pct"])
    assert "no_loudspeaker_pop_low" not in r.index and "grid_population" not in r.index


def test_unknown_population_takes_the_grids_total(tmp_path):
    grid = write_grid(tmp_path / "p.tif", one_cell(people=400, row=0, col=0))
    ds = with_grid(b.dataset([commune(population=float("nan"))],
                             bts=[{"x": b.X0 + 7 * KM, "y": b.Y0 + 3 * KM}]), grid)
    r = row(gaps.analyse(ds, params=PARAMS))
    assert r["population"] == pytest.approx(400) and r["no_4g_pop"] == pytest.approx(400)


def test_a_grid_in_another_crs_gives_the_same_answer(tmp_path):
    utm = write_grid(tmp_path / "utm.tif", one_cell())
    wgs = tmp_path / "wgs.tif"
    with rasterio.open(utm) as src:  # the same people on a geographic grid of ≈ 0.5 km cells
        transform, width, height = calculate_default_transform(
            src.crs, "EPSG:4326", src.width, src.height, *src.bounds, resolution=0.005)
        out = np.zeros((height, width), dtype=np.float32)
        reproject(rasterio.band(src, 1), out, dst_transform=transform, dst_crs="EPSG:4326",
                  resampling=Resampling.sum)
    write_grid(wgs, out, crs="EPSG:4326", transform=transform)
    for site, expected in (((5.5, 5.5), 0.0), ((8.5, 1.0), 1000.0)):
        ds = with_grid(b.dataset([commune()], bts=[{"x": b.X0 + site[0] * KM,
                                                   "y": b.Y0 + site[1] * KM}]), wgs)
        r = row(gaps.analyse(ds, params=PARAMS))
        assert r["population_basis"] == "grid"
        assert r["no_4g_pop"] == pytest.approx(expected, abs=1.0)


def test_nodata_cells_hold_nobody(tmp_path):
    values = one_cell(people=300)
    values[:, :3] = -99999  # declared nodata: not negative people
    values[9, 9] = 100
    grid = population.read_grid(write_grid(tmp_path / "p.tif", values))
    assert grid.total == pytest.approx(400)
    ds = with_grid(b.dataset([commune()], bts=[{"x": b.X0 + 5.5 * KM, "y": b.Y0 + 5.5 * KM}]),
                   tmp_path / "p.tif")
    r = row(gaps.analyse(ds, params=PARAMS))
    assert r["no_4g_pop"] == pytest.approx(250)  # the corner cell's 100 of 400, scaled to 1,000


def test_partial_overlap_falls_back_to_even_spread_with_a_warning(tmp_path):
    folder = tmp_path / "ds"
    ds = b.dataset([commune("1"), commune("2", x=10 * KM)],
                   bts=[{"x": b.X0 + 5.5 * KM, "y": b.Y0 + 5.5 * KM}])
    b.write_folder(ds, folder)
    write_grid(folder / "population.tif", one_cell())  # covers commune 1 only
    loaded = loading.load_dataset(folder)
    warnings = [p for p in loaded.problems if not p.is_error]
    assert [(p.file, p.value) for p in warnings] == [("population.tif", "Xã 2")]
    assert "spread evenly" in warnings[0].reason
    analysis = gaps.analyse(loaded, params=PARAMS)
    assert row(analysis, "1")["population_basis"] == "grid"
    assert row(analysis, "2")["population_basis"] == "uniform"
    assert row(analysis, "2")["no_4g_pop"] == pytest.approx(1000)  # no site reaches it
    assert any("Xã 2" in str(n) for n in analysis.notes)


def test_settlements_win_over_the_grid(tmp_path):
    grid = write_grid(tmp_path / "p.tif", one_cell())
    ds = with_grid(b.dataset([commune()], bts=[{"x": b.X0 + 5.5 * KM, "y": b.Y0 + 5.5 * KM}],
                             settlements=[{"x": b.X0 + 9 * KM, "y": b.Y0 + 1 * KM,
                                           "population": 80.0}]), grid)
    r = row(gaps.analyse(ds, params=PARAMS))
    assert r["population_basis"] == "settlements" and r["no_4g_pop"] == pytest.approx(1000)


def test_2025_commune_of_grid_and_even_parts_is_mixed(tmp_path):
    grid = write_grid(tmp_path / "p.tif", one_cell())
    ds = with_grid(b.dataset([commune("1", code_2025="9", name_2025="Xã Mới"),
                              commune("2", x=10 * KM, code_2025="9", name_2025="Xã Mới")],
                             bts=[{"x": b.X0 + 5.5 * KM, "y": b.Y0 + 5.5 * KM}]), grid)
    r = row(gaps.analyse(ds, vintage="2025", params=PARAMS), "9")
    assert r["population_basis"] == "mixed"
    assert r["no_4g_pop"] == pytest.approx(1000)  # commune 1's people reached, commune 2's not


# --- the sub-cell range ----------------------------------------------------------------------------

def test_loudspeaker_range_between_even_and_hamlet_readings(tmp_path):
    """A 300 m loudspeaker at the centre of the only populated 1 km cell: spread evenly, π·0.09 of
    the cell's people hear it; gathered at the cell centre, all of them."""
    grid = write_grid(tmp_path / "p.tif", one_cell())
    ds = with_grid(b.dataset([commune()], loudspeakers=[{"x": b.X0 + 5.5 * KM,
                                                        "y": b.Y0 + 5.5 * KM}]), grid)
    r = row(gaps.analyse(ds, params=PARAMS))
    even = 1000 * (1 - math.pi * 0.09)
    assert r["no_loudspeaker_pop"] == pytest.approx(even, rel=2e-3)
    assert r["no_loudspeaker_pop_low"] == pytest.approx(0.0, abs=1e-6)
    assert r["no_loudspeaker_pop_high"] == pytest.approx(even, rel=2e-3)
    assert r["no_internet_pop_low"] == r["no_internet_pop_high"] == pytest.approx(1000)


# --- bad grids -------------------------------------------------------------------------------------

def _load_with(tmp_path, values, **kwargs):
    folder = tmp_path / "ds"
    b.write_folder(b.dataset([commune()]), folder)
    write_grid(folder / "population.tif", values, **kwargs)
    return loading.load_dataset(folder)


@pytest.mark.parametrize("values, kwargs, message", [
    (one_cell(), {"crs": None}, "declares no coordinate reference system"),
    (one_cell(), {"transform": from_origin(b.X0 + 500 * KM, b.Y0, KM, KM)}, "does not overlap"),
    (np.full((10, 10), -99999.0), {}, "only nodata"),
    (one_cell(people=-5), {}, "negative people"),
])
def test_bad_grids_are_refused_naming_the_file(tmp_path, values, kwargs, message):
    with pytest.raises(DataError) as err:
        _load_with(tmp_path, values, **kwargs)
    assert "population.tif" in str(err.value) and message in str(err.value)


def test_a_file_that_is_no_geotiff(tmp_path):
    path = tmp_path / "population.tif"
    path.write_text("not a raster")
    with pytest.raises(PhusongError, match="population.tif: cannot be read"):
        population.read_grid(path)


def test_cli_population_option(tmp_path, capsys):
    from geo import cli

    folder = tmp_path / "ds"
    b.write_folder(b.dataset([commune()], bts=[{"x": b.X0 + 5.5 * KM, "y": b.Y0 + 5.5 * KM}]),
                   folder)
    bad = write_grid(tmp_path / "bad.tif", one_cell(people=-1))
    assert cli.main(["report", "--data", str(folder), "--population", str(bad),
                     "--out", str(tmp_path / "out")]) == 2
    assert "bad.tif" in capsys.readouterr().err


# --- against ../shared -----------------------------------------------------------------------------

def test_dakrong_outline_holds_about_39800_grid_people(shared_raw):
    """The official Đa Krông outline over the shipped WorldPop clip: ≈ 39,800 people (WorldPop's
    SOURCES.md counts 39,816 on cell centres; here cells cut by the outline count by area)."""
    import geopandas as gpd

    from geo.settings import DEFAULT_DATA_DIR

    districts = gpd.read_file(shared_raw / "dvhcvn/quangtri_province_districts_gis_chinhphu.geojson")
    outline = districts[districts["code"].astype(str) == "467"][["code", "geometry"]].copy()
    outline["population"] = np.nan
    grid = population.read_grid(DEFAULT_DATA_DIR / "population.tif", area=outline)
    people = population.cell_people(outline.to_crs(32648), grid)
    assert people.grid_people[0] == pytest.approx(39_800, rel=0.005)
