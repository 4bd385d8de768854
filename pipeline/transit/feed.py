"""A GTFS timetable: read from a zip or folder, checked, and cut to the trips of one service day around a window.

Every table is read as text (ids stay as given). The checks name the file, the column and the first offending
rows (CONTRACT 8): a missing table or column, stops without coordinates or outside the extent, trips or stop
times that point at nothing, trips without times, times that run backwards, and a service day or window in
which no trip runs. Times left blank between two timed stops are interpolated along the stop sequence, as the
GTFS reference allows for stops that are not timepoints; trips of frequencies.txt are expanded to one trip per
headway.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.core.errors import InputError, Problem, first_ids
from pipeline.core.log import warn

REQUIRED = {
    "stops.txt": ("stop_id", "stop_lat", "stop_lon"),
    "routes.txt": ("route_id",),
    "trips.txt": ("route_id", "service_id", "trip_id"),
    "stop_times.txt": ("trip_id", "arrival_time", "departure_time", "stop_id", "stop_sequence"),
}
CALENDAR_COLUMNS = ("service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                    "start_date", "end_date")
CALENDAR_DATES_COLUMNS = ("service_id", "date", "exception_type")
FREQUENCIES_COLUMNS = ("trip_id", "start_time", "end_time", "headway_secs")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# Danish weekday names are accepted too (transit.day: tirsdag).
DANISH_WEEKDAYS = ("mandag", "tirsdag", "onsdag", "torsdag", "fredag", "lørdag", "søndag")
_TIME = re.compile(r"^\s*(\d{1,3}):([0-5]\d):([0-5]\d)\s*$")
_WINDOW = re.compile(r"^\s*(\d{1,2}):([0-5]\d)\s*-\s*(\d{1,2}):([0-5]\d)\s*$")


@dataclass(frozen=True)
class Feed:
    """The feed's tables as text, and where they came from."""

    path: Path
    tables: dict[str, pd.DataFrame]

    def file(self, name: str) -> str:
        return f"{self.path}/{name}"

    def problem(self, name: str, what: str, fix: str, *, column: str | None = None, ids=(), count=None) -> Problem:
        ids = list(ids)
        return Problem(what, fix, file=self.file(name), layer="gtfs", column=column, ids=first_ids(ids),
                       count=len(ids) if count is None else count)


@dataclass(frozen=True)
class DayTimetable:
    """The feed cut to one service day: its stops (working CRS) and the stop times of its trips near the window.

    stop_times has columns trip (text), stop (row of stops), arrival_s, departure_s, in trip and sequence order.
    """

    date: dt.date
    stops: gpd.GeoDataFrame
    stop_times: pd.DataFrame
    departures_s: np.ndarray


def read_feed(path: str | Path) -> Feed:
    """Every .txt table of a GTFS zip or folder, as text; InputError when the path holds no GTFS."""
    path = Path(path)
    tables: dict[str, pd.DataFrame] = {}
    if path.is_dir():
        for f in sorted(path.glob("*.txt")):
            tables[f.name] = _read_csv(f.read_bytes())
    elif path.is_file() and zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            for info in z.infolist():
                name = Path(info.filename).name
                if name.endswith(".txt") and not info.is_dir():
                    tables[name] = _read_csv(z.read(info))
    else:
        raise InputError(Problem("the GTFS feed was not found (a .zip or a folder of .txt files)",
                                 "set sources.gtfs.path to the feed's zip or folder", file=str(path), layer="gtfs"))
    feed = Feed(path, tables)
    _check_tables(feed)
    return feed


def _read_csv(data: bytes) -> pd.DataFrame:
    frame = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False, encoding="utf-8-sig",
                        skipinitialspace=True)
    frame.columns = [c.strip() for c in frame.columns]
    return frame


