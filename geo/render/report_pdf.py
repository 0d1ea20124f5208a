"""The report for officials: a multi-page A4 landscape PDF of a :class:`geo.analysis.gaps.GapAnalysis`.

Page 1 is the district: the snapshot page of :mod:`geo.render.snapshot` (map, legend, assumptions,
sources) with the district's key figures under the map. Then one page per commune, in gap-rank
order (largest gap first): its map zoomed to it and outlined, its figures, its Circular 03 status,
the active settings and the sources. Every page states the filters; text in Vietnamese or English
(:mod:`geo.i18n`). The same inputs (and ``date``) give the same bytes.
"""

from __future__ import annotations

import datetime as _dt
import io
import textwrap

import matplotlib
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.patches import FancyBboxPatch, Rectangle

from geo.render import snapshot, tables
from geo import i18n
from geo.i18n import t
from geo.render.style import fmt_number

# figure fractions of an A4 landscape page
_DISTRICT_MAP = (0.035, 0.215, 0.62, 0.665)  # the snapshot's map, raised for the key figures
_COMMUNE_MAP = (0.035, 0.245, 0.55, 0.635)
_PANEL_X, _RIGHT = 0.62, 0.975  # the commune page's figures
_BAND_Y = 0.185  # top of the sources at the foot of a commune page
# A district has 5 to 30 communes, a province a few hundred: past this many the report keeps
# the communes with the largest gaps (every commune stays in the tables), so that it stays a
# report (about 100 kB and half a second a page) and not a book.
MAX_COMMUNE_PAGES = 100
_C03_COLORS = {
    "missing": ("#fde0dd", "#a50f15"),
    "ok": ("#e5f5e0", "#006d2c"),
    "not_required": ("#f0f0f0", "#444444"),
}


def render(
    analysis,
    *,
    metric: str = "no_4g_pct",
    lang: str = "vi",
    show_gaps: tuple[str, ...] | None = None,
    date: _dt.date | None = None,
) -> bytes:
    """The report as PDF bytes: 1 + (number of communes) pages (at most
    :data:`MAX_COMMUNE_PAGES` commune pages, the largest gaps first; page 1 says so).

    ``metric`` colours the communes (:data:`geo.render.maps.MAP_METRICS`), ``show_gaps`` are the gap
    kinds hatched (default: the metric's own), ``date`` (default today) is printed on each page.
    """
    show_gaps = snapshot.check_args(
        analysis, metric=metric, lang=lang, fmt="pdf", dpi=100, show_gaps=show_gaps
    )
    date = date or _dt.date.today()
    table = tables.commune_table(analysis, lang=lang)
    communes = analysis.communes.sort_values("gap_rank", kind="stable")
    shown = communes.head(MAX_COMMUNE_PAGES)
    pages = 1 + len(shown)
    buf = io.BytesIO()
    with matplotlib.rc_context(snapshot.RC):
        meta = {
            "Title": snapshot.page_title(analysis, lang),
            "Creator": "phusong",
            "CreationDate": None,
            "ModDate": None,
        }
        with PdfPages(buf, metadata=meta) as pdf:
            pdf.savefig(
                _district_page(
                    analysis,
                    metric=metric,
                    lang=lang,
                    show_gaps=show_gaps,
                    date=date,
                    pages=pages,
                    left_out=len(communes) - len(shown),
                )
            )
            for number, code in enumerate(shown["code"], 2):
                pdf.savefig(
                    _commune_page(
                        analysis,
                        code,
                        table,
                        metric=metric,
                        lang=lang,
                        show_gaps=show_gaps,
                        date=date,
                        page=(number, pages),
                    )
                )
    return buf.getvalue()


