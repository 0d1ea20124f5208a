"""The grid method of geo.analysis.gaps.analyse (geo.analysis.grid): hand-computed areas in UTM 48N around 16.5° N."""

import math

import numpy as np
import pytest
import shapely

from geo.analysis import gaps, grid
from geo import settings
from geo.errors import ChoiceError, PhusongError
from geo.settings import CoverageParams

import builders as b
from test_gaps import FLAT, KM, big_commune, lens_area, row  # the same hand-computed cases

PCT_COLUMNS = [
    "mobile_covered_pct",
    "covered_2g_pct",
    "covered_3g_pct",
    "covered_4g_pct",
    "covered_5g_pct",
    "covered_viettel_pct",
    "covered_vinaphone_pct",
    "covered_mobifone_pct",
    "loudspeaker_covered_pct",
    "internet_access_pct",
    "no_service_pct",
    "at_risk_pct",
    "no_4g_pct",
    "no_mobile_pct",
    "no_loudspeaker_pct",
    "no_internet_pct",
]


def segment_area(r: float, d: float) -> float:
    """Area of the part of a circle of radius r beyond a chord at distance d from its centre."""
    return r * r * math.acos(d / r) - d * math.sqrt(r * r - d * d)


def test_single_5km_disc_covers_pi_25_km2():
    ds = b.dataset([big_commune()], bts=[{"x": b.X0, "y": b.Y0, "technologies": "4G"}])
    analysis = gaps.analyse(ds, params=FLAT.with_radius("4G", 5 * KM), method="grid")
    r = row(analysis)
    assert analysis.method == "grid"
    assert r["area_km2"] == pytest.approx(1600, rel=1e-6)  # the exact vector area, not cells
    assert r["covered_4g_pct"] / 100 * 1600 == pytest.approx(math.pi * 25, rel=0.005)
    assert r["no_4g_pct"] / 100 * 1600 == pytest.approx(1600 - math.pi * 25, rel=0.005)


def test_two_carriers_lens():
    ds = b.dataset(
        [big_commune()],
        bts=[
            {
                "site_id": "a",
                "x": b.X0 - 2 * KM,
                "y": b.Y0,
                "carrier": "Viettel",
                "technologies": "4G",
            },
            {
                "site_id": "b",
                "x": b.X0 + 2 * KM,
                "y": b.Y0,
                "carrier": "VinaPhone",
                "technologies": "4G",
            },
        ],
    )
    r = row(gaps.analyse(ds, params=FLAT, method="grid"))
    one = math.pi * 9
    union = 2 * one - lens_area(3, 4)  # 2 × 28.27 − 6.96 = 49.59 km²
    assert r["covered_viettel_pct"] / 100 * 1600 == pytest.approx(one, rel=0.005)
    assert r["covered_vinaphone_pct"] / 100 * 1600 == pytest.approx(one, rel=0.005)
    assert r["covered_mobifone_pct"] == 0
    assert r["mobile_covered_pct"] / 100 * 1600 == pytest.approx(union, rel=0.005)


def test_communes_fully_partly_and_not_covered():
    ds = b.dataset(
        [
            {"code": "A", "name": "A", "geometry": b.square(b.X0 - 2 * KM, b.Y0 - 2 * KM, 4 * KM)},
            {"code": "B", "name": "B", "geometry": b.square(b.X0 + 3 * KM, b.Y0 - 5 * KM, 10 * KM)},
            {"code": "C", "name": "C", "geometry": b.square(b.X0 + 30 * KM, b.Y0, 10 * KM)},
        ],
        bts=[{"x": b.X0, "y": b.Y0, "technologies": "2G"}],
    )
    analysis = gaps.analyse(ds, params=FLAT, method="grid")
    # A: its farthest corner is 2.83 km from the 5 km site; B: the disc beyond the chord x = 3 km,
    # 25·acos(0.6) − 12 = 11.18 km² of 100 km²; C: 30 km away.
    assert row(analysis, "A")["covered_2g_pct"] == 100
    assert row(analysis, "B")["covered_2g_pct"] == pytest.approx(segment_area(5, 3), abs=0.2)
    assert row(analysis, "C")["covered_2g_pct"] == 0
    assert row(analysis, "C")["no_service_pct"] == 100
    # 2G only: all of the mobile coverage is at risk.
    assert row(analysis, "A")["at_risk_pct"] == 100


