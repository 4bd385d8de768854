"""Stage scenarios: candidate school sites and development sites measured against the baseline (CONTRACT 6).

School sites (schools.py). The baseline allocates pupils to today's schools by the same rule as every
candidate (allocation.py: the nearest open school with room when `scenarios.honour_capacity`, closest pupils
first); today's districts as drawn (each district's pupils at its district's schools) is a reference row,
shown and summarised but not ranked. Each candidate opens a new school at the site, closing
`closes_school_id` when given.

Development sites (development.py). A site's new dwellings join the housing area containing it (else the
nearest one within `scenarios.development_max_dist_m`); the area's mix, status and family housing gap are
recomputed with pipeline.mix, and every area's jobs_bike_30 gains the site's new_jobs within cycling reach
(and jobs_transit_45 those within reach by public transport where a GTFS feed was given: transit.py).

The plan over time (plan.py, CONTRACT 6a): the plan_projects layer applied year by year from the data's year
to `plan.horizon`, projected dwellings, residents, status and family housing gap per area and year, the
residents of removed social family dwellings rehoused, and each project's effect at the horizon.

The summaries per scenario and per site (ranking.py) are written as datasets; the ranks, scenarios_ranking.json
and the pages all come from them. Reading and writing happen here only. See docs/scenarios.md.

Its datasets, as the catalogue (pipeline/core/catalogue.py) declares them:
Reads: housing_areas, schools, school_districts, streets, candidate_sites, district_schools, plan_projects,
areas_mix, areas_mix_history, parcels_mix, areas_access, network, transit_stops, transit_stop_times.
Writes: scenarios_school_sites, scenarios_school_catchments, scenarios_school_summary, scenarios_development,
scenarios_development_summary, scenarios_ranking, districting_units, districting_plans, districting_summary,
districting_schools, districting_changes, districting_plans_gpkg, plan_trajectory, plan_rehousing,
plan_projects_effect.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.core import datasets
from pipeline.core.config import Config
from pipeline.core.errors import InputError
from pipeline.core.io import has_layer, read_layer
from pipeline.core.log import log, warn
from pipeline.mix import link_weights, read_links
from pipeline.scenarios._tables import (
    BASELINE_ID,
    BASELINE_NAME,
    CATCHMENT_COLUMNS,
    CATCHMENTS_FILE,
    DEVELOPMENT_COLUMNS,
    DEVELOPMENT_FILE,
    DEVELOPMENT_SUMMARY_COLUMNS,
    DEVELOPMENT_SUMMARY_FILE,
    DISTRICTS_ID,
    DISTRICTS_NAME,
    RANKING_FILE,
    SCHOOL_COLUMNS,
    SCHOOL_SUMMARY_COLUMNS,
    SCHOOL_SUMMARY_FILE,
    SCHOOLS_FILE,
    empty_frame,
    empty_table,
)
from pipeline.scenarios.allocation import (
    NEAR_SCHOOLS_FIRST,
    NEAR_SCHOOLS_GROWTH,
    MoreSchoolsNeeded,
    NearSchools,
    allocate_near,
    allocate_pupils,
    allocation_matrix,
    districts_as_drawn_pairs,
)
from pipeline.scenarios.development import (
    AREA_AFTER_COLUMNS,
    development_effect,
    development_outputs,
    development_table,
    jobs_bike_30_change,
    locate_sites,
)
from pipeline.scenarios.districting import Districting, districting, empty_districting
from pipeline.scenarios.plan import plan_outputs
from pipeline.scenarios.ranking import (
    DEVELOPMENT_OBJECTIVES,
    SCHOOL_OBJECTIVES,
    development_ranking,
    development_summary,
    mean_jobs_bike_30_change,
    rank_candidates,
    rank_development_sites,
    rank_school_scenarios,
    school_ranking,
    school_summary,
)
from pipeline.scenarios.schools import (
    SchoolScenario,
    all_schools,
    catchments,
    check_site_ids,
    scenario_pairs,
    school_dissimilarity,
    school_figures,
    school_outputs,
    school_scenarios,
)

__all__ = [
    "AREA_AFTER_COLUMNS", "BASELINE_ID", "BASELINE_NAME", "CATCHMENTS_FILE", "CATCHMENT_COLUMNS", "DEVELOPMENT_COLUMNS",
    "DEVELOPMENT_FILE", "DEVELOPMENT_OBJECTIVES", "DEVELOPMENT_SUMMARY_COLUMNS", "DEVELOPMENT_SUMMARY_FILE",
    "DISTRICTS_ID", "DISTRICTS_NAME", "Districting", "districting", "empty_districting", "write_districting", "NEAR_SCHOOLS_FIRST", "NEAR_SCHOOLS_GROWTH", "RANKING_FILE", "SCHOOLS_FILE",
    "SCHOOL_COLUMNS", "SCHOOL_OBJECTIVES", "SCHOOL_SUMMARY_COLUMNS", "SCHOOL_SUMMARY_FILE", "InputError",
    "MoreSchoolsNeeded", "NearSchools", "SchoolScenario", "all_schools", "allocate_near", "allocate_pupils",
    "allocation_matrix", "catchments", "development_effect", "development_ranking", "development_summary",
    "development_table", "districts_as_drawn_pairs", "empty_frame", "jobs_bike_30_change", "locate_sites",
    "mean_jobs_bike_30_change", "rank_candidates", "rank_development_sites", "rank_school_scenarios", "run",
    "scenario_pairs", "school_dissimilarity", "school_figures", "school_ranking", "school_scenarios",
    "school_summary", "sites_outside",
]


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



def _write(config: Config, schools_table, catchment_table, school_summary_table, development,
           development_summary_table, ranking: dict) -> list[Path]:
    """Write the stage's six files atomically (the one place the stage writes)."""
    return [
        datasets.write(config, "scenarios_school_sites", schools_table),
        datasets.write(config, "scenarios_school_catchments", catchment_table),
        datasets.write(config, "scenarios_school_summary", school_summary_table),
        datasets.write(config, "scenarios_development", development),
        datasets.write(config, "scenarios_development_summary", development_summary_table),
        datasets.write(config, "scenarios_ranking", ranking),
    ]


