"""geo.snapshot: the static A4 map page (PNG and PDF)."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import replace

import numpy as np
import pytest
from matplotlib.image import imread

from geo import snapshot
from geo.errors import ChoiceError, PhusongError
from geo.settings import CoverageParams

try:
    from maps_fixture import synthetic_analysis
except ImportError:  # tests/ made a package
    from .maps_fixture import synthetic_analysis

DAY = dt.date(2025, 7, 1)


@pytest.fixture(scope="module")
def analysis():
    return synthetic_analysis()


@pytest.fixture(scope="module")
def png(analysis):
    return snapshot.render(analysis, metric="no_4g_pct", fmt="png", dpi=100, date=DAY)


def test_png_is_an_a4_landscape_page(png):
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    img = imread(io.BytesIO(png))
    h, w = img.shape[:2]
    assert abs(w / h - 297 / 210) < 0.01
    assert (w, h) == (1169, 827)  # 100 dpi


def test_png_is_not_blank_and_has_red(png):
    img = imread(io.BytesIO(png))[..., :3]
    assert img.std() > 0.1
    red = (img[..., 0] > 0.6) & (img[..., 1] < 0.3) & (img[..., 2] < 0.3)
    assert red.sum() > 1000  # the 70 % commune is in the darkest class


def test_pdf_has_one_page_and_is_reproducible(analysis):
    pdf = snapshot.render(analysis, metric="gap_score", fmt="pdf", date=DAY)
    assert pdf.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf)) == 1
    assert b"CreationDate" not in pdf
    assert pdf == snapshot.render(analysis, metric="gap_score", fmt="pdf", date=DAY)


def test_png_is_reproducible(analysis, png):
    assert png == snapshot.render(analysis, metric="no_4g_pct", fmt="png", dpi=100, date=DAY)


def test_english_and_other_metrics(analysis):
    for metric in ("no_loudspeaker_pct", "no_4g_pop", "gap_score"):
        out = snapshot.render(analysis, metric=metric, lang="en", fmt="png", dpi=60,
                              title="Test page", date=DAY)
        assert out[:4] == b"\x89PNG"


def test_assumption_lines_come_from_params():
    params = CoverageParams().with_radius("4G", 2500)
    vi = snapshot.assumption_lines(params, "vi")
    en = snapshot.assumption_lines(replace(params, carrier_radius_m=(("Viettel", "4G", 4000.0),)),
                                   "en")
    assert vi[0] == "Bán kính phủ sóng: 2G 5 km, 3G 3 km, 4G 2,5 km, 5G 1 km"
    assert en[0] == "Coverage radius: 2G 5 km, 3G 3 km, 4G 2.5 km, 5G 1 km"
    assert en[1] == "Carrier-specific radius: Viettel 4G 4 km"
    assert any(line.startswith("Loudspeaker reach: village loudspeaker cluster 300 m")
               for line in en)
    assert "Distance to an internet point: 2 km" in en


def test_scale_bar_lengths():
    assert snapshot.nice_length_m(17_550) == 2000
    assert snapshot.nice_length_m(60_000) == 10_000
    assert snapshot.nice_length_m(4_000) == 500


def test_bad_arguments(analysis):
    with pytest.raises(ChoiceError, match="fmt"):
        snapshot.render(analysis, metric="no_4g_pct", fmt="svg")
    with pytest.raises(ChoiceError, match="metric"):
        snapshot.render(analysis, metric="population")
    with pytest.raises(PhusongError, match="dpi"):
        snapshot.render(analysis, metric="no_4g_pct", dpi=5)
    wgs84 = replace(analysis, communes=analysis.communes.to_crs(4326))
    with pytest.raises(PhusongError, match="metric"):
        snapshot.render(wgs84, metric="no_4g_pct")


def test_operator_data_has_no_notice_area():
    # same page without the illustrative notice: fewer yellow notice pixels
    def yellowish(b):
        img = imread(io.BytesIO(b))[..., :3]
        return int(((img[..., 0] > 0.95) & (np.abs(img[..., 1] - 0.953) < 0.01)
                    & (np.abs(img[..., 2] - 0.804) < 0.01)).sum())
    with_notice = snapshot.render(synthetic_analysis(), metric="gap_score", dpi=60, date=DAY)
    without = snapshot.render(synthetic_analysis(illustrative=False), metric="gap_score", dpi=60,
                              date=DAY)
    assert yellowish(with_notice) > 500 > yellowish(without)
