"""Bad input of every class through the command line, on real files written here (issue 11).

Each case starts from a copy of the tiny project after a good run, changes one input the way real Danish
data arrives, runs `python -m pipeline run` (and `validate` where it matters), and asserts the exit status,
that the message names the file, layer, column or config key and the fix, and that nothing published was
replaced (exit 2), or that the figure became null with a warning (exit 0).
"""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import yaml
from conftest import CRS, X0, Y0, tiny_layers, write_config, write_tiny_sources
from rasterio.transform import from_origin
from shapely.geometry import LineString, Point, Polygon, box

from pipeline.cli import main

NAME = "Nørredalskolen"  # the æ/ø/å test: cp1252 byte 0xF8 is not UTF-8


@pytest.fixture(scope="module")
def baseline(tmp_path_factory) -> Path:
    """The tiny project after one good run of every stage."""
    root = tmp_path_factory.mktemp("baseline")
    sources = write_tiny_sources(root)
    config = configure(root, sources)
    assert main(["--quiet", "run", "--config", str(config)]) == 0
    return root


@pytest.fixture
def project(baseline, tmp_path) -> Path:
    """A fresh copy of the baseline project (published links are relative, so they point into the copy)."""
    root = tmp_path / "project"
    shutil.copytree(baseline, root, symlinks=True)
    return root


def sources_of(project: Path) -> dict:
    return yaml.safe_load((project / "config.yaml").read_text(encoding="utf-8"))["sources"]


# The tiny municipality has one routable street, 750 m from its schools and 1,025 m from parcel 4: within
# this coverage distance.
ACCESS = {"max_snap_m": 1500}


def configure(project: Path, sources: dict) -> Path:
    return write_config(project, {"sources": sources, "access": ACCESS})


def published(project: Path) -> dict[str, bytes]:
    """Every published file (pages, areas tables), by path."""
    current = (project / "published" / "current").resolve()
    return {str(p.relative_to(current)): p.read_bytes() for p in current.rglob("*") if p.is_file()}


def cli(project: Path, capsys, command: str = "run") -> tuple[int, str]:
    status = main(["--quiet", command, "--config", str(project / "config.yaml")])
    return status, capsys.readouterr().err


def assert_bad_input(project: Path, capsys, expected: list[str], command: str = "run") -> str:
    """Exit 2 with every expected text and a fix in the message; nothing published or processed replaced."""
    before = published(project)
    status, err = cli(project, capsys, command)
    assert status == 2, err
    for text in expected:
        assert text in err, f"{text!r} not in {err!r}"
    assert "What to do:" in err and "Traceback" not in err
    assert published(project) == before
    return err


def run_warnings(project: Path) -> list[str]:
    return json.loads((project / "data" / "processed" / "run.json").read_text())["warnings"]


def no_mojibake_published(project: Path) -> None:
    for name, data in published(project).items():
        if name.endswith((".html", ".csv")):
            text = data.decode("utf-8")
            assert "Ã" not in text and "\ufffd" not in text, name


# --- encodings -------------------------------------------------------------------------------------------

def test_cp1252_shapefile_without_cpg_is_read_as_cp1252_with_a_warning(project, capsys):
    schools = tiny_layers()["schools"].assign(name=[NAME, "Bakke Skole"])
    path = project / "raw" / "schools.shp"
    schools.to_file(path, engine="pyogrio", encoding="cp1252")
    path.with_suffix(".cpg").unlink()
    assert b"N\xf8rredalskolen" in path.with_suffix(".dbf").read_bytes()  # really cp1252 bytes on disk
    sources = sources_of(project)
    sources["schools"] = {"path": "raw/schools.shp"}  # no encoding key
    configure(project, sources)
    status, err = cli(project, capsys)
    assert status == 0, err
    names = gpd.read_parquet(project / "data" / "processed" / "schools.parquet").name.tolist()
    assert names == [NAME, "Bakke Skole"]
    assert any("read as cp1252" in w and "sources.schools.encoding" in w for w in run_warnings(project))
    no_mojibake_published(project)


