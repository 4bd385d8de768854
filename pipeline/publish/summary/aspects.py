"""Strengths and challenges: an area's figures set against the municipality's, in words.

Each aspect is one figure of the areas table (jobs within reach by bike and by bus and train, the walk to the
district school, residents near green space, tree canopy, the land cover, work, education, income) with the
direction that is better, the sentence that states it with a rounded figure a person can picture ("3 out of 10
adults", "11 minutes' walk") and the sentence that gives the municipality's figure beside it. An aspect's
score is the relative difference from the municipality in the better direction, (area - municipality) /
municipality, or its negative where lower is better. The aspects of one group (the land cover: natural cover,
sealed ground, the walk to protected nature) offer one candidate, the one furthest from the municipality. The
strengths are the (at most three) highest scores of at least `publish.summary_min_difference`, the challenges
the (at most three) lowest scores of at most minus that; an aspect whose rounded figures read the same for the
area and the municipality is never either. A person-based figure of a small area (privacy) and an unknown
figure take no part: a figure whose layer was not given (no GTFS feed, no land cover) is unknown for the area
and the municipality alike, so its sentence is left out, never written as 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from pipeline.publish.catalogue import indicator
from pipeline.publish.i18n import Language

# The figures of these sentences are prose for residents (STYLE.md, klarsprog), not the glossary's table formats:
# rounded on purpose ("about 1,200", "3 out of 10", a rule's whole percent, a count of years or homes), so they
# are written here with the language's number format; the tables and popups take the prepared texts.

CHOSEN = 3  # strengths and challenges each


@dataclass(frozen=True)
class Aspect:
    """One figure a summary compares: its column, which way is better, how it is rounded and said."""

    key: str
    column: str
    better: str  # "higher" or "lower"
    rounding: str  # "count", "walk_minutes", "out_of", "percent" or "money"
    fact: str  # message id: the area's figure ({n}, and {of}, {minutes} or {metres} where the figure needs them)
    compare: str  # message id: the municipality's figure ({m}, {of})
    minutes: str = ""  # the setting that gives a count's {minutes}
    fact_none: str = ""  # message id: the area's figure when it rounds to 0 percent (never "about 0 percent")
    group: str = ""  # aspects of one group offer one candidate between them (the furthest from the municipality)


LAND_COVER = "land_cover"
# The municipality's figure of the access aspects is municipality_access's (every parcel weighted as the areas'
# are; canopy and the land cover over all housing areas together); of the mix aspects it is municipality_mix's
# (all housing areas together, weighted by their persons).
ASPECTS = (
    Aspect("jobs", "jobs_bike_30", "higher", "count",
           "Within {minutes} minutes by bike you can reach about {n} jobs.",
           "In the whole municipality it is about {m}.", minutes="jobs_bike_minutes"),
    Aspect("transit", "jobs_transit_45", "higher", "count",
           "Within {minutes} minutes by bus and train you can reach about {n} jobs.",
           "In the whole municipality it is about {m}.", minutes="transit_minutes"),
    Aspect("school", "school_dist_m", "lower", "walk_minutes",
           "Children walk about {n} minutes to their school.",
           "In the whole municipality it is {m} minutes."),
    Aspect("green", "share_residents_green_300", "higher", "out_of",
           "{n} out of {of} residents live at most {metres} metres from a park or other green area.",
           "In the whole municipality it is {m} out of {of}."),
    Aspect("canopy", "canopy_share", "higher", "percent",
           "Trees cover about {n} percent of the area.",
           "In all housing areas together it is {m} percent.", fact_none="There are almost no trees in the area."),
    Aspect("nature", "share_natural_cover", "higher", "percent",
           "Nature, meadows and trees cover about {n} percent of the area.",
           "In all housing areas together it is {m} percent.", group=LAND_COVER,
           fact_none="There is almost no nature, meadow or trees in the area."),
    Aspect("sealed", "share_sealed", "lower", "percent",
           "Buildings, roads and paving cover about {n} percent of the area.",
           "In all housing areas together it is {m} percent.", group=LAND_COVER),
    Aspect("protected_nature", "protected_nature_dist_m", "lower", "walk_minutes",
           "It is about {n} minutes' walk to protected nature such as a bog or a meadow.",
           "In the whole municipality it is {m} minutes.", group=LAND_COVER),
    Aspect("work", "share_outside_work_edu", "lower", "out_of",
           "{n} out of {of} adults aged 18 to 64 are neither in work nor in education.",
           "In all housing areas together it is {m} out of {of}."),
    Aspect("education", "share_basic_edu", "lower", "out_of",
           "{n} out of {of} adults aged 30 to 59 have only primary school.",
           "In all housing areas together it is {m} out of {of}."),
    Aspect("income", "mean_income_15_64_dkk", "higher", "money",
           "Adults earn about {n} kroner a year before tax.",
           "In all housing areas together it is about {m} kroner."),
)
ASPECT_COLUMNS = tuple(a.column for a in ASPECTS)


@dataclass(frozen=True)
class Comparison:
    """One aspect of one area: its score against the municipality and the two sentences that say it."""

    aspect: Aspect
    score: float
    visible: bool  # the rounded figures of area and municipality read differently
    text: str


def known_number(value: object) -> float | None:
    """The value as a float, or None when it is missing or not a finite number."""
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def two_figures(value: float) -> float:
    """A count rounded to two significant figures (12,498 -> 12,000; 6,386 -> 6,400; 47 -> 47)."""
    if abs(value) < 100:
        return float(round(value))
    digits = int(math.floor(math.log10(abs(value)))) - 1
    return float(round(value, -digits))


def half_up(value: float) -> int:
    """The nearest whole number, halves rounded up (2.5 -> 3, as people round; Python's round gives 2)."""
    return math.floor(value + 0.5)


def out_of(share: float, of: int, lang: Language) -> str:
    """A share as whole people out of `of` (0.31 of 10 -> 3); "under 1" for a share that rounds to none."""
    n = half_up(share * of)
    return lang("under 1") if n == 0 else lang.number(n)


def capital(text: str) -> str:
    """The sentence with its first letter a capital ("under 1 out of 10 ..." -> "Under 1 out of 10 ...")."""
    return text[:1].upper() + text[1:]


def _figures(aspect: Aspect, area: float, municipality: float, settings: Mapping[str, float],
             lang: Language) -> tuple[str, str, dict[str, str]]:
    """The area's and the municipality's figure as the sentences write them, and the other placeholders."""
    if aspect.rounding == "count":
        return (lang.number(two_figures(area)), lang.number(two_figures(municipality)),
                {"minutes": lang.number(settings[aspect.minutes])})
    if aspect.rounding == "walk_minutes":
        walk = float(settings["walk_m_per_min"])
        return lang.number(max(half_up(area / walk), 1)), lang.number(max(half_up(municipality / walk), 1)), {}
    if aspect.rounding == "percent":
        return lang.number(half_up(area * 100)), lang.number(half_up(municipality * 100)), {}
    if aspect.rounding == "money":
        return lang.number(round(area, -4)), lang.number(round(municipality, -4)), {}
    # out of 10, or out of 100 when the two would read the same out of 10
    of = 10 if half_up(area * 10) != half_up(municipality * 10) else 100
    return (out_of(area, of, lang), out_of(municipality, of, lang),
            {"of": lang.number(of), "metres": lang.number(settings["green_near_m"])})


def compare(aspect: Aspect, value: object, municipality: object, settings: Mapping[str, float],
            lang: Language) -> Comparison | None:
    """The aspect's comparison for one area, or None when either figure is unknown or the municipality's is 0."""
    area, mean = known_number(value), known_number(municipality)
    if area is None or mean is None or mean == 0:
        return None
    difference = (area - mean) / abs(mean)
    score = difference if aspect.better == "higher" else -difference
    n, m, extra = _figures(aspect, area, mean, settings, lang)
    fact = aspect.fact_none if aspect.fact_none and aspect.rounding == "percent" and half_up(area * 100) == 0 \
        else aspect.fact
    text = capital(lang(fact, n=n, **extra)) + " " + lang(aspect.compare, m=m, **extra)
    return Comparison(aspect, score, n != m, text)


def comparisons(row: Mapping[str, object], hidden: bool, means: Mapping[str, float | None],
                settings: Mapping[str, float], lang: Language) -> list[Comparison]:
    """Every aspect the area can be compared on: known figures, and none person-based of a small area."""
    found = []
    for aspect in ASPECTS:
        if hidden and indicator(aspect.column).person:
            continue
        comparison = compare(aspect, row.get(aspect.column), means.get(aspect.column), settings, lang)
        if comparison is not None:
            found.append(comparison)
    return found


def strengths_and_challenges(found: list[Comparison], min_difference: float
                             ) -> tuple[list[Comparison], list[Comparison], list[Comparison]]:
    """The strengths (best first), the challenges (worst first) and the aspects close to the municipality; of a
    group's aspects only the one furthest from the municipality is a candidate."""
    furthest: dict[str, Comparison] = {}
    for c in found:
        if c.visible and c.aspect.group and (c.aspect.group not in furthest or abs(c.score) > abs(furthest[c.aspect.group].score)):
            furthest[c.aspect.group] = c
    visible = [c for c in found if c.visible and (not c.aspect.group or furthest[c.aspect.group] is c)]
    strengths = sorted((c for c in visible if c.score >= min_difference), key=lambda c: -c.score)[:CHOSEN]
    challenges = sorted((c for c in visible if c.score <= -min_difference), key=lambda c: c.score)[:CHOSEN]
    close = [c for c in found if not c.visible or abs(c.score) < min_difference]
    return strengths, challenges, close
