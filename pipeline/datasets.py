"""The catalogue of datasets: every file the pipeline writes under data/processed and maps, who writes and reads it.

One entry per file: its name, folder and file name, format, the one stage that writes it, the stages that
read it, its key and its columns with their kind (id, count, share, distance, money, ratio, text, flag,
...). Whether a column is person-based is not said here: that classification lives in one place,
pipeline/publish/catalogue.py, and `Column.person` asks it (so there is one classification, not two).

Everything else is derived from this list: the runner's inputs, outputs and run order of each stage
(`inputs`, `outputs`, `run_order`), the Makefile's stage dependencies (`python -m pipeline.datasets
makefile`, generated into stages.mk) and the table in docs/architecture.md. Stages read and write only
through `read` and `write`; reading a dataset the running stage did not declare is a bug (`UndeclaredRead`).

This module imports only the standard library at import time, so the Makefile can generate its fragment
with the system Python before the virtual environment exists, and a no-op run stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipeline._errors import PipelineError
from pipeline.stages import MAP_PAGES, RASTER_LAYERS, STAGES, TABLE_LAYERS, VECTOR_LAYERS, source_files

if TYPE_CHECKING:
    from pipeline.config import Config

PROCESSED, MAPS = "processed", "maps"
SOURCES = "sources"  # what ingest reads: the configured raw files, not a dataset of this catalogue

# --- columns ---------------------------------------------------------------------------------------

TENURES = ("social_family", "social_other", "owner", "private_rental", "cooperative")
TENURE_COUNTS = tuple(f"dwellings_{t}" for t in (*TENURES, "other"))
# The contract's counts of people (CONTRACT 2), the one list every stage uses: residents and the counts within them.
PERSON_SUBCOUNTS = (
    "residents_18_64", "outside_work_edu_18_64", "residents_30_59", "basic_edu_only_30_59", "residents_18plus",
    "convicted_18plus", "taxpayers_15_64", "non_western", "children_6_16",
)
PERSON_COUNTS = ("residents", *PERSON_SUBCOUNTS)

# The kind of every column by name (what the value is, not how a page formats it).
KINDS: dict[str, str] = {
    **dict.fromkeys(("area_id", "parcel_id", "district_id", "school_id", "site_id", "green_id", "street_id",
                     "station_id", "cell_id", "scenario_id", "closes_school_id", "school_ids", "run_id"), "id"),
    **dict.fromkeys(("name", "area_name", "site_name", "school_name", "scenario_name", "kind", "sector", "area_type",
                     "district", "criteria", "criteria_unknown", "prevention_criteria", "status", "status_reason",
                     "status_note", "deciding_unknown", "status_before", "status_after", "distance_method",
                     "data_note", "date"), "text"),
    **dict.fromkeys((*PERSON_COUNTS, *TENURE_COUNTS, "dwellings", "parcels", "pupils", "pupils_udsat_or_worse",
                     "school_pupils", "capacity", "jobs", "new_jobs", "criteria_met", "prevention_criteria_met",
                     "gap_add_dwellings", "gap_convert_dwellings", "gap_demolish_dwellings", "years_listed",
                     "jobs_walk_15", "jobs_bike_30", "pupils_gain_free_transport", "pupils_lose_free_transport",
                     "new_dwellings", "residents_1km", "rank", "schools_over_capacity", "pupils_over_capacity",
                     "mean_jobs_bike_30_change"), "count"),
    **dict.fromkeys(("share", "share_other", "share_social", "tenure_diversity", "share_outside_work_edu",
                     "conviction_rate_18plus", "share_basic_edu", "share_non_western", "share_pupils_free_transport",
                     "share_residents_green_300", "canopy_share", "utilisation", "share_pupils_udsat_or_worse",
                     "fall_share_social_family_omdannelse",
                     *(f"share_{t}" for t in TENURES)), "share"),
    **dict.fromkeys(("school_dist_m", "nearest_school_dist_m", "green_dist_m", "station_dist_m", "mean_dist_m",
                     "p90_dist_m"), "distance"),
    **dict.fromkeys(("gross_income_sum_15_64", "mean_income_15_64_dkk"), "money"),
    **dict.fromkeys(("crime_ratio", "income_ratio", "job_access_gravity", "job_access_index", "dissimilarity"),
                    "ratio"),
    **dict.fromkeys(("c1_met", "c2_met", "c3_met", "c4_met", "is_social", "eligible", "meets_canopy_30", "public",
                     "walk", "bike", "free_transport", "green_within_300", "over_capacity", "contains_site", "ranked",
                     "suppressed"), "flag"),
    **dict.fromkeys(("green_m2_1km", "green_m2_per_resident_1km"), "area"),
    # mix: the path off the list and the history's rule set and thresholds
    **dict.fromkeys(("path_c1_persons", "path_c2_persons", "path_c3_persons", "path_persons"), "count"),
    "path_c4_income_dkk": "money",
    **dict.fromkeys(("path_criteria", "rule_set"), "text"),
    **dict.fromkeys(("c1_threshold", "c3_threshold", "non_western_threshold"), "share"),
    **dict.fromkeys(("c2_threshold", "c4_threshold"), "ratio"),
    "year": "year",
    "geometry": "geometry",
}
# Columns named by config or by a family: a prefix or suffix and the kind of every column with it.
KIND_PREFIXES = {"lq_": "ratio", "support_": "text", "new_dwellings_": "count", "share_social_family_": "share"}
KIND_SUFFIXES = {"_before": None, "_after": None, "_change": None, "_vs_baseline": None}  # the kind of the column they change


def kind_of(column: str) -> str:
    """The kind of a column (id, count, share, distance, money, ratio, text, flag, area, year, geometry)."""
    if column in KINDS:
        return KINDS[column]
    for suffix in KIND_SUFFIXES:
        if column.endswith(suffix) and column.removesuffix(suffix) in KINDS:
            return KINDS[column.removesuffix(suffix)]
    for prefix, kind in KIND_PREFIXES.items():
        if column.startswith(prefix):
            return kind
    raise KeyError(f"the column '{column}' has no kind: add it to KINDS in pipeline/datasets.py")


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
    (pipeline/runner.py, `module_files`), and every stage imports this catalogue; the publish catalogue's
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


def _layer_columns(layer: str) -> Callable[[], tuple[Column, ...]]:
    """The canonical columns of an ingested layer, from ingest's schema (imported only when asked)."""
    def columns() -> tuple[Column, ...]:
        schema = _module("pipeline.ingest").SCHEMAS[layer]
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
                   _layer_columns(layer))


