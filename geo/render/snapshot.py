"""A static A4 landscape map of a :class:`geo.analysis.gaps.GapAnalysis` as PNG or PDF bytes (matplotlib).

The page holds a title, the commune choropleth with names, the uncovered areas of the chosen kinds
(hatched), the sites by carrier, a legend, a scale bar in km (measured in the analysis' UTM CRS), a
north arrow, the date, the data sources, the model assumptions and, where site positions are
illustrative, the notice saying so. Colours and classes are those of :mod:`geo.render.maps`, so the
printed map matches the interactive one. Text comes from :mod:`geo.i18n` in the chosen language;
DejaVu Sans (matplotlib's default font) carries every Vietnamese diacritic.
"""

from __future__ import annotations

import datetime as _dt
import io
import math
import textwrap
from typing import Literal

import matplotlib
import numpy as np
import shapely
from matplotlib import patheffects
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from geo.render import style
from geo.cache import IdentityCache
from geo.render.style import filter_line, is_filtered
from geo.errors import PhusongError
from geo.i18n import TEXT, localized, note_text, t
from geo.settings import GAP_KINDS, LANGS, check_choice

A4_LANDSCAPE_IN = (11.69, 8.27)
FORMATS: tuple[str, ...] = ("png", "pdf")
GAP_HATCH: dict[str, str] = {
    "no_4g": "////",
    "no_mobile": "\\\\\\\\",
    "no_loudspeaker": "----",
    "no_internet": "||||",
    "no_service": "xxxx",
    "at_risk": "....",
}
_MAP_BOX = (0.035, 0.115, 0.62, 0.765)  # left, bottom, width, height of the map, figure fraction
_SIDE_X = 0.685  # left edge of the side panel
# matplotlib settings of every page (fonts embedded as TrueType in a PDF)
RC = {
    "font.family": "DejaVu Sans",
    "hatch.linewidth": 0.7,
    "pdf.fonttype": 42,
    "svg.fonttype": "none",
    "axes.unicode_minus": False,
}


def render(
    analysis,
    *,
    metric: str,
    lang: str = "vi",
    fmt: Literal["png", "pdf"] = "png",
    title: str | None = None,
    dpi: int = 150,
    show_gaps: tuple[str, ...] | None = None,
    date: _dt.date | None = None,
) -> bytes:
    """The A4 landscape map page as PNG or PDF bytes.

    Parameters
    ----------
    analysis : a :class:`geo.analysis.gaps.GapAnalysis` in a metric (UTM) CRS.
    metric : one of :data:`geo.render.style.MAP_METRICS`, the colour of the communes.
    lang : "vi" or "en".
    fmt : "png" or "pdf".
    title : page title; default "<map title>: <dataset name>".
    dpi : resolution of a PNG (A4 at 150 dpi is 1754 × 1240 px).
    show_gaps : uncovered-area kinds to hatch; default the kind the metric measures (none for
        ``gap_score``).
    date : date printed on the page; default today. Pass one for reproducible output.

    A PDF carries no creation date, so the same inputs (and ``date``) give the same bytes.
    """
    show_gaps = check_args(
        analysis, metric=metric, lang=lang, fmt=fmt, dpi=dpi, show_gaps=show_gaps
    )
    with matplotlib.rc_context(RC):
        fig = _page(
            analysis, metric=metric, lang=lang, title=title, dpi=dpi, show_gaps=show_gaps, date=date
        )
        return save(fig, fmt)


def figure(
    analysis,
    *,
    metric: str,
    lang: str = "vi",
    title: str | None = None,
    dpi: int = 150,
    show_gaps: tuple[str, ...] | None = None,
    date: _dt.date | None = None,
) -> Figure:
    """The page of :func:`render` as a drawn matplotlib :class:`Figure` (for tests, and to check
    what is on it); the commune names are its texts with gid :data:`LABEL_GID`."""
    show_gaps = check_args(
        analysis, metric=metric, lang=lang, fmt="png", dpi=dpi, show_gaps=show_gaps
    )
    with matplotlib.rc_context(RC):
        fig = _page(
            analysis, metric=metric, lang=lang, title=title, dpi=dpi, show_gaps=show_gaps, date=date
        )
        fig.canvas.draw()
    return fig


