"""Words: a plain sentence for every flag, the colour key in words, and the method text that
exports print. Numbers are rounded for reading; the tables keep them whole."""

from __future__ import annotations

import datetime as dt

from planner.assumptions import Assumptions, Need
from planner.coverage.thresholds import percent

FLAG_KINDS = (
    "no_provision",
    "under_provision",
    "stage_gap",
    "specialist_gap",
    "no_report_route_gap",
    "duplication",
    "overlap",
    "continuity_risk",
    "access_gap",
)
FLAG_WORDS = {
    "no_provision": "No provision",
    "under_provision": "Under-provision",
    "stage_gap": "Journey stage missing",
    "specialist_gap": "Specialist service missing",
    "no_report_route_gap": "No route without a police report",
    "duplication": "Duplication",
    "overlap": "Overlap",
    "continuity_risk": "Contract ending",
    "access_gap": "Far to travel",
}
"""Each flag kind as a person reads it (the code stays in machine exports)."""
SEVERITY_WORDS = {"high": "High", "medium": "Medium", "low": "Low", "info": "For information"}
RAG_WORDS = {
    "red": "Red: serious gap (coverage below the red threshold, or no provision)",
    "amber": "Amber: gap to watch (coverage below the amber threshold)",
    "green": "Green: coverage at or above the amber threshold",
    "not assessed": "Not assessed: no police data for this area",
    "no recorded demand": "No recorded demand: coverage cannot be computed",
}
STAGE_WORDS = {
    "before_report": "before or without a police report",
    "immediate": "in the first days",
    "investigation": "during the investigation",
    "pre_trial": "between charge and trial",
    "trial": "at trial",
    "post_trial": "after the trial",
    "inquest": "at the inquest",
    "long_term": "in the long term",
}
SPECIALIST_WORDS = {
    "specialism:by_and_for_black_minoritised": "a by-and-for service for Black and minoritised "
    "communities",
    "specialism:lgbt_plus": "an LGBT+ service",
    "specialism:disabled": "a service for disabled people",
    "specialism:deaf_bsl": "a Deaf / BSL service",
    "specialism:faith_specific": "a faith-specific service",
    "specialism:nrpf": "a service for people with no recourse to public funds",
    "age_group:children": "a service for children",
    "age_group:young_people": "a service for young people",
    "age_group:older_people": "a service for older people",
    "service_type:isva": "an ISVA service",
    "service_type:idva": "an IDVA service",
}
NUMBER_WORDS = {
    1: "one",
    2: "two",
    3: "three",
    4: "four",
    5: "five",
    6: "six",
    7: "seven",
    8: "eight",
    9: "nine",
}


def pct(share: float) -> str:
    """A ratio or share as the whole percentage the thresholds are compared at."""
    return f"{percent(share):,.0f}%"


def number(n: int) -> str:
    return NUMBER_WORDS.get(n, f"{n:,}")


def people(value: float) -> str:
    if value >= 100:
        return f"{round(value, -1 if value < 10_000 else -2):,.0f}"
    if value >= 10:
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def join_names(names: list[str]) -> str:
    return "; ".join(names)


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def tiered(row: dict) -> bool:
    """The flag is about one tier of a need with several (not "all tiers", not the one tier
    of a need that lists none)."""
    return row.get("tier") not in (None, "", "all")


def amount(row: dict, column: str = "estimated") -> str:
    return f"{people(row[column])} {row.get('unit') or 'people a year'}"


def _range_note(row: dict) -> str:
    if not row.get("uncertain"):
        return ""
    return (
        f" Within the range of the assumptions coverage is {pct(row['ratio_low'])} to "
        f"{pct(row['ratio_high'])}, so the severity is uncertain."
    )


def _no_provision(area: str, phrase: str, row: dict, n: dict) -> str:
    if tiered(row):
        return (
            f"{area} has no approved service for {phrase}, {row['tier_label']}: an estimated "
            f"need of {amount(row)}."
        )
    return f"{area} has no approved service for {phrase}, for an estimated {amount(row)}."


def _under_provision(area: str, phrase: str, row: dict, n: dict) -> str:
    count = n.get("count", 0)
    noun = "service" if count == 1 else "services"
    if tiered(row):
        text = (
            f"{area}, {phrase}, {row['tier_label']}: {number(count)} {noun} for an estimated "
            f"{amount(row)}; capacity {people(row['capacity'])}: {pct(row['ratio'])} coverage."
        )
    else:
        text = (
            f"{area} has {number(count)} {phrase} {noun} for an estimated {amount(row)}; "
            f"capacity {people(row['capacity'])}: {pct(row['ratio'])} coverage."
        )
    text += f" ({row['detail']}.)" if row.get("detail") else ""
    return text + _range_note(row)


