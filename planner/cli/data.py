"""``planner app``, ``planner data check|fetch`` and ``planner demand``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from planner.cli import common
from planner.errors import PlannerError


def cmd_data_check(args: argparse.Namespace) -> int:
    from planner.datasets import check_data

    settings = common.settings()
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
    from planner.sources.fetch import fetch_files, load_manifest

    settings = common.settings()
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
        files, dest, mirror=args.mirror or settings.fetch_mirror, progress=common.progress
    )
    got = sum(r.status == "downloaded" for r in results)
    total = sum(r.bytes for r in results)
    print(f"{got} downloaded, {len(results) - got} already present, {total / 1e6:.1f} MB in {dest}")
    if dest != settings.data_dir:
        print(f"Use them with: export PLANNER_DATA_DIR={dest}")
    return 0


def cmd_demand(args: argparse.Namespace) -> int:
    from planner.analysis import demand_for
    from planner.datasets import load_planner_data
    from planner.demand import parse_period

    period = parse_period(args.period) if args.period else None
    out = Path(args.out) if args.out else None
    if out and out.suffix.lower() not in (".csv", ".xlsx"):
        raise PlannerError(f"--out {out}: use a file name ending .csv or .xlsx")
    data = load_planner_data(common.settings())
    table = demand_for(data, period)
    if out is None:
        summary = table.groupby(["need", "period_start", "period_end"], dropna=False).agg(
            recorded=("recorded", lambda v: v.sum(min_count=1)),
            estimated=("estimated", lambda v: v.sum(min_count=1)),
            status=("status", lambda v: "; ".join(sorted(set(v)))),
        )
        print(summary.round(1).to_string())
        return 0
    if out.suffix.lower() == ".csv":
        from planner.exports.xlsx import csv_safe

        common.write_output(out, csv_safe(table).to_csv(index=False).encode())
    else:
        from planner.exports.demand import demand_workbook

        common.write_output(out, demand_workbook(table, data.assumptions))
    print(f"Wrote {len(table)} rows ({table['need'].nunique()} needs) to {out}")
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    from planner.app.serve import main

    return main(args.port)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port (a whole number 1-65535)")
    return port


def add_parsers(sub) -> None:
    app = sub.add_parser(
        "app", help="start the web app (today's analysis is run first, then the server starts)"
    )
    app.add_argument("--port", type=_port, default=8501, help="port to serve on (default 8501)")
    app.set_defaults(func=cmd_app)
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
