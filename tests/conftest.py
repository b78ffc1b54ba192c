"""Shared fixtures: the real London files (skipped with a reason when absent) and a way to
make a data folder in which one file is replaced by a bad one."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from planner.areas import AreaSet, load_area_set
from planner.assumptions import Assumptions, Share, load_assumptions
from planner.settings import REPO_ROOT

# Property tests: three examples in the quick local run, the full count in `make test` and CI
# (HYPOTHESIS_PROFILE=full).
hypothesis_settings.register_profile("quick", max_examples=3, deadline=None)
hypothesis_settings.register_profile("full", max_examples=40, deadline=None)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "quick"))

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


@pytest.fixture(scope="session")
def untiered() -> Assumptions:
    """The real assumptions with each need as one tier of all its services against its
    estimated victims (the v1 model), each victim counted (take-up 1, no range): what the
    hand-built coverage worlds test."""
    assumptions = load_assumptions(REPO_ROOT / "data" / "assumptions.toml")
    everyone = Share(value=1.0, source="the v1 model", rationale="every victim counted")
    needs = {
        n: spec.model_copy(update={"tiers": {}, "take_up_share": everyone})
        for n, spec in assumptions.needs.items()
    }
    return assumptions.model_copy(update={"needs": needs})


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


# --- PostgreSQL: a real server on a free local port, started once per test session ----------


@pytest.fixture(scope="session")
def postgres_url():
    from tests.pgserver import postgres_bin, temporary_postgres

    if postgres_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL is not installed; .ci/system-deps.sh should install it")
        pytest.skip("PostgreSQL is not installed (make test installs it)")
    with temporary_postgres() as url:
        yield url


@pytest.fixture
def postgres_database(postgres_url):
    """A fresh, empty database on the session's server; dropped after the test."""
    import uuid

    import psycopg

    name = f"t_{uuid.uuid4().hex[:12]}"
    dsn = postgres_url.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(f"{dsn}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"{postgres_url}/{name}"
    with psycopg.connect(f"{dsn}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def validation_ctx(data_dir):
    from planner.registry.setup import validation_context
    from planner.settings import load_settings

    return validation_context(load_settings({"PLANNER_DATA_DIR": str(data_dir)}))


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory, validation_ctx) -> Path:
    """An empty SQLite registry migrated to the newest schema once per session: each test
    gets a copy (the migrations themselves are tested in test_registry_storage and
    test_faults, on fresh and populated databases)."""
    from planner.registry.service import Registry

    path = tmp_path_factory.mktemp("migrated") / "registry.sqlite"
    Registry.open(validation_ctx, f"sqlite:///{path}").engine.dispose()
    return path


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.slow])]
)
def registry(request, tmp_path, validation_ctx):
    """An empty, migrated registry on SQLite and on PostgreSQL."""
    from planner.registry.service import Registry

    if request.param == "sqlite":
        shutil.copy(request.getfixturevalue("migrated_sqlite"), tmp_path / "registry.sqlite")
        url = f"sqlite:///{tmp_path / 'registry.sqlite'}"
    else:
        url = request.getfixturevalue("postgres_database")
    reg = Registry.open(validation_ctx, url)
    yield reg
    reg.engine.dispose()


@pytest.fixture(scope="session")
def demo_registry_file(tmp_path_factory, data_dir) -> Path:
    """`planner registry init` (the demonstration registry) run once per session."""
    from tests.cli_helpers import clean_env, run_in_process

    home = tmp_path_factory.mktemp("demo-xdg")
    done = run_in_process(clean_env(XDG_DATA_HOME=str(home)), "registry", "init")
    assert done.returncode == 0, done.stderr
    return home / "planner" / "registry.sqlite"


@pytest.fixture
def demo_env(tmp_path, demo_registry_file) -> dict[str, str]:
    """An environment whose registry is a fresh copy of the demonstration registry."""
    from tests.cli_helpers import clean_env

    target = tmp_path / "xdg" / "planner" / "registry.sqlite"
    target.parent.mkdir(parents=True)
    shutil.copy(demo_registry_file, target)
    return clean_env(XDG_DATA_HOME=str(tmp_path / "xdg"))


LONDON_AS_OF = __import__("datetime").date(2026, 11, 29)


@pytest.fixture(scope="session")
def london(tmp_path_factory, data_dir, validation_ctx):
    """The real London data with the demonstration registry loaded as of 29 November 2026:
    (data, registry, small areas, analysis)."""
    from planner.analysis import analyse_registry
    from planner.datasets import load_planner_data, load_small_areas
    from planner.registry.demo import load_demo
    from planner.registry.service import Registry
    from planner.settings import load_settings

    path = tmp_path_factory.mktemp("london") / "registry.sqlite"
    registry = Registry.open(validation_ctx, f"sqlite:///{path}")
    data = load_planner_data(load_settings({"PLANNER_DATA_DIR": str(data_dir)}))
    load_demo(registry, data.boundaries, today=LONDON_AS_OF)
    small = load_small_areas(data.data_dir, data.area_set)
    return (
        data,
        registry,
        small,
        analyse_registry(data, registry, as_of=LONDON_AS_OF, small_areas=small),
    )


@pytest.fixture(scope="module")
def world(tmp_path_factory, data_dir, validation_ctx):
    """The demonstration registry (as of today) with a commissioner, carol, and a provider of
    Kestrel, kim: what the app's page tests run against (one per test module)."""
    from planner.registry.auth import SYSTEM
    from planner.registry.demo import load_demo
    from planner.registry.service import Registry
    from planner.sources.boundaries import load_area_boundaries

    folder = tmp_path_factory.mktemp("app")
    url = f"sqlite:///{folder / 'registry.sqlite'}"
    registry = Registry.open(validation_ctx, url)
    boundaries = load_area_boundaries(data_dir, validation_ctx.area_set)
    load_demo(registry, boundaries, today=__import__("datetime").date.today())
    kestrel = (
        registry.organisations().set_index("name").loc["Kestrel Domestic Abuse Partnership", "id"]
    )
    registry.add_user(SYSTEM, "carol", "commissioner password", "commissioner")
    registry.add_user(SYSTEM, "kim", "provider password!", "provider", kestrel)
    return {"url": url, "registry": registry, "kestrel": kestrel, "folder": folder}


@pytest.fixture
def app(world, monkeypatch):
    """Open the app (as ``actor``, on ``page``) against the ``world`` registry in AppTest."""
    from streamlit.testing.v1 import AppTest

    from planner.registry.auth import Actor

    app_file = str(Path(__file__).resolve().parents[1] / "planner" / "app" / "app.py")

    monkeypatch.setenv("DATABASE_URL", world["url"])
    monkeypatch.setenv("XDG_DATA_HOME", str(world["folder"] / "xdg"))

    def open_page(page: str | None = None, actor: Actor | None = None) -> AppTest:
        at = AppTest.from_file(app_file, default_timeout=180)
        if actor:
            at.session_state["actor"] = actor
        at.run()
        if page:
            at.switch_page(f"pages/{page}.py").run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    return open_page
