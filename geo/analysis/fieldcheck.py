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
import pandas as pd

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


def check(dataset: Dataset, readings: gpd.GeoDataFrame, *, vintage: str = "legacy",
          params: CoverageParams = CoverageParams()) -> FieldCheck:
    """Check ``dataset``'s BTS sites under ``params`` against ``readings``
    (:mod:`geo.io.measurements` layer, any CRS); see the module doc."""
    prepared = gaps.prepare(dataset, vintage=vintage)
    before = agreement.compare(readings, dataset.bts_sites, params=params,
                               communes=prepared.units, crs=prepared.crs)
    fits = calibration.calibrate(before.readings)
    after = agreement.compare(readings, dataset.bts_sites, params=calibration.apply(fits, params),
                              communes=prepared.units, crs=prepared.crs)
    table = calibration.agreement_table(before.by_group, after.by_group, fits, params)
    conf, layer = agreement.confidence(before, prepared.units, people=gaps.people_shares(prepared))
    return FieldCheck(before, after, fits, table, conf, layer, prepared.units)


__all__ = ["FieldCheck", "check"]
