"""School districts drawn for social mix (CONTRACT 6b): the exact method and the chain on a hand grid whose optimum
is known by enumeration, constraints checked independently on every plan, and the stage on real files."""

from __future__ import annotations

import itertools
import re
from collections import deque
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import yaml
from shapely.geometry import LineString, Point, box

from pipeline import mix
from pipeline import scenarios as sc
from pipeline.core.config import load_config
from pipeline.mix import areas_mix
from pipeline.scenarios.districting_chain import contiguous_start, run_chain
from pipeline.scenarios.districting_exact import binding_constraint, solve_exact
from pipeline.scenarios.districting_plans import DistrictingProblem, lexicographic_order, plan_figures
from pipeline.scenarios.districting_polish import polish
from pipeline.scenarios.districting_units import shared_edges, street_blocks

CRS = "EPSG:25832"
X0, Y0 = 700000.0, 6170000.0

# --- the hand grid ---------------------------------------------------------------------------------------
# 3 x 3 blocks of 10 pupils, 100 m apart; school A (capacity 40) in block 0, B (capacity 60) in block 8; tolerance
# 10 % (A <= 44, B <= 66 pupils); walk limit 210 m, so blocks 1 and 3 (223.6 m from B) and 5 and 7 (223.6 m from
# A) may not change school.
#
#     0 1 2        today A = {0,1,3,4}, B = {2,5,6,7,8}
#     3 4 5        group pupils: 4 4 0 / 4 2 0 / 1 2 2  (G = 19, R = 71)
#     6 7 8
#
# A keeps 0, 1, 3 (walk rule) and may take at most one more block (capacity): 2, 4 or 6, or none. With two
# schools D = |g_A/G - r_A/R|:
#   A={0,1,3}: 12/19 - 18/71 = 0.37806      A={0,1,3,4} (today): 14/19 - 26/71 = 0.37065
#   A={0,1,2,3}: 12/19 - 28/71 = 320/1349 = 0.23721 (the optimum)      A={0,1,3,6}: 13/19 - 27/71 = 0.30393
XY = np.array([(100.0 * (i % 3), 100.0 * (i // 3)) for i in range(9)])
EDGES = np.array([(i, i + 1) for i in range(9) if i % 3 < 2] + [(i, i + 3) for i in range(6)])
PUPILS = [10] * 9
GROUP = [4, 4, 0, 4, 2, 0, 1, 2, 2]
CURRENT = [0, 0, 1, 0, 0, 1, 1, 1, 1]
OPTIMUM = [0, 0, 0, 0, 1, 1, 1, 1, 1]


def grid_problem(*, capacity=(40, 60), tolerance=0.1, max_walk_m=210.0, current=CURRENT) -> DistrictingProblem:
    roots = np.array([0, 8])
    dist = np.hypot(XY[:, None, 0] - XY[roots][None, :, 0], XY[:, None, 1] - XY[roots][None, :, 1])
    return DistrictingProblem(
        unit_ids=np.array([f"b{i}" for i in range(9)]), pupils=np.asarray(PUPILS, float),
        group=np.asarray(GROUP, float), edges=EDGES, school_ids=np.array(["A", "B"]),
        capacity=np.asarray(capacity, float), root=roots, dist_m=dist, current=np.asarray(current),
        capacity_tolerance=tolerance, max_walk_m=max_walk_m)


def connected(units: set[int], edges=EDGES) -> bool:
    """Breadth-first search over the grid's edges: whether the units form one piece."""
    nbrs = {u: set() for u in units}
    for a, b in edges:
        if a in units and b in units:
            nbrs[a].add(b)
            nbrs[b].add(a)
    start = next(iter(units))
    seen, queue = {start}, deque([start])
    while queue:
        for v in nbrs[queue.popleft()] - seen:
            seen.add(v)
            queue.append(v)
    return seen == units


def independent_d(assign, group=GROUP, pupils=PUPILS, schools=(0, 1)) -> float:
    g = [sum(group[u] for u in range(len(assign)) if assign[u] == s) for s in schools]
    r = [sum(pupils[u] - group[u] for u in range(len(assign)) if assign[u] == s) for s in schools]
    return 0.5 * sum(abs(g[i] / sum(group) - r[i] / (sum(pupils) - sum(group))) for i in range(len(schools)))


def enumerated(problem: DistrictingProblem) -> pd.DataFrame:
    """Every plan of the 9 blocks with the schools' blocks fixed, its constraints checked by hand (BFS, sums,
    distances), in objective order (D, mean distance, pupils moved)."""
    rows = []
    bound = np.floor(problem.capacity * (1 + problem.capacity_tolerance) + 1e-9)
    for bits in itertools.product((0, 1), repeat=7):
        assign = (0, *bits, 1)
        ok = all(connected({u for u in range(9) if assign[u] == s}) for s in (0, 1))
        ok &= all(sum(PUPILS[u] for u in range(9) if assign[u] == s) <= bound[s] for s in (0, 1))
        ok &= all(problem.dist_m[u, assign[u]] <= problem.max_walk_m or assign[u] == CURRENT[u] for u in range(9))
        f = plan_figures(problem, np.array(assign))
        rows.append({**f, "ok": ok, "assign": "".join(map(str, assign))})
    frame = pd.DataFrame(rows)
    frame = frame[frame["ok"]].reset_index(drop=True)
    return frame.iloc[lexicographic_order(frame)].reset_index(drop=True)


def test_enumeration_gives_the_hand_optimum():
    plans = enumerated(grid_problem())
    assert sorted(plans["assign"]) == ["000011111", "001001111", "001011011", "001011111"]
    assert plans["assign"].iloc[0] == "000011111"
    assert plans["d_index"].tolist() == pytest.approx([320 / 1349, 13 / 19 - 27 / 71, 14 / 19 - 26 / 71,
                                                       12 / 19 - 18 / 71])
    # the figures' own constraint checks agree with the hand checks on all 128 plans
    assert plans["proposal"].all()


def test_exact_method_finds_the_enumerated_optimum():
    result = solve_exact(grid_problem())
    assert result.proved_optimal
    assert result.assign.tolist() == OPTIMUM


@pytest.mark.parametrize("kw", [{"max_walk_m": 1000.0}, {"capacity": (80, 80)}, {"tolerance": 0.0}])
def test_exact_method_matches_enumeration_when_a_constraint_moves(kw):
    problem = grid_problem(**kw)
    assert "".join(map(str, solve_exact(problem).assign)) == enumerated(problem)["assign"].iloc[0]


def test_no_plan_at_all_names_the_binding_constraint():
    # 90 pupils, 44 seats: no plan fits; without the capacity limit one does
    problem = grid_problem(capacity=(20, 20))
    assert len(enumerated(problem)) == 0
    assert solve_exact(problem).assign is None
    assert binding_constraint(problem) == "capacity"


def _check_plan(plan: np.ndarray, problem: DistrictingProblem) -> None:
    bound = np.floor(problem.capacity * (1 + problem.capacity_tolerance) + 1e-9)
    for s in (0, 1):
        units = {u for u in range(9) if plan[u] == s}
        assert problem.root[s] in units and connected(units)
        assert sum(PUPILS[u] for u in units) <= bound[s]
    for u in range(9):
        assert problem.dist_m[u, plan[u]] <= problem.max_walk_m or plan[u] == CURRENT[u]


def test_chain_reaches_the_optimum_and_never_breaks_a_constraint():
    problem = grid_problem()
    run = run_chain(problem, steps=200, seed=7, start=np.array(CURRENT))
    assert any(plan.tolist() == OPTIMUM for plan in run.plans)
    assert len(run.plans) == 4  # every feasible plan, and nothing else
    for plan, figures in zip(run.plans, run.figures, strict=True):
        _check_plan(plan, problem)
        assert figures["d_index"] == pytest.approx(independent_d(plan), abs=1e-12)


def test_chain_repairs_a_start_over_capacity_and_then_keeps_every_constraint():
    # today B holds 6 blocks; with capacities 50/50 (bounds 55) the start is 5 pupils over at B
    today = [0, 0, 1, 0, 1, 1, 1, 1, 1]
    problem = grid_problem(capacity=(50, 50), current=today, max_walk_m=1000.0)
    run = run_chain(problem, steps=100, seed=3, start=np.array(today))
    assert run.repaired and not run.figures[0]["proposal"]
    first = next(i for i, f in enumerate(run.figures) if f["proposal"])
    assert all(f["proposal"] for f in run.figures[first:])


def test_an_enclave_joins_a_neighbouring_district_so_the_start_is_contiguous():
    # block 4 given to A but cut off from it (1 and 3 are B's): it joins B, the only district it touches
    enclave = np.array([0, 1, 1, 1, 0, 1, 1, 1, 1])
    start = contiguous_start(grid_problem(max_walk_m=1000.0), enclave)
    assert start.tolist() == [0, 1, 1, 1, 1, 1, 1, 1, 1]


def test_same_seed_same_plans():
    a = run_chain(grid_problem(), steps=60, seed=11, start=np.array(CURRENT))
    b = run_chain(grid_problem(), steps=60, seed=11, start=np.array(CURRENT))
    assert [p.tolist() for p in a.plans] == [p.tolist() for p in b.plans]



def test_polish_moves_the_best_block_and_stops_at_a_local_optimum():
    # from A = {0,1,3} (D 0.37806): block 2 to A gives 0.23721, 6 gives 0.30393, 4 gives 0.37065; 2 moves, and
    # then A is full (40 pupils + 10 > 44)
    assert polish(grid_problem(), np.array([0, 0, 1, 0, 1, 1, 1, 1, 1])).tolist() == OPTIMUM
    # today's plan: no single move keeps capacity and lowers D (4 out: 0.37806; 2 or 6 in: A over 44)
    assert polish(grid_problem(), np.array(CURRENT)).tolist() == CURRENT
    # a plan that breaks a constraint (A = 6 blocks, 60 pupils) is returned as it is
    over = [0, 0, 0, 0, 0, 0, 1, 1, 1]
    assert polish(grid_problem(max_walk_m=1000.0), np.array(over)).tolist() == over


def test_polish_keeps_every_constraint_on_a_larger_grid():
    # 6 x 6 blocks, 3 schools: each move checked by hand afterwards (BFS, capacity, walk) and D never rises
    rng = np.random.default_rng(5)
    n, w = 36, 6
    xy = np.c_[np.arange(n) % w, np.arange(n) // w] * 100.0
    edges = np.array([(i, i + 1) for i in range(n) if i % w < w - 1] + [(i, i + w) for i in range(n - w)])
    roots = np.array([0, 20, 35])
    dist = np.hypot(*(xy[:, None, :] - xy[roots][None, :, :]).transpose(2, 0, 1))
    current = np.argmin(dist, axis=1)
    pupils = rng.integers(1, 20, n).astype(float)
    group = np.floor(pupils * (np.arange(n) % w < 3) * 0.8)
    problem = DistrictingProblem(np.array([f"u{i}" for i in range(n)]), pupils, group, edges,
                                 np.array(["A", "B", "C"]), np.bincount(current, weights=pupils) * 1.05, roots, dist,
                                 current, capacity_tolerance=0.1, max_walk_m=400.0)
    after = polish(problem, current)
    assert plan_figures(problem, after)["d_index"] < plan_figures(problem, current)["d_index"]
    bound = np.floor(problem.capacity * 1.1 + 1e-9)
    for s in range(3):
        units = set(np.flatnonzero(after == s).tolist())
        assert roots[s] in units and connected(units, edges)
        assert pupils[list(units)].sum() <= bound[s]
    assert all(dist[u, after[u]] <= 400 or after[u] == current[u] for u in range(n))


def test_the_polished_plans_spread_along_pupils_moved():
    from pipeline.scenarios.districting import _to_polish

    # (D, pupils moved): the lowest D overall is #1; among plans moving at most the median (100) #0; among the
    # lower quartile (at most 50) #4
    plans = [(0.5, 100), (0.4, 900), (0.45, 800), (0.6, 10), (0.55, 50)]
    figures = [{"d_index": d, "mean_dist_m": 0.0, "pupils_moved": m} for d, m in plans]
    assert _to_polish(figures, 3) == [1, 0, 4]
    assert _to_polish(figures, 1) == [1]
    assert _to_polish([], 3) == []

# --- units ------------------------------------------------------------------------------------------------


def _street_grid() -> gpd.GeoDataFrame:
    """Streets on x = 0, 100, 200, 300 and y = 0, 100, 200, 300 (from X0, Y0): nine 100 m blocks."""
    lines = [LineString([(X0 + x, Y0), (X0 + x, Y0 + 300)]) for x in (0, 100, 200, 300)]
    lines += [LineString([(X0, Y0 + y), (X0 + 300, Y0 + y)]) for y in (0, 100, 200, 300)]
    return gpd.GeoDataFrame({"street_id": [f"s{i}" for i in range(8)], "walk": True, "bike": True},
                            geometry=lines, crs=CRS)


def test_street_blocks_and_their_shared_edges():
    # the streets enclose 9 blocks; the extent reaches 50 m beyond them to the east: one fringe unit
    blocks = street_blocks(_street_grid().geometry, box(X0, Y0, X0 + 350, Y0 + 300))
    assert len(blocks) == 10
    assert sorted(np.round(blocks.area).tolist()) == [10000.0] * 9 + [15000.0]
    edges = shared_edges(blocks)
    # 12 edges between the 9 blocks (corners do not count) and 3 between the east column and the fringe
    assert len(edges) == 15
    degree = np.bincount(edges.ravel(), minlength=10)
    assert sorted(degree.tolist()) == [2, 2, 3, 3, 3, 3, 3, 3, 4, 4]


# --- the stage on real files -------------------------------------------------------------------------------


def _project(tmp_path: Path, districting: dict | None = None):
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump({"root": ".", "districting": {"chain_steps": 60, **(districting or {})}}),
                    encoding="utf-8")
    return load_config(path)


def _write_processed(config, capacity=(40, 60)) -> None:
    """The hand grid as real layers: nine street blocks, a parcel of the omdannelse area A holding each block's
    group pupils and a parcel of the private area B holding the others; districts D1 (blocks 0, 1, 3, 4) and
    D2; schools S1 (capacity 40) in block 0 and S2 (60) in block 8."""
    centre = [(X0 + 50 + 100 * (i % 3), Y0 + 50 + 100 * (i // 3)) for i in range(9)]
    a_rows = [i for i in range(9) if GROUP[i] > 0]
    parcels = gpd.GeoDataFrame({
        "parcel_id": [f"a{i}" for i in a_rows] + [f"b{i}" for i in range(9)],
        "area_id": ["A"] * len(a_rows) + ["B"] * 9,
        "dwellings_social_family": [500 if i == 0 else 0 for i in a_rows] + [0] * 9,
        "dwellings_social_other": 0, "dwellings_owner": [0] * len(a_rows) + [20] * 9,
        "dwellings_private_rental": 0, "dwellings_cooperative": 0, "dwellings_other": 0,
        "residents": [1200 if i == 0 else GROUP[i] for i in a_rows] + [30] * 9,
        "residents_18_64": [600 if i == 0 else 0 for i in a_rows] + [15] * 9,
        "outside_work_edu_18_64": [300 if i == 0 else 0 for i in a_rows] + [1] * 9,
        "residents_30_59": [500 if i == 0 else 0 for i in a_rows] + [10] * 9,
        "basic_edu_only_30_59": [350 if i == 0 else 0 for i in a_rows] + [1] * 9,
        "non_western": [700 if i == 0 else 0 for i in a_rows] + [1] * 9,
        "children_6_16": [GROUP[i] for i in a_rows] + [PUPILS[i] - GROUP[i] for i in range(9)],
    }, geometry=[Point(*centre[i]) for i in a_rows] + [Point(centre[i][0] + 10, centre[i][1]) for i in range(9)],
        crs=CRS)
    areas = gpd.GeoDataFrame({"area_id": ["A", "B"], "name": ["Ågården", "Bøgely"], "area_type": ["social", "private"],
                              "years_listed": [4, 0]},
                             geometry=[box(X0, Y0, X0 + 300, Y0 + 300), box(X0, Y0, X0 + 300, Y0 + 300)], crs=CRS)
    schools = gpd.GeoDataFrame({"school_id": ["S1", "S2"], "name": ["Ølby Skole", "Bakke Skole"],
                                "capacity": list(capacity)}, geometry=[Point(*centre[0]), Point(*centre[8])], crs=CRS)
    d1 = box(X0, Y0, X0 + 200, Y0 + 200)  # blocks 0, 1, 3, 4
    districts = gpd.GeoDataFrame({"district_id": ["D1", "D2"], "school_id": ["S1", "S2"]},
                                 geometry=[d1, box(X0, Y0, X0 + 300, Y0 + 300).difference(d1)], crs=CRS)
    processed = config.processed_dir
    processed.mkdir(parents=True)
    layers = {"housing_areas": areas, "parcels": parcels, "schools": schools, "school_districts": districts,
              "streets": _street_grid(),
              "areas_mix": areas_mix(parcels, areas, {**config["mix"], "tenures": list(config["ingest"]["tenures"])}),
              "areas_access": areas[["area_id", "geometry"]].assign(jobs_bike_30=[500.0, 800.0])}
    for name, frame in layers.items():
        frame.to_parquet(processed / f"{name}.parquet")
    mix.run(config)


def _grid_index(units: gpd.GeoDataFrame) -> np.ndarray:
    """Each unit's block number on the hand grid (0 south-west, row by row), from its centroid."""
    c = units.geometry.centroid
    return ((c.x - X0) // 100 + 3 * ((c.y - Y0) // 100)).astype(int).to_numpy()


def _best_d_by_enumeration(units: gpd.GeoDataFrame, bounds: dict) -> float:
    """The lowest D over every contiguous plan of the nine blocks within capacity (walk limit not binding)."""
    order = units.iloc[np.argsort(_grid_index(units))]
    pupils, group = order["pupils"].tolist(), order["group_pupils"].tolist()
    best = np.inf
    for bits in itertools.product((0, 1), repeat=7):
        assign = (0, *bits, 1)
        if all(connected({u for u in range(9) if assign[u] == s}) for s in (0, 1)) and all(
                sum(pupils[u] for u in range(9) if assign[u] == s) <= bounds[s] for s in (0, 1)):
            best = min(best, independent_d(assign, group, pupils))
    return best


def test_stage_writes_plans_summary_and_district_layers(tmp_path):
    config = _project(tmp_path)
    _write_processed(config)
    areas = pd.read_parquet(config.processed("areas_mix.parquet")).set_index("area_id")
    assert areas.loc["A", "status"] == "omdannelse"
    written = {p.name for p in sc.run(config)}
    assert {"districting_units.parquet", "districting_plans.parquet", "districting_summary.parquet",
            "districting_plans.gpkg"} <= written
    units = gpd.read_parquet(config.processed("districting_units.parquet"))
    assert len(units) == 9 and units["pupils"].tolist() == [10.0] * 9
    assert sorted(_grid_index(units).tolist()) == list(range(9))
    assert units.iloc[np.argsort(_grid_index(units))]["group_pupils"].tolist() == GROUP
    plans = pd.read_parquet(config.processed("districting_plans.parquet"))
    summary = pd.read_parquet(config.processed("districting_summary.parquet")).set_index("plan_id")
    current = plans[plans["plan_id"] == "current"]
    today = {sid: sorted(g["group_pupils"].tolist()) for sid, g in current.groupby("school_id")}
    assert today == {"S1": [2.0, 4.0, 4.0, 4.0], "S2": [0.0, 0.0, 1.0, 2.0, 2.0]}
    assert summary.loc["current", "d_index"] == pytest.approx(14 / 19 - 26 / 71)
    assert not plans.loc[plans["plan_id"] == "current", "moved"].any()
    # every plan: D recomputed from the plan table equals the summary's; proposals keep every constraint
    bounds = {"S1": 44, "S2": 66}
    layers = {name for name, _ in pyogrio.list_layers(config.processed("districting_plans.gpkg"))}
    assert layers == set(summary.index)
    for plan_id, rows in plans.groupby("plan_id"):
        g = rows.groupby("school_id")["group_pupils"].sum()
        r = rows.groupby("school_id")["pupils"].sum() - g
        d = 0.5 * (g / g.sum() - r / r.sum()).abs().sum()
        assert summary.loc[plan_id, "d_index"] == pytest.approx(d)
        if plan_id != "current":
            assert summary.loc[plan_id, "proposal"]
            assert (rows.groupby("school_id")["pupils"].sum() <= pd.Series(bounds)).all()
            polygons = gpd.read_file(config.processed("districting_plans.gpkg"), layer=plan_id)
            assert (polygons.geometry.geom_type == "Polygon").all()  # one piece each
    # nine units: the exact method ran and proved its plan optimal; it is the best plan, with the D of enumeration
    best = summary.drop(index="current").sort_values("d_index").iloc[0]
    assert best["engine"] == "exact" and best["proved_optimal"]
    assert best["d_index"] == pytest.approx(_best_d_by_enumeration(units, {0: 44, 1: 66}))
    # same seed, same plans
    again = tmp_path / "again"
    again.mkdir()
    config2 = _project(again)
    _write_processed(config2)
    sc.run(config2)
    pd.testing.assert_frame_equal(plans, pd.read_parquet(config2.processed("districting_plans.parquet")))


def test_stage_says_which_constraint_binds_when_no_plan_meets_them_all(tmp_path):
    # 90 pupils and seats for 2 x 22: no plan fits; the exact method finds a plan once capacity is lifted
    config = _project(tmp_path)
    _write_processed(config, capacity=(20, 20))
    sc.run(config)
    summary = pd.read_parquet(config.processed("districting_summary.parquet"))
    assert summary["plan_id"].tolist() == ["current", "no_proposal"]
    assert summary["binding"].tolist() == ["capacity", "capacity"]
    assert not summary["proposal"].any()
    plans = pd.read_parquet(config.processed("districting_plans.parquet"))
    assert set(plans["plan_id"]) == {"current"}


def test_a_development_on_a_school_ground_gets_proposals_under_the_cut_capacity(tmp_path):
    # DEV1 stands on S1's ground and takes 25 % of its capacity: 40 x 0.75 = 30, bound 33 pupils, so S1 keeps at
    # most 3 blocks and S2 (bound 66) at most 6: S1 exactly 3 blocks holding block 0. Of those plans
    # ({0,1,2} {0,1,3} {0,1,4} {0,3,4} {0,3,6}, each with S2 in one piece), {0,1,2} has the lowest D:
    # g = 8, r = 22: 8/19 - 22/71 = 150/1349.
    config = _project(tmp_path)
    _write_processed(config)
    tenures = {f"new_dwellings_{t}": [0] for t in config["ingest"]["tenures"]}
    gpd.GeoDataFrame({"site_id": ["DEV1"], "kind": ["development"], "name": ["Skoleengen"], "capacity": [None],
                      "closes_school_id": [None], **tenures, "new_jobs": [0], "on_school_id": ["S1"]},
                     geometry=[box(X0 + 20, Y0 + 20, X0 + 40, Y0 + 40)], crs=CRS).to_parquet(
        config.processed("candidate_sites.parquet"))
    sc.run(config)
    summary = pd.read_parquet(config.processed("districting_summary.parquet")).set_index("plan_id")
    site = summary[summary["site_id"] == "DEV1"]
    assert site.index[0] == "DEV1_current"
    # today S1 holds 4 blocks (40 pupils) over its cut bound of 33
    assert site.loc["DEV1_current", "pupils_over_capacity"] == 7 and site.loc["DEV1_current", "binding"] == "capacity"
    best = site.drop(index="DEV1_current").sort_values("d_index").iloc[0]
    assert best["d_index"] == pytest.approx(150 / 1349) and best["proved_optimal"]
    assert summary.loc["current", "site_id"] is None or pd.isna(summary.loc["current", "site_id"])
    layers = {name for name, _ in pyogrio.list_layers(config.processed("districting_plans.gpkg"))}
    assert set(site.index) <= layers
    cut = gpd.read_file(config.processed("districting_plans.gpkg"), layer=best.name).set_index("school_id")
    assert cut.loc["S1", "capacity"] == 30 and cut.loc["S1", "pupils"] == 30


def test_grid_cells_as_units_give_the_same_optimum_as_the_blocks(tmp_path):
    # 100 m cells from the extent's corner are the nine blocks again: the same pupils, the same best D
    config = _project(tmp_path, {"units": "grid", "grid_size_m": 100})
    _write_processed(config)
    sc.run(config)
    units = gpd.read_parquet(config.processed("districting_units.parquet"))
    assert len(units) == 9 and units["unit_id"].str.startswith("G").all()
    assert units.iloc[np.argsort(_grid_index(units))]["group_pupils"].tolist() == GROUP
    summary = pd.read_parquet(config.processed("districting_summary.parquet")).set_index("plan_id")
    best = summary.drop(index="current").sort_values("d_index").iloc[0]
    assert best["proved_optimal"] and best["d_index"] == pytest.approx(_best_d_by_enumeration(units, {0: 44, 1: 66}))


def test_two_schools_in_one_block_skip_the_proposals_with_a_warning(tmp_path):
    from pipeline.core import log as pipeline_log

    config = _project(tmp_path)
    _write_processed(config)
    schools = gpd.read_parquet(config.processed("schools.parquet"))
    schools.loc[1, "geometry"] = Point(X0 + 60, Y0 + 60)  # S2 moves into S1's block
    schools.to_parquet(config.processed("schools.parquet"))
    pipeline_log.take_warnings()
    sc.run(config)
    warnings = " ".join(pipeline_log.take_warnings())
    assert "S1/S2 stand in the same street block" in warnings
    assert len(pd.read_parquet(config.processed("districting_summary.parquet"))) == 0
    assert len(pd.read_parquet(config.processed("districting_plans.parquet"))) == 0


def test_the_school_sites_page_shows_today_and_the_proposals_as_written(tmp_path):
    from pipeline.publish.figures import Prepared
    from pipeline.publish.i18n import language
    from pipeline.publish.pages.school_sites import districting_front

    config = _project(tmp_path)
    summary = pd.DataFrame({
        "plan_id": ["current", "plan_01", "plan_02", "DEV1_current", "DEV1_plan_01"],
        "site_id": [None, None, None, "DEV1", "DEV1"],
        "d_index": [0.5, 0.25, 0.4, 0.6, 0.3], "mean_dist_m": [800.0, 950.0, 900.0, 810.0, 990.0],
        "pupils_moved": [0.0, 120.0, 40.0, 0.0, 150.0]})
    html = str(districting_front(Prepared(summary, False, language("en"), "suppressed"), config, language("en")))
    rows = re.findall(r"<tr data-plan-id='([^']+)'><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td>", html)
    # the plans under a development on school ground stay in the files
    assert rows == [("current", "Today&#39;s districts", "0.500", "800 m", "0"),  # escaped
                    ("plan_01", "Proposal 1", "0.250", "950 m", "120"),
                    ("plan_02", "Proposal 2", "0.400", "900 m", "40")]
    # bars as a share of the largest D, the best proposal (the first after today) in green
    assert re.findall(r'class="sb-bar( sb-best)?" style="display:block;width:([0-9.]+)%"', html) == [
        ("", "100.0"), (" sb-best", "50.0"), ("", "80.0")]
    # the rule applied, from the config: +10 % capacity, 2,500 m walk
    assert "capacity + 10%" in html and "beyond 2,500 m" in html
    danish = str(districting_front(Prepared(summary, False, language("da"), "skjult"), config, language("da")))
    assert "Dagens distrikter" in danish and "0,250" in danish
