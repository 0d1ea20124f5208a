"""Population grids: reading, refusing bad grids, dasymetric people and the sub-cell range, on small
GeoTIFFs written by the tests (UTM 48N squares near 16.5° N, tests/builders.py)."""

from __future__ import annotations

import math

import numpy as np
import shapely
import pytest
import rasterio
from rasterio.transform import from_origin
from rasterio.warp import Resampling, calculate_default_transform, reproject

from geo.analysis import gaps
from geo.io import population
from geo.io import loading
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
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype="float32",
        crs=crs,
        nodata=nodata,
        transform=transform or from_origin(*ORIGIN, KM, KM),
    ) as dst:
        dst.write(values, 1)
    return path


def one_cell(people=500.0, row=4, col=5, shape=(10, 10)):
    """A grid of zeros with ``people`` in one cell (row 4, col 5: x 5–6 km, y 5–6 km)."""
    values = np.zeros(shape)
    values[row, col] = people
    return values


def commune(code="1", x=0.0, population=1000.0, **extra):
    return {
        "code": code,
        "name": f"Xã {code}",
        "population": population,
        "geometry": b.square(b.X0 + x, b.Y0, 10 * KM),
        **extra,
    }


def with_grid(ds, path):
    ds.population = population.read_grid(path, area=ds.communes)
    return ds


def row(analysis, code="1"):
    return analysis.communes.set_index("code").loc[code]


# --- known answers --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["exact", "grid"])
def test_everyone_in_reach_nobody_without_4g_while_most_area_is_uncovered(tmp_path, method):
    grid = write_grid(tmp_path / "p.tif", one_cell())
    ds = with_grid(b.dataset([commune()], bts=[{"x": b.X0 + 5.5 * KM, "y": b.Y0 + 5.5 * KM}]), grid)
    r = row(gaps.analyse(ds, params=PARAMS, method=method))
    assert r["population_basis"] == "grid"
    assert r["no_4g_pct"] == pytest.approx(100 - math.pi * 9, abs=0.1)  # 71.7 % of the area
    assert r["no_4g_pop"] == pytest.approx(0.0, abs=1e-6)
    notes = [str(n) for n in gaps.analyse(ds, params=PARAMS, method=method).notes]
    assert any("population grid p.tif in 1 communes: 500 people" in n for n in notes)
    assert r["population"] == 1000 and r["grid_population"] == pytest.approx(500)  # both totals


@pytest.mark.parametrize("method", ["exact", "grid"])
def test_everyone_far_away_everybody_without_4g(tmp_path, method):
    grid = write_grid(tmp_path / "p.tif", one_cell(row=0, col=0))  # the north-west corner cell
    ds = with_grid(b.dataset([commune()], bts=[{"x": b.X0 + 7 * KM, "y": b.Y0 + 3 * KM}]), grid)
    r = row(gaps.analyse(ds, params=PARAMS, method=method))
    assert r["no_4g_pct"] == pytest.approx(100 - math.pi * 9, abs=0.1)
    assert r["no_4g_pop"] == pytest.approx(1000.0)


@pytest.mark.parametrize("method", ["exact", "grid"])
def test_without_a_grid_people_are_spread_evenly(tmp_path, method):
    ds = b.dataset([commune()], bts=[{"x": b.X0 + 5.5 * KM, "y": b.Y0 + 5.5 * KM}])
    r = row(gaps.analyse(ds, params=PARAMS, method=method))
    assert r["population_basis"] == "uniform"
    assert r["no_4g_pop"] == pytest.approx(10 * r["no_4g_pct"])
    assert "no_loudspeaker_pop_low" not in r.index and "grid_population" not in r.index


@pytest.mark.parametrize("method", ["exact", "grid"])
def test_unknown_population_takes_the_grids_total(tmp_path, method):
    grid = write_grid(tmp_path / "p.tif", one_cell(people=400, row=0, col=0))
    ds = with_grid(
        b.dataset(
            [commune(population=float("nan"))], bts=[{"x": b.X0 + 7 * KM, "y": b.Y0 + 3 * KM}]
        ),
        grid,
    )
    r = row(gaps.analyse(ds, params=PARAMS, method=method))
    assert r["population"] == pytest.approx(400) and r["no_4g_pop"] == pytest.approx(400)


