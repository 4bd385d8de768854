"""Stage access: distances, reachable jobs, green space and tree canopy per parcel and housing area (CONTRACT 5).

Origins are the parcels (their representative point). Distances run on the street network of the mode
(walking for schools, green areas and stations; walking and cycling for jobs), plus the straight snap
distance from each origin and destination to its nearest routable node. Without a streets layer each
distance is the straight-line distance times the detour factor, and `distance_method` says so.

An area's value is the mean over its parcels weighted by residents (children_6_16 for the school
figures). The formulas, in a planner's words, are in docs/accessibility.md.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from pipeline import datasets
from pipeline._log import log, warn
from pipeline._progress import fraction, step
from pipeline.config import Config
from pipeline.coverage import (
    Coverage,
    blank_beyond_network,
    check_parcels_covered,
    covered_layers,
    near_destinations,
)
from pipeline.io import has_layer, read_layer
from pipeline.network import (
    CUTOFF_EPS_M,
    DEFAULT_CHUNK_SIZE,
    MAX_BLOCK_CELLS,
    Network,
    assigned_distance_m,
    decayed_sum,
    load_or_build_network,
    nearest_distance_m,
    point_xy,
    reachable_sum,
    snap,
)
from pipeline.parallel import active_executor
from pipeline.schools import link_weights, read_links

AREAS_FILE = datasets.CATALOGUE["areas_access"].file
PARCELS_FILE = datasets.CATALOGUE["parcels_access"].file
SCHOOL_COLUMNS = ("school_dist_m", "nearest_school_dist_m", "share_pupils_free_transport")
CANOPY_COLUMNS = ("canopy_share", "meets_canopy_30")
AREA_COLUMNS = (
    *SCHOOL_COLUMNS, "jobs_walk_15", "jobs_bike_30", "job_access_gravity", "job_access_index", "green_dist_m",
    "share_residents_green_300", "green_m2_per_resident_1km", *CANOPY_COLUMNS, "station_dist_m",
)
# Per parcel, the two shares are yes/no flags; the area share is their weighted mean.
PARCEL_FLAG = {"share_pupils_free_transport": "free_transport", "share_residents_green_300": "green_within_300"}
BUFFER_QUAD_SEGS = 16


@dataclass(frozen=True)
class Travel:
    """How distances are measured: the walking and cycling networks, or straight lines times a detour factor."""

    walk: Network | None
    bike: Network | None
    detour_factor: float

    @property
    def method(self) -> str:
        """The `distance_method` written in every output."""
        return "network" if self.walk is not None else f"straight_line_x{self.detour_factor:g}"


# --- jobs ----------------------------------------------------------------------------------------------

def _straight_within(origin_xy: np.ndarray, target_xy: np.ndarray, weight: np.ndarray, reach_m: float) -> np.ndarray:
    """Summed weight of the targets within reach_m straight-line (inclusive) of each origin."""
    if len(target_xy) == 0 or len(origin_xy) == 0:
        return np.zeros(len(origin_xy))
    return _weight_within(origin_xy, cKDTree(target_xy), weight, reach_m)


def _weight_within(origin_xy: np.ndarray, tree: cKDTree, weight: np.ndarray, reach_m: float) -> np.ndarray:
    """Summed weight of the points of tree within reach_m straight-line (inclusive) of each origin."""
    out = np.zeros(len(origin_xy))
    step = max(1, MAX_BLOCK_CELLS // 4000)  # origins per block: ~20 M pairs at 4,000 targets in reach each
    for start in range(0, len(origin_xy), step):
        pairs = cKDTree(origin_xy[start:start + step]).sparse_distance_matrix(
            tree, reach_m + CUTOFF_EPS_M, output_type="ndarray"
        )
        pairs = pairs[pairs["v"] <= reach_m + CUTOFF_EPS_M]
        out[start:start + step] = np.bincount(pairs["i"], weights=weight[pairs["j"]], minlength=min(step, len(origin_xy) - start))
    return out


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


# --- green space ---------------------------------------------------------------------------------------

def public_green(green: gpd.GeoDataFrame) -> np.ndarray:
    """The public green areas dissolved into separate pieces (touching polygons form one piece)."""
    public = green["public"].fillna(True).astype(bool).to_numpy() if "public" in green.columns else np.ones(len(green), bool)
    polygons = green.geometry.to_numpy()[public]
    if len(polygons) == 0:
        return np.empty(0, dtype=object)
    return shapely.get_parts(shapely.union_all(polygons))


def green_access_points(pieces: np.ndarray, spacing_m: float) -> np.ndarray:
    """Access points along the boundary of each green piece: its vertices and points at most spacing_m apart."""
    if len(pieces) == 0:
        return np.empty(0, dtype=object)
    edges = shapely.segmentize(shapely.boundary(pieces), spacing_m)
    return shapely.points(np.unique(shapely.get_coordinates(edges), axis=0))


@step("distance to public green")
def green_dist_m(travel: Travel, origins: gpd.GeoSeries, pieces: np.ndarray, *, spacing_m: float,
                 cover: Coverage | None = None) -> np.ndarray:
    """Walking distance to the nearest green piece, reached at its nearest boundary access point; access points
    farther than access.max_snap_m from the network are left out (cover, pipeline/coverage.py)."""
    if len(pieces) == 0:
        return np.full(len(origins), np.nan)
    if travel.walk is None:
        return nearest_distance_m(None, origins, gpd.GeoSeries(pieces), detour_factor=travel.detour_factor)
    points = gpd.GeoSeries(green_access_points(pieces, spacing_m))
    points = near_destinations(cover, gpd.GeoDataFrame(geometry=points), "green access points", "point").geometry
    return nearest_distance_m(travel.walk, origins, points, detour_factor=travel.detour_factor)


def green_m2_within(origin_xy: np.ndarray, pieces: np.ndarray, radius_m: float) -> np.ndarray:
    """Public green area (m2) within radius_m straight-line of each origin: area of green inside the circle."""
    out = np.zeros(len(origin_xy))
    if len(pieces) == 0 or len(origin_xy) == 0:
        return out
    circles = shapely.buffer(shapely.points(origin_xy), radius_m, quad_segs=BUFFER_QUAD_SEGS)
    circle, piece = shapely.STRtree(pieces).query(circles, predicate="intersects")
    area = shapely.area(shapely.intersection(circles[circle], pieces[piece]))
    return np.bincount(circle, weights=area, minlength=len(origin_xy))


@step("public green within {radius_m:g} m per resident")
def green_m2_per_resident(
    origin_xy: np.ndarray, residents: np.ndarray, pieces: np.ndarray, radius_m: float, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> pd.DataFrame:
    """Green within radius_m of a parcel over the residents within radius_m of it (who share that green).

    Runs in chunks of origins (on the Dask cluster when the run has one), the green and the parcels sent once.
    """
    chunks = [origin_xy[start:start + chunk_size] for start in range(0, len(origin_xy), max(1, chunk_size))]
    tree = cKDTree(origin_xy) if len(origin_xy) else None
    found = active_executor().map_chunks(_green_chunk, chunks, pieces, tree, residents, radius_m)
    green_m2 = np.concatenate([f[0] for f in found]) if found else np.zeros(0)
    residents_near = np.concatenate([f[1] for f in found]) if found else np.zeros(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_resident = np.where(residents_near > 0, green_m2 / residents_near, np.nan)
    return pd.DataFrame({"green_m2_1km": green_m2, "residents_1km": residents_near, "green_m2_per_resident_1km": per_resident})


def _green_chunk(origin_xy: np.ndarray, pieces: np.ndarray, tree: cKDTree, residents: np.ndarray, radius_m: float):
    """Green area and residents within radius_m of one chunk of origins."""
    return green_m2_within(origin_xy, pieces, radius_m), _weight_within(origin_xy, tree, residents, radius_m)


# --- canopy --------------------------------------------------------------------------------------------

def canopy_share(canopy_path: Path | None, polygons: gpd.GeoDataFrame) -> np.ndarray:
    """Mean canopy fraction over each polygon, cells weighted by the share of them it covers (exactextract)."""
    out = np.full(len(polygons), np.nan)
    is_polygon = polygons.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if canopy_path is None or not is_polygon.any():
        return out
    from exactextract import exact_extract

    frame = gpd.GeoDataFrame({"row": np.flatnonzero(is_polygon)}, geometry=polygons.geometry.to_numpy()[is_polygon], crs=polygons.crs)
    result = exact_extract(
        str(canopy_path), frame, ["mean"], include_cols=["row"], output="pandas", strategy="raster-sequential", progress=fraction()
    )
    out[result["row"].to_numpy()] = result["mean"].to_numpy(dtype=float)
    return out


@step("canopy share (zonal statistics)")
def canopy_share_partitioned(canopy_path: Path | None, polygons: gpd.GeoDataFrame) -> np.ndarray:
    """canopy_share per polygon, run per spatial partition (on the Dask cluster when the run has one)."""
    if canopy_path is None or len(polygons) == 0:
        return np.full(len(polygons), np.nan)
    shapes = gpd.GeoDataFrame(geometry=polygons.geometry.to_numpy(), crs=polygons.crs)
    return active_executor().map_parcels(_canopy_frame, shapes, canopy_path)["canopy_share"].to_numpy(dtype=float)


def _canopy_frame(polygons: gpd.GeoDataFrame, canopy_path: Path) -> pd.DataFrame:
    """canopy_share of one partition of polygons, as a one-column frame."""
    return pd.DataFrame({"canopy_share": canopy_share(canopy_path, polygons)})


# --- schools and stations ------------------------------------------------------------------------------

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


# --- per parcel and per area ---------------------------------------------------------------------------

def _jobs_columns(travel: Travel, origins: gpd.GeoSeries, jobs: gpd.GeoDataFrame, settings: dict) -> dict:
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


def _flag(values: np.ndarray, test: np.ndarray) -> pd.array:
    """A yes/no flag per parcel, null where the value is unknown."""
    return pd.array(np.where(np.isnan(values), None, test), dtype="boolean")


def _green_columns(travel: Travel, origins: gpd.GeoSeries, residents: np.ndarray, green, settings: dict,
                   cover: Coverage | None = None) -> dict:
    """green_dist_m, green_within_300, green_m2_1km, residents_1km and green_m2_per_resident_1km per origin."""
    if green is None:
        nothing = np.full(len(origins), np.nan)
        return {"green_dist_m": nothing, "green_within_300": _flag(nothing, nothing > 0), "green_m2_1km": nothing,
                "residents_1km": nothing, "green_m2_per_resident_1km": nothing}
    pieces = public_green(green)
    large = pieces[shapely.area(pieces) >= settings["min_green_area_m2"]] if len(pieces) else pieces
    if len(large) == 0:
        warn(f"no public green area of at least {settings['min_green_area_m2']:,g} m2; green_dist_m is empty")
    dist = green_dist_m(travel, origins, large, spacing_m=settings["green_access_spacing_m"], cover=cover)
    columns = {"green_dist_m": dist,
               "green_within_300": _flag(dist, dist <= settings["green_near_m"] + CUTOFF_EPS_M)}
    per_resident = green_m2_per_resident(point_xy(origins), residents, pieces, settings["green_radius_m"],
                                         int(settings["origin_chunk_size"]))
    return {**columns, **{name: per_resident[name].to_numpy() for name in per_resident.columns}}


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
    out["free_transport"] = _flag(school_dist, school_dist > settings["free_transport_dist_m"])
    if layers.get("jobs") is not None:
        for name, values in _jobs_columns(travel, origins, layers["jobs"], settings).items():
            out[name] = values
    else:
        out["jobs_walk_15"], out["jobs_bike_30"], out["job_access_gravity"] = nothing, nothing, nothing
    out["job_access_index"] = job_access_index(out["job_access_gravity"], residents)
    for name, values in _green_columns(travel, origins, residents, layers.get("green_areas"), settings,
                                      layers.get("walk_cover")).items():
        out[name] = values
    out["canopy_share"] = canopy_share_partitioned(layers.get("canopy_path"), parcels)
    stations = layers.get("stations")
    out["station_dist_m"] = (
        nothing if stations is None
        else nearest_distance_m(travel.walk, origins, stations.geometry, detour_factor=travel.detour_factor)
    )
    out["distance_method"] = travel.method
    return gpd.GeoDataFrame(out, geometry=parcels.geometry.to_numpy(), crs=parcels.crs)


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column of frame, or all null when it is absent."""
    return frame[name] if name in frame.columns else pd.Series(np.nan, index=frame.index)


