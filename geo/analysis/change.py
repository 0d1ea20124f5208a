"""Change over time: two analyses of the same area compared per commune.

For every metric of :data:`METRICS` the table holds its value before, after and the change
(after − before). Shares are percent of the commune's area (0–100), people are people, C03 is 1
where a commune has a support point (Circular 03) and 0 where not. Communes are matched by their
code; a commune in one version only (split, merged, or renamed with a new code) is kept with its
figures on its side, the other side and the change empty (NaN), and ``status`` says which side
it is on ("both", "before_only", "after_only").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo import i18n, settings

# (column of the commune table, kind): "pct" percent of area, "pop" people, "flag" 0/1.
METRICS: tuple[tuple[str, str], ...] = (
    ("covered_4g_pct", "pct"),
    ("covered_4g_pop", "pop"),
    ("no_mobile_pct", "pct"),
    ("no_mobile_pop", "pop"),
    ("loudspeaker_covered_pct", "pct"),
    ("internet_access_pct", "pct"),
    ("no_service_pct", "pct"),
    ("no_service_pop", "pop"),
    ("c03_present", "flag"),
)
STATUSES = ("both", "before_only", "after_only")


def _figures(communes: pd.DataFrame) -> pd.DataFrame:
    table = pd.DataFrame(
        {"code": communes["code"].astype(str).to_numpy(), "name": communes["name"].to_numpy()}
    )
    for column, _ in METRICS:
        table[column] = communes[column].to_numpy().astype(float)
    return table


def compare(before, after) -> pd.DataFrame:
    """Per commune (by code), each metric of :data:`METRICS` before, after and changed.

    ``before``, ``after``: :class:`geo.gaps.GapAnalysis` of the same vintage. Columns: ``code``,
    ``name`` (the later name where both have one), ``status``, then ``<metric>_before``,
    ``<metric>_after``, ``<metric>_change`` per metric. Rows: communes of ``after`` in its order,
    then those only in ``before``.
    """
    a, b = _figures(before.communes), _figures(after.communes)
    merged = b.merge(
        a, on="code", how="outer", suffixes=("_after", "_before"), indicator=True, sort=False
    )
    order: dict[str, int] = {}
    for code in list(b["code"]) + list(a["code"]):
        order.setdefault(code, len(order))
    merged = merged.iloc[np.argsort([order[c] for c in merged["code"]], kind="stable")]
    status = (
        merged["_merge"]
        .map({"both": "both", "left_only": "after_only", "right_only": "before_only"})
        .astype(str)
    )
    out = pd.DataFrame(
        {
            "code": merged["code"].to_numpy(),
            "name": merged["name_after"].fillna(merged["name_before"]).to_numpy(),
            "status": status.to_numpy(),
        }
    )
    for column, _ in METRICS:
        before_values = merged[f"{column}_before"].to_numpy(float)
        after_values = merged[f"{column}_after"].to_numpy(float)
        out[f"{column}_before"] = before_values
        out[f"{column}_after"] = after_values
        out[f"{column}_change"] = after_values - before_values
    return out.reset_index(drop=True)


def line(row: pd.Series, lang: str = "vi") -> str:
    """One sentence for a report: "A Bung: 4G 0 % → 46 %, 1,380 more people" (people reached by
    4G), in ``lang`` with its number format; a commune in one version only says so."""
    settings.check_choice("lang", lang, settings.LANGS)
    name = row["name"]
    if row["status"] != "both":
        return i18n.t(f"change.{row['status']}", lang).format(name=name)
    pct = "{} % → {} %".format(
        i18n.number(row["covered_4g_pct_before"], lang),
        i18n.number(row["covered_4g_pct_after"], lang),
    )
    people = row["covered_4g_pop_change"]
    rounded = round(float(people)) if np.isfinite(people) else 0
    key = "change.more" if rounded > 0 else "change.fewer" if rounded < 0 else "change.same"
    return i18n.t("change.line", lang).format(
        name=name, pct=pct, people=i18n.t(key, lang).format(n=i18n.number(abs(rounded), lang))
    )


def lines(table: pd.DataFrame, lang: str = "vi") -> list[str]:
    """:func:`line` for every commune of a :func:`compare` table, in its order."""
    return [line(row, lang) for _, row in table.iterrows()]


def changed(table: pd.DataFrame) -> np.ndarray:
    """Rows of a :func:`compare` table that changed: in one version only, or a metric moved by
    at least 0.05 percentage points / half a person (what the tables round away)."""
    moved = np.zeros(len(table), dtype=bool)
    for column, kind in METRICS:
        step = {"pct": 0.05, "pop": 0.5, "flag": 0.5}[kind]
        moved |= np.abs(table[f"{column}_change"].to_numpy(float)) >= step
    return moved | (table["status"].to_numpy() != "both")


def totals(table: pd.DataFrame) -> dict[str, float]:
    """District figures of a :func:`compare` table: the change of people reached by 4G and of
    people with no service, over the communes in both versions."""
    both = table[table["status"] == "both"]
    return {
        "covered_4g_pop_change": float(both["covered_4g_pop_change"].sum()),
        "no_service_pop_change": float(both["no_service_pop_change"].sum()),
        "communes": int(len(both)),
    }
