from pathlib import Path

import pandas as pd
import pytest

from planner.areas import load_area_set
from planner.errors import ConfigError, UnknownAreaError


def test_london_has_33_areas_with_gss_codes(area_set):
    assert len(area_set.areas) == 33
    assert area_set.codes == [f"E09{n:06d}" for n in range(1, 34)]
    assert sum(a.inner_outer == "Inner" for a in area_set.areas) == 14


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("Barking & Dagenham", "E09000002"),
        ("barking and dagenham", "E09000002"),
        ("Kingston-upon-Thames", "E09000021"),
        ("Kingston Upon Thames", "E09000021"),
        ("Hammersmith & Fulham", "E09000013"),
        ("Royal Borough of Kensington and Chelsea", "E09000020"),
        ("  Westminster ", "E09000033"),
        ("e09000008", "E09000008"),
    ],
)
def test_resolver_accepts_known_spellings(area_set, spelling, code):
    assert area_set.resolve(spelling) == code


def test_every_name_in_the_data_lookup_resolves(area_set, data_dir):
    """The GLA lookup's name_variants are an independent list of spellings in the sources."""
    lookup = pd.read_csv(data_dir / "boundaries" / "london_borough_lookup.csv")
    for _, row in lookup.iterrows():
        for variant in row["name_variants"].split("|"):
            assert area_set.resolve(variant) == row["gss_code"], variant


def test_unknown_name_names_it_and_the_closest(area_set):
    with pytest.raises(UnknownAreaError, match=r"Unknown borough 'Croyden'.*Croydon"):
        area_set.resolve("Croyden")
    with pytest.raises(UnknownAreaError, match=r"'Atlantis'"):
        area_set.resolve("Atlantis")
    with pytest.raises(UnknownAreaError, match=r"E09000034.*E09000001 to E09000033"):
        area_set.resolve("E09000034")


def test_city_of_london_has_no_police_data(area_set):
    assert not area_set.police_covered("E09000001")
    assert area_set.not_policed_reason("E09000001") == "no police data (City of London Police area)"
    assert area_set.not_policed_reason("E09000008") is None
    frame = area_set.to_frame()
    assert frame["police_data"].sum() == 32


def test_non_area_police_rows_are_recognised(area_set):
    assert area_set.is_non_area("Other / NK")
    assert area_set.is_non_area("London Heathrow and London City Airports")
    assert not area_set.is_non_area("Croydon")


def test_bad_reference_file_reports_every_problem(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        """
[area_set]
key = "x"
name = "X"
area_label = "area"
police_force = "P"
non_area_names = []
colour = "red"

[[areas]]
code = "E0900001"
name = "One"
spellings = ["Shared"]
inner_outer = "Inner"
sub_region = "C"
police_force = "P"

[[areas]]
code = "E09000002"
name = "Two"
spellings = ["Shared"]
inner_outer = "Inner"
sub_region = "C"
""",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as err:
        load_area_set(bad)
    text = str(err.value)
    assert "unknown key 'colour'" in text
    assert "'E0900001' is not a GSS code" in text
    assert "missing key 'police_force'" in text
    assert "3 problem(s)" in text


def test_missing_reference_file_says_what_to_set(tmp_path):
    with pytest.raises(ConfigError, match="PLANNER_AREA_SET"):
        load_area_set(tmp_path / "nowhere.toml")
