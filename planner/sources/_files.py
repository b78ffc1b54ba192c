"""Shared checks for reading official files: presence, encoding, columns, values.

Every check adds a :class:`Problem` to a :class:`ProblemLog`; a loader raises once at the end
with all of them, so one run tells the user everything that is wrong with a file.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from planner.errors import DataFileError, MissingDataError, Problem

FETCH_HINT = (
    "Put the official files in the data folder (PLANNER_DATA_DIR), or run "
    "`planner data fetch` to download them from their publishers."
)


class ProblemLog:
    """Collects problems for one or more files, then raises them together."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(
        self, source: str | Path, message: str, *, row: int | None = None, column: str | None = None
    ) -> None:
        self.problems.append(Problem(_label(source), message, row=row, column=column))

    def __bool__(self) -> bool:
        return bool(self.problems)

    def raise_if_any(self, *, hint: str | None = None) -> None:
        if self.problems:
            raise DataFileError(self.problems, hint=hint)


def _label(source: str | Path) -> str:
    path = Path(source)
    if path.parent.name and path.parent.parent.name:
        return f"{path.parent.name}/{path.name}"
    return str(source)


def require_files(data_dir: Path, relative: Iterable[str]) -> list[Path]:
    """Return the paths, or raise MissingDataError naming every missing file."""
    paths = [data_dir / r for r in relative]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise MissingDataError(
            [Problem(_label(p), "file not found") for p in missing],
            hint=f"Data folder: {data_dir}. {FETCH_HINT}",
        )
    return paths


def glob_required(data_dir: Path, folder: str, patterns: Sequence[str]) -> list[Path]:
    """Files in ``data_dir/folder`` matching any pattern; MissingDataError when there are none."""
    found = sorted({p for pat in patterns for p in (data_dir / folder).glob(pat) if p.is_file()})
    if not found:
        raise MissingDataError(
            [Problem(f"{folder}/{' or '.join(patterns)}", "no matching file found")],
            hint=f"Data folder: {data_dir}. {FETCH_HINT}",
        )
    return found


def read_table(path: Path, log: ProblemLog, *, dtype: dict | str | None = None) -> pd.DataFrame:
    """Read a CSV (UTF-8) or Parquet file; problems go to the log and an empty frame returns."""
    if path.stat().st_size == 0:
        log.add(path, "the file is empty (0 bytes); download it again")
        return pd.DataFrame()
    try:
        if path.suffix.lower() == ".parquet":
            return pd.read_parquet(path)
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
            log.add(
                path,
                f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at line {line}); "
                "save the file as UTF-8 CSV",
                row=line,
            )
            return pd.DataFrame()
        if not text.strip():
            log.add(path, "the file has no rows (only whitespace)")
            return pd.DataFrame()
        frame = pd.read_csv(io.StringIO(text), dtype=dtype, keep_default_na=False, na_values=[""])
    except (ValueError, OSError, pd.errors.ParserError) as exc:
        log.add(path, f"cannot be read as a table: {exc}")
        return pd.DataFrame()
    if frame.empty:
        log.add(path, "the file has a header but no data rows")
    return frame


def check_columns(
    frame: pd.DataFrame, path: Path, required: Iterable[str], log: ProblemLog
) -> bool:
    """Log each missing column; True when all are present."""
    if frame.empty and len(frame.columns) == 0:
        return False
    present = list(frame.columns)
    ok = True
    for col in required:
        if col not in present:
            shown = ", ".join(map(str, present[:12])) + (" ..." if len(present) > 12 else "")
            log.add(path, f"missing column (columns found: {shown})", column=col)
            ok = False
    return ok


def check_counts(
    frame: pd.DataFrame,
    path: Path,
    columns: Iterable[str],
    log: ProblemLog,
    *,
    header_rows: int = 1,
) -> pd.DataFrame:
    """Coerce count columns to integers, logging each non-numeric or negative cell (max 20)."""
    out = frame.copy()
    reported = 0
    for col in columns:
        values = pd.to_numeric(out[col], errors="coerce")
        bad = values.isna() | (values < 0) | (values % 1 != 0)
        for idx in out.index[bad.to_numpy()]:
            if reported < 20:
                log.add(
                    path,
                    f"expected a whole number of 0 or more, found {out.at[idx, col]!r}",
                    row=int(idx) + 1 + header_rows,
                    column=str(col),
                )
            reported += 1
        out[col] = values.fillna(0).astype("int64")
    if reported > 20:
        log.add(path, f"{reported - 20} more non-count cells not listed")
    return out
