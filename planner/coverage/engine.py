"""analyse(): demand and approved services in; coverage, flags, stages, access, benchmarks and
data quality out. Every number in every table can be traced to its inputs by its columns.

The steps, each in its own module: capacity shares (``capacity``), contracts as of the date
(``contracts``), coverage and RAG (``ratios``), the stage matrix (``stages``), access
(``access``), one rule per flag kind (``flags``), benchmarks (``benchmarks``) and the
data-quality list (``quality``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from planner.assumptions import Assumptions
from planner.coverage.access import service_access
from planner.coverage.benchmarks import benchmarks
from planner.coverage.capacity import capacity_shares, coverage_pairs
from planner.coverage.contracts import contract_state
from planner.coverage.flags import RULES, FlagContext, covering_services, flag_table
from planner.coverage.inputs import RegistryTables
from planner.coverage.quality import data_quality
from planner.coverage.ratios import DEMAND_COLUMNS, coverage_table
from planner.coverage.stages import stage_matrix
from planner.coverage.text import FLAG_KINDS, METHOD


@dataclass(frozen=True)
class CoverageResult:
    coverage: pd.DataFrame
    flags: pd.DataFrame
    stages: pd.DataFrame
    shares: pd.DataFrame
    access: pd.DataFrame
    access_small_areas: pd.DataFrame
    benchmarks: pd.DataFrame
    data_quality: pd.DataFrame
    method: list[str]

    def flag_counts(self) -> pd.Series:
        return self.flags["flag"].value_counts().reindex(FLAG_KINDS, fill_value=0)


def analyse(
    demand: pd.DataFrame,
    tables: RegistryTables,
    assumptions: Assumptions,
    *,
    as_of: dt.date,
    small_areas: pd.DataFrame | None = None,
    site_points: pd.DataFrame | None = None,
    vocab_keys: Mapping[str, Iterable[str]] | None = None,
) -> CoverageResult:
    """Run the whole coverage model.

    ``demand``: the demand table (area_code, area_name, need, status, recorded, estimated,
    population, women_16plus). ``tables``: the approved services (``Registry.tables()``).
    ``small_areas``: lsoa_code, area_code, population, x, y (EPSG:27700) for access; without
    it access is not assessed. ``site_points``: site_id, x, y (EPSG:27700) for the sites
    with coordinates. ``vocab_keys``: accepted values per term kind, for the data-quality
    check.
    """
    t = assumptions.thresholds
    services = tables.services.set_index("service_id", drop=False)
    need_rows = demand[DEMAND_COLUMNS].copy()
    area_names = dict(zip(need_rows["area_code"], need_rows["area_name"], strict=False))
    state = contract_state(tables.contracts, as_of, t["contract_end_window_months"].value)

    pairs = coverage_pairs(tables.areas, tables.terms)
    pairs = pairs[
        pairs["need"].isin(list(assumptions.needs)) & pairs["area_code"].isin(list(area_names))
    ]
    shares = capacity_shares(pairs, services["capacity_per_year"], need_rows)
    # a service whose every contract has ended keeps its place but adds no capacity
    lapsed = shares["service_id"].isin(state.lapsed)
    shares = shares.assign(
        nominal_share=shares["capacity_share"],
        capacity_share=shares["capacity_share"].where(~lapsed, 0.0),
    )
    no_capacity = services["capacity_per_year"].isna() | services.index.isin(state.lapsed)
    coverage = coverage_table(
        need_rows,
        shares,
        no_capacity,
        red=t["under_provision_red"].value,
        amber=t["under_provision_amber"].value,
    )
    key = coverage[(coverage["status"] == "assessed") & (coverage["estimated"] > 0)]
    key = key.set_index(["area_code", "need"])
    covered, covering = covering_services(shares, key, services["name"])
    access, access_lsoa = service_access(
        small_areas,
        site_points,
        tables.terms,
        tables.sites,
        shares,
        coverage,
        radius_m=t["access_distance_km"].value * 1000,
    )
    ctx = FlagContext(
        assumptions, as_of, key, covered, covering, shares, services, tables.terms, state, access
    )
    return CoverageResult(
        coverage=coverage,
        flags=flag_table([rule(ctx) for rule in RULES], ctx, area_names),
        stages=stage_matrix(
            shares, tables.terms, services["name"].to_dict(), area_names, assumptions
        ),
        shares=shares.sort_values(["service_id", "area_code", "need"], ignore_index=True),
        access=access,
        access_small_areas=access_lsoa,
        benchmarks=benchmarks(tables, shares, need_rows, assumptions),
        data_quality=data_quality(
            tables,
            state,
            stale_months=t["stale_after_months"].value,
            vocab_keys=vocab_keys,
            area_codes=set(area_names),
        ),
        method=METHOD(assumptions),
    )
