"""Local, diacritic-insensitive commune search (no online geocoder)."""

from __future__ import annotations

import pandas as pd

from geo.i18n import fold  # noqa: F401  (re-exported)
from geo.io.normalise import bare_name


def find_communes(names: pd.Series, query: str) -> list[int]:
    """Positions in ``names`` matching ``query``: exact bare names first, then prefix, then
    substring matches, ignoring diacritics, case, spaces and the "xã"/"thị trấn" prefix."""
    wanted = bare_name(query)
    if not wanted:
        return []
    bare = [bare_name(n) for n in names]
    exact = [i for i, b in enumerate(bare) if b == wanted]
    starts = [i for i, b in enumerate(bare) if b.startswith(wanted) and i not in exact]
    inside = [i for i, b in enumerate(bare) if wanted in b and i not in exact and i not in starts]
    return exact + starts + inside


def unit_holding(communes: pd.DataFrame, code: str) -> str | None:
    """The ``code`` of the row of ``communes`` that is or holds commune ``code``: the row itself,
    else the 2025 unit whose ``legacy_codes`` (";"-separated, geo.analysis.vintages) list it; or None.
    A selection made on one vintage follows the user to the other."""
    codes = communes["code"].astype(str)
    if (codes == code).any():
        return code
    if "legacy_codes" in communes:
        for unit, parts in zip(codes, communes["legacy_codes"].fillna("").astype(str)):
            if code in parts.split(";"):
                return unit
    return None
