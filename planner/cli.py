"""The ``planner`` command: data checks and downloads, demand tables, (later) registry and
exports. Thin: every command calls the same functions as the app.

Errors a user can fix (``PlannerError``) print one message and exit with status 1; nothing
prints a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from planner.errors import PlannerError

log = logging.getLogger("planner")


def _progress(i: int, n: int, item) -> None:
    print(f"[{i}/{n}] {item.path}", file=sys.stderr, flush=True)


def cmd_data_check(args: argparse.Namespace) -> int:
    from planner.datasets import check_data
    from planner.settings import load_settings

    settings = load_settings()
    print(f"Data folder: {settings.data_dir} ({settings.data_dir_source})")
    results = check_data(settings)
    width = max(len(r.name) for r in results)
    failed = 0
    for r in results:
        rows = f"{r.rows:,}" if r.rows is not None else "-"
        state = "ok" if not r.problems else "PROBLEMS"
        print(f"{r.name:<{width}}  {state:<8}  rows {rows:>9}  {r.period}")
        for p in r.problems:
            print(f"    - {p}")
        failed += bool(r.problems)
    if failed:
        print(
            f"{failed} dataset(s) have problems. Fix the files, or run `planner data fetch` "
            "to download them again.",
            file=sys.stderr,
        )
        return 1
    return 0


def cmd_data_fetch(args: argparse.Namespace) -> int:
    from planner.settings import load_settings
    from planner.sources.fetch import fetch_files, load_manifest

    settings = load_settings()
    dest = Path(args.dest) if args.dest else settings.data_dir
    if (
        dest.resolve() == (settings.data_dir.resolve())
        and settings.data_dir_source.startswith("../shared")
        and not args.dest
    ):
        dest = settings.cache_dir / "data"
    files = load_manifest(settings.sources_manifest)
    print(f"Downloading {len(files)} files to {dest}", file=sys.stderr)
    results = fetch_files(
        files, dest, mirror=args.mirror or settings.fetch_mirror, progress=_progress
    )
    got = sum(r.status == "downloaded" for r in results)
    total = sum(r.bytes for r in results)
    print(f"{got} downloaded, {len(results) - got} already present, {total / 1e6:.1f} MB in {dest}")
    if dest != settings.data_dir:
        print(f"Use them with: export PLANNER_DATA_DIR={dest}")
    return 0


def cmd_demand(args: argparse.Namespace) -> int:
    from planner.datasets import load_planner_data
    from planner.demand import demand_table, parse_period
    from planner.settings import load_settings

    period = parse_period(args.period) if args.period else None
    out = Path(args.out) if args.out else None
    if out and out.suffix.lower() not in (".csv", ".xlsx"):
        raise PlannerError(f"--out {out}: use a file name ending .csv or .xlsx")
    data = load_planner_data(load_settings())
    table = demand_table(
        data.series, data.population, data.area_set.to_frame(), data.assumptions, period_end=period
    )
    if out is None:
        summary = table.groupby(["need", "period_start", "period_end"], dropna=False).agg(
            recorded=("recorded", lambda v: v.sum(min_count=1)),
            estimated=("estimated", lambda v: v.sum(min_count=1)),
            status=("status", lambda v: "; ".join(sorted(set(v)))),
        )
        print(summary.round(1).to_string())
        return 0
    out.parent.mkdir(parents=True, exist_ok=True)
    if out.suffix.lower() == ".csv":
        table.to_csv(out, index=False)
    else:
        from planner.exports.demand import demand_workbook

        out.write_bytes(demand_workbook(table, data.assumptions))
    print(f"Wrote {len(table)} rows ({table['need'].nunique()} needs) to {out}")
    return 0


def _registry():
    from planner.registry.setup import open_registry

    return open_registry()


CLI_ACTOR_NAME = "cli"


def _cli_actor():
    import getpass

    from planner.registry.auth import Actor

    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor(f"{CLI_ACTOR_NAME}:{who}", "admin")


def cmd_registry_init(args: argparse.Namespace) -> int:
    from planner.registry.demo import load_demo
    from planner.sources.boundaries import load_area_boundaries

    registry = _registry()
    url = registry.engine.url.render_as_string(hide_password=True)
    count = len(registry.services())
    print(f"Registry ready at {url} ({count} services).")
    if args.demo and count == 0:
        areas = load_area_boundaries(_settings().data_dir, registry.context.area_set)
        result = load_demo(registry, areas)
        print(f"Loaded the demonstration registry (fictional providers): {result}.")
    if registry.users().empty:
        print(
            "No user accounts yet: add one with "
            "`.venv/bin/planner users add NAME --role commissioner` to sign in to the app."
        )
    return 0


def _settings():
    from planner.settings import load_settings

    return load_settings()


def cmd_registry_template(args: argparse.Namespace) -> int:
    from planner.registry.workbook import template_bytes

    registry = _registry()
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(template_bytes(registry.context.vocab, registry.context.area_set))
    print(f"Wrote the registration template to {out}")
    return 0


def cmd_registry_import(args: argparse.Namespace) -> int:
    from planner.registry.validation import ValidationError

    path = Path(args.file)
    if not path.is_file():
        raise PlannerError(f"{path}: no such file.")
    registry = _registry()
    data = path.read_bytes()
    try:
        if path.suffix.lower() == ".json":
            result, notes = _import_oruk(registry, data, path.name)
            for note in notes:
                print(f"  note: {note}")
        else:
            from planner.registry.workbook import parse_workbook

            parsed = parse_workbook(data, registry.context.vocab, filename=path.name)
            result = registry.import_records(
                _cli_actor(), parsed.organisations, parsed.services, source=path.name
            )
    except ValidationError as exc:
        if args.report:
            from planner.registry.workbook import problems_workbook

            Path(args.report).write_bytes(problems_workbook(exc.problems))
            print(f"The problems are listed in {args.report}", file=sys.stderr)
        raise
    print(f"Imported {path.name}: {result}.")
    return 0


def _import_oruk(registry, data: bytes, name: str):
    import json

    from planner.registry.oruk import OrukError, oruk_to_records

    try:
        payload = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OrukError(f"{name} is not valid JSON: {exc}") from exc
    mapped = oruk_to_records(payload, registry.context)
    result = registry.import_records(
        _cli_actor(), mapped.organisations, mapped.services, source=name
    )
    return result, mapped.notes


def cmd_registry_export(args: argparse.Namespace) -> int:
    registry = _registry()
    out = Path(args.out)
    statuses = args.status.split(",") if args.status else None
    records = registry.services(statuses=statuses)
    orgs = registry.organisations().to_dict("records")
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.format == "xlsx":
        from planner.registry.workbook import export_bytes

        used = {r["organisation_id"] for r in records}
        out.write_bytes(
            export_bytes(
                registry.context.vocab,
                registry.context.area_set,
                records,
                [o for o in orgs if o["id"] in used],
            )
        )
    else:
        from planner.registry.oruk import oruk_export

        payload, problems = oruk_export(records, orgs, registry.context)
        if problems:
            raise PlannerError(
                "The Open Referral UK export does not validate:\n"
                + "\n".join(f"  - {p}" for p in problems[:30])
            )
        import json

        out.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
    demo = sum(bool(r.get("is_demo")) for r in records)
    note = f" ({demo} are demonstration data)" if demo else ""
    print(f"Wrote {len(records)} services{note} to {out}")
    return 0


def cmd_registry_approve(args: argparse.Namespace) -> int:
    registry = _registry()
    for service_id in args.ids:
        record = registry.approve_service(_cli_actor(), service_id)
        print(f"Approved {record['name']} ({service_id}), version {record['version']}.")
    return 0


def cmd_users_add(args: argparse.Namespace) -> int:
    import getpass

    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = getpass.getpass(f"Password for {args.username}: ")
    registry = _registry()
    actor = registry.add_user(_cli_actor(), args.username, password, args.role, args.org)
    org = f" of organisation {actor.organisation_id}" if actor.organisation_id else ""
    print(f"Added {actor.role} {actor.username}{org}.")
    return 0


def cmd_analyse(args: argparse.Namespace) -> int:
    import datetime as dt
    import json

    from planner.analysis import open_for_analysis, run_analysis, worst_areas
    from planner.demand import parse_period

    period = parse_period(args.period) if args.period else None
    try:
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else None
    except ValueError as exc:
        raise PlannerError(f"--as-of {args.as_of!r} is not a date like 2026-11-29") from exc
    out = Path(args.out) if args.out else None
    if out and out.suffix.lower() not in (".csv", ".json"):
        raise PlannerError(f"--out {out}: use a file name ending .csv or .json")
    data, registry = open_for_analysis(_settings())
    analysis = run_analysis(
        data, registry, period_end=period, as_of=as_of, access=not args.no_access
    )
    result = analysis.result
    services = len(analysis.tables.services)
    demo = " (demonstration registry)" if analysis.demo else ""
    print(
        f"Coverage of {len(data.area_set.areas)} areas x {len(data.assumptions.needs)} needs "
        f"by {services} approved services{demo}, as of {analysis.as_of.isoformat()}."
    )
    print("\nFlags by kind:")
    counts = result.flag_counts()
    severity = result.flags.groupby("flag")["severity"].agg(
        lambda s: ", ".join(f"{k} {v}" for k, v in s.value_counts().sort_index().items())
    )
    for kind, n in counts.items():
        print(f"  {kind:<20} {n:>5}   {severity.get(kind, '')}")
    print(f"  {'total':<20} {int(counts.sum()):>5}")
    print("\nWorst five areas (high-severity flags, then medium, then mean coverage):")
    for row in worst_areas(result).itertuples(index=False):
        ratio = "-" if row.mean_ratio != row.mean_ratio else f"{row.mean_ratio:.0%}"
        print(
            f"  {row.area_name:<24} high {int(row.high):>3}  medium {int(row.medium):>3}  "
            f"mean coverage {ratio}"
        )
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix.lower() == ".csv":
            result.flags.to_csv(out, index=False)
        else:
            tables = {
                name: getattr(result, name)
                for name in ("coverage", "flags", "stages", "access", "benchmarks", "data_quality")
            }
            payload = {
                name: json.loads(frame.to_json(orient="records", date_format="iso"))
                for name, frame in tables.items()
            }
            payload["method"] = result.method
            payload["as_of"] = analysis.as_of.isoformat()
            out.write_text(json.dumps(payload, indent=1), encoding="utf-8")
        print(f"\nWrote {out}")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    import time

    from planner.analysis import open_for_analysis, run_analysis

    out = Path(args.out)
    allowed = {
        "gap-analysis": (".xlsx",),
        "framework": (".xlsx",),
        "map": (".html", ".png"),
        "leaflet": (".html", ".pdf"),
    }[args.what]
    if out.suffix.lower() not in allowed:
        raise PlannerError(
            f"--out {out}: a {args.what} export is written as " + " or ".join(allowed)
        )
    start = time.perf_counter()
    data, registry = open_for_analysis(_settings())
    needs = [_need(data, n) for n in args.need] if args.need else None
    areas = [data.area_set.resolve(b) for b in args.borough] if args.borough else None
    analysis = run_analysis(data, registry, access=args.what in ("gap-analysis",))
    if args.what == "gap-analysis":
        from planner.exports.gap_analysis import gap_analysis_workbook

        content = gap_analysis_workbook(
            analysis,
            data,
            needs=needs,
            areas=areas,
            contact=args.contact or "The commissioning team (set with --contact)",
        )
    elif args.what == "framework":
        from planner.exports.framework import framework_workbook

        content = framework_workbook(analysis, data)
    elif args.what == "map":
        need = needs[0] if needs else "domestic_abuse"
        rows = analysis.result.coverage[analysis.result.coverage["need"] == need]
        label = data.assumptions.needs[need].label
        if out.suffix.lower() == ".png":
            from planner.exports.maps import gap_map_png

            content = gap_map_png(
                data.boundaries, rows, title=f"{label}: coverage of estimated need"
            )
        else:
            from planner.exports.maps import map_html
            from planner.maps import rag_map
            from planner.sources.boundaries import map_layer

            content = map_html(
                rag_map(map_layer(data.boundaries), rows, title=f"{label}: coverage")
            )
    else:
        if not areas or not needs:
            raise PlannerError(
                "A leaflet is for one borough and one need: give --borough and --need."
            )
        from planner.exports.leaflet import leaflet_html, leaflet_pdf

        make = leaflet_pdf if out.suffix.lower() == ".pdf" else leaflet_html
        content = make(analysis, data, areas[0], needs[0])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(content)
    demo = " (demonstration registry)" if analysis.demo else ""
    print(f"Wrote {out} ({len(content):,} bytes){demo} in {time.perf_counter() - start:.1f} s")
    return 0


def cmd_plan(args: argparse.Namespace) -> int:
    from planner.registry import plan_store

    registry = _registry()
    actor = _cli_actor()
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
    from planner.analysis import plan_scenario, run_analysis
    from planner.datasets import load_planner_data
    from planner.plans import suggest

    data = load_planner_data(_settings())
    base = run_analysis(data, registry, access=False)
    if args.plan_command == "suggest":
        lots = suggest(base.result.coverage, data.assumptions, budget=args.budget)
        total = sum(lot["annual_value_gbp"] for lot in lots)
        _, diff = plan_scenario(base, data.assumptions, {"name": "suggestion", "lots": lots})
        print(
            f"{len(lots)} suggested lots for a budget of £{args.budget:,.0f}: "
            f"£{total:,.0f} allocated."
        )
        for i, lot in enumerate(lots, 1):
            print(
                f"  {i}. {lot['name']}: {lot['capacity_per_year']:,} people a year, "
                f"£{lot['annual_value_gbp']:,.0f}. {lot['rationale']}"
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
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(framework_workbook(base, data, lots=lots))
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


def _need(data, text: str) -> str:
    for key, spec in data.assumptions.needs.items():
        if text in (key, spec.label):
            return key
    raise PlannerError(f"Unknown need {text!r}; needs: {', '.join(data.assumptions.needs)}")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="planner",
        description="Victim Services Commissioning Planner: demand, services, gaps, exports.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = parser.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="the official data files")
    data_sub = data.add_subparsers(dest="data_command", required=True)
    check = data_sub.add_parser("check", help="list each dataset, its rows, period and problems")
    check.set_defaults(func=cmd_data_check)
    fetch = data_sub.add_parser("fetch", help="download the official files from their sources")
    fetch.add_argument("--dest", help="folder to download into (default: the cache)")
    fetch.add_argument("--mirror", help="base URL to take every file from (e.g. a local copy)")
    fetch.set_defaults(func=cmd_data_fetch)

    demand = sub.add_parser("demand", help="demand per area and need for a 12-month window")
    demand.add_argument(
        "--period", help="last month of the window, YYYY-MM (default: each need's latest)"
    )
    demand.add_argument("--out", help="write the table to FILE.csv or FILE.xlsx")
    demand.set_defaults(func=cmd_demand)

    analyse_cmd = sub.add_parser("analyse", help="coverage, gaps and duplication")
    analyse_cmd.add_argument("--period", help="last month of the demand window, YYYY-MM")
    analyse_cmd.add_argument("--as-of", help="date for contract windows (default today)")
    analyse_cmd.add_argument("--out", help="write the flags to FILE.csv, or every table to .json")
    analyse_cmd.add_argument("--no-access", action="store_true", help="skip the access analysis")
    analyse_cmd.set_defaults(func=cmd_analyse)

    export = sub.add_parser("export", help="workbooks, maps and leaflets")
    export.add_argument("what", choices=["gap-analysis", "framework", "map", "leaflet"])
    export.add_argument("--out", required=True)
    export.add_argument("--need", action="append", help="a need (repeatable)")
    export.add_argument("--borough", action="append", help="a borough (repeatable)")
    export.add_argument("--contact", help="contact line for the gap analysis cover")
    export.set_defaults(func=cmd_export)

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
    suggest_cmd.add_argument("--budget", type=float, required=True)
    suggest_cmd.add_argument("--into", help="add the suggestions to this plan")
    suggest_cmd.set_defaults(func=cmd_plan)
    export_plan = plan_sub.add_parser("export", help="framework workbook with a plan's lots")
    export_plan.add_argument("plans", nargs=1)
    export_plan.add_argument("--out", required=True)
    export_plan.set_defaults(func=cmd_plan)

    registry = sub.add_parser("registry", help="the service registry")
    reg_sub = registry.add_subparsers(dest="registry_command", required=True)
    init = reg_sub.add_parser("init", help="create or migrate the database")
    init.add_argument(
        "--no-demo",
        dest="demo",
        action="store_false",
        help="do not load the demonstration registry into an empty database",
    )
    init.set_defaults(func=cmd_registry_init)
    template = reg_sub.add_parser("template", help="write the Excel registration template")
    template.add_argument("--out", default="reports/registration_template.xlsx")
    template.set_defaults(func=cmd_registry_template)
    imp = reg_sub.add_parser("import", help="import a filled template (.xlsx) or ORUK (.json)")
    imp.add_argument("file")
    imp.add_argument("--report", help="write the problems to this .xlsx if the import fails")
    imp.set_defaults(func=cmd_registry_import)
    exp = reg_sub.add_parser("export", help="export the registry")
    exp.add_argument("--format", choices=["xlsx", "oruk"], default="xlsx")
    exp.add_argument("--out", required=True)
    exp.add_argument("--status", help="only these statuses, e.g. approved or draft,submitted")
    exp.set_defaults(func=cmd_registry_export)
    approve = reg_sub.add_parser("approve", help="approve submitted services")
    approve.add_argument("ids", nargs="+")
    approve.set_defaults(func=cmd_registry_approve)

    users = sub.add_parser("users", help="user accounts")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser("add", help="add a user")
    add.add_argument("username")
    add.add_argument(
        "--role", required=True, choices=["admin", "commissioner", "provider", "viewer"]
    )
    add.add_argument("--org", help="the provider's organisation (id or exact name)")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.set_defaults(func=cmd_users_add)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except PlannerError as exc:
        if args.debug:
            raise
        print(f"planner: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("planner: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
