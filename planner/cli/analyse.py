"""``planner analyse`` and ``planner export``: the coverage analysis and its exports."""

from __future__ import annotations

import argparse
from pathlib import Path

from planner.cli import common
from planner.errors import PlannerError


def cmd_analyse(args: argparse.Namespace) -> int:
    import datetime as dt
    import json

    from planner.coverage.ranking import tier_summary, worst_areas
    from planner.demand import parse_period

    period = parse_period(args.period) if args.period else None
    try:
        as_of = dt.date.fromisoformat(args.as_of) if args.as_of else None
    except ValueError as exc:
        raise PlannerError(f"--as-of {args.as_of!r} is not a date like 2026-11-29") from exc
    out = Path(args.out) if args.out else None
    if out and out.suffix.lower() not in (".csv", ".json"):
        raise PlannerError(f"--out {out}: use a file name ending .csv or .json")
    data, _, analysis = common.today_analysis(access=not args.no_access, period=period, as_of=as_of)
    result = analysis.result
    services = len(analysis.tables.services)
    demo = " (demonstration registry)" if analysis.demo else ""
    print(
        f"Coverage of {len(data.area_set.areas)} areas x {len(data.assumptions.needs)} needs "
        f"by {services} approved services{demo}, as of {analysis.as_of.isoformat()}."
    )
    print("\nCoverage by need and tier (London-wide demand and capacity; areas red/amber/green):")
    print(
        f"  {'need: tier':<60} {'demand':>10} {'capacity':>10} {'coverage':>9} {'range':>13}"
        f"  {'red':>3} {'amb':>3} {'grn':>3} {'unc':>3}"
    )
    for row in tier_summary(result.coverage, data.assumptions).itertuples(index=False):
        print(
            f"  {row.name:<60} {row.demand:>10,.0f} {row.capacity:>10,.0f} {row.coverage:>9} "
            f"{row.range:>13}  {row.red:>3} {row.amber:>3} {row.green:>3} {row.uncertain:>3}"
        )
    print("  (demand and capacity in each tier's unit: people or families a year, family")
    print("  places or centres; 'unc': areas whose status changes within the assumptions' range)")
    print("\nFlags by kind:")
    counts = result.flag_counts()
    severity = result.flags.groupby("flag")["severity"].agg(
        lambda s: ", ".join(f"{k} {v}" for k, v in s.value_counts().sort_index().items())
    )
    for kind, n in counts.items():
        print(f"  {kind:<20} {n:>5}   {severity.get(kind, '')}")
    print(f"  {'total':<20} {int(counts.sum()):>5}")
    print(
        "\nWorst five areas by unmet need (people or families a year beyond capacity; "
        "priority: the same people weighted by their need's and tier's weight, see the "
        "assumptions' [ranking]):"
    )
    for row in worst_areas(result).itertuples(index=False):
        print(
            f"  {row.area_name:<24} unmet {row.unmet_people:>8,.0f} a year  priority "
            f"{row.priority:>7,.0f}  red tiers {row.red_tiers:>2}  largest gap: {row.largest_gap}"
        )
    if out:
        if out.suffix.lower() == ".csv":
            from planner.exports.xlsx import csv_safe

            common.write_output(out, csv_safe(result.flags).to_csv(index=False).encode())
        else:
            tables = {
                name: getattr(result, name)
                for name in (
                    "coverage",
                    "headline",
                    "flags",
                    "stages",
                    "access",
                    "benchmarks",
                    "data_quality",
                )
            }
            payload = {
                name: json.loads(frame.to_json(orient="records", date_format="iso"))
                for name, frame in tables.items()
            }
            payload["method"] = result.method
            payload["as_of"] = analysis.as_of.isoformat()
            common.write_output(out, json.dumps(payload, indent=1).encode("utf-8"))
        print(f"\nWrote {out}")
    return 0


PACKS = ("needs-assessment", "safe-accommodation", "map-of-gaps")


def _pack_options(args: argparse.Namespace):
    """The needs assessment's review date and consultation log, checked before any work."""
    import datetime as dt

    if args.summary and (args.what != "needs-assessment" or not args.summary.endswith(".pdf")):
        raise PlannerError("--summary FILE.pdf goes with the needs-assessment export only")
    review = None
    if args.review:
        try:
            review = dt.date.fromisoformat(args.review)
        except ValueError:
            raise PlannerError(f"--review {args.review!r} is not a date like 2027-11-30") from None
    consultation = None
    if args.consultation:
        if args.what != "needs-assessment":
            raise PlannerError("--consultation goes with the needs-assessment export only")
        from planner.needs_assessment import read_consultation

        source = Path(args.consultation)
        consultation = read_consultation(common.read_input(source), filename=source.name)
    return review, consultation


