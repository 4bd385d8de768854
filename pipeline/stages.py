"""The pipeline's stages in run order: what each reads, which config it depends on, what it writes.

This registry is the one place that knows the file dependencies; the runner uses it to skip stages whose
inputs did not change, and the Makefile mirrors it. It imports no heavy library, so checking that
nothing changed stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

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
CANOPY_FILE = "canopy.tif"  # ingest's canopy fraction raster in data/processed
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


def _processed(*names: str) -> Callable[[Config], list[Path]]:
    return lambda config: [config.processed(name) for name in names]


def _ingest_reads(config: Config) -> list[Path]:
    files = [p for layer in (*VECTOR_LAYERS, *TABLE_LAYERS, *RASTER_LAYERS) for p in source_files(config, layer)]
    return list(dict.fromkeys(files))


def _ingest_writes(config: Config) -> list[Path]:
    """One (Geo)Parquet per configured layer (district_schools also when districts and schools are configured),
    the canopy GeoTIFF, and ingest.json (counts and warnings)."""
    sources = config["sources"]
    configured = [layer for layer in (*VECTOR_LAYERS, *TABLE_LAYERS) if sources.get(layer)]
    if sources.get("school_districts") and sources.get("schools") and "district_schools" not in configured:
        configured.append("district_schools")
    files = [config.processed(f"{layer}.parquet") for layer in configured]
    if config["sources"].get("canopy"):
        files.append(config.processed(CANOPY_FILE))
    return [*files, config.processed("ingest.json")]


@dataclass(frozen=True)
class Stage:
    """One stage: its module (with a `run(config)`), its inputs, config sections and outputs."""

    name: str
    module: str
    config_keys: tuple[str, ...]
    reads: Callable[[Config], list[Path]]
    writes: Callable[[Config], list[Path]]
    doc: str
    # The earlier stages whose outputs this one reads; a file two of them write (school_districts.parquet,
    # written by ingest and enriched by mix) counts in the version of the last one listed here.
    needs: tuple[str, ...] = ()


STAGES: tuple[Stage, ...] = (
    Stage(
        "ingest",
        "pipeline.ingest",
        ("crs", "extent", "sources", "ingest", "root"),
        _ingest_reads,
        _ingest_writes,
        "read each source, check it, reproject, write data/processed/<layer>.parquet",
    ),
    Stage(
        "mix",
        "pipeline.mix",
        ("mix", "privacy", "ingest"),
        _processed("ingest.json", "housing_areas.parquet", "parcels.parquet", "schools.parquet", "school_districts.parquet",
                   "grid_statistics.parquet", "area_statistics.parquet", "district_schools.parquet"),
        _processed("areas_mix.parquet", "segregation.json", "school_districts.parquet", "parcels_mix.parquet"),
        "tenure mix, indicative official status, segregation indices, school-district mix",
        ("ingest",),
    ),
    Stage(
        "access",
        "pipeline.access",
        ("access",),
        _processed(
            "ingest.json", "housing_areas.parquet", "parcels_mix.parquet", "schools.parquet", "school_districts.parquet",
            "district_schools.parquet", "jobs.parquet", "green_areas.parquet", "streets.parquet", "stations.parquet",
            CANOPY_FILE,
        ),
        _processed("areas_access.parquet", "parcels_access.parquet", "network.npz"),
        "distances and reachable jobs and green space on the street network, canopy share",
        # mix before ingest: access uses the districts' ids and school links as ingest wrote them, not the
        # figures mix adds to school_districts.parquet, so a changed status does not re-run access
        ("mix", "ingest"),
    ),
    Stage(
        "scenarios",
        "pipeline.scenarios",
        ("scenarios", "access", "mix", "ingest"),
        _processed(
            "areas_mix.parquet", "areas_access.parquet", "candidate_sites.parquet", "school_districts.parquet",
            "schools.parquet", "parcels_mix.parquet", "district_schools.parquet", "housing_areas.parquet",
            "jobs.parquet", "streets.parquet", "network.npz",
        ),
        _processed(
            "scenarios_school_sites.parquet", "scenarios_school_catchments.parquet", "scenarios_school_summary.parquet",
            "scenarios_development.parquet", "scenarios_development_summary.parquet", "scenarios_ranking.json",
        ),
        "candidate school sites and development sites against the baseline",
        ("ingest", "mix", "access"),
    ),
    Stage(
        "publish",
        "pipeline.publish",
        ("publish", "privacy", "data_note", "data_date"),
        _processed(
            "areas_mix.parquet", "areas_access.parquet", "segregation.json", "school_districts.parquet",
            "scenarios_school_sites.parquet", "scenarios_school_catchments.parquet", "scenarios_school_summary.parquet",
            "scenarios_development.parquet", "scenarios_development_summary.parquet", "scenarios_ranking.json",
        ),
        lambda config: [config.processed(n) for n in ("areas.parquet", "areas.gpkg", "areas.csv")]
        + [config.maps_dir / page for page in MAP_PAGES],
        "areas tables and the map pages",
        ("ingest", "mix", "access", "scenarios"),
    ),
)

STAGE_NAMES = tuple(stage.name for stage in STAGES)


def stage(name: str) -> Stage:
    """The stage of this name."""
    for candidate in STAGES:
        if candidate.name == name:
            return candidate
    raise KeyError(name)
