"""Time jobs by public transport (CONTRACT 6d): the demo municipality's feed and a larger generated city.

For each case: reading and checking the GTFS feed (pipeline.transit.read_feed + day_timetable), then the
figures per parcel (pipeline.access.parcel_transit: the walks on the street network, the stop profiles per
minute, the medians over the window, the sums). The referee is the same engine's other path, which searches
every origin at every departure minute without the stop decomposition (pipeline.transit.window's
_median_by_origin): on a sample of origins both must give the same medians, to the second; its time is shown
per origin beside ours.

With --dask the figures per parcel run again on the Dask backend (execution.backend: dask, a LocalCluster of
--workers processes on 127.0.0.1): the origins are split in chunks of transit.origin_chunk_size nodes, one
task each, and the figures must equal the local backend's exactly. The cluster's start is timed apart.

The larger city: a square of --side km with streets every 100 m, three S-train lines through the centre
(stations every 1.5 km, every 10 minutes), --buses straight bus lines (stops every 400 m, every 10 to 20
minutes), --parcels parcels and --jobs job sites at random.

With --project DIR (a project after `python -m pipeline run --stage mix`, such as the scale-50 demo): the
figures per parcel for each grid size of --cells (transit.cell_m), and how far they lie from the exact figures
(every network node, transit.cell_m null) on --sample parcels.

Usage: python benchmarks/transit.py [--side 12] [--buses 30] [--parcels 20000] [--jobs 3000] [--sample 200]
       [--dask] [--workers 2] [--skip-city]
       python benchmarks/transit.py --project DIR [--cells 1000 500] [--sample 200]
"""

from __future__ import annotations

import argparse
import os
import platform
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.access import Travel, parcel_transit
from pipeline.access.transit import Places, stop_walks
from pipeline.core.config import DEFAULTS_FILE
from pipeline.demo import generate
from pipeline.network import build_network
from pipeline.transit import build_timetable, day_timetable, median_travel_times, parse_window, read_feed
from pipeline.transit.window import _median_by_origin

CRS = "EPSG:25832"
EXTENT = [400000, 6000000, 910000, 6420000]


def _settings() -> tuple[dict, dict]:
    import yaml

    defaults = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))
    return defaults["access"], defaults["transit"]


