"""The plan over time as tables: the checked projects, the trajectory, the rehousing flows and each project's effect.

From the engine's variants (pipeline/scenarios/plan_trajectory.py): plan_trajectory (the whole plan, area x
year), plan_rehousing (rehoused residents per receiving area, origin and year, with what rehousing alone does
to the receiving area's status) and plan_projects_effect (per project, and for the plan as a whole, the
horizon year with and without it). CONTRACT 6a; docs/scenarios.md explains the assumptions.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.scenarios.plan_trajectory import (
    STATUS_ORDER,
    PlanProblem,
    Projects,
    Run,
    Settings,
    simulate,
)

PROJECTION_NOTE = ("projection: existing dwellings keep the area's residents per dwelling and composition; dwellings "
                   "built bring the reference composition; residents of removed social family dwellings are rehoused "
                   "with their origin's composition")
TRAJECTORY_COLUMNS = (
    "area_id", "name", "year", "rule_set", "projects", "jobs_change", "dwellings", "dwellings_{kinds}",
    "share_social_family", "gap_add_dwellings", "gap_convert_dwellings", "gap_demolish_dwellings", "residents",
    "{counts}", "share_outside_work_edu", "crime_ratio", "share_basic_edu", "income_ratio", "share_non_western",
    "c1_met", "c2_met", "c3_met", "c4_met", "criteria_met", "status", "status_reason", "years_listed",
    "residents_removed", "rehoused_out", "rehoused_in", "status_without_rehousing",
    "criteria_met_without_rehousing", "onto_list_by_rehousing", "projection_note",
)
REHOUSING_COLUMNS = ("year", "area_id", "name", "origin_area_id", "origin_name", "residents", "status",
                     "status_without_rehousing", "criteria_met", "criteria_met_without_rehousing", "onto_list_by_rehousing",
                     "projection_note")
EFFECT_COLUMNS = (
    "scope", "project_id", "project_name", "plan", "year", "area_id", "name", "own_area", "dwellings_changed",
    "cost_dkk", "share_social_family_with", "share_social_family_without", "share_social_family_change",
    "gap_add_dwellings_with", "gap_add_dwellings_without", "gap_add_dwellings_change", "status_with",
    "status_without", "criteria_met_with", "criteria_met_without", "residents_change",
    "share_change_per_dwelling", "share_change_per_million_dkk", "gap_change_per_million_dkk",
    "sum_of_project_changes", "rank", "projection_note",
)
PLAN_SCOPE, PROJECT_SCOPE = "plan", "project"


# --- the projects --------------------------------------------------------------------------------


def _problem(mask: np.ndarray, table: pd.DataFrame, what: str, fix: str, column: str | None = None) -> None:
    """Raise PlanProblem naming the projects where mask holds."""
    if mask.any():
        raise PlanProblem(what, fix, table["project_id"].astype("str")[mask].tolist(), column=column)


def check_projects(table: pd.DataFrame, kinds: list[str], area_ids: pd.Index, data_year: int) -> Projects:
    """The plan's projects, checked and in the order they apply (year, then project_id).

    Raises PlanProblem naming the projects for a conversion that does not balance (a row with both signs
    must sum to 0: a demolition and a new building are two projects), a year before the data's, an area
    that is not a housing area, a fraction of a dwelling. A removal of more dwellings than the area has is
    found while the plan runs (simulate).
    """
    out = table.copy()
    out["project_id"] = out["project_id"].astype("str")
    out["area_id"] = out["area_id"].astype("string")
    columns = [f"dwellings_change_{k}" for k in kinds]
    change = np.column_stack([pd.to_numeric(out[c]).to_numpy(dtype="float64", na_value=0.0)
                              if c in out.columns else np.zeros(len(out)) for c in columns]) \
        if len(out) else np.zeros((0, len(kinds)))
    _problem(~np.isclose(change, np.round(change)).all(axis=1), out, "dwelling changes must be whole dwellings",
             "give dwellings_change_<tenure> as signed whole numbers")
    year = pd.to_numeric(out["year"]).to_numpy(dtype="float64", na_value=np.nan)
    _problem(np.isnan(year), out, "a project has no year", "give the year the change takes effect", "year")
    _problem(year < data_year, out, f"a project takes effect before the data's year {data_year}",
             f"give a year from {data_year} on (changes before it are in the data already)", "year")
    mixed = (change < 0).any(axis=1) & (change > 0).any(axis=1)
    _problem(mixed & (change.sum(axis=1) != 0), out,
             "a conversion (minus on one tenure, plus on another) does not balance",
             "make the minus and plus sides equal; a demolition and a new building are two projects",
             columns[0] if columns else None)
    _problem(~out["area_id"].isin(area_ids).fillna(False).to_numpy(), out,
             "a project lies in no housing area", "give an area_id of housing_areas (or a geometry inside one)",
             "area_id")
    out["year"] = year.astype(int)
    for column in ("jobs_change", "cost_dkk"):
        out[column] = pd.to_numeric(out[column]) if column in out.columns else np.nan
    for column in ("name", "plan"):
        out[column] = out[column].astype("string") if column in out.columns else pd.NA
    order = np.lexsort((out["project_id"].to_numpy(), out["year"].to_numpy()))
    out, change = out.iloc[order].reset_index(drop=True), change[order]
    for j, column in enumerate(columns):
        out[column] = change[:, j].astype(np.int64)
    return Projects(out, area_ids.get_indexer(out["area_id"].astype("str")), change)


# --- the assumptions -----------------------------------------------------------------------------


def residents_per_dwelling(parcels: pd.DataFrame | None, kinds: list[str], given: dict | None) -> dict[str, float]:
    """Residents per dwelling built, per kind: `given` (config) where set, else the parcels holding only that
    kind (sum of residents / sum of dwellings), else the municipality's mean over all parcels."""
    given = {k: v for k, v in (given or {}).items() if v is not None}
    out: dict[str, float] = {}
    if parcels is not None and len(parcels):
        dw = np.column_stack([pd.to_numeric(parcels[f"dwellings_{k}"]).to_numpy(dtype="float64", na_value=np.nan)
                              if f"dwellings_{k}" in parcels.columns else np.zeros(len(parcels)) for k in kinds])
        res = pd.to_numeric(parcels["residents"]).to_numpy(dtype="float64", na_value=np.nan) \
            if "residents" in parcels.columns else np.full(len(parcels), np.nan)
        total = dw.sum(axis=1)
        known = ~np.isnan(res) & ~np.isnan(total) & (total > 0)
        mean = res[known].sum() / total[known].sum() if known.any() else np.nan
        for j, kind in enumerate(kinds):
            only = known & (dw[:, j] == total)
            out[kind] = res[only].sum() / total[only].sum() if only.any() else mean
    for kind in kinds:
        out[kind] = float(given.get(kind, out.get(kind, np.nan)))
    return out


