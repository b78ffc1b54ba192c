"""Overview: headline figures per need, the gap map, the five most serious findings."""

import streamlit as st
from streamlit_folium import st_folium

from planner.app import cache, components
from planner.maps import rag_map

st.title("Overview")
with cache.shown_errors():
    data, analysis = cache.planner_data(), cache.analysis()
    components.demo_banner(analysis)
    coverage = analysis.result.coverage
    st.subheader(f"{data.area_set.name}: estimated need and commissioned capacity a year")
    columns = st.columns(len(data.assumptions.needs))
    for column, (need, spec) in zip(columns, data.assumptions.needs.items(), strict=True):
        rows = coverage[coverage["need"] == need]
        need_total, capacity = rows["estimated"].sum(), rows["capacity"].sum()
        share = f"{capacity / need_total:.0%} covered" if need_total else "no demand"
        column.metric(
            spec.label,
            f"{need_total:,.0f}",
            share,
            delta_color="off",
            help=f"Estimated people a year; capacity {capacity:,.0f}",
        )
    need = components.need_picker(data, key="overview_need", label="Gap map for")
    st_folium(
        rag_map(
            cache.area_map_layer(),
            coverage[coverage["need"] == need],
            title="Coverage of estimated need",
        ),
        height=480,
        use_container_width=True,
        returned_objects=[],
        key="overview_map",
    )
    st.subheader("The five most serious findings")
    flags = analysis.result.flags
    # most serious: high severity, the most estimated need left unmet first
    high = flags[flags["severity"] == "high"]
    worst = (
        high.assign(unmet=(high["estimated"] - high["capacity"]).clip(lower=0))
        .sort_values(["unmet", "area_code"], ascending=[False, True])
        .head(5)
    )
    for row in worst.itertuples(index=False):
        left, right = st.columns([5, 1])
        left.write(f"**{row.area_name}** · {row.flag.replace('_', ' ')} — {row.sentence}")
        if right.button("See flags", key=f"see_{row.area_code}_{row.need}_{row.flag}"):
            st.session_state["gaps_area"] = row.area_name
            st.switch_page("pages/gaps.py")
