"""The canonical record: one service as a plain dict, the same for audit snapshots, restore,
Excel and Open Referral UK round trips, and the tables the analysis reads."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from planner.registry.models import (
    Contract,
    Organisation,
    Service,
    ServiceArea,
    ServiceTerm,
    Site,
)
from planner.schema import ORG_FIELDS, SCALARS, TERM_FIELDS


def _json_value(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


def service_snapshot(service: Service) -> dict:
    """The service as a JSON-ready dict (dates and money as strings)."""
    record = {"id": service.id, **{k: getattr(service, k) for k in SCALARS}}
    for field, kind in TERM_FIELDS.items():
        record[field] = sorted(t.value for t in service.terms if t.kind == kind)
    record["areas"] = [
        {"area_code": a.area_code, "capacity_share": a.capacity_share}
        for a in sorted(service.areas, key=lambda a: a.area_code)
    ]
    record["sites"] = [
        {
            "id": s.id,
            "name": s.name,
            "postcode": s.postcode,
            "latitude": s.latitude,
            "longitude": s.longitude,
            "area_code": s.area_code,
            "confidential": s.confidential,
        }
        for s in sorted(service.sites, key=lambda s: s.id)
    ]
    record["contracts"] = [
        {
            "id": c.id,
            "funding_status": c.funding_status,
            "commissioner": c.commissioner,
            "reference": c.reference,
            "annual_value_gbp": _json_value(c.annual_value_gbp),
            "start_date": _json_value(c.start_date),
            "end_date": _json_value(c.end_date),
        }
        for c in sorted(service.contracts, key=lambda c: c.id)
    ]
    return record


def apply_to_service(service: Service, record: dict) -> None:
    """Write a normalised record (from validation or a snapshot) onto an ORM service."""
    for key in SCALARS:
        setattr(service, key, record.get(key))
    service.is_demo = bool(record.get("is_demo"))
    service.terms = [
        ServiceTerm(kind=kind, value=value)
        for field, kind in TERM_FIELDS.items()
        for value in sorted(set(record.get(field) or []))
    ]
    service.areas = [
        ServiceArea(area_code=a["area_code"], capacity_share=a.get("capacity_share"))
        for a in record.get("areas") or []
    ]
    kept = {s.id: s for s in service.sites if s.confidential}
    service.sites = [_site(s, kept.get(s["id"])) for s in record.get("sites") or []]
    service.contracts = [
        Contract(
            id=c["id"],
            funding_status=c["funding_status"],
            commissioner=c.get("commissioner"),
            reference=c.get("reference"),
            annual_value_gbp=Decimal(str(c["annual_value_gbp"]))
            if c.get("annual_value_gbp") is not None
            else None,
            start_date=_date(c.get("start_date")),
            end_date=_date(c.get("end_date")),
        )
        for c in record.get("contracts") or []
    ]


def _site(site: dict, stored: Site | None) -> Site:
    """A site row; a confidential site that comes back masked (as every export writes it)
    keeps the location details the registry already holds."""
    masked = not any(site.get(k) is not None for k in ("postcode", "latitude", "longitude"))
    if stored is not None and site.get("confidential") and masked:
        site = {
            **site,
            "name": stored.name,
            "postcode": stored.postcode,
            "latitude": stored.latitude,
            "longitude": stored.longitude,
        }
    return Site(
        id=site["id"],
        name=site.get("name"),
        postcode=site.get("postcode"),
        latitude=site.get("latitude"),
        longitude=site.get("longitude"),
        area_code=site["area_code"],
        confidential=bool(site.get("confidential")),
    )


def _date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def organisation_snapshot(org: Organisation) -> dict:
    return {"id": org.id, **{k: getattr(org, k) for k in ORG_FIELDS}}


def comparable(record: dict) -> dict:
    """A record without housekeeping, for comparing two registries."""
    drop = {"version", "updated_at", "updated_by"}
    return {k: _json_value(v) for k, v in record.items() if k not in drop}


def snapshot_to_raw(record: dict) -> dict:
    """A canonical record in the input form that validation reads (for re-validation)."""
    raw = {k: record.get(k) for k in ("id", *SCALARS)}
    for field in TERM_FIELDS:
        raw[field] = list(record.get(field) or [])
    raw["areas"] = [a["area_code"] for a in record["areas"] if a["capacity_share"] is None]
    raw["area_capacity"] = {
        a["area_code"]: a["capacity_share"]
        for a in record["areas"]
        if a["capacity_share"] is not None
    }
    raw["sites"] = [{**x, "area": x["area_code"]} for x in record["sites"]]
    raw["contracts"] = [dict(c) for c in record["contracts"]]
    return raw
