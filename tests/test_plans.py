"""Plans: scenarios worked out by hand, budget-bound suggestions, storage and roles."""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.coverage import analyse
from planner.plans import run_scenario, suggest
from planner.registry import plan_store
from planner.registry.auth import SYSTEM, Actor, PermissionDenied
from planner.registry.validation import ValidationError
from tests.coverage_world import demand, service, tables


@pytest.fixture(scope="module")
def assumptions(untiered):
    """These worlds write estimated demand by hand: one tier per need (the v1 model)."""
    return untiered


AS_OF = dt.date(2026, 11, 29)


def test_one_lot_closes_exactly_the_expected_flags(assumptions):
    d = demand({("A1", "road_harm"): 100, ("A2", "road_harm"): 50})
    base = tables(
        service(
            "s1",
            areas=("A2",),
            needs=("road_harm",),
            capacity=50,
            service_type="road_crash_casework",
            stages=("immediate", "investigation", "pre_trial", "trial", "inquest", "long_term"),
            org="o1",
        ),
        service(
            "s2",
            areas=("A2",),
            needs=("road_harm",),
            capacity=0,
            org="o2",
            service_type="bereavement",
        ),
    )
    lot = {
        "id": "L1",
        "name": "Road crash casework: Alpha",
        "needs": ["road_harm"],
        "service_type": "road_crash_casework",
        "areas": ["A1"],
        "capacity_per_year": 60,
        "annual_value_gbp": "90000",
        "stages": ["immediate", "investigation", "pre_trial", "trial", "inquest", "long_term"],
    }
    after, diff = run_scenario(d, base, assumptions, [lot], plan_name="P", as_of=AS_OF)
    closed = set(zip(diff.closed["area_code"], diff.closed["flag"], strict=True))
    opened = set(zip(diff.opened["area_code"], diff.opened["flag"], strict=True))
    assert closed == {("A1", "no_provision")}
    # the lot gives 60 for 100 people: under provision (amber band is 50-80%) and one provider
    assert opened == {("A1", "under_provision"), ("A1", "continuity_risk")}
    ratios = diff.ratios.set_index(["area_code", "need"])
    assert ratios.loc[("A1", "road_harm"), "ratio_before"] == 0
    assert ratios.loc[("A1", "road_harm"), "ratio_after"] == pytest.approx(0.6)
    assert ratios.loc[("A2", "road_harm"), "change"] == 0
    assert diff.summary["extra people supported a year"] == pytest.approx(60)
    assert diff.summary["cost per extra person (GBP)"] == pytest.approx(1500)
    flag = after.flags[
        (after.flags["area_code"] == "A1") & (after.flags["flag"] == "under_provision")
    ].iloc[0]
    assert flag["severity"] == "medium"


def test_not_renewing_a_contract_opens_the_gap(assumptions):
    d = demand({("A2", "road_harm"): 50})
    base = tables(
        service(
            "s1",
            areas=("A2",),
            needs=("road_harm",),
            capacity=50,
            service_type="road_crash_casework",
            stages=("immediate",),
        )
    )
    _, diff = run_scenario(d, base, assumptions, [], plan_name="P", as_of=AS_OF, not_renewed=["s1"])
    assert set(diff.opened["flag"]) == {"no_provision"}
    assert diff.summary["extra people supported a year"] == pytest.approx(-50)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.floats(min_value=0, max_value=5_000_000),
    st.dictionaries(
        st.sampled_from(
            [
                ("A1", "domestic_abuse"),
                ("A2", "hate_crime"),
                ("A1", "homicide"),
                ("A2", "road_harm"),
            ]
        ),
        st.floats(min_value=0, max_value=50_000),
        max_size=4,
    ),
)
def test_suggestions_never_exceed_the_budget(assumptions, budget, values):
    result = analyse(demand(values), tables(), assumptions, as_of=AS_OF)
    lots = suggest(result.coverage, assumptions, budget=budget)
    assert sum(lot["annual_value_gbp"] for lot in lots) <= budget + 0.01
    unmet = result.coverage.set_index(["area_code", "need"])["estimated"]
    for lot in lots:
        # never more than lifts the tier to the red threshold (plus one unit of rounding)
        assert lot["capacity_per_year"] <= 0.5 * unmet[(lot["areas"][0], lot["needs"][0])] + 1
        assert lot["rationale"] and "budget left" in lot["rationale"]


