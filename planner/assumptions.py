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
    """A number with where it came from and why it is used."""

    value: float
    source: Text
    rationale: Text
    unit: str | None = None


class Share(Sourced):
    value: float = Field(gt=0, le=1)


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

    @model_validator(mode="after")
    def _specialist_form(self) -> Need:
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

    @model_validator(mode="after")
    def _complete(self) -> Assumptions:
        missing = [n for n in NEEDS if n not in self.needs]
        if missing:
            raise ValueError(f"needs missing: {', '.join(missing)}")
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
        """Every assumption as a row: ``section, key, value, unit, source, rationale``."""
        rows = []
        for need, spec in self.needs.items():
            for key in ("reporting_rate", "take_up_share"):
                item: Sourced = getattr(spec, key)
                rows.append(
                    (
                        "need: " + need,
                        key,
                        item.value,
                        "share (0 to 1)",
                        item.source,
                        item.rationale,
                    )
                )
        for section, items in (
            ("benchmark", self.benchmarks),
            ("threshold", self.thresholds),
            ("unit cost", self.unit_costs),
        ):
            for key, item in items.items():
                rows.append((section, key, item.value, item.unit, item.source, item.rationale))
        return pd.DataFrame(
            rows, columns=["section", "key", "value", "unit", "source", "rationale"]
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


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def dump_toml(raw: dict) -> str:
    """TOML text for the assumptions structure (tables of scalars, lists and sub-tables)."""
    lines: list[str] = []

    def table(prefix: str, node: dict) -> None:
        scalars = {k: v for k, v in node.items() if not isinstance(v, dict)}
        tables = {k: v for k, v in node.items() if isinstance(v, dict)}
        if scalars:
            lines.append(f"[{prefix}]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in scalars.items())
            lines.append("")
        for key, child in tables.items():
            table(f"{prefix}.{key}" if prefix else key, child)

    table("", raw)
    return "\n".join(lines)


def edited_assumptions(
    path: Path, changes: dict[tuple[str, ...], float], *, editor: str, when: str
) -> str:
    """The assumptions file with ``changes`` (key path → new value) applied and the edit
    recorded in ``meta.edited_by``; validated before it is returned."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    for key_path, value in changes.items():
        node = raw
        for key in key_path[:-1]:
            node = node[key]
        node[key_path[-1]] = value
    raw["meta"]["edited_by"] = f"{editor}, {when}"
    parse_assumptions(raw, source="the edited assumptions")
    return dump_toml(raw)
