"""Building dataset folders: approximate communes for any area, plus illustrative sites.

The embedded default ``data/dakrong`` is built by ``scripts/build_dakrong.py`` through
:func:`build_area_dataset` with the facts of the source article; ``python -m geo build-dataset``
builds the same kind of folder for any district or province in ``vietnamadminunits``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.build import boundaries, illustrative
from geo.io import population
from geo import settings
from geo.crs import working_crs
from geo.errors import PhusongError
from geo.io.files import write_atomic


@dataclass(frozen=True)
class SitePlan:
    """How many illustrative sites to place (counts from a cited source where one exists)."""

    clusters: int | None = None  # None: 10 per commune
    district_station_code: str | None = None  # None: the town (thị trấn) or the largest commune
    shops_by_code: dict[str, int] = field(
        default_factory=dict
    )  # empty: one in the station's commune
    communes_without_modern: int | None = None  # None: 15 % of communes, at least one


def build_area_dataset(
    out_dir: str | Path,
    *,
    district_code: str | None = None,
    province_code: str | None = None,
    illustrative_sites: bool = True,
    facts: pd.DataFrame | None = None,
    plan: SitePlan = SitePlan(),
    name: str | None = None,
    sources: tuple[str | dict[str, str], ...] = (),
    population_grid: str | Path | None = None,
) -> Path:
    """Write a dataset folder for a legacy district or province.

    Parameters
    ----------
    out_dir : folder to write (created; existing layer files are replaced).
    district_code, province_code : GSO codes of the area (pre-2025 scheme); give one.
    illustrative_sites : place illustrative BTS, loudspeakers and internet points (labelled so);
        without it the point layers are written empty, with their headers, to be filled.
    facts : optional table by ``code`` with population, population_source, especially_difficult.
    plan : counts of illustrative sites.
    population_grid : a population GeoTIFF (people per cell, e.g. WorldPop's grid of Viet Nam):
        clipped to the area plus a margin into ``population.tif``, with its attribution beside it
        (``population_SOURCE.md``) and in ``dataset.json``; illustrative sites then stand where
        its people live. None: no grid (people spread evenly over each commune).
    """
    units = boundaries.legacy_units(district_code=district_code, province_code=province_code)
    communes = boundaries.approximate_communes(units)
    centres = units[["code", "lat", "lon", "unit_type"]].rename(
        columns={"lat": "centre_lat", "lon": "centre_lon"}
    )
    communes = communes.merge(centres, on="code", how="left")
    communes = _with_facts(communes, facts)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    keep = [
        "code",
        "name",
        "population",
        "population_source",
        "especially_difficult",
        "code_2025",
        "name_2025",
        "centre_lat",
        "centre_lon",
        "area_km2",
        "geometry",
    ]
    layer = communes[keep].copy()
    layer["area_km2"] = layer["area_km2"].round(3)
    layer["geometry"] = layer.geometry.set_precision(1e-6)
    write_atomic(out / "communes.geojson", layer.to_json(drop_id=True).encode("utf-8"))

    metric = communes.to_crs(working_crs(communes))
    if population_grid is not None:
        population.clip_grid(
            population_grid,
            out / "population.tif",
            area=communes,
            margin_m=settings.POPULATION_CLIP_MARGIN_M,
        )
        write_atomic(
            out / "population_SOURCE.md", _grid_note(Path(population_grid)).encode("utf-8")
        )
    else:
        (out / "population.tif").unlink(
            missing_ok=True
        )  # a rebuild without a grid drops the old one
        (out / "population_SOURCE.md").unlink(missing_ok=True)
    people = None
    if population_grid is not None:  # sites where the (clipped) grid says people live
        grid = population.read_grid(out / "population.tif", area=communes)
        people = population.cell_people(metric, grid)
        metric["population"] = metric["population"].fillna(
            pd.Series(people.population, index=metric.index)
        )
    if illustrative_sites:
        town = plan.district_station_code or _town_code(metric)
        without = plan.communes_without_modern
        if without is None:
            without = max(1, round(0.15 * len(metric)))
        layers = {
            "bts_sites": illustrative.bts_sites(
                metric, without_modern=without, town_code=town, people=people
            ),
            "loudspeakers": illustrative.loudspeakers(
                metric,
                clusters=plan.clusters if plan.clusters is not None else 10 * len(metric),
                district_station_code=town,
                people=people,
            ),
            "internet_points": illustrative.internet_points(
                metric, plan.shops_by_code or {town: 1}, people=people
            ),
        }
        for layer_name, points in layers.items():
            table = illustrative.as_csv_table(points)
            write_atomic(out / f"{layer_name}.csv", table.to_csv(index=False).encode("utf-8"))
    else:
        for layer_name, header in (
            ("bts_sites", "site_id,lat,lon,carrier,technologies,height_m"),
            ("loudspeakers", "id,lat,lon,kind,radius_m"),
            ("internet_points", "id,lat,lon,kind"),
        ):
            write_atomic(out / f"{layer_name}.csv", (header + "\n").encode("utf-8"))

    title = name or _area_title(units, district_code)
    meta = {
        "name": title,
        "sources": (
            list(sources)
            or [
                {
                    "vi": "Ranh giới xã: ước lượng bởi phusong từ tâm và khung bao của gói vietnamadminunits "
                    "(MIT); không phải ranh giới đo đạc",
                    "en": "Commune polygons: approximated by phusong from commune centroids and bounding "
                    "boxes of the vietnamadminunits package (MIT); not surveyed boundaries",
                }
            ]
        )
        + (
            [
                settings.WORLDPOP_SOURCE
                if _is_worldpop(population_grid)
                else f"Population grid: {Path(population_grid).name}"
            ]
            if population_grid is not None
            else []
        ),
    }
    write_atomic(
        out / "dataset.json",
        (json.dumps(meta, ensure_ascii=False, indent=1) + "\n").encode("utf-8"),
    )
    return out


def _is_worldpop(path: str | Path) -> bool:
    return Path(path).name == settings.WORLDPOP_FILE


def _grid_note(path: Path) -> str:
    """The attribution kept beside a clipped population grid."""
    if _is_worldpop(path):
        return (
            "# population.tif\n\nA clip of WorldPop's 2020 population grid of Viet Nam "
            f"(`{settings.WORLDPOP_FILE}`): estimated people per cell of 30 arc-seconds "
            "(≈ 1 km), UN-adjusted, EPSG:4326, nodata −99999. Clipped by phusong "
            "(`geo/io/population.py`, `clip_grid`) to the communes plus "
            f"{settings.POPULATION_CLIP_MARGIN_M / 1000:g} km; values unchanged.\n\n"
            f"{settings.WORLDPOP_SOURCE['en']}.\n"
        )
    return (
        f"# population.tif\n\nA clip of the population grid `{path.name}` (people per cell), "
        "made by phusong (`geo/io/population.py`); give its source and licence here.\n"
    )


def _with_facts(communes: gpd.GeoDataFrame, facts: pd.DataFrame | None) -> gpd.GeoDataFrame:
    out = communes.copy()
    out["population"] = np.nan
    out["population_source"] = ""
    out["especially_difficult"] = False
    if facts is None:
        return out
    facts = facts.astype({"code": str}).set_index("code")
    unknown = sorted(set(facts.index) - set(out["code"]))
    if unknown:
        raise PhusongError(f"facts name commune codes not in the area: {', '.join(unknown)}")
    for column in ("population", "population_source", "especially_difficult"):
        if column in facts:
            values = out["code"].map(facts[column])
            out[column] = values.where(values.notna(), out[column])
    out["population"] = pd.to_numeric(out["population"], errors="coerce")
    out["especially_difficult"] = out["especially_difficult"].astype(bool)
    return out


def _town_code(communes: gpd.GeoDataFrame) -> str:
    """The district town (thị trấn) if there is one, else the most populated commune."""
    towns = communes[communes["unit_type"].fillna("").str.lower().str.startswith("thị trấn")]
    if len(towns):
        return str(towns["code"].iloc[0])
    return str(communes.sort_values("population", ascending=False)["code"].iloc[0])


def _area_title(units: pd.DataFrame, district_code: str | None) -> str:
    first = units.iloc[0]
    if district_code:
        return f"{first['district']} ({first['province']})"
    return str(first["province"])