def job_access_index(gravity: pd.Series, residents: np.ndarray) -> np.ndarray:
    """Gravity job access as an index: 100 x value / the municipality's resident-weighted mean."""
    values = np.asarray(gravity, dtype=float)
    valid = ~np.isnan(values)
    total = residents[valid].sum()
    mean = (values[valid] * residents[valid]).sum() / total if total > 0 else np.nan
    if not mean > 0:
        return np.full(len(values), np.nan)
    return 100.0 * values / mean


def weighted_area_mean(values: pd.Series, weights: pd.Series, area_id: pd.Series) -> pd.Series:
    """Mean of the parcels' values per area weighted by weights; parcels with no value are left out; 0 weight -> null."""
    values = pd.Series(np.asarray(values, dtype=float), index=area_id.index)
    weights = pd.Series(np.asarray(weights, dtype=float), index=area_id.index).fillna(0.0)
    valid = values.notna() & area_id.notna()
    frame = pd.DataFrame({"area_id": area_id[valid], "num": (values * weights)[valid], "den": weights[valid]})
    sums = frame.groupby("area_id").sum()
    return (sums["num"] / sums["den"]).where(sums["den"] > 0)


def area_access(parcels: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, canopy_path: Path | None, settings: dict, method: str) -> gpd.GeoDataFrame:
    """The per-area figures: parcel values averaged with residents (children_6_16 for schools) as weights."""
    out = areas[[c for c in ("area_id", "name") if c in areas]].copy()
    area_id = parcels["area_id"]
    has_children = "children_6_16" in parcels.columns
    if not has_children:
        warn("parcels have no children_6_16 column; the school figures per housing area are empty")
    for column in AREA_COLUMNS:
        if column in CANOPY_COLUMNS:
            continue
        source = parcels[PARCEL_FLAG.get(column, column)].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        if column in SCHOOL_COLUMNS:
            if not has_children:
                out[column] = np.nan
                continue
            weights = parcels["children_6_16"]
        else:
            weights = _column(parcels, "residents")
        out[column] = out["area_id"].map(weighted_area_mean(source, weights, area_id)).astype(float).to_numpy()
    out["canopy_share"] = canopy_share_partitioned(canopy_path, areas)
    canopy = out["canopy_share"].to_numpy()
    out["meets_canopy_30"] = pd.array(np.where(np.isnan(canopy), None, canopy >= settings["canopy_target_share"]), dtype="boolean")
    out["distance_method"] = method
    ordered = ["area_id", *(["name"] if "name" in out else []), *AREA_COLUMNS, "distance_method"]
    return gpd.GeoDataFrame(out[ordered], geometry=areas.geometry.to_numpy(), crs=areas.crs)


