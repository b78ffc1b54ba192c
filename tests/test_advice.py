"""Advice a board would sign (BRIEF §4.2): calibrated take-up, a ranking by weighted unmet
people that a handful cannot top by construction, the robustness view, maps that say what they
show, and the journey check that counts every service of a need."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from planner.assumptions import MAX_WEIGHT, parse_assumptions
from planner.coverage import analyse
from planner.coverage.ranking import map_rows, robustness, worst_areas
from planner.coverage.ratios import rank_weights
from planner.errors import ConfigError
from planner.maps import coverage_map
from tests.coverage_world import demand, service, tables

AS_OF = dt.date(2026, 11, 29)


def test_community_take_up_shares_are_sourced_with_a_range(assumptions):
    for need in ("domestic_abuse", "sexual_violence"):
        share = assumptions.needs[need].take_up_share
        assert not share.source.lower().startswith("none")
        assert "ONS" in share.source and "could NOT be re-checked" in share.source
        low, high = share.bounds
        assert low < share.value < high
        assert share.low_source and share.high_source


def test_a_weight_above_the_cap_is_refused(assumptions):
    raw = assumptions.model_dump()
    raw["ranking"]["tiers"]["homicide"]["bereaved_families"]["weight"] = MAX_WEIGHT + 1
    with pytest.raises(ConfigError, match=r"ranking\.tiers\.homicide\.bereaved_families\.weight"):
        parse_assumptions(raw)


def _hate_and_homicide(assumptions, homicide_weight: float):
    """Alpha: 100 people a year without hate-crime advocacy; Beta: 20 bereaved families
    without support. Homicide weighed ``homicide_weight`` per family."""
    d = demand({("A1", "hate_crime"): 100, ("A2", "homicide"): 20})
    ranking = assumptions.ranking.reweighed(
        {}, {"homicide": {"bereaved_families": homicide_weight}}
    )
    weighed = assumptions.with_ranking(ranking)
    result = analyse(d, tables(), weighed, as_of=AS_OF)
    return worst_areas(result, n=None, need="hate_crime"), worst_areas(result, n=None)


def test_changing_a_weight_changes_the_order_as_its_rationale_says(assumptions):
    # the default: a bereaved family counts 5, so 20 families (100) tie with 100 people;
    # weighed 4 they count 80 and Alpha leads; weighed 10 they count 200 and Beta leads
    _, low = _hate_and_homicide(assumptions, 4.0)
    assert list(low["area_name"][:2]) == ["Alpha", "Beta"]
    _, high = _hate_and_homicide(assumptions, 10.0)
    assert list(high["area_name"][:2]) == ["Beta", "Alpha"]
    beta = high.set_index("area_name").loc["Beta"]
    # the people counted are the same whatever the weight: only the priority moves
    assert beta["unmet_people"] == pytest.approx(
        low.set_index("area_name").loc["Beta", "unmet_people"]
    )


def test_a_handful_of_families_cannot_outrank_thousands_of_people(london):
    """Every weight at the cap for the smallest tiers and 1 for community support: the
    bereaved tiers' largest weighted gap still stays below the largest community gap."""
    data, _, _, analysis = london
    a = data.assumptions
    tiers = {
        "homicide": {"bereaved_families": MAX_WEIGHT},
        "road_harm": {"bereaved": MAX_WEIGHT},
        "domestic_abuse": {"community": 1.0},
    }
    cov = rank_weights(analysis.result.coverage, a.with_ranking(a.ranking.reweighed({}, tiers)))
    small = cov[cov["tier"].isin(["bereaved_families", "bereaved"])]["priority"].max()
    community = cov[(cov["need"] == "domestic_abuse") & (cov["tier"] == "community")]
    assert small < community["priority"].max() / 5


