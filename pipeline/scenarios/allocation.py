"""Allocation of pupils to schools: the greedy by distance under capacity, over each parcel's nearest schools,
and today's districts as drawn (a parcel's pupils at its district's schools, whatever their capacity).

Every scenario ranked, the baseline included, is allocated by `allocate_near` under the same rule; only the
reference row `districts_as_drawn` uses `districts_as_drawn_pairs`. See docs/scenarios.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

# Pupils are allocated over each parcel's nearest schools only, never parcels x all schools (memory). The
# result is exactly the allocation over all schools: when a parcel would need a school beyond its list
# (all in it full while another has room), the lists grow by NEAR_SCHOOLS_GROWTH and the allocation reruns.
NEAR_SCHOOLS_FIRST = 16
NEAR_SCHOOLS_GROWTH = 4


@dataclass(frozen=True)
class NearSchools:
    """Each parcel's nearest schools: distances (parcels x k, ascending, m) and school positions (-1: none);
    and the distance to the school of its district (own_dist_m, NaN in no district)."""

    dist_m: np.ndarray
    school: np.ndarray
    n_schools: int
    own_dist_m: np.ndarray | None = None
    # the baseline's (parcel, school, pupils, dist_m) rows of parcels split among their district's schools
    district_pairs: pd.DataFrame | None = None

    @classmethod
    def from_matrix(cls, distances_m: np.ndarray, district_school: np.ndarray | None = None) -> NearSchools:
        """Every school of a parcels x schools matrix, nearest first (ties by school position)."""
        dist = np.asarray(distances_m, dtype=float)
        order = np.lexsort((np.broadcast_to(np.arange(dist.shape[1]), dist.shape), dist), axis=1)
        near = np.take_along_axis(dist, order, axis=1)
        own = None
        if district_school is not None:
            district_school = np.asarray(district_school)
            own = np.where(district_school >= 0, dist[np.arange(len(dist)), np.maximum(district_school, 0)], np.nan)
        return cls(near, np.where(np.isfinite(near), order, -1), dist.shape[1], own)

    @cached_property
    def ranks(self) -> np.ndarray:
        """Each (parcel, listed school) pair's place in the order of distance (computed once per list)."""
        return _pair_ranks(self.dist_m, np.where(self.school >= 0, self.school, 0))

    def truncated(self) -> np.ndarray:
        """Per parcel, whether schools it can reach may lie beyond its list."""
        if self.dist_m.shape[1] >= self.n_schools or self.dist_m.shape[1] == 0:
            return np.zeros(len(self.dist_m), dtype=bool)
        return np.isfinite(self.dist_m[:, -1])


class MoreSchoolsNeeded(Exception):
    """A parcel needs a school beyond its list of nearest schools: the lists must grow."""


def _pair_ranks(distances_m: np.ndarray, school: np.ndarray) -> np.ndarray:
    """Each (parcel, listed school) pair's place in the order of distance; ties by parcel, then school position."""
    n_parcels, n_slots = distances_m.shape
    parcel = np.repeat(np.arange(n_parcels), n_slots)
    order = np.lexsort((school.ravel(), parcel, distances_m.ravel()))
    ranks = np.empty(order.size, dtype=np.int64)
    ranks[order] = np.arange(order.size)
    return ranks.reshape(n_parcels, n_slots)


def _whole_rooms(capacities: np.ndarray, honour_capacity: bool) -> np.ndarray:
    """Seats per school as whole pupils; unlimited (inf) for an unknown capacity or when capacity is ignored."""
    capacities = np.asarray(capacities, dtype=float)
    if not honour_capacity:
        return np.full(capacities.shape, np.inf)
    return np.where(np.isnan(capacities), np.inf, np.floor(capacities))


def allocate_pupils(
    distances_m: np.ndarray, pupils: np.ndarray, capacities: np.ndarray, honour_capacity: bool
) -> np.ndarray:
    """Pupils per parcel (rows) and school (columns): the nearest school with room, closest pupils first.

    The rule is the greedy over (parcel, school) pairs in order of distance (ties: parcel, then school
    position): a pair sends as many of the parcel's remaining pupils as the school has seats left. So a
    school that fills keeps the pupils closest to it, and the others go on to their next nearest school
    with room. It runs as one vectorised round per school that fills (at most one round per school).
    Pupils are whole (rounded); an unknown capacity (NaN) is unlimited; a non-finite distance means the
    school cannot be reached from the parcel. Pupils left when every reachable school is full go to
    their nearest reachable school over its capacity; a parcel that reaches no school keeps none.
    """
    dist = np.asarray(distances_m, dtype=float)
    return allocation_matrix(allocate_near(NearSchools.from_matrix(dist), pupils, capacities, honour_capacity), dist.shape)


def allocation_matrix(pairs: pd.DataFrame, shape: tuple[int, int]) -> np.ndarray:
    """(parcel, school, pupils) rows as a parcels x schools matrix of pupils."""
    allocation = np.zeros(shape, dtype=np.int64)
    allocation[pairs["parcel"].to_numpy(), pairs["school"].to_numpy()] = pairs["pupils"].to_numpy()
    return allocation


