"""Resident population: Census 2021 by LSOA (total, 16+) and ONS mid-2020 estimates by sex.

Census 2021 usual residents (ONS, OGL v3.0) give the population and the 16+ population. Census
2021 has no sex split in this file, so women aged 16+ is estimated as the Census 2021 16+
population × the mid-2020 female share of the 16+ population (ONS small area population
estimates, mid-2020, pre-Census series), and labelled as an estimate.
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
from planner.sources.boundaries import lsoa_area_lookup

CENSUS_FILE = "population/census2021_lsoa21_usual_residents_age5cat_london.csv"
SAPE_FILE = "population/ons_sape_mid2020_lsoa11_population_sex_broadage_london.csv"

POPULATION_VINTAGE = "ONS Census 2021, usual residents (21 March 2021)"
WOMEN_VINTAGE = (
    "estimate: Census 2021 residents aged 16+ × ONS mid-2020 female share of residents aged 16+"
)

_C_CODE = "Lower layer Super Output Areas Code"
_C_AGE = "Age (5 categories) Code"
_C_OBS = "Observation"
_SAPE_AGES_16PLUS = ["16-29", "30-44", "45-64", "65+"]


def load_lsoa_population(data_dir: Path, area_set: AreaSet) -> pd.DataFrame:
    """One row per 2021 LSOA: ``lsoa_code, area_code, population, population_16plus``."""
    (path,) = require_files(data_dir, [CENSUS_FILE])
    log = ProblemLog()
    raw = read_table(path, log, dtype={_C_CODE: str})
    if not raw.empty and check_columns(raw, path, [_C_CODE, _C_AGE, _C_OBS], log):
        raw = check_counts(raw, path, [_C_OBS, _C_AGE], log)
        bad_age = ~raw[_C_AGE].isin([1, 2, 3, 4, 5])
        for i in raw.index[bad_age][:20]:
            log.add(path, "age category code must be 1 to 5", row=int(i) + 2, column=_C_AGE)
    log.raise_if_any()
    lookup = lsoa_area_lookup(data_dir, area_set)
    wide = raw.pivot_table(
        index=_C_CODE, columns=_C_AGE, values=_C_OBS, aggfunc="sum", fill_value=0
    )
    out = pd.DataFrame(
        {
            "lsoa_code": wide.index.astype(str),
            "population": wide.sum(axis=1).to_numpy(),
            "population_16plus": wide.drop(columns=[1], errors="ignore").sum(axis=1).to_numpy(),
        }
    )
    out["area_code"] = out["lsoa_code"].map(lookup)
    unmatched = out.loc[out["area_code"].isna(), "lsoa_code"]
    for code in unmatched[:20]:
        log.add(path, f"LSOA {code} is not in the LSOA boundary layer", column=_C_CODE)
    log.raise_if_any()
    return out[["lsoa_code", "area_code", "population", "population_16plus"]].reset_index(drop=True)


def load_female_share_16plus(data_dir: Path, area_set: AreaSet) -> pd.DataFrame:
    """Per area: mid-2020 females 16+, persons 16+ and the female share of 16+ residents."""
    (path,) = require_files(data_dir, [SAPE_FILE])
    log = ProblemLog()
    raw = read_table(path, log, dtype={"LAD11CD": str, "LSOA11CD": str})
    females = [f"Females_{a}" for a in _SAPE_AGES_16PLUS]
    persons = [f"Persons_{a}" for a in _SAPE_AGES_16PLUS]
    if not raw.empty and check_columns(raw, path, ["LSOA11CD", "LAD11CD", *females, *persons], log):
        raw = check_counts(raw, path, females + persons, log)
        for i, name in raw["LAD11CD"].items():
            try:
                area_set.resolve(str(name))
            except UnknownAreaError as exc:
                log.add(path, str(exc), row=int(i) + 2, column="LAD11CD")
                break
    log.raise_if_any()
    grouped = (
        pd.DataFrame(
            {
                "area_code": raw["LAD11CD"],
                "females_16plus_mid2020": raw[females].sum(axis=1),
                "persons_16plus_mid2020": raw[persons].sum(axis=1),
            }
        )
        .groupby("area_code", as_index=False)
        .sum()
    )
    grouped["female_share_16plus"] = grouped["females_16plus_mid2020"] / grouped[
        "persons_16plus_mid2020"
    ].where(grouped["persons_16plus_mid2020"] > 0)
    return grouped


def load_area_population(data_dir: Path, area_set: AreaSet) -> pd.DataFrame:
    """Per area: ``population``, ``population_16plus``, ``women_16plus`` (estimate), vintages."""
    lsoa = load_lsoa_population(data_dir, area_set)
    share = load_female_share_16plus(data_dir, area_set)
    areas = area_set.to_frame()[["area_code", "area_name"]]
    totals = lsoa.groupby("area_code", as_index=False)[["population", "population_16plus"]].sum()
    out = areas.merge(totals, on="area_code", how="left").merge(
        share[["area_code", "female_share_16plus"]], on="area_code", how="left"
    )
    out[["population", "population_16plus"]] = (
        out[["population", "population_16plus"]].fillna(0).astype("int64")
    )
    out["women_16plus"] = (out["population_16plus"] * out["female_share_16plus"]).round()
    out["population_vintage"] = POPULATION_VINTAGE
    out["women_16plus_vintage"] = WOMEN_VINTAGE
    return out
