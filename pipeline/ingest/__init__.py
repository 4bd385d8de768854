"""Stage ingest: read each configured source, check it against the contract, write canonical GeoParquet.

Every layer is read through pyogrio (GeoPackage, Shapefile, GeoJSON, FlatGeobuf, GML, GeoParquet, CSV with
x/y or WKT columns, tables without geometry: CSV and JSON records, pipeline/sources/tables.py) and the canopy raster
through rasterio. Source columns are mapped to the canonical names (one source column may feed several),
ids become text exactly as given, geometries are reprojected to the working CRS and repaired where
possible; grid cells without polygons are made from their DST ids (pipeline/sources/gridcells.py) and the
district-school link is built however it is given (pipeline/sources/district_schools.py). A source may consist of
parts joined on the layer's key. All problems of all layers are collected and reported at once; nothing is
written unless every layer passed.

The package holds one job a module:

- `schema`: what CONTRACT 2 asks of each layer (`LayerSchema`, `SCHEMAS`), and `Source`, where a layer comes from;
- `read`: opening a source and reading it with canonical column names (files, parts joined on the key);
- `years`: the statistics' years and extract dates read, normalised and checked;
- `clean`: ids, dates, numbers, shares, flags and vocabularies checked and converted, per layer;
- `geometry`: the layer's CRS checked and reprojected, geometries checked and repaired, grid cells located;
- `layers`: one layer read and prepared in order, the references between layers, the district-school link;
- `canopy`: the canopy raster, cut to the housing areas in the working CRS;
- `transit`: the GTFS feed, checked and cut to the service day (pipeline/transit);
- `land_cover`: the land-cover raster (or OpenStreetMap's land cover) over the housing areas, as the contract's classes;
- `plan`: the plan's projects: signed dwelling changes, balanced conversions, an area each (CONTRACT 6a);
- this module: the stage, `run(config)` and `validate(config)`, the only places that read all sources and write.

Its datasets, as the catalogue (pipeline/core/catalogue.py) declares them:
Reads: the configured sources (data/raw).
Writes: housing_areas, parcels, schools, school_districts, jobs, green_areas, streets, stations, candidate_sites,
protected_nature, grid_statistics, area_statistics, district_schools, plan_projects, canopy, land_cover, ingest,
transit_stops, transit_stop_times.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.core import datasets
from pipeline.core.config import Config
from pipeline.core.errors import InputError
from pipeline.core.log import log, warn
from pipeline.core.stages import RASTER_LAYERS, TABLE_LAYERS, VECTOR_LAYERS
from pipeline.ingest.canopy import _load_canopy, read_canopy, write_canopy
from pipeline.ingest.clean import (
    FALSE_WORDS,
    TRUE_WORDS,
    check_count_bases,
    clean_flags_and_defaults,
    clean_ids,
    clean_numbers,
    clean_shares,
    clean_values,
    clean_vocabularies,
    fill_dwellings_other,
)
from pipeline.ingest.geometry import check_geometries, explode_multiparts, locate_grid_cells, to_working_crs
from pipeline.ingest.land_cover import load_land_cover
from pipeline.ingest.layers import (
    check_references,
    link_districts_and_schools,
    prepare_layer,
    prepare_link_table,
    read_and_prepare,
)
from pipeline.ingest.plan import locate_plan_projects
from pipeline.ingest.read import (
    READ_ERRORS,
    _open_problem,
    configured_sources,
    join_parts,
    read_parts,
    read_source,
    read_vector,
    rename_columns,
    school_lists,
)
from pipeline.ingest.schema import (
    AREA_AMOUNTS,
    AREA_SHARES,
    COUNT_BASES,
    COUNT_COLUMNS,
    GEOMETRY_FAMILIES,
    LINE,
    MATCH_KEYS,
    NEW_DWELLINGS,
    PERSON_COUNTS,
    POINT,
    POLYGON,
    REQUIRED_LAYERS,
    SCHEMAS,
    STATISTICS_LAYERS,
    TENURE_COLUMNS,
    TIME_COLUMNS,
    VOCABULARIES,
    LayerSchema,
    Source,
)
from pipeline.ingest.transit import read_transit, write_transit
from pipeline.ingest.years import check_years_across, clean_dates, clean_years
from pipeline.sources.read import CSV_SUFFIXES

__all__ = [
    "CSV_SUFFIXES", "AREA_AMOUNTS", "AREA_SHARES", "COUNT_BASES", "COUNT_COLUMNS", "FALSE_WORDS", "GEOMETRY_FAMILIES", "LINE",
    "MATCH_KEYS", "NEW_DWELLINGS", "PERSON_COUNTS", "POINT", "POLYGON", "READ_ERRORS", "REQUIRED_LAYERS",
    "SCHEMAS", "STATISTICS_LAYERS", "TENURE_COLUMNS", "TIME_COLUMNS", "TRUE_WORDS", "VOCABULARIES",
    "LayerSchema", "Source", "check_count_bases", "check_geometries", "check_references", "clean_dates", "clean_years",
    "clean_flags_and_defaults", "clean_ids", "clean_numbers", "clean_shares", "clean_values",
    "clean_vocabularies", "configured_sources", "explode_multiparts", "fill_dwellings_other", "join_parts",
    "link_districts_and_schools", "load_layers", "locate_grid_cells", "prepare_layer", "prepare_link_table",
    "read_and_prepare", "read_canopy", "read_parts", "read_source", "read_vector", "rename_columns", "run",
    "school_lists", "to_working_crs", "validate", "write_canopy",
]


def load_layers(config: Config) -> tuple[dict[str, pd.DataFrame], tuple | None, Callable | None]:
    """Read and check every configured layer; raise one InputError listing every problem found."""
    sources, problems = configured_sources(config)
    layers: dict[str, pd.DataFrame] = {}
    for name, source in sources.items():
        if name in RASTER_LAYERS:
            continue
        opened = None if source.settings.get("parts") else _open_problem(source, config.root)
        if opened is not None:
            if source.settings.get("required", True) is False and not source.path.exists():
                warn(f"optional source {name} is missing ({source.path}); the layer is left out")
                continue
            problems.append(opened)
            continue
        frame, found = read_and_prepare(source, config)
        problems += found
        if not found:
            layers[name] = frame
    problems += check_references(layers, sources)
    problems += check_years_across(layers, sources, spread=int(config["ingest"]["year_spread"]))
    if not problems:
        problems += locate_plan_projects(layers, sources.get("plan_projects"))
    if not problems:
        problems += link_districts_and_schools(layers, sources, config)
    canopy = None
    if "canopy" in sources and not problems:
        canopy = _load_canopy(sources["canopy"], config, layers)
        problems += canopy[2] if canopy else []
    land_cover = None
    if "land_cover" in sources and not problems:
        land_cover, found = load_land_cover(sources["land_cover"], config, layers)
        problems += found
    if problems:
        raise InputError(problems)
    return layers, canopy, land_cover


def validate(config: Config) -> dict[str, int]:
    """Check every input as ingest would, write nothing; rows per layer."""
    layers, canopy, _ = load_layers(config)
    counts = {name: len(frame) for name, frame in layers.items()}
    transit = read_transit(config)
    if transit is not None:
        counts["gtfs"] = int(transit.stop_times["trip"].nunique())
    if canopy is not None:
        counts["canopy"] = int(np.isfinite(canopy[0]).sum())
    return counts


def run(config: Config) -> list[Path]:
    """Ingest every configured source into data/processed/<layer>.parquet (and canopy.tif)."""
    layers, canopy, land_cover = load_layers(config)
    transit = read_transit(config)  # checked before anything is written
    written = write_transit(config, transit)
    for name, frame in layers.items():
        written.append(datasets.write(config, name, frame.reset_index(drop=True)))
        log.info("Ingested %s: %s rows", name, f"{len(frame):,}")
    for name in (*VECTOR_LAYERS, *TABLE_LAYERS):
        if name not in layers:
            datasets.output_path(config, name).unlink(missing_ok=True)
    canopy_path = datasets.output_path(config, "canopy")
    if canopy is not None:
        written.append(write_canopy(canopy[0], canopy[1], canopy_path))
        log.info("Ingested canopy: %s x %s cells", canopy[0].shape[1], canopy[0].shape[0])
    else:
        canopy_path.unlink(missing_ok=True)
    land_cover_path = datasets.output_path(config, "land_cover")
    if land_cover is not None:
        written.append(land_cover(land_cover_path))
    else:
        land_cover_path.unlink(missing_ok=True)
    summary = {"rows": {name: len(frame) for name, frame in layers.items()}, "canopy": canopy is not None,
               "land_cover": land_cover is not None, "crs": config.crs}
    if transit is not None:
        summary["transit"] = {"day": transit.date.isoformat(), "trips": int(transit.stop_times["trip"].nunique())}
    written.append(datasets.write(config, "ingest", summary))
    return written
