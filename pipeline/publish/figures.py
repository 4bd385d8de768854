"""The figures every page shows, prepared once per release and language: value, text, suppressed or not.

Publish reads each stage's tables once (`Inputs`); this module then applies the privacy rule (CONTRACT 7, the
catalogue's person-based columns of a row with fewer residents or pupils than privacy.min_residents, an unknown
size counted as small) and the glossary's one format of each figure (pipeline/publish/glossary.py) once per table:
the areas, their years of history, the school districts, the school-site scenarios' schools, the plan's years,
the development scenarios' areas and sites, the district proposals' schools, and the scenario summaries (the
school-site scenarios, the district proposals, the plan's projects by effect and its rehousing). Pages, profiles and
summaries take a `Prepared` table's `hidden` rows and `text` (or status `words`) columns and only choose and place
them: none of them calls the privacy rule or a formatter itself (tests/test_one_pass.py checks the imports, and that
no page calls a number or percent format). The texts of a column are made on
its first use and kept, so every page of a release shows the one text of each figure.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from pipeline.core.config import Config
from pipeline.publish.catalogue import STATUS_LABELS, indicator
from pipeline.publish.glossary import text as glossary_text
from pipeline.publish.i18n import NO_DATA, Language
from pipeline.publish.inputs import Inputs
from pipeline.publish.privacy import (
    CAP_COLUMNS,
    NOT_RELEVANT,
    format_column,
    is_small,
    min_residents,
    page_suppressed_label,
)
from pipeline.publish.status_text import reason_line, rules_from_config, rules_of
from pipeline.publish.tables import area_table_from_inputs

# The column a frame assembled from a prepared table's rows (merged with shapes, say) keeps each row's position in
# it by, so its texts and hidden flag are found again (`Prepared.texts_for`, `Prepared.hidden_for`).
ROW = "_row"
# The districting's schools before and after a plan: each half suppressed by its own pupils.
BEFORE, AFTER = ("pupils_before", "group_pupils_before", "group_share_before"), \
    ("pupils_after", "group_pupils_after", "group_share_after")
# A surplus above the cap (or its change) binds an omdannelsesområde only: the statuses that decide, per column (with
# some known and none omdannelse: "not relevant"; all unknown: the figure as it is).
CAP_STATUS = {**dict.fromkeys(CAP_COLUMNS, ("status",)), "gap_add_dwellings_before": ("status_before",),
              "gap_add_dwellings_after": ("status_after",),
              **dict.fromkeys(("gap_add_dwellings_change", "gap_change_per_million_dkk"), ("status_with", "status_without"))}


def status_reasons(frame: pd.DataFrame, lang: Language, rules: dict | None = None) -> pd.Series | None:
    """Why each area has its status, in one sentence of the language: the rule that decided it, with the thresholds
    of the rule set applied (pipeline/publish/status_text.py; `rules` that rule set, else the table's own)."""
    if "status" not in frame.columns or "criteria_met" not in frame.columns:
        return None
    rules = rules or rules_of(frame) or rules_from_config({})
    texts = [reason_line(lang, row, rules) if isinstance(row.get("status"), str) else None
             for row in frame.to_dict("records")]  # one sentence per area
    return pd.Series(texts, index=frame.index, dtype=object)


class Prepared:
    """One table's shown figures: its values, the rows whose person-based figures are suppressed, and each
    column's text in the language (the suppressed label where suppressed), made on first use and kept."""

    def __init__(self, values: pd.DataFrame, hidden: pd.Series | bool, lang: Language, label: str, *,
                 rules: dict | None = None, hidden_by: dict[str, pd.Series] | None = None):
        self.values = values
        self.hidden = pd.Series(np.broadcast_to(np.asarray(hidden, dtype=bool), (len(values),)), index=values.index)
        self.lang, self.label, self.rules = lang, label, rules
        self.hidden_by = hidden_by or {}  # columns suppressed by a size of their own (a plan's schools before, after)
        self._texts: dict[str, pd.Series] = {}

    def hidden_of(self, column: str) -> pd.Series:
        """The rows whose figure of this column would be suppressed if it is person-based."""
        return self.hidden_by.get(column, self.hidden)

    def suppressed(self, column: str) -> pd.Series:
        """The rows whose figure of this column is the suppressed label."""
        if indicator(column).person:
            return self.hidden_of(column)
        return pd.Series(False, index=self.values.index)

    def text(self, column: str) -> pd.Series:
        """The column as every page writes it (the glossary's format in the language, "not relevant" for a surplus
        above the cap outside omdannelsesområder, a status in the law's words), suppressed where it is."""
        if column not in self.values.columns:  # a figure the stage did not write (no transit feed): unknown
            return pd.Series(self.lang(NO_DATA), index=self.values.index, dtype=object)
        if column not in self._texts:
            self._texts[column] = _texts(self.values, column, self.suppressed(column), self.lang, self.label, self.rules)
        return self._texts[column]

    def words(self, column: str) -> pd.Series:
        """A status column in the law's short words (without the English gloss), the suppressed label where it is."""
        values = self.values[column] if column in self.values.columns else pd.Series(None, index=self.values.index)
        words = values.map(lambda status: self.lang(STATUS_LABELS.get(str(status), NO_DATA)).split(" (")[0])
        return words.where(~self.suppressed(column).to_numpy(), self.label).astype(object)

    def texts(self, columns: Iterable[str], prefix: str = "") -> pd.DataFrame:
        """The texts of the columns, indexed like the values (columns named with the prefix)."""
        columns = list(columns)
        return pd.DataFrame({f"{prefix}{c}": self.text(c) for c in columns}, index=self.values.index, columns=[f"{prefix}{c}" for c in columns])

    def with_rows(self) -> pd.DataFrame:
        """The values with each row's position (ROW), to find a row's texts after a merge."""
        return self.values.assign(**{ROW: np.arange(len(self.values))})

    def rows_of(self, frame: pd.DataFrame) -> np.ndarray:
        """Each row of a frame made of this table's rows: its position here (ROW, else its index), -1 for none."""
        if ROW in frame.columns:
            return pd.to_numeric(frame[ROW], errors="coerce").fillna(-1).astype(int).to_numpy()
        return self.values.index.get_indexer(frame.index)

    def hidden_for(self, frame: pd.DataFrame) -> pd.Series:
        """Whether each row of the frame is suppressed (a row of no prepared row has no size: suppressed)."""
        rows = self.rows_of(frame)
        flags = self.hidden.to_numpy()[np.where(rows >= 0, rows, 0)] if len(self.values) else np.ones(len(rows), bool)
        return pd.Series(np.where(rows >= 0, flags, True), index=frame.index)

    def texts_for(self, frame: pd.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
        """The texts of the frame's rows: the prepared ones of the rows it took from here, and for a row of none
        (a district as drawn without the school's figures) its own values, suppressed as of unknown size."""
        columns, rows = list(columns), self.rows_of(frame)
        found, hidden = rows >= 0, self.hidden_for(frame).to_numpy()
        out = pd.DataFrame(index=frame.index, columns=columns, dtype=object)
        for column in columns:
            prepared = column in self.values.columns
            if prepared:
                out.loc[found, column] = self.text(column).to_numpy()[rows[found]]
            rest = ~found if prepared else np.ones(len(rows), bool)
            if rest.any():
                own = frame.loc[rest]
                own = own if column in own.columns else own.assign(**{column: None})
                person = pd.Series(hidden[rest] & indicator(column).person, index=own.index)
                out.loc[rest, column] = _texts(own, column, person, self.lang, self.label, self.rules).to_numpy()
        return out


def _texts(values: pd.DataFrame, column: str, suppressed: pd.Series, lang: Language, label: str,
           rules: dict | None) -> pd.Series:
    """One column's texts: formatted (privacy.format_column), the caps' "not relevant", statuses in the law's words,
    the status reason in words, the label where suppressed."""
    source = values[column]
    if column == "status_reason":
        reasons = status_reasons(values, lang, rules or rules_of(values))
        source = reasons if reasons is not None else source
    text = format_column(source, column, lang)
    statuses = [c for c in CAP_STATUS.get(column, ()) if c in values.columns]
    if statuses:  # the cap binds omdannelsesområder only
        known = values[statuses].astype(object)
        elsewhere = known.notna().any(axis=1) & ~known.astype(str).eq("omdannelse").any(axis=1)
        text = text.where(~elsewhere.to_numpy(), lang(NOT_RELEVANT))
    if column.startswith("status") and column != "status_reason":
        text = text.replace({k: lang(v) for k, v in STATUS_LABELS.items()})
    return text.where(~suppressed.to_numpy(), label).astype(object)


class Figures:
    """A release's prepared tables in one language, with the suppressed label and the privacy minimum in words."""

    def __init__(self, inputs: Inputs, config: Config, lang: Language):
        self.lang, self.config = lang, config
        self.label = page_suppressed_label(config, lang)
        self.minimum = min_residents(config)
        self.tables: dict[str, Prepared | None] = {}
        self._prepare(inputs)

    def __getitem__(self, name: str) -> Prepared | None:
        """The prepared table of this name (areas, history, districts, school_sites, plan_years, development,
        development_summary, plan_schools, school_summary, districting_summary, municipality, green_scenario,
        plan_effects, plan_rehousing), or
        None when its dataset is not there."""
        return self.tables.get(name)

    def small(self, sizes: pd.Series) -> pd.Series:
        """The privacy rule on a column of sizes (residents, pupils): fewer than the minimum, or unknown."""
        return is_small(sizes, self.minimum)

    def sized(self, values: pd.DataFrame, size: str | None = None, hidden: pd.Series | bool | None = None) -> Prepared:
        """A table prepared with rows suppressed by its size column (`size`; none there: all suppressed), or by
        flags taken from other prepared tables (`hidden`), or nothing suppressed."""
        if hidden is None and size is not None:
            hidden = self.small(values[size]) if size in values.columns else True
        return Prepared(values, False if hidden is None else hidden, self.lang, self.label,
                        rules=rules_of(values) or rules_from_config(self.config["mix"]))

    def figure(self, column: str, value: object, hidden: bool = False) -> str:
        """One figure's text: the suppressed label when it is person-based and its area (district, school, year) is
        small, else the glossary's format in the language."""
        if hidden and indicator(column).person:
            return self.label
        return glossary_text(self.lang, column, value)

    def note(self) -> dict:
        """What the panels say about suppression: the minimum (formatted) and the word shown instead."""
        return {"count": self.lang.number(self.minimum), "label": self.label}

    def _prepare(self, inputs: Inputs) -> None:
        """Each table the pages read, with its privacy rule applied once."""
        areas = area_table_from_inputs(inputs, self.config)
        self.tables["areas"] = self.sized(areas, "residents")
        residents = areas.set_index("area_id")["residents"] if "residents" in areas.columns else None
        history = inputs.get("areas_mix_history")
        if history is not None:
            self.tables["history"] = self.sized(history, "residents")
        districts = inputs.get("school_districts_mix")
        if districts is not None and len(districts):  # without residents, a district with pupils is suppressed
            self.tables["districts"] = self.sized(districts, "residents", None if "residents" in districts.columns
                                                  else "pupils" in districts.columns)
        sites = inputs.get("scenarios_school_sites")
        if sites is not None:
            self.tables["school_sites"] = self.sized(sites, "pupils")
        trajectory = inputs.get("plan_trajectory")
        if trajectory is not None:
            self.tables["plan_years"] = self.sized(trajectory.assign(area_id=trajectory["area_id"].astype(str)),
                                                   "residents")
        development = inputs.get("scenarios_development")
        if development is not None:  # an area's development rows are suppressed by the area's residents today
            development = development.assign(area_id=development["area_id"].astype(str))
            counts = development["area_id"].map(residents) if residents is not None else \
                pd.Series(np.nan, index=development.index)
            self.tables["development"] = self.sized(
                development.assign(residents=counts, name=development.get("area_name", development["area_id"])),
                "residents")
        summary = inputs.get("scenarios_development_summary")
        if summary is not None:  # the receiving area's status is person-based, hidden when the area is small
            hosts = summary["area_id"].astype(object).map(residents) if residents is not None else np.nan
            self.tables["development_summary"] = self.sized(
                summary, hidden=self.small(pd.Series(hosts, index=summary.index)) & summary["area_id"].notna())
        self._prepare_plan_schools(inputs.get("districting_schools"))
        self._prepare_summaries(inputs)

    def _prepare_summaries(self, inputs: Inputs) -> None:
        """The scenario summaries, municipality-wide (none suppressed): the school-site scenarios, the district
        proposals, the municipality's access means, the green scenario's areas, the plan's projects ranked by effect; the plan's rehousing, each receiving area's year suppressed
        as prepared in plan_years (a year not there as of unknown size)."""
        for name, dataset in (("school_summary", "scenarios_school_summary"), ("districting_summary", "districting_summary"),
                              ("municipality", "municipality_access"), ("green_scenario", "green_nature_friendly")):
            table = inputs.get(dataset)
            if table is not None:
                ids = [c for c in ("scenario_id", "plan_id", "area_id") if c in table.columns]
                self.tables[name] = self.sized(table.assign(**{c: table[c].astype(str) for c in ids}))
        effect = inputs.get("plan_projects_effect")
        if effect is not None:
            self.tables["plan_effects"] = self.sized(effect[effect["rank"].notna()].sort_values("rank"))
        rehousing, years = inputs.get("plan_rehousing"), self.tables.get("plan_years")
        if rehousing is not None and years is not None:
            rehousing = _rehousing_rows(rehousing)
            pairs = zip(years.values["area_id"], years.values["year"].astype(int), strict=True)
            hidden = dict(zip(pairs, years.hidden.to_numpy(), strict=True))
            keys = zip(rehousing["area_id"].astype(str), rehousing["year"].astype(int), strict=True)
            self.tables["plan_rehousing"] = self.sized(rehousing, hidden=pd.Series(
                [hidden.get(k, True) for k in keys], index=rehousing.index, dtype=bool))

    def _prepare_plan_schools(self, mixes: pd.DataFrame | None) -> None:
        """districting_schools under today's schools: each school's figures before a plan suppressed by its pupils
        before, those after by its pupils after."""
        if mixes is None:
            return
        mixes = mixes[mixes["site_id"].isna()] if "site_id" in mixes.columns else mixes
        mixes = mixes.assign(plan_id=mixes["plan_id"].astype(str), school_id=mixes["school_id"].astype(str))
        mixes = mixes.assign(school_name=mixes["school_name"].where(mixes["school_name"].notna(), mixes["school_id"]))
        before, after = self.small(mixes["pupils_before"]), self.small(mixes["pupils_after"])
        self.tables["plan_schools"] = Prepared(mixes, False, self.lang, self.label,
                                               hidden_by={**dict.fromkeys(BEFORE, before), **dict.fromkeys(AFTER, after)})


def _rehousing_rows(rehousing: pd.DataFrame) -> pd.DataFrame:
    """plan_rehousing as one row per year and receiving area, its origins named, the largest first in each year."""
    if not len(rehousing):
        return rehousing
    keys = ["year", "area_id", "name", "status", "onto_list_by_rehousing"]
    rehousing = rehousing.assign(residents=pd.to_numeric(rehousing["residents"]).astype("Float64"))
    rehousing = rehousing.groupby(keys, sort=False, dropna=False).agg(
        residents=("residents", lambda v: v.sum(min_count=len(v))),
        origin_name=("origin_name", lambda v: ", ".join(dict.fromkeys(map(str, v))))).reset_index()
    return rehousing.sort_values(["year", "residents"], ascending=[True, False], kind="stable")


def figures_of(inputs: Inputs, config: Config, lang: Language) -> Figures:
    """The release's prepared figures in the language: made once per inputs and language, then shared by every
    page, profile and summary (publish's run makes them before the pages are built)."""
    key = ("figures", lang.code, str(config.crs))
    if key not in inputs.derived:
        inputs.derived[key] = Figures(inputs, config, lang)
    return inputs.derived[key]
