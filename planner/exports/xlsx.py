"""Shared sheet writing: one table per sheet, title in A1, numbers as numbers, text never a formula.

Follows the Government Statistical Service guidance on releasing statistics in spreadsheets:
a plain title in A1, the table directly below, no merged cells, a frozen header row, filters,
explicit column widths.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

FORMULA_PREFIXES = ("=", "+", "-", "@")


def keep_as_text(ws, *, min_row: int) -> None:
    """openpyxl treats a str starting with "=" as a formula: every text cell from ``min_row``
    down that looks like one is stored as text."""
    for row in ws.iter_rows(min_row=min_row):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES):
                cell.data_type = "s"


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy in which text a spreadsheet would run as a formula (starting with =, +, - or @)
    starts with an apostrophe, as OWASP advises for CSV files opened in Excel or Calc."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = [
                "'" + v if isinstance(v, str) and v.startswith(FORMULA_PREFIXES) else v
                for v in out[column]
            ]
    return out


MAX_WIDTH = 60


def safe_cell_value(value: object) -> object:
    """A value openpyxl will store as data: text that looks like a formula stays text (the
    writers set such cells to text), and control characters a workbook cannot hold (a vertical
    tab pasted from another system) are removed, so a stored value never breaks an export."""
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
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
    keep_as_text(ws, min_row=3)
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


@dataclass
class Sheet:
    """One table on one sheet: the sheet's name, the title in A1, the table, its formats."""

    name: str
    title: str
    table: pd.DataFrame
    description: str
    formats: Mapping[str, str] = field(default_factory=dict)
    fills: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """column → {cell text → fill colour}: colour beside the words, never instead of them."""
    wrap: tuple[str, ...] = ()


def _text_sheet(
    wb: Workbook, name: str, title: str, header: list[str], rows: list[list], widths: list[int]
) -> None:
    ws = wb.create_sheet(name)
    ws.append([title])
    ws["A1"].font = Font(bold=True, size=14 if name == "Cover" else 12)
    if header:
        ws.append(header)
        for cell in ws[2]:
            cell.font = Font(bold=True)
    for row in rows:
        ws.append([safe_cell_value(v) for v in row])
    keep_as_text(ws, min_row=2)
    for r in ws.iter_rows(min_row=2):
        for cell in r:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    if header:
        ws.freeze_panes = "A3"


def gss_workbook(
    *,
    title: str,
    cover: list[tuple[str, str]],
    notes: list[tuple[str, str]],
    sheets: list[Sheet],
    contents_on_cover: bool = False,
) -> bytes:
    """A workbook after the Government Statistical Service guidance on releasing statistics in
    spreadsheets: Cover, Contents (with links), Notes, then one table per sheet. A short
    workbook may carry its contents and notes on the cover instead."""
    wb = Workbook()
    wb.remove(wb.active)
    contents = [[s.name, s.description] for s in sheets]
    if contents_on_cover:
        rows = [[k, v] for k, v in cover] + [["", ""], ["Contents", ""], *contents]
        rows += [["", ""], ["Notes", ""]] + [list(n) for n in notes]
        _text_sheet(wb, "Cover", title, [], rows, [34, 110])
        first = len(cover) + 4
        links = wb["Cover"].iter_rows(min_row=first, max_row=first + len(contents) - 1)
    else:
        _text_sheet(wb, "Cover", title, [], [[k, v] for k, v in cover], [34, 110])
        contents = [["Notes", "Notes referred to in the tables"], *contents]
        _text_sheet(wb, "Contents", "Contents", ["Sheet", "What it holds"], contents, [28, 100])
        links = wb["Contents"].iter_rows(min_row=3)
        _text_sheet(
            wb, "Notes", "Notes", ["Note number", "Note text"], [list(n) for n in notes], [14, 120]
        )
    for row in links:
        row[0].hyperlink = f"#'{row[0].value}'!A1"
        row[0].style = "Hyperlink"
    for sheet in sheets:
        ws = wb.create_sheet(sheet.name[:31])
        write_table(ws, sheet.table, title=sheet.title, number_formats=sheet.formats)
        columns = list(sheet.table.columns)
        for column, colours in sheet.fills.items():
            idx = columns.index(column) + 1
            for (cell,) in ws.iter_rows(min_row=3, min_col=idx, max_col=idx):
                colour = colours.get(str(cell.value))
                if colour:
                    cell.fill = PatternFill("solid", fgColor=colour.lstrip("#").upper())
        for column in sheet.wrap:
            letter = get_column_letter(columns.index(column) + 1)
            ws.column_dimensions[letter].width = MAX_WIDTH
            for (cell,) in ws.iter_rows(
                min_row=3, min_col=columns.index(column) + 1, max_col=columns.index(column) + 1
            ):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    wb.properties.title = title
    wb.properties.creator = "Victim Services Commissioning Planner"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
