"""Time the land-cover figures per housing area (CONTRACT 6c), and show that no step loads the raster whole.

Two ways to run it:
- on a project's ingested data (data/processed/housing_areas.parquet and land_cover.tif), e.g. the demo:
      python -m pipeline demo-data --out data/raw && python -m pipeline run --stage ingest
      python benchmarks/landcover.py [--config config/pipeline.yaml] [--repeat 5]
- at demo scales, with a generated raster: for each scale the demo municipality is generated in --work (unless
  there already; only its housing areas are used), then a Basemap-style classified raster (uint16 codes, 10 m,
  tiled GeoTIFF) over the areas' bounds and a margin is written window by window (1,024 x 1,024 cells at a
  time), so at scale 50 a raster of about 76 x 61 km (7,551 x 6,143 cells, of which ingest copies 7,351 x 5,943)
  never exists whole in memory; `--cells 7000 6000` sets the last scale's size instead (centred on the areas;
  `--cells 45000 36000 --only-copy` is a national-size source). Then ingest's windowed copy
  (pipeline.sources.land_cover.copy_classes over the areas' bounds and ingest.land_cover_margin_m) and the steps
  below run on the copy:
      python benchmarks/landcover.py --scales 1 50 --work /tmp/landcover-bench [--repeat 3]

Timed, each in a fresh process so that its peak memory (VmHWM) is its own: the zonal figures over every area
and its ring (pipeline.access.landcover.area_landcover), the nature_friendly scenario (lawn picked, then every
area's figures again), and, as the reference for memory, the raster read whole through the same reader
(read_classes on one window of the whole raster). The steps' reads are counted (the largest window and the cells
read in all), and the process's resident memory before the steps (after a warm-up on three areas) is given
beside its peak, so the windowed reading shows in the figures. Wall and CPU times are given; nothing is asserted
about them. The first scale is the baseline of the ratios. GDAL_CACHEMAX (GDAL's block cache, by default 5 % of
the machine's memory) is passed on with --gdal-cache-mb.
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

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from projects import demo_project, in_child, load, peak_mb, rss_mb  # noqa: E402

WINDOW = 1024  # rows and columns the generator writes at a time
SOURCE_MARGIN_M = 2000.0  # the generated raster reaches this far beyond the housing areas (ingest copies less)
PATCH_CELLS = 5  # the generated land cover is drawn in patches of 5 x 5 cells (50 m), neighbours of a class joined
# Basemap-style codes (those of the demo's raster, pipeline/demo/landcover.py) and the share of patches of each.
PATCH_SHARES = {900: 0.28, 210: 0.20, 110: 0.10, 120: 0.08, 310: 0.14, 330: 0.09, 320: 0.07, 410: 0.04}
SPECKLE = {110: 0.04, 0: 0.005}  # cells drawn over the patches: small buildings, and nodata


def _hash01(rows: np.ndarray, cols: np.ndarray, seed: int) -> np.ndarray:
    """A uniform number in [0, 1) per (row, column), the same whatever window asks (splitmix64)."""
    x = (rows.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)) ^ (cols.astype(np.uint64) * np.uint64(0xC2B2AE3D27D4EB4F))
    x = x + np.uint64(seed) * np.uint64(0x165667B19E3779F9)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def synthetic_codes(row0: int, col0: int, rows: int, cols: int, seed: int = 42) -> np.ndarray:
    """The generated raster's codes (uint16) in one window: patches drawn by PATCH_SHARES, SPECKLE over them."""
    r = np.arange(row0, row0 + rows)[:, None]
    c = np.arange(col0, col0 + cols)[None, :]
    codes_of = np.array(list(PATCH_SHARES), dtype=np.uint16)
    edges = np.cumsum(list(PATCH_SHARES.values()))[:-1]
    codes = codes_of[np.searchsorted(edges, _hash01(r // PATCH_CELLS, c // PATCH_CELLS, seed), side="right")]
    fine = _hash01(r, c, seed + 1)
    low = 0.0
    for code, share in SPECKLE.items():
        codes[(fine >= low) & (fine < low + share)] = code
        low += share
    return codes


def write_raster(path: Path, bounds: tuple[float, float, float, float], cell_m: float, crs: str) -> dict:
    """Write the generated raster over bounds window by window; its size and what it took."""
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    width, height = round((bounds[2] - bounds[0]) / cell_m), round((bounds[3] - bounds[1]) / cell_m)
    profile = {"driver": "GTiff", "width": width, "height": height, "count": 1, "dtype": "uint16", "nodata": 0,
               "crs": crs, "transform": from_origin(bounds[0], bounds[3], cell_m, cell_m), "compress": "deflate",
               "tiled": True, "blockxsize": 256, "blockysize": 256, "BIGTIFF": "IF_SAFER"}
    started, cpu_started, largest = time.perf_counter(), time.process_time(), 0
    with rasterio.open(path, "w", **profile) as dst:
        for row0 in range(0, height, WINDOW):
            for col0 in range(0, width, WINDOW):
                rows, cols = min(WINDOW, height - row0), min(WINDOW, width - col0)
                dst.write(synthetic_codes(row0, col0, rows, cols), 1, window=Window(col0, row0, cols, rows))
                largest = max(largest, rows * cols)
    return {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu_started, "width": width,
            "height": height, "largest_window": largest,
            "peak_mb": peak_mb(), "file_mb": path.stat().st_size / 2**20}


def raster_bounds(areas_bounds: np.ndarray, cells: list[int] | None, cell_m: float) -> tuple[float, ...]:
    """The generated raster's bounds: the areas' with SOURCE_MARGIN_M, or `cells` centred on them; on the cell grid."""
    if cells:
        cx, cy = (areas_bounds[0] + areas_bounds[2]) / 2, (areas_bounds[1] + areas_bounds[3]) / 2
        x0, y0 = math.floor((cx - cells[0] * cell_m / 2) / cell_m) * cell_m, math.floor((cy - cells[1] * cell_m / 2) / cell_m) * cell_m
        return (x0, y0, x0 + cells[0] * cell_m, y0 + cells[1] * cell_m)
    lo = np.floor((areas_bounds[:2] - SOURCE_MARGIN_M) / cell_m) * cell_m
    hi = np.ceil((areas_bounds[2:] + SOURCE_MARGIN_M) / cell_m) * cell_m
    return (float(lo[0]), float(lo[1]), float(hi[0]), float(hi[1]))


def ingest_copy(source: Path, target: Path, areas_path: Path, config_path: str) -> dict:
    """Ingest's copy of the source over the areas' bounds and margin (window by window), as the stage does it."""
    import geopandas as gpd

    from pipeline.core.config import load_config
    from pipeline.demo.landcover import CLASS_TABLE
    from pipeline.sources.land_cover import cell_window, copy_classes, open_land_cover

    config = load_config(config_path)
    areas = gpd.read_file(areas_path, layer="housing_areas", engine="pyogrio")
    margin = float(config["ingest"]["land_cover_margin_m"])
    box = areas.total_bounds
    rss_before, started, cpu_started = rss_mb(), time.perf_counter(), time.process_time()
    with open_land_cover(source, config.crs) as dataset:
        window = cell_window(dataset, (box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin))
        unnamed = copy_classes(dataset, window, CLASS_TABLE, target)
    return {"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu_started,
            "width": int(window.width), "height": int(window.height), "unnamed": len(unnamed),
            "rss_before_mb": rss_before, "peak_mb": peak_mb()}


def zonal(raster: Path, areas_path: Path, config_path: str, repeat: int) -> dict:
    """The zonal figures and the scenario, each --repeat times, their reads counted."""
    import geopandas as gpd

    import pipeline.access.landcover as landcover
    from pipeline.core.config import load_config

    config = load_config(config_path)
    areas = (gpd.read_parquet(areas_path) if areas_path.suffix == ".parquet"
             else gpd.read_file(areas_path, layer="housing_areas", engine="pyogrio").to_crs(config.crs))
    reads = {"count": 0, "cells": 0, "largest": 0}
    real_read = landcover.read_classes

    def counted(dataset, window, *args):
        """read_classes, its window counted."""
        cells = int(window.width) * int(window.height)
        reads.update(count=reads["count"] + 1, cells=reads["cells"] + cells, largest=max(reads["largest"], cells))
        return real_read(dataset, window, *args)

    settings = config["green"]
    # a warm-up on three areas, so that the resident memory before the steps holds the lazily imported modules
    landcover.nature_friendly(raster, areas.head(3), landcover.area_landcover(raster, areas.head(3), settings, config.crs),
                              settings, config.crs)
    landcover.read_classes = counted
    rss_before, load_before = rss_mb(), load()
    seconds: dict[str, list[float]] = {"zonal": [], "scenario": []}
    cpu: dict[str, list[float]] = {"zonal": [], "scenario": []}
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        figures = landcover.area_landcover(raster, areas, settings, config.crs)
        seconds["zonal"].append(time.perf_counter() - started)
        cpu["zonal"].append(time.process_time() - cpu_started)
        started, cpu_started = time.perf_counter(), time.process_time()
        landcover.nature_friendly(raster, areas, figures, settings, config.crs)
        seconds["scenario"].append(time.perf_counter() - started)
        cpu["scenario"].append(time.process_time() - cpu_started)
    return {"areas": len(areas), "chosen": int(landcover.chosen_areas(areas, settings).sum()), "seconds": seconds, "cpu": cpu,
            "reads_per_run": reads["count"] / repeat, "cells_per_run": reads["cells"] / repeat,
            "largest_window": reads["largest"], "rss_before_mb": rss_before, "peak_mb": peak_mb(),
            "load": [load_before, load()], "ring_m": settings["buffer_m"],
            "at": f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"}


def whole(raster: Path) -> dict:
    """The reference: the raster read whole through the same reader (one window of the whole raster)."""
    import rasterio
    from rasterio.windows import Window

    from pipeline.sources.land_cover import read_classes

    with rasterio.open(raster) as dataset:
        rss_before = rss_mb()
        started = time.perf_counter()
        cls = read_classes(dataset, Window(0, 0, dataset.width, dataset.height))
        return {"seconds": time.perf_counter() - started, "cells": int(cls.size), "array_mb": cls.nbytes / 2**20,
                "rss_before_mb": rss_before, "peak_mb": peak_mb(), "width": dataset.width, "height": dataset.height,
                "cell_m": abs(dataset.transform.a)}


def child(args: argparse.Namespace) -> dict:
    """One measuring step, in this (fresh) process."""
    spec = json.loads(args.spec)
    if spec["step"] == "write":
        return write_raster(Path(spec["path"]), tuple(spec["bounds"]), spec["cell_m"], spec["crs"])
    if spec["step"] == "ingest":
        return ingest_copy(Path(spec["source"]), Path(spec["target"]), Path(spec["areas"]), spec["config"])
    if spec["step"] == "zonal":
        return zonal(Path(spec["raster"]), Path(spec["areas"]), spec["config"], spec["repeat"])
    return whole(Path(spec["raster"]))


def run_child(spec: dict, cache_mb: int | None) -> dict:
    """A step in a fresh process (with GDAL_CACHEMAX when given)."""
    if cache_mb is not None:
        os.environ["GDAL_CACHEMAX"] = str(cache_mb)
    return in_child(Path(__file__), ["--spec", json.dumps(spec)])


def measure_scale(scale: float, work: Path, cells: list[int] | None, repeat: int, cache_mb: int | None,
                  only_copy: bool = False) -> dict:
    """Generate the demo's areas and the raster at one scale; the ingest copy, the steps and the reference."""
    import pyogrio

    folder = work / f"scale-{scale:g}"
    config, took = demo_project(folder, scale)
    areas = folder / "raw" / "municipality.gpkg"
    info = pyogrio.read_info(areas, layer="housing_areas")
    source, target = folder / "basemap_10m.tif", folder / "land_cover_ingested.tif"
    bounds = raster_bounds(np.asarray(info["total_bounds"]), cells, 10.0)
    out = {"scale": scale, "demo": took.get("demo"),
           "write": run_child({"step": "write", "path": str(source), "bounds": bounds, "cell_m": 10.0,
                               "crs": str(info["crs"])}, cache_mb)}
    out["ingest"] = run_child({"step": "ingest", "source": str(source), "target": str(target), "areas": str(areas),
                               "config": str(config)}, cache_mb)
    if only_copy:
        return out
    out["zonal"] = run_child({"step": "zonal", "raster": str(target), "areas": str(areas), "config": str(config),
                              "repeat": repeat}, cache_mb)
    out["whole"] = run_child({"step": "whole", "raster": str(target)}, cache_mb)
    return out


def measure_project(config_path: str, repeat: int, cache_mb: int | None) -> dict:
    """The steps and the reference on a project's ingested data."""
    from pipeline.core.config import load_config

    config = load_config(config_path)
    raster, areas = config.processed("land_cover.tif"), config.processed("housing_areas.parquet")
    return {"scale": None, "config": config_path,
            "zonal": run_child({"step": "zonal", "raster": str(raster), "areas": str(areas), "config": config_path,
                                "repeat": repeat}, cache_mb),
            "whole": run_child({"step": "whole", "raster": str(raster)}, cache_mb)}


def report(rows: list[dict], repeat: int) -> str:
    """Markdown tables: the raster and its copy, then the steps against the first row (the baseline)."""
    import rasterio

    lines = [f"# land cover: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
             f"{platform.python_version()}, rasterio {rasterio.__version__}, GDAL_CACHEMAX "
             f"{os.environ.get('GDAL_CACHEMAX', 'default')}; {datetime.now(UTC):%Y-%m-%d %H:%M} UTC"]
    if rows[0].get("write"):
        lines += ["", "| scale | generated raster (cells; file; whole as uint16) | written in s (CPU s; peak MB; "
                      "largest window) | ingest's copy (cells) | copied in s (CPU s; RSS before MB, peak MB) |",
                  "|---|---|---:|---|---:|"]
        for r in rows:
            w, i = r["write"], r["ingest"]
            lines.append(f"| {r['scale']:g} | {w['width']:,} x {w['height']:,} ({w['file_mb']:.1f} MB; "
                         f"{w['width'] * w['height'] * 2 / 2**20:,.0f} MB) | "
                         f"{w['seconds']:.1f} ({w['cpu']:.1f}; {w['peak_mb']:.0f}; {w['largest_window']:,} cells) | "
                         f"{i['width']:,} x {i['height']:,} | {i['seconds']:.1f} ({i['cpu']:.1f}; "
                         f"{i['rss_before_mb']:.0f}, {i['peak_mb']:.0f}) |")
    if "zonal" not in rows[0]:
        return "\n".join(lines)
    lines += ["", "| project | areas (chosen) | zonal figures s (CPU s) | nature_friendly s (CPU s) | CPU vs baseline (zonal) | "
                  "windows read per run, largest (cells) | cells read per run | RSS before MB | peak MB | "
                  "raster read whole: array MB, peak MB | load before, after |",
              "|---|---|---:|---:|---:|---|---:|---:|---:|---|---|"]
    base = statistics.median(rows[0]["zonal"]["cpu"]["zonal"])
    for r in rows:
        z, h = r["zonal"], r["whole"]
        med = {k: statistics.median(v) for k, v in z["seconds"].items()}
        cpu = {k: statistics.median(v) for k, v in z["cpu"].items()}
        name = f"scale {r['scale']:g}" if r["scale"] is not None else r["config"]
        ratio = cpu["zonal"] / base
        per = ratio / (z["areas"] / rows[0]["zonal"]["areas"])
        lines.append(f"| {name} ({h['width']:,} x {h['height']:,} cells of {h['cell_m']:g} m) | {z['areas']:,} "
                     f"({z['chosen']:,}) | {med['zonal']:.2f} ({cpu['zonal']:.2f}) | {med['scenario']:.2f} ({cpu['scenario']:.2f}) | x{ratio:.1f} (x{per:.2f} per area) | "
                     f"{z['reads_per_run']:,.0f}, {z['largest_window']:,} ({z['largest_window'] / h['cells']:.2%} of the "
                     f"raster) | {z['cells_per_run']:,.0f} | {z['rss_before_mb']:.0f} | {z['peak_mb']:.0f} "
                     f"(+{z['peak_mb'] - z['rss_before_mb']:.0f}) | {h['array_mb']:.0f}, {h['peak_mb']:.0f} "
                     f"(+{h['peak_mb'] - h['rss_before_mb']:.0f}) | {z['load'][0]:.1f}, {z['load'][1]:.1f} |")
    lines.append("")
    lines += [f"# {r['scale'] if r['scale'] is not None else r['config']}: zonal "
              + ", ".join(f"{t:.2f}" for t in r["zonal"]["seconds"]["zonal"]) + "; scenario "
              + ", ".join(f"{t:.2f}" for t in r["zonal"]["seconds"]["scenario"]) + f" ({repeat} runs)" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default="config/pipeline.yaml")
    parser.add_argument("--scales", type=float, nargs="+", help="demo scales with a generated raster (not --config)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/landcover-bench"))
    parser.add_argument("--cells", type=int, nargs=2, metavar=("WIDTH", "HEIGHT"),
                        help="the size in 10 m cells of the last scale's generated raster, centred on the areas "
                             "(default: the areas' bounds and a margin)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--gdal-cache-mb", type=int, help="GDAL_CACHEMAX for the measuring processes")
    parser.add_argument("--only-copy", action="store_true",
                        help="with --scales: only write the raster and run ingest's copy (e.g. a national-size --cells)")
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args)))
        return
    if args.scales:
        rows = [measure_scale(s, args.work, args.cells if s == args.scales[-1] else None, args.repeat, args.gdal_cache_mb,
                              args.only_copy) for s in args.scales]
        for r in rows:
            if r["demo"]:
                print(f"# scale {r['scale']:g}: demo generated in {r['demo'][0]:.1f} s (load {r['demo'][1]:.1f} after)")
    else:
        rows = [measure_project(args.config, args.repeat, args.gdal_cache_mb)]
    print(report(rows, args.repeat))


if __name__ == "__main__":
    main()
