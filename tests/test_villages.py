"""geo.analysis.villages: hand-computed cases in UTM 48N (see tests/builders.py)."""

import dataclasses
import io
from pathlib import Path

import pandas as pd
import pytest

from geo.render import export
from geo.analysis import gaps, villages
from geo.settings import CoverageParams

import builders as b

KM = 1000.0
FLAT = CoverageParams(
    radius_m=(("2G", 5 * KM), ("3G", 3 * KM), ("4G", 3 * KM), ("5G", 1 * KM)),
    internet_access_m=4 * KM,
)
COMMUNES = [
    {
        "code": "1",
        "name": "Tà Rụt",
        "population": 1000.0,
        "geometry": b.square(b.X0 - 20 * KM, b.Y0 - 20 * KM, 40 * KM),
    },
    {
        "code": "2",
        "name": "A Vao",
        "population": 500.0,
        "geometry": b.square(b.X0 + 20 * KM, b.Y0 - 5 * KM, 10 * KM),
    },
]
BTS = [
    {"site_id": "v", "x": b.X0, "y": b.Y0, "carrier": "Viettel", "technologies": "4G"},
    {"site_id": "p", "x": b.X0, "y": b.Y0, "carrier": "VinaPhone", "technologies": "2G"},
]
LOUD = [{"id": "L", "x": b.X0, "y": b.Y0 + 10 * KM, "radius_m": 300.0}]
INET = [{"id": "I", "x": b.X0 - 1 * KM, "y": b.Y0}]
VILLAGES = [
    {"name": "a", "x": b.X0 + 2.9 * KM, "y": b.Y0, "population": 100},  # 2.9 km: 4G and 2G
    {"name": "b", "x": b.X0 + 3.1 * KM, "y": b.Y0, "population": 200},  # 3.1 km: 2G only
    {"name": "c", "x": b.X0 + 5.5 * KM, "y": b.Y0, "population": 300},  # 5.5 km: nothing
    {"name": "d", "x": b.X0 + 25 * KM, "y": b.Y0, "population": 50},  # in commune 2
    {"name": "ear", "x": b.X0, "y": b.Y0 + 10 * KM + 299, "population": 10},  # loudspeaker edge
    {"name": "deaf", "x": b.X0, "y": b.Y0 + 10 * KM - 301, "population": 10},
    {"name": "out", "x": b.X0 + 100 * KM, "y": b.Y0, "population": 7},
]  # outside every commune


def dataset():
    return b.dataset(COMMUNES, bts=BTS, loudspeakers=LOUD, internet=INET, settlements=VILLAGES)


def write_folder(folder):
    """:func:`dataset` as a dataset folder, with ``settlements.csv`` (name, lat, lon, population)."""
    ds = dataset()
    b.write_folder(ds, folder)
    pd.DataFrame(
        {
            "name": ds.settlements["name"],
            "lat": ds.settlements.geometry.y,
            "lon": ds.settlements.geometry.x,
            "population": ds.settlements["population"],
        }
    ).to_csv(folder / "settlements.csv", index=False)


@pytest.fixture(scope="module")
def table():
    return village_rows(gaps.analyse(dataset(), params=FLAT))


def village_rows(analysis):
    return villages.village_table(analysis).set_index("name")


def test_communes_and_population(table):
    assert list(table.index) == [v["name"] for v in VILLAGES]  # input order kept
    assert list(table["code"]) == ["1", "1", "1", "2", "1", "1", ""]
    assert table.loc["d", "commune"] == "A Vao" and table.loc["out", "commune"] == ""
    assert table.loc["b", "population"] == 200


