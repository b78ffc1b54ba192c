"""Shared sheet writing after the Government Statistical Service guidance on releasing
statistics in spreadsheets: a cover sheet, a contents sheet with links, a notes sheet, then one
table per sheet with its title in A1, a line saying what the sheet holds, and the table below it
as a named Excel table; no merged cells, no formulas, no blank cells inside a table (a shorthand
such as ``[x]`` instead, explained on the notes sheet), units in headers, numbers stored as
numbers and rounded to what they can bear, and every sheet set up to print: its print area,
landscape when wide, fitted to the page width, with the title and header rows repeated on every
page and the sheet's name and page number in the footer.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.table import Table, TableStyleInfo

FORMULA_PREFIXES = ("=", "+", "-", "@")
SHORTHAND = {
    "[c]": "Confidential: withheld so that a refuge or other confidential site cannot be found "
    "(shown only as its borough).",
    "[x]": "Not available: the figure is missing or was not recorded (for example police-recorded "
    "demand in the City of London, or a capacity a provider has not given).",
    "[z]": "Not applicable: the figure does not apply to this row (for example a distance for a "
    "service with no sites, or a finding with no further detail).",
}
"""The guidance's shorthand for a cell with no number; each is explained on the Notes sheet."""
ROUNDING_NOTE = (
    "Figures are rounded to what they can bear: people and places to whole numbers or one "
    "decimal place (small tiers such as centres keep one), shares and coverage to a tenth of a "
    "percent. Totals may differ slightly from the sum of the rounded figures."
)
TABLE_HEADER_ROW = 3
"""Row 1 holds the title, row 2 what the sheet holds, row 3 the table's header."""
MAX_WIDTH = 60
TEXT_WIDTH = 36
"""Text longer than this wraps in its column (a sentence column given in ``wrap`` gets
``MAX_WIDTH``), so that a wide table still prints at a readable scale."""
HEADER_WIDTH = 16
"""Headers wrap: a column is as wide as its data, and a long header takes two or three lines."""
LINE_HEIGHT = 15.0
"""Points per line of 11-point text: rows holding wrapped text get their height set, since
LibreOffice does not grow a row for wrapped text on opening a file (lines would overlap)."""
LANDSCAPE_FROM = 110
"""A sheet whose columns add up to more characters than this prints landscape."""
WARNING_FILL = "FDE2E1"


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


def decimals_of(number_format: str | None) -> int:
    """How many decimal places a number format shows (a percentage keeps two more, as a
    share): ``#,##0.0`` → 1, ``0%`` → 2, ``0.0%`` → 3. No format: two places."""
    if not number_format:
        return 2
    shown = len(number_format.split(".")[1].rstrip("%")) if "." in number_format else 0
    return shown + (2 if number_format.endswith("%") else 0)


def rounded(value: object, places: int) -> object:
    """A number rounded to ``places`` (a whole float becomes an int); anything else unchanged."""
    if isinstance(value, bool) or not isinstance(value, float):
        return value
    if math.isinf(value):
        return None
    value = round(value, places)
    return int(value) if value.is_integer() and places <= 0 else value


def table_name(sheet_name: str, taken: set[str]) -> str:
    """An Excel table name from a sheet's name: letters, digits and underscores, starting
    with a letter, unique in the workbook."""
    base = re.sub(r"\W+", "_", sheet_name).strip("_") or "Table"
    if not base[0].isalpha():
        base = "T_" + base
    name, n = base, 2
    while name.lower() in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name.lower())
    return name


def print_setup(ws, *, last_col: int, last_row: int, title_rows: str | None, landscape: bool):
    """Print as a reader expects: the used range only, A4, fitted to the page width (as many
    pages down as it needs), title and header rows on every page, sheet name and page in the
    footer."""
    ws.print_area = f"A1:{get_column_letter(max(1, last_col))}{max(1, last_row)}"
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.gridLines = False
    ws.page_margins.left = ws.page_margins.right = 0.5
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    if title_rows:
        ws.print_title_rows = title_rows
    ws.oddFooter.center.text = "&A, page &P of &N"
    ws.oddFooter.center.size = 8


@dataclass
class Sheet:
    """One table on one sheet: the sheet's name, the title in A1, the table, what it holds
    (on the Contents sheet and in A2), number formats (which also set the rounding), the
    shorthand for an empty cell per column (default ``[x]``), fills and wrapped columns."""

    name: str
    title: str
    table: pd.DataFrame
    description: str
    formats: Mapping[str, str] = field(default_factory=dict)
    fills: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """column → {cell text → fill colour}: colour beside the words, never instead of them."""
    wrap: tuple[str, ...] = ()
    blank: Mapping[str, str] = field(default_factory=dict)
    """column → the shorthand an empty cell gets (``[x]``, ``[z]`` or ``[c]``)."""
    empty: str = "No rows"
    """What the one row of an empty table says."""


