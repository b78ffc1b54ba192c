import math

import numpy as np
import pandas as pd
import pytest

from planner.datasets import load_need_series, series_from_police
from planner.demand import (
    DEMAND_COLUMNS,
    NeedSeries,
    demand_table,
    latest_window,
    month_range,
    parse_period,
    trend_table,
)
from planner.errors import PlannerError
from planner.sources.boundaries import load_area_boundaries
from planner.sources.population import load_area_population

# --- a tiny synthetic area set: three areas, one not policed -------------------------------

AREAS = pd.DataFrame(
    {
        "area_code": ["A1", "A2", "A3"],
        "area_name": ["Alpha", "Beta", "Gamma"],
        "police_data": [True, True, False],
        "police_force": ["Force", "Force", "Other Police"],
    }
)
POPULATION = pd.DataFrame(
    {
        "area_code": ["A1", "A2", "A3"],
        "population": [200_000, 0, 5_000],
        "women_16plus": [80_000, 0, 2_000],
    }
)


def series(need: str, months: list[str], per_month: dict[str, float]) -> NeedSeries:
    rows = [(a, m, per_month.get(a, 0.0)) for a in ("A1", "A2") for m in months]
    counts = pd.DataFrame(rows, columns=["area_code", "month", "recorded"])
    london = counts.groupby("month", as_index=False)["recorded"].sum()
    return NeedSeries(need, counts, tuple(months), london, source=f"test {need}")


def all_series(months, per_month=None):
    per_month = per_month or {"A1": 10.0, "A2": 2.0}
    return {
        n: series(n, months, per_month)
        for n in ("domestic_abuse", "sexual_violence", "homicide", "road_harm", "hate_crime")
    }


def test_month_helpers():
    assert month_range("2024-02", 3) == ["2023-12", "2024-01", "2024-02"]
    assert latest_window(month_range("2024-12", 24), 12) == month_range("2024-12", 12)
    assert latest_window(month_range("2024-12", 24), 12, "2024-06") == month_range("2024-06", 12)
    assert latest_window(month_range("2024-12", 11), 12) is None
    assert parse_period("2025-06") == "2025-06"
    for bad in ("2025-13", "25-06", "June", ""):
        with pytest.raises(PlannerError, match="YYYY-MM"):
            parse_period(bad)


def test_recorded_rates_and_estimates_by_hand(assumptions):
    table = demand_table(all_series(month_range("2025-12", 48)), POPULATION, AREAS, assumptions)
    assert list(table.columns) == DEMAND_COLUMNS
    assert len(table) == 3 * 5
    da = table[(table["need"] == "domestic_abuse")].set_index("area_code")
    # 10 a month for 12 months = 120; 120 / 200,000 × 100,000 = 60
    assert da.at["A1", "recorded"] == 120
    assert da.at["A1", "rate_per_100k"] == pytest.approx(60.0)
    assert da.at["A1", "rate_per_100k_women_16plus"] == pytest.approx(150.0)
    take_up = assumptions.needs["domestic_abuse"].take_up_share.value
    assert da.at["A1", "estimated"] == pytest.approx(120 / 0.189 * take_up)
    assert (da.at["A1", "period_start"], da.at["A1", "period_end"]) == ("2025-01", "2025-12")
    hate = table[table["need"] == "hate_crime"].set_index("area_code")
    assert hate.at["A1", "estimated"] == hate.at["A1", "recorded"] == 120
    assert math.isnan(hate.at["A1", "rate_per_100k_women_16plus"])


def test_zero_population_gives_no_rate_never_infinity(assumptions):
    table = demand_table(all_series(month_range("2025-12", 48)), POPULATION, AREAS, assumptions)
    beta = table[table["area_code"] == "A2"]
    assert beta["recorded"].eq(24).all()
    assert beta["rate_per_100k"].isna().all()
    assert not np.isinf(table[["rate_per_100k", "rate_per_100k_women_16plus"]].to_numpy()).any()


def test_unpoliced_area_is_not_assessed_for_police_needs_not_zero(assumptions):
    table = demand_table(all_series(month_range("2025-12", 48)), POPULATION, AREAS, assumptions)
    gamma = table[table["area_code"] == "A3"].set_index("need")
    for need in ("domestic_abuse", "sexual_violence", "homicide", "hate_crime"):
        assert math.isnan(gamma.at[need, "recorded"])
        assert math.isnan(gamma.at[need, "estimated"])
        assert gamma.at[need, "status"] == "no police data (Other Police area)"
    # road harm comes from collision records, which cover every area
    assert gamma.at["road_harm", "status"] == "assessed"
    assert gamma.at["road_harm", "recorded"] == 0


def test_homicide_is_a_three_year_mean(assumptions):
    months = month_range("2025-12", 36)
    s = all_series(months)
    counts = s["homicide"].counts.copy()
    # 2023: 12 a year, 2024: 24, 2025: 36 in A1 → mean 24
    year = counts["month"].str.slice(0, 4).astype(int)
    counts["recorded"] = np.where(counts["area_code"] == "A1", (year - 2022).astype(float), 0.0)
    s["homicide"] = NeedSeries("homicide", counts, tuple(months), s["homicide"].london, "t")
    table = demand_table(s, POPULATION, AREAS, assumptions)
    h = table[(table["need"] == "homicide") & (table["area_code"] == "A1")].iloc[0]
    assert h["recorded"] == pytest.approx((12 + 24 + 36) / 3)
    assert (h["period_start"], h["period_end"], h["years_averaged"]) == ("2023-01", "2025-12", 3)


