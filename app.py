"""phusong — the Streamlit app: explore, check and export coverage gaps, offline.

Only widgets and calls into ``geo`` live here. Run: ``bash scripts/run.sh`` (or
``uv run streamlit run app.py``). ``PHUSONG_DATA`` points the app at another dataset folder; the
sidebar's "Your data" section replaces it for one browser session (``st.session_state`` only).
"""

from __future__ import annotations

import dataclasses
import gc
import os
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit_folium import st_folium

from geo.render import export, maps, siting_export
from geo.analysis import gaps, search
from geo import i18n, settings
from geo.io import loading
from geo.plan import siting
from geo.io import dem as dem_io
from geo.analysis import terrain
from geo.io import importing, uploads
from geo.render import folium_speedups
from geo.analysis import pointquery, villages, whatif
from geo.cache import BoundedCache, CacheView, memoize
from geo.ui import urlstate
from geo.render import view
from geo.io import dem_root
from geo.ui import accounts, jobs, script_errors, usage
from geo.errors import PhusongError, Problem
from geo.settings import CoverageParams, TerrainParams
from geo.analysis import agreement, calibration, fieldcheck, terrain_check
from geo.io import fieldfiles
from geo.io import measurements as field_io
from geo.render import field_map
from geo.analysis import change
from geo.render import changes
from geo.store import engine as store_engine
from geo.store import fieldreports as store_reports
from geo.store import plans as store_plans
from geo.store import versions as store_versions

st.set_page_config(page_title="phusong — phủ sóng", page_icon="📶", layout="wide")
# Same HTML, rendered without jinja-compiling the map's data (tested folium/branca versions only).
folium_speedups.install()


# An unforeseen exception (a bug) ends this session's run with a short message in the visitor's
# language; the traceback goes to the server's log only. Other sessions run on.
script_errors.install()

DATA_DIR = Path(os.environ.get("PHUSONG_DATA", settings.DEFAULT_DATA_DIR))

# Leaflet and its plugins (geo/static) served by this app's own server, as the files of a
# component that draws nothing: the map frame fetches them once and keeps them cached, instead
# of ~0.4 MB of data: URIs sent again with every rerun. No CDN either way.
_ASSETS = components.declare_component("phusong_assets", path=str(settings.STATIC_DIR))
_BASE_PATH = st.get_option("server.baseUrlPath").strip("/")
ASSET_BASE_URL = f"/{_BASE_PATH + '/' if _BASE_PATH else ''}component/{_ASSETS.name}/"
UPLOAD_TYPES = ["csv", "tsv", "txt", "xlsx", "geojson", "json", "gpkg", "zip", "kml", "kmz", "fgb"]
# st.session_state keys (this session only): the data in use, the last import's report, an upload
# waiting for confirmation, and a counter in the uploaders' keys (reset empties them).
USER_DATA, IMPORT_REPORT, PENDING, UPLOAD_ROUND = (
    "user_data",
    "import_report",
    "import_pending",
    "upload_round",
)
# What-if sites (a list of geo.analysis.whatif.WhatIfSite) and the last spot clicked on the map (lat, lon);
# this session only (geo.analysis.whatif.encode/decode put the sites in a URL).
WHATIF, WHATIF_POINT = urlstate.WHATIF, "whatif_point"
# A large upload's import running off the script thread: (job key, work) (app.py import_progress).
IMPORT_JOB = "import_job"
# Field-calibrated radii in use: ((carrier, technology, metres), …) from the field check's
# "apply calibration" (this session only; not in the URL).
CALIBRATION = "calibration"
# Field-fitted path-loss thresholds of the terrain model in use: ((carrier, technology, dB), …)
# from the field check's "apply the path-loss thresholds" (this session only; not in the URL).
PATH_LOSS_CALIBRATION = "calibration_path_loss"
# The analyses this session already had over a DEM: (data key, vintage, DEM key); the first one
# over a DEM runs off the script thread (app.py's main section).
ANALYSED = "analysed_first"
FIELD_TYPES = ["csv", "tsv", "txt", "xlsx", "geojson", "json", "kml", "kmz", "gpx"]


# --- cached data and computed layers (shared, never mutated) ----------------------------------
# geo.cache.memoize: shared by every session like st.cache_resource, bounded by entries and bytes
# (budgets: geo/settings.py CACHE_BUDGETS). Every caller gets the same object, so only values
# nobody mutates are kept this way: analyses, datasets, DEMs, plans, bytes, text, display tables.


@st.cache_resource(show_spinner=False)
def plan_jobs() -> jobs.JobRunner:
    """Plans run here, off the script thread, one at a time for the whole server (two cores)."""
    return jobs.JobRunner(workers=1, **job_budget("plan_jobs"))


# Other long work off the script thread, one worker per kind, so a DEM read never waits behind a
# national analysis or a plan, nor they behind it. Finished jobs keep their results (DEMs,
# datasets, analyses) for their waiters: few of them, in a small budget (the DEMs and analyses
# also live in dem_for and analysis_for).
@st.cache_resource(show_spinner=False)
def dem_jobs() -> jobs.JobRunner:
    """Reading a DEM (files or a folder under PHUSONG_DEM_DIR)."""
    return jobs.JobRunner(workers=1, **job_budget("dem_jobs"))


@st.cache_resource(show_spinner=False)
def data_jobs() -> jobs.JobRunner:
    """Importing a large upload, reading a large data folder, the first analysis of a large
    dataset or over a DEM."""
    return jobs.JobRunner(workers=1, **job_budget("data_jobs"))


def job_budget(name: str) -> dict:
    max_jobs, max_bytes = settings.CACHE_BUDGETS[name]
    return dict(max_jobs=max_jobs, max_bytes=max_bytes)


@memoize(*settings.CACHE_BUDGETS["load"])
def load(data_dir: str) -> loading.Dataset:
    return loading.load_dataset(data_dir, strict=False)


# data_key: the folder for the default data, "upload:<content hash>" for a session's upload (whose
# Dataset comes in _dataset, left out of the cache key).
# terrain_state: None for the circle model, else (DEM key, TerrainParams): plain values; the DEM
# itself comes in _dem. Per-site viewsheds are shared through viewshed_cache(), so a changed
# radius or a moved site recomputes only the sites it touches.
@memoize(*settings.CACHE_BUDGETS["analysis_for"])
def analysis_for(
    data_key: str,
    vintage: str,
    params: CoverageParams,
    _dataset: loading.Dataset | None = None,
    terrain_state: tuple | None = None,
    _dem=None,
) -> gaps.GapAnalysis:
    dataset = _dataset if _dataset is not None else load(data_key)
    if terrain_state is None:
        return gaps.analyse(
            dataset, vintage=vintage, params=params, cache=layer_cache(data_key, vintage)
        )
    return terrain.analyse_terrain(
        dataset,
        _dem,
        vintage=vintage,
        params=params,
        terrain=terrain_state[1],
        cache=viewshed_cache(),
    )


@st.cache_resource(show_spinner=False)
def shared_layers() -> BoundedCache:
    """Covered areas per layer of every dataset in use, in one budget of entries and bytes for
    the whole server (geo.settings.LAYER_CACHE_BYTES)."""
    return gaps.layer_cache(max_bytes=settings.LAYER_CACHE_BYTES)


def layer_cache(data_key: str, vintage: str) -> CacheView:
    """This dataset's and vintage's part of the shared layer cache, so a slider recomputes only
    the layers it changes (before: one full budget per dataset, 16 of them)."""
    return CacheView(shared_layers(), (data_key, vintage))


@st.cache_resource(show_spinner=False)
def viewshed_cache() -> BoundedCache:
    return terrain.viewshed_cache(max_bytes=settings.VIEWSHED_CACHE_BYTES)


# The server's memory and every shared cache's use in its log (geo/ui/usage.py), once a process.
if not usage.log_started():
    usage.start_usage_log(
        {
            "layers": shared_layers(),
            "viewsheds": viewshed_cache(),
            "plan_jobs": plan_jobs(),
            "dem_jobs": dem_jobs(),
            "data_jobs": data_jobs(),
        },
        usage.log_interval_s(os.environ),
    )


# dem_key: "folder:<path>" or "upload:<file ids>"; the files come in _sources.
# _progress: a job's report (called per DEM file read and placed), or None.
@memoize(*settings.CACHE_BUDGETS["dem_for"])
def dem_for(
    dem_key: str, data_key: str, vintage: str, _dataset, _sources, _progress=None
) -> dem_io.DEM:
    crs, bounds = terrain.dem_area(_dataset, vintage=vintage)
    if dem_key.startswith("folder:"):
        return dem_io.read_dem(_sources, crs=crs, bounds=bounds, progress=_progress)
    return dem_io.read_dem_bytes(_sources, crs=crs, bounds=bounds, progress=_progress)


# Not cached: st_folium mutates the map it renders, so a cached map breaks in a second session.
# Building it takes tens of milliseconds and is deterministic (the same state gives the same
# script), so streamlit-folium keeps its frame between reruns.
# field_key: the field check's key when its readings are drawn (they come in _readings), else None.
def map_for(
    data_key: str,
    vintage: str,
    params: CoverageParams,
    metric: str,
    lang: str,
    show_gaps: tuple[str, ...],
    tiles: bool,
    _dataset: loading.Dataset | None = None,
    terrain_state: tuple | None = None,
    _dem=None,
    field_key: str | None = None,
    _readings=None,
):
    return maps.build_map(
        analysis_for(data_key, vintage, params, _dataset, terrain_state, _dem),
        metric=metric,
        lang=lang,
        show_gaps=show_gaps,
        tiles=tiles,
        asset_base_url=ASSET_BASE_URL,
        readings=_readings if field_key is not None else None,
    )


