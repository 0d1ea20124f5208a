"""OpenCellID cell lists as BTS sites: co-located cells merged per carrier, foreign MCCs and bad
rows reported by file, row and column, unmodelled operators kept as "other" with a warning, and
`python -m geo report --sites` with an export."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import shapely
from builders import UTM48N, X0, Y0

from geo.io import importing
from geo.io import loading
from geo.cli import main
from geo.io import opencellid

HEADER = ",".join(opencellid.HEADER)


def lonlat(dx: float, dy: float) -> tuple[float, float]:
    import geopandas as gpd

    p = gpd.GeoSeries([shapely.Point(X0 + dx, Y0 + dy)], crs=UTM48N).to_crs(4326).iloc[0]
    return p.x, p.y


def export(tmp_path, rows: list[str]):
    path = tmp_path / "cell_towers.csv"
    path.write_text(HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


def row(radio, mcc, net, cell, dx, dy, rng=1000, samples=5):
    lon, lat = lonlat(dx, dy)
    return f"{radio},{mcc},{net},100,{cell},0,{lon:.7f},{lat:.7f},{rng},{samples},1,1,2,0"


@pytest.fixture
def cells(tmp_path):
    return export(
        tmp_path,
        [
            row("GSM", 452, 4, 1, 0, 0, 3000, 4),  # row 2: Viettel mast …
            row("LTE", 452, 4, 2, 60, 0, 1500, 10),  # row 3: … 60 m away: same site
            row("UMTS", 452, 4, 3, 150, 0, 900, 1),  # row 4: 90 m from row 3: chained in
            row("LTE", 452, 2, 4, 0, 0, 2000, 3),  # row 5: VinaPhone at the same spot
            row("LTE", 452, 4, 5, 1000, 0, 800, 2),  # row 6: Viettel 1 km away: own site
            row("LTE", 460, 0, 6, 0, 0),  # row 7: China
            row("CDMA", 452, 4, 7, 0, 0),  # row 8: no CDMA in Viet Nam
            "LTE,452,4,100,8,0,abc,16.5,1000,1,1,1,2,0",  # row 9: bad longitude
            row("LTE", 452, 99, 9, 0, 0),  # row 10: unknown network code
            row("NR", 452, 7, 10, 5000, 0, 500, 1),  # row 11: Gmobile: "other", warned
        ],
    )


def test_cells_merge_into_sites(cells):
    result = importing.import_layer(cells, "bts_sites")
    sites = result.layer.set_index("site_id")
    assert list(sites.index) == [
        "OCID-452-04-100-1",
        "OCID-452-02-100-4",
        "OCID-452-04-100-5",
        "OCID-452-07-100-10",
    ]
    viettel = sites.loc["OCID-452-04-100-1"]
    assert viettel["technologies"] == "2G;3G;4G"
    assert viettel["cells"] == 3 and viettel["samples"] == 15 and viettel["range_m"] == 3000
    # at the cells' mean position in UTM: 70 m east of the first
    import geopandas as gpd

    at = gpd.GeoSeries([viettel.geometry], crs=4326).to_crs(UTM48N).iloc[0]
    assert (at.x - X0, at.y - Y0) == pytest.approx((70.0, 0.0), abs=0.05)
    assert sites.loc["OCID-452-02-100-4", "carrier"] == "VinaPhone"
    assert sites.loc["OCID-452-07-100-10", "carrier"] == "other"
    assert sites.loc["OCID-452-07-100-10", "technologies"] == "5G"
    assert (sites["position_source"] == "opencellid").all() and not sites["illustrative"].any()


def test_foreign_and_bad_rows_reported(cells):
    problems = importing.import_layer(cells, "bts_sites").problems
    errors = {(p.row, p.column) for p in problems if p.is_error}
    assert errors == {(7, "mcc"), (8, "radio"), (9, "lon"), (10, "net")}
    assert all(p.file == "cell_towers.csv" for p in problems)
    warnings = [p for p in problems if not p.is_error]
    assert any(p.row == 11 and "Gmobile (452-07)" in p.reason for p in warnings)
    label = [p for p in warnings if p.row is None]
    assert len(label) == 1 and "crowd-sourced, approximate positions" in label[0].reason
    assert "6 cells merged into 4 sites" in label[0].reason
    assert "vị trí do cộng đồng đóng góp" in label[0].text("vi")


def test_merge_distance_is_a_setting():
    cells = pd.DataFrame(
        {
            "carrier": ["Viettel"] * 2,
            "technology": ["2G", "4G"],
            "net": [4, 4],
            "area": ["1", "1"],
            "cell": ["1", "2"],
            "lon": [lonlat(0, 0)[0], lonlat(150, 0)[0]],
            "lat": [lonlat(0, 0)[1], lonlat(150, 0)[1]],
            "range_m": [np.nan, np.nan],
            "samples": [1.0, 1.0],
            "row": [2, 3],
        }
    )
    assert len(opencellid.merge_cells(cells, merge_m=100)) == 2
    assert len(opencellid.merge_cells(cells, merge_m=200)) == 1


def test_report_reads_an_opencellid_export(tmp_path, capsys):
    lon, lat = 106.88625, 16.687083  # in Đakrông
    path = export(
        tmp_path,
        [
            f"LTE,452,4,1,1,0,{lon},{lat},1000,3,1,1,2,0",
            f"GSM,452,4,1,2,0,{lon + 0.0003},{lat},3000,3,1,1,2,0",
            f"LTE,452,1,1,3,0,{lon},{lat},1000,3,1,1,2,0",
            f"LTE,234,10,1,4,0,{lon},{lat},1000,3,1,1,2,0",
        ],
    )
    dataset = loading.load_dataset(
        loading.settings.DEFAULT_DATA_DIR, strict=False, overrides={"bts_sites": path}
    )
    assert list(dataset.bts_sites["technologies"]) == ["2G;4G", "4G"]
    out = tmp_path / "out"
    code = main(["report", "--sites", str(path), "--out", str(out), "--lang", "en"])
    assert code == 2  # a foreign row is an error: the report refuses, naming it
    assert "cell_towers.csv, row 5, column 'mcc'" in capsys.readouterr().err
    path.write_text(
        "\n".join(path.read_text(encoding="utf-8").splitlines()[:-1]) + "\n", encoding="utf-8"
    )
    assert main(["report", "--sites", str(path), "--out", str(out), "--lang", "en"]) == 0
    report = pd.read_csv(out / "import_report.csv", encoding="utf-8-sig")
    assert report["reason"].str.contains("crowd-sourced, approximate positions").any()
    assert (out / "communes.csv").exists()


def test_app_upload_of_an_export_is_labelled(tmp_path):
    from geo import settings
    from geo.io import uploads

    lon, lat = 106.88625, 16.687083
    data = (
        HEADER + "\n" + f"LTE,452,4,1,1,0,{lon},{lat},1000,3,1,1,2,0\n"
        f"UMTS,452,4,1,2,0,{lon},{lat + 0.0002},900,2,1,1,2,0\n"
        f"LTE,457,1,1,3,0,{lon},{lat},1000,3,1,1,2,0\n"
    ).encode()
    upload = uploads.review_upload(
        {"bts_sites": ("cell_towers.csv", data)}, default_dir=settings.DEFAULT_DATA_DIR
    )
    sites = upload.dataset.bts_sites
    assert list(sites["technologies"]) == ["3G;4G"] and list(sites["cells"]) == [2]
    problems = upload.dataset.problems
    assert any(p.row == 4 and p.column == "mcc" and p.is_error for p in problems)
    assert any("vị trí do cộng đồng đóng góp, chỉ gần đúng" in p.text("vi") for p in problems)
