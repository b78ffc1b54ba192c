"""The coverage engine on hand-built worlds: every number below is worked out by hand."""

import datetime as dt
import math

import pandas as pd
import pytest

from planner.coverage import analyse
from tests.coverage_world import demand, service, tables


@pytest.fixture(scope="module")
def assumptions(untiered):
    """These worlds write estimated demand by hand: one tier per need (the v1 model)."""
    return untiered


AS_OF = dt.date(2026, 11, 29)


def run(d, *records, **kw):
    return analyse(d, tables(*records), kw.pop("assumptions"), as_of=AS_OF, **kw)


def flags_of(result, kind):
    return result.flags[result.flags["flag"] == kind].reset_index(drop=True)


def test_no_provision(assumptions):
    result = run(demand({("A1", "road_harm"): 120}), assumptions=assumptions)
    flag = flags_of(result, "no_provision")
    assert list(zip(flag["area_code"], flag["need"], flag["severity"], strict=True)) == [
        ("A1", "road_harm", "high")
    ]
    assert flag.loc[0, "estimated"] == 120 and flag.loc[0, "capacity"] == 0
    assert flag.loc[0, "sentence"] == (
        "Alpha has no approved service for road crash victims and the bereaved, for an "
        "estimated 120 people a year."
    )
    cov = result.coverage.set_index(["area_code", "need"])
    assert cov.loc[("A1", "road_harm"), "rag"] == "red"
    assert cov.loc[("A2", "road_harm"), "rag"] == "no recorded demand"
    assert math.isnan(cov.loc[("A2", "road_harm"), "ratio"])


@pytest.mark.parametrize(("capacity", "severity"), [(300, "high"), (600, "medium"), (900, None)])
def test_under_provision(assumptions, capacity, severity):
    d = demand({("A1", "domestic_abuse"): 1000})
    result = run(
        d, service("s1", capacity=capacity, stages=(), channels=()), assumptions=assumptions
    )
    cov = result.coverage.set_index(["area_code", "need"]).loc[("A1", "domestic_abuse")]
    assert cov["capacity"] == capacity
    assert cov["ratio"] == pytest.approx(capacity / 1000)
    assert cov["rag"] == {"high": "red", "medium": "amber", None: "green"}[severity]
    flag = flags_of(result, "under_provision")
    if severity is None:
        assert flag.empty
    else:
        assert flag.loc[0, "severity"] == severity
        assert flag.loc[0, "sentence"] == (
            f"Alpha has one domestic abuse service for an estimated 1,000 people a year; "
            f"capacity {capacity}: {capacity // 10}% coverage."
        )


def test_capacity_split_by_demand_and_by_the_providers_split(assumptions):
    d = demand({("A1", "domestic_abuse"): 300, ("A2", "domestic_abuse"): 100})
    result = run(d, service("s1", areas=("A1", "A2"), capacity=200), assumptions=assumptions)
    shares = result.shares.set_index("area_code")["capacity_share"]
    assert shares["A1"] == pytest.approx(150) and shares["A2"] == pytest.approx(50)
    result = run(
        d,
        service("s1", areas=("A1", "A2"), capacity=200, area_capacity={"A2": 80}),
        assumptions=assumptions,
    )
    shares = result.shares.set_index("area_code")["capacity_share"]
    assert shares["A1"] == pytest.approx(120) and shares["A2"] == pytest.approx(80)
    # two needs in one area split by demand; zero demand everywhere splits equally
    d = demand({("A1", "domestic_abuse"): 30, ("A1", "sexual_violence"): 10})
    result = run(
        d,
        service("s2", needs=("domestic_abuse", "sexual_violence"), capacity=100),
        assumptions=assumptions,
    )
    assert result.shares.set_index("need")["capacity_share"].to_dict() == pytest.approx(
        {"domestic_abuse": 75, "sexual_violence": 25}
    )
    result = run(
        demand({}), service("s3", areas=("A1", "A2"), capacity=10), assumptions=assumptions
    )
    assert result.shares["capacity_share"].tolist() == [5, 5]


def test_stage_gap(assumptions):
    d = demand({("A1", "homicide"): 4})
    result = run(
        d,
        service(
            "s1",
            needs=("homicide",),
            service_type="homicide_casework",
            stages=("immediate", "investigation", "pre_trial", "trial"),
            capacity=10,
        ),
        assumptions=assumptions,
    )
    flag = flags_of(result, "stage_gap")
    assert flag.loc[0, "detail"] == "post_trial, inquest, long_term"
    assert flag.loc[0, "severity"] == "medium"
    assert flag.loc[0, "sentence"] == (
        "In Alpha no approved service supports families bereaved by homicide after the trial, "
        "at the inquest and in the long term."
    )
    matrix = result.stages[
        (result.stages["area_code"] == "A1") & (result.stages["need"] == "homicide")
    ].set_index("stage")
    assert matrix.loc["trial", "services"] == 1 and matrix.loc["inquest", "services"] == 0
    assert bool(matrix.loc["inquest", "required"]) and not matrix.loc["before_report", "required"]


