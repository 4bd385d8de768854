"""The demo's land cover agrees with its own layers: sealed under streets and buildings, lawn around the estates,
woodland in the forest, meadow and natural habitat in the nature areas, protected nature inside them."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import rasterio
import shapely
from rasterio.features import rasterize

from pipeline.demo import generate
from pipeline.demo.landcover import CODES, STREET_WIDTH_M


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("demo")
    generate(out, seed=42)
    return out


@pytest.fixture(scope="module")
def land_cover(demo):
    with rasterio.open(demo / "land_cover.tif") as src:
        return src.read(1), src.transform, src.crs


def _codes_under(land_cover, shapes) -> np.ndarray:
    data, transform, _ = land_cover
    mask = rasterize([(g, 1) for g in shapes], out_shape=data.shape, transform=transform, fill=0, dtype="uint8")
    return data[mask == 1]


def test_land_cover_lies_on_the_canopy_grid_with_known_codes(demo, land_cover):
    data, transform, crs = land_cover
    with rasterio.open(demo / "canopy.tif") as canopy:
        assert (canopy.transform, canopy.shape, canopy.crs) == (transform, data.shape, crs)
    assert set(np.unique(data).tolist()) <= set(CODES.values())


def test_roads_are_sealed_and_estates_mostly_lawn(demo, land_cover):
    streets = gpd.read_file(demo / "municipality.gpkg", layer="streets", engine="pyogrio")
    roads = streets[streets.highway.isin(["primary", "secondary", "residential"])]
    # the cells whose centre lies within a metre of a road's centre line: all roads
    under = _codes_under(land_cover, shapely.buffer(roads.geometry.to_numpy(), 1.0, cap_style="flat"))
    assert (under == CODES["road"]).mean() > 0.99
    areas = gpd.read_file(demo / "municipality.gpkg", layer="housing_areas", engine="pyogrio")
    estates = areas[areas.area_type == "social"]
    inside = _codes_under(land_cover, estates.geometry)
    assert (inside == CODES["lawn"]).mean() > 0.5
    assert 0.1 < np.isin(inside, [CODES["building"], CODES["road"]]).mean() < 0.35
    assert "motorway" in STREET_WIDTH_M and "path" not in STREET_WIDTH_M  # footpaths stay unsealed


def test_forest_is_woodland_and_nature_areas_hold_the_protected_nature(demo, land_cover):
    green = gpd.read_file(demo / "green_areas.geojson", engine="pyogrio").to_crs("EPSG:25832")
    forest = _codes_under(land_cover, green[green.kind == "forest"].geometry)
    assert (forest == CODES["trees"]).mean() > 0.95
    protected = gpd.read_file(demo / "protected_nature.geojson", engine="pyogrio")
    assert protected.nature_id.is_unique and set(protected.kind) == {"mose", "eng", "overdrev", "hede", "sø"}
    nature = shapely.union_all(green[green.kind == "nature"].geometry.to_numpy())
    assert shapely.contains(shapely.buffer(nature, 1.0), protected.geometry.to_numpy()).all()
    ponds = _codes_under(land_cover, protected[protected.kind == "sø"].geometry)
    assert (ponds == CODES["water"]).mean() > 0.95


def test_nature_areas_are_meadow_around_their_protected_core(demo, land_cover):
    green = gpd.read_file(demo / "green_areas.geojson", engine="pyogrio").to_crs("EPSG:25832")
    protected = gpd.read_file(demo / "protected_nature.geojson", engine="pyogrio")
    nature = shapely.union_all(green[green.kind == "nature"].geometry.to_numpy())
    edge = shapely.difference(nature, shapely.buffer(shapely.union_all(protected.geometry.to_numpy()), 10.0))
    codes = _codes_under(land_cover, shapely.get_parts(edge))
    assert (codes == CODES["meadow"]).mean() > 0.5 and np.isin(codes, [CODES["meadow"], CODES["trees"]]).mean() > 0.9
