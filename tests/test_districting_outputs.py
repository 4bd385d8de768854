"""School districts drawn for social mix (CONTRACT 6b), continued: parcels as the units where there are no streets
and no grid cells (their neighbours across shared edges and streets, worked out by hand), and the tables the pages
place: each school's mix before and after each plan, and the housing areas' pupils changing school."""

from __future__ import annotations

import itertools
from collections import deque

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml
from shapely.geometry import Point, box
from test_districting import CRS, X0, Y0, _grid_index, _project, _write_processed

from pipeline import mix
from pipeline import scenarios as sc
from pipeline.core.config import load_config
from pipeline.core.errors import InputError
from pipeline.mix import areas_mix
from pipeline.scenarios.districting_units import bridge_islands, facing_edges, parcel_edges

# --- the hand parcels ---------------------------------------------------------------------------------------
# Seven parcels (m from X0, Y0), no streets layer: a street 10 m wide along y 30..40, a cross street 10 m wide
# along x 80..90, and P7 alone 170 m east of P3.
#
#     P4 [0,40]  P5 [40,80]  |  P6 [90,130]          y 40..70
#     ----------- street ----+-------------
#     P1 [0,40]  P2 [40,80]  |  P3 [90,130]   P7 [300,340]   y 0..30
#
# Neighbours by hand: P1-P2 and P4-P5 share a 30 m edge; P1-P4, P2-P5 and P3-P6 face each other across the street
# along 40 m; P2-P3 and P5-P6 across the cross street along 30 m. Not: P1-P5 and P2-P4 (across the street, but
# meeting only at a corner: no frontage), P2-P6 and P3-P5 (diagonally across the crossing, 14.1 m apart, facing
# along 3.7 m < parcel_frontage_m 5). P7 lies beyond parcel_gap_m (20 m) of all: the bridge joins it to P3 (170 m;
# P6 is 170.3 m away).
SPANS = [(0, 0, 40, 30), (40, 0, 80, 30), (90, 0, 130, 30), (0, 40, 40, 70), (40, 40, 80, 70),
         (90, 40, 130, 70), (300, 0, 340, 30)]
HAND_EDGES = [(1, 2), (1, 4), (2, 3), (2, 5), (3, 6), (4, 5), (5, 6)]
BRIDGE = (3, 7)
DIAGONALS = [(1, 5), (2, 4), (2, 6), (3, 5)]


def _parcel_boxes() -> gpd.GeoSeries:
    return gpd.GeoSeries([box(X0 + a, Y0 + b, X0 + c, Y0 + d) for a, b, c, d in SPANS], crs=CRS)


def _pairs(edges: np.ndarray) -> list[tuple[int, int]]:
    """Edges between unit positions as sorted pairs of parcel numbers (P1 = 1)."""
    return sorted((int(a) + 1, int(b) + 1) for a, b in edges)


def test_parcels_are_neighbours_across_a_shared_edge_or_a_street_they_face():
    parcels = _parcel_boxes()
    edges = parcel_edges(parcels, gap_m=20.0, frontage_m=5.0)
    assert _pairs(edges) == HAND_EDGES
    assert _pairs(bridge_islands(parcels, edges)) == sorted([*HAND_EDGES, BRIDGE])
    # the diagonals across the crossing face along about 3.7 m: a frontage of 3 m lets them in, the corner-only
    # pairs across the street (no frontage at all) stay out; a gap of 9 m (narrower than the streets) keeps none
    assert set(DIAGONALS) & set(_pairs(facing_edges(parcels, 20.0, 3.0))) == {(2, 6), (3, 5)}
    assert _pairs(facing_edges(parcels, 9.0, 5.0)) == []
    # four parcels meeting at one point, no street: the two diagonal pairs touch at a corner only
    square = gpd.GeoSeries([box(X0 + x, Y0 + y, X0 + x + 20, Y0 + y + 20) for y in (0, 20) for x in (0, 20)], crs=CRS)
    assert _pairs(parcel_edges(square, gap_m=20.0, frontage_m=5.0)) == [(1, 2), (1, 3), (2, 4), (3, 4)]


