"""Everything the planner reads from the data folder, loaded and shaped for the demand model.

This is the seam between the official files (``planner.sources``) and the pure analysis
(``planner.demand``): it turns each publisher's table into one monthly series per need.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd

from planner.areas import AreaSet, load_area_set
from planner.assumptions import Assumptions, load_assumptions
from planner.demand import RECORDING_BREAK, NeedSeries, month_range
from planner.errors import DataFileError, MissingDataError, PlannerError, Problem
from planner.settings import Settings
from planner.sources import boundaries, mps_crime, mps_dashboard, population, stats19
from planner.sources.fetch import SourceFile, load_manifest

log = logging.getLogger(__name__)

SEXUAL_VIOLENCE_CATEGORIES = ("RAPE", "OTHER SEXUAL OFFENCES")


def _zero_filled(
    frame: pd.DataFrame, area_codes: list[str], months: list[str], value: str
) -> pd.DataFrame:
    grid = pd.MultiIndex.from_product([area_codes, months], names=["area_code", "month"])
    counts = (
        frame.dropna(subset=["area_code"])
        .groupby(["area_code", "month"])[value]
        .sum()
        .reindex(grid, fill_value=0)
    )
    return counts.rename("recorded").reset_index()


def _london(frame: pd.DataFrame, months: list[str], value: str) -> pd.DataFrame:
    totals = frame.groupby("month")[value].sum().reindex(months, fill_value=0)
    return totals.rename("recorded").rename_axis("month").reset_index()


def series_from_police(
    frame: pd.DataFrame, need: str, area_set: AreaSet, *, source: str, value: str = "offences"
) -> NeedSeries:
    """A need's series from a police table with ``month, area_code, <value>`` rows."""
    months = sorted(frame["month"].unique())
    policed = [a.code for a in area_set.areas if area_set.police_covered(a.code)]
    return NeedSeries(
        need=need,
        counts=_zero_filled(frame, policed, months, value),
        months=tuple(months),
        london=_london(frame, months, value),
        source=source,
        recording_break=RECORDING_BREAK if months and months[0] < RECORDING_BREAK else None,
    )


def series_from_collisions(collisions: pd.DataFrame, area_set: AreaSet) -> NeedSeries:
    """Road harm: KSI collisions per area and month; each file year covers Jan to Dec."""
    years = collisions.attrs.get("years") or sorted(collisions["year"].unique())
    months = [m for y in years for m in month_range(f"{y}-12", 12)]
    ksi = collisions[collisions["ksi"]].assign(collisions=1)
    parts = {
        part: _zero_filled(ksi[ksi["severity"] == severity], area_set.codes, months, "collisions")
        for part, severity in (("fatal", "Fatal"), ("serious", "Serious"))
    }
    return NeedSeries(
        parts=parts,
        need="road_harm",
        counts=_zero_filled(ksi, area_set.codes, months, "collisions"),
        months=tuple(months),
        london=_london(ksi, months, "collisions"),
        source="DfT STATS19 road collisions (killed or seriously injured collisions), "
        + ", ".join(str(y) for y in years),
    )


@dataclass(frozen=True)
class PlannerData:
    """The loaded inputs of one run: area set, geometry, population, assumptions, series."""

    area_set: AreaSet
    assumptions: Assumptions
    boundaries: gpd.GeoDataFrame
    population: pd.DataFrame
    series: dict[str, NeedSeries]
    data_dir: Path
    cache_dir: Path | None = None
    """Where parsed files are kept (:mod:`planner.parsed`); None: parse every time."""