def _stage_gap(area: str, phrase: str, row: dict, n: dict) -> str:
    words = _and([STAGE_WORDS.get(s, s) for s in n["stages"]])
    return f"In {area} no approved service supports {phrase} {words}."


def _specialist_gap(area: str, phrase: str, row: dict, n: dict) -> str:
    words = _and([SPECIALIST_WORDS.get(m, m.split(":")[1]) for m in n["missing"]])
    return f"{area} has no {phrase} provision from {words}."


def _no_report_route_gap(area: str, phrase: str, row: dict, n: dict) -> str:
    count = n.get("count", 0)
    who = (
        f"the only {phrase} service needs"
        if count == 1
        else f"all {number(count)} {phrase} services need"
    )
    return (
        f"In {area} {who} a police report or police referral, yet most victims never "
        "report: there is no way in without one."
    )


def _pair(area: str, phrase: str, row: dict, n: dict) -> str:
    stages = _and([STAGE_WORDS.get(s, s) for s in n["stages"]])
    kind = n.get("service_type", "")
    kind = kind.upper() if len(kind) <= 4 else kind.replace("_", " ")
    return (
        f"In {area} two commissioned {kind} services for {phrase} ({row['services']}) "
        f"overlap {stages}"
    )


def _duplication(area: str, phrase: str, row: dict, n: dict) -> str:
    return (
        _pair(area, phrase, row, n)
        + (
            f", while capacity is {pct(row['ratio'])} of estimated need "
            f"({people(row['capacity'])} for {amount(row)})."
        )
        + _range_note(row)
    )


def _overlap(area: str, phrase: str, row: dict, n: dict) -> str:
    return (
        _pair(area, phrase, row, n)
        + f"; coverage is {pct(row['ratio'])}, so this is not over-provision."
    )


def _continuity_risk(area: str, phrase: str, row: dict, n: dict) -> str:
    parts = []
    if "single_provider" in n["reasons"]:
        parts.append(
            f"all {phrase} provision in {area} comes from one provider ({n.get('provider')})"
        )
    if "contracts_ending" in n["reasons"]:
        ends = n.get("ends_by")
        when = ends.strftime("%-d %B %Y") if isinstance(ends, dt.date) else "soon"
        whose = "its" if parts else f"{area}'s {phrase}"
        happens = (
            f"ended on {when}: not counted as capacity"
            if n.get("ended")
            else f"end from {when}, within the planning window"
        )
        parts.append(f"contracts behind {pct(n['share_ending'])} of {whose} capacity {happens}")
    text = "; ".join(parts)
    where = f" ({row['tier_label']})" if tiered(row) else ""
    return text[0].upper() + text[1:] + where + "."


def _access_gap(area: str, phrase: str, row: dict, n: dict) -> str:
    return (
        f"{pct(n['share'])} of {area}'s residents live more than "
        f"{n['distance_km']:g} km (straight line) from a face-to-face {phrase} service "
        "that covers them."
    )


SENTENCES = {
    "no_provision": _no_provision,
    "under_provision": _under_provision,
    "stage_gap": _stage_gap,
    "specialist_gap": _specialist_gap,
    "no_report_route_gap": _no_report_route_gap,
    "duplication": _duplication,
    "overlap": _overlap,
    "continuity_risk": _continuity_risk,
    "access_gap": _access_gap,
}
assert tuple(SENTENCES) == FLAG_KINDS


def sentence(row: dict, need: Need, **n) -> str:
    """One sentence a board member understands, for one flag. ``row``: the flag's numbers
    (area_name, estimated, capacity, ratio, services, detail); ``n``: the words its rule gave."""
    try:
        write = SENTENCES[row["flag"]]
    except KeyError:
        raise ValueError(f"unknown flag {row['flag']}") from None
    return write(row["area_name"], need.phrase, row, n)