def save(fig: Figure, fmt: str) -> bytes:
    """``fig`` as PNG (at the figure's dpi) or PDF bytes, without dates or software names, so the
    same page gives the same bytes."""
    buf = io.BytesIO()
    if fmt == "pdf":
        fig.savefig(buf, format="pdf", metadata={"CreationDate": None, "ModDate": None})
    else:
        fig.savefig(buf, format="png", dpi=fig.dpi, metadata={"Software": None})
    return buf.getvalue()


def check_args(
    analysis, *, metric: str, lang: str, fmt: str, dpi: int, show_gaps: tuple[str, ...] | None
) -> tuple[str, ...]:
    """Check the arguments of :func:`render`; returns the gap kinds to hatch."""
    check_choice("metric", metric, style.MAP_METRICS)
    check_choice("lang", lang, LANGS)
    check_choice("fmt", fmt, FORMATS)
    if show_gaps is None:
        kind = style.metric_for_gap(metric)
        show_gaps = (kind,) if kind else ()
    show_gaps = tuple(check_choice("show_gaps", g, GAP_KINDS) for g in show_gaps)
    if not isinstance(dpi, int) or not 50 <= dpi <= 600:
        raise PhusongError(f"dpi must be a whole number from 50 to 600; got {dpi!r}")
    communes = analysis.communes
    if communes.crs is None or communes.crs.is_geographic:
        raise PhusongError(
            "the communes need a metric (UTM) CRS to draw a scale bar; "
            f"got {communes.crs!r}: project them with to_crs first"
        )
    if len(communes) == 0:
        raise PhusongError("the analysis has no communes to draw")
    return show_gaps


def _page(
    analysis,
    *,
    metric: str,
    lang: str,
    title: str | None,
    dpi: int,
    show_gaps: tuple[str, ...],
    date: _dt.date | None,
) -> Figure:
    fig = new_page(dpi)
    compose(
        fig,
        analysis,
        metric=metric,
        lang=lang,
        title=title,
        show_gaps=show_gaps,
        date=date or _dt.date.today(),
    )
    return fig


def new_page(dpi: int) -> Figure:
    """An empty A4 landscape figure on its own Agg canvas (no pyplot state)."""
    fig = Figure(figsize=A4_LANDSCAPE_IN, dpi=dpi)
    canvas = FigureCanvasAgg(fig)
    # geopandas asks for a redraw after every layer it plots; on a bare Agg canvas that draws
    # the whole page each time. Pages are drawn once, when saved (or measured).
    canvas.draw_idle = lambda *args, **kwargs: None
    return fig


def compose(
    fig: Figure,
    analysis,
    *,
    metric: str,
    lang: str,
    title: str | None,
    show_gaps: tuple[str, ...],
    date: _dt.date,
    map_box: tuple[float, float, float, float] = _MAP_BOX,
):
    """Draw the snapshot page into ``fig``: header, the map in ``map_box`` (left, bottom, width,
    height as figure fractions; its top stays under the header), legend, assumptions, sources and
    date on the right; returns the map's axes."""
    ax = fig.add_axes(map_box)
    draw_map(ax, analysis, metric=metric, lang=lang, show_gaps=show_gaps)
    header(fig, analysis, metric=metric, lang=lang, title=title)
    _side_panel(fig, analysis, metric=metric, lang=lang, show_gaps=show_gaps, date=date)
    return ax


# --- the map ------------------------------------------------------------------------------------

_HALO = [patheffects.withStroke(linewidth=2.5, foreground="white")]
LABEL_GID = "phusong-commune-label"  # gid of the commune names (tests find them by it)
# District outlines by the commune frame they are made from (every page of a report draws it).
_DISTRICT_OUTLINES = IdentityCache(max_entries=8)
_FURNITURE_GID = "phusong-furniture"  # scale bar and north arrow: names keep off them


def draw_map(
    ax,
    analysis,
    *,
    metric: str,
    lang: str,
    show_gaps: tuple[str, ...],
    frame_to=None,
    highlight: str | None = None,
) -> None:
    """Draw the map of ``analysis`` into ``ax``: communes coloured by ``metric``, hatched gaps,
    sites, the district outline, a scale bar, a north arrow and the commune names, placed so
    that no two overlap (:func:`place_labels`). ``frame_to`` (a GeoDataFrame in the analysis'
    metric CRS; default every commune) is what the view fits; ``highlight`` is the code of a
    commune outlined in black."""
    communes = analysis.communes
    # a page zoomed to a commune draws only what its view shows (a province has hundreds)
    view = None if frame_to is None else _view(ax, frame_to)
    _draw_map(ax, analysis, metric=metric, show_gaps=show_gaps, view=view)
    if highlight is not None:
        communes[communes["code"] == highlight].boundary.plot(
            ax=ax, color="#000000", linewidth=2.2, zorder=3.5
        )
    _frame(ax, communes if frame_to is None else frame_to)
    _scale_bar(ax, lang)
    _north_arrow(ax, lang)
    place_labels(ax, communes)


