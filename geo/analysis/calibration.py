"""Fit the circle model to the field: the radius the readings support, per carrier × technology.

For each carrier × technology, :func:`fit_radius` fits by maximum likelihood (scipy) how the
chance of service (yes or weak = 1, no = 0; :func:`geo.io.measurements.has_service`) falls with
the distance d to the nearest site of that carrier serving that technology:
P(service | d) = floor + (1 − floor − lapse) / (1 + exp((d − r) / s)), a logistic curve between
``1 − lapse`` near the site and ``floor`` far from it (both at most :data:`MAX_PLATEAU`: the
readings that disagree with distance at either end, e.g. a site missing from the layer or a
mislabelled reading, must not drag the edge). The fitted radius is r, where service falls half way;
its confidence interval is the profile-likelihood interval (the radii whose likelihood-ratio
statistic stays below the χ²₁ quantile). When the readings separate perfectly (every reading with
service nearer than every one without), the edge lies between the farthest reading with service
and the nearest without: the radius is their midpoint and the interval that gap.

No number is given ("not enough evidence") when there are fewer than
:data:`geo.settings.CALIBRATION_MIN_READINGS` readings, fewer than
:data:`geo.settings.CALIBRATION_MIN_EACH` with or without service, service does not fall
with distance (p ≥ :data:`geo.settings.CALIBRATION_MAX_P` in a likelihood-ratio test against
"service does not depend on distance"), or the radius or its interval runs outside the distances
measured.

With a DEM, :func:`fit_path_loss` fits the terrain model's path-loss threshold the same way: the
covariate is the Hata path loss (dB) from the nearest serving site to each reading in its line of
sight (:func:`geo.analysis.terrain_check.compare`), the threshold the loss where service falls half
way. :func:`write_json` / :func:`read_json` / :func:`read_loss_json` keep the fits in
``calibration.json``, which ``python -m geo report|plan --calibration FILE`` and the app apply as
per-carrier radii (:func:`apply`) and, in terrain mode, as per-carrier path-loss thresholds
(:func:`apply_terrain`). Distances in metres, path losses in dB.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from scipy.special import expit

from geo import settings
from geo.errors import PhusongError
from geo.settings import CoverageParams, TerrainParams

FORMAT = "phusong-calibration"
VERSION = 1
FITTED, NOT_ENOUGH = "fitted", "not_enough_evidence"


@dataclass(frozen=True)
class Fit:
    """The radius one carrier × technology's readings support.

    ``status`` is "fitted" or "not_enough_evidence" (then the radii are NaN); ``why`` says which
    rule refused a number (English, for logs); ``samples`` counts the readings with a serving
    site; ``radius_m``, ``low_m``, ``high_m``: fitted radius and its interval, metres.
    """

    carrier: str
    technology: str
    samples: int
    status: str
    radius_m: float = math.nan
    low_m: float = math.nan
    high_m: float = math.nan
    why: str = ""

    @property
    def fitted(self) -> bool:
        return self.status == FITTED


@dataclass(frozen=True)
class LossFit:
    """The terrain model's path-loss threshold one carrier × technology's readings support.

    ``status``/``why`` as in :class:`Fit`; ``samples`` counts the readings in sight of their
    nearest serving site (the ones fitted); ``in_sight`` the same, ``readings`` all readings of
    the group; ``max_path_loss_db``, ``low_db``, ``high_db``: the Hata path loss (dB) where
    service falls half way and its interval (NaN without a fit).
    """

    carrier: str
    technology: str
    samples: int
    status: str
    max_path_loss_db: float = math.nan
    low_db: float = math.nan
    high_db: float = math.nan
    why: str = ""
    readings: int = 0

    @property
    def fitted(self) -> bool:
        return self.status == FITTED


def service_probability(
    d_km: np.ndarray, radius_km: float, scale_km: float, floor: float, lapse: float
) -> np.ndarray:
    """P(service) at distances ``d_km``: ``1 − lapse`` near the site, ``floor`` far from it, half
    way between at ``radius_km``, the fall ``scale_km`` wide (a logistic curve)."""
    return floor + (1.0 - floor - lapse) * expit((radius_km - d_km) / scale_km)


def _nll(
    theta: np.ndarray,
    d: np.ndarray,
    counts: tuple[np.ndarray, np.ndarray],
    radius_km: float | None = None,
) -> float:
    """Negative log-likelihood of the readings binned at distances ``d`` (km) with ``counts`` =
    (with service, without) per bin; ``theta`` = (radius km, log scale, floor logit, lapse logit),
    or without the radius when ``radius_km`` is fixed (profile)."""
    if radius_km is None:
        radius_km, theta = theta[0], theta[1:]
    floor, lapse = MAX_PLATEAU * expit(theta[1]), MAX_PLATEAU * expit(theta[2])
    p = np.clip(service_probability(d, radius_km, np.exp(theta[0]), floor, lapse), 1e-9, 1 - 1e-9)
    return -float(counts[0] @ np.log(p) + counts[1] @ np.log1p(-p))


# Readings are binned by distance at this step (km, 10 m) before fitting: a phone's GPS fix is no
# better, and the fit's cost then stops growing with the number of readings.
_BIN_KM = 0.01


def _binned(km: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    bins, inverse = np.unique(np.round(km / _BIN_KM).astype(np.int64), return_inverse=True)
    yes = np.bincount(inverse, weights=y.astype(float), minlength=len(bins))
    total = np.bincount(inverse, minlength=len(bins)).astype(float)
    return bins * _BIN_KM, (yes, total - yes)


# Largest share of readings that may disagree with distance at either end (a phone that hears a
# site the layer lacks, a dead spot beside a mast, a mislabelled reading): 0.45 keeps "service
# falls with distance" meaningful.
MAX_PLATEAU = 0.45
_PROFILE_POINTS = 48


def fit_radius(
    distance_m,
    service,
    *,
    carrier: str = "",
    technology: str = "",
    min_readings: int = settings.CALIBRATION_MIN_READINGS,
    min_each: int = settings.CALIBRATION_MIN_EACH,
    max_p: float = settings.CALIBRATION_MAX_P,
    confidence: float = settings.CALIBRATION_CONFIDENCE,
) -> Fit:
    """Fit P(service) on the distance to the nearest serving site (metres; inf = no site, left
    out) and return the radius where service falls half way with its ``confidence`` interval
    (see module doc)."""
    status, n, value, low, high, why = fit_edge(
        distance_m,
        service,
        per_unit=1000.0,
        unit="m",
        min_readings=min_readings,
        min_each=min_each,
        max_p=max_p,
        confidence=confidence,
        what="radius",
        measured="distances",
        quantity="distance",
    )
    return Fit(carrier, technology, n, status, value, low, high, why)


def fit_edge(
    x,
    service,
    *,
    per_unit: float,
    unit: str,
    what: str,
    measured: str,
    quantity: str,
    min_readings: int = settings.CALIBRATION_MIN_READINGS,
    min_each: int = settings.CALIBRATION_MIN_EACH,
    max_p: float = settings.CALIBRATION_MAX_P,
    confidence: float = settings.CALIBRATION_CONFIDENCE,
) -> tuple[str, int, float, float, float, str]:
    """The logistic fall of service with ``x`` (distance in m, path loss in dB, …; non-finite =
    left out): (status, readings, edge, low, high, why) in ``x``'s units, the edge where service
    falls half way, by the rules of the module doc. ``per_unit``: units of ``x`` per fitting unit
    (1000 m = 1 km, 10 dB) so the optimiser stays well scaled; ``unit``, ``what``,
    ``measured``, ``quantity``: words for the reasons given."""
    d = np.asarray(x, float)
    y = np.asarray(service, bool)
    ok = np.isfinite(d)
    d, y = d[ok], y[ok]
    n, yes = len(d), int(y.sum())
    nan = math.nan

    def refuse(why: str):
        return NOT_ENOUGH, n, nan, nan, nan, why

    if n < min_readings:
        return refuse(f"{n} readings, fewer than {min_readings}")
    if min(yes, n - yes) < min_each:
        return refuse(
            f"{yes} with and {n - yes} without service; at least {min_each} of each needed"
        )
    if d[y].max() < d[~y].min():  # perfectly separated
        low, high = float(d[y].max()), float(d[~y].min())
        return (
            FITTED,
            n,
            (low + high) / 2,
            low,
            high,
            "perfect separation: the edge lies between the readings",
        )
    km = d / per_unit  # fitting units (km, 10 dB) keep the optimiser well scaled
    at, counts = _binned(km, y)
    best = _best_fit(at, counts)
    # Likelihood-ratio test against "service does not depend on x" (3 extra parameters).
    share = yes / n
    null = -(yes * math.log(share) + (n - yes) * math.log1p(-share))
    p = float(stats.chi2.sf(2 * (null - best.fun), df=3))
    if not p < max_p:
        return refuse(f"service does not fall with {quantity} (likelihood-ratio p = {p:.2g})")
    r_km = float(best.x[0])
    if not km.min() <= r_km <= km.max():
        return refuse(
            f"the fitted {what} {per_unit * r_km:.0f} {unit} lies outside the "
            f"{measured} measured ({d.min():.0f}–{d.max():.0f} {unit})"
        )
    low, high = _profile_interval(at, counts, best, stats.chi2.ppf(confidence, df=1))
    if low is None or high is None:
        return refuse(f"the interval runs past the {measured} measured")
    return FITTED, n, per_unit * r_km, per_unit * low, per_unit * high, ""


def fit_path_loss(
    loss_db, service, *, carrier: str = "", technology: str = "", **kwargs
) -> LossFit:
    """Fit P(service) on the Hata path loss (dB) from the nearest serving site to each reading in
    its sight (inf = not in sight or no site: left out) by the same rules as :func:`fit_radius`;
    the threshold is the path loss where service falls half way."""
    loss = np.asarray(loss_db, float)
    status, n, value, low, high, why = fit_edge(
        loss,
        service,
        per_unit=10.0,
        unit="dB",
        what="path-loss threshold",
        measured="path losses",
        quantity="path loss",
        **kwargs,
    )
    return LossFit(carrier, technology, n, status, value, low, high, why, readings=len(loss))


def calibrate_path_loss(readings: pd.DataFrame, **kwargs) -> list[LossFit]:
    """One :class:`LossFit` per carrier × technology of ``readings`` (columns carrier,
    technology, path_loss_db, field_service: :func:`geo.analysis.terrain_check.compare`'s
    readings), sorted."""
    return [
        fit_path_loss(
            group["path_loss_db"],
            group["field_service"],
            carrier=carrier,
            technology=tech,
            **kwargs,
        )
        for (carrier, tech), group in readings.groupby(["carrier", "technology"], sort=True)
    ]


def apply_terrain(fits: list[LossFit], terrain: TerrainParams = TerrainParams()) -> TerrainParams:
    """``terrain`` with the fitted path-loss thresholds (dB, rounded to 0.1) as its
    ``max_path_loss_db`` (other thresholds kept)."""
    fitted = {(f.carrier, f.technology): f.max_path_loss_db for f in fits if f.fitted}
    kept = [(c, t, v) for c, t, v in terrain.max_path_loss_db if (c, t) not in fitted]
    new = [(c, t, float(round(v, 1))) for (c, t), v in sorted(fitted.items())]
    return replace(terrain, max_path_loss_db=tuple(kept + new))


def _best_fit(km: np.ndarray, counts: tuple[np.ndarray, np.ndarray]):
    """Maximum-likelihood fit of :func:`service_probability`, started from several radii."""
    from scipy.optimize import minimize

    best = None
    for r0 in np.quantile(km, [0.15, 0.4, 0.65, 0.9]):
        start = np.array([r0, math.log(max(0.05 * r0, 0.01)), -2.0, -2.0])
        res = minimize(
            _nll,
            start,
            args=(km, counts),
            method="Nelder-Mead",
            options={"xatol": 1e-3, "fatol": 1e-3, "maxiter": 4000},
        )
        if best is None or res.fun < best.fun:
            best = res
    return best


def _profile_interval(km: np.ndarray, counts: tuple[np.ndarray, np.ndarray], best, limit: float):
    """(low, high) km where the profile deviance of the radius stays below ``limit``; None for
    a bound that reaches the distances measured."""
    from scipy.optimize import minimize

    r_hat = float(best.x[0])

    def deviance(r: float, start: np.ndarray) -> tuple[float, np.ndarray]:
        res = minimize(
            _nll,
            start,
            args=(km, counts, r),
            method="Nelder-Mead",
            options={"xatol": 1e-3, "fatol": 1e-3, "maxiter": 2000},
        )
        return 2 * (res.fun - best.fun), res.x

    bounds = []
    for edge in (km.min(), km.max()):
        grid = np.linspace(r_hat, edge, _PROFILE_POINTS)[1:]
        start, prev, found = best.x[1:], r_hat, None
        for r in grid:
            dev, start = deviance(float(r), start)
            if dev > limit:  # crossed between prev and r: bisect a few times
                lo_r, hi_r = prev, float(r)
                for _ in range(6):
                    mid = (lo_r + hi_r) / 2
                    if deviance(mid, start)[0] > limit:
                        hi_r = mid
                    else:
                        lo_r = mid
                found = (lo_r + hi_r) / 2
                break
            prev = float(r)
        bounds.append(found)
    return bounds[0], bounds[1]


def calibrate(readings: pd.DataFrame, **kwargs) -> list[Fit]:
    """One :class:`Fit` per carrier × technology of ``readings`` (columns carrier, technology,
    distance_m, field_service: :attr:`geo.analysis.agreement.Comparison.readings`), sorted."""
    fits = []
    for (carrier, tech), group in readings.groupby(["carrier", "technology"], sort=True):
        fits.append(
            fit_radius(
                group["distance_m"],
                group["field_service"],
                carrier=carrier,
                technology=tech,
                **kwargs,
            )
        )
    return fits


def apply(fits: list[Fit], params: CoverageParams = CoverageParams()) -> CoverageParams:
    """``params`` with the fitted radii as per-carrier overrides (other overrides kept; groups
    without a fit keep their radius)."""
    fitted = {(f.carrier, f.technology): f.radius_m for f in fits if f.fitted}
    kept = [(c, t, r) for c, t, r in params.carrier_radius_m if (c, t) not in fitted]
    new = [(c, t, float(round(r))) for (c, t), r in sorted(fitted.items())]
    return replace(params, carrier_radius_m=tuple(kept + new))


def technology_radii(fits: list[Fit]) -> dict[str, float]:
    """Per technology with a fit: the fitted radii of its carriers averaged, weighted by their
    readings (metres): what one slider per technology can show."""
    out = {}
    for tech in settings.TECHNOLOGIES:
        own = [f for f in fits if f.fitted and f.technology == tech]
        if own:
            out[tech] = float(
                np.average([f.radius_m for f in own], weights=[max(f.samples, 1) for f in own])
            )
    return out


def _json_row(fit) -> dict:
    return {
        k: (None if isinstance(v, float) and not math.isfinite(v) else v)
        for k, v in asdict(fit).items()
    }


def to_json(
    fits: list[Fit],
    *,
    source: str = "",
    params: CoverageParams = CoverageParams(),
    loss_fits: list[LossFit] | None = None,
) -> str:
    """The fits as ``calibration.json`` text: format, version, source, the method and each fit
    (radius_before_m: the radius the model used); with ``loss_fits`` (a check over a DEM) also
    ``max_path_loss_db``: the terrain model's fitted path-loss thresholds and their method."""
    rows = []
    for f in fits:
        row = _json_row(f)
        row["radius_before_m"] = params.radius_for(f.technology, f.carrier)
        rows.append(row)
    data = {
        "format": FORMAT,
        "version": VERSION,
        "source": source,
        "method": "maximum-likelihood logistic fall of service with the distance to the nearest "
        "serving site (with near and far plateaus); radius where it falls half way; "
        f"{settings.CALIBRATION_CONFIDENCE:.0%} profile-likelihood interval",
        "fits": rows,
    }
    if loss_fits is not None:
        data["max_path_loss_method"] = (
            "the same fit of service on the Hata path loss (dB) from the nearest serving site, "
            "over the DEM, of the readings in its line of sight; threshold where service falls "
            "half way"
        )
        data["max_path_loss_db"] = [_json_row(f) for f in loss_fits]
    return json.dumps(data, ensure_ascii=False, indent=2)


