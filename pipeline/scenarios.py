"""Stage scenarios: candidate school sites and development sites measured against the baseline (CONTRACT 6).

School sites. The baseline sends each parcel's pupils (children_6_16) to the school of its district. Each
candidate school site opens a new school at the site (closing `closes_school_id` when given) and sends
pupils to the nearest open school by network distance. When `scenarios.honour_capacity` is set, a full
school takes the pupils closest to it first and the others go on to their next nearest school with room
(`allocate_pupils`: the greedy over (parcel, school) pairs in order of distance, in whole pupils).

Development sites. A site's new dwellings (new_dwellings_<tenure>) join the housing area containing it
(else the nearest one within `scenarios.development_max_dist_m`); the area's mix, indicative status and
family housing gap are recomputed with pipeline.mix, and every area's jobs_bike_30 gains the site's
new_jobs for the parcels within cycling reach. Both tables carry a rank by a configurable objective and
scenarios_ranking.json names the best candidate for each question. See docs/scenarios.md.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline import datasets
from pipeline._errors import InputError, Problem, first_ids
from pipeline._log import log, warn
from pipeline._progress import step, track
from pipeline.access import weighted_area_mean
from pipeline.config import Config
from pipeline.io import has_layer, layer_path, read_layer
from pipeline.mix import UDSAT_OR_WORSE, with_new_dwellings
from pipeline.network import (
    CUTOFF_EPS_M,
    DEFAULT_CHUNK_SIZE,
    Network,
    assigned_distance_m,
    k_nearest_m,
    load_or_build_network,
    od_distances_m,
)
from pipeline.schools import link_weights, read_links
from pipeline.segregation import dissimilarity
from pipeline.statistics import largest_remainder

BASELINE_ID = "baseline"
BASELINE_NAME = "Baseline (today's districts)"
P90_NUMERATOR, P90_DENOMINATOR = 9, 10  # the 90th percentile, kept as integers so the cut is exact
# Pupils are allocated over each parcel's nearest schools only, never parcels x all schools (memory). The
# result is exactly the allocation over all schools: when a parcel would need a school beyond its list
# (all in it full while another has room), the lists grow by NEAR_SCHOOLS_GROWTH and the allocation reruns.
NEAR_SCHOOLS_FIRST = 16
NEAR_SCHOOLS_GROWTH = 4

SCHOOL_COLUMNS = [
    "scenario_id", "scenario_name", "school_id", "school_name", "pupils", "capacity", "utilisation",
    "share_pupils_udsat_or_worse", "mean_dist_m", "p90_dist_m", "pupils_gain_free_transport",
    "pupils_lose_free_transport", "over_capacity", "dissimilarity", "rank", "geometry",
]
CATCHMENT_COLUMNS = ["scenario_id", "school_id", "pupils", "geometry"]
DEVELOPMENT_COLUMNS = [
    "site_id", "site_name", "area_id", "area_name", "contains_site", "status_before", "status_after",
    "share_social_family_before", "share_social_family_after", "share_social_family_change",
    "gap_add_dwellings_before", "gap_add_dwellings_after", "gap_convert_dwellings_before",
    "gap_convert_dwellings_after", "dwellings_before", "dwellings_after", "new_dwellings", "new_jobs",
    "jobs_bike_30_before", "jobs_bike_30_after", "jobs_bike_30_change", "rank", "geometry",
]
# Area columns the development table reports before and after.
AREA_AFTER_COLUMNS = ("status", "share_social_family", "gap_add_dwellings", "gap_convert_dwellings", "dwellings")

SCHOOLS_FILE = datasets.CATALOGUE["scenarios_school_sites"].file
CATCHMENTS_FILE = datasets.CATALOGUE["scenarios_school_catchments"].file
DEVELOPMENT_FILE = datasets.CATALOGUE["scenarios_development"].file
RANKING_FILE = datasets.CATALOGUE["scenarios_ranking"].file


# --- allocation of pupils ----------------------------------------------------------------------------------

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


def baseline_pairs(
    near: NearSchools, pupils: np.ndarray, district_school: np.ndarray, today: np.ndarray,
    linked: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The baseline: a parcel's pupils at its district's schools (linked: rows parcel, school, pupils,
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


def linked_baseline(
    config: Config, origins: gpd.GeoSeries, district_id: pd.Series, pupils: np.ndarray, links: pd.DataFrame,
    schools: gpd.GeoDataFrame,
) -> pd.DataFrame:
    """Each parcel's pupils split among its district's schools (district_schools weights, whole pupils by
    largest remainder) with the distance to each: rows parcel, school (position in schools), pupils, dist_m."""
    frame = pd.DataFrame({"parcel": np.arange(len(origins)), "district_id": district_id.astype("str").to_numpy()})
    frame = frame.merge(links.astype({"district_id": "str", "school_id": "str"}), on="district_id", how="inner")
    frame["school"] = pd.Index(schools["school_id"].astype("str")).get_indexer(frame["school_id"])
    frame = frame[frame["school"] >= 0].sort_values(["parcel", "school_id"], kind="stable").reset_index(drop=True)
    totals = np.rint(np.nan_to_num(np.asarray(pupils, dtype=float)))
    frame["pupils"] = largest_remainder(totals, frame["parcel"].to_numpy(), frame["weight"].to_numpy(dtype=float),
                                        np.arange(len(frame))).astype(np.int64)
    network, detour, _ = _network(config, config["scenarios"]["school_network_mode"])
    frame["dist_m"] = assigned_distance_m(
        network, gpd.GeoSeries(origins.to_numpy()[frame["parcel"].to_numpy()], crs=origins.crs), schools.geometry,
        frame["school"].to_numpy(dtype=np.intp), detour_factor=detour,
        chunk_size=int(config["access"].get("origin_chunk_size", DEFAULT_CHUNK_SIZE)))
    return frame[["parcel", "school", "pupils", "dist_m"]]


# --- figures per school ------------------------------------------------------------------------------------

def _p90_dist_m(pairs: pd.DataFrame, n_schools: int) -> np.ndarray:
    """Per school, the distance within which at least 90% of its pupils live (no interpolation)."""
    ordered = pairs.sort_values(["school", "dist_m"], kind="stable")
    cumulative = ordered.groupby("school")["pupils"].cumsum()
    total = ordered.groupby("school")["pupils"].transform("sum")
    reached = ordered[cumulative * P90_DENOMINATOR >= total * P90_NUMERATOR]
    p90 = reached.groupby("school")["dist_m"].first()
    return p90.reindex(range(n_schools)).to_numpy(dtype=float)


def school_figures(
    pairs: pd.DataFrame,
    n_schools: int,
    udsat_or_worse: np.ndarray,
    capacities: np.ndarray,
    baseline_dist_m: np.ndarray,
    free_transport_dist_m: float,
) -> pd.DataFrame:
    """Per school (positions 0..n_schools-1 of pairs' school): pupils, utilisation, udsat share, distances,
    free-transport changes. pairs: one row per (parcel, school) with pupils and dist_m.

    A pupil gains free transport when the scenario's distance exceeds free_transport_dist_m and the
    baseline's did not, and loses it the other way round; both are counted at the scenario's school.
    Utilisation = pupils / capacity (null without a capacity); distances are pupil-weighted.
    """
    in_udsat = np.asarray(udsat_or_worse, dtype=bool)[pairs["parcel"].to_numpy()]
    base_far = np.asarray(baseline_dist_m, dtype=float)[pairs["parcel"].to_numpy()] > free_transport_dist_m
    now_far = pairs["dist_m"].to_numpy() > free_transport_dist_m
    pairs = pairs.assign(
        udsat=pairs["pupils"] * in_udsat,
        gain=pairs["pupils"] * (now_far & ~base_far),
        lose=pairs["pupils"] * (~now_far & base_far),
        dist_x_pupils=pairs["pupils"] * pairs["dist_m"],
    )
    sums = pairs.groupby("school")[["pupils", "udsat", "gain", "lose", "dist_x_pupils"]].sum()
    sums = sums.reindex(range(n_schools), fill_value=0)
    pupils = sums["pupils"].to_numpy(dtype=np.int64)
    capacity = np.asarray(capacities, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        utilisation = np.where(capacity > 0, pupils / capacity, np.nan)
        share_udsat = np.where(pupils > 0, sums["udsat"].to_numpy() / pupils, np.nan)
        mean_dist = np.where(pupils > 0, sums["dist_x_pupils"].to_numpy() / pupils, np.nan)
    return pd.DataFrame({
        "pupils": pupils,
        "capacity": capacity,
        "utilisation": utilisation,
        "share_pupils_udsat_or_worse": share_udsat,
        "mean_dist_m": mean_dist,
        "p90_dist_m": _p90_dist_m(pairs, n_schools),
        "pupils_gain_free_transport": sums["gain"].to_numpy(dtype=np.int64),
        "pupils_lose_free_transport": sums["lose"].to_numpy(dtype=np.int64),
        "over_capacity": np.nan_to_num(pupils - capacity, nan=0.0) > 0,
        "udsat_pupils": sums["udsat"].to_numpy(dtype=np.int64),
    })


def school_dissimilarity(figures: pd.DataFrame) -> float:
    """D across a scenario's schools: pupils from udsat-or-worse areas against the other pupils."""
    return dissimilarity(figures["udsat_pupils"].to_numpy(), figures["pupils"].to_numpy())


# --- ranking -----------------------------------------------------------------------------------------------

def _school_keys_min_dissimilarity_no_overcapacity(summary: pd.DataFrame) -> list[np.ndarray]:
    """Scenarios with no school over capacity first, then by fewest pupils over capacity; then lowest D."""
    return [summary["pupils_over_capacity"].to_numpy() > 0, summary["pupils_over_capacity"].to_numpy(),
            summary["dissimilarity"].fillna(np.inf).to_numpy()]


def _school_keys_min_dissimilarity(summary: pd.DataFrame) -> list[np.ndarray]:
    """Lowest D across schools, capacity ignored."""
    return [summary["dissimilarity"].fillna(np.inf).to_numpy()]


def _school_keys_min_mean_dist(summary: pd.DataFrame) -> list[np.ndarray]:
    """Shortest mean distance per pupil."""
    return [summary["mean_dist_m"].fillna(np.inf).to_numpy()]


def _development_keys_max_fall_share_social_family_omdannelse(summary: pd.DataFrame) -> list[np.ndarray]:
    """Largest fall in share_social_family summed over the omdannelse (transformation) areas."""
    return [-summary["fall_share_social_family_omdannelse"].to_numpy()]


def _development_keys_max_jobs_bike_30_gain(summary: pd.DataFrame) -> list[np.ndarray]:
    """Largest gain in jobs_bike_30, averaged over the housing areas."""
    return [-summary["mean_jobs_bike_30_change"].to_numpy()]


SCHOOL_OBJECTIVES: dict[str, Callable[[pd.DataFrame], list[np.ndarray]]] = {
    "min_dissimilarity_no_overcapacity": _school_keys_min_dissimilarity_no_overcapacity,
    "min_dissimilarity": _school_keys_min_dissimilarity,
    "min_mean_dist": _school_keys_min_mean_dist,
}
DEVELOPMENT_OBJECTIVES: dict[str, Callable[[pd.DataFrame], list[np.ndarray]]] = {
    "max_fall_share_social_family_omdannelse": _development_keys_max_fall_share_social_family_omdannelse,
    "max_jobs_bike_30_gain": _development_keys_max_jobs_bike_30_gain,
}


def rank_candidates(summary: pd.DataFrame, objective: str, objectives: dict) -> np.ndarray:
    """Rank per row of summary (1 = best) by the named objective; ties keep the row order."""
    if objective not in objectives:
        raise InputError(Problem(
            f"the ranking objective '{objective}' is unknown",
            f"set it to one of: {', '.join(objectives)}", column="scenarios objective"))
    keys = objectives[objective](summary)
    order = np.lexsort([np.arange(len(summary)), *reversed(keys)])
    ranks = np.empty(len(summary), dtype=np.int64)
    ranks[order] = np.arange(1, len(summary) + 1)
    return ranks


# --- school scenarios --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SchoolScenario:
    """One scenario: which schools are open (column positions) and how pupils are placed."""

    scenario_id: str
    scenario_name: str
    open_schools: np.ndarray
    by_district: bool = False


def school_scenarios(schools: pd.DataFrame, sites: pd.DataFrame) -> list[SchoolScenario]:
    """The baseline plus one scenario per school site: today's schools, the site open, its closure shut.

    schools holds today's schools then the sites' new schools, all with school_id; sites holds the
    school sites with site_id, name and closes_school_id (null: none).
    """
    n_today = len(schools) - len(sites)
    today = np.arange(n_today)
    scenarios = [SchoolScenario(BASELINE_ID, BASELINE_NAME, today, by_district=True)]
    ids = schools["school_id"].to_numpy()[:n_today]
    closes = sites["closes_school_id"] if "closes_school_id" in sites.columns else pd.Series(None, index=sites.index)
    for k, (site_id, name, closed) in enumerate(zip(sites["site_id"], sites["name"], closes, strict=True)):
        keep = today[ids != closed] if isinstance(closed, str) else today
        scenarios.append(SchoolScenario(str(site_id), str(name), np.r_[keep, n_today + k]))
    return scenarios


def scenario_pairs(
    scenarios: Sequence[SchoolScenario],
    near: NearSchools,
    pupils: np.ndarray,
    district_school: np.ndarray,
    udsat_or_worse: np.ndarray,
    capacities: np.ndarray,
    *,
    honour_capacity: bool,
    free_transport_dist_m: float,
) -> tuple[pd.DataFrame, dict[str, pd.DataFrame]]:
    """Figures per (scenario, school position) and each scenario's allocation as (parcel, school, pupils, dist_m)
    rows, from each parcel's nearest schools and its district's schools (see baseline_pairs)."""
    baseline = baseline_pairs(near, pupils, district_school, scenarios[0].open_schools, near.district_pairs)
    baseline_dist_m = np.full(len(pupils), np.nan)
    # a parcel split among several schools: its baseline distance is that of the school taking most of its pupils
    main = baseline.sort_values(["parcel", "pupils"], kind="stable")
    baseline_dist_m[main["parcel"].to_numpy()] = main["dist_m"].to_numpy()
    frames, allocations = [], {}
    for scenario in track(scenarios, "Scenarios: pupils allocated", unit="scenarios"):
        columns = scenario.open_schools
        if scenario.by_district:
            pairs = baseline
        else:
            is_open = np.zeros(near.n_schools, dtype=bool)
            is_open[columns] = True
            pairs = allocate_near(near, pupils, capacities, honour_capacity, is_open)
        position = np.full(near.n_schools, -1)
        position[columns] = np.arange(len(columns))
        figures = school_figures(pairs.assign(school=position[pairs["school"].to_numpy()]), len(columns),
                                 udsat_or_worse, capacities[columns], baseline_dist_m, free_transport_dist_m)
        figures.insert(0, "school", columns)
        figures.insert(0, "scenario_id", scenario.scenario_id)
        figures["dissimilarity"] = school_dissimilarity(figures)
        frames.append(figures)
        allocations[scenario.scenario_id] = pairs
    return pd.concat(frames, ignore_index=True), allocations


def school_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per scenario the figures the objectives rank by (indexed by scenario_id, in table order)."""
    grouped = table.groupby("scenario_id", sort=False)
    excess = (table["pupils"] - table["capacity"]).clip(lower=0).fillna(0)
    return pd.DataFrame({
        "dissimilarity": grouped["dissimilarity"].first(),
        "pupils_over_capacity": excess.groupby(table["scenario_id"], sort=False).sum(),
        "mean_dist_m": (table["mean_dist_m"] * table["pupils"]).groupby(table["scenario_id"], sort=False).sum()
        / grouped["pupils"].sum().replace(0, np.nan),
    })


def rank_school_scenarios(table: pd.DataFrame, objective: str) -> pd.Series:
    """The rank of each scenario (indexed by scenario_id) by the configured objective."""
    summary = school_summary(table)
    return pd.Series(rank_candidates(summary, objective, SCHOOL_OBJECTIVES), index=summary.index, name="rank")


def catchments(
    allocations: dict[str, pd.DataFrame], parcel_geometry: gpd.GeoSeries, school_ids: np.ndarray
) -> gpd.GeoDataFrame:
    """Per (scenario, school) the dissolved parcels that send it pupils (a split parcel is in each).

    allocations: per scenario, one row per (parcel, school position) with pupils."""
    parts = [pd.DataFrame({"scenario_id": scenario_id, "school_id": school_ids[pairs["school"].to_numpy()],
                           "pupils": pairs["pupils"].to_numpy(), "parcel": pairs["parcel"].to_numpy()})
             for scenario_id, pairs in allocations.items()]
    long = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["scenario_id", "school_id", "pupils", "parcel"])
    frame = gpd.GeoDataFrame(
        long[["scenario_id", "school_id", "pupils"]],
        geometry=parcel_geometry.to_numpy()[long["parcel"].to_numpy(dtype=np.int64)], crs=parcel_geometry.crs)
    dissolved = frame.dissolve(by=["scenario_id", "school_id"], aggfunc={"pupils": "sum"}, sort=False).reset_index()
    return dissolved[CATCHMENT_COLUMNS]


def empty_frame(columns: list[str], crs) -> gpd.GeoDataFrame:
    """A table with the output's columns and no rows."""
    return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in columns if c != "geometry"},
                            geometry=gpd.GeoSeries([], crs=crs))


