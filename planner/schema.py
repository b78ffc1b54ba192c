"""The service record's shape, declared once.

Storage (``service_terms`` rows), validation, the Excel template, the analysis tables, Open
Referral UK taxonomies and the data-quality check all derive their field lists from here, so
adding a list field or a controlled vocabulary is one line.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ListField:
    """A field holding several values, stored as one ``service_terms`` row per value."""

    name: str
    """The key in a service record and the prefix of its template columns (``needs``)."""
    kind: str
    """The term kind in storage and in the analysis tables (``need``)."""
    vocabulary: str | None
    """The controlled list in ``data/vocabularies.toml``; None for free text (languages)."""


LIST_FIELDS: tuple[ListField, ...] = (
    ListField("needs", "need", "needs"),
    ListField("stages", "stage", "stages"),
    ListField("specialisms", "specialism", "specialisms"),
    ListField("channels", "channel", "channels"),
    ListField("age_groups", "age_group", "age_groups"),
    ListField("languages", "language", None),
    ListField("accreditations", "accreditation", "accreditations"),
)

CHOICE_FIELDS: dict[str, str] = {
    "service_type": "service_types",
    "referral_route": "referral_routes",
    "gender": "genders",
    "scope": "scopes",
}
"""Single-valued controlled fields: record key → vocabulary."""

SERVICE_FIELDS: tuple[str, ...] = (
    "organisation_id",
    "name",
    "description",
    "service_type",
    "referral_route",
    "without_police_report",
    "gender",
    "all_areas",
    "scope",
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
)
"""A service's own fields in the order a person fills them in (the template's Services sheet,
after ``id``). The controlled list fields follow as one yes/no column per value."""

ORG_FIELDS: tuple[str, ...] = (
    "name",
    "description",
    "website",
    "email",
    "phone",
    "charity_number",
    "is_demo",
)

SITE_FIELDS: tuple[str, ...] = (
    "id",
    "name",
    "postcode",
    "latitude",
    "longitude",
    "area_code",
    "confidential",
)
CONTRACT_FIELDS: tuple[str, ...] = (
    "id",
    "funding_status",
    "commissioner",
    "reference",
    "annual_value_gbp",
    "start_date",
    "end_date",
)

TERM_FIELDS: dict[str, str] = {f.name: f.kind for f in LIST_FIELDS}
"""Record key → term kind, for every list field."""

CONTROLLED_LISTS: dict[str, str] = {f.name: f.vocabulary for f in LIST_FIELDS if f.vocabulary}
"""Record key → vocabulary, for the list fields whose values come from a controlled list."""

SCALARS: tuple[str, ...] = (*(f for f in SERVICE_FIELDS if f not in TERM_FIELDS), "is_demo")
"""The single-valued columns of the ``services`` table that a record carries."""

TAXONOMIES: dict[str, str] = {**CHOICE_FIELDS, **CONTROLLED_LISTS}
"""Record key → vocabulary, for every controlled field: Open Referral UK writes each as a
taxonomy of the project's own."""


SCOPE_WORDS: dict[str, str] = {
    "local": "local service",
    "sub_region": "sub-regional service",
    "area_set": "service for the whole area set",
    "national": "national service",
}
"""How a list says a service's scope (BRIEF §4.1: wider services are stated as such)."""


def vocabulary_keys(vocab) -> dict[str, list[str]]:
    """Term kind → accepted values, for the controlled list fields (the data-quality check)."""
    return {f.kind: vocab.keys(f.vocabulary) for f in LIST_FIELDS if f.vocabulary}
