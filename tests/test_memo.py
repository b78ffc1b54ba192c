"""Loaded files are kept only while they are unchanged."""

import os

from planner.memo import forget, remembered


def test_a_changed_added_or_removed_file_brings_a_fresh_load(tmp_path):
    forget()
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "a.csv").write_text("1")
    calls = []

    def load():
        calls.append(1)
        return sorted(p.read_text() for p in folder.iterdir())

    assert remembered("t", [folder], None, load) == ["1"]
    assert remembered("t", [folder], None, load) == ["1"] and len(calls) == 1
    (folder / "a.csv").write_text("22")  # a new size
    assert remembered("t", [folder], None, load) == ["22"] and len(calls) == 2
    stat = (folder / "a.csv").stat()
    (folder / "a.csv").write_text("33")  # same size, new time
    os.utime(folder / "a.csv", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert remembered("t", [folder], None, load) == ["33"] and len(calls) == 3
    (folder / "b.csv").write_text("4")
    assert remembered("t", [folder], None, load) == ["33", "4"] and len(calls) == 4
    (folder / "b.csv").unlink()  # back to an earlier state of the files: its result serves
    assert remembered("t", [folder], None, load) == ["33"] and len(calls) == 4
    assert remembered("other key", [folder], 1, load) == ["33"] and len(calls) == 5
