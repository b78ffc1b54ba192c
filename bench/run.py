"""Benchmarks: wall time and peak memory of each stage, London (real data, demonstration
registry) and a synthetic national set; then what a person feels (`browser.py`: the app in
Chromium, the cold command line, each beside its BRIEF §9 bar). Run with `make bench`.
Prints tables; asserts nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from national import national

from planner.analysis import demand_for
from planner.coverage import analyse
from planner.coverage.access import project_sites, two_stage_fca
from planner.datasets import load_need_series, load_planner_data, load_small_areas
from planner.registry.demo import load_demo
from planner.registry.service import Registry
from planner.registry.setup import validation_context
from planner.settings import load_settings
from planner.sources.boundaries import map_layer

AS_OF = dt.date(2026, 11, 29)


def measure(
    label: str, fn: Callable[[], object], rows: list, *, repeat: int = 3, memory: bool = True
) -> object:
    best = float("inf")
    result = None
    for _ in range(repeat):  # timings without tracing, which slows Python code down
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    peak = float("nan")
    if memory:
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    rows.append((label, best, peak))
    return result


def table(title: str, rows: list) -> None:
    print(f"\n{title}")
    print(f"{'stage':<58} {'best s':>8} {'peak MiB':>9}")
    for label, seconds, mib in rows:
        print(f"{label:<58} {seconds:>8.3f} {mib:>9.1f}")


def london() -> None:
    settings = load_settings()
    rows: list = []
    data = load_planner_data(settings)
    d, a = data.data_dir, data.area_set
    measure(
        "load need series (MPS, dashboard, STATS19)",
        lambda: load_need_series(d, a, data.boundaries),
        rows,
        repeat=1,
    )
    demand = measure(
        "demand table (33 areas x 5 needs)",
        lambda: demand_for(data),
        rows,
        repeat=5,
    )
    small = measure(
        "small areas (4,994 LSOAs as points)", lambda: load_small_areas(d, a), rows, repeat=1
    )
    folder = tempfile.mkdtemp()
    registry = Registry.open(validation_context(settings), f"sqlite:///{folder}/bench.sqlite")
    measure(
        "demo registry import (154 services, SQLite)",
        lambda: load_demo(registry, data.boundaries, today=AS_OF),
        rows,
        repeat=1,
        memory=False,
    )
    tables = measure("registry tables (approved services)", lambda: registry.tables(), rows)
    points = project_sites(tables.sites)
    measure(
        "analysis without access",
        lambda: analyse(demand, tables, data.assumptions, as_of=AS_OF),
        rows,
        repeat=7,
    )
    result = measure(
        "full analysis (with access and 2SFCA)",
        lambda: analyse(
            demand, tables, data.assumptions, as_of=AS_OF, small_areas=small, site_points=points
        ),
        rows,
        repeat=7,
    )
    layer = measure(
        "map layer (simplify_coverage, EPSG:4326)", lambda: map_layer(data.boundaries), rows
    )
    from planner.coverage.ranking import map_rows
    from planner.maps import coverage_map

    worst = map_rows(result, "domestic_abuse")
    html = measure(
        "coverage map HTML (domestic abuse, worst tier)",
        lambda: (
            coverage_map(layer, worst, title="Domestic abuse", red=0.5, amber=0.8)
            .get_root()
            .render()
        ),
        rows,
    )
    from planner.analysis import Analysis
    from planner.exports.gap_analysis import gap_analysis_workbook

    full = Analysis(demand, tables, result, AS_OF, True, small, points)
    workbook = measure(
        "gap analysis workbook (15 sheets)",
        lambda: gap_analysis_workbook(full, data),
        rows,
    )
    table(
        f"London: 33 areas, {len(tables.services)} services, {len(small):,} LSOAs "
        f"({os.cpu_count()} cores)",
        rows,
    )
    from planner.app.mapview import describe

    spec = describe(coverage_map(layer, worst, title="Domestic abuse", red=0.5, amber=0.8))
    shapes = spec["shapes"]
    per_click = {**spec, "shapes": {k: v for k, v in shapes.items() if k != "geometry"}}
    print(f"{'exported map page (HTML bytes)':<58} {len(html.encode()):>8,}")
    print(f"{'app map: shapes, fetched once per map (bytes)':<58} {len(shapes['geometry']):>8,}")
    print(f"{'app map: sent on each rerun (JSON bytes)':<58} {len(json.dumps(per_click)):>8,}")
    print(f"{'gap analysis workbook size (bytes)':<58} {len(workbook):>8,}")
    versus_access(small, tables, points, result)


def versus_access(small, tables, points, result) -> None:
    try:
        import access
    except ImportError:
        print("\nPySAL access is not installed: 2SFCA comparison skipped")
        return
    shares = result.shares
    supply = (
        shares[shares["need"] == "domestic_abuse"].groupby("service_id")["capacity_share"].sum()
    )
    sites = points.merge(tables.sites[["id", "service_id"]], left_on="site_id", right_on="id")
    sites = sites[sites["service_id"].isin(supply.index)].reset_index(drop=True)
    sites["supply"] = sites["service_id"].map(supply) / sites["service_id"].map(
        sites["service_id"].value_counts()
    )
    origins, xy = small[["x", "y"]].to_numpy(), sites[["x", "y"]].to_numpy()
    pop, sup = small["population"].to_numpy(float), sites["supply"].to_numpy(float)
    rows: list = []
    ours = measure(
        "ours: two_stage_fca (pairs within 5 km)",
        lambda: two_stage_fca(pop, origins, sup, xy, 5000.0),
        rows,
        repeat=20,
    )

    def theirs():
        dx = origins[:, 0, None] - xy[None, :, 0]
        dy = origins[:, 1, None] - xy[None, :, 1]
        cost = pd.DataFrame(
            {
                "origin": np.repeat(small["lsoa_code"].to_numpy(), len(xy)),
                "dest": np.tile(sites["site_id"].to_numpy(), len(origins)),
                "cost": np.hypot(dx, dy).ravel(),
            }
        )
        demand_df = pd.DataFrame({"geoid": small["lsoa_code"], "demand": small["population"]})
        supply_df = pd.DataFrame({"supply": sup}, index=pd.Index(sites["site_id"], name="geoid"))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return access.fca.two_stage_fca(demand_df, supply_df, cost, max_cost=5000.0)

    other = measure(
        "PySAL access.two_stage_fca (all pairs as rows, cost table built)", theirs, rows, repeat=3
    )
    table(f"2SFCA, London domestic abuse: {len(origins):,} LSOAs x {len(xy)} sites", rows)
    diff = np.abs(ours - other.reindex(small["lsoa_code"]).fillna(0).to_numpy()).max()
    print(f"{'speed-up (access time / our time)':<58} {rows[1][1] / rows[0][1]:>8.0f}x")
    print(f"{'largest difference':<58} {diff:>8.1e}")


def nation() -> None:
    rows: list = []
    start = time.perf_counter()
    demand, tables, small, points = national()
    print(f"\nsynthetic national set built in {time.perf_counter() - start:.1f} s")
    from planner.assumptions import load_assumptions
    from planner.settings import REPO_ROOT

    assumptions = load_assumptions(REPO_ROOT / "data" / "assumptions.toml")
    measure(
        "analysis without access",
        lambda: analyse(demand, tables, assumptions, as_of=AS_OF),
        rows,
        repeat=3,
    )
    result = measure(
        "full analysis (with access and 2SFCA)",
        lambda: analyse(
            demand, tables, assumptions, as_of=AS_OF, small_areas=small, site_points=points
        ),
        rows,
        repeat=3,
    )
    table(
        f"National (synthetic): 330 areas, {len(tables.services):,} services, "
        f"{len(small):,} small areas, {len(points):,} sites",
        rows,
    )
    print(f"{'flags raised':<58} {len(result.flags):>8,}")
    per_need = len(points) // 3
    cells = len(small) * per_need
    print(
        f"{'an all-pairs cost table for one need would hold':<58} {cells:>8.1e} rows "
        f"(~{cells * 24 / 2**30:,.0f} GiB): PySAL access cannot run at this scale"
    )


if __name__ == "__main__":
    import browser

    london()
    nation()
    browser.main([])  # the app in Chromium and the cold command line, beside BRIEF §9