def _draw_map(
    ax,
    analysis,
    *,
    metric: str,
    show_gaps: tuple[str, ...],
    view: tuple[float, float, float, float] | None = None,
) -> None:
    """The layers of the map; with ``view`` (x0, x1, y0, y1 in the analysis' CRS) only the
    features that reach into it."""

    def within(g):
        if view is None or not len(g):
            return g
        x0, x1, y0, y1 = view
        return g.cx[x0:x1, y0:y1]

    all_communes = analysis.communes
    crs = all_communes.crs
    communes = within(all_communes)
    values = communes[metric] if metric in communes else [np.nan] * len(communes)
    communes.plot(
        ax=ax,
        color=style.class_colors(values, metric),
        edgecolor="#666666",
        linewidth=0.6,
        zorder=1,
    )

    gaps = analysis.gap_polygons(tuple(show_gaps))
    for kind in show_gaps:
        sel = gaps[gaps["gap"] == kind] if len(gaps) else gaps
        sel = within(sel.to_crs(crs) if len(sel) and sel.crs != crs else sel)
        if not len(sel):
            continue
        color = style.GAP_COLORS[kind]
        sel.plot(
            ax=ax, facecolor="none", edgecolor=color, hatch=GAP_HATCH[kind], linewidth=0, zorder=2
        )
        sel.boundary.plot(ax=ax, color=color, linewidth=0.5, linestyle=(0, (3, 2)), zorder=2)

    outline = _DISTRICT_OUTLINES.get(  # the same on every page of a report
        (all_communes,), "outline", lambda: shapely.union_all(all_communes.geometry.values).boundary
    )
    type(all_communes.geometry)([outline], crs=crs).plot(
        ax=ax, color="#222222", linewidth=1.6, zorder=3
    )

    for layer, z in (("loudspeakers", 4), ("internet_points", 5), ("bts_sites", 6)):
        g = analysis.sites.get(layer)
        if g is None or not len(g):
            continue
        g = g.to_crs(crs) if g.crs != crs else g
        g = within(g[~(g.geometry.isna() | g.geometry.is_empty)])
        x, y = g.geometry.x.to_numpy(), g.geometry.y.to_numpy()
        if layer == "bts_sites":
            carriers = g["carrier"].to_numpy() if "carrier" in g else np.array(["other"] * len(g))
            colors = [style.CARRIER_COLORS.get(c, style.CARRIER_COLORS["other"]) for c in carriers]
            ax.scatter(
                x, y, s=34, c=colors, edgecolors="white", linewidths=0.8, marker="o", zorder=z
            )
        elif layer == "loudspeakers":
            ax.scatter(
                x,
                y,
                s=14,
                c=style.LOUDSPEAKER_COLOR,
                edgecolors=style.LOUDSPEAKER_EDGE,
                linewidths=0.8,
                marker="o",
                zorder=z,
            )
        else:
            ax.scatter(
                x,
                y,
                s=22,
                c=style.INTERNET_COLOR,
                edgecolors=style.INTERNET_EDGE,
                linewidths=0.7,
                marker="D",
                zorder=z,
            )

    proposed = style.proposed_sites(analysis)  # numbered proposals of geo.plan.siting, on top
    if proposed is not None:
        proposed = proposed.to_crs(crs) if proposed.crs != crs else proposed
        x, y = proposed.geometry.x.to_numpy(), proposed.geometry.y.to_numpy()
        ax.scatter(
            x,
            y,
            s=150,
            c=style.PROPOSED_COLOR,
            edgecolors="white",
            linewidths=1.0,
            marker="o",
            zorder=8,
        )
        for xi, yi, rank in zip(x, y, proposed["proposed_rank"].to_numpy(int), strict=True):
            ax.annotate(
                str(rank),
                (xi, yi),
                ha="center",
                va="center",
                fontsize=6.5,
                fontweight="bold",
                color="white",
                zorder=9,
                annotation_clip=True,
            )