# --- the stage -----------------------------------------------------------------------------------------

def _optional(config: Config, layer: str, columns: list[str] | None = None) -> gpd.GeoDataFrame | None:
    """An optional ingested layer, or None when ingest wrote none (logged: its figures are empty)."""
    if has_layer(config, layer):
        return read_layer(config, layer, columns=columns)
    log.info("Access found no %s layer; the figures that need it are empty", layer)
    return None


def _read_layers(config: Config) -> dict:
    """The layers this stage reads; the optional ones None when absent. The parcels (statistical units)
    with their area, district and counts come from mix's parcels_mix.parquet."""
    districts = _optional(config, "school_districts")
    schools = _optional(config, "schools", columns=["school_id"])
    return {
        "areas": read_layer(config, "housing_areas"),
        "parcels": read_layer(config, "parcels_mix"),
        "schools": schools,
        "links": link_weights(read_links(config, districts), schools),
        "jobs": _optional(config, "jobs", columns=["site_id", "jobs"]),
        "green_areas": _optional(config, "green_areas"),
        "stations": _optional(config, "stations", columns=["station_id"]),
        "canopy_path": datasets.input_path(config, "canopy") if has_layer(config, "canopy") else None,
    }


def _travel(config: Config) -> Travel:
    """The walking and cycling networks (cached), or the straight-line fallback when there are no streets."""
    settings = config["access"]
    walk, bike = load_or_build_network(config, "walk"), load_or_build_network(config, "bike")
    if walk is None:
        warn(f"there is no streets layer; distances are straight lines times {settings['detour_factor']:g} "
             "(distance_method straight_line)")
        datasets.output_path(config, "network").unlink(missing_ok=True)
    else:
        dropped = sorted(set(walk.dropped_street_ids) | set(bike.dropped_street_ids))
        if dropped:
            warn(f"{len(dropped)} streets were not connected to the main network and were left out of routing "
                 f"(e.g. street_id {', '.join(dropped[:10])})")
    return Travel(walk, bike, float(settings["detour_factor"]))


