"""The app's map component: a folium map read into what the component draws (issue 14)."""

import json

import pandas as pd
import pytest

from planner.app.mapview import describe, frontend_folder
from planner.maps import COVERAGE_PALETTE, NO_VALUE_COLOUR, choropleth, coverage_map, sites_map
from planner.sources.boundaries import load_area_boundaries, map_layer


@pytest.fixture(scope="module")
def layer(data_dir, area_set):
    return map_layer(load_area_boundaries(data_dir, area_set))


def _rows(area_set, ratios):
    frame = area_set.to_frame()[["area_code"]].copy()
    frame["ratio"] = ratios
    frame["rag"] = ["red" if r < 0.5 else "green" for r in ratios]
    frame["rag_words"] = frame["rag"].str.capitalize()
    frame["estimated"] = 1000.0
    frame["capacity"] = frame["ratio"] * 1000
    return frame


def test_a_coverage_map_is_described_as_folium_draws_it(layer, area_set):
    ratios = [i / 40 for i in range(33)]
    fmap = coverage_map(layer, _rows(area_set, ratios), title="Domestic abuse", red=0.5, amber=0.8)
    spec = describe(fmap)
    shapes = spec["shapes"]
    geometry = json.loads(shapes["geometry"])
    assert len(geometry["features"]) == len(shapes["styles"]) == len(shapes["tooltips"]) == 33
    # the same style folium computes for each feature, in the same order
    folium_layer = next(c for c in fmap._children.values() if type(c).__name__ == "GeoJson")
    for feature, style in zip(folium_layer.data["features"], shapes["styles"], strict=True):
        assert style == folium_layer.style_function(feature)
    fills = [s["fillColor"] for s in shapes["styles"]]
    assert set(fills) <= set(COVERAGE_PALETTE) and len(set(fills)) == 5
    # each tooltip names its area; the legend is the folium map's legend
    names = area_set.to_frame()["area_name"].tolist()
    assert all(html_text.count("<tr>") == 6 for html_text in shapes["tooltips"])
    assert sorted(n for n in names if any(n in t for t in shapes["tooltips"])) == sorted(names)
    assert "Domestic abuse: coverage" in spec["legend"] and "red below 50%" in spec["legend"]
    assert spec["bounds"] and spec["points"] == []


def test_another_need_on_the_same_shapes_changes_only_colours_and_text(layer, area_set):
    low = describe(coverage_map(layer, _rows(area_set, [0.1] * 33), title="A", red=0.5, amber=0.8))
    high = describe(
        coverage_map(
            layer, _rows(area_set, [i / 10 for i in range(33)]), title="B", red=0.5, amber=0.8
        )
    )
    assert low["shapes"]["key"] == high["shapes"]["key"]  # the component repaints in place
    assert low["shapes"]["styles"] != high["shapes"]["styles"]
    assert low["legend"] != high["legend"]
    other = describe(
        coverage_map(layer.iloc[:5], _rows(area_set, [0.1] * 33), title="A", red=0.5, amber=0.8)
    )
    assert other["shapes"]["key"] != low["shapes"]["key"]  # other shapes: drawn afresh


def test_text_in_tooltips_is_escaped(layer, area_set):
    values = area_set.to_frame()[["area_code"]].assign(
        value=[None, *range(1, 33)], note="<img src=x onerror=alert(1)>"
    )
    spec = describe(
        choropleth(layer, values, value_column="value", legend="<b>x</b>", note_column="note")
    )
    tips = " ".join(spec["shapes"]["tooltips"])
    assert "<img" not in tips and "&lt;img src=x" in tips
    assert "<b>x</b>" not in tips and "&lt;b&gt;x&lt;/b&gt;" in tips
    assert spec["shapes"]["styles"][0]["fillColor"] == NO_VALUE_COLOUR


def test_sites_are_points_and_confidential_sites_never_are(layer, area_set):
    code = area_set.areas[1].code
    sites = pd.DataFrame(
        {
            "area_code": [code, code],
            "latitude": [51.5, 51.51],
            "longitude": [-0.1, -0.11],
            "confidential": [False, True],
            "service_name": ["Open <door>", "Refuge"],
            "site_name": ["Main", "Secret"],
        }
    )
    spec = describe(sites_map(layer, sites, title="Service sites"))
    assert [(p["lat"], p["lng"]) for p in spec["points"]] == [(51.5, -0.1)]
    assert "&lt;door&gt;" in spec["points"][0]["tooltip"]
    assert not any("51.51" in json.dumps(p) for p in spec["points"])
    assert any("Confidential sites (not shown)" in t for t in spec["shapes"]["tooltips"])
    assert spec["canvas"] is True


def test_the_component_folder_is_put_together_once(tmp_path):
    folder = frontend_folder(tmp_path)
    html = (folder / "index.html").read_text()
    # Leaflet written into the page (one request when a map appears), its images beside it
    assert "streamlit:componentReady" in html and "L.geoJSON" in html
    assert 'src="leaflet.js"' not in html and "leaflet-container" in html and len(html) > 150_000
    assert html.count("</script>") == 2 and (folder / "images" / "layers.png").is_file()
    stamp = (folder / "index.html").stat().st_mtime_ns
    assert frontend_folder(tmp_path) == folder
    assert (folder / "index.html").stat().st_mtime_ns == stamp
    assert [p.name for p in (tmp_path / "map_frontend").iterdir()] == [folder.name]
