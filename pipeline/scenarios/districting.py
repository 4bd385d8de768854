"""School districts drawn for social mix (CONTRACT 6b): proposals for new district boundaries over street blocks
(or grid cells, or parcels), each school within capacity, every district contiguous, no pupil's walk beyond the limit unless
it was already; ranked by the dissimilarity D of the group's pupils across schools, then mean distance, then
pupils moved. Small problems are solved exactly (districting_exact), every problem by a seeded GerryChain ReCom
chain (districting_chain) whose best plans are then polished block by block (districting_polish); the
proposals are the Pareto front of D, mean distance and pupils moved. Their tables (each school's mix before and
after, the areas' pupils changing school) are districting_tables'.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.core.config import Config
from pipeline.core.log import log, warn
from pipeline.mix import UDSAT_OR_WORSE
from pipeline.scenarios._tables import (
    DISTRICTING_CHANGE_COLUMNS as CHANGE_COLUMNS,
)
from pipeline.scenarios._tables import (
    DISTRICTING_PLAN_COLUMNS as PLAN_COLUMNS,
)
from pipeline.scenarios._tables import (
    DISTRICTING_SCHOOL_COLUMNS as SCHOOL_COLUMNS,
)
from pipeline.scenarios._tables import (
    DISTRICTING_SUMMARY_COLUMNS as SUMMARY_COLUMNS,
)
from pipeline.scenarios._tables import (
    DISTRICTING_UNIT_COLUMNS as UNIT_COLUMNS,
)
from pipeline.scenarios.distances import network_distances_m
from pipeline.scenarios.districting_chain import run_chain
from pipeline.scenarios.districting_exact import binding_constraint, solve_exact
from pipeline.scenarios.districting_plans import (
    DistrictingProblem,
    binding_constraints,
    lexicographic_order,
    pareto_front,
    plan_figures,
)
from pipeline.scenarios.districting_polish import polish
from pipeline.scenarios.districting_tables import change_table, plan_tables, school_table
from pipeline.scenarios.districting_units import (
    bridge_islands,
    grid_cells,
    parcel_edges,
    polygon_parcels,
    shared_edges,
    street_blocks,
    todays_school,
    unit_counts,
    unit_of_points,
)

CURRENT_ID = "current"
UNIT_WORDS = {"blocks": "street block", "grid": "grid cell", "parcels": "parcel"}


@dataclass
class Districting:
    """What the stage writes: the units, the plans (unit -> school), the summary, the district polygons, each
    school's mix before and after each plan, and the housing areas' pupils changing school."""

    units: gpd.GeoDataFrame
    plans: pd.DataFrame
    summary: pd.DataFrame
    districts: dict  # plan_id -> GeoDataFrame of district polygons
    schools: pd.DataFrame
    changes: pd.DataFrame


def empty_districting(crs) -> Districting:
    """The stage's districting outputs with their columns and no rows (no proposals could be drawn)."""
    def empty(columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})

    return Districting(
        gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in UNIT_COLUMNS[:-1]}, geometry=gpd.GeoSeries([], crs=crs)),
        empty(PLAN_COLUMNS), empty(SUMMARY_COLUMNS), {}, empty(SCHOOL_COLUMNS), empty(CHANGE_COLUMNS))


def unit_kind(config: Config, streets: gpd.GeoDataFrame | None, parcels: gpd.GeoDataFrame) -> str | None:
    """Which units to draw districts from (`districting.units`): street blocks with a streets layer, else grid
    cells of `districting.grid_size_m`, else the parcels drawn as polygons; None (warned) when none can be."""
    settings = config["districting"]
    kind, grid = settings["units"], settings["grid_size_m"]
    has_streets, has_polygons = streets is not None and len(streets) > 0, len(polygon_parcels(parcels.geometry)) > 0
    fallback = "grid" if grid else "parcels"
    if kind == "auto":
        kind = "blocks" if has_streets else fallback
    if kind == "blocks" and not has_streets:
        warn(f"districting.units is blocks but there is no streets layer; the districts are drawn over {fallback}")
        kind = fallback
    if kind == "parcels" and not has_polygons:
        if not grid:
            warn("the districting units would be parcels, but no parcel is drawn as a polygon and there are no "
                 "streets and no grid_size_m: no districts were drawn (give streets, districting.grid_size_m or "
                 "parcel polygons)")
            return None
        warn("districting.units is parcels but no parcel is drawn as a polygon; the districts are drawn over grid")
        kind = "grid"
    return kind


