"""Folium map builders: GeoDataFrames and tables in, ``folium.Map`` out. No Streamlit here."""

from __future__ import annotations

import base64
import html
import json
import math
from functools import cache
from importlib.resources import files

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement
from jinja2 import Template

NO_VALUE_COLOUR = "#bdbdbd"
LONDON_CENTRE = (51.49, -0.11)
PALETTE = ("#fff5eb", "#fdd0a2", "#fd8d3c", "#d94801", "#7f2704")
"""Five sequential classes (ColorBrewer Oranges), light = low."""


@cache
def _packaged_leaflet() -> tuple[str, str]:
    """Leaflet's JS and CSS as data URLs, from the ``django-js-lib-leaflet`` wheel (BSD-2)."""
    folder = files("js_lib_leaflet") / "static" / "js_lib_leaflet"
    js = base64.b64encode((folder / "leaflet.js").read_bytes()).decode()
    css_text = (folder / "leaflet.css").read_text(encoding="utf-8")
    for image in ("layers.png", "layers-2x.png", "marker-icon.png"):
        data = base64.b64encode((folder / "images" / image).read_bytes()).decode()
        css_text = css_text.replace(f"images/{image}", f"data:image/png;base64,{data}")
    css = base64.b64encode(css_text.encode()).decode()
    return f"data:text/javascript;base64,{js}", f"data:text/css;base64,{css}"


def self_contained(fmap: folium.Map) -> folium.Map:
    """Make a map load Leaflet from the installed package instead of a CDN.

    The map then renders with no internet (offline deployments, exported HTML, tests) and
    needs no jQuery or Bootstrap: the maps here use only core Leaflet (GeoJSON, tooltips,
    layer control, circle markers). Background tiles still need the network.
    """
    js, css = _packaged_leaflet()
    fmap.default_js = [("leaflet", js)]
    fmap.default_css = [("leaflet_css", css)]
    return fmap


