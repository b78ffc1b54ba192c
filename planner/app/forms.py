"""The service form and detail view: Streamlit widgets around the registry's validation."""

from __future__ import annotations

import contextlib
import hashlib
import json
import time

import pandas as pd
import streamlit as st

from planner import words
from planner.app.components import md
from planner.coverage.inputs import public_site
from planner.errors import PlannerError
from planner.registry.validation import ValidationError

SITE_COLUMNS = ["id", "name", "postcode", "area", "latitude", "longitude", "confidential"]


def service_detail(record: dict, areas, vocab, *, public: bool = False) -> None:
    """The whole record in words. ``public``: confidential sites only as their borough."""
    name, organisation = md(record["name"]), md(record["organisation_name"])
    st.markdown(f"**{name}** · {organisation} · {words.status(record['status'])}")
    if record.get("review_note") and record["status"] != "approved":
        st.warning(f"Returned by a commissioner with this note: {md(record['review_note'])}")
    lines = [
        ("Service type", vocab.label("service_types", record["service_type"] or "")),
        ("Scope", vocab.label("scopes", record.get("scope") or "local")),
        (
            "Boroughs",
            "every borough"
            if record["all_areas"]
            else ", ".join(areas.name_of(a["area_code"]) for a in record["areas"]) or "—",
        ),
    ]
    for field in ("needs", "stages", "specialisms", "channels", "age_groups", "languages"):
        if record.get(field):
            lines.append(
                (words.FIELDS[field], words.value_text(field, record[field], vocab, areas))
            )
    lines += [
        ("Referral route", vocab.label("referral_routes", record.get("referral_route") or "")),
        ("Without a police report", "yes" if record.get("without_police_report") else "no"),
        ("People supported a year", words.whole(record.get("capacity_per_year"))),
    ]
    if record.get("places"):
        lines.append(("Family places", words.whole(record["places"])))
    for field in ("phone", "email", "website", "hours", "description"):
        if record.get(field):
            lines.append((words.FIELDS[field], record[field]))
    if record.get("contracts"):
        lines.append(
            ("Contracts", words.value_text("contracts", record["contracts"], vocab, areas))
        )
    st.markdown("\n".join(f"- **{label}:** {md(str(value))}" for label, value in lines))
    for site in record["sites"]:
        shown = public_site(site) if public or site["confidential"] else site
        where = areas.name_of(site["area_code"])
        st.write(
            f"Site: {md(shown['name'] or 'unnamed')}"
            + (f", {md(shown['postcode'])}" if shown.get("postcode") and not public else "")
            + f" ({where})"
            + (" · confidential: shown only as its borough" if site["confidential"] else "")
        )


def _error(problems: dict, field: str) -> None:
    for message in problems.get(field, []):
        st.error(message, icon="⚠️")


def _choice(vocab, label: str, vocab_list: str, current: str | None, key: str) -> str:
    """A selectbox of a vocabulary's keys shown by their labels."""
    keys = vocab.keys(vocab_list)
    return st.selectbox(
        label,
        keys,
        index=keys.index(current) if current in keys else 0,
        format_func=lambda k: vocab.label(vocab_list, k),
        key=key,
    )


def _choices(vocab, label: str, vocab_list: str, current: list | None, key: str) -> list[str]:
    """A multiselect of a vocabulary's keys shown by their labels."""
    return st.multiselect(
        label,
        vocab.keys(vocab_list),
        default=current or [],
        format_func=lambda k: vocab.label(vocab_list, k),
        key=key,
    )


def _sites_frame(current: dict, areas) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "id": s["id"],
                "name": s["name"],
                "postcode": s["postcode"],
                "area": areas.name_of(s["area_code"]),
                "latitude": s["latitude"],
                "longitude": s["longitude"],
                "confidential": bool(s["confidential"]),
            }
            for s in current.get("sites", [])
        ],
        columns=SITE_COLUMNS,
    ).astype({"latitude": "float64", "longitude": "float64", "confidential": "bool"})


def _sites_from(frame: pd.DataFrame) -> list[dict]:
    sites = []
    for row in frame.to_dict("records"):
        row = {k: (None if v is None or v != v or v == "" else v) for k, v in row.items()}
        if not any(row.get(k) for k in ("name", "postcode", "area", "latitude")):
            continue  # an empty row the editor left
        sites.append({**row, "confidential": bool(row.get("confidential"))})
    return sites


