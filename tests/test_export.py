"""geo.export's reading tables and KPI totals, on the hand-made analysis of maps_fixture."""

from __future__ import annotations

import math

from geo import export, gaps

try:
    from maps_fixture import synthetic_analysis
except ImportError:  # tests/ made a package
    from .maps_fixture import synthetic_analysis

FIVE = ("A", "B", "C", "D", "E")  # communes 10000…10004, 25 km² each


def test_c03_table_lists_communes_lacking_a_point_first_in_the_chosen_language():
    # required: A (absent), C (present); the others not required
    table = export.c03_table(synthetic_analysis(FIVE), lang="en")
    assert list(table["Commune"]) == ["A", "B", "D", "E", "C"]
    assert list(table["Circular 03 support point required"]) == ["yes", "no", "no", "no", "yes"]
    assert table["Population"].dtype == "Int64" and table["Population"].isna().sum() == 1
    vi = export.c03_table(synthetic_analysis(FIVE), lang="vi")
    assert vi.iloc[0, 3] == "có"


def test_commune_table_rounds_and_sorts_by_gap_rank():
    table = export.commune_table(synthetic_analysis(FIVE), lang="en")
    # gap scores 62, 31, 8, 40, 12 → ranks A, D, B, E, C
    assert list(table["Commune"]) == ["A", "D", "B", "E", "C"]
    assert list(table["Gap score"]) == [62.0, 40.0, 31.0, 12.0, 8.0]
    assert table["People without 4G"].tolist()[0] == 2800  # 70 % of 4,000
    assert table["Circular 03 support point present"].tolist() == ["no", "no", "no", "no", "yes"]


def test_district_totals_weight_shares_by_area_and_propagate_unknown_people():
    totals = gaps.district_totals(synthetic_analysis(FIVE))
    assert totals["area_km2"] == 125.0
    assert math.isclose(totals["no_4g_pct"], (70 + 30 + 3 + 45 + 10) / 5)
    assert math.isnan(totals["no_4g_pop"])  # B's population is unknown
    assert totals["c03_required"] == 2 and totals["c03_missing"] == 1
    known = gaps.district_totals(synthetic_analysis(("A",)))
    assert known["no_4g_pop"] == 2800 and known["population"] == 4000


def test_commune_card_writes_numbers_in_the_language_of_the_reader():
    analysis = synthetic_analysis(FIVE)
    for lang, area, people, share in (("vi", "25,00", "4.000", "30,0"),
                                      ("en", "25.00", "4,000", "30.0")):
        card = export.commune_card(analysis, "10000", lang=lang)
        values = dict(zip(card.iloc[:, 0], card.iloc[:, 1]))
        col = {c: export.i18n.t(f"col.{c}", lang) for c in ("code", "area_km2", "population",
                                                            "covered_4g_pct")}
        assert values[col["code"]] == "10000"  # a code is not a number to group
        assert values[col["area_km2"]] == area  # 25 km², two decimals as in the table
        assert values[col["population"]] == people
        assert values[col["covered_4g_pct"]] == share  # 70 % of A lacks 4G
    unknown = export.commune_card(analysis, "10001", lang="en")  # B: population unknown
    assert dict(zip(unknown.iloc[:, 0], unknown.iloc[:, 1]))["Population"] == "–"


def test_kpis_include_area_and_people_served_only_by_2g_3g():
    # at_risk_pct of the five communes: 10, 5, 0, 2, 1 (25 km² each) → 18 / 5 = 3.6 % of the area
    kpis = export.kpis(synthetic_analysis(FIVE), lang="vi")
    assert len(kpis) == 8  # two rows of four in the app
    label, value, help_text = kpis[3]
    assert label == "Chỉ có 2G/3G (sắp tắt sóng)" and value == "3,6 %"
    assert help_text.endswith(": —")  # B's population is unknown, so the district's is too
    # A alone: 10 % of 4,000 people = 400
    label, value, help_text = export.kpis(synthetic_analysis(("A",)), lang="en")[3]
    assert label == "Only 2G/3G (switch-off ahead)" and value == "10.0 %"
    assert help_text.endswith("people there: 400")