# --- development sites -------------------------------------------------------------------------------------

def locate_sites(sites: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, max_dist_m: float) -> pd.Series:
    """The housing area each site joins: the one containing its representative point, else the nearest
    within max_dist_m, else null. Indexed like sites."""
    points = gpd.GeoDataFrame(geometry=sites.geometry.representative_point().to_numpy(), crs=sites.crs)
    right = areas[["area_id", areas.geometry.name]].reset_index(drop=True)
    inside = gpd.sjoin(points, right, how="left", predicate="within")
    inside = inside[~inside.index.duplicated(keep="first")].sort_index()["area_id"]
    outside = inside.isna().to_numpy()
    if outside.any():
        near = gpd.sjoin_nearest(points[outside], right, how="left", max_distance=max_dist_m)
        near = near[~near.index.duplicated(keep="first")]["area_id"]
        inside = inside.astype(object)
        inside.loc[near.index] = near.to_numpy()
    return pd.Series(inside.to_numpy(dtype=object), index=sites.index, name="area_id", dtype="str")


def development_effect(areas_mix: pd.DataFrame, area_id: str, new_dwellings: dict[str, int], mix_config: dict) -> pd.Series:
    """The receiving area's row of areas_mix after the site's dwellings (pipeline.mix.with_new_dwellings).

    Only the dwellings change; residents, person counts and criteria values are kept (the new dwellings'
    residents are unknown), so share, status and gap agree with areas_mix by construction, whatever
    support (parcels, grid, area statistics) the area's figures came from.
    """
    row = areas_mix[areas_mix["area_id"].astype("str").eq(area_id).to_numpy()]
    return with_new_dwellings(pd.DataFrame(row.drop(columns="geometry", errors="ignore")), new_dwellings,
                              mix_config).iloc[0]


