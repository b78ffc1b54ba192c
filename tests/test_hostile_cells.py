"""Issue 15, "one cell can hang or break the product": numbers that would expand to millions of
digits, workbooks that declare a huge range or unpack to gigabytes, control characters in names,
missing organisation details in Open Referral UK, and formula text in CSV files.

Every refused input asserts the message (field and reason) and that nothing was written.
"""

import csv
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from planner.exports.xlsx import Sheet, csv_safe, write_table
from planner.registry.auth import SYSTEM
from planner.registry.oruk_export import oruk_export, schema_errors
from planner.registry.template import export_bytes, template_bytes
from planner.registry.validation import ValidationError
from planner.registry.workbook import WorkbookError, check_upload, parse_workbook
from planner.registry.workbook_layout import MAX_UNZIPPED_BYTES
from tests.registry_helpers import org, service_raw

HUGE_NUMBERS = [
    ("1e999999", "too large a number"),
    ("1e99999999", "too large a number"),
    ("9" * 5000, "characters long"),
    (10**5000, "too large a number"),
    (2**31, "more than the largest accepted"),
    (10**20, "too large a number"),
    (1e30, "too large a number"),
    ("Infinity", "expected a number of 0 or more"),
    (float("inf"), "expected a number of 0 or more"),
    (float("nan"), "expected a number of 0 or more"),
    ("-1", "expected a number of 0 or more"),
    ([300], "expected a number, found list"),
]


def count_services(registry) -> int:
    return len(registry.services(statuses=None, actor=SYSTEM))


@pytest.mark.parametrize(
    ("value", "message"), HUGE_NUMBERS, ids=[f"number{i}" for i in range(len(HUGE_NUMBERS))]
)
@pytest.mark.parametrize("field", ["capacity_per_year", "places", "staff_fte"])
def test_numbers_are_bounded_before_any_conversion(registry, field, value, message):
    org(registry, "org-a")
    with pytest.raises(ValidationError) as caught:
        registry.create_service(SYSTEM, service_raw(**{field: value}))
    problems = [p for p in caught.value.problems if p.field == field]
    assert problems and message in problems[0].message, caught.value.problems
    assert count_services(registry) == 0


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0.0049", "more than 2 decimal places"),
        ("1e15", "more than the largest accepted"),
        ("1e999999", "too large a number"),
        ("Infinity", "expected a number of 0 or more"),
    ],
)
def test_contract_values_are_pounds_and_pence_within_the_column(registry, value, message):
    org(registry, "org-a")
    raw = service_raw()
    raw["contracts"][0]["annual_value_gbp"] = value
    with pytest.raises(ValidationError) as caught:
        registry.create_service(SYSTEM, raw)
    assert any(
        p.field == "contracts[1].annual_value_gbp" and message in p.message
        for p in caught.value.problems
    ), caught.value.problems
    assert count_services(registry) == 0


def test_largest_accepted_numbers_store_and_read_back(registry):
    org(registry, "org-a")
    raw = service_raw(capacity_per_year="10,000,000", staff_fte="99999.5", places=100_000)
    raw["contracts"][0]["annual_value_gbp"] = "999999999999.99"
    saved = registry.create_service(SYSTEM, raw)
    back = registry.get_service(saved["id"], actor=SYSTEM)
    assert back["capacity_per_year"] == 10_000_000 and back["places"] == 100_000
    assert back["staff_fte"] == 99999.5
    assert Decimal(back["contracts"][0]["annual_value_gbp"]) == Decimal("999999999999.99")


@pytest.mark.parametrize(
    ("field", "text", "code"),
    [
        ("name", "Kestrel\x0bsupport", "U+000B"),
        ("name", "Kestrel\x00", "U+0000"),
        ("name", "Kestrel\ud800", "U+D800"),
        ("name", "Two\nlines", "U+000A"),
        ("phone", "020\x07 7946 0000", "U+0007"),
        ("hours", "Mon\x1bFri", "U+001B"),
    ],
)
def test_control_characters_are_refused_at_the_door(registry, field, text, code):
    org(registry, "org-a")
    with pytest.raises(ValidationError) as caught:
        registry.create_service(SYSTEM, service_raw(**{field: text}))
    assert any(p.field == field and code in p.message for p in caught.value.problems)
    assert count_services(registry) == 0