def _frame(ax, communes) -> None:
    """Fit the communes into the axes box at equal scale, with a margin."""
    x0, x1, y0, y1 = _view(ax, communes)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_facecolor("#f4f4f0")
    for s in ax.spines.values():
        s.set_edgecolor("#888888")
        s.set_linewidth(0.8)


def _view(ax, communes) -> tuple[float, float, float, float]:
    """(x0, x1, y0, y1): the bounds of ``communes`` with a margin, grown to the shape of the
    axes box."""
    x0, y0, x1, y1 = communes.total_bounds
    w, h = max(x1 - x0, 1.0), max(y1 - y0, 1.0)
    x0, x1, y0, y1 = x0 - 0.05 * w, x1 + 0.05 * w, y0 - 0.12 * h, y1 + 0.05 * h
    fig_w, fig_h = ax.figure.get_size_inches()
    box = ax.get_position(original=True)
    target = (box.height * fig_h) / (box.width * fig_w)  # height / width of the axes box
    w, h = x1 - x0, y1 - y0
    if h / w < target:
        grow = (target * w - h) / 2
        y0, y1 = y0 - grow, y1 + grow
    else:
        grow = (h / target - w) / 2
        x0, x1 = x0 - grow, x1 + grow
    return x0, x1, y0, y1


def place_labels(ax, communes, *, fontsize: float = 7.5) -> list:
    """Write each commune's name into ``ax`` (already framed) so that no two names overlap and
    none covers the scale bar, the north arrow or another commune's point; returns the texts.

    A name goes at the commune's representative point when that spot is free; else at the free
    spot nearest to it, trying spots inside the commune first (rings around the point, in
    display units, so the result does not depend on the map's scale). A name moved off its
    point gets a thin leader line to it, which crosses no other name (nor does a later name
    cover it). Small communes are placed first: they have the least room. Names whose point
    lies outside the view (a page zoomed to one commune) are left out.
    """
    fig = ax.figure
    ax.apply_aspect()  # the axes' final box, as drawn
    renderer = fig.canvas.get_renderer()
    view = ax.get_window_extent(renderer)
    pad = 1.5 * fig.dpi / 72  # 1.5 pt between two names
    taken = [
        _padded(a.get_window_extent(renderer).extents, pad)
        for a in (*ax.texts, *ax.patches)
        if a.get_gid() == _FURNITURE_GID
    ]
    leaders: list[list[float]] = []
    points = communes.geometry.representative_point()
    anchors = ax.transData.transform(np.column_stack([points.x.to_numpy(), points.y.to_numpy()]))
    shown = ~(points.isna() | points.is_empty).to_numpy() & np.array(
        [view.contains(x, y) for x, y in anchors], dtype=bool
    )
    dots = np.column_stack([anchors - 2 * pad, anchors + 2 * pad])  # other communes' points
    texts = []
    for i in np.argsort(communes.geometry.area.to_numpy(), kind="stable"):
        if not shown[i]:
            continue
        (px, py), point = anchors[i], points.iloc[i]
        text = ax.text(
            point.x,
            point.y,
            str(communes["name"].iloc[i]),
            ha="center",
            va="center",
            fontsize=fontsize,
            color="#111111",
            path_effects=_HALO,
            zorder=7,
            gid=LABEL_GID,
        )
        extent = text.get_window_extent(renderer)
        w, h = extent.width, extent.height
        spots = _spots(px, py, w, h)
        boxes = np.column_stack([spots - (w / 2, h / 2), spots + (w / 2, h / 2)])
        others = shown & (np.arange(len(dots)) != i)
        obstacles = np.vstack([np.reshape(taken, (-1, 4)), dots[others]])
        free = (
            (boxes[:, 0] >= view.x0)
            & (boxes[:, 1] >= view.y0)
            & (boxes[:, 2] <= view.x1)
            & (boxes[:, 3] <= view.y1)
            & ~_overlaps(boxes, obstacles).any(axis=1)
        )
        if leaders:
            free &= ~_crosses(np.asarray(leaders), boxes).any(axis=0)
        ends = np.column_stack(
            [np.clip(px, boxes[:, 0], boxes[:, 2]), np.clip(py, boxes[:, 1], boxes[:, 3])]
        )
        data = ax.transData.inverted().transform(spots)
        inside = shapely.contains_xy(communes.geometry.iloc[i], data[:, 0], data[:, 1])
        # inside the commune first, then by distance (spots are made nearest first)
        order = np.lexsort((np.arange(len(spots)), ~inside))
        candidates = order[free[order]]
        # a free spot whose leader crosses no name; else any free spot; else (a page too
        # crowded for its names) the commune's point
        k = int(candidates[0]) if len(candidates) else 0
        for candidate in candidates:
            leader = [px, py, *ends[candidate]]
            if (
                (ends[candidate] == (px, py)).all()
                or not taken
                or not _crosses(np.asarray([leader]), np.asarray(taken)).any()
            ):
                k = int(candidate)
                break
        text.set_position(tuple(data[k]))
        if not (ends[k] == (px, py)).all():
            _leader(ax, (px, py), ends[k])
            leaders.append([px, py, *ends[k]])
        taken.append(_padded(boxes[k], pad))
        texts.append(text)
    return texts


