"""The area set: hand-written reference facts about the areas a deployment covers.

London is one area set (``boroughs/london.toml``); another police force area is another file.
One resolver turns any known spelling or GSS code into a code; an unknown name is an error
that names the closest known names.
"""

from __future__ import annotations

import difflib
import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from planner.errors import ConfigError, UnknownAreaError

NOT_POLICED_TEMPLATE = "no police data ({force} area)"
_GSS = re.compile(r"^[EWSN]\d{8}$")


@dataclass(frozen=True)
class Area:
    code: str
    name: str
    spellings: tuple[str, ...]
    inner_outer: str
    sub_region: str
    police_force: str


def _normalise(name: str) -> str:
    text = name.strip().lower().replace("&", " and ").replace("-", " ")
    text = re.sub(r"[^a-z0-9 ]", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"^(london borough of|royal borough of) ", "", text)


@dataclass(frozen=True)
class AreaSet:
    """The areas of one deployment, with a name resolver."""

    key: str
    name: str
    area_label: str
    police_force: str
    non_area_names: tuple[str, ...]
    areas: tuple[Area, ...]
    relevant_authorities: str = ""
    """The authorities that must collaborate (Victims and Prisoners Act 2024, s.13(3)), named on
    the joint needs assessment's cover."""
    tier_one_authority: str = ""
    """The tier-one authority with the Domestic Abuse Act 2021 Part 4 duty."""

    @property
    def codes(self) -> list[str]:
        return [a.code for a in self.areas]

    def area(self, code: str) -> Area:
        for a in self.areas:
            if a.code == code:
                return a
        raise UnknownAreaError(f"{code!r} is not an area code of {self.name}.")

    def name_of(self, code: str) -> str:
        return self.area(code).name

    @functools.cached_property
    def _lookup(self) -> dict[str, str]:
        """Each spelling of an area (normalised) to its code. Kept on the instance: hashing a
        whole area set for a cache key costs more than the look-up itself."""
        table: dict[str, str] = {}
        for a in self.areas:
            for spelling in (a.name, *a.spellings):
                table[_normalise(spelling)] = a.code
        return table

    @functools.cached_property
    def _code_set(self) -> frozenset[str]:
        return frozenset(a.code for a in self.areas)

    def is_non_area(self, name: str) -> bool:
        """True for police rows such as 'Unknown' or 'Aviation Security' that are not areas."""
        norm = _normalise(name)
        return any(_normalise(n) == norm for n in self.non_area_names)

    def resolve(self, name_or_code: str) -> str:
        """Return the GSS code for a known spelling or code; raise with suggestions otherwise."""
        key = str(name_or_code).strip()
        if _GSS.match(key.upper()):
            code = key.upper()
            if code in self._code_set:
                return code
            raise UnknownAreaError(
                f"Area code {key!r} is not one of the {len(self.areas)} areas of {self.name} "
                f"({self.areas[0].code} to {self.areas[-1].code})."
            )
        found = self._lookup.get(_normalise(key))
        if found:
            return found
        names = [a.name for a in self.areas]
        close = difflib.get_close_matches(key, names, n=3, cutoff=0.5)
        if not close:
            norm_names = {_normalise(n): n for n in names}
            close = [
                norm_names[m]
                for m in difflib.get_close_matches(_normalise(key), norm_names, n=3, cutoff=0.5)
            ]
        hint = f" Closest known names: {', '.join(close)}." if close else ""
        raise UnknownAreaError(f"Unknown {self.area_label} {key!r} in {self.name}.{hint}")

    def police_covered(self, code: str) -> bool:
        """True where the area set's police force publishes this area's crime data."""
        return self.area(code).police_force == self.police_force

    def not_policed_reason(self, code: str) -> str | None:
        """The words to show instead of a number for police-recorded needs, or None."""
        area = self.area(code)
        if area.police_force == self.police_force:
            return None
        return NOT_POLICED_TEMPLATE.format(force=area.police_force)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "area_code": [a.code for a in self.areas],
                "area_name": [a.name for a in self.areas],
                "inner_outer": [a.inner_outer for a in self.areas],
                "sub_region": [a.sub_region for a in self.areas],
                "police_force": [a.police_force for a in self.areas],
                "police_data": [a.police_force == self.police_force for a in self.areas],
            }
        )


_AREA_KEYS = {"code", "name", "spellings", "inner_outer", "sub_region", "police_force"}
_SET_KEYS = {"key", "name", "area_label", "police_force", "non_area_names"}
_OPTIONAL_SET_KEYS = {"relevant_authorities", "tier_one_authority"}


def _areas(entries: list[dict], problems: list[str]) -> list[Area]:
    """The [[areas]] entries checked: keys, GSS codes, no code or spelling twice."""
    areas: list[Area] = []
    seen_codes: set[str] = set()
    seen_spellings: dict[str, str] = {}
    for i, entry in enumerate(entries, start=1):
        problems += [f"areas #{i}: unknown key {k!r}" for k in sorted(set(entry) - _AREA_KEYS)]
        problems += [f"areas #{i}: missing key {k!r}" for k in sorted(_AREA_KEYS - set(entry))]
        if not set(entry) >= _AREA_KEYS:
            continue
        code = entry["code"]
        if not _GSS.match(code):
            problems.append(f"areas #{i}: code {code!r} is not a GSS code like E09000001")
        if code in seen_codes:
            problems.append(f"areas #{i}: code {code} appears twice")
        seen_codes.add(code)
        for spelling in (entry["name"], *entry["spellings"]):
            other = seen_spellings.setdefault(_normalise(spelling), code)
            if other != code:
                problems.append(f"areas #{i}: spelling {spelling!r} also names {other}")
        areas.append(
            Area(
                code=code,
                name=entry["name"],
                spellings=tuple(entry["spellings"]),
                inner_outer=entry["inner_outer"],
                sub_region=entry["sub_region"],
                police_force=entry["police_force"],
            )
        )
    return areas


def load_area_set(path: Path) -> AreaSet:
    """Read and check an area reference file (see ``boroughs/london.toml``)."""
    if not path.is_file():
        raise ConfigError(
            f"Area reference file {path} not found. Set PLANNER_AREA_SET to a file in boroughs/."
        )
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}).") from exc
    problems: list[str] = []
    head = raw.get("area_set", {})
    for key in sorted(set(head) - _SET_KEYS - _OPTIONAL_SET_KEYS):
        problems.append(f"[area_set]: unknown key {key!r}")
    for key in sorted(_SET_KEYS - set(head)):
        problems.append(f"[area_set]: missing key {key!r}")
    areas = _areas(raw.get("areas", []), problems)
    if not areas:
        problems.append("no [[areas]] entries")
    if problems:
        raise ConfigError(f"{path} has {len(problems)} problem(s): " + "; ".join(problems))
    return AreaSet(
        key=head["key"],
        name=head["name"],
        area_label=head["area_label"],
        police_force=head["police_force"],
        non_area_names=tuple(head["non_area_names"]),
        areas=tuple(sorted(areas, key=lambda a: a.code)),
        relevant_authorities=str(head.get("relevant_authorities", "")),
        tier_one_authority=str(head.get("tier_one_authority", "")),
    )
