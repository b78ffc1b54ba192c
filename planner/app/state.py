"""Session state in one place: who is signed in, and what they may see."""

from __future__ import annotations

import streamlit as st

from planner.registry.auth import PUBLIC, Actor

DEFAULTS = {"actor": None, "gaps_area": None, "form_problems": {}, "edit_service": None}


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
        st.warning(
            f"This page needs you to sign in with a role that may use it ({', '.join(roles)})."
        )
        st.stop()
    return who
