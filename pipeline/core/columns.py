"""The columns the pipeline's datasets hold: the contract's tenures and counts of people, and the kind of
every column by its name (id, count, share, distance, money, ratio, text, flag, ...).

Standard library only, like pipeline/core/catalogue.py, which describes every dataset's columns with these kinds.
"""

from __future__ import annotations

import math

TENURES = ("social_family", "social_other", "owner", "private_rental", "cooperative")
TENURE_COUNTS = tuple(f"dwellings_{t}" for t in (*TENURES, "other"))
# The contract's counts of people (CONTRACT 2), the one list every stage uses: residents and the counts within them.
PERSON_SUBCOUNTS = (
    "residents_18_64", "outside_work_edu_18_64", "residents_30_59", "basic_edu_only_30_59", "residents_18plus",
    "convicted_18plus", "taxpayers_15_64", "non_western", "children_6_16",
)
PERSON_COUNTS = ("residents", *PERSON_SUBCOUNTS)

# The kind of every column by name (what the value is, not how a page formats it).
KINDS: dict[str, str] = {
    **dict.fromkeys(("area_id", "parcel_id", "district_id", "school_id", "site_id", "green_id", "street_id",
                     "station_id", "cell_id", "scenario_id", "closes_school_id", "school_ids", "run_id"), "id"),
    **dict.fromkeys(("name", "area_name", "site_name", "school_name", "scenario_name", "kind", "sector", "area_type",
                     "district", "criteria", "criteria_unknown", "prevention_criteria", "status", "status_reason",
                     "status_note", "deciding_unknown", "status_before", "status_after", "distance_method",
                     "data_note", "date", "scope"), "text"),
    **dict.fromkeys((*PERSON_COUNTS, *TENURE_COUNTS, "dwellings", "parcels", "pupils", "pupils_udsat_or_worse",
                     "school_pupils", "capacity", "jobs", "new_jobs", "criteria_met", "prevention_criteria_met",
                     "gap_add_dwellings", "gap_convert_dwellings", "gap_demolish_dwellings", "years_listed",
                     "jobs_walk_15", "jobs_bike_30", "pupils_gain_free_transport", "pupils_lose_free_transport",
                     "new_dwellings", "residents_1km", "rank", "schools_over_capacity", "pupils_over_capacity",
                     "mean_jobs_bike_30_change", "mean_jobs_transit_45_change"), "count"),
    **dict.fromkeys(("share", "share_other", "share_social", "tenure_diversity", "share_outside_work_edu",
                     "conviction_rate_18plus", "share_basic_edu", "share_non_western", "share_pupils_free_transport",
                     "share_residents_green_300", "canopy_share", "utilisation", "share_pupils_udsat_or_worse",
                     "fall_share_social_family_omdannelse",
                     *(f"share_{t}" for t in TENURES)), "share"),
    **dict.fromkeys(("school_dist_m", "nearest_school_dist_m", "green_dist_m", "station_dist_m", "mean_dist_m",
                     "p90_dist_m"), "distance"),
    **dict.fromkeys(("gross_income_sum_15_64", "mean_income_15_64_dkk"), "money"),
    **dict.fromkeys(("crime_ratio", "income_ratio", "job_access_gravity", "job_access_index", "dissimilarity"),
                    "ratio"),
    **dict.fromkeys(("c1_met", "c2_met", "c3_met", "c4_met", "is_social", "eligible", "meets_canopy_30", "public",
                     "walk", "bike", "free_transport", "green_within_300", "over_capacity", "contains_site", "ranked",
                     "suppressed"), "flag"),
    **dict.fromkeys(("green_m2_1km", "green_m2_per_resident_1km"), "area"),
    # mix: the path off the list and the history's rule set and thresholds
    **dict.fromkeys(("path_c1_persons", "path_c2_persons", "path_c3_persons", "path_persons"), "count"),
    "path_c4_income_dkk": "money",
    **dict.fromkeys(("path_criteria", "rule_set"), "text"),
    **dict.fromkeys(("c1_threshold", "c3_threshold", "non_western_threshold"), "share"),
    **dict.fromkeys(("c2_threshold", "c4_threshold"), "ratio"),
    # districting (CONTRACT 6b): plans of school districts, their units and summary
    **dict.fromkeys(("plan_id", "unit_id", "on_school_id", "from_school_id", "to_school_id"), "id"),
    "group_share": "share",
    **dict.fromkeys(("engine", "binding"), "text"),
    **dict.fromkeys(("group_pupils", "pupils_moved", "walk_breaches"), "count"),
    "d_index": "ratio",
    **dict.fromkeys(("contiguous", "proposal", "proved_optimal", "moved"), "flag"),
    # the rest of a year's rule set, and the rule that decided a status
    **dict.fromkeys(("prevention_c1_threshold", "prevention_c3_threshold", "prevention_non_western_threshold",
                     "rule_min_social_share"), "share"),
    **dict.fromkeys(("prevention_c2_threshold", "prevention_c4_threshold"), "ratio"),
    **dict.fromkeys(("rule_min_residents", "rule_min_criteria", "rule_omdannelse_years",
                     "rule_prevention_min_criteria"), "count"),
    **dict.fromkeys(("rule_from_year", "rule_to_year"), "year"),
    **dict.fromkeys(("rule_terms", "status_basis"), "text"),
    "rule_prevention_areas": "flag",
    "year": "year",
    "geometry": "geometry",
    # public transport (CONTRACT 6d): the GTFS feed's stops and times, and the figures by transit
    **dict.fromkeys(("stop_id", "trip_id", "stop"), "id"),
    **dict.fromkeys(("arrival_s", "departure_s"), "seconds"),
    "jobs_transit_45": "count",
    **dict.fromkeys(("job_access_transit_gravity", "job_access_transit_index"), "ratio"),
    # green structure (CONTRACT 6c): land-cover figures over an area and its ring, the nature_friendly scenario
    **dict.fromkeys(("share_natural_cover", "share_sealed", "share_natural_cover_ring", "share_sealed_ring"), "share"),
    **dict.fromkeys(("effective_mesh_size_ha", "effective_mesh_size_ha_ring", "lawn_to_meadow_m2"), "area"),
    "protected_nature_dist_m": "distance",
    "nature_friendly": "flag",
    "nature_id": "id",
    # --- the plan over time (CONTRACT 6a): plan_projects and the scenarios stage's plan_* tables ---
    **dict.fromkeys(("project_id", "origin_area_id"), "id"),
    **dict.fromkeys(("plan", "projects", "project_name", "origin_name", "status_with", "status_without",
                     "status_without_rehousing", "projection_note"), "text"),
    **dict.fromkeys((*(f"dwellings_change_{t}" for t in (*TENURES, "other")), "jobs_change", "residents_removed",
                     "rehoused_out", "rehoused_in", "criteria_met_with", "criteria_met_without",
                     "criteria_met_without_rehousing", "dwellings_changed", "gap_add_dwellings_with",
                     "gap_add_dwellings_without", "gap_add_dwellings_change", "residents_change"), "count"),
    **dict.fromkeys(("share_social_family_with", "share_social_family_without", "share_social_family_change",
                     "sum_of_project_changes"), "share"),
    **dict.fromkeys(("share_change_per_dwelling", "share_change_per_million_dkk", "gap_change_per_million_dkk"),
                    "ratio"),
    "cost_dkk": "money",
    **dict.fromkeys(("onto_list_by_rehousing", "own_area"), "flag"),
}
# Columns named by config or by a family: a prefix or suffix and the kind of every column with it.
KIND_PREFIXES = {"lq_": "ratio", "support_": "text", "new_dwellings_": "count", "share_social_family_": "share"}
KIND_SUFFIXES = {"_before": None, "_after": None, "_change": None, "_vs_baseline": None}  # the kind of the column they change