def load_need_series(
    data_dir: Path, area_set: AreaSet, area_boundaries: gpd.GeoDataFrame
) -> dict[str, NeedSeries]:
    """Load every need's monthly series from the official files."""
    crime = mps_crime.load_mps_borough_crime(data_dir, area_set)
    crime_source = (
        "MPS Recorded Crime: Geographic Breakdown ("
        + ", ".join(sorted(crime["source"].unique()))
        + ")"
    )
    homicide = crime[crime["minor_category"].str.upper() == "HOMICIDE"]
    sexual = crime[crime["minor_category"].str.upper().isin(SEXUAL_VIOLENCE_CATEGORIES)]
    dashboard = "MPS Monthly Crime Dashboard (other crime data)"
    hate = mps_dashboard.load_dashboard_offences(
        data_dir, area_set, crime_type=mps_dashboard.HATE_CRIME
    )
    hate_total = hate[hate["subtype"] == "hate crime"]
    return {
        "domestic_abuse": series_from_police(
            mps_dashboard.load_domestic_abuse(data_dir, area_set),
            "domestic_abuse",
            area_set,
            source=dashboard + ": domestic abuse flagged offences",
        ),
        "sexual_violence": series_from_police(
            sexual, "sexual_violence", area_set, source=crime_source + ": rape, other sexual"
        ),
        "homicide": series_from_police(
            homicide, "homicide", area_set, source=crime_source + ": homicide"
        ),
        "road_harm": series_from_collisions(
            stats19.load_stats19_collisions(data_dir, area_boundaries), area_set
        ),
        "hate_crime": series_from_police(
            hate_total, "hate_crime", area_set, source=dashboard + ": hate crime, all strands"
        ),
    }


def load_planner_data(settings: Settings) -> PlannerData:
    """Load everything the demand model needs; raises one PlannerError if anything is wrong.
    Kept in the process while the data folder and the reference files are unchanged."""
    from planner.memo import remembered

    files = [settings.data_dir, settings.area_set_file, settings.assumptions_file]
    return remembered("planner data", files, None, lambda: _load_planner_data(settings))


def _load_planner_data(settings: Settings) -> PlannerData:
    area_set = load_area_set(settings.area_set_file)
    assumptions = load_assumptions(settings.assumptions_file)
    data_dir = settings.data_dir
    if not data_dir.is_dir():
        wanted = load_manifest(settings.sources_manifest)
        raise MissingDataError(
            [Problem(item.path, "file not found") for item in wanted],
            hint=(
                f"There is no data folder at {data_dir} ({settings.data_dir_source}). Run "
                "`planner data fetch` to download the official files, or set PLANNER_DATA_DIR "
                "to a folder that holds them."
            ),
        )

    def parse() -> tuple[dict, dict]:
        area_boundaries = boundaries.load_area_boundaries(data_dir, area_set)
        tables = {
            "boundaries": area_boundaries,
            "population": population.load_area_population(data_dir, area_set),
        }
        meta = {}
        for need, s in load_need_series(data_dir, area_set, area_boundaries).items():
            tables[f"{need}.counts"], tables[f"{need}.london"] = s.counts, s.london
            for part, counts in (s.parts or {}).items():
                tables[f"{need}.part.{part}"] = counts
            meta[need] = {
                "months": list(s.months),
                "source": s.source,
                "recording_break": s.recording_break,
                "parts": list(s.parts or {}),
            }
        return tables, meta

    from planner.parsed import cached

    tables, meta = cached(
        settings.cache_dir, "planner-data", [data_dir, settings.area_set_file], parse
    )
    series = {
        need: NeedSeries(
            need=need,
            counts=tables[f"{need}.counts"],
            months=tuple(m["months"]),
            london=tables[f"{need}.london"],
            source=m["source"],
            recording_break=m["recording_break"],
            parts={p: tables[f"{need}.part.{p}"] for p in m["parts"]} or None,
        )
        for need, m in meta.items()
    }
    return PlannerData(
        area_set=area_set,
        assumptions=assumptions,
        boundaries=tables["boundaries"],
        population=tables["population"],
        series=series,
        data_dir=data_dir,
        cache_dir=settings.cache_dir,
    )