def _district_page(
    analysis,
    *,
    metric: str,
    lang: str,
    show_gaps: tuple[str, ...],
    date: _dt.date,
    pages: int,
    left_out: int,
):
    fig = snapshot.new_page(100)
    snapshot.compose(
        fig,
        analysis,
        metric=metric,
        lang=lang,
        title=None,
        show_gaps=show_gaps,
        date=date,
        map_box=_DISTRICT_MAP,
    )
    figures = tables.kpis(analysis, lang=lang)
    left, width = _DISTRICT_MAP[0], _DISTRICT_MAP[2]
    fig.text(left, 0.2, t("report.kpis", lang), fontsize=9, fontweight="bold", va="top")
    cell = width / len(figures)
    for i, (label, value, beside, _) in enumerate(figures):
        x = left + i * cell
        if len(value) > 13:  # a range of people: two lines, after the dash
            value = value.replace("–", "–\n", 1)
        fig.patches.append(
            FancyBboxPatch(
                (x + 0.002, 0.1),
                cell - 0.004,
                0.075,
                boxstyle="round,pad=0,rounding_size=0.006",
                transform=fig.transFigure,
                facecolor="#f4f4f0",
                edgecolor="#bbbbbb",
                linewidth=0.6,
            )
        )
        two = "\n" in value
        # as large as fits the cell (bold DejaVu: about 0.65 em a character)
        longest = max(len(line) for line in value.split("\n"))
        size = min(11.5, cell * fig.get_figwidth() * 72 / (0.65 * longest))
        fig.text(
            x + cell / 2,
            0.171,
            value,
            ha="center",
            va="top",
            fontsize=size,
            fontweight="bold",
            linespacing=1.0,
        )
        fig.text(
            x + cell / 2,
            0.137 if two else 0.145,
            textwrap.fill(label, 17),
            ha="center",
            va="top",
            fontsize=6.5,
            linespacing=1.1,
            color="#333333",
        )
        fig.text(
            x + cell / 2, 0.104, beside, ha="center", va="bottom", fontsize=6, color="#666666"
        )  # the area share beside the people
    if left_out:
        fig.text(
            left,
            0.012,
            t("report.capped", lang).format(n=pages - 1, total=pages - 1 + left_out),
            fontsize=7,
            va="bottom",
            color="#a50f15",
        )
    _page_number(fig, 1, pages, lang)
    return fig


