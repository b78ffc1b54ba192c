"""The planner's errors: raised by library code, turned into one message at the edge.

Library code raises; it never prints and returns. The CLI prints ``str(error)`` and exits
non-zero; the app shows it with ``st.error``. Messages say what is wrong and how to fix it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class PlannerError(Exception):
    """Base class for every error a user may see."""


class ConfigError(PlannerError):
    """Settings, assumptions or area reference files are wrong."""


class UnknownAreaError(PlannerError):
    """A name or code is not an area of the area set."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input: where it is and what was expected."""

    source: str
    message: str
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        where = [self.source]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column '{self.column}'")
        return f"{', '.join(where)}: {self.message}"


class DataFileError(PlannerError):
    """An input file is missing, unreadable or fails validation.

    Carries every problem found, so one run tells the user everything to fix.
    """

    def __init__(self, problems: Sequence[Problem], *, hint: str | None = None) -> None:
        self.problems = list(problems)
        self.hint = hint
        lines = [f"{len(self.problems)} problem(s) in the input data:"] if self.problems else []
        shown = self.problems[:50]
        lines += [f"  - {p}" for p in shown]
        if len(self.problems) > len(shown):
            lines.append(f"  ... and {len(self.problems) - len(shown)} more")
        if hint:
            lines.append(hint)
        super().__init__("\n".join(lines))


class MissingDataError(DataFileError):
    """Files the planner needs are not in the data folder."""


class DownloadError(PlannerError):
    """A file could not be downloaded or failed its checksum."""
