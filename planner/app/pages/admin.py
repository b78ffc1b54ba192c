"""Admin: account requests, submissions to approve or return, users, and the history."""

import streamlit as st

from planner import words
from planner.app import cache, forms, state
from planner.app.components import md
from planner.errors import PlannerError
from planner.registry import plan_store

st.title("Admin")
who = state.require("commissioner", "admin")


def _flag_keys(analysis) -> dict[tuple, str]:
    flags = analysis.result.flags
    return {
        (r.area_code, r.need, r.tier, r.flag): r.sentence
        for r in flags[["area_code", "need", "tier", "flag", "sentence"]].itertuples()
    }


def _approve(registry, record: dict) -> None:
    """Approve, then say which flags the approval closed and which it opened."""
    before = _flag_keys(cache.analysis())
    registry.approve_service(who, record["id"], expected_version=record["version"])
    cache.clear_after_change()
    with st.spinner("Running the coverage analysis with the approved service…"):
        after = _flag_keys(cache.analysis())
    closed = [before[k] for k in before.keys() - after.keys()]
    opened = [after[k] for k in after.keys() - before.keys()]
    st.session_state["approval_result"] = (record["name"], sorted(closed), sorted(opened))


with cache.shown_errors():
    registry = cache.registry()
    vocab, areas = registry.context.vocab, registry.context.area_set
    if result := st.session_state.pop("approval_result", None):
        name, closed, opened = result
        st.success(
            f"Approved {md(name)}. It closed {len(closed)} flag(s) and opened {len(opened)}."
        )
        for sentence in closed:
            st.markdown(f"- Closed: {md(sentence)}")
        for sentence in opened:
            st.markdown(f"- Opened: {md(sentence)}")
    if done := st.session_state.pop("admin_done", None):
        st.success(done)

    st.subheader("Account requests")
    requests = registry.account_requests(who)
    if not requests:
        st.write("No charity is waiting for an account.")
    for req in requests:
        with st.container(border=True):
            st.markdown(
                f"**{md(req['organisation_name'])}**"
                + (
                    f" · charity number {md(req['charity_number'])}"
                    if req["charity_number"]
                    else ""
                )
                + f" · asked by {md(req['contact_name'])} ({md(req['email'])})"
                + (f" · {md(req['phone'])}" if req["phone"] else "")
            )
            if req["message"]:
                st.write(req["message"])
            join_choices = {f"Register {req['organisation_name']} as a new organisation": None}
            for org in req["similar_organisations"]:
                st.warning(
                    f"Looks like {md(org['name'])}, already registered"
                    + (
                        f" (charity number {md(org['charity_number'])})"
                        if org["charity_number"]
                        else ""
                    )
                    + ": you can add the account to it instead of registering the charity twice."
                )
                join_choices[f"Add the account to {org['name']}"] = org["id"]
            choice = st.radio(
                "On accepting", list(join_choices), key=f"join_{req['id']}", horizontal=True
            )
            note = st.text_input(
                "Note to the charity (needed to refuse)", key=f"req_note_{req['id']}"
            )
            a, b, _ = st.columns([1, 1, 4])
            for accept, column, label in ((True, a, "Accept"), (False, b, "Refuse")):
                if column.button(label, key=f"req_{label}_{req['id']}"):
                    try:
                        registry.decide_request(
                            who,
                            req["id"],
                            accept=accept,
                            note=note,
                            organisation_id=join_choices[choice],
                        )
                        st.session_state["admin_done"] = (
                            f"{'Accepted' if accept else 'Refused'} the request for "
                            f"{md(req['organisation_name'])}."
                        )
                        st.rerun()
                    except PlannerError as exc:
                        st.error(str(exc))

    st.subheader("Submissions waiting for approval")
    waiting = registry.services(statuses=["submitted"], actor=who)
    if not waiting:
        st.write("Nothing is waiting.")
    for record in waiting:
        with st.container(border=True):
            forms.service_detail(record, areas, vocab)
            st.caption(f"Sent by {md(record['updated_by'] or 'unknown')}")
            approved = registry.last_approved(record["id"])
            changed = words.changes(approved, record, vocab, areas)
            if approved is None:
                st.write("**New:** never approved before.")
            elif changed:
                st.write("**What changed since it was last approved**")
                st.dataframe(changed, hide_index=True, width="stretch")
            else:
                st.write("Nothing changed since it was last approved.")
            for dup in registry.duplicates_of(record):
                st.warning(
                    f"Likely duplicate of **{md(dup['name'])}** ({md(dup['organisation_name'])}, "
                    f"{words.status(dup['status']).lower()}): {', '.join(dup['reasons'])}."
                )
            note = st.text_input(
                "Note to the provider (needed to return it)", key=f"note_{record['id']}"
            )
            a, b, _ = st.columns([1, 2, 3])
            try:
                if a.button("Approve", key=f"approve_{record['id']}"):
                    _approve(registry, record)
                    st.rerun()
                if b.button("Return with the note", key=f"return_{record['id']}"):
                    registry.return_service(
                        who, record["id"], note, expected_version=record["version"]
                    )
                    cache.clear_after_change()
                    st.session_state["admin_done"] = (
                        f"Returned {md(record['name'])} to {md(record['organisation_name'])} "
                        "with your note."
                    )
                    st.rerun()
            except PlannerError as exc:
                st.error(str(exc))

    st.subheader("Users")
    orgs = registry.organisations()
    org_names = dict(zip(orgs["id"], orgs["name"], strict=True))
    users = registry.users(actor=who)
    st.dataframe(
        [
            {
                "User name": u["username"],
                "Role": vocab.label("roles", u["role"]),
                "Organisation": org_names.get(u["organisation_id"], "—"),
                "Active": "yes" if u["active"] else "no",
            }
            for u in users.to_dict("records")
        ],
        hide_index=True,
        width="stretch",
    )
    accounts = [u for u in users["username"].tolist() if u != who.username]
    if accounts:
        left, right = st.columns([3, 2])
        chosen = left.selectbox("An account", accounts, key="account_pick")
        active = bool(users.set_index("username").loc[chosen, "active"])
        right.write("")
        if right.button(
            "Deactivate this account" if active else "Activate this account", key="account_active"
        ):
            try:
                registry.set_user_active(who, chosen, not active)
                st.session_state["admin_done"] = (
                    f"{'Deactivated' if active else 'Activated'} {md(chosen)}."
                )
                st.rerun()
            except PlannerError as exc:
                st.error(str(exc))
    with st.form("add_user", clear_on_submit=True):
        a, b, c, d = st.columns(4)
        username = a.text_input("User name")
        password = b.text_input("Password (10 characters or more)", type="password")
        role = c.selectbox(
            "Role",
            ["provider", "commissioner", "viewer", "admin"],
            format_func=lambda k: vocab.label("roles", k),
        )
        org = d.selectbox("Organisation (providers)", ["—", *orgs["name"].tolist()])
        if st.form_submit_button("Add user"):
            try:
                registry.add_user(who, username, password, role, None if org == "—" else org)
                st.success(f"Added {vocab.label('roles', role).lower()} {md(username)}.")
            except PlannerError as exc:
                st.error(str(exc))

    st.subheader("History")
    names = {
        **org_names,
        **{r["id"]: r["name"] for r in cache.services(list(cache.EVERY_STATUS), who)},
        **{p["id"]: p["name"] for p in plan_store.list_plans(registry)},
    }
    log = registry.audit_log(limit=100, actor=who)
    st.dataframe(
        [
            {
                "When": e["at"].strftime("%d %b %Y %H:%M"),
                "Who": e["actor"],
                "What": words.ENTITIES.get(e["entity"], e["entity"]),
                "Name": names.get(e["entity_id"], e["entity_id"]),
                "Action": words.action(e["action"]),
                "Note": e["note"] if isinstance(e["note"], str) else "",
            }
            for e in log.to_dict("records")
        ],
        hide_index=True,
        width="stretch",
    )
    services = {r["name"]: r["id"] for r in registry.services(actor=who)}
    if services:
        name = st.selectbox("A service's history", list(services))
        history = registry.history(services[name], actor=who)
        st.dataframe(
            [
                {
                    "Entry": h["id"],
                    "When": h["at"].strftime("%d %b %Y %H:%M"),
                    "Who": h["actor"],
                    "Action": words.action(h["action"]),
                    "Note": h["note"] or "",
                }
                for h in history
            ],
            hide_index=True,
            width="stretch",
        )
        entry = st.selectbox(
            "Restore the version saved by entry",
            [h["id"] for h in history if h["after"] or h["before"]],
        )
        if st.button("Restore this version"):
            try:
                registry.restore_service(who, services[name], entry)
                cache.clear_after_change()
                st.success(f"Restored {md(name)} as it was at entry {entry}.")
            except PlannerError as exc:
                st.error(str(exc))
