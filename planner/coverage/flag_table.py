"""Every rule's flags in one table (:data:`RULES` in the order they are reported), and the
covering services each rule reads."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd

from planner.coverage.flags import (
    FLAG_COLUMNS,
    KEY,
    SEVERITY_ORDER,
    FlagContext,
    access_gap,
    continuity_risk,
    no_provision,
    no_report_route_gap,
    specialist_gap,
    stage_gap,
    under_provision,
)
from planner.coverage.overlaps import duplication, overlap
from planner.coverage.stages import group_lists
from planner.coverage.text import FLAG_KINDS, join_names, sentence

Rule = Callable[[FlagContext], pd.DataFrame]
RULES: tuple[Rule, ...] = (
    no_provision,
    under_provision,
    stage_gap,
    specialist_gap,
    no_report_route_gap,
    duplication,
    overlap,
    continuity_risk,
    access_gap,
)
assert tuple(r.__name__ for r in RULES) == FLAG_KINDS


def flag_table(
    frames: Sequence[pd.DataFrame],
    ctx: FlagContext,
    area_names: dict[str, str],
    need_numbers: pd.DataFrame,
    tier_words: pd.DataFrame,
) -> pd.DataFrame:
    """Every rule's flags in one table: numbers from the coverage row (for the journey and
    access flags, the need's estimated victims), service names, the sentence; most severe
    first. ``need_numbers``: (area_code, need) → estimated. ``tier_words``: (need, tier) →
    tier_label, unit."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame(columns=FLAG_COLUMNS)
    names = ctx.services["name"].to_dict()  # a dict: one lookup per id, thousands of ids
    parts = []
    for frame in frames:
        keys = pd.DataFrame(list(frame.index), columns=KEY[: frame.index.nlevels])
        if "tier" not in keys:
            keys["tier"] = ""
        parts.append(pd.concat([keys, frame.reset_index(drop=True)], axis=1))
    flags = pd.concat(parts, ignore_index=True)
    numbers = ctx.key[["estimated", "capacity", "ratio", "ratio_low", "ratio_high"]]
    flags = flags.merge(numbers.reset_index(), on=KEY, how="left")
    by_need = flags["tier"] == ""
    if by_need.any():
        need_est = need_numbers.set_index(["area_code", "need"])["estimated"]
        flags.loc[by_need, "estimated"] = need_est.reindex(
            pd.MultiIndex.from_frame(flags.loc[by_need, ["area_code", "need"]])
        ).to_numpy()
    flags = flags.merge(tier_words, on=["need", "tier"], how="left")
    flags["tier_label"] = flags["tier_label"].fillna("all tiers")
    flags["unit"] = flags["unit"].fillna("people a year")
    flags["area_name"] = flags["area_code"].map(area_names)
    flags["services"] = [join_names([names[i] for i in ids]) for ids in flags["service_ids"]]
    flags["uncertain"] = flags["uncertain"].astype(bool)
    flags["sentence"] = [
        sentence(row, ctx.assumptions.needs[row["need"]], **row["extra"])
        for row in flags.to_dict("records")
    ]
    flags["service_ids"] = ["; ".join(ids) for ids in flags["service_ids"]]
    flags["_order"] = flags["severity"].map(SEVERITY_ORDER)
    flags["_kind"] = flags["flag"].map(FLAG_KINDS.index)
    flags = flags.sort_values(
        ["_order", "_kind", "need", "tier", "area_code", "service_ids"], ignore_index=True
    )
    return flags[FLAG_COLUMNS]


def covering_services(shares: pd.DataFrame, key: pd.DataFrame, names: pd.Series):
    """``covered`` and ``covering`` for :class:`FlagContext`: the services of each assessed
    (area, need, tier) with demand, sorted by name for stable output."""
    covered = (
        shares[["service_id", "area_code", "need", "tier"]]
        .assign(name=shares["service_id"].map(names))
        .sort_values(["area_code", "need", "tier", "name", "service_id"])
    )
    covered = covered[covered.set_index(KEY).index.isin(key.index)]
    return covered, group_lists(covered, KEY, "service_id")
