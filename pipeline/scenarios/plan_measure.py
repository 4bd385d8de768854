"""The projected areas measured as the mix stage measures areas: every year and variant of the plan at once.

The dwellings, residents and person counts of every (year, variant, area) do not depend on any status, so they
are measured in one frame with pipeline.mix's own functions (tenure shares, criteria, the status under the rule
set in force each year, the family housing gap exactly in integers). Only the years on the list depend on the
earlier years' statuses (omdannelse after mix.omdannelse_years): the statuses are computed with the years listed
of the previous pass until they no longer change, which takes two passes unless a status changes whether an area
is on the list (each pass fixes at least one more year). An area whose figures, in this year and every earlier
one, equal the whole plan's (variant 0) takes variant 0's measurement.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline import mix

SOCIAL_FAMILY = "social_family"
LISTED = ("parallelsamfund", "omdannelse")  # the years on the list that lead to omdannelse (pipeline.mix.history)
# what pipeline.mix.status_columns reads of a row (its docstring): equal inputs, equal status
STATUS_INPUTS = ("share_outside_work_edu", "crime_ratio", "share_basic_edu", "income_ratio", "share_non_western",
                 "residents", "share_social_family", "share_social_other", "area_type", "years_listed",
                 "years_listed_upper")
CHUNK_ROWS = 20_000  # rows of one status_columns call: its enumeration takes about 140 MB of flags
STATUS_COLUMNS = ["c1_met", "c2_met", "c3_met", "c4_met", "criteria_met", "status", "status_reason"]


def _same_as_whole_plan(states: list[dict]) -> np.ndarray:
    """(years, variants, areas): the area's figures equal variant 0's this year and every earlier year."""
    same = []
    for state in states:
        features = np.concatenate([state["dw"], state["res"][:, :, None], state["cnt"]], axis=2)
        equal = ((features == features[:1]) | (np.isnan(features) & np.isnan(features[:1]))).all(axis=2)
        same.append(equal if not same else equal & same[-1])
    out = np.stack(same)
    out[:, 0, :] = False
    return out


def _frame(states: list[dict], rows: list[np.ndarray], kinds: list[str], counts: list[str],
           area_type: np.ndarray | None) -> pd.DataFrame:
    """The measured rows' counts: per year the given flat (variant, area) rows."""
    columns: dict[str, np.ndarray] = {}
    n_kind, n_count = len(kinds), len(counts)
    dw = np.concatenate([s["dw"].reshape(-1, n_kind)[r] for s, r in zip(states, rows, strict=True)])
    cnt = np.concatenate([s["cnt"].reshape(-1, n_count)[r] for s, r in zip(states, rows, strict=True)])
    columns.update({f"dwellings_{kind}": dw[:, j] for j, kind in enumerate(kinds)})
    columns["residents"] = np.concatenate([s["res"].reshape(-1)[r] for s, r in zip(states, rows, strict=True)])
    columns.update({count: cnt[:, j] for j, count in enumerate(counts)})
    if area_type is not None:
        n_var = len(states[0]["res"])
        columns["area_type"] = np.concatenate([np.tile(area_type, n_var)[r] for r in rows])
    return pd.DataFrame(columns)


