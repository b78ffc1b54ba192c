"""Overview: each need's headline (its worst tier), the coverage map for a chosen need and
tier in classes that separate the boroughs, the most serious findings and the areas with the
most unmet need (BRIEF §4.1)."""

import streamlit as st

from planner.app import cache, components, views
from planner.app.components import md
from planner.coverage.text import FLAG_WORDS

st.title("Overview")
with cache.shown_errors():
    data, analysis = cache.planner_data(), cache.analysis()
    components.demo_banner(analysis)
    result, a = analysis.result, data.assumptions
    coverage, heads = result.coverage, result.headline
    st.subheader(f"{data.area_set.name}: each need's worst tier, and coverage by tier")
    summary = views.tier_summary()
    columns = st.columns(len(a.needs))
    for column, (need, spec) in zip(columns, a.needs.items(), strict=True):
        rows = heads[heads["need"] == need]
        red = int((rows["rag"] == "red").sum())
        tiers = summary[summary["need"] == need]
        labels = {k: t.label for k, t in spec.tier_specs.items()}
        column.metric(
            spec.label,
            f"{red} of {len(rows)} red",
            help="Areas whose worst tier is red. Below: each tier's coverage across "
            f"{data.area_set.name} (capacity ÷ estimated need, in the tier's unit).",
        )
        column.caption(
            " · ".join(
                f"{labels[t.tier]} {t.coverage}" + (f" ({t.range})" if t.range else "")
                for t in tiers.itertuples(index=False)
            )
        )
    everywhere = [
        spec.label
        for need, spec in a.needs.items()
        if len(rows := heads[(heads["need"] == need) & (heads["rag"] != "not assessed")])
        and (rows["rag"] == "red").all()
    ]
    if everywhere:
        st.caption(
            f"{' and '.join(everywhere)}: red in every area because in each at least one tier "
            "has capacity for under half of its estimated need (see the tiers under each "
            "heading): the gap is London-wide, not a postcode lottery, so the ranking below "
            "and the Plan page's budget, not the colour, say where to start."
        )
    st.caption(
        "Coverage is capacity ÷ estimated need across the area. Over 100% means more capacity "
        "than the estimate: usually a national or area-wide service counted in every area, "
        "or a small estimated need (families bereaved by homicide: a handful a year)."
    )

    @st.fragment
    def coverage_map() -> None:
        """The map and its findings: a picker reruns this part only."""
        with cache.shown_errors():
            left, right = st.columns(2)
            with left:
                need = components.need_picker(data, key="overview_need", label="Coverage map for")
            with right:
                tier = components.tier_picker(data, need, key="overview_tier")
            key, build, title = components.coverage_map_parts(data, need, tier)
            components.show_map(key, build, height=480, title=title)
            st.subheader(f"The five most serious findings: {title}")
            st.caption("High-severity flags with the most unmet need first.")
            findings = views.serious_findings(need, tier)
            if findings.empty:
                st.write("No high-severity findings for this need and tier.")
            for row in findings.itertuples(index=False):
                left, right = st.columns([5, 1])
                left.write(
                    f"**{md(row.area_name)}** · {FLAG_WORDS[row.flag].lower()} — {md(row.sentence)}"
                )
                key = f"see_{row.area_code}_{row.need}_{row.tier}_{row.flag}"
                if right.button("See flags", key=key):
                    st.session_state["gaps_area"] = row.area_name
                    st.switch_page("pages/gaps.py")

    coverage_map()
    st.subheader("Areas with the most unmet need")
    weights = components.session_weights(data)
    st.caption(
        "Unmet need: people (or families) a year beyond capacity, summed over every tier of "
        "every need. Priority: the same people, each counting for their need's and tier's "
        f"weight. {a.ranking.rationale} "
        + (
            "Weights changed on the Plan page for this session apply here too."
            if weights
            else "Change the weights on the Plan page."
        )
    )
    st.dataframe(
        views.worst_areas(weights)
        .rename(
            columns={
                "area_name": "Area",
                "unmet_people": "Unmet need (people a year)",
                "priority": "Priority (weighted people a year)",
                "red_tiers": "Red tiers",
                "largest_gap": "Largest gap",
                "largest_gap_unmet": "Largest gap (weighted people a year)",
            }
        )
        .drop(columns=["area_code"]),
        hide_index=True,
        column_config={
            "Unmet need (people a year)": st.column_config.NumberColumn(format="localized"),
            "Priority (weighted people a year)": st.column_config.NumberColumn(format="localized"),
            "Largest gap (weighted people a year)": st.column_config.NumberColumn(
                format="localized"
            ),
        },
    )
    st.subheader("Does the top five hold?")
    robust = views.robustness(weights)
    steady = robust.loc[robust["stays_on_top"], "area_name"].tolist()
    scenarios = [c for c in robust.columns if c not in ("area_code", "area_name")][:-2]
    st.caption(
        f"Each area's rank under {len(scenarios)} rankings: the weights above, demand at the "
        "low and the high end of every range in the assumptions, and the alternative "
        "weightings the assumptions name. "
        + (
            f"In the top five under every one: {', '.join(steady)}."
            if steady
            else "No area is in the top five under every one."
        )
    )
    st.dataframe(
        robust.drop(columns=["area_code", "stays_on_top"]).rename(
            columns={"area_name": "Area", "times_in_top": "Times in the top five"}
        ),
        hide_index=True,
        width="stretch",
    )
