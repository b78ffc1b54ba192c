"""Bulk import (Excel template, Open Referral UK): every problem in a file is found before
anything is written, then everything is written in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError

from planner.registry.auth import Actor, PermissionDenied
from planner.registry.base import (
    _SERVICE_LOAD,
    ConflictError,
    ImportResult,
    RegistryBase,
    RowProblem,
    acting,
    busy_conflict,
    contended,
    with_ids,
)
from planner.registry.models import Organisation, Service, utcnow
from planner.registry.records import (
    apply_to_service,
    organisation_snapshot,
    service_snapshot,
)
from planner.registry.validation import (
    ValidationError,
    stable_id,
    validate_organisation,
    validate_service,
)
from planner.schema import ORG_FIELDS

Rows = list[tuple[str, dict]]


class BulkImport(RegistryBase):
    @acting
    def import_records(
        self,
        actor: Actor,
        organisations: Iterable[tuple[str, dict]],
        services: Iterable[tuple[str, dict]],
        *,
        source: str,
    ) -> ImportResult:
        """Create or update many records at once: all or nothing.

        Each item is ``(where, raw)``; ``where`` ("Services row 7") labels its problems. Every
        problem in the file is reported before anything is written.
        """
        if not actor.manages and (actor.role != "provider" or not actor.organisation_id):
            raise PermissionDenied(f"A {actor.role} account cannot import services.")
        problems: list[RowProblem] = []
        organisations, services = list(organisations), list(services)
        services = self._own_organisation(actor, organisations, services)
        org_records = _checked_organisations(actor, organisations, self.context, problems)
        service_records = self._checked_services(actor, services, problems)
        self._check_references(actor, org_records, service_records, problems)
        if problems:
            raise ValidationError(problems, heading=f"{source}: nothing was imported")
        # rows in a fixed order: two imports of the same services never deadlock
        org_records.sort(key=lambda row: row[1]["id"])
        service_records.sort(key=lambda row: row[1]["id"])
        try:
            with self.session() as s, s.begin():
                orgs_created = self._write_organisations(s, actor, org_records, source)
                services_created = self._write_services(s, actor, service_records, source)
        except StaleDataError as exc:
            raise ConflictError(
                f"{source}: someone else changed these services while the file was being "
                "imported. Nothing was imported: import the file again."
            ) from exc
        except (OperationalError, IntegrityError, PoolTimeout) as exc:
            # two imports creating the same new rows at once, or a lock lost to another writer
            if not (contended(exc) or isinstance(exc, IntegrityError | PoolTimeout)):
                raise
            raise busy_conflict(source) from exc
        return ImportResult(
            orgs_created,
            len(org_records) - orgs_created,
            services_created,
            len(service_records) - services_created,
        )

    def _own_organisation(self, actor: Actor, orgs: Rows, services: Rows) -> Rows:
        """Services rows with their organisation filled in: a provider's blank one is its own
        organisation, and an organisation's name (in the file or the registry) is its id, so
        nobody has to type a registry id."""
        by_name: dict[str, str] = {}
        with self.session() as s:
            for org_id, name in s.execute(
                select(Organisation.id, Organisation.name).where(Organisation.deleted_at.is_(None))
            ):
                by_name.setdefault(name.strip().casefold(), org_id)
        for _, raw in orgs:
            if isinstance(raw, Mapping) and raw.get("id") and isinstance(raw.get("name"), str):
                by_name[raw["name"].strip().casefold()] = str(raw["id"])
        ids = {str(raw.get("id")) for _, raw in orgs if isinstance(raw, Mapping)}
        out: Rows = []
        for where, raw in services:
            if isinstance(raw, Mapping):
                given = raw.get("organisation_id")
                if given in (None, "") and actor.role == "provider" and actor.organisation_id:
                    raw = {**raw, "organisation_id": actor.organisation_id}
                elif isinstance(given, str) and given not in ids:
                    named = by_name.get(given.strip().casefold())
                    if named:
                        raw = {**raw, "organisation_id": named}
            out.append((where, raw))
        return out

    def _checked_services(self, actor: Actor, rows: Rows, problems: list[RowProblem]) -> Rows:
        """Each service row validated; duplicates and other organisations' rows refused."""
        records: Rows = []
        seen: dict[str, str] = {}
        for where, raw in rows:
            if not isinstance(raw, Mapping):
                problems.append(RowProblem(where, "(record)", "expected a service record"))
                continue
            if not str(raw.get("id") or "").strip():
                problems.append(RowProblem(where, "id", "is required"))
                continue
            record, found = validate_service(raw, self.context)
            problems += [RowProblem(where, p.field, p.message) for p in found]
            if record["id"] in seen:
                problems.append(RowProblem(where, "id", f"duplicate of {seen[record['id']]}"))
            seen[record["id"]] = where
            if not actor.manages and record["organisation_id"] != actor.organisation_id:
                problems.append(
                    RowProblem(
                        where,
                        "organisation_id",
                        "a provider can import services only for its own organisation",
                    )
                )
            records.append((where, with_ids(record) if not found else record))
        return records

    def _check_references(
        self, actor: Actor, orgs: Rows, services: Rows, problems: list[RowProblem]
    ) -> None:
        """Every service's organisation exists (in the file or the registry), and a provider
        does not overwrite another organisation's service."""
        with self.session() as s:
            known_orgs = {o for (o,) in s.execute(select(Organisation.id))}
            existing = {i: v for i, v in s.execute(select(Service.id, Service.organisation_id))}
            for where, record in services:
                problems += [
                    RowProblem(where, p.field, p.message) for p in self.taken_child_ids(s, record)
                ]
        known_orgs |= {r["id"] for _, r in orgs}
        problems += _shared_child_ids(services)
        for where, record in services:
            org_id = record["organisation_id"]
            if org_id and org_id not in known_orgs:
                problems.append(
                    RowProblem(
                        where, "organisation_id", "no such organisation in the file or the registry"
                    )
                )
            owner = existing.get(record["id"])
            if owner and not actor.manages and owner != actor.organisation_id:
                problems.append(
                    RowProblem(where, "id", "this service belongs to another organisation")
                )

    def _write_organisations(self, s, actor: Actor, rows: Rows, source: str) -> int:
        created = 0
        for _, raw in rows:
            org = s.get(Organisation, raw["id"])
            before = organisation_snapshot(org) if org else None
            if org is None:
                org = Organisation(id=raw["id"], name=raw["name"])
                s.add(org)
                created += 1
            for key in ORG_FIELDS:
                if key in raw and raw[key] is not None and key != "is_demo":
                    setattr(org, key, raw[key])
            org.is_demo = self.demo_mark(actor, raw.get("is_demo"), bool(org.is_demo))
            org.updated_at, org.updated_by = utcnow(), actor.username
            s.flush()
            after = organisation_snapshot(org)
            self.audit(s, actor, "organisation", org.id, "import", before, after, note=source)
        return created

    def _write_services(self, s, actor: Actor, rows: Rows, source: str) -> int:
        created = 0
        for _, record in rows:
            service = s.scalars(
                select(Service).where(Service.id == record["id"]).options(*_SERVICE_LOAD)
            ).one_or_none()
            before = service_snapshot(service) if service else None
            if service is None:
                service = Service(id=record["id"])
                s.add(service)
                created += 1
            else:
                service.deleted_at = None
            record["status"] = self._status_for(actor, record["status"], default="approved")
            record["is_demo"] = self.demo_mark(actor, record["is_demo"], bool(service.is_demo))
            apply_to_service(service, record)
            service.updated_at, service.updated_by = utcnow(), actor.username
            s.flush()
            after = service_snapshot(service)
            self.audit(s, actor, "service", service.id, "import", before, after, note=source)
        return created


