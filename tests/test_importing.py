"""Importing real-world files: formats, aliases, coordinates, carriers, CRS, commune codes, the
corpus of malformed and hostile files (tests/corpus/make_corpus.py), the import report, the CLI's
per-layer options and the real files of ../shared (skipped where absent)."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from corpus.make_corpus import BOX, cases, cp1258
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from geo.analysis import gaps
from geo.io import importing, loading, normalise
from geo.errors import Problem
from geo.i18n import reason
from geo.cli import main

REPO = Path(__file__).resolve().parents[1]
DAKRONG = REPO / "data" / "dakrong"
HOSTILE = "<img src=x onerror=alert(1)>"
# A small reference list (the GSO codes and names of three Đakrông communes, and a namesake
# elsewhere) so name matching needs no vietnamadminunits lookup.
REFERENCE = pd.DataFrame(
    {
        "code": ["19588", "19594", "19591", "99999"],
        "name": ["Xã Tà Rụt", "Xã A Ngo", "Xã A Bung", "Xã Tà Rụt"],
        "lat": [16.42, 16.34, 16.25, 21.0],
        "lon": [107.0, 106.99, 107.05, 105.0],
        "code_2025": ["19588", "19594", "19594", None],
        "name_2025": ["Xã Tà Rụt", "Xã La Lay", "Xã La Lay", None],
    }
)


def imported(tmp_path, name: str, data: bytes | str, layer: str = "bts_sites", **kw):
    path = tmp_path / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return importing.import_layer(path, layer, **kw)


def messages(problems) -> list[str]:
    return [str(p) for p in problems]


# --- the corpus ---------------------------------------------------------------------------------

CASES = cases()


def test_corpus_has_at_least_40_files():
    assert len(CASES) >= 40
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_corpus_file_gives_its_message(tmp_path, case):
    gdf, problems = imported(tmp_path, case.name, case.data, case.layer)
    hits = [p for p in problems if case.expect in str(p)]
    assert hits, f"{case.name}: expected {case.expect!r} in {messages(problems)}"
    assert all(p.severity == case.severity for p in hits)
    assert all(p.file == case.name for p in problems)  # every problem names its file
    assert gdf.crs.to_epsg() == 4326
    if case.severity == "error":  # no row with an error is kept
        bad_rows = {p.row for p in problems if p.is_error and p.row is not None}
        assert len(gdf) <= max(
            0, len(case.data.splitlines()) - 1 - len(bad_rows)
        ) or case.name.endswith((".geojson", ".gpkg", ".zip", ".kml", ".kmz"))
    else:  # a warning keeps its row
        assert len(gdf) == 1


def test_good_rows_are_kept_beside_bad_ones(tmp_path):
    text = (
        "site_id,lat,lon,carrier,technologies\n"
        "ok1,16.70,106.88,Viettel,4G\n"
        "bad,abc,106.88,Viettel,4G\n"
        "ok2,16.71,106.89,MBF,3G\n"
    )
    gdf, problems = imported(tmp_path, "sites.csv", text)
    assert list(gdf["site_id"]) == ["ok1", "ok2"]
    assert messages(problems) == [
        "sites.csv, row 3, column 'lat': not a coordinate (use decimal "
        "degrees such as 16.7061 or degrees-minutes-seconds such as "
        "16°42'23.5\"N) (value 'abc')"
    ]


# --- formats, encodings, delimiters, aliases ------------------------------------------------------

VI_SITES = (
    "Mã trạm;Vĩ độ;Kinh độ;Nhà mạng;Công nghệ;Độ cao (m)\n"
    "A1;16,7066;106,8827;VIETTEL;2G/3G/4G;30,5\n"
    "A2;16°42'23.5\"N;106 52 57 E;Viettel Telecom;4G LTE;\n"
    "A3;16.5;107.0;VNPT;3G, 4G;25\n"
    "A4;16.6;106.9;mobifone;GSM+UMTS;\n"
    "A5;16.6;106.95;Vietnamobile;2G;\n"
)


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "cp1258"])
def test_vietnamese_headers_decimal_comma_dms_in_any_encoding(tmp_path, encoding):
    data = cp1258(VI_SITES) if encoding == "cp1258" else VI_SITES.encode(encoding)
    gdf, problems = imported(tmp_path, "tram.csv", data)
    assert [p for p in problems if p.is_error] == []
    assert list(gdf["site_id"]) == ["A1", "A2", "A3", "A4", "A5"]
    assert list(gdf["carrier"]) == ["Viettel", "Viettel", "VinaPhone", "MobiFone", "Vietnamobile"]
    assert list(gdf["technologies"]) == ["2G;3G;4G", "4G", "3G;4G", "2G;3G", "2G"]
    assert gdf["height_m"].iloc[0] == 30.5 and np.isnan(gdf["height_m"].iloc[1])
    assert gdf.geometry.iloc[0].y == pytest.approx(16.7066)
    assert gdf.geometry.iloc[1].y == pytest.approx(16 + 42 / 60 + 23.5 / 3600)
    assert gdf.geometry.iloc[1].x == pytest.approx(106 + 52 / 60 + 57 / 3600)
    if encoding == "cp1258":
        assert any("read as Windows-1258" in m for m in messages(problems))


def test_tab_delimited_with_one_lat_lon_column_and_english_aliases(tmp_path):
    text = (
        "ID\tLocation\tOperator\tTechnology\n"
        "s1\t16.7061, 106.8827\tVina\t4G\n"
        "s2\t16,7061; 106,8827\tMobifone\t3G\n"
        "s3\t106°52'57\"E 16°42'23\"N\tVTL\t2G\n"
    )
    gdf, problems = imported(tmp_path, "sites.tsv", text)
    assert problems == []
    assert list(gdf["carrier"]) == ["VinaPhone", "MobiFone", "Viettel"]
    assert gdf.geometry.y.round(4).tolist() == [16.7061, 16.7061, 16.7064]


def test_swapped_coordinates_are_fixed_with_a_warning(tmp_path):
    gdf, problems = imported(
        tmp_path, "s.csv", "id,lat,lon,kind\nn,106.88,16.70,internet_shop\n", "internet_points"
    )
    assert (gdf.geometry.x[0], gdf.geometry.y[0]) == (106.88, 16.70)
    assert messages(problems) == [
        "warning: s.csv, row 2, column 'lat': latitude and longitude "
        "look swapped (Vietnam lies at 8–24° N, 102–110° E); read "
        "swapped (value '106.88, 16.7')"
    ]


def test_xlsx_with_vietnamese_headers(tmp_path):
    frame = pd.DataFrame(
        {
            "Mã": ["L1", "L2"],
            "Vĩ độ": [16.42, 16.43],
            "Kinh độ": [107.0, 107.01],
            "Loại": ["Cụm loa", "Đài truyền thanh xã"],
        }
    )
    path = tmp_path / "loa.xlsx"
    frame.to_excel(path, index=False)
    gdf, problems = importing.import_layer(path, "loudspeakers")
    assert problems == []
    assert list(gdf["kind"]) == ["cluster", "commune_station"]
    assert gdf.geometry.y.tolist() == [16.42, 16.43]


def test_kml_and_kmz_points(tmp_path):
    points = gpd.GeoDataFrame(
        {"Name": ["K1", "K2"], "kind": ["support_point", "public_access"]},
        geometry=[shapely.Point(107.0, 16.42), shapely.Point(107.01, 16.43)],
        crs=4326,
    )
    kml = tmp_path / "points.kml"
    points.to_file(kml, driver="KML")
    gdf, problems = importing.import_layer(kml, "internet_points")
    assert [p for p in problems if p.is_error] == []
    assert list(gdf["id"]) == ["K1", "K2"] and list(gdf["kind"]) == [
        "support_point",
        "public_access",
    ]
    kmz = tmp_path / "points.kmz"
    with zipfile.ZipFile(kmz, "w") as z:
        z.writestr("doc.kml", kml.read_bytes())
    gdf2, _ = importing.import_layer(kmz, "internet_points")
    assert list(gdf2["id"]) == ["K1", "K2"]


def test_zipped_shapefile_with_vietnamese_names(tmp_path):
    communes = gpd.GeoDataFrame(
        {"MA_XA": ["19588"], "TEN_XA": ["Xã Tà Rụt"]}, geometry=[BOX], crs=4326
    )
    folder = tmp_path / "shp"
    folder.mkdir()
    communes.to_file(folder / "xa.shp", driver="ESRI Shapefile", encoding="utf-8")
    zpath = tmp_path / "xa.zip"
    with zipfile.ZipFile(zpath, "w") as z:
        for p in folder.iterdir():
            z.write(p, f"ranh_gioi/{p.name}")
    gdf, problems = importing.import_layer(zpath, "communes")
    assert problems == []
    assert list(gdf["code"]) == ["19588"] and list(gdf["name"]) == ["Xã Tà Rụt"]


VN2000_QUANG_TRI = (
    "+proj=tmerc +lat_0=0 +lon_0=106.25 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 "
    "+towgs84=-191.90441429,-39.30318279,-111.45032835,-0.00928836,0.01975479,"
    "-0.00427372,0.252906278 +units=m +no_defs"
)


@pytest.mark.parametrize("crs", ["EPSG:3405", "EPSG:32648", VN2000_QUANG_TRI])
def test_declared_crs_including_vn2000_is_reprojected(tmp_path, crs):
    communes = gpd.GeoDataFrame({"code": ["19588"], "name": ["Tà Rụt"]}, geometry=[BOX], crs=4326)
    path = tmp_path / "communes.gpkg"
    communes.to_crs(crs).to_file(path)
    gdf, problems = importing.import_layer(path, "communes")
    assert problems == []
    assert np.allclose(gdf.total_bounds, BOX.bounds, atol=1e-6)


def test_table_in_vn2000_metres_with_a_declared_crs(tmp_path):
    x, y = gpd.GeoSeries([shapely.Point(106.88, 16.70)], crs=4326).to_crs(3405).iloc[0].coords[0]
    text = f"site_id,x,y,carrier,technologies\nA,{x:.2f},{y:.2f},Viettel,4G\n"
    gdf, problems = imported(tmp_path, "s.csv", text, crs="EPSG:3405")
    assert problems == []
    assert (gdf.geometry.x[0], gdf.geometry.y[0]) == pytest.approx((106.88, 16.70), abs=1e-6)
    _, refused = imported(tmp_path, "s2.csv", text)
    assert "look like projected metres" in messages(refused)[0]


def test_dataset_json_declares_a_table_crs(tmp_path):
    folder = _copy_default(tmp_path)
    x, y = gpd.GeoSeries([shapely.Point(106.88, 16.70)], crs=4326).to_crs(3405).iloc[0].coords[0]
    (folder / "internet_points.csv").write_text(f"id,x,y,kind\nn,{x},{y},internet_shop\n")
    meta = json.loads((folder / "dataset.json").read_text(encoding="utf-8"))
    (folder / "dataset.json").write_text(
        json.dumps(meta | {"crs": {"internet_points": "EPSG:3405"}})
    )
    ds = loading.load_dataset(folder)
    assert ds.internet_points.geometry.y[0] == pytest.approx(16.70)


def test_file_without_crs_but_degrees_is_read_as_wgs84_with_a_warning(tmp_path):
    gdf = gpd.GeoDataFrame({"code": ["1"], "name": ["a"]}, geometry=[BOX])
    path = tmp_path / "c.gpkg"
    with pytest.warns(UserWarning):
        gdf.to_file(path)
    out, problems = importing.import_layer(path, "communes")
    assert len(out) == 1 and out.crs.to_epsg() == 4326
    assert "coordinates look like degrees and were read as WGS 84" in messages(problems)[0]
    assert problems[0].severity == "warning"


def test_header_aliases():
    columns = ["Kinh Độ", "VĨ ĐỘ", "NHÀ MẠNG", "Công nghệ", "Mã trạm", "ghi chú"]
    assert normalise.resolve_columns(columns, "bts_sites") == {
        "Kinh Độ": "lon",
        "VĨ ĐỘ": "lat",
        "NHÀ MẠNG": "carrier",
        "Công nghệ": "technologies",
        "Mã trạm": "site_id",
    }
    assert normalise.resolve_columns(
        ["commune", "commune_vn", "population_attr_2009", "commune_id"], "communes"
    ) == {"commune_vn": "name", "population_attr_2009": "population"}
    assert normalise.resolve_columns(["lat", "y", "lng"], "bts_sites") == {
        "lat": "lat",
        "lng": "lon",
    }


@pytest.mark.parametrize(
    "text,carrier",
    [
        ("VIETTEL", "Viettel"),
        ("VTL", "Viettel"),
        ("Viettel Telecom", "Viettel"),
        ("VNPT", "VinaPhone"),
        ("Vina", "VinaPhone"),
        ("VinaPhone", "VinaPhone"),
        ("MBF", "MobiFone"),
        ("Mobifone", "MobiFone"),
        ("vietnamobile", "Vietnamobile"),
        ("Khác", "other"),
    ],
)
def test_carriers(text, carrier):
    assert normalise.normalise_carrier(text) == (carrier, None)


@pytest.mark.parametrize(
    "text,techs",
    [
        ("2G/3G/4G", "2G;3G;4G"),
        ("4G LTE", "4G"),
        ("3G, 4G", "3G;4G"),
        ("4g;2g", "2G;4G"),
        ("LTE", "4G"),
        ("5G NR", "5G"),
        ("GSM + UMTS", "2G;3G"),
    ],
)
def test_technologies(text, techs):
    assert normalise.parse_technologies(text) == techs


# --- coordinates: property-based ------------------------------------------------------------------

lat_values = st.floats(min_value=-90, max_value=90, allow_nan=False)
lon_values = st.floats(min_value=-180, max_value=180, allow_nan=False)


@given(lat_values)
def test_decimal_point_and_comma_round_trip(value):
    text = f"{value:.7f}"
    assert normalise.parse_coordinate(text)[0] == pytest.approx(value, abs=1e-7)
    assert normalise.parse_coordinate(text.replace(".", ","))[0] == pytest.approx(value, abs=1e-7)


@given(
    lon_values,
    st.sampled_from(["{d}°{m}'{s}\"{h}", "{d} {m} {s} {h}", "{h}{d}°{m}′{s}″", "{d}:{m}:{s}{h}"]),
)
def test_dms_round_trip(value, pattern):
    hemi = "E" if value >= 0 else "W"
    total = round(abs(value) * 3600, 1)
    d, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    text = pattern.format(d=int(d), m=int(m), s=f"{s:.1f}", h=hemi)
    parsed, axis = normalise.parse_coordinate(text)
    assert axis == "lon"
    assert parsed == pytest.approx(np.copysign(total / 3600, value) if total else 0.0, abs=1e-9)


@given(lat_values, lon_values, st.sampled_from([", ", ";", " ", "; "]))
def test_lat_lon_pair_round_trip(lat, lon, sep):
    got = normalise.parse_lat_lon(f"{lat:.6f}{sep}{lon:.6f}")
    assert got == pytest.approx((round(lat, 6), round(lon, 6)), abs=1e-9)


@hsettings(max_examples=300)
@given(st.text(max_size=30))
def test_any_text_parses_or_gives_a_reason(text):
    try:
        value, _ = normalise.parse_coordinate(text)
    except ValueError as exc:
        assert str(exc)
    else:
        assert np.isfinite(value)


# --- commune codes by name --------------------------------------------------------------------------


def test_communes_matched_to_codes_by_name_without_diacritics_or_prefix(tmp_path):
    data = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"Tên xã": name},
                "geometry": shapely.geometry.mapping(
                    shapely.box(106.96 + i / 10, 16.38, 107.0 + i / 10, 16.46)
                ),
            }
            for i, name in enumerate(["Ta Rut", "XÃ A NGO", "Hai Phuc"])
        ],
    }
    gdf, problems = imported(
        tmp_path, "xa.geojson", json.dumps(data), "communes", reference=REFERENCE
    )
    assert list(gdf["code"]) == ["19588", "19594"]  # Tà Rụt near its own point, not 99999
    assert list(gdf["code_2025"]) == ["19588", "19594"]
    assert list(gdf["name"]) == ["Ta Rut", "XÃ A NGO"]
    text = messages(problems)
    assert (
        "xa.geojson, row 3, column 'Tên xã': no commune of this name in the given reference"
        in text[0]
    )
    assert "2 of 3 communes matched to GSO codes by name" in text[1]


# --- dataset level ------------------------------------------------------------------------------------


def _copy_default(tmp_path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    for p in DAKRONG.iterdir():
        (folder / p.name).write_bytes(p.read_bytes())
    return folder


def test_point_far_outside_the_communes_is_flagged_and_kept(tmp_path):
    folder = _copy_default(tmp_path)
    (folder / "internet_points.csv").write_text(
        "id,lat,lon,kind\nnear,16.70,106.88,internet_shop\nhanoi,21.03,105.85,internet_shop\n"
    )
    ds = loading.load_dataset(folder)
    assert list(ds.internet_points["id"]) == ["near", "hanoi"]
    (far,) = ds.problems
    assert far.severity == "warning" and far.row == 3
    assert "outside every commune: check its coordinates" in far.reason


def test_warnings_do_not_make_strict_loading_fail(tmp_path):
    folder = _copy_default(tmp_path)
    sites = (folder / "bts_sites.csv").read_text().replace(",Viettel,", ",VTL,")
    (folder / "bts_sites.csv").write_text(sites)
    ds = loading.load_dataset(folder)
    assert ds.problems == [] and (ds.bts_sites["carrier"] == "Viettel").sum() > 0


def test_hostile_names_stay_text_in_tables_maps_and_exports(tmp_path):
    from geo.render import export, maps

    folder = _copy_default(tmp_path)
    communes = json.loads((folder / "communes.geojson").read_text(encoding="utf-8"))
    communes["features"][0]["properties"]["name"] = HOSTILE
    (folder / "communes.geojson").write_text(json.dumps(communes), encoding="utf-8")
    sites = pd.read_csv(folder / "bts_sites.csv", dtype=str)
    sites.loc[0, "site_id"] = HOSTILE
    sites.to_csv(folder / "bts_sites.csv", index=False)
    ds = loading.load_dataset(folder)
    assert HOSTILE in set(ds.communes["name"]) and HOSTILE in set(ds.bts_sites["site_id"])
    analysis = gaps.analyse(ds)
    html = maps.to_html(maps.build_map(analysis, metric="no_4g_pct", lang="en"))
    assert "<img src=x" not in html  # escaped for HTML, then for the JSON inside <script>
    assert "\\u0026lt;img src=x onerror=alert(1)\\u0026gt;" in html
    table = pd.read_csv(io.BytesIO(export.csv_bytes(analysis, lang="en")), encoding="utf-8-sig")
    assert HOSTILE in set(table["Commune"])


def test_import_report_csv_escapes_formulas_and_lists_every_problem(tmp_path):
    _, problems = imported(
        tmp_path,
        "s.csv",
        "site_id,lat,lon,carrier,technologies\n"
        '=HYPERLINK("http://x"),abc,106.8,Viettel,4G\n'
        "b,16.7,106.8,@SUM(A1),4G\n",
    )
    report = pd.read_csv(
        io.BytesIO(importing.report_csv(problems)), encoding="utf-8-sig", dtype=str
    )
    assert list(report.columns) == list(importing.REPORT_COLUMNS)
    assert len(report) == len(problems) == 2
    assert report["value"].tolist() == ["abc", "'@SUM(A1)"]
    assert set(report["severity"]) == {"error"} and report["row"].tolist() == ["2", "3"]


# --- CLI ------------------------------------------------------------------------------------------------


def test_cli_per_layer_file_with_errors_exits_2_and_writes_the_report(tmp_path, capsys):
    sites = tmp_path / "tram.csv"
    sites.write_text(
        "Mã trạm;Vĩ độ;Kinh độ;Nhà mạng;Công nghệ\nA;abc;106,8;Viettel;4G\n"
        "B;16,7;106,8;Viettell;4G\n",
        encoding="utf-8",
    )
    report = tmp_path / "import_report.csv"
    code = main(
        [
            "report",
            "--sites",
            str(sites),
            "--out",
            str(tmp_path / "out"),
            "--import-report",
            str(report),
        ]
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "tram.csv, row 2, column 'Vĩ độ': not a coordinate" in err  # the user's own column
    assert "tram.csv, row 3, column 'Nhà mạng': not one of Viettel" in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()
    table = pd.read_csv(report, encoding="utf-8-sig", dtype=str)
    assert table[["file", "row", "column"]].values.tolist() == [
        ["tram.csv", "2", "Vĩ độ"],
        ["tram.csv", "3", "Nhà mạng"],
    ]
    assert table["reason"].str.startswith(("not a coordinate", "not one of")).all()  # English


def test_cli_options_override_the_folder_and_warnings_go_to_the_report(tmp_path):
    internet = tmp_path / "diem_internet.csv"
    internet.write_text(
        'Mã điểm,Tọa độ,Loại\nP1,"16.4341, 106.9926",Điểm hỗ trợ\n'
        'P2,"106.88, 16.70",Đại lý internet\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["report", "--internet", str(internet), "--out", str(out)]) == 0
    table = pd.read_csv(out / "import_report.csv", encoding="utf-8-sig", dtype=str)
    assert table[["severity", "row", "column"]].values.tolist() == [["warning", "3", "Tọa độ"]]
    communes = pd.read_csv(out / "communes.csv", encoding="utf-8-sig", dtype=str)
    assert (communes["Có điểm hỗ trợ theo TT 03"] == "có").sum() == 1


# --- real files of ../shared ------------------------------------------------------------------------


def test_real_derived_13_communes(shared_raw):
    path = shared_raw / "derived" / "dakrong_communes_13_derived.geojson"
    ds = loading.load_dataset(DAKRONG, overrides={"communes": path}, strict=False)
    assert len(ds.communes) == 13 and set(ds.communes["code"]) >= {"19555", "19588", "19594"}
    assert ds.communes["population"].sum() == pytest.approx(29166, abs=2000)  # 2009 census
    repaired = [p for p in ds.problems if "repaired" in p.reason]
    assert len(repaired) == 3 and all(p.severity == "warning" for p in ds.problems)
    analysis = gaps.analyse(ds)
    stats = analysis.communes
    assert len(stats) == 13 and stats["area_km2"].sum() == pytest.approx(1228, rel=0.02)
    assert ((stats["no_4g_pct"] >= 0) & (stats["no_4g_pct"] <= 100)).all()
    assert stats["gap_score"].notna().all()


def test_real_census_2009_communes_joined_by_name(shared_raw):
    path = shared_raw / "censusvn2009" / "dakrong_communes_2009_lowres.geojson"
    ds = loading.load_dataset(DAKRONG, overrides={"communes": path}, strict=False)
    assert len(ds.communes) == 13  # 14 features, Hải Phúc (merged into Ba Lòng) unmatched
    (unmatched,) = [p for p in ds.problems if p.is_error]
    assert unmatched.value == "Xã Hải Phúc" and "no commune of this name" in unmatched.reason
    assert dict(zip(ds.communes["name"], ds.communes["code"]))["Xã Tà Rụt"] == "19588"
    for vintage, n in (("legacy", 13), ("2025", 5)):
        stats = gaps.analyse(ds, vintage=vintage).communes
        assert len(stats) == n and stats["mobile_covered_pct"].between(0, 100).all()


def test_real_province_and_district_polygons(shared_raw):
    path = shared_raw / "dvhcvn" / "quangtri_province_districts_gis_chinhphu.geojson"
    ds = loading.load_dataset(DAKRONG, overrides={"communes": path}, strict=False)
    assert len(ds.communes) == 11 and [p for p in ds.problems if p.is_error] == []
    stats = gaps.analyse(ds).communes.set_index("code")
    # Đakrông's (illustrative) sites cover part of district 467 only
    assert stats.at["467", "mobile_covered_pct"] > 30
    assert stats.at["461", "mobile_covered_pct"] == pytest.approx(0, abs=1)


def test_real_files_are_not_modified(shared_raw):
    path = shared_raw / "censusvn2009" / "dakrong_communes_2009_lowres.geojson"
    before = path.read_bytes()
    importing.import_layer(path, "communes")
    assert path.read_bytes() == before


# --- problems in the user's own words: their column, the reader's language ------------------------


def test_problems_name_the_users_own_column_and_read_in_either_language(tmp_path):
    text = (
        "Mã trạm;Vĩ độ;Kinh độ;Nhà mạng;Công nghệ;Độ cao (m)\n"
        "A1;abc;106,88;VTL;4G;30\n"
        "A2;16,7;106,88;Viettell;4G;-3\n"
        "A3;16,7;106,9;VTL;4G;\n"
    )
    gdf, problems = imported(tmp_path, "tram.csv", text)
    assert list(gdf["site_id"]) == ["A3"]
    assert [(p.row, p.column) for p in problems] == [
        (2, "Vĩ độ"),
        (3, "Nhà mạng"),
        (3, "Độ cao (m)"),
    ]
    assert [p.text("vi") for p in problems] == [
        "không phải toạ độ (dùng độ thập phân như 16.7061 hoặc độ-phút-giây như 16°42'23.5\"N)",
        "không phải một trong Viettel, VinaPhone, MobiFone, Vietnamobile, other (hiểu được cả "
        "tên viết tắt như VTL, VNPT, Vina, MBF; ghi 'other' cho nhà mạng khác)",
        "phải ≥ 0",
    ]
    assert problems[2].text("en") == problems[2].reason == "must be ≥ 0"


def test_one_coordinate_column_is_named_as_the_user_wrote_it(tmp_path):
    text = 'Mã điểm,Tọa độ,Loại\nP1,"16.7, 200",Điểm hỗ trợ\nP2,"16.7, 106.9, 3",Điểm hỗ trợ\n'
    _, problems = imported(tmp_path, "diem.csv", text, "internet_points")
    assert sorted((p.row, p.column, p.text("vi")) for p in problems) == [
        (2, "Tọa độ", "nằm ngoài ±180°"),
        (3, "Tọa độ", "cần hai toạ độ 'vĩ độ, kinh độ' (ví dụ 16.7061, 106.8827)"),
    ]


def test_a_file_that_cannot_be_read_says_why_in_vietnamese(tmp_path):
    _, problems = imported(tmp_path, "sites.csv", b"\x00\x81\x8d\x8f\x90\x9d" * 50)
    assert [(p.file, p.row, p.column) for p in problems] == [("sites.csv", None, None)]
    assert problems[0].text("vi") == (
        "không đọc được: văn bản không phải UTF-8, UTF-16, "
        "Windows-1258 hay Windows-1252; hãy lưu tệp dạng CSV UTF-8"
    )


def test_report_csv_in_the_apps_language_matches_its_table(tmp_path):
    _, problems = imported(
        tmp_path, "tram.csv", "Mã trạm;Vĩ độ;Kinh độ;Nhà mạng;Công nghệ\nA;=1+1;106,8;Viettel;4G\n"
    )
    vi = pd.read_csv(
        io.BytesIO(importing.report_csv(problems, lang="vi")), encoding="utf-8-sig", dtype=str
    )
    assert list(vi.columns) == ["Mức độ", "Tệp", "Dòng", "Cột", "Giá trị", "Lý do"]
    assert vi.values.tolist() == [
        ["lỗi", "tram.csv", "2", "Vĩ độ", "'=1+1", problems[0].text("vi")]
    ]
    assert vi["Lý do"][0].startswith("không phải toạ độ")
    en = pd.read_csv(io.BytesIO(importing.report_csv(problems)), encoding="utf-8-sig", dtype=str)
    assert en.values.tolist() == [
        ["error", "tram.csv", "2", "Vĩ độ", "'=1+1", problems[0].reason]
    ]  # the CLI's report stays English


def test_refusals_are_markdown_lines_whose_names_stay_text():
    problems = [
        Problem("a_b*[x](javascript:y).csv", None, None, None, reason("file_empty")),
        Problem("ok.csv", 3, "lat", "x", reason("not_number")),
    ]  # a row: not a refusal
    assert importing.refusals(problems, lang="vi") == [
        "**a\\_b\\*\\[x\\]\\(javascript:y\\)\\.csv**: tệp rỗng"
    ]