def build_units(config: Config, kind: str, streets: gpd.GeoDataFrame | None, parcels: gpd.GeoDataFrame,
                extent: shapely.Geometry, crs) -> tuple[gpd.GeoDataFrame, np.ndarray, np.ndarray]:
    """The units of the kind (unit_kind), their edges and each parcel's unit: street blocks and grid cells hold
    the parcels whose representative point lies in them (else the nearest); a parcel unit holds its parcel, and
    a parcel not drawn as a polygon goes to the parcel unit containing (else nearest) its point."""
    settings = config["districting"]
    points = parcels.geometry.representative_point()
    if kind == "parcels":
        own = polygon_parcels(parcels.geometry)
        geoms = gpd.GeoSeries(parcels.geometry.to_numpy()[own], crs=crs)
        edges = parcel_edges(geoms, float(settings["parcel_gap_m"]), float(settings["parcel_frontage_m"]))
        ids = parcels["parcel_id"].astype(str).to_numpy()[own]
        unit = unit_of_points(geoms, points)
        unit[own] = np.arange(len(own))
    else:
        geoms = street_blocks(streets.geometry, extent) if kind == "blocks" else \
            grid_cells(extent, float(settings["grid_size_m"]), crs)
        edges = shared_edges(geoms)
        ids = np.array([f"{'B' if kind == 'blocks' else 'G'}{i + 1:05d}" for i in range(len(geoms))])
        unit = unit_of_points(geoms, points)
    edges = bridge_islands(geoms, edges)
    log.info("Districting built %d %s units with %d neighbour pairs", len(geoms), kind, len(edges))
    return gpd.GeoDataFrame({"unit_id": ids}, geometry=geoms.to_numpy(), crs=crs), edges, unit


def _unit_distances(config: Config, units: gpd.GeoDataFrame, unit: np.ndarray, parcels: gpd.GeoDataFrame,
                    pupils: np.ndarray, schools: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(units, schools) pupil-weighted mean distance and the farthest pupil's distance (the walk rule's), both
    from the unit's representative point where it has no pupils."""
    mode = config["scenarios"]["school_network_mode"]
    points = parcels.geometry.representative_point()
    has = pupils > 0
    parcel_m, _ = network_distances_m(config, mode, points[has].reset_index(drop=True), schools.geometry)
    unit_m, _ = network_distances_m(config, mode, units.geometry.representative_point(), schools.geometry)
    n, k = len(units), len(schools)
    u = unit[has]
    w = pupils[has]
    parcel_m = np.where(np.isfinite(parcel_m), parcel_m, np.nan)
    mean = np.full((n, k), np.nan)
    far = np.full((n, k), np.nan)
    for s in range(k):
        d = parcel_m[:, s]
        ok = ~np.isnan(d)
        weight = np.bincount(u[ok], weights=w[ok], minlength=n)
        total = np.bincount(u[ok], weights=w[ok] * d[ok], minlength=n)
        mean[:, s] = np.where(weight > 0, total / np.where(weight > 0, weight, 1), np.nan)
        top = np.full(n, -np.inf)
        np.maximum.at(top, u[ok], d[ok])
        far[:, s] = np.where(np.isfinite(top), top, np.nan)
    fallback = np.where(np.isfinite(unit_m), unit_m, np.nan)
    mean = np.where(np.isnan(mean), fallback, mean)
    far = np.where(np.isnan(far), fallback, far)
    # a unit the network does not reach: straight line x the detour factor
    line = np.hypot(*(shapely.get_coordinates(units.geometry.representative_point().to_numpy())[:, None, :]
                      - shapely.get_coordinates(schools.geometry.to_numpy())[None, :, :]).transpose(2, 0, 1))
    line = line * float(config["access"]["detour_factor"])
    return np.where(np.isnan(mean), line, mean), np.where(np.isnan(far), line, far)


