"""Sign-in timing (issue 15): a known user name with a wrong password, an unknown user name,
and the right password should take about as long as each other, so timing does not tell
which names exist. Prints the median of several tries of each (fresh names, so the lockout
does not shorten anything).

    .venv/bin/python bench/signin.py [--tries 7]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner.errors import PlannerError
from planner.registry.auth import SYSTEM
from planner.registry.service import Registry
from planner.registry.setup import validation_context
from planner.settings import load_settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tries", type=int, default=7)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp())
    registry = Registry.open(
        validation_context(load_settings()), f"sqlite:///{folder / 'registry.sqlite'}"
    )
    names = [f"user{i}" for i in range(args.tries)]
    for name in names:
        registry.add_user(SYSTEM, name, "the right password", "viewer")

    def timed(name: str, password: str) -> float:
        start = time.perf_counter()
        with contextlib.suppress(PlannerError):
            registry.authenticate(name, password)
        return time.perf_counter() - start

    rows = {
        "known name, wrong password": [timed(n, "a wrong password") for n in names],
        "unknown name": [timed(f"nobody{i}", "a wrong password") for i in range(args.tries)],
        "known name, right password": [timed(n, "the right password") for n in names],
    }
    print(f"{'sign-in attempt':<30} {'median ms':>10} {'min ms':>8} {'max ms':>8}")
    for label, times in rows.items():
        ms = [t * 1000 for t in times]
        print(f"{label:<30} {statistics.median(ms):>10.1f} {min(ms):>8.1f} {max(ms):>8.1f}")


if __name__ == "__main__":
    main()
