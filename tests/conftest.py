"""Shared fixtures: the real London files (skipped with a reason when absent) and a way to
make a data folder in which one file is replaced by a bad one."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from planner.areas import AreaSet, load_area_set
from planner.assumptions import Assumptions, load_assumptions
from planner.settings import REPO_ROOT

SHARED_DATA = Path(os.environ.get("PLANNER_TEST_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


@pytest.fixture(autouse=True)
def _clean_planner_env(monkeypatch):
    """Tests start from default settings, whatever the developer's shell exports."""
    for key in list(os.environ):
        if key.startswith("PLANNER_") and key != "PLANNER_TEST_SHARED_DATA":
            monkeypatch.delenv(key, raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)


@pytest.fixture(scope="session")
def data_dir() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"the official data folder {SHARED_DATA} is absent (clone ../shared beside)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def area_set() -> AreaSet:
    return load_area_set(REPO_ROOT / "boroughs" / "london.toml")


@pytest.fixture(scope="session")
def assumptions() -> Assumptions:
    return load_assumptions(REPO_ROOT / "data" / "assumptions.toml")


@pytest.fixture
def data_copy(tmp_path, data_dir):
    """Make a data folder of links to the real files, with some files replaced.

    ``data_copy({"crime/x.csv": b"..."})`` writes those bytes; a value of None removes the file.
    """

    def make(replace: dict[str, bytes | None] | None = None) -> Path:
        root = tmp_path / "data"
        for src in data_dir.rglob("*"):
            if src.is_file():
                dst = root / src.relative_to(data_dir)
                dst.parent.mkdir(parents=True, exist_ok=True)
                if not dst.exists():
                    dst.symlink_to(src)
        for rel, content in (replace or {}).items():
            target = root / rel
            if target.exists() or target.is_symlink():
                target.unlink()
            if content is not None:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(content)
        return root

    return make


@pytest.fixture
def copy_layer(tmp_path):
    """Copy a shapefile's parts into a fresh folder so a test can rewrite it."""

    def copy(src_shp: Path, dst_dir: Path) -> Path:
        dst_dir.mkdir(parents=True, exist_ok=True)
        for part in src_shp.parent.glob(src_shp.stem + ".*"):
            shutil.copy(part, dst_dir / part.name)
        return dst_dir / src_shp.name

    return copy
