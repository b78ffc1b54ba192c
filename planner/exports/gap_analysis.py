"""The gap analysis workbook (BRIEF §5.2): the engine's tables, for a board, as a spreadsheet
that follows the GSS guidance. Built in code, returned as bytes; user text is never a formula;
the same input gives the same cells (the time of writing appears on the cover only)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import pandas as pd

from planner.analysis import Analysis
from planner.coverage.ranking import tier_summary, worst_areas
from planner.datasets import PlannerData
from planner.exports.tables import (
    ASSUMPTION_BLANKS,
    ASSUMPTION_FORMATS,
    DATA_VINTAGES,
    DEMAND_BLANKS,
    DEMAND_FORMATS,
    LICENCE,
    QUALITY_WORDS,
    RAG,
    SERVICE_BLANKS,
    YES_NO,
    assumption_words,
    demand_words,
    labels_for,
    produced,
    services_words,
    when,
)
from planner.exports.xlsx import Sheet, gss_workbook
from planner.maps import RAG_COLOURS
from planner.words import humanise

TITLE = "Victim support: gaps and duplication"
PCT, NUM, NUM1 = "0.0%", "#,##0", "#,##0.0"
NOTES = [
    (
        "[note 1]",
        "The City of London is policed by the City of London Police, whose crime data "
        "is not published with the Metropolitan Police's: police-recorded needs there are 'not "
        "assessed' ([x]), never 0.",
    ),
    (
        "[note 2]",
        "From about March 2024 the Metropolitan Police record crime on a new system "
        "(CONNECT): domestic abuse and hate crime figures before and after are not comparable.",
    ),
    (
        "[note 3]",
        "Road harm counts collisions in which someone was killed or seriously injured "
        "(STATS19): severity is per collision, not per person.",
    ),
    (
        "[note 4]",
        "Hate crime strands overlap (one offence can carry several flags): the total is "
        "used, strands are never added.",
    ),
    (
        "[note 5]",
        "Estimated demand = recorded ÷ reporting rate × take-up share; see Assumptions "
        "and sources for each value and its source.",
    ),
    (
        "[note 6]",
        "Only approved services count. Confidential sites (refuges) appear only as their borough.",
    ),
    (
        "[note 7]",
        "Capacity within reach is a two-step floating catchment score (2SFCA, Luo and Wang "
        "2003): each face-to-face site's capacity is shared among the residents who live within "
        "reach of it, and an area's score adds up the shares its residents can reach; shown per "
        "1,000 residents. Distances are straight lines.",
    ),
]


def _filter(frame: pd.DataFrame, needs, areas) -> pd.DataFrame:
    out = frame
    if needs and "need" in out:
        out = out[out["need"].isin(needs)]
    if areas and "area_code" in out:
        out = out[out["area_code"].isin(areas)]
    return out.reset_index(drop=True)


def gap_analysis_workbook(
    analysis: Analysis,
    data: PlannerData,
    *,
    needs: Sequence[str] | None = None,
    areas: Sequence[str] | None = None,
    contact: str = "The commissioning team (set a contact in the export)",
    generated: dt.datetime | None = None,
) -> bytes:
    """The gap analysis workbook. ``needs``/``areas`` filter every table and are stated on the
    cover."""
    result, a = analysis.result, data.assumptions
    words = labels_for(data)
    names = {x.code: x.name for x in data.area_set.areas}
    labels = {n: s.label for n, s in a.needs.items()}
    chosen_needs = [n for n in a.needs if not needs or n in needs]
    generated = produced(generated)
    demand = _filter(analysis.demand, needs, areas)
    periods = (
        demand.dropna(subset=["period_end"]).groupby("need")[["period_start", "period_end"]].first()
    )
    window = a.thresholds["contract_end_window_months"].value
    cover = [
        ("Area set", f"{data.area_set.name} ({len(data.area_set.areas)} areas)"),
        ("Needs", ", ".join(labels[n] for n in chosen_needs)),
        ("Areas", "all" if not areas else ", ".join(names[c] for c in areas)),
        (
            "Demand periods",
            "; ".join(
                f"{labels[n]}: {r.period_start} to {r.period_end}" for n, r in periods.iterrows()
            ),
        ),
        ("Services", f"{len(analysis.tables.services)} approved services"),
        (
            "Contracts judged on",
            f"{when(analysis.as_of)}: a contract that ended before then no longer counts, and "
            f"one ending within {window:g} months after it is flagged 'Contract ending'.",
        ),
        ("Data vintages", DATA_VINTAGES),
        ("Assumptions", f"data/assumptions.toml, edited by {a.meta.edited_by}"),
        (
            "Rounding and shorthand",
            "Figures are rounded (see the Notes sheet); an empty cell holds [x] (not "
            "available), [z] (not applicable) or [c] (confidential), explained on the Notes sheet.",
        ),
        ("Contact", contact),
        ("Produced", f"{when(generated)} by the Victim Services Commissioning Planner"),
        ("Licence", LICENCE),
    ]
    warning = (
        "DEMONSTRATION DATA. The services in this workbook come from a fictional "
        "demonstration registry: do not use the findings for decisions. Demand figures are real."
        if analysis.demo
        else None
    )
    coverage = _filter(result.coverage, needs, areas)
    heads = _filter(result.headline, needs, areas)
    summary = heads.pivot(
        index=["area_code", "area_name"],
        columns="need",
        values=["rag", "ratio", "worst_tier_label"],
    )
    matrix = pd.DataFrame(
        {"area code": [i[0] for i in summary.index], "area": [i[1] for i in summary.index]}
    )
    formats, fills, matrix_blanks = {}, {}, {}
    for need in chosen_needs:
        status_col, ratio_col = f"{labels[need]}: status", f"{labels[need]}: coverage (%)"
        tier_col = f"{labels[need]}: worst tier"
        matrix[status_col] = [RAG.get(v, v) for v in summary[("rag", need)]]
        matrix[tier_col] = summary[("worst_tier_label", need)].to_numpy()
        matrix[ratio_col] = summary[("ratio", need)].to_numpy()
        formats[ratio_col] = PCT
        fills[status_col] = {RAG[k]: v for k, v in RAG_COLOURS.items()}
        matrix_blanks[tier_col] = "[z]"
    flags = _filter(result.flags, needs, areas)
    flag_table = pd.DataFrame(
        {
            "area code": flags["area_code"],
            "area": flags["area_name"],
            "need": flags["need"].map(labels),
            "tier": flags["tier_label"],
            "finding kind": [words.of("flags", f) for f in flags["flag"]],
            "severity": [words.of("severities", s) for s in flags["severity"]],
            "uncertain within the range": flags["uncertain"].map(YES_NO),
            "unit": flags["unit"],
            "estimated need (tier's unit)": flags["estimated"],
            "capacity (tier's unit)": flags["capacity"],
            "coverage (%)": flags["ratio"],
            "coverage, low end (%)": flags["ratio_low"],
            "coverage, high end (%)": flags["ratio_high"],
            "detail": [words.detail(d) for d in flags["detail"]],
            "services involved": flags["services"],
            "finding": flags["sentence"],
        }
    )
    cov_table = pd.DataFrame(
        {
            "area code": coverage["area_code"],
            "area": coverage["area_name"],
            "need": coverage["need"].map(labels),
            "tier": coverage["tier_label"],
            "unit": coverage["unit"],
            "assessment": coverage["status"],
            "recorded (a year)": coverage["recorded"],
            "estimated need (tier's unit)": coverage["estimated"],
            "estimated need, low end": coverage["estimated_low"],
            "estimated need, high end": coverage["estimated_high"],
            "services (count)": coverage["services"],
            "services without capacity (count)": coverage["services_without_capacity"],
            "capacity (tier's unit)": coverage["capacity"],
            "coverage (%)": coverage["ratio"],
            "coverage, low end (%)": coverage["ratio_low"],
            "coverage, high end (%)": coverage["ratio_high"],
            "status": [RAG.get(r, r) for r in coverage["rag"]],
            "what the status means": coverage["rag_words"],
            "uncertain within the range": coverage["uncertain"].map(YES_NO),
            "unmet need (tier's unit)": coverage["unmet"],
            "unmet need (people or families a year)": coverage["unmet_people"],
            "priority (weighted people a year)": coverage["priority"],
        }
    )
    stages = _filter(result.stages, needs, areas)
    stage_table = pd.DataFrame(
        {
            "area code": stages["area_code"],
            "area": stages["area_name"],
            "need": stages["need"].map(labels),
            "stage": [words.of("stages", s) for s in stages["stage"]],
            "required for this need": stages["required"].map(YES_NO),
            "services (count)": stages["services"],
            "services": [n or "none" for n in stages["service_names"]],
        }
    )
    access = _filter(result.access, needs, areas)
    access_table = pd.DataFrame(
        {
            "area code": access["area_code"],
            "area": access["area_code"].map(names),
            "need": access["need"].map(labels),
            "population (residents)": access["population"],
            "residents beyond reach (%)": access["share_beyond"],
            "capacity within reach per 1,000 residents (2SFCA) [note 7]": access[
                "two_sfca_per_1000"
            ],
            "median distance to the nearest site (km)": access["median_nearest_km"],
        }
    )
    tiers_table = tier_summary(coverage, a)
    tiers_table = tiers_table[tiers_table["need"].isin(chosen_needs)]
    tiers_table = tiers_table.assign(
        need=tiers_table["need"].map(labels),
        tier=[
            a.needs[n].tier_specs[t].label
            for n, t in zip(tiers_table["need"], tiers_table["tier"], strict=True)
        ],
    ).drop(columns=["name", "coverage", "range"])
    tiers_table = tiers_table.rename(
        columns={
            "demand": "estimated need",
            "demand_low": "estimated need, low end",
            "demand_high": "estimated need, high end",
            "ratio": "coverage (%)",
            "red": "areas red",
            "amber": "areas amber",
            "green": "areas green",
            "uncertain": "areas uncertain",
        }
    )
    worst_table = worst_areas(
        dataclasses.replace(result, coverage=coverage), n=None, need_labels=labels
    )
    worst_table = worst_table.rename(
        columns={
            "area_code": "area code",
            "area_name": "area",
            "unmet_people": "unmet need (people or families a year)",
            "priority": "priority (weighted people a year)",
            "red_tiers": "red tiers (count)",
            "largest_gap": "largest gap",
            "largest_gap_unmet": "largest gap (weighted people a year)",
        }
    )
    quality = pd.DataFrame(
        {
            "service": result.data_quality["service"],
            "provider": result.data_quality["organisation"],
            "what to check": [
                QUALITY_WORDS.get(i) or humanise(i) for i in result.data_quality["issue"]
            ],
            "detail": [words.detail(d) for d in result.data_quality["detail"]],
            "service id": result.data_quality["service_id"],
        }
    )
    ratio_formats = {
        "coverage (%)": PCT,
        "coverage, low end (%)": PCT,
        "coverage, high end (%)": PCT,
    }
    sheets = [
        Sheet(
            "Summary",
            "Coverage of estimated need by area and need: status in words and "
            "coverage (%) [note 1] [note 5]",
            matrix,
            "Each area and need: its status (red, amber, green) in words, the tier furthest "
            "behind and the coverage of that tier.",
            formats,
            fills,
            blank=matrix_blanks,
        ),
        Sheet(
            "Flags",
            "Findings: gaps, duplication, continuity and access [note 6]",
            flag_table,
            "Every finding with its severity, evidence and a plain sentence.",
            {"estimated need (tier's unit)": NUM1, "capacity (tier's unit)": NUM1, **ratio_formats},
            wrap=("finding",),
            blank={
                "detail": "[z]",
                "services involved": "[z]",
                "estimated need (tier's unit)": "[z]",
                "capacity (tier's unit)": "[z]",
                **dict.fromkeys(ratio_formats, "[z]"),
            },
        ),
        Sheet(
            "Tiers",
            f"Coverage by need and tier across {data.area_set.name}, with the range [note 5]",
            tiers_table,
            "Each need's tiers: demand, capacity and coverage with its range, and how many "
            "areas are red, amber, green and uncertain.",
            {
                "estimated need": NUM1,
                "estimated need, low end": NUM1,
                "estimated need, high end": NUM1,
                "capacity": NUM1,
                "coverage (%)": PCT,
            },
        ),
        Sheet(
            "Worst areas",
            "Areas by unmet need (people or families a year beyond capacity)",
            worst_table,
            "Every area ranked by its priority: its unmet people a year, each counting for "
            "their need's and tier's weight (see Assumptions, ranking); the same list as the "
            "app and the command line.",
            {
                "unmet need (people or families a year)": NUM,
                "priority (weighted people a year)": NUM1,
                "largest gap (weighted people a year)": NUM1,
            },
            blank={"largest gap": "[z]", "largest gap (weighted people a year)": "[z]"},
        ),
        Sheet(
            "Coverage",
            "Coverage detail: demand, capacity and coverage [note 1] [note 5]",
            cov_table,
            "Estimated need, capacity and coverage per area, need and tier, with ranges.",
            {
                "recorded (a year)": NUM1,
                "estimated need (tier's unit)": NUM1,
                "estimated need, low end": NUM1,
                "estimated need, high end": NUM1,
                "capacity (tier's unit)": NUM1,
                **ratio_formats,
                "unmet need (tier's unit)": NUM1,
                "unmet need (people or families a year)": NUM,
                "priority (weighted people a year)": NUM1,
            },
            wrap=("what the status means",),
        ),
        Sheet(
            "Demand",
            "Demand by area and need [note 1] [note 2] [note 3] [note 4]",
            demand_words(demand),
            "Recorded counts, rates and estimated need, with periods and sources.",
            DEMAND_FORMATS,
            blank=DEMAND_BLANKS,
        ),
        Sheet(
            "Services",
            "Approved services [note 6]",
            services_words(
                analysis.tables,
                words,
                names,
                areas=areas,
                needs=needs,
                everywhere=f"all of {data.area_set.name}",
            ),
            "The approved services the analysis counts.",
            {"capacity (people a year)": NUM, "family places": NUM},
            blank=SERVICE_BLANKS,
        ),
        Sheet(
            "Journey stages",
            "Services at each stage of the victim's journey",
            stage_table,
            "Each area, need and stage: how many services, which ones, whether the stage is "
            "required.",
            wrap=("services",),
        ),
        Sheet(
            "Access",
            "Access to face-to-face sites (straight-line distance) [note 7]",
            access_table,
            "Residents beyond reach, capacity within reach and the distance to the nearest site "
            "per area and need.",
            {
                "population (residents)": NUM,
                "residents beyond reach (%)": PCT,
                "capacity within reach per 1,000 residents (2SFCA) [note 7]": "0.00",
                "median distance to the nearest site (km)": "0.0",
            },
            blank={"median distance to the nearest site (km)": "[z]"},
        ),
        Sheet(
            "Data quality",
            "Registry records to check",
            quality,
            "Services without capacity, records not updated recently, ended contracts.",
        ),
        Sheet(
            "Method",
            "Method",
            pd.DataFrame({"step": range(1, len(result.method) + 1), "method": result.method}),
            "How every number is computed.",
            wrap=("method",),
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
    return gss_workbook(title=TITLE, cover=cover, notes=NOTES, sheets=sheets, warning=warning)
