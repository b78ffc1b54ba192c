"""What the pages derive from today's analysis, computed once per analysis stamp and choice.

Each function here takes the analysis and the data first (given by
:func:`planner.app.cache.per_analysis`) and the page's choices after; a page calls it with the
choices only. Results are shared between sessions: pages must not modify them.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from planner.app.cache import per_analysis
from planner.coverage import ranking
from planner.coverage.thresholds import percent


@per_analysis
def tier_summary(analysis, data) -> pd.DataFrame:
    return ranking.tier_summary(analysis.result.coverage, data.assumptions)


Weights = tuple[tuple[str, str, float], ...]
"""Ranking weights changed on a page: (need, tier or "", weight); empty for the defaults."""


def weighted(analysis, data, weights: Weights):
    """The assumptions with ``weights`` applied, and today's coverage ranked by them."""
    from planner.coverage.ratios import rank_weights

    a = data.assumptions
    if not weights:
        return a, analysis.result.coverage
    needs = {n: w for n, t, w in weights if not t}
    tiers: dict[str, dict[str, float]] = {}
    for n, t, w in weights:
        if t:
            tiers.setdefault(n, {})[t] = w
    a = a.with_ranking(a.ranking.reweighed(needs, tiers))
    return a, rank_weights(analysis.result.coverage, a)


@per_analysis
def worst_areas(analysis, data, weights: Weights = ()) -> pd.DataFrame:
    labels = {n: spec.label for n, spec in data.assumptions.needs.items()}
    _, coverage = weighted(analysis, data, weights)
    result = dataclasses.replace(analysis.result, coverage=coverage)
    table = ranking.worst_areas(result, need_labels=labels)
    whole = ["unmet_people", "priority", "largest_gap_unmet"]
    return table.assign(**{c: table[c].round(0).astype("int64") for c in whole})


@per_analysis
def robustness(analysis, data, weights: Weights = ()) -> pd.DataFrame:
    """The areas in the top five under the default weights, the ends of the demand ranges
    and the named alternative weightings (:func:`planner.coverage.ranking.robustness`)."""
    a, coverage = weighted(analysis, data, weights)
    return ranking.robustness(coverage, a)


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
def suggestions(
    analysis,
    data,
    budget: float,
    weights: Weights = (),
    pinned: tuple[str, ...] = (),
    excluded: tuple[str, ...] = (),
    excluded_needs: tuple[str, ...] = (),
):
    """Lots for a budget (:func:`planner.plans.suggest`) on today's coverage."""
    from planner.plans import suggest

    a, coverage = weighted(analysis, data, weights)
    return suggest(
        coverage,
        a,
        data.area_set,
        budget=budget,
        pinned=pinned,
        excluded=excluded,
        excluded_needs=excluded_needs,
    )


@per_analysis
def candidate_lots(analysis, data, excluded_needs: tuple[str, ...] = ()) -> list[str]:
    """Every candidate lot's name (need.tier@place), to pin or exclude."""
    from planner.allocation import build_problem

    problem = build_problem(
        analysis.result.coverage, data.assumptions, data.area_set, excluded_needs=excluded_needs
    )
    return list(problem.lots["key"])


@per_analysis
def frontier(
    analysis,
    data,
    weights: Weights = (),
    pinned: tuple[str, ...] = (),
    excluded: tuple[str, ...] = (),
    excluded_needs: tuple[str, ...] = (),
) -> pd.DataFrame:
    """The spend–outcome curve (:func:`planner.frontier.frontier`)."""
    from planner.allocation import build_problem
    from planner.frontier import frontier as curve

    a, coverage = weighted(analysis, data, weights)
    problem = build_problem(
        coverage,
        a,
        data.area_set,
        pinned=pinned,
        excluded=excluded,
        excluded_needs=excluded_needs,
    )
    return curve(problem)
