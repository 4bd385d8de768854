"""Stage mix: sums and shares per housing area, indicative status, family housing gap, districts, run()."""

from __future__ import annotations

import json
import math
import re

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml
from shapely.geometry import Point, box

from pipeline.core import log
from pipeline.core.config import DEFAULTS_FILE, load_config
from pipeline.mix import (
    area_status,
    areas_mix,
    criteria_indicators,
    dissimilarity,
    family_housing_gap,
    municipality_mix,
    run,
)

CRS = "EPSG:25832"
X0, Y0 = 700000.0, 6170000.0
DEFAULTS = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))


@pytest.fixture
def mix_config():
    # Round figures for hand checks: national conviction rate 1 %, regional mean income 400,000 DKK.
    return {**DEFAULTS["mix"], "national_conviction_rate": 0.01, "regional_mean_income": 400_000,
            "tenures": DEFAULTS["ingest"]["tenures"]}


# One parcel per housing area. The baseline meets no criterion: 1000 residents in every age base,
# nobody outside work, convicted or with basic education only, mean income 400,000 (ratio 1.0),
# 400 social family dwellings only (share_social 1.0).
BASE = {
    "residents": 1000, "residents_18_64": 1000, "outside_work_edu_18_64": 0, "residents_30_59": 1000,
    "basic_edu_only_30_59": 0, "residents_18plus": 1000, "convicted_18plus": 0, "taxpayers_15_64": 1000,
    "gross_income_sum_15_64": 400_000_000.0, "non_western": 0, "children_6_16": 0,
    "dwellings_social_family": 400, "dwellings_social_other": 0, "dwellings_owner": 0,
    "dwellings_private_rental": 0, "dwellings_cooperative": 0, "dwellings_other": 0,
}
# c1 500/1000 = 0.5 > 0.40 met; c3 700/1000 = 0.7 > 0.60 met; c2 (20/1000)/0.01 = 2.0 < 3 not met;
# c4 (240,000,000/1000)/400,000 = 0.60, not < 0.55. Two criteria: c1, c3. Non-Western 400/1000 = 0.4.
TWO = {"outside_work_edu_18_64": 500, "basic_edu_only_30_59": 700, "convicted_18plus": 20,
       "gross_income_sum_15_64": 240_000_000.0, "non_western": 400}
AREAS = {
    # area_id: (area_type, years_listed, parcel counts over BASE)
    "TWO": ("social", 0, TWO),
    # c1 0.5 met only; prevention: c1 > 0.30 only (1 < 2). Non-Western 0.6.
    "ONE": ("social", 0, {"outside_work_edu_18_64": 500, "non_western": 600}),
    # Every criterion at its edge: c1 400/1000 = 0.40 (not > 0.40), c2 (30/1000)/0.01 = 3.0 (>= 3.0, met),
    # c3 600/1000 = 0.60 (not > 0.60), c4 220,000/400,000 = 0.55 (not < 0.55): one criterion, c2.
    # Prevention: c1 0.40 > 0.30, c2 3.0 >= 2.0, c4 0.55 < 0.65 (c3 0.60 not > 0.60): three; Non-Western
    # 350/1000 = 0.35 > 0.30, and not udsat: forebyggelse.
    "EDGE": ("social", 0, {"outside_work_edu_18_64": 400, "convicted_18plus": 30, "basic_edu_only_30_59": 600,
                           "gross_income_sum_15_64": 220_000_000.0, "non_western": 350}),
    # As TWO with 999 residents: two criteria, but under 1,000 residents.
    "SMALL": ("social", 0, {**TWO, "residents": 999}),
    # As TWO but 100 social family of 400 dwellings (share 0.25 < 0.5) and area_type private.
    "PRIVATE": ("private", 0, {**TWO, "dwellings_social_family": 100, "dwellings_owner": 300}),
    # As TWO with Non-Western 600/1000 = 0.6 > 0.5: parallelsamfund; listed 4 earlier years, 4 + 1 >= 5:
    # omdannelse. S = D = 917 social family dwellings: the contract's worked example.
    "OMD": ("social", 4, {**TWO, "non_western": 600, "dwellings_social_family": 917}),
    # As OMD but listed 3 earlier years: 3 + 1 < 5, parallelsamfund only.
    "PAR": ("social", 3, {**TWO, "non_western": 600}),
    # As OMD but 400 social family of 1000 dwellings: share 0.4 <= cap 0.4 (social by area_type only).
    "CAPPED": ("social", 4, {**TWO, "non_western": 600, "dwellings_owner": 600}),
    # As TWO but residents_18_64 = 0: c1 is null (0/0), unknown. c3 is met, so c1 decides between udsat
    # (c1 met) and none (no Non-Western residents rules out forebyggelse): undetermined, deciding c1.
    # (Before issue 10 a null criterion counted as not met and this area came out "none".)
    "ZERO": ("social", 0, {**TWO, "residents_18_64": 0, "outside_work_edu_18_64": 0, "non_western": 0}),
}


