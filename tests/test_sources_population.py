import csv

import pytest

from planner.errors import DataFileError
from planner.sources.population import (
    CENSUS_FILE,
    SAPE_FILE,
    load_area_population,
    load_lsoa_population,
)


def test_census_population_matches_the_raw_file(data_dir, area_set):
    with open(data_dir / CENSUS_FILE, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    raw_total = sum(int(r["Observation"]) for r in rows)
    lsoa = load_lsoa_population(data_dir, area_set)
    assert lsoa["population"].sum() == raw_total == 8_799_746
    assert len(lsoa) == 4994
    one = lsoa.set_index("lsoa_code").loc[rows[0]["Lower layer Super Output Areas Code"]]
    first = [
        r
        for r in rows
        if r["Lower layer Super Output Areas Code"]
        == rows[0]["Lower layer Super Output Areas Code"]
    ]
    assert one["population"] == sum(int(r["Observation"]) for r in first)
    assert one["population_16plus"] == sum(
        int(r["Observation"]) for r in first if r["Age (5 categories) Code"] != "1"
    )


def test_women_16plus_is_census_16plus_times_mid2020_female_share(data_dir, area_set):
    females = persons = 0
    with open(data_dir / SAPE_FILE, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["LAD11CD"] == "E09000033":  # Westminster
                for age in ("16-29", "30-44", "45-64", "65+"):
                    females += int(r[f"Females_{age}"])
                    persons += int(r[f"Persons_{age}"])
    pop = load_area_population(data_dir, area_set).set_index("area_code")
    westminster = pop.loc["E09000033"]
    assert westminster["women_16plus"] == round(
        westminster["population_16plus"] * females / persons
    )
    assert westminster["population"] == 204_229  # SOURCES.md: Census 2021, revised down
    assert "estimate" in westminster["women_16plus_vintage"]
    assert len(pop) == 33 and (pop["population"] > 0).all()


def test_wrong_encoding_names_the_line(data_copy, area_set):
    text = "Lower layer Super Output Areas Code,Lower layer Super Output Areas,"
    text += "Age (5 categories) Code,Age (5 categories),Observation\n"
    text += "E01000001,City of London 001A,1,Aged 15 years and under,125\n"
    bad = text.encode() + "E01000001,Ca\u00f1ada,2,x,3\n".encode("latin-1")
    root = data_copy({CENSUS_FILE: bad})
    with pytest.raises(DataFileError, match=r"row 3: not UTF-8 text \(byte 0xf1 at line 3\)"):
        load_lsoa_population(root, area_set)


def test_empty_file(data_copy, area_set):
    root = data_copy({CENSUS_FILE: b""})
    with pytest.raises(DataFileError, match=r"census2021.*: the file is empty"):
        load_lsoa_population(root, area_set)


def test_missing_column_and_bad_counts_reported_together(data_copy, area_set):
    root = data_copy(
        {
            SAPE_FILE: b"LSOA11CD,LAD11CD,Females_16-29\nE01000001,E09000001,x\n",
        }
    )
    with pytest.raises(DataFileError) as err:
        load_area_population(root, area_set)
    text = str(err.value)
    assert "column 'Females_30-44': missing column" in text
    assert "column 'Persons_65+': missing column" in text


def test_non_numeric_count_names_row_and_column(data_copy, area_set):
    header = "Lower layer Super Output Areas Code,Lower layer Super Output Areas,"
    header += "Age (5 categories) Code,Age (5 categories),Observation\n"
    body = "E01000001,A,1,a,12\nE01000001,A,2,a,lots\nE01000001,A,3,a,-4\n"
    root = data_copy({CENSUS_FILE: (header + body).encode()})
    with pytest.raises(DataFileError) as err:
        load_lsoa_population(root, area_set)
    text = str(err.value)
    assert "row 3, column 'Observation': expected a whole number of 0 or more, found 'lots'" in text
    assert "row 4, column 'Observation'" in text
