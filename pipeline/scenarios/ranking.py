"""The summaries the pages show and the objectives rank by, the ranks, and scenarios_ranking.json.

One row per school-site scenario (`school_summary`) and per development site (`development_summary`); the
ranks are computed from exactly these frames, the stage writes them as datasets, the ranking json is built
from them and the pages read them, so a page and the ranking cannot differ. See docs/scenarios.md.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from pipeline.core.errors import InputError, Problem
from pipeline.scenarios._tables import (
    BASELINE_ID,
    DEVELOPMENT_SUMMARY_COLUMNS,
    DISTRICTS_ID,
    SCHOOL_SUMMARY_COLUMNS,
)

# Figures of a scenario also given as the difference to the baseline's (gains and losses of free
# transport are already counted against the baseline).
AGAINST_BASELINE = ("dissimilarity", "mean_dist_m", "schools_over_capacity", "pupils_over_capacity")
# The receiving area's figures a development site's summary repeats from its row of the development table.
RECEIVING_COLUMNS = (
    "area_id", "area_name", "status_before", "status_after", "share_social_family_before",
    "share_social_family_after", "share_social_family_change", "gap_add_dwellings_before", "gap_add_dwellings_after",
    "gap_convert_dwellings_before", "gap_convert_dwellings_after", "dwellings_before", "dwellings_after",
    "new_dwellings", "new_jobs",
)


def _school_keys_min_dissimilarity_no_overcapacity(summary: pd.DataFrame) -> list[np.ndarray]:
    """Scenarios with no school over capacity first, then by fewest pupils over capacity; then lowest D."""
    return [summary["pupils_over_capacity"].to_numpy() > 0, summary["pupils_over_capacity"].to_numpy(),
            summary["dissimilarity"].fillna(np.inf).to_numpy()]


def _school_keys_min_dissimilarity(summary: pd.DataFrame) -> list[np.ndarray]:
    """Lowest D across schools, capacity ignored."""
    return [summary["dissimilarity"].fillna(np.inf).to_numpy()]


def _school_keys_min_mean_dist(summary: pd.DataFrame) -> list[np.ndarray]:
    """Shortest mean distance per pupil."""
    return [summary["mean_dist_m"].fillna(np.inf).to_numpy()]


def _development_keys_max_fall_share_social_family_omdannelse(summary: pd.DataFrame) -> list[np.ndarray]:
    """Largest fall in share_social_family summed over the omdannelse (transformation) areas."""
    return [(-summary["fall_share_social_family_omdannelse"]).fillna(np.inf).to_numpy()]  # unknown: last


def _development_keys_max_jobs_bike_30_gain(summary: pd.DataFrame) -> list[np.ndarray]:
    """Largest mean gain in jobs_bike_30 per resident of the housing areas (mean_jobs_bike_30_change)."""
    return [(-summary["mean_jobs_bike_30_change"]).fillna(np.inf).to_numpy()]  # unknown: last


SCHOOL_OBJECTIVES: dict[str, Callable[[pd.DataFrame], list[np.ndarray]]] = {
    "min_dissimilarity_no_overcapacity": _school_keys_min_dissimilarity_no_overcapacity,
    "min_dissimilarity": _school_keys_min_dissimilarity,
    "min_mean_dist": _school_keys_min_mean_dist,
}
DEVELOPMENT_OBJECTIVES: dict[str, Callable[[pd.DataFrame], list[np.ndarray]]] = {
    "max_fall_share_social_family_omdannelse": _development_keys_max_fall_share_social_family_omdannelse,
    "max_jobs_bike_30_gain": _development_keys_max_jobs_bike_30_gain,
}


def rank_candidates(summary: pd.DataFrame, objective: str, objectives: dict) -> np.ndarray:
    """Rank per row of summary (1 = best) by the named objective; ties keep the row order."""
    if objective not in objectives:
        raise InputError(Problem(
            f"the ranking objective '{objective}' is unknown",
            f"set it to one of: {', '.join(objectives)}", column="scenarios objective"))
    keys = objectives[objective](summary)
    order = np.lexsort([np.arange(len(summary)), *reversed(keys)])
    ranks = np.empty(len(summary), dtype=np.int64)
    ranks[order] = np.arange(1, len(summary) + 1)
    return ranks



# --- school sites ----------------------------------------------------------------------------------------

def school_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per scenario (indexed by scenario_id, in table order): D, pupils, the pupil-weighted mean distance, free
    transport gained and lost, schools and pupils over capacity, each also against the baseline; its rank
    when the table has one. `ranked` is false for today's districts as drawn (a reference row)."""
    ids = table["scenario_id"].astype(str)
    grouped = table.groupby(ids, sort=False)
    pupils = pd.to_numeric(table["pupils"]).astype(float)
    excess = (pupils - pd.to_numeric(table["capacity"]).astype(float)).clip(lower=0).fillna(0)
    summary = pd.DataFrame({
        "scenario_name": grouped["scenario_name"].first(),
        "ranked": grouped["scenario_id"].first().ne(DISTRICTS_ID),
        "rank": grouped["rank"].first() if "rank" in table else pd.NA,
        "pupils": grouped["pupils"].sum().astype("int64"),
        "dissimilarity": grouped["dissimilarity"].first().astype(float),
        "mean_dist_m": (pd.to_numeric(table["mean_dist_m"]) * pupils).groupby(ids, sort=False).sum()
        / pupils.groupby(ids, sort=False).sum().replace(0, np.nan),
        "pupils_gain_free_transport": grouped["pupils_gain_free_transport"].sum().astype("int64"),
        "pupils_lose_free_transport": grouped["pupils_lose_free_transport"].sum().astype("int64"),
        "schools_over_capacity": grouped["over_capacity"].sum().astype("int64"),
        "pupils_over_capacity": excess.groupby(ids, sort=False).sum().round().astype("int64"),
    })
    summary["rank"] = summary["rank"].astype("Int64")
    for column in AGAINST_BASELINE:
        base = summary.loc[BASELINE_ID, column] if BASELINE_ID in summary.index else np.nan
        summary[f"{column}_vs_baseline"] = summary[column] - base
    summary.index.name = "scenario_id"
    return summary[SCHOOL_SUMMARY_COLUMNS[1:]]