def jobs_bike_30_change(
    site_to_parcel_dist_m: np.ndarray, new_jobs: np.ndarray, residents: np.ndarray, parcel_area_id: np.ndarray,
    area_ids: Sequence[str], reach_m: float,
) -> np.ndarray:
    """Sites x areas: the change in jobs_bike_30, i.e. the residents-weighted mean over each area's parcels
    of the site's new jobs where the site lies within reach_m (cycling minutes x metres per minute).

    The mean is pipeline.access.weighted_area_mean, as for jobs_bike_30 itself: an area with no parcel
    or no residents has a null jobs_bike_30 and a null change.
    """
    gained = (np.asarray(site_to_parcel_dist_m, dtype=float) <= reach_m) * np.asarray(new_jobs, dtype=float)[:, None]
    area_id = pd.Series(parcel_area_id, dtype=object)
    weights = pd.Series(np.asarray(residents, dtype=float))
    change = np.full((gained.shape[0], len(area_ids)), np.nan)
    for k in range(gained.shape[0]):  # one pass per site (a handful), vectorised over parcels
        change[k] = weighted_area_mean(gained[k], weights, area_id).reindex(list(area_ids)).to_numpy(dtype=float)
    return change


def development_table(
    sites: pd.DataFrame, site_area: pd.Series, areas_before: gpd.GeoDataFrame, afters: dict[str, pd.Series],
    jobs_change: np.ndarray, tenures: Sequence[str],
) -> gpd.GeoDataFrame:
    """One row per (site, area): before and after for every area, the site's area changed by its dwellings.

    areas_before holds areas_mix's columns plus jobs_bike_30; afters maps site_id to the receiving area's
    recomputed row; jobs_change is sites x areas (in the order of areas_before).
    """
    frames = []
    new_columns = [f"new_dwellings_{t}" for t in tenures]
    for k, site in enumerate(sites.itertuples(index=False)):  # one pass per site, vectorised over areas
        site_id = str(site.site_id)
        receiving = areas_before["area_id"].eq(site_area.iloc[k]).to_numpy() if pd.notna(site_area.iloc[k]) \
            else np.zeros(len(areas_before), dtype=bool)
        frame = _before_after(areas_before, receiving, afters.get(site_id))
        frame.insert(0, "site_name", str(site.name))
        frame.insert(0, "site_id", site_id)
        frame["new_dwellings"] = np.where(receiving, int(sum(getattr(site, c, 0) for c in new_columns)), 0)
        frame["new_jobs"] = np.where(receiving, int(getattr(site, "new_jobs", 0)), 0)
        frame["jobs_bike_30_after"] = frame["jobs_bike_30_before"] + jobs_change[k]
        frame["jobs_bike_30_change"] = jobs_change[k]
        frames.append(frame)
    table = pd.concat(frames, ignore_index=True)
    return gpd.GeoDataFrame(table, geometry="geometry", crs=areas_before.crs)


