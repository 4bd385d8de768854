"""The municipality in short (maps/kort-fortalt.html): where it stands, which areas moved, what the plans change.

The same plain sentences as the profiles' Kort fortalt, on one printable A4 sheet, linked from the index page.
Where it stands: the housing areas and their residents, how many are on each list (and which), and the
municipality's figures for work, jobs within reach and green space. Over the years: the areas whose status
moved towards balance or away from it between the history's first and latest year (a parallel society
becoming a transformation area is the law's clock, not a move). The plans: the areas the plan over time is
expected to move (their projected share of social family housing and status, from plan_trajectory), each
development site's homes and jobs and what it changes in the area it joins, and the school proposal ranked
first. Small areas (privacy) are counted but never named, and their status is never shown.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.core.config import Config
from pipeline.core.log import log
from pipeline.publish.figures import Prepared, figures_of
from pipeline.publish.i18n import Language
from pipeline.publish.inputs import Inputs
from pipeline.publish.pages.kit import INDICATIVE, data_date, in_page_language, run_id, shown_date
from pipeline.publish.profile_places import municipality_means
from pipeline.publish.profile_sections import ACCESS_FIELDS, reason_text
from pipeline.publish.profiles import environment
from pipeline.publish.summary.aspects import half_up, known_number, out_of, two_figures
from pipeline.publish.summary.profile import municipality_figures
from pipeline.publish.summary.projection import moved_areas, planned_areas
from pipeline.publish.summary.sentences import DISTANCE, STATUS_SHORT, joined

# The figures of these sentences are prose for residents (STYLE.md, klarsprog), not the glossary's table formats:
# rounded on purpose ("about 1,200", "3 out of 10", a rule's whole percent, a count of years or homes), so they
# are written here with the language's number format; the tables and popups take the prepared texts.

PAGE_FILE = "kort-fortalt.html"
# The lists, most serious first: the status, and how a count of areas with it is said (one, several).
LIST_COUNTS = (
    ("omdannelse", "1 transformation area", "{n} transformation areas"),
    ("parallelsamfund", "1 parallel society", "{n} parallel societies"),
    ("udsat", "1 vulnerable housing area", "{n} vulnerable housing areas"),
    ("forebyggelse", "1 prevention area", "{n} prevention areas"),
)


def _names(frame: pd.DataFrame) -> list[str]:
    """The areas' names (their ids where the name is missing), sorted."""
    names = frame["name"].where(frame["name"].notna(), frame["area_id"]) if "name" in frame.columns else frame["area_id"]
    return sorted(str(n) for n in names)


def standing(table: pd.DataFrame, small: pd.Series, means: dict, config: Config, lang: Language) -> list[str]:
    """Where the municipality stands: areas, residents, the lists and three figures of the municipality (`means`:
    municipality_access's and municipality_mix's columns, as the stages wrote them)."""
    residents = known_number(pd.to_numeric(table.get("residents"), errors="coerce").sum()) if "residents" in table else None
    out = [lang("The municipality has {n} housing areas with about {residents} residents.", n=lang.number(len(table)),
                residents=lang.number(two_figures(residents or 0)))]
    shown = table[~small.to_numpy()]
    counts, named = [], []
    for status, one, many in LIST_COUNTS:
        found = shown[shown["status"] == status] if "status" in shown.columns else shown.iloc[0:0]
        if len(found):
            counts.append(lang(one) if len(found) == 1 else lang(many, n=lang.number(len(found))))
            named += _names(found)
    if counts:
        out.append(lang("Of these, {list} are on the lists or close to them.", list=joined(counts, lang)))
        out.append(lang("These are {names}.", names=joined(named, lang)))
    else:
        out.append(lang("None of the areas is on the lists."))
    work, jobs = means.get("share_outside_work_edu"), means.get("jobs_bike_30")
    green = means.get("share_residents_green_300")
    if work is not None:
        out.append(lang("In all housing areas together {n} out of 10 adults aged 18 to 64 are neither in work nor in "
                        "education.", n=out_of(work, 10, lang)))
    if jobs is not None:
        out.append(lang("Within {minutes} minutes by bike a resident can reach about {n} jobs on average.",
                        minutes=lang.number(config["access"]["jobs_bike_minutes"]), n=lang.number(two_figures(jobs))))
    if green is not None:
        out.append(lang("{n} out of 10 residents live at most {metres} metres from a park or other green area.",
                        n=out_of(green, 10, lang), metres=lang.number(config["access"]["green_near_m"])))
    return out


