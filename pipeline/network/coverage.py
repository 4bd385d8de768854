"""Does the street network cover the parcels and the destinations? (CONTRACT 8: no silently wrong figure.)

Every network distance adds the straight snap from a point to its nearest routable node. A point farther
than `access.max_snap_m` from every routable street line is not served by the network in the data: a parcel on an island the
network does not reach (only the largest connected piece is routable), a school outside the streets'
extract, or every point when the streets layer is shifted or in the wrong CRS. Such a snap would put a
figure kilometres off without a word. So:
- parcels beyond it get null network figures (unknown, never a long snap), counted in a warning;
- when more than `access.max_far_share` of the parcels are beyond it, the streets layer itself is wrong
  (CRS or extent): the run stops with exit 2 naming it;
- destinations beyond it (schools, jobs, stations, green access points) are left out, with a warning.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
import shapely

from pipeline.core.config import Config
from pipeline.core.errors import InputError, Problem, first_ids
from pipeline.core.log import warn
from pipeline.network import Network, point_xy

# Per-parcel columns of pipeline.access measured on the walking network, and on the cycling network.
WALK_COLUMNS = ("school_dist_m", "nearest_school_dist_m", "free_transport", "jobs_walk_15", "green_dist_m",
                "green_within_300", "station_dist_m", "protected_nature_dist_m", "jobs_transit_45",
                "job_access_transit_gravity", "job_access_transit_index")
BIKE_COLUMNS = ("jobs_bike_30", "job_access_gravity", "job_access_index")


class Coverage:
    """The routable street lines of one network, to measure how far points lie from them (straight line)."""

    def __init__(self, network: Network | None, max_snap_m: float):
        self.network, self.max_snap_m = network, float(max_snap_m)
        self.tree = None
        if network is not None:
            edges = sp.triu(network.graph).tocoo()
            lines = shapely.linestrings(np.stack([network.node_xy[edges.row], network.node_xy[edges.col]], axis=1))
            self.tree = shapely.STRtree(lines)

    def distance_m(self, points) -> np.ndarray:
        """Straight-line distance from each point to the nearest routable street line."""
        geoms = shapely.points(point_xy(points))
        _, dist = self.tree.query_nearest(geoms, return_distance=True, all_matches=False)
        return np.asarray(dist, dtype=float)

    def beyond(self, points) -> np.ndarray:
        """Which points lie farther than max_snap_m from every routable street (none without a network)."""
        if self.tree is None or len(points) == 0:
            return np.zeros(len(points), dtype=bool)
        return self.distance_m(points) > self.max_snap_m


def _bounds(xy: np.ndarray) -> list[int]:
    return [round(v) for v in (*xy.min(axis=0), *xy.max(axis=0))] if len(xy) else []


def check_parcels_covered(cover: Coverage, parcels: gpd.GeoDataFrame, config: Config) -> np.ndarray:
    """The parcels beyond access.max_snap_m of the walking network (warned); InputError when most are."""
    max_snap_m, max_share = cover.max_snap_m, float(config["access"]["max_far_share"])
    origins = parcels.geometry.representative_point()
    far = cover.beyond(origins)
    if not far.any():
        return far
    ids = parcels.loc[far, "parcel_id"] if "parcel_id" in parcels.columns else pd.Series(np.flatnonzero(far))
    share = float(far.mean())
    if share > max_share:
        streets = config["sources"].get("streets") or {}
        raise InputError(Problem(
            f"{int(far.sum())} of {len(far)} parcels ({share:.0%}) lie farther than access.max_snap_m ({max_snap_m:g} m) "
            f"from the routable street network (streets span {_bounds(cover.network.node_xy)}, parcels "
            f"{_bounds(point_xy(origins))}, working CRS): the streets layer is likely in a wrong CRS, shifted, or "
            "an extract of another area",
            "check sources.streets (its CRS: sources.streets.crs or the file's .prj, and that it covers the "
            f"municipality); if the parcels really lie that far from every street, raise access.max_far_share "
            f"(now {max_share:g}) or access.max_snap_m", file=config.resolve(streets["path"]) if streets.get("path") else None,
            layer=streets.get("layer") or "streets", ids=first_ids(ids), count=int(far.sum())))
    warn(f"{int(far.sum())} parcels lie farther than access.max_snap_m ({max_snap_m:g} m) from the routable street "
         f"network (an island or an area the streets do not reach; e.g. parcel_id {', '.join(map(str, first_ids(ids)))}); "
         "their network figures are empty")
    return far


def near_destinations(cover: Coverage | None, frame: gpd.GeoDataFrame, what: str, id_column: str) -> gpd.GeoDataFrame:
    """The destinations within max_snap_m of the network; those beyond are left out with a warning."""
    if cover is None:
        return frame
    max_snap_m = cover.max_snap_m
    far = cover.beyond(frame.geometry)
    if far.any():
        ids = frame.loc[far, id_column] if id_column in frame.columns else pd.Series(np.flatnonzero(far))
        warn(f"{int(far.sum())} {what} lie farther than access.max_snap_m ({max_snap_m:g} m) from the routable street "
             f"network and were left out of the network figures (e.g. {id_column} {', '.join(map(str, first_ids(ids)))})")
    return frame[~far]


def covered_layers(cover: Coverage, layers: dict) -> dict:
    """The access layers with the destinations beyond the walking network left out (absent layers stay None);
    district-school links to a school left out are dropped too, so a district served only by such schools
    gets an empty school_dist_m instead of a long snap."""
    if cover.network is None:
        return layers
    out = dict(layers)
    for name, what, id_column in (("schools", "schools", "school_id"), ("jobs", "job sites", "site_id"),
                                  ("stations", "stations", "station_id")):
        if layers.get(name) is not None:
            out[name] = near_destinations(cover, layers[name], what, id_column)
    links = layers.get("links")
    if links is not None and out.get("schools") is not None:
        out["links"] = links[links["school_id"].astype(str).isin(set(out["schools"]["school_id"].astype(str)))]
    return out


def blank_beyond_network(parcels: pd.DataFrame, far_walk: np.ndarray, far_bike: np.ndarray) -> pd.DataFrame:
    """The per-parcel figures with the network columns of parcels beyond the network set to null."""
    out = parcels.copy()
    for columns, far in ((WALK_COLUMNS, far_walk), (BIKE_COLUMNS, far_bike)):
        if not far.any():
            continue
        for column in (c for c in columns if c in out.columns):
            if isinstance(out[column].dtype, pd.BooleanDtype):
                out.loc[far, column] = pd.NA
            else:
                out[column] = out[column].astype(float).where(~far)
    return out
