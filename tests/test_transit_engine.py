"""The transit engine on a hand feed (times worked out by hand) and against a time-expanded Dijkstra."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from pipeline.transit import (
    Links,
    build_timetable,
    lower_median,
    median_travel_times,
    travel_times,
    whole_minutes,
)

MIN = 60.0


def _stop_times(lines: list[tuple[list[int], list[float], list[float]]]) -> pd.DataFrame:
    """stop_times rows from (stops, first departures in minutes, minutes from the first stop to each stop)."""
    rows = []
    trip = 0
    for stops, firsts, offsets in lines:
        for first in firsts:
            for stop, off in zip(stops, offsets, strict=False):
                rows.append((trip, stop, (first + off) * MIN, (first + off) * MIN))
            trip += 1
    return pd.DataFrame(rows, columns=["trip", "stop", "arrival_s", "departure_s"])


# The hand feed. Stops A=0, B=1, C=2, D=3. Line 1 runs A -> B -> C, leaving A every 10 minutes on the hour
# (:00, :10, ...), 4 minutes A -> B and 4 minutes B -> C. Line 2 runs C -> D, leaving C at :09, :19, ...
# (one minute after line 1 arrives), 6 minutes to D. The origin walks 2 minutes to A; the destination is a
# 3-minute walk from D; walking all the way takes 90 minutes.
HAND_LINES = [
    ([0, 1, 2], [390 + 10 * k for k in range(20)], [0, 4, 8]),
    ([2, 3], [399 + 10 * k for k in range(20)], [0, 6]),
]
WINDOW = 420 * MIN + MIN * np.arange(60)  # 07:00 .. 07:59


def _hand(board_slack_min: float, max_rides: int = 4) -> np.ndarray:
    tt = build_timetable(_stop_times(HAND_LINES), 4)
    walk_to_stop = np.array([[2 * MIN, np.inf, np.inf, np.inf]])
    egress = Links.of([3], [0], [3 * MIN])
    return travel_times(tt, walk_to_stop, egress, np.array([[90 * MIN]]), WINDOW, transfers=Links.of([], [], []),
                        max_rides=max_rides, board_slack_s=board_slack_min * MIN)[0, :, 0] / MIN


def test_hand_feed_one_minute_slack():
    # Leaving at 07:00 + m with r = m mod 10: at A at m + 2, boards from m + 3, so the line 1 trip at the next
    # ten-minute mark from m + 3: 10 - r minutes after leaving for r <= 7, 20 - r for r = 8, 9. It reaches C 8
    # minutes later; line 2 leaves one minute after (the slack is met exactly), 6 minutes to D, 3 minutes walk.
    # Travel = (10 - r or 20 - r) + 18: r = 0..9 gives 28 27 26 25 24 23 22 21 30 29.
    times = _hand(1)
    per_r = np.array([28, 27, 26, 25, 24, 23, 22, 21, 30, 29], dtype=float)
    assert np.array_equal(times, np.tile(per_r, 6))
    # Sorted, each of 21..30 appears 6 times; the 30th smallest of 60 is 25 (R5's non-interpolated median).
    assert lower_median(times, axis=0) == 25


def test_hand_feed_no_slack():
    # Boarding from m + 2: the wait is 10 - r for r <= 8 and 11 for r = 9; the transfer at C still takes
    # the :09 trip. Travel r = 0..9: 28 27 26 25 24 23 22 21 20 29; sorted 20..29, the 30th smallest is 24.
    times = _hand(0)
    assert np.array_equal(times, np.tile(np.array([28, 27, 26, 25, 24, 23, 22, 21, 20, 29], dtype=float), 6))
    assert lower_median(times, axis=0) == 24


def test_hand_feed_missed_transfer_and_one_ride():
    # With 2 minutes of slack the transfer at C (one minute) is missed: the next line 2 trip is 10 minutes
    # later. Boarding at A from m + 4: wait 10 - r for r <= 6, 20 - r for r = 7..9; travel = wait + 28:
    # r = 0..9: 38 37 36 35 34 33 32 41 40 39.
    times = _hand(2)
    assert np.array_equal(times, np.tile(np.array([38, 37, 36, 35, 34, 33, 32, 41, 40, 39], dtype=float), 6))
    # With one ride only, D cannot be reached by transit: the 90-minute walk is the travel time.
    assert np.array_equal(_hand(1, max_rides=1), np.full(60, 90.0))


def test_walking_wins_when_shorter():
    tt = build_timetable(_stop_times(HAND_LINES), 4)
    out = median_travel_times(tt, Links.of([0], [0], [2 * MIN]), Links.of([3], [0], [3 * MIN]),
                              np.array([[22.5 * MIN]]), WINDOW, transfers=Links.of([], [], []), max_rides=4,
                              board_slack_s=MIN)
    # Transit's median is 25 minutes; walking 22.5 minutes is faster every time it is faster than transit:
    # per departure min(transit, 22.5): 22.5 for r = 0..4, 8, 9 (7 of 10), so the median is 22.5.
    assert out[0, 0] == pytest.approx(22.5 * MIN)


def test_overtaking_trips_are_split():
    # An express trip leaving A later but arriving C earlier than a stopping trip: both must be found.
    st = pd.DataFrame([(0, 0, 0.0, 0.0), (0, 1, 600.0, 600.0), (1, 0, 60.0, 60.0), (1, 1, 300.0, 300.0)],
                      columns=["trip", "stop", "arrival_s", "departure_s"])
    tt = build_timetable(st, 2)
    assert len(tt.patterns) == 2
    t = travel_times(tt, np.array([[0.0, np.inf]]), Links.of([1], [0], [0.0]), np.array([[np.inf]]),
                     np.array([0.0]), transfers=Links.of([], [], []), max_rides=1, board_slack_s=0.0)
    assert t[0, 0, 0] == 300.0


# --- an independent check: a time-expanded graph searched with scipy's Dijkstra ---------------------------


class _EventGraph:
    """A time-expanded graph of a feed, searched with scipy's Dijkstra (no limit on vehicles).

    Nodes: a departure event per (trip, stop) D, an arrival event A, a waiting chain per stop (one node per
    departure time there, each linked to the next by the wait), then sources and sinks. Edge weights are time
    differences, so a distance from a source is the time since it left.
    """

    def __init__(self, stop_times: pd.DataFrame, slack: float):
        self.st = st = stop_times.reset_index(drop=True)
        self.n_ev, self.slack = len(st), slack
        order = np.lexsort((st["departure_s"].to_numpy(), st["stop"].to_numpy()))
        self.chain_stop = st["stop"].to_numpy()[order]
        self.chain_time = st["departure_s"].to_numpy()[order]
        self.w_node = np.empty(self.n_ev, dtype=int)
        self.w_node[order] = 2 * self.n_ev + np.arange(self.n_ev)
        self.u, self.v, self.w = [], [], []
        self._vehicles()

    def edge(self, a, b, weight):
        self.u.append(a), self.v.append(b), self.w.append(weight)

    def board_from(self, stop, ready, from_node, base):
        """An edge to the first chain node of stop at time >= ready + slack, weighing its time - base."""
        at = np.flatnonzero(self.chain_stop == stop)
        idx = np.searchsorted(self.chain_time[at], ready + self.slack - 1e-9)
        if idx < len(at):
            self.edge(from_node, 2 * self.n_ev + at[idx], self.chain_time[at[idx]] - base)

    def _vehicles(self):
        st, n = self.st, self.n_ev
        for k in range(n - 1):  # waiting at a stop
            if self.chain_stop[k] == self.chain_stop[k + 1]:
                self.edge(2 * n + k, 2 * n + k + 1, self.chain_time[k + 1] - self.chain_time[k])
        trip = st["trip"].to_numpy()
        for e in range(n):
            self.edge(self.w_node[e], e, 0.0)  # board: chain node -> departure event
            if e + 1 < n and trip[e] == trip[e + 1]:  # ride to the next stop; stay on board
                self.edge(e, n + e + 1, st["arrival_s"][e + 1] - st["departure_s"][e])
                self.edge(n + e + 1, e + 1, st["departure_s"][e + 1] - st["arrival_s"][e + 1])

    def alight(self, transfers: Links, egress: Links, sink0: int):
        """From each arrival: change at the stop, walk to another stop, or walk to a destination."""
        for e in range(self.n_ev):
            s, t = self.st["stop"][e], self.st["arrival_s"][e]
            self.board_from(s, t, self.n_ev + e, t)
            for b, sec in zip(transfers.dst[transfers.src == s], transfers.seconds[transfers.src == s], strict=True):
                self.board_from(b, t + sec, self.n_ev + e, t)
            for b, sec in zip(egress.dst[egress.src == s], egress.seconds[egress.src == s], strict=True):
                self.edge(self.n_ev + e, sink0 + b, sec)


def _time_expanded(stop_times, walk_to_stop, egress, transfers, direct, departures, slack):
    """Travel times origins x departures x destinations by Dijkstra over the events of the feed."""
    graph = _EventGraph(stop_times, slack)
    n_o, n_m, n_d = walk_to_stop.shape[0], len(departures), direct.shape[1]
    src0 = 3 * graph.n_ev
    sink0 = src0 + n_o * n_m
    graph.alight(transfers, egress, sink0)
    for o in range(n_o):
        for m, dep in enumerate(departures):
            for s in np.flatnonzero(np.isfinite(walk_to_stop[o])):
                graph.board_from(s, dep + walk_to_stop[o, s], src0 + o * n_m + m, dep)
            for d in np.flatnonzero(np.isfinite(direct[o])):
                graph.edge(src0 + o * n_m + m, sink0 + d, direct[o, d])
    # zero-weight edges vanish in a sparse matrix: shift every weight by a tiny epsilon per edge
    n_nodes = sink0 + n_d
    g = sp.csr_matrix((np.asarray(graph.w) + 1e-7, (graph.u, graph.v)), shape=(n_nodes, n_nodes))
    dist = dijkstra(g, directed=True, indices=np.arange(src0, sink0))[:, sink0:]
    return np.round(dist, 3).reshape(n_o, n_m, n_d)


def _random_feed(rng: np.random.Generator):
    """Four lines over 12 stops with crossing stops, headways 7-15 minutes, running both ways."""
    lines = []
    for _ in range(4):
        stops = list(rng.choice(12, size=int(rng.integers(3, 6)), replace=False))
        hops = np.cumsum(np.r_[0, rng.integers(2, 7, size=len(stops) - 1)]).tolist()
        headway = int(rng.integers(7, 16))
        start = 380 + int(rng.integers(0, headway))
        firsts = list(range(start, 520, headway))
        lines.append((stops, firsts, hops))
        lines.append((stops[::-1], [f + int(rng.integers(0, 5)) for f in firsts], hops))
    return _stop_times(lines)


@pytest.mark.parametrize("seed, shift_s", [(1, 0), (2, 0), (3, 0), (4, 30)])
def test_matches_time_expanded_dijkstra(seed, shift_s):
    # shift_s 0: times on whole minutes, searched once per stop and minute; 30: every origin searched
    rng = np.random.default_rng(seed)
    st = _random_feed(rng)
    st[["arrival_s", "departure_s"]] += shift_s
    n_stops, n_o, n_d = 12, 5, 6
    # walks in whole seconds, not minutes: a rider ready at 07:03:20 must catch what one ready at 07:04 catches
    walk_to_stop = np.where(rng.random((n_o, n_stops)) < 0.3, rng.integers(60, 720, (n_o, n_stops)), np.inf)
    eg = rng.random((n_stops, n_d)) < 0.3
    es, ed = np.nonzero(eg)
    egress = Links.of(es, ed, rng.integers(60, 720, len(es)))
    ts, td = np.nonzero(rng.random((n_stops, n_stops)) < 0.15)
    keep = ts != td
    transfers = Links.of(ts[keep], td[keep], rng.integers(1, 6, keep.sum()) * MIN)
    direct = rng.integers(40, 120, (n_o, n_d)) * MIN
    departures = 420 * MIN + MIN * np.arange(30)
    tt = build_timetable(st, n_stops)
    assert whole_minutes(tt, MIN) == (shift_s == 0)
    got = travel_times(tt, walk_to_stop, egress, direct.astype(float), departures, transfers=transfers,
                       max_rides=8, board_slack_s=MIN)
    want = _time_expanded(st, walk_to_stop, egress, transfers, direct.astype(float), departures, MIN)
    assert np.isfinite(got).all()
    assert (got < direct[:, None, :]).mean() > 0.2  # transit does win often: the comparison is not all walking
    np.testing.assert_allclose(got, want, atol=1e-3)
    access = Links.of(*np.nonzero(np.isfinite(walk_to_stop)), walk_to_stop[np.isfinite(walk_to_stop)])
    medians = median_travel_times(tt, access, egress, direct.astype(float), departures, transfers=transfers,
                                  max_rides=8, board_slack_s=MIN)
    np.testing.assert_allclose(medians, np.sort(want, axis=1)[:, 14, :], atol=1e-3)