def _service_fields(vocab, areas, c: dict, k: str, problems: dict) -> dict:
    """What the service is, who it is for and where: the form's first part."""
    name = st.text_input("Service name", c.get("name", ""), key=f"name_{k}")
    _error(problems, "name")
    description = st.text_area(
        "What it offers (optional)", c.get("description") or "", key=f"desc_{k}"
    )
    a, b = st.columns(2)
    with a:
        service_type = _choice(
            vocab, "Service type", "service_types", c.get("service_type"), f"type_{k}"
        )
        _error(problems, "service_type")
    with b:
        route = _choice(
            vocab, "Referral route", "referral_routes", c.get("referral_route"), f"route_{k}"
        )
    no_report = st.checkbox(
        "People can use it without a police report",
        value=bool(c.get("without_police_report", True)),
        key=f"noreport_{k}",
    )
    _error(problems, "without_police_report")
    needs = _choices(vocab, "Needs", "needs", c.get("needs"), f"needs_{k}")
    _error(problems, "needs")
    stages = _choices(vocab, "Journey stages", "stages", c.get("stages"), f"stages_{k}")
    scope = _choice(vocab, "Scope", "scopes", c.get("scope") or "local", f"scope_{k}")
    names = [x.name for x in areas.areas]
    chosen = [areas.name_of(x["area_code"]) for x in c.get("areas", [])]
    covered = st.multiselect(
        "Boroughs covered",
        names,
        default=chosen,
        help="Not needed for a national service or one for the whole area set: it covers "
        "every borough (give the capacity it offers here).",
        key=f"areas_{k}",
    )
    _error(problems, "areas")
    capacity = st.number_input(
        "Capacity (people supported a year)",
        min_value=0,
        step=10,
        value=int(c.get("capacity_per_year") or 0),
        key=f"capacity_{k}",
    )
    _error(problems, "capacity_per_year")
    channels = _choices(vocab, "Channels", "channels", c.get("channels"), f"channels_{k}")
    return {
        "name": name,
        "description": description,
        "service_type": service_type,
        "referral_route": route,
        "without_police_report": no_report,
        "needs": needs,
        "stages": stages,
        "scope": scope,
        "areas": covered,
        "capacity_per_year": capacity or None,
        "channels": channels,
    }


def _contact_fields(c: dict, k: str, problems: dict) -> dict:
    st.markdown("**How people get in touch** (shown on Find support)")
    a, b = st.columns(2)
    contact = {
        "phone": a.text_input("Phone", c.get("phone") or "", key=f"phone_{k}"),
        "email": b.text_input("E-mail", c.get("email") or "", key=f"email_{k}"),
        "website": a.text_input(
            "Website", c.get("website") or "", placeholder="https://", key=f"web_{k}"
        ),
        "hours": b.text_input(
            "Opening hours", c.get("hours") or "", placeholder="Mon–Fri 9am–5pm", key=f"hours_{k}"
        ),
    }
    for field in contact:
        _error(problems, field)
    return contact


def _site_editor(c: dict, k: str, names: list[str], areas) -> pd.DataFrame:
    st.markdown(
        "**Sites** — where people are seen. Give the address and borough; coordinates are "
        "optional. Tick *confidential* for a refuge: it is then shown only as its borough."
    )
    return st.data_editor(
        _sites_frame(c, areas),
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        column_config={
            "id": None,
            "name": st.column_config.TextColumn("Address or name", max_chars=200),
            "postcode": st.column_config.TextColumn("Postcode", max_chars=10),
            "area": st.column_config.SelectboxColumn("Borough", options=names),
            "latitude": st.column_config.NumberColumn("Latitude", format="%.5f"),
            "longitude": st.column_config.NumberColumn("Longitude", format="%.5f"),
            "confidential": st.column_config.CheckboxColumn("Confidential"),
        },
        key=f"sites_{k}",
    )


