"""Issue 15: values of the wrong kind at the service layer and in Open Referral UK files,
nesting and numbers no parser should be asked to expand, dates with words after them, ids that
belong to another service, and CLI paths and settings that cannot be used. Each case asserts
the message (with the field or path) and that the registry is unchanged."""

import json
import uuid

import pytest

from planner.registry.auth import SYSTEM
from planner.registry.oruk_export import OrukError
from planner.registry.oruk_import import oruk_to_records, read_oruk_json, shape_problems
from planner.registry.validation import ValidationError
from tests.cli_helpers import clean_env, run_in_process
from tests.registry_helpers import org, service_raw


def snapshot(registry) -> tuple:
    return (
        sorted(r["id"] for r in registry.services(statuses=None, actor=SYSTEM)),
        sorted(registry.organisations()["id"]),
    )


WRONG_SHAPES = [
    ({"sites": "Croydon hub"}, "sites", "expected a list of sites, found str"),
    ({"sites": [1, "hub"]}, "sites[1]", "expected a site (a record), found int"),
    ({"contracts": "C-1"}, "contracts", "expected a list of contracts, found str"),
    ({"contracts": [["C-1"]]}, "contracts[1]", "expected a contract (a record), found list"),
    ({"needs": [{"need": "domestic_abuse"}]}, "needs", "expected names or codes"),
    ({"stages": [["immediate"]]}, "stages", "expected names or codes"),
    ({"areas": {"Croydon": 1}}, "areas", "expected names or codes"),
    ({"languages": [["English"]]}, "languages", "expected names or codes"),
    ({"area_capacity": "Croydon=10"}, "area_capacity", "expected area → capacity pairs"),
    ({"name": ["Service"]}, "name", "expected text, found list"),
    ({"service_type": {"idva": True}}, "service_type", "expected text, found dict"),
    ({"organisation_id": ["org-a"]}, "organisation_id", "expected text, found list"),
    ({"status": ["approved"]}, "status", "expected text, found list"),
]


@pytest.mark.parametrize(("change", "field", "message"), WRONG_SHAPES)
def test_wrong_shapes_at_the_service_layer_are_messages(registry, change, field, message):
    org(registry, "org-a")
    before = snapshot(registry)
    with pytest.raises(ValidationError) as caught:
        registry.create_service(SYSTEM, service_raw(**change))
    assert any(p.field == field and message in p.message for p in caught.value.problems), [
        str(p) for p in caught.value.problems
    ]
    assert snapshot(registry) == before


def test_a_record_that_is_not_a_record(registry):
    org(registry, "org-a")
    before = snapshot(registry)
    with pytest.raises(ValidationError) as caught:
        registry.create_service(SYSTEM, ["not", "a", "record"])
    assert "expected a record, found list" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        registry.import_records(
            SYSTEM, [("Organisations row 2", "text")], [("Services row 2", 42)], source="t"
        )
    assert "Services row 2, (record): expected a service record" in str(caught.value)
    assert "Organisations row 2, (record): expected an organisation record" in str(caught.value)
    assert snapshot(registry) == before


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-04-01 or so", "expected a date like 2026-04-01"),
        ("2026-02-30", "is not a date in the calendar"),
        ("01/04/2026", "expected a date like 2026-04-01"),
        ("2026-04-01T09:00:00junk", "expected a date like 2026-04-01"),
    ],
)
def test_dates_are_dates_and_nothing_else(registry, value, message):
    org(registry, "org-a")
    raw = service_raw()
    raw["contracts"][0]["start_date"] = value
    with pytest.raises(ValidationError) as caught:
        registry.create_service(SYSTEM, raw)
    assert any(
        p.field == "contracts[1].start_date" and message in p.message for p in caught.value.problems
    )
    assert snapshot(registry)[0] == []


def test_a_date_with_a_time_from_a_spreadsheet_is_still_a_date(registry):
    org(registry, "org-a")
    raw = service_raw()
    raw["contracts"][0]["start_date"] = "2025-04-01 00:00:00"
    saved = registry.create_service(SYSTEM, raw)
    assert saved["contracts"][0]["start_date"] == "2025-04-01"


