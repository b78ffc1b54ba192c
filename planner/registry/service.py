"""The registry's one storage seam: every read and change goes through :class:`Registry`.

The app and the CLI call these methods; role checks, validation, audit history, soft deletes
and optimistic version checks all live here, not in the UI. The operations are grouped by job:
organisations and services here, bulk import in ``bulk.py``, user accounts in ``users.py``,
what they share in ``base.py``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

import pandas as pd
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError

from planner.coverage.inputs import RegistryTables
from planner.registry.auth import PUBLIC, SYSTEM, Actor, PermissionDenied
from planner.registry.base import (  # noqa: F401  (re-exported)
    _SERVICE_LOAD,
    ConflictError,
    ImportResult,
    NotFoundError,
    RowProblem,
    acting,
    busy_conflict,
    check_version,
    contended,
)
from planner.registry.bulk import BulkImport
from planner.registry.models import AuditEvent, Organisation, Service, utcnow
from planner.registry.onboarding import Onboarding, likely_duplicates
from planner.registry.records import (
    apply_to_service,
    organisation_snapshot,
    service_snapshot,
    snapshot_to_raw,
)
from planner.registry.users import UserAccounts
from planner.registry.validation import (
    FieldProblem,
    ValidationError,
    stable_id,
    validate_organisation,
    validate_service,
)
from planner.schema import ORG_FIELDS

log = logging.getLogger(__name__)


NOT_ANALYSED = ("plan", "user", "request")
"""Audit entities no analysis reads (every other entity, present or future, counts)."""


class Registry(BulkImport, UserAccounts, Onboarding):
    """Organisations, services, users and their history in one database."""

    # --- organisations ------------------------------------------------------------------------

    @acting
    def save_organisation(
        self, actor: Actor, raw: dict, *, expected_version: int | None = None
    ) -> dict:
        cleaned, problems = validate_organisation(raw, self.context)
        if problems:
            raise ValidationError(problems, heading="The organisation is not valid")
        name = cleaned["name"]
        org_id = stable_id("organisation", raw["id"]) if raw.get("id") else str(uuid.uuid4())
        with self.session() as s, s.begin():
            org = s.get(Organisation, org_id)
            if org is None:
                self.require_manager(actor, "register a new organisation")
                org = Organisation(id=org_id, name=name)
                before = None
                s.add(org)
            else:
                self._require_org(actor, org_id, "edit organisation details")
                check_version(org, expected_version, f"The organisation '{org.name}'")
                before = organisation_snapshot(org)
            for key in ORG_FIELDS:
                if key in raw and key != "is_demo":
                    setattr(org, key, cleaned.get(key, raw[key]))
            org.is_demo = self.demo_mark(actor, raw.get("is_demo"), bool(org.is_demo))
            org.updated_at, org.updated_by = utcnow(), actor.username
            s.flush()
            after = organisation_snapshot(org)
            self.audit(
                s,
                actor,
                "organisation",
                org_id,
                "create" if before is None else "update",
                before,
                after,
            )
        return after

    def organisations(self) -> pd.DataFrame:
        with self.session() as s:
            rows = s.scalars(select(Organisation).where(Organisation.deleted_at.is_(None))).all()
            return pd.DataFrame(
                [{**organisation_snapshot(o), "version": o.version} for o in rows],
                columns=["id", *ORG_FIELDS, "version"],
            ).sort_values("name", ignore_index=True)

    # --- services -----------------------------------------------------------------------------

    @acting
    def create_service(self, actor: Actor, raw: dict) -> dict:
        """Register a new service. A provider's goes to `submitted` for approval."""
        record = self._validated(raw)
        self._require_org(actor, record["organisation_id"], "register services")
        record["status"] = self._status_for(
            actor, raw.get("status") and record["status"], default="approved"
        )
        with self.session() as s, s.begin():
            if s.get(Organisation, record["organisation_id"]) is None:
                raise ValidationError(
                    [FieldProblem("organisation_id", "no such organisation; register it first")]
                )
            if s.get(Service, record["id"]) is not None:
                raise ValidationError(
                    [FieldProblem("id", f"a service with id {record['id']} already exists")]
                )
            if taken := self.taken_child_ids(s, record):
                raise ValidationError(taken)
            service = Service(id=record["id"])
            record["is_demo"] = self.demo_mark(actor, record["is_demo"])
            apply_to_service(service, record)
            service.updated_at, service.updated_by = utcnow(), actor.username
            s.add(service)
            s.flush()
            after = service_snapshot(service)
            self.audit(s, actor, "service", service.id, "create", None, after)
        return self.get_service(record["id"], actor=SYSTEM)

    @acting
    def update_service(
        self, actor: Actor, service_id: str, raw: dict, *, expected_version: int
    ) -> dict:
        """Change a service. Refused when someone else changed it since ``expected_version``."""
        record = self._validated({**raw, "id": service_id})
        try:
            with self.session() as s, s.begin():
                service = self._service(s, service_id)
                self._require_org(actor, service.organisation_id, "edit services")
                self._require_org(actor, record["organisation_id"], "move services")
                check_version(service, expected_version, f"The service '{service.name}'")
                if taken := self.taken_child_ids(s, record):
                    raise ValidationError(taken)
                before = service_snapshot(service)
                record["status"] = self._status_for(
                    actor, raw.get("status") and record["status"], default=service.status
                )
                record["is_demo"] = self.demo_mark(actor, record["is_demo"], service.is_demo)
                apply_to_service(service, record)
                service.updated_at, service.updated_by = utcnow(), actor.username
                s.flush()
                self.audit(
                    s, actor, "service", service_id, "update", before, service_snapshot(service)
                )
        except StaleDataError as exc:
            raise ConflictError(
                f"Service {service_id} was changed by someone else while you were editing it. "
                "Nothing was saved: reload it and make your change again."
            ) from exc
        except (OperationalError, PoolTimeout) as exc:
            if not (contended(exc) or isinstance(exc, PoolTimeout)):
                raise
            raise busy_conflict(f"Service {service_id}") from exc
        return self.get_service(service_id, actor=SYSTEM)

    @acting
    def set_status(
        self,
        actor: Actor,
        service_id: str,
        status: str,
        *,
        expected_version: int | None = None,
        note: str | None = None,
    ) -> dict:
        """Approve (or archive, or send back to draft) a service: commissioners only."""
        self.require_manager(actor, f"set a service to {status}")
        if status not in ("draft", "submitted", "approved", "archived"):
            raise ValidationError([FieldProblem("status", f"{status!r} is not a status")])
        with self.session() as s, s.begin():
            service = self._service(s, service_id)
            check_version(service, expected_version, f"The service '{service.name}'")
            before = service_snapshot(service)
            if status in ("submitted", "approved"):
                _, problems = validate_service(snapshot_to_raw(before), self.context, draft=False)
                if problems:
                    raise ValidationError(
                        problems, heading=f"{service.name} is not complete enough to be {status}"
                    )
            service.status = status
            if status == "approved":
                service.review_note = None
            service.updated_at, service.updated_by = utcnow(), actor.username
            s.flush()
            self.audit(
                s,
                actor,
                "service",
                service_id,
                "approve" if status == "approved" else "status",
                before,
                service_snapshot(service),
                note,
            )
        return self.get_service(service_id, actor=SYSTEM)

    def approve_service(self, actor: Actor, service_id: str, **kwargs) -> dict:
        return self.set_status(actor, service_id, "approved", **kwargs)

    @acting
    def delete_service(self, actor: Actor, service_id: str, *, expected_version: int) -> None:
        """Soft delete: the service leaves every view and analysis but stays restorable."""
        with self.session() as s, s.begin():
            service = self._service(s, service_id)
            self._require_org(actor, service.organisation_id, "delete services")
            if service.status == "approved" and not actor.manages:
                raise PermissionDenied(
                    "An approved service is deleted by a commissioner: ask one to archive or "
                    "delete it, or change it and submit the change for approval."
                )
            check_version(service, expected_version, f"The service '{service.name}'")
            before = service_snapshot(service)
            service.deleted_at = utcnow()
            service.updated_at, service.updated_by = utcnow(), actor.username
            self.audit(s, actor, "service", service_id, "delete", before, None)

    @acting
    def restore_service(self, actor: Actor, service_id: str, event_id: int) -> dict:
        """Bring back the service as it was after (or, for a delete, before) an audit event."""
        self.require_manager(actor, "restore earlier versions")
        with self.session() as s, s.begin():
            event = s.get(AuditEvent, event_id)
            if event is None or event.entity_id != service_id or event.entity != "service":
                raise NotFoundError(f"No history entry {event_id} for service {service_id}.")
            snapshot = event.after if event.after is not None else event.before
            service = self._service(s, service_id, include_deleted=True)
            before = service_snapshot(service) if service.deleted_at is None else None
            apply_to_service(service, snapshot)
            service.deleted_at = None
            service.updated_at, service.updated_by = utcnow(), actor.username
            s.flush()
            self.audit(
                s,
                actor,
                "service",
                service_id,
                "restore",
                before,
                service_snapshot(service),
                note=f"restored from history entry {event_id}",
            )
        return self.get_service(service_id, actor=SYSTEM)

    def get_service(self, service_id: str, *, actor: Actor = PUBLIC) -> dict:
        """One service as ``actor`` may see it (see :meth:`services`); NotFoundError when it
        may not see it at all."""
        reader = self._reader(actor)
        with self.session() as s:
            service = self._service(s, service_id)
            record = _full_record(service)
        shown = _as_seen_by(reader, [record])
        if not shown:
            raise NotFoundError(f"No service with id {service_id}.")
        return shown[0]

    def services(
        self,
        *,
        statuses: Sequence[str] | None = None,
        organisation_id: str | None = None,
        actor: Actor = PUBLIC,
    ) -> list[dict]:
        """The services (not deleted) as ``actor`` may see them, sorted by name.

        The public and viewers see approved services only, with confidential sites as their
        borough and no contracts, notes or editors; a provider sees that of other
        organisations and everything of its own; commissioners, administrators and the
        process operator see everything. Without an actor, a read is the public's."""
        reader = self._reader(actor)
        with self.session() as s:
            query = select(Service).where(Service.deleted_at.is_(None)).options(*_SERVICE_LOAD)
            if statuses:
                query = query.where(Service.status.in_(list(statuses)))
            if organisation_id:
                query = query.where(Service.organisation_id == organisation_id)
            out = [_full_record(x) for x in s.scalars(query).all()]
        out = _as_seen_by(reader, out)
        return sorted(out, key=lambda r: (r["name"].casefold(), r["id"]))

    def duplicates_of(self, record: dict) -> list[dict]:
        """Registered services (approved or waiting) that ``record`` may duplicate."""
        others = self.services(statuses=["approved", "submitted"], actor=SYSTEM)
        numbers = {r["organisation_id"]: r.get("charity_number") for r in others}
        with self.session() as s:
            org = s.get(Organisation, record.get("organisation_id") or "")
            if org is not None:
                numbers[org.id] = org.charity_number
        return likely_duplicates(record, others, numbers)

    def last_approved(self, service_id: str) -> dict | None:
        """The service as it was when last approved (from its history), or None."""
        for event in reversed(self.history(service_id, actor=SYSTEM)):
            after = event["after"]
            if after and after.get("status") == "approved":
                return after
        return None

    def history(self, entity_id: str, *, actor: Actor = PUBLIC) -> list[dict]:
        """An entity's audit entries with their full snapshots: commissioners only."""
        self.require_manager(self._reader(actor), "read the history")
        with self.session() as s:
            events = s.scalars(
                select(AuditEvent).where(AuditEvent.entity_id == entity_id).order_by(AuditEvent.id)
            ).all()
            return [
                {
                    "id": e.id,
                    "at": e.at,
                    "actor": e.actor,
                    "action": e.action,
                    "before": e.before,
                    "after": e.after,
                    "note": e.note,
                }
                for e in events
            ]

    def stamp(self, *, analysis: bool = False) -> int:
        """A number that changes whenever anything in the registry changes (the newest audit
        entry). With ``analysis``, only changes the coverage analysis reads (not plans, whose
        scenarios are keyed by their own version, nor user accounts): the app's caches of
        the analysis are keyed by it, so creating a plan does not recompute today's
        coverage."""
        from sqlalchemy import func

        query = select(func.max(AuditEvent.id))
        if analysis:
            query = query.where(AuditEvent.entity.not_in(NOT_ANALYSED))
        with self.session() as s:
            return int(s.scalar(query) or 0)

    def audit_log(self, *, limit: int = 200, actor: Actor = PUBLIC) -> pd.DataFrame:
        self.require_manager(self._reader(actor), "read the history")
        with self.session() as s:
            events = s.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(limit))
            return pd.DataFrame(
                [
                    {
                        "id": e.id,
                        "at": e.at,
                        "actor": e.actor,
                        "entity": e.entity,
                        "entity_id": e.entity_id,
                        "action": e.action,
                        "note": e.note,
                    }
                    for e in events
                ],
                columns=["id", "at", "actor", "entity", "entity_id", "action", "note"],
            )

    # --- tables for analysis and views ----------------------------------------------------------

    def tables(self, *, statuses: Sequence[str] = ("approved",)) -> RegistryTables:
        """Tidy tables of the services with these statuses (default: approved only).

        Confidential sites carry their area only: no name, postcode or coordinates.
        """
        # the analysis reads every approved service; the tables carry confidential sites
        # only as their area
        return RegistryTables.from_records(self.services(statuses=statuses, actor=SYSTEM))


def _full_record(service: Service) -> dict:
    return {
        **service_snapshot(service),
        "organisation_name": service.organisation.name,
        "charity_number": service.organisation.charity_number,
        "review_note": service.review_note,
        "version": service.version,
        "updated_at": service.updated_at,
        "updated_by": service.updated_by,
    }


def _as_seen_by(reader: Actor, records: list[dict]) -> list[dict]:
    """The records ``reader`` may see, each with only what it may see (the rules in
    :meth:`Registry.services`)."""
    from planner.coverage.inputs import public_site

    if reader.manages:
        return records
    own = reader.organisation_id if reader.role == "provider" else None
    out = []
    for record in records:
        if own is not None and record["organisation_id"] == own:
            out.append(record)
        elif record["status"] == "approved":
            out.append(
                {
                    **record,
                    "sites": [public_site(x) for x in record["sites"]],
                    "contracts": [],
                    "review_note": None,
                    "updated_by": None,
                }
            )
    return out