def test_suggestion_closes_the_largest_red_gap_first(assumptions):
    # hate crime: 100 unmet in Alpha, 50 in Beta; lifting each to 50% costs 50 and 25 people
    # at £400: £20,000 and £10,000
    d = demand({("A1", "hate_crime"): 100, ("A2", "hate_crime"): 50})
    result = analyse(d, tables(), assumptions, as_of=AS_OF)
    lots = suggest(result.coverage, assumptions, budget=30_000)
    assert [(lot["areas"][0], lot["capacity_per_year"]) for lot in lots] == [("A1", 50), ("A2", 25)]
    assert "number 1 of London's red gaps" in lots[0]["rationale"]
    # a budget that cannot close the largest gap whole passes to the next, and says so
    lots = suggest(result.coverage, assumptions, budget=15_000)
    assert [lot["areas"][0] for lot in lots] == ["A2"]
    assert "Alpha, hate crime" in lots[0]["rationale"] and "£20,000" in lots[0]["rationale"]


def test_plan_storage_validation_and_roles(registry):
    plan = plan_store.create_plan(registry, SYSTEM, "Winter plan")
    with pytest.raises(ValidationError) as err:
        plan_store.add_lot(
            registry,
            SYSTEM,
            plan["id"],
            {
                "name": "",
                "needs": ["floods"],
                "service_type": "idvaa",
                "areas": ["Croyden"],
                "capacity_per_year": -1,
                "start_date": "2027-04-01",
                "end_date": "2026-01-01",
            },
        )
    text = str(err.value)
    for part in (
        "name: is required",
        "needs: give one or more of",
        "'idvaa' is not accepted",
        "Unknown borough 'Croyden'",
        "capacity_per_year: expected a whole number",
        "end_date: must be after the start date",
    ):
        assert part in text
    plan = plan_store.add_lot(
        registry,
        SYSTEM,
        plan["id"],
        {
            "name": "IDVAs: Croydon",
            "needs": ["domestic_abuse"],
            "service_type": "idva",
            "areas": ["Croydon"],
            "capacity_per_year": 300,
            "annual_value_gbp": 180000,
        },
    )
    assert plan["lots"][0]["areas"] == ["E09000008"]
    assert [h["action"] for h in registry.history(plan["id"], actor=SYSTEM)] == [
        "create",
        "add_lot",
    ]
    with pytest.raises(PermissionDenied):
        plan_store.create_plan(registry, Actor("kim", "provider", "x"), "Mine")
    agreed = plan_store.update_plan(registry, SYSTEM, plan["id"], status="agreed")
    assert agreed["status"] == "agreed"


def test_an_empty_plan_changes_nothing_with_or_without_access(assumptions):
    """Both sides of a scenario run on the same inputs: with access, the access gaps of today
    are also the plan's, so none of them reads as closed (issue 10)."""
    small = pd.DataFrame(
        {
            "lsoa_code": ["L1", "L2"],
            "area_code": ["A1", "A1"],
            "population": [100.0, 900.0],
            "x": [530_000.0, 560_000.0],
            "y": [180_000.0, 180_000.0],
        }
    )
    points = pd.DataFrame({"site_id": ["s1-site0"], "x": [530_000.0], "y": [180_000.0]})
    svc = service("s1", capacity=50, channels=("face_to_face",), sites=[("A1", 51.5, -0.12)])
    d = demand({("A1", "domestic_abuse"): 100})
    base = tables(svc)
    today = analyse(d, base, assumptions, as_of=AS_OF, small_areas=small, site_points=points)
    assert "access_gap" in set(today.flags["flag"])  # there is something to lose
    for inputs in ({}, {"small_areas": small, "site_points": points}):
        before = analyse(d, base, assumptions, as_of=AS_OF, **inputs)
        _, diff = run_scenario(
            d, base, assumptions, [], plan_name="P", as_of=AS_OF, before=before, **inputs
        )
        assert (diff.summary["flags closed"], diff.summary["flags opened"]) == (0, 0)
