"""Issue 12: no page shows a vocabulary code where a label exists. Every page is walked in
AppTest as the public, a provider and a commissioner; everything a person reads (titles,
text, messages, metric labels, table headers and cells, and the options of every filter and
form field) is compared against the vocabularies, the flag kinds and the area codes."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from planner.coverage.text import FLAG_KINDS, FLAG_WORDS
from planner.registry.auth import Actor
from planner.vocab import load_vocabularies
from tests.test_app_pages import CAROL

PAGES = [
    "overview",
    "demand",
    "gaps",
    "find_support",
    "data",
    "services",
    "journey",
    "access",
    "account",
    "plan",
    "exports",
    "admin",
]
FIELD_NAMES = (
    "area_code",
    "area_name",
    "need_label",
    "tier_label",
    "period_start",
    "period_end",
    "years_averaged",
    "service_ids",
    "capacity_per_year",
    "organisation_id",
    "ratio_before",
    "ratio_after",
)
GSS = re.compile(r"\b[EWSN]\d{8}\b")


def codes() -> dict[str, str]:
    """Every code a person should never read, with what it should read instead."""
    vocab = load_vocabularies()
    found = {
        key: label
        for values in vocab.lists.values()
        for key, label in values.items()
        if "_" in key and key != label
    }
    # flag kinds that are not plain words ("duplication" and "overlap" are)
    found.update({kind: FLAG_WORDS[kind] for kind in FLAG_KINDS if "_" in kind})
    found.update({name: "a heading in words" for name in FIELD_NAMES})
    found.update({"add_lot": "lot added"})  # a history action
    return found


def visible_text(at: AppTest) -> list[tuple[str, str]]:
    """(where, text) for everything a person reads on the page."""
    out: list[tuple[str, str]] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning"):
        out += [(kind, str(e.value)) for e in at.get(kind)]
    out += [("error", str(e.value)) for e in at.error]
    out += [("success", str(e.value)) for e in at.success]
    for m in at.metric:
        out += [("metric", str(m.label)), ("metric", str(m.value))]
    for widget in ("selectbox", "multiselect", "radio"):
        for w in at.get(widget):
            out.append((f"{widget} label", str(w.label)))
            out += [(f"{widget} {w.label!r} option", str(o)) for o in w.options]
    for w in at.get("text_input") + at.get("number_input") + at.get("checkbox"):
        out.append(("field label", str(w.label)))
    for b in at.button:
        out.append(("button", str(b.label)))
    for frame in at.dataframe:
        value = frame.value
        if isinstance(value, pd.DataFrame):
            out += [("table heading", str(c)) for c in value.columns]
            for column in value.columns:
                if not pd.api.types.is_numeric_dtype(value[column]):
                    out += [
                        (f"table cell ({column})", str(v))
                        for v in value[column].dropna().unique()[:400]
                    ]
    return out


def offending(texts: list[tuple[str, str]]) -> list[str]:
    known = codes()
    pattern = re.compile(r"(?<![\w/.-])(" + "|".join(map(re.escape, known)) + r")(?![\w/.-])")
    bad = []
    for where, shown in texts:
        text = shown.replace("\\", "")  # Markdown escapes (pre\_trial is read as pre_trial)
        for match in pattern.finditer(text):
            bad.append(
                f"{where}: {match.group()!r} (say {known[match.group()]!r}) in {text[:80]!r}"
            )
        if GSS.search(text):
            bad.append(f"{where}: an area code in {text[:80]!r}")
    return sorted(set(bad))


@pytest.fixture(scope="module")
def busy(world):
    """The world with something on every page: a plan with a lot, an account request, a
    submission waiting and one returned with a note."""
    from planner.registry import plan_store
    from tests.registry_helpers import service_raw

    registry = world["registry"]
    plan = plan_store.create_plan(registry, CAROL, "Winter plan")
    plan_store.add_lot(
        registry,
        CAROL,
        plan["id"],
        {
            "name": "Croydon road crash casework",
            "needs": ["road_harm"],
            "service_type": "road_crash_casework",
            "areas": ["Croydon"],
            "capacity_per_year": 200,
            "annual_value_gbp": 90000,
            "stages": ["post_trial", "long_term"],
        },
    )
    registry.request_account(
        {
            "organisation_name": "Sutton Women's Aid",
            "contact_name": "Ada",
            "email": "ada@example.org",
            "password": "a long passphrase",
        }
    )
    kim = Actor("kim", "provider", world["kestrel"])
    for ref in ("words-1", "words-2"):
        made = registry.create_service(
            kim,
            service_raw(
                world["kestrel"],
                ref,
                name=f"Kestrel hate crime advocacy {ref}",
                service_type="hate_crime_advocacy",
                needs=["hate_crime"],
                stages=["pre_trial", "post_trial"],
            ),
        )
    registry.return_service(CAROL, made["id"], "Add your opening hours.")
    return world


@pytest.fixture
def walk(busy, app):
    """A page opened as someone (or no one) in the busy world."""
    return app


def test_the_checker_finds_codes():
    """The checker itself: a code, a field name and an area code are caught; words are not."""
    assert offending([("x", "Needs: domestic_abuse")])
    assert offending([("x", "area_name")])
    assert offending([("x", "Croydon (E09000008)")])
    assert offending([("x", "no_provision")])
    assert offending([("x", "stages: pre\\_trial, trial")])  # escaped for Markdown
    assert not offending([("x", "Domestic abuse in Croydon: no provision at all")])
    assert not offending([("x", "https://example.org/domestic_abuse")])


@pytest.mark.slow  # every page three times (36 page runs): make test and CI run it
@pytest.mark.parametrize("page", PAGES)
def test_no_page_shows_a_code_where_a_label_exists(walk, world, page):
    kestrel = world["kestrel"]
    problems = []
    for actor in (None, Actor("kim", "provider", kestrel), CAROL):
        at = walk(page, actor)
        problems += [
            f"{actor.role if actor else 'public'}: {p}" for p in offending(visible_text(at))
        ]
    assert not problems, "\n".join(problems)
