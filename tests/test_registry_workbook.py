"""Excel template, import of a filled template, registry export, and hostile uploads."""

import io
import zipfile

import openpyxl
import pytest

from planner.registry.auth import SYSTEM
from planner.registry.records import comparable
from planner.registry.template import export_bytes, problems_workbook, template_bytes
from planner.registry.validation import ValidationError
from planner.registry.workbook import parse_workbook
from planner.registry.workbook_layout import SERVICE_COLUMNS, WorkbookError, service_columns


@pytest.fixture(scope="module")
def template(validation_ctx):
    return template_bytes(validation_ctx.vocab, validation_ctx.area_set)


def test_template_has_instructions_sheets_and_dropdowns(template, validation_ctx):
    wb = openpyxl.load_workbook(io.BytesIO(template))
    assert wb.sheetnames == [
        "Instructions",
        "Organisations",
        "Services",
        "Service areas",
        "Sites",
        "Contracts",
        "Lists",
    ]
    services = wb["Services"]
    header = [c.value for c in services[1]]
    assert header == service_columns(validation_ctx.vocab)
    assert "needs: domestic_abuse" in header and "stages: inquest" in header
    rules = {str(dv.sqref): dv.formula1 for dv in services.data_validations.dataValidation}
    type_col = openpyxl.utils.get_column_letter(header.index("service_type") + 1)
    assert rules[f"{type_col}2:{type_col}501"] == "'Lists'!$A$2:$A$18"
    assert len(rules) >= 4 + 4 + 35  # choices, yes/no fields, one per controlled value
    lists = wb["Lists"]
    first = [c.value for c in lists[1]]
    column = first.index("service_types") + 1
    listed = [lists.cell(row=r, column=column).value for r in range(2, 19)]
    assert listed == validation_ctx.vocab.keys("service_types")
    areas = wb["Service areas"].data_validations.dataValidation
    assert any("'Lists'!" in dv.formula1 for dv in areas)
    text = " ".join(str(c.value) for row in wb["Instructions"].iter_rows() for c in row if c.value)
    assert "All or nothing" in text and "Confidential sites" in text and "Example" in text


def fill(template: bytes, *, orgs, services, areas=(), sites=(), contracts=()) -> bytes:
    """Fill the template the way a person would: values typed into the sheets."""
    wb = openpyxl.load_workbook(io.BytesIO(template))
    header = [c.value for c in wb["Services"][1]]
    for row in orgs:
        wb["Organisations"].append(row)
    for values in services:
        wb["Services"].append([values.get(h) for h in header])
    for sheet, rows in (("Service areas", areas), ("Sites", sites), ("Contracts", contracts)):
        for row in rows:
            wb[sheet].append(row)
    for ws in wb.worksheets:  # text typed with Excel's quote prefix stays text, as people do
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
                    cell.data_type = "s"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def good_services():
    return [
        {
            "id": "S1",
            "organisation_id": "ORG1",
            "name": "Croydon IDVA",
            "service_type": "idva",
            "referral_route": "professional_referral",
            "without_police_report": "yes",
            "capacity_per_year": 240,
            "languages": "English; Polish",
            "supervision": "yes",
            "needs: domestic_abuse": "yes",
            "stages: immediate": "yes",
            "stages: investigation": "yes",
            "channels: face_to_face": "yes",
            "age_groups: adults": "yes",
            "description": '=HYPERLINK("http://evil")',
        },
        {
            "id": "S2",
            "organisation_id": "ORG1",
            "name": "London hate crime line",
            "service_type": "helpline",
            "referral_route": "self_referral",
            "without_police_report": "yes",
            "all_areas": "yes",
            "capacity_per_year": 1000,
            "needs: hate_crime": "yes",
            "stages: before_report": "yes",
            "channels: phone": "yes",
            "hours": "-9am to 5pm",
        },
    ]


def good_file(template):
    return fill(
        template,
        orgs=[
            [
                "ORG1",
                "Alpha Aid",
                "@charity",
                None,
                "info@alpha.example",
                "020 7946 0000",
                "1234567",
            ]
        ],
        services=good_services(),
        areas=[["S1", "Croydon", None], ["S1", "Sutton", 40]],
        sites=[
            ["S1", "HUB", "Croydon hub", "CR0 1XX", 51.3727, -0.0999, "Croydon", "no"],
            ["S1", "REF", "Refuge", None, None, None, "Sutton", "yes"],
        ],
        contracts=[
            ["S1", "C1", "commissioned", "MOPAC", "REF-9", 120000, "2025-04-01", "2027-03-31"]
        ],
    )


