"""Pure parsers for the mess real files hold: column aliases, coordinates, carriers, technologies.

Every function takes plain values and returns plain values, or raises :class:`ValueError` whose
one argument is the *reason* shown to the user, a :class:`geo.i18n.Reason` (``str(exc)`` is its
English text; ``geo.io.importing`` adds file, row, column and value).
Nothing here reads files.

Column names are matched after :func:`header_key`: diacritics, case, spaces and punctuation are
ignored ("Kinh độ", "KINH_DO", "kinh do" → ``kinh_do``), and a trailing year is tried off
("population_attr_2009" → ``population_attr``) when the full name means nothing.
"""

from __future__ import annotations

import re

from geo import settings
from geo.i18n import Reason, fold, reason

# --- column aliases -------------------------------------------------------------------------------
# canonical column -> accepted header keys, in priority order (the first one present wins).
_POINT = {
    "lat": ("lat", "latitude", "vi_do", "vido", "lat_wgs84", "vi_do_wgs84", "y"),
    "lon": (
        "lon",
        "lng",
        "long",
        "longitude",
        "kinh_do",
        "kinhdo",
        "lon_wgs84",
        "kinh_do_wgs84",
        "x",
    ),
    "latlon": (
        "toa_do",
        "toado",
        "lat_lon",
        "latlon",
        "lat_long",
        "latlng",
        "coordinates",
        "coords",
        "coordinate",
        "vi_tri",
        "location",
        "gps",
        "toa_do_gps",
    ),
}
_CODE = ("code", "ma_xa", "ma_dvhc", "ma_don_vi", "commune_code", "gso_code", "ma_gso", "ma")
_COMMUNE_NAME = (
    "name",
    "ten_xa",
    "ten_don_vi",
    "ten_dvhc",
    "commune_name",
    "commune_vn",
    "name_vn",
    "ten",
    "commune",
    "xa",
)
_POPULATION = (
    "population",
    "dan_so",
    "danso",
    "so_dan",
    "tong_dan_so",
    "population_attr",
    "so_nguoi",
    "pop",
)
_ILLUSTRATIVE = ("illustrative", "minh_hoa")
ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "communes": {
        "code": _CODE,
        "name": _COMMUNE_NAME,
        "population": _POPULATION,
        "population_source": ("population_source", "nguon_dan_so", "nguon_so_lieu", "nguon"),
        "especially_difficult": (
            "especially_difficult",
            "dbkk",
            "xa_dbkk",
            "dac_biet_kho_khan",
            "xa_dac_biet_kho_khan",
        ),
        "code_2025": ("code_2025", "ma_xa_2025", "ma_xa_moi", "new_code"),
        "name_2025": ("name_2025", "ten_xa_2025", "ten_xa_moi", "new_name"),
    },
    "bts_sites": {
        **_POINT,
        "site_id": (
            "site_id",
            "ma_tram",
            "ma_tram_bts",
            "bts_id",
            "site_code",
            "site",
            "id",
            "ma",
            "ten_tram",
            "tram",
            "name",
            "ten",
        ),
        "carrier": (
            "carrier",
            "nha_mang",
            "operator",
            "nha_khai_thac",
            "doanh_nghiep",
            "mang",
            "network",
        ),
        "technologies": (
            "technologies",
            "technology",
            "tech",
            "cong_nghe",
            "congnghe",
            "cong_nghe_mang",
            "radio",
        ),
        "height_m": (
            "height_m",
            "height",
            "do_cao",
            "chieu_cao",
            "do_cao_cot",
            "chieu_cao_cot",
            "do_cao_m",
            "chieu_cao_m",
            "antenna_height",
        ),
        "illustrative": _ILLUSTRATIVE,
    },
    "loudspeakers": {
        **_POINT,
        "id": ("id", "ma", "ma_cum_loa", "ma_loa", "ma_diem", "name", "ten", "ten_cum_loa"),
        "kind": ("kind", "loai", "type", "loai_hinh", "phan_loai"),
        "radius_m": ("radius_m", "radius", "ban_kinh", "ban_kinh_m"),
        "illustrative": _ILLUSTRATIVE,
    },
    "internet_points": {
        **_POINT,
        "id": ("id", "ma", "ma_diem", "name", "ten", "ten_diem"),
        "kind": ("kind", "loai", "type", "loai_hinh", "phan_loai"),
        "illustrative": _ILLUSTRATIVE,
    },
    "settlements": {
        **_POINT,
        "name": ("name", "ten", "ten_thon", "thon", "ban", "village"),
        "population": _POPULATION,
    },
    # Signal readings and residents' reports (geo.io.measurements); G-NetTrack's log headers
    # (Operatorname, Operator, NetworkTech, Level, Timestamp) included.
    "measurements": {
        **_POINT,
        "carrier": (
            "carrier",
            "nha_mang",
            "operatorname",
            "operator_name",
            "network_operator",
            "nha_khai_thac",
            "doanh_nghiep",
            "mang",
            "network",
            "operator",
            "plmn",
        ),
        "technology": (
            "technology",
            "tech",
            "networktech",
            "network_tech",
            "network_type",
            "networktype",
            "cong_nghe",
            "congnghe",
            "radio",
            "rat",
            "technologies",
        ),
        "service": (
            "service",
            "has_service",
            "co_song",
            "song",
            "co_dich_vu",
            "dich_vu",
            "tinh_trang",
            "trang_thai",
            "coverage",
            "covered",
            "ket_qua",
        ),
        "level_dbm": (
            "level_dbm",
            "level",
            "signal_dbm",
            "dbm",
            "rsrp",
            "rscp",
            "rssi",
            "rxlev",
            "ss_rsrp",
            "cuong_do",
            "cuong_do_tin_hieu",
            "muc_tin_hieu",
            "signal",
            "signal_strength",
        ),
        "bars": ("bars", "so_vach", "vach", "vach_song", "signal_bars"),
        "operator_code": ("operator_code", "mcc_mnc", "mccmnc", "plmn", "operator", "ma_mang"),
        "time": (
            "time",
            "timestamp",
            "date",
            "datetime",
            "observed_on",
            "thoi_gian",
            "ngay",
            "ngay_do",
            "ngay_bao",
        ),
        "note": ("note", "ghi_chu", "comment", "notes", "desc", "description", "mo_ta"),
        "reporter": (
            "reporter",
            "nguoi_bao",
            "nguoi_ghi",
            "reported_by",
            "nguoi_do",
            "nguoi_phan_anh",
        ),
        "source": ("source", "nguon"),
    },
}

