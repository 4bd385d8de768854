"""The districting's tables per plan (CONTRACT 6b): the plan x unit table and each plan's district polygons, each
school's pupils and group pupils before (today's districts) and after the plan, and the pupils of each housing
area that change school, from which school to which. What the pages show is computed here; they only place it."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.scenarios._tables import (
    DISTRICTING_CHANGE_COLUMNS as CHANGE_COLUMNS,
)
from pipeline.scenarios._tables import (
    DISTRICTING_PLAN_COLUMNS as PLAN_COLUMNS,
)
from pipeline.scenarios._tables import (
    DISTRICTING_SCHOOL_COLUMNS as SCHOOL_COLUMNS,
)
from pipeline.scenarios.districting_plans import DistrictingProblem


def _school_of(problem: DistrictingProblem, assign: np.ndarray) -> np.ndarray:
    """The school id of each unit under assign (None where unknown, -1)."""
    return np.where(assign >= 0, problem.school_ids[np.maximum(assign, 0)], None)


def _per_school(problem: DistrictingProblem, assign: np.ndarray, values: np.ndarray) -> np.ndarray:
    """values summed per school index over the units assigned to a school."""
    known = assign >= 0
    return np.bincount(assign[known], weights=values[known], minlength=problem.n_schools)


def plan_tables(problem: DistrictingProblem, units: gpd.GeoDataFrame, plans: dict) -> tuple[pd.DataFrame, dict]:
    """The long table plan x unit (with today's school as from_school_id) and each plan's district polygons
    (units dissolved by school)."""
    frames, districts = [], {}
    geoms = units.geometry.to_numpy()
    # street blocks and grid cells tile the municipality edge to edge: their coverage union is exact and fast
    union = shapely.coverage_union_all if bool(shapely.coverage_is_valid(geoms)) else shapely.union_all
    today = _school_of(problem, problem.current)
    for plan_id, assign in plans.items():
        known = assign >= 0
        moved = (problem.current >= 0) & known & (assign != problem.current)
        frames.append(pd.DataFrame({"plan_id": plan_id, "unit_id": problem.unit_ids,
                                    "school_id": _school_of(problem, assign), "from_school_id": today,
                                    "pupils": problem.pupils, "group_pupils": problem.group, "moved": moved}))
        present = np.unique(assign[known])
        polygons = gpd.GeoDataFrame({"school_id": problem.school_ids[present]},
                                    geometry=[union(geoms[assign == s]) for s in present], crs=units.crs)
        figures = pd.DataFrame({"school_id": problem.school_ids,
                                "pupils": _per_school(problem, assign, problem.pupils),
                                "group_pupils": _per_school(problem, assign, problem.group),
                                "capacity": problem.capacity})
        districts[plan_id] = polygons.merge(figures, on="school_id", how="left")
    return pd.concat(frames, ignore_index=True)[PLAN_COLUMNS], districts


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """part / whole, null where whole is 0 (a share of nobody is unknown, not 0)."""
    return np.where(whole > 0, part / np.where(whole > 0, whole, 1.0), np.nan)


def school_table(problem: DistrictingProblem, plans: dict, school_names: np.ndarray,
                 site_id: str | None = None) -> pd.DataFrame:
    """Per plan and school: its capacity (as cut under a development on its ground), and its pupils, group pupils
    and the group's share of its pupils before (today's districts) and after the plan."""
    before = {"pupils_before": _per_school(problem, problem.current, problem.pupils),
              "group_pupils_before": _per_school(problem, problem.current, problem.group)}
    before["group_share_before"] = _share(before["group_pupils_before"], before["pupils_before"])
    frames = []
    for plan_id, assign in plans.items():
        pupils, group = _per_school(problem, assign, problem.pupils), _per_school(problem, assign, problem.group)
        frames.append(pd.DataFrame({
            "plan_id": plan_id, "site_id": site_id, "school_id": problem.school_ids, "school_name": school_names,
            "capacity": problem.capacity, **before, "pupils_after": pupils, "group_pupils_after": group,
            "group_share_after": _share(group, pupils)}))
    return pd.concat(frames, ignore_index=True)[SCHOOL_COLUMNS]


def change_table(problem: DistrictingProblem, members: pd.DataFrame, plans: dict,
                 site_id: str | None = None) -> pd.DataFrame:
    """Per plan, housing area and pair of schools: the area's pupils (and group pupils) whose unit changes school
    from from_school_id (today's) to to_school_id; members holds each parcel's unit, area_id, pupils and group
    pupils. A parcel in no housing area counts under area_id null, so each plan's rows sum to its pupils_moved."""
    unit = members["unit"].to_numpy()
    frames = []
    for plan_id, assign in plans.items():
        moved = (problem.current >= 0) & (assign >= 0) & (assign != problem.current)
        rows = members[moved[unit]]
        if not len(rows):
            continue
        frame = pd.DataFrame({"area_id": rows["area_id"].to_numpy(),
                              "from_school_id": problem.school_ids[problem.current[rows["unit"]]],
                              "to_school_id": problem.school_ids[assign[rows["unit"]]],
                              "pupils": rows["pupils"].to_numpy(), "group_pupils": rows["group_pupils"].to_numpy()})
        frame = frame.groupby(["area_id", "from_school_id", "to_school_id"], dropna=False, as_index=False,
                              sort=True)[["pupils", "group_pupils"]].sum()
        frames.append(frame[frame["pupils"] > 0].assign(plan_id=plan_id, site_id=site_id))
    if not frames:
        return pd.DataFrame({c: pd.Series(dtype=float if c.endswith("pupils") else object) for c in CHANGE_COLUMNS})
    table = pd.concat(frames, ignore_index=True)[CHANGE_COLUMNS]
    table["area_id"] = table["area_id"].astype(object).where(table["area_id"].notna(), None)
    return table
