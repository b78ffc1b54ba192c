"""Access: small-area map of the 2SFCA score or the distance to the nearest site, per borough."""

import numpy as np
import streamlit as st

from planner.app import cache, components, state
from planner.maps import choropleth

st.title("Access to face-to-face support")
state.require("provider", "commissioner", "admin")
with cache.shown_errors():
    data, analysis = cache.planner_data(), cache.analysis()
    components.demo_banner(analysis)
    a, b, c = st.columns(3)
    whole = f"All of {data.area_set.name}"
    names = [whole] + [x.name for x in data.area_set.areas]
    picked = a.selectbox("Area", names, key="access_area")
    area = None if picked == whole else data.area_set.resolve(picked)
    with b:
        need = components.need_picker(data, key="access_need")
    measure = c.selectbox(
        "Measure",
        ["Distance to the nearest site (km)", "2SFCA: capacity within reach per 1,000 residents"],
    )
    column = "km" if measure.startswith("Distance") else "per_1000"

    def access_map():
        lsoa = analysis.result.access_small_areas
        rows = lsoa[(lsoa["need"] == need) & ((lsoa["area_code"] == area) if area else True)]
        values = rows.assign(
            km=np.where(np.isfinite(rows["nearest_site_m"]), rows["nearest_site_m"] / 1000, np.nan),
            per_1000=rows["two_sfca"] * 1000,
            note="no site covering this borough",
        )
        layer = cache.lsoa_map_layer()
        if area:
            layer = layer[layer["borough"] == area]
        return choropleth(
            layer,
            values.rename(columns={"area_code": "borough"}).rename(
                columns={"lsoa_code": "area_code"}
            ),
            value_column=column,
            legend=measure,
            number_format="{:,.1f}",
            note_column="note",
        )

    lsoa = analysis.result.access_small_areas
    if not ((lsoa["need"] == need) & ((lsoa["area_code"] == area) if area else True)).any():
        st.warning("No face-to-face site serves this need: every resident is beyond reach.")
        st.stop()
    components.show_map(
        ("access", cache.stamp(), need, area, column),
        access_map,
        height=480,
        title=f"{measure}, {picked}",
    )
    summary = analysis.result.access
    summary = summary[summary["need"] == need]
    if area is None:
        people = summary["population"].sum()
        beyond = (summary["share_beyond"] * summary["population"]).sum()
        st.write(
            f"{beyond / people:.0%} of {data.area_set.name}'s residents live more than "
            f"{data.assumptions.threshold('access_distance_km'):g} km from a face-to-face site "
            "that covers their area."
            if people
            else "No residents in the access analysis."
        )
    row = summary[summary["area_code"] == area]
    if not row.empty:
        r = row.iloc[0]
        st.write(
            f"{r['share_beyond']:.0%} of residents live more than "
            f"{data.assumptions.threshold('access_distance_km'):g} km from a site; "
            f"2SFCA {r['two_sfca_per_1000']:.2f} per 1,000 residents."
        )
    st.caption(
        "Straight-line distances from the centre of each 2021 LSOA. Confidential "
        "sites are not included."
    )
