"""The composition: demand, the registry's approved services and the coverage model, wired
together once for the CLI, the app, the exports and the benchmarks.

- :func:`demand_for` is the one place the demand table is built from the loaded data.
- :func:`run_analysis` takes its inputs (no files, no database) and keeps them on the
  :class:`Analysis`, so a plan's scenario runs on exactly the same inputs as today's view.
- :func:`analyse_registry` loads what :func:`run_analysis` needs (the small areas for access,
  the registry's approved services) and calls it: what the CLI and the app use.
- :func:`plan_scenario` runs a plan against an analysis.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

from planner.assumptions import Assumptions
from planner.coverage import CoverageResult, analyse
from planner.coverage.inputs import RegistryTables
from planner.datasets import PlannerData, load_small_areas
from planner.demand import demand_table


@dataclass(frozen=True)
class Analysis:
    demand: pd.DataFrame
    tables: RegistryTables
    result: CoverageResult
    as_of: dt.date
    demo: bool
    small_areas: pd.DataFrame | None = None
    site_points: pd.DataFrame | None = None
    vocab_keys: Mapping[str, Iterable[str]] | None = None


def demand_for(data: PlannerData, period_end: str | None = None) -> pd.DataFrame:
    """The demand table (area × need) for a 12-month window ending ``period_end`` (default:
    each need's latest complete 12 months)."""
    return demand_table(
        data.series,
        data.population,
        data.area_set.to_frame(),
        data.assumptions,
        period_end=period_end,
    )


def run_analysis(
    demand: pd.DataFrame,
    tables: RegistryTables,
    assumptions: Assumptions,
    *,
    as_of: dt.date,
    small_areas: pd.DataFrame | None = None,
    vocab_keys: Mapping[str, Iterable[str]] | None = None,
) -> Analysis:
    """The coverage model over the given demand and services; with ``small_areas`` also
    access (the sites are projected here)."""
    from planner.coverage.access import project_sites

    site_points = project_sites(tables.sites) if small_areas is not None else None
    result = analyse(
        demand,
        tables,
        assumptions,
        as_of=as_of,
        small_areas=small_areas,
        site_points=site_points,
        vocab_keys=vocab_keys,
    )
    demo = bool(tables.services["is_demo"].fillna(False).astype(bool).any())
    return Analysis(demand, tables, result, as_of, demo, small_areas, site_points, vocab_keys)


def analyse_registry(
    data: PlannerData,
    registry,
    *,
    period_end: str | None = None,
    as_of: dt.date | None = None,
    access: bool = True,
    small_areas: pd.DataFrame | None = None,
    demand: pd.DataFrame | None = None,
) -> Analysis:
    """Today's analysis of a registry's approved services (``registry``: a
    :class:`planner.registry.service.Registry`). ``small_areas`` and ``demand`` may be given
    when the caller has them cached."""
    from planner.schema import vocabulary_keys

    if access and small_areas is None:
        small_areas = load_small_areas(data.data_dir, data.area_set, data.cache_dir)
    return run_analysis(
        demand if demand is not None else demand_for(data, period_end),
        registry.tables(statuses=("approved",)),
        data.assumptions,
        as_of=as_of or dt.date.today(),
        small_areas=small_areas if access else None,
        vocab_keys=vocabulary_keys(registry.context.vocab),
    )


def plan_scenario(base: Analysis, assumptions: Assumptions, plan: Mapping):
    """A plan (a name, lots, services not renewed) run against an analysis, on the same
    inputs (demand, date, small areas for access, vocabularies): the scenario's coverage and
    what it changes (``planner.plans.ScenarioDiff``). An empty plan changes nothing: its
    scenario is the analysis itself (the same inputs), so it is not run again."""
    from planner.plans import compare, run_scenario

    if not plan["lots"] and not plan.get("not_renewed"):
        return base.result, compare(base.result, base.result, [])

    return run_scenario(
        base.demand,
        base.tables,
        assumptions,
        plan["lots"],
        plan_name=plan["name"],
        as_of=base.as_of,
        not_renewed=plan.get("not_renewed") or (),
        before=base.result,
        small_areas=base.small_areas,
        site_points=base.site_points,
        vocab_keys=base.vocab_keys,
    )
