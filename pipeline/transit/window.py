"""Median travel times by walking and public transport over a window of departures, origins x destinations.

The travel time to a destination is the least of the direct walk and the arrival at a stop by vehicle plus the
walk from it, minus the departure minute; over the window's minutes the median is the lower median (the
ceil(n/2)-th smallest time, a time some departure really gives, as R5 and Conveyal report it).
"""

from __future__ import annotations

import numpy as np

from pipeline.transit.raptor import MAX_QUERY_CELLS, Links, Timetable, earliest_arrivals


def lower_median(values: np.ndarray, axis: int) -> np.ndarray:
    """The ceil(n/2)-th smallest along axis (R5's non-interpolated median: a value some departure gives)."""
    n = values.shape[axis]
    k = int(np.ceil(n / 2)) - 1
    return np.take(np.partition(values, k, axis=axis), k, axis=axis)


# Travel times are kept as whole seconds in int16 for the median (numpy partitions small integers several
# times faster than floats); a time of UNREACHED_S or more counts as not arriving (about 9 hours).
UNREACHED_S = np.iinfo(np.int16).max
# Sorting key of (stop, time) pairs: stop x _STOP_KEY + time, more than any service day's seconds.
_STOP_KEY = 1.0e7


class _Arrivals:
    """Arrivals at the destinations, one row per distinct row of arrivals at the stops, kept across chunks.

    Neighbouring origins and consecutive minutes mostly catch the same vehicles: their rows of arrivals at the
    stops are equal, and the walk to the destinations (the costly step, rows x egress walks) is done once per
    distinct row. Rows are told apart by a 64-bit hash (a random linear form modulo 2**64): sorting hashes is
    much faster than sorting rows, and two different rows among millions share one with odds of about 1e-7.
    Each row is stored in whole seconds since the window's first departure, int16 (UNREACHED_S: none).
    """

    def __init__(self, egress: Links, n_d: int, n_stops: int, start_s: float):
        self.egress, self.n_d, self.start_s = egress, n_d, start_s
        self.weights = np.random.default_rng(20261207).integers(1, 2**62, size=n_stops, dtype=np.int64)
        self.hashes = np.empty(0, dtype=np.int64)  # sorted
        self.ids = np.empty(0, dtype=np.intp)  # each hash's row in table
        self.data = np.empty((n_d, 0), dtype=np.int16)  # destinations x capacity, doubled when full
        self.size = 0

    def rows_of(self, arrive: np.ndarray) -> np.ndarray:
        """Each query's row in the table, adding the rows not seen before."""
        whole = np.where(np.isfinite(arrive), np.round(arrive), -1).astype(np.int64)
        unique, first, inverse = np.unique(whole @ self.weights, return_index=True, return_inverse=True)
        if len(self.hashes):
            at = np.minimum(np.searchsorted(self.hashes, unique), len(self.hashes) - 1)
            known = self.hashes[at] == unique
            ids = np.where(known, self.ids[at], -1)
        else:
            known, ids = np.zeros(len(unique), dtype=bool), np.full(len(unique), -1, dtype=np.intp)
        new = np.flatnonzero(~known)
        if len(new):
            ids[new] = self.size + np.arange(len(new))
            self._add(arrive[first[new]].astype(np.float32))
            order = np.argsort(np.r_[self.hashes, unique[new]], kind="stable")
            self.hashes = np.r_[self.hashes, unique[new]][order]
            self.ids = np.r_[self.ids, ids[new]][order]
        return ids[inverse.ravel()]

    def _add(self, times: np.ndarray) -> None:
        if self.size + len(times) > self.data.shape[1]:
            grown = np.empty((self.n_d, max(2 * self.data.shape[1], self.size + len(times))), dtype=np.int16)
            grown[:, :self.size] = self.data[:, :self.size]
            self.data = grown
        step = max(1, MAX_QUERY_CELLS // max(1, len(self.egress.src), self.n_d))
        for start in range(0, len(times), step):
            at = self.egress.min_plus(times[start:start + step], self.n_d)
            since = np.minimum(np.round(at - self.start_s), UNREACHED_S)
            block = np.where(np.isfinite(since), since, UNREACHED_S).astype(np.int16)
            self.data[:, self.size:self.size + len(block)] = block.T
            self.size += len(block)

    def table(self) -> np.ndarray:
        """destinations x rows, int16 seconds since the window's start."""
        return self.data[:, :self.size]


def _median_by_transit(table: np.ndarray, which: np.ndarray, departures_s: np.ndarray, n_o: int) -> np.ndarray:
    """Lower median over the departures of (arrival - departure), destinations x origins, in seconds (inf: none).

    table: destinations x rows of arrivals in whole seconds since the window's first departure (int16), which:
    each (origin, departure)'s row. One gather and one subtraction in int16, then the partition.
    """
    n_m = len(departures_s)
    start = float(departures_s.min())
    rel = table[:, which.reshape(n_o, n_m)]  # (n_d, n_o, n_m)
    rel -= np.round(departures_s - start).astype(np.int16)
    k = int(np.ceil(n_m / 2)) - 1
    med = np.partition(rel, k, axis=2)[:, :, k].astype(np.float32)
    med[med >= UNREACHED_S - np.round(departures_s.max() - start)] = np.inf
    return med


def travel_times(
    timetable: Timetable,
    walk_to_stop: np.ndarray,
    egress: Links,
    direct_s: np.ndarray,
    departures_s: np.ndarray,
    *,
    transfers: Links,
    max_rides: int,
    board_slack_s: float,
) -> np.ndarray:
    """Travel time in seconds for each origin, departure and destination (origins x departures x destinations).

    walk_to_stop: origins x stops walking seconds (inf where too far); egress: stop -> destination walks;
    transfers: stop -> stop walks; direct_s: origins x destinations walking seconds (inf where too far).
    """
    n_o, n_s = walk_to_stop.shape
    departures_s = np.asarray(departures_s, dtype=float)
    n_m, n_d = len(departures_s), direct_s.shape[1]
    ready = (walk_to_stop[:, None, :] + departures_s[None, :, None]).reshape(n_o * n_m, n_s)
    arrive = earliest_arrivals(timetable, ready, transfers, max_rides=max_rides, board_slack_s=board_slack_s)
    at_dest = egress.min_plus(arrive, n_d).reshape(n_o, n_m, n_d) - departures_s[None, :, None]
    return np.minimum(at_dest, direct_s[:, None, :])


def _access_table(access: Links, n_o: int) -> tuple[np.ndarray, np.ndarray]:
    """Each origin's access stops and walking seconds as (origins x k) arrays, padded with stop -1 and inf."""
    counts = np.bincount(access.src, minlength=n_o)
    k = max(1, int(counts.max()) if len(counts) else 1)
    order = np.argsort(access.src, kind="stable")
    src, dst, sec = access.src[order], access.dst[order], access.seconds[order]
    rank = np.arange(len(src)) - np.r_[0, np.cumsum(counts)][src]
    stops = np.full((n_o, k), -1, dtype=np.intp)
    seconds = np.full((n_o, k), np.inf)
    stops[src, rank] = dst
    seconds[src, rank] = sec
    return stops, seconds


def whole_minutes(timetable: Timetable, board_slack_s: float) -> bool:
    """Whether every departure and the slack fall on whole minutes (then stop profiles per minute are exact)."""
    return board_slack_s % 60 == 0 and all((p.dep % 60 == 0).all() for p in timetable.patterns)


def _boarding_times(timetable: Timetable, sources: np.ndarray, board_slack_s: float) -> tuple[np.ndarray, np.ndarray]:
    """The latest times a rider can be at each source stop and still board each of its departures (departure
    minus the slack), as (stop, time) pairs sorted by stop then time, without repeats."""
    stop = np.concatenate([np.broadcast_to(p.stops, p.dep.shape).ravel() for p in timetable.patterns])
    time = np.concatenate([p.dep.ravel() for p in timetable.patterns]) - board_slack_s
    at = np.isin(stop, sources)
    pairs = np.unique(np.c_[stop[at], time[at]], axis=0)
    return pairs[:, 0].astype(np.intp), pairs[:, 1]


def _stop_profiles(timetable: Timetable, sources: np.ndarray, grid_s: np.ndarray, keep: np.ndarray, transfers: Links,
                   *, max_rides: int, board_slack_s: float) -> tuple[np.ndarray, np.ndarray]:
    """Vehicle arrivals at the stops keep for a rider ready at each source stop at each grid time: a table of
    rows (the last inf: nothing boardable) and each (source, grid time)'s row in it (sources x grid).

    A rider who reaches a stop boards there first, so what he catches changes only at a departure: ready at any
    time up to a departure's last boarding time, he catches what one ready at that very time catches. So the
    search runs once per source stop and boarding time that some grid time leads to (the first at or after it),
    not once per grid minute: with buses every 10 minutes, about a fifth of the searches.
    """
    stop, latest = _boarding_times(timetable, sources, board_slack_s)
    # for each (source, grid time): the first boarding time at or after it at that stop, if any
    key = stop * _STOP_KEY + latest
    wanted = (sources[:, None] * _STOP_KEY + grid_s[None, :])
    at = np.searchsorted(key, wanted.ravel(), side="left")
    found = at < len(key)
    found[found] = stop[at[found]] == np.repeat(sources, len(grid_s))[found]
    used, row = np.unique(at[found], return_inverse=True)
    row_of = np.full(wanted.size, len(used), dtype=np.intp)
    row_of[found] = row.ravel()
    out = np.full((len(used) + 1, len(keep)), np.inf, dtype=np.float32)
    step = max(1, MAX_QUERY_CELLS // max(1, timetable.n_stops))
    for start in range(0, len(used), step):
        block = used[start:start + step]
        ready = np.full((len(block), timetable.n_stops), np.inf)
        ready[np.arange(len(block)), stop[block]] = latest[block]
        arrive = earliest_arrivals(timetable, ready, transfers, max_rides=max_rides, board_slack_s=board_slack_s)
        out[start:start + len(block)] = arrive[:, keep]
    return out, row_of.reshape(len(sources), len(grid_s))


def median_travel_times(
    timetable: Timetable,
    access: Links,
    egress: Links,
    direct_s: np.ndarray,
    departures_s: np.ndarray,
    *,
    transfers: Links,
    max_rides: int,
    board_slack_s: float,
) -> np.ndarray:
    """Median travel time in seconds over the departures, origins x destinations (walk, or walk and transit).

    access: origin -> stop walks; egress: stop -> destination walks; transfers: stop -> stop walks; direct_s:
    origins x destinations walking seconds (inf where too far). The walk is the same for every departure, so
    the median of min(walk, transit) is min(walk, median of transit). inf where nothing arrives for more than
    half of the departures. Transit times are whole seconds.

    When every departure falls on a whole minute (as in most feeds), the search runs once from each access
    stop for each departure there that some minute leads to (_stop_profiles), and each origin takes, per
    departure, the best of its access stops (a rider ready at 07:03:20 catches exactly what one ready at
    07:04:00 catches, and that is what one ready at the next departure's last boarding time catches). That is
    exact and needs at most (stops x minutes) searches instead of (origins x minutes). Otherwise every origin
    is searched.
    """
    departures_s = np.asarray(departures_s, dtype=float)
    if not whole_minutes(timetable, board_slack_s) or len(access.src) == 0:
        return _median_by_origin(timetable, access, egress, direct_s, departures_s, transfers=transfers,
                                 max_rides=max_rides, board_slack_s=board_slack_s)
    n_o, n_d = direct_s.shape
    n_m = len(departures_s)
    stops, walk = _access_table(access, n_o)
    sources = np.unique(access.dst)
    keep = np.unique(egress.src) if len(egress.src) else np.zeros(1, dtype=np.intp)
    first = np.floor(departures_s.min() / 60) * 60
    last = np.ceil((departures_s.max() + access.seconds.max()) / 60) * 60
    grid_s = np.arange(first, last + 60, 60.0)
    profiles, profile_row = _stop_profiles(timetable, sources, grid_s, keep, transfers, max_rides=max_rides,
                                           board_slack_s=board_slack_s)
    no_row = len(profiles) - 1
    source_pos = np.full(timetable.n_stops, -1, dtype=np.intp)
    source_pos[sources] = np.arange(len(sources))
    arrivals = _Arrivals(Links.of(np.searchsorted(keep, egress.src), egress.dst, egress.seconds), n_d, len(keep),
                         float(departures_s.min()))
    out = np.empty((n_o, n_d), dtype=np.float32)
    chunk = max(1, MAX_QUERY_CELLS // max(1, n_m * max(len(keep), n_d)))
    for start in range(0, n_o, chunk):
        rows = slice(start, min(n_o, start + chunk))
        n_c = rows.stop - rows.start
        arrive = np.full((n_c, n_m, len(keep)), np.inf, dtype=np.float32)
        for j in range(stops.shape[1]):
            ready = departures_s[None, :] + walk[rows, j, None]  # (n_c, n_m)
            t = np.nan_to_num(np.ceil(np.round(ready - first, 6) / 60), posinf=0).astype(np.intp)
            row = np.where(np.isfinite(ready), profile_row[source_pos[stops[rows, j]][:, None], t], no_row)
            np.minimum(arrive, profiles[row], out=arrive)
        which = arrivals.rows_of(arrive.reshape(n_c * n_m, len(keep)))
        out[rows] = _median_by_transit(arrivals.table(), which, departures_s, n_c).T
    return np.minimum(out, direct_s.astype(np.float32))


def _median_by_origin(timetable, access, egress, direct_s, departures_s, *, transfers, max_rides, board_slack_s):
    """median_travel_times searching every origin at every departure (any timetable)."""
    n_o, n_d = direct_s.shape
    n_s, n_m = timetable.n_stops, len(departures_s)
    walk_to_stop = np.full((n_o, n_s), np.inf)
    np.minimum.at(walk_to_stop, (access.src, access.dst), access.seconds)
    out = np.empty((n_o, n_d), dtype=np.float32)
    arrivals = _Arrivals(egress, n_d, n_s, float(departures_s.min()))
    chunk = max(1, MAX_QUERY_CELLS // max(1, n_m * max(n_s, n_d)))
    for start in range(0, n_o, chunk):
        rows = slice(start, min(n_o, start + chunk))
        n_c = rows.stop - rows.start
        ready = (walk_to_stop[rows, None, :] + departures_s[None, :, None]).reshape(n_c * n_m, n_s)
        arrive = earliest_arrivals(timetable, ready, transfers, max_rides=max_rides, board_slack_s=board_slack_s)
        which = arrivals.rows_of(arrive)
        out[rows] = _median_by_transit(arrivals.table(), which, departures_s, n_c).T
    return np.minimum(out, direct_s.astype(np.float32))