def test_a_site_or_contract_id_of_another_service_is_a_message(registry):
    org(registry, "org-a")
    first = registry.create_service(SYSTEM, service_raw(ref="svc-1"))
    site_id, contract_id = first["sites"][0]["id"], first["contracts"][0]["id"]
    before = snapshot(registry)
    raw = service_raw(ref="svc-2")
    raw["sites"][0]["id"] = site_id
    raw["contracts"][0]["id"] = contract_id
    with pytest.raises(ValidationError) as caught:
        registry.create_service(SYSTEM, raw)
    fields = {p.field: p.message for p in caught.value.problems}
    assert fields == {
        "sites[1].id": "is already used by another service",
        "contracts[1].id": "is already used by another service",
    }
    with pytest.raises(ValidationError) as caught:
        registry.import_records(SYSTEM, [], [("Services row 3", raw)], source="file.xlsx")
    assert "Services row 3, sites[1].id: is already used by another service" in str(caught.value)
    assert snapshot(registry) == before


def test_two_services_of_one_file_sharing_a_site_id(registry):
    org(registry, "org-a")
    shared = str(uuid.uuid4())
    a, b = service_raw(ref="a"), service_raw(ref="b")
    a["sites"] = b["sites"] = [{"id": shared, "name": "Hub", "area": "Croydon"}]
    with pytest.raises(ValidationError) as caught:
        registry.import_records(
            SYSTEM, [], [("Services row 2", a), ("Services row 3", b)], source="f"
        )
    assert "Services row 3, sites[1].id: also used in Services row 2" in str(caught.value)
    assert snapshot(registry)[0] == []


# --- Open Referral UK ---------------------------------------------------------------------------

SERVICE = {"id": "s1", "name": "Helpline", "status": "active"}
ORUK_SHAPES = [
    ({"id": "o", "name": "Org", "services": "abc"}, "services: expected a list of objects"),
    ({**SERVICE, "attributes": "x"}, "attributes: expected a list of objects, found text"),
    ({**SERVICE, "attributes": ["x"]}, "attributes: expected a list of objects"),
    ({**SERVICE, "service_areas": "Croydon"}, "service_areas: expected a list of objects"),
    ({**SERVICE, "languages": "English"}, "languages: expected a list of objects"),
    ({**SERVICE, "phones": "020 7946 0000"}, "phones: expected a list of objects"),
    ({**SERVICE, "schedules": {"a": 1}}, "schedules: expected a list of objects"),
    ({**SERVICE, "organization": "Org"}, "organization: expected an object, found text"),
    ({"service": SERVICE, "location": "here"}, "location: expected an object, found text"),
    ({**SERVICE, "x_planner": "x"}, "x_planner: expected an object, found text"),
    ({**SERVICE, "x_planner": {"contracts": "c"}}, "x_planner.contracts: expected a list"),
    ({**SERVICE, "x_planner": {"sites": [1]}}, "x_planner.sites: expected a list of objects"),
    ({**SERVICE, "id": ["s1"]}, "id: expected text, found a list"),
    ({**SERVICE, "name": {"en": "x"}}, "name: expected text, found an object"),
    ([{**SERVICE, "url": ["http://x"]}], "(payload)[0].url: expected text"),
    ({"contents": "x"}, "contents: expected a list of objects"),
    (
        {**SERVICE, "service_at_locations": [{"location": ["x"]}]},
        "service_at_locations[0].location: expected an object",
    ),
    (
        {**SERVICE, "attributes": [{"taxonomy_term": "needs:x"}]},
        "attributes[0].taxonomy_term: expected an object",
    ),
]


