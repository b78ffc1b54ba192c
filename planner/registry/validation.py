"""One validation pass for a service record, whatever path it came by (form, Excel, ORUK).

Every problem is reported at once, each with its field and, for controlled fields, the accepted
values. Areas are resolved through the area set; site coordinates must fall inside it.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Mapping
from decimal import Decimal

from planner.errors import UnknownAreaError
from planner.registry.checks import (
    EMAIL,
    NUMBER_LIMITS,
    POSTCODE,
    URL,
    Checker,
    FieldProblem,
    ValidationContext,
    ValidationError,
    bounded_decimal,
    split_list,
)
from planner.schema import CONTROLLED_LISTS

ID_NAMESPACE = uuid.UUID("6f1c7a52-3a0e-4c53-9d5e-0b7a3c1d2e4f")

__all__ = [
    "NUMBER_LIMITS",
    "FieldProblem",
    "ValidationContext",
    "ValidationError",
    "bounded_decimal",
    "split_list",
    "stable_id",
    "validate_organisation",
    "validate_service",
]


def stable_id(kind: str, reference: str) -> str:
    """A UUID for a user's reference: the reference itself when it is a UUID, else a UUID5
    derived from it, so the same file imported twice updates the same records."""
    text = str(reference).strip()
    try:
        return str(uuid.UUID(text))
    except ValueError:
        return str(uuid.uuid5(ID_NAMESPACE, f"{kind}:{text}"))


def _website(c: Checker, raw: Mapping) -> str | None:
    website = c.text(raw, "website")
    if website and not URL.match(website):
        c.add("website", f"expected a web address starting http:// or https://, found {website!r}")
    return website


def _email(c: Checker, raw: Mapping) -> str | None:
    email = c.text(raw, "email")
    if email and not EMAIL.match(email):
        c.add("email", f"expected an email address, found {email!r}")
    return email


def validate_organisation(raw: Mapping, ctx: ValidationContext) -> tuple[dict, list[FieldProblem]]:
    """Check an organisation's own fields; return them cleaned and every problem found."""
    c = Checker(ctx)
    record: dict = {"name": c.text(raw, "name", required=True)}
    for name in ("description", "phone", "charity_number"):
        record[name] = c.text(raw, name)
    record["website"], record["email"] = _website(c, raw), _email(c, raw)
    return record, c.problems


LIST_OF_RECORDS = {"sites": "site", "contracts": "contract"}
SCALAR_KEYS = ("id", "organisation_id", "name", "status", "service_type", "referral_route")


def _shaped(raw: Mapping, c: Checker) -> dict:
    """``raw`` with every value of the wrong shape reported (with its path) and left out, so
    that the checks that follow see only the shapes they expect: a list of sites, not text."""
    out = dict(raw)
    for key in SCALAR_KEYS:
        value = out.get(key)
        if value is not None and not isinstance(value, (str, int, float, Decimal)):
            c.add(key, f"expected text, found {type(value).__name__}")
            out[key] = None
    for key, one in LIST_OF_RECORDS.items():
        value = out.get(key)
        if value is None:
            continue
        if not isinstance(value, (list, tuple)):
            c.add(key, f"expected a list of {one}s, found {type(value).__name__}")
            out[key] = []
            continue
        wrong = [i for i, item in enumerate(value, 1) if not isinstance(item, Mapping)]
        for i in wrong:
            c.add(
                f"{key}[{i}]", f"expected a {one} (a record), found {type(value[i - 1]).__name__}"
            )
        out[key] = [item for item in value if isinstance(item, Mapping)]
    for key in (*CONTROLLED_LISTS, "languages", "areas"):
        value = out.get(key)
        items = value if isinstance(value, (list, tuple, set)) else [value]
        if any(isinstance(v, (Mapping, list, tuple, set)) for v in items):
            c.add(key, "expected names or codes, as text or a list of text")
            out[key] = []
    if out.get("area_capacity") is not None and not isinstance(out["area_capacity"], Mapping):
        kind = type(out["area_capacity"]).__name__
        c.add("area_capacity", f"expected area → capacity pairs, found {kind}")
        out["area_capacity"] = {}
    return out


def validate_service(
    raw: Mapping, ctx: ValidationContext, *, draft: bool | None = None
) -> tuple[dict, list[FieldProblem]]:
    """Check one service record; return the normalised record and every problem found.

    The normalised record is the registry's canonical form (see ``planner.registry.records``).
    A draft (status ``draft``, or ``draft=True``) may leave required fields empty; what it
    still lacks is listed in ``record["incomplete"]``. Wrong values are problems in any status.
    """
    if not isinstance(raw, Mapping):
        return {}, [FieldProblem("(service)", f"expected a record, found {type(raw).__name__}")]
    c = Checker(ctx)
    raw = _shaped(raw, c)
    if draft is None:
        draft = str(raw.get("status") or "").strip().lower() == "draft"
    c.draft = draft
    record: dict = {}
    record["id"] = stable_id("service", raw["id"]) if raw.get("id") else None
    org = raw.get("organisation_id")
    if not org or not str(org).strip():
        c.add("organisation_id", "is required")  # even a draft belongs to an organisation
    record["organisation_id"] = stable_id("organisation", org) if org else None
    record["name"] = c.text(raw, "name", required=True)
    for name in ("description", "hours", "phone"):
        record[name] = c.text(raw, name)
    record["website"], record["email"] = _website(c, raw), _email(c, raw)
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
    scope = c.choice(raw, "scope", "scopes", required=False)
    if scope in WIDE_SCOPES:
        record["all_areas"] = True
    record["areas"] = _areas(raw, c, ctx, record)
    record["scope"] = scope or ("area_set" if record["all_areas"] else "local")
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


WIDE_SCOPES = ("area_set", "national")
"""Scopes that cover every area of the area set."""


def _check_unique(c: Checker, name: str, ids: list[str]) -> None:
    seen = set()
    for i in ids:
        if i in seen:
            c.add(name, f"id {i} appears more than once")
        seen.add(i)


def _areas(raw: Mapping, c: Checker, ctx: ValidationContext, record: dict) -> list[dict]:
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
        value = c.number(
            {"capacity_share": share}, "capacity_share", integer=True, key=f"area_capacity[{name}]"
        )
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


def _site(raw: Mapping, i: int, c: Checker, ctx: ValidationContext, service_id) -> dict:
    key = f"sites[{i}]"
    site = {
        "id": _child_id("site", raw.get("id"), service_id),
        "name": c.text(raw, "name", key=f"{key}.name"),
        "confidential": c.boolean(raw, "confidential", default=False, key=f"{key}.confidential"),
    }
    postcode = c.text(raw, "postcode", key=f"{key}.postcode")
    if postcode:
        postcode = re.sub(r"\s+", " ", postcode.upper())
        if not POSTCODE.match(postcode):
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


def _coordinate(value, label: str, limit: float, c: Checker) -> float | None:
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


def _contract(raw: Mapping, i: int, c: Checker, service_id: str | None) -> dict:
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
