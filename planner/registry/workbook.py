"""The Excel registration template, registry export to Excel, and the import of a filled file.

One layout serves all three, so an exported registry imports again unchanged. The reader
treats every upload as hostile: size, zip integrity, macros, formulas and cell lengths are
checked before any value is read, and every problem is reported with its sheet, row and field.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from planner.areas import AreaSet
from planner.errors import PlannerError
from planner.exports.xlsx import FORMULA_PREFIXES, safe_cell_value
from planner.registry.records import TERM_FIELDS
from planner.registry.service import RowProblem
from planner.registry.validation import ValidationError
from planner.vocab import Vocabularies

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED_BYTES = 200 * 1024 * 1024
EXCEL_CELL_LIMIT = 32_767
TEMPLATE_ROWS = 500
YES, NO = "yes", "no"

ORG_COLUMNS = ["id", "name", "description", "website", "email", "phone", "charity_number"]
SERVICE_COLUMNS = [
    "id",
    "organisation_id",
    "name",
    "description",
    "service_type",
    "referral_route",
    "without_police_report",
    "gender",
    "all_areas",
    "capacity_per_year",
    "places",
    "staff_fte",
    "hours",
    "website",
    "phone",
    "email",
    "languages",
    "supervision",
    "accredited_training",
    "status",
]
MULTI_FIELDS = [f for f in TERM_FIELDS if f != "languages"]
AREA_COLUMNS = ["service_id", "area", "capacity_share"]
SITE_COLUMNS = [
    "service_id",
    "site_id",
    "name",
    "postcode",
    "latitude",
    "longitude",
    "area",
    "confidential",
]
CONTRACT_COLUMNS = [
    "service_id",
    "contract_id",
    "funding_status",
    "commissioner",
    "reference",
    "annual_value_gbp",
    "start_date",
    "end_date",
]
VOCAB_OF_MULTI = {
    "needs": "needs",
    "stages": "stages",
    "specialisms": "specialisms",
    "channels": "channels",
    "age_groups": "age_groups",
    "accreditations": "accreditations",
}
SHEETS = ("Organisations", "Services", "Service areas", "Sites", "Contracts")


class WorkbookError(PlannerError):
    """The upload is not a readable, safe Excel workbook."""


def service_columns(vocab: Vocabularies) -> list[str]:
    multi = [
        f"{field}: {key}" for field in MULTI_FIELDS for key in vocab.keys(VOCAB_OF_MULTI[field])
    ]
    return SERVICE_COLUMNS + multi


COLUMN_HELP = {
    "id": "Your reference for the row (any text, unique in its sheet), or the registry's id",
    "organisation_id": "The id of the organisation in the Organisations sheet",
    "service_type": "One value from the list",
    "referral_route": "How people reach the service",
    "without_police_report": "Can people use it without reporting to the police? yes / no",
    "gender": "Who it is for",
    "all_areas": "yes if it covers every area; otherwise list areas in 'Service areas'",
    "capacity_per_year": "People supported a year (cases), a whole number",
    "places": "Refuges and safe accommodation: family places (bed spaces), a whole number",
    "staff_fte": "Full-time-equivalent staff, optional",
    "languages": "Languages spoken without interpreters, separated by ;",
    "supervision": "Clinical / case supervision in place? yes / no",
    "accredited_training": "Staff hold accredited training? yes / no",
    "status": "draft or submitted (commissioners may approve)",
    "capacity_share": "Optional: capacity for this area if you split it",
    "latitude": "Decimal degrees, e.g. 51.5007 (leave blank for confidential sites)",
    "longitude": "Decimal degrees, e.g. -0.1246",
    "confidential": "yes for refuges and any address that must never be shown",
    "annual_value_gbp": "Annual value in pounds, a number",
    "start_date": "Date, e.g. 2026-04-01",
    "end_date": "Date, after the start",
}


# --- writing ------------------------------------------------------------------------------------


def _write_sheet(
    wb: Workbook, title: str, columns: Sequence[str], rows: Iterable[Sequence[object]]
) -> object:
    ws = wb.create_sheet(title)
    ws.append(list(columns))
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in rows:
        ws.append([safe_cell_value(v) for v in row])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES):
                cell.data_type = "s"
    for i, col in enumerate(columns, start=1):
        width = 14 if ":" in col else max(12, min(40, len(col) + 4))
        if col in ("name", "description", "commissioner"):
            width = 36
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "B2"
    ws.row_dimensions[1].height = 45
    return ws


def _lists_sheet(wb: Workbook, vocab: Vocabularies, area_set: AreaSet) -> dict[str, str]:
    """A sheet of the accepted values; returns the range formula for each list."""
    ws = wb.create_sheet("Lists")
    lists = {
        name: vocab.keys(name)
        for name in (
            "service_types",
            "referral_routes",
            "genders",
            "funding_statuses",
            "registration_statuses",
        )
    }
    lists["yes_no"] = [YES, NO]
    lists["areas"] = [a.name for a in area_set.areas]
    ranges = {}
    for col, (name, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(col)
        ws.cell(row=1, column=col, value=name).font = Font(bold=True)
        for row, value in enumerate(values, start=2):
            ws.cell(row=row, column=col, value=value)
        ws.column_dimensions[letter].width = max(14, max(len(v) for v in values) + 2)
        ranges[name] = f"{quote_sheetname('Lists')}!${letter}$2:${letter}${len(values) + 1}"
    return ranges


def _dropdown(ws, column: str, columns: Sequence[str], formula: str, prompt: str) -> None:
    idx = columns.index(column) + 1
    letter = get_column_letter(idx)
    dv = DataValidation(
        type="list",
        formula1=formula,
        allow_blank=True,
        showDropDown=False,
        showErrorMessage=True,
        errorTitle="Not in the list",
        error=f"Choose a value from the list for {column}.",
        promptTitle=column[:32],
        prompt=prompt[:255],
        showInputMessage=True,
    )
    dv.add(f"{letter}2:{letter}{TEMPLATE_ROWS + 1}")
    ws.add_data_validation(dv)


def _add_validations(wb: Workbook, vocab: Vocabularies, ranges: dict[str, str]) -> None:
    services = wb["Services"]
    cols = service_columns(vocab)
    for column, name in (
        ("service_type", "service_types"),
        ("referral_route", "referral_routes"),
        ("gender", "genders"),
        ("status", "registration_statuses"),
    ):
        _dropdown(services, column, cols, ranges[name], COLUMN_HELP.get(column, column))
    for column in ("without_police_report", "all_areas", "supervision", "accredited_training"):
        _dropdown(services, column, cols, ranges["yes_no"], COLUMN_HELP[column])
    for column in cols:
        if ":" in column:
            field, key = (p.strip() for p in column.split(":"))
            label = vocab.label(VOCAB_OF_MULTI[field], key)
            _dropdown(services, column, cols, ranges["yes_no"], f"yes if: {label}")
    _dropdown(wb["Service areas"], "area", AREA_COLUMNS, ranges["areas"], "An area")
    _dropdown(wb["Sites"], "area", SITE_COLUMNS, ranges["areas"], "The site's area")
    _dropdown(
        wb["Sites"], "confidential", SITE_COLUMNS, ranges["yes_no"], COLUMN_HELP["confidential"]
    )
    _dropdown(
        wb["Contracts"],
        "funding_status",
        CONTRACT_COLUMNS,
        ranges["funding_statuses"],
        "How the service is funded",
    )


def _instructions(
    wb: Workbook, vocab: Vocabularies, area_set: AreaSet, *, title: str, demo: bool
) -> None:
    ws = wb.create_sheet("Instructions", 0)
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 100
    lines: list[tuple[str, str]] = [
        (title, ""),
        ("", ""),
        (
            "How to use",
            "Fill one row per organisation, service, area, site and contract. Keep "
            "the column headings as they are. Choose values from the drop-down lists. Upload the "
            "file on the Services page or with `planner registry import FILE`.",
        ),
        (
            "All or nothing",
            "If any row has a problem, nothing is imported and you get a list of "
            "every problem with its sheet, row and column. Fix them and upload again.",
        ),
        (
            "Confidential sites",
            "Mark refuges and any address that must never be shown as "
            "confidential: they are shown and exported only as their area.",
        ),
        (
            "Formulas",
            "Type values, not formulas. Text that starts with = + - or @ is kept as text.",
        ),
        ("", ""),
        ("Sheet", "What it holds"),
        ("Organisations", "The organisations that provide services."),
        (
            "Services",
            "One row per service. Columns named 'needs: …', 'stages: …' and so on: "
            "write yes where it applies.",
        ),
        (
            "Service areas",
            f"One row per service and {area_set.area_label} it covers (skip "
            "when the service covers all areas).",
        ),
        ("Sites", "Places where a service is delivered face to face."),
        ("Contracts", "Commissioned contracts and grants that fund a service."),
        ("", ""),
        ("Column", "Meaning"),
    ]
    if demo:
        lines.insert(
            1, ("DEMONSTRATION DATA", "Every organisation and service in this file is fictional.")
        )
    lines += [(k, v) for k, v in COLUMN_HELP.items()]
    lines += [("", ""), ("Accepted values", "")]
    for name in (
        "needs",
        "service_types",
        "stages",
        "specialisms",
        "channels",
        "age_groups",
        "accreditations",
        "referral_routes",
        "funding_statuses",
    ):
        for key, label in vocab.lists[name].items():
            lines.append((f"{name}: {key}", label))
    lines += [
        ("", ""),
        (
            "Example",
            "Services row: id S1; organisation_id ORG1; name Croydon "
            "IDVA service; service_type idva; referral_route self_referral; "
            "without_police_report yes; capacity_per_year 240; needs: domestic_abuse yes; "
            "stages: immediate yes. Service areas row: S1, Croydon. Sites row: S1, SITE1, "
            "Croydon hub, CR0 1XX, 51.3727, -0.1099, Croydon, no.",
        ),
    ]
    for a, b in lines:
        ws.append([a, b])
    ws["A1"].font = Font(bold=True, size=14)
    for row in ws.iter_rows(min_row=2):
        row[1].alignment = Alignment(wrap_text=True, vertical="top")
        if row[0].value in ("Sheet", "Column", "Accepted values", "Example", "DEMONSTRATION DATA"):
            row[0].font = Font(bold=True)
    if demo:
        ws["A2"].fill = PatternFill("solid", fgColor="FFF2CC")


def _workbook(
    vocab: Vocabularies,
    area_set: AreaSet,
    records: Sequence[dict],
    organisations: Sequence[dict],
    *,
    title: str,
    demo: bool,
) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    _instructions(wb, vocab, area_set, title=title, demo=demo)
    _write_sheet(
        wb, "Organisations", ORG_COLUMNS, ([o.get(c) for c in ORG_COLUMNS] for o in organisations)
    )
    cols = service_columns(vocab)
    _write_sheet(wb, "Services", cols, (_service_row(r, cols) for r in records))
    _write_sheet(
        wb,
        "Service areas",
        AREA_COLUMNS,
        (
            [r["id"], area_set.name_of(a["area_code"]), a["capacity_share"]]
            for r in records
            if not r["all_areas"]
            for a in r["areas"]
        ),
    )
    from planner.registry.tables import public_site

    _write_sheet(
        wb,
        "Sites",
        SITE_COLUMNS,
        (
            [
                r["id"],
                x["id"],
                x["name"],
                x["postcode"],
                x["latitude"],
                x["longitude"],
                area_set.name_of(x["area_code"]),
                YES if x["confidential"] else NO,
            ]
            for r in records
            for x in map(public_site, r["sites"])
        ),
    )
    _write_sheet(
        wb,
        "Contracts",
        CONTRACT_COLUMNS,
        (
            [
                r["id"],
                c["id"],
                c["funding_status"],
                c["commissioner"],
                c["reference"],
                float(c["annual_value_gbp"]) if c["annual_value_gbp"] is not None else None,
                _as_date(c["start_date"]),
                _as_date(c["end_date"]),
            ]
            for r in records
            for c in r["contracts"]
        ),
    )
    for ws in (wb["Contracts"],):
        for row in ws.iter_rows(min_row=2):
            row[5].number_format = "#,##0.00"
            row[6].number_format = row[7].number_format = "yyyy-mm-dd"
    ranges = _lists_sheet(wb, vocab, area_set)
    _add_validations(wb, vocab, ranges)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def _as_date(value):
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _service_row(record: dict, cols: Sequence[str]) -> list[object]:
    row: list[object] = []
    for col in cols:
        if ":" in col:
            field, key = (p.strip() for p in col.split(":"))
            row.append(YES if key in record[field] else None)
        elif col in ("without_police_report", "all_areas", "supervision", "accredited_training"):
            row.append(YES if record[col] else NO)
        elif col == "languages":
            row.append("; ".join(record["languages"]) or None)
        else:
            row.append(record.get(col))
    return row


def template_bytes(vocab: Vocabularies, area_set: AreaSet) -> bytes:
    """An empty registration template with drop-down lists and instructions."""
    return _workbook(
        vocab, area_set, [], [], title="Victim services registration template", demo=False
    )


def export_bytes(
    vocab: Vocabularies, area_set: AreaSet, records: Sequence[dict], organisations: Sequence[dict]
) -> bytes:
    """The registry in the template's layout (confidential sites only as their area)."""
    demo = any(r.get("is_demo") for r in records)
    return _workbook(
        vocab, area_set, records, organisations, title="Victim services registry export", demo=demo
    )


