"""Need tiers (BRIEF §4.1, issue 11): demand per tier with hand-worked numbers, ranges that
make a flag uncertain, wider services shared by demand, ranking by unmet need, and the scope
field through storage, the migration and Open Referral UK."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from planner.assumptions import Multiplier
from planner.coverage import analyse
from planner.coverage.ranking import map_rows, serious_findings, worst_areas
from planner.demand import tier_demand
from planner.errors import PlannerError
from planner.maps import colour_classes, coverage_map
from planner.registry.auth import SYSTEM
from planner.registry.db import migrate
from planner.registry.oruk_export import service_to_oruk
from planner.registry.oruk_import import oruk_to_records
from planner.registry.service import Registry
from planner.registry.validation import validate_service
from tests.coverage_world import demand, service, tables
from tests.registry_helpers import org, service_raw

AS_OF = dt.date(2026, 11, 30)
THREE = {"E09000007": "Camden", "E09000008": "Croydon", "E09000025": "Newham"}


def women_16plus_by_hand(data_dir) -> pd.Series:
    """Women aged 16+ per borough, recounted from the two population files without the
    planner's loaders: Census 2021 residents 16+ (age codes 2-5) × the mid-2020 female share
    of residents 16+."""
    census = pd.read_csv(
        data_dir / "population" / "census2021_lsoa21_usual_residents_age5cat_london.csv"
    )
    census = census[census["Age (5 categories) Code"] != 1]
    census["borough"] = census["Lower layer Super Output Areas"].str.rsplit(" ", n=1).str[0]
    adults = census.groupby("borough")["Observation"].sum()
    sape = pd.read_csv(
        data_dir / "population" / "ons_sape_mid2020_lsoa11_population_sex_broadage_london.csv"
    )
    ages = ["16-29", "30-44", "45-64", "65+"]
    by_lad = sape.groupby("LAD11NM")[
        [f"Females_{a}" for a in ages] + [f"Persons_{a}" for a in ages]
    ]
    sums = by_lad.sum()
    share = sums[[f"Females_{a}" for a in ages]].sum(axis=1) / sums[
        [f"Persons_{a}" for a in ages]
    ].sum(axis=1)
    return adults * share


def test_idva_and_refuge_demand_by_hand_for_three_boroughs(london, data_dir):
    _data, _, _, analysis = london
    women = women_16plus_by_hand(data_dir)
    residents = (
        pd.read_csv(
            data_dir / "population" / "census2021_lsoa21_usual_residents_age5cat_london.csv"
        )
        .assign(borough=lambda f: f["Lower layer Super Output Areas"].str.rsplit(" ", n=1).str[0])
        .groupby("borough")["Observation"]
        .sum()
    )
    cov = analysis.result.coverage.set_index(["area_code", "need", "tier"])
    for code, name in THREE.items():
        idva = cov.loc[(code, "domestic_abuse", "high_risk")]
        assert idva["unit"] == "people a year"
        assert idva["estimated"] == pytest.approx(40 * women[name] / 10_000, rel=1e-5)
        refuge = cov.loc[(code, "domestic_abuse", "safe_accommodation")]
        assert refuge["unit"] == "family places"
        assert refuge["estimated"] == pytest.approx(residents[name] / 10_000, rel=1e-5)
        sarc = cov.loc[(code, "sexual_violence", "sarc")]
        assert sarc["estimated"] == pytest.approx(women[name] / 400_000, rel=1e-5)
    # Croydon by hand, to the person: 40 per 10,000 of its women aged 16+
    assert round(cov.loc[("E09000008", "domestic_abuse", "high_risk"), "estimated"]) == round(
        40 * women["Croydon"] / 10_000
    )


def test_road_tiers_split_fatal_and_serious_collisions(london):
    data, _, _, analysis = london
    d = analysis.demand.set_index(["area_code", "need"]).loc[("E09000008", "road_harm")]
    assert d["recorded_fatal"] + d["recorded_serious"] == pytest.approx(d["recorded"])
    cov = analysis.result.coverage.set_index(["area_code", "need", "tier"])
    bereaved = cov.loc[("E09000008", "road_harm", "bereaved")]
    assert bereaved["estimated"] == pytest.approx(d["recorded_fatal"])
    injured = cov.loc[("E09000008", "road_harm", "seriously_injured")]
    rr = data.assumptions.needs["road_harm"].reporting_rate
    assert injured["estimated"] == pytest.approx(d["recorded_serious"] / rr.value)
    # the range: more unreported injuries (rate 20%) give more demand, fewer (42%) less
    assert injured["estimated_high"] == pytest.approx(d["recorded_serious"] / rr.low)
    assert injured["estimated_low"] == pytest.approx(d["recorded_serious"] / rr.high)


def world_assumptions(assumptions, **rate):
    """The real assumptions with hate crime as one tier whose rate has a range."""
    spec = assumptions.needs["hate_crime"]
    tier = spec.tiers["advocacy"].model_copy(
        update={"rate": Multiplier(value=1.0, source="test", rationale="test", **rate)}
    )
    needs = {
        **assumptions.needs,
        "hate_crime": spec.model_copy(update={"tiers": {"advocacy": tier}}),
    }
    return assumptions.model_copy(update={"needs": needs})


def test_a_range_that_straddles_the_red_threshold_marks_the_flag_uncertain(assumptions):
    # demand 100 (range 80 to 125) and capacity 48: 48% (red), 60% at the low end of demand,
    # 38% at the high end: the severity changes within the range
    a = world_assumptions(
        assumptions, low=0.8, low_source="test low", high=1.25, high_source="test high"
    )
    d = demand({("A1", "hate_crime"): 100})
    s = service("s1", needs=("hate_crime",), service_type="hate_crime_advocacy", capacity=48)
    result = analyse(d, tables(s), a, as_of=AS_OF)
    row = result.coverage.set_index(["area_code", "need", "tier"]).loc[
        ("A1", "hate_crime", "advocacy")
    ]
    assert (row["ratio_low"], row["ratio"], row["ratio_high"]) == pytest.approx((0.384, 0.48, 0.6))
    assert row["rag"] == "red" and row["uncertain"]
    flag = result.flags[result.flags["flag"] == "under_provision"].iloc[0]
    assert flag["severity"] == "high" and flag["uncertain"]
    assert "38% to 60%, so the severity is uncertain" in flag["sentence"]
    # the same capacity with a range that stays below 50%: certain
    narrow = world_assumptions(
        assumptions, low=0.99, low_source="test low", high=1.01, high_source="test high"
    )
    result = analyse(d, tables(s), narrow, as_of=AS_OF)
    flag = result.flags[result.flags["flag"] == "under_provision"].iloc[0]
    assert flag["severity"] == "high" and not flag["uncertain"]


def test_a_national_service_is_shared_over_every_area_by_demand(assumptions):
    # road harm, seriously injured: estimated demand 300, 100 and 0 (not assessed is impossible
    # for road harm: it is not police-recorded); a national service of 200 covers all three
    values = {("A1", "road_harm"): 300, ("A2", "road_harm"): 100, ("A3", "road_harm"): 0}
    d = demand(values)
    d["recorded_serious"], d["recorded_fatal"] = d["recorded"], 0.0
    national = service(
        "nat",
        needs=("road_harm",),
        service_type="road_crash_casework",
        areas=("A1", "A2", "A3"),
        all_areas=True,
        capacity=200,
    )
    result = analyse(d, tables(national), assumptions, as_of=AS_OF)
    shares = result.shares[result.shares["tier"] == "seriously_injured"].set_index("area_code")
    # 200 split 3:1:0 by the tier's demand (road harm estimated = recorded ÷ 0.2857)
    assert shares.loc["A1", "capacity_share"] == pytest.approx(150)
    assert shares.loc["A2", "capacity_share"] == pytest.approx(50)
    assert shares.loc["A3", "capacity_share"] == pytest.approx(0)
    # it counts for presence in every area: no "no provision" for the tier anywhere
    none = result.flags[(result.flags["flag"] == "no_provision")]
    assert none[none["tier"] == "seriously_injured"].empty


def test_ranking_by_unmet_need_orders_a_hand_built_case(assumptions):
    """Three areas of 100,000 residents (40,000 women aged 16+). Hate crime (one tier):
    Alpha 400 unmet of 500, Beta 90 of 100. Domestic abuse: community support 1,000 unmet in
    Beta; high risk 40 per 10,000 women = 160 unmet in every area; refuge 10 places unmet in
    every area, each counted as 2 families a year. Gamma has no police data: only its
    population tiers count."""
    d = demand(
        {("A1", "hate_crime"): 500, ("A2", "hate_crime"): 100, ("A2", "domestic_abuse"): 1000}
    )
    hate = [
        service("h1", needs=("hate_crime",), service_type="hate_crime_advocacy", capacity=100),
        service(
            "h2",
            needs=("hate_crime",),
            service_type="hate_crime_advocacy",
            areas=("A2",),
            capacity=10,
        ),
    ]
    result = analyse(d, tables(*hate), assumptions, as_of=AS_OF)
    cov = result.coverage.set_index(["area_code", "need", "tier"])
    assert cov.loc[("A1", "hate_crime", "advocacy"), "unmet"] == pytest.approx(400)
    assert cov.loc[("A2", "hate_crime", "advocacy"), "unmet"] == pytest.approx(90)
    assert cov.loc[("A3", "domestic_abuse", "high_risk"), "unmet"] == pytest.approx(160)
    within = worst_areas(result, need="hate_crime")
    assert list(within["area_name"][:2]) == ["Alpha", "Beta"]
    findings = serious_findings(result, need="hate_crime")
    assert list(findings["area_name"][:2]) == ["Alpha", "Beta"]
    # weighted people a year: high risk and refuge families count 3 each (the defaults)
    expected = {
        "Alpha": 400 + 3 * 160 + 3 * 2 * 10,
        "Beta": 90 + 1000 + 3 * 160 + 3 * 2 * 10,
        "Gamma": 3 * 160 + 3 * 2 * 10,
    }
    overall = worst_areas(result, n=None).set_index("area_name")
    for name, points in expected.items():
        assert overall.loc[name, "priority"] == pytest.approx(points, rel=1e-9)
    assert list(overall.index) == ["Beta", "Alpha", "Gamma"]
    assert overall.loc["Beta", "unmet_people"] == pytest.approx(90 + 1000 + 160 + 2 * 10)
    # with every person equal (the named alternative), priority is the people themselves
    alt = assumptions.ranking.alternatives["every_person_equal"]
    equal = assumptions.with_ranking(assumptions.ranking.reweighed(alt.needs, alt.tiers))
    by_people = worst_areas(analyse(d, tables(*hate), equal, as_of=AS_OF), n=None)
    assert list(by_people["area_name"]) == ["Beta", "Alpha", "Gamma"]
    assert by_people["priority"].tolist() == pytest.approx([1270, 580, 180])


def test_tiers_make_the_london_map_discriminate(london):
    data, _, _, analysis = london
    a = data.assumptions
    rows = map_rows(analysis.result, "domestic_abuse", "high_risk")
    assert colour_classes(rows) >= 4
    html = (
        coverage_map(
            data.boundaries.assign(area_name=data.boundaries["area_name"]),
            rows,
            title="IDVA",
            red=a.threshold("under_provision_red"),
            amber=a.threshold("under_provision_amber"),
        )
        .get_root()
        .render()
    )
    assert "red below 50%" in html and "green 80% and over" in html
    assert "white-space: normal" in html  # tooltips wrap instead of being cut off
    # the headline map shows each area's worst tier with that tier's own numbers
    heads = map_rows(analysis.result, "domestic_abuse")
    assert len(heads) == 33 and heads["tier"].nunique() >= 2


def test_scope_is_stored_migrated_and_exported(registry, validation_ctx):
    org(registry, "org-a")
    national = registry.create_service(
        SYSTEM,
        service_raw(
            ref="nat-1", name="National line", scope="national", areas="", sites=[], contracts=[]
        ),
    )
    local = registry.create_service(
        SYSTEM, service_raw(ref="loc-1", name="Local service", sites=[], contracts=[])
    )
    assert national["scope"] == "national" and national["all_areas"]
    assert len(national["areas"]) == 33
    assert local["scope"] == "local"
    oruk = registry.export_oruk() if hasattr(registry, "export_oruk") else None
    if oruk is not None:
        areas = next(s for s in oruk["services"] if s["id"] == national["id"])["service_areas"]
        assert all("(national service)" in a["service_area"] for a in areas)
    # an old registry (before scopes) migrates: services covering every area become
    # area-wide, the rest local
    url = registry.engine.url.render_as_string(False)
    migrate(registry.engine, "0004", down=True)
    again = Registry.open(validation_ctx, url)
    assert again.get_service(national["id"], actor=SYSTEM)["scope"] == "area_set"
    assert again.get_service(local["id"], actor=SYSTEM)["scope"] == "local"
    again.engine.dispose()


def test_tier_demand_refuses_a_part_the_data_does_not_give(assumptions):
    d = demand({("A1", "road_harm"): 10}).drop(columns=["recorded_fatal", "recorded_serious"])
    with pytest.raises(PlannerError, match="'serious' part of the recorded count"):
        tier_demand(d, assumptions)


def test_an_export_from_before_scopes_still_imports(registry, validation_ctx):
    """An Open Referral UK file written before services had a scope (no scope attribute, no
    scope in the extension) imports: a service covering every area is area-wide."""
    org(registry, "org-a")
    wide = registry.create_service(
        SYSTEM, service_raw(ref="w-1", areas="all", sites=[], contracts=[])
    )
    orgs = {o["id"]: o for o in registry.organisations().to_dict("records")}
    old = service_to_oruk(
        wide, orgs[wide["organisation_id"]], validation_ctx.vocab, validation_ctx.area_set
    )
    old["attributes"] = [
        a for a in old["attributes"] if not a["taxonomy_term"]["taxonomy"].endswith(":scopes")
    ]
    for area in old["service_areas"]:
        area.pop("service_area")
    imported = oruk_to_records([old], validation_ctx)
    ((_, raw),) = imported.services
    assert raw.get("scope") in (None, "")
    record, problems = validate_service(raw, validation_ctx)
    assert problems == [] and record["scope"] == "area_set" and len(record["areas"]) == 33