def reference_composition(baseline: pd.DataFrame, counts: list[str], statuses: list[str],
                          areas: list[str] | None = None) -> np.ndarray:
    """Per count, per resident of the reference areas (the named areas, else those of the given statuses);
    each count over the areas where it and residents are known; NaN where none is."""
    chosen = baseline["area_id"].astype("str").isin(areas) if areas else baseline["status"].astype("object").isin(statuses)
    ref = baseline[chosen.to_numpy()]
    res = pd.to_numeric(ref["residents"]).to_numpy(dtype="float64", na_value=np.nan)
    out = []
    for count in counts:
        values = pd.to_numeric(ref[count]).to_numpy(dtype="float64", na_value=np.nan) if count in ref.columns \
            else np.full(len(ref), np.nan)
        known = ~np.isnan(values) & ~np.isnan(res)
        out.append(values[known].sum() / res[known].sum() if known.any() and res[known].sum() > 0 else np.nan)
    return np.array(out)


# --- the variants --------------------------------------------------------------------------------


def variants(n_projects: int) -> tuple[np.ndarray, np.ndarray]:
    """(active, arrivals): the whole plan, the whole plan with no arrivals, without each project, no plan."""
    active = np.ones((n_projects + 3, n_projects), dtype=bool)
    active[2:2 + n_projects] = ~np.eye(n_projects, dtype=bool)
    active[-1] = False
    arrivals = np.ones(n_projects + 3, dtype=bool)
    arrivals[1] = False
    return active, arrivals


def _rank(status: pd.Series) -> np.ndarray:
    """How hard a status is (-1 for undetermined)."""
    order = {s: i for i, s in enumerate(STATUS_ORDER)}
    return status.astype("object").map(lambda s: order.get(s, -1)).to_numpy()


def plan_tables(baseline: pd.DataFrame, projects: Projects, settings: Settings,
                mix_config: dict) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, Run]:
    """plan_trajectory, plan_rehousing and plan_projects_effect from the baseline (areas_mix rows) and the plan."""
    active, arrivals = variants(len(projects.table))
    run = simulate(baseline, projects, settings, mix_config, active, arrivals)
    trajectory = _trajectory(baseline, projects, settings, run)
    rehousing = _rehousing(baseline, trajectory, run)
    effect = _effect(baseline, projects, run)
    return trajectory, rehousing, effect, run


