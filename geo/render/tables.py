"""The tables of an analysis as people read them: the per-commune table, the circle/terrain
comparison, the KPI row, one commune's card and the Circular 03 view, headers in the language
asked for. Shared by the downloads (:mod:`geo.render.export`) and the PDF report.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from geo import i18n, settings
from geo.analysis.gaps import GapAnalysis, carrier_column, carriers_reported, district_totals


def table_columns(analysis: GapAnalysis) -> list[str]:
    """Columns of the per-commune table, in reading order."""
    carriers = [carrier_column(c) for c in carriers_reported(analysis.sites["bts_sites"])]
    pct = (
        [
            "mobile_covered_pct",
            "covered_4g_pct",
            "covered_3g_pct",
            "covered_2g_pct",
            "covered_5g_pct",
        ]
        + carriers
        + ["loudspeaker_covered_pct", "internet_access_pct", "no_service_pct", "at_risk_pct"]
    )
    pop = [
        "no_4g_pop",
        "no_mobile_pop",
        "no_loudspeaker_pop",
        "no_loudspeaker_pop_low",
        "no_loudspeaker_pop_high",
        "no_internet_pop",
        "no_internet_pop_low",
        "no_internet_pop_high",
        "no_service_pop",
        "at_risk_pop",
    ]  # ranges: population grid
    tail = ["c03_required", "c03_present", "support_points", "gap_score", "gap_rank"]
    head = ["gap_rank", "code", "name"] + (["legacy_codes"] if analysis.vintage == "2025" else [])
    cols = (
        head
        + ["area_km2", "population", "grid_population", "population_basis"]
        + pct
        + pop
        + tail[:-1]
    )
    return [c for c in cols if c in analysis.communes.columns]


def commune_table(analysis: GapAnalysis, *, lang: str = "vi") -> pd.DataFrame:
    """The per-commune table, rounded for reading, sorted by gap rank, headers in ``lang``.

    Shares are percent (0–100, one decimal), areas km² (two decimals), people whole numbers.
    """
    settings.check_choice("lang", lang, settings.LANGS)
    cols = table_columns(analysis)
    table = _for_reading(pd.DataFrame(analysis.communes[cols]).sort_values("gap_rank"), lang)
    return table.rename(columns={c: i18n.t(f"col.{c}", lang) for c in cols}).reset_index(drop=True)


def _for_reading(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Round figures for reading (shares one decimal, people whole, km² two decimals; a
    ``_terrain`` suffix counts as its base column) and translate the label columns."""
    yes_no = {True: i18n.t("unit.yes", lang), False: i18n.t("unit.no", lang)}
    columns = {}
    for col in table.columns:  # column arrays built apart, one frame at the end: far fewer copies
        base, values = col.removesuffix("_terrain"), table[col]
        if base.endswith("_pct") or base == "gap_score":
            values = values.to_numpy(float).round(1)
        elif base.endswith(("_pop", "_pop_low", "_pop_high")) or base in (
            "population",
            "grid_population",
        ):
            values = pd.array(values.to_numpy(float).round(0), dtype="Int64")
        elif col == "area_km2":
            values = values.to_numpy(float).round(2)
        elif col == "population_basis":
            values = [i18n.t(f"basis.{v}", lang) for v in values]
        elif col in ("c03_required", "c03_present"):
            values = [yes_no[bool(v)] for v in values]
        columns[col] = values
    return pd.DataFrame(columns, index=table.index)


def compare_table(circle: GapAnalysis, terrain: GapAnalysis, *, lang: str = "vi") -> pd.DataFrame:
    """The commune table with each figure twice, side by side: the circle model's and the terrain
    model's; every figure's header names its model (``… [vòng tròn]`` / ``… [địa hình]``)."""
    cols = table_columns(circle)
    figures = [c for c in cols if c.endswith(("_pct", "_pop")) or c in ("gap_score", "gap_rank")]
    extra = [
        c
        for c in terrain.communes.columns
        if c.endswith(("_pct", "_pop")) and c not in circle.communes.columns
    ]
    wide = (
        pd.DataFrame(circle.communes[cols])
        .merge(
            pd.DataFrame(terrain.communes[["code"] + figures + extra]),
            on="code",
            suffixes=("", "_terrain"),
        )
        .sort_values("gap_rank")
    )
    wide = _for_reading(wide, lang)
    circle_tag, terrain_tag = (
        i18n.t("terrain.tag_circle", lang),
        i18n.t("terrain.tag_terrain", lang),
    )
    order, names = [], {}
    for col in cols:
        order.append(col)
        if col in figures:
            order.append(f"{col}_terrain")
            names[col] = f"{i18n.t(f'col.{col}', lang)} {circle_tag}"
            names[f"{col}_terrain"] = f"{i18n.t(f'col.{col}', lang)} {terrain_tag}"
        else:
            names[col] = i18n.t(f"col.{col}", lang)
    for col in extra:
        order.append(col)
        names[col] = f"{i18n.t(f'terrain.col_{col}', lang)} {terrain_tag}"
    return wide[order].rename(columns=names).reset_index(drop=True)


KPI_KINDS: tuple[str, ...] = (
    "no_4g",
    "no_mobile",
    "at_risk",
    "no_loudspeaker",
    "no_internet",
    "no_service",
)


