import math

import numpy as np
import pytest
import shapely

from geo.analysis import coverage
from geo.settings import CoverageParams

from builders import X0, Y0


def test_disc_area_matches_circle_within_half_percent():
    disc = coverage.reach_discs(np.array([shapely.Point(X0, Y0)]), np.array([5000.0]))[0]
    assert disc.area / 1e6 == pytest.approx(math.pi * 25, rel=0.005)


def test_zero_or_missing_radius_gives_no_disc():
    discs = coverage.reach_discs(shapely.points([[0, 0], [1, 1]]), np.array([0.0, np.nan]))
    assert list(discs) == [None, None]


def test_clipped_union_merges_overlaps_and_clips_to_each_zone():
    zones = np.array(
        [shapely.box(-10, -10, 0, 10), shapely.box(0, -10, 10, 10), shapely.box(100, 100, 110, 110)]
    )
    discs = np.array([shapely.box(-5, -5, 5, 5), shapely.box(-1, -1, 6, 1), None], dtype=object)
    result = coverage.clipped_union(zones, discs)
    assert shapely.area(result).tolist() == pytest.approx([50.0, 50.0 + 12.0 - 10.0, 0.0])


def test_site_reach_takes_largest_radius_of_counted_technologies():
    import geopandas as gpd

    sites = gpd.GeoDataFrame(
        {"carrier": ["Viettel", "MobiFone"], "technologies": ["2G;4G", "3G"]},
        geometry=shapely.points([[0, 0], [0, 0]]),
        crs=32648,
    )
    params = CoverageParams(radius_m=(("2G", 5000.0), ("3G", 2000.0), ("4G", 3000.0), ("5G", 1.0)))
    areas = shapely.area(coverage.site_reach(sites, params)) / 1e6
    assert areas == pytest.approx([math.pi * 25, math.pi * 4], rel=0.005)
    only_4g = coverage.site_reach(sites, params, technology="4G")
    assert shapely.area(only_4g[0]) / 1e6 == pytest.approx(math.pi * 9, rel=0.005)
    assert only_4g[1] is None
    viettel = coverage.site_reach(sites, CoverageParams(carriers=("Viettel",)))
    assert viettel[1] is None