# The stage over the hand parcels: 10 pupils on each parcel (P5's on Q, a parcel drawn as a point inside P5, so P5
# holds Q's pupils); the group (omdannelse area A) are the 10 pupils of P4 and the 10 of Q. Schools S1 (capacity 50)
# on P1 and S2 (30) on P6, tolerance 0; today D1 = P1, P2, P4, P5 (S1: 40 pupils, 20 of the group) and
# D2 = P3, P6, P7 (S2: 30, none). G = 20, R = 50; with two schools D = |g_1/G - r_1/R|. The plans whose districts
# are contiguous under the hand edges and within capacity, S1 holding:
#   {1,2,3,4,7}: |10/20 - 40/50| = 0.3 (the optimum)    {1,2,4,5} (today): |20/20 - 20/50| = 0.6
#   {1,2,3,7}: |0 - 40/50| = 0.8
# Were the corner-only and diagonal pairs neighbours, S1 = {1,3,5,7} (|10/20 - 30/50| = 0.1) would win.
GROUP_OF = {4: 10, 5: 10}


def _write_parcel_project(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"root": ".", "districting": {
        "chain_steps": 60, "grid_size_m": None, "capacity_tolerance": 0.0}}), encoding="utf-8")
    config = load_config(path)
    ids = [f"P{i}" for i in range(1, 8)] + ["Q"]
    in_a = [False, False, False, True, False, False, False, True]
    geoms = list(_parcel_boxes()) + [Point(X0 + 60, Y0 + 55)]
    parcels = gpd.GeoDataFrame({
        "parcel_id": ids, "area_id": ["A" if a else "B" for a in in_a],
        "dwellings_social_family": [500 if i == "P4" else 0 for i in ids], "dwellings_social_other": 0,
        "dwellings_owner": [0 if a else 20 for a in in_a], "dwellings_private_rental": 0, "dwellings_cooperative": 0,
        "dwellings_other": 0,
        "residents": [1200 if i == "P4" else 30 for i in ids],
        "residents_18_64": [600 if i == "P4" else 15 for i in ids],
        "outside_work_edu_18_64": [300 if i == "P4" else 1 for i in ids],
        "residents_30_59": [500 if i == "P4" else 10 for i in ids],
        "basic_edu_only_30_59": [350 if i == "P4" else 1 for i in ids],
        "non_western": [700 if i == "P4" else 1 for i in ids],
        "children_6_16": [0 if i == "P5" else 10 for i in ids],
    }, geometry=geoms, crs=CRS)
    whole = box(X0 - 5, Y0 - 5, X0 + 345, Y0 + 75)
    areas = gpd.GeoDataFrame({"area_id": ["A", "B"], "name": ["Ågården", "Bøgely"], "area_type": ["social", "private"],
                              "years_listed": [4, 0]}, geometry=[whole, whole], crs=CRS)
    schools = gpd.GeoDataFrame({"school_id": ["S1", "S2"], "name": ["Ølby Skole", "Bakke Skole"], "capacity": [50, 30]},
                               geometry=[Point(X0 + 20, Y0 + 15), Point(X0 + 110, Y0 + 55)], crs=CRS)
    west = box(X0 - 5, Y0 - 5, X0 + 85, Y0 + 75)
    districts = gpd.GeoDataFrame({"district_id": ["D1", "D2"], "school_id": ["S1", "S2"]},
                                 geometry=[west, whole.difference(west)], crs=CRS)
    processed = config.processed_dir
    processed.mkdir(parents=True)
    layers = {"housing_areas": areas, "parcels": parcels, "schools": schools, "school_districts": districts,
              "areas_mix": areas_mix(parcels, areas, {**config["mix"], "tenures": list(config["ingest"]["tenures"])}),
              "areas_access": areas[["area_id", "geometry"]].assign(jobs_bike_30=[500.0, 800.0])}
    for name, frame in layers.items():
        frame.to_parquet(processed / f"{name}.parquet")
    mix.run(config)
    return config


