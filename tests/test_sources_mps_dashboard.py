import pandas as pd
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from planner.errors import DataFileError
from planner.sources.mps_dashboard import (
    DASHBOARD_FILE,
    HATE_STRANDS,
    load_dashboard_offences,
    load_domestic_abuse,
    load_hate_crime,
)


def arrow_total(data_dir, crime_type: str, subtype: str, year: str, area: str | None = None):
    """Independent computation with pyarrow compute on the raw Parquet."""
    t = pq.read_table(data_dir / DASHBOARD_FILE)
    mask = pc.and_(
        pc.equal(t["area_type"], "Borough"),
        pc.and_(
            pc.equal(t["measure"], "Offences"),
            pc.and_(
                pc.equal(pc.utf8_lower(t["crime_type"]), crime_type.lower()),
                pc.equal(pc.utf8_lower(t["crime_subtype"]), subtype.lower()),
            ),
        ),
    )
    mask = pc.and_(mask, pc.equal(pc.year(t["month_year"]), int(year)))
    if area:
        mask = pc.and_(mask, pc.equal(t["area_code"], area))
    return pc.sum(t.filter(mask)["count"]).as_py() or 0


def test_domestic_abuse_matches_raw_and_sources_md(data_dir, area_set):
    da = load_domestic_abuse(data_dir, area_set)
    in_2022 = da[da["month"].str.startswith("2022")]
    assert in_2022["offences"].sum() == 95_660  # SOURCES.md sanity check, London incl. Other / NK
    assert in_2022["offences"].sum() == arrow_total(
        data_dir, "Domestic Abuse", "Domestic Abuse", "2022"
    )
    lambeth = in_2022[in_2022["area_code"] == "E09000022"]["offences"].sum()
    assert lambeth == arrow_total(data_dir, "Domestic Abuse", "Domestic Abuse", "2022", "E09000022")
    assert da["month"].min() == "2021-08" and da["month"].max() == "2025-07"
    assert da["area_code"].dropna().nunique() == 32


def test_hate_crime_strands_are_zero_filled_and_never_added(data_dir, area_set):
    hate = load_hate_crime(data_dir, area_set)
    months = hate["month"].nunique()
    assert len(hate) == months * 32 * len(HATE_STRANDS)  # full grid: missing rows are 0
    trans = load_dashboard_offences(data_dir, area_set, crime_type="Hate crime")
    trans = trans[(trans["subtype"] == "transphobic crime") & trans["area_code"].notna()]
    assert len(trans) < months * 32  # the source really does omit zero rows
    per_strand = hate[hate["month"].str.startswith("2024")].groupby("strand")["offences"].sum()
    total = per_strand["all hate crime"]
    assert total == arrow_total(data_dir, "Hate crime", "Hate crime", "2024") - sum_non_areas(
        data_dir, area_set, "2024"
    )
    # strands overlap: racist + faith ≥ racist and religious, and strands sum above the total
    assert per_strand["racist"] + per_strand["faith"] >= per_strand["racist and religious"]
    assert per_strand.drop("all hate crime").sum() > total


def sum_non_areas(data_dir, area_set, year):
    frame = load_dashboard_offences(data_dir, area_set, crime_type="Hate crime")
    rows = frame[frame["area_code"].isna() & frame["month"].str.startswith(year)]
    return rows[rows["subtype"] == "hate crime"]["offences"].sum()


def test_london_hate_crime_2022_matches_sources_md(data_dir, area_set):
    frame = load_dashboard_offences(data_dir, area_set, crime_type="Hate crime")
    rows = frame[frame["month"].str.startswith("2022") & (frame["subtype"] == "hate crime")]
    assert rows["offences"].sum() == 24_026


def _parquet(frame: pd.DataFrame) -> bytes:
    import io

    buffer = io.BytesIO()
    frame.to_parquet(buffer)
    return buffer.getvalue()


def test_unknown_borough_and_missing_column(data_copy, area_set):
    bad = pd.DataFrame(
        {
            "month_year": pd.to_datetime(["2024-01-01", "2024-01-01"]),
            "area_type": ["Borough", "Borough"],
            "borough_snt": ["Lambeth", "Lamberth"],
            "crime_type": ["Domestic Abuse"] * 2,
            "crime_subtype": ["Domestic Abuse"] * 2,
            "measure": ["Offences"] * 2,
            "count": [10, 3],
        }
    )
    root = data_copy({DASHBOARD_FILE: _parquet(bad)})
    with pytest.raises(DataFileError, match=r"row 2, column 'borough_snt'.*'Lamberth'.*Lambeth"):
        load_domestic_abuse(root, area_set)
    root = data_copy({DASHBOARD_FILE: _parquet(bad.drop(columns="measure"))})
    with pytest.raises(DataFileError, match=r"column 'measure': missing column"):
        load_domestic_abuse(root, area_set)


def test_corrupt_parquet(data_copy, area_set, data_dir):
    truncated = (data_dir / DASHBOARD_FILE).read_bytes()[:20_000]
    root = data_copy({DASHBOARD_FILE: truncated})
    with pytest.raises(DataFileError, match=r"cannot be read as a table"):
        load_domestic_abuse(root, area_set)
