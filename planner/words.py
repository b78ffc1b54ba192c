"""What people read instead of codes: field names, statuses, history actions, and a service
record's values in words (labels from the vocabularies, boroughs by name, numbers rounded).
Codes stay in machine exports only."""

from __future__ import annotations

import re

import pandas as pd

from planner.schema import CHOICE_FIELDS, CONTROLLED_LISTS

FIELDS = {
    "organisation_id": "Organisation",
    "name": "Name",
    "description": "What it offers",
    "service_type": "Service type",
    "referral_route": "Referral route",
    "without_police_report": "Without a police report",
    "gender": "Who it is for",
    "all_areas": "Covers every borough",
    "scope": "Scope",
    "capacity_per_year": "People supported a year",
    "places": "Family places",
    "staff_fte": "Staff (full-time equivalent)",
    "hours": "Opening hours",
    "website": "Website",
    "phone": "Phone",
    "email": "E-mail",
    "languages": "Languages",
    "supervision": "Supervision in place",
    "accredited_training": "Accredited training",
    "status": "Status",
    "needs": "Needs",
    "stages": "Journey stages",
    "specialisms": "Specialisms",
    "channels": "Channels",
    "age_groups": "Age groups",
    "accreditations": "Accreditations",
    "areas": "Boroughs",
    "sites": "Sites",
    "contracts": "Contracts",
    "is_demo": "Demonstration record",
}
STATUS = {
    "draft": "Draft",
    "submitted": "Waiting for approval",
    "approved": "Approved",
    "archived": "Archived",
    "pending": "Waiting",
    "accepted": "Accepted",
    "refused": "Refused",
}
ACTIONS = {
    "create": "created",
    "update": "changed",
    "import": "imported",
    "approve": "approved",
    "return": "returned with a note",
    "status": "status changed",
    "delete": "deleted",
    "restore": "restored",
    "accept": "accepted",
    "refuse": "refused",
    "add_lot": "lot added",
    "password": "password changed",
    "activate": "activated",
    "deactivate": "deactivated",
}


def action(key: str) -> str:
    """A history entry's action in words (an unknown one with its underscores as spaces)."""
    return ACTIONS.get(key, humanise(key).lower())


ENTITIES = {
    "service": "Service",
    "organisation": "Organisation",
    "user": "Account",
    "plan": "Plan",
    "request": "Account request",
}


def status(key: str | None) -> str:
    return STATUS.get(key or "", key or "")


def whole(value) -> str:
    """A count of people (or places) as a whole number with thousands separators."""
    if value is None or value != value:  # None or NaN
        return "not recorded"
    return f"{round(float(value)):,}"