# --- reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedWorkbook:
    organisations: list[tuple[str, dict]]
    services: list[tuple[str, dict]]


def check_upload(data: bytes, *, filename: str = "upload.xlsx") -> None:
    """Refuse anything that is not a plain, complete, macro-free .xlsx before parsing it."""
    if len(data) == 0:
        raise WorkbookError(f"{filename} is empty.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise WorkbookError(
            f"{filename} is {len(data) / 2**20:.1f} MB; the limit is "
            f"{MAX_UPLOAD_BYTES // 2**20} MB. Split the registry into several files."
        )
    if not data.startswith(b"PK\x03\x04"):
        kind = (
            "an old .xls or other Office file"
            if data.startswith(b"\xd0\xcf\x11\xe0")
            else ("a PDF" if data.startswith(b"%PDF") else "not a workbook")
        )
        raise WorkbookError(
            f"{filename} is {kind}, not an Excel workbook (.xlsx). Open it in Excel or "
            "LibreOffice and save it as 'Excel Workbook (.xlsx)'."
        )
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
        total = sum(i.file_size for i in archive.infolist())
        bad = archive.testzip()
    except (zipfile.BadZipFile, EOFError, ValueError, OSError) as exc:
        raise WorkbookError(
            f"{filename} is damaged or incomplete ({exc}); download or save it again."
        ) from exc
    if bad is not None:
        raise WorkbookError(f"{filename} is damaged ({bad} fails its checksum); save it again.")
    if total > MAX_UNZIPPED_BYTES:
        raise WorkbookError(f"{filename} unpacks to {total / 2**20:.0f} MB; too large to read.")
    content_types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    if any(n.lower().endswith("vbaproject.bin") for n in names) or b"macroEnabled" in content_types:
        raise WorkbookError(
            f"{filename} contains macros (.xlsm). Macros are never accepted: save it as "
            "'Excel Workbook (.xlsx)'."
        )
    if "xl/workbook.xml" not in names:
        raise WorkbookError(f"{filename} is a zip file but not an Excel workbook (.xlsx).")


