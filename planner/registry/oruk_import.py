"""Open Referral UK (HSDS 3.0 UK profile) import.

Accepts a service, a list or page of services, an organisation with its services, a
service-at-location, or a page of those. What maps is mapped; what does not is reported.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from planner.errors import PlannerError
from planner.registry.oruk_export import AGE_RANGES, TAXONOMY_PREFIX, OrukError
from planner.registry.records import collector_paused
from planner.registry.validation import ValidationContext
from planner.schema import TAXONOMIES, TERM_FIELDS


@dataclass
class OrukImport:
    organisations: list[tuple[str, dict]] = field(default_factory=list)
    services: list[tuple[str, dict]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _services_in(
    payload: object, notes: list[str]
) -> Iterable[tuple[dict, dict | None, dict | None]]:
    """(service, organisation, location) triples from any accepted payload shape."""
    if isinstance(payload, list):
        for item in payload:
            yield from _services_in(item, notes)
        return
    if not isinstance(payload, dict):
        raise OrukError("Expected a JSON object or list of Open Referral UK records.")
    if "contents" in payload and isinstance(payload["contents"], list):
        yield from _services_in(payload["contents"], notes)
        return
    if "service" in payload and "location" in payload:  # service_at_location
        yield payload["service"], payload["service"].get("organization"), payload["location"]
        return
    if "services" in payload and "status" not in payload:  # organization with services
        org = {k: v for k, v in payload.items() if k != "services"}
        for service in payload["services"] or []:
            yield service, service.get("organization") or org, None
        if not payload["services"]:
            yield {}, org, None
        return
    if {"taxonomy_terms", "term", "version", "taxonomy"} & set(payload):
        notes.append(
            "taxonomy records carry no services: the planner uses its own "
            "vocabularies (data/vocabularies.toml), so they were not imported"
        )
        return
    if "status" in payload and "name" in payload:
        yield payload, payload.get("organization"), None
        return
    if "name" in payload and "id" in payload:  # a bare organisation
        yield {}, payload, None
        return
    raise OrukError("This JSON does not look like Open Referral UK services or organisations.")


LISTS_OF_OBJECTS = {
    "contents",
    "services",
    "attributes",
    "service_areas",
    "languages",
    "phones",
    "schedules",
    "service_at_locations",
    "funding",
    "contacts",
    "contracts",
    "sites",
}
OBJECTS = {"organization", "location", "taxonomy_term", "x_planner", "service", "area_capacity"}
TEXT = {
    "id",
    "name",
    "status",
    "organization_id",
    "url",
    "email",
    "website",
    "description",
    "extent",
    "extent_type",
    "term",
    "taxonomy",
    "number",
}
MAX_PROBLEMS = 60
CHECKED = LISTS_OF_OBJECTS | OBJECTS | TEXT


def read_oruk_json(data: bytes, name: str) -> object:
    """The JSON of an upload, or an OrukError that says why it cannot be read: not UTF-8, not
    JSON, nested too deeply, or a number too long to be one."""
    try:
        with collector_paused():
            return json.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise OrukError(f"{name} is not UTF-8 text ({exc.reason}); save it as UTF-8.") from exc
    except json.JSONDecodeError as exc:
        raise OrukError(f"{name} is not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise OrukError(f"{name} is nested too deeply to be Open Referral UK records.") from exc
    except ValueError as exc:  # an integer of thousands of digits
        raise OrukError(f"{name} holds a number too long to read ({exc}).") from exc


def shape_problems(value: object, path: str = "") -> list[str]:
    """Where ``value`` (an ORUK payload) has a value of the wrong kind: a text where a list of
    objects is expected, a list where an id is expected. Each with its path."""
    problems: list[str] = []
    _walk(value, (), problems, path or "(payload)")
    return problems[:MAX_PROBLEMS]


def _where(steps: tuple, root: str) -> str:
    """A path such as ``[3].service_at_locations[0].location`` (built only for a problem)."""
    text = root
    for step in steps:
        if isinstance(step, int):
            text += f"[{step}]"
        else:
            text = step if text == "(payload)" else f"{text}.{step}"
    return text


def _walk(value: object, steps: tuple, problems: list[str], root: str) -> None:
    if len(problems) >= MAX_PROBLEMS:
        return
    if len(steps) > 20:
        problems.append(
            f"{_where(steps, root)}: nested more deeply than Open Referral UK records are"
        )
        return
    if isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, (list, dict)):
                _walk(item, (*steps, i), problems, root)
        return
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        if item is None:
            continue
        expected = _expected(key, item) if key in CHECKED else None
        if expected:
            where = _where((*steps, key), root)
            problems.append(f"{where}: expected {expected}, found {_kind(item)}")
        elif isinstance(item, (list, dict)):
            _walk(item, (*steps, key), problems, root)


def _expected(key: str, item: object) -> str | None:
    """What ``key`` must hold, when ``item`` is not that."""
    if key in LISTS_OF_OBJECTS and not (
        isinstance(item, list) and all(isinstance(x, dict) for x in item)
    ):
        return "a list of objects"
    if key in OBJECTS and not isinstance(item, dict):
        return "an object"
    if key in TEXT and not isinstance(item, (str, int, float)):
        return "text"
    return None


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "text"}.get(type(value), type(value).__name__)


def oruk_to_records(payload: object, ctx: ValidationContext) -> OrukImport:
    """Map ORUK records to registry input records; list what could not be mapped. A payload
    with values of the wrong kind is refused whole, with the path of each."""
    with collector_paused():
        return _to_records(payload, ctx)


def _to_records(payload: object, ctx: ValidationContext) -> OrukImport:
    problems = shape_problems(payload)
    if problems:
        raise OrukError(
            "The Open Referral UK file has values of the wrong kind; nothing was imported:\n"
            + "\n".join(f"  - {p}" for p in problems)
        )
    result = OrukImport()
    seen_orgs: set[str] = set()
    for service, org, location in _services_in(payload, result.notes):
        if org and org.get("id") and org["id"] not in seen_orgs:
            seen_orgs.add(org["id"])
            description = org.get("description")
            result.organisations.append(
                (
                    f"organisation {org.get('name')!r}",
                    {
                        "id": org["id"],
                        "name": org.get("name"),
                        "description": description,
                        "website": org.get("website"),
                        "email": org.get("email"),
                        "is_demo": bool(
                            description and description.startswith("Demonstration data")
                        ),
                    },
                )
            )
        if not service:
            continue
        where = f"service {service.get('name')!r}"
        raw, notes = _service_from_oruk(service, org, location, ctx)
        result.notes += [f"{where}: {n}" for n in notes]
        result.services.append((where, raw))
    return result


def _service_from_oruk(
    service: dict, org: dict | None, location: dict | None, ctx: ValidationContext
) -> tuple[dict, list[str]]:
    notes: list[str] = []
    ext = service.get("x_planner") or {}
    raw: dict = {
        "id": service.get("id"),
        "organisation_id": (org or {}).get("id") or service.get("organization_id"),
        "name": service.get("name"),
        "description": service.get("description"),
        "website": service.get("url"),
        "email": service.get("email"),
        **_controlled_fields(service, notes),
        **_contact_fields(service, notes),
        "areas": _areas(service, ctx, notes),
        "area_capacity": ext.get("area_capacity") or {},
        "sites": _sites(service, location, ext, ctx, notes),
        "contracts": ext.get("contracts") or [],
        "is_demo": ext.get("is_demo", False),
    }
    if not raw.get("age_groups"):
        raw["age_groups"] = _age_groups(service)
    if service.get("funding") and not ext.get("contracts"):
        notes.append(
            "funding descriptions are free text in Open Referral UK: not imported as contracts"
        )
    for key in EXTENSION_FIELDS:
        raw[key] = ext.get(key)
    raw["status"] = _status(raw, ext.get("registration_status"), notes)
    for key in ("fees", "cost_options", "contacts", "alert", "assured_date"):
        if service.get(key):
            notes.append(f"{key} has no place in the registry: not imported")
    return raw, notes


EXTENSION_FIELDS = (
    "capacity_per_year",
    "staff_fte",
    "all_areas",
    "supervision",
    "accredited_training",
)


def _controlled_fields(service: dict, notes: list[str]) -> dict:
    """The planner's taxonomy attributes as record fields; other taxonomies are noted."""
    terms: dict[str, list[str]] = {}
    for attribute in service.get("attributes") or []:
        term = attribute.get("taxonomy_term") or {}
        taxonomy = str(term.get("taxonomy") or "")
        if taxonomy.startswith(f"{TAXONOMY_PREFIX}:"):
            terms.setdefault(taxonomy.split(":", 1)[1], []).append(
                term.get("term") or term.get("name")
            )
        else:
            notes.append(
                f"taxonomy term {term.get('name')!r} ({taxonomy or 'no taxonomy'}) "
                "is not one of the planner's vocabularies: not imported"
            )
    out: dict = {}
    for field_name, taxonomy in TAXONOMIES.items():
        values = terms.get(taxonomy, [])
        out[field_name] = values if field_name in TERM_FIELDS else (values[0] if values else None)
    police = terms.get("without_police_report", [])
    out["without_police_report"] = police[0] if police else None
    return out


