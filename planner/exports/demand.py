"""Demand table as a workbook: the table, and the assumptions with their sources."""

from __future__ import annotations

import pandas as pd

from planner.assumptions import Assumptions
from planner.exports.xlsx import workbook_bytes

DEMAND_FORMATS = {
    "recorded": "#,##0.0",
    "population": "#,##0",
    "rate_per_100k": "#,##0.0",
    "women_16plus": "#,##0",
    "rate_per_100k_women_16plus": "#,##0.0",
    "reporting_rate": "0.0%",
    "take_up_share": "0.0%",
    "estimated": "#,##0",
}


def demand_workbook(table: pd.DataFrame, assumptions: Assumptions) -> bytes:
    """Two sheets: Demand (area × need) and Assumptions (every value with its source)."""
    renamed = table.rename(
        columns={
            "recorded": "recorded (per year)",
            "population": "population (residents)",
            "rate_per_100k": "rate per 100,000 residents",
            "women_16plus": "women aged 16+ (estimate)",
            "rate_per_100k_women_16plus": "rate per 100,000 women aged 16+",
            "estimated": "estimated demand (people per year)",
        }
    )
    formats = {renamed.columns[list(table.columns).index(k)]: v for k, v in DEMAND_FORMATS.items()}
    return workbook_bytes(
        {
            "Demand": ("Demand for victim support by area and need", renamed, formats),
            "Assumptions": ("Assumptions and sources", assumptions.table(), {}),
        }
    )
