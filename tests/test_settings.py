import re
from pathlib import Path

import pytest

from planner.errors import ConfigError
from planner.settings import ENVIRONMENT, REPO_ROOT, load_settings


def test_defaults_use_shared_data_beside_the_checkout(tmp_path):
    settings = load_settings({"HOME": str(tmp_path)})
    shared = REPO_ROOT.parent / "shared" / "data"
    if shared.is_dir():
        assert settings.data_dir == shared
    else:
        assert settings.data_dir == tmp_path / ".cache" / "planner" / "data"
    assert settings.area_set_file == REPO_ROOT / "boroughs" / "london.toml"
    assert settings.assumptions_file == REPO_ROOT / "data" / "assumptions.toml"
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("planner/registry.sqlite")
    assert settings.vocabularies_file == REPO_ROOT / "data" / "vocabularies.toml"
    assert settings.oruk_schema_dir.name == "compiled"
    with_xdg = load_settings({"XDG_DATA_HOME": str(tmp_path / "x")})
    assert with_xdg.database_url == f"sqlite:///{tmp_path / 'x' / 'planner' / 'registry.sqlite'}"


def test_environment_overrides(tmp_path):
    settings = load_settings(
        {
            "PLANNER_DATA_DIR": str(tmp_path / "d"),
            "PLANNER_AREA_SET": "london",
            "DATABASE_URL": "postgresql+psycopg://u@localhost/db",
            "PLANNER_FETCH_MIRROR": "http://127.0.0.1:9/",
        }
    )
    assert settings.data_dir == tmp_path / "d"
    assert settings.data_dir_source == "PLANNER_DATA_DIR"
    assert settings.database_url.startswith("postgresql")
    assert settings.fetch_mirror == "http://127.0.0.1:9/"


def test_an_area_set_may_be_a_path(tmp_path):
    other = tmp_path / "merseyside.toml"
    assert load_settings({"PLANNER_AREA_SET": str(other)}).area_set_file == other


def test_unknown_setting_is_rejected_with_a_hint():
    with pytest.raises(ConfigError, match=r"PLANNER_DATADIR.*Did you mean PLANNER_DATA_DIR"):
        load_settings({"PLANNER_DATADIR": "/x"})


def test_every_setting_is_documented_in_the_readme():
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`([A-Z_]{6,})`", readme))
    missing = sorted(set(ENVIRONMENT) - documented)
    assert not missing, f"README does not document: {missing}"


def test_cache_dir_follows_xdg(tmp_path):
    settings = load_settings({"XDG_CACHE_HOME": str(tmp_path)})
    assert settings.cache_dir == Path(tmp_path) / "planner"
