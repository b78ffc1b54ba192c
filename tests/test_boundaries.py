"""Every boundary of the coverage model, exactly (BRIEF §4.1 "Boundaries are exact"; issue 10).

The ratios below are built the way real ones are: estimated demand = recorded ÷ 0.189 (the
domestic abuse reporting rate) and a service's capacity split over its areas by demand. Each
test first checks that floating point really does land a hair below the threshold, so that the
test fails if the engine compares raw floats.
"""

import datetime as dt

import pandas as pd
import pytest

from planner.coverage import analyse
from planner.coverage.contracts import months_after
from planner.coverage.inputs import RegistryTables
from planner.coverage.thresholds import percent
from tests.coverage_world import demand, service, tables


@pytest.fixture(scope="module")
def assumptions(untiered):
    """These worlds write estimated demand by hand: one tier per need (the v1 model)."""
    return untiered


RATE = 0.189
AS_OF = dt.date(2026, 11, 29)


def estimated(**recorded: float) -> pd.DataFrame:
    """Demand for domestic abuse in A1 and A2 from recorded counts, as the model computes it."""
    return demand({(a, "domestic_abuse"): r / RATE for a, r in recorded.items()})


def run(d, *records, assumptions, as_of=AS_OF):
    return analyse(d, tables(*records), assumptions, as_of=as_of)


def row(result, area="A1", need="domestic_abuse"):
    return result.coverage.set_index(["area_code", "need"]).loc[(area, need)]


def kinds(result, area="A1"):
    flags = result.flags[result.flags["area_code"] == area]
    return dict(zip(flags["flag"], flags["severity"], strict=True))


def test_ratio_exactly_at_amber_is_green(assumptions):
    d = estimated(A1=3, A2=186)  # 15.9 + 984.1 people; capacity 800 = 0.8 of both
    result = run(d, service("s", areas=("A1", "A2"), capacity=800), assumptions=assumptions)
    for area in ("A1", "A2"):
        cov = row(result, area)
        assert cov["ratio"] < 0.8  # the float artefact the engine must see through
        assert percent(cov["ratio"]) == 80
        assert cov["rag"] == "green"
        assert "under_provision" not in kinds(result, area)


def test_ratio_exactly_at_red_is_amber(assumptions):
    d = estimated(A1=3, A2=375)  # capacity 1,000 = half of 5,291 people
    result = run(d, service("s", areas=("A1", "A2"), capacity=1000), assumptions=assumptions)
    cov = row(result, "A1")
    assert cov["ratio"] < 0.5
    assert cov["rag"] == "amber"
    flag = result.flags[
        (result.flags["area_code"] == "A1") & (result.flags["flag"] == "under_provision")
    ]
    assert flag["severity"].tolist() == ["medium"]
    assert flag["sentence"].iloc[0].endswith(": 50% coverage.")


@pytest.mark.parametrize(
    ("capacity", "rag", "under"),
    [
        (794, "amber", "medium"),
        (795, "green", None),
        (495, "amber", "medium"),
        (494, "red", "high"),
    ],
)
def test_a_ratio_is_judged_as_it_reads(assumptions, capacity, rag, under):
    """79.4% reads 79% and is amber; 79.5% reads 80% and is green: what the sentence shows
    and what the engine decides agree, and rounding never hides a gap a reader would see."""
    result = run(
        demand({("A1", "domestic_abuse"): 1000}),
        service("s", capacity=capacity),
        assumptions=assumptions,
    )
    assert row(result)["rag"] == rag
    assert kinds(result).get("under_provision") == under


def test_ratio_exactly_at_over_provision_is_overlap_not_duplication(assumptions):
    # two commissioned services of the same kind: capacity 1.5 × need in A1
    d = estimated(A1=1, A2=62)
    a = service("a", org="o1", areas=("A1", "A2"), capacity=250, commissioned=True)
    b = service("b", org="o2", areas=("A1", "A2"), capacity=250, commissioned=True)
    result = run(d, a, b, assumptions=assumptions)
    ratios = result.coverage[result.coverage["need"] == "domestic_abuse"].set_index("area_code")
    assert (ratios.loc[["A1", "A2"], "ratio"] != 1.5).any()  # the artefact is there
    for area in ("A1", "A2"):
        assert percent(ratios.loc[area, "ratio"]) == 150
        assert kinds(result, area).get("overlap") == "info"
        assert "duplication" not in kinds(result, area)
    sentence = result.flags.loc[result.flags["flag"] == "overlap", "sentence"].iloc[0]
    assert "coverage is 150%, so this is not over-provision" in sentence
    # one more place a year tips it over
    b = service("b", org="o2", areas=("A1", "A2"), capacity=255, commissioned=True)
    assert kinds(run(d, a, b, assumptions=assumptions)).get("duplication") == "medium"


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 1, 31), 6, dt.date(2026, 7, 31)),
        (dt.date(2026, 8, 31), 6, dt.date(2027, 2, 28)),
        (dt.date(2027, 8, 31), 6, dt.date(2028, 2, 29)),
        (dt.date(2026, 3, 31), -1, dt.date(2026, 2, 28)),
        (dt.date(2026, 7, 31), -12, dt.date(2025, 7, 31)),
        (dt.date(2026, 5, 15), 6, dt.date(2026, 11, 15)),
    ],
)
def test_months_after_keeps_the_last_day(day, months, expected):
    assert months_after(day, months) == expected


