"""Ingest: every supported format loads with the right CRS, columns and counts; bad input stops with exit 2."""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
from conftest import CRS, X0, Y0, tiny_layers, write_config, write_tiny_sources
from rasterio.transform import from_origin
from shapely.geometry import LineString, MultiLineString, Point, Polygon

from pipeline import ingest
from pipeline.cli import main
from pipeline.core.config import load_config
from pipeline.ingest.clean import _to_text_ids


def utm32_forward(lon_deg: float, lat_deg: float) -> tuple[float, float]:
    """ETRS89 geographic to UTM 32N by the Krüger series (independent of PROJ), to well under a millimetre."""
    a, f = 6378137.0, 1 / 298.257222101  # GRS80
    k0, lon0, false_e = 0.9996, math.radians(9.0), 500000.0
    n = f / (2 - f)
    big_a = a / (1 + n) * (1 + n**2 / 4 + n**4 / 64)
    alpha = (n / 2 - 2 * n**2 / 3 + 5 * n**3 / 16, 13 * n**2 / 48 - 3 * n**3 / 5, 61 * n**3 / 240)
    lat, dlon = math.radians(lat_deg), math.radians(lon_deg) - lon0
    e = 2 * math.sqrt(n) / (1 + n)
    t = math.sinh(math.atanh(math.sin(lat)) - e * math.atanh(e * math.sin(lat)))
    xi, eta = math.atan2(t, math.cos(dlon)), math.atanh(math.sin(dlon) / math.sqrt(1 + t * t))
    x = eta + sum(al * math.cos(2 * j * xi) * math.sinh(2 * j * eta) for j, al in enumerate(alpha, 1))
    y = xi + sum(al * math.sin(2 * j * xi) * math.cosh(2 * j * eta) for j, al in enumerate(alpha, 1))
    return false_e + k0 * big_a * x, k0 * big_a * y


def run_ingest(config_path, capsys) -> tuple[int, str]:
    """Run the ingest stage through the command line; exit status and what it printed to stderr."""
    status = main(["--quiet", "run", "--stage", "ingest", "--config", str(config_path)])
    return status, capsys.readouterr().err


def test_tiny_project_loads_every_layer_with_crs_columns_and_counts(tiny_config):
    ingest.run(tiny_config)
    expected_rows = {"housing_areas": 2, "parcels": 4, "schools": 2, "school_districts": 2, "jobs": 2,
                     "green_areas": 1, "streets": 2}
    for layer, rows in expected_rows.items():
        frame = gpd.read_parquet(tiny_config.processed(f"{layer}.parquet"))
        assert len(frame) == rows, layer
        assert frame.crs.to_epsg() == 25832, layer
    parcels = gpd.read_parquet(tiny_config.processed("parcels.parquet"))
    # ids become text; an empty area_id stays empty for the later spatial assignment
    assert parcels.parcel_id.tolist() == ["1", "2", "3", "4"]
    assert parcels.area_id.isna().tolist() == [False, True, False, True]
    assert parcels.dwellings_other.tolist() == [0, 0, 0, 0]  # optional count absent: the contract's 0
    schools = gpd.read_parquet(tiny_config.processed("schools.parquet"))
    assert schools.name.tolist() == ["Ølby Skole", "Bakke Skole"]  # cp1252 Shapefile read with its encoding
    jobs = gpd.read_parquet(tiny_config.processed("jobs.parquet"))
    assert jobs.site_id.tolist() == ["10", "11"] and jobs.jobs.tolist() == [100, 25]
    assert (jobs.geometry.x - X0).round(6).tolist() == [900.0, 1900.0]
    green = gpd.read_parquet(tiny_config.processed("green_areas.parquet"))
    assert green.public.tolist() == [True]
    summary = json.loads(tiny_config.processed("ingest.json").read_text())
    assert summary["rows"]["parcels"] == 4


