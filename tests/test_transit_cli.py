"""A GTFS feed through the command line: the figures by transit in areas_access, and a bad feed as exit 2."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
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
    # a development site with 40 new jobs at the far end of the street, beside job site 11
    gpd.GeoDataFrame({"site_id": ["D1"], "kind": ["development"], "name": ["Havnen"], "new_jobs": [40]},
                     geometry=[Point(X0 + 1900, Y0 + 500)], crs=CRS).to_file(root / "raw" / "sites.geojson")
    sources = {**sources, "gtfs": {"path": "raw/gtfs"}, "candidate_sites": {"path": "raw/sites.geojson"}}
    return write_config(root, {"sources": sources, "access": {"max_snap_m": 1500}})


def test_a_feed_gives_the_figures_by_transit(tmp_path):
    config = _project(tmp_path)
    assert main(["--quiet", "run", "--config", str(config)]) == 0
    areas = pd.read_parquet(tmp_path / "data" / "processed" / "areas_access.parquet")
    assert areas["jobs_transit_45"].notna().all()
    # every job of the tiny municipality (125) lies within 45 minutes of area A (on foot at most 2.7 km, 34 minutes)
    assert areas.set_index("area_id").loc["A", "jobs_transit_45"] == 125
    # the site's 40 jobs are as near as job site 11: within 45 minutes of both areas, so both gain 40
    development = pd.read_parquet(tmp_path / "data" / "processed" / "scenarios_development.parquet")
    assert development["jobs_transit_45_change"].tolist() == [40.0, 40.0]
    assert (development["jobs_transit_45_after"] - development["jobs_transit_45_before"]).tolist() == [40.0, 40.0]
    stop_times = pd.read_parquet(tmp_path / "data" / "processed" / "transit_stop_times.parquet")
    # the trips that end before the window (07:00) are left out: T0..T4 arrive at B by 06:50; T5 arrives at 07:00
    assert sorted(stop_times["trip_id"].unique()) == sorted(f"T{k}" for k in range(5, 18))


def test_a_trip_without_times_stops_the_run_naming_file_and_trip(tmp_path, capsys):
    config = _project(tmp_path, untimed_trip=True)
    assert main(["--quiet", "validate", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "raw/gtfs/trips.txt" in err and "trips without times" in err and "T99" in err


def test_the_change_by_transit_lands_on_each_site_and_area():
    from pipeline.scenarios.transit import add_transit_change

    table = pd.DataFrame({"site_id": ["s1", "s1", "s2", "s2"], "area_id": ["a", "b", "a", "b"]})
    access = pd.DataFrame({"area_id": ["a", "b"], "jobs_transit_45": [100.0, 50.0]})
    change = np.array([[1.0, 2.0], [3.0, np.nan]])  # sites x areas
    out = add_transit_change(table, access, change, ["s1", "s2"])
    assert out["jobs_transit_45_change"].tolist()[:3] == [1.0, 2.0, 3.0] and np.isnan(out["jobs_transit_45_change"].iloc[3])
    assert out["jobs_transit_45_after"].tolist()[:3] == [101.0, 52.0, 103.0]
    assert add_transit_change(table, access, None, ["s1", "s2"])["jobs_transit_45_change"].isna().all()
