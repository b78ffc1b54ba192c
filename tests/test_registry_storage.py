"""The storage seam on SQLite and on a real PostgreSQL server."""

import hashlib
import threading

import pytest
from sqlalchemy import inspect

from planner.registry.auth import PUBLIC, SYSTEM, Actor, AuthError, PermissionDenied
from planner.registry.db import schema_revision
from planner.registry.service import ConflictError, NotFoundError
from planner.registry.validation import ValidationError
from tests.registry_helpers import org, provider, service_raw, stored


def test_migrations_create_every_table_at_head(registry):
    tables = set(inspect(registry.engine).get_table_names())
    assert {
        "organisations",
        "services",
        "service_areas",
        "service_terms",
        "sites",
        "contracts",
        "users",
        "audit_events",
        "alembic_version",
    } <= tables
    assert schema_revision(registry.engine) == "0008"
    # the head read from the migration files is Alembic's own
    from alembic.script import ScriptDirectory

    from planner.registry.db import _alembic_config, _head_revision

    assert _head_revision() == ScriptDirectory.from_config(_alembic_config()).get_current_head()


def test_migrations_match_the_models(registry):
    """Alembic sees no difference between the migrated schema and the models."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from planner.registry.models import Base

    with registry.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_create_read_and_tables(registry):
    org_id = org(registry, "org-a")
    created = registry.create_service(SYSTEM, service_raw())
    assert created["status"] == "approved" and created["version"] == 1
    assert created["organisation_id"] == org_id
    assert [a["area_code"] for a in created["areas"]] == ["E09000008", "E09000029"]
    tables = registry.tables()
    assert list(tables.services["name"]) == ["Service svc-1"]
    assert set(tables.terms[tables.terms["kind"] == "stage"]["value"]) == {
        "immediate",
        "investigation",
    }
    sites = tables.sites.set_index("confidential")
    assert sites.loc[False, "latitude"] == pytest.approx(51.3727)
    # a confidential site leaves the registry only as its area
    assert sites.loc[True, "area_code"] == "E09000008"
    assert sites.loc[True, ["postcode", "latitude", "longitude"]].isna().all()
    assert sites.loc[True, "name"] == "Confidential site"
    assert float(tables.contracts["annual_value_gbp"].iloc[0]) == 120000


def test_provider_edits_only_its_own_organisation(registry):
    a, b = org(registry, "org-a"), org(registry, "org-b")
    mine = registry.create_service(provider(registry, a), service_raw("org-a", "mine"))
    assert mine["status"] == "submitted"  # waits for a commissioner
    theirs = registry.create_service(SYSTEM, service_raw("org-b", "theirs"))
    with pytest.raises(PermissionDenied, match="only for its own organisation"):
        registry.update_service(
            provider(registry, a),
            theirs["id"],
            service_raw("org-b", "theirs", name="Hijacked"),
            expected_version=theirs["version"],
        )
    with pytest.raises(PermissionDenied, match="only for its own organisation"):
        registry.create_service(provider(registry, a), service_raw("org-b", "sneaky"))
    with pytest.raises(PermissionDenied, match="only for its own organisation"):
        registry.update_service(
            provider(registry, a),
            mine["id"],
            service_raw("org-b", "mine"),
            expected_version=mine["version"],
        )
    with pytest.raises(PermissionDenied):
        registry.delete_service(provider(registry, a), theirs["id"], expected_version=1)
    with pytest.raises(PermissionDenied, match="commissioner"):
        registry.approve_service(provider(registry, a), mine["id"])
    with pytest.raises(PermissionDenied):
        registry.create_service(PUBLIC, service_raw("org-a", "viewer"))
    assert registry.get_service(theirs["id"], actor=SYSTEM)["name"] == "Service theirs"
    assert b


def test_only_approved_services_count_in_analysis(registry):
    a = org(registry, "org-a")
    submitted = registry.create_service(provider(registry, a), service_raw())
    assert registry.tables().services.empty
    registry.approve_service(SYSTEM, submitted["id"])
    assert list(registry.tables().services["service_id"]) == [submitted["id"]]
    # a provider's later edit goes back for approval
    current = registry.get_service(submitted["id"], actor=SYSTEM)
    registry.update_service(
        provider(registry, a),
        submitted["id"],
        service_raw(capacity_per_year=10),
        expected_version=current["version"],
    )
    assert registry.tables().services.empty


def test_stale_edit_is_refused_and_nothing_is_lost(registry):
    org(registry, "org-a")
    first = registry.create_service(SYSTEM, service_raw())
    v = first["version"]
    registry.update_service(
        SYSTEM, first["id"], service_raw(capacity_per_year=400), expected_version=v
    )
    with pytest.raises(
        ConflictError,
        match=r"The service .Service svc-1. was changed by system .* \(version 1, now 2\)",
    ):
        registry.update_service(
            stored(registry, Actor("bob", "commissioner")),
            first["id"],
            service_raw(capacity_per_year=999),
            expected_version=v,
        )
    assert registry.get_service(first["id"], actor=SYSTEM)["capacity_per_year"] == 400


def test_two_concurrent_edits_second_is_refused(registry):
    """Two sessions read version 1 and save at the same moment: exactly one wins."""
    org(registry, "org-a")
    first = registry.create_service(SYSTEM, service_raw())
    barrier = threading.Barrier(2)
    outcomes = []

    def edit(capacity):
        barrier.wait()
        try:
            registry.update_service(
                SYSTEM,
                first["id"],
                service_raw(capacity_per_year=capacity),
                expected_version=first["version"],
            )
            outcomes.append(("ok", capacity))
        except ConflictError:
            outcomes.append(("conflict", capacity))
        except Exception as exc:  # SQLite may report the lock; that is a refusal too
            outcomes.append(("refused", type(exc).__name__))

    threads = [threading.Thread(target=edit, args=(c,)) for c in (111, 222)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [c for kind, c in outcomes if kind == "ok"]
    assert len(winners) == 1, outcomes
    final = registry.get_service(first["id"], actor=SYSTEM)
    assert final["capacity_per_year"] == winners[0]
    assert final["version"] == 2


def test_history_soft_delete_and_restore(registry):
    org(registry, "org-a")
    created = registry.create_service(SYSTEM, service_raw())
    registry.update_service(SYSTEM, created["id"], service_raw(name="Renamed"), expected_version=1)
    registry.delete_service(SYSTEM, created["id"], expected_version=2)
    with pytest.raises(NotFoundError):
        registry.get_service(created["id"], actor=SYSTEM)
    assert registry.tables().services.empty
    history = registry.history(created["id"], actor=SYSTEM)
    assert [h["action"] for h in history] == ["create", "update", "delete"]
    assert history[1]["before"]["name"] == "Service svc-1"
    assert history[1]["after"]["name"] == "Renamed"
    assert all(h["actor"] == "system" and h["at"] for h in history)
    restored = registry.restore_service(SYSTEM, created["id"], history[0]["id"])
    assert restored["name"] == "Service svc-1"
    secret = next(x for x in restored["sites"] if x["confidential"])
    assert secret["postcode"] == "CR0 1AA"  # stored details survive
    assert registry.history(created["id"], actor=SYSTEM)[-1]["action"] == "restore"


def test_validation_reports_every_problem_at_once(registry):
    org(registry, "org-a")
    bad = service_raw(
        name="",
        service_type="IDVAA",
        capacity_per_year=-1,
        areas=["Croyden"],
        without_police_report="maybe",
        sites=[{"latitude": 48.8566, "longitude": 2.3522}],
        contracts=[
            {
                "funding_status": "grant_funded",
                "start_date": "2026-01-01",
                "end_date": "2025-12-31",
                "annual_value_gbp": "-5",
            }
        ],
    )
    with pytest.raises(ValidationError) as err:
        registry.create_service(SYSTEM, bad)
    text = str(err.value)
    for expected in (
        "name: is required",
        "service_type: 'IDVAA' is not accepted; accepted: idva, isva",
        "capacity_per_year: expected a number of 0 or more, found -1",
        "areas: Unknown borough 'Croyden' in London. Closest known names: Croydon",
        "without_police_report: expected yes or no, found 'maybe'",
        "sites[1].latitude: the point (48.85660, 2.35220) is outside London",
        "contracts[1].end_date: the contract ends (2025-12-31) on or before it starts",
        "contracts[1].annual_value_gbp: expected a number of 0 or more, found '-5'",
    ):
        assert expected in text
    assert "8 problem(s)" in text
    assert registry.tables().services.empty


def test_a_draft_may_be_incomplete_but_cannot_be_approved(registry):
    org(registry, "org-a")
    draft = registry.create_service(
        SYSTEM, {"id": "d1", "organisation_id": "org-a", "name": "Half done", "status": "draft"}
    )
    assert draft["status"] == "draft"
    with pytest.raises(
        ValidationError,
        match=r"not complete enough to be approved[\s\S]*"
        r"service_type: is required",
    ):
        registry.approve_service(SYSTEM, draft["id"])


def test_users_passwords_and_roles(registry):
    a = org(registry, "org-a", "Alpha Aid")
    registry.add_user(SYSTEM, "carol", "correct horse battery", "commissioner")
    registry.add_user(SYSTEM, "pat", "another long password", "provider", "Alpha Aid")
    assert registry.authenticate("carol", "correct horse battery").role == "commissioner"
    assert registry.authenticate("pat", "another long password").organisation_id == a
    with pytest.raises(AuthError, match="wrong password"):
        registry.authenticate("carol", "wrong")
    with pytest.raises(ValidationError, match="taken"):
        registry.add_user(SYSTEM, "carol", "yet another password", "viewer")
    with pytest.raises(ValidationError, match="give --org"):
        registry.add_user(SYSTEM, "x", "long enough password", "provider")
    with pytest.raises(AuthError, match="at least 10"):
        registry.add_user(SYSTEM, "y", "short", "viewer")
    with pytest.raises(PermissionDenied):
        registry.add_user(Actor("pat", "provider", a), "z", "long enough password", "admin")
    stored = registry.users(actor=SYSTEM).set_index("username")
    assert set(stored.index) == {"carol", "pat"}
    with registry.session() as s:
        from sqlalchemy import text

        hashes = [h for (h,) in s.execute(text("select password_hash from users"))]
    assert all(h.startswith("scrypt$16384$8$1$") and "correct" not in h for h in hashes)


def test_rejected_import_leaves_the_sqlite_file_byte_for_byte(tmp_path, validation_ctx):
    from planner.registry.service import Registry

    path = tmp_path / "r.sqlite"
    reg = Registry.open(validation_ctx, f"sqlite:///{path}")
    org(reg, "org-a")
    reg.create_service(SYSTEM, service_raw())
    reg.engine.dispose()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    reg = Registry.open(validation_ctx, f"sqlite:///{path}")
    good = ("Services row 2", service_raw(ref="new-1"))
    bad = ("Services row 3", service_raw(ref="new-2", areas=["Atlantis"]))
    with pytest.raises(ValidationError, match=r"Services row 3, areas: Unknown borough"):
        reg.import_records(SYSTEM, [], [good, bad], source="test.xlsx")
    reg.engine.dispose()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
