"""Schema enforcement of dataset folders: every problem named by file, row and column."""

import json
import shutil

import geopandas as gpd
import pytest
import shapely

from geo.io import loading
from geo.errors import DataError, PhusongError

COMMUNES = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"code": "19588", "name": "Tà Rụt", "population": 4878},
            "geometry": shapely.geometry.mapping(shapely.box(106.96, 16.38, 107.05, 16.46)),
        },
        {
            "type": "Feature",
            "properties": {"code": "19594", "name": "A Ngo", "population": None},
            "geometry": shapely.geometry.mapping(shapely.box(106.95, 16.30, 107.03, 16.38)),
        },
    ],
}
BTS = (
    "site_id,lat,lon,carrier,technologies,height_m\n"
    "a,16.42,107.00,Viettel,3G;4G,30\n"
    "b,16.35,106.99,vinaphone,2G/3G,\n"
)
LOUD = "id,lat,lon,kind,radius_m\nl1,16.42,107.0,cluster,\n"
NET = "id,lat,lon,kind\nn1,16.42,107.0,internet_shop\n"


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "communes.geojson").write_text(json.dumps(COMMUNES), encoding="utf-8")
    (tmp_path / "bts_sites.csv").write_text(BTS, encoding="utf-8")
    (tmp_path / "loudspeakers.csv").write_text(LOUD, encoding="utf-8")
    (tmp_path / "internet_points.csv").write_text(NET, encoding="utf-8")
    return tmp_path


def test_good_folder_loads_with_types_and_normalised_values(folder):
    ds = loading.load_dataset(folder)
    assert list(ds.communes["name"]) == ["Tà Rụt", "A Ngo"]
    assert ds.communes.crs.to_epsg() == 4326
    assert list(ds.bts_sites["carrier"]) == ["Viettel", "VinaPhone"]
    assert list(ds.bts_sites["technologies"]) == ["3G;4G", "2G;3G"]
    assert ds.bts_sites["height_m"].isna().tolist() == [False, True]
    assert not ds.bts_sites["illustrative"].any()
    assert ds.settlements is None and ds.problems == []


def test_bad_rows_are_named_by_file_row_and_column_and_good_rows_kept(folder):
    (folder / "bts_sites.csv").write_text(
        BTS
        + "c,91,107,Viettel,4G,30\n"
        + "d,16.4,107,Unknown Telecom,4G,30\n"
        + "e,16.4,107,Viettel,6G,abc\n"
        + "a,16.4,107,Viettel,4G,30\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as err:
        loading.load_dataset(folder)
    text = str(err.value)
    assert "bts_sites.csv, row 4, column 'lat': outside ±90°" in text
    assert "bts_sites.csv, row 5, column 'carrier': not one of Viettel" in text
    assert "row 6, column 'technologies': unknown technology 6G" in text
    assert "row 6, column 'height_m': not a number" in text
    assert "row 7, column 'site_id': duplicate id" in text
    ds = loading.load_dataset(folder, strict=False)
    assert list(ds.bts_sites["site_id"]) == ["a", "b"]
    assert len(ds.problems) == 5


def test_missing_column_and_missing_layer(folder):
    (folder / "loudspeakers.csv").write_text("id,lat,lon\nl1,16.4,107\n", encoding="utf-8")
    (folder / "internet_points.csv").unlink()
    with pytest.raises(DataError) as err:
        loading.load_dataset(folder)
    text = str(err.value)
    assert "loudspeakers.csv, column 'kind': required column 'kind' is missing" in text
    assert "layer 'internet_points' is missing" in text


def test_invalid_polygon_and_wrong_geometry_type(folder):
    bowtie = {
        "type": "Polygon",
        "coordinates": [
            [[106.9, 16.3], [107.0, 16.4], [107.0, 16.3], [106.9, 16.4], [106.9, 16.3]]
        ],
    }
    data = json.loads(json.dumps(COMMUNES))
    data["features"][0]["geometry"] = bowtie
    data["features"][1]["geometry"] = {"type": "Point", "coordinates": [107.0, 16.4]}
    (folder / "communes.geojson").write_text(json.dumps(data), encoding="utf-8")
    ds = loading.load_dataset(folder, strict=False)
    messages = [str(p) for p in ds.problems]
    assert any(
        "communes.geojson, row 1, column 'geometry': invalid geometry: Self-intersection" in m
        for m in messages
    )
    assert any("row 2, column 'geometry': expected Polygon or MultiPolygon" in m for m in messages)
    assert len(ds.communes) == 0


def test_vector_file_without_crs_is_refused(folder, tmp_path_factory):
    other = tmp_path_factory.mktemp("nocrs")
    shutil.copytree(folder, other, dirs_exist_ok=True)
    gdf = gpd.read_file(folder / "communes.geojson").to_crs(32648)
    gdf = gdf.set_crs(None, allow_override=True)
    (other / "communes.geojson").unlink()
    gdf.to_file(other / "communes.gpkg")
    with pytest.raises(DataError, match="declares no coordinate reference system"):
        loading.load_dataset(other)


def test_user_files_are_not_modified(folder):
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    loading.load_dataset(folder, strict=False)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(PhusongError, match="dataset folder not found"):
        loading.load_dataset(tmp_path / "nope")


def test_dataset_sources_per_language_and_bad_entries_reported(tmp_path):
    from geo import i18n, settings

    folder = tmp_path / "d"
    shutil.copytree(settings.DEFAULT_DATA_DIR, folder)
    json.dump(
        {"name": "x", "sources": ["plain", {"vi": "nguồn", "en": "source"}, {"fr": "non"}, 3]},
        (folder / "dataset.json").open("w", encoding="utf-8"),
    )
    ds = loading.load_dataset(folder, strict=False)
    assert [i18n.localized(s, "vi") for s in ds.sources] == ["plain", "nguồn"]
    assert [i18n.localized(s, "en") for s in ds.sources] == ["plain", "source"]
    bad = [p for p in ds.problems if p.file == "dataset.json"]
    assert [(p.row, p.column, p.severity) for p in bad] == [
        (3, "sources", "warning"),
        (4, "sources", "warning"),
    ]


def test_folder_bytes_sums_the_files_of_the_folder(tmp_path):
    (tmp_path / "a.csv").write_bytes(b"x" * 10)
    (tmp_path / "b.geojson").write_bytes(b"y" * 5)
    (tmp_path / "inner").mkdir()
    (tmp_path / "inner" / "c.csv").write_bytes(b"z" * 100)  # not a layer of this folder
    assert loading.folder_bytes(tmp_path) == 15
    assert loading.folder_bytes(tmp_path / "absent") == 0
