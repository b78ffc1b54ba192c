"""Find support: for the public. A borough and a need; the services that can help."""

import streamlit as st

from planner.app import cache, components
from planner.app.components import md
from planner.exports.leaflet import clean

st.title("Find support")
st.write(
    "Choose where you live and what happened. These services can help, whether or not "
    "you have told the police. (Postcode search is not available: choose your borough.)"
)
with cache.shown_errors():
    data, analysis = cache.planner_data(), cache.analysis()
    components.demo_banner(analysis)
    left, right = st.columns(2)
    with left:
        area = components.area_picker(data, key="find_area")
    with right:
        need = components.need_picker(data, key="find_need", label="What happened")
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
                + (" · ".join(how) if how else "ask your local victim service")
            )
            if clean(s.hours):
                st.write(f"When: {md(clean(s.hours))}")
            if langs:
                st.write("Languages: " + ", ".join(map(md, langs)))
    st.caption(
        "National helplines: Victim Support 08 08 16 89 111 · National Domestic Abuse "
        "Helpline 0808 2000 247 · Rape Crisis 0808 500 2222 · In an emergency call 999."
    )
