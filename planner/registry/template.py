"""Writing the Excel registration template, the registry export in the same layout, and the
problems report of a failed import."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from planner.areas import AreaSet
from planner.exports.xlsx import keep_as_text, safe_cell_value
from planner.registry.workbook_layout import (
    AREA_COLUMNS,
    COLUMN_HELP,
    CONTRACT_COLUMNS,
    NO,
    ORG_COLUMNS,
    SITE_COLUMNS,
    TEMPLATE_ROWS,
    VOCAB_OF_MULTI,
    YES,
    service_columns,
)
from planner.vocab import Vocabularies

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
    keep_as_text(ws, min_row=2)
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
    wb: Workbook,
    vocab: Vocabularies,
    area_set: AreaSet,
    *,
    title: str,
    demo: bool,
    own: dict | None = None,
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
    if own is not None:
        lines.insert(
            2,
            (
                "Your organisation",
                f"{own['name']} is filled in on the Organisations sheet (you may correct its "
                "details there). Leave organisation_id blank on the Services sheet: your "
                "services are registered for your organisation.",
            ),
        )
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
    own_organisation: dict | None = None,
) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    _instructions(wb, vocab, area_set, title=title, demo=demo, own=own_organisation)
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
    from planner.coverage.inputs import public_site

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


def template_bytes(
    vocab: Vocabularies, area_set: AreaSet, organisation: dict | None = None
) -> bytes:
    """An empty registration template with drop-down lists and instructions; with
    ``organisation`` (a provider's own), its row is filled in and its services need no
    organisation id (a blank one is the provider's organisation)."""
    title = "Victim services registration template"
    if organisation is not None:
        title += f" for {organisation['name']}"
    return _workbook(
        vocab,
        area_set,
        [],
        [organisation] if organisation is not None else [],
        title=title,
        demo=False,
        own_organisation=organisation,
    )


def export_bytes(
    vocab: Vocabularies, area_set: AreaSet, records: Sequence[dict], organisations: Sequence[dict]
) -> bytes:
    """The registry in the template's layout (confidential sites only as their area)."""
    demo = any(r.get("is_demo") for r in records)
    return _workbook(
        vocab, area_set, records, organisations, title="Victim services registry export", demo=demo
    )


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
