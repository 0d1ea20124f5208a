"""What-if sites (geo.analysis.whatif): hand-computed gains, URL text, the CSV that re-imports.

Dataset (tests/builders.py, UTM 48N): one 20 × 20 km commune (400 km², 4,000 people spread
evenly), a Viettel 2G site in its south-west corner (5 km reach; a quarter disc inside), no
loudspeaker, no internet point. A what-if site at the centre, 10 km from the corner site, adds
a whole disc: π r² (3 km 4G: 28.27 km², 282.7 people; 300 m loudspeaker: 0.283 km²;
2 km internet access: 12.57 km²).
"""

import math

import pandas as pd
import pytest
from pyproj import Transformer

from geo import cli
from geo.analysis import gaps, whatif
from geo.io import loading
from geo.errors import PhusongError
from geo.settings import CoverageParams

import builders as b

KM = 1000.0
AREA, PEOPLE = 400.0, 4000.0
CENTRE = Transformer.from_crs(b.UTM48N, "EPSG:4326", always_xy=True).transform(
    b.X0 + 10 * KM, b.Y0 + 10 * KM
)  # lon, lat
# polygonised discs (16 segments a quarter) fall short of π r² by 0.16 %
TOL = 0.005


def dataset():
    return b.dataset(
        [
            {
                "code": "C",
                "name": "Xã Giữa",
                "geometry": b.square(b.X0, b.Y0, 20 * KM),
                "population": PEOPLE,
                "especially_difficult": True,
            }
        ],
        bts=[{"site_id": "S", "x": b.X0, "y": b.Y0, "technologies": "2G"}],
    )


def site(kind="bts", existing=(), **kw):
    lon, lat = CENTRE
    if kind == "bts":
        kw = {"carrier": "Viettel", "technologies": ["4G"], "height_m": 25.0, **kw}
    return whatif.make_site(kind, lat, lon, existing=list(existing), **kw)


def gain(table, layer):
    row = table.set_index("layer").loc[layer]
    return row["area_km2"], row["people"]


def test_one_site_in_an_empty_square_adds_a_disc():
    ds = dataset()
    before = gaps.analyse(ds)
    after = gaps.analyse(whatif.with_sites(ds, [site()]))
    area, people = gain(whatif.gains(before, after), "covered_4g")
    assert area == pytest.approx(math.pi * 9, rel=TOL)
    assert people == pytest.approx(PEOPLE * math.pi * 9 / AREA, rel=TOL)
    assert gain(whatif.gains(before, after), "mobile_covered")[0] == pytest.approx(
        math.pi * 9, rel=TOL
    )
    assert gain(whatif.gains(before, after), "loudspeaker_covered") == (0.0, 0.0)
    # the hypothetical row is flagged, the dataset itself untouched
    assert len(ds.bts_sites) == 1 and "hypothetical" not in ds.bts_sites
    bts = after.sites["bts_sites"]
    assert list(bts["hypothetical"]) == [False, True] and bts["illustrative"].iloc[1]
    assert list(bts["site_id"]) == ["S", "WHATIF-1"]


def test_loudspeaker_and_support_point_gains_and_the_c03_count():
    ds = dataset()
    before = gaps.analyse(ds)
    loud = site("loudspeaker")
    point = site("support_point", existing=[loud])
    assert (loud.number, point.number) == (1, 2)
    after = gaps.analyse(whatif.with_sites(ds, [loud, point]))
    table = whatif.gains(before, after)
    assert gain(table, "loudspeaker_covered")[0] == pytest.approx(math.pi * 0.09, rel=TOL)
    assert gain(table, "internet_access")[0] == pytest.approx(math.pi * 4, rel=TOL)
    # "at least one channel": the 2 km access disc holds the loudspeaker disc, 10 km from the
    # 2G corner site's 5 km quarter disc
    assert gain(table, "any_channel")[1] == pytest.approx(PEOPLE * math.pi * 4 / AREA, rel=TOL)
    assert not before.communes["c03_present"].iloc[0] and after.communes["c03_present"].iloc[0]


def test_filters_and_radii_apply_to_what_if_sites():
    ds = whatif.with_sites(dataset(), [site(carrier="MobiFone")])
    only_viettel = gaps.analyse(ds, params=CoverageParams(carriers=("Viettel",)))
    assert not only_viettel.sites["bts_sites"]["hypothetical"].any()
    assert len(whatif.footprints(only_viettel)) == 0
    wide = gaps.analyse(ds, params=CoverageParams().with_radius("4G", 5000))
    discs = whatif.footprints(wide)
    assert list(discs["radius_m"]) == [5000.0]
    assert discs.geometry.area.iloc[0] / 1e6 == pytest.approx(math.pi * 25, rel=TOL)


