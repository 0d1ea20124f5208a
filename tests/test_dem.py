"""DEM reading: GeoTIFF in a non-UTM CRS, SRTM .hgt tiles (1″ and 3″) mosaicked, voids filled."""

import zipfile

import numpy as np
import pytest
import rasterio
from affine import Affine
from pyproj import Transformer

from geo.io import dem
from geo.errors import PhusongError

UTM48N = "EPSG:32648"


def lonlat_height(lon, lat):
    """A smooth synthetic surface (metres) known everywhere: a tilted plane."""
    return 100.0 + 2000.0 * (lon - 106.0) + 1000.0 * (lat - 16.0)


def write_hgt(folder, name, arcsec, void=None):
    """An SRTM tile named ``name`` (e.g. N16E106) holding lonlat_height at its sample points."""
    side = 3601 if arcsec == 1 else 1201
    lat0, lon0 = int(name[1:3]), int(name[4:7])
    step = 1.0 / (side - 1)
    lat = lat0 + 1 - np.arange(side) * step
    lon = lon0 + np.arange(side) * step
    heights = np.rint(lonlat_height(lon[None, :], lat[:, None])).astype(">i2")
    if void is not None:
        heights[void] = -32768
    path = folder / f"{name}.hgt"
    path.write_bytes(heights.tobytes())
    return path


def utm_to_lonlat(x, y):
    return Transformer.from_crs(UTM48N, 4326, always_xy=True).transform(x, y)


def check_heights(grid, tolerance_m):
    """Every valid cell of ``grid`` holds lonlat_height at its centre within ``tolerance_m``."""
    rows, cols = grid.shape
    r, c = np.mgrid[0:rows:7, 0:cols:7]
    x = grid.transform.c + (c + 0.5) * grid.transform.a
    y = grid.transform.f + (r + 0.5) * grid.transform.e
    lon, lat = utm_to_lonlat(x, y)
    got = grid.elevation_m[r, c]
    ok = np.isfinite(got)
    assert ok.mean() > 0.85  # a lon/lat box is a tilted quadrilateral in UTM: corners are empty
    assert np.abs(got[ok] - lonlat_height(lon[ok], lat[ok])).max() < tolerance_m


def test_geotiff_in_geographic_crs_is_reprojected_to_utm(tmp_path):
    step = 1 / 1200
    lon = 106.8 + (np.arange(240) + 0.5) * step
    lat = 16.6 - (np.arange(200) + 0.5) * step
    heights = lonlat_height(lon[None, :], lat[:, None]).astype("float32")
    path = tmp_path / "dem_wgs84.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=240,
        height=200,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=Affine(step, 0, 106.8, 0, -step, 16.6),
    ) as out:
        out.write(heights, 1)
    grid = dem.read_dem([path], crs=UTM48N)
    assert grid.crs.to_epsg() == 32648
    assert grid.cell_m == pytest.approx(93, abs=1)  # 3″ of latitude ≈ 92.7 m
    assert grid.transform.a == -grid.transform.e  # square cells
    check_heights(grid, tolerance_m=1.0)
    assert grid.filled_cells == 0 and grid.void_cells == 0


def test_geotiff_nodata_and_undeclared_voids_are_never_sea_level(tmp_path):
    heights = np.full((60, 60), 500.0, dtype="float32")
    heights[20:25, 20:25] = -9999.0  # declared nodata
    heights[40:43, 10:13] = -32768.0  # undeclared void marker
    path = tmp_path / "utm.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=60,
        height=60,
        count=1,
        dtype="float32",
        crs=UTM48N,
        nodata=-9999.0,
        transform=Affine(30, 0, 710_000, 0, -30, 1_826_000),
    ) as out:
        out.write(heights, 1)
    grid = dem.read_dem(path, crs=UTM48N)
    assert grid.filled_cells >= 25 + 9
    assert grid.void_cells == 0
    assert np.nanmin(grid.elevation_m) == pytest.approx(500.0)  # filled from the edges, not 0
    assert "filled by interpolation" in grid.summary()


def test_hgt_tiles_3_and_1_arcsec_mosaic_across_a_tile_edge(tmp_path):
    west = write_hgt(tmp_path, "N16E106", arcsec=3)
    east = write_hgt(tmp_path, "N16E107", arcsec=1)
    # A 6 km × 4 km window straddling 107° E (x ≈ 713.5 km in UTM 48N at 16.5° N).
    bounds = (710_500.0, 1_824_000.0, 716_500.0, 1_828_000.0)
    grid = dem.read_dem([west, east], crs=UTM48N, cell_m=30, bounds=bounds)
    assert grid.sources == ("N16E106.hgt", "N16E107.hgt")
    assert grid.cell_m == 30
    assert not np.isnan(grid.elevation_m).any()
    check_heights(grid, tolerance_m=1.5)
    # Folder input finds both tiles, in name order.
    assert dem.dem_files(tmp_path) == [west, east]


def test_hgt_name_gives_the_origin_and_zip_is_read(tmp_path):
    path = write_hgt(tmp_path, "N16E106", arcsec=3)
    with zipfile.ZipFile(tmp_path / "N16E106.SRTMGL3.hgt.zip", "w") as archive:
        archive.write(path, "N16E106.hgt")
    source = dem.read_source(tmp_path / "N16E106.SRTMGL3.hgt.zip")
    assert source.crs.to_epsg() == 4326
    step = 1 / 1200
    assert source.transform.c == pytest.approx(106 - step / 2)
    assert source.transform.f == pytest.approx(17 + step / 2)
    assert source.elevation_m[-1, 0] == pytest.approx(lonlat_height(106.0, 16.0), abs=0.5)