def _pack(args, analysis, data, out: Path, contact: str, review, consultation) -> bytes:
    """One statutory pack's bytes (the needs assessment's summary PDF, when asked, too); its
    findings are printed."""
    from planner.exports import packs

    if args.what == "needs-assessment":
        content, pack = packs.needs_assessment_pack(
            analysis, data, consultation=consultation, review=review, contact=contact
        )
        summary = packs.needs_assessment_summary_pdf(pack, data, analysis)
        if out.suffix.lower() == ".pdf":
            content = summary
        elif args.summary:
            common.write_output(Path(args.summary), summary)
            print(f"Wrote {args.summary} ({len(summary):,} bytes): the printable summary")
    else:
        make = (
            packs.safe_accommodation_pack
            if args.what == "safe-accommodation"
            else packs.map_of_gaps_pack
        )
        content, pack = make(analysis, data, contact=contact)
    for line in pack.findings:
        print(f"  - {line}")
    return content


def cmd_export(args: argparse.Namespace) -> int:
    import time

    from planner.analysis import analyse_registry
    from planner.datasets import load_planner_data

    out = Path(args.out)
    allowed = {
        "gap-analysis": (".xlsx",),
        "framework": (".xlsx",),
        "map": (".html", ".png"),
        "leaflet": (".html", ".pdf"),
        "needs-assessment": (".xlsx", ".pdf"),
        "safe-accommodation": (".xlsx",),
        "map-of-gaps": (".xlsx",),
    }[args.what]
    if out.suffix.lower() not in allowed:
        raise PlannerError(
            f"--out {out}: a {args.what} export is written as " + " or ".join(allowed)
        )
    review, consultation = _pack_options(args)
    contact = args.contact or "The commissioning team (set with --contact)"
    start = time.perf_counter()
    data = load_planner_data(common.settings())
    needs = [common.need_key(data, n) for n in args.need] if args.need else None
    areas = [data.area_set.resolve(b) for b in args.borough] if args.borough else None
    registry = common.open_registry()
    analysis = analyse_registry(data, registry, access=args.what == "gap-analysis")
    if args.what == "gap-analysis":
        from planner.exports.gap_analysis import gap_analysis_workbook

        content = gap_analysis_workbook(
            analysis,
            data,
            needs=needs,
            areas=areas,
            contact=contact,
        )
    elif args.what == "framework":
        from planner.exports.framework import framework_workbook

        content = framework_workbook(analysis, data, contact=contact)
    elif args.what in PACKS:
        content = _pack(args, analysis, data, out, contact, review, consultation)
    elif args.what == "map":
        need = needs[0] if needs else "domestic_abuse"
        from planner.coverage.ranking import map_rows

        rows = map_rows(analysis.result, need)
        label = data.assumptions.needs[need].label + ", worst tier"
        if out.suffix.lower() == ".png":
            from planner.exports.maps import gap_map_png

            content = gap_map_png(
                data.boundaries, rows, title=f"{label}: coverage of estimated need"
            )
        else:
            from planner.exports.maps import map_html
            from planner.maps import coverage_map
            from planner.sources.boundaries import map_layer

            a = data.assumptions
            content = map_html(
                coverage_map(
                    map_layer(data.boundaries),
                    rows,
                    title=label,
                    red=a.threshold("under_provision_red"),
                    amber=a.threshold("under_provision_amber"),
                )
            )
    else:
        if not areas or not needs:
            raise PlannerError(
                "A leaflet is for one borough and one need: give --borough and --need."
            )
        from planner.exports.leaflet import leaflet_html, leaflet_pdf

        make = leaflet_pdf if out.suffix.lower() == ".pdf" else leaflet_html
        content = make(analysis, data, areas[0], needs[0])
    common.write_output(out, content)
    demo = " (demonstration registry)" if analysis.demo else ""
    print(f"Wrote {out} ({len(content):,} bytes){demo} in {time.perf_counter() - start:.1f} s")
    return 0


def add_parsers(sub) -> None:
    analyse_cmd = sub.add_parser("analyse", help="coverage, gaps and duplication")
    analyse_cmd.add_argument("--period", help="last month of the demand window, YYYY-MM")
    analyse_cmd.add_argument("--as-of", help="date for contract windows (default today)")
    analyse_cmd.add_argument("--out", help="write the flags to FILE.csv, or every table to .json")
    analyse_cmd.add_argument("--no-access", action="store_true", help="skip the access analysis")
    analyse_cmd.set_defaults(func=cmd_analyse)

    export = sub.add_parser("export", help="workbooks, maps and leaflets")
    export.add_argument(
        "what",
        choices=[
            "gap-analysis",
            "framework",
            "map",
            "leaflet",
            "needs-assessment",
            "safe-accommodation",
            "map-of-gaps",
        ],
        help="needs-assessment: the joint needs assessment (Victims and Prisoners Act 2024 "
        "ss.13-15); safe-accommodation: Domestic Abuse Act 2021 Part 4; map-of-gaps: violence "
        "type x support type per area",
    )
    export.add_argument("--out", required=True)
    export.add_argument("--review", help="needs-assessment: review date, YYYY-MM-DD")
    export.add_argument(
        "--consultation",
        help="needs-assessment: last pack (.xlsx) or a CSV whose consultation log to carry on",
    )
    export.add_argument("--summary", help="needs-assessment: also write the summary to FILE.pdf")
    export.add_argument("--need", action="append", help="a need (repeatable)")
    export.add_argument("--borough", action="append", help="a borough (repeatable)")
    export.add_argument("--contact", help="contact line for the workbook's cover")
    export.set_defaults(func=cmd_export)