def _check_tables(feed: Feed) -> None:
    problems = [feed.problem(name, "the feed has no such table", "add the file to the feed (GTFS requires it)")
                for name in REQUIRED if name not in feed.tables]
    if "calendar.txt" not in feed.tables and "calendar_dates.txt" not in feed.tables:
        problems.append(feed.problem("calendar.txt", "the feed has neither calendar.txt nor calendar_dates.txt",
                                     "add the service calendar to the feed"))
    wanted = dict(REQUIRED, **{"calendar.txt": CALENDAR_COLUMNS, "calendar_dates.txt": CALENDAR_DATES_COLUMNS,
                               "frequencies.txt": FREQUENCIES_COLUMNS})
    for name, columns in wanted.items():
        if name in feed.tables:
            for column in columns:
                if column not in feed.tables[name].columns:
                    problems.append(feed.problem(name, "a required column is missing", "add the column",
                                                 column=column))
    if problems:
        raise InputError(problems)


def parse_window(window: str) -> tuple[int, int]:
    """'07:00-08:00' as (start, end) seconds after midnight; ValueError when it is not such a window."""
    m = _WINDOW.match(window)
    if not m:
        raise ValueError(f"`{window}` is not a window such as 07:00-08:00")
    h0, m0, h1, m1 = (int(g) for g in m.groups())
    start, end = 3600 * h0 + 60 * m0, 3600 * h1 + 60 * m1
    if end <= start:
        raise ValueError(f"the window `{window}` ends before it starts")
    return start, end


