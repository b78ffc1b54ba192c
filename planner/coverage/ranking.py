"""Rankings, defined once for the app, the CLI and the exports: the most serious findings and
the worst areas."""

from __future__ import annotations

import pandas as pd

from planner.coverage.engine import CoverageResult


def unmet(frame: pd.DataFrame) -> pd.Series:
    """Estimated people a year beyond capacity (never below 0; 0 where not assessed)."""
    return (frame["estimated"] - frame["capacity"]).clip(lower=0).fillna(0.0)


def serious_findings(result: CoverageResult, n: int = 5) -> pd.DataFrame:
    """The high-severity flags, the most estimated need left unmet first."""
    high = result.flags[result.flags["severity"] == "high"]
    return (
        high.assign(unmet=unmet(high))
        .sort_values(["unmet", "area_code", "need", "flag"], ascending=[False, True, True, True])
        .head(n)
        .reset_index(drop=True)
    )


def worst_areas(result: CoverageResult, n: int = 5) -> pd.DataFrame:
    """Areas ranked by their high-severity flags, then medium ones, then the lowest mean
    coverage: area_name, high, medium, mean_ratio."""
    flags = result.flags
    counts = pd.crosstab(flags["area_name"], flags["severity"]) if len(flags) else pd.DataFrame()
    counts = counts.reindex(columns=["high", "medium"], fill_value=0)
    ratio = result.coverage.groupby("area_name")["ratio"].mean()
    table = counts.join(ratio.rename("mean_ratio"), how="outer").fillna({"high": 0, "medium": 0})
    table = table.sort_values(
        ["high", "medium", "mean_ratio", "area_name"], ascending=[False, False, True, True]
    )
    table.index.name = "area_name"
    return table.head(n).reset_index()