def _age_groups(service: dict) -> list[str]:
    """Age groups from ORUK's minimum and maximum age, where no age group term was given."""
    if service.get("minimum_age") is None and service.get("maximum_age") is None:
        return []
    low = service.get("minimum_age") or 0
    high = service.get("maximum_age") or 120
    return [g for g, (a, b) in AGE_RANGES.items() if a <= high and b >= low]


def _contact_fields(service: dict, notes: list[str]) -> dict:
    languages = service.get("languages") or []
    unnamed = [x for x in languages if not x.get("name")]
    if unnamed:
        notes.append(f"{len(unnamed)} language(s) without a name: not imported")
    phones = service.get("phones") or []
    schedules = service.get("schedules") or []
    hours = schedules[0].get("description") if schedules else None
    if hours and len(hours) > 200:
        hours = hours[:197] + "..."
        notes.append("opening hours shortened to 200 characters")
    return {
        "languages": [x.get("name") for x in languages if x.get("name")],
        "phone": phones[0].get("number") if phones else None,
        "hours": hours,
    }


def _areas(service: dict, ctx: ValidationContext, notes: list[str]) -> list[str]:
    areas = []
    for area in service.get("service_areas") or []:
        candidate = (
            area.get("extent") if area.get("extent_type") == "GSS code" else area.get("name")
        )
        try:
            areas.append(ctx.area_set.resolve(str(candidate)))
        except PlannerError:
            notes.append(
                f"service area {str(area.get('name'))[:60]!r} is not an area of "
                f"{ctx.area_set.name}: not imported"
            )
    return areas


