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


def plan_section(area_id: str, shared: Shared) -> dict:
    """Per year: the projected social family share, status, the year's projects and the residents rehoused in and
    out; the person-based ones suppressed where that year's projected residents are few, as prepared for the plan
    page (figures.py's plan_years), so both pages show one text; no rows for an area the plan does not touch."""
    lang, prepared = shared.lang, shared.figures["plan_years"]
    if prepared is None or not len(prepared.values):  # no plan: the scenarios section says why
        return {"rows": [], "missing": missing_text(lang, shared.inputs, TRAJECTORY) if TRAJECTORY in shared.inputs.missing
                else None}
    rows = []
    # the hidden flags joined once, when the rows are first grouped by area (not again for every profile)
    for rec in shared.records_of("plan", prepared.values, area_id,
                                 lambda years: _touched(years.assign(_hidden=prepared.hidden))):  # one row per year
        hidden = bool(rec["_hidden"])
        rows.append({
            "year": str(int(rec["year"])),
            "share": shown(shared, "share_social_family", rec.get("share_social_family"), hidden),
            "status": status_text(lang, rec.get("status"), hidden, shared.label),
            "projects": fmt(lang, "projects", rec.get("projects")) if pd.notna(rec.get("projects")) else "",
            "moved_in": shown(shared, "rehoused_in", rec.get("rehoused_in"), hidden),
            "moved_out": shown(shared, "rehoused_out", rec.get("rehoused_out"), hidden),
        })
    return {"rows": rows, "missing": None}