def test_the_first_area_of_the_default_ranking_is_in_the_top_third_by_unmet_people(london):
    _, _, _, analysis = london
    table = worst_areas(analysis.result, n=None)
    by_people = table.sort_values("unmet_people", ascending=False)["area_name"].tolist()
    top_third = by_people[: len(by_people) // 3]
    assert table["area_name"].iloc[0] in top_third
    # Spearman's correlation between priority and unmet people: the ranking follows people
    assert table["priority"].rank().corr(table["unmet_people"].rank()) > 0.8


def test_the_robustness_view_names_the_areas_that_stay_on_top(london):
    data, _, _, analysis = london
    table = robustness(analysis.result.coverage, data.assumptions)
    scenarios = [c for c in table.columns if c not in ("area_code", "area_name")][:-2]
    assert scenarios[:3] == ["Default weights", "Demand at the low end", "Demand at the high end"]
    assert {"Every person equal", "Casework first"} <= set(scenarios)
    # every listed area is in some top five; those that stay are in every one
    assert (table[scenarios].min(axis=1) <= 5).all()
    steady = table[table["stays_on_top"]]
    assert (steady[scenarios] <= 5).all().all()
    assert table["times_in_top"].is_monotonic_decreasing


def _legend(html: str) -> tuple[list[str], str]:
    text = html.replace("\\u003c", "<").replace('\\"', '"')
    labels = re.findall(r"</span>([^<]*\(\d+ areas?\))", text)
    note = re.search(r"(Classes hold[^<]*|\d+ class(?:es)? by rank[^<]*)", text)
    return labels, note.group(0) if note else ""


def test_map_legends_say_what_they_show(london):
    data, _, _, analysis = london
    a = data.assumptions
    for need, spec in a.needs.items():
        for tier in [None, *spec.tier_specs]:
            rows = map_rows(analysis.result, need, tier)
            fmap = coverage_map(data.boundaries, rows, title="t", red=0.5, amber=0.8)
            labels, note = _legend(fmap.get_root().render())
            assert len(labels) == len(set(labels)), (need, tier, labels)
            counts = [int(re.search(r"\((\d+) areas?\)", x).group(1)) for x in labels]
            assessed = rows["ratio"].notna().sum()
            assert sum(counts) == assessed
            ranges = [re.findall(r"(\d[\d,]*)%", x) for x in labels]
            ends = [(int(r[0].replace(",", "")), int(r[-1].replace(",", ""))) for r in ranges]
            # classes in order, none overlapping
            assert all(ends[i][1] < ends[i + 1][0] for i in range(len(ends) - 1)), labels
            if "about equal" in note:
                assert max(counts) <= 2 * min(counts)
            else:
                assert f"{len(labels)} class" in note


def test_a_service_in_a_tier_without_demand_still_covers_its_needs_stages(assumptions):
    """Road harm in Alpha: serious injuries but no deaths. The bereavement service serves
    only the bereaved tier (no demand there) and the inquest stage; the casework covers the
    rest. The need's journey is whole: no stage gap for the inquest."""
    d = demand({("A1", "road_harm"): 50})
    stages = ("immediate", "investigation", "pre_trial", "trial", "long_term")
    services = [
        service("cw", needs=("road_harm",), service_type="emotional_practical", stages=stages),
        service(
            "bv", needs=("road_harm",), service_type="bereavement", stages=("inquest", "long_term")
        ),
    ]
    result = analyse(d, tables(*services), assumptions, as_of=AS_OF)
    cov = result.coverage.set_index(["area_code", "need", "tier"])
    assert cov.loc[("A1", "road_harm", "bereaved"), "estimated"] == 0
    flags = result.flags
    gaps = flags[(flags["flag"] == "stage_gap") & (flags["area_code"] == "A1")]
    assert gaps[gaps["need"] == "road_harm"].empty, gaps["sentence"].tolist()
    # without the bereavement service the inquest is missing, and said so
    result = analyse(d, tables(services[0]), assumptions, as_of=AS_OF)
    flags = result.flags
    gap = flags[(flags["flag"] == "stage_gap") & (flags["need"] == "road_harm")]
    assert len(gap) == 1 and "inquest" in gap["detail"].iloc[0]


def test_overview_gaps_plan_and_workbooks_agree_for_one_borough(london):
    """Croydon's domestic-abuse community support: the coverage table the Overview's
    worst-areas list, the Gaps matrix, the Plan page's suggestion and the gap workbook read
    carry the same estimated need, capacity, coverage and unmet people."""
    from io import BytesIO

    from openpyxl import load_workbook

    from planner.exports.gap_analysis import gap_analysis_workbook
    from planner.plans import suggest

    data, _, _, analysis = london
    code = data.area_set.resolve("Croydon")
    row = analysis.result.coverage.set_index(["area_code", "need", "tier"]).loc[
        (code, "domestic_abuse", "community")
    ]
    # the Overview's list sums the same unmet people over Croydon's tiers
    overview = worst_areas(analysis.result, n=None).set_index("area_code").loc[code]
    croydon = analysis.result.coverage[analysis.result.coverage["area_code"] == code]
    assert overview["unmet_people"] == pytest.approx(croydon["unmet_people"].sum())
    # the Gaps page's matrix shows the same coverage, in words (its view, called directly)
    from planner.app import views  # noqa: F401 (registers the page views)
    from planner.app.cache import _PER_ANALYSIS
    from planner.coverage.thresholds import percent

    matrix = _PER_ANALYSIS["planner.app.views.gaps_matrix"](analysis, data)
    cell = matrix.loc["Croydon", "Domestic abuse: Community support"]
    assert cell.startswith(f"{row['rag'].capitalize()} {percent(row['ratio']):,.0f}%")
    # the Plan page's largest gaps carry the same unmet need
    advice = suggest(analysis.result.coverage, data.assumptions, data.area_set, budget=2_000_000)
    gap = advice.gaps[
        (advice.gaps["area_name"] == "Croydon") & (advice.gaps["tier"] == "Community support")
    ]
    gap = gap[gap["need"] == data.assumptions.needs["domestic_abuse"].label]
    assert gap["unmet"].iloc[0] == pytest.approx(row["unmet"])
    # the gap workbook's Coverage sheet holds the same numbers, cell by cell
    wb = load_workbook(BytesIO(gap_analysis_workbook(analysis, data)), read_only=True)
    rows = list(wb["Coverage"].iter_rows(values_only=True))
    header_at = next(i for i, r in enumerate(rows) if r and r[0] == "area code")
    header = list(rows[header_at])
    found = [
        dict(zip(header, r, strict=False))
        for r in rows[header_at + 1 :]
        if r[0] == code and r[2] == "Domestic abuse" and r[3] == "Community support"
    ]
    assert len(found) == 1
    cells = found[0]
    assert cells["estimated need (tier's unit)"] == pytest.approx(row["estimated"], abs=0.05)
    assert cells["capacity (tier's unit)"] == pytest.approx(row["capacity"], abs=0.05)
    assert cells["unmet need (people or families a year)"] == pytest.approx(
        row["unmet_people"], abs=0.5
    )
    assert cells["priority (weighted people a year)"] == pytest.approx(row["priority"], abs=0.5)
