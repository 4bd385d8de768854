"""The plan over time in plain words: what the plan's projects are projected to change, from plan_trajectory.

An area is touched by the plan when a project applies in it in some year or residents are rehoused into or
out of it (the same test as the profile's plan table). For a touched area, `projection_sentences` says, as
a projection and in the horizon year (the trajectory's last):
- the share of social family housing against today's, out of 10 homes (out of 100 where the two would read
  the same out of 10), when the rounded figures differ;
- where the family housing cap applies (the area is or becomes a transformation area) and today's share is
  over it: the first year the share is at or under the cap, or that it is still over it in the horizon year;
- a changed status (the horizon year's against today's; from a parallel society to a transformation area is the
  law's clock, which the status sentences tell already, not a move);
- for an area without a project of its own, the residents rehoused into it over the years, rounded;
and ends with one short sentence that the figures are an estimate. Person-based figures (the status, the
rehoused residents) of a small area are left out; without plan_trajectory (no plan_projects layer) or for an
area the plan does not touch there is no sentence at all. `moved_areas` lists, for the municipality page,
the areas whose share or status the plan is expected to move.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from pipeline.publish.catalogue import indicator
from pipeline.publish.i18n import Language
from pipeline.publish.summary.aspects import half_up, known_number, out_of, two_figures
from pipeline.publish.summary.sentences import DISTANCE, STATUS_SHORT

# The figures of these sentences are prose for residents (STYLE.md, klarsprog), not the glossary's table formats:
# rounded on purpose ("about 1,200", "3 out of 10", a rule's whole percent, a count of years or homes), so they
# are written here with the language's number format; the tables and popups take the prepared texts.

TRANSFORMATION = "omdannelse"


def own_projects(years: Sequence[Mapping[str, object]]) -> bool:
    """Whether a project of the plan applies in the area in some year."""
    return any(isinstance(y.get("projects"), str) and y["projects"].strip() for y in years)


def planned_areas(trajectory: pd.DataFrame | None) -> set[str]:
    """The areas where a project of the plan applies in some year (none without plan_trajectory)."""
    if trajectory is None or not len(trajectory) or "projects" not in trajectory.columns:
        return set()
    projects = trajectory["projects"].astype("string").str.strip()
    return set(trajectory.loc[projects.fillna("").ne("").to_numpy(), "area_id"].astype(str))


def touched(years: Sequence[Mapping[str, object]]) -> bool:
    """Whether the plan touches the area: a project in some year, or residents rehoused into or out of it."""
    if own_projects(years):
        return True
    for year in years:
        if (known_number(year.get("rehoused_in")) or 0) > 0 or (known_number(year.get("rehoused_out")) or 0) > 0:
            return True
    return False


def out_of_pair(before: float, after: float) -> int:
    """Out of 10, or out of 100 when the two shares would read the same out of 10 or one rounds to none of 10."""
    return 10 if half_up(before * 10) != half_up(after * 10) and min(before, after) >= 0.05 else 100


def cap_words(cap: float, lang: Language) -> str:
    """The cap as people read it: "4 out of 10" (out of 100 where the cap is no whole tenth)."""
    of = 10 if abs(cap * 10 - round(cap * 10)) < 1e-9 else 100
    return lang("{n} out of {of}", n=out_of(cap, of, lang), of=lang.number(of))


def cap_year(years: Sequence[Mapping[str, object]], cap: float) -> int | None:
    """The first year whose share of social family housing is at or under the cap (None when none is)."""
    for year in years:
        share = known_number(year.get("share_social_family"))
        if share is not None and share <= cap + 1e-12:
            return int(known_number(year.get("year")) or 0)
    return None


def _shown(column: str, hidden: bool) -> bool:
    """Whether the column may be said for this area (a person-based figure of a small area may not)."""
    return not (hidden and indicator(column).person)


def projection_sentences(row: Mapping[str, object], years: Sequence[Mapping[str, object]], hidden: bool,
                         settings: Mapping[str, float], lang: Language) -> list[str]:
    """What the plan is projected to change for the area: `row` its row of the areas table, `years` its rows of
    plan_trajectory (oldest first). None when the plan does not touch it."""
    if not years or not touched(years):
        return []
    out = _moves(row, years, hidden, settings, lang)
    moving_in = sum(known_number(y.get("rehoused_in")) or 0 for y in years)
    if _shown("rehoused_in", hidden) and moving_in > 0 and not own_projects(years):
        out.append(lang("About {n} residents from other areas are expected to move here because of the plan.",
                        n=lang.number(two_figures(moving_in))))
    return [*out, lang("This is an estimate.")] if out else []


def _moves(row: Mapping[str, object], years: Sequence[Mapping[str, object]], hidden: bool,
           settings: Mapping[str, float], lang: Language) -> list[str]:
    """The projected share of social family housing in the horizon year against today's, the cap, the status."""
    last = years[-1]
    horizon = str(int(known_number(last.get("year")) or 0))
    out = []
    before = known_number(row.get("share_social_family"))
    before = before if before is not None else known_number(years[0].get("share_social_family"))
    after = known_number(last.get("share_social_family"))
    if _shown("share_social_family", hidden) and before is not None and after is not None:
        of = out_of_pair(before, after)
        if out_of(before, of, lang) != out_of(after, of, lang):
            out.append(lang("With the plan, {after} out of {of} homes are expected to be social family housing in "
                            "{year}, against {before} today.", after=out_of(after, of, lang), of=lang.number(of),
                            before=out_of(before, of, lang), year=horizon))
            out += _cap(row, years, before, after, hidden, settings, lang)
    was, becomes = row.get("status"), last.get("status")
    if _shown("status", hidden) and was in DISTANCE and becomes in DISTANCE and DISTANCE[was] != DISTANCE[becomes]:
        out.append(lang("In {year} the area is expected to be off the lists, no longer {before}.", year=horizon,
                        before=lang(STATUS_SHORT[was])) if becomes == "none" else
                   lang("In {year} the area is expected to be {after} instead of {before}.", year=horizon,
                        after=lang(STATUS_SHORT[becomes]), before=lang(STATUS_SHORT[was])))
    return out


