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

import numpy as np
import pandas as pd

from planner.assumptions import Assumptions
from planner.coverage.access import service_access
from planner.coverage.benchmarks import benchmarks
from planner.coverage.capacity import coverage_pairs, tier_shares
from planner.coverage.contracts import contract_state
from planner.coverage.flag_table import RULES, covering_services, flag_table
from planner.coverage.flags import FlagContext
from planner.coverage.inputs import RegistryTables
from planner.coverage.quality import data_quality
from planner.coverage.ratios import DEMAND_COLUMNS, KEY, coverage_table, headline, rank_weights
from planner.coverage.stages import stage_matrix
from planner.coverage.text import FLAG_KINDS, METHOD
from planner.coverage.tiers import service_tiers, tier_pairs, untiered
from planner.demand import tier_demand


@dataclass(frozen=True)
class CoverageResult:
    """``coverage``: one row per (area, need, tier); ``headline``: one row per (area, need),
    the worst tier named; the other tables as their modules say."""

    coverage: pd.DataFrame
    headline: pd.DataFrame
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
    parts = [c for c in demand.columns if c.startswith("recorded_")]
    need_rows = demand[DEMAND_COLUMNS + parts].copy()
    area_names = dict(zip(need_rows["area_code"], need_rows["area_name"], strict=False))
    state = contract_state(tables.contracts, as_of, t["contract_end_window_months"].value)
    tier_rows = tier_demand(need_rows, assumptions)

    pairs = coverage_pairs(tables.areas, tables.terms)
    pairs = pairs[
        pairs["need"].isin(list(assumptions.needs)) & pairs["area_code"].isin(list(area_names))
    ]
    served = service_tiers(services, tables.terms, assumptions)
    shares = tier_shares(tier_pairs(pairs, served), services, tier_rows)
    # a service whose every contract has ended keeps its place but adds no capacity
    lapsed = shares["service_id"].isin(state.lapsed)
    shares = shares.assign(
        nominal_share=shares["capacity_share"],
        capacity_share=shares["capacity_share"].where(~lapsed, 0.0),
        no_capacity=shares["no_capacity"] | lapsed,
    )
    coverage = coverage_table(
        tier_rows,
        shares,
        red=t["under_provision_red"].value,
        amber=t["under_provision_amber"].value,
    )
    coverage = rank_weights(coverage, assumptions)
    heads = headline(coverage, need_rows, shares)
    key = coverage[(coverage["status"] == "assessed") & (coverage["estimated"] > 0)]
    key = key.set_index(KEY)
    covered, covering = covering_services(shares, key, services["name"])
    # access: every tier's sites, supplying people a year (places and centres supply none)
    access_shares = shares.assign(
        capacity_share=shares["capacity_share"].where(shares["measure"] == "people", 0.0)
    )
    access, access_lsoa = service_access(
        small_areas,
        site_points,
        tables.terms,
        tables.sites,
        access_shares,
        heads.assign(status=np.where(heads["rag"] == "not assessed", "not", "assessed")),
        radius_m=t["access_distance_km"].value * 1000,
    )
    ctx = FlagContext(
        assumptions, as_of, key, covered, covering, shares, services, tables.terms, state, access
    )
    tier_words = coverage[["need", "tier", "tier_label", "unit"]].drop_duplicates(["need", "tier"])
    return CoverageResult(
        coverage=coverage,
        headline=heads,
        flags=flag_table(
            [rule(ctx) for rule in RULES],
            ctx,
            area_names,
            need_rows[["area_code", "need", "estimated"]],
            tier_words,
        ),
        stages=stage_matrix(
            shares, tables.terms, services["name"].to_dict(), area_names, assumptions
        ),
        shares=shares.sort_values(["service_id", "area_code", "need", "tier"], ignore_index=True),
        access=access,
        access_small_areas=access_lsoa,
        benchmarks=benchmarks(tables, shares, need_rows, assumptions),
        data_quality=data_quality(
            tables,
            state,
            stale_months=t["stale_after_months"].value,
            vocab_keys=vocab_keys,
            area_codes=set(area_names),
            untiered=untiered(pairs, served),
        ),
        method=METHOD(assumptions),
    )