def _overlaps(boxes: np.ndarray, others: np.ndarray) -> np.ndarray:
    """N × M: does box n overlap box m? Boxes are rows (x0, y0, x1, y1)."""
    return (
        (boxes[:, None, 0] < others[None, :, 2])
        & (boxes[:, None, 2] > others[None, :, 0])
        & (boxes[:, None, 1] < others[None, :, 3])
        & (boxes[:, None, 3] > others[None, :, 1])
    )


def _crosses(segments: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """S × B: does segment s (rows x0, y0, x1, y1) pass through box b (rows x0, y0, x1, y1)?
    Liang–Barsky clipping: the part of the segment inside the box is [lo, hi] of its length."""
    x0, y0 = segments[:, 0, None], segments[:, 1, None]
    dx, dy = segments[:, 2, None] - x0, segments[:, 3, None] - y0
    shape = (len(segments), len(boxes))
    p = np.stack([np.broadcast_to(v, shape) for v in (-dx, dx, -dy, dy)])
    q = np.stack(
        [
            x0 - boxes[None, :, 0],
            boxes[None, :, 2] - x0,
            y0 - boxes[None, :, 1],
            boxes[None, :, 3] - y0,
        ]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        r = q / p
    lo = np.where(p < 0, r, 0.0).max(axis=0)
    hi = np.where(p > 0, r, 1.0).min(axis=0)
    outside = ((p == 0) & (q < 0)).any(axis=0)  # parallel to an edge and beyond it
    return (lo < hi) & ~outside


def _spots(x: float, y: float, w: float, h: float) -> np.ndarray:
    """Candidate centres for a ``w`` × ``h`` label around (``x``, ``y``) in display units: the
    point itself, then 24 directions on 40 rings half a line apart (wider than high, like the
    label), nearest first."""
    step = 0.5 * h
    ring = np.arange(1, 41)[:, None] * step
    angle = np.arange(24)[None, :] * (2 * np.pi / 24)
    dx = (ring * np.cos(angle) * (0.5 + 0.5 * w / h) ** 0.5).ravel()
    dy = (ring * np.sin(angle)).ravel()
    order = np.argsort(np.hypot(dx / max(w, 1), dy / max(h, 1)), kind="stable")
    return np.vstack([[x, y], np.column_stack([x + dx[order], y + dy[order]])])


def _padded(box, pad: float) -> list[float]:
    """(x0, y0, x1, y1) grown by ``pad`` on every side."""
    return [box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad]


def _leader(ax, anchor: tuple[float, float], end: np.ndarray) -> None:
    """A thin line from a commune's point to the nearest edge of its moved name, and a dot
    (display coordinates in, drawn in data coordinates)."""
    (ax0, ay0), (bx, by) = ax.transData.inverted().transform([anchor, end])
    ax.plot(
        [ax0, bx], [ay0, by], color="#333333", linewidth=0.6, zorder=6.9, solid_capstyle="round"
    )
    ax.plot([ax0], [ay0], marker="o", markersize=2.2, color="#333333", zorder=6.9)


def nice_length_m(width_m: float) -> float:
    """A round scale-bar length (1, 2 or 5 × 10^k metres) about a fifth of ``width_m``."""
    target = width_m / 5
    k = 10 ** math.floor(math.log10(target))
    return max((s * k for s in (1, 2, 5) if s * k <= target), default=k)


def _scale_bar(ax, lang: str) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = nice_length_m(x1 - x0)
    h = (y1 - y0) * 0.012
    bx, by = x0 + (x1 - x0) * 0.04, y0 + (y1 - y0) * 0.05
    ax.add_patch(
        Rectangle(
            (bx - (x1 - x0) * 0.012, by - h * 1.6),
            length + (x1 - x0) * 0.04,
            h * 5.2,
            facecolor="white",
            edgecolor="none",
            alpha=0.8,
            zorder=8,
            gid=_FURNITURE_GID,
        )
    )
    for i in range(4):
        ax.add_patch(
            Rectangle(
                (bx + i * length / 4, by),
                length / 4,
                h,
                facecolor="#222222" if i % 2 == 0 else "white",
                edgecolor="#222222",
                linewidth=0.6,
                zorder=9,
            )
        )
    km = length / 1000
    for frac in (0, 0.5, 1):
        v = km * frac
        txt = style.fmt_number(v, lang, 0 if float(v).is_integer() else 1)
        if frac == 1:
            txt += " " + t("unit.km", lang)
        ax.text(
            bx + length * frac, by + h * 1.5, txt, ha="center", va="bottom", fontsize=7, zorder=9
        )


def _north_arrow(ax, lang: str) -> None:
    ax.annotate(
        "",
        xy=(0.955, 0.95),
        xytext=(0.955, 0.86),
        xycoords="axes fraction",
        arrowprops={
            "arrowstyle": "-|>,head_width=0.35,head_length=0.7",
            "color": "#222222",
            "linewidth": 1.6,
        },
        zorder=9,
        gid=_FURNITURE_GID,
    )
    ax.text(
        0.955,
        0.955,
        t("map.north", lang),
        transform=ax.transAxes,
        ha="center",
        va="bottom",
        fontsize=11,
        fontweight="bold",
        zorder=9,
        path_effects=_HALO,
        gid=_FURNITURE_GID,
    )


# --- text around the map ------------------------------------------------------------------------


_FILTERED_STYLE = {"color": "#a50f15", "fontweight": "bold"}  # a filtered view stands out


def page_title(analysis, lang: str, title: str | None = None) -> str:
    """The page title: ``title`` if given, else "<map title>: <dataset name>"."""
    name = analysis.dataset_name
    return title or (f"{t('map.title', lang)}: {name}" if name else t("map.title", lang))


def header(
    fig,
    analysis,
    *,
    metric: str,
    lang: str,
    title: str | None,
    notice_at: tuple[float, float] = (_MAP_BOX[0] + _MAP_BOX[2] / 2, 0.07),
) -> None:
    """Title, metric and boundaries, the filter line; the illustrative notice centred at
    ``notice_at`` (figure fraction)."""
    head = page_title(analysis, lang, title)
    vintage = getattr(analysis, "vintage", None)
    sub = t(f"metric.{metric}", lang)
    if vintage in ("legacy", "2025"):
        sub += f"  ·  {t('map.vintage', lang)}: {t('map.vintage_' + vintage, lang)}"
    fig.text(0.035, 0.965, head, fontsize=15, fontweight="bold", va="top", ha="left")
    fig.text(0.035, 0.925, sub, fontsize=10.5, va="top", ha="left", color="#333333")
    # the filters in red when some sites are left out: a "Viettel only" page must not read as
    # the whole coverage
    fig.text(
        0.035,
        0.9,
        filter_line(analysis.params, lang),
        fontsize=9,
        va="top",
        ha="left",
        **(_FILTERED_STYLE if is_filtered(analysis.params) else {"color": "#333333"}),
    )
    if analysis.illustrative:
        fig.text(
            *notice_at,
            "⚠ " + t("notice.illustrative", lang),
            ha="center",
            va="center",
            fontsize=9.5,
            fontweight="bold",
            color="#664d03",
            bbox={"boxstyle": "round,pad=0.4", "facecolor": "#fff3cd", "edgecolor": "#e0b000"},
        )


def _legend_handles(analysis, *, metric: str, lang: str, show_gaps: tuple[str, ...]):
    handles = [
        Patch(facecolor=c, edgecolor="#666666", linewidth=0.5, label=label)
        for c, label in zip(style.CLASS_COLORS, style.class_labels(metric, lang), strict=True)
    ]
    if metric in analysis.communes and analysis.communes[metric].isna().any():
        handles.append(
            Patch(
                facecolor=style.NO_DATA_COLOR,
                edgecolor="#666666",
                linewidth=0.5,
                label=t("map.no_data", lang),
            )
        )
    extra = [
        Patch(
            facecolor="none",
            edgecolor=style.GAP_COLORS[k],
            hatch=GAP_HATCH[k],
            linewidth=0.5,
            label=t(f"gap.{k}", lang),
        )
        for k in show_gaps
    ]
    bts = analysis.sites.get("bts_sites")
    if bts is not None and len(bts) and "carrier" in bts:
        present = set(bts["carrier"])
        extra += [
            Line2D(
                [],
                [],
                marker="o",
                linestyle="none",
                markersize=7,
                markerfacecolor=c,
                markeredgecolor="white",
                label=t("map.bts_of_carrier", lang).format(carrier=t(f"carrier.{k}", lang)),
            )
            for k, c in style.CARRIER_COLORS.items()
            if k in present
        ]
    for layer, face, edge, marker, size in (
        ("loudspeakers", style.LOUDSPEAKER_COLOR, style.LOUDSPEAKER_EDGE, "o", 5),
        ("internet_points", style.INTERNET_COLOR, style.INTERNET_EDGE, "D", 5),
    ):
        g = analysis.sites.get(layer)
        if g is not None and len(g):
            extra.append(
                Line2D(
                    [],
                    [],
                    marker=marker,
                    linestyle="none",
                    markersize=size,
                    markerfacecolor=face,
                    markeredgecolor=edge,
                    label=t(f"layer.{layer}", lang),
                )
            )
    if style.proposed_sites(analysis) is not None:
        extra.append(
            Line2D(
                [],
                [],
                marker="o",
                linestyle="none",
                markersize=9,
                markerfacecolor=style.PROPOSED_COLOR,
                markeredgecolor="white",
                label=t("plan.proposed", lang),
            )
        )
    return handles, extra


def distance_text(m: float, lang: str) -> str:
    """A distance in metres for reading: "2,5 km" / "2.5 km" from 1 km up, else "300 m"."""
    if m >= 1000:
        v = m / 1000
        return f"{style.fmt_number(v, lang, 0 if v.is_integer() else 1)} km"
    return f"{style.fmt_number(m, lang, 0)} m"


def assumption_lines(params, lang: str = "vi", model: str = "circle") -> list[str]:
    """The model assumptions printed on the page, from a ``geo.settings.CoverageParams``; the
    circle model adds that its coverage is estimated, not measured."""

    def km(r) -> str:
        return distance_text(float(r), lang)

    lines = []
    radii = dict(getattr(params, "radius_m", ()) or ())
    if radii:
        lines.append(
            f"{t('map.radius', lang)}: " + ", ".join(f"{tech} {km(r)}" for tech, r in radii.items())
        )
    overrides = getattr(params, "carrier_radius_m", ()) or ()
    if overrides:
        lines.append(
            f"{t('map.carrier_radius', lang)}: "
            + ", ".join(f"{c} {tech} {km(r)}" for c, tech, r in overrides)
        )
    speakers = dict(getattr(params, "loudspeaker_radius_m", ()) or ())
    if speakers:
        lines.append(
            f"{t('map.loudspeaker_reach', lang)}: "
            + ", ".join(
                f"{t('loudspeaker.' + k, lang).lower()} {km(r)}"
                if f"loudspeaker.{k}" in TEXT
                else f"{k} {km(r)}"
                for k, r in speakers.items()
            )
        )
    access = getattr(params, "internet_access_m", None)
    if access is not None:
        lines.append(f"{t('map.internet_access', lang)}: {km(access)}")
    if model == "circle":
        lines.append(t("notice.model", lang))
    return lines


def model_lines(analysis, lang: str = "vi") -> list[str]:
    """The coverage model, its assumptions (:func:`assumption_lines`) and the notes the model
    left (DEM used, grid counting …), in ``lang``."""
    model = getattr(analysis, "model", "circle")
    return (
        [f"{t('terrain.model', lang)}: {t('terrain.model_' + model, lang)}"]
        + assumption_lines(analysis.params, lang, model)
        + [
            note_text(n, lang)
            for n in getattr(analysis, "notes", ())
            if getattr(n, "key", None) not in PER_COMMUNE_NOTES
        ]
    )


# Notes about one commune (its code among the values): not on the one-page snapshot (thirteen
# lines would crowd out the legend); each commune page of report.pdf shows its own.
PER_COMMUNE_NOTES = frozenset({"evidence_commune"})


def commune_note_lines(analysis, code: str, lang: str = "vi") -> list[str]:
    """The per-commune notes (:data:`PER_COMMUNE_NOTES`) of commune ``code``, in ``lang``."""
    return [
        note_text(n, lang)
        for n in getattr(analysis, "notes", ())
        if getattr(n, "key", None) in PER_COMMUNE_NOTES and dict(n.values).get("code") == code
    ]


_SIDE_FONT_SIZES = (7.5, 7.0, 6.5, 6.0, 5.5)  # points, largest first
_SIDE_BOTTOM = 0.055  # figure fraction: the date line sits below


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width=width, break_long_words=False)) or text


