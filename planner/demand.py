"""The demand model: recorded counts, rates and estimated demand per area × need × period.

Pure functions: tables in, tables out. Nothing here reads files or touches the database.

- recorded: offences (or KSI collisions) in the 12 months of the window; for needs averaged
  over several years (homicide: 3), the yearly mean over that many years;
- rate per 100,000 residents, and per 100,000 women aged 16+ for domestic abuse and sexual
  violence;
- estimated = recorded ÷ reporting rate × take-up share (``data/assumptions.toml``).

Each need uses its own latest complete window unless an end month is given; a window is
complete when its source covers every month in it. Areas that the police force whose data is
used does not cover are "not assessed" for police-recorded needs: never 0.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from planner.assumptions import Assumptions
from planner.errors import PlannerError

RECORDING_BREAK = "2024-03"
"""MPS moved to the CONNECT recording system in about March 2024: figures before and after are
not comparable for domestic abuse and hate crime."""

ASSESSED = "assessed"
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

DEMAND_COLUMNS = [
    "area_code",
    "area_name",
    "need",
    "need_label",
    "period_start",
    "period_end",
    "years_averaged",
    "recorded",
    "population",
    "rate_per_100k",
    "women_16plus",
    "rate_per_100k_women_16plus",
    "reporting_rate",
    "take_up_share",
    "estimated",
    "status",
    "source",
]


@dataclass(frozen=True)
class NeedSeries:
    """Monthly recorded counts for one need, as the demand model consumes them.

    ``counts``: ``area_code, month, recorded`` for areas only, 0 where the source covers the
    month but has no row. ``months``: every month the source covers. ``london``: ``month,
    recorded`` for the whole area set, including rows the police could not place in an area.
    """

    need: str
    counts: pd.DataFrame
    months: tuple[str, ...]
    london: pd.DataFrame
    source: str
    recording_break: str | None = None
    parts: Mapping[str, pd.DataFrame] | None = None
    """Named parts of the count (road harm: "fatal", "serious"), each ``area_code, month,
    recorded`` like ``counts``; the demand table gives each as ``recorded_<part>``."""


def month_range(end: str, length: int) -> list[str]:
    """The ``length`` months ending at ``end`` (inclusive), as YYYY-MM strings."""
    stop = pd.Period(end, freq="M")
    return [str(stop - k) for k in range(length - 1, -1, -1)]


def parse_period(text: str) -> str:
    """Check a YYYY-MM end month given by a user."""
    if not _MONTH.match(text or ""):
        raise PlannerError(f"Period {text!r} is not a month like 2025-06 (YYYY-MM).")
    return text


def latest_window(months: tuple[str, ...] | list[str], length: int, end: str | None = None):
    """The latest complete window of ``length`` months ending at or before ``end``, or None."""
    covered = set(months)
    candidates = sorted((m for m in covered if end is None or m <= end), reverse=True)
    for last in candidates:
        window = month_range(last, length)
        if covered.issuperset(window):
            return window
    return None


def _rate(count: pd.Series, base: pd.Series) -> pd.Series:
    """count per 100,000 of base; undefined (NaN) where the base is 0 or unknown."""
    base = base.astype(float)
    return (count.astype(float) / base.where(base > 0)) * 100_000


def demand_table(
    series: Mapping[str, NeedSeries],
    population: pd.DataFrame,
    areas: pd.DataFrame,
    assumptions: Assumptions,
    *,
    period_end: str | None = None,
) -> pd.DataFrame:
    """One row per area × need (``DEMAND_COLUMNS``).

    ``areas``: ``area_code, area_name, police_data, police_force`` (``AreaSet.to_frame()``).
    ``population``: ``area_code, population, women_16plus``.
    """
    if period_end is not None:
        parse_period(period_end)
    base = areas[["area_code", "area_name", "police_data", "police_force"]].merge(
        population[["area_code", "population", "women_16plus"]], on="area_code", how="left"
    )
    frames = []
    for need, spec in assumptions.needs.items():
        if need not in series:
            raise PlannerError(f"No data series for need {need!r}.")
        s = series[need]
        length = 12 * spec.averaging_years
        window = latest_window(s.months, length, period_end)
        out = base.copy()
        out["need"] = need
        out["need_label"] = spec.label
        out["years_averaged"] = spec.averaging_years
        out["source"] = s.source
        if window is None:
            first = min(s.months) if s.months else "none"
            out["period_start"] = None
            out["period_end"] = None
            out["recorded"] = np.nan
            out["status"] = (
                f"no data for a {length}-month window ending by {period_end or 'now'} "
                f"(source starts {first})"
            )
        else:
            in_window = s.counts[s.counts["month"].isin(window)]
            sums = in_window.groupby("area_code")["recorded"].sum() / spec.averaging_years
            out["period_start"] = window[0]
            out["period_end"] = window[-1]
            out["recorded"] = out["area_code"].map(sums).fillna(0.0).astype(float)
            out["status"] = ASSESSED
            for part, counts in (s.parts or {}).items():
                part_sums = (
                    counts[counts["month"].isin(window)].groupby("area_code")["recorded"].sum()
                    / spec.averaging_years
                )
                out[f"recorded_{part}"] = out["area_code"].map(part_sums).fillna(0.0)
        if spec.police_recorded:
            unpoliced = ~out["police_data"].astype(bool)
            out.loc[unpoliced, "recorded"] = np.nan
            out.loc[unpoliced, "status"] = (
                "no police data (" + out.loc[unpoliced, "police_force"] + " area)"
            )
        out["rate_per_100k"] = _rate(out["recorded"], out["population"])
        if spec.women_16plus_rate:
            out["rate_per_100k_women_16plus"] = _rate(out["recorded"], out["women_16plus"])
        else:
            out["rate_per_100k_women_16plus"] = np.nan
        out["reporting_rate"] = spec.reporting_rate.value
        out["take_up_share"] = spec.take_up_share.value
        out["estimated"] = out["recorded"] / spec.reporting_rate.value * spec.take_up_share.value
        frames.append(out)
    table = pd.concat(frames, ignore_index=True)
    parts = [c for c in table.columns if c.startswith("recorded_") and c not in DEMAND_COLUMNS]
    return table[DEMAND_COLUMNS + parts].sort_values(["need", "area_code"], ignore_index=True)


TIER_DEMAND_COLUMNS = [
    "area_code",
    "area_name",
    "need",
    "tier",
    "tier_label",
    "unit",
    "measure",
    "status",
    "recorded",
    "estimated",
    "estimated_low",
    "estimated_high",
    "population",
    "women_16plus",
]


def _tier_specs(assumptions: Assumptions) -> pd.DataFrame:
    """One row per (need, tier): the demand rule's terms, and the need's multipliers."""
    rows = []
    for need, spec in assumptions.needs.items():
        rr_low, rr_high = spec.reporting_rate.bounds
        tu_low, tu_high = spec.take_up_share.bounds
        for key, tier in spec.tier_specs.items():
            rate_low, rate_high = tier.rate.bounds
            rows.append(
                {
                    "need": need,
                    "tier": key,
                    "tier_label": tier.label,
                    "unit": tier.unit,
                    "measure": tier.measure,
                    "basis": tier.basis,
                    "part": tier.part or "",
                    "per": tier.per,
                    "rate": tier.rate.value,
                    # the ends of the range, as factors of the central value
                    "low": (rate_low / tier.rate.value if tier.rate.value else 0.0),
                    "high": (rate_high / tier.rate.value if tier.rate.value else 0.0),
                    "rr_low": spec.reporting_rate.value
                    / rr_high
                    * tu_low
                    / spec.take_up_share.value,
                    "rr_high": spec.reporting_rate.value
                    / rr_low
                    * tu_high
                    / spec.take_up_share.value,
                    "order": len(rows),
                }
            )
    return pd.DataFrame(rows)


def tier_demand(demand: pd.DataFrame, assumptions: Assumptions) -> pd.DataFrame:
    """Demand per area × need × tier (BRIEF §4.1), in the tier's unit, with its range.

    ``demand``: the demand table (area_code, area_name, need, status, recorded, estimated,
    population, women_16plus, and ``recorded_<part>`` where a tier reads a part). A tier's
    ``estimated`` is basis ÷ per × rate; ``estimated_low`` / ``_high`` take each multiplier
    at the end of its range that gives the least / the most demand. Tiers built on residents
    or women aged 16+ are assessed wherever the population is known, police data or not.
    """
    specs = _tier_specs(assumptions)
    if specs.empty:
        return pd.DataFrame(columns=TIER_DEMAND_COLUMNS)
    for need, key, part in specs.loc[specs["part"] != "", ["need", "tier", "part"]].itertuples(
        index=False
    ):
        if f"recorded_{part}" not in demand:
            raise PlannerError(
                f"Tier {need}.{key} reads the {part!r} part of the recorded count, which the "
                f"{need} data does not give."
            )
    out = demand.merge(specs, on="need")
    recorded = out["recorded"].astype(float)
    counted = recorded.copy()
    for part in specs["part"].unique():
        if part:
            chosen = (out["part"] == part).to_numpy()
            column = out[f"recorded_{part}"].astype(float).where(recorded.notna())
            counted = counted.where(~chosen, column)
    basis = out["basis"].to_numpy()
    people = np.where(basis == "population", out["population"], out["women_16plus"]).astype(float)
    by_people = np.isin(basis, ["population", "women_16plus"])
    known = people > 0
    share = (counted / recorded.where(recorded > 0)).fillna(0.0)
    estimated = out["estimated"].astype(float) * share
    base = np.select(
        [by_people, basis == "recorded"],
        [np.where(known, people, np.nan), counted],
        default=estimated,
    )
    central = base / out["per"].to_numpy() * out["rate"].to_numpy()
    is_estimate = basis == "estimated"
    out["estimated"] = central
    out["estimated_low"] = central * out["low"] * np.where(is_estimate, out["rr_low"], 1.0)
    out["estimated_high"] = central * out["high"] * np.where(is_estimate, out["rr_high"], 1.0)
    out["status"] = np.where(
        by_people, np.where(known, ASSESSED, "no population figure"), out["status"]
    )
    out = out.sort_values(["order", "area_code"], ignore_index=True)
    return out[TIER_DEMAND_COLUMNS]


def trend_table(series: Mapping[str, NeedSeries], areas: pd.DataFrame) -> pd.DataFrame:
    """Monthly recorded counts per need for every area and for the whole area set.

    Columns: ``need, area_code, area_name, month, recorded, segment``; the whole area set has
    ``area_code`` "ALL". ``segment`` says which side of a recording-system break a month is
    on, so a chart never joins the two as one line.
    """
    names = dict(zip(areas["area_code"], areas["area_name"], strict=True))
    frames = []
    for need, s in series.items():
        per_area = s.counts.assign(area_name=s.counts["area_code"].map(names))
        total = s.london.assign(area_code="ALL", area_name="All areas")
        both = pd.concat([total, per_area], ignore_index=True)
        both["need"] = need
        if s.recording_break:
            both["segment"] = np.where(
                both["month"] < s.recording_break,
                f"before {s.recording_break} (old recording system)",
                f"from {s.recording_break} (new recording system)",
            )
        else:
            both["segment"] = "one series"
        frames.append(both)
    cols = ["need", "area_code", "area_name", "month", "recorded", "segment"]
    return pd.concat(frames, ignore_index=True)[cols].sort_values(
        ["need", "area_code", "month"], ignore_index=True
    )
