"""Entry point: ``streamlit run planner/app/app.py``. Sign-in and navigation, nothing else."""

import streamlit as st

from planner.app import cache, serve, state
from planner.app.components import md
from planner.errors import PlannerError

serve.touch()  # the start-up preparation waits for quiet moments
st.set_page_config(page_title="Victim Services Commissioning Planner", layout="wide")
state.init()


def _single_sign_on_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file, or unreadable: local accounts only
        return False


role = state.actor().role
pages = {
    "Understand": [
        st.Page("pages/overview.py", title="Overview", default=True),
        st.Page("pages/demand.py", title="Demand"),
        st.Page("pages/gaps.py", title="Gaps & duplication"),
        st.Page("pages/find_support.py", title="Find support"),
    ],
}
if role in ("provider", "commissioner", "admin"):
    pages["Services"] = [
        st.Page("pages/services.py", title="Services"),
        st.Page("pages/journey.py", title="Journey"),
        st.Page("pages/access.py", title="Access"),
    ]
    pages["Understand"].append(st.Page("pages/data.py", title="Data & assumptions"))
if role in ("commissioner", "admin"):
    pages["Commission"] = [
        st.Page("pages/plan.py", title="Plan"),
        st.Page("pages/exports.py", title="Exports"),
        st.Page("pages/admin.py", title="Admin"),
    ]
# the pages first, the sign-in form after: on a first load the page is known before any
# widget is drawn, so the first submission of the form is not taken for a change of page
# (which would drop what was typed)
page = st.navigation(pages)

with st.sidebar:
    who = state.actor()
    if not state.signed_in() and _single_sign_on_configured():
        if getattr(st.user, "is_logged_in", False):
            # an OIDC identity maps to the local account with the same user name (e-mail)
            try:
                st.session_state["actor"] = cache.registry().actor_for(str(st.user.email))
                st.rerun()
            except PlannerError as exc:
                st.error(str(exc))
        elif st.button("Sign in with single sign-on"):
            st.login()
    if state.signed_in():
        st.write(f"Signed in as **{md(who.username)}** ({who.role})")
        if st.button("Sign out"):
            st.session_state["actor"] = None
            if getattr(st.user, "is_logged_in", False):
                st.logout()
            st.rerun()
    else:
        with st.form("sign_in"):
            st.write("Commissioners and providers: sign in")
            username = st.text_input("User name")
            password = st.text_input("Password", type="password")
            if st.form_submit_button("Sign in"):
                try:
                    st.session_state["actor"] = cache.registry().authenticate(username, password)
                    st.rerun()
                except PlannerError as exc:
                    st.error(str(exc))

page.run()