# The field check of this session's uploaded readings (files_key: their content hash) against the
# data and radii in use; the files come in _files. Few entries: 100,000 readings take ~100 MB.
@memoize(*settings.CACHE_BUDGETS["field_check_for"])
def field_check_for(
    files_key: str,
    data_key: str,
    vintage: str,
    params: CoverageParams,
    _dataset: loading.Dataset,
    _files,
):
    readings, problems = fieldfiles.import_bytes(_files, communes=_dataset.communes)
    if not len(readings):
        return None, problems
    return fieldcheck.check(_dataset, readings, vintage=vintage, params=params), problems


# The terrain model's path-loss check of the same readings over the DEM in use (dem_key): each
# reading's path loss, the fitted thresholds and path_loss.csv's table.
@memoize(*settings.CACHE_BUDGETS["terrain_field_for"])
def terrain_field_for(
    files_key: str,
    data_key: str,
    vintage: str,
    params: CoverageParams,
    dem_key: str,
    _dataset: loading.Dataset,
    _readings,
    _dem,
):
    judged = terrain_check.compare(_readings, _dataset.bts_sites, _dem, params=params)
    fits = calibration.calibrate_path_loss(judged)
    table = terrain_check.loss_table(
        judged, fits, params, TerrainParams(), calibration.apply_terrain(fits)
    )
    return fits, table


# The reading tables of one state and language (KPIs, the commune table or the circle/terrain
# comparison, the C03 view): a colour, layer or search change reuses them.
@memoize(*settings.CACHE_BUDGETS["tables_for"])
def tables_for(
    data_key: str,
    vintage: str,
    params: CoverageParams,
    lang: str,
    _dataset: loading.Dataset | None = None,
    terrain_state: tuple | None = None,
    _dem=None,
) -> dict:
    analysis = analysis_for(data_key, vintage, params, _dataset, terrain_state, _dem)
    communes = export.commune_table(analysis, lang=lang)
    return {
        "kpis": export.kpis(analysis, lang=lang),
        "card": communes,
        "communes": communes
        if analysis.model == "circle"
        else export.compare_table(
            analysis_for(data_key, vintage, params, _dataset), analysis, lang=lang
        ),
        "c03": export.c03_table(analysis, lang=lang),
        "villages": villages.reading_table(villages.village_table(analysis), analysis, lang)
        if export.has_settlements(analysis)
        else None,
    }


# field_key: the field tab's check (key, result, source names) in _field, whose evidence the
# snapshot, report and settings then state (geo.analysis.fieldcheck.evidence_notes); None = none.
@memoize(*settings.CACHE_BUDGETS["export_bytes"])
def export_bytes(
    kind: str,
    data_key: str,
    vintage: str,
    params: CoverageParams,
    metric: str,
    lang: str,
    show_gaps: tuple[str, ...],
    _dataset: loading.Dataset | None = None,
    terrain_state: tuple | None = None,
    _dem=None,
    field_key: str | None = None,
    _field=None,
) -> bytes:
    analysis = analysis_for(data_key, vintage, params, _dataset, terrain_state, _dem)
    if field_key is not None:
        analysis = dataclasses.replace(
            analysis,
            notes=tuple(analysis.notes) + (fieldcheck.evidence_notes(_field[1], source=_field[2])),
        )
    return export.render(kind, analysis, metric=metric, lang=lang, show_gaps=show_gaps)


@memoize(*settings.CACHE_BUDGETS["plan_for"])
def plan_for(
    data_key: str,
    vintage: str,
    params: CoverageParams,
    service: str,
    k: int,
    carrier: str | None,
    technology: str | None,
    terrain_state: tuple | None = None,
    _dataset: loading.Dataset | None = None,
    _dem=None,
    _progress=None,
):
    """(plan, analysis before, analysis after): shared, never mutated. With ``terrain_state``
    (the sidebar's terrain model on), line of sight / walking time over ``_dem``. ``_progress``
    is called per step (from a plan job, which it stops by raising when cancelled)."""
    dataset = _dataset if _dataset is not None else load(data_key)
    dem = _dem if terrain_state is not None else None
    kw = dict(terrain=terrain_state[1], dem=dem, cache=viewshed_cache()) if dem is not None else {}
    if _progress is not None:
        kw["progress"] = _progress
    result = siting.plan(
        dataset,
        service=service,
        k=k,
        carrier=carrier,
        technology=technology,
        vintage=vintage,
        params=params,
        **kw,
    )
    if _progress is not None:
        _progress("before and after")
    return (result,) + siting.compare(
        dataset, result, dem=dem, cache=viewshed_cache() if dem is not None else None
    )


# key: geo.analysis.whatif.data_key(base key, sites), which names the sites; the base comes in _base.
@memoize(*settings.CACHE_BUDGETS["whatif_dataset"])
def whatif_dataset(key: str, _base: loading.Dataset, _sites: list) -> loading.Dataset:
    return whatif.with_sites(_base, _sites)


@memoize(*settings.CACHE_BUDGETS["plan_bytes"])
def plan_bytes(
    kind: str, lang: str, *request, _dataset: loading.Dataset | None = None, _dem=None
) -> bytes:
    return siting_export.render(kind, *plan_for(*request, _dataset=_dataset, _dem=_dem), lang=lang)


# Versions never change: a version's dataset (and a comparison of two) is keyed by the database
# URL and the ids alone.
@memoize(*settings.CACHE_BUDGETS["version_dataset"])
def version_dataset(url: str, version_id: int) -> loading.Dataset:
    return store_versions.load_version(version_id, url)


@memoize(*settings.CACHE_BUDGETS["version_change"])
def version_change(url: str, a: int, b: int, vintage: str):
    """(change table, analysis of the later version)."""
    after = gaps.analyse(version_dataset(url, b), vintage=vintage)
    return change.compare(gaps.analyse(version_dataset(url, a), vintage=vintage), after), after


# A commune's outline for the map's highlight (its shapes depend on the data and vintage only).
@memoize(*settings.CACHE_BUDGETS["outline_for"])
def outline_for(data_key: str, vintage: str, code: str, _communes):
    return view.outline(_communes, code)


# Terrain chosen without a usable DEM: what is shown instead, and the 1° tiles that would cover
# the communes and the 15 km around them (geo.analysis.terrain.dem_area), by SRTM and Copernicus names.
@memoize(*settings.CACHE_BUDGETS["dem_help"])
def dem_help(
    data_key: str, vintage: str, _dataset: loading.Dataset, lang: str, unusable: bool
) -> str:
    crs, bounds = terrain.dem_area(_dataset, vintage=vintage)
    names = dem_io.tile_names(bounds, crs)
    return "\n\n".join(
        [
            i18n.t("view.dem_unusable" if unusable else "view.dem_missing", lang),
            i18n.t("view.dem_tiles", lang).format(
                area=_dataset.name,
                srtm=", ".join(f"**{n}**" for n in names),
                copernicus=", ".join(f"`{dem_io.copernicus_tile_name(n)}`" for n in names),
            ),
            i18n.t("view.dem_sources", lang),
        ]
    )


def show_applied_calibration(state_key: str, describe, remove_label: str, button_key: str) -> None:
    """The sidebar's note of a field calibration in use (``st.session_state[state_key]``, told
    by ``describe(applied)``) and a button that removes it; nothing when none is applied."""
    applied = st.session_state.get(state_key)
    if not applied:
        return
    st.sidebar.caption(describe(applied))
    st.sidebar.button(
        remove_label, key=button_key, on_click=lambda: st.session_state.pop(state_key, None)
    )


# --- sidebar: state ---------------------------------------------------------------------------
# Every widget of the view lives in st.session_state under its key, seeded once per browser
# session from the link's query string (geo.ui.urlstate: the link an official sends a colleague)
# or else the defaults; the widgets themselves pass no default. The query string follows the
# state at the end of every run.
URL_READ, URL_IGNORED = "url_read", "url_ignored"  # st.session_state keys (this session only)
URL_WRITTEN = "url_written"  # the query string this session last wrote
VIEW_REQUEST = "view_request"  # a view the map must move to once (the link's)
url_now = st.query_params.to_dict()
# The first run of this browser session, or the browser went back or forward in its history
# (Streamlit reruns with that entry's query string): the link's state replaces the session's.
if URL_READ not in st.session_state or (
    getattr(get_script_run_ctx(), "is_history_navigation", False)
    and url_now != st.session_state.get(URL_WRITTEN)
):
    opened = urlstate.decode(url_now)
    if URL_READ in st.session_state:  # what the entry leaves out is the default
        st.session_state.update(urlstate.defaults())
    st.session_state.update(opened.values)
    st.session_state[URL_READ], st.session_state[URL_WRITTEN] = True, url_now
    st.session_state[URL_IGNORED] = list(opened.ignored)
    if opened.values.get(urlstate.MAP_VIEW):
        st.session_state[VIEW_REQUEST] = opened.values[urlstate.MAP_VIEW]
    if opened.values.get(urlstate.COMMUNE):  # checked against the data's communes below
        st.session_state["commune_from_url"] = True
        st.session_state["fit_commune"] = not opened.values.get(urlstate.MAP_VIEW)
for state_key, state_default in urlstate.defaults().items():
    if state_key not in st.session_state:  # also a widget left out of the last run (terrain's)
        st.session_state[state_key] = state_default

# Widgets whose choices are shown by translated labels: the browser holds a choice as its label.
LABELLED_CHOICES = (
    "vintage",
    "metric",
    "gaps",
    "carriers",
    "model",
    "plan_service",
    "plan_carrier",
)


def keep_choices_across_languages() -> None:
    """On a language switch, store each labelled choice again as its value (a callback reads it
    with the labels of the run before), so every widget shows it in the new language."""
    for choice_key in LABELLED_CHOICES:
        if choice_key in st.session_state:
            st.session_state[choice_key] = st.session_state[choice_key]


