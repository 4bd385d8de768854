"""One glossary of the published figures: each column's label, short label, unit, format and explanation.

Defined once, beside the catalogue (pipeline/publish/catalogue.py, whose `Indicator` gives the label, kind,
unit and person-based flag), in English message ids; the Danish texts are in locale/da/LC_MESSAGES/glossary.po.
Every place a figure appears takes its words and its number format from here: map popups, tooltips, legends and
layer tables (through the figures prepared by pipeline/publish/figures.py), the profiles, and areas_dictionary.csv, the data dictionary
written beside areas.csv (`dictionary`). Shares are percentages everywhere (c4, a share of the regional mean,
too: 45,0 %); c2 is a multiple of the national rate (1,27 gange).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from pipeline.publish.catalogue import KIND_UNITS, indicator
from pipeline.publish.i18n import NO_DATA, Language

# The tenures in words (dwellings_<t>, share_<t>, new_dwellings_<t>).
TENURE_WORDS = {"social_family": "social family housing", "social_other": "social youth and elderly housing",
                "owner": "owner-occupied", "private_rental": "private rental", "cooperative": "cooperative",
                "other": "other"}
# How a figure of each kind is written: (decimals, scale); a share is a percentage (x 100) with one decimal.
FORMATS = {"share": (1, 100), "ratio": (2, 1), "metres": (0, 1), "count": (0, 1), "number": (1, 1), "points": (1, 100)}
# Figures written with a word after the number (the profile and the popups alike): c2 as "1,27 times".
# The green scenario's before and after are written as the figure itself; the lawn it turns to meadow in m².
MESH = [f"effective_mesh_size_ha{ring}{when}" for ring in ("", "_ring") for when in ("", "_before", "_after")]
SUFFIXED = {"crime_ratio": "{x} times", **dict.fromkeys(MESH, "{x} ha"), "lawn_to_meadow_m2": "{x} m²"}
# Figures written with more decimals than their kind's: habitat patches of a few hundredths of a hectare.
# D to 3 decimals (0,700 and 0,722 read apart); a mean change in jobs within reach in whole jobs, an income in kroner.
DECIMALS = {**dict.fromkeys(MESH, 2), "lawn_to_meadow_m2": 0, "path_c4_income_dkk": 0, "dissimilarity": 3,
            "dissimilarity_vs_baseline": 3, "d_index": 3, "mean_jobs_bike_30_change": 0, "mean_jobs_transit_45_change": 0}
# Changes written with their sign (+12 m, -0,013): a scenario's difference from the baseline, a project's effect.
SIGNED = frozenset({"dissimilarity_vs_baseline", "mean_dist_m_vs_baseline", "gap_add_dwellings_change",
                    "gap_change_per_million_dkk", "mean_jobs_bike_30_change", "mean_jobs_transit_45_change"})
# Figures that are no column (a rule's setting, an index of the municipality, a count of things a page lists, the
# share of an area in a school district or catchment):
# (kind, decimals); decimals None: as many as the value is written with in the config (a detour factor 1.3: 1,3).
OTHER_FORMATS = {"family_housing_cap": ("share", 0), "capacity_tolerance": ("share", 0), "max_walk_m": ("metres", 0),
                 "segregation_index": ("number", 3), "overlap_share": ("share", 0), "count": ("number", 0), "detour_factor": ("number", None)}
# Short labels (tooltips, narrow tables) where the label is long.
SHORT = {
    "share_outside_work_edu": "c1 outside work or education", "crime_ratio": "c2 convictions",
    "share_basic_edu": "c3 basic schooling only", "income_ratio": "c4 income",
    "share_non_western": "Non-Western origin", "share_pupils_free_transport": "Pupils with free transport",
    "gap_add_dwellings": "Surplus: dwellings to add", "gap_convert_dwellings": "Surplus: dwellings to convert",
    "gap_demolish_dwellings": "Surplus: dwellings to demolish", "years_listed": "Years as parallelsamfund",
    "job_access_index": "Job access index", "green_m2_per_resident_1km": "Green m² per resident",
    # each school's mix before and after a district proposal (the school-sites page's narrow panel tables)
    "school_name": "School", "capacity": "Capacity", "group_share_before": "Group share today",
    "group_share_after": "Group share in the plan",
}
EXPLANATIONS = {
    "area_id": "The housing area's id as the municipality gives it.",
    "name": "The housing area's name.",
    "area_type": "The area's type as the municipality gives it (social, private, mixed).",
    "years_listed": "How many years in a row before this year the area was a parallelsamfund (or omdannelsesområde); "
                    "they count towards omdannelsesområde.",
    "parcels": "Parcels (statistical units) in the area.",
    "residents": "Residents of the area.",
    "dwellings": "All dwellings of the area.",
    "gross_income_sum_15_64": "Gross income of the area's taxpayers 15-64, summed (DKK).",
    "share_social": "Social housing (family, youth and elderly) as a share of all dwellings.",
    "tenure_diversity": "How even the mix of tenures is: 0 one tenure, 1 every tenure equally.",
    "share_outside_work_edu": "Criterion c1: residents 18-64 outside work and education as a share of all residents "
                              "18-64.",
    "conviction_rate_18plus": "Residents 18+ convicted as a share of all residents 18+.",
    "crime_ratio": "Criterion c2: the area's conviction rate 18+ as a multiple of the national rate.",
    "share_basic_edu": "Criterion c3: residents 30-59 with basic schooling only as a share of all residents 30-59.",
    "mean_income_15_64_dkk": "Mean gross income of taxpayers 15-64 (DKK).",
    "income_ratio": "Criterion c4: the mean gross income of taxpayers 15-64 as a share of the region's mean.",
    "share_non_western": "Immigrants and descendants from non-Western countries as a share of all residents.",
    "criteria_met": "How many of the 4 criteria of section 61 a are met.",
    "criteria": "Which criteria of section 61 a are met.",
    "criteria_unknown": "Which criteria are unknown (their data are missing).",
    "prevention_criteria_met": "How many of the 4 criteria of section 61 b (forebyggelsesområde) are met.",
    "prevention_criteria": "Which criteria of section 61 b are met.",
    "is_social": "Whether the area is mainly social housing (by its dwellings or its type).",
    "eligible": "Whether the law covers the area: mainly social housing with at least the law's residents.",
    "status": "The indicative status under Almenboligloven section 61 a and 61 b, computed from the supplied data.",
    "status_basis": "The rule that decided the status (section 61 a, section 61 b), or for none the condition not "
                    "met.",
    "deciding_unknown": "For an undetermined status: the unknown inputs that could change it.",
    "status_reason": "Why the area has its status, in words.",
    "status_note": "Reminder that the status is indicative, computed from supplied data.",
    "gap_add_dwellings": "Omdannelsesområder only: new dwellings of other tenures that would bring social family "
                         "housing down to the cap (one of three alternatives); not relevant elsewhere.",
    "gap_convert_dwellings": "Omdannelsesområder only: social family dwellings to turn into another tenure to reach "
                             "the cap (one of three alternatives); not relevant elsewhere.",
    "gap_demolish_dwellings": "Omdannelsesområder only: social family dwellings to demolish to reach the cap (one of "
                              "three alternatives); not relevant elsewhere.",
    "path_c1_persons": "More residents 18-64 in work or education that would end criterion c1, the rest unchanged.",
    "path_c2_persons": "Fewer convicted residents 18+ that would end criterion c2, the rest unchanged.",
    "path_c3_persons": "Fewer residents 30-59 with basic schooling only that would end criterion c3.",
    "path_c4_income_dkk": "More mean gross income per taxpayer 15-64 (DKK) that would end criterion c4.",
    "path_criteria": "The smallest combination of criteria whose change takes the area off the list.",
    "path_persons": "The persons that combination takes.",
    "school_dist_m": "Network distance to the school of the district, mean over the area's children 6-16.",
    "nearest_school_dist_m": "Network distance to the nearest school, mean over the area's children 6-16.",
    "share_pupils_free_transport": "Children 6-16 living beyond the free school transport distance.",
    "jobs_walk_15": "Jobs reachable within 15 minutes' walk, mean over the area's residents.",
    "jobs_bike_30": "Jobs reachable within 30 minutes by bike, mean over the area's residents.",
    "job_access_gravity": "Jobs weighted down by cycling time, mean over the area's residents.",
    "job_access_index": "Job access relative to the municipality's mean (100).",
    "green_dist_m": "Network distance to the nearest public green area of the minimum size.",
    "share_residents_green_300": "Residents within 300 m of a public green area.",
    "green_m2_per_resident_1km": "Public green area within 1 km per resident (m²).",
    "canopy_share": "Share of the area's surface under tree canopy.",
    "meets_canopy_30": "Whether the tree canopy covers at least 30 % of the area.",
    "station_dist_m": "Network distance to the nearest station, mean over the area's residents.",
    "distance_method": "How distances were measured: along the street network, or straight lines times a detour "
                       "factor.",
    "data_note": "The note about the data (e.g. synthetic demonstration data).",
    "run_id": "The id of the run that computed the figures.",
    "suppressed": "Whether the area's person-based figures are suppressed: fewer residents than the privacy limit.",
    "residents_18_64": "Residents aged 18-64.", "outside_work_edu_18_64": "Residents 18-64 outside work and education.",
    "residents_30_59": "Residents aged 30-59.", "basic_edu_only_30_59": "Residents 30-59 with basic schooling only.",
    "residents_18plus": "Residents aged 18 or over.", "convicted_18plus": "Residents 18+ convicted.",
    "taxpayers_15_64": "Taxpayers aged 15-64.",
    "non_western": "Immigrants and descendants from non-Western countries.", "children_6_16": "Children aged 6-16.",
}
# Explanations of families of columns, by prefix: the rest of the name fills {name}.
FAMILIES = {
    "dwellings_": "Dwellings of the tenure {name}.",
    "share_": "Dwellings of the tenure {name} as a share of all dwellings.",
    "lq_": "Location quotient of {name}: the group's share in the area over its share in the municipality (1 = the "
           "same).",
    "support_": "Where the figures of {name} come from: parcels, grid cells or an area table.",
    "c": "Whether criterion {name} of section 61 a is met.",
}


@dataclass(frozen=True)
class Term:
    """One figure's words and format: English message ids, written in a language by `explain` and `dictionary`."""

    column: str
    label: str
    short: str
    unit: str
    decimals: int | None  # None: not a number
    scale: int  # 100: a share written as a percentage
    explanation: str  # may hold {name}, filled with `name` in the language
    name: str
    person: bool