def test_disc_straddling_tile_boundaries():
    """Tiles of 16 cells (1.6 km): a 5 km disc spans dozens of them and is counted once."""
    zone = b.square(b.X0 - 20 * KM, b.Y0 - 20 * KM, 40 * KM)
    stamps = grid.Stamps(
        np.array([b.X0 + 37.0]),
        np.array([b.Y0 - 11.0]),
        np.array([[5 * KM]]),
        np.array([[1]], dtype=np.uint16),
    )
    counts = grid.cell_counts(
        np.array([zone]), stamps, n_bits=1, derived=np.zeros(0, np.uint16), tile_cells=16
    )
    assert counts[0, -1] == 400 * 400  # 40 km / 100 m, squared
    assert counts[0, 0] * 0.01 == pytest.approx(math.pi * 25, rel=0.005)
    whole = grid.cell_counts(np.array([zone]), stamps, n_bits=1, derived=np.zeros(0, np.uint16))
    np.testing.assert_array_equal(counts, whole)


def test_hole_and_multipart_communes_count_their_own_cells():
    outer = b.square(b.X0, b.Y0, 10 * KM)
    with_hole = shapely.Polygon(
        outer.exterior.coords, [b.square(b.X0 + 2 * KM, b.Y0 + 2 * KM, 4 * KM).exterior.coords]
    )
    two_parts = shapely.MultiPolygon(
        [b.square(b.X0 + 20 * KM, b.Y0, 3 * KM), b.square(b.X0 + 30 * KM, b.Y0, 4 * KM)]
    )
    empty = np.zeros((0, 1))
    stamps = grid.Stamps(np.zeros(0), np.zeros(0), empty, empty.astype(np.uint16))
    counts = grid.cell_counts(
        np.array([with_hole, two_parts]),
        stamps,
        n_bits=1,
        derived=np.zeros(0, np.uint16),
        min_cells=0,
    )
    assert counts[:, -1].tolist() == [(100 - 16) * 100, (9 + 16) * 100]  # km² × 100 cells
    assert counts[:, 0].tolist() == [0, 0]  # zero sites: nothing covered


def test_small_commune_is_refined():
    """A 0.35 km² ward is 35 cells of 100 m; counted again alone on about 2,500 cells, its half
    inside a disc whose edge is a straight-ish line across it comes out right."""
    ward = b.square(b.X0, b.Y0, 590.0)
    # 50 km disc centred 50 km west of the ward's middle: its edge is nearly a vertical line there.
    stamps = grid.Stamps(
        np.array([b.X0 + 295.0 - 50 * KM]),
        np.array([b.Y0 + 295.0]),
        np.array([[50 * KM]]),
        np.array([[1]], dtype=np.uint16),
    )
    counts = grid.cell_counts(np.array([ward]), stamps, n_bits=1, derived=np.zeros(0, np.uint16))
    assert counts[0, -1] > 2000
    assert counts[0, 0] / counts[0, -1] == pytest.approx(0.5, abs=0.02)


def test_stamp_kernel_disc_off_grid_and_clipped():
    mask = np.zeros((10, 10), dtype=np.uint16)
    radii, bits = np.array([[150.0], [250.0]]), np.array([[1], [2]], dtype=np.uint16)
    # 0–1000 m east, 0–1000 m south of y = 1000. Site 1 lies 2 km away (off the grid entirely);
    # site 2 sits on the grid's west edge at row 4's centre: its disc is cut by the edge.
    grid._stamp(
        mask, 0.0, 1000.0, 100.0, np.array([5000.0, 0.0]), np.array([550.0, 550.0]), radii, bits
    )
    assert not (mask & 1).any()
    covered = np.argwhere(mask & 2)
    # centres (50 + 100c, 950 − 100r) within 250 m of (0, 550): columns 0–1 of rows 2–6, and
    # column 2 of row 4, exactly 250 m away (a centre on the circle counts): 11 cells.
    expected = {
        (r, c)
        for r in range(10)
        for c in range(10)
        if (50 + 100 * c) ** 2 + (950 - 100 * r - 550) ** 2 <= 250**2
    }
    assert {tuple(x) for x in covered} == expected
    assert len(expected) == 11


def test_stamp_kernel_concentric_discs_get_outer_bits():
    mask = np.zeros((21, 21), dtype=np.uint16)
    grid._stamp(
        mask,
        0.0,
        2100.0,
        100.0,
        np.array([1050.0]),
        np.array([1050.0]),
        np.array([[300.0, 1000.0, 0.0]]),
        np.array([[4, 1, 2]], dtype=np.uint16),
    )
    centre = mask[10, 10]
    assert centre == 4 | 1  # the zero-radius disc adds nothing
    assert mask[10, 15] == 1  # 500 m away: only the 1 km disc
    assert mask[10, 0] == 1 and mask[0, 10] == 1  # exactly 1 km: centre on the circle counts
    assert mask[0, 0] == 0
    assert ((mask & 4) != 0).sum() == 29  # cells of 100 m with centres within 300 m