def _cell_problems(sheet: str, row: int, header: str, cell) -> str | None:
    if cell.data_type == "f":
        return f"contains a formula ({str(cell.value)[:40]}); type the value itself"
    if isinstance(cell.value, str) and len(cell.value) > EXCEL_CELL_LIMIT:
        return f"is {len(cell.value):,} characters long; a cell holds at most {EXCEL_CELL_LIMIT:,}"
    return None


def _rows(wb, sheet: str, expected: Sequence[str], problems: list[RowProblem]):
    if sheet not in wb.sheetnames:
        problems.append(RowProblem(sheet, "(sheet)", "the sheet is missing; use the template"))
        return []
    ws = wb[sheet]
    rows = ws.iter_rows()
    try:
        header_cells = next(rows)
    except StopIteration:
        problems.append(RowProblem(sheet, "(header)", "the sheet is empty"))
        return []
    header = [str(c.value).strip() if c.value is not None else "" for c in header_cells]
    missing = [c for c in expected if c not in header]
    for col in missing:
        problems.append(RowProblem(f"{sheet} row 1", col, "column missing; use the template"))
    unknown = [h for h in header if h and h not in expected]
    for col in unknown:
        problems.append(RowProblem(f"{sheet} row 1", col, "unknown column"))
    if missing:
        return []
    out = []
    for number, cells in enumerate(rows, start=2):
        values = {}
        for h, cell in zip(header, cells, strict=False):
            if not h:
                continue
            issue = _cell_problems(sheet, number, h, cell)
            if issue:
                problems.append(RowProblem(f"{sheet} row {number}", h, issue))
                continue
            value = cell.value
            if isinstance(value, str):
                value = value.strip() or None
            values[h] = value
        if any(v is not None for v in values.values()):
            out.append((f"{sheet} row {number}", values))
    return out


