"""Start the app (``planner app``, which ``make app`` runs): today's analysis first, then the
Streamlit server, so the first person to open the app does not wait for it (issue 14).

Before the server listens, :func:`warm_first` loads the data, runs today's analysis and draws
what the Overview shows first, into the same caches the pages read
(:mod:`planner.app.cache`; resources, which need no running server). Once the server runs,
:func:`warm_later` prepares each other page's slow first step on a thread of its own, one
step at a time and only when no page has started for five seconds: on two cores, preparing
while people click made their clicks slower (measured), so it waits. A problem in either is
left for the first page to show as a message, never a traceback.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path

APP = Path(__file__).resolve().parent / "app.py"
log = logging.getLogger("planner.app")
_LAST_RUN = [0.0]


def touch() -> None:
    """A page has started to run (the app calls this on every run)."""
    _LAST_RUN[0] = time.monotonic()


def _when_quiet(quiet_s: float, limit_s: float = 300.0) -> None:
    """Wait until no page has started for ``quiet_s`` (or ``limit_s`` has passed)."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() - _LAST_RUN[0] < quiet_s and time.monotonic() < deadline:
        time.sleep(0.2)


def warm_first() -> None:
    """Load the data, open the registry, run today's analysis and draw what the Overview
    shows first; load the charting library the Demand page needs (3 s to import here)."""
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
    import altair  # noqa: F401


def warm_later(quiet_s: float = 5.0) -> list[str]:
    """Each when no page has started for ``quiet_s``: check the data files for the Data page,
    simplify the small areas for Access, run each plan's scenario for Plan. Returns what was
    prepared, in order."""
    from planner.app import cache
    from planner.registry import plan_store

    done = []
    _when_quiet(quiet_s)
    cache.data_check()
    done.append("data")
    _when_quiet(quiet_s)
    cache.lsoa_map_layer()
    done.append("access")
    for plan in plan_store.list_plans(cache.registry()):
        _when_quiet(quiet_s)
        cache.scenario(plan)
    done.append("plans")
    return done


def _quietly(step, *args) -> None:
    """Run a preparation step outside any page: the caches' warning that no page is running
    is expected here, and a problem is the first page's to show."""
    quiet = [
        logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context"),
        logging.getLogger("streamlit.runtime.caching.cache_data_api"),
    ]
    levels = [logger.level for logger in quiet]
    for logger in quiet:
        logger.setLevel(logging.ERROR)
    try:
        step(*args)
    except Exception as exc:
        log.info("the app's data were not prepared at start: %s", exc)
    finally:
        for logger, level in zip(quiet, levels, strict=True):
            logger.setLevel(level)


def _later() -> None:
    from streamlit.runtime import Runtime

    deadline = time.monotonic() + 60
    while not Runtime.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    _quietly(warm_later)


def main(port: int = 8501, *, headless: bool = True) -> int:
    """Prepare today's analysis, then run the Streamlit server (blocks until it stops)."""
    print("Preparing today's analysis…", file=sys.stderr, flush=True)
    _quietly(warm_first)
    from streamlit.web import cli as streamlit_cli

    touch()  # the later steps wait for a quiet moment after the first person's first page
    threading.Thread(target=_later, name="planner-prepare", daemon=True).start()
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