def test_grid_agrees_with_exact_on_a_small_district():
    rng = np.random.default_rng(7)
    star = shapely.Polygon(
        [
            (
                b.X0 + 20 * KM * math.cos(a) * (0.6 + 0.4 * (i % 2)),
                b.Y0 + 20 * KM * math.sin(a) * (0.6 + 0.4 * (i % 2)),
            )
            for i, a in enumerate(np.linspace(0, 2 * math.pi, 15)[:-1])
        ]
    )
    pieces = shapely.get_parts(
        shapely.voronoi_polygons(
            shapely.multipoints(
                rng.uniform(
                    [b.X0 - 20 * KM, b.Y0 - 20 * KM], [b.X0 + 20 * KM, b.Y0 + 20 * KM], (8, 2)
                )
            ),
            extend_to=star,
        )
    )
    communes = [
        {"code": str(i), "name": f"c{i}", "geometry": shapely.intersection(p, star)}
        for i, p in enumerate(pieces)
        if not shapely.intersection(p, star).is_empty
    ]
    xy = rng.uniform([b.X0 - 22 * KM, b.Y0 - 22 * KM], [b.X0 + 22 * KM, b.Y0 + 22 * KM], (60, 2))
    techs = ["2G;3G;4G", "4G", "2G", "3G;4G", "4G;5G"]
    carriers = ["Viettel", "VinaPhone", "MobiFone"]
    bts = [
        {
            "site_id": f"s{i}",
            "x": x,
            "y": y,
            "technologies": techs[i % 5],
            "carrier": carriers[i % 3],
        }
        for i, (x, y) in enumerate(xy[:40])
    ]
    loud = [
        {
            "id": f"l{i}",
            "x": x,
            "y": y,
            "kind": "cluster",
            "radius_m": 800.0 if i % 2 else float("nan"),
        }
        for i, (x, y) in enumerate(xy[40:55])
    ]
    inet = [{"id": f"i{i}", "x": x, "y": y} for i, (x, y) in enumerate(xy[55:])]
    params = CoverageParams(carrier_radius_m=(("Viettel", "4G", 4 * KM),))
    ds = b.dataset(communes, bts=bts, loudspeakers=loud, internet=inet)
    exact = gaps.analyse(ds, params=params).communes.set_index("code")
    fast = gaps.analyse(ds, params=params, method="grid").communes.set_index("code")
    assert list(fast.columns) == list(exact.columns)
    assert len(fast) >= 6
    diff = (fast[PCT_COLUMNS] - exact[PCT_COLUMNS]).abs().to_numpy()
    assert diff.max() < 1.0  # percentage points (communes of 60–400 km², 100 m cells)
    assert diff.mean() < 0.2
    np.testing.assert_allclose(fast["area_km2"], exact["area_km2"], rtol=1e-12)
    assert (fast["gap_rank"].sort_values().to_numpy() == np.arange(1, len(fast) + 1)).all()


def test_settlement_people_and_gap_polygons_with_grid():
    settlements = [
        {"x": b.X0 + 1 * KM, "y": b.Y0, "population": 300.0},  # inside the 3 km 4G disc
        {"x": b.X0 + 4 * KM, "y": b.Y0, "population": 100.0},  # inside 2G (5 km) only
        {"x": b.X0 + 15 * KM, "y": b.Y0, "population": 600.0},
    ]  # outside
    ds = b.dataset(
        [big_commune(population=1000.0)],
        settlements=settlements,
        bts=[{"x": b.X0, "y": b.Y0, "technologies": "2G;4G"}],
    )
    grid_result = gaps.analyse(ds, params=FLAT, method="grid")
    r = row(grid_result)
    assert r["population_basis"] == "settlements"
    assert r["covered_4g_pop"] == pytest.approx(300)
    assert r["mobile_covered_pop"] == pytest.approx(400)
    assert r["at_risk_pop"] == pytest.approx(100)
    assert r["no_mobile_pop"] == pytest.approx(600)
    exact_result = gaps.analyse(ds, params=FLAT)
    # The gap polygons are the exact ones, made on request.
    g, e = grid_result.gaps, exact_result.gaps
    assert list(g["gap"]) == list(e["gap"])
    np.testing.assert_allclose(g["area_km2"], e["area_km2"], rtol=1e-9)


def test_method_is_validated_and_auto_keeps_small_districts_exact():
    ds = b.dataset([big_commune()], bts=[{"x": b.X0, "y": b.Y0, "technologies": "4G"}])
    with pytest.raises(ChoiceError, match="method must be one of exact, grid, auto; got 'raster'"):
        gaps.analyse(ds, method="raster")
    with pytest.raises(PhusongError, match="cell_m must be a positive number"):
        gaps.analyse(ds, method="grid", cell_m=0)
    assert gaps.analyse(ds, method="auto").method == "exact"
    assert settings.GRID_AUTO_COMMUNES > 1


def test_no_sites_at_all():
    ds = b.dataset([big_commune()])
    r = row(gaps.analyse(ds, method="grid"))
    assert r["mobile_covered_pct"] == 0 and r["no_service_pct"] == 100
