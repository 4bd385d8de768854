"""Statistics at their support: grid cells apportioned to parcels, area tables, shared school districts (issue 10).

Every expected value is worked out by hand in the comments, on real GeoParquet files run through the mix stage.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml
from shapely.geometry import Point, box

from pipeline import mix
from pipeline.core import log
from pipeline.core.config import DEFAULTS_FILE, load_config
from pipeline.sources.statistics import largest_remainder

CRS = "EPSG:25832"
X0, Y0 = 700000.0, 6170000.0


def b(x1, y1, x2, y2):
    """A box in metres from the fixture's origin."""
    return box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


def write_grid_project(root, *, parcels: bool = True, area_statistics: pd.DataFrame | None = None):
    """A 2 x 2 grid of 100 m cells over five parcels (see test_grid_counts_are_apportioned_by_hand)."""
    processed = root / "data" / "processed"
    processed.mkdir(parents=True)

    def save(name, frame):
        frame.to_parquet(processed / f"{name}.parquet")

    save("housing_areas", gpd.GeoDataFrame(
        {"area_id": ["0147", "0200", "0999"], "name": ["Østerbro", "Bøgely", "Åbyen"], "area_type": [None, None, "social"],
         "years_listed": [0, 0, 4]},
        geometry=[b(0, 0, 100, 200), b(100, 0, 300, 200), b(500, 0, 600, 100)], crs=CRS))
    if parcels:
        save("parcels", gpd.GeoDataFrame(
            {"parcel_id": ["p1", "p2", "p3", "p4", "p5"], "dwellings_owner": [10, 10, 5, 0, 0],
             "children_6_16": [30, 30, 30, 0, 0]},
            geometry=[b(10, 10, 30, 30), b(40, 10, 60, 30), b(10, 50, 30, 70), b(110, 10, 140, 20), b(160, 10, 170, 20)],
            crs=CRS))
    save("grid_statistics", gpd.GeoDataFrame(
        {"cell_id": ["100m_g00", "100m_g10", "100m_g01", "100m_g11"],
         "residents": pd.array([100, 7, 12, 5], dtype="Int64"),
         "non_western": pd.array([9, None, 1, 0], dtype="Int64"),
         "children_6_16": pd.array([50, 50, 50, 50], dtype="Int64")},
        geometry=[b(0, 0, 100, 100), b(100, 0, 200, 100), b(0, 100, 100, 200), b(100, 100, 200, 200)], crs=CRS))
    save("school_districts", gpd.GeoDataFrame(
        {"district_id": ["D1", "D2", "D3"], "name": ["Nord", "Syd", "Vest"]},
        geometry=[b(0, 0, 200, 200), b(500, 500, 600, 600), b(200, 0, 400, 200)], crs=CRS))
    save("schools", gpd.GeoDataFrame(
        {"school_id": ["S1", "S2", "S3"], "name": ["Ølby Skole", "Åskolen", "Vestskolen"], "capacity": [200, 100, 50]},
        geometry=[Point(X0 + 50, Y0 + 150), Point(X0 + 150, Y0 + 150), Point(X0 + 550, Y0 + 550)], crs=CRS))
    pd.DataFrame({"district_id": ["D1", "D1", "D2", "D3"], "school_id": ["S1", "S2", "S3", "S9"],
                  "share": [None, None, None, None]}).to_parquet(processed / "district_schools.parquet")
    if area_statistics is not None:
        area_statistics.to_parquet(processed / "area_statistics.parquet")
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump({"root": ".", "mix": {"national_conviction_rate": 0.01,
                                                          "regional_mean_income": 400_000}}), encoding="utf-8")
    return load_config(path)


def mixed_grid_project(tmp_path):
    """The grid project after the mix stage, and the warnings mix gave."""
    log.take_warnings()
    config = write_grid_project(tmp_path)
    mix.run(config)
    return config, log.take_warnings()


def test_largest_remainder_keeps_totals_and_breaks_ties_by_id():
    # 9 over weights 10, 10, 5: quotas 3.6, 3.6, 1.8 -> floors 3, 3, 1 (7), 2 left: the largest fraction
    # (0.8, third) first, then the tie 0.6 / 0.6 goes to the lower tiebreak (first): 4, 3, 2.
    got = largest_remainder(np.array([9.0]), np.array([0, 0, 0]), np.array([10.0, 10.0, 5.0]), np.array([0, 1, 2]))
    assert got.tolist() == [4, 3, 2]
    # The tie goes the other way when the second member has the lower tiebreak.
    got = largest_remainder(np.array([9.0]), np.array([0, 0, 0]), np.array([10.0, 10.0, 5.0]), np.array([1, 0, 2]))
    assert got.tolist() == [3, 4, 2]