_YEAR = re.compile(r"_?(19|20)\d\d$")


def header_key(name: object) -> str:
    """A column name folded for matching: "Kinh độ (WGS84)" → ``kinh_do_wgs84``."""
    return re.sub(r"[^a-z0-9]+", "_", fold(str(name))).strip("_")


def resolve_columns(columns: list[str], layer: str) -> dict[str, str]:
    """Map a file's column names to canonical ones for ``layer``: {original: canonical}.

    A column already named canonically wins; otherwise the first alias (in :data:`ALIASES`
    order) present. Columns that match nothing keep their name (and are ignored later).
    """
    keys = {c: header_key(c) for c in columns}
    stripped = {c: _YEAR.sub("", k) for c, k in keys.items()}
    out: dict[str, str] = {}
    taken: set[str] = set()
    for canonical, aliases in ALIASES[layer].items():
        if canonical in columns:  # exact name wins
            out[canonical] = canonical
            taken.add(canonical)
            continue
        found = None
        for alias in aliases:
            for source in (keys, stripped):
                found = next(
                    (c for c in columns if source[c] == alias and c not in taken and c not in out),
                    None,
                )
                if found:
                    break
            if found:
                break
        if found:
            out[found] = canonical
            taken.add(found)
    return out


# --- numbers and coordinates ----------------------------------------------------------------------

_NUMBER = re.compile(r"^[-+−]?\d+(?:[.,]\d+)?(?:[eE][-+]?\d+)?$")
_NONFINITE = {"nan", "inf", "-inf", "+inf", "infinity", "-infinity"}


def parse_number(text: str) -> float:
    """A finite number from "30.5", "30,5" (decimal comma), " 1e3 " …; ValueError otherwise."""
    s = str(text).strip().replace("\u00a0", "").replace(" ", "").replace("−", "-")
    if s.lower() in _NONFINITE:
        raise ValueError(reason("not_finite"))
    if not _NUMBER.match(s):
        raise ValueError(reason("not_number"))
    return float(s.replace(",", "."))


_DMS = re.compile(
    r"""^\s*
    (?P<h1>[NSEW])?\s*
    (?P<sign>[-+−])?\s*
    (?P<d>\d+(?:[.,]\d+)?)\s*(?:°|º|˚|d|deg|:)?\s*
    (?:(?P<m>\d+(?:[.,]\d+)?)\s*(?:'|′|’|m|min|:)?\s*)?
    (?:(?P<s>\d+(?:[.,]\d+)?)\s*(?:"|″|”|''|′′|s|sec)?\s*)?
    (?P<h2>[NSEW])?\s*$""",
    re.VERBOSE | re.IGNORECASE,
)
_AXIS_OF = {"N": "lat", "S": "lat", "E": "lon", "W": "lon"}