def write_json(path: str | Path, fits: list[Fit], **kwargs) -> Path:
    """Write :func:`to_json` to ``path`` (UTF-8)."""
    path = Path(path)
    path.write_text(to_json(fits, **kwargs), encoding="utf-8")
    return path


def read_json(path_or_text: str | Path) -> list[Fit]:
    """The fits of a ``calibration.json`` (a path, or its text); :class:`PhusongError` naming
    the file for anything else."""
    return _read(path_or_text)[0]


def read_loss_json(path_or_text: str | Path) -> list[LossFit]:
    """The path-loss thresholds (``max_path_loss_db``) of a ``calibration.json``; empty when the
    check had no DEM. :class:`PhusongError` naming the file for anything malformed."""
    return _read(path_or_text)[1]


def _read(path_or_text: str | Path) -> tuple[list[Fit], list[LossFit]]:
    text, name = path_or_text, "calibration"
    if isinstance(path_or_text, Path) or (
        isinstance(path_or_text, str) and not path_or_text.lstrip().startswith("{")
    ):
        path = Path(path_or_text)
        name = path.name
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise PhusongError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    try:
        data = json.loads(text)
        if data.get("format") != FORMAT:
            raise ValueError(f"not a phusong calibration file (format {data.get('format')!r})")
        fits = []
        for k, row in enumerate(data["fits"], start=1):
            if row["technology"] not in settings.TECHNOLOGIES:
                raise ValueError(f"fit {k}: technology {row['technology']!r}")
            values = {f: row.get(f) for f in Fit.__dataclass_fields__}
            for f in ("radius_m", "low_m", "high_m"):
                values[f] = math.nan if values[f] is None else float(values[f])
            if values["status"] == FITTED and not (values["radius_m"] > 0):
                raise ValueError(f"fit {k}: radius {row.get('radius_m')!r}")
            values["samples"] = int(values["samples"] or 0)
            values["why"] = values["why"] or ""
            fits.append(Fit(**values))
        loss_fits = []
        for k, row in enumerate(data.get("max_path_loss_db") or [], start=1):
            if row["technology"] not in settings.TECHNOLOGIES:
                raise ValueError(f"max_path_loss_db {k}: technology {row['technology']!r}")
            values = {f: row.get(f) for f in LossFit.__dataclass_fields__}
            for f in ("max_path_loss_db", "low_db", "high_db"):
                values[f] = math.nan if values[f] is None else float(values[f])
            if values["status"] == FITTED and not (0 < values["max_path_loss_db"] < 300):
                raise ValueError(f"max_path_loss_db {k}: {row.get('max_path_loss_db')!r} dB")
            values["samples"] = int(values["samples"] or 0)
            values["readings"] = int(values["readings"] or 0)
            values["why"] = values["why"] or ""
            loss_fits.append(LossFit(**values))
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PhusongError(f"{name}: {exc}") from None
    return fits, loss_fits


