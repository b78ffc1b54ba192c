"""The spend–outcome curve (BRIEF §4.2): the weighted unmet need the best set of lots
reduces at each budget from £0.25m to £20m (:mod:`planner.allocation` solves each point)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import pandas as pd

from planner.allocation import Problem, people_added, solve

FRONTIER_BUDGETS = (
    250_000,
    500_000,
    1_000_000,
    1_500_000,
    2_000_000,
    3_000_000,
    4_000_000,
    5_000_000,
    7_500_000,
    10_000_000,
    15_000_000,
    20_000_000,
)
"""The budgets the spend–outcome curve is drawn at (pounds a year)."""


def frontier(
    problem: Problem,
    budgets: Sequence[float] = FRONTIER_BUDGETS,
    *,
    whole_units: bool = False,
    exact_seconds: float = 0.0,
    time_limit: float = 30.0,
) -> pd.DataFrame:
    """The spend–outcome curve: for each budget, the weighted unmet need reduced, the people
    a year added, the lots and the pounds spent. A larger budget can always buy what a
    smaller one bought, so a point never falls below the one before (the better plan is
    kept where the solver's tolerance would say otherwise). By default each point takes the
    two-pass plan (:func:`solve` with ``exact_seconds=0``): a curve in seconds."""
    rows, best = [], None
    for budget in sorted(budgets):
        solution = solve(
            problem,
            float(budget),
            whole_units=whole_units,
            exact_seconds=exact_seconds,
            time_limit=time_limit,
        )
        if best is not None and best.objective > solution.objective:
            solution = dataclasses.replace(best, budget=float(budget))
        best = solution
        rows.append(
            {
                "budget_gbp": float(budget),
                "weighted_unmet_reduced": solution.objective,
                "added_a_year": people_added(problem, solution),
                "lots": int((solution.units > 0).sum()),
                "spent_gbp": solution.spent,
            }
        )
    return pd.DataFrame(rows)
