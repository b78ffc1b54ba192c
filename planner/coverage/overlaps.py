"""Duplication and overlap (BRIEF §4): pairs of commissioned services of the same type serving
the same need and tier in the same area, whose eligibility and stages overlap."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from planner.assumptions import STAGES
from planner.coverage.flags import AGE_GROUPS, FlagContext, flag_frame
from planner.coverage.thresholds import above


def _bitmask(terms: pd.DataFrame, kind: str, values: Iterable[str]) -> pd.Series:
    """service_id → an integer with one bit per value the service has for ``kind``."""
    bit = {v: 1 << i for i, v in enumerate(values)}
    rows = terms[terms["kind"] == kind]
    return rows["value"].map(bit).fillna(0).astype(np.int64).groupby(rows["service_id"]).sum()


def overlapping_pairs(ctx: FlagContext) -> pd.DataFrame:
    """Pairs of services with a live commissioned contract, of the same type and need in the
    same area, whose eligibility (gender, age groups) and stages overlap; with the area's
    ratio and the shared stages as a bitmask."""
    services = ctx.services
    cand = ctx.covered[ctx.covered["service_id"].isin(ctx.contracts.commissioned)]
    cand = cand[["service_id", "area_code", "need", "tier"]]
    cand = cand.assign(service_type=cand["service_id"].map(services["service_type"]))
    both = cand.merge(cand, on=["area_code", "need", "tier", "service_type"], suffixes=("_a", "_b"))
    both = both[both["service_id_a"] < both["service_id_b"]]
    if both.empty:
        return both.assign(
            shared=pd.Series(dtype=np.int64),
            ratio=pd.Series(dtype=float),
            ratio_low=pd.Series(dtype=float),
            ratio_high=pd.Series(dtype=float),
        )
    sa, sb = both["service_id_a"], both["service_id_b"]
    ga, gb = sa.map(services["gender"]).fillna("any"), sb.map(services["gender"]).fillna("any")
    gender_ok = ~(
        ((ga == "women_only") & (gb == "men_only")) | ((ga == "men_only") & (gb == "women_only"))
    )
    ages = _bitmask(ctx.terms, "age_group", AGE_GROUPS)
    aa, ab = (s.map(ages).fillna(0).astype(np.int64) for s in (sa, sb))
    age_ok = (aa == 0) | (ab == 0) | ((aa & ab) != 0)
    stages = _bitmask(ctx.terms, "stage", STAGES)
    shared = sa.map(stages).fillna(0).astype(np.int64) & sb.map(stages).fillna(0).astype(np.int64)
    # assign before filtering: pandas gives an empty frame the index of an assigned Series
    both = both.assign(shared=shared)[gender_ok & age_ok & (shared != 0)]
    index = pd.MultiIndex.from_frame(both[["area_code", "need", "tier"]])
    ratios = ctx.key[["ratio", "ratio_low", "ratio_high"]].reindex(index)
    return both.assign(**{c: ratios[c].to_numpy() for c in ratios})


def _pair_flags(ctx: FlagContext, kind: str, severity: str, part: pd.DataFrame) -> pd.DataFrame:
    names = ctx.services["name"].to_dict()
    shared = [[s for i, s in enumerate(STAGES) if bits >> i & 1] for bits in part["shared"]]
    ids = [
        tuple(sorted((a, b), key=lambda i: (names[i], i)))
        for a, b in zip(part["service_id_a"], part["service_id_b"], strict=True)
    ]
    over = ctx.threshold("over_provision")
    low = above(part["ratio_low"].to_numpy(dtype=float), over)
    high = above(part["ratio_high"].to_numpy(dtype=float), over)
    return flag_frame(
        kind,
        severity,
        pd.MultiIndex.from_frame(part[["area_code", "need", "tier"]]),
        ids,
        uncertain=np.asarray(low != high, dtype=bool),
        detail=[", ".join(v) for v in shared],
        extra=[
            {"stages": v, "service_type": st}
            for v, st in zip(shared, part["service_type"], strict=True)
        ],
    )


def duplication(ctx: FlagContext) -> pd.DataFrame:
    """Overlapping commissioned services where coverage is above the over-provision
    threshold."""
    pairs = ctx.overlapping_pairs
    hit = above(pairs["ratio"].to_numpy(dtype=float), ctx.threshold("over_provision"))
    return _pair_flags(ctx, "duplication", "medium", pairs[hit])


def overlap(ctx: FlagContext) -> pd.DataFrame:
    """The same overlap at or below the over-provision threshold: information, not a fault."""
    pairs = ctx.overlapping_pairs
    hit = above(pairs["ratio"].to_numpy(dtype=float), ctx.threshold("over_provision"))
    return _pair_flags(ctx, "overlap", "info", pairs[~hit])
