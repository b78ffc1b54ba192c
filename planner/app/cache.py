"""Cached loading for the app: heavy work once, keyed by small hashable inputs.

Data and the registry connection are resources (one per data folder / database). The analysis
is keyed by the registry's analysis stamp (its newest audit entry that the analysis reads), so
an approval or an edit brings a fresh analysis while filters on a page, a new plan or a new
user never recompute it. What a page derives from the analysis (summaries, a map's HTML) is
cached the same way with :func:`per_analysis`, so a click that changes only a picker costs
the picker's table, not the analysis or the map's rendering.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import contextmanager
from typing import TypeVar

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from planner.analysis import Analysis, analyse_registry, demand_for
from planner.datasets import PlannerData, load_planner_data, load_small_areas
from planner.errors import PlannerError
from planner.registry.auth import Actor
from planner.registry.service import Registry
from planner.settings import load_settings
from planner.sources.boundaries import load_lsoa_boundaries, map_layer
from planner.sources.fetch import load_manifest


@contextmanager
def shown_errors():
    """Show a PlannerError as a readable message and stop the page; never a traceback."""
    try:
        yield
    except PlannerError as exc:
        st.error(str(exc))
        st.stop()
    except SQLAlchemyError as exc:  # the database failed mid-page: rolled back, one sentence
        from planner.registry.db import database_failure

        st.error(str(database_failure(None, exc)))
        st.stop()


def data_key() -> str:
    return str(load_settings().data_dir)


def db_key() -> str:
    return load_settings().database_url or ""


@st.cache_resource(show_spinner="Loading the official data files…")
def _planner_data(key: str) -> PlannerData:
    return load_planner_data(load_settings())


def planner_data() -> PlannerData:
    return _planner_data(data_key())


@st.cache_resource(show_spinner="Opening the registry…")
def _registry(data: str, database: str) -> Registry:
    from planner.registry.setup import open_registry

    return open_registry(load_settings())


def registry() -> Registry:
    return _registry(data_key(), db_key())


@st.cache_data(show_spinner=False)
def demand(period_end: str | None, key: str) -> pd.DataFrame:
    return demand_for(_planner_data(key), period_end)


@st.cache_data(show_spinner=False)
def trend(key: str) -> pd.DataFrame:
    from planner.demand import trend_table

    data = _planner_data(key)
    return trend_table(data.series, data.area_set.to_frame())


@st.cache_resource(show_spinner=False)
def _small_areas(key: str) -> pd.DataFrame:
    data = _planner_data(key)
    return load_small_areas(data.data_dir, data.area_set, data.cache_dir)


@st.cache_resource(max_entries=4, show_spinner="Running the coverage analysis…")
def _analysis(data: str, database: str, stamp: int) -> Analysis:
    return analyse_registry(
        _planner_data(data),
        _registry(data, database),
        small_areas=_small_areas(data),
        demand=demand(None, data),
    )


T = TypeVar("T")


@st.cache_resource(max_entries=256, show_spinner=False)
def _derived(name: str, data: str, database: str, stamp: int, args: tuple, kwargs: tuple):
    fn = _PER_ANALYSIS[name]
    return fn(_analysis(data, database, stamp), _planner_data(data), *args, **dict(kwargs))


_PER_ANALYSIS: dict[str, Callable] = {}


def per_analysis(fn: Callable[..., T]) -> Callable[..., T]:
    """``fn(analysis, data, *args)`` computed once per analysis stamp and arguments (which
    must be hashable); callers get the shared result and must not modify it."""
    name = f"{fn.__module__}.{fn.__qualname__}"
    _PER_ANALYSIS[name] = fn

    @functools.wraps(fn)
    def call(*args, **kwargs) -> T:
        return _derived(name, data_key(), db_key(), stamp(), args, tuple(sorted(kwargs.items())))

    return call


@st.cache_resource(max_entries=64, show_spinner=False)
def _map_description(key: tuple, _build: Callable) -> dict:
    from planner.app.mapview import describe

    return describe(_build())


def map_description(key: tuple, build: Callable) -> dict:
    """A folium map read into what the app's map component draws, once per ``key``, which
    must name everything the map shows (the analysis stamp, the need, the plan version…):
    ``build()`` makes the map."""
    return _map_description((data_key(), db_key(), *key), build)


@st.cache_resource(max_entries=16, show_spinner=False)
def _services(
    data: str, database: str, full_stamp: int, statuses: tuple | None, who: Actor
) -> list[dict]:
    return _registry(data, database).services(
        statuses=list(statuses) if statuses else None, actor=who
    )


def services(statuses: list[str] | None, who: Actor) -> list[dict]:
    """The registry's service records as ``who`` may see them (shared: do not modify), read
    again only after a change to the registry."""
    full = registry().stamp()
    return _services(data_key(), db_key(), full, tuple(statuses) if statuses else None, who)


EVERY_STATUS = ("approved", "submitted", "draft", "archived")


@st.cache_resource(max_entries=4, show_spinner=False)
def _oruk(data: str, database: str, full_stamp: int, who: Actor) -> tuple[str, list]:
    import json

    from planner.registry.oruk_export import oruk_export

    reg = _registry(data, database)
    payload, problems = oruk_export(
        _services(data, database, full_stamp, EVERY_STATUS, who),  # the Services page's
        reg.organisations().to_dict("records"),
        reg.context,
        _planner_data(data).assumptions,
    )
    return json.dumps(payload, indent=1), problems


def oruk_json(who: Actor) -> tuple[str, list]:
    """The registry as ``who`` may see it, as Open Referral UK JSON, and the problems that
    stop it."""
    return _oruk(data_key(), db_key(), registry().stamp(), who)


def stamp() -> int:
    """The registry's analysis stamp: changes when anything the analysis reads changes."""
    return registry().stamp(analysis=True)


