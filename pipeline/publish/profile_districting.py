"""The district proposals in a housing-area profile (CONTRACT 6b): which of the proposals the school-sites page draws
(publish.districting_plans_shown) move some of the area's pupils to another school, from which school to which and
how many (districting_changes, as the scenarios stage wrote it), one row per plan; or that none does; nothing when
no proposal was drawn (districting switched off, or no plan met every constraint)."""

from __future__ import annotations

import pandas as pd

from pipeline.publish.pages.district_plans import plan_name, school_mixes, school_names, shown_plans
from pipeline.publish.profile_sections import shown
from pipeline.publish.profile_shared import Shared


def _in_plan_order(changes: pd.DataFrame, plan_ids: list[str]) -> pd.DataFrame:
    """The changes of the plans shown (under today's schools), in the plans' order, the most pupils first."""
    if "site_id" in changes.columns:
        changes = changes[changes["site_id"].isna()]
    changes = changes[changes["area_id"].notna() & changes["plan_id"].astype(str).isin(plan_ids)]
    order = changes["plan_id"].astype(str).map({p: i for i, p in enumerate(plan_ids)})
    return changes.assign(_order=order.to_numpy()).sort_values(["_order", "pupils"], ascending=[True, False],
                                                               kind="stable")


def districting_section(area_id: str, hidden: bool, shared: Shared) -> dict:
    """One row per proposal shown that changes the school of some of the area's pupils: the plan, its moves (each
    school today -> the schools in the plan, with their pupils) and the pupils changing school in all (pupils are
    person-based: suppressed for a small area); `drawn` false when no proposal was drawn, so the profile says
    nothing of them. One row per plan keeps the profile on its three printed sheets."""
    inputs, lang = shared.inputs, shared.lang
    plan_ids = [p for p in shown_plans(inputs.get("districting_summary"), shared.config) if p != "current"]
    changes, mixes = inputs.get("districting_changes"), school_mixes(inputs)
    if not plan_ids or changes is None or mixes is None:
        return {"drawn": False, "rows": []}
    names = school_names(mixes)
    found = shared.records_of("districting", changes, area_id, prepare=lambda frame: _in_plan_order(frame, plan_ids))
    by_plan: dict[str, dict[str, list[str]]] = {}
    totals: dict[str, float] = {}
    for c in found:  # a plan or three, a pair of schools or two each
        plan, source = str(c["plan_id"]), names.get(str(c["from_school_id"]), str(c["from_school_id"]))
        target = names.get(str(c["to_school_id"]), str(c["to_school_id"]))
        by_plan.setdefault(plan, {}).setdefault(source, []).append(
            f"{target} ({shown(shared, 'pupils', c.get('pupils'), hidden)})")
        totals[plan] = totals.get(plan, 0.0) + float(c.get("pupils") or 0.0)
    rows = [{"plan": plan_name(plan, lang),
             "moves": "; ".join(f"{source} → {', '.join(targets)}" for source, targets in moves.items()),
             "pupils": shown(shared, "pupils", totals[plan], hidden)} for plan, moves in by_plan.items()]
    return {"drawn": True, "rows": rows}
