"""Properties of the coverage engine that must hold for any registry (hypothesis)."""

import datetime as dt

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.assumptions import STAGES
from planner.coverage import analyse
from planner.coverage.text import FLAG_KINDS
from tests.coverage_world import AREAS, NEEDS, demand, service, tables


@pytest.fixture(scope="module")
def assumptions(untiered):
    """These worlds write estimated demand by hand: one tier per need (the v1 model)."""
    return untiered


AS_OF = dt.date(2026, 11, 29)
GAP_KINDS = {
    "no_provision",
    "under_provision",
    "stage_gap",
    "specialist_gap",
    "no_report_route_gap",
}


@st.composite
def worlds(draw):
    values = {
        (a, n): draw(st.sampled_from([0.0, 5.0, 40.0, 300.0, 2000.0])) for a in AREAS for n in NEEDS
    }
    records = []
    for i in range(draw(st.integers(min_value=1, max_value=7))):
        records.append(
            service(
                f"s{i}",
                org=draw(st.sampled_from(["o1", "o2", "o3"])),
                areas=tuple(sorted(draw(st.sets(st.sampled_from(sorted(AREAS)), min_size=1)))),
                needs=tuple(sorted(draw(st.sets(st.sampled_from(NEEDS), min_size=1, max_size=3)))),
                capacity=draw(st.sampled_from([None, 0, 10, 100, 1000])),
                service_type=draw(st.sampled_from(["idva", "isva", "helpline"])),
                stages=tuple(sorted(draw(st.sets(st.sampled_from(STAGES), max_size=4)))),
                without_police_report=draw(st.booleans()),
                age_groups=tuple(sorted(draw(st.sets(st.sampled_from(["children", "adults"]))))),
                specialisms=tuple(
                    sorted(
                        draw(
                            st.sets(st.sampled_from(["by_and_for_black_minoritised", "lgbt_plus"]))
                        )
                    )
                ),
                commissioned=draw(st.booleans()),
                contract_end=draw(st.sampled_from([None, "2027-02-01", "2029-01-01"])),
            )
        )
    return demand(values), records


common = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def gapped(result) -> set[tuple[str, str]]:
    flags = result.flags
    return set(
        map(tuple, flags.loc[flags["flag"].isin(GAP_KINDS), ["area_code", "need"]].to_numpy())
    )


@common
@given(worlds())
def test_capacity_is_conserved(assumptions, world):
    d, records = world
    result = analyse(d, tables(*records), assumptions, as_of=AS_OF)
    per_service = result.shares.groupby("service_id")["capacity_share"].sum()
    for record in records:
        expected = record["capacity_per_year"] or 0
        assert per_service.get(record["id"], 0.0) == pytest.approx(expected, abs=1e-6)


@common
@given(worlds(), st.integers(min_value=0, max_value=6), st.sampled_from([1, 50, 5000]))
def test_adding_capacity_never_creates_under_provision(assumptions, world, pick, extra):
    d, records = world
    before = analyse(d, tables(*records), assumptions, as_of=AS_OF)
    target = records[pick % len(records)]
    more = dict(target, capacity_per_year=(target["capacity_per_year"] or 0) + extra)
    after = analyse(
        d, tables(*[more if r is target else r for r in records]), assumptions, as_of=AS_OF
    )

    def under(result):
        f = result.flags
        return set(
            map(tuple, f.loc[f["flag"] == "under_provision", ["area_code", "need"]].to_numpy())
        )

    assert under(after) <= under(before)


@common
@given(worlds(), st.integers(min_value=0, max_value=6))
def test_removing_a_service_never_removes_a_gap(assumptions, world, pick):
    d, records = world
    before = analyse(d, tables(*records), assumptions, as_of=AS_OF)
    gone = records[pick % len(records)]
    after = analyse(d, tables(*[r for r in records if r is not gone]), assumptions, as_of=AS_OF)
    assert gapped(before) <= gapped(after)


@common
@given(worlds(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_row_order(assumptions, world, rnd):
    d, records = world
    shuffled = list(records)
    rnd.shuffle(shuffled)
    t1, t2 = tables(*records), tables(*shuffled)
    t2 = type(t2)(
        *(
            frame.sample(frac=1, random_state=rnd.randint(0, 99))
            for frame in (t2.services, t2.areas, t2.terms, t2.sites, t2.contracts)
        )
    )
    a = analyse(d, t1, assumptions, as_of=AS_OF)
    b = analyse(d.sample(frac=1, random_state=1), t2, assumptions, as_of=AS_OF)
    for name in ("coverage", "flags", "stages", "shares", "benchmarks", "data_quality"):
        pd.testing.assert_frame_equal(
            getattr(a, name).reset_index(drop=True),
            getattr(b, name).reset_index(drop=True),
            check_dtype=False,
            obj=name,
        )
    assert set(a.flags["flag"]) <= set(FLAG_KINDS)
