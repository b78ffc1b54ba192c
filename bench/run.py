"""Benchmarks: wall time and peak memory of each stage on the real London data.

Run with `make bench`. Prints a table; asserts nothing (speed is measured, not tested).
"""

from __future__ import annotations

import os
import time
import tracemalloc
from collections.abc import Callable

from planner.datasets import load_need_series, load_planner_data
from planner.demand import demand_table
from planner.maps import choropleth
from planner.settings import load_settings
from planner.sources.boundaries import load_area_boundaries, map_layer
from planner.sources.population import load_area_population


def measure(label: str, fn: Callable[[], object], rows: list, repeat: int = 3) -> object:
    best = float("inf")
    result = None
    for _ in range(repeat):  # timings without tracing, which slows Python code down
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rows.append((label, best, peak / 2**20))
    return result


def main() -> None:
    settings = load_settings()
    rows: list[tuple[str, float, float]] = []
    data = load_planner_data(settings)
    d, a = data.data_dir, data.area_set
    areas = measure("load area boundaries", lambda: load_area_boundaries(d, a), rows)
    measure("load population (Census 2021, mid-2020)", lambda: load_area_population(d, a), rows)
    measure(
        "load need series (MPS, dashboard, STATS19)",
        lambda: load_need_series(d, a, areas),
        rows,
        repeat=1,
    )
    table = measure(
        "demand table (33 areas x 5 needs)",
        lambda: demand_table(data.series, data.population, a.to_frame(), data.assumptions),
        rows,
        repeat=5,
    )
    layer = measure("map layer (simplify_coverage, EPSG:4326)", lambda: map_layer(areas), rows)
    rows_da = table[table["need"] == "domestic_abuse"]
    html = measure(
        "demand choropleth HTML",
        lambda: (
            choropleth(
                layer,
                rows_da.assign(note=rows_da["status"]),
                value_column="estimated",
                legend="Estimated",
                note_column="note",
            )
            .get_root()
            .render()
        ),
        rows,
    )
    print(f"machine: {os.cpu_count()} cores; data: {d}")
    print(f"{'stage':<46} {'best s':>8} {'peak MiB':>9}")
    for label, seconds, mib in rows:
        print(f"{label:<46} {seconds:>8.3f} {mib:>9.1f}")
    print(f"{'demand map payload (HTML bytes)':<46} {len(html.encode()):>8,}")


if __name__ == "__main__":
    main()
