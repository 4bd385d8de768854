"""The sentences of a summary besides strengths and challenges: what the status means, the trend, the plan.

Every sentence is an English message id with its Danish text in locale/da/LC_MESSAGES/summary.po, filled
from the figures; none names a criterion code or a section of the law. Limits (the non-Western share of a
parallel society, the family housing cap, the years to a transformation area) are read from what the run
applied, never written into a message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pipeline.publish.i18n import Language
from pipeline.publish.summary.aspects import half_up, known_number, out_of, two_figures

# The figures of these sentences are prose for residents (STYLE.md, klarsprog), not the glossary's table formats:
# rounded on purpose ("about 1,200", "3 out of 10", a rule's whole percent, a count of years or homes), so they
# are written here with the language's number format; the tables and popups take the prepared texts.

# What each criterion is about, in one word (c1 work, c2 crime, c3 education, c4 income).
CRITERION_WORDS = {"c1": "work", "c2": "crime", "c3": "education", "c4": "income"}
# Each status as the middle of a sentence ("In 2020 the area was ...").
STATUS_SHORT = {
    "none": "not on any list",
    "forebyggelse": "a prevention area",
    "udsat": "a vulnerable housing area",
    "parallelsamfund": "a parallel society",
    "omdannelse": "a transformation area",
}
LISTED = ("udsat", "parallelsamfund", "omdannelse")
# How far from balance each status is; a transformation area is a parallel society grown old on the list (the
# step between them is the law's clock, not a move).
DISTANCE = {"none": 0, "forebyggelse": 1, "udsat": 2, "parallelsamfund": 3, "omdannelse": 3}
# The figures the trend follows: column, better direction, sentence when better, sentence when worse.
TRENDS = (
    ("share_outside_work_edu", "lower", "A larger part of the adults are in work or in education than in {year}.",
     "A smaller part of the adults are in work or in education than in {year}."),
    ("share_basic_edu", "lower", "A smaller part of the adults have only primary school than in {year}.",
     "A larger part of the adults have only primary school than in {year}."),
    ("income_ratio", "higher", "Incomes have grown more than in the rest of the region since {year}.",
     "Incomes have grown less than in the rest of the region since {year}."),
)


def joined(items: Sequence[str], lang: Language) -> str:
    """Words as a list in a sentence: "a", "a and b", "a, b and c"."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " " + lang("and") + " " + items[-1]


def _flag(value: object) -> bool:
    """True only for a known true value (None, NaN and pandas NA are not true)."""
    try:
        return bool(value) and value == value
    except TypeError:  # pandas.NA
        return False


def _criteria_words(row: Mapping[str, object], lang: Language, *, prevention: bool = False) -> str:
    """The criteria the area meets (or, for a prevention area, its prevention criteria) as words."""
    if prevention:
        codes = [c.strip() for c in str(row.get("prevention_criteria") or "").split(",") if c.strip()]
    else:
        codes = [code for code in CRITERION_WORDS if _flag(row.get(f"{code}_met"))]
    return joined([lang(CRITERION_WORDS[c]) for c in codes if c in CRITERION_WORDS], lang)


def status_sentences(row: Mapping[str, object], hidden: bool, settings: Mapping[str, float],
                     lang: Language) -> list[str]:
    """What the area's status means and what it does not mean, in a few short sentences without codes."""
    if hidden:
        return [lang("Few people live in the area."), lang("So we do not show figures about its residents here.")]
    status = row.get("status")
    if status == "none":
        eligible = row.get("eligible")
        reason = (lang("The lists only cover large areas with mostly social housing.")
                  if eligible is not None and eligible == eligible and not _flag(eligible)
                  else lang("Its figures for work, education, income and crime do not put it on a list."))
        return [lang("The area is not on any of the lists of vulnerable housing areas."), reason]
    if status == "forebyggelse":
        words = _criteria_words(row, lang, prevention=True)
        out = [lang("The area is a prevention area. It is not on the list of vulnerable housing areas.")]
        if words:
            out.append(lang("But its figures for {list} are close to the limits.", list=words))
        out += [lang("So the municipality and the housing association keep an extra eye on it."),
                lang("It does not mean that anyone must move.")]
        return out
    if status in LISTED:
        return _listed(row, status, settings, lang)
    if status == "undetermined":
        return [lang("We cannot say if the area is on a list of vulnerable housing areas."),
                lang("Some of the figures are missing.")]
    return [lang("We have no figures about the area's status.")]


