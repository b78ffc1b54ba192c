"""Admin: approve submissions, manage users, read the audit history and restore versions."""

import streamlit as st

from planner.app import cache, state
from planner.app.components import md
from planner.errors import PlannerError

st.title("Admin")
who = state.require("commissioner", "admin")
with cache.shown_errors():
    registry = cache.registry()
    st.subheader("Submissions waiting for approval")
    waiting = registry.services(statuses=["submitted"])
    if not waiting:
        st.write("Nothing is waiting.")
    for record in waiting:
        left, right = st.columns([4, 1])
        left.write(
            f"**{record['name']}** · {record['organisation_name']} · "
            f"{', '.join(record['needs'])} · updated by {record['updated_by']}"
        )
        if right.button("Approve", key=f"approve_{record['id']}"):
            try:
                registry.approve_service(who, record["id"], expected_version=record["version"])
                cache.clear_after_change()
                st.rerun()
            except PlannerError as exc:
                st.error(str(exc))
    st.subheader("Users")
    st.dataframe(registry.users(), hide_index=True, width="stretch")
    with st.form("add_user"):
        a, b, c, d = st.columns(4)
        username = a.text_input("User name")
        password = b.text_input("Password (10 characters or more)", type="password")
        role = c.selectbox("Role", ["provider", "commissioner", "viewer", "admin"])
        orgs = registry.organisations()
        org = d.selectbox("Organisation (providers)", ["—", *orgs["name"].tolist()])
        if st.form_submit_button("Add user"):
            try:
                registry.add_user(who, username, password, role, None if org == "—" else org)
                st.success(f"Added {role} {md(username)}.")
            except PlannerError as exc:
                st.error(str(exc))
    st.subheader("History")
    st.dataframe(registry.audit_log(limit=100), hide_index=True, width="stretch")
    services = {r["name"]: r["id"] for r in registry.services()}
    if services:
        name = st.selectbox("A service's history", list(services))
        history = registry.history(services[name])
        st.dataframe(
            [
                {
                    "entry": h["id"],
                    "when": h["at"],
                    "who": h["actor"],
                    "what": h["action"],
                    "note": h["note"],
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
