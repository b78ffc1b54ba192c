"""Issue 15, text: the validator's length limits are what binds (identical on SQLite and
PostgreSQL, whose columns would otherwise refuse with a traceback), links a person may click
on Find support are web addresses and nothing else, and e-mail addresses are addresses."""

from __future__ import annotations

import pytest
from sqlalchemy import String

from planner.registry import models
from planner.registry.auth import SYSTEM
from planner.registry.checks import MAX_TEXT
from planner.registry.validation import ValidationError
from tests.registry_helpers import org, service_raw


def at_length(field: str, n: int) -> str:
    """A valid value of ``field`` exactly ``n`` characters long."""
    if field == "website":
        return "https://example.org/" + "p" * (n - 20)
    if field == "email":
        return "a" * (n - 12) + "@example.org"
    return ("Refuge support " * (n // 15 + 1))[:n].strip().ljust(n, "x")


SERVICE_TEXT = ["name", "description", "hours", "website", "email", "phone"]


def test_every_limit_fits_its_column():
    """Each text limit of the validator is no longer than every column of that name, so the
    database never meets a value the validator let through."""
    for model in (models.Service, models.Organisation, models.Site, models.Contract):
        for column in model.__table__.columns:
            if isinstance(column.type, String) and column.name in MAX_TEXT:
                assert MAX_TEXT[column.name] <= (column.type.length or 10**9), (model, column)


@pytest.mark.parametrize("field", SERVICE_TEXT)
def test_text_one_over_the_limit_is_refused_the_same_on_both_databases(registry, field):
    org(registry, "org-a")
    limit = MAX_TEXT[field]
    with pytest.raises(ValidationError) as caught:
        registry.create_service(SYSTEM, service_raw(**{field: at_length(field, limit + 1)}))
    assert any(
        p.field == field and f"is {limit + 1:,} characters long; at most {limit:,}" in p.message
        for p in caught.value.problems
    ), caught.value.problems
    assert registry.services(statuses=None, actor=SYSTEM) == []


@pytest.mark.parametrize("field", SERVICE_TEXT)
def test_text_at_the_limit_is_stored_whole(registry, field):
    org(registry, "org-a")
    value = at_length(field, MAX_TEXT[field])
    saved = registry.create_service(SYSTEM, service_raw(**{field: value}))
    assert registry.get_service(saved["id"], actor=SYSTEM)[field] == value


@pytest.mark.parametrize(
    ("field", "key"),
    [
        ("name", "name"),
        ("commissioner", "commissioner"),
        ("reference", "reference"),
    ],
)
def test_child_text_over_the_limit_names_the_child(registry, field, key):
    org(registry, "org-a")
    raw = service_raw()
    where = "sites" if field == "name" else "contracts"
    raw[where][0][key] = "x" * (MAX_TEXT[field] + 1)
    with pytest.raises(ValidationError) as caught:
        registry.create_service(SYSTEM, raw)
    assert any(p.field == f"{where}[1].{key}" for p in caught.value.problems), caught.value
    assert registry.services(statuses=None, actor=SYSTEM) == []


NOT_A_WEBSITE = [
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "ftp://example.org/file",
    "www.example.org",
    "http//example.org",
    "https://",
    "https:// example.org",
    "//evil.example/phish",
]
NOT_AN_EMAIL = [
    "not an address",
    "a@b",
    "@example.org",
    "someone@",
    "two words@example.org",
    "a@b@example.org",
    "mailto:someone@example.org?subject=x y",
]
EXPECTED = {
    "website": "expected a web address starting http:// or https://",
    "email": "expected an email address",
}


@pytest.mark.parametrize(
    ("field", "value"),
    [("website", v) for v in NOT_A_WEBSITE] + [("email", v) for v in NOT_AN_EMAIL],
)
def test_a_link_a_person_may_click_is_an_address_and_nothing_else(registry, field, value):
    """Find support shows the website and e-mail as links: a script, a file or a phrase
    there would be a link a person looking for help may click."""
    org(registry, "org-a")
    with pytest.raises(ValidationError) as caught:
        registry.create_service(SYSTEM, service_raw(**{field: value}))
    assert any(p.field == field and EXPECTED[field] in p.message for p in caught.value.problems), (
        caught.value.problems
    )
    assert registry.services(statuses=None, actor=SYSTEM) == []