def _listed(row: Mapping[str, object], status: str, settings: Mapping[str, float], lang: Language) -> list[str]:
    """The sentences of an area on the list: vulnerable, parallel society or transformation area."""
    words = _criteria_words(row, lang)
    because = [lang("This is because of its figures for {list}.", list=words)] if words else []
    whole = lang("The list is about the area as a whole, not about each resident.")
    if status == "udsat":
        return [lang("The area is on the list of vulnerable housing areas."), *because, whole,
                lang("It does not mean that anyone must move.")]
    share = settings.get("non_western_threshold")
    parallel = ([lang("More than {share} of its residents have a non-Western background.", share=lang.percent(share, 0))]
                if known_number(share) is not None else [])
    if status == "parallelsamfund":
        out = [lang("The area is on the list of parallel societies."), *parallel, *because, whole]
        years = known_number(settings.get("omdannelse_years"))
        if years is not None:
            out.append(lang("If it stays on the list for {n} years in a row, it becomes a transformation area.",
                            n=lang.number(years)))
        return out
    listed = known_number(row.get("years_listed"))
    years = listed + 1 if listed is not None else known_number(settings.get("omdannelse_years"))
    out = [lang("The area is a transformation area.")]
    if years is not None:
        out.append(lang("It has been on the list of parallel societies for {n} years in a row.", n=lang.number(years)))
    cap = known_number(settings.get("family_housing_cap"))
    if cap is not None:
        out.append(lang("By 2030 at most {cap} of its homes may be social family housing.", cap=lang.percent(cap, 0)))
    add, convert = known_number(row.get("gap_add_dwellings")), known_number(row.get("gap_convert_dwellings"))
    if add and convert:
        out.append(lang("That means about {add} new homes of other kinds, or about {convert} homes sold or changed.",
                        add=lang.number(two_figures(add)), convert=lang.number(two_figures(convert))))
    out.append(lang("Residents who must move have the right to be offered another home."))
    return out


# ---------------------------------------------------------------- the trend


def trend_sentences(years: Sequence[Mapping[str, object]], min_difference: float, lang: Language) -> list[str]:
    """The trend from the first year of the history to the latest: the status, then work, education and income.

    `years` are the area's rows of areas_mix_history that may be shown (privacy), oldest first."""
    if len(years) < 2:
        return []
    first, last = years[0], years[-1]
    year = str(int(known_number(first.get("year")) or 0))
    out = []
    before, now = first.get("status"), last.get("status")
    statuses = {y.get("status") for y in years}
    if before in STATUS_SHORT and now in STATUS_SHORT and before != now:
        out.append(lang("In {year} the area was {before}. Now it is {now}.", year=year,
                        before=lang(STATUS_SHORT[before]), now=lang(STATUS_SHORT[now])))
    elif len(statuses) == 1 and now in STATUS_SHORT and now != "none":
        out.append(lang("The area has been {status} since {year}.", status=lang(STATUS_SHORT[now]), year=year))
    moved = []
    for column, better, good, bad in TRENDS:
        a, b = known_number(first.get(column)), known_number(last.get(column))
        if a is None or b is None or a == 0:
            continue
        change = (b - a) / abs(a) if better == "higher" else (a - b) / abs(a)
        if abs(change) >= min_difference:
            moved.append(lang(good if change > 0 else bad, year=year))
    if moved:
        out += moved
    elif any(known_number(first.get(c)) is not None for c, *_ in TRENDS):
        out.append(lang("The figures for work, education and income are about the same as in {year}.", year=year))
    return out


# ---------------------------------------------------------------- the plan


