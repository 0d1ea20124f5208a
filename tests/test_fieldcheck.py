"""How much rests on field evidence: the notes of geo.analysis.fieldcheck.evidence_notes, and
`report --measurements` putting them into settings.csv, the snapshot and report.pdf."""

from __future__ import annotations

import math

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from geo.analysis import fieldcheck
from geo.cli import main
from geo.render import snapshot

import builders as b

SIDE = 2000.0  # one 2 km × 2 km commune: 4 km²
# A reading is evidence within 500 m (settings.EVIDENCE_M), drawn as a 16-sided disc
# (buffer quad_segs=4): area ½ × 16 × 500² × sin(2π/16) = 765,367 m², 19.13 % of 4 km².
DISC_PCT = 100 * 0.5 * 16 * 500.0**2 * math.sin(2 * math.pi / 16) / SIDE**2


def world(tmp_path):
    ds = b.dataset(
        [
            {
                "code": "1",
                "name": "Tà Rụt",
                "population": 1000.0,
                "geometry": b.square(b.X0, b.Y0, SIDE),
            }
        ],
        bts=[{"site_id": "v", "x": b.X0 + 1000.0, "y": b.Y0 + 1000.0}],
    )
    b.write_folder(ds, tmp_path / "data")
    # two readings at the middle of the commune (on the 125 m grid of the discs), both with 4G
    # service 0 m from the site: the circle model (3 km) agrees
    centre = gpd.GeoSeries([shapely.Point(b.X0 + 1000.0, b.Y0 + 1000.0)], crs=b.UTM48N)
    ll = centre.to_crs(4326).iloc[0]
    path = tmp_path / "readings.csv"
    path.write_text(
        "lat,lon,carrier,technology,service\n"
        f"{ll.y:.7f},{ll.x:.7f},Viettel,4G,có\n{ll.y:.7f},{ll.x:.7f},Viettel,4G,yes\n",
        encoding="utf-8",
    )
    return ds, path


def test_evidence_shares_and_notes(tmp_path):
    from geo.io import fieldfiles

    ds, path = world(tmp_path)
    readings, problems = fieldfiles.import_files([(path, "measurement")], communes=ds.communes)
    assert len(readings) == 2 and not problems
    result = fieldcheck.check(ds, readings)
    shares = fieldcheck.evidence_shares(result)
    assert DISC_PCT == pytest.approx(19.134, abs=0.001)
    assert shares["evidence"] == pytest.approx(DISC_PCT, abs=0.05)
    assert shares["checked"] == pytest.approx(DISC_PCT, abs=0.05)
    assert shares["contradicted"] == 0.0
    assert shares["unchecked"] == pytest.approx(100 - DISC_PCT, abs=0.05)
    assert shares["people"] == pytest.approx(DISC_PCT, abs=0.05)  # people spread evenly
    overall, commune = fieldcheck.evidence_notes(result, source="readings.csv")
    assert overall.text("en") == (
        "field evidence (2 readings; readings.csv): 19.1% of the area (19.1% of the people) has "
        "a reading within 500 m; 19.1% of the area checked, 0.0% contradicted by the field, "
        "80.9% unchecked; 100.0% of the readings agree with the model"
    )
    assert commune.text("vi") == (
        "Tà Rụt: 19,1% diện tích (19,1% dân số) có bằng chứng thực địa, 19,1% đã kiểm chứng, "
        "0,0% bị phủ nhận; 2 lần đo, 100,0% khớp với mô hình: đã kiểm chứng"
    )


def test_report_with_measurements_says_how_much_rests_on_evidence(tmp_path):
    from pypdf import PdfReader

    _, path = world(tmp_path)
    base = ["report", "--data", str(tmp_path / "data"), "--lang", "en"]
    assert main(base + ["--out", str(tmp_path / "plain")]) == 0
    assert main(base + ["--measurements", str(path), "--out", str(tmp_path / "field")]) == 0
    plain = pd.read_csv(tmp_path / "plain" / "settings.csv", encoding="utf-8-sig")
    field = pd.read_csv(tmp_path / "field" / "settings.csv", encoding="utf-8-sig")
    added = field[~field["key"].isin(plain["key"]) | ~field["value"].isin(plain["value"])]
    text = " | ".join(added["value"])
    assert "field evidence (2 readings; readings.csv): 19.1% of the area" in text
    assert "Tà Rụt: 19.1% of the area (19.1% of the people) with field evidence" in text
    # the tables are the same: evidence is said beside the figures, it does not change them
    assert (tmp_path / "plain" / "communes.csv").read_bytes() == (
        tmp_path / "field" / "communes.csv"
    ).read_bytes()
    # report.pdf: page 1 the overall line, the commune's page its own line
    pages = [p.extract_text() for p in PdfReader(tmp_path / "field" / "report.pdf").pages]
    flat = [" ".join(p.split()) for p in pages]
    assert "field evidence (2 readings" in flat[0] and "with field evidence" not in flat[0]
    assert "Tà Rụt: 19.1% of the area" in flat[1]
    assert "field evidence (2 readings" not in flat[1]  # the commune's own line, not the district's
    assert "field evidence" not in " ".join(
        " ".join(p.split())
        for p in [PdfReader(tmp_path / "plain" / "report.pdf").pages[0].extract_text()]
    )
    assert (tmp_path / "field" / "map.png").read_bytes() != (
        tmp_path / "plain" / "map.png"
    ).read_bytes()


def test_snapshot_leaves_the_commune_lines_out(tmp_path):
    from dataclasses import replace

    from geo.analysis import gaps
    from geo.io import fieldfiles

    ds, path = world(tmp_path)
    readings, _ = fieldfiles.import_files([(path, "measurement")], communes=ds.communes)
    notes = fieldcheck.evidence_notes(fieldcheck.check(ds, readings))
    analysis = gaps.analyse(ds)
    with_notes = replace(analysis, notes=tuple(analysis.notes) + notes)
    lines = snapshot.model_lines(with_notes, "en")
    assert lines == snapshot.model_lines(analysis, "en") + [notes[0].text("en")]
    assert snapshot.commune_note_lines(with_notes, "1", "en") == [notes[1].text("en")]
    assert snapshot.commune_note_lines(with_notes, "2", "en") == []


def test_reports_without_measurements_is_refused(tmp_path, capsys):
    _, path = world(tmp_path)
    assert (
        main(
            [
                "report",
                "--data",
                str(tmp_path / "data"),
                "--reports",
                str(path),
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 2
    )
    assert "--reports needs --measurements" in capsys.readouterr().err