def test_hgt_voids_are_filled_and_reported(tmp_path):
    void = (slice(600, 620), slice(600, 640))
    path = write_hgt(tmp_path, "N16E106", arcsec=3, void=void)
    lon, lat = 106.5, 16.5  # the void's centre
    x, y = Transformer.from_crs(4326, UTM48N, always_xy=True).transform(lon, lat)
    grid = dem.read_dem(path, crs=UTM48N, bounds=(x - 3000, y - 3000, x + 3000, y + 3000))
    assert grid.filled_cells > 0 and grid.void_cells == 0
    assert np.nanmin(grid.elevation_m) > 1000  # the surface is ≈ 1600 m there, never 0
    check_heights(grid, tolerance_m=5.0)  # interpolating a plane gets close to it
    assert "void cells" in grid.summary()


def test_bad_inputs_say_what_to_do(tmp_path):
    with pytest.raises(PhusongError, match="not found"):
        dem.read_dem(tmp_path / "nothing.tif", crs=UTM48N)
    bad = tmp_path / "tile.hgt"
    bad.write_bytes(b"\0" * 100)
    with pytest.raises(PhusongError, match="N16E106"):
        dem.read_source(bad)
    short = tmp_path / "N16E106.hgt"
    short.write_bytes(b"\0" * 100)
    with pytest.raises(PhusongError, match="not an SRTM tile"):
        dem.read_source(short)
    with pytest.raises(PhusongError, match="no DEM files"):
        dem.read_dem(
            tmp_path / "empty" if (tmp_path / "empty").mkdir() is None else None, crs=UTM48N
        )


def test_tile_names_for_dakrong():
    # Đakrông spans about 106.6–107.1° E, 16.3–16.8° N.
    x0, y0 = Transformer.from_crs(4326, UTM48N, always_xy=True).transform(106.6, 16.3)
    x1, y1 = Transformer.from_crs(4326, UTM48N, always_xy=True).transform(107.1, 16.8)
    assert dem.tile_names((x0, y0, x1, y1), UTM48N) == ["N16E106", "N16E107"]


def test_dem_id_follows_content():
    t = Affine(30, 0, 0, 0, -30, 0)
    a = dem.from_array(np.zeros((5, 5)), transform=t, crs=UTM48N)
    b = dem.from_array(np.zeros((5, 5)), transform=t, crs=UTM48N)
    c = dem.from_array(np.ones((5, 5)), transform=t, crs=UTM48N)
    assert a.id == b.id != c.id


def test_copernicus_names_the_same_tile():
    from geo.io.dem import copernicus_tile_name

    assert copernicus_tile_name("N16E106") == "Copernicus_DSM_COG_10_N16_00_E106_00_DEM"
    assert copernicus_tile_name("S08W035") == "Copernicus_DSM_COG_10_S08_00_W035_00_DEM"
    with pytest.raises(ValueError):
        copernicus_tile_name("N16E06")


def test_an_oversized_dem_is_refused_before_it_is_read(tmp_path, monkeypatch):
    """A GeoTIFF larger than MAX_DEM_CELLS is refused from its header; a grid larger than it is
    refused before its arrays exist (the band is never read: its pixels are never written)."""
    path = tmp_path / "huge.tif"
    # 20,000 × 10,000 cells declared; sparse file, nothing written, nothing to read
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=20_000,
        height=10_000,
        count=1,
        dtype="int16",
        crs=UTM48N,
        transform=Affine(30, 0, 0, 0, -30, 0),
        sparse_ok=True,
        tiled=True,
    ):
        pass
    read = []
    monkeypatch.setattr(
        rasterio.io.DatasetReader, "read", lambda *a, **k: read.append(1)
    )  # would be called if it were read
    with pytest.raises(
        PhusongError,
        match=r"huge\.tif: 20,000 × 10,000 cells is more than "
        r"this server reads \(50,000,000\)",
    ):
        dem.read_dem(path, crs=UTM48N)
    assert read == []
    monkeypatch.undo()
    small = tmp_path / "small.tif"
    with rasterio.open(
        small,
        "w",
        driver="GTiff",
        width=10,
        height=10,
        count=1,
        dtype="float32",
        crs=UTM48N,
        transform=Affine(30, 0, 0, 0, -30, 0),
    ) as out:
        out.write(np.zeros((10, 10), np.float32), 1)
    source = dem.read_source(small)
    monkeypatch.setattr(dem, "MAX_DEM_CELLS", 50)  # a 10 × 10 grid is then too large
    with pytest.raises(PhusongError, match="the DEM grid at 30 m: 10 × 10 cells"):
        dem.build_dem([source], crs=UTM48N)


def test_reading_reports_each_tile_and_a_raising_report_stops_it(tmp_path):
    west = write_hgt(tmp_path, "N16E106", arcsec=3)
    east = write_hgt(tmp_path, "N16E107", arcsec=3)
    bounds = (710_500.0, 1_824_000.0, 716_500.0, 1_828_000.0)
    seen = []
    grid = dem.read_dem([west, east], crs=UTM48N, cell_m=30, bounds=bounds, progress=seen.append)
    assert seen == [
        "read N16E106.hgt",
        "read N16E107.hgt",
        "placed N16E106.hgt",
        "placed N16E107.hgt",
        "voids filled",
    ]
    assert len(seen) == dem.progress_steps(2)
    assert grid.sources == ("N16E106.hgt", "N16E107.hgt")  # the same grid as without progress

    class Stop(Exception):
        pass

    def stop_after_first(message):
        seen.append(message)
        raise Stop

    seen.clear()
    with pytest.raises(Stop):  # a cancelled job's report raises: the second tile is never read
        dem.read_dem_bytes(
            [(p.name, p.read_bytes()) for p in (west, east)],
            crs=UTM48N,
            bounds=bounds,
            progress=stop_after_first,
        )
    assert seen == ["read N16E106.hgt"]