def _side_panel(fig, analysis, *, metric: str, lang: str, show_gaps, date: _dt.date) -> None:
    classes, extra = _legend_handles(analysis, metric=metric, lang=lang, show_gaps=show_gaps)
    top = _MAP_BOX[1] + _MAP_BOX[3]
    fig.text(_SIDE_X, top, t("map.legend", lang), fontsize=11, fontweight="bold", va="top")
    leg1 = fig.legend(
        handles=classes,
        title=t(f"metric.{metric}", lang),
        loc="upper left",
        bbox_to_anchor=(_SIDE_X - 0.006, top - 0.03),
        frameon=False,
        fontsize=8.5,
        title_fontsize=8.5,
        alignment="left",
        handlelength=1.6,
        handleheight=1.1,
        borderaxespad=0,
    )
    fig.canvas.draw()  # place the first legend to know where the second may start
    inv = fig.transFigure.inverted()
    y = inv.transform(leg1.get_window_extent())[0][1] - 0.015
    if extra:
        leg2 = fig.legend(
            handles=extra,
            loc="upper left",
            bbox_to_anchor=(_SIDE_X - 0.006, y),
            frameon=False,
            fontsize=8.5,
            handlelength=1.6,
            handleheight=1.1,
            borderaxespad=0,
        )
        fig.canvas.draw()
        y = inv.transform(leg2.get_window_extent())[0][1] - 0.025

    # Assumptions and sources, in the largest size that keeps them above the date line (a
    # dataset with many sources, e.g. the population grid's, would run off the page).
    blocks = info_blocks(analysis, lang)
    for size in _SIDE_FONT_SIZES:
        drawn = len(fig.texts)
        bottom = text_blocks(fig, _SIDE_X, y, blocks, fontsize=size, width=int(58 * 7.5 / size))
        if bottom >= _SIDE_BOTTOM or size == _SIDE_FONT_SIZES[-1]:
            break
        for artist in fig.texts[drawn:]:
            artist.remove()
    fig.text(
        0.975,
        0.03,
        f"{t('map.date', lang)}: {day_text(date, lang)}  ·  phusong",
        fontsize=7.5,
        ha="right",
        va="bottom",
        color="#444444",
    )