def test_missing_months_move_the_window_back(assumptions):
    months = [m for m in month_range("2025-12", 48) if m != "2025-06"]
    table = demand_table(all_series(months), POPULATION, AREAS, assumptions)
    da = table[(table["need"] == "domestic_abuse") & (table["area_code"] == "A1")].iloc[0]
    assert da["period_end"] == "2025-05"  # the latest window with no gap
    assert da["recorded"] == 120


def test_requested_period_and_no_data_for_it(assumptions):
    s = all_series(month_range("2025-12", 24))
    table = demand_table(s, POPULATION, AREAS, assumptions, period_end="2024-12")
    da = table[(table["need"] == "domestic_abuse") & (table["area_code"] == "A1")].iloc[0]
    assert (da["period_start"], da["period_end"]) == ("2024-01", "2024-12")
    h = table[(table["need"] == "homicide") & (table["area_code"] == "A1")].iloc[0]
    assert math.isnan(h["recorded"])
    assert h["status"].startswith("no data for a 36-month window ending by 2024-12")


def test_inputs_are_not_mutated_and_row_order_does_not_matter(assumptions):
    s = all_series(month_range("2025-12", 48), {"A1": 3.0, "A2": 7.0})
    before = s["road_harm"].counts.copy()
    a = demand_table(s, POPULATION, AREAS, assumptions)
    pd.testing.assert_frame_equal(s["road_harm"].counts, before)
    shuffled = {
        k: NeedSeries(v.need, v.counts.sample(frac=1, random_state=1), v.months, v.london, v.source)
        for k, v in s.items()
    }
    b = demand_table(shuffled, POPULATION.iloc[::-1], AREAS.iloc[::-1], assumptions)
    pd.testing.assert_frame_equal(a, b)


def test_series_from_police_fills_missing_rows_with_zero(area_set):
    frame = pd.DataFrame(
        {"month": ["2024-01", "2024-02"], "area_code": ["E09000008", None], "offences": [5, 2]}
    )
    s = series_from_police(frame, "hate_crime", area_set, source="t")
    assert len(s.counts) == 32 * 2
    assert s.counts["recorded"].sum() == 5
    assert s.london["recorded"].tolist() == [5, 2]  # non-area rows count in the total
    assert s.recording_break == "2024-03"


def test_trend_marks_the_recording_break(assumptions):
    s = all_series(month_range("2024-06", 6))
    s["domestic_abuse"] = NeedSeries(
        "domestic_abuse",
        s["domestic_abuse"].counts,
        s["domestic_abuse"].months,
        s["domestic_abuse"].london,
        "t",
        recording_break="2024-03",
    )
    trend = trend_table(s, AREAS)
    da = trend[(trend["need"] == "domestic_abuse") & (trend["area_code"] == "ALL")]
    assert da[da["month"] == "2024-02"]["segment"].iloc[0].startswith("before 2024-03")
    assert da[da["month"] == "2024-03"]["segment"].iloc[0].startswith("from 2024-03")
    assert set(trend[trend["need"] == "road_harm"]["segment"]) == {"one series"}


# --- the real London data ------------------------------------------------------------------


@pytest.fixture(scope="module")
def london(data_dir, area_set, assumptions):
    areas = load_area_boundaries(data_dir, area_set)
    s = load_need_series(data_dir, area_set, areas)
    pop = load_area_population(data_dir, area_set)
    return s, demand_table(s, pop, area_set.to_frame(), assumptions)


def test_real_demand_is_33_areas_by_5_needs(london):
    _, table = london
    assert len(table) == 165
    city = table[table["area_code"] == "E09000001"].set_index("need")
    for need in ("domestic_abuse", "sexual_violence", "homicide", "hate_crime"):
        assert city.at[need, "status"] == "no police data (City of London Police area)"
        assert math.isnan(city.at[need, "recorded"])
    assert city.at["road_harm", "recorded"] > 0


def test_real_latest_windows(london):
    _, table = london
    ends = table.groupby("need")["period_end"].first().to_dict()
    assert ends == {
        "domestic_abuse": "2025-07",
        "hate_crime": "2025-07",
        "homicide": "2026-06",
        "road_harm": "2025-12",
        "sexual_violence": "2026-06",
    }


def test_real_sexual_violence_equals_raw_newest_release(london, data_dir):
    """Independent: the newest release (to 2026-06) read with csv for July 2025 to June 2026."""
    import csv

    path = data_dir / "crime/mps_borough_level_crime_recent24m_202407_202606.csv"
    months = [m.replace("-", "") for m in month_range("2026-06", 12)]
    total = 0
    with open(path, encoding="utf-8") as f:
        for r in csv.DictReader(f):
            if r["SubGroup"] in ("RAPE", "OTHER SEXUAL OFFENCES") and r["BOCU"] != "Unknown":
                total += sum(int(r[m]) for m in months)
    _, table = london
    assert table[table["need"] == "sexual_violence"]["recorded"].sum() == total
