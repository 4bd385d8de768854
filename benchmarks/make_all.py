"""Time the demo generator, a first `make all` stage by stage, a second one with nothing changed, and an
unchanged refresh; optionally the same for a baseline checkout in the same run.

Each project runs in a temporary copy (code, config, Makefile; empty data folders) with this virtual
environment, so nothing is installed. The first `make all` is timed one stage target at a time
(`make ingest`, `make mix`, ... in pipeline order; each target runs its stage in a fresh process, as
`make all` does), so the sum is the first `make all` and the publish share can be read off; the CPU seconds
of each stage (user + system of make and its children) are given too, the share the machine's other load
disturbs least.
Usage: python benchmarks/make_all.py [--scale 1] [--baseline /path/to/other/checkout]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
STAGES = ("ingest", "mix", "access", "scenarios", "publish")


def cpu_of_children() -> float:
    """CPU seconds (user + system) of every finished child process and their own children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command: list[str], cwd: Path, cpu: dict[str, float] | None = None, name: str = "") -> float:
    """Seconds a command took (and, into `cpu[name]`, the CPU seconds it and its children used: a figure the
    other processes of a shared machine disturb far less than wall time); stop with its output when it fails."""
    started, cpu_started = time.perf_counter(), cpu_of_children()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")
    if cpu is not None:
        cpu[name] = cpu_of_children() - cpu_started
    return time.perf_counter() - started


def copy_project(source: Path, root: Path) -> None:
    """The code, config and Makefile of a checkout, with empty data folders."""
    for name in ("pipeline", "config"):
        shutil.copytree(source / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(source / name, root / name)
    for folder in ("data/raw", "data/processed", "maps", "logs"):
        (root / folder).mkdir(parents=True)
    os.utime(root / "pyproject.toml", (0, 0))


def walk_nodes(raw: Path) -> int:
    """Nodes of the routable walk network of the demo streets (this checkout's network builder)."""
    import geopandas as gpd

    from pipeline.network import build_network

    streets = gpd.read_file(raw / "municipality.gpkg", layer="streets", engine="pyogrio")
    return build_network(streets, tolerance_m=1.0, mode="walk").n_nodes


def measure(source: Path, scale: float) -> dict[str, float]:
    """Every figure for one checkout, in a fresh temporary copy of it."""
    venv = Path(sys.prefix)
    python = str(venv / "bin" / "python")
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        copy_project(source, root)
        (root / ".installed").touch()
        make = ["make", f"VENV={venv}", "QUIET=--quiet", f"INSTALLED={root / '.installed'}"]
        figures = {"demo-data": timed([python, "-m", "pipeline", "demo-data", "--out", "data/raw",
                                       "--scale", str(scale)], root)}
        figures["walk nodes"] = float(walk_nodes(root / "data" / "raw"))
        cpu: dict[str, float] = {}
        for stage in STAGES:
            figures[f"  make {stage}"] = timed([*make, stage], root, cpu, stage)
        figures["make all (first)"] = sum(figures[f"  make {stage}"] for stage in STAGES)
        figures["publish share"] = figures["  make publish"] / figures["make all (first)"]
        figures["  make publish CPU"] = cpu["publish"]
        figures["make all (first) CPU"] = sum(cpu.values())
        figures["publish share of CPU"] = cpu["publish"] / sum(cpu.values())
        figures["make all (nothing changed)"] = timed([*make, "all"], root)
        figures["refresh (nothing changed)"] = timed([python, "-m", "pipeline", "--quiet", "refresh"], root)
        pages = sorted((root / "maps").glob("*.html"))
        figures["pages written"] = float(len(pages))
        figures["largest page MB"] = max(p.stat().st_size for p in pages) / 1e6
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--baseline", type=Path, help="another checkout (e.g. the main branch) measured in the same run")
    args = parser.parse_args()
    runs = {"this checkout": measure(REPO, args.scale)}
    if args.baseline:
        runs["baseline"] = measure(args.baseline.resolve(), args.scale)
    load = os.getloadavg()
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; {date.today()}; "
          f"load average at the end {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print(f"scale: {args.scale}" + (f"; baseline: {args.baseline}" if args.baseline else ""))
    print(f"{'':28s}" + "".join(f"{name:>16s}" for name in runs))
    for figure in runs["this checkout"]:
        cells = []
        for values in runs.values():
            value = values[figure]
            if figure in ("walk nodes", "pages written"):
                cells.append(f"{value:16,.0f}")
            elif figure.startswith("publish share"):
                cells.append(f"{value:15.1%} ")
            elif figure.endswith("MB"):
                cells.append(f"{value:16.2f}")
            else:
                cells.append(f"{value:14.2f} s")
        print(f"{figure:28s}" + "".join(cells))


if __name__ == "__main__":
    main()
