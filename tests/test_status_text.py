"""Each status explained by the rule that decided it (issue 21, CONTRACT 7), with hand-worked areas.

Four areas under the default rules (pipeline/defaults.yaml mix; the rule set since 2021):
- P, a prevention area: 1,295 residents, all social; c1 35 % (not over 40 %, but over 61 b's 30 %), c2 1.27
  (under 3 and under 2), c3 40.4 % (not over 60 %), c4 0.60 (not under 0.55, but under 61 b's 0.65), non-Western
  39.8 % (not over 50 %, over 30 %): 0 criteria of 61 a, 2 of 61 b (c1, c4), so forebyggelse by section 61 b.
- S, small: 729 residents, all social, c1 46.8 %, c2 4.31, c4 0.48 met (3 criteria): fewer than 1,000, so none.
- N, not social: 1,312 residents, 34.8 % social, every criterion met: not mainly social housing, so none.
- F, too few criteria: 1,157 residents, all social, nothing met, non-Western 17.9 %: none, and no prevention area
  either since 17.9 % is not over 30 %.
Danish percentages carry Babel's no-break space (39,8\xa0%).
"""

from __future__ import annotations

import pandas as pd
import pytest
import yaml

from pipeline.core.config import DEFAULTS_FILE
from pipeline.mix.status import status_columns
from pipeline.publish.i18n import language
from pipeline.publish.status_text import (
    explanation,
    latest_rules,
    rule_set_text,
    rules_from_config,
    status_word,
)


@pytest.fixture(scope="module")
def mix_config() -> dict:
    return yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))["mix"]


def hand_areas() -> pd.DataFrame:
    return pd.DataFrame({
        "area_id": ["P", "S", "N", "F"],
        "residents": [1295, 729, 1312, 1157],
        "share_social_family": [0.78, 0.61, 0.287, 0.687],
        "share_social_other": [0.22, 0.39, 0.061, 0.313],
        "share_outside_work_edu": [0.35, 0.468, 0.494, 0.205],
        "crime_ratio": [1.27, 4.31, 4.33, 0.65],
        "share_basic_edu": [0.404, 0.46, 0.701, 0.299],
        "income_ratio": [0.60, 0.48, 0.45, 0.85],
        "share_non_western": [0.398, 0.398, 0.652, 0.179],
        "years_listed": [0, 0, 0, 0],
    })


@pytest.fixture(scope="module")
def decided(mix_config) -> pd.DataFrame:
    frame = hand_areas()
    out = pd.concat([frame, status_columns(frame, mix_config)], axis=1)
    out["share_social"] = out["share_social_family"] + out["share_social_other"]
    return out.set_index("area_id", drop=False)


def test_mix_names_the_rule_that_decided_each_status(decided):
    assert decided["status"].tolist() == ["forebyggelse", "none", "none", "none"]
    assert decided["status_basis"].tolist() == ["section_61b", "few_residents", "not_social", "few_criteria"]
    assert decided.loc["P", "criteria_met"] == 0 and decided.loc["P", "prevention_criteria_met"] == 2
    assert decided.loc["P", "prevention_criteria"] == "c1, c4"
    assert decided.loc["S", "criteria_met"] == 3 and decided.loc["N", "criteria_met"] == 4


def test_a_prevention_area_is_explained_by_section_61b_its_thresholds_and_count(decided, mix_config):
    rules = rules_from_config(mix_config)
    assert explanation(language("en"), decided.loc["P"], rules) == [
        "Forebyggelsesområde under § 61 b: immigrants and descendants from non-Western countries are 39.8% of the "
        "residents (more than 30%), and 2 of the 4 prevention criteria of § 61 b are met (c1, c4); at least 2 are "
        "needed.",
        "0 of the 4 criteria of § 61 a are met; an udsat boligområde needs at least 2."]
    assert explanation(language("da"), decided.loc["P"], rules)[0] == (
        "Forebyggelsesområde efter § 61 b: indvandrere og efterkommere fra ikke-vestlige lande er 39,8\xa0% af beboerne "
        "(over 30\xa0%), og 2 af de 4 kriterier i § 61 b er opfyldt (c1, c4); mindst 2 af de 4 skal være opfyldt.")


