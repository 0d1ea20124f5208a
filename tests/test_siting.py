"""Siting: the solvers against exhaustive search, and plans against the gap engine.

Datasets are built in UTM 48N around 16.5° N (tests/builders.py); radii are set by hand so the
expected figures can be computed on paper.
"""

import math

import numpy as np
import pytest

from geo.plan import siting, solvers
from geo.settings import CoverageParams

import builders as b
from conftest import finish_jobs, finish_plan

KM = 1000.0
FLAT = CoverageParams(
    radius_m=(("2G", 5 * KM), ("3G", 3 * KM), ("4G", 3 * KM), ("5G", 1 * KM)),
    internet_access_m=2 * KM,
)
BOUND = 1 - 1 / math.e


# --- solvers on small matrices ------------------------------------------------------------------


def naive_greedy(dense, w, k):
    covered = np.zeros(dense.shape[1], bool)
    value = 0.0
    for _ in range(k):
        gains = (dense & ~covered) @ w
        j = int(np.argmax(gains))
        if gains[j] <= 0:
            break
        covered |= dense[j]
        value += gains[j]
    return value


def random_instance(rng, n_cand, n_dem, density):
    dense = rng.random((n_cand, n_dem)) < density
    w = rng.integers(1, 20, n_dem).astype(float)
    return dense, w


def test_greedy_within_bound_of_exhaustive_on_random_instances():
    rng = np.random.default_rng(7)
    worst = 1.0
    for _ in range(300):
        dense, w = random_instance(
            rng, rng.integers(3, 9), rng.integers(4, 16), rng.uniform(0.15, 0.6)
        )
        k = int(rng.integers(1, 4))
        m = siting.CoverMatrix.from_dense(dense)
        chosen, gains = siting.greedy(m, w, k)
        _, opt = siting.exhaustive(m, w, k)
        value = m.value(chosen, w)
        assert value == pytest.approx(sum(gains))
        assert value == pytest.approx(naive_greedy(dense, w, k))  # lazy = plain greedy
        assert value >= BOUND * opt - 1e-9
        worst = min(worst, value / opt if opt else 1.0)
    assert worst < 1.0  # the instances do include cases where greedy is not optimal


def test_greedy_equals_optimum_on_constructed_cases():
    # disjoint sets: greedy takes the heaviest ones, which is optimal
    dense = np.zeros((4, 8), bool)
    for j in range(4):
        dense[j, 2 * j : 2 * j + 2] = True
    w = np.array([1, 1, 5, 5, 2, 2, 9, 0], float)
    m = siting.CoverMatrix.from_dense(dense)
    chosen, _ = siting.greedy(m, w, 2)
    assert sorted(chosen) == [1, 3]
    assert m.value(chosen, w) == siting.exhaustive(m, w, 2)[1] == 19
    # nested sets: the big one first, then nothing adds
    nested = np.array([[1, 1, 1, 1], [1, 1, 0, 0], [0, 0, 1, 0]], bool)
    chosen, gains = siting.greedy(siting.CoverMatrix.from_dense(nested), np.ones(4), 3)
    assert chosen == [0] and gains == [4.0]


def test_greedy_can_be_fooled_but_not_below_the_bound():
    # classic: greedy takes the middle set (4) then one side (2): 6 of the optimum 6? build 5 vs 6
    dense = np.array(
        [
            [1, 1, 1, 0, 0, 0],  # 3
            [0, 0, 0, 1, 1, 1],  # 3
            [0, 1, 1, 1, 1, 0],
        ],
        bool,
    )  # 4: greedy's first pick
    m = siting.CoverMatrix.from_dense(dense)
    chosen, _ = siting.greedy(m, np.ones(6), 2)
    assert chosen[0] == 2 and m.value(chosen, np.ones(6)) == 5
    assert siting.exhaustive(m, np.ones(6), 2)[1] == 6
    assert 5 >= BOUND * 6


