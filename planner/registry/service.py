"""The registry's one storage seam: every read and change goes through :class:`Registry`.

The app and the CLI call these methods; role checks, validation, audit history, soft deletes
and optimistic version checks all live here, not in the UI.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.exc import StaleDataError

from planner.errors import PlannerError
from planner.registry.auth import (
    ROLES,
    Actor,
    AuthError,
    PermissionDenied,
    hash_password,
    verify_password,
)
from planner.registry.db import make_engine, migrate, session_factory
from planner.registry.models import AuditEvent, Organisation, Service, User, utcnow
from planner.registry.records import (
    ORG_FIELDS,
    apply_to_service,
    organisation_snapshot,
    service_snapshot,
    snapshot_to_raw,
)
from planner.registry.tables import RegistryTables, public_site  # noqa: F401  (re-exported)
from planner.registry.validation import (
    FieldProblem,
    ValidationContext,
    ValidationError,
    stable_id,
    validate_service,
)

log = logging.getLogger(__name__)


class ConflictError(PlannerError):
    """An edit was made to an out-of-date copy; nothing was written."""


class NotFoundError(PlannerError):
    pass


@dataclass(frozen=True)
class RowProblem:
    """A problem in one row of an import: where (sheet and row, or record) and which field."""

    where: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}, {self.field}: {self.message}"


@dataclass(frozen=True)
class ImportResult:
    organisations_created: int
    organisations_updated: int
    services_created: int
    services_updated: int

    def __str__(self) -> str:
        return (
            f"{self.services_created} service(s) created, {self.services_updated} updated; "
            f"{self.organisations_created} organisation(s) created, "
            f"{self.organisations_updated} updated"
        )


_SERVICE_LOAD = (
    selectinload(Service.terms),
    selectinload(Service.areas),
    selectinload(Service.sites),
    selectinload(Service.contracts),
    selectinload(Service.organisation),
)


class Registry:
    """Organisations, services, users and their history in one database."""

    def __init__(self, engine: Engine, context: ValidationContext) -> None:
        self.engine = engine
        self.context = context
        self._sessions = session_factory(engine)

    @classmethod
    def open(cls, context: ValidationContext, url: str | None = None) -> Registry:
        """Connect (DATABASE_URL, else the SQLite file) and migrate the schema to the newest."""
        engine = make_engine(url)
        migrate(engine)
        return cls(engine, context)

    def session(self) -> Session:
        return self._sessions()

    # --- helpers ------------------------------------------------------------------------------

    @staticmethod
    def _audit(
        s: Session,
        actor: Actor,
        entity: str,
        entity_id: str,
        action: str,
        before: dict | None,
        after: dict | None,
        note: str | None = None,
    ) -> None:
        s.add(
            AuditEvent(
                actor=actor.username,
                entity=entity,
                entity_id=entity_id,
                action=action,
                before=before,
                after=after,
                note=note,
                at=utcnow(),
            )
        )

    @staticmethod
    def _service(s: Session, service_id: str, *, include_deleted: bool = False) -> Service:
        service = s.scalars(
            select(Service).where(Service.id == service_id).options(*_SERVICE_LOAD)
        ).one_or_none()
        if service is None or (service.deleted_at is not None and not include_deleted):
            raise NotFoundError(f"No service with id {service_id}.")
        return service

    @staticmethod
    def _require_manager(actor: Actor, action: str) -> None:
        if not actor.manages:
            raise PermissionDenied(f"Only a commissioner or administrator can {action}.")

    @staticmethod
    def _require_org(actor: Actor, organisation_id: str | None, action: str) -> None:
        if actor.manages:
            return
        if actor.role != "provider" or actor.organisation_id is None:
            raise PermissionDenied(f"A {actor.role} account cannot {action}.")
        if organisation_id != actor.organisation_id:
            raise PermissionDenied(
                f"A provider account can {action} only for its own organisation's services."
            )

    def _validated(self, raw: dict) -> dict:
        record, problems = validate_service(raw, self.context)
        if problems:
            raise ValidationError(problems)
        return _with_ids(record)

    @staticmethod
    def _status_for(actor: Actor, requested: str | None, *, default: str) -> str:
        if actor.manages:
            return requested or default
        return "draft" if requested == "draft" else "submitted"

    # --- organisations ------------------------------------------------------------------------

    def save_organisation(
        self, actor: Actor, raw: dict, *, expected_version: int | None = None
    ) -> dict:
        name = str(raw.get("name") or "").strip()
        if not name:
            raise ValidationError([FieldProblem("name", "is required")])
        org_id = stable_id("organisation", raw["id"]) if raw.get("id") else str(uuid.uuid4())
        with self.session() as s, s.begin():
            org = s.get(Organisation, org_id)
            if org is None:
                self._require_manager(actor, "register a new organisation")
                org = Organisation(id=org_id, name=name)
                before = None
                s.add(org)
            else:
                self._require_org(actor, org_id, "edit organisation details")
                _check_version(org, expected_version, f"The organisation '{org.name}'")
                before = organisation_snapshot(org)
            for key in ORG_FIELDS:
                if key in raw:
                    setattr(org, key, raw[key] if key != "name" else name)
            org.updated_at, org.updated_by = utcnow(), actor.username
            s.flush()
            after = organisation_snapshot(org)
            self._audit(
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
            service = Service(id=record["id"])
            apply_to_service(service, record)
            service.updated_at, service.updated_by = utcnow(), actor.username
            s.add(service)
            s.flush()
            after = service_snapshot(service)
            self._audit(s, actor, "service", service.id, "create", None, after)
        return self.get_service(record["id"])

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
                _check_version(service, expected_version, f"The service '{service.name}'")
                before = service_snapshot(service)
                record["status"] = self._status_for(
                    actor, raw.get("status") and record["status"], default=service.status
                )
                apply_to_service(service, record)
                service.updated_at, service.updated_by = utcnow(), actor.username
                s.flush()
                self._audit(
                    s, actor, "service", service_id, "update", before, service_snapshot(service)
                )
        except StaleDataError as exc:
            raise ConflictError(
                f"Service {service_id} was changed by someone else while you were editing it. "
                "Nothing was saved: reload it and make your change again."
            ) from exc
        return self.get_service(service_id)

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
        self._require_manager(actor, f"set a service to {status}")
        if status not in ("draft", "submitted", "approved", "archived"):
            raise ValidationError([FieldProblem("status", f"{status!r} is not a status")])
        with self.session() as s, s.begin():
            service = self._service(s, service_id)
            _check_version(service, expected_version, f"The service '{service.name}'")
            before = service_snapshot(service)
            if status in ("submitted", "approved"):
                _, problems = validate_service(snapshot_to_raw(before), self.context, draft=False)
                if problems:
                    raise ValidationError(
                        problems, heading=f"{service.name} is not complete enough to be {status}"
                    )
            service.status = status
            service.updated_at, service.updated_by = utcnow(), actor.username
            s.flush()
            self._audit(
                s,
                actor,
                "service",
                service_id,
                "approve" if status == "approved" else "status",
                before,
                service_snapshot(service),
                note,
            )
        return self.get_service(service_id)

    def approve_service(self, actor: Actor, service_id: str, **kwargs) -> dict:
        return self.set_status(actor, service_id, "approved", **kwargs)

    def delete_service(self, actor: Actor, service_id: str, *, expected_version: int) -> None:
        """Soft delete: the service leaves every view and analysis but stays restorable."""
        with self.session() as s, s.begin():
            service = self._service(s, service_id)
            self._require_org(actor, service.organisation_id, "delete services")
            _check_version(service, expected_version, f"The service '{service.name}'")
            before = service_snapshot(service)
            service.deleted_at = utcnow()
            service.updated_at, service.updated_by = utcnow(), actor.username
            self._audit(s, actor, "service", service_id, "delete", before, None)

    def restore_service(self, actor: Actor, service_id: str, event_id: int) -> dict:
        """Bring back the service as it was after (or, for a delete, before) an audit event."""
        self._require_manager(actor, "restore earlier versions")
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
            self._audit(
                s,
                actor,
                "service",
                service_id,
                "restore",
                before,
                service_snapshot(service),
                note=f"restored from history entry {event_id}",
            )
        return self.get_service(service_id)

    def get_service(self, service_id: str) -> dict:
        with self.session() as s:
            service = self._service(s, service_id)
            return {
                **service_snapshot(service),
                "organisation_name": service.organisation.name,
                "version": service.version,
                "updated_at": service.updated_at,
                "updated_by": service.updated_by,
            }

    def services(
        self, *, statuses: Sequence[str] | None = None, organisation_id: str | None = None
    ) -> list[dict]:
        """Canonical records of the services (not deleted), newest schema, sorted by name."""
        with self.session() as s:
            query = select(Service).where(Service.deleted_at.is_(None)).options(*_SERVICE_LOAD)
            if statuses:
                query = query.where(Service.status.in_(list(statuses)))
            if organisation_id:
                query = query.where(Service.organisation_id == organisation_id)
            rows = s.scalars(query).all()
            out = [
                {
                    **service_snapshot(x),
                    "organisation_name": x.organisation.name,
                    "version": x.version,
                    "updated_at": x.updated_at,
                    "updated_by": x.updated_by,
                }
                for x in rows
            ]
        return sorted(out, key=lambda r: (r["name"].casefold(), r["id"]))

    def history(self, entity_id: str) -> list[dict]:
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

    def stamp(self) -> int:
        """A number that changes whenever anything in the registry changes (the newest audit
        entry): caches of the analysis are keyed by it."""
        from sqlalchemy import func

        with self.session() as s:
            return int(s.scalar(select(func.max(AuditEvent.id))) or 0)

    def audit_log(self, *, limit: int = 200) -> pd.DataFrame:
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
        return RegistryTables.from_records(self.services(statuses=statuses))

    # --- bulk import --------------------------------------------------------------------------

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
        orgs, svcs = list(organisations), list(services)
        problems: list[RowProblem] = []
        org_records: list[tuple[str, dict]] = []
        seen: dict[str, str] = {}
        for where, raw in orgs:
            if not str(raw.get("id") or "").strip():
                problems.append(RowProblem(where, "id", "is required"))
                continue
            if not str(raw.get("name") or "").strip():
                problems.append(RowProblem(where, "name", "is required"))
            org_id = stable_id("organisation", raw["id"])
            if org_id in seen:
                problems.append(RowProblem(where, "id", f"duplicate of {seen[org_id]}"))
            seen[org_id] = where
            if not actor.manages and org_id != actor.organisation_id:
                problems.append(
                    RowProblem(where, "id", "a provider can import only its own organisation")
                )
            org_records.append((where, {**raw, "id": org_id}))
        service_records: list[tuple[str, dict]] = []
        seen_services: dict[str, str] = {}
        for where, raw in svcs:
            if not str(raw.get("id") or "").strip():
                problems.append(RowProblem(where, "id", "is required"))
                continue
            record, found = validate_service(raw, self.context)
            problems += [RowProblem(where, p.field, p.message) for p in found]
            if record["id"] in seen_services:
                problems.append(
                    RowProblem(where, "id", f"duplicate of {seen_services[record['id']]}")
                )
            seen_services[record["id"]] = where
            if not actor.manages and record["organisation_id"] != actor.organisation_id:
                problems.append(
                    RowProblem(
                        where,
                        "organisation_id",
                        "a provider can import services only for its own organisation",
                    )
                )
            service_records.append((where, _with_ids(record) if not found else record))
        with self.session() as s:
            known_orgs = {o for (o,) in s.execute(select(Organisation.id))}
            existing = {i: v for i, v in s.execute(select(Service.id, Service.organisation_id))}
        file_orgs = {r["id"] for _, r in org_records}
        for where, record in service_records:
            org_id = record["organisation_id"]
            if org_id and org_id not in known_orgs | file_orgs:
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
        if problems:
            raise ValidationError(problems, heading=f"{source}: nothing was imported")
        counts = {"oc": 0, "ou": 0, "sc": 0, "su": 0}
        with self.session() as s, s.begin():
            for _, raw in org_records:
                org = s.get(Organisation, raw["id"])
                before = organisation_snapshot(org) if org else None
                if org is None:
                    org = Organisation(id=raw["id"], name=raw["name"])
                    s.add(org)
                    counts["oc"] += 1
                else:
                    counts["ou"] += 1
                for key in ORG_FIELDS:
                    if key in raw and raw[key] is not None:
                        setattr(org, key, raw[key])
                org.updated_at, org.updated_by = utcnow(), actor.username
                s.flush()
                self._audit(
                    s,
                    actor,
                    "organisation",
                    org.id,
                    "import",
                    before,
                    organisation_snapshot(org),
                    note=source,
                )
            for _, record in service_records:
                service = s.scalars(
                    select(Service).where(Service.id == record["id"]).options(*_SERVICE_LOAD)
                ).one_or_none()
                before = service_snapshot(service) if service else None
                if service is None:
                    service = Service(id=record["id"])
                    s.add(service)
                    counts["sc"] += 1
                else:
                    counts["su"] += 1
                    service.deleted_at = None
                record["status"] = self._status_for(actor, record["status"], default="approved")
                apply_to_service(service, record)
                service.updated_at, service.updated_by = utcnow(), actor.username
                s.flush()
                self._audit(
                    s,
                    actor,
                    "service",
                    service.id,
                    "import",
                    before,
                    service_snapshot(service),
                    note=source,
                )
        return ImportResult(counts["oc"], counts["ou"], counts["sc"], counts["su"])

    # --- users --------------------------------------------------------------------------------

    def add_user(
        self,
        actor: Actor,
        username: str,
        password: str,
        role: str,
        organisation_id: str | None = None,
    ) -> Actor:
        self._require_manager(actor, "add users")
        username = username.strip()
        if not username:
            raise ValidationError([FieldProblem("username", "is required")])
        if role not in ROLES:
            raise ValidationError([FieldProblem("role", f"{role!r}; accepted: {', '.join(ROLES)}")])
        if role == "provider" and not organisation_id:
            raise ValidationError(
                [FieldProblem("organisation", "a provider belongs to one organisation: give --org")]
            )
        if role != "provider":
            organisation_id = None
        with self.session() as s:
            if organisation_id:
                org = (
                    s.get(Organisation, organisation_id)
                    or s.scalars(
                        select(Organisation).where(Organisation.name == organisation_id)
                    ).first()
                )
                if org is None:
                    raise ValidationError(
                        [FieldProblem("organisation", f"no organisation {organisation_id!r}")]
                    )
                organisation_id = org.id
        hashed = hash_password(password)
        try:
            with self.session() as s, s.begin():
                s.add(
                    User(
                        username=username,
                        password_hash=hashed,
                        role=role,
                        organisation_id=organisation_id,
                    )
                )
                self._audit(
                    s,
                    actor,
                    "user",
                    username,
                    "create",
                    None,
                    {"username": username, "role": role, "organisation_id": organisation_id},
                )
        except IntegrityError as exc:
            raise ValidationError([FieldProblem("username", f"{username!r} is taken")]) from exc
        return Actor(username, role, organisation_id)

    def authenticate(self, username: str, password: str) -> Actor:
        with self.session() as s:
            user = s.scalars(select(User).where(User.username == username.strip())).first()
        if user is None or not user.active or not verify_password(password, user.password_hash):
            raise AuthError("Unknown user name or wrong password.")
        return Actor(user.username, user.role, user.organisation_id)

    def actor_for(self, username: str) -> Actor:
        """The account of a user signed in elsewhere (single sign-on): it must exist here,
        where its role and organisation are kept."""
        with self.session() as s:
            user = s.scalars(select(User).where(User.username == username.strip())).first()
        if user is None or not user.active:
            raise AuthError(
                f"{username} has no account in the planner: ask an administrator "
                "to add one with this e-mail as the user name."
            )
        return Actor(user.username, user.role, user.organisation_id)

    def users(self) -> pd.DataFrame:
        with self.session() as s:
            rows = s.scalars(select(User).order_by(User.username)).all()
            return pd.DataFrame(
                [
                    {
                        "username": u.username,
                        "role": u.role,
                        "organisation_id": u.organisation_id,
                        "active": u.active,
                    }
                    for u in rows
                ],
                columns=["username", "role", "organisation_id", "active"],
            )


def _check_version(record, expected: int | None, what: str) -> None:
    """Refuse an edit made to an out-of-date copy of ``record`` (anything with ``version``,
    ``updated_by`` and ``updated_at``): nothing is written."""
    if expected is not None and record.version != expected:
        at = record.updated_at
        when = at.strftime("%d %b %Y %H:%M") if at else "recently"
        raise ConflictError(
            f"{what} was changed by {record.updated_by or 'someone else'} at {when} UTC since "
            f"you opened it (version {expected}, now {record.version}). Nothing was saved: "
            "reload it and make your change again."
        )


def _with_ids(record: dict) -> dict:
    record = dict(record)
    record["id"] = record["id"] or str(uuid.uuid4())
    record["sites"] = [{**x, "id": x["id"] or str(uuid.uuid4())} for x in record["sites"]]
    record["contracts"] = [{**x, "id": x["id"] or str(uuid.uuid4())} for x in record["contracts"]]
    return record
