"""Jobs by public transport from each parcel: within a median travel time, and the gravity sum and its index.

CONTRACT 6d. The walks (parcel to stop, stop to stop, stop to job site, and all the way on foot) are measured
on the walking network at `access.walk_m_per_min`, as the walking figures are: network distance between the
snapped nodes plus the straight snap distances (without streets: straight lines times the detour factor). The
timetable is the one ingest cut to `transit.day` (pipeline/ingest/transit.py); pipeline/transit/window.py
gives the median over every minute of `transit.window` from each origin node to each job site's node.

The window is the departures from the origin's network node; the parcel's snap walk to it is added after the
median (a few metres for most parcels), and so is the job site's snap walk from its node. With
`transit.cell_m` the parcels (and the job sites) of each square cell are searched from the node nearest their
mean, each with its own snap walk (Places.of): hours become minutes at region size, at a cost in accuracy
measured in docs/benchmarks.md.

The origin nodes are taken in blocks of neighbours (at most `transit.origin_chunk_size`), one chunk of work
each: on the Dask workers when the run's backend is dask (pipeline.core.parallel), with the same blocks and
the same figures, to the last bit, as the local backend.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.sparse.csgraph import dijkstra

from pipeline.access.jobs import job_access_index
from pipeline.access.travel import Travel
from pipeline.core.parallel import active_executor
from pipeline.core.progress import step
from pipeline.network import CUTOFF_EPS_M, MAX_BLOCK_CELLS, SEARCH_CELL_M, point_xy
from pipeline.transit import Links, Timetable, build_timetable, median_travel_times, parse_window

TRANSIT_COLUMNS = ("jobs_transit_45", "job_access_transit_gravity", "job_access_transit_index")


@dataclass(frozen=True)
class Places:
    """Points as the walks see them: the distinct places searched from (network nodes, or the points themselves
    without streets), each point's place and its straight snap distance to it (m)."""

    keys: np.ndarray  # node ids, or row numbers of the points (of the cells) without a network
    xy: np.ndarray  # the places' coordinates
    of_point: np.ndarray
    snap_m: np.ndarray

    @classmethod
    def of(cls, travel: Travel, points: gpd.GeoSeries, cell_m: float | None = None) -> Places:
        """Each point at its nearest node, its snap the straight line to it; with cell_m, the points of each
        square cell of that size at the node nearest their mean (R5's and Conveyal's grid of origins and
        destinations), each keeping its own snap to its own nearest node."""
        xy = point_xy(points)
        if not cell_m:
            cell, at = np.arange(len(xy)), xy
        else:
            _, cell = np.unique(np.floor(xy / float(cell_m)).astype(np.int64), axis=0, return_inverse=True)
            cell = cell.ravel()
            at = np.c_[np.bincount(cell, xy[:, 0]), np.bincount(cell, xy[:, 1])] / np.bincount(cell)[:, None]
        if travel.walk is None:
            return cls(np.arange(len(at)), at, cell, np.zeros(len(xy)))  # each point is its own place's spot
        snap_m, node = travel.walk.tree.query(at)
        keys, of_at = np.unique(node, return_inverse=True)
        if cell_m:  # each point's own snap walk: the cell's node stands for its points, nearer some, farther others
            snap_m, _ = travel.walk.tree.query(xy)
        return cls(keys, travel.walk.node_xy[keys], of_at.ravel()[cell], np.asarray(snap_m, dtype=float))


