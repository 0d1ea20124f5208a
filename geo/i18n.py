"""User-facing text in Vietnamese (default) and English, and diacritic-insensitive folding.

``t(key, lang)`` looks a label up in :data:`TEXT`; keys are grouped by prefix:

- ``metric.<column>``: short legend titles of the metrics a map can be coloured by;
- ``col.<column>``: column headers of the commune statistics table;
- ``gap.<kind>``: uncovered-area kinds (``geo.settings.GAP_KINDS``);
- ``layer.<name>``: map layers; ``carrier.<name>``, ``loudspeaker.<kind>``, ``internet.<kind>``;
- ``notice.<name>``: notices that must be visible (illustrative site positions …);
- ``map.<name>``: map furniture (title, legend, scale, north, date, sources, assumptions …);
- ``unit.<name>``: units and number words.
- ``view.<name>``: the app's view (link notices, the selected commune, terrain without a DEM).
- ``field.<name>``: the field check (readings, agreement, calibration, confidence; geo.analysis,
  geo.render.field_map and the app's "Thực địa" tab).

The app adds its own ``app.*`` keys; the upload section and import report use ``import.*``. Every Vietnamese text carries full diacritics.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from typing import ClassVar

from geo.errors import ChoiceError
from geo.settings import LANGS

_V, _E = "vi", "en"


def _g(prefix: str, pairs: dict[str, tuple[str, str]]) -> dict[str, dict[str, str]]:
    return {f"{prefix}.{k}": {_V: vi, _E: en} for k, (vi, en) in pairs.items()}


TEXT: dict[str, dict[str, str]] = {}

# --- metrics a map can be coloured by (short legend titles) -------------------------------------
TEXT |= _g(
    "metric",
    {
        "no_4g_pct": ("Diện tích chưa có 4G (%)", "Area without 4G (%)"),
        "no_mobile_pct": ("Diện tích không có sóng di động (%)", "Area without mobile signal (%)"),
        "no_loudspeaker_pct": ("Diện tích ngoài vùng loa (%)", "Area out of loudspeaker reach (%)"),
        "no_internet_pct": ("Diện tích xa điểm internet (%)", "Area far from internet access (%)"),
        "no_service_pct": ("Diện tích không có dịch vụ nào (%)", "Area with no service at all (%)"),
        "no_4g_pop": ("Số người chưa có 4G", "People without 4G"),
        "no_mobile_pop": ("Số người không có sóng di động", "People without mobile signal"),
        "no_loudspeaker_pop": ("Số người ngoài vùng loa", "People out of loudspeaker reach"),
        "no_internet_pop": ("Số người xa điểm internet", "People far from internet access"),
        "no_service_pop": ("Số người không có dịch vụ nào", "People with no service at all"),
        "at_risk_pop": ("Số người chỉ có 2G/3G", "People with only 2G/3G"),
        "at_risk_pct": ("Diện tích chỉ có 2G/3G (%)", "Area with only 2G/3G (%)"),
        "gap_score": ("Điểm thiếu hụt (0–100)", "Gap score (0–100)"),
    },
)

# --- commune statistics: column headers ---------------------------------------------------------
TEXT |= _g(
    "col",
    {
        "code": ("Mã xã", "Commune code"),
        "name": ("Tên xã", "Commune"),
        "area_km2": ("Diện tích (km²)", "Area (km²)"),
        "population": ("Dân số", "Population"),
        "population_basis": ("Nguồn dân số", "Population basis"),
        "mobile_covered_pct": ("Có sóng di động (%)", "Mobile coverage (%)"),
        "covered_2g_pct": ("Có 2G (%)", "2G coverage (%)"),
        "covered_3g_pct": ("Có 3G (%)", "3G coverage (%)"),
        "covered_4g_pct": ("Có 4G (%)", "4G coverage (%)"),
        "covered_5g_pct": ("Có 5G (%)", "5G coverage (%)"),
        "covered_viettel_pct": ("Sóng Viettel (%)", "Viettel coverage (%)"),
        "covered_vinaphone_pct": ("Sóng VinaPhone (%)", "VinaPhone coverage (%)"),
        "covered_mobifone_pct": ("Sóng MobiFone (%)", "MobiFone coverage (%)"),
        "loudspeaker_covered_pct": ("Trong vùng loa (%)", "Loudspeaker reach (%)"),
        "internet_access_pct": ("Gần điểm internet (%)", "Internet access (%)"),
        "no_service_pct": ("Không có dịch vụ nào (%)", "No service at all (%)"),
        "at_risk_pct": ("Chỉ có 2G/3G (%)", "Only 2G/3G (%)"),
        "no_4g_pct": ("Chưa có 4G (%)", "Without 4G (%)"),
        "no_mobile_pct": ("Không có sóng di động (%)", "Without mobile signal (%)"),
        "no_loudspeaker_pct": ("Ngoài vùng loa (%)", "Out of loudspeaker reach (%)"),
        "no_internet_pct": ("Xa điểm internet (%)", "Far from internet access (%)"),
        "no_4g_pop": ("Số người chưa có 4G", "People without 4G"),
        "no_mobile_pop": ("Số người không có sóng", "People without mobile signal"),
        "no_loudspeaker_pop": ("Số người ngoài vùng loa", "People out of loudspeaker reach"),
        "no_internet_pop": ("Số người xa điểm internet", "People far from internet access"),
        "no_service_pop": ("Số người không có dịch vụ nào", "People with no service at all"),
        "at_risk_pop": ("Số người chỉ có 2G/3G", "People with only 2G/3G"),
        "c03_required": ("Cần điểm hỗ trợ theo TT 03", "Circular 03 support point required"),
        "c03_present": ("Có điểm hỗ trợ theo TT 03", "Circular 03 support point present"),
        "gap_score": ("Điểm thiếu hụt", "Gap score"),
        "gap_rank": ("Thứ hạng thiếu hụt", "Gap rank"),
        "gap": ("Loại vùng trống", "Gap kind"),
        "site_id": ("Mã trạm", "Site ID"),
        "carrier": ("Nhà mạng", "Carrier"),
        "technologies": ("Công nghệ", "Technologies"),
        "height_m": ("Độ cao cột (m)", "Mast height (m)"),
        "illustrative": ("Minh hoạ", "Illustrative"),
        "id": ("Mã", "ID"),
        "kind": ("Loại", "Kind"),
        "radius_m": ("Bán kính (m)", "Radius (m)"),
    },
)

# --- uncovered-area kinds -----------------------------------------------------------------------
TEXT |= _g(
    "gap",
    {
        "no_4g": ("Vùng chưa có 4G", "No 4G"),
        "no_mobile": ("Vùng không có sóng di động", "No mobile signal"),
        "no_loudspeaker": ("Vùng ngoài tầm loa", "Out of loudspeaker reach"),
        "no_internet": ("Vùng xa điểm internet", "Far from internet access"),
        "no_service": ("Vùng không có dịch vụ nào", "No service at all"),
        "at_risk": ("Vùng chỉ có 2G/3G (sắp tắt sóng)", "Only 2G/3G (switch-off ahead)"),
    },
)

# --- map layers ---------------------------------------------------------------------------------
TEXT |= _g(
    "layer",
    {
        "communes": ("Xã", "Communes"),
        "district": ("Ranh giới huyện", "District boundary"),
        "gaps": ("Vùng trống", "Uncovered areas"),
        "bts_sites": ("Trạm BTS", "BTS sites"),
        "loudspeakers": ("Loa truyền thanh", "Public loudspeakers"),
        "internet_points": ("Điểm truy cập internet", "Internet access points"),
        "osm": ("Bản đồ nền OpenStreetMap (cần mạng)", "OpenStreetMap background (needs internet)"),
        "labels": ("Tên xã", "Commune names"),
        "population": ("Nơi dân cư sống (người/km²)", "Where people live (people/km²)"),
    },
)

# --- carriers and site kinds --------------------------------------------------------------------
TEXT |= _g(
    "carrier",
    {
        "Viettel": ("Viettel", "Viettel"),
        "VinaPhone": ("VinaPhone", "VinaPhone"),
        "MobiFone": ("MobiFone", "MobiFone"),
        "Vietnamobile": ("Vietnamobile", "Vietnamobile"),
        "other": ("Nhà mạng khác", "Other carrier"),
    },
)
TEXT |= _g(
    "loudspeaker",
    {
        "cluster": ("Cụm loa thôn/bản", "Village loudspeaker cluster"),
        "commune_station": ("Đài truyền thanh xã", "Commune radio station"),
        "district_station": ("Đài truyền thanh huyện", "District radio station"),
    },
)
TEXT |= _g(
    "internet",
    {
        "internet_shop": ("Đại lý internet", "Internet shop"),
        "public_access": ("Điểm truy cập công cộng", "Public access point"),
        "support_point": ("Điểm hỗ trợ (TT 03)", "Support point (Circular 03)"),
    },
)

# --- terrain model (geo.analysis.terrain, DEM) -----------------------------------------------------------
TEXT |= _g(
    "terrain",
    {
        "tag_circle": ("[vòng tròn]", "[circle]"),
        "tag_terrain": ("[địa hình]", "[terrain]"),
        "note_models": (
            "Cột ghi [vòng tròn]: mô hình vòng tròn bán kính cố định; cột ghi [địa hình]: "
            "mô hình địa hình (tầm nhìn thẳng trên mô hình số độ cao, k = 4/3; thời gian "
            "đi bộ theo hàm Tobler).",
            "Columns marked [circle]: the fixed-radius circle model; columns marked "
            "[terrain]: the terrain model (line of sight over the elevation model, "
            "k = 4/3; walking time by Tobler's function).",
        ),
        "col_single_server_pct": ("Chỉ một trạm phủ (%)", "Served by a single site (%)"),
        "col_single_server_pop": ("Số người chỉ một trạm phủ", "People served by a single site"),
        "col_signal_strong_pct": ("Sóng mạnh, ước tính (%)", "Strong signal, estimate (%)"),
        "col_signal_strong_pop": (
            "Số người sóng mạnh, ước tính",
            "People with strong signal, estimate",
        ),
        "col_signal_variable_pct": (
            "Sóng chập chờn, ước tính (%)",
            "Variable signal, estimate (%)",
        ),
        "col_signal_variable_pop": (
            "Số người sóng chập chờn, ước tính",
            "People with variable signal, estimate",
        ),
        "col_signal_weak_pct": ("Sóng yếu, ước tính (%)", "Weak signal, estimate (%)"),
        "col_signal_weak_pop": ("Số người sóng yếu, ước tính", "People with weak signal, estimate"),
        "header": ("Địa hình", "Terrain"),
        "model": ("Mô hình phủ sóng", "Coverage model"),
        "model_circle": ("Vòng tròn (bán kính cố định)", "Circle (fixed radius)"),
        "model_terrain": ("Địa hình (mô hình số độ cao)", "Terrain (elevation model)"),
        "dem_upload": (
            "Tải lên mô hình số độ cao (GeoTIFF hoặc SRTM .hgt)",
            "Upload an elevation model (GeoTIFF or SRTM .hgt)",
        ),
        "dem_folder": ("…hoặc một thư mục DEM của máy chủ", "…or one of the server's DEM folders"),
        "dem_folder_none": ("(không chọn)", "(none)"),
        "dem_folder_root": ("thư mục DEM chính", "the main DEM folder"),
        "dem_folder_empty": (
            "Máy chủ chưa có thư mục DEM (người quản trị đặt các tệp DEM trong "
            "thư mục PHUSONG_DEM_DIR).",
            "The server has no DEM folder (its administrator puts DEM files in the "
            "PHUSONG_DEM_DIR folder).",
        ),
        "dem_needed": (
            "Chế độ địa hình cần một mô hình số độ cao: tải tệp lên hoặc chọn thư mục.",
            "Terrain mode needs an elevation model: upload a file or choose a folder.",
        ),
        "dem_error": ("Không đọc được mô hình số độ cao", "The elevation model cannot be used"),
        "walk_min": (
            "Đi bộ tối đa tới điểm internet (phút)",
            "Longest walk to an internet point (min)",
        ),
        "path_loss": (
            "Ước tính cường độ sóng (Okumura–Hata)",
            "Estimate signal strength (Okumura–Hata)",
        ),
        "caption": (
            "Số liệu [địa hình] tính trên mô hình số độ cao; số liệu [vòng tròn] để so sánh.",
            "[terrain] figures come from the elevation model; [circle] figures for comparison.",
        ),
        "compare": ("So sánh vòng tròn và địa hình", "Circle and terrain compared"),
    },
)

# --- the app's view: URL state, selected commune, terrain without a DEM (app.py, geo.render.view) ------
TEXT |= _g(
    "view",
    {
        "url_ignored": (
            "Một số giá trị trong liên kết không dùng được và đã được bỏ qua: {params}",
            "Some values in the link could not be used and were ignored: {params}",
        ),
        "clear": ("Bỏ chọn xã", "Clear the selection"),
        "dem_missing": (
            "**Đã chọn mô hình địa hình nhưng chưa có mô hình số độ cao (DEM)**: bản đồ "
            "và số liệu dưới đây vẫn theo mô hình vòng tròn.",
            "**Terrain model chosen, but there is no elevation model (DEM)**: the map "
            "and figures below are still the circle model's.",
        ),
        "dem_unusable": (
            "**Đã chọn mô hình địa hình nhưng không dùng được mô hình số độ cao đã cho** "
            "(xem lỗi ở thanh bên): bản đồ và số liệu dưới đây vẫn theo mô hình vòng tròn.",
            "**Terrain model chosen, but the elevation model given cannot be used** (see "
            "the error in the sidebar): the map and figures below are still the circle "
            "model's.",
        ),
        "dem_tiles": (
            "{area} và 15 km quanh đó nằm trên các ô 1° {srtm} (tên SRTM 1 giây cung, tệp "
            "`.hgt`); cùng các ô đó trong Copernicus DEM GLO-30 (GeoTIFF): {copernicus}.",
            "{area} and the 15 km around it lie on the 1° tiles {srtm} (SRTM 1 arc-second "
            "names, `.hgt` files); the same tiles in Copernicus DEM GLO-30 (GeoTIFF): "
            "{copernicus}.",
        ),
        "dem_sources": (
            "Tải miễn phí (một số nơi cần đăng ký): SRTM 1 giây cung — USGS EarthExplorer "
            "https://earthexplorer.usgs.gov (Digital Elevation → SRTM 1 Arc-Second "
            "Global) hoặc NASA Earthdata https://search.earthdata.nasa.gov (SRTMGL1); "
            "Copernicus GLO-30 — Copernicus Data Space https://dataspace.copernicus.eu "
            "hoặc kho công khai copernicus-dem-30m https://registry.opendata.aws/copernicus-dem. "
            "Sau đó tải các tệp lên ở mục Địa hình (thanh bên) hoặc nhập thư mục chứa chúng.",
            "Free downloads (some need an account): SRTM 1 arc-second — USGS EarthExplorer "
            "https://earthexplorer.usgs.gov (Digital Elevation → SRTM 1 Arc-Second "
            "Global) or NASA Earthdata https://search.earthdata.nasa.gov (SRTMGL1); "
            "Copernicus GLO-30 — Copernicus Data Space https://dataspace.copernicus.eu "
            "or the public bucket copernicus-dem-30m https://registry.opendata.aws/copernicus-dem. "
            "Then upload the files under Terrain (sidebar) or give their folder.",
        ),
    },
)

# --- notices ------------------------------------------------------------------------------------
TEXT |= _g(
    "notice",
    {
        "illustrative": (
            "Vị trí trạm/loa/điểm internet là minh hoạ, không phải số liệu của nhà mạng",
            "Site positions are illustrative, not operator data",
        ),
        "model": (
            "Vùng phủ ước tính bằng mô hình vòng tròn, không phải đo đạc",
            "Coverage estimated with a circle model, not measured",
        ),
    },
)

# --- map furniture ------------------------------------------------------------------------------
TEXT |= _g(
    "map",
    {
        "title": ("Vùng chưa được phủ sóng thông tin", "Where information does not reach"),
        "legend": ("Chú giải", "Legend"),
        "scale": ("Tỉ lệ", "Scale"),
        "north": ("B", "N"),
        "date": ("Ngày lập", "Date"),
        "sources": ("Nguồn dữ liệu", "Data sources"),
        "population_legend": ("Mật độ dân số (người/km²)", "People per km²"),
        "population_file": ("Dân số theo ô lưới: {name}", "Population grid: {name}"),
        "population_worldpop": ("Dân số: WorldPop", "Population: WorldPop"),
        "colocated": ("Nhiều điểm cùng vị trí", "Several sites at one spot"),
        "assumptions": ("Giả định", "Assumptions"),
        "no_data": ("Không có số liệu", "No data"),
        "vintage": ("Địa giới", "Boundaries"),
        "vintage_legacy": ("trước sáp nhập 2025", "before the 2025 merger"),
        "vintage_2025": ("sau sáp nhập 2025", "after the 2025 merger"),
        "radius": ("Bán kính phủ sóng", "Coverage radius"),
        "carrier_radius": ("Bán kính riêng theo nhà mạng", "Carrier-specific radius"),
        "loudspeaker_reach": ("Tầm phủ của loa", "Loudspeaker reach"),
        "internet_access": ("Khoảng cách tới điểm internet", "Distance to an internet point"),
        "rank": ("Hạng", "Rank"),
        "fullscreen": ("Toàn màn hình", "Full screen"),
        "exit_fullscreen": ("Thoát toàn màn hình", "Exit full screen"),
        "sites": ("Trạm và điểm dịch vụ", "Sites"),
        "bts_of_carrier": ("Trạm BTS {carrier}", "{carrier} BTS site"),
        "page": ("Trang", "Page"),
    },
)

# --- units and small words ----------------------------------------------------------------------
TEXT |= _g(
    "unit",
    {
        "km": ("km", "km"),
        "m": ("m", "m"),
        "people": ("người", "people"),
        "yes": ("có", "yes"),
        "no": ("không", "no"),
    },
)


# --- commune table extras, population basis, exports --------------------------------------------
TEXT |= _g(
    "col",
    {
        "legacy_codes": ("Mã các xã cũ", "Former commune codes"),
        "support_points": ("Số điểm hỗ trợ TT 03", "Circular 03 support points"),
        "status": ("Tình trạng", "Status"),
    },
)
TEXT |= _g(
    "basis",
    {
        "uniform": ("dân cư dàn đều theo diện tích", "spread evenly over the area"),
        "settlements": ("theo thôn/bản", "from villages"),
        "grid": ("theo ô lưới dân số", "from the population grid"),
        "mixed": (
            "theo ô lưới dân số một phần, phần còn lại dàn đều",
            "partly from the population grid, the rest spread evenly",
        ),
    },
)
# People figures that depend on where people sit inside a 1 km population cell (geo.analysis.gaps).
TEXT |= _g(
    "col",
    {
        "grid_population": ("Dân số theo ô lưới", "Population on the grid"),
        "no_loudspeaker_pop_low": (
            "Số người ngoài vùng loa, thấp nhất",
            "People out of loudspeaker reach, low",
        ),
        "no_loudspeaker_pop_high": (
            "Số người ngoài vùng loa, cao nhất",
            "People out of loudspeaker reach, high",
        ),
        "no_internet_pop_low": (
            "Số người xa điểm internet, thấp nhất",
            "People far from internet access, low",
        ),
        "no_internet_pop_high": (
            "Số người xa điểm internet, cao nhất",
            "People far from internet access, high",
        ),
    },
)
TEXT |= _g(
    "export",
    {
        "sheet_communes": ("Các xã", "Communes"),
        "sheet_notes": ("Ghi chú", "Notes"),
        "notes": ("Ghi chú", "Notes"),
        "field": ("Chỉ tiêu", "Figure"),
        "value": ("Giá trị", "Value"),
        "filters": ("Bộ lọc", "Filters"),
    },
)
TEXT |= _g(
    "settings",
    {
        "title": ("Thiết lập", "Settings"),
        "filters": (
            "Bộ lọc — nhà mạng: {carriers}; công nghệ: {technologies}",
            "Filters — carriers: {carriers}; technologies: {technologies}",
        ),
        "all": ("tất cả", "all"),
        "setting": ("Thiết lập", "Setting"),
        "value": ("Giá trị", "Value"),
        "dataset": ("Bộ dữ liệu", "Dataset"),
        "carriers": ("Nhà mạng được tính", "Carriers counted"),
        "technologies": ("Công nghệ được tính", "Technologies counted"),
        "model": ("Mô hình phủ sóng", "Coverage model"),
        "note": ("Ghi chú về cách tính", "How the figures were made"),
    },
)
TEXT |= _g(
    "c03",
    {
        "missing": ("Cần nhưng chưa có điểm hỗ trợ", "Required, none present"),
        "ok": ("Đã có điểm hỗ trợ", "Support point present"),
        "not_required": ("Không thuộc diện bắt buộc", "Not required"),
    },
)
# --- district totals (KPI row) ------------------------------------------------------------------
TEXT |= _g(
    "kpi",
    {
        "population": ("Dân số", "Population"),
        "no_4g": ("Chưa có 4G", "Without 4G"),
        "no_mobile": ("Không có sóng di động", "No mobile signal"),
        "no_loudspeaker": ("Ngoài vùng loa", "Beyond loudspeakers"),
        "no_internet": ("Xa điểm internet", "Far from internet"),
        "no_service": ("Không có kênh nào", "No channel at all"),
        "c03_missing": ("Xã thiếu điểm hỗ trợ TT 03", "Communes lacking a C03 point"),
        "at_risk": ("Chỉ có 2G/3G (sắp tắt sóng)", "Only 2G/3G (switch-off ahead)"),
        "people": ("{n} người", "{n} people"),
        "people_range": ("{low}–{high} người", "{low}–{high} people"),
        "area_share": ("{pct} % diện tích", "{pct} % of the area"),
        "area_total": ("{km2} km²", "{km2} km²"),
        "people_unknown": ("số người: chưa rõ", "people: unknown"),
        "population_help": (
            "Dân số các xã và diện tích toàn huyện",
            "People in the communes and the district's area",
        ),
        "people_help": (
            "Số người ở vùng này (dân cư dàn đều trong mỗi xã, hoặc theo thôn/bản hay ô "
            "lưới dân số nếu có); bên dưới: tỉ lệ diện tích toàn huyện, theo mô hình "
            "vòng tròn",
            "People in this area (spread evenly in each commune, or by villages or the "
            "population grid where given); below: share of the district's area, circle "
            "model",
        ),
        "range_help": (
            "Số người là một khoảng vì ô lưới dân số rộng 1 km: thấp khi dân cư dàn đều "
            "trong ô, cao khi dân cư tập trung ở một thôn/bản trong ô (hoặc ngược lại); "
            "bên dưới: tỉ lệ diện tích toàn huyện, theo mô hình vòng tròn",
            "People are a range because the population grid's cells are 1 km wide: one "
            "end with people spread evenly in each cell, the other with them gathered in "
            "one hamlet of the cell; below: share of the district's area, circle model",
        ),
        "unknown_help": (
            "Dân số của ít nhất một xã chưa rõ, nên chỉ có tỉ lệ diện tích toàn huyện "
            "(mô hình vòng tròn)",
            "At least one commune's population is unknown, so only the share of the "
            "district's area is shown (circle model)",
        ),
        "at_risk_help": (
            "Có sóng 2G/3G nhưng không có 4G/5G: nơi sẽ mất sóng khi tắt 2G/3G. ",
            "2G/3G but neither 4G nor 5G: where the 2G/3G switch-off would leave no signal. ",
        ),
        "c03_help": (
            "Số xã cần điểm hỗ trợ (Thông tư 03/2023/TT-BTTTT) mà chưa có / số xã cần",
            "Communes needing a support point (Circular 03/2023) without one / needing one",
        ),
    },
)
# --- the app ------------------------------------------------------------------------------------
TEXT |= _g(
    "app",
    {
        "title": (
            "Phủ sóng — nơi thông tin chưa tới",
            "phusong — where information does not reach",
        ),
        "data_error": ("Không đọc được dữ liệu", "The data cannot be read"),
        "view": ("Hiển thị", "View"),
        "vintage": ("Đơn vị hành chính", "Administrative units"),
        "vintage_legacy": ("13 xã, thị trấn (đến 30/6/2025)", "13 communes (until 30 June 2025)"),
        "vintage_2025": ("5 xã (từ 1/7/2025)", "5 communes (since 1 July 2025)"),
        "metric": ("Tô màu xã theo", "Colour communes by"),
        "show_gaps": ("Vẽ vùng trống", "Draw uncovered areas"),
        "search": ("Tìm xã (có hoặc không dấu)", "Find a commune (with or without diacritics)"),
        "search_none": ("Không tìm thấy xã nào khớp với “{query}”", "No commune matches “{query}”"),
        "commune": ("Xã", "Commune"),
        "click_hint": (
            "Bấm vào một xã trên bản đồ hoặc tìm theo tên để xem số liệu.",
            "Click a commune on the map or search by name to see its figures.",
        ),
        "mobile": ("Mạng di động", "Mobile networks"),
        "carriers": ("Nhà mạng", "Carriers"),
        "technologies": ("Công nghệ", "Technologies"),
        "radius": ("Bán kính {tech} (km)", "{tech} radius (km)"),
        "other_channels": ("Loa và internet", "Loudspeakers and internet"),
        "loudspeaker_reach": ("Tầm phủ của loa (m)", "Loudspeaker reach (m)"),
        "internet_access": (
            "Khoảng cách tới điểm internet (km)",
            "Distance to an internet point (km)",
        ),
        "tiles": ("Bản đồ nền trực tuyến (cần mạng)", "Online background map (needs internet)"),
        "unforeseen_error": (
            "Đã xảy ra lỗi không lường trước nên trang này dừng lại. Hãy tải lại trang; nếu lỗi "
            "còn, báo cho người quản trị máy chủ (chi tiết đã được ghi vào nhật ký máy chủ).",
            "An unforeseen error stopped this page. Reload the page; if the error stays, tell the "
            "server's administrator (the details are in the server's log).",
        ),
        "defaults_source": (
            "Giá trị mặc định là giả định quy hoạch có trích nguồn: data/facts/SOURCES.md",
            "Defaults are cited planning assumptions: data/facts/SOURCES.md",
        ),
        "no_filter_selected": (
            "Chưa chọn nhà mạng hoặc công nghệ nào: mọi trạm đều được tính.",
            "No carrier or technology selected: every site counts.",
        ),
        "communes": ("đơn vị", "units"),
        "tab_map": ("Bản đồ", "Map"),
        "tab_table": ("Bảng theo xã", "Table by commune"),
        "tab_c03": ("Thông tư 03/2023", "Circular 03/2023"),
        "tab_export": ("Xuất báo cáo", "Export"),
        "population_note": (
            "Số người: theo thôn/bản nếu có, nếu không theo ô lưới dân số nếu có "
            "(WorldPop 1 km; người ngoài vùng loa, xa internet là một khoảng thấp–cao), "
            "nếu không dàn đều theo diện tích; cột «Nguồn dân số» ghi cách nào. "
            "Dân số: CSDL đầu tư tỉnh Quảng Trị (2021).",
            "People: at the villages where given, else where the population grid puts "
            "them (WorldPop 1 km; people beyond loudspeakers and far from internet as "
            "a low–high range), else spread evenly over the area; the 'Population "
            "basis' column says which. Population: Quảng Trị investment database "
            "(2021).",
        ),
        "c03_intro": (
            "Thông tư 03/2023/TT-BTTTT: mỗi xã đặc biệt khó khăn cần ít nhất một điểm hỗ "
            "trợ đồng bào dân tộc thiểu số có ti vi kết nối Internet.",
            "Circular 03/2023/TT-BTTTT: every especially difficult commune needs at least "
            "one support point for ethnic-minority people with an internet-connected TV.",
        ),
        "export_note": (
            "Tải bản đồ, báo cáo và bảng số liệu đúng như đang xem. Mỗi tệp ghi rõ nhà "
            "mạng, công nghệ, bán kính phủ sóng, tầm phủ của loa, khoảng cách tới điểm "
            "internet và mô hình đang chọn ở thanh bên. Báo cáo PDF gồm một trang toàn "
            "huyện và một trang cho mỗi xã.",
            "Download the maps, the report and the tables as you see them now. Every file "
            "states the carriers, technologies, coverage radii, loudspeaker reach, "
            "distance to an internet point and model chosen in the sidebar. The PDF "
            "report has a district page and one page per commune.",
        ),
        "download_png": ("Ảnh bản đồ (PNG)", "Map image (PNG)"),
        "download_pdf": ("Bản đồ A4 (PDF)", "A4 map (PDF)"),
        "download_html": ("Bản đồ tương tác (HTML)", "Interactive map (HTML)"),
        "download_csv": ("Bảng số liệu (CSV)", "Table (CSV)"),
        "download_xlsx": ("Bảng số liệu (Excel)", "Table (Excel)"),
        "download_geojson": ("Vùng trống (GeoJSON)", "Uncovered areas (GeoJSON)"),
        "download_gpkg": ("Vùng trống (GeoPackage)", "Uncovered areas (GeoPackage)"),
        "download_report": ("Báo cáo theo xã (PDF)", "Report by commune (PDF)"),
        "download_settings": ("Thiết lập đã dùng (CSV)", "Settings used (CSV)"),
    },
)
TEXT |= _g(
    "report",
    {
        "kpis": ("Số liệu toàn huyện", "District figures"),
        "figures": ("Số liệu của xã", "Figures of the commune"),
        "c03": ("Thông tư 03/2023", "Circular 03/2023"),
        "rank": ("Hạng thiếu hụt {rank}/{n}", "Gap rank {rank} of {n}"),
        "legend_page1": (
            "Màu và ký hiệu như chú giải ở trang 1.",
            "Colours and symbols as in the legend on page 1.",
        ),
        "capped": (
            "Trang theo xã: {n} xã thiếu hụt nhất trong {total} xã; mọi xã có trong bảng số liệu",
            "Commune pages: the {n} communes with the largest gaps of {total}; "
            "every commune is in the table",
        ),
    },
)

# --- siting plan (geo.plan.siting, the planning tab) -------------------------------------------------
# --- long work off the script thread: progress, cancel, what shows meanwhile (app.py) ----------
TEXT |= _g(
    "jobs",
    {
        "step": ("Bước {step}/{steps}…", "Step {step} of {steps}…"),
        "working": ("Đang làm… {seconds} giây", "Working… {seconds} s"),
        "queued": (
            "Đang chờ: máy chủ đang làm một việc khác trước.",
            "Waiting: the server is doing other work first.",
        ),
        "cancel": ("Huỷ", "Cancel"),
        "retry": ("Thử lại", "Try again"),
        "dem_loading": (
            "Đang đọc mô hình số độ cao; bản đồ dùng mô hình vòng tròn cho tới khi đọc xong.",
            "Reading the elevation model; the map uses the circle model until it is read.",
        ),
        "dem_cancelled": (
            "Đã huỷ việc đọc mô hình số độ cao; bản đồ dùng mô hình vòng tròn.",
            "Reading the elevation model was cancelled; the map uses the circle model.",
        ),
        "terrain_loading": (
            "Đang tính mô hình địa hình; bản đồ dùng mô hình vòng tròn cho tới khi tính xong.",
            "Computing the terrain model; the map uses the circle model until it is done.",
        ),
        "terrain_cancelled": (
            "Đã huỷ việc tính mô hình địa hình; bản đồ dùng mô hình vòng tròn.",
            "Computing the terrain model was cancelled; the map uses the circle model.",
        ),
        "analysis_loading": (
            "Đang phân tích {name} ({communes} xã): với dữ liệu lớn việc này mất vài phút.",
            "Analysing {name} ({communes} communes): for large data this takes minutes.",
        ),
        "load_loading": (
            "Đang đọc bộ dữ liệu lớn của máy chủ: việc này có thể mất vài phút.",
            "Reading the server's large dataset: this may take minutes.",
        ),
        "load_cancelled": ("Đã huỷ việc đọc dữ liệu.", "Reading the data was cancelled."),
        "analysis_cancelled": ("Đã huỷ việc phân tích dữ liệu.", "The analysis was cancelled."),
        "import_loading": (
            "Đang đọc và kiểm tra dữ liệu tải lên…",
            "Reading and checking the upload…",
        ),
    },
)

TEXT |= _g(
    "plan",
    {
        "run": ("Tính đề xuất", "Compute the proposal"),
        "progress": (
            "Đang tính đề xuất: bước {step}/{steps}…",
            "Computing the proposal: step {step} of {steps}…",
        ),
        "queued": (
            "Đang chờ: máy chủ đang tính một đề xuất khác.",
            "Waiting: the server is computing another proposal first.",
        ),
        "cancelled": ("Đã huỷ việc tính đề xuất.", "The proposal was cancelled."),
        "tab": ("Quy hoạch", "Planning"),
        "intro": (
            "Gợi ý nơi đặt k trạm BTS, cụm loa hoặc điểm hỗ trợ mới để thu hẹp vùng trống nhiều "
            "nhất. Trạm hiện có giữ nguyên; các vị trí được đánh số theo thứ tự chọn.",
            "Where k new BTS sites, loudspeaker clusters or support points close the most gap. "
            "Existing sites stay; proposals are numbered in the order they were chosen.",
        ),
        "service": ("Loại công trình", "What to place"),
        "service_bts": ("Trạm BTS", "BTS sites"),
        "service_loudspeaker": ("Cụm loa thôn/bản", "Loudspeaker clusters"),
        "service_support-point": ("Điểm hỗ trợ (TT 03)", "Support points (Circular 03)"),
        "k": ("Số vị trí mới (k)", "Number of new sites (k)"),
        "carrier": ("Nhà mạng của trạm mới", "Carrier of the new sites"),
        "carrier_any": ("Bất kỳ nhà mạng nào", "Any carrier"),
        "technology": ("Công nghệ của trạm mới", "Technology of the new sites"),
        "summary": (
            "{n} vị trí mới phủ thêm {people} người và {area} km² "
            "(vùng trống trước đó: {gap_people} người, {gap_area} km²).",
            "{n} new sites reach {people} more people and {area} km² more "
            "(gap before: {gap_people} people, {gap_area} km²).",
        ),
        "objective_area": (
            "Một số xã chưa có dân số: các vị trí được chọn theo diện tích phủ thêm.",
            "Some communes have no population: sites were chosen by area newly covered.",
        ),
        "c03_min": (
            "Cần ít nhất {n} điểm: mỗi xã đặc biệt khó khăn chưa có điểm hỗ trợ được đặt "
            "một điểm trước.",
            "At least {n}: each especially difficult commune lacking a support point gets "
            "one first.",
        ),
        "model_note_terrain": (
            "Mô hình địa hình: tầm nhìn thẳng trên mô hình số độ cao (trạm BTS, "
            "loa), thời gian đi bộ theo độ dốc (điểm hỗ trợ); đỉnh đồi được thêm "
            "làm vị trí ứng viên",
            "Terrain model: line of sight over the elevation model (BTS, "
            "loudspeakers), walking time over the slopes (support points); hilltops "
            "added as candidates",
        ),
        "model_note": (
            "Mô hình vòng tròn (không tính địa hình); người được phủ tính như bảng theo xã.",
            "Circle model (terrain not considered); people counted as in the commune table.",
        ),
        "sites": ("Vị trí đề xuất", "Proposed sites"),
        "before_after": ("Trước và sau theo xã", "Before and after, by commune"),
        "proposed": ("Vị trí đề xuất (số thứ tự)", "Proposed site (rank)"),
        "proposed_tip": ("Đề xuất số {rank}", "Proposal no. {rank}"),
        "people_new": ("Người được phủ thêm", "People newly reached"),
        "area_new": ("Diện tích phủ thêm (km²)", "Area newly covered (km²)"),
        "title_after": ("Sau khi đặt các vị trí đề xuất", "With the proposed sites"),
        "title_before": ("Hiện trạng", "As it is"),
        "col_rank": ("Thứ tự", "Rank"),
        "col_site_id": ("Mã đề xuất", "Proposal ID"),
        "col_lat": ("Vĩ độ", "Latitude"),
        "col_lon": ("Kinh độ", "Longitude"),
        "col_commune_code": ("Mã xã", "Commune code"),
        "col_commune_name": ("Xã", "Commune"),
        "col_mandatory": ("Bắt buộc theo TT 03", "Required by Circular 03"),
        "col_people_new": ("Người được phủ thêm", "People newly reached"),
        "col_area_new_km2": ("Diện tích phủ thêm (km²)", "Area newly covered (km²)"),
        "col_people_cum": ("Cộng dồn: người", "Cumulative people"),
        "col_area_cum_km2": ("Cộng dồn: km²", "Cumulative km²"),
        "col_service": ("Dịch vụ", "Service"),
        "col_carrier": ("Nhà mạng", "Carrier"),
        "col_technology": ("Công nghệ", "Technology"),
        "col_code": ("Mã xã", "Commune code"),
        "col_name": ("Tên xã", "Commune"),
        "col_new_sites": ("Số vị trí mới", "New sites"),
        "col_gap_people_before": ("Người chưa được phủ: trước", "People not reached: before"),
        "col_gap_people_after": ("Người chưa được phủ: sau", "People not reached: after"),
        "col_people_reached": ("Người được phủ thêm", "People newly reached"),
        "col_gap_pct_before": ("Diện tích chưa phủ (%): trước", "Area not covered (%): before"),
        "col_gap_pct_after": ("Diện tích chưa phủ (%): sau", "Area not covered (%): after"),
        "col_c03_before": ("Điểm hỗ trợ TT 03: trước", "Circular 03 point: before"),
        "col_c03_after": ("Điểm hỗ trợ TT 03: sau", "Circular 03 point: after"),
        "download_sites_csv": ("Vị trí đề xuất (CSV)", "Proposed sites (CSV)"),
        "download_sites_geojson": ("Vị trí đề xuất (GeoJSON)", "Proposed sites (GeoJSON)"),
        "download_before_after": ("Bảng trước/sau (CSV)", "Before/after table (CSV)"),
        "download_map_html": ("Bản đồ sau (HTML)", "Map after (HTML)"),
        "download_map_after_png": ("Ảnh bản đồ sau (PNG)", "Map after (PNG)"),
        "download_map_before_png": ("Ảnh bản đồ trước (PNG)", "Map before (PNG)"),
        "none": ("Không vị trí nào thu hẹp thêm vùng trống.", "No site closes any more gap."),
    },
)

# --- bringing your own data (upload section, import report) -----------------------------------
TEXT |= _g(
    "import",
    {
        "title": ("Dữ liệu của bạn", "Your data"),
        "intro": (
            "Tải lên tệp của từng lớp (CSV, Excel, GeoJSON, GeoPackage, Shapefile nén .zip, "
            "KML/KMZ) hoặc một tệp .zip chứa cả thư mục dữ liệu. Dữ liệu chỉ dùng trong phiên "
            "trình duyệt này; tệp của bạn không bị thay đổi. Cách đặt tên cột: data/README.md.",
            "Upload a file per layer (CSV, Excel, GeoJSON, GeoPackage, zipped Shapefile, "
            "KML/KMZ) or one .zip of a whole dataset folder. The data is used in this browser "
            "session only; your files are never changed. Column names: data/README.md.",
        ),
        "layer_communes": ("Ranh giới xã", "Commune boundaries"),
        "layer_bts_sites": ("Trạm BTS", "BTS sites"),
        "layer_loudspeakers": ("Cụm loa truyền thanh", "Loudspeakers"),
        "layer_internet_points": ("Điểm truy cập internet", "Internet access points"),
        "layer_settlements": (
            "Thôn/bản có dân số (tuỳ chọn)",
            "Villages with population (optional)",
        ),
        "layer_population": (
            "Lưới dân số GeoTIFF (tuỳ chọn)",
            "Population grid GeoTIFF (optional)",
        ),
        "population_help": (
            "Số người mỗi ô, hệ toạ độ bất kỳ có khai báo (ví dụ WorldPop 1 km, "
            "EPSG:4326); thay lưới dân số của thư mục dữ liệu. Lưới không có CRS, không "
            "chồng lên các xã, toàn ô nodata hay có số âm bị từ chối.",
            "People per cell, any declared CRS (e.g. WorldPop 1 km, EPSG:4326); "
            "replaces the dataset folder's grid. A grid with no CRS, not overlapping "
            "the communes, only nodata or negative values is refused.",
        ),
        "folder_zip": ("Cả bộ dữ liệu (.zip của thư mục)", "A whole dataset (.zip of the folder)"),
        "apply": ("Dùng dữ liệu này", "Use this data"),
        "reset": ("Trở về dữ liệu mặc định", "Back to the default data"),
        "nothing": ("Chưa chọn tệp nào.", "No file chosen."),
        "in_use": ("Đang dùng dữ liệu bạn tải lên", "Using your uploaded data"),
        "rows": ("Số dòng đọc được theo lớp", "Rows read per layer"),
        "layer": ("Lớp", "Layer"),
        "count": ("Số dòng", "Rows"),
        "summary": ("{errors}, {warnings}", "{errors}, {warnings}"),
        "n_errors": ("{n} lỗi (dòng bị bỏ qua)", "{n} errors (rows left out)"),
        "n_errors_one": ("{n} lỗi (dòng bị bỏ qua)", "{n} error (row left out)"),
        "n_warnings": ("{n} cảnh báo (dòng vẫn được dùng)", "{n} warnings (rows kept)"),
        "n_warnings_one": ("{n} cảnh báo (dòng vẫn được dùng)", "{n} warning (row kept)"),
        "rows_out": (
            "{n} dòng dữ liệu bị bỏ qua vì lỗi",
            "{n} data rows left out because of errors",
        ),
        "rows_out_one": (
            "{n} dòng dữ liệu bị bỏ qua vì lỗi",
            "{n} data row left out because of errors",
        ),
        "n_import_warnings": ("{n} cảnh báo khi nhập dữ liệu", "{n} import warnings"),
        "n_import_warnings_one": ("{n} cảnh báo khi nhập dữ liệu", "{n} import warning"),
        "confirm_intro": (
            "Dữ liệu tải lên sẽ làm mất phần lớn số dòng của lớp dưới đây. Chưa có gì "
            "được áp dụng: hãy kiểm tra rồi xác nhận.",
            "The upload would lose most of the rows of the layer(s) below. Nothing has "
            "been applied yet: check, then confirm.",
        ),
        "shrink_before": (
            "{layer}: {before} dòng đang dùng → {after} dòng sau khi tải lên",
            "{layer}: {before} rows in use → {after} rows after the upload",
        ),
        "shrink_before_one": (
            "{layer}: {before} dòng đang dùng → {after} dòng sau khi tải lên",
            "{layer}: {before} rows in use → {after} row after the upload",
        ),
        "shrink_file": (
            "{layer}: chỉ {after} trong {in_file} dòng dữ liệu của tệp {file} dùng được",
            "{layer}: only {after} of the {in_file} data rows of {file} are usable",
        ),
        "confirm": ("Xác nhận dùng dữ liệu này", "Confirm: use this data"),
        "cancel": ("Huỷ, giữ dữ liệu đang dùng", "Cancel, keep the data in use"),
        "cancelled": ("Đã huỷ: vẫn dùng dữ liệu trước đó.", "Cancelled: the previous data stays."),
        "clean": ("Không có lỗi nào.", "No problems found."),
        "unusable": (
            "Không dùng được: lớp xã không có xã nào hợp lệ. Vẫn dùng dữ liệu trước đó.",
            "Not usable: the commune layer holds no valid commune. The previous data stays.",
        ),
        "failed": (
            "Không nhập được dữ liệu: chưa có gì được áp dụng, vẫn dùng dữ liệu trước đó.",
            "The data could not be imported: nothing was applied, the previous data stays.",
        ),
        "internal": (
            "Lỗi nội bộ khi nhập dữ liệu ({kind}). Hãy báo lỗi kèm tệp đã dùng.",
            "Internal error while importing ({kind}). Please report it with the file used.",
        ),
        "download_report": ("Tải báo cáo nhập dữ liệu (CSV)", "Download the import report (CSV)"),
        "col_severity": ("Mức độ", "Severity"),
        "col_file": ("Tệp", "File"),
        "col_row": ("Dòng", "Row"),
        "col_column": ("Cột", "Column"),
        "col_value": ("Giá trị", "Value"),
        "col_reason": ("Lý do", "Reason"),
        "severity_error": ("lỗi", "error"),
        "severity_warning": ("cảnh báo", "warning"),
    },
)

# --- the point card (geo.analysis.pointquery) and what-if sites (geo.analysis.whatif) ----------------------------
TEXT |= _g(
    "point",
    {
        "title": ("Tại điểm đã chọn", "At the chosen spot"),
        "hint": (
            "Bấm vào bất kỳ đâu trên bản đồ để xem nơi đó có sóng, loa và internet thế nào.",
            "Click anywhere on the map to see what reaches that spot.",
        ),
        "in_commune": ("{name}", "{name}"),
        "outside": ("Ngoài các xã của bộ dữ liệu", "Outside the dataset's communes"),
        # a decimal comma in Vietnamese: the two numbers are set apart by a semicolon
        "coords": ("{lat}; {lon}", "{lat}, {lon}"),
        "mobile_yes": ("Có sóng: {carriers}", "Mobile signal: {carriers}"),
        "mobile_no": (
            "Không có sóng di động (theo bộ lọc và bán kính đang chọn).",
            "No mobile signal (with the filters and radii chosen).",
        ),
        "site_line": (
            "{carrier} {technologies}: trạm {site}, cách {distance}",
            "{carrier} {technologies}: site {site}, {distance} away",
        ),
        "signal_line": (
            "nhìn thẳng, sóng {signal} (ước tính)",
            "in line of sight, {signal} signal (estimate)",
        ),
        "hidden": ("bị địa hình che, không có sóng", "hidden by terrain, no signal"),
        "signal_strong": ("mạnh", "strong"),
        "signal_variable": ("chập chờn", "variable"),
        "signal_weak": ("yếu", "weak"),
        "loud_yes": (
            "Nghe được loa: {kind} {id}, cách {distance} (tầm {reach}).",
            "Loudspeaker in reach: {kind} {id}, {distance} away (reach {reach}).",
        ),
        "loud_no": (
            "Ngoài tầm loa: gần nhất là {kind} {id}, cách {distance} (tầm {reach}).",
            "Out of loudspeaker reach: nearest is {kind} {id}, {distance} away (reach {reach}).",
        ),
        "loud_hidden": (
            "Ngoài tầm loa: {kind} {id} cách {distance} nhưng bị địa hình che.",
            "Out of loudspeaker reach: {kind} {id} is {distance} away but hidden by terrain.",
        ),
        "loud_none": ("Bộ dữ liệu không có loa nào.", "The dataset has no loudspeaker."),
        "inet": (
            "Điểm internet gần nhất: {kind} {id}, cách {distance} (đường thẳng).",
            "Nearest internet point: {kind} {id}, {distance} away (straight line).",
        ),
        "walk": (
            "Đi bộ khoảng {minutes} phút tới điểm internet gần nhất (theo địa hình, ước tính).",
            "About {minutes} minutes' walk to the nearest internet point (over the terrain, "
            "an estimate).",
        ),
        "walk_over": (
            "Đi bộ hơn {minutes} phút tới điểm internet gần nhất.",
            "More than {minutes} minutes' walk to the nearest internet point.",
        ),
        "inet_within": ("Trong khoảng cách tiếp cận internet.", "Within internet access distance."),
        "inet_far": (
            "Xa điểm internet (ngoài khoảng cách tiếp cận).",
            "Far from internet access (beyond the access distance).",
        ),
        "inet_none": (
            "Bộ dữ liệu không có điểm internet nào.",
            "The dataset has no internet point.",
        ),
    },
)
TEXT |= _g(
    "whatif",
    {
        "title": ("Thử đặt công trình giả định", "What if: hypothetical sites"),
        "intro": (
            "Bấm vào bản đồ, chọn loại công trình rồi bấm “Thêm”: số liệu, bản đồ và tab Quy "
            "hoạch tính lại với các công trình giả định (chỉ trong phiên này).",
            "Click the map, choose what to place and press “Add”: the figures, the map and "
            "the Planning tab are recomputed with the hypothetical sites (this session only).",
        ),
        "here": ("Đặt tại điểm đã chọn", "Place at the chosen spot"),
        "kind": ("Loại công trình", "What to place"),
        "kind_bts": ("Trạm BTS", "BTS site"),
        "kind_loudspeaker": ("Cụm loa thôn/bản", "Loudspeaker cluster"),
        "kind_support_point": ("Điểm hỗ trợ (TT 03)", "Support point (Circular 03)"),
        "carrier": ("Nhà mạng", "Carrier"),
        "technologies": ("Công nghệ", "Technologies"),
        "height": ("Độ cao ăng-ten (m)", "Antenna height (m)"),
        "add": ("Thêm", "Add"),
        "invalid": ("Không thêm được: {reason}", "Not added: {reason}"),
        "no_technology": ("chọn ít nhất một công nghệ.", "choose at least one technology."),
        "too_many": ("tối đa {n} công trình giả định.", "at most {n} hypothetical sites."),
        "gains": (
            "Phủ thêm nhờ các công trình giả định (toàn huyện)",
            "What the hypothetical sites add (whole district)",
        ),
        "channel": ("Kênh", "Channel"),
        "area_added": ("Diện tích phủ thêm (km²)", "Area added (km²)"),
        "people_added": ("Người được phủ thêm", "People added"),
        "layer_covered_4g": ("Sóng 4G", "4G signal"),
        "layer_mobile_covered": ("Sóng di động", "Mobile signal"),
        "layer_loudspeaker_covered": ("Loa truyền thanh", "Loudspeakers"),
        "layer_internet_access": ("Tiếp cận internet", "Internet access"),
        "layer_any_channel": ("Ít nhất một kênh", "At least one channel"),
        "remove_which": ("Chọn công trình", "Site"),
        "remove": ("Xoá", "Remove"),
        "clear": ("Xoá tất cả", "Remove all"),
        "include_existing": (
            "Kèm các trạm/điểm hiện có của bộ dữ liệu",
            "Include the dataset's existing sites",
        ),
        "download": ("Tải {layer} (CSV)", "Download {layer} (CSV)"),
        "export_note": (
            "Tệp CSV theo cấu trúc dữ liệu (data/README.md); công trình giả định có "
            "illustrative=true, hypothetical=true. Đọc lại bằng `python -m geo report "
            "--sites TỆP` (trạm BTS), `--loudspeakers`, `--internet`.",
            "CSV in the dataset schema (data/README.md); hypothetical sites carry "
            "illustrative=true, hypothetical=true. Read back with `python -m geo report "
            "--sites FILE` (BTS), `--loudspeakers`, `--internet`.",
        ),
        "plan_note": (
            "Đề xuất được tính trên nền {n} công trình giả định của bạn, coi như đã có.",
            "The proposal builds on your {n} hypothetical site(s), taken as existing.",
        ),
        "tag": ("giả định", "hypothetical"),
        "map_layer": ("Công trình giả định (vùng phủ)", "Hypothetical sites (reach)"),
        "filtered_out": (
            "{n} công trình giả định bị bộ lọc nhà mạng/công nghệ loại ra.",
            "{n} hypothetical site(s) left out by the carrier/technology filters.",
        ),
    },
)

# Notes a model leaves for the reader (geo.i18n.Note): {names} are filled in the reader's language.
TEXT |= _g(
    "note",
    {
        "population_grid": (
            "số người đặt theo ô lưới dân số {name} ở {n} xã: lưới có {grid} người, "
            "được co giãn theo dân số của xã ({given} người)",
            "people placed by the population grid {name} in {n} communes: {grid} "
            "people on the grid, scaled to the communes' population ({given})",
        ),
        "population_fallback": (
            "ô lưới dân số không phủ (hết) {names}: dân cư ở đó dàn đều theo diện tích",
            "the population grid does not cover (all of) {names}: people there "
            "are spread evenly over the area",
        ),
        "population_range": (
            "số người ngoài vùng loa và xa điểm internet là một khoảng: thấp/cao giữa "
            "hai cách đọc ô 1 km (dân dàn đều trong ô, hoặc tụ ở một điểm)",
            "people out of loudspeaker reach and far from internet: a range (low/high) "
            "between two readings of a 1 km cell (people spread evenly within it, or "
            "gathered at one point)",
        ),
        "grid": (
            "tỉ lệ phủ đếm trên các ô {cell_m} m (tâm ô nằm trong vòng phủ và trong xã); vùng "
            "trống vẽ chính xác",
            "coverage shares counted on {cell_m} m cells (cell centre inside a disc and a "
            "commune); gap polygons exact",
        ),
        "terrain_model": (
            "mô hình địa hình: tầm nhìn thẳng trên DEM (k = 4/3), thời gian đi bộ "
            "(hàm đi bộ Tobler)",
            "terrain model: line of sight over the DEM (k = 4/3), walking time (Tobler)",
        ),
        "dem": (
            "DEM {cols}×{rows} ô, mỗi ô {cell_m} m ({km2} km²), từ {sources}",
            "DEM {cols}×{rows} cells of {cell_m} m ({km2} km²) from {sources}",
        ),
        "dem_filled": (
            "{cells} ô trống của DEM ({km2} km²) được lấp bằng nội suy",
            "{cells} void cells ({km2} km²) filled by interpolation",
        ),
        "dem_void": (
            "{cells} ô trống của DEM ({km2} km²) để trống, không có số liệu",
            "{cells} void cells ({km2} km²) left without data",
        ),
        "void_in_communes": (
            "{cells} ô DEM trong các xã không có số liệu; ở đó không tính là nhìn thấy",
            "{cells} DEM cells inside the communes have no data; nothing is seen there",
        ),
        "skipped": (
            "{n} {what} nằm ngoài DEM hoặc trên ô trống, không được tính: {ids}",
            "{n} {what} outside the DEM or on a void, not counted: {ids}",
        ),
        "what_bts": ("trạm BTS", "BTS"),
        "what_loudspeaker": ("cụm loa", "loudspeaker"),
        "path_loss": (
            "cột signal_*: ƯỚC TÍNH suy hao đường truyền (Okumura–Hata / COST-231, vùng "
            "trống), không phải đo đạc",
            "signal_* columns: path-loss ESTIMATE (Okumura–Hata / COST-231, open area), "
            "not a measurement",
        ),
        "plan_walk": (
            "mô hình địa hình: tiếp cận = đi bộ tối đa {minutes} phút trên DEM (hàm đi bộ Tobler)",
            "terrain model: access = at most {minutes} minutes' walk over the DEM "
            "(Tobler's hiking function)",
        ),
        "plan_sight": (
            "mô hình địa hình: tầm nhìn thẳng trên DEM từ độ cao {h} m tới {to} m so với "
            "mặt đất, trong bán kính {radius} m",
            "terrain model: line of sight over the DEM from {h} m to {to} m above the "
            "ground, within {radius} m",
        ),
        "hilltops": (
            "thêm {n} đỉnh đồi của DEM làm vị trí ứng viên",
            "{n} hilltop(s) of the DEM added as candidates",
        ),
        "plan_auto_exact": (
            "bộ giải tự động: chính xác (tối ưu đã được chứng minh)",
            "solver auto: exact (proven optimal)",
        ),
        "plan_auto_greedy": (
            "bộ giải tự động: bản chính xác hết {seconds} giây; dùng kết quả tham lam (tốt hơn)",
            "solver auto: the exact solver ran out of its {seconds} s; the greedy "
            "answer (better) is used",
        ),
        "plan_auto_best": (
            "bộ giải tự động: bản chính xác hết {seconds} giây; dùng lời giải tốt nhất "
            "nó tìm được (chưa chứng minh tối ưu)",
            "solver auto: the exact solver ran out of its {seconds} s; its best answer "
            "(not proven optimal) is used",
        ),
        "fewer_sites": (
            "chỉ {n} vị trí mới làm tăng vùng phủ; {rest} vị trí còn lại không lấp thêm "
            "vùng trống nào",
            "only {n} new site(s) add coverage; the other {rest} would close no gap",
        ),
    },
)

# Reasons of import problems (geo.errors.Problem, made with geo.i18n.reason): file, row and column
# are named beside them; {names} are filled in the reader's language. English is what the CLI prints.
TEXT |= _g(
    "reason",
    {
        # values (geo.io.normalise)
        "not_finite": ("không phải số hữu hạn", "not a finite number"),
        "not_number": ("không phải số (ví dụ 30.5 hoặc 30,5)", "not a number (e.g. 30.5 or 30,5)"),
        "empty": ("ô trống", "empty"),
        "not_coordinate": (
            "không phải toạ độ (dùng độ thập phân như 16.7061 hoặc độ-phút-giây như 16°42'23.5\"N)",
            "not a coordinate (use decimal degrees such as 16.7061 or "
            "degrees-minutes-seconds such as 16°42'23.5\"N)",
        ),
        "two_hemispheres": ("có hai chữ chỉ bán cầu", "two hemisphere letters"),
        "dms_decimals": (
            "chỉ thành phần cuối (độ, phút hoặc giây) được có phần thập phân",
            "only the last of degrees, minutes, seconds may have decimals",
        ),
        "minutes_60": ("số phút phải nhỏ hơn 60", "minutes must be below 60"),
        "seconds_60": ("số giây phải nhỏ hơn 60", "seconds must be below 60"),
        "sign_and_hemisphere": (
            "vừa có dấu trừ vừa có chữ S/W chỉ bán cầu",
            "both a minus sign and a S/W hemisphere letter",
        ),
        "pair_expected": (
            "cần hai toạ độ 'vĩ độ, kinh độ' (ví dụ 16.7061, 106.8827)",
            "expected two coordinates 'lat, lon' (e.g. 16.7061, 106.8827)",
        ),
        "same_axis": (
            "cả hai toạ độ mang chữ bán cầu của cùng một trục",
            "both coordinates carry the same hemisphere axis",
        ),
        "minor_carrier": (
            "được tính là nhà mạng 'other' (khác); {carriers} có cột riêng",
            "counted as carrier 'other' ({carriers} have their own columns)",
        ),
        "unknown_carrier": (
            "không phải một trong {carriers} (hiểu được cả tên viết tắt như VTL, VNPT, "
            "Vina, MBF; ghi 'other' cho nhà mạng khác)",
            "not one of {carriers} (aliases such as VTL, VNPT, Vina, MBF are "
            "understood; write 'other' for another operator)",
        ),
        "unknown_technology": (
            "công nghệ không rõ {tech}; dùng {techs}, ngăn cách bằng ';' (hiểu "
            "được GSM, UMTS, LTE, NR)",
            "unknown technology {tech}; use any of {techs} separated by ';' "
            "(GSM, UMTS, LTE, NR are understood)",
        ),
        "not_choice": ("không phải một trong {choices}", "not one of {choices}"),
        "not_bool": (
            "không phải giá trị có/không (dùng true hoặc false)",
            "not a yes/no value (use true or false)",
        ),
        "empty_required": ("ô trống, nhưng cột này bắt buộc", "empty, but this column is required"),
        "minimum": ("phải ≥ {limit}", "must be ≥ {limit}"),
        "maximum": ("phải ≤ {limit}", "must be ≤ {limit}"),
        "duplicate_id": (
            "mã trùng: mỗi dòng cần một mã riêng",
            "duplicate id: each row needs its own",
        ),
        # reading files (geo.io.readers)
        "cannot_read": ("không đọc được: {detail}", "cannot be read: {detail}"),
        "unsupported_type": (
            "loại tệp {suffix} không được hỗ trợ; dùng một trong {suffixes}",
            "unsupported file type {suffix}; use one of {suffixes}",
        ),
        "file_empty": ("tệp rỗng", "the file is empty"),
        "file_too_large": (
            "tệp nặng {size} MB; giới hạn là {limit} MB",
            "the file is {size} MB; the limit is {limit} MB",
        ),
        "not_utf8": (
            "không phải UTF-8 (byte {byte} ở vị trí {offset}); đã đọc theo {encoding}: hãy "
            "kiểm tra tên có đúng không, hoặc lưu tệp dạng CSV UTF-8",
            "not UTF-8 (byte {byte} at offset {offset}); read as {encoding}: check that "
            "names look right, or save the file as CSV UTF-8",
        ),
        "cp1258": ("Windows-1258 (tiếng Việt)", "Windows-1258 (Vietnamese)"),
        "cp1252": ("Windows-1252 (Tây Âu)", "Windows-1252 (Western)"),
        "bad_encoding": (
            "văn bản không phải UTF-8, UTF-16, Windows-1258 hay Windows-1252; hãy lưu "
            "tệp dạng CSV UTF-8",
            "the text is neither UTF-8, UTF-16, Windows-1258 nor Windows-1252; save it "
            "as CSV UTF-8",
        ),
        "nul_bytes": (
            "tệp chứa byte NUL: đây là tệp nhị phân hoặc UTF-16 không có BOM; hãy lưu tệp "
            "dạng CSV UTF-8",
            "the file holds NUL bytes: it is binary or UTF-16 without a BOM; save it as CSV UTF-8",
        ),
        "header_empty": ("dòng tiêu đề trống", "the header row is empty"),
        "repeated_columns": (
            "tên cột lặp lại trong dòng tiêu đề: {names}",
            "column name(s) repeated in the header: {names}",
        ),
        "ragged": (
            "có {fields} trường nhưng dòng tiêu đề có {header} (dấu phân cách: {delimiter}); "
            "hãy đặt trong ngoặc kép các giá trị chứa dấu phân cách",
            "has {fields} fields but the header has {header} (delimiter {delimiter}); quote "
            "values that contain the delimiter",
        ),
        "delimiter_tab": ("tab", "tab"),
        "delimiter_comma": ("dấu phẩy", "comma"),
        "delimiter_semicolon": ("dấu chấm phẩy", "semicolon"),
        "delimiter_pipe": ("dấu |", "pipe"),
        "not_xlsx": (
            "không phải sổ tính Excel (.xlsx) đọc được: {detail}",
            "not a readable Excel workbook (.xlsx): {detail}",
        ),
        "no_sheet": (
            "sổ tính không có trang nào có dòng tiêu đề",
            "the workbook has no sheet with a header row",
        ),
        "sheets": (
            "sổ tính có {n} trang ({names}); đã đọc trang {sheet}",
            "the workbook has {n} sheets ({names}); read sheet {sheet}",
        ),
        "not_vector": (
            "không phải tệp bản đồ (vector) đọc được: {detail}",
            "not a readable vector file: {detail}",
        ),
        "layers": (
            "tệp có {n} lớp ({names}); đã đọc {chosen} (đặt tên một lớp là '{layer}' để chọn)",
            "the file holds {n} layers ({names}); read {chosen} (name a layer '{layer}' to choose)",
        ),
        "zip_no_kml": (
            "tệp zip không có tệp .kml nào; trong đó có: {listing}",
            "the zip holds no .kml file; it holds: {listing}",
        ),
        "zip_no_data": (
            "tệp zip không có tệp .shp nào (nén cùng các tệp .shx, .dbf và .prj của nó) "
            "hay tệp dữ liệu nào khác; trong đó có: {listing}",
            "the zip holds no .shp file (zip it with its .shx, .dbf and .prj) nor any "
            "other data file; it holds: {listing}",
        ),
        "zip_several": (
            "tệp zip có nhiều tệp dữ liệu ({listing}); mỗi zip chỉ để một lớp, hoặc đặt "
            "tên tệp là '{layer}'",
            "the zip holds several data files ({listing}); put one layer per zip or name "
            "the file '{layer}'",
        ),
        "shp_parts": (
            "Shapefile {name} thiếu tệp {missing}: hãy nén tất cả các phần của nó cùng nhau",
            "the Shapefile {name} comes without its {missing} file(s): zip all its parts together",
        ),
        # uploads (geo.io.uploads)
        "upload_too_large": (
            "tệp tải lên vượt giới hạn {limit} MB",
            "the upload is larger than the limit of {limit} MB",
        ),
        "not_zip": ("không phải tệp zip đọc được: {detail}", "not a readable zip file: {detail}"),
        "zip_members": (
            "tệp zip có {n} thành phần; giới hạn là {limit}",
            "the zip holds {n} members; the limit is {limit}",
        ),
        "zip_expands": (
            "tệp zip giải nén ra {size} MB; giới hạn là {limit} MB (bom zip?)",
            "the zip expands to {size} MB; the limit is {limit} MB (zip bomb?)",
        ),
        "zip_bomb": (
            "tệp zip giải nén vượt quá {limit} MB (bom zip?): không dùng gì cả",
            "the zip expands beyond {limit} MB (zip bomb?): nothing used",
        ),
        "member_absolute": (
            "đường dẫn tuyệt đối: thành phần phải là đường dẫn tương đối",
            "absolute path: members must be relative",
        ),
        "member_dotdot": (
            "đường dẫn đi ra ngoài thư mục zip ('..')",
            "path goes outside the zip folder ('..')",
        ),
        "member_symlink": ("liên kết tượng trưng: không giải nén", "symbolic link: not extracted"),
        "member_not_regular": ("không phải tệp thông thường", "not a regular file"),
        "member_control": ("tên chứa ký tự điều khiển", "control characters in the name"),
        "member_twice": ("cùng một tên hai lần", "the same name twice"),
        "member_outside": ("đường dẫn ra ngoài thư mục", "path outside the folder"),
        "member_extract": ("không giải nén được: {detail}", "cannot be extracted: {detail}"),
        "unknown_layer": (
            "lớp không rõ; các lớp là {layers}",
            "unknown layer; layers are {layers}",
        ),
        "no_usable_row": (
            "không có dòng nào dùng được ({detail}): cả tệp bị từ chối, chưa có gì được "
            "áp dụng, vẫn dùng dữ liệu trước đó",
            "no usable row ({detail}): the whole file is refused, nothing was applied "
            "and the previous data stays",
        ),
        "no_data_rows": ("tệp không có dòng dữ liệu nào", "the file holds no data row"),
        "rows_left_out": (
            "{n} dòng bị bỏ qua vì lỗi, xem các dòng dưới đây",
            "{n} rows left out because of errors, see the rows below",
        ),
        "rows_left_out_one": (
            "{n} dòng bị bỏ qua vì lỗi, xem dòng dưới đây",
            "{n} row left out because of an error, see the row below",
        ),
        # layers and datasets (geo.io.loading)
        "layer_missing": (
            "thiếu lớp '{layer}': thêm {layer}.csv hoặc {layer}.geojson (xem data/README.md)",
            "layer '{layer}' is missing: add {layer}.csv or {layer}.geojson (see data/README.md)",
        ),
        "no_commune": ("lớp xã không có xã nào", "the communes layer holds no commune"),
        "bad_source": (
            "nguồn phải là một đoạn văn bản, hoặc một đoạn cho mỗi ngôn ngữ ({langs}); đã bỏ qua",
            "a source is a text, or one text per language ({langs}); left out",
        ),
        "not_json": ("không đọc được dạng JSON: {detail}", "cannot be read as JSON: {detail}"),
        # geometry and coordinates (geo.io.importing)
        "metres_hint": (
            "x tới {x}, y tới {y}: đây có vẻ là mét của hệ toạ độ phẳng (VN-2000 hoặc UTM, "
            "ví dụ x≈500.000, y≈1.800.000), không phải độ WGS 84",
            "x up to {x}, y up to {y}: these look like projected metres (VN-2000 or UTM, "
            "e.g. x≈500,000, y≈1,800,000), not WGS 84 degrees",
        ),
        "no_crs_degrees": (
            "tệp không khai báo hệ toạ độ (CRS); toạ độ trông như độ nên được đọc theo "
            "WGS 84 (EPSG:4326)",
            "the file declares no coordinate reference system (CRS); its coordinates "
            "look like degrees and were read as WGS 84 (EPSG:4326)",
        ),
        "no_crs_metres": (
            "tệp không khai báo hệ toạ độ (CRS) và toạ độ không phải độ WGS 84 hợp lý "
            "({hint}). Hãy lưu tệp kèm CRS (tệp .prj cạnh tệp .shp, hoặc GeoPackage) "
            "hoặc chuyển sang EPSG:4326",
            "the file declares no coordinate reference system (CRS) and its coordinates "
            "are not plausible WGS 84 degrees ({hint}). Save it with its CRS (a .prj "
            "beside the .shp, or a GeoPackage) or reproject it to EPSG:4326",
        ),
        "crs_not_degrees": (
            "tệp khai báo CRS theo độ nhưng toạ độ không phải độ ({hint}); hãy khai "
            "báo đúng CRS của toạ độ (ví dụ VN-2000 / UTM múi 48N, EPSG:3405)",
            "the file declares a CRS in degrees but its coordinates are not degrees "
            "({hint}); declare the CRS they are in (e.g. VN-2000 / UTM zone 48N, "
            "EPSG:3405)",
        ),
        "reproject": (
            "không chuyển được sang WGS 84: {detail}",
            "cannot be reprojected to WGS 84: {detail}",
        ),
        "geometry_empty": ("hình học trống", "geometry is empty"),
        "expected_polygon": ("cần Polygon hoặc MultiPolygon", "expected Polygon or MultiPolygon"),
        "expected_point": ("cần Point", "expected Point"),
        "not_finite_coords": ("toạ độ không hữu hạn", "coordinates are not finite"),
        "invalid_geometry": (
            "hình học không hợp lệ: {detail}; sửa nó sẽ làm diện tích thay đổi "
            "{change}%: hãy sửa trong phần mềm GIS (QGIS: Vector ▸ Geometry Tools ▸ "
            "Fix Geometries)",
            "invalid geometry: {detail}; repairing it would change its area by "
            "{change}%: fix it in a GIS (QGIS: Vector ▸ Geometry Tools ▸ Fix "
            "Geometries)",
        ),
        "repaired": (
            "hình học không hợp lệ: {detail}; đã sửa (diện tích thay đổi {change}%)",
            "invalid geometry: {detail}; repaired (area changed by {change}%)",
        ),
        "hemisphere_axis": (
            "chữ chỉ bán cầu cho biết đây là {axis}",
            "the hemisphere letter says this is a {axis}",
        ),
        "latitude": ("vĩ độ", "latitude"),
        "longitude": ("kinh độ", "longitude"),
        "missing_coordinate": (
            "thiếu cột bắt buộc '{column}' (độ WGS 84; cũng hiểu: {aliases}, hoặc "
            "một cột 'vĩ độ, kinh độ' như 'Tọa độ'); các cột có trong tệp: "
            "{found}{hint}",
            "required column '{column}' is missing (WGS 84 degrees; also "
            "understood: {aliases}, or one 'lat, lon' column such as 'Tọa độ'); "
            "columns found: {found}{hint}",
        ),
        "one_column_hint": (
            "; dòng tiêu đề đọc ra chỉ một cột: dấu phân cách là dấu phẩy, chấm phẩy hay tab?",
            "; the header reads as one column: is the delimiter a comma, semicolon or tab?",
        ),
        "not_degrees": (
            "toạ độ không phải độ WGS 84 ({hint}). Hãy đổi sang độ, hoặc lưu lớp dạng "
            "GeoPackage/Shapefile có khai báo CRS",
            "the coordinates are not WGS 84 degrees ({hint}). Convert them to degrees, or "
            "save the layer as a GeoPackage/Shapefile that declares its CRS",
        ),
        "swapped": (
            "vĩ độ và kinh độ có vẻ bị đảo (Việt Nam nằm ở 8–24° Bắc, 102–110° Đông); đã "
            "đọc đảo lại",
            "latitude and longitude look swapped (Vietnam lies at 8–24° N, 102–110° E); read "
            "swapped",
        ),
        "out_of_range": ("nằm ngoài ±{limit}°", "outside ±{limit}°"),
        "missing_column": (
            "thiếu cột bắt buộc '{column}'{also}{hint}; các cột có trong tệp: {found}",
            "required column '{column}' is missing{also}{hint}; columns found: {found}",
        ),
        "also_understood": (" (cũng hiểu: {aliases})", " (also understood: {aliases})"),
        "code_by_name_hint": (
            "; hoặc cho tên xã ('name' / 'Tên xã') để tìm mã GSO theo tên",
            "; or give commune names ('name' / 'Tên xã') to match GSO codes by name",
        ),
        "none_found": ("không có", "none"),
        "far_point": (
            "điểm nằm cách mọi xã {km} km: hãy kiểm tra toạ độ",
            "the point lies {km} km outside every commune: check its coordinates",
        ),
        # commune codes by name (geo.io.importing.join_codes)
        "no_commune_name": (
            "không có xã nào tên này trong {reference}: thêm cột 'code' ghi mã GSO "
            "của xã{suggestion}",
            "no commune of this name in {reference}: add a 'code' column with its "
            "GSO code{suggestion}",
        ),
        "close_names": ("; tên gần giống: {names}", "; close names: {names}"),
        "reference_given": ("danh sách tham chiếu đã cho", "the given reference"),
        "reference_gso": (
            "danh sách xã GSO trước 1/7/2025 (vietnamadminunits)",
            "GSO communes before 1 July 2025 (vietnamadminunits)",
        ),
        "codes_by_name": (
            "không có cột 'code': {matched} trong {total} xã được gán mã GSO theo tên, "
            "đối chiếu với {reference}",
            "no 'code' column: {matched} of {total} communes matched to GSO codes by "
            "name against {reference}",
        ),
    },
)
# Population grids (geo.io.population, geo.io.loading).
TEXT |= _g(
    "reason",
    {
        "grid_unreadable": (
            "không đọc được như một lưới dân số GeoTIFF ({detail})",
            "cannot be read as a GeoTIFF population grid ({detail})",
        ),
        "grid_no_crs": (
            "lưới dân số không khai báo hệ toạ độ (CRS); hãy lưu thành GeoTIFF kèm CRS "
            "(lưới WorldPop dùng EPSG:4326)",
            "the population grid declares no coordinate reference system (CRS); save it "
            "as a GeoTIFF with its CRS (WorldPop grids are EPSG:4326)",
        ),
        "grid_no_overlap": (
            "lưới dân số không chồng lên các xã (khung lưới {grid}, các xã {communes}, theo {crs})",
            "the population grid does not overlap the communes (grid bounds {grid}, "
            "communes {communes}, in {crs})",
        ),
        "grid_nodata": (
            "lưới dân số chỉ có ô không dữ liệu (nodata) trên các xã",
            "the population grid holds only nodata over the communes",
        ),
        "grid_negative": (
            "{n} ô có số người âm (ví dụ hàng {row}, cột {col} của phần đọc: {value}); "
            "lưới dân số ghi số người mỗi ô ≥ 0 — hãy khai báo giá trị nodata nếu các ô "
            "này là ô thiếu dữ liệu",
            "{n} cell(s) hold negative people (e.g. row {row}, column {col} of the part "
            "read: {value}); a population grid holds people per cell ≥ 0 — declare the "
            "grid's nodata value if these mark missing cells",
        ),
        "grid_partial": (
            "lưới dân số chỉ phủ {pct} % diện tích xã {code}; dân cư xã này dàn đều theo diện tích",
            "the population grid covers {pct} % of commune {code}; its people are spread "
            "evenly over its area",
        ),
        "grid_empty": (
            "lưới dân số không có người nào trong xã {code}; dân cư xã này dàn đều theo diện tích",
            "the population grid holds nobody in commune {code}; its people are spread "
            "evenly over its area",
        ),
        "grid_not_used": (
            "{reason}; không dùng lưới dân số của thư mục dữ liệu cho các xã này: dân cư "
            "dàn đều theo diện tích",
            "{reason}; the dataset folder's population grid is not used with these "
            "communes: people are spread evenly",
        ),
    },
)


# --- the workspace (geo.store): versions, change between versions (geo.analysis.change) ---------
TEXT |= _g(
    "change",
    {
        "line": ("{name}: 4G {pct}, {people}", "{name}: 4G {pct}, {people}"),
        "more": ("thêm {n} người", "{n} more people"),
        "fewer": ("bớt {n} người", "{n} fewer people"),
        "same": ("số người như trước", "as many people as before"),
        "before_only": (
            "{name}: chỉ có trong phiên bản trước (mã xã không còn ở phiên bản sau)",
            "{name}: only in the earlier version (its code is not in the later one)",
        ),
        "after_only": (
            "{name}: chỉ có trong phiên bản sau (mã xã mới)",
            "{name}: only in the later version (a new code)",
        ),
        "before": ("trước", "before"),
        "after": ("sau", "after"),
        "change": ("thay đổi", "change"),
        "status": ("So khớp", "Matched"),
        "status.both": ("cả hai phiên bản", "both versions"),
        "status.before_only": ("chỉ phiên bản trước", "earlier version only"),
        "status.after_only": ("chỉ phiên bản sau", "later version only"),
        "metric.covered_4g_pct": ("Diện tích có 4G (%)", "4G area (%)"),
        "metric.covered_4g_pop": ("Số người có 4G", "People with 4G"),
        "metric.no_mobile_pct": (
            "Diện tích không có sóng di động (%)",
            "Area without mobile signal (%)",
        ),
        "metric.no_mobile_pop": ("Số người không có sóng di động", "People without mobile signal"),
        "metric.loudspeaker_covered_pct": (
            "Diện tích trong vùng loa (%)",
            "Area in loudspeaker reach (%)",
        ),
        "metric.internet_access_pct": (
            "Diện tích gần điểm internet (%)",
            "Area near internet access (%)",
        ),
        "metric.no_service_pct": (
            "Diện tích không có kênh nào (%)",
            "Area with no channel at all (%)",
        ),
        "metric.no_service_pop": ("Số người không có kênh nào", "People with no channel at all"),
        "metric.c03_present": ("Có điểm hỗ trợ C03 (1 = có)", "C03 support point (1 = yes)"),
        "sheet": ("Thay đổi", "Changes"),
        "sheet_lines": ("Tóm tắt", "Summary"),
        "map_title": ("Thay đổi diện tích có 4G (điểm %)", "Change of 4G area (percentage points)"),
        "legend_gain": ("tăng", "gain"),
        "legend_loss": ("giảm", "loss"),
        "legend_none": ("không đổi / không so được", "no change / not comparable"),
    },
)
TEXT |= _g(
    "login",
    {
        "title": ("Phủ sóng — đăng nhập", "Phủ sóng — log in"),
        "name": ("Tên người dùng", "User name"),
        "password": ("Mật khẩu", "Password"),
        "submit": ("Đăng nhập", "Log in"),
        "failed": ("Sai tên người dùng hoặc mật khẩu.", "Wrong user name or password."),
        "slowed": (
            "Đăng nhập sai nhiều lần: hãy thử lại sau {seconds} giây.",
            "Too many failed logins: try again in {seconds} s.",
        ),
        "as": ("Đang dùng: {name} ({role})", "Logged in: {name} ({role})"),
        "logout": ("Đăng xuất", "Log out"),
        "role": ("Vai trò", "Role"),
        "role_viewer": ("xem", "viewer"),
        "role_editor": ("biên tập", "editor"),
        "role_admin": ("quản trị", "admin"),
        "users": ("Người dùng", "Users"),
        "add": ("Thêm người dùng", "Add the user"),
        "added": ("Đã thêm {name}.", "{name} added."),
        "remove": ("Xoá người dùng", "Remove the user"),
        "viewer_only": (
            "Vai trò «xem» không nhập dữ liệu và không lưu vào kho dữ liệu.",
            "The viewer role does not import data nor save to the workspace.",
        ),
    },
)

TEXT |= _g(
    "workspace",
    {
        "title": ("Kho dữ liệu của nhóm", "Team workspace"),
        "intro": (
            "Lưu dữ liệu đang dùng thành một phiên bản (không bao giờ bị sửa), mở lại, so sánh "
            "hai phiên bản và lưu phương án quy hoạch. Cơ sở dữ liệu: {url}",
            "Save the data in use as a version (never changed afterwards), open it again, "
            "compare two versions and keep siting plans. Database: {url}",
        ),
        "save": ("Lưu dữ liệu đang dùng thành phiên bản", "Save the data in use as a version"),
        "label": ("Nhãn", "Label"),
        "label_help": (
            "ví dụ: danh sách trạm của nhà mạng tháng 10/2026",
            "e.g. operator site list of 2026-10",
        ),
        "date": ("Ngày mà dữ liệu mô tả", "Date the data describes"),
        "by": ("Người lưu", "Saved by"),
        "saved": ("Đã lưu phiên bản {id}.", "Saved as version {id}."),
        "need_label": ("Hãy nhập nhãn cho phiên bản.", "Please give the version a label."),
        "none": ("Chưa có phiên bản nào.", "No version saved yet."),
        "open": ("Mở phiên bản", "Open a version"),
        "default": ("Dữ liệu mặc định (thư mục)", "Default data (folder)"),
        "opened": ("Đang dùng phiên bản {id}: {label}", "Using version {id}: {label}"),
        "compare": ("So sánh hai phiên bản", "Compare two versions"),
        "compare_a": ("Phiên bản trước", "Earlier version"),
        "compare_b": ("Phiên bản sau", "Later version"),
        "compare_run": ("So sánh", "Compare"),
        "need_two": (
            "Cần ít nhất hai phiên bản để so sánh.",
            "Two versions are needed to compare.",
        ),
        "unchanged": ("{n} xã khác: không thay đổi.", "{n} other communes: no change."),
        "download_csv": ("Tải changes.csv", "Download changes.csv"),
        "download_xlsx": ("Tải bảng thay đổi (XLSX)", "Download the changes (XLSX)"),
        "plans": ("Phương án quy hoạch đã lưu", "Saved siting plans"),
        "save_plan": ("Lưu phương án hiện tại", "Save the current plan"),
        "plan_saved": ("Đã lưu phương án {id}.", "Saved as plan {id}."),
        "no_plan": (
            "Chưa có phương án: hãy chạy quy hoạch trong thẻ quy hoạch.",
            "No plan yet: run one in the planning tab.",
        ),
        "open_plan": ("Mở lại phương án", "Reopen a plan"),
        "plan_of": (
            "Phương án {id} ({label}) trên phiên bản {version}",
            "Plan {id} ({label}) on version {version}",
        ),
        "plan_needs_version": (
            "Hãy lưu dữ liệu thành phiên bản trước khi lưu phương án.",
            "Save the data as a version before saving a plan.",
        ),
        "error": ("Không dùng được kho dữ liệu: {error}", "The workspace cannot be used: {error}"),
        "col.id": ("Số", "Id"),
        "col.label": ("Nhãn", "Label"),
        "col.described_on": ("Ngày dữ liệu", "Describes"),
        "col.saved_by": ("Người lưu", "Saved by"),
        "col.saved_at": ("Lưu lúc", "Saved at"),
        "col.name": ("Bộ dữ liệu", "Dataset"),
        "col.files": ("Tệp nguồn", "Source files"),
    },
)

# --- villages (geo.analysis.villages): settlements.csv, its sheet, the app's table, map markers ----------
TEXT |= _g(
    "village",
    {
        "name": ("Thôn/bản", "Village"),
        "code": ("Mã xã", "Commune code"),
        "commune": ("Xã", "Commune"),
        "population": ("Dân số", "Population"),
        "mobile_covered": ("Có sóng di động", "Mobile signal"),
        "covered_viettel": ("Viettel", "Viettel"),
        "covered_vinaphone": ("VinaPhone", "VinaPhone"),
        "covered_mobifone": ("MobiFone", "MobiFone"),
        "covered_vietnamobile": ("Vietnamobile", "Vietnamobile"),
        "covered_other": ("Nhà mạng khác", "Other carrier"),
        "covered_2g": ("2G", "2G"),
        "covered_3g": ("3G", "3G"),
        "covered_4g": ("4G", "4G"),
        "covered_5g": ("5G", "5G"),
        "loudspeaker_covered": ("Loa truyền thanh", "Loudspeaker"),
        "internet_access": ("Gần điểm internet", "Near an internet point"),
        "internet_distance_m": ("Khoảng cách đến điểm internet (m)", "Internet distance (m)"),
        "internet_walk_min": (
            "Thời gian đi bộ đến điểm internet (phút)",
            "Internet walking time (min)",
        ),
        "no_mobile": ("Lõm sóng (không có sóng di động)", "No mobile signal (lõm sóng)"),
        "sheet": ("Thôn bản", "Villages"),
        "tab": ("Thôn/bản", "Villages"),
        "download": ("Tải bảng thôn/bản (CSV)", "Download the village table (CSV)"),
        "layer": ("Thôn/bản", "Villages"),
        "covered_marker": ("Thôn/bản có sóng di động", "Village with mobile signal"),
        "lom_song_marker": ("Thôn/bản lõm sóng", "Village without mobile signal (lõm sóng)"),
        "caption": (
            "Mỗi thôn/bản của lớp thôn/bản: xã chứa nó, dân số và các kênh đến được nó theo "
            "kết quả phân tích (mô hình, bán kính và bộ lọc đang chọn). Khoảng cách đến điểm "
            "internet là đường chim bay.",
            "Each village of the settlements layer: the commune holding it, its population and "
            "the channels that reach it in this analysis (the model, radii and filters chosen). "
            "The internet distance is a straight line.",
        ),
        "note": (
            "Thôn/bản lõm sóng (không có sóng di động): {n} trên {total} — {names}",
            "Villages without mobile signal (lõm sóng): {n} of {total} — {names}",
        ),
    },
)


# --- field evidence (geo.io.measurements, geo.io.opencellid, geo.analysis.agreement) -------------
TEXT |= _g(
    "reason",
    {
        "foreign_mcc": (
            "mã quốc gia di động (MCC) {mcc} không phải của Việt Nam ({ours}); bỏ qua dòng này",
            "mobile country code (MCC) {mcc} is not Viet Nam's ({ours}); row left out",
        ),
        "unknown_mnc": (
            "mã mạng {code} không có trong danh sách của phusong ({known})",
            "network code {code} is not in phusong's list ({known})",
        ),
        "unmodelled_carrier": (
            "{name} ({code}) là nhà mạng thật nhưng phusong chưa có cột riêng; tính "
            "là nhà mạng 'other' (khác)",
            "{name} ({code}) is a real operator phusong has no column for; counted "
            "as carrier 'other'",
        ),
        "not_service": (
            "không hiểu được có sóng hay không (dùng có/yếu/không hoặc yes/weak/no)",
            "cannot tell whether there was service (use yes/weak/no or có/yếu/không)",
        ),
        "level_range": (
            "mức tín hiệu {tech} phải trong khoảng {low} đến {high} dBm (3GPP)",
            "a {tech} signal level must lie between {low} and {high} dBm (3GPP)",
        ),
        "no_service_value": (
            "dòng không có cột có sóng, mức tín hiệu (dBm) hay số vạch sóng",
            "the row has no service flag, signal level (dBm) or bars",
        ),
        "no_service_column": (
            "tệp thiếu cột cho biết có sóng hay không: cần một cột có sóng "
            "(có/không), mức tín hiệu dBm (RSRP, RSCP, RSSI, Level) hoặc số vạch",
            "the file has no column saying whether there was service: a service "
            "flag (yes/no), a level in dBm (RSRP, RSCP, RSSI, Level) or bars",
        ),
        "opencellid_source": (
            "danh sách trạm OpenCellID: {cells} ô phủ sóng gộp thành {sites} trạm "
            "(các ô của một nhà mạng cách nhau dưới {merge} m); vị trí do cộng đồng "
            "đóng góp, chỉ gần đúng",
            "OpenCellID cell list: {cells} cells merged into {sites} sites (cells of "
            "one carrier within {merge} m); crowd-sourced, approximate positions",
        ),
        "bad_radio": (
            "công nghệ '{radio}' không dùng được (GSM, UMTS, LTE hoặc NR)",
            "radio '{radio}' cannot be used (GSM, UMTS, LTE or NR)",
        ),
    },
)

TEXT |= _g(
    "note",
    {
        "calibrated": (
            "bán kính theo thực địa ({file}): {fitted} nhóm nhà mạng × công nghệ được hiệu "
            "chỉnh từ {n} lần đo; {unfitted} nhóm chưa đủ bằng chứng giữ bán kính đang dùng",
            "field-calibrated radii ({file}): {fitted} carrier × technology group(s) fitted "
            "from {n} readings; {unfitted} group(s) without enough evidence keep their "
            "radius",
        ),
        "calibrated_path_loss": (
            "ngưỡng suy hao của mô hình địa hình theo thực địa ({file}): {fitted} "
            "nhóm nhà mạng × công nghệ được hiệu chỉnh từ {n} lần đo trong tầm "
            "nhìn thẳng; {unfitted} nhóm chưa đủ bằng chứng không có ngưỡng",
            "the terrain model's field-fitted path-loss thresholds ({file}): "
            "{fitted} carrier × technology group(s) fitted from {n} readings in "
            "line of sight; {unfitted} group(s) without enough evidence have no "
            "threshold",
        ),
        "evidence": (
            "bằng chứng thực địa ({n} lần đo; {source}): {area}% diện tích ({people}% dân "
            "số) có lần đo trong vòng {m} m; {checked}% diện tích đã kiểm chứng, "
            "{contradicted}% bị thực địa phủ nhận, {unchecked}% chưa kiểm chứng; {agree}% "
            "lần đo khớp với mô hình",
            "field evidence ({n} readings; {source}): {area}% of the area ({people}% of the "
            "people) has a reading within {m} m; {checked}% of the area checked, "
            "{contradicted}% contradicted by the field, {unchecked}% unchecked; {agree}% of "
            "the readings agree with the model",
        ),
        "evidence_commune": (
            "{commune}: {area}% diện tích ({people}% dân số) có bằng chứng thực "
            "địa, {checked}% đã kiểm chứng, {contradicted}% bị phủ nhận; {n} lần đo, "
            "{agree}% khớp với mô hình: {status}",
            "{commune}: {area}% of the area ({people}% of the people) with field "
            "evidence, {checked}% checked, {contradicted}% contradicted; {n} "
            "readings, {agree}% agree with the model: {status}",
        ),
        "evidence_checked": ("đã kiểm chứng", "checked"),
        "evidence_contradicted": ("bị thực địa phủ nhận", "contradicted"),
        "evidence_unchecked": ("chưa kiểm chứng", "unchecked"),
    },
)

TEXT |= _g(
    "report",
    {
        "here": (
            "Ghi phản ánh của người dân tại điểm này",
            "Record a resident's report at this spot",
        ),
        "technology": ("Công nghệ", "Technology"),
        "service": ("Sóng ở đây", "Service here"),
        "service_yes": ("có", "yes"),
        "service_weak": ("yếu", "weak"),
        "service_no": ("không có", "none"),
        "date": ("Ngày ghi nhận", "Date observed"),
        "reporter": ("Người phản ánh", "Reported by"),
        "note": ("Ghi chú", "Note"),
        "save": ("Lưu phản ánh", "Save the report"),
        "saved": (
            "Đã lưu phản ánh số {id} vào kho dữ liệu.",
            "Report {id} saved in the workspace.",
        ),
        "use_stored": (
            "Dùng {n} phản ánh đã lưu trong kho dữ liệu làm bằng chứng",
            "Use the {n} reports kept in the workspace as evidence",
        ),
        "stored_file": ("phan_anh_trong_kho.csv", "workspace_reports.csv"),
        "download_stored": ("Tải các phản ánh (CSV)", "Download the reports (CSV)"),
    },
)

TEXT |= _g(
    "field",
    {
        "crowd_sourced": (
            "vị trí do cộng đồng đóng góp, chỉ gần đúng",
            "crowd-sourced, approximate positions",
        ),
        "carrier": ("Nhà mạng", "Carrier"),
        "technology": ("Công nghệ", "Technology"),
        "samples": ("Số lần đo", "Readings"),
        "agreement_before_pct": ("Khớp trước hiệu chỉnh (%)", "Agreement before (%)"),
        "radius_before_m": ("Bán kính đang dùng (m)", "Radius used (m)"),
        "radius_fitted_m": ("Bán kính theo thực địa (m)", "Fitted radius (m)"),
        "radius_low_m": ("Cận dưới (m)", "Lower bound (m)"),
        "radius_high_m": ("Cận trên (m)", "Upper bound (m)"),
        "agreement_after_pct": ("Khớp sau hiệu chỉnh (%)", "Agreement after (%)"),
        "both_service": ("Mô hình có sóng, đo có sóng", "Model covered, field has service"),
        "model_only": ("Mô hình có sóng, đo không có sóng", "Model covered, field has none"),
        "field_only": ("Mô hình không có sóng, đo có sóng", "Model not covered, field has service"),
        "neither": ("Mô hình không có sóng, đo không có sóng", "Model not covered, field has none"),
        "not_enough": ("chưa đủ bằng chứng", "not enough evidence"),
        "service_yes": ("Có sóng", "Service"),
        "service_weak": ("Sóng yếu", "Weak"),
        "service_no": ("Không có sóng", "No service"),
        "disagreement": ("Mô hình và thực địa khác nhau", "Model and field disagree"),
        "readings_layer": ("Kết quả đo thực địa", "Field readings"),
        "map_title": ("Mô hình so với thực địa", "Model versus field"),
        "map_note": (
            "{n} lần đo, {agree} khớp với mô hình ({pct}%); vòng đỏ: chỗ mô hình và thực địa "
            "khác nhau",
            "{n} readings, {agree} agree with the model ({pct}%); red rings: where model and "
            "field disagree",
        ),
        "checked": ("Đã kiểm chứng", "Checked"),
        "contradicted": ("Bị thực địa phủ nhận", "Contradicted"),
        "unchecked": ("Chưa kiểm chứng", "Unchecked"),
        "evidence_area_pct": ("Diện tích có bằng chứng (%)", "Area with evidence (%)"),
        "evidence_people_pct": ("Dân số có bằng chứng (%)", "People with evidence (%)"),
        "commune_status": ("Mức tin cậy", "Confidence"),
        "commune": ("Xã", "Commune"),
        "code": ("Mã xã", "Commune code"),
        "status": ("Mức tin cậy", "Confidence"),
        "checked_area_pct": ("Diện tích đã kiểm chứng (%)", "Area checked (%)"),
        "contradicted_area_pct": ("Diện tích bị phủ nhận (%)", "Area contradicted (%)"),
        "unchecked_area_pct": ("Diện tích chưa kiểm chứng (%)", "Area unchecked (%)"),
        "agreement_pct": ("Khớp với mô hình (%)", "Agreement (%)"),
        "tab": ("Thực địa", "Field check"),
        "intro": (
            "Đối chiếu mô hình với thực địa: tải lên kết quả đo sóng (CSV, XLSX, GeoJSON, GPX, KML; "
            "nhật ký G-NetTrack dùng nguyên) hoặc phản ánh của người dân (vị trí, nhà mạng, công "
            "nghệ, có sóng có/yếu/không, ghi chú, ngày, người báo). phusong so sánh từng lần đo "
            "với mô hình vòng tròn đang chọn và ước lượng bán kính mà thực địa ủng hộ cho từng "
            "nhà mạng × công nghệ.",
            "Check the model against the field: upload signal readings (CSV, XLSX, GeoJSON, GPX, "
            "KML; a G-NetTrack log as it is) or residents' reports (position, carrier, technology, "
            "service yes/weak/no, note, date, reporter). phusong compares each reading with the "
            "circle model as set now and fits the radius the field supports per carrier × "
            "technology.",
        ),
        "upload_measurements": ("Kết quả đo sóng", "Signal readings"),
        "upload_reports": ("Phản ánh của người dân", "Residents' reports"),
        "none_usable": (
            "Không có lần đo nào dùng được trong các tệp đã tải lên.",
            "No usable reading in the files uploaded.",
        ),
        "summary": (
            "{n} lần đo · khớp với mô hình {before}% · sau hiệu chỉnh {after}%",
            "{n} readings · {before}% agree with the model · {after}% after calibration",
        ),
        "table_title": (
            "Mô hình so với thực địa theo nhà mạng × công nghệ",
            "Model versus field per carrier × technology",
        ),
        "confusion_title": ("Số lần đo theo kết quả so sánh", "Readings by outcome"),
        "communes_title": (
            "Theo xã: bằng chứng và mức tin cậy",
            "Per commune: evidence and confidence",
        ),
        "confidence_note": (
            "Một lần đo là bằng chứng cho vùng trong bán kính {m} m quanh nó. Xã "
            '"bị thực địa phủ nhận" khi dưới {pct}% lần đo khớp với mô hình.',
            "A reading is evidence for the area within {m} m of it. A commune is "
            '"contradicted" when fewer than {pct}% of its readings agree with the '
            "model.",
        ),
        "apply": ("Áp dụng hiệu chỉnh", "Apply calibration"),
        "remove": ("Bỏ hiệu chỉnh", "Remove calibration"),
        "applied": (
            "Đang dùng bán kính hiệu chỉnh theo thực địa: {radii}",
            "Field-calibrated radii in use: {radii}",
        ),
        "nothing_fitted": (
            "Chưa đủ bằng chứng để hiệu chỉnh bán kính nào.",
            "Not enough evidence to calibrate any radius.",
        ),
        "fit_note": (
            "Bán kính theo thực địa: khoảng cách tới trạm gần nhất của nhà mạng có công nghệ "
            "đó mà tại đó xác suất có sóng là 50% (hồi quy logistic, khoảng tin cậy 95%). Dưới "
            "{n} lần đo: chưa đủ bằng chứng, không đưa ra con số.",
            "Fitted radius: the distance to the carrier's nearest site with that technology "
            "where service is 50% likely (logistic regression, 95% interval). Fewer than {n} "
            "readings: not enough evidence, no number.",
        ),
        "download_calibration": ("Tải calibration.json", "Download calibration.json"),
        "download_agreement": ("Tải agreement.csv", "Download agreement.csv"),
        "download_disagreements": (
            "Tải các điểm khác nhau (GeoJSON)",
            "Download the disagreements (GeoJSON)",
        ),
        "download_reports": (
            "Tải phản ánh của người dân (CSV)",
            "Download residents' reports (CSV)",
        ),
        "on_map": ("Hiện kết quả đo thực địa trên bản đồ", "Show the field readings on the map"),
        "readings": ("Số lần đo", "Readings"),
        "in_sight": ("Trong tầm nhìn thẳng", "In line of sight"),
        "max_path_loss_fitted_db": (
            "Ngưỡng suy hao theo thực địa (dB)",
            "Fitted path-loss threshold (dB)",
        ),
        "max_path_loss_low_db": ("Cận dưới (dB)", "Lower bound (dB)"),
        "max_path_loss_high_db": ("Cận trên (dB)", "Upper bound (dB)"),
        "loss_title": (
            "Mô hình địa hình: ngưỡng suy hao đường truyền theo thực địa",
            "Terrain model: the path-loss threshold the field supports",
        ),
        "loss_note": (
            "Với mỗi lần đo trong tầm nhìn thẳng của trạm gần nhất (mô hình độ cao), suy hao "
            "Hata tới điểm đo; ngưỡng là mức suy hao mà tại đó xác suất có sóng là 50% "
            "(hồi quy logistic, khoảng tin cậy 95%). Dưới {n} lần đo trong tầm nhìn: chưa "
            "đủ bằng chứng.",
            "For each reading in line of sight of its nearest serving site (over the DEM), "
            "the Hata path loss to it; the threshold is the loss where service is 50% likely "
            "(logistic regression, 95% interval). Fewer than {n} readings in sight: not "
            "enough evidence.",
        ),
        "apply_loss": ("Áp dụng ngưỡng suy hao", "Apply the path-loss thresholds"),
        "applied_loss": (
            "Mô hình địa hình dùng ngưỡng suy hao theo thực địa: {limits}",
            "Terrain model uses field-fitted path-loss thresholds: {limits}",
        ),
        "remove_loss": ("Bỏ ngưỡng suy hao", "Remove the path-loss thresholds"),
        "export_note": (
            "Ảnh bản đồ, báo cáo và bảng thiết lập ghi rõ bao nhiêu diện tích và dân số có "
            "bằng chứng thực địa (tab Thực địa) và bằng chứng đó có khớp với mô hình không.",
            "The snapshot, the report and the settings say how much area and how many "
            "people have field evidence (Field check tab) and whether it agrees with the "
            "model.",
        ),
    },
)


def t(key: str, lang: str = "vi") -> str:
    """The label ``key`` in ``lang`` ("vi" or "en").

    Raises :class:`geo.errors.ChoiceError` for an unknown language and ``KeyError`` (naming the key)
    for a label that does not exist: a missing label is a bug, not a user error.
    """
    if lang not in LANGS:
        raise ChoiceError("lang", lang, LANGS)
    try:
        return TEXT[key][lang]
    except KeyError:
        raise KeyError(f"no label {key!r} in geo.i18n.TEXT") from None


def fold(text: str) -> str:
    """Lower-case ``text`` and strip Vietnamese diacritics (đ → d) for diacritic-insensitive search.

    >>> fold("Tà Rụt") == fold("ta rut")
    True
    >>> fold("ĐAKRÔNG")
    'dakrong'
    """
    text = unicodedata.normalize("NFD", str(text)).replace("đ", "d").replace("Đ", "D")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def number(x, lang: str = "vi", decimals: int = 0) -> str:
    """``x`` formatted for ``lang`` (vi: 1.234,5; en: 1,234.5); an en dash for a missing value."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "–"
    text = f"{float(x):,.{decimals}f}"
    if lang == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