def moves(prepared: Prepared | None, table: pd.DataFrame, small: pd.Series,
          lang: Language) -> tuple[str, list[str], list[str]]:
    """The history's first year, and the areas that moved towards balance and away from it, as sentences (an area
    suppressed today, or in either year as prepared, is never named)."""
    history = prepared.values.assign(_hidden=prepared.hidden) if prepared is not None else None
    if history is None or not len(history) or "status" not in history.columns:
        return "", [], []
    years = history[pd.to_numeric(history["year"], errors="coerce").notna()]
    if years["year"].nunique() < 2:  # statistics of one year (or none with a year): no trend
        return "", [], []
    first, last = int(years["year"].min()), int(years["year"].max())
    before = years[years["year"] == first].set_index(years[years["year"] == first]["area_id"].astype(str))["status"]
    now = years[years["year"] == last].set_index(years[years["year"] == last]["area_id"].astype(str))["status"]
    names = dict(zip(table["area_id"].astype(str), _names_in_order(table), strict=True))
    hidden = set(table["area_id"].astype(str)[small.to_numpy()])
    few = years[years["_hidden"].to_numpy()]  # an area with few residents in either year is never named (privacy)
    hidden |= set(few[few["year"].isin([first, last])]["area_id"].astype(str))
    towards, away = [], []
    for area_id in sorted(set(before.index) & set(now.index), key=lambda a: names.get(a, a)):  # one line per area
        was, became = before[area_id], now[area_id]
        if area_id in hidden or was not in DISTANCE or became not in DISTANCE or DISTANCE[was] == DISTANCE[became]:
            continue
        line = lang("{name}: from {before} to {now}.", name=names.get(area_id, area_id),
                    before=lang(STATUS_SHORT[was]), now=lang(STATUS_SHORT[became]))
        (towards if DISTANCE[became] < DISTANCE[was] else away).append(line)
    return str(first), towards, away


def _names_in_order(table: pd.DataFrame) -> list[str]:
    """Each area's name in the table's order (its id where the name is missing)."""
    if "name" not in table.columns:
        return table["area_id"].astype(str).tolist()
    return [str(n) if pd.notna(n) else str(i) for n, i in zip(table["name"], table["area_id"], strict=True)]


def plans(inputs: Inputs, table: pd.DataFrame, small: pd.Series, config: Config, lang: Language) -> list[str]:
    """The areas the plan over time is expected to move (projection.py), each development site's homes and jobs and
    its effect on its area, then the school proposal ranked first."""
    hidden = set(table["area_id"].astype(str)[small.to_numpy()])
    names = dict(zip(table["area_id"].astype(str), _names_in_order(table), strict=True))
    settings = {"family_housing_cap": config["mix"].get("family_housing_cap")}
    trajectory = inputs.get("plan_trajectory")
    out = moved_areas(trajectory, names, hidden, settings, lang)
    planned = planned_areas(trajectory)  # the plan's projection says what happens to their homes
    sites = inputs.get("scenarios_development_summary")
    if sites is not None and len(sites):
        ordered = sites.assign(_rank=pd.to_numeric(sites.get("rank"), errors="coerce").fillna(1e9)).sort_values("_rank")
        for site in ordered.to_dict("records"):  # a handful of sites, one item each
            said = _site(site, lang, share=str(site.get("area_id")) not in planned)
            if said:
                out.append(" ".join(said))
    summary = inputs.get("scenarios_school_summary")
    if summary is not None and len(summary) and "rank" in summary.columns:
        first = summary[(pd.to_numeric(summary["rank"], errors="coerce") == 1) & (summary["scenario_id"] != "baseline")]
        if len(first):
            row = first.iloc[0]
            school = [lang("The school proposal ranked first is {name}.", name=str(row.get("scenario_name") or row["scenario_id"]))]
            change = known_number(row.get("mean_dist_m_vs_baseline"))
            if change is not None and abs(change) >= 10:
                school.append(lang("The way to school gets about {n} metres longer on average.", n=lang.number(two_figures(change)))
                           if change > 0 else
                           lang("The way to school gets about {n} metres shorter on average.", n=lang.number(two_figures(-change))))
            out.append(" ".join(school))
    return out