lang = st.sidebar.radio(
    "Ngôn ngữ / Language",
    settings.LANGS,
    horizontal=True,
    format_func=lambda v: {"vi": "Tiếng Việt", "en": "English"}[v],
    key="lang",
    on_change=keep_choices_across_languages,
)


def T(key: str) -> str:
    return i18n.t(key, lang)


# Team mode (PHUSONG_MODE=team): nobody goes further without logging in; local mode: the
# machine's user, allowed everything (geo/ui/accounts.py).
user = accounts.current_user(lang)
accounts.sidebar_badge(user, lang)
may_import, may_save = user.can("import"), user.can("save")
if not may_import:
    st.sidebar.caption(T("login.viewer_only"))


st.sidebar.header(T("app.view"))
vintage = st.sidebar.radio(
    T("app.vintage"), settings.VINTAGES, key="vintage", format_func=lambda v: T(f"app.vintage_{v}")
)
metric = st.sidebar.selectbox(
    T("app.metric"), maps.MAP_METRICS, key="metric", format_func=lambda m: T(f"metric.{m}")
)
# The hatching follows the colour metric ("gaps_followed": the kind the metric put there); kinds
# the user added stay. Set before the widget is made (it has no default=, urlstate seeds it).
chosen_gaps, st.session_state["gaps_followed"] = maps.follow_metric(
    st.session_state.get("gaps"), st.session_state.get("gaps_followed"), metric
)
if st.session_state.get("gaps") != chosen_gaps:
    st.session_state["gaps"] = chosen_gaps
show_gaps = tuple(
    st.sidebar.multiselect(
        T("app.show_gaps"), settings.GAP_KINDS, key="gaps", format_func=lambda g: T(f"gap.{g}")
    )
)
query = st.sidebar.text_input(T("app.search"), key="search", placeholder="Tà Rụt / ta rut")

st.sidebar.header(T("app.mobile"))
carriers = st.sidebar.multiselect(
    T("app.carriers"), settings.CARRIERS, key="carriers", format_func=lambda c: T(f"carrier.{c}")
)
technologies = st.sidebar.multiselect(
    T("app.technologies"), settings.TECHNOLOGIES, key="technologies"
)
R = urlstate.RADIUS_KM
radii = tuple(
    (
        tech,
        1000.0
        * st.sidebar.slider(
            T("app.radius").format(tech=tech), R.lo, R.hi, step=R.step, key=f"radius_{tech}"
        ),
    )
    for tech in settings.TECHNOLOGIES
)
show_applied_calibration(
    CALIBRATION,
    lambda applied: T("field.applied").format(radii=field_map.calibration_text(applied, lang)),
    T("field.remove"),
    "calibration_remove",
)
st.sidebar.header(T("app.other_channels"))
loud_m = st.sidebar.slider(
    T("app.loudspeaker_reach"),
    urlstate.LOUDSPEAKER_M.lo,
    urlstate.LOUDSPEAKER_M.hi,
    step=urlstate.LOUDSPEAKER_M.step,
    key="loud",
)
inet_km = st.sidebar.slider(
    T("app.internet_access"),
    urlstate.INTERNET_KM.lo,
    urlstate.INTERNET_KM.hi,
    step=urlstate.INTERNET_KM.step,
    key="inet",
)
st.sidebar.header(T("terrain.header"))
model = st.sidebar.radio(
    T("terrain.model"), settings.MODELS, key="model", format_func=lambda m: T(f"terrain.model_{m}")
)
if model == "terrain":
    dem_uploads = (
        st.sidebar.file_uploader(
            T("terrain.dem_upload"),
            key="dem_upload",
            type=["tif", "tiff", "hgt", "zip"],
            accept_multiple_files=True,
        )
        if may_import
        else []
    )
    # the server's DEM folders, chosen from a list under PHUSONG_DEM_DIR, never typed as paths
    dem_choices = dem_root.dem_folders()
    dem_folder = (
        st.sidebar.selectbox(
            T("terrain.dem_folder"),
            ["", *dem_choices],
            key="dem_folder",
            format_func=lambda f: (
                T("terrain.dem_folder_none")
                if not f
                else T("terrain.dem_folder_root")
                if f == "."
                else f
            ),
        )
        if dem_choices
        else ""
    )
    if not dem_choices:
        st.sidebar.caption(T("terrain.dem_folder_empty"))
    # the DEM's status here, under its choice: reading (progress, cancel), cancelled, unusable
    dem_status = st.sidebar.container()
    terrain_params = TerrainParams(
        internet_walk_min=float(
            st.sidebar.slider(
                T("terrain.walk_min"),
                urlstate.WALK_MIN.lo,
                urlstate.WALK_MIN.hi,
                step=urlstate.WALK_MIN.step,
                key="walk_min",
                persist_state="session",
            )
        ),
        path_loss=st.sidebar.checkbox(T("terrain.path_loss"), value=False, key="path_loss"),
        max_path_loss_db=tuple(st.session_state.get(PATH_LOSS_CALIBRATION, ())),
    )
    show_applied_calibration(
        PATH_LOSS_CALIBRATION,
        lambda applied: T("field.applied_loss").format(limits=field_map.loss_text(applied, lang)),
        T("field.remove_loss"),
        "calibration_loss_remove",
    )
tiles = st.sidebar.checkbox(T("app.tiles"), value=False, key="tiles")
st.sidebar.caption(T("app.defaults_source"))


# siting.plan reports up to 7 steps, plan_for one more (before and after)
PLAN_STEPS = 8


# What off_thread returns while its job runs (None may be a result).
STILL_RUNNING = object()


def cancelled_mark(name: str) -> str:
    """The st.session_state key holding the job key this session cancelled under ``name``."""
    return f"job_cancelled_{name}"


def cancel_job(runner: jobs.JobRunner, key, name: str, toggle: str | None) -> None:
    """A cancel button: this session stops waiting (the work stops at its next progress report
    once nobody waits); the job's key is remembered, so a rerun does not ask for it again."""
    job = runner.get(key)
    if job is not None:
        job.cancel(get_script_run_ctx().session_id)
    st.session_state[cancelled_mark(name)] = key
    if toggle is not None:
        st.session_state[toggle] = False


def retry_job(name: str) -> None:
    st.session_state.pop(cancelled_mark(name), None)


@st.fragment(run_every=0.5)
def job_progress(runner: jobs.JobRunner, key, name: str, texts: tuple, toggle) -> None:
    """A running job's progress bar and cancel button, redrawn alone every half second; the
    whole page reruns once the job is done."""
    job = runner.get(key)
    if job is None or job.done():
        st.rerun(scope="app")
    step_text, queued_text = texts
    if job.started is None and runner.busy_with_other(job):
        text = T(queued_text)
    elif job.steps > 1:
        text = T(step_text).format(step=min(job.step + 1, job.steps), steps=job.steps)
    else:  # one step: how long it has been working
        text = T("jobs.working").format(seconds=maps.fmt_number(job.elapsed_s, lang))
    st.progress(job.fraction, text=text)
    st.button(
        T("jobs.cancel"),
        key=f"{name}_cancel",
        on_click=cancel_job,
        args=(runner, key, name, toggle),
    )


def off_thread(
    runner: jobs.JobRunner,
    key,
    work,
    *,
    name: str,
    steps: int = 1,
    note: str | None = None,
    texts: tuple[str, str] = ("jobs.step", "jobs.queued"),
    toggle: str | None = None,
):
    """The result of ``work(report)``, computed by ``runner`` off the script thread (sessions
    asking for the same ``key`` share the job): the result once done, else STILL_RUNNING while
    ``note`` (a caption), a progress bar and a cancel button (key ``<name>_cancel``) show where
    this is called. Raises the work's error, or jobs.Cancelled when this session cancelled
    ``key`` (until retry_job(name); a ``toggle``, switched off by cancel, asks anew when on)."""
    if toggle is None and st.session_state.get(cancelled_mark(name)) == key:
        raise jobs.Cancelled("cancelled")
    job = runner.submit(key, work, waiter=get_script_run_ctx().session_id, steps=steps)
    if job.done():
        return job.result()
    if note:
        st.caption(note)
    job_progress(runner, key, name, texts, toggle)
    return STILL_RUNNING


def data_in_use() -> loading.Dataset | None:
    """The dataset this session uses now (its upload, else the default; None if that is broken)."""
    if USER_DATA in st.session_state:
        return st.session_state[USER_DATA]["dataset"]
    try:
        return load(str(DATA_DIR))
    except PhusongError:
        return None


def review_import(files, folder_zip, previous) -> dict:
    """The import of ``files`` (uploads.review_upload) as this session's report and the data to
    use: no st.session_state here, so it may run off the script thread."""
    try:
        upload = uploads.review_upload(
            files, folder_zip=folder_zip, default_dir=DATA_DIR, previous=previous
        )
    except PhusongError as exc:
        problems = getattr(exc, "problems", None) or [Problem("upload", None, None, None, str(exc))]
        return {"report": {"problems": problems, "counts": None, "usable": False}}
    except Exception as exc:  # a bug: a message, never a traceback
        return {"report": {"internal": type(exc).__name__}}
    ds = upload.dataset
    usable = uploads.usable(ds)
    review = {
        "report": {
            "problems": ds.problems,
            "counts": ds,
            "usable": usable,
            "to_confirm": upload.to_confirm if usable else (),
        }
    }
    if usable:
        key = uploads.digest(files, extra=folder_zip[1] if folder_zip else b"")
        review[PENDING if upload.to_confirm else USER_DATA] = {
            "key": f"upload:{key}",
            "dataset": ds,
        }
    return review


