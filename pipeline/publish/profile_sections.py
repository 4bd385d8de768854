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
from pipeline.publish.i18n import Language
from pipeline.publish.inputs import Inputs
from pipeline.publish.profile_charts import tenure_bar, threshold_bar

if TYPE_CHECKING:
    from pipeline.publish.profile_shared import Shared

# The four criteria of § 61 a stk. 1 and the non-Western share of stk. 2: column, comparison, label.
CRITERIA_ROWS = (
    ("c1", "share_outside_work_edu", "gt", "Residents 18-64 outside work or education"),
    ("c2", "crime_ratio", "ge", "Convicted residents 18+, times the national rate"),
    ("c3", "share_basic_edu", "gt", "Residents 30-59 with basic schooling only"),
    ("c4", "income_ratio", "lt", "Mean gross income of taxpayers 15-64, share of the region's mean"),
    ("non_western", "share_non_western", "gt", "Immigrants and descendants from non-Western countries"),
)
# Each criterion's bar ends here on every profile (one fixed scale per criterion, so the bars of two areas
# compare): shares at 100 %, the crime ratio at 5 times the national rate, the income ratio at 1.5 times the region's.
CRITERION_AXIS_MAX = {"c1": 1.0, "c2": 5.0, "c3": 1.0, "c4": 1.5, "non_western": 1.0}
COMPARISONS = {"gt": "threshold: more than {t}", "ge": "threshold: at least {t}", "lt": "threshold: less than {t}"}
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
ACCESS_LABELS = {
    "school_dist_m": "Distance to the district school",
    "nearest_school_dist_m": "Distance to the nearest school",
    "share_pupils_free_transport": "Pupils beyond the free school transport distance",
    "jobs_walk_15": "Jobs within 15 minutes' walk",
    "jobs_bike_30": "Jobs within 30 minutes by bike",
    "job_access_index": "Job access index (municipality mean = 100)",
    "green_dist_m": "Distance to a public green area",
    "share_residents_green_300": "Residents within 300 m of a green area",
    "green_m2_per_resident_1km": "Public green area within 1 km per resident (m²)",
    "canopy_share": "Tree canopy share",
    "station_dist_m": "Distance to a station",
}
ACCESS_FIELDS = tuple(ACCESS_LABELS)
HISTORY = "areas_mix_history"  # written by mix when statistics for several years are given (CONTRACT 3)
# The status words of the law (Almenboligloven § 61 a) with an English gloss; the Danish catalogue gives the terms alone.
STATUS_TEXT = {
    "none": "none (not on the list)",
    "forebyggelse": "forebyggelsesområde (prevention area)",
    "udsat": "udsat boligområde (vulnerable area)",
    "parallelsamfund": "parallelsamfund (parallel society)",
    "omdannelse": "omdannelsesområde (transformation area)",
    "undetermined": "undetermined (missing data could change it)",
}


def known(value: object) -> bool:
    """Whether a figure is there (not None, NaN or pandas NA)."""
    return value is not None and not (pd.api.types.is_scalar(value) and pd.isna(value))


def fmt(lang: Language, column: str, value: object) -> str:
    """A figure as a planner reads it, by the catalogue's kind of the column, in the page's language."""
    if not known(value):
        return lang("no data")
    kind = indicator(column).kind
    if kind == "share":
        return lang.percent(value, 1)
    if kind == "metres":
        return f"{lang.number(value)} m"
    if kind == "count":
        return lang.number(value)
    if kind == "ratio":
        return lang.number(value, 2)
    if kind == "flag":
        return lang("yes") if bool(value) else lang("no")
    if kind == "text":
        return str(value)
    return lang.number(value, 1)


def shown(shared: Shared, column: str, value: object, hidden: bool) -> str:
    """The figure, or the suppressed label when it is person-based and its area (district, school, year) is small."""
    if hidden and indicator(column).person:
        return shared.label
    return fmt(shared.lang, column, value)


def missing_text(lang: Language, inputs: Inputs, name: str) -> str:
    """Why a dataset is not shown (not computed yet, or out of date), in the page's language."""
    reason = inputs.missing.get(name)
    if reason is not None:
        return lang(reason.message, **reason.values)
    entry = datasets.dataset(name)
    stage, file = entry.writer, entry.file
    return lang("not computed yet: the {stage} stage has not written {file}", stage=stage, file=file)


def status_text(lang: Language, status: object, hidden: bool, label: str) -> str:
    """The status in the law's words, the suppressed label for a small area, or "no data"."""
    if hidden:
        return label
    return lang(STATUS_TEXT[status]) if isinstance(status, str) and status in STATUS_TEXT else lang("no data")


def missing_columns(shared: Shared, name: str, columns: str) -> str:
    """Why a section is empty: its dataset (catalogue name) is missing, or lacks the columns (an older run)."""
    if name in shared.inputs.missing:
        return missing_text(shared.lang, shared.inputs, name)
    return shared.lang("not computed yet: {file} has no {columns}; run the pipeline again",
                       file=datasets.dataset(name).file, columns=columns)


# ---------------------------------------------------------------- status and criteria