def _trajectory(baseline: pd.DataFrame, projects: Projects, settings: Settings, run: Run) -> pd.DataFrame:
    """The whole plan, area x year, with what rehousing alone changes in each area."""
    table = projects.table
    parts = []
    for y, year in enumerate(run.years):
        now, alone = run.variant(y, 0), run.variant(y, 1, ["status", "criteria_met"])
        part = now.copy()
        part.insert(0, "area_id", baseline["area_id"].astype("str").to_numpy())
        part.insert(1, "name", baseline["name"].astype("str").to_numpy() if "name" in baseline.columns else None)
        part.insert(2, "year", year)
        these = table[table["year"].eq(year)]
        ids = these.groupby("area_id")["project_id"].agg(", ".join)
        jobs = these.groupby("area_id")["jobs_change"].sum(min_count=1)
        part["projects"] = part["area_id"].map(ids).astype("string")
        part["jobs_change"] = part["area_id"].map(jobs).astype("Float64")
        part["residents_removed"] = run.residents_removed[y, 0]
        part["rehoused_out"] = run.rehoused_out[y, 0]
        part["rehoused_in"] = run.rehoused_in[y, 0]
        part["status_without_rehousing"] = alone["status"].to_numpy()
        part["criteria_met_without_rehousing"] = alone["criteria_met"].to_numpy()
        part["onto_list_by_rehousing"] = (_rank(now["status"]) > np.maximum(_rank(alone["status"]), 0))
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out["projection_note"] = PROJECTION_NOTE
    for column in ("residents", "residents_removed", "rehoused_out", "rehoused_in", "years_listed", "dwellings",
                   *[f"dwellings_{k}" for k in settings.kinds]):
        out[column] = pd.array(np.round(pd.to_numeric(out[column]).to_numpy(dtype="float64", na_value=np.nan)),
                               dtype="Float64").astype("Int64")
    columns = table_columns("plan_trajectory", settings.kinds, settings.counts)
    return out[columns].sort_values(["area_id", "year"], kind="stable").reset_index(drop=True)


def _rehousing(baseline: pd.DataFrame, trajectory: pd.DataFrame, run: Run) -> pd.DataFrame:
    """Rehoused residents per receiving area, origin and year, with the receiving area's status that year."""
    ids = baseline["area_id"].astype("str").to_numpy()
    names = baseline["name"].astype("str").to_numpy() if "name" in baseline.columns else ids
    flows = pd.DataFrame(run.flows, columns=["year", "origin", "receiver", "residents"])
    flows = flows.groupby(["year", "receiver", "origin"], as_index=False)["residents"].sum()
    out = pd.DataFrame({"year": flows["year"].astype("int64"), "area_id": ids[flows["receiver"]],
                        "name": names[flows["receiver"]], "origin_area_id": ids[flows["origin"]],
                        "origin_name": names[flows["origin"]],
                        "residents": pd.array(flows["residents"].to_numpy(), dtype="Float64").astype("Int64")})
    keys = ["status", "status_without_rehousing", "criteria_met", "criteria_met_without_rehousing",
            "onto_list_by_rehousing"]
    out = out.merge(trajectory[["area_id", "year", *keys]], on=["area_id", "year"], how="left")
    out["projection_note"] = PROJECTION_NOTE
    return out[list(REHOUSING_COLUMNS)]


def _effect(baseline: pd.DataFrame, projects: Projects, run: Run) -> pd.DataFrame:
    """Per project (and for the plan), the horizon year with and without it, for every area it changes."""
    n_area, table = len(baseline), projects.table
    last = len(run.years) - 1
    compared = ["share_social_family", "gap_add_dwellings", "status", "criteria_met", "residents"]
    whole = run.variant(last, 0, compared)
    rows = []
    sums = np.zeros(n_area)
    for p in range(len(table) + 1):
        scope = PROJECT_SCOPE if p < len(table) else PLAN_SCOPE
        without = run.variant(last, 2 + p, compared)
        frame = _compare(whole, without, baseline)
        if scope == PROJECT_SCOPE:
            row = table.iloc[p]
            own = np.arange(n_area) == projects.area_index[p]
            change = projects.change[p]
            frame["dwellings_changed"] = _dwellings_changed(change)
            for column, value in (("project_id", row["project_id"]), ("project_name", row["name"]),
                                  ("plan", row["plan"]), ("year", row["year"]), ("cost_dkk", row["cost_dkk"])):
                frame[column] = value
            sums += np.nan_to_num(frame["share_social_family_change"].to_numpy(dtype="float64", na_value=np.nan))
        else:
            own = np.isin(np.arange(n_area), projects.area_index)
            frame["dwellings_changed"] = sum(_dwellings_changed(c) for c in projects.change)
            frame["cost_dkk"] = table["cost_dkk"].sum(min_count=1) if len(table) else np.nan
            frame["sum_of_project_changes"] = sums
        frame["scope"], frame["own_area"] = scope, own
        rows.append(frame[own | frame["changed"].to_numpy()])
    out = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=list(EFFECT_COLUMNS))
    for column in ("project_id", "project_name", "plan", "year", "sum_of_project_changes"):
        if column not in out.columns:
            out[column] = None
    out["year"] = pd.array(pd.to_numeric(out["year"]), dtype="Int64")
    dwellings = pd.to_numeric(out["dwellings_changed"]).astype("float64")
    millions = pd.to_numeric(out["cost_dkk"]).astype("float64") / 1e6
    share_change = out["share_social_family_change"].astype("float64")
    out["share_change_per_dwelling"] = share_change / dwellings.where(dwellings > 0)
    out["share_change_per_million_dkk"] = share_change / millions.where(millions > 0)
    out["gap_change_per_million_dkk"] = out["gap_add_dwellings_change"].astype("Float64").astype("float64") / \
        millions.where(millions > 0)
    out["rank"] = _ranks(out)
    out["projection_note"] = PROJECTION_NOTE
    return out[list(EFFECT_COLUMNS)]