def test_line_breaks_stay_allowed_in_a_description(registry):
    org(registry, "org-a")
    saved = registry.create_service(SYSTEM, service_raw(description="Line one\nLine two\tend"))
    assert saved["description"] == "Line one\nLine two\tend"


def test_organisation_names_are_checked_too(registry):
    with pytest.raises(ValidationError) as caught:
        registry.save_organisation(SYSTEM, {"id": "o", "name": "Vertical\x0btab Trust"})
    assert "U+000B" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        registry.import_records(
            SYSTEM,
            [("Organisations row 2", {"id": "o", "name": "Ok", "email": "not an address"})],
            [],
            source="test",
        )
    assert "Organisations row 2, email: expected an email address" in str(caught.value)
    assert registry.organisations().empty


def test_a_stored_control_character_never_breaks_a_workbook(registry, validation_ctx):
    """What is already in a registry (stored before the check existed) is cleaned on the way
    out: the registry export and every table writer still produce a workbook."""
    from sqlalchemy import update

    from planner.registry.models import Organisation, Service

    org(registry, "org-a")
    saved = registry.create_service(SYSTEM, service_raw())
    with registry.session() as s, s.begin():
        s.execute(update(Service).values(name="Pasted\x0bname"))
        s.execute(update(Organisation).values(name="Vertical\x0btab Trust"))
    records = registry.services(statuses=None, actor=SYSTEM)
    orgs = registry.organisations().to_dict("records")
    data = export_bytes(validation_ctx.vocab, validation_ctx.area_set, records, orgs)
    wb = openpyxl.load_workbook(io.BytesIO(data))
    names = [row[2] for row in wb["Services"].iter_rows(min_row=2, values_only=True)]
    assert names == ["Pastedname"]
    assert saved["id"]
    book = openpyxl.Workbook()
    import pandas as pd

    write_table(book.active, Sheet("T", "T", pd.DataFrame({"service": ["A\x0bB", "=1+1"]}), ""))
    out = io.BytesIO()
    book.save(out)
    ws = openpyxl.load_workbook(out).active
    assert [ws["A4"].value, ws["A5"].value, ws["A5"].data_type] == ["AB", "=1+1", "s"]


def test_oruk_export_leaves_missing_organisation_details_out(registry, validation_ctx):
    registry.save_organisation(SYSTEM, {"id": "bare", "name": "Bare Trust"})
    registry.create_service(SYSTEM, service_raw(org_ref="bare"))
    records = registry.services(statuses=None, actor=SYSTEM)
    orgs = registry.organisations().to_dict("records")
    assert any(o["email"] is None or o["email"] != o["email"] for o in orgs)
    payload, problems = oruk_export(records, orgs, validation_ctx)
    assert problems == []
    organization = payload[0]["organization"]
    assert "email" not in organization and "website" not in organization
    assert organization["description"] == "Bare Trust"
    assert schema_errors(payload[0]) == []


def test_csv_text_never_runs_as_a_formula():
    import pandas as pd

    frame = pd.DataFrame(
        {
            "services": ['=HYPERLINK("http://evil.example")', "+44 20", "-x", "@SUM(A1)", "ok"],
            "capacity": [-5.0, 1.0, 2.0, 3.0, 4.0],
        }
    )
    out = io.StringIO()
    csv_safe(frame).to_csv(out, index=False)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["services"][:2] for r in rows] == ["'=", "'+", "'-", "'@", "ok"]
    assert rows[0]["capacity"] == "-5.0"  # numbers stay numbers


# --- workbooks that would hang the reader ------------------------------------------------------


