"""Backup and restore: every table of the registry in one checksummed file (issue 15).

The Excel and Open Referral UK exports are for people and other systems; they leave out
users, plans, history, soft-deleted records and confidential details. A backup keeps
everything, row for row: a gzip-compressed JSON document holding the schema revision, each
table's columns with their kinds, its rows, and a SHA-256 checksum of all of it. The same file
restores into SQLite or PostgreSQL (so it also moves a registry from one to the other).

A restore is one transaction: into an empty registry, or (``replace``) over a registry whose
rows it first deletes; a damaged file, a checksum that differs or a schema revision that is
not this planner's changes nothing.
"""

from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import json
import zlib
from decimal import Decimal

from sqlalchemy import JSON, Date, DateTime, Engine, Numeric, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from planner.errors import PlannerError
from planner.registry.db import database_failure, schema_revision
from planner.registry.models import Base, utcnow

FORMAT = "planner-registry-backup"
VERSION = 1
MAX_BACKUP_BYTES = 2 * 1024**3
"""A backup unpacks to at most this (a national directory with its history is far smaller)."""


class BackupError(PlannerError):
    """A backup file that cannot be read or restored; nothing was changed."""


def _kind(column) -> str:
    kind = column.type
    if isinstance(kind, DateTime):
        return "datetime"
    if isinstance(kind, Date):
        return "date"
    if isinstance(kind, Numeric) and kind.asdecimal:
        return "decimal"
    if isinstance(kind, JSON):
        return "json"
    return "plain"


def _encode(value, kind: str):
    if value is None:
        return None
    if kind == "datetime":
        aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)  # SQLite: naive UTC
        return aware.astimezone(dt.UTC).isoformat()
    if kind == "date":
        return value.isoformat()
    if kind == "decimal":
        return str(value)
    return value


def _decode(value, kind: str):
    if value is None:
        return None
    if kind == "datetime":
        return dt.datetime.fromisoformat(value)
    if kind == "date":
        return dt.date.fromisoformat(value)
    if kind == "decimal":
        return Decimal(value)
    return value


