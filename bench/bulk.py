"""Bulk import of a national directory (issue 15): N Open Referral UK services, made by copying
the demonstration registry's export under new ids, imported into a new SQLite file and a
throw-away PostgreSQL database, then imported again (every service an update). Prints the
seconds of each step; asserts nothing.

    .venv/bin/python bench/bulk.py [--services 20000] [--no-postgres]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from planner.registry.auth import SYSTEM
from planner.registry.demo import load_demo
from planner.registry.oruk_export import oruk_export
from planner.registry.oruk_import import oruk_to_records, read_oruk_json
from planner.registry.service import Registry
from planner.registry.setup import validation_context
from planner.settings import load_settings
from planner.sources.boundaries import load_area_boundaries


def directory(n: int) -> bytes:
    """An ORUK file of ``n`` services: the demonstration registry copied under new ids."""
    ctx = validation_context()
    with tempfile.TemporaryDirectory() as folder:
        registry = Registry.open(ctx, f"sqlite:///{folder}/demo.sqlite")
        load_demo(registry, load_area_boundaries(load_settings().data_dir, ctx.area_set))
        records = registry.services(actor=SYSTEM)
        orgs = registry.organisations().to_dict("records")
        registry.engine.dispose()
    payload, _ = oruk_export(records, orgs, ctx)
    out = []
    for i in range(n):
        service = copy.deepcopy(payload[i % len(payload)])
        copy_no = i // len(payload)
        service["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{service['id']}/{copy_no}"))
        service["name"] = f"{service['name']} ({copy_no})"
        extension = service.get("x_planner") or {}
        renamed = {}
        for sal in service.get("service_at_locations") or []:
            location = sal.get("location") or {}
            old = location.get("id")
            renamed[old] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{old}/{copy_no}"))
            location["id"] = renamed[old]
        for site in extension.get("sites") or []:
            site["id"] = renamed.get(site["id"], site["id"])
        for contract in extension.get("contracts") or []:
            contract["id"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{contract['id']}/{copy_no}"))
        out.append(service)
    return json.dumps(out).encode()


def run(name: str, url: str, data: bytes) -> None:
    ctx = validation_context()
    registry = Registry.open(ctx, url)
    times = {}
    start = time.perf_counter()
    mapped = oruk_to_records(read_oruk_json(data, "national.json"), ctx)
    times["read and map"] = time.perf_counter() - start
    for label in ("import (new)", "import again (updates)"):
        start = time.perf_counter()
        result = registry.import_records(
            SYSTEM, mapped.organisations, mapped.services, source="national.json"
        )
        times[label] = time.perf_counter() - start
    count = len(registry.services(statuses=None, actor=SYSTEM))
    registry.engine.dispose()
    cells = ", ".join(f"{k} {v:.1f} s" for k, v in times.items())
    print(f"{name:<11} {cells}; {count:,} services stored ({result})")


def command_line(folder: Path, data: bytes) -> None:
    """``planner registry import national.json`` as a person runs it, into a new registry."""
    source = folder / "national.json"
    source.write_bytes(data)
    planner = Path(sys.executable).parent / "planner"
    env = {**os.environ, "XDG_DATA_HOME": str(folder / "xdg")}
    env.pop("DATABASE_URL", None)
    subprocess.run(
        [planner, "registry", "init", "--no-demo"], env=env, check=True, capture_output=True
    )
    start = time.perf_counter()
    done = subprocess.run(
        [planner, "registry", "import", str(source)], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    last = (done.stdout or done.stderr).strip().splitlines()[-1][:100]
    print(f"{'CLI':<11} planner registry import national.json: {seconds:.1f} s ({last})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", type=int, default=20_000)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    data = directory(args.services)
    print(f"{args.services:,} Open Referral UK services, {len(data) / 1e6:.0f} MB")
    with tempfile.TemporaryDirectory() as folder:
        run("SQLite", f"sqlite:///{folder}/bulk.sqlite", data)
        command_line(Path(folder), data)
    if args.no_postgres:
        return 0
    try:
        from tests.pgserver import create_database, temporary_postgres

        with temporary_postgres() as server:
            run("PostgreSQL", create_database(server, "bulk"), data)
    except RuntimeError as exc:
        print(f"PostgreSQL  skipped: {exc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
