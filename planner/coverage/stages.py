"""The journey-stage matrix: for every area, need and stage, the approved services that cover
it and whether the need requires that stage."""

from __future__ import annotations

import pandas as pd

from planner.assumptions import STAGES, Assumptions
from planner.coverage.text import join_names

STAGE_COLUMNS = [
    "area_code",
    "area_name",
    "need",
    "stage",
    "required",
    "services",
    "service_names",
    "service_ids",
]


def group_lists(frame: pd.DataFrame, keys: list[str], column: str) -> pd.Series:
    """The values of ``column`` per group, in frame order, as tuples (plain Python: much
    faster than a pandas per-group aggregation for thousands of small groups)."""
    groups: dict[tuple, list] = {}
    for *k, value in zip(*(frame[c].tolist() for c in keys), frame[column].tolist(), strict=True):
        groups.setdefault(tuple(k), []).append(value)
    index = (
        pd.MultiIndex.from_tuples(list(groups), names=keys)
        if groups
        else pd.MultiIndex(levels=[[]] * len(keys), codes=[[]] * len(keys), names=keys)
    )
    return pd.Series([tuple(v) for v in groups.values()], index=index, dtype=object)


def stage_terms(terms: pd.DataFrame) -> pd.DataFrame:
    """service_id, stage: the stages each service supports."""
    return terms.loc[terms["kind"] == "stage", ["service_id", "value"]].rename(
        columns={"value": "stage"}
    )


def required_stages(assumptions: Assumptions) -> set[tuple[str, str]]:
    return {(n, s) for n, spec in assumptions.needs.items() for s in spec.required_stages}


def stage_matrix(
    shares: pd.DataFrame,
    terms: pd.DataFrame,
    names: dict[str, str],
    area_names: dict[str, str],
    assumptions: Assumptions,
) -> pd.DataFrame:
    """Area × need × stage with the covering services (names sorted) and ``required``."""
    all_stage = (
        shares[["service_id", "area_code", "need"]]
        .drop_duplicates()
        .merge(stage_terms(terms), on="service_id")
        .assign(name=lambda f: f["service_id"].map(pd.Series(names, dtype=object)))
        .sort_values(["area_code", "need", "stage", "name", "service_id"])
    )
    ids = group_lists(all_stage, ["area_code", "need", "stage"], "service_id")
    per_stage = pd.DataFrame(
        {
            "services": [len(v) for v in ids],
            "service_names": [join_names([names[i] for i in v]) for v in ids],
            "service_ids": ["; ".join(v) for v in ids],
        },
        index=ids.index,
    )
    grid = pd.MultiIndex.from_product(
        [sorted(area_names), list(assumptions.needs), list(STAGES)],
        names=["area_code", "need", "stage"],
    )
    stages = per_stage.reindex(grid).reset_index()
    stages["services"] = stages["services"].fillna(0).astype(int)
    for column in ("service_names", "service_ids"):
        stages[column] = stages[column].astype(object).where(stages[column].notna(), "")
    required = required_stages(assumptions)
    stages["required"] = [
        (n, s) in required for n, s in zip(stages["need"], stages["stage"], strict=True)
    ]
    stages["area_name"] = stages["area_code"].map(area_names)
    return stages[STAGE_COLUMNS]
