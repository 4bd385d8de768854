"""Real data, second round (issue 22): checks that keep a wrong mapping, value, year or id from quietly
changing a figure, on Frederiksberg's own records (../shared/realdata/frederiksberg, README there).

Each test writes the files it needs into a temporary folder (records selected or changed the way an analyst's
file arrives), runs the command line and asserts the exit status, the file, column, rows and fix named, and
the figure left right; expected figures are read from the JSON records with the json module.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import write_config

from pipeline.cli import main
from pipeline.core import log

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
    assert "the statistics end in different years (grid_statistics 2014, area_statistics 2015)" in err
    areas = pd.read_parquet(folder / "data" / "processed" / "areas_mix.parquet")
    assert areas["residents"].notna().all() and (areas["crime_ratio"] == 1.5).all()
    # the residents are those of the grid alone (the same run without the 2015 table), 76,120 of the 102,180 in
    # the cells (the rest live in cells or cell pieces outside every block)
    config = write_config(folder, {"sources": {"housing_areas": areas_source(), "grid_statistics": sources["grid_statistics"]}})
    assert main(["--quiet", "run", "--stage", "ingest", "--stage", "mix", "--config", str(config)]) == 0
    alone = pd.read_parquet(folder / "data" / "processed" / "areas_mix.parquet")
    assert areas["residents"].tolist() == alone["residents"].tolist() and int(alone["residents"].sum()) == 76_120
