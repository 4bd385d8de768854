"""The sections of a housing area's profile page, as texts in the page's language and chart geometry.

Each `*_section` takes the area's row of the areas table (or its id) and the release's shared lookups
(profiles.Shared) and returns what the template draws, or a `missing` text saying which dataset or
column is not there. A person-based figure (the catalogue's `person`) of an area, district, school or
year with fewer residents (pupils) than privacy.min_residents is the suppressed label, never a number.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from pipeline.core import datasets
from pipeline.publish.catalogue import indicator
from pipeline.publish.glossary import other_text
from pipeline.publish.glossary import text as glossary_text
from pipeline.publish.i18n import Language
from pipeline.publish.inputs import Inputs, Reason
from pipeline.publish.profile_charts import tenure_bar, threshold_bar
from pipeline.publish.status_text import (
    STATUS_WORDS,
    explanation,
    rule_set_text,
    status_word,
    test_text,
    threshold_text,
)

if TYPE_CHECKING:
    from pipeline.publish.profile_shared import Shared

# The four criteria of § 61 a stk. 1 and the non-Western share of stk. 2: code, column, comparison, label (the
# glossary's, pipeline/publish/glossary.py: one label per figure on every page).
CRITERIA_ROWS = tuple((code, column, comparison, indicator(column).label) for code, column, comparison in (
    ("c1", "share_outside_work_edu", "gt"), ("c2", "crime_ratio", "ge"), ("c3", "share_basic_edu", "gt"),
    ("c4", "income_ratio", "lt"), ("non_western", "share_non_western", "gt")))
# Which rule a threshold belongs to: section 61 a's criteria, its parallelsamfund share, section 61 b's.
RULE_OF_THRESHOLD = {"official": "§ 61 a: {test}", "non_western": "parallelsamfund (§ 61 a): {test}",
                     "prevention": "§ 61 b (forebyggelsesområde): {test}"}
# Each criterion's bar ends here on every profile (one fixed scale per criterion, so the bars of two areas
# compare): shares at 100 %, the crime ratio at 5 times the national rate, the income ratio at 1.5 times the region's.
CRITERION_AXIS_MAX = {"c1": 1.0, "c2": 5.0, "c3": 1.0, "c4": 1.5, "non_western": 1.0}
# The path off the list (written by mix): column, criterion, what the number means.
PATH_ITEMS = (
    ("path_c1_persons", "c1", "{n} more residents 18-64 in work or education would end criterion c1"),
    ("path_c2_persons", "c2", "{n} fewer convicted residents 18+ would end criterion c2"),
    ("path_c3_persons", "c3", "{n} fewer residents 30-59 with basic schooling only would end criterion c3"),
    ("path_c4_income_dkk", "c4", "{n} DKK more mean gross income per taxpayer 15-64 would end criterion c4"),
)
GAP_ITEMS = (
    ("gap_add_dwellings", "{n} new dwellings of other tenures added"),
    ("gap_convert_dwellings", "{n} social family dwellings turned into another tenure (sold, or made youth or elderly housing)"),
    ("gap_demolish_dwellings", "{n} social family dwellings demolished"),
)
TENURE_LABELS = {
    "social_family": "social family housing", "social_other": "social youth and elderly housing",
    "owner": "owner-occupied", "private_rental": "private rental", "cooperative": "cooperative", "other": "other",
}
ACCESS_FIELDS = ("school_dist_m", "nearest_school_dist_m", "share_pupils_free_transport", "jobs_walk_15",
                 "jobs_bike_30", "job_access_index", "green_dist_m", "share_residents_green_300",
                 "green_m2_per_resident_1km", "canopy_share", "station_dist_m",
                 # public transport (CONTRACT 6d): shown where a GTFS feed was given (the municipality's mean is known)
                 "jobs_transit_45", "job_access_transit_index")
TRANSIT_FIELDS = ("jobs_transit_45", "job_access_transit_index")
# Each access figure's label: the glossary's, as on the maps.
ACCESS_LABELS = {column: indicator(column).label for column in ACCESS_FIELDS}

HISTORY = "areas_mix_history"  # written by mix when statistics for several years are given (CONTRACT 3)
# The status words of the law with an English gloss (pipeline/publish/status_text.py, one list).
STATUS_TEXT = STATUS_WORDS


def known(value: object) -> bool:
    """Whether a figure is there (not None, NaN or pandas NA)."""
    return value is not None and not (pd.api.types.is_scalar(value) and pd.isna(value))


def fmt(lang: Language, column: str, value: object) -> str:
    """A figure as every page writes it: the glossary's format of the column, in the page's language."""
    return glossary_text(lang, column, value)


def shown(shared: Shared, column: str, value: object, hidden: bool) -> str:
    """The figure of a row of the release's other tables as prepared (pipeline/publish/figures.py): the suppressed
    label when it is person-based and its area (district, school, year) is small."""
    return shared.figures.figure(column, value, hidden)


def reason_text(lang: Language, reason: Reason) -> str:
    """A reason (not supplied, not computed yet, out of date) in the page's language."""
    return lang(reason.message, **reason.values)


