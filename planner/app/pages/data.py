"""Data & assumptions: each dataset with rows, period, source and licence; the assumptions
with their sources, which a commissioner can change (the change is kept and shown in exports)."""

import datetime as dt
import re

import streamlit as st

from planner import words
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
                "Dataset": r.name,
                "Rows": r.rows,
                "Period": r.period,
                "Problems": "; ".join(r.problems) or "none",
                "Files": r.files,
                "Source and licence": r.attribution,
            }
            for r in cache.data_check()
        ],
        hide_index=True,
        width="stretch",
    )
    data = cache.planner_data()
    st.subheader("Assumptions")
    st.caption(f"File: {settings.assumptions_file} · edited by {data.assumptions.meta.edited_by}")
    st.dataframe(words.assumption_rows(data.assumptions), hide_index=True, width="stretch")
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
                f"Ranking weight: {spec.label}": ("ranking", "needs", need, "weight")
                for need, spec in needs.items()
            }
        )
        options.update(
            {
                f"Ranking weight: {spec.label}, {spec.tier_specs[key].label}": (
                    ("ranking", "tiers", need, key, "weight")
                )
                for need, spec in needs.items()
                for key in data.assumptions.ranking.tiers.get(need, {})
            }
        )
        options.update(
            {
                f"Threshold: {words.humanise(key).lower()}": ("thresholds", key, "value")
                for key in data.assumptions.thresholds
            }
        )
        label = st.selectbox("Assumption", list(options), key="assumption_pick")
        current = _current(data.assumptions, options[label])
        path = options[label]
        share = any(p in ("reporting_rate", "take_up_share") for p in path)
        with st.form("assumption"):
            value = st.number_input(
                "New value (now " + f"{float(current):g})",
                value=float(current),
                min_value=0.0,
                max_value=1.0 if share else None,
                format="%.4f",
                help="A share between 0 and 1" if share else "0 or more",
                key=f"value_{label}",
            )
            why = st.text_input("Why (kept with the change)")
            if st.form_submit_button("Save the change"):
                try:
                    when = dt.date.today().isoformat()
                    text = edited_assumptions(
                        settings.assumptions_file,
                        {path: value},
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
                    # the checker's reasons, without the file advice (the form is the fix)
                    reasons = [
                        re.sub(
                            r"\b[a-z]+(?:_[a-z]+)+\b",
                            lambda m: words.humanise(m.group()).lower(),
                            line.strip(" -").split(": ", 1)[-1].removeprefix("Value error, "),
                        )
                        for line in str(exc).splitlines()
                        if line.startswith("  - ")
                    ]
                    st.error(
                        f"{label} cannot be {value:g}: {'; '.join(reasons) or exc}. "
                        "Nothing was saved."
                    )
