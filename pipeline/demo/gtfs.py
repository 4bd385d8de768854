"""The demo's public transport: a GTFS feed with an S-train line through the stations and bus lines through the estates.

The S-train runs west to east along the rail line, stopping at every station, every 10 minutes each way. The
bus lines start at a station and run through the housing areas of one quarter of the municipality (the areas
ordered from the station by nearest neighbour), one more through the busiest job sites, every 10, 12, 15 or
20 minutes each way; stops lie at most about 500 m apart. Times are whole minutes from 05:00 to 10:30 on
weekdays, as in Rejseplanen's feed. Written as gtfs.zip with fixed timestamps, so a seed gives the same bytes.
"""

from __future__ import annotations

import io
import math
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.demo.design import CRS, FIXED_DATE, GEO_CRS

TRAIN_M_PER_MIN = 900.0  # S-train between stations, dwell included
BUS_M_PER_MIN = 330.0  # bus on streets (about 20 km/h), dwell included
BUS_DETOUR = 1.3  # the streets' length over the straight line between stops
STOP_SPACING_M = 500.0
BUS_HEADWAYS = (10, 12, 15, 20, 15)
FIRST_MIN, LAST_MIN = 5 * 60, 10 * 60 + 30


def _route_points(start: np.ndarray, points: np.ndarray) -> np.ndarray:
    """start, then the points in nearest-neighbour order from it."""
    order, left, here = [], list(range(len(points))), start
    while left:
        k = min(left, key=lambda i: float(np.hypot(*(points[i] - here))))
        order.append(k)
        left.remove(k)
        here = points[k]
    return np.vstack([start, points[order]])


def _with_stops(waypoints: np.ndarray) -> np.ndarray:
    """The waypoints with stops inserted so that consecutive stops are at most STOP_SPACING_M apart."""
    out = [waypoints[0]]
    for a, b in zip(waypoints[:-1], waypoints[1:], strict=True):
        n = max(1, math.ceil(float(np.hypot(*(b - a))) / STOP_SPACING_M))
        out += [a + (b - a) * k / n for k in range(1, n + 1)]
    return np.round(np.array(out), 1)


