"""Editing the assumptions file from the app: the file with the changes applied, checked
before it is written, and the edit recorded in ``meta.edited_by``."""

from __future__ import annotations

import tomllib
from pathlib import Path

from planner.assumptions import parse_assumptions


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{text}"'


def dump_toml(raw: dict) -> str:
    """TOML text for the assumptions structure (tables of scalars, lists and sub-tables)."""
    lines: list[str] = []

    def table(prefix: str, node: dict) -> None:
        scalars = {k: v for k, v in node.items() if not isinstance(v, dict)}
        tables = {k: v for k, v in node.items() if isinstance(v, dict)}
        if scalars:
            lines.append(f"[{prefix}]")
            lines.extend(f"{k} = {_toml_value(v)}" for k, v in scalars.items())
            lines.append("")
        for key, child in tables.items():
            table(f"{prefix}.{key}" if prefix else key, child)

    table("", raw)
    return "\n".join(lines)


def edited_assumptions(
    path: Path, changes: dict[tuple[str, ...], float], *, editor: str, when: str
) -> str:
    """The assumptions file with ``changes`` (key path → new value) applied and the edit
    recorded in ``meta.edited_by``; validated before it is returned."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    for key_path, value in changes.items():
        node = raw
        for key in key_path[:-1]:
            node = node[key]
        node[key_path[-1]] = value
    raw["meta"]["edited_by"] = f"{editor}, {when}"
    parse_assumptions(raw, source="the edited assumptions")
    return dump_toml(raw)