def _connected(units: set[int], edges) -> bool:
    """Breadth-first search: whether the parcels (numbers) form one piece over the edges."""
    seen, queue = {min(units)}, deque([min(units)])
    while queue:
        u = queue.popleft()
        for a, b in edges:
            for x, y in ((a, b), (b, a)):
                if x == u and y in units and y not in seen:
                    seen.add(y)
                    queue.append(y)
    return seen == units


def test_parcels_are_the_units_without_streets_or_grid_and_proposals_keep_them_contiguous(tmp_path):
    config = _write_parcel_project(tmp_path)
    assert pd.read_parquet(config.processed("areas_mix.parquet")).set_index("area_id").loc["A", "status"] == "omdannelse"
    sc.run(config)
    units = gpd.read_parquet(config.processed("districting_units.parquet")).set_index("unit_id")
    # the polygon parcels are the units, by their parcel ids; Q (a point) counts in P5
    assert sorted(units.index) == [f"P{i}" for i in range(1, 8)]
    assert units["pupils"].to_dict() == {f"P{i}": 10.0 for i in range(1, 8)}
    assert units["group_pupils"].to_dict() == {f"P{i}": float(GROUP_OF.get(i, 0)) for i in range(1, 8)}
    assert units["school_id"].to_dict() == {"P1": "S1", "P2": "S1", "P4": "S1", "P5": "S1", "P3": "S2", "P6": "S2",
                                            "P7": "S2"}
    summary = pd.read_parquet(config.processed("districting_summary.parquet")).set_index("plan_id")
    plans = pd.read_parquet(config.processed("districting_plans.parquet"))
    assert summary.loc["current", "d_index"] == pytest.approx(0.6)
    edges = [*HAND_EDGES, BRIDGE]
    feasible = []
    for bits in itertools.product(("S1", "S2"), repeat=5):  # P2, P3, P4, P5, P7; P1 stays with S1, P6 with S2
        school = dict(zip((2, 3, 4, 5, 7), bits, strict=True)) | {1: "S1", 6: "S2"}
        parts = [{u for u, s in school.items() if s == k} for k in ("S1", "S2")]
        if all(_connected(p, edges) for p in parts) and len(parts[0]) <= 5 and len(parts[1]) <= 3:
            feasible.append(sorted(parts[0]))
    assert sorted(feasible) == [[1, 2, 3, 4, 7], [1, 2, 3, 7], [1, 2, 4, 5]]
    proposals = summary.drop(index="current")
    assert len(proposals) and proposals["proposal"].all()
    for plan_id, rows in plans[plans["plan_id"].isin(proposals.index)].groupby("plan_id"):
        s1 = sorted(int(u[1:]) for u in rows.loc[rows["school_id"] == "S1", "unit_id"])
        assert s1 in feasible, (plan_id, s1)  # contiguous under the hand edges, within capacity
    best = proposals.sort_values("d_index").iloc[0]
    assert best["d_index"] == pytest.approx(0.3) and best["engine"] == "exact" and best["proved_optimal"]
    rows = plans[plans["plan_id"] == best.name]
    assert sorted(rows.loc[rows["school_id"] == "S1", "unit_id"]) == ["P1", "P2", "P3", "P4", "P7"]
    # P3 and P7 (area B, 20 pupils) move from S2 to S1; P5 with Q's 10 group pupils (area A) from S1 to S2
    changes = pd.read_parquet(config.processed("districting_changes.parquet"))
    moved = changes[changes["plan_id"] == best.name].drop(columns=["plan_id", "site_id"])
    assert moved.to_dict("records") == [
        {"area_id": "A", "from_school_id": "S1", "to_school_id": "S2", "pupils": 10.0, "group_pupils": 10.0},
        {"area_id": "B", "from_school_id": "S2", "to_school_id": "S1", "pupils": 20.0, "group_pupils": 0.0}]
    assert best["pupils_moved"] == 30
    schools = pd.read_parquet(config.processed("districting_schools.parquet"))
    mixes = schools[schools["plan_id"] == best.name].set_index("school_id")
    assert mixes[["capacity", "pupils_before", "group_pupils_before", "group_share_before", "pupils_after",
                  "group_pupils_after", "group_share_after"]].to_dict("index") == {
        "S1": {"capacity": 50.0, "pupils_before": 40.0, "group_pupils_before": 20.0, "group_share_before": 0.5,
               "pupils_after": 50.0, "group_pupils_after": 10.0, "group_share_after": 0.2},
        "S2": {"capacity": 30.0, "pupils_before": 30.0, "group_pupils_before": 0.0, "group_share_before": 0.0,
               "pupils_after": 20.0, "group_pupils_after": 10.0, "group_share_after": 0.5}}


