"""Defaults of phusong, in one place, each with the source it rests on.

Every number here is a *planning assumption* for a simple circle model unless its comment says it is
a measured or legal figure; ``data/facts/SOURCES.md`` holds the full citations and quotes.
Distances are in metres, areas in km².
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Literal

from geo.errors import ChoiceError

# --- fixed choices ------------------------------------------------------------------------------

Vintage = Literal["legacy", "2025"]
VINTAGES: tuple[str, ...] = ("legacy", "2025")
Lang = Literal["vi", "en"]
LANGS: tuple[str, ...] = ("vi", "en")
TECHNOLOGIES: tuple[str, ...] = ("2G", "3G", "4G", "5G")
CARRIERS: tuple[str, ...] = ("Viettel", "VinaPhone", "MobiFone", "Vietnamobile", "other")
MAIN_CARRIERS: tuple[str, ...] = ("Viettel", "VinaPhone", "MobiFone")
LOUDSPEAKER_KINDS: tuple[str, ...] = ("cluster", "commune_station", "district_station")
INTERNET_KINDS: tuple[str, ...] = ("internet_shop", "public_access", "support_point")

# Uncovered-area layers computed per commune (see geo.analysis.gaps).
GAP_KINDS: tuple[str, ...] = (
    "no_4g",
    "no_mobile",
    "no_loudspeaker",
    "no_internet",
    "no_service",
    "at_risk",
)
# Coverage models: circles of fixed radius, or line of sight / walking time over a DEM.
Model = Literal["circle", "terrain"]
MODELS: tuple[str, ...] = ("circle", "terrain")

# --- paths --------------------------------------------------------------------------------------

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
DEFAULT_DATA_DIR = REPO_DIR / "data" / "dakrong"
STATIC_DIR = PACKAGE_DIR / "static"
# The server's DEM folders (geo/io/dem_root.py): visitors choose among the folders under this root.
DEM_DIR_ENV = "PHUSONG_DEM_DIR"
DEFAULT_DEM_DIR = REPO_DIR / "dem"

# --- memory budgets of the server's shared caches (app.py, geo.cache.memoize) -------------------
# Sized for the team server of README "Running it for a team": 24 GB, 2 cores, one district team
# (~20 people), each of the two app processes (one per core) capped at 6 GB by
# deploy/phusong@.service (MemoryMax; each process has its own copy of these caches, so 12 GB for
# both; PostGIS, the OS and nginx keep the rest). One process's caches may hold ~3.6 GB of
# estimated bytes (geo.cache.estimate_nbytes), some 60 % of its cap: the rest is the working
# memory of the two script runs and the plan job that run at once (a PNG export peaks at ~50 MB,
# a plan at ~40 MB on the default data), the visitors' uploads in their sessions (≤ 50 MB each,
# .streamlit/config.toml) and the allocator's fragmentation. Measured on the default data
# (Đakrông, tests/test_cache.py): an analysis ~1–1.4 MB estimated (~1.2–2.6 MB of RSS: the
# estimate misses Python objects' own overhead, by up to 2× for values this small), a plan
# (plan, before, after) ~2 MB, an export 0–0.7 MB, a commune table ~10 kB; a DEM window up to
# MAX_DEM_CELLS float32 heights (200 MB; the district's ~40 MB). So each budget below keeps the
# whole entry count of district-sized values and a few entries of a national dataset's (an
# analysis of ~10k communes: ~100 MB), and never lets one kind of value take the whole server.
# name: (max entries, max bytes). LAYER_CACHE_BYTES and VIEWSHED_CACHE_BYTES: the covered areas
# per layer (geo.analysis.gaps.layer_cache) and per-site viewsheds (geo.analysis.viewshed).
LAYER_CACHE_BYTES = 512e6
VIEWSHED_CACHE_BYTES = 256e6
# The server's log gets a line of its memory and each cache's use this often (geo/ui/usage.py;
# seconds, PHUSONG_MEMORY_LOG_S; 0: off): five minutes make ~300 short lines a day.
MEMORY_LOG_ENV = "PHUSONG_MEMORY_LOG_S"
MEMORY_LOG_S = 300.0
CACHE_BUDGETS: dict[str, tuple[int, float]] = {
    "load": (2, 512e6),  # the server's dataset folder(s): one needed by every analysis
    "analysis_for": (64, 512e6),
    "dem_for": (4, 512e6),  # two windows of MAX_DEM_CELLS, or a dozen districts
    "field_check_for": (4, 256e6),  # 100,000 readings take ~100 MB
    "terrain_field_for": (4, 32e6),  # fitted thresholds and a small table
    "tables_for": (64, 32e6),  # display tables (st.dataframe reads them; nobody writes them)
    "export_bytes": (32, 64e6),
    "plan_for": (32, 256e6),
    "plan_jobs": (32, 96e6),  # finished plan jobs' results (mostly the plan_for entries)
    # finished DEM reads and data jobs (imports, first analyses) until their waiters collect them;
    # the latest is kept even past the budget (geo.ui.jobs.JobRunner), and the DEMs and analyses
    # also live in dem_for and analysis_for
    "dem_jobs": (4, 16e6),
    "data_jobs": (8, 16e6),
    "whatif_dataset": (16, 128e6),
    "plan_bytes": (32, 32e6),
    "version_dataset": (8, 256e6),
    "version_change": (4, 64e6),
    "outline_for": (64, 16e6),
    "dem_help": (16, 1e6),
}

# --- coverage defaults (metres) -----------------------------------------------------------------
# All radii are PLANNING ASSUMPTIONS for a circle model, not measurements in Đakrông; a circle
# overstates reach behind ridges. Full quotes: data/facts/SOURCES.md §1–§4.
DEFAULT_RADIUS_M: dict[str, float] = {
    # GSMA via ITU "Last-Mile Internet Connectivity Solutions Guide" step 2c: rural towers of
    # 12–30 m cover 4–8 km; 5 km for GSM 900.
    "2G": 5000.0,
    # Higher bands (UMTS 2100, LTE 1800) reach less: inside GSMA/ITU's 2–4 km "targeted" band.
    "3G": 3000.0,
    "4G": 3000.0,
    # ITU-R M.2135 rural macro inter-site distance 1,732 m → cell radius ≈ 1 km.
    "5G": 1000.0,
}
DEFAULT_LOUDSPEAKER_RADIUS_M: dict[str, float] = {
    # 30 W horn, 95–112 dB @ 1 W/1 m, 70 dB SPL needed (TOA Speaker Guide ch. 5): 100–690 m
    # inverse-square; 300 m is the middle of that bracket.
    "cluster": 300.0,
    # A station reaches people through its clusters; its own loudspeaker at the station counts
    # like a cluster. The district station's FM/TV reach is unknown (not modelled).
    "commune_station": 300.0,
    "district_station": 300.0,
}
# World Bank Rural Access Index (SDG 9.1.1): rural people within 2 km of an all-season road;
# borrowed here as a walking-distance norm for a public internet point.
DEFAULT_INTERNET_ACCESS_M: float = 2000.0

# Areas served only by 2G/3G are "at risk": the GSM network runs until 15 Sept 2026 (Cục Viễn
# thông notice under Circulars 03/04/2024/TT-BTTTT); 3G ends September 2028 (MIC announcement).
SWITCH_OFF = {"2G": "2026-09-15", "3G": "2028-09"}

# Polygon approximation of a circle: 16 segments per quarter keeps area error < 0.2 %.
CIRCLE_QUAD_SEGS = 16

# --- statistics method (geo.analysis.gaps.analyse(method=...), geo.analysis.grid) ---------------------------------
# "exact": polygon overlays (the reference; the app and the Đakrông default). "grid": shares counted
# on square cells (geo.analysis.grid), for national runs. "auto": grid above GRID_AUTO_COMMUNES communes.
Method = Literal["exact", "grid", "auto"]
METHODS: tuple[str, ...] = ("exact", "grid", "auto")
# The exact method takes about 15 s for 1,000 communes with national site densities (bench/README.md)
# and grows faster than linearly; below this count its answer is worth the wait.
GRID_AUTO_COMMUNES = 2000
# 100 m cells: the national commune polygons are approximated at 100 m (bench/synthetic.py) and the
# smallest radius of the model is a 300 m loudspeaker (≈ 28 cells per disc); a 5 km disc is counted
# within 0.1 % and the national run stays within 10 s on two cores (bench/README.md). Half the cell
# quadruples the stamping work.
GRID_CELL_M = 100.0
# Tile side in cells: 1024² cells = 6 MB of label and mask rasters at a time.
GRID_TILE_CELLS = 1024
# A commune with fewer cells than this (25 km² at 100 m: about 60 % of Vietnam's communes, most of
# them small urban wards) is counted again alone on a finer grid of about GRID_REFINED_CELLS cells,
# so no commune's share rests on a few hundred cells. Measured nationally (bench/README.md): largest
# difference from the exact method 1.2 percentage points with 2,500 cells (4.5 without refining),
# for about 0.1 s of CPU more than refining below 1,000 cells.
GRID_MIN_CELLS = 2500
GRID_REFINED_CELLS = 2500

# --- long work off the script thread (app.py, geo.ui.jobs) ----------------------------------------
# Measured on the national synthetic dataset (bench/national.py: 10,040 communes, 100,000 BTS sites,
# 20,000 loudspeakers, 2,000 internet points; 37 MB of files; 2 shared cores, 2026-11-29):
# loading.load_dataset 70 s, uploads.review_upload 65 s (≈ 1.7 s per MB), the exact analysis 11.9 s
# for 1,000 of its communes (≈ 12 ms per commune; 174 s nationally, bench/README.md). Work expected
# to take more than about a second runs in a job with a progress bar and a cancel button; smaller
# work (the Đakrông default: 13 communes, 120 kB) stays on the script thread, with no bar.
BACKGROUND_COMMUNES = 100  # ≈ 1.2 s of exact analysis at national densities
BACKGROUND_UPLOAD_BYTES = 500_000  # ≈ 0.9 s of import review (uploads, or the data folder)


# --- population grid (geo.io.population) -------------------------------------------------------------
# A commune is read from the population grid when at least this share of its area lies inside the
# grid's extent (nodata cells inside it hold nobody: WorldPop's sea and neighbouring countries);
# below it (a clip that stops short, a grid of another area) its people are spread evenly and a
# warning names it: the part outside would otherwise count as empty.
POPULATION_MIN_COVER = 0.9
# Margin read around the communes (m): a 1 km cell cut by a commune edge is read whole.
POPULATION_MARGIN_M = 2000.0
# Margin of the clip a built dataset ships (m): room for communes redrawn a little larger.
POPULATION_CLIP_MARGIN_M = 5000.0
# The WorldPop 2020 1 km UN-adjusted grid of Viet Nam (CC BY 4.0, DOI 10.5258/SOTON/WP00671): the
# population grid of the Đakrông default (clipped) and of build-dataset.
WORLDPOP_FILE = "vnm_ppp_2020_1km_Aggregated_UNadj.tif"
WORLDPOP_SOURCE = {
    "vi": "Dân số theo ô lưới: WorldPop (www.worldpop.org, Đại học Southampton), 2020, Việt Nam "
    "1 km điều chỉnh theo LHQ, CC BY 4.0, DOI 10.5258/SOTON/WP00671",
    "en": "Population: WorldPop (www.worldpop.org, University of Southampton), 2020, Viet Nam "
    "1 km UN-adjusted, CC BY 4.0, DOI 10.5258/SOTON/WP00671",
}


def worldpop_candidates() -> list[Path]:
    """Where build-dataset and scripts/build_dakrong.py look for the WorldPop grid, in order: the
    file named by ``PHUSONG_WORLDPOP``, then ``../shared/data/open/worldpop/`` beside the repo."""
    import os

    found = [Path(os.environ["PHUSONG_WORLDPOP"])] if os.environ.get("PHUSONG_WORLDPOP") else []
    return found + [REPO_DIR.parent / "shared" / "data" / "open" / "worldpop" / WORLDPOP_FILE]


# --- terrain model (a DEM; geo.io.dem, geo.analysis.terrain) --------------------------------------------------
# Heights above ground, metres. Line of sight from the antenna to a handset, limited to the
# technology's radius above; all PLANNING ASSUMPTIONS unless marked; sources cited on each line.
# Okumura–Hata and ITU-R P.1546 take 1.5 m as the reference mobile (handset) antenna height.
HANDSET_HEIGHT_M = 1.5
# A site without height_m: the top of GSMA/ITU's "rural towers of 12–30 m" (see 2G above).
DEFAULT_BTS_HEIGHT_M = 30.0
# A loudspeaker horn on a pole or roof; ASSUMPTION (no survey of Đakrông's poles); a row's own
# height_m wins. Listeners' ears at 1.5 m.
DEFAULT_LOUDSPEAKER_HEIGHT_M = 8.0
LISTENER_HEIGHT_M = 1.5
# Radio refraction: ITU-R P.453 / P.834 standard atmosphere, effective earth radius factor k = 4/3.
# gdal_viewshed's convention: height -= cc × d² / (2 × semi-major axis), with cc = 1 − 1/k
# (0.85714 is its default for visible light, k = 7/6); for radio k = 4/3 → cc = 0.25.
RADIO_K_FACTOR = 4.0 / 3.0
RADIO_CURVATURE_COEFF = 1.0 - 1.0 / RADIO_K_FACTOR
# Sound: no refraction modelled (cc = 1, the bare earth curvature; negligible within 2 km).
SOUND_CURVATURE_COEFF = 1.0
# Walking: Tobler's hiking function (Tobler 1993, "Three presentations on geographical analysis
# and modeling", NCGIA Technical Report 93-1): speed = 6 × exp(−3.5 × |slope + 0.05|) km/h,
# 5.04 km/h on flat ground. Access gap = more than DEFAULT_INTERNET_WALK_MIN minutes' walk:
# DERIVED from the 2 km Rural Access Index norm above (2 km at 5.04 km/h = 23.8 min), so that on
# flat ground the terrain model and the circle model agree. Sensitivity: 30 or 60 min.
TOBLER_MAX_KMH = 6.0
DEFAULT_INTERNET_WALK_MIN = 24.0
# Optional path-loss estimate (Okumura–Hata below 1500 MHz, COST-231 Hata above, open-area
# correction; an ESTIMATE, labelled so). Bands: GSM 900, UMTS 2100, LTE 1800 (band 3) are the
# bands Vietnamese carriers use for 2G/3G/4G; 5G at 2600 MHz (n41) is an ASSUMPTION.
BAND_MHZ: dict[str, float] = {"2G": 900.0, "3G": 2100.0, "4G": 1800.0, "5G": 2600.0}
# Classes by path loss (dB), ASSUMPTION: a rural macro link budget allows about 140 dB (maximum
# allowable path loss); within 15 dB of it the signal is "variable", beyond it "weak".
MAX_PATH_LOSS_DB = 140.0
VARIABLE_MARGIN_DB = 15.0

# --- gap score ----------------------------------------------------------------------------------
# gap_score = 100 × Σ weight × (uncovered share of people, or of area where population is unknown)
# + C03_PENALTY when a commune needs a Circular 03 support point and has none (capped at 100).
GAP_SCORE_WEIGHTS: dict[str, float] = {
    "no_4g": 0.30,
    "no_mobile": 0.20,
    "no_loudspeaker": 0.20,
    "no_internet": 0.15,
    "no_service": 0.15,
}
C03_PENALTY = 10.0


# --- field evidence (geo.io.measurements, geo.io.opencellid, geo.analysis.agreement/calibration) --
# Mobile network codes under Viet Nam's MCC 452 (ITU-T E.212 list of MNCs, Annex to ITU Operational
# Bulletin; the same codes the OpenCellID exports carry in ``net``): carrier modelled by phusong, or
# None for a real operator the app has no column for (its cells are reported, then kept as
# "other"). An MNC not listed here is refused, naming it.
MCC_VIET_NAM = 452
MNC_CARRIER: dict[int, str] = {1: "MobiFone", 2: "VinaPhone", 4: "Viettel", 5: "Vietnamobile"}
MNC_UNMODELLED: dict[int, str] = {7: "Gmobile"}
# OpenCellID ``radio`` → technology (GSM, UMTS, LTE, NR as in its export; CDMA is not used in
# Viet Nam and is refused).
RADIO_TECHNOLOGY: dict[str, str] = {"GSM": "2G", "UMTS": "3G", "LTE": "4G", "NR": "5G"}
# Cells of one carrier within this distance (m) are one site (one mast carries its 2G/3G/4G
# cells). ASSUMPTION: OpenCellID positions are averages of phones' GPS fixes where they heard the
# cell, often tens to hundreds of metres off the mast (OpenCellID wiki, "range" = spread of the
# measurements); 100 m merges the sectors of one mast without joining neighbouring masts, which in
# rural Viet Nam stand kilometres apart.
CELL_MERGE_M = 100.0

# Signal level → service (yes / weak / no), dBm, per technology and the quantity phones report:
# RSSI (2G), RSCP (3G), RSRP (4G), SS-RSRP (5G). The two bounds are the lower edges of Android's
# "poor" (1 bar) and "moderate" (2 bars) levels in AOSP's CarrierConfigManager defaults
# (KEY_GSM_RSSI_THRESHOLDS_INT_ARRAY {-107,-103,-97,-89}, KEY_WCDMA_RSCP_THRESHOLDS_INT_ARRAY
# {-115,-105,-95,-85}, KEY_LTE_RSRP_THRESHOLDS_INT_ARRAY {-128,-118,-108,-98},
# KEY_5G_NR_SSRSRP_THRESHOLDS_INT_ARRAY {-110,-90,-80,-65}): what a phone user sees as "no bar",
# "one bar" and "two bars or more". Checked 2026-11-29 against copies of
# android/telephony/CarrierConfigManager.java (sDefaults, Android 9–10 builds) for LTE
# {-128,-118,-108,-98}, WCDMA {-115,-105,-95,-85} and GSM {-107,-103,-97,-89}; the 5G values are
# AOSP's default as quoted by carrier overrides, not seen in sDefaults here. Viet Nam's QCVN 36:2015/BTTTT (telephone service on land mobile
# networks) and QCVN 81:2019/BTTTT (Internet access on land mobile networks, Thông tư
# 09/2019/TT-BTTTT; its Annex B asks operators to publish their service area as a digital map) set
# quality targets (call setup, drop rate, throughput), not a signal level we could verify offline;
# an operator's own coverage threshold (e.g. its published KPI) should replace these where known.
SERVICE_LEVEL_DBM: dict[str, tuple[float, float]] = {
    # technology: (weak from, service from)
    "2G": (-107.0, -103.0),
    "3G": (-115.0, -105.0),
    "4G": (-128.0, -118.0),
    "5G": (-110.0, -90.0),
}
# Levels outside the reporting range of the standard are refused (a typo, or another quantity):
# 3GPP TS 45.008 §8.1.4 RXLEV −110…−48 dBm (widened to −120…−20 for phones that report RSSI below
# RXLEV 0), TS 25.133 §9.1.1.3 CPICH RSCP −120…−25 dBm, TS 36.133 §9.1.4 RSRP −140…−44 dBm,
# TS 38.133 §10.1.6 SS-RSRP −156…−31 dBm.
LEVEL_RANGE_DBM: dict[str, tuple[float, float]] = {
    "2G": (-120.0, -20.0),
    "3G": (-120.0, -25.0),
    "4G": (-140.0, -44.0),
    "5G": (-156.0, -31.0),
}
# Signal bars (0–4 or 0–5, as a phone shows them): 0 no service, 1 weak, 2+ service (the same
# Android levels as above: NONE, POOR, MODERATE…).
BARS_WEAK = 1
BARS_SERVICE = 2
# A "weak" reading counts as service when the model is compared with the field: the circle model
# says whether a site reaches a spot, and a weak signal does reach it.
WEAK_IS_SERVICE = True

# Calibration (geo.analysis.calibration): a maximum-likelihood logistic fall of service with the
# distance to the nearest site of the carrier serving the technology (with a DEM also with the Hata
# path loss to the readings in its line of sight: the terrain model's path-loss threshold, which
# has no default: TerrainParams.max_path_loss_db is empty until fitted). Fewer readings than this, or
# fewer than CALIBRATION_MIN_EACH with and without service, give "not enough evidence", never a
# number.
# ASSUMPTION: the usual rule of thumb of about 10 events per fitted parameter (Peduzzi et al.
# 1996, J Clin Epidemiol 49:1373) for 2 parameters, doubled, is 40; 30 readings overall is the
# least a 95 % interval on a radius is worth showing for.
CALIBRATION_MIN_READINGS = 30
CALIBRATION_MIN_EACH = 10
# A fit is kept only if service falls with distance (likelihood-ratio test against "no change with
# distance", p below this) and the radius and its interval lie within the distances measured (no
# extrapolation). CALIBRATION_CONFIDENCE: the profile-likelihood interval's level.
CALIBRATION_MAX_P = 0.05
CALIBRATION_CONFIDENCE = 0.95

# Confidence (geo.analysis.agreement.confidence): a reading is evidence for the spots within this
# distance (m). ASSUMPTION: half of the smallest default radius (5G, 1 km), so a reading speaks for
# its neighbourhood, not for a whole cell.
EVIDENCE_M = 500.0
# A commune whose readings agree with the model less than this share (%) is "contradicted".
CONTRADICTED_BELOW_PCT = 80.0


def check_choice(name: str, value: str, options: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``options``, else raise a :class:`ChoiceError`."""
    if value not in options:
        raise ChoiceError(name, value, options)
    return value