def _clock(fn, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - wall, time.process_time() - cpu


def _on_dask(workers: int, fn, *args):
    """fn(*args) on the Dask backend (a LocalCluster of `workers` processes): its result, the wall seconds of
    the cluster's start and of the call, the CPU seconds of the pipeline's process and of the workers during
    the call, and the number of chunks the workers ran."""
    from distributed import get_task_stream

    from pipeline.core.config import load_config
    from pipeline.core.parallel import executor

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config.yaml"
        path.write_text(f"root: .\nexecution: {{backend: dask, workers: {workers}}}\n", encoding="utf-8")
        started = time.perf_counter()
        with executor(load_config(path)) as dask:
            ready, cpu = time.perf_counter(), time.process_time()
            before = dask.client.run(time.process_time)
            with get_task_stream() as tasks:
                out = fn(*args)
            done, cpu = time.perf_counter(), time.process_time() - cpu
            worker_cpu = sum(dask.client.run(time.process_time).values()) - sum(before.values())
    chunks = sum("_figures_chunk" in str(t["key"]) for t in tasks.data)
    return out, ready - started, done - ready, cpu, worker_cpu, chunks


def _case(name: str, feed_path: Path, streets: gpd.GeoDataFrame, parcels: gpd.GeoDataFrame, jobs: gpd.GeoDataFrame,
          sample: int, workers: int = 0) -> None:
    access, transit = _settings()
    day, feed_wall, feed_cpu = _clock(lambda: day_timetable(
        read_feed(feed_path), day=transit["day"], window=transit["window"], max_minutes=transit["gravity_max_minutes"],
        crs=CRS, extent=EXTENT))
    walk = build_network(streets, tolerance_m=1.0, mode="walk")
    travel = Travel(walk, walk, 1.3)
    residents = parcels["residents"].to_numpy(dtype=float)
    stop_times = day.stop_times.rename(columns={"trip": "trip_id"})
    out, wall, cpu = _clock(parcel_transit, travel, parcels, jobs, (day.stops, stop_times), residents, access, transit)
    origins = Places.of(travel, gpd.GeoSeries(parcels.geometry.representative_point().to_numpy(), crs=CRS))
    there = Places.of(travel, jobs.geometry)
    print(f"## {name}")
    print(f"{len(day.stops):,} stops, {day.stop_times['trip'].nunique():,} trips, {len(parcels):,} parcels on "
          f"{len(origins.keys):,} nodes, {len(jobs):,} job sites on {len(there.keys):,} nodes, "
          f"{walk.n_nodes:,} walkable nodes; mean jobs_transit_45 {np.nanmean(out['jobs_transit_45']):,.0f}")
    print(f"| step | wall s | CPU s |\n|---|---:|---:|\n| read and check the feed | {feed_wall:.2f} | {feed_cpu:.2f} |")
    print(f"| jobs by transit per parcel (walks, engine, sums) | {wall:.2f} | {cpu:.2f} |")
    if workers:
        args = (travel, parcels, jobs, (day.stops, stop_times), residents, access, transit)
        on_dask, start_wall, dask_wall, dask_cpu, worker_cpu, tasks = _on_dask(workers, parcel_transit, *args)
        same = all(np.array_equal(on_dask[k], out[k], equal_nan=True) for k in out)
        print(f"| the same on Dask, {workers} workers ({tasks} chunks of at most {transit['origin_chunk_size']} "
              f"origin nodes; the cluster's start {start_wall:.1f} s apart; CPU: this process + the workers) | "
              f"{dask_wall:.2f} | {dask_cpu:.2f} + {worker_cpu:.2f} |")
        print(f"Dask figures equal to the local backend's: {same}")
        if not same:
            raise SystemExit("the Dask backend's figures differ from the local backend's")
    # the referee: a sample of origin nodes searched minute by minute, against the stop decomposition
    rows = np.random.default_rng(1).choice(len(origins.keys), size=min(sample, len(origins.keys)), replace=False)
    few = Places(origins.keys[rows], origins.xy[rows], np.arange(len(rows)), np.zeros(len(rows)))
    to_stop, from_stop, between, direct = stop_walks(travel, few, day.stops.geometry, there, access, transit)
    timetable = build_timetable(day.stop_times, len(day.stops))
    start, end = parse_window(transit["window"])
    departures = np.arange(start, end, 60, dtype=float)
    common = {"transfers": between, "max_rides": int(transit["max_rides"]),
              "board_slack_s": 60.0 * float(transit["board_slack_minutes"])}
    ours, ours_wall, _ = _clock(median_travel_times, timetable, to_stop, from_stop, direct, departures, **common)
    ref, ref_wall, _ = _clock(_median_by_origin, timetable, to_stop, from_stop, direct, departures, **common)
    same = np.array_equal(ours, ref)
    print(f"| {len(rows)} origins, stop profiles (ours) | {ours_wall:.2f} | |")
    print(f"| {len(rows)} origins, every origin at every minute (referee) | {ref_wall:.2f} | |")
    print(f"medians equal to the second: {same}\n")
    if not same:
        raise SystemExit("the two paths of the engine disagree")


def _demo(sample: int, workers: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        generate(out, seed=42)
        streets = gpd.read_file(out / "municipality.gpkg", layer="streets")
        parcels = gpd.read_file(out / "municipality.gpkg", layer="parcels")
        parcels["residents"] = pd.to_numeric(parcels["residents"]).fillna(0)
        raw = pd.read_csv(out / "jobs.csv")
        jobs = gpd.GeoDataFrame({"site_id": raw["pnr"].astype(str), "jobs": raw["antal_ansatte"].astype(float)},
                                geometry=gpd.points_from_xy(raw["x"], raw["y"]), crs=CRS)
        _case("Demo municipality (scale 1)", out / "gtfs.zip", streets, parcels, jobs, sample, workers)


def _city_feed(folder: Path, side_m: float, n_buses: int, rng: np.random.Generator, x0: float, y0: float) -> None:
    """A GTFS folder: three S-train lines through the centre and straight bus lines, both ways, 05:00-10:30."""
    lines = []
    c = side_m / 2
    for angle in (0.0, np.pi / 3, 2 * np.pi / 3):
        d = np.array([np.cos(angle), np.sin(angle)]) * c * 0.95
        lines.append((np.array([c, c]) - d, np.array([c, c]) + d, 1500.0, 900.0, 10))
    for _ in range(n_buses):
        a, b = rng.random(2) * side_m, rng.random(2) * side_m
        lines.append((a, b, 400.0, 330.0 / 1.3, int(rng.choice([10, 12, 15, 20]))))
    stops, times, trips = [], [], []
    for k, (a, b, spacing, speed, headway) in enumerate(lines):
        n = max(2, int(np.hypot(*(b - a)) // spacing) + 1)
        xy = a + (b - a) * np.linspace(0, 1, n)[:, None]
        ids = [f"{k}_{i}" for i in range(n)]
        stops += [(i, x0 + p[0], y0 + p[1]) for i, p in zip(ids, xy, strict=True)]
        hop = np.r_[0, np.cumsum(np.ceil(np.hypot(*np.diff(xy, axis=0).T) / speed))].astype(int)
        for direction, (seq, off) in enumerate(((ids, hop), (ids[::-1], hop[-1] - hop[::-1]))):
            for first in range(300 + int(rng.integers(0, headway)), 630, headway):
                trip = f"{k}-{direction}-{first}"
                trips.append((f"R{k}", "WK", trip))
                times += [(trip, f"{(first + o) // 60:02d}:{(first + o) % 60:02d}:00", s, q)
                          for q, (s, o) in enumerate(zip(seq, off, strict=True), start=1)]
    folder.mkdir(parents=True, exist_ok=True)
    pts = gpd.GeoSeries(gpd.points_from_xy([s[1] for s in stops], [s[2] for s in stops]), crs=CRS).to_crs(4326)
    pd.DataFrame({"stop_id": [s[0] for s in stops], "stop_lat": pts.y.round(7), "stop_lon": pts.x.round(7)}).to_csv(
        folder / "stops.txt", index=False)
    pd.DataFrame({"route_id": [f"R{k}" for k in range(len(lines))], "route_type": 3}).to_csv(folder / "routes.txt", index=False)
    pd.DataFrame(trips, columns=["route_id", "service_id", "trip_id"]).to_csv(folder / "trips.txt", index=False)
    st = pd.DataFrame(times, columns=["trip_id", "arrival_time", "stop_id", "stop_sequence"])
    st["departure_time"] = st["arrival_time"]
    st.to_csv(folder / "stop_times.txt", index=False)
    pd.DataFrame([("WK", 1, 1, 1, 1, 1, 0, 0, 20260101, 20271231)],
                 columns=["service_id", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                          "start_date", "end_date"]).to_csv(folder / "calendar.txt", index=False)


def _city(side_km: float, n_buses: int, n_parcels: int, n_jobs: int, sample: int, workers: int) -> None:
    rng = np.random.default_rng(0)
    side = side_km * 1000.0
    x0, y0 = 700_000.0, 6_170_000.0
    ticks = np.arange(0.0, side + 1, 100.0)
    streets = gpd.GeoDataFrame(
        {"street_id": [f"s{k}" for k in range(2 * len(ticks))], "walk": True, "bike": True},
        geometry=[shapely.LineString([(x0 + t, y0), (x0 + t, y0 + side)]) for t in ticks]
        + [shapely.LineString([(x0, y0 + t), (x0 + side, y0 + t)]) for t in ticks], crs=CRS)
    streets = gpd.GeoDataFrame(streets.drop(columns="geometry"), geometry=shapely.segmentize(streets.geometry.to_numpy(), 100.0), crs=CRS)
    parcels = gpd.GeoDataFrame({"parcel_id": np.arange(n_parcels).astype(str), "residents": rng.integers(1, 60, n_parcels)},
                               geometry=gpd.points_from_xy(x0 + rng.random(n_parcels) * side,
                                                           y0 + rng.random(n_parcels) * side), crs=CRS)
    jobs = gpd.GeoDataFrame({"site_id": np.arange(n_jobs).astype(str), "jobs": rng.integers(1, 200, n_jobs).astype(float)},
                            geometry=gpd.points_from_xy(x0 + rng.random(n_jobs) * side, y0 + rng.random(n_jobs) * side),
                            crs=CRS)
    with tempfile.TemporaryDirectory() as tmp:
        _city_feed(Path(tmp) / "feed", side, n_buses, rng, x0, y0)
        _case(f"Generated city ({side_km:g} km square, {n_buses} bus lines)", Path(tmp) / "feed", streets, parcels,
              jobs, sample, workers)


def _project(root: Path, cells: list[float], sample: int) -> None:
    """An existing project after ingest and mix (a scale-50 demo, say): the figures per parcel with each grid
    size of transit.cell_m, and on a sample of parcels the exact figures (every network node) beside them."""
    from pipeline.access.travel import load_travel
    from pipeline.core import datasets
    from pipeline.core.config import load_config

    os.chdir(root)
    config = load_config(root / "config.yaml")
    access, transit = config["access"], config["transit"]
    travel = load_travel(config)
    parcels = gpd.read_parquet(config.processed("parcels_mix.parquet"))
    jobs = gpd.read_parquet(config.processed("jobs.parquet"))
    timetable = (datasets.read(config, "transit_stops"), datasets.read(config, "transit_stop_times"))
    residents = parcels["residents"].fillna(0).to_numpy(dtype=float)
    rows = np.sort(np.random.default_rng(1).choice(len(parcels), size=min(sample, len(parcels)), replace=False))
    exact, exact_wall, exact_cpu = _clock(parcel_transit, travel, parcels.iloc[rows], jobs, timetable, residents[rows],
                                          access, {**transit, "cell_m": None})
    print(f"## {root}: {len(parcels):,} parcels, {len(jobs):,} job sites, {len(timetable[0]):,} stops")
    print(f"Exact (every node) on {len(rows)} sample parcels: {exact_wall:.1f} s wall, {exact_cpu:.1f} s CPU; "
          f"mean jobs_transit_45 {np.nanmean(exact['jobs_transit_45']):,.0f}\n")
    print("| transit.cell_m | wall s | CPU s | mean jobs_transit_45 (all) | sample: mean abs. difference from exact, "
          "jobs_transit_45 | sample: the same, gravity (%) |\n|---:|---:|---:|---:|---:|---:|")
    for cell in cells:
        out, wall, cpu = _clock(parcel_transit, travel, parcels, jobs, timetable, residents, access,
                                {**transit, "cell_m": cell})
        jobs_diff = np.nanmean(np.abs(out["jobs_transit_45"][rows] - exact["jobs_transit_45"]))
        gravity = exact["job_access_transit_gravity"]
        grav_diff = np.nanmean(np.abs(out["job_access_transit_gravity"][rows] - gravity) / np.where(gravity > 0, gravity, np.nan))
        print(f"| {cell:g} | {wall:.1f} | {cpu:.1f} | {np.nanmean(out['jobs_transit_45']):,.0f} | {jobs_diff:,.0f} | "
              f"{100 * grav_diff:.1f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--side", type=float, default=12.0, help="side of the generated city (km)")
    parser.add_argument("--buses", type=int, default=30)
    parser.add_argument("--parcels", type=int, default=20000)
    parser.add_argument("--jobs", type=int, default=3000)
    parser.add_argument("--sample", type=int, default=200, help="origins checked against the referee")
    parser.add_argument("--skip-city", action="store_true")
    parser.add_argument("--dask", action="store_true", help="time the figures per parcel on the Dask backend too")
    parser.add_argument("--workers", type=int, default=2, help="worker processes of the Dask LocalCluster")
    parser.add_argument("--project", type=Path, help="time an ingested project instead (with --cells)")
    parser.add_argument("--cells", type=float, nargs="+", default=[1000.0, 500.0], help="transit.cell_m sizes (m)")
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load average {load:.1f} at the start\n")
    workers = args.workers if args.dask else 0
    if args.project:
        _project(args.project.resolve(), args.cells, args.sample)
        return
    _demo(args.sample, workers)
    if not args.skip_city:
        _city(args.side, args.buses, args.parcels, args.jobs, args.sample, workers)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