@pytest.mark.parametrize("method", ["exact", "grid"])
def test_a_grid_in_another_crs_gives_the_same_answer(tmp_path, method):
    utm = write_grid(tmp_path / "utm.tif", one_cell())
    wgs = tmp_path / "wgs.tif"
    with rasterio.open(utm) as src:  # the same people on a geographic grid of ≈ 0.5 km cells
        transform, width, height = calculate_default_transform(
            src.crs, "EPSG:4326", src.width, src.height, *src.bounds, resolution=0.005
        )
        out = np.zeros((height, width), dtype=np.float32)
        reproject(
            rasterio.band(src, 1),
            out,
            dst_transform=transform,
            dst_crs="EPSG:4326",
            resampling=Resampling.sum,
        )
    write_grid(wgs, out, crs="EPSG:4326", transform=transform)
    for site, expected in (((5.5, 5.5), 0.0), ((8.5, 1.0), 1000.0)):
        ds = with_grid(
            b.dataset([commune()], bts=[{"x": b.X0 + site[0] * KM, "y": b.Y0 + site[1] * KM}]), wgs
        )
        r = row(gaps.analyse(ds, params=PARAMS, method=method))
        assert r["population_basis"] == "grid"
        assert r["no_4g_pop"] == pytest.approx(expected, abs=1.0)


@pytest.mark.parametrize("method", ["exact", "grid"])
def test_nodata_cells_hold_nobody(tmp_path, method):
    values = one_cell(people=300)
    values[:, :3] = -99999  # declared nodata: not negative people
    values[9, 9] = 100
    grid = population.read_grid(write_grid(tmp_path / "p.tif", values))
    assert grid.total == pytest.approx(400)
    ds = with_grid(
        b.dataset([commune()], bts=[{"x": b.X0 + 5.5 * KM, "y": b.Y0 + 5.5 * KM}]),
        tmp_path / "p.tif",
    )
    r = row(gaps.analyse(ds, params=PARAMS, method=method))
    assert r["no_4g_pop"] == pytest.approx(250)  # the corner cell's 100 of 400, scaled to 1,000


def test_partial_overlap_falls_back_to_even_spread_with_a_warning(tmp_path):
    folder = tmp_path / "ds"
    ds = b.dataset(
        [commune("1"), commune("2", x=10 * KM)], bts=[{"x": b.X0 + 5.5 * KM, "y": b.Y0 + 5.5 * KM}]
    )
    b.write_folder(ds, folder)
    write_grid(folder / "population.tif", one_cell())  # covers commune 1 only
    loaded = loading.load_dataset(folder)
    warnings = [p for p in loaded.problems if not p.is_error]
    assert [(p.file, p.value) for p in warnings] == [("population.tif", "Xã 2")]
    assert "spread evenly" in warnings[0].reason
    assert warnings[0].text("vi") == (
        "lưới dân số chỉ phủ 0 % diện tích xã 2; dân cư xã này dàn đều theo diện tích"
    )
    analysis = gaps.analyse(loaded, params=PARAMS)
    assert row(analysis, "1")["population_basis"] == "grid"
    assert row(analysis, "2")["population_basis"] == "uniform"
    assert row(analysis, "2")["no_4g_pop"] == pytest.approx(1000)  # no site reaches it
    assert any("Xã 2" in str(n) for n in analysis.notes)


def test_settlements_win_over_the_grid(tmp_path):
    grid = write_grid(tmp_path / "p.tif", one_cell())
    ds = with_grid(
        b.dataset(
            [commune()],
            bts=[{"x": b.X0 + 5.5 * KM, "y": b.Y0 + 5.5 * KM}],
            settlements=[{"x": b.X0 + 9 * KM, "y": b.Y0 + 1 * KM, "population": 80.0}],
        ),
        grid,
    )
    r = row(gaps.analyse(ds, params=PARAMS))
    assert r["population_basis"] == "settlements" and r["no_4g_pop"] == pytest.approx(1000)


def test_2025_commune_of_grid_and_even_parts_is_mixed(tmp_path):
    grid = write_grid(tmp_path / "p.tif", one_cell())
    ds = with_grid(
        b.dataset(
            [
                commune("1", code_2025="9", name_2025="Xã Mới"),
                commune("2", x=10 * KM, code_2025="9", name_2025="Xã Mới"),
            ],
            bts=[{"x": b.X0 + 5.5 * KM, "y": b.Y0 + 5.5 * KM}],
        ),
        grid,
    )
    r = row(gaps.analyse(ds, vintage="2025", params=PARAMS), "9")
    assert r["population_basis"] == "mixed"
    assert r["no_4g_pop"] == pytest.approx(1000)  # commune 1's people reached, commune 2's not


# --- the sub-cell range ----------------------------------------------------------------------------


def test_loudspeaker_range_between_even_and_hamlet_readings(tmp_path):
    """A 300 m loudspeaker at the centre of the only populated 1 km cell: spread evenly, π·0.09 of
    the cell's people hear it; gathered at the cell centre, all of them."""
    grid = write_grid(tmp_path / "p.tif", one_cell())
    ds = with_grid(
        b.dataset([commune()], loudspeakers=[{"x": b.X0 + 5.5 * KM, "y": b.Y0 + 5.5 * KM}]), grid
    )
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


