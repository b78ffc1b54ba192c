"""The gap analysis workbook (BRIEF §5.2): the engine's tables, for a board, as a spreadsheet
that follows the GSS guidance. Built in code, returned as bytes; user text is never a formula;
the same input gives the same cells (the time of writing appears on the cover only)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

import pandas as pd

from planner.analysis import Analysis
from planner.coverage.inputs import public_site
from planner.coverage.ranking import tier_summary, worst_areas
from planner.datasets import PlannerData
from planner.exports.xlsx import Sheet, gss_workbook
from planner.maps import RAG_COLOURS
from planner.schema import SCOPE_WORDS

TITLE = "Victim support: gaps and duplication"
PCT, NUM, NUM1 = "0%", "#,##0", "#,##0.0"
NOTES = [
    (
        "[note 1]",
        "The City of London is policed by the City of London Police, whose crime data "
        "is not published with the Metropolitan Police's: police-recorded needs there are 'not "
        "assessed', never 0.",
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
]


def _filter(frame: pd.DataFrame, needs, areas) -> pd.DataFrame:
    out = frame
    if needs and "need" in out:
        out = out[out["need"].isin(needs)]
    if areas and "area_code" in out:
        out = out[out["area_code"].isin(areas)]
    return out.reset_index(drop=True)


def _services_table(
    analysis: Analysis,
    areas: Sequence[str] | None,
    needs: Sequence[str] | None,
    names: dict[str, str],
) -> pd.DataFrame:
    t = analysis.tables
    terms = t.terms.groupby(["service_id", "kind"])["value"].agg(lambda v: ", ".join(sorted(v)))
    covered = t.areas.groupby("service_id")["area_code"].agg(list)
    sites = (
        t.sites.assign(
            where=[
                f"{names.get(s['area_code'], s['area_code'])}"
                + ("" if s["confidential"] else f" ({s['name'] or 'site'})")
                for s in map(public_site, t.sites.to_dict("records"))
            ]
        )
        .groupby("service_id")["where"]
        .agg("; ".join)
    )
    rows = []
    for s in t.services.sort_values(["name", "service_id"]).itertuples(index=False):
        codes = covered.get(s.service_id, [])
        service_needs = terms.get((s.service_id, "need"), "")
        if areas and not set(codes) & set(areas):
            continue
        if needs and not set(service_needs.split(", ")) & set(needs):
            continue
        rows.append(
            {
                "service": s.name,
                "provider": s.organisation_name,
                "type": s.service_type,
                "needs": service_needs,
                "stages": terms.get((s.service_id, "stage"), ""),
                "specialisms": terms.get((s.service_id, "specialism"), ""),
                "scope": SCOPE_WORDS.get(s.scope or "local", s.scope),
                "areas": "all" if s.all_areas else ", ".join(names.get(c, c) for c in codes),
                "capacity (people a year)": s.capacity_per_year,
                "referral route": s.referral_route,
                "without a police report": "yes" if s.without_police_report else "no",
                "sites": sites.get(s.service_id, ""),
                "demonstration data": "yes" if s.is_demo else "no",
                "service id": s.service_id,
            }
        )
    return pd.DataFrame(rows)


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
    names = {x.code: x.name for x in data.area_set.areas}
    labels = {n: s.label for n, s in a.needs.items()}
    chosen_needs = [n for n in a.needs if not needs or n in needs]
    generated = generated or dt.datetime.now(dt.UTC).replace(microsecond=0)
    demand = _filter(analysis.demand, needs, areas)
    periods = (
        demand.dropna(subset=["period_end"]).groupby("need")[["period_start", "period_end"]].first()
    )
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
        ("Contracts window from", analysis.as_of.isoformat()),
        (
            "Data vintages",
            "MPS recorded crime to 2026-06; MPS crime dashboard (domestic abuse, "
            "hate crime) to 2025-07; STATS19 collisions 2022 and 2025; Census 2021 population; "
            "ONS 2021 LSOA and 2022 local authority boundaries",
        ),
        ("Assumptions", f"data/assumptions.toml, edited by {a.meta.edited_by}"),
        ("Contact", contact),
        ("Produced", f"{generated.isoformat()} by the Victim Services Commissioning Planner"),
        (
            "Licence",
            "Contains public sector information licensed under the Open Government "
            "Licence (ONS OGL v3.0; MPS / London Datastore OGL v2.0; DfT OGL v3.0).",
        ),
    ]
    if analysis.demo:
        cover.insert(
            0,
            (
                "DEMONSTRATION DATA",
                "The services in this workbook come from a "
                "fictional demonstration registry: do not use the findings for "
                "decisions. Demand figures are real.",
            ),
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
    formats, fills = {}, {}
    words = {
        "red": "Red",
        "amber": "Amber",
        "green": "Green",
        "not assessed": "Not assessed",
        "no recorded demand": "No recorded demand",
    }
    for need in chosen_needs:
        status_col, ratio_col = f"{labels[need]}: status", f"{labels[need]}: coverage (%)"
        matrix[status_col] = [words.get(v, v) for v in summary[("rag", need)]]
        matrix[f"{labels[need]}: worst tier"] = summary[("worst_tier_label", need)].to_numpy()
        matrix[ratio_col] = summary[("ratio", need)].to_numpy()
        formats[ratio_col] = PCT
        fills[status_col] = {words[k]: v for k, v in RAG_COLOURS.items()}
    flags = _filter(result.flags, needs, areas)
    flag_table = pd.DataFrame(
        {
            "area code": flags["area_code"],
            "area": flags["area_name"],
            "need": flags["need"].map(labels),
            "tier": flags["tier_label"],
            "flag": flags["flag"],
            "severity": flags["severity"],
            "uncertain within the range": flags["uncertain"].map({True: "yes", False: "no"}),
            "unit": flags["unit"],
            "estimated need (tier's unit)": flags["estimated"],
            "capacity (tier's unit)": flags["capacity"],
            "coverage (%)": flags["ratio"],
            "coverage, low end (%)": flags["ratio_low"],
            "coverage, high end (%)": flags["ratio_high"],
            "detail": flags["detail"],
            "services involved": flags["services"],
            "finding": flags["sentence"],
        }
    )
    cov_table = coverage.drop(columns=["tier", "measure"]).rename(
        columns={
            "area_code": "area code",
            "area_name": "area",
            "tier_label": "tier",
            "recorded": "recorded (a year)",
            "estimated": "estimated need (tier's unit)",
            "estimated_low": "estimated need, low end",
            "estimated_high": "estimated need, high end",
            "services": "services (count)",
            "services_without_capacity": "services without capacity (count)",
            "capacity": "capacity (tier's unit)",
            "ratio": "coverage (%)",
            "ratio_low": "coverage, low end (%)",
            "ratio_high": "coverage, high end (%)",
            "rag": "status",
            "rag_words": "status in words",
            "unmet": "unmet need (tier's unit)",
            "unmet_people": "unmet need (people or families a year)",
            "priority": "priority (points)",
        }
    )
    cov_table["uncertain"] = cov_table["uncertain"].map({True: "yes", False: "no"})
    cov_table["need"] = cov_table["need"].map(labels)
    demand_table = demand.rename(
        columns={
            "recorded": "recorded (a year)",
            "population": "population (residents)",
            "rate_per_100k": "rate per 100,000 residents",
            "women_16plus": "women aged 16+",
            "rate_per_100k_women_16plus": "rate per 100,000 women aged 16+",
            "reporting_rate": "reporting rate (%)",
            "take_up_share": "take-up share (%)",
            "estimated": "estimated need (people a year)",
        }
    )
    stages = _filter(result.stages, needs, areas).rename(columns={"services": "services (count)"})
    access = _filter(result.access, needs, areas).rename(
        columns={
            "population": "population (residents)",
            "share_beyond": "residents beyond reach (%)",
            "two_sfca_per_1000": "2SFCA (capacity within reach per 1,000 residents)",
            "median_nearest_km": "median distance to nearest site (km)",
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
    worst_table = worst_areas(dataclasses.replace(result, coverage=coverage), n=None)
    worst_table = worst_table.rename(
        columns={
            "area_code": "area code",
            "area_name": "area",
            "unmet_people": "unmet need (people or families a year)",
            "priority": "priority (points)",
            "red_tiers": "red tiers (count)",
            "largest_gap": "largest gap",
            "largest_gap_unmet": "largest gap (points)",
        }
    )
    quality = result.data_quality
    assumptions = a.table().rename(columns={"value": "value (see unit)"})
    sheets = [
        Sheet(
            "Summary",
            "Coverage of estimated need by area and need: status in words and "
            "coverage (%) [note 1] [note 5]",
            matrix,
            "RAG matrix: each area and need, status in words and coverage",
            formats,
            fills,
        ),
        Sheet(
            "Flags",
            "Findings: gaps, duplication, continuity and access [note 6]",
            flag_table,
            "Every flag with its severity, evidence and a plain sentence",
            {
                "estimated need (tier's unit)": NUM1,
                "capacity (tier's unit)": NUM1,
                "coverage (%)": PCT,
                "coverage, low end (%)": PCT,
                "coverage, high end (%)": PCT,
            },
            wrap=("finding",),
        ),
        Sheet(
            "Tiers",
            f"Coverage by need and tier across {data.area_set.name}, with the range [note 5]",
            tiers_table,
            "Each need's tiers: demand, capacity and coverage with its range, and how many "
            "areas are red, amber, green and uncertain",
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
            "Every area ranked by its priority: its share of each tier's unmet need, every "
            "need weighing the same (see Assumptions, ranking); the same list as the app and "
            "the command line",
            {
                "unmet need (people or families a year)": NUM,
                "priority (points)": NUM1,
                "largest gap (points)": NUM1,
            },
        ),
        Sheet(
            "Coverage",
            "Coverage detail: demand, capacity and ratio [note 5]",
            cov_table,
            "Estimated need, capacity shares and coverage per area, need and tier, with ranges",
            {
                "recorded (a year)": NUM1,
                "estimated need (tier's unit)": NUM1,
                "estimated need, low end": NUM1,
                "estimated need, high end": NUM1,
                "capacity (tier's unit)": NUM1,
                "coverage (%)": PCT,
                "coverage, low end (%)": PCT,
                "coverage, high end (%)": PCT,
                "unmet need (tier's unit)": NUM1,
                "unmet need (people or families a year)": NUM1,
                "priority (points)": NUM1,
            },
        ),
        Sheet(
            "Demand",
            "Demand by area and need [note 1] [note 2] [note 3] [note 4]",
            demand_table,
            "Recorded counts, rates and estimated need, with periods and sources",
            {
                "recorded (a year)": NUM1,
                "population (residents)": NUM,
                "rate per 100,000 residents": NUM1,
                "women aged 16+": NUM,
                "rate per 100,000 women aged 16+": NUM1,
                "reporting rate (%)": "0.0%",
                "take-up share (%)": PCT,
                "estimated need (people a year)": NUM,
            },
        ),
        Sheet(
            "Services",
            "Approved services [note 6]",
            _services_table(analysis, areas, needs, names),
            "The approved services the analysis counts",
            {"capacity (people a year)": NUM},
        ),
        Sheet(
            "Journey stages",
            "Services at each stage of the victim's journey",
            stages,
            "Area x need x stage: how many services, which ones, whether required",
        ),
        Sheet(
            "Access",
            "Access to face-to-face sites (straight-line distance)",
            access,
            "Residents beyond reach and the 2SFCA score per area and need",
            {
                "population (residents)": NUM,
                "residents beyond reach (%)": PCT,
                "2SFCA (capacity within reach per 1,000 residents)": "0.00",
                "median distance to nearest site (km)": "0.0",
            },
        ),
        Sheet(
            "Data quality",
            "Registry records to check",
            quality,
            "Services without capacity, stale records, ended contracts, unknown values",
        ),
        Sheet(
            "Method",
            "Method",
            pd.DataFrame({"step": range(1, len(result.method) + 1), "method": result.method}),
            "How every number is computed",
            wrap=("method",),
        ),
        Sheet(
            "Assumptions and sources",
            "Assumptions and sources",
            assumptions,
            "Every multiplier, benchmark and threshold with its source",
            wrap=("rationale",),
        ),
    ]
    return gss_workbook(title=TITLE, cover=cover, notes=NOTES, sheets=sheets)