def test_grid_units_without_a_grid_size_is_a_config_error(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"root": ".", "districting": {"units": "grid", "grid_size_m": None}}),
                    encoding="utf-8")
    with pytest.raises(InputError, match="grid_size_m"):
        load_config(path)


# --- each school's mix before and after, and the pupils changing school, on the hand grid of test_districting ---
# Nine blocks of 10 pupils; group pupils 4 4 0 / 4 2 0 / 1 2 2 (blocks 0..8, row by row); the group's pupils are
# parcels of area A, the others parcels of area B. Today S1 = {0,1,3,4}: 40 pupils, 14 of the group (0.35); S2 =
# {2,5,6,7,8}: 50, 5 (0.1). The stage's walk limit (2,500 m) binds no block, so the optimum (by enumeration:
# test_districting) is S1 = {0,1,2,5}, D = |8/19 - 32/71| = 0.0297: blocks 2 and 5 (10 pupils of B each) move from
# S2 to S1, blocks 3 (4 of A, 6 of B) and 4 (2 of A, 8 of B) from S1 to S2: S1 40 pupils, 8 of the group (0.2);
# S2 50, 11 (0.22). With DEV1 on S1's ground (capacity 40 x 0.75 = 30) the optimum is S1 = {0,1,2}: block 2 moves
# to S1, blocks 3 and 4 to S2: S1 30 pupils, 8 of the group; S2 60, 11.


def _site(config) -> None:
    tenures = {f"new_dwellings_{t}": [0] for t in config["ingest"]["tenures"]}
    gpd.GeoDataFrame({"site_id": ["DEV1"], "kind": ["development"], "name": ["Skoleengen"], "capacity": [None],
                      "closes_school_id": [None], **tenures, "new_jobs": [0], "on_school_id": ["S1"]},
                     geometry=[box(X0 + 20, Y0 + 20, X0 + 40, Y0 + 40)], crs=CRS).to_parquet(
        config.processed("candidate_sites.parquet"))


