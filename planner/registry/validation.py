"""One validation pass for a service record, whatever path it came by (form, Excel, ORUK).

Every problem is reported at once, each with its field and, for controlled fields, the accepted
values. Areas are resolved through the area set; site coordinates must fall inside it.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from planner.areas import AreaSet
from planner.errors import PlannerError, UnknownAreaError
from planner.schema import CONTROLLED_LISTS
from planner.vocab import Vocabularies

ID_NAMESPACE = uuid.UUID("6f1c7a52-3a0e-4c53-9d5e-0b7a3c1d2e4f")
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
}
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_URL = re.compile(r"^https?://[^\s/$.?#].[^\s]*$", re.IGNORECASE)
_POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]? ?\d[A-Z]{2}$")
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


def stable_id(kind: str, reference: str) -> str:
    """A UUID for a user's reference: the reference itself when it is a UUID, else a UUID5
    derived from it, so the same file imported twice updates the same records."""
    text = str(reference).strip()
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return str(uuid.uuid5(ID_NAMESPACE, f"{kind}:{text}"))


@dataclass
class ValidationContext:
    vocab: Vocabularies
    area_set: AreaSet
    locate: Callable[[float, float], str | None] | None = None
    """(longitude, latitude) → area code, or None when outside every area."""


@dataclass
class _Checker:
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
                self.add(label, f"expected text, found {type(value).__name__} {value!r}")
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
        value = raw.get(name)
        label = key or name
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, bool):
            self.add(label, f"expected a number, found {value!r}")
            return None
        try:
            number = Decimal(str(value).replace(",", "").strip())
        except InvalidOperation:
            self.add(label, f"expected a number of 0 or more, found {value!r}")
            return None
        if not number.is_finite() or number < 0:
            self.add(label, f"expected a number of 0 or more, found {value!r}")
            return None
        if integer:
            if number != number.to_integral_value():
                self.add(label, f"expected a whole number, found {value!r}")
                return None
            return int(number)
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
        try:
            return dt.date.fromisoformat(str(value).strip()[:10])
        except ValueError:
            self.add(label, f"expected a date like 2026-04-01, found {value!r}")
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


def validate_service(
    raw: Mapping, ctx: ValidationContext, *, draft: bool | None = None
) -> tuple[dict, list[FieldProblem]]:
    """Check one service record; return the normalised record and every problem found.

    The normalised record is the registry's canonical form (see ``planner.registry.records``).
    A draft (status ``draft``, or ``draft=True``) may leave required fields empty; what it
    still lacks is listed in ``record["incomplete"]``. Wrong values are problems in any status.
    """
    if draft is None:
        draft = str(raw.get("status") or "").strip().lower() == "draft"
    c = _Checker(ctx, draft=draft)
    record: dict = {}
    record["id"] = stable_id("service", raw["id"]) if raw.get("id") else None
    org = raw.get("organisation_id")
    if not org or not str(org).strip():
        c.add("organisation_id", "is required")  # even a draft belongs to an organisation
    record["organisation_id"] = stable_id("organisation", org) if org else None
    record["name"] = c.text(raw, "name", required=True)
    for name in ("description", "hours", "phone"):
        record[name] = c.text(raw, name)
    website = c.text(raw, "website")
    if website and not _URL.match(website):
        c.add("website", f"expected a web address starting http:// or https://, found {website!r}")
    record["website"] = website
    email = c.text(raw, "email")
    if email and not _EMAIL.match(email):
        c.add("email", f"expected an email address, found {email!r}")
    record["email"] = email
    record["service_type"] = c.choice(raw, "service_type", "service_types")
    record["referral_route"] = c.choice(raw, "referral_route", "referral_routes")
    record["without_police_report"] = c.boolean(raw, "without_police_report")
    if record["referral_route"] == "police_referral_only" and record["without_police_report"]:
        c.add("without_police_report", "cannot be yes when the referral route is police only")
    record["gender"] = c.choice(raw, "gender", "genders", required=False) or "any"
    for name, vocab_list in CONTROLLED_LISTS.items():
        record[name] = c.choices(raw, name, vocab_list)
    if not record["needs"] and not any(p.field == "needs" for p in c.problems):
        accepted = ", ".join(ctx.vocab.keys("needs"))
        c.add_missing("needs", f"at least one is required; accepted: {accepted}")
    record["languages"] = sorted({s.strip() for s in split_list(raw.get("languages"))})
    record["capacity_per_year"] = c.number(raw, "capacity_per_year", integer=True)
    record["places"] = c.number(raw, "places", integer=True)
    fte = c.number(raw, "staff_fte", integer=False)
    record["staff_fte"] = float(fte) if fte is not None else None
    record["supervision"] = c.boolean(raw, "supervision", default=False)
    record["accredited_training"] = c.boolean(raw, "accredited_training", default=False)
    record["status"] = c.choice(raw, "status", "registration_statuses", required=False)
    record["is_demo"] = bool(raw.get("is_demo"))
    record["all_areas"] = c.boolean(raw, "all_areas", default=False)
    record["areas"] = _areas(raw, c, ctx, record)
    record["sites"] = [
        _site(s, i, c, ctx, record["id"]) for i, s in enumerate(raw.get("sites") or [], 1)
    ]
    record["contracts"] = [
        _contract(x, i, c, record["id"]) for i, x in enumerate(raw.get("contracts") or [], 1)
    ]
    _check_unique(c, "sites", [s["id"] for s in record["sites"] if s["id"]])
    _check_unique(c, "contracts", [x["id"] for x in record["contracts"] if x["id"]])
    record["incomplete"] = [str(p) for p in c.missing]
    return record, c.problems


def _check_unique(c: _Checker, name: str, ids: list[str]) -> None:
    seen = set()
    for i in ids:
        if i in seen:
            c.add(name, f"id {i} appears more than once")
        seen.add(i)


def _areas(raw: Mapping, c: _Checker, ctx: ValidationContext, record: dict) -> list[dict]:
    shares = raw.get("area_capacity") or {}
    out: dict[str, int | None] = {}
    for name in split_list(raw.get("areas")):
        if name.strip().lower() in ("all", f"all of {ctx.area_set.name}".lower()):
            record["all_areas"] = True
            continue
        try:
            code = ctx.area_set.resolve(name)
        except UnknownAreaError as exc:
            c.add("areas", str(exc))
            continue
        out.setdefault(code, None)
    for name, share in dict(shares).items():
        try:
            code = ctx.area_set.resolve(name)
        except UnknownAreaError as exc:
            c.add("area_capacity", str(exc))
            continue
        value = c.number({"v": share}, "v", integer=True, key=f"area_capacity[{name}]")
        out[code] = value
    if record["all_areas"]:
        for code in ctx.area_set.codes:
            out.setdefault(code, None)
    if not out and not any(p.field == "areas" for p in c.problems):
        c.add_missing("areas", f"at least one {ctx.area_set.area_label} is required (or 'all')")
    split = [v for v in out.values() if v is not None]
    capacity = record.get("capacity_per_year")
    if split and capacity is not None and sum(split) > capacity:
        c.add(
            "area_capacity",
            f"the split adds up to {sum(split):,}, more than the capacity {capacity:,}",
        )
    return [{"area_code": k, "capacity_share": out[k]} for k in sorted(out)]


def _child_id(kind: str, ref, service_id: str | None) -> str | None:
    """A UUID as given, else one derived from the service and the user's reference."""
    if not ref:
        return None
    if _is_uuid(ref):
        return str(uuid.UUID(str(ref)))
    return stable_id(kind, f"{service_id}:{ref}") if service_id else None


