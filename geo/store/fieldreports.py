"""Field reports: what someone found when trying a service at a place ("Viettel 4G: weak here").

Each report is a point (WGS 84 longitude/latitude), the carrier and technology tried, the result
(``yes`` / ``weak`` / ``no``), a note, the date it was observed, who observed it (``reporter``),
and who recorded it and when (``created_by``, ``created_at`` UTC). Reports are only added; one
insert is one transaction. The recording form lives with the field measurements (issue 12).
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import shapely
import sqlalchemy as sa

from geo import settings
from geo.errors import PhusongError
from geo.io import measurements
from geo.store import engine, schema, versions

SERVICES = ("yes", "weak", "no")
COLUMNS = (
    "id",
    "carrier",
    "technology",
    "service",
    "note",
    "observed_on",
    "reporter",
    "created_by",
    "created_at",
)


def add_field_report(
    *,
    lon: float,
    lat: float,
    service: str,
    observed_on: str | dt.date,
    reporter: str,
    carrier: str | None = None,
    technology: str | None = None,
    note: str = "",
    created_by: str | None = None,
    url: str | None = None,
) -> int:
    """Record one field report; returns its id. ``lon``/``lat`` in degrees (EPSG:4326)."""
    if service not in SERVICES:
        raise PhusongError(f"service must be one of {', '.join(SERVICES)}; got {service!r}")
    if carrier is not None and carrier not in settings.CARRIERS:
        raise PhusongError(
            f"carrier must be one of {', '.join(settings.CARRIERS)}; got {carrier!r}"
        )
    if technology is not None and technology not in settings.TECHNOLOGIES:
        raise PhusongError(
            f"technology must be one of {', '.join(settings.TECHNOLOGIES)}; got {technology!r}"
        )
    try:
        lon, lat = float(lon), float(lat)
    except (TypeError, ValueError):
        raise PhusongError(f"longitude/latitude must be numbers; got {lon!r}, {lat!r}") from None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise PhusongError(f"longitude {lon} / latitude {lat} is not a place on Earth")
    when = versions.check_date(observed_on)
    if when is None:
        raise PhusongError("a field report needs the date it was observed (YYYY-MM-DD)")
    if not (reporter or "").strip():
        raise PhusongError("a field report needs its reporter")
    row = {
        "geom": shapely.Point(lon, lat),
        "carrier": carrier,
        "technology": technology,
        "service": service,
        "note": note or "",
        "observed_on": when,
        "reporter": reporter.strip(),
        "created_by": (created_by or "").strip() or versions.default_user(),
        "created_at": versions.now_utc(),
    }
    with engine.transaction(url) as conn:
        return conn.execute(
            sa.insert(schema.field_reports).values(**row).returning(schema.field_reports.c.id)
        ).scalar_one()


def field_reports(url: str | None = None) -> gpd.GeoDataFrame:
    """Every field report, oldest first: :data:`COLUMNS` and point geometries in EPSG:4326."""
    f = schema.field_reports
    with engine.engine(url).connect() as conn:
        rows = conn.execute(sa.select(f).order_by(f.c.id)).all()
    frame = pd.DataFrame([{c: getattr(r, c) for c in COLUMNS} for r in rows], columns=list(COLUMNS))
    frame["id"] = frame["id"].astype("int64")
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([r.geom for r in rows], crs=4326))


def count_reports(url: str | None = None) -> int:
    """How many field reports the workspace keeps."""
    with engine.engine(url).connect() as conn:
        return conn.execute(
            sa.select(sa.func.count()).select_from(schema.field_reports)
        ).scalar_one()


def reports_layer_csv(url: str | None = None) -> bytes:
    """Every stored field report as the residents' reports layer (UTF-8 CSV with a BOM, columns
    ``geo.io.measurements.REPORT_COLUMNS``, WGS 84 degrees): what ``geo check --reports`` and the
    app's field check read, and what a user exports."""
    stored = field_reports(url)
    frame = pd.DataFrame(
        {
            "lat": stored.geometry.y.round(6) if len(stored) else [],
            "lon": stored.geometry.x.round(6) if len(stored) else [],
            "carrier": stored["carrier"],
            "technology": stored["technology"],
            "service": stored["service"],
            "note": stored["note"],
            "date": stored["observed_on"],
            "reporter": stored["reporter"],
        },
        columns=list(measurements.REPORT_COLUMNS),
    )
    return frame.to_csv(index=False).encode("utf-8-sig")