@dataclass(frozen=True)
class CoverageParams:
    """Parameters of the circle model; hashable so the app can cache on it.

    Attributes
    ----------
    radius_m : (technology, radius in metres) pairs.
    carrier_radius_m : (carrier, technology, radius in metres) overrides.
    loudspeaker_radius_m : (kind, radius in metres) pairs; a row's own ``radius_m`` wins.
    internet_access_m : straight-line access distance to an internet point, metres.
    carriers : carriers whose sites count (empty = all).
    technologies : technologies that count (empty = all).
    """

    radius_m: tuple[tuple[str, float], ...] = tuple(DEFAULT_RADIUS_M.items())
    carrier_radius_m: tuple[tuple[str, str, float], ...] = ()
    loudspeaker_radius_m: tuple[tuple[str, float], ...] = tuple(
        DEFAULT_LOUDSPEAKER_RADIUS_M.items()
    )
    internet_access_m: float = DEFAULT_INTERNET_ACCESS_M
    carriers: tuple[str, ...] = field(default=())
    technologies: tuple[str, ...] = field(default=())

    def radius_for(self, technology: str, carrier: str | None = None) -> float:
        """Radius in metres of ``technology`` (for ``carrier`` where an override exists)."""
        for c, t, r in self.carrier_radius_m:
            if c == carrier and t == technology:
                return float(r)
        return float(dict(self.radius_m)[technology])

    def loudspeaker_radius_for(self, kind: str) -> float:
        """Default reach in metres of a loudspeaker of ``kind``."""
        return float(dict(self.loudspeaker_radius_m)[kind])

    def with_radius(self, technology: str, radius_m: float) -> "CoverageParams":
        """A copy with one technology's radius changed."""
        radii = dict(self.radius_m)
        radii[technology] = float(radius_m)
        return replace(self, radius_m=tuple(radii.items()))


