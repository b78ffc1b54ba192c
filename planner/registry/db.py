"""The database: engine from settings, schema by Alembic migration, sessions.

SQLite (a file in the user data folder) is the embedded default; PostgreSQL when
``DATABASE_URL`` says so. The same migrations run on both.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.exc import DatabaseError as SADatabaseError
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from planner.errors import PlannerError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class DatabaseError(PlannerError):
    """The database cannot be reached or is not at the expected schema."""


def without_password(text: str) -> str:
    """``text`` with the password of any database URL in it replaced by ***."""
    return re.sub(r"(\w[\w+.-]*://[^:/@\s]*:)[^@\s]*@", r"\1***@", str(text))


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``Settings.database_url``); a SQLite file's folder is created.
    No message ever shows the URL's password."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:" and "?" not in url:
        folder = Path(url.removeprefix("sqlite:///")).parent
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(
                f"Cannot create the folder {folder} for the registry database: {exc.strerror}. "
                "Set XDG_DATA_HOME or DATABASE_URL to a place you can write to."
            ) from exc
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    try:
        # pre-ping: a connection kept in the pool across a server restart is replaced, not used
        engine = create_engine(url, future=True, pool_pre_ping=True, **_pool_options(url))
    except (SQLAlchemyError, ValueError, ImportError) as exc:
        raise DatabaseError(without_password(f"DATABASE_URL {url!r} is not usable: {exc}")) from exc
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA busy_timeout = 5000")
            cursor.close()

    return engine


POOL_SIZE, POOL_OVERFLOW, POOL_TIMEOUT_S = 10, 40, 30


def _pool_options(url: str) -> dict:
    """Keep 10 connections and open up to 40 more under load (each app session or CLI thread
    holds at most one at a time), waiting up to 30 s for one; an in-memory SQLite database
    keeps SQLAlchemy's own single-connection pool."""
    if url.startswith("sqlite") and ":memory:" in url:
        return {}
    return {"pool_size": POOL_SIZE, "max_overflow": POOL_OVERFLOW, "pool_timeout": POOL_TIMEOUT_S}


def _alembic_config() -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(engine: Engine, revision: str = "head", *, down: bool = False) -> None:
    """Bring the schema to ``revision`` (default the newest; creates it on a new database).

    On SQLite a migration that changes a column rebuilds the table, which foreign keys
    would refuse while other tables point at it: they are switched off for the migration
    (outside its transaction, where SQLite honours the switch), every reference is checked
    before the migration commits, and they are switched on again."""
    sqlite = engine.dialect.name == "sqlite"
    try:
        # already at the newest: no need to load Alembic (a third of a second at start-up)
        if revision == "head" and not down and schema_revision(engine) == _head_revision():
            return
        from alembic import command

        cfg = _alembic_config()
        with engine.connect() as connection:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
                connection.commit()
                # Python's sqlite3 opens a transaction only before INSERT/UPDATE/DELETE, so a
                # table rebuild's CREATE TABLE _alembic_tmp_... was committed on its own and a
                # migration killed midway left it behind: every statement of the migration
                # now runs inside one explicit transaction, all or nothing
                connection.connection.driver_connection.isolation_level = None
            try:
                with connection.begin():
                    if sqlite:
                        connection.exec_driver_sql("BEGIN IMMEDIATE")
                        _drop_leftover_copies(connection)
                    cfg.attributes["connection"] = connection
                    (command.downgrade if down else command.upgrade)(cfg, revision)
                    if sqlite:
                        broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                        if broken:
                            raise DatabaseError(
                                f"The migration would leave {len(broken)} broken reference(s) "
                                f"(first: {tuple(broken[0])}); nothing was changed."
                            )
            finally:
                if sqlite:
                    connection.connection.driver_connection.isolation_level = ""
                    connection.exec_driver_sql("PRAGMA foreign_keys = ON")
                    connection.commit()
    except (OperationalError, SADatabaseError) as exc:
        raise database_failure(engine, exc) from exc


LOST_WORDS = (
    "terminating connection",
    "server closed the connection",
    "connection is closed",
    "consuming input failed",
    "connection reset",
    "connection is lost",
)
"""What psycopg and PostgreSQL say when the server went away in the middle of a command."""

LEFTOVER = "_alembic_tmp_"


