"""The pipeline's stages: each one's module, the config sections it depends on, and what it does.

Which files each stage reads and writes, and so their order, is the catalogue of datasets
(pipeline/core/catalogue.py). This module imports only the standard library, so checking that nothing changed
stays fast and the Makefile can generate its stage rules before the virtual environment exists.
"""

from __future__ import annotations

from dataclasses import dataclass

VECTOR_LAYERS = (
    "housing_areas",
    "parcels",
    "schools",
    "school_districts",
    "jobs",
    "green_areas",
    "streets",
    "stations",
    "candidate_sites",
    "protected_nature",
)
RASTER_LAYERS = ("canopy", "land_cover")
# Optional layers that may come as tables without geometry (CONTRACT 2): statistics per DST grid cell (the
# cells made from their ids when no polygons are given), statistics per housing area, and which schools serve
# which district (ingest writes district_schools.parquet whenever districts and schools exist).
TABLE_LAYERS = ("grid_statistics", "area_statistics", "district_schools", "plan_projects")

# Sources that are no layer: a GTFS timetable (CONTRACT 6d), read by ingest into the transit_* datasets.
FEED_LAYERS = ("gtfs",)

MAP_PAGES = (
    "index.html",
    "social-balance.html",
    "accessibility.html",
    "school-sites.html",
    "urban-development.html",
    "plan.html",
)


@dataclass(frozen=True)
class Stage:
    """One stage: its module (with a `run(config)`), the config sections it depends on, and what it does.

    What it reads and writes, and so the order the stages run in, come from the catalogue of datasets
    (pipeline/core/catalogue.py)."""

    name: str
    module: str
    config_keys: tuple[str, ...]
    doc: str


STAGES: tuple[Stage, ...] = (
    Stage("ingest", "pipeline.ingest", ("crs", "extent", "sources", "ingest", "root", "transit"),
          "read each source, check it, reproject, write data/processed/<layer>.parquet"),
    Stage("mix", "pipeline.mix", ("mix", "ingest"),
          "tenure mix, indicative official status, segregation indices, school-district mix"),
    Stage("access", "pipeline.access", ("access", "transit", "green"),
          "distances and reachable jobs and green space on the street network, canopy share"),
    Stage("scenarios", "pipeline.scenarios", ("scenarios", "access", "mix", "ingest", "transit", "plan", "data_date"),
          "candidate school sites and development sites against the baseline; the plan over time"),
    Stage("publish", "pipeline.publish", ("publish", "privacy", "data_note", "data_date", "extent", "language"),
          "areas tables and the map pages"),
)

STAGE_NAMES = tuple(stage.name for stage in STAGES)


def stage(name: str) -> Stage:
    """The stage of this name."""
    for candidate in STAGES:
        if candidate.name == name:
            return candidate
    raise KeyError(name)
