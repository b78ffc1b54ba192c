"""The installed `planner` command, run as a user runs it."""

import csv
import os

import openpyxl
import pytest

from tests.cli_helpers import run_in_process


def run(*args: str, env: dict | None = None):
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
    full_env.update(env or {})
    return run_in_process(full_env, *args)


def test_demand_csv_has_33_by_5_rows(data_dir, tmp_path):
    out = tmp_path / "reports" / "demand.csv"
    result = run("demand", "--out", str(out))
    assert result.returncode == 0, result.stderr
    assert "Wrote 165 rows (5 needs)" in result.stdout
    with open(out, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 165
    city = [r for r in rows if r["area_code"] == "E09000001"]
    assert {r["need"]: r["status"] for r in city if r["need"] != "road_harm"} == {
        n: "no police data (City of London Police area)"
        for n in ("domestic_abuse", "sexual_violence", "homicide", "hate_crime")
    }
    assert all(r["recorded"] == "" for r in city if r["need"] != "road_harm")


def test_demand_xlsx_reads_back(data_dir, tmp_path):
    out = tmp_path / "demand.xlsx"
    assert run("demand", "--out", str(out)).returncode == 0
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Cover", "Contents", "Notes", "Demand", "Assumptions"]
    ws = wb["Demand"]
    assert ws["A1"].value == "Demand for victim support by area and need [note 1]"
    assert ws.freeze_panes == "A4"
    header = [c.value for c in ws[3]]
    assert "estimated need (people a year)" in header
    assert ws.max_row == 3 + 165
    est = header.index("estimated need (people a year)")
    values = [r[est].value for r in ws.iter_rows(min_row=4)]
    assert sum(isinstance(v, (int, float)) for v in values) == 165 - 4  # City: 4 not assessed
    assert values.count("[x]") == 4
    assert not ws.merged_cells.ranges


def test_demand_for_a_period(data_dir):
    result = run("demand", "--period", "2023-12")
    assert result.returncode == 0, result.stderr
    assert "2023-01      2023-12" in result.stdout
    assert "2021-01      2023-12" in result.stdout  # homicide: 3 years


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("demand", "--period", "2025-13"), "is not a month like 2025-06"),
        (("demand", "--out", "x.pdf"), "use a file name ending .csv or .xlsx"),
    ],
)
def test_bad_arguments_give_one_line_not_a_traceback(args, message):
    result = run(*args)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_no_data_says_what_is_missing_and_how_to_get_it(tmp_path):
    result = run("demand", env={"PLANNER_DATA_DIR": str(tmp_path / "none")})
    assert result.returncode == 1
    assert "crime/mps_monthly_crime_dashboard_othercrime_202108_202507.parquet: file not found" in (
        result.stderr
    )
    assert "planner data fetch" in result.stderr
    assert "Traceback" not in result.stderr
    check = run("data", "check", env={"PLANNER_DATA_DIR": str(tmp_path / "none")})
    assert check.returncode == 1
    assert "stats19" in check.stdout and "PROBLEMS" in check.stdout
    assert "Traceback" not in check.stderr + check.stdout


def test_data_check_lists_every_dataset(data_dir):
    result = run("data", "check")
    assert result.returncode == 0, result.stderr
    for name in (
        "boundaries",
        "lsoa_boundaries",
        "population",
        "mps_crime",
        "mps_dashboard",
        "stats19",
    ):
        assert name in result.stdout
    assert "2010-04 to 2026-06 (195 months)" in result.stdout


def test_data_check_reports_a_broken_file(data_copy):
    root = data_copy({"road_casualties/stats19_london_collisions_2022.csv": b""})
    result = run("data", "check", env={"PLANNER_DATA_DIR": str(root)})
    assert result.returncode == 1
    assert "stats19_london_collisions_2022.csv: the file is empty" in result.stdout


def test_unknown_setting_is_named(data_dir):
    result = run("demand", env={"PLANNER_DATADIR": "/x"})
    assert result.returncode == 1
    assert "Did you mean PLANNER_DATA_DIR" in result.stderr


@pytest.mark.parametrize("port", ["99999", "0", "eighty"])
def test_planner_app_refuses_a_port_that_is_not_one(port, capsys):
    from planner.cli import main

    with pytest.raises(SystemExit) as stopped:
        main(["app", "--port", port])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert f"{port!r} is not a port" in err and "Traceback" not in err
