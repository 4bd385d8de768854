"""Status over the years (CONTRACT 4): statistics of several years, each year under the rules in force then.

The current figures (areas_mix, the districts, parcels_mix) take each layer at the latest year it has, so a
layer that runs a year ahead (next year's ministry list beside this year's parcels) feeds only what it
gives and empties nothing (`current_layers`, warned). The years of the history are the years the statistics layers give (a `year` column in parcels,
grid_statistics or area_statistics; ingest takes it from a `date` where no year is mapped). For a year,
a layer with a year column gives its rows of that year only, and a layer without one (a layer of no
particular year, such as the parcels' geometry and dwellings) gives all its rows to every year: figures
of a year a layer does not cover are unknown, never borrowed from another year.

years_listed (consecutive earlier years as parallelsamfund or omdannelse) is derived from the history:
for year Y it counts the years Y-1, Y-2, ... on the list, stopping at the first year that was not. A year
whose status is undetermined, or missing from the history, leaves the count between a lower and an upper
bound (the status is then decided by enumeration, pipeline/mix/status.py). Where the count runs back past
the first year of the history, the typed housing_areas.years_listed (the count at the latest year) gives
the years before it; without a typed value those years count as 0, as a null years_listed always has.
A typed value the history contradicts is warned, naming the areas. docs/indicators.md explains this.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.core.columns import kind_of
from pipeline.core.log import log, warn
from pipeline.mix.assign import assign_parcels
from pipeline.mix.status import UNDETERMINED
from pipeline.sources.statistics import area_table, statistical_units

STATISTICS_LAYERS = ("parcels", "grid_statistics", "area_statistics")
VALUE_KINDS = ("count", "share", "ratio", "money")
LISTED = ("parallelsamfund", "omdannelse")
HISTORY_COLUMNS = (
    "area_id", "year", "rule_set", "residents", "share_outside_work_edu", "crime_ratio", "share_basic_edu",
    "income_ratio", "share_non_western", "c1_threshold", "c2_threshold", "c3_threshold", "c4_threshold",
    "non_western_threshold", "c1_met", "c2_met", "c3_met", "c4_met", "criteria_met", "status", "years_listed",
    # the rest of the year's rule set, so pages explain a status by the rules that decided it (CONTRACT 7)
    "rule_from_year", "rule_to_year", "rule_terms", "rule_min_residents", "rule_min_social_share",
    "rule_min_criteria", "rule_omdannelse_years", "rule_prevention_areas", "prevention_c1_threshold",
    "prevention_c2_threshold", "prevention_c3_threshold", "prevention_c4_threshold",
    "prevention_non_western_threshold", "rule_prevention_min_criteria", "prevention_criteria_met",
    "prevention_criteria", "status_basis",
)
THRESHOLD_KEYS = {"c1_threshold": "c1_outside_work_edu_gt", "c2_threshold": "c2_crime_ratio_ge",
                  "c3_threshold": "c3_basic_edu_gt", "c4_threshold": "c4_income_ratio_lt",
                  "non_western_threshold": "parallelsamfund_non_western_gt",
                  "prevention_c1_threshold": "forebyggelse_c1_gt", "prevention_c2_threshold": "forebyggelse_c2_ge",
                  "prevention_c3_threshold": "forebyggelse_c3_gt", "prevention_c4_threshold": "forebyggelse_c4_lt",
                  "prevention_non_western_threshold": "forebyggelse_non_western_gt",
                  "rule_min_social_share": "min_social_share"}
# whole-number keys of the rule set (counts of criteria, years)
RULE_COUNTS = {"rule_min_residents": "min_residents", "rule_min_criteria": "udsat_min_criteria", "rule_omdannelse_years": "omdannelse_years",
               "rule_prevention_min_criteria": "forebyggelse_min_criteria"}
# The law's words for its lists: "ghetto" 2018-2020 (ghettoområde, hårdt ghettoområde), "parallelsamfund" since 2021.
DEFAULT_TERMS = "parallelsamfund"


def _years_of(frame: pd.DataFrame | None) -> set[int]:
    """The years a layer gives (none when it has no year column)."""
    if frame is None or "year" not in frame.columns:
        return set()
    return {int(y) for y in pd.to_numeric(frame["year"]).dropna().unique()}


def history_years(layers: dict[str, pd.DataFrame | None]) -> list[int | None]:
    """The years of the history in order, or [None] when no statistics layer gives a year."""
    years = sorted(set().union(*(_years_of(frame) for frame in layers.values())))
    if len(years) > 1:
        log.info("Mix computes %d years of statistics (%s) with the rules in force in each",
                 len(years), ", ".join(map(str, years)))
    return years or [None]


def _values_given(frame: pd.DataFrame | None) -> set[str]:
    """The value columns (counts, shares, ratios, amounts) a layer gives at least one value of."""
    if frame is None:
        return set()
    return {c for c in frame.columns if _is_value(c) and frame[c].notna().any()}


def _is_value(column: str) -> bool:
    try:
        return kind_of(column) in VALUE_KINDS
    except KeyError:
        return False


def current_layers(layers: dict[str, pd.DataFrame | None]) -> tuple[dict[str, pd.DataFrame | None], dict[str, int]] | None:
    """The layers that feed the current figures when the statistics end in different years: each figure from
    the latest year any layer gives it, so next year's list beside this year's parcels empties no figure (the
    dwellings from the parcels of their year, the criteria from the list). A layer ending earlier keeps only
    the values no later layer gives. None when that adds nothing to the latest year's own layers; warned."""
    ends = {name: max(_years_of(frame)) for name, frame in layers.items() if _years_of(frame)}
    if len(set(ends.values())) <= 1:
        return None
    latest = max(ends.values())
    at_end = {name: for_year(frame, ends[name]) if name in ends else frame for name, frame in layers.items()}
    current, borrowed = {}, {}
    for name, frame in at_end.items():
        later = set().union(*(_values_given(f) for n, f in at_end.items() if n in ends and ends[n] > ends.get(name, latest)))
        kept = _values_given(frame) - later if name in ends and ends[name] < latest else set()
        if kept:
            borrowed[name] = sorted(kept)
        current[name] = frame.drop(columns=[c for c in later if c in frame.columns]) if frame is not None and later else frame
    if not borrowed:
        return None
    warn(f"the statistics end in different years ({', '.join(f'{n} {y}' for n, y in ends.items())}): the current "
         "figures take each value from the latest year that gives it ("
         + "; ".join(f"{', '.join(c)} from {n} {ends[n]}" for n, c in borrowed.items())
         + f"); the history's {latest} holds only what the layers of {latest} give")
    return current, ends


