"""geo.build.datasets: a dataset folder for any legacy district, built from the package tables."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest

from geo.build import datasets
from geo.io import loading
from geo.errors import PhusongError

DAKRONG, KRONG_KLANG, TA_RUT = "467", "19555", "19588"


@pytest.fixture(scope="module")
def bare(tmp_path_factory):
    """Đa Krông without illustrative sites or a population grid."""
    out = tmp_path_factory.mktemp("bare")
    return datasets.build_area_dataset(out, district_code=DAKRONG, illustrative_sites=False)


@pytest.fixture(scope="module")
def with_sites(tmp_path_factory):
    """Đa Krông with counted illustrative sites and two facts."""
    out = tmp_path_factory.mktemp("sites")
    facts = pd.DataFrame(
        {
            "code": [KRONG_KLANG, TA_RUT],
            "population": [9000, 2500],
            "population_source": ["test", "test"],
        }
    )
    plan = datasets.SitePlan(clusters=20, shops_by_code={TA_RUT: 2}, communes_without_modern=2)
    return datasets.build_area_dataset(
        out, district_code=DAKRONG, facts=facts, plan=plan, name="Thử", sources=("nguồn A",)
    )


def test_a_bare_folder_has_the_communes_and_empty_point_layers(bare):
    communes = gpd.read_file(bare / "communes.geojson")
    assert len(communes) == 13 and communes.crs.to_epsg() == 4326
    assert sorted(communes["code_2025"].unique()) == ["19555", "19564", "19567", "19588", "19594"]
    assert communes["population"].isna().all()  # no facts: unknown, not zero
    # the point layers: their header and nothing else, ready to be filled
    assert (bare / "bts_sites.csv").read_text() == "site_id,lat,lon,carrier,technologies,height_m\n"
    assert (bare / "internet_points.csv").read_text() == "id,lat,lon,kind\n"
    assert not (bare / "population.tif").exists()
    meta = json.loads((bare / "dataset.json").read_text(encoding="utf-8"))
    assert meta["name"] == "Huyện Đa Krông (Tỉnh Quảng Trị)"
    [source] = meta["sources"]
    assert "approximated by phusong" in source["en"] and "ước lượng" in source["vi"]


def test_counted_sites_and_facts(with_sites):
    ds = loading.load_dataset(with_sites)
    assert ds.name == "Thử"
    kinds = ds.loudspeakers["kind"].value_counts().to_dict()
    # 20 clusters, one station per commune, one district station in the town
    assert kinds == {"cluster": 20, "commune_station": 13, "district_station": 1}
    station = ds.loudspeakers[ds.loudspeakers["kind"] == "district_station"]
    town = ds.communes[ds.communes["code"] == KRONG_KLANG]
    assert town.geometry.iloc[0].contains(station.geometry.iloc[0])
    assert len(ds.internet_points) == 2
    assert set(ds.internet_points["id"]) == {f"NET-{TA_RUT}-1", f"NET-{TA_RUT}-2"}
    assert ds.bts_sites["illustrative"].all() and ds.loudspeakers["illustrative"].all()
    pop = ds.communes.set_index("code")["population"]
    assert pop[KRONG_KLANG] == 9000 and pop[TA_RUT] == 2500 and pop.isna().sum() == 11
    # two communes without 3G/4G: their sites are 2G only
    only_2g = ds.bts_sites[ds.bts_sites["technologies"] == "2G"]
    assert only_2g["site_id"].str.slice(4, 9).nunique() == 2


def test_facts_for_communes_outside_the_area_are_refused(tmp_path):
    facts = pd.DataFrame({"code": ["99999"], "population": [1]})
    with pytest.raises(PhusongError, match="not in the area: 99999"):
        datasets.build_area_dataset(
            tmp_path, district_code=DAKRONG, facts=facts, illustrative_sites=False
        )
