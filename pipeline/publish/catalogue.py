"""What the published pages and tables say about each column: label, unit, format, privacy, colours.

This is the ONE place where every published column (pages, popups, areas.csv, areas.gpkg, any export) is
classified (CONTRACT 7): `person=True` marks a figure that counts people or is computed from counts of
people (residents, pupils, incomes, convictions, shares and distances weighted by residents, the status
they decide); it is suppressed for an area, district or school with fewer residents (pupils) than
privacy.min_residents. Everything else (dwellings, capacities, ids, names, provenance) is shown as is.

A column that is in no entry and matches no pattern (PATTERNS) is an error at publish (`UnclassifiedColumn`),
never a default: a new column cannot leak by being forgotten. To publish a new column, add it to INDICATORS
below with person=True or False. The list is documented in docs/publishing.md.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.core.columns import TENURES
from pipeline.core.errors import PipelineError
from pipeline.publish.catalogue_scenarios import SCENARIO_INDICATORS
from pipeline.publish.indicator import Indicator, _share

INDICATORS: dict[str, Indicator] = {
    "name": Indicator("Name", "text"),
    "residents": Indicator("Residents", "count", person=True),
    "dwellings": Indicator("Dwellings", "count"),
    **{f"share_{t}": _share(f"Share {t.replace('_', ' ')} dwellings", better="neither") for t in TENURES},
    "tenure_diversity": Indicator("Tenure diversity (0 one tenure, 1 even mix)", "ratio", better="higher"),
    "share_outside_work_edu": _share("c1 Residents 18-64 outside work or education", person=True, better="lower"),
    "crime_ratio": Indicator("c2 Convicted residents 18+, times the national rate", "ratio", person=True,
                             unit="times the national rate", better="lower"),
    "share_basic_edu": _share("c3 Residents 30-59 with basic schooling only", person=True, better="lower"),
    "income_ratio": Indicator("c4 Mean gross income of taxpayers 15-64, share of the region's mean", "share",
                              person=True, unit="% of the regional mean", better="higher"),
    **{f"c{i}_met": Indicator(f"c{i} met", "flag", person=True) for i in range(1, 5)},
    "criteria_met": Indicator("Criteria met (of 4)", "count", person=True),
    "criteria": Indicator("Criteria met", "text", person=True),
    "share_non_western": _share("Immigrants and descendants from non-Western countries", person=True, better="neither"),
    "status": Indicator("Status (indicative)", "text", person=True),
    "status_reason": Indicator("Why this status", "text", person=True),
    "deciding_unknown": Indicator("Unknown inputs that could change the status", "text", person=True),
    **{f"support_{k}": Indicator(f"Source of {k.replace('_', ' ')} figures", "text")
       for k in ("residents", "dwellings", "c1", "c2", "c3", "c4", "non_western")},
    "gap_add_dwellings": Indicator("Surplus above the cap, alternative 1: new dwellings of other tenures", "count"),
    "gap_convert_dwellings": Indicator("Surplus above the cap, alternative 2: social family dwellings converted",
                                       "count"),
    "gap_demolish_dwellings": Indicator("Surplus above the cap, alternative 3: social family dwellings demolished",
                                        "count"),
    # the path off the list (pipeline/mix/rules.py): counts of people and what they earn, so person-based
    "path_c1_persons": Indicator("c1 path: more residents 18-64 in work or education", "count", person=True),
    "path_c2_persons": Indicator("c2 path: fewer convicted residents 18+", "count", person=True),
    "path_c3_persons": Indicator("c3 path: fewer residents 30-59 with basic schooling only", "count", person=True),
    "path_c4_income_dkk": Indicator("c4 path: more mean income per taxpayer 15-64 (DKK)", "number", person=True),
    "path_criteria": Indicator("Smallest combination of criteria off the list", "text", person=True),
    "path_persons": Indicator("Persons in the smallest combination off the list", "count", person=True),
    # areas_mix_history: the rule set of a year and its thresholds (the law's, not people's)
    "rule_set": Indicator("Rules applied that year", "text"),
    "c1_threshold": _share("c1 threshold"),
    "c2_threshold": Indicator("c2 threshold (x national rate)", "ratio"),
    "c3_threshold": _share("c3 threshold"),
    "c4_threshold": _share("c4 threshold (share of the regional mean)"),
    "non_western_threshold": _share("Non-Western threshold of parallelsamfund"),
    "school_dist_m": Indicator("Distance to district school", "metres", person=True, better="lower"),
    "nearest_school_dist_m": Indicator("Distance to nearest school", "metres", person=True, better="lower"),
    "share_pupils_free_transport": _share("Pupils beyond the free school transport distance", person=True,
                                          better="lower"),
    "jobs_walk_15": Indicator("Jobs within 15 min walk", "count", person=True, unit="number of jobs", better="higher"),
    "jobs_bike_30": Indicator("Jobs within 30 min by bike", "count", person=True, unit="number of jobs", better="higher"),
    "job_access_gravity": Indicator("Job access (gravity)", "number", person=True, unit="jobs weighted by travel time", better="higher"),
    "job_access_index": Indicator("Job access index (mean = 100)", "number", person=True, better="higher"),
    "green_dist_m": Indicator("Distance to a public green area", "metres", person=True, better="lower"),
    "share_residents_green_300": _share("Residents within 300 m of green", person=True, better="higher"),
    "green_m2_per_resident_1km": Indicator("Green m² per resident within 1 km", "number", person=True, unit="m² per resident", better="higher"),
    "canopy_share": _share("Tree canopy share", palette="YlGn", better="higher"),
    "meets_canopy_30": Indicator("Canopy at least 30 %", "flag"),
    "station_dist_m": Indicator("Distance to a station", "metres", person=True, better="lower"),
    # public transport (CONTRACT 6d): median travel time over the morning window, walking, bus and train
    "jobs_transit_45": Indicator("Jobs within 45 min by bus and train", "count", person=True, unit="number of jobs", better="higher"),
    "job_access_transit_gravity": Indicator("Job access by bus and train (gravity)", "number", person=True, unit="jobs weighted by travel time", better="higher"),
    "job_access_transit_index": Indicator("Job access index by bus and train (mean = 100)", "number", person=True, better="higher"),
    # green structure (CONTRACT 6c): land, not people, except the distance weighted by residents
    "share_natural_cover": _share("Natural cover (nature, meadow, trees)", palette="YlGn", better="higher"),
    "share_sealed": _share("Sealed ground", palette="YlOrRd", better="lower"),
    "effective_mesh_size_ha": Indicator("Connected habitat (effective mesh size)", "number", unit="ha", better="higher"),
    "share_natural_cover_ring": _share("Natural cover in the surroundings", palette="YlGn", better="higher"),
    "share_sealed_ring": _share("Sealed ground in the surroundings", palette="YlOrRd", better="lower"),
    "effective_mesh_size_ha_ring": Indicator("Connected habitat in the surroundings (effective mesh size)", "number", unit="ha", better="higher"),
    "protected_nature_dist_m": Indicator("Distance to protected nature", "metres", person=True, better="lower"),
    "nature_friendly": Indicator("In the nature-friendly scenario", "flag"),
    "lawn_to_meadow_m2": Indicator("Lawn turned into meadow", "number", unit="m²"),
}
# the nature_friendly scenario (green_nature_friendly.parquet): each land-cover figure before, after and its change
INDICATORS |= {
    f"{column}_{when}": Indicator(f"{INDICATORS[column].label}, {label}", "points" if when == "change" and INDICATORS[column].kind == "share"
                                  else INDICATORS[column].kind, unit=INDICATORS[column].unit, better=INDICATORS[column].better)
    for column in ("share_natural_cover", "share_sealed", "effective_mesh_size_ha", "share_natural_cover_ring",
                   "share_sealed_ring", "effective_mesh_size_ha_ring")
    for when, label in (("before", "before"), ("after", "after the nature-friendly scenario"), ("change", "change"))
}
INDICATORS |= {
    "distance_method": Indicator("Distance method", "text"),
    "scope": Indicator("Scope of the figures", "text"),
    # school districts and scenario schools
    "pupils": Indicator("Pupils", "count", person=True),
    "capacity": Indicator("Capacity (pupils)", "count"),
    "utilisation": _share("Capacity utilisation", person=True, palette="YlOrRd", better="over 100 % is over capacity"),
    "share_pupils_udsat_or_worse": _share("Pupils living in udsat-or-worse areas", person=True, better="lower"),
    "mean_dist_m": Indicator("Mean distance to school", "metres", person=True, better="lower"),
    "p90_dist_m": Indicator("90th percentile distance", "metres", person=True, better="lower"),
    "pupils_gain_free_transport": Indicator("Pupils gaining free transport", "count", person=True),
    "pupils_lose_free_transport": Indicator("Pupils losing free transport", "count", person=True),
    "over_capacity": Indicator("Over capacity", "flag", person=True),
    # development scenarios
    "status_before": Indicator("Status before", "text", person=True),
    "status_after": Indicator("Status after", "text", person=True),
    "share_social_family_before": _share("Share social family before"),
    "share_social_family_after": _share("Share social family after"),
    "share_social_family_change": Indicator("Change in share social family", "points", better="neither"),
    "gap_add_dwellings_before": Indicator("Surplus above the cap, alternative 1: new dwellings, before", "count"),
    "gap_add_dwellings_after": Indicator("Surplus above the cap, alternative 1: new dwellings, after", "count"),
    "jobs_bike_30_before": Indicator("Jobs within 30 min by bike, before", "count", person=True, unit="number of jobs", better="higher"),
    "jobs_bike_30_after": Indicator("Jobs within 30 min by bike, after", "count", person=True, unit="number of jobs", better="higher"),
    "jobs_bike_30_change": Indicator("Change in jobs within 30 min by bike", "count", person=True, unit="number of jobs", better="higher"),
    "jobs_transit_45_before": Indicator("Jobs within 45 min by bus and train, before", "count", person=True, unit="number of jobs", better="higher"),
    "jobs_transit_45_after": Indicator("Jobs within 45 min by bus and train, after", "count", person=True, unit="number of jobs", better="higher"),
    "jobs_transit_45_change": Indicator("Change in jobs within 45 min by bus and train", "count", person=True, unit="number of jobs", better="higher"),
}

# Official Danish vocabulary (Almenboligloven section 61a) with an English gloss, in order of severity.
STATUS_LABELS: dict[str, str] = {
    "none": "ingen (none)",
    "forebyggelse": "forebyggelsesområde (prevention area)",
    "udsat": "udsat boligområde (vulnerable area)",
    "parallelsamfund": "parallelsamfund (parallel society)",
    "omdannelse": "omdannelsesområde (transformation area)",
    # not a status of the law: unknown inputs could change the status (pipeline/mix/status.py)
    "undetermined": "ubestemt (undetermined: missing data could change it)",
}
STATUS_COLOURS: dict[str, str] = {
    "none": "#d9d9d9",
    "forebyggelse": "#fed976",
    "udsat": "#fd8d3c",
    "parallelsamfund": "#e31a1c",
    "omdannelse": "#800026",
    "undetermined": "#9e9ac8",  # lavender: distinct from "none" (light grey), suppressed (grey) and no data (white)
}
NO_DATA_COLOUR = "#ffffff"
SUPPRESSED_COLOUR = "#969696"
# The middle ("no change") class of a change layer: a light grey, not the scheme's near-white centre, which
# cannot be told from no data (white).
NO_CHANGE_COLOUR = "#d9d9d9"

# Colour schemes of classed layers, all colour-blind safe (docs/web-accessibility.md): ColorBrewer's
# sequential sets for a direction of better (light = good end for "lower", dark = good end for "higher"),
# viridis where no direction is better, ColorBrewer's diverging sets centred on 0 for changes (blue the
# better side; purple/orange where neither side is).
SEQUENTIAL_SCHEMES = {"lower": "YlOrRd", "higher": "YlGnBu"}
DESCRIPTIVE_SCHEME = "viridis"
DIVERGING_SCHEMES = {"higher": "RdBu", "lower": "RdBu_r"}
DESCRIPTIVE_DIVERGING_SCHEME = "PuOr"
# The unit a legend title names, by the column's kind (an Indicator's `unit` says it otherwise).
KIND_UNITS = {"share": "%", "metres": "m", "points": "percentage points"}
# What a legend title says about the direction of better.
BETTER_TEXTS = {"higher": "higher is better", "lower": "lower is better", "neither": "neither higher nor lower is better"}
# Change and difference columns: classed on a diverging scheme centred on 0, with a "no change" class.
CHANGE_SUFFIXES = ("_change", "_vs_baseline")


# Identifiers, names and categories: shown as text, never as numbers.
TEXT_COLUMNS = frozenset({
    "area_name", "site_name", "school_name", "school_ids", "scenario_name", "scenario_id", "kind", "sector", "area_type",
    "public", "walk", "bike", "contains_site",
})
for _column in TEXT_COLUMNS:
    INDICATORS.setdefault(_column, Indicator(_column.replace("_", " ").capitalize(), "text"))
for _column, _label in {
    "jobs": "Jobs", "new_jobs": "New jobs", "area_m2": "Area (m²)", "years_listed": "Earlier years in a row as parallelsamfund (towards omdannelse)",
    **{f"new_dwellings_{t}": f"New {t.replace('_', ' ')} dwellings" for t in TENURES},
}.items():
    INDICATORS.setdefault(_column, Indicator(_label, "count"))
INDICATORS["dissimilarity"] = Indicator("Dissimilarity D across schools", "ratio")
INDICATORS["rank"] = Indicator("Rank (1 = best)", "count")
# Scenario summaries: municipality-wide figures of a scenario or site (not of one small area), not suppressed.
INDICATORS["ranked"] = Indicator("Ranked against the baseline", "flag")
INDICATORS["schools_over_capacity"] = Indicator("Schools over capacity", "count")
INDICATORS["pupils_over_capacity"] = Indicator("Pupils over capacity", "count")
INDICATORS["dissimilarity_vs_baseline"] = Indicator("Dissimilarity D against the baseline", "ratio")
INDICATORS["mean_dist_m_vs_baseline"] = Indicator("Mean distance to school against the baseline", "metres")
INDICATORS["schools_over_capacity_vs_baseline"] = Indicator("Schools over capacity against the baseline", "count")
INDICATORS["pupils_over_capacity_vs_baseline"] = Indicator("Pupils over capacity against the baseline", "count")
INDICATORS["fall_share_social_family_omdannelse"] = Indicator(
    "Fall in the social family share of omdannelse areas (points)", "points")
INDICATORS["mean_jobs_bike_30_change"] = Indicator("Change in jobs within 30 min by bike, mean per resident", "number")
INDICATORS["mean_jobs_transit_45_change"] = Indicator(
    "Change in jobs within 45 min by bus and train, mean per resident", "number")

# Counts of people per area and district (the parcels' person counts summed by mix): person-based.
PERSON_COUNT_COLUMNS = (
    "residents_18_64", "outside_work_edu_18_64", "residents_30_59", "basic_edu_only_30_59", "residents_18plus",
    "convicted_18plus", "taxpayers_15_64", "non_western", "children_6_16", "pupils_udsat_or_worse", "school_pupils",
)
PERSON_COUNT_LABELS = {
    "residents_18_64": "Residents 18-64", "outside_work_edu_18_64": "Residents 18-64 outside work or education",
    "residents_30_59": "Residents 30-59", "basic_edu_only_30_59": "Residents 30-59 with basic schooling only",
    "residents_18plus": "Residents 18+", "convicted_18plus": "Convicted residents 18+",
    "taxpayers_15_64": "Taxpayers 15-64", "non_western": "Immigrants and descendants from non-Western countries (persons)",
    "children_6_16": "Children 6-16",
}
for _column in PERSON_COUNT_COLUMNS:
    INDICATORS[_column] = Indicator(PERSON_COUNT_LABELS.get(_column, _column.replace("_", " ").capitalize()), "count",
                                    person=True)
INDICATORS.update({
    # areas_mix: what is computed from people
    "gross_income_sum_15_64": Indicator("Gross income of taxpayers 15-64 (DKK)", "number", person=True),
    "mean_income_15_64_dkk": Indicator("Mean income of taxpayers 15-64", "number", person=True, unit="DKK", better="higher"),
    "conviction_rate_18plus": _share("Residents 18+ convicted", person=True, better="lower"),
    "criteria_unknown": Indicator("Criteria unknown", "text", person=True),
    "prevention_criteria_met": Indicator("Prevention criteria met (of 4)", "count", person=True),
    "prevention_criteria": Indicator("Prevention criteria met", "text", person=True),
    "eligible": Indicator("Social area of at least the law's residents", "flag", person=True),
    "status_note": Indicator("Status note", "text", person=True),
    # areas_mix: dwellings and parcels, not people
    "parcels": Indicator("Parcels", "count"),
    **{f"dwellings_{t}": Indicator(f"{t.replace('_', ' ').capitalize()} dwellings", "count") for t in (*TENURES, "other")},
    "share_other": _share("Share other dwellings"),
    "share_social": _share("Share social dwellings"),
    "is_social": Indicator("Social housing area (by dwellings or area type)", "flag"),
    "year": Indicator("Year", "text"),
    # development scenarios: dwellings, not people
    "gap_convert_dwellings_before": Indicator("Surplus above the cap, alternative 2: dwellings converted, before",
                                              "count"),
    "gap_convert_dwellings_after": Indicator("Surplus above the cap, alternative 2: dwellings converted, after",
                                             "count"),
    "dwellings_before": Indicator("Dwellings before", "count"),
    "dwellings_after": Indicator("Dwellings after", "count"),
    "new_dwellings": Indicator("New dwellings", "count"),
    # identifiers and provenance
    **{c: Indicator(c.replace("_", " ").capitalize(), "text") for c in (
        "area_id", "district_id", "school_id", "site_id", "scenario_id", "parcel_id", "green_id", "station_id",
        "nature_id", "street_id", "closes_school_id", "data_note", "run_id")},
    "suppressed": Indicator("Person-based figures suppressed (fewer residents than privacy.min_residents)", "flag"),
    # columns of datasets not published today (pipeline/core/catalogue.py), classified so every column is, once
    "cell_id": Indicator("Grid cell", "text"),
    "district": Indicator("District served", "text"),
    "share": _share("Share of the district's pupils"),
    "free_transport": Indicator("Pupils beyond the free-transport distance", "flag", person=True),
    "green_within_300": Indicator("Within 300 m of a public green area", "flag"),
    "green_m2_1km": Indicator("Public green area within 1 km (m²)", "number"),
    "residents_1km": Indicator("Residents within 1 km", "count", person=True),
    # the GTFS timetable's stops and times (CONTRACT 6d), not published
    "stop_id": Indicator("Stop id", "text"),
    "trip_id": Indicator("Trip id", "text"),
    "stop": Indicator("Stop (row of the stops)", "count"),
    "arrival_s": Indicator("Arrival (seconds after the service day's midnight)", "number"),
    "departure_s": Indicator("Departure (seconds after the service day's midnight)", "number"),
})

# The districting's and the plan's columns (CONTRACT 6a, 6b): pipeline/publish/catalogue_scenarios.py
INDICATORS.update(SCENARIO_INDICATORS)

# The rule that decided a status, and the rest of a year's rule set (areas_mix_history; issue 21)
INDICATORS.update({
    "status_basis": Indicator("Rule that decided the status", "text", person=True),
    **{f"prevention_c{i}_threshold": (_share if i != 2 else lambda label: Indicator(label, "ratio"))(
        f"c{i} threshold of section 61 b") for i in range(1, 5)},
    "prevention_non_western_threshold": _share("Non-Western threshold of section 61 b"),
    "rule_from_year": Indicator("First year of the rule set", "text"),
    "rule_to_year": Indicator("Last year of the rule set", "text"),
    "rule_terms": Indicator("The law's words for its lists", "text"),
    "rule_min_residents": Indicator("Residents the law requires", "count"),
    "rule_min_social_share": _share("Social housing share the law requires"),
    "rule_min_criteria": Indicator("Criteria of section 61 a needed", "count"),
    "rule_prevention_min_criteria": Indicator("Criteria of section 61 b needed", "count"),
    "rule_omdannelse_years": Indicator("Years in a row as parallelsamfund before omdannelse", "count"),
    "rule_prevention_areas": Indicator("The rule set has forebyggelsesområder (section 61 b)", "flag"),
})

# Columns named by config rather than code: a prefix and how every column with it is classified.
PATTERNS: dict[str, Callable[[str], Indicator]] = {
    # lq_<group> of mix.segregation_groups: a location quotient of a group of people (or dwellings: the
    # default social_family_dwellings group); person-based for all, so a group of people is never shown.
    "lq_": lambda c: Indicator(f"Location quotient {c[3:].replace('_', ' ')}", "ratio", person=True),
}
# Not data columns: the geometry is drawn, never a figure.
NOT_FIGURES = frozenset({"geometry"})


class UnclassifiedColumn(PipelineError):
    """A published column that the catalogue does not classify: a bug to fix in the code (exit status 1)."""


def indicator(column: str) -> Indicator:
    """The catalogue entry of a column; a column in no entry and no pattern stops publishing (never a default)."""
    if column in INDICATORS:
        return INDICATORS[column]
    for prefix, make in PATTERNS.items():
        if column.startswith(prefix):
            return make(column)
    raise UnclassifiedColumn(
        f"the column '{column}' would be published but is not classified as person-based or not. Add it to "
        "INDICATORS in pipeline/publish/catalogue.py (person=True when it counts people or is computed from counts "
        "of people, so small areas' values are suppressed), with its label and kind, and list it in docs/publishing.md")


def is_classified(column: str) -> bool:
    """Whether the catalogue classifies the column (or it is no figure, like the geometry)."""
    return column in NOT_FIGURES or column in INDICATORS or any(column.startswith(p) for p in PATTERNS)


def person_based(columns) -> list[str]:
    """The columns that are person-based figures and so suppressed for small areas (every column must be classified)."""
    return [c for c in columns if c not in NOT_FIGURES and indicator(c).person]


def is_change(column: str) -> bool:
    """Whether the column is a change or a difference (classed around 0 rather than from low to high)."""
    return column.endswith(CHANGE_SUFFIXES) or indicator(column).kind == "points"


def colour_scheme(column: str) -> str:
    """The colour scheme of the column's classed layer: its own, else the one its direction of better implies."""
    entry = indicator(column)
    if entry.palette:
        return entry.palette
    if is_change(column):
        return DIVERGING_SCHEMES.get(entry.better, DESCRIPTIVE_DIVERGING_SCHEME)
    return SEQUENTIAL_SCHEMES.get(entry.better, DESCRIPTIVE_SCHEME)


def legend_title(column: str, label: str | None = None, lang: Callable[[str], str] = str) -> str:
    """The legend title of a classed layer: its label (or the one given, already in the page language), its unit
    and which direction is better, in the page language (`lang`), e.g. "Distance to district school (m; lower is
    better)"."""
    entry = indicator(column)
    parts = [entry.unit or KIND_UNITS.get(entry.kind, ""), BETTER_TEXTS.get(entry.better, entry.better)]
    detail = "; ".join(lang(p) for p in parts if p)
    label = label or lang(entry.label)
    if not detail:
        return label
    if label.endswith(")"):  # "Tenure diversity (0 one tenure, 1 even mix; higher is better)": one bracket
        return f"{label[:-1]}; {detail})"
    return f"{label} ({detail})"


def legend_words() -> set[str]:
    """The units and directions legend titles name (English message ids, for the translators)."""
    words = set(KIND_UNITS.values()) | set(BETTER_TEXTS.values())
    words |= {e.unit for e in INDICATORS.values()} | {e.better for e in INDICATORS.values() if e.better not in BETTER_TEXTS}
    return words - {"", "%", "m"}