def _zip(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return out.getvalue()


def _workbook_entries(template: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(template)) as z:
        return {name: z.read(name) for name in z.namelist()}


@pytest.fixture(scope="module")
def template(validation_ctx):
    return template_bytes(validation_ctx.vocab, validation_ctx.area_set)


def test_a_declared_range_of_the_whole_sheet_is_not_trusted(template, validation_ctx):
    """A 16 KB file: every sheet declares A1:XFD1048576 and holds one cell on the last row.
    Read as declared, that is a million rows of 16,384 cells; the reader takes only the
    template's columns and stops after its row limit, with a message."""
    entries = _workbook_entries(template)
    last = '<row r="1048576"><c r="A1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    for sheet in [n for n in entries if n.startswith("xl/worksheets/") and n.endswith(".xml")]:
        xml = entries[sheet].decode()
        start = xml.index("<dimension ref=")
        end = xml.index("/>", start) + 2
        xml = xml[:start] + '<dimension ref="A1:XFD1048576"/>' + xml[end:]
        entries[sheet] = xml.replace("</sheetData>", last + "</sheetData>").encode()
    data = _zip(entries)
    assert len(data) < 40_000
    with pytest.raises(ValidationError) as caught:
        parse_workbook(data, validation_ctx.vocab, filename="huge.xlsx")
    assert "Organisations row 25002, (rows): more than 25,000 rows" in str(caught.value)


def test_declared_sizes_over_the_limit_are_refused_before_unpacking():
    data = _zip({"xl/workbook.xml": b"<w/>", "[Content_Types].xml": b"<t/>"})
    # rewrite the central directory's uncompressed size of one entry to a gigabyte
    raw = bytearray(data)
    central = raw.index(b"PK\x01\x02")
    raw[central + 24 : central + 28] = (2**30).to_bytes(4, "little")
    with pytest.raises(WorkbookError) as caught:
        check_upload(bytes(raw), filename="bomb.xlsx")
    assert f"more than {MAX_UNZIPPED_BYTES // 2**20} MB" in str(caught.value)


def test_an_entry_that_unpacks_past_the_limit_is_stopped_midway():
    """Sizes in the zip's directory can lie; the reader counts what it unpacks."""
    big = b"\0" * (MAX_UNZIPPED_BYTES + 2**20)  # compresses to about 100 KB
    data = bytearray(_zip({"xl/workbook.xml": b"<w/>", "xl/pad.bin": big}))
    # (signature, where the uncompressed size is, where the name length is, where the name is)
    layouts = ((b"PK\x03\x04", 22, 26, 30), (b"PK\x01\x02", 24, 28, 46))
    for marker, size_at, len_at, name_off in layouts:
        start = 0
        while (i := data.find(marker, start)) != -1:
            name_len = int.from_bytes(data[i + len_at : i + len_at + 2], "little")
            if data[i + name_off : i + name_off + name_len] == b"xl/pad.bin":
                data[i + size_at : i + size_at + 4] = (1000).to_bytes(4, "little")
            start = i + 4
    with pytest.raises(WorkbookError) as caught:
        check_upload(bytes(data), filename="liar.xlsx")
    message = str(caught.value)
    assert "too large to read" in message or "damaged" in message


def test_overlapping_entries_are_refused():
    """The overlapping-entry zip bomb: two directory entries pointing at the same bytes."""
    data = bytearray(_zip({"xl/workbook.xml": b"<w/>" * 100, "xl/b.xml": b"<b/>" * 100}))
    first = data.index(b"PK\x01\x02")
    second = data.index(b"PK\x01\x02", first + 4)
    data[second + 42 : second + 46] = data[first + 42 : first + 46]  # same local header
    with pytest.raises(WorkbookError) as caught:
        check_upload(bytes(data), filename="overlap.xlsx")
    assert "overlap" in str(caught.value) or "damaged" in str(caught.value)


def test_an_error_cell_is_a_problem_not_a_name(template, validation_ctx):
    wb = openpyxl.load_workbook(io.BytesIO(template))
    ws = wb["Organisations"]
    ws.append(["org-1", "#REF!"])
    ws.cell(row=ws.max_row, column=2).data_type = "e"
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(ValidationError) as caught:
        parse_workbook(out.getvalue(), validation_ctx.vocab, filename="err.xlsx")
    assert "Organisations row 2, name: holds the spreadsheet error #REF!" in str(caught.value)
