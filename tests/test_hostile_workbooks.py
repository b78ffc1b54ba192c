"""Issue 15, malformed workbooks: a flipped byte anywhere in the file, a truncated or invalid
sheet, a shared-string index out of range, text in a number cell, entity tricks in the XML,
missing parts, and spreadsheet error cells. Each is refused with a message that names the
file and, where it can, the sheet and row; nothing reaches the registry."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from planner.registry.auth import SYSTEM
from planner.registry.template import template_bytes
from planner.registry.validation import ValidationError
from planner.registry.workbook import parse_workbook
from planner.registry.workbook_layout import WorkbookError
from tests.test_registry_workbook import good_file

SERVICES = "xl/worksheets/sheet3.xml"
CONTRACTS = "xl/worksheets/sheet6.xml"
SHEETS = {
    "Organisations": "xl/worksheets/sheet2.xml",
    "Services": SERVICES,
    "Service areas": "xl/worksheets/sheet4.xml",
    "Sites": "xl/worksheets/sheet5.xml",
    "Contracts": CONTRACTS,
}


@pytest.fixture(scope="module")
def good(validation_ctx) -> bytes:
    return good_file(template_bytes(validation_ctx.vocab, validation_ctx.area_set))


@pytest.fixture(scope="module")
def good_parse(good, validation_ctx):
    return parse_workbook(good, validation_ctx.vocab, filename="good.xlsx")


def rewrite(data: bytes, changes: dict) -> bytes:
    """The workbook with members changed: name → bytes (a new or replaced member), a
    function of the old bytes, or None (the member removed)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        names = [i.filename for i in source.infolist()]
        for name in names + [n for n in changes if n not in names]:
            change = changes.get(name, lambda old: old)
            content = source.read(name) if name in names else b""
            content = change(content) if callable(change) else change
            if content is not None:
                target.writestr(name, content)
    return out.getvalue()


def refused(registry, data: bytes, validation_ctx, *expected: str) -> str:
    """The import of ``data`` is refused with a message holding ``expected``; nothing stored."""
    with pytest.raises((WorkbookError, ValidationError)) as caught:
        parsed = parse_workbook(data, validation_ctx.vocab, filename="filled.xlsx")
        registry.import_records(SYSTEM, parsed.organisations, parsed.services, source="filled.xlsx")
    message = str(caught.value)
    assert "filled.xlsx" in message, message
    for words in expected:
        assert words in message, message
    assert registry.services(statuses=None, actor=SYSTEM) == []
    assert registry.organisations().empty
    return message


# --- one flipped byte, at 64 places spread over the file --------------------------------------


@pytest.mark.parametrize("sixty_fourth", range(64))
def test_a_flipped_byte_is_refused_or_harmless(
    registry, good, good_parse, validation_ctx, sixty_fourth
):
    """Most flips break a checksum or the compressed data ("damaged"); a flip in a byte
    nobody reads (a timestamp) leaves the same records. Never a traceback, never something
    else read."""
    at = len(good) * sixty_fourth // 64
    flipped = bytearray(good)
    flipped[at] ^= 0xFF
    try:
        parsed = parse_workbook(bytes(flipped), validation_ctx.vocab, filename="filled.xlsx")
    except (WorkbookError, ValidationError) as exc:
        assert "filled.xlsx" in str(exc)
        assert registry.services(statuses=None, actor=SYSTEM) == []
        return
    assert parsed == good_parse, f"byte {at} changed what was read"


# --- a damaged sheet ----------------------------------------------------------------------------


@pytest.mark.parametrize("sheet", list(SHEETS))
@pytest.mark.parametrize("keep", [0.2, 0.5, 0.9])
def test_a_truncated_sheet_names_the_sheet(registry, good, validation_ctx, sheet, keep):
    cut = rewrite(good, {SHEETS[sheet]: lambda xml: xml[: int(len(xml) * keep)]})
    refused(registry, cut, validation_ctx, "is damaged", f"{sheet} row", "save it again")