def write_districting(config: Config, result: Districting) -> list[Path]:
    """Write the districting's units, plans, summary, schools' mix and changes, and its district polygons as one
    GeoPackage layer per plan (atomically: a half-written GeoPackage never replaces the last one)."""
    written = [datasets.write(config, "districting_units", result.units),
               datasets.write(config, "districting_plans", result.plans),
               datasets.write(config, "districting_summary", result.summary),
               datasets.write(config, "districting_schools", result.schools),
               datasets.write(config, "districting_changes", result.changes)]
    target = datasets.output_path(config, "districting_plans_gpkg")
    layers = result.districts or {"current": gpd.GeoDataFrame(
        {"school_id": pd.Series(dtype=str)}, geometry=gpd.GeoSeries([], crs=config.crs))}
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".districting.") as folder:
        tmp = Path(folder) / target.name  # GDAL wants the .gpkg extension
        for plan_id, polygons in layers.items():
            polygons.to_file(tmp, layer=plan_id, driver="GPKG", engine="pyogrio")
        os.replace(tmp, target)
    return [*written, target]


def _districting(config: Config) -> Districting:
    """The districting proposals (CONTRACT 6b), or empty tables (logged) when they cannot be drawn."""
    if not config["districting"]["enabled"]:
        log.info("Districting is switched off (districting.enabled); wrote empty tables")
    elif not has_layer(config, "schools") or not has_layer(config, "school_districts"):
        log.info("Districting needs the schools and school_districts layers; wrote empty tables")
    elif not _has_pupils(parcels := read_layer(config, "parcels_mix")):
        log.info("Districting found no pupils (children_6_16); wrote empty tables")
    else:
        parcels = parcels.sort_values("parcel_id", kind="stable").reset_index(drop=True)
        districts = read_layer(config, "school_districts")
        areas_mix = read_layer(config, "areas_mix")
        schools = read_layer(config, "schools")
        links = link_weights(read_links(config, districts), schools)
        streets = read_layer(config, "streets") if has_layer(config, "streets") else None
        sites = read_layer(config, "candidate_sites") if has_layer(config, "candidate_sites") else None
        return districting(config, parcels, areas_mix, schools, links, districts, streets, sites)
    return empty_districting(config.crs)


