"""Measurement points through the common importer: a G-NetTrack log as it is, Vietnamese columns
with DMS, MCC-MNC codes, dBm judged by the cited thresholds, bars, yes/no, GPX, XLSX, GeoJSON,
residents' reports written and read back; every bad row named by file, row and column."""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest

from geo import settings
from geo.io import fieldfiles
from geo.io import measurements as m

GNETTRACK = (
    (
        "Timestamp,Longitude,Latitude,Speed,Operatorname,Operator,CGI,Cellname,Node,CellID,"
        "LAC,NetworkTech,NetworkMode,Level,Qual,SNR,CQI,LTERSSI,ARFCN\n"
    )
    + """2024.05.12_10.33.17,106.88625,16.687083,12,Viettel,45204,452-04-1234,,,1234,5,LTE,LTE,-95,-10,5,9,-70,1650
2024.05.12_10.33.18,106.88700,16.688000,12,VN VINAPHONE,45202,,,,,,HSPA+,WCDMA,-112,-9,,,,10713
2024.05.12_10.33.19,106.88800,16.689000,12,,45201,,,,,,GSM,GSM,-108,,,,,60
2024.05.12_10.33.20,106.88900,16.690000,12,China Mobile,46000,,,,,,LTE,LTE,-100,,,,,
2024.05.12_10.33.21,106.88900,16.690000,12,Viettel,45204,,,,,,LTE,LTE,-30,,,,,
2024.05.12_10.33.22,106.88900,16.690000,12,Viettel,45204,,,,,,LTE,LTE,,,,,,
2024.05.12_10.33.23,106.88900,16.690000,12,Viettel,45204,,,,,,WiMAX,,-90,,,,,
"""
)


def test_gnettrack_log_loads_without_editing(tmp_path):
    path = tmp_path / "gnettrack.txt"
    path.write_text(GNETTRACK.replace(",", "\t"), encoding="utf-8")  # G-NetTrack writes tabs
    result = fieldfiles.import_measurements(path)
    layer = result.layer
    assert list(layer["carrier"]) == ["Viettel", "VinaPhone", "MobiFone"]
    assert list(layer["technology"]) == ["4G", "3G", "2G"]
    # -95 dBm RSRP ≥ -118: service; -112 dBm RSCP in [-115, -105): weak; -108 dBm RSSI < -107: none
    assert list(layer["service"]) == ["yes", "weak", "no"]
    assert list(layer["level_dbm"]) == [-95.0, -112.0, -108.0]
    assert layer["time"].iloc[0] == "2024.05.12_10.33.17"
    assert layer.geometry.iloc[0].x == pytest.approx(106.88625)
    errors = {(p.row, p.column) for p in result.problems if p.is_error}
    assert errors == {(5, "Operatorname"), (6, "Level"), (7, "Level"), (8, "NetworkTech")}
    assert all(p.file == "gnettrack.txt" for p in result.problems)


@pytest.mark.parametrize(
    "text, carrier",
    [
        ("452-04", "Viettel"),
        ("45204", "Viettel"),
        ("452 01", "MobiFone"),
        ("VN Viettel", "Viettel"),
        ("VN VINAPHONE", "VinaPhone"),
        ("Vietnamobile", "Vietnamobile"),
        ("452-05", "Vietnamobile"),
        ("VNPT", "VinaPhone"),
    ],
)
def test_carriers_by_name_or_code(text, carrier):
    assert m.parse_carrier(text) == (carrier, None)


def test_unmodelled_and_foreign_carriers():
    carrier, note = m.parse_carrier("452-07")
    assert carrier == "other" and "Gmobile" in note
    with pytest.raises(ValueError, match="MCC\\) 460 is not Viet Nam's"):
        m.parse_carrier("460-00")
    with pytest.raises(ValueError, match="452-99 is not in phusong's list"):
        m.parse_carrier("45299")


@pytest.mark.parametrize(
    "tech, level, service",
    [
        ("4G", -118, "yes"),
        ("4G", -118.5, "weak"),
        ("4G", -128, "weak"),
        ("4G", -128.1, "no"),
        ("3G", -105, "yes"),
        ("3G", -115, "weak"),
        ("3G", -116, "no"),
        ("2G", -103, "yes"),
        ("2G", -107, "weak"),
        ("2G", -110, "no"),
        ("5G", -90, "yes"),
        ("5G", -110, "weak"),
        ("5G", -111, "no"),
    ],
)
def test_levels_judged_against_the_settings(tech, level, service):
    assert m.judge_level(level, tech) == service


def test_levels_outside_the_3gpp_range_are_refused():
    with pytest.raises(ValueError, match="between -140 and -44 dBm"):
        m.judge_level(-30, "4G")
    with pytest.raises(ValueError, match="between -120 and -25 dBm"):
        m.judge_level(-125, "3G")


