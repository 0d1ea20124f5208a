"""geo.i18n: notes a model leaves are rendered in the reader's language."""

from __future__ import annotations

import pytest

from geo import i18n


def test_note_in_each_language_with_its_number_separators():
    note = i18n.note("dem_filled", decimals=2, cells=12345, km2=11.1105)
    assert note.text("vi") == "12.345 ô trống của DEM (11,11 km²) được lấp bằng nội suy"
    assert note.text("en") == "12,345 void cells (11.11 km²) filled by interpolation"
    assert "void cells" in note and str(note) == note.text("en")


def test_a_note_inside_a_note_follows_the_language():
    note = i18n.note("skipped", n=2, what=i18n.note("what_loudspeaker"), ids="L1, L2")
    assert note.text("vi") == "2 cụm loa nằm ngoài DEM hoặc trên ô trống, không được tính: L1, L2"
    assert note.text("en").startswith("2 loudspeaker outside the DEM")


def test_unknown_note_key_fails_when_made_not_when_read():
    with pytest.raises(KeyError, match="note.nope"):
        i18n.note("nope")


def test_every_note_label_exists_in_both_languages_with_the_same_fields():
    import string

    for key, texts in i18n.TEXT.items():
        if key.startswith(("note.", "reason.")):
            fields = [
                {f for _, f, _, _ in string.Formatter().parse(texts[lang]) if f}
                for lang in ("vi", "en")
            ]
            assert fields[0] == fields[1], key


def test_plain_strings_pass_through():
    assert i18n.note_text("as is", "vi") == "as is"


def test_counts_are_singular_for_one_in_english_and_use_the_number_format():
    assert i18n.count("import.rows_out", 1, "en") == "1 data row left out because of errors"
    assert i18n.count("import.rows_out", 2, "en") == "2 data rows left out because of errors"
    assert i18n.count("import.rows_out", 0, "en") == "0 data rows left out because of errors"
    assert i18n.count("import.rows_out", 1, "vi") == "1 dòng dữ liệu bị bỏ qua vì lỗi"
    assert i18n.count("import.n_warnings", 1234, "vi") == "1.234 cảnh báo (dòng vẫn được dùng)"
    assert i18n.count("import.n_warnings", 1234, "en") == "1,234 warnings (rows kept)"


def test_a_reason_reads_in_either_language_and_nests():
    why = i18n.reason("cannot_read", detail=i18n.reason("file_empty"))
    assert why.text("vi") == "không đọc được: tệp rỗng"
    assert str(why) == "cannot be read: the file is empty"
    assert (
        i18n.reason("far_point", 1, km=12.25).text("vi")
        == "điểm nằm cách mọi xã 12,2 km: hãy kiểm tra toạ độ"
    )
    with pytest.raises(KeyError, match="reason.nope"):
        i18n.reason("nope")
