"""The assumptions file: needs, multipliers, benchmarks and thresholds, each with its source.

Read once, checked strictly: unknown keys are rejected with the closest known key, values out
of range are rejected with the allowed range, and every problem is reported at once.
"""

from __future__ import annotations

import difflib
import tomllib
from pathlib import Path
from typing import Literal

import pandas as pd
from pydantic import BaseModel, Field, ValidationError, model_validator

from planner.errors import ConfigError
from planner.sourced import (
    NEEDS,
    Benchmark,
    Multiplier,
    Share,
    Sourced,
    Text,
    Threshold,
    UnitCost,
    _Strict,
)
from planner.weights import (  # noqa: F401 (re-exported)
    DEFAULT_ALLOCATION,
    DEFAULT_RANKING,
    MAX_WEIGHT,
    Allocation,
    Ranking,
    Weight,
    Weighting,
)

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
    allocation: Allocation = DEFAULT_ALLOCATION

    def weight(self, need: str, tier: str | None = None) -> float:
        """What one unmet person (or family) a year of this need (and tier) counts for."""
        return self.ranking.weight(need, tier)

    def with_ranking(self, ranking: Ranking) -> Assumptions:
        return self.model_copy(update={"ranking": ranking})

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
        for need, tiers in self.ranking.tiers.items():
            unknown = sorted(set(tiers) - set(self.needs[need].tier_specs))
            if unknown:
                raise ValueError(
                    f"ranking.tiers.{need}: {', '.join(unknown)} is not a tier of {need} "
                    f"(its tiers: {', '.join(self.needs[need].tier_specs)})"
                )
        for name, alt in self.ranking.alternatives.items():
            for need, tiers in alt.tiers.items():
                spec = self.needs.get(need)  # type: ignore[call-overload]
                unknown = sorted(set(tiers) - set(spec.tier_specs if spec else ()))
                if unknown:
                    raise ValueError(
                        f"ranking.alternatives.{name}.tiers.{need}: {', '.join(unknown)} is "
                        "not a tier of that need"
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

    def _ranking_rows(self) -> list[tuple]:
        """One row per need weight and per tier weight the ranking gives."""
        r = self.ranking
        rows = []
        for need, spec in self.needs.items():
            w = r.needs.get(need)  # type: ignore[call-overload]
            weights = [
                (
                    f"weight.{need}",
                    self.weight(need),
                    "weight of one unmet person or family a year",
                    w.rationale if w else r.rationale,
                )
            ]
            for key in spec.tier_specs:
                t = r.tiers.get(need, {}).get(key)  # type: ignore[call-overload]
                if t is not None:
                    weights.append(
                        (
                            f"weight.{need}.{key}",
                            t.weight,
                            "tier weight (times the need's)",
                            t.rationale,
                        )
                    )
            rows += [("ranking", k, v, None, None, u, r.source, why) for k, v, u, why in weights]
        return rows

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
        rows += self._ranking_rows()
        alloc = self.allocation
        add(
            "allocation",
            "local_lot_min_demand",
            alloc.local_lot_min_demand,
            alloc.local_lot_min_demand.unit,
        )
        add("allocation", "large_gap", alloc.large_gap, alloc.large_gap.unit)
        for key, item in alloc.minimum_lots.items():
            add("minimum lot", key, item, item.unit)
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
    raw = _read_toml(path, "Assumptions file", " Set PLANNER_ASSUMPTIONS.")
    return parse_assumptions(raw, source=str(path))


def _read_toml(path: Path, what: str, hint: str = "") -> dict:
    """A TOML file's tables, or a sentence saying why not."""
    if not path.is_file():
        raise ConfigError(f"{what} {path} not found.{hint}")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}).") from exc


def load_weights(path: Path, assumptions: Assumptions) -> Assumptions:
    """``assumptions`` with the ranking of a weights file: a TOML file holding a ``[ranking]``
    table of the assumptions file's shape (``planner plan suggest --weights FILE``)."""
    raw = _read_toml(path, "Weights file")
    if set(raw) != {"ranking"}:
        raise ConfigError(
            f"{path}: a weights file holds one [ranking] table (found: "
            f"{', '.join(sorted(raw)) or 'nothing'}); see the [ranking] section of "
            "data/assumptions.toml for its shape."
        )
    whole = assumptions.model_dump()
    whole["ranking"] = raw["ranking"]
    return parse_assumptions(whole, source=str(path))