def test_no_site_changes_nothing():
    ds = dataset()
    assert whatif.with_sites(ds, []) is ds
    assert whatif.data_key("data/dakrong", []) == "data/dakrong"


def test_encode_decode_round_trip_and_bad_entries():
    sites = [site(), site("loudspeaker", existing=[site()])]
    sites.append(
        whatif.make_site(
            "bts", 16.5, 106.9, existing=sites, carrier="other", technologies=["2G", "3G"]
        )
    )
    text = whatif.encode(sites)
    assert text.startswith("b1,") and ";l2," in text and text.endswith(",other,2G-3G,")
    assert whatif.decode(text) == sites
    problems = []
    kept = whatif.decode(
        text + ";x9,1,2;b4,16.5,106.9,Viettell,4G,;b5,16.5,106.9,Viettel,6G,;"
        "b1,16.5,106.9,Viettel,4G,",
        problems=problems,
    )
    assert kept == sites
    assert len(problems) == 4 and "Viettell" in problems[1] and "used twice" in problems[3]
    assert whatif.decode("") == []


def test_make_site_refuses_bad_values():
    with pytest.raises(PhusongError, match="technologies"):
        site(technologies=[])
    with pytest.raises(PhusongError, match="height"):
        site(height_m=900)
    with pytest.raises(PhusongError, match="tower"):
        site("tower")


def test_remove_keeps_the_other_numbers():
    a = site()
    b_ = site("loudspeaker", existing=[a])
    c = site("support_point", existing=[a, b_])
    assert [s.number for s in whatif.remove([a, b_, c], 2)] == [1, 3]
    assert site(existing=[a, c]).number == 4


def test_csv_re_imports_and_gives_the_same_figures(tmp_path, capsys):
    ds = dataset()
    sites = [site(), site("loudspeaker", existing=[site()])]
    b.write_folder(ds, tmp_path / "data")
    expected = gaps.analyse(whatif.with_sites(ds, sites)).communes.iloc[0]
    for layer in whatif.layers_of(sites):
        (tmp_path / f"{layer}.csv").write_bytes(whatif.layer_csv(ds, sites, layer))
    head = (tmp_path / "bts_sites.csv").read_text(encoding="utf-8").splitlines()
    assert head[0] == "site_id,lat,lon,carrier,technologies,height_m,illustrative,hypothetical"
    assert head[2].startswith("WHATIF-1,") and head[2].endswith(",Viettel,4G,25.0,true,true")
    back = loading.load_dataset(
        tmp_path / "data",
        overrides={
            "bts_sites": tmp_path / "bts_sites.csv",
            "loudspeakers": tmp_path / "loudspeakers.csv",
        },
    )
    assert [p for p in back.problems if p.is_error] == []
    got = gaps.analyse(back).communes.iloc[0]
    for col in (
        "covered_4g_pct",
        "mobile_covered_pct",
        "loudspeaker_covered_pct",
        "no_service_pop",
    ):
        assert got[col] == pytest.approx(expected[col], abs=1e-6)
    # only the what-if rows
    only = whatif.layer_csv(ds, sites, "bts_sites", include_existing=False).decode().splitlines()
    assert len(only) == 2 and only[1].startswith("WHATIF-1,")
    # the CLI reads it as --sites
    code = cli.main(
        [
            "report",
            "--data",
            str(tmp_path / "data"),
            "--sites",
            str(tmp_path / "bts_sites.csv"),
            "--out",
            str(tmp_path / "out"),
        ]
    )
    assert code == 0, capsys.readouterr().err
    table = pd.read_csv(tmp_path / "out" / "communes.csv")
    assert len(table) == 1


def test_tables_in_both_languages():
    table = whatif.gains_table(
        pd.DataFrame({"layer": ["covered_4g"], "area_km2": [1234.5678], "people": [2828.4]}), "vi"
    )
    assert table.iloc[0].tolist() == ["Sóng 4G", "1.234,57", "2.828"]
    en = whatif.sites_table([site()], "en").iloc[0].tolist()
    assert en[:5] == ["WHATIF-1", "BTS site", "Viettel", "4G", "25"]
