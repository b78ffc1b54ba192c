"""Plans and scenarios (pure): a plan's lots as services, the coverage they would give beside
today's, comparisons between plans, and budget-bound suggestions that explain every choice."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.assumptions import Assumptions
from planner.coverage import CoverageResult, analyse
from planner.coverage.inputs import RegistryTables
from planner.schema import TERM_FIELDS

LOT_PREFIX = "lot:"
PRIMARY_TYPE = {
    "domestic_abuse": "idva",
    "sexual_violence": "isva",
    "homicide": "homicide_casework",
    "road_harm": "road_crash_casework",
    "hate_crime": "hate_crime_advocacy",
}


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
                "places": None,
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
    return result.flags[["area_code", "area_name", "need", "flag", "severity", "sentence"]]


def compare(before: CoverageResult, after: CoverageResult, lots: Sequence[Mapping]) -> ScenarioDiff:
    """What a plan changes: flags closed and opened, coverage before and after, and the cost
    per extra person supported (extra capacity counts only up to estimated need)."""
    key = ["area_code", "need", "flag"]
    b, a = _flag_keys(before), _flag_keys(after)
    merged = b.merge(a[key], on=key, how="left", indicator=True)
    closed = merged[merged["_merge"] == "left_only"].drop(columns="_merge")
    merged = a.merge(b[key], on=key, how="left", indicator=True)
    opened = merged[merged["_merge"] == "left_only"].drop(columns="_merge")
    ratios = before.coverage[
        ["area_code", "area_name", "need", "estimated", "capacity", "ratio", "rag"]
    ].merge(
        after.coverage[["area_code", "need", "capacity", "ratio", "rag"]],
        on=["area_code", "need"],
        suffixes=("_before", "_after"),
    )
    ratios["change"] = ratios["ratio_after"] - ratios["ratio_before"]
    need = ratios["estimated"].fillna(0)
    reached_before = np.minimum(ratios["capacity_before"], need)
    reached_after = np.minimum(ratios["capacity_after"], need)
    extra = float((reached_after - reached_before).sum())
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


def suggest(
    coverage: pd.DataFrame,
    assumptions: Assumptions,
    *,
    budget: float,
    service_types: Mapping[str, str] | None = None,
    min_lot: float = 10.0,
) -> list[dict]:
    """Lots that close the most estimated unmet need for the money: a transparent greedy.

    Each (area, need) has unmet need U = estimated − capacity and a cost c per person (the
    unit cost of the need's main service type). Repeatedly fund the pair that supports the
    most people per pound (lowest c, then the largest U), up to U or what the budget still
    allows. Every lot carries the sentence that explains its choice. The total never exceeds
    the budget.
    """
    types = {**PRIMARY_TYPE, **(service_types or {})}
    costs = {t: c.value for t, c in assumptions.unit_costs.items()}
    rows = coverage[(coverage["status"] == "assessed") & (coverage["estimated"] > 0)].copy()
    rows["unmet"] = (rows["estimated"] - rows["capacity"]).clip(lower=0)
    rows["service_type"] = rows["need"].map(types)
    rows["unit_cost"] = rows["service_type"].map(costs)
    rows = rows[(rows["unmet"] >= min_lot) & rows["unit_cost"].notna()]
    rows = rows.sort_values(
        ["unit_cost", "unmet", "area_code", "need"], ascending=[True, False, True, True]
    )
    left, lots = float(budget), []
    for row in rows.itertuples(index=False):
        people = min(row.unmet, left // row.unit_cost)
        if people < min_lot:
            continue
        people = float(np.floor(people))
        cost = people * row.unit_cost
        left -= cost
        spec = assumptions.needs[row.need]
        label = row.service_type.replace("_", " ")
        label = label.upper() if len(label) <= 4 else label
        lots.append(
            {
                "name": f"{spec.label}: {label} in {row.area_name}",
                "needs": [row.need],
                "service_type": row.service_type,
                "areas": [row.area_code],
                "capacity_per_year": int(people),
                "annual_value_gbp": round(cost, 2),
                "stages": list(spec.required_stages),
                "without_police_report": True,
                "rationale": (
                    f"{row.area_name} has an estimated {row.unmet:,.0f} people a year with "
                    f"{spec.phrase} beyond today's capacity; at £{row.unit_cost:,.0f} per person "
                    f"this is among the most people supported per pound still unfunded, so this "
                    f"lot funds {people:,.0f} of them for £{cost:,.0f} "
                    f"(£{left:,.0f} of the budget left)."
                ),
            }
        )
        if left < min_lot * rows["unit_cost"].min():
            break
    return lots
