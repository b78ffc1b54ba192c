"""Cached loading for the app: heavy work once per data folder, small hashable keys."""

from __future__ import annotations

from contextlib import contextmanager

import pandas as pd
import streamlit as st

from planner.datasets import PlannerData, load_planner_data
from planner.demand import demand_table
from planner.errors import PlannerError
from planner.settings import load_settings
from planner.sources.boundaries import map_layer
from planner.sources.fetch import load_manifest


@contextmanager
def shown_errors():
    """Show a PlannerError as a readable message and stop the page; never a traceback."""
    try:
        yield
    except PlannerError as exc:
        st.error(str(exc))
        st.stop()


def _data_key() -> str:
    return str(load_settings().data_dir)


@st.cache_resource(show_spinner="Loading the official data files…")
def _planner_data(data_key: str) -> PlannerData:
    return load_planner_data(load_settings())


def planner_data() -> PlannerData:
    return _planner_data(_data_key())


@st.cache_data(show_spinner=False)
def demand(period_end: str | None, data_key: str) -> pd.DataFrame:
    data = _planner_data(data_key)
    return demand_table(
        data.series,
        data.population,
        data.area_set.to_frame(),
        data.assumptions,
        period_end=period_end,
    )


@st.cache_resource(show_spinner=False)
def _map_layer(data_key: str):
    return map_layer(_planner_data(data_key).boundaries)


def area_map_layer():
    return _map_layer(_data_key())


@st.cache_data(show_spinner=False)
def attributions() -> list[str]:
    files = load_manifest(load_settings().sources_manifest)
    return list(dict.fromkeys(f.attribution for f in files))