def _commune_page(
    analysis,
    code: str,
    table: pd.DataFrame,
    *,
    metric: str,
    lang: str,
    show_gaps: tuple[str, ...],
    date: _dt.date,
    page: tuple[int, int],
):
    communes = analysis.communes
    row = communes[communes["code"] == code].iloc[0]
    fig = snapshot.new_page(100)
    name = str(row["name"])
    title = f"{name} — {analysis.dataset_name}" if analysis.dataset_name else name
    snapshot.header(
        fig,
        analysis,
        metric=metric,
        lang=lang,
        title=title,
        notice_at=(_COMMUNE_MAP[0] + _COMMUNE_MAP[2] / 2, _COMMUNE_MAP[1] - 0.03),
    )
    ax = fig.add_axes(_COMMUNE_MAP)
    snapshot.draw_map(
        ax,
        analysis,
        metric=metric,
        lang=lang,
        show_gaps=show_gaps,
        frame_to=communes[communes["code"] == code],
        highlight=code,
    )

    # right of the map: rank, Circular 03 status, figures, assumptions
    top = _COMMUNE_MAP[1] + _COMMUNE_MAP[3]
    rank = t("report.rank", lang).format(rank=int(row["gap_rank"]), n=len(communes))
    fig.text(_PANEL_X, top, rank, fontsize=11, fontweight="bold", va="top")
    status = (
        "missing"
        if row["c03_required"] and not row["c03_present"]
        else "ok"
        if row["c03_required"]
        else "not_required"
    )
    face, ink = _C03_COLORS[status]
    fig.text(
        _PANEL_X,
        top - 0.04,
        f"{t('report.c03', lang)}: {t('c03.' + status, lang)}",
        fontsize=8.5,
        fontweight="bold",
        va="top",
        color=ink,
        bbox={"boxstyle": "round,pad=0.35", "facecolor": face, "edgecolor": ink, "linewidth": 0.6},
    )
    fig.text(
        _PANEL_X, top - 0.085, t("report.figures", lang), fontsize=9, fontweight="bold", va="top"
    )
    y = _figure_rows(fig, _figures(table, code, lang), top - 0.11, bottom=0.33)
    blocks = snapshot.info_blocks(analysis, lang)
    heading, lines = blocks[0]
    own = snapshot.commune_note_lines(analysis, code, lang)
    if own:  # this commune's field evidence instead of the district's (page 1 has that)
        overall = {
            i18n.note_text(n, lang) for n in analysis.notes if getattr(n, "key", None) == "evidence"
        }
        lines = [line for line in lines if line not in overall] + own
    y = snapshot.text_blocks(fig, _PANEL_X, y - 0.015, [(heading, lines)], width=80, fontsize=6.5)
    fig.text(
        _PANEL_X,
        y + 0.008,
        t("report.legend_page1", lang),
        fontsize=6.5,
        style="italic",
        color="#444444",
        va="top",
    )

    # the sources across the foot of the page (the filters are in the header)
    snapshot.text_blocks(fig, _COMMUNE_MAP[0], _BAND_Y, blocks[1:], width=190, fontsize=6.5)
    fig.text(
        _RIGHT,
        0.012,
        f"{t('map.date', lang)}: {snapshot.day_text(date, lang)}  ·  phusong",
        fontsize=7,
        ha="right",
        va="bottom",
        color="#444444",
    )
    _page_number(fig, *page, lang)
    return fig


def _figures(table: pd.DataFrame, code: str, lang: str) -> list[tuple[str, str]]:
    """(label, value) of one commune's row of :func:`geo.render.tables.commune_table`, numbers written
    the language's way (vi 1.234,5; en 1,234.5)."""
    row = table[table[t("col.code", lang)] == code].iloc[0]
    skip = {t("col.name", lang), t("col.gap_rank", lang)}
    out = []
    for label, value in row.items():
        if label in skip:
            continue
        if pd.isna(value):
            text = "–"
        elif isinstance(value, float):
            text = fmt_number(value, lang, 2 if label == t("col.area_km2", lang) else 1)
        elif isinstance(value, int) or hasattr(value, "__index__"):
            text = fmt_number(int(value), lang, 0)
        else:
            text = str(value)
        out.append((str(label), text))
    return out


def _figure_rows(fig, rows: list[tuple[str, str]], y: float, *, bottom: float) -> float:
    """Label and value columns with a light band on every other row, from ``y`` down to no lower
    than ``bottom`` (rows get closer when there are many); returns the y below the last row."""
    step = min(0.0165, (y - bottom) / max(len(rows), 1))
    for i, (label, value) in enumerate(rows):
        top = y - i * step
        if i % 2 == 0:
            fig.patches.append(
                Rectangle(
                    (_PANEL_X - 0.004, top - step),
                    _RIGHT - _PANEL_X + 0.008,
                    step,
                    transform=fig.transFigure,
                    facecolor="#f2f2ee",
                    edgecolor="none",
                    zorder=0,
                )
            )
        fig.text(_PANEL_X, top - step / 2, label, fontsize=7.2, va="center", color="#222222")
        fig.text(
            _RIGHT,
            top - step / 2,
            value,
            fontsize=7.2,
            va="center",
            ha="right",
            fontweight="bold",
            color="#111111",
        )
    return y - len(rows) * step


def _page_number(fig, number: int, pages: int, lang: str) -> None:
    fig.text(
        0.5,
        0.012,
        f"{t('map.page', lang)} {number}/{pages}",
        fontsize=7,
        ha="center",
        va="bottom",
        color="#444444",
    )