# The plausible range of every numeric value an input may give, in one place: ingest stops the run (exit 2)
# outside it, naming the rows and the likely slip. By kind first: shares and rates are fractions of their
# base, ratios multiples of the national or regional figure, money DKK a year, counts whole numbers.
KIND_RANGES: dict[str, tuple[float, float]] = {
    "share": (0.0, 1.0), "ratio": (0.0, math.inf), "money": (0.0, math.inf), "count": (0.0, math.inf),
}
# Then by column, where the kind's range lets slips through. A housing area's mean income is a fraction or a
# small multiple of the region's (the ministry's limit is 0.55); its conviction rate a multiple of the
# nation's (the limit is 3): 45 is a percentage. A mean gross income of 15-64-year-olds is neither a few
# hundred kroner (245.000 read with a decimal point) nor tens of millions.
COLUMN_RANGES: dict[str, tuple[float, float]] = {
    "income_ratio": (0.0, 5.0),
    "crime_ratio": (0.0, 20.0),
    "mean_income_15_64_dkk": (20_000.0, 5_000_000.0),
}


def plausible_range(column: str) -> tuple[float, float]:
    """The lowest and highest plausible value of a numeric input column (COLUMN_RANGES, else its kind's)."""
    if column in COLUMN_RANGES:
        return COLUMN_RANGES[column]
    return KIND_RANGES.get(kind_of(column), (-math.inf, math.inf))


def kind_of(column: str) -> str:
    """The kind of a column (id, count, share, distance, money, ratio, text, flag, area, year, geometry)."""
    if column in KINDS:
        return KINDS[column]
    for suffix in KIND_SUFFIXES:
        if column.endswith(suffix) and column.removesuffix(suffix) in KINDS:
            return KINDS[column.removesuffix(suffix)]
    for prefix, kind in KIND_PREFIXES.items():
        if column.startswith(prefix):
            return kind
    raise KeyError(f"the column '{column}' has no kind: add it to KINDS in pipeline/core/columns.py")