class Legend(MacroElement):
    """A legend drawn as a Leaflet control: plain HTML, no external scripts (works offline)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "planner-legend");
                div.innerHTML = {{ this.html_json }};
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, title: str, entries: list[tuple[str, str]]) -> None:
        super().__init__()
        self._name = "Legend"
        rows = "".join(
            f'<div><span style="display:inline-block;width:14px;height:14px;'
            f"background:{colour};border:1px solid #777;margin-right:6px;"
            f'vertical-align:middle"></span>{html.escape(label)}</div>'
            for colour, label in entries
        )
        box = (
            '<div style="background:white;padding:6px 8px;border-radius:4px;'
            'box-shadow:0 0 4px rgba(0,0,0,.3);font:12px sans-serif;line-height:18px">'
            f"<b>{html.escape(title)}</b>{rows}</div>"
        )
        self.html_json = json.dumps(box)


def class_breaks(values: pd.Series, classes: int = len(PALETTE)) -> list[float]:
    """Upper bounds of equal-interval classes over the values (no breaks for no values)."""
    shown = values.dropna()
    if shown.empty:
        return []
    low, high = float(shown.min()), float(shown.max())
    if high <= low:
        return [high]
    return list(np.linspace(low, high, classes + 1)[1:])


def colour_for(value: float | None, breaks: list[float]) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)) or not breaks:
        return NO_VALUE_COLOUR
    index = int(np.searchsorted(breaks, value, side="left"))
    return PALETTE[min(index, len(PALETTE) - 1)]


def _format(value: float, fmt: str) -> str:
    return (
        "—"
        if value is None or (isinstance(value, float) and math.isnan(value))
        else fmt.format(value)
    )


def choropleth(
    layer: gpd.GeoDataFrame,
    values: pd.DataFrame,
    *,
    value_column: str,
    legend: str,
    number_format: str = "{:,.0f}",
    note_column: str | None = None,
    layer_name: str | None = None,
) -> folium.Map:
    """A choropleth of ``values[value_column]`` joined to ``layer`` on ``area_code``.

    Areas without a value are grey and their tooltip shows ``note_column`` (e.g. "no police
    data (City of London Police area)") instead of a number: never a 0.
    """
    joined = layer[["area_code", "area_name", "geometry"]].merge(
        values, on="area_code", how="left", suffixes=("", "_v")
    )
    numbers = pd.to_numeric(joined[value_column], errors="coerce")
    breaks = class_breaks(numbers)
    text = [
        note if math.isnan(v) and note_column else _format(v, number_format)
        for v, note in zip(
            numbers.fillna(math.nan).astype(float),
            joined[note_column] if note_column else [""] * len(joined),
            strict=True,
        )
    ]
    geo = gpd.GeoDataFrame(
        {
            "area_name": joined["area_name"],
            "shown": text,
            "value": numbers.round(3),
        },
        geometry=joined.geometry,
        crs=layer.crs,
    )
    fmap = folium.Map(
        location=LONDON_CENTRE, zoom_start=10, tiles="OpenStreetMap", control_scale=True
    )

    def style(feature: dict) -> dict:
        value = feature["properties"]["value"]
        missing = value is None or (isinstance(value, float) and math.isnan(value))
        return {
            "fillColor": NO_VALUE_COLOUR if missing else colour_for(value, breaks),
            "color": "#555555",
            "weight": 0.8,
            "fillOpacity": 0.45 if missing else 0.75,
            "dashArray": "4 3" if missing else None,
        }

    folium.GeoJson(
        geo.to_json(drop_id=True),
        name=layer_name or legend,
        style_function=style,
        highlight_function=lambda _f: {"weight": 2.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=["area_name", "shown"], aliases=["", legend], sticky=True
        ),
    ).add_to(fmap)
    lows = [float(numbers.min()), *breaks[:-1]]
    entries = [
        (
            PALETTE[i if len(breaks) > 1 else -1],
            f"{_format(lo, number_format)} to {_format(hi, number_format)}",
        )
        for i, (lo, hi) in enumerate(zip(lows, breaks, strict=True))
    ]
    if numbers.isna().any():
        entries.append((NO_VALUE_COLOUR, "not assessed (see tooltip)"))
    Legend(legend, entries).add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    self_contained(fmap)
    fmap.fit_bounds([[b[1], b[0]] for b in (layer.total_bounds[:2], layer.total_bounds[2:])])
    return fmap


RAG_COLOURS = {
    "red": "#d7301f",
    "amber": "#fdae61",
    "green": "#1a9850",
    "not assessed": "#bdbdbd",
    "no recorded demand": "#f0f0f0",
}


def rag_map(layer: gpd.GeoDataFrame, coverage: pd.DataFrame, *, title: str) -> folium.Map:
    """Areas coloured by RAG status, with the status in words in the tooltip and legend."""
    joined = layer[["area_code", "area_name", "geometry"]].merge(
        coverage[["area_code", "rag", "rag_words", "ratio", "estimated", "capacity"]],
        on="area_code",
        how="left",
    )
    joined["coverage"] = ["—" if pd.isna(r) else f"{r:.0%}" for r in joined["ratio"]]
    joined["need_text"] = ["—" if pd.isna(e) else f"{e:,.0f} a year" for e in joined["estimated"]]
    joined["capacity_text"] = [
        f"{c:,.0f} a year" if pd.notna(c) else "—" for c in joined["capacity"]
    ]
    geo = gpd.GeoDataFrame(
        joined[["area_name", "rag", "rag_words", "coverage", "need_text", "capacity_text"]],
        geometry=joined.geometry,
        crs=layer.crs,
    )
    fmap = folium.Map(
        location=LONDON_CENTRE, zoom_start=10, tiles="OpenStreetMap", control_scale=True
    )
    folium.GeoJson(
        geo.to_json(drop_id=True),
        name=title,
        style_function=lambda f: {
            "fillColor": RAG_COLOURS.get(f["properties"]["rag"], "#bdbdbd"),
            "color": "#444444",
            "weight": 0.8,
            "fillOpacity": 0.75,
        },
        highlight_function=lambda _f: {"weight": 2.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=["area_name", "rag_words", "coverage", "need_text", "capacity_text"],
            aliases=["", "Status", "Coverage", "Estimated need", "Capacity"],
            sticky=True,
        ),
    ).add_to(fmap)
    present = [r for r in RAG_COLOURS if r in set(joined["rag"].dropna())]
    from planner.coverage.text import RAG_WORDS

    Legend(title, [(RAG_COLOURS[r], RAG_WORDS[r]) for r in present]).add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    self_contained(fmap)
    fmap.fit_bounds([[b[1], b[0]] for b in (layer.total_bounds[:2], layer.total_bounds[2:])])
    return fmap


def sites_map(layer: gpd.GeoDataFrame, sites: pd.DataFrame, *, title: str) -> folium.Map:
    """Service sites as circles over area outlines. Confidential sites are never points: they
    are counted in their area's tooltip instead."""
    confidential = sites[sites["confidential"].astype(bool)].groupby("area_code").size()
    outline = layer[["area_code", "area_name", "geometry"]].copy()
    outline["confidential_sites"] = outline["area_code"].map(confidential).fillna(0).astype(int)
    fmap = folium.Map(
        location=LONDON_CENTRE,
        zoom_start=10,
        tiles="OpenStreetMap",
        control_scale=True,
        prefer_canvas=True,
    )
    folium.GeoJson(
        outline.to_json(drop_id=True),
        name="Areas",
        style_function=lambda _f: {
            "fillColor": "#ffffff",
            "color": "#555555",
            "weight": 0.8,
            "fillOpacity": 0.1,
        },
        tooltip=folium.GeoJsonTooltip(
            fields=["area_name", "confidential_sites"],
            aliases=["", "Confidential sites (not shown)"],
        ),
    ).add_to(fmap)
    group = folium.FeatureGroup(name=title).add_to(fmap)
    shown = sites[~sites["confidential"].astype(bool) & sites["latitude"].notna()]
    for row in shown.itertuples(index=False):
        folium.CircleMarker(
            location=(round(row.latitude, 5), round(row.longitude, 5)),
            radius=5,
            color="#08519c",
            fill=True,
            fill_opacity=0.8,
            weight=1,
            tooltip=html.escape(f"{row.service_name} ({row.site_name or 'site'})"),
        ).add_to(group)
    Legend(
        title,
        [
            ("#08519c", "a face-to-face site"),
            ("#ffffff", "confidential sites: counted per area, never shown"),
        ],
    ).add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    self_contained(fmap)
    fmap.fit_bounds([[b[1], b[0]] for b in (layer.total_bounds[:2], layer.total_bounds[2:])])
    return fmap
