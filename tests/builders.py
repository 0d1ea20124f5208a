"""Small synthetic datasets for tests, built in code (metric squares near Đakrông, UTM 48N)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from geo.io.loading import Dataset

UTM48N = "EPSG:32648"
# A point at about 16.5° N, 106.9° E in UTM 48N (metres).
X0, Y0 = 710_000.0, 1_825_000.0


def square(x: float, y: float, size_m: float) -> shapely.Polygon:
    """Axis-aligned square with lower-left corner (x, y), metres."""
    return shapely.box(x, y, x + size_m, y + size_m)


def communes(rows: list[dict]) -> gpd.GeoDataFrame:
    """Commune layer in EPSG:4326 from rows with 'geometry' in UTM 48N metres."""
    frame = pd.DataFrame(rows)
    for column, default in (
        ("population", float("nan")),
        ("population_source", ""),
        ("especially_difficult", False),
        ("code_2025", ""),
        ("name_2025", ""),
    ):
        if column not in frame:
            frame[column] = default
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=UTM48N).to_crs(4326)


def points(rows: list[dict], defaults: dict) -> gpd.GeoDataFrame:
    """Point layer in EPSG:4326 from rows with 'x', 'y' in UTM 48N metres."""
    frame = (
        pd.DataFrame([{**defaults, **r} for r in rows])
        if rows
        else pd.DataFrame(columns=list(defaults) + ["x", "y"])
    )
    geometry = gpd.points_from_xy(frame.pop("x").astype(float), frame.pop("y").astype(float))
    return gpd.GeoDataFrame(frame, geometry=geometry, crs=UTM48N).to_crs(4326)


def dataset(
    commune_rows: list[dict],
    *,
    bts: list[dict] = (),
    loudspeakers: list[dict] = (),
    internet: list[dict] = (),
    settlements: list[dict] | None = None,
) -> Dataset:
    """A Dataset from plain rows; coordinates in UTM 48N metres."""
    return Dataset(
        communes=communes(commune_rows),
        bts_sites=points(
            list(bts),
            {
                "site_id": "s",
                "carrier": "Viettel",
                "technologies": "4G",
                "height_m": 30.0,
                "illustrative": False,
            },
        ),
        loudspeakers=points(
            list(loudspeakers),
            {"id": "l", "kind": "cluster", "radius_m": float("nan"), "illustrative": False},
        ),
        internet_points=points(
            list(internet), {"id": "i", "kind": "internet_shop", "illustrative": False}
        ),
        settlements=None
        if settlements is None
        else points(settlements, {"name": "v", "population": 0.0}),
        name="test",
    )


def write_folder(ds: Dataset, folder) -> None:
    """Write ``ds`` as a dataset folder (communes GeoJSON, point layers CSV with lat/lon)."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    ds.communes.to_file(folder / "communes.geojson", driver="GeoJSON")
    for name, layer in ds.sites.items():
        table = pd.DataFrame(layer.drop(columns="geometry"))
        table.insert(1, "lat", layer.geometry.y)
        table.insert(2, "lon", layer.geometry.x)
        table.to_csv(folder / f"{name}.csv", index=False)
