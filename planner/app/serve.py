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
    """Load the data, open the registry, run today's analysis and draw what the Overview
    shows first, into the app's caches."""
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
        from planner.app import cache, components, views

        data = cache.planner_data()
        cache.analysis()
        views.tier_summary()
        views.worst_areas()
        need = next(iter(data.assumptions.needs))  # what the Overview shows first
        tier = next(iter(data.assumptions.needs[need].tier_specs))
        views.serious_findings(need, tier)
        key, build, _ = components.coverage_map_parts(data, need, tier)
        cache.map_description(key, build)
    except Exception as exc:  # the first page shows it as a message
        log.info("the app's data were not prepared at start: %s", exc)
    finally:
        quiet.setLevel(level)


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
