"""Numbers with their sources: the building blocks of the assumptions file (a value, where it
came from, why it is used, and optionally a low and a high value with their own sources)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

NEEDS = ("domestic_abuse", "sexual_violence", "homicide", "road_harm", "hate_crime")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Text = Annotated[str, Field(min_length=1)]


class Sourced(_Strict):
    """A number with where it came from and why it is used; optionally a low and a high value,
    each with its own source (BRIEF §4.1, ranges)."""

    value: float
    source: Text
    rationale: Text
    unit: str | None = None
    low: float | None = None
    low_source: str | None = None
    high: float | None = None
    high_source: str | None = None

    @model_validator(mode="after")
    def _range(self) -> Sourced:
        for end in ("low", "high"):
            if (getattr(self, end) is None) != (getattr(self, f"{end}_source") is None):
                raise ValueError(f"{end} and {end}_source come together")
        if self.low is not None and self.low > self.value:
            raise ValueError(f"low ({self.low}) must not be above value ({self.value})")
        if self.high is not None and self.high < self.value:
            raise ValueError(f"high ({self.high}) must not be below value ({self.value})")
        return self

    @property
    def bounds(self) -> tuple[float, float]:
        """(low, high), the central value where a bound is not given."""
        low = self.value if self.low is None else self.low
        high = self.value if self.high is None else self.high
        return low, high


class Share(Sourced):
    value: float = Field(gt=0, le=1)
    low: float | None = Field(default=None, gt=0, le=1)
    high: float | None = Field(default=None, gt=0, le=1)


class Multiplier(Sourced):
    value: float = Field(ge=0)
    low: float | None = Field(default=None, ge=0)


class Benchmark(Sourced):
    value: float = Field(gt=0)
    need: Literal[(*NEEDS, "all")]  # type: ignore[valid-type]
    unit: Text


class Threshold(Sourced):
    value: float = Field(gt=0)
    unit: Text


class UnitCost(Sourced):
    value: float = Field(gt=0)
    unit: Text
