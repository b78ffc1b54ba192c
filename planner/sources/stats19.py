"""STATS19 road collisions: killed-or-seriously-injured (KSI) collisions by area and month.

Publisher: Department for Transport, Road Safety Data (STATS19), OGL v3.0. One row per
police-reported personal-injury collision. Severity is per collision (the worst casualty's),
so a KSI collision is a collision with at least one person killed or seriously injured; the
files hold no count of people by severity. Each collision is placed in an area by its
coordinates (point in polygon on the ONS boundaries in EPSG:27700; a point on the edge or
just outside, e.g. on the river, goes to the nearest area within 1 km).
"""

from __future__ import annotations

import logging
import re

import geopandas as gpd
import numpy as np
import pandas as pd

from planner.settings import ANALYSIS_CRS, MAP_CRS
from planner.sources._files import ProblemLog, check_columns, glob_required, read_table

log_ = logging.getLogger(__name__)

FOLDER = "road_casualties"
PATTERNS = ("stats19_london_collisions_[12][0-9][0-9][0-9].csv",)
COLUMNS = ["accident_index", "accident_year", "longitude", "latitude", "accident_severity", "date"]
SEVERITIES = ("Fatal", "Serious", "Slight")
NEAREST_LIMIT_M = 1000.0
_YEAR = re.compile(r"(\d{4})\.csv$")


def load_stats19_collisions(data_dir, areas: gpd.GeoDataFrame) -> pd.DataFrame:
    """Collisions with their area: ``accident_index, year, month, severity, ksi, area_code,
    placed_by``. ``areas`` is the EPSG:27700 area layer from ``load_area_boundaries``.

    ``attrs['years']`` lists the years read (each file covers 1 January to 31 December);
    ``attrs['outside']`` counts collisions more than 1 km outside every area (dropped).
    """
    paths = glob_required(data_dir, FOLDER, PATTERNS)
    log = ProblemLog()
    parts = []
    years: list[int] = []
    for path in paths:
        raw = read_table(path, log, dtype={"accident_index": str, "accident_year": str})
        if raw.empty or not check_columns(raw, path, COLUMNS, log):
            continue
        lon = pd.to_numeric(raw["longitude"], errors="coerce")
        lat = pd.to_numeric(raw["latitude"], errors="coerce")
        bad_xy = lon.isna() | lat.isna() | ~lon.between(-8.7, 1.8) | ~lat.between(49.8, 60.9)
        for i in raw.index[bad_xy][:10]:
            log.add(
                path,
                f"no usable coordinates (longitude {raw.at[i, 'longitude']!r}, "
                f"latitude {raw.at[i, 'latitude']!r}); expected decimal degrees in Great Britain",
                row=int(i) + 2,
                column="longitude",
            )
        severity = raw["accident_severity"].astype(str).str.strip().str.capitalize()
        for i in raw.index[~severity.isin(SEVERITIES)][:10]:
            log.add(
                path,
                f"severity {raw.at[i, 'accident_severity']!r} is not one of Fatal, Serious, Slight",
                row=int(i) + 2,
                column="accident_severity",
            )
        dates = pd.to_datetime(raw["date"], format="%Y/%m/%d", errors="coerce")
        dates = dates.fillna(pd.to_datetime(raw["date"], format="%Y-%m-%d", errors="coerce"))
        for i in raw.index[dates.isna()][:10]:
            log.add(path, f"not a date: {raw.at[i, 'date']!r}", row=int(i) + 2, column="date")
        match = _YEAR.search(path.name)
        file_year = int(match.group(1)) if match else None
        wrong_year = dates.notna() & (dates.dt.year != file_year)
        for i in raw.index[wrong_year][:10]:
            log.add(
                path,
                f"date {raw.at[i, 'date']} is outside the file's year {file_year}",
                row=int(i) + 2,
                column="date",
            )
        dupes = raw["accident_index"].duplicated()
        for i in raw.index[dupes][:10]:
            log.add(path, "collision listed twice", row=int(i) + 2, column="accident_index")
        if file_year is not None:
            years.append(file_year)
        parts.append(
            pd.DataFrame(
                {
                    "accident_index": raw["accident_index"],
                    "date": dates,
                    "severity": severity,
                    "longitude": lon,
                    "latitude": lat,
                }
            )
        )
    log.raise_if_any()
    collisions = pd.concat(parts, ignore_index=True)
    placed = _place_in_areas(collisions, areas)
    placed.attrs["years"] = sorted(years)
    return placed


def _place_in_areas(collisions: pd.DataFrame, areas: gpd.GeoDataFrame) -> pd.DataFrame:
    points = gpd.GeoDataFrame(
        collisions,
        geometry=gpd.points_from_xy(collisions["longitude"], collisions["latitude"]),
        crs=MAP_CRS,
    ).to_crs(ANALYSIS_CRS)
    polygons = areas[["area_code", "geometry"]].to_crs(ANALYSIS_CRS)
    inside = gpd.sjoin(points, polygons, how="left", predicate="within")
    inside = inside[~inside.index.duplicated(keep="first")]
    area_code = inside["area_code"].reindex(points.index)
    placed_by = np.where(area_code.notna(), "within", "")
    outside = area_code.isna()
    if outside.any():
        near = gpd.sjoin_nearest(
            points[outside], polygons, how="left", max_distance=NEAREST_LIMIT_M
        )
        near = near[~near.index.duplicated(keep="first")]
        area_code[outside] = near["area_code"]
        placed_by = np.where(outside & area_code.notna(), "nearest", placed_by)
    out = pd.DataFrame(
        {
            "accident_index": collisions["accident_index"],
            "year": collisions["date"].dt.year,
            "month": collisions["date"].dt.strftime("%Y-%m"),
            "severity": collisions["severity"],
            "ksi": collisions["severity"].isin(["Fatal", "Serious"]),
            "area_code": area_code,
            "placed_by": placed_by,
        }
    )
    dropped = int(out["area_code"].isna().sum())
    if dropped:
        log_.info("%d collisions lie more than %.0f m outside every area", dropped, NEAREST_LIMIT_M)
    out = out[out["area_code"].notna()].reset_index(drop=True)
    out.attrs["outside"] = dropped
    return out