def test_round_trip_template_import_export_reimport(registry, template, validation_ctx):
    parsed = parse_workbook(good_file(template), validation_ctx.vocab, filename="filled.xlsx")
    result = registry.import_records(
        SYSTEM, parsed.organisations, parsed.services, source="filled.xlsx"
    )
    assert (result.services_created, result.organisations_created) == (2, 1)
    first = [comparable(r) for r in registry.services(actor=SYSTEM)]
    s1 = next(r for r in first if r["name"] == "Croydon IDVA")
    assert s1["description"] == '=HYPERLINK("http://evil")'  # kept as text
    assert [(a["area_code"], a["capacity_share"]) for a in s1["areas"]] == [
        ("E09000008", None),
        ("E09000029", 40),
    ]
    exported = export_bytes(
        validation_ctx.vocab,
        validation_ctx.area_set,
        registry.services(actor=SYSTEM),
        registry.organisations().to_dict("records"),
    )
    # the export writes user text as text, never as a formula
    wb = openpyxl.load_workbook(io.BytesIO(exported))
    cells = [c for row in wb["Services"].iter_rows(min_row=2) for c in row]
    assert not [c for c in cells if c.data_type == "f"]
    sheet_xml = zipfile.ZipFile(io.BytesIO(exported)).read("xl/worksheets/sheet3.xml")
    assert b"<f>" not in sheet_xml
    # confidential site: area only in the export
    sites = list(wb["Sites"].iter_rows(min_row=2, values_only=True))
    refuge = next(r for r in sites if r[7] == "yes")
    assert refuge[2:6] == ("Confidential site", None, None, None) and refuge[6] == "Sutton"
    again = parse_workbook(exported, validation_ctx.vocab, filename="export.xlsx")
    result = registry.import_records(
        SYSTEM, again.organisations, again.services, source="export.xlsx"
    )
    assert (result.services_created, result.services_updated) == (0, 2)
    assert [comparable(r) for r in registry.services(actor=SYSTEM)] == first


def expect_problems(template, validation_ctx, registry, data, *messages):
    with pytest.raises(ValidationError) as err:
        parsed = parse_workbook(data, validation_ctx.vocab, filename="bad.xlsx")
        registry.import_records(SYSTEM, parsed.organisations, parsed.services, source="bad.xlsx")
    text = str(err.value)
    assert "nothing was imported" in text
    for message in messages:
        assert message in text, text
    assert registry.services(actor=SYSTEM) == []
    return err.value


def test_wrong_types_unknown_borough_outside_london(registry, template, validation_ctx):
    services = good_services()
    services[0]["capacity_per_year"] = "lots"
    services[1]["without_police_report"] = "perhaps"
    services[1]["stages: trial"] = "maybe"
    data = fill(
        template,
        orgs=[["ORG1", "Alpha Aid"]],
        services=services,
        areas=[["S1", "Croyden", None]],
        sites=[["S1", "HUB", "Paris office", None, 48.8566, 2.3522, None, "no"]],
    )
    err = expect_problems(
        template,
        validation_ctx,
        registry,
        data,
        "Services row 3, stages: trial: expected yes or blank, found 'maybe'",
    )
    assert len(err.problems) == 1  # sheet-level problems stop before record checks
    services[1].pop("stages: trial")
    data = fill(
        template,
        orgs=[["ORG1", "Alpha Aid"]],
        services=services,
        areas=[["S1", "Croyden", None]],
        sites=[["S1", "HUB", "Paris office", None, 48.8566, 2.3522, None, "no"]],
    )
    expect_problems(
        template,
        validation_ctx,
        registry,
        data,
        "Services row 2, capacity_per_year: expected a number of 0 or more, found 'lots'",
        "Services row 3, without_police_report: expected yes or no, found 'perhaps'",
        "Services row 2, areas: Unknown borough 'Croyden' in London. Closest known names: Croydon",
        "Services row 2, sites[1].latitude: the point (48.85660, 2.35220) is outside London",
    )