def test_utf8_shapefile_with_a_wrong_cpg_is_garbled_text_and_exit_2(project, capsys):
    schools = tiny_layers()["schools"].assign(name=[NAME, "Bakke Skole"])
    path = project / "raw" / "schools.shp"
    schools.to_file(path, engine="pyogrio", encoding="UTF-8")
    path.with_suffix(".cpg").write_text("1252")  # an exporter's wrong claim: GDAL decodes UTF-8 as cp1252
    sources = sources_of(project)
    sources["schools"] = {"path": "raw/schools.shp"}
    configure(project, sources)
    assert_bad_input(project, capsys, ["schools.shp", "'name'", "garbled", "NÃ¸rredalskolen",
                                       "sources.schools.encoding", ".cpg", "Rows: row 1"])


def test_cp1252_csv_without_encoding_is_read_as_cp1252_with_a_warning(project, capsys):
    text = "site_id,jobs,sector,x,y\n10,100,Købmand,700900,6170500\n11,25,Kontor,701900,6170500\n"
    (project / "raw" / "jobs.csv").write_bytes(text.encode("cp1252"))
    # a semicolon CSV with a WKT column, as Excel writes it in Denmark
    stations = f"station_id;name;wkt\n1;{NAME} St.;POINT (700500 6170100)\n"
    (project / "raw" / "stations.csv").write_bytes(stations.encode("cp1252"))
    assert b"N\xf8rredalskolen" in (project / "raw" / "stations.csv").read_bytes()
    sources = sources_of(project)
    sources["stations"] = {"path": "raw/stations.csv", "wkt": "wkt", "crs": CRS, "csv_separator": ";"}
    configure(project, sources)
    status, err = cli(project, capsys)
    assert status == 0, err
    jobs = gpd.read_parquet(project / "data" / "processed" / "jobs.parquet")
    assert jobs.sector.tolist() == ["Købmand", "Kontor"] and jobs.jobs.tolist() == [100, 25]
    assert gpd.read_parquet(project / "data" / "processed" / "stations.parquet").name.tolist() == [f"{NAME} St."]
    warnings = run_warnings(project)
    assert any("jobs.csv" in w and "sources.jobs.encoding" in w for w in warnings)
    assert any("stations.csv" in w and "sources.stations.encoding" in w for w in warnings)
    no_mojibake_published(project)


def test_cp1252_csv_with_its_encoding_configured_is_read_without_warning(project, capsys):
    text = "site_id,jobs,sector,x,y\n10,100,Købmand,700900,6170500\n11,25,Kontor,701900,6170500\n"
    (project / "raw" / "jobs.csv").write_bytes(text.encode("cp1252"))
    sources = sources_of(project)
    sources["jobs"]["encoding"] = "cp1252"  # the Arrow reader refuses non-UTF-8 CSV: read without it
    configure(project, sources)
    status, err = cli(project, capsys)
    assert status == 0, err
    assert gpd.read_parquet(project / "data" / "processed" / "jobs.parquet").sector.tolist() == ["Købmand", "Kontor"]
    assert not any("encoding" in w for w in run_warnings(project))


def test_csv_neither_utf8_nor_cp1252_is_exit_2_naming_the_encoding_key(project, capsys):
    # 0x81 is undefined in cp1252 and not valid UTF-8 (e.g. a DOS code page 850 export)
    (project / "raw" / "jobs.csv").write_bytes(b"site_id,jobs,sector,x,y\n10,100,K\x81bmand,700900,6170500\n")
    assert_bad_input(project, capsys, ["jobs.csv", "neither UTF-8 nor cp1252", "sources.jobs.encoding"])


def test_unknown_encoding_name_is_exit_2(project, capsys):
    sources = sources_of(project)
    sources["schools"]["encoding"] = "dansk"
    configure(project, sources)
    # the config schema refuses the name before any file is read, naming the config file and key
    assert_bad_input(project, capsys, ["config.yaml", "'dansk' is not a text encoding", "sources.schools.encoding"])


