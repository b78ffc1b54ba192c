"""Supply and coverage per (area, need, tier), the RAG status with its range, and each need's
headline: its worst tier, named (thresholds compared by :mod:`planner.coverage.thresholds`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.coverage.text import RAG_WORDS
from planner.coverage.thresholds import below, percent
from planner.demand import TIER_DEMAND_COLUMNS

DEMAND_COLUMNS = [
    "area_code",
    "area_name",
    "need",
    "status",
    "recorded",
    "estimated",
    "population",
    "women_16plus",
]
"""The demand table's columns the engine reads."""
KEY = ["area_code", "need", "tier"]
COVERAGE_COLUMNS = [
    *(c for c in TIER_DEMAND_COLUMNS if c not in ("population", "women_16plus")),
    "services",
    "services_without_capacity",
    "capacity",
    "ratio",
    "ratio_low",
    "ratio_high",
    "rag",
    "rag_words",
    "uncertain",
    "unmet",
    "unmet_people",
    "priority",
]
HEADLINE_COLUMNS = [
    "area_code",
    "area_name",
    "need",
    "status",
    "estimated",
    "rag",
    "rag_words",
    "worst_tier",
    "worst_tier_label",
    "ratio",
    "red_tiers",
    "amber_tiers",
    "services",
]
RAG_ORDER = {"red": 0, "amber": 1, "green": 2, "no recorded demand": 3, "not assessed": 4}


def rag_of(ratio: np.ndarray, services: np.ndarray, red: float, amber: float) -> np.ndarray:
    """red / amber / green for assessed pairs with demand above 0."""
    return np.select(
        [services == 0, below(ratio, red), below(ratio, amber)],
        ["red", "red", "amber"],
        default="green",
    )


def coverage_table(
    tier_rows: pd.DataFrame,
    shares: pd.DataFrame,
    *,
    red: float,
    amber: float,
) -> pd.DataFrame:
    """One row per (area, need, tier): services serving it, capacity, ratio and its range, the
    RAG status (``uncertain`` when the status differs across the range) and unmet demand
    (demand − capacity, never below 0) in the tier's unit.

    ``tier_rows``: the tier demand table (:func:`planner.demand.tier_demand`). ``shares``:
    service_id, area_code, need, tier, capacity_share, no_capacity (True where the service
    adds no capacity: none recorded, or every contract has ended).
    """
    per_pair = (
        shares.assign(no_capacity=shares["no_capacity"].astype(int))
        .groupby(KEY)
        .agg(
            capacity=("capacity_share", "sum"),
            services=("service_id", "size"),
            services_without_capacity=("no_capacity", "sum"),
        )
    )
    coverage = tier_rows.merge(per_pair.reset_index(), on=KEY, how="left")
    coverage["capacity"] = coverage["capacity"].fillna(0.0)
    counts = ["services", "services_without_capacity"]
    coverage[counts] = coverage[counts].fillna(0).astype(int)
    assessed = (coverage["status"] == "assessed").to_numpy()

    def ratio_over(column: str) -> pd.Series:
        demand = coverage[column].astype(float)
        positive = (demand > 0).fillna(False).astype(bool) & assessed
        return (coverage["capacity"] / demand.where(positive)).where(positive)

    coverage["ratio"] = ratio_over("estimated")
    # more demand, less coverage: the low ratio is over the high demand
    coverage["ratio_low"] = ratio_over("estimated_high")
    coverage["ratio_high"] = ratio_over("estimated_low")
    positive = assessed & (coverage["estimated"].astype(float) > 0).fillna(False).to_numpy()
    services = coverage["services"].to_numpy()
    central = rag_of(coverage["ratio"].to_numpy(dtype=float), services, red, amber)
    low = rag_of(coverage["ratio_low"].to_numpy(dtype=float), services, red, amber)
    high = rag_of(coverage["ratio_high"].to_numpy(dtype=float), services, red, amber)
    coverage["rag"] = np.select(
        [~assessed, ~positive], ["not assessed", "no recorded demand"], default=central
    )
    coverage["uncertain"] = positive & assessed & (low != high)
    coverage["rag_words"] = coverage["rag"].map(RAG_WORDS)
    unmet = (coverage["estimated"].astype(float) - coverage["capacity"]).clip(lower=0)
    coverage["unmet"] = unmet.where(assessed, np.nan)
    return coverage[COVERAGE_COLUMNS[:-2]]  # unmet_people and priority: rank_weights


def rank_weights(coverage: pd.DataFrame, assumptions) -> pd.DataFrame:
    """``unmet_people``: unmet demand as people (or families) a year (a stock tier's unmet
    units × the people a year one unit stands for; blank for tiers ranked within themselves,
    such as centres). ``priority``: unmet_people × the need's weight × the tier's weight: what
    "where next" ranks by (BRIEF §4.2), in weighted people a year."""
    factor, weight = {}, {}
    for n, spec in assumptions.needs.items():
        for k, t in spec.tier_specs.items():
            factor[(n, k)] = t.people_factor() if t.ranked_in_people else np.nan
            weight[(n, k)] = assumptions.weight(n, k)
    keys = list(zip(coverage["need"], coverage["tier"], strict=True))
    f = np.array([factor.get(k, np.nan) for k in keys], dtype=float)
    w = np.array([weight.get(k, 1.0) for k in keys], dtype=float)
    people = coverage["unmet"].to_numpy(dtype=float) * f
    return coverage.assign(unmet_people=people, priority=people * w)[COVERAGE_COLUMNS]


def headline(coverage: pd.DataFrame, need_rows: pd.DataFrame, shares: pd.DataFrame) -> pd.DataFrame:
    """Per (area, need): the worst tier's status and ratio, named, with the count of red and
    amber tiers and of the distinct services serving the need (from ``shares``). The worst
    tier is the reddest, then the lowest shown percentage, then the first listed."""
    # ties are decided as the reader sees them: on the shown percentage, then the tier listed
    # first (the coverage table is in the assumptions' tier order)
    frame = coverage.assign(
        _rank=coverage["rag"].map(RAG_ORDER),
        _ratio=np.nan_to_num(percent(coverage["ratio"].to_numpy(dtype=float)), nan=np.inf),
        _order=np.arange(len(coverage)),
    )
    worst = frame.sort_values(["area_code", "need", "_rank", "_ratio", "_order"]).drop_duplicates(
        ["area_code", "need"]
    )
    counts = (
        frame.assign(red=frame["rag"] == "red", amber=frame["rag"] == "amber")
        .groupby(["area_code", "need"])
        .agg(red_tiers=("red", "sum"), amber_tiers=("amber", "sum"))
    )
    counts["services"] = (
        shares.drop_duplicates(["service_id", "area_code", "need"])
        .groupby(["area_code", "need"])
        .size()
    )
    out = need_rows[["area_code", "area_name", "need", "status", "estimated"]].merge(
        worst[["area_code", "need", "rag", "rag_words", "tier", "tier_label", "ratio"]].rename(
            columns={"tier": "worst_tier", "tier_label": "worst_tier_label"}
        ),
        on=["area_code", "need"],
        how="left",
    )
    out = out.merge(counts.reset_index(), on=["area_code", "need"], how="left")
    for column in ("red_tiers", "amber_tiers", "services"):
        out[column] = out[column].fillna(0).astype(int)
    # a need with police data missing is still assessed on the tiers built on population
    out["status"] = out["status"].where(out["rag"] == "not assessed", "assessed")
    return out[HEADLINE_COLUMNS].sort_values(["need", "area_code"], ignore_index=True)