def _years_listed(status: np.ndarray, low0: np.ndarray, high0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(years, variants, areas) bounds of the years listed before each year, from the statuses of the years before
    (pipeline.mix.history's rule: an undetermined year ends the sure count and may extend the upper bound)."""
    low, high = np.empty(status.shape), np.empty(status.shape)
    low[0], high[0] = low0, high0
    for y in range(1, len(status)):
        on = np.isin(status[y - 1], LISTED)
        unknown = status[y - 1] == mix.UNDETERMINED
        low[y] = np.where(on, low[y - 1] + 1, 0.0)
        high[y] = np.where(on | unknown, high[y - 1] + 1, 0.0)
    return low, high


def measure_years(states: list[dict], years: list[int], kinds: list[str], counts: list[str], baseline: pd.DataFrame,
                  mix_config: dict) -> tuple[pd.DataFrame, list[np.ndarray]]:
    """The measured rows (one frame) and per year the (variants, areas) row of each area in it."""
    n_var, n_area = states[0]["res"].shape
    same = _same_as_whole_plan(states)
    rows = [np.flatnonzero(~s.reshape(-1)) for s in same]
    starts = np.cumsum([0, *[len(r) for r in rows]])
    sources = []
    for y, r in enumerate(rows):
        position = np.full(n_var * n_area, -1)
        position[r] = starts[y] + np.arange(len(r))
        position = position.reshape(n_var, n_area)
        sources.append(np.where(same[y], position[:1], position))
    area_type = baseline["area_type"].astype("object").to_numpy() if "area_type" in baseline.columns else None
    frame = _frame(states, rows, kinds, counts, area_type)
    year_of = np.repeat(np.array(years), [len(r) for r in rows])
    tenures = [k for k in kinds if k != mix.OTHER_TENURE]
    rule_sets = {year: mix.rules_for_year(mix_config, year) for year in years}
    frame["dwellings"] = mix.all_dwellings(frame, tenures)
    frame = pd.concat([frame, mix.tenure_shares(frame, tenures),
                       mix.criteria_indicators(frame, rule_sets[years[-1]][1])], axis=1)
    frame["rule_set"] = [rule_sets[y][0] for y in year_of]
    low0, high0 = _listed(baseline)
    status = np.full((len(years), n_var, n_area), None, dtype=object)
    measured, redo = None, np.ones(len(frame), dtype=bool)
    for _ in range(len(years) + 1):  # each pass fixes at least one more year; only rows whose years changed
        low, high = _years_listed(status, np.broadcast_to(low0, (n_var, n_area)), np.broadcast_to(high0, (n_var, n_area)))
        low, high = _taken(low, sources, len(frame)), _taken(high, sources, len(frame))
        if measured is not None:
            redo = (low != frame["years_listed"].to_numpy()) | (high != frame["years_listed_upper"].to_numpy())
        frame["years_listed"], frame["years_listed_upper"] = low, high
        if not redo.any():
            break
        again = _statuses(frame[redo], rule_sets, year_of[redo])
        measured = again if measured is None else pd.concat([measured[~redo], again]).reindex(frame.index)
        status = np.stack([measured["status"].to_numpy(dtype=object)[s] for s in sources])
    known = frame["years_listed"].to_numpy() == frame["years_listed_upper"].to_numpy()
    frame["years_listed"] = pd.array(np.where(known, frame["years_listed"], np.nan), dtype="Float64").round().astype("Int64")
    frame = pd.concat([frame, measured], axis=1)
    omdannelse = np.stack([frame["status"].eq("omdannelse").to_numpy()[s] for s in sources])
    bound = np.logical_or.accumulate(omdannelse | baseline["status"].astype("object").eq("omdannelse").to_numpy(),
                                     axis=0)
    gaps = mix.family_housing_gap(frame[f"dwellings_{SOCIAL_FAMILY}"], frame["dwellings"],
                                  mix_config["family_housing_cap"])
    frame["bound"] = _taken(bound.astype(float), sources, len(frame)).astype(bool)
    return pd.concat([frame, gaps.where(frame["bound"], axis=0)], axis=1), sources


def _taken(values: np.ndarray, sources: list[np.ndarray], n: int) -> np.ndarray:
    """(years, variants, areas) values as one per measured row."""
    out = np.full(n, np.nan)
    for y, source in enumerate(sources):
        out[source.reshape(-1)] = values[y].reshape(-1)
    return out


def _statuses(frame: pd.DataFrame, rule_sets: dict, year_of: np.ndarray) -> pd.DataFrame:
    """The status columns of every row under the rule set in force in its year (one call per rule set); rows with
    the same inputs of the status (STATUS_INPUTS) are decided once."""
    parts = []
    keys = [c for c in STATUS_INPUTS if c in frame.columns]
    for name in dict.fromkeys(name for name, _ in rule_sets.values()):
        chosen = np.isin(year_of, [y for y, (n, _) in rule_sets.items() if n == name])
        rules = next(r for n, r in rule_sets.values() if n == name)
        group = frame[chosen].groupby(keys, dropna=False, sort=False).ngroup().to_numpy()
        first = np.flatnonzero(chosen)[np.unique(group, return_index=True)[1]]
        decided = []
        for start in range(0, len(first), CHUNK_ROWS):  # the enumeration holds rows x 972 x 7 flags at once
            decided.append(mix.status_columns(frame.iloc[first[start:start + CHUNK_ROWS]], rules)[STATUS_COLUMNS])
        decided = pd.concat(decided).iloc[group]
        parts.append(decided.set_axis(frame.index[chosen]))
    return pd.concat(parts).reindex(frame.index)


def _listed(baseline: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """years_listed of the baseline as (low, high), null as 0 as the status reads it."""
    low = pd.to_numeric(baseline["years_listed"]).to_numpy(dtype="float64", na_value=np.nan) \
        if "years_listed" in baseline.columns else np.zeros(len(baseline))
    low = np.nan_to_num(low)
    high = pd.to_numeric(baseline["years_listed_upper"]).to_numpy(dtype="float64", na_value=np.nan) \
        if "years_listed_upper" in baseline.columns else np.full(len(baseline), np.nan)
    return low, np.where(np.isnan(high), low, high)