# --- CRS -------------------------------------------------------------------------------------------------

def _green_declared_4326(project: Path) -> None:
    """Green areas in UTM metres written with a CRS of EPSG:4326 (a wrong .prj), one of them a bowtie."""
    bowtie = Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])
    green = gpd.GeoDataFrame({"green_id": ["G1", "bow"], "kind": ["park", "park"]},
                             geometry=[box(X0 + 300, Y0 + 300, X0 + 450, Y0 + 450), bowtie], crs="EPSG:4326")
    green.to_file(project / "raw" / "green.shp", engine="pyogrio")
    sources = sources_of(project)
    sources["green_areas"] = {"path": "raw/green.shp"}
    configure(project, sources)


@pytest.mark.parametrize("command", ["validate", "run"])
def test_wrong_declared_crs_is_exit_2_naming_the_likely_crs(project, capsys, command):
    _green_declared_4326(project)
    err = assert_bad_input(project, capsys, ["green.shp", "declares EPSG:4326", "look like EPSG:25832",
                                             "x 700000..", "sources.green_areas.crs: EPSG:25832", ".prj"], command)
    assert "GEOS" not in err


def test_configured_crs_replaces_a_declared_crs_that_does_not_fit(project, capsys):
    _green_declared_4326(project)
    sources = sources_of(project)
    sources["green_areas"]["crs"] = "EPSG:25832"
    configure(project, sources)
    status, err = cli(project, capsys)
    assert status == 0, err
    green = gpd.read_parquet(project / "data" / "processed" / "green_areas.parquet")
    assert green.geometry.iloc[0].bounds == (X0 + 300, Y0 + 300, X0 + 450, Y0 + 450)
    assert any("declares EPSG:4326" in w and "sources.green_areas.crs" in w for w in run_warnings(project))


def test_geographic_coordinates_declared_utm_are_exit_2(project, capsys):
    stations = gpd.GeoDataFrame({"station_id": ["st1"], "name": ["Taastrup"]}, geometry=[Point(12.29, 55.65)], crs=CRS)
    stations.to_file(project / "raw" / "stations.gpkg", engine="pyogrio")
    sources = sources_of(project)
    sources["stations"] = {"path": "raw/stations.gpkg"}
    configure(project, sources)
    assert_bad_input(project, capsys, ["stations.gpkg", "declares EPSG:25832", "look like EPSG:4326",
                                       "sources.stations.crs: EPSG:4326"])


# --- counts ----------------------------------------------------------------------------------------------

def test_taxpayers_over_residents_is_exit_2(project, capsys):
    parcels = tiny_layers()["parcels"].assign(taxpayers_15_64=[200, 130, 90, 10])  # parcel 2: 130 > 120 residents
    parcels.to_file(project / "raw" / "tiny.gpkg", layer="parcels", engine="pyogrio")
    assert_bad_input(project, capsys, ["tiny.gpkg", "'parcels'", "'taxpayers_15_64'", "taxpayers_15_64 exceeds residents",
                                       "Rows: 2"])


# --- zips and multi-layer files --------------------------------------------------------------------------

def _zip_schools(project: Path, *, folder: str, extra_layer: bool) -> Path:
    """The schools Shapefile (and maybe a second one) zipped inside a folder."""
    staging = project / "zipping"
    staging.mkdir()
    tiny_layers()["schools"].to_file(staging / "skoler.shp", engine="pyogrio", encoding="cp1252")
    if extra_layer:
        tiny_layers()["schools"].to_file(staging / "gamle_skoler.shp", engine="pyogrio")
    archive = project / "raw" / "skoler.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for file in sorted(staging.iterdir()):
            handle.write(file, f"{folder}/{file.name}")
    shutil.rmtree(staging)
    return archive


def test_zip_with_a_folder_inside_is_read(project, capsys):
    _zip_schools(project, folder="export/skoler", extra_layer=False)
    sources = sources_of(project)
    sources["schools"] = {"path": "raw/skoler.zip"}
    configure(project, sources)
    status, err = cli(project, capsys)
    assert status == 0, err
    assert gpd.read_parquet(project / "data" / "processed" / "schools.parquet").name.tolist() == ["Ølby Skole", "Bakke Skole"]


