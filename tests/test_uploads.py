"""Safe uploads: size bounds, zip members checked, nothing outside a temporary folder, the user's
files never changed, an uploaded dataset replacing the default."""

from __future__ import annotations

import hashlib
import io
import random
import zipfile
from pathlib import Path

import pytest
from corpus.make_corpus import cp1258

from geo.io import loading, uploads
from geo.errors import PhusongError
from geo.io.uploads import Limits, UploadError

REPO = Path(__file__).resolve().parents[1]
DAKRONG = REPO / "data" / "dakrong"


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def fingerprint(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_size_limit_and_empty_upload():
    with pytest.raises(UploadError, match="larger than the limit of 0 MB"):
        uploads.check_size(b"x" * 20, name="big.csv", limits=Limits(max_upload_bytes=10))
    with pytest.raises(UploadError, match="the file is empty"):
        uploads.check_size(b"", name="empty.csv")
    assert issubclass(UploadError, PhusongError)


def test_zip_bomb_refused_before_extraction(tmp_path):
    bomb = zip_bytes({"communes.geojson": b"\0" * 2_000_000})
    assert len(bomb) < 10_000
    with pytest.raises(UploadError, match=r"expands to 2\.0 MB; the limit is 1 MB \(zip bomb\?\)"):
        uploads.extract_zip(
            bomb, tmp_path, name="bomb.zip", limits=Limits(max_expanded_bytes=1_000_000)
        )
    assert list(tmp_path.iterdir()) == []


def test_every_unsafe_member_is_listed_and_nothing_is_written(tmp_path):
    dest = tmp_path / "dest"
    dest.mkdir()
    data = zip_bytes(
        {
            "../escape.csv": b"x",
            "/abs.csv": b"x",
            "ok/communes.geojson": b"{}",
            "a/../../b.csv": b"x",
        }
    )
    with pytest.raises(UploadError) as err:
        uploads.extract_zip(data, dest, name="evil.zip")
    reasons = [(p.value, p.reason) for p in err.value.problems]
    assert reasons == [
        ("../escape.csv", "path goes outside the zip folder ('..')"),
        ("/abs.csv", "absolute path: members must be relative"),
        ("a/../../b.csv", "path goes outside the zip folder ('..')"),
    ]
    assert "nothing extracted" in str(err.value)
    assert list(dest.iterdir()) == [] and not (tmp_path / "escape.csv").exists()


def test_member_limit(tmp_path):
    data = zip_bytes({f"f{i}.csv": b"x" for i in range(6)})
    with pytest.raises(UploadError, match="the zip holds 6 members; the limit is 5"):
        uploads.extract_zip(data, tmp_path, name="many.zip", limits=Limits(max_members=5))


def test_safe_members_extract_inside_the_folder_and_macos_junk_is_skipped(tmp_path):
    data = zip_bytes(
        {
            "dakrong/communes.geojson": b"{}",
            "__MACOSX/dakrong/._communes.geojson": b"x",
            "dakrong/./sub/x.csv": b"a",
        }
    )
    written = uploads.extract_zip(data, tmp_path, name="ok.zip")
    assert sorted(str(p.relative_to(tmp_path)) for p in written) == [
        "dakrong/communes.geojson",
        "dakrong/sub/x.csv",
    ]


def test_legacy_encoded_member_names_are_decoded():
    info = zipfile.ZipInfo(cp1258("Tà Rụt.csv").decode("cp437"))
    assert uploads.member_name(info) == "Tà Rụt.csv"
    info = zipfile.ZipInfo("Tà Rụt.csv".encode().decode("cp437"))  # UTF-8, flag unset
    assert uploads.member_name(info) == "Tà Rụt.csv"


@pytest.mark.parametrize(
    "name,expected",
    [
        ("../../etc/passwd.csv", "passwd.csv"),
        ("C:\\Users\\me\\trạm BTS.xlsx", "trạm BTS.xlsx"),
        ("..", "bts_sites"),
        ("<img src=x>.csv", "img srcx.csv"),
        (".hidden", "hidden"),
    ],
)
def test_uploaded_names_never_become_paths(name, expected):
    assert uploads.safe_filename(name, stem="bts_sites") == expected


def test_staged_uploads_live_in_a_temporary_folder_only(tmp_path):
    before = fingerprint(DAKRONG)
    with uploads.staged(
        {"bts_sites": ("../../sites.csv", b"site_id,lat,lon\n")}, default_dir=DAKRONG
    ) as (folder, overrides):
        staged_file = overrides["bts_sites"]
        assert folder == DAKRONG and staged_file.read_bytes() == b"site_id,lat,lon\n"
        assert staged_file.name == "sites.csv" and "phusong-upload-" in str(staged_file)
    assert not staged_file.exists() and not staged_file.parent.exists()
    assert fingerprint(DAKRONG) == before


def test_uploaded_layer_replaces_the_default_one(tmp_path):
    sites = "Mã trạm,Vĩ độ,Kinh độ,Nhà mạng,Công nghệ\nU1,16.70,106.88,VTL,4G\nU2,x,106.9,VTL,4G\n"
    ds = uploads.import_uploads({"bts_sites": ("tram.csv", sites.encode())}, default_dir=DAKRONG)
    assert list(ds.bts_sites["site_id"]) == ["U1"]
    assert len(ds.communes) == 13 and len(ds.loudspeakers) > 100  # the rest from the default
    assert [str(p) for p in ds.problems] == [
        "tram.csv, row 3, column 'Vĩ độ': not a coordinate (use decimal degrees such as 16.7061 or "
        "degrees-minutes-seconds such as 16°42'23.5\"N) (value 'x')"
    ]
    assert ds.name.endswith("+ tram.csv")
    assert ds.sources[-1] == {"vi": "Tải lên: tram.csv", "en": "Uploaded: tram.csv"}


def test_uploaded_dataset_zip_with_a_top_folder():
    members = {f"my_data/{p.name}": p.read_bytes() for p in DAKRONG.iterdir()}
    ds = uploads.import_uploads(
        {}, folder_zip=("my_data.zip", zip_bytes(members)), default_dir=DAKRONG
    )
    assert len(ds.communes) == 13 and ds.problems == [] and uploads.usable(ds)


def test_a_layer_file_without_a_usable_row_refuses_the_whole_upload():
    with pytest.raises(UploadError) as err:
        uploads.import_uploads({"communes": ("xa.csv", b"code,name\n1,a\n")}, default_dir=DAKRONG)
    first, *rest = err.value.problems
    assert (first.file, first.row) == ("xa.csv", None)
    assert first.reason.startswith("no usable row (required column 'lat' is missing")
    assert "nothing was applied and the previous data stays" in first.reason
    assert [p.file for p in rest] == ["xa.csv"]  # lon, said once beside the refusal
    assert first.text("vi").startswith("không có dòng nào dùng được (thiếu cột bắt buộc 'lat'")


def test_unsafe_dataset_zip_raises_upload_error():
    with pytest.raises(UploadError, match="path goes outside"):
        uploads.import_uploads(
            {}, folder_zip=("x.zip", zip_bytes({"../a.csv": b"x"})), default_dir=DAKRONG
        )


def test_digest_depends_on_content_only():
    a = uploads.digest({"bts_sites": ("a.csv", b"1")})
    assert a == uploads.digest({"bts_sites": ("a.csv", b"1")})
    assert a != uploads.digest({"bts_sites": ("a.csv", b"2")})


# --- an upload that would wipe or gut a layer --------------------------------------------------


def test_random_bytes_refuse_the_whole_upload_naming_the_file_and_why():
    noise = random.Random(0).randbytes(4096)
    with pytest.raises(UploadError) as err:
        uploads.review_upload({"bts_sites": ("sites.csv", noise)}, default_dir=DAKRONG)
    assert [(p.file, p.row) for p in err.value.problems] == [("sites.csv", None)]
    refusal = err.value.problems[0]
    assert refusal.reason.startswith("no usable row (cannot be read: ")
    assert refusal.text("vi").startswith("không có dòng nào dùng được (không đọc được: ")
    assert "sites.csv" in str(err.value)


def test_a_header_without_rows_is_refused_too():
    with pytest.raises(UploadError) as err:
        uploads.review_upload(
            {"loudspeakers": ("loa.csv", b"id,lat,lon,kind\n")}, default_dir=DAKRONG
        )
    assert [p.reason for p in err.value.problems] == [
        "no usable row (the file holds no data row): the whole file is refused, nothing was "
        "applied and the previous data stays"
    ]


def test_a_zipped_folder_without_a_layer_is_refused_without_temporary_paths():
    members = {
        p.name: p.read_bytes()
        for p in DAKRONG.iterdir()
        if not p.name.startswith("internet_points")
    }
    with pytest.raises(UploadError) as err:
        uploads.review_upload({}, folder_zip=("mine.zip", zip_bytes(members)), default_dir=DAKRONG)
    assert [p.file for p in err.value.problems] == ["internet_points.*"]
    assert "layer 'internet_points' is missing" in err.value.problems[0].reason


SITES = "Mã trạm,Vĩ độ,Kinh độ,Nhà mạng,Công nghệ\n"


def test_a_layer_that_keeps_under_half_its_rows_in_use_asks_for_confirmation():
    previous = loading.load_dataset(DAKRONG)  # 28 BTS sites
    one = uploads.review_upload(
        {"bts_sites": ("t.csv", (SITES + "U1,16.7,106.88,VTL,4G\n").encode())},
        default_dir=DAKRONG,
        previous=previous,
    )
    assert one.changes == (uploads.LayerChange("bts_sites", "t.csv", 1, 0, 28),)
    assert one.to_confirm == one.changes  # 1 < 14
    assert one.to_confirm[0].text("en") == "BTS sites: 28 rows in use → 1 row after the upload"
    assert one.to_confirm[0].text("vi") == "Trạm BTS: 28 dòng đang dùng → 1 dòng sau khi tải lên"
    rows = "".join(f"U{i},16.{i:02d},106.88,VTL,4G\n" for i in range(14))  # 14 = half of 28
    half = uploads.review_upload(
        {"bts_sites": ("t.csv", (SITES + rows).encode())}, default_dir=DAKRONG, previous=previous
    )
    assert half.changes[0].rows == 14 and half.to_confirm == ()


def test_a_file_whose_rows_are_mostly_bad_asks_for_confirmation():
    bad = SITES + "U1,16.7,106.88,VTL,4G\nU2,x,106.88,VTL,4G\nU3,y,106.88,VTL,4G\n"
    upload = uploads.review_upload({"bts_sites": ("t.csv", bad.encode())}, default_dir=DAKRONG)
    change = upload.changes[0]
    assert (change.rows, change.left_out, change.in_file, change.before) == (1, 2, 3, None)
    assert upload.to_confirm == (change,)  # 1 of 3 usable
    assert change.text("en") == "BTS sites: only 1 of the 3 data rows of t.csv are usable"
    good = SITES + "U1,16.7,106.88,VTL,4G\nU2,16.8,106.88,VTL,4G\nU3,y,106.88,VTL,4G\n"
    assert (
        uploads.review_upload(
            {"bts_sites": ("t.csv", good.encode())}, default_dir=DAKRONG
        ).to_confirm
        == ()
    )  # 2 of 3


def test_the_same_dataset_zipped_needs_no_confirmation():
    members = {p.name: p.read_bytes() for p in DAKRONG.iterdir()}
    upload = uploads.review_upload(
        {},
        folder_zip=("same.zip", zip_bytes(members)),
        default_dir=DAKRONG,
        previous=loading.load_dataset(DAKRONG),
    )
    assert sorted(c.layer for c in upload.changes) == sorted(loading.LAYERS[:4])
    assert all(c.rows == c.before > 0 for c in upload.changes) and upload.to_confirm == ()


# --- a population grid (GeoTIFF) uploaded beside the layers --------------------------------------


def geotiff(
    tmp_path, values, *, crs="EPSG:4326", west=106.6, north=16.95, cell=0.01, nodata=-99999.0
) -> bytes:
    """A GeoTIFF of ``values`` (people per cell) with its top-left corner at (west, north)."""
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin

    values = np.asarray(values, dtype=np.float32)
    path = tmp_path / "grid.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=values.shape[1],
        height=values.shape[0],
        count=1,
        dtype="float32",
        crs=crs,
        nodata=nodata,
        transform=from_origin(west, north, cell, cell),
    ) as dst:
        dst.write(values, 1)
    return path.read_bytes()