def day_text(date: _dt.date, lang: str) -> str:
    """A date as the language writes it: 01/07/2025 (vi), 2025-07-01 (en)."""
    return date.strftime("%d/%m/%Y" if lang == "vi" else "%Y-%m-%d")


def info_blocks(analysis, lang: str) -> list[tuple[str, list[str]]]:
    """(heading, lines) of the assumptions (:func:`model_lines`) and the data sources."""
    blocks = [(t("map.assumptions", lang), model_lines(analysis, lang))]
    if analysis.sources:
        blocks.append((t("map.sources", lang), [localized(s, lang) for s in analysis.sources]))
    return blocks


def text_blocks(
    fig,
    x: float,
    y: float,
    blocks: list[tuple[str, list[str]]],
    *,
    width: int = 58,
    fontsize: float = 7.5,
) -> float:
    """Write each (heading, lines) block downwards from (``x``, ``y``) (figure fraction), lines
    as bullets wrapped at ``width`` characters; returns the y below the last block."""
    inv = fig.transFigure.inverted()
    renderer = fig.canvas.get_renderer()
    scale = fontsize / 7.5
    for heading, lines in blocks:
        fig.text(x, y, heading, fontsize=fontsize + 1.5, fontweight="bold", va="top")
        body = "\n".join(_wrap(f"• {line}", width) for line in lines)
        txt = fig.text(
            x,
            y - 0.025 * scale,
            body,
            fontsize=fontsize,
            va="top",
            linespacing=1.35,
            color="#222222",
        )
        y = inv.transform(txt.get_window_extent(renderer))[0][1] - 0.022 * scale
    return y
