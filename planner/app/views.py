"""What the pages derive from today's analysis, computed once per analysis stamp and choice.

Each function here takes the analysis and the data first (given by
:func:`planner.app.cache.per_analysis`) and the page's choices after; a page calls it with the
choices only. Results are shared between sessions: pages must not modify them.
"""

from __future__ import annotations

import pandas as pd

from planner.app.cache import per_analysis
from planner.coverage import ranking
from planner.coverage.thresholds import percent


@per_analysis
def tier_summary(analysis, data) -> pd.DataFrame:
    return ranking.tier_summary(analysis.result.coverage, data.assumptions)


@per_analysis
def worst_areas(analysis, data) -> pd.DataFrame:
    labels = {n: spec.label for n, spec in data.assumptions.needs.items()}
    table = ranking.worst_areas(analysis.result, need_labels=labels)
    return table.assign(unmet_people=table["unmet_people"].round(0).astype("int64"))


@per_analysis
def serious_findings(analysis, data, need: str, tier: str | None) -> pd.DataFrame:
    return ranking.serious_findings(analysis.result, need=need, tier=tier)


@per_analysis
def map_rows(analysis, data, need: str, tier: str | None = None) -> pd.DataFrame:
    return ranking.map_rows(analysis.result, need, tier)


@per_analysis
def gaps_matrix(analysis, data) -> pd.DataFrame:
    """Borough × (need: tier) cells in words ("Red 7%", "Amber 55% (uncertain)")."""
    columns_order = [
        (n, t, f"{s.label}: {tier.label}")
        for n, s in data.assumptions.needs.items()
        for t, tier in s.tier_specs.items()
    ]
    cov = analysis.result.coverage.assign(
        cell=lambda f: (
            f["rag"].str.capitalize()
            + f["ratio"].map(lambda r: "" if pd.isna(r) else f" {percent(r):,.0f}%")
            + f["uncertain"].map(lambda u: " (uncertain)" if u else "")
        ),
        column=lambda f: f["need"] + "/" + f["tier"],
    )
    matrix = cov.pivot(index="area_name", columns="column", values="cell")
    matrix = matrix[[f"{n}/{t}" for n, t, _ in columns_order if f"{n}/{t}" in matrix]]
    matrix.columns = [label for n, t, label in columns_order if f"{n}/{t}" in matrix.columns]
    matrix.index.name = data.area_set.area_label.capitalize()
    return matrix


@per_analysis
def suggestions(analysis, data, budget: float) -> list[dict]:
    """Lots for a budget (:func:`planner.plans.suggest`) on today's coverage."""
    from planner.plans import suggest

    return suggest(analysis.result.coverage, data.assumptions, budget=budget)