def apply_import(review: dict) -> None:
    """Put review_import's answer into this session's st.session_state."""
    st.session_state[IMPORT_REPORT] = review["report"]
    for key in (PENDING, USER_DATA):
        if key in review:
            st.session_state[key] = review[key]


def import_uploaded(files: dict[str, tuple[str, bytes]], folder_zip: tuple[str, bytes] | None):
    """Import this session's uploads into st.session_state (never a module global): applied at
    once, or kept under PENDING until the user confirms a layer that loses most of its rows.
    A large upload (settings.BACKGROUND_UPLOAD_BYTES) is imported off the script thread: its job
    waits under IMPORT_JOB (see import_progress)."""
    st.session_state.pop(PENDING, None)
    previous = data_in_use()
    size = sum(len(data) for _, data in files.values()) + (len(folder_zip[1]) if folder_zip else 0)
    if size <= settings.BACKGROUND_UPLOAD_BYTES:
        apply_import(review_import(files, folder_zip, previous))
        return
    in_use = st.session_state.get(USER_DATA, {}).get("key", str(DATA_DIR))
    key = ("import", uploads.digest(files, extra=folder_zip[1] if folder_zip else b""), in_use)
    retry_job("import")
    st.session_state.pop(IMPORT_REPORT, None)
    st.session_state[IMPORT_JOB] = (
        key,
        lambda report: review_import(files, folder_zip, previous),
    )


def import_progress() -> None:
    """A large upload's import running off the script thread: its progress and cancel button,
    then its answer applied (cancelled: the previous data stays)."""
    key, work = st.session_state[IMPORT_JOB]
    try:
        review = off_thread(data_jobs(), key, work, name="import", note=T("jobs.import_loading"))
    except jobs.Cancelled:
        st.session_state.pop(IMPORT_JOB)
        st.session_state[IMPORT_REPORT] = {"cancelled": True}
        return
    if review is not STILL_RUNNING:
        st.session_state.pop(IMPORT_JOB)
        data_jobs().discard(key)  # the data now lives in this session
        apply_import(review)


def confirm_upload() -> None:
    st.session_state[USER_DATA] = st.session_state.pop(PENDING)
    st.session_state[IMPORT_REPORT]["to_confirm"] = ()


def cancel_upload() -> None:
    st.session_state.pop(PENDING, None)
    st.session_state[IMPORT_REPORT] = {"cancelled": True}


def open_version() -> None:
    """Use the version chosen in the workspace tab (none chosen: back to the default data); read
    from st.session_state: a callback's args would hold the choice of the previous run."""
    version_id = st.session_state.get("workspace_open")
    if version_id is None:
        reset_upload()
        return
    url = store_engine.database_url()
    try:
        ds = version_dataset(url, version_id)
    except PhusongError as exc:
        st.session_state[IMPORT_REPORT] = {
            "problems": [Problem("workspace", None, None, None, str(exc))],
            "counts": None,
            "usable": False,
        }
        return
    for key in (PENDING, IMPORT_REPORT):
        st.session_state.pop(key, None)
    st.session_state[USER_DATA] = {
        "key": f"version:{url}:{version_id}",
        "dataset": ds,
        "version": version_id,
    }


def reset_upload() -> None:
    """Back to the default data; the uploaders get new keys, so they come back empty."""
    if IMPORT_JOB in st.session_state:  # an import still running: this session stops waiting
        cancel_job(data_jobs(), st.session_state.pop(IMPORT_JOB)[0], "import", None)
    for key in (USER_DATA, PENDING, IMPORT_REPORT):
        st.session_state.pop(key, None)
    st.session_state[UPLOAD_ROUND] = st.session_state.get(UPLOAD_ROUND, 0) + 1


# A toggle, not an expander: an expander's uploaders are made on every rerun even when closed
# (seven widgets); the imported data stays in st.session_state when it is switched off.
if may_import and st.sidebar.toggle(T("import.title"), key="show_import"):
    with st.sidebar.container(border=True):
        st.caption(T("import.intro"))
        upload_round = st.session_state.get(UPLOAD_ROUND, 0)
        uploaded = {
            layer: st.file_uploader(
                T(f"import.layer_{layer}"), type=UPLOAD_TYPES, key=f"upload_{layer}_{upload_round}"
            )
            for layer in loading.LAYERS
        }
        # where people live: a GeoTIFF of people per cell (WorldPop …), like the CLI's --population
        uploaded[uploads.POPULATION] = st.file_uploader(
            T("import.layer_population"),
            type=list(uploads.POPULATION_TYPES),
            key=f"upload_{uploads.POPULATION}_{upload_round}",
            help=T("import.population_help"),
        )
        folder_upload = st.file_uploader(
            T("import.folder_zip"), type=["zip"], key=f"upload_folder_{upload_round}"
        )
        if st.button(T("import.apply"), key="import_apply", type="primary", width="stretch"):
            files = {k: (f.name, f.getvalue()) for k, f in uploaded.items() if f is not None}
            if files or folder_upload is not None:
                import_uploaded(
                    files,
                    (folder_upload.name, folder_upload.getvalue())
                    if folder_upload is not None
                    else None,
                )
            else:
                st.info(T("import.nothing"))
        st.button(T("import.reset"), key="import_reset", width="stretch", on_click=reset_upload)
        if IMPORT_JOB in st.session_state:
            import_progress()
        report = st.session_state.get(IMPORT_REPORT)
        if report and "internal" in report:
            st.error(T("import.internal").format(kind=report["internal"]))
        elif report and "cancelled" in report:
            st.info(T("import.cancelled"))
        elif report:
            pending = PENDING in st.session_state
            if not report["usable"]:  # refused: which file, and why, in the message itself
                st.error(
                    "\n\n".join(
                        [
                            T("import.unusable")
                            if report["counts"] is not None
                            else T("import.failed")
                        ]
                        + importing.refusals(report["problems"], lang=lang)
                    )
                )
            elif pending:
                st.warning(
                    "\n\n".join(
                        [T("import.confirm_intro")]
                        + ["- " + c.text(lang) for c in report["to_confirm"]]
                    )
                )
                st.button(
                    T("import.confirm"),
                    key="import_confirm",
                    type="primary",
                    width="stretch",
                    on_click=confirm_upload,
                )
                st.button(
                    T("import.cancel"), key="import_cancel", width="stretch", on_click=cancel_upload
                )
            elif USER_DATA in st.session_state:
                st.success(T("import.in_use"))
            if report["counts"] is not None:
                st.dataframe(
                    importing.layer_table(report["counts"], lang=lang),
                    hide_index=True,
                    width="stretch",
                )
            n = importing.counts(report["problems"])
            st.caption(
                T("import.summary").format(
                    errors=i18n.count("import.n_errors", n["error"], lang),
                    warnings=i18n.count("import.n_warnings", n["warning"], lang),
                )
                if report["problems"]
                else T("import.clean")
            )
            if not report["usable"] or pending:  # not applied: its report shows here
                if report["problems"]:
                    st.dataframe(
                        importing.report_table(report["problems"], lang=lang),
                        hide_index=True,
                        width="stretch",
                    )
                st.download_button(
                    T("import.download_report"),
                    importing.report_csv(report["problems"], lang=lang),
                    file_name="import_report.csv",
                    mime="text/csv",
                    on_click="ignore",
                    key="download_import_report",
                    width="stretch",
                )

user_data = st.session_state.get(USER_DATA)
if user_data:
    data_key, dataset = user_data["key"], user_data["dataset"]
else:
    data_key = str(DATA_DIR)
    try:
        if loading.folder_bytes(DATA_DIR) <= settings.BACKGROUND_UPLOAD_BYTES:
            dataset = load(data_key)
        else:  # a large folder (national: minutes): read off the script thread
            dataset = off_thread(
                data_jobs(),
                ("load", data_key),
                lambda report, data_key=data_key: load(data_key),
                name="load",
                note=T("jobs.load_loading"),
            )
            if dataset is STILL_RUNNING:
                st.stop()
    except jobs.Cancelled:
        st.info(T("jobs.load_cancelled"))
        st.button(T("jobs.retry"), key="load_retry", on_click=retry_job, args=("load",))
        st.stop()
    except PhusongError as exc:
        st.error(f"{T('app.data_error')}: {exc}")
        st.stop()

params = CoverageParams(
    radius_m=radii,
    loudspeaker_radius_m=tuple((k, float(loud_m)) for k in settings.LOUDSPEAKER_KINDS),
    internet_access_m=inet_km * 1000,
    carrier_radius_m=tuple(st.session_state.get(CALIBRATION, ())),
    carriers=tuple(carriers) if set(carriers) != set(settings.CARRIERS) else (),
    technologies=tuple(technologies) if set(technologies) != set(settings.TECHNOLOGIES) else (),
)
if not carriers or not technologies:
    st.sidebar.warning(T("app.no_filter_selected"))
terrain_state = dem_grid = None
terrain_waiting = False  # its DEM or first analysis running off the thread, or cancelled
if model == "terrain":
    if dem_uploads or dem_folder:
        dem_key = (
            "upload:" + ";".join(f"{f.name}:{f.size}:{f.file_id}" for f in dem_uploads)
            if dem_uploads
            else f"folder:{dem_folder}"
        )
        try:
            sources = (
                [(f.name, f.getvalue()) for f in dem_uploads]
                if dem_uploads
                else [dem_root.resolve_dem_folder(dem_folder)]
            )
            # off the script thread, the circle model meanwhile; the page reruns when it is read
            with dem_status:
                dem_grid = off_thread(
                    dem_jobs(),
                    (dem_key, data_key, vintage),
                    lambda report, args=(dem_key, data_key, vintage, dataset, sources): dem_for(
                        *args, _progress=report
                    ),
                    name="dem",
                    steps=dem_io.progress_steps(
                        len(sources) if dem_uploads else len(dem_io.dem_files(sources))
                    ),
                    note=T("jobs.dem_loading"),
                )
            if dem_grid is STILL_RUNNING:
                dem_grid, terrain_waiting = None, True
            else:
                terrain_state = (dem_key, terrain_params)
        except jobs.Cancelled:
            terrain_waiting = True
            dem_status.info(T("jobs.dem_cancelled"))
            dem_status.button(T("jobs.retry"), key="dem_retry", on_click=retry_job, args=("dem",))
        except PhusongError as exc:
            dem_status.error(f"{T('terrain.dem_error')}: {exc}")
    else:
        st.sidebar.info(T("terrain.dem_needed"))

