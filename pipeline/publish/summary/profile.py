"""Kort fortalt on a profile page: the release's lookups built once, then each area's sentences and small map.

The profile (pipeline/publish/profiles.py) calls `summary_lookups` once per release and `summary_section`
once per area; the template summary.html draws the result at the top of the page, in the element with id
`kort-fortalt` that a letter to residents can link to (CONTRACT 7).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pandas as pd

from pipeline.core.config import Config
from pipeline.publish.figures import Prepared
from pipeline.publish.inputs import Inputs
from pipeline.publish.summary import Reference, area_summary, reference_from
from pipeline.publish.summary.area_map import Places, drawing, map_places
from pipeline.publish.summary.aspects import ASPECT_COLUMNS

if TYPE_CHECKING:
    from pipeline.publish.profile_shared import Shared

HISTORY = "areas_mix_history"
TRAJECTORY = "plan_trajectory"  # the plan over time (scenarios, CONTRACT 6a), when a plan_projects layer is given


@dataclass
class SummaryLookups:
    """What every area's summary reads: the reference, each area's map places, and the history's hidden years."""

    reference: Reference
    places: dict[str, Places] = field(default_factory=dict)


def municipality_figures(inputs: Inputs, access_means: dict[str, float | None]) -> dict[str, float | None]:
    """The municipality's figures the summaries compare with: municipality_access's averages (`access_means`) and
    municipality_mix's work, education and income, each as its stage wrote it."""
    mix = inputs.get("municipality_mix")
    figures = dict(access_means)
    if mix is not None and len(mix):
        first = mix.iloc[0]
        figures |= {c: None if pd.isna(first[c]) else float(first[c]) for c in ASPECT_COLUMNS if c in mix.columns}
    return figures


def summary_lookups(inputs: Inputs, config: Config, table: pd.DataFrame, means: dict[str, float | None],
                    thresholds: dict[str, float | None], districts: pd.DataFrame | None) -> SummaryLookups:
    """The lookups of one release: the municipality's figures and settings, and the places each map shows."""
    reference = reference_from(config, municipality_figures(inputs, means), thresholds)
    places = map_places(table, inputs.get("schools"), inputs.get("green_areas"), inputs.get("stations"), districts,
                        float(config["access"]["min_green_area_m2"]))
    return SummaryLookups(reference, places)


def _shown_years(history: Prepared) -> pd.DataFrame:
    """The history's rows that may be shown (a year suppressed as prepared, with fewer residents than the privacy
    minimum or an unknown number, is left out of the trend), oldest first."""
    years = history.values[~history.hidden.to_numpy()]
    return years[years["year"].notna()].sort_values("year", kind="stable")


def summary_section(row: pd.Series, hidden: bool, shared: Shared) -> dict | None:
    """The summary of one area as the template draws it (None when the release has no lookups)."""
    lookups = getattr(shared, "summary", None)
    if lookups is None:
        return None
    lang, area_id = shared.lang, str(row["area_id"])
    years = (shared.records_of("summary_history", shared.history, area_id,
                               prepare=lambda _: _shown_years(shared.figures["history"]))
             if shared.history is not None else [])
    development = shared.inputs.get("scenarios_development")
    sites = shared.records_of("summary_development", development, area_id) if development is not None else []
    schools = (shared.records_of("summary_catchments", shared.catchments, area_id)
               if shared.catchments is not None else [])
    plan = shared.inputs.get(TRAJECTORY)
    trajectory = (shared.records_of("summary_trajectory", plan, area_id,
                                    prepare=lambda frame: frame.sort_values("year", kind="stable"))
                  if plan is not None and len(plan) else [])
    summary = area_summary(row.to_dict(), lookups.reference, lang, hidden=hidden, years=years, sites=sites,
                           schools=schools, trajectory=trajectory)
    places = lookups.places.get(area_id)
    drawn = drawing(places) if places is not None else None
    legend = []
    if drawn is not None:
        legend.append(("kf-key-area", lang("The area")))
        if drawn["green"]:
            legend.append(("kf-key-green", lang("Nearest green area")))
        if drawn["school"]:
            legend.append(("kf-key-school", lang("School: {name}", name=places.school_name)))
        if drawn["station"]:
            legend.append(("kf-key-station", lang("Station: {name}", name=places.station_name)))
    far_station = (lang("Nearest station (off the map): {name}", name=places.station_name)
                   if drawn is not None and places.station is not None and not drawn["station"] else None)
    return {"status": " ".join(summary.status), "strengths": summary.strengths, "challenges": summary.challenges,
            "close": " ".join(summary.close), "trend": " ".join(summary.trend), "plan": " ".join(summary.plan),
            "map": drawn, "legend": legend, "far_station": far_station,
            "scale": lang("{n} m", n=lang.number(drawn["scale_m"])) if drawn is not None else ""}
