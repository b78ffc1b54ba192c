"""Demand table as a workbook: the table in words, and the assumptions with their sources."""

from __future__ import annotations

import pandas as pd

from planner.assumptions import Assumptions
from planner.exports.tables import (
    ASSUMPTION_BLANKS,
    ASSUMPTION_FORMATS,
    DEMAND_BLANKS,
    DEMAND_FORMATS,
    assumption_words,
    demand_words,
)
from planner.exports.xlsx import Sheet, gss_workbook

NOTES = [
    (
        "[note 1]",
        "Estimated demand = recorded ÷ reporting rate × take-up share; see Assumptions and "
        "sources for each value and its source.",
    )
]


def demand_workbook(table: pd.DataFrame, assumptions: Assumptions) -> bytes:
    """Demand (area × need) and Assumptions (every value with its source), with a cover,
    contents and notes."""
    return gss_workbook(
        title="Demand for victim support by area and need",
        cover=[
            (
                "What it holds",
                "Police-recorded crime and collisions per area and need, rates, and the "
                "estimated number of people needing support a year.",
            )
        ],
        notes=NOTES,
        sheets=[
            Sheet(
                "Demand",
                "Demand for victim support by area and need [note 1]",
                demand_words(table),
                "Recorded counts, rates and estimated need, with periods and sources.",
                DEMAND_FORMATS,
                blank=DEMAND_BLANKS,
            ),
            Sheet(
                "Assumptions",
                "Assumptions and sources",
                assumption_words(assumptions),
                "Every multiplier, benchmark and threshold with its source.",
                ASSUMPTION_FORMATS,
                wrap=("source", "why"),
                blank=ASSUMPTION_BLANKS,
            ),
        ],
    )
