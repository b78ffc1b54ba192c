"""Start the app (``planner app``, which ``make app`` runs): the Streamlit server, with the
official data loaded and today's analysis run while the server starts, so the first person to
open the app does not wait for them (issue 14).

The preparation runs on a thread of its own once Streamlit's runtime exists and fills the
same caches the pages read (:mod:`planner.app.cache`); a page that asks before it is done
waits for that one computation instead of starting another. A problem here is left for the
first page to show as a message, never a traceback in the server log.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
log = logging.getLogger("planner.app")


def prepare(wait_s: float = 60.0) -> None:
    """Once Streamlit's runtime exists, :func:`warm` the app's caches; a problem is left for
    the first page to show."""
    from streamlit.runtime import Runtime

    deadline = time.monotonic() + wait_s
    while not Runtime.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    if not Runtime.exists():
        return
    # the caches warn that no page is running when called from here: expected, not news
    quiet = logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        warm()
    except Exception as exc:  # the first page shows it as a message
        log.info("the app's data were not prepared at start: %s", exc)
    finally:
        quiet.setLevel(level)


def warm() -> list[str]:
    """Load the data, open the registry, run today's analysis, draw what the Overview shows
    first and make the Demand page's monthly series, into the app's caches; then load the
    charting library the Demand page needs, check the data files for the Data page, simplify
    the small areas for Access and run each plan's scenario for Plan. Most urgent first.
    Returns what was prepared, in order."""
    from planner.app import cache, components, views
    from planner.registry import plan_store

    done = []
    data = cache.planner_data()
    cache.analysis()
    views.tier_summary()
    views.worst_areas()
    need = next(iter(data.assumptions.needs))  # what the Overview shows first
    tier = next(iter(data.assumptions.needs[need].tier_specs))
    views.serious_findings(need, tier)
    key, build, _ = components.coverage_map_parts(data, need, tier)
    cache.map_description(key, build)
    done.append("overview")
    cache.trend(cache.data_key())  # the Demand page's monthly series
    import altair  # noqa: F401 (the Demand page's chart: its first import takes 3 s here)

    done.append("demand")
    cache.data_check()  # Data & assumptions: every file checked (seconds), kept
    done.append("data")
    cache.lsoa_map_layer()  # Access: the small-area shapes, simplified once
    done.append("access")
    for plan in plan_store.list_plans(cache.registry()):  # Plan: each plan's scenario
        cache.scenario(plan)
    done.append("plans")
    return done


def main(port: int = 8501, *, headless: bool = True) -> int:
    """Run the Streamlit server (blocks until it stops)."""
    from streamlit.web import cli as streamlit_cli

    threading.Thread(target=prepare, name="planner-prepare", daemon=True).start()
    sys.argv = [
        "streamlit",
        "run",
        str(APP),
        "--server.port",
        str(port),
        "--server.headless",
        "true" if headless else "false",
        "--browser.gatherUsageStats",
        "false",
    ]
    try:
        streamlit_cli.main()
    except SystemExit as done:
        return int(done.code or 0)
    return 0
