"""Plans: scenarios worked out by hand, budget-bound suggestions, storage and roles."""

import datetime as dt
from types import SimpleNamespace

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


WORLD = SimpleNamespace(
    name="the world",
    area_label="area",
    areas=[
        SimpleNamespace(code="A1", name="Alpha", sub_region="North"),
        SimpleNamespace(code="A2", name="Beta", sub_region="North"),
        SimpleNamespace(code="A3", name="Gamma", sub_region="South"),
    ],
)


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
    advice = suggest(result.coverage, assumptions, WORLD, budget=budget)
    assert sum(lot["annual_value_gbp"] for lot in advice.lots) <= budget + 0.01
    unmet = result.coverage.set_index(["area_code", "need"])["unmet"]
    for lot in advice.lots:
        minimum = assumptions.allocation.minimum_lot(lot["service_type"])
        assert lot["annual_value_gbp"] >= minimum - 0.01
        # never more than the gaps it reaches can use, beyond its minimum
        reach = sum(unmet.fillna(0).get((a, lot["needs"][0]), 0) for a in lot["areas"])
        assert lot["added_a_year"] <= reach + 1e-6
        assert lot["rationale"] and "a year" in lot["rationale"]


def test_a_budget_goes_where_the_weighted_need_is(assumptions):
    """Hate crime: 1,000 unmet in Alpha, 500 in Beta; £200,000 at £400 a person buys 500
    people. Both are worth the same per person, so the money is all spent, on lots of at
    least £40,000, and the largest gap comes first in the list of gaps."""
    d = demand({("A1", "hate_crime"): 1000, ("A2", "hate_crime"): 500})
    result = analyse(d, tables(), assumptions, as_of=AS_OF)
    advice = suggest(result.coverage, assumptions, WORLD, budget=200_000)
    assert advice.spent == pytest.approx(200_000)
    assert advice.added_a_year == pytest.approx(500)
    assert all(lot["annual_value_gbp"] >= 40_000 for lot in advice.lots)
    assert advice.gaps["area_name"].tolist()[:2] == ["Alpha", "Beta"]
    assert "(100%)" in advice.budget_note
    # a budget below the minimum viable lot buys nothing, and says why
    small = suggest(result.coverage, assumptions, WORLD, budget=30_000)
    assert small.lots == []
    assert "less than the smallest lot" in small.budget_note and "£40,000" in small.budget_note


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