def _before_after(areas_before: gpd.GeoDataFrame, receiving: np.ndarray, after: pd.Series | None) -> pd.DataFrame:
    """Every area's before columns, with the receiving area's after columns from its recomputed row."""
    frame = pd.DataFrame({"area_id": areas_before["area_id"].to_numpy(), "area_name": areas_before["name"].to_numpy(),
                          "contains_site": receiving})
    for column in AREA_AFTER_COLUMNS:
        before = areas_before[column].reset_index(drop=True)
        changed = before.astype(object)
        if after is not None:
            changed[receiving] = after[column]
        frame[f"{column}_before"] = before
        frame[f"{column}_after"] = changed.astype(before.dtype)
    frame["share_social_family_change"] = frame["share_social_family_after"] - frame["share_social_family_before"]
    frame["jobs_bike_30_before"] = areas_before["jobs_bike_30"].to_numpy(dtype=float)
    frame["geometry"] = areas_before.geometry.to_numpy()
    return frame


def development_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per site the figures the objectives rank by (indexed by site_id, in table order)."""
    grouped = table.groupby("site_id", sort=False)
    omdannelse = table["status_before"].eq("omdannelse").fillna(False)
    fall = (-table["share_social_family_change"]).where(omdannelse, 0.0).fillna(0.0)
    return pd.DataFrame({
        "fall_share_social_family_omdannelse": fall.groupby(table["site_id"], sort=False).sum(),
        "mean_jobs_bike_30_change": grouped["jobs_bike_30_change"].mean(),
    })


def rank_development_sites(table: pd.DataFrame, objective: str) -> pd.Series:
    """The rank of each development site (indexed by site_id) by the configured objective."""
    summary = development_summary(table)
    return pd.Series(rank_candidates(summary, objective, DEVELOPMENT_OBJECTIVES), index=summary.index, name="rank")


# --- the stage: inputs, distances, outputs -------------------------------------------------------------------

def _network(config: Config, mode: str) -> tuple[Network | None, float, str]:
    """The street network of mode (None without streets), the detour factor and the distance method in words."""
    network = load_or_build_network(config, mode)
    detour = float(config["access"]["detour_factor"])
    return network, detour, f"{mode} network" if network is not None else f"straight line x {detour:g} (no streets layer)"


def _network_distances_m(
    config: Config, mode: str, origins: gpd.GeoSeries, destinations: gpd.GeoSeries
) -> tuple[np.ndarray, str]:
    """Origins x destinations in metres on the street network of mode (straight line x detour without one),
    and the method in words."""
    network, detour, method = _network(config, mode)
    if network is None:
        log.info("Scenarios used straight-line distance x %g (no streets layer)", detour)
    return od_distances_m(network, origins, destinations, detour_factor=detour), method


@step("nearest schools of each parcel")
def _school_pairs(
    config: Config, origins: gpd.GeoSeries, schools: gpd.GeoDataFrame, district_school: np.ndarray, allocate: Callable
) -> tuple[tuple, str]:
    """allocate(near) over each parcel's nearest schools on the network, the lists grown until the
    allocation equals the one over every school; and the distance method in words."""
    network, detour, method = _network(config, config["scenarios"]["school_network_mode"])
    chunk_size = int(config["access"].get("origin_chunk_size", DEFAULT_CHUNK_SIZE))
    k = NEAR_SCHOOLS_FIRST
    while True:
        near_m, near_school, own = k_nearest_m(network, origins, schools.geometry, k, detour_factor=detour,
                                               chunk_size=chunk_size, assigned=district_school)
        try:
            return allocate(NearSchools(near_m, near_school, len(schools), own)), method
        except MoreSchoolsNeeded:
            log.info("Scenarios widened each parcel's list of nearest schools from %d to %d", k, k * NEAR_SCHOOLS_GROWTH)
            k *= NEAR_SCHOOLS_GROWTH


def _check_site_ids(sites: pd.DataFrame, schools: pd.DataFrame, config: Config) -> None:
    """A school site's id becomes a school id and a scenario id: it must not repeat one of those."""
    clash = sites["site_id"].isin(schools["school_id"]) | sites["site_id"].eq(BASELINE_ID)
    if clash.any():
        raise InputError(Problem(
            "school sites have a site_id that is also a school_id (or 'baseline'), so the scenario table "
            "could not tell the new school from the old", "give the candidate sites ids of their own",
            file=layer_path(config, "candidate_sites"), layer="candidate_sites", column="site_id",
            ids=first_ids(sites.loc[clash, "site_id"]), count=int(clash.sum())))