def rank_school_scenarios(table: pd.DataFrame, objective: str) -> pd.Series:
    """The rank of each ranked scenario (indexed by scenario_id; the baseline included, today's districts as
    drawn not) by the configured objective, computed on school_summary."""
    summary = school_summary(table)
    summary = summary[summary["ranked"]]
    return pd.Series(rank_candidates(summary, objective, SCHOOL_OBJECTIVES), index=summary.index, name="rank")


def school_summary_in_rank_order(table: pd.DataFrame) -> pd.DataFrame:
    """school_summary of a ranked table as the written dataset: ranked scenarios by rank, the reference row last."""
    summary = school_summary(table).reset_index()
    return summary.sort_values(["ranked", "rank"], ascending=[False, True], kind="stable").reset_index(drop=True)


def school_ranking(summary: pd.DataFrame, settings: dict) -> dict:
    """scenarios_ranking.json's school part, from the written summary: each ranked scenario in rank order,
    the best candidate, the baseline and the reference row (today's districts as drawn)."""
    records = _records(summary)
    ranked = [r for r in records if r["ranked"]]
    candidates = [r for r in ranked if r["scenario_id"] != BASELINE_ID]
    baseline = next((r for r in records if r["scenario_id"] == BASELINE_ID), None)
    best = candidates[0] if candidates else None
    return {"objective": settings["school_objective"], "honour_capacity": bool(settings["honour_capacity"]),
            "best": best, "best_beats_baseline": bool(best and baseline and best["rank"] < baseline["rank"]),
            "baseline": baseline, "reference": next((r for r in records if not r["ranked"]), None),
            "scenarios": ranked}


# --- development sites -------------------------------------------------------------------------------------

def mean_jobs_bike_30_change(table: pd.DataFrame) -> pd.Series:
    """Per site (indexed by site_id) the change in jobs_bike_30 per resident: the mean of the areas'
    jobs_bike_30_change weighted by their residents, over the areas where both are known (null when none)."""
    return _mean_change_per_resident(table, "jobs_bike_30_change")


