"""Folium map builders: GeoDataFrames and tables in, ``folium.Map`` out. No Streamlit here."""

from __future__ import annotations

import math

import branca.colormap as cm
import folium
import geopandas as gpd
import pandas as pd

NO_VALUE_COLOUR = "#bdbdbd"
LONDON_CENTRE = (51.49, -0.11)


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
    shown = numbers.dropna()
    low, high = (float(shown.min()), float(shown.max())) if len(shown) else (0.0, 1.0)
    if high <= low:
        high = low + 1.0
    colours = cm.LinearColormap(
        ["#fff5eb", "#fdae6b", "#e6550d", "#7f2704"], vmin=low, vmax=high, caption=legend
    )
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
            "fillColor": NO_VALUE_COLOUR if missing else colours(value),
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
    colours.add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    fmap.fit_bounds([[b[1], b[0]] for b in (layer.total_bounds[:2], layer.total_bounds[2:])])
    return fmap