def parse_workbook(
    data: bytes, vocab: Vocabularies, *, filename: str = "upload.xlsx"
) -> ParsedWorkbook:
    """Read a filled template into raw records (validated later by the registry)."""
    check_upload(data, filename=filename)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for malformed parts
        raise WorkbookError(f"{filename} cannot be read as an Excel workbook: {exc}") from exc
    problems: list[RowProblem] = []
    orgs = _rows(wb, "Organisations", ORG_COLUMNS, problems)
    cols = service_columns(vocab)
    services = _rows(wb, "Services", cols, problems)
    areas = _rows(wb, "Service areas", AREA_COLUMNS, problems)
    sites = _rows(wb, "Sites", SITE_COLUMNS, problems)
    contracts = _rows(wb, "Contracts", CONTRACT_COLUMNS, problems)
    wb.close()
    by_id: dict[str, dict] = {}
    service_records = []
    for where, row in services:
        raw = {c: row.get(c) for c in SERVICE_COLUMNS}
        raw["id"] = _text(raw["id"])
        raw["organisation_id"] = _text(raw["organisation_id"])
        for field in MULTI_FIELDS:
            chosen = []
            for key in vocab.keys(VOCAB_OF_MULTI[field]):
                value = row.get(f"{field}: {key}")
                if value is None:
                    continue
                word = str(value).strip().lower()
                if word in ("yes", "y", "true", "1", "x"):
                    chosen.append(key)
                elif word not in ("no", "n", "false", "0"):
                    problems.append(
                        RowProblem(
                            where, f"{field}: {key}", f"expected yes or blank, found {value!r}"
                        )
                    )
            raw[field] = chosen
        raw["areas"], raw["area_capacity"], raw["sites"], raw["contracts"] = [], {}, [], []
        if raw["id"]:
            if raw["id"] in by_id:
                problems.append(
                    RowProblem(
                        where,
                        "id",
                        f"duplicate id {raw['id']!r} (also in {by_id[raw['id']]['_where']})",
                    )
                )
                continue
            by_id[raw["id"]] = {**raw, "_where": where}
            raw = by_id[raw["id"]]
        service_records.append((where, raw))
    _attach(areas, by_id, problems, lambda raw, row: _add_area(raw, row))
    _attach(
        sites,
        by_id,
        problems,
        lambda raw, row: raw["sites"].append(
            {
                "id": _site_id(row),
                "name": row.get("name"),
                "postcode": row.get("postcode"),
                "latitude": row.get("latitude"),
                "longitude": row.get("longitude"),
                "area": row.get("area"),
                "confidential": row.get("confidential"),
            }
        ),
    )
    _attach(
        contracts,
        by_id,
        problems,
        lambda raw, row: raw["contracts"].append(
            {
                "id": _text(row.get("contract_id")),
                "funding_status": row.get("funding_status"),
                "commissioner": row.get("commissioner"),
                "reference": row.get("reference"),
                "annual_value_gbp": row.get("annual_value_gbp"),
                "start_date": row.get("start_date"),
                "end_date": row.get("end_date"),
            }
        ),
    )
    org_ids: dict[str, str] = {}
    org_records = []
    for where, row in orgs:
        raw = {c: row.get(c) for c in ORG_COLUMNS}
        raw["id"] = _text(raw["id"])
        for key in ("phone", "charity_number"):
            raw[key] = _text(raw[key])
        if raw["id"] in org_ids:
            problems.append(
                RowProblem(
                    where, "id", f"duplicate id {raw['id']!r} (also in {org_ids[raw['id']]})"
                )
            )
            continue
        if raw["id"]:
            org_ids[raw["id"]] = where
        org_records.append((where, raw))
    if problems:
        raise ValidationError(problems, heading=f"{filename}: nothing was imported")
    for _, raw in service_records:
        raw.pop("_where", None)
    return ParsedWorkbook(org_records, service_records)


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip() or None