def missing_text(lang: Language, inputs: Inputs, name: str) -> str:
    """Why a dataset is not shown (not supplied, not computed yet, or out of date), in the page's language."""
    reason = inputs.missing.get(name)
    if reason is not None:
        return reason_text(lang, reason)
    entry = datasets.dataset(name)
    stage, file = entry.writer, entry.file
    return lang("not computed yet: the {stage} stage has not written {file}", stage=stage, file=file)


def status_text(lang: Language, status: object, hidden: bool, label: str, terms: object = None) -> str:
    """The status in the words of its rule set's law (`terms`: "ghetto" for 2018-2020), the suppressed label for
    a small area, or "no data"."""
    if hidden:
        return label
    return status_word(lang, status, terms)


def missing_columns(shared: Shared, name: str, columns: str) -> str:
    """Why a section is empty: its dataset (catalogue name) is missing, or lacks the columns (an older run)."""
    if name in shared.inputs.missing:
        return missing_text(shared.lang, shared.inputs, name)
    return shared.lang("not computed yet: {file} has no {columns}; run the pipeline again",
                       file=datasets.dataset(name).file, columns=columns)


# ---------------------------------------------------------------- status and criteria


def status_section(row: pd.Series, hidden: bool, shared: Shared) -> dict:
    """Why the area has its status: the rule that decided it, with the thresholds of the rule set applied
    (pipeline/publish/status_text.py), and the rule set in words."""
    lang = shared.lang
    common = {"years_label": lang(indicator("years_listed").label), "rules": rule_set_text(lang, shared.rules),
              "years_listed": shared.area_text(row, "years_listed")}
    if hidden:
        return {"why": [], "hidden": True, **common}
    return {"why": explanation(lang, row, shared.rules), "hidden": False, **common}


def _prevention_test(row: pd.Series, hidden: bool, shared: Shared, code: str, comparison: str) -> str | None:
    """The criterion's section 61 b threshold and whether it holds, where the rule set has prevention areas."""
    lang, rules = shared.lang, shared.rules
    if not rules.get("rule_prevention_areas", True):
        return None
    column = "prevention_non_western_threshold" if code == "non_western" else f"prevention_{code}_threshold"
    text = lang(RULE_OF_THRESHOLD["prevention"], test=test_text(lang, code, comparison, rules.get(column)))
    if hidden or code == "non_western" or not known(row.get("prevention_criteria")):
        return text
    unknown = code in str(row.get("criteria_unknown") or "").split(", ")
    held = code in str(row["prevention_criteria"]).split(", ")
    return f"{text} · " + (lang("unknown") if unknown else lang("met") if held else lang("not met"))


