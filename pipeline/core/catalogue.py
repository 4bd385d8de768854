"""The catalogue of datasets: every file the pipeline writes under data/processed and maps, who writes and reads it.

One entry per file: its name, folder and file name, format, the one stage that writes it, the stages that
read it, its key and its columns with their kind (id, count, share, distance, money, ratio, text, flag,
...). Whether a column is person-based is not said here: that classification lives in one place,
pipeline/publish/catalogue.py, and `Column.person` asks it (so there is one classification, not two).
What is derived from the list (run order, each stage's inputs and outputs) and reading and writing through
it are pipeline/core/datasets.py.

This module imports only the standard library at import time, so the Makefile can generate its fragment
with the system Python before the virtual environment exists, and a no-op run stays fast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline.core.columns import (  # noqa: F401  (the contract's lists, read through the catalogue too)
    KINDS,
    PERSON_COUNTS,
    PERSON_SUBCOUNTS,
    TENURE_COUNTS,
    TENURES,
    kind_of,
)
from pipeline.core.stages import MAP_PAGES, RASTER_LAYERS, TABLE_LAYERS, VECTOR_LAYERS

if TYPE_CHECKING:
    from pipeline.core.config import Config

PROCESSED, MAPS = "processed", "maps"
SOURCES = "sources"  # what ingest reads: the configured raw files, not a dataset of this catalogue
# The two reference rows of the school-site scenarios (scenario_id: scenario_name), which pages show and translate.
# The baseline: today's schools, pupils allocated under the same rule as every candidate. Today's districts as
# drawn: each district's pupils at its district's schools whatever their capacity; shown, not ranked.
REFERENCE_SCENARIOS = {
    "baseline": "Baseline (today's schools, same allocation rule)",
    "districts_as_drawn": "Today's districts as drawn (reference, not ranked)",
}

# --- columns (their kinds: pipeline/core/columns.py) ----------------------------------------------------

@dataclass(frozen=True)
class Column:
    """One column of a dataset: its name and kind; whether it is person-based comes from the publish catalogue."""

    name: str
    kind: str

    @property
    def person(self) -> bool:
        """Whether the column counts people or is computed from them (pipeline/publish/catalogue.py decides)."""
        if self.kind == "geometry":
            return False
        return _module("pipeline.publish.catalogue").indicator(self.name).person


def _module(name: str) -> Any:
    """A module the columns' description comes from, imported by name when asked.

    Not an import statement on purpose: the runner finds each stage's code by its import statements
    (pipeline/core/runner.py, `module_files`), and every stage imports this catalogue; the publish catalogue's
    privacy classification and ingest's schema describe columns but compute nothing a stage writes, so an
    edit to a page must not re-run ingest.
    """
    import importlib

    return importlib.import_module(name)


def _columns(*names: str) -> Callable[[], tuple[Column, ...]]:
    return lambda: tuple(Column(n, kind_of(n)) for n in names)


def _stage_columns(name: str) -> Callable[[], tuple[Column, ...]]:
    """The columns of a scenarios output, from the stage's own column lists (imported only when asked)."""
    return lambda: tuple(Column(n, kind_of(n)) for n in getattr(_module("pipeline.scenarios._tables"), name))


def _plan_columns(name: str) -> Callable[[], tuple[Column, ...]]:
    """The columns of a plan table, from the stage's own lists with the contract's tenures (imported only when asked)."""
    return lambda: tuple(Column(n, kind_of(n)) for n in _module("pipeline.scenarios.plan_tables").table_columns(
        name, [*TENURES, "other"], [*PERSON_SUBCOUNTS, "gross_income_sum_15_64"]))


def _layer_columns(layer: str) -> Callable[[], tuple[Column, ...]]:
    """The canonical columns of an ingested layer, from ingest's schema (imported only when asked)."""
    def columns() -> tuple[Column, ...]:
        schema = _module("pipeline.ingest.schema").SCHEMAS[layer]
        names = [*schema.required, *schema.optional]
        names = [n for n in names if n != "date"]  # a date is turned into the year on ingest
        return tuple(Column(n, kind_of(n)) for n in (*names, *(("geometry",) if schema.geometry else ())))
    return columns


