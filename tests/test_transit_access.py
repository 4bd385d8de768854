"""Jobs by public transport per parcel (CONTRACT 6d) on a hand street, a hand line and hand-worked medians."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from pipeline.access import Travel, parcel_transit
from pipeline.network import build_network
from tests.hand_network import CRS, X0, Y0, at, line

ACCESS = {"walk_m_per_min": 80.0, "gravity_beta_per_min": 0.1}
TRANSIT = {"window": "07:00-08:00", "max_minutes": 45, "max_walk_minutes": 15, "transfer_walk_minutes": 5,
           "max_rides": 4, "board_slack_minutes": 1, "gravity_max_minutes": 90, "origin_chunk_size": 2000,
           "cell_m": None}


def _street() -> Travel:
    # One straight walkable street from x = 0 to x = 4000 m with a vertex every 200 m.
    streets = gpd.GeoDataFrame({"street_id": ["s"], "walk": [True], "bike": [True]},
                               geometry=[line(*[(x, 0) for x in range(0, 4001, 200)])], crs=CRS)
    walk = build_network(streets, tolerance_m=1.0, mode="walk")
    return Travel(walk, walk, 1.3)


def _timetable():
    # Stop A at x = 400, stop B at x = 3600; a line A -> B every 10 minutes on the ten (06:00 .. 08:50), 10 minutes.
    stops = gpd.GeoDataFrame({"stop_id": ["A", "B"], "name": ["A", "B"]}, geometry=at((400, 0), (3600, 0)))
    rows = []
    for k in range(18):
        t = 6 * 3600 + 600 * k
        rows += [(f"T{k}", 0, float(t), float(t)), (f"T{k}", 1, float(t + 600), float(t + 600))]
    return stops, pd.DataFrame(rows, columns=["trip_id", "stop", "arrival_s", "departure_s"])


def _parcels():
    # P at x = 0 (5 minutes' walk to A), Q at x = 1000 (7.5 minutes to A; 37.5 minutes on foot to J).
    return gpd.GeoDataFrame({"parcel_id": ["P", "Q"]},
                            geometry=[shapely.Point(X0 + x, Y0) for x in (0, 1000)], crs=CRS)


def _jobs():
    # J at x = 4000 (5 minutes' walk from B), 10 jobs; K at stop A, 5 jobs.
    return gpd.GeoDataFrame({"site_id": ["J", "K"], "jobs": [10.0, 5.0]}, geometry=at((4000, 0), (400, 0)))


def test_hand_medians_give_jobs_and_gravity():
    out = parcel_transit(_street(), _parcels(), _jobs(), _timetable(), np.array([100.0, 300.0]), ACCESS, TRANSIT)
    # P leaves at 07:00 + m (r = m mod 10), is at A at m + 5, boards from m + 6: the trip on the next ten
    # minutes, 10 - r minutes after leaving for r <= 4, 20 - r for r >= 5; then 10 minutes' ride and 5 minutes'
    # walk. r = 0..9: 25 24 23 22 21 30 29 28 27 26; each six times in the hour; the 30th smallest is 25.
    # Q is at A at m + 7.5, boards from m + 8.5: 10 - r for r <= 1, 20 - r after; + 15 minutes:
    # r = 0..9: 25 24 33 32 31 30 29 28 27 26; the 30th smallest is 28, shorter than the 37.5 minutes' walk.
    # K lies at A: 5 and 7.5 minutes' walk. Both parcels reach all 15 jobs within 45 minutes.
    assert out["jobs_transit_45"] == pytest.approx([15.0, 15.0])
    gravity = np.array([10 * np.exp(-2.5) + 5 * np.exp(-0.5), 10 * np.exp(-2.8) + 5 * np.exp(-0.75)])
    assert out["job_access_transit_gravity"] == pytest.approx(gravity, rel=1e-5)
    mean = (100 * gravity[0] + 300 * gravity[1]) / 400
    assert out["job_access_transit_index"] == pytest.approx(100 * gravity / mean, rel=1e-5)


def test_a_shorter_limit_and_a_missed_connection():
    # With 25 minutes, P's median (25) counts J, Q's (28) does not.
    out = parcel_transit(_street(), _parcels(), _jobs(), _timetable(), np.array([100.0, 300.0]), ACCESS,
                         {**TRANSIT, "max_minutes": 25})
    assert out["jobs_transit_45"] == pytest.approx([15.0, 5.0])
    # Walks to a stop of at most 6 minutes: Q (7.5 minutes from A) cannot take the line; J is then 37.5
    # minutes away on foot, more than 25 minutes: Q reaches only K.
    out = parcel_transit(_street(), _parcels(), _jobs(), _timetable(), np.array([100.0, 300.0]), ACCESS,
                         {**TRANSIT, "max_minutes": 25, "max_walk_minutes": 6})
    assert out["jobs_transit_45"] == pytest.approx([15.0, 5.0])
    assert out["job_access_transit_gravity"][1] == pytest.approx(5 * np.exp(-0.75) + 0.0, rel=1e-5)


def test_a_grid_of_cells_searches_each_cell_from_the_node_nearest_its_points():
    # transit.cell_m 1000 (X0 is a multiple of 1000): P (x = 0) and R (x = 400) share a cell, searched from the
    # node nearest their mean, x = 200; each keeps its own snap to its own node (0 m: both lie on the street's
    # vertices). Q (x = 1000) and the job sites are alone in their cells, at their own nodes as without cells.
    import pipeline.access.transit as transit_module

    parcels = gpd.GeoDataFrame({"parcel_id": ["P", "Q", "R"]},
                               geometry=[shapely.Point(X0 + x, Y0 + 10) for x in (0, 1000, 400)], crs=CRS)
    here = transit_module.Places.of(_street(), parcels.geometry, 1000.0)
    assert here.xy[:, 0] - X0 == pytest.approx([200.0, 1000.0])
    assert here.of_point.tolist() == [0, 1, 0]
    assert here.snap_m == pytest.approx([10.0, 10.0, 10.0])  # 10 m off the street, each to its own vertex
    # From x = 200: at A (x = 400) at m + 2.5, boards from m + 3.5: 10 - r minutes after leaving for r <= 6,
    # 20 - r after; + 10 minutes' ride + 5 minutes' walk: r = 0..9: 25 24 23 22 21 20 19 28 27 26, the 30th
    # smallest 23. K (x = 400): 200 m on foot from the node, 2.5 minutes. Each parcel adds its 10 m (1/8 minute).
    # So P and R reach J in 23.125 minutes, within 23.2; exactly, P needs 25.125 (test_hand_medians_give_jobs_
    # and_gravity plus the 10 m) and R, at A, 11 minutes' wait at most: the grid is nearer for P, farther for R.
    settings = {**TRANSIT, "cell_m": 1000.0, "max_minutes": 23.2}
    out = parcel_transit(_street(), parcels, _jobs(), _timetable(), np.array([100.0, 300.0, 100.0]), ACCESS, settings)
    assert out["jobs_transit_45"] == pytest.approx([15.0, 5.0, 15.0])  # Q: 28.125 minutes to J
    cell = 10 * np.exp(-2.3125) + 5 * np.exp(-0.2625)
    assert out["job_access_transit_gravity"] == pytest.approx(
        [cell, 10 * np.exp(-2.8125) + 5 * np.exp(-0.7625), cell], rel=1e-5)
    exact = parcel_transit(_street(), parcels, _jobs(), _timetable(), np.array([100.0, 300.0, 100.0]), ACCESS,
                           {**settings, "cell_m": None})
    assert exact["jobs_transit_45"][0] == pytest.approx(5.0)  # P exactly: 25.125 minutes to J, over 23.2


def test_without_a_feed_the_figures_are_null():
    out = parcel_transit(_street(), _parcels(), _jobs(), None, np.array([100.0, 300.0]), ACCESS, TRANSIT)
    assert all(np.isnan(v).all() for v in out.values())


def test_without_streets_walks_are_straight_lines_times_the_detour():
    # Without streets: P to A 400 m x 1.3 = 6.5 minutes, boarding from m + 7.5: 10 - r for r <= 2, 20 - r after;
    # B to J 400 x 1.3 = 6.5 minutes: travel = wait + 16.5: r = 0..9: 26.5 25.5 24.5 33.5 ... 27.5; sorted
    # 24.5 .. 33.5, the 30th smallest 28.5. K: 6.5 minutes' walk.
    out = parcel_transit(Travel(None, None, 1.3), _parcels().iloc[:1], _jobs(), _timetable(), np.array([100.0]),
                         ACCESS, TRANSIT)
    assert out["job_access_transit_gravity"] == pytest.approx([10 * np.exp(-2.85) + 5 * np.exp(-0.65)], rel=1e-5)


def test_blocks_of_origins_give_the_same_figures(monkeypatch):
    import pipeline.access.transit as transit_module

    whole = parcel_transit(_street(), _parcels(), _jobs(), _timetable(), np.array([100.0, 300.0]), ACCESS, TRANSIT)
    here, there = transit_module.Places.of(_street(), _parcels().geometry), transit_module.Places.of(_street(), _jobs().geometry)
    assert [len(b) for b in transit_module.place_blocks(here, there, 2000)] == [2]
    assert [len(b) for b in transit_module.place_blocks(here, there, 1)] == [1, 1]  # one origin node per block
    one = parcel_transit(_street(), _parcels(), _jobs(), _timetable(), np.array([100.0, 300.0]), ACCESS,
                         {**TRANSIT, "origin_chunk_size": 1})
    monkeypatch.setattr(transit_module, "MAX_BLOCK_CELLS", 2)  # memory allows one origin node per block too
    assert [len(b) for b in transit_module.place_blocks(here, there, 2000)] == [1, 1]
    blocks = parcel_transit(_street(), _parcels(), _jobs(), _timetable(), np.array([100.0, 300.0]), ACCESS, TRANSIT)
    for name, values in whole.items():  # to the last bit, whatever the blocks
        np.testing.assert_array_equal(blocks[name], values)
        np.testing.assert_array_equal(one[name], values)


def _more_parcels():
    # P and Q, and four more along the street (x = 1400 .. 3800): six origin nodes.
    xs = (0, 1000, 1400, 2200, 3000, 3800)
    return gpd.GeoDataFrame({"parcel_id": [f"p{x}" for x in xs]},
                            geometry=[shapely.Point(X0 + x, Y0 + 30) for x in xs], crs=CRS)


def test_the_dask_backend_splits_origins_and_gives_the_local_figures(tmp_path):
    distributed = pytest.importorskip("distributed")
    from conftest import write_config

    from pipeline.access import transit_minutes
    from pipeline.core.config import load_config
    from pipeline.core.parallel import active_executor, executor

    settings = {**TRANSIT, "origin_chunk_size": 2}  # six origin nodes: three chunks
    residents = np.arange(1.0, 7.0) * 100
    parcels, sites = _more_parcels(), _jobs().geometry
    origins = gpd.GeoSeries(parcels.geometry.representative_point().to_numpy(), crs=CRS)
    local = parcel_transit(_street(), parcels, _jobs(), _timetable(), residents, ACCESS, settings)
    local_minutes, _ = transit_minutes(_street(), origins, sites, *_timetable(), ACCESS, settings)
    config = load_config(write_config(tmp_path, {"execution": {"backend": "dask", "workers": 2}}))
    with executor(config), distributed.get_task_stream() as tasks:
        assert active_executor().distributed
        dask = parcel_transit(_street(), parcels, _jobs(), _timetable(), residents, ACCESS, settings)
        dask_minutes, _ = transit_minutes(_street(), origins, sites, *_timetable(), ACCESS, settings)
    ran = [t["key"] for t in tasks.data]  # the tasks the workers ran (collected as the stream closes)
    # three chunks of each kind ran on the cluster's workers
    assert sum("_figures_chunk" in str(key) for key in ran) == 3
    assert sum("_block_minutes" in str(key) for key in ran) == 3
    for name, values in local.items():
        np.testing.assert_array_equal(dask[name], values)
    np.testing.assert_array_equal(dask_minutes, local_minutes)
    # P (x = 0) as in test_hand_medians_give_jobs_and_gravity: 25 minutes to J (the snap walk of 30 m is added
    # after the median), 5 to K; all 15 jobs within 45 minutes of every parcel (the farthest walk, x = 3800 to K
    # at x = 400, is 3,400 m and 30 m of snap: 42.9 minutes).
    assert local["jobs_transit_45"].tolist() == [15.0] * 6
    assert local_minutes[0] == pytest.approx([25.0, 5.0])


def test_jobs_within_by_sorted_minutes_equal_the_point_by_point_count():
    # The sorted path (a place with many points: a grid's cell) against the plain comparison, on whole minutes
    # and offsets so that many points lie exactly on the limit.
    from pipeline.access.transit import _sum_within

    rng = np.random.default_rng(3)
    minutes = rng.integers(0, 60, size=(7, 500)).astype(float)
    minutes[minutes > 50] = np.inf
    rows, offset = rng.integers(0, 7, size=300), rng.integers(0, 5, size=300).astype(float)
    jobs = rng.integers(0, 9, size=500).astype(float)
    plain = (minutes[rows] + offset[:, None] <= 30) @ jobs
    assert np.array_equal(_sum_within(minutes, rows, offset, 30.0, jobs), plain)  # 300 points on 7 places: sorted
    assert np.array_equal(_sum_within(minutes, rows[:20], offset[:20], 30.0, jobs), plain[:20])  # point by point
