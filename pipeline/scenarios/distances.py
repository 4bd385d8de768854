"""Distances the scenarios measure: each parcel's nearest schools, its district's schools, and sites to parcels,
on the street network of a mode (straight line x access.detour_factor without streets)."""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.core.config import Config
from pipeline.core.errors import first_ids
from pipeline.core.io import layer_path
from pipeline.core.log import log, warn
from pipeline.core.progress import step
from pipeline.network import (
    DEFAULT_CHUNK_SIZE,
    Network,
    assigned_distance_m,
    k_nearest_m,
    load_network,
    od_distances_m,
)
from pipeline.network.coverage import Coverage
from pipeline.scenarios.allocation import (
    NEAR_SCHOOLS_FIRST,
    NEAR_SCHOOLS_GROWTH,
    MoreSchoolsNeeded,
    NearSchools,
)
from pipeline.sources.statistics import largest_remainder

# The routable networks this process built, by what they are built from: the stage asks for the same mode
# several times (coverage, district distances, nearest schools), and each build reads the cache and
# renumbers the graph. A changed streets file (size, modification time) or setting gives a new key.
_NETWORKS: dict[tuple, Network | None] = {}


def _network(config: Config, mode: str) -> tuple[Network | None, float, str]:
    """The street network of mode (None without streets), the detour factor and the distance method in words."""
    streets = layer_path(config, "streets")
    stat = streets.stat() if streets.exists() else None
    key = (str(streets), stat and (stat.st_size, stat.st_mtime_ns), config["access"]["snap_tolerance_m"], config.crs, mode)
    if key not in _NETWORKS:
        for other in [k for k in _NETWORKS if k[:-1] != key[:-1]]:  # keep one project's networks only
            del _NETWORKS[other]
        _NETWORKS[key] = load_network(config, mode)
    network = _NETWORKS[key]
    detour = float(config["access"]["detour_factor"])
    return network, detour, f"{mode} network" if network is not None else f"straight line x {detour:g} (no streets layer)"


def beyond_network(config: Config, mode: str, parcels: gpd.GeoDataFrame, consequence: str) -> np.ndarray:
    """Which parcels lie farther than access.max_snap_m from the mode's routable network (warned): their
    distances would rest on a long snap, so the scenarios leave them out, as access gives them null figures."""
    network, _, _ = _network(config, mode)
    far = Coverage(network, float(config["access"]["max_snap_m"])).beyond(parcels.geometry.representative_point())
    if far.any():
        ids = parcels.loc[far, "parcel_id"] if "parcel_id" in parcels.columns else pd.Series(np.flatnonzero(far))
        warn(f"{int(far.sum())} parcels lie farther than access.max_snap_m ({float(config['access']['max_snap_m']):g} m) "
             f"from the routable {mode} network (e.g. parcel_id {', '.join(map(str, first_ids(ids)))}); {consequence}")
    return far


def network_distances_m(
    config: Config, mode: str, origins: gpd.GeoSeries, destinations: gpd.GeoSeries
) -> tuple[np.ndarray, str]:
    """Origins x destinations in metres on the street network of mode (straight line x detour without one),
    and the method in words."""
    network, detour, method = _network(config, mode)
    if network is None:
        log.info("Scenarios used straight-line distance x %g (no streets layer)", detour)
    return od_distances_m(network, origins, destinations, detour_factor=detour), method


@step("nearest schools of each parcel")
def nearest_schools(
    config: Config, origins: gpd.GeoSeries, schools: gpd.GeoDataFrame, district_school: np.ndarray, allocate: Callable
) -> tuple[tuple, str]:
    """allocate(near) over each parcel's nearest schools on the network, the lists grown until the
    allocation equals the one over every school; and the distance method in words."""
    network, detour, method = _network(config, config["scenarios"]["school_network_mode"])
    chunk_size = int(config["access"].get("origin_chunk_size", DEFAULT_CHUNK_SIZE))
    k, found = NEAR_SCHOOLS_FIRST, None
    while True:
        if found is None or found[0].shape[1] < min(k, len(schools)):
            # one widening ahead: the first k of the longer lists are the k-lists (sorted by distance, then school
            # position), and a widening then reuses the searches instead of running them again
            found = k_nearest_m(network, origins, schools.geometry, k * NEAR_SCHOOLS_GROWTH, detour_factor=detour,
                                chunk_size=chunk_size, assigned=district_school)
        near_m, near_school, own = found[0][:, :k], found[1][:, :k], found[2]
        try:
            return allocate(NearSchools(near_m, near_school, len(schools), own)), method
        except MoreSchoolsNeeded:
            log.info("Scenarios widened each parcel's list of nearest schools from %d to %d", k, k * NEAR_SCHOOLS_GROWTH)
            k *= NEAR_SCHOOLS_GROWTH


def linked_district_pairs(
    config: Config, origins: gpd.GeoSeries, district_id: pd.Series, pupils: np.ndarray, links: pd.DataFrame,
    schools: gpd.GeoDataFrame,
) -> pd.DataFrame:
    """Today's districts as drawn for parcels in a district with known schools: each parcel's pupils split among
    its district's schools (district_schools weights, whole pupils by
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