# --- what-if sites: the dataset with the session's hypothetical sites (geo/analysis/whatif.py) ---------
# Everything below (figures, map, planning, exports) then counts them; base_* is the data as it
# is, for the gains. No site placed: nothing changes.
base_key, base_dataset = data_key, dataset
whatif_sites = st.session_state.get(WHATIF, [])
if whatif_sites:
    data_key = whatif.data_key(base_key, whatif_sites)
    dataset = whatif_dataset(data_key, base_dataset, whatif_sites)


def add_whatif() -> None:
    """The "add" button: a what-if site at the last spot clicked (runs before the rerun)."""
    state = st.session_state
    kind = state.get("whatif_kind", "bts")
    # the two refusals a user can meet get their own label; anything else is shown as it is
    if kind == "bts" and not state.get("whatif_techs"):
        state["whatif_error"] = "no_technology"
        return
    if len(state.get(WHATIF, [])) >= whatif.MAX_SITES:
        state["whatif_error"] = "too_many"
        return
    try:
        site = whatif.make_site(
            kind,
            *state[WHATIF_POINT],
            existing=state.get(WHATIF, []),
            **(
                dict(
                    carrier=state.get("whatif_carrier", "Viettel"),
                    technologies=state.get("whatif_techs", ["4G"]),
                    height_m=state.get("whatif_height"),
                )
                if kind == "bts"
                else {}
            ),
        )
    except (PhusongError, KeyError) as exc:
        state["whatif_error"] = str(exc)
        return
    state[WHATIF] = state.get(WHATIF, []) + [site]


def remove_whatif(everything: bool = False) -> None:
    state = st.session_state
    state[WHATIF] = (
        [] if everything else whatif.remove(state.get(WHATIF, []), state.get("whatif_remove_which"))
    )


def md(text: str) -> str:
    """Text from data (names, ids) shown as Markdown, never as markup or a directive."""
    return "".join("\\" + c if c in "\\`*_[]()<>#|~$:!{}" else c for c in str(text))


def point_card(clicked) -> None:
    """The map tab's right column, top: what reaches the spot clicked last, and the what-if form
    to place a hypothetical site there."""
    spot = (clicked or {}).get("last_clicked")
    if spot and spot.get("lat") is not None:
        st.session_state[WHATIF_POINT] = (float(spot["lat"]), float(spot["lng"]))
    point = st.session_state.get(WHATIF_POINT)
    if not point:
        st.caption(T("point.hint"))
        return
    terrain_kw = (
        dict(dem=dem_grid, terrain_params=terrain_state[1], cache=viewshed_cache())
        if terrain_state is not None
        else {}
    )
    report = pointquery.query_point(analysis, *point, **terrain_kw)
    lines = pointquery.summary_lines(report, lang)
    with st.container(border=True, key="point_card"):
        st.markdown(f"**{T('point.title')}**")
        st.caption(md(lines[0]))
        st.markdown(md(lines[1]))
        sites = pointquery.mobile_lines(report, lang)
        if sites:
            st.markdown("\n".join(f"- {md(line)}" for line in sites))
        for line in lines[2:]:
            st.markdown(md(line))
    # folded: a click on a commune also shows its card below, which should stay in sight
    with st.expander(T("whatif.here"), key="whatif_form"):
        kind = st.selectbox(
            T("whatif.kind"),
            whatif.KINDS,
            key="whatif_kind",
            format_func=lambda k: T(f"whatif.kind_{k}"),
        )
        if kind == "bts":
            st.selectbox(
                T("whatif.carrier"),
                settings.CARRIERS,
                key="whatif_carrier",
                format_func=lambda c: T(f"carrier.{c}"),
            )
            st.multiselect(
                T("whatif.technologies"), settings.TECHNOLOGIES, default=["4G"], key="whatif_techs"
            )
            st.number_input(
                T("whatif.height"),
                min_value=1.0,
                max_value=500.0,
                value=settings.DEFAULT_BTS_HEIGHT_M,
                step=1.0,
                key="whatif_height",
            )
        st.button(
            T("whatif.add"), key="whatif_add", on_click=add_whatif, type="primary", width="stretch"
        )
        error = st.session_state.pop("whatif_error", None)
        if error:
            st.error(
                T("whatif.invalid").format(
                    reason=T(f"whatif.{error}").format(n=whatif.MAX_SITES)
                    if error in ("no_technology", "too_many")
                    else error
                )
            )
    if may_save:
        report_form(point)


def report_form(point: tuple[float, float]) -> None:
    """A resident's report at the spot clicked ("no Viettel signal here"), kept in the
    workspace with who recorded it; the field check uses it as evidence."""
    with st.expander(T("report.here"), key="report_form"):
        with st.form("field_report_form", clear_on_submit=True, border=False):
            c_carrier, c_tech = st.columns(2)
            carrier = c_carrier.selectbox(
                T("whatif.carrier"),
                settings.CARRIERS,
                format_func=lambda c: T(f"carrier.{c}"),
                key="report_carrier",
            )
            technology = c_tech.selectbox(
                T("report.technology"), settings.TECHNOLOGIES, index=2, key="report_technology"
            )
            service = st.radio(
                T("report.service"),
                store_reports.SERVICES,
                horizontal=True,
                format_func=lambda s: T(f"report.service_{s}"),
                key="report_service",
            )
            observed = st.date_input(T("report.date"), format="YYYY-MM-DD", key="report_date")
            reporter = st.text_input(T("report.reporter"), key="report_reporter")
            note = st.text_input(T("report.note"), key="report_note")
            if not st.form_submit_button(T("report.save"), type="primary", key="report_save"):
                return
        try:
            report_id = store_reports.add_field_report(
                lat=point[0],
                lon=point[1],
                carrier=carrier,
                technology=technology,
                service=service,
                observed_on=observed,
                reporter=reporter,
                note=note,
                created_by=saved_by_name() or user.name,
            )
        except PhusongError as exc:
            st.error(str(exc))
            return
        st.success(T("report.saved").format(id=report_id))


def whatif_section(analysis) -> None:
    """Under the map: the session's what-if sites, what they add, remove and export them."""
    st.markdown(f"**{T('whatif.title')}**")
    if not whatif_sites:
        st.caption(T("whatif.intro"))
        return
    st.dataframe(whatif.sites_table(whatif_sites, lang), hide_index=True, width="stretch")
    shown = set(whatif.hypothetical_points(analysis)["site_id"])
    left_out = sum(s.site_id not in shown for s in whatif_sites)
    if left_out:
        st.caption(T("whatif.filtered_out").format(n=left_out))
    before = analysis_for(base_key, vintage, params, base_dataset, terrain_state, dem_grid)
    st.caption(T("whatif.gains"))
    st.dataframe(
        whatif.gains_table(whatif.gains(before, analysis), lang),
        hide_index=True,
        width="stretch",
        key="whatif_gains",
    )
    c_which, c_remove, c_clear = st.columns([2, 1, 1], vertical_alignment="bottom")
    c_which.selectbox(
        T("whatif.remove_which"),
        [s.number for s in whatif_sites],
        key="whatif_remove_which",
        format_func=lambda n: f"{whatif.ID_PREFIX}{n}",
    )
    c_remove.button(
        T("whatif.remove"), key="whatif_remove", on_click=remove_whatif, width="stretch"
    )
    c_clear.button(
        T("whatif.clear"),
        key="whatif_clear",
        on_click=remove_whatif,
        kwargs={"everything": True},
        width="stretch",
    )
    include = st.checkbox(T("whatif.include_existing"), value=True, key="whatif_include")
    layers = whatif.layers_of(whatif_sites)
    for column, layer in zip(st.columns(max(len(layers), 1)), layers):
        column.download_button(
            T("whatif.download").format(layer=T(f"layer.{layer}")),
            data=lambda layer=layer: whatif.layer_csv(
                base_dataset, whatif_sites, layer, include_existing=include
            ),
            file_name=f"{layer}_whatif.csv",
            mime="text/csv",
            on_click="ignore",
            key=f"whatif_download_{layer}",
            width="stretch",
        )
    st.caption(T("whatif.export_note"))


# --- main -------------------------------------------------------------------------------------


def analysis_off_thread(key, args: tuple, large: bool, where):
    """The analysis of ``args`` (analysis_for's) computed off the script thread under ``where``,
    or STILL_RUNNING. ``large``: a dataset of many communes (minutes of work), else the first
    analysis over a DEM. Raises jobs.Cancelled when this session cancelled it."""
    with where:
        return off_thread(
            data_jobs(),
            key,
            lambda report, args=args: analysis_for(*args),
            name="analysis",
            note=T("jobs.analysis_loading").format(
                name=args[3].name or args[0],
                communes=maps.fmt_number(len(args[3].communes), lang),
            )
            if large
            else T("jobs.terrain_loading"),
        )