def _cap(row: Mapping[str, object], years: Sequence[Mapping[str, object]], before: float, after: float,
         hidden: bool, settings: Mapping[str, float], lang: Language) -> list[str]:
    """The cap on social family housing, for an area it applies to (a transformation area now or in the plan)."""
    cap = known_number(settings.get("family_housing_cap"))
    statuses = {row.get("status")} | ({y.get("status") for y in years} if _shown("status", hidden) else set())
    if cap is None or before <= cap or TRANSFORMATION not in statuses:
        return []
    reached = cap_year(years, cap)
    if reached is not None:
        return [lang("The area reaches the limit of {cap} in {year}.", cap=cap_words(cap, lang), year=str(reached))]
    return [lang("That is still over the limit of {cap}.", cap=cap_words(cap, lang))] if after > cap else []


def moved_areas(trajectory: pd.DataFrame | None, names: Mapping[str, str], hidden: set[str],
                settings: Mapping[str, float], lang: Language) -> list[str]:
    """For the municipality page: one sentence per area with a project of the plan whose projected share of social
    family housing or status moves by the horizon year, then how many areas without a project take in rehoused
    residents. Small areas (hidden) are never named."""
    if trajectory is None or not len(trajectory):
        return []
    out, receiving = [], 0
    ordered = trajectory.sort_values(["area_id", "year"], kind="stable")
    for area_id, frame in ordered.groupby(ordered["area_id"].astype(str), sort=False):  # one group per area
        years = frame.to_dict("records")
        if not touched(years):
            continue
        if not own_projects(years):
            receiving += sum(known_number(y.get("rehoused_in")) or 0 for y in years) > 0
            continue
        if area_id in hidden:
            continue
        first = years[0]
        said = _moves({"status": first.get("status"), "share_social_family": first.get("share_social_family")}, years,
                      False, settings, lang)
        if said:
            out.append(lang("{name}: {what}", name=names.get(area_id, area_id), what=" ".join(said)))
    if receiving:
        out.append(lang("Residents who must move are expected to be rehoused in {n} other areas.", n=lang.number(receiving))
                   if receiving > 1 else lang("Residents who must move are expected to be rehoused in 1 other area."))
    return [*out[:-1], out[-1] + " " + lang("This is an estimate.")] if out else []
