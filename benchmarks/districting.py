"""The districting chain's best D against the exact optimum, and the time of each (CONTRACT 6b, issue 25).

Instances small enough to solve exactly: square grids of street blocks 100 m apart, k schools on random blocks,
0..29 pupils per block, the group gathered towards one corner (a segregated town), today's districts the nearest
school by straight line, capacities today's pupils x 1.05 (+10 % tolerance), distances straight line x 1.3,
walk limit 600 m. For each: the exact method (scipy.optimize.milp, HiGHS; lexicographic D, mean distance,
pupils moved) with its time and whether it proved the optimum, and the GerryChain ReCom chain (the pipeline's
own settings) over several seeds: its best D, that plan polished block by block (districting_polish), how many
seeds reach the optimum after polishing, and the time of chain and polish.

With --demo, also the demo municipality's own proposals (the processed data of the project config: run the
pipeline first), made as the stage makes them (the config's districting settings), timed, with their front.

Usage: python benchmarks/districting.py [--steps 150] [--seeds 3] [--time-limit 120] [--demo]
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import UTC, datetime

import numpy as np

from pipeline.scenarios.districting_chain import run_chain
from pipeline.scenarios.districting_exact import solve_exact
from pipeline.scenarios.districting_plans import DistrictingProblem, plan_figures
from pipeline.scenarios.districting_polish import polish

INSTANCES = [(4, 4, 2, 1), (5, 5, 2, 2), (5, 5, 3, 3), (6, 6, 3, 4), (7, 7, 3, 5)]


def grid_instance(w: int, h: int, k: int, seed: int) -> DistrictingProblem:
    """A w x h grid of blocks with k schools (see the module docstring)."""
    rng = np.random.default_rng(seed)
    n = w * h
    xy = np.c_[np.arange(n) % w, np.arange(n) // w] * 100.0
    edges = np.array([(i, i + 1) for i in range(n) if i % w < w - 1] + [(i, i + w) for i in range(n - w)])
    roots = np.sort(rng.choice(n, size=k, replace=False))
    dist = np.hypot(*(xy[:, None, :] - xy[roots][None, :, :]).transpose(2, 0, 1)) * 1.3
    current = np.argmin(dist, axis=1)
    current[roots] = np.arange(k)
    pupils = rng.integers(0, 30, n).astype(float)
    corner = np.exp(-np.hypot(*(xy - xy.min(0)).T) / (100.0 * max(w, h) / 2))
    group = np.floor(pupils * corner * rng.uniform(0.3, 0.9, n))
    capacity = np.bincount(current, weights=pupils, minlength=k) * 1.05
    return DistrictingProblem(np.array([f"u{i}" for i in range(n)]), pupils, group, edges,
                              np.array([f"s{i}" for i in range(k)]), capacity, roots, dist, current,
                              capacity_tolerance=0.1, max_walk_m=600.0)


def small_instances(steps: int, seeds: int, time_limit_s: float) -> list[dict]:
    rows = []
    for w, h, k, seed in INSTANCES:
        problem = grid_instance(w, h, k, seed)
        exact = solve_exact(problem, time_limit_s=time_limit_s)
        d_exact = plan_figures(problem, exact.assign)["d_index"] if exact.assign is not None else float("nan")
        best, polished, seconds = [], [], []
        for s in range(seeds):
            run = run_chain(problem, steps=steps, seed=s, start=problem.current)
            ok = [i for i, f in enumerate(run.figures) if f["proposal"]]
            top = min(ok, key=lambda i: run.figures[i]["d_index"]) if ok else None
            best.append(run.figures[top]["d_index"] if ok else float("nan"))
            t0 = time.perf_counter()
            polished.append(plan_figures(problem, polish(problem, run.plans[top]))["d_index"] if ok else float("nan"))
            seconds.append(run.seconds + time.perf_counter() - t0)
        row = {"units": w * h, "schools": k, "d_today": plan_figures(problem, problem.current)["d_index"],
               "d_exact": d_exact, "proved": exact.proved_optimal, "exact_s": exact.seconds,
               "d_chain_best": float(np.nanmin(best)), "d_chain_median": float(np.nanmedian(best)),
               "d_polished_best": float(np.nanmin(polished)), "chain_s": float(np.median(seconds)),
               "reached": int(sum(abs(b - d_exact) < 1e-9 for b in polished))}
        rows.append(row)
        print(row, flush=True)
    return rows


def demo_proposals() -> None:
    """The demo's own proposals, as the stage makes them (build the problem, then propose), timed."""
    import pandas as pd

    from pipeline.core.config import load_config
    from pipeline.core.io import read_layer
    from pipeline.mix import link_weights, read_links
    from pipeline.scenarios.districting import build_problem, propose

    config = load_config()
    parcels = read_layer(config, "parcels_mix").sort_values("parcel_id").reset_index(drop=True)
    districts, schools = read_layer(config, "school_districts"), read_layer(config, "schools")
    t0 = time.perf_counter()
    problem, *_ = build_problem(config, parcels, read_layer(config, "areas_mix"), schools,
                                link_weights(read_links(config, districts), schools), districts,
                                read_layer(config, "streets"), pd.to_numeric(schools["capacity"]).to_numpy(float))
    t1 = time.perf_counter()
    summary, _ = propose(problem, config)
    t2 = time.perf_counter()
    print(f"\nDemo: {problem.n_units} units, {problem.n_schools} schools, "
          f"{config['districting']['chain_steps']} chain steps: problem built in {t1 - t0:.1f} s, proposals in "
          f"{t2 - t1:.1f} s, {t2 - t0:.1f} s in all\n")
    print("| plan | D | mean distance (m) | p90 (m) | pupils moved | over capacity | engine |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in summary.itertuples(index=False):
        print(f"| {r.plan_id} | {r.d_index:.3f} | {r.mean_dist_m:.0f} | {r.p90_dist_m:.0f} | {r.pupils_moved:.0f} | "
              f"{r.pupils_over_capacity:.0f} | {r.engine} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=120.0)
    parser.add_argument("--demo", action="store_true")
    args = parser.parse_args()
    print(f"# {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}")
    rows = small_instances(args.steps, args.seeds, args.time_limit)
    print("\n| units | schools | D today | D exact (proved) | exact s | chain best D (median) | after polish | "
          "seeds reaching the optimum | chain + polish s |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        exact = (f"{r['d_exact']:.4f} ({'yes' if r['proved'] else 'no'})" if r["d_exact"] == r["d_exact"]
                 else f"none within {args.time_limit:g} s a solve")
        print(f"| {r['units']} | {r['schools']} | {r['d_today']:.4f} | {exact} | {r['exact_s']:.1f} | {r['d_chain_best']:.4f} "
              f"({r['d_chain_median']:.4f}) | {r['d_polished_best']:.4f} | {r['reached']} of {args.seeds} | "
              f"{r['chain_s']:.1f} |")
    if args.demo:
        demo_proposals()


if __name__ == "__main__":
    main()
