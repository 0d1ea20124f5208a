"""geo.io.readers: one user file into a raw table of text cells, rows numbered as the user sees them
(geo/errors.py, "Row numbers")."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo.io import readers


@pytest.mark.parametrize(
    ("header", "delimiter"),
    [
        ("lat;lon;carrier", ";"),
        ("lat\tlon\tcarrier|x", "\t"),  # two tabs beat one pipe
        ("lat,lon;carrier", ","),  # a tie goes to the comma
        ("lat", ","),  # none at all: comma
        ("Tên|Vĩ độ|Kinh độ", "|"),
    ],
)
def test_sniff_delimiter_from_the_header(header, delimiter):
    assert readers.sniff_delimiter(header) == delimiter


def test_text_rows_are_numbered_as_a_spreadsheet_shows_them():
    data = b"lat;lon\n\n16,5;106,9\n1;2;3\n16,6;107,0;;\n"
    raw = readers.read_text_table(data, name="tram.csv")
    assert raw.first_row == 2
    # header row 1, blank row 2 (skipped, but counted), data rows 3 and 5; row 4 is ragged
    assert [int(i) + raw.first_row for i in raw.frame.index] == [3, 5]
    assert raw.frame.to_dict("list") == {"lat": ["16,5", "16,6"], "lon": ["106,9", "107,0"]}
    [problem] = raw.problems
    assert (problem.file, problem.row, problem.value) == ("tram.csv", 4, "1;2;3")
    assert problem.text("en").startswith("has 3 fields but the header has 2")


def test_cells_are_stripped_text_and_blank_header_cells_get_names():
    raw = readers.read_text_table(b" name , ,pop\n Ta Rut ,x, 012 \n", name="a.csv")
    assert list(raw.frame.columns) == ["name", "unnamed_2", "pop"]
    assert raw.frame.iloc[0].tolist() == ["Ta Rut", "x", "012"]  # text: no leading zero lost


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\n \n", "the file is empty"),
        (b"lat,lat,lon\n1,2,3\n", "column name(s) repeated in the header: lat"),
    ],
)
def test_unreadable_tables_say_why(data, message):
    with pytest.raises(readers.ReadError) as info:
        readers.read_text_table(data, name="x.csv")
    assert info.value.args[0].text("en") == message


def test_decode_utf8_with_bom_and_windows_1258_with_a_warning():
    text, notes = readers.decode("\ufeffTà Rụt".encode("utf-8"), name="a.csv")
    assert (text, notes) == ("Tà Rụt", [])
    # Windows-1258 writes "ụ" as u + combining dot below (0xF2); NFC joins them again
    legacy = "Tà Ru".encode("cp1258") + b"\xf2t"
    text, [note] = readers.decode(legacy, name="a.csv")
    assert text == "Tà Rụt"
    assert note.severity == "warning" and "0xe0 at offset 1" in note.text("en")
    assert "Windows-1258" in note.text("en")


def test_xlsx_rows_count_from_2_and_numbers_become_text(tmp_path):
    path = tmp_path / "tram.xlsx"
    pd.DataFrame({"site_id": ["b1", "b2"], "lat": [16.5, 16.25]}).to_excel(path, index=False)
    raw = readers.read_raw(path)
    assert raw.first_row == 2 and list(raw.frame.index) == [0, 1]  # spreadsheet rows 2 and 3
    assert raw.frame.to_dict("list") == {"site_id": ["b1", "b2"], "lat": ["16.5", "16.25"]}


def test_vector_features_count_from_1(tmp_path):
    path = tmp_path / "xa.geojson"
    gpd.GeoDataFrame(
        {"code": ["A", "B"]}, geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs=4326
    ).to_file(path)
    raw = readers.read_raw(path)
    assert raw.first_row == 1 and raw.is_vector
    assert list(raw.frame["code"]) == ["A", "B"] and raw.frame.crs.to_epsg() == 4326


def test_unsupported_and_empty_files_are_refused(tmp_path):
    (tmp_path / "a.docx").write_bytes(b"x")
    (tmp_path / "b.csv").write_bytes(b"")
    with pytest.raises(readers.ReadError, match="docx"):
        readers.read_raw(tmp_path / "a.docx")
    with pytest.raises(readers.ReadError) as info:
        readers.read_raw(tmp_path / "b.csv")
    assert info.value.args[0].text("en") == "the file is empty"