def walk_m(travel: Travel, a: Places, b: Places, limit_m: float) -> np.ndarray:
    """Walking distances between the places of a and b (a x b, m), inf beyond limit_m: network distance between
    the nodes (Dijkstra bounded by the limit, from the smaller side), or the straight line times the detour factor."""
    if travel.walk is None:
        out = travel.detour_factor * np.hypot(a.xy[:, None, 0] - b.xy[None, :, 0], a.xy[:, None, 1] - b.xy[None, :, 1])
        out[out > limit_m + CUTOFF_EPS_M] = np.inf
        return out
    flip = len(b.keys) < len(a.keys)
    sources, targets = (b.keys, a.keys) if flip else (a.keys, b.keys)
    out = np.empty((len(sources), len(targets)))
    step_rows = max(1, MAX_BLOCK_CELLS // max(1, travel.walk.n_nodes))
    for start in range(0, len(sources), step_rows):
        block = slice(start, start + step_rows)
        out[block] = dijkstra(travel.walk.graph, directed=True, indices=sources[block], limit=limit_m)[:, targets]
    return out.T if flip else out


def _links(metres: np.ndarray, limit_m: float, m_per_min: float) -> Links:
    """The walks of at most limit_m as (from, to, seconds) links."""
    src, dst = np.nonzero(metres <= limit_m + CUTOFF_EPS_M)
    return Links.of(src, dst, metres[src, dst] / m_per_min * 60.0)


@dataclass(frozen=True)
class StopWalks:
    """The walks that do not depend on the origins, measured once: the stops as places, egress (stop -> job
    place) and transfers (stop -> stop)."""

    at_stop: Places
    egress: Links
    transfers: Links


def stops_walks(travel: Travel, stops: gpd.GeoSeries, jobs: Places, access: dict, transit: dict) -> StopWalks:
    """Egress (stop -> job place) and transfer (stop -> stop) walks, once for every block of origins."""
    speed = float(access["walk_m_per_min"])
    walk_limit = float(transit["max_walk_minutes"]) * speed
    transfer_limit = float(transit["transfer_walk_minutes"]) * speed
    at_stop = Places.of(travel, stops)
    stop_snap = at_stop.snap_m
    from_stop = walk_m(travel, at_stop, jobs, walk_limit)[at_stop.of_point] + stop_snap[:, None]
    between = walk_m(travel, at_stop, at_stop, transfer_limit)[np.ix_(at_stop.of_point, at_stop.of_point)]
    between = between + stop_snap[:, None] + stop_snap[None, :]
    np.fill_diagonal(between, np.inf)
    return StopWalks(at_stop, _links(from_stop, walk_limit, speed), _links(between, transfer_limit, speed))


def origin_walks(travel: Travel, origins: Places, walks: StopWalks, jobs: Places, access: dict,
                 transit: dict) -> tuple[Links, np.ndarray]:
    """Access (origin place -> stop) walks and the direct walk (origin place x job place, seconds, inf beyond
    transit.max_minutes)."""
    speed = float(access["walk_m_per_min"])
    walk_limit = float(transit["max_walk_minutes"]) * speed
    at_stop = walks.at_stop
    to_stop = walk_m(travel, origins, at_stop, walk_limit)[:, at_stop.of_point] + at_stop.snap_m[None, :]
    # Walking all the way counts up to transit.max_minutes (a longer walk adds under exp(-beta x 45) = 1 % of a
    # job to the gravity sum, and nothing to jobs_transit_45).
    direct = walk_m(travel, origins, jobs, float(transit["max_minutes"]) * speed) / speed * 60.0
    return _links(to_stop, walk_limit, speed), direct


def stop_walks(travel: Travel, origins: Places, stops: gpd.GeoSeries, jobs: Places, access: dict,
               transit: dict) -> tuple[Links, Links, Links, np.ndarray]:
    """Access, egress and transfer walks and the direct walk, for one set of origins (stops_walks, origin_walks)."""
    walks = stops_walks(travel, stops, jobs, access, transit)
    to_stop, direct = origin_walks(travel, origins, walks, jobs, access, transit)
    return to_stop, walks.egress, walks.transfers, direct


def _sum_within(minutes: np.ndarray, rows: np.ndarray, offset: np.ndarray, limit: float, jobs: np.ndarray) -> np.ndarray:
    """For each point: the jobs whose minutes (place row x job) plus the point's offset are at most limit, in
    blocks of bounded memory. Where the places hold many points each (a grid of cells), each place's minutes
    are sorted once and each point's jobs are one binary search in their running sum."""
    if len(rows) > _POINTS_PER_SORT * max(1, minutes.shape[0]):
        return _sum_within_sorted(minutes, rows, offset, limit, jobs)
    out = np.empty(len(rows))
    step_rows = max(1, MAX_BLOCK_CELLS // max(1, minutes.shape[1]))
    for start in range(0, len(rows), step_rows):
        block = slice(start, start + step_rows)
        # float32 adds whole numbers of jobs exactly (up to 2**24), in whatever order BLAS takes them
        within = (minutes[rows[block]] + offset[block, None] <= limit + 1e-9).astype(np.float32)
        out[block] = within @ jobs.astype(np.float32)
    return out


# A place's minutes are sorted (n log n) rather than compared point by point when it holds more points than this.
_POINTS_PER_SORT = 16


def _sum_within_sorted(minutes: np.ndarray, rows: np.ndarray, offset: np.ndarray, limit: float,
                       jobs: np.ndarray) -> np.ndarray:
    """_sum_within by sorting each place's minutes once: a point's jobs are the running sum of the jobs up to
    the last minute at most its limit less its offset."""
    order = np.argsort(minutes, axis=1, kind="stable")
    ranked = np.take_along_axis(minutes, order, axis=1)
    running = np.cumsum(jobs[order], axis=1)
    out = np.zeros(len(rows))
    by_place = np.argsort(rows, kind="stable")
    bounds = np.searchsorted(rows[by_place], np.arange(minutes.shape[0] + 1))
    for place in np.flatnonzero(np.diff(bounds)):
        points = by_place[bounds[place]:bounds[place + 1]]
        k = np.searchsorted(ranked[place], limit + 1e-9 - offset[points], side="right")
        out[points[k > 0]] = running[place, k[k > 0] - 1]
    return out


def _cell_order(xy: np.ndarray) -> np.ndarray:
    """An order of the points cell by cell (square cells of SEARCH_CELL_M, row by row), so that a block of
    origins lies close together and walks to the same few stops."""
    if len(xy) == 0:
        return np.zeros(0, dtype=np.intp)
    cells = np.floor((xy - xy.min(axis=0)) / SEARCH_CELL_M).astype(np.int64)
    return np.lexsort((xy[:, 0], xy[:, 1], cells[:, 0], cells[:, 1]))


def place_blocks(here: Places, there: Places, chunk_places: int) -> list[np.ndarray]:
    """Blocks of origin places (their rows in here), neighbours together, of even size: at most chunk_places
    each, and their minutes to every destination (block x destinations, and the direct walks to the
    destinations' places) within MAX_BLOCK_CELLS. The same blocks on every backend: each is one chunk of work."""
    memory_rows = MAX_BLOCK_CELLS // max(1, len(there.of_point), len(there.keys))
    step_rows = max(1, min(int(chunk_places), memory_rows))
    order = _cell_order(here.xy)
    n_blocks = -(-len(order) // step_rows)
    return [np.sort(rows) for rows in np.array_split(order, n_blocks)] if n_blocks else []


def _block(here: Places, rows: np.ndarray) -> Places:
    """The origin places of one block as Places of their own (each its own point, no snap walk)."""
    return Places(here.keys[rows], here.xy[rows], np.arange(len(rows)), np.zeros(len(rows)))


def _block_minutes(part: Places, travel: Travel, there: Places, walks: StopWalks, timetable: Timetable,
                   access: dict, transit: dict) -> np.ndarray:
    """Median minutes from each origin place of a block to each destination, the destination's snap walk included."""
    speed = float(access["walk_m_per_min"])
    start, end = parse_window(transit["window"])
    to_stop, direct = origin_walks(travel, part, walks, there, access, transit)
    median_s = median_travel_times(
        timetable, to_stop, walks.egress, direct, np.arange(start, end, 60, dtype=float), transfers=walks.transfers,
        max_rides=int(transit["max_rides"]), board_slack_s=60.0 * float(transit["board_slack_minutes"]))
    return median_s[:, there.of_point] / 60.0 + there.snap_m[None, :] / speed


def _timetable(stops: gpd.GeoDataFrame, stop_times: pd.DataFrame) -> Timetable:
    """The engine's timetable of the service day (pipeline.transit.build_timetable)."""
    return build_timetable(stop_times.rename(columns={"trip_id": "trip"}), len(stops))


def transit_minutes(travel: Travel, origins: gpd.GeoSeries, destinations: gpd.GeoSeries, stops: gpd.GeoDataFrame,
                    stop_times: pd.DataFrame, access: dict, transit: dict) -> tuple[np.ndarray, Places]:
    """Median minutes by walking and public transport from each origin's place to each destination (the
    destination's snap walk included), and the origins' places (add each origin's snap walk, `snap_m` / speed).
    For few destinations (the development sites); transit_columns sums block by block. The blocks of origins
    run as chunks of work (on the Dask cluster when the run has one)."""
    here, there = Places.of(travel, origins, transit["cell_m"]), Places.of(travel, destinations)
    blocks = place_blocks(here, there, int(transit["origin_chunk_size"]))
    walks = stops_walks(travel, stops.geometry, there, access, transit)
    found = active_executor().map_chunks(_block_minutes, [_block(here, rows) for rows in blocks], travel, there,
                                         walks, _timetable(stops, stop_times), access, transit)
    minutes = np.empty((len(here.keys), len(there.of_point)))
    for rows, block in zip(blocks, found, strict=True):
        minutes[rows] = block
    return minutes, here


def _figures_chunk(chunk: tuple, travel: Travel, there: Places, walks: StopWalks, timetable: Timetable,
                   count: np.ndarray, access: dict, transit: dict) -> tuple[np.ndarray, np.ndarray]:
    """One chunk of transit_columns: for a block of origin places and the points on them (their place's row in
    the block and their snap walk, minutes), each point's jobs within transit.max_minutes and each place's
    gravity sum."""
    part, point_rows, point_walk = chunk
    minutes = _block_minutes(part, travel, there, walks, timetable, access, transit)
    within = _sum_within(minutes, point_rows, point_walk, float(transit["max_minutes"]), count)
    beta = float(access["gravity_beta_per_min"])
    weight = np.where(minutes <= float(transit["gravity_max_minutes"]), np.exp(-beta * minutes), 0.0)
    # Each row summed on its own (numpy's pairwise sum), not by BLAS: a matrix product's order of addition
    # depends on the block's shape and on BLAS's threads (one per Dask worker), and so would its last bits.
    return within, (weight * count).sum(axis=1)


@step("jobs by public transport")
def transit_columns(travel: Travel, origins: gpd.GeoSeries, jobs: gpd.GeoDataFrame, stops: gpd.GeoDataFrame,
                    stop_times: pd.DataFrame, residents: np.ndarray, access: dict, transit: dict) -> dict:
    """jobs_transit_45, job_access_transit_gravity and its index per origin (CONTRACT 6d).

    The origins' places are searched in blocks of neighbours (place_blocks), one chunk of work each, on the
    Dask cluster when the run has one; each block's sums come back whole, so every backend gives the same
    figures."""
    count = jobs["jobs"].fillna(0).to_numpy(dtype=float)
    cell_m = transit["cell_m"]
    here, there = Places.of(travel, origins, cell_m), Places.of(travel, jobs.geometry, cell_m)
    origin_walk = here.snap_m / float(access["walk_m_per_min"])
    blocks = place_blocks(here, there, int(transit["origin_chunk_size"]))
    row_in_block = np.empty(len(here.keys), dtype=np.intp)
    block_of = np.empty(len(here.keys), dtype=np.intp)
    for k, rows in enumerate(blocks):
        row_in_block[rows], block_of[rows] = np.arange(len(rows)), k
    point_block = block_of[here.of_point]
    mine = [np.flatnonzero(point_block == k) for k in range(len(blocks))]
    chunks = [(_block(here, rows), row_in_block[here.of_point[points]], origin_walk[points])
              for rows, points in zip(blocks, mine, strict=True)]
    walks = stops_walks(travel, stops.geometry, there, access, transit)
    found = active_executor().map_chunks(_figures_chunk, chunks, travel, there, walks,
                                         _timetable(stops, stop_times), count, access, transit)
    within = np.empty(len(here.of_point))
    place_gravity = np.empty(len(here.keys))
    for rows, points, (block_within, block_gravity) in zip(blocks, mine, found, strict=True):
        within[points], place_gravity[rows] = block_within, block_gravity
    beta = float(access["gravity_beta_per_min"])
    gravity = np.exp(-beta * origin_walk) * place_gravity[here.of_point]
    return {"jobs_transit_45": within, "job_access_transit_gravity": gravity,
            "job_access_transit_index": job_access_index(pd.Series(gravity), residents)}


def parcel_transit(travel: Travel, parcels: gpd.GeoDataFrame, jobs: gpd.GeoDataFrame | None, timetable: tuple | None,
                   residents: np.ndarray, access: dict, transit: dict) -> dict:
    """The transit figures per parcel (its representative point); null without a feed, jobs or stops."""
    if timetable is None or jobs is None or len(jobs) == 0 or len(timetable[0]) == 0:
        return dict.fromkeys(TRANSIT_COLUMNS, np.full(len(parcels), np.nan))
    origins = gpd.GeoSeries(parcels.geometry.representative_point().to_numpy(), crs=parcels.crs)
    stops, stop_times = timetable
    return transit_columns(travel, origins, jobs, stops, stop_times, residents, access, transit)
