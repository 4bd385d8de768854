"""Every access figure per parcel, and per housing area as the parcels' mean weighted by residents (children_6_16
for the school figures); the distances to the district's schools."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.access.green import canopy_share_partitioned, green_columns, known_flag
from pipeline.access.jobs import job_access_index, jobs_columns
from pipeline.access.landcover import LANDCOVER_COLUMNS, municipality_landcover, protected_nature_dist_m
from pipeline.access.transit import TRANSIT_COLUMNS
from pipeline.access.travel import Travel
from pipeline.core.log import warn
from pipeline.core.progress import step
from pipeline.network import DEFAULT_CHUNK_SIZE, assigned_distance_m, nearest_distance_m

SCHOOL_COLUMNS = ("school_dist_m", "nearest_school_dist_m", "share_pupils_free_transport")
CANOPY_COLUMNS = ("canopy_share", "meets_canopy_30")
AREA_COLUMNS = (
    *SCHOOL_COLUMNS, "jobs_walk_15", "jobs_bike_30", "job_access_gravity", "job_access_index", "green_dist_m",
    "share_residents_green_300", "green_m2_per_resident_1km", *CANOPY_COLUMNS, "station_dist_m",
    *TRANSIT_COLUMNS,
    # green structure (CONTRACT 6c): zonal figures of the land cover (not parcel means), and a walking distance
    *LANDCOVER_COLUMNS, "protected_nature_dist_m",
)
# Per parcel, the two shares are yes/no flags; the area share is their weighted mean.
PARCEL_FLAG = {"share_pupils_free_transport": "free_transport", "share_residents_green_300": "green_within_300"}


@step("distance to schools")
def school_distances(
    travel: Travel, origins: gpd.GeoSeries, district_id: pd.Series, links: pd.DataFrame, schools: gpd.GeoDataFrame,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> tuple[np.ndarray, np.ndarray]:
    """Walking distance to the nearest of the schools of the parcel's district (district_schools), and to
    the nearest school of all (m); null where the district has no known school."""
    if len(schools) == 0:
        return np.full(len(origins), np.nan), np.full(len(origins), np.nan)
    position = pd.Series(np.arange(len(schools)), index=schools["school_id"].astype(str).to_numpy())
    position = position[~position.index.duplicated(keep="first")]
    parcels = pd.DataFrame({"origin": np.arange(len(origins)), "district_id": district_id.astype("str").to_numpy()})
    pairs = parcels.merge(links[["district_id", "school_id"]].astype("str"), on="district_id", how="inner")
    pairs["school"] = pairs["school_id"].map(position)
    pairs = pairs.dropna(subset=["school"])
    unknown = district_id.notna().to_numpy() & ~np.isin(np.arange(len(origins)), pairs["origin"].to_numpy())
    if unknown.any():
        warn(f"{int(unknown.sum())} parcels lay in a district with no known school "
             f"(e.g. district {', '.join(sorted(set(district_id[unknown].astype(str)))[:5])}); their school_dist_m is empty")
    pair_origins = gpd.GeoSeries(origins.to_numpy()[pairs["origin"].to_numpy()], crs=origins.crs)
    pair_dist = assigned_distance_m(travel.walk, pair_origins, schools.geometry, pairs["school"].to_numpy(dtype=np.intp),
                                    detour_factor=travel.detour_factor, chunk_size=chunk_size)
    own = pd.Series(pair_dist).groupby(pairs["origin"].to_numpy()).min().reindex(range(len(origins))).to_numpy(dtype=float)
    nearest = nearest_distance_m(travel.walk, origins, schools.geometry, detour_factor=travel.detour_factor)
    return own, nearest


def parcel_access(travel: Travel, parcels: gpd.GeoDataFrame, layers: dict, settings: dict) -> gpd.GeoDataFrame:
    """Every access figure per parcel (parcels must carry area_id and district_id); a figure whose layer is
    absent (None in layers) is null."""
    origins = gpd.GeoSeries(parcels.geometry.representative_point().to_numpy(), crs=parcels.crs)
    residents = pd.to_numeric(_column(parcels, "residents")).fillna(0).to_numpy(dtype=float)
    out = parcels[[c for c in ("parcel_id", "area_id", "district_id", "residents", "children_6_16") if c in parcels]].copy()
    chunk_size = int(settings["origin_chunk_size"])
    nothing = np.full(len(parcels), np.nan)
    school_dist, nearest_school = nothing, nothing
    if layers.get("schools") is not None:
        school_dist, nearest_school = school_distances(
            travel, origins, parcels["district_id"], layers["links"], layers["schools"], chunk_size)
    out["school_dist_m"] = school_dist
    out["nearest_school_dist_m"] = nearest_school
    out["free_transport"] = known_flag(school_dist, school_dist > settings["free_transport_dist_m"])
    if layers.get("jobs") is not None:
        for name, values in jobs_columns(travel, origins, layers["jobs"], settings).items():
            out[name] = values
    else:
        out["jobs_walk_15"], out["jobs_bike_30"], out["job_access_gravity"] = nothing, nothing, nothing
    out["job_access_index"] = job_access_index(out["job_access_gravity"], residents)
    for name, values in green_columns(travel, origins, residents, layers.get("green_areas"), settings,
                                      layers.get("walk_cover")).items():
        out[name] = values
    out["canopy_share"] = canopy_share_partitioned(layers.get("canopy_path"), parcels)
    stations = layers.get("stations")
    out["station_dist_m"] = (
        nothing if stations is None
        else nearest_distance_m(travel.walk, origins, stations.geometry, detour_factor=travel.detour_factor)
    )
    out["protected_nature_dist_m"] = protected_nature_dist_m(
        travel, origins, layers.get("protected_nature"), spacing_m=settings["green_access_spacing_m"],
        cover=layers.get("walk_cover"))
    out["distance_method"] = travel.method
    return gpd.GeoDataFrame(out, geometry=parcels.geometry.to_numpy(), crs=parcels.crs)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column of frame, or all null when it is absent."""
    return frame[name] if name in frame.columns else pd.Series(np.nan, index=frame.index)