def for_year(frame: pd.DataFrame | None, year: int | None) -> pd.DataFrame | None:
    """A layer's rows of year (all rows when it has no year column; None when it has none of that year)."""
    if frame is None or year is None or "year" not in frame.columns:
        return frame
    rows = frame[pd.to_numeric(frame["year"]).eq(year).fillna(False).to_numpy()].reset_index(drop=True)
    return rows if len(rows) else None


@dataclass
class YearInputs:
    """What the areas of one year are computed from: the units with area and district, the area table."""

    assigned: gpd.GeoDataFrame
    info: dict
    table: pd.DataFrame | None
    parcels_given: bool


def year_units(layers: dict, areas: gpd.GeoDataFrame, districts: gpd.GeoDataFrame | None, mix_config: dict,
               year: int | None) -> YearInputs:
    """The statistical units of year (parcels, else grid cells cut by the areas) assigned to areas and districts."""
    parcels, grid = for_year(layers["parcels"], year), for_year(layers["grid_statistics"], year)
    table = for_year(layers["area_statistics"], year)
    if table is not None:
        table = area_table(table, pd.Index(areas["area_id"].astype("str")))
    if parcels is None and grid is None and (layers["parcels"] is not None or layers["grid_statistics"] is not None):
        log.info("Mix found no parcels or grid statistics of %s; its counts come from area statistics only", year)
        units = gpd.GeoDataFrame({"parcel_id": pd.Series(dtype="str")}, geometry=[], crs=areas.crs)
        info: dict = {"grid_fed": [], "unusable": None, "lost": None}
    else:
        units, info = statistical_units(parcels, grid, areas, mix_config)
    return YearInputs(assign_parcels(units, areas, districts), info, table, parcels is not None)


def _on_list(status: np.ndarray | None, n: int) -> np.ndarray:
    """Per area 1.0 on the list (parallelsamfund or omdannelse), 0.0 not, NaN unknown (undetermined, no year)."""
    if status is None:
        return np.full(n, np.nan)
    return np.where(np.isin(status, LISTED), 1.0, np.where(status == UNDETERMINED, np.nan, 0.0))


