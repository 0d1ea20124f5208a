"""Fit the circle model to the field: the radius the readings support, per carrier × technology.

For each carrier × technology, :func:`fit_radius` fits a logistic regression of service (yes or
weak = 1, no = 0; :func:`geo.io.measurements.has_service`) on the distance to the nearest site of
that carrier serving that technology (statsmodels ``Logit``, maximum likelihood):
P(service | d) = 1 / (1 + exp(−(b0 + b1·d))). The fitted radius is where P = 0.5, r = −b0/b1, with
a confidence interval by the delta method from the fit's covariance. When the readings separate
perfectly (every reading with service nearer than every one without), the edge lies between the
farthest reading with service and the nearest without: the radius is their midpoint and the
interval that gap.

No number is given ("not enough evidence") when there are fewer than
:data:`geo.settings.CALIBRATION_MIN_READINGS` readings, fewer than
:data:`geo.settings.CALIBRATION_MIN_EACH` with or without service, the slope is not negative with
p < :data:`geo.settings.CALIBRATION_MAX_P`, or the radius falls outside the distances measured.

The terrain model's path-loss threshold is not fitted here (circle radii only).
:func:`write_json` / :func:`read_json` keep the fits in ``calibration.json``, which
``python -m geo report|plan --calibration FILE`` and the app apply as per-carrier radii
(:func:`apply`). Distances in metres.
"""

from __future__ import annotations

import json
import math
import warnings
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats

from geo import settings
from geo.errors import PhusongError
from geo.io.measurements import has_service
from geo.settings import CoverageParams

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


def fit_radius(distance_m, service, *, carrier: str = "", technology: str = "",
               min_readings: int = settings.CALIBRATION_MIN_READINGS,
               min_each: int = settings.CALIBRATION_MIN_EACH,
               max_p: float = settings.CALIBRATION_MAX_P,
               confidence: float = settings.CALIBRATION_CONFIDENCE) -> Fit:
    """Fit P(service) on the distance to the nearest serving site (metres; inf = no site, left
    out) and return the radius where P = 0.5 with its ``confidence`` interval (see module doc)."""
    d = np.asarray(distance_m, float)
    y = np.asarray(service, bool)
    ok = np.isfinite(d)
    d, y = d[ok], y[ok]
    n, yes = len(d), int(y.sum())

    def refuse(why: str) -> Fit:
        return Fit(carrier, technology, n, NOT_ENOUGH, why=why)

    if n < min_readings:
        return refuse(f"{n} readings, fewer than {min_readings}")
    if min(yes, n - yes) < min_each:
        return refuse(f"{yes} with and {n - yes} without service; at least {min_each} of each "
                      "needed")
    if d[y].max() < d[~y].min():
        low, high = float(d[y].max()), float(d[~y].min())  # perfectly separated
        return Fit(carrier, technology, n, FITTED, (low + high) / 2, low, high,
                   "perfect separation: the edge lies between the readings")
    import statsmodels.api as sm

    km = d / 1000.0  # a slope per km keeps the optimiser well scaled
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = sm.Logit(y.astype(float), sm.add_constant(km, has_constant="add")).fit(
                disp=0, maxiter=200)
    except Exception as exc:  # separation, singular matrix: no usable fit
        return refuse(f"no usable fit ({type(exc).__name__})")
    b0, b1 = (float(v) for v in result.params)
    p = float(result.pvalues[1])
    if not (b1 < 0 and p < max_p):
        return refuse(f"service does not fall with distance (slope {b1:.3g}/km, p = {p:.2g})")
    r_km = -b0 / b1
    grad = np.array([-1.0 / b1, b0 / b1 ** 2])
    se = float(np.sqrt(grad @ np.asarray(result.cov_params()) @ grad))
    z = float(stats.norm.ppf(0.5 + confidence / 2))
    radius, low, high = 1000 * r_km, 1000 * (r_km - z * se), 1000 * (r_km + z * se)
    if not (km.min() <= r_km <= km.max()) or not np.isfinite(se):
        return refuse(f"the fitted radius {radius:.0f} m lies outside the distances measured "
                      f"({d.min():.0f}–{d.max():.0f} m)")
    return Fit(carrier, technology, n, FITTED, radius, max(low, 0.0), high)


