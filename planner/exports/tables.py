"""Tables in words for the workbooks: the same figures as the analysis, with headers that name
their units, labels instead of codes (a code only in a column headed "... code" or "... id"),
and areas by name. Pure: tables in, tables out."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import pandas as pd

from planner.coverage.inputs import public_site
from planner.schema import SCOPE_WORDS
from planner.settings import load_settings
from planner.vocab import load_vocabularies
from planner.words import Labels, assumption_rows

DATA_VINTAGES = (
    "MPS recorded crime to 2026-06; MPS crime dashboard (domestic abuse, hate crime) to "
    "2025-07; STATS19 collisions 2022 and 2025; Census 2021 population; ONS 2021 LSOA and "
    "2022 local authority boundaries"
)
LICENCE = (
    "Contains public sector information licensed under the Open Government Licence (ONS OGL "
    "v3.0; MPS / London Datastore OGL v2.0; DfT OGL v3.0)."
)
RAG = {
    "red": "Red",
    "amber": "Amber",
    "green": "Green",
    "not assessed": "Not assessed",
    "no recorded demand": "No recorded demand",
}
QUALITY_WORDS = {
    "no_capacity": "No capacity recorded",
    "stale": "Not updated recently",
    "ended_contract": "Contract ended",
    "unknown_value": "Unknown value",
}
YES_NO = {True: "yes", False: "no"}


def produced(generated: dt.datetime | None = None) -> dt.datetime:
    """When an export is made: ``generated`` if given (tests fix it), else now, to the second."""
    return generated or dt.datetime.now(dt.UTC).replace(microsecond=0)


def when(moment: dt.datetime | dt.date) -> str:
    """A date (and time) as a reader writes it: 30 November 2026 at 12:00 UTC."""
    day = f"{moment.day} {moment:%B %Y}"
    if isinstance(moment, dt.datetime):
        return f"{day} at {moment:%H:%M} UTC"
    return day


def labels_for(data) -> Labels:
    """The labels for a run's vocabularies and assumptions."""
    return Labels(load_vocabularies(load_settings().vocabularies_file), data.assumptions)


SHARE_UNITS = ("share (0 to 1)", "share of residents (0 to 1)")
DEMAND_HEADERS = {
    "area_code": "area code",
    "area_name": "area",
    "need_label": "need",
    "period_start": "first month",
    "period_end": "last month",
    "years_averaged": "years averaged",
    "recorded": "recorded (a year)",
    "recorded_fatal": "recorded fatal collisions (a year)",
    "recorded_serious": "recorded serious collisions (a year)",
    "population": "population (residents)",
    "rate_per_100k": "rate per 100,000 residents",
    "women_16plus": "women aged 16+",
    "rate_per_100k_women_16plus": "rate per 100,000 women aged 16+",
    "reporting_rate": "reporting rate (%)",
    "take_up_share": "take-up share (%)",
    "estimated": "estimated need (people a year)",
    "status": "status",
    "source": "source",
}
DEMAND_FORMATS = {
    "recorded (a year)": "#,##0.0",
    "recorded fatal collisions (a year)": "#,##0.0",
    "recorded serious collisions (a year)": "#,##0.0",
    "population (residents)": "#,##0",
    "rate per 100,000 residents": "#,##0.0",
    "women aged 16+": "#,##0",
    "rate per 100,000 women aged 16+": "#,##0.0",
    "reporting rate (%)": "0.0%",
    "take-up share (%)": "0%",
    "estimated need (people a year)": "#,##0",
    "years averaged": "0",
}
ASSUMPTION_FORMATS = {
    "share (%)": "0.0%",
    "amount": "#,##0.00",
    "low": "#,##0.00",
    "high": "#,##0.00",
}


def demand_words(demand: pd.DataFrame) -> pd.DataFrame:
    """The demand table with its headers in words (the need code left out: the need's name
    is there)."""
    return demand.drop(columns=[c for c in ("need",) if c in demand]).rename(columns=DEMAND_HEADERS)


DEMAND_BLANKS = {
    "recorded fatal collisions (a year)": "[z]",
    "recorded serious collisions (a year)": "[z]",
}
"""Collision severities apply to road harm only; any other empty demand cell is [x] (not
available: police-recorded figures where another force polices the area)."""


def assumption_words(assumptions) -> pd.DataFrame:
    """Every assumption in words: what it is about and what it is; a share as a percentage
    in its own column and any other amount beside its unit, so that no column mixes shares,
    kilometres and months."""
    rows = assumption_rows(assumptions)
    share = rows["Unit"].isin(SHARE_UNITS)
    return pd.DataFrame(
        {
            "about": rows["About"],
            "assumption": rows["Assumption"],
            "share (%)": rows["Value"].where(share),
            "amount": rows["Value"].where(~share),
            "unit of the amount": rows["Unit"].where(~share),
            "low": rows["Low"],
            "high": rows["High"],
            "source": rows["Source"],
            "why": rows["Why"],
        }
    )


ASSUMPTION_BLANKS = {
    "share (%)": "[z]",
    "amount": "[z]",
    "unit of the amount": "[z]",
    "low": "[z]",
    "high": "[z]",
}


def services_words(
    tables,
    labels: Labels,
    names: dict[str, str],
    *,
    areas: Sequence[str] | None = None,
    needs: Sequence[str] | None = None,
    everywhere: str = "every area",
) -> pd.DataFrame:
    """The approved services in words: type, needs, stages and specialisms as labels, areas
    and sites by name (a confidential site as its borough only)."""
    t = tables
    terms = t.terms.groupby(["service_id", "kind"])["value"].agg(list)
    covered = t.areas.groupby("service_id")["area_code"].agg(list)
    sites = (
        t.sites.assign(
            where=[
                names.get(s["area_code"], s["area_code"])
                + (" (confidential site)" if s["confidential"] else f" ({s['name'] or 'site'})")
                for s in map(public_site, t.sites.to_dict("records"))
            ]
        )
        .groupby("service_id")["where"]
        .agg("; ".join)
    )
    rows = []
    for s in t.services.sort_values(["name", "service_id"]).itertuples(index=False):
        codes = covered.get(s.service_id, [])
        service_needs = terms.get((s.service_id, "need"), [])
        if areas and not s.all_areas and not set(codes) & set(areas):
            continue
        if needs and not set(service_needs) & set(needs):
            continue
        rows.append(
            {
                "service": s.name,
                "provider": s.organisation_name,
                "type": labels.of("service_types", s.service_type),
                "needs": labels.many("needs", service_needs, "; "),
                "stages": labels.many("stages", terms.get((s.service_id, "stage"), []), "; "),
                "specialist groups": labels.many(
                    "specialisms", terms.get((s.service_id, "specialism"), []), "; "
                )
                or "none recorded",
                "scope": SCOPE_WORDS.get(s.scope or "local", s.scope),
                "areas": everywhere if s.all_areas else ", ".join(names.get(c, c) for c in codes),
                "capacity (people a year)": s.capacity_per_year,
                "family places": s.places,
                "referral route": labels.of("referral_routes", s.referral_route),
                "without a police report": "yes" if s.without_police_report else "no",
                "sites": sites.get(s.service_id, ""),
                "demonstration data": "yes" if s.is_demo else "no",
                "service id": s.service_id,
            }
        )
    return pd.DataFrame(rows)


SERVICE_BLANKS = {
    "family places": "[z]",
    "sites": "[z]",
    "referral route": "[x]",
    "stages": "[x]",
}