def mean_jobs_transit_45_change(table: pd.DataFrame) -> pd.Series:
    """Per site the change in jobs_transit_45 per resident, weighted as mean_jobs_bike_30_change (null without
    a GTFS feed: the areas' changes are then unknown)."""
    if "jobs_transit_45_change" not in table:
        return pd.Series(np.nan, index=pd.Index(table["site_id"].astype(str).unique()))
    return _mean_change_per_resident(table, "jobs_transit_45_change")


def _mean_change_per_resident(table: pd.DataFrame, column: str) -> pd.Series:
    """Per site the areas' change in column weighted by their residents, over the areas where both are known."""
    site = table["site_id"].astype(str)
    change = pd.to_numeric(table[column]).astype(float)
    residents = pd.to_numeric(table["residents"]).astype(float)
    known = change.notna() & residents.notna()
    weighted = (change * residents).where(known, 0.0).groupby(site, sort=False).sum()
    weights = residents.where(known, 0.0).groupby(site, sort=False).sum()
    return weighted / weights.replace(0, np.nan)


def development_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per site (indexed by site_id, in table order): the receiving area before and after, the fall in
    share_social_family over the areas that were omdannelse, and the residents-weighted mean change in
    jobs_bike_30 (mean_jobs_bike_30_change); its rank when the table has one."""
    site = table["site_id"].astype(str)
    grouped = table.groupby(site, sort=False)
    omdannelse = table["status_before"].eq("omdannelse").fillna(False).astype(bool)
    change = pd.to_numeric(table["share_social_family_change"]).astype(float)
    # an omdannelse area whose change is unknown makes the site's fall unknown, never 0
    fall = (-change).where(omdannelse, 0.0)
    receiving = table[table["contains_site"].fillna(False).astype(bool).to_numpy()]
    receiving = receiving.assign(site_id=receiving["site_id"].astype(str)).drop_duplicates("site_id").set_index("site_id")
    summary = pd.DataFrame({"site_name": grouped["site_name"].first(),
                            "rank": grouped["rank"].first() if "rank" in table else pd.NA})
    summary["rank"] = summary["rank"].astype("Int64")
    for column in RECEIVING_COLUMNS:
        values = receiving[column].reindex(summary.index) if column in receiving else np.nan
        integer = column in receiving and pd.api.types.is_integer_dtype(receiving[column])
        summary[column] = values.astype("Int64") if integer else values  # a site in no area: null, not 0.0
    unknown = (omdannelse & change.isna()).groupby(site, sort=False).any()
    summary["fall_share_social_family_omdannelse"] = fall.groupby(site, sort=False).sum().mask(unknown)
    summary["mean_jobs_bike_30_change"] = mean_jobs_bike_30_change(table)
    summary["mean_jobs_transit_45_change"] = mean_jobs_transit_45_change(table)
    summary.index.name = "site_id"
    return summary[DEVELOPMENT_SUMMARY_COLUMNS[1:]]


def rank_development_sites(table: pd.DataFrame, objective: str) -> pd.Series:
    """The rank of each development site (indexed by site_id) by the configured objective, on development_summary."""
    summary = development_summary(table)
    return pd.Series(rank_candidates(summary, objective, DEVELOPMENT_OBJECTIVES), index=summary.index, name="rank")


def development_summary_in_rank_order(table: pd.DataFrame) -> pd.DataFrame:
    """development_summary of a ranked table as the written dataset: ranked sites by rank, the others last."""
    return development_summary(table).reset_index().sort_values("rank", na_position="last", kind="stable") \
        .reset_index(drop=True)


def development_ranking(summary: pd.DataFrame, settings: dict) -> dict:
    """scenarios_ranking.json's development part, from the written summary: each ranked site in rank order,
    the best site, and the sites that could not be ranked with the reason."""
    records = _records(summary)
    ranked = [r for r in records if r["rank"] is not None]
    reason = ("the site lies in no housing area nor within scenarios.development_max_dist_m of one, so its dwellings "
              "change no area; it is not ranked")
    not_ranked = [{**r, "reason": reason} for r in records if r["rank"] is None]
    return {"objective": settings["development_objective"], "best": ranked[0] if ranked else None, "sites": ranked,
            "not_ranked": not_ranked}


def _records(summary: pd.DataFrame) -> list[dict]:
    """A summary's rows as JSON records: nulls as None, numbers as Python numbers."""
    return summary.astype(object).where(summary.notna(), None).to_dict("records")