def status_section(row: pd.Series, hidden: bool, shared: Shared) -> dict:
    """Why the area has its status, from the criteria met and unknown, eligibility and the deciding unknowns."""
    lang = shared.lang
    if hidden:
        return {"why": [], "hidden": True, "years_listed": fmt(lang, "years_listed", row.get("years_listed"))}
    reason = shared.reasons.get(str(row["area_id"]))
    if known(reason):  # the sentence the map popups show (pages/layers.py status_reasons)
        return {"why": [reason], "hidden": False, "years_listed": fmt(lang, "years_listed", row.get("years_listed"))}
    why = []
    if known(row.get("criteria_met")):
        met = lang("{n} of 4 criteria met", n=int(row["criteria_met"]))
        why.append(met + (f" ({row['criteria']})" if known(row.get("criteria")) and row["criteria"] else ""))
    elif known(row.get("status_reason")):
        why.append(str(row["status_reason"]))
    if known(row.get("criteria_unknown")) and row["criteria_unknown"]:
        why.append(lang("unknown: {names}", names=row["criteria_unknown"]))
    if "eligible" in row.index and not known(row["eligible"]):
        why.append(lang("whether the area is a social housing area of at least the law's number of residents is unknown"))
    elif known(row.get("eligible")) and not bool(row["eligible"]):
        why.append(lang("not a social housing area of at least the law's number of residents, so no status applies"))
    if row.get("status") == "undetermined" and known(row.get("deciding_unknown")):
        why.append(lang("undetermined: the status depends on {names}", names=row["deciding_unknown"]))
    return {"why": why, "hidden": False, "years_listed": fmt(lang, "years_listed", row.get("years_listed"))}


def _value_text(lang: Language, code: str, value: float) -> str:
    """A criterion's value or threshold: c2 as a multiple, the others as percentages."""
    return lang("{x} times", x=lang.number(value, 2)) if code == "c2" else lang.percent(value, 1)


def _threshold_text(lang: Language, code: str, threshold: float | None) -> str:
    """A threshold as the law writes it: 40 %, 3 times (one decimal only where it has one)."""
    if threshold is None:
        return lang("no data")
    if code == "c2":
        return lang("{x} times", x=lang.number(threshold, 0 if float(threshold).is_integer() else 1))
    return lang.percent(threshold, 0 if float(round(threshold * 100, 9)).is_integer() else 1)


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
        threshold_text = lang(COMPARISONS[comparison], t=_threshold_text(lang, code, threshold))
        value_text = shared.label if hidden else _value_text(lang, code, float(value)) if known(value) else lang("no data")
        item = {"code": code, "label": lang(label), "threshold": threshold_text, "value": value_text,
                "met": "" if code == "non_western" else shared.label if hidden else
                lang("met") if known(met) and bool(met) else lang("not met") if known(met) else lang("unknown"),
                "chart": None}
        if not hidden and known(value):
            item["chart"] = threshold_bar(float(value), threshold, bool(met) if known(met) else None,
                                          label=_value_text(lang, code, float(value)), threshold_label=threshold_text,
                                          axis_label=lambda v, c=code: _threshold_text(lang, c, v),
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
            items.append(lang(text, n=lang.number(value)))
    criteria = row.get("path_criteria")
    if "path_criteria" not in row.index:
        combination = None
    elif not known(criteria):
        combination = lang("The area is not on the list (udsat or worse): no path is needed.")
    else:
        combination = lang("The smallest combination that leaves the area with fewer than two criteria met: {criteria}, "
                           "{n} persons in all.", criteria=criteria, n=lang.number(row.get("path_persons")))
    return {"missing": None, "hidden": False, "items": items, "combination": combination}


# ---------------------------------------------------------------- dwellings


def gap_section(row: pd.Series, shared: Shared) -> dict:
    """The family housing gap of an omdannelse area: three alternatives (dwellings are not person-based)."""
    lang = shared.lang
    cap = shared.config["mix"].get("family_housing_cap")
    lead = lang("To bring social family dwellings down to {cap} of all dwellings by 2030, one of:",
                cap=lang.percent(cap, 0) if cap is not None else lang("no data"))
    present = [(c, t) for c, t in GAP_ITEMS if c in row.index]
    if not present:
        return {"missing": missing_columns(shared, "areas_mix", "gap_add_dwellings"), "items": [], "lead": lead}
    if not any(known(row[c]) and float(row[c]) > 0 for c, _ in present):
        return {"missing": None, "items": [], "lead": lang("The family housing gap applies to omdannelsesområder only; "
                                                            "this area has none.")}
    items = [lang(text, n=fmt(lang, column, row[column])) for column, text in present]
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
        rows.append({"label": lang(TENURE_LABELS[tenure]), "dwellings": fmt(lang, "dwellings", row.get(f"dwellings_{tenure}")),
                     "share": fmt(lang, "share_owner", share)})
    labels = [f"{r['label']}: {r['share']}" for r in rows]
    return {"missing": None, "rows": rows, "slices": tenure_bar(shares, labels),
            "dwellings": fmt(lang, "dwellings", row.get("dwellings")),
            "diversity": fmt(lang, "tenure_diversity", row.get("tenure_diversity"))}


# ---------------------------------------------------------------- access
