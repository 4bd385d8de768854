"""Demo projects at a given scale and measurements in a fresh process, shared by benchmarks/plan.py and
benchmarks/landcover.py.

`demo_project(folder, scale, stages)` generates the demo municipality at that scale into folder/raw (unless it
is there already: at scale 50 the generator takes several minutes), writes folder/config.yaml over it, and runs
the given pipeline stages (each in its own process, as make runs them) unless their outputs are there.
`in_child(script, args)` runs a benchmark script's measuring step in a fresh process and returns the JSON it
prints last, so each figure comes with that process's own peak memory (VmHWM).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]


def env() -> dict[str, str]:
    """This process's environment (as it is now) with this checkout's pipeline first on the path."""
    path = os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {**os.environ, "PYTHONPATH": path}

# A stage's output whose presence says the stage has run on this project.
STAGE_OUTPUT = {"ingest": "housing_areas.parquet", "mix": "areas_mix.parquet", "access": "areas_access.parquet",
                "scenarios": "plan_trajectory.parquet"}


def rss_mb() -> float:
    """This process's resident memory now (MB)."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_mb() -> float:
    """This process's peak resident memory so far (MB): VmHWM, the high-water mark of its own memory since exec
    (ru_maxrss would keep the parent's mark from before the exec, since a child starts as a fork of it)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def load() -> float:
    """The 1-minute load average (the machine is shared)."""
    return os.getloadavg()[0]


def demo_project(folder: Path, scale: float, stages: tuple[str, ...] = ()) -> tuple[Path, dict]:
    """The demo at this scale in folder/raw with folder/config.yaml over it, the stages run; and what it took
    (seconds and load of each step done now: an existing demo or stage output is reused, not timed)."""
    raw = folder / "raw"
    took: dict[str, tuple[float, float]] = {}
    if not (raw / "README.txt").exists():
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", "import sys; from pipeline.demo import generate; "
                                 "generate(sys.argv[1], seed=42, scale=float(sys.argv[2]))", str(raw), str(scale)],
                                env=env(), capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"the demo at scale {scale:g} failed:\n{result.stderr[-3000:]}")
        took["demo"] = (time.perf_counter() - started, load())
    config = yaml.safe_load((REPO / "config" / "pipeline.yaml").read_text(encoding="utf-8"))
    config["root"] = "."
    for source in config["sources"].values():
        source["path"] = str(raw / Path(source["path"]).name)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    for stage in stages:
        if (folder / "data" / "processed" / STAGE_OUTPUT[stage]).exists():
            continue
        started = time.perf_counter()
        result = subprocess.run([sys.executable, "-m", "pipeline", "--quiet", "run", "--stage", stage, "--config", str(path)],
                                cwd=folder, env=env(), capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(f"stage {stage} failed on {folder}:\n{result.stderr[-3000:]}")
        took[stage] = (time.perf_counter() - started, load())
    return path, took


def in_child(script: Path, args: list[str]) -> dict:
    """Run `script --child args` in a fresh process; the JSON object it printed last."""
    result = subprocess.run([sys.executable, str(script), "--child", *args], capture_output=True, text=True, env=env())
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if result.returncode != 0 or not lines:
        sys.exit(f"{script.name} {' '.join(args)} failed:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}")
    return json.loads(lines[-1])
