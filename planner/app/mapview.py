"""The app's maps: one Leaflet map per place on a page that stays loaded across reruns.

The maps are built with folium (:mod:`planner.maps`, which the exports also use); here a
folium map is read into a plain description (shapes with each one's style and tooltip,
points, the legend, the view) and sent to a small component (``map_frontend/index.html``).
When the shapes are the ones already drawn, the component changes only colours, tooltips and
the legend: switching the need on a map repaints it in place instead of loading a new page
with Leaflet in it (issue 14). The component's folder is put together once in the cache
folder, with Leaflet from the installed ``django-js-lib-leaflet`` package (no CDN: it works
offline).
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import shutil
import tempfile
from importlib.resources import files
from pathlib import Path

import folium
import streamlit as st
from folium.features import GeoJsonTooltip

from planner.maps import Legend

TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
ATTRIBUTION = "&copy; OpenStreetMap contributors"


def _sources() -> dict[str, bytes]:
    """The component's files: its page with Leaflet's script and style written into it (one
    request when a map appears, not three), and Leaflet's images beside it."""
    leaflet = files("js_lib_leaflet") / "static" / "js_lib_leaflet"
    page = (files("planner.app") / "map_frontend" / "index.html").read_text(encoding="utf-8")
    script = (leaflet / "leaflet.js").read_text(encoding="utf-8").replace("</script", "<\\/script")
    style = (leaflet / "leaflet.css").read_text(encoding="utf-8")
    page = page.replace('<link rel="stylesheet" href="leaflet.css">', f"<style>{style}</style>")
    page = page.replace('<script src="leaflet.js"></script>', f"<script>{script}</script>")
    out = {"index.html": page.encode("utf-8")}
    for image in ("layers.png", "layers-2x.png", "marker-icon.png"):
        out[f"images/{image}"] = (leaflet / "images" / image).read_bytes()
    return out


def frontend_folder(cache_dir: Path) -> Path:
    """The component's files in ``cache_dir`` (written once per version of them)."""
    sources = _sources()
    digest = hashlib.blake2b(digest_size=8)
    for name, content in sorted(sources.items()):
        digest.update(name.encode() + b"\0" + content)
    folder = cache_dir / "map_frontend" / digest.hexdigest()
    if (folder / "index.html").is_file():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=".writing-", dir=folder.parent))
    for name, content in sources.items():
        (temporary / name).parent.mkdir(parents=True, exist_ok=True)
        (temporary / name).write_bytes(content)
    try:
        os.rename(temporary, folder)
    except OSError:  # another process put it there first
        shutil.rmtree(temporary, ignore_errors=True)
    return folder


@st.cache_resource(show_spinner=False)
def _component(folder: str):
    import streamlit.components.v1 as components

    return components.declare_component("planner_map", path=folder)


def _tooltip_table(tooltip: GeoJsonTooltip, properties: dict) -> str:
    rows = []
    for field, alias in zip(tooltip.fields, tooltip.aliases, strict=True):
        value = html.escape(str(properties.get(field, "")))
        head = f"<th>{html.escape(alias)}</th>" if alias else "<th></th>"
        rows.append(f"<tr>{head}<td>{value}</td></tr>")
    return f"<table>{''.join(rows)}</table>"


def describe(fmap: folium.Map) -> dict:
    """A folium map as the component's description: the first GeoJSON layer's shapes with
    each feature's style and tooltip (as folium would draw them), circle markers, the
    legend's HTML and the view. Text from the data is escaped here."""
    shapes, points, legend, bounds = None, [], "", None
    canvas = bool(fmap.options.get("preferCanvas") or fmap.options.get("prefer_canvas"))

    def walk(element) -> None:
        nonlocal shapes, legend, bounds
        for child in element._children.values():
            if isinstance(child, folium.GeoJson) and shapes is None:
                shapes = _shapes(child)
            elif isinstance(child, folium.CircleMarker):
                tip = next(
                    (c.text for c in child._children.values() if isinstance(c, folium.Tooltip)),
                    None,
                )
                lat, lng = child.location
                style = {k: v for k, v in child.options.items() if v is not None}
                points.append({"lat": lat, "lng": lng, "style": style, "tooltip": tip})
            elif isinstance(child, Legend):
                legend = json.loads(child.html_json)
            elif isinstance(child, folium.FitBounds):
                bounds = child.bounds
            if not isinstance(child, folium.GeoJson):
                walk(child)

    walk(fmap)
    if shapes is None:
        shapes = _shapes(folium.GeoJson({"type": "FeatureCollection", "features": []}))
    return {
        "centre": list(fmap.location),
        "zoom": fmap.options.get("zoom", 10),
        "tiles": TILES,
        "attribution": ATTRIBUTION,
        "canvas": canvas,
        "shapes": shapes,
        "points": points,
        "legend": legend,
        "bounds": bounds,
    }


def _shapes(layer: folium.GeoJson) -> dict:
    """The layer's geometry (a FeatureCollection without properties, named by its checksum:
    the component fetches it once, the browser keeps it) and each feature's style and
    tooltip, in the same order."""
    style = getattr(layer, "style_function", None)
    highlight = getattr(layer, "highlight_function", None)
    tooltip = next((c for c in layer._children.values() if isinstance(c, GeoJsonTooltip)), None)
    features = layer.data["features"]
    geometry = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {"type": "Feature", "geometry": f["geometry"], "properties": {}} for f in features
            ],
        },
        separators=(",", ":"),
    )
    return {
        "key": hashlib.blake2b(geometry.encode(), digest_size=12).hexdigest(),
        "geometry": geometry,
        "styles": [style(f) if style else {} for f in features],
        "tooltips": [_tooltip_table(tooltip, f["properties"]) if tooltip else "" for f in features],
        "highlight": highlight({}) if highlight else None,
    }


def _write_once(path: Path, text: str) -> None:
    if path.is_file():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".writing-", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(text)
    os.replace(temporary, path)


def show(description: dict, *, key: str, height: int, title: str) -> None:
    """Draw (or repaint) the map named ``key`` on this page. The shapes travel as a file in
    the component's folder (fetched once per set of shapes); each rerun sends only the
    colours, tooltips, points and legend."""
    from planner.app import cache

    shapes = description["shapes"]
    try:
        folder = frontend_folder(cache.planner_data().cache_dir)
        _write_once(folder / "shapes" / f"{shapes['key']}.json", shapes["geometry"])
    except OSError:  # an unwritable cache folder: the system's temporary folder instead
        folder = frontend_folder(Path(tempfile.gettempdir()) / f"planner-{os.getuid()}")
        _write_once(folder / "shapes" / f"{shapes['key']}.json", shapes["geometry"])
    spec = {**description, "shapes": {k: v for k, v in shapes.items() if k != "geometry"}}
    _component(str(folder))(spec=spec, height=height, title=title, key=key, default=None)