def build_problem(config: Config, parcels: gpd.GeoDataFrame, areas_mix: pd.DataFrame, schools: gpd.GeoDataFrame,
                  links: pd.DataFrame, districts: gpd.GeoDataFrame, streets: gpd.GeoDataFrame | None,
                  capacity: np.ndarray) -> tuple[DistrictingProblem, gpd.GeoDataFrame, pd.DataFrame] | None:
    """The districting problem over the units, the units, and each parcel with pupils: its unit, area_id, pupils
    and group pupils; None (warned) when it cannot be posed."""
    settings = config["districting"]
    crs = schools.crs
    extent = shapely.union_all(districts.geometry.to_numpy())
    kind = unit_kind(config, streets, parcels)
    if kind is None:
        return None
    units, edges, unit = build_units(config, kind, streets, parcels, extent, crs)
    pupils = pd.to_numeric(parcels["children_6_16"]).fillna(0).to_numpy(dtype=float)
    statuses = set(settings["group_statuses"] or UDSAT_OR_WORSE)
    status = parcels["area_id"].map(areas_mix.set_index("area_id")["status"])
    in_group = status.isin(statuses).to_numpy(dtype=bool)
    unit_pupils, unit_group = unit_counts(unit, len(units), pupils, in_group)
    school_ids = schools["school_id"].astype(str).to_numpy()
    link = links.astype({"district_id": "str", "school_id": "str"}).sort_values(
        ["district_id", "weight", "school_id"], ascending=[True, False, True]).drop_duplicates("district_id")
    district_school = pd.Series(pd.Index(school_ids).get_indexer(link["school_id"]), index=link["district_id"])
    parcel_school = parcels["district_id"].astype("str").map(district_school).fillna(-1).to_numpy(dtype=np.int64)
    point_district = unit_of_points(districts.geometry, units.geometry.representative_point())
    point_school = districts["district_id"].astype(str).map(district_school).fillna(-1).to_numpy(dtype=np.int64)
    current = todays_school(unit, len(units), pupils, parcel_school, point_school[point_district])
    root = unit_of_points(units.geometry, schools.geometry)
    if len(np.unique(root)) < len(root):
        shared = pd.Series(school_ids).groupby(root).agg(list)
        shared = shared[shared.map(len) > 1]
        warn(f"schools {', '.join('/'.join(s) for s in shared)} stand in the same {UNIT_WORDS[kind]}, so no "
             "districts can be drawn between them; the districting proposals were skipped")
        return None
    dist, walk = _unit_distances(config, units, unit, parcels, pupils, schools)
    current[root] = np.arange(len(schools))
    units["pupils"], units["group_pupils"] = unit_pupils, unit_group
    units["school_id"] = np.where(current >= 0, school_ids[np.maximum(current, 0)], None)
    problem = DistrictingProblem(
        unit_ids=units["unit_id"].to_numpy(), pupils=unit_pupils, group=unit_group, edges=edges,
        school_ids=school_ids, capacity=capacity, root=root, dist_m=dist, current=current,
        capacity_tolerance=float(settings["capacity_tolerance"]), max_walk_m=float(settings["max_walk_m"]),
        walk_m=walk)
    members = pd.DataFrame({"unit": unit, "area_id": parcels["area_id"].to_numpy(), "pupils": pupils,
                            "group_pupils": np.where(in_group, pupils, 0.0)})[pupils > 0]
    return problem, units, members


def _figures_row(problem: DistrictingProblem, plan_id: str, assign: np.ndarray, engine: str, proved: bool) -> dict:
    f = plan_figures(problem, assign)
    return {"plan_id": plan_id, **f, "engine": engine, "proved_optimal": proved, "binding": binding_constraints(f)}


