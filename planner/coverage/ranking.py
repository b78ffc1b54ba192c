"""Rankings, defined once for the app, the CLI and the exports (BRIEF §4.1): unmet need in
people a year per tier, weighted across needs by the assumptions' ranking weights, says
where the next pound goes."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from planner.coverage.engine import CoverageResult

WORST_AREA_COLUMNS = [
    "area_code",
    "area_name",
    "unmet_people",
    "priority",
    "red_tiers",
    "largest_gap",
    "largest_gap_unmet",
]


def _chosen(coverage: pd.DataFrame, need: str | None, tier: str | None) -> pd.DataFrame:
    if need is not None:
        coverage = coverage[coverage["need"] == need]
    if tier is not None:
        coverage = coverage[coverage["tier"] == tier]
    return coverage


def serious_findings(
    result: CoverageResult, n: int = 5, *, need: str | None = None, tier: str | None = None
) -> pd.DataFrame:
    """The high-severity flags with the most unmet need first (weighted people a year, then
    unmet in the tier's own unit), within a need and tier when given."""
    flags = result.flags[result.flags["severity"] == "high"]
    if need is not None:
        flags = flags[flags["need"] == need]
    if tier is not None:
        flags = flags[flags["tier"].isin([tier, ""])]
    numbers = result.coverage[["area_code", "need", "tier", "unmet", "priority"]]
    flags = flags.merge(numbers, on=["area_code", "need", "tier"], how="left")
    flags["unmet"] = flags["unmet"].fillna(0.0)
    flags["priority"] = flags["priority"].fillna(0.0)
    return (
        flags.sort_values(
            ["priority", "unmet", "area_code", "need", "tier", "flag"],
            ascending=[False, False, True, True, True, True],
        )
        .head(n)
        .reset_index(drop=True)
    )


def worst_areas(
    result: CoverageResult,
    n: int | None = 5,
    *,
    need: str | None = None,
    tier: str | None = None,
    need_labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Areas by unmet need: the weighted people a year left without support summed over the
    tiers (of one need, or one tier, when given), with the count of red tiers and the tier
    with the largest gap (its need named by ``need_labels`` when given). Tiers ranked within
    themselves (centres) do not enter the sum."""
    cov = _chosen(result.coverage, need, tier)
    need_words = (
        cov["need"].map(lambda k: need_labels.get(k, k))
        if need_labels
        else cov["need"].str.replace("_", " ")
    )
    cov = cov.assign(
        _p=cov["priority"].fillna(0.0),
        _label=need_words + ": " + cov["tier_label"].astype(str),
    )
    largest = cov.sort_values(["area_code", "_p"], ascending=[True, False]).drop_duplicates(
        "area_code"
    )
    table = cov.groupby(["area_code", "area_name"], as_index=False).agg(
        unmet_people=("unmet_people", "sum"),
        priority=("_p", "sum"),
        red_tiers=("rag", lambda r: int((r == "red").sum())),
    )
    table = table.merge(
        largest[["area_code", "_label", "_p"]].rename(
            columns={"_label": "largest_gap", "_p": "largest_gap_unmet"}
        ),
        on="area_code",
    )
    table = table.sort_values(
        ["priority", "red_tiers", "area_name"], ascending=[False, False, True], ignore_index=True
    )
    return table[WORST_AREA_COLUMNS] if n is None else table[WORST_AREA_COLUMNS].head(n)


def tier_summary(coverage: pd.DataFrame, assumptions) -> pd.DataFrame:
    """Per need and tier, across all areas: demand, capacity, coverage with its range, and
    how many areas are red, amber, green and uncertain (``planner analyse``, exports)."""
    from planner.coverage.text import pct

    rows = []
    for need, spec in assumptions.needs.items():
        for key, tier in spec.tier_specs.items():
            t = coverage[(coverage["need"] == need) & (coverage["tier"] == key)]
            assessed = t[t["status"] == "assessed"]
            demand, capacity = assessed["estimated"].sum(), assessed["capacity"].sum()
            most, least = assessed["estimated_high"].sum(), assessed["estimated_low"].sum()
            rows.append(
                {
                    "need": need,
                    "tier": key,
                    "name": f"{need.replace('_', ' ')}: {tier.label}"[:60],
                    "unit": tier.unit,
                    "demand": demand,
                    "demand_low": least,
                    "demand_high": most,
                    "capacity": capacity,
                    "ratio": capacity / demand if demand else float("nan"),
                    "coverage": pct(capacity / demand) if demand else "-",
                    "range": (
                        f"{pct(capacity / most)}-{pct(capacity / least)}"
                        if most and least and pct(capacity / most) != pct(capacity / least)
                        else ""
                    ),
                    "red": int((t["rag"] == "red").sum()),
                    "amber": int((t["rag"] == "amber").sum()),
                    "green": int((t["rag"] == "green").sum()),
                    "uncertain": int(t["uncertain"].sum()),
                }
            )
    return pd.DataFrame(rows)


def map_rows(result: CoverageResult, need: str, tier: str | None = None) -> pd.DataFrame:
    """The coverage rows a need's map shows: one tier's, or (``tier`` None) each area's worst
    tier, so the map reads the headline with that tier's own numbers and unit."""
    cov = result.coverage[result.coverage["need"] == need]
    if tier is not None:
        return cov[cov["tier"] == tier]
    heads = result.headline[result.headline["need"] == need][["area_code", "worst_tier"]]
    return cov.merge(
        heads.rename(columns={"worst_tier": "tier"}), on=["area_code", "tier"], how="inner"
    )


def scenario_rankings(coverage: pd.DataFrame, assumptions) -> dict[str, pd.DataFrame]:
    """The weighted unmet need per (area, need, tier) under the default weights at the
    central, low and high ends of demand, and under each named alternative weighting:
    label → the coverage table with ``unmet_people`` and ``priority`` recomputed."""
    from planner.coverage.ratios import rank_weights

    assessed = coverage["status"] == "assessed"
    capacity = coverage["capacity"].astype(float)

    def unmet(column: str) -> pd.Series:
        return (coverage[column].astype(float) - capacity).clip(lower=0).where(assessed)

    out = {
        "Default weights": rank_weights(coverage, assumptions),
        "Demand at the low end": rank_weights(
            coverage.assign(unmet=unmet("estimated_low")), assumptions
        ),
        "Demand at the high end": rank_weights(
            coverage.assign(unmet=unmet("estimated_high")), assumptions
        ),
    }
    for alt in assumptions.ranking.alternatives.values():
        ranking = assumptions.ranking.reweighed(alt.needs, alt.tiers)
        out[alt.label] = rank_weights(coverage, assumptions.with_ranking(ranking))
    return out


def robustness(coverage: pd.DataFrame, assumptions, *, n: int = 5) -> pd.DataFrame:
    """The areas that reach the top ``n`` under any scenario of :func:`scenario_rankings`:
    their rank under each, how many scenarios put them in the top ``n`` and whether every one
    does (``stays_on_top``), ordered by that count and then the default rank (BRIEF §4.2)."""
    ranks = {}
    for label, cov in scenario_rankings(coverage, assumptions).items():
        totals = cov.groupby(["area_code", "area_name"])["priority"].sum().reset_index()
        totals = totals.sort_values(["priority", "area_name"], ascending=[False, True])
        ranks[label] = pd.Series(
            range(1, len(totals) + 1), index=totals["area_code"].to_numpy(), dtype=int
        )
    table = pd.DataFrame(ranks)
    names = coverage.drop_duplicates("area_code").set_index("area_code")["area_name"]
    table.insert(0, "area_name", names.reindex(table.index))
    scenarios = list(ranks)
    table["times_in_top"] = (table[scenarios] <= n).sum(axis=1)
    table["stays_on_top"] = table["times_in_top"] == len(scenarios)
    table = table[table["times_in_top"] > 0]
    first = scenarios[0]
    return (
        table.sort_values(["times_in_top", first], ascending=[False, True])
        .rename_axis("area_code")
        .reset_index()
    )
