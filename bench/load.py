"""Load on the registry: many writers on one service, and many imports of the same file at once,
on SQLite and on a throw-away PostgreSQL server (issue 15).

Each writer reads the service, adds 1 to its capacity and saves with the version it read; a
refused save (someone else saved first, or the database was busy) is a conflict and the
writer tries again, up to a limit. At the end the capacity must equal the number of saves
that succeeded: any difference is a lost update. Anything other than a success or a
ConflictError is counted as an error (by kind), and a Python exception that is not the
planner's own as unhandled.

    .venv/bin/python bench/load.py [--writers 50] [--updates 4] [--imports 10]
"""

from __future__ import annotations

import argparse
import collections
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner.errors import PlannerError
from planner.registry.auth import SYSTEM
from planner.registry.base import ConflictError
from planner.registry.service import Registry
from planner.registry.setup import validation_context

SERVICE = {
    "id": "load-test",
    "organisation_id": "load-org",
    "name": "Load test service",
    "service_type": "idva",
    "referral_route": "self_referral",
    "without_police_report": "yes",
    "needs": ["domestic_abuse"],
    "stages": ["immediate"],
    "areas": ["Croydon"],
    "capacity_per_year": 0,
}
RETRIES = 200


def outcome(action) -> str:
    """What one try came to: success, conflict, the planner's error, or unhandled."""
    try:
        action()
        return "success"
    except ConflictError:
        return "conflict"
    except PlannerError as exc:
        return f"error: {type(exc).__name__}"
    except Exception as exc:
        return f"unhandled: {type(exc).__name__}"


def summary(counts: collections.Counter) -> dict:
    return {
        "success": counts["success"],
        "conflict": counts["conflict"],
        "errors": {k: v for k, v in counts.items() if k.startswith("error")},
        "unhandled": {k: v for k, v in counts.items() if k.startswith("unhandled")},
    }


def race(n: int, target) -> float:
    """Run ``target`` in ``n`` threads at once; the seconds it took."""
    threads = [threading.Thread(target=target) for _ in range(n)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - start


def writers(registry: Registry, n: int, m: int) -> dict:
    counts: collections.Counter = collections.Counter()
    lock = threading.Lock()
    service_id = registry.create_service(SYSTEM, dict(SERVICE))["id"]

    def add_one() -> None:
        current = registry.get_service(service_id, actor=SYSTEM)
        raw = {**SERVICE, "capacity_per_year": current["capacity_per_year"] + 1}
        registry.update_service(SYSTEM, service_id, raw, expected_version=current["version"])

    def write() -> None:
        done = 0
        for _ in range(m * RETRIES):
            if done == m:
                return
            result = outcome(add_one)
            done += result == "success"
            with lock:
                counts[result] += 1

    seconds = race(n, write)
    final = registry.get_service(service_id, actor=SYSTEM)["capacity_per_year"]
    return {**summary(counts), "seconds": seconds, "lost": counts["success"] - final}


def imports(registry: Registry, k: int, services: int = 20) -> dict:
    rows = [
        (f"Services row {i + 2}", {**SERVICE, "id": f"imp-{i}", "name": f"Imported {i}"})
        for i in range(services)
    ]
    orgs = [("Organisations row 2", {"id": "load-org", "name": "Load organisation"})]
    counts: collections.Counter = collections.Counter()
    lock = threading.Lock()

    def run() -> None:
        result = outcome(lambda: registry.import_records(SYSTEM, orgs, rows, source="load.xlsx"))
        with lock:
            counts[result] += 1

    race(k, run)
    return {
        **summary(counts),
        "services stored": len(registry.services(statuses=None, actor=SYSTEM)),
    }


def run(name: str, url: str, args) -> None:
    registry = Registry.open(validation_context(), url)
    registry.save_organisation(SYSTEM, {"id": "load-org", "name": "Load organisation"})
    w = writers(registry, args.writers, args.updates)
    i = imports(registry, args.imports)
    registry.engine.dispose()
    print(
        f"{name:<11} writers {args.writers} x {args.updates}: {w['success']:>5} saved, "
        f"{w['conflict']:>6} conflicts (retried), errors {w['errors'] or 0}, "
        f"unhandled {w['unhandled'] or 0}, lost updates {w['lost']}, {w['seconds']:.1f} s"
    )
    print(
        f"{'':<11} imports {args.imports} at once of the same 20 services: {i['success']} "
        f"imported, {i['conflict']} conflicts, errors {i['errors'] or 0}, unhandled "
        f"{i['unhandled'] or 0}; {i['services stored']} services stored"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writers", type=int, default=50)
    parser.add_argument("--updates", type=int, default=4)
    parser.add_argument("--imports", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        run("SQLite", f"sqlite:///{folder}/load.sqlite", args)
    try:
        from tests.pgserver import create_database, temporary_postgres

        with temporary_postgres() as server:
            run("PostgreSQL", create_database(server, "load"), args)
    except RuntimeError as exc:
        print(f"PostgreSQL     skipped: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
