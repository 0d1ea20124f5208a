"""geo.render.siting_export: the files and downloads of a siting plan."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import pytest

from geo.render import maps
from geo.plan import siting
from geo.render import siting_export
from geo.settings import CoverageParams

import builders as b

KM = 1000.0
FLAT = CoverageParams(
    radius_m=(("2G", 5 * KM), ("3G", 3 * KM), ("4G", 3 * KM), ("5G", 1 * KM)),
    internet_access_m=2 * KM,
)


def two_communes():
    return [
        {
            "code": "W",
            "name": "Tây",
            "geometry": b.square(b.X0 - 20 * KM, b.Y0 - 10 * KM, 20 * KM),
            "population": 2000.0,
        },
        {
            "code": "E",
            "name": "Đông",
            "geometry": b.square(b.X0, b.Y0 - 10 * KM, 20 * KM),
            "population": 500.0,
        },
    ]


@pytest.fixture(scope="module")
def one_site():
    """One 4G site (3 km) in an empty 40 km × 40 km commune of 1,600 people (1 per km²): it
    covers a 64-gon of π · 9 · 0.998 = 28.22 km², so 28.22 people."""
    ds = b.dataset(
        [
            {
                "code": "A",
                "name": "Xã A",
                "population": 1600.0,
                "geometry": b.square(b.X0 - 20 * KM, b.Y0 - 20 * KM, 40 * KM),
            }
        ]
    )
    plan = siting.plan(ds, service="bts", k=1, params=FLAT)
    before, after = siting.compare(ds, plan)
    return plan, before, after


@pytest.mark.parametrize(
    ("service", "technology", "metric"),
    [
        ("bts", "4G", "no_4g_pct"),
        ("bts", "3G", "no_mobile_pct"),
        ("bts", None, "no_mobile_pct"),
        ("loudspeaker", None, "no_loudspeaker_pct"),
        ("support-point", None, "no_internet_pct"),
    ],
)
def test_map_metric_shows_the_gap_the_plan_closes(service, technology, metric):
    assert (
        siting_export.map_metric(SimpleNamespace(service=service, technology=technology)) == metric
    )


def test_sites_table_of_one_site(one_site):
    plan, _, _ = one_site
    disc_km2 = math.pi * 9 * 0.998
    [row] = siting_export.sites_table(plan).to_dict("records")
    assert (row["rank"], row["commune_code"], row["commune_name"]) == (1, "A", "Xã A")
    assert (row["service"], row["carrier"], row["technology"]) == ("bts", "any", "4G")
    assert row["area_new_km2"] == pytest.approx(disc_km2, rel=0.002)
    assert row["area_new_km2"] == round(row["area_new_km2"], 3)  # 3 decimals
    assert row["people_new"] == row["people_cum"] == 28  # whole people: 28.22 rounds to 28
    assert row["lat"] == round(row["lat"], 6) and 16.3 < row["lat"] < 16.6


def test_before_after_of_one_site(one_site):
    plan, before, after = one_site
    [row] = siting_export.before_after(plan, before, after, lang="en").to_dict("records")
    assert row["People newly reached"] == 28
    assert list(row.values())[:3] == ["A", "Xã A", 1]
    # the gap: all 1,600 people and 100 % of the area before; 1,600 − 28.22 and
    # 100 − 28.22 / 1,600 = 98.2 % after
    values = list(row.values())
    assert values[3:] == [1600, 1572, 28, 100.0, 98.2]


def test_sites_geojson_is_wgs84_with_6_decimals(one_site):
    plan, _, _ = one_site
    data = json.loads(siting_export.sites_geojson_bytes(plan))
    [feature] = data["features"]
    lon, lat = feature["geometry"]["coordinates"]
    table = siting_export.sites_table(plan)
    assert (lat, lon) == (table["lat"].iloc[0], table["lon"].iloc[0])
    assert feature["properties"]["people_new"] == 28.0 and feature["properties"]["rank"] == 1


def test_unknown_download_kind_lists_the_valid_ones(one_site):
    plan, before, after = one_site
    with pytest.raises(ValueError, match="sites_csv, sites_geojson"):
        siting_export.render("sites.xlsx", plan, before, after)


def test_outputs_and_map_marking(tmp_path):
    ds = b.dataset(two_communes(), bts=[{"x": b.X0 - 10 * KM, "y": b.Y0, "technologies": "4G"}])
    plan = siting.plan(ds, service="bts", k=2, params=FLAT, carrier="Viettel")
    before, after = siting.compare(ds, plan)
    table = siting_export.sites_table(plan)
    assert list(table.columns) == list(siting_export.SITE_COLUMNS)
    assert list(table["rank"]) == [1, 2] and (table["carrier"] == "Viettel").all()
    assert table["people_cum"].iloc[-1] == round(plan.people_new)
    ba = siting_export.before_after(plan, before, after, lang="en")
    assert ba["People newly reached"].sum() == pytest.approx(plan.people_new, abs=2)
    html = maps.to_html(maps.build_map(after, metric="no_4g_pct", lang="en"))
    assert html.count("phusong-proposed") >= 2 and "Proposed site (rank)" in html
    paths = siting_export.write_plan(plan, before, after, tmp_path, lang="vi")
    assert sorted(p.name for p in paths) == sorted(n for _, n, _ in siting_export.DOWNLOADS)
    # the sites CSV: headers in the reader's language; English keeps the schema names
    header = {
        lang: siting_export.render("sites_csv", plan, before, after, lang=lang)
        .decode("utf-8-sig")
        .splitlines()[0]
        for lang in ("vi", "en")
    }
    assert header["en"] == ",".join(siting_export.SITE_COLUMNS)
    assert header["vi"] == (
        "Thứ tự,Mã đề xuất,Vĩ độ,Kinh độ,Mã xã,Xã,Bắt buộc theo TT 03,"
        "Người được phủ thêm,Diện tích phủ thêm (km²),Cộng dồn: người,"
        "Cộng dồn: km²,Dịch vụ,Nhà mạng,Công nghệ"
    )
    assert (
        (tmp_path / "suggested_sites.csv").read_text(encoding="utf-8-sig").startswith(header["vi"])
    )