def plan_sentences(sites: Sequence[Mapping[str, object]], schools: Sequence[Mapping[str, object]], hidden: bool,
                   min_jobs_change: float, lang: Language, *, planned: bool = False,
                   projected: bool = False) -> list[str]:
    """What the plan's development sites and the first school proposal change for the area.

    `sites` are the area's rows of scenarios_development (one per site), `schools` the area's school
    catchments per scenario (scenario_id, scenario_name, school_name, rank, area_share). `planned`: the plan over
    time has projects in the area, and its projection says what they do to the homes (projection.py), so a
    site's share of social family housing is not said beside it; `projected`: the projection speaks of the area,
    so "no building project lies in the area" is not said beside it either."""
    out = []
    for site in sorted((s for s in sites if _flag(s.get("contains_site"))), key=lambda s: known_number(s.get("rank")) or 0):
        out += _own_site(site, hidden, lang, share=not planned)
    if not out and sites and not projected:
        out.append(lang("None of the plan's building projects lies in the area."))
    if not hidden:
        out += _jobs_nearby(sites, min_jobs_change, lang)
    return out + _school(schools, lang)


def _own_site(site: Mapping[str, object], hidden: bool, lang: Language, *, share: bool = True) -> list[str]:
    """A development site in the area: its homes and jobs, the social family share (unless not `share`) and status
    after."""
    name = str(site.get("site_name") or site.get("site_id"))
    homes, jobs = known_number(site.get("new_dwellings")) or 0, known_number(site.get("new_jobs")) or 0
    if homes and jobs:
        out = [lang("The project {site} brings {homes} new homes and {jobs} new jobs to the area.", site=name,
                    homes=lang.number(homes), jobs=lang.number(jobs))]
    elif homes or jobs:
        out = [lang("The project {site} brings {n} new homes to the area.", site=name, n=lang.number(homes)) if homes
               else lang("The project {site} brings {n} new jobs to the area.", site=name, n=lang.number(jobs))]
    else:
        return []
    before, after = known_number(site.get("share_social_family_before")), known_number(site.get("share_social_family_after"))
    if share and before is not None and after is not None and half_up(before * 100) != half_up(after * 100):
        of = 10 if half_up(before * 10) != half_up(after * 10) and min(before, after) >= 0.05 else 100
        out.append(lang("Then {after} out of {of} homes would be social family housing, against {before} today.",
                        after=out_of(after, of, lang), before=out_of(before, of, lang), of=lang.number(of)))
    was, becomes = site.get("status_before"), site.get("status_after")
    if not hidden and was in STATUS_SHORT and becomes in STATUS_SHORT and was != becomes:
        out.append(lang("The area would then be {after} instead of {before}.", after=lang(STATUS_SHORT[becomes]),
                        before=lang(STATUS_SHORT[was])))
    return out


def _jobs_nearby(sites: Sequence[Mapping[str, object]], min_jobs_change: float, lang: Language) -> list[str]:
    """The site elsewhere that adds most jobs within reach by bike, when it adds at least min_jobs_change."""
    best, gain = None, 0.0
    for site in sites:
        change, before = known_number(site.get("jobs_bike_30_change")), known_number(site.get("jobs_bike_30_before"))
        if _flag(site.get("contains_site")) or change is None or not before or change / before < min_jobs_change:
            continue
        if change > gain:
            best, gain = site, change
    if best is None:
        return []
    return [lang("With the project {site} you can reach about {n} more jobs by bike.",
                 site=str(best.get("site_name") or best.get("site_id")), n=lang.number(two_figures(gain)))]


def _school(schools: Sequence[Mapping[str, object]], lang: Language) -> list[str]:
    """The school most of the area belongs to today and in the school proposal ranked first."""
    def main_school(rows: list[Mapping[str, object]]) -> Mapping[str, object] | None:
        return max(rows, key=lambda r: known_number(r.get("area_share")) or 0) if rows else None

    today = main_school([s for s in schools if str(s.get("scenario_id")) == "baseline"])
    ranked = [s for s in schools if str(s.get("scenario_id")) != "baseline" and known_number(s.get("rank")) == 1]
    first = main_school(ranked)
    if today is None or first is None:
        return []
    proposal, school = str(first.get("scenario_name") or first.get("scenario_id")), str(first.get("school_name"))
    if school == str(today.get("school_name")):
        return [lang("In the school proposal ranked first, {proposal}, most children here still go to {school}.",
                     proposal=proposal, school=school)]
    return [lang("In the school proposal ranked first, {proposal}, most children here would go to {school} "
                 "instead of {before}.", proposal=proposal, school=school, before=str(today.get("school_name")))]
