"""``planner plan create|add-lot|compare|suggest|export``: plans of contract lots. Scenarios
run on the same analysis as the app's Plan page (with access), so both give the same numbers."""

from __future__ import annotations

import argparse
from pathlib import Path

from planner.cli import common
from planner.errors import PlannerError


def cmd_plan(args: argparse.Namespace) -> int:
    from planner.registry import plan_store

    registry = common.open_registry()
    actor = common.cli_actor()
    if args.plan_command == "create":
        plan = plan_store.create_plan(registry, actor, args.name, args.notes)
        print(f"Created plan {plan['name']} ({plan['id']}).")
        return 0
    if args.plan_command == "add-lot":
        plan = plan_store.find_plan(registry, args.plan)
        lot = {
            "name": args.name,
            "needs": args.need,
            "service_type": args.type,
            "areas": args.area,
            "capacity_per_year": args.capacity,
            "annual_value_gbp": args.value,
            "start_date": args.start,
            "end_date": args.end,
            "stages": args.stage or [],
        }
        plan = plan_store.add_lot(registry, actor, plan["id"], lot)
        print(f"Added lot {args.name} to {plan['name']}: {len(plan['lots'])} lot(s).")
        return 0
    from planner.analysis import analyse_registry, plan_scenario
    from planner.datasets import load_planner_data

    data = load_planner_data(common.settings())
    assumptions = data.assumptions
    if getattr(args, "weights", None):
        from planner.assumptions import load_weights

        assumptions = load_weights(Path(args.weights), assumptions)
    base = analyse_registry(data, registry)
    if args.plan_command in ("suggest", "frontier"):
        return _advise(args, data, assumptions, base, registry, actor)
    names = args.plans
    for name in names:
        plan = plan_store.find_plan(registry, name)
        _, diff = plan_scenario(base, data.assumptions, plan)
        print(f"Plan {plan['name']} ({plan['status']}, {len(plan['lots'])} lots):")
        _print_summary(diff)
        if args.plan_command == "export":
            from planner.exports.framework import framework_workbook, plan_lots_frame

            lots = plan_lots_frame(plan, data.area_set)
            out = Path(args.out)
            common.write_output(out, framework_workbook(base, data, lots=lots))
            print(f"Wrote the framework with the plan's lots to {out}")
    return 0


def _advise(args, data, assumptions, base, registry, actor) -> int:
    """``plan suggest`` and ``plan frontier``: the optimiser's lots for a budget, or the
    spend–outcome curve, on today's coverage ranked by ``assumptions``' weights."""
    from planner import allocation
    from planner.analysis import plan_scenario
    from planner.coverage.ratios import rank_weights
    from planner.plans import suggest

    coverage = rank_weights(base.result.coverage, assumptions)
    choice = {
        "pinned": args.pin or (),
        "excluded": args.exclude or (),
        "excluded_needs": [common.need_key(data, n) for n in args.exclude_need or ()],
    }
    if args.plan_command == "frontier" or args.list_lots:
        problem = allocation.build_problem(coverage, assumptions, data.area_set, **choice)
        return _frontier(args, problem) if args.plan_command == "frontier" else _list(problem)
    advice = suggest(coverage, assumptions, data.area_set, budget=args.budget, **choice)
    lots = advice.lots
    print(
        f"{len(lots)} suggested lots for a budget of £{args.budget:,.0f}: {advice.budget_note} "
        f"They meet {advice.added_a_year:,.0f} people or families a year of unmet need "
        f"({advice.weighted_reduced:,.0f} weighted)."
    )
    spent: dict[str, float] = {}
    for lot in lots:
        spent[lot["need_label"]] = spent.get(lot["need_label"], 0.0) + lot["annual_value_gbp"]
    if spent:
        print("  by need: " + "; ".join(f"{k} £{v:,.0f}" for k, v in spent.items()))
    for i, lot in enumerate(lots, 1):
        print(
            f"  {i}. {lot['name']} ({lot['geography']}): {lot['capacity_per_year']:,} "
            f"{lot['unit']}, £{lot['annual_value_gbp']:,.0f}. {lot['rationale']}"
        )
    left = advice.unfunded()
    if len(left):
        print("The largest gaps left unfunded (people or families a year; cost to close):")
        for row in left.itertuples(index=False):
            print(
                f"  {row.rank}. {row.area_name}, {row.need}: {row.tier}: "
                f"{row.left_unmet:,.0f} {row.unit} unmet ({row.status}), "
                f"£{row.cost_to_close_gbp:,.0f} a year to close"
            )
    _, diff = plan_scenario(base, assumptions, {"name": "suggestion", "lots": lots})
    _print_summary(diff)
    if args.out:
        out = Path(args.out)
        _write_table(out, advice.table(), "Suggested lots", gaps=advice.gaps)
        print(f"Wrote the suggested lots to {out}")
    if args.into:
        from planner.registry import plan_store

        plan = plan_store.find_plan(registry, args.into)
        for lot in lots:
            plan_store.add_lot(registry, actor, plan["id"], lot)
        print(f"Added the suggestions to plan {plan['name']}.")
    return 0


