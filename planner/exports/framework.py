"""The commissioning framework workbook (BRIEF §5.1): principles, minimum standards,
outcomes and KPIs, service specifications per need, lots, the evidence behind each lot, and
the assumptions. Standing content comes from ``data/framework.toml``; lots from a plan when
one is given, otherwise proposed from the gaps (one lot per need and sub-region)."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pandas as pd

from planner.analysis import Analysis
from planner.datasets import PlannerData
from planner.errors import ConfigError
from planner.exports.tables import (
    ASSUMPTION_BLANKS,
    ASSUMPTION_FORMATS,
    DATA_VINTAGES,
    LICENCE,
    assumption_words,
    labels_for,
    produced,
    when,
)
from planner.exports.xlsx import Sheet, gss_workbook
from planner.settings import load_settings

LOT_FLAGS = ("no_provision", "under_provision")


def load_framework(path: Path | None = None) -> dict:
    """The framework's standing content (default: ``Settings.framework_file``)."""
    path = path or load_settings().framework_file
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Framework file {path} cannot be read: {exc}") from exc
    for key in ("meta", "principles", "standards", "outcomes", "service_types", "channels"):
        if key not in raw:
            raise ConfigError(f"{path}: missing [{key}]")
    return raw


def proposed_lots(analysis: Analysis, data: PlannerData) -> pd.DataFrame:
    """One lot per need, tier and sub-region, covering its boroughs with a no-provision or
    under-provision flag in the tier; indicative capacity = their unmet need, in the tier's
    unit (a tier's benchmark or demand rule less today's capacity)."""
    flags = analysis.result.flags
    flagged = flags[flags["flag"].isin(LOT_FLAGS)].copy()
    sub = {a.code: a.sub_region for a in data.area_set.areas}
    flagged["sub_region"] = flagged["area_code"].map(sub)
    flagged["unmet"] = (flagged["estimated"] - flagged["capacity"]).clip(lower=0)
    lots = []
    groups = flagged.groupby(["need", "tier", "tier_label", "unit", "sub_region"], sort=True)
    for (need, _, tier_label, unit, region), group in groups:
        lots.append(
            {
                "lot": f"{data.assumptions.needs[need].label}, {tier_label}: {region} London",
                "need": need,
                "tier": tier_label,
                "areas": ", ".join(sorted(group["area_name"])),
                "indicative capacity": round(group["unmet"].sum(), 1),
                "unit": unit,
                "annual value (GBP)": None,
                "start": None,
                "end": None,
                "basis": "proposed from the gaps (no plan given): capacity = unmet estimated need",
            }
        )
    return pd.DataFrame(
        lots,
        columns=[
            "lot",
            "need",
            "tier",
            "areas",
            "indicative capacity",
            "unit",
            "annual value (GBP)",
            "start",
            "end",
            "basis",
        ],
    )


def plan_lots_frame(plan: dict, area_set) -> pd.DataFrame:
    """A stored plan's lots in the Lots sheet's columns."""
    return pd.DataFrame(
        [
            {
                "lot": lot["name"],
                "need": lot["needs"][0],
                "tier": None,
                "areas": ", ".join(area_set.name_of(a) for a in lot["areas"]),
                "indicative capacity": lot["capacity_per_year"],
                "unit": lot.get("unit") or "in the lot's tier unit",
                "annual value (GBP)": float(lot["annual_value_gbp"] or 0) or None,
                "start": lot["start_date"],
                "end": lot["end_date"],
                "basis": f"plan {plan['name']} ({plan['status']})",
            }
            for lot in plan["lots"]
        ],
        columns=[
            "lot",
            "need",
            "tier",
            "areas",
            "indicative capacity",
            "unit",
            "annual value (GBP)",
            "start",
            "end",
            "basis",
        ],
    )


LOT_BLANKS = {"annual value (GBP)": "[x]", "start": "[x]", "end": "[x]", "tier": "[z]"}
NOTES = [
    (
        "[note 1]",
        "Indicative capacity is estimated need minus current approved capacity, in the tier's "
        "unit; see the gap analysis workbook for the method.",
    ),
    (
        "[note 2]",
        "A lot proposed from the gaps has no value or dates ([x]) until a plan sets them: build "
        "a plan in the app or with 'planner plan', then export the framework from it.",
    ),
    (
        "[note 3]",
        "For each budget, the set of lots that reduces the most weighted unmet need, chosen by "
        "a solver (HiGHS) as 'planner plan suggest' does: one borough, a sub-region or the "
        "whole area per lot, at least the minimum viable value of its service type, at the "
        "illustrative unit costs in the assumptions. Weighted: each unmet person counts for "
        "their need's and tier's ranking weight (Assumptions and sources).",
    ),
]


