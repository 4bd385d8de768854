"""The plan over time in a housing-area profile: the area's projected share, status and rehousing year by year,
for the areas the plan touches (a project in the area, or rehoused residents in or out), read from plan_trajectory."""

from __future__ import annotations

import pandas as pd

from pipeline.publish.profile_sections import fmt, missing_text, shown, status_text
from pipeline.publish.profile_shared import Shared

TRAJECTORY = "plan_trajectory"


def _touched(trajectory: pd.DataFrame) -> pd.DataFrame:
    """The rows of the areas with a project or rehoused residents in any year."""
    moved = pd.to_numeric(trajectory["rehoused_in"]).fillna(0).gt(0) | pd.to_numeric(
        trajectory["rehoused_out"]).fillna(0).gt(0) | trajectory["projects"].notna()
    touched = set(trajectory.loc[moved.to_numpy(), "area_id"].astype(str))
    return trajectory[trajectory["area_id"].astype(str).isin(touched)].sort_values("year", kind="stable")


def plan_section(area_id: str, hidden: bool, shared: Shared) -> dict:
    """Per year: the projected social family share, status (suppressed where small), the year's projects and the
    residents rehoused in and out (people: suppressed where small); no rows for an area the plan does not touch."""
    lang, table = shared.lang, shared.inputs.get("plan_trajectory")
    if table is None or not len(table):  # no plan: the scenarios section says why (not supplied, not computed)
        return {"rows": [], "missing": missing_text(lang, shared.inputs, TRAJECTORY) if TRAJECTORY in shared.inputs.missing
                else None}
    rows = []
    for rec in shared.records_of("plan", table, area_id, _touched):  # one row per year
        rows.append({
            "year": str(int(rec["year"])),
            "share": shown(shared, "share_social_family", rec.get("share_social_family"), False),
            "status": status_text(lang, rec.get("status"), hidden, shared.label),
            "projects": fmt(lang, "projects", rec.get("projects")) if pd.notna(rec.get("projects")) else "",
            "moved_in": shown(shared, "rehoused_in", rec.get("rehoused_in"), hidden),
            "moved_out": shown(shared, "rehoused_out", rec.get("rehoused_out"), hidden),
        })
    return {"rows": rows, "missing": None}