def value_text(field: str, value, vocab, areas) -> str:
    """One field of a service record (a snapshot) in words."""
    if value is None or value == [] or value == "":
        return "—"
    if field in CONTROLLED_LISTS:
        return ", ".join(vocab.label(CONTROLLED_LISTS[field], v) for v in value)
    if field in CHOICE_FIELDS:
        return vocab.label(CHOICE_FIELDS[field], value)
    if field == "status":
        return status(value)
    if field == "languages":
        return ", ".join(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field in ("capacity_per_year", "places"):
        return whole(value)
    if field == "areas":
        return ", ".join(areas.name_of(a["area_code"]) for a in value)
    if field == "sites":
        return "; ".join(
            f"{s.get('name') or 'a site'} ({areas.name_of(s['area_code'])}"
            + (", confidential)" if s.get("confidential") else ")")
            for s in value
        )
    if field == "contracts":
        return "; ".join(
            f"{vocab.label('funding_statuses', c['funding_status'])}"
            + (f" by {c['commissioner']}" if c.get("commissioner") else "")
            + (
                f", £{float(c['annual_value_gbp']):,.0f} a year"
                if c.get("annual_value_gbp")
                else ""
            )
            + (f", to {c['end_date']}" if c.get("end_date") else "")
            for c in value
        )
    return str(value)


COMPARED = [f for f in FIELDS if f not in ("organisation_id", "status", "is_demo")]


def changes(before: dict | None, after: dict, vocab, areas) -> list[dict]:
    """The fields that differ between two snapshots, in words."""
    rows = []
    for field in COMPARED:
        old = (before or {}).get(field)
        new = after.get(field)
        if _normal(old) != _normal(new):
            rows.append(
                {
                    "What": FIELDS[field],
                    "Approved version": value_text(field, old, vocab, areas),
                    "Now": value_text(field, new, vocab, areas),
                }
            )
    return rows


def _normal(value):
    if value in (None, "", []):
        return None
    if isinstance(value, list) and value and isinstance(value[0], dict):
        # sites and contracts compared without their ids (an edit may give new ones)
        return sorted(repr(sorted((k, str(v)) for k, v in x.items() if k != "id")) for x in value)
    return value


def humanise(code: str) -> str:
    """A key with no label of its own in words: ``contract_end_window_months`` → "Contract
    end window months"."""
    text = str(code).replace("_", " ").replace(".", ": ")
    return text[:1].upper() + text[1:]


def assumption_rows(assumptions) -> pd.DataFrame:
    """The assumptions table (``Assumptions.table``) in words: what it is about and what it
    is, instead of section and key codes."""
    needs = assumptions.needs
    tiers = {(n, t): tier.label for n, spec in needs.items() for t, tier in spec.tiers.items()}
    table = assumptions.table()

    def about(section: str) -> str:
        kind, _, need = section.partition(": ")
        if need in needs:
            return needs[need].label
        return humanise(kind)

    def what(section: str, key: str) -> str:
        need = section.partition(": ")[2]
        head, _, part = key.partition(".")
        if (need, head) in tiers:
            return f"{tiers[(need, head)]}: {humanise(part).lower()}"
        if head == "weight" and part in needs:
            return f"Weight: {needs[part].label}"
        return humanise(key)

    return pd.DataFrame(
        {
            "About": [about(s) for s in table["section"]],
            "Assumption": [what(s, k) for s, k in zip(table["section"], table["key"], strict=True)],
            "Value": table["value"],
            "Low": table["low"],
            "High": table["high"],
            "Unit": table["unit"],
            "Source": table["source"],
            "Why": table["rationale"],
        }
    )


DETAIL_WORDS = {
    "single_provider": "one provider only",
    "contracts_ending": "contracts ending",
    "contract_ended": "contract ended",
}


class Labels:
    """Codes in words for exports: needs (from the assumptions), every vocabulary list, flag
    kinds and severities; a code with no label is humanised, never shown raw."""

    def __init__(self, vocab, assumptions) -> None:
        from planner.coverage.text import FLAG_WORDS, SEVERITY_WORDS

        self.lists = {name: dict(items) for name, items in vocab.lists.items()}
        self.lists["needs"] = {n: s.label for n, s in assumptions.needs.items()}
        self.lists["flags"] = dict(FLAG_WORDS)
        self.lists["severities"] = dict(SEVERITY_WORDS)
        self.kinds = {
            "need": "needs",
            "stage": "stages",
            "specialism": "specialisms",
            "service_type": "service_types",
            "age_group": "age_groups",
            "channel": "channels",
            "accreditation": "accreditations",
        }

    def of(self, list_name: str, key) -> str:
        """One code's label (a blank stays blank)."""
        if key is None or key != key or key == "":
            return ""
        return self.lists.get(list_name, {}).get(str(key)) or humanise(str(key))

    def many(self, list_name: str, keys, sep: str = ", ") -> str:
        """Several codes (a list, or text joined by ", " or "; ") as labels joined by ``sep``."""
        if isinstance(keys, str):
            keys = [k for k in re.split(r"[;,]\s*", keys) if k]
        return sep.join(self.of(list_name, k) for k in keys or [])

    def detail(self, text) -> str:
        """A flag's detail (codes such as ``specialism:lgbt_plus`` or stage keys, or a
        sentence) in words."""
        if not isinstance(text, str) or not text:
            return ""
        parts = []
        for token in re.split(r",\s*", text):
            kind, _, key = token.partition(":")
            if key and kind in self.kinds:
                parts.append(self.of(self.kinds[kind], key))
            elif token in DETAIL_WORDS:
                parts.append(DETAIL_WORDS[token])
            elif token in self.lists["stages"]:
                parts.append(self.lists["stages"][token])
            elif re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", token):
                parts.append(humanise(token).lower())
            else:
                parts.append(token)
        return ", ".join(parts)

    def codes(self) -> set[str]:
        """Every code these labels translate (for checks that no code reaches a reader)."""
        return {k for items in self.lists.values() for k in items}