def spend_outcome(analysis: Analysis, data: PlannerData) -> pd.DataFrame:
    """The spend–outcome curve (:func:`planner.frontier.frontier`) in the sheet's words."""
    from planner.allocation import build_problem
    from planner.frontier import frontier

    curve = frontier(build_problem(analysis.result.coverage, data.assumptions, data.area_set))
    return pd.DataFrame(
        {
            "budget (GBP a year)": curve["budget_gbp"],
            "weighted unmet need reduced (weighted people a year)": curve["weighted_unmet_reduced"],
            "need met (people or families a year)": curve["added_a_year"],
            "lots (count)": curve["lots"],
            "spent (GBP a year)": curve["spent_gbp"],
        }
    )


def framework_workbook(
    analysis: Analysis,
    data: PlannerData,
    *,
    lots: pd.DataFrame | None = None,
    contact: str = "The commissioning team (set a contact in the export)",
    generated: dt.datetime | None = None,
) -> bytes:
    """The commissioning framework workbook (Cover, Contents, Notes, then its tables)."""
    fw = load_framework()
    a = data.assumptions
    words = labels_for(data)
    labels = {n: s.label for n, s in a.needs.items()}
    generated = produced(generated)
    plan_lots = lots is not None
    lots = proposed_lots(analysis, data) if lots is None else lots
    coverage = analysis.result.coverage
    cover = [
        ("Area set", f"{data.area_set.name} ({len(data.area_set.areas)} areas)"),
        ("Date", when(generated.date())),
        ("Data vintages", DATA_VINTAGES),
        ("Framework content", f"data/framework.toml, edited by {fw['meta']['edited_by']}"),
        ("Assumptions", f"data/assumptions.toml, edited by {a.meta.edited_by}"),
        ("Lots", "from the plan" if plan_lots else "proposed from the gaps: no plan given"),
        (
            "Rounding and shorthand",
            "Figures are rounded; an empty cell holds [x] (not available), explained on the "
            "Notes sheet.",
        ),
        ("Contact", contact),
        ("Produced", f"{when(generated)} by the Victim Services Commissioning Planner"),
        ("Licence", LICENCE),
    ]
    warning = (
        "DEMONSTRATION DATA. The services, and the lots drawn from them, come from a fictional "
        "demonstration registry: do not use them for decisions."
        if analysis.demo
        else None
    )
    specs = []
    for need, spec in a.needs.items():
        for key, tier in spec.tier_specs.items():
            rows = coverage[
                (coverage["need"] == need)
                & (coverage["tier"] == key)
                & (coverage["status"] == "assessed")
            ]
            served = [words.of("service_types", t) for t in tier.service_types]
            served += [words.of("accreditations", t) for t in tier.accreditations]
            # indicative capacity per tier: what the tier's benchmark or demand rule asks for
            specs.append(
                {
                    "need": spec.label,
                    "tier": tier.label,
                    "unit": tier.unit,
                    "served by": "; ".join(served)
                    + ("; and other types" if tier.other_types else ""),
                    "demand rule source": tier.rate.source,
                    "required stages": words.many("stages", spec.required_stages, "; "),
                    "required specialist provision": words.detail(
                        ", ".join(spec.required_specialist)
                    ).replace(", ", "; ")
                    or "none set",
                    "channels": words.many("channels", fw["channels"].get(need, []), "; ") or "any",
                    "reachable without a police report": "required"
                    if spec.no_report_route_required
                    else "not required",
                    "indicative capacity (tier's unit) [note 1]": rows["estimated"].sum(),
                    "current capacity (tier's unit)": rows["capacity"].sum(),
                    "indicative extra capacity (tier's unit)": rows["unmet"].sum(),
                }
            )
    evidence = analysis.result.flags.merge(
        lots[["lot", "need", "tier", "areas"]]
        .rename(columns={"tier": "lot_tier"})
        .assign(area_name=lots["areas"].str.split(", "))
        .explode("area_name"),
        on=["need", "area_name"],
    )
    # a lot for one tier rests on that tier's findings; a plan's lot on all of its need's
    evidence = evidence[
        evidence["lot_tier"].isna() | (evidence["lot_tier"] == evidence["tier_label"])
    ]
    evidence = pd.DataFrame(
        {
            "lot": evidence["lot"],
            "area": evidence["area_name"],
            "tier": evidence["tier_label"],
            "finding kind": [words.of("flags", f) for f in evidence["flag"]],
            "severity": [words.of("severities", f) for f in evidence["severity"]],
            "estimated need (tier's unit)": evidence["estimated"],
            "capacity (tier's unit)": evidence["capacity"],
            "coverage (%)": evidence["ratio"],
            "finding": evidence["sentence"],
        }
    )
    outcomes = pd.DataFrame(fw["outcomes"]).assign(
        need=lambda f: f["need"].map(lambda n: labels.get(n, "All needs"))
    )
    outcomes.columns = [c.replace("_", " ") for c in outcomes.columns]
    standards = pd.DataFrame(fw["standards"])
    types = words.lists["service_types"]
    standards["applies_to"] = [types.get(v, v) for v in standards["applies_to"]]
    standards.columns = [c.replace("_", " ") for c in standards.columns]
    lot_table = lots.assign(need=lots["need"].map(labels)).rename(
        columns={"indicative capacity": "indicative capacity [note 1]"}
    )
    sheets = [
        Sheet(
            "Principles",
            "Principles",
            pd.DataFrame(fw["principles"]),
            "What every commissioned service stands on.",
            wrap=("meaning",),
        ),
        Sheet(
            "Minimum standards",
            "Minimum standards for providers",
            standards,
            "What a provider must meet to bid.",
            wrap=("requirement",),
        ),
        Sheet(
            "Outcomes and KPIs",
            "Outcomes and KPIs",
            outcomes,
            "Per need: outcome, measure, target, data source.",
        ),
        Sheet(
            "Service specifications",
            "Service specifications per need and tier [note 1]",
            pd.DataFrame(specs),
            "Per tier: service types, the demand rule's source, stages, specialist provision, "
            "channels, and indicative capacity from the tier's benchmark or demand rule.",
            {
                "indicative capacity (tier's unit) [note 1]": "#,##0.0",
                "current capacity (tier's unit)": "#,##0.0",
                "indicative extra capacity (tier's unit)": "#,##0.0",
            },
        ),
        Sheet(
            "Lots",
            "Proposed contracts (lots) [note 1] [note 2]",
            lot_table,
            "Areas, capacity, value and dates of each lot.",
            {"indicative capacity [note 1]": "#,##0.0", "annual value (GBP)": "#,##0"},
            blank=LOT_BLANKS,
            wrap=("areas",),
            empty="No lots: no area has a gap in provision",
        ),
        Sheet(
            "Spend and outcome",
            "What each budget buys: the spend–outcome curve [note 3]",
            spend_outcome(analysis, data),
            "Weighted unmet need reduced a year by the best set of lots at each budget.",
            {
                "budget (GBP a year)": "#,##0",
                "weighted unmet need reduced (weighted people a year)": "#,##0",
                "need met (people or families a year)": "#,##0",
                "lots (count)": "#,##0",
                "spent (GBP a year)": "#,##0",
            },
        ),
        Sheet(
            "Evidence",
            "The findings behind each lot",
            evidence,
            "Gap and duplication findings for each lot's areas.",
            {
                "estimated need (tier's unit)": "#,##0.0",
                "capacity (tier's unit)": "#,##0.0",
                "coverage (%)": "0.0%",
            },
            wrap=("finding",),
            blank={"coverage (%)": "[z]"},
            empty="No findings: no lot",
        ),
        Sheet(
            "Assumptions and sources",
            "Assumptions and sources",
            assumption_words(a),
            "Every multiplier, benchmark and threshold with its source.",
            ASSUMPTION_FORMATS,
            wrap=("source", "why"),
            blank=ASSUMPTION_BLANKS,
        ),
    ]
    return gss_workbook(
        title=fw["meta"]["title"], cover=cover, notes=NOTES, sheets=sheets, warning=warning
    )
