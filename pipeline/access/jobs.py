"""Jobs reachable from each parcel: within a travel time (cumulative) and the gravity sum, and its index."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.access.discs import PointsInDiscs
from pipeline.access.travel import Travel
from pipeline.core.progress import step
from pipeline.network import (
    CUTOFF_EPS_M,
    DEFAULT_CHUNK_SIZE,
    MAX_BLOCK_CELLS,
    Network,
    decayed_sum,
    point_xy,
    reachable_sum,
    snap,
)


def _straight_within(origin_xy: np.ndarray, target_xy: np.ndarray, weight: np.ndarray, reach_m: float) -> np.ndarray:
    """Summed weight of the targets within reach_m straight-line (inclusive) of each origin."""
    return PointsInDiscs.of(target_xy, weight, reach_m, CUTOFF_EPS_M).within(origin_xy)


@step("jobs within {minutes:g} min at {m_per_min:g} m/min")
def jobs_within_minutes(
    network: Network | None,
    origins: gpd.GeoSeries,
    job_points: gpd.GeoSeries,
    jobs: np.ndarray,
    *,
    minutes: float,
    m_per_min: float,
    detour_factor: float,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> np.ndarray:
    """Jobs reachable from each origin within the time (inclusive): sum of jobs_j where t_ij <= minutes."""
    jobs = np.asarray(jobs, dtype=float)
    cutoff_m = minutes * m_per_min
    if network is None:
        return _straight_within(point_xy(origins), point_xy(job_points), jobs, cutoff_m / detour_factor)
    origin_node, origin_snap = snap(network, origins)
    job_node, job_snap = snap(network, job_points)
    return reachable_sum(
        network, origin_node, job_node, jobs, cutoff_m=cutoff_m, source_offset_m=origin_snap, target_offset_m=job_snap,
        chunk_size=chunk_size,
    )


@step("gravity job access")
def job_access_gravity(
    network: Network | None,
    origins: gpd.GeoSeries,
    job_points: gpd.GeoSeries,
    jobs: np.ndarray,
    *,
    decay_per_m: float,
    detour_factor: float,
    limit_m: float = np.inf,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> np.ndarray:
    """Gravity job access: sum_j jobs_j exp(-decay_per_m d_ij) over the jobs with d_ij <= limit_m.

    decay_per_m is beta (per minute) / speed (m per minute), so the sum is sum_j jobs_j exp(-beta t_ij).
    On the network the limit applies to the distance between the snapped nodes; a job beyond it would
    count less than exp(-decay_per_m limit_m) of its weight.
    """
    jobs = np.asarray(jobs, dtype=float)
    if network is None:
        a, b = point_xy(origins), point_xy(job_points)
        out = np.zeros(len(a))
        step = max(1, MAX_BLOCK_CELLS // max(1, len(b)))
        for start in range(0, len(a), step):
            d = detour_factor * np.hypot(a[start:start + step, None, 0] - b[None, :, 0], a[start:start + step, None, 1] - b[None, :, 1])
            out[start:start + step] = np.where(d <= limit_m + CUTOFF_EPS_M, np.exp(-decay_per_m * d), 0.0) @ jobs
        return out
    origin_node, origin_snap = snap(network, origins)
    job_node, job_snap = snap(network, job_points)
    # exp(-b (s_o + d + s_j)) = exp(-b s_o) exp(-b d) exp(-b s_j): the snaps factor out of the sum.
    job_weight = jobs * np.exp(-decay_per_m * job_snap)
    at_nodes = decayed_sum(network, origin_node, job_node, job_weight, decay_per_m=decay_per_m, limit_m=limit_m,
                           chunk_size=chunk_size)
    return np.exp(-decay_per_m * origin_snap) * at_nodes


def job_access_index(gravity: pd.Series, residents: np.ndarray) -> np.ndarray:
    """Gravity job access as an index: 100 x value / the municipality's resident-weighted mean."""
    values = np.asarray(gravity, dtype=float)
    valid = ~np.isnan(values)
    total = residents[valid].sum()
    mean = (values[valid] * residents[valid]).sum() / total if total > 0 else np.nan
    if not mean > 0:
        return np.full(len(values), np.nan)
    return 100.0 * values / mean


def jobs_columns(travel: Travel, origins: gpd.GeoSeries, jobs: gpd.GeoDataFrame, settings: dict) -> dict:
    """jobs_walk_15, jobs_bike_30 and job_access_gravity per origin."""
    count = jobs["jobs"].fillna(0).to_numpy(dtype=float)
    common = {"job_points": jobs.geometry, "jobs": count, "detour_factor": travel.detour_factor,
              "chunk_size": int(settings["origin_chunk_size"])}
    return {
        "jobs_walk_15": jobs_within_minutes(
            travel.walk, origins, minutes=settings["jobs_walk_minutes"], m_per_min=settings["walk_m_per_min"], **common
        ),
        "jobs_bike_30": jobs_within_minutes(
            travel.bike, origins, minutes=settings["jobs_bike_minutes"], m_per_min=settings["bike_m_per_min"], **common
        ),
        "job_access_gravity": job_access_gravity(
            travel.bike, origins, decay_per_m=settings["gravity_beta_per_min"] / settings["bike_m_per_min"],
            limit_m=float(settings["gravity_max_minutes"]) * settings["bike_m_per_min"], **common
        ),
    }
