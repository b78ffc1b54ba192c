"""The database: engine from settings, schema by Alembic migration, sessions.

SQLite (a file in the user data folder) is the embedded default; PostgreSQL when
``DATABASE_URL`` says so. The same migrations run on both.
"""

from __future__ import annotations

import re
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from planner.errors import PlannerError

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


class DatabaseError(PlannerError):
    """The database cannot be reached or is not at the expected schema."""


def without_password(text: str) -> str:
    """``text`` with the password of any database URL in it replaced by ***."""
    return re.sub(r"(\w[\w+.-]*://[^:/@\s]*:)[^@\s]*@", r"\1***@", str(text))


def make_engine(url: str) -> Engine:
    """An engine for ``url`` (``Settings.database_url``); a SQLite file's folder is created.
    No message ever shows the URL's password."""
    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
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
        engine = create_engine(url, future=True, pool_pre_ping=True)
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


def _alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest migration (creates it on a new database)."""
    cfg = _alembic_config()
    try:
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
    except OperationalError as exc:
        raise DatabaseError(
            f"Cannot reach the database at {engine.url.render_as_string(hide_password=True)}: "
            f"{without_password(exc.orig)}. Check DATABASE_URL."
        ) from exc


def schema_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