_ID_OF = {"housing_areas": "area_id", "parcels": "parcel_id", "schools": "school_id", "school_districts": "district_id",
          "jobs": "site_id", "green_areas": "green_id", "streets": "street_id", "stations": "station_id",
          "candidate_sites": "site_id", "grid_statistics": "cell_id", "area_statistics": "area_id"}
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
}
assert set(_LAYER_READERS) == {*VECTOR_LAYERS, *TABLE_LAYERS}, "every ingested layer needs its readers"

def _area_mix_columns() -> tuple[str, ...]:
    """areas_mix's columns as mix writes them (pipeline.mix.area_columns) with the default segregation groups."""
    import yaml

    defaults = yaml.safe_load((Path(__file__).with_name("defaults.yaml")).read_text(encoding="utf-8"))["mix"]
    return (*_module("pipeline.mix").area_columns(list(TENURES), defaults["segregation_groups"]), "geometry")


def _area_access_columns() -> tuple[str, ...]:
    """areas_access's columns as access writes them (pipeline.access.AREA_COLUMNS)."""
    return ("area_id", "name", *_module("pipeline.access").AREA_COLUMNS, "distance_method", "geometry")


def _areas_columns(*extra: str, geometry: bool = True) -> Callable[[], tuple[Column, ...]]:
    """The published areas table: areas_mix's columns, then areas_access's figures, the provenance, extra ones
    (without the geometry for a text table)."""
    def columns() -> tuple[Column, ...]:
        names = [*_area_mix_columns()[:-1], *_area_access_columns()[2:-1]]
        names += ["geometry", "data_note", "run_id"] if geometry else ["data_note", "run_id"]
        return tuple(Column(n, kind_of(n)) for n in (*names, *extra))
    return columns


