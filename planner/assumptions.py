"""The assumptions file: needs, multipliers, benchmarks and thresholds, each with its source.

Read once, checked strictly: unknown keys are rejected with the closest known key, values out
of range are rejected with the allowed range, and every problem is reported at once.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from planner.errors import ConfigError

NEEDS = ("domestic_abuse", "sexual_violence", "homicide", "road_harm", "hate_crime")
STAGES = (
    "before_report",
    "immediate",
    "investigation",
    "pre_trial",
    "trial",
    "post_trial",
    "inquest",
    "long_term",
)
THRESHOLDS = (
    "under_provision_red",
    "under_provision_amber",
    "over_provision",
    "contract_end_window_months",
    "access_distance_km",
    "access_gap_share",
    "stale_after_months",
)
SPECIALIST_KINDS = ("specialism", "age_group", "service_type")


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


MEASURES = ("people", "places", "centres")
"""What a service adds to a tier: its capacity (people a year), its places (a stock of
family places), or itself (one centre)."""
BASES = ("estimated", "recorded", "population", "women_16plus")
TIER_SELECTORS = ("service_type", "accreditation")


class Tier(_Strict):
    """One kind of provision for a need (BRIEF §4.1): its demand rule, its unit and the
    services that serve it.

    demand = basis ÷ per × rate, where basis is the need's estimated victims (recorded ÷
    reporting rate × take-up share), its recorded count, the residents, or the women aged 16+;
    ``part`` takes one part of the recorded count (road harm: "fatal" or "serious")."""

    label: Text
    unit: Text
    measure: Literal[MEASURES] = "people"  # type: ignore[valid-type]
    served_by: list[str] = []
    """``service_type:idva`` or ``accreditation:rape_crisis_nss``."""
    other_types: bool = False
    """Also serves every service of the need whose type no other tier of the need names."""
    basis: Literal[BASES]  # type: ignore[valid-type]
    part: str | None = None
    per: float = Field(default=1.0, gt=0)
    rate: Multiplier
    people_per_unit: Multiplier | None = None
    """People a year one unit stands for, to rank a stock (places) beside people a year; a
    tier without it is ranked within itself only."""
    unit_cost: str | None = None
    """The unit cost (``[unit_costs]`` key) of adding one unit of this tier."""

    @model_validator(mode="after")
    def _selectors(self) -> Tier:
        for item in self.served_by:
            kind, _, value = item.partition(":")
            if kind not in TIER_SELECTORS or not value:
                raise ValueError(
                    f"served_by entry {item!r} must look like 'service_type:idva' or "
                    "'accreditation:rape_crisis_nss'"
                )
        if not self.served_by and not self.other_types:
            raise ValueError("a tier needs served_by entries or other_types = true")
        return self

    def _selected(self, kind: str) -> list[str]:
        return [s.partition(":")[2] for s in self.served_by if s.startswith(f"{kind}:")]

    @property
    def service_types(self) -> list[str]:
        """The service types the tier names, in the order given."""
        return self._selected("service_type")

    @property
    def accreditations(self) -> list[str]:
        """The accreditations whose holders serve the tier."""
        return self._selected("accreditation")

    @property
    def ranked_in_people(self) -> bool:
        return self.measure == "people" or self.people_per_unit is not None

    def people_factor(self) -> float:
        return 1.0 if self.people_per_unit is None else self.people_per_unit.value


def whole_need_tier(need: Need) -> Tier:
    """The one tier of a need whose assumptions list none: all its services against its
    estimated victims (the v1 model)."""
    return Tier(
        label="all support",
        unit="people a year",
        basis="estimated",
        other_types=True,
        rate=Multiplier(value=1.0, source="the need's estimated victims", rationale="-"),
    )


class Need(_Strict):
    label: Text
    phrase: Text
    """How a sentence names the need: "support for <phrase>"."""
    measure: Text
    police_recorded: bool
    women_16plus_rate: bool
    averaging_years: int = Field(ge=1, le=10)
    required_stages: list[Literal[STAGES]]  # type: ignore[valid-type]
    required_specialist: list[str] = []
    """Specialist provision every area needs for this need: "specialism:lgbt_plus",
    "age_group:children" or "service_type:isva"."""
    no_report_route_required: bool = False
    """Most victims never report: an area needs a service reachable without a police report."""
    reporting_rate: Share
    take_up_share: Share
    tiers: dict[str, Tier] = {}
    """The need's tiers in the order they are shown; none: one tier of all its services."""

    @property
    def tier_specs(self) -> dict[str, Tier]:
        return self.tiers or {"all": whole_need_tier(self)}

    def tiers_for(self, service_type: str | None, accreditations=()) -> list[str]:
        """The tiers a service of this type holding these accreditations serves: those that
        name its type or one of its accreditations, and the catch-all tier when no tier names
        its type (BRIEF §4.1)."""
        tiers = self.tier_specs
        named = {t for tier in tiers.values() for t in tier.service_types}
        held = set(accreditations)
        return [
            key
            for key, tier in tiers.items()
            if service_type in tier.service_types
            or held & set(tier.accreditations)
            or (tier.other_types and service_type not in named)
        ]

    @model_validator(mode="after")
    def _specialist_form(self) -> Need:
        if sum(t.other_types for t in self.tiers.values()) > 1:
            raise ValueError("at most one tier of a need may take other_types")
        for item in self.required_specialist:
            kind, _, value = item.partition(":")
            if kind not in SPECIALIST_KINDS or not value:
                raise ValueError(
                    f"required_specialist entry {item!r} must look like 'specialism:lgbt_plus', "
                    "'age_group:children' or 'service_type:isva'"
                )
        return self


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