def test_mobile_per_carrier_and_technology_by_radius(table):
    a, b_, c = table.loc["a"], table.loc["b"], table.loc["c"]
    assert (a["covered_viettel"], a["covered_vinaphone"], a["covered_4g"], a["covered_2g"]) == (
        True,
        True,
        True,
        True,
    )
    # 3.1 km: beyond Viettel's 3 km 4G disc, inside VinaPhone's 5 km 2G disc
    assert (b_["covered_viettel"], b_["covered_vinaphone"], b_["covered_4g"], b_["covered_2g"]) == (
        False,
        True,
        False,
        True,
    )
    assert b_["mobile_covered"] and not b_["no_mobile"]
    assert not c["mobile_covered"] and c["no_mobile"] and not c["covered_2g"]
    assert table.loc["d", "no_mobile"]  # 25 km away, in the other commune


def test_outside_every_commune_is_unknown_not_uncovered(table):
    out = table.loc["out"]
    assert pd.isna(out["mobile_covered"]) and pd.isna(out["no_mobile"])
    assert out["internet_distance_m"] == pytest.approx(101 * KM)
    assert villages.lom_song_count(table) == (4, 6)  # c, d, ear, deaf of the 6 inside


def test_loudspeaker_reach_edge(table):
    assert table.loc["ear", "loudspeaker_covered"]  # 299 m from a 300 m loudspeaker
    assert not table.loc["deaf", "loudspeaker_covered"]  # 301 m
    assert not table.loc["a", "loudspeaker_covered"]


def test_internet_distance_and_access(table):
    assert table.loc["a", "internet_distance_m"] == pytest.approx(3900)
    assert table.loc["b", "internet_distance_m"] == pytest.approx(4100)
    assert table.loc["a", "internet_access"] and not table.loc["b", "internet_access"]  # 4 km


def test_carrier_filter_changes_who_is_reached():
    only_viettel = dataclasses.replace(FLAT, carriers=("Viettel",))
    t = village_rows(gaps.analyse(dataset(), params=only_viettel))
    assert t.loc["a", "mobile_covered"] and t.loc["b", "no_mobile"]  # VinaPhone's 2G left out
    assert "covered_vinaphone" in t.columns and not t["covered_vinaphone"].any()


def test_grid_method_gives_the_same_villages(table):
    grid = village_rows(gaps.analyse(dataset(), params=FLAT, method="grid", cell_m=250))
    flags = villages.channel_columns(gaps.analyse(dataset(), params=FLAT)) + ["no_mobile"]
    pd.testing.assert_frame_equal(pd.DataFrame(grid[flags]), pd.DataFrame(table[flags]))


def test_counts_agree_with_the_commune_people(table):
    """A village counted as reached is the people the analysis counts as reached."""
    analysis = gaps.analyse(dataset(), params=FLAT)
    row = analysis.communes.set_index("code").loc["1"]
    inside = table[table["code"] == "1"]
    share = (
        inside.loc[inside["covered_4g"].astype(bool), "population"].sum()
        / inside["population"].sum()
    )
    assert row["covered_4g_pop"] == pytest.approx(1000 * share)


def test_no_settlements_empty_table_and_no_export():
    analysis = gaps.analyse(b.dataset(COMMUNES, bts=BTS), params=FLAT)
    assert len(villages.village_table(analysis)) == 0
    assert "no_mobile" in villages.village_table(analysis).columns


def test_csv_english_headers_plain_numbers_and_note():
    analysis = gaps.analyse(dataset(), params=FLAT)
    text = villages.csv_bytes(analysis, lang="en").decode("utf-8-sig")
    csv = pd.read_csv(io.StringIO(text), dtype={"Commune code": str}, keep_default_na=False)
    assert list(csv.columns[:6]) == [
        "Village",
        "Commune code",
        "Commune",
        "Population",
        "Mobile signal",
        "Viettel",
    ]
    assert list(csv.columns[-2:]) == ["Internet distance (m)", "No mobile signal (lõm sóng)"]
    assert "Loudspeaker" in csv.columns and "4G" in csv.columns
    c = csv.set_index("Village").loc["c"]
    assert c["No mobile signal (lõm sóng)"] == "yes" and c["Internet distance (m)"] == 6500
    assert csv.set_index("Village").loc["out", "Mobile signal"] == ""
    note = [line for line in export.notes(analysis, lang="en") if "lõm sóng" in line]
    assert note == [
        "Villages without mobile signal (lõm sóng): 4 of 6 — "
        "c (Tà Rụt), d (A Vao), ear (Tà Rụt), deaf (Tà Rụt)"
    ]
    vi = villages.csv_bytes(analysis).decode("utf-8-sig").splitlines()[0]
    assert vi.startswith("Thôn/bản,Mã xã,Xã,Dân số,Có sóng di động")