def parse_coordinate(text: str) -> tuple[float, str | None]:
    """Degrees from decimal ("16.7", "16,7", "-16.7") or degrees-minutes-seconds ("16°42'23.5\"N",
    "106 52 57 E", "16:42:23.5", "N16 42.5").

    Returns (degrees, axis) where axis is "lat" or "lon" when a hemisphere letter says so, else
    None. S and W give negative degrees. Raises ValueError with the reason.
    """
    s = str(text).strip()
    if not s:
        raise ValueError(reason("empty"))
    if s.lower() in _NONFINITE:
        raise ValueError(reason("not_finite"))
    m = _DMS.match(s)
    if not m:
        raise ValueError(reason("not_coordinate"))
    h1, h2 = (m.group("h1") or "").upper(), (m.group("h2") or "").upper()
    if h1 and h2:
        raise ValueError(reason("two_hemispheres"))
    hemi = h1 or h2
    d, mins, secs = m.group("d"), m.group("m"), m.group("s")
    if (mins is not None and not d.isdigit()) or (secs is not None and not mins.isdigit()):
        raise ValueError(reason("dms_decimals"))
    value = float(d.replace(",", "."))
    if mins is not None:
        minutes = float(mins.replace(",", "."))
        if minutes >= 60:
            raise ValueError(reason("minutes_60"))
        value += minutes / 60
    if secs is not None:
        seconds = float(secs.replace(",", "."))
        if seconds >= 60:
            raise ValueError(reason("seconds_60"))
        value += seconds / 3600
    negative = m.group("sign") in ("-", "−")
    if hemi in ("S", "W"):
        if negative:
            raise ValueError(reason("sign_and_hemisphere"))
        negative = True
    return (-value if negative else value), _AXIS_OF.get(hemi)


def parse_lat_lon(text: str) -> tuple[float, float]:
    """(lat, lon) from one cell holding both: "16.7061, 106.8827", "16,7061; 106,8827",
    "16.7061 106.8827", "16°42'23.5\"N 106°52'57\"E" (hemisphere letters may put lon first)."""
    s = str(text).strip()
    if not s:
        raise ValueError(reason("empty"))
    parts = _split_pair(s)
    if parts is None:
        raise ValueError(reason("pair_expected"))
    (a, axis_a), (b, axis_b) = (parse_coordinate(p) for p in parts)
    if axis_a == "lon" or axis_b == "lat":
        if axis_a == axis_b:
            raise ValueError(reason("same_axis"))
        a, b = b, a
    elif axis_a == axis_b == "lat":
        raise ValueError(reason("same_axis"))
    return a, b


def _split_pair(s: str) -> list[str] | None:
    if ";" in s:
        parts = s.split(";")
    elif s.count(",") == 1:
        parts = s.split(",")
    elif s.count(",") == 3:  # decimal commas: "16,7, 106,8"
        i = [k for k, ch in enumerate(s) if ch == ","][1]
        parts = [s[:i], s[i + 1 :]]
    elif re.search(r"[NSns]\s*\S", s) and re.search(r"[EWew]", s):
        m = re.match(r"^(.*?[NSns])\s*(.*[EWew].*)$", s) or re.match(r"^(.*?[EWew])\s*(.*)$", s)
        parts = [m.group(1), m.group(2)] if m else []
    else:
        parts = s.split()
    parts = [p.strip() for p in parts if p.strip()]
    return parts if len(parts) == 2 else None


# --- carriers, technologies, kinds ----------------------------------------------------------------

_CARRIER_ALIASES = {
    "Viettel": ("viettel", "vtl", "viettel telecom", "viettel mobile", "vietel", "vt"),
    "VinaPhone": (
        "vinaphone",
        "vina",
        "vnpt",
        "vnpt vinaphone",
        "vinaphone vnpt",
        "vnp",
        "gpc",
        "vina phone",
    ),
    "MobiFone": ("mobifone", "mbf", "mobi", "mobiphone", "vms", "mobi fone", "vms mobifone"),
    "Vietnamobile": ("vietnamobile", "vietnam mobile", "vnm", "ht mobile", "htmobile"),
    "other": ("other", "khac", "nha mang khac", "others"),
}
# Real operators without a column of their own: kept as "other", with a warning saying so.
_MINOR_CARRIERS = (
    "gmobile",
    "g mobile",
    "gtel",
    "beeline",
    "itelecom",
    "indochina telecom",
    "reddi",
    "wintel",
    "sfone",
    "s fone",
    "evn telecom",
    "evntelecom",
)


def _carrier_key(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(text)).split())


_CARRIER_LOOKUP = {_carrier_key(a): c for c, aliases in _CARRIER_ALIASES.items() for a in aliases}


