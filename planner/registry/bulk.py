"""Bulk import (Excel template, Open Referral UK): every problem in a file is found before
anything is written, then everything is written in one transaction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm.exc import StaleDataError

from planner.registry.auth import Actor, PermissionDenied
from planner.registry.base import (
    ConflictError,
    ImportResult,
    RegistryBase,
    RowProblem,
    acting,
    busy_conflict,
    chunks,
    contended,
    taken_child_ids,
    with_ids,
)
from planner.registry.models import AuditEvent, Organisation, Service, utcnow
from planner.registry.records import (
    CHILD_TABLES,
    ServiceRows,
    collector_paused,
    record_rows,
    snapshot_of,
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
        with collector_paused():
            return self._import(actor, organisations, services, source)

    def _import(self, actor: Actor, organisations, services, source: str) -> ImportResult:
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
            taken = taken_child_ids(s, [record for _, record in services])
        for where, record in services:
            problems += [RowProblem(where, p.field, p.message) for p in taken.get(record["id"], [])]
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
        """Every organisation of the file in a few statements (a national directory has
        thousands): new ones inserted, the others updated where their version is the one
        read, each with its audit event."""
        table = Organisation.__table__
        stored = {
            row["id"]: dict(row)
            for chunk in chunks([r["id"] for _, r in rows])
            for row in s.execute(select(table).where(table.c.id.in_(chunk))).mappings()
        }
        now, new, changed, events = utcnow(), [], [], []
        for _, raw in rows:
            old = stored.get(raw["id"])
            row = dict(old) if old else {**dict.fromkeys(table.c.keys()), "version": 0}
            row["id"] = raw["id"]
            for key in ORG_FIELDS:
                if key in raw and raw[key] is not None and key != "is_demo":
                    row[key] = raw[key]
            current = bool(old and old["is_demo"])
            row["is_demo"] = self.demo_mark(actor, raw.get("is_demo"), current)
            row.update(updated_at=now, updated_by=actor.username, version=row["version"] + 1)
            (changed if old else new).append(row)
            before = _org_snapshot(old) if old else None
            events.append(_event(actor, "organisation", row["id"], before, _org_snapshot(row)))
        insert_rows(s, table, new)
        _update_versioned(s, table, [(r, stored[r["id"]]["version"]) for r in changed])
        _insert_events(s, events, now, source)
        return len(new)

    def _write_services(self, s, actor: Actor, rows: Rows, source: str) -> int:
        """Every service of the file in a few statements per table: children of the services
        already stored deleted and written again, services inserted or updated where their
        version is the one read (else someone changed them meanwhile: StaleDataError)."""
        records = [record for _, record in rows]
        stored = load_rows(s, [r["id"] for r in records])
        now, new, changed, events = utcnow(), [], [], []
        children: dict[str, list[dict]] = {name: [] for name in CHILD_TABLES}
        for record in records:
            old = stored.get(record["id"])
            record["status"] = self._status_for(actor, record["status"], default="approved")
            current = bool(old and old.service["is_demo"])
            record["is_demo"] = self.demo_mark(actor, record["is_demo"], current)
            new_rows = record_rows(record, old.sites if old else ())
            service = {
                **new_rows.service,
                "updated_at": now,
                "updated_by": actor.username,
                "deleted_at": None,
                "version": old.service["version"] + 1 if old else 1,
            }
            (changed if old else new).append(service)
            for name in CHILD_TABLES:
                children[name] += [
                    {**c, "service_id": record["id"]} for c in getattr(new_rows, name)
                ]
            before = snapshot_of(old) if old else None
            events.append(_event(actor, "service", record["id"], before, snapshot_of(new_rows)))
        for chunk in chunks([r["id"] for r in changed]):
            for model in CHILD_TABLES.values():
                s.execute(delete(model.__table__).where(model.__table__.c.service_id.in_(chunk)))
        table = Service.__table__
        insert_rows(s, table, new)
        _update_versioned(s, table, [(r, stored[r["id"]].service["version"]) for r in changed])
        for name, model in CHILD_TABLES.items():
            insert_rows(s, model.__table__, children[name])
        _insert_events(s, events, now, source)
        return len(new)


def load_rows(s, ids: list[str]) -> dict[str, ServiceRows]:
    """The stored rows of the services with these ids (deleted ones too), by id; on
    PostgreSQL locked until the import ends (in the ids' order, so two imports never
    deadlock), so a save made meanwhile waits and then finds its version out of date."""
    out: dict[str, ServiceRows] = {}
    table = Service.__table__
    for chunk in chunks(ids):
        query = select(table).where(table.c.id.in_(chunk)).order_by(table.c.id).with_for_update()
        for row in s.execute(query).mappings():
            out[row["id"]] = ServiceRows(dict(row))
        for name, model in CHILD_TABLES.items():
            child = model.__table__
            for row in s.execute(select(child).where(child.c.service_id.in_(chunk))).mappings():
                # a service created by another import since the read above is not updated
                # here: inserting it again fails, and the import is refused ("try again")
                if row["service_id"] in out:
                    getattr(out[row["service_id"]], name).append(dict(row))
    return out


def _update_versioned(s, table, rows: list[tuple[dict, int]]) -> None:
    """Update each row where its version is still the one read; any other means another
    writer got there first, and the whole import is rolled back."""
    if not rows:
        return
    columns = [c for c in rows[0][0] if c != "id"]
    statement = (
        update(table)
        .where(table.c.id == bindparam("_id"), table.c.version == bindparam("_read"))
        .values({c: bindparam(c) for c in columns})
    )
    params = [{**{c: r[c] for c in columns}, "_id": r["id"], "_read": v} for r, v in rows]
    if s.execute(statement, params).rowcount != len(params):
        raise StaleDataError(f"{table.name}: changed by someone else during the import")


def _org_snapshot(row: dict) -> dict:
    return {"id": row["id"], **{k: row.get(k) for k in ORG_FIELDS}}


def _event(actor: Actor, entity: str, entity_id: str, before, after) -> dict:
    return {
        "actor": actor.username,
        "entity": entity,
        "entity_id": entity_id,
        "action": "import",
        "before": before,
        "after": after,
    }


def _insert_events(s, events: list[dict], at, note: str) -> None:
    insert_rows(s, AuditEvent.__table__, [{**e, "at": at, "note": note} for e in events])


def insert_rows(s, table, rows: list[dict]) -> None:
    """Insert rows (all with the same keys): on PostgreSQL with COPY (an executemany is one
    statement per row there: two thirds of a national import's time), elsewhere with the
    driver's executemany."""
    if not rows:
        return
    connection = s.connection()
    dialect = connection.dialect
    if dialect.name != "postgresql":
        s.execute(insert(table), rows)
        return
    columns = list(rows[0])
    processors = [table.c[c].type.dialect_impl(dialect).bind_processor(dialect) for c in columns]
    names = ", ".join(dialect.identifier_preparer.quote(c) for c in columns)
    statement = f"COPY {table.name} ({names}) FROM STDIN"
    cursor = connection.connection.driver_connection.cursor()
    try:
        with cursor, cursor.copy(statement) as copy:
            for row in rows:
                values = zip(processors, row.values(), strict=True)
                copy.write_row([f(v) if f else v for f, v in values])
    except dialect.loaded_dbapi.Error as exc:  # as SQLAlchemy would raise it (IntegrityError…)
        raise DBAPIError.instance(statement, None, exc, dialect.loaded_dbapi.Error) from exc


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
