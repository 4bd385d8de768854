"""Time the cumulative-jobs query (jobs within 15 minutes walking, for every network node): ours against pandana.

Both run in the same invocation, each in its own fresh process (so each peak memory is its own), on the
same graph: ours builds it from the street lines (pipeline.network.build_network) and answers with
pipeline.network.reachable_sum; pandana gets our graph's nodes and edges, builds its contraction
hierarchy, precomputes the range and aggregates (type "sum", decay "flat"). The sums are compared node by
node; a node may differ only where a job node lies within a few millimetres of the cut-off (pandana keeps
edge lengths as whole millimetres), and the script checks that every difference is of that kind.

The streets are a jittered square grid (80 m blocks, the density of a Danish town centre), or a streets
file such as the demo's (--streets data/raw/municipality.gpkg --layer streets, after
`python -m pipeline demo-data --scale 25`). Jobs sit on a random fifth of the nodes.

Usage: python benchmarks/access.py [--side 200] [--streets PATH [--layer NAME]] [--minutes 15]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import platform
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

BLOCK_M = 80.0
JITTER_M = 15.0
JOB_NODE_SHARE = 0.2
MAX_JOBS_PER_NODE = 50
WALK_M_PER_MIN = 80.0
# pandana rounds edge lengths to millimetres: sums may differ where a job lies this close to the cut-off.
ROUNDING_BAND_M = 0.05


def grid_streets(side: int, seed: int):
    """A side x side grid of 80 m blocks with jittered junctions, one street per block side."""
    import geopandas as gpd
    import shapely

    rng = np.random.default_rng(seed)
    xs, ys = np.meshgrid(np.arange(side) * BLOCK_M, np.arange(side) * BLOCK_M)
    xy = np.column_stack([xs.ravel(), ys.ravel()]) + rng.uniform(-JITTER_M, JITTER_M, (side * side, 2))
    xy += [600_000.0, 6_200_000.0]
    node = np.arange(side * side).reshape(side, side)
    a = np.r_[node[:, :-1].ravel(), node[:-1, :].ravel()]
    b = np.r_[node[:, 1:].ravel(), node[1:, :].ravel()]
    lines = shapely.linestrings(np.stack([xy[a], xy[b]], axis=1))
    return gpd.GeoDataFrame({"street_id": np.arange(len(a)).astype(str)}, geometry=lines, crs="EPSG:25832")


def rss_mib() -> float:
    """Peak resident memory of this process so far (MiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_ours(streets_path: str, jobs_path: str, cutoff_m: float, queue) -> None:
    """Child process: build our walking network from the streets and sum the jobs within the cut-off."""
    import geopandas as gpd

    from pipeline.network import build_network, reachable_sum

    streets = gpd.read_parquet(streets_path)
    jobs = np.load(jobs_path)["jobs"]
    before = rss_mib()
    started = time.perf_counter()
    network = build_network(streets, tolerance_m=1.0, mode="walk")
    built = time.perf_counter()
    nodes = np.arange(network.n_nodes)
    sums = reachable_sum(network, nodes, nodes, jobs, cutoff_m=cutoff_m)
    done = time.perf_counter()
    peak = rss_mib()
    # tracemalloc slows every allocation down, so the traced peak comes from a second, untimed run
    tracemalloc.start()
    build_network(streets, tolerance_m=1.0, mode="walk")
    reachable_sum(network, nodes, nodes, jobs, cutoff_m=cutoff_m)
    traced = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    queue.put({"build_s": built - started, "query_s": done - built, "sums": sums, "rss_mib": peak,
               "rss_before_mib": before, "traced_mib": traced})


def run_pandana(graph_path: str, cutoff_m: float, queue) -> None:
    """Child process: the same query in pandana on our graph's nodes and edges."""
    import pandana
    import pandas as pd

    data = np.load(graph_path)
    before = rss_mib()
    started = time.perf_counter()
    net = pandana.Network(
        pd.Series(data["x"]), pd.Series(data["y"]), pd.Series(data["u"]), pd.Series(data["v"]),
        pd.DataFrame({"length_m": data["length"]}), twoway=True,
    )
    built = time.perf_counter()
    net.precompute(cutoff_m)
    precomputed = time.perf_counter()
    net.set(pd.Series(np.arange(len(data["x"]))), variable=pd.Series(data["jobs"]), name="jobs")
    sums = net.aggregate(cutoff_m, type="sum", decay="flat", name="jobs").to_numpy()
    done = time.perf_counter()
    queue.put({"build_s": built - started, "query_s": done - built, "sums": sums, "rss_mib": rss_mib(),
               "rss_before_mib": before, "precompute_s": precomputed - built, "aggregate_s": done - precomputed})


def in_child(target, *args) -> dict:
    """Run target in a fresh (spawned) process and return what it reports."""
    context = mp.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    return result


def differences_explained(network, jobs: np.ndarray, nodes: np.ndarray, cutoff_m: float) -> bool:
    """Whether every differing node has a job node within ROUNDING_BAND_M of the cut-off."""
    from scipy.sparse.csgraph import dijkstra

    if len(nodes) == 0:
        return True
    dist = dijkstra(network.graph, indices=nodes, limit=cutoff_m + ROUNDING_BAND_M)
    near = (np.abs(dist - cutoff_m) <= ROUNDING_BAND_M) & (jobs[None, :] > 0)
    return bool(near.any(axis=1).all())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--side", type=int, default=200, help="grid junctions per side (default 200: 40,000 nodes)")
    parser.add_argument("--streets", type=Path, help="a streets file (GeoParquet, GeoPackage, ...) instead of the grid")
    parser.add_argument("--layer", help="the streets layer in a multi-layer file (e.g. streets in municipality.gpkg)")
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    import geopandas as gpd

    from pipeline.network import build_network

    cutoff_m = args.minutes * WALK_M_PER_MIN
    if args.streets is None:
        streets = grid_streets(args.side, args.seed)
    elif args.streets.suffix == ".parquet":
        streets = gpd.read_parquet(args.streets)
    else:
        streets = gpd.read_file(args.streets, layer=args.layer)
    network = build_network(streets, tolerance_m=1.0, mode="walk")
    rng = np.random.default_rng(args.seed)
    has_jobs = rng.random(network.n_nodes) < JOB_NODE_SHARE
    jobs = np.where(has_jobs, rng.integers(1, MAX_JOBS_PER_NODE + 1, network.n_nodes), 0).astype(float)
    upper = network.graph.tocoo()
    keep = upper.row < upper.col
    with tempfile.TemporaryDirectory() as folder:
        streets_path, jobs_path, graph_path = (str(Path(folder) / n) for n in ("streets.parquet", "jobs.npz", "graph.npz"))
        streets.to_parquet(streets_path)
        np.savez(jobs_path, jobs=jobs)
        np.savez(graph_path, x=network.node_xy[:, 0], y=network.node_xy[:, 1], u=upper.row[keep], v=upper.col[keep],
                 length=upper.data[keep], jobs=jobs)
        ours = in_child(run_ours, streets_path, jobs_path, cutoff_m)
        theirs = in_child(run_pandana, graph_path, cutoff_m)

    differ = np.flatnonzero(np.abs(ours["sums"] - theirs["sums"]) > 1e-6)
    explained = differences_explained(network, jobs, differ, cutoff_m)
    print()  # pandana's progress line ends without a newline
    source = args.streets or f"grid {args.side} x {args.side}, {BLOCK_M:g} m blocks"
    print(f"network: {source}: {network.n_nodes:,} nodes, {network.graph.nnz // 2:,} edges; "
          f"jobs on {int(has_jobs.sum()):,} nodes ({jobs.sum():,.0f}); cut-off {cutoff_m:g} m ({args.minutes:g} min walking)")
    print(f"machine: {platform.machine()}, {mp.cpu_count()} cores, Python {platform.python_version()}")
    for name, r in (("ours", ours), ("pandana", theirs)):
        print(f"{name:8s} build {r['build_s']:8.2f} s   query {r['query_s']:7.2f} s   total {r['build_s'] + r['query_s']:8.2f} s"
              f"   peak RSS {r['rss_mib']:7.0f} MiB (+{r['rss_mib'] - r['rss_before_mib']:.0f} MiB during the run)"
              + (f", traced numpy/Python peak {r['traced_mib']:.0f} MiB" if "traced_mib" in r else "")
              + (f"; query = precompute {r['precompute_s']:.2f} s + set/aggregate {r['aggregate_s']:.2f} s"
                 if "precompute_s" in r else ""))
    print(f"ratio ours / pandana: query {ours['query_s'] / theirs['query_s']:.2f}, "
          f"build + query {(ours['build_s'] + ours['query_s']) / (theirs['build_s'] + theirs['query_s']):.3f}")
    print(f"sums: {len(network.node_xy) - len(differ):,} of {network.n_nodes:,} nodes equal; {len(differ)} differ"
          + (f", each with a job node within {ROUNDING_BAND_M} m of the cut-off (pandana's millimetre rounding)"
             if len(differ) and explained else ""))
    if not explained:
        raise SystemExit("the sums differ beyond pandana's millimetre rounding: ours is wrong somewhere")


if __name__ == "__main__":
    main()
