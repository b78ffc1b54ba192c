import geopandas as gpd
import pytest
import shapely
from shapely.geometry import Polygon

from planner.errors import DataFileError, MissingDataError
from planner.sources.boundaries import (
    AREA_LAYER,
    load_area_boundaries,
    load_lsoa_boundaries,
    map_layer,
)


def test_area_boundaries_are_33_valid_areas_in_british_national_grid(data_dir, area_set):
    areas = load_area_boundaries(data_dir, area_set)
    assert len(areas) == 33
    assert areas.crs.to_epsg() == 27700
    assert list(areas["area_code"]) == area_set.codes
    assert areas.geometry.is_valid.all()
    # Greater London is about 1,572 km²; the City of London about 2.9 km²
    assert areas.area.sum() / 1e6 == pytest.approx(1572, rel=0.02)
    city = areas.set_index("area_code").loc["E09000001"]
    assert city.geometry.area / 1e6 == pytest.approx(2.9, rel=0.1)


def test_map_layer_is_simplified_wgs84_without_gaps(data_dir, area_set):
    areas = load_area_boundaries(data_dir, area_set)
    layer = map_layer(areas)
    assert layer.crs.to_epsg() == 4326
    assert len(layer) == 33 and layer.geometry.is_valid.all()
    before = shapely.get_num_coordinates(areas.geometry.values).sum()
    after = shapely.get_num_coordinates(layer.geometry.values).sum()
    assert after < before * 0.6
    # simplify_coverage keeps shared edges: the simplified polygons still tile London
    assert shapely.coverage_is_valid(layer.to_crs(27700).geometry.values, gap_width=1.0)
    assert len(layer.to_json()) < 400_000


def test_lsoa_boundaries(data_dir, area_set):
    lsoas = load_lsoa_boundaries(data_dir, area_set)
    assert len(lsoas) == 4994
    assert lsoas["lsoa_code"].is_unique
    assert set(lsoas["area_code"]) == set(area_set.codes)


def _write(frame: gpd.GeoDataFrame, folder):
    folder.mkdir(parents=True, exist_ok=True)
    frame.to_file(folder / "ons_lad22_london_boroughs_bgc20m.shp")


def test_wrong_crs_is_a_clear_error(data_dir, area_set, tmp_path):
    areas = gpd.read_file(data_dir / AREA_LAYER).to_crs(4326)
    _write(areas, tmp_path / "boundaries")
    with pytest.raises(DataFileError, match=r"EPSG:4326; expected EPSG:27700"):
        load_area_boundaries(tmp_path, area_set)


def test_missing_crs_is_a_clear_error(data_dir, area_set, tmp_path, copy_layer):
    copy_layer(data_dir / AREA_LAYER, tmp_path / "boundaries")
    (tmp_path / "boundaries" / "ons_lad22_london_boroughs_bgc20m.prj").unlink()
    with pytest.raises(DataFileError, match=r"no coordinate reference system"):
        load_area_boundaries(tmp_path, area_set)


def test_corrupt_geometry_names_the_row(data_dir, area_set, tmp_path):
    areas = gpd.read_file(data_dir / AREA_LAYER)
    bowtie = Polygon([(530000, 180000), (531000, 181000), (531000, 180000), (530000, 181000)])
    areas.loc[4, "geometry"] = bowtie
    _write(areas, tmp_path / "boundaries")
    with pytest.raises(
        DataFileError, match=r"row 5, column 'geometry': invalid geometry: Self-int"
    ):
        load_area_boundaries(tmp_path, area_set)


def test_truncated_layer_is_a_clear_error(data_dir, area_set, tmp_path, copy_layer):
    shp = copy_layer(data_dir / AREA_LAYER, tmp_path / "boundaries")
    shp.write_bytes(shp.read_bytes()[:5000])
    with pytest.raises(DataFileError, match=r"ons_lad22_london_boroughs_bgc20m.shp"):
        load_area_boundaries(tmp_path, area_set)


def test_missing_column_and_missing_area(data_dir, area_set, tmp_path):
    areas = gpd.read_file(data_dir / AREA_LAYER).rename(columns={"LAD22NM": "NAME"})
    _write(areas, tmp_path / "boundaries")
    with pytest.raises(DataFileError, match=r"column 'LAD22NM': missing attribute"):
        load_area_boundaries(tmp_path, area_set)
    areas = gpd.read_file(data_dir / AREA_LAYER)
    areas = areas[areas["LAD22CD"] != "E09000008"]
    areas.loc[0, "LAD22CD"] = "E09000099"
    _write(areas, tmp_path / "b2" / "boundaries")
    with pytest.raises(DataFileError) as err:
        load_area_boundaries(tmp_path / "b2", area_set)
    assert "no polygon for E09000008 (Croydon)" in str(err.value)
    assert "E09000099" in str(err.value)


def test_absent_file_says_how_to_get_it(tmp_path, area_set):
    with pytest.raises(MissingDataError, match=r"file not found[\s\S]*planner data fetch"):
        load_area_boundaries(tmp_path, area_set)