def service_form(registry, who, current: dict | None) -> None:
    """Register a new service, or edit ``current``; problems appear beside their fields.

    The form's widgets are keyed by a counter that moves on after a save, so the form comes
    back empty, and a second press of the button on the old form does nothing; the same
    submission within a minute of being saved is not saved again."""
    vocab, areas = registry.context.vocab, registry.context.area_set
    st.subheader("Edit a service" if current else "Register a service")
    problems: dict = st.session_state.get("form_problems", {})
    orgs = registry.organisations()
    if who.role == "provider":
        orgs = orgs[orgs["id"] == who.organisation_id].reset_index(drop=True)
    if orgs.empty:
        st.info("No organisation is registered yet: a commissioner adds organisations.")
        return
    if saved := st.session_state.pop("form_saved", None):
        st.success(saved)
    show_duplicates()
    c = current or {}
    n = st.session_state.setdefault("service_form_n", 0)
    k = f"{c.get('id', 'new')}_{n}"
    with st.form(f"service_form_{k}"):
        org_names = orgs["name"].tolist()
        org_default = (orgs.index[orgs["id"] == c.get("organisation_id")].tolist() or [0])[0]
        if len(org_names) == 1:
            org = org_names[0]
            st.write(f"Organisation: **{md(org)}**")
        else:
            org = st.selectbox(
                "Organisation",
                org_names,
                index=org_names.index(orgs.loc[org_default, "name"]),
                key=f"org_{k}",
            )
        fields = _service_fields(vocab, areas, c, k, problems)
        contact = _contact_fields(c, k, problems)
        sites = _site_editor(c, k, [x.name for x in areas.areas], areas)
        _error(problems, "sites")
        confirm = False
        if st.session_state.get("form_duplicates"):
            confirm = st.checkbox(
                "It is a different service: register it anyway", key=f"confirm_{k}"
            )
        submitted = st.form_submit_button("Save" if current else "Register")
    if not submitted:
        return
    raw = {
        **(_raw_from(current) if current else {}),
        "organisation_id": orgs.loc[orgs["name"] == org, "id"].iloc[0],
        **fields,
        **contact,
        "sites": _sites_from(sites),
    }
    if _saved_just_now(raw):
        st.info("This service was saved a moment ago; it was not saved twice.")
        return
    if not current and not confirm and _looks_registered(registry, raw, areas):
        st.rerun()
    _save(registry, who, current, raw)


def _fingerprint(raw: dict) -> str:
    return hashlib.sha256(json.dumps(raw, sort_keys=True, default=str).encode()).hexdigest()


def _saved_just_now(raw: dict) -> bool:
    last = st.session_state.get("form_last_saved")
    return bool(last) and last[0] == _fingerprint(raw) and time.monotonic() - last[1] < 60


def _looks_registered(registry, raw: dict, areas) -> bool:
    """Keep the services a new one may duplicate for the form to warn about; True if any."""
    codes = []
    for name in raw["areas"]:
        with contextlib.suppress(PlannerError):
            codes.append({"area_code": areas.resolve(name)})
    candidate = {
        "id": None,
        "organisation_id": raw["organisation_id"],
        "name": raw["name"] or "",
        "needs": raw["needs"],
        "areas": codes,
        "all_areas": raw["scope"] in ("area_set", "national"),
    }
    found = registry.duplicates_of(candidate) if candidate["name"] else []
    st.session_state["form_duplicates"] = [
        f"{d['name']} ({d['organisation_name']}): {', '.join(d['reasons'])}" for d in found
    ]
    return bool(found)


def show_duplicates() -> None:
    for line in st.session_state.get("form_duplicates") or []:
        st.warning(f"Looks like a service already registered: {md(line)}.")


def _save(registry, who, current: dict | None, raw: dict) -> None:
    """Create or update; on problems keep them for the fields and rerun the form."""
    try:
        if current:
            saved = registry.update_service(
                who, current["id"], raw, expected_version=current["version"]
            )
        else:
            saved = registry.create_service(who, raw)
    except ValidationError as exc:
        grouped: dict = {}
        for p in exc.problems:
            grouped.setdefault(p.field.split("[")[0].split(".")[0], []).append(
                _problem_words(p.field, p.message)
            )
        st.session_state["form_problems"] = grouped
        st.rerun()
    except PlannerError as exc:
        st.error(str(exc))
        return
    st.session_state["form_problems"] = {}
    st.session_state["form_duplicates"] = []
    st.session_state["edit_service"] = None
    st.session_state["form_last_saved"] = (_fingerprint(raw), time.monotonic())
    st.session_state["service_form_n"] += 1
    st.session_state["form_saved"] = (
        f"Saved {md(saved['name'])}: {words.status(saved['status']).lower()}."
    )
    st.cache_data.clear()
    st.rerun()


def _problem_words(field: str, message: str) -> str:
    """A validation problem with the field named in words (sites[2].postcode → Site 2,
    postcode)."""
    head, _, rest = field.partition(".")
    base, _, index = head.partition("[")
    label = words.FIELDS.get(base, base.replace("_", " "))
    if index:
        label = f"{label.rstrip('s')} {index.rstrip(']')}"
    if rest:
        label += f", {rest.replace('_', ' ')}"
    return f"{label}: {message}"


def _raw_from(record: dict) -> dict:
    from planner.registry.records import snapshot_to_raw

    raw = snapshot_to_raw(record)
    raw.pop("status", None)
    return raw