def test_specialist_gap(assumptions):
    d = demand({("A1", "domestic_abuse"): 50})
    result = run(d, service("s1", age_groups=("children",), capacity=100), assumptions=assumptions)
    flag = flags_of(result, "specialist_gap")
    assert flag.loc[0, "detail"] == "specialism:by_and_for_black_minoritised"
    assert flag.loc[0, "sentence"] == (
        "Alpha has no domestic abuse provision from a by-and-for "
        "service for Black and minoritised communities."
    )
    result = run(
        d,
        service("s1", age_groups=("children",)),
        service("s2", specialisms=("by_and_for_black_minoritised",)),
        assumptions=assumptions,
    )
    assert flags_of(result, "specialist_gap").empty


def test_no_report_route_gap(assumptions):
    d = demand({("A1", "hate_crime"): 80})
    police_only = service(
        "s1", needs=("hate_crime",), without_police_report=False, service_type="hate_crime_advocacy"
    )
    result = run(d, police_only, assumptions=assumptions)
    flag = flags_of(result, "no_report_route_gap")
    assert (flag.loc[0, "area_code"], flag.loc[0, "severity"]) == ("A1", "high")
    assert "the only hate crime service needs a police report" in flag.loc[0, "sentence"]
    open_door = service("s2", needs=("hate_crime",), service_type="helpline")
    assert flags_of(
        run(d, police_only, open_door, assumptions=assumptions), "no_report_route_gap"
    ).empty
    # homicide does not require a no-report route
    d = demand({("A1", "homicide"): 3})
    assert flags_of(
        run(
            d,
            service("s3", needs=("homicide",), without_police_report=False),
            assumptions=assumptions,
        ),
        "no_report_route_gap",
    ).empty


def test_duplication_and_overlap(assumptions):
    a = service(
        "a", org="o1", capacity=100, commissioned=True, stages=("immediate", "investigation")
    )
    b = service("b", org="o2", capacity=100, commissioned=True, stages=("investigation", "trial"))
    # demand 100, capacity 200: ratio 2.0 > 1.5 → duplication
    result = run(demand({("A1", "domestic_abuse"): 100}), a, b, assumptions=assumptions)
    dup = flags_of(result, "duplication")
    assert len(dup) == 1 and dup.loc[0, "detail"] == "investigation"
    assert dup.loc[0, "ratio"] == pytest.approx(2.0)
    assert dup.loc[0, "services"] == "Service a; Service b"
    assert dup.loc[0, "sentence"] == (
        "In Alpha two commissioned IDVA services for domestic abuse (Service a; Service b) "
        "overlap during the investigation, while capacity is 200% of estimated need (200 "
        "for 100 people a year)."
    )
    # demand 200, ratio 1.0 ≤ 1.5 → overlap, information only
    result = run(demand({("A1", "domestic_abuse"): 200}), a, b, assumptions=assumptions)
    assert flags_of(result, "duplication").empty
    assert flags_of(result, "overlap").loc[0, "severity"] == "info"
    d = demand({("A1", "domestic_abuse"): 100})
    for other in (
        service("b", org="o2", commissioned=False, stages=("investigation",)),  # a grant
        service("b", org="o2", commissioned=True, stages=("trial",)),  # no shared stage
        service(
            "b", org="o2", commissioned=True, stages=("investigation",), service_type="isva"
        ),  # other type
    ):
        r = run(d, a, other, assumptions=assumptions)
        assert flags_of(r, "duplication").empty and flags_of(r, "overlap").empty
    women = service("a", commissioned=True, gender="women_only", stages=("investigation",))
    men = service("b", org="o2", commissioned=True, gender="men_only", stages=("investigation",))
    r = run(d, women, men, assumptions=assumptions)
    assert flags_of(r, "duplication").empty
    kids = service("a", commissioned=True, age_groups=("children",), stages=("investigation",))
    adults = service(
        "b", org="o2", commissioned=True, age_groups=("adults",), stages=("investigation",)
    )
    assert flags_of(run(d, kids, adults, assumptions=assumptions), "duplication").empty