AGREEMENT_COLUMNS: tuple[str, ...] = (
    "carrier",
    "technology",
    "samples",
    "agreement_before_pct",
    "radius_before_m",
    "radius_fitted_m",
    "radius_low_m",
    "radius_high_m",
    "agreement_after_pct",
)


def agreement_table(
    before: pd.DataFrame,
    after: pd.DataFrame,
    fits: list[Fit],
    params: CoverageParams = CoverageParams(),
) -> pd.DataFrame:
    """Per carrier × technology: readings, agreement before and after calibration (%), the radius
    the model used, the fitted radius and its interval (m; empty where there was not enough
    evidence): the columns of :data:`AGREEMENT_COLUMNS` (``agreement.csv``).

    ``before``/``after``: :attr:`geo.analysis.agreement.Comparison.by_group` under ``params``
    and under :func:`apply` of ``fits``.
    """
    fit_of = {(f.carrier, f.technology): f for f in fits}
    after_pct = after.set_index(["carrier", "technology"])["agreement_pct"]
    rows = []
    for row in before.itertuples(index=False):
        fit = fit_of.get((row.carrier, row.technology))
        fitted = fit is not None and fit.fitted
        rows.append(
            {
                "carrier": row.carrier,
                "technology": row.technology,
                "samples": int(row.samples),
                "agreement_before_pct": round(float(row.agreement_pct), 1),
                "radius_before_m": params.radius_for(row.technology, row.carrier),
                "radius_fitted_m": round(fit.radius_m) if fitted else None,
                "radius_low_m": round(fit.low_m) if fitted else None,
                "radius_high_m": round(fit.high_m) if fitted else None,
                "agreement_after_pct": round(float(after_pct[(row.carrier, row.technology)]), 1),
            }
        )
    table = pd.DataFrame(rows, columns=list(AGREEMENT_COLUMNS))
    for col in ("radius_fitted_m", "radius_low_m", "radius_high_m"):
        table[col] = table[col].astype("Int64")
    return table


__all__ = [
    "AGREEMENT_COLUMNS",
    "FITTED",
    "Fit",
    "LossFit",
    "NOT_ENOUGH",
    "agreement_table",
    "apply",
    "apply_terrain",
    "calibrate",
    "calibrate_path_loss",
    "fit_edge",
    "fit_path_loss",
    "fit_radius",
    "read_json",
    "read_loss_json",
    "technology_radii",
    "to_json",
    "write_json",
]