def kpis(analysis: GapAnalysis, *, lang: str = "vi") -> list[tuple[str, str, str, str]]:
    """District totals for the KPI row: (label, value, beside, explanation), people first.

    For each kind of :data:`KPI_KINDS` the value is the people there (whole numbers, e.g.
    "18.322 người"), or the ``low–high`` range where a 1 km population grid makes it one
    (``*_pop_low``/``*_pop_high``, loudspeaker and internet reach); ``beside`` is the share of the
    district's area in percent. Where some commune's population is unknown the value falls back
    to the area share and ``beside`` says the people are unknown. The first entry is the
    district's population and area (km²), the last the Circular 03 communes: two rows of four.
    """
    from geo.render.style import fmt_number

    totals = district_totals(analysis)

    def known(*values: float) -> bool:
        return all(v == v for v in values)  # NaN: some commune's population is unknown

    def people(value: float) -> str:
        return i18n.t("kpi.people", lang).format(n=fmt_number(value, lang, 0))

    population = totals["population"]
    rows = [
        (
            i18n.t("kpi.population", lang),
            people(population) if known(population) else "—",
            i18n.t("kpi.area_total", lang).format(km2=fmt_number(totals["area_km2"], lang, 1)),
            i18n.t("kpi.population_help", lang),
        )
    ]
    for kind in KPI_KINDS:
        share = fmt_number(totals[f"{kind}_pct"], lang, 1)
        area = i18n.t("kpi.area_share", lang).format(pct=share)
        lead = i18n.t("kpi.at_risk_help", lang) if kind == "at_risk" else ""
        value, low, high = (
            totals.get(f"{kind}_pop{end}", math.nan) for end in ("", "_low", "_high")
        )
        if not known(value):
            rows.append(
                (
                    i18n.t(f"kpi.{kind}", lang),
                    f"{share} %",
                    i18n.t("kpi.people_unknown", lang),
                    lead + i18n.t("kpi.unknown_help", lang),
                )
            )
        elif known(low, high) and round(low) != round(high):
            rows.append(
                (
                    i18n.t(f"kpi.{kind}", lang),
                    i18n.t("kpi.people_range", lang).format(
                        low=fmt_number(low, lang, 0), high=fmt_number(high, lang, 0)
                    ),
                    area,
                    lead + i18n.t("kpi.range_help", lang),
                )
            )
        else:
            rows.append(
                (
                    i18n.t(f"kpi.{kind}", lang),
                    people(value),
                    area,
                    lead + i18n.t("kpi.people_help", lang),
                )
            )
    rows.append(
        (
            i18n.t("kpi.c03_missing", lang),
            f"{totals['c03_missing']} / {totals['c03_required']}",
            "",
            i18n.t("kpi.c03_help", lang),
        )
    )
    return rows


def commune_name(analysis: GapAnalysis, code: str) -> str:
    """The name of the commune with ``code``."""
    return str(analysis.communes.set_index("code").at[code, "name"])


def commune_card(
    analysis: GapAnalysis, code: str, *, lang: str = "vi", table: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One commune's figures as a two-column table (label, value) for a side panel, numbers in
    ``lang``'s format (vi 3.911 / 181,51; en 3,911 / 181.51) with the decimals of
    :func:`commune_table`; ``table`` is that table of ``analysis`` in ``lang`` when the caller
    already has it."""
    from geo.render.style import fmt_number

    table = commune_table(analysis, lang=lang) if table is None else table
    row = table[table[i18n.t("col.code", lang)] == code].iloc[0]
    column = {i18n.t(f"col.{c}", lang): c for c in table_columns(analysis)}

    def show(header: str, value) -> str:
        col = column.get(header, "")
        if isinstance(value, str) or col == "code" or isinstance(value, (bool, np.bool_)):
            return str(value)
        decimals = (
            2 if col == "area_km2" else 1 if col.endswith("_pct") or col == "gap_score" else 0
        )
        return fmt_number(None if pd.isna(value) else value, lang, decimals)

    return pd.DataFrame(
        {
            i18n.t("export.field", lang): row.index,
            i18n.t("export.value", lang): [show(h, v) for h, v in row.items()],
        }
    )


def c03_table(analysis: GapAnalysis, *, lang: str = "vi") -> pd.DataFrame:
    """Circular 03/2023 view: communes that need a support point and whether they have one,
    those lacking one first."""
    c = pd.DataFrame(
        analysis.communes[
            ["code", "name", "population", "c03_required", "c03_present", "support_points"]
        ]
    )
    status = [
        i18n.t("c03." + ("missing" if r and not p else "ok" if r else "not_required"), lang)
        for r, p in zip(c["c03_required"], c["c03_present"])
    ]
    c = _for_reading(c, lang).assign(status=status)
    order = np.lexsort(
        (
            analysis.communes["code"].to_numpy(),
            ~analysis.communes["c03_required"].to_numpy(bool),
            analysis.communes["c03_present"].to_numpy(bool),
        )
    )
    return (
        c.iloc[order]
        .rename(columns={col: i18n.t(f"col.{col}", lang) for col in c.columns})
        .reset_index(drop=True)
    )
