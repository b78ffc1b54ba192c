"""Find support: for the public. A borough and a need; the services that can help."""

import streamlit as st

from planner.app import cache, components
from planner.app.components import md
from planner.exports.leaflet import HELPLINES, clean

st.title("Find support")
st.error("**If you are in danger now, call 999.** If you cannot speak, call 999 then press 55.")


def _dial(number: str) -> str:
    digits = "".join(ch for ch in number.split("(")[0] if ch.isdigit())
    return f"[{number.split(' (')[0]}](tel:{digits})"


with st.container(border=True):
    st.markdown("#### Free national helplines: you can call them now")
    st.markdown("\n".join(f"- **{name}:** {_dial(number)}" for name, number in HELPLINES[1:]))
st.write(
    "Choose where you live and what happened to see local services. They can help whether "
    "or not you have told the police. (Postcode search is not available: choose your borough.)"
)
with cache.shown_errors():
    data, analysis = cache.planner_data(), cache.analysis()
    components.demo_banner(analysis)
    left, right = st.columns(2)
    with left:
        names = [a.name for a in data.area_set.areas]
        chosen = st.selectbox(
            data.area_set.area_label.capitalize(),
            names,
            index=None,
            placeholder=f"Choose your {data.area_set.area_label}",
            key="find_area",
        )
    with right:
        need = components.need_picker(data, key="find_need", label="What happened")
    if chosen is None:
        st.info(f"Choose your {data.area_set.area_label} to see the services there.")
        st.stop()
    area = data.area_set.resolve(chosen)
    t = analysis.tables
    covering = set(t.areas.loc[t.areas["area_code"] == area, "service_id"]) & set(
        t.terms.loc[(t.terms["kind"] == "need") & (t.terms["value"] == need), "service_id"]
    )
    services = t.services[t.services["service_id"].isin(covering)].sort_values(
        ["without_police_report", "name"], ascending=[False, True]
    )
    vocab = cache.registry().context.vocab
    st.subheader(f"{len(services)} services in {data.area_set.name_of(area)}")
    for s in services.itertuples(index=False):
        langs = t.terms[(t.terms["service_id"] == s.service_id) & (t.terms["kind"] == "language")][
            "value"
        ].tolist()
        with st.container(border=True):
            st.markdown(f"**{md(s.name)}** · {md(s.organisation_name)}")
            scope = s.scope or "local"
            st.write(
                vocab.label("service_types", s.service_type)
                + ("" if scope == "local" else f" · {vocab.label('scopes', scope)}")
            )
            st.write(
                "No police report needed"
                if s.without_police_report
                else "You need to have reported to the police, or be referred by them"
            )
            phone, website, email = clean(s.phone), clean(s.website), clean(s.email)
            how = [md(x) for x in (phone and f"Phone {phone}", website, email) if x]
            st.write(
                "How to get in touch: "
                + (
                    " · ".join(how)
                    if how
                    else "no contact details registered yet: call Victim Support on "
                    "08 08 16 89 111, who can put you in touch"
                )
            )
            if clean(s.hours):
                st.write(f"When: {md(clean(s.hours))}")
            if langs:
                st.write("Languages: " + ", ".join(map(md, langs)))
