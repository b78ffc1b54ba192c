"""Loaded files kept in the process while the files are unchanged.

A result is keyed by what was asked for and by the size and modification time of every file it
was read from, so a changed, added or removed file always brings a fresh load. It saves the
parsing of the official files when one process asks twice (the in-process CLI, the app's
pages, a plan compared after an analysis). Results are shared: callers must not modify them.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")
_KEEP = 8
_CACHE: OrderedDict[tuple, object] = OrderedDict()


def signature(paths: Iterable[Path]) -> tuple:
    """(path, size, modification time) of each file; folders stand for every file in them."""
    files: list[Path] = []
    for path in paths:
        path = Path(path)
        files += sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    out = []
    for path in files:
        try:
            stat = path.stat()
            out.append((str(path), stat.st_size, stat.st_mtime_ns))
        except OSError:
            out.append((str(path), None, None))
    return tuple(out)


def remembered(name: str, paths: Iterable[Path], key: Hashable, load: Callable[[], T]) -> T:
    """``load()``, or its earlier result for the same ``name``, ``key`` and unchanged files."""
    full = (name, key, signature(paths))
    if full in _CACHE:
        _CACHE.move_to_end(full)
        return _CACHE[full]  # type: ignore[return-value]
    value = load()
    _CACHE[full] = value
    while len(_CACHE) > _KEEP:
        _CACHE.popitem(last=False)
    return value


def forget() -> None:
    _CACHE.clear()
