"""Status over the years (areas_mix_history.parquet) and the path off the list, on hand-made areas.

Every expected value is worked out by hand in the comments; the history runs through mix.run on real
GeoParquet files.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml
from shapely.geometry import Point, box

from pipeline.core import log
from pipeline.core.config import DEFAULTS_FILE, load_config
from pipeline.mix import areas_mix, run
from pipeline.mix.history import HISTORY_COLUMNS
from pipeline.mix.rules import persons_to_leave, rules_for_year

CRS = "EPSG:25832"
X0, Y0 = 700000.0, 6170000.0
DEFAULTS = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))


# --- the path off the list ----------------------------------------------------------------------

# One parcel per area, 400 social family dwellings, area_type social, non-Western 0, national conviction
# rate 1 %, regional mean income 400,000 DKK (c4 threshold 0.55 x 400,000 = 220,000 DKK).
BASE = {"residents": 2000, "residents_18_64": 1000, "outside_work_edu_18_64": 0, "residents_30_59": 800,
        "basic_edu_only_30_59": 0, "residents_18plus": 1500, "convicted_18plus": 0, "taxpayers_15_64": 1000,
        "gross_income_sum_15_64": 400_000_000.0, "non_western": 0, "children_6_16": 0,
        "dwellings_social_family": 400, "dwellings_social_other": 0, "dwellings_owner": 0,
        "dwellings_private_rental": 0, "dwellings_cooperative": 0, "dwellings_other": 0}
PATH_AREAS = {
    # ALL four met. c1 450/1000 = 45 % > 40 % (strict): 450 - 400 = 50 more in work or education give 40 %,
    # which no longer exceeds 40 %. c2 (45/1500)/0.01 = 3.0, "at least 3": met at equality, so one fewer
    # convicted than equality: floor(45 - 45) + 1 = 1. c3 520/800 = 65 % > 60 %: 520 - 480 = 40. c4 mean
    # 200,000 < 220,000: 20,000 DKK more. Leaving fewer than 2 met means changing 3 of the 4; relative
    # changes c1 50/1000 = 0.05, c2 1/1500 = 0.00067, c3 40/800 = 0.05, c4 20,000/220,000 = 0.0909:
    # {c1, c2, c3} = 0.1007 is the smallest; persons 50 + 1 + 40 = 91.
    "ALL": {"outside_work_edu_18_64": 450, "convicted_18plus": 45, "basic_edu_only_30_59": 520,
            "gross_income_sum_15_64": 200_000_000.0},
    # C1C4: c1 450/1000 met (50, relative 0.05) and c4 mean 210,000 (10,000 DKK, relative 0.0455): one must go,
    # c4 is the smaller change; it counts no persons, so path_persons 0. c2 and c3 not met: 0.
    "C1C4": {"outside_work_edu_18_64": 450, "gross_income_sum_15_64": 210_000_000.0},
    # ONE: c1 401/1000 met (401 - 400 = 1) only: not on the list, so no combination.
    "ONE": {"outside_work_edu_18_64": 401},
    # UNK: c1 and c3 met, convicted unknown: udsat whatever c2 is, but c2's path is unknown and so is the
    # combination (were c2 met, three would be met and two would have to go).
    "UNK": {"outside_work_edu_18_64": 450, "basic_edu_only_30_59": 520, "convicted_18plus": None},
}


@pytest.fixture
def path_rows():
    ids = list(PATH_AREAS)
    areas = gpd.GeoDataFrame({"area_id": ids, "name": ids, "area_type": ["social"] * len(ids)},
                             geometry=[box(X0 + 1000 * k, Y0, X0 + 1000 * (k + 1), Y0 + 1000) for k in range(len(ids))],
                             crs=CRS)
    rows = [{"parcel_id": f"p{k}", "area_id": i, **BASE, **PATH_AREAS[i]} for k, i in enumerate(ids)]
    parcels = gpd.GeoDataFrame(rows, geometry=[Point(X0 + 1000 * k + 500, Y0 + 500) for k in range(len(ids))], crs=CRS)
    config = {**DEFAULTS["mix"], "national_conviction_rate": 0.01, "regional_mean_income": 400_000,
              "tenures": DEFAULTS["ingest"]["tenures"]}
    return areas_mix(parcels, areas, config).set_index("area_id")


def test_path_off_the_list_per_criterion_strict_and_non_strict(path_rows):
    cols = ["path_c1_persons", "path_c2_persons", "path_c3_persons", "path_c4_income_dkk"]
    assert path_rows.loc["ALL", cols].tolist() == [50, 1, 40, 20_000]
    assert path_rows.loc["C1C4", cols].tolist() == [50, 0, 0, 10_000]
    assert path_rows.loc["ONE", cols].tolist() == [1, 0, 0, 0]
    assert path_rows.loc["UNK", "path_c2_persons"] is pd.NA
    assert path_rows.loc["UNK", ["path_c1_persons", "path_c3_persons"]].tolist() == [50, 40]


def test_path_off_the_list_smallest_combination(path_rows):
    assert path_rows["status"].to_dict() == {"ALL": "udsat", "C1C4": "udsat", "ONE": "none", "UNK": "udsat"}
    assert path_rows.loc["ALL", "path_criteria"] == "c1, c2, c3" and path_rows.loc["ALL", "path_persons"] == 91
    assert path_rows.loc["C1C4", "path_criteria"] == "c4" and path_rows.loc["C1C4", "path_persons"] == 0
    for area in ("ONE", "UNK"):  # not on the list; an unknown criterion
        assert pd.isna(path_rows.loc[area, "path_criteria"]) and pd.isna(path_rows.loc[area, "path_persons"])


def test_persons_to_leave_at_and_around_equality():
    # 1,000 at 40 %: 400 is not over 40 % (0 or less: not met), 401 needs 1, 450 needs 50 ("exceeds").
    # "at least 3 x 1 %" of 1,000: 30 is met and needs 1 (29 < 30), 31 needs 2, 29 needs 0 or less.
    from fractions import Fraction

    base = np.array([1000.0, 1000.0, 1000.0, np.nan])
    assert persons_to_leave(np.array([400.0, 401.0, 450.0, 5.0]), base, Fraction(2, 5), "gt")[:3].tolist() == [0, 1, 50]
    assert np.isnan(persons_to_leave(np.array([400.0, 401.0, 450.0, 5.0]), base, Fraction(2, 5), "gt")[3])
    assert persons_to_leave(np.array([30.0, 31.0, 29.0]), base[:3], Fraction(3, 100), "ge").tolist() == [1, 2, 0]


# --- three years under their rules --------------------------------------------------------------

LISTED = {"residents": 1500, "share_outside_work_edu": 0.45, "crime_ratio": 1.0, "share_basic_edu": 0.65,
          "income_ratio": 0.8, "share_non_western": 0.6}  # c1, c3 met; non-Western 60 %: parallelsamfund
PREVENTION = {"residents": 1500, "share_outside_work_edu": 0.35, "crime_ratio": 2.5, "share_basic_edu": 0.3,
              "income_ratio": 0.8, "share_non_western": 0.35}  # no criterion; prevention c1, c2; non-Western 35 %
SMALL = {**LISTED, "residents": 900}  # under 1,000 residents: none
UNKNOWN_C3 = {**LISTED, "share_basic_edu": None}  # c1 met, c3 unknown: parallelsamfund or not
# area: (typed years_listed at 2021, values of 2019, 2020, 2021)
HISTORY = {
    "A": (3, LISTED, LISTED, LISTED),
    "B": (4, LISTED, LISTED, LISTED),
    "C": (None, PREVENTION, PREVENTION, PREVENTION),
    "D": (None, LISTED, SMALL, LISTED),
    "E": (4, LISTED, UNKNOWN_C3, LISTED),
    "F": (2, LISTED, SMALL, LISTED),
}


@pytest.fixture(scope="module")
def history_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("history")
    processed = root / "data" / "processed"
    processed.mkdir(parents=True)
    ids = list(HISTORY)
    gpd.GeoDataFrame({"area_id": ids, "name": ids, "area_type": ["social"] * len(ids),
                      "years_listed": pd.array([HISTORY[i][0] for i in ids], dtype="Int64")},
                     geometry=[box(X0 + 1000 * k, Y0, X0 + 1000 * (k + 1), Y0 + 1000) for k in range(len(ids))],
                     crs=CRS).to_parquet(processed / "housing_areas.parquet")
    rows = [{"area_id": i, "year": year, **values} for i in ids
            for year, values in zip((2019, 2020, 2021), HISTORY[i][1:], strict=True)]
    pd.DataFrame(rows).astype({"share_basic_edu": "float64"}).to_parquet(processed / "area_statistics.parquet")
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump({"root": "."}), encoding="utf-8")
    config = load_config(path)
    log.take_warnings()
    run(config)
    history = pd.read_parquet(config.processed("areas_mix_history.parquet"))
    areas = gpd.read_parquet(config.processed("areas_mix.parquet"))
    return history, areas, log.take_warnings()


def test_each_year_has_its_status_under_its_rules(history_run):
    history = history_run[0].set_index(["area_id", "year"])
    status = {a: [history.loc[(a, y), "status"] for y in (2019, 2020, 2021)] for a in HISTORY}
    # A, typed 3 at 2021: listed 2018 too (3 - 2 history years); years_listed 1, 2, 3: 2018 rules need
    # 1 + 3 >= 4 for omdannelse, 2021 rules 1 + 4 >= 5: never.
    assert status["A"] == ["parallelsamfund"] * 3
    # B, typed 4: listed 2017 and 2018 too; years_listed 2, 3, 4: omdannelse in 2021 (4 + 1 >= 5); in 2020,
    # 3 + 1 < 5 (the 2018-2020 lists also needed 5 years, by a transitional rule).
    assert status["B"] == ["parallelsamfund", "parallelsamfund", "omdannelse"]
    # C: prevention areas exist only since 2021: none, none under the 2018 rules, where today's rules would
    # make the same figures forebyggelse (checked below), then forebyggelse.
    assert status["C"] == ["none", "none", "forebyggelse"]
    assert history.loc[("C", 2020), ["share_outside_work_edu", "crime_ratio"]].tolist() == \
        history.loc[("C", 2021), ["share_outside_work_edu", "crime_ratio"]].tolist()
    # D and F: 900 residents in 2020, off the list; listed again in 2021.
    assert status["D"] == status["F"] == ["parallelsamfund", "none", "parallelsamfund"]
    # E, typed 4: 2020 has c3 unknown (parallelsamfund, 3 + 1 < 5, or none): undetermined.
    # 2021: years_listed 0 if 2020 was off the list, 1 + 1 + 2 = 4 if on: parallelsamfund or omdannelse.
    assert status["E"] == ["parallelsamfund", "undetermined", "undetermined"]
    assert history.loc[("A", 2019), "rule_set"] == history.loc[("A", 2020), "rule_set"] == "ghetto_2018"
    assert history.loc[("A", 2021), "rule_set"] == "parallelsamfund_2021"


def test_years_listed_is_derived_from_the_history(history_run):
    history, _, warnings = history_run
    listed = history.set_index(["area_id", "year"])["years_listed"]
    got = {a: [None if pd.isna(listed[(a, y)]) else int(listed[(a, y)]) for y in (2019, 2020, 2021)] for a in HISTORY}
    assert got["A"] == [1, 2, 3] and got["B"] == [2, 3, 4]
    # C: 2019 runs back past the history with nothing typed: unknown; later years end at a year off the list.
    assert got["C"] == [None, 0, 0]
    assert got["D"] == [None, None, 0]
    assert got["E"] == [2, 3, None]  # 2021 runs into the undetermined 2020: unknown
    # F, typed 2 at 2021: that run would start in 2019, so nothing before 2019: 0 in 2019, 1 in 2020 (2019),
    # 0 in 2021 (2020 was off the list).
    assert got["F"] == [0, 1, 0]
    # F's typed 2 contradicts 2020 (off the list); A's 3 and B's 4 continue the history; E's is not checkable.
    said = [w for w in warnings if "typed years_listed" in w]
    assert len(said) == 1 and "1 housing areas" in said[0] and "F (typed 2, history 0)" in said[0]


def test_latest_history_rows_equal_areas_mix(history_run):
    history, areas, _ = history_run
    latest = history[history["year"] == 2021].set_index("area_id")
    areas = areas.set_index("area_id").loc[latest.index]
    assert list(history.columns) == list(HISTORY_COLUMNS) and "geometry" not in history.columns
    shared = [c for c in HISTORY_COLUMNS if c in areas.columns and c != "area_id"]
    assert len(shared) == 16  # the 13 figures, and prevention_criteria_met, prevention_criteria, status_basis
    pd.testing.assert_frame_equal(latest[shared].astype("object"), areas[shared].astype("object"), check_names=False)
    _, rules = rules_for_year({**DEFAULTS["mix"]}, 2021)
    assert latest["c1_threshold"].eq(rules["c1_outside_work_edu_gt"]).all()
    assert areas.loc["E", "deciding_unknown"] == "years_listed"


def test_a_rule_set_may_change_exactly_the_rule_keys_of_mix():
    from pipeline.core.config_schema import Mix, RuleSet
    from pipeline.mix.rules import RULE_KEYS

    assert set(RuleSet.model_fields) - {"from_year", "to_year"} == set(RULE_KEYS)
    assert set(RULE_KEYS) - {"forebyggelse_areas", "terms"} <= set(Mix.model_fields)  # a rule set's own keys
    # the 2018 rules are today's but for the prevention areas, which they did not have
    name, rules = rules_for_year(DEFAULTS["mix"], 2019)
    assert name == "ghetto_2018" and rules["omdannelse_years"] == 5 and rules["forebyggelse_areas"] is False
    assert rules["terms"] == "ghetto" and "terms" not in rules_for_year(DEFAULTS["mix"], 2021)[1]
    assert {k: rules[k] for k in RULE_KEYS if k not in ("forebyggelse_areas", "terms")} == \
        {k: DEFAULTS["mix"][k] for k in RULE_KEYS if k not in ("forebyggelse_areas", "terms")}
    assert rules_for_year(DEFAULTS["mix"], 2024)[0] == rules_for_year(DEFAULTS["mix"], None)[0] == "parallelsamfund_2021"


def test_a_criterion_met_by_a_given_value_that_its_counts_do_not_support_has_no_path():
    from pipeline.mix.rules import path_off_the_list

    # c1 met by the area table's value, but the counts give 300 / 1000 = 30 % (not over 40 %): its path is
    # unknown, and so is the combination; c3 520 / 800 = 65 %: 40, as in the hand area ALL.
    frame = pd.DataFrame({"status": ["udsat"], "c1_met": [True], "c2_met": [False], "c3_met": [True], "c4_met": [False],
                          **{k: [v] for k, v in BASE.items()}, "outside_work_edu_18_64": [300],
                          "basic_edu_only_30_59": [520]})
    config = {**DEFAULTS["mix"], "national_conviction_rate": 0.01, "regional_mean_income": 400_000}
    out = path_off_the_list(frame, config)
    assert pd.isna(out.loc[0, "path_c1_persons"]) and out.loc[0, "path_c3_persons"] == 40
    assert pd.isna(out.loc[0, "path_criteria"]) and pd.isna(out.loc[0, "path_persons"])
