"""`planner registry ...` and `planner users add`, run as a user runs them."""

import json

import openpyxl
import pytest

from tests.cli_helpers import clean_env, run_in_process, run_subprocess


@pytest.fixture
def env(tmp_path, data_dir):
    return clean_env(XDG_DATA_HOME=str(tmp_path / "xdg"))


def run(env, *args, stdin: str | None = None):
    return run_in_process(env, *args, stdin=stdin)


@pytest.mark.slow  # 8 s: every export of the whole demonstration registry
def test_init_loads_the_demo_once_then_exports(env, tmp_path):
    """The smoke test of the installed console script: a real new process."""
    first = run_subprocess(env, "registry", "init")
    assert first.returncode == 0, first.stderr
    assert "Loaded the demonstration registry (fictional providers): 154 service(s)" in (
        first.stdout
    )
    assert (tmp_path / "xdg" / "planner" / "registry.sqlite").is_file()
    again = run(env, "registry", "init")
    assert "(154 services)" in again.stdout and "Loaded" not in again.stdout
    out = tmp_path / "oruk.json"
    exported = run(env, "registry", "export", "--format", "oruk", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    assert "Wrote 154 services (154 are demonstration data)" in exported.stdout
    assert len(json.loads(out.read_text())) == 154
    xlsx = tmp_path / "registry.xlsx"
    assert run(env, "registry", "export", "--out", str(xlsx)).returncode == 0
    wb = openpyxl.load_workbook(xlsx)
    assert wb["Services"].max_row == 155
    assert wb["Instructions"]["A2"].value == "DEMONSTRATION DATA"


def test_template_import_failure_report_and_approve(env, tmp_path):
    assert run(env, "registry", "init", "--no-demo").returncode == 0
    template = tmp_path / "t.xlsx"
    assert run(env, "registry", "template", "--out", str(template)).returncode == 0
    wb = openpyxl.load_workbook(template)
    header = [c.value for c in wb["Services"][1]]
    wb["Organisations"].append(["ORG1", "Alpha Aid"])
    row = {
        "id": "S1",
        "organisation_id": "ORG1",
        "name": "Alpha helpline",
        "service_type": "helpline",
        "referral_route": "self_referral",
        "without_police_report": "yes",
        "all_areas": "yes",
        "needs: hate_crime": "yes",
        "status": "submitted",
        "capacity_per_year": "many",
    }
    wb["Services"].append([row.get(h) for h in header])
    wb.save(template)
    report = tmp_path / "problems.xlsx"
    failed = run(env, "registry", "import", str(template), "--report", str(report))
    assert failed.returncode == 1
    assert "Services row 2, capacity_per_year: expected a number" in failed.stderr
    assert "Traceback" not in failed.stderr
    assert openpyxl.load_workbook(report)["Problems"].max_row == 2
    wb = openpyxl.load_workbook(template)
    column = header.index("capacity_per_year") + 1
    wb["Services"].cell(row=2, column=column).value = None
    wb.save(template)
    ok = run(env, "registry", "import", str(template))
    assert ok.returncode == 0, ok.stderr
    assert "1 service(s) created" in ok.stdout
    exported = tmp_path / "all.json"
    run(env, "registry", "export", "--format", "oruk", "--out", str(exported))
    service_id = json.loads(exported.read_text())[0]["id"]
    approved = run(env, "registry", "approve", service_id)
    assert approved.returncode == 0, approved.stderr
    assert "Approved Alpha helpline" in approved.stdout
    missing = run(env, "registry", "approve", "00000000-0000-0000-0000-000000000000")
    assert missing.returncode == 1 and "No service with id" in missing.stderr


def test_users_add(env):
    assert run(env, "registry", "init", "--no-demo").returncode == 0
    ok = run(
        env,
        "users",
        "add",
        "carol",
        "--role",
        "commissioner",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert ok.returncode == 0, ok.stderr
    assert "Added commissioner carol" in ok.stdout
    bad = run(
        env,
        "users",
        "add",
        "pat",
        "--role",
        "provider",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert bad.returncode == 1 and "give --org" in bad.stderr
    nope = run(
        env,
        "users",
        "add",
        "pat",
        "--role",
        "provider",
        "--org",
        "Nobody",
        "--password-stdin",
        stdin="a long enough password\n",
    )
    assert nope.returncode == 1 and "no organisation 'Nobody'" in nope.stderr
    # no terminal to type a password in (a script, CI): a sentence saying what to do
    blind = run(env, "users", "add", "sam", "--role", "viewer")
    assert blind.returncode == 1 and "Traceback" not in blind.stderr
    assert "No terminal to type the password in" in blind.stderr
    assert "--password-stdin" in blind.stderr


def test_non_excel_upload_is_a_message(env, tmp_path):
    fake = tmp_path / "registry.xlsx"
    fake.write_bytes(b"%PDF-1.4 hello")
    result = run(env, "registry", "import", str(fake))
    assert result.returncode == 1
    assert "is a PDF, not an Excel workbook (.xlsx)" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.postgres
@pytest.mark.slow
def test_cli_on_postgresql(env, postgres_database):
    env["DATABASE_URL"] = postgres_database
    result = run(env, "registry", "init")
    assert result.returncode == 0, result.stderr
    assert "postgresql+psycopg://postgres@127.0.0.1" in result.stdout
    assert "154 service(s)" in result.stdout


def test_unreachable_database_is_a_message(env):
    env["DATABASE_URL"] = "postgresql://nobody@127.0.0.1:9/none"
    result = run(env, "registry", "init")
    assert result.returncode == 1
    assert "Cannot reach the database" in result.stderr and "DATABASE_URL" in result.stderr
    assert "Traceback" not in result.stderr


def test_analyse_prints_the_summary_and_writes_tables(demo_env, tmp_path):
    env = demo_env
    out = tmp_path / "analysis.json"
    result = run(env, "analyse", "--as-of", "2026-11-29", "--out", str(out))
    assert result.returncode == 0, result.stderr
    text = result.stdout
    assert "Coverage of 33 areas x 5 needs by 154 approved services (demonstration registry)" in (
        text
    )
    assert "domestic abuse: High risk (IDVA / Marac)" in text  # tiers, with their ranges
    assert "road harm: Seriously injured" in text and "%-" in text
    for kind in (
        "no_provision",
        "under_provision",
        "stage_gap",
        "specialist_gap",
        "no_report_route_gap",
        "duplication",
        "overlap",
        "continuity_risk",
        "access_gap",
    ):
        assert kind in text
    assert "Worst five areas" in text
    payload = json.loads(out.read_text())
    assert {"coverage", "flags", "stages", "access", "benchmarks", "data_quality", "method"} <= set(
        payload
    )
    assert len(payload["coverage"]) == 33 * 11  # areas × tiers
    assert len(payload["headline"]) == 165  # areas × needs
    csv_out = tmp_path / "flags.csv"
    assert run(env, "analyse", "--no-access", "--out", str(csv_out)).returncode == 0
    assert csv_out.read_text().startswith("area_code,area_name,need,tier,tier_label,unit,flag")
    bad = run(env, "analyse", "--as-of", "someday")
    assert bad.returncode == 1 and "is not a date" in bad.stderr


@pytest.mark.slow  # 8 s: every export command on the demonstration registry
def test_export_commands(demo_env, tmp_path):
    env = demo_env
    out = tmp_path / "gap_analysis.xlsx"
    result = run(env, "export", "gap-analysis", "--out", str(out), "--contact", "Board office")
    assert result.returncode == 0, result.stderr
    assert "(demonstration registry)" in result.stdout
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:4] == ["Cover", "Contents", "Notes", "Summary"]
    leaflet = tmp_path / "leaflet.html"
    ok = run(
        env,
        "export",
        "leaflet",
        "--borough",
        "Croydon",
        "--need",
        "domestic_abuse",
        "--out",
        str(leaflet),
    )
    assert ok.returncode == 0 and "Support available in Croydon" in leaflet.read_text()
    bad = run(env, "export", "leaflet", "--out", str(tmp_path / "x.html"))
    assert bad.returncode == 1 and "give --borough and --need" in bad.stderr
    wrong = run(env, "export", "map", "--out", str(tmp_path / "x.pdf"))
    assert wrong.returncode == 1 and "written as .html or .png" in wrong.stderr


@pytest.mark.slow  # 12 s: the three statutory packs from the command line
def test_statutory_pack_commands(demo_env, tmp_path):
    env = demo_env
    jna, summary = tmp_path / "packs" / "jna.xlsx", tmp_path / "packs" / "jna.pdf"
    result = run(
        env,
        "export",
        "needs-assessment",
        "--out",
        str(jna),
        "--summary",
        str(summary),
        "--review",
        "2027-06-30",
        "--contact",
        "Victims team",
    )
    assert result.returncode == 0, result.stderr
    assert "the review is due by 30 June 2027" in result.stdout
    assert summary.read_bytes().startswith(b"%PDF") and jna.is_file()
    cover = {r[0]: r[1] for r in openpyxl.load_workbook(jna)["Cover"].iter_rows(values_only=True)}
    assert cover["Contact"] == "Victims team"
    for what, first in (
        ("safe-accommodation", "Council of Europe standard"),
        ("map-of-gaps", "areas have no local or regional support"),
    ):
        out = tmp_path / f"{what}.xlsx"
        result = run(env, "export", what, "--out", str(out))
        assert result.returncode == 0 and first in result.stdout, result.stderr
    # bad input: a sentence naming the row and field, and nothing written
    log = tmp_path / "log.csv"
    log.write_text(
        "date,who was heard,organisation or group,how,what they said,"
        "what changed as a result\nlast spring,Provider,Kestrel,meeting,x,y\n"
    )
    target = tmp_path / "never.xlsx"
    bad = run(env, "export", "needs-assessment", "--out", str(target), "--consultation", str(log))
    assert bad.returncode == 1 and "log.csv row 2, date: 'last spring'" in bad.stderr
    assert "Traceback" not in bad.stderr and not target.exists()
    for args, message in (
        (["--review", "next year"], "--review 'next year' is not a date"),
        (["--consultation", str(tmp_path / "none.csv")], "none.csv: no such file"),
        (["--summary", str(tmp_path / "s.docx")], "--summary FILE.pdf goes with"),
    ):
        bad = run(env, "export", "needs-assessment", "--out", str(target), *args)
        assert bad.returncode == 1 and message in bad.stderr, bad.stderr
    assert not target.exists()


def test_plan_names_must_differ_and_a_shared_name_is_not_guessed(demo_env):
    """Issue 12: two plans of one name made `plan compare NAME` pick one silently."""
    from planner.registry import plan_store
    from planner.registry.auth import SYSTEM
    from planner.registry.models import Plan
    from planner.registry.setup import open_registry
    from planner.settings import load_settings

    env = demo_env
    assert run(env, "plan", "create", "East lots").returncode == 0
    again = run(env, "plan", "create", "  east LOTS ")
    assert again.returncode == 1
    assert "name: is already used by the plan 'East lots': choose another" in again.stderr
    # a database from before the rule may hold two: the name is refused as ambiguous
    registry = open_registry(load_settings(env))
    twin = plan_store.create_plan(registry, SYSTEM, "Twin")
    with registry.session() as s, s.begin():
        s.get(Plan, twin["id"]).name = "East lots"
    compared = run(env, "plan", "compare", "East lots")
    assert compared.returncode == 1 and "2 plans are called 'East lots'" in compared.stderr
    assert twin["id"] in compared.stderr
    assert run(env, "plan", "compare", twin["id"]).returncode == 0


def test_an_empty_plan_changes_nothing_in_plan_compare(demo_env):
    """The CLI runs scenarios on the same analysis as the Plan page (with access)."""
    env = demo_env
    assert run(env, "plan", "create", "Nothing yet").returncode == 0
    compared = run(env, "plan", "compare", "Nothing yet")
    assert compared.returncode == 0, compared.stderr
    assert "flags closed 0, opened 0; 0 more people supported a year" in compared.stdout