def _table_cells(sheet: Sheet) -> tuple[list[str], list[list[object]], set[str]]:
    """The header and rows as they will be written, and the shorthand they use."""
    frame = sheet.table
    header = [str(c) for c in frame.columns]
    if len(set(header)) != len(header):
        raise ValueError(f"{sheet.name}: a table's headers must differ: {header}")
    used: set[str] = set()
    places = [decimals_of(sheet.formats.get(h)) for h in header]
    rows = []
    for record in frame.itertuples(index=False):
        row = []
        for h, value, p in zip(header, record, places, strict=True):
            value = rounded(safe_cell_value(value), p)
            if value is None or value == "":
                value = sheet.blank.get(h, "[x]")
                used.add(value)
            row.append(value)
        rows.append(row)
    if not rows:
        rows = [[sheet.empty] + ["[z]"] * (len(header) - 1)]
        if len(header) > 1:
            used.add("[z]")
    return header, rows, used


def _width(header: str, values: Sequence[object], fmt: str | None) -> int:
    longest = 0
    for v in values[:500]:
        if isinstance(v, float | int) and not isinstance(v, bool):
            text = f"{v:,.{max(0, decimals_of(fmt) - (2 if fmt and '%' in fmt else 0))}f}"
            text += "%" if fmt and "%" in fmt else ""
        else:
            text = str(v)
        longest = max(longest, len(text))
    words = max((len(w) for w in header.split()), default=0)
    return min(TEXT_WIDTH, max(8, longest + 2, min(HEADER_WIDTH, len(header) + 2), words + 2))


def lines_in(value: object, width: float) -> int:
    """How many lines ``value`` takes wrapped in a column ``width`` characters wide (a
    little generous, so that wrapped lines never overlap when printed)."""
    if value is None:
        return 1
    usable = max(1.0, width * 1.05 - 1)
    return sum(max(1, math.ceil(len(part) / usable)) for part in str(value).split("\n"))


def fit_rows(ws, widths: Sequence[float], *, min_row: int) -> None:
    """Set each row's height from its wrapped text (see ``LINE_HEIGHT``), and wrap every
    cell longer than its column."""
    for row in ws.iter_rows(min_row=min_row):
        lines = 1
        for cell, width in zip(row, widths, strict=False):
            if isinstance(cell.value, str) and len(cell.value) > width:
                n = lines_in(cell.value, width / (1.1 if cell.font and cell.font.b else 1))
                if n > 1:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                lines = max(lines, n)
        if lines > 1:
            ws.row_dimensions[row[0].row].height = LINE_HEIGHT * lines + 2
            for cell in row:
                if not cell.alignment.wrap_text:
                    cell.alignment = Alignment(vertical="top")


def write_table(
    ws,
    sheet: Sheet,
    *,
    taken: set[str] | None = None,
) -> set[str]:
    """Write one sheet: title in A1, a line in A2, the named table from A3. Returns the
    shorthand its cells use."""
    header, rows, used = _table_cells(sheet)
    ws.append([safe_cell_value(sheet.title)])
    ws["A1"].font = Font(bold=True, size=14)
    line = " ".join(
        x
        for x in (
            f"This worksheet contains one table of {len(sheet.table):,} rows.",
            sheet.description,
        )
        if x
    )
    if used:
        line += f" Some cells hold shorthand ({', '.join(sorted(used))}): see the Notes sheet."
    ws.append([safe_cell_value(line.strip())])
    ws.append(header)
    for cell in ws[TABLE_HEADER_ROW]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        ws.append(row)
    keep_as_text(ws, min_row=TABLE_HEADER_ROW)
    first = TABLE_HEADER_ROW + 1
    last_row = TABLE_HEADER_ROW + len(rows)
    widths: list[float] = []
    for idx, col in enumerate(header, start=1):
        letter = get_column_letter(idx)
        fmt = sheet.formats.get(col)
        if fmt:
            for (cell,) in ws.iter_rows(min_row=first, min_col=idx, max_col=idx):
                if isinstance(cell.value, int | float):
                    cell.number_format = fmt
        width = MAX_WIDTH if col in sheet.wrap else _width(col, [r[idx - 1] for r in rows], fmt)
        ws.column_dimensions[letter].width = width
        widths.append(width)
    total = sum(widths)
    fit_rows(ws, widths, min_row=TABLE_HEADER_ROW)
    for column, colours in sheet.fills.items():
        idx = header.index(column) + 1
        for (cell,) in ws.iter_rows(min_row=first, min_col=idx, max_col=idx):
            colour = colours.get(str(cell.value))
            if colour:
                cell.fill = PatternFill("solid", fgColor=colour.lstrip("#").upper())
    ref = f"A{TABLE_HEADER_ROW}:{get_column_letter(len(header))}{last_row}"
    table = Table(
        displayName=table_name(sheet.name, taken if taken is not None else set()), ref=ref
    )
    table.tableStyleInfo = TableStyleInfo(
        name="TableStyleLight1", showRowStripes=False, showColumnStripes=False
    )
    ws.add_table(table)
    ws.freeze_panes = f"A{first}"
    print_setup(
        ws,
        last_col=len(header),
        last_row=last_row,
        title_rows=f"1:{TABLE_HEADER_ROW}",
        landscape=total > LANDSCAPE_FROM,
    )
    return used