def _frontier(args, problem) -> int:
    from planner.frontier import frontier

    curve = frontier(problem)
    if args.out:
        _write_table(Path(args.out), curve, "Spend and outcome")
        print(f"Wrote the spend–outcome curve ({len(curve)} budgets) to {args.out}")
    print("  budget (GBP)   weighted unmet need reduced   people a year added   lots")
    for row in curve.itertuples(index=False):
        print(
            f"  {row.budget_gbp:>12,.0f}   {row.weighted_unmet_reduced:>27,.0f}   "
            f"{row.added_a_year:>19,.0f}   {row.lots:>4}"
        )
    return 0


def _list(problem) -> int:
    for row in problem.lots.itertuples(index=False):
        print(f"  {row.key}  ({row.geography}, {len(row.areas)} areas)")
    return 0


def _write_table(out: Path, table, title: str, *, gaps=None) -> None:
    """A table as CSV (formula-safe) or as a workbook (with the gaps on a second sheet)."""
    from planner.exports.xlsx import csv_safe, workbook_bytes

    if out.suffix.lower() == ".xlsx":
        sheets = {title: (title, table, {})}
        if gaps is not None:
            sheets["Largest gaps"] = ("The largest gaps and what the lots do for them", gaps, {})
        common.write_output(out, workbook_bytes(sheets))
    elif out.suffix.lower() == ".csv":
        common.write_output(out, csv_safe(table).to_csv(index=False).encode("utf-8"))
    else:
        raise PlannerError(f"{out}: write a .csv or an .xlsx file.")


def _print_summary(diff) -> None:
    s = diff.summary
    cost = s["cost per extra person (GBP)"]
    print(
        f"  flags closed {s['flags closed']}, opened {s['flags opened']}; "
        f"{s['extra people supported a year']:,.0f} more people supported a year; "
        f"£{s['annual value (GBP)']:,.0f} a year"
        + (f", £{cost:,.0f} per extra person" if cost else "")
    )
    closed = diff.closed["flag"].value_counts()
    if len(closed):
        print("  closed: " + ", ".join(f"{k} {v}" for k, v in closed.items()))


def budget(text: str) -> float:
    """A budget in pounds: a finite amount from 0 to the largest contract value accepted."""
    from planner.registry.validation import NUMBER_LIMITS, bounded_decimal

    amount = bounded_decimal(text)
    limit = NUMBER_LIMITS["annual_value_gbp"]
    if isinstance(amount, str) or amount > limit:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a budget: give pounds a year from 0 to {limit:,.0f}"
        )
    return float(amount)


def add_parsers(sub) -> None:
    plan = sub.add_parser("plan", help="plans of contract lots and their scenarios")
    plan_sub = plan.add_subparsers(dest="plan_command", required=True)
    create = plan_sub.add_parser("create", help="create a plan")
    create.add_argument("name")
    create.add_argument("--notes")
    create.set_defaults(func=cmd_plan)
    add_lot = plan_sub.add_parser("add-lot", help="add a lot to a plan")
    add_lot.add_argument("plan")
    add_lot.add_argument("--name", required=True)
    add_lot.add_argument("--need", action="append", required=True)
    add_lot.add_argument("--type", required=True, help="service type, e.g. idva")
    add_lot.add_argument("--area", action="append", required=True)
    add_lot.add_argument("--capacity", type=int, required=True)
    add_lot.add_argument("--value", help="annual value in GBP")
    add_lot.add_argument("--start")
    add_lot.add_argument("--end")
    add_lot.add_argument("--stage", action="append")
    add_lot.set_defaults(func=cmd_plan)
    compare = plan_sub.add_parser("compare", help="the difference each plan makes")
    compare.add_argument("plans", nargs="+")
    compare.set_defaults(func=cmd_plan)
    suggest_cmd = plan_sub.add_parser(
        "suggest", help="lots that reduce the most weighted unmet need for a budget"
    )
    suggest_cmd.add_argument(
        "--budget", type=budget, required=True, help="pounds a year, e.g. 2000000"
    )
    suggest_cmd.add_argument("--into", help="add the suggestions to this plan")
    suggest_cmd.add_argument("--out", help="write the lots to FILE.csv or FILE.xlsx")
    suggest_cmd.add_argument(
        "--list-lots", action="store_true", help="list every candidate lot's name and stop"
    )
    frontier_cmd = plan_sub.add_parser(
        "frontier", help="the spend–outcome curve: budgets from £0.25m to £20m"
    )
    frontier_cmd.add_argument("--out", help="write the curve to FILE.csv or FILE.xlsx")
    for cmd in (suggest_cmd, frontier_cmd):
        cmd.add_argument(
            "--weights", help="a TOML file with a [ranking] table replacing the default weights"
        )
        cmd.add_argument(
            "--pin",
            action="append",
            help="a lot that must be bought, e.g. 'road_harm.bereaved@London'",
        )
        cmd.add_argument("--exclude", action="append", help="a lot not to buy")
        cmd.add_argument("--exclude-need", action="append", help="a need not to buy lots for")
        cmd.set_defaults(func=cmd_plan)
    export_plan = plan_sub.add_parser("export", help="framework workbook with a plan's lots")
    export_plan.add_argument("plans", nargs=1)
    export_plan.add_argument("--out", required=True)
    export_plan.set_defaults(func=cmd_plan)
