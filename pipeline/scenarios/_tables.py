"""The stage's output tables: their files, columns and the ids of the two reference scenarios."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from pipeline.core import datasets

# The baseline: today's schools, pupils allocated under the same rule as every candidate (nearest school with
# room when scenarios.honour_capacity), so a candidate is never ranked against a baseline that ignores capacity.
# Today's districts as drawn: each district's pupils at its district's schools whatever their capacity. A
# reference row, shown and summarised but not ranked. Their names are declared in the catalogue, which pages read.
BASELINE_ID, DISTRICTS_ID = "baseline", "districts_as_drawn"
BASELINE_NAME = datasets.REFERENCE_SCENARIOS[BASELINE_ID]
DISTRICTS_NAME = datasets.REFERENCE_SCENARIOS[DISTRICTS_ID]
REFERENCE_IDS = (BASELINE_ID, DISTRICTS_ID)  # scenario ids a school site may not take

SCHOOL_COLUMNS = [
    "scenario_id", "scenario_name", "school_id", "school_name", "pupils", "capacity", "utilisation",
    "share_pupils_udsat_or_worse", "mean_dist_m", "p90_dist_m", "pupils_gain_free_transport",
    "pupils_lose_free_transport", "over_capacity", "dissimilarity", "rank", "geometry",
]
CATCHMENT_COLUMNS = ["scenario_id", "school_id", "pupils", "geometry"]
# One row per scenario: what the school-sites page and scenarios_ranking.json show (docs/scenarios.md).
SCHOOL_SUMMARY_COLUMNS = [
    "scenario_id", "scenario_name", "ranked", "rank", "pupils", "dissimilarity", "dissimilarity_vs_baseline",
    "mean_dist_m", "mean_dist_m_vs_baseline", "pupils_gain_free_transport", "pupils_lose_free_transport",
    "schools_over_capacity", "schools_over_capacity_vs_baseline", "pupils_over_capacity",
    "pupils_over_capacity_vs_baseline",
]
DEVELOPMENT_COLUMNS = [
    "site_id", "site_name", "area_id", "area_name", "contains_site", "status_before", "status_after",
    "share_social_family_before", "share_social_family_after", "share_social_family_change",
    "gap_add_dwellings_before", "gap_add_dwellings_after", "gap_convert_dwellings_before",
    "gap_convert_dwellings_after", "dwellings_before", "dwellings_after", "new_dwellings", "new_jobs", "residents",
    "jobs_bike_30_before", "jobs_bike_30_after", "jobs_bike_30_change",
    "jobs_transit_45_before", "jobs_transit_45_after", "jobs_transit_45_change",  # where a GTFS feed was given
    "rank", "geometry",
]
# One row per development site: the receiving area before and after, and the site's figures over all areas.
DEVELOPMENT_SUMMARY_COLUMNS = [
    "site_id", "site_name", "rank", "area_id", "area_name", "status_before", "status_after",
    "share_social_family_before", "share_social_family_after", "share_social_family_change",
    "gap_add_dwellings_before", "gap_add_dwellings_after", "gap_convert_dwellings_before",
    "gap_convert_dwellings_after", "dwellings_before", "dwellings_after", "new_dwellings", "new_jobs",
    "fall_share_social_family_omdannelse", "mean_jobs_bike_30_change", "mean_jobs_transit_45_change",
]

# Districting (CONTRACT 6b): the columns of its outputs (pipeline/scenarios/districting*.py).
DISTRICTING_UNIT_COLUMNS = ["unit_id", "pupils", "group_pupils", "school_id", "geometry"]
DISTRICTING_PLAN_COLUMNS = ["plan_id", "unit_id", "school_id", "from_school_id", "pupils", "group_pupils", "moved"]
DISTRICTING_SUMMARY_COLUMNS = [
    "plan_id", "site_id", "d_index", "mean_dist_m", "p90_dist_m", "pupils_moved", "pupils_over_capacity", "contiguous",
    "walk_breaches", "proposal", "engine", "proved_optimal", "binding",
]
# Per plan and school: before = today's districts, after = the plan (capacity as cut under a site on its ground).
DISTRICTING_SCHOOL_COLUMNS = [
    "plan_id", "site_id", "school_id", "school_name", "capacity", "pupils_before", "group_pupils_before",
    "group_share_before", "pupils_after", "group_pupils_after", "group_share_after",
]
# Per plan, housing area and pair of schools: the area's pupils whose unit changes school (each plan's rows sum to
# its pupils_moved; area_id null for pupils in no housing area).
DISTRICTING_CHANGE_COLUMNS = ["plan_id", "site_id", "area_id", "from_school_id", "to_school_id", "pupils",
                              "group_pupils"]

# The files, as the dataset catalogue names them (pipeline/core/catalogue.py).
SCHOOLS_FILE = datasets.CATALOGUE["scenarios_school_sites"].file
CATCHMENTS_FILE = datasets.CATALOGUE["scenarios_school_catchments"].file
SCHOOL_SUMMARY_FILE = datasets.CATALOGUE["scenarios_school_summary"].file
DEVELOPMENT_FILE = datasets.CATALOGUE["scenarios_development"].file
DEVELOPMENT_SUMMARY_FILE = datasets.CATALOGUE["scenarios_development_summary"].file
RANKING_FILE = datasets.CATALOGUE["scenarios_ranking"].file


def empty_frame(columns: list[str], crs) -> gpd.GeoDataFrame:
    """A table with the output's columns and no rows."""
    return gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in columns if c != "geometry"},
                            geometry=gpd.GeoSeries([], crs=crs))


def empty_table(columns: list[str]) -> pd.DataFrame:
    """A plain table (no geometry) with the summary's columns and no rows."""
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})