@pytest.mark.parametrize(("payload", "message"), ORUK_SHAPES)
def test_oruk_values_of_the_wrong_kind_are_refused_with_their_path(
    payload, message, validation_ctx
):
    assert any(message in p for p in shape_problems(payload)), shape_problems(payload)
    with pytest.raises(OrukError) as caught:
        oruk_to_records(payload, validation_ctx)
    assert "nothing was imported" in str(caught.value) and message in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
        ("[" * 2_000 + "]" * 2_000, "nested"),
        ('{"capacity": ' + "9" * 5000 + "}", "a number too long to read"),
        ('{"a": 1', "not valid JSON"),
    ],
)
def test_json_no_parser_should_expand(text, message):
    """Refused when read, or (if the parser copes) by the shape check: never mapped."""
    try:
        payload = read_oruk_json(text.encode(), "upload.json")
    except OrukError as exc:
        assert message in str(exc)
        return
    problems = shape_problems(payload)
    assert any(message in p for p in problems), problems


def test_deep_nesting_that_parses_is_still_refused(validation_ctx):
    payload = {
        **SERVICE,
        "x_planner": {"contracts": [{"a": [[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]}]},
    }
    with pytest.raises(OrukError) as caught:
        oruk_to_records(payload, validation_ctx)
    assert "nested more deeply than Open Referral UK records are" in str(caught.value)


def test_not_utf8_json():
    with pytest.raises(OrukError) as caught:
        read_oruk_json(b'{"name": "\xff"}', "latin.json")
    assert "latin.json is not UTF-8 text" in str(caught.value)


# --- the command line ----------------------------------------------------------------------------


@pytest.fixture
def env(tmp_path, data_dir):
    return clean_env(XDG_DATA_HOME=str(tmp_path / "xdg"))


def test_cli_import_of_a_hostile_oruk_file_changes_nothing(env, tmp_path):
    assert run_in_process(env, "registry", "init", "--no-demo").returncode == 0
    for i, (payload, message) in enumerate(ORUK_SHAPES[:6]):
        path = tmp_path / f"bad{i}.json"
        path.write_text(json.dumps(payload))
        done = run_in_process(env, "registry", "import", str(path))
        assert done.returncode == 1 and message in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 50_000 + "]" * 50_000)
    done = run_in_process(env, "registry", "import", str(deep))
    assert done.returncode == 1 and "nested too deeply" in done.stderr
    exported = tmp_path / "all.json"
    run_in_process(env, "registry", "export", "--format", "oruk", "--out", str(exported))
    assert json.loads(exported.read_text()) == []


def test_cli_paths_that_cannot_be_written_are_messages(env, tmp_path):
    assert run_in_process(env, "registry", "init", "--no-demo").returncode == 0
    folder = tmp_path / "a folder.xlsx"
    folder.mkdir()
    a_file = tmp_path / "file"
    a_file.write_text("x")
    for out in (folder, a_file / "under" / "t.xlsx"):
        done = run_in_process(env, "registry", "template", "--out", str(out))
        assert done.returncode == 1, done.stderr
        assert done.stderr.startswith("planner: cannot use") and "Traceback" not in done.stderr
    done = run_in_process(env, "registry", "export", "--status", "bogus", "--out", "x.xlsx")
    assert done.returncode == 1
    assert "--status bogus: not a status; accepted: draft, submitted, approved" in done.stderr


def test_a_data_folder_setting_that_is_a_file(tmp_path, data_dir):
    a_file = tmp_path / "not-a-folder"
    a_file.write_text("x")
    done = run_in_process(clean_env(XDG_DATA_HOME=str(a_file)), "registry", "init")
    assert done.returncode == 1
    assert "Cannot create the folder" in done.stderr and "Traceback" not in done.stderr


def test_a_database_password_is_never_printed(tmp_path, data_dir):
    url = "mysqlish+nodriver://admin:s3cr3t-pw@db.example/registry"
    done = run_in_process(clean_env(DATABASE_URL=url), "registry", "init")
    assert done.returncode == 1 and "not usable" in done.stderr
    assert "s3cr3t-pw" not in done.stderr and "admin:***@" in done.stderr


def test_plan_suggest_refuses_a_budget_that_is_not_an_amount(env):
    for budget in ("nan", "-1", "inf", "1e999999"):
        done = run_in_process(env, "plan", "suggest", "--budget", budget)
        assert done.returncode == 2, budget
        assert f"{budget!r} is not a budget" in done.stderr