def test_grid_counts_are_apportioned_by_hand(tmp_path):
    config, warnings = mixed_grid_project(tmp_path)
    units = gpd.read_parquet(config.processed("parcels_mix.parquet")).set_index("parcel_id")
    # Cell g00 (residents 100, non_western 9) holds p1, p2, p3 with 10, 10, 5 dwellings (25):
    # residents 100 x (10, 10, 5) / 25 = 40, 40, 20 exactly; non_western 3.6, 3.6, 1.8 -> 4, 3, 2 (see above).
    # Cell g10 (residents 7) holds p4 (300 m2) and p5 (100 m2) with 0 dwellings: by area, 5.25 and 1.75 ->
    # floors 5 and 1, the one left to the larger fraction (p5, 0.75): 5 and 2. Its non_western is
    # suppressed (null): unknown for p4 and p5, never 0.
    assert units["residents"].tolist() == [40, 40, 20, 5, 2]
    assert units["non_western"].iloc[:3].tolist() == [4, 3, 2] and units["non_western"].iloc[3:].isna().all()
    # children_6_16 is given on the parcels themselves: it takes precedence over the grid's 50 per cell.
    assert units["children_6_16"].tolist() == [30, 30, 30, 0, 0]
    assert units["area_id"].tolist() == ["0147", "0147", "0147", "0200", "0200"]
    # Cells g01 (12) and g11 (5) hold no parcel: warned by name, their 17 residents kept in the totals.
    assert any("2 grid cells hold no parcel (17 residents)" in w and "100m_g01, 100m_g11" in w for w in warnings)
    seg = json.loads(config.processed("segregation.json").read_text(encoding="utf-8"))
    assert seg["coverage"]["grid_cells_without_parcels"]["residents"] == 17
    # 40 + 40 + 20 + 5 + 2 + 17 = 124 = 100 + 7 + 12 + 5: the grid's total kept to the person
    assert int(units["residents"].sum()) + 17 == 124

    areas = gpd.read_parquet(config.processed("areas_mix.parquet")).set_index("area_id")
    # 0147 lies wholly in the grid: residents 100, non_western 9, share 0.09, from the grid.
    assert areas.loc["0147", "residents"] == 100 and areas.loc["0147", "non_western"] == 9
    assert areas.loc["0147", "share_non_western"] == pytest.approx(0.09)
    assert areas.loc["0147", ["support_residents", "support_non_western"]].tolist() == ["grid", "grid"]
    # 0200 (x 100..300) lies half inside the grid's coverage (< 0.95): its grid-fed figures are null, warned.
    assert pd.isna(areas.loc["0200", "residents"]) and areas.loc["0200", "support_residents"] == "none"
    assert any("less than 95% inside the grid" in w and "0200" in w for w in warnings)
    # 0999 holds no parcel: null, not 0, and warned.
    assert pd.isna(areas.loc["0999", "residents"]) and areas.loc["0999", "parcels"] == 0
    assert any("1 housing areas hold no parcel" in w and "0999" in w for w in warnings)


def test_without_parcels_the_units_are_cells_cut_by_areas(tmp_path):
    config = write_grid_project(tmp_path, parcels=False)
    mix.run(config)
    units = gpd.read_parquet(config.processed("parcels_mix.parquet")).set_index("parcel_id")
    # Each cell lies in one area: g00 and g01 in 0147 (100 + 12 residents), g10 and g11 in 0200.
    assert units.loc["100m_g00:0147", "residents"] == 100 and units.loc["100m_g01:0147", "residents"] == 12
    areas = gpd.read_parquet(config.processed("areas_mix.parquet")).set_index("area_id")
    assert areas.loc["0147", "residents"] == 112 and areas.loc["0147", "children_6_16"] == 100
    assert pd.isna(areas.loc["0200", "residents"])  # half outside the grid's coverage