def test_duplicate_ids_and_orphans(registry, template, validation_ctx):
    services = good_services()
    services[1]["id"] = "S1"
    data = fill(
        template,
        orgs=[["ORG1", "Alpha"], ["ORG1", "Alpha again"]],
        services=services,
        areas=[["S9", "Croydon", None]],
    )
    expect_problems(
        template,
        validation_ctx,
        registry,
        data,
        "Services row 3, id: duplicate id 'S1' (also in Services row 2)",
        "Organisations row 3, id: duplicate id 'ORG1' (also in Organisations row 2)",
        "Service areas row 2, service_id: no service with id 'S9' in the Services sheet",
    )


def test_formula_cells_are_refused_formula_like_text_is_kept(registry, template, validation_ctx):
    wb = openpyxl.load_workbook(io.BytesIO(good_file(template)))
    wb["Services"]["C2"] = "=1+1"  # a real formula typed in Excel
    out = io.BytesIO()
    wb.save(out)
    expect_problems(
        template,
        validation_ctx,
        registry,
        out.getvalue(),
        "Services row 2, name: contains a formula (=1+1); type the value itself",
    )


def _replace_in_zip(data: bytes, old: bytes, new: bytes) -> bytes:
    """Edit the XML inside a workbook (openpyxl itself cuts long cells when it writes)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item, source.read(item.filename).replace(old, new))
    return out.getvalue()


def test_ten_megabyte_cell(registry, template, validation_ctx):
    services = good_services()
    services[0]["description"] = "PLACEHOLDER-TEXT"
    data = fill(
        template, orgs=[["ORG1", "Alpha"]], services=services, areas=[["S1", "Croydon", None]]
    )
    data = _replace_in_zip(data, b"PLACEHOLDER-TEXT", b"x" * (10 * 1024 * 1024))
    assert len(data) < 1_000_000  # compresses well: size limits alone would not catch it
    expect_problems(
        template,
        validation_ctx,
        registry,
        data,
        "Services row 2, description: is 10,485,760 characters long; a cell holds at most 32,767",
    )


def test_macro_enabled_workbook_is_refused(template, validation_ctx):
    source = zipfile.ZipFile(io.BytesIO(template))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml")
            target.writestr(item, data)
        target.writestr("xl/vbaProject.bin", b"\x00" * 64)
    with pytest.raises(WorkbookError, match=r"contains macros \(.xlsm\)"):
        parse_workbook(out.getvalue(), validation_ctx.vocab, filename="renamed.xlsx")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.7 not a workbook", "is a PDF, not an Excel workbook"),
        (b"id,name\n1,Alpha\n", "is not a workbook, not an Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1old", "an old .xls"),
        (b"", "is empty"),
    ],
)
def test_non_excel_files_renamed_to_xlsx(data, message, validation_ctx):
    with pytest.raises(WorkbookError, match=message):
        parse_workbook(data, validation_ctx.vocab, filename="upload.xlsx")


def test_truncated_zip(template, validation_ctx):
    with pytest.raises(WorkbookError, match="damaged or incomplete"):
        parse_workbook(template[: len(template) // 2], validation_ctx.vocab)


def test_zip_that_is_not_a_workbook(validation_ctx):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(WorkbookError, match="zip file but not an Excel workbook"):
        parse_workbook(out.getvalue(), validation_ctx.vocab)


def test_missing_sheet_and_column(template, validation_ctx):
    wb = openpyxl.load_workbook(io.BytesIO(template))
    del wb["Contracts"]
    wb["Services"].delete_cols(SERVICE_COLUMNS.index("name") + 1)
    out = io.BytesIO()
    wb.save(out)
    with pytest.raises(ValidationError) as err:
        parse_workbook(out.getvalue(), validation_ctx.vocab)
    text = str(err.value)
    assert "Contracts, (sheet): the sheet is missing" in text
    assert "Services row 1, name: column missing" in text


def test_problem_report_workbook(template, validation_ctx, registry):
    services = good_services()
    services[0]["capacity_per_year"] = "lots"
    data = fill(template, orgs=[["ORG1", "Alpha"]], services=services)
    parsed = parse_workbook(data, validation_ctx.vocab)
    with pytest.raises(ValidationError) as err:
        registry.import_records(SYSTEM, parsed.organisations, parsed.services, source="x")
    report = openpyxl.load_workbook(io.BytesIO(problems_workbook(err.value.problems)))
    rows = list(report["Problems"].iter_rows(values_only=True))
    assert rows[0] == ("sheet", "row", "column", "problem")
    assert ("Services", 2, "capacity_per_year") in [r[:3] for r in rows[1:]]