def _lines(layers: dict) -> list[tuple[str, str, int, np.ndarray, float]]:
    """(route id, name, route_type, stop coordinates, metres per minute) of every line."""
    stations = gpd.GeoSeries.from_wkt(layers["stations"]["wkt"], crs=CRS)
    st_xy = shapely.get_coordinates(stations.to_numpy())
    st_xy = st_xy[np.argsort(st_xy[:, 0])]
    xmin, _, xmax, _ = layers["municipality"].total_bounds
    west, east = np.array([xmin + 300.0, st_xy[0, 1]]), np.array([xmax - 300.0, st_xy[-1, 1]])
    lines = [("S", "S-tog", 109, np.vstack([west, st_xy, east]), TRAIN_M_PER_MIN)]
    areas = layers["housing_areas"]
    centre = st_xy[len(st_xy) // 2]
    xy = shapely.get_coordinates(areas.geometry.representative_point().to_numpy())
    quarter = (np.floor((np.arctan2(xy[:, 1] - centre[1], xy[:, 0] - centre[0]) + np.pi) / (np.pi / 2)) % 4).astype(int)
    for q in range(4):
        mine = xy[quarter == q]
        if len(mine) == 0:
            continue
        station = st_xy[np.argmin(np.hypot(*(st_xy - mine.mean(axis=0)).T))]
        lines.append((f"{100 + q + 1}", f"Bus {100 + q + 1}", 3, _with_stops(_route_points(station, mine)),
                      BUS_M_PER_MIN / BUS_DETOUR))
    jobs = layers["jobs"]
    cell = (np.floor(jobs[["x", "y"]].to_numpy(dtype=float) / 1000.0)).astype(int)
    busiest = (jobs.assign(cx=cell[:, 0], cy=cell[:, 1], wx=jobs.x * jobs.antal_ansatte, wy=jobs.y * jobs.antal_ansatte)
               .groupby(["cx", "cy"])[["antal_ansatte", "wx", "wy"]].sum().nlargest(4, "antal_ansatte"))
    hubs = np.c_[busiest.wx / busiest.antal_ansatte, busiest.wy / busiest.antal_ansatte]
    lines.append(("150", "Bus 150", 3, _with_stops(_route_points(centre, hubs)), BUS_M_PER_MIN / BUS_DETOUR))
    return lines


def gtfs_tables(layers: dict) -> dict[str, pd.DataFrame]:
    """The feed's tables (agency, stops, routes, trips, stop_times, calendar) for the demo's layers."""
    stops_xy, stop_rows, route_rows, trip_rows, time_rows = [], [], [], [], []
    for k, (route_id, name, kind, xy, speed) in enumerate(_lines(layers)):
        route_rows.append((route_id, "DEMO", name.split()[-1], name, kind))
        ids = []
        for p in xy:  # stations shared by the S-train and the buses are one stop each
            key = (round(float(p[0]), 1), round(float(p[1]), 1))
            if key not in stops_xy:
                stops_xy.append(key)
            ids.append(f"{stops_xy.index(key) + 1:04d}")
        hop = np.r_[0, np.cumsum(np.ceil(np.hypot(*np.diff(xy, axis=0).T) / speed))].astype(int)
        headway = 10 if kind == 109 else BUS_HEADWAYS[(k - 1) % len(BUS_HEADWAYS)]
        for direction, (seq_ids, offsets) in enumerate(((ids, hop), (ids[::-1], hop[-1] - hop[::-1]))):
            for first in range(FIRST_MIN + (k * 3 + direction * 5) % headway, LAST_MIN, headway):
                trip = f"{route_id}-{direction}-{first:04d}"
                trip_rows.append((route_id, "HVERDAG", trip, direction))
                for seq, (stop, off) in enumerate(zip(seq_ids, offsets, strict=True), start=1):
                    t = first + int(off)
                    time_rows.append((trip, f"{t // 60:02d}:{t % 60:02d}:00", f"{t // 60:02d}:{t % 60:02d}:00", stop, seq))
    points = gpd.GeoSeries(gpd.points_from_xy(*np.array(stops_xy).T), crs=CRS).to_crs(GEO_CRS)
    for k, p in enumerate(points):
        stop_rows.append((f"{k + 1:04d}", f"Stoppested {k + 1}", round(p.y, 6), round(p.x, 6)))
    year = int(FIXED_DATE[:4])
    return {
        "agency.txt": pd.DataFrame([("DEMO", "Demo Trafik (synthetic)", "https://example.org", "Europe/Copenhagen")],
                                   columns=["agency_id", "agency_name", "agency_url", "agency_timezone"]),
        "stops.txt": pd.DataFrame(stop_rows, columns=["stop_id", "stop_name", "stop_lat", "stop_lon"]),
        "routes.txt": pd.DataFrame(route_rows, columns=["route_id", "agency_id", "route_short_name", "route_long_name",
                                                        "route_type"]),
        "trips.txt": pd.DataFrame(trip_rows, columns=["route_id", "service_id", "trip_id", "direction_id"]),
        "stop_times.txt": pd.DataFrame(time_rows, columns=["trip_id", "arrival_time", "departure_time", "stop_id",
                                                           "stop_sequence"]),
        "calendar.txt": pd.DataFrame([("HVERDAG", 1, 1, 1, 1, 1, 0, 0, f"{year}0101", f"{year + 1}1231")],
                                     columns=["service_id", "monday", "tuesday", "wednesday", "thursday", "friday",
                                              "saturday", "sunday", "start_date", "end_date"]),
    }


def write_gtfs(out: Path, layers: dict) -> Path:
    """Write gtfs.zip (entries with a fixed timestamp, so the same layers give the same bytes)."""
    path = out / "gtfs.zip"
    stamp = tuple(int(x) for x in FIXED_DATE.split("-")) + (0, 0, 0)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, table in gtfs_tables(layers).items():
            text = io.StringIO()
            table.to_csv(text, index=False, lineterminator="\n")
            z.writestr(zipfile.ZipInfo(name, date_time=stamp), text.getvalue())
    return path