def test_zip_with_two_layers_lists_them_and_layer_picks_one(project, capsys):
    _zip_schools(project, folder="export", extra_layer=True)
    sources = sources_of(project)
    sources["schools"] = {"path": "raw/skoler.zip"}
    configure(project, sources)
    assert_bad_input(project, capsys, ["skoler.zip", "several layers", "export/gamle_skoler.shp", "export/skoler.shp",
                                       "sources.schools.layer"])
    sources["schools"]["layer"] = "skoler"
    configure(project, sources)
    assert cli(project, capsys)[0] == 0
    sources["schools"] = {"path": "/vsizip/raw/skoler.zip/export/skoler.shp"}  # GDAL's own syntax, relative to the root
    configure(project, sources)
    status, err = cli(project, capsys)
    assert status == 0, err
    assert gpd.read_parquet(project / "data" / "processed" / "schools.parquet").school_id.tolist() == ["S1", "S2"]


def test_geopackage_with_several_layers_and_no_layer_lists_them(project, capsys):
    sources = sources_of(project)
    del sources["housing_areas"]["layer"]
    configure(project, sources)
    assert_bad_input(project, capsys, ["tiny.gpkg", "layers (", "housing_areas", "parcels",
                                       "no layer is configured", "sources.housing_areas.layer"])


def test_corrupt_file_is_exit_2_naming_it(project, capsys):
    (project / "raw" / "green.geojson").write_text('{"type": "FeatureCollection", "features": [', encoding="utf-8")
    sources = sources_of(project)
    sources["green_areas"] = {"path": "raw/green.geojson"}
    configure(project, sources)
    assert_bad_input(project, capsys, ["green.geojson", "GDAL cannot open"])


# --- canopy ----------------------------------------------------------------------------------------------

def _write_nodata_canopy(path: Path) -> None:
    with rasterio.open(path, "w", driver="GTiff", width=220, height=120, count=1, dtype="float32", crs=CRS,
                       transform=from_origin(X0 - 50, Y0 + 1050, 10, 10), nodata=-9999.0) as dst:
        dst.write(np.full((120, 220), -9999.0, dtype="float32"), 1)


def test_all_nodata_canopy_is_a_warning_when_optional(project, capsys):
    _write_nodata_canopy(project / "raw" / "canopy.tif")
    sources = sources_of(project)
    sources["canopy"] = {"path": "raw/canopy.tif", "required": False}
    configure(project, sources)
    status, err = cli(project, capsys)
    assert status == 0, err
    assert any("canopy.tif" in w and "no valid cell" in w for w in run_warnings(project))
    access = gpd.read_parquet(project / "data" / "processed" / "areas_access.parquet")
    assert access.canopy_share.isna().all()


def test_all_nodata_canopy_is_exit_2_when_required(project, capsys):
    _write_nodata_canopy(project / "raw" / "canopy.tif")
    sources = sources_of(project)
    sources["canopy"] = {"path": "raw/canopy.tif"}
    configure(project, sources)
    for command in ("validate", "run"):
        assert_bad_input(project, capsys, ["canopy.tif", "no valid cell", "required: false"], command)


# --- network coverage ------------------------------------------------------------------------------------

def test_streets_shifted_5_km_are_exit_2_naming_crs_or_extent(project, capsys):
    streets = tiny_layers()["streets"]
    streets = streets.set_geometry(streets.geometry.translate(5000, 5000))  # still well inside Denmark's extent
    streets.to_file(project / "raw" / "tiny.gpkg", layer="streets", engine="pyogrio")
    err = assert_bad_input(project, capsys, ["streets", "farther than", "access.max_snap_m", "CRS"])
    assert "parcels" in err


