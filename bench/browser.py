"""What a person feels (issue 14, BRIEF §9): the app in headless Chromium, each action timed
from the click to its content being visible, and each CLI command as a new process.

Run by `make bench` after the engine tables, or alone: `python bench/browser.py`. A fresh
registry (the demonstration data, one commissioner, one plan) in a temporary folder; the
app started on a free port. Prints each line beside its bar and says met or missed; asserts
nothing.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "bench user's long password"

FIRST, CLICK, ACCOUNT, COLD = 3.0, 0.5, 1.0, 2.0
"""BRIEF §9: first content after the server is up, any later click, sign-in / register /
approve, a cold `planner analyse` or `export gap-analysis`."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _env(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
    env.pop("DATABASE_URL", None)
    env["XDG_DATA_HOME"] = str(folder / "xdg")
    return env


def _planner(env: dict, *args: str, stdin: str | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(
        [str(BIN / "planner"), *args],
        env=env,
        cwd=REPO,
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def prepare(folder: Path) -> dict[str, str]:
    """A registry with the demonstration data, a commissioner and a plan."""
    env = _env(folder)
    _planner(env, "registry", "init")
    _planner(
        env,
        "users",
        "add",
        "bench",
        "--role",
        "commissioner",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    _planner(env, "plan", "create", "Bench plan")
    _planner(env, "plan", "suggest", "--budget", "500000", "--into", "Bench plan")
    return env


def cold_cli(env: dict, folder: Path) -> list[tuple[str, float, float]]:
    """Each command as a new process, best of three (the files are in the OS cache)."""
    commands = [
        ("`planner analyse`, cold", ["analyse"], COLD),
        (
            "`planner export gap-analysis`, cold",
            ["export", "gap-analysis", "--out", str(folder / "gap.xlsx")],
            COLD,
        ),
        ("`planner plan compare`, cold", ["plan", "compare", "Bench plan"], COLD),
    ]
    return [
        (label, min(_planner(env, *args) for _ in range(3)), bar) for label, args, bar in commands
    ]


def _serve(env: dict) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            str(BIN / "streamlit"),
            "run",
            "planner/app/app.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health") as r:
                if r.status == 200:
                    return proc, url
        except OSError:
            time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGTERM)
    raise RuntimeError("the app did not answer within 120 s")


def _timed(fn: Callable[[], None]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def browser(env: dict) -> list[tuple[str, float, float]]:  # noqa: PLR0915 (one script)
    """Each action of issue 14's table, in Chromium, from the click to the content."""
    from playwright.sync_api import sync_playwright

    proc, url = _serve(env)
    rows: list[tuple[str, float, float]] = []
    try:
        with sync_playwright() as p:
            chrome = p.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            page = chrome.new_page(viewport={"width": 1400, "height": 1800})

            def map_drawn(pg, text: str | None = None) -> None:
                frame = pg.frame_locator("iframe[title='streamlit_folium.st_folium']").first
                frame.locator("path.leaflet-interactive").first.wait_for(timeout=120_000)
                if text:  # the legend names the need: the new map is drawn
                    frame.locator(".planner-legend", has_text=text).wait_for(timeout=120_000)

            def idle(pg) -> None:
                """The rerun has finished: Streamlit's running indicator is gone."""
                pg.wait_for_function(
                    "!document.querySelector('[data-testid=\"stStatusWidget\"]')",
                    timeout=120_000,
                )

            def rerun(pg) -> None:
                """A rerun has started and finished."""
                try:
                    pg.locator("[data-testid='stStatusWidget']").wait_for(timeout=3_000)
                except Exception:  # a rerun shorter than the indicator's delay
                    return
                idle(pg)

            def choose(pg, label: str, option: str) -> None:
                box = pg.locator("[data-testid='stSelectbox']").filter(has_text=label).first
                box.click()
                pg.get_by_role("option", name=option, exact=True).click()

            def go(pg, link: str, heading: str) -> None:
                sidebar = pg.locator("section[data-testid='stSidebar']")
                sidebar.get_by_role("link", name=link, exact=True).click()
                pg.get_by_role("heading", name=heading).wait_for(timeout=120_000)
                idle(pg)

            rows.append(
                (
                    "first Overview load after the server starts",
                    _timed(lambda: (page.goto(url), map_drawn(page))),
                    FIRST,
                )
            )
            idle(page)
            fresh = chrome.new_page(viewport={"width": 1400, "height": 1800})
            rows.append(
                (
                    "Overview in a new session",
                    _timed(lambda: (fresh.goto(url), map_drawn(fresh))),
                    FIRST,
                )
            )
            fresh.close()
            rows.append(
                (
                    "switch the map's need on Overview",
                    _timed(
                        lambda: (
                            choose(page, "Coverage map for", "Sexual violence"),
                            map_drawn(page, "Sexual violence"),
                            idle(page),
                        )
                    ),
                    CLICK,
                )
            )

            def demand() -> None:
                go(page, "Demand", "Demand for victim support")
                map_drawn(page)

            rows.append(("Demand, first visit", _timed(demand), CLICK))
            go(page, "Overview", "Overview")
            rows.append(("Demand, later visit", _timed(demand), CLICK))
            go(page, "Gaps & duplication", "Gaps & duplication")
            rows.append(
                (
                    "Gaps borough filter change",
                    _timed(
                        lambda: (
                            choose(page, "Borough", "Croydon"),
                            page.get_by_text("flags for Croydon").wait_for(timeout=120_000),
                            idle(page),
                        )
                    ),
                    CLICK,
                )
            )
            sidebar = page.locator("section[data-testid='stSidebar']")

            def sign_in() -> None:
                sidebar.get_by_label("User name").fill("bench")
                password = sidebar.get_by_role("textbox", name="Password")
                password.fill(PASSWORD)
                password.press("Enter")
                page.get_by_text("Signed in as").wait_for(timeout=120_000)
                idle(page)

            rows.append(("sign in", _timed(sign_in), ACCOUNT))
            rows.append(("Services page", _timed(lambda: go(page, "Services", "Services")), CLICK))
            rows.append(("Plan page", _timed(lambda: go(page, "Plan", "Plan")), CLICK))

            def create_plan() -> None:
                page.get_by_text("Create a plan").first.click()
                page.get_by_label("Plan name").fill("Bench plan two")
                page.get_by_role("button", name="Create plan").click()
                rerun(page)

            rows.append(("create a plan", _timed(create_plan), CLICK))
            go(page, "Exports", "Exports")
            rows.append(
                (
                    "a widget change on Exports (leaflet borough)",
                    _timed(lambda: (choose(page, "Borough", "Croydon"), rerun(page))),
                    CLICK,
                )
            )
            chrome.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    return rows


def report(title: str, rows: list[tuple[str, float, float]]) -> None:
    print(f"\n{title}")
    print(f"{'action':<52} {'seconds':>8} {'bar':>6}  verdict")
    for label, seconds, bar in rows:
        verdict = "met" if seconds < bar else "missed"
        print(f"{label:<52} {seconds:>8.2f} {bar:>6.1f}  {verdict}")


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="planner-bench-"))
    try:
        env = prepare(folder)
        report("Cold command line (a new process each, best of 3; BRIEF §9)", cold_cli(env, folder))
        if not Path(CHROMIUM).exists():
            print("\nChromium is not installed (make test installs it): no browser section")
            return
        report("In Chromium, from the click to the content (BRIEF §9)", browser(env))
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
