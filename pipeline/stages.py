"""The pipeline's stages: each one's module, the config sections it depends on, and what it does.

Which files each stage reads and writes, and so their order, is the catalogue of datasets
(pipeline/datasets.py). This module imports only the standard library, so checking that nothing changed
stays fast and the Makefile can generate its stage rules before the virtual environment exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlparse

if TYPE_CHECKING:
    from pipeline.config import Config

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
)
RASTER_LAYERS = ("canopy",)
# Optional layers that may come as tables without geometry (CONTRACT 2): statistics per DST grid cell (the
# cells made from their ids when no polygons are given), statistics per housing area, and which schools serve
# which district (ingest writes district_schools.parquet whenever districts and schools exist).
TABLE_LAYERS = ("grid_statistics", "area_statistics", "district_schools")
SHAPEFILE_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")

MAP_PAGES = (
    "index.html",
    "social-balance.html",
    "accessibility.html",
    "school-sites.html",
    "urban-development.html",
)


def source_path(config: Config, settings: dict) -> Path:
    """The local file of a source: its `path`, or for a `url` without one, data/raw/<file name of the URL>."""
    if settings.get("path"):
        return config.resolve(settings["path"])
    return config.raw_dir / Path(urlparse(settings["url"]).path).name


def source_files(config: Config, layer: str) -> list[Path]:
    """The files a configured source consists of (a Shapefile's sidecars, every part's files); [] when not configured."""
    source = config["sources"].get(layer)
    if source and source.get("parts"):
        base = {k: v for k, v in source.items() if k not in ("parts", "path", "url")}
        return [p for part in source["parts"] for p in _files_of(config, {**base, **part})]
    return _files_of(config, source)


def _files_of(config: Config, source: dict | None) -> list[Path]:
    if not source or not (source.get("path") or source.get("url")):
        return []
    path = source_path(config, source)
    from pipeline._read import archive_file

    archive = archive_file(str(source.get("path") or ""), config.root)
    if archive is not None:  # a layer inside a zip (a /vsizip/ path): the zip is the file read
        return [archive]
    if path.suffix.lower() == ".shp":
        return [p for p in (path.with_suffix(s) for s in SHAPEFILE_SIDECARS) if p.exists()] or [path]
    return [path]


@dataclass(frozen=True)
class Stage:
    """One stage: its module (with a `run(config)`), the config sections it depends on, and what it does.

    What it reads and writes, and so the order the stages run in, come from the catalogue of datasets
    (pipeline/datasets.py)."""

    name: str
    module: str
    config_keys: tuple[str, ...]
    doc: str


STAGES: tuple[Stage, ...] = (
    Stage("ingest", "pipeline.ingest", ("crs", "extent", "sources", "ingest", "root"),
          "read each source, check it, reproject, write data/processed/<layer>.parquet"),
    Stage("mix", "pipeline.mix", ("mix", "ingest"),
          "tenure mix, indicative official status, segregation indices, school-district mix"),
    Stage("access", "pipeline.access", ("access",),
          "distances and reachable jobs and green space on the street network, canopy share"),
    Stage("scenarios", "pipeline.scenarios", ("scenarios", "access", "mix", "ingest"),
          "candidate school sites and development sites against the baseline"),
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
