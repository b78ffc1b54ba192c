"""One settings object: where data, reference files and the database live.

Every value can be overridden from the environment. Unknown ``PLANNER_*`` variables are
rejected with the closest known name, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from planner.errors import ConfigError

REPO_ROOT = Path(__file__).resolve().parent.parent
"""The checkout (or installed tree) that holds ``data/`` and ``boroughs/``."""

ANALYSIS_CRS = "EPSG:27700"
"""British National Grid: metres, for areas, distances and point-in-polygon joins."""

MAP_CRS = "EPSG:4326"
"""WGS84 longitude/latitude, for web maps."""

# (environment variable, help) for every setting. A test fails if one is undocumented.
ENVIRONMENT: dict[str, str] = {
    "PLANNER_DATA_DIR": "folder of official data files (default ../shared/data, else the cache)",
    "PLANNER_CACHE_DIR": "where `planner data fetch` downloads to (default ~/.cache/planner)",
    "PLANNER_AREA_SET": "area reference file in boroughs/ or a path (default london)",
    "PLANNER_ASSUMPTIONS": "assumptions file (default data/assumptions.toml)",
    "PLANNER_SOURCES_MANIFEST": "download manifest (default data/sources.toml)",
    "PLANNER_FETCH_MIRROR": "base URL to download every file from instead of its own URL",
    "PLANNER_SESSION_SECRET": "key that signs the app's sign-in cookie (default a random key "
    "kept in the user folder; set the same one on every server of one deployment)",
    "DATABASE_URL": "SQLAlchemy URL of the registry database (default SQLite in the user folder)",
}


def _default_cache_dir(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "planner"


@dataclass(frozen=True)
class Settings:
    """Paths and URLs the planner uses. Build with :func:`load_settings`."""

    data_dir: Path
    data_dir_source: str
    cache_dir: Path
    area_set_file: Path
    assumptions_file: Path
    sources_manifest: Path
    fetch_mirror: str | None = None
    database_url: str = ""
    """SQLAlchemy URL of the registry: DATABASE_URL, else the SQLite file in the user folder."""
    vocabularies_file: Path = REPO_ROOT / "data" / "vocabularies.toml"
    framework_file: Path = REPO_ROOT / "data" / "framework.toml"
    demo_registry_file: Path = REPO_ROOT / "data" / "demo_registry.toml"
    oruk_schema_dir: Path = (
        REPO_ROOT.parent / "shared" / "schemas" / "openreferral-uk" / "schema" / "compiled"
    )
    """The compiled Open Referral UK JSON schemas that exports are validated against."""
    extra: dict[str, str] = field(default_factory=dict)


def _check_unknown(env: Mapping[str, str]) -> None:
    known = [k for k in ENVIRONMENT if k.startswith("PLANNER_")]
    for key in env:
        if key.startswith("PLANNER_") and key not in ENVIRONMENT:
            close = difflib.get_close_matches(key, known, n=1)
            hint = f" Did you mean {close[0]}?" if close else ""
            raise ConfigError(
                f"Unknown setting {key} in the environment.{hint} "
                f"Known settings: {', '.join(known)}."
            )


def _area_set_path(value: str) -> Path:
    candidate = Path(value)
    if candidate.suffix == ".toml" or candidate.is_absolute() or os.sep in value:
        return candidate
    return REPO_ROOT / "boroughs" / f"{value}.toml"


def user_data_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "planner"


def edited_assumptions_file(env: Mapping[str, str] | None = None) -> Path:
    """Where a commissioner's edit of the assumptions is kept (used instead of the defaults
    when it exists)."""
    return user_data_dir(env) / "assumptions.toml"


def default_database_url(env: Mapping[str, str] | None = None) -> str:
    """The SQLite file in the user's data folder (``$XDG_DATA_HOME/planner``)."""
    return f"sqlite:///{user_data_dir(env) / 'registry.sqlite'}"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read settings from the environment (``os.environ`` unless given)."""
    env = os.environ if env is None else env
    _check_unknown(env)
    cache_dir = Path(env["PLANNER_CACHE_DIR"]) if env.get("PLANNER_CACHE_DIR") else None
    cache_dir = cache_dir or _default_cache_dir(env)
    shared = REPO_ROOT.parent / "shared" / "data"
    if env.get("PLANNER_DATA_DIR"):
        data_dir, source = Path(env["PLANNER_DATA_DIR"]), "PLANNER_DATA_DIR"
    elif shared.is_dir():
        data_dir, source = shared, "../shared/data beside the checkout"
    else:
        data_dir, source = cache_dir / "data", "download cache (planner data fetch)"
    return Settings(
        data_dir=data_dir,
        data_dir_source=source,
        cache_dir=cache_dir,
        area_set_file=_area_set_path(env.get("PLANNER_AREA_SET", "london")),
        assumptions_file=Path(env["PLANNER_ASSUMPTIONS"])
        if env.get("PLANNER_ASSUMPTIONS")
        else (
            edited_assumptions_file(env)
            if edited_assumptions_file(env).is_file()
            else REPO_ROOT / "data" / "assumptions.toml"
        ),
        sources_manifest=Path(
            env.get("PLANNER_SOURCES_MANIFEST", REPO_ROOT / "data" / "sources.toml")
        ),
        fetch_mirror=env.get("PLANNER_FETCH_MIRROR") or None,
        database_url=env.get("DATABASE_URL") or default_database_url(env),
    )
