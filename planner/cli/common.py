"""What every command shares: settings, the registry, the CLI's actor, need names."""

from __future__ import annotations

import sys
from pathlib import Path

from planner.errors import PlannerError

CLI_ACTOR_NAME = "cli"


def settings():
    from planner.settings import load_settings

    return load_settings()


def open_registry():
    from planner.registry.setup import open_registry as open_

    return open_(settings())


def cli_actor():
    """The CLI acts as an administrator, named ``cli:<login>`` in the audit history."""
    import getpass

    from planner.registry.auth import OPERATOR_PREFIX, Actor

    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return Actor(f"{OPERATOR_PREFIX}{who}", "admin")


def need_key(data, text: str) -> str:
    """A need's key from its key or label."""
    for key, spec in data.assumptions.needs.items():
        if text in (key, spec.label):
            return key
    raise PlannerError(f"Unknown need {text!r}; needs: {', '.join(data.assumptions.needs)}")


def progress(i: int, n: int, item) -> None:
    print(f"[{i}/{n}] {item.path}", file=sys.stderr, flush=True)


def today_analysis(*, access: bool = True, period=None, as_of=None):
    """The loaded data, the registry and today's analysis of its approved services."""
    from planner.analysis import analyse_registry
    from planner.datasets import load_planner_data

    data = load_planner_data(settings())
    registry = open_registry()
    return (
        data,
        registry,
        analyse_registry(data, registry, period_end=period, as_of=as_of, access=access),
    )


def read_input(path: Path) -> bytes:
    """A file's bytes, or a sentence when it is not there."""
    if not path.is_file():
        raise PlannerError(f"{path}: no such file.")
    return path.read_bytes()


def write_output(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path``, making its folder: whole or not at all (it goes to
    ``NAME.partial`` beside it first, renamed when complete, so a full disk never leaves a
    half-written workbook in the file's place). An unwritable path or a full disk is reported
    by the CLI's entry point in a sentence."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_char_device():  # /dev/stdout and the like: nothing to rename
        path.write_bytes(content)
        return
    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_bytes(content)
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