def test_geojson_in_wgs84_is_reprojected_to_within_a_millimetre(tmp_path):
    sources = write_tiny_sources(tmp_path)
    lon, lat = 12.25, 55.65
    green = gpd.GeoDataFrame({"green_id": ["G9"], "kind": ["forest"]},
                             geometry=[Point(lon, lat).buffer(0.001)], crs="EPSG:4326")
    stations = gpd.GeoDataFrame({"station_id": ["st1"], "name": ["Taastrup"]}, geometry=[Point(lon, lat)], crs="EPSG:4326")
    green.to_file(tmp_path / "raw" / "green.geojson", engine="pyogrio")
    stations.to_file(tmp_path / "raw" / "stations.geojson", engine="pyogrio")
    sources["green_areas"] = {"path": "raw/green.geojson"}
    sources["stations"] = {"path": "raw/stations.geojson"}
    config = load_config(write_config(tmp_path, {"sources": sources}))
    ingest.run(config)
    station = gpd.read_parquet(config.processed("stations.parquet")).geometry.iloc[0]
    x, y = utm32_forward(lon, lat)
    assert abs(station.x - x) < 0.001 and abs(station.y - y) < 0.001
    assert gpd.read_parquet(config.processed("green_areas.parquet")).crs.to_epsg() == 25832


def test_csv_with_wkt_and_semicolons_and_comma_decimals(tmp_path):
    sources = write_tiny_sources(tmp_path)
    (tmp_path / "raw" / "stations.csv").write_text(
        'stationsnr;navn;geom\n7;Høje Taastrup;POINT (700100.5 6170200.25)\n', encoding="utf-8")
    (tmp_path / "raw" / "jobs2.csv").write_text("pnr;ansatte;x;y\n1;12;700000,5;6170000,5\n2;3;700010;6170010\n",
                                               encoding="utf-8")
    sources["stations"] = {"path": "raw/stations.csv", "wkt": "geom", "crs": CRS, "csv_separator": ";",
                           "columns": {"station_id": "stationsnr", "name": "navn"}}
    sources["jobs"] = {"path": "raw/jobs2.csv", "x": "x", "y": "y", "crs": CRS, "csv_separator": ";",
                       "csv_decimal": ",", "columns": {"site_id": "pnr", "jobs": "ansatte"}}
    config = load_config(write_config(tmp_path, {"sources": sources}))
    ingest.run(config)
    station = gpd.read_parquet(config.processed("stations.parquet"))
    assert station.station_id.tolist() == ["7"] and station.name.tolist() == ["Høje Taastrup"]
    assert (station.geometry.x.iloc[0], station.geometry.y.iloc[0]) == (700100.5, 6170200.25)
    jobs = gpd.read_parquet(config.processed("jobs.parquet"))
    assert jobs.jobs.tolist() == [12, 3]


def test_flatgeobuf_and_geoparquet_sources(tmp_path):
    sources = write_tiny_sources(tmp_path)
    layers = tiny_layers()
    layers["schools"].to_file(tmp_path / "raw" / "schools.fgb", engine="pyogrio")
    layers["green_areas"].to_parquet(tmp_path / "raw" / "green.parquet")
    sources["schools"] = {"path": "raw/schools.fgb"}
    sources["green_areas"] = {"path": "raw/green.parquet"}
    config = load_config(write_config(tmp_path, {"sources": sources}))
    ingest.run(config)
    schools = gpd.read_parquet(config.processed("schools.parquet")).sort_values("school_id")  # FlatGeobuf reorders
    assert schools.capacity.tolist() == [300, 200]
    assert gpd.read_parquet(config.processed("green_areas.parquet")).geometry.area.round(3).tolist() == [22500.0]


