"""Download the official files listed in the manifest (``data/sources.toml``).

Each file streams to a ``.part`` file beside its destination, is checked against its SHA-256
(and converted from Parquet to CSV where the manifest says so), and only then replaces the
destination, so an interrupted download never leaves a half-written file that loaders read.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from planner.errors import ConfigError, DownloadError

log = logging.getLogger(__name__)

CHUNK = 1 << 16
TIMEOUT_S = 60


@dataclass(frozen=True)
class SourceFile:
    dataset: str
    path: str
    url: str
    sha256: str
    publisher: str
    publisher_page: str
    licence: str
    attribution: str
    convert: str | None = None


def load_manifest(path: Path) -> list[SourceFile]:
    """Read the download manifest; every entry must name its path, URL and checksum."""
    if not path.is_file():
        raise ConfigError(f"Download manifest {path} not found (PLANNER_SOURCES_MANIFEST).")
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}).") from exc
    files = []
    fields = set(SourceFile.__dataclass_fields__)
    for i, entry in enumerate(raw.get("files", []), start=1):
        unknown = set(entry) - fields
        missing = fields - {"convert"} - set(entry)
        if unknown or missing:
            raise ConfigError(
                f"{path}: files #{i}: unknown keys {sorted(unknown)}, "
                f"missing keys {sorted(missing)}"
            )
        if entry.get("convert") not in (None, "parquet-to-csv"):
            raise ConfigError(f"{path}: files #{i}: convert must be 'parquet-to-csv'")
        files.append(SourceFile(**entry))
    return files


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _download(url: str, target: Path) -> int:
    request = urllib.request.Request(url, headers={"User-Agent": "victim-services-planner"})
    size = 0
    try:
        with (
            urllib.request.urlopen(request, timeout=TIMEOUT_S) as response,
            target.open("wb") as out,
        ):
            for chunk in iter(lambda: response.read(CHUNK), b""):
                out.write(chunk)
                size += len(chunk)
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"{url}: the server answered HTTP {exc.code} {exc.reason}.") from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DownloadError(
            f"{url}: download failed ({reason}). Check the network, or set PLANNER_FETCH_MIRROR."
        ) from exc
    return size


@dataclass(frozen=True)
class FetchResult:
    path: str
    status: str  # "downloaded", "present", "failed"
    bytes: int
    message: str = ""


def fetch_files(
    files: list[SourceFile],
    dest: Path,
    *,
    mirror: str | None = None,
    progress: Callable[[int, int, SourceFile], None] | None = None,
) -> list[FetchResult]:
    """Download every file into ``dest`` (skipping files already there with the right checksum).

    With ``mirror``, each file is taken from ``mirror/<path>`` as the planner keeps it (no
    conversion, checksum always checked). Raises DownloadError listing every failure at the end.
    """
    results: list[FetchResult] = []
    for i, item in enumerate(files, start=1):
        if progress:
            progress(i, len(files), item)
        target = dest / item.path
        if target.is_file() and _sha256(target) == item.sha256:
            results.append(FetchResult(item.path, "present", target.stat().st_size))
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(target.name + ".part")
        convert = None if mirror else item.convert
        url = f"{mirror.rstrip('/')}/{urllib.parse.quote(item.path)}" if mirror else item.url
        try:
            size = _download(url, part)
            if convert == "parquet-to-csv":
                converted = target.with_name(target.name + ".csv.part")
                try:
                    pd.read_parquet(part).to_csv(converted, index=False)
                except Exception as exc:
                    raise DownloadError(f"{url}: not a readable Parquet file ({exc}).") from exc
                os.replace(converted, part)
            else:
                actual = _sha256(part)
                if actual != item.sha256:
                    raise DownloadError(
                        f"{url}: checksum mismatch (expected {item.sha256[:12]}…, "
                        f"got {actual[:12]}…); the file was not saved."
                    )
            os.replace(part, target)
            results.append(FetchResult(item.path, "downloaded", size))
            log.info("downloaded %s (%d bytes)", item.path, size)
        except DownloadError as exc:
            part.unlink(missing_ok=True)
            results.append(FetchResult(item.path, "failed", 0, str(exc)))
    failed = [r for r in results if r.status == "failed"]
    if failed:
        raise DownloadError(
            f"{len(failed)} of {len(files)} file(s) could not be downloaded:\n"
            + "\n".join(f"  - {r.path}: {r.message}" for r in failed)
        )
    return results
