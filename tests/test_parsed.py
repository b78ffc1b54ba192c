"""The parsed-data cache (issue 14): the same tables from the cache as from the files, a new
parse when an input or a loader changes, and never a failure because of the cache."""

from __future__ import annotations

import os

import pandas as pd
import pytest

from planner.analysis import demand_for
from planner.datasets import _load_planner_data, load_small_areas
from planner.parsed import cached
from planner.settings import load_settings


def counting(frame: pd.DataFrame):
    calls = []

    def parse():
        calls.append(1)
        return {"table": frame}, {"rows": len(frame)}

    return parse, calls


def test_a_second_process_reads_what_the_first_parsed(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("a,b\n1,x\n", encoding="utf-8")
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    parse, calls = counting(frame)
    first = cached(tmp_path / "cache", "t", [source], parse)
    again = cached(tmp_path / "cache", "t", [source], parse)
    assert len(calls) == 1
    pd.testing.assert_frame_equal(again[0]["table"], first[0]["table"])
    assert again[1] == {"rows": 2}
    # a changed byte is another key: parsed again (the old folder is never read)
    source.write_text("a,b\n1,z\n", encoding="utf-8")
    cached(tmp_path / "cache", "t", [source], parse)
    assert len(calls) == 2
    # so is other salt (what else the result depends on)
    cached(tmp_path / "cache", "t", [source], parse, salt="another area set")
    assert len(calls) == 3


def test_a_damaged_or_unwritable_cache_is_parsed_again(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("x", encoding="utf-8")
    parse, calls = counting(pd.DataFrame({"a": [1]}))
    cached(tmp_path / "cache", "t", [source], parse)
    (folder,) = (tmp_path / "cache" / "parsed").iterdir()
    (folder / "table.parquet").write_bytes(b"not parquet")
    tables, _ = cached(tmp_path / "cache", "t", [source], parse)
    assert len(calls) == 2 and list(tables["table"]["a"]) == [1]
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be", encoding="utf-8")
    tables, _ = cached(blocked, "t", [source], parse)
    assert len(calls) == 3 and list(tables["table"]["a"]) == [1]


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write anywhere")
def test_a_read_only_cache_folder_costs_only_speed(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text("x", encoding="utf-8")
    parse, calls = counting(pd.DataFrame({"a": [1]}))
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache").chmod(0o500)
    try:
        cached(tmp_path / "cache", "t", [source], parse)
        cached(tmp_path / "cache", "t", [source], parse)
    finally:
        (tmp_path / "cache").chmod(0o700)
    assert len(calls) == 2


def test_the_real_files_give_the_same_demand_from_the_cache(tmp_path, data_dir):
    settings = load_settings(
        {"PLANNER_DATA_DIR": str(data_dir), "PLANNER_CACHE_DIR": str(tmp_path / "cache")}
    )
    parsed = _load_planner_data(settings)
    assert len(list((tmp_path / "cache" / "parsed").iterdir())) == 1
    again = _load_planner_data(settings)
    pd.testing.assert_frame_equal(demand_for(again), demand_for(parsed))
    pd.testing.assert_frame_equal(again.population, parsed.population)
    assert again.boundaries.crs == parsed.boundaries.crs
    assert again.boundaries.geometry.equals(parsed.boundaries.geometry)
    for need, series in parsed.series.items():
        assert again.series[need].months == series.months
        assert again.series[need].recording_break == series.recording_break
    small = load_small_areas(data_dir, parsed.area_set, tmp_path / "cache")
    pd.testing.assert_frame_equal(
        load_small_areas(data_dir, parsed.area_set, tmp_path / "cache"), small
    )
    pd.testing.assert_frame_equal(load_small_areas(data_dir, parsed.area_set), small)


def test_old_folders_are_pruned(tmp_path):
    source = tmp_path / "in.csv"
    parse, calls = counting(pd.DataFrame({"a": [1]}))
    for i in range(7):
        source.write_text(str(i), encoding="utf-8")
        cached(tmp_path / "cache", "t", [source], parse)
    assert len(calls) == 7
    assert len(list((tmp_path / "cache" / "parsed").glob("t-*"))) == 4
