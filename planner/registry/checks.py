"""Checks of single values, shared by every record's validation: text (length, control
characters), numbers (bounded before conversion), yes/no, dates and controlled values, each
problem with its field. ``validation.py`` puts them together for whole records."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from planner.areas import AreaSet
from planner.errors import PlannerError
from planner.vocab import Vocabularies

MAX_TEXT = {
    "name": 200,
    "description": 5000,
    "hours": 200,
    "website": 500,
    "email": 254,
    "phone": 50,
    "commissioner": 200,
    "reference": 100,
    "postcode": 10,
    "charity_number": 20,
    "contact_name": 200,
    "organisation_name": 200,
    "message": 1000,
    "note": 1000,
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
URL = re.compile(r"^https?://[^\s/$.?#].[^\s]*$", re.IGNORECASE)
POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$")
NUMBER_LIMITS = {
    "capacity_per_year": 10_000_000,
    "capacity_share": 10_000_000,
    "places": 100_000,
    "staff_fte": 100_000,
    "annual_value_gbp": Decimal("999999999999.99"),  # the column is NUMERIC(14, 2)
    "default": 10_000_000,
}
"""The largest value each number field accepts: within what the domain allows and what both
databases store (INTEGER is 32-bit on PostgreSQL)."""
MAX_DECIMALS = {"annual_value_gbp": 2, "staff_fte": 2}
_MAX_NUMBER_TEXT = 40
TRUE_WORDS = {"yes", "y", "true", "1"}
FALSE_WORDS = {"no", "n", "false", "0"}


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ValidationError(PlannerError):
    """A record (or a file of records) failed validation; ``problems`` lists every one."""

    def __init__(self, problems: Iterable[object], *, heading: str = "The record is not valid"):
        self.problems = list(problems)
        lines = [f"{heading} ({len(self.problems)} problem(s)):"]
        lines += [f"  - {p}" for p in self.problems[:60]]
        if len(self.problems) > 60:
            lines.append(f"  ... and {len(self.problems) - 60} more")
        super().__init__("\n".join(lines))


MULTILINE = {"description", "hours", "message", "note"}
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
"""A date, or a date and time as a spreadsheet writes it: nothing after it ("2026-04-01 or so"
is refused)."""
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_LINE_BREAKS = re.compile(r"[\t\n\r]")


def unprintable(text: str, *, multiline: bool = False) -> str | None:
    """The problem with a text holding a control character (a vertical tab, NUL, ...) or half
    of a surrogate pair, which no workbook, database or page can hold; None when it is clean.
    Tabs and line breaks are allowed only in ``multiline`` fields."""
    found = _CONTROL.search(text) or (None if multiline else _LINE_BREAKS.search(text))
    if found is None:
        return None
    return (
        f"contains the control character U+{ord(found.group()):04X} at position "
        f"{found.start() + 1}: remove it (it often comes with text pasted from another system)"
    )


def shown(value: object) -> str:
    """A user's value quoted for a message, shortened when long."""
    text = (
        repr(value) if not isinstance(value, int) or value.bit_length() < 200 else "(a huge number)"
    )
    return text if len(text) <= 40 else text[:37] + "..."


def bounded_decimal(value: object) -> Decimal | str:
    """``value`` as a finite Decimal of 0 or more, or the message saying why not. Size is
    checked on the text and the exponent before anything is expanded."""
    if isinstance(value, bool):
        return f"expected a number, found {value!r}"
    if isinstance(value, int) and value.bit_length() > 64:
        return "is too large a number"
    if not isinstance(value, (int, float, Decimal, str)):
        return f"expected a number, found {type(value).__name__}"
    text = str(value).replace(",", "").strip()
    if len(text) > _MAX_NUMBER_TEXT:
        return f"is {len(text):,} characters long: not a number this field accepts"
    try:
        number = Decimal(text)
    except InvalidOperation:
        return f"expected a number of 0 or more, found {shown(value)}"
    if not number.is_finite() or number < 0:
        return f"expected a number of 0 or more, found {shown(value)}"
    if number.adjusted() > 15:
        return f"{shown(value)} is too large a number"
    return number


@dataclass
class ValidationContext:
    vocab: Vocabularies
    area_set: AreaSet
    locate: Callable[[float, float], str | None] | None = None
    """(longitude, latitude) → area code, or None when outside every area."""