def test_map_markers_only_with_villages():
    from geo.render import maps

    page = maps.to_html(
        maps.build_map(gaps.analyse(dataset(), params=FLAT), metric="no_4g_pct", lang="en")
    )
    assert page.count("phusong_villages") == 2  # the pane and its markers
    assert (
        "No mobile signal (l\\u00f5m" in page and "Village with mobile signal" in page
    )  # tip, legend
    assert maps.VILLAGE_STYLE["lom_song"][0] in page and maps.VILLAGE_STYLE["covered"][0] in page
    plain = maps.to_html(
        maps.build_map(
            gaps.analyse(b.dataset(COMMUNES, bts=BTS), params=FLAT), metric="no_4g_pct", lang="en"
        )
    )
    assert "phusong_villages" not in plain and "Village" not in plain


def test_app_shows_the_village_table(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    write_folder(tmp_path / "data")
    monkeypatch.setenv("PHUSONG_DATA", str(tmp_path / "data"))
    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=90)
    at.run()
    assert not at.exception, at.exception
    assert "Thôn/bản" in [h.value for h in at.subheader]
    shown = [d.value for d in at.dataframe if "Lõm sóng (không có sóng di động)" in d.value.columns]
    assert len(shown) == 1
    table = shown[0].set_index("Thôn/bản")
    assert list(table.index) == [v["name"] for v in VILLAGES]
    assert table.loc["c", "Lõm sóng (không có sóng di động)"] == "có"
    assert table.loc["b", "4G"] == "không" and table.loc["b", "VinaPhone"] == "có"
    assert table.loc["a", "Khoảng cách đến điểm internet (m)"] == 3900


def test_terrain_model_villages_and_walking_time():
    """On a flat DEM (tests/test_terrain.py's) the terrain model reaches what the circle does;
    the walking time is the straight walk between the cells' centres at Tobler's flat speed."""
    from geo.analysis import terrain
    from geo.settings import TerrainParams
    from test_terrain import big_commune, flat_dem

    ds = b.dataset(
        [big_commune(population=100.0)],
        bts=BTS[:1],
        internet=INET,
        settlements=[
            {"name": "in", "x": b.X0 + 2.5 * KM, "y": b.Y0, "population": 10},
            {"name": "out", "x": b.X0 + 3.5 * KM, "y": b.Y0, "population": 10},
        ],
    )
    analysis = terrain.analyse_terrain(
        ds, flat_dem(), params=FLAT, terrain=TerrainParams(internet_walk_min=60.0)
    )
    t = village_rows(analysis)
    assert t.loc["in", "covered_4g"] and t.loc["out", "no_mobile"]
    # cell centres (30 m cells from X0 − 12 km): the point X0 − 1 km in the cell centred at
    # X0 − 1005 m, the village X0 + 2.5 km in the one centred at X0 + 2505 m
    assert t.loc["in", "internet_walk_min"] == pytest.approx(
        3510 / (terrain.tobler_kmh(0.0) * 1000 / 60), rel=1e-6
    )
    circle = gaps.analyse(ds, params=FLAT)
    both = villages.compare_table(circle, analysis, lang="en")
    assert list(both.columns[:5]) == [
        "Village",
        "Commune code",
        "Commune",
        "Population",
        "Mobile signal [circle]",
    ]
    assert "Internet walking time (min) [terrain]" in both.columns
    assert "No mobile signal (lõm sóng) [terrain]" in both.columns
    # 3,510 m and 4,500 m (centre X0 + 3,495 m) at 83.9 m/min: 41.8 and 53.6 minutes
    assert both["Internet walking time (min) [terrain]"].tolist() == [42, 54]
