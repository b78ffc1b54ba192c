"""Map exports: any app map as a standalone HTML file, and the gap map as a static PNG."""

from __future__ import annotations

import io

import folium
import geopandas as gpd
import pandas as pd

from planner.maps import RAG_COLOURS, self_contained
from planner.settings import ANALYSIS_CRS


def map_html(fmap: folium.Map) -> bytes:
    """A standalone HTML page of a folium map (Leaflet inside it: it opens offline)."""
    self_contained(fmap)
    return fmap.get_root().render().encode("utf-8")


def gap_map_png(
    layer: gpd.GeoDataFrame, coverage: pd.DataFrame, *, title: str, dpi: int = 150
) -> bytes:
    """The RAG gap map as a PNG for reports: colours with a legend in words."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    from planner.coverage.text import RAG_WORDS

    joined = layer.to_crs(ANALYSIS_CRS).merge(
        coverage[["area_code", "rag"]], on="area_code", how="left"
    )
    fig, ax = plt.subplots(figsize=(8, 7))
    joined.plot(
        ax=ax,
        color=[RAG_COLOURS.get(r, "#ffffff") for r in joined["rag"]],
        edgecolor="#444444",
        linewidth=0.5,
    )
    ax.set_axis_off()
    ax.set_title(title, fontsize=11)
    present = [r for r in RAG_COLOURS if r in set(joined["rag"].dropna())]
    ax.legend(
        handles=[
            Patch(facecolor=RAG_COLOURS[r], edgecolor="#444444", label=RAG_WORDS[r])
            for r in present
        ],
        loc="lower center",
        bbox_to_anchor=(0.5, -0.18),
        fontsize=7,
        frameon=False,
    )
    fig.text(
        0.01, 0.01, "Contains ONS data © Crown copyright 2022; MPS, DfT data (OGL).", fontsize=6
    )
    buffer = io.BytesIO()
    fig.savefig(
        buffer,
        format="png",
        dpi=dpi,
        bbox_inches="tight",
        metadata={"Software": "Victim Services Commissioning Planner"},
    )
    plt.close(fig)
    return buffer.getvalue()
