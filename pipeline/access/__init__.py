"""Stage access: distances, reachable jobs, green space and tree canopy per parcel and housing area (CONTRACT 5).

Origins are the parcels (their representative point). Distances run on the street network of the mode
(walking for schools, green areas and stations; walking and cycling for jobs), plus the straight snap
distance from each origin and destination to its nearest routable node. Without a streets layer each
distance is the straight-line distance times the detour factor, and `distance_method` says so.

An area's value is the mean over its parcels weighted by residents (children_6_16 for the school
figures). The formulas, in a planner's words, are in docs/accessibility.md.

One job per module: travel.py (the networks, or straight lines), jobs.py (jobs within a time and the gravity
sum), transit.py (jobs by public transport, CONTRACT 6d), green.py (green space and tree canopy), landcover.py
(land cover per area, the nature_friendly scenario, protected nature: CONTRACT 6c), areas.py (the figures per
parcel and per area, the school distances); this module reads the layers and writes the outputs (`run`).

Its datasets, as the catalogue (pipeline/core/catalogue.py) declares them:
Reads: housing_areas, schools, school_districts, jobs, green_areas, streets, stations, protected_nature,
district_schools, canopy, land_cover, parcels_mix, transit_stops, transit_stop_times.
Writes: areas_access, municipality_access, parcels_access, green_nature_friendly, network.
"""

import time
from pathlib import Path

import geopandas as gpd
import pandas as pd

from pipeline.access.areas import (
    AREA_COLUMNS,
    CANOPY_COLUMNS,
    PARCEL_FLAG,
    SCHOOL_COLUMNS,
    _column,
    area_access,
    municipality_access,
    parcel_access,
    school_distances,
    weighted_area_mean,
)
from pipeline.access.green import (
    canopy_share,
    canopy_share_partitioned,
    green_access_points,
    green_dist_m,
    green_m2_per_resident,
    green_m2_within,
    public_green,
)
from pipeline.access.jobs import job_access_gravity, job_access_index, jobs_within_minutes
from pipeline.access.landcover import (
    LANDCOVER_COLUMNS,
    NATURE_FRIENDLY_COLUMNS,
    area_landcover,
    landcover_figures,
    lawn_to_meadow,
    nature_friendly,
)
from pipeline.access.transit import TRANSIT_COLUMNS, parcel_transit, transit_columns, transit_minutes
from pipeline.access.travel import Travel, load_travel
from pipeline.core import datasets
from pipeline.core.config import Config
from pipeline.core.io import has_layer, read_layer
from pipeline.core.log import log
from pipeline.mix import link_weights, read_links
from pipeline.network.coverage import Coverage, blank_beyond_network, check_parcels_covered, covered_layers

AREAS_FILE = datasets.CATALOGUE["areas_access"].file
PARCELS_FILE = datasets.CATALOGUE["parcels_access"].file
__all__ = [
    "AREAS_FILE", "AREA_COLUMNS", "CANOPY_COLUMNS", "LANDCOVER_COLUMNS", "NATURE_FRIENDLY_COLUMNS", "PARCELS_FILE", "PARCEL_FLAG", "SCHOOL_COLUMNS", "Travel", "area_access", "municipality_access",
    "canopy_share", "canopy_share_partitioned", "green_access_points", "green_dist_m", "green_m2_per_resident",
    "green_m2_within", "job_access_gravity", "job_access_index", "jobs_within_minutes", "load_travel", "parcel_access",
    "public_green", "run", "school_distances", "weighted_area_mean", "TRANSIT_COLUMNS", "parcel_transit",
    "transit_columns", "transit_minutes",
    "green_m2_within", "area_landcover", "landcover_figures", "lawn_to_meadow", "nature_friendly", "job_access_gravity", "job_access_index", "jobs_within_minutes", "load_travel", "parcel_access",
    "public_green", "run", "school_distances", "weighted_area_mean",
]


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
        "timetable": ((datasets.read(config, "transit_stops"), datasets.read(config, "transit_stop_times"))
                      if datasets.exists(config, "transit_stop_times") else None),
        "protected_nature": _optional(config, "protected_nature"),
        "land_cover_path": datasets.input_path(config, "land_cover") if datasets.exists(config, "land_cover") else None,
    }


def run(config: Config) -> list[Path]:
    """Compute every CONTRACT 5 access figure per parcel and per housing area and write them."""
    started = time.perf_counter()
    settings = config["access"]
    layers = _read_layers(config)
    travel = load_travel(config)
    walk_cover = Coverage(travel.walk, float(settings["max_snap_m"]))
    far_walk = check_parcels_covered(walk_cover, layers["parcels"], config)
    far_bike = Coverage(travel.bike, walk_cover.max_snap_m).beyond(layers["parcels"].geometry.representative_point())
    layers = {**covered_layers(walk_cover, layers), "walk_cover": walk_cover}
    parcels = parcel_access(travel, layers["parcels"], layers, settings)
    residents = pd.to_numeric(_column(layers["parcels"], "residents")).fillna(0).to_numpy(dtype=float)
    for name, values in parcel_transit(travel, layers["parcels"], layers["jobs"], layers["timetable"], residents,
                                       settings, config["transit"]).items():
        parcels[name] = values
    parcels = blank_beyond_network(parcels, far_walk, far_bike)
    if far_bike.any():  # the index's mean is over the parcels with a value
        parcels["job_access_index"] = job_access_index(parcels["job_access_gravity"], residents)
    if far_walk.any():
        parcels["job_access_transit_index"] = job_access_index(parcels["job_access_transit_gravity"], residents)
    landcover = area_landcover(layers["land_cover_path"], layers["areas"], config["green"], config.crs)
    areas = area_access(parcels, layers["areas"], layers["canopy_path"], settings, travel.method, landcover)
    written = [
        datasets.write(config, "areas_access", areas),
        datasets.write(config, "parcels_access", parcels),
        datasets.write(config, "municipality_access", municipality_access(parcels, areas, landcover)),
    ]
    if layers["land_cover_path"] is not None:
        written.append(datasets.write(config, "green_nature_friendly", nature_friendly(
            layers["land_cover_path"], layers["areas"], landcover, config["green"], config.crs)))
    else:
        datasets.output_path(config, "green_nature_friendly").unlink(missing_ok=True)
    if travel.walk is not None:
        written.append(datasets.output_path(config, "network"))
    log.info("Computed access for %d parcels and %d housing areas (%s) in %.1f s",
             len(parcels), len(areas), travel.method, time.perf_counter() - started)
    return written
