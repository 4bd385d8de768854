"""What every profile of one release shares: the language, labels, the datasets read, per-area lookups."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from pipeline.core.config import Config
from pipeline.publish.figures import Figures
from pipeline.publish.i18n import NO_DATA, Language
from pipeline.publish.inputs import Inputs


@dataclass
class Shared:
    """What every profile of one release shares: language, labels, the other datasets, per-area lookups."""

    config: Config
    lang: Language
    label: str  # the suppressed label in the page's language
    inputs: Inputs
    figures: Figures  # the release's prepared figures (pipeline/publish/figures.py): texts and suppressed rows
    thresholds: dict[str, float | None] = field(default_factory=dict)
    means: dict[str, float | None] = field(default_factory=dict)
    districts: pd.DataFrame | None = None  # area_id, the district's columns, share of the area, hidden
    catchments: pd.DataFrame | None = None  # area_id, scenario and school columns, share of the area, hidden
    history: pd.DataFrame | None = None
    reasons: dict[str, str] = field(default_factory=dict)  # area_id: why its status, as the map popups say it
    rules: dict = field(default_factory=dict)  # the rule set applied to the latest year (publish/status_text.py)
    groups: dict[str, dict[str, list[dict]]] = field(default_factory=dict)
    summary: object | None = None  # Kort fortalt's lookups (pipeline/publish/summary/profile.py)

    def area_text(self, row: pd.Series, column: str) -> str:
        """The area's figure as prepared (the row of the areas table: `row.name` its index there)."""
        return self.figures["areas"].text(column).at[row.name]

    def mean_text(self, column: str) -> str:
        """The municipality's mean of a figure as prepared (municipality_access), "no data" where there is none."""
        means = self.figures["municipality"]
        if means is None or not len(means.values) or column not in means.values.columns:
            return self.lang(NO_DATA)
        return means.text(column).iloc[0]

    def records_of(self, name: str, frame: pd.DataFrame, area_id: str,
                   prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None) -> list[dict]:
        """The frame's rows of one area as dicts, in the frame's order after `prepare` (a sort or filter of the
        whole frame): converted and grouped once per frame, so many areas stay linear, not quadratic, and no
        area pays for a per-row Series."""
        if name not in self.groups:
            prepared = prepare(frame) if prepare is not None else frame
            grouped: dict[str, list[dict]] = {}
            for key, record in zip(prepared["area_id"].astype(str), prepared.to_dict("records"), strict=True):
                grouped.setdefault(key, []).append(record)
            self.groups[name] = grouped
        return self.groups[name].get(area_id, [])