def workbook_bytes(sheets: Mapping[str, tuple[str, pd.DataFrame, Mapping[str, str]]]) -> bytes:
    """A workbook of plain tables (sheet name → (title, table, number formats)), each laid out
    and set up to print as in :func:`write_table`. Returns the .xlsx bytes."""
    wb = Workbook()
    wb.remove(wb.active)
    taken: set[str] = set()
    for name, (title, frame, formats) in sheets.items():
        write_table(
            wb.create_sheet(name[:31]),
            Sheet(name[:31], title, frame, "", formats),
            taken=taken,
        )
    return _save(wb)


def _save(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _cover(wb: Workbook, title: str, rows: Sequence[tuple[str, str]], warning: str | None):
    """The cover: the title in A1, then one heading and its text per row (no blank rows); a
    demonstration warning, when there is one, straight under the title in bold on a fill."""
    ws = wb.create_sheet("Cover")
    ws.append([safe_cell_value(title)])
    ws["A1"].font = Font(bold=True, size=16)
    body = ([("Warning", warning)] if warning else []) + list(rows)
    for heading, text in body:
        ws.append([safe_cell_value(heading), safe_cell_value(text)])
    keep_as_text(ws, min_row=2)
    for row in ws.iter_rows(min_row=2):
        row[0].font = Font(bold=True)
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    if warning:
        for cell in ws[2]:
            cell.font = Font(bold=True, color="9C0006", size=12)
            cell.fill = PatternFill("solid", fgColor=WARNING_FILL)
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 90
    fit_rows(ws, [26, 90], min_row=2)
    print_setup(ws, last_col=2, last_row=ws.max_row, title_rows=None, landscape=False)
    return ws


def gss_workbook(
    *,
    title: str,
    cover: list[tuple[str, str]],
    notes: list[tuple[str, str]],
    sheets: list[Sheet],
    warning: str | None = None,
) -> bytes:
    """A workbook after the Government Statistical Service guidance: Cover, Contents (with
    links), Notes (the notes and every shorthand the tables use), then one table per sheet."""
    wb = Workbook()
    wb.remove(wb.active)
    _cover(wb, title, cover, warning)
    taken: set[str] = set()
    contents_ws = wb.create_sheet("Contents")
    notes_ws = wb.create_sheet("Notes")
    used: set[str] = set()
    for sheet in sheets:
        used |= write_table(wb.create_sheet(sheet.name[:31]), sheet, taken=taken)
    contents = pd.DataFrame(
        {
            "Sheet": ["Notes", *[s.name[:31] for s in sheets]],
            "What it holds": [
                "Notes referred to in the tables, and the shorthand used in empty cells",
                *[s.description for s in sheets],
            ],
        }
    )
    contents["What it holds"] = contents["What it holds"].replace("", "The sheet of that name.")
    used |= write_table(
        contents_ws,
        Sheet("Contents", "Contents", contents, "Each sheet links to itself.", wrap=()),
        taken=taken,
    )
    for (cell,) in contents_ws.iter_rows(min_row=TABLE_HEADER_ROW + 1, max_col=1):
        cell.hyperlink = f"#'{cell.value}'!A1"
        cell.style = "Hyperlink"
    shorthand = [(k, "Shorthand. " + v) for k, v in SHORTHAND.items() if k in used]
    note_rows = [*notes, ("[note R]", ROUNDING_NOTE), *shorthand]
    write_table(
        notes_ws,
        Sheet(
            "Notes",
            "Notes",
            pd.DataFrame(note_rows, columns=["Note or shorthand", "What it means"]),
            "The notes the tables refer to, and the shorthand that stands in an empty cell.",
            wrap=("What it means",),
        ),
        taken=taken,
    )
    wb.properties.title = title
    wb.properties.creator = "Victim Services Commissioning Planner"
    return _save(wb)