def _checksum(body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def backup_document(engine: Engine) -> dict:
    """Every table (in the order their references need) as a JSON-ready document."""
    tables = {}
    # one snapshot of every table, even while others write
    level = "REPEATABLE READ" if engine.dialect.name == "postgresql" else "SERIALIZABLE"
    try:
        with engine.connect().execution_options(isolation_level=level) as connection:
            for table in Base.metadata.sorted_tables:
                kinds = {c.name: _kind(c) for c in table.columns}
                order = [c for c in table.primary_key.columns]
                rows = connection.execute(select(table).order_by(*order)).mappings().all()
                tables[table.name] = {
                    "columns": kinds,
                    "rows": [[_encode(row[c], k) for c, k in kinds.items()] for row in rows],
                }
    except SQLAlchemyError as exc:
        raise database_failure(engine, exc) from exc
    body = {"schema_revision": schema_revision(engine), "tables": tables}
    return {
        "format": FORMAT,
        "version": VERSION,
        "created_at": utcnow().isoformat(),
        **body,
        "sha256": _checksum(body),
    }


def backup_bytes(engine: Engine) -> bytes:
    text_ = json.dumps(backup_document(engine), ensure_ascii=False, separators=(",", ":"))
    return gzip.compress(text_.encode(), compresslevel=6, mtime=0)


def read_backup(data: bytes, name: str = "the backup") -> dict:
    """The document in a backup file, checked: format, size and checksum."""
    try:
        unpacker = zlib.decompressobj(wbits=31)
        raw = unpacker.decompress(data, MAX_BACKUP_BYTES + 1)
        if len(raw) > MAX_BACKUP_BYTES or unpacker.unconsumed_tail:
            raise BackupError(f"{name} unpacks to more than {MAX_BACKUP_BYTES:,} bytes.")
        if not unpacker.eof:
            raise BackupError(f"{name} is cut short: it is not a whole backup file.")
        document = json.loads(raw)
    except (zlib.error, OSError, EOFError) as exc:
        raise BackupError(
            f"{name} is not a planner backup (not a gzip file, or damaged: {exc})."
        ) from exc
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise BackupError(f"{name} is damaged: its contents are not a backup document.") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise BackupError(f"{name} is not a planner registry backup.")
    if document.get("version") != VERSION:
        raise BackupError(
            f"{name} is a backup of format version {document.get('version')!r}; this planner "
            f"reads version {VERSION}."
        )
    body = {"schema_revision": document.get("schema_revision"), "tables": document.get("tables")}
    if not isinstance(body["tables"], dict) or _checksum(body) != document.get("sha256"):
        raise BackupError(
            f"{name} is damaged: its checksum does not match its contents. Nothing was restored."
        )
    return document


def restore(engine: Engine, document: dict, *, replace: bool = False) -> dict[str, int]:
    """Write a checked backup document into the registry at ``engine`` in one transaction;
    the rows restored per table."""
    here = schema_revision(engine)
    theirs = document["schema_revision"]
    if theirs != here:
        raise BackupError(
            f"The backup is of registry schema {theirs}; this database is at {here}. Restore "
            f"it with the planner version that made it, into a new database, then run this "
            "version's `planner registry init` there to upgrade it."
        )
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    unknown = sorted(set(document["tables"]) - set(tables))
    if unknown:
        raise BackupError(f"The backup holds tables this planner does not know: {unknown}.")
    counts: dict[str, int] = {}
    try:
        with engine.begin() as connection:
            _check_empty(connection, tables, replace)
            for table in reversed(Base.metadata.sorted_tables):
                connection.execute(table.delete())
            for table in Base.metadata.sorted_tables:
                rows = _rows_of(table, document["tables"].get(table.name))
                if rows:
                    connection.execute(table.insert(), rows)
                counts[table.name] = len(rows)
            if connection.dialect.name == "postgresql":
                _reset_sequences(connection)
    except BackupError:
        raise
    except (SQLAlchemyError, ValueError, TypeError) as exc:
        if isinstance(exc, SQLAlchemyError):
            raise database_failure(engine, exc) from exc
        raise BackupError(
            f"The backup's rows cannot be restored: {exc}. Nothing was changed."
        ) from exc
    return counts


def _check_empty(connection, tables: dict, replace: bool) -> None:
    present = {
        name: connection.execute(select(func.count()).select_from(table)).scalar_one()
        for name, table in tables.items()
    }
    if any(present.values()) and not replace:
        held = ", ".join(f"{n} {c}" for n, c in present.items() if c)
        raise BackupError(
            f"The registry is not empty ({held}): restore into an empty database, or give "
            "--replace to delete what it holds first. Nothing was changed."
        )


def _rows_of(table, saved: dict | None) -> list[dict]:
    """A table's rows from the backup as values for the database."""
    if saved is None:
        return []
    if not isinstance(saved, dict) or not isinstance(saved.get("rows"), list):
        raise BackupError(f"The backup's {table.name} is malformed.")
    columns = list(saved.get("columns", {}).items())
    missing = [c.name for c in table.columns if c.name not in dict(columns)]
    if missing and saved["rows"]:
        raise BackupError(f"The backup's {table.name} has no column {missing[0]}.")
    rows = []
    for n, row in enumerate(saved["rows"], 1):
        if not isinstance(row, list) or len(row) != len(columns):
            raise BackupError(f"The backup's {table.name} row {n} is malformed.")
        rows.append(
            {name: _decode(value, kind) for (name, kind), value in zip(columns, row, strict=True)}
        )
    return rows


def _reset_sequences(connection) -> None:
    """After rows with their own ids, a PostgreSQL serial column must carry on after them."""
    for table in Base.metadata.sorted_tables:
        for column in table.primary_key.columns:
            if column.autoincrement is True or (
                column.autoincrement == "auto" and column.type.python_type is int
            ):
                connection.execute(
                    text(
                        "SELECT setval(pg_get_serial_sequence(:t, :c), "
                        f"COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"
                    ),
                    {"t": table.name, "c": column.name},
                )
