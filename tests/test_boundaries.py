"""Tests of geo.boundaries: approximate commune polygons from the vietnamadminunits package."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest
import shapely

from geo import boundaries
from geo.errors import PhusongError

RAW = Path(__file__).resolve().parents[2] / "shared/data/raw"
REFERENCE = RAW / "derived" / "dakrong_communes_13_derived.geojson"

DAKRONG = "467"
DAKRONG_CODES = [
    "19555",
    "19558",
    "19561",
    "19564",
    "19567",
    "19570",
    "19576",
    "19579",
    "19582",
    "19585",
    "19588",
    "19591",
    "19594",
]
# 1 July 2025 communes of the district (NQ 1680/NQ-UBTVQH15), by legacy GSO code.
DAKRONG_2025 = {
    "Xã Hướng Hiệp": {"19555", "19558", "19561"},
    "Xã Đakrông": {"19564", "19576", "19579"},
    "Xã Ba Lòng": {"19567", "19570"},
    "Xã Tà Rụt": {"19582", "19585", "19588"},
    "Xã La Lay": {"19591", "19594"},
}


@pytest.fixture(scope="module")
def dakrong_units():
    return boundaries.legacy_units(district_code=DAKRONG)


@pytest.fixture(scope="module")
def dakrong(dakrong_units):
    return boundaries.approximate_communes(dakrong_units)


def _bboxes(units):
    return shapely.box(units["min_lon"], units["min_lat"], units["max_lon"], units["max_lat"])


def _max_pairwise_overlap_km2(gdf) -> float:
    g = gdf.to_crs(gdf.estimate_utm_crs()).geometry.to_numpy()
    i, j = shapely.STRtree(g).query(g, predicate="intersects")
    keep = i < j
    if not keep.any():
        return 0.0
    return float(shapely.area(shapely.intersection(g[i[keep]], g[j[keep]])).max() / 1e6)


def _check_coverage(units, gdf):
    g = gdf.geometry.to_numpy()
    assert gdf.crs.to_epsg() == 4326
    assert list(gdf["code"]) == list(units["code"])
    assert shapely.is_valid(g).all()
    assert not shapely.is_empty(g).any()
    assert set(shapely.get_type_id(g)) <= {3, 6}  # Polygon / MultiPolygon
    assert shapely.covers(_bboxes(units), g).all(), "a polygon leaves its bbox"
    assert _max_pairwise_overlap_km2(gdf) < 1e-6
    assert (gdf["area_km2"] > 0).all()


def test_legacy_units_dakrong(dakrong_units):
    u = dakrong_units
    assert list(u["code"]) == DAKRONG_CODES
    assert u.set_index("code").at["19588", "name"] == "Xã Tà Rụt"
    assert u.set_index("code").at["19555", "name"] == "Thị trấn Krông Klang"
    assert (u["district_code"] == DAKRONG).all() and (u["province_code"] == "45").all()
    assert (u["min_lat"] < u["max_lat"]).all() and (u["min_lon"] < u["max_lon"]).all()
    assert u["lat"].between(u["min_lat"], u["max_lat"]).all()
    assert u["lon"].between(u["min_lon"], u["max_lon"]).all()
    by_name = u.groupby("name_2025")["code"].apply(set).to_dict()
    assert by_name == DAKRONG_2025


def test_legacy_units_codes_accept_ints_and_province_filter():
    a = boundaries.legacy_units(province_code=45, district_code=467)
    assert list(a["code"]) == DAKRONG_CODES
    assert len(boundaries.legacy_units(province_code="45")) > 100


@pytest.mark.parametrize(
    "kwargs, needle",
    [
        ({"district_code": "999"}, "999"),
        ({"province_code": "99"}, "99"),
        ({"province_code": "01", "district_code": "467"}, "province 45"),
        ({"district_code": "abc"}, "numeric"),
    ],
)
def test_unknown_area_is_a_clear_error(kwargs, needle):
    with pytest.raises(PhusongError, match=needle) as err:
        boundaries.legacy_units(**kwargs)
    assert "code" in str(err.value)


def test_dakrong_polygons(dakrong_units, dakrong):
    _check_coverage(dakrong_units, dakrong)
    assert len(dakrong) == 13
    assert list(dakrong.columns[:4]) == ["code", "name", "code_2025", "name_2025"]
    # One contiguous district without interior holes.
    union = shapely.union_all(dakrong.geometry.to_numpy())
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
    # Plausible total area (official outline 1,228 km²).
    assert 900 < dakrong["area_km2"].sum() < 1500


def test_input_not_modified_and_deterministic(dakrong_units, dakrong):
    before = dakrong_units.copy(deep=True)
    again = boundaries.approximate_communes(dakrong_units)
    assert dakrong_units.equals(before)
    assert shapely.equals_exact(again.geometry.to_numpy(), dakrong.geometry.to_numpy(), 0).all()
    assert np.array_equal(again["area_km2"].to_numpy(), dakrong["area_km2"].to_numpy())


def test_district_alone_agrees_with_its_province(dakrong):
    # Same global grid and a pointwise cell rule: the district computed alone and inside its
    # province differ only by simplification at the edge with the rest of the province.
    prov = boundaries.approximate_communes(
        boundaries.legacy_units(province_code="45"), simplify=False
    )
    alone = boundaries.approximate_communes(
        boundaries.legacy_units(district_code=DAKRONG), simplify=False
    )
    p = prov.set_index("code").loc[DAKRONG_CODES].geometry.to_numpy()
    a = alone.geometry.to_numpy()
    assert shapely.equals(p, a).all()


def test_merge_to_2025_dakrong(dakrong):
    merged = boundaries.merge_to_2025(dakrong)
    assert len(merged) == 5
    assert list(merged.columns) == ["code", "name", "legacy_codes", "area_km2", "geometry"]
    members = {r.name: set(r.legacy_codes.split(";")) for r in merged.itertuples()}
    assert members == DAKRONG_2025
    legacy_area = dakrong.set_index("code")["area_km2"]
    for r in merged.itertuples():
        parts = legacy_area[sorted(r.legacy_codes.split(";"))].sum()
        assert r.area_km2 == pytest.approx(parts, rel=1e-6)
    assert merged.is_valid.all()
    assert _max_pairwise_overlap_km2(merged) < 1e-6


@pytest.mark.parametrize(
    "kwargs",
    [
        {"district_code": "026"},  # Đồng Văn, Hà Giang: far north, on the Chinese border
        {"province_code": "38"},  # Thanh Hóa: 500+ communes, some split among 2025 communes
    ],
)
def test_other_areas(kwargs):
    units = boundaries.legacy_units(**kwargs)
    gdf = boundaries.approximate_communes(units)
    _check_coverage(units, gdf)
    merged = boundaries.merge_to_2025(gdf)
    assert merged.is_valid.all() and len(merged) > 0
    # Dissolving (and splitting divided units) neither loses nor invents area.
    assert merged["area_km2"].sum() == pytest.approx(gdf["area_km2"].sum(), rel=1e-3)


def test_bad_inputs():
    with pytest.raises(PhusongError, match="lack"):
        boundaries.approximate_communes(boundaries.legacy_units(district_code=DAKRONG)[["code"]])
    with pytest.raises(PhusongError, match="cell_m"):
        boundaries.approximate_communes(boundaries.legacy_units(district_code=DAKRONG), cell_m=0)


def _measure():
    if not REFERENCE.exists():
        pytest.skip(f"reference data not available at {RAW}")
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
    import measure_boundaries

    return measure_boundaries.measure(100.0)


def test_dakrong_against_reference():
    m = _measure()
    ious = [row[-1] for row in m["rows"]]
    assert len(ious) == 13
    # Regression floor; the method measures 0.638 (see data/BOUNDARIES.md).
    assert np.mean(ious) >= 0.62
    assert abs(m["total_km2"] / 1228.0 - 1) <= 0.10
    assert np.mean([row[-1] for row in m["rows25"]]) >= 0.65


@pytest.mark.xfail(
    reason="target of the brief (mean IoU 0.65) not reached: measured 0.638", strict=False
)
def test_dakrong_iou_target():
    m = _measure()
    assert np.mean([row[-1] for row in m["rows"]]) >= 0.65
