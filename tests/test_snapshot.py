"""geo.render.snapshot: the static A4 map page (PNG and PDF)."""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
from matplotlib.image import imread
from shapely.geometry import box

from geo.render import snapshot
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
        out = snapshot.render(
            analysis, metric=metric, lang="en", fmt="png", dpi=60, title="Test page", date=DAY
        )
        assert out[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "metric",
    ["no_mobile_pop", "no_loudspeaker_pop", "no_internet_pop", "no_service_pop", "at_risk_pop"],
)
def test_people_metrics_draw_and_hatch_their_own_gap(analysis, metric):
    kind = metric.removesuffix("_pop")
    assert snapshot.check_args(
        analysis, metric=metric, lang="vi", fmt="png", dpi=60, show_gaps=None
    ) == (kind,)
    out = snapshot.render(analysis, metric=metric, lang="en", fmt="png", dpi=60, date=DAY)
    assert out[:4] == b"\x89PNG"


def test_assumption_lines_come_from_params():
    params = CoverageParams().with_radius("4G", 2500)
    vi = snapshot.assumption_lines(params, "vi")
    en = snapshot.assumption_lines(
        replace(params, carrier_radius_m=(("Viettel", "4G", 4000.0),)), "en"
    )
    assert vi[0] == "Bán kính phủ sóng: 2G 5 km, 3G 3 km, 4G 2,5 km, 5G 1 km"
    assert en[0] == "Coverage radius: 2G 5 km, 3G 3 km, 4G 2.5 km, 5G 1 km"
    assert en[1] == "Carrier-specific radius: Viettel 4G 4 km"
    assert any(
        line.startswith("Loudspeaker reach: village loudspeaker cluster 300 m") for line in en
    )
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
        return int(
            (
                (img[..., 0] > 0.95)
                & (np.abs(img[..., 1] - 0.953) < 0.01)
                & (np.abs(img[..., 2] - 0.804) < 0.01)
            ).sum()
        )

    with_notice = snapshot.render(synthetic_analysis(), metric="gap_score", dpi=60, date=DAY)
    without = snapshot.render(
        synthetic_analysis(illustrative=False), metric="gap_score", dpi=60, date=DAY
    )
    assert yellowish(with_notice) > 500 > yellowish(without)


# --- commune names: never on top of each other ------------------------------------------------

REPO = Path(__file__).resolve().parents[1]


def label_boxes(fig) -> list[tuple[str, object]]:
    """(name, window extent) of every commune name on the page, as the renderer draws it."""
    renderer = fig.canvas.get_renderer()
    return [
        (t.get_text(), t.get_window_extent(renderer))
        for ax in fig.axes
        for t in ax.texts
        if t.get_gid() == snapshot.LABEL_GID
    ]


def overlapping(boxes) -> set[frozenset[str]]:
    return {
        frozenset((a, b))
        for i, (a, box_a) in enumerate(boxes)
        for b, box_b in boxes[i + 1 :]
        if box_a.overlaps(box_b)
    }


@pytest.fixture(scope="module")
def dakrong():
    from geo.analysis import gaps
    from geo.io import loading

    return gaps.analyse(loading.load_dataset(REPO / "data" / "dakrong"), vintage="legacy")


def test_commune_names_on_the_default_page_do_not_overlap(dakrong):
    fig = snapshot.figure(dakrong, metric="no_4g_pct", dpi=100, date=DAY)
    boxes = label_boxes(fig)
    assert sorted(name for name, _ in boxes) == sorted(dakrong.communes["name"])
    assert overlapping(boxes) == set()
    # the page needs it: written at their representative points, two names collide
    ax, renderer = fig.axes[0], fig.canvas.get_renderer()
    at_points = []
    for name, p in zip(dakrong.communes["name"], dakrong.communes.geometry.representative_point()):
        text = ax.text(p.x, p.y, name, ha="center", va="center", fontsize=7.5)
        at_points.append((name, text.get_window_extent(renderer)))
        text.remove()
    assert frozenset(("Xã Mò Ó", "Xã Triệu Nguyên")) in overlapping(at_points)


