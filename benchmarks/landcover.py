"""Time the land-cover figures per housing area (CONTRACT 6c): the zonal figures over every area and its ring,
and the nature_friendly scenario (lawn picked, then every area's figures again).

Reads what ingest wrote for a project (data/processed/housing_areas.parquet and land_cover.tif), so run the
pipeline's ingest first, e.g. on the demo:
    python -m pipeline demo-data --out data/raw && python -m pipeline run --stage ingest
    python benchmarks/landcover.py [--config config/pipeline.yaml] [--repeat 5]
Each step runs --repeat times; the median and the fastest are printed with the machine and the raster's size,
for docs/benchmarks.md. Nothing is asserted about the time.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import time
from datetime import UTC, datetime

import geopandas as gpd
import rasterio

from pipeline.access.landcover import area_landcover, nature_friendly
from pipeline.core.config import load_config


def timed(repeat: int, func, *args) -> tuple[list[float], object]:
    seconds, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func(*args)
        seconds.append(time.perf_counter() - start)
    return seconds, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="config/pipeline.yaml")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    config = load_config(args.config)
    areas = gpd.read_parquet(config.processed("housing_areas.parquet"))
    raster = config.processed("land_cover.tif")
    with rasterio.open(raster) as src:
        size = f"{src.width} x {src.height} cells of {abs(src.transform.a):g} m"
    settings = config["green"]
    zonal, figures = timed(args.repeat, area_landcover, raster, areas, settings, config.crs)
    scenario, _ = timed(args.repeat, nature_friendly, raster, areas, figures, settings, config.crs)
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.processor() or platform.machine()}, "
          f"{os.cpu_count()} cores, Python {platform.python_version()}, rasterio {rasterio.__version__}")
    print(f"{len(areas)} housing areas, ring {settings['buffer_m']:g} m; land_cover.tif {size}")
    for name, seconds in (("zonal figures (areas and rings)", zonal), ("nature_friendly scenario", scenario)):
        print(f"  {name}: median {statistics.median(seconds):.3f} s, fastest {min(seconds):.3f} s "
              f"({len(seconds)} runs)")
    print(f"  peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
