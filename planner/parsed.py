"""A cache of the parsed official files, so that a new process (a CLI command, the app's first
page) does not parse and check 30 MB of CSV, shapefile and parquet again (issue 14).

The parsed tables are written as Parquet (GeoParquet for geometry) under the cache folder, in a
folder named by a checksum of every input file's bytes, of the reference files (area set,
assumptions) and of the loader code itself: a changed, added or removed file, or a changed
loader, is a different folder, so a stale result is never read. A folder is written whole
(to a temporary name, then renamed), and one that cannot be read is parsed again; a cache
folder that cannot be written only costs the speed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import geopandas as gpd
import pandas as pd

log = logging.getLogger(__name__)
_CODE = Path(__file__).resolve().parent
LOADERS = [_CODE / "datasets.py", _CODE / "demand.py", *sorted((_CODE / "sources").glob("*.py"))]
"""The code whose output is cached: a change to it is a change of key."""


def checksum(paths: Iterable[Path]) -> str:
    """BLAKE2b of every file's name and bytes (folders stand for every file in them)."""
    digest = hashlib.blake2b(digest_size=20)
    for path in paths:
        path = Path(path)
        files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
        for file in files:
            digest.update(str(file.relative_to(path) if path.is_dir() else file.name).encode())
            try:
                with file.open("rb") as handle:
                    for block in iter(lambda h=handle: h.read(1 << 20), b""):
                        digest.update(block)
            except OSError:
                digest.update(b"\0missing")
    return digest.hexdigest()


Tables = dict[str, pd.DataFrame]


def _write(folder: Path, tables: Tables, meta: Mapping) -> None:
    folder.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=".writing-", dir=folder.parent))
    try:
        for name, frame in tables.items():
            if isinstance(frame, gpd.GeoDataFrame):
                frame.to_parquet(temporary / f"{name}.geo.parquet", index=False)
            else:
                frame.to_parquet(temporary / f"{name}.parquet", index=False)
        (temporary / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
        os.rename(temporary, folder)
    except OSError:
        shutil.rmtree(temporary, ignore_errors=True)  # another process wrote it, or no room


def _read(folder: Path) -> tuple[Tables, dict]:
    tables: Tables = {}
    for file in folder.glob("*.parquet"):
        if file.name.endswith(".geo.parquet"):
            tables[file.name.removesuffix(".geo.parquet")] = gpd.read_parquet(file)
        else:
            tables[file.name.removesuffix(".parquet")] = pd.read_parquet(file)
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    return tables, meta


def cached(
    cache_dir: Path,
    name: str,
    inputs: Iterable[Path],
    parse: Callable[[], tuple[Tables, dict]],
    *,
    salt: str = "",
) -> tuple[Tables, dict]:
    """``parse()``'s tables and JSON metadata, from the cache when the inputs, ``salt`` (what
    else the result depends on, as text) and the loaders are unchanged; parsed and written
    otherwise."""
    key = checksum([*inputs, *LOADERS]) + hashlib.blake2b(salt.encode(), digest_size=8).hexdigest()
    folder = cache_dir / "parsed" / f"{name}-{key}"
    if (folder / "meta.json").is_file():
        try:
            return _read(folder)
        except Exception as exc:  # a damaged cache is parsed again, never trusted
            log.info("parsed-data cache %s unreadable (%s): parsing again", folder, exc)
            shutil.rmtree(folder, ignore_errors=True)
    tables, meta = parse()
    try:
        _write(folder, tables, meta)
        _prune(folder.parent, name)
    except Exception as exc:  # the cache is a speed-up: never a reason to fail
        log.info("parsed-data cache %s not written (%s)", folder, exc)
    return tables, meta


KEEP = 4
"""Folders kept per name: the newest (other data folders, other area sets)."""


def _prune(parent: Path, name: str) -> None:
    folders = sorted(
        (p for p in parent.glob(f"{name}-*") if p.is_dir()),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for old in folders[KEEP:]:
        shutil.rmtree(old, ignore_errors=True)