def test_exact_solver_matches_exhaustive():
    rng = np.random.default_rng(3)
    for _ in range(8):
        dense, w = random_instance(rng, 8, 14, 0.3)
        m = siting.CoverMatrix.from_dense(dense)
        chosen, optimal = siting.exact(m, w, 3, time_limit_s=20)
        assert optimal and len(chosen) <= 3
        assert m.value(chosen, w) == pytest.approx(siting.exhaustive(m, w, 3)[1])


def test_required_groups_are_filled_first_with_their_best_member():
    dense = np.array([[1, 1, 1, 1, 0], [0, 0, 0, 0, 1], [0, 0, 0, 1, 1]], bool)
    w = np.ones(5)
    m = siting.CoverMatrix.from_dense(dense)
    chosen, _ = siting.greedy(m, w, 2, required=[np.array([1, 2])])
    assert chosen == [2, 0]  # 2 beats 1 inside the group, then the best of the rest
    chosen, _ = siting.exact(m, w, 2, required=[np.array([1, 2])], time_limit_s=20)
    assert set(chosen) & {1, 2} and m.value(chosen, w) == 5


# --- plans against geo.analysis.gaps.analyse -------------------------------------------------------------


def two_communes(**extra):
    return [
        {
            "code": "W",
            "name": "Tây",
            "geometry": b.square(b.X0 - 20 * KM, b.Y0 - 10 * KM, 20 * KM),
            "population": 2000.0,
            **extra,
        },
        {
            "code": "E",
            "name": "Đông",
            "geometry": b.square(b.X0, b.Y0 - 10 * KM, 20 * KM),
            "population": 500.0,
            **extra,
        },
    ]


def assert_consistent(ds, plan):
    before, after = siting.compare(ds, plan)
    assert siting.check_consistency(plan, before, after) == []
    people, area = siting.gains_by_analysis(plan, before, after)
    assert plan.area_new_km2 == pytest.approx(area, rel=1e-9, abs=1e-9)
    if plan.objective == "people":
        assert plan.people_new == pytest.approx(people, rel=1e-9, abs=1e-6)
    # per commune too
    by_code = plan.sites.groupby("code")
    assert len(by_code) >= 1
    return before, after


def test_one_site_in_an_empty_commune_covers_one_disc():
    ds = b.dataset(
        [
            {
                "code": "A",
                "name": "A",
                "population": 1600.0,
                "geometry": b.square(b.X0 - 20 * KM, b.Y0 - 20 * KM, 40 * KM),
            }
        ]
    )
    plan = siting.plan(ds, service="bts", k=1, params=FLAT)
    disc = math.pi * 9 * 0.998  # a 64-gon covers 99.8 % of its circle
    assert plan.area_new_km2 == pytest.approx(disc, rel=0.002)
    assert plan.people_new == pytest.approx(plan.area_new_km2, rel=1e-9)  # 1 person per km²
    assert plan.uncovered_people == pytest.approx(1600)
    assert_consistent(ds, plan)


@pytest.mark.parametrize("service", siting.SERVICES)
def test_plan_gains_are_reproduced_by_the_gap_engine(service):
    ds = b.dataset(
        two_communes(especially_difficult=True),
        bts=[{"x": b.X0 - 10 * KM, "y": b.Y0, "technologies": "4G"}],
        loudspeakers=[{"x": b.X0 + 5 * KM, "y": b.Y0, "radius_m": 1 * KM}],
        internet=[{"x": b.X0 - 15 * KM, "y": b.Y0}],
    )
    plan = siting.plan(ds, service=service, k=4, params=FLAT)
    assert len(plan.sites) == 4 and plan.objective == "people"
    assert (np.diff(plan.sites["people_cum"]) >= 0).all()
    assert_consistent(ds, plan)