def test_parcel_on_an_island_gets_null_network_figures_and_a_warning(project, capsys):
    layers = tiny_layers()
    # parcel 5 on an island 3 km north with its own street, which the main network does not reach
    island = gpd.GeoDataFrame(
        {"parcel_id": [5], "area_id": ["B"], "dwellings_social_family": [0], "dwellings_social_other": [0],
         "dwellings_owner": [10], "dwellings_private_rental": [0], "dwellings_cooperative": [0], "residents": [30],
         "children_6_16": [5]}, geometry=[box(X0 + 1500, Y0 + 3900, X0 + 1600, Y0 + 4000)], crs=CRS)
    parcels = pd.concat([layers["parcels"], island], ignore_index=True)
    parcels.to_file(project / "raw" / "tiny.gpkg", layer="parcels", engine="pyogrio")
    areas = layers["housing_areas"]
    areas.loc[1, "geometry"] = box(X0 + 1000, Y0, X0 + 2000, Y0 + 4000)
    areas.to_file(project / "raw" / "tiny.gpkg", layer="housing_areas", engine="pyogrio")
    districts = layers["school_districts"]
    districts.loc[1, "geometry"] = box(X0 + 1000, Y0, X0 + 3500, Y0 + 4000)
    districts.to_file(project / "raw" / "tiny.gpkg", layer="school_districts", engine="pyogrio")
    ferry_road = gpd.GeoDataFrame({"street_id": ["i1"], "walk": [True], "bike": [True]},
                                  geometry=[LineString([(X0 + 1400, Y0 + 3950), (X0 + 1700, Y0 + 3950)])], crs=CRS)
    pd.concat([layers["streets"], ferry_road], ignore_index=True).to_file(
        project / "raw" / "tiny.gpkg", layer="streets", engine="pyogrio")
    status, err = cli(project, capsys)
    assert status == 0, err
    parcels_access = gpd.read_parquet(project / "data" / "processed" / "parcels_access.parquet").set_index("parcel_id")
    # its nearest routable street (s1 along y = Y0 + 50) is 3,900 m away, far beyond max_snap_m (1,500 m)
    for column in ("school_dist_m", "nearest_school_dist_m", "jobs_walk_15", "jobs_bike_30", "green_dist_m"):
        assert np.isnan(parcels_access.loc["5", column]), column
        assert not np.isnan(parcels_access.loc["1", column]), column
    warnings = run_warnings(project)
    assert any("1 parcels lie farther" in w and "max_snap_m" in w and "parcel_id 5" in w for w in warnings), warnings


# --- scenarios -------------------------------------------------------------------------------------------

def test_candidate_school_outside_every_district_is_warned_and_not_ranked(project, capsys):
    sites = gpd.GeoDataFrame(
        {"site_id": ["K1", "K2"], "kind": ["school", "school"], "name": ["Inside", "Far away"], "capacity": [300, 300]},
        geometry=[Point(X0 + 700, Y0 + 300), Point(X0 + 15000, Y0 + 300)], crs=CRS)
    sites.to_file(project / "raw" / "tiny.gpkg", layer="candidate_sites", engine="pyogrio")
    sources = sources_of(project)
    sources["candidate_sites"] = {"path": "raw/tiny.gpkg", "layer": "candidate_sites"}
    configure(project, sources)
    status, err = cli(project, capsys)
    assert status == 0, err
    ranking = json.loads((project / "data" / "processed" / "scenarios_ranking.json").read_text())["school_sites"]
    ranked = [r["scenario_id"] for r in ranking["scenarios"]]
    assert "K1" in ranked and "K2" not in ranked
    assert ranking["best"]["scenario_id"] == "K1"
    [left_out] = ranking["not_ranked"]
    assert left_out["scenario_id"] == "K2" and left_out["rank"] is None and left_out["dissimilarity"] is None
    assert "outside every school district" in left_out["reason"]
    table = gpd.read_parquet(project / "data" / "processed" / "scenarios_school_sites.parquet")
    assert "K2" not in set(table.scenario_id)
    assert any("K2" in w and "outside every school district" in w for w in run_warnings(project))