def test_an_area_under_1000_residents_is_explained_as_such(decided, mix_config):
    rules = rules_from_config(mix_config)
    assert explanation(language("da"), decided.loc["S"], rules) == [
        "Ikke omfattet af loven: 729 beboere, færre end de 1.000, som § 61 a og § 61 b kræver.",
        "3 af de 4 kriterier er opfyldt, men de tæller ikke for et område, loven ikke omfatter."]
    assert explanation(language("en"), decided.loc["S"], rules)[0] == (
        "Not covered by the law: 729 residents, fewer than the 1,000 that § 61 a and § 61 b require.")


def test_not_social_and_too_few_criteria_name_the_condition_not_met(decided, mix_config):
    rules = rules_from_config(mix_config)
    assert explanation(language("en"), decided.loc["N"], rules)[0] == (
        "Not covered by the law: social housing is 34.8% of the dwellings; § 61 a and § 61 b cover areas of mainly "
        "social housing (at least 50%).")
    assert explanation(language("en"), decided.loc["F"], rules) == [
        "0 of the 4 criteria of § 61 a are met; an udsat boligområde needs at least 2.",
        "Not a forebyggelsesområde (§ 61 b): immigrants and descendants from non-Western countries are 17.9% of the "
        "residents, not more than 30%."]


def test_thresholds_are_read_from_the_rule_set_applied_not_written_in_the_page(decided, mix_config):
    """A history whose latest year ran under other thresholds (61 b's c1 at 25\xa0%, 900 residents) is what the texts say."""
    history = pd.DataFrame({"area_id": ["P", "P"], "year": [2023, 2024], "prevention_c1_threshold": [0.30, 0.25],
                            "rule_min_residents": [1000, 900], "rule_from_year": [2021, 2024],
                            "rule_to_year": [None, None], "rule_terms": ["parallelsamfund"] * 2})
    rules = latest_rules(history, mix_config)
    assert rules["prevention_c1_threshold"] == 0.25 and rules["rule_min_residents"] == 900
    assert explanation(language("en"), decided.loc["S"], rules)[0] == (
        "Not covered by the law: 729 residents, fewer than the 900 that § 61 a and § 61 b require.")
    assert rule_set_text(language("en"), rules) == (
        "Almenboligloven § 61 a and § 61 b, the rules since 2024 (udsatte boligområder, parallelsamfund, "
        "omdannelsesområder and forebyggelsesområder)")


def test_the_2018_rules_are_described_in_their_own_law_s_words_never_a_code(mix_config):
    rules = {**rules_from_config(mix_config), "rule_from_year": 2018, "rule_to_year": 2020, "rule_terms": "ghetto",
             "rule_prevention_areas": False}
    da = language("da")
    assert rule_set_text(da, rules) == ("Almenboligloven § 61 a, reglerne for 2018-2020 (ghettoområder og hårde "
                                        "ghettoområder; ingen forebyggelsesområder)")
    assert status_word(da, "parallelsamfund", "ghetto") == "ghettoområde"
    assert status_word(da, "omdannelse", "ghetto") == "hårdt ghettoområde"
    assert "ghetto_2018" not in rule_set_text(da, rules)
    row = pd.Series({"status": "none", "status_basis": "few_criteria", "criteria_met": 1, "criteria": "c1",
                     "share_non_western": 0.4, "prevention_criteria_met": 3})
    assert explanation(da, row, rules)[1] == "Disse regler havde ingen forebyggelsesområder (§ 61 b kom i 2021)."


def test_an_undetermined_status_names_what_is_unknown(mix_config):
    row = pd.Series({"status": "undetermined", "status_basis": "unknown", "criteria_met": 1, "criteria": "c1",
                     "criteria_unknown": "c2, c4", "deciding_unknown": "c2, share_non_western"})
    assert explanation(language("en"), row, rules_from_config(mix_config)) == [
        "Undetermined: the status depends on c2, the share of non-Western origin, which the data do not give.",
        "1 of the 4 criteria of § 61 a are met (c1); an udsat boligområde needs at least 2. Unknown: c2, c4."]
