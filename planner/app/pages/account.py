"""Ask for an account: a charity asks for a provider account for its organisation, and a
commissioner accepts or refuses it on the Admin page (BRIEF §8)."""

import streamlit as st

from planner.app import cache, state
from planner.app.components import md
from planner.registry.auth import MIN_PASSWORD
from planner.registry.validation import ValidationError

st.title("Ask for an account")
FIELD_WORDS = {
    "organisation_name": "Organisation name",
    "charity_number": "Charity or company number",
    "contact_name": "Your name",
    "email": "E-mail",
    "phone": "Phone",
    "website": "Website",
    "message": "What your organisation does",
    "password": "Password",
}
if state.signed_in():
    st.info("You are signed in already: this page is for charities without an account.")
    st.stop()
sent = st.session_state.get("request_sent")
if sent:
    st.success(
        f"Thank you: your request for **{md(sent)}** was sent. A commissioner will look at it; "
        "once it is accepted, sign in (in the sidebar) with your e-mail and the password you "
        "chose. Signing in before then tells you whether it is still waiting."
    )
    if st.button("Send another request"):
        st.session_state["request_sent"] = None
        st.rerun()
    st.stop()
st.write(
    "Charities and other organisations that support victims in the area can register their "
    "services. Ask for an account for your organisation here: a commissioner checks the request "
    "and accepts it (or tells you why not). You then register your services with a form or an "
    "Excel template that already names your organisation."
)
with cache.shown_errors():
    registry = cache.registry()
    with st.form("account_request"):
        a, b = st.columns(2)
        raw = {
            "organisation_name": a.text_input(FIELD_WORDS["organisation_name"]),
            "charity_number": b.text_input(
                FIELD_WORDS["charity_number"], help="Optional: helps us find your organisation"
            ),
            "contact_name": a.text_input(FIELD_WORDS["contact_name"]),
            "email": b.text_input(FIELD_WORDS["email"], help="Your user name when you sign in"),
            "phone": a.text_input(FIELD_WORDS["phone"]),
            "website": b.text_input(FIELD_WORDS["website"], placeholder="https://"),
            "message": st.text_area(FIELD_WORDS["message"]),
        }
        c, d = st.columns(2)
        password = c.text_input(f"Password ({MIN_PASSWORD} characters or more)", type="password")
        again = d.text_input("The password again", type="password")
        sent_now = st.form_submit_button("Ask for an account")
    if sent_now:
        if password != again:
            st.error("The two passwords differ: type the same one twice.")
        else:
            try:
                made = registry.request_account({**raw, "password": password})
                st.session_state["request_sent"] = made["organisation_name"]
                st.rerun()
            except ValidationError as exc:
                st.error(
                    "The request was not sent. "
                    + " ".join(
                        f"{FIELD_WORDS.get(p.field, p.field)}: {md(p.message)}."
                        for p in exc.problems
                    )
                )