INVALID_XML = {
    "mismatched tag": lambda xml: xml.replace(b"</row>", b"</rows>", 1),
    "undefined entity": lambda xml: xml.replace(b"<sheetData>", b"<sheetData>&bogus;", 1),
    "stray text before the root": lambda xml: b"garbage" + xml,
    "not XML at all": lambda xml: b"\x00\x01\x02 binary",
    "an empty member": lambda xml: b"",
    "two roots": lambda xml: xml + xml,
    "an unclosed attribute": lambda xml: xml.replace(b'r="2"', b'r="2', 1),
    "a bad character reference": lambda xml: xml.replace(b"<t>S1</t>", b"<t>&#0;</t>", 1),
}


ROOT_DAMAGE = {"stray text before the root", "not XML at all", "an empty member"}


@pytest.mark.parametrize("kind", list(INVALID_XML))
@pytest.mark.parametrize("sheet", ["Services", "Contracts"])
def test_an_invalid_sheet_is_refused(registry, good, validation_ctx, kind, sheet):
    """Damage inside the rows names the sheet and row; damage to the sheet's root is met
    while the workbook opens, and is said to be the workbook's."""
    bad = rewrite(good, {SHEETS[sheet]: INVALID_XML[kind]})
    where = "cannot be read as an Excel workbook" if kind in ROOT_DAMAGE else f"{sheet} row"
    refused(registry, bad, validation_ctx, "is damaged", where, "save it again")


# --- shared strings, as Excel writes text -------------------------------------------------------

SST_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"
SST_CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def with_shared_strings(good: bytes, strings: bytes, name_cell: bytes) -> bytes:
    """The workbook with a shared-strings part (as Excel writes one) holding ``strings``
    (``<si>`` items), and the Services name cell C2 replaced by ``name_cell``."""
    rel = f'<Relationship Type="{SST_TYPE}" Target="/xl/sharedStrings.xml" Id="rIdS" />'
    override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{SST_CONTENT}" />'
    return rewrite(
        good,
        {
            "xl/sharedStrings.xml": b'<?xml version="1.0"?><sst xmlns="%s">%s</sst>'
            % (MAIN.encode(), strings),
            "xl/_rels/workbook.xml.rels": lambda x: x.replace(
                b"</Relationships>", rel.encode() + b"</Relationships>"
            ),
            "[Content_Types].xml": lambda x: x.replace(
                b"</Types>", override.encode() + b"</Types>"
            ),
            SERVICES: lambda x: re.sub(
                rb'<c r="C2" t="inlineStr"><is><t>[^<]*</t></is></c>', name_cell, x
            ),
        },
    )


def test_a_shared_string_in_range_is_read(registry, good, validation_ctx):
    data = with_shared_strings(
        good, b"<si><t>Shared name</t></si>", b'<c r="C2" t="s"><v>0</v></c>'
    )
    parsed = parse_workbook(data, validation_ctx.vocab, filename="filled.xlsx")
    assert parsed.services[0][1]["name"] == "Shared name"  # the fixture itself is sound


@pytest.mark.parametrize("index", [b"1", b"99999", b"-1", b"1e9", b"abc", b"0.5"])
def test_a_shared_string_index_out_of_range_is_refused(registry, good, validation_ctx, index):
    cell = b'<c r="C2" t="s"><v>' + index + b"</v></c>"
    data = with_shared_strings(good, b"<si><t>Shared name</t></si>", cell)
    refused(registry, data, validation_ctx, "is damaged", "Services row 2")


def test_a_shared_string_cell_without_an_index_is_an_empty_cell(registry, good, validation_ctx):
    cell = b'<c r="C2" t="s"><v></v></c>'
    data = with_shared_strings(good, b"<si><t>Shared name</t></si>", cell)
    refused(registry, data, validation_ctx, "Services row 2, name: is required")


ENTITY_BOMB = (
    b'<!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(
        b'<!ENTITY %s "%s">' % (bytes([98 + i]), bytes([97 + i]).join([b"&", b";"]) * 10)
        for i in range(8)
    )
    + b"]>"
)


