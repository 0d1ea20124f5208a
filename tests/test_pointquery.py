"""The point card (geo.analysis.pointquery) on a synthetic dataset with hand-computed distances.

One 20 × 20 km commune (UTM 48N, lower-left corner X0, Y0); a Viettel 3G/4G site at (+5, +5) km,
a VinaPhone 2G site at (+15, +5) km, a loudspeaker cluster at (+5, +5.3) km, an internet shop at
(+10, +10) km. The spot P = (+6.2, +6.6) km is 2,000 m from the Viettel site (a 1.2/1.6 km
right triangle), √(8.8² + 1.6²) = 8.944 km from the VinaPhone site, √(1.2² + 1.3²) = 1.769 km
from the cluster and √(3.8² + 3.4²) = 5.099 km from the shop.
"""

import math

import numpy as np
import pytest
from affine import Affine
from pyproj import Transformer

from geo.io import dem as dem_io
from geo.analysis import gaps, pointquery, terrain
from geo.settings import CoverageParams, TerrainParams

import builders as b

KM = 1000.0
TO_WGS84 = Transformer.from_crs(b.UTM48N, "EPSG:4326", always_xy=True)


def lat_lon(x, y):
    lon, lat = TO_WGS84.transform(x, y)
    return lat, lon


def dataset(**extra):
    return b.dataset(
        [
            {
                "code": "T",
                "name": "Tà Rụt",
                "geometry": b.square(b.X0, b.Y0, 20 * KM),
                "population": 400.0,
            }
        ],
        bts=[
            {
                "site_id": "V1",
                "x": b.X0 + 5 * KM,
                "y": b.Y0 + 5 * KM,
                "carrier": "Viettel",
                "technologies": "3G;4G",
            },
            {
                "site_id": "P1",
                "x": b.X0 + 15 * KM,
                "y": b.Y0 + 5 * KM,
                "carrier": "VinaPhone",
                "technologies": "2G",
            },
        ],
        loudspeakers=[{"id": "L1", "x": b.X0 + 5 * KM, "y": b.Y0 + 5.3 * KM}],
        internet=[{"id": "N1", "x": b.X0 + 10 * KM, "y": b.Y0 + 10 * KM}],
        **extra,
    )


P = (b.X0 + 6.2 * KM, b.Y0 + 6.6 * KM)


def query(params=CoverageParams(), at=P, ds=None):
    analysis = gaps.analyse(ds or dataset(), params=params)
    return pointquery.query_point(analysis, *lat_lon(*at))


def test_distances_and_reach_hand_computed():
    r = query()
    assert r.commune_code == "T" and r.commune_name == "Tà Rụt"
    assert (r.x, r.y) == (pytest.approx(P[0], abs=1e-3), pytest.approx(P[1], abs=1e-3))
    assert [s.site_id for s in r.mobile] == ["V1"]
    assert r.mobile[0].distance_m == pytest.approx(2000.0, abs=1e-3)
    assert r.mobile[0].technologies == ("3G", "4G")
    assert r.carriers == ("Viettel",) and r.technologies() == ("3G", "4G")
    assert r.mobile[0].line_of_sight is None and r.blocked == ()
    loud = r.loudspeaker
    assert loud.id == "L1" and not loud.within
    assert loud.distance_m == pytest.approx(math.hypot(1200, 1300), abs=1e-3)
    assert loud.reach_m == 300.0
    inet = r.internet
    assert inet.id == "N1" and not inet.within and inet.walk_minutes is None
    assert inet.distance_m == pytest.approx(math.hypot(3800, 3400), abs=1e-3)


def test_radii_and_filters_of_the_analysis_apply():
    # 4G radius 1.5 km: only 3G (3 km) reaches P, 2 km away.
    assert query(CoverageParams().with_radius("4G", 1500)).mobile[0].technologies == ("3G",)
    # 2G radius 9 km: the VinaPhone site, 8.944 km away, reaches P too, listed after Viettel.
    r = query(CoverageParams().with_radius("2G", 9000))
    assert [(s.site_id, s.technologies) for s in r.mobile] == [
        ("V1", ("3G", "4G")),
        ("P1", ("2G",)),
    ]
    assert r.mobile[1].distance_m == pytest.approx(math.hypot(8800, 1600), abs=1e-3)
    # carrier filter: VinaPhone only, so nothing at the default 5 km 2G radius
    assert query(CoverageParams(carriers=("VinaPhone",))).mobile == ()
    # technology filter: 4G only
    assert query(CoverageParams(technologies=("4G",))).technologies() == ("4G",)
    # loudspeaker reach 2 km and access distance 6 km: both now reach
    r = query(
        CoverageParams(
            loudspeaker_radius_m=(
                ("cluster", 2000.0),
                ("commune_station", 300.0),
                ("district_station", 300.0),
            ),
            internet_access_m=6000.0,
        )
    )
    assert r.loudspeaker.within and r.internet.within