def METHOD(assumptions: Assumptions) -> list[str]:
    """The method, in the words every export prints; the numbers come from the assumptions."""
    t = {k: v.value for k, v in assumptions.thresholds.items()}
    a_rank = (
        "Areas and gaps are ranked by unmet people (or families) a year, demand beyond "
        "capacity and never below 0 (a refuge place counts as the families it houses a year; "
        "centres rank within their tier), each unmet person counting for their need's weight "
        f"× their tier's weight (see Assumptions, ranking). {assumptions.ranking.rationale}"
    )
    return [
        "Demand. Estimated people needing support a year in each area and need = recorded "
        "count ÷ the share of victims who report to the police × the take-up share (see "
        "Assumptions). Homicide uses a 3-year mean. Areas whose police force does not publish "
        "with the Metropolitan Police (the City of London) are not assessed for "
        "police-recorded needs: they are never shown as 0.",
        "Tiers. Each need is split into tiers, each against the demand that kind of service "
        "exists for (see Assumptions: every tier's demand rule, unit and source): demand = the "
        "rule's basis (estimated victims, the recorded count or part of it, residents, or women "
        "aged 16+) ÷ its divisor × its rate. Refuge provision is a stock of family places; "
        "sexual assault referral centres and rape crisis centres are counted, each centre "
        "shared over the areas it serves. A service serves the tiers whose service types (or "
        "accreditations) include it; a need's catch-all tier takes the types no tier names. "
        "Coverage, its status and the coverage flags are per tier; journey stages, specialist "
        "provision, the route without a police report and access read all of a need's "
        "services together. A need's headline status is its worst tier, named. Tiers built on "
        "residents or women aged 16+ are assessed in areas without police data.",
        "Ranges. A multiplier may carry a low and a high value, each with its source. Coverage "
        "is shown with the range those values give; a flag whose severity would change within "
        "the range is marked uncertain (never dropped).",
        "Wider services. A service's scope (local, sub-regional, the whole area set, national) "
        "is listed with it; a service for the whole area set or the country covers every area, "
        "and its capacity (what it offers this area set) is shared over them by demand.",
        f"Ranking. Unmet need = demand − capacity, never below 0, per tier. {a_rank}",
        "Supply. Only approved services count. A service's capacity (people a year) is split "
        "over the areas and needs it covers in proportion to estimated demand, unless the "
        "provider gave a capacity for an area; then that amount is split over the area's "
        "needs by demand and the rest over its other areas. Pairs with no assessed demand "
        "weigh nothing; if all of a service's pairs weigh nothing its capacity is split "
        "equally. A service with no capacity recorded adds nothing but still counts for "
        "presence, stages and specialisms, and is listed under data quality.",
        f"Coverage ratio = capacity ÷ estimated demand. Red below {t['under_provision_red']:.0%}, "
        f"amber below {t['under_provision_amber']:.0%}, green otherwise. Where estimated demand "
        "is 0 or unknown no ratio is computed. Every ratio and share is compared with its "
        "threshold as the whole percentage the tables and sentences show (79.5% reads 80% and "
        "is at an 80% threshold), so what a reader sees and the status always agree.",
        "Contracts. A contract that ended before the analysis date provides no capacity: a "
        "service whose every contract has ended still counts for presence, stages and "
        "specialisms but adds 0 capacity, is not a commissioned service for duplication, is a "
        "continuity risk, and is listed under data quality with its end date. A service with "
        "no contracts recorded counts its capacity. The planning window ends on the same day "
        "of the month that many months later, or on that month's last day (31 January + 6 "
        "months = 31 July).",
        "Flags. no_provision: demand but no approved service. under_provision: ratio below "
        "the amber threshold (high below red). stage_gap: a journey stage the need requires "
        "has no service in the area (high when the first days or the before-report stage is "
        "missing). specialist_gap: a required specialist service (by-and-for, children, "
        "LGBT+, ...) is missing. no_report_route_gap: for needs where most victims never "
        "report, no service is reachable without a police report. duplication: two "
        "commissioned services of the same type and need, with overlapping eligibility "
        "(gender, age groups) and stages, in an area whose ratio is above "
        f"{t['over_provision']:.0%}; the same with a ratio at or below it is an overlap "
        "(information, not a fault). continuity_risk: all provision from one provider, or "
        "contracts carrying at least half the capacity end within "
        f"{t['contract_end_window_months']:g} months (high when both, or all capacity). "
        f"access_gap: more than {t['access_gap_share']:.0%} of residents live farther than "
        f"{t['access_distance_km']:g} km in a straight line from every face-to-face site of "
        "a service covering their area (high above 50%). Flags other than no_provision are "
        "raised only where there is provision.",
        "Access. Residents are placed at the centre of their 2021 LSOA (a geometric point "
        "inside it: population-weighted centroids are not in the data), weighted by Census "
        "2021 population. Confidential sites (refuges) are not in the access analysis. The "
        "two-step floating catchment area score (Luo and Wang, 2003; no distance decay) uses "
        f"the same {t['access_distance_km']:g} km catchment: each site's capacity for the "
        "need (the service's capacity share, split equally over its face-to-face sites) is "
        "divided by the residents within reach, and each LSOA sums the ratios of the sites "
        "within its reach; areas report the population-weighted mean per 1,000 residents.",
        "Benchmarks. The published standards for refuge places, rape crisis centres, SARCs "
        "and high-risk (Marac) cases are tier demand rules; helplines and IDVA caseloads are "
        "reported beside the ratios. No benchmark exists for ISVA numbers, for support to "
        "families bereaved by homicide or road death, or for hate-crime advocacy: those tiers "
        "use demand-based coverage only, and say so in their source.",
    ]
