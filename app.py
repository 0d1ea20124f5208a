"""phusong — the Streamlit app: explore, check and export coverage gaps, offline.

Only widgets and calls into ``geo`` live here. Run: ``bash scripts/run.sh`` (or
``uv run streamlit run app.py``). ``PHUSONG_DATA`` points the app at another dataset folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st
from streamlit_folium import st_folium

from geo import export, gaps, i18n, loading, maps, search, settings
from geo.errors import PhusongError
from geo.settings import CoverageParams

st.set_page_config(page_title="phusong — phủ sóng", page_icon="📶", layout="wide")

DATA_DIR = Path(os.environ.get("PHUSONG_DATA", settings.DEFAULT_DATA_DIR))

ASSET_BASE_URL = None  # Leaflet and plugins inlined as data: URIs: no CDN, no static route


# --- cached data and computed layers (shared, never mutated) ----------------------------------

@st.cache_resource(show_spinner=False)
def load(data_dir: str) -> loading.Dataset:
    return loading.load_dataset(data_dir, strict=False)


@st.cache_resource(show_spinner=False, max_entries=256)
def analysis_for(data_dir: str, vintage: str, params: CoverageParams) -> gaps.GapAnalysis:
    return gaps.analyse(load(data_dir), vintage=vintage, params=params)


# Not cached: st_folium mutates the map it renders, so a cached map breaks in a second session.
# Building it takes tens of milliseconds and is deterministic (the same state gives the same
# script), so streamlit-folium keeps its frame between reruns.
def map_for(data_dir: str, vintage: str, params: CoverageParams, metric: str, lang: str,
            show_gaps: tuple[str, ...], tiles: bool):
    return maps.build_map(analysis_for(data_dir, vintage, params), metric=metric, lang=lang,
                          show_gaps=show_gaps, tiles=tiles, asset_base_url=ASSET_BASE_URL)


@st.cache_data(show_spinner=False, max_entries=32)
def export_bytes(kind: str, data_dir: str, vintage: str, params: CoverageParams, metric: str,
                 lang: str, show_gaps: tuple[str, ...]) -> bytes:
    analysis = analysis_for(data_dir, vintage, params)
    return export.render(kind, analysis, metric=metric, lang=lang, show_gaps=show_gaps)


# --- sidebar: state ---------------------------------------------------------------------------

lang = st.sidebar.radio("Ngôn ngữ / Language", settings.LANGS, horizontal=True,
                        format_func=lambda v: {"vi": "Tiếng Việt", "en": "English"}[v], key="lang")


def T(key: str) -> str:
    return i18n.t(key, lang)


try:
    dataset = load(str(DATA_DIR))
except PhusongError as exc:
    st.error(f"{T('app.data_error')}: {exc}")
    st.stop()

st.sidebar.header(T("app.view"))
vintage = st.sidebar.radio(T("app.vintage"), settings.VINTAGES, key="vintage",
                           format_func=lambda v: T(f"app.vintage_{v}"))
metric = st.sidebar.selectbox(T("app.metric"), maps.MAP_METRICS, key="metric",
                              format_func=lambda m: T(f"metric.{m}"))
# The browser matches a multiselect's choices by their labels, so a language switch would clear
# it: one widget per language, seeded with the selection kept under "gaps".
show_gaps = tuple(st.sidebar.multiselect(
    T("app.show_gaps"), settings.GAP_KINDS, format_func=lambda g: T(f"gap.{g}"), key=f"gaps_{lang}",
    default=st.session_state.get("gaps", [maps.metric_for_gap(metric) or "no_4g"])))
st.session_state["gaps"] = list(show_gaps)
query = st.sidebar.text_input(T("app.search"), key="search", placeholder="Tà Rụt / ta rut")

st.sidebar.header(T("app.mobile"))
carriers = st.sidebar.multiselect(T("app.carriers"), settings.CARRIERS, key="carriers",
                                  default=list(settings.MAIN_CARRIERS),
                                  format_func=lambda c: T(f"carrier.{c}"))
technologies = st.sidebar.multiselect(T("app.technologies"), settings.TECHNOLOGIES,
                                      default=list(settings.TECHNOLOGIES), key="technologies")
radii = tuple((tech, 1000.0 * st.sidebar.slider(
    T("app.radius").format(tech=tech), 0.5, 15.0, settings.DEFAULT_RADIUS_M[tech] / 1000, 0.5,
    key=f"radius_{tech}")) for tech in settings.TECHNOLOGIES)
st.sidebar.header(T("app.other_channels"))
loud_m = st.sidebar.slider(T("app.loudspeaker_reach"), 50, 2000,
                           int(settings.DEFAULT_LOUDSPEAKER_RADIUS_M["cluster"]), 50, key="loud")
inet_km = st.sidebar.slider(T("app.internet_access"), 0.5, 10.0,
                            settings.DEFAULT_INTERNET_ACCESS_M / 1000, 0.5, key="inet")
tiles = st.sidebar.checkbox(T("app.tiles"), value=False, key="tiles")
st.sidebar.caption(T("app.defaults_source"))

params = CoverageParams(
    radius_m=radii,
    loudspeaker_radius_m=tuple((k, float(loud_m)) for k in settings.LOUDSPEAKER_KINDS),
    internet_access_m=inet_km * 1000,
    carriers=tuple(carriers) if set(carriers) != set(settings.CARRIERS) else (),
    technologies=tuple(technologies) if set(technologies) != set(settings.TECHNOLOGIES) else (),
)
if not carriers or not technologies:
    st.sidebar.warning(T("app.no_filter_selected"))

# --- main -------------------------------------------------------------------------------------

try:
    analysis = analysis_for(str(DATA_DIR), vintage, params)
except PhusongError as exc:
    st.error(str(exc))
    st.stop()

st.title(T("app.title"))
st.caption(f"{analysis.dataset_name} · {T(f'app.vintage_{vintage}')} · "
           f"{len(analysis.communes)} {T('app.communes')}")
if analysis.illustrative:
    st.warning("⚠️ " + T("notice.illustrative"), icon=None)
if dataset.problems:
    with st.expander(f"⚠️ {len(dataset.problems)} {T('app.problems')}"):
        st.text("\n".join(str(p) for p in dataset.problems))

kpis = export.kpis(analysis, lang=lang)
for row_start in range(0, len(kpis), 4):
    row = kpis[row_start:row_start + 4]
    for column, (label, value, help_text) in zip(st.columns(4), row):
        column.metric(label, value, help=help_text)

tab_map, tab_table, tab_c03, tab_export = st.tabs(
    [T("app.tab_map"), T("app.tab_table"), T("app.tab_c03"), T("app.tab_export")])

with tab_map:
    left, right = st.columns([3, 1])
    with left:
        folium_map = map_for(str(DATA_DIR), vintage, params, metric, lang, show_gaps, tiles)
        clicked = st_folium(folium_map, key=f"map_{vintage}", height=620,
                            width="stretch", returned_objects=["last_active_drawing"],
                            return_on_hover=False)
    with right:
        codes = []
        if query:
            codes = [analysis.communes["code"].iloc[i]
                     for i in search.find_communes(analysis.communes["name"], query)]
            if not codes:
                st.info(T("app.search_none").format(query=query))
        drawing = (clicked or {}).get("last_active_drawing") or {}
        clicked_code = (drawing.get("properties") or {}).get("code")
        if clicked_code and clicked_code in set(analysis.communes["code"]):
            codes = [clicked_code] + [c for c in codes if c != clicked_code]
        if codes:
            chosen = st.selectbox(T("app.commune"), codes, key="chosen",
                                  format_func=lambda c: export.commune_name(analysis, c))
            st.dataframe(export.commune_card(analysis, chosen, lang=lang), hide_index=True,
                         width="stretch")
        else:
            st.caption(T("app.click_hint"))

with tab_table:
    st.dataframe(export.commune_table(analysis, lang=lang), hide_index=True,
                 width="stretch")
    st.caption(T("app.population_note"))

with tab_c03:
    st.markdown(T("app.c03_intro"))
    st.dataframe(export.c03_table(analysis, lang=lang), hide_index=True, width="stretch")

with tab_export:
    st.caption(T("app.export_note"))
    state = (str(DATA_DIR), vintage, params, metric, lang, show_gaps)
    columns = st.columns(4)
    for i, (kind, filename, mime) in enumerate(export.DOWNLOADS):
        columns[i % 4].download_button(
            T(f"app.download_{kind}"), data=lambda kind=kind: export_bytes(kind, *state),
            file_name=filename, mime=mime, key=f"download_{kind}", on_click="ignore",
            width="stretch")