# --- datasets --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Dataset:
    """One file of the pipeline: where it lies, its format, its one writer, its readers, key and columns."""

    name: str
    folder: str  # PROCESSED (data/processed) or MAPS (maps/, the published pages)
    file: str
    format: str  # geoparquet, parquet, json, geotiff, npz, gpkg, csv, html
    writer: str
    readers: tuple[str, ...]
    key: tuple[str, ...]
    doc: str
    column_list: Callable[[], tuple[Column, ...]] = _columns()
    # optional source layers without which the stage writes this dataset empty or not at all: a page then says
    # which layer was not supplied (datasets.unsupplied) instead of asking for a re-run that cannot help
    needs: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[Column, ...]:
        """The dataset's columns with their kind ("geometry" for the geometry; none for pages and rasters)."""
        return self.column_list()

    def path(self, config: Config) -> Path:
        """The file in this config's project."""
        return config.maps_dir / self.file if self.folder == MAPS else config.processed(self.file)


def _ingested(layer: str, readers: tuple[str, ...], doc: str) -> Dataset:
    from_table = layer in TABLE_LAYERS and layer != "grid_statistics"
    return Dataset(layer, PROCESSED, f"{layer}.parquet", "parquet" if from_table else "geoparquet", "ingest", readers,
                   ("district_id", "school_id") if layer == "district_schools" else (_ID_OF[layer],), doc,
                   _layer_columns(layer), needs=_own_source(layer))


def _own_source(layer: str) -> tuple[str, ...]:
    """An ingested layer needs its own source, but housing_areas (required) and district_schools (made from the
    districts and schools when no table is given)."""
    return () if layer in ("housing_areas", "district_schools") else (layer,)


_ID_OF = {"housing_areas": "area_id", "parcels": "parcel_id", "schools": "school_id", "school_districts": "district_id",
          "jobs": "site_id", "green_areas": "green_id", "streets": "street_id", "stations": "station_id",
          "candidate_sites": "site_id", "grid_statistics": "cell_id", "area_statistics": "area_id",
          "protected_nature": "nature_id", "plan_projects": "project_id"}
# Who reads each ingested layer (CONTRACT 2 names the layers); publish shows every vector layer on the index page.
_LAYER_READERS = {
    "housing_areas": ("mix", "access", "scenarios", "publish"),
    "parcels": ("mix", "publish"),
    "schools": ("mix", "access", "scenarios", "publish"),
    "school_districts": ("mix", "access", "scenarios", "publish"),
    "jobs": ("access", "publish"),
    "green_areas": ("access", "publish"),
    "streets": ("access", "scenarios", "publish"),
    "stations": ("access", "publish"),
    "candidate_sites": ("scenarios", "publish"),
    "grid_statistics": ("mix",),
    "area_statistics": ("mix",),
    "district_schools": ("mix", "access", "scenarios"),
    "protected_nature": ("access",),
    "plan_projects": ("scenarios", "publish"),
}
assert set(_LAYER_READERS) == {*VECTOR_LAYERS, *TABLE_LAYERS}, "every ingested layer needs its readers"

def _area_mix_columns() -> tuple[str, ...]:
    """areas_mix's columns as mix writes them (pipeline.mix.area_columns) with the default segregation groups."""
    import yaml

    defaults = yaml.safe_load((Path(__file__).parents[1] / "defaults.yaml").read_text(encoding="utf-8"))["mix"]
    return (*_module("pipeline.mix").area_columns(list(TENURES), defaults["segregation_groups"]), "geometry")


def _area_access_columns() -> tuple[str, ...]:
    """areas_access's columns as access writes them (pipeline.access.AREA_COLUMNS)."""
    return ("area_id", "name", *_module("pipeline.access").AREA_COLUMNS, "distance_method", "geometry")


def _municipality_access_columns() -> tuple[str, ...]:
    """municipality_access's columns: the scope, then the area figures access averages over the municipality."""
    access = _module("pipeline.access")
    return ("scope", *[c for c in access.AREA_COLUMNS if c not in access.CANOPY_COLUMNS], "canopy_share")


def _areas_columns(*extra: str, geometry: bool = True) -> Callable[[], tuple[Column, ...]]:
    """The published areas table: areas_mix's columns, then areas_access's figures, the provenance, extra ones
    (without the geometry for a text table)."""
    def columns() -> tuple[Column, ...]:
        names = [*_area_mix_columns()[:-1], *_area_access_columns()[2:-1]]
        names += ["geometry", "data_note", "run_id"] if geometry else ["data_note", "run_id"]
        return tuple(Column(n, kind_of(n)) for n in (*names, *extra))
    return columns


