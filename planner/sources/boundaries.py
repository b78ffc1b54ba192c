"""ONS boundary layers: local authority districts (areas) and 2021 LSOAs (small areas).

Source: Office for National Statistics, Open Geography Portal, generalised (20 m) clipped
boundaries, OGL v3.0. Analysis uses EPSG:27700; maps use a simplified EPSG:4326 copy.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pyogrio
import shapely

from planner.areas import AreaSet
from planner.errors import UnknownAreaError
from planner.settings import ANALYSIS_CRS, MAP_CRS
from planner.sources._files import ProblemLog, require_files

AREA_LAYER = "boundaries/ons_lad22_london_boroughs_bgc20m.shp"
LSOA_LAYER = "boundaries/ons_lsoa21_london_bgc20m.shp"


def _read_layer(path: Path, log: ProblemLog, columns: list[str]) -> gpd.GeoDataFrame | None:
    try:
        frame = pyogrio.read_dataframe(path)
    except Exception as exc:  # pyogrio raises several GDAL error types for corrupt files
        log.add(path, f"cannot be read as a vector layer ({type(exc).__name__}: {exc})")
        return None
    if frame.empty:
        log.add(path, "the layer has no features")
        return None
    if frame.crs is None:
        log.add(path, f"no coordinate reference system (.prj); expected {ANALYSIS_CRS}")
    elif frame.crs.to_epsg() != 27700:
        log.add(
            path,
            f"coordinate reference system is {frame.crs.to_string()}; expected {ANALYSIS_CRS} "
            "(British National Grid). Reproject the file or use the ONS BGC download.",
        )
    missing = [c for c in columns if c not in frame.columns]
    for col in missing:
        log.add(path, f"missing attribute (found: {', '.join(frame.columns[:-1])})", column=col)
    geoms = frame.geometry.values
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    for i in empty.nonzero()[0]:
        log.add(path, "feature has no geometry", row=int(i) + 1, column="geometry")
    invalid = ~empty & ~shapely.is_valid(geoms)
    for i in invalid.nonzero()[0]:
        reason = shapely.is_valid_reason(geoms[i])
        log.add(path, f"invalid geometry: {reason}", row=int(i) + 1, column="geometry")
    if missing:
        return None
    return frame


def load_area_boundaries(data_dir: Path, area_set: AreaSet) -> gpd.GeoDataFrame:
    """Area polygons in EPSG:27700: ``area_code``, ``area_name``, ``geometry``; one per area."""
    (path,) = require_files(data_dir, [AREA_LAYER])
    log = ProblemLog()
    frame = _read_layer(path, log, ["LAD22CD", "LAD22NM"])
    if frame is not None:
        codes = frame["LAD22CD"].astype(str)
        for i, code in enumerate(codes):
            try:
                area_set.resolve(code)
            except UnknownAreaError as exc:
                log.add(path, str(exc), row=i + 1, column="LAD22CD")
        for i in codes[codes.duplicated()].index:
            log.add(path, f"area {codes[i]} appears more than once", row=int(i) + 1)
        for code in sorted(set(area_set.codes) - set(codes)):
            log.add(path, f"no polygon for {code} ({area_set.name_of(code)})", column="LAD22CD")
    log.raise_if_any()
    assert frame is not None
    out = gpd.GeoDataFrame(
        {
            "area_code": frame["LAD22CD"].astype(str),
            "area_name": [area_set.name_of(c) for c in frame["LAD22CD"]],
        },
        geometry=frame.geometry.values,
        crs=frame.crs,
    )
    return out.sort_values("area_code").reset_index(drop=True)


def map_layer(areas: gpd.GeoDataFrame, *, tolerance_m: float = 50.0) -> gpd.GeoDataFrame:
    """A light copy for web maps: shared edges simplified together, then EPSG:4326, 5 decimals.

    ``simplify_coverage`` keeps neighbours' shared edges identical, so no slivers open between
    boroughs (plain ``simplify`` would). 5 decimal places of a degree is about 1 m.
    """
    simplified = areas.copy()
    simplified["geometry"] = areas.geometry.simplify_coverage(tolerance_m)
    out = simplified.to_crs(MAP_CRS)
    out["geometry"] = shapely.set_precision(out.geometry.values, 1e-5)
    return out


def load_lsoa_boundaries(data_dir: Path, area_set: AreaSet) -> gpd.GeoDataFrame:
    """2021 LSOA polygons in EPSG:27700: ``lsoa_code``, ``lsoa_name``, ``area_code``."""
    (path,) = require_files(data_dir, [LSOA_LAYER])
    log = ProblemLog()
    frame = _read_layer(path, log, ["LSOA21CD", "LSOA21NM", "LAD22CD"])
    if frame is not None:
        known = set(area_set.codes)
        unknown = frame.index[~frame["LAD22CD"].isin(known)]
        for i in unknown[:20]:
            log.add(path, f"LSOA in unknown area {frame.at[i, 'LAD22CD']!r}", row=int(i) + 1)
        dupes = frame.index[frame["LSOA21CD"].duplicated()]
        for i in dupes[:20]:
            log.add(path, f"LSOA {frame.at[i, 'LSOA21CD']} appears twice", row=int(i) + 1)
    log.raise_if_any()
    assert frame is not None
    return gpd.GeoDataFrame(
        {
            "lsoa_code": frame["LSOA21CD"].astype(str),
            "lsoa_name": frame["LSOA21NM"].astype(str),
            "area_code": frame["LAD22CD"].astype(str),
        },
        geometry=frame.geometry.values,
        crs=frame.crs,
    )


def lsoa_area_lookup(data_dir: Path, area_set: AreaSet) -> dict[str, str]:
    """LSOA 2021 code → area code, from the LSOA layer's attributes (geometry not read)."""
    (path,) = require_files(data_dir, [LSOA_LAYER])
    log = ProblemLog()
    try:
        attrs = pyogrio.read_dataframe(path, read_geometry=False, columns=["LSOA21CD", "LAD22CD"])
    except Exception as exc:
        log.add(path, f"cannot be read as a vector layer ({type(exc).__name__}: {exc})")
        log.raise_if_any()
    for col in ("LSOA21CD", "LAD22CD"):
        if col not in attrs.columns:
            log.add(path, "missing attribute", column=col)
    log.raise_if_any()
    known = set(area_set.codes)
    attrs = attrs[attrs["LAD22CD"].isin(known)]
    return dict(zip(attrs["LSOA21CD"], attrs["LAD22CD"], strict=True))


def area_locator(areas: gpd.GeoDataFrame, *, tolerance_m: float = 100.0):
    """A function (longitude, latitude) → area code, or None outside every area.

    A point within ``tolerance_m`` of an area (on the river, a bridge, a boundary) counts as in
    the nearest area.
    """
    from pyproj import Transformer

    to_bng = Transformer.from_crs(MAP_CRS, ANALYSIS_CRS, always_xy=True)
    geoms = areas.to_crs(ANALYSIS_CRS).geometry.values
    codes = list(areas["area_code"])
    tree = shapely.STRtree(geoms)

    def locate(longitude: float, latitude: float) -> str | None:
        x, y = to_bng.transform(longitude, latitude)
        point = shapely.Point(x, y)
        inside = tree.query(point, predicate="within")
        if len(inside):
            return codes[int(inside[0])]
        near = tree.query_nearest(point, max_distance=tolerance_m)
        return codes[int(near[0])] if len(near) else None

    return locate