def all_schools(schools: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, default_capacity: float) -> gpd.GeoDataFrame:
    """Today's schools then one new school per school site (id = site_id, at its representative point)."""
    capacity = pd.to_numeric(sites["capacity"]) if "capacity" in sites.columns else pd.Series(np.nan, index=sites.index)
    today_capacity = pd.to_numeric(schools["capacity"]) if "capacity" in schools.columns else np.nan
    today = pd.DataFrame({"school_id": schools["school_id"].astype("str").to_numpy(),
                          "school_name": schools["name"].astype("str").to_numpy(),
                          "capacity": np.asarray(today_capacity, dtype=float) * np.ones(len(schools)),
                          "geometry": schools.geometry.to_numpy()})
    new = pd.DataFrame({"school_id": sites["site_id"].astype("str").to_numpy(),
                        "school_name": sites["name"].astype("str").to_numpy(),
                        "capacity": capacity.fillna(float(default_capacity)).to_numpy(dtype=float),
                        "geometry": sites.geometry.representative_point().to_numpy()})
    return gpd.GeoDataFrame(pd.concat([today, new], ignore_index=True), geometry="geometry", crs=schools.crs)


def _udsat_or_worse(parcels: pd.DataFrame, areas_mix: pd.DataFrame) -> np.ndarray:
    """Whether each parcel lies in a housing area of status udsat, parallelsamfund or omdannelse."""
    status = parcels["area_id"].map(areas_mix.set_index("area_id")["status"])
    return status.isin(UDSAT_OR_WORSE).to_numpy(dtype=bool)


