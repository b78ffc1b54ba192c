"""MPS Monthly Crime Dashboard: domestic abuse and hate crime offences by borough and month.

Publisher: Metropolitan Police Service via the London Datastore ("MPS Monthly Crime Dashboard
Data", resource MPS_MonthlyCrimeDashboard_OtherCrimeData), OGL v2.0. Read as published in
Parquet (or CSV with the same columns). Only ``area_type == 'Borough'`` and the ``Offences``
measure are used.

Hate crime strands overlap (racist and religious includes racist and faith; faith includes
antisemitic and Islamophobic; one offence can carry several flags): never add them. A
borough-month with no row for a strand has no recorded offences: it is filled with 0.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from planner.areas import AreaSet
from planner.errors import UnknownAreaError
from planner.sources._files import (
    ProblemLog,
    check_columns,
    check_counts,
    read_table,
    require_files,
)

DASHBOARD_FILE = "crime/mps_monthly_crime_dashboard_othercrime_202108_202507.parquet"
COLUMNS = [
    "month_year",
    "area_type",
    "borough_snt",
    "crime_type",
    "crime_subtype",
    "measure",
    "count",
]

DOMESTIC_ABUSE = "Domestic Abuse"
HATE_CRIME = "Hate crime"
HATE_STRANDS = {
    "hate crime": "all hate crime",
    "racist and religious crime": "racist and religious",
    "racist crime": "racist",
    "faith crime": "faith",
    "antisemitic": "antisemitic",
    "islamophobic crime": "Islamophobic",
    "homophobic crime": "sexual orientation (homophobic)",
    "transphobic crime": "transgender (transphobic)",
    "disability crime": "disability",
}


def _month(values: pd.Series, path: Path, log: ProblemLog) -> pd.Series:
    parsed = pd.to_datetime(values, errors="coerce")
    for i in values.index[parsed.isna()][:10]:
        log.add(path, f"not a month: {values[i]!r}", row=int(i) + 1, column="month_year")
    return parsed.dt.strftime("%Y-%m")


def load_dashboard_offences(data_dir: Path, area_set: AreaSet, *, crime_type: str) -> pd.DataFrame:
    """Borough offences of one crime type: ``month, area_code, borough, subtype, offences``.

    ``area_code`` is empty for rows that are not an area (e.g. 'Other / NK'); they stay in
    London totals. Several source rows for the same key are summed.
    """
    (path,) = require_files(data_dir, [DASHBOARD_FILE])
    log = ProblemLog()
    raw = read_table(path, log)
    if raw.empty or not check_columns(raw, path, COLUMNS, log):
        log.raise_if_any()
    rows = raw[(raw["area_type"] == "Borough") & (raw["measure"] == "Offences")]
    rows = rows[rows["crime_type"].str.casefold() == crime_type.casefold()]
    if rows.empty:
        log.add(
            path, f"no borough 'Offences' rows for crime type {crime_type!r}", column="crime_type"
        )
    rows = check_counts(rows, path, ["count"], log, header_rows=0)
    months = _month(rows["month_year"], path, log)
    codes: dict[str, str | None] = {}
    for name in rows["borough_snt"].dropna().unique():
        if area_set.is_non_area(name):
            codes[name] = None
            continue
        try:
            codes[name] = area_set.resolve(name)
        except UnknownAreaError as exc:
            first = rows.index[rows["borough_snt"] == name][0]
            log.add(path, str(exc), row=int(first) + 1, column="borough_snt")
    log.raise_if_any()
    frame = pd.DataFrame(
        {
            "month": months,
            "borough": rows["borough_snt"].fillna("Other / NK"),
            "subtype": rows["crime_subtype"].str.strip().str.casefold(),
            "offences": rows["count"],
        }
    )
    frame = frame.groupby(["month", "borough", "subtype"], as_index=False)["offences"].sum()
    frame["area_code"] = frame["borough"].map(codes)
    return frame[["month", "area_code", "borough", "subtype", "offences"]]


def load_domestic_abuse(data_dir: Path, area_set: AreaSet) -> pd.DataFrame:
    """Monthly domestic-abuse-flagged offences: ``month, area_code, borough, offences``."""
    frame = load_dashboard_offences(data_dir, area_set, crime_type=DOMESTIC_ABUSE)
    total = frame[frame["subtype"] == "domestic abuse"]
    return total.drop(columns="subtype").reset_index(drop=True)


def load_hate_crime(data_dir: Path, area_set: AreaSet) -> pd.DataFrame:
    """Monthly hate crime offences by strand, 0 filled: ``month, area_code, strand, offences``.

    Areas only (rows that are not an area are dropped here; use :func:`load_dashboard_offences`
    for London totals). Strands overlap: the ``all hate crime`` strand is the total.
    """
    frame = load_dashboard_offences(data_dir, area_set, crime_type=HATE_CRIME)
    frame = frame[frame["subtype"].isin(HATE_STRANDS)]
    frame = frame.assign(strand=frame["subtype"].map(HATE_STRANDS))
    policed = [a.code for a in area_set.areas if area_set.police_covered(a.code)]
    grid = pd.MultiIndex.from_product(
        [sorted(frame["month"].unique()), policed, list(HATE_STRANDS.values())],
        names=["month", "area_code", "strand"],
    )
    filled = (
        frame.dropna(subset=["area_code"])
        .groupby(["month", "area_code", "strand"])["offences"]
        .sum()
        .reindex(grid, fill_value=0)
        .reset_index()
    )
    return filled