def _sqlite_tables(connection) -> set[str]:
    return {
        n
        for (n,) in connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'table'"
        )
    }


def _drop_leftover_copies(connection) -> None:
    """Drop the half-made table copies (``_alembic_tmp_<table>``) that a SQLite migration
    killed midway by an older planner left behind (its table is intact: the copy replaces it
    only in the step after). A copy whose table is gone is refused: restore from a backup."""
    names = _sqlite_tables(connection)
    for name in sorted(n for n in names if n.startswith(LEFTOVER)):
        table = name.removeprefix(LEFTOVER)
        if table not in names:
            raise DatabaseError(
                f"An interrupted upgrade left the table {table} only as its copy {name}: "
                "nothing was changed. Restore the registry from a backup "
                "(`planner registry restore`)."
            )
        connection.exec_driver_sql(f'DROP TABLE "{name}"')


def database_failure(engine: Engine | None, exc: Exception) -> DatabaseError:
    """One sentence for a database that cannot be used: what happened and what to do."""
    where = engine.url.render_as_string(hide_password=True) if engine else "(DATABASE_URL)"
    cause = without_password(getattr(exc, "orig", None) or exc).splitlines()[0][:300]
    text = cause.lower()
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return DatabaseError(
            f"The registry database at {where} is damaged ({cause}). Nothing was changed. "
            "Restore it from a backup, or move the file away and run `planner registry init`."
        )
    if "readonly" in text or "read-only" in text:
        return DatabaseError(
            f"The registry database at {where} is read-only ({cause}): nothing was changed. "
            "Give the planner write access to the file and its folder."
        )
    if any(w in text for w in LOST_WORDS):
        return DatabaseError(
            f"The connection to the database at {where} was lost mid-command ({cause}): the "
            "server stopped or restarted, and what was being saved was rolled back. Check that "
            "the server is running, then do it again."
        )
    if any(w in text for w in ("connection failed", "could not connect", "refused", "timeout")):
        return DatabaseError(
            f"Cannot reach the database at {where} ({cause}). Check DATABASE_URL and that the "
            "server is running."
        )
    if "disk" in text and "full" in text:
        return DatabaseError(
            f"The disk holding {where} is full: nothing was changed. Free some space and try again."
        )
    return DatabaseError(
        f"The registry database at {where} failed ({cause}). Nothing was changed; check "
        "DATABASE_URL and that the server is running, then run `planner registry check`."
    )


def check_database(engine: Engine, *, quick: bool = False) -> list[str]:
    """What is wrong with the database (empty when nothing): SQLite's own integrity check
    (``quick_check`` when ``quick``), and on every database the schema at the newest
    revision."""
    problems: list[str] = []
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                pragma = "quick_check" if quick else "integrity_check"
                rows = [r[0] for r in connection.exec_driver_sql(f"PRAGMA {pragma}")]
                problems += [r for r in rows if r != "ok"]
                problems += [
                    f"an interrupted upgrade left the table copy {name}: run planner "
                    "registry init to finish the upgrade (the copy is removed)"
                    for name in sorted(_sqlite_tables(connection))
                    if name.startswith(LEFTOVER)
                ]
            else:
                connection.exec_driver_sql("SELECT 1")
        revision = schema_revision(engine)
    except (OperationalError, SADatabaseError) as exc:
        return [str(database_failure(engine, exc))]
    head = _head_revision()
    if revision != head:
        problems.append(
            f"the schema is at revision {revision}, not {head}: run planner registry init"
        )
    return problems


@functools.cache
def _head_revision() -> str:
    """The newest migration: the revision no other migration names as its ``down_revision``,
    read from the files without loading Alembic (``tests/test_registry_storage.py`` checks it
    against Alembic's own answer)."""
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        found = re.search(r'^revision = "([^"]+)"', text, re.MULTILINE)
        parent = re.search(r'^down_revision = "([^"]+)"', text, re.MULTILINE)
        if found:
            revisions.add(found.group(1))
        if parent:
            parents.add(parent.group(1))
    (head,) = revisions - parents
    return head


def schema_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for a database with no schema yet)."""
    if not inspect(engine).has_table("alembic_version"):
        return None
    with engine.connect() as connection:
        row = connection.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    return row[0] if row else None


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