def load_small_areas(
    data_dir: Path, area_set: AreaSet, cache_dir: Path | None = None
) -> pd.DataFrame:
    """LSOAs as points for access analysis: lsoa_code, area_code, population, x, y (BNG).

    The point is a representative point inside the LSOA polygon: population-weighted
    centroids are not among the data files. With ``cache_dir``, kept in the parsed-data
    cache (:mod:`planner.parsed`).
    """
    if cache_dir is not None:
        from planner.parsed import cached

        tables, _ = cached(
            cache_dir,
            "small-areas",
            [data_dir],
            lambda: ({"small_areas": load_small_areas(data_dir, area_set)}, {}),
            salt=repr(area_set),
        )
        return tables["small_areas"]
    lsoas = boundaries.load_lsoa_boundaries(data_dir, area_set)
    people = population.load_lsoa_population(data_dir, area_set)
    points = lsoas.geometry.representative_point()
    frame = pd.DataFrame(
        {
            "lsoa_code": lsoas["lsoa_code"].to_numpy(),
            "x": points.x.to_numpy(),
            "y": points.y.to_numpy(),
        }
    )
    return people[["lsoa_code", "area_code", "population"]].merge(frame, on="lsoa_code")


# --- planner data check --------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetStatus:
    name: str
    files: str
    rows: int | None
    period: str
    problems: list[str]
    attribution: str


def _describe_months(months) -> str:
    months = sorted(set(months))
    return f"{months[0]} to {months[-1]} ({len(months)} months)" if months else "-"


def check_data(settings: Settings) -> list[DatasetStatus]:
    """Try every loader; report rows, period and problems per dataset (never raises for data)."""
    area_set = load_area_set(settings.area_set_file)
    manifest = load_manifest(settings.sources_manifest)
    d = settings.data_dir
    by_dataset: dict[str, list[SourceFile]] = {}
    for item in manifest:
        by_dataset.setdefault(item.dataset, []).append(item)
    area_layer: list[gpd.GeoDataFrame] = []

    def areas_for_stats19() -> gpd.GeoDataFrame:
        if not area_layer:
            area_layer.append(boundaries.load_area_boundaries(d, area_set))
        return area_layer[0]

    checks: list[tuple[str, Callable[[], tuple[int, str]]]] = [
        ("boundaries", lambda: (len(areas_for_stats19()), "ONS LAD 2022 boundaries")),
        (
            "lsoa_boundaries",
            lambda: (len(boundaries.load_lsoa_boundaries(d, area_set)), "ONS LSOA 2021"),
        ),
        (
            "population",
            lambda: (
                len(population.load_lsoa_population(d, area_set)),
                population.POPULATION_VINTAGE,
            ),
        ),
        (
            "mps_crime",
            lambda: (
                len(c := mps_crime.load_mps_borough_crime(d, area_set, categories=None)),
                _describe_months(c["month"]),
            ),
        ),
        (
            "mps_dashboard",
            lambda: (
                len(c := mps_dashboard.load_domestic_abuse(d, area_set))
                + len(mps_dashboard.load_hate_crime(d, area_set)),
                _describe_months(c["month"]),
            ),
        ),
        (
            "stats19",
            lambda: (
                len(c := stats19.load_stats19_collisions(d, areas_for_stats19())),
                "calendar years " + ", ".join(str(y) for y in c.attrs["years"]),
            ),
        ),
    ]
    results = []
    for name, check in checks:
        items = by_dataset.get(name, [])
        files = ", ".join(sorted({Path(i.path).name.rsplit(".", 1)[0] for i in items}))
        attribution = items[0].attribution if items else ""
        try:
            rows, period = check()
            results.append(DatasetStatus(name, files, rows, period, [], attribution))
        except DataFileError as exc:
            problems = [str(p) for p in exc.problems] or [str(exc)]
            results.append(DatasetStatus(name, files, None, "-", problems, attribution))
        except PlannerError as exc:
            results.append(DatasetStatus(name, files, None, "-", [str(exc)], attribution))
    return results