@pytest.mark.parametrize(
    "values, kwargs, message",
    [
        (one_cell(), {"crs": None}, "declares no coordinate reference system"),
        (one_cell(), {"transform": from_origin(b.X0 + 500 * KM, b.Y0, KM, KM)}, "does not overlap"),
        (np.full((10, 10), -99999.0), {}, "only nodata"),
        (one_cell(people=-5), {}, "negative people"),
    ],
)
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
    b.write_folder(
        b.dataset([commune()], bts=[{"x": b.X0 + 5.5 * KM, "y": b.Y0 + 5.5 * KM}]), folder
    )
    bad = write_grid(tmp_path / "bad.tif", one_cell(people=-1))
    assert (
        cli.main(
            [
                "report",
                "--data",
                str(folder),
                "--population",
                str(bad),
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 2
    )
    assert "bad.tif" in capsys.readouterr().err
    good = write_grid(tmp_path / "good.tif", one_cell())
    assert (
        cli.main(
            [
                "report",
                "--data",
                str(folder),
                "--population",
                str(good),
                "--lang",
                "en",
                "--out",
                str(tmp_path / "out"),
            ]
        )
        == 0
    )
    table = (tmp_path / "out" / "communes.csv").read_text(encoding="utf-8-sig")
    assert "from the population grid" in table and "People out of loudspeaker reach, low" in table


# --- against ../shared -----------------------------------------------------------------------------


def test_dakrong_outline_holds_about_39800_grid_people(shared_raw):
    """The official Đa Krông outline over the shipped WorldPop clip: ≈ 39,800 people (WorldPop's
    SOURCES.md counts 39,816 on cell centres; here cells cut by the outline count by area)."""
    import geopandas as gpd

    from geo.settings import DEFAULT_DATA_DIR

    districts = gpd.read_file(
        shared_raw / "dvhcvn/quangtri_province_districts_gis_chinhphu.geojson"
    )
    outline = districts[districts["code"].astype(str) == "467"][["code", "geometry"]].copy()
    outline["population"] = np.nan
    grid = population.read_grid(DEFAULT_DATA_DIR / "population.tif", area=outline)
    people = population.cell_people(outline.to_crs(32648), grid)
    assert people.grid_people[0] == pytest.approx(39_800, rel=0.005)


# --- illustrative sites where people live ----------------------------------------------------------


def test_illustrative_sites_stand_in_the_most_populated_cells(tmp_path):
    from geo.build import illustrative

    values = np.zeros((10, 10))
    values[1, 1], values[1, 2], values[8, 8], values[5, 5] = 400, 300, 200, 100
    grid = population.read_grid(write_grid(tmp_path / "p.tif", values))
    metric = b.communes([commune()]).to_crs(b.UTM48N)
    people = population.cell_people(metric, grid)
    centre = {(1, 1): (1.5, 8.5), (1, 2): (2.5, 8.5), (8, 8): (8.5, 1.5), (5, 5): (5.5, 4.5)}

    def at(*cells):
        return pytest.approx(
            [v for c in cells for v in (b.X0 + centre[c][0] * KM, b.Y0 + centre[c][1] * KM)]
        )

    def xy(frame):
        return [v for p in frame.geometry for v in (p.x, p.y)]

    loud = illustrative.loudspeakers(metric, clusters=3, district_station_code=None, people=people)
    clusters = loud[loud["kind"] == "cluster"]
    assert xy(clusters) == at((1, 1), (1, 2), (8, 8))
    # Two BTS (a commune of 1,000 people gets one Viettel site; VinaPhone only above 3,000): force
    # three with the town's extra carriers; (1, 2) is 1 km from (1, 1): too close, skipped.
    bts = illustrative.bts_sites(metric, without_modern=0, town_code="1", people=people)
    assert xy(bts) == at((1, 1), (8, 8), (5, 5))
    shops = illustrative.internet_points(metric, {"1": 1}, people=people)
    assert xy(shops) == at((1, 1))


def test_default_dataset_counts_people_where_the_worldpop_clip_puts_them():
    """The Đakrông default: every commune on the grid; people without 4G checked against an
    independent count on a 100 m lattice (each point carries its WorldPop cell's people per m²)."""
    import geopandas as gpd
    import shapely

    from geo.crs import working_crs
    from geo.analysis.gaps import district_totals
    from geo.settings import DEFAULT_DATA_DIR

    ds = loading.load_dataset(DEFAULT_DATA_DIR)
    assert ds.population is not None and not [p for p in ds.problems if not p.is_error]
    analysis = gaps.analyse(ds)
    c = analysis.communes
    assert set(c["population_basis"]) == {"grid"} and c["population"].sum() == 46_140
    assert c["grid_population"].sum() == pytest.approx(40_336, abs=5)
    crs = working_crs(ds.communes)
    zones = ds.communes.to_crs(crs)
    x0, y0, x1, y1 = zones.total_bounds
    gx, gy = np.meshgrid(np.arange(x0 + 50, x1, 100.0), np.arange(y0 + 50, y1, 100.0))
    lattice = gpd.GeoSeries(gpd.points_from_xy(gx.ravel(), gy.ravel()), crs=crs)
    lon_lat = shapely.get_coordinates(lattice.to_crs(4326).to_numpy())
    a, _, c0, _, e, f0 = ds.population.transform
    col = np.floor((lon_lat[:, 0] - c0) / a).astype(int)
    row = np.floor((lon_lat[:, 1] - f0) / e).astype(int)
    cell_km2 = (abs(a) * 111.32 * np.cos(np.radians(lon_lat[:, 1]))) * (abs(e) * 110.57)
    weight = np.nan_to_num(ds.population.values[row, col]) / cell_km2 * 0.01  # people per point
    sites = analysis.sites["bts_sites"]
    four_g = sites[sites["technologies"].str.contains("4G")].geometry.to_numpy()
    near = shapely.STRtree(four_g).query(lattice.to_numpy(), predicate="dwithin", distance=3000.0)
    covered = np.zeros(len(lattice), bool)
    covered[near[0]] = True
    zone_of, point_of = shapely.STRtree(lattice.to_numpy()).query(
        zones.geometry.to_numpy(), predicate="contains"
    )
    expected = 0.0
    for z in range(len(zones)):
        w = weight[point_of[zone_of == z]]
        share = w[~covered[point_of[zone_of == z]]].sum() / w.sum()
        expected += zones["population"].iloc[z] * share
    assert district_totals(analysis)["no_4g_pop"] == pytest.approx(expected, rel=0.01)
    # clusters stand in populated cells
    clusters = ds.loudspeakers[ds.loudspeakers["kind"] == "cluster"]
    xy = shapely.get_coordinates(clusters.geometry.to_numpy())
    values = ds.population.values[
        np.floor((xy[:, 1] - f0) / e).astype(int), np.floor((xy[:, 0] - c0) / a).astype(int)
    ]
    assert len(clusters) == 141 and (values > 0).all()


# --- planning counts people where they live ----------------------------------------------------------


def test_plan_reaches_the_people_of_the_grid_and_agrees_with_the_analysis(tmp_path):
    from geo.plan import siting

    grid = write_grid(tmp_path / "p.tif", one_cell(row=0, col=9))  # people in the north-east cell
    ds = with_grid(b.dataset([commune()]), grid)
    plan = siting.plan(ds, service="bts", k=1, params=PARAMS)
    assert plan.objective == "people"
    assert plan.people_new == pytest.approx(1000)  # the site reaches the one populated cell
    site = plan.sites.geometry.iloc[0]
    assert site.distance(shapely.Point(b.X0 + 9.5 * KM, b.Y0 + 9.5 * KM)) <= 3 * KM
    before, after = siting.compare(ds, plan)
    assert siting.check_consistency(plan, before, after) == []


def test_the_folders_grid_under_other_communes_is_only_a_warning(tmp_path):
    """Communes of another place given over a folder with a grid (the app's uploads over the
    default, ``report --communes``): the grid does not fit, people are spread evenly, no error."""
    folder = tmp_path / "ds"
    b.write_folder(b.dataset([commune()]), folder)
    write_grid(folder / "population.tif", one_cell())
    elsewhere = tmp_path / "other.geojson"
    b.communes([commune("7", x=400 * KM)]).to_file(elsewhere, driver="GeoJSON")
    loaded = loading.load_dataset(folder, overrides={"communes": elsewhere})
    assert loaded.population is None
    assert [(p.file, p.severity) for p in loaded.problems] == [("population.tif", "warning")]
    assert "spread evenly" in loaded.problems[0].reason


def test_a_commune_reaching_into_the_sea_keeps_its_grid_people(tmp_path):
    """Nodata inside the grid's extent is nobody (WorldPop's sea), not a gap in the grid: a coastal
    commune drawn 70 % into the sea is still read from the grid."""
    values = one_cell(people=300, row=4, col=8)
    values[:, :7] = -99999  # the western 7 km: sea
    ds = with_grid(
        b.dataset([commune()], bts=[{"x": b.X0 + 8.5 * KM, "y": b.Y0 + 5.5 * KM}]),
        write_grid(tmp_path / "p.tif", values),
    )
    r = row(gaps.analyse(ds, params=PARAMS))
    assert r["population_basis"] == "grid" and r["no_4g_pop"] == pytest.approx(0.0, abs=1e-6)
