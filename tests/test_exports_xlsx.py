import io

import openpyxl
import pandas as pd

from planner.exports.xlsx import workbook_bytes


def test_formula_like_text_is_stored_as_text_and_numbers_as_numbers():
    frame = pd.DataFrame(
        {
            "name": ['=HYPERLINK("http://x")', "+44 20 7946 0000", "-minus", "@SUM(A1)", "ok"],
            "count": [1, 2, 3, 4, float("nan")],
        }
    )
    data = workbook_bytes({"T": ("A table", frame, {"count": "#,##0"})})
    ws = openpyxl.load_workbook(io.BytesIO(data))["T"]
    assert ws["A1"].value == "A table"
    assert ws["A2"].value.startswith("This worksheet contains one table of 5 rows.")
    assert [c.value for c in ws[3]] == ["name", "count"]
    for row in ws.iter_rows(min_row=4, max_row=7):
        assert row[0].data_type == "s"
        assert isinstance(row[1].value, int)
        assert row[1].number_format == "#,##0"
    assert ws["A4"].value == '=HYPERLINK("http://x")'
    assert ws["B8"].value == "[x]"  # an empty number carries the shorthand
    assert ws.freeze_panes == "A4"
    assert ws.tables["T"].ref == "A3:B8"
    assert ws.column_dimensions["A"].width >= 20
    # the raw XML holds no formula element at all
    import zipfile

    sheet_xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml
