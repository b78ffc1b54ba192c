"""What every part of the registry shares: the connection, the audit trail, role checks,
version checks and the errors and results its operations return."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, selectinload

from planner.errors import PlannerError
from planner.registry.auth import OPERATOR_PREFIX, PUBLIC, SYSTEM, Actor, PermissionDenied
from planner.registry.db import (
    DatabaseError,
    check_database,
    make_engine,
    migrate,
    session_factory,
)
from planner.registry.models import AuditEvent, Contract, Service, Site, User, utcnow
from planner.registry.validation import (
    FieldProblem,
    ValidationContext,
    ValidationError,
    validate_service,
)


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


class RegistryBase:
    """The connection and the helpers every registry operation uses."""

    def __init__(self, engine: Engine, context: ValidationContext) -> None:
        self.engine = engine
        self.context = context
        self._sessions = session_factory(engine)

    @classmethod
    def open(cls, context: ValidationContext, url: str):
        """Connect to ``url`` (``Settings.database_url``) and migrate the schema to the
        newest."""
        engine = make_engine(url)
        migrate(engine)
        if engine.dialect.name == "sqlite" and (problems := check_database(engine, quick=True)):
            raise DatabaseError(
                f"The registry database at {url} is damaged: {'; '.join(problems[:5])}. "
                "Restore it from a backup, or move the file away and run `planner registry init`."
            )
        return cls(engine, context)

    def session(self) -> Session:
        return self._sessions()

    # --- helpers the operations share ---------------------------------------------------------

    def verified(self, actor: Actor) -> Actor:
        """The actor with its stored account's role and organisation, not the caller's: an
        actor whose account is gone or deactivated may do nothing. The process operator
        (``system``, ``cli:<login>``) acts as given."""
        if actor.username == SYSTEM.username or actor.username.startswith(OPERATOR_PREFIX):
            return actor
        with self.session() as s:
            user = s.scalars(select(User).where(User.username == actor.username)).first()
        if user is None or not user.active:
            raise PermissionDenied(
                f"{actor.username} has no active account in the planner: sign in again, or ask "
                "an administrator."
            )
        return Actor(user.username, user.role, user.organisation_id)

    def _reader(self, actor: Actor) -> Actor:
        """Who reads: the public as itself, anyone else as their stored account."""
        return PUBLIC if actor == PUBLIC else self.verified(actor)

    @staticmethod
    def audit(
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
    def require_manager(actor: Actor, action: str) -> None:
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
        return with_ids(record)

    @staticmethod
    def taken_child_ids(s: Session, record: dict) -> list[FieldProblem]:
        """Site and contract ids of ``record`` that already belong to another service."""
        return taken_child_ids(s, [record]).get(record["id"], [])

    @staticmethod
    def demo_mark(actor: Actor, requested: bool, current: bool = False) -> bool:
        """Only a commissioner or administrator marks records as demonstration data (every
        export then says the registry is fictional); anyone else keeps what is stored."""
        return bool(requested) if actor.manages else current

    @staticmethod
    def _status_for(actor: Actor, requested: str | None, *, default: str) -> str:
        if actor.manages:
            return requested or default
        return "draft" if requested == "draft" else "submitted"


def acting(method):
    """A registry operation whose first argument is the actor: it acts with the actor's
    stored role and organisation (:meth:`RegistryBase.verified`)."""

    @functools.wraps(method)
    def wrapper(self, actor: Actor, *args, **kwargs):
        return method(self, self.verified(actor), *args, **kwargs)

    return wrapper


BUSY_WORDS = ("database is locked", "deadlock detected", "could not serialize", "lock timeout")


def contended(exc: Exception) -> bool:
    """A write that lost a race for a lock (SQLite busy, a PostgreSQL deadlock or
    serialisation failure): the database rolled it back and it can simply be tried again."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    return any(word in text for word in BUSY_WORDS)


def busy_conflict(what: str) -> ConflictError:
    return ConflictError(
        f"{what} could not be saved because others were saving at the same moment. Nothing "
        "was saved: try again."
    )


def check_version(record, expected: int | None, what: str) -> None:
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


CHUNK = 500
"""Ids per ``IN (...)`` list: well inside every database's limit on bound values."""


def chunks(ids: list[str], size: int = CHUNK) -> Iterator[list[str]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def taken_child_ids(s: Session, records: Sequence[dict]) -> dict[str, list[FieldProblem]]:
    """For each record (by id) its site and contract ids that already belong to another
    service: one query per 500 ids, whatever the number of records."""
    problems: dict[str, list[FieldProblem]] = {}
    for key, model in (("sites", Site), ("contracts", Contract)):
        owners: dict[str, list[tuple[str, int]]] = {}
        for record in records:
            for i, child in enumerate(record.get(key) or [], 1):
                if child.get("id"):
                    owners.setdefault(child["id"], []).append((record["id"], i))
        for chunk in chunks(list(owners)):
            for taken, service_id in s.execute(
                select(model.id, model.service_id).where(model.id.in_(chunk))
            ):
                for owner, i in owners[taken]:
                    if owner != service_id:
                        problems.setdefault(owner, []).append(
                            FieldProblem(f"{key}[{i}].id", "is already used by another service")
                        )
    return problems


def with_ids(record: dict) -> dict:
    record = dict(record)
    record["id"] = record["id"] or str(uuid.uuid4())
    record["sites"] = [{**x, "id": x["id"] or str(uuid.uuid4())} for x in record["sites"]]
    record["contracts"] = [{**x, "id": x["id"] or str(uuid.uuid4())} for x in record["contracts"]]
    return record
