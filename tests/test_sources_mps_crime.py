import csv

import pytest

from planner.errors import DataFileError, MissingDataError
from planner.sources.mps_crime import load_mps_borough_crime

HISTORICAL = "crime/mps_borough_level_crime_historical_201004_202402.csv"
RECENT_A = "crime/mps_borough_level_crime_recent24m_202403_202602.csv"
RECENT_B = "crime/mps_borough_level_crime_recent24m_202407_202606.csv"


def raw_sum(path, month: str, minor: str, borough: str | None = None) -> int:
    """Independent reading of a wide MPS file with the csv module."""
    with open(path, encoding="utf-8") as f:
        reader = csv.DictReader(f)
        minor_col = "minortext" if "minortext" in reader.fieldnames else "SubGroup"
        borough_col = "boroughname" if "boroughname" in reader.fieldnames else "BOCU"
        return sum(
            int(r[month])
            for r in reader
            if r[minor_col] == minor and (borough is None or r[borough_col] == borough)
        )


@pytest.fixture(scope="module")
def crime(data_dir, area_set):
    return load_mps_borough_crime(data_dir, area_set)


def test_months_come_from_the_newest_release_that_covers_them(crime, data_dir):
    def london(month):
        rows = crime[(crime["month"] == month) & (crime["minor_category"] == "RAPE")]
        return rows["offences"].sum(), set(rows["source"])

    # 2024-07 is in both recent files: the newer (to 2026-06) wins; SOURCES.md: 719 vs 751
    total, sources = london("2024-07")
    assert total == raw_sum(data_dir / RECENT_B, "202407", "RAPE")
    assert total != raw_sum(data_dir / RECENT_A, "202407", "RAPE")
    assert sources == {RECENT_B.split("/")[1]}
    total, sources = london("2024-03")
    assert total == raw_sum(data_dir / RECENT_A, "202403", "RAPE")
    total, sources = london("2019-05")
    assert total == raw_sum(data_dir / HISTORICAL, "201905", "RAPE")
    assert sources == {HISTORICAL.split("/")[1]}


def test_series_is_continuous_without_duplicates(crime):
    months = sorted(crime["month"].unique())
    assert months[0] == "2010-04" and months[-1] == "2026-06" and len(months) == 195
    key = ["month", "borough", "minor_category"]
    assert not crime.duplicated(key).any()


def test_borough_names_resolve_and_non_areas_are_kept_for_totals(crime, data_dir):
    croydon = crime[(crime["area_code"] == "E09000008") & (crime["month"] == "2026-06")]
    homicide = croydon[croydon["minor_category"] == "HOMICIDE"]["offences"].sum()
    assert homicide == raw_sum(data_dir / RECENT_B, "202606", "HOMICIDE", "Croydon")
    assert crime["area_code"].isna().any()  # 'Unknown' rows, kept with no area
    assert crime["area_code"].dropna().nunique() == 32
    assert "E09000001" not in set(crime["area_code"])


def test_london_homicides_in_calendar_2024(crime, data_dir):
    """Independent stitching with the csv module: Jan-Feb historical, Mar-Jun the first recent
    release, Jul-Dec the newest. SOURCES.md's 108 took Jul-Dec from the older release; the
    newest release revised one homicide away."""
    expected = sum(raw_sum(data_dir / HISTORICAL, f"2024{m:02d}", "HOMICIDE") for m in (1, 2))
    expected += sum(raw_sum(data_dir / RECENT_A, f"2024{m:02d}", "HOMICIDE") for m in range(3, 7))
    expected += sum(raw_sum(data_dir / RECENT_B, f"2024{m:02d}", "HOMICIDE") for m in range(7, 13))
    rows = crime[crime["month"].str.startswith("2024") & (crime["minor_category"] == "HOMICIDE")]
    assert rows["offences"].sum() == expected == 107


def _wide(header: str, *rows: str) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


def test_unknown_borough_is_named_with_suggestions(data_copy, area_set):
    root = data_copy(
        {
            RECENT_B: _wide(
                "Group,SubGroup,BOCU,202607",
                "SEXUAL OFFENCES,RAPE,Croyden,4",
                "SEXUAL OFFENCES,RAPE,Unknown,1",
            )
        }
    )
    with pytest.raises(DataFileError) as err:
        load_mps_borough_crime(root, area_set)
    text = str(err.value)
    assert "mps_borough_level_crime_recent24m_202407_202606.csv, row 2" in text
    assert "Unknown borough 'Croyden'" in text and "Croydon" in text


def test_missing_column_and_bad_counts(data_copy, area_set):
    root = data_copy(
        {
            RECENT_A: _wide("majortext,boroughname,202403", "SEXUAL OFFENCES,Barnet,3"),
            RECENT_B: _wide("Group,SubGroup,BOCU,202607", "SEXUAL OFFENCES,RAPE,Barnet,three"),
        }
    )
    with pytest.raises(DataFileError) as err:
        load_mps_borough_crime(root, area_set)
    text = str(err.value)
    assert "expected columns majortext, minortext, boroughname" in text
    assert "row 2, column '202607': expected a whole number of 0 or more, found 'three'" in text


def test_no_crime_files(data_copy, area_set):
    root = data_copy({HISTORICAL: None, RECENT_A: None, RECENT_B: None})
    with pytest.raises(MissingDataError, match=r"crime/mps_borough_level_crime_\*"):
        load_mps_borough_crime(root, area_set)
