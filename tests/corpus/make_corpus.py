"""A corpus of malformed and hostile input files, each with the message phusong must give.

``CASES`` lists (file name, layer, bytes, expected message fragment); ``tests/test_importing.py``
builds every file in a temporary folder and asserts the message. Run this script to write the
files into ``tests/corpus/files/`` for a look by hand (that folder is not committed):

    uv run python tests/corpus/make_corpus.py
"""

from __future__ import annotations

import io
import json
import stat
import sys
import tempfile
import unicodedata
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import shapely

HERE = Path(__file__).resolve().parent
SITES = "site_id,lat,lon,carrier,technologies,height_m\n"
GOOD_SITE = "ok,16.70,106.88,Viettel,4G,30\n"
BOX = shapely.box(106.96, 16.38, 107.05, 16.46)
BOWTIE = shapely.Polygon([(106.9, 16.3), (107.0, 16.4), (107.0, 16.3), (106.9, 16.4)])


@dataclass(frozen=True)
class Case:
    """One corpus file: its name, the layer it is read as, its bytes and the expected message."""

    name: str
    layer: str
    data: bytes
    expect: str
    severity: str = "error"


def cp1258(text: str) -> bytes:
    """``text`` in Windows-1258, which spells most Vietnamese tones as combining marks."""
    tones = "\u0300\u0301\u0303\u0309\u0323"
    out = []
    for ch in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in tones))
        out.append(base + "".join(p for p in parts if p in tones))
    return "".join(out).encode("cp1258")


def _csv(text: str, encoding: str = "utf-8") -> bytes:
    return text.encode(encoding)


def _geojson(features: list[tuple[dict, object]], crs: bool = False) -> bytes:
    data = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": props,
                "geometry": None if geom is None else shapely.geometry.mapping(geom),
            }
            for props, geom in features
        ],
    }
    return json.dumps(data).encode("utf-8")