def test_a_district_with_two_schools_splits_its_pupils_by_capacity(tmp_path):
    config, warnings = mixed_grid_project(tmp_path)
    districts = gpd.read_parquet(config.processed("school_districts_mix.parquet")).set_index("district_id")
    # D1 holds p1..p5: 90 pupils; S1 (capacity 200) and S2 (100) take 90 x 2/3 = 60 and 90 x 1/3 = 30,
    # together 90 of 300 places: utilisation 0.3.
    assert districts.loc["D1", "pupils"] == 90
    # its residents come from the grid (D1 lies wholly inside it): 40 + 40 + 20 + 5 + 2 = 107
    assert districts.loc["D1", "residents"] == 107
    assert districts.loc["D1", "school_ids"] == "S1; S2" and districts.loc["D1", "school_name"] == "Ølby Skole; Åskolen"
    assert districts.loc["D1", "capacity"] == 300 and districts.loc["D1", "school_pupils"] == 90
    assert districts.loc["D1", "utilisation"] == pytest.approx(0.3)
    # D2 holds no parcel: null pupils and utilisation (not 0), warned.
    assert pd.isna(districts.loc["D2", "pupils"]) and pd.isna(districts.loc["D2", "utilisation"])
    assert any("school districts hold no parcel" in w and "D2" in w for w in warnings)
    # D3's only school S9 is not in the schools layer: no known school, null school figures, warned.
    assert pd.isna(districts.loc["D3", "school_ids"]) and pd.isna(districts.loc["D3", "capacity"])
    assert any("1 school districts have no known school" in w and "D3" in w for w in warnings)


def test_split_pupils_by_capacity_and_by_given_share():
    from pipeline.mix.schools import link_weights, split_pupils

    schools = pd.DataFrame({"school_id": ["S1", "S2", "S3", "S4"], "capacity": [200, 100, None, None]})
    links = pd.DataFrame({"district_id": ["D1", "D1", "D2", "D2", "D3", "D3"],
                          "school_id": ["S1", "S2", "S1", "S2", "S3", "S4"],
                          "share": [None, None, 0.25, 0.75, None, None]})
    weights = link_weights(links, schools)
    split = split_pupils(pd.Series([90, 90, 7], index=["D1", "D2", "D3"]), weights).set_index(["district_id", "school_id"])
    # D1 by capacity 200:100 -> 60, 30. D2 by the shares given 0.25:0.75 -> 22.5, 67.5 -> floors 22, 67,
    # the one left to the tie of fractions 0.5 / 0.5 by school id: S1 -> 23, 67. D3 capacities unknown:
    # equally, 3.5 and 3.5 -> S3 4, S4 3.
    assert split["pupils"].tolist() == [60, 30, 23, 67, 4, 3]


def test_area_statistics_values_give_the_ministry_status(tmp_path):
    # Area 0999 has no parcel; the area table gives what the ministry's list shows: residents 1500,
    # c1 0.45 (> 0.40 met), conviction rate 0.03 = 3 x 0.01 (>= 3 met), c3 0.50 (not > 0.60),
    # mean income 240,000 = 0.60 of 400,000 (not < 0.55), non-Western 0.55 (> 0.50), area_type social and
    # 4 earlier years listed: 2 criteria -> udsat -> parallelsamfund -> omdannelse (4 + 1 >= 5).
    table = pd.DataFrame({"area_id": ["0999", "0147"], "residents": [1500, None], "share_outside_work_edu": [0.45, None],
                          "conviction_rate_18plus": [0.03, None], "share_basic_edu": [0.50, None],
                          "mean_income_15_64_dkk": [240_000.0, None], "share_non_western": [0.55, 0.2]})
    config = write_grid_project(tmp_path, area_statistics=table)
    mix.run(config)
    areas = gpd.read_parquet(config.processed("areas_mix.parquet")).set_index("area_id")
    row = areas.loc["0999"]
    assert row["status"] == "omdannelse" and row["criteria"] == "c1, c2" and row["criteria_met"] == 2
    assert row["crime_ratio"] == pytest.approx(3.0) and row["income_ratio"] == pytest.approx(0.6)
    assert row[["support_residents", "support_c1", "support_c2", "support_c3", "support_c4", "support_non_western"]
               ].tolist() == ["area", "area", "area", "area", "area", "area"]
    # 0147: the area's non-Western share is given (0.2) and takes precedence over the grid's 9 / 100.
    assert areas.loc["0147", "share_non_western"] == pytest.approx(0.2)
    assert areas.loc["0147", "support_non_western"] == "area" and areas.loc["0147", "support_residents"] == "grid"