def layers() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Housing areas (one 1 km square each, plus EMPTY with no parcel) and their parcels (own area_id)."""
    ids = [*AREAS, "EMPTY"]
    areas = gpd.GeoDataFrame(
        {"area_id": ids, "name": [i.title() for i in ids],
         "area_type": [AREAS[i][0] if i in AREAS else "social" for i in ids],
         "years_listed": [AREAS[i][1] if i in AREAS else 0 for i in ids]},
        geometry=[box(X0 + 1000 * k, Y0, X0 + 1000 * (k + 1), Y0 + 1000) for k in range(len(ids))], crs=CRS)
    rows = [{"parcel_id": f"p{k}", "area_id": i, **BASE, **AREAS[i][2]} for k, i in enumerate(AREAS)]
    parcels = gpd.GeoDataFrame(rows, geometry=[Point(X0 + 1000 * k + 500, Y0 + 500) for k in range(len(rows))],
                               crs=CRS)
    return areas, parcels


@pytest.fixture
def mixed(mix_config):
    areas, parcels = layers()
    return areas_mix(parcels, areas, mix_config).set_index("area_id")


def test_criteria_and_status_per_area(mixed):
    expected = {
        # area: (criteria_met, list, prevention met, status)
        "TWO": (2, "c1, c3", 4, "udsat"),
        "ONE": (1, "c1", 1, "none"),
        "EDGE": (1, "c2", 3, "forebyggelse"),
        "SMALL": (2, "c1, c3", 4, "none"),
        "PRIVATE": (2, "c1, c3", 4, "none"),
        "OMD": (2, "c1, c3", 4, "omdannelse"),
        "PAR": (2, "c1, c3", 4, "parallelsamfund"),
        "CAPPED": (2, "c1, c3", 4, "omdannelse"),
        "ZERO": (1, "c3", 3, "undetermined"),
        # no parcel: every figure unknown (was "none" with 0 residents before issue 10)
        "EMPTY": (0, "", 0, "undetermined"),
    }
    got = mixed[["criteria_met", "criteria", "prevention_criteria_met", "status"]]
    assert {k: tuple(v) for k, v in got.iterrows()} == expected
    # TWO meets c1 and c3 only.
    assert mixed.loc["TWO", ["c1_met", "c2_met", "c3_met", "c4_met"]].tolist() == [True, False, True, False]
    assert (mixed["status_note"] == "indicative, computed from supplied data").all()


def test_edge_indicator_values(mixed):
    edge = mixed.loc["EDGE"]
    # 400/1000, (30/1000)/0.01, 600/1000, (220,000,000/1000)/400,000, 350/1000
    assert edge["share_outside_work_edu"] == pytest.approx(0.40)
    assert edge["crime_ratio"] == pytest.approx(3.0)
    assert edge["share_basic_edu"] == pytest.approx(0.60)
    assert edge["mean_income_15_64_dkk"] == pytest.approx(220_000)
    assert edge["income_ratio"] == pytest.approx(0.55)
    assert edge["share_non_western"] == pytest.approx(0.35)


def test_eligibility(mixed):
    # SMALL: 999 residents; PRIVATE: share_social 100/400 = 0.25 and type private; CAPPED: share 0.4 but
    # area_type social.
    assert mixed.loc["SMALL", "is_social"] and not mixed.loc["SMALL", "eligible"]
    assert not mixed.loc["PRIVATE", "is_social"]
    assert mixed.loc["PRIVATE", "share_social"] == pytest.approx(0.25)
    assert mixed.loc["CAPPED", "is_social"] and mixed.loc["CAPPED", "share_social"] == pytest.approx(0.4)


def test_family_housing_gap_in_areas(mixed):
    gaps = mixed[["gap_add_dwellings", "gap_convert_dwellings", "gap_demolish_dwellings"]]
    # OMD: S = D = 917 -> 1376 add, 551 convert, 917 demolish (see test_gap_worked_example).
    assert gaps.loc["OMD"].tolist() == [1376, 551, 917]
    # CAPPED: 400 of 1000 = 0.4 <= 0.4 -> nothing to do.
    assert gaps.loc["CAPPED"].tolist() == [0, 0, 0]
    # Every area that is not omdannelse has no gap (null), whatever its share.
    assert gaps.drop(index=["OMD", "CAPPED"]).isna().all().all()


def test_null_criterion_and_zero_denominators(mixed):
    zero = mixed.loc["ZERO"]
    assert pd.isna(zero["share_outside_work_edu"]) and pd.isna(zero["c1_met"])
    assert zero["criteria_unknown"] == "c1" and zero["deciding_unknown"] == "c1"
    assert zero["status_reason"] == "1 criterion met (c3), 1 unknown (c1); undetermined: depends on c1"
    empty = mixed.loc["EMPTY"]
    # No parcels: 0 parcels, every count and share null (unknown), not 0.
    assert empty["parcels"] == 0 and pd.isna(empty["residents"]) and pd.isna(empty["dwellings"])
    for column in ("share_social_family", "share_social", "tenure_diversity", "share_outside_work_edu",
                   "crime_ratio", "income_ratio", "share_non_western", "lq_non_western"):
        assert pd.isna(empty[column]), column
    assert empty["criteria_unknown"] == "c1, c2, c3, c4"


def test_tenure_shares_and_diversity(mixed):
    # TWO: one tenure -> 0. PRIVATE: p = (0.25, 0.75) over K = 5 classes ->
    # -(0.25 ln 0.25 + 0.75 ln 0.75) / ln 5 = 0.5623351 / 1.6094379 = 0.3493980
    assert mixed.loc["TWO", "tenure_diversity"] == 0.0
    expected = -(0.25 * math.log(0.25) + 0.75 * math.log(0.75)) / math.log(5)
    assert mixed.loc["PRIVATE", "tenure_diversity"] == pytest.approx(expected, abs=1e-12)
    assert mixed.loc["PRIVATE", "tenure_diversity"] == pytest.approx(0.349398, abs=1e-6)
    assert mixed.loc["PRIVATE", ["share_social_family", "share_owner"]].tolist() == [0.25, 0.75]
    assert mixed.loc["PRIVATE", "dwellings"] == 400


def test_location_quotients(mixed):
    # Independently: LQ = area share / municipal share over the areas with a total.
    counts = mixed[["non_western", "residents"]].astype(float)
    municipal = counts["non_western"].sum() / counts["residents"].sum()
    expected = counts["non_western"] / counts["residents"].where(counts["residents"] > 0) / municipal
    pd.testing.assert_series_equal(mixed["lq_non_western"], expected, check_names=False)
    # By hand for OMD: 600/1000 over (400+600+350+400+400+600+600+600+0)/(8*1000+999) = 3950/8999
    assert mixed.loc["OMD", "lq_non_western"] == pytest.approx(0.6 / (3950 / 8999), abs=1e-12)


def test_absent_optional_columns_give_nulls(mix_config):
    areas, parcels = layers()
    optional = ["residents_18_64", "outside_work_edu_18_64", "residents_30_59", "basic_edu_only_30_59",
                "residents_18plus", "convicted_18plus", "taxpayers_15_64", "gross_income_sum_15_64", "non_western",
                "children_6_16", "dwellings_other"]
    out = areas_mix(parcels.drop(columns=optional), areas, mix_config)
    assert out[["share_outside_work_edu", "crime_ratio", "share_basic_edu", "income_ratio",
                "share_non_western", "lq_non_western", "lq_outside_work_edu"]].isna().all().all()
    # Every criterion unknown: eligible areas are undetermined; SMALL (999 residents) and PRIVATE (share
    # social 0.25, type private) cannot get a status whatever the criteria: none.
    assert (out["criteria_met"] == 0).all()
    status = out.set_index("area_id")["status"]
    assert set(status[status.eq("none")].index) == {"SMALL", "PRIVATE"}
    assert set(status.drop(["SMALL", "PRIVATE"])) == {"undetermined"}
    # dwellings_other defaults to 0, so the tenure figures are still there: OMD 917 of 917.
    assert out.set_index("area_id").loc["OMD", "share_social_family"] == 1.0


def _frame(**columns) -> pd.DataFrame:
    """One eligible area with no criterion met, with some indicator columns replaced."""
    base = {"residents": 1000, "share_social_family": 1.0, "share_social_other": 0.0, "area_type": "social",
            "share_outside_work_edu": 0.0, "crime_ratio": 0.0, "share_basic_edu": 0.0, "income_ratio": 1.0,
            "share_non_western": 0.0, "years_listed": 0}
    return pd.DataFrame([{**base, **columns}])


@pytest.mark.parametrize(
    ("columns", "status"),
    [
        ({"share_outside_work_edu": 0.40, "share_basic_edu": 0.61}, "none"),  # c1 at 0.40: not met
        ({"share_outside_work_edu": 0.4001, "share_basic_edu": 0.61}, "udsat"),
        ({"crime_ratio": 3.0, "share_basic_edu": 0.61}, "udsat"),  # c2 at 3.0: met
        ({"crime_ratio": 2.999, "share_basic_edu": 0.61}, "none"),
        ({"share_basic_edu": 0.60, "share_outside_work_edu": 0.41}, "none"),  # c3 at 0.60: not met
        ({"income_ratio": 0.55, "share_outside_work_edu": 0.41}, "none"),  # c4 at 0.55: not met
        ({"income_ratio": 0.5499, "share_outside_work_edu": 0.41}, "udsat"),
        # c1 unknown with c3 met: udsat if c1 is met, none if not -> undetermined (before issue 10: "none")
        ({"share_outside_work_edu": np.nan, "share_basic_edu": 0.61}, "undetermined"),
        # c1 unknown with c2, c3 met: udsat whatever c1 is (Non-Western 0 rules out parallelsamfund)
        ({"share_outside_work_edu": np.nan, "share_basic_edu": 0.61, "crime_ratio": 3.0}, "udsat"),
        # c1 unknown but not eligible (999 residents): none whatever c1 is
        ({"share_outside_work_edu": np.nan, "share_basic_edu": 0.61, "residents": 999}, "none"),
        ({"residents": 999, "share_outside_work_edu": 0.41, "share_basic_edu": 0.61}, "none"),
        # share_social = 0.3 + 0.2 = 0.5 >= 0.5: social even when area_type is private
        ({"share_social_family": 0.3, "share_social_other": 0.2, "area_type": "private",
          "share_outside_work_edu": 0.41, "share_basic_edu": 0.61}, "udsat"),
        ({"share_social_family": 0.3, "share_social_other": 0.19, "area_type": "private",
          "share_outside_work_edu": 0.41, "share_basic_edu": 0.61}, "none"),
        # Non-Western exactly 0.50 is not > 0.50; 0.51 is; years_listed 4 + 1 >= 5; null years = 0.
        ({"share_non_western": 0.50, "share_outside_work_edu": 0.41, "share_basic_edu": 0.61}, "udsat"),
        ({"share_non_western": 0.51, "share_outside_work_edu": 0.41, "share_basic_edu": 0.61}, "parallelsamfund"),
        ({"share_non_western": 0.51, "share_outside_work_edu": 0.41, "share_basic_edu": 0.61, "years_listed": 4},
         "omdannelse"),
        ({"share_non_western": 0.51, "share_outside_work_edu": 0.41, "share_basic_edu": 0.61,
          "years_listed": np.nan}, "parallelsamfund"),
        # Prevention: c1 0.31 > 0.30 and c2 2.0 >= 2.0 (neither official), Non-Western 0.31 > 0.30.
        ({"share_outside_work_edu": 0.31, "crime_ratio": 2.0, "share_non_western": 0.31}, "forebyggelse"),
        ({"share_outside_work_edu": 0.31, "crime_ratio": 2.0, "share_non_western": 0.30}, "none"),
        ({"share_outside_work_edu": 0.30, "crime_ratio": 2.0, "share_non_western": 0.31}, "none"),
        ({"income_ratio": 0.6499, "crime_ratio": 2.0, "share_non_western": 0.31}, "forebyggelse"),
        ({"income_ratio": 0.65, "crime_ratio": 2.0, "share_non_western": 0.31}, "none"),
    ],
)
def test_area_status_at_thresholds(mix_config, columns, status):
    assert area_status(_frame(**columns), mix_config).iloc[0] == status


def test_area_status_with_only_the_needed_columns(mix_config):
    # No share_social_other, area_type or years_listed: the missing share counts as 0 (1.0 + 0 >= 0.5),
    # so area 1 (c1 0.5, c3 0.7, Non-Western 0.1) is udsat; area 2 has no social share and no area_type,
    # so whether it can get a status is unknown: undetermined (before issue 10: "none"). Area 3 as area 1
    # without the Non-Western share: udsat or parallelsamfund, undetermined.
    frame = pd.DataFrame({"residents": [1000, 1000, 1000], "share_social_family": [1.0, np.nan, 1.0],
                          "share_outside_work_edu": [0.5, 0.5, 0.5], "share_basic_edu": [0.7, 0.7, 0.7],
                          "share_non_western": [0.1, 0.1, np.nan]})
    assert area_status(frame, mix_config).tolist() == ["udsat", "undetermined", "undetermined"]


def test_threshold_equality_survives_float_error(mix_config):
    # (3 / 625) / 0.0016 is exactly 3, but in floating point it is 2.9999999999999996: still met.
    counts = pd.DataFrame({"convicted_18plus": [3], "residents_18plus": [625], "outside_work_edu_18_64": [0],
                           "residents_18_64": [1], "basic_edu_only_30_59": [0], "residents_30_59": [1],
                           "gross_income_sum_15_64": [1.0], "taxpayers_15_64": [1], "non_western": [0],
                           "residents": [1000]})
    config = {**mix_config, "national_conviction_rate": 0.0016}
    indicators = criteria_indicators(counts, config)
    assert indicators["crime_ratio"].iloc[0] < 3.0
    frame = _frame(crime_ratio=indicators["crime_ratio"].iloc[0], share_basic_edu=0.61)
    assert area_status(frame, config).iloc[0] == "udsat"


def test_gap_worked_example():
    # S = D = 917, cap 0.4 = 2/5: excess = 917*5 - 917*2 = 2751.
    # add ceil(2751/2) = 1376; convert ceil(2751/5) = ceil(550.2) = 551; demolish ceil(2751/3) = 917.
    gaps = family_housing_gap(pd.Series([917]), pd.Series([917]), 0.40)
    assert gaps.iloc[0].tolist() == [1376, 551, 917]
    assert str(gaps["gap_demolish_dwellings"].dtype) == "Int64"
    # The naive float formula is off by one here, which is why the gap is computed in integers.
    assert math.ceil((917 - 0.4 * 917) / 0.6) == 918


def test_gap_under_at_and_just_over_the_cap():
    # 399 and 400 of 1000 are <= 0.4: 0. 401 of 1000: excess = 401*5 - 1000*2 = 5;
    # add ceil(5/2) = 3 (401/0.4 - 1000 = 2.5), convert ceil(5/5) = 1, demolish ceil(5/3) = 2 (1/0.6 = 1.67).
    gaps = family_housing_gap(pd.Series([399, 400, 401]), pd.Series([1000, 1000, 1000]), 0.4)
    assert gaps.to_numpy().tolist() == [[0, 0, 0], [0, 0, 0], [3, 1, 2]]


def test_gap_undefined_and_bad_input():
    gaps = family_housing_gap(pd.Series([0, None], dtype="Int64"), pd.Series([0, 10]), 0.4)
    assert gaps.isna().all().all()  # D = 0, and S null
    with pytest.raises(ValueError, match="whole numbers"):
        family_housing_gap(pd.Series([1.5]), pd.Series([10]), 0.4)
    with pytest.raises(ValueError, match="between 0 and 1"):
        family_housing_gap(pd.Series([1]), pd.Series([10]), 1.0)


def test_dissimilarity_is_exported_for_scenarios():
    # Schools: g = (200, 0) pupils from udsat-or-worse areas of t = (300, 70): r = (100, 70), G 200, R 170.
    # D = 1/2 (|1 - 100/170| + |0 - 70/170|) = 70/170
    assert dissimilarity(np.array([200, 0]), np.array([300, 70])) == pytest.approx(7 / 17, abs=1e-15)


# --- run(config) on real GeoParquet files ---------------------------------------------------------


def write_run_inputs(processed):
    """Three areas U (udsat), M, N; parcels p1 in U, p2 in M (own id), p3 in N, p4 in no area; two districts."""
    processed.mkdir(parents=True)
    areas = gpd.GeoDataFrame(
        {"area_id": ["U", "M", "N"], "name": ["Uglevej", "Møllen", "Nørreby"], "area_type": ["social", "private", "mixed"],
         "years_listed": [0, 0, 0]},
        geometry=[box(X0 + 1000 * k, Y0, X0 + 1000 * (k + 1), Y0 + 1000) for k in range(3)], crs=CRS)
    zeros = dict.fromkeys(["dwellings_social_family", "dwellings_social_other", "dwellings_owner",
                           "dwellings_private_rental", "dwellings_cooperative", "dwellings_other"], 0)
    rows = [
        # U: c1 400/800 = 0.5, c3 350/500 = 0.7 met; c2 (9/900)/0.01 = 1.11, c4 300,000/400,000 = 0.75 not.
        {"parcel_id": "p1", "area_id": None, **zeros, "dwellings_social_family": 500, "residents": 1200,
         "residents_18_64": 800, "outside_work_edu_18_64": 400, "residents_30_59": 500, "basic_edu_only_30_59": 350,
         "residents_18plus": 900, "convicted_18plus": 9, "taxpayers_15_64": 700,
         "gross_income_sum_15_64": 210_000_000.0, "non_western": 300, "children_6_16": 200},
        {"parcel_id": "p2", "area_id": "M", **zeros, "dwellings_owner": 150, "dwellings_private_rental": 50,
         "residents": 500, "residents_18_64": 300, "outside_work_edu_18_64": 30, "residents_30_59": 200,
         "basic_edu_only_30_59": 20, "residents_18plus": 400, "convicted_18plus": 2, "taxpayers_15_64": 300,
         "gross_income_sum_15_64": 135_000_000.0, "non_western": 50, "children_6_16": 100},
        {"parcel_id": "p3", "area_id": None, **zeros, "dwellings_owner": 100, "dwellings_cooperative": 20,
         "residents": 300, "residents_18_64": 200, "outside_work_edu_18_64": 10, "residents_30_59": 150,
         "basic_edu_only_30_59": 15, "residents_18plus": 250, "convicted_18plus": 1, "taxpayers_15_64": 200,
         "gross_income_sum_15_64": 100_000_000.0, "non_western": 0, "children_6_16": 60},
        {"parcel_id": "p4", "area_id": None, **zeros, "dwellings_owner": 20, "residents": 50, "residents_18_64": 30,
         "outside_work_edu_18_64": 0, "residents_30_59": 20, "basic_edu_only_30_59": 0, "residents_18plus": 40,
         "convicted_18plus": 0, "taxpayers_15_64": 30, "gross_income_sum_15_64": 9_000_000.0, "non_western": 0,
         "children_6_16": 10},
    ]
    parcels = gpd.GeoDataFrame(rows, geometry=[Point(X0 + 500, Y0 + 500), Point(X0 + 1200, Y0 + 500),
                                               Point(X0 + 2500, Y0 + 500), Point(X0 + 5000, Y0 + 500)], crs=CRS)
    # D1 (x 0..1500) holds p1, p2; D2 (x 1500..6000) holds p3, p4.
    districts = gpd.GeoDataFrame({"district_id": ["D1", "D2"], "school_id": ["S1", "S2"], "name": ["Øst", "Vest"]},
                                 geometry=[box(X0, Y0, X0 + 1500, Y0 + 1000), box(X0 + 1500, Y0, X0 + 6000, Y0 + 1000)],
                                 crs=CRS)
    schools = gpd.GeoDataFrame({"school_id": ["S1", "S2"], "name": ["Ølby Skole", "Vestskolen"], "capacity": [400, 50]},
                               geometry=[Point(X0 + 700, Y0 + 700), Point(X0 + 3000, Y0 + 700)], crs=CRS)
    for name, frame in {"housing_areas": areas, "parcels": parcels, "school_districts": districts,
                        "schools": schools}.items():
        frame.to_parquet(processed / f"{name}.parquet")


@pytest.fixture
def run_config(tmp_path):
    write_run_inputs(tmp_path / "data" / "processed")
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"root": ".", "mix": {"national_conviction_rate": 0.01,
                                                          "regional_mean_income": 400_000}}), encoding="utf-8")
    return load_config(path)


def test_run_writes_the_three_outputs(run_config):
    log.take_warnings()
    paths = run(run_config)
    processed = run_config.processed_dir
    assert [p.name for p in paths] == ["areas_mix.parquet", "segregation.json", "school_districts_mix.parquet",
                                       "parcels_mix.parquet", "areas_mix_history.parquet", "municipality_mix.parquet"]
    # p4 (50 residents) lies in no housing area; it is warned about for run.json.
    assert "1 parcels (50 residents) lay outside every housing area; they count in the municipality totals only" \
        in log.take_warnings()

    areas = gpd.read_parquet(processed / "areas_mix.parquet").set_index("area_id")
    assert areas.crs == CRS and len(areas) == 3
    assert areas.loc["U", "status"] == "udsat" and areas.loc["U", "criteria"] == "c1, c3"
    assert areas.loc["U", "residents"] == 1200 and areas.loc["U", "parcels"] == 1
    assert areas.loc["M", "share_owner"] == pytest.approx(0.75)  # 150 / (150 + 50)
    assert areas.loc[["M", "N"], "status"].tolist() == ["none", "none"]
    # U: LQ of non-Western (300/1200)/(350/2000) = 0.25/0.175 = 10/7
    assert areas.loc["U", "lq_non_western"] == pytest.approx(10 / 7, abs=1e-12)
    assert pd.isna(areas.loc["U", "gap_add_dwellings"])

    seg = json.loads((processed / "segregation.json").read_text(encoding="utf-8"))
    # the reference figures c2 and c4 compare with (this test's config), with the source years of the defaults
    assert seg["reference_values"] == {"national_conviction_rate": 0.01, "national_conviction_rate_year": 2024,
                                       "regional_mean_income": 400000, "regional_mean_income_year": 2024}
    non_western = seg["groups"]["non_western"]
    # g = (300, 50, 0), t = (1200, 500, 300), r = (900, 450, 300), G = 350, R = 1650:
    # D = 1/2 (|6/7 - 6/11| + |1/7 - 3/11| + |0 - 2/11|) = 1/2 (24 + 10 + 14)/77 = 24/77
    # xPx = (6/7)(1/4) + (1/7)(1/10) + 0 = 15/70 + 1/70 = 8/35
    assert non_western["D"] == pytest.approx(24 / 77, abs=1e-12)
    assert non_western["xPx"] == pytest.approx(8 / 35, abs=1e-12)
    assert non_western["group_share"] == pytest.approx(350 / 2000)
    assert seg["tenure_theil_h"]["classes"] == DEFAULTS["ingest"]["tenures"]
    assert 0 < seg["tenure_theil_h"]["H"] <= 1
    assert seg["coverage"]["outside_areas"] == {"parcels": 1, "residents": 50}
    assert seg["coverage"]["outside_districts"] == {"parcels": 0, "residents": 0}
    # Districts: udsat pupils g = (200, 0) of t = (300, 70): D = 70/170 (see test_dissimilarity_is_exported...)
    assert seg["school_districts"]["D"] == pytest.approx(7 / 17, abs=1e-12)

    districts = gpd.read_parquet(processed / "school_districts_mix.parquet").set_index("district_id")
    # D1: p1 + p2 = 1700 residents, 200 + 100 = 300 pupils, 200 of them in udsat U, capacity 400.
    # D2: p3 + p4 = 350 residents, 60 + 10 = 70 pupils, none in udsat areas, capacity 50.
    assert districts["residents"].tolist() == [1700, 350]
    assert districts["pupils"].tolist() == [300, 70]
    assert districts["pupils_udsat_or_worse"].tolist() == [200, 0]
    assert districts["share_pupils_udsat_or_worse"].tolist() == pytest.approx([2 / 3, 0.0])
    assert districts["utilisation"].tolist() == pytest.approx([300 / 400, 70 / 50])
    assert districts["school_name"].tolist() == ["Ølby Skole", "Vestskolen"]


def test_run_writes_the_municipality_figures_as_sums_over_the_housing_areas(run_config):
    run(run_config)
    row = pd.read_parquet(run_config.processed("municipality_mix.parquet")).iloc[0]
    # U, M and N (p4 lies in no housing area and is not counted): outside work (400 + 30 + 10) / (800 + 300 + 200),
    # basic education (350 + 20 + 15) / (500 + 200 + 150), income (210 + 135 + 100) million / (700 + 300 + 200)
    assert row["scope"] == "municipality"
    assert row["share_outside_work_edu"] == pytest.approx(440 / 1300, abs=1e-15)
    assert row["share_basic_edu"] == pytest.approx(385 / 850, abs=1e-15)
    assert row["mean_income_15_64_dkk"] == pytest.approx(445_000_000 / 1200, abs=1e-9)
    assert (row["residents_18_64"], row["residents_30_59"], row["taxpayers_15_64"]) == (1300, 850, 1200)


def test_the_municipality_figures_leave_unknown_areas_out_never_as_0():
    # P: 100 of 400 outside work, 30 of 100 basic education only, 4 million DKK over 20 taxpayers (200,000).
    # Q: outside work unknown (suppressed), 10 of 50, 9 million over 30 (300,000). R: base 0 (share null), the rest
    # unknown. Q's 18-64 and all of R are left out of both sums; counting them as 0 would give 100 / 800 and
    # 40 / 150, and an income over 50 + R's taxpayers.
    areas = pd.DataFrame({
        "area_id": ["P", "Q", "R"],
        "share_outside_work_edu": [0.25, None, None], "residents_18_64": [400, 400, 0],
        "share_basic_edu": [0.3, 0.2, None], "residents_30_59": [100, 50, None],
        "mean_income_15_64_dkk": [200_000.0, 300_000.0, None], "taxpayers_15_64": [20, 30, 10],
    })
    row = municipality_mix(areas).iloc[0]
    assert row["share_outside_work_edu"] == pytest.approx(100 / 400, abs=1e-15) and row["residents_18_64"] == 400
    assert row["share_basic_edu"] == pytest.approx(40 / 150, abs=1e-15) and row["residents_30_59"] == 150
    assert row["mean_income_15_64_dkk"] == pytest.approx(13_000_000 / 50, abs=1e-9) and row["taxpayers_15_64"] == 50
    # no area known: the figure and its base are null, not 0
    unknown = municipality_mix(areas.assign(share_basic_edu=None)).iloc[0]
    assert pd.isna(unknown["share_basic_edu"]) and pd.isna(unknown["residents_30_59"])


def test_run_leaves_ingests_districts_alone_and_is_idempotent(run_config):
    # Every file has one writer: mix writes its district figures to a file of its own, never ingest's.
    ingested = run_config.processed("school_districts.parquet")
    before = ingested.read_bytes()
    run(run_config)
    path = run_config.processed("school_districts_mix.parquet")
    first = gpd.read_parquet(path)
    run(run_config)
    second = gpd.read_parquet(path)
    assert ingested.read_bytes() == before
    assert "pupils" not in gpd.read_parquet(ingested).columns
    pd.testing.assert_frame_equal(first, second)


def test_docs_explain_every_output_column_and_key(run_config):
    # docs/indicators.md must name every column of both tables and every key of segregation.json.
    run(run_config)
    docs = (DEFAULTS_FILE.parent.parent / "docs" / "indicators.md").read_text(encoding="utf-8")
    processed = run_config.processed_dir
    columns = [*gpd.read_parquet(processed / "areas_mix.parquet").columns,
               *gpd.read_parquet(processed / "school_districts_mix.parquet").columns]
    keys = set()

    def walk(value):
        if isinstance(value, dict):
            for key, inner in value.items():
                keys.add(key)
                walk(inner)

    walk(json.loads((processed / "segregation.json").read_text(encoding="utf-8")))
    # A column as `name`; a key as `key`, `parent.key`, `key.child` or `.key`.
    undocumented = [c for c in [*columns, *keys] if c != "geometry" and not re.search(rf"[`.]{c}[`.]", docs)]
    assert undocumented == []
