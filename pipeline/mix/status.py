"""The indicative status of Almenboligloven section 61 a / 61 b, decided only by the known facts (CONTRACT 4).

An unknown input (a criterion value, the non-Western share, or eligibility when residents or the social
share are unknown, or the years on the list when an earlier year of the history is undetermined) is never
read as "not met". Each unknown input can be in a few states: a criterion
value above both the official and the prevention threshold, between them, or below both; the
non-Western share above 0.50, between 0.30 and 0.50, or below; eligibility yes or no; enough years on the
list for omdannelse, yes or no. Every combination of the states of an area's unknown inputs is evaluated
(at most 3^4 x 3 x 2 x 2 = 972, vectorised over the
areas); the status is the one they all give, else `undetermined`, with the unknown inputs that change it
listed in `deciding_unknown`. docs/indicators.md has a worked example.

`status_basis` names the rule that decided the status, as codes pages turn into the law's words:
`section_61a` (udsat, parallelsamfund, omdannelse), `section_61b` (forebyggelse), `unknown` (undetermined),
and for `none` the conditions not met: `few_residents`, `not_social` (both where both fail), else
`few_criteria` (a social area of enough residents with too few criteria, and not a prevention area).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd

STATUS_NONE = "none"
UNDETERMINED = "undetermined"
STATUSES = ("none", "forebyggelse", "udsat", "parallelsamfund", "omdannelse")
# (criterion, indicator column, comparison, key of the official threshold, key of the prevention threshold)
CRITERIA = (
    ("c1", "share_outside_work_edu", "gt", "c1_outside_work_edu_gt", "forebyggelse_c1_gt"),
    ("c2", "crime_ratio", "ge", "c2_crime_ratio_ge", "forebyggelse_c2_ge"),
    ("c3", "share_basic_edu", "gt", "c3_basic_edu_gt", "forebyggelse_c3_gt"),
    ("c4", "income_ratio", "lt", "c4_income_ratio_lt", "forebyggelse_c4_lt"),
)
NON_WESTERN_KEYS = ("parallelsamfund_non_western_gt", "forebyggelse_non_western_gt")


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column of frame, or all null when it is absent."""
    return frame[name] if name in frame.columns else pd.Series(np.nan, index=frame.index)


def _numbers(values: pd.Series) -> np.ndarray:
    """Values as a float array, null as NaN."""
    return pd.to_numeric(values).to_numpy(dtype="float64", na_value=np.nan)


def holds(values, comparison: str, threshold: float, decimals: int) -> np.ndarray:
    """Whether each value passes the threshold test (False for NaN; check knowledge separately).

    Values are rounded to `decimals` first, so a ratio of counts that equals a threshold in exact
    arithmetic (279 / 10000 / 0.0093 = 3) is not pushed across it by floating-point error.
    """
    v = np.round(np.asarray(values, dtype="float64"), decimals)
    with np.errstate(invalid="ignore"):
        return {"gt": v > threshold, "ge": v >= threshold, "lt": v < threshold}[comparison]


@dataclass(frozen=True)
class Test:
    """One input of the status: two threshold tests on one value (or one yes/no fact)."""

    name: str
    comparison: str
    thresholds: tuple[float, float]

    def outcomes(self, values: np.ndarray, decimals: int) -> np.ndarray:
        """(n, 2) booleans: the two tests per value."""
        return np.column_stack([holds(values, self.comparison, t, decimals) for t in self.thresholds])

    def states(self, decimals: int) -> np.ndarray:
        """The combinations of the two tests a value can give (e.g. c3's thresholds coincide: 2 states, not 3)."""
        cuts = np.array(self.thresholds, dtype=float)
        probes = np.concatenate([cuts, cuts - 1e-6, cuts + 1e-6, [cuts.min() - 1e6, cuts.max() + 1e6]])
        return np.unique(self.outcomes(probes, decimals), axis=0)


def _tests(mix_config: dict) -> list[Test]:
    """The four criteria and the non-Western share, each with its two thresholds."""
    tests = [Test(name, comparison, (float(mix_config[official]), float(mix_config[prevention])))
             for name, _, comparison, official, prevention in CRITERIA]
    tests.append(Test("share_non_western", "gt", tuple(float(mix_config[k]) for k in NON_WESTERN_KEYS)))
    return tests