@dataclass(frozen=True)
class Note:
    """A sentence a model leaves for the reader (DEM used, voids, skipped sites …), kept as a
    ``note.*`` label key and its values so that each reader gets it in their language.

    Numbers in ``values`` are written with ``lang``'s separators (floats with ``decimals``
    decimals); ``str(note)`` and ``"word" in note`` use English (logs, tests).
    """

    key: str
    values: tuple[tuple[str, object], ...] = ()
    decimals: int = 0
    PREFIX: ClassVar[str] = "note"  # the label group of ``key``

    def text(self, lang: str = "vi") -> str:
        def show(v):
            if isinstance(v, Note):
                return v.text(lang)
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                return str(v)
            return number(v, lang, 0 if isinstance(v, int) else self.decimals)

        return t(f"{self.PREFIX}.{self.key}", lang).format(**{k: show(v) for k, v in self.values})

    def __str__(self) -> str:
        return self.text("en")

    def __contains__(self, part: str) -> bool:
        return part in self.text("en")


def note(key: str, decimals: int = 0, **values) -> Note:
    """A :class:`Note` with label ``note.<key>`` and ``values`` (checked to exist now, not when
    read)."""
    t(f"note.{key}", "en")
    return Note(key, tuple(values.items()), decimals)


class Reason(Note):
    """Why an input row or file was refused or changed (the ``reason`` of a
    :class:`geo.errors.Problem`): a ``reason.*`` label and its values, read in either language."""

    PREFIX: ClassVar[str] = "reason"