def normalise_carrier(text: str) -> tuple[str, Reason | None]:
    """(carrier, note): "VIETTEL", "VTL", "Viettel Telecom" → Viettel; "VNPT", "Vina" →
    VinaPhone; "MBF" → MobiFone; minor operators (Gmobile, Itelecom …) → other with a note.

    Raises ValueError for anything else (a typo is not silently counted as "other")."""
    key = _carrier_key(text)
    if key in _CARRIER_LOOKUP:
        return _CARRIER_LOOKUP[key], None
    if key in {_carrier_key(m) for m in _MINOR_CARRIERS}:
        return "other", reason("minor_carrier", carriers=", ".join(settings.CARRIERS[:-1]))
    raise ValueError(reason("unknown_carrier", carriers=", ".join(settings.CARRIERS)))


_TECH_ALIASES = {
    "2G": ("2g", "gsm", "edge", "gprs"),
    "3G": ("3g", "umts", "wcdma", "hspa", "hspa+", "hsdpa"),
    "4G": ("4g", "lte", "lte a", "lte-a", "4g+", "volte"),
    "5G": ("5g", "nr", "5g nr"),
}
_TECH_LOOKUP = {a: t for t, aliases in _TECH_ALIASES.items() for a in aliases}


def parse_technologies(text: str) -> str:
    """ "2G/3G/4G", "4G LTE", "3G, 4G", "GSM+UMTS" → "2G;3G;4G" style (ordered, no repeats)."""
    folded = re.sub(r"\+(?=[a-z0-9])", " ", fold(text))  # "GSM+UMTS", but "HSPA+" stays
    tokens = [t for t in re.split(r"[;,/&|\s]+|\band\b|\bva\b", folded) if t and t != "+"]
    found, unknown = [], []
    for token in tokens:
        tech = _TECH_LOOKUP.get(token.strip("+") if token not in _TECH_LOOKUP else token)
        (found if tech else unknown).append(tech or token.upper())
    if unknown or not found:
        raise ValueError(
            reason(
                "unknown_technology",
                tech=", ".join(unknown) or repr(text),
                techs=", ".join(settings.TECHNOLOGIES),
            )
        )
    return ";".join(t for t in settings.TECHNOLOGIES if t in found)


_KIND_ALIASES = {
    "cluster": ("cluster", "cum loa", "cum loa thon", "cum loa ban", "loa", "cum"),
    "commune_station": (
        "commune station",
        "dai xa",
        "dai truyen thanh xa",
        "dai tt xa",
        "dai truyen thanh co so",
    ),
    "district_station": (
        "district station",
        "dai huyen",
        "dai truyen thanh huyen",
        "dai tt huyen",
        "trung tam van hoa thong tin huyen",
    ),
    "internet_shop": ("internet shop", "dai ly internet", "quan net", "dai ly", "internet cafe"),
    "public_access": ("public access", "diem truy cap cong cong", "diem cong cong", "public"),
    "support_point": (
        "support point",
        "diem ho tro",
        "diem ho tro tt03",
        "c03",
        "diem ho tro dong bao",
    ),
}
_KIND_LOOKUP = {_carrier_key(a): k for k, aliases in _KIND_ALIASES.items() for a in aliases}


def normalise_choice(text: str, choices: tuple[str, ...]) -> str:
    """One of ``choices`` for ``text`` ignoring case, diacritics, '_' vs ' ', and the Vietnamese
    names of loudspeaker and internet kinds ("Cụm loa" → cluster, "Điểm hỗ trợ" → support_point)."""
    key = _carrier_key(text)
    for option in choices:
        if key == _carrier_key(option):
            return option
    kind = _KIND_LOOKUP.get(key)
    if kind in choices:
        return kind
    raise ValueError(reason("not_choice", choices=", ".join(choices)))


_TRUE = {"true", "1", "1.0", "yes", "y", "x", "co", "dung", "t"}
_FALSE = {"false", "0", "0.0", "no", "n", "", "khong", "sai", "f"}


def parse_bool(text: str) -> bool:
    """true/false, 1/0, yes/no, có/không, x (ticked) …; ValueError otherwise."""
    key = fold(text)
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise ValueError(reason("not_bool"))


# Administrative prefixes a user may or may not type ("Xã Tà Rụt" = "Ta Rut").
_PREFIXES = ("thi tran", "thitran", "phuong", "xa", "tt")


def bare_name(name: str) -> str:
    """``fold(name)`` without its administrative prefix and spaces: "Xã Đa Krông" → "dakrong"."""
    folded = fold(name)
    for prefix in _PREFIXES:
        if folded.startswith(prefix + " "):
            folded = folded[len(prefix) + 1 :]
            break
    return folded.replace(" ", "").replace("-", "")
