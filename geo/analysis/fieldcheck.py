"""One check of a dataset against field readings, as ``python -m geo check`` and the app run it.

:func:`check` compares the readings with the circle model under the given parameters
(:func:`geo.analysis.agreement.compare`), fits the radius each carrier × technology's readings
support (:func:`geo.analysis.calibration.calibrate`), compares again with the fitted radii, and
says per commune how much rests on evidence (:func:`geo.analysis.agreement.confidence`), all in
the working UTM CRS of the vintage's communes.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import i18n, settings
from geo.analysis import gaps
from geo.analysis import agreement, calibration
from geo.io.loading import Dataset
from geo.settings import CoverageParams


@dataclass
class FieldCheck:
    """The outcome of :func:`check`: comparisons before and after calibration, the fits, the
    ``agreement.csv`` table, the per-commune confidence table and map layer, and the communes
    (units of the vintage, working CRS)."""

    before: agreement.Comparison
    after: agreement.Comparison
    fits: list[calibration.Fit]
    table: pd.DataFrame
    confidence: pd.DataFrame
    confidence_layer: gpd.GeoDataFrame
    units: gpd.GeoDataFrame

    @property
    def calibrated(self) -> CoverageParams:
        """The parameters with the fitted radii applied."""
        return self.after.params

    def communes_table(self) -> pd.DataFrame:
        """Per commune: the confidence table with the confusion counts beside it."""
        counts = self.before.by_commune.drop(columns=["commune", "samples", "agreement_pct"])
        return self.confidence.merge(counts, on="code", how="left")


def check(
    dataset: Dataset,
    readings: gpd.GeoDataFrame,
    *,
    vintage: str = "legacy",
    params: CoverageParams = CoverageParams(),
) -> FieldCheck:
    """Check ``dataset``'s BTS sites under ``params`` against ``readings``
    (:mod:`geo.io.measurements` layer, any CRS); see the module doc."""
    prepared = gaps.prepare(dataset, vintage=vintage)
    before = agreement.compare(
        readings, dataset.bts_sites, params=params, communes=prepared.units, crs=prepared.crs
    )
    fits = calibration.calibrate(before.readings)
    after = agreement.compare(
        readings,
        dataset.bts_sites,
        params=calibration.apply(fits, params),
        communes=prepared.units,
        crs=prepared.crs,
    )
    table = calibration.agreement_table(before.by_group, after.by_group, fits, params)
    conf, layer = agreement.confidence(before, prepared.units, people=gaps.people_shares(prepared))
    return FieldCheck(before, after, fits, table, conf, layer, prepared.units)


def evidence_shares(result: FieldCheck) -> dict[str, float]:
    """Over all communes: the shares (%) of the area with evidence, checked, contradicted and
    unchecked (weighted by the communes' areas, working CRS) and of the people with evidence
    (weighted by the communes' population; NaN where a commune's population is unknown)."""
    conf = result.confidence
    area = shapely.area(result.units.geometry.to_numpy())
    out = {
        k: float(np.average(conf[f"{k}_area_pct"], weights=area)) if area.sum() > 0 else np.nan
        for k in ("evidence", "checked", "contradicted", "unchecked")
    }
    people = (
        result.units["population"].to_numpy(float)
        if "population" in result.units
        else np.full(len(conf), np.nan)
    )
    share = conf["evidence_people_pct"].to_numpy(float)
    out["people"] = (
        float(np.average(share, weights=people))
        if np.isfinite(people).all() and np.isfinite(share).all() and people.sum() > 0
        else np.nan
    )
    return out


def evidence_notes(result: FieldCheck, source: str = "") -> tuple[i18n.Note, ...]:
    """How much of the figures rests on field evidence, as notes for the exports (settings.csv,
    the XLSX's settings, the snapshot and report.pdf): one ``evidence`` note over all communes,
    then one ``evidence_commune`` note per commune (its code in the values; the one-page snapshot
    leaves these out, each commune page of report.pdf shows its own). Percentages, one decimal;
    evidence = within :data:`geo.settings.EVIDENCE_M` of a reading
    (:func:`geo.analysis.agreement.confidence`)."""
    shares = evidence_shares(result)
    n = len(result.before.readings)
    notes = [
        i18n.note(
            "evidence",
            decimals=1,
            n=n,
            source=source or "–",
            m=int(settings.EVIDENCE_M),
            area=shares["evidence"],
            people=shares["people"],
            checked=shares["checked"],
            contradicted=shares["contradicted"],
            unchecked=shares["unchecked"],
            agree=result.before.agreement_pct,
        )
    ]
    for row in result.confidence.itertuples(index=False):
        notes.append(
            i18n.note(
                "evidence_commune",
                decimals=1,
                code=str(row.code),
                commune=str(row.commune),
                area=float(row.evidence_area_pct),
                people=float(row.evidence_people_pct),
                checked=float(row.checked_area_pct),
                contradicted=float(row.contradicted_area_pct),
                n=int(row.samples),
                agree=float(row.agreement_pct),
                status=i18n.note(f"evidence_{row.status}"),
            )
        )
    return tuple(notes)


__all__ = ["FieldCheck", "check", "evidence_notes", "evidence_shares"]
