"""Shared fixtures: a tiny municipality written as real files, and configs that point at them."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import yaml
from shapely.geometry import LineString, Point, box

from pipeline.core.config import load_config

CRS = "EPSG:25832"
X0, Y0 = 700000.0, 6170000.0


def write_config(folder: Path, overrides: dict) -> Path:
    """Write a config YAML whose relative paths resolve against `folder`."""
    data = {"root": ".", **overrides}
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def tiny_layers() -> dict[str, gpd.GeoDataFrame]:
    """A hand-checkable municipality: two housing areas, four parcels, two schools and districts."""
    areas = gpd.GeoDataFrame(
        {"area_id": ["A", "B"], "name": ["Ågården", "Bøgeparken"], "area_type": ["social", "private"],
         "years_listed": [4, 0]},
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)], crs=CRS)
    parcels = gpd.GeoDataFrame(
        {"parcel_id": [1, 2, 3, 4], "area_id": ["A", None, "B", None],
         "dwellings_social_family": [100, 50, 0, 0], "dwellings_social_other": [0, 0, 0, 0],
         "dwellings_owner": [0, 10, 40, 5], "dwellings_private_rental": [0, 0, 10, 0],
         "dwellings_cooperative": [0, 0, 0, 0], "residents": [250, 120, 110, 12],
         "children_6_16": [40, 20, 15, 1]},
        geometry=[box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200), box(X0 + 500, Y0 + 500, X0 + 600, Y0 + 600),
                  box(X0 + 1100, Y0 + 100, X0 + 1200, Y0 + 200), box(X0 + 3000, Y0 + 100, X0 + 3050, Y0 + 150)],
        crs=CRS)
    schools = gpd.GeoDataFrame({"school_id": ["S1", "S2"], "name": ["Ølby Skole", "Bakke Skole"], "capacity": [300, 200]},
                               geometry=[Point(X0 + 500, Y0 + 800), Point(X0 + 1500, Y0 + 800)], crs=CRS)
    districts = gpd.GeoDataFrame({"district_id": ["D1", "D2"], "school_id": ["S1", "S2"], "name": ["Øst", "Vest"]},
                                 geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 1000, Y0, X0 + 3500, Y0 + 1000)], crs=CRS)
    jobs = gpd.GeoDataFrame({"site_id": [10, 11], "jobs": [100, 25], "sector": ["retail", "office"]},
                            geometry=[Point(X0 + 900, Y0 + 500), Point(X0 + 1900, Y0 + 500)], crs=CRS)
    green = gpd.GeoDataFrame({"green_id": ["G1"], "kind": ["park"], "public": [True]},
                             geometry=[box(X0 + 300, Y0 + 300, X0 + 450, Y0 + 450)], crs=CRS)
    streets = gpd.GeoDataFrame({"street_id": ["s1", "s2"], "walk": [True, True], "bike": [True, False]},
                               geometry=[LineString([(X0, Y0 + 50), (X0 + 2000, Y0 + 50)]),
                                         LineString([(X0 + 1000, Y0), (X0 + 1000, Y0 + 1000)])], crs=CRS)
    return {"housing_areas": areas, "parcels": parcels, "schools": schools, "school_districts": districts,
            "jobs": jobs, "green_areas": green, "streets": streets}


def write_tiny_sources(folder: Path) -> dict:
    """Write the tiny layers to a GeoPackage plus a Shapefile and a CSV; return the `sources` config."""
    layers = tiny_layers()
    raw = folder / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    gpkg = raw / "tiny.gpkg"
    sources = {}
    for name in ("housing_areas", "parcels", "school_districts", "green_areas", "streets"):
        layers[name].to_file(gpkg, layer=name, engine="pyogrio")
        sources[name] = {"path": "raw/tiny.gpkg", "layer": name}
    layers["schools"].to_file(raw / "schools.shp", engine="pyogrio", encoding="cp1252")
    sources["schools"] = {"path": "raw/schools.shp", "encoding": "cp1252"}
    jobs = layers["jobs"]
    jobs.assign(x=jobs.geometry.x, y=jobs.geometry.y).drop(columns="geometry").to_csv(raw / "jobs.csv", index=False)
    sources["jobs"] = {"path": "raw/jobs.csv", "x": "x", "y": "y", "crs": CRS}
    return sources


@pytest.fixture
def tiny_project(tmp_path: Path):
    """A folder with the tiny municipality's raw files and a config pointing at them; returns the config path."""
    sources = write_tiny_sources(tmp_path)
    return write_config(tmp_path, {"sources": sources})


@pytest.fixture
def tiny_config(tiny_project):
    """The loaded config of the tiny project."""
    return load_config(tiny_project)


@pytest.fixture(scope="module")
def walk():
    """The hand network (tests/hand_network.py) for walking."""
    from hand_network import hand_streets

    from pipeline.network import build_network

    return build_network(hand_streets(), tolerance_m=1.0, mode="walk")


@pytest.fixture(scope="module")
def bike():
    """The hand network (tests/hand_network.py) for cycling."""
    from hand_network import hand_streets

    from pipeline.network import build_network

    return build_network(hand_streets(), tolerance_m=1.0, mode="bike")
