"""Issue 15, faults: a damaged, truncated or read-only database, and a schema upgrade of a
registry that holds data. Each ends in one sentence (no traceback), nothing half-written, and
`planner registry check` says what is wrong."""

import shutil

import pytest

from planner.registry.auth import SYSTEM
from planner.registry.db import DatabaseError, _head_revision, check_database, migrate
from planner.registry.service import Registry
from tests.cli_helpers import run_in_process
from tests.registry_helpers import org, service_raw


def test_upgrading_a_registry_that_holds_data_keeps_it(registry, validation_ctx):
    """Migration 0004 rebuilds tables that others point at (SQLite): it must not trip the
    foreign keys, lose a row or leave a broken reference."""
    org(registry, "org-a")
    saved = registry.create_service(SYSTEM, service_raw())
    registry.add_user(SYSTEM, "carol", "a good long password", "commissioner")
    before = registry.get_service(saved["id"], actor=SYSTEM)
    migrate(registry.engine, "0003", down=True)
    assert "0003" in " ".join(check_database(registry.engine))
    again = Registry.open(validation_ctx, registry.engine.url.render_as_string(False))
    after = again.get_service(saved["id"], actor=SYSTEM)
    # migration 0008 gives the confidential site a new random id; nothing else changes
    assert without_confidential_ids(after) == without_confidential_ids(before)
    assert {x["id"] for x in after["sites"]} != {x["id"] for x in before["sites"]}
    assert list(again.users(actor=SYSTEM)["username"]) == ["carol"]
    assert check_database(again.engine) == []
    again.engine.dispose()


def without_confidential_ids(record: dict) -> dict:
    sites = [{**x, "id": None} if x["confidential"] else x for x in record["sites"]]
    return {**record, "sites": sorted(sites, key=lambda x: str(x["id"]))}


@pytest.fixture
def demo_db(demo_env, tmp_path):
    return demo_env, tmp_path / "xdg" / "planner" / "registry.sqlite"


def test_registry_check_on_a_sound_database(demo_db):
    env, _ = demo_db
    done = run_in_process(env, "registry", "check")
    assert done.returncode == 0 and "is sound (integrity and schema checked)" in done.stdout


