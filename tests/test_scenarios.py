"""Stage scenarios: pupil allocation, school figures, development effects, ranking and the stage's files."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml
from shapely.geometry import LineString, MultiPoint, Point, box

from pipeline import mix
from pipeline import scenarios as sc
from pipeline.core.config import load_config
from pipeline.core.io import read_json, read_table
from pipeline.mix import areas_mix

CRS = "EPSG:25832"
X0, Y0 = 700000.0, 6170000.0


# --- allocation ----------------------------------------------------------------------------------------

# Distances (m) of four parcels to three schools A, B, C; capacities A 50, B 100, C 100.
THREE_SCHOOLS_M = np.array([
    [500.0, 1500.0, 3000.0],   # p0, 30 pupils
    [800.0, 1200.0, 2800.0],   # p1, 40 pupils
    [2000.0, 600.0, 2600.0],   # p2, 20 pupils
    [900.0, 2200.0, 400.0],    # p3, 10 pupils
])
THREE_PUPILS = np.array([30, 40, 20, 10])


def test_nearest_open_school_without_capacity():
    # Everyone to the nearest: p0, p1 -> A (30 + 40 = 70), p2 -> B (20), p3 -> C (10).
    allocation = sc.allocate_pupils(THREE_SCHOOLS_M, THREE_PUPILS, np.array([50.0, 100, 100]), False)
    assert allocation.sum(axis=0).tolist() == [70, 20, 10]
    assert allocation.tolist() == [[30, 0, 0], [40, 0, 0], [0, 20, 0], [0, 0, 10]]


def test_capacity_overflow_goes_to_next_nearest_with_room():
    # Pairs by distance: (p3,C,400) 10 -> C; (p0,A,500) 30 -> A, A has 20 left; (p2,B,600) 20 -> B;
    # (p1,A,800): A takes 20 of p1's 40 and is full; (p3,A,900) p3 done; (p1,B,1200): the other 20 -> B.
    # A = 30 + 20 = 50, B = 20 + 20 = 40, C = 10.
    allocation = sc.allocate_pupils(THREE_SCHOOLS_M, THREE_PUPILS, np.array([50.0, 100, 100]), True)
    assert allocation.tolist() == [[30, 0, 0], [20, 20, 0], [0, 20, 0], [0, 0, 10]]


def test_closure_with_overflow_to_a_farther_school():
    # A closed (only columns B, C), B holds 60: (p3,C,400) 10 -> C; (p2,B,600) 20 -> B (40 left);
    # (p1,B,1200) 40 -> B (full); (p0,B,1500) B full; (p1,C,2800) p1 done; (p0,C,3000) 30 -> C.
    # B = 20 + 40 = 60, C = 10 + 30 = 40.
    allocation = sc.allocate_pupils(THREE_SCHOOLS_M[:, 1:], THREE_PUPILS, np.array([60.0, 100]), True)
    assert allocation.tolist() == [[0, 30], [40, 0], [20, 0], [0, 10]]


def test_pupils_beyond_every_seat_go_to_their_nearest_school():
    # Seats 10 + 10 for 25 pupils: (p0,S0,100) 10 of 15 -> S0 (full); (p1,S0,200) full; (p1,S1,300) 10 -> S1
    # (full); p0's 5 left find no room and go to their nearest school S0, which ends 5 over capacity.
    allocation = sc.allocate_pupils(np.array([[100.0, 500.0], [200.0, 300.0]]), np.array([15, 10]),
                                    np.array([10.0, 10.0]), True)
    assert allocation.tolist() == [[15, 0], [0, 10]]


def test_unknown_capacity_is_unlimited_and_ties_go_by_parcel_order():
    # Both parcels are 100 m from S0 (capacity 5) and 200 m from S1 (capacity unknown): the tie at S0
    # goes to the first parcel (5 of its 8), the rest to S1.
    allocation = sc.allocate_pupils(np.array([[100.0, 200.0], [100.0, 200.0]]), np.array([8, 4]),
                                    np.array([5.0, np.nan]), True)
    assert allocation.tolist() == [[5, 3], [0, 4]]


def _pair_greedy(distances_m, pupils, capacities):
    """Independent reference: the greedy written as a plain loop over every pair in order of distance."""
    n_p, n_s = distances_m.shape
    pairs = sorted((distances_m[p, s], p, s) for p in range(n_p) for s in range(n_s))
    need, room = list(pupils), [c if np.isfinite(c) else 10**9 for c in capacities]
    out = np.zeros((n_p, n_s), dtype=int)
    for _, p, s in pairs:
        sent = min(need[p], room[s])
        out[p, s] += sent
        need[p] -= sent
        room[s] -= sent
    for p in range(n_p):  # pupils beyond every seat: their nearest school
        out[p, int(np.argmin(distances_m[p]))] += need[p]
    return out


@pytest.mark.parametrize("seed", range(8))
def test_vectorised_allocation_matches_the_pair_by_pair_greedy(seed):
    rng = np.random.default_rng(seed)
    distances_m = rng.integers(100, 5000, size=(40, 5)).astype(float)
    pupils = rng.integers(0, 30, size=40)
    capacities = rng.integers(20, 200, size=5).astype(float)
    got = sc.allocate_pupils(distances_m, pupils, capacities, True)
    assert np.array_equal(got, _pair_greedy(distances_m, pupils, capacities))
    assert got.sum() == pupils.sum()


# --- scenarios on a hand-made fixture ------------------------------------------------------------------

# Distances (m) of five parcels to today's schools A, B, C and a new school site N (which closes A).
SCENARIO_M = np.array([
    [500.0, 1500.0, 3000.0, 1000.0],   # p0, 30 pupils, district A
    [800.0, 1200.0, 2800.0, 700.0],    # p1, 40 pupils, district A, udsat-or-worse area
    [2000.0, 600.0, 2600.0, 1800.0],   # p2, 20 pupils, district B
    [900.0, 2200.0, 400.0, 2000.0],    # p3, 10 pupils, district C
    [3000.0, 2400.0, 3500.0, 300.0],   # p4,  5 pupils, district B, udsat-or-worse area
])
SCENARIO_PUPILS = np.array([30, 40, 20, 10, 5])
SCENARIO_UDSAT = np.array([False, True, False, False, True])
SCENARIO_CAPACITY = np.array([50.0, 100, 100, 60])
SCENARIO_DISTRICT = np.array([0, 0, 1, 2, 1])


def _scenario_figures():
    schools = pd.DataFrame({"school_id": ["A", "B", "C", "N"]})
    sites = pd.DataFrame({"site_id": ["N"], "name": ["Nyskolen"], "closes_school_id": ["A"]})
    scenarios = sc.school_scenarios(schools, sites)
    figures, pairs = sc.scenario_pairs(
        scenarios, sc.NearSchools.from_matrix(SCENARIO_M, SCENARIO_DISTRICT), SCENARIO_PUPILS, SCENARIO_DISTRICT,
        SCENARIO_UDSAT, SCENARIO_CAPACITY, honour_capacity=True, free_transport_dist_m=1000.0)
    allocations = {scenario_id: sc.allocation_matrix(rows, SCENARIO_M.shape) for scenario_id, rows in pairs.items()}
    return scenarios, figures.set_index(["scenario_id", "school"]), allocations


def test_scenarios_open_the_site_and_close_the_named_school():
    scenarios, _, _ = _scenario_figures()
    assert [s.scenario_id for s in scenarios] == ["baseline", "districts_as_drawn", "N"]
    assert scenarios[0].open_schools.tolist() == [0, 1, 2] and not scenarios[0].by_district
    assert scenarios[1].open_schools.tolist() == [0, 1, 2] and scenarios[1].by_district
    assert scenarios[2].open_schools.tolist() == [1, 2, 3]


def test_baseline_moves_the_overflow_of_the_districts_as_drawn_like_a_candidate():
    _, figures, allocations = _scenario_figures()
    # Today's districts as drawn: A = p0 30 + p1 40 = 70 (over its 50), B = p2 20 + p4 5 = 25, C = p3 10.
    assert figures.loc["districts_as_drawn", "pupils"].tolist() == [70, 25, 10]
    assert figures.loc["districts_as_drawn", "over_capacity"].tolist() == [True, False, False]
    # The baseline: today's schools A, B, C under the candidates' rule (the greedy by distance, by hand):
    # (p3,C,400) 10 -> C; (p0,A,500) 30 -> A (20 seats left); (p2,B,600) 20 -> B; (p1,A,800) 20 of 40 -> A
    # (full); (p1,B,1200) the other 20 -> B; (p4,B,2400) 5 -> B. A = 50, B = 45, C = 10: the 20 pupils over
    # A's capacity moved to the next nearest school with room, as in a candidate scenario.
    assert figures.loc["baseline", "pupils"].tolist() == [50, 45, 10]
    assert figures.loc["baseline", "over_capacity"].tolist() == [False, False, False]
    assert allocations["baseline"][1].tolist() == [20, 20, 0, 0]
    # The same rule as the candidate's: allocate_near over the baseline's open schools gives the same matrix.
    near = sc.NearSchools.from_matrix(SCENARIO_M)
    same = sc.allocate_near(near, SCENARIO_PUPILS, SCENARIO_CAPACITY, True, np.array([True, True, True, False]))
    assert np.array_equal(sc.allocation_matrix(same, SCENARIO_M.shape), allocations["baseline"])
    # Scenario N (A closed): (p4,N,300) 5 -> N; (p3,C,400) 10 -> C; (p2,B,600) 20 -> B; (p1,N,700) 40 -> N
    # (15 seats left); (p0,N,1000) 15 of 30 -> N (full); (p0,B,1500) the other 15 -> B.
    # B = 20 + 15 = 35, C = 10, N = 5 + 40 + 15 = 60 = its capacity.
    assert figures.loc["N", "pupils"].tolist() == [35, 10, 60]
    assert figures.loc["N", "over_capacity"].tolist() == [False, False, False]
    assert allocations["N"][0].tolist() == [0, 15, 0, 15]
    assert figures.loc[("N", 3), "utilisation"] == pytest.approx(1.0)
    assert figures.loc[("N", 1), "utilisation"] == pytest.approx(0.35)


def test_distances_and_free_transport_against_the_baseline():
    _, figures, _ = _scenario_figures()
    # N: 5 pupils at 300, 40 at 700, 15 at 1000 m: mean (1500 + 28000 + 15000) / 60; 90% of 60 = 54
    # pupils live within 1000 m (cumulative 5, 45, 60).
    assert figures.loc[("N", 3), "mean_dist_m"] == pytest.approx(44500 / 60)
    assert figures.loc[("N", 3), "p90_dist_m"] == 1000.0
    # B: 20 at 600, 15 at 1500 m: mean 34500 / 35; 90% of 35 = 31.5, reached only at 1500 m.
    assert figures.loc[("N", 1), "mean_dist_m"] == pytest.approx(34500 / 35)
    assert figures.loc[("N", 1), "p90_dist_m"] == 1500.0
    # Free transport beyond 1000 m, counted per parcel against the baseline's pupils beyond it: p1 has 20
    # (its 20 at B, 1200 m), p4 5 (B, 2400 m), the others none. In N: p0 has 15 beyond (at B, 1500 m; its
    # 15 at N are at exactly 1000 m, not beyond): 15 gain, at B. p1 has none beyond (all at N, 700 m): 20 lose,
    # at N; p4 none (N, 300 m): 5 lose, at N.
    assert figures.loc["N", "pupils_gain_free_transport"].tolist() == [15, 0, 0]
    assert figures.loc["N", "pupils_lose_free_transport"].tolist() == [0, 0, 25]
    # the baseline against itself: none, although it splits p1 between a school within and one beyond 1000 m
    assert figures.loc["baseline", "pupils_gain_free_transport"].sum() == 0
    assert figures.loc["baseline", "pupils_lose_free_transport"].sum() == 0
    # The districts as drawn send all of p1 to A (800 m): p1's 20 lose it, at A; p4 stays at B (2400 m).
    assert figures.loc["districts_as_drawn", "pupils_gain_free_transport"].tolist() == [0, 0, 0]
    assert figures.loc["districts_as_drawn", "pupils_lose_free_transport"].tolist() == [20, 0, 0]


def test_dissimilarity_across_schools_by_hand():
    _, figures, _ = _scenario_figures()
    # Districts as drawn: udsat pupils A 40, B 5, C 0 (G = 45); others A 30, B 20, C 10 (R = 60).
    # D = 1/2 (|40/45 - 30/60| + |5/45 - 20/60| + |0 - 10/60|) = 1/2 (7/18 + 4/18 + 3/18) = 7/18.
    assert figures.loc["districts_as_drawn", "dissimilarity"].iloc[0] == pytest.approx(7 / 18)
    # Baseline: udsat A 20, B 20 + 5 = 25, C 0; others A 30, B 20, C 10:
    # D = 1/2 (|8/18 - 9/18| + |10/18 - 6/18| + 3/18) = 1/2 (8/18) = 2/9.
    assert figures.loc["baseline", "dissimilarity"].iloc[0] == pytest.approx(2 / 9)
    # N: udsat B 0, C 0, N 45; others B 35, C 10, N 15: D = 1/2 (35/60 + 10/60 + |45/45 - 15/60|) = 0.75.
    assert figures.loc["N", "dissimilarity"].tolist() == pytest.approx([0.75] * 3)
    # Shares: N holds 45 udsat pupils of 60; A as drawn 40 of 70.
    assert figures.loc[("N", 3), "share_pupils_udsat_or_worse"] == pytest.approx(0.75)
    assert figures.loc[("districts_as_drawn", 0), "share_pupils_udsat_or_worse"] == pytest.approx(40 / 70)


def test_a_candidate_does_not_win_only_because_the_districts_overfill_a_school():
    _, figures, _ = _scenario_figures()
    table = figures.reset_index().assign(scenario_name="x")
    # Against the districts as drawn (A 20 over capacity) N would rank first; against the fair baseline
    # (no school over capacity, D = 2/9 < 0.75) the baseline ranks first. The reference row gets no rank.
    ranks = sc.rank_school_scenarios(table, "min_dissimilarity_no_overcapacity").to_dict()
    assert ranks == {"baseline": 1, "N": 2}
    assert sc.rank_school_scenarios(table, "min_dissimilarity").to_dict() == {"baseline": 1, "N": 2}
    summary = sc.school_summary(table)
    assert summary["ranked"].to_dict() == {"baseline": True, "districts_as_drawn": False, "N": True}
    assert summary["pupils_over_capacity"].to_dict() == {"baseline": 0, "districts_as_drawn": 20, "N": 0}
    # against the baseline: D 7/18 - 2/9 = 3/18 for the districts as drawn, 0.75 - 2/9 for N
    assert summary.loc["districts_as_drawn", "dissimilarity_vs_baseline"] == pytest.approx(3 / 18)
    assert summary.loc["N", "dissimilarity_vs_baseline"] == pytest.approx(0.75 - 2 / 9)
    assert summary.loc["districts_as_drawn", "pupils_over_capacity_vs_baseline"] == 20
    # pupil-weighted mean distance of the baseline: (30x500 + 20x800 + 20x1200 + 20x600 + 10x400 + 5x2400) / 105
    assert summary.loc["baseline", "mean_dist_m"] == pytest.approx(83000 / 105)


def test_school_summary_weights_distance_by_pupils():
    sites = pd.DataFrame({"scenario_id": ["baseline", "baseline", "X"], "scenario_name": ["Baseline", "Baseline", "X"],
                          "school_id": ["a", "b", "a"], "pupils": [100, 300, 400], "capacity": [200.0, 250, 500],
                          "mean_dist_m": [1000.0, 2000.0, 1500.0],
                          "pupils_gain_free_transport": [0, 0, 7], "pupils_lose_free_transport": [0, 0, 3],
                          "over_capacity": [False, True, False], "dissimilarity": [0.4, 0.4, 0.25], "rank": [2, 2, 1]})
    summary = sc.school_summary(sites)
    # (100 * 1000 + 300 * 2000) / 400 = 1750 m
    assert summary.loc["baseline", "mean_dist_m"] == pytest.approx(1750.0)
    assert summary.loc["X", "mean_dist_m_vs_baseline"] == pytest.approx(1500.0 - 1750.0)
    assert summary.loc["X", "dissimilarity_vs_baseline"] == pytest.approx(0.25 - 0.4)
    # b holds 300 of 250 seats: one school and 50 pupils over capacity; X none (-1 and -50 against the baseline)
    assert summary.loc["baseline", ["schools_over_capacity", "pupils_over_capacity"]].tolist() == [1, 50]
    assert summary.loc["X", ["schools_over_capacity_vs_baseline", "pupils_over_capacity_vs_baseline"]].tolist() == [-1, -50]
    assert summary.loc["X", ["pupils_gain_free_transport", "pupils_lose_free_transport"]].tolist() == [7, 3]


def test_ranking_orders_several_candidates_and_rejects_an_unknown_objective():
    summary = pd.DataFrame({"dissimilarity": [0.30, 0.20, 0.25, np.nan], "pupils_over_capacity": [0, 12, 0, 0],
                            "mean_dist_m": [900.0, 800, 700, 600]}, index=["baseline", "s1", "s2", "s3"])
    # Feasible: baseline 0.30, s2 0.25, s3 null (last among feasible); s1 is over capacity: last.
    ranks = sc.rank_candidates(summary, "min_dissimilarity_no_overcapacity", sc.SCHOOL_OBJECTIVES)
    assert ranks.tolist() == [2, 4, 1, 3]
    with pytest.raises(sc.InputError, match="best_of_all"):
        sc.rank_candidates(summary, "best_of_all", sc.SCHOOL_OBJECTIVES)


# --- development ---------------------------------------------------------------------------------------

def _project(tmp_path: Path, overrides: dict | None = None):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"root": ".", **(overrides or {})}), encoding="utf-8")
    return load_config(path)


def _mix_config(config) -> dict:
    return {**config["mix"], "tenures": list(config["ingest"]["tenures"])}


def _omdannelse_layers():
    """Area A: 500 social family dwellings, 1200 residents, criteria c1 and c3 met, 700 non-Western,
    listed 4 earlier years: omdannelse. Area B: private. Parcels are points."""
    areas = gpd.GeoDataFrame(
        {"area_id": ["A", "B"], "name": ["Ågården", "Bøgely"], "area_type": ["mixed", "private"], "years_listed": [4, 0]},
        geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)], crs=CRS)
    parcels = gpd.GeoDataFrame({
        "parcel_id": ["p1", "p2"], "area_id": ["A", "B"],
        "dwellings_social_family": [500, 0], "dwellings_social_other": [0, 0], "dwellings_owner": [0, 200],
        "dwellings_private_rental": [0, 0], "dwellings_cooperative": [0, 0], "dwellings_other": [0, 0],
        "residents": [1200, 300], "residents_18_64": [600, 200], "outside_work_edu_18_64": [300, 10],
        "residents_30_59": [500, 150], "basic_edu_only_30_59": [350, 10], "non_western": [700, 20],
        "children_6_16": [30, 20],
    }, geometry=[Point(X0 + 100, Y0 + 500), Point(X0 + 1500, Y0 + 500)], crs=CRS)
    return areas, parcels


def test_development_changes_share_gap_and_status(tmp_path):
    mix_config = _mix_config(_project(tmp_path))
    areas, parcels = _omdannelse_layers()
    before = areas_mix(parcels, areas, mix_config).set_index("area_id")
    # Before: S = D = 500, share 1; gap_add = ceil(500 / 0.4 - 500) = 750, gap_convert = ceil(500 - 200) = 300.
    assert before.loc["A", "status"] == "omdannelse"
    assert (before.loc["A", "gap_add_dwellings"], before.loc["A", "gap_convert_dwellings"]) == (750, 300)
    # 300 owner dwellings: D = 800, share 500/800 = 0.625, still omdannelse (residents and criteria kept);
    # gap_add = ceil(1250 - 800) = 450, gap_convert = ceil(500 - 320) = 180.
    small = sc.development_effect(before.reset_index(), "A", {"owner": 300}, mix_config)
    assert small["dwellings"] == 800 and small["share_social_family"] == pytest.approx(0.625)
    assert small["status"] == "omdannelse"
    assert (small["gap_add_dwellings"], small["gap_convert_dwellings"]) == (450, 180)
    # 600 owner dwellings: share 500/1100 = 0.4545 < 0.5, so no longer a social housing area: status none,
    # and the gap (defined for omdannelse areas only) is null.
    large = sc.development_effect(before.reset_index(), "A", {"owner": 600}, mix_config)
    assert large["share_social_family"] == pytest.approx(5 / 11)
    assert large["status"] == "none" and pd.isna(large["gap_add_dwellings"])


def test_sites_join_the_containing_or_nearest_area(tmp_path):
    areas, _ = _omdannelse_layers()
    sites = gpd.GeoDataFrame({"site_id": ["in", "near", "far"]}, geometry=[
        Point(X0 + 500, Y0 + 500),            # inside A
        Point(X0 + 1500, Y0 + 1300),          # 300 m north of B
        Point(X0 + 500, Y0 + 2000)], crs=CRS)  # 1000 m north of A
    located = sc.locate_sites(sites, areas, 500.0)
    assert located.iloc[:2].tolist() == ["A", "B"] and pd.isna(located.iloc[2])


def test_jobs_bike_30_change_is_the_residents_weighted_mean():
    # Site 0 (100 jobs) reaches parcels 0 and 2 (<= 7500 m), not 1. Area X = parcels 0 (300 residents)
    # and 1 (100): (100 x 300 + 0 x 100) / 400 = 75. Area Y = parcel 2 with no residents and area Z with
    # no parcel have no jobs_bike_30 (as in stage access), so no change. Site 1 (40 jobs) reaches parcel 1
    # only: X (40 x 100) / 400 = 10.
    dist = np.array([[7000.0, 8000.0, 7500.0], [9000.0, 100.0, 9000.0]])
    change = sc.jobs_bike_30_change(dist, np.array([100, 40]), np.array([300, 100, 0]),
                                    np.array(["X", "X", "Y"], dtype=object), ["X", "Y", "Z"], 7500.0)
    assert change[:, 0].tolist() == [75.0, 10.0]
    assert np.isnan(change[:, 1:]).all()


def test_development_table_and_ranking(tmp_path):
    mix_config = _mix_config(_project(tmp_path))
    areas, parcels = _omdannelse_layers()
    before = areas_mix(parcels, areas, mix_config).assign(jobs_bike_30=[500.0, 800.0])
    sites = pd.DataFrame({"site_id": ["d1", "d2", "d3"], "name": ["Small", "Large", "Nowhere"],
                          "new_dwellings_owner": [300, 600, 50], "new_jobs": [10, 0, 0]})
    afters = {s: sc.development_effect(before, "A", {"owner": n}, mix_config)
              for s, n in (("d1", 300), ("d2", 600))}
    jobs = np.array([[10.0, 0.0], [0.0, 0.0], [0.0, 0.0]])
    table = sc.development_table(sites, pd.Series(["A", "A", None]), before, afters, jobs,
                                 ["social_family", "owner"])
    table["rank"] = table["site_id"].map(sc.rank_development_sites(table, "max_fall_share_social_family_omdannelse"))
    rows = table.set_index(["site_id", "area_id"])
    assert rows.loc[("d1", "A"), "share_social_family_change"] == pytest.approx(0.625 - 1)
    assert rows.loc[("d1", "A"), "new_dwellings"] == 300 and rows.loc[("d1", "B"), "new_dwellings"] == 0
    assert rows.loc[("d1", "A"), "jobs_bike_30_after"] == 510.0
    assert rows.loc[("d2", "A"), ["status_before", "status_after"]].tolist() == ["omdannelse", "none"]
    assert rows.loc[("d1", "B"), "status_after"] == "none" and not rows.loc[("d1", "B"), "contains_site"]
    assert not rows.loc["d3", "contains_site"].any()
    # Falls in omdannelse areas: d1 1 - 0.625 = 0.375, d2 1 - 5/11 = 0.545, d3 0: d2, d1, d3.
    assert table.groupby("site_id")["rank"].first().to_dict() == {"d1": 2, "d2": 1, "d3": 3}
    assert set(table.columns) == set(sc.DEVELOPMENT_COLUMNS)


def test_the_jobs_objective_ranks_by_the_change_per_resident():
    # Areas X (1,000 residents) and Y (10). s1 adds 10 jobs by bike in X: per resident (10 x 1000) / 1010 = 9.90
    # (the areas' plain mean would be 5); s2 adds 100 in Y: (100 x 10) / 1010 = 0.99 (plain mean 50). The
    # objective ranks by the column the summary writes and the page shows: s1 first.
    table = pd.DataFrame({
        "site_id": ["s1", "s1", "s2", "s2"], "site_name": ["One", "One", "Two", "Two"], "area_id": ["X", "Y"] * 2,
        "area_name": ["X", "Y"] * 2, "contains_site": [True, False, False, True], "residents": [1000.0, 10.0] * 2,
        "status_before": ["none"] * 4, "share_social_family_change": [0.0] * 4,
        "jobs_bike_30_change": [10.0, 0.0, 0.0, 100.0]})
    summary = sc.development_summary(table)
    assert summary["mean_jobs_bike_30_change"].tolist() == pytest.approx([10000 / 1010, 1000 / 1010])
    assert sc.rank_development_sites(table, "max_jobs_bike_30_gain").to_dict() == {"s1": 1, "s2": 2}
    # an area without residents or without a change weighs nothing; a site with no such area has no mean
    table.loc[[0, 1], "residents"] = [np.nan, 0.0]
    assert pd.isna(sc.development_summary(table).loc["s1", "mean_jobs_bike_30_change"])


# --- the stage on tiny real files ---------------------------------------------------------------------

def _write_processed(config, with_sites: bool = True) -> None:
    """The files the stage reads, as GeoParquet: layers after ingest, areas_mix (real mix), areas_access."""
    areas, parcels = _omdannelse_layers()
    schools = gpd.GeoDataFrame({"school_id": ["S1", "S2"], "name": ["Ølby Skole", "Bakke Skole"],
                                "capacity": [40, 100]},
                               geometry=[Point(X0 + 300, Y0 + 500), Point(X0 + 1700, Y0 + 500)], crs=CRS)
    districts = gpd.GeoDataFrame({"district_id": ["D1", "D2"], "school_id": ["S1", "S2"]},
                                 geometry=list(areas.geometry), crs=CRS)
    processed = config.processed_dir
    processed.mkdir(parents=True)
    layers = {"housing_areas": areas, "parcels": parcels, "schools": schools, "school_districts": districts,
              "areas_mix": areas_mix(parcels, areas, _mix_config(config)),
              "areas_access": areas[["area_id", "geometry"]].assign(jobs_bike_30=[500.0, 800.0])}
    if with_sites:
        tenure_columns = {f"new_dwellings_{t}": [0, 0] for t in config["ingest"]["tenures"]}
        tenure_columns["new_dwellings_owner"] = [0, 300]
        layers["candidate_sites"] = gpd.GeoDataFrame(
            {"site_id": ["N1", "DEV1"], "kind": ["school", "development"], "name": ["Nyskolen", "Engen"],
             "capacity": [25, None], "closes_school_id": ["S1", None], **tenure_columns, "new_jobs": [0, 100]},
            geometry=[Point(X0 + 1100, Y0 + 500), box(X0 + 450, Y0 + 150, X0 + 550, Y0 + 250)], crs=CRS)
    for name, frame in layers.items():
        frame.to_parquet(processed / f"{name}.parquet")
    mix.run(config)  # the scenarios read mix's parcels_mix.parquet (parcels with area, district and counts)


def test_run_writes_the_tables_on_tiny_files(tmp_path):
    # No streets: distances are straight line x 1.3. Free transport beyond 1000 m; cycling reach 4 min x 250.
    config = _project(tmp_path, {"access": {"free_transport_dist_m": 1000, "jobs_bike_minutes": 4}})
    _write_processed(config)
    files = {p.name: p for p in sc.run(config)}
    assert list(files) == [sc.SCHOOLS_FILE, sc.CATCHMENTS_FILE, sc.SCHOOL_SUMMARY_FILE, sc.DEVELOPMENT_FILE,
                           sc.DEVELOPMENT_SUMMARY_FILE, sc.RANKING_FILE, "districting_units.parquet",
                           "districting_plans.parquet", "districting_summary.parquet", "districting_schools.parquet",
                           "districting_changes.parquet", "districting_plans.gpkg", "plan_trajectory.parquet", "plan_rehousing.parquet", "plan_projects_effect.parquet"]
    assert pd.read_parquet(files["plan_trajectory.parquet"]).empty  # no plan_projects layer: empty plan tables
    outputs = [files[sc.SCHOOLS_FILE], files[sc.CATCHMENTS_FILE], files[sc.DEVELOPMENT_FILE], files[sc.RANKING_FILE]]

    schools = gpd.read_parquet(outputs[0])
    assert list(schools.columns) == sc.SCHOOL_COLUMNS
    rows = schools.set_index(["scenario_id", "school_id"])
    # Baseline: p1 (30 pupils, area A omdannelse) -> S1, p2 (20) -> S2; D = 1/2 (|1 - 0| + |0 - 1|) = 1.
    assert rows.loc["baseline", "pupils"].to_dict() == {"S1": 30, "S2": 20}
    assert rows.loc[("baseline", "S1"), "dissimilarity"] == pytest.approx(1.0)
    # N1 closes S1, seats 25. Distances x 1.3: p2-S2 200 -> 260, p2-N1 400 -> 520, p1-N1 1000 -> 1300,
    # p1-S2 1600 -> 2080. p2 20 -> S2; p1 25 -> N1 (full), its other 5 -> S2: S2 25, N1 25.
    assert rows.loc["N1", "pupils"].to_dict() == {"S2": 25, "N1": 25}
    assert rows.loc[("N1", "N1"), "mean_dist_m"] == pytest.approx(1300.0)
    assert rows.loc[("N1", "S2"), "p90_dist_m"] == pytest.approx(2080.0)
    # Baseline distances 260 m; in N1 p1's 25 at 1300 m and 5 at 2080 m pass 1000 m: they gain free transport.
    assert rows.loc["N1", "pupils_gain_free_transport"].to_dict() == {"S2": 5, "N1": 25}
    # D in N1: udsat S2 5, N1 25 (G 30); others S2 20, N1 0 (R 20): 1/2 (|5/30 - 1| + 25/30) = 25/30.
    assert rows.loc[("N1", "S2"), "dissimilarity"] == pytest.approx(25 / 30)
    assert rows.loc[("N1", "N1"), "geometry"].equals(Point(X0 + 1100, Y0 + 500))
    assert rows.loc["N1", "rank"].tolist() == [1, 1] and rows.loc["baseline", "rank"].tolist() == [2, 2]
    # no school is over capacity today, so the districts as drawn equal the baseline; they have no rank
    assert rows.loc["districts_as_drawn", "pupils"].to_dict() == {"S1": 30, "S2": 20}
    assert rows.loc["districts_as_drawn", "rank"].isna().all()

    catchments = gpd.read_parquet(outputs[1]).set_index(["scenario_id", "school_id"])
    assert catchments.loc[("N1", "S2"), "geometry"].equals(MultiPoint([(X0 + 100, Y0 + 500), (X0 + 1500, Y0 + 500)]))
    assert catchments.loc[("N1", "S2"), "pupils"] == 25

    development = gpd.read_parquet(outputs[2])
    assert list(development.columns) == sc.DEVELOPMENT_COLUMNS
    dev = development.set_index("area_id")
    # DEV1 lies in A: 300 owner dwellings, share 500/800. Its jobs reach p1 (500 m x 1.3 = 650 <= 1000)
    # but not p2 (1044 m x 1.3 = 1357): A gains 100 jobs, B none.
    assert dev.loc["A", "share_social_family_after"] == pytest.approx(0.625)
    assert dev.loc["A", "gap_add_dwellings_after"] == 450
    assert dev["jobs_bike_30_change"].to_dict() == {"A": 100.0, "B": 0.0}
    assert dev["contains_site"].to_dict() == {"A": True, "B": False}

    ranking = read_json(outputs[3])
    assert ranking["school_sites"]["best"]["scenario_id"] == "N1"
    assert ranking["school_sites"]["best_beats_baseline"] is True
    assert ranking["development"]["best"]["site_id"] == "DEV1"
    assert ranking["development"]["best"]["fall_share_social_family_omdannelse"] == pytest.approx(0.375)
    # the change in jobs by bike per resident: A 100 jobs x 1,200 residents, B 0 x 300: 120,000 / 1,500 = 80
    # (the unweighted mean over the two areas would be 50)
    assert ranking["development"]["best"]["mean_jobs_bike_30_change"] == pytest.approx(80.0)
    summary = pd.read_parquet(files[sc.DEVELOPMENT_SUMMARY_FILE])
    assert list(summary.columns) == sc.DEVELOPMENT_SUMMARY_COLUMNS
    assert summary.iloc[0][["site_id", "area_id", "status_before", "gap_add_dwellings_after"]].tolist() == [
        "DEV1", "A", "omdannelse", 450]
    assert summary.iloc[0]["mean_jobs_bike_30_change"] == pytest.approx(80.0)
    schools_summary = pd.read_parquet(files[sc.SCHOOL_SUMMARY_FILE])
    assert list(schools_summary.columns) == sc.SCHOOL_SUMMARY_COLUMNS
    # ranked scenarios in rank order, the reference row last
    assert schools_summary["scenario_id"].tolist() == ["N1", "baseline", "districts_as_drawn"]
    assert schools_summary["dissimilarity"].tolist() == pytest.approx([25 / 30, 1.0, 1.0])
    assert schools_summary["pupils_gain_free_transport"].tolist() == [30, 0, 0]


def test_run_without_candidate_sites_writes_empty_tables(tmp_path):
    config = _project(tmp_path)
    _write_processed(config, with_sites=False)
    outputs = sc.run(config)
    for path, columns in zip(outputs[:5], (sc.SCHOOL_COLUMNS, sc.CATCHMENT_COLUMNS, sc.SCHOOL_SUMMARY_COLUMNS,
                                           sc.DEVELOPMENT_COLUMNS, sc.DEVELOPMENT_SUMMARY_COLUMNS), strict=True):
        frame = read_table(path)
        assert list(frame.columns) == columns and len(frame) == 0
    assert read_json(outputs[5]) == {"school_sites": None, "development": None}


def test_run_measures_on_the_street_network(tmp_path):
    # One street along y = 500 with a vertex under every parcel and school: network distances are the
    # differences in x (snap 0). p1-N1 1000, p1-S2 1600, p2-N1 400, p2-S2 200 m. Free transport beyond 900 m.
    config = _project(tmp_path, {"access": {"free_transport_dist_m": 900, "jobs_bike_minutes": 4}})
    _write_processed(config)
    xs = [0, 100, 300, 1100, 1500, 1700, 2000]
    streets = gpd.GeoDataFrame({"street_id": ["s1"], "walk": [True], "bike": [True]},
                               geometry=[LineString([(X0 + x, Y0 + 500) for x in xs])], crs=CRS)
    streets.to_parquet(config.processed("streets.parquet"))
    outputs = sc.run(config)
    rows = gpd.read_parquet(outputs[0]).set_index(["scenario_id", "school_id"])
    # Same allocation as straight-line (S2 25, N1 25); N1 holds 25 of p1 at 1000 m, S2 5 of p1 at 1600 m
    # and p2's 20 at 200 m: mean (5 x 1600 + 20 x 200) / 25 = 480.
    assert rows.loc["N1", "pupils"].to_dict() == {"S2": 25, "N1": 25}
    assert rows.loc[("N1", "N1"), "mean_dist_m"] == pytest.approx(1000.0)
    assert rows.loc[("N1", "S2"), "mean_dist_m"] == pytest.approx(480.0)
    assert rows.loc["N1", "pupils_gain_free_transport"].to_dict() == {"S2": 5, "N1": 25}
    # DEV1's point (500, 200) snaps to the vertex at x = 300 (hypot(200, 300) = 360.6 m): p1 lies
    # 360.6 + 200 = 560.6 m away (within 4 min x 250 m), p2 360.6 + 1200 m (beyond).
    dev = gpd.read_parquet(outputs[3]).set_index("area_id")
    assert dev["jobs_bike_30_change"].to_dict() == {"A": 100.0, "B": 0.0}
    ranking = read_json(outputs[5])
    assert ranking["school_sites"]["distance_method"] == "walk network"
    assert ranking["development"]["distance_method"] == "bike network"


def test_a_school_site_named_like_a_school_is_an_input_error(tmp_path):
    config = _project(tmp_path)
    _write_processed(config)
    sites = gpd.read_parquet(config.processed("candidate_sites.parquet"))
    sites.loc[0, "site_id"] = "S2"
    sites.to_parquet(config.processed("candidate_sites.parquet"))
    with pytest.raises(sc.InputError, match=r"column 'site_id'.*Rows: S2"):
        sc.run(config)


def test_sites_outside_every_district_or_area_are_not_ranked(tmp_path, caplog):
    config = _project(tmp_path, {"access": {"free_transport_dist_m": 1000, "jobs_bike_minutes": 4}})
    _write_processed(config)
    sites = gpd.read_parquet(config.processed("candidate_sites.parquet"))
    # far school F1 and far development FAR 15 km east: outside every district and area (and beyond 500 m of one)
    far = sites.iloc[[0, 1]].assign(site_id=["F1", "FAR"], name=["Fjernskolen", "Fjernengen"], closes_school_id=[None, None])
    far = far.set_geometry(far.geometry.translate(15000, 0))
    pd.concat([sites, far], ignore_index=True).to_parquet(config.processed("candidate_sites.parquet"))
    with caplog.at_level("WARNING"):
        outputs = sc.run(config)
    schools = gpd.read_parquet(outputs[0])
    assert set(schools.scenario_id) == {"baseline", "districts_as_drawn", "N1"}  # F1 measured nothing: no rows, no rank
    development = gpd.read_parquet(outputs[3])
    ranks = development.groupby("site_id")["rank"].first()
    assert ranks["DEV1"] == 1 and pd.isna(ranks["FAR"])
    ranking = read_json(outputs[5])
    assert ranking["school_sites"]["best"]["scenario_id"] == "N1"
    assert [r["scenario_id"] for r in ranking["school_sites"]["not_ranked"]] == ["F1"]
    assert "outside every school district" in ranking["school_sites"]["not_ranked"][0]["reason"]
    assert ranking["development"]["best"]["site_id"] == "DEV1"
    assert [s["site_id"] for s in ranking["development"]["sites"]] == ["DEV1"]
    assert [s["site_id"] for s in ranking["development"]["not_ranked"]] == ["FAR"]
    assert "F1" in caplog.text and "FAR" in caplog.text


def test_parcels_beyond_the_network_are_left_out_of_the_scenarios(tmp_path, caplog):
    # One street 100 m south of p2 (X0 + 1500, Y0 + 500), from X0 + 1200 to X0 + 2000. p1 (X0 + 100) lies
    # 1,100 m from it, beyond access.max_snap_m (500 m): its 30 pupils are left out of the school scenarios
    # (the baseline holds p2's 20 only) and its residents out of the change in jobs_bike_30 (area A: null).
    config = _project(tmp_path, {"access": {"free_transport_dist_m": 1000, "jobs_bike_minutes": 4}})
    _write_processed(config)
    gpd.GeoDataFrame({"street_id": ["s1"]}, geometry=[LineString([(X0 + 1200, Y0 + 400), (X0 + 2000, Y0 + 400)])],
                     crs=CRS).to_parquet(config.processed("streets.parquet"))
    with caplog.at_level("WARNING"):
        sc.run(config)
    schools = gpd.read_parquet(config.processed(sc.SCHOOLS_FILE))
    assert schools.loc[schools["scenario_id"] == "baseline", "pupils"].sum() == 20
    assert ("1 parcels lie farther than access.max_snap_m (500 m) from the routable walk network (e.g. parcel_id p1)"
            in caplog.text)
    development = gpd.read_parquet(config.processed(sc.DEVELOPMENT_FILE)).set_index(["site_id", "area_id"])
    assert pd.isna(development.loc[("DEV1", "A"), "jobs_bike_30_change"])
    # p2 is reached but not within 4 min x 250 m = 1,000 m: the site snaps 728 m to the street's west end
    # (X0 + 1200, Y0 + 400), where p2 snaps too (316 m): 1,044 m
    assert development.loc[("DEV1", "B"), "jobs_bike_30_change"] == 0


def test_an_unknown_change_in_an_omdannelse_area_makes_the_fall_unknown_and_ranks_last():
    from pipeline.scenarios.ranking import development_summary, rank_development_sites

    # X lowers its omdannelse area's share by 0.10, Y by an unknown amount (dwellings unknown), Z changes no
    # omdannelse area (fall 0): X 0.10, Z 0, Y unknown (null, never 0), so X ranks 1, Z 2 and Y 3.
    table = pd.DataFrame({
        "site_id": ["X", "Y", "Z"], "site_name": ["x", "y", "z"], "area_id": ["A", "A", "B"],
        "area_name": ["a", "a", "b"], "contains_site": [True, True, True],
        "status_before": ["omdannelse", "omdannelse", "none"], "status_after": ["omdannelse", None, "none"],
        "share_social_family_change": [-0.10, None, 0.0], "jobs_bike_30_change": [1.0, 1.0, 1.0],
        "residents": [100, 100, 100]})
    summary = development_summary(table)
    assert summary["fall_share_social_family_omdannelse"].tolist()[0] == pytest.approx(0.10)
    assert pd.isna(summary.loc["Y", "fall_share_social_family_omdannelse"])
    assert summary.loc["Z", "fall_share_social_family_omdannelse"] == 0
    assert rank_development_sites(table, "max_fall_share_social_family_omdannelse").to_dict() == {"X": 1, "Z": 2, "Y": 3}


def _transit_project(tmp_path, transit: dict):
    """The tiny files with one street along y = 500 (vertices under the parcels, stops and sites), a line from
    stop S1 (x = 200) to S2 (x = 1900) leaving S1 every 10 minutes on the ten (06:00-08:50), 4 minutes to S2,
    and two development sites in B: DEV1 at S2 with 40 new jobs, DEV2 at x = 1400, off the line, with 10."""
    config = _project(tmp_path, {"access": {"jobs_bike_minutes": 4}, "transit": transit})
    _write_processed(config)
    processed = config.processed_dir
    gpd.GeoDataFrame({"street_id": ["s1"], "walk": [True], "bike": [True]}, geometry=[LineString(
        [(X0 + x, Y0 + 500) for x in (0, 100, 200, 1400, 1500, 1900, 2000)])], crs=CRS).to_parquet(
        processed / "streets.parquet")
    sites = gpd.read_parquet(processed / "candidate_sites.parquet")
    dev = sites[sites["site_id"] == "DEV1"]
    sites = pd.concat([sites[sites["site_id"] != "DEV1"], dev.assign(new_jobs=40, geometry=[Point(X0 + 1900, Y0 + 500)]),
                       dev.assign(site_id="DEV2", name="Mosen", new_jobs=10, geometry=[Point(X0 + 1400, Y0 + 500)])],
                      ignore_index=True)
    gpd.GeoDataFrame(sites, geometry="geometry", crs=CRS).to_parquet(processed / "candidate_sites.parquet")
    access = gpd.read_parquet(processed / "areas_access.parquet")
    access.assign(jobs_transit_45=[300.0, 200.0]).to_parquet(processed / "areas_access.parquet")
    gpd.GeoDataFrame({"stop_id": ["S1", "S2"], "name": ["Øst", "Vest"]},
                     geometry=[Point(X0 + 200, Y0 + 500), Point(X0 + 1900, Y0 + 500)], crs=CRS).to_parquet(
        processed / "transit_stops.parquet")
    departures = 6 * 3600.0 + 600.0 * np.arange(18)
    pd.DataFrame({"trip_id": np.repeat([f"T{k}" for k in range(18)], 2), "stop": np.tile([0, 1], 18),
                  "arrival_s": np.ravel(np.c_[departures, departures + 240]),
                  "departure_s": np.ravel(np.c_[departures, departures + 240])}).to_parquet(
        processed / "transit_stop_times.parquet")
    return config


def test_the_change_in_jobs_by_transit_beside_the_bike_figure(tmp_path):
    # Walking 80 m/min, transit.max_minutes 15 (1,200 m on foot), cycling 4 minutes (1,000 m).
    # p1 (x = 100, area A) walks 100 m to S1 (1.25 min) and boards from 2.25 min after leaving (1 minute's
    # slack): leaving at 07:00 + m, r = m mod 10, it takes the trip of the next ten, 10 - r minutes after leaving
    # for r <= 7, 20 - r for r = 8, 9, then 4 minutes' ride to S2: r = 0..9 give 14 13 12 11 10 9 8 7 16 15;
    # each six times in the hour, the 30th smallest (the median) is 11 minutes. DEV1 lies at S2: 11 <= 15,
    # so A gains DEV1's 40 jobs by transit, though on foot (1,800 m, 22.5 min) and by bike (1,800 m > 1,000 m)
    # they are out of reach. DEV2 is 500 m back from S2: 11 + 6.25 = 17.25 minutes, and 1,300 m on foot
    # (16.25 min): A gains none of its jobs. p2 (x = 1500, area B) walks to both sites (400 m, 5 min; 100 m,
    # 1.25 min) and reaches no stop of S1 (1,300 m): B gains 40 and 10, by transit and by bike alike.
    config = _transit_project(tmp_path, {"max_minutes": 15})
    sc.run(config)
    development = gpd.read_parquet(config.processed(sc.DEVELOPMENT_FILE)).set_index(["site_id", "area_id"])
    transit = development["jobs_transit_45_change"]
    assert transit.to_dict() == {("DEV1", "A"): 40.0, ("DEV1", "B"): 40.0, ("DEV2", "A"): 0.0, ("DEV2", "B"): 10.0}
    assert development["jobs_bike_30_change"].to_dict() == {
        ("DEV1", "A"): 0.0, ("DEV1", "B"): 40.0, ("DEV2", "A"): 0.0, ("DEV2", "B"): 10.0}
    assert development["jobs_transit_45_after"].to_dict() == {
        ("DEV1", "A"): 340.0, ("DEV1", "B"): 240.0, ("DEV2", "A"): 300.0, ("DEV2", "B"): 210.0}
    # per site and resident (A 1,200 residents, B 300): DEV1 40; DEV2 (0 x 1200 + 10 x 300) / 1500 = 2
    summary = pd.read_parquet(config.processed(sc.DEVELOPMENT_SUMMARY_FILE)).set_index("site_id")
    assert summary["mean_jobs_transit_45_change"].to_dict() == {"DEV1": 40.0, "DEV2": 2.0}
    # the median counts, not the best departure: within 10 minutes A gains nothing (its median is 11)
    sc.run(config.with_overrides({"transit": {"max_minutes": 10}}))
    development = gpd.read_parquet(config.processed(sc.DEVELOPMENT_FILE)).set_index(["site_id", "area_id"])
    assert development.loc[("DEV1", "A"), "jobs_transit_45_change"] == 0.0
    assert development.loc[("DEV1", "B"), "jobs_transit_45_change"] == 40.0
    # without a GTFS feed the change by transit is unknown (null), never 0; the bike figure stays
    config.processed("transit_stop_times.parquet").unlink()
    sc.run(config)
    development = gpd.read_parquet(config.processed(sc.DEVELOPMENT_FILE))
    assert development["jobs_transit_45_change"].isna().all() and development["jobs_transit_45_after"].isna().all()
    assert development["jobs_bike_30_change"].notna().all()
    assert pd.read_parquet(config.processed(sc.DEVELOPMENT_SUMMARY_FILE))["mean_jobs_transit_45_change"].isna().all()
