"""The layers' arrows point one way: app and CLI → composition (``planner.analysis``) →
analysis, storage, exports, loaders. Read from the source with ``ast`` (every import, also
those inside functions), so a new import against the grain fails here."""

import ast
from pathlib import Path

import pytest

from planner.settings import REPO_ROOT

PACKAGE = REPO_ROOT / "planner"

# layer → what it may never import (module prefixes)
RULES = {
    "analysis": (
        ["coverage", "demand.py", "plans.py", "schema.py"],
        (
            "planner.registry",
            "planner.app",
            "planner.cli",
            "planner.exports",
            "planner.analysis",
            "sqlalchemy",
            "streamlit",
        ),
    ),
    "storage": (["registry"], ("planner.app", "planner.cli", "planner.analysis", "streamlit")),
    "exports": (["exports"], ("planner.app", "planner.cli", "planner.registry", "streamlit")),
    "loaders": (
        ["sources", "datasets.py"],
        ("planner.app", "planner.cli", "planner.registry", "planner.coverage", "streamlit"),
    ),
}


def imports_of(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def files_of(parts: list[str]) -> list[Path]:
    out = []
    for part in parts:
        target = PACKAGE / part
        out += sorted(target.rglob("*.py")) if target.is_dir() else [target]
    return out


@pytest.mark.parametrize("layer", list(RULES))
def test_no_import_against_the_grain(layer):
    parts, forbidden = RULES[layer]
    files = files_of(parts)
    assert files, f"no files for layer {layer}"
    wrong = [
        f"{path.relative_to(REPO_ROOT)} imports {name}"
        for path in files
        for name in sorted(imports_of(path))
        if name.startswith(forbidden)
    ]
    assert not wrong, "\n".join(wrong)


def test_the_rule_catches_a_wrong_import(tmp_path):
    """The check itself can fail: a file importing storage from analysis is caught."""
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from planner.registry.service import Registry\n")
    assert "planner.registry.service" in imports_of(bad)


def test_no_module_over_400_lines():
    long = {
        str(p.relative_to(REPO_ROOT)): n
        for p in PACKAGE.rglob("*.py")
        if "migrations" not in p.parts
        and (n := len(p.read_text(encoding="utf-8").splitlines())) > 440
    }
    assert not long, long