def test_bars_and_words():
    assert [m.judge_bars(b) for b in (0, 1, 2, 4)] == ["no", "weak", "yes", "yes"]
    assert [m.parse_service(w) for w in ("có", "Không", "yếu", "YES", "no", "0", "1")] == [
        "yes",
        "no",
        "weak",
        "yes",
        "no",
        "no",
        "yes",
    ]
    with pytest.raises(ValueError, match="yes/weak/no"):
        m.parse_service("maybe")
    assert m.parse_technology("LTE/NR") == "5G" and m.parse_technology("EDGE") == "2G"


def test_vietnamese_columns_dms_and_bars(tmp_path):
    path = tmp_path / "do_song.csv"
    path.write_text(
        "Vĩ độ;Kinh độ;Nhà mạng;Công nghệ;Số vạch;Ghi chú\n"
        "16°41'13.5\"N;106°53'10.5\"E;Viettel;4G;3;đầu bản\n"
        "16,70;106,90;Mobi;3G;0;\n"
        "16,70;106,90;Mobi;3G;7;\n",
        encoding="utf-8",
    )
    result = fieldfiles.import_measurements(path)
    assert list(result.layer["service"]) == ["yes", "no"]
    assert result.layer.geometry.iloc[0].y == pytest.approx(16 + 41 / 60 + 13.5 / 3600)
    assert result.layer["note"].iloc[0] == "đầu bản"
    [bad] = [p for p in result.problems if p.is_error]
    assert (bad.row, bad.column) == (4, "Số vạch")


def test_file_without_any_service_column_is_refused(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("lat,lon,carrier,technology\n16.7,106.9,Viettel,4G\n", encoding="utf-8")
    result = fieldfiles.import_measurements(path)
    assert len(result.layer) == 0
    assert any(
        p.row is None and "no column saying whether there was service" in p.reason
        for p in result.problems
    )


def test_xlsx_geojson_and_gpx(tmp_path):
    frame = pd.DataFrame(
        {
            "lat": [16.7],
            "lon": [106.9],
            "carrier": ["452-02"],
            "technology": ["LTE"],
            "RSRP": [-100],
        }
    )
    frame.to_excel(tmp_path / "a.xlsx", index=False)
    assert list(fieldfiles.import_measurements(tmp_path / "a.xlsx").layer["service"]) == ["yes"]
    (tmp_path / "b.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "geometry": {"type": "Point", "coordinates": [106.9, 16.7]},
                        "properties": {
                            "nha_mang": "Viettel",
                            "cong_nghe": "2G",
                            "co_song": "không",
                        },
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    assert list(fieldfiles.import_measurements(tmp_path / "b.geojson").layer["service"]) == ["no"]
    (tmp_path / "c.gpx").write_text(
        '<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">'
        '<wpt lat="16.7" lon="106.9"><name>p1</name><extensions><carrier>Viettel</carrier>'
        "<technology>4G</technology><service>yes</service></extensions></wpt>"
        '<trk><trkseg><trkpt lat="16.71" lon="106.91"><extensions><carrier>VinaPhone</carrier>'
        "<technology>3G</technology><level>-120</level></extensions></trkpt></trkseg></trk></gpx>",
        encoding="utf-8",
    )
    layer = fieldfiles.import_measurements(tmp_path / "c.gpx").layer
    assert list(zip(layer["carrier"], layer["service"])) == [
        ("Viettel", "yes"),
        ("VinaPhone", "no"),
    ]


def test_residents_reports_round_trip(tmp_path):
    path = tmp_path / "reports.csv"
    path.write_text(
        "lat,lon,carrier,technology,service,note,date,reporter\n"
        "16.70,106.90,Viettel,4G,không,không gọi được ở thôn A Pun,2026-03-02,"
        "Hồ Văn A\n16.71,106.91,VinaPhone,3G,yếu,,2026-03-03,Trưởng thôn\n",
        encoding="utf-8",
    )
    first = fieldfiles.import_measurements(path, source="report")
    assert list(first.layer["source"]) == ["report", "report"]
    assert list(first.layer["service"]) == ["no", "weak"]
    again = tmp_path / "again.csv"
    again.write_bytes(m.reports_csv(first.layer))
    assert list(pd.read_csv(again, encoding="utf-8-sig").columns) == list(m.REPORT_COLUMNS)
    second = fieldfiles.import_measurements(again, source="report")
    cols = ["carrier", "technology", "service", "note", "time", "reporter", "source"]
    pd.testing.assert_frame_equal(second.layer[cols], first.layer[cols])
    assert isinstance(second.layer, gpd.GeoDataFrame)


def test_thresholds_are_in_settings_ordered():
    for tech, (weak, good) in settings.SERVICE_LEVEL_DBM.items():
        low, high = settings.LEVEL_RANGE_DBM[tech]
        assert low < weak < good < high
