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

    def __init__(self, title: str, entries: list[tuple[str, str]], note: str = "") -> None:
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
            f"<b>{html.escape(title)}</b>{rows}"
            + (
                f'<div style="max-width:260px;white-space:normal;margin-top:4px">'
                f"{html.escape(note)}</div>"
                if note
                else ""
            )
            + "</div>"
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
            fields=["area_name", "shown"], aliases=["", legend], sticky=True, style=TOOLTIP_STYLE
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


COVERAGE_PALETTE = ("#54278f", "#756bb1", "#9e9ac8", "#cbc9e2", "#f2f0f7")
"""Five classes of coverage, lowest darkest (ColorBrewer Purples, reversed): a hue of its own,
so a class colour is never read as a red/amber/green status."""
LEGEND_ROOM_PX = 290
"""The legend's width and margin: the map keeps this much room on its right for it."""
TOOLTIP_STYLE = "white-space: normal; max-width: 320px; font-size: 12px;"
"""Leaflet tooltips do not wrap by default, so long words were cut off at the map's edge."""


def quantile_breaks(values: pd.Series, classes: int = len(COVERAGE_PALETTE)) -> list[float]:
    """Upper bounds of up to ``classes`` quantile classes of the values as they are shown
    (whole percentages), so that each class holds about as many areas, no two classes share
    a label, and tied values make fewer classes."""
    from planner.coverage.thresholds import percent

    shown = pd.Series(percent(values.dropna().astype(float).to_numpy()))
    if shown.empty:
        return []
    shown = shown.round(0)
    cuts = np.quantile(shown, np.linspace(0, 1, classes + 1)[1:], method="inverted_cdf")
    # a bound is a shown value; as a ratio it is the largest ratio shown at that percentage
    return [float(c) / 100 for c in sorted(set(cuts))]


def _pct(value: float) -> str:
    from planner.coverage.thresholds import percent

    return f"{percent(value):,.0f}%"