DATASETS: tuple[Dataset, ...] = (
    *(_ingested(layer, _LAYER_READERS[layer], f"the {layer} layer: canonical columns, working CRS, valid geometries")
      for layer in (*VECTOR_LAYERS, *TABLE_LAYERS)),
    *(Dataset(layer, PROCESSED, f"{layer}.tif", "geotiff", "ingest", ("access",), (),
              f"the {layer} fraction 0..1 (float32, NaN nodata) in the working CRS") for layer in RASTER_LAYERS),
    Dataset("ingest", PROCESSED, "ingest.json", "json", "ingest", (), ("layer",),
            "rows per layer, whether a canopy raster was ingested, the working CRS"),
    Dataset("areas_mix", PROCESSED, "areas_mix.parquet", "geoparquet", "mix", ("scenarios", "publish"), ("area_id",),
            "one row per housing area: every CONTRACT 4 figure", lambda: tuple(Column(n, kind_of(n)) for n in _area_mix_columns())),
    Dataset("areas_mix_history", PROCESSED, "areas_mix_history.parquet", "parquet", "mix", ("publish",),
            ("area_id", "year"), "one row per housing area and year of the statistics: criteria, thresholds and status "
            "under that year's rule set, years_listed derived (the latest year's rows equal areas_mix)",
            lambda: tuple(Column(n, kind_of(n)) for n in _module("pipeline.mix_history").HISTORY_COLUMNS)),
    Dataset("segregation", PROCESSED, "segregation.json", "json", "mix", ("publish",), ("group",),
            "D, xPx and Theil H per group, the districts' D, coverage and reference values"),
    Dataset("school_districts_mix", PROCESSED, "school_districts_mix.parquet", "geoparquet", "mix", ("publish",),
            ("district_id",), "the school districts with their pupils, pupil mix, capacity and utilisation",
            _columns("district_id", "school_id", "name", "parcels", "residents", "pupils", "pupils_udsat_or_worse",
                     "share_pupils_udsat_or_worse", "school_ids", "school_name", "capacity", "school_pupils",
                     "utilisation", "geometry")),
    Dataset("parcels_mix", PROCESSED, "parcels_mix.parquet", "geoparquet", "mix", ("access", "scenarios"),
            ("parcel_id",), "the statistical units with their area, district and counts after apportionment",
            _columns("parcel_id", "area_id", "district_id", *TENURE_COUNTS, *PERSON_COUNTS, "gross_income_sum_15_64",
                     "geometry")),
    Dataset("areas_access", PROCESSED, "areas_access.parquet", "geoparquet", "access", ("scenarios", "publish"),
            ("area_id",), "one row per housing area: every CONTRACT 5 figure", lambda: tuple(Column(n, kind_of(n)) for n in _area_access_columns())),
    Dataset("parcels_access", PROCESSED, "parcels_access.parquet", "geoparquet", "access", (), ("parcel_id",),
            "the CONTRACT 5 figures per parcel, for analysts",
            _columns("parcel_id", "area_id", "district_id", "residents", "children_6_16", "school_dist_m",
                     "nearest_school_dist_m", "free_transport", "jobs_walk_15", "jobs_bike_30", "job_access_gravity",
                     "job_access_index", "green_dist_m", "green_within_300", "green_m2_1km", "residents_1km",
                     "green_m2_per_resident_1km", "canopy_share", "station_dist_m", "distance_method", "geometry")),
    # the routable street graph, cached: written by access, reused by scenarios (pipeline/network.py reads and
    # rebuilds it when streets.parquet changed, so scenarios never works from a stale graph)
    Dataset("network", PROCESSED, "network.npz", "npz", "access", ("scenarios",), ("node",),
            "the routable street graph: node coordinates, edges with length and walk/bike, the streets' key"),
    Dataset("scenarios_school_sites", PROCESSED, "scenarios_school_sites.parquet", "geoparquet", "scenarios",
            ("publish",), ("scenario_id", "school_id"), "one row per scenario and school",
            _stage_columns("SCHOOL_COLUMNS")),
    Dataset("scenarios_school_catchments", PROCESSED, "scenarios_school_catchments.parquet", "geoparquet",
            "scenarios", ("publish",), ("scenario_id", "school_id"), "catchment polygons per scenario and school",
            _stage_columns("CATCHMENT_COLUMNS")),
    Dataset("scenarios_school_summary", PROCESSED, "scenarios_school_summary.parquet", "parquet", "scenarios",
            ("publish",), ("scenario_id",), "one row per school-site scenario: what the page and the ranking show",
            _stage_columns("SCHOOL_SUMMARY_COLUMNS")),
    Dataset("scenarios_development", PROCESSED, "scenarios_development.parquet", "geoparquet", "scenarios",
            ("publish",), ("site_id", "area_id"), "one row per development site and housing area: before, after, change",
            _stage_columns("DEVELOPMENT_COLUMNS")),
    Dataset("scenarios_development_summary", PROCESSED, "scenarios_development_summary.parquet", "parquet",
            "scenarios", ("publish",), ("site_id",), "one row per development site: what the page and the ranking show",
            _stage_columns("DEVELOPMENT_SUMMARY_COLUMNS")),
    Dataset("scenarios_ranking", PROCESSED, "scenarios_ranking.json", "json", "scenarios", (), ("question",),
            "the best candidate for each question, with the figures behind it"),
    Dataset("areas", PROCESSED, "areas.parquet", "geoparquet", "publish", (), ("area_id",),
            "one row per housing area with every indicator, all values (for analysts)", _areas_columns()),
    Dataset("areas_gpkg", PROCESSED, "areas.gpkg", "gpkg", "publish", (), ("area_id",),
            "the areas table, person-based figures of small areas suppressed",
            _areas_columns("suppressed")),
    Dataset("areas_csv", PROCESSED, "areas.csv", "csv", "publish", (), ("area_id",),
            "the areas table as text, person-based figures of small areas shown as suppressed",
            _areas_columns("suppressed", geometry=False)),
    *(Dataset("page_" + page.removesuffix(".html").replace("-", "_"), MAPS, page, "html", "publish", (), (),
              f"the map page {page}") for page in MAP_PAGES),
    # the housing-area profiles (pipeline/publish/profiles.py): their list, with areas/<area_id>.html beside it
    Dataset("page_area_profiles", MAPS, "areas/index.html", "html", "publish", (), (),
            "the list of housing-area profiles; one profile page per area beside it, areas/<area_id>.html"),
)
CATALOGUE: dict[str, Dataset] = {d.name: d for d in DATASETS}