def run(config: Config) -> list[Path]:
    """Compute every CONTRACT 5 access figure per parcel and per housing area and write them."""
    started = time.perf_counter()
    settings = config["access"]
    layers = _read_layers(config)
    travel = _travel(config)
    walk_cover = Coverage(travel.walk, float(settings["max_snap_m"]))
    far_walk = check_parcels_covered(walk_cover, layers["parcels"], config)
    far_bike = Coverage(travel.bike, walk_cover.max_snap_m).beyond(layers["parcels"].geometry.representative_point())
    layers = {**covered_layers(walk_cover, layers), "walk_cover": walk_cover}
    parcels = parcel_access(travel, layers["parcels"], layers, settings)
    parcels = blank_beyond_network(parcels, far_walk, far_bike)
    if far_bike.any():  # the index's mean is over the parcels with a value
        parcels["job_access_index"] = job_access_index(parcels["job_access_gravity"],
                                                       pd.to_numeric(_column(layers["parcels"], "residents")).fillna(0).to_numpy(dtype=float))
    areas = area_access(parcels, layers["areas"], layers["canopy_path"], settings, travel.method)
    written = [
        datasets.write(config, "areas_access", areas),
        datasets.write(config, "parcels_access", parcels),
    ]
    if travel.walk is not None:
        written.append(datasets.output_path(config, "network"))
    log.info("Computed access for %d parcels and %d housing areas (%s) in %.1f s",
             len(parcels), len(areas), travel.method, time.perf_counter() - started)
    return written