def criteria_section(row: pd.Series, hidden: bool, shared: Shared) -> dict:
    """Each criterion's value against its threshold, with a bar chart; suppressed for a small area."""
    lang, rows = shared.lang, []
    present = [r for r in CRITERIA_ROWS if r[1] in row.index]
    if not present:
        return {"rows": [], "hidden": hidden, "missing": missing_columns(shared, "areas_mix", "criteria")}
    for code, column, comparison, label in present:
        threshold = shared.thresholds.get(code)
        value = row[column]
        met = row.get(f"{code}_met") if code != "non_western" else None
        rule = lang(RULE_OF_THRESHOLD["non_western" if code == "non_western" else "official"],
                    test=test_text(lang, code, comparison, threshold))
        shown_value = shared.area_text(row, column)
        item = {"code": code, "label": lang(label), "threshold": rule, "value": shown_value,
                "met": "" if code == "non_western" else shared.label if hidden else
                lang("met") if known(met) and bool(met) else lang("not met") if known(met) else lang("unknown"),
                "chart": None, "prevention": _prevention_test(row, hidden, shared, code, comparison)}
        if not hidden and known(value):
            item["chart"] = threshold_bar(float(value), threshold, bool(met) if known(met) else None,
                                          label=shown_value, threshold_label=rule,
                                          axis_label=lambda v, c=code: threshold_text(lang, c, v),
                                          axis_max=CRITERION_AXIS_MAX.get(code))
        rows.append(item)
    return {"rows": rows, "hidden": hidden, "missing": None}


def path_section(row: pd.Series, hidden: bool, shared: Shared) -> dict:
    """The path off the list: people per criterion and the smallest combination leaving fewer than two criteria met."""
    lang = shared.lang
    if not any(column in row.index for column, *_ in PATH_ITEMS) and "path_criteria" not in row.index:
        return {"missing": missing_columns(shared, "areas_mix", "path_c1_persons .. path_persons"), "items": []}
    if hidden:
        return {"missing": None, "hidden": True, "items": [], "combination": None}
    items = []
    for column, code, text in PATH_ITEMS:
        if column not in row.index:
            continue
        value = row[column]
        if not known(value):
            items.append(f"{code}: {lang('no data')}")
        elif float(value) == 0:
            items.append(lang("{code} is not met: nothing needed", code=code))
        else:
            items.append(lang(text, n=shared.area_text(row, column)))
    criteria = row.get("path_criteria")
    if "path_criteria" not in row.index:
        combination = None
    elif not known(criteria):
        combination = lang("The area is not on the list (udsat or worse): no path is needed.")
    else:
        combination = lang("The smallest combination that leaves the area with fewer than two criteria met: {criteria}, "
                           "{n} persons in all.", criteria=criteria, n=shared.area_text(row, "path_persons"))
    return {"missing": None, "hidden": False, "items": items, "combination": combination}


# ---------------------------------------------------------------- dwellings


def gap_section(row: pd.Series, shared: Shared) -> dict:
    """The family housing gap of an omdannelse area: three alternatives (dwellings are not person-based)."""
    lang = shared.lang
    cap = shared.config["mix"].get("family_housing_cap")
    lead = lang("To bring social family dwellings down to {cap} of all dwellings by 2030: three alternatives, any "
                "one of which is enough:",
                cap=other_text(lang, "family_housing_cap", cap))
    present = [(c, t) for c, t in GAP_ITEMS if c in row.index]
    if not present:
        return {"missing": missing_columns(shared, "areas_mix", "gap_add_dwellings"), "items": [], "lead": lead}
    if not any(known(row[c]) and float(row[c]) > 0 for c, _ in present):
        return {"missing": None, "items": [], "lead": lang("Not relevant: the cap applies to omdannelsesområder only.")}
    items = [lang(text, n=shared.area_text(row, column)) for column, text in present]
    return {"missing": None, "items": items, "lead": lead}


def tenure_section(row: pd.Series, shared: Shared) -> dict:
    """Dwellings by tenure with their shares, as a table and a stacked bar."""
    lang = shared.lang
    tenures = [t for t in TENURE_LABELS if f"share_{t}" in row.index or f"dwellings_{t}" in row.index]
    if not tenures:
        return {"missing": missing_columns(shared, "areas_mix", "dwellings by tenure"), "rows": [], "slices": []}
    rows, shares = [], []
    for tenure in tenures:
        share = row.get(f"share_{tenure}")
        shares.append(float(share) if known(share) else None)
        rows.append({"label": lang(TENURE_LABELS[tenure]), "dwellings": shared.area_text(row, f"dwellings_{tenure}"),
                     "share": shared.area_text(row, f"share_{tenure}")})
    labels = [f"{r['label']}: {r['share']}" for r in rows]
    return {"missing": None, "rows": rows, "slices": tenure_bar(shares, labels),
            "dwellings": shared.area_text(row, "dwellings"),
            "diversity": shared.area_text(row, "tenure_diversity")}


# ---------------------------------------------------------------- access
