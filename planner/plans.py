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
from planner.coverage.text import pct, people
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


def _lot_type(assumptions: Assumptions, need: str, tier_key: str) -> str:
    """The service type a lot for one tier is bought as: the first the tier names that no
    other tier of the need names (so that the lot's capacity lands in that tier, not split
    with a sibling), else the first it names, else the need's main type."""
    tiers = assumptions.needs[need].tier_specs
    mine = tiers[tier_key].service_types
    others = {t for key, tier in tiers.items() if key != tier_key for t in tier.service_types}
    exclusive = [t for t in mine if t not in others]
    return (exclusive or mine or [PRIMARY_TYPE[need]])[0]


def suggest(
    coverage: pd.DataFrame,
    assumptions: Assumptions,
    *,
    budget: float,
    min_lot: float = 1.0,
) -> list[dict]:
    """Lots that close the largest red gaps first (BRIEF §4.1), each with its reason.

    Red tiers are taken in order of unmet need (people or families a year beyond capacity,
    weighted across needs by the assumptions' ranking weights; a stock of places counts as
    the families it houses a year). Each lot adds what lifts one area's tier to the red
    threshold (out of red), at the unit cost the tier names; a gap the budget left cannot
    close whole is passed over for the next, and said so. Tiers without a unit cost
    (centres) are not bought by the lot. The total never exceeds the budget.
    """
    red = assumptions.threshold("under_provision_red")
    costs = {t: c.value for t, c in assumptions.unit_costs.items()}
    tiers = {(n, k): t for n, spec in assumptions.needs.items() for k, t in spec.tier_specs.items()}
    rows = coverage[
        (coverage["status"] == "assessed")
        & (coverage["rag"] == "red")
        & coverage["priority"].notna()
        & (coverage["priority"] > 0)
    ].copy()
    rows["unit_cost"] = [
        costs.get(tiers[(n, t)].unit_cost or PRIMARY_TYPE.get(n, ""))
        for n, t in zip(rows["need"], rows["tier"], strict=True)
    ]
    rows = rows[rows["unit_cost"].notna()]
    rows = rows.sort_values(
        ["priority", "area_code", "need", "tier"], ascending=[False, True, True, True]
    )
    left, lots, passed = float(budget), [], []
    for rank, row in enumerate(rows.itertuples(index=False), start=1):
        needed = max(float(np.ceil(red * row.estimated - row.capacity - 1e-9)), min_lot)
        cost = needed * row.unit_cost
        spec = assumptions.needs[row.need]
        tier = tiers[(row.need, row.tier)]
        where = f"{row.area_name}, {spec.phrase}, {tier.label}"
        if cost > left:
            passed.append(f"{where} (£{cost:,.0f})")
            continue
        left -= cost
        service_type = _lot_type(assumptions, row.need, row.tier)
        weighing = (
            "its share of London's unmet need in the tier, every need weighing the same"
            if assumptions.ranking.basis == "share"
            else "people a year, every person weighing the same"
        )
        if assumptions.weight(row.need) != 1:
            weighing += f" (this need weighted {assumptions.weight(row.need):g})"
        skipped = (
            f" Larger red gaps cost more than the budget left: {'; '.join(passed[:2])}"
            + (f" and {len(passed) - 2} more" if len(passed) > 2 else "")
            + "."
            if passed
            else ""
        )
        lots.append(
            {
                "name": f"{spec.label}: {tier.label} in {row.area_name}",
                "needs": [row.need],
                "service_type": service_type,
                "areas": [row.area_code],
                "capacity_per_year": int(needed),
                "unit": tier.unit,
                "annual_value_gbp": round(cost, 2),
                "stages": list(spec.required_stages),
                "without_police_report": True,
                "rationale": (
                    f"{where} is red at {pct(row.ratio)} coverage, with {people(row.unmet)} "
                    f"{tier.unit} unmet: number {rank} of London's red gaps by unmet need "
                    f"({weighing}). This lot adds {needed:,.0f} {tier.unit} at "
                    f"£{row.unit_cost:,.0f} each, lifting it to {pct(red)} (out of red), for "
                    f"£{cost:,.0f}; £{left:,.0f} of the budget left.{skipped}"
                ),
            }
        )
        passed = []
    return lots