def calibrate(readings: pd.DataFrame, **kwargs) -> list[Fit]:
    """One :class:`Fit` per carrier × technology of ``readings`` (columns carrier, technology,
    distance_m, field_service: :attr:`geo.analysis.agreement.Comparison.readings`), sorted."""
    fits = []
    for (carrier, tech), group in readings.groupby(["carrier", "technology"], sort=True):
        fits.append(fit_radius(group["distance_m"], group["field_service"], carrier=carrier,
                               technology=tech, **kwargs))
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
            out[tech] = float(np.average([f.radius_m for f in own],
                                         weights=[max(f.samples, 1) for f in own]))
    return out


def to_json(fits: list[Fit], *, source: str = "", params: CoverageParams = CoverageParams()) -> str:
    """The fits as ``calibration.json`` text: format, version, source, the method and each fit
    (radius_before_m: the radius the model used)."""
    rows = []
    for f in fits:
        row = {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
               for k, v in asdict(f).items()}
        row["radius_before_m"] = params.radius_for(f.technology, f.carrier)
        rows.append(row)
    return json.dumps({
        "format": FORMAT, "version": VERSION, "source": source,
        "method": "logistic regression of service on the distance to the nearest serving site; "
                  "radius where P(service) = 0.5; delta-method "
                  f"{settings.CALIBRATION_CONFIDENCE:.0%} interval",
        "fits": rows}, ensure_ascii=False, indent=2)


def write_json(path: str | Path, fits: list[Fit], **kwargs) -> Path:
    """Write :func:`to_json` to ``path`` (UTF-8)."""
    path = Path(path)
    path.write_text(to_json(fits, **kwargs), encoding="utf-8")
    return path


def read_json(path_or_text: str | Path) -> list[Fit]:
    """The fits of a ``calibration.json`` (a path, or its text); :class:`PhusongError` naming
    the file for anything else."""
    text, name = path_or_text, "calibration"
    if isinstance(path_or_text, Path) or (isinstance(path_or_text, str)
                                          and not path_or_text.lstrip().startswith("{")):
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
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PhusongError(f"{name}: {exc}") from None
    return fits




AGREEMENT_COLUMNS: tuple[str, ...] = ("carrier", "technology", "samples", "agreement_before_pct",
                                      "radius_before_m", "radius_fitted_m", "radius_low_m",
                                      "radius_high_m", "agreement_after_pct")


def agreement_table(before: pd.DataFrame, after: pd.DataFrame, fits: list[Fit],
                    params: CoverageParams = CoverageParams()) -> pd.DataFrame:
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
        rows.append({
            "carrier": row.carrier, "technology": row.technology, "samples": int(row.samples),
            "agreement_before_pct": round(float(row.agreement_pct), 1),
            "radius_before_m": params.radius_for(row.technology, row.carrier),
            "radius_fitted_m": round(fit.radius_m) if fitted else None,
            "radius_low_m": round(fit.low_m) if fitted else None,
            "radius_high_m": round(fit.high_m) if fitted else None,
            "agreement_after_pct": round(float(after_pct[(row.carrier, row.technology)]), 1)})
    table = pd.DataFrame(rows, columns=list(AGREEMENT_COLUMNS))
    for col in ("radius_fitted_m", "radius_low_m", "radius_high_m"):
        table[col] = table[col].astype("Int64")
    return table


__all__ = ["AGREEMENT_COLUMNS", "FITTED", "Fit", "NOT_ENOUGH", "agreement_table", "apply",
           "calibrate", "fit_radius", "read_json", "technology_radii", "to_json", "write_json"]
