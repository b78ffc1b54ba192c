"""Small pieces every page uses."""

from __future__ import annotations

import streamlit as st

from planner.analysis import Analysis


def demo_banner(analysis: Analysis) -> None:
    if analysis.demo:
        st.info(
            "Demonstration data: the services shown come from a fictional registry "
            "(data/demo_registry.toml). Demand figures are real.",
            icon="ℹ️",
        )


def need_picker(data, *, key: str, label: str = "Need") -> str:
    labels = {spec.label: need for need, spec in data.assumptions.needs.items()}
    return labels[st.selectbox(label, list(labels), key=key)]


def area_picker(data, *, key: str, label: str = "Borough", default: str | None = None) -> str:
    names = [a.name for a in data.area_set.areas]
    index = names.index(default) if default in names else 0
    return data.area_set.resolve(st.selectbox(label, names, index=index, key=key))