def _dwellings_changed(change: np.ndarray) -> float:
    """Dwellings a project changes: those built or removed (a conversion's dwellings once)."""
    return float(max(change[change > 0].sum(), -change[change < 0].sum()))


def _compare(whole: pd.DataFrame, without: pd.DataFrame, baseline: pd.DataFrame) -> pd.DataFrame:
    """Horizon figures of the whole plan against a variant, per area, with whether anything differs."""
    frame = pd.DataFrame({"area_id": baseline["area_id"].astype("str").to_numpy(),
                          "name": baseline["name"].astype("str").to_numpy() if "name" in baseline.columns else None})
    for column in ("share_social_family", "gap_add_dwellings", "status", "criteria_met"):
        frame[f"{column}_with"] = whole[column].to_numpy()
        frame[f"{column}_without"] = without[column].to_numpy()
    frame["share_social_family_change"] = (frame["share_social_family_with"].astype("float64")
                                           - frame["share_social_family_without"].astype("float64"))
    frame["gap_add_dwellings_with"] = frame["gap_add_dwellings_with"].astype("Int64")
    frame["gap_add_dwellings_without"] = frame["gap_add_dwellings_without"].astype("Int64")
    frame["gap_add_dwellings_change"] = frame["gap_add_dwellings_with"] - frame["gap_add_dwellings_without"]
    frame["residents_change"] = (pd.to_numeric(whole["residents"]) - pd.to_numeric(without["residents"])).to_numpy()
    frame["changed"] = (frame["share_social_family_change"].fillna(0).ne(0)
                        | frame["status_with"].ne(frame["status_without"])
                        | frame["gap_add_dwellings_change"].fillna(0).ne(0)
                        | frame["residents_change"].fillna(0).ne(0)).to_numpy()
    return frame


def _ranks(out: pd.DataFrame) -> pd.Series:
    """Projects ranked by effect on their own area: the largest fall in gap_add_dwellings, then in
    share_social_family, then project_id; null for other rows."""
    mine = out["scope"].eq(PROJECT_SCOPE) & out["own_area"]
    key = out[mine].assign(_gap=out["gap_add_dwellings_change"].astype("Float64").fillna(0).astype("float64"),
                           _share=out["share_social_family_change"].astype("float64").fillna(0))
    order = key.sort_values(["_gap", "_share", "project_id"], kind="stable").index
    rank = pd.Series(pd.NA, index=out.index, dtype="Int64")
    rank.loc[order] = np.arange(1, len(order) + 1)
    return rank


def table_columns(name: str, kinds: list[str], counts: list[str]) -> list[str]:
    """The columns of plan_trajectory, plan_rehousing or plan_projects_effect."""
    if name == "plan_rehousing":
        return list(REHOUSING_COLUMNS)
    if name == "plan_projects_effect":
        return list(EFFECT_COLUMNS)
    columns = []
    for c in TRAJECTORY_COLUMNS:
        columns += [f"dwellings_{k}" for k in kinds] if c == "dwellings_{kinds}" else list(counts) if c == "{counts}" \
            else [c]
    return columns


def empty_tables(kinds: list[str], counts: list[str]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The three plan tables with their columns and no rows (no plan_projects layer)."""
    return tuple(pd.DataFrame({c: pd.Series(dtype="object") for c in table_columns(n, kinds, counts)})
                 for n in ("plan_trajectory", "plan_rehousing", "plan_projects_effect"))
