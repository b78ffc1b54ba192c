import csv

import pytest
from pyproj import Transformer
from shapely.geometry import Point

from planner.errors import DataFileError
from planner.sources.boundaries import load_area_boundaries
from planner.sources.stats19 import load_stats19_collisions

FILE_2025 = "road_casualties/stats19_london_collisions_2025.csv"
FILE_2022 = "road_casualties/stats19_london_collisions_2022.csv"


@pytest.fixture(scope="module")
def areas(data_dir, area_set):
    return load_area_boundaries(data_dir, area_set)


@pytest.fixture(scope="module")
def collisions(data_dir, areas):
    return load_stats19_collisions(data_dir, areas)


def raw_rows(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def test_every_collision_is_placed_once_and_ksi_matches_the_raw_file(collisions, data_dir):
    for year, rel in ((2022, FILE_2022), (2025, FILE_2025)):
        rows = raw_rows(data_dir / rel)
        ksi = sum(r["accident_severity"] in ("Fatal", "Serious") for r in rows)
        mine = collisions[collisions["year"] == year]
        assert len(mine) == len(rows)
        assert int(mine["ksi"].sum()) == ksi
    assert collisions["accident_index"].is_unique
    assert collisions.attrs["years"] == [2022, 2025]
    assert collisions.attrs["outside"] == 0
    # SOURCES.md: one 2025 point lay 0.25 m outside and goes to the nearest borough
    assert (collisions["placed_by"] == "nearest").sum() == 1


def test_area_assignment_agrees_with_plain_point_in_polygon(collisions, data_dir, areas):
    """Check a sample with shapely contains, one point at a time (no spatial index)."""
    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    rows = raw_rows(data_dir / FILE_2025)[::500]
    placed = collisions.set_index("accident_index")["area_code"]
    for r in rows:
        x, y = to_bng.transform(float(r["longitude"]), float(r["latitude"]))
        inside = [
            c
            for c, g in zip(areas["area_code"], areas.geometry, strict=True)
            if g.contains(Point(x, y))
        ]
        if inside:
            assert placed[r["accident_index"]] == inside[0]
    assert len(rows) > 30


def test_westminster_ksi_2025_against_the_derived_summary(collisions, data_dir):
    """The publisher-independent summary in SOURCES.md was made by a separate spatial join."""
    summary = raw_rows(
        data_dir / "road_casualties/stats19_london_collisions_by_borough_severity_2022_2025.csv"
    )
    expected = {(int(r["year"]), r["gss_code"]): int(r["collisions_ksi"]) for r in summary}
    mine = collisions[collisions["ksi"]].groupby(["year", "area_code"]).size()
    assert mine.to_dict() == {k: v for k, v in expected.items() if v}


HEADER = "accident_index,accident_year,longitude,latitude,accident_severity,date\n"


def test_bad_severity_coordinates_and_dates_each_named(data_copy, areas):
    body = (
        "A1,2025,-0.1,51.5,Serious,2025/03/01\n"
        "A2,2025,,51.5,Slight,2025/03/01\n"
        "A3,2025,-0.1,51.5,Critical,2025/03/01\n"
        "A4,2025,-0.1,51.5,Fatal,2024/12/31\n"
        "A5,2025,-0.1,51.5,Fatal,someday\n"
    )
    root = data_copy({FILE_2025: (HEADER + body).encode()})
    with pytest.raises(DataFileError) as err:
        load_stats19_collisions(root, areas)
    text = str(err.value)
    assert "row 3, column 'longitude': no usable coordinates" in text
    assert "row 4, column 'accident_severity': severity 'Critical' is not one of" in text
    assert "row 5, column 'date': date 2024/12/31 is outside the file's year 2025" in text
    assert "row 6, column 'date': not a date: 'someday'" in text


def test_missing_column(data_copy, areas):
    root = data_copy(
        {FILE_2025: b"accident_index,longitude,latitude,date\nA1,-0.1,51.5,2025/01/01\n"}
    )
    with pytest.raises(DataFileError, match=r"column 'accident_severity': missing column"):
        load_stats19_collisions(root, areas)