def _chosen(front: pd.DataFrame, max_plans: int) -> pd.DataFrame:
    """The front in objective order (D, mean distance, pupils moved), thinned to max_plans spread along D
    (the best plan always kept)."""
    front = front.iloc[lexicographic_order(front)].reset_index(drop=True)
    if len(front) <= max_plans:
        return front
    keep = np.unique(np.round(np.linspace(0, len(front) - 1, max_plans)).astype(int))
    return front.iloc[keep].reset_index(drop=True)


def _to_polish(figures: list[dict], count: int) -> list[int]:
    """Which of the chain's plans to polish: the lowest D among all, then among those moving at most the
    median number of pupils, the lower quartile, ... (halving), so the polished plans spread along the
    trade-off between D and pupils moved rather than crowd at one end."""
    if not figures or count <= 0:
        return []
    moved = np.array([f["pupils_moved"] for f in figures])
    key = np.array([(f["d_index"], f["mean_dist_m"]) for f in figures], dtype=float)
    chosen: list[int] = []
    for q in 100.0 / 2.0 ** np.arange(3 * count):
        within = np.flatnonzero(moved <= np.percentile(moved, q))
        best = int(within[np.lexsort((key[within, 1], key[within, 0]))[0]])
        if best not in chosen:
            chosen.append(best)
        if len(chosen) == count:
            break
    return chosen


def propose(problem: DistrictingProblem, config: Config, *, site_id: str | None = None) -> tuple[pd.DataFrame, dict]:
    """The summary (current first, then the proposals in objective order) and each plan's assignment; under
    a development site on a school's ground (site_id), the plan ids start with the site's id."""
    settings = config["districting"]
    prefix = f"{site_id}_" if site_id else ""
    rows = [_figures_row(problem, prefix + CURRENT_ID, problem.current, "today", False)]
    plans = {prefix + CURRENT_ID: problem.current}
    candidates, assigns = [], []
    start = problem.current  # made contiguous by the chain where it is not
    exact_binding = ""
    if problem.n_units <= int(settings["exact_max_units"]):
        exact = solve_exact(problem, time_limit_s=float(settings["exact_time_limit_s"]))
        log.info("Districting's exact method %s in %.1f s (%s)", "proved the optimum" if exact.proved_optimal
                 else "found no proved optimum", exact.seconds, exact.status)
        if exact.assign is not None:
            candidates.append({**plan_figures(problem, exact.assign), "engine": "exact",
                               "proved_optimal": exact.proved_optimal})
            assigns.append(exact.assign)
            start = start if rows[0]["proposal"] else exact.assign
        else:
            exact_binding = binding_constraint(problem, time_limit_s=float(settings["exact_time_limit_s"]))
    run = run_chain(problem, steps=int(settings["chain_steps"]), seed=int(settings["seed"]), start=start)
    log.info("Districting's chain visited %d plans in %d steps (%.1f s)", len(run.plans), run.steps, run.seconds)
    chained = [(assign, f) for assign, f in zip(run.plans, run.figures, strict=True) if f["proposal"]]
    for assign, f in chained:
        candidates.append({**f, "engine": "chain", "proved_optimal": False})
        assigns.append(assign)
    for i in _to_polish([f for _, f in chained], int(settings["polish_plans"])):
        polished = polish(problem, chained[i][0])
        candidates.append({**plan_figures(problem, polished), "engine": "chain+polish", "proved_optimal": False})
        assigns.append(polished)
    if candidates:
        frame = pd.DataFrame(candidates)
        frame["candidate"] = np.arange(len(frame))
        frame = frame.iloc[lexicographic_order(frame)].drop_duplicates(
            ["d_index", "mean_dist_m", "pupils_moved"]).reset_index(drop=True)
        chosen = _chosen(frame[pareto_front(frame)], int(settings["max_plans"]))
        for i, row in enumerate(chosen.itertuples(index=False), start=1):
            plan_id = f"{prefix}plan_{i:02d}"
            plans[plan_id] = assigns[row.candidate]
            rows.append(_figures_row(problem, plan_id, assigns[row.candidate], row.engine, bool(row.proved_optimal)))
    else:
        # the exact method's answer where it ran, else what the chain's closest plan still breaks
        closest = min(run.figures, key=lambda f: (f["pupils_over_capacity"] + f["walk_breaches"], not f["contiguous"]))
        broken = exact_binding or binding_constraints(closest) or "unknown"
        warn(f"no district plan meets every constraint (binding: {broken}); none is proposed")
        rows.append({"plan_id": prefix + "no_proposal", "binding": broken, "proposal": False})
    summary = pd.DataFrame(rows).assign(site_id=site_id).reindex(columns=SUMMARY_COLUMNS)
    return summary, plans