@dataclass
class Checker:
    ctx: ValidationContext
    draft: bool = False
    problems: list[FieldProblem] = field(default_factory=list)
    missing: list[FieldProblem] = field(default_factory=list)

    def add(self, name: str, message: str) -> None:
        self.problems.append(FieldProblem(name, message))

    def add_missing(self, name: str, message: str) -> None:
        """A required value is absent: a problem, except in a draft (kept as a to-do)."""
        (self.missing if self.draft else self.problems).append(FieldProblem(name, message))

    def text(self, raw: Mapping, name: str, *, required: bool = False, key: str | None = None):
        value = raw.get(name)
        label = key or name
        if value is None or (isinstance(value, float) and math.isnan(value)):
            value = ""
        if not isinstance(value, str):
            if isinstance(value, (int, float, Decimal)) and name in ("phone", "reference"):
                value = str(value)
            else:
                kind = type(value).__name__
                self.add(label, f"expected text, found {kind} {shown(value)}")
                return None
        value = value.strip()
        if not value:
            if required:
                self.add_missing(label, "is required")
            return None
        limit = MAX_TEXT.get(name)
        if limit and len(value) > limit:
            self.add(label, f"is {len(value):,} characters long; at most {limit:,}")
            return None
        bad = unprintable(value, multiline=name in MULTILINE)
        if bad:
            self.add(label, bad)
            return None
        return value

    def boolean(self, raw: Mapping, name: str, *, default: bool | None = None, key=None):
        value = raw.get(name)
        label = key or name
        if isinstance(value, bool):
            return value
        if value is None or (isinstance(value, str) and not value.strip()):
            if default is None:
                self.add_missing(label, "is required: yes or no")
            return default
        if isinstance(value, (int, float)) and value in (0, 1):
            return bool(value)
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        self.add(label, f"expected yes or no, found {value!r}")
        return default

    def number(self, raw: Mapping, name: str, *, integer: bool, key=None):
        """A number of 0 or more within the field's limit (:data:`NUMBER_LIMITS`), checked
        for size before any conversion, so that no input can make it slow."""
        value = raw.get(name)
        label = key or name
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        number = bounded_decimal(value)
        if isinstance(number, str):
            self.add(label, number)
            return None
        limit = NUMBER_LIMITS.get(name.split(".")[-1], NUMBER_LIMITS["default"])
        if number > limit:
            self.add(label, f"{shown(value)} is more than the largest accepted, {limit:,}")
            return None
        if integer:
            if number != number.to_integral_value():
                self.add(label, f"expected a whole number, found {shown(value)}")
                return None
            return int(number)
        if -number.as_tuple().exponent > MAX_DECIMALS.get(name, 6):
            places = MAX_DECIMALS.get(name, 6)
            self.add(label, f"{shown(value)} has more than {places} decimal places")
            return None
        return number

    def date(self, raw: Mapping, name: str, *, key=None):
        value = raw.get(name)
        label = key or name
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        text = str(value).strip()
        if not DATE.match(text):
            self.add(label, f"expected a date like 2026-04-01, found {shown(value)}")
            return None
        try:
            return dt.date.fromisoformat(text[:10])
        except ValueError:
            self.add(label, f"{shown(value)} is not a date in the calendar")
            return None

    def choice(self, raw: Mapping, name: str, vocab_list: str, *, required=True, key=None):
        value = raw.get(name)
        label = key or name
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                accepted = ", ".join(self.ctx.vocab.keys(vocab_list))
                self.add_missing(label, f"is required; accepted: {accepted}")
            return None
        found = self.ctx.vocab.key_for(vocab_list, str(value))
        if found is None:
            accepted = ", ".join(self.ctx.vocab.keys(vocab_list))
            self.add(label, f"{value!r} is not accepted; accepted: {accepted}")
        return found

    def choices(self, raw: Mapping, name: str, vocab_list: str, *, key=None) -> list[str]:
        value = raw.get(name)
        label = key or name
        items = split_list(value)
        out = []
        for item in items:
            found = self.ctx.vocab.key_for(vocab_list, item)
            if found is None:
                self.add(
                    label,
                    f"{item!r} is not accepted; accepted: "
                    f"{', '.join(self.ctx.vocab.keys(vocab_list))}",
                )
            elif found not in out:
                out.append(found)
        return sorted(out)


def split_list(value: object) -> list[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return []
    if isinstance(value, (list, tuple, set)):
        return [str(v).strip() for v in value if str(v).strip()]
    return [part.strip() for part in re.split(r"[;\n]", str(value)) if part.strip()]