def test_nearest_loudspeaker_that_reaches_wins_over_a_nearer_one_that_does_not():
    # L2 (own reach 3 km) 2.5 km from Q; L1 (300 m) 1 km from Q: L2 reaches, L1 does not.
    q = (b.X0 + 5 * KM, b.Y0 + 4.3 * KM)
    ds = b.dataset(
        [{"code": "T", "name": "T", "geometry": b.square(b.X0, b.Y0, 20 * KM)}],
        loudspeakers=[
            {"id": "L1", "x": b.X0 + 5 * KM, "y": b.Y0 + 5.3 * KM},
            {"id": "L2", "x": b.X0 + 7.5 * KM, "y": b.Y0 + 4.3 * KM, "radius_m": 3000.0},
        ],
    )
    r = query(at=q, ds=ds)
    assert r.loudspeaker.id == "L2" and r.loudspeaker.within
    assert r.loudspeaker.distance_m == pytest.approx(2500.0, abs=1e-3)
    assert r.mobile == () and r.internet is None


def test_outside_every_commune():
    r = query(at=(b.X0 - 1 * KM, b.Y0 + 5 * KM))
    assert r.commune_code is None
    assert "Ngoài các xã" in pointquery.summary_lines(r, "vi")[0]


def test_card_text_in_both_languages_and_number_formats():
    r = query()
    vi, en = pointquery.summary_lines(r, "vi"), pointquery.summary_lines(r, "en")
    lat, lon = lat_lon(*P)
    assert vi[0] == f"Tà Rụt · {lat:.5f}; {lon:.5f}".replace(".", ",")
    assert en[0] == f"Tà Rụt · {lat:.5f}, {lon:.5f}"
    assert vi[1] == "Có sóng: Viettel 3G/4G"
    assert en[1] == "Mobile signal: Viettel 3G/4G"
    assert "cách 1,8 km (tầm 300 m)" in vi[2] and "1.8 km away (reach 300 m)" in en[2]
    assert "5,1 km" in vi[3] and "5.1 km" in en[3]
    assert pointquery.mobile_lines(r, "en") == ["Viettel 3G/4G: site V1, 2.0 km away"]
    assert pointquery.mobile_lines(r, "vi") == ["Viettel 3G/4G: trạm V1, cách 2,0 km"]
    assert pointquery.distance_text(850.0, "vi") == "850 m"
    assert pointquery.distance_text(12345.0, "vi") == "12,3 km"


# --- the terrain model ----------------------------------------------------------------------------

CELL = 30.0


def grid(z):
    """A DEM covering the commune and 2 km around it (top-left corner X0 − 2 km, Y0 + 22 km)."""
    return dem_io.from_array(
        z, transform=Affine(CELL, 0, b.X0 - 2 * KM, 0, -CELL, b.Y0 + 22 * KM), crs=b.UTM48N
    )


def cell_x(d):
    return d.transform.c + (np.arange(d.shape[1]) + 0.5) * CELL


def test_terrain_line_of_sight_signal_and_walk():
    n = int(24 * KM / CELL)
    flat = grid(np.full((n, n), 100.0, np.float32))
    tp = TerrainParams()
    cache = terrain.viewshed_cache()
    analysis = terrain.analyse_terrain(dataset(), flat, terrain=tp, cache=cache)
    misses = cache.misses
    r = pointquery.query_point(analysis, *lat_lon(*P), dem=flat, terrain_params=tp, cache=cache)
    assert cache.misses == misses  # the analysis' viewsheds answered
    assert r.model == "terrain"
    site = r.mobile[0]
    assert site.site_id == "V1" and site.line_of_sight and site.technologies == ("3G", "4G")
    # flat ground: base height = the 30 m mast; distance between the two cell centres
    d_km = math.hypot(40 * CELL, 53 * CELL) / 1000  # cells (+40, +53) from the site's cell
    assert site.loss_db == pytest.approx(float(terrain.hata_loss_db(d_km, 1800.0, 30.0)), abs=1e-6)
    assert site.signal == "strong"  # ≈ 115 dB at 1.8 GHz, 2 km: within the 125 dB "strong" class
    assert pointquery.mobile_lines(r, "en") == [
        "Viettel 3G/4G: site V1, 2.0 km away, in line of sight, strong signal (estimate)"
    ]
    # walking on flat ground at Tobler's 5.04 km/h: 5.1 km ≈ 61 min > 2 × 24 min
    assert math.isinf(r.internet.walk_minutes) and not r.internet.within
    near_shop = pointquery.query_point(
        analysis, *lat_lon(b.X0 + 10 * KM, b.Y0 + 9 * KM), dem=flat, terrain_params=tp, cache=cache
    )
    assert near_shop.internet.walk_minutes == pytest.approx(60 / 5.036, rel=0.03)  # 1 km
    assert near_shop.internet.within

    # a 300 m wall 500 m east of the site, between it and P? P is NE; put the wall north of V1
    z = np.full((n, n), 100.0, np.float32)
    ys = flat.transform.f - (np.arange(n) + 0.5) * CELL
    wall = np.abs(ys - (b.Y0 + 5.5 * KM)) < 60
    z[wall, :] = 400.0
    walled = grid(z)
    analysis = terrain.analyse_terrain(dataset(), walled, terrain=tp, cache=cache)
    r = pointquery.query_point(analysis, *lat_lon(*P), dem=walled, terrain_params=tp, cache=cache)
    assert r.mobile == ()
    assert [s.site_id for s in r.blocked] == ["V1"] and r.blocked[0].line_of_sight is False
    assert pointquery.mobile_lines(r, "vi") == [
        "Viettel 3G/4G: trạm V1, cách 2,0 km, bị địa hình che, không có sóng"
    ]