@st.cache_resource(max_entries=64, show_spinner=False)
def _scenario(data: str, database: str, stamp: int, plan_id: str, version: int, _plan: dict):
    from planner.analysis import plan_scenario

    base = _analysis(data, database, stamp)
    return plan_scenario(base, _planner_data(data).assumptions, _plan)


def scenario(plan: dict):
    """A plan's scenario against today's analysis, computed once per plan version and
    registry stamp (the Plan page shows one per plan on every rerun)."""
    return _scenario(data_key(), db_key(), stamp(), plan["id"], plan["version"], plan)


def analysis() -> Analysis:
    """The current analysis: recomputed only when the registry has changed."""
    return _analysis(data_key(), db_key(), stamp())


@st.cache_resource(show_spinner=False)
def _map_layer(key: str):
    return map_layer(_planner_data(key).boundaries)


def area_map_layer():
    return _map_layer(data_key())


@st.cache_resource(show_spinner="Preparing small-area boundaries…")
def _lsoa_layer(key: str):
    data = _planner_data(key)
    return map_layer(
        load_lsoa_boundaries(data.data_dir, data.area_set).rename(
            columns={"lsoa_name": "area_name", "area_code": "borough", "lsoa_code": "area_code"}
        ),
        tolerance_m=15.0,
    )


def lsoa_map_layer():
    return _lsoa_layer(data_key())


@st.cache_data(max_entries=4, show_spinner="Checking the data files…")
def _data_check(key: str, files: tuple) -> list:
    from planner.datasets import check_data

    return check_data(load_settings())


def data_check() -> list:
    """Each dataset's rows, period and problems, checked again when a file changes."""
    from planner.memo import signature

    settings = load_settings()
    return _data_check(data_key(), signature([settings.data_dir, settings.assumptions_file]))


@st.cache_data(show_spinner=False)
def attributions() -> list[str]:
    files = load_manifest(load_settings().sources_manifest)
    return list(dict.fromkeys(f.attribution for f in files))


def clear_after_change() -> None:
    """After a change to the registry: the analysis is keyed by the stamp; only the small
    per-page data caches need clearing."""
    st.cache_data.clear()