def _family(column: str) -> tuple[str, str]:
    """The explanation and its {name} of a column of a family (dwellings_<tenure>, share_<tenure>, lq_, support_,
    c<i>_met), or ("", "")."""
    if column.startswith("c") and column.endswith("_met") and len(column) == 6:
        return FAMILIES["c"], column[:2]
    for prefix in ("dwellings_", "share_", "lq_", "support_"):
        rest = column.removeprefix(prefix)
        if rest == column or (prefix in ("dwellings_", "share_") and rest not in TENURE_WORDS):
            continue
        return FAMILIES[prefix], TENURE_WORDS.get(rest, rest.replace("_", " "))
    return "", ""


def term(column: str) -> Term:
    """The glossary's entry of a column (every published column has one: its label and kind are the catalogue's)."""
    entry = indicator(column)
    decimals, scale = FORMATS.get(entry.kind, (None, 1))
    decimals = DECIMALS.get(column, decimals)
    unit = entry.unit or KIND_UNITS.get(entry.kind, "")
    explanation, name = (EXPLANATIONS[column], "") if column in EXPLANATIONS else _family(column)
    return Term(column, entry.label, SHORT.get(column, entry.label), unit, decimals, scale, explanation, name,
                entry.person)


def explain(lang: Language, entry: Term) -> str:
    """The explanation of a figure in the language ("" where the glossary has none)."""
    if not entry.explanation:
        return ""
    return lang(entry.explanation, name=lang(entry.name)) if entry.name else lang(entry.explanation)