def test_contract_ending_exactly_six_months_after_the_31st_is_in_the_window(assumptions):
    as_of = dt.date(2026, 1, 31)
    d = demand({("A1", "domestic_abuse"): 100})
    for end, flagged in (("2026-07-31", True), ("2026-08-01", False)):
        a = service("a", org="o1", capacity=50, commissioned=True, contract_end=end)
        b = service("b", org="o2", capacity=50, commissioned=True, contract_end="2030-01-01")
        flags = run(d, a, b, assumptions=assumptions, as_of=as_of).flags
        risk = flags[flags["flag"] == "continuity_risk"]
        assert (len(risk) == 1) is flagged, end
        if flagged:
            assert "end from 31 July 2026, within the planning window" in risk["sentence"].iloc[0]


def test_stale_cut_off_is_twelve_months_to_the_day(assumptions):
    as_of = dt.date(2026, 7, 31)
    d = demand({("A1", "domestic_abuse"): 100})
    old = service("old", updated_at="2025-07-30")
    edge = service("edge", updated_at="2025-07-31T12:00")
    quality = run(d, old, edge, assumptions=assumptions, as_of=as_of).data_quality
    assert quality.loc[quality["issue"] == "stale", "service_id"].tolist() == ["old"]


def test_ended_contract_adds_no_capacity_and_is_said(assumptions):
    d = demand({("A1", "domestic_abuse"): 100})
    ended = service("a", org="o1", capacity=100, commissioned=True, contract_end="2026-01-31")
    result = run(d, ended, assumptions=assumptions)
    cov = row(result)
    assert cov["capacity"] == 0 and cov["services"] == 1
    assert cov["services_without_capacity"] == 1 and cov["rag"] == "red"
    under = result.flags[result.flags["flag"] == "under_provision"].iloc[0]
    assert under["severity"] == "high"
    assert "contract a-ref ended on 2026-01-31: not counted as capacity" in under["sentence"]
    risk = result.flags[result.flags["flag"] == "continuity_risk"].iloc[0]
    assert risk["severity"] == "high"
    assert "ended on 31 January 2026: not counted as capacity" in risk["sentence"]
    quality = result.data_quality.set_index("issue")
    assert quality.loc["contract_ended", "detail"] == (
        "contract a-ref ended on 2026-01-31: no live contract, so the service's capacity is "
        "not counted"
    )
    # the same service with its contract live counts in full
    live = service("a", org="o1", capacity=100, commissioned=True, contract_end="2027-01-31")
    assert row(run(d, live, assumptions=assumptions))["capacity"] == 100


def test_ended_contract_with_other_live_funding_still_counts(assumptions):
    d = demand({("A1", "domestic_abuse"): 100})
    record = service("a", capacity=100, commissioned=True, contract_end="2026-01-31")
    grant = {**record["contracts"][0], "id": "a-g", "funding_status": "grant_funded"}
    record["contracts"].append({**grant, "reference": "grant", "end_date": "2028-03-31"})
    result = run(d, record, assumptions=assumptions)
    assert row(result)["capacity"] == 100
    detail = result.data_quality.set_index("issue").loc["contract_ended", "detail"]
    assert detail.endswith("the service's other funding still counts")


def test_ended_contract_is_not_commissioned_for_duplication(assumptions):
    d = demand({("A1", "domestic_abuse"): 50})
    live = service("a", org="o1", capacity=100, commissioned=True)
    other = service("b", org="o2", capacity=100, commissioned=True)
    assert "duplication" in kinds(run(d, live, other, assumptions=assumptions))
    ended = service("b", org="o2", capacity=100, commissioned=True, contract_end="2026-01-31")
    found = kinds(run(d, live, ended, assumptions=assumptions))
    assert "duplication" not in found and "overlap" not in found


def _empty_tables() -> RegistryTables:
    return RegistryTables.from_records([])


def test_empty_registry_gives_no_provision_everywhere(assumptions):
    d = demand({("A1", "domestic_abuse"): 100, ("A2", "road_harm"): 5, ("A3", "road_harm"): 1})
    vocab = {"need": ["domestic_abuse"], "stage": ["immediate"]}
    result = analyse(d, _empty_tables(), assumptions, as_of=AS_OF, vocab_keys=vocab)
    assert result.flags["flag"].unique().tolist() == ["no_provision"]
    assert sorted(zip(result.flags["area_code"], result.flags["need"], strict=True)) == [
        ("A1", "domestic_abuse"),
        ("A2", "road_harm"),
        ("A3", "road_harm"),
    ]
    assert (result.coverage["capacity"] == 0).all()
    assert result.data_quality.empty and result.benchmarks["provided"].fillna(0).eq(0).all()