def test_plan_with_settlements_counts_people_as_the_gap_engine_does():
    settlements = [
        {"name": f"v{i}", "x": b.X0 + dx * KM, "y": b.Y0 + dy * KM, "population": p}
        for i, (dx, dy, p) in enumerate(
            [(-15, 0, 300), (-14, 1, 200), (-3, -8, 50), (4, 4, 400), (12, -6, 100), (18, 9, 80)]
        )
    ]
    ds = b.dataset(
        two_communes(),
        bts=[{"x": b.X0 - 15 * KM, "y": b.Y0, "technologies": "2G;4G"}],
        settlements=settlements,
    )
    plan = siting.plan(ds, service="bts", k=3, params=FLAT)
    before, _ = assert_consistent(ds, plan)
    assert set(before.communes["population_basis"]) == {"settlements"}
    # the first site goes where most uncovered people are: the 400-person village in E
    # (E: 500 people over 580 settlement people → 400 × 500/580 ≈ 345)
    first = plan.sites.iloc[0]
    assert first["code"] == "E" and first["people_new"] >= 400 * 500 / 580 - 1e-6


def test_area_objective_and_scope():
    ds = b.dataset([{k: v for k, v in c.items() if k != "population"} for c in two_communes()])
    plan = siting.plan(ds, service="loudspeaker", k=2, params=FLAT, communes=["E"])
    assert plan.objective == "area" and plan.scope == ("E",)
    assert np.isnan(plan.uncovered_people)
    assert_consistent(ds, plan)


def test_exact_solver_plan_is_consistent_and_no_worse():
    ds = b.dataset(two_communes(), bts=[{"x": b.X0 - 10 * KM, "y": b.Y0, "technologies": "4G"}])
    greedy = siting.plan(ds, service="bts", k=2, params=FLAT, spacing_m=4 * KM, cell_m=1 * KM)
    exact = siting.plan(
        ds,
        service="bts",
        k=2,
        params=FLAT,
        spacing_m=4 * KM,
        cell_m=1 * KM,
        solver="exact",
        time_limit_s=30,
    )
    assert exact.optimal
    assert_consistent(ds, exact)
    assert exact.people_new >= 0.95 * greedy.people_new


def test_existing_sites_never_moved():
    ds = b.dataset(
        two_communes(),
        bts=[
            {"site_id": "a", "x": b.X0 - 10 * KM, "y": b.Y0},
            {"site_id": "b", "x": b.X0 + 10 * KM, "y": b.Y0},
        ],
    )
    before = ds.bts_sites.copy()
    plan = siting.plan(ds, service="bts", k=2, params=FLAT)
    assert ds.bts_sites.equals(before)  # input untouched
    added = siting.with_sites(ds, plan)
    kept = added.bts_sites.iloc[: len(before)]
    assert list(kept["site_id"]) == ["a", "b"]
    assert kept.geometry.geom_equals_exact(before.geometry, tolerance=0).all()
    assert kept["proposed_rank"].isna().all()
    assert list(added.bts_sites["proposed_rank"].iloc[len(before) :]) == [1, 2]


def test_every_especially_difficult_commune_lacking_a_support_point_gets_one():
    communes = [
        {
            "code": c,
            "name": c,
            "population": p,
            "especially_difficult": d,
            "geometry": b.square(b.X0 + i * 10 * KM, b.Y0, 10 * KM),
        }
        for i, (c, p, d) in enumerate(
            [("A", 100.0, True), ("B", 5000.0, False), ("C", 50.0, True), ("D", 80.0, True)]
        )
    ]
    ds = b.dataset(
        communes, internet=[{"x": b.X0 + 35 * KM, "y": b.Y0 + 5 * KM, "kind": "support_point"}]
    )  # D has one
    plan = siting.plan(ds, service="support-point", k=3, params=FLAT)
    mandatory = plan.sites[plan.sites["mandatory"]]
    assert sorted(mandatory["code"]) == ["A", "C"]
    assert plan.sites.iloc[2]["code"] == "B" and not plan.sites.iloc[2]["mandatory"]
    before, after = assert_consistent(ds, plan)
    assert not before.communes.set_index("code").loc[["A", "C"], "c03_present"].any()
    assert after.communes.set_index("code").loc[["A", "C", "D"], "c03_present"].all()
    with pytest.raises(siting.PlanError, match=r"k = 1 is less than the 2 .*A \(A\), C \(C\)"):
        siting.plan(ds, service="support-point", k=1, params=FLAT)