def years_listed_at(statuses: dict[int, np.ndarray], year: int | None, years: list[int | None], typed: np.ndarray,
                    area_ids: np.ndarray | None = None) -> pd.DataFrame:
    """years_listed of each area at year from the statuses of the earlier years (module docstring).

    Returns years_listed (null where unknown), years_listed_low and years_listed_upper; at the latest
    year, warns of typed values (typed, NaN where none) that the history contradicts.
    """
    n = len(typed)
    first, latest = years[0], years[-1]
    low, high = np.zeros(n), np.zeros(n)
    low_open, high_open = np.ones(n, dtype=bool), np.ones(n, dtype=bool)
    ended_known = np.zeros(n, dtype=bool)
    earlier = range(year - 1, first - 1, -1) if year is not None else range(0)
    for y in earlier:
        listed = _on_list(statuses.get(y), n)
        ended_known |= low_open & (listed == 0)
        low += low_open & (listed == 1)
        low_open &= listed == 1
        high += high_open & (listed != 0)
        high_open &= listed != 0
    typed_known = ~np.isnan(typed)
    before = np.maximum(0.0, np.nan_to_num(typed) - ((latest - first) if year is not None else 0))
    if year == latest and area_ids is not None:
        _check_typed(typed, low, low_open, ended_known, area_ids)
    known = ended_known | (low_open & typed_known)
    low, high = low + low_open * before, high + high_open * before
    return pd.DataFrame({
        "years_listed": pd.array(np.where(known, low, np.nan), dtype="Float64").round().astype("Int64"),
        "years_listed_low": low, "years_listed_upper": high,
    })


def _check_typed(typed: np.ndarray, history: np.ndarray, reached_start: np.ndarray, ended_known: np.ndarray,
                 area_ids: np.ndarray) -> None:
    """Warn where a typed years_listed disagrees with the count the history gives."""
    given = ~np.isnan(typed)
    wrong = given & ((ended_known & (typed != history)) | (reached_start & (typed < history)))
    if wrong.any():
        pairs = [f"{a} (typed {int(t)}, history {int(h)})" for a, t, h in
                 zip(area_ids[wrong][:10], typed[wrong][:10], history[wrong][:10], strict=True)]
        warn(f"{int(wrong.sum())} housing areas have a typed years_listed that the history of their statuses "
             f"contradicts; the history's count is used: {', '.join(pairs)}")


def history_rows(mixed: pd.DataFrame, year: int | None, rule_set: str, rules: dict,
                 span: tuple[int | None, int | None] = (None, None)) -> pd.DataFrame:
    """One year's rows of areas_mix_history.parquet: the criteria values, the rule set (its years, words and
    thresholds), flags and status, and the rule that decided it (status_basis)."""
    out = pd.DataFrame({c: mixed[c].to_numpy() for c in ("area_id", "residents", "share_outside_work_edu", "crime_ratio",
                                                          "share_basic_edu", "income_ratio", "share_non_western")})
    out.insert(1, "year", pd.array([year] * len(out), dtype="Int64"))
    out.insert(2, "rule_set", rule_set)
    for column, key in THRESHOLD_KEYS.items():
        out[column] = float(rules[key])
    for column, key in RULE_COUNTS.items():
        out[column] = pd.array([int(rules[key])] * len(out), dtype="Int64")
    for column, value in zip(("rule_from_year", "rule_to_year"), span, strict=True):
        out[column] = pd.array([value] * len(out), dtype="Int64")
    out["rule_terms"] = str(rules.get("terms") or DEFAULT_TERMS)
    out["rule_prevention_areas"] = bool(rules.get("forebyggelse_areas", True))
    for column in ("c1_met", "c2_met", "c3_met", "c4_met", "criteria_met", "status", "years_listed",
                   "prevention_criteria_met", "prevention_criteria", "status_basis"):
        out[column] = mixed[column].to_numpy()
    out["residents"] = out["residents"].astype("Int64")
    for column in ("c1_met", "c2_met", "c3_met", "c4_met"):
        out[column] = out[column].astype("boolean")
    out["years_listed"] = out["years_listed"].astype("Int64")
    return out[list(HISTORY_COLUMNS)]
