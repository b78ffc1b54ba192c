"""The service form and detail view: Streamlit widgets around the registry's validation."""

from __future__ import annotations

import streamlit as st

from planner.app.components import md
from planner.coverage.inputs import public_site
from planner.errors import PlannerError
from planner.registry.validation import ValidationError


def service_detail(record: dict, areas, vocab) -> None:
    name, organisation = md(record["name"]), md(record["organisation_name"])
    st.markdown(f"**{name}** · {organisation} · status {record['status']}")
    st.write(vocab.label("service_types", record["service_type"] or ""))
    st.write("Needs: " + ", ".join(vocab.label("needs", n) for n in record["needs"]))
    st.write("Stages: " + ", ".join(vocab.label("stages", s) for s in record["stages"]))
    covered = [areas.name_of(a["area_code"]) for a in record["areas"]]
    st.write("Scope: " + vocab.label("scopes", record.get("scope") or "local"))
    st.write("Areas: " + ("all" if record["all_areas"] else ", ".join(covered)))
    st.write(f"Capacity: {record['capacity_per_year'] or 'not recorded'} people a year")
    for site in map(public_site, record["sites"]):
        where = areas.name_of(site["area_code"])
        st.write(
            f"Site: {md(site['name'])} ({where})"
            + (" · confidential: shown only as its borough" if site["confidential"] else "")
        )


def _error(problems: dict, field: str) -> None:
    for message in problems.get(field, []):
        st.error(message, icon="⚠️")


def _choice(vocab, label: str, vocab_list: str, current: str | None) -> str:
    """A selectbox of a vocabulary's keys shown by their labels."""
    keys = vocab.keys(vocab_list)
    return st.selectbox(
        label,
        keys,
        index=keys.index(current) if current in keys else 0,
        format_func=lambda k: vocab.label(vocab_list, k),
    )


def _choices(vocab, label: str, vocab_list: str, current: list | None) -> list[str]:
    """A multiselect of a vocabulary's keys shown by their labels."""
    return st.multiselect(
        label,
        vocab.keys(vocab_list),
        default=current or [],
        format_func=lambda k: vocab.label(vocab_list, k),
    )


def service_form(registry, who, current: dict | None) -> None:
    """Register a new service, or edit ``current``; problems appear beside their fields."""
    vocab, areas = registry.context.vocab, registry.context.area_set
    st.subheader("Edit a service" if current else "Register a service")
    problems: dict = st.session_state.get("form_problems", {})
    orgs = registry.organisations()
    if who.role == "provider":
        orgs = orgs[orgs["id"] == who.organisation_id].reset_index(drop=True)
    if orgs.empty:
        st.info("No organisation is registered yet: a commissioner adds organisations.")
        return
    c = current or {}
    with st.form("service_form"):
        org_names = orgs["name"].tolist()
        org_default = (orgs.index[orgs["id"] == c.get("organisation_id")].tolist() or [0])[0]
        org = st.selectbox(
            "Organisation", org_names, index=org_names.index(orgs.loc[org_default, "name"])
        )
        name = st.text_input("Service name", c.get("name", ""))
        _error(problems, "name")
        service_type = _choice(vocab, "Service type", "service_types", c.get("service_type"))
        _error(problems, "service_type")
        route = _choice(vocab, "Referral route", "referral_routes", c.get("referral_route"))
        no_report = st.checkbox(
            "People can use it without a police report",
            value=bool(c.get("without_police_report", True)),
        )
        _error(problems, "without_police_report")
        needs = _choices(vocab, "Needs", "needs", c.get("needs"))
        _error(problems, "needs")
        stages = _choices(vocab, "Journey stages", "stages", c.get("stages"))
        scope = _choice(vocab, "Scope", "scopes", c.get("scope") or "local")
        names = [a.name for a in areas.areas]
        chosen = [areas.name_of(a["area_code"]) for a in c.get("areas", [])]
        covered = st.multiselect(
            "Boroughs covered",
            names,
            default=chosen,
            help="Not needed for a national service or one for the whole area set: it covers "
            "every borough (give the capacity it offers here).",
        )
        _error(problems, "areas")
        capacity = st.number_input(
            "Capacity (people supported a year)",
            min_value=0,
            step=10,
            value=int(c.get("capacity_per_year") or 0),
        )
        _error(problems, "capacity_per_year")
        channels = _choices(vocab, "Channels", "channels", c.get("channels"))
        submitted = st.form_submit_button("Save" if current else "Register")
    if not submitted:
        return
    raw = {
        **(_raw_from(current) if current else {}),
        "organisation_id": orgs.loc[orgs["name"] == org, "id"].iloc[0],
        "name": name,
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
    _save(registry, who, current, raw)


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
            grouped.setdefault(p.field.split("[")[0].split(".")[0], []).append(p.message)
        st.session_state["form_problems"] = grouped
        st.rerun()
    except PlannerError as exc:
        st.error(str(exc))
        return
    st.session_state["form_problems"] = {}
    st.session_state["edit_service"] = None
    st.success(f"Saved {md(saved['name'])}: status {saved['status']}.")
    st.cache_data.clear()


def _raw_from(record: dict) -> dict:
    from planner.registry.records import snapshot_to_raw

    raw = snapshot_to_raw(record)
    raw.pop("status", None)
    return raw