def test_an_uploaded_population_grid_is_used_with_the_default_layers(tmp_path):
    import numpy as np

    # 10 people in every 0.01° cell over the whole district (106.6–107.2° E, 16.35–16.95° N)
    data = geotiff(tmp_path, np.full((60, 60), 10.0))
    upload = uploads.review_upload({"population": ("dan_so.tif", data)}, default_dir=DAKRONG)
    grid = upload.dataset.population
    assert grid is not None and grid.name == "dan_so.tif"
    assert np.nanmax(grid.values) == 10.0
    assert upload.changes == ()  # a grid has no rows to confirm
    assert upload.dataset.sources[-1] == {"vi": "Tải lên: dan_so.tif", "en": "Uploaded: dan_so.tif"}
    assert len(upload.dataset.communes) == 13


@pytest.mark.parametrize(
    "case, why",
    [
        ("no_crs", "declares no coordinate reference system"),
        ("far_away", "does not overlap the communes"),
        ("all_nodata", "holds only nodata over the communes"),
        ("negative", "negative"),
        ("not_a_tiff", "cannot be read as a GeoTIFF population grid"),
    ],
)
def test_a_population_grid_that_cannot_be_used_refuses_the_upload_naming_the_file(
    tmp_path, case, why
):
    import numpy as np

    data = {
        "no_crs": lambda: geotiff(tmp_path, np.full((60, 60), 10.0), crs=None),
        "far_away": lambda: geotiff(tmp_path, np.full((5, 5), 10.0), west=2.0, north=48.0),
        "all_nodata": lambda: geotiff(tmp_path, np.full((60, 60), -99999.0)),
        "negative": lambda: geotiff(tmp_path, np.full((60, 60), -3.0)),
        "not_a_tiff": lambda: random.Random(3).randbytes(2048),
    }[case]()
    with pytest.raises(UploadError) as err:
        uploads.review_upload(
            {
                "population": ("pop.tif", data),
                "bts_sites": ("tram.csv", (DAKRONG / "bts_sites.csv").read_bytes()),
            },
            default_dir=DAKRONG,
        )
    [problem] = err.value.problems
    assert problem.file == "pop.tif" and problem.row is None
    assert why in problem.text("en"), problem.text("en")
    assert "pop.tif" in str(err.value)