@pytest.mark.parametrize("damage", ["truncated", "not a database", "pages overwritten"])
def test_a_damaged_database_is_one_sentence_and_check_finds_it(demo_db, damage):
    env, path = demo_db
    data = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(data[: len(data) // 3])
    elif damage == "not a database":
        path.write_bytes(b"this is not a database file" * 100)
    else:  # the header survives, the b-tree pages after the schema do not
        page = int.from_bytes(data[16:18], "big")
        damaged = bytearray(data)
        for start in range(page * 3, len(data), page * 2):
            damaged[start : start + page] = b"\xa5" * page
        path.write_bytes(bytes(damaged))
    copy = path.read_bytes()
    for command in (("analyse",), ("registry", "init"), ("registry", "check")):
        done = run_in_process(env, *command)
        assert done.returncode == 1, (command, done.stdout, done.stderr)
        assert "Traceback" not in done.stderr
        assert "damaged" in done.stderr or "has problems" in done.stderr, done.stderr
    assert path.read_bytes() == copy  # nothing was written to it


def test_a_read_only_database_is_a_sentence(demo_db, tmp_path):
    env, path = demo_db
    url = f"sqlite:///file:{path}?mode=ro&uri=true"
    done = run_in_process(
        {**env, "DATABASE_URL": url},
        "users",
        "add",
        "dana",
        "--role",
        "viewer",
        "--password-stdin",
        stdin="a good long password\n",
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "read-only" in done.stderr and "nothing was changed" in done.stderr


def test_opening_a_damaged_file_is_refused_before_any_use(demo_db, validation_ctx):
    _, path = demo_db
    broken = path.with_name("broken.sqlite")
    shutil.copy(path, broken)
    data = bytearray(broken.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    data[page * 4 : page * 6] = b"\x00\x01" * page
    broken.write_bytes(bytes(data))
    with pytest.raises(DatabaseError) as caught:
        Registry.open(validation_ctx, f"sqlite:///{broken}")
    assert "damaged" in str(caught.value)


@pytest.mark.parametrize(
    ("message", "retry"),
    [
        ("database is locked", True),
        ("deadlock detected\nDETAIL: Process 12 waits for ShareLock", True),
        ("could not serialize access due to concurrent update", True),
        ("no such table: services", False),
        ("attempt to write a readonly database", False),
    ],
)
def test_a_lost_lock_race_is_a_conflict_to_try_again(message, retry):
    from sqlalchemy.exc import OperationalError

    from planner.registry.base import busy_conflict, contended

    assert contended(OperationalError("UPDATE services", {}, Exception(message))) is retry
    assert "try again" in str(busy_conflict("Service s1"))


# --- an upgrade killed midway ----------------------------------------------------------------

KILL_AT_THIRD_DDL = """
import os, sys
from sqlalchemy import event
from planner.registry.db import make_engine, migrate

engine = make_engine(sys.argv[1])
seen = []

@event.listens_for(engine, "before_cursor_execute")
def die(conn, cursor, statement, *args):
    words = statement.lstrip().upper()
    if words.startswith(("CREATE TABLE", "ALTER TABLE", "DROP TABLE", "INSERT INTO _ALEMBIC")):
        seen.append(words)
        if len(seen) == 3:
            os._exit(9)  # killed mid-upgrade: no clean-up runs

migrate(engine)
"""


def tables_and_revision(engine) -> tuple[set[str], str | None]:
    from sqlalchemy import inspect

    from planner.registry.db import schema_revision

    return set(inspect(engine).get_table_names()), schema_revision(engine)


@pytest.mark.slow  # a new process, killed
def test_an_upgrade_killed_midway_leaves_the_registry_as_it_was(registry, validation_ctx):
    """Migration 0004 rebuilds tables on SQLite (a copy, then a swap) and alters columns on
    PostgreSQL; a process killed between its statements must leave the old schema whole (no
    ``_alembic_tmp_`` copy: on SQLite the DDL used to commit statement by statement), and the
    next start finishes the upgrade with every row."""
    import subprocess
    import sys

    org(registry, "org-a")
    saved = registry.create_service(SYSTEM, service_raw())
    migrate(registry.engine, "0003", down=True)
    tables, revision = tables_and_revision(registry.engine)
    url = registry.engine.url.render_as_string(hide_password=False)
    registry.engine.dispose()
    done = subprocess.run(
        [sys.executable, "-c", KILL_AT_THIRD_DDL, url], capture_output=True, text=True
    )
    assert done.returncode == 9, done.stderr
    assert tables_and_revision(registry.engine) == (tables, revision) == (tables, "0003")
    assert check_database(registry.engine, quick=True) == [
        f"the schema is at revision 0003, not {_head_revision()}: run planner registry init"
    ]
    again = Registry.open(validation_ctx, url)
    assert again.get_service(saved["id"], actor=SYSTEM)["name"] == saved["name"]
    assert not [t for t in tables_and_revision(again.engine)[0] if t.startswith("_alembic")]
    assert check_database(again.engine) == []
    again.engine.dispose()


def _older_planner_left_a_copy(registry, *, keep_table: bool) -> None:
    """What an older planner left when killed mid-upgrade: the copy of ``organisations``
    (committed on its own), and on a worse day the table itself gone."""
    migrate(registry.engine, "0003", down=True)
    with registry.engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE _alembic_tmp_organisations AS SELECT * FROM organisations WHERE 0"
        )
        if not keep_table:
            connection.exec_driver_sql("PRAGMA foreign_keys = OFF")
            connection.exec_driver_sql("ALTER TABLE organisations RENAME TO organisations_gone")


@pytest.mark.parametrize("registry", ["sqlite"], indirect=True)
def test_a_copy_left_by_an_older_interrupted_upgrade_is_cleared(registry, validation_ctx):
    org(registry, "org-a")
    saved = registry.create_service(SYSTEM, service_raw())
    _older_planner_left_a_copy(registry, keep_table=True)
    problems = check_database(registry.engine)
    assert any(
        "interrupted upgrade left the table copy _alembic_tmp_organisations" in p for p in problems
    ), problems
    url = registry.engine.url.render_as_string(hide_password=False)
    again = Registry.open(validation_ctx, url)
    assert again.get_service(saved["id"], actor=SYSTEM)["id"] == saved["id"]
    assert "_alembic_tmp_organisations" not in tables_and_revision(again.engine)[0]
    assert check_database(again.engine) == []


@pytest.mark.parametrize("registry", ["sqlite"], indirect=True)
def test_a_copy_whose_table_is_gone_is_refused(registry, validation_ctx):
    org(registry, "org-a")
    _older_planner_left_a_copy(registry, keep_table=False)
    before = tables_and_revision(registry.engine)
    with pytest.raises(DatabaseError) as caught:
        Registry.open(validation_ctx, registry.engine.url.render_as_string(hide_password=False))
    assert "left the table organisations only as its copy _alembic_tmp_organisations" in str(
        caught.value
    )
    assert "Restore the registry from a backup" in str(caught.value)
    assert tables_and_revision(registry.engine) == before
