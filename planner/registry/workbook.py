"""Reading a filled registration workbook. Every upload is treated as hostile: size, zip
integrity, macros, formulas and cell lengths are checked before any value is read, and every
problem is reported with its sheet, row and field."""

from __future__ import annotations

import io
import itertools
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass

from openpyxl import load_workbook

from planner.registry.base import RowProblem
from planner.registry.validation import ValidationError
from planner.registry.workbook_layout import (
    AREA_COLUMNS,
    CONTRACT_COLUMNS,
    EXCEL_CELL_LIMIT,
    MAX_EXTRA_COLUMNS,
    MAX_ROWS,
    MAX_UNZIPPED_BYTES,
    MAX_UPLOAD_BYTES,
    MULTI_FIELDS,
    ORG_COLUMNS,
    SERVICE_COLUMNS,
    SITE_COLUMNS,
    VOCAB_OF_MULTI,
    WorkbookError,
    service_columns,
)
from planner.vocab import Vocabularies

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
        _check_entries(archive, filename)
        _read_bounded(archive, filename)
    except (
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        ValueError,
        OSError,
        NotImplementedError,
    ) as exc:
        raise WorkbookError(
            f"{filename} is damaged or incomplete ({exc}); download or save it again."
        ) from exc
    content_types = archive.read("[Content_Types].xml") if "[Content_Types].xml" in names else b""
    if any(n.lower().endswith("vbaproject.bin") for n in names) or b"macroEnabled" in content_types:
        raise WorkbookError(
            f"{filename} contains macros (.xlsm). Macros are never accepted: save it as "
            "'Excel Workbook (.xlsx)'."
        )
    if "xl/workbook.xml" not in names:
        raise WorkbookError(f"{filename} is a zip file but not an Excel workbook (.xlsx).")


def _too_large(filename: str) -> WorkbookError:
    return WorkbookError(
        f"{filename} unpacks to more than {MAX_UNZIPPED_BYTES // 2**20} MB: too large to read. "
        "Split the registry into several files."
    )


def _check_entries(archive: zipfile.ZipFile, filename: str) -> None:
    """Before anything is unpacked: the declared sizes add up to less than the limit, and no
    two entries share bytes (an overlapping-entry zip bomb)."""
    infos = sorted(archive.infolist(), key=lambda i: i.header_offset)
    if sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES:
        raise _too_large(filename)
    for this, following in itertools.pairwise(infos):
        end = this.header_offset + 30 + len(this.orig_filename.encode()) + this.compress_size
        if following.header_offset < end:
            raise WorkbookError(
                f"{filename} is not a normal workbook: its zip entries overlap (a way to build "
                "a 'zip bomb'). Save it again from Excel or LibreOffice."
            )


def _read_bounded(archive: zipfile.ZipFile, filename: str) -> None:
    """Unpack every entry in chunks, stopping as soon as the total passes the limit (declared
    sizes can lie), and check each entry's checksum on the way."""
    total = 0
    for info in archive.infolist():
        with archive.open(info) as member:
            while chunk := member.read(1 << 20):
                total += len(chunk)
                if total > MAX_UNZIPPED_BYTES:
                    raise _too_large(filename)


def _cell_problems(cell) -> str | None:
    if cell.data_type == "e":
        return f"holds the spreadsheet error {cell.value}; type the value itself"
    if cell.data_type == "f":
        return f"contains a formula ({str(cell.value)[:40]}); type the value itself"
    if isinstance(cell.value, str) and len(cell.value) > EXCEL_CELL_LIMIT:
        return f"is {len(cell.value):,} characters long; a cell holds at most {EXCEL_CELL_LIMIT:,}"
    return None


class _SharedStrings(list):
    """A workbook's shared strings that refuse a negative index: openpyxl reads a cell
    ``<c t="s"><v>-1</v></c>`` as Python's ``strings[-1]``, the last string, silently."""

    def __getitem__(self, index):
        if isinstance(index, int) and index < 0:
            raise IndexError(f"the shared string {index} does not exist")
        return super().__getitem__(index)


def _first_line(exc: Exception) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0][:200]


def _rows(wb, sheet: str, expected: Sequence[str], problems: list[RowProblem], reading: list):
    reading[0] = f"the sheet {sheet}"
    if sheet not in wb.sheetnames:
        problems.append(RowProblem(sheet, "(sheet)", "the sheet is missing; use the template"))
        return []
    ws = wb[sheet]
    if isinstance(getattr(ws, "_shared_strings", None), list):  # openpyxl's read-only sheet
        ws._shared_strings = _SharedStrings(ws._shared_strings)
    if hasattr(ws, "reset_dimensions"):
        ws.reset_dimensions()  # never trust the sheet's declared range (A1:XFD1048576)
    rows = ws.iter_rows(max_col=len(expected) + MAX_EXTRA_COLUMNS)
    try:
        reading[0] = f"{sheet} row 1"
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
    reading[0] = f"{sheet} row 2"  # the row being fetched, should fetching it fail
    for number, cells in enumerate(rows, start=2):
        where = f"{sheet} row {number}"
        if number > MAX_ROWS + 1:
            limit = f"more than {MAX_ROWS:,} rows: split the registry into several files"
            problems.append(RowProblem(where, "(rows)", limit))
            break
        values = _values(where, header, cells, problems)
        if any(v is not None for v in values.values()):
            out.append((where, values))
        reading[0] = f"{sheet} row {number + 1}"
    return out


