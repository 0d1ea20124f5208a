"""`python -m geo report` end to end on the embedded Đakrông default, and its failures."""

import json
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo.analysis import gaps
from geo.io import loading
from geo import settings
from geo.cli import main

REPO = Path(__file__).resolve().parents[1]
FILES = (
    "communes.csv",
    "communes.xlsx",
    "settings.csv",
    "gaps.geojson",
    "gaps.gpkg",
    "map.html",
    "map.png",
    "map.pdf",
    "report.pdf",
)
# the columns of communes.csv before the settings sidecar: readers of the file rely on them
CSV_HEADER = (
    "Thứ hạng thiếu hụt,Mã xã,Tên xã,Diện tích (km²),Dân số,Dân số theo ô lưới,"
    "Nguồn dân số,Có sóng di động (%),Có 4G (%),Có 3G (%),Có 2G (%),Có 5G (%),"
    "Sóng Viettel (%),Sóng VinaPhone (%),Sóng MobiFone (%),Trong vùng loa (%),"
    "Gần điểm internet (%),Không có dịch vụ nào (%),Chỉ có 2G/3G (%),"
    "Số người chưa có 4G,Số người không có sóng,Số người ngoài vùng loa,"
    '"Số người ngoài vùng loa, thấp nhất","Số người ngoài vùng loa, cao nhất",'
    'Số người xa điểm internet,"Số người xa điểm internet, thấp nhất",'
    '"Số người xa điểm internet, cao nhất",Số người không có dịch vụ nào,'
    "Số người chỉ có 2G/3G,Cần điểm hỗ trợ theo TT 03,Có điểm hỗ trợ theo TT 03,"
    "Số điểm hỗ trợ TT 03,Điểm thiếu hụt"
)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = subprocess.run(
        [sys.executable, "-m", "geo", "report", "--out", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return out, result.stderr


def test_report_writes_every_file_with_progress(report):
    out, stderr = report
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    assert "[9/9] report.pdf" in stderr and "illustrative" in stderr


def test_table_has_13_communes_vietnamese_headers_and_sane_shares(report):
    out, _ = report
    table = pd.read_csv(out / "communes.csv", encoding="utf-8-sig", dtype={"Mã xã": str})
    assert len(table) == 13
    assert "Tà Rụt" in " ".join(table["Tên xã"])
    assert list(table["Thứ hạng thiếu hụt"]) == list(range(1, 14))
    for column in ("Có 4G (%)", "Trong vùng loa (%)", "Gần điểm internet (%)"):
        assert table[column].between(0, 100).all()
    assert table["Dân số"].sum() == 46140  # csdldautu.quangtri.gov.vn district total
    xlsx = pd.read_excel(out / "communes.xlsx", sheet_name=None)
    assert list(xlsx) == ["Các xã", "Ghi chú", "Thiết lập"]
    assert (out / "communes.csv").read_text(encoding="utf-8-sig").splitlines()[0] == CSV_HEADER


def test_gap_layers_are_valid_wgs84(report):
    out, _ = report
    data = json.loads((out / "gaps.geojson").read_text(encoding="utf-8"))
    kinds = {f["properties"]["gap"] for f in data["features"]}
    assert kinds <= set(settings.GAP_KINDS) and "no_4g" in kinds
    lon, lat = data["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 106.5 < lon < 107.3 and 16.2 < lat < 16.9


def feature_collections(html: str) -> list[dict]:
    """The GeoJSON FeatureCollections a folium page embeds (``….addData({...})`` calls)."""
    decoder = json.JSONDecoder()
    return [decoder.raw_decode(html, m.start(1))[0] for m in re.finditer(r'_add\((\{"bbox")', html)]


def test_every_exported_geometry_is_valid(report):
    import pyogrio
    from shapely.geometry import shape

    out, _ = report
    checked = 0
    for path in sorted([*out.glob("*.geojson"), *out.glob("*.gpkg")]):
        for layer, geometry_type in pyogrio.list_layers(path):
            if geometry_type is None:  # the settings table
                continue
            frame = gpd.read_file(path, layer=layer)
            bad = frame[~frame.is_valid]
            assert bad.empty, (
                f"{path.name}:{layer}: {len(bad)} invalid, e.g. "
                f"{shapely.is_valid_reason(bad.geometry.iloc[0])}"
            )
            assert set(frame.geom_type) <= {"Polygon", "MultiPolygon"}
            checked += len(frame)
    n_gaps = len(gpd.read_file(out / "gaps.geojson"))
    assert n_gaps > 50 and checked == n_gaps + n_gaps + 13  # gaps.geojson, gaps.gpkg (+communes)
    collections = feature_collections((out / "map.html").read_text(encoding="utf-8"))
    shapes = [shape(f["geometry"]) for fc in collections for f in fc["features"]]
    assert len(collections) == 7 and len(shapes) > 200  # with the population layer
    assert all(s.is_valid for s in shapes)


def test_gpkg_is_geopackage_1_3(report):
    header = (report[0] / "gaps.gpkg").read_bytes()[:100]
    assert header[68:72] == b"GPKG" and int.from_bytes(header[60:64], "big") == 10300


def test_settings_sidecar_and_report_pdf(report):
    from pypdf import PdfReader

    out, _ = report
    shown = pd.read_csv(out / "settings.csv", encoding="utf-8-sig", dtype=str).set_index("key")
    assert shown.at["carriers", "value"] == "all" and shown.at["radius_4G_m", "value"] == "3000"
    assert shown.at["model", "text"] == "Vòng tròn (bán kính cố định)"
    pages = [p.extract_text() for p in PdfReader(out / "report.pdf").pages]
    assert len(pages) == 1 + 13
    assert "Số liệu toàn huyện" in pages[0] and "Trang 1/14" in pages[0]
    assert all("Bộ lọc — nhà mạng: tất cả; công nghệ: tất cả" in p for p in pages)
    assert all("Nguồn dữ liệu" in p and "Vòng tròn (bán kính cố định)" in p for p in pages)
    assert "Hạng thiếu hụt 1/13" in pages[1] and "Hạng thiếu hụt 13/13" in pages[13]


def test_map_html_has_no_external_reference(report):
    html = (report[0] / "map.html").read_text(encoding="utf-8")
    # resources the page would load (a plain <a href> link inside Leaflet's code loads nothing)
    assert not re.findall(r"""<(?:script|img|iframe)[^>]*\ssrc\s*=\s*["']?(?:https?:)?//""", html)
    assert not re.findall(r"""<link[^>]*\shref\s*=\s*["']?(?:https?:)?//""", html)
    assert not re.findall(r"""url\(\s*["']?(?:https?:)?//""", html)
    assert "phusong-banner" in html  # the illustrative notice


def test_png_and_pdf_open_and_are_not_blank(report):
    from PIL import Image

    out, _ = report
    image = Image.open(out / "map.png").convert("RGB")
    assert image.width > image.height
    pixels = np.asarray(image, dtype=float)
    assert pixels.std() > 20
    pdf = (out / "map.pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 1


def test_english_2025_report(tmp_path):
    assert main(["report", "--vintage", "2025", "--lang", "en", "--out", str(tmp_path)]) == 0
    table = pd.read_csv(tmp_path / "communes.csv", encoding="utf-8-sig")
    assert len(table) == 5 and "Commune" in table.columns
    assert set(table["Commune"]) == {
        "Xã Hướng Hiệp",
        "Xã Đakrông",
        "Xã Ba Lòng",
        "Xã Tà Rụt",
        "Xã La Lay",
    }


def test_bad_input_exits_non_zero_with_file_row_column(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    for p in (REPO / "data/dakrong").iterdir():
        (data / p.name).write_bytes(p.read_bytes())
    sites = pd.read_csv(data / "bts_sites.csv", dtype=str)
    sites.loc[2, "carrier"] = "Viettell"  # spreadsheet row 4 (header is row 1)
    sites.to_csv(data / "bts_sites.csv", index=False)
    assert main(["report", "--data", str(data), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "bts_sites.csv, row 4, column 'carrier': not one of Viettel" in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_unknown_metric_is_a_clear_error(tmp_path, capsys):
    assert main(["report", "--metric", "nonsense", "--out", str(tmp_path)]) == 2
    assert "--metric 'nonsense' is not a commune column" in capsys.readouterr().err


def test_2025_communes_are_the_sum_of_their_legacy_parts():
    ds = loading.load_dataset(REPO / "data/dakrong")
    legacy = gaps.analyse(ds, vintage="legacy").communes.set_index("code")
    new = gaps.analyse(ds, vintage="2025").communes
    assert len(legacy) == 13 and len(new) == 5
    for _, unit in new.iterrows():
        parts = legacy.loc[unit["legacy_codes"].split(";")]
        assert unit["area_km2"] == pytest.approx(parts["area_km2"].sum(), rel=1e-6)
        assert unit["population"] == parts["population"].sum()
        covered = (parts["covered_4g_pct"] * parts["area_km2"]).sum() / parts["area_km2"].sum()
        assert unit["covered_4g_pct"] == pytest.approx(covered, rel=1e-6)
    assert sorted(new["name"]) == sorted(
        ["Xã Hướng Hiệp", "Xã Đakrông", "Xã Ba Lòng", "Xã Tà Rụt", "Xã La Lay"]
    )


def test_default_data_holds_the_seed_facts():
    ds = loading.load_dataset(REPO / "data/dakrong")
    kinds = ds.loudspeakers["kind"].value_counts()
    assert kinds["cluster"] == 141 and kinds["commune_station"] == 13
    assert kinds["district_station"] == 1
    shops = ds.internet_points[ds.internet_points["kind"] == "internet_shop"]
    assert len(shops) == 3
    communes = ds.communes.set_index("code")
    shop_communes = {communes.index[communes.contains(p)][0] for p in shops.geometry}
    assert shop_communes == {"19555", "19588"}  # Krông Klang town and Tà Rụt
    assert set(ds.bts_sites["carrier"]) == {"Viettel", "VinaPhone", "MobiFone"}
    with_4g = {
        communes.index[communes.contains(p)][0]
        for p in ds.bts_sites[ds.bts_sites["technologies"].str.contains("4G")].geometry
    }
    assert 7 <= len(with_4g) < 13  # "most", not all, communes
    assert ds.bts_sites["illustrative"].all() and ds.loudspeakers["illustrative"].all()
    assert ds.internet_points["illustrative"].all()


def test_grid_method_report_agrees_with_exact_within_a_point(tmp_path):
    exact_out, grid_out = tmp_path / "exact", tmp_path / "grid"
    assert main(["report", "--lang", "en", "--out", str(exact_out)]) == 0
    assert main(["report", "--lang", "en", "--method", "grid", "--out", str(grid_out)]) == 0
    exact = pd.read_csv(exact_out / "communes.csv", encoding="utf-8-sig").set_index("Commune code")
    grid = pd.read_csv(grid_out / "communes.csv", encoding="utf-8-sig").set_index("Commune code")
    share = [c for c in exact.columns if c.endswith("(%)")]
    assert share and (exact[share] - grid.loc[exact.index, share]).abs().max().max() <= 1.0


def test_report_with_settlements_writes_the_village_table(tmp_path):
    """A synthetic dataset with villages (tests/test_villages.py's): settlements.csv by village,
    the XLSX's sheet, the count of villages without signal in the notes; default radii."""
    import test_villages

    data, out = tmp_path / "data", tmp_path / "out"
    test_villages.write_folder(data)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "geo",
            "report",
            "--data",
            str(data),
            "--out",
            str(out),
            "--lang",
            "en",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    # the village far outside is kept, with a warning in the import report
    assert sorted(p.name for p in out.iterdir()) == sorted(
        FILES + ("settlements.csv", "import_report.csv")
    )
    assert "settlements.csv,8,lat/lon" in (out / "import_report.csv").read_text(
        encoding="utf-8-sig"
    )
    table = pd.read_csv(
        out / "settlements.csv",
        encoding="utf-8-sig",
        keep_default_na=False,
        dtype={"Commune code": str},
    ).set_index("Village")
    assert list(table.index) == ["a", "b", "c", "d", "ear", "deaf", "out"]
    assert table.loc["d", "Commune code"] == "2" and table.loc["d", "Commune"] == "A Vao"
    assert table.loc["b", "Population"] == 200
    # the report uses the default radii, which are tests/test_villages.py's: 4G 3 km, 2G 5 km
    assert settings.DEFAULT_RADIUS_M["4G"] == 3000 and settings.DEFAULT_RADIUS_M["2G"] == 5000
    assert (table.loc["a", "4G"], table.loc["b", "4G"], table.loc["b", "2G"]) == (
        "yes",
        "no",
        "yes",
    )
    assert (
        table.loc["c", "No mobile signal (lõm sóng)"],
        table.loc["a", "Viettel"],
        table.loc["b", "VinaPhone"],
    ) == ("yes", "yes", "yes")
    assert table.loc["ear", "Loudspeaker"] == "yes" and table.loc["deaf", "Loudspeaker"] == "no"
    assert table.loc["a", "Internet distance (m)"] == 3900  # a plain number
    assert table.loc["out", "Mobile signal"] == ""  # outside every commune: not known
    flagged = (table["No mobile signal (lõm sóng)"] == "yes").sum()
    xlsx = pd.read_excel(out / "communes.xlsx", sheet_name=None)
    assert list(xlsx) == ["Communes", "Notes", "Settings", "Villages"]
    assert len(xlsx["Villages"]) == 7
    assert any(f"lõm sóng): {flagged} of 6" in line for line in xlsx["Notes"]["Notes"])
    assert f"settlements.csv ({flagged} of 6 without mobile signal" in result.stderr


# --- the report for officials (geo.render.report_pdf) on a hand-made analysis --------------------------


def test_report_pdf_pages_figures_and_c03_status():
    import datetime as dt
    import io
    from dataclasses import replace

    from pypdf import PdfReader

    from geo.render import report_pdf
    from geo.settings import CoverageParams

    try:
        from maps_fixture import synthetic_analysis
    except ImportError:  # tests/ made a package
        from .maps_fixture import synthetic_analysis

    day = dt.date(2025, 7, 1)
    analysis = replace(
        synthetic_analysis(("A", "B", "C", "D", "E")), params=CoverageParams(carriers=("Viettel",))
    )
    pdf = report_pdf.render(analysis, metric="no_4g_pct", lang="en", date=day)
    assert pdf == report_pdf.render(analysis, metric="no_4g_pct", lang="en", date=day)
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) == 1 + 5
    assert "District figures" in pages[0] and "62.0" not in pages[0]
    # gap scores 62, 31, 8, 40, 12: A, D, B, E, C; C03 required for A (absent) and C (present)
    order = [re.search(r"^(\w) — ", p, re.M).group(1) for p in pages[1:]]
    assert order == ["A", "D", "B", "E", "C"]
    assert "Gap rank 1 of 5" in pages[1] and "Circular 03/2023: Required, none present" in pages[1]
    assert "Circular 03/2023: Support point present" in pages[5]
    assert "Circular 03/2023: Not required" in pages[2]
    assert "Gap score" in pages[1] and "62.0" in pages[1]  # A's own figures
    assert "People without 4G" in pages[1] and "2,800" in pages[1]  # 70 % of 4,000
    for number, text in enumerate(pages, 1):
        assert "Filters — carriers: Viettel; technologies: all" in text
        assert f"Page {number}/6" in text and "Date: 2025-07-01" in text


def test_report_pdf_keeps_the_largest_gaps_past_its_page_limit(monkeypatch):
    import io

    from pypdf import PdfReader

    from geo.render import report_pdf

    try:
        from maps_fixture import synthetic_analysis
    except ImportError:  # tests/ made a package
        from .maps_fixture import synthetic_analysis

    monkeypatch.setattr(report_pdf, "MAX_COMMUNE_PAGES", 2)
    pdf = report_pdf.render(synthetic_analysis(("A", "B", "C", "D", "E")), lang="en")
    pages = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    assert len(pages) == 1 + 2
    assert "the 2 communes with the largest gaps of 5" in pages[0]
    assert re.search(r"^A — ", pages[1], re.M) and re.search(r"^D — ", pages[2], re.M)