class Ranking(_Strict):
    """How unmet need is weighed across needs when ranking areas and spending a budget."""

    weights: dict[Literal[NEEDS], float]  # type: ignore[valid-type]
    basis: Literal["share", "people"] = "share"
    """``people``: one unmet person a year counts the same in every tier and need, so the
    largest tiers (community support) lead everywhere. ``share``: each tier counts by the share
    of its own London-wide unmet need an area holds, each need's tiers sharing the need's
    weight equally: within a tier the order is by unmet people either way."""
    source: Text
    rationale: Text

    @model_validator(mode="after")
    def _non_negative(self) -> Ranking:
        bad = [k for k, v in self.weights.items() if not v >= 0]
        if bad:
            raise ValueError(f"weights must be 0 or more: {', '.join(bad)}")
        return self


DEFAULT_RANKING = Ranking(
    weights={},
    source="project default",
    rationale="Every need, and every tier within a need, weighs the same.",
)


class Meta(_Strict):
    title: Text
    edited_by: Text


class Assumptions(_Strict):
    meta: Meta
    needs: dict[Literal[NEEDS], Need]  # type: ignore[valid-type]
    benchmarks: dict[str, Benchmark] = {}
    thresholds: dict[Literal[THRESHOLDS], Threshold]  # type: ignore[valid-type]
    unit_costs: dict[str, UnitCost] = {}
    """Cost of supporting one person for a year, by service type: used by plan suggestions."""
    ranking: Ranking = DEFAULT_RANKING

    def weight(self, need: str) -> float:
        return self.ranking.weights.get(need, 1.0)  # type: ignore[call-overload]

    @model_validator(mode="after")
    def _complete(self) -> Assumptions:
        missing = [n for n in NEEDS if n not in self.needs]
        if missing:
            raise ValueError(f"needs missing: {', '.join(missing)}")
        for need, spec in self.needs.items():
            for key, tier in spec.tiers.items():
                if tier.unit_cost and tier.unit_cost not in self.unit_costs:
                    raise ValueError(
                        f"needs.{need}.tiers.{key}.unit_cost: {tier.unit_cost!r} is not a "
                        "[unit_costs] key"
                    )
        missing = [t for t in THRESHOLDS if t not in self.thresholds]
        if missing:
            raise ValueError(f"thresholds missing: {', '.join(missing)}")
        red = self.thresholds["under_provision_red"].value
        amber = self.thresholds["under_provision_amber"].value
        if red >= amber:
            raise ValueError(
                f"thresholds: under_provision_red ({red}) must be below "
                f"under_provision_amber ({amber})"
            )
        return self

    def threshold(self, key: str) -> float:
        return self.thresholds[key].value  # type: ignore[index]

    def table(self) -> pd.DataFrame:
        """Every assumption as a row: ``section, key, value, low, high, unit, source,
        rationale`` (low and high blank where no range is given; their sources are in
        ``source``)."""
        rows = []

        def add(section: str, key: str, item: Sourced, unit: str | None) -> None:
            source = item.source
            if item.low is not None:
                source += f" | low {item.low:g}: {item.low_source}"
            if item.high is not None:
                source += f" | high {item.high:g}: {item.high_source}"
            rows.append(
                (section, key, item.value, item.low, item.high, unit, source, item.rationale)
            )

        for need, spec in self.needs.items():
            for key in ("reporting_rate", "take_up_share"):
                add("need: " + need, key, getattr(spec, key), "share (0 to 1)")
            for key, tier in spec.tiers.items():
                base = {
                    "estimated": "estimated victims",
                    "recorded": "recorded " + (tier.part or "count"),
                    "population": "residents",
                    "women_16plus": "women aged 16+",
                }[tier.basis]
                per = "" if tier.per == 1 else f" per {tier.per:,.0f} {base}"
                add(
                    f"tier: {need}",
                    f"{key}.rate",
                    tier.rate,
                    f"{tier.unit}{per or ' per ' + base}",
                )
                if tier.people_per_unit is not None:
                    add(
                        f"tier: {need}",
                        f"{key}.people_per_unit",
                        tier.people_per_unit,
                        f"people a year per {tier.unit.removesuffix('s')}",
                    )
        for section, items in (
            ("benchmark", self.benchmarks),
            ("threshold", self.thresholds),
            ("unit cost", self.unit_costs),
        ):
            for key, item in items.items():
                add(section, key, item, item.unit)
        for need in self.needs:
            rows.append(
                (
                    "ranking",
                    f"weight.{need}",
                    self.weight(need),
                    None,
                    None,
                    "weight of one unmet person a year",
                    self.ranking.source,
                    self.ranking.rationale,
                )
            )
        return pd.DataFrame(
            rows,
            columns=["section", "key", "value", "low", "high", "unit", "source", "rationale"],
        )