def reason(key: str, decimals: int = 0, **values) -> Reason:
    """A :class:`Reason` with label ``reason.<key>`` (checked to exist now) and ``values``."""
    t(f"reason.{key}", "en")
    return Reason(key, tuple(values.items()), decimals)


def count(key: str, n: int, lang: str = "vi", **values) -> str:
    """Label ``key`` with ``{n}`` filled in ``lang``'s number format, in its singular form
    ``<key>_one`` when ``n`` is 1 and that label exists ("1 data row", "2 data rows"; Vietnamese
    has one form)."""
    one = f"{key}_one"
    label = t(one if n == 1 and one in TEXT else key, lang)
    return label.format(n=number(n, lang), **values)


def note_text(item, lang: str = "vi") -> str:
    """A note in ``lang``; plain strings (older callers) are returned as they are."""
    return item.text(lang) if isinstance(item, Note) else str(item)


def localized(text: str | dict, lang: str = "vi") -> str:
    """A text that is either the same in every language (a string) or given per language
    (``{"vi": …, "en": …}``, e.g. a source line of ``dataset.json``): its ``lang`` version, else
    the Vietnamese one, else the first given."""
    if isinstance(text, str):
        return text
    return str(text.get(lang) or text.get("vi") or next(iter(text.values()), ""))
