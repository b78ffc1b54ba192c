"""Issue 15, the command line: paths that cannot be written or read, files of the wrong kind,
options out of range. Each case asserts the one-sentence message (no traceback), the exit
status 1, and that the registry file is byte for byte what it was."""

from __future__ import annotations

import pytest

from tests.cli_helpers import run_in_process
from tests.test_faults_io import sqlite_state

pytestmark = pytest.mark.slow  # 38 commands on the demonstration registry: 27 s of the quick run

WRITERS = [
    ("registry", "template", "--out", ".xlsx"),
    ("registry", "export", "--out", ".xlsx"),
    ("registry", "export", "--format", "oruk", "--out", ".json"),
    ("registry", "backup", "--out", ".plannerbackup"),
    ("demand", "--out", ".xlsx"),
    ("analyse", "--out", ".csv"),
    ("export", "gap-analysis", "--out", ".xlsx"),
]


@pytest.fixture
def demo_db(demo_env, tmp_path):
    return demo_env, tmp_path / "xdg" / "planner" / "registry.sqlite"


def refused(env, path, *args: str, message: str, code: int = 1) -> str:
    """Exit status 1 for a refused input, 2 for an option argparse refuses (with usage)."""
    before = sqlite_state(path)
    done = run_in_process(env, *args)
    assert done.returncode == code, (args, done.stdout, done.stderr)
    start = "planner: " if code == 1 else "usage: planner"
    assert "Traceback" not in done.stderr and done.stderr.startswith(start), done.stderr
    assert message in done.stderr, done.stderr
    assert sqlite_state(path) == before
    return done.stderr


@pytest.mark.parametrize("command", WRITERS, ids=" ".join)
@pytest.mark.parametrize("target", ["onto a folder", "under a file"])
def test_an_output_path_that_cannot_be_written(demo_db, tmp_path, command, target):
    env, path = demo_db
    *command, suffix = command
    a_file = tmp_path / "a file"
    a_file.write_text("x")
    folder = tmp_path / f"a folder{suffix}"
    folder.mkdir()
    out = folder if target == "onto a folder" else a_file / "under" / f"out{suffix}"
    refused(env, path, *command, str(out), message="planner: cannot use")
    assert a_file.read_text() == "x" and folder.is_dir() and not list(folder.iterdir())


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (None, "missing.xlsx", "no such file"),
        (b"", "empty.xlsx", "is empty"),
        (b"\xd0\xcf\x11\xe0" + b"\x00" * 600, "old.xlsx", "an old .xls or other Office file"),
        (b"%PDF-1.7 a pdf", "report.xlsx", "a PDF"),
        (b"name,area\nA,Croydon\n", "services.xlsx", "not an Excel workbook"),
        (b"PK\x03\x04 not really a zip", "broken.xlsx", "is damaged or incomplete"),
        (b"", "empty.json", "is not valid JSON"),
        (b"{'single': 'quotes'}", "python.json", "is not valid JSON"),
        (b"\xff\xfe{\x00}\x00", "utf16.json", "is not UTF-8 text"),
        (b'{"services": "not a list"}', "shape.json", "values of the wrong kind"),
        (b"[1, 2, 3]", "numbers.json", "list of Open Referral UK records"),
        (b"null", "null.json", "list of Open Referral UK records"),
        (b'"a string"', "string.json", "list of Open Referral UK records"),
    ],
)
def test_an_import_file_of_the_wrong_kind(demo_db, tmp_path, content, name, message):
    env, path = demo_db
    source = tmp_path / name
    if content is not None:
        source.write_bytes(content)
    refused(env, path, "registry", "import", str(source), message=message)


def test_an_import_folder_is_not_a_file(demo_db, tmp_path):
    env, path = demo_db
    folder = tmp_path / "a folder.xlsx"
    folder.mkdir()
    refused(env, path, "registry", "import", str(folder), message="no such file")


def test_a_problem_report_that_cannot_be_written_still_reports(demo_db, tmp_path):
    env, path = demo_db
    bad = tmp_path / "bad.json"
    bad.write_text('[{"id": "x", "name": ""}]')
    a_file = tmp_path / "a file"
    a_file.write_text("x")
    stderr = refused(
        env,
        path,
        "registry",
        "import",
        str(bad),
        "--report",
        str(a_file / "problems.xlsx"),
        message="planner: cannot use",
    )
    assert a_file.read_text() == "x", stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("registry", "export", "--status", "bogus", "--out", "x.xlsx"), "not a status"),
        (("registry", "export", "--status", "approved,gone", "--out", "x.xlsx"), "not a status"),
        (("registry", "approve", "no-such-service"), "No service"),
        (("plan", "suggest", "--budget", "nan"), "'nan' is not a budget"),
        (("plan", "suggest", "--budget", "-1"), "'-1' is not a budget"),
        (("plan", "suggest", "--budget", "inf"), "'inf' is not a budget"),
        (("plan", "suggest", "--budget", "1e999"), "'1e999' is not a budget"),
        (("export", "needs-assessment", "--review", "next year", "--out", "x.xlsx"), "review"),
        (("export", "gap-analysis", "--borough", "Atlantis", "--out", "x.xlsx"), "Atlantis"),
    ],
)
def test_an_option_out_of_range(demo_db, args, message):
    env, path = demo_db
    refused(env, path, *args, message=message, code=2 if "budget" in message else 1)
