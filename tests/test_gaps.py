"""Hand-computed coverage cases in UTM 48N around 16.5° N (see tests/builders.py)."""

import math

import pytest

from geo.analysis import gaps
from geo.settings import CoverageParams

import builders as b

KM = 1000.0
FLAT = CoverageParams(radius_m=(("2G", 5 * KM), ("3G", 3 * KM), ("4G", 3 * KM), ("5G", 1 * KM)))


def lens_area(r: float, d: float) -> float:
    """Area of the intersection of two circles of radius r whose centres are d apart."""
    return 2 * r * r * math.acos(d / (2 * r)) - d / 2 * math.sqrt(4 * r * r - d * d)


def big_commune(**extra):
    return {
        "code": "1",
        "name": "Tà Rụt",
        "geometry": b.square(b.X0 - 20 * KM, b.Y0 - 20 * KM, 40 * KM),
        **extra,
    }


def row(analysis, code="1"):
    return analysis.communes.set_index("code").loc[code]


def test_single_5km_circle_covers_pi_25_km2():
    ds = b.dataset([big_commune()], bts=[{"x": b.X0, "y": b.Y0, "technologies": "4G"}])
    r = row(gaps.analyse(ds, params=FLAT.with_radius("4G", 5 * KM)))
    assert r["area_km2"] == pytest.approx(1600, rel=1e-6)
    assert r["covered_4g_pct"] / 100 * r["area_km2"] == pytest.approx(math.pi * 25, rel=0.005)


def test_two_carriers_overlapping():
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
    r = row(gaps.analyse(ds, params=FLAT))
    one = math.pi * 9
    union = 2 * one - lens_area(3, 4)
    assert r["covered_viettel_pct"] / 100 * 1600 == pytest.approx(one, rel=0.005)
    assert r["covered_vinaphone_pct"] / 100 * 1600 == pytest.approx(one, rel=0.005)
    assert r["covered_mobifone_pct"] == 0
    assert r["mobile_covered_pct"] / 100 * 1600 == pytest.approx(union, rel=0.005)
    only_viettel = row(
        gaps.analyse(ds, params=FLAT.__class__(radius_m=FLAT.radius_m, carriers=("Viettel",)))
    )
    assert only_viettel["mobile_covered_pct"] / 100 * 1600 == pytest.approx(one, rel=0.005)


def test_communes_fully_partly_and_not_covered():
    ds = b.dataset(
        [
            {"code": "A", "name": "A", "geometry": b.square(b.X0 - 2 * KM, b.Y0 - 2 * KM, 4 * KM)},
            {"code": "B", "name": "B", "geometry": b.square(b.X0 + 3 * KM, b.Y0 - 5 * KM, 10 * KM)},
            {"code": "C", "name": "C", "geometry": b.square(b.X0 + 30 * KM, b.Y0, 10 * KM)},
        ],
        bts=[{"x": b.X0, "y": b.Y0, "technologies": "2G"}],
    )
    analysis = gaps.analyse(ds, params=FLAT)
    segment = 25 * math.acos(3 / 5) - 3 * 4  # circle r=5 beyond a chord 3 km from the centre
    assert row(analysis, "A")["mobile_covered_pct"] == pytest.approx(100, abs=1e-6)
    assert row(analysis, "B")["mobile_covered_pct"] == pytest.approx(segment, rel=0.01)
    assert row(analysis, "C")["mobile_covered_pct"] == 0
    # 2G only: everything covered is at risk, nothing has 4G
    assert row(analysis, "B")["at_risk_pct"] == pytest.approx(segment, rel=0.01)
    assert row(analysis, "A")["no_4g_pct"] == pytest.approx(100)
    kinds = set(analysis.gaps.loc[analysis.gaps["code"] == "A", "gap"])
    assert "no_mobile" not in kinds and {"no_4g", "at_risk"} <= kinds


def test_no_service_is_outside_all_three_channels_and_people_follow_area():
    ds = b.dataset(
        [big_commune(population=1600.0)],
        bts=[{"x": b.X0 - 10 * KM, "y": b.Y0, "technologies": "4G"}],
        loudspeakers=[{"x": b.X0 + 10 * KM, "y": b.Y0, "radius_m": 1 * KM}],
        internet=[{"x": b.X0, "y": b.Y0 + 10 * KM}],
    )
    params = CoverageParams(radius_m=FLAT.radius_m, internet_access_m=2 * KM)
    r = row(gaps.analyse(ds, params=params))
    served = math.pi * (9 + 1 + 4)
    assert r["no_service_pct"] / 100 * 1600 == pytest.approx(1600 - served, rel=0.001)
    assert r["population_basis"] == "uniform"
    assert r["no_service_pop"] == pytest.approx(1600 - served, rel=0.001)  # 1 person per km²
    assert r["internet_access_pct"] / 100 * 1600 == pytest.approx(math.pi * 4, rel=0.005)


