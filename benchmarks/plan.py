"""Time the plan over time (CONTRACT 6a): the trajectory alone, and all three plan tables, on a project's data.

Reads what the scenarios stage reads (areas_mix, areas_mix_history, parcels_mix and plan_projects of the
project's data/processed, so run the pipeline up to mix first) and times, in a fresh process per project:
- the trajectory: the whole plan and the whole plan without arrivals (2 variants), every area, every year from the
  data's year to plan.horizon (pipeline.scenarios.plan_trajectory.simulate);
- the tables: plan_trajectory, plan_rehousing and plan_projects_effect together (pipeline.scenarios.plan_tables,
  which also runs the plan without each project and without any: projects + 3 variants);
- the plan's step as the scenarios stage runs it, its reads and writes left out (pipeline.scenarios.plan.plan_outputs:
  the checks, the settings from the parcels, the tables, the warnings).
Each is run --repeat times; the medians (wall time, and CPU time, which the machine's other load disturbs less)
are reported with the process's peak memory (VmHWM; its resident memory
after the reads beside it), the load average and the date. The first project is the baseline of the ratios.
--replicate N copies the areas and the plan N times (ids suffixed), a harsher stand-in for a larger municipality
than the demo at scale N (whose plan stays the three estates' 13 projects): N times the areas and N times the
projects, so N times the variants too.

Usage: python -m pipeline demo-data --out data/raw && python -m pipeline --quiet run
       python benchmarks/plan.py [--config config/pipeline.yaml ...] [--repeat 5] [--replicate 10]
       python benchmarks/plan.py --scales 1 50 --work /tmp/plan-bench [--repeat 3]
(--scales generates the demo at each scale in --work, unless there already, and runs ingest and mix on it.)
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from projects import demo_project, in_child, load, peak_mb, rss_mb  # noqa: E402

STEPS = ("trajectory", "tables", "plan step")


def measure(config_path: str, repeat: int, replicate: int) -> dict:
    """The three steps on one project, in this process."""
    import pandas as pd

    from pipeline.core import datasets
    from pipeline.core.config import load_config
    from pipeline.scenarios.plan import data_year, plan_outputs, settings_of
    from pipeline.scenarios.plan_tables import check_projects, plan_tables, variants
    from pipeline.scenarios.plan_trajectory import simulate

    config = load_config(config_path)
    started = time.perf_counter()
    with datasets.running("scenarios"):
        areas_mix = datasets.read(config, "areas_mix")
        history = datasets.read(config, "areas_mix_history")
        parcels = datasets.read(config, "parcels_mix")
        projects = datasets.read(config, "plan_projects")
    read_s = time.perf_counter() - started
    areas = pd.DataFrame(areas_mix.drop(columns="geometry")).reset_index(drop=True)
    if replicate > 1:
        areas = pd.concat([areas.assign(area_id=areas["area_id"].astype(str) + f"-{k}") for k in range(replicate)],
                          ignore_index=True)
        projects = pd.concat([projects.assign(area_id=projects["area_id"].astype(str) + f"-{k}",
                                              project_id=projects["project_id"].astype(str) + f"-{k}")
                              for k in range(replicate)], ignore_index=True)
        areas_mix = areas
    year = data_year(history, config)
    settings = settings_of(config, areas, parcels, year)
    mix_config = config["mix"] | {"tenures": list(config["ingest"]["tenures"])}
    checked = check_projects(projects, settings.kinds, pd.Index(areas["area_id"].astype("str")), year)
    active, arrivals = variants(len(checked.table))
    work = {
        "trajectory": lambda: simulate(areas, checked, settings, mix_config, active[:2], arrivals[:2]),
        "tables": lambda: plan_tables(areas, checked, settings, mix_config),
        "plan step": lambda: plan_outputs(config, projects, areas_mix, parcels, history),
    }
    rss_before, load_before = rss_mb(), load()
    seconds, cpu = {}, {}
    for name in STEPS:
        seconds[name], cpu[name] = [], []
        for _ in range(repeat):
            started, cpu_started = time.perf_counter(), time.process_time()
            work[name]()
            seconds[name].append(time.perf_counter() - started)
            cpu[name].append(time.process_time() - cpu_started)
    return {"config": config_path, "areas": len(areas), "parcels": len(parcels), "projects": len(checked.table),
            "variants": len(active), "years": f"{year}-{settings.horizon}", "n_years": settings.horizon - year + 1,
            "read_s": read_s, "seconds": seconds, "cpu": cpu, "rss_before_mb": rss_before, "peak_mb": peak_mb(),
            "load": [load_before, load()], "at": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"}


def report(rows: list[dict], label: list[str]) -> str:
    """A Markdown table of the medians, each project against the first (the baseline)."""
    base = rows[0]
    lines = ["| project | areas x years | projects (variants) | trajectory s (CPU s) | all three tables s (CPU s) | "
             "plan step s (CPU s) | reads s | RSS after reads MB | peak MB | load before, after | "
             "CPU vs baseline (tables) | areas vs baseline |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
    for name, r in zip(label, rows, strict=True):
        med = {s: statistics.median(r["seconds"][s]) for s in STEPS}
        cpu = {s: statistics.median(r["cpu"][s]) for s in STEPS}
        ratio = cpu["tables"] / statistics.median(base["cpu"]["tables"])
        areas = r["areas"] / base["areas"]
        exponent = f" (exponent {math.log(ratio) / math.log(areas):.2f})" if r is not base and areas > 1 else ""
        lines.append(f"| {name} | {r['areas']:,} x {r['n_years']} ({r['years']}) | {r['projects']} ({r['variants']}) | "
                     + " | ".join(f"{med[s]:.2f} ({cpu[s]:.2f})" for s in STEPS) + f" | {r['read_s']:.1f} | "
                     f"{r['rss_before_mb']:.0f} | {r['peak_mb']:.0f} | {r['load'][0]:.1f}, {r['load'][1]:.1f} | "
                     f"x{ratio:.1f}{exponent} | x{areas:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", nargs="+", default=["config/pipeline.yaml"])
    parser.add_argument("--scales", type=float, nargs="+", help="demo scales to generate in --work (instead of --config)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/plan-bench"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--replicate", type=int, default=1)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.config[0], args.repeat, args.replicate)))
        return
    configs, label = [], []
    for scale in args.scales or []:
        path, took = demo_project(args.work / f"scale-{scale:g}", scale, ("ingest", "mix"))
        configs.append(str(path))
        label.append(f"demo scale {scale:g}")
        for step, (seconds, at_load) in took.items():
            print(f"# scale {scale:g}: {step} {seconds:.1f} s (load {at_load:.1f} after)")
    if not args.scales:
        configs, label = list(args.config), list(args.config)
    if args.replicate > 1:
        label = [f"{name}, replicated x{args.replicate}" for name in label]
    rows = [in_child(Path(__file__), ["--config", c, "--repeat", str(args.repeat), "--replicate", str(args.replicate)])
            for c in configs]
    print(f"# plan over time: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {rows[0]['at']} to {rows[-1]['at']}; medians of {args.repeat}")
    print(report(rows, label))
    for name, r in zip(label, rows, strict=True):
        print(f"# {name}: " + "; ".join(f"{s} " + ", ".join(f"{t:.2f}" for t in r["seconds"][s]) for s in STEPS))


if __name__ == "__main__":
    main()