# Off the script thread: every analysis of a large dataset (national: minutes), and the first one
# over a DEM in this session (later ones reuse its viewsheds); meanwhile the circle model shows
# where it can (small data), else only the progress. Small data on the circle model: here, at once.
large = len(dataset.communes) > settings.BACKGROUND_COMMUNES
first_key = (base_key, vintage, terrain_state[0] if terrain_state else None)
analysis = None
try:
    if large or (terrain_state is not None and first_key not in st.session_state.get(ANALYSED, ())):
        try:
            analysis = analysis_off_thread(
                ("analysis", data_key, vintage, params, terrain_state),
                (data_key, vintage, params, dataset, terrain_state, dem_grid),
                large,
                st.container() if large else dem_status,
            )
        except jobs.Cancelled:
            where = st.container() if large else dem_status
            where.info(T("jobs.analysis_cancelled" if large else "jobs.terrain_cancelled"))
            where.button(
                T("jobs.retry"), key="analysis_retry", on_click=retry_job, args=("analysis",)
            )
            analysis = STILL_RUNNING
        except PhusongError as exc:
            if large:
                raise
            dem_status.error(f"{T('terrain.dem_error')}: {exc}")  # the circle model instead
            analysis, terrain_state, dem_grid = None, None, None
        if analysis is STILL_RUNNING:
            if large:
                st.stop()
            # the circle model meanwhile
            analysis, terrain_state, dem_grid, terrain_waiting = None, None, None, True
        elif analysis is not None:
            st.session_state.setdefault(ANALYSED, set()).add(first_key)
    if analysis is None:
        analysis = analysis_for(data_key, vintage, params, dataset, terrain_state, dem_grid)
except PhusongError as exc:
    st.error(str(exc))
    st.stop()

st.title(T("app.title"))
st.caption(
    f"{analysis.dataset_name} · {T(f'app.vintage_{vintage}')} · "
    f"{len(analysis.communes)} {T('app.communes')}"
)
if analysis.illustrative:
    st.warning("⚠️ " + T("notice.illustrative"), icon=None)
if analysis.model == "terrain":
    st.info(
        T("terrain.caption")
        + "\n\n"
        + "\n\n".join(i18n.note_text(n, lang) for n in analysis.notes[1:])
    )
if dataset.problems:
    n_problems = importing.counts(dataset.problems)
    with st.expander(
        f"⚠️ {i18n.count('import.rows_out', n_problems['rows_out'], lang)}, "
        f"{i18n.count('import.n_import_warnings', n_problems['warning'], lang)}",
        expanded=USER_DATA in st.session_state,
    ):
        st.dataframe(
            importing.report_table(dataset.problems, lang=lang), hide_index=True, width="stretch"
        )
        st.download_button(
            T("import.download_report"),
            importing.report_csv(dataset.problems, lang=lang),
            file_name="import_report.csv",
            mime="text/csv",
            on_click="ignore",
            key="download_dataset_report",
        )

tables = tables_for(data_key, vintage, params, lang, dataset, terrain_state, dem_grid)
kpis = tables["kpis"]
# A range of people ("32.788–41.280 người") is wider than a quarter of the page at Streamlit's
# metric size: smaller figures that may wrap after the dash instead of an ellipsis.
st.html(
    "<style>.st-key-kpis [data-testid='stMetricValue'] {font-size: 1.75rem; line-height: 1.2}"
    ".st-key-kpis [data-testid='stMetricValue'] * {white-space: normal; overflow: visible;"
    " text-overflow: clip}</style>"
)
with st.container(key="kpis"):
    for row_start in range(0, len(kpis), 4):
        row = kpis[row_start : row_start + 4]
        # people first, the area share beside them in grey (a caption, not a change: no arrow)
        for column, (label, value, beside, help_text) in zip(st.columns(4), row):
            column.metric(
                label, value, beside or None, delta_color="off", delta_arrow="off", help=help_text
            )

tab_map, tab_table, tab_c03, tab_plan, tab_field, tab_export, tab_workspace = st.tabs(
    [
        T("app.tab_map"),
        T("app.tab_table"),
        T("app.tab_c03"),
        T("plan.tab"),
        T("field.tab"),
        T("app.tab_export"),
        T("workspace.title"),
    ]
)

with tab_table:
    st.dataframe(tables["communes"], hide_index=True, width="stretch")
    st.caption(T("app.population_note"))
    if tables["villages"] is not None:  # only with a settlements layer
        st.subheader(T("village.tab"))
        st.caption(T("village.caption"))
        st.dataframe(tables["villages"], hide_index=True, width="stretch")
        st.download_button(
            T("village.download"),
            villages.table_csv(tables["villages"]),
            file_name="settlements.csv",
            mime="text/csv",
            on_click="ignore",
            key="download_settlements",
        )

with tab_c03:
    st.markdown(T("app.c03_intro"))
    st.dataframe(tables["c03"], hide_index=True, width="stretch")

with tab_plan:
    st.markdown(T("plan.intro"))
    c_service, c_k, c_carrier, c_tech = st.columns(4)
    service = c_service.selectbox(
        T("plan.service"),
        siting.SERVICES,
        key="plan_service",
        format_func=lambda s: T(f"plan.service_{s}"),
    )
    min_k = (
        max(1, len(siting.lacking_support_points(dataset, vintage=vintage)))
        if service == "support-point"
        else 1
    )
    k = int(
        c_k.number_input(
            T("plan.k"),
            min_value=min_k,
            max_value=50,
            value=max(min_k, 5),
            step=1,
            key=f"plan_k_{service}_{vintage}",
        )
    )
    if service == "support-point" and min_k > 1:
        c_k.caption(T("plan.c03_min").format(n=min_k))
    plan_carrier = plan_tech = None
    if service == "bts":
        plan_carrier = c_carrier.selectbox(
            T("plan.carrier"),
            (None,) + settings.CARRIERS,
            key="plan_carrier",
            format_func=lambda c: T("plan.carrier_any") if c is None else T(f"carrier.{c}"),
        )
        plan_tech = c_tech.selectbox(
            T("plan.technology"), settings.TECHNOLOGIES, index=2, key="plan_technology"
        )
    request = (data_key, vintage, params, service, k, plan_carrier, plan_tech, terrain_state)
    # Planning is an explicit action: an idle tab costs nothing on other reruns.
    proposal = None
    if whatif_sites:
        st.caption(T("whatif.plan_note").format(n=len(whatif_sites)))
    if st.session_state.pop(cancelled_mark("plan"), None) is not None:
        st.info(T("plan.cancelled"))
    if st.toggle(T("plan.run"), key="plan_run"):
        # off the script thread: other visitors and this page stay responsive; progress, cancel
        try:
            planned = off_thread(
                plan_jobs(),
                request,
                lambda report, request=request, dataset=dataset, dem=dem_grid: plan_for(
                    *request, _dataset=dataset, _dem=dem, _progress=report
                ),
                name="plan",
                steps=PLAN_STEPS,
                texts=("plan.progress", "plan.queued"),
                toggle="plan_run",
            )
            if planned is not STILL_RUNNING:
                proposal, plan_before, plan_after = planned
        except jobs.Cancelled:
            st.info(T("plan.cancelled"))
        except PhusongError as exc:
            st.error(str(exc))
    if proposal is not None:
        people = (
            "–" if proposal.objective != "people" else maps.fmt_number(proposal.people_new, lang)
        )
        st.success(
            T("plan.summary").format(
                n=len(proposal.sites),
                people=people,
                area=maps.fmt_number(proposal.area_new_km2, lang, 1),
                gap_people="–"
                if proposal.objective != "people"
                else maps.fmt_number(proposal.uncovered_people, lang),
                gap_area=maps.fmt_number(proposal.uncovered_area_km2, lang, 1),
            )
        )
        if proposal.objective == "area":
            st.info(T("plan.objective_area"))
        if not len(proposal.sites):
            st.info(T("plan.none"))
        st.caption(
            T("plan.model_note") if proposal.model == "circle" else T("plan.model_note_terrain")
        )
        for plan_note in proposal.notes:  # model, heights, hilltops, fewer sites than asked
            st.caption(i18n.note_text(plan_note, lang))
        plan_metric = siting_export.map_metric(proposal)
        st_folium(
            maps.build_map(
                plan_after,
                metric=plan_metric,
                lang=lang,
                show_gaps=(maps.metric_for_gap(plan_metric),),
                asset_base_url=ASSET_BASE_URL,
            ),
            key="plan_map",
            height=560,
            width="stretch",
            returned_objects=[],
        )
        st.subheader(T("plan.sites"))
        st.dataframe(
            siting_export.sites_display(proposal, lang=lang), hide_index=True, width="stretch"
        )
        st.subheader(T("plan.before_after"))
        st.dataframe(
            siting_export.before_after(proposal, plan_before, plan_after, lang=lang),
            hide_index=True,
            width="stretch",
        )
        plan_columns = st.columns(3)
        for i, (kind, filename, mime) in enumerate(siting_export.DOWNLOADS):
            plan_columns[i % 3].download_button(
                T(f"plan.download_{kind}"),
                data=lambda kind=kind: plan_bytes(
                    kind, lang, *request, _dataset=dataset, _dem=dem_grid
                ),
                file_name=filename,
                mime=mime,
                key=f"plan_download_{kind}",
                on_click="ignore",
                width="stretch",
            )


def apply_calibration(fits: list) -> None:
    """Use the fitted radii: per-carrier overrides, and each technology's slider moved to its
    carriers' fitted radius (the nearest step; the caption under the sliders gives the exact)."""
    st.session_state[CALIBRATION] = calibration.apply(fits, CoverageParams()).carrier_radius_m
    R = urlstate.RADIUS_KM
    for tech, radius_m in calibration.technology_radii(fits).items():
        km = min(max(round(radius_m / 1000 / R.step) * R.step, R.lo), R.hi)
        st.session_state[f"radius_{tech}"] = float(km)


def apply_path_loss(fits: list) -> None:
    """Use the fitted path-loss thresholds in the terrain model."""
    st.session_state[PATH_LOSS_CALIBRATION] = calibration.apply_terrain(fits).max_path_loss_db