@dataclass(frozen=True)
class TerrainParams:
    """Parameters of the terrain model (``geo.analysis.terrain``); hashable so the app can cache on it.

    Attributes
    ----------
    handset_height_m : receiving handset above the ground, metres.
    bts_height_m : antenna height of a BTS site without ``height_m``, metres.
    loudspeaker_height_m : horn height of a loudspeaker without ``height_m``, metres.
    listener_height_m : listener's ears above the ground, metres.
    curvature_coeff : gdal_viewshed's ``-cc`` for radio, 1 − 1/k (0.25 for k = 4/3).
    sound_curvature_coeff : the same for sound.
    internet_walk_min : access to an internet point = at most this many minutes' walk.
    path_loss : also class covered cells strong / variable / weak (an estimate).
    max_path_loss_db : (carrier, technology, dB) path-loss thresholds fitted to field readings
        (``geo.analysis.calibration.apply_terrain``): a site of that carrier then covers with
        that technology only the cells in sight whose Hata path loss is at most this. Empty =
        line of sight within the radius, no threshold.
    """

    handset_height_m: float = HANDSET_HEIGHT_M
    bts_height_m: float = DEFAULT_BTS_HEIGHT_M
    loudspeaker_height_m: float = DEFAULT_LOUDSPEAKER_HEIGHT_M
    listener_height_m: float = LISTENER_HEIGHT_M
    curvature_coeff: float = RADIO_CURVATURE_COEFF
    sound_curvature_coeff: float = SOUND_CURVATURE_COEFF
    internet_walk_min: float = DEFAULT_INTERNET_WALK_MIN
    path_loss: bool = False
    max_path_loss_db: tuple[tuple[str, str, float], ...] = ()

    def path_loss_limit(self, carrier: str, technology: str) -> float:
        """The fitted path-loss threshold (dB) of ``carrier``'s ``technology``; inf if none."""
        for c, t, limit in self.max_path_loss_db:
            if c == carrier and t == technology:
                return float(limit)
        return float("inf")