def test_entities_that_expand_a_billion_fold_are_refused(registry, good, validation_ctx):
    """A 'billion laughs' in the shared strings: the parser refuses the expansion."""
    strings = b"<si><t>&i;</t></si>"
    data = with_shared_strings(good, strings, b'<c r="C2" t="s"><v>0</v></c>')
    data = rewrite(
        data, {"xl/sharedStrings.xml": lambda x: x.replace(b"<sst ", ENTITY_BOMB + b"<sst ", 1)}
    )
    refused(registry, data, validation_ctx, "filled.xlsx")


def test_an_external_entity_is_never_fetched(registry, good, validation_ctx, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP SECRET")
    doctype = b'<!DOCTYPE sst [<!ENTITY x SYSTEM "file://%s">]>' % str(secret).encode()
    data = with_shared_strings(good, b"<si><t>&x;</t></si>", b'<c r="C2" t="s"><v>0</v></c>')
    data = rewrite(
        data, {"xl/sharedStrings.xml": lambda x: x.replace(b"<sst ", doctype + b"<sst ", 1)}
    )
    try:
        parsed = parse_workbook(data, validation_ctx.vocab, filename="filled.xlsx")
    except (WorkbookError, ValidationError) as exc:
        assert "TOP SECRET" not in str(exc)
        return
    assert "TOP SECRET" not in repr(parsed)


# --- numbers ------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [b"abc", b"1,000", b"12abc", b"0x10", b"--5", b"1e999999"])
@pytest.mark.parametrize(
    "where",
    [
        (SERVICES, b"K2", "Services row 2", "capacity_per_year"),
        (CONTRACTS, b"F2", "Contracts row 2", "annual_value_gbp"),
    ],
)
def test_text_in_a_number_cell_names_the_row(registry, good, validation_ctx, value, where):
    """Text where the file says a number is: the damaged row named. A number too large for
    any column (read as infinity) is refused by the field's own check."""
    member, cell, row, field = where
    pattern = rb'<c r="' + cell + rb'" t="n"><v>\d+</v></c>'
    replacement = b'<c r="' + cell + b'" t="n"><v>' + value + b"</v></c>"
    bad = rewrite(good, {member: lambda x: re.sub(pattern, replacement, x)})
    assert bad != good
    refused(registry, bad, validation_ctx, field if value == b"1e999999" else row)


# --- parts missing or pointing nowhere ----------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"xl/workbook.xml": None}, "not an Excel workbook"),
        ({"xl/_rels/workbook.xml.rels": None}, "cannot be read"),
        ({"[Content_Types].xml": None}, "cannot be read"),
        ({SERVICES: None}, "Services, (sheet): the sheet is missing"),
        ({"xl/styles.xml": lambda x: x[:100]}, "cannot be read"),
        (
            {"xl/_rels/workbook.xml.rels": lambda x: x.replace(b"sheet3.xml", b"sheet99.xml")},
            "Services, (sheet): the sheet is missing",
        ),
        (
            {"xl/workbook.xml": lambda x: x.replace(b'name="Services"', b'name="Servic"')},
            "Services",
        ),
    ],
)
def test_a_missing_or_misdirected_part_is_refused(registry, good, validation_ctx, change, words):
    refused(registry, rewrite(good, change), validation_ctx, words)


# --- spreadsheet error cells --------------------------------------------------------------------


@pytest.mark.parametrize(
    "error", ["#REF!", "#N/A", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!"]
)
@pytest.mark.parametrize("cell", [b"C2", b"K2"])
def test_an_error_cell_is_a_problem_of_its_row(registry, good, validation_ctx, error, cell):
    pattern = rb'<c r="' + cell + rb'" t="[a-zA-Z]+">.*?</c>'
    replacement = b'<c r="' + cell + b'" t="e"><v>' + error.encode() + b"</v></c>"
    bad = rewrite(good, {SERVICES: lambda x: re.sub(pattern, replacement, x, count=1)})
    assert bad != good
    refused(registry, bad, validation_ctx, "Services row 2", f"spreadsheet error {error}")
