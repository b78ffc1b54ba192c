"""Gaps & duplication: the RAG matrix with its key in words, the flag list, duplicated pairs."""

import streamlit as st

from planner import words
from planner.app import cache, components, state, views
from planner.app.components import md
from planner.coverage.text import FLAG_KINDS, FLAG_WORDS, RAG_WORDS, SEVERITY_WORDS
from planner.maps import RAG_COLOURS

st.title("Gaps & duplication")
with cache.shown_errors():
    data, analysis = cache.planner_data(), cache.analysis()
    components.demo_banner(analysis)
    result = analysis.result
    labels = {n: s.label for n, s in data.assumptions.needs.items()}
    vocab = cache.registry().context.vocab
    matrix = views.gaps_matrix()
    st.subheader("Coverage by borough, need and tier")
    st.caption(
        "Each need is split into tiers, each against the demand that kind of service exists "
        "for; a need's status is its worst tier. Key: " + " · ".join(RAG_WORDS.values())
    )
    colours = {k.capitalize(): v for k, v in RAG_COLOURS.items()}

    def shade(value: object) -> str:
        found = [k for k in colours if str(value).startswith(k)]
        return f"background-color: {colours[found[0]] if found else '#ffffff'}"

    st.dataframe(
        matrix.style.map(shade),
        height=420,
        column_config={"_index": st.column_config.TextColumn(width="medium")},
    )

    @st.fragment
    def flag_list() -> None:
        """The flags and the pairs beside each other: a filter reruns this part only."""
        with cache.shown_errors():
            st.subheader("Flags")
            names = ["All boroughs"] + [a.name for a in data.area_set.areas]
            chosen = st.session_state.get("gaps_area") or "All boroughs"
            left, middle, right = st.columns(3)
            area = left.selectbox("Borough", names, index=names.index(chosen), key="gaps_area_pick")
            kinds = middle.multiselect(
                "Kind", FLAG_KINDS, default=list(FLAG_KINDS), format_func=FLAG_WORDS.get
            )
            severities = right.multiselect(
                "Severity",
                list(SEVERITY_WORDS),
                default=["high", "medium", "info"],
                format_func=SEVERITY_WORDS.get,
            )
            flags = result.flags[
                result.flags["flag"].isin(kinds) & result.flags["severity"].isin(severities)
            ]
            if area != "All boroughs":
                flags = flags[flags["area_name"] == area]
                st.write(f"**{len(flags)} flags for {area}**")
            flags = flags.assign(
                need=flags["need"].map(labels),
                uncertain=flags["uncertain"].map({True: "uncertain", False: ""}),
                kind=flags["flag"].map(FLAG_WORDS),
                severity=flags["severity"].map(SEVERITY_WORDS),
            )
            # people and places as whole numbers; centres (a fraction of one) to two places
            counted = flags["unit"].astype(str).str.contains("people|famil|place", regex=True)
            flags = flags.assign(
                estimated=flags["estimated"].where(~counted, flags["estimated"].round(0)).round(2),
                capacity=flags["capacity"].where(~counted, flags["capacity"].round(0)).round(2),
            )
            # the numbers before the sentence, so that none is cut off at the table's edge
            columns = {
                "area_name": "Borough",
                "need": "Need",
                "tier_label": "Tier",
                "kind": "Flag",
                "severity": "Severity",
                "estimated": "Estimated need",
                "capacity": "Capacity",
                "ratio": "Coverage",
                "unit": "Unit",
                "uncertain": "Uncertain",
                "sentence": "What we found",
            }
            if area != "All boroughs":
                del columns["area_name"]  # one borough: said above the table
            if state.signed_in():
                columns["services"] = "Services"
            st.dataframe(
                flags[list(columns)].rename(columns=columns),
                hide_index=True,
                width="stretch",
                column_config={
                    "Coverage": st.column_config.NumberColumn(format="percent"),
                    "Estimated need": st.column_config.NumberColumn(format="localized"),
                    "Capacity": st.column_config.NumberColumn(format="localized"),
                    "Need": st.column_config.TextColumn(width="medium"),
                    "Tier": st.column_config.TextColumn(width="medium"),
                    "What we found": st.column_config.TextColumn(width="large"),
                },
            )
            st.caption(
                "Coverage is capacity ÷ estimated need. Over 100% means more capacity than "
                "the estimate: services from several providers, a wider catchment, or "
                "possible duplication (see the Duplication and Overlap flags)."
            )
            pairs = flags[flags["flag"].isin(["duplication", "overlap"])]
            if state.signed_in() and not pairs.empty:
                st.subheader("Overlapping commissioned services, side by side")
                services = analysis.tables.services.set_index("service_id")
                for row in pairs.head(20).itertuples(index=False):
                    st.write(
                        f"**{row.area_name}, {row.need}** ({row.kind.lower()}), stages both "
                        "cover: "
                        + md(
                            "; ".join(
                                vocab.label("stages", k.strip())
                                for k in str(row.detail).split(",")
                                if k.strip()
                            )
                        )
                    )
                    for col, sid in zip(st.columns(2), row.service_ids.split("; "), strict=True):
                        s = services.loc[sid]
                        col.write(
                            f"{md(s['name'])}  \n{md(s['organisation_name'])}  \ncapacity "
                            f"{words.whole(s['capacity_per_year'])} a year"
                        )

    flag_list()