def _shared_child_ids(services: Rows) -> list[RowProblem]:
    """Site and contract ids that two services of the same file both use."""
    problems, first = [], {}
    for where, record in services:
        for key in ("sites", "contracts"):
            for i, child in enumerate(record.get(key) or [], 1):
                seen = first.setdefault((key, child.get("id")), where)
                if child.get("id") and seen != where:
                    problems.append(RowProblem(where, f"{key}[{i}].id", f"also used in {seen}"))
    return problems


def _checked_organisations(actor: Actor, rows: Rows, ctx, problems: list[RowProblem]) -> Rows:
    """Each organisation row with its registry id; missing ids and names, duplicates and
    other organisations (for a provider) refused."""
    records: Rows = []
    seen: dict[str, str] = {}
    for where, raw in rows:
        if not isinstance(raw, Mapping):
            problems.append(RowProblem(where, "(record)", "expected an organisation record"))
            continue
        if not str(raw.get("id") or "").strip():
            problems.append(RowProblem(where, "id", "is required"))
            continue
        cleaned, found = validate_organisation(raw, ctx)
        problems += [RowProblem(where, p.field, p.message) for p in found]
        org_id = stable_id("organisation", raw["id"])
        if org_id in seen:
            problems.append(RowProblem(where, "id", f"duplicate of {seen[org_id]}"))
        seen[org_id] = where
        if not actor.manages and org_id != actor.organisation_id:
            problems.append(
                RowProblem(where, "id", "a provider can import only its own organisation")
            )
        given = {k: v for k, v in cleaned.items() if k in raw}
        records.append((where, {**raw, **given, "id": org_id}))
    return records
