"""Small pieces every page uses."""

from __future__ import annotations

import re

import streamlit as st

from planner.analysis import Analysis

_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$=])")


def md(text: object) -> str:
    """User text made safe to put in Markdown: every character Markdown (or Streamlit's
    colour, emoji and LaTeX syntax) could act on is escaped, so a service named
    ``[Call us](http://evil.example) ![](http://evil.example/pixel.png)`` shows as those
    characters, never as a link or a remote image."""
    return _MARKDOWN.sub(r"\\\1", "" if text is None else str(text))


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


HEADLINE = "Worst tier (headline)"


def tier_picker(data, need: str, *, key: str, label: str = "Tier") -> str | None:
    """A tier of ``need`` (the first by default: one tier's ratios separate the boroughs), or
    None for the headline (each area's worst tier, where many areas may share 0%)."""
    tiers = {HEADLINE: None} | {
        t.label: k for k, t in data.assumptions.needs[need].tier_specs.items()
    }
    return tiers[st.selectbox(label, list(tiers), index=1, key=f"{key}_{need}")]


MAP_FRAME = "iframe[title='planner.app.mapview.planner_map']"
"""How a test or a benchmark finds a map's frame (the map component's)."""


def show_map(key: tuple, build, *, height: int, title: str) -> None:
    """The map named by ``key[0]`` on this page (it stays loaded across reruns); what it
    shows is read from the folium map ``build()`` makes, once per ``key``, which names
    everything the map depends on (see :func:`planner.app.cache.map_description`)."""
    from planner.app import cache, mapview

    mapview.show(cache.map_description(key, build), key=f"{key[0]}_map", height=height, title=title)


def coverage_map_parts(data, need: str, tier: str | None):
    """The coverage map of ``need`` and ``tier`` (None: each area's worst tier): its cache
    key, its builder and its title (what :func:`show_map` takes)."""
    from planner.app import cache, views

    spec = data.assumptions.needs[need]
    title = f"{spec.label}, " + ("worst tier" if tier is None else spec.tier_specs[tier].label)
    key = ("coverage", cache.stamp(), need, tier, title)
    return key, lambda: coverage_map_of(data, views.map_rows(need, tier), title), title


def coverage_map_of(data, rows, title: str, layer=None):
    """The coverage map (quantile classes, thresholds in the legend) on the app's area layer
    (or ``layer``, fetched beforehand when the map is made off the page's run)."""
    from planner.app import cache
    from planner.maps import coverage_map

    return coverage_map(
        cache.area_map_layer() if layer is None else layer,
        rows,
        title=title,
        red=data.assumptions.threshold("under_provision_red"),
        amber=data.assumptions.threshold("under_provision_amber"),
    )


def area_picker(data, *, key: str, label: str = "Borough", default: str | None = None) -> str:
    names = [a.name for a in data.area_set.areas]
    index = names.index(default) if default in names else 0
    return data.area_set.resolve(st.selectbox(label, names, index=index, key=key))


def _default_weights(a) -> dict[tuple[str, str], float]:
    """(need, "") → the need's weight and (need, tier) → the tier's, as the assumptions say."""
    defaults = {}
    for need, spec in a.needs.items():
        defaults[(need, "")] = a.ranking.weight(need)
        for tier in spec.tier_specs:
            w = a.ranking.tiers.get(need, {}).get(tier)
            defaults[(need, tier)] = 1.0 if w is None else w.weight
    return defaults


def session_weights(data) -> tuple[tuple[str, str, float], ...]:
    """The ranking weights this session changed (on the Plan page) from the assumptions'
    (``planner.app.views.Weights``): what every page's ranking reads."""
    defaults = _default_weights(data.assumptions)
    saved: dict = st.session_state.get("ranking_weights", {})
    return tuple(
        (need, tier, float(w))
        for (need, tier), w in sorted(saved.items())
        if (need, tier) in defaults and w != defaults[(need, tier)]
    )


def weights_editor(data, *, key: str) -> tuple[tuple[str, str, float], ...]:
    """Every need's and tier's ranking weight (0 to 10) as number inputs in an expander,
    starting from this session's weights or the assumptions'. Returns the weights that
    differ from the assumptions (:func:`session_weights`)."""
    from planner.assumptions import MAX_WEIGHT

    a = data.assumptions
    saved: dict = st.session_state.setdefault("ranking_weights", {})
    defaults = _default_weights(a)
    with st.expander("Ranking weights: what one unmet person or family a year counts for"):
        st.caption(
            "A person counts for their need's weight × their tier's weight (0 to 10). "
            f"{a.ranking.rationale} Changes here last for this session and reorder the "
            "Overview's lists too; a commissioner makes them permanent on Data & assumptions."
        )
        for need, spec in a.needs.items():
            columns = st.columns(1 + len(spec.tier_specs))
            cells = [("", spec.label)] + [(k, t.label) for k, t in spec.tier_specs.items()]
            for column, (tier, label) in zip(columns, cells, strict=True):
                saved[(need, tier)] = column.number_input(
                    label if not tier else f"{spec.label}: {label}",
                    min_value=0.0,
                    max_value=MAX_WEIGHT,
                    value=float(saved.get((need, tier), defaults[(need, tier)])),
                    step=0.5,
                    key=f"{key}_w_{need}_{tier}",
                )
        if st.button("Back to the default weights", key=f"{key}_w_reset"):
            saved.clear()
            for k in [k for k in st.session_state if str(k).startswith(f"{key}_w_")]:
                del st.session_state[k]
            st.rerun()
    return session_weights(data)
