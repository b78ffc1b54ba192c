"""Data & assumptions: each dataset with rows, period, source and licence; the assumptions
with their sources, which a commissioner can change (the change is kept and shown in exports)."""

import datetime as dt

import streamlit as st

from planner.app import cache, state
from planner.assumptions_edit import edited_assumptions
from planner.errors import PlannerError
from planner.settings import edited_assumptions_file, load_settings


def _current(assumptions, path: tuple[str, ...]) -> float:
    """The value now at ``path`` in the assumptions (what the form starts from)."""
    node = assumptions.model_dump()
    for part in path:
        node = node[part]
    return node


st.title("Data & assumptions")
with cache.shown_errors():
    settings = load_settings()
    st.subheader("Datasets")
    st.caption(f"Data folder: {settings.data_dir} ({settings.data_dir_source})")
    st.dataframe(
        [
            {
                "dataset": r.name,
                "rows": r.rows,
                "period": r.period,
                "problems": "; ".join(r.problems) or "none",
                "files": r.files,
                "source and licence": r.attribution,
            }
            for r in cache.data_check()
        ],
        hide_index=True,
        width="stretch",
    )
    data = cache.planner_data()
    st.subheader("Assumptions")
    st.caption(f"File: {settings.assumptions_file} · edited by {data.assumptions.meta.edited_by}")
    st.dataframe(data.assumptions.table(), hide_index=True, width="stretch")
    who = state.actor()
    if who.manages:
        st.subheader("Change an assumption")
        needs = data.assumptions.needs
        options = {
            f"{spec.label}: reporting rate": ("needs", need, "reporting_rate", "value")
            for need, spec in needs.items()
        }
        options.update(
            {
                f"{spec.label}: take-up share": ("needs", need, "take_up_share", "value")
                for need, spec in needs.items()
            }
        )
        options.update(
            {
                f"{spec.label}, {tier.label}: rate ({tier.unit} per "
                f"{tier.per:,.0f} of the basis)": ("needs", need, "tiers", key, "rate", "value")
                for need, spec in needs.items()
                for key, tier in spec.tiers.items()
            }
        )
        options.update(
            {
                f"Ranking weight: {spec.label}": ("ranking", "weights", need)
                for need, spec in needs.items()
            }
        )
        options.update(
            {
                f"Threshold: {key}": ("thresholds", key, "value")
                for key in data.assumptions.thresholds
            }
        )
        label = st.selectbox("Assumption", list(options), key="assumption_pick")
        current = _current(data.assumptions, options[label])
        with st.form("assumption"):
            value = st.number_input(
                "New value", value=float(current), format="%.4f", key=f"value_{label}"
            )
            why = st.text_input("Why (kept with the change)")
            if st.form_submit_button("Save the change"):
                try:
                    when = dt.date.today().isoformat()
                    text = edited_assumptions(
                        settings.assumptions_file,
                        {options[label]: value},
                        editor=f"{who.username} ({why or 'no reason given'})",
                        when=when,
                    )
                    target = edited_assumptions_file()
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_text(text, encoding="utf-8")
                    st.cache_resource.clear()
                    st.cache_data.clear()
                    st.success(f"Saved to {target}. The analysis and exports now use it.")
                except PlannerError as exc:
                    st.error(str(exc))