def test_settlements_decide_people_covered():
    ds = b.dataset(
        [big_commune(population=1000.0)],
        bts=[{"x": b.X0, "y": b.Y0, "technologies": "4G"}],
        settlements=[
            {"name": "near", "x": b.X0 + 1 * KM, "y": b.Y0, "population": 300},
            {"name": "far", "x": b.X0 + 15 * KM, "y": b.Y0, "population": 100},
        ],
    )
    r = row(gaps.analyse(ds, params=FLAT))
    assert r["population_basis"] == "settlements"
    assert r["covered_4g_pop"] == pytest.approx(750)  # 300 of 400 settlement people × 1000
    assert r["no_4g_pop"] == pytest.approx(250)


def test_gap_score_and_rank_by_hand():
    ds = b.dataset(
        [
            {
                "code": "full",
                "name": "full",
                "geometry": b.square(b.X0 - 1 * KM, b.Y0 - 1 * KM, 2 * KM),
            },
            {
                "code": "empty",
                "name": "empty",
                "geometry": b.square(b.X0 + 50 * KM, b.Y0, 2 * KM),
                "especially_difficult": True,
            },
        ],
        bts=[{"x": b.X0, "y": b.Y0, "technologies": "4G"}],
    )
    analysis = gaps.analyse(ds, params=FLAT)
    full, empty = row(analysis, "full"), row(analysis, "empty")
    # full: 4G and mobile everywhere, no loudspeaker, no internet → 100 × (0.20 + 0.15)
    assert full["gap_score"] == pytest.approx(35.0)
    # empty: nothing reaches it and its support point is missing → capped at 100
    assert empty["gap_score"] == 100.0
    assert bool(empty["c03_required"]) and not bool(empty["c03_present"])
    assert (empty["gap_rank"], full["gap_rank"]) == (1, 2)


def test_support_point_counts_for_circular_03():
    ds = b.dataset(
        [big_commune(especially_difficult=True)],
        internet=[{"x": b.X0, "y": b.Y0, "kind": "support_point"}],
    )
    r = row(gaps.analyse(ds, params=FLAT))
    assert r["support_points"] == 1 and bool(r["c03_present"])


def test_input_dataset_is_not_modified():
    ds = b.dataset([big_commune()], bts=[{"x": b.X0, "y": b.Y0}])
    before = ds.communes.copy(), ds.bts_sites.copy()
    gaps.analyse(ds, params=FLAT)
    assert ds.communes.equals(before[0]) and ds.bts_sites.equals(before[1])
    assert ds.communes.crs.to_epsg() == 4326


def test_working_crs_is_utm_not_web_mercator():
    ds = b.dataset([big_commune()])
    assert gaps.analyse(ds, params=FLAT).crs.to_epsg() == 32648


def test_sixteen_sessions_sharing_a_small_layer_cache_each_get_their_own_figures():
    """The app shares one layer cache between every browser session (threads). Here 16 threads
    analyse with 8 different 4G radii over a cache too small for them all (constant eviction):
    every answer equals the single-disc area πr² of its own radius (hand value), none raises."""
    from concurrent.futures import ThreadPoolExecutor

    ds = b.dataset([big_commune()], bts=[{"x": b.X0, "y": b.Y0, "technologies": "4G"}])
    shared = gaps.layer_cache(max_entries=3)
    radii_km = [1 + 0.5 * i for i in range(8)]

    def work(i: int) -> list[str]:
        wrong = []
        for step in range(12):
            r_km = radii_km[(i + step) % len(radii_km)]
            got = row(gaps.analyse(ds, params=FLAT.with_radius("4G", r_km * KM), cache=shared))
            covered_km2 = got["covered_4g_pct"] / 100 * 1600
            if abs(covered_km2 - math.pi * r_km**2) > 0.005 * math.pi * r_km**2:
                wrong.append(f"{r_km} km: {covered_km2:.3f} km²")
        return wrong

    with ThreadPoolExecutor(16) as pool:
        wrong = [w for found in pool.map(work, range(16)) for w in found]
    assert wrong == []
