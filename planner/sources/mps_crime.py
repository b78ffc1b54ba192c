"""MPS recorded crime by borough and month ("MPS Recorded Crime: Geographic Breakdown").

Publisher: Metropolitan Police Service via the London Datastore, OGL v2.0. The datastore
publishes a historical file (2010-04 to 2024-02) and a rolling "most recent 24 months" file
that is re-issued monthly with revisions. This loader reads every release it finds, wide
(one column per month), in either the old (majortext/minortext/boroughname) or the new
(Group/SubGroup/BOCU) column names, and stitches them: for each month the newest release
that covers it wins.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from planner.areas import AreaSet
from planner.errors import UnknownAreaError
from planner.sources._files import ProblemLog, check_counts, glob_required, read_table

FOLDER = "crime"
PATTERNS = ("mps_borough_level_crime_*.csv", "mps_borough_level_crime_*.parquet")
VICTIM_CATEGORIES = ("HOMICIDE", "RAPE", "OTHER SEXUAL OFFENCES")

_NAME_SETS = (
    ("majortext", "minortext", "boroughname"),
    ("Group", "SubGroup", "BOCU"),
)
_MONTH = re.compile(r"^(19|20)\d{2}(0[1-9]|1[0-2])$")


def _read_release(path: Path, log: ProblemLog) -> pd.DataFrame | None:
    raw = read_table(path, log, dtype=str)
    if raw.empty:
        return None
    names = next((n for n in _NAME_SETS if set(n) <= set(raw.columns)), None)
    if names is None:
        log.add(
            path,
            "expected columns majortext, minortext, boroughname (or Group, SubGroup, BOCU) "
            f"before the month columns; found {', '.join(map(str, raw.columns[:5]))}",
        )
        return None
    months = [c for c in raw.columns if _MONTH.match(str(c))]
    others = [c for c in raw.columns if c not in months and c not in names]
    for col in others:
        log.add(path, "unexpected column: month columns must be named YYYYMM", column=str(col))
    if not months:
        log.add(path, "no month columns (YYYYMM) found")
        return None
    frame = raw.rename(
        columns={names[0]: "major_category", names[1]: "minor_category", names[2]: "borough"}
    )
    frame = check_counts(frame, path, months, log)
    dupes = frame.duplicated(["major_category", "minor_category", "borough"])
    for i in frame.index[dupes][:10]:
        log.add(path, "the same category and borough appear twice", row=int(i) + 2)
    long = frame.melt(
        id_vars=["major_category", "minor_category", "borough"],
        value_vars=months,
        var_name="yyyymm",
        value_name="offences",
    )
    long["month"] = long["yyyymm"].str.slice(0, 4) + "-" + long["yyyymm"].str.slice(4, 6)
    long["source"] = path.name
    long["row"] = long.index % len(frame) + 2
    return long.drop(columns="yyyymm")


def load_mps_borough_crime(
    data_dir: Path,
    area_set: AreaSet,
    *,
    categories: tuple[str, ...] | None = VICTIM_CATEGORIES,
) -> pd.DataFrame:
    """Monthly offences: ``month, area_code, borough, major_category, minor_category, offences,
    source``. ``area_code`` is empty for police rows that are not areas (kept for totals)."""
    paths = glob_required(data_dir, FOLDER, PATTERNS)
    log = ProblemLog()
    releases = [(p, r) for p in paths if (r := _read_release(p, log)) is not None]
    log.raise_if_any()
    # newest release = the one whose last month is latest; it wins every month it covers
    releases.sort(key=lambda pr: (pr[1]["month"].max(), pr[1]["month"].min()))
    owner: dict[str, str] = {}
    for path, release in releases:
        for month in release["month"].unique():
            owner[month] = path.name
    combined = pd.concat([r for _, r in releases], ignore_index=True)
    combined = combined[combined["source"].to_numpy() == combined["month"].map(owner).to_numpy()]
    if categories is not None:
        combined = combined[combined["minor_category"].str.upper().isin(categories)]
    codes: dict[str, str | None] = {}
    for name in combined["borough"].unique():
        if area_set.is_non_area(name):
            codes[name] = None
            continue
        try:
            codes[name] = area_set.resolve(name)
        except UnknownAreaError as exc:
            first = combined[combined["borough"] == name].iloc[0]
            log.add(first["source"], str(exc), row=int(first["row"]), column="borough")
    log.raise_if_any()
    combined["area_code"] = combined["borough"].map(codes)
    cols = [
        "month",
        "area_code",
        "borough",
        "major_category",
        "minor_category",
        "offences",
        "source",
    ]
    return combined[cols].sort_values(cols[:5]).reset_index(drop=True)
