"""The data's date (issue 21, CONTRACT 7): config data_date, else the statistics' latest year, never the run's date
nor a file's modification time; the run's date shown apart.

Hand case: two areas with area statistics for 2023 and 2024 (values of pipeline/mix run on them), files written
today: the data date is "2024" (da "2024 (statistikkens seneste år)"), not today's date.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
import yaml
from shapely.geometry import box

from pipeline.core.config import load_config
from pipeline.mix import run
from pipeline.publish.i18n import language
from pipeline.publish.pages.kit import data_date, run_date, shown_date

CRS = "EPSG:25832"
VALUES = {"residents": 1500, "share_outside_work_edu": 0.45, "crime_ratio": 1.0, "share_basic_edu": 0.65,
          "income_ratio": 0.8, "share_non_western": 0.6}


def project(root, years: tuple[int, ...] | None, extra: dict | None = None):
    """Two housing areas with area statistics of the given years (None: statistics with no year), mix run."""
    processed = root / "data" / "processed"
    processed.mkdir(parents=True)
    gpd.GeoDataFrame({"area_id": ["A", "B"], "name": ["A", "B"], "area_type": ["social", "social"]},
                     geometry=[box(700000, 6170000, 701000, 6171000), box(701000, 6170000, 702000, 6171000)],
                     crs=CRS).to_parquet(processed / "housing_areas.parquet")
    rows = [{"area_id": a, **({"year": y} if y is not None else {}), **VALUES} for a in ("A", "B")
            for y in (years or (None,))]
    pd.DataFrame(rows).to_parquet(processed / "area_statistics.parquet")
    (root / "config.yaml").write_text(yaml.safe_dump({"root": ".", **(extra or {})}), encoding="utf-8")
    config = load_config(root / "config.yaml")
    run(config)
    return config


def test_the_data_date_of_statistics_for_2024_is_2024_not_today(tmp_path):
    config = project(tmp_path, (2023, 2024))
    assert data_date(config) == "2024"
    assert shown_date(data_date(config), language("da")) == "2024 (statistikkens seneste år)"
    assert shown_date(data_date(config), language("en")) == "2024 (the statistics' latest year)"
    # the files were written today and the run is today's: neither is the data's date
    assert data_date(config) != dt.date.today().isoformat()


def test_a_configured_data_date_wins_and_statistics_without_a_year_give_unknown(tmp_path):
    configured = project(tmp_path / "a", (2023, 2024), {"data_date": "2024-06-30"})
    assert data_date(configured) == "2024-06-30"
    assert shown_date(data_date(configured), language("da")) == "30. juni 2024"
    assert data_date(project(tmp_path / "b", None)) == "unknown"  # never the files' or the run's date


def test_the_run_s_date_is_shown_apart(tmp_path):
    config = project(tmp_path, (2024,)).with_overrides({"run": {"id": "r1", "started": "2026-12-07T10:54:35+00:00"}})
    assert run_date(config) == "2026-12-07" and data_date(config) == "2024"
    assert run_date(project(tmp_path / "outside", (2024,))) == ""  # built outside the runner: no run date