def text(lang: Language, column: str, value: object) -> str:
    """A figure as every page writes it: the glossary's format in the language ("no data" when unknown)."""
    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return lang(NO_DATA)
    kind = indicator(column).kind
    if kind == "flag":
        return lang("yes") if bool(value) and str(value) != "False" else lang("no")
    if kind == "text":
        return str(value)
    number = float(value)
    if kind == "points":
        return lang("{value} points", value=("+" if number >= 0 else "-") + lang.number(abs(number) * 100, 1))
    sign = ""
    if column in SIGNED:
        sign, number = ("+" if number >= 0 else "-"), abs(number)
    if kind == "share":
        return sign + lang.percent(number, 1)
    if kind == "metres":
        return f"{sign}{lang.number(number, 0)} m"
    decimals = DECIMALS.get(column, FORMATS.get(kind, (1, 1))[0])
    written = sign + lang.number(number, decimals)
    return lang(SUFFIXED[column], x=written) if column in SUFFIXED else written


def other_text(lang: Language, name: str, value: object) -> str:
    """A figure that is no column (OTHER_FORMATS: a setting such as the walking limit, a segregation index, a count
    of things a page lists) as every page writes it ("no data" when unknown)."""
    if value is None or value == "" or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return lang(NO_DATA)
    kind, decimals = OTHER_FORMATS[name]
    if decimals is None:  # as configured: 1.3 keeps its one decimal
        decimals = len(str(value).partition(".")[2])
    number = float(value)
    if kind == "share":
        return lang.percent(number, decimals)
    written = lang.number(number, decimals)
    return f"{written} m" if kind == "metres" else written