def _site_id(row: dict) -> str | None:
    return _text(row.get("site_id"))


def _add_area(raw: dict, row: dict) -> None:
    if row.get("capacity_share") is not None:
        raw["area_capacity"][row.get("area")] = row.get("capacity_share")
    else:
        raw["areas"].append(row.get("area") or "")


def _attach(rows, by_id: dict[str, dict], problems: list[RowProblem], add) -> None:
    for where, row in rows:
        sid = _text(row.get("service_id"))
        if sid is None:
            problems.append(RowProblem(where, "service_id", "is required"))
        elif sid not in by_id:
            problems.append(
                RowProblem(where, "service_id", f"no service with id {sid!r} in the Services sheet")
            )
        else:
            add(by_id[sid], row)


def problems_workbook(problems: Sequence[object]) -> bytes:
    """The import's error report as a workbook: one row per problem."""
    wb = Workbook()
    wb.remove(wb.active)
    rows = []
    for p in problems:
        where = getattr(p, "where", "")
        sheet, _, row = where.partition(" row ")
        rows.append(
            [
                sheet,
                int(row) if row.isdigit() else None,
                getattr(p, "field", ""),
                getattr(p, "message", str(p)),
            ]
        )
    ws = _write_sheet(wb, "Problems", ["sheet", "row", "column", "problem"], rows)
    ws.column_dimensions["D"].width = 100
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
