"""Public transport's earliest arrivals: a round-based (RAPTOR) search vectorised over many queries at once.

Each query is one rider ready at some stops at some times (an origin leaving at one minute of the window, or a
rider at one stop at one minute). Round k boards the trips that leave a stop at or after the time the query is
ready there plus the boarding slack, rides them and records the arrival at every later stop; walking transfers
then carry those arrivals to nearby stops, ready for round k + 1. A pattern is the trips of one stop sequence
that never overtake each other, so in every column of its timetable the times rise: the earliest trip boardable
at a stop is one `searchsorted`, and the earliest trip caught anywhere before a stop is a cumulative minimum
along the stops. Every step is a numpy operation over all queries at once; only the patterns serving a stop
whose time improved in the last round are scanned again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

# Sorting keys of all columns of a pattern in one array: column i is offset by i * _COLUMN_OFFSET seconds,
# more than any service day's times (GTFS times run past 24:00 for trips after midnight).
_COLUMN_OFFSET = 1.0e7
# Largest (queries x stops) block held at once per origin chunk: 8 million cells = 64 MB of float64.
MAX_QUERY_CELLS = 8_000_000


@dataclass(frozen=True)
class Pattern:
    """Trips of one stop sequence that never overtake: stops (L,), departures and arrivals (T, L) in seconds."""

    stops: np.ndarray
    dep: np.ndarray
    arr: np.ndarray
    keys: np.ndarray = field(repr=False)  # dep.T flattened with column offsets, sorted
    loops: bool = False  # a stop called at twice

    @classmethod
    def of(cls, stops: np.ndarray, dep: np.ndarray, arr: np.ndarray) -> Pattern:
        n_trips, n_stops = dep.shape
        keys = (dep.T + _COLUMN_OFFSET * np.arange(n_stops)[:, None]).ravel()
        stops = np.asarray(stops, dtype=np.intp)
        return cls(stops, dep.astype(float), arr.astype(float), keys, len(np.unique(stops)) < len(stops))


@dataclass(frozen=True)
class Timetable:
    """The patterns of a service day, the number of stops, and which patterns serve each stop."""

    n_stops: int
    patterns: tuple[Pattern, ...]
    stop_patterns: tuple[np.ndarray, ...]  # per stop, the patterns that call there

    @property
    def n_trips(self) -> int:
        return sum(len(p.dep) for p in self.patterns)


def _fifo_groups(dep: np.ndarray, arr: np.ndarray) -> list[np.ndarray]:
    """Split trips of one stop sequence (sorted by first departure) into groups in which no trip overtakes another."""
    groups: list[list[int]] = []
    for t in range(len(dep)):
        for g in groups:
            last = g[-1]
            if (dep[t] >= dep[last]).all() and (arr[t] >= arr[last]).all():
                g.append(t)
                break
        else:
            groups.append([t])
    return [np.asarray(g) for g in groups]


def build_timetable(stop_times: pd.DataFrame, n_stops: int) -> Timetable:
    """The timetable of patterns from stop_times rows: trip, stop (0..n_stops-1), arrival_s, departure_s.

    Rows must be in trip order and, within a trip, in stop_sequence order.
    """
    st = stop_times.reset_index(drop=True)
    _, trip_first = np.unique(st["trip"].to_numpy(), return_index=True)
    starts = np.sort(trip_first)
    ends = np.r_[starts[1:], len(st)]
    stop = st["stop"].to_numpy(dtype=np.intp)
    arr = st["arrival_s"].to_numpy(dtype=float)
    dep = st["departure_s"].to_numpy(dtype=float)
    by_sequence: dict[bytes, list[int]] = {}
    for k, (a, b) in enumerate(zip(starts, ends, strict=True)):
        by_sequence.setdefault(stop[a:b].tobytes(), []).append(k)
    patterns = []
    for trips in by_sequence.values():
        a0, b0 = starts[trips[0]], ends[trips[0]]
        rows = np.stack([np.arange(starts[k], ends[k]) for k in trips])
        d, r = dep[rows], arr[rows]
        first = np.argsort(d[:, 0], kind="stable")
        d, r = d[first], r[first]
        for g in _fifo_groups(d, r):
            patterns.append(Pattern.of(stop[a0:b0], d[g], r[g]))
    serving: list[list[int]] = [[] for _ in range(n_stops)]
    for i, p in enumerate(patterns):
        for s in np.unique(p.stops):
            serving[s].append(i)
    return Timetable(n_stops, tuple(patterns), tuple(np.asarray(s, dtype=np.intp) for s in serving))


@dataclass(frozen=True)
class Links:
    """Walks as sparse (from, to, seconds) triples: origin -> stop, stop -> stop, stop -> destination."""

    src: np.ndarray
    dst: np.ndarray
    seconds: np.ndarray

    @classmethod
    def of(cls, src, dst, seconds) -> Links:
        src, dst, seconds = np.asarray(src, np.intp), np.asarray(dst, np.intp), np.asarray(seconds, float)
        keep = np.isfinite(seconds)
        order = np.lexsort((src[keep], dst[keep]))
        return cls(src[keep][order], dst[keep][order], seconds[keep][order])

    def min_plus(self, times: np.ndarray, n_to: int) -> np.ndarray:
        """For each row of times (rows x sources): the least times[src] + seconds into each destination."""
        out = np.full((times.shape[0], n_to), np.inf, dtype=times.dtype)
        if len(self.src) == 0:
            return out
        cand = times[:, self.src] + self.seconds.astype(times.dtype)
        starts = np.flatnonzero(np.r_[True, self.dst[1:] != self.dst[:-1]])
        out[:, self.dst[starts]] = np.minimum.reduceat(cand, starts, axis=1)
        return out


def _ride(p: Pattern, ready: np.ndarray) -> np.ndarray:
    """Arrival at each stop of pattern p by its earliest trip catchable before it, for queries ready at its stops."""
    n_trips, n_stops = p.dep.shape
    offsets = _COLUMN_OFFSET * np.arange(n_stops)
    first = np.searchsorted(p.keys, ready + offsets, side="left") - n_trips * np.arange(n_stops)
    caught = np.minimum.accumulate(np.minimum(first, n_trips), axis=1)
    trip = np.empty_like(caught)
    trip[:, 0] = n_trips
    trip[:, 1:] = caught[:, :-1]
    ok = trip < n_trips
    arrival = np.full(ready.shape, np.inf)
    cols = np.broadcast_to(np.arange(n_stops), trip.shape)
    arrival[ok] = p.arr[trip[ok], cols[ok]]
    return arrival


def earliest_arrivals(
    timetable: Timetable,
    ready: np.ndarray,
    transfers: Links,
    *,
    max_rides: int,
    board_slack_s: float,
) -> np.ndarray:
    """Earliest arrival by vehicle at every stop (queries x stops), at most max_rides vehicles, inf where none.

    ready: when each query can be at each stop by walking from its origin (inf where it cannot).
    """
    n_q, n_s = ready.shape
    tau = ready.copy()
    best_ride = np.full((n_q, n_s), np.inf)
    marked = np.flatnonzero(np.isfinite(tau).any(axis=0))
    for _ in range(max_rides):
        if len(marked) == 0:
            break
        scan = np.unique(np.concatenate([timetable.stop_patterns[s] for s in marked] + [np.empty(0, np.intp)]))
        ride = np.full((n_q, n_s), np.inf)
        for i in scan:
            p = timetable.patterns[i]
            arrival = _ride(p, tau[:, p.stops] + board_slack_s)
            if p.loops:
                for j, s in enumerate(p.stops):
                    np.minimum(ride[:, s], arrival[:, j], out=ride[:, s])
            else:
                ride[:, p.stops] = np.minimum(ride[:, p.stops], arrival)
        improved_ride = ride < best_ride
        np.minimum(best_ride, ride, out=best_ride)
        walked = transfers.min_plus(np.where(improved_ride, ride, np.inf), n_s)
        new_tau = np.minimum(tau, np.minimum(ride, walked))
        marked = np.flatnonzero((new_tau < tau).any(axis=0))
        tau = new_tau
    return best_ride
