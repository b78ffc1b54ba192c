"""The Streamlit app: pages through AppTest, and the real server that `make app` starts."""

import os
import signal
import socket
import subprocess
import time
import urllib.request

import pytest
from streamlit.testing.v1 import AppTest

from planner.settings import REPO_ROOT

APP = str(REPO_ROOT / "planner" / "app" / "app.py")


def test_demand_page_shows_a_known_borough(data_dir):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/demand.py").run()
    assert not at.exception
    assert at.title[0].value == "Demand for victim support"
    assert at.subheader[0].value.startswith("Domestic abuse: estimated demand")
    table = at.dataframe[0].value.set_index("Borough")
    # Croydon: recorded DA offences Aug 2024 to Jul 2025 ÷ 0.189
    from planner.datasets import load_planner_data
    from planner.demand import demand_table
    from planner.settings import load_settings

    data = load_planner_data(load_settings())
    expected = demand_table(
        data.series, data.population, data.area_set.to_frame(), data.assumptions
    )
    croydon = expected[
        (expected["need"] == "domestic_abuse") & (expected["area_name"] == "Croydon")
    ]["estimated"].iloc[0]
    # people shown as whole numbers (26,079.36 → 26,079), the same figure rounded
    shown = table.loc["Croydon", "Estimated demand (people per year)"]
    assert shown == round(croydon) and shown != croydon
    assert table.loc["City of London", "Status"] == "no police data (City of London Police area)"
    captions = " ".join(c.value for c in at.caption)
    assert "Metropolitan Police Service / London Datastore, OGL v2.0" in captions
    assert "Census 2021" in captions


def test_changing_need_and_measure(data_dir):
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("pages/demand.py").run()
    at.selectbox[0].select("Families bereaved by homicide").run()
    assert "women" not in " ".join(at.selectbox[1].options)
    at.selectbox[1].select("Rate per 100,000 residents").run()
    assert not at.exception
    assert at.subheader[0].value.startswith(
        "Families bereaved by homicide: rate per 100,000 residents"
    )
    assert "(mean of 3 years)" in at.subheader[0].value


def test_no_data_shows_a_message_not_a_traceback(tmp_path, monkeypatch):
    monkeypatch.setenv("PLANNER_DATA_DIR", str(tmp_path / "none"))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert "planner data fetch" in at.error[0].value


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_make_app_answers_http_200(data_dir):
    port = _free_port()
    proc = subprocess.Popen(
        ["make", "app", f"PORT={port}"],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env={k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")},
    )
    try:
        deadline = time.monotonic() + 90
        status = None
        while time.monotonic() < deadline and status != 200:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health") as r:
                    status = r.status
            except OSError:
                time.sleep(1)
        assert status == 200, "make app did not answer within 90 s"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as r:
            assert r.status == 200
            assert b"<html" in r.read(2000).lower()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
