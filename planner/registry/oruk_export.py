"""Open Referral UK (HSDS 3.0 UK profile) export.

Each service is one ORUK service object with its organisation, service areas, locations
(confidential sites without address or coordinates), languages, funding, and taxonomy
attributes for the planner's controlled vocabularies. Fields ORUK has no place for (capacity,
staff, contract dates and values, capacity split) travel in an ``x_planner`` extension object,
which the schema allows, so the planner's own files round-trip exactly.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from planner.areas import AreaSet
from planner.assumptions import Assumptions
from planner.coverage.inputs import public_site
from planner.coverage.tiers import record_tiers
from planner.errors import PlannerError
from planner.registry.validation import ValidationContext
from planner.schema import SCOPE_WORDS, TAXONOMIES
from planner.settings import load_settings
from planner.vocab import Vocabularies

if TYPE_CHECKING:  # jsonschema takes 3 s to import (its format checkers build grammars):
    # loaded only when an export is validated, never for an import
    from jsonschema import Draft202012Validator

NAMESPACE = uuid.UUID("0d3f3f0e-5d7c-4a36-8f21-6c0b9d1f2a77")
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
        **_details(record, vocab),
        "organization": _organization(organisation),
        "service_areas": _service_areas(record, area_set),
        "service_at_locations": [_location(sid, s, area_set) for s in record["sites"]],
        "languages": [
            {"id": _uid("language", sid, lang), "service_id": sid, "name": lang}
            for lang in record.get("languages") or []
        ],
    }
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
    out["attributes"] = _attributes(record, vocab)
    out["x_planner"] = _extension(record)
    return out


def _details(record: dict, vocab: Vocabularies) -> dict:
    """The service's optional ORUK fields that are present in the record."""
    out: dict = {}
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
    return out


def _given(value: object) -> bool:
    """A value that is there: not None, not NaN (a missing cell of a table), not empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return value != ""


def _organization(organisation: dict) -> dict:
    """The organisation as ORUK wants it: missing values left out, never written as NaN."""
    organisation = {k: v for k, v in organisation.items() if _given(v)}
    org_description = organisation.get("description") or organisation["name"]
    if organisation.get("is_demo"):
        org_description = "Demonstration data: fictional provider. " + org_description
    out = {
        "id": organisation["id"],
        "name": organisation["name"],
        "description": org_description,
    }
    for key, target in (("email", "email"), ("website", "website")):
        if organisation.get(key):
            out[target] = organisation[key]
    return out


def _service_areas(record: dict, area_set: AreaSet) -> list[dict]:
    """One service area per covered area; ``service_area`` states the service's scope (a
    national service is listed in every area, as a national service)."""
    sid = record["id"]
    scope = SCOPE_WORDS.get(record.get("scope") or "local", "local service")
    return [
        {
            "id": _uid("area", sid, a["area_code"]),
            "service_id": sid,
            "name": area_set.name_of(a["area_code"]),
            "service_area": f"{area_set.name_of(a['area_code'])} ({scope})",
            "extent_type": "GSS code",
            "extent": a["area_code"],
            "uri": f"http://statistics.data.gov.uk/id/statistical-geography/{a['area_code']}",
        }
        for a in record["areas"]
    ]


def _location(sid: str, raw_site: dict, area_set: AreaSet) -> dict:
    """A site as a service_at_location: confidential sites without address or coordinates."""
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
    return {
        "id": _uid("sal", sid, site["id"]),
        "service_id": sid,
        "location_id": site["id"],
        "location": location,
    }


def _attributes(record: dict, vocab: Vocabularies) -> list[dict]:
    """A taxonomy attribute for every controlled value, and the police-report answer."""
    sid = record["id"]
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
    return attributes


def _extension(record: dict) -> dict:
    """What ORUK has no place for, so that the planner's own files round-trip exactly."""
    return {
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
def service_validator(schema_dir: Path | None = None) -> Draft202012Validator:
    """The validator of ``service.json`` (default folder: ``Settings.oruk_schema_dir``)."""
    from jsonschema import Draft202012Validator, FormatChecker

    path = (schema_dir or load_settings().oruk_schema_dir) / "service.json"
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


def oruk_export(
    records: list[dict],
    organisations: list[dict],
    ctx: ValidationContext,
    assumptions: Assumptions | None = None,
) -> tuple[list[dict], list[str]]:
    """Every record as an ORUK service, and every schema problem (empty when all validate).
    With ``assumptions``, each service also lists the need tiers it serves (BRIEF §4.1) as
    attributes of the ``planner:tiers`` taxonomy (derived: an import ignores them)."""
    orgs = {o["id"]: o for o in organisations}
    services, problems = [], []
    for record in records:
        service = service_to_oruk(record, orgs[record["organisation_id"]], ctx.vocab, ctx.area_set)
        if assumptions is not None:
            service["attributes"] += [
                _term(
                    ctx.vocab,
                    "tiers",
                    f"{need}/{tier}",
                    record["id"],
                    f"{ctx.vocab.label('needs', need)}: {label}",
                )
                for need, tier, label in record_tiers(record, assumptions)
            ]
        problems += [f"{record['name']}: {e}" for e in schema_errors(service)]
        services.append(service)
    return services, problems
