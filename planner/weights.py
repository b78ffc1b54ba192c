"""Ranking weights and allocation rules (BRIEF §4.2), as the assumptions file declares them:
what one unmet person a year counts for in each need and tier, the named alternative
weightings, and how a budget is cut into lots."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field, model_validator

from planner.sourced import NEEDS, Text, Threshold, UnitCost, _Strict

MAX_WEIGHT = 10.0
"""The largest ranking weight: with unmet people a year as the base, a tier of a hundred
families weighed 10 still counts for less than a few thousand people, so no weight can let a
handful outrank tens of thousands by construction (BRIEF §4.2)."""


class Weight(_Strict):
    """One ranking weight: what one unmet person (or family) a year counts for."""

    weight: float = Field(ge=0, le=MAX_WEIGHT)
    rationale: Text


class Weighting(_Strict):
    """A named alternative weighting for the robustness view: weights that replace the
    defaults (any not named keep theirs)."""

    label: Text
    rationale: Text
    needs: dict[Literal[NEEDS], float] = {}  # type: ignore[valid-type]
    tiers: dict[str, dict[str, float]] = {}

    @model_validator(mode="after")
    def _bounded(self) -> Weighting:
        values = [*self.needs.values(), *(w for t in self.tiers.values() for w in t.values())]
        if any(not 0 <= v <= MAX_WEIGHT for v in values):
            raise ValueError(f"weights must be from 0 to {MAX_WEIGHT:g}")
        return self


class Ranking(_Strict):
    """How "where next" is ranked (BRIEF §4.2): unmet people (or families) a year, each
    weighed by its need's weight × its tier's weight (1 where none is given)."""

    needs: dict[Literal[NEEDS], Weight] = {}  # type: ignore[valid-type]
    tiers: dict[Literal[NEEDS], dict[str, Weight]] = {}  # type: ignore[valid-type]
    source: Text
    rationale: Text
    alternatives: dict[str, Weighting] = {}
    """Named alternative weightings, shown beside the default in the robustness view."""

    def weight(self, need: str, tier: str | None = None) -> float:
        w = self.needs[need].weight if need in self.needs else 1.0  # type: ignore[index]
        if tier is not None:
            t = self.tiers.get(need, {}).get(tier)  # type: ignore[call-overload]
            w *= 1.0 if t is None else t.weight
        return w

    def reweighed(self, needs: Mapping[str, float], tiers: Mapping[str, Mapping[str, float]]):
        """This ranking with some weights replaced (their rationale: "changed here")."""
        changed = "changed from the default on this page or by a weights file"
        new_needs = dict(self.needs)
        for need, value in needs.items():
            old = self.needs.get(need)  # type: ignore[call-overload]
            if old is None or old.weight != value:
                new_needs[need] = Weight(weight=value, rationale=changed)
        new_tiers = {n: dict(t) for n, t in self.tiers.items()}
        for need, values in tiers.items():
            for tier, value in values.items():
                old = self.tiers.get(need, {}).get(tier)  # type: ignore[call-overload]
                if old is None or old.weight != value:
                    new_tiers.setdefault(need, {})[tier] = Weight(weight=value, rationale=changed)
        return self.model_copy(update={"needs": new_needs, "tiers": new_tiers})


DEFAULT_RANKING = Ranking(
    source="project default",
    rationale="Every unmet person or family a year counts the same.",
)


class Allocation(_Strict):
    """How a budget is turned into lots (BRIEF §4.2): the minimum viable lot value per
    service type, the London-wide demand below which a tier is bought only as a sub-regional
    or area-wide lot, and the size of gap the suggestion names when it leaves it unfunded."""

    local_lot_min_demand: Threshold
    large_gap: Threshold
    minimum_lots: dict[str, UnitCost] = {}

    def minimum_lot(self, service_type: str) -> float:
        item = self.minimum_lots.get(service_type)
        return 0.0 if item is None else item.value


DEFAULT_ALLOCATION = Allocation(
    local_lot_min_demand=Threshold(
        value=500.0,
        unit="people or families a year, area-wide",
        source="project default",
        rationale="A tier smaller than this is commissioned sub-regionally or area-wide.",
    ),
    large_gap=Threshold(
        value=500.0,
        unit="people or families a year unmet in one area and tier",
        source="project default",
        rationale="A gap at least this large is named when a suggestion leaves it unfunded.",
    ),
)