def _zip(members: list[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members:
            z.writestr(name, data)
    return buffer.getvalue()


def _symlink_zip() -> bytes:
    info = zipfile.ZipInfo("communes.geojson")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return _zip([(info, b"/etc/passwd")])


def _raw_name_zip(name_bytes: bytes, data: bytes) -> bytes:
    """A zip whose member name is stored as raw legacy bytes without the UTF-8 flag."""

    class LegacyName(zipfile.ZipInfo):
        def _encodeFilenameFlags(self):
            return name_bytes, self.flag_bits & ~0x800

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr(LegacyName(name_bytes.decode("cp437")), data)
    return buffer.getvalue()


def _bomb(size: int = 310 * 1024 * 1024) -> bytes:
    """Small compressed, large expanded: ``size`` zero bytes deflated (≈ 0.3 MB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        with z.open("communes.geojson", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(size // len(chunk)):
                member.write(chunk)
    return buffer.getvalue()


def _vector_bytes(gdf: gpd.GeoDataFrame, suffix: str, driver: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"layer{suffix}"
        gdf.to_file(path, driver=driver)
        return path.read_bytes()


def _shapefile_zip(drop: tuple[str, ...] = ()) -> bytes:
    gdf = gpd.GeoDataFrame({"code": ["19588"], "name": ["Tà Rụt"]}, geometry=[BOX], crs=4326)
    with tempfile.TemporaryDirectory() as tmp:
        gdf.to_file(Path(tmp) / "communes.shp", driver="ESRI Shapefile")
        return _zip(
            [(p.name, p.read_bytes()) for p in sorted(Path(tmp).iterdir()) if p.suffix not in drop]
        )


def _metres_gpkg() -> bytes:
    gdf = gpd.GeoDataFrame(
        {"code": ["1"], "name": ["x"]},
        geometry=[shapely.box(710_000, 1_825_000, 720_000, 1_835_000)],
    )
    with warnings.catch_warnings():  # the missing CRS is the point of this file
        warnings.simplefilter("ignore", UserWarning)
        return _vector_bytes(gdf, ".gpkg", "GPKG")


def cases() -> list[Case]:
    """Every corpus case (built on call: the zip bomb takes about a second)."""
    c = [
        # --- text tables ---------------------------------------------------------------------
        Case("empty.csv", "bts_sites", b"", "cannot be read: the file is empty"),
        Case("blank_lines.csv", "bts_sites", b"\n\n   \n", "the file is empty"),
        Case(
            "wrong_delimiter.csv",
            "bts_sites",
            _csv("site_id lat lon carrier technologies\nA 16.7 106.8 Viettel 4G\n"),
            "the header reads as one column: is the delimiter a comma, semicolon or tab?",
        ),
        Case(
            "missing_kind.csv",
            "loudspeakers",
            _csv("id,lat,lon\nl1,16.7,106.8\n"),
            "required column 'kind' is missing",
        ),
        Case(
            "missing_latlon.csv",
            "bts_sites",
            _csv("site_id,carrier,technologies\nA,Viettel,4G\n"),
            "required column 'lat' is missing",
        ),
        Case(
            "text_in_number.csv",
            "bts_sites",
            _csv(SITES + "A,16.7,106.8,Viettel,4G,thirty\n"),
            "column 'height_m': not a number",
        ),
        Case(
            "text_in_coordinate.csv",
            "bts_sites",
            _csv(SITES + "A,north,106.8,Viettel,4G,30\n"),
            "column 'lat': not a coordinate",
        ),
        Case(
            "nan_latitude.csv",
            "bts_sites",
            _csv(SITES + "A,NaN,106.8,Viettel,4G,30\n"),
            "row 2, column 'lat': not a finite number",
        ),
        Case(
            "inf_height.csv",
            "bts_sites",
            _csv(SITES + "A,16.7,106.8,Viettel,4G,inf\n"),
            "column 'height_m': not a finite number",
        ),
        Case(
            "lat_out_of_range.csv",
            "bts_sites",
            _csv(SITES + "A,95,106.8,Viettel,4G,30\n"),
            "column 'lat': outside ±90°",
        ),
        Case(
            "lon_out_of_range.csv",
            "bts_sites",
            _csv(SITES + "A,16.7,200,Viettel,4G,30\n"),
            "column 'lon': outside ±180°",
        ),
        Case(
            "metres_in_csv.csv",
            "bts_sites",
            _csv(
                "site_id,x,y,carrier,technologies\nA,710000,1825000,Viettel,4G\n"
                "B,712000,1826000,Viettel,4G\n"
            ),
            "look like projected metres (VN-2000 or UTM",
        ),
        Case(
            "dms_bad_minutes.csv",
            "bts_sites",
            _csv("site_id;lat;lon;carrier;technologies\nA;16°75'10\"N;106°52'57\"E;Viettel;4G\n"),
            "minutes must be below 60",
        ),
        Case(
            "hemisphere_in_wrong_column.csv",
            "bts_sites",
            _csv("site_id;lat;lon;carrier;technologies\nA;106°52'57\"E;16°42'N;Viettel;4G\n"),
            "the hemisphere letter says this is a longitude",
        ),
        Case(
            "one_coordinate_in_pair.csv",
            "bts_sites",
            _csv("Mã trạm;Tọa độ;Nhà mạng;Công nghệ\nA;16.7061;Viettel;4G\n"),
            "expected two coordinates 'lat, lon'",
        ),
        Case(
            "ragged_row.csv",
            "bts_sites",
            _csv(SITES + "A,16.7,106.8,Viettel,4G,30,x,y\n"),
            "row 2: has 8 fields but the header has 6",
        ),
        Case(
            "duplicate_ids.csv",
            "bts_sites",
            _csv(SITES + GOOD_SITE + GOOD_SITE),
            "row 3, column 'site_id': duplicate id",
        ),
        Case(
            "duplicate_header.csv",
            "bts_sites",
            _csv("site_id,lat,lat,lon,carrier,technologies\n"),
            "column name(s) repeated",
        ),
        Case(
            "unknown_carrier.csv",
            "bts_sites",
            _csv(SITES + "A,16.7,106.8,Viettell,4G,30\n"),
            "column 'carrier': not one of Viettel",
        ),
        Case(
            "unknown_technology.csv",
            "bts_sites",
            _csv(SITES + "A,16.7,106.8,Viettel,6G,30\n"),
            "unknown technology 6G",
        ),
        Case(
            "negative_height.csv",
            "bts_sites",
            _csv(SITES + "A,16.7,106.8,Viettel,4G,-5\n"),
            "column 'height_m': must be ≥ 0",
        ),
        Case(
            "bad_bool.csv",
            "bts_sites",
            _csv(
                "site_id,lat,lon,carrier,technologies,illustrative\nA,16.7,106.8,Viettel,4G,maybe\n"
            ),
            "not a yes/no value",
        ),
        Case(
            "unknown_kind.csv",
            "loudspeakers",
            _csv("id,lat,lon,kind\nL,16.7,106.8,tower\n"),
            "column 'kind': not one of cluster, commune_station, district_station",
        ),
        Case(
            "empty_required_cell.csv",
            "internet_points",
            _csv("id,lat,lon,kind\n,16.7,106.8,internet_shop\n"),
            "column 'id': empty, but this column is required",
        ),
        Case(
            "binary.csv",
            "bts_sites",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
            "cannot be read",
        ),
        Case(
            "utf16_without_bom.csv",
            "bts_sites",
            (SITES + GOOD_SITE).encode("utf-16-le"),
            "NUL bytes",
        ),
        Case(
            "windows1258_names.csv",
            "loudspeakers",
            cp1258("id,lat,lon,kind\nCụm loa Tà Rụt,16.4,107.0,cluster\n"),
            "read as Windows-1258 (Vietnamese)",
            "warning",
        ),
        Case(
            "windows1252_names.csv",
            "loudspeakers",
            "id,lat,lon,kind\nCafé Ñ,16.4,107.0,cluster\n".encode("cp1252"),
            "not UTF-8",
            "warning",
        ),
        Case(
            "swapped_latlon.csv",
            "bts_sites",
            _csv(SITES + "A,106.88,16.70,Viettel,4G,30\n"),
            "latitude and longitude look swapped",
            "warning",
        ),
        Case(
            "minor_carrier.csv",
            "bts_sites",
            _csv(SITES + "A,16.7,106.88,Gmobile,2G,30\n"),
            "counted as carrier 'other'",
            "warning",
        ),
        Case("unsupported.docx", "bts_sites", b"PK\x03\x04 not really", "unsupported file type"),
        Case(
            "not_a_workbook.xlsx",
            "bts_sites",
            _csv(SITES + GOOD_SITE),
            "not a readable Excel workbook",
        ),
        # --- vector files --------------------------------------------------------------------
        Case(
            "broken.geojson",
            "communes",
            b'{"type": "FeatureCollection", "features": [',
            "not a readable vector file",
        ),
        Case("broken.kml", "communes", b"<kml><Document><Placemark>", "cannot be read"),
        Case(
            "point_commune.geojson",
            "communes",
            _geojson([({"code": "1", "name": "a"}, shapely.Point(107, 16.4))]),
            "row 1, column 'geometry': expected Polygon or MultiPolygon",
        ),
        Case(
            "mixed_geometry_types.geojson",
            "communes",
            _geojson(
                [
                    ({"code": "1", "name": "a"}, BOX),
                    ({"code": "2", "name": "b"}, shapely.LineString([(107, 16.4), (107.1, 16.5)])),
                ]
            ),
            "row 2, column 'geometry': expected Polygon or MultiPolygon (value 'LineString')",
        ),
        Case(
            "polygon_site.geojson",
            "bts_sites",
            _geojson([({"site_id": "A", "carrier": "Viettel", "technologies": "4G"}, BOX)]),
            "expected Point",
        ),
        Case(
            "self_intersecting.geojson",
            "communes",
            _geojson([({"code": "1", "name": "bowtie"}, BOWTIE)]),
            "invalid geometry: Self-intersection",
        ),
        Case(
            "invalid_ring_touch.geojson",
            "communes",
            _geojson(
                [
                    (
                        {"code": "1", "name": "spike"},
                        shapely.Polygon(
                            [
                                (106.9, 16.3),
                                (107.0, 16.3),
                                (107.0, 16.4),
                                (106.95, 16.3),
                                (106.9, 16.4),
                            ]
                        ),
                    )
                ]
            ),
            "invalid geometry: Ring Self-intersection[106.95 16.3]; repaired",
            "warning",
        ),
        Case(
            "null_geometry.geojson",
            "communes",
            _geojson([({"code": "1", "name": "a"}, None)]),
            "geometry is empty",
        ),
        Case(
            "metres_as_degrees.geojson",
            "communes",
            _geojson(
                [({"code": "1", "name": "a"}, shapely.box(710_000, 1_825_000, 720_000, 1_835_000))]
            ),
            "declares a CRS in degrees but its coordinates are not degrees",
        ),
        Case(
            "no_crs_metres.gpkg",
            "communes",
            _metres_gpkg(),
            "declares no coordinate reference system (CRS) and its coordinates are not plausible",
        ),
        Case(
            "duplicate_codes.geojson",
            "communes",
            _geojson(
                [({"code": "19588", "name": "a"}, BOX), ({"code": "19588", "name": "b"}, BOX)]
            ),
            "row 2, column 'code': duplicate id",
        ),
        Case(
            "no_code_no_name.geojson",
            "communes",
            _geojson([({"ten_khac": "a"}, BOX)]),
            "required column 'code' is missing",
        ),
        # --- zips ------------------------------------------------------------------------------
        Case(
            "zip_without_shp.zip",
            "communes",
            _zip([("readme.txt", b"hello")]),
            "the zip holds no .shp file",
        ),
        Case(
            "shapefile_without_shx.zip",
            "communes",
            _shapefile_zip(drop=(".shx",)),
            "comes without its .shx file(s)",
        ),
        Case(
            "path_traversal.zip",
            "communes",
            _zip([("../../evil.geojson", b"{}")]),
            "path goes outside the zip folder ('..')",
        ),
        Case(
            "absolute_path.zip", "communes", _zip([("/tmp/evil.geojson", b"{}")]), "absolute path"
        ),
        Case(
            "windows_drive_path.zip",
            "communes",
            _zip([("C:\\evil.geojson", b"{}")]),
            "absolute path",
        ),
        Case("symlink.zip", "communes", _symlink_zip(), "symbolic link"),
        Case(
            "too_many_members.zip",
            "communes",
            _zip([(f"f{i}.txt", b"x") for i in range(205)]),
            "the limit is 200",
        ),
        Case(
            "duplicate_members.zip",
            "communes",
            _zip([("communes.geojson", b"{}"), ("COMMUNES.geojson", b"{}")]),
            "the same name twice",
        ),
        Case("not_a_zip.zip", "communes", b"this is text, not a zip", "not a readable zip file"),
        Case(
            "non_utf8_member_name.zip",
            "communes",
            _raw_name_zip(cp1258("tài liệu.txt"), b"x"),
            "the zip holds no .shp file (zip it with its .shx, .dbf and .prj) nor any other data "
            "file; it holds: tài liệu.txt",
        ),
        Case(
            "kmz_without_kml.kmz",
            "communes",
            _zip([("doc.txt", b"x")]),
            "the zip holds no .kml file",
        ),
        Case("zip_bomb.zip", "communes", _bomb(), "(zip bomb?)"),
    ]
    return c


def main(out: Path = HERE / "files") -> None:
    out.mkdir(parents=True, exist_ok=True)
    for case in cases():
        (out / case.name).write_bytes(case.data)
    print(f"{len(cases())} files in {out}", file=sys.stderr)


if __name__ == "__main__":
    main()