def _unlinked(parcels: pd.DataFrame, linked: pd.DataFrame) -> np.ndarray:
    """Per parcel -1 (no district school: the baseline takes its nearest school), warned when any has pupils."""
    outside = ~np.isin(np.arange(len(parcels)), linked["parcel"].to_numpy())
    if outside.any():
        warn(f"{int(outside.sum())} parcels with pupils lay in no school district with a known school; "
             "the baseline sent them to their nearest school")
    return np.full(len(parcels), -1, dtype=np.intp)


def school_outputs(
    config: Config, parcels: gpd.GeoDataFrame, areas_mix: pd.DataFrame, schools: gpd.GeoDataFrame,
    links: pd.DataFrame, sites: gpd.GeoDataFrame,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, dict]:
    """The school-site table, the catchments and the ranking figures, from parcels with area_id and district_id
    and the weighted district-school links (pipeline.schools.link_weights)."""
    settings = config["scenarios"]
    pupils_all = pd.to_numeric(parcels["children_6_16"]).fillna(0).to_numpy(dtype=float)
    with_pupils = parcels[pupils_all > 0].reset_index(drop=True)
    pupils = pupils_all[pupils_all > 0]
    table = all_schools(schools, sites, settings["default_new_school_capacity"])
    points = with_pupils.geometry.representative_point()
    scenarios = school_scenarios(table, sites)
    linked = linked_baseline(config, points, with_pupils["district_id"], pupils, links, table.iloc[:len(schools)])
    district_school = _unlinked(with_pupils, linked)

    def allocate(near: NearSchools) -> tuple:
        return scenario_pairs(
            scenarios, replace(near, district_pairs=linked), pupils, district_school, _udsat_or_worse(with_pupils, areas_mix),
            table["capacity"].to_numpy(dtype=float), honour_capacity=bool(settings["honour_capacity"]),
            free_transport_dist_m=float(config["access"]["free_transport_dist_m"]))

    (figures, allocations), method = _school_pairs(config, points, table, district_school, allocate)
    names = {s.scenario_id: s.scenario_name for s in scenarios}
    school = table.iloc[figures["school"].to_numpy()].reset_index(drop=True)
    figures = figures.assign(scenario_name=figures["scenario_id"].map(names), school_id=school["school_id"],
                             school_name=school["school_name"], geometry=school.geometry.to_numpy())
    ranks = rank_school_scenarios(figures, settings["school_objective"])
    figures["rank"] = figures["scenario_id"].map(ranks).astype("int64")
    out = gpd.GeoDataFrame(figures[SCHOOL_COLUMNS], geometry="geometry", crs=schools.crs)
    log.info("Scenarios allocated %d pupils of %d parcels to %d schools in %d scenarios",
             int(pupils.sum()), len(pupils), len(table), len(scenarios))
    ranking = {**school_ranking(out, settings), "distance_method": method}
    return out, catchments(allocations, with_pupils.geometry, table["school_id"].to_numpy()), ranking


