"""A GTFS feed through the command line: the figures by transit in areas_access, and a bad feed as exit 2."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
from conftest import CRS, X0, Y0, write_config, write_tiny_sources
from shapely.geometry import Point

from pipeline.cli import main


def _feed(folder: Path, *, untimed_trip: bool = False) -> Path:
    """A line along the tiny municipality's street (y = Y0 + 50): stop A at x = 150, stop B at x = 1900,
    every 10 minutes from 06:00 to 08:50, 10 minutes from A to B."""
    folder.mkdir(parents=True, exist_ok=True)
    stops = gpd.GeoSeries([Point(X0 + 150, Y0 + 50), Point(X0 + 1900, Y0 + 50)], crs=CRS).to_crs(4326)
    pd.DataFrame({"stop_id": ["A", "B"], "stop_name": ["A", "B"], "stop_lat": stops.y, "stop_lon": stops.x}).to_csv(
        folder / "stops.txt", index=False)
    pd.DataFrame({"route_id": ["L"], "route_type": [3]}).to_csv(folder / "routes.txt", index=False)
    trips = [f"T{k}" for k in range(18)] + (["T99"] if untimed_trip else [])
    pd.DataFrame({"route_id": "L", "service_id": "WK", "trip_id": trips}).to_csv(folder / "trips.txt", index=False)
    rows = []
    for k in range(18):
        t = 360 + 10 * k
        rows += [(f"T{k}", f"{t // 60:02d}:{t % 60:02d}:00", "A", 1), (f"T{k}", f"{(t + 10) // 60:02d}:{(t + 10) % 60:02d}:00", "B", 2)]
    st = pd.DataFrame(rows, columns=["trip_id", "arrival_time", "stop_id", "stop_sequence"])
    st.assign(departure_time=st["arrival_time"]).to_csv(folder / "stop_times.txt", index=False)
    pd.DataFrame([("WK", 1, 1, 1, 1, 1, 0, 0, 20260101, 20271231)],
                 columns=["service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                          "start_date", "end_date"]).to_csv(folder / "calendar.txt", index=False)
    return folder


def _project(root: Path, **feed) -> Path:
    sources = write_tiny_sources(root)
    _feed(root / "raw" / "gtfs", **feed)
    return write_config(root, {"sources": {**sources, "gtfs": {"path": "raw/gtfs"}}, "access": {"max_snap_m": 1500}})


def test_a_feed_gives_the_figures_by_transit(tmp_path):
    config = _project(tmp_path)
    assert main(["--quiet", "run", "--config", str(config)]) == 0
    areas = pd.read_parquet(tmp_path / "data" / "processed" / "areas_access.parquet")
    assert areas["jobs_transit_45"].notna().all()
    # every job of the tiny municipality (125) lies within 45 minutes of area A (on foot at most 2.7 km, 34 minutes)
    assert areas.set_index("area_id").loc["A", "jobs_transit_45"] == 125
    stop_times = pd.read_parquet(tmp_path / "data" / "processed" / "transit_stop_times.parquet")
    # the trips that end before the window (07:00) are left out: T0..T4 arrive at B by 06:50; T5 arrives at 07:00
    assert sorted(stop_times["trip_id"].unique()) == sorted(f"T{k}" for k in range(5, 18))


def test_a_trip_without_times_stops_the_run_naming_file_and_trip(tmp_path, capsys):
    config = _project(tmp_path, untimed_trip=True)
    assert main(["--quiet", "validate", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "raw/gtfs/trips.txt" in err and "trips without times" in err and "T99" in err
