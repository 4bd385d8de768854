"""The rules of Almenboligloven section 61 a / 61 b (CONTRACT 4): rule sets by year, criteria, gap, path off the list.

What the law says, apart from the arithmetic of sums (pipeline/mix/sums.py) and from the decision by
enumeration of unknown inputs (pipeline/mix/status.py): which rule set is in force in a year
(mix.rule_sets in config, each with its years and its legal source), the four criteria values, the
family housing gap of omdannelse areas (section 168 a) and the path off the list: how many persons (or
DKK of mean income) each criterion is from no longer being met, and the smallest combination of
criteria whose change leaves an area with fewer criteria met than the list needs. docs/indicators.md
explains each rule for planners.
"""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pandas as pd

from pipeline.core.log import warn
from pipeline.mix.status import status_columns
from pipeline.mix.sums import column_or_null, share
from pipeline.sources.statistics import INCOME_SUM

# The keys of mix a rule set may change; a rule set names only those that differ from the keys of mix.
RULE_KEYS = (
    "c1_outside_work_edu_gt", "c2_crime_ratio_ge", "c3_basic_edu_gt", "c4_income_ratio_lt", "min_residents",
    "min_social_share", "udsat_min_criteria", "parallelsamfund_non_western_gt", "omdannelse_years",
    "forebyggelse_areas", "forebyggelse_non_western_gt", "forebyggelse_min_criteria", "forebyggelse_c1_gt",
    "forebyggelse_c2_ge", "forebyggelse_c3_gt", "forebyggelse_c4_lt", "terms",
)
CURRENT_RULES = "current"
ON_THE_LIST = ("udsat", "parallelsamfund", "omdannelse")
# (criterion, count column, base column, key of the official threshold) of the person-based criteria
PERSON_CRITERIA = (
    ("c1", "outside_work_edu_18_64", "residents_18_64", "c1_outside_work_edu_gt"),
    ("c2", "convicted_18plus", "residents_18plus", "c2_crime_ratio_ge"),
    ("c3", "basic_edu_only_30_59", "residents_30_59", "c3_basic_edu_gt"),
)
PATH_COLUMNS = ("path_c1_persons", "path_c2_persons", "path_c3_persons", "path_c4_income_dkk", "path_criteria",
                "path_persons")


# --- rule sets by year ---------------------------------------------------------------------------


def rule_sets(mix_config: dict) -> list[tuple[str, int, int | None, dict]]:
    """The configured rule sets as (name, from_year, to_year or None, the keys they change), oldest first."""
    sets = []
    for name, spec in (mix_config.get("rule_sets") or {}).items():
        changes = {k: v for k, v in spec.items() if k in RULE_KEYS and v is not None}
        sets.append((str(name), int(spec["from_year"]), None if spec.get("to_year") is None else int(spec["to_year"]),
                     changes))
    return sorted(sets, key=lambda s: s[1])


def rules_for_year(mix_config: dict, year: int | None) -> tuple[str, dict]:
    """The name of the rule set in force in year and mix_config with its keys (None: the latest rule set).

    A year before every rule set is judged by the oldest one (warned: add the older rules to
    mix.rule_sets for a faithful status); without rule sets, the keys of mix are the one rule set.
    """
    sets = rule_sets(mix_config)
    if not sets:
        return CURRENT_RULES, mix_config
    if year is None:
        name, _, _, changes = sets[-1]
        return name, {**mix_config, **changes}
    in_force = [s for s in sets if s[1] <= year and (s[2] is None or year <= s[2])]
    if not in_force:
        earlier = [s for s in sets if s[1] <= year]
        chosen = earlier[-1] if earlier else sets[0]
        warn(f"no rule set of mix.rule_sets is in force in {year}; its status follows {chosen[0]} "
             f"({chosen[1]}-{chosen[2] or ''}): add the rules of {year} to mix.rule_sets for a faithful status")
        in_force = [chosen]
    name, _, _, changes = in_force[-1]
    return name, {**mix_config, **changes}


def rule_set_span(mix_config: dict, name: str) -> tuple[int | None, int | None]:
    """The first and last year (None: open) of the named rule set; (None, None) for the keys of mix alone."""
    for set_name, first, last, _ in rule_sets(mix_config):
        if set_name == name:
            return first, last
    return None, None


# --- the criteria --------------------------------------------------------------------------------


def criteria_indicators(frame: pd.DataFrame, mix_config: dict) -> pd.DataFrame:
    """The section 61a indicators from an area's sums: the four criteria values and the non-Western share."""
    conviction_rate = share(frame["convicted_18plus"], frame["residents_18plus"])
    mean_income = share(frame[INCOME_SUM], frame["taxpayers_15_64"])
    return pd.DataFrame(
        {
            "share_outside_work_edu": share(frame["outside_work_edu_18_64"], frame["residents_18_64"]),
            "conviction_rate_18plus": conviction_rate,
            "crime_ratio": conviction_rate / float(mix_config["national_conviction_rate"]),
            "share_basic_edu": share(frame["basic_edu_only_30_59"], frame["residents_30_59"]),
            "mean_income_15_64_dkk": mean_income,
            "income_ratio": mean_income / float(mix_config["regional_mean_income"]),
            "share_non_western": share(frame["non_western"], frame["residents"]),
        },
        index=frame.index,
    )


