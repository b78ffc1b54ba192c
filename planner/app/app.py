"""Entry point: ``streamlit run planner/app/app.py``. Sign-in and navigation, nothing else."""

import contextlib

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


with contextlib.suppress(PlannerError):  # the page itself shows what is wrong
    state.recheck(cache.registry())  # a deactivated account is signed out at once
    state.restore(cache.registry())  # a refresh keeps the person signed in
role = state.actor().role
works = role in ("provider", "commissioner", "admin")
manages = role in ("commissioner", "admin")


def _page(path: str, title: str, shown: bool) -> st.Page:
    # every page exists for everyone, so a bookmarked link finds its page; the ones a role
    # may not use are left out of the menu and say "sign in to see this page"
    return st.Page(path, title=title, visibility="visible" if shown else "hidden")


pages = {
    "Understand": [
        st.Page("pages/overview.py", title="Overview", default=True),
        st.Page("pages/demand.py", title="Demand"),
        st.Page("pages/gaps.py", title="Gaps & duplication"),
        st.Page("pages/find_support.py", title="Find support"),
        st.Page("pages/data.py", title="Data & assumptions"),
    ],
    "Services": [
        _page("pages/services.py", "Services", works),
        _page("pages/journey.py", "Journey", works),
        _page("pages/access.py", "Access", works),
        _page("pages/account.py", "Ask for an account", not state.signed_in()),
    ],
    "Commission": [
        _page("pages/plan.py", "Plan", manages),
        _page("pages/exports.py", "Exports", manages),
        _page("pages/admin.py", "Admin", manages),
    ],
}
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
                registry = cache.registry()
                state.sign_in(registry, registry.actor_for(str(st.user.email)))
                st.rerun()
            except PlannerError as exc:
                st.error(str(exc))
        elif st.button("Sign in with single sign-on"):
            st.login()
    if why := st.session_state.pop("signed_out_why", None):
        st.warning(why)
    if state.signed_in():
        st.write(f"Signed in as **{md(who.username)}** ({state.ROLE_WORDS[who.role]})")
        with st.expander("Change my password"), st.form("own_password", clear_on_submit=True):
            current = st.text_input("Current password", type="password")
            new = st.text_input("New password (10 characters or more)", type="password")
            if st.form_submit_button("Change the password"):
                try:
                    registry = cache.registry()
                    registry.change_password(who, who.username, new, current=current)
                    state.sign_in(registry, who)  # a new cookie: the old one no longer holds
                    st.success("Your password was changed.")
                except PlannerError as exc:
                    st.error(str(exc))
        if st.button("Sign out"):
            state.sign_out()
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
                    registry = cache.registry()
                    state.sign_in(registry, registry.authenticate(username, password))
                    st.rerun()
                except PlannerError as exc:
                    st.error(str(exc))

    state.write_cookie()
    if not state.signed_in():
        st.caption("A charity without an account: *Ask for an account* under Services.")

page.run()
