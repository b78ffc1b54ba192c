"""Contracts as of a date: which have ended, which end within the planning window, which
services still have commissioned or funded capacity.

Calendar rule (BRIEF §4.1, "Boundaries are exact"): six months from the 31st ends on the last
day of the sixth month (31 January → 31 July; 31 August → 28 or 29 February).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import pandas as pd


def months_after(day: dt.date, months: float) -> dt.date:
    """``day`` moved by whole ``months`` (negative: back), kept on the same day of the month
    or, where that month is shorter, on its last day."""
    whole = int(months)
    year, month = divmod(day.month - 1 + whole, 12)
    year, month = day.year + year, month + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ContractState:
    """Every contract with its end as a timestamp and its state on ``as_of``.

    ``contracts`` adds ``end`` (NaT when open-ended), ``ended`` (ended before ``as_of``) and
    ``ending`` (ended, or ends on or before the window's last day). ``per_service``: for each
    service with contracts, ``all_ended`` (no live contract: its capacity is not counted),
    ``all_ending`` (every contract ends within the window or has ended) and ``first_end``.
    """

    as_of: dt.date
    window_end: dt.date
    contracts: pd.DataFrame
    per_service: pd.DataFrame

    @property
    def commissioned(self) -> set[str]:
        """Services with a commissioned contract that has not ended."""
        c = self.contracts
        return set(c.loc[(c["funding_status"] == "commissioned") & ~c["ended"], "service_id"])

    @property
    def lapsed(self) -> set[str]:
        """Services whose every contract has ended: they add no capacity."""
        return set(self.per_service.index[self.per_service["all_ended"]])

    @property
    def at_risk(self) -> set[str]:
        """Services whose every contract has ended or ends within the window."""
        return set(self.per_service.index[self.per_service["all_ending"]])

    def ended_text(self, service_id: str) -> str:
        """'contract REF ended on DATE' for each ended contract of a service."""
        c = self.contracts
        rows = c[(c["service_id"] == service_id) & c["ended"]]
        return "; ".join(
            f"contract {r} ended on {e.date().isoformat()}"
            for r, e in zip(rows["label"], rows["end"], strict=True)
        )


def contract_state(contracts: pd.DataFrame, as_of: dt.date, window_months: float) -> ContractState:
    window_end = months_after(as_of, window_months)
    end = pd.to_datetime(contracts["end_date"], errors="coerce")
    frame = contracts.assign(
        end=end,
        ended=(end < pd.Timestamp(as_of)).to_numpy(dtype=bool),
        ending=(end <= pd.Timestamp(window_end)).to_numpy(dtype=bool),
        label=contracts["reference"].fillna(contracts["id"]).astype(object),
    )
    per_service = frame.groupby("service_id").agg(
        all_ended=("ended", "all"), all_ending=("ending", "all"), first_end=("end", "min")
    )
    return ContractState(as_of, window_end, frame, per_service)
