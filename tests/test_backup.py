"""Issue 15: `planner registry backup` / `restore` lose nothing. A registry holding every kind
of row (confidential sites, contracts with money and dates, a soft-deleted service, a returned
submission, users active and not, an account request, a plan with lots, sign-in failures, the
audit history) is backed up, restored into an empty database (SQLite or PostgreSQL), and
compared table by table; damaged files and the wrong target change nothing."""

from __future__ import annotations

import gzip
import json
import shutil

import pytest

from planner.registry import plan_store
from planner.registry.auth import SYSTEM, Actor, AuthError
from planner.registry.backup import (
    BackupError,
    _checksum,
    backup_bytes,
    backup_document,
    read_backup,
    restore,
)
from planner.registry.db import schema_revision
from planner.registry.service import Registry
from tests.registry_helpers import org, service_raw, stored

COMMISSIONER = Actor("comm", "commissioner")


def fill(registry) -> None:
    stored(registry, COMMISSIONER)
    org_id = org(registry, "org-a", "Sutton Women's Aid")
    registry.add_user(SYSTEM, "ada", "ada's long password", "provider", org_id)
    org(registry, "org-b")
    registry.create_service(SYSTEM, service_raw())
    gone = registry.create_service(SYSTEM, service_raw(ref="svc-gone", sites=[], contracts=[]))
    registry.delete_service(SYSTEM, gone["id"], expected_version=gone["version"])
    mine = Actor("ada", "provider", org_id)
    sent = registry.create_service(
        mine, service_raw(ref="svc-sent", name="Sutton outreach", sites=[], contracts=[])
    )
    registry.return_service(COMMISSIONER, sent["id"], "Add your hours.")
    registry.add_user(SYSTEM, "old", "old's long password", "viewer")
    registry.set_user_active(SYSTEM, "old", False)
    registry.request_account(
        {
            "organisation_name": "Riverside",
            "contact_name": "Sam",
            "email": "sam@example.org",
            "password": "riverside password",
        }
    )
    plan = plan_store.create_plan(registry, COMMISSIONER, "Winter")
    plan_store.add_lot(
        registry,
        COMMISSIONER,
        plan["id"],
        {
            "name": "Lot 1",
            "needs": ["road_harm"],
            "service_type": "road_crash_casework",
            "areas": ["Croydon"],
            "capacity_per_year": 200,
            "annual_value_gbp": "90000.55",
            "start_date": "2027-04-01",
            "end_date": "2029-03-31",
        },
    )
    with pytest.raises(AuthError):
        registry.authenticate("ada", "wrong password")


def tables_of(registry) -> dict:
    return backup_document(registry.engine)["tables"]


@pytest.fixture
def empty_sqlite(tmp_path, migrated_sqlite, validation_ctx):
    shutil.copy(migrated_sqlite, tmp_path / "target.sqlite")
    reg = Registry.open(validation_ctx, f"sqlite:///{tmp_path / 'target.sqlite'}")
    yield reg
    reg.engine.dispose()


def test_a_round_trip_loses_nothing(registry, empty_sqlite):
    fill(registry)
    data = backup_bytes(registry.engine)
    counts = restore(empty_sqlite.engine, read_backup(data))
    before, after = tables_of(registry), tables_of(empty_sqlite)
    assert set(before) == set(after)
    for name in before:  # table by table, row by row
        assert after[name] == before[name], name
    assert counts["services"] == 3 and counts["audit_events"] == len(before["audit_events"]["rows"])
    assert all(counts[name] for name in before if name != "alembic_version")
    # what the rows mean survives too
    assert empty_sqlite.authenticate("ada", "ada's long password").role == "provider"
    returned = next(
        r for r in empty_sqlite.services(actor=SYSTEM) if r["name"] == "Sutton outreach"
    )
    assert returned["review_note"] == "Add your hours."
    confidential = next(
        s for r in empty_sqlite.services(actor=SYSTEM) for s in r["sites"] if s["confidential"]
    )
    assert confidential["postcode"] == "CR0 1AA"  # kept whole: a backup is not an export


