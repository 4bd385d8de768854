"""The demo's GTFS feed: it passes the checks, the S-train serves every station every 10 minutes, buses every estate."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from pipeline.demo import generate
from pipeline.transit import day_timetable, read_feed

EXTENT = [400000, 6000000, 910000, 6420000]


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    generate(out, seed=42)
    return out


def test_demo_feed_passes_the_checks_and_serves_stations_and_estates(demo):
    feed = read_feed(demo / "gtfs.zip")
    day = day_timetable(feed, day="tuesday", window="07:00-08:00", max_minutes=90, crs="EPSG:25832", extent=EXTENT)
    assert day.date.weekday() == 1
    stops = day.stops.set_index("stop_id")
    stations = gpd.GeoSeries.from_wkt(pd.read_csv(demo / "stations.csv")["wkt"], crs="EPSG:25832")
    # every station is a stop (within the 0.1 m the coordinates are rounded to)
    at_station = shapely.distance(stations.to_numpy()[:, None], stops.geometry.to_numpy()[None, :]).min(axis=1)
    assert (at_station < 0.2).all()
    areas = gpd.read_file(demo / "municipality.gpkg", layer="housing_areas")
    nearest = shapely.distance(areas.geometry.representative_point().to_numpy()[:, None],
                               stops.geometry.to_numpy()[None, :]).min(axis=1)
    assert (nearest < 0.2).all()  # every estate has a bus stop at its representative point
    trips = feed.tables["trips.txt"]
    times = feed.tables["stop_times.txt"].merge(trips, on="trip_id")
    first = times[times["stop_sequence"].astype(int) == 1]
    for (route, direction), group in first.groupby(["route_id", "direction_id"]):
        minutes = np.sort([int(t[:2]) * 60 + int(t[3:5]) for t in group["departure_time"]])
        headway = set(np.diff(minutes))
        assert len(headway) == 1, (route, direction)
        assert headway <= ({10} if route == "S" else {10, 12, 15, 20}), route


def test_demo_feed_is_the_same_bytes_for_the_same_seed(demo, tmp_path):
    generate(tmp_path, seed=42)
    assert (tmp_path / "gtfs.zip").read_bytes() == (demo / "gtfs.zip").read_bytes()
