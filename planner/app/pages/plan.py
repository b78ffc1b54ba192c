"""Plan: contract lots, the coverage a plan would give beside today's, comparison, suggestions."""

import pandas as pd
import streamlit as st

from planner.app import cache, components, state, views
from planner.app.components import md
from planner.errors import PlannerError
from planner.maps import choropleth
from planner.registry import plan_store

st.title("Plan")
who = state.require("commissioner", "admin")
with cache.shown_errors():
    data, analysis, registry = cache.planner_data(), cache.analysis(), cache.registry()
    components.demo_banner(analysis)
    vocab, areas = registry.context.vocab, data.area_set
    plans = plan_store.list_plans(registry)
    if done := st.session_state.pop("plan_done", None):
        st.success(done)
    with (
        st.expander("Create a plan", expanded=not plans),
        st.form("new_plan", clear_on_submit=True),
    ):
        name = st.text_input("Plan name")
        notes = st.text_area("Notes")
        if st.form_submit_button("Create plan"):
            try:
                made = plan_store.create_plan(registry, who, name, notes or None)
                st.session_state["plan_done"] = f"Plan “{made['name']}” created."
                st.rerun()
            except PlannerError as exc:
                st.error(str(exc))
    if not plans:
        st.stop()
    names = [p["name"] for p in plans]
    plan = plans[names.index(st.selectbox("Plan", names, key="plan_pick"))]
    st.write(
        f"Status: **{plan['status'].capitalize()}** · owner {md(plan['owner'])} · "
        f"{len(plan['lots'])} lots"
    )
    if plan["lots"]:
        st.dataframe(
            [
                {
                    "Lot": lot["name"],
                    "Needs": ", ".join(vocab.label("needs", n) for n in lot["needs"]),
                    "Service type": vocab.label("service_types", lot["service_type"]),
                    "Boroughs": ", ".join(areas.name_of(a) for a in lot["areas"])
                    or "every borough",
                    "People a year": lot["capacity_per_year"],
                    "Annual value (£)": None
                    if lot["annual_value_gbp"] is None
                    else float(lot["annual_value_gbp"]),
                    "Starts": lot["start_date"],
                    "Ends": lot["end_date"],
                }
                for lot in plan["lots"]
            ],
            hide_index=True,
            width="stretch",
            column_config={
                "People a year": st.column_config.NumberColumn(format="localized"),
                "Annual value (£)": st.column_config.NumberColumn(format="localized"),
            },
        )
    # cleared after each lot: the next lot starts empty, not with the last one's choices
    with st.form("add_lot", clear_on_submit=True):
        st.write("Add a lot")
        lot_name = st.text_input("Lot name")
        a, b = st.columns(2)
        needs = a.multiselect(
            "Needs", vocab.keys("needs"), format_func=lambda k: vocab.label("needs", k)
        )
        kind = b.selectbox(
            "Service type",
            vocab.keys("service_types"),
            index=None,
            placeholder="Choose a service type",
            format_func=lambda k: vocab.label("service_types", k),
        )
        boroughs = st.multiselect("Boroughs", [x.name for x in areas.areas])
        c, d, e, f = st.columns(4)
        capacity = c.number_input("Capacity (people a year)", min_value=0, step=10)
        value = d.number_input("Annual value (£)", min_value=0, step=1000)
        start = e.date_input("Starts", value=None, format="DD/MM/YYYY")
        end = f.date_input("Ends", value=None, format="DD/MM/YYYY")
        stages = st.multiselect(
            "Stages", vocab.keys("stages"), format_func=lambda k: vocab.label("stages", k)
        )
        if st.form_submit_button("Add lot"):
            try:
                plan_store.add_lot(
                    registry,
                    who,
                    plan["id"],
                    {
                        "name": lot_name,
                        "needs": needs,
                        "service_type": kind,
                        "areas": boroughs,
                        "capacity_per_year": capacity,
                        "annual_value_gbp": value or None,
                        "start_date": start.isoformat() if start else None,
                        "end_date": end.isoformat() if end else None,
                        "stages": stages,
                    },
                )
                st.session_state["plan_done"] = f"Lot “{lot_name}” added."
                st.rerun()
            except PlannerError as exc:
                st.error(str(exc))
    result, diff = cache.scenario(plan)
    st.subheader("Before and after")
    s = diff.summary
    cols = st.columns(4)
    cols[0].metric("Flags closed", s["flags closed"])
    cols[1].metric("Flags opened", s["flags opened"])
    cols[2].metric("More people supported a year", f"{s['extra people supported a year']:,.0f}")
    cost = s["cost per extra person (GBP)"]
    cols[3].metric("Cost per extra person", f"£{cost:,.0f}" if cost else "—")
    if len(diff.closed):
        shown = diff.closed["sentence"].head(10)
        more = len(diff.closed) - len(shown)
        st.markdown(
            "**Closed:**\n"
            + "\n".join(f"- {md(sentence)}" for sentence in shown)
            + (f"\n- and {more} more" if more else "")
        )
    changed = diff.ratios[diff.ratios["change"].fillna(0).abs() > 1e-9]
    st.dataframe(
        changed[
            [
                "area_name",
                "need",
                "tier_label",
                "ratio_before",
                "ratio_after",
                "rag_before",
                "rag_after",
            ]
        ]
        .assign(
            need=lambda f: f["need"].map(lambda n: data.assumptions.needs[n].label),
            rag_before=lambda f: f["rag_before"].str.capitalize(),
            rag_after=lambda f: f["rag_after"].str.capitalize(),
        )
        .rename(
            columns={
                "area_name": "Borough",
                "need": "Need",
                "tier_label": "Tier",
                "ratio_before": "Coverage today",
                "ratio_after": "Coverage with the plan",
                "rag_before": "Status today",
                "rag_after": "Status with the plan",
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "Coverage today": st.column_config.NumberColumn(format="percent"),
            "Coverage with the plan": st.column_config.NumberColumn(format="percent"),
        },
    )
    left, right = st.columns(2)
    with left:
        need = components.need_picker(data, key="plan_need", label="Map of the change for")
    tiers = {t.label: k for k, t in data.assumptions.needs[need].tier_specs.items()}
    tier = tiers[right.selectbox("Tier", list(tiers), key=f"plan_tier_{need}")]
    rows = diff.ratios[(diff.ratios["need"] == need) & (diff.ratios["tier"] == tier)].assign(
        change_pts=lambda f: 100 * f["change"], note="no change or not assessed"
    )
    components.show_map(
        ("plan", cache.stamp(), plan["id"], plan["version"], need, tier),
        lambda: choropleth(
            cache.area_map_layer(),
            rows,
            value_column="change_pts",
            legend="Change in coverage (percentage points)",
            number_format="{:+,.1f}",
            note_column="note",
        ),
        height=420,
        title=f"change in coverage under {plan['name']}",
    )
    st.subheader("Compare plans")
    table = []
    for other in plans:
        _, d = cache.scenario(other)
        table.append({"plan": other["name"], **d.summary})
    compared = pd.DataFrame(table)
    compared.columns = [c[:1].upper() + c[1:] for c in compared.columns]
    st.dataframe(
        compared,
        hide_index=True,
        width="stretch",
        column_config={
            c: st.column_config.NumberColumn(format="localized")
            for c in compared.columns
            if c != "Plan"
        },
    )
    st.subheader("Suggest lots for a budget")
    st.caption(
        "The set of lots that reduces the most unmet need, weighted as below, for the budget: "
        "chosen by a solver (HiGHS), not one gap at a time. Each lot is one borough, a "
        "sub-region or London-wide, at least its service type's minimum viable value; small "
        "tiers are bought sub-regionally or London-wide; capacity beyond a gap gains nothing. "
        "Unit costs and minimum lot values are illustrative until replaced with local prices."
    )
    weights = components.weights_editor(data, key="plan")
    left, right = st.columns(2)
    budget = left.number_input(
        "Budget (£ a year)", min_value=0, max_value=100_000_000, value=2_000_000, step=250_000
    )
    skip_needs = right.multiselect(
        "Needs not to buy for",
        list(data.assumptions.needs),
        format_func=lambda k: data.assumptions.needs[k].label,
        key="plan_skip_needs",
    )
    keys = views.candidate_lots(tuple(skip_needs))
    left, right = st.columns(2)
    pinned = left.multiselect("Lots that must be bought", keys, key="plan_pinned")
    excluded = right.multiselect(
        "Lots not to buy", [k for k in keys if k not in pinned], key="plan_excluded"
    )
    choice = (weights, tuple(pinned), tuple(excluded), tuple(skip_needs))
    advice = views.suggestions(float(budget), *choice)
    lots = advice.lots
    st.write(
        f"**{len(lots)} {'lot' if len(lots) == 1 else 'lots'}.** {advice.budget_note} They meet "
        f"{advice.added_a_year:,.0f} people or families a year of unmet need "
        f"({advice.weighted_reduced:,.0f} weighted)."
    )
    if lots:
        table = advice.table()
        st.dataframe(
            table.drop(columns=["key", "reason", "weighted_added"]).rename(
                columns={
                    "lot": "Lot",
                    "need": "Need",
                    "tier": "Tier",
                    "areas": "Boroughs",
                    "geography": "Geography",
                    "capacity": "Capacity",
                    "unit": "Unit",
                    "annual_value_gbp": "Annual value (£)",
                    "added_a_year": "Need met a year",
                }
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "Annual value (£)": st.column_config.NumberColumn(format="localized"),
                "Need met a year": st.column_config.NumberColumn(format="localized"),
            },
        )
        with st.expander("Why each lot"):
            for lot in lots:
                st.write(f"**{md(lot['name'])}** — {md(lot['rationale'])}")
    left_open = advice.unfunded()
    if len(left_open):
        st.write("**The largest gaps left open**, and what closing them would cost a year:")
        st.dataframe(
            left_open[
                ["rank", "area_name", "need", "tier", "left_unmet", "status", "cost_to_close_gbp"]
            ].rename(
                columns={
                    "rank": "Rank by unmet people",
                    "area_name": "Borough",
                    "need": "Need",
                    "tier": "Tier",
                    "left_unmet": "Left unmet a year",
                    "status": "Status",
                    "cost_to_close_gbp": "Cost to close (£ a year)",
                }
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "Left unmet a year": st.column_config.NumberColumn(format="localized"),
                "Cost to close (£ a year)": st.column_config.NumberColumn(format="localized"),
            },
        )
    if lots and st.button("Add these suggestions to the plan"):
        for lot in lots:
            plan_store.add_lot(registry, who, plan["id"], dict(lot))  # shared: not ours
        st.session_state["plan_done"] = (
            f"{len(lots)} suggested {'lot' if len(lots) == 1 else 'lots'} added to "
            f"“{plan['name']}”."
        )
        st.rerun()
    st.subheader("What each budget buys")
    curve = views.frontier(*choice)
    st.caption(
        "Weighted unmet need reduced a year for budgets from £0.25m to £20m: the best set of "
        "lots at each budget. Where the curve flattens, more money buys less."
    )
    st.line_chart(
        curve.assign(budget_m=curve["budget_gbp"] / 1e6).set_index("budget_m")[
            ["weighted_unmet_reduced"]
        ],
        x_label="Budget (£ million a year)",
        y_label="Weighted unmet need reduced a year",
    )
    st.dataframe(
        curve.rename(
            columns={
                "budget_gbp": "Budget (£ a year)",
                "weighted_unmet_reduced": "Weighted unmet need reduced",
                "added_a_year": "People or families a year",
                "lots": "Lots",
                "spent_gbp": "Spent (£ a year)",
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "Budget (£ a year)": st.column_config.NumberColumn(format="localized"),
            "Spent (£ a year)": st.column_config.NumberColumn(format="localized"),
            "Weighted unmet need reduced": st.column_config.NumberColumn(format="localized"),
            "People or families a year": st.column_config.NumberColumn(format="localized"),
        },
    )
