"""The development sites' new jobs by public transport: the change in jobs_transit_45 of every housing area.

CONTRACT 6d, beside the change by bike (pipeline/scenarios/development.py): a site's new jobs count for a
parcel when the median travel time from the parcel to the site by walking and public transport (as access
measures it, pipeline.access.transit_minutes) is at most `transit.max_minutes`; an area's change is the
residents-weighted mean over its parcels, as jobs_transit_45 itself. Empty without a GTFS feed.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.access import Travel, transit_minutes
from pipeline.core import datasets
from pipeline.core.config import Config
from pipeline.scenarios.distances import _network, beyond_network

TRANSIT_CHANGE_COLUMNS = ("jobs_transit_45_before", "jobs_transit_45_after", "jobs_transit_45_change")


def sites_to_parcels_transit_minutes(config: Config, parcels: gpd.GeoDataFrame, sites: gpd.GeoDataFrame) -> np.ndarray | None:
    """Sites x parcels: the median minutes by walking and public transport from each parcel to each site (NaN
    for parcels beyond the walking network); None without a GTFS feed."""
    if not datasets.exists(config, "transit_stop_times"):
        return None
    network, detour, _ = _network(config, "walk")
    travel = Travel(network, network, detour)
    stops, stop_times = datasets.read(config, "transit_stops"), datasets.read(config, "transit_stop_times")
    origins = gpd.GeoSeries(parcels.geometry.representative_point().to_numpy(), crs=parcels.crs)
    minutes, here = transit_minutes(travel, origins, gpd.GeoSeries(sites.geometry.representative_point().to_numpy(),
                                                                    crs=sites.crs),
                                    stops, stop_times, config["access"], config["transit"])
    per_parcel = minutes[here.of_point] + (here.snap_m / float(config["access"]["walk_m_per_min"]))[:, None]
    far = beyond_network(config, "walk", parcels, "their residents are left out of the change in jobs_transit_45")
    per_parcel[far] = np.nan
    return per_parcel.T


def add_transit_change(table: pd.DataFrame, areas_access: pd.DataFrame, change: np.ndarray | None,
                       site_ids: list[str]) -> pd.DataFrame:
    """The development table with jobs_transit_45 before, after and its change (null without a feed)."""
    out = table.copy()
    before = (areas_access.set_index(areas_access["area_id"].astype(str))["jobs_transit_45"]
              if "jobs_transit_45" in areas_access else pd.Series(dtype=float))
    out["jobs_transit_45_before"] = out["area_id"].astype(str).map(before).astype(float)
    if change is None:
        out["jobs_transit_45_change"] = np.nan
    else:
        row = pd.Series(np.arange(len(site_ids)), index=site_ids)
        areas = out.groupby("site_id", sort=False).cumcount().to_numpy()
        out["jobs_transit_45_change"] = change[row[out["site_id"].astype(str)].to_numpy(), areas]
    out["jobs_transit_45_after"] = out["jobs_transit_45_before"] + out["jobs_transit_45_change"]
    return out