def social_known(frame: pd.DataFrame, mix_config: dict) -> pd.Series:
    """Whether the area is social housing (nullable): area_type social, else social share >= min_social_share,
    else not social when area_type is given, else unknown."""
    decimals = int(mix_config["compare_decimals"])
    family, other = _numbers(_column(frame, "share_social_family")), _numbers(_column(frame, "share_social_other"))
    # a missing social_other share (no such column) adds nothing; a null one among known columns is unknown
    share_social = family + (np.nan_to_num(other) if "share_social_other" not in frame.columns else other)
    area_type = _column(frame, "area_type").astype("string").str.strip().str.lower()
    typed = (area_type.notna() & ~area_type.isin(["", "none", "nan"])).to_numpy(dtype=bool)
    by_type = area_type.eq("social").fillna(False).to_numpy(dtype=bool)
    by_share = holds(share_social, "ge", float(mix_config["min_social_share"]), decimals)
    value = np.where(by_type, True, np.where(np.isnan(share_social), None, by_share))
    value = np.where(pd.isna(value) & typed, False, value)
    return pd.Series(pd.array(value, dtype="boolean"), index=frame.index)


def enough_residents(frame: pd.DataFrame, mix_config: dict) -> pd.Series:
    """Whether the area has at least min_residents residents (nullable: unknown where residents are)."""
    residents = _numbers(_column(frame, "residents"))
    return pd.Series(pd.array(np.where(np.isnan(residents), None, residents >= float(mix_config["min_residents"])),
                              dtype="boolean"), index=frame.index)


def eligible_known(frame: pd.DataFrame, mix_config: dict) -> pd.Series:
    """Eligible for a status (nullable): social and at least min_residents residents (section 61 a stk. 3)."""
    social = social_known(frame, mix_config)
    enough = enough_residents(frame, mix_config)
    return pd.Series(social.array & enough.array, index=frame.index)  # Kleene logic: False & unknown = False


BASIS_OF_STATUS = {"udsat": "section_61a", "parallelsamfund": "section_61a", "omdannelse": "section_61a",
                   "forebyggelse": "section_61b", UNDETERMINED: "unknown"}


def status_basis(status: pd.Series, social: pd.Series, enough: pd.Series) -> pd.Series:
    """The rule that decided each status (module docstring): a code, or for `none` the conditions not met."""
    few = enough.eq(False).fillna(False).to_numpy(dtype=bool)
    not_social = social.eq(False).fillna(False).to_numpy(dtype=bool)
    unmet = np.where(few & not_social, "few_residents, not_social",
                     np.where(few, "few_residents", np.where(not_social, "not_social", "few_criteria")))
    codes = status.map(BASIS_OF_STATUS).to_numpy(dtype=object)
    return pd.Series(np.where(pd.isna(codes), unmet, codes), index=status.index, dtype="str")


def _status_codes(states: np.ndarray, eligible: np.ndarray, years_ok: np.ndarray, mix_config: dict) -> np.ndarray:
    """Status per combination (index into STATUSES) from (combos, 4 criteria, 2 tests) and non-Western (combos, 2).

    A rule set without prevention areas (mix.rule_sets: forebyggelse_areas false, before 2021) never gives
    forebyggelse.
    """
    criteria, non_western = states[:, :4, :], states[:, 4, :]
    official, prevention = criteria[:, :, 0].sum(axis=1), criteria[:, :, 1].sum(axis=1)
    udsat = eligible & (official >= int(mix_config["udsat_min_criteria"]))
    parallel = udsat & non_western[:, 0]
    omdannelse = parallel & years_ok
    forebyggelse = eligible & ~udsat & non_western[:, 1] & (prevention >= int(mix_config["forebyggelse_min_criteria"]))
    forebyggelse &= bool(mix_config.get("forebyggelse_areas", True))
    return np.select([omdannelse, parallel, udsat, forebyggelse], [4, 3, 2, 1], default=0)


def _years_ok(frame: pd.DataFrame, mix_config: dict) -> tuple[np.ndarray, np.ndarray]:
    """Whether years_listed + 1 reaches omdannelse_years, and whether that is known.

    years_listed null counts as 0 (no earlier year known on the list); years_listed_upper, where the
    history leaves the count between the two (an undetermined earlier year), bounds it from above.
    """
    low = np.nan_to_num(_numbers(_column(frame, "years_listed")))
    high = _numbers(_column(frame, "years_listed_upper"))
    high = np.where(np.isnan(high), low, high)
    needed = int(mix_config["omdannelse_years"])
    ok_low, ok_high = (low + 1) >= needed, (high + 1) >= needed
    return ok_low, ok_low == ok_high


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word.replace('criterion', 'criteria')}"


def _names(mask: np.ndarray, names: list[str]) -> list[str]:
    """Per row, the names of its true columns joined by ', '."""
    labels = np.array([f"{n}, " for n in names], dtype=object)
    text = np.where(mask, labels, "").astype(object).sum(axis=1) if mask.shape[1] else np.full(len(mask), "")
    return [str(t).removesuffix(", ") for t in text]


