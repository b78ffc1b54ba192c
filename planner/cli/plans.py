"""``planner plan create|add-lot|compare|suggest|export``: plans of contract lots. Scenarios
run on the same analysis as the app's Plan page (with access), so both give the same numbers."""

from __future__ import annotations

import argparse
from pathlib import Path

from planner.cli import common


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
    from planner.plans import suggest

    data = load_planner_data(common.settings())
    base = analyse_registry(data, registry)
    if args.plan_command == "suggest":
        lots = suggest(base.result.coverage, data.assumptions, budget=args.budget)
        total = sum(lot["annual_value_gbp"] for lot in lots)
        _, diff = plan_scenario(base, data.assumptions, {"name": "suggestion", "lots": lots})
        print(
            f"{len(lots)} suggested lots for a budget of £{args.budget:,.0f}: "
            f"£{total:,.0f} allocated."
        )
        spent: dict[str, float] = {}
        for lot in lots:
            label = data.assumptions.needs[lot["needs"][0]].label
            spent[label] = spent.get(label, 0.0) + lot["annual_value_gbp"]
        if spent:
            print("  by need: " + "; ".join(f"{k} £{v:,.0f}" for k, v in spent.items()))
        for i, lot in enumerate(lots, 1):
            print(
                f"  {i}. {lot['name']}: {lot['capacity_per_year']:,} more "
                f"{lot.get('unit', 'people a year')}, £{lot['annual_value_gbp']:,.0f}. "
                f"{lot['rationale']}"
            )
        _print_summary(diff)
        if args.into:
            plan = plan_store.find_plan(registry, args.into)
            for lot in lots:
                plan_store.add_lot(registry, actor, plan["id"], lot)
            print(f"Added the suggestions to plan {plan['name']}.")
        return 0
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
    suggest_cmd = plan_sub.add_parser("suggest", help="lots that close the most unmet need")
    suggest_cmd.add_argument(
        "--budget", type=budget, required=True, help="pounds a year, e.g. 2000000"
    )
    suggest_cmd.add_argument("--into", help="add the suggestions to this plan")
    suggest_cmd.set_defaults(func=cmd_plan)
    export_plan = plan_sub.add_parser("export", help="framework workbook with a plan's lots")
    export_plan.add_argument("plans", nargs=1)
    export_plan.add_argument("--out", required=True)
    export_plan.set_defaults(func=cmd_plan)
