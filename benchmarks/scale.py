"""Time every stage and the whole run at several demo scales with both execution backends.

For each scale, a demo municipality is generated (scale 1 is about 6,000 parcels, 10 about 60,000,
50 about 300,000), then the pipeline runs once with the local backend and once with the dask backend
(a LocalCluster on 127.0.0.1), each stage in its own process so that its peak memory (the process and its
workers) can be read. The areas tables of both backends are compared. Prints a table, and with --write
replaces the scale section of docs/benchmarks.md.

Usage: python benchmarks/scale.py [--scales 1 10 50] [--backends local dask] [--write]
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

import yaml

REPO = Path(__file__).resolve().parents[1]
# This checkout's pipeline, here and in every stage process (not whichever copy the environment installed).
sys.path.insert(0, str(REPO))
STAGE_ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
STAGES = ("ingest", "mix", "access", "scenarios", "publish")
MARK_START = "<!-- scale:start -->"
MARK_END = "<!-- scale:end -->"

# The peak is of the whole process tree (the stage and, with dask, its nanny and worker processes together),
# sampled every 0.2 s by psutil (a dependency of distributed): ru_maxrss would give only the largest process.
PROBE = """
import json, sys, threading, time
import psutil
from pipeline.cli import main
peak = [0]
def sample(stop):
    me = psutil.Process()
    while not stop.is_set():
        total = 0
        for p in [me, *me.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                pass
        peak[0] = max(peak[0], total)
        stop.wait(0.2)
stop = threading.Event()
sampler = threading.Thread(target=sample, args=(stop,), daemon=True)
sampler.start()
started = time.perf_counter()
status = main(["--quiet", "run", "--force", "--stage", sys.argv[2], "--config", sys.argv[1]])
seconds = time.perf_counter() - started
stop.set(); sampler.join()
print(json.dumps({"status": status, "seconds": seconds, "peak_mb": peak[0] / 2**20}))
"""


def run_stage(config: Path, stage: str) -> dict:
    """One stage in a fresh process: seconds and peak memory (MB) of the process and its workers together."""
    result = subprocess.run([sys.executable, "-c", PROBE, str(config), stage], capture_output=True, text=True,
                            cwd=config.parent, env=STAGE_ENV)
    if result.returncode != 0 or not result.stdout.strip():
        sys.exit(f"stage {stage} failed:\n{result.stdout}\n{result.stderr[-3000:]}")
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    if figures["status"] != 0:
        sys.exit(f"stage {stage} exited {figures['status']}:\n{result.stderr[-3000:]}")
    return figures


def make_project(folder: Path, raw: Path, backend: str, partitions: int) -> Path:
    """A config over the shared raw demo files, writing to its own processed and maps folders."""
    config = yaml.safe_load((REPO / "config" / "pipeline.yaml").read_text())
    config["root"] = "."
    for source in config["sources"].values():
        source["path"] = str(raw / Path(source["path"]).name)
    config["execution"] = {"backend": backend, "partitions": partitions}
    folder.mkdir(parents=True)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


def compare_outputs(local: Path, dask: Path) -> str:
    """'identical' when both backends wrote the same areas table and segregation indices."""
    import pandas as pd

    a = pd.read_parquet(local / "data/processed/areas.parquet").drop(columns=["geometry", "run_id"], errors="ignore")
    b = pd.read_parquet(dask / "data/processed/areas.parquet").drop(columns=["geometry", "run_id"], errors="ignore")
    try:
        pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-9, atol=1e-9)
    except AssertionError as err:
        return f"DIFFERENT: {str(err).splitlines()[0]}"
    seg_a = json.loads((local / "data/processed/segregation.json").read_text())
    seg_b = json.loads((dask / "data/processed/segregation.json").read_text())
    return "identical" if seg_a == seg_b else "DIFFERENT segregation.json"


def walk_nodes(raw: Path) -> int:
    """Nodes of the routable walk network of the demo's streets."""
    import geopandas as gpd

    from pipeline.network import build_network

    streets = gpd.read_file(raw / "municipality.gpkg", layer="streets", engine="pyogrio")
    return build_network(streets, tolerance_m=1.0, mode="walk").n_nodes


def page_sizes(folder: Path) -> dict[str, float]:
    """Size of every map page in MB, the profile pages under maps/areas included (the shared assets excluded)."""
    maps = folder / "maps"
    return {p.relative_to(maps).as_posix(): p.stat().st_size / 1e6 for p in sorted(maps.rglob("*.html"))}


def bench_scale(scale: float, backends: list[str], partitions: int, work: Path) -> list[dict]:
    """Generate one scale and run every stage with each backend."""
    from pipeline.demo import generate

    raw = work / f"raw-{scale:g}"
    started = time.perf_counter()
    generate(raw, seed=42, scale=scale)
    demo_s = time.perf_counter() - started
    import pyogrio

    parcels = pyogrio.read_info(raw / "municipality.gpkg", layer="parcels")["features"]
    nodes = walk_nodes(raw)
    rows = []
    for backend in backends:
        config = make_project(work / f"{backend}-{scale:g}", raw, backend, partitions)
        stages = {stage: run_stage(config, stage) for stage in STAGES}
        rows.append({"scale": scale, "parcels": parcels, "walk_nodes": nodes, "backend": backend, "demo_s": demo_s,
                     "stages": stages, "total_s": sum(s["seconds"] for s in stages.values()),
                     "peak_mb": max(s["peak_mb"] for s in stages.values()), "folder": config.parent,
                     "pages": page_sizes(config.parent), "load": os.getloadavg()[0]})
    if len(rows) == 2:
        rows[1]["same_as_local"] = compare_outputs(rows[0]["folder"], rows[1]["folder"])
    return rows


def table(rows: list[dict]) -> str:
    """A Markdown table of the figures, with the growth ratios."""
    header = ("| scale | parcels | walk nodes | backend | demo s | " + " | ".join(f"{s} s" for s in STAGES)
              + " | total s | peak MB | largest page MB | load | outputs vs local |")
    lines = [header, "|" + "---|" * (len(STAGES) + 10)]
    for r in rows:
        cells = [f"{r['stages'][s]['seconds']:.1f}" for s in STAGES]
        page, size = max(r["pages"].items(), key=lambda item: item[1])
        lines.append(f"| {r['scale']:g} | {r['parcels']:,} | {r['walk_nodes']:,} | {r['backend']} | {r['demo_s']:.1f} | "
                     + " | ".join(cells) + f" | {r['total_s']:.1f} | {r['peak_mb']:.0f} | {size:.1f} ({page}) | "
                     f"{r['load']:.1f} | {r.get('same_as_local', '-')} |")
    growth = []
    for backend in {r["backend"] for r in rows}:
        mine = sorted((r for r in rows if r["backend"] == backend), key=lambda r: r["scale"])
        for small, large in zip(mine, mine[1:], strict=False):
            time_ratio = large["total_s"] / small["total_s"]
            parcel_ratio = large["parcels"] / small["parcels"]
            growth.append(f"- {backend}: scale {small['scale']:g} to {large['scale']:g}: parcels x{parcel_ratio:.1f}, "
                          f"time x{time_ratio:.1f} (growth exponent {_exponent(time_ratio, parcel_ratio):.2f}; 1 = linear)")
    return "\n".join(lines) + "\n\n" + "\n".join(sorted(growth))


def _exponent(time_ratio: float, parcel_ratio: float) -> float:
    import math

    return math.log(time_ratio) / math.log(parcel_ratio)


def write_docs(text: str) -> None:
    """Replace the scale section of docs/benchmarks.md (or append it)."""
    path = REPO / "docs" / "benchmarks.md"
    doc = path.read_text(encoding="utf-8")
    section = f"{MARK_START}\n{text}\n{MARK_END}"
    if MARK_START in doc:
        doc = doc[: doc.index(MARK_START)] + section + doc[doc.index(MARK_END) + len(MARK_END):]
    else:
        doc = doc.rstrip() + "\n\n## Scale-out: every stage at scales 1, 10 and 50 (`benchmarks/scale.py`)\n\n" + section + "\n"
    path.write_text(doc, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 10, 50])
    parser.add_argument("--backends", nargs="+", default=["local", "dask"], choices=["local", "dask"])
    parser.add_argument("--partitions", type=int, default=4)
    parser.add_argument("--write", action="store_true", help="write the table into docs/benchmarks.md")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="scale-bench-"))
    try:
        rows = [row for scale in args.scales for row in bench_scale(scale, args.backends, args.partitions, work)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    machine = (f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
               f"measured {date.today()}. Demo generation is not included in the totals; load = 1-minute load "
               f"average after the run (the machine is shared).")
    text = machine + "\n\n" + table(rows)
    print(text)
    if args.write:
        write_docs(text)


if __name__ == "__main__":
    main()
