"""Session state in one place: who is signed in, and what they may see."""

from __future__ import annotations

import streamlit as st

from planner.registry.auth import PUBLIC, Actor

DEFAULTS = {"actor": None, "gaps_area": None, "form_problems": {}, "edit_service": None}
ROLE_WORDS = {
    "admin": "an administrator",
    "commissioner": "a commissioner",
    "provider": "a provider",
    "viewer": "a viewer",
}


def init() -> None:
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)


def actor() -> Actor:
    return st.session_state.get("actor") or PUBLIC


def signed_in() -> bool:
    return st.session_state.get("actor") is not None


def require(*roles: str) -> Actor:
    """Stop the page unless the signed-in role is one of ``roles``."""
    who = actor()
    if who.role not in roles:
        words = " or ".join(ROLE_WORDS.get(r, r) for r in roles if r != "admin")
        if not signed_in():
            st.warning(
                f"Sign in to see this page (in the sidebar): it is for {words}. A charity "
                "without an account can ask for one on *Ask for an account*."
            )
        else:
            st.warning(f"This page is for {words}; you are signed in as {ROLE_WORDS[who.role]}.")
        st.stop()
    return who


# --- staying signed in across a refresh (a signed, expiring cookie; never the role) ---------


@st.cache_resource(show_spinner=False)
def _secret() -> bytes:
    """The key that signs session cookies, read (or made) once per server."""
    from planner.registry.sessions import session_secret

    return session_secret()


def restore(registry) -> None:
    """Sign in from the session cookie, when there is a valid one and the person has not
    signed out in this browser tab since."""
    from planner.registry.sessions import COOKIE

    if signed_in() or st.session_state.get("signed_out"):
        return
    try:
        token = st.context.cookies.get(COOKIE)
    except Exception:  # no browser behind this run (tests): nothing to restore
        token = None
    if token:
        st.session_state["actor"] = registry.actor_from_token(_secret(), token)


def recheck(registry) -> None:
    """A signed-in session is checked against the stored account on every page: a
    deactivated or removed account is signed out, a changed role or organisation applies at
    once."""
    who = st.session_state.get("actor")
    if who is None:
        return
    now = registry.current_actor(who.username)
    if now is None:
        sign_out()
        st.session_state["signed_out_why"] = (
            "You were signed out: your account was deactivated or removed."
        )
    elif now != who:
        st.session_state["actor"] = now


def sign_in(registry, who: Actor) -> None:
    st.session_state["actor"] = who
    st.session_state["signed_out"] = False
    st.session_state["cookie_token"] = registry.session_token(_secret(), who.username)


def sign_out() -> None:
    st.session_state["actor"] = None
    st.session_state["signed_out"] = True
    st.session_state["cookie_token"] = ""


def write_cookie() -> None:
    """Set (or clear) the session cookie in the browser. Drawn on every run of a session that
    signed in or out here: the browser runs the script when the element first appears, so a
    run cut short (a click straight after signing in) is made good by the next one."""
    import json

    from planner.registry.sessions import COOKIE, SESSION_HOURS

    token = st.session_state.get("cookie_token")
    if token is None:
        return
    age = SESSION_HOURS * 3600 if token else 0
    value = json.dumps(f"{COOKIE}={token}; Max-Age={age}; Path=/; SameSite=Strict")
    st.html(
        "<script>document.cookie = "
        f"{value} + (location.protocol === 'https:' ? '; Secure' : '');</script>",
        unsafe_allow_javascript=True,
    )