def area_status(frame: pd.DataFrame, mix_config: dict) -> pd.Series:
    """The indicative status per area: none, forebyggelse, udsat, parallelsamfund, omdannelse or undetermined.

    Computed from the indicator columns (share_outside_work_edu, crime_ratio, share_basic_edu,
    income_ratio, share_non_western), residents, share_social_family + share_social_other (or
    area_type) and years_listed (null = 0); an unknown input that could change the status leaves it
    undetermined (pipeline.mix.status).
    """
    return status_columns(frame, mix_config)["status"].rename("status")


# --- family housing gap --------------------------------------------------------------------------


def _whole_numbers(values: pd.Series, name: str) -> pd.Series:
    """Values as nullable int64, refusing fractions (the gap is computed exactly in integers)."""
    numbers = pd.to_numeric(values).astype("float64")
    if (numbers.dropna() % 1 != 0).any():
        raise ValueError(f"{name} must hold whole numbers of dwellings")
    return numbers.round().astype("Int64")


def _ceil_div(numerator: pd.Series, denominator: int) -> pd.Series:
    """Exact ceil(numerator / denominator) for integers and a positive integer denominator."""
    return -((-numerator) // denominator)


def family_housing_gap(social_family: pd.Series, dwellings: pd.Series, cap: float) -> pd.DataFrame:
    """Dwellings to add, convert or demolish to bring social family dwellings S to at most cap of all D.

    With cap = n/d as an exact fraction and excess = S d - D n (= d (S - cap D)):
    gap_add_dwellings = ceil(S / cap - D) = ceil(excess / n);
    gap_convert_dwellings = ceil(S - cap D) = ceil(excess / d);
    gap_demolish_dwellings = ceil((S - cap D) / (1 - cap)) = ceil(excess / (d - n)).
    0 where S <= cap D; null where D is 0 or either count is null. Integers throughout, no floats.
    """
    fraction = Fraction(str(cap))
    if not 0 < fraction < 1:
        raise ValueError(f"the family housing cap must lie strictly between 0 and 1, not {cap}")
    n, d = fraction.numerator, fraction.denominator
    if len(social_family) != len(dwellings):
        raise ValueError("social_family and dwellings must have one value per area each")
    s = _whole_numbers(social_family, "social_family")
    t = _whole_numbers(dwellings, "dwellings").set_axis(s.index)
    excess = (s * d - t * n).clip(lower=0)
    gaps = {
        "gap_add_dwellings": _ceil_div(excess, n),
        "gap_convert_dwellings": _ceil_div(excess, d),
        "gap_demolish_dwellings": _ceil_div(excess, d - n),
    }
    undefined = t.isna() | s.isna() | t.eq(0).fillna(False)
    return pd.DataFrame({k: v.mask(undefined).astype("Int64") for k, v in gaps.items()}, index=social_family.index)


# --- the path off the list -----------------------------------------------------------------------


def _exact(value: float) -> Fraction:
    """A configured decimal as the exact fraction it was written as (0.40 = 2/5)."""
    return Fraction(str(value))


def _counts(frame: pd.DataFrame, name: str) -> np.ndarray:
    """A count column as float (NaN for null)."""
    return pd.to_numeric(column_or_null(frame, name)).to_numpy(dtype="float64", na_value=np.nan)


def persons_to_leave(count: np.ndarray, base: np.ndarray, threshold: Fraction, comparison: str) -> np.ndarray:
    """Fewest persons to take off count (base fixed) so that count / base no longer passes the threshold test.

    "gt" (exceeds t): count - k <= t base, so k = ceil(count - t base); "ge" (at least t): count - k < t base,
    so k = floor(count - t base) + 1 (one more than equality). Exact in integers; NaN where unknown, and
    a value <= 0 where the test does not pass (the caller reads that as 0).
    """
    n, d = threshold.numerator, threshold.denominator
    known = ~(np.isnan(count) | np.isnan(base))
    c = np.where(known, np.round(np.nan_to_num(count)), 0).astype(np.int64)
    b = np.where(known, np.round(np.nan_to_num(base)), 0).astype(np.int64)
    over = c * d - n * b  # d (count - t base)
    k = -((-over) // d) if comparison == "gt" else over // d + 1
    return np.where(known, k.astype("float64"), np.nan)


def income_to_leave(frame: pd.DataFrame, threshold: Fraction, mix_config: dict) -> np.ndarray:
    """DKK more mean gross income per taxpayer 15-64 that brings income_ratio to threshold ("below t": at t it is
    no longer met), rounded up to whole DKK; NaN where unknown."""
    mean = _counts(frame, INCOME_SUM) / np.where(_counts(frame, "taxpayers_15_64") > 0, _counts(frame, "taxpayers_15_64"),
                                                 np.nan)
    target = float(threshold * _exact(mix_config["regional_mean_income"]))
    return np.ceil(np.round(target - mean, 6))


def path_off_the_list(frame: pd.DataFrame, mix_config: dict) -> pd.DataFrame:
    """path_c1..c3_persons, path_c4_income_dkk, path_criteria and path_persons per area (docs/indicators.md).

    Per criterion: 0 where it is not met, null where it is unknown or its counts are (or do not support
    the value the area table gave). The combination: among the criteria met, the fewest whose change leaves
    fewer than mix.udsat_min_criteria met, the one with the smallest sum of relative changes (persons /
    their base; DKK / the income threshold), ties in the order c1..c4; only for areas on the list.
    """
    steps, relative = {}, {}
    for name, count, base, key in PERSON_CRITERIA:
        comparison = "ge" if key.endswith("_ge") else "gt"
        threshold = _exact(mix_config[key])
        if name == "c2":
            threshold *= _exact(mix_config["national_conviction_rate"])
        k = persons_to_leave(_counts(frame, count), _counts(frame, base), threshold, comparison)
        steps[name] = k
        relative[name] = k / np.where(_counts(frame, base) > 0, _counts(frame, base), np.nan)
    c4_threshold = _exact(mix_config["c4_income_ratio_lt"])
    steps["c4"] = income_to_leave(frame, c4_threshold, mix_config)
    relative["c4"] = steps["c4"] / float(c4_threshold * _exact(mix_config["regional_mean_income"]))
    out = pd.DataFrame(index=frame.index)
    names = ["c1", "c2", "c3", "c4"]
    met = np.column_stack([pd.array(column_or_null(frame, f"{c}_met"), dtype="boolean").to_numpy(dtype="float64",
                                                                                                 na_value=np.nan)
                           for c in names]) if len(frame) else np.zeros((0, 4))
    for j, name in enumerate(names):
        value = np.where(met[:, j] == 0, 0.0, np.where((met[:, j] == 1) & (steps[name] > 0), steps[name], np.nan))
        column = f"path_{name}_persons" if name != "c4" else "path_c4_income_dkk"
        out[column] = pd.array(np.where(np.isnan(value), None, value), dtype="Int64")
    # a met criterion whose counts say it is not (an area table gave the value) has no known change: NaN
    cost = np.column_stack([np.where(met[:, j] == 1, np.where(steps[n] > 0, relative[n], np.nan), 0.0)
                            for j, n in enumerate(names)]) \
        if len(frame) else np.zeros((0, 4))
    criteria, persons = _smallest_combination(met, cost, out, frame, mix_config)
    out["path_criteria"] = pd.array(criteria, dtype="str")
    out["path_persons"] = pd.array(persons, dtype="Int64")
    return out


def _smallest_combination(met: np.ndarray, cost: np.ndarray, steps: pd.DataFrame, frame: pd.DataFrame,
                          mix_config: dict) -> tuple[list, list]:
    """Per area the cheapest combination of met criteria whose change leaves fewer than the list needs, and
    its persons (c1..c3); None for areas not on the list or where an input is unknown."""
    names = ["c1", "c2", "c3", "c4"]
    status = column_or_null(frame, "status").astype("object").to_numpy()
    listed = np.isin(status, ON_THE_LIST)
    known = ~np.isnan(met).any(axis=1) & ~np.isnan(cost).any(axis=1)
    n_met = np.nan_to_num(met).sum(axis=1).astype(int)
    needed = n_met - (int(mix_config["udsat_min_criteria"]) - 1)
    subsets = [s for r in range(1, 5) for s in itertools.combinations(range(4), r)]
    mask = np.zeros((len(subsets), 4), dtype=bool)
    for i, subset in enumerate(subsets):
        mask[i, list(subset)] = True
    usable = ((mask[None, :, :] <= (np.nan_to_num(met) == 1)[:, None, :]).all(axis=2)
              & (mask.sum(axis=1)[None, :] == needed[:, None]))
    total = np.where(usable, (np.nan_to_num(cost)[:, None, :] * mask[None, :, :]).sum(axis=2), np.inf)
    best = total.argmin(axis=1) if len(subsets) and len(met) else np.zeros(len(met), dtype=int)
    found = listed & known & np.isfinite(total[np.arange(len(met)), best]) if len(met) else listed
    person_steps = steps[["path_c1_persons", "path_c2_persons", "path_c3_persons"]].astype("Float64").to_numpy(
        dtype="float64", na_value=np.nan)
    criteria, persons = [], []
    for row in range(len(met)):  # text per area, after the vectorised choice
        if not found[row]:
            criteria.append(None)
            persons.append(None)
            continue
        chosen = mask[best[row]]
        criteria.append(", ".join(n for n, on in zip(names, chosen, strict=True) if on))
        persons.append(int(np.nansum(person_steps[row, :3] * chosen[:3])))
    return criteria, persons