# --- which stage reads and writes what (derived) --------------------------------------------------


def reads_of(stage: str, catalogue: Mapping[str, Dataset] | None = None) -> tuple[Dataset, ...]:
    """The datasets an earlier stage writes and this one reads."""
    return tuple(d for d in (catalogue or CATALOGUE).values() if stage in d.readers and d.writer != stage)


def writes_of(stage: str, catalogue: Mapping[str, Dataset] | None = None) -> tuple[Dataset, ...]:
    """The datasets this stage writes."""
    return tuple(d for d in (catalogue or CATALOGUE).values() if d.writer == stage)


def upstream(stage: str, catalogue: Mapping[str, Dataset] | None = None) -> tuple[str, ...]:
    """The stages whose datasets this stage reads, directly or through others, in run order."""
    found: set[str] = set()
    todo = [stage]
    while todo:
        for dataset in reads_of(todo.pop(), catalogue):
            if dataset.writer not in found:
                found.add(dataset.writer)
                todo.append(dataset.writer)
    return tuple(s for s in run_order(catalogue) if s in found)


def run_order(catalogue: Mapping[str, Dataset] | None = None) -> tuple[str, ...]:
    """The stages in an order where every dataset's writer runs before its readers (registry order on ties)."""
    names = [s.name for s in STAGES]
    before = {n: {d.writer for d in reads_of(n, catalogue)} for n in names}
    order: list[str] = []
    while len(order) < len(names):
        ready = [n for n in names if n not in order and before[n] <= set(order)]
        if not ready:
            raise PipelineError(f"the catalogue's stages read each other's datasets in a cycle: {sorted(set(names) - set(order))}")
        order.append(ready[0])
    return tuple(order)


