"""Ingest's plausibility thresholds are config (pipeline/defaults.yaml `ingest.year_spread`, `ingest.equal_to_base`):
the same files pass with the defaults and are stopped or warned with another value, and the other way round.

Every fixture is a real file written here (a GeoPackage of six housing areas, a Danish CSV of area statistics)
read through the command line; the expected outcomes are worked out by hand in the comments.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from conftest import CRS, X0, Y0, write_config
from shapely.geometry import box

from pipeline.cli import main
from pipeline.core import log

AREA_IDS = ["a1", "a2", "a3", "a4", "a5", "a6"]


@pytest.fixture
def project(tmp_path):
    """Six housing areas in a row (GeoPackage) and a function writing area statistics (CSV, ';') and the config."""
    raw = tmp_path / "raw"
    raw.mkdir()
    areas = gpd.GeoDataFrame({"area_id": AREA_IDS, "name": [f"Område {i}" for i in AREA_IDS]},
                             geometry=[box(X0 + 500 * i, Y0, X0 + 500 * (i + 1), Y0 + 500) for i in range(6)], crs=CRS)
    areas.to_file(raw / "areas.gpkg", layer="areas", engine="pyogrio")

    def configure(rows: list[tuple], **ingest) -> str:
        """area_statistics of `rows` (area_id, residents, residents_18_64, year), the config with `ingest` overrides."""
        lines = ["omr;beboere;voksne;aar", *(";".join(str(v) for v in row) for row in rows)]
        (raw / "statistik.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        sources = {"housing_areas": {"path": "raw/areas.gpkg", "layer": "areas"},
                   "area_statistics": {"path": "raw/statistik.csv", "csv_separator": ";",
                                       "columns": {"area_id": "omr", "residents": "beboere",
                                                   "residents_18_64": "voksne", "year": "aar"}}}
        return str(write_config(tmp_path, {"sources": sources, **({"ingest": ingest} if ingest else {})}))

    return tmp_path, configure


def run_ingest(config: str, capsys) -> tuple[int, str]:
    log.take_warnings()
    status = main(["--quiet", "run", "--stage", "ingest", "--config", config])
    return status, capsys.readouterr().err


def test_a_year_20_years_off_passes_with_the_default_spread_and_stops_the_run_with_year_spread_10(project, capsys):
    folder, configure = project
    # five areas of 2014 and a6 of 1994: the median year is 2014, a6 lies 20 years from it
    rows = [(a, 100, 60, 2014) for a in AREA_IDS[:5]] + [("a6", 100, 60, 1994)]
    status, err = run_ingest(configure(rows), capsys)  # year_spread 30 (the default): 20 years is no slip
    assert status == 0, err
    table = pd.read_parquet(folder / "data" / "processed" / "area_statistics.parquet")
    assert dict(zip(table["area_id"], table["year"], strict=True)) == {**dict.fromkeys(AREA_IDS[:5], 2014), "a6": 1994}
    (folder / "data" / "processed" / "area_statistics.parquet").unlink()
    status, err = run_ingest(configure(rows, year_spread=10), capsys)
    assert status == 2, err
    assert "statistik.csv" in err and "column 'year'" in err and "Rows: a6." in err
    assert "years in the future or more than 10 years from the rest (1994; most rows are of 2014)" in err
    assert "correct the year" in err
    assert not (folder / "data" / "processed" / "area_statistics.parquet").exists()


def test_a_sub_count_equal_to_its_base_in_5_of_6_rows_is_warned_only_under_a_lower_equal_to_base_share(project, capsys):
    _, configure = project
    # residents_18_64 equals residents in a1..a5 and not in a6: 5 of 6 rows compared, 83 %
    rows = [(a, 100, 100, 2014) for a in AREA_IDS[:5]] + [("a6", 100, 60, 2014)]
    warning = "residents_18_64 equals residents in 5 of 6 rows"
    status, err = run_ingest(configure(rows), capsys)  # default share 0.95: 5 of 6 is under it
    assert status == 0, err
    assert warning not in err
    status, err = run_ingest(configure(rows, equal_to_base={"share": 0.8, "min_rows": 5}), capsys)
    assert status == 0, err
    assert warning in err and "statistik.csv" in err and "column 'residents_18_64'" in err
    assert "Rows: a1, a2, a3, a4, a5." in err and "antal_samlet" in err
    # the same share with more rows asked for than the 6 compared: no warning
    status, err = run_ingest(configure(rows, equal_to_base={"share": 0.8, "min_rows": 7}), capsys)
    assert status == 0, err
    assert warning not in err