_RASTER_READERS = {"canopy": ("access",), "land_cover": ("access", "publish")}  # publish draws the land cover
_RASTER_DOCS = {
    "canopy": "the canopy fraction 0..1 (float32, NaN nodata) in the working CRS",
    "land_cover": "the land-cover classes (uint8: 1 natural, 2 semi_natural, 3 lawn, 4 trees, 5 sealed, 6 water, "
                  "7 other; 0 nodata) over the housing areas, in the source's grid (working CRS when geographic or OSM)",
}


# the school-site scenarios are measured only with candidate sites of kind school and today's schools
SCHOOL_SITES_NEED = ("candidate_sites", "schools")

DATASETS: tuple[Dataset, ...] = (
    *(_ingested(layer, _LAYER_READERS[layer], f"the {layer} layer: canonical columns, working CRS, valid geometries")
      for layer in (*VECTOR_LAYERS, *TABLE_LAYERS)),
    *(Dataset(layer, PROCESSED, f"{layer}.tif", "geotiff", "ingest", _RASTER_READERS[layer], (), _RASTER_DOCS[layer],
              needs=(layer,)) for layer in RASTER_LAYERS),
    Dataset("ingest", PROCESSED, "ingest.json", "json", "ingest", (), ("layer",),
            "rows per layer, whether a canopy raster was ingested, the working CRS"),
    Dataset("areas_mix", PROCESSED, "areas_mix.parquet", "geoparquet", "mix", ("scenarios", "publish"), ("area_id",),
            "one row per housing area: every CONTRACT 4 figure", lambda: tuple(Column(n, kind_of(n)) for n in _area_mix_columns())),
    Dataset("areas_mix_history", PROCESSED, "areas_mix_history.parquet", "parquet", "mix", ("scenarios", "publish"),
            ("area_id", "year"), "one row per housing area and year of the statistics: criteria, thresholds and status "
            "under that year's rule set, years_listed derived (the latest year's rows equal areas_mix)",
            lambda: tuple(Column(n, kind_of(n)) for n in _module("pipeline.mix.history").HISTORY_COLUMNS)),
    Dataset("segregation", PROCESSED, "segregation.json", "json", "mix", ("publish",), ("group",),
            "D, xPx and Theil H per group, the districts' D, coverage and reference values"),
    Dataset("school_districts_mix", PROCESSED, "school_districts_mix.parquet", "geoparquet", "mix", ("publish",),
            ("district_id",), "the school districts with their pupils, pupil mix, capacity and utilisation",
            _columns("district_id", "school_id", "name", "parcels", "residents", "pupils", "pupils_udsat_or_worse",
                     "share_pupils_udsat_or_worse", "school_ids", "school_name", "capacity", "school_pupils",
                     "utilisation", "geometry"), needs=("school_districts",)),
    Dataset("parcels_mix", PROCESSED, "parcels_mix.parquet", "geoparquet", "mix", ("access", "scenarios"),
            ("parcel_id",), "the statistical units with their area, district and counts after apportionment",
            _columns("parcel_id", "area_id", "district_id", *TENURE_COUNTS, *PERSON_COUNTS, "gross_income_sum_15_64",
                     "geometry")),
    Dataset("municipality_mix", PROCESSED, "municipality_mix.parquet", "parquet", "mix", ("publish",), ("scope",),
            "work, education and income of all housing areas together, each weighted by its persons (areas whose "
            "figure is unknown left out), and those persons",
            lambda: tuple(Column(n, kind_of(n)) for n in _module("pipeline.mix.municipality").MUNICIPALITY_MIX_COLUMNS)),
    Dataset("areas_access", PROCESSED, "areas_access.parquet", "geoparquet", "access", ("scenarios", "publish"),
            ("area_id",), "one row per housing area: every CONTRACT 5 figure", lambda: tuple(Column(n, kind_of(n)) for n in _area_access_columns())),
    Dataset("municipality_access", PROCESSED, "municipality_access.parquet", "parquet", "access", ("publish",),
            ("scope",), "the municipality's average of each access figure (every parcel weighted as the areas' are)",
            lambda: tuple(Column(n, kind_of(n)) for n in _municipality_access_columns())),
    Dataset("parcels_access", PROCESSED, "parcels_access.parquet", "geoparquet", "access", (), ("parcel_id",),
            "the CONTRACT 5 figures per parcel, for analysts",
            _columns("parcel_id", "area_id", "district_id", "residents", "children_6_16", "school_dist_m",
                     "nearest_school_dist_m", "free_transport", "jobs_walk_15", "jobs_bike_30", "job_access_gravity",
                     "job_access_index", "green_dist_m", "green_within_300", "green_m2_1km", "residents_1km",
                     "green_m2_per_resident_1km", "canopy_share", "station_dist_m", "protected_nature_dist_m",
                     "jobs_transit_45", "job_access_transit_gravity", "job_access_transit_index", "distance_method",
                     "geometry")),
    # the routable street graph, cached: written by access only, reused by scenarios (pipeline/network/cache.py; when
    # streets.parquet changed since, scenarios builds the graph in memory, never from a stale graph, and never writes it)
    # --- green structure (CONTRACT 6c): the nature_friendly scenario, beside the figures in areas_access
    Dataset("green_nature_friendly", PROCESSED, "green_nature_friendly.parquet", "parquet", "access", ("publish",),
            ("area_id",), "one row per housing area: the land-cover figures before and after turning "
            "green.lawn_to_meadow_share of the chosen areas' lawn into meadow, and the change",
            lambda: tuple(Column(n, kind_of(n)) for n in _module("pipeline.access").NATURE_FRIENDLY_COLUMNS),
            needs=("land_cover",)),
    Dataset("network", PROCESSED, "network.npz", "npz", "access", ("scenarios",), ("node",),
            "the routable street graph: node coordinates, edges with length and walk/bike, the streets' key"),
    Dataset("scenarios_school_sites", PROCESSED, "scenarios_school_sites.parquet", "geoparquet", "scenarios",
            ("publish",), ("scenario_id", "school_id"), "one row per scenario and school",
            _stage_columns("SCHOOL_COLUMNS"), needs=SCHOOL_SITES_NEED),
    Dataset("scenarios_school_catchments", PROCESSED, "scenarios_school_catchments.parquet", "geoparquet",
            "scenarios", ("publish",), ("scenario_id", "school_id"), "catchment polygons per scenario and school",
            _stage_columns("CATCHMENT_COLUMNS"), needs=SCHOOL_SITES_NEED),
    Dataset("scenarios_school_summary", PROCESSED, "scenarios_school_summary.parquet", "parquet", "scenarios",
            ("publish",), ("scenario_id",), "one row per school-site scenario: what the page and the ranking show",
            _stage_columns("SCHOOL_SUMMARY_COLUMNS"), needs=SCHOOL_SITES_NEED),
    Dataset("scenarios_development", PROCESSED, "scenarios_development.parquet", "geoparquet", "scenarios",
            ("publish",), ("site_id", "area_id"), "one row per development site and housing area: before, after, change",
            _stage_columns("DEVELOPMENT_COLUMNS"), needs=("candidate_sites",)),
    Dataset("scenarios_development_summary", PROCESSED, "scenarios_development_summary.parquet", "parquet",
            "scenarios", ("publish",), ("site_id",), "one row per development site: what the page and the ranking show",
            _stage_columns("DEVELOPMENT_SUMMARY_COLUMNS"), needs=("candidate_sites",)),
    Dataset("scenarios_ranking", PROCESSED, "scenarios_ranking.json", "json", "scenarios", ("publish",), ("question",),
            "the best candidate for each question, with the figures behind it"),
    # --- districting (CONTRACT 6b): school districts drawn for social mix (pipeline/scenarios/districting*.py) ---
    Dataset("districting_units", PROCESSED, "districting_units.parquet", "geoparquet", "scenarios", ("publish",),
            ("unit_id",), "the districting's units (street blocks, grid cells or parcels): pupils, group pupils, "
            "today's school",
            _stage_columns("DISTRICTING_UNIT_COLUMNS")),
    Dataset("districting_plans", PROCESSED, "districting_plans.parquet", "parquet", "scenarios", ("publish",),
            ("plan_id", "unit_id"), "each plan's school per unit, and today's (plan current: today's districts)",
            _stage_columns("DISTRICTING_PLAN_COLUMNS")),
    Dataset("districting_summary", PROCESSED, "districting_summary.parquet", "parquet", "scenarios", ("publish",),
            ("plan_id",), "one row per plan: D, mean and p90 distance, pupils moved, over capacity, contiguity",
            _stage_columns("DISTRICTING_SUMMARY_COLUMNS"), needs=("schools", "school_districts")),
    Dataset("districting_schools", PROCESSED, "districting_schools.parquet", "parquet", "scenarios", ("publish",),
            ("plan_id", "school_id"), "per plan and school: capacity, pupils, group pupils and the group's share "
            "before (today's districts) and after the plan", _stage_columns("DISTRICTING_SCHOOL_COLUMNS"),
            needs=("schools", "school_districts")),
    Dataset("districting_changes", PROCESSED, "districting_changes.parquet", "parquet", "scenarios", ("publish",),
            ("plan_id", "area_id", "from_school_id", "to_school_id"), "per plan and housing area: the pupils "
            "changing school, from which school to which", _stage_columns("DISTRICTING_CHANGE_COLUMNS"),
            needs=("schools", "school_districts")),
    Dataset("districting_plans_gpkg", PROCESSED, "districting_plans.gpkg", "gpkg", "scenarios", (), ("plan_id",),
            "one layer of district polygons per plan, for QGIS",
            _columns("school_id", "pupils", "group_pupils", "capacity", "geometry")),
    # --- the plan over time (CONTRACT 6a, pipeline/scenarios/plan.py): projections, empty without plan_projects ---
    Dataset("plan_trajectory", PROCESSED, "plan_trajectory.parquet", "parquet", "scenarios", ("publish",), ("area_id", "year"),
            "projection: per housing area and year to plan.horizon, dwellings, residents, criteria, status and gaps "
            "under the plan", _plan_columns("plan_trajectory"), needs=("plan_projects",)),
    Dataset("plan_rehousing", PROCESSED, "plan_rehousing.parquet", "parquet", "scenarios", ("publish",),
            ("year", "area_id", "origin_area_id"), "projection: residents of removed social family dwellings rehoused, "
            "per receiving area, origin and year, and what rehousing alone does to the receiving area's status",
            _plan_columns("plan_rehousing"), needs=("plan_projects",)),
    Dataset("plan_projects_effect", PROCESSED, "plan_projects_effect.parquet", "parquet", "scenarios", ("publish",),
            ("scope", "project_id", "area_id"), "projection: per project (and the whole plan) the horizon year with "
            "and without it, per area it changes, ranked by effect", _plan_columns("plan_projects_effect"), needs=("plan_projects",)),
    Dataset("areas", PROCESSED, "areas.parquet", "geoparquet", "publish", (), ("area_id",),
            "one row per housing area with every indicator, all values (for analysts)", _areas_columns()),
    Dataset("areas_gpkg", PROCESSED, "areas.gpkg", "gpkg", "publish", (), ("area_id",),
            "the areas table, person-based figures of small areas suppressed",
            _areas_columns("suppressed")),
    Dataset("areas_csv", PROCESSED, "areas.csv", "csv", "publish", (), ("area_id",),
            "the areas table as text, person-based figures of small areas shown as suppressed",
            _areas_columns("suppressed", geometry=False)),
    # --- public transport (CONTRACT 6d): the GTFS feed's service day near the window, checked (pipeline/transit)
    Dataset("transit_stops", PROCESSED, "transit_stops.parquet", "geoparquet", "ingest", ("access", "scenarios"),
            ("stop_id",),
            "the GTFS feed's stops (platforms and stops) in the working CRS; row order numbers them for transit_stop_times",
            _columns("stop_id", "name", "geometry"), needs=("gtfs",)),
    Dataset("transit_stop_times", PROCESSED, "transit_stop_times.parquet", "parquet", "ingest", ("access", "scenarios"),
            ("trip_id", "arrival_s"), "the stop times of the trips running on transit.day near transit.window: trip, "
            "stop (row of transit_stops), arrival and departure in seconds after the service day's midnight",
            _columns("trip_id", "stop", "arrival_s", "departure_s"), needs=("gtfs",)),
    Dataset("areas_dictionary", PROCESSED, "areas_dictionary.csv", "csv", "publish", (), ("column",),
            "the data dictionary of areas.csv: per column its label, short label, unit, format, explanation and "
            "whether it is person-based, in the page language (pipeline/publish/glossary.py)"),
    *(Dataset("page_" + page.removesuffix(".html").replace("-", "_"), MAPS, page, "html", "publish", (), (),
              f"the map page {page}") for page in MAP_PAGES),
    # the housing-area profiles (pipeline/publish/profiles.py): their list, with areas/<area_id>.html beside it
    Dataset("page_area_profiles", MAPS, "areas/index.html", "html", "publish", (), (),
            "the list of housing-area profiles; one profile page per area beside it, areas/<area_id>.html"),
    # the municipality in short for residents (pipeline/publish/summary/municipality.py), one printable A4 sheet
    Dataset("page_kort_fortalt", MAPS, "kort-fortalt.html", "html", "publish", (), (),
            "the municipality in short: where it stands, which areas moved, what the plans change (one A4 sheet)"),
)
CATALOGUE: dict[str, Dataset] = {d.name: d for d in DATASETS}
