"""geo.crs: the one WGS 84 constant and the one UTM rule of the code base."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely

from geo import crs
from geo.errors import PhusongError

import builders as b


def test_wgs84_is_epsg_4326():
    assert crs.WGS84.to_epsg() == 4326


@pytest.mark.parametrize(
    ("bounds", "epsg"),
    [
        # Đakrông, about 106.5-107.0 E: zone floor((106.75 + 180) / 6) + 1 = 48, north
        ((106.5, 16.3, 107.0, 16.7), 32648),
        # the centre decides, not the extent: 101-111 E has its centre at 106 E, zone 48
        ((101.0, 8.0, 111.0, 24.0), 32648),
        # a centre on a zone edge (108 E) belongs to the zone starting there: 49
        ((107.0, 10.0, 109.0, 12.0), 32649),
        # southern hemisphere when the centre latitude is below 0: -70 E is zone 19, south = 327xx
        ((-71.0, -41.0, -69.0, -39.0), 32719),
        # the equator counts as north
        ((6.0, -1.0, 8.0, 1.0), 32632),
    ],
)
def test_utm_zone_of_the_centre(bounds, epsg):
    assert crs.utm_crs_for_bounds(*bounds).to_epsg() == epsg


def test_bounds_that_are_not_degrees_are_refused():
    with pytest.raises(PhusongError, match="not longitude/latitude degrees"):
        crs.utm_crs_for_bounds(b.X0, b.Y0, b.X0 + 1000, b.Y0 + 1000)  # UTM metres


def test_working_crs_of_a_metric_layer_is_its_utm_zone():
    layer = gpd.GeoDataFrame(geometry=[b.square(b.X0, b.Y0, 1000.0)], crs=b.UTM48N)
    assert crs.working_crs(layer).to_epsg() == 32648
    assert crs.working_crs(layer.to_crs(4326)).to_epsg() == 32648


def test_a_layer_without_crs_is_an_error_not_a_guess():
    layer = gpd.GeoDataFrame(geometry=[shapely.Point(106.9, 16.5)])
    with pytest.raises(PhusongError, match="no coordinate reference system"):
        crs.working_crs(layer)