@pytest.mark.postgres
@pytest.mark.slow
def test_sqlite_to_postgresql_and_ids_carry_on(tmp_path, validation_ctx, postgres_database):
    source = Registry.open(validation_ctx, f"sqlite:///{tmp_path / 'source.sqlite'}")
    fill(source)
    target = Registry.open(validation_ctx, postgres_database)
    restore(target.engine, read_backup(backup_bytes(source.engine)))
    assert tables_of(target) == tables_of(source)
    # serial ids carry on after the restored ones (no clash with a restored audit entry)
    target.add_user(SYSTEM, "new", "new user's password", "viewer")
    assert target.history("new", actor=SYSTEM)[-1]["action"] == "create"
    target.engine.dispose()
    source.engine.dispose()


def test_a_registry_that_holds_rows_is_replaced_only_when_asked(registry, empty_sqlite):
    fill(registry)
    document = read_backup(backup_bytes(registry.engine))
    org(empty_sqlite, "other", "Someone else")
    held = tables_of(empty_sqlite)
    with pytest.raises(BackupError, match=r"not empty .*--replace"):
        restore(empty_sqlite.engine, document)
    assert tables_of(empty_sqlite) == held
    restore(empty_sqlite.engine, document, replace=True)
    assert tables_of(empty_sqlite) == tables_of(registry)


def _rewrite(data: bytes, change) -> bytes:
    document = json.loads(gzip.decompress(data))
    change(document)
    return gzip.compress(json.dumps(document).encode())


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: d[:-40], "cut short|not a planner backup"),
        (lambda d: d[:50] + bytes([d[50] ^ 0xFF]) + d[51:], "not a planner backup|damaged"),
        (lambda d: b"PK\x03\x04 not a backup", "not a planner backup"),
        (
            lambda d: _rewrite(d, lambda doc: doc["tables"]["users"]["rows"].pop()),
            "checksum does not match",
        ),
        (lambda d: _rewrite(d, lambda doc: doc.update(format="other")), "not a planner registry"),
        (lambda d: gzip.compress(b"[" * 100_000), "damaged"),
    ],
)
def test_a_damaged_backup_is_refused_and_changes_nothing(registry, empty_sqlite, damage, message):
    fill(registry)
    held = tables_of(empty_sqlite)
    with pytest.raises(BackupError, match=message):
        restore(empty_sqlite.engine, read_backup(damage(backup_bytes(registry.engine))))
    assert tables_of(empty_sqlite) == held


def test_a_backup_of_another_schema_is_refused(registry, empty_sqlite):
    fill(registry)
    document = read_backup(backup_bytes(registry.engine))
    body = {"schema_revision": "0005", "tables": document["tables"]}
    older = {**document, **body, "sha256": _checksum(body)}
    head = schema_revision(empty_sqlite.engine)
    with pytest.raises(BackupError, match=f"schema 0005; this database is at {head}"):
        restore(empty_sqlite.engine, read_backup(gzip.compress(json.dumps(older).encode())))
    assert not any(t["rows"] for t in tables_of(empty_sqlite).values())


def test_the_cli_backs_up_and_restores(tmp_path, demo_env):
    from tests.cli_helpers import clean_env, run_in_process

    out = tmp_path / "backups" / "registry.plannerbackup"
    done = run_in_process(demo_env, "registry", "backup", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "Wrote the whole registry" in done.stdout and out.is_file()
    assert not list(out.parent.glob("*.partial"))
    elsewhere = clean_env(XDG_DATA_HOME=str(tmp_path / "elsewhere"))
    done = run_in_process(elsewhere, "registry", "restore", str(out))
    assert done.returncode == 0, done.stderr
    assert "checksum matches" in done.stdout and "services 154" in done.stdout
    again = run_in_process(elsewhere, "registry", "restore", str(out))
    assert again.returncode == 1 and "--replace" in again.stderr
    assert "Traceback" not in again.stderr
    done = run_in_process(elsewhere, "registry", "restore", str(out), "--replace")
    assert done.returncode == 0, done.stderr
    missing = run_in_process(elsewhere, "registry", "restore", str(tmp_path / "nope"))
    assert missing.returncode == 1 and "no such file" in missing.stderr
