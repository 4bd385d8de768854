"""Reading and checking a GTFS feed: the service day, the window, and the errors that name file and rows."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import numpy as np
import pytest

from pipeline.core.errors import InputError
from pipeline.transit import day_timetable, parse_window, read_feed

EXTENT = [400000, 6000000, 910000, 6420000]
CRS = "EPSG:25832"

FILES = {
    "agency.txt": "agency_id,agency_name,agency_url,agency_timezone\nA,Demo,http://example.org,Europe/Copenhagen\n",
    "stops.txt": "stop_id,stop_name,stop_lat,stop_lon,location_type\n"
                 "S1,One,55.70,12.40,0\nS2,Two,55.71,12.40,\nS3,Three,55.72,12.40,0\nST,Station,55.72,12.40,1\n",
    "routes.txt": "route_id,agency_id,route_short_name,route_type\nR1,A,1,3\n",
    "trips.txt": "route_id,service_id,trip_id\nR1,WK,T1\nR1,WK,T2\nR1,SUN,T3\n",
    # T1: the middle stop has no times (not a timepoint): interpolated halfway, 07:05.
    "stop_times.txt": "trip_id,arrival_time,departure_time,stop_id,stop_sequence\n"
                      "T1,07:00:00,07:00:00,S1,1\nT1,,,S2,2\nT1,07:10:00,07:10:00,S3,3\n"
                      "T2,07:30:00,07:30:00,S1,1\nT2,07:34:00,07:35:00,S2,2\nT2,07:40:00,07:40:00,S3,3\n"
                      "T3,25:10:00,25:10:00,S1,1\nT3,25:20:00,25:20:00,S3,2\n",
    # Weekdays of December 2026 except Tuesday 1 December (calendar_dates removes it); Sundays separately.
    "calendar.txt": "service_id,monday,tuesday,wednesday,thursday,friday,saturday,sunday,start_date,end_date\n"
                    "WK,1,1,1,1,1,0,0,20261201,20261231\nSUN,0,0,0,0,0,0,1,20261201,20261231\n",
    "calendar_dates.txt": "service_id,date,exception_type\nWK,20261201,2\n",
}


def _write(folder: Path, changes: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**FILES, **(changes or {})}.items():
        if text is not None:
            (folder / name).write_text(text, encoding="utf-8")
    return folder


def _day(path, day="tuesday", window="07:00-08:00", **kw):
    return day_timetable(read_feed(path), day=day, window=window, max_minutes=45, crs=CRS, extent=EXTENT, **kw)


def test_reads_folder_and_zip_alike(tmp_path):
    folder = _write(tmp_path / "feed")
    archive = shutil.make_archive(str(tmp_path / "feed"), "zip", folder)
    for path in (folder, archive):
        day = _day(path)
        # The first Tuesday served: 1 December is removed by calendar_dates, so 8 December.
        assert day.date == dt.date(2026, 12, 8)
        assert list(day.stops["stop_id"]) == ["S1", "S2", "S3"]  # the station (location_type 1) is not a stop
        t1 = day.stop_times[day.stop_times["trip"] == "T1"]
        assert t1["arrival_s"].tolist() == [25200.0, 25500.0, 25800.0]  # 07:00, 07:05 interpolated, 07:10
        assert set(day.stop_times["trip"]) == {"T1", "T2"}
        assert len(day.departures_s) == 60 and day.departures_s[0] == 25200 and day.departures_s[-1] == 28740


def test_day_by_date_and_danish_weekday(tmp_path):
    folder = _write(tmp_path / "feed")
    assert _day(folder, day="2026-12-02").date == dt.date(2026, 12, 2)
    assert _day(folder, day="onsdag").date == dt.date(2026, 12, 2)
    # Sunday's trip runs at 25:10 (01:10 the next morning): in a 01:00-02:00 window of the service day.
    sunday = _day(folder, day="sunday", window="25:00-26:00")
    assert sunday.date == dt.date(2026, 12, 6) and set(sunday.stop_times["trip"]) == {"T3"}


def test_window():
    assert parse_window("07:00-08:00") == (25200, 28800)
    with pytest.raises(ValueError):
        parse_window("08:00-07:00")


@pytest.mark.parametrize("changes, file, words", [
    ({"stop_times.txt": None}, "stop_times.txt", "no such table"),
    ({"calendar.txt": None, "calendar_dates.txt": None}, "calendar.txt", "neither calendar.txt"),
    ({"stops.txt": "stop_id,stop_name,stop_lat,stop_lon\nS1,a,55.7,12.4\nS2,b,55.71,12.4\nS3,c,59.9,10.7\n"},
     "stops.txt", "(working CRS). Rows: S3"),
    ({"stops.txt": "stop_id,stop_name,stop_lat,stop_lon\nS1,a,55.7,12.4\nS2,b,,12.4\nS3,c,55.72,12.4\n"},
     "stops.txt", "not a WGS84 coordinate. Rows: S2"),
    ({"trips.txt": "route_id,service_id,trip_id\nR1,WK,T1\nR1,WK,T2\nR1,SUN,T3\nR1,WK,T9\n"},
     "trips.txt", "trips without times (no rows in stop_times.txt). Rows: T9"),
    ({"stop_times.txt": FILES["stop_times.txt"].replace("T1,07:10:00,07:10:00,S3,3", "T1,,,S3,3")},
     "stop_times.txt", "trips without times at their first or last stop. Rows: T1"),
    ({"stop_times.txt": FILES["stop_times.txt"].replace("07:40:00,07:40:00", "07:20:00,07:20:00")},
     "stop_times.txt", "times run backwards along a trip. Rows: T2"),
    ({"stop_times.txt": FILES["stop_times.txt"].replace("07:30:00,07:30:00", "7.30,7.30")},
     "stop_times.txt", "not valid. Rows: T2"),
    ({"trips.txt": "route_id,service_id,trip_id\nR1,WK,T1\nR1,XX,T2\nR1,SUN,T3\n"},
     "trips.txt", "service_id is in neither"),
    ({"calendar.txt": FILES["calendar.txt"].replace("20261201,20261231", "20261202,20261207")},
     "calendar.txt", "no trip of the feed runs on any tuesday"),
])
def test_bad_feed_names_file_and_rows(tmp_path, changes, file, words):
    folder = _write(tmp_path / "feed", changes)
    with pytest.raises(InputError) as err:
        _day(folder)
    text = str(err.value)
    assert f"{folder}/{file}" in text and words in text


def test_day_with_no_service_and_empty_window(tmp_path):
    folder = _write(tmp_path / "feed")
    with pytest.raises(InputError, match="no trip of the feed runs on 2026-12-01"):
        _day(folder, day="2026-12-01")
    with pytest.raises(InputError, match="no trip leaves a stop between 09:00-10:00 on 2026-12-08"):
        _day(folder, window="09:00-10:00")


def test_outside_stops_left_out_when_reading_the_extent_only(tmp_path):
    folder = _write(tmp_path / "feed", {"stops.txt": FILES["stops.txt"].replace("S3,Three,55.72,12.40",
                                                                                 "S3,Three,59.9,10.7")})
    day = _day(folder, read_extent_only=True)
    assert list(day.stops["stop_id"]) == ["S1", "S2"]
    assert np.array_equal(np.unique(day.stop_times["stop"]), [0, 1])


def test_frequencies_expand_to_trips(tmp_path):
    folder = _write(tmp_path / "feed", {"frequencies.txt": "trip_id,start_time,end_time,headway_secs\n"
                                                           "T1,07:00:00,07:30:00,600\n"})
    day = _day(folder)
    runs = day.stop_times[day.stop_times["trip"].str.startswith("T1@")]
    assert sorted(runs.groupby("trip")["departure_s"].min()) == [25200.0, 25800.0, 26400.0]
    assert sorted(runs["arrival_s"])[-1] == 26400.0 + 600.0