def test_repairable_bowtie_is_repaired_and_warned(tmp_path, caplog):
    sources = write_tiny_sources(tmp_path)
    green = gpd.GeoDataFrame(
        {"green_id": ["bow"]},
        # a bowtie: two triangles of 50 x 100 / 2 = 2,500 m² each meeting at (X0+50, Y0+50)
        geometry=[Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)])], crs=CRS)
    green.to_file(tmp_path / "raw" / "tiny.gpkg", layer="green_areas", engine="pyogrio")
    config = load_config(write_config(tmp_path, {"sources": sources}))
    with caplog.at_level("WARNING"):
        ingest.run(config)
    repaired = gpd.read_parquet(config.processed("green_areas.parquet")).geometry.iloc[0]
    assert repaired.is_valid and round(repaired.area, 6) == 5000.0
    assert "repaired 1 invalid geometries" in caplog.text and "bow" in caplog.text


def test_multilinestring_streets_are_split_with_suffixed_ids(tmp_path, caplog):
    sources = write_tiny_sources(tmp_path)
    streets = gpd.GeoDataFrame(
        {"street_id": ["m"]},
        geometry=[MultiLineString([[(X0, Y0), (X0 + 10, Y0)], [(X0 + 20, Y0), (X0 + 30, Y0)]])], crs=CRS)
    streets.to_file(tmp_path / "raw" / "tiny.gpkg", layer="streets", engine="pyogrio")
    config = load_config(write_config(tmp_path, {"sources": sources}))
    ingest.run(config)
    out = gpd.read_parquet(config.processed("streets.parquet"))
    assert out.street_id.tolist() == ["m-1", "m-2"] and out.geometry.length.tolist() == [10.0, 10.0]
    assert out.walk.tolist() == [True, True]  # absent flags take the contract's default


def _corrupt_gpkg_layer(tmp_path, layer: str, frame: gpd.GeoDataFrame) -> None:
    frame.to_file(tmp_path / "raw" / "tiny.gpkg", layer=layer, engine="pyogrio")


def _bad_parcels(change) -> gpd.GeoDataFrame:
    parcels = tiny_layers()["parcels"]
    return change(parcels.copy())