def test_exclusion_layer_keeps_sites_out():
    import geopandas as gpd

    ds = b.dataset(
        [{"code": "A", "name": "A", "population": 100.0, "geometry": b.square(b.X0, b.Y0, 20 * KM)}]
    )
    import shapely

    west = gpd.GeoDataFrame(
        geometry=[shapely.box(b.X0 - KM, b.Y0 - KM, b.X0 + 12 * KM, b.Y0 + 21 * KM)], crs=b.UTM48N
    ).to_crs(4326)
    plan = siting.plan(ds, service="bts", k=3, params=FLAT, exclude=west)
    assert (plan.sites.geometry.x > b.X0 + 12 * KM).all()


def test_bad_requests_are_reported_together():
    ds = b.dataset(two_communes())
    with pytest.raises(siting.PlanError) as err:
        siting.plan(ds, service="tower", k=0, technology="6G", solver="magic")
    text = str(err.value)
    for part in (
        "service must be one of bts, loudspeaker, support-point; got 'tower'",
        "k must be a whole number from 1 to 500; got 0",
        "technology must be one of 2G, 3G, 4G, 5G; got '6G'",
        "solver must be one of auto, greedy, exact; got 'magic'",
    ):
        assert part in text
    with pytest.raises(siting.PlanError, match="unknown commune code"):
        siting.plan(ds, service="bts", k=1, communes=["nope"])


def test_input_dataset_is_not_modified_and_plan_is_deterministic():
    ds = b.dataset(two_communes(), bts=[{"x": b.X0, "y": b.Y0}])
    communes = ds.communes.copy()
    one = siting.plan(ds, service="bts", k=3, params=FLAT)
    two = siting.plan(ds, service="bts", k=3, params=FLAT)
    assert ds.communes.equals(communes)
    assert one.sites.drop(columns="geometry").equals(two.sites.drop(columns="geometry"))
    assert one.sites.geometry.geom_equals_exact(two.sites.geometry, tolerance=0).all()


def test_stops_when_nothing_is_left_to_cover():
    ds = b.dataset(
        [{"code": "A", "name": "A", "population": 10.0, "geometry": b.square(b.X0, b.Y0, 2 * KM)}]
    )
    plan = siting.plan(ds, service="bts", k=5, params=FLAT)
    assert len(plan.sites) == 1 and plan.notes and "only 1" in plan.notes[0]
    assert plan.people_new == pytest.approx(10)


# --- outputs ------------------------------------------------------------------------------------