def _site(raw: Mapping, i: int, c: _Checker, ctx: ValidationContext, service_id) -> dict:
    key = f"sites[{i}]"
    site = {
        "id": _child_id("site", raw.get("id"), service_id),
        "name": c.text(raw, "name", key=f"{key}.name"),
        "confidential": c.boolean(raw, "confidential", default=False, key=f"{key}.confidential"),
    }
    postcode = c.text(raw, "postcode", key=f"{key}.postcode")
    if postcode:
        postcode = re.sub(r"\s+", " ", postcode.upper())
        if not _POSTCODE.match(postcode):
            c.add(f"{key}.postcode", f"{postcode!r} is not a UK postcode like SE1 7PB")
    site["postcode"] = postcode
    lat = _coordinate(raw.get("latitude"), f"{key}.latitude", 90.0, c)
    lon = _coordinate(raw.get("longitude"), f"{key}.longitude", 180.0, c)
    area_code = None
    if raw.get("area"):
        try:
            area_code = ctx.area_set.resolve(str(raw["area"]))
        except UnknownAreaError as exc:
            c.add(f"{key}.area", str(exc))
    if (lat is None) != (lon is None):
        c.add(f"{key}.latitude", "give both latitude and longitude, or neither")
    elif lat is not None and lon is not None:
        lat, lon = float(lat), float(lon)
        located = ctx.locate(lon, lat) if ctx.locate else None
        if ctx.locate and located is None:
            c.add(
                f"{key}.latitude",
                f"the point ({lat:.5f}, {lon:.5f}) is outside {ctx.area_set.name}; "
                "check the coordinates (latitude first, in degrees)",
            )
        elif located and area_code and located != area_code:
            c.add(
                f"{key}.area",
                f"the coordinates are in {ctx.area_set.name_of(located)}, "
                f"not {ctx.area_set.name_of(area_code)}",
            )
        area_code = area_code or located
    if area_code is None and not any(p.field.startswith(key) for p in c.problems):
        c.add(f"{key}.area", f"give the {ctx.area_set.area_label} or the coordinates of the site")
    site.update(latitude=lat, longitude=lon, area_code=area_code)
    return site


def _coordinate(value, label: str, limit: float, c: _Checker) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        c.add(label, f"expected decimal degrees, found {value!r}")
        return None
    if math.isnan(number):
        return None
    if not -limit <= number <= limit:
        c.add(label, f"expected decimal degrees between {-limit:g} and {limit:g}, found {value!r}")
        return None
    return number


def _contract(raw: Mapping, i: int, c: _Checker, service_id: str | None) -> dict:
    key = f"contracts[{i}]"
    contract = {
        "id": _child_id("contract", raw.get("id") or raw.get("reference"), service_id),
        "funding_status": c.choice(
            raw, "funding_status", "funding_statuses", key=f"{key}.funding_status"
        ),
        "commissioner": c.text(raw, "commissioner", key=f"{key}.commissioner"),
        "reference": c.text(raw, "reference", key=f"{key}.reference"),
        "start_date": c.date(raw, "start_date", key=f"{key}.start_date"),
        "end_date": c.date(raw, "end_date", key=f"{key}.end_date"),
    }
    value = c.number(raw, "annual_value_gbp", integer=False, key=f"{key}.annual_value_gbp")
    contract["annual_value_gbp"] = value.quantize(Decimal("0.01")) if value is not None else None
    start, end = contract["start_date"], contract["end_date"]
    if start and end and end <= start:
        c.add(f"{key}.end_date", f"the contract ends ({end}) on or before it starts ({start})")
    if contract["funding_status"] == "commissioned" and not contract["commissioner"]:
        c.add(f"{key}.commissioner", "is required for a commissioned contract")
    return contract


def _is_uuid(value) -> bool:
    try:
        uuid.UUID(str(value))
        return True
    except ValueError:
        return False
