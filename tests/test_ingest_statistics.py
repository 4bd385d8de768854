"""Ingest of statistics and links as municipalities give them: grid cells by DST id, area tables, JSON records,
parts joined on a key, several schools per district, ids exactly as given, only housing areas required.

Every fixture is a real file written here and read back through GDAL; the expected values are worked out by
hand in the comments.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
import pytest
from conftest import CRS, X0, Y0, write_config
from shapely.geometry import Point, box

from pipeline import ingest
from pipeline.cli import main
from pipeline.core import datasets
from pipeline.core.config import load_config
from pipeline.ingest.clean import _to_text_ids

# Two housing areas inside the default extent, with an id that has a leading zero.
AREAS = gpd.GeoDataFrame({"area_id": ["0147", "0250"], "name": ["Ågården", "Bøgeparken"]},
                         geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)], crs=CRS)


@pytest.fixture
def project(tmp_path):
    """A folder with only the housing areas (GeoPackage, area_id as text) and a function writing the config."""
    raw = tmp_path / "raw"
    raw.mkdir()
    AREAS.to_file(raw / "areas.gpkg", layer="areas", engine="pyogrio")
    base = {"housing_areas": {"path": "raw/areas.gpkg", "layer": "areas"}}

    def configure(**sources):
        return write_config(tmp_path, {"sources": {**base, **sources}})

    return tmp_path, configure


def run_ingest(config_path, capsys) -> tuple[int, str]:
    status = main(["--quiet", "run", "--stage", "ingest", "--config", str(config_path)])
    return status, capsys.readouterr().err


def write_json_records(path, records) -> None:
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")


def test_only_housing_areas_configured_writes_only_housing_areas(project, capsys):
    folder, configure = project
    status, err = run_ingest(configure(), capsys)
    assert status == 0, err
    processed = folder / "data" / "processed"
    assert sorted(p.name for p in processed.glob("*.parquet")) == ["housing_areas.parquet"]
    areas = gpd.read_parquet(processed / "housing_areas.parquet")
    assert areas.area_id.tolist() == ["0147", "0250"]  # the leading zero survives


def test_leading_zero_ids_round_trip_from_csv_and_numeric_ids_lose_only_the_decimal(project, capsys):
    folder, configure = project
    # parcels as CSV: the area_id "0147" must not become 147; parcel 17.0 (as GDAL gives integer-valued reals) is "17"
    (folder / "raw" / "parcels.csv").write_text(
        "matrikel;omr;x;y\n0007;0147;700100;6170100\n17.0;0250;701100;6170100\n", encoding="utf-8")
    config = configure(parcels={"path": "raw/parcels.csv", "x": "x", "y": "y", "crs": CRS, "csv_separator": ";",
                                "columns": {"parcel_id": "matrikel", "area_id": "omr"}})
    assert run_ingest(config, capsys)[0] == 0
    parcels = gpd.read_parquet(folder / "data" / "processed" / "parcels.parquet")
    # read as text, the CSV's "17.0" stays text; "0007" keeps its zeros
    assert parcels.parcel_id.tolist() == ["0007", "17.0"] and parcels.area_id.tolist() == ["0147", "0250"]
    assert list(parcels.columns) == ["parcel_id", "area_id", "geometry"]  # no count invented


def test_ids_are_text_exactly_as_given():
    values = pd.Series(["0147", " 0147 ", 17, 17.0, 17.5, "", None], dtype="object")
    assert _to_text_ids(values).tolist() == ["0147", "0147", "17", "17", "17.5", pd.NA, pd.NA]
    assert _to_text_ids(pd.Series([17.0, 3.0, None])).tolist() == ["17", "3", pd.NA]
    assert _to_text_ids(pd.Series([101059, 281474])).tolist() == ["101059", "281474"]


def test_blank_and_absent_counts_stay_unknown(project, capsys):
    folder, configure = project
    parcels = gpd.GeoDataFrame(
        {"parcel_id": ["p1", "p2"], "dwellings_owner": [10, None], "residents": [25, None]},
        geometry=[box(X0 + 10, Y0 + 10, X0 + 20, Y0 + 20), box(X0 + 1010, Y0 + 10, X0 + 1020, Y0 + 20)], crs=CRS)
    parcels.to_file(folder / "raw" / "parcels.gpkg", engine="pyogrio")
    assert run_ingest(configure(parcels={"path": "raw/parcels.gpkg"}), capsys)[0] == 0
    out = gpd.read_parquet(folder / "data" / "processed" / "parcels.parquet")
    assert out.residents.tolist()[0] == 25 and pd.isna(out.residents.tolist()[1])
    assert pd.isna(out.dwellings_owner.tolist()[1])
    # dwellings_other absent but a tenure given: the configured tenures cover all dwellings (0); no other count appears
    assert out.dwellings_other.tolist() == [0, 0]
    assert "children_6_16" not in out.columns and "dwellings_social_family" not in out.columns


def test_grid_statistics_without_geometry_are_cells_made_from_their_ids(project, capsys):
    folder, configure = project
    # X0, Y0 = 700000, 6170000: the 100 m cell 100m_61700_7000 has its corner there; the 1 km cell 1km_6170_701
    # is the square E 701,000-702,000, N 6,170,000-6,171,000; a blank count stays unknown.
    # DST's ".." (withheld for discretion) is unknown as well, and so is the source's own marker "x"
    (folder / "raw" / "grid.csv").write_text(
        "celle;beboere;boern\n100m_61700_7000;12;3\n1km_6170_701;250;\n100m_61701_7000;..;x\n", encoding="utf-8")
    config = configure(grid_statistics={"path": "raw/grid.csv", "csv_separator": ";", "unknown_values": ["..", "x"],
                                        "columns": {"cell_id": "celle", "residents": "beboere", "children_6_16": "boern"}})
    status, err = run_ingest(config, capsys)
    assert status == 0, err
    grid = gpd.read_parquet(folder / "data" / "processed" / "grid_statistics.parquet")
    assert grid.crs.to_epsg() == 25832
    assert grid.cell_id.tolist() == ["100m_61700_7000", "1km_6170_701", "100m_61701_7000"]
    assert grid.geometry.iloc[0].equals(box(700000, 6170000, 700100, 6170100))
    assert grid.geometry.iloc[1].equals(box(701000, 6170000, 702000, 6171000))
    assert grid.residents.tolist()[:2] == [12, 250] and pd.isna(grid.residents.iloc[2])
    assert grid.children_6_16.iloc[0] == 3 and grid.children_6_16.iloc[1:].isna().all()


def test_unparseable_cell_ids_without_polygons_are_bad_input_naming_them(project, capsys):
    folder, configure = project
    (folder / "raw" / "grid.csv").write_text("cell_id,residents\n100m_61700_7000,1\ncelle 7,2\n61700_7000,3\n",
                                            encoding="utf-8")
    status, err = run_ingest(configure(grid_statistics={"path": "raw/grid.csv"}), capsys)
    assert status == 2
    assert "grid.csv" in err and "'cell_id'" in err and "not DST grid ids" in err and "Rows: celle 7, 61700_7000" in err


def test_given_cell_polygons_are_kept_and_a_misplaced_one_is_warned(project, capsys, caplog):
    folder, configure = project
    cells = gpd.GeoDataFrame({"cell_id": ["100m_61700_7000", "100m_61700_7001"], "residents": [5, 6]},
                             # the second polygon is drawn 300 m east of the cell its id names (E 700,100)
                             geometry=[box(700000, 6170000, 700100, 6170100), box(700400, 6170000, 700500, 6170100)],
                             crs=CRS)
    cells.to_crs("EPSG:4326").to_file(folder / "raw" / "cells.geojson", engine="pyogrio")
    with caplog.at_level("WARNING"):
        assert run_ingest(configure(grid_statistics={"path": "raw/cells.geojson"}), capsys)[0] == 0
    grid = gpd.read_parquet(folder / "data" / "processed" / "grid_statistics.parquet")
    assert grid.geometry.iloc[1].centroid.distance(Point(700450, 6170050)) < 0.01  # kept as given
    assert "1 grid cells lie more than half a cell" in caplog.text and "100m_61700_7001" in caplog.text


def test_json_records_with_where_and_parts_joined_on_cell_id(project, capsys):
    folder, configure = project
    raw = folder / "raw"
    # Frederiksberg's layout: one file per measure, grid cells (type_id 11) and blocks (12), several extracts.
    write_json_records(raw / "alle.json", [
        {"distrikt_id": "100m_61700_7000", "type_id": 11, "antal_samlet": 40, "udtraek_dato": "2014-04-01"},
        {"distrikt_id": "100m_61700_7001", "type_id": 11, "antal_samlet": 60, "udtraek_dato": "2014-04-01"},
        {"distrikt_id": "100m_61700_7000", "type_id": 11, "antal_samlet": 39, "udtraek_dato": "2014-01-06"},
        {"distrikt_id": "7101", "type_id": 12, "antal_samlet": 100, "udtraek_dato": "2014-04-01"},
    ])
    write_json_records(raw / "voksne.json", [  # no record for cell 7001: its residents_18_64 stay unknown
        {"distrikt_id": "100m_61700_7000", "type_id": 11, "antal_samlet": 30, "udtraek_dato": "2014-04-01"},
        {"distrikt_id": "100m_61700_7000", "type_id": 11, "antal_samlet": 29, "udtraek_dato": "2014-01-06"},
    ])
    where = "type_id = 11 AND udtraek_dato = '2014-04-01'"
    part = {"columns": {"cell_id": "distrikt_id", "date": "udtraek_dato"}, "where": where}
    config = configure(grid_statistics={"parts": [
        {**part, "path": "raw/alle.json", "columns": {**part["columns"], "residents": "antal_samlet"}},
        {**part, "path": "raw/voksne.json", "columns": {**part["columns"], "residents_18_64": "antal_samlet"}},
    ]})
    status, err = run_ingest(config, capsys)
    assert status == 0, err
    grid = gpd.read_parquet(folder / "data" / "processed" / "grid_statistics.parquet").sort_values("cell_id")
    assert grid.cell_id.tolist() == ["100m_61700_7000", "100m_61700_7001"]  # the block (type 12) is filtered out
    assert grid.residents.tolist() == [40, 60]
    assert grid.residents_18_64.iloc[0] == 30 and pd.isna(grid.residents_18_64.iloc[1])
    assert grid.year.tolist() == [2014, 2014]
    assert grid.date.dt.strftime("%Y-%m-%d").tolist() == ["2014-04-01", "2014-04-01"]


def test_two_dates_in_one_year_without_where_take_the_latest_with_a_warning_naming_the_dates(project, capsys):
    folder, configure = project
    write_json_records(folder / "raw" / "alle.json", [
        {"distrikt_id": "100m_61700_7000", "antal": 40, "dato": "2014-04-01"},
        {"distrikt_id": "100m_61700_7000", "antal": 39, "dato": "2014-01-06"},
    ])
    config = configure(grid_statistics={"path": "raw/alle.json",
                                        "columns": {"cell_id": "distrikt_id", "residents": "antal", "date": "dato"}})
    status, err = run_ingest(config, capsys)
    assert status == 0, err
    assert "several extract dates in one year (2014: 2014-01-06, 2014-04-01)" in err and "where" in err
    grid = gpd.read_parquet(folder / "data" / "processed" / "grid_statistics.parquet")
    assert grid.residents.tolist() == [40] and grid.year.tolist() == [2014]


def test_the_same_id_twice_on_one_date_is_bad_input(project, capsys):
    folder, configure = project
    write_json_records(folder / "raw" / "alle.json", [
        {"distrikt_id": "100m_61700_7000", "antal": 40, "dato": "2014-04-01"},
        {"distrikt_id": "100m_61700_7000", "antal": 39, "dato": "2014-04-01"},
    ])
    config = configure(grid_statistics={"path": "raw/alle.json",
                                        "columns": {"cell_id": "distrikt_id", "residents": "antal", "date": "dato"}})
    status, err = run_ingest(config, capsys)
    assert status == 2 and "more than once in the same year" in err and "where" in err and "100m_61700_7000" in err


def test_area_statistics_table_values_and_counts(project, capsys):
    folder, configure = project
    # the ministry's list gives shares per area; a blank stays unknown; comma decimals as configured
    (folder / "raw" / "omr.csv").write_text(
        "omr;beboere;andel_uden;domfaeldte_rate;indk;aar\n"
        "0147;1200;0,45;0,021;0,52;2024\n"
        "0250;900;;0,004;0,9;2024\n", encoding="utf-8")
    config = configure(area_statistics={
        "path": "raw/omr.csv", "csv_separator": ";", "csv_decimal": ",",
        "columns": {"area_id": "omr", "residents": "beboere", "share_outside_work_edu": "andel_uden",
                    "conviction_rate_18plus": "domfaeldte_rate", "income_ratio": "indk", "year": "aar"}})
    status, err = run_ingest(config, capsys)
    assert status == 0, err
    table = pd.read_parquet(folder / "data" / "processed" / "area_statistics.parquet")
    assert "geometry" not in table.columns
    assert table.area_id.tolist() == ["0147", "0250"]
    assert table.residents.tolist() == [1200, 900] and table.year.tolist() == [2024, 2024]
    assert table.share_outside_work_edu.iloc[0] == 0.45 and pd.isna(table.share_outside_work_edu.iloc[1])
    assert table.conviction_rate_18plus.tolist() == [0.021, 0.004] and table.income_ratio.tolist() == [0.52, 0.9]


def test_area_statistics_percentages_and_unknown_areas_are_bad_input(project, capsys):
    folder, configure = project
    (folder / "raw" / "omr.csv").write_text(
        "area_id,share_non_western\n0147,45.0\nBøgeparkn,0.2\n", encoding="utf-8")
    status, err = run_ingest(configure(area_statistics={"path": "raw/omr.csv"}), capsys)
    assert status == 2
    assert "'share_non_western'" in err and "looks like a percentage" in err and "Rows: 0147" in err
    (folder / "raw" / "omr.csv").write_text("area_id,share_non_western\n0147,0.45\nBøgeparkn,0.2\n", encoding="utf-8")
    status, err = run_ingest(configure(area_statistics={"path": "raw/omr.csv"}), capsys)
    assert status == 2
    # a name where an id belongs: the closest housing area is named with its id
    assert "name no housing area" in err and "'Bøgeparkn' (closest: 0250 (Bøgeparken))" in err


def test_one_source_column_feeds_two_canonical_columns(project, capsys):
    folder, configure = project
    schools = gpd.GeoDataFrame({"navn": ["Ørestad Skole", "Amager Fælled Skole"]},
                               geometry=[Point(X0 + 100, Y0 + 100), Point(X0 + 1100, Y0 + 100)], crs=CRS)
    schools.to_file(folder / "raw" / "schools.gpkg", engine="pyogrio")
    config = configure(schools={"path": "raw/schools.gpkg", "columns": {"school_id": "navn", "name": "navn"}})
    assert run_ingest(config, capsys)[0] == 0
    out = gpd.read_parquet(folder / "data" / "processed" / "schools.parquet")
    assert out.school_id.tolist() == out.name.tolist() == ["Ørestad Skole", "Amager Fælled Skole"]


def _districts_and_schools(folder, school_districts: list[str]):
    """Two districts (D1 'Distrikt Ørestad', D2 'Ålholm Skole') and one school per entry of school_districts."""
    districts = gpd.GeoDataFrame({"id": ["D1", "D2"], "navn": ["Distrikt Ørestad", "Ålholm Skole"]},
                                 geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)],
                                 crs=CRS)
    districts.to_file(folder / "raw" / "districts.gpkg", engine="pyogrio")
    n = len(school_districts)
    schools = gpd.GeoDataFrame({"nr": [f"0{i + 1}" for i in range(n)], "navn": [f"Skole {i + 1}" for i in range(n)],
                                "skoledistrikt": school_districts},
                               geometry=[Point(X0 + 100 + 100 * i, Y0 + 100) for i in range(n)], crs=CRS)
    schools.to_file(folder / "raw" / "schools.gpkg", engine="pyogrio")
    return {
        "school_districts": {"path": "raw/districts.gpkg", "columns": {"district_id": "id", "name": "navn"}},
        "schools": {"path": "raw/schools.gpkg", "district_match": "name",
                    "columns": {"school_id": "nr", "name": "navn", "district": "skoledistrikt"}},
    }


def test_district_named_by_two_schools_gives_two_links(project, capsys):
    folder, configure = project
    # names that differ only in case, spacing and Unicode form: 'A' + U+030A (combining ring) is NFC 'Å'
    sources = _districts_and_schools(folder, ["Distrikt Ørestad", "  distrikt  ØRESTAD ", "A\u030alholm Skole"])
    status, err = run_ingest(configure(**sources), capsys)
    assert status == 0, err
    links = pd.read_parquet(folder / "data" / "processed" / "district_schools.parquet")
    assert list(links.columns) == ["district_id", "school_id", "share"]
    assert sorted(zip(links.district_id, links.school_id, strict=True)) == [("D1", "01"), ("D1", "02"), ("D2", "03")]
    assert links.share.isna().all()


def test_school_naming_no_district_is_bad_input_with_the_closest_names(project, capsys):
    folder, configure = project
    sources = _districts_and_schools(folder, ["Distrikt Ørstad", "Ålholm Skole"])
    status, err = run_ingest(configure(**sources), capsys)
    assert status == 2
    assert "schools.gpkg" in err and "'district'" in err
    assert "'Distrikt Ørstad' (closest: Distrikt Ørestad" in err and "Rows: 01" in err


def test_district_schools_table_with_shares_and_warnings(project, capsys, caplog):
    folder, configure = project
    sources = _districts_and_schools(folder, [None, None, None])
    sources["schools"]["columns"].pop("district")
    (folder / "raw" / "links.csv").write_text("distrikt,skole,andel\nD1,01,0.25\nD1,02,0.75\nD2,02,\n", encoding="utf-8")
    sources["district_schools"] = {"path": "raw/links.csv",
                                   "columns": {"district_id": "distrikt", "school_id": "skole", "share": "andel"}}
    with caplog.at_level("WARNING"):
        status, err = run_ingest(configure(**sources), capsys)
    assert status == 0, err
    links = pd.read_parquet(folder / "data" / "processed" / "district_schools.parquet")
    assert links.school_id.tolist() == ["01", "02", "02"] and links.share.tolist()[:2] == [0.25, 0.75]
    assert pd.isna(links.share.iloc[2])
    # school 03 serves no district; school 02 is named by D1 and D2
    assert "1 schools serve no school district (school_id 03)" in caplog.text
    assert "1 schools are named by two or more districts (school_id 02)" in caplog.text
    assert "served by no school" not in caplog.text
    (folder / "raw" / "links.csv").write_text("distrikt,skole,andel\nD1,01,0.25\nD1,02,0.5\n", encoding="utf-8")
    status, err = run_ingest(configure(**sources), capsys)
    assert status == 2 and "do not sum to 1" in err and "Rows: D1" in err


def test_district_school_lists_split_on_a_separator(project, capsys):
    folder, configure = project
    sources = _districts_and_schools(folder, [None, None, None])
    sources["schools"]["columns"].pop("district")
    districts = gpd.read_file(folder / "raw" / "districts.gpkg").assign(skoler=["01; 02", "03"])
    districts.to_file(folder / "raw" / "districts.gpkg", engine="pyogrio")
    sources["school_districts"]["columns"]["school_id"] = "skoler"
    sources["school_districts"]["school_id_separator"] = ";"
    assert run_ingest(configure(**sources), capsys)[0] == 0
    links = pd.read_parquet(folder / "data" / "processed" / "district_schools.parquet")
    assert list(zip(links.district_id, links.school_id, strict=True)) == [("D1", "01"), ("D1", "02"), ("D2", "03")]
    assert "school_ids" not in gpd.read_parquet(folder / "data" / "processed" / "school_districts.parquet").columns


def test_one_school_per_district_also_gets_the_link_table(tiny_config):
    ingest.run(tiny_config)
    links = pd.read_parquet(tiny_config.processed("district_schools.parquet"))
    assert list(zip(links.district_id, links.school_id, strict=True)) == [("D1", "S1"), ("D2", "S2")]


def test_a_layer_no_longer_configured_loses_its_stale_parquet(project, capsys):
    folder, configure = project
    (folder / "raw" / "grid.csv").write_text("cell_id,residents\n100m_61700_7000,1\n", encoding="utf-8")
    assert run_ingest(configure(grid_statistics={"path": "raw/grid.csv"}), capsys)[0] == 0
    assert (folder / "data" / "processed" / "grid_statistics.parquet").exists()
    assert run_ingest(configure(), capsys)[0] == 0
    assert not (folder / "data" / "processed" / "grid_statistics.parquet").exists()


def test_unknown_canonical_name_in_columns_is_bad_input(project, capsys):
    folder, configure = project
    config = configure(housing_areas={"path": "raw/areas.gpkg", "layer": "areas", "columns": {"omraade": "area_id"}})
    status, err = run_ingest(config, capsys)
    assert status == 2 and "maps omraade, which the layer does not have" in err and "area_id, name" in err


def test_bad_where_filter_is_bad_input_with_the_hint(project, capsys):
    folder, configure = project
    (folder / "raw" / "grid.csv").write_text("cell_id,type_id,residents\n100m_61700_7000,11,1\n", encoding="utf-8")
    status, err = run_ingest(configure(grid_statistics={"path": "raw/grid.csv", "where": "typ = 11"}), capsys)
    assert status == 2 and "cannot be read" in err and "where" in err
    # with the value quoted (CSV columns are text) the filter works
    assert run_ingest(configure(grid_statistics={"path": "raw/grid.csv", "where": "type_id = '11'"}), capsys)[0] == 0


@pytest.mark.parametrize("name", ["tiny_config"])
def test_validate_counts_the_new_layers(name, request):
    config = request.getfixturevalue(name)
    counts = ingest.validate(config)
    assert counts["district_schools"] == 2


def test_config_without_tenure_columns_fills_nothing(tmp_path):
    """dwellings_other is not made 0 when no tenure class is given (0 would claim knowledge)."""
    AREAS.to_file(tmp_path / "areas.gpkg", engine="pyogrio")
    gpd.GeoDataFrame({"parcel_id": ["a"]}, geometry=[Point(X0 + 5, Y0 + 5)], crs=CRS).to_file(tmp_path / "p.gpkg", engine="pyogrio")
    config = load_config(write_config(tmp_path, {"sources": {"housing_areas": {"path": "areas.gpkg"},
                                                             "parcels": {"path": "p.gpkg"}}}))
    ingest.run(config)
    assert list(gpd.read_parquet(config.processed("parcels.parquet")).columns) == ["parcel_id", "geometry"]


def test_runner_hashes_every_part_and_expects_the_link_table(project):
    folder, configure = project
    for name in ("a.json", "b.json"):
        write_json_records(folder / "raw" / name, [{"cell_id": "100m_61700_7000", "residents": 1}])
    sources = _districts_and_schools(folder, ["Distrikt Ørestad"])
    config = load_config(configure(grid_statistics={"parts": [{"path": "raw/a.json"}, {"path": "raw/b.json"}]}, **sources))
    reads = [p.name for p in datasets.inputs(config, "ingest")]
    assert {"a.json", "b.json", "districts.gpkg", "schools.gpkg", "areas.gpkg"} <= set(reads)
    writes = [p.name for p in datasets.outputs(config, "ingest")]
    assert {"grid_statistics.parquet", "district_schools.parquet", "school_districts.parquet"} <= set(writes)


def test_a_match_key_other_than_id_or_name_is_bad_input(project, capsys):
    folder, configure = project
    sources = _districts_and_schools(folder, ["Distrikt Ørestad"])
    sources["schools"]["district_match"] = "navn"
    status, err = run_ingest(configure(**sources), capsys)
    assert status == 2 and "sources.schools.district_match is 'navn'" in err and "'id' or 'name'" in err  # the config schema refuses it


def test_a_district_no_school_names_is_warned(project, capsys, caplog):
    folder, configure = project
    sources = _districts_and_schools(folder, ["Distrikt Ørestad"])  # nobody names D2 'Ålholm Skole'
    with caplog.at_level("WARNING"):
        assert run_ingest(configure(**sources), capsys)[0] == 0
    assert "1 school districts are served by no school (district_id D2)" in caplog.text


def test_a_name_two_districts_share_is_matched_by_neither(project, capsys):
    folder, configure = project
    sources = _districts_and_schools(folder, ["Distrikt Ørestad"])
    districts = gpd.read_file(folder / "raw" / "districts.gpkg").assign(navn=["Distrikt Ørestad", "distrikt ørestad"])
    districts.to_file(folder / "raw" / "districts.gpkg", engine="pyogrio")
    status, err = run_ingest(configure(**sources), capsys)
    assert status == 2 and "names shared by two or more: distrikt ørestad: match those by id" in err


def test_dst_discretion_marker_is_unknown_by_default_and_other_text_is_bad_input(project, capsys):
    folder, configure = project
    (folder / "raw" / "omr.csv").write_text("area_id,residents,non_western\n0147,1200,..\n0250,900,mange\n",
                                            encoding="utf-8")
    status, err = run_ingest(configure(area_statistics={"path": "raw/omr.csv"}), capsys)
    # ".." (ingest.unknown_values) is unknown; "mange" is not a number: bad input naming row 0250 only
    assert status == 2 and "'non_western'" in err and "not numbers" in err and "Rows: 0250." in err