def _describe(error: dict, raw: dict) -> str:
    path = ".".join(str(p) for p in error["loc"])
    if error["type"] == "extra_forbidden":
        parent = raw
        for part in error["loc"][:-1]:
            parent = parent.get(part, {}) if isinstance(parent, dict) else {}
        key = str(error["loc"][-1])
        known = _known_keys(error["loc"][:-1])
        close = difflib.get_close_matches(key, known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        return f"{path}: unknown key{hint}"
    if error["type"] in {"literal_error", "enum"} and len(error["loc"]) >= 2:
        return f"{path}: {error['msg']}"
    given = error.get("input")
    shown = "" if isinstance(given, dict) else f" (given {given!r})"
    return f"{path}: {error['msg']}{shown}"


def _known_keys(loc: tuple) -> list[str]:
    model: type[BaseModel] = Assumptions
    for part in loc:
        field = model.model_fields.get(str(part))
        if field is None:
            continue
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        candidate = args[-1] if args else annotation
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            model = candidate
        elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
            model = annotation
    return list(model.model_fields)


def parse_assumptions(raw: dict, *, source: str = "assumptions") -> Assumptions:
    try:
        return Assumptions.model_validate(raw)
    except ValidationError as exc:
        problems = [_describe(e, raw) for e in exc.errors()]
        raise ConfigError(
            f"{source} has {len(problems)} problem(s):\n"
            + "\n".join(f"  - {p}" for p in problems)
            + "\nFix the file (see data/assumptions.toml for the expected keys)."
        ) from None


def load_assumptions(path: Path) -> Assumptions:
    """Read and check an assumptions TOML file."""
    if not path.is_file():
        raise ConfigError(f"Assumptions file {path} not found. Set PLANNER_ASSUMPTIONS.")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}).") from exc
    return parse_assumptions(raw, source=str(path))