def _sites(
    service: dict, location: dict | None, ext: dict, ctx: ValidationContext, notes: list[str]
) -> list[dict]:
    """Locations inside the area set as sites (the extension keeps confidential flags)."""
    ext_sites = {s["id"]: s for s in ext.get("sites") or []}
    locations = [sal.get("location") for sal in service.get("service_at_locations") or []]
    if location:
        locations.append(location)
    sites = []
    for loc in filter(None, locations):
        known = ext_sites.get(loc.get("id"), {})
        lat, lon = loc.get("latitude"), loc.get("longitude")
        area = known.get("area_code")
        if lat is not None and lon is not None:
            inside = (
                ctx.locate(float(lon), float(lat)) if ctx.locate and _plausible(lat, lon) else None
            )
            if inside is None:
                notes.append(
                    f"location {loc.get('name')!r} at ({lat}, {lon}) is not in "
                    f"{ctx.area_set.name}: not imported"
                )
                continue
        elif not area:
            notes.append(f"location {loc.get('name')!r} has no coordinates or area: not imported")
            continue
        sites.append(
            {
                "id": loc.get("id"),
                "name": None if known.get("confidential") else loc.get("name"),
                "latitude": lat,
                "longitude": lon,
                "postcode": known.get("postcode"),
                "area": area,
                "confidential": known.get("confidential", False),
            }
        )
    return sites


def _status(raw: dict, status: str | None, notes: list[str]) -> str | None:
    """The registration status the file gives, else a draft when required fields are
    missing (noted), else None (the registry's default)."""
    if status:
        return status
    missing = [
        k
        for k in ("service_type", "referral_route", "without_police_report", "needs")
        if not raw.get(k)
    ]
    if not raw["areas"] and not raw.get("all_areas"):
        missing.append("areas")
    if missing:
        notes.append(
            f"imported as a draft: {', '.join(missing)} to be completed before it can be submitted"
        )
        return "draft"
    return None


def _plausible(lat, lon) -> bool:
    try:
        return -90 <= float(lat) <= 90 and -180 <= float(lon) <= 180
    except (TypeError, ValueError):
        return False
