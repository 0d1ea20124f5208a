"""Change between two analyses per commune (geo.analysis.change) and its files
(geo.render.changes), on a hand-made pair of small datasets."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pandas as pd
import pytest

import builders as b
from geo.analysis import gaps
from geo.analysis import change
from geo.render import changes

# 1 km squares; a BTS at the centre reaches the whole square (4G radius 3 km > 707 m to a
# corner), so shares are 0 or 100 % and people (spread evenly, no grid) all or none.
A_BUNG = {
    "code": "001",
    "name": "A Bung",
    "population": 1380.0,
    "especially_difficult": True,
    "geometry": b.square(b.X0, b.Y0, 1000),
}
TA_RUT = {
    "code": "002",
    "name": "Tà Rụt",
    "population": 2000.0,
    "geometry": b.square(b.X0 + 20_000, b.Y0, 1000),
}
OLD = {
    "code": "003",
    "name": "Xã Cũ",
    "population": 500.0,
    "geometry": b.square(b.X0 + 40_000, b.Y0, 1000),
}
NEW = {
    "code": "004",
    "name": "Xã Mới",
    "population": 700.0,
    "geometry": b.square(b.X0 + 60_000, b.Y0, 1000),
}
TA_RUT_BTS = {"site_id": "T1", "x": b.X0 + 20_500, "y": b.Y0 + 500}


@pytest.fixture(scope="module")
def pair():
    before = b.dataset([A_BUNG, TA_RUT, OLD], bts=[TA_RUT_BTS])
    after = b.dataset(
        [A_BUNG, TA_RUT, NEW],
        bts=[TA_RUT_BTS, {"site_id": "A1", "x": b.X0 + 500, "y": b.Y0 + 500}],
        internet=[{"id": "S1", "kind": "support_point", "x": b.X0 + 400, "y": b.Y0 + 400}],
    )
    table = change.compare(gaps.analyse(before), gaps.analyse(after))
    return table, gaps.analyse(after)


def test_figures_before_after_and_change(pair):
    table, _ = pair
    row = table.set_index("code").loc["001"]
    assert row["status"] == "both"
    assert row["covered_4g_pct_before"] == pytest.approx(0.0)
    assert row["covered_4g_pct_after"] == pytest.approx(100.0)
    assert row["covered_4g_pct_change"] == pytest.approx(100.0)
    assert row["covered_4g_pop_change"] == pytest.approx(1380.0)
    assert row["no_mobile_pop_before"] == pytest.approx(1380.0)
    assert row["no_mobile_pop_change"] == pytest.approx(-1380.0)
    assert row["internet_access_pct_after"] == pytest.approx(100.0)  # the support point
    assert (row["c03_present_before"], row["c03_present_after"]) == (0.0, 1.0)
    assert row["no_service_pop_before"] == pytest.approx(1380.0)  # no loudspeaker either
    assert row["no_service_pop_after"] == pytest.approx(0.0)
    same = table.set_index("code").loc["002"]
    assert same["covered_4g_pct_change"] == pytest.approx(0.0)
    assert same["covered_4g_pop_before"] == pytest.approx(2000.0)


def test_communes_in_one_version_only_are_kept_and_marked(pair):
    table, after = pair
    by_code = table.set_index("code")
    assert list(table["code"]) == list(after.communes["code"]) + ["003"]  # then gone ones
    assert by_code.loc["004", "status"] == "after_only"
    assert by_code.loc["003", "status"] == "before_only"
    assert np.isnan(by_code.loc["004", "covered_4g_pop_before"])
    assert by_code.loc["004", "covered_4g_pop_after"] == pytest.approx(0.0)
    assert np.isnan(by_code.loc["003", "covered_4g_pop_change"])
    assert change.totals(table) == {
        "covered_4g_pop_change": pytest.approx(1380.0),
        "no_service_pop_change": pytest.approx(-1380.0),
        "communes": 2,
    }


def test_changed_rows(pair):
    table, _ = pair
    assert dict(zip(table["code"], change.changed(table))) == {
        "001": True,
        "002": False,
        "003": True,
        "004": True,
    }


def test_lines_for_a_report_in_both_languages(pair):
    table, _ = pair
    en = dict(zip(table["code"], change.lines(table, "en")))
    vi = dict(zip(table["code"], change.lines(table, "vi")))
    assert en["001"] == "A Bung: 4G 0 % → 100 %, 1,380 more people"
    assert en["002"] == "Tà Rụt: 4G 100 % → 100 %, as many people as before"
    assert vi["001"] == "A Bung: 4G 0 % → 100 %, thêm 1.380 người"
    assert "only in the earlier version" in en["003"]
    assert vi["004"].startswith("Xã Mới: chỉ có trong phiên bản sau")
    fewer = table.set_index("code").loc["001"].copy()
    fewer["covered_4g_pop_change"] = -2500.4
    assert change.line(fewer, "en").endswith("2,500 fewer people")
    assert change.line(fewer, "vi").endswith("bớt 2.500 người")


def test_changes_csv_headers_and_rounding(pair):
    table, _ = pair
    en = pd.read_csv(
        io.BytesIO(changes.csv_bytes(table, lang="en")),
        encoding="utf-8-sig",
        dtype={"Commune code": str},
    )
    assert list(en.columns[:6]) == [
        "Commune code",
        "Commune",
        "Matched",
        "4G area (%) before",
        "4G area (%) after",
        "4G area (%) change",
    ]
    assert sum(c.endswith(" change") for c in en.columns) == len(change.METRICS)
    row = en.set_index("Commune code").loc["001"]
    assert row["People with 4G change"] == 1380 and row["4G area (%) after"] == 100.0
    vi = pd.read_csv(
        io.BytesIO(changes.csv_bytes(table, lang="vi")), encoding="utf-8-sig", dtype={"Mã xã": str}
    ).set_index("Mã xã")
    assert "Diện tích có 4G (%) thay đổi" in vi.columns
    assert vi.loc["003", "So khớp"] == "chỉ phiên bản trước"


def test_xlsx_and_offline_map(pair):
    table, after = pair
    book = pd.read_excel(io.BytesIO(changes.xlsx_bytes(table, lang="en")), sheet_name=None)
    assert list(book) == ["Changes", "Summary"]
    assert "A Bung: 4G 0 % → 100 %, 1,380 more people" in set(book["Summary"].iloc[:, 0])
    page = changes.map_html(table, after, lang="vi").decode("utf-8")
    assert json.dumps("A Bung: 4G 0 % → 100 %, thêm 1.380 người")[1:-1] in page
    assert "Thay đổi diện tích có 4G" in page
    outside_code = re.sub(r"<(script|style)\b[^>]*>.*?</\1>", "", page, flags=re.S | re.I)
    assert not re.search(r"""\b(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", outside_code)
    assert changes.color_of(100.0) == changes.COLORS[-1]
    assert changes.color_of(0.0) == changes.COLORS[3]
    assert changes.color_of(-30.0) == changes.COLORS[0]
    assert changes.color_of(float("nan")) == changes.NO_DATA
