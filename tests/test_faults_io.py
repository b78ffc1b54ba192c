"""Issue 15, faults of the machine: the disk filling during an import or while a file is
written, and the PostgreSQL server stopping mid-session or in the middle of an import. Each
ends in one sentence (no traceback) and nothing half-written."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, event

from planner.registry.auth import SYSTEM
from planner.registry.db import DatabaseError
from planner.registry.service import Registry
from tests.cli_helpers import clean_env, run_in_process
from tests.registry_helpers import org, service_raw

pytestmark = pytest.mark.slow  # new processes and PostgreSQL servers of their own


def sqlite_state(path: Path) -> str:
    """A digest of every row of every table: equal digests, an unchanged registry."""
    digest = hashlib.sha256()
    with sqlite3.connect(path) as connection:
        names = [
            n
            for (n,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        for name in names:
            for row in connection.execute(f'SELECT * FROM "{name}" ORDER BY 1'):
                digest.update(repr((name, row)).encode())
    return digest.hexdigest()


@pytest.fixture
def demo_db(demo_env, tmp_path):
    return demo_env, tmp_path / "xdg" / "planner" / "registry.sqlite"


def test_the_disk_filling_during_an_import_changes_nothing(demo_db, tmp_path):
    """SQLite's own "database or disk is full" (its page limit set just above the file's
    size, as a full disk would stop it), met while a whole registry is imported again."""
    env, path = demo_db
    oruk = tmp_path / "registry.json"
    done = run_in_process(env, "registry", "export", "--format", "oruk", "--out", str(oruk))
    assert done.returncode == 0, done.stderr
    with sqlite3.connect(path) as connection:
        pages = connection.execute("PRAGMA page_count").fetchone()[0]
    before = sqlite_state(path)

    def full_disk(dbapi_connection, _record) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages + 3}")

    event.listen(Engine, "connect", full_disk)
    try:
        done = run_in_process(env, "registry", "import", str(oruk))
    finally:
        event.remove(Engine, "connect", full_disk)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "is full: nothing was changed. Free some space and try again." in done.stderr
    assert sqlite_state(path) == before
    again = run_in_process(env, "registry", "import", str(oruk))  # with room, it goes in
    assert again.returncode == 0, again.stderr


FILE_LIMIT = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails, as on a full disk
resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))
from planner.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize(
    "command",
    [
        ("registry", "export", "--out"),
        ("registry", "template", "--out"),
        ("registry", "backup", "--out"),
    ],
)
def test_a_file_that_cannot_be_written_whole_is_not_left_half_written(demo_db, tmp_path, command):
    env, _ = demo_db
    out = tmp_path / "out" / "file.xlsx"
    out.parent.mkdir()
    out.write_bytes(b"the previous version")
    done = subprocess.run(
        [sys.executable, "-c", FILE_LIMIT, *command, str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("planner: cannot") and "File too large" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert out.read_bytes() == b"the previous version"  # the old file stays whole
    assert [p.name for p in out.parent.iterdir()] == ["file.xlsx"]  # no .partial left


# --- the PostgreSQL server stopping ----------------------------------------------------------


@pytest.fixture
def own_server():
    """A PostgreSQL server of this test's own, which it may stop and start."""
    from tests.pgserver import create_database, postgres_bin, postgres_server

    if postgres_bin() is None:
        pytest.skip("PostgreSQL is not installed (make test installs it)")
    with postgres_server() as server:
        yield server, create_database(server.url, "registry")


def wait_for(condition, what: str, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


@pytest.mark.postgres
def test_the_server_stopping_mid_session_is_a_sentence(own_server, validation_ctx):
    server, url = own_server
    registry = Registry.open(validation_ctx, url)
    org(registry, "org-a")
    saved = registry.create_service(SYSTEM, service_raw())
    server.stop("immediate")
    for call in (
        lambda: registry.get_service(saved["id"], actor=SYSTEM),
        lambda: registry.create_service(SYSTEM, service_raw(ref="svc-2")),
    ):
        with pytest.raises(DatabaseError) as caught:
            try:
                call()
            except Exception as exc:  # what the app and the CLI turn into one sentence
                from planner.registry.db import database_failure

                raise database_failure(None, exc) from exc
        assert "Cannot reach the database" in str(caught.value) or "lost mid-command" in str(
            caught.value
        )
    server.start()  # the kept pool recovers by itself (pre-ping), with nothing half-written
    assert [r["id"] for r in registry.services(statuses=None, actor=SYSTEM)] == [saved["id"]]
    registry.engine.dispose()


@pytest.mark.postgres
def test_the_server_stopping_during_a_cli_import_changes_nothing(
    own_server, demo_env, tmp_path, validation_ctx
):
    """The import is held at its last step (its audit rows wait for a lock this test holds)
    with its organisations and services already written in its transaction; the server then
    stops. The command ends in one sentence and, the server back, nothing of it is there."""
    import psycopg

    server, url = own_server
    oruk = tmp_path / "registry.json"
    done = run_in_process(demo_env, "registry", "export", "--format", "oruk", "--out", str(oruk))
    assert done.returncode == 0, done.stderr
    env = clean_env(XDG_DATA_HOME=str(tmp_path / "elsewhere"), DATABASE_URL=url)
    assert run_in_process(env, "registry", "init", "--no-demo").returncode == 0
    dsn = url.replace("postgresql+psycopg", "postgresql")
    holder = psycopg.connect(dsn)
    holder.execute("LOCK TABLE audit_events IN EXCLUSIVE MODE")
    importing = subprocess.Popen(
        [str(Path(sys.executable).parent / "planner"), "registry", "import", str(oruk)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    with psycopg.connect(dsn, autocommit=True) as watcher:
        wait_for(
            lambda: watcher.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            ).fetchone()[0],
            "the import to reach its audit rows",
        )
    server.stop("fast")
    _, stderr = importing.communicate(timeout=120)
    holder.close()
    assert importing.returncode == 1 and "Traceback" not in stderr, stderr
    assert "was lost mid-command" in stderr and "rolled back" in stderr, stderr
    server.start()
    registry = Registry.open(validation_ctx, url)
    assert registry.services(statuses=None, actor=SYSTEM) == []
    assert registry.organisations().empty
    registry.engine.dispose()