def test_cli_plan(tmp_path, capsys):
    from geo import cli

    ds = b.dataset(
        two_communes(especially_difficult=True),
        bts=[{"x": b.X0 - 10 * KM, "y": b.Y0, "technologies": "4G"}],
    )
    b.write_folder(ds, tmp_path / "data")
    out = tmp_path / "out"
    code = cli.main(
        [
            "plan",
            "--service",
            "support-point",
            "--k",
            "3",
            "--data",
            str(tmp_path / "data"),
            "--out",
            str(out),
            "--lang",
            "en",
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert (out / "suggested_sites.csv").read_text(encoding="utf-8-sig").startswith("rank,site_id")
    err = capsys.readouterr().err
    assert "coverage matrix" in err and "done in" in err
    code = cli.main(
        [
            "plan",
            "--service",
            "support-point",
            "--k",
            "1",
            "--data",
            str(tmp_path / "data"),
            "--out",
            str(out),
        ]
    )
    assert code == 2 and "use --k 2 or more" in capsys.readouterr().err
    code = cli.main(
        [
            "plan",
            "--service",
            "loudspeaker",
            "--k",
            "2",
            "--carrier",
            "Viettel",
            "--data",
            str(tmp_path / "data"),
            "--out",
            str(out),
        ]
    )
    assert code == 2 and "apply to --service bts only" in capsys.readouterr().err


# --- terrain: line of sight on a synthetic DEM ----------------------------------------------------

from affine import Affine  # noqa: E402

from geo.io import dem as dem_io  # noqa: E402
from geo.analysis import terrain  # noqa: E402

CELL = 30.0


def synthetic_dem(surface, *, half=12 * KM):
    """A 30 m DEM in UTM 48N over (X0 ± half, Y0 ± half); ``surface(x, y)`` gives heights."""
    n = int(2 * half / CELL)
    x0, y0 = b.X0 - half, b.Y0 + half
    xs = x0 + (np.arange(n) + 0.5) * CELL
    ys = y0 - (np.arange(n) + 0.5) * CELL
    heights = surface(xs[None, :], ys[:, None]) + np.zeros((n, n))
    return dem_io.from_array(
        heights.astype(np.float32), transform=Affine(CELL, 0, x0, 0, -CELL, y0), crs="EPSG:32648"
    )


def ridge(x, y):
    """Flat ground at 200 m with a 300 m high north–south ridge along x = X0."""
    return 200.0 + 300.0 * np.exp(-(((x - b.X0) / 300.0) ** 2)) + 0 * y


def one_commune(population=1000.0, **extra):
    return [
        {
            "code": "A",
            "name": "A",
            "population": population,
            "geometry": b.square(b.X0 - 10 * KM, b.Y0 - 10 * KM, 20 * KM),
            **extra,
        }
    ]


def sees(d, site, target_xy, *, h=30.0, radius=3 * KM):
    shed = terrain.viewsheds(
        d, [site[0]], [site[1]], observer_height_m=h, target_height_m=1.5, radius_m=radius
    )[0]
    rows, cols = terrain.observer_cell(d, np.array([target_xy[0]]), np.array([target_xy[1]]))
    r, c = rows[0] - shed.row0, cols[0] - shed.col0
    return bool(0 <= r < shed.rows and 0 <= c < shed.cols and shed.visible()[r, c])


def test_terrain_a_ridge_hides_a_valley_and_the_plan_picks_a_site_that_sees_it():
    d = synthetic_dem(ridge)
    hidden = [(0.6, 0.3), (0.8, -0.4), (0.9, 0.2)]  # km east of the ridge, < 3 km from the site
    settlements = [{"name": "w", "x": b.X0 - 2.5 * KM, "y": b.Y0, "population": 100.0}] + [
        {"name": f"e{i}", "x": b.X0 + dx * KM, "y": b.Y0 + dy * KM, "population": 300.0}
        for i, (dx, dy) in enumerate(hidden)
    ]
    ds = b.dataset(
        one_commune(),
        bts=[{"x": b.X0 - 2 * KM, "y": b.Y0, "technologies": "4G"}],
        settlements=settlements,
    )
    site = (b.X0 - 2 * KM, b.Y0)
    assert not any(sees(d, site, (b.X0 + dx * KM, b.Y0 + dy * KM)) for dx, dy in hidden)
    assert sees(d, site, (b.X0 - 2.5 * KM, b.Y0))
    # the circle model thinks the valley is covered; line of sight knows it is not
    circle = siting.plan(ds, service="bts", k=1, params=FLAT)
    assert circle.uncovered_people == pytest.approx(0.0, abs=1e-6) and len(circle.sites) == 0
    plan = siting.plan(ds, service="bts", k=1, params=FLAT, dem=d)
    assert plan.model == "terrain"
    assert plan.uncovered_people == pytest.approx(1000 * 900 / 1000)
    assert len(plan.sites) == 1 and plan.people_new == pytest.approx(900.0)
    pt = plan.sites.geometry.iloc[0]
    assert all(sees(d, (pt.x, pt.y), (b.X0 + dx * KM, b.Y0 + dy * KM)) for dx, dy in hidden)
    before, after = siting.compare(ds, plan, dem=d)
    assert siting.check_consistency(plan, before, after) == []
    a = after.communes.set_index("code")
    assert a.loc["A", "covered_4g_pop"] == pytest.approx(1000.0)


def test_terrain_hilltops_are_candidates():
    peak = (b.X0 + 3 * KM, b.Y0 + 3 * KM)

    def cone(x, y):
        return 200.0 + np.maximum(0.0, 400.0 * (1 - np.hypot(x - peak[0], y - peak[1]) / (2 * KM)))

    def bumpy(x, y):  # the cone on rolling ground that hides most things from the valleys
        return cone(x, y) + 60.0 * np.sin(2 * np.pi * x / 1500) * np.sin(2 * np.pi * y / 1500)

    tops = siting.hilltops(synthetic_dem(cone))
    assert len(tops) >= 1
    top = tops.geometry.iloc[0]
    assert abs(top.x - peak[0]) <= CELL and abs(top.y - peak[1]) <= CELL
    # prominence: the height above the lowest cell of the 1.5 km square (its corners on the cone)
    assert tops["prominence_m"].iloc[0] == pytest.approx(400 * math.hypot(750, 750) / 2000, abs=15)
    assert len(siting.hilltops(synthetic_dem(lambda x, y: 200.0 + 0 * x * y))) == 0  # flat: none
    d = synthetic_dem(bumpy)
    top = siting.hilltops(d).geometry.iloc[0]
    assert abs(top.x - peak[0]) <= 2 * CELL and abs(top.y - peak[1]) <= 2 * CELL
    ds = b.dataset(one_commune())
    # no grid (spacing wider than the commune), no settlements: the commune centre or a hilltop
    plan = siting.plan(
        ds, service="bts", k=1, params=FLAT, dem=d, spacing_m=50 * KM, settlement_candidates=False
    )
    inside = siting.hilltops(d, zones=ds.communes.to_crs(32648).geometry.to_numpy())
    assert plan.n_candidates == 1 + len(inside)
    pt = plan.sites.geometry.iloc[0]
    assert any(pt.equals(h) for h in inside.geometry)  # a hilltop, not the commune centre
    no_tops = siting.plan(
        ds,
        service="bts",
        k=1,
        params=FLAT,
        dem=d,
        spacing_m=50 * KM,
        settlement_candidates=False,
        hilltops_n=0,
    )
    assert no_tops.n_candidates == 1 and no_tops.area_new_km2 < plan.area_new_km2


@pytest.mark.parametrize("service", siting.SERVICES)
def test_terrain_plan_gains_are_reproduced_by_the_terrain_model(service):
    def hills(x, y):
        return (
            200.0
            + 300.0 * np.exp(-(((x - b.X0) / 300.0) ** 2))
            + 150.0
            * np.exp(-(((x - b.X0 + 6 * KM) ** 2 + (y - b.Y0 - 4 * KM) ** 2) / (1.5 * KM) ** 2))
        )

    d = synthetic_dem(hills)
    rng = np.random.default_rng(3)
    settlements = [
        {
            "name": f"v{i}",
            "x": b.X0 + float(x) * KM,
            "y": b.Y0 + float(y) * KM,
            "population": float(p),
        }
        for i, (x, y, p) in enumerate(
            zip(rng.uniform(-9, 9, 30), rng.uniform(-9, 9, 30), rng.integers(20, 400, 30))
        )
    ]
    ds = b.dataset(
        one_commune(especially_difficult=True),
        bts=[{"x": b.X0 - 2 * KM, "y": b.Y0, "technologies": "4G"}],
        loudspeakers=[{"x": b.X0 + 5 * KM, "y": b.Y0, "radius_m": 1 * KM}],
        internet=[{"x": b.X0 - 5 * KM, "y": b.Y0}],
        settlements=settlements,
    )
    cache = terrain.viewshed_cache()
    plan = siting.plan(ds, service=service, k=3, params=FLAT, dem=d, spacing_m=2 * KM, cache=cache)
    assert len(plan.sites) == 3 and plan.people_new > 0
    before, after = siting.compare(ds, plan, dem=d, cache=cache)
    assert siting.check_consistency(plan, before, after) == []
    people, area = siting.gains_by_analysis(plan, before, after)
    assert plan.people_new == pytest.approx(people, rel=1e-6)
    assert plan.area_new_km2 == pytest.approx(area, rel=1e-6)


def test_terrain_plan_with_a_fitted_path_loss_threshold():
    """Viettel 4G's threshold of 118 dB on flat ground: the existing Viettel site and each new one
    reach the 2.45 km disc where Hata's loss stays within it (not the 3 km radius), and the plan's
    gains are still what the terrain model with the threshold finds."""
    from geo.settings import TerrainParams

    d = synthetic_dem(lambda x, y: 200.0 + 0 * x + 0 * y)
    ds = b.dataset(
        one_commune(),
        bts=[{"x": b.X0 - 5 * KM + 15, "y": b.Y0 + 15, "carrier": "Viettel", "technologies": "4G"}],
    )
    cut = TerrainParams(max_path_loss_db=(("Viettel", "4G", 118.0),))
    cache = terrain.viewshed_cache()
    plain = siting.plan(
        ds,
        service="bts",
        k=1,
        carrier="Viettel",
        params=FLAT,
        dem=d,
        spacing_m=2 * KM,
        cache=cache,
        hilltops_n=0,
    )
    plan = siting.plan(
        ds,
        service="bts",
        k=1,
        carrier="Viettel",
        params=FLAT,
        dem=d,
        spacing_m=2 * KM,
        terrain=cut,
        cache=cache,
        hilltops_n=0,
    )
    # a whole new disc inside the commune: π 3² = 28.3 km² without, π 2.453² = 18.9 km² with
    assert plain.area_new_km2 == pytest.approx(math.pi * 3.0**2, rel=0.02)
    assert plan.area_new_km2 == pytest.approx(math.pi * 2.453**2, rel=0.02)
    before, after = siting.compare(ds, plan, dem=d, cache=cache)
    assert siting.check_consistency(plan, before, after) == []
    _, area = siting.gains_by_analysis(plan, before, after)
    assert plan.area_new_km2 == pytest.approx(area, rel=1e-6)
    # the existing site too: its 4G area is the smaller disc
    assert before.communes["covered_4g_pct"].iloc[0] == pytest.approx(
        100 * math.pi * 2.453**2 / 400, abs=0.1
    )


def test_cli_plan_with_a_dem(tmp_path, capsys):
    import rasterio

    from geo import cli

    ds = b.dataset(two_communes(), bts=[{"x": b.X0 - 10 * KM, "y": b.Y0, "technologies": "4G"}])
    b.write_folder(ds, tmp_path / "data")
    cell, half = 100.0, 30 * KM
    n = int(2 * half / cell)
    xs = b.X0 - half + (np.arange(n) + 0.5) * cell
    z = (ridge(xs[None, :], 0.0) + np.zeros((n, 1))).astype(np.float32)
    path = tmp_path / "dem.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=n,
        height=n,
        count=1,
        dtype="float32",
        crs="EPSG:32648",
        transform=Affine(cell, 0, b.X0 - half, 0, -cell, b.Y0 + half),
    ) as out:
        out.write(z, 1)
    out = tmp_path / "out"
    code = cli.main(
        [
            "plan",
            "--service",
            "bts",
            "--k",
            "2",
            "--data",
            str(tmp_path / "data"),
            "--dem",
            str(path),
            "--out",
            str(out),
            "--lang",
            "en",
        ]
    )
    err = capsys.readouterr().err
    assert code == 0, err
    assert "terrain model" in err and "warning" not in err and "hilltop" in err
    assert (out / "suggested_sites.csv").read_text(encoding="utf-8-sig").startswith("rank,site_id")


def test_app_planning_tab_uses_the_dem_when_the_terrain_model_is_on(tmp_path, monkeypatch):
    from pathlib import Path

    import rasterio
    from streamlit.testing.v1 import AppTest

    ds = b.dataset(two_communes(), bts=[{"x": b.X0 - 10 * KM, "y": b.Y0, "technologies": "4G"}])
    b.write_folder(ds, tmp_path / "data")
    cell, half = 100.0, 25 * KM
    n = int(2 * half / cell)
    xs = b.X0 - half + (np.arange(n) + 0.5) * cell
    z = (ridge(xs[None, :], 0.0) + np.zeros((n, 1))).astype(np.float32)
    (tmp_path / "dem").mkdir()
    with rasterio.open(
        tmp_path / "dem" / "ridge.tif",
        "w",
        driver="GTiff",
        width=n,
        height=n,
        count=1,
        dtype="float32",
        crs="EPSG:32648",
        transform=Affine(cell, 0, b.X0 - half, 0, -cell, b.Y0 + half),
    ) as out:
        out.write(z, 1)
    monkeypatch.setenv("PHUSONG_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("PHUSONG_DEM_DIR", str(tmp_path))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=120)
    at.run()
    at.radio(key="model").set_value("terrain").run()
    finish_jobs(at.selectbox(key="dem_folder").set_value("dem").run())
    assert not at.exception, at.exception
    at.number_input(key="plan_k_bts_legacy").set_value(2).run()
    finish_plan(at.toggle(key="plan_run").set_value(True).run())
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    assert any("tầm nhìn thẳng" in c.value for c in at.caption)  # the terrain model is named
    assert any("2 vị trí mới" in s.value for s in at.success)


# --- the auto solver ----------------------------------------------------------------------------


def test_auto_solver_is_exact_when_cbc_proves_optimality():
    ds = b.dataset(two_communes(), bts=[{"x": b.X0 - 10 * KM, "y": b.Y0, "technologies": "4G"}])
    plan = siting.plan(ds, service="bts", k=2, params=FLAT)
    assert plan.solver == "exact" and plan.optimal is True
    assert any("solver auto: exact" in str(n) for n in plan.notes)


def test_auto_solver_keeps_greedy_when_the_exact_solver_runs_out_of_time(monkeypatch):
    ds = b.dataset(two_communes(), bts=[{"x": b.X0 - 10 * KM, "y": b.Y0, "technologies": "4G"}])
    greedy = siting.plan(ds, service="bts", k=2, params=FLAT, solver="greedy")
    # CBC out of time with a poor incumbent: one candidate, not proven optimal
    monkeypatch.setattr(solvers, "exact", lambda matrix, w, k, **kw: ([0], False))
    plan = siting.plan(ds, service="bts", k=2, params=FLAT, time_limit_s=5)
    assert plan.solver == "greedy" and plan.people_new == pytest.approx(greedy.people_new)
    assert any("ran out of its 5 s; the greedy answer" in str(n) for n in plan.notes)


@pytest.mark.parametrize("service", ["bts", "loudspeaker"])
def test_terrain_plan_with_a_population_grid_agrees_with_the_terrain_analysis(tmp_path, service):
    import rasterio
    from rasterio.transform import from_origin

    from geo.io import population

    def hills(x, y):
        return 200.0 + 300.0 * np.exp(-(((x - b.X0) / 300.0) ** 2)) + 0 * y

    d = synthetic_dem(hills)
    values = np.random.default_rng(5).integers(0, 60, (20, 20)).astype(np.float32)
    with rasterio.open(
        tmp_path / "p.tif",
        "w",
        driver="GTiff",
        width=20,
        height=20,
        count=1,
        dtype="float32",
        crs="EPSG:32648",
        nodata=-99999.0,
        transform=from_origin(b.X0 - 10 * KM, b.Y0 + 10 * KM, KM, KM),
    ) as out:
        out.write(values, 1)
    ds = b.dataset(
        one_commune(),
        bts=[{"x": b.X0 - 2 * KM, "y": b.Y0, "technologies": "4G"}],
        loudspeakers=[{"x": b.X0 + 5 * KM, "y": b.Y0, "radius_m": 1 * KM}],
    )
    ds.population = population.read_grid(tmp_path / "p.tif", area=ds.communes)
    cache = terrain.viewshed_cache()
    plan = siting.plan(ds, service=service, k=2, params=FLAT, dem=d, spacing_m=2 * KM, cache=cache)
    assert len(plan.sites) == 2 and plan.people_new > 0
    before, after = siting.compare(ds, plan, dem=d, cache=cache)
    assert after.communes["population_basis"].tolist() == ["grid"]
    assert siting.check_consistency(plan, before, after) == []
