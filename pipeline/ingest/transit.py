"""The public transport timetable on ingest: the GTFS feed read, checked and cut to the service day's trips.

The feed is checked as every layer is (pipeline/transit/feed.py names the file, column and rows of each
problem) before anything is written; what access needs is written as two datasets: the stops in the working
CRS (transit_stops) and the stop times of the trips that run on `transit.day` between the start of
`transit.window` and its end plus `transit.gravity_max_minutes` (transit_stop_times).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.core import datasets
from pipeline.core.config import Config
from pipeline.core.log import log, warn
from pipeline.core.paths import source_path
from pipeline.transit import DayTimetable, day_timetable, read_feed

OUTPUTS = ("transit_stops", "transit_stop_times")


def read_transit(config: Config) -> DayTimetable | None:
    """The service day's timetable of the configured GTFS feed; None when no feed is configured (or an optional
    one is missing). InputError naming the file and rows when the feed is bad."""
    settings = config["sources"].get("gtfs")
    if not settings or not (settings.get("path") or settings.get("url")):
        return None
    path = source_path(config, settings)
    if settings.get("required", True) is False and not path.exists():
        warn(f"optional source gtfs is missing ({path}); the figures by public transport are empty")
        return None
    transit = config["transit"]
    return day_timetable(read_feed(path), day=str(transit["day"]), window=transit["window"],
                         max_minutes=max(float(transit["gravity_max_minutes"]), float(transit["max_minutes"])),
                         crs=config.crs, extent=config["extent"],
                         read_extent_only=bool(config["ingest"].get("read_extent_only", False)))


def write_transit(config: Config, day: DayTimetable | None) -> list[Path]:
    """Write the stops and the stop times (or remove earlier ones when there is no feed)."""
    if day is None:
        for name in OUTPUTS:
            datasets.output_path(config, name).unlink(missing_ok=True)
        return []
    times = day.stop_times.rename(columns={"trip": "trip_id"})
    written = [datasets.write(config, "transit_stops", day.stops),
               datasets.write(config, "transit_stop_times", pd.DataFrame(times))]
    log.info("Ingested gtfs: %s stops, %s trips on %s (%s)", f"{len(day.stops):,}",
             f"{times['trip_id'].nunique():,}", day.date.isoformat(), config["transit"]["window"])
    return written
