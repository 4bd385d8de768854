"""Per-chunk costs at real street density: the figures docs/scaling.md builds the national model from.

Generates the demo at one scale (default 10: about 58,000 parcels, 90,000 walkable nodes), ingests it with
the pipeline and times, on this checkout's code, each kind of work the pipeline splits into chunks:

- searches per 1,000 origins: jobs within 15 min walking (1,200 m), within 30 min cycling (7,500 m) and the
  bounded gravity sum (30 km), each from a random sample of parcels against every job, with the mean number
  of network nodes a bounded search settles (what a search costs grows with that number), and the bike
  network's junctions with the junctions a gravity search settles (the gravity sum searches the junctions);
- zonal statistics: canopy share (exactextract) per 1,000 parcels;
- the whole stages (mix, access, scenarios with the pupils' allocation, publish with its pages), per 1,000
  parcels, each in its own process.

Usage: python benchmarks/costs.py [--scale 10] [--origins 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's pipeline, not whichever copy the environment installed
STAGE_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
STAGES = ("ingest", "mix", "access", "scenarios", "publish")
PROBE = """
import json, sys, time
from pipeline.cli import main
started = time.perf_counter()
status = main(["--quiet", "run", "--force", "--stage", sys.argv[2], "--config", sys.argv[1]])
print(json.dumps({"status": status, "seconds": time.perf_counter() - started}))
"""


def project(folder: Path, scale: float) -> Path:
    """The demo at this scale in folder/raw and a config writing to folder."""
    from pipeline.demo import generate

    raw = folder / "raw"
    generate(raw, seed=42, scale=scale)
    config = yaml.safe_load((REPO / "config" / "pipeline.yaml").read_text())
    config["root"] = "."
    for source in config["sources"].values():
        source["path"] = str(raw / Path(source["path"]).name)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def stage_seconds(config: Path, stage: str) -> float:
    """One stage in a fresh process, as make runs it."""
    result = subprocess.run([sys.executable, "-c", PROBE, str(config), stage], capture_output=True, text=True,
                            cwd=config.parent, env=STAGE_ENV)
    figures = json.loads(result.stdout.strip().splitlines()[-1]) if result.stdout.strip() else {"status": -1}
    if result.returncode != 0 or figures["status"] != 0:
        sys.exit(f"stage {stage} failed:\n{result.stderr[-3000:]}")
    return figures["seconds"]


def settled(network, nodes: np.ndarray, limit_m: float) -> float:
    """Mean number of nodes a search bounded by limit_m settles (on up to 20 of the nodes)."""
    from scipy.sparse.csgraph import dijkstra

    dist = dijkstra(network.graph, indices=nodes[:20], limit=limit_m)
    return float(np.isfinite(dist).sum(axis=1).mean())


def search_costs(config_path: Path, n_origins: int) -> tuple[list[tuple[str, float, float]], dict[str, int]]:
    """(what, seconds per 1,000 origins, nodes settled per search) for the three job searches and the canopy,
    and the sizes that decide how many searches a whole run makes."""
    import geopandas as gpd
    from scipy.sparse.csgraph import dijkstra

    from pipeline.access import canopy_share, job_access_gravity, jobs_within_minutes
    from pipeline.core.config import load_config
    from pipeline.core.io import read_layer
    from pipeline.network import _Chains, load_or_build_network, snap

    config = load_config(config_path)
    settings = config["access"]
    parcels = read_layer(config, "parcels")
    jobs = read_layer(config, "jobs")
    walk, bike = load_or_build_network(config, "walk"), load_or_build_network(config, "bike")
    rng = np.random.default_rng(1)
    sample = parcels.iloc[np.sort(rng.choice(len(parcels), size=min(n_origins, len(parcels)), replace=False))]
    origins = gpd.GeoSeries(sample.geometry.representative_point().to_numpy(), crs=parcels.crs)
    count = jobs["jobs"].fillna(0).to_numpy(dtype=float)
    per = 1000.0 / len(origins)
    walk_m = settings["jobs_walk_minutes"] * settings["walk_m_per_min"]
    bike_m = settings["jobs_bike_minutes"] * settings["bike_m_per_min"]
    gravity_m = float(settings["gravity_max_minutes"]) * settings["bike_m_per_min"]
    rows = []
    for name, network, minutes, speed in (("jobs within 15 min walking", walk, settings["jobs_walk_minutes"], settings["walk_m_per_min"]),
                                          ("jobs within 30 min cycling", bike, settings["jobs_bike_minutes"], settings["bike_m_per_min"])):
        started = time.perf_counter()
        jobs_within_minutes(network, origins, jobs.geometry, count, minutes=minutes, m_per_min=speed, detour_factor=1.3)
        reach = walk_m if network is walk else bike_m
        rows.append((name, (time.perf_counter() - started) * per, settled(network, snap(network, origins)[0], reach)))
    started = time.perf_counter()
    job_access_gravity(bike, origins, jobs.geometry, count, decay_per_m=settings["gravity_beta_per_min"] / settings["bike_m_per_min"],
                       detour_factor=1.3, limit_m=gravity_m)
    rows.append((f"gravity sum within {gravity_m / 1000:g} km", (time.perf_counter() - started) * per,
                 settled(bike, snap(bike, origins)[0], gravity_m)))
    started = time.perf_counter()
    canopy_share(config.processed("canopy.tif"), sample)
    rows.append(("canopy zonal statistics (exactextract)", (time.perf_counter() - started) * per, float("nan")))
    all_origins = parcels.geometry.representative_point()
    chains = _Chains.of(bike.graph)  # the gravity sum searches the junctions only
    ends = np.unique(chains.end[:, snap(bike, origins)[0][:20]])
    sizes = {"bike network nodes": bike.n_nodes, "bike junctions": chains.graph.shape[0],
             "junctions settled per gravity search": round(float(np.isfinite(dijkstra(chains.graph, indices=ends, limit=gravity_m)).sum(axis=1).mean())), "distinct job nodes (bike)": len(np.unique(snap(bike, jobs.geometry)[0])),
             "distinct parcel nodes (bike)": len(np.unique(snap(bike, all_origins)[0]))}
    return rows, sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--origins", type=int, default=1000, help="parcels sampled as search origins")
    parser.add_argument("--stages", nargs="+", default=list(STAGES), choices=STAGES,
                        help="stages to time (ingest always runs: the searches read its output)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="costs-bench-"))
    try:
        config = project(work, args.scale)
        import pyogrio

        parcels = pyogrio.read_info(work / "raw" / "municipality.gpkg", layer="parcels")["features"]
        areas = pyogrio.read_info(work / "raw" / "municipality.gpkg", layer="housing_areas")["features"]
        stages = {stage: stage_seconds(config, stage) for stage in STAGES if stage == "ingest" or stage in args.stages}
        searches, sizes = search_costs(config, args.origins)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load = os.getloadavg()
    print(f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; measured {date.today()}; "
          f"load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} (shared machine).")
    print(f"Demo scale {args.scale:g}: {parcels:,} parcels, {areas:,} housing areas; "
          + ", ".join(f"{k} {v:,}" for k, v in sizes.items()) + ".\n")
    print("| work | seconds per 1,000 origins (parcels) | nodes settled per search |")
    print("|---|---|---|")
    for name, seconds, nodes in searches:
        print(f"| {name} | {seconds:.2f} | {'-' if np.isnan(nodes) else f'{nodes:,.0f}'} |")
    print("\n| stage (own process) | seconds | seconds per 1,000 parcels |")
    print("|---|---|---|")
    for stage, seconds in stages.items():
        print(f"| {stage} | {seconds:.1f} | {seconds * 1000 / parcels:.3f} |")


if __name__ == "__main__":
    main()
