"""The synthetic demo municipality behind ``python -m pipeline demo-data``.

Writes the raw inputs of docs/architecture.md ("Raw inputs of the demo") for a fictional Danish suburban
municipality in the formats analysts receive them. One numpy Generator draws everything, so a seed always
gives the same data (and, with GDAL's timestamps pinned, the same bytes).

The layout is a grid of 1 km cells (10 x 8 at scale 1; each side grows with sqrt(scale)), each split into
four 500 m quadrants. Roads run along every cell edge; built cells get a street through their middle and a
street grid per quadrant whose spacing depends on what is built there (detached houses, terraces, blocks of
flats, a business park). A rail line with stations runs just south of one row, a motorway crosses the
second row on bridges, and a forest path crosses a road on a footbridge: crossings without a shared vertex.
The housing areas follow a status design: target rates per area derived from the `mix` thresholds in
pipeline/defaults.yaml, with margins that the parcel-level noise cannot cross (see `_rate_profiles`).
"""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import yaml

from pipeline.core.config import DEFAULTS_FILE
from pipeline.core.log import log
from pipeline.demo.design import CRS, MIN_SCALE, NOTE, PREFIXES, TOWN_ENDINGS, _name_pool, _unique
from pipeline.demo.gtfs import write_gtfs
from pipeline.demo.history import DATA_YEAR, area_history
from pipeline.demo.landcover import write_land_cover
from pipeline.demo.layout import _area_plan, _bent, _cells, _grid, _quads, _warp_field
from pipeline.demo.parcels import _parcels
from pipeline.demo.places import (
    _area_outlines,
    _boundary,
    _candidate_sites,
    _canopy,
    _capacities,
    _districts,
    _green_areas,
    _housing_areas,
    _jobs,
    _schools,
    _stations,
)
from pipeline.demo.plan import plan_projects
from pipeline.demo.streets import _segments, _streets
from pipeline.demo.write import _readme, _write_all

# --------------------------------------------------------------------------------------------------
# Entry point


def generate(out_dir: str | Path, *, seed: int = 42, scale: float = 1.0) -> list[Path]:
    """Write the synthetic demo municipality to out_dir and return the files written.

    Parameters
    ----------
    out_dir
        Folder to write to (created if missing); existing demo files there are replaced.
    seed
        Seed of the random generator: the same seed gives the same data.
    scale
        Size factor: parcels, areas, job sites, streets and green areas grow with it, the extent with
        sqrt(scale) each way; scale 10 gives about 60,000 parcels.
    """
    if scale < MIN_SCALE:
        raise ValueError(f"scale {scale} is too small for the demo layout: use a scale of {MIN_SCALE} or more")
    rng = np.random.default_rng(seed)
    # the `mix` thresholds of pipeline/defaults.yaml, which the status design keeps clear of
    mix = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))["mix"]
    grid = _grid(scale)
    plan = _area_plan(rng, scale, mix)
    n_schools = max(2, round(12 * scale))
    pool = _name_pool(rng)
    # the pool of stems repeats at large scales; _unique numbers the repeats
    pool = [pool[k % len(pool)] for k in range(len(plan) + n_schools)]
    plan["area_id"] = [f"A{k:03d}" for k in range(1, len(plan) + 1)]
    # area names such as Ørnehøj or Kærparken, school names such as Lærkevangskolen
    plan["name"] = _unique([(p + s[0]).capitalize() for p, s in pool[: len(plan)]])
    school_names = _unique([(p + s[1]).capitalize() + "skolen" for p, s in pool[len(plan): len(plan) + n_schools]])
    towns = [p + TOWN_ENDINGS[k % len(TOWN_ENDINGS)] for k, p in enumerate(rng.permutation(PREFIXES))]
    area_quads = int(plan.quads.iloc[:-1].sum())
    n_town = max(int((plan.quads.iloc[:-1] == 2).sum()), math.ceil(area_quads / 3))
    cells = _cells(rng, grid, n_town, scale)
    quads = _quads(rng, cells, plan)
    schools, schools_at = _schools(rng, quads, n_schools, school_names)
    warp = _warp_field(rng)
    plan_areas = _housing_areas(quads, plan)
    parcels, patches, blocks, group = _parcels(rng, grid, cells, quads, plan, mix)
    parcels.geometry = _bent(parcels.geometry, warp)
    areas = plan_areas.set_geometry(_area_outlines(blocks, warp, len(plan)))
    sites = _candidate_sites(rng, grid, cells, quads, plan, plan_areas, schools)
    sites.geometry = _bent(sites.geometry, warp)
    schools.geometry = _bent(schools.geometry, warp, decimals=1)
    boundary = _bent(_boundary(cells), warp)
    districts = _districts(schools, boundary)
    schools["capacity"] = _capacities(rng, parcels, districts)
    streets = _streets(_segments(grid, cells, quads), warp)
    green = _green_areas(rng, cells, quads, schools_at, patches, grid)
    green.geometry = _bent(green.geometry, warp)
    jobs = _jobs(rng, cells, quads, round(1500 * scale))
    jobs[["x", "y"]] = np.round(warp(jobs[["x", "y"]].to_numpy(dtype=float)), 1)
    layers = {
        "housing_areas": areas, "parcels": parcels, "school_districts": districts, "streets": streets,
        "candidate_sites": sites,
        "municipality": gpd.GeoDataFrame({"name": [f"{towns[0]} Kommune"], "note": [NOTE]}, geometry=[boundary], crs=CRS),
        "schools": schools, "green_areas": green, "jobs": jobs,
        "stations": _stations(grid, cells, scale, towns, warp),
        "area_statistics": area_history(parcels, group, plan, mix),
        "plan_projects": plan_projects(plan, parcels, group, mix, DATA_YEAR),
    }
    canopy = _canopy(rng, grid, quads, green, warp)
    counts = {name: len(frame) for name, frame in layers.items()}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = _write_all(out, layers, canopy, _readme(plan, seed, scale, counts, f"{towns[0]} Kommune"))
    paths.append(write_gtfs(out, layers))  # public transport (CONTRACT 6d)
    paths += write_land_cover(out, layers, canopy)  # drawn from the layers and canopy: no random draw
    log.info("Generated the demo municipality (seed %d, scale %g): %s", seed, scale,
             ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    return paths
