"""Controlled vocabularies (``data/vocabularies.toml``): accepted keys and their labels."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from planner.errors import ConfigError

LISTS = (
    "needs",
    "service_types",
    "stages",
    "specialisms",
    "channels",
    "age_groups",
    "genders",
    "scopes",
    "accreditations",
    "referral_routes",
    "funding_statuses",
    "registration_statuses",
    "roles",
)


@dataclass(frozen=True)
class Vocabularies:
    lists: dict[str, dict[str, str]]
    _folded: dict[str, dict[str, str]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    def keys(self, name: str) -> list[str]:
        return list(self.lists[name])

    def label(self, name: str, key: str) -> str:
        return self.lists[name].get(key, key)

    def key_for(self, name: str, text: str) -> str | None:
        """The key for a key or a label (case-insensitive), or None."""
        index = self._folded.get(name)
        if index is None:  # each key and label case-folded, to its key (the first key wins)
            index = {}
            for key, label in self.lists[name].items():
                index.setdefault(key.casefold(), key)
                index.setdefault(label.casefold(), key)
            self._folded[name] = index
        return index.get(str(text).strip().casefold())


def load_vocabularies(path: Path | None = None) -> Vocabularies:
    """The vocabularies file (default: ``Settings.vocabularies_file``)."""
    if path is None:
        from planner.settings import load_settings

        path = load_settings().vocabularies_file
    return _load(Path(path))


@cache
def _load(path: Path) -> Vocabularies:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"Vocabulary file {path} cannot be read: {exc}") from exc
    missing = [name for name in LISTS if name not in raw]
    unknown = [name for name in raw if name not in LISTS]
    if missing or unknown:
        raise ConfigError(f"{path}: missing lists {missing}, unknown lists {unknown}")
    return Vocabularies({name: dict(raw[name]) for name in LISTS})