# What the plans section is made of, each the dataset saying it (message ids): when one is missing the page says
# why (a layer not supplied names it; a stage not run asks for the run), never "no plans yet".
PLAN_PARTS = (("plan_trajectory", "The plan over time"), ("scenarios_development_summary", "the development sites"),
              ("scenarios_school_summary", "the school sites"))


def plans_missing(inputs: Inputs, lang: Language) -> list[str]:
    """Why parts of the plans are not there, one sentence per reason naming the parts ("The plan over time: not
    supplied: no plan_projects layer is configured (...)")."""
    parts: dict[str, list[str]] = {}
    for name, what in PLAN_PARTS:
        if name in inputs.missing:
            parts.setdefault(reason_text(lang, inputs.missing[name]), []).append(lang(what))
    return [lang("{what}: {reason}.", what=_capital(joined(whats, lang)), reason=reason)
            for reason, whats in parts.items()]


def _capital(text: str) -> str:
    """The text with its first letter upper case (a sentence's start)."""
    return text[:1].upper() + text[1:]


def years_note(history: pd.DataFrame | None, inputs: Inputs, lang: Language) -> str:
    """Why no change over the years is shown: the history is missing (and why), or it holds one year (or none)."""
    if "areas_mix_history" in inputs.missing:
        return lang("{what}: {reason}.", what=lang("The history"),
                    reason=reason_text(lang, inputs.missing["areas_mix_history"]))
    years = pd.to_numeric(history["year"], errors="coerce").dropna() if history is not None and "year" in history else []
    if len(years):
        return lang("The statistics cover one year only ({year}), so no change over the years can be shown.",
                    year=str(int(years.max())))
    return lang("The statistics give no year, so no change over the years can be shown.")


def _site(site: dict, lang: Language, *, share: bool = True) -> list[str]:
    """One development site: its homes and jobs, and (unless not `share`) the social family share of the area it
    joins."""
    name = str(site.get("site_name") or site.get("site_id"))
    homes, jobs = known_number(site.get("new_dwellings")) or 0, known_number(site.get("new_jobs")) or 0
    area = site.get("area_name") if isinstance(site.get("area_name"), str) else None
    values = {"site": name, "homes": lang.number(homes), "jobs": lang.number(jobs), "area": area}
    if area and homes and jobs:
        out = [lang("{site} brings {homes} new homes and {jobs} new jobs to {area}.", **values)]
    elif area and (homes or jobs):
        out = [lang("{site} brings {homes} new homes to {area}.", **values) if homes
               else lang("{site} brings {jobs} new jobs to {area}.", **values)]
    elif jobs:
        out = [lang("{site} brings {jobs} new jobs.", **values)]
    else:
        return []
    before, after = known_number(site.get("share_social_family_before")), known_number(site.get("share_social_family_after"))
    if share and area and before is not None and after is not None and half_up(before * 10) != half_up(after * 10) \
            and min(before, after) >= 0.05:
        out.append(lang("Then {after} out of {of} homes would be social family housing, against {before} today.",
                        after=out_of(after, 10, lang), before=out_of(before, 10, lang), of=lang.number(10)))
    return out


@in_page_language
def build_kort_fortalt(inputs: Inputs, config: Config, maps_dir: Path, *, lang: Language) -> Path:
    """Write maps/kort-fortalt.html: the municipality in short, for residents, on one printable sheet."""
    figures = figures_of(inputs, config, lang)
    table, small = figures["areas"].values, figures["areas"].hidden
    means = municipality_figures(inputs, municipality_means(inputs.get("municipality_access"), ACCESS_FIELDS))
    first, towards, away = moves(figures["history"], table, small, lang)
    page = environment().get_template("kort_fortalt.html").render(
        _=lang, lang=lang.code, standing=standing(table, small, means, config, lang), first_year=first,
        years_note="" if first else years_note(inputs.get("areas_mix_history"), inputs, lang),
        towards=towards, away=away, plans=plans(inputs, table, small, config, lang),
        plans_missing=plans_missing(inputs, lang), indicative=lang(INDICATIVE),
        meta={"data_date": shown_date(data_date(config), lang), "run_id": lang(run_id(config)),
              "data_note": str(config.get("data_note") or "")})
    path = Path(maps_dir) / PAGE_FILE
    path.write_text(page, encoding="utf-8")
    log.info("Wrote the municipality in short (%s)", path)
    return path
