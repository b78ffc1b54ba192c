"""Demand: choropleth of a need and measure by area, the table beside it, sources under it."""

import streamlit as st

from planner.app import cache, components
from planner.maps import choropleth

MEASURES = {
    "Estimated demand (people per year)": ("estimated", "{:,.0f}"),
    "Recorded (per year)": ("recorded", "{:,.0f}"),
    "Rate per 100,000 residents": ("rate_per_100k", "{:,.1f}"),
    "Rate per 100,000 women aged 16+": ("rate_per_100k_women_16plus", "{:,.1f}"),
}

st.title("Demand for victim support")
with cache.shown_errors():
    data = cache.planner_data()
    needs = {spec.label: key for key, spec in data.assumptions.needs.items()}
    left, right = st.columns(2)
    need = needs[left.selectbox("Need", list(needs))]
    spec = data.assumptions.needs[need]
    choices = [m for m in MEASURES if spec.women_16plus_rate or "women" not in m]
    measure_label = right.selectbox("Measure", choices)
    column, fmt = MEASURES[measure_label]
    table = cache.demand(None, cache.data_key())
    rows = table[table["need"] == need]
    first = rows.dropna(subset=["period_end"]).iloc[0]
    period = f"{first['period_start']} to {first['period_end']}"
    if spec.averaging_years > 1:
        period += f" (mean of {spec.averaging_years} years)"
    st.subheader(f"{spec.label}: {measure_label.lower()}, {period}")
    map_col, table_col = st.columns([3, 2])
    with map_col:
        components.show_map(
            ("demand", need, column, measure_label),
            lambda: choropleth(
                cache.area_map_layer(),
                rows.assign(note=rows["status"]),
                value_column=column,
                legend=measure_label,
                number_format=fmt,
                note_column="note",
            ),
            height=520,
            title=f"{spec.label}, {measure_label.lower()}",
        )
    with table_col:
        shown = rows[["area_name", column, "status"]].rename(
            columns={"area_name": "Borough", column: measure_label, "status": "Status"}
        )
        # people as whole numbers; rates to one decimal place
        shown[measure_label] = shown[measure_label].round(
            0 if column in ("recorded", "estimated") else 1
        )
        st.dataframe(
            shown.sort_values(measure_label, ascending=False, na_position="last"),
            hide_index=True,
            height=520,
            column_config={measure_label: st.column_config.NumberColumn(format="localized")},
        )
    london = rows[column].sum(min_count=1) if column in ("recorded", "estimated") else None
    if london is not None:
        st.metric(f"All assessed areas: {measure_label.lower()}", f"{london:,.0f}")
    st.caption(f"**Measure:** {spec.measure}.")
    st.caption(
        f"**Estimated** = recorded ÷ reporting rate {spec.reporting_rate.value:.1%} × take-up "
        f"share {spec.take_up_share.value:.0%}. {spec.reporting_rate.source}."
    )
    st.caption(f"**Source:** {first['source']}. **Population:** Census 2021 usual residents.")
    st.subheader("Trend by month")
    names = ["All areas"] + [a.name for a in data.area_set.areas]
    where = st.selectbox("Area", names, key="trend_area")
    trend = cache.trend(cache.data_key())
    code = "ALL" if where == "All areas" else data.area_set.resolve(where)
    series = trend[(trend["need"] == need) & (trend["area_code"] == code)]
    chart = series.pivot_table(index="month", columns="segment", values="recorded")
    st.line_chart(chart, x_label="month", y_label="recorded a month")
    breaks = series["segment"].nunique() > 1
    if breaks:
        st.caption(
            "The line breaks in March 2024, when the Metropolitan Police moved to a new "
            "recording system (CONNECT): figures before and after are not comparable."
        )
    st.caption(" · ".join(cache.attributions()))