def crowded_analysis():
    """Two 20 km × 40 km communes with nine 600 m squares huddled between them (like a town
    of small wards), long names."""
    base = synthetic_analysis(tuple(f"Xã Có Một Tên Khá Dài {i}" for i in range(11)))
    x0, y0 = 700_000.0, 1_822_000.0
    small = [(x0 + 20_000 + 600 * (i % 3), y0 + 19_000 + 600 * (i // 3)) for i in range(9)]
    shapes = [
        box(x0, y0, x0 + 20_000, y0 + 40_000),
        box(x0 + 21_800, y0, x0 + 41_800, y0 + 40_000),
    ] + [box(x, y, x + 600, y + 600) for x, y in small]
    return replace(
        base,
        communes=base.communes.set_geometry(
            gpd.GeoSeries(shapes, crs=base.communes.crs, index=base.communes.index)
        ),
    )


def test_crowded_names_move_apart_with_leader_lines():
    analysis = crowded_analysis()
    fig = snapshot.figure(analysis, metric="no_4g_pct", dpi=100, date=DAY)
    boxes = label_boxes(fig)
    assert len(boxes) == 11 and overlapping(boxes) == set()
    ax = fig.axes[0]
    renderer = fig.canvas.get_renderer()
    view = ax.get_window_extent(renderer)
    assert all(view.contains(b.x0, b.y0) and view.contains(b.x1, b.y1) for _, b in boxes)
    # a name that does not cover its commune's point has a leader line: a dot on the point
    points = analysis.communes.geometry.representative_point()
    anchors = dict(
        zip(
            analysis.communes["name"], ax.transData.transform(np.column_stack([points.x, points.y]))
        )
    )
    moved = {name for name, b in boxes if not b.contains(*anchors[name])}
    dots = [
        ax.transData.transform(np.column_stack(line.get_data()))[0]
        for line in ax.lines
        if line.get_marker() == "o"
    ]
    assert len(moved) >= 7  # nine names on 1.8 km: most must move
    assert len(dots) == len(moved)
    assert all(any(np.allclose(dot, anchors[name], atol=0.5) for dot in dots) for name in moved)


# --- the page states the settings it shows -----------------------------------------------------


def page_texts(fig) -> dict[str, object]:
    return {t.get_text(): t for t in fig.texts}


def test_page_states_filters_model_and_radii(analysis):
    filtered = replace(
        analysis, params=CoverageParams(carriers=("Viettel",), technologies=("3G", "4G", "5G"))
    )
    texts = page_texts(snapshot.figure(filtered, metric="no_4g_pct", dpi=60, date=DAY))
    line = texts["Bộ lọc — nhà mạng: Viettel; công nghệ: 3G, 4G, 5G"]
    assert line.get_color() == "#a50f15" and line.get_fontweight() == "bold"  # stands out
    body = "\n".join(texts)
    assert "• Mô hình phủ sóng: Vòng tròn (bán kính cố định)" in body
    assert "• Bán kính phủ sóng: 2G 5 km, 3G 3 km, 4G 3 km, 5G 1 km" in body
    assert "• Khoảng cách tới điểm internet: 2 km" in body
    assert "• Tầm phủ của loa: cụm loa thôn/bản 300 m" in body

    english = page_texts(snapshot.figure(analysis, metric="no_4g_pct", lang="en", dpi=60, date=DAY))
    line = english["Filters — carriers: all; technologies: all"]
    assert line.get_color() == "#333333"


def test_side_panel_text_stays_above_the_date_line_with_many_sources():
    """A dataset with many long source lines: the assumptions and sources shrink to fit the page
    instead of running under the date line or off the page."""
    from dataclasses import replace

    from maps_fixture import synthetic_analysis

    from geo.render import snapshot

    long_sources = tuple(
        f"Nguồn {i}: " + "dữ liệu rất dài về trạm, loa và dân cư " * 4 for i in range(9)
    )
    analysis = replace(synthetic_analysis(), sources=long_sources)
    fig = snapshot.figure(analysis, metric="no_4g_pct", lang="vi", show_gaps=("no_4g",))
    fig.canvas.draw()
    inv = fig.transFigure.inverted()
    renderer = fig.canvas.get_renderer()
    date = next(t for t in fig.texts if "phusong" in t.get_text())
    date_top = inv.transform(date.get_window_extent(renderer))[1][1]
    side = [t for t in fig.texts if t is not date and t.get_position()[0] > 0.6]
    lowest = min(inv.transform(t.get_window_extent(renderer))[0][1] for t in side)
    assert lowest >= date_top