def allocate_near(
    near: NearSchools, pupils: np.ndarray, capacities: np.ndarray, honour_capacity: bool, is_open: np.ndarray | None = None
) -> pd.DataFrame:
    """allocate_pupils over each parcel's listed nearest schools (only the open ones): one row per
    (parcel, school) that receives pupils, with pupils and dist_m. Raises MoreSchoolsNeeded when the
    result could differ from the allocation over every school."""
    dist, school = near.dist_m, near.school
    open_school = np.ones(near.n_schools, dtype=bool) if is_open is None else np.asarray(is_open, dtype=bool)
    safe = np.where(school >= 0, school, 0)
    need = np.rint(np.nan_to_num(np.asarray(pupils, dtype=float))).astype(np.int64)
    room = _whole_rooms(capacities, honour_capacity)
    reachable = (school >= 0) & np.isfinite(dist) & open_school[safe]
    ranks = near.ranks  # among the reachable pairs, the same order as over the reachable pairs alone
    truncated = near.truncated()
    allocation = np.zeros(dist.shape, dtype=np.int64)
    unreached = np.iinfo(np.int64).max
    while True:
        active = np.flatnonzero(need > 0)  # each round looks only at the parcels with pupils left
        usable = reachable[active] & (room[safe[active]] > 0)
        has_usable = usable.any(axis=1)
        if (~has_usable & truncated[active]).any() and (room[open_school] > 0).any():
            raise MoreSchoolsNeeded  # a school beyond the list may have room
        waiting = active[has_usable]
        if waiting.size == 0:
            break
        pair_rank = np.where(usable[has_usable], ranks[waiting], unreached)
        slot = pair_rank.argmin(axis=1)
        key = pair_rank[np.arange(waiting.size), slot]
        if not _fill_round(allocation, need, room, (waiting, slot, safe[waiting, slot]), key):
            break
    if ((need > 0) & ~reachable.any(axis=1) & truncated).any():
        raise MoreSchoolsNeeded  # no open school in the list, one beyond it may be reachable
    _overflow_to_nearest(allocation, need, np.where(reachable, ranks, unreached), reachable)
    parcel, slot = np.nonzero(allocation)
    return pd.DataFrame({"parcel": parcel, "school": safe[parcel, slot], "pupils": allocation[parcel, slot],
                         "dist_m": dist[parcel, slot]})


def _fill_round(allocation: np.ndarray, need: np.ndarray, room: np.ndarray, sent_to: tuple, key: np.ndarray) -> bool:
    """Send waiting parcels to their target (slot, school) up to the first school that fills; False when none fills."""
    waiting, slot, target = sent_to
    order = np.lexsort((key, target))
    parcels, slots, schools, keys = waiting[order], slot[order], target[order], key[order]
    sent = need[parcels]
    cumulative = np.cumsum(sent)
    group_start = np.r_[0, np.flatnonzero(np.diff(schools)) + 1]
    starts = np.repeat(group_start, np.diff(np.r_[group_start, schools.size]))
    before = cumulative - sent - (cumulative[starts] - sent[starts])  # this school's pupils ahead of the row
    fills = before + sent >= room[schools]
    if not fills.any():
        np.add.at(allocation, (parcels, slots), sent)
        need[parcels] = 0
        return False
    cut = keys[fills].min()
    whole = keys < cut
    np.add.at(allocation, (parcels[whole], slots[whole]), sent[whole])
    np.subtract.at(room, schools[whole], sent[whole])
    need[parcels[whole]] = 0
    at_cut = np.flatnonzero(keys == cut)[0]
    parcel, school = parcels[at_cut], schools[at_cut]
    seats = int(room[school])
    allocation[parcel, slots[at_cut]] += seats
    need[parcel] -= seats
    room[school] = 0
    return True


def _overflow_to_nearest(allocation: np.ndarray, need: np.ndarray, ranks: np.ndarray, reachable: np.ndarray) -> None:
    """Pupils with no reachable school left with room go to their nearest reachable school (over capacity)."""
    left = np.flatnonzero((need > 0) & reachable.any(axis=1))
    if left.size:
        nearest = ranks[left].argmin(axis=1)
        np.add.at(allocation, (left, nearest), need[left])
        need[left] = 0


def districts_as_drawn_pairs(
    near: NearSchools, pupils: np.ndarray, district_school: np.ndarray, today: np.ndarray,
    linked: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Today's districts as drawn: a parcel's pupils at its district's schools (linked: rows parcel, school, pupils,
    dist_m, split in the district's proportions; else all at district_school); parcels with neither at
    their nearest school of today. One row per (parcel, school) with pupils: parcel, school, pupils, dist_m."""
    need = np.rint(np.nan_to_num(np.asarray(pupils, dtype=float))).astype(np.int64)
    if linked is not None and len(linked):
        need[linked["parcel"].to_numpy()] = 0
    school = np.asarray(district_school).copy()
    dist = np.full(len(need), np.nan) if near.own_dist_m is None else np.asarray(near.own_dist_m, dtype=float).copy()
    outside = np.flatnonzero((school < 0) & (need > 0))
    if outside.size:
        is_today = np.zeros(near.n_schools, dtype=bool)
        is_today[today] = True
        listed = near.school[outside]
        candidate = (listed >= 0) & is_today[np.where(listed >= 0, listed, 0)]
        if (~candidate.any(axis=1) & near.truncated()[outside]).any():
            raise MoreSchoolsNeeded
        slot = candidate.argmax(axis=1)
        found = candidate.any(axis=1)
        school[outside] = np.where(found, listed[np.arange(outside.size), slot], today[0])
        dist[outside] = np.where(found, near.dist_m[outside, slot], np.inf)
    placed = np.flatnonzero(need > 0)
    rest = pd.DataFrame({"parcel": placed, "school": school[placed], "pupils": need[placed], "dist_m": dist[placed]})
    if linked is None or not len(linked):
        return rest
    linked = linked[linked["pupils"] > 0][["parcel", "school", "pupils", "dist_m"]]
    return pd.concat([linked, rest], ignore_index=True).sort_values(["parcel", "school"], kind="stable").reset_index(drop=True)

