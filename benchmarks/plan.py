"""Time the plan over time (CONTRACT 6a): the trajectory alone, and all three plan tables, on a project's data.

Reads what the scenarios stage reads (areas_mix, areas_mix_history, parcels_mix and plan_projects of the
project's data/processed, so run the pipeline first) and times, in this process:
- the trajectory: the whole plan and the whole plan without arrivals (2 variants), every area, every year from the
  data's year to plan.horizon (pipeline.scenarios.plan_trajectory.simulate);
- the tables: plan_trajectory, plan_rehousing and plan_projects_effect together (pipeline.scenarios.plan_tables,
  which also runs the plan without each project and without any: projects + 3 variants).
Each is run --repeat times; the medians are reported with the machine and the date. --replicate N copies the
areas and the plan N times (ids suffixed), a harsher stand-in for a larger municipality than the demo at scale N
(whose plan stays the three estates' 13 projects): N times the areas and N times the projects, so N times the
variants too.

Usage: python -m pipeline demo-data --out data/raw && python -m pipeline --quiet run
       python benchmarks/plan.py [--config config/pipeline.yaml] [--repeat 5] [--replicate 10]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from datetime import UTC, datetime

import numpy as np
import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="config/pipeline.yaml")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--replicate", type=int, default=1)
    args = parser.parse_args()

    from pipeline.core import datasets
    from pipeline.core.config import load_config
    from pipeline.scenarios.plan import data_year, settings_of
    from pipeline.scenarios.plan_tables import check_projects, plan_tables, variants
    from pipeline.scenarios.plan_trajectory import simulate

    config = load_config(args.config)
    with datasets.running("scenarios"):
        areas = pd.DataFrame(datasets.read(config, "areas_mix").drop(columns="geometry")).reset_index(drop=True)
        history = datasets.read(config, "areas_mix_history")
        parcels = datasets.read(config, "parcels_mix")
        projects = datasets.read(config, "plan_projects")
    if args.replicate > 1:
        areas = pd.concat([areas.assign(area_id=areas["area_id"].astype(str) + f"-{k}") for k in range(args.replicate)],
                          ignore_index=True)
        projects = pd.concat([projects.assign(area_id=projects["area_id"].astype(str) + f"-{k}",
                                              project_id=projects["project_id"].astype(str) + f"-{k}")
                              for k in range(args.replicate)], ignore_index=True)
    year = data_year(history, config)
    settings = settings_of(config, areas, parcels, year)
    mix_config = config["mix"] | {"tenures": list(config["ingest"]["tenures"])}
    checked = check_projects(projects, settings.kinds, pd.Index(areas["area_id"].astype("str")), year)
    active, arrivals = variants(len(checked.table))

    def trajectory() -> None:
        simulate(areas, checked, settings, mix_config, active[:2], arrivals[:2])

    def tables() -> None:
        plan_tables(areas, checked, settings, mix_config)

    times = {}
    for name, work in (("trajectory (whole plan, with and without arrivals)", trajectory),
                       (f"all three tables ({len(active)} variants)", tables)):
        runs = []
        for _ in range(args.repeat):
            started = time.perf_counter()
            work()
            runs.append(time.perf_counter() - started)
        times[name] = runs
    years = settings.horizon - year + 1
    print(f"# plan over time: {len(areas)} areas x {years} years ({year}-{settings.horizon}), "
          f"{len(checked.table)} projects; {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"load {os.getloadavg()[0]:.1f}, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    for name, runs in times.items():
        print(f"{name}: median {statistics.median(runs):.2f} s, min {min(runs):.2f} s, "
              f"max {max(runs):.2f} s over {len(runs)} runs ({', '.join(f'{r:.2f}' for r in np.round(runs, 2))})")


if __name__ == "__main__":
    main()
