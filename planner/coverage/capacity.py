"""Capacity shares: how each service's capacity is split over the (area, need) pairs it covers.

A service covering areas A and needs N with capacity C splits C over its pairs in proportion
to estimated demand D[a, n]. Where the provider gave a capacity for an area, that amount is
split over the area's needs by demand, and the rest of C over the other areas. Pairs without
assessed demand weigh 0; if every pair of a service weighs 0 the capacity is split equally,
so that shares always add up to the service's capacity. A service with no capacity recorded
adds 0 and is listed in the data-quality table.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def coverage_pairs(areas: pd.DataFrame, terms: pd.DataFrame) -> pd.DataFrame:
    """Every (service, area, need) a service covers, with the provider's area share if given."""
    needs = terms.loc[terms["kind"] == "need", ["service_id", "value"]].rename(
        columns={"value": "need"}
    )
    pairs = areas[["service_id", "area_code", "capacity_share"]].merge(needs, on="service_id")
    return pairs.sort_values(["service_id", "area_code", "need"], ignore_index=True)


def _proportional(total: pd.Series, weight: pd.Series, group: list[pd.Series]) -> pd.Series:
    """total × weight / Σ weight within each group; equal split where Σ weight is 0."""
    frame = pd.DataFrame({"w": weight.to_numpy(), "t": total.to_numpy()})
    keys = [g.to_numpy() for g in group]
    grouped = frame.groupby(keys, sort=False)["w"]
    sums = grouped.transform("sum").to_numpy()
    counts = grouped.transform("size").to_numpy()
    w = frame["w"].to_numpy()
    share = np.where(sums > 0, w / np.where(sums > 0, sums, 1.0), 1.0 / counts)
    return pd.Series(frame["t"].to_numpy() * share, index=total.index)


def capacity_shares(pairs: pd.DataFrame, capacity: pd.Series, demand: pd.DataFrame) -> pd.DataFrame:
    """``pairs`` (from :func:`coverage_pairs`) with ``demand_weight`` and ``capacity_share``.

    ``capacity``: service_id → capacity per year (NaN: none recorded, counts as 0).
    ``demand``: area_code, need, estimated (NaN where not assessed).
    """
    out = pairs.merge(
        demand[["area_code", "need", "estimated"]], on=["area_code", "need"], how="left"
    )
    out["demand_weight"] = out["estimated"].fillna(0.0).clip(lower=0.0)
    out["service_capacity"] = out["service_id"].map(capacity).fillna(0.0).astype(float)
    given = out["capacity_share"].astype(float)
    explicit = given.notna()
    placed_by_service = (
        out.loc[explicit, ["service_id", "area_code", "capacity_share"]]
        .drop_duplicates(["service_id", "area_code"])
        .groupby("service_id")["capacity_share"]
        .sum()
    )
    placed = out["service_id"].map(placed_by_service).fillna(0.0).astype(float)
    pool = (out["service_capacity"] - placed).clip(lower=0.0)
    has_implicit = (~explicit).groupby(out["service_id"]).transform("any")
    share = pd.Series(0.0, index=out.index)
    # explicit areas: the given amount over the area's needs (plus a share of any pool that
    # has nowhere else to go, in proportion to the given amounts)
    if explicit.any():
        ex = out[explicit]
        extra = np.where(
            ~has_implicit[explicit],
            pool[explicit] * given[explicit] / placed[explicit].where(placed[explicit] > 0, 1.0),
            0.0,
        )
        total = given[explicit] + extra
        share[explicit] = _proportional(
            total, ex["demand_weight"], [ex["service_id"], ex["area_code"]]
        )
    if (~explicit).any():
        im = out[~explicit]
        share[~explicit] = _proportional(pool[~explicit], im["demand_weight"], [im["service_id"]])
    out["capacity_share"] = share.astype(float)
    out["area_share_given"] = given
    return out[
        ["service_id", "area_code", "need", "area_share_given", "demand_weight", "capacity_share"]
    ]


MEASURE_FIELDS = {"people": "capacity_per_year", "places": "places", "centres": None}
"""The service field each measure reads; a centre counts as one."""


def tier_shares(pairs: pd.DataFrame, services: pd.DataFrame, demand: pd.DataFrame) -> pd.DataFrame:
    """Capacity shares per (service, area, need, tier), each measure split on its own.

    ``pairs``: service_id, area_code, need, tier, measure, capacity_share (the provider's
    area split, which applies to people a year only). ``services``: indexed by service_id.
    ``demand``: area_code, need, tier, estimated. Adds ``measure`` and ``no_capacity`` (the
    service records nothing in the tier's measure). One split for all measures: a service
    counts as one capacity per measure (its people a year, its places, itself as a centre).
    """
    from planner.coverage.tiers import SEP

    columns = ["service_id", "area_code", "need", "tier", "measure", "area_share_given"]
    columns += ["demand_weight", "capacity_share", "no_capacity"]
    if pairs.empty:
        return pd.DataFrame(columns=columns)
    weights = demand.assign(need=demand["need"] + SEP + demand["tier"])
    ids = services.index.to_numpy()
    capacity = pd.concat(
        [
            pd.Series(
                1.0
                if field is None
                else pd.to_numeric(services[field], errors="coerce").to_numpy(dtype=float),
                index=ids + SEP + measure,
                dtype=float,
            )
            for measure, field in MEASURE_FIELDS.items()
        ]
    )
    people = (pairs["measure"] == "people").to_numpy()
    keyed = pairs.assign(
        service_id=pairs["service_id"] + SEP + pairs["measure"],
        need=pairs["need"] + SEP + pairs["tier"],
        capacity_share=pairs["capacity_share"].where(people),
    )
    out = capacity_shares(keyed, capacity, weights)
    out["measure"] = out["service_id"].str.rsplit(SEP, n=1).str[1]
    out["no_capacity"] = out["service_id"].map(capacity.isna()).fillna(True).astype(bool)
    out["service_id"] = out["service_id"].str.rsplit(SEP, n=1).str[0]
    need_tier = out["need"].str.split(SEP, n=1, expand=True)
    out["need"], out["tier"] = need_tier[0], need_tier[1]
    return out[columns]
