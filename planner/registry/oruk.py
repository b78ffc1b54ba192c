"""Open Referral UK (HSDS 3.0 UK profile) import and export.

Export: each service as one ORUK service object with its organisation, service areas,
locations (confidential sites without address or coordinates), languages, funding, and
taxonomy attributes for the planner's controlled vocabularies. Fields ORUK has no place for
(capacity, staff, contract dates and values, capacity split) travel in an ``x_planner``
extension object, which the schema allows, so the planner's own files round-trip exactly.

Import: accepts a service, a list or page of services, an organisation with its services,
a service-at-location, or a page of those. What maps is mapped; what does not is reported.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from jsonschema import Draft202012Validator, FormatChecker

from planner.areas import AreaSet
from planner.errors import PlannerError
from planner.registry.records import TERM_FIELDS
from planner.registry.tables import public_site
from planner.registry.validation import ValidationContext
from planner.settings import REPO_ROOT
from planner.vocab import Vocabularies

NAMESPACE = uuid.UUID("0d3f3f0e-5d7c-4a36-8f21-6c0b9d1f2a77")
SCHEMA_DIR = REPO_ROOT.parent / "shared" / "schemas" / "openreferral-uk" / "schema" / "compiled"
TAXONOMY_PREFIX = "victim-services-planner"
AGE_RANGES = {
    "children": (0, 12),
    "young_people": (13, 24),
    "adults": (25, 64),
    "older_people": (65, 120),
}
STATUS_TO_ORUK = {
    "approved": "active",
    "submitted": "inactive",
    "draft": "inactive",
    "archived": "defunct",
}
TAXONOMIES = {
    "service_type": "service_types",
    "referral_route": "referral_routes",
    "gender": "genders",
    **{
        f: f for f in ("needs", "stages", "specialisms", "channels", "age_groups", "accreditations")
    },
}


class OrukError(PlannerError):
    """An Open Referral UK payload cannot be read."""


def _uid(*parts: object) -> str:
    return str(uuid.uuid5(NAMESPACE, ":".join(str(p) for p in parts)))


def _term(
    vocab: Vocabularies, taxonomy: str, key: str, service_id: str, description: str | None = None
) -> dict:
    term_id = _uid("term", taxonomy, key)
    return {
        "id": _uid("attribute", service_id, taxonomy, key),
        "link_id": service_id,
        "link_type": "service",
        "taxonomy_term_id": term_id,
        "taxonomy_term": {
            "id": term_id,
            "name": key,
            "description": description or vocab.label(taxonomy, key),
            "taxonomy": f"{TAXONOMY_PREFIX}:{taxonomy}",
            "term": key,
        },
    }


def service_to_oruk(
    record: dict, organisation: dict, vocab: Vocabularies, area_set: AreaSet
) -> dict:
    """One registry record as an ORUK service object (validates against service.json)."""
    sid = record["id"]
    out: dict = {
        "id": sid,
        "organization_id": record["organisation_id"],
        "name": record["name"],
        "status": STATUS_TO_ORUK.get(record.get("status") or "draft", "inactive"),
    }
    if record.get("description"):
        out["description"] = record["description"]
    if record.get("website"):
        out["url"] = record["website"]
    if record.get("email"):
        out["email"] = record["email"]
    ages = [AGE_RANGES[a] for a in record.get("age_groups") or [] if a in AGE_RANGES]
    if ages:
        out["minimum_age"] = min(a for a, _ in ages)
        out["maximum_age"] = max(b for _, b in ages)
    if record.get("accreditations"):
        out["accreditations"] = "; ".join(
            vocab.label("accreditations", a) for a in record["accreditations"]
        )
    updated = record.get("updated_at")
    if isinstance(updated, dt.datetime):
        out["last_modified"] = updated.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    org_description = organisation.get("description") or organisation["name"]
    if organisation.get("is_demo"):
        org_description = "Demonstration data: fictional provider. " + org_description
    out["organization"] = {
        "id": organisation["id"],
        "name": organisation["name"],
        "description": org_description,
    }
    for key, target in (("email", "email"), ("website", "website")):
        if organisation.get(key):
            out["organization"][target] = organisation[key]
    out["service_areas"] = [
        {
            "id": _uid("area", sid, a["area_code"]),
            "service_id": sid,
            "name": area_set.name_of(a["area_code"]),
            "extent_type": "GSS code",
            "extent": a["area_code"],
            "uri": f"http://statistics.data.gov.uk/id/statistical-geography/{a['area_code']}",
        }
        for a in record["areas"]
    ]
    out["service_at_locations"] = []
    for raw_site in record["sites"]:
        site = public_site(raw_site)
        location = {"id": site["id"], "location_type": "physical"}
        if site["confidential"]:
            location["name"] = f"Confidential site in {area_set.name_of(site['area_code'])}"
            location["description"] = "Address withheld: confidential site."
        else:
            if site.get("name"):
                location["name"] = site["name"]
            if site.get("latitude") is not None:
                location["latitude"] = site["latitude"]
                location["longitude"] = site["longitude"]
            if site.get("postcode"):
                location["description"] = f"Postcode {site['postcode']}"
        out["service_at_locations"].append(
            {
                "id": _uid("sal", sid, site["id"]),
                "service_id": sid,
                "location_id": site["id"],
                "location": location,
            }
        )
    out["languages"] = [
        {"id": _uid("language", sid, lang), "service_id": sid, "name": lang}
        for lang in record.get("languages") or []
    ]
    if record.get("phone"):
        out["phones"] = [{"id": _uid("phone", sid), "service_id": sid, "number": record["phone"]}]
    if record.get("hours"):
        out["schedules"] = [
            {"id": _uid("schedule", sid), "service_id": sid, "description": record["hours"]}
        ]
    out["funding"] = [
        {"id": c["id"], "service_id": sid, "source": _funding_text(c, vocab)}
        for c in record["contracts"]
    ]
    attributes = []
    for field_name, taxonomy in TAXONOMIES.items():
        value = record.get(field_name)
        for key in value if isinstance(value, list) else ([value] if value else []):
            attributes.append(_term(vocab, taxonomy, key, sid))
    if record.get("without_police_report") is not None:
        key = "yes" if record["without_police_report"] else "no"
        text = (
            "Accessible without a police report"
            if key == "yes"
            else "Needs a police report or police referral"
        )
        attributes.append(_term(vocab, "without_police_report", key, sid, text))
    out["attributes"] = attributes
    out["x_planner"] = {
        "capacity_per_year": record.get("capacity_per_year"),
        "places": record.get("places"),
        "staff_fte": record.get("staff_fte"),
        "all_areas": record.get("all_areas"),
        "area_capacity": {
            a["area_code"]: a["capacity_share"]
            for a in record["areas"]
            if a["capacity_share"] is not None
        },
        "supervision": record.get("supervision"),
        "accredited_training": record.get("accredited_training"),
        "registration_status": record.get("status"),
        "contracts": [dict(c) for c in record["contracts"]],
        "sites": [
            {
                "id": s["id"],
                "area_code": s["area_code"],
                "confidential": s["confidential"],
                "postcode": public_site(s)["postcode"],
            }
            for s in record["sites"]
        ],
        "is_demo": bool(record.get("is_demo")),
    }
    return out


def _funding_text(contract: dict, vocab: Vocabularies) -> str:
    parts = [vocab.label("funding_statuses", contract["funding_status"])]
    if contract.get("commissioner"):
        parts.append(f"by {contract['commissioner']}")
    if contract.get("reference"):
        parts.append(f"(contract {contract['reference']})")
    if contract.get("annual_value_gbp") is not None:
        parts.append(f"£{float(contract['annual_value_gbp']):,.0f} a year")
    if contract.get("start_date") or contract.get("end_date"):
        parts.append(f"{contract.get('start_date') or '?'} to {contract.get('end_date') or '?'}")
    return " ".join(parts)


@cache
def service_validator(schema_dir: Path = SCHEMA_DIR) -> Draft202012Validator:
    path = schema_dir / "service.json"
    if not path.is_file():
        raise OrukError(f"The Open Referral UK schema {path} is not available.")
    return Draft202012Validator(
        json.loads(path.read_text(encoding="utf-8")), format_checker=FormatChecker()
    )


def schema_errors(service: dict) -> list[str]:
    """Every way an ORUK service object breaks ``schema/compiled/service.json``."""
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or '(service)'}: {e.message}"
        for e in service_validator().iter_errors(service)
    ]


# --- import ---------------------------------------------------------------------------------------


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


def oruk_to_records(payload: object, ctx: ValidationContext) -> OrukImport:
    """Map ORUK records to registry input records; list what could not be mapped."""
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
    }
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
    for field_name, taxonomy in TAXONOMIES.items():
        values = terms.get(taxonomy, [])
        if field_name in TERM_FIELDS:
            raw[field_name] = values
        else:
            raw[field_name] = values[0] if values else None
    police = terms.get("without_police_report", [])
    raw["without_police_report"] = police[0] if police else None
    if not raw.get("age_groups") and (
        service.get("minimum_age") is not None or service.get("maximum_age") is not None
    ):
        low = service.get("minimum_age") or 0
        high = service.get("maximum_age") or 120
        raw["age_groups"] = [g for g, (a, b) in AGE_RANGES.items() if a <= high and b >= low]
    raw["languages"] = [x.get("name") for x in service.get("languages") or [] if x.get("name")]
    unnamed = [x for x in service.get("languages") or [] if not x.get("name")]
    if unnamed:
        notes.append(f"{len(unnamed)} language(s) without a name: not imported")
    phones = service.get("phones") or []
    raw["phone"] = phones[0].get("number") if phones else None
    schedules = service.get("schedules") or []
    raw["hours"] = schedules[0].get("description") if schedules else None
    if raw["hours"] and len(raw["hours"]) > 200:
        raw["hours"] = raw["hours"][:197] + "..."
        notes.append("opening hours shortened to 200 characters")
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
    raw["areas"] = areas
    raw["area_capacity"] = ext.get("area_capacity") or {}
    ext_sites = {s["id"]: s for s in ext.get("sites") or []}
    raw["sites"] = []
    locations = [sal.get("location") for sal in service.get("service_at_locations") or []]
    if location:
        locations.append(location)
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
        raw["sites"].append(
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
    raw["contracts"] = ext.get("contracts") or []
    if service.get("funding") and not ext.get("contracts"):
        notes.append(
            "funding descriptions are free text in Open Referral UK: not imported as contracts"
        )
    for key in (
        "capacity_per_year",
        "staff_fte",
        "all_areas",
        "supervision",
        "accredited_training",
    ):
        raw[key] = ext.get(key)
    status = ext.get("registration_status")
    raw["is_demo"] = ext.get("is_demo", False)
    missing = [
        k
        for k in ("service_type", "referral_route", "without_police_report", "needs")
        if not raw.get(k)
    ]
    if not raw["areas"] and not raw.get("all_areas"):
        missing.append("areas")
    if status:
        raw["status"] = status
    elif missing:
        raw["status"] = "draft"
        notes.append(
            f"imported as a draft: {', '.join(missing)} to be completed before it can be submitted"
        )
    for key in ("fees", "cost_options", "contacts", "alert", "assured_date"):
        if service.get(key):
            notes.append(f"{key} has no place in the registry: not imported")
    return raw, notes


def _plausible(lat, lon) -> bool:
    try:
        return -90 <= float(lat) <= 90 and -180 <= float(lon) <= 180
    except (TypeError, ValueError):
        return False


def oruk_export(
    records: list[dict], organisations: list[dict], ctx: ValidationContext
) -> tuple[list[dict], list[str]]:
    """Every record as an ORUK service, and every schema problem (empty when all validate)."""
    orgs = {o["id"]: o for o in organisations}
    services, problems = [], []
    for record in records:
        service = service_to_oruk(record, orgs[record["organisation_id"]], ctx.vocab, ctx.area_set)
        problems += [f"{record['name']}: {e}" for e in schema_errors(service)]
        services.append(service)
    return services, problems