def school_grounds(sites: pd.DataFrame | None, school_ids: np.ndarray) -> list[tuple[str, int]]:
    """(site_id, school index) of each development site on a school's ground (candidate_sites.on_school_id)."""
    if sites is None or "on_school_id" not in sites.columns:
        return []
    kind = sites["kind"].astype(str).str.strip().str.lower()
    on = sites[(kind == "development") & sites["on_school_id"].notna()]
    index = pd.Index(school_ids).get_indexer(on["on_school_id"].astype(str))
    return [(str(site), int(school)) for site, school in zip(on["site_id"], index, strict=True) if school >= 0]


def districting(config: Config, parcels: gpd.GeoDataFrame, areas_mix: pd.DataFrame, schools: gpd.GeoDataFrame,
                links: pd.DataFrame, districts: gpd.GeoDataFrame, streets: gpd.GeoDataFrame | None,
                sites: pd.DataFrame | None = None) -> Districting:
    """The proposals for new district boundaries, with today's districts as plan `current`; then, for each
    development site on a school's ground, the same with that school's capacity cut by
    `districting.school_ground_capacity_loss` (plan ids <site_id>_current, <site_id>_plan_01, ...)."""
    started = time.perf_counter()
    capacity = pd.to_numeric(schools["capacity"]) if "capacity" in schools else pd.Series(np.nan, index=schools.index)
    posed = build_problem(config, parcels, areas_mix, schools.reset_index(drop=True), links, districts, streets,
                          capacity.to_numpy(dtype=float))
    if posed is None:
        return empty_districting(schools.crs)
    problem, units, members = posed
    names = (schools["name"] if "name" in schools else schools["school_id"]).astype(str).to_numpy()
    summary, plans = propose(problem, config)
    table, polygons = plan_tables(problem, units, plans)
    mixes, changes = [school_table(problem, plans, names)], [change_table(problem, members, plans)]
    loss = float(config["districting"]["school_ground_capacity_loss"])
    for site_id, school in school_grounds(sites, problem.school_ids):
        capacity = problem.capacity.copy()
        capacity[school] *= 1.0 - loss
        log.info("Districting: site %s on the ground of school %s cuts its capacity to %g", site_id,
                 problem.school_ids[school], capacity[school])
        reduced = replace(problem, capacity=capacity)
        more, more_plans = propose(reduced, config, site_id=site_id)
        more_table, more_polygons = plan_tables(reduced, units, more_plans)
        summary = pd.concat([summary, more], ignore_index=True)
        table = pd.concat([table, more_table], ignore_index=True)
        polygons |= more_polygons
        mixes.append(school_table(reduced, more_plans, names, site_id))
        changes.append(change_table(reduced, members, more_plans, site_id))
    log.info("Districting proposed %d plans over %d units and %d schools in %.1f s", len(plans) - 1,
             problem.n_units, problem.n_schools, time.perf_counter() - started)
    return Districting(units[UNIT_COLUMNS], table, summary, polygons, pd.concat(mixes, ignore_index=True),
                       _concat(changes))


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """The frames one under the other, the empty ones left out (their columns kept)."""
    full = [f for f in frames if len(f)]
    return pd.concat(full, ignore_index=True) if full else frames[0]