def field_section():
    """The field check: readings and residents' reports in, model versus field out. Returns
    (key, check, file names) of the check loaded (for the main map and the downloads), or
    None."""
    st.markdown(T("field.intro"))
    if not may_import:
        st.caption(T("login.viewer_only"))
        return None
    c_meas, c_rep = st.columns(2)
    files = [
        (f.name, f.getvalue(), "measurement")
        for f in c_meas.file_uploader(
            T("field.upload_measurements"),
            type=FIELD_TYPES,
            accept_multiple_files=True,
            key="field_measurements",
        )
        or ()
    ]
    files += [
        (f.name, f.getvalue(), "report")
        for f in c_rep.file_uploader(
            T("field.upload_reports"),
            type=FIELD_TYPES,
            accept_multiple_files=True,
            key="field_reports",
        )
        or ()
    ]
    n_stored = store_reports.count_reports()
    if n_stored:
        stored = store_reports.reports_layer_csv()
        c_use, c_get = st.columns([3, 1], vertical_alignment="center")
        if c_use.toggle(
            T("report.use_stored").format(n=n_stored), value=True, key="field_use_stored"
        ):
            files.append((T("report.stored_file"), stored, "report"))
        c_get.download_button(
            T("report.download_stored"),
            stored,
            file_name="residents_reports_workspace.csv",
            mime="text/csv",
            on_click="ignore",
            key="field_dl_stored",
        )
    if not files:
        return None
    files_key = uploads.digest({str(k): (n, d + s.encode()) for k, (n, d, s) in enumerate(files)})
    with st.spinner("…"):
        result, problems = field_check_for(files_key, data_key, vintage, params, dataset, files)
    if problems:
        n = importing.counts(problems)
        with st.expander(
            f"⚠️ {i18n.count('import.rows_out', n['rows_out'], lang)}, "
            f"{i18n.count('import.n_import_warnings', n['warning'], lang)}",
            expanded=result is None,
        ):
            st.dataframe(
                importing.report_table(problems, lang=lang), hide_index=True, width="stretch"
            )
            st.download_button(
                T("import.download_report"),
                importing.report_csv(problems, lang=lang),
                file_name="import_report.csv",
                mime="text/csv",
                on_click="ignore",
                key="download_field_report",
            )
    if result is None:
        st.error(T("field.none_usable"))
        return None
    st.success(
        T("field.summary").format(
            n=maps.fmt_number(len(result.before.readings), lang),
            before=maps.fmt_number(result.before.agreement_pct, lang, 1),
            after=maps.fmt_number(result.after.agreement_pct, lang, 1),
        )
    )
    st.subheader(T("field.table_title"))
    st.dataframe(field_map.agreement_display(result.table, lang), hide_index=True, width="stretch")
    st.caption(T("field.fit_note").format(n=settings.CALIBRATION_MIN_READINGS))
    if any(f.fitted for f in result.fits):
        st.button(
            T("field.apply"),
            key="calibration_apply",
            type="primary",
            on_click=apply_calibration,
            args=(result.fits,),
        )
    else:
        st.info(T("field.nothing_fitted"))
    loss_fits = None
    if terrain_state is not None:  # terrain model on: the path-loss threshold too
        loss_fits, loss_table = terrain_field_for(
            files_key,
            data_key,
            vintage,
            params,
            terrain_state[0],
            dataset,
            result.before.readings,
            dem_grid,
        )
        st.subheader(T("field.loss_title"))
        st.dataframe(field_map.loss_display(loss_table, lang), hide_index=True, width="stretch")
        st.caption(T("field.loss_note").format(n=settings.CALIBRATION_MIN_READINGS))
        if any(f.fitted for f in loss_fits):
            st.button(
                T("field.apply_loss"),
                key="calibration_loss_apply",
                type="primary",
                on_click=apply_path_loss,
                args=(loss_fits,),
            )
    st_folium(
        field_map.field_map(
            result.before,
            result.units,
            lang=lang,
            confidence=result.confidence_layer,
            asset_base_url=ASSET_BASE_URL,
        ),
        key="field_map",
        height=520,
        width="stretch",
        returned_objects=[],
    )
    st.subheader(T("field.confusion_title"))
    st.dataframe(
        field_map.confusion_display(result.before.by_group, lang), hide_index=True, width="stretch"
    )
    st.subheader(T("field.communes_title"))
    st.caption(
        T("field.confidence_note").format(
            m=maps.fmt_number(settings.EVIDENCE_M, lang),
            pct=maps.fmt_number(settings.CONTRADICTED_BELOW_PCT, lang),
        )
    )
    st.dataframe(
        field_map.communes_display(result.confidence, lang), hide_index=True, width="stretch"
    )
    downloads = st.columns(4)
    downloads[0].download_button(
        T("field.download_agreement"),
        result.table.to_csv(index=False).encode("utf-8-sig"),
        file_name="agreement.csv",
        mime="text/csv",
        on_click="ignore",
        key="field_dl_agreement",
    )
    downloads[1].download_button(
        T("field.download_calibration"),
        calibration.to_json(
            result.fits,
            source=", ".join(n for n, _, _ in files),
            params=params,
            loss_fits=loss_fits,
        ),
        file_name="calibration.json",
        mime="application/json",
        on_click="ignore",
        key="field_dl_calibration",
    )
    downloads[2].download_button(
        T("field.download_disagreements"),
        agreement.disagreements_json(result.before),
        file_name="disagreements.geojson",
        mime="application/geo+json",
        on_click="ignore",
        key="field_dl_disagreements",
    )
    reports = result.before.readings[result.before.readings["source"] == "report"]
    if len(reports):
        downloads[3].download_button(
            T("field.download_reports"),
            field_io.reports_csv(reports),
            file_name="residents_reports.csv",
            mime="text/csv",
            on_click="ignore",
            key="field_dl_reports",
        )
    return files_key, result, ", ".join(n for n, _, _ in files)


with tab_field:
    field_loaded = field_section()
# the field check's readings on the main map, in their own pane (a sidebar toggle)
field_on_map = field_loaded is not None and st.sidebar.checkbox(
    T("field.on_map"), value=False, key="field_on_map"
)

with tab_export:
    st.caption(T("app.export_note"))
    st.markdown(f"**{export.filter_line(params, lang)}**")
    if field_loaded:
        st.caption(T("field.export_note"))
    state = (data_key, vintage, params, metric, lang, show_gaps, dataset, terrain_state, dem_grid)
    columns = st.columns(4)
    for i, (kind, filename, mime) in enumerate(export.DOWNLOADS):
        columns[i % 4].download_button(
            T(f"app.download_{kind}"),
            data=lambda kind=kind: export_bytes(
                kind,
                *state,
                field_key=field_loaded[0] if field_loaded else None,
                _field=field_loaded,
            ),
            file_name=filename,
            mime=mime,
            key=f"download_{kind}",
            on_click="ignore",
            width="stretch",
        )


def saved_by_name() -> str | None:
    """Who saves: the logged-in user (team mode), else the name typed in the save form."""
    return user.name if accounts.team_mode() else st.session_state.get("workspace_by")


def workspace_save() -> None:
    """The form that saves the data in use (without what-if sites) as a new version."""
    if not may_save:
        st.caption(T("login.viewer_only"))
        return
    with st.form("workspace_save_form", border=True):
        st.markdown(f"**{T('workspace.save')}**")
        c_label, c_date, c_by = st.columns(3)
        label = c_label.text_input(
            T("workspace.label"), placeholder=T("workspace.label_help"), key="workspace_label"
        )
        described = c_date.date_input(
            T("workspace.date"), value=None, format="YYYY-MM-DD", key="workspace_date"
        )
        # team mode: the logged-in user saves; local mode: whoever types their name
        saved_by = (
            c_by.text_input(T("workspace.by"), key="workspace_by")
            if not accounts.team_mode()
            else c_by.text_input(T("workspace.by"), value=user.name, disabled=True)
        )
        if not st.form_submit_button(T("workspace.save")):
            return
    if not label.strip():
        st.warning(T("workspace.need_label"))
        return
    info = dict(label=label, described_on=described, saved_by=saved_by_name() or saved_by)
    if user_data:  # an upload or a version: its layers as they are
        version_id = store_versions.save_dataset(base_dataset, **info)
    else:  # the folder: its files' names and hashes too
        version_id = store_versions.save_folder(DATA_DIR, dataset=base_dataset, **info)
    st.success(T("workspace.saved").format(id=version_id))


def workspace_compare(url: str, listed: list) -> None:
    """Two versions side by side: per-commune change, the change map, the downloads."""
    st.subheader(T("workspace.compare"))
    if len(listed) < 2:
        st.caption(T("workspace.need_two"))
        return
    ids = [v.id for v in listed]
    names = {
        v.id: f"{v.id} · {v.label}" + (f" ({v.described_on})" if v.described_on else "")
        for v in listed
    }
    c_a, c_b = st.columns(2)
    a = c_a.selectbox(
        T("workspace.compare_a"), ids, index=len(ids) - 2, key="workspace_a", format_func=names.get
    )
    b = c_b.selectbox(
        T("workspace.compare_b"), ids, index=len(ids) - 1, key="workspace_b", format_func=names.get
    )
    if not st.toggle(T("workspace.compare_run"), key="workspace_compare"):
        return  # an explicit action: two analyses
    with st.spinner("…"):
        table, after = version_change(url, a, b, vintage)
    moved = change.changed(table)
    st.markdown("\n".join(f"- {md(line)}" for line in change.lines(table[moved], lang)))
    if (~moved).sum():
        st.caption(T("workspace.unchanged").format(n=int((~moved).sum())))
    components.html(changes.map_html(table, after, lang=lang).decode("utf-8"), height=480)
    st.dataframe(changes.table_for_reading(table, lang=lang), hide_index=True, width="stretch")
    c_csv, c_xlsx = st.columns(2)
    c_csv.download_button(
        T("workspace.download_csv"),
        changes.csv_bytes(table, lang=lang),
        file_name="changes.csv",
        mime="text/csv",
        on_click="ignore",
        key="workspace_download_csv",
        width="stretch",
    )
    c_xlsx.download_button(
        T("workspace.download_xlsx"),
        changes.xlsx_bytes(table, lang=lang),
        file_name="changes.xlsx",
        on_click="ignore",
        key="workspace_download_xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        width="stretch",
    )


