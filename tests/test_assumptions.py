import tomllib

import pytest

from planner.assumptions import NEEDS, load_assumptions, parse_assumptions
from planner.errors import ConfigError
from planner.settings import REPO_ROOT

FILE = REPO_ROOT / "data" / "assumptions.toml"


def raw() -> dict:
    return tomllib.loads(FILE.read_text(encoding="utf-8"))


def test_every_brief_value_is_present_with_a_source(assumptions):
    """BRIEF §3.5: each starting value, with its source."""
    needs = assumptions.needs
    assert set(needs) == set(NEEDS)
    assert needs["domestic_abuse"].reporting_rate.value == 0.189
    assert needs["sexual_violence"].reporting_rate.value == 0.16
    assert "19% of men" in needs["sexual_violence"].reporting_rate.source
    assert needs["hate_crime"].reporting_rate.value == 1.0
    assert "no verified" in needs["hate_crime"].reporting_rate.source
    assert needs["road_harm"].reporting_rate.value == pytest.approx(1 / 3.5, abs=1e-4)
    assert "RAS54004" in needs["road_harm"].reporting_rate.source
    assert needs["homicide"].averaging_years == 3
    b = assumptions.benchmarks
    # the Council of Europe standards and the SafeLives Marac rate are tier demand rules
    tiers = {n: s.tiers for n, s in needs.items()}
    refuge = tiers["domestic_abuse"]["safe_accommodation"]
    assert (refuge.basis, refuge.per, refuge.rate.value, refuge.measure) == (
        "population",
        10_000,
        1,
        "places",
    )
    idva = tiers["domestic_abuse"]["high_risk"]
    assert (idva.basis, idva.per, idva.rate.value) == ("women_16plus", 10_000, 40)
    assert "not confirmed" in idva.rate.source
    sarc, rcc = tiers["sexual_violence"]["sarc"], tiers["sexual_violence"]["rape_crisis_centres"]
    assert (sarc.per, rcc.per, sarc.measure, rcc.measure) == (
        400_000,
        200_000,
        "centres",
        "centres",
    )
    assert "Council of Europe" in sarc.rate.source and "Council of Europe" in rcc.rate.source
    assert b["national_helplines_24_7"].value == 1
    assert (b["idva_caseload_low"].value, b["idva_caseload_high"].value) == (60, 70)
    assert b["police_referral_working_days"].value == 2
    table = assumptions.table()
    assert table["source"].str.len().min() > 3
    assert table["rationale"].str.len().min() > 10
    tiers = [t for spec in needs.values() for t in spec.tiers.values()]
    stocks = [t for t in tiers if t.people_per_unit is not None]
    assert len(table) == (
        2 * len(NEEDS)
        + len(tiers)
        + len(stocks)
        + len(b)
        + len(assumptions.thresholds)
        + len(assumptions.unit_costs)
        + len(NEEDS)  # a ranking weight per need
        + sum(len(t) for t in assumptions.ranking.tiers.values())  # and per tier given
        + 2  # the allocation's local-lot demand and large-gap size
        + len(assumptions.allocation.minimum_lots)
    )


def test_required_stages_follow_the_brief(assumptions):
    for need in ("homicide", "road_harm"):
        stages = assumptions.needs[need].required_stages
        assert "inquest" in stages and "long_term" in stages
    for need in ("domestic_abuse", "sexual_violence"):
        assert "before_report" in assumptions.needs[need].required_stages


def test_unknown_keys_are_rejected_with_the_closest_name():
    data = raw()
    data["needs"]["homicide"]["reportng_rate"] = {"value": 1}
    data["benchmarks"]["national_helplines_24_7"]["sorce"] = "x"
    with pytest.raises(ConfigError) as err:
        parse_assumptions(data)
    text = str(err.value)
    assert "2 problem(s)" in text
    assert "needs.homicide.reportng_rate: unknown key (did you mean 'reporting_rate'?)" in text
    assert "national_helplines_24_7.sorce: unknown key" in text


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("needs", "domestic_abuse", "reporting_rate", "value"), 0, "greater than 0"),
        (("needs", "domestic_abuse", "reporting_rate", "value"), 1.2, "less than or equal to 1"),
        (("needs", "homicide", "averaging_years"), 0, "greater than or equal to 1"),
        (("thresholds", "over_provision", "value"), -1, "greater than 0"),
        (("needs", "homicide", "required_stages"), ["court"], "before_report"),
        (("thresholds", "under_provision_red", "value"), 0.9, "must be below"),
    ],
)
def test_out_of_range_values_are_rejected(path, value, message):
    data = raw()
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(ConfigError, match=message):
        parse_assumptions(data)


def test_a_missing_need_is_reported():
    data = raw()
    del data["needs"]["road_harm"]
    with pytest.raises(ConfigError, match="needs missing: road_harm"):
        parse_assumptions(data)


def test_broken_toml_names_the_file(tmp_path):
    bad = tmp_path / "a.toml"
    bad.write_text("[meta\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_assumptions(bad)