def gtfs_seconds(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """GTFS times (H:MM:SS, past 24:00 for trips after midnight) as seconds (nan where blank), and the bad rows."""
    text = values.astype(str).str.strip()
    parts = text.str.extract(_TIME)
    blank = text.eq("")
    bad = parts[0].isna() & ~blank
    seconds = parts.astype(float).to_numpy() @ np.array([3600.0, 60.0, 1.0])
    return seconds, bad.to_numpy()


def _dates(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values.astype(str).str.strip(), format="%Y%m%d", errors="coerce").dt.date


def services_on(feed: Feed, day: dt.date) -> set[str]:
    """The service_ids running on a day: calendar.txt's weekday and date range, then calendar_dates.txt's changes."""
    running: set[str] = set()
    cal = feed.tables.get("calendar.txt")
    if cal is not None and len(cal):
        start, end = _dates(cal["start_date"]), _dates(cal["end_date"])
        on = cal[WEEKDAYS[day.weekday()]].str.strip().eq("1") & (start <= day) & (end >= day)
        running |= set(cal.loc[on.to_numpy(), "service_id"])
    exc = feed.tables.get("calendar_dates.txt")
    if exc is not None and len(exc):
        today = exc[_dates(exc["date"]).eq(day).to_numpy()]
        kind = today["exception_type"].str.strip()
        running |= set(today.loc[kind.eq("1"), "service_id"])
        running -= set(today.loc[kind.eq("2"), "service_id"])
    return running


def _feed_dates(feed: Feed) -> list[dt.date]:
    """Every date from the first to the last the calendars mention."""
    dates = []
    cal = feed.tables.get("calendar.txt")
    if cal is not None and len(cal):
        dates += [_dates(cal["start_date"]).min(), _dates(cal["end_date"]).max()]
    exc = feed.tables.get("calendar_dates.txt")
    if exc is not None and len(exc):
        d = _dates(exc["date"])
        dates += [d.min(), d.max()]
    dates = [d for d in dates if isinstance(d, dt.date)]
    if not dates:
        return []
    first, last = min(dates), max(dates)
    return [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]


def service_day(feed: Feed, day: str, trips: pd.DataFrame) -> dt.date:
    """The day to route on: a date (YYYY-MM-DD), or the first such weekday on which a trip of the feed runs."""
    text = str(day).strip().lower()
    with_trips = set(trips["service_id"])
    calendar = "calendar.txt" if "calendar.txt" in feed.tables else "calendar_dates.txt"
    if text in WEEKDAYS or text in DANISH_WEEKDAYS:
        weekday = WEEKDAYS.index(text) if text in WEEKDAYS else DANISH_WEEKDAYS.index(text)
        for date in _feed_dates(feed):
            if date.weekday() == weekday and services_on(feed, date) & with_trips:
                return date
        raise InputError(feed.problem(calendar, f"no trip of the feed runs on any {WEEKDAYS[weekday]}",
                                      "set transit.day to a date or weekday the feed serves"))
    try:
        date = dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(Problem(f"transit.day `{day}` is neither a date (YYYY-MM-DD) nor a weekday name",
                                 "set transit.day to a date such as 2026-12-08 or a weekday such as tuesday")) from None
    if not services_on(feed, date) & with_trips:
        raise InputError(feed.problem(calendar, f"no trip of the feed runs on {date.isoformat()} (transit.day)",
                                      "set transit.day to a date the feed serves, or to a weekday name"))
    return date


def _expand_frequencies(feed: Feed, st: pd.DataFrame) -> pd.DataFrame:
    """Trips of frequencies.txt as one trip per headway, each named <trip_id>@<start seconds>."""
    freq = feed.tables.get("frequencies.txt")
    if freq is None or not len(freq):
        return st
    start, bad_start = gtfs_seconds(freq["start_time"])
    end, bad_end = gtfs_seconds(freq["end_time"])
    headway = pd.to_numeric(freq["headway_secs"], errors="coerce").to_numpy()
    bad = bad_start | bad_end | ~(headway > 0) | ~(end > start)
    if bad.any():
        raise InputError(feed.problem("frequencies.txt", "start_time, end_time or headway_secs is not valid",
                                      "give times as H:MM:SS with end after start and a positive headway",
                                      ids=freq["trip_id"][bad]))
    runs = []
    for trip, s, e, h in zip(freq["trip_id"], start, end, headway, strict=True):
        runs += [(trip, t) for t in np.arange(s, e, h)]
    runs = pd.DataFrame(runs, columns=["trip_id", "run_start"])
    templated = st["trip_id"].isin(runs["trip_id"])
    template = st[templated]
    first = template.groupby("trip_id", sort=False)["departure_s"].transform("min")
    template = template.assign(offset=template["departure_s"] - first)
    out = template.merge(runs, on="trip_id")
    shift = out["run_start"] - (out["departure_s"] - out["offset"])
    out["arrival_s"] += shift
    out["departure_s"] += shift
    out["trip_id"] = out["trip_id"] + "@" + out["run_start"].astype(int).astype(str)
    out = out.drop(columns=["offset", "run_start"])
    return pd.concat([st[~templated], out], ignore_index=True)


def _stops(feed: Feed, crs: str, extent, read_extent_only: bool) -> gpd.GeoDataFrame:
    """Stops (platforms and stops, not stations or entrances) with their point in the working CRS."""
    stops = feed.tables["stops.txt"]
    kind = stops["location_type"].str.strip() if "location_type" in stops else pd.Series("", index=stops.index)
    stops = stops[kind.isin(["", "0"]).to_numpy()]
    lat = pd.to_numeric(stops["stop_lat"], errors="coerce").to_numpy()
    lon = pd.to_numeric(stops["stop_lon"], errors="coerce").to_numpy()
    problems = []
    dup = stops["stop_id"].duplicated(keep=False).to_numpy()
    if dup.any():
        problems.append(feed.problem("stops.txt", "stop_id occurs more than once", "give every stop its own id",
                                     column="stop_id", ids=stops["stop_id"][dup].unique()))
    bad = ~(np.abs(lat) <= 90) | ~(np.abs(lon) <= 180)
    if bad.any():
        problems.append(feed.problem("stops.txt", "stop_lat or stop_lon is blank or not a WGS84 coordinate",
                                     "give each stop its latitude and longitude in degrees", column="stop_lat",
                                     ids=stops["stop_id"][bad]))
    if problems:
        raise InputError(problems)
    points = gpd.GeoDataFrame({"stop_id": stops["stop_id"].to_numpy(),
                               "name": stops.get("stop_name", stops["stop_id"]).to_numpy()},
                              geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326").to_crs(crs)
    xmin, ymin, xmax, ymax = extent
    x, y = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()
    outside = ~((x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax))
    if outside.any() and not read_extent_only:
        raise InputError(feed.problem(
            "stops.txt", f"stops lie outside the configured extent {list(extent)} (working CRS)",
            "check stop_lat/stop_lon, widen `extent`, or set ingest.read_extent_only: true to leave them out",
            column="stop_lat", ids=points["stop_id"][outside]))
    if outside.any():
        warn(f"{feed.file('stops.txt')}: {outside.sum()} stops outside the extent were left out")
    return points[~outside].reset_index(drop=True)


def _stop_times(feed: Feed, trips: pd.DataFrame, all_stop_ids: set[str]) -> pd.DataFrame:
    """stop_times of the given trips, checked, blank times interpolated, in trip and sequence order, in seconds."""
    st = feed.tables["stop_times.txt"]
    problems = []
    unknown_trip = ~st["trip_id"].isin(feed.tables["trips.txt"]["trip_id"])
    if unknown_trip.any():
        problems.append(feed.problem("stop_times.txt", "trip_id is not in trips.txt", "remove the rows or add the trips",
                                     column="trip_id", ids=st["trip_id"][unknown_trip].unique()))
    unknown_stop = ~st["stop_id"].isin(all_stop_ids)
    if unknown_stop.any():
        problems.append(feed.problem("stop_times.txt", "stop_id is not in stops.txt", "remove the rows or add the stops",
                                     column="stop_id", ids=st["stop_id"][unknown_stop].unique()))
    timed = set(st["trip_id"])
    untimed_trips = ~feed.tables["trips.txt"]["trip_id"].isin(timed)
    if untimed_trips.any():
        problems.append(feed.problem("trips.txt", "trips without times (no rows in stop_times.txt)",
                                     "add the trips' stop times or remove the trips", column="trip_id",
                                     ids=feed.tables["trips.txt"]["trip_id"][untimed_trips]))
    if problems:
        raise InputError(problems)
    st = st[st["trip_id"].isin(trips["trip_id"]).to_numpy()].copy()
    st["seq"] = pd.to_numeric(st["stop_sequence"], errors="coerce")
    arr, bad_a = gtfs_seconds(st["arrival_time"])
    dep, bad_d = gtfs_seconds(st["departure_time"])
    bad = bad_a | bad_d | st["seq"].isna().to_numpy()
    if bad.any():
        raise InputError(feed.problem("stop_times.txt", "arrival_time, departure_time or stop_sequence is not valid",
                                      "write times as H:MM:SS (past 24:00:00 after midnight) and stop_sequence as "
                                      "whole numbers", column="arrival_time", ids=st["trip_id"][bad].unique()))
    # A stop with one of its two times blank uses the other; a stop with both blank is interpolated below.
    st["arrival_s"] = np.where(np.isnan(arr), dep, arr)
    st["departure_s"] = np.where(np.isnan(dep), arr, dep)
    st = st.sort_values(["trip_id", "seq"], kind="stable").reset_index(drop=True)
    trip = st["trip_id"].to_numpy()
    first = np.r_[True, trip[1:] != trip[:-1]]
    last = np.r_[trip[1:] != trip[:-1], True]
    ends_blank = (first | last) & np.isnan(st["arrival_s"].to_numpy())
    if ends_blank.any():
        raise InputError(feed.problem("stop_times.txt", "trips without times at their first or last stop",
                                      "give every trip times at its first and last stop", column="arrival_time",
                                      ids=np.unique(trip[ends_blank])))
    blank = np.isnan(st["arrival_s"].to_numpy())
    if blank.any():
        # Linear in the position along the trip between the timed stops before and after (the trip's own: its
        # first and last stops are timed, so neither fill crosses into another trip).
        row = pd.Series(np.arange(len(st), dtype=float))
        timed_row = row.where(~blank)
        before, after = timed_row.ffill().to_numpy().astype(int), timed_row.bfill().to_numpy().astype(int)
        dep_before, arr_after = st["departure_s"].to_numpy()[before], st["arrival_s"].to_numpy()[after]
        share = (row.to_numpy() - before) / np.maximum(after - before, 1)
        filled = dep_before + share * (arr_after - dep_before)
        st.loc[blank, "arrival_s"] = filled[blank]
        st.loc[blank, "departure_s"] = filled[blank]
    a, d = st["arrival_s"].to_numpy(), st["departure_s"].to_numpy()
    backwards = (d < a) | np.r_[False, (a[1:] < d[:-1]) & ~first[1:]]
    if backwards.any():
        raise InputError(feed.problem("stop_times.txt", "times run backwards along a trip",
                                      "correct the trips' arrival and departure times", column="arrival_time",
                                      ids=np.unique(trip[backwards])))
    return st[["trip_id", "stop_id", "arrival_s", "departure_s"]]


def day_timetable(feed: Feed, *, day: str, window: str, max_minutes: float, crs: str, extent,
                  read_extent_only: bool = False) -> DayTimetable:
    """The stops and the stop times of the trips that run on the service day between the window's start and its
    end plus max_minutes; InputError naming the file and rows for every problem found."""
    start, end = parse_window(window)
    trips = feed.tables["trips.txt"]
    problems = []
    unknown_route = ~trips["route_id"].isin(feed.tables["routes.txt"]["route_id"])
    if unknown_route.any():
        problems.append(feed.problem("trips.txt", "route_id is not in routes.txt", "add the routes or remove the trips",
                                     column="route_id", ids=trips["trip_id"][unknown_route]))
    known_services = set()
    for name in ("calendar.txt", "calendar_dates.txt"):
        if name in feed.tables:
            known_services |= set(feed.tables[name]["service_id"])
    unknown_service = ~trips["service_id"].isin(known_services)
    if unknown_service.any():
        problems.append(feed.problem("trips.txt", "service_id is in neither calendar.txt nor calendar_dates.txt",
                                     "add the service to the calendar or remove the trips", column="service_id",
                                     ids=trips["trip_id"][unknown_service]))
    if problems:
        raise InputError(problems)
    date = service_day(feed, day, trips)
    running = trips[trips["service_id"].isin(services_on(feed, date)).to_numpy()]
    stops = _stops(feed, crs, extent, read_extent_only)
    st = _expand_frequencies(feed, _stop_times(feed, running, set(feed.tables["stops.txt"]["stop_id"])))
    span = st.groupby("trip_id", sort=False).agg(first=("departure_s", "min"), last=("arrival_s", "max"))
    near = span.index[(span["last"] >= start) & (span["first"] <= end + 60 * max_minutes)]
    st = st[st["trip_id"].isin(near).to_numpy()]
    index = pd.Series(np.arange(len(stops)), index=stops["stop_id"].to_numpy())
    st = st[st["stop_id"].isin(index.index).to_numpy()]
    in_window = ((st["departure_s"] >= start) & (st["departure_s"] < end)).any()
    if not in_window:
        calendar = "calendar.txt" if "calendar.txt" in feed.tables else "calendar_dates.txt"
        raise InputError(feed.problem(calendar, f"no trip leaves a stop between {window} on {date.isoformat()}",
                                      "set transit.day and transit.window to a time the feed serves"))
    out = pd.DataFrame({"trip": st["trip_id"].to_numpy(), "stop": index[st["stop_id"]].to_numpy(),
                        "arrival_s": st["arrival_s"].to_numpy(), "departure_s": st["departure_s"].to_numpy()})
    out = out.sort_values("trip", kind="stable").reset_index(drop=True)
    return DayTimetable(date, stops, out, np.arange(start, end, 60, dtype=float))
