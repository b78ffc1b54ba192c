"""The Excel registration layout: sheets, columns and their help, shared by the template and
registry export (``template.py``) and the import of a filled file (``workbook.py``), so an
exported registry imports again unchanged. Columns derive from :mod:`planner.schema`."""

from __future__ import annotations

from planner.errors import PlannerError
from planner.schema import CONTRACT_FIELDS, CONTROLLED_LISTS, SERVICE_FIELDS
from planner.vocab import Vocabularies

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_ROWS = 25_000
"""Rows read from one sheet at the most (a national directory is about 20,000 services)."""
MAX_EXTRA_COLUMNS = 50
EXCEL_CELL_LIMIT = 32_767
TEMPLATE_ROWS = 500
YES, NO = "yes", "no"

ORG_COLUMNS = ["id", "name", "description", "website", "email", "phone", "charity_number"]
SERVICE_COLUMNS = ["id", *SERVICE_FIELDS]
MULTI_FIELDS = list(CONTROLLED_LISTS)
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
CONTRACT_COLUMNS = ["service_id", "contract_id", *CONTRACT_FIELDS[1:]]
VOCAB_OF_MULTI = CONTROLLED_LISTS


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
    "scope": "local, sub_region, area_set (the whole area set) or national: a national or "
    "area-wide service counts in every area; give the capacity it offers this area set",
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