BAD_INPUTS = {
    "duplicate ids": (
        lambda tmp, src: _corrupt_gpkg_layer(tmp, "parcels", _bad_parcels(lambda p: p.assign(parcel_id=[1, 2, 2, 4]))),
        ["tiny.gpkg", "'parcels'", "'parcel_id'", "occur more than once", "Rows: 2"],
    ),
    "negative counts": (
        lambda tmp, src: _corrupt_gpkg_layer(tmp, "parcels", _bad_parcels(lambda p: p.assign(residents=[250, -1, 110, -5]))),
        ["'residents'", "negative", "Rows: 2, 4"],
    ),
    "missing required column": (
        lambda tmp, src: _corrupt_gpkg_layer(tmp, "parcels", _bad_parcels(lambda p: p.drop(columns="parcel_id"))),
        ["'parcel_id'", "is missing", "sources.parcels.columns"],
    ),
    "missing mapped optional column": (
        lambda tmp, src: src["parcels"].update(columns={"residents": "beboere"}),
        ["'beboere'", "mapped to residents is missing", "columns present: ", "dwellings_owner", "sources.parcels.columns.residents"],
    ),
    "wrong type": (
        lambda tmp, src: _corrupt_gpkg_layer(tmp, "parcels", _bad_parcels(lambda p: p.assign(residents=["250", "mange", "110", "12"]))),
        ["'residents'", "not numbers", "Rows: 2"],
    ),
    "missing file": (
        lambda tmp, src: (tmp / "raw" / "jobs.csv").unlink(),
        ["jobs.csv", "does not exist", "sources.jobs.path"],
    ),
    "missing layer": (
        lambda tmp, src: src["streets"].update(layer="veje"),
        ["tiny.gpkg", "'veje'", "layer does not exist", "housing_areas"],
    ),
    "no CRS": (
        lambda tmp, src: src["jobs"].pop("crs"),
        ["jobs.csv", "no coordinate reference system", "sources.jobs.crs"],
    ),
    "outside extent": (
        lambda tmp, src: _corrupt_gpkg_layer(
            # in UTM 32N's area of use (45°N, 6°E: a plausible CRS) but outside Denmark's extent
            tmp, "schools_far", gpd.GeoDataFrame({"school_id": ["far"], "name": ["Far"]}, geometry=[Point(300000, 5000000)], crs=CRS))
        or src.update(schools={"path": "raw/tiny.gpkg", "layer": "schools_far"}),
        ["'schools_far'", "outside the configured extent", "Rows: far"],
    ),
    "unrepairable geometry": (
        lambda tmp, src: _corrupt_gpkg_layer(
            tmp, "green_areas", gpd.GeoDataFrame({"green_id": ["flat"]},
                                                 geometry=[Polygon([(X0, Y0), (X0 + 10, Y0), (X0 + 20, Y0)])], crs=CRS)),
        ["'green_areas'", "cannot be repaired", "Rows: flat"],
    ),
    "empty layer": (
        lambda tmp, src: _corrupt_gpkg_layer(
            tmp, "housing_areas", gpd.GeoDataFrame({"area_id": [], "name": []}, geometry=[], crs=CRS)),
        ["'housing_areas'", "is empty"],
    ),
    "unknown referenced id": (
        lambda tmp, src: _corrupt_gpkg_layer(
            tmp, "school_districts", tiny_layers()["school_districts"].assign(school_id=["S1", "S9"])),
        ["'school_districts'", "'school_id'", "match nothing: 'S9' (closest: ", "Rows: D2"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_exits_2_names_file_column_ids_and_keeps_outputs(tmp_path, capsys, case):
    sources = write_tiny_sources(tmp_path)
    config_path = write_config(tmp_path, {"sources": sources})
    assert run_ingest(config_path, capsys)[0] == 0
    before = {p.name: p.read_bytes() for p in (tmp_path / "data" / "processed").glob("*.parquet")}
    corrupt, expected = BAD_INPUTS[case]
    corrupt(tmp_path, sources)
    config_path = write_config(tmp_path, {"sources": sources})
    status, err = run_ingest(config_path, capsys)
    assert status == 2
    for text in expected:
        assert text in err, f"{text!r} not in {err!r}"
    assert "What to do:" in err
    after = {p.name: p.read_bytes() for p in (tmp_path / "data" / "processed").glob("*.parquet")}
    assert after == before


def test_all_problems_of_a_run_are_reported_at_once(tmp_path, capsys):
    sources = write_tiny_sources(tmp_path)
    _corrupt_gpkg_layer(tmp_path, "parcels", _bad_parcels(lambda p: p.assign(parcel_id=[1, 1, 3, 4], residents=[1, 2, -3, 4])))
    sources["jobs"].pop("crs")
    status, err = run_ingest(write_config(tmp_path, {"sources": sources}), capsys)
    assert status == 2
    # duplicate ids, a negative count, children_6_16 (15) above residents (-3) on the same row, no CRS
    assert "Bad input (4 problems)" in err
    assert "occur more than once" in err and "negative" in err and "children_6_16 exceeds residents" in err
    assert "no coordinate reference system" in err


def _write_canopy(path, origin_x, origin_y, values, crs=CRS):
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0], count=1,
                       dtype="float32", crs=crs, transform=from_origin(origin_x, origin_y, 10, 10)) as dst:
        dst.write(values.astype("float32"), 1)


def test_canopy_raster_is_clipped_to_the_areas_and_kept_as_fractions(tmp_path):
    sources = write_tiny_sources(tmp_path)
    values = np.full((120, 220), 0.25)
    values[:, :100] = 0.75  # the first 1,000 m (area A) has 0.75
    _write_canopy(tmp_path / "raw" / "canopy.tif", X0 - 50, Y0 + 1050, values)
    sources["canopy"] = {"path": "raw/canopy.tif"}
    config = load_config(write_config(tmp_path, {"sources": sources}))
    ingest.run(config)
    with rasterio.open(config.processed("canopy.tif")) as src:
        data = src.read(1)
        assert src.crs.to_epsg() == 25832
        # the areas span X0..X0+2000, Y0..Y0+1000: 200 x 100 cells of 10 m
        assert (src.width, src.height) == (200, 100)
        assert src.bounds.left == X0 and src.bounds.top == Y0 + 1000
    assert float(data[:, :95].mean()) == pytest.approx(0.75) and float(data[:, 110:].mean()) == pytest.approx(0.25)


def test_raster_without_overlap_and_percentages_are_bad_input(tmp_path, capsys):
    sources = write_tiny_sources(tmp_path)
    _write_canopy(tmp_path / "raw" / "canopy.tif", X0 + 50000, Y0, np.full((10, 10), 0.5))
    sources["canopy"] = {"path": "raw/canopy.tif"}
    status, err = run_ingest(write_config(tmp_path, {"sources": sources}), capsys)
    assert status == 2 and "canopy.tif" in err and "does not overlap" in err
    _write_canopy(tmp_path / "raw" / "canopy.tif", X0, Y0 + 1000, np.full((100, 200), 40.0))
    status, err = run_ingest(write_config(tmp_path, {"sources": sources}), capsys)
    assert status == 2 and "expected fractions 0..1" in err


def test_validate_writes_nothing(tmp_path, capsys):
    sources = write_tiny_sources(tmp_path)
    config_path = write_config(tmp_path, {"sources": sources})
    assert main(["validate", "--config", str(config_path)]) == 0
    assert not (tmp_path / "data" / "processed").exists() or not any((tmp_path / "data" / "processed").iterdir())


def test_optional_streets_missing_is_a_warning_not_an_error(tmp_path, capsys):
    sources = write_tiny_sources(tmp_path)
    sources["streets"] = {"path": "raw/none.gpkg", "layer": "streets", "required": False}
    config = load_config(write_config(tmp_path, {"sources": sources}))
    ingest.run(config)
    assert not config.processed("streets.parquet").exists()


def test_ids_from_numbers_and_text_agree():
    values = pd.Series([17, 17.0, "17", " 18 ", None], dtype="object")
    assert _to_text_ids(values).tolist() == ["17", "17", "17", "18", pd.NA]


def test_street_crossing_line_is_kept_as_drawn(tiny_config):
    ingest.run(tiny_config)
    streets = gpd.read_parquet(tiny_config.processed("streets.parquet"))
    assert streets.geometry.iloc[1].equals(LineString([(X0 + 1000, Y0), (X0 + 1000, Y0 + 1000)]))


def test_read_extent_only_skips_features_outside_the_extent(tmp_path):
    sources = write_tiny_sources(tmp_path)
    far = gpd.GeoDataFrame({"school_id": ["far"], "name": ["Far"], "capacity": [1]}, geometry=[Point(100, 100)], crs=CRS)
    pd.concat([tiny_layers()["schools"], far]).to_file(tmp_path / "raw" / "tiny.gpkg", layer="schools", engine="pyogrio")
    sources["schools"] = {"path": "raw/tiny.gpkg", "layer": "schools"}
    config = load_config(write_config(tmp_path, {"sources": sources, "ingest": {"read_extent_only": True}}))
    ingest.run(config)
    # the default extent starts at x = 400,000 m: the school at (100, 100) is not read
    assert gpd.read_parquet(config.processed("schools.parquet")).school_id.tolist() == ["S1", "S2"]


def test_only_the_mapped_columns_are_read(tiny_config, tmp_path):
    extra = tiny_layers()["green_areas"].assign(notes=["not needed"], area_m2=[22500.0])
    extra.to_file(tmp_path / "raw" / "tiny.gpkg", layer="green_areas", engine="pyogrio")
    ingest.run(tiny_config)
    assert list(gpd.read_parquet(tiny_config.processed("green_areas.parquet")).columns) == [
        "green_id", "kind", "public", "geometry"]


@pytest.mark.parametrize("parts, base", ingest.COUNT_BASES)
def test_every_sub_count_over_its_base_is_a_problem(parts, base):
    # a consistent parcel: 100 residents, 60 aged 18-64 of 80 adults, 30 aged 30-59, 15 children;
    # then the first part is raised until the parts exceed the base by exactly one person
    counts = {"residents": 100, "residents_18plus": 80, "residents_18_64": 60, "residents_30_59": 30,
              "outside_work_edu_18_64": 10, "basic_edu_only_30_59": 5, "convicted_18plus": 1, "taxpayers_15_64": 50,
              "non_western": 20, "children_6_16": 15}
    frame = pd.DataFrame({"parcel_id": ["ok", "over"], **{c: [v, v] for c, v in counts.items()}})
    source = ingest.Source("parcels", Path("p.gpkg"), {})
    assert ingest.check_count_bases(frame, source, ingest.SCHEMAS["parcels"]) == []
    over = counts[base] - sum(counts[p] for p in parts) + 1
    frame.loc[1, parts[0]] += over
    problems = ingest.check_count_bases(frame, source, ingest.SCHEMAS["parcels"])
    mine = [p for p in problems if p.what == f"{' + '.join(parts)} exceeds {base}"]
    assert len(mine) == 1 and mine[0].ids == ("over",) and mine[0].column == parts[0]


def test_unknown_counts_are_not_compared():
    frame = pd.DataFrame({"parcel_id": ["a"], "residents": [pd.NA], "taxpayers_15_64": [5]})
    source = ingest.Source("parcels", Path("p.gpkg"), {})
    assert ingest.check_count_bases(frame, source, ingest.SCHEMAS["parcels"]) == []


REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


@pytest.mark.skipif(not (REALDATA / "copenhagen").exists(), reason="the shared real data is not here")
@pytest.mark.parametrize("cpg", ["as published", "removed", "wrong"])
def test_real_copenhagen_districts_read_with_their_encoding_and_crs(tmp_path, cpg):
    from pipeline.core.errors import Problem
    from pipeline.sources import crs as _crs
    from pipeline.sources import read as _read

    for sidecar in (REALDATA / "copenhagen").glob("skolegrunddistrikt_kk_marts2026.*"):
        (tmp_path / sidecar.name).write_bytes(sidecar.read_bytes())  # a copy: the real data stays read-only
    shp = tmp_path / "skolegrunddistrikt_kk_marts2026.shp"
    if cpg == "removed":
        shp.with_suffix(".cpg").unlink()
    elif cpg == "wrong":
        shp.with_suffix(".cpg").write_text("1252")  # the file is UTF-8 (its .cpg says so)
    dataset, problem = _read.locate(shp, None, "school_districts", tmp_path, Problem)
    assert problem is None
    frame, problems = _read.read_text_safely(dataset, None, {}, Problem, "school_districts")
    names = set(frame["udd_dist_1"])
    if cpg == "wrong":  # UTF-8 decoded as cp1252: mojibake, reported with the key to set
        garbled = {p.column: p for p in problems}
        assert "udd_dist_1" in garbled and "Ã" in garbled["udd_dist_1"].what  # e.g. 'KÃ¸benhavns Kommune' in cvr_navn
        assert "sources.school_districts.encoding" in garbled["udd_dist_1"].fix
        return
    assert problems == [] and len(frame) == 57
    assert any("ø" in n for n in names) and not any("Ã" in n for n in names)
    # EPSG:4326 on lon/lat within Copenhagen: the declared CRS fits, no false alarm
    assert _crs.fits(_crs.layer_bounds(frame.geometry), frame.crs, 5.0)