def test_continuity_risk(assumptions):
    d = demand({("A1", "domestic_abuse"): 100})
    one = run(d, service("a", org="o1"), service("b", org="o1"), assumptions=assumptions)
    flag = flags_of(one, "continuity_risk")
    assert (flag.loc[0, "detail"], flag.loc[0, "severity"]) == ("single_provider", "medium")
    assert flag.loc[0, "sentence"] == (
        "All domestic abuse provision in Alpha comes from one provider (Provider o1)."
    )
    # two providers; the one carrying 75% of capacity ends within 6 months
    ending = service("a", org="o1", capacity=300, contract_end="2027-03-31", commissioned=True)
    lasting = service(
        "b",
        org="o2",
        capacity=100,
        contract_end="2029-03-31",
        commissioned=True,
        service_type="isva",
    )
    flag = flags_of(run(d, ending, lasting, assumptions=assumptions), "continuity_risk")
    assert flag.loc[0, "detail"] == "contracts_ending" and flag.loc[0, "severity"] == "medium"
    assert flag.loc[0, "service_ids"] == "a"
    assert flag.loc[0, "sentence"] == (
        "Contracts behind 75% of Alpha's domestic abuse capacity end from 31 March 2027, "
        "within the planning window."
    )
    # one provider and its only contract ending: high
    flag = flags_of(run(d, ending, assumptions=assumptions), "continuity_risk")
    assert flag.loc[0, "severity"] == "high"
    assert flag.loc[0, "detail"] == "single_provider; contracts_ending"
    # a contract that already ended is the surest continuity risk (tests/test_boundaries.py
    # covers its capacity, duplication and data-quality sides)


def test_access_gap_and_two_step_floating_catchment(assumptions):
    # three small areas in A1 on a line (metres, British National Grid)
    small = pd.DataFrame(
        {
            "lsoa_code": ["L1", "L2", "L3"],
            "area_code": ["A1"] * 3,
            "population": [100.0, 200.0, 700.0],
            "x": [530_000.0, 534_000.0, 540_000.0],
            "y": [180_000.0] * 3,
        }
    )
    points = pd.DataFrame({"site_id": ["s1-site0"], "x": [530_000.0], "y": [180_000.0]})
    svc = service("s1", capacity=50, channels=("face_to_face",), sites=[("A1", 51.5, -0.12)])
    result = run(
        demand({("A1", "domestic_abuse"): 100}),
        svc,
        assumptions=assumptions,
        small_areas=small,
        site_points=points,
    )
    # L1 at 0 km, L2 at 4 km, L3 at 10 km: 700 of 1,000 residents beyond 5 km
    access = result.access.set_index(["area_code", "need"]).loc[("A1", "domestic_abuse")]
    assert access["share_beyond"] == pytest.approx(0.7)
    # 2SFCA: the site reaches L1 and L2 (300 people): R = 50 / 300; L1, L2 get 1/6, L3 0
    lsoa = result.access_small_areas.set_index("lsoa_code")["two_sfca"]
    assert lsoa["L1"] == pytest.approx(50 / 300) and lsoa["L3"] == 0
    assert access["two_sfca_per_1000"] == pytest.approx(1000 * (300 * 50 / 300) / 1000)
    flag = flags_of(result, "access_gap")
    assert (flag.loc[0, "severity"], flag.loc[0, "detail"]) == ("high", "70% beyond 5 km")
    assert flag.loc[0, "sentence"] == (
        "70% of Alpha's residents live more than 5 km (straight line) from a face-to-face "
        "domestic abuse service that covers them."
    )


def test_unassessed_and_zero_demand_raise_nothing(assumptions):
    d = demand({})
    result = run(
        d,
        service("s1", areas=("A1", "A3"), needs=("domestic_abuse",), capacity=100),
        assumptions=assumptions,
    )
    cov = result.coverage.set_index(["area_code", "need"])
    assert cov.loc[("A3", "domestic_abuse"), "rag"] == "not assessed"
    assert cov.loc[("A1", "domestic_abuse"), "rag"] == "no recorded demand"
    assert result.flags.empty
    # capacity is still conserved when no pair has demand
    assert result.shares["capacity_share"].sum() == pytest.approx(100)


def test_data_quality_and_benchmarks(assumptions):
    d = demand({("A1", "domestic_abuse"): 100, ("A1", "sexual_violence"): 50})
    records = [
        service(
            "r1",
            service_type="refuge",
            capacity=None,
            places=12,
            areas=("A1", "A2"),
            updated_at="2024-01-01",
        ),
        service("i1", service_type="idva", capacity=140, staff_fte=2.0),
        service("f2f", channels=("face_to_face",), service_type="counselling"),
    ]
    result = run(d, *records, assumptions=assumptions)
    issues = set(zip(result.data_quality["service_id"], result.data_quality["issue"], strict=True))
    assert {("r1", "no_capacity"), ("r1", "stale"), ("f2f", "no_site")} <= issues
    bench = result.benchmarks.set_index(["area_code", "benchmark"])
    # refuge places and centres are tiers now (tests/test_tiers.py)
    idva = bench.loc[("A1", "idva_caseload_high")]
    assert idva["provided"] == pytest.approx(70) and idva["ratio"] == pytest.approx(1.0)
