"""What a person feels (issue 14, BRIEF §9): the app in headless Chromium, each action timed
from the click to its content being visible, and each CLI command as a new process.

Run by `make bench` after the engine tables, or alone: `python bench/browser.py`. A fresh
registry (the demonstration data, one commissioner, one plan) in a temporary folder; the
app started on a free port. Prints each line beside its bar and says met or missed; asserts
nothing.

`python bench/browser.py --before REV` also measures the code at git revision REV (checked out
in a temporary worktree, run with this virtual environment) in the same run, and prints the
two side by side: a before-and-after table on one machine at one time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "bench user's long password"

MAP_FRAME = (
    "iframe[title='planner.app.mapview.planner_map'], iframe[title='streamlit_folium.st_folium']"
)
"""A map's frame: the app's map component (now) or streamlit-folium's (before issue 14)."""

FIRST, CLICK, ACCOUNT, COLD = 3.0, 0.5, 1.0, 2.0
REPEAT = 3
"""Each click is timed this many times (other boroughs, needs, plans); the median is shown."""
"""BRIEF §9: first content after the server is up, any later click, sign-in / register /
approve, a cold `planner analyse` or `export gap-analysis`."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Side:
    """One checkout of the code, with its own registry, data home and parsed-data cache."""

    name: str
    root: Path
    env: dict[str, str]


def _side(name: str, root: Path, folder: Path) -> Side:
    from planner.settings import load_settings

    env = {k: v for k, v in os.environ.items() if not k.startswith("PLANNER_")}
    env.pop("DATABASE_URL", None)
    env["XDG_DATA_HOME"] = str(folder / "xdg")
    env["PLANNER_CACHE_DIR"] = str(folder / "cache")
    env["PLANNER_DATA_DIR"] = str(load_settings().data_dir)  # the same files for both sides
    if root != REPO:  # the other checkout's package first on the path (the venv's is editable)
        env["PYTHONPATH"] = str(root)
    return Side(name, root, env)


def _planner(side: Side, *args: str, stdin: str | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(
        [str(BIN / "planner"), *args],
        env=side.env,
        cwd=side.root,
        input=stdin,
        text=True,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def prepare(side: Side) -> Side:
    """A registry with the demonstration data, a commissioner and a plan."""
    _planner(side, "registry", "init")
    _planner(
        side,
        "users",
        "add",
        "bench",
        "--role",
        "commissioner",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    _planner(side, "plan", "create", "Bench plan")
    _planner(side, "plan", "suggest", "--budget", "500000", "--into", "Bench plan")
    return side


def cold_cli(side: Side, folder: Path) -> list[tuple[str, float, float]]:
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
        (label, min(_planner(side, *args) for _ in range(3)), bar) for label, args, bar in commands
    ]


def _serve(side: Side) -> tuple[subprocess.Popen, str]:
    """The app on a free port, started as the checkout's `make app` starts it (`planner app`,
    which prepares the analysis as the server starts, or `streamlit run` before it)."""
    port = _free_port()
    if (side.root / "planner" / "app" / "serve.py").is_file():
        command = [str(BIN / "planner"), "app", "--port", str(port)]
    else:
        command = [
            str(BIN / "streamlit"),
            "run",
            "planner/app/app.py",
            "--server.port",
            str(port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ]
    proc = subprocess.Popen(
        command,
        cwd=side.root,
        env=side.env,
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


PRESS_CLOCK = """
window.__pressedAt = null;
for (const kind of ["pointerdown", "keydown"]) {
  document.addEventListener(kind, () => { window.__pressedAt = performance.now(); }, true);
}
"""
"""Each page notes when the person's last press (mouse or key) reached it: a click is timed
from there, not from when Playwright starts looking for the target (its checks before a
click take 0.1-0.3 s here, which no person waits for)."""


def since_press(pg) -> float:
    """Seconds since the last press reached the page."""
    return pg.evaluate("(performance.now() - window.__pressedAt) / 1000")


def browser(side: Side) -> list[tuple[str, float, float]]:  # noqa: C901, PLR0915 (one script)
    """Each action of issue 14's table, in Chromium, from the click to the content: the
    first load once, every other line the median of REPEAT tries."""
    from playwright.sync_api import sync_playwright

    proc, url = _serve(side)
    rows: list[tuple[str, float, float]] = []
    try:
        with sync_playwright() as p:
            chrome = p.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            context = chrome.new_context(viewport={"width": 1400, "height": 1800})
            context.add_init_script(PRESS_CLOCK)
            page = context.new_page()

            def map_drawn(pg, text: str | None = None) -> None:
                frame = pg.frame_locator(MAP_FRAME).first
                frame.locator("path.leaflet-interactive").first.wait_for(timeout=120_000)
                if text:  # the legend names the need: the new map is drawn
                    frame.locator(".planner-legend", has_text=text).wait_for(timeout=120_000)

            def idle(pg) -> None:
                """The rerun has finished: Streamlit's running indicator is gone."""
                pg.wait_for_function(
                    "!document.querySelector('[data-testid=\"stStatusWidget\"]')",
                    timeout=120_000,
                )

            def settled(pg, text: str) -> None:
                """The click's rerun is over: ``text`` is shown, or (code that shows no such
                text) Streamlit's running indicator has come and gone."""
                running_seen = False
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    if pg.get_by_text(text).count():
                        return
                    running = pg.locator("[data-testid='stStatusWidget']").count() > 0
                    if running_seen and not running:
                        return
                    running_seen = running_seen or running
                    pg.wait_for_timeout(20)
                raise RuntimeError(f"no sign of the rerun finishing ({text!r})")

            def choose(pg, label: str, option: str) -> Callable[[], None]:
                """Open a select box; the returned function is the person's click on the
                option (what is timed)."""
                box = pg.locator("[data-testid='stSelectbox']").filter(has_text=label).first
                box.click()
                return pg.get_by_role("option", name=option, exact=True).click

            def go(pg, link: str, heading: str, *, drawn: bool = False) -> float:
                """Follow a sidebar link to its page: the time from the press to the page
                with its heading (and, with ``drawn``, its map), once the page is idle."""
                sidebar = pg.locator("section[data-testid='stSidebar']")
                sidebar.get_by_role("link", name=link, exact=True).click()
                pg.get_by_role("heading", name=heading, exact=True).wait_for(timeout=120_000)
                if drawn:
                    map_drawn(pg)
                idle(pg)
                return since_press(pg)

            def _pressed(fn: Callable[[], None]) -> float:
                """Do ``fn`` (a press, then waiting for its content): seconds from the press."""
                fn()
                return since_press(page)

            rows.append(
                (
                    "first Overview load after the server starts",
                    _timed(lambda: (page.goto(url), map_drawn(page))),
                    FIRST,
                )
            )
            idle(page)
            fresh = []
            for _ in range(REPEAT):
                other = context.new_page()
                fresh.append(_timed(lambda o=other: (o.goto(url), map_drawn(o))))
                other.close()
            rows.append(("Overview in a new session", statistics.median(fresh), FIRST))
            switches = []
            for need in ("Sexual violence", "Hate crime", "Domestic abuse")[:REPEAT]:
                pick = choose(page, "Coverage map for", need)
                switches.append(
                    _pressed(lambda n=need, c=pick: (c(), map_drawn(page, n), idle(page)))
                )
            rows.append(("switch the map's need on Overview", statistics.median(switches), CLICK))

            def demand() -> float:
                return go(page, "Demand", "Demand for victim support", drawn=True)

            rows.append(("Demand, first visit", demand(), CLICK))
            later = []
            for _ in range(REPEAT):
                go(page, "Overview", "Overview")
                later.append(demand())
            rows.append(("Demand, later visit", statistics.median(later), CLICK))
            go(page, "Gaps & duplication", "Gaps & duplication")
            filters = []
            for borough in ("Croydon", "Camden", "Barnet")[:REPEAT]:
                pick = choose(page, "Borough", borough)
                filters.append(
                    _pressed(
                        lambda b=borough, c=pick: (
                            c(),
                            page.get_by_text(f"flags for {b}").wait_for(timeout=120_000),
                            idle(page),
                        )
                    )
                )
            rows.append(("Gaps borough filter change", statistics.median(filters), CLICK))
            sidebar = page.locator("section[data-testid='stSidebar']")

            sidebar.get_by_label("User name").fill("bench")
            password = sidebar.get_by_role("textbox", name="Password")
            password.fill(PASSWORD)
            password.focus()

            def sign_in() -> None:
                page.keyboard.press("Enter")
                page.get_by_text("Signed in as").wait_for(timeout=120_000)
                idle(page)

            rows.append(("sign in", _pressed(sign_in), ACCOUNT))
            for link in ("Services", "Plan"):
                visits = []
                for _ in range(REPEAT):
                    go(page, "Overview", "Overview")
                    visits.append(go(page, link, link))
                rows.append((f"{link} page", statistics.median(visits), CLICK))
            creates = []
            for n in range(REPEAT):
                if not page.get_by_label("Plan name").is_visible():
                    page.get_by_text("Create a plan").first.click()
                name = f"Bench plan {n + 2}"
                page.get_by_label("Plan name").fill(name)
                create = page.get_by_role("button", name="Create plan").click
                creates.append(
                    _pressed(
                        lambda c=create, t=name: (
                            c(),
                            settled(page, f"{t}” created"),
                        )
                    )
                )
                idle(page)
            rows.append(("create a plan", statistics.median(creates), CLICK))
            go(page, "Exports", "Exports")
            changes = []
            for borough in ("Croydon", "Camden", "Barnet")[:REPEAT]:
                pick = choose(page, "Borough", borough)
                changes.append(
                    _pressed(lambda b=borough, c=pick: (c(), settled(page, f"Leaflet for {b}")))
                )
                idle(page)
            rows.append(
                ("a widget change on Exports (leaflet borough)", statistics.median(changes), CLICK)
            )
            chrome.close()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    return rows