def workspace_plans(listed: list, opened: int | None) -> None:
    """Save the plan of the planning tab on the version in use; reopen a saved one and see what
    a later version built of it."""
    st.subheader(T("workspace.plans"))
    if proposal is None:
        st.caption(T("workspace.no_plan"))
    elif opened is None:
        st.caption(T("workspace.plan_needs_version"))
    else:
        c_label, c_save = st.columns([3, 1])
        plan_label = c_label.text_input(T("workspace.label"), key="workspace_plan_label")
        if may_save and c_save.button(T("workspace.save_plan"), key="workspace_save_plan"):
            plan_id = store_plans.save_plan(
                proposal, version_id=opened, label=plan_label, saved_by=saved_by_name()
            )
            st.success(T("workspace.plan_saved").format(id=plan_id))
    saved = {p.id: p for p in store_plans.list_plans()}
    if not saved:
        return
    chosen = st.selectbox(
        T("workspace.open_plan"),
        list(saved),
        index=len(saved) - 1,
        key="workspace_plan",
        format_func=lambda i: T("workspace.plan_of").format(
            id=i, label=saved[i].label, version=saved[i].version_id
        ),
    )
    plan = saved[chosen]
    shown = [
        c
        for c in ("rank", "site_id", "name", "people_new", "area_new_km2")
        if c in plan.sites.columns
    ]
    st.dataframe(plan.sites[shown], hide_index=True, width="stretch")
    later = [v.id for v in listed if v.id > plan.version_id]
    if later:
        version = st.selectbox(T("workspace.compare_b"), later, key="workspace_plan_later")
        st.dataframe(store_plans.built_since(plan, version), hide_index=True, width="stretch")


with tab_workspace:
    url_in_use = store_engine.database_url()
    st.caption(T("workspace.intro").format(url=store_engine.describe(url_in_use)))
    try:
        workspace_save()
        versions_listed = store_versions.list_versions()
        version_in_use = (user_data or {}).get("version")
        if version_in_use is not None:
            st.info(
                T("workspace.opened").format(
                    id=version_in_use,
                    label=next((v.label for v in versions_listed if v.id == version_in_use), ""),
                )
            )
        if versions_listed:
            st.dataframe(store_versions.versions_table(lang=lang), hide_index=True, width="stretch")
            c_open, c_button = st.columns([3, 1], vertical_alignment="bottom")
            version_names = {v.id: f"{v.id} · {v.label}" for v in versions_listed}
            c_open.selectbox(
                T("workspace.open"),
                [None] + list(version_names),
                key="workspace_open",
                format_func=lambda i: T("workspace.default") if i is None else version_names[i],
            )
            c_button.button(
                T("workspace.open"),
                on_click=open_version,
                key="workspace_open_button",
                width="stretch",
            )
        else:
            st.caption(T("workspace.none"))
        workspace_compare(url_in_use, versions_listed)
        workspace_plans(versions_listed, version_in_use)
        accounts.users_panel(user, lang)
    except PhusongError as exc:
        st.error(T("workspace.error").format(error=exc))
    except Exception as exc:  # the database itself failed (locked too long, server gone …)
        st.error(T("workspace.error").format(error=f"{type(exc).__name__}: {exc}"))


# The map last: the browser redraws it while nothing else of this run is left to compute (two
# cores shared with the browser on a laptop).
FIT_COMMUNE, CHOSEN = "fit_commune", "chosen"  # st.session_state: zoom to the commune once; its box
SEARCH_SEEN, CLICK_SEEN = "search_seen", "click_seen"  # the search and click already acted on


def pick_commune() -> None:
    """The commune box changed: select that commune and zoom to it."""
    st.session_state[urlstate.COMMUNE] = st.session_state[CHOSEN]
    st.session_state[FIT_COMMUNE] = True


def clear_commune() -> None:
    st.session_state[urlstate.COMMUNE] = None
    st.session_state["search"] = ""


def url_ignored(name: str, value) -> None:
    """A value of the opening link that the data cannot use: one quiet notice, no error."""
    st.session_state[URL_IGNORED].append((name, str(value)))


with tab_map:
    # the figures are still the circle model's (not while a DEM is read: the sidebar says so)
    if model == "terrain" and terrain_state is None and not terrain_waiting:
        st.warning(dem_help(data_key, vintage, dataset, lang, bool(dem_uploads or dem_folder)))
    left, right = st.columns([3, 1])
    communes = analysis.communes
    # What the map sent back (streamlit-folium copies it under map_key before this run): its view
    # for the URL, a click for the selection. A new search selects its best match and zooms to it.
    # One key for both vintages: a key per vintage would bring back that vintage's last click.
    map_key = "map"
    reported = st.session_state.get(map_key)
    if view.reported_view(reported) is not None:
        st.session_state[urlstate.MAP_VIEW] = view.reported_view(reported)
    matches = (
        [communes["code"].iloc[i] for i in search.find_communes(communes["name"], query)]
        if query
        else []
    )
    selected = st.session_state[urlstate.COMMUNE]
    fit = st.session_state.pop(FIT_COMMUNE, False)
    if query != st.session_state.get(SEARCH_SEEN):
        st.session_state[SEARCH_SEEN] = query
        if matches:
            selected, fit = matches[0], True
    clicked_code = view.clicked_code(reported)
    if clicked_code != st.session_state.get(CLICK_SEEN):
        st.session_state[CLICK_SEEN] = clicked_code
        if clicked_code is not None:
            selected, fit = clicked_code, False
    if selected is not None and selected not in set(communes["code"]):
        unit = search.unit_holding(communes, selected)  # the other vintage's commune
        if unit is None and st.session_state.pop("commune_from_url", False):
            url_ignored("commune", selected)
        selected, fit = unit, bool(fit and unit)
    st.session_state.pop("commune_from_url", None)
    if selected is None and matches:  # the search still stands (e.g. after a vintage switch)
        selected = matches[0]
    st.session_state[urlstate.COMMUNE] = selected
    with left:
        folium_map = view.keep_view(
            map_for(
                data_key,
                vintage,
                params,
                metric,
                lang,
                show_gaps,
                tiles,
                dataset,
                terrain_state,
                dem_grid,
                field_key=field_loaded[0] if field_on_map else None,
                _readings=field_map.map_readings(field_loaded[1].before) if field_on_map else None,
            )
        )
        goto = st.session_state.pop(VIEW_REQUEST, None)  # the link's view, applied once
        if goto is not None and not view.view_within(goto, view.fit_bounds_of(folium_map)):
            url_ignored("view", urlstate.fmt_view(goto))
            goto = st.session_state[urlstate.MAP_VIEW] = None
        # render=False: st_folium renders the fresh map itself once more; its extra full pass
        # (documented as skippable) would double the rerun's cost. The highlight is added to
        # the drawn map (no new frame); centre and zoom are passed only to move the map.
        highlight = (
            view.highlight(*outline_for(data_key, vintage, selected, communes), fit=bool(fit))
            if selected
            else None
        )
        clicked = st_folium(
            folium_map,
            key=map_key,
            height=620,
            width="stretch",
            returned_objects=["last_active_drawing", "last_clicked", "center", "zoom"],
            feature_group_to_add=highlight,
            center=goto[:2] if goto else None,
            zoom=goto[2] if goto else None,
            return_on_hover=False,
            render=False,
        )
        whatif_section(analysis)
    with right:
        point_card(clicked)
        if query and not matches:
            st.info(T("app.search_none").format(query=query))
        if selected or matches:
            options = matches if selected in matches else [c for c in [selected] if c] + matches
            if st.session_state.get(CHOSEN) != (selected or options[0]):
                st.session_state[CHOSEN] = selected or options[0]
            chosen = st.selectbox(
                T("app.commune"),
                options,
                key=CHOSEN,
                on_change=pick_commune,
                format_func=lambda c: export.commune_name(analysis, c),
            )
            st.dataframe(
                export.commune_card(analysis, chosen, lang=lang, table=tables["card"]),
                hide_index=True,
                width="stretch",
            )
            st.button(T("view.clear"), key="clear_commune", on_click=clear_commune)
        else:
            st.caption(T("app.click_hint"))

# The URL follows the state: an official can send this exact map to a colleague.
url_params = urlstate.encode({f.key: st.session_state.get(f.key) for f in urlstate.FIELDS})
if url_params != st.query_params.to_dict():
    st.session_state[URL_WRITTEN] = url_params
    st.query_params.from_dict(url_params)
if st.session_state[URL_IGNORED]:
    st.toast(
        T("view.url_ignored").format(params=urlstate.notice_text(st.session_state[URL_IGNORED])),
        icon="ℹ️",
    )
    st.session_state[URL_IGNORED] = []


# Once per server process, after its first full run (not a cached resource: clearing the caches
# must not freeze again): what is alive now (modules, the default data, the first analysis) stays
# as long as the server, so gc.freeze() takes it out of the cyclic collector's full passes, which
# took 150–500 ms each under load, every session stopped (bench/README.md, "Many visitors at
# once"); that run's own leftovers are kept (a few MB).
if gc.get_freeze_count() == 0:
    gc.collect()
    gc.freeze()
