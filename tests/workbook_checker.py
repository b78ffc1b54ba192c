"""A checker for published workbooks, written from the Government Statistical Service guidance
"Releasing statistics in spreadsheets" (Analysis Function, 2021 onwards) rather than from what
the product writes. A workbook passes when:

- no cell is merged (screen readers and sorting break on merged cells);
- no cell holds a formula (a published figure is a value; a formula may not be recalculated);
- every sheet has its title in A1, as text;
- every sheet except the cover holds its table(s) as named Excel tables, and nothing is written
  below the title lines outside a table ("a table without a name");
- no cell inside a table is blank: an empty figure carries the guidance's shorthand ([x], [z],
  [c], ...) and that shorthand is explained on the Notes sheet;
- no table header is a vocabulary code or a code-shaped name (``area_code``), and no cell
  outside a code column ("... code", "... id") is a vocabulary code a person would read
  instead of its label;
- no number carries more than four decimal places (figures are rounded to what they bear);
- every sheet is set up to print: a print area, an orientation, fitted to the page width, and
  (for a sheet with a table) the rows down to the table's header repeated on every page.

``problems(data, codes)`` returns one sentence per failure; an empty list is a pass.
"""

from __future__ import annotations

import io
import re

import openpyxl
from openpyxl.utils import range_boundaries

SHORTHAND_RE = re.compile(r"^\[[a-z]{1,4}\]$")
CODE_SHAPE_RE = re.compile(r"^[a-z0-9]+(_[a-z0-9]+)+$")
CODE_COLUMN_RE = re.compile(r"(\bcode|\bcodes|\bid|\bids|\(code\))$", re.IGNORECASE)
COVER_NAMES = ("Cover",)


def _notes_shorthand(wb) -> set[str]:
    if "Notes" not in wb.sheetnames:
        return set()
    found = set()
    for row in wb["Notes"].iter_rows(values_only=True):
        if row and isinstance(row[0], str) and SHORTHAND_RE.match(row[0].strip()):
            found.add(row[0].strip())
    return found


def problems(data: bytes, codes: dict[str, str] | None = None) -> list[str]:
    """Every way ``data`` (an .xlsx) falls short of the guidance. ``codes`` maps each
    vocabulary code to its label: a code whose label differs must not reach a reader."""
    codes = codes or {}
    shown_codes = {k for k, v in codes.items() if k.casefold() != str(v).casefold()}
    wb = openpyxl.load_workbook(io.BytesIO(data))
    explained = _notes_shorthand(wb)
    out: list[str] = []
    for ws in wb.worksheets:
        out += _sheet_problems(ws)
        if ws.title in COVER_NAMES:
            continue
        if not ws.tables:
            out.append(f"{ws.title}: a table without a name (no Excel table on the sheet)")
            continue
        out += _table_problems(ws, codes, shown_codes, explained)
    return out


def _sheet_problems(ws) -> list[str]:
    """Merged cells, formulas, the title in A1 and the print setup."""
    name, out = ws.title, []
    if ws.merged_cells.ranges:
        out.append(f"{name}: merged cells {', '.join(map(str, ws.merged_cells.ranges))}")
    for row in ws.iter_rows():
        for cell in row:
            kind = type(cell.value).__name__
            if cell.data_type == "f" or kind in ("ArrayFormula", "DataTableFormula"):
                out.append(f"{name}!{cell.coordinate}: a formula ({cell.value})")
    if not isinstance(ws["A1"].value, str) or not ws["A1"].value.strip():
        out.append(f"{name}: no title in A1")
    return out + _print_problems(ws)


def _table_problems(ws, codes, shown_codes, explained) -> list[str]:
    """Each named table's header and cells, and anything written outside the tables."""
    name, out = ws.title, []
    inside = set()
    first_header = None
    for table in ws.tables.values():
        if not table.displayName:
            out.append(f"{name}: a table without a name")
        min_col, min_row, max_col, max_row = range_boundaries(table.ref)
        first_header = min_row if first_header is None else min(first_header, min_row)
        header = [ws.cell(min_row, c).value for c in range(min_col, max_col + 1)]
        for h in header:
            if not isinstance(h, str) or not h.strip():
                out.append(f"{name}: a blank header in table {table.displayName}")
            elif h in shown_codes or CODE_SHAPE_RE.match(h):
                out.append(f"{name}: header {h!r} is a code, not words")
        for r in range(min_row, max_row + 1):
            for c in range(min_col, max_col + 1):
                inside.add((r, c))
                if r == min_row:
                    continue
                value = ws.cell(r, c).value
                where = f"{name}!{ws.cell(r, c).coordinate}"
                column = header[c - min_col]
                out += _cell_problems(value, where, column, shown_codes, explained)
    for row in ws.iter_rows(min_row=(first_header or 3)):
        for cell in row:
            if cell.value not in (None, "") and (cell.row, cell.column) not in inside:
                out.append(f"{name}!{cell.coordinate}: data outside a named table")
                break
    return out


def _cell_problems(value, where, column, shown_codes, explained) -> list[str]:
    if value is None or (isinstance(value, str) and not value.strip()):
        return [f"{where}: a blank cell inside a table, with no shorthand"]
    if isinstance(value, str):
        text = value.strip()
        if SHORTHAND_RE.match(text) and text not in explained:
            return [f"{where}: shorthand {text} is not explained on the Notes sheet"]
        is_code_column = bool(CODE_COLUMN_RE.search(str(column).strip()))
        if not is_code_column:
            # the whole cell a code, or a code with an underscore anywhere in a list
            parts = [text, *re.split(r"[;,]\s*", text)]
            for part in parts:
                if part in shown_codes and (part == text or "_" in part):
                    return [f"{where}: {part!r} is a code; write its label ({column!r})"]
    if isinstance(value, float) and not value.is_integer():
        digits = repr(value).split(".")[1] if "." in repr(value) else ""
        if "e" not in repr(value) and len(digits) > 4:
            return [f"{where}: {value!r} is not rounded"]
    return []


def _print_problems(ws) -> list[str]:
    out = []
    name = ws.title
    if not ws.print_area:
        out.append(f"{name}: no print area")
    if ws.page_setup.orientation not in ("portrait", "landscape"):
        out.append(f"{name}: no page orientation")
    fit = ws.sheet_properties.pageSetUpPr
    if not (fit is not None and fit.fitToPage and ws.page_setup.fitToWidth == 1):
        out.append(f"{name}: not fitted to the page width")
    if ws.tables and not ws.print_title_rows:
        out.append(f"{name}: header rows are not repeated on each page")
    elif ws.tables:
        last = int(str(ws.print_title_rows).split(":")[-1].lstrip("$"))
        header_rows = [range_boundaries(t.ref)[1] for t in ws.tables.values()]
        if last < min(header_rows):
            out.append(f"{name}: the repeated rows stop above the table's header")
    return out