def sites_outside(sites: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame, what: str) -> tuple[gpd.GeoDataFrame, list[dict]]:
    """The sites touching at least one polygon (a district, a housing area), and the others as not-ranked
    records with the reason, warned: a site outside every one would be measured against nothing (a new
    school 15 km away gets 0 pupils and a perfect score), so it gets no figures and no rank."""
    if len(sites) == 0:
        return sites, []
    inside = np.zeros(len(sites), dtype=bool)
    if len(polygons):
        hit, _ = shapely.STRtree(polygons.geometry.to_numpy()).query(sites.geometry.to_numpy(), predicate="intersects")
        inside[hit] = True
    outside = sites[~inside]
    reason = f"the site lies outside every {what}, so its figures would describe no one; it is not ranked"
    records = [{"site_id": str(i), "site_name": str(n), "reason": reason}
               for i, n in zip(outside["site_id"], outside["name"], strict=True)]
    if records:
        warn(f"{len(records)} candidate sites lie outside every {what} and were not ranked "
             f"(site_id {', '.join(r['site_id'] for r in records[:10])})")
    return sites[inside].reset_index(drop=True), records


def school_ranking(table: pd.DataFrame, settings: dict) -> dict:
    """scenarios_ranking.json's school part: each scenario's figures in rank order and the best candidate."""
    grouped = table.groupby("scenario_id", sort=False)
    rows = pd.DataFrame({
        "scenario_name": grouped["scenario_name"].first(),
        "rank": grouped["rank"].first(),
        "dissimilarity": grouped["dissimilarity"].first(),
        "schools_over_capacity": grouped["over_capacity"].sum(),
        "pupils_over_capacity": school_summary(table)["pupils_over_capacity"].astype("int64"),
        "pupils_gain_free_transport": grouped["pupils_gain_free_transport"].sum(),
        "pupils_lose_free_transport": grouped["pupils_lose_free_transport"].sum(),
    }).sort_values("rank").reset_index()
    records = rows.to_dict("records")
    candidates = [r for r in records if r["scenario_id"] != BASELINE_ID]
    baseline = next(r for r in records if r["scenario_id"] == BASELINE_ID)
    best = candidates[0] if candidates else None
    return {"objective": settings["school_objective"], "honour_capacity": bool(settings["honour_capacity"]),
            "best": best, "best_beats_baseline": bool(best and best["rank"] < baseline["rank"]),
            "baseline": baseline, "scenarios": records}


def development_outputs(
    config: Config, parcels: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, areas_mix: gpd.GeoDataFrame,
    areas_access: pd.DataFrame, sites: gpd.GeoDataFrame,
) -> tuple[gpd.GeoDataFrame, dict]:
    """The development table (every site x every area) and its ranking figures."""
    settings, access = config["scenarios"], config["access"]
    tenures = list(config["ingest"]["tenures"])
    mix_config = {**config["mix"], "tenures": tenures}
    counts = [f"new_dwellings_{t}" for t in tenures] + ["new_jobs"]
    sites = sites.assign(**{c: pd.to_numeric(sites[c]).fillna(0).astype("int64") if c in sites.columns else 0
                            for c in counts})
    site_area = locate_sites(sites, areas, float(settings["development_max_dist_m"]))
    lost = site_area.isna().to_numpy()
    if lost.any():
        warn(f"{int(lost.sum())} development sites lay in no housing area nor within "
             f"{settings['development_max_dist_m']} m of one (e.g. {', '.join(sites.loc[lost, 'site_id'].astype(str)[:5])}); "
             "their dwellings changed no area")
    afters = {}
    for site_id, area_id, site in zip(sites["site_id"].astype(str), site_area, sites.itertuples(index=False), strict=True):
        if pd.notna(area_id):  # one recomputation per site (a handful), each vectorised over the area's parcels
            new = {t: int(getattr(site, f"new_dwellings_{t}")) for t in tenures}
            afters[site_id] = development_effect(areas_mix, area_id, new, mix_config)
    before = areas_mix.merge(areas_access[["area_id", "jobs_bike_30"]], on="area_id", how="left")
    points = parcels.geometry.representative_point()
    dist_m, method = _network_distances_m(config, "bike", sites.geometry.representative_point(), points)
    change = jobs_bike_30_change(
        dist_m, sites["new_jobs"].to_numpy(), parcels["residents"].to_numpy(dtype=float),
        parcels["area_id"].to_numpy(dtype=object), before["area_id"].astype(str).tolist(),
        float(access["jobs_bike_minutes"]) * float(access["bike_m_per_min"]) + CUTOFF_EPS_M)
    table = development_table(sites, site_area, before, afters, change, tenures)
    located = set(sites.loc[~lost, "site_id"].astype(str))
    ranks = rank_development_sites(table[table["site_id"].isin(located)], settings["development_objective"])
    table["rank"] = table["site_id"].map(ranks).astype("Int64")  # a site in no area: no rank (null)
    log.info("Scenarios measured %d development sites against %d housing areas", len(sites), len(areas_mix))
    return table[DEVELOPMENT_COLUMNS], {**development_ranking(table, settings), "distance_method": method}


