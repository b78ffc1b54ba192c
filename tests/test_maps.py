import json

import pandas as pd
import pytest

from planner.maps import NO_VALUE_COLOUR, PALETTE, choropleth, class_breaks, colour_for
from planner.sources.boundaries import load_area_boundaries, map_layer


@pytest.fixture(scope="module")
def layer(data_dir, area_set):
    return map_layer(load_area_boundaries(data_dir, area_set))


def test_class_breaks_and_colours():
    values = pd.Series([0.0, 10.0, None, 5.0])
    breaks = class_breaks(values)
    assert breaks == pytest.approx([2, 4, 6, 8, 10])
    assert colour_for(0.0, breaks) == PALETTE[0]
    assert colour_for(10.0, breaks) == PALETTE[-1]
    assert colour_for(float("nan"), breaks) == NO_VALUE_COLOUR
    assert class_breaks(pd.Series([None], dtype=float)) == []


def test_choropleth_is_self_contained_and_marks_unassessed_areas(layer, area_set):
    values = area_set.to_frame()[["area_code"]].assign(
        value=[None, *range(1, 33)],
        note=["no police data (City of London Police area)"] + ["assessed"] * 32,
    )
    fmap = choropleth(layer, values, value_column="value", legend="Recorded", note_column="note")
    html = fmap.get_root().render()
    assert "cdn.jsdelivr.net" not in html and "d3js.org" not in html
    assert "data:text/javascript;base64," in html
    geojson = next(
        json.loads(child.data) if isinstance(child.data, str) else child.data
        for child in fmap._children.values()
        if type(child).__name__ == "GeoJson"
    )
    features = {f["properties"]["area_name"]: f["properties"] for f in geojson["features"]}
    assert len(features) == 33
    assert features["City of London"]["shown"] == "no police data (City of London Police area)"
    assert features["City of London"]["value"] is None
    assert features["Westminster"]["shown"] == "32"
    assert "not assessed (see tooltip)" in html
    assert len(html.encode()) < 1_500_000
