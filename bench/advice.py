"""The budget optimiser on London (the real data, the demonstration registry): for each budget
of the spend–outcome curve, the default plan (exact within 2 s, else two passes) against the
exact whole-unit optimum, with their times. Prints a table; asserts nothing.

    .venv/bin/python bench/advice.py
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

from planner.allocation import build_problem, solve
from planner.analysis import analyse_registry
from planner.datasets import load_planner_data
from planner.frontier import FRONTIER_BUDGETS
from planner.registry.demo import load_demo
from planner.registry.service import Registry
from planner.registry.setup import validation_context
from planner.settings import load_settings


def main() -> None:
    settings = load_settings()
    data = load_planner_data(settings)
    with tempfile.TemporaryDirectory() as folder:
        registry = Registry.open(
            validation_context(settings), f"sqlite:///{Path(folder) / 'r.sqlite'}"
        )
        load_demo(registry, data.boundaries, today=dt.date(2026, 11, 29))
        analysis = analyse_registry(data, registry, access=False, as_of=dt.date(2026, 11, 29))
        registry.engine.dispose()
    problem = build_problem(analysis.result.coverage, data.assumptions, data.area_set)
    print(f"{len(problem.lots)} candidate lots, {len(problem.gaps)} gaps")
    print(f"{'budget':>12} {'default':>10} {'s':>6} {'exact':>10} {'s':>6} {'gap %':>7}")
    for budget in FRONTIER_BUDGETS:
        t = time.perf_counter()
        default = solve(problem, budget)
        t_default = time.perf_counter() - t
        t = time.perf_counter()
        exact = solve(problem, budget, whole_units=True, time_limit=120)
        t_exact = time.perf_counter() - t
        gap = 100 * (exact.objective - default.objective) / exact.objective
        print(
            f"{budget:>12,} {default.objective:>10,.0f} {t_default:>6.2f} "
            f"{exact.objective:>10,.0f} {t_exact:>6.2f} {gap:>7.3f}"
        )


if __name__ == "__main__":
    main()
