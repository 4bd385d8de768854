"""Status over the years on real counts: Frederiksberg's residents per city block at three extract dates.

Frederiksberg Kommune's open data (../shared/realdata/frederiksberg, README there) gives residents per city
block (karré, type_id 12) and per 100 m grid cell (type_id 11) at seven extract dates from 2012-10-02 to
2014-04-01. The blocks stand in for housing areas; the last extract of each year (2012-10-02, 2013-10-07,
2014-04-01) is the year's area statistics, its year taken from the date. The expected figures are read
from the JSON records with the json module, independently of the pipeline's reading.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline import ingest, mix
from pipeline.core import log
from pipeline.core.config import load_config

REPO = Path(__file__).resolve().parents[1]
FREDERIKSBERG = REPO.parent / "shared" / "realdata" / "frederiksberg"
LAST_OF_YEAR = {2012: "2012-10-02", 2013: "2013-10-07", 2014: "2014-04-01"}

pytestmark = pytest.mark.skipif(not (FREDERIKSBERG / "karre_4326.geojson").exists(),
                                reason="../shared/realdata is not beside the repository")


def block_records(name: str) -> dict[tuple[str, int], int]:
    """(block id, year) -> count of the last extract of each year, from the JSON records."""
    records = json.loads((FREDERIKSBERG / name).read_text(encoding="utf-8"))
    return {(str(r["distrikt_id"]), int(r["udtraek_dato"][:4])): r["antal_samlet"] for r in records
            if r["type_id"] == 12 and r["udtraek_dato"] in LAST_OF_YEAR.values()}


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    root = tmp_path_factory.mktemp("frederiksberg")
    dates = ", ".join(f"'{d}'" for d in LAST_OF_YEAR.values())
    where = f"type_id = 12 AND udtraek_dato IN ({dates})"
    config = {
        "root": str(root),
        "data_note": "Frederiksberg Kommune: residents per city block, 2012-2014",
        "sources": {
            "housing_areas": {"path": str(FREDERIKSBERG / "karre_4326.geojson"),
                              "columns": {"area_id": "distrikt_id", "name": "distrikt_id"}},
            "area_statistics": {"parts": [
                {"path": str(FREDERIKSBERG / "befolkning_alle.json"), "where": where,
                 "columns": {"area_id": "distrikt_id", "residents": "antal_samlet", "date": "udtraek_dato"}},
                {"path": str(FREDERIKSBERG / "befolkning_18_64.json"), "where": where,
                 "columns": {"area_id": "distrikt_id", "residents_18_64": "antal", "date": "udtraek_dato"}},
            ]},
        },
    }
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    loaded = load_config(path)
    log.take_warnings()
    ingest.run(loaded)
    mix.run(loaded)
    return (pd.read_parquet(loaded.processed("areas_mix_history.parquet")),
            pd.read_parquet(loaded.processed("areas_mix.parquet")), log.take_warnings())


def test_years_come_from_the_extract_dates(history):
    frame = history[0]
    assert sorted(frame["year"].unique()) == [2012, 2013, 2014]
    assert len(frame) == 3 * 362 and not frame.duplicated(["area_id", "year"]).any()


def test_residents_per_block_and_year_are_the_records(history):
    frame = history[0].set_index(["area_id", "year"])
    expected = block_records("befolkning_alle.json")
    assert len(expected) == 3 * 362
    got = {key: int(value) for key, value in frame["residents"].items()}
    assert got == expected
    # the municipality's block totals of the three extracts (sums of the records): 101,079; 102,155; 102,090
    assert frame["residents"].groupby(level="year").sum().tolist() == [101_079, 102_155, 102_090]


def test_each_year_is_judged_by_the_oldest_rule_set_with_a_warning(history):
    frame, _, warnings = history
    # no rule set of the defaults covers 2012-2014 (the 2010-2018 rules are not in config): the oldest,
    # ghetto_2018, judges them, and the warning says so once per year
    assert set(frame["rule_set"]) == {"ghetto_2018"}
    for year in LAST_OF_YEAR:
        assert any(f"no rule set of mix.rule_sets is in force in {year}" in w for w in warnings)


def test_status_is_none_under_1000_residents_and_undetermined_above(history):
    # Nothing but residents is known: a block of fewer than 1,000 residents cannot get a status (none);
    # one of 1,000 or more may be social and meet criteria, which are unknown: undetermined. From the
    # records: 10, 10 and 9 blocks of at least 1,000 residents in 2012, 2013 and 2014.
    frame = history[0]
    expected = block_records("befolkning_alle.json")
    big = frame.apply(lambda r: expected[(r["area_id"], int(r["year"]))] >= 1000, axis=1)
    assert (frame.loc[big, "status"] == "undetermined").all() and (frame.loc[~big, "status"] == "none").all()
    assert frame[big].groupby("year").size().tolist() == [10, 10, 9]
    assert frame["c1_met"].isna().all() and frame["share_outside_work_edu"].isna().all()


def test_years_listed_follows_the_statuses(history):
    # 2012 runs back past the history with nothing typed: unknown. 2013 (2014): 0 where the block was none in
    # 2012 (2013), i.e. certainly off the list; unknown where it was undetermined.
    frame = history[0].set_index(["area_id", "year"])
    assert frame.xs(2012, level="year")["years_listed"].isna().all()
    for year in (2013, 2014):
        before = frame.xs(year - 1, level="year")["status"]
        listed = frame.xs(year, level="year")["years_listed"]
        assert (listed[before == "none"] == 0).all() and listed[before == "undetermined"].isna().all()


def test_latest_year_is_areas_mix(history):
    frame, areas, _ = history
    latest = frame[frame["year"] == 2014].set_index("area_id").sort_index()
    areas = areas.set_index("area_id").sort_index()
    assert latest["residents"].tolist() == areas["residents"].tolist()
    assert latest["status"].tolist() == areas["status"].tolist()


@pytest.fixture(scope="module")
def grid_history(tmp_path_factory):
    """The grid path: the 100 m cells (type_id 11) of the same three extracts, the blocks as housing areas."""
    root = tmp_path_factory.mktemp("frederiksberg_grid")
    dates = ", ".join(f"'{d}'" for d in LAST_OF_YEAR.values())
    config = {
        "root": str(root),
        "sources": {
            "housing_areas": {"path": str(FREDERIKSBERG / "karre_4326.geojson"),
                              "columns": {"area_id": "distrikt_id", "name": "distrikt_id"}},
            "grid_statistics": {"parts": [
                {"path": str(FREDERIKSBERG / "kvadratnet_4326.geojson"), "columns": {"cell_id": "distrikt_id"}},
                {"path": str(FREDERIKSBERG / "befolkning_alle.json"),
                 "where": f"type_id = 11 AND udtraek_dato IN ({dates})",
                 "columns": {"cell_id": "distrikt_id", "residents": "antal_samlet", "date": "udtraek_dato"}},
            ]},
        },
    }
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    loaded = load_config(path)
    ingest.run(loaded)
    mix.run(loaded)
    return (pd.read_parquet(loaded.processed("areas_mix_history.parquet")),
            pd.read_parquet(loaded.processed("parcels_mix.parquet")))


def test_grid_cells_of_each_extract_year_feed_that_year(grid_history):
    history, units = grid_history
    records = json.loads((FREDERIKSBERG / "befolkning_alle.json").read_text(encoding="utf-8"))
    totals = {year: sum(r["antal_samlet"] for r in records if r["type_id"] == 11 and r["udtraek_dato"] == date)
              for year, date in LAST_OF_YEAR.items()}
    assert totals[2014] == 102_180  # as the README's source states for the latest extract
    assert sorted(history["year"].unique()) == [2012, 2013, 2014] and len(history) == 3 * 362
    # the latest year's units (cell pieces cut by the blocks) keep every resident of the 2014 cells
    assert int(units["residents"].sum()) == totals[2014]
    # each year's block sums come from that year's cells: at most the year's total, and they follow it
    sums = history.groupby("year")["residents"].sum()
    assert all(0 < sums[year] <= totals[year] for year in totals)
    assert (sums[2013] > sums[2012]) == (totals[2013] > totals[2012])