def _values(where: str, header: list[str], cells, problems: list[RowProblem]) -> dict:
    """One row's cells by column name; formulas and over-long cells are problems."""
    values = {}
    for h, cell in zip(header, cells, strict=False):
        if not h:
            continue
        issue = _cell_problems(cell)
        if issue:
            problems.append(RowProblem(where, h, issue))
            continue
        value = cell.value
        if isinstance(value, str):
            value = value.strip() or None
        values[h] = value
    return values


def parse_workbook(
    data: bytes, vocab: Vocabularies, *, filename: str = "upload.xlsx"
) -> ParsedWorkbook:
    """Read a filled template into raw records (validated later by the registry)."""
    check_upload(data, filename=filename)
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many types for malformed parts
        raise WorkbookError(
            f"{filename} is damaged and cannot be read as an Excel workbook ({_first_line(exc)}). "
            "Open it in Excel or LibreOffice and save it again, or download it again."
        ) from exc
    problems: list[RowProblem] = []
    sheets = {
        "Organisations": ORG_COLUMNS,
        "Services": service_columns(vocab),
        "Service areas": AREA_COLUMNS,
        "Sites": SITE_COLUMNS,
        "Contracts": CONTRACT_COLUMNS,
    }
    reading = [""]  # the sheet and row being read, for the message if the file breaks there
    try:
        orgs, services, areas, sites, contracts = (
            _rows(wb, sheet, columns, problems, reading) for sheet, columns in sheets.items()
        )
    except Exception as exc:  # openpyxl raises many types for a damaged sheet: one message
        raise WorkbookError(
            f"{filename} is damaged: {reading[0]} cannot be read ({_first_line(exc)}). Open it "
            "in Excel or LibreOffice and save it again, or download it again."
        ) from exc
    finally:
        wb.close()
    service_records, by_id = _service_rows(services, vocab, problems)
    _attach(areas, by_id, problems, _add_area)
    _attach(sites, by_id, problems, lambda raw, row: raw["sites"].append(_site(row)))
    _attach(contracts, by_id, problems, lambda raw, row: raw["contracts"].append(_contract(row)))
    org_records = _organisation_rows(orgs, problems)
    if problems:
        raise ValidationError(problems, heading=f"{filename}: nothing was imported")
    for _, raw in service_records:
        raw.pop("_where", None)
    return ParsedWorkbook(org_records, service_records)


def _service_rows(services, vocab: Vocabularies, problems: list[RowProblem]):
    """Services rows as raw records (yes/blank columns → lists), and the records by id."""
    by_id: dict[str, dict] = {}
    records = []
    for where, row in services:
        raw = {c: row.get(c) for c in SERVICE_COLUMNS}
        raw["id"] = _text(raw["id"])
        raw["organisation_id"] = _text(raw["organisation_id"])
        for field in MULTI_FIELDS:
            raw[field] = _ticked(row, field, vocab.keys(VOCAB_OF_MULTI[field]), where, problems)
        raw["areas"], raw["area_capacity"], raw["sites"], raw["contracts"] = [], {}, [], []
        if raw["id"]:
            if raw["id"] in by_id:
                also = by_id[raw["id"]]["_where"]
                problems.append(
                    RowProblem(where, "id", f"duplicate id {raw['id']!r} (also in {also})")
                )
                continue
            by_id[raw["id"]] = {**raw, "_where": where}
            raw = by_id[raw["id"]]
        records.append((where, raw))
    return records, by_id


def _ticked(row: dict, field: str, keys, where: str, problems: list[RowProblem]) -> list[str]:
    """The keys whose ``field: key`` column says yes; anything but yes/no/blank is a problem."""
    chosen = []
    for key in keys:
        value = row.get(f"{field}: {key}")
        if value is None:
            continue
        word = str(value).strip().lower()
        if word in ("yes", "y", "true", "1", "x"):
            chosen.append(key)
        elif word not in ("no", "n", "false", "0"):
            problems.append(
                RowProblem(where, f"{field}: {key}", f"expected yes or blank, found {value!r}")
            )
    return chosen


def _organisation_rows(orgs, problems: list[RowProblem]) -> list[tuple[str, dict]]:
    org_ids: dict[str, str] = {}
    records = []
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
        records.append((where, raw))
    return records


def _site(row: dict) -> dict:
    return {
        "id": _site_id(row),
        "name": row.get("name"),
        "postcode": row.get("postcode"),
        "latitude": row.get("latitude"),
        "longitude": row.get("longitude"),
        "area": row.get("area"),
        "confidential": row.get("confidential"),
    }


def _contract(row: dict) -> dict:
    return {
        "id": _text(row.get("contract_id")),
        "funding_status": row.get("funding_status"),
        "commissioner": row.get("commissioner"),
        "reference": row.get("reference"),
        "annual_value_gbp": row.get("annual_value_gbp"),
        "start_date": row.get("start_date"),
        "end_date": row.get("end_date"),
    }


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
