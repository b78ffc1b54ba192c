"""Which tier of each need a service serves (BRIEF §4.1), and its (area, need, tier) pairs.

A service serves a tier of a need it covers when its type, or one of its accreditations, is
among the tier's ``served_by``; the need's ``other_types`` tier also takes the services whose
type no tier of the need names. A service may serve several tiers (a rape crisis counselling
service is community support and a rape crisis centre); its capacity in each measure is split
over the tiers of that measure by demand, as over areas.
"""

from __future__ import annotations

import pandas as pd

from planner.assumptions import Assumptions

SEP = "\x1f"
"""Joins need and tier into one key where a step only knows one key column."""


def service_tiers(
    services: pd.DataFrame, terms: pd.DataFrame, assumptions: Assumptions
) -> pd.DataFrame:
    """service_id, need, tier, measure: the tiers each service serves. ``services``: indexed
    by service_id with service_type. Decided once per distinct (need, service type) and
    (need, accreditation), then joined."""
    columns = ["service_id", "need", "tier", "measure"]
    needs = terms.loc[terms["kind"] == "need", ["service_id", "value"]].rename(
        columns={"value": "need"}
    )
    needs = needs[needs["need"].isin(list(assumptions.needs))]
    kinds = needs["service_id"].map(services["service_type"]).astype(object)
    needs = needs.assign(service_type=kinds.where(kinds.notna(), ""))
    by_type, by_mark = [], []
    for need in needs["need"].unique():
        spec = assumptions.needs[need]
        tiers = spec.tier_specs
        for kind in needs.loc[needs["need"] == need, "service_type"].unique():
            by_type += [(need, kind, key, tiers[key].measure) for key in spec.tiers_for(kind)]
        by_mark += [
            (need, mark, key, tier.measure)
            for key, tier in tiers.items()
            for mark in tier.accreditations
        ]
    typed = needs.merge(
        pd.DataFrame(by_type, columns=["need", "service_type", "tier", "measure"], dtype=object),
        on=["need", "service_type"],
    )[columns]
    frames = [typed]
    if by_mark:
        marks = terms.loc[terms["kind"] == "accreditation", ["service_id", "value"]]
        held = needs[["service_id", "need"]].merge(marks, on="service_id")
        frames.append(
            held.merge(
                pd.DataFrame(by_mark, columns=["need", "value", "tier", "measure"], dtype=object),
                on=["need", "value"],
            )[columns]
        )
    out = pd.concat(frames, ignore_index=True).drop_duplicates(["service_id", "need", "tier"])
    return out.reset_index(drop=True)


def tier_pairs(pairs: pd.DataFrame, tiers: pd.DataFrame) -> pd.DataFrame:
    """``pairs`` (service_id, area_code, need, capacity_share) joined with the tiers each
    service serves for the need: one row per (service, area, need, tier)."""
    return pairs.merge(tiers, on=["service_id", "need"])


def untiered(pairs: pd.DataFrame, tiers: pd.DataFrame) -> pd.DataFrame:
    """The (service, need) pairs that fall in no tier of the need: listed under data quality."""
    served = pairs[["service_id", "need"]].drop_duplicates()
    hit = served.merge(tiers[["service_id", "need"]].drop_duplicates(), how="left", indicator=True)
    return hit.loc[hit["_merge"] == "left_only", ["service_id", "need"]]


def record_tiers(record: dict, assumptions: Assumptions) -> list[tuple[str, str, str]]:
    """(need, tier, tier label) for each tier one service record serves: the same rule as
    :func:`service_tiers`, for one record (Open Referral UK export, service lists)."""
    out = []
    for need in record.get("needs") or []:
        spec = assumptions.needs.get(need)
        if spec is None:
            continue
        keys = spec.tiers_for(record.get("service_type"), record.get("accreditations") or [])
        out += [(need, key, spec.tier_specs[key].label) for key in keys]
    return out