def test_an_area_given_only_the_lists_values_gets_the_lists_status_and_criteria(tmp_path):
    # The ministry's list (1 December) gives per area: residents, c1 and c3 as shares, c2 as a multiple of the
    # national rate, c4 as a share of the regional mean income, the non-Western share, and the years listed
    # (housing_areas.years_listed: 4 for 0999). Here: c1 44.7 % (> 40 %: met), c2 2.41 x (< 3: not met),
    # c3 65.3 % (> 60 %: met), c4 48.1 % (< 55 %: met), non-Western 82.3 % (> 50 %): 3 criteria, a
    # parallelsamfund listed 4 years before, so omdannelse (4 + 1 >= 5), as the list says.
    table = pd.DataFrame({"area_id": ["0999"], "residents": [1843], "share_outside_work_edu": [0.447],
                          "crime_ratio": [2.41], "share_basic_edu": [0.653], "income_ratio": [0.481],
                          "share_non_western": [0.823]})
    config = write_grid_project(tmp_path, area_statistics=table)
    mix.run(config)
    row = gpd.read_parquet(config.processed("areas_mix.parquet")).set_index("area_id").loc["0999"]
    assert row["status"] == "omdannelse" and row["criteria"] == "c1, c3, c4" and row["criteria_met"] == 3
    assert row["crime_ratio"] == pytest.approx(2.41) and row["income_ratio"] == pytest.approx(0.481)
    assert row["support_c2"] == "area" and row["support_c4"] == "area"


def test_every_year_is_computed_and_the_latest_is_areas_mix(tmp_path):
    log.take_warnings()
    # 0999 has no parcel; the area table gives 2023 (900 residents: under 1,000, status none) and 2024
    # (1,500 residents, c1 0.45 met, the other criteria unknown: udsat if one more is met, else none or
    # forebyggelse: undetermined). The grid (no year) feeds 0147 and 0200 in both years alike.
    table = pd.DataFrame({"area_id": ["0999", "0999"], "year": [2023, 2024], "residents": [900, 1500],
                          "share_outside_work_edu": [0.1, 0.45]})
    config = write_grid_project(tmp_path, area_statistics=table)
    mix.run(config)
    areas = gpd.read_parquet(config.processed("areas_mix.parquet")).set_index("area_id")
    assert areas.loc["0999", "residents"] == 1500  # 2024, not 2023
    history = pd.read_parquet(config.processed("areas_mix_history.parquet")).set_index(["area_id", "year"])
    assert history.loc[("0999", 2023), "residents"] == 900 and history.loc[("0999", 2024), "residents"] == 1500
    assert history.loc[("0999", 2023), "status"] == "none" and history.loc[("0999", 2024), "status"] == "undetermined"
    assert history.loc[("0147", 2023), "residents"] == history.loc[("0147", 2024), "residents"] == areas.loc["0147", "residents"]
    # 0999 was typed as listed 4 earlier years, but 2023 shows it off the list: the history's 0 is used, warned.
    warnings = log.take_warnings()
    assert areas.loc["0999", "years_listed"] == 0
    assert any("0999 (typed 4, history 0)" in w for w in warnings)
    # each year's repairable problems are kept once, not once a year
    assert len(warnings) == len(set(warnings))


def test_status_reason_lists_the_deciding_unknown_criteria():
    from pipeline.mix.status import status_columns

    config = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))["mix"]
    # Eligible (social, 1000 residents, Non-Western 0.1). Row 0: c1 0.5 met, c3 0.1 not, c2 and c4 unknown:
    # udsat if c2 or c4 is met, none otherwise (prevention needs Non-Western > 0.30): undetermined by c2, c4.
    # Row 1: c1 and c3 met, c2 unknown: udsat whatever c2 is (Non-Western 0.1 rules out parallelsamfund).
    # Row 2: as row 1 with the Non-Western share unknown: udsat or parallelsamfund, decided by it alone.
    frame = pd.DataFrame({"residents": [1000] * 3, "area_type": ["social"] * 3,
                          "share_outside_work_edu": [0.5, 0.5, 0.5], "crime_ratio": [np.nan] * 3,
                          "share_basic_edu": [0.1, 0.7, 0.7], "income_ratio": [np.nan, 1.0, 1.0],
                          "share_non_western": [0.1, 0.1, np.nan]})
    out = status_columns(frame, config)
    assert out["status"].tolist() == ["undetermined", "udsat", "undetermined"]
    assert out["deciding_unknown"].tolist() == ["c2, c4", "", "share_non_western"]
    assert out["status_reason"].iloc[0] == "1 criterion met (c1), 2 unknown (c2, c4); undetermined: depends on c2, c4"
    assert out["c2_met"].isna().all() and out["c1_met"].tolist() == [True, True, True]
