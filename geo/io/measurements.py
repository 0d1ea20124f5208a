"""Field evidence in: signal readings and residents' reports as a point layer.

A measurement file goes through the same importer and problem report as every other layer
(:func:`geo.io.importing.import_layer` with layer ``"measurements"``: any format, Vietnamese or English
column names, DMS or decimal coordinates). This module adds what only readings need, per row:

- **carrier** from a name ("Viettel", "VN Viettel", "VNPT") or a mobile network code
  ("452-04", "45204", "452 04"; :data:`geo.settings.MNC_CARRIER`); another country's code is
  refused, naming it;
- **technology** ``2G/3G/4G/5G`` or ``GSM/UMTS/LTE/NR`` (also EDGE, HSPA+ …); the highest when a
  cell says several ("LTE/NR" → 5G);
- **service** ``yes``/``weak``/``no`` from a yes/no cell (``có``/``không``, ``yếu``), else a level
  in dBm judged against :data:`geo.settings.SERVICE_LEVEL_DBM` (RSSI 2G, RSCP 3G, RSRP 4G,
  SS-RSRP 5G; outside :data:`geo.settings.LEVEL_RANGE_DBM` refused), else signal bars.

A G-NetTrack log (``Timestamp, Longitude, Latitude, Operatorname, NetworkTech, Level`` …) loads as
it is. Residents' reports ("no Viettel signal in thôn X") are the same layer with ``source`` =
``report`` (:func:`reports_csv` writes them back in the same columns).
Output: EPSG:4326 points with columns ``carrier, technology, service, level_dbm, bars, time,
note, reporter, source``.
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo.io import normalise
from geo.errors import Problem
from geo.i18n import fold, reason

SERVICES: tuple[str, ...] = ("yes", "weak", "no")
SOURCES: tuple[str, ...] = ("measurement", "report")
# Columns of a residents' reports layer as exported (and imported back): position, then these.
REPORT_COLUMNS: tuple[str, ...] = (
    "lat",
    "lon",
    "carrier",
    "technology",
    "service",
    "note",
    "date",
    "reporter",
)

_SERVICE_WORDS = {
    "yes": (
        "yes",
        "y",
        "co",
        "co song",
        "co dich vu",
        "true",
        "1",
        "ok",
        "tot",
        "good",
        "x",
        "service",
        "covered",
        "dung",
    ),
    "weak": ("weak", "yeu", "song yeu", "chap chon", "poor", "kem", "1 vach"),
    "no": (
        "no",
        "n",
        "khong",
        "khong co",
        "khong co song",
        "mat song",
        "false",
        "0",
        "none",
        "no service",
        "lom song",
        "sai",
    ),
}
_SERVICE_LOOKUP = {w: s for s, words in _SERVICE_WORDS.items() for w in words}
# "452-04", "45204", "452 04", "452/04", "452.04", "MCC 452 MNC 4"
_PLMN = re.compile(r"^(?:mcc\s*)?(\d{3})\s*(?:[-/.\s]|mnc)?\s*(\d{1,3})$")


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(str(text))).split())


def parse_carrier(text: str):
    """(carrier, warning reason or None) for a carrier name or MCC-MNC code.

    "452-04", "45204", "VN Viettel", "Viettel" → Viettel; "452-07" → other with a warning (a real
    operator phusong has no column for); another country's MCC or an MNC of Viet Nam's that is not
    listed raise ValueError with the reason.
    """
    key = _key(text)
    match = _PLMN.match(key)
    if match:
        mcc, mnc = int(match.group(1)), int(match.group(2))
        if mcc != settings.MCC_VIET_NAM:
            raise ValueError(reason("foreign_mcc", mcc=str(mcc), ours=str(settings.MCC_VIET_NAM)))
        return carrier_of_mnc(mnc)
    for prefix in ("vn ", "vietnam ", "viet nam "):  # "VN Viettel" as phones name the network
        if key.startswith(prefix) and key[len(prefix) :]:
            try:
                return normalise.normalise_carrier(key[len(prefix) :])
            except ValueError:
                break
    return normalise.normalise_carrier(text)


def carrier_of_mnc(mnc: int):
    """(carrier, warning reason or None) of a mobile network code under MCC 452."""
    if mnc in settings.MNC_CARRIER:
        return settings.MNC_CARRIER[mnc], None
    if mnc in settings.MNC_UNMODELLED:
        return "other", reason(
            "unmodelled_carrier",
            name=settings.MNC_UNMODELLED[mnc],
            code=f"{settings.MCC_VIET_NAM}-{mnc:02d}",
        )
    known = ", ".join(
        f"{m:02d} {c}"
        for m, c in sorted(settings.MNC_CARRIER.items() | settings.MNC_UNMODELLED.items())
    )
    raise ValueError(reason("unknown_mnc", code=f"{settings.MCC_VIET_NAM}-{mnc:02d}", known=known))


def parse_technology(text: str) -> str:
    """One technology: "LTE" → 4G, "HSPA+" → 3G, "GSM" → 2G, "NR" → 5G; the highest of several
    ("LTE/NR" → 5G, as a phone on NSA 5G reports both). ValueError with the reason otherwise."""
    return normalise.parse_technologies(text).split(";")[-1]


def parse_service(text: str) -> str:
    """ "yes", "weak" or "no" from có/không/yếu, yes/no/weak, 1/0, true/false …"""
    found = _SERVICE_LOOKUP.get(_key(text))
    if found is None:
        raise ValueError(reason("not_service"))
    return found


def judge_level(level_dbm: float, technology: str) -> str:
    """Service from a signal level in dBm for ``technology`` (RSSI 2G, RSCP 3G, RSRP 4G, SS-RSRP
    5G) against :data:`geo.settings.SERVICE_LEVEL_DBM`; ValueError outside the 3GPP range."""
    low, high = settings.LEVEL_RANGE_DBM[technology]
    if not low <= level_dbm <= high:
        raise ValueError(reason("level_range", tech=technology, low=int(low), high=int(high)))
    weak, good = settings.SERVICE_LEVEL_DBM[technology]
    return "yes" if level_dbm >= good else "weak" if level_dbm >= weak else "no"


def judge_bars(bars: float) -> str:
    """Service from signal bars (0 none, 1 weak, 2+ service)."""
    if bars >= settings.BARS_SERVICE:
        return "yes"
    return "weak" if bars >= settings.BARS_WEAK else "no"


def has_service(service) -> np.ndarray:
    """True where a reading says there is service (``weak`` counts when
    :data:`geo.settings.WEAK_IS_SERVICE`)."""
    values = np.asarray(service, dtype=object)
    return (values == "yes") | ((values == "weak") & settings.WEAK_IS_SERVICE)


def finish(
    out: pd.DataFrame, present: set[str], *, name: str, first: int, bad: set
) -> tuple[list[Problem], set]:
    """Hook of :func:`geo.io.importing.import_layer` for the ``measurements`` layer: turns the text
    cells of ``out`` (parsed schema columns, index = file rows − ``first``) into carrier,
    technology and service in place. ``present``: the canonical columns the file has.

    Returns the problems (file, row, column as canonical name, value, reason) and the row index
    labels to leave out.
    """
    problems: list[Problem] = []
    newly: set = set()
    if not ({"carrier", "operator_code"} & present):
        problems.append(
            Problem(
                name,
                None,
                "carrier",
                None,
                reason(
                    "missing_column",
                    column="carrier",
                    also="",
                    hint="",
                    found=", ".join(sorted(present)),
                ),
            )
        )
        return problems, set(out.index)
    if not ({"service", "level_dbm", "bars"} & present):
        problems.append(Problem(name, None, "service", None, reason("no_service_column")))
        return problems, set(out.index)

    def fail(i, column, value, why):
        problems.append(Problem(name, int(i) + first, column, str(value)[:200], why))
        newly.add(i)

    # Plain lists and parsers memoised per distinct text: a 100,000-row log has a handful of
    # carriers and technologies.
    carrier_col = [str(v).strip() for v in out["carrier"].tolist()]
    code_col = [str(v).strip() for v in out["operator_code"].tolist()]
    tech_col = [str(v) for v in out["technology"].tolist()]
    service_col = [str(v).strip() for v in out["service"].tolist()]
    levels = out["level_dbm"].to_numpy(float)
    bars_col = out["bars"].to_numpy(float)
    carrier_of, tech_of = _memo(parse_carrier), _memo(parse_technology)
    service_of = _memo(parse_service)
    carriers, techs, services = list(carrier_col), list(tech_col), list(service_col)
    for k, i in enumerate(out.index):
        if i in bad:
            continue
        carrier_text, code_text = carrier_col[k], code_col[k]
        if not carrier_text and not code_text:
            fail(
                i,
                "carrier"
                if "carrier" in present or "operator_code" not in present
                else "operator_code",
                "",
                reason("empty_required"),
            )
            continue
        carrier, note = carrier_of(carrier_text)
        if carrier is None and code_text:  # G-NetTrack: "Operatorname" blank, "Operator" 45204
            carrier, note = carrier_of(code_text)
            if carrier is None:
                note = carrier_of(carrier_text)[1]
        if carrier is None:
            fail(i, "carrier", carrier_text, note)
            continue
        if note is not None:
            problems.append(Problem(name, int(i) + first, "carrier", carrier_text, note, "warning"))
        carriers[k] = carrier
        tech, why = tech_of(tech_col[k])
        if tech is None:
            fail(i, "technology", tech_col[k], why)
            continue
        techs[k] = tech
        service_text, level = service_col[k], levels[k]
        if service_text:
            services[k], why = service_of(service_text)
        elif np.isfinite(level):
            services[k], why = _judged(judge_level, float(level), tech)
        elif np.isfinite(bars_col[k]):
            services[k], why = judge_bars(float(bars_col[k])), None
        else:
            services[k], why = None, reason("no_service_value")
        if why is not None:
            column = (
                "service"
                if service_text
                else "level_dbm"
                if np.isfinite(level)
                else next(c for c in ("service", "level_dbm", "bars") if c in present)
            )
            fail(
                i,
                column,
                service_text if service_text else (f"{level:g}" if np.isfinite(level) else ""),
                why,
            )
    out["carrier"], out["technology"], out["service"] = carriers, techs, services
    source = out["source"].map(lambda s: s if s in SOURCES else "")
    out["source"] = source.where(source != "", "measurement")
    return problems, newly


def _memo(parse):
    """``parse`` as (value, None) or (None, reason), remembered per distinct argument."""
    seen: dict = {}

    def call(text):
        if text not in seen:
            seen[text] = _judged(parse, text)
        return seen[text]

    return call


def _judged(parse, *args):
    """(parse(*args), None), or (None, the reason) when it raises ValueError. A parser returning
    a pair (value, note) gives that pair."""
    try:
        value = parse(*args)
    except ValueError as exc:
        return None, exc.args[0]
    return value if isinstance(value, tuple) else (value, None)


def reports_frame(readings: gpd.GeoDataFrame) -> pd.DataFrame:
    """Residents' reports (or any readings) as a table of :data:`REPORT_COLUMNS` (WGS 84
    degrees), the layer :func:`geo.io.fieldfiles.import_measurements` reads back."""
    pts = readings.to_crs(4326).geometry if len(readings) else readings.geometry
    return pd.DataFrame(
        {
            "lat": np.round(pts.y.to_numpy(float), 6) if len(readings) else [],
            "lon": np.round(pts.x.to_numpy(float), 6) if len(readings) else [],
            "carrier": readings["carrier"].to_numpy(object),
            "technology": readings["technology"].to_numpy(object),
            "service": readings["service"].to_numpy(object),
            "note": readings["note"].to_numpy(object) if "note" in readings else "",
            "date": readings["time"].to_numpy(object) if "time" in readings else "",
            "reporter": readings["reporter"].to_numpy(object) if "reporter" in readings else "",
        },
        columns=list(REPORT_COLUMNS),
    )


def reports_csv(readings: gpd.GeoDataFrame) -> bytes:
    """:func:`reports_frame` as UTF-8 CSV with a BOM (opens in Excel with its diacritics)."""
    return reports_frame(readings).to_csv(index=False).encode("utf-8-sig")


__all__ = [
    "REPORT_COLUMNS",
    "SERVICES",
    "SOURCES",
    "carrier_of_mnc",
    "finish",
    "has_service",
    "judge_bars",
    "judge_level",
    "parse_carrier",
    "parse_service",
    "parse_technology",
    "reports_csv",
    "reports_frame",
]
