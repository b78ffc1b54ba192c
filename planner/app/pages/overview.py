"""Overview: headline figures per need, the gap map, the five most serious findings."""

import streamlit as st
from streamlit_folium import st_folium

from planner.app import cache, components
from planner.app.components import md
from planner.coverage.ranking import serious_findings, worst_areas
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
    for row in serious_findings(analysis.result).itertuples(index=False):
        left, right = st.columns([5, 1])
        left.write(f"**{md(row.area_name)}** · {row.flag.replace('_', ' ')} — {md(row.sentence)}")
        if right.button("See flags", key=f"see_{row.area_code}_{row.need}_{row.flag}"):
            st.session_state["gaps_area"] = row.area_name
            st.switch_page("pages/gaps.py")
    st.subheader("Areas with the most serious findings")
    st.caption("High-severity flags, then medium ones, then the lowest mean coverage.")
    st.dataframe(
        worst_areas(analysis.result).rename(
            columns={
                "area_name": "Area",
                "high": "High-severity flags",
                "medium": "Medium-severity flags",
                "mean_ratio": "Mean coverage",
            }
        ),
        hide_index=True,
        column_config={"Mean coverage": st.column_config.NumberColumn(format="percent")},
    )