def format_words(lang: Language, entry: Term) -> str:
    """How the dictionary says a figure is written: "percent, 1 decimal", "whole number", "text"."""
    if entry.decimals is None:
        return lang("text") if indicator(entry.column).kind == "text" else lang("yes or no")
    if entry.scale == 100:
        return lang("percent, {n} decimal", n=entry.decimals)
    return lang("whole number") if entry.decimals == 0 else lang("number, {n} decimals", n=entry.decimals)


def dictionary(columns: list[str], lang: Language) -> pd.DataFrame:
    """areas_dictionary.csv: per column of areas.csv its label, short label, unit, format, explanation and
    whether it is person-based (suppressed for small areas), in the language."""
    rows = []
    for column in columns:
        entry = term(column)
        rows.append({"column": column, "label": lang(entry.label), "short_label": lang(entry.short),
                     "unit": lang(entry.unit) if entry.unit else "", "format": format_words(lang, entry),
                     "decimals": "" if entry.decimals is None else entry.decimals,
                     "scale": "" if entry.decimals is None else entry.scale, "explanation": explain(lang, entry),
                     "person_based": lang("yes") if entry.person else lang("no")})
    return pd.DataFrame(rows)


def all_texts() -> set[str]:
    """Every message id of the glossary, for the translators (pipeline/publish/messages.py)."""
    ids = set(SHORT.values()) | set(EXPLANATIONS.values()) | set(SUFFIXED.values()) | set(TENURE_WORDS.values())
    ids |= set(FAMILIES.values())
    ids |= {"residents", "dwellings", "c1", "c2", "c3", "c4", "non western", "outside work edu",
            "social family dwellings"}  # the {name} of support_ and lq_ columns under the default config
    return ids - {"c1", "c2", "c3", "c4"}


def method_text(method: str, lang: Language) -> str:
    """access's distance_method in words: "network", or "straight_line_x1.3" as straight line × 1,3 (da)."""
    found = re.fullmatch(r"straight_line_x([0-9.]+)", method)
    if not found:
        return lang(method)
    factor = found.group(1)
    return lang("straight line × {factor}", factor=lang.number(float(factor), len(factor.partition(".")[2])))
