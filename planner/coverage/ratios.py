"""Supply and coverage per (area, need) and the RAG status (thresholds compared by
:mod:`planner.coverage.thresholds`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from planner.coverage.text import RAG_WORDS
from planner.coverage.thresholds import below

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
COVERAGE_COLUMNS = [
    *DEMAND_COLUMNS[:6],
    "services",
    "services_without_capacity",
    "capacity",
    "ratio",
    "rag",
    "rag_words",
]


def coverage_table(
    need_rows: pd.DataFrame,
    shares: pd.DataFrame,
    no_capacity: pd.Series,
    *,
    red: float,
    amber: float,
) -> pd.DataFrame:
    """One row per (area, need): services covering it, capacity, ratio and RAG status.

    ``shares``: the capacity shares (service_id, area_code, need, capacity_share).
    ``no_capacity``: service_id → True where the service adds no capacity (none recorded, or
    every contract has ended).
    """
    flagged = shares["service_id"].map(no_capacity).fillna(False).astype(int)
    per_pair = (
        shares.assign(no_capacity=flagged)
        .groupby(["area_code", "need"])
        .agg(
            capacity=("capacity_share", "sum"),
            services=("service_id", "size"),
            services_without_capacity=("no_capacity", "sum"),
        )
    )
    coverage = need_rows.merge(per_pair.reset_index(), on=["area_code", "need"], how="left")
    coverage["capacity"] = coverage["capacity"].fillna(0.0)
    counts = ["services", "services_without_capacity"]
    coverage[counts] = coverage[counts].fillna(0).astype(int)
    estimated = coverage["estimated"]
    positive = (estimated > 0).fillna(False).astype(bool)
    coverage["ratio"] = (coverage["capacity"] / estimated.where(positive)).where(positive)
    ratio = coverage["ratio"].to_numpy(dtype=float)
    coverage["rag"] = np.select(
        [
            (coverage["status"] != "assessed").to_numpy(),
            ~positive.to_numpy(),
            (coverage["services"] == 0).to_numpy(),
            below(ratio, red),
            below(ratio, amber),
        ],
        ["not assessed", "no recorded demand", "red", "red", "amber"],
        default="green",
    )
    coverage["rag_words"] = coverage["rag"].map(RAG_WORDS)
    return coverage[COVERAGE_COLUMNS].sort_values(["need", "area_code"], ignore_index=True)