def report(title: str, rows: list[tuple[str, float, float]], before=None) -> None:
    """Each line beside its bar; with ``before``, the earlier code's time first."""
    print(f"\n{title}")
    head = f"{'action':<52} {'bar':>5}"
    print(head + (f" {'before':>8}" if before else "") + f" {'seconds':>8}  verdict")
    earlier = {label: seconds for label, seconds, _ in before or []}
    for label, seconds, bar in rows:
        verdict = "met" if seconds < bar else "missed"
        was = earlier.get(label)
        then = "" if before is None else (f" {was:>8.2f}" if was is not None else f" {'':>8}")
        print(f"{label:<52} {bar:>5.1f}{then} {seconds:>8.2f}  {verdict}")


def _worktree(rev: str, folder: Path) -> Path:
    root = folder / "before"
    subprocess.run(
        ["git", "worktree", "add", "--detach", str(root), rev],
        cwd=REPO,
        check=True,
        capture_output=True,
    )
    return root


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", metavar="REV", help="also measure git revision REV")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="planner-bench-"))
    try:
        after = prepare(_side("now", REPO, folder / "now"))
        before = None
        if args.before:
            before = prepare(_side(args.before, _worktree(args.before, folder), folder / "then"))
            print(f"before: {args.before}; seconds: the working tree")
        title = "Cold command line (a new process each, best of 3; BRIEF §9)"
        then = cold_cli(before, folder) if before else None
        report(title, cold_cli(after, folder), then)
        if not Path(CHROMIUM).exists():
            print("\nChromium is not installed (make test installs it): no browser section")
            return
        then = browser(before) if before else None
        report("In Chromium, from the click to the content (BRIEF §9)", browser(after), then)
    finally:
        if args.before:
            subprocess.run(
                ["git", "worktree", "remove", "--force", str(folder / "before")],
                cwd=REPO,
                capture_output=True,
            )
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
