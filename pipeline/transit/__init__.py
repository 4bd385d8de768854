"""Public transport: a GTFS timetable read and checked, and travel times by walking, bus and train.

The package holds one job per module; every public name is importable from `pipeline.transit`:

- feed.py: the GTFS feed (zip or folder) read as text, checked (every problem names the file, the column and
  the rows), and cut to the trips of one service day around the departure window;
- raptor.py: the timetable as patterns of trips that never overtake, and the earliest arrivals by a
  round-based (RAPTOR) search vectorised over many riders at once;
- window.py: the median travel time over every minute of the window, origins x destinations, from the walks
  to and from the stops (which the caller measures on its own street network).

No routing engine from the package index served (docs/dependencies.md, "Public transport routing"): this one
is plain numpy, checked against a time-expanded Dijkstra in tests/test_transit.py.
"""

from pipeline.transit.feed import (
    DayTimetable,
    Feed,
    day_timetable,
    gtfs_seconds,
    parse_window,
    read_feed,
    service_day,
    services_on,
)
from pipeline.transit.raptor import (
    MAX_QUERY_CELLS,
    Links,
    Pattern,
    Timetable,
    build_timetable,
    earliest_arrivals,
)
from pipeline.transit.window import lower_median, median_travel_times, travel_times, whole_minutes

__all__ = [
    "MAX_QUERY_CELLS", "DayTimetable", "Feed", "Links", "Pattern", "Timetable", "build_timetable", "day_timetable",
    "earliest_arrivals", "gtfs_seconds", "lower_median", "median_travel_times", "parse_window", "read_feed",
    "service_day", "services_on", "travel_times", "whole_minutes",
]