def inputs(config: Config, stage: str, catalogue: Mapping[str, Dataset] | None = None) -> list[Path]:
    """The files a stage reads: ingest the configured sources, every other stage its datasets."""
    if stage == "ingest":
        files = [p for layer in (*VECTOR_LAYERS, *TABLE_LAYERS, *RASTER_LAYERS) for p in source_files(config, layer)]
        return list(dict.fromkeys(files))
    return [d.path(config) for d in reads_of(stage, catalogue)]


def outputs(config: Config, stage: str, catalogue: Mapping[str, Dataset] | None = None) -> list[Path]:
    """The files a stage writes (an optional one may be absent after the run)."""
    return [d.path(config) for d in writes_of(stage, catalogue)]


# --- reading and writing through the catalogue -----------------------------------------------------


class UndeclaredRead(PipelineError):
    """A stage read or wrote a dataset the catalogue does not give it: a bug to fix in the catalogue or the stage."""


_RUNNING: ContextVar[tuple[str, Mapping[str, Dataset], set[str]] | None] = ContextVar("running_stage", default=None)


@contextmanager
def running(stage: str, catalogue: Mapping[str, Dataset] | None = None) -> Iterator[set[str]]:
    """Mark `stage` as running, so reading or writing outside its declarations fails; yields the names it used."""
    used: set[str] = set()
    token = _RUNNING.set((stage, catalogue or CATALOGUE, used))
    try:
        yield used
    finally:
        _RUNNING.reset(token)


def dataset(name: str) -> Dataset:
    """The catalogue entry of this name (of the running stage's catalogue)."""
    current = _RUNNING.get()
    catalogue = current[1] if current else CATALOGUE
    if name not in catalogue:
        raise UndeclaredRead(f"'{name}' is no dataset of the catalogue: add it to DATASETS in pipeline/datasets.py")
    return catalogue[name]


def declared(name: str, *, write: bool = False) -> Dataset:
    """The dataset, after checking the running stage declared it (as its writer, or a reader when reading)."""
    entry = dataset(name)
    current = _RUNNING.get()
    if current is not None:
        stage, _, used = current
        used.add(name)
        allowed = stage == entry.writer or (not write and stage in entry.readers)
        if not allowed:
            role = "writes" if write else "reads"
            raise UndeclaredRead(
                f"the {stage} stage {role} '{entry.file}' but the catalogue does not say so (writer {entry.writer}, "
                f"readers {', '.join(entry.readers) or 'none'}): declare it in pipeline/datasets.py")
    return entry


def exists(config: Config, name: str) -> bool:
    """Whether the (optional) dataset was written; asking is reading, so the stage must declare it."""
    return declared(name).path(config).exists()


def input_path(config: Config, name: str) -> Path:
    """The file of a declared dataset to open with its own library (a raster, the network cache)."""
    return declared(name).path(config)


def read(config: Config, name: str, columns: list[str] | None = None) -> Any:
    """Read a declared dataset: a (Geo)DataFrame for Parquet, a dict for JSON."""
    from pipeline._errors import InputError, Problem

    entry = declared(name)
    path = entry.path(config)
    if not path.exists():
        raise InputError(Problem(f"the stage output '{name}' is missing",
                                 f"run the {entry.writer} stage first (python -m pipeline run)", file=path))
    if entry.format == "json":
        from pipeline._atomic import read_json

        return read_json(path)
    import geopandas as gpd
    import pandas as pd

    if entry.format in ("geoparquet", "parquet"):
        if columns is not None and entry.format == "geoparquet":
            columns = list(dict.fromkeys([*columns, "geometry"]))
        try:
            return gpd.read_parquet(path, columns=columns)
        except ValueError:  # a table without geometry (an optional table layer, or a frame written without it)
            return pd.read_parquet(path, columns=columns)
    raise UndeclaredRead(f"'{name}' is {entry.format}: open input_path(config, '{name}') with its own library")