def status_columns(frame: pd.DataFrame, mix_config: dict) -> pd.DataFrame:
    """Criteria flags, eligibility and the status per area, decided only where the known facts decide it.

    frame holds share_outside_work_edu, crime_ratio, share_basic_edu, income_ratio, share_non_western,
    residents, share_social_family / share_social_other or area_type, and years_listed (null = 0; an
    optional years_listed_upper where the history leaves it open).
    """
    decimals = int(mix_config["compare_decimals"])
    tests = _tests(mix_config)
    columns = [*(column for _, column, *_ in CRITERIA), "share_non_western"]
    values = np.column_stack([_numbers(_column(frame, c)) for c in columns]) if len(frame) else np.zeros((0, 5))
    unknown = np.isnan(values)
    outcomes = [t.outcomes(values[:, k], decimals) for k, t in enumerate(tests)]
    eligible = eligible_known(frame, mix_config)
    years_ok, years_known = _years_ok(frame, mix_config)

    # every combination of the inputs' states: 5 threshold inputs, eligibility and years listed (False, True)
    state_sets = [t.states(decimals) for t in tests]
    radix = [len(s) for s in state_sets] + [2, 2]
    combos = np.array(list(itertools.product(*[range(r) for r in radix])), dtype=np.intp)
    combo_states = np.stack([state_sets[k][combos[:, k]] for k in range(5)], axis=1)  # (C, 5, 2)
    codes = _status_codes(combo_states, combos[:, 5].astype(bool), combos[:, 6].astype(bool), mix_config)
    status_of = np.broadcast_to(codes, (len(frame), len(codes)))  # (areas, C)

    known_state = np.full((len(frame), 7), -1, dtype=np.intp)
    for k in range(5):
        match = (outcomes[k][:, None, :] == state_sets[k][None, :, :]).all(axis=2)
        known_state[:, k] = np.where(unknown[:, k], -1, match.argmax(axis=1))
    known_state[:, 5] = np.where(eligible.isna(), -1, eligible.fillna(False).astype(int))
    known_state[:, 6] = np.where(years_known, years_ok.astype(int), -1)
    allowed = ((known_state[:, None, :] < 0) | (known_state[:, None, :] == combos[None, :, :])).all(axis=2)
    low = np.where(allowed, status_of, 99).min(axis=1)
    high = np.where(allowed, status_of, -1).max(axis=1)
    determined = low == high

    strides = np.cumprod([1, *radix[::-1]])[:-1][::-1]
    deciding = np.zeros((len(frame), 7), dtype=bool)
    for k in range(7):
        for s in range(radix[k]):
            other = np.arange(len(combos)) + (s - combos[:, k]) * strides[k]
            differs = allowed & allowed[:, other] & (status_of != status_of[:, other])
            deciding[:, k] |= differs.any(axis=1)
    deciding &= ~determined[:, None]

    names = [name for name, *_ in CRITERIA]
    official = np.column_stack([o[:, 0] for o in outcomes[:4]]) & ~unknown[:, :4]
    prevention = np.column_stack([o[:, 1] for o in outcomes[:4]]) & ~unknown[:, :4]
    status = np.where(determined, np.array(STATUSES, dtype=object)[np.clip(low, 0, 4)], UNDETERMINED)
    out = pd.DataFrame(index=frame.index)
    for k, name in enumerate(names):
        out[f"{name}_met"] = pd.array(np.where(unknown[:, k], None, official[:, k]), dtype="boolean")
    out["criteria_met"] = official.sum(axis=1).astype("int64")
    out["criteria"] = _names(official, names)
    out["criteria_unknown"] = _names(unknown[:, :4], names)
    out["prevention_criteria_met"] = prevention.sum(axis=1).astype("int64")
    out["prevention_criteria"] = _names(prevention, names)
    out["is_social"] = social_known(frame, mix_config)
    out["eligible"] = eligible
    out["status"] = pd.Series(status, index=frame.index, dtype="str")
    out["deciding_unknown"] = _names(deciding, [*names, "share_non_western", "eligible", "years_listed"])
    out["status_basis"] = status_basis(out["status"], out["is_social"], enough_residents(frame, mix_config))
    out["status_reason"] = _reasons(out, unknown[:, :4])
    return out


def _reasons(out: pd.DataFrame, unknown: np.ndarray) -> list[str]:
    """Text such as "1 criterion met, 2 unknown (c2, c4)" per area, plus what leaves a status undetermined."""
    texts = []
    for met, criteria, n_unknown, unknown_names, status, deciding, eligible in zip(
        out["criteria_met"], out["criteria"], unknown.sum(axis=1), out["criteria_unknown"], out["status"],
        out["deciding_unknown"], out["eligible"], strict=True,
    ):  # text per area, after the vectorised decision
        text = _plural(int(met), "criterion") + " met" + (f" ({criteria})" if criteria else "")
        if n_unknown:
            text += f", {int(n_unknown)} unknown ({unknown_names})"
        if pd.isna(eligible):
            text += "; eligibility unknown"
        elif not eligible:
            text += "; not eligible"
        if status == UNDETERMINED:
            text += f"; undetermined: depends on {deciding}"
        texts.append(text)
    return texts
