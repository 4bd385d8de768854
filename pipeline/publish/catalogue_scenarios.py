"""The publish catalogue's entries for the districting's and the plan's columns (CONTRACT 6a, 6b).

Part of pipeline/publish/catalogue.py, the one place every published column is classified; kept apart only
so that module stays readable.
"""

from __future__ import annotations

from pipeline.core.columns import TENURES
from pipeline.publish.indicator import Indicator, _share

SCENARIO_INDICATORS: dict[str, Indicator] = {}

# --- districting (CONTRACT 6b): plans of school districts over street blocks (pipeline/scenarios/districting*.py).
# A plan's figures are municipality-wide (not of one small area), like the school-site summaries; a unit's pupils
# and group pupils are counts of people in one street block: person-based.
SCENARIO_INDICATORS.update({
    "plan_id": Indicator("District plan", "text"),
    "on_school_id": Indicator("On the ground of school", "text"),
    "unit_id": Indicator("Street block or grid cell", "text"),
    "group_pupils": Indicator("Pupils of the group (udsat-or-worse areas)", "count", person=True),
    "moved": Indicator("Changes school in this plan", "flag"),
    "d_index": Indicator("Dissimilarity D across schools", "ratio", better="lower"),
    "pupils_moved": Indicator("Pupils changing school", "count"),
    "contiguous": Indicator("Every district in one piece", "flag"),
    "walk_breaches": Indicator("Blocks beyond the walk limit", "count"),
    "proposal": Indicator("Meets every constraint", "flag"),
    "engine": Indicator("Found by", "text"),
    "proved_optimal": Indicator("Proved optimal", "flag"),
    "binding": Indicator("Constraints broken", "text"),
    # each school's mix before (today's districts) and after a plan, and the pupils changing school per area
    "from_school_id": Indicator("School today", "text"),
    "to_school_id": Indicator("School in the plan", "text"),
    "pupils_before": Indicator("Pupils today", "count", person=True),
    "pupils_after": Indicator("Pupils in the plan", "count", person=True),
    "group_pupils_before": Indicator("Pupils of the group today", "count", person=True),
    "group_pupils_after": Indicator("Pupils of the group in the plan", "count", person=True),
    "group_share_before": Indicator("Share of the group among the pupils today", "share", person=True),
    "group_share_after": Indicator("Share of the group among the pupils in the plan", "share", person=True),
})
# --- the plan over time (CONTRACT 6a): plan_projects and the plan_* tables, all projections ---------------------
SCENARIO_INDICATORS.update({
    "project_id": Indicator("Project", "text"),
    "project_name": Indicator("Project name", "text"),
    "plan": Indicator("Transformation plan", "text"),
    "projects": Indicator("Projects taking effect that year", "text"),
    **{f"dwellings_change_{t}": Indicator(f"Change in {t.replace('_', ' ')} dwellings", "count")
       for t in (*TENURES, "other")},
    "jobs_change": Indicator("Change in jobs", "count"),
    "cost_dkk": Indicator("Cost (DKK)", "number"),
    "dwellings_changed": Indicator("Dwellings the project builds or removes", "count"),
    "residents_removed": Indicator("Residents of removed dwellings (projection)", "count", person=True),
    "rehoused_out": Indicator("Residents rehoused from the area (projection)", "count", person=True),
    "rehoused_in": Indicator("Rehoused residents received (projection)", "count", person=True),
    "status_without_rehousing": Indicator("Status without the rehoused residents (projection)", "text", person=True),
    "criteria_met_without_rehousing": Indicator("Criteria met without the rehoused residents (projection)", "count",
                                                person=True),
    "onto_list_by_rehousing": Indicator("Moved onto a list by rehousing alone (projection)", "flag", person=True),
    "projection_note": Indicator("Projection assumptions", "text"),
    "origin_area_id": Indicator("Area rehoused from", "text"),
    "origin_name": Indicator("Name of the area rehoused from", "text"),
    "own_area": Indicator("The project's own area", "flag"),
    "share_social_family_with": _share("Share social family dwellings with the project (projection)"),
    "share_social_family_without": _share("Share social family dwellings without the project (projection)"),
    "sum_of_project_changes": Indicator("Sum of the projects' changes in share social family (projection)", "points"),
    "gap_add_dwellings_with": Indicator("Dwellings to add with the project (projection)", "count"),
    "gap_add_dwellings_without": Indicator("Dwellings to add without the project (projection)", "count"),
    "gap_add_dwellings_change": Indicator("Change in dwellings to add (projection)", "count"),
    "status_with": Indicator("Status with the project (projection)", "text", person=True),
    "status_without": Indicator("Status without the project (projection)", "text", person=True),
    "criteria_met_with": Indicator("Criteria met with the project (projection)", "count", person=True),
    "criteria_met_without": Indicator("Criteria met without the project (projection)", "count", person=True),
    "residents_change": Indicator("Change in residents (projection)", "count", person=True),
    "share_change_per_dwelling": Indicator("Change in share social family per dwelling changed", "ratio"),
    "share_change_per_million_dkk": Indicator("Change in share social family per million DKK", "ratio"),
    "gap_change_per_million_dkk": Indicator("Change in dwellings to add per million DKK", "ratio"),
})
