"""One call that runs the whole analysis from settings: what the CLI and the app both use."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pandas as pd

from planner.coverage import CoverageResult, analyse
from planner.coverage.access import project_sites
from planner.datasets import PlannerData, load_planner_data, load_small_areas
from planner.demand import demand_table
from planner.registry.service import Registry
from planner.registry.tables import RegistryTables
from planner.settings import Settings


@dataclass(frozen=True)
class Analysis:
    demand: pd.DataFrame
    tables: RegistryTables
    result: CoverageResult
    as_of: dt.date
    demo: bool


def run_analysis(
    data: PlannerData,
    registry: Registry,
    *,
    period_end: str | None = None,
    as_of: dt.date | None = None,
    small_areas: pd.DataFrame | None = None,
    access: bool = True,
) -> Analysis:
    """Demand for the period, the approved services, and the coverage model over both."""
    as_of = as_of or dt.date.today()
    demand = demand_table(
        data.series,
        data.population,
        data.area_set.to_frame(),
        data.assumptions,
        period_end=period_end,
    )
    tables = registry.tables(statuses=("approved",))
    if access and small_areas is None:
        small_areas = load_small_areas(data.data_dir, data.area_set)
    result = analyse(
        demand,
        tables,
        data.assumptions,
        as_of=as_of,
        small_areas=small_areas if access else None,
        site_points=project_sites(tables.sites) if access else None,
        vocab_keys={
            "need": registry.context.vocab.keys("needs"),
            "stage": registry.context.vocab.keys("stages"),
            "specialism": registry.context.vocab.keys("specialisms"),
            "channel": registry.context.vocab.keys("channels"),
            "age_group": registry.context.vocab.keys("age_groups"),
            "accreditation": registry.context.vocab.keys("accreditations"),
        },
    )
    return Analysis(demand, tables, result, as_of, bool(tables.services["is_demo"].any()))


def worst_areas(result: CoverageResult, n: int = 5) -> pd.DataFrame:
    """Areas ranked by high-severity flags, then medium ones, then lowest mean coverage."""
    flags = result.flags
    counts = flags.pivot_table(
        index="area_name", columns="severity", values="flag", aggfunc="count", fill_value=0
    )
    for col in ("high", "medium"):
        if col not in counts:
            counts[col] = 0
    ratio = result.coverage.groupby("area_name")["ratio"].mean()
    table = (
        counts[["high", "medium"]]
        .join(ratio.rename("mean_ratio"), how="outer")
        .fillna({"high": 0, "medium": 0})
    )
    table = table.sort_values(["high", "medium", "mean_ratio"], ascending=[False, False, True])
    return table.head(n).reset_index()


def open_for_analysis(settings: Settings) -> tuple[PlannerData, Registry]:
    from planner.registry.setup import open_registry

    data = load_planner_data(settings)
    return data, open_registry(settings)


def plan_scenario(base: Analysis, assumptions, plan: dict):
    """A plan (a name, lots, services not renewed) run against today's analysis: the
    scenario's coverage and what it changes (``planner.plans.ScenarioDiff``)."""
    from planner.plans import run_scenario

    return run_scenario(
        base.demand,
        base.tables,
        assumptions,
        plan["lots"],
        plan_name=plan["name"],
        as_of=base.as_of,
        not_renewed=plan.get("not_renewed") or (),
        before=base.result,
    )
