"""The workbook checker (tests/workbook_checker.py) fails on each fault the guidance rules out:
a check that cannot fail would prove nothing about the exports it passes."""

import io

import openpyxl
import pandas as pd
import pytest
from openpyxl.worksheet.table import Table

from planner.exports.xlsx import Sheet, gss_workbook
from tests.workbook_checker import problems

CODES = {
    "domestic_abuse": "Domestic abuse",
    "idva": "Independent domestic violence advocate (IDVA)",
    "helpline": "Helpline",
}


def good() -> bytes:
    frame = pd.DataFrame(
        {
            "area": ["Barnet", "Brent"],
            "need": ["Domestic abuse", "Hate crime"],
            "people": [3.5, None],
        }
    )
    return gss_workbook(
        title="A publishable workbook",
        cover=[("Contact", "Team")],
        notes=[("[note 1]", "A note")],
        sheets=[Sheet("Table", "A table [note 1]", frame, "Two rows.", {"people": "#,##0.0"})],
    )


def spoil(change) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(good()))
    change(wb)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_a_good_workbook_passes():
    assert problems(good(), CODES) == []


def _add_loose_table(wb):
    ws = wb.create_sheet("Loose")
    ws.append(["Loose data"])
    ws.append(["line"])
    ws.append(["area", "people"])
    ws.append(["Barnet", 3])
    ws.print_area = "A1:B4"
    ws.page_setup.orientation = "portrait"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1


def _table_named_badly(wb):
    ws = wb["Table"]
    ws.cell(6, 1).value = "Camden"  # a row below the named table's range


def _bare(*, area: bool = True, titles: bool = True, fit: bool = True):
    """A sheet with a named table and every print setting but one."""

    def change(wb):
        ws = wb.create_sheet("Bare")
        for row in (["Bare"], ["One table."], ["area", "people"], ["Barnet", 3]):
            ws.append(row)
        ws.add_table(Table(displayName="Bare", ref="A3:B4"))
        if area:
            ws.print_area = "A1:B4"
        if titles:
            ws.print_title_rows = "1:3"
        ws.page_setup.orientation = "portrait"
        ws.sheet_properties.pageSetUpPr.fitToPage = fit
        ws.page_setup.fitToWidth = 1

    return change


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda wb: wb["Table"].merge_cells("A1:C1"), "merged cells"),
        (lambda wb: setattr(wb["Table"]["C4"], "value", "=1+1"), "a formula"),
        (lambda wb: setattr(wb["Table"]["B4"], "value", None), "a blank cell inside a table"),
        (lambda wb: setattr(wb["Table"]["B3"], "value", "need_label"), "is a code"),
        (lambda wb: setattr(wb["Table"]["B3"], "value", "domestic_abuse"), "is a code"),
        (lambda wb: setattr(wb["Table"]["B4"], "value", "idva"), "is a code"),
        (lambda wb: setattr(wb["Table"]["A1"], "value", None), "no title in A1"),
        (lambda wb: setattr(wb["Contents"]["A1"], "value", 3), "no title in A1"),
        (_add_loose_table, "a table without a name"),
        (_table_named_badly, "data outside a named table"),
        (_bare(), "Bare"),  # the control: a complete sheet adds no problem...
        (_bare(area=False), "Bare: no print area"),
        (_bare(fit=False), "Bare: not fitted to the page width"),
        (
            lambda wb: setattr(wb["Table"].page_setup, "fitToWidth", 0),
            "not fitted to the page width",
        ),
        (_bare(titles=False), "Bare: header rows are not repeated"),
        (lambda wb: setattr(wb["Table"]["C4"], "value", 3.14159265), "is not rounded"),
        (lambda wb: setattr(wb["Table"]["C4"], "value", "[u]"), "is not explained"),
    ],
)
def test_the_checker_finds_each_fault(change, expected):
    found = problems(spoil(change), CODES)
    if expected == "Bare":
        assert found == [], found
        return
    assert any(expected in p for p in found), found


def test_codes_are_allowed_in_a_code_column_and_words_that_are_also_codes_pass():
    frame = pd.DataFrame({"need code": ["domestic_abuse"], "type": ["Helpline"]})
    data = gss_workbook(
        title="T",
        cover=[("Contact", "Team")],
        notes=[],
        sheets=[Sheet("T", "T", frame, "")],
    )
    assert problems(data, CODES) == []
    # a table the writer had to leave empty still has a named table and no blank cell
    empty = gss_workbook(
        title="T", cover=[], notes=[], sheets=[Sheet("E", "E", frame.iloc[0:0], "")]
    )
    assert problems(empty, CODES) == []
    assert Table  # the checker reads openpyxl's table objects
