"""Kort fortalt: a housing area's summary for residents, chosen by rules from the published figures.

`area_summary` is pure: from an area's row of the areas table, the municipality's figures (`Reference`),
the area's years of areas_mix_history and its rows of the scenarios' outputs, it returns the sentences of
the summary in the page's language (CONTRACT 7): what the status means and does not mean
(sentences.status_sentences), up to three strengths and three challenges against the municipality
(aspects.py), the trend over the years, and what the plan's projects and the first school proposal change.
No sentence holds a criterion code or a section of the law; a suppressed figure (privacy) is left out,
never written. `lix` measures the result (lix.py); docs/planners-guide.md explains the rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from pipeline.core.config import Config
from pipeline.publish.i18n import Language
from pipeline.publish.summary.aspects import ASPECTS, comparisons, strengths_and_challenges
from pipeline.publish.summary.lix import lix
from pipeline.publish.summary.sentences import (
    CRITERION_WORDS,
    STATUS_SHORT,
    TRENDS,
    plan_sentences,
    status_sentences,
    trend_sentences,
)

__all__ = ["Reference", "Summary", "area_summary", "lix", "message_ids", "municipality_mix", "reference_from"]

# The mix figures of the housing areas together: column, the counts summed for its numerator and denominator.
MIX_SUMS = {
    "share_outside_work_edu": ("outside_work_edu_18_64", "residents_18_64"),
    "share_basic_edu": ("basic_edu_only_30_59", "residents_30_59"),
    "mean_income_15_64_dkk": ("gross_income_sum_15_64", "taxpayers_15_64"),
}


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


def municipality_mix(table: pd.DataFrame) -> dict[str, float | None]:
    """Work, education and income of all housing areas together: each count summed over the areas where both it and
    its base are known, then divided (the outside-work share equals segregation.json's group_share)."""
    found: dict[str, float | None] = {}
    for column, (part, base) in MIX_SUMS.items():
        if part not in table.columns or base not in table.columns:
            found[column] = None
            continue
        both = table[[part, base]].apply(pd.to_numeric, errors="coerce").dropna()
        total = float(both[base].sum())
        found[column] = float(both[part].sum()) / total if total > 0 else None
    return found


def reference_from(config: Config, access_means: Mapping[str, float | None], table: pd.DataFrame,
                   thresholds: Mapping[str, float | None]) -> Reference:
    """The reference of one release: municipality_access's averages, the housing areas' mix, config and rules."""
    means = {**{a.column: access_means.get(a.column) for a in ASPECTS}, **municipality_mix(table)}
    access, mix, publish = config["access"], config["mix"], config["publish"]
    settings = {
        "walk_m_per_min": access["walk_m_per_min"], "jobs_bike_minutes": access["jobs_bike_minutes"],
        "green_near_m": access["green_near_m"], "family_housing_cap": mix.get("family_housing_cap"),
        "omdannelse_years": mix.get("omdannelse_years"), "non_western_threshold": thresholds.get("non_western"),
        "min_difference": publish["summary_min_difference"], "min_jobs_change": publish["summary_min_jobs_change"],
    }
    return Reference(means, settings)


def area_summary(row: Mapping[str, object], reference: Reference, lang: Language, *, hidden: bool = False,
                 years: Sequence[Mapping[str, object]] = (), sites: Sequence[Mapping[str, object]] = (),
                 schools: Sequence[Mapping[str, object]] = ()) -> Summary:
    """The summary of one area: `row` its row of the areas table, `hidden` whether its person-based figures are
    suppressed, `years` its rows of areas_mix_history that may be shown (oldest first), `sites` its rows of
    scenarios_development, `schools` its school catchments per scenario."""
    found = comparisons(row, hidden, reference.means, reference.settings, lang)
    strengths, challenges, close = strengths_and_challenges(found, reference.min_difference)
    near = [lang("On the other points the area is close to the municipality.")] if close else []
    return Summary(
        status=status_sentences(row, hidden, reference.settings, lang),
        strengths=[c.text for c in strengths],
        challenges=[c.text for c in challenges],
        close=near,
        trend=[] if hidden else trend_sentences(years, reference.min_difference, lang),
        plan=plan_sentences(sites, schools, hidden, reference.min_jobs_change, lang),
    )


def message_ids() -> set[str]:
    """The message ids the summary keeps in tables rather than in `lang("...")` calls (for messages.py)."""
    ids = {a.fact for a in ASPECTS} | {a.compare for a in ASPECTS}
    ids |= set(STATUS_SHORT.values()) | set(CRITERION_WORDS.values())
    return ids | {text for _, _, good, bad in TRENDS for text in (good, bad)}
