"""The canonical record: one service as a plain dict, the same for audit snapshots, restore,
Excel and Open Referral UK round trips, and the tables the analysis reads."""

from __future__ import annotations

import datetime as dt
import gc
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from planner.registry.models import (
    Contract,
    Organisation,
    Service,
    ServiceArea,
    ServiceTerm,
    Site,
)
from planner.schema import CONTRACT_FIELDS, ORG_FIELDS, SCALARS, TERM_FIELDS


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a bulk import builds and holds hundreds of
    thousands of small objects (it would re-scan them all, over and over: a fifth of the
    time of a 20,000-service import); back on, and run once, afterwards."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _json_value(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value


@dataclass
class ServiceRows:
    """One service as table rows: ``service`` the ``services`` columns a record carries,
    then its terms, areas, sites and contracts, with database values (Decimal, dates)."""

    service: dict
    terms: list[dict] = field(default_factory=list)
    areas: list[dict] = field(default_factory=list)
    sites: list[dict] = field(default_factory=list)
    contracts: list[dict] = field(default_factory=list)


CHILD_TABLES = {"terms": ServiceTerm, "areas": ServiceArea, "sites": Site, "contracts": Contract}
"""Each child list of :class:`ServiceRows` and the model whose rows it holds."""

SITE_COLUMNS = ("id", "name", "postcode", "latitude", "longitude", "area_code", "confidential")


def snapshot_of(rows: ServiceRows) -> dict:
    """The service as a JSON-ready dict (dates and money as strings): the canonical record of
    audit snapshots, restore and round trips. A site's reference key stays out of it."""
    record = {"id": rows.service["id"], **{k: rows.service.get(k) for k in SCALARS}}
    values: dict[str, list[str]] = {kind: [] for kind in TERM_FIELDS.values()}
    for term in rows.terms:
        values.setdefault(term["kind"], []).append(term["value"])
    for name, kind in TERM_FIELDS.items():
        record[name] = sorted(values[kind])
    record["areas"] = [
        {"area_code": a["area_code"], "capacity_share": a["capacity_share"]}
        for a in sorted(rows.areas, key=lambda a: a["area_code"])
    ]
    record["sites"] = [
        {k: x[k] for k in SITE_COLUMNS} for x in sorted(rows.sites, key=lambda x: x["id"])
    ]
    record["contracts"] = [
        {k: _json_value(c[k]) for k in CONTRACT_FIELDS}
        for c in sorted(rows.contracts, key=lambda c: c["id"])
    ]
    return record


def rows_of(service: Service) -> ServiceRows:
    """The rows an ORM service holds."""

    def columns(obj, names):
        return {k: getattr(obj, k) for k in names}

    return ServiceRows(
        {"id": service.id, **columns(service, SCALARS)},
        [columns(t, ("kind", "value")) for t in service.terms],
        [columns(a, ("area_code", "capacity_share")) for a in service.areas],
        [columns(x, (*SITE_COLUMNS, "reference_key")) for x in service.sites],
        [columns(c, CONTRACT_FIELDS) for c in service.contracts],
    )


def service_snapshot(service: Service) -> dict:
    """The service as a JSON-ready dict (dates and money as strings)."""
    return snapshot_of(rows_of(service))


def record_rows(record: dict, stored_sites: Sequence[dict] = ()) -> ServiceRows:
    """A normalised record (from validation or a snapshot) as the rows to store, given the
    sites the service already has (:func:`site_rows`)."""
    service = {"id": record["id"], **{k: record.get(k) for k in SCALARS}}
    service["is_demo"] = bool(record.get("is_demo"))
    return ServiceRows(
        service,
        [
            {"kind": kind, "value": value}
            for name, kind in TERM_FIELDS.items()
            for value in sorted(set(record.get(name) or []))
        ],
        [
            {"area_code": a["area_code"], "capacity_share": a.get("capacity_share")}
            for a in record.get("areas") or []
        ],
        site_rows(record.get("sites") or [], stored_sites),
        [
            {
                "id": c["id"],
                "funding_status": c["funding_status"],
                "commissioner": c.get("commissioner"),
                "reference": c.get("reference"),
                "annual_value_gbp": Decimal(str(c["annual_value_gbp"]))
                if c.get("annual_value_gbp") is not None
                else None,
                "start_date": _date(c.get("start_date")),
                "end_date": _date(c.get("end_date")),
            }
            for c in record.get("contracts") or []
        ],
    )


def site_rows(sites: Sequence[dict], stored: Sequence[dict]) -> list[dict]:
    """Sites as rows, matched to the service's stored sites by id or by reference key.

    A confidential site's id is random (a UUID4), never derived from the provider's
    reference, so an export's ids cannot be matched to references by guessing (issue 15);
    the id derived from the reference is kept, private, as its ``reference_key``, so that
    importing the provider's own file again updates the same site. A confidential site that
    comes back masked (as every export writes it) keeps the location details already held."""
    by_id = {x["id"]: x for x in stored}
    by_key = {x["reference_key"]: x for x in stored if x.get("reference_key")}
    rows, used = [], set()
    for site in sites:
        match = by_id.get(site["id"]) or by_key.get(site["id"])
        if match is not None and match["id"] in used:
            match = None
        row = {k: site.get(k) for k in SITE_COLUMNS}
        row["confidential"] = bool(site.get("confidential"))
        row["id"] = match["id"] if match else site["id"]
        row["reference_key"] = match.get("reference_key") if match else None
        if row["confidential"] and row["reference_key"] is None:
            row["reference_key"], row["id"] = row["id"], str(uuid.uuid4())
        masked = all(site.get(k) is None for k in ("postcode", "latitude", "longitude"))
        if match is not None and match["confidential"] and row["confidential"] and masked:
            row.update({k: match[k] for k in ("name", "postcode", "latitude", "longitude")})
        used.add(row["id"])
        rows.append(row)
    return rows


def apply_to_service(service: Service, record: dict) -> None:
    """Write a normalised record (from validation or a snapshot) onto an ORM service."""
    rows = record_rows(record, rows_of(service).sites)
    for key in SCALARS:
        setattr(service, key, rows.service.get(key))
    service.terms = [ServiceTerm(**t) for t in rows.terms]
    service.areas = [ServiceArea(**a) for a in rows.areas]
    service.sites = [Site(**x) for x in rows.sites]
    service.contracts = [Contract(**c) for c in rows.contracts]


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
    for name in TERM_FIELDS:
        raw[name] = list(record.get(name) or [])
    raw["areas"] = [a["area_code"] for a in record["areas"] if a["capacity_share"] is None]
    raw["area_capacity"] = {
        a["area_code"]: a["capacity_share"]
        for a in record["areas"]
        if a["capacity_share"] is not None
    }
    raw["sites"] = [{**x, "area": x["area_code"]} for x in record["sites"]]
    raw["contracts"] = [dict(c) for c in record["contracts"]]
    return raw
