"""Shared sheet writing: one table per sheet, title in A1, numbers as numbers, text never a formula.

Follows the Government Statistical Service guidance on releasing statistics in spreadsheets:
a plain title in A1, the table directly below, no merged cells, a frozen header row, filters,
explicit column widths.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

FORMULA_PREFIXES = ("=", "+", "-", "@")
MAX_WIDTH = 60


def safe_cell_value(value: object) -> object:
    """A value openpyxl will store as data: text that looks like a formula stays text."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalar → Python
    return value


def write_table(ws, frame: pd.DataFrame, *, title: str, number_formats: Mapping[str, str] = {}):
    """Write ``title`` in A1 and ``frame`` from A2 (header) down; freeze and filter the header."""
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=12)
    ws.append([str(c) for c in frame.columns])
    for cell in ws[2]:
        cell.font = Font(bold=True)
    for row in frame.itertuples(index=False):
        ws.append([safe_cell_value(v) for v in row])
    # openpyxl treats a str starting with "=" as a formula: force every text cell to data
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES):
                cell.data_type = "s"
    for idx, col in enumerate(frame.columns, start=1):
        letter = get_column_letter(idx)
        fmt = number_formats.get(str(col))
        if fmt:
            for (cell,) in ws.iter_rows(min_row=3, min_col=idx, max_col=idx):
                cell.number_format = fmt
        longest = max([len(str(col))] + [len(str(v)) for v in frame[col].head(500)])
        ws.column_dimensions[letter].width = min(MAX_WIDTH, max(10, longest + 2))
    ws.freeze_panes = "A3"
    if len(frame.columns):
        last = get_column_letter(len(frame.columns))
        ws.auto_filter.ref = f"A2:{last}{len(frame) + 2}"


def workbook_bytes(sheets: Mapping[str, tuple[str, pd.DataFrame, Mapping[str, str]]]) -> bytes:
    """Build a workbook: sheet name → (title, table, number formats). Returns the .xlsx bytes."""
    wb = Workbook()
    wb.remove(wb.active)
    for name, (title, frame, formats) in sheets.items():
        write_table(wb.create_sheet(name[:31]), frame, title=title, number_formats=formats)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