def test_each_schools_mix_before_and_after_and_the_areas_changing_school(tmp_path):
    config = _project(tmp_path)
    _write_processed(config)
    _site(config)
    sc.run(config)
    summary = pd.read_parquet(config.processed("districting_summary.parquet")).set_index("plan_id")
    plans = pd.read_parquet(config.processed("districting_plans.parquet"))
    schools = pd.read_parquet(config.processed("districting_schools.parquet"))
    changes = pd.read_parquet(config.processed("districting_changes.parquet"))
    units = gpd.read_parquet(config.processed("districting_units.parquet"))
    block = dict(zip(units["unit_id"], _grid_index(units), strict=True))
    assert set(schools["plan_id"]) == set(summary.index) - {"no_proposal", "DEV1_no_proposal"}
    figures = ["pupils_before", "group_pupils_before", "group_share_before", "pupils_after", "group_pupils_after",
               "group_share_after"]

    def mix_of(plan_id):
        return schools[schools["plan_id"] == plan_id].set_index("school_id")[["capacity", *figures]].to_dict("index")

    def moved_of(plan_id):
        rows = changes[changes["plan_id"] == plan_id]
        return rows.drop(columns=["plan_id", "site_id"]).to_dict("records")

    today = {"S1": [40.0, 14.0, 0.35], "S2": [50.0, 5.0, 0.1]}
    assert mix_of("current") == {s: dict(zip(["capacity", *figures], [c, *v, *v], strict=True))
                                 for (s, v), c in zip(today.items(), (40.0, 60.0), strict=True)}
    assert moved_of("current") == []
    best = summary[summary["site_id"].isna()].drop(index="current").sort_values("d_index").index[0]
    rows = plans[plans["plan_id"] == best]
    assert summary.loc[best, "d_index"] == pytest.approx(32 / 71 - 8 / 19)
    assert sorted(block[u] for u in rows.loc[rows["moved"], "unit_id"]) == [2, 3, 4, 5]
    assert mix_of(best) == {"S1": dict(zip(["capacity", *figures], [40.0, 40.0, 14.0, 0.35, 40.0, 8.0, 0.2],
                                           strict=True)),
                            "S2": dict(zip(["capacity", *figures], [60.0, 50.0, 5.0, 0.1, 50.0, 11.0, 0.22],
                                           strict=True))}
    assert moved_of(best) == [
        {"area_id": "A", "from_school_id": "S1", "to_school_id": "S2", "pupils": 6.0, "group_pupils": 6.0},
        {"area_id": "B", "from_school_id": "S1", "to_school_id": "S2", "pupils": 14.0, "group_pupils": 0.0},
        {"area_id": "B", "from_school_id": "S2", "to_school_id": "S1", "pupils": 20.0, "group_pupils": 0.0}]
    # under DEV1 (S1's capacity cut to 30): before is today's districts under the cut capacity
    site = summary[summary["site_id"] == "DEV1"].drop(index="DEV1_current").sort_values("d_index").index[0]
    rows = plans[plans["plan_id"] == site]
    assert sorted(block[u] for u in rows.loc[rows["school_id"] == "S1", "unit_id"]) == [0, 1, 2]
    assert mix_of(site) == {"S1": dict(zip(["capacity", *figures], [30.0, 40.0, 14.0, 0.35, 30.0, 8.0, 8 / 30],
                                           strict=True)),
                            "S2": dict(zip(["capacity", *figures], [60.0, 50.0, 5.0, 0.1, 60.0, 11.0, 11 / 60],
                                           strict=True))}
    assert moved_of(site) == [
        {"area_id": "A", "from_school_id": "S1", "to_school_id": "S2", "pupils": 6.0, "group_pupils": 6.0},
        {"area_id": "B", "from_school_id": "S1", "to_school_id": "S2", "pupils": 14.0, "group_pupils": 0.0},
        {"area_id": "B", "from_school_id": "S2", "to_school_id": "S1", "pupils": 10.0, "group_pupils": 0.0}]
    assert set(changes.loc[changes["plan_id"].str.startswith("DEV1"), "site_id"]) == {"DEV1"}
    # every plan: totals kept (pupils before = after = 90), the after figures are the plan table's sums, the
    # changes sum to the summary's pupils moved and name the plan table's moved units' schools
    current = plans[plans["plan_id"] == "current"].set_index("unit_id")["school_id"]
    for plan_id, mixes in schools.groupby("plan_id"):
        assert mixes["pupils_before"].sum() == mixes["pupils_after"].sum() == 90
        rows = plans[plans["plan_id"] == plan_id]
        sums = rows.groupby("school_id")[["pupils", "group_pupils"]].sum()
        after = mixes.set_index("school_id")
        assert after["pupils_after"].to_dict() == sums["pupils"].to_dict()
        assert after["group_pupils_after"].to_dict() == sums["group_pupils"].to_dict()
        assert changes.loc[changes["plan_id"] == plan_id, "pupils"].sum() == pytest.approx(
            summary.loc[plan_id, "pupils_moved"])
        assert (rows.set_index("unit_id")["from_school_id"] == current).all()
        pairs = set(map(tuple, rows.loc[rows["moved"], ["from_school_id", "school_id"]].to_numpy()))
        assert set(map(tuple, changes.loc[changes["plan_id"] == plan_id,
                                          ["from_school_id", "to_school_id"]].to_numpy())) == pairs
