import pandas as pd
import pytest

from geo.analysis.search import bare_name, find_communes, fold

NAMES = pd.Series(["Thị trấn Krông Klang", "Xã Tà Rụt", "Xã Đakrông", "Xã A Ngo", "Xã Tà Long"])


@pytest.mark.parametrize("query", ["Tà Rụt", "ta rut", "TA RUT", "xã tà rụt", "Xa Ta Rut", "tarut"])
def test_name_found_with_or_without_diacritics_and_prefix(query):
    assert find_communes(NAMES, query) == [1]


def test_d_stroke_folds_to_d():
    assert fold("Đakrông") == "dakrong"
    assert find_communes(NAMES, "Dakrong") == [2]


def test_exact_before_partial_and_no_match():
    assert find_communes(NAMES, "ta") == [1, 4]
    assert find_communes(NAMES, "krong") == [0, 2]
    assert find_communes(NAMES, "Hà Nội") == []
    assert find_communes(NAMES, "   ") == []


def test_bare_name_drops_prefix():
    assert bare_name("Thị trấn Krông Klang") == "krongklang"


def test_a_selected_commune_follows_to_the_unit_that_holds_it():
    from geo.analysis.search import unit_holding

    units = pd.DataFrame(
        {"code": ["19555", "19588"], "legacy_codes": ["19555;19558;19561", "19582;19585;19588"]}
    )
    assert unit_holding(units, "19558") == "19555"  # Mò Ó is part of Hướng Hiệp since 2025
    assert unit_holding(units, "19588") == "19588"
    assert unit_holding(units, "99999") is None
    assert unit_holding(units.drop(columns="legacy_codes"), "19558") is None