def parcel_values(parcels: pd.DataFrame, column: str) -> np.ndarray:
    """The parcels' values behind an area figure (a flag such as green_within_300 for a share), unknown as NaN
    (all NaN when the parcels lack the column, e.g. the figures by transit of parcels computed before them)."""
    return _column(parcels, PARCEL_FLAG.get(column, column)).astype("Float64").to_numpy(dtype=float, na_value=np.nan)


def parcel_weights(parcels: pd.DataFrame, column: str) -> pd.Series:
    """What weighs a parcel in an area figure: its children 6-16 for the school figures, else its residents."""
    return _column(parcels, "children_6_16" if column in SCHOOL_COLUMNS else "residents")


def weighted_area_mean(values: pd.Series, weights: pd.Series, area_id: pd.Series) -> pd.Series:
    """Mean of the parcels' values per area weighted by weights; parcels with no value are left out; 0 weight -> null."""
    values = pd.Series(np.asarray(values, dtype=float), index=area_id.index)
    weights = pd.Series(np.asarray(weights, dtype=float), index=area_id.index).fillna(0.0)
    valid = values.notna() & area_id.notna()
    frame = pd.DataFrame({"area_id": area_id[valid], "num": (values * weights)[valid], "den": weights[valid]})
    sums = frame.groupby("area_id").sum()
    return (sums["num"] / sums["den"]).where(sums["den"] > 0)


def area_access(parcels: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, canopy_path: Path | None, settings: dict, method: str,
                landcover: pd.DataFrame | None = None) -> gpd.GeoDataFrame:
    """The per-area figures: parcel values averaged with residents (children_6_16 for schools) as weights;
    the land-cover figures as computed per area (landcover, indexed like areas; null without it)."""
    out = areas[[c for c in ("area_id", "name") if c in areas]].copy()
    area_id = parcels["area_id"]
    has_children = "children_6_16" in parcels.columns
    if not has_children:
        warn("parcels have no children_6_16 column; the school figures per housing area are empty")
    for column in AREA_COLUMNS:
        if column in CANOPY_COLUMNS:
            continue
        if column in LANDCOVER_COLUMNS:
            out[column] = landcover[column].to_numpy(dtype=float) if landcover is not None else np.nan
            continue
        if column in SCHOOL_COLUMNS and not has_children:
            out[column] = np.nan
            continue
        means = weighted_area_mean(parcel_values(parcels, column), parcel_weights(parcels, column), area_id)
        out[column] = out["area_id"].map(means).astype(float).to_numpy()
    out["canopy_share"] = canopy_share_partitioned(canopy_path, areas)
    canopy = out["canopy_share"].to_numpy()
    out["meets_canopy_30"] = pd.array(np.where(np.isnan(canopy), None, canopy >= settings["canopy_target_share"]), dtype="boolean")
    out["distance_method"] = method
    ordered = ["area_id", *(["name"] if "name" in out else []), *AREA_COLUMNS, "distance_method"]
    return gpd.GeoDataFrame(out[ordered], geometry=areas.geometry.to_numpy(), crs=areas.crs)


MUNICIPALITY = "municipality"


def municipality_access(parcels: gpd.GeoDataFrame, areas: gpd.GeoDataFrame,
                        landcover: pd.DataFrame | None = None) -> pd.DataFrame:
    """The municipality's average of each area figure: every parcel's value weighted as the areas' are.

    Residents (children_6_16 for the school figures) weight every parcel of the municipality, inside a
    housing area or not; the canopy share is the housing areas' shares weighted by their surface (the share
    of all housing areas' ground under canopy), the land-cover figures the areas' zones weighted by their valid
    ground (pipeline/access/landcover.py, `municipality_landcover`). One row, scope "municipality"; a figure no
    parcel has is null.
    """
    everywhere = pd.Series(MUNICIPALITY, index=parcels.index)
    out = {"scope": [MUNICIPALITY]}
    pooled = municipality_landcover(landcover) if landcover is not None else {}
    for column in AREA_COLUMNS:
        if column in CANOPY_COLUMNS:
            continue
        if column in LANDCOVER_COLUMNS:
            out[column] = [pooled.get(column, np.nan)]
            continue
        means = weighted_area_mean(parcel_values(parcels, column), parcel_weights(parcels, column), everywhere)
        out[column] = [means.get(MUNICIPALITY, np.nan)]
    share = pd.to_numeric(areas["canopy_share"], errors="coerce") if "canopy_share" in areas else pd.Series(dtype=float)
    surface = areas.geometry.area[share.notna()] if len(share) else share
    out["canopy_share"] = [float((share[share.notna()] * surface).sum() / surface.sum()) if surface.sum() > 0 else np.nan]
    return pd.DataFrame(out)