def write(config: Config, name: str, data: Any) -> Path:
    """Write the running stage's own dataset atomically: a (Geo)DataFrame as (Geo)Parquet, a dict as JSON."""
    entry = declared(name, write=True)
    path = entry.path(config)
    if entry.format == "json":
        from pipeline._atomic import write_json

        return write_json(data, path)
    if entry.format in ("geoparquet", "parquet"):
        from pipeline.io import write_geoparquet

        return write_geoparquet(data, path)
    raise UndeclaredRead(f"'{name}' is {entry.format}: write output_path(config, '{name}') with its own library")


def output_path(config: Config, name: str) -> Path:
    """The file of the running stage's own dataset, to write with its own library (a raster, a page)."""
    return declared(name, write=True).path(config)


def without_reader(name: str, stage: str) -> dict[str, Dataset]:
    """A copy of the catalogue where `stage` no longer reads `name` (for checking that reads are enforced)."""
    copy = dict(CATALOGUE)
    copy[name] = replace(copy[name], readers=tuple(r for r in copy[name].readers if r != stage))
    return copy


# --- generated views: the Makefile fragment and the architecture table -----------------------------


def makefile_fragment() -> str:
    """Make rules for the stage stamps: each stage after the stages whose datasets it reads."""
    stage_docs = {s.name: s.doc for s in STAGES}
    order = run_order()
    lines = ["# Generated from pipeline/datasets.py by `python -m pipeline.datasets makefile`: do not edit.",
             f"STAGE_NAMES := {' '.join(order)}", f"LAST_STAMP := $(STAMPS)/{order[-1]}.json", ""]
    for name in order:
        before = sorted({d.writer for d in reads_of(name)}, key=order.index)
        if before:
            lines.append(f"$(STAMPS)/{name}.json: " + " ".join(f"$(STAMPS)/{b}.json" for b in before))
    lines.append("")
    for name in order:
        lines.append(f"{name}: $(STAMPS)/{name}.json ## {stage_docs[name]}")
    lines.append(f".PHONY: {' '.join(order)}")
    return "\n".join(lines) + "\n"


def architecture_table() -> str:
    """A Markdown table of every dataset with its writer and readers, in run order (for docs/architecture.md)."""
    order = run_order()
    rows = ["| dataset | file | format | written by | read by |", "|---|---|---|---|---|"]
    for name in order:
        for d in writes_of(name):
            folder = "maps/" if d.folder == MAPS else ""
            readers = ", ".join(sorted(d.readers, key=order.index)) or "(published / for analysts)"
            rows.append(f"| {d.name} | `{folder}{d.file}` | {d.format} | {d.writer} | {readers} |")
    return "\n".join(rows) + "\n"


def flow_diagram() -> str:
    """The stages in run order, each with what it reads (by writer) and writes: the pipeline in one picture."""
    lines = ["sources (data/raw, config) ─▶ ingest"]
    for name in run_order():
        reads: dict[str, list[str]] = {}
        for d in reads_of(name):
            reads.setdefault(d.writer, []).append(d.name)
        lines.append("")
        lines.append(f"[{name}]")
        for writer, names in reads.items():
            lines.append(f"   ◀─ {writer}: {', '.join(names)}")
        lines.append(f"   ─▶ {', '.join(d.name for d in writes_of(name))}")
    return "\n".join(lines) + "\n"


VIEWS = {"makefile": makefile_fragment, "table": architecture_table, "diagram": flow_diagram}

if __name__ == "__main__":
    sys.stdout.write(VIEWS[sys.argv[1] if len(sys.argv) > 1 else "makefile"]())