def _has_pupils(parcels: pd.DataFrame) -> bool:
    """Whether any parcel has children_6_16 above 0."""
    return "children_6_16" in parcels.columns and bool(pd.to_numeric(parcels["children_6_16"]).fillna(0).gt(0).any())


def _not_ranked_schools(records: list[dict]) -> list[dict]:
    """School sites outside every district as the ranking json lists them."""
    return [{"scenario_id": r["site_id"], "scenario_name": r["site_name"], "rank": None, "dissimilarity": None,
             "reason": r["reason"]} for r in records]


def _plan(config: Config) -> list[Path]:
    """The plan over time (CONTRACT 6a, pipeline/scenarios/plan.py): its three tables, empty without a plan."""
    projects = read_layer(config, "plan_projects") if has_layer(config, "plan_projects") else None
    history = read_layer(config, "areas_mix_history") if projects is not None else None
    parcels = read_layer(config, "parcels_mix") if projects is not None else None
    tables = plan_outputs(config, projects, read_layer(config, "areas_mix"), parcels, history)
    return [datasets.write(config, name, table) for name, table in
            zip(("plan_trajectory", "plan_rehousing", "plan_projects_effect"), tables, strict=True)]


def run(config: Config) -> list[Path]:
    """Measure every candidate school site and development site against the baseline, project the plan over
    time; write the tables."""
    return _sites(config) + _plan(config)


def _sites(config: Config) -> list[Path]:
    """Measure every candidate school site and development site against the baseline; write the tables."""
    started = time.perf_counter()
    crs = config.crs
    schools_table, catchment_table = empty_frame(SCHOOL_COLUMNS, crs), empty_frame(CATCHMENT_COLUMNS, crs)
    development = empty_frame(DEVELOPMENT_COLUMNS, crs)
    school_summary_table = empty_table(SCHOOL_SUMMARY_COLUMNS)
    development_summary_table = empty_table(DEVELOPMENT_SUMMARY_COLUMNS)
    ranking: dict = {"school_sites": None, "development": None}
    if not has_layer(config, "candidate_sites"):
        log.info("Scenarios found no candidate_sites layer; wrote empty tables")
        return _write(config, schools_table, catchment_table, school_summary_table, development,
                      development_summary_table, ranking) + write_districting(config, _districting(config))

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
        check_site_ids(school_sites, schools, config)
        links = link_weights(read_links(config, districts), schools)
        within, what = (districts, "school district") if districts is not None else (areas, "housing area")
        school_sites, not_ranked = sites_outside(school_sites, within, what)
        schools_table, catchment_table, school_summary_table, ranking["school_sites"] = school_outputs(
            config, parcels, areas_mix, schools, links, school_sites)
        ranking["school_sites"]["not_ranked"] = _not_ranked_schools(not_ranked)
    if len(development_sites):
        development, development_summary_table, ranking["development"] = development_outputs(
            config, parcels, areas, areas_mix, read_layer(config, "areas_access"), development_sites)
    outputs = _write(config, schools_table, catchment_table, school_summary_table, development,
                     development_summary_table, ranking)
    outputs += write_districting(config, _districting(config))
    log.info("Scenarios wrote %d school rows and %d development rows in %.1f s",
             len(schools_table), len(development), time.perf_counter() - started)
    return outputs
