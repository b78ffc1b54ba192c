"""Plans and scenarios (pure): a plan's lots as services, the coverage they would give beside
today's, comparisons between plans, and budget-bound suggestions that explain every choice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner import allocation
from planner.assumptions import Assumptions
from planner.coverage import CoverageResult, analyse
from planner.coverage.inputs import RegistryTables
from planner.coverage.text import pct
from planner.schema import TERM_FIELDS

LOT_PREFIX = "lot:"


def lot_records(lots: Sequence[Mapping], *, plan_name: str) -> list[dict]:
    """Each lot as a canonical service record: approved, commissioned, from the plan."""
    records = []
    for i, lot in enumerate(lots, start=1):
        sid = f"{LOT_PREFIX}{lot.get('id') or f'new-{i}'}"
        records.append(
            {
                "id": sid,
                "organisation_id": "plan",
                "organisation_name": f"Plan: {plan_name}",
                "name": lot["name"],
                "service_type": lot["service_type"],
                "status": "approved",
                "referral_route": "self_referral"
                if lot.get("without_police_report", True)
                else "police_referral_only",
                "without_police_report": bool(lot.get("without_police_report", True)),
                "gender": "any",
                "all_areas": False,
                "capacity_per_year": lot["capacity_per_year"],
                # a lot's capacity is in its tier's unit: family places for a refuge
                "places": lot["capacity_per_year"],
                "staff_fte": None,
                "is_demo": False,
                "updated_at": pd.Timestamp(dt.date.today()),
                **{field: list(lot.get(field) or []) for field in TERM_FIELDS},
                "areas": [{"area_code": a, "capacity_share": None} for a in lot["areas"]],
                "sites": [],
                "contracts": [
                    {
                        "id": f"{sid}:contract",
                        "funding_status": "commissioned",
                        "commissioner": f"Plan: {plan_name}",
                        "reference": lot["name"],
                        "annual_value_gbp": None
                        if lot.get("annual_value_gbp") is None
                        else str(lot["annual_value_gbp"]),
                        "start_date": _iso(lot.get("start_date")),
                        "end_date": _iso(lot.get("end_date")),
                    }
                ],
            }
        )
    return records


def _iso(value) -> str | None:
    return value.isoformat() if isinstance(value, dt.date) else value


def scenario_tables(
    base: RegistryTables,
    lots: Sequence[Mapping],
    *,
    plan_name: str,
    not_renewed: Sequence[str] = (),
) -> RegistryTables:
    """Today's approved services, less those not renewed, plus the plan's lots."""
    drop = set(not_renewed)

    def keep(frame: pd.DataFrame) -> pd.DataFrame:
        return frame[~frame["service_id"].isin(drop)]

    extra = RegistryTables.from_records(lot_records(lots, plan_name=plan_name))
    return RegistryTables(
        *(
            pd.concat([keep(getattr(base, f)), getattr(extra, f)], ignore_index=True)
            for f in ("services", "areas", "terms", "sites", "contracts")
        )
    )


@dataclass(frozen=True)
class ScenarioDiff:
    closed: pd.DataFrame
    opened: pd.DataFrame
    ratios: pd.DataFrame
    summary: dict


def _flag_keys(result: CoverageResult) -> pd.DataFrame:
    return result.flags[
        ["area_code", "area_name", "need", "tier", "tier_label", "flag", "severity", "sentence"]
    ]


def compare(before: CoverageResult, after: CoverageResult, lots: Sequence[Mapping]) -> ScenarioDiff:
    """What a plan changes: flags closed and opened, coverage per (area, need, tier) before
    and after, and the cost per extra person supported (the fall in unmet need, people or
    families a year: extra capacity counts only up to the estimated need)."""
    key = ["area_code", "need", "tier", "flag"]
    b, a = _flag_keys(before), _flag_keys(after)
    merged = b.merge(a[key], on=key, how="left", indicator=True)
    closed = merged[merged["_merge"] == "left_only"].drop(columns="_merge")
    merged = a.merge(b[key], on=key, how="left", indicator=True)
    opened = merged[merged["_merge"] == "left_only"].drop(columns="_merge")
    columns = ["area_code", "need", "tier", "capacity", "ratio", "rag", "unmet_people"]
    ratios = before.coverage[["area_name", "tier_label", "unit", "estimated", *columns]].merge(
        after.coverage[columns], on=["area_code", "need", "tier"], suffixes=("_before", "_after")
    )
    ratios["change"] = ratios["ratio_after"] - ratios["ratio_before"]
    extra = float((ratios["unmet_people_before"] - ratios["unmet_people_after"]).fillna(0.0).sum())
    value = sum(
        float(lot["annual_value_gbp"]) for lot in lots if lot.get("annual_value_gbp") is not None
    )
    summary = {
        "lots": len(lots),
        "annual value (GBP)": value,
        "flags closed": len(closed),
        "flags opened": len(opened),
        "extra people supported a year": extra,
        "cost per extra person (GBP)": value / extra if extra > 0 else None,
    }
    return ScenarioDiff(
        closed.reset_index(drop=True), opened.reset_index(drop=True), ratios, summary
    )


def run_scenario(
    demand: pd.DataFrame,
    base: RegistryTables,
    assumptions: Assumptions,
    lots: Sequence[Mapping],
    *,
    plan_name: str,
    as_of: dt.date,
    not_renewed: Sequence[str] = (),
    before: CoverageResult | None = None,
    small_areas: pd.DataFrame | None = None,
    site_points: pd.DataFrame | None = None,
    vocab_keys: Mapping | None = None,
) -> tuple[CoverageResult, ScenarioDiff]:
    """The plan's coverage beside ``before`` (today's, computed here when not given). Both
    sides run on the same inputs: the same demand, date, small areas and site points (lots
    have no sites of their own), so a plan with no lots changes nothing."""
    inputs = {
        "as_of": as_of,
        "small_areas": small_areas,
        "site_points": site_points,
        "vocab_keys": vocab_keys,
    }
    before = before or analyse(demand, base, assumptions, **inputs)
    tables = scenario_tables(base, lots, plan_name=plan_name, not_renewed=not_renewed)
    after = analyse(demand, tables, assumptions, **inputs)
    return after, compare(before, after, lots)


SUGGESTION_COLUMNS = [
    "lot",
    "need",
    "tier",
    "areas",
    "geography",
    "capacity",
    "unit",
    "annual_value_gbp",
    "added_a_year",
    "weighted_added",
    "key",
    "reason",
]
"""The columns of ``planner plan suggest --out``: one row per suggested lot."""
LARGEST_GAP_COLUMNS = [
    "rank",
    "area_name",
    "need",
    "tier",
    "unit",
    "unmet",
    "unmet_people",
    "funded",
    "left_unmet",
    "status",
    "cost_to_close_gbp",
]


@dataclass(frozen=True)
class Suggestion:
    """A budget's suggested lots, the largest gaps and what the lots do for each, and a
    sentence on how much of the budget was used and why not more."""

    lots: list[dict]
    gaps: pd.DataFrame
    budget: float
    spent: float
    weighted_reduced: float
    added_a_year: float
    budget_note: str
    optimal: bool

    def table(self) -> pd.DataFrame:
        """The lots as the CSV/Excel table (:data:`SUGGESTION_COLUMNS`)."""
        return pd.DataFrame(
            [
                {
                    "lot": lot["name"],
                    "need": lot["need_label"],
                    "tier": lot["tier_label"],
                    "areas": lot["area_names"],
                    "geography": lot["geography"],
                    "capacity": lot["capacity_per_year"],
                    "unit": lot["unit"],
                    "annual_value_gbp": lot["annual_value_gbp"],
                    "added_a_year": round(lot["added_a_year"], 1),
                    "weighted_added": round(lot["weighted_added"], 1),
                    "key": lot["key"],
                    "reason": lot["rationale"],
                }
                for lot in self.lots
            ],
            columns=SUGGESTION_COLUMNS,
        )

    def unfunded(self) -> pd.DataFrame:
        """The large gaps the suggestion leaves wholly or partly unfunded, with their cost."""
        return self.gaps[self.gaps["status"] != "closed"].reset_index(drop=True)


def suggest(
    coverage: pd.DataFrame,
    assumptions: Assumptions,
    area_set,
    *,
    budget: float,
    pinned: Sequence[str] = (),
    excluded: Sequence[str] = (),
    excluded_needs: Sequence[str] = (),
) -> Suggestion:
    """Lots that reduce the most weighted unmet need for ``budget`` (BRIEF §4.2), chosen by
    :mod:`planner.allocation`'s solver, each with its reason; the largest gaps with what
    the lots do for them; and how much of the budget is used and why not more."""
    problem = allocation.build_problem(
        coverage,
        assumptions,
        area_set,
        pinned=pinned,
        excluded=excluded,
        excluded_needs=excluded_needs,
    )
    solution = allocation.solve(problem, float(budget))
    gaps = _largest_gaps(problem, solution, assumptions)
    lots = _lots(problem, solution, assumptions, area_set, gaps)
    return Suggestion(
        lots=lots,
        gaps=gaps,
        budget=float(budget),
        spent=solution.spent,
        weighted_reduced=solution.objective,
        added_a_year=allocation.people_added(problem, solution),
        budget_note=_budget_note(problem, solution),
        optimal=solution.optimal,
    )


def _lots(problem, solution, assumptions: Assumptions, area_set, gaps) -> list[dict]:
    names = {a.code: a.name for a in area_set.areas}
    shares = problem.shares.tocsr()
    g = problem.gaps
    landed_total = shares.T @ solution.units
    used = np.divide(
        solution.met, landed_total, out=np.zeros_like(solution.met), where=landed_total > 0
    )
    rank_of = {
        (a, t): r for a, t, r in zip(gaps["area_name"], gaps["tier"], gaps["rank"], strict=True)
    }
    local_min = assumptions.allocation.local_lot_min_demand.value
    lots = []
    for i in np.flatnonzero(solution.units > 0):
        units = solution.units[i]
        lot = problem.lots.iloc[i]
        row = shares.getrow(i)
        landing = row.indices
        met = row.data * units * used[landing]
        added = float(met @ g["people_per_unit"].to_numpy(dtype=float)[landing])
        weighted = float(met @ g["value"].to_numpy(dtype=float)[landing])
        spec = assumptions.needs[lot["need"]]
        value = float(units * lot["unit_cost"])
        where = lot["place"] if lot["geography"] != "area-wide" else f"{lot['place']}-wide"
        name = f"{spec.label}: {lot['tier_label']}, {where}"
        top = g.iloc[landing].assign(met=met).sort_values("met", ascending=False)
        first = top.iloc[0]
        ranked = rank_of.get((first["area_name"], first["tier_label"]))
        gap_words = (
            f"{first['area_name']} has {first['unmet']:,.0f} {lot['unit']} unmet at "
            f"{pct(first['capacity'] / first['estimated']) if first['estimated'] else '-'} "
            "coverage" + (f" (number {ranked} of the largest gaps)" if ranked else "")
        )
        if lot["geography"] == "local":
            why_here = f"{gap_words}."
        else:
            tier_demand = float(lot["tier_demand"])
            small = (
                f"{spec.label}, {lot['tier_label'].lower()}: {tier_demand:,.0f} "
                f"{lot['unit']} across {problem.area_set_name}, "
                + (
                    f"below the {local_min:,.0f} a year under which a tier is bought "
                    "sub-regionally or area-wide, not per area. "
                    if tier_demand < local_min
                    else "one lot over several areas reaches their gaps at once. "
                )
            )
            why_here = (
                f"{small}Shared over {len(lot['areas'])} areas by demand, it meets need in "
                f"{int((met > 0.05).sum())} of them; the largest: {gap_words}."
            )
        minimum = assumptions.allocation.minimum_lot(lot["service_type"])
        lots.append(
            {
                "key": lot["key"],
                "name": name,
                "needs": [lot["need"]],
                "need_label": spec.label,
                "tier": lot["tier"],
                "tier_label": lot["tier_label"],
                "service_type": lot["service_type"],
                "areas": list(lot["areas"]),
                "area_names": ", ".join(names.get(a, a) for a in lot["areas"])
                if lot["geography"] != "area-wide"
                else f"{problem.area_set_name} (all {len(lot['areas'])} areas)",
                "geography": lot["geography"],
                "capacity_per_year": int(units),
                "unit": lot["unit"],
                "annual_value_gbp": round(value, 2),
                "added_a_year": added,
                "weighted_added": weighted,
                "stages": list(spec.required_stages),
                "without_police_report": True,
                "rationale": (
                    f"{why_here} This lot buys {int(units):,} {lot['unit']} at "
                    f"£{lot['unit_cost']:,.0f} each, £{value:,.0f} a year"
                    + (
                        f" (the minimum viable lot for this type is £{minimum:,.0f})"
                        if minimum
                        else ""
                    )
                    + f", and meets {added:,.0f} {_people_unit(lot['unit'])} of unmet need "
                    f"({weighted:,.0f} weighted: this tier counts "
                    f"{assumptions.weight(lot['need'], lot['tier']):g} per person), "
                    + (
                        f"£{value / weighted:,.0f} per weighted person."
                        if weighted > 0
                        else "nothing weighted."
                    )
                ),
            }
        )
    # the lot that meets the most weighted need first
    return sorted(lots, key=lambda lot: -lot["weighted_added"])


def _people_unit(unit: str) -> str:
    """What met need is counted in: families a year for places."""
    return "families a year" if "famil" in unit else "people a year"


def _largest_gaps(problem, solution, assumptions: Assumptions, n: int = 10) -> pd.DataFrame:
    """The ``n`` largest gaps by unmet people a year and every gap at least the assumptions'
    large-gap size: what the suggestion meets of each, what is left and what closing the
    rest would cost at the tier's unit cost."""
    g = problem.gaps.assign(
        unmet_people=problem.gaps["unmet"] * problem.gaps["people_per_unit"],
        funded=solution.met,
    )
    g = g.sort_values(["unmet_people", "area_name"], ascending=[False, True]).reset_index(drop=True)
    g["rank"] = np.arange(1, len(g) + 1)
    large = assumptions.allocation.large_gap.value
    g = g[(g["rank"] <= n) | (g["unmet_people"] >= large)].copy()
    g["left_unmet"] = (g["unmet"] - g["funded"]).clip(lower=0)
    cost = {
        (n_, t): allocation.unit_cost(assumptions, n_, t) or 0.0
        for n_, t in zip(g["need"], g["tier"], strict=True)
    }
    g["cost_to_close_gbp"] = [
        round(left * cost[(n_, t)], 0)
        for left, n_, t in zip(g["left_unmet"], g["need"], g["tier"], strict=True)
    ]
    g["status"] = np.select(
        [g["left_unmet"] < 0.5, g["funded"] >= 0.5], ["closed", "funded in part"], "not funded"
    )
    g["need"] = g["need"].map(lambda k: assumptions.needs[k].label)
    g["tier"] = g["tier_label"]
    return g[LARGEST_GAP_COLUMNS].reset_index(drop=True)


def _budget_note(problem, solution) -> str:
    """How much of the budget is used and, below 95%, why not more."""
    if solution.budget <= 0:
        return "No budget given."
    share = solution.spent / solution.budget
    said = f"£{solution.spent:,.0f} of £{solution.budget:,.0f} allocated ({share:.0%})."
    if share >= 0.95:
        return said
    left = solution.budget - solution.spent
    open_gaps = solution.met < problem.gaps["unmet"].to_numpy(dtype=float) - 0.5
    if problem.gaps.empty:
        return f"{said} No gap that a lot could close: nothing to buy."
    if not open_gaps.any():
        return f"{said} Every gap a lot can reach is closed: more money buys nothing here."
    lots = problem.lots
    untouched = solution.units == 0
    reach = np.asarray(problem.shares[:, open_gaps].sum(axis=1)).ravel() > 0
    smallest = (lots["min_units"] * lots["unit_cost"])[untouched & reach]
    if len(smallest) and smallest.min() > left:
        return (
            f"{said} The £{left:,.0f} left is less than the smallest lot that would still "
            f"meet need (£{smallest.min():,.0f}, its service type's minimum viable value)."
        )
    return f"{said} The rest would buy capacity beyond the gaps it can reach."
