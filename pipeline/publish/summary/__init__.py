"""Kort fortalt: a housing area's summary for residents, chosen by rules from the published figures.

`area_summary` is pure: from an area's row of the areas table, the municipality's figures (`Reference`: the
access stage's municipality_access and the mix stage's municipality_mix, read, never summed here), the area's
years of areas_mix_history and its rows of the scenarios' outputs, it returns the sentences of the summary in
the page's language (CONTRACT 7): what the status means and does not mean (sentences.status_sentences), up to
three strengths and three challenges against the municipality (aspects.py), the trend over the years, and what
the plan over time (projection.py, from plan_trajectory), the development sites and the first school proposal
change. No sentence holds a criterion code or a section of the law; a suppressed figure (privacy) is left out,
never written; a summary over 1,500 characters loses its least telling comparisons first (`within`). `lix`
measures the result (lix.py); docs/planners-guide.md explains the rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from pipeline.core.config import Config
from pipeline.publish.i18n import Language
from pipeline.publish.summary.aspects import ASPECTS, Comparison, comparisons, strengths_and_challenges
from pipeline.publish.summary.lix import lix
from pipeline.publish.summary.projection import own_projects, projection_sentences
from pipeline.publish.summary.sentences import (
    CRITERION_WORDS,
    STATUS_SHORT,
    TRENDS,
    plan_sentences,
    status_sentences,
    trend_sentences,
)

__all__ = ["MAX_CHARACTERS", "Reference", "Summary", "area_summary", "lix", "message_ids", "reference_from", "within"]
# The longest summary (CONTRACT 7 and issue 23: 300 to 1,500 characters): a longer one is cut by `within`.
MAX_CHARACTERS = 1500


@dataclass(frozen=True)
class Reference:
    """What an area is compared with: the municipality's figures, and the settings the sentences read."""

    means: Mapping[str, float | None]  # column -> the municipality's figure
    settings: Mapping[str, float] = field(default_factory=dict)  # speeds, limits and the rule set's thresholds

    @property
    def min_difference(self) -> float:
        return float(self.settings.get("min_difference", 0.10))

    @property
    def min_jobs_change(self) -> float:
        return float(self.settings.get("min_jobs_change", 0.01))


@dataclass(frozen=True)
class Summary:
    """The summary's sentences, each part a list of sentences in the page's language."""

    status: list[str]
    strengths: list[str]
    challenges: list[str]
    close: list[str]  # one sentence when some aspects are close to the municipality, else none
    trend: list[str]
    plan: list[str]

    def text(self) -> str:
        """Every sentence of the summary as one text (what the LIX and the length are measured on)."""
        parts = [*self.status, *self.strengths, *self.challenges, *self.close, *self.trend, *self.plan]
        return " ".join(parts)


def reference_from(config: Config, means: Mapping[str, float | None], thresholds: Mapping[str, float | None]) -> Reference:
    """The reference of one release: the municipality's figures as the stages wrote them (`means`: the columns of
    municipality_access and municipality_mix), config and the rule set's thresholds."""
    access, mix, publish = config["access"], config["mix"], config["publish"]
    settings = {
        "walk_m_per_min": access["walk_m_per_min"], "jobs_bike_minutes": access["jobs_bike_minutes"],
        "transit_minutes": config["transit"]["max_minutes"], "green_near_m": access["green_near_m"],
        "family_housing_cap": mix.get("family_housing_cap"), "omdannelse_years": mix.get("omdannelse_years"),
        "non_western_threshold": thresholds.get("non_western"),
        "min_difference": publish["summary_min_difference"], "min_jobs_change": publish["summary_min_jobs_change"],
    }
    return Reference({a.column: means.get(a.column) for a in ASPECTS}, settings)


def area_summary(row: Mapping[str, object], reference: Reference, lang: Language, *, hidden: bool = False,
                 years: Sequence[Mapping[str, object]] = (), sites: Sequence[Mapping[str, object]] = (),
                 schools: Sequence[Mapping[str, object]] = (),
                 trajectory: Sequence[Mapping[str, object]] = ()) -> Summary:
    """The summary of one area: `row` its row of the areas table, `hidden` whether its person-based figures are
    suppressed, `years` its rows of areas_mix_history that may be shown (oldest first), `sites` its rows of
    scenarios_development, `schools` its school catchments per scenario, `trajectory` its rows of plan_trajectory
    (oldest first)."""
    found = comparisons(row, hidden, reference.means, reference.settings, lang)
    strengths, challenges, close = strengths_and_challenges(found, reference.min_difference)
    near = [lang("On the other points the area is close to the municipality.")] if close else []
    projected = projection_sentences(row, trajectory, hidden, reference.settings, lang)
    summary = Summary(
        status=status_sentences(row, hidden, reference.settings, lang),
        strengths=[c.text for c in strengths],
        challenges=[c.text for c in challenges],
        close=near,
        trend=[] if hidden else trend_sentences(years, reference.min_difference, lang),
        plan=[*projected, *plan_sentences(sites, schools, hidden, reference.min_jobs_change, lang,
                                          planned=own_projects(trajectory), projected=bool(projected))],
    )
    return within(summary, strengths, challenges, MAX_CHARACTERS)


def within(summary: Summary, strengths: list[Comparison], challenges: list[Comparison], limit: int) -> Summary:
    """The summary cut to at most `limit` characters where it is longer: first the sentence that the other points
    are close, then, one at a time, the strength or challenge nearest the municipality among the last of each
    list, down to one of each (the status, the trend and the plan are kept whole)."""
    strengths, challenges = list(strengths), list(challenges)
    while len(summary.text()) > limit:
        if summary.close:
            summary = replace(summary, close=[])
            continue
        ends = [part for part in (strengths, challenges) if len(part) > 1]
        if not ends:
            break
        nearest = min(ends, key=lambda part: abs(part[-1].score))
        nearest.pop()
        summary = replace(summary, strengths=[c.text for c in strengths], challenges=[c.text for c in challenges])
    return summary


def message_ids() -> set[str]:
    """The message ids the summary keeps in tables rather than in `lang("...")` calls (for messages.py)."""
    ids = {a.fact for a in ASPECTS} | {a.compare for a in ASPECTS} | {a.fact_none for a in ASPECTS if a.fact_none}
    ids |= set(STATUS_SHORT.values()) | set(CRITERION_WORDS.values())
    return ids | {text for _, _, good, bad in TRENDS for text in (good, bad)}