def development_ranking(table: pd.DataFrame, settings: dict) -> dict:
    """scenarios_ranking.json's development part: each site's figures in rank order and the best site."""
    summary = development_summary(table)
    receiving = table[table["contains_site"]].set_index("site_id")
    rows = summary.assign(
        site_name=table.groupby("site_id", sort=False)["site_name"].first(),
        rank=table.groupby("site_id", sort=False)["rank"].first(),
        area_id=receiving["area_id"], area_name=receiving["area_name"],
        status_before=receiving["status_before"], status_after=receiving["status_after"],
        share_social_family_before=receiving["share_social_family_before"],
        share_social_family_after=receiving["share_social_family_after"],
    ).sort_values("rank").reset_index()
    records = rows.astype(object).where(rows.notna(), None).to_dict("records")
    ranked = [r for r in records if r["rank"] is not None]
    reason = ("the site lies in no housing area nor within scenarios.development_max_dist_m of one, so its dwellings "
              "change no area; it is not ranked")
    not_ranked = [{"site_id": r["site_id"], "site_name": r["site_name"], "rank": None, "reason": reason}
                  for r in records if r["rank"] is None]
    return {"objective": settings["development_objective"], "best": ranked[0] if ranked else None, "sites": ranked,
            "not_ranked": not_ranked}


def _write(config: Config, schools_table, catchment_table, development, ranking: dict) -> list[Path]:
    """Write the stage's four files atomically."""
    return [
        datasets.write(config, "scenarios_school_sites", schools_table),
        datasets.write(config, "scenarios_school_catchments", catchment_table),
        datasets.write(config, "scenarios_development", development),
        datasets.write(config, "scenarios_ranking", ranking),
    ]


def _has_pupils(parcels: pd.DataFrame) -> bool:
    """Whether any parcel has children_6_16 above 0."""
    return "children_6_16" in parcels.columns and bool(pd.to_numeric(parcels["children_6_16"]).fillna(0).gt(0).any())


def run(config: Config) -> list[Path]:
    """Measure every candidate school site and development site against the baseline; write the tables."""
    started = time.perf_counter()
    crs = config.crs
    schools_table = empty_frame(SCHOOL_COLUMNS, crs)
    catchment_table = empty_frame(CATCHMENT_COLUMNS, crs)
    development = empty_frame(DEVELOPMENT_COLUMNS, crs)
    ranking: dict = {"school_sites": None, "development": None}
    if not has_layer(config, "candidate_sites"):
        log.info("Scenarios found no candidate_sites layer; wrote empty tables")
        return _write(config, schools_table, catchment_table, development, ranking)

    sites = read_layer(config, "candidate_sites")
    kinds = sites["kind"].astype(str).str.strip().str.lower().to_numpy()
    school_sites = sites[kinds == "school"].reset_index(drop=True)
    development_sites = sites[kinds == "development"].reset_index(drop=True)
    log.info("Scenarios started: %d school sites, %d development sites", len(school_sites), len(development_sites))
    areas = read_layer(config, "housing_areas")
    districts = read_layer(config, "school_districts") if has_layer(config, "school_districts") else None
    parcels = read_layer(config, "parcels_mix")
    parcels = parcels.sort_values("parcel_id", kind="stable").reset_index(drop=True)
    areas_mix = read_layer(config, "areas_mix")
    if len(school_sites) and not has_layer(config, "schools"):
        warn("there is no schools layer, so the school sites could not be measured against today's schools")
    elif len(school_sites) and not _has_pupils(parcels):
        warn("the parcels have no children_6_16 (or none above 0), so the school sites could not be measured")
    elif len(school_sites):
        schools = read_layer(config, "schools")
        _check_site_ids(school_sites, schools, config)
        links = link_weights(read_links(config, districts), schools)
        within, what = (districts, "school district") if districts is not None else (areas, "housing area")
        school_sites, not_ranked = sites_outside(school_sites, within, what)
        schools_table, catchment_table, ranking["school_sites"] = school_outputs(
            config, parcels, areas_mix, schools, links, school_sites)
        ranking["school_sites"]["not_ranked"] = [
            {"scenario_id": r["site_id"], "scenario_name": r["site_name"], "rank": None, "dissimilarity": None,
             "reason": r["reason"]} for r in not_ranked]
    if len(development_sites):
        development, ranking["development"] = development_outputs(
            config, parcels, areas, areas_mix, read_layer(config, "areas_access"), development_sites)
    outputs = _write(config, schools_table, catchment_table, development, ranking)
    log.info("Scenarios wrote %d school rows and %d development rows in %.1f s",
             len(schools_table), len(development), time.perf_counter() - started)
    return outputs
