"""Development-site scenarios: each site's dwellings added to the housing area it joins (mix, status and family
housing gap recomputed by pipeline.mix), and its jobs to the jobs_bike_30 of every area. See docs/scenarios.md."""

from __future__ import annotations

from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.access import weighted_area_mean
from pipeline.core.config import Config
from pipeline.core.log import log, warn
from pipeline.mix import with_new_dwellings
from pipeline.network import CUTOFF_EPS_M
from pipeline.scenarios._tables import DEVELOPMENT_COLUMNS
from pipeline.scenarios.distances import beyond_network, network_distances_m
from pipeline.scenarios.ranking import (
    development_ranking,
    development_summary_in_rank_order,
    rank_development_sites,
)
from pipeline.scenarios.transit import add_transit_change, sites_to_parcels_transit_minutes

# Area columns the development table reports before and after.
AREA_AFTER_COLUMNS = ("status", "share_social_family", "gap_add_dwellings", "gap_convert_dwellings", "dwellings")


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
    dist = np.asarray(site_to_parcel_dist_m, dtype=float)
    # a parcel with no distance (beyond the network) has an unknown gain and is left out of its area's mean
    gained = np.where(np.isnan(dist), np.nan, (dist <= reach_m) * np.asarray(new_jobs, dtype=float)[:, None])
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
    table = add_transit_change(table, pd.DataFrame(), None, [])  # null until development_outputs measures it
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
    # the area's residents: its weight in the site's mean change in jobs_bike_30 (ranking.mean_jobs_bike_30_change)
    frame["residents"] = areas_before["residents"].to_numpy() if "residents" in areas_before else np.nan
    frame["jobs_bike_30_before"] = areas_before["jobs_bike_30"].to_numpy(dtype=float)
    frame["geometry"] = areas_before.geometry.to_numpy()
    return frame


def development_outputs(
    config: Config, parcels: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, areas_mix: gpd.GeoDataFrame,
    areas_access: pd.DataFrame, sites: gpd.GeoDataFrame,
) -> tuple[gpd.GeoDataFrame, pd.DataFrame, dict]:
    """The development table (every site x every area), the per-site summary and the ranking figures built from it."""
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
             f"{settings['development_max_dist_m']:g} m of one (e.g. {', '.join(sites.loc[lost, 'site_id'].astype(str)[:5])}); "
             "their dwellings changed no area")
    afters = {}
    for site_id, area_id, site in zip(sites["site_id"].astype(str), site_area, sites.itertuples(index=False), strict=True):
        if pd.notna(area_id):  # one recomputation per site (a handful), each vectorised over the area's parcels
            new = {t: int(getattr(site, f"new_dwellings_{t}")) for t in tenures}
            afters[site_id] = development_effect(areas_mix, area_id, new, mix_config)
    before = areas_mix.merge(areas_access[["area_id", "jobs_bike_30"]], on="area_id", how="left")
    points = parcels.geometry.representative_point()
    dist_m, method = network_distances_m(config, "bike", sites.geometry.representative_point(), points)
    dist_m[:, beyond_network(config, "bike", parcels, "their residents are left out of the change in jobs_bike_30")] = np.nan
    residents = (pd.to_numeric(parcels["residents"]).to_numpy(dtype=float, na_value=np.nan) if "residents" in parcels
                 else np.full(len(parcels), np.nan))
    area_ids = before["area_id"].astype(str).tolist()
    change = jobs_bike_30_change(
        dist_m, sites["new_jobs"].to_numpy(), residents, parcels["area_id"].to_numpy(dtype=object), area_ids,
        float(access["jobs_bike_minutes"]) * float(access["bike_m_per_min"]) + CUTOFF_EPS_M)
    table = development_table(sites, site_area, before, afters, change, tenures)
    # the same new jobs by public transport (CONTRACT 6d), where a GTFS feed was given
    by_transit = sites_to_parcels_transit_minutes(config, parcels, sites)
    transit_change = None if by_transit is None else jobs_bike_30_change(
        by_transit, sites["new_jobs"].to_numpy(), residents, parcels["area_id"].to_numpy(dtype=object), area_ids,
        float(config["transit"]["max_minutes"]) + 1e-9)
    table = add_transit_change(table, areas_access, transit_change, sites["site_id"].astype(str).tolist())
    located = set(sites.loc[~lost, "site_id"].astype(str))
    ranks = rank_development_sites(table[table["site_id"].isin(located)], settings["development_objective"])
    table["rank"] = table["site_id"].map(ranks).astype("Int64")  # a site in no area: no rank (null)
    log.info("Scenarios measured %d development sites against %d housing areas", len(sites), len(areas_mix))
    summary = development_summary_in_rank_order(table)
    return table[DEVELOPMENT_COLUMNS], summary, {**development_ranking(summary, settings), "distance_method": method}