def coverage_map(
    layer: gpd.GeoDataFrame,
    rows: pd.DataFrame,
    *,
    title: str,
    red: float,
    amber: float,
) -> folium.Map:
    """Areas coloured by quantile classes of their coverage ratio, so boroughs separate even
    when every one is red (BRIEF §4.1); the red/amber thresholds are numbers in the legend and
    the status stays in words in the tooltip.

    ``rows``: area_code, rag, rag_words, ratio, estimated, capacity, and optionally tier_label
    (or worst_tier_label), unit, ratio_low, ratio_high, uncertain.
    """
    columns = ["area_code", "rag", "rag_words", "ratio", "estimated", "capacity"]
    optional = ["tier_label", "worst_tier_label", "unit", "ratio_low", "ratio_high", "uncertain"]
    columns += [c for c in optional if c in rows]
    joined = layer[["area_code", "area_name", "geometry"]].merge(
        rows[columns], on="area_code", how="left"
    )
    unit = joined["unit"] if "unit" in joined else pd.Series("people a year", index=joined.index)
    unit = unit.fillna("people a year")

    def coverage_text(i: int) -> str:
        r = joined.at[i, "ratio"]
        if pd.isna(r):
            return "—"
        text = _pct(r)
        if "ratio_low" in joined and pd.notna(joined.at[i, "ratio_low"]):
            lo, hi = joined.at[i, "ratio_low"], joined.at[i, "ratio_high"]
            if _pct(lo) != _pct(hi):
                text += f" (range {_pct(lo)} to {_pct(hi)})"
        return text

    status = joined["rag_words"].fillna("No figure")
    if "uncertain" in joined:
        status = status + np.where(
            joined["uncertain"].fillna(False).astype(bool), " (uncertain within the range)", ""
        )
    tier = joined.get("tier_label", joined.get("worst_tier_label"))
    joined["tier_text"] = tier.fillna("—") if tier is not None else "—"
    joined["status_text"] = status
    joined["coverage"] = [coverage_text(i) for i in joined.index]
    joined["need_text"] = [
        "—" if pd.isna(e) else f"{e:,.1f} {u}" if e < 10 else f"{e:,.0f} {u}"
        for e, u in zip(joined["estimated"], unit, strict=True)
    ]
    joined["capacity_text"] = [
        "—" if pd.isna(c) else f"{c:,.1f}" if 0 < c < 10 else f"{c:,.0f}"
        for c in joined["capacity"]
    ]
    ratio = pd.to_numeric(joined["ratio"], errors="coerce")
    breaks = quantile_breaks(ratio)
    palette = COVERAGE_PALETTE if len(breaks) > 2 else COVERAGE_PALETTE[:: 4 // max(len(breaks), 1)]

    from planner.coverage.thresholds import percent

    shown = pd.Series(np.round(percent(ratio.to_numpy(dtype=float))) / 100, index=ratio.index)
    shown_breaks = np.round(np.array(breaks) * 100) / 100

    def class_of(value: float) -> int:
        return int(np.searchsorted(shown_breaks, value - 1e-9, side="left"))

    def colour(value: float) -> str:
        if pd.isna(value) or not breaks:
            return NO_VALUE_COLOUR
        return palette[min(class_of(value), len(palette) - 1)]

    joined["fill"] = [colour(v) for v in shown]
    fields = ["area_name", "status_text", "tier_text", "coverage", "need_text", "capacity_text"]
    geo = gpd.GeoDataFrame(joined[[*fields, "fill"]], geometry=joined.geometry, crs=layer.crs)
    fmap = folium.Map(
        location=LONDON_CENTRE, zoom_start=10, tiles="OpenStreetMap", control_scale=True
    )
    folium.GeoJson(
        geo.to_json(drop_id=True),
        name=title,
        style_function=lambda f: {
            "fillColor": f["properties"]["fill"],
            "color": "#444444",
            "weight": 0.8,
            "fillOpacity": 0.8,
        },
        highlight_function=lambda _f: {"weight": 2.5, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=fields,
            aliases=["", "Status", "Tier", "Coverage", "Estimated need", "Capacity"],
            sticky=True,
            style=TOOLTIP_STYLE,
        ),
    ).add_to(fmap)
    classes_of = np.array([class_of(v) if pd.notna(v) else -1 for v in shown])
    entries, note = _coverage_legend(ratio, classes_of, palette, red=red, amber=amber)
    Legend(f"{title}: coverage", entries, note=note).add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    self_contained(fmap)
    # room on the right for the legend, so that it never hides an area
    fmap.fit_bounds(
        [[b[1], b[0]] for b in (layer.total_bounds[:2], layer.total_bounds[2:])],
        padding_bottom_right=(LEGEND_ROOM_PX, 0),
    )
    return fmap


def _coverage_legend(ratio: pd.Series, classes_of: np.ndarray, palette, *, red, amber):
    """The legend's entries (each class's shown range and its count of areas; no two alike)
    and its note, which says truthfully whether the classes are of about equal size."""
    entries, sizes = [], []
    for i in range(int(classes_of.max(initial=-1)) + 1):
        inside = ratio[classes_of == i]
        if inside.empty:
            continue
        lo, hi = _pct(inside.min()), _pct(inside.max())
        label = hi if lo == hi else f"{lo} to {hi}"
        sizes.append(len(inside))
        count = f"{len(inside)} area" + ("" if len(inside) == 1 else "s")
        entries.append((palette[min(i, len(palette) - 1)], f"{label} ({count})"))
    if ratio.isna().any():
        entries.append((NO_VALUE_COLOUR, "no figure: not assessed or no demand (see tooltip)"))
    even = bool(sizes) and max(sizes) <= 2 * min(sizes)
    classes = (
        "Classes hold about equal numbers of areas."
        if even
        else f"{len(sizes)} {'class' if len(sizes) == 1 else 'classes'} by rank of coverage; "
        "areas with the same shown percentage share a class, so classes differ in size."
    )
    note = (
        f"{classes} Status: red below {_pct(red)}, amber "
        f"{_pct(red)} to below {_pct(amber)}, green {_pct(amber)} and over."
    )
    return entries, note


def colour_classes(fmap_rows: pd.DataFrame) -> int:
    """How many colour classes :func:`coverage_map` draws for these rows."""
    return len(quantile_breaks(pd.to_numeric(fmap_rows["ratio"], errors="coerce")))


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
