"""Stage ingest: read each configured source, check it against the contract, write canonical GeoParquet.

Every layer is read through pyogrio (GeoPackage, Shapefile, GeoJSON, FlatGeobuf, GML, GeoParquet, CSV with
x/y or WKT columns, tables without geometry: CSV and JSON records, pipeline/tables.py) and the canopy raster
through rasterio. Source columns are mapped to the canonical names (one source column may feed several),
ids become text exactly as given, geometries are reprojected to the working CRS and repaired where
possible; grid cells without polygons are made from their DST ids (pipeline/gridcells.py) and the
district-school link is built however it is given (pipeline/district_schools.py). A source may consist of
parts joined on the layer's key. All problems of all layers are collected and reported at once; nothing is
written unless every layer passed.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import pyproj
import shapely

from pipeline import _crs, _read, datasets, gridcells, tables
from pipeline._errors import InputError, Problem, first_ids
from pipeline._log import log, warn
from pipeline.config import Config
from pipeline.datasets import PERSON_SUBCOUNTS, TENURES
from pipeline.district_schools import closest_names, district_schools
from pipeline.io import atomic_path
from pipeline.osm import is_osm_source, read_osm_streets, ways_layer
from pipeline.parallel import active_executor
from pipeline.stages import RASTER_LAYERS, TABLE_LAYERS, VECTOR_LAYERS, source_path

POLYGON, POINT, LINE = "polygon", "point", "line"
GEOMETRY_FAMILIES = {
    POLYGON: ("Polygon", "MultiPolygon"),
    POINT: ("Point", "MultiPoint"),
    LINE: ("LineString", "MultiLineString"),
}
CSV_SUFFIXES = (".csv", ".txt")
# What reading a source can raise besides InputError: GDAL (pyogrio), text decoding, Arrow, GEOS, PROJ, the OS.
READ_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError,
               pyogrio.errors.GeometryError, pyogrio.errors.CRSError, ValueError, UnicodeDecodeError, OSError,
               pa.ArrowException, shapely.errors.GEOSException, pyproj.exceptions.CRSError)
TRUE_WORDS = {"true", "t", "1", "yes", "y", "ja", "j"}
FALSE_WORDS = {"false", "f", "0", "no", "n", "nej"}


@dataclass(frozen=True)
class LayerSchema:
    """What CONTRACT 2 asks of one canonical layer."""

    id_column: str
    geometry: tuple[str, ...]
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()
    counts: tuple[str, ...] = ()  # integers >= 0
    amounts: tuple[str, ...] = ()  # numbers >= 0 (DKK, ratios)
    shares: tuple[str, ...] = ()  # fractions 0..1
    ids: tuple[str, ...] = ()  # other id columns, kept as text
    flags: dict[str, bool] = field(default_factory=dict)  # bool columns and their default
    defaults: dict[str, object] = field(default_factory=dict)  # optional columns filled when absent


TENURE_COLUMNS = tuple(f"dwellings_{t}" for t in TENURES)
PERSON_COUNTS = PERSON_SUBCOUNTS  # the person counts besides residents
# Sub-counts that cannot exceed their base (a share above 1, or an income ratio dragged down, would follow).
# Each entry: the counts whose sum may not exceed the base. The age groups nest (30-59 within 18-64 within
# 18+ within all residents); children 6-16 and adults 18+ are disjoint, so together they fit in residents.
# The table is documented in docs/bad-input.md.
COUNT_BASES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("residents_18_64",), "residents"),
    (("residents_30_59",), "residents"),
    (("residents_18plus",), "residents"),
    (("taxpayers_15_64",), "residents"),
    (("non_western",), "residents"),
    (("children_6_16",), "residents"),
    (("children_6_16", "residents_18plus"), "residents"),
    (("residents_18_64",), "residents_18plus"),
    (("residents_30_59",), "residents_18_64"),
    (("outside_work_edu_18_64",), "residents_18_64"),
    (("basic_edu_only_30_59",), "residents_30_59"),
    (("convicted_18plus",), "residents_18plus"),
)
NEW_DWELLINGS = tuple(c.replace("dwellings_", "new_dwellings_") for c in TENURE_COLUMNS)
# The count columns statistics may carry at any support (parcel, grid cell, housing area); all optional,
# an absent or blank count is unknown (null), never 0.
COUNT_COLUMNS = (*TENURE_COLUMNS, "dwellings_other", "residents", *PERSON_COUNTS)
# `year` of the statistics, or a `date` (ISO 8601) from which the year is taken when no year is mapped.
TIME_COLUMNS = ("year", "date")
# Values published per housing area (the ministry's list, DST area tables), used as given.
AREA_SHARES = ("share_outside_work_edu", "conviction_rate_18plus", "share_basic_edu", "share_non_western")
# the ministry's list gives criterion 2 as a multiple of the national rate (crime_ratio) and 4 as a ratio
AREA_AMOUNTS = ("crime_ratio", "income_ratio", "mean_income_15_64_dkk")

SCHEMAS: dict[str, LayerSchema] = {
    "housing_areas": LayerSchema(
        "area_id", GEOMETRY_FAMILIES[POLYGON], ("area_id", "name"), ("area_type", "years_listed"),
        counts=("years_listed",),
    ),
    "parcels": LayerSchema(
        "parcel_id", GEOMETRY_FAMILIES[POLYGON] + GEOMETRY_FAMILIES[POINT],
        ("parcel_id",),
        ("area_id", *COUNT_COLUMNS, "gross_income_sum_15_64", *TIME_COLUMNS),
        counts=(*COUNT_COLUMNS, "year"),
        amounts=("gross_income_sum_15_64",),
        ids=("area_id",),
    ),
    "grid_statistics": LayerSchema(
        "cell_id", GEOMETRY_FAMILIES[POLYGON], ("cell_id",),
        (*COUNT_COLUMNS, "gross_income_sum_15_64", *TIME_COLUMNS),
        counts=(*COUNT_COLUMNS, "year"),
        amounts=("gross_income_sum_15_64",),
    ),
    "area_statistics": LayerSchema(
        "area_id", (), ("area_id",),
        (*COUNT_COLUMNS, "gross_income_sum_15_64", *AREA_SHARES, *AREA_AMOUNTS, *TIME_COLUMNS, "area_type"),
        counts=(*COUNT_COLUMNS, "year"),
        amounts=("gross_income_sum_15_64", *AREA_AMOUNTS),
        shares=AREA_SHARES,
    ),
    "district_schools": LayerSchema("district_id", (), ("district_id", "school_id"), ("share",)),
    # `district`: the district the school serves, by id or name (sources.schools.district_match).
    "schools": LayerSchema("school_id", GEOMETRY_FAMILIES[POINT], ("school_id", "name"), ("capacity", "district"),
                           counts=("capacity",)),
    "school_districts": LayerSchema(
        "district_id", GEOMETRY_FAMILIES[POLYGON], ("district_id",), ("school_id", "name"), ids=("school_id",)
    ),
    "jobs": LayerSchema("site_id", GEOMETRY_FAMILIES[POINT], ("site_id", "jobs"), ("sector",), counts=("jobs",)),
    "green_areas": LayerSchema(
        "green_id", GEOMETRY_FAMILIES[POLYGON], ("green_id",), ("kind", "public"),
        flags={"public": True}, defaults={"kind": "other"},
    ),
    "streets": LayerSchema(
        "street_id", GEOMETRY_FAMILIES[LINE], ("street_id",), ("walk", "bike", "name"), flags={"walk": True, "bike": True}
    ),
    "stations": LayerSchema("station_id", GEOMETRY_FAMILIES[POINT], ("station_id", "name")),
    "candidate_sites": LayerSchema(
        "site_id", GEOMETRY_FAMILIES[POLYGON] + GEOMETRY_FAMILIES[POINT], ("site_id", "kind", "name"),
        ("capacity", "closes_school_id", *NEW_DWELLINGS, "new_jobs"),
        counts=("capacity", *NEW_DWELLINGS, "new_jobs"),
        ids=("closes_school_id",),
        defaults={**dict.fromkeys(NEW_DWELLINGS, 0), "new_jobs": 0},
    ),
}
REQUIRED_LAYERS = ("housing_areas",)
# How the district-school link matches its columns: by id (default) or by name.
MATCH_KEYS = ("district_match", "school_match")
# Statistics layers: the support each count comes at (CONTRACT 2).
STATISTICS_LAYERS = ("parcels", "grid_statistics", "area_statistics")
# Columns with a fixed vocabulary, per layer (CONTRACT 2).
VOCABULARIES = {
    "housing_areas": {"area_type": {"social", "private", "mixed"}},
    "area_statistics": {"area_type": {"social", "private", "mixed"}},
    "candidate_sites": {"kind": {"school", "development"}},
    "green_areas": {"kind": {"park", "forest", "nature", "sports", "other"}},
}


@dataclass
class Source:
    """Where a layer comes from, for reading and for the messages."""

    layer_name: str
    path: Path
    settings: dict

    @property
    def file_layer(self) -> str | None:
        return self.settings.get("layer")

    def problem(self, what: str, fix: str, column: str | None = None, ids=(), count: int | None = None) -> Problem:
        """A problem located in this source."""
        return Problem(what, fix, file=self.path, layer=self.file_layer or self.layer_name, column=column,
                       ids=first_ids(ids), count=count if count is not None else (len(ids) if len(ids) else None))


# --- reading ---------------------------------------------------------------------------------------------

def configured_sources(config: Config) -> tuple[dict[str, Source], list[Problem]]:
    """The configured sources; required layers that are not configured are problems."""
    sources, problems = {}, []
    for name in (*VECTOR_LAYERS, *TABLE_LAYERS, *RASTER_LAYERS):
        settings = config["sources"].get(name)
        if not settings or not (settings.get("path") or settings.get("url") or settings.get("parts")):
            if name in REQUIRED_LAYERS:
                problems.append(Problem(f"no source is configured for the required layer '{name}'",
                                        f"add sources.{name}.path to {config.path}", file=config.path))
            continue
        # a source made of parts is located by the config file in messages; each part by its own file
        path = config.path if settings.get("parts") else source_path(config, settings)
        sources[name] = Source(name, path, {"unknown_values": config["ingest"].get("unknown_values", []), **settings})
    return sources, problems


def read_source(source: Source, schema: LayerSchema, config: Config) -> tuple[pd.DataFrame, list[Problem]]:
    """One layer with canonical column names: a file (vector or table), or parts joined on the layer's key."""
    if source.settings.get("parts"):
        return read_parts(source, schema, config)
    frame, problems = _read_file(source, schema, config)
    if problems:
        return frame, problems
    return rename_columns(frame, source, schema)


def _read_file(source: Source, schema: LayerSchema, config: Config) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read one file as a table or a vector layer; GDAL's complaints (a bad `where`, say) become problems."""
    try:
        if tables.is_table(source.path, source.settings):
            return tables.read_table(source.path, source.settings, source.problem, source.layer_name), []
        return read_vector(source, schema, config), []
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError,
            ValueError, UnicodeDecodeError) as err:
        where = source.settings.get("where")
        hint = (f"check the filter where: {where!r} (OGR SQL; CSV columns are text, so quote values: type_id = '11')"
                if where else "check that the file is complete and in a format GDAL reads")
        return None, [source.problem(f"the source cannot be read ({err})", hint)]


def read_parts(source: Source, schema: LayerSchema, config: Config) -> tuple[pd.DataFrame, list[Problem]]:
    """A layer given as several files (one per measure, say), each mapped on its own, joined on the layer's key.

    Keys of the source other than `parts` are defaults for every part (a part's `columns` extend them).
    Parts are joined on the key, and on `year` where both sides have one; a key missing from a part leaves
    that part's columns unknown (null) for it. A part with geometry gives the layer its geometry.
    """
    base = {k: v for k, v in source.settings.items() if k not in ("parts", "path", "url")}
    frames, problems = [], []
    for part in source.settings["parts"]:
        settings = {**base, **part, "columns": {**(base.get("columns") or {}), **(part.get("columns") or {})}}
        part_source = Source(source.layer_name, source_path(config, settings), settings)
        opened = _open_problem(part_source, config.root)
        frame, found = (None, [opened]) if opened else _read_file(part_source, schema, config)
        if not found:
            frame, found = rename_columns(frame, part_source, schema, required=(schema.id_column,))
        if not found:
            frame, found = _part_keys(frame, part_source, schema, config)
        problems += found
        frames.append(frame)
    if problems:
        return None, problems
    return join_parts(frames, source, schema)


def _part_keys(frame: pd.DataFrame, source: Source, schema: LayerSchema, config: Config) -> tuple[pd.DataFrame, list[Problem]]:
    """A part ready to join: its key as text, its year (from a date) as a number, its geometry in the working CRS."""
    frame = frame.copy()
    frame[schema.id_column] = _to_text_ids(frame[schema.id_column])
    frame, problems = clean_dates(frame, source, schema)
    if "year" in frame.columns:
        frame["year"] = pd.to_numeric(frame["year"], errors="coerce").astype("Float64")
    if isinstance(frame, gpd.GeoDataFrame) and not problems:
        frame, problems = to_working_crs(frame, source, config.crs, **_crs_checks(config))
    return frame, problems


def join_parts(frames: list[pd.DataFrame], source: Source, schema: LayerSchema) -> tuple[pd.DataFrame, list[Problem]]:
    """Outer-join the parts on the key (and year where both have one); a column given by two parts is a problem."""
    key = schema.id_column
    shared: dict[str, list[int]] = {}
    for number, frame in enumerate(frames, 1):
        for column in frame.columns:
            if column not in (key, "year", "date", "geometry"):
                shared.setdefault(column, []).append(number)
    twice = {c: n for c, n in shared.items() if len(n) > 1}
    if twice:
        return None, [source.problem(
            "parts give the same columns: " + "; ".join(f"{c} (parts {', '.join(map(str, n))})" for c, n in twice.items()),
            f"map each canonical column in one part of sources.{source.layer_name}.parts")]
    crs = next((f.crs for f in frames if isinstance(f, gpd.GeoDataFrame)), None)
    joined = pd.DataFrame(frames[0])
    for frame in frames[1:]:
        frame = pd.DataFrame(frame)
        on = [key, "year"] if "year" in joined.columns and "year" in frame.columns else [key]
        joined = joined.merge(frame, on=on, how="outer", suffixes=("", "__part"))
        for column in ("date", "geometry"):
            if f"{column}__part" in joined.columns:
                joined[column] = joined[column].where(joined[column].notna(), joined.pop(f"{column}__part"))
    if "geometry" in joined.columns:
        joined = gpd.GeoDataFrame(joined, geometry=joined["geometry"].where(joined["geometry"].notna(), None), crs=crs)
    return joined, []


def read_vector(source: Source, schema: LayerSchema, config: Config) -> gpd.GeoDataFrame:
    """Read one vector source (any OGR format, also inside a zip, or CSV with x/y or WKT columns): only the
    columns we use, its text decoded as declared or detected (pipeline/_read.py). Raises InputError.

    With ingest.read_extent_only, only features intersecting the configured extent are read (pyogrio bbox),
    which bounds memory for national files; features outside are then not reported.
    """
    if is_osm_source(source.layer_name, source.path, source.settings):  # walk/bike from the OSM tag table
        return read_osm_streets(source.path, source.settings, config)
    dataset, problem = _read.locate(source.path, source.file_layer, source.layer_name, config.root, source.problem)
    if problem is not None:
        raise InputError([problem])
    if dataset.is_parquet:
        # GeoParquet through pyarrow: the pyogrio wheels' GDAL routes .parquet to a driver needing libduckdb.
        return gpd.read_parquet(dataset.gdal_path)
    options = {}
    if dataset.is_csv:
        options = _csv_open_options(source)
    else:
        encoding = source.settings.get("encoding") if dataset.is_shapefile else None
        info = pyogrio.read_info(dataset.gdal_path, layer=dataset.layer, encoding=encoding)
        options["columns"] = _columns_to_read(source, schema, list(info["fields"]))
        if config["ingest"].get("read_extent_only") and info["crs"]:
            extent = gpd.GeoSeries([shapely.box(*config["extent"])], crs=config.crs).to_crs(info["crs"])
            options["bbox"] = tuple(extent.total_bounds)
    if source.settings.get("where"):  # an attribute filter (OGR SQL) selecting the rows to use
        options["where"] = source.settings["where"]
        options.pop("columns", None)
    frame, problems = _read.read_text_safely(dataset, source.settings.get("encoding"), options, source.problem,
                                             source.layer_name)
    if problems:
        raise InputError(problems)
    return frame


def read_and_prepare(source: Source, config: Config) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read and check one source; whatever GDAL, the text or GEOS raise becomes a problem naming the
    file and layer (CONTRACT 8: no input ends in a traceback)."""
    try:
        frame, problems = read_source(source, SCHEMAS[source.layer_name], config)
        if problems:
            return frame, problems
        prepare = prepare_link_table if source.layer_name == "district_schools" else prepare_layer
        return prepare(frame, source, config)
    except InputError as err:
        return None, [p if isinstance(p, Problem) else source.problem(str(p), "see the message") for p in err.problems]
    except READ_ERRORS as err:
        return None, [source.problem(
            f"the file could not be read ({type(err).__name__}: {str(err).strip() or 'no detail'})",
            f"check that the file is complete and in a format GDAL reads, and sources.{source.layer_name} "
            "(layer, columns, crs, encoding, csv_separator) in the config")]


def _columns_to_read(source: Source, schema: LayerSchema, fields: list[str]) -> list[str] | None:
    """The source columns that map to canonical ones; all columns when a required one is missing (to list them)."""
    mapping = source.settings.get("columns") or {}
    wanted = [mapping.get(c, c) for c in (*schema.required, *schema.optional)]
    if any(mapping.get(c, c) not in fields for c in schema.required) or any(m not in fields for m in mapping.values()):
        return None
    return [f for f in fields if f in wanted]


def _csv_open_options(source: Source) -> dict:
    """GDAL CSV open options for coordinate or WKT columns and the separator."""
    s = source.settings
    options = {"KEEP_GEOM_COLUMNS": "NO", "AUTODETECT_TYPE": "NO"}
    if s.get("wkt"):
        options["GEOM_POSSIBLE_NAMES"] = s["wkt"]
    else:
        options["X_POSSIBLE_NAMES"] = s.get("x", "x")
        options["Y_POSSIBLE_NAMES"] = s.get("y", "y")
    separator = s.get("csv_separator")
    if separator:
        options["SEPARATOR"] = {";": "SEMICOLON", ",": "COMMA", "\t": "TAB", " ": "SPACE"}.get(separator, separator)
    return options


def _open_problem(source: Source, root: Path | None = None) -> Problem | None:
    """A missing file or layer, an ambiguous zip or multi-layer file, said before reading."""
    if source.path.is_file() and tables.is_json_records(source.path):
        return None  # an array of records is no GDAL dataset until tables.py hands it over as one
    layer = source.file_layer
    if is_osm_source(source.layer_name, source.path, source.settings):
        layer = ways_layer(source.path, source.settings)  # an OSM file's ways, as read_osm_streets reads them
    return _read.locate(source.path, layer, source.layer_name, root or Path.cwd(), source.problem)[1]


# --- checking and cleaning -------------------------------------------------------------------------------

def rename_columns(frame: pd.DataFrame, source: Source, schema: LayerSchema,
                   required: tuple[str, ...] | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Map source columns to canonical ones (one source column may feed several) and keep only those.

    A mapped column that the source lacks is a problem, whether the canonical column is required or not;
    so is a mapping key that is no canonical column of the layer.
    """
    mapping = source.settings.get("columns") or {}
    required = schema.required if required is None else required
    known = (*schema.required, *schema.optional)
    present = ", ".join(str(c) for c in frame.columns if c != "geometry")
    problems = []
    unknown = [c for c in mapping if c not in known]
    if unknown:
        problems.append(source.problem(
            f"sources.{source.layer_name}.columns maps {', '.join(map(str, unknown))}, which the layer does not have",
            f"use the canonical names of layer '{source.layer_name}': {', '.join(known)}"))
    columns = {}
    for canonical in known:
        source_name = mapping.get(canonical, canonical)
        if source_name in frame.columns:
            columns[canonical] = frame[source_name]
        elif canonical in required:
            problems.append(source.problem(
                f"the required column '{source_name}' is missing (columns present: {present})",
                f"add the column, or map it with sources.{source.layer_name}.columns.{canonical}: <source column>",
                column=source_name))
        elif canonical in mapping:
            problems.append(source.problem(
                f"the column '{source_name}' mapped to {canonical} is missing (columns present: {present})",
                f"correct sources.{source.layer_name}.columns.{canonical}, or remove it if the source has no such column",
                column=source_name))
    renamed = pd.DataFrame(columns, index=frame.index)
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.name in frame.columns:
        renamed = gpd.GeoDataFrame(renamed, geometry=frame.geometry.values, crs=frame.crs)
    if source.layer_name == "school_districts" and not problems:
        renamed = school_lists(renamed, source)
    return renamed, problems


def school_lists(districts: pd.DataFrame, source: Source) -> pd.DataFrame:
    """A district school_id holding several schools (an array, or text split on school_id_separator) as school_ids."""
    if "school_id" not in districts.columns:
        return districts
    values = districts["school_id"]
    separator = source.settings.get("school_id_separator")
    is_list = values.map(lambda v: isinstance(v, list | tuple | np.ndarray), na_action="ignore").fillna(False).astype(bool)
    if separator:
        lists = values.astype("string").str.split(separator)
    elif is_list.any():
        lists = values.where(is_list, values.map(lambda v: [v], na_action="ignore"))
    else:
        return districts
    return districts.drop(columns="school_id").assign(school_ids=lists)


def _to_text_ids(values: pd.Series) -> pd.Series:
    """Ids as text exactly as given: text is only stripped ("0147" stays "0147"); a whole number 17 or 17.0 is "17"."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_integer_dtype(values):
        text = values.astype("string")
    elif pd.api.types.is_float_dtype(values):
        text = _number_ids(values)
    else:
        is_number = values.map(lambda v: isinstance(v, numbers.Real) and not isinstance(v, bool), na_action="ignore")
        is_number = is_number.fillna(False).astype(bool)
        text = values.astype("string").str.strip()
        if is_number.any():
            text = text.where(~is_number, _number_ids(pd.to_numeric(values.where(is_number), errors="coerce")))
    return text.where(text != "", pd.NA)


def _number_ids(values: pd.Series) -> pd.Series:
    """Numeric ids as text: whole numbers without a decimal part (GDAL gives some integer ids as 17.0)."""
    numeric = values.astype("float64")
    whole = numeric.notna() & (numeric == np.floor(numeric)) & (numeric.abs() < 2**53)
    text = numeric.astype("string")
    return text.where(~whole, numeric.where(whole).astype("Int64").astype("string"))


def clean_ids(frame: gpd.GeoDataFrame, source: Source, schema: LayerSchema) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """The layer's id column as unique, non-empty text; other id columns as text."""
    frame = frame.copy()
    problems = []
    for column in (schema.id_column, *schema.ids):
        if column in frame.columns:
            frame[column] = _to_text_ids(frame[column])
    ids = frame[schema.id_column]
    empty = ids.isna()
    if empty.any():
        problems.append(source.problem("ids are empty", f"give every row a {schema.id_column}",
                                       column=schema.id_column, ids=[f"row {i + 1}" for i in np.flatnonzero(empty)]))
    # with a year, an id occurs once per year (statistics over several years)
    key = [schema.id_column, "year"] if "year" in frame.columns else [schema.id_column]
    duplicated = ids[frame.duplicated(key, keep=False) & ~empty]
    if len(duplicated):
        per_year = " in the same year" if len(key) > 1 else ""
        fix = (f"make {schema.id_column} unique per year (select one date with sources.{source.layer_name}.where)"
               if len(key) > 1 else f"make {schema.id_column} unique (each row one feature)")
        problems.append(source.problem(f"{duplicated.nunique()} ids occur more than once{per_year}", fix,
                                       column=schema.id_column, ids=duplicated.unique()))
    return frame, problems


def clean_dates(frame: pd.DataFrame, source: Source, schema: LayerSchema) -> tuple[pd.DataFrame, list[Problem]]:
    """The `date` column (ISO 8601) as a date, and `year` taken from it where no year is mapped."""
    if "date" not in frame.columns:
        return frame, []
    frame = frame.copy()
    raw = frame["date"]
    text = raw.astype("string").str.strip()
    dates = pd.to_datetime(text.where(text != "", pd.NA), errors="coerce", format="ISO8601")
    unreadable = dates.isna() & text.notna() & (text != "")
    problems = []
    if unreadable.any():
        problems.append(source.problem("values are not dates", "write dates as YYYY-MM-DD", column="date",
                                       ids=frame.loc[unreadable, schema.id_column]))
    frame["date"] = dates
    if "year" not in frame.columns:
        frame["year"] = dates.dt.year.astype("Int64")
    return frame, problems


def clean_shares(frame: pd.DataFrame, source: Source, schema: LayerSchema) -> tuple[pd.DataFrame, list[Problem]]:
    """Shares and rates as fractions 0..1 (null where blank); a value above 1 looks like a percentage."""
    frame = frame.copy()
    problems = []
    ids = frame[schema.id_column]
    for column in schema.shares:
        if column not in frame.columns:
            continue
        raw = _unknown_as_blank(frame[column], source)
        values = _parse_numbers(raw, source.settings.get("csv_decimal", "."))
        not_number = values.isna() & raw.notna() & (raw.astype("string").str.strip() != "")
        if not_number.any():
            problems.append(source.problem("values are not numbers", "write plain numbers in this column",
                                           column=column, ids=ids[not_number]))
        if (values > 1).any():
            problems.append(source.problem("values are above 1: this looks like a percentage",
                                           "write shares as fractions 0..1 (divide percentages by 100)",
                                           column=column, ids=ids[values > 1]))
        if (values < 0).any():
            problems.append(source.problem("values are negative", "shares lie in 0..1", column=column, ids=ids[values < 0]))
        frame[column] = values
    return frame, problems


def fill_dwellings_other(frame: pd.DataFrame, source: Source, schema: LayerSchema) -> tuple[pd.DataFrame, list[Problem]]:
    """dwellings_other absent while tenure counts are given: the configured tenure classes cover all dwellings (0).

    A blank dwellings_other in a given column stays unknown, and without any tenure column nothing is filled.
    """
    if "dwellings_other" not in schema.counts or "dwellings_other" in frame.columns:
        return frame, []
    if not any(c in frame.columns for c in TENURE_COLUMNS):
        return frame, []
    return frame.assign(dwellings_other=0), []


def _parse_numbers(values: pd.Series, decimal: str) -> pd.Series:
    """Numbers from numeric or text columns (with comma decimals where configured)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values.astype("float64")
    text = values.astype("string").str.strip()
    if decimal == ",":
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    return pd.to_numeric(text.where(text != "", pd.NA), errors="coerce")


def _unknown_as_blank(values: pd.Series, source: Source) -> pd.Series:
    """Markers of suppressed or missing figures (unknown_values, e.g. DST's "..") as blanks: unknown, not 0."""
    markers = [str(m) for m in source.settings.get("unknown_values") or ()]
    if not markers or pd.api.types.is_numeric_dtype(values):
        return values
    return values.where(~values.astype("string").str.strip().isin(markers), pd.NA)


def clean_numbers(frame: gpd.GeoDataFrame, source: Source, schema: LayerSchema) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Counts as non-negative integers and amounts as non-negative numbers; report what is not."""
    frame = frame.copy()
    problems = []
    ids = frame[schema.id_column]
    decimal = source.settings.get("csv_decimal", ".")
    for column in (*schema.counts, *schema.amounts):
        if column not in frame.columns:
            continue
        raw = _unknown_as_blank(frame[column], source)
        numbers = _parse_numbers(raw, decimal)
        not_number = numbers.isna() & raw.notna() & (raw.astype("string").str.strip() != "")
        if not_number.any():
            problems.append(source.problem("values are not numbers", "write plain numbers in this column",
                                           column=column, ids=ids[not_number]))
        missing = numbers.isna() & ~not_number
        if missing.any() and column in schema.required:
            problems.append(source.problem("values are empty", "fill in a count for every row (0 where there is none)",
                                           column=column, ids=ids[missing]))
        negative = numbers < 0
        if negative.any():
            problems.append(source.problem("counts are negative", "counts must be 0 or more", column=column, ids=ids[negative]))
        fractional = (numbers != np.floor(numbers)) & numbers.notna()
        if column in schema.counts and fractional.any():
            problems.append(source.problem("counts are not whole numbers", "counts must be whole numbers",
                                           column=column, ids=ids[fractional]))
        if column in schema.counts:
            frame[column] = numbers.round().astype("Int64") if numbers.isna().any() else numbers.round().astype("int64")
        else:
            frame[column] = numbers
    return frame, problems


def check_count_bases(frame: gpd.GeoDataFrame, source: Source, schema: LayerSchema) -> list[Problem]:
    """Sub-counts may not exceed their base (COUNT_BASES: e.g. taxpayers_15_64 <= residents); unknown counts
    are not compared."""
    problems = []
    for parts, base in COUNT_BASES:
        if base not in frame.columns or any(part not in frame.columns for part in parts):
            continue
        total = sum(pd.to_numeric(frame[part]).astype("Float64") for part in parts)
        over = (total > pd.to_numeric(frame[base]).astype("Float64")).fillna(False).astype(bool)
        if over.any():
            named = " + ".join(parts)
            problems.append(source.problem(
                f"{named} exceeds {base}",
                f"check the counts: {named} {'are' if len(parts) > 1 else 'is'} part of {base} (docs/bad-input.md lists "
                "every count and its base)", column=parts[0], ids=frame.loc[over, schema.id_column]))
    return problems


def _parse_flags(values: pd.Series, default: bool) -> tuple[pd.Series, pd.Series]:
    """Booleans from bool, 0/1 or yes/no text; returns the flags and a mask of unreadable values."""
    if pd.api.types.is_bool_dtype(values):
        return values.fillna(default).astype(bool), pd.Series(False, index=values.index)
    text = values.astype("string").str.strip().str.lower()
    parsed = pd.Series(np.where(text.isin(TRUE_WORDS), True, np.where(text.isin(FALSE_WORDS), False, default)),
                       index=values.index)
    unreadable = text.notna() & ~text.isin(TRUE_WORDS | FALSE_WORDS) & (text != "")
    return parsed.astype(bool), unreadable


def clean_flags_and_defaults(frame: gpd.GeoDataFrame, source: Source, schema: LayerSchema) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Bool columns parsed (with the contract's defaults) and absent optional columns filled."""
    frame = frame.copy()
    problems = []
    for column, default in schema.flags.items():
        if column not in frame.columns:
            frame[column] = default
            continue
        frame[column], unreadable = _parse_flags(frame[column], default)
        if unreadable.any():
            problems.append(source.problem("values are not true/false", "write true or false (or 1/0, ja/nej)",
                                           column=column, ids=frame.loc[unreadable, schema.id_column]))
    for column, default in schema.defaults.items():
        if column not in frame.columns:
            frame[column] = default
        else:
            frame[column] = frame[column].fillna(default)
    return frame, problems


def clean_vocabularies(frame: gpd.GeoDataFrame, source: Source, schema: LayerSchema) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Columns with a fixed vocabulary (area_type, candidate kind, green kind) in lower case, holding only its words."""
    frame = frame.copy()
    problems = []
    for column, words in VOCABULARIES.get(source.layer_name, {}).items():
        if column not in frame.columns:
            continue
        frame[column] = frame[column].astype("string").str.strip().str.lower()
        wrong = frame[column].notna() & ~frame[column].isin(words)
        if wrong.any():
            problems.append(source.problem(f"values outside {', '.join(sorted(words))}", "use one of those words",
                                           column=column, ids=frame.loc[wrong, schema.id_column]))
    return frame, problems


def to_working_crs(frame: gpd.GeoDataFrame, source: Source, crs: str, *, extent=None,
                   margin_deg: float = 5.0) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Reproject to the working CRS once the declared CRS is known to fit the coordinates (pipeline/_crs.py).

    A layer without CRS needs one named in config (sources.<layer>.crs); a configured CRS also replaces a
    declared one that does not fit the coordinates (a wrong .prj), with a warning.
    """
    if not isinstance(frame, gpd.GeoDataFrame):
        return frame, []  # a table without geometry (e.g. statistics per area) has no CRS to check
    configured = source.settings.get("crs")
    if frame.crs is None and not configured:
        return frame, [source.problem("the layer has no coordinate reference system",
                                      f"set sources.{source.layer_name}.crs in the config (e.g. EPSG:25832)")]
    bounds = _crs.layer_bounds(frame.geometry)
    declared = frame.crs if frame.crs is not None else configured
    use = declared
    if bounds is not None and not _crs.fits(bounds, declared, margin_deg):
        if frame.crs is not None and configured and _crs.fits(bounds, configured, margin_deg):
            warn(f"{source.path} layer '{source.file_layer or source.layer_name}': the file declares "
                 f"{_crs.crs_name(frame.crs)}, which does not fit its coordinates ({_crs.describe(bounds)}); "
                 f"read them as sources.{source.layer_name}.crs {_crs.crs_name(configured)}")
            use = configured
        else:
            return frame, [_crs_problem(source, declared, bounds, crs, extent, margin_deg)]
    frame = frame.set_crs(use, allow_override=True).to_crs(crs)
    coordinates, row = shapely.get_coordinates(frame.geometry.to_numpy(), return_index=True)
    broken = np.unique(row[~np.isfinite(coordinates).all(axis=1)])
    if len(broken):
        return frame, [source.problem(
            f"coordinates could not be reprojected from {_crs.crs_name(use)} to {crs}",
            f"check the layer's CRS (sources.{source.layer_name}.crs, or the file's .prj)", column="geometry",
            ids=frame[SCHEMAS[source.layer_name].id_column].iloc[broken].tolist(), count=len(broken))]
    return frame, []


def _crs_problem(source: Source, declared, bounds, working_crs: str, extent, margin_deg: float) -> Problem:
    """The declared CRS does not fit the coordinates: say so, and name the usual Danish CRS that fits."""
    said = "the file declares" if source.settings.get("crs") is None or not isinstance(declared, str) \
        else f"sources.{source.layer_name}.crs says"
    likely = _crs.likely_crss(bounds, working_crs, extent, margin_deg) if extent is not None else []
    seen = f"coordinates ({_crs.describe(bounds)}) lie outside its area of use"
    if likely:
        seen = f"coordinates look like {' or '.join(likely[:2])} ({_crs.describe(bounds)})"
    target = likely[0] if likely else "the CRS the coordinates are in"
    return source.problem(
        f"{said} {_crs.crs_name(declared)}, but {seen}",
        f"set sources.{source.layer_name}.crs: {target} in the config (it replaces a declared CRS that does not fit), "
        "or correct the file's CRS (a Shapefile's .prj) and export again", column="geometry")


def check_geometries(frame: gpd.GeoDataFrame, source: Source, schema: LayerSchema, extent) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Empty, wrongly typed, invalid and out-of-extent geometries; repair what make_valid can."""
    ids = frame[schema.id_column]
    geoms = frame.geometry.values
    empty = np.asarray(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if empty.any():
        return frame, [source.problem("geometries are empty", "give every feature a geometry or remove the row",
                                      column="geometry", ids=ids[empty])]
    types = frame.geom_type
    wrong = ~types.isin(schema.geometry)
    if wrong.any():
        expected = " or ".join(schema.geometry)
        return frame, [source.problem(f"geometries are {', '.join(sorted(types[wrong].unique()))}, expected {expected}",
                                      "export the layer with the expected geometry type", column="geometry", ids=ids[wrong])]
    frame, problems = _repair(frame, source, schema)
    if problems:
        return frame, problems
    xmin, ymin, xmax, ymax = extent
    bounds = frame.geometry.bounds
    outside = (bounds.minx < xmin) | (bounds.miny < ymin) | (bounds.maxx > xmax) | (bounds.maxy > ymax)
    if outside.any():
        problems.append(source.problem(
            f"geometries lie outside the configured extent {list(extent)} (working CRS)",
            f"check the layer's CRS (sources.{source.layer_name}.crs) or widen `extent` in the config",
            column="geometry", ids=frame.loc[outside, schema.id_column]))
    return frame, problems


def _repair(frame: gpd.GeoDataFrame, source: Source, schema: LayerSchema) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """make_valid invalid polygons, keeping their polygonal parts; warn about what was repaired."""
    invalid = active_executor().map_parcels(_invalid_geometries, frame)["invalid"]
    if not invalid.any():
        return frame, []
    ids = frame[schema.id_column]
    try:
        repaired = frame.geometry[invalid].make_valid()
    except shapely.errors.GEOSException as err:
        return frame, [source.problem(
            f"geometries are invalid and GEOS cannot repair them ({err}); the likely cause is coordinates that do not "
            "fit the layer's CRS, or a corrupt export",
            "check the layer's CRS and fix the geometries in a GIS (e.g. QGIS 'Fix geometries'), then export again",
            column="geometry", ids=ids[invalid])]
    if GEOMETRY_FAMILIES[POLYGON][0] in schema.geometry:
        repaired = _polygonal_parts(repaired)
    lost = repaired.is_empty | ~repaired.geom_type.isin(schema.geometry)
    if lost.any():
        return frame, [source.problem("geometries are invalid and cannot be repaired",
                                      "fix them in a GIS (e.g. QGIS 'Fix geometries') and export again",
                                      column="geometry", ids=ids[invalid][lost.values])]
    frame = frame.copy()
    frame.loc[invalid, "geometry"] = repaired.values
    warn(f"{source.path} layer '{source.file_layer or source.layer_name}': repaired {int(invalid.sum())} invalid "
         f"geometries with make_valid (ids {', '.join(map(str, first_ids(ids[invalid])))})")
    return frame, []


def _invalid_geometries(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """Which geometries GEOS finds invalid (row-wise, so it runs per partition on a cluster)."""
    return pd.DataFrame({"invalid": ~frame.geometry.is_valid}, index=frame.index)


def _polygonal_parts(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """The polygons of each geometry (make_valid can return collections with lines), as one geometry each."""
    parts = geoms.explode(index_parts=False)
    parts = parts[parts.geom_type.isin(GEOMETRY_FAMILIES[POLYGON])]
    merged = parts.groupby(level=0).agg(lambda g: shapely.union_all(g.values))
    out = gpd.GeoSeries(merged.reindex(geoms.index), crs=geoms.crs)
    return out.fillna(shapely.Polygon())


def explode_multiparts(frame: gpd.GeoDataFrame, source: Source, schema: LayerSchema) -> gpd.GeoDataFrame:
    """Streets as single LineStrings and points as single Points, with a warning when a layer had multiparts."""
    single = {LINE: "MultiLineString", POINT: "MultiPoint"}
    multi_type = next((m for fam, m in single.items() if GEOMETRY_FAMILIES[fam][0] in schema.geometry
                       and GEOMETRY_FAMILIES[POLYGON][0] not in schema.geometry), None)
    if multi_type is None:
        return frame
    is_multi = frame.geom_type == multi_type
    if not is_multi.any():
        return frame
    exploded = frame.explode(index_parts=True)
    part = exploded.index.get_level_values(1)
    n_parts = exploded.groupby(level=0)[schema.id_column].transform("size")
    suffix = np.where(n_parts > 1, "-" + pd.Series(part + 1, index=exploded.index).astype(str), "")
    exploded[schema.id_column] = exploded[schema.id_column].astype(str) + suffix
    warn(f"{source.path} layer '{source.file_layer or source.layer_name}': split {int(is_multi.sum())} {multi_type} "
         f"features into single parts (ids suffixed -1, -2, ...)")
    return exploded.reset_index(drop=True)


def _crs_checks(config: Config) -> dict:
    """How to_working_crs checks a layer's coordinates against its declared CRS (extent and margin)."""
    return {"extent": config["extent"], "margin_deg": float(config["ingest"]["crs_area_margin_deg"])}


def prepare_layer(frame: pd.DataFrame, source: Source, config: Config) -> tuple[pd.DataFrame, list[Problem]]:
    """Every check and conversion of one layer with canonical columns, in order; the problems found."""
    schema = SCHEMAS[source.layer_name]
    if frame.empty:
        where = source.settings.get("where")
        return frame, [source.problem("the layer is empty" + (f" (after the filter where: {where!r})" if where else ""),
                                      "export the layer with its features" + (", or check the filter" if where else ""))]
    frame, problems = clean_dates(frame, source, schema)
    frame, more = clean_ids(frame, source, schema)
    problems += more
    for step in (clean_numbers, clean_shares, fill_dwellings_other, clean_flags_and_defaults, clean_vocabularies):
        frame, more = step(frame, source, schema)
        problems += more
    problems += check_count_bases(frame, source, schema)
    # canonical columns in contract order (school_ids: a district's list of schools, kept for the link only)
    frame = frame[[c for c in (*schema.required, *schema.optional, "school_ids", "geometry") if c in frame.columns]]
    if problems or not schema.geometry:
        return pd.DataFrame(frame) if not schema.geometry else frame, problems
    has_geometry = isinstance(frame, gpd.GeoDataFrame)
    if source.layer_name == "grid_statistics":
        if has_geometry:
            frame, problems = to_working_crs(frame, source, config.crs, **_crs_checks(config))
        if problems:
            return frame, problems
        frame, problems = locate_grid_cells(frame, source, config.crs)
    elif not has_geometry:
        return frame, [source.problem("the layer has no geometry", f"export the layer with its {' or '.join(schema.geometry)} geometries")]
    else:
        frame, problems = to_working_crs(frame, source, config.crs, **_crs_checks(config))
    if problems:
        return frame, problems
    frame, problems = check_geometries(frame, source, schema, config["extent"])
    if problems:
        return frame, problems
    return explode_multiparts(frame, source, schema), []


def locate_grid_cells(frame: pd.DataFrame, source: Source, crs: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Each cell's polygon in the working CRS: as given (checked against its DST id), else made from the id."""
    cell_ids = frame["cell_id"]
    parsed = gridcells.cell_polygons(cell_ids)
    given = frame.geometry.values if isinstance(frame, gpd.GeoDataFrame) else np.full(len(frame), None, dtype=object)
    no_polygon = np.asarray(shapely.is_missing(given))
    unparseable = no_polygon & np.asarray(shapely.is_missing(parsed))
    if unparseable.any():
        return frame, [source.problem(
            "cell ids are not DST grid ids and the cells have no polygons", "write ids such as 100m_61756_7195 "
            "(100 m cell, corner N 6,175,600 E 719,500) or 1km_6175_719, or give the cells as polygons",
            column="cell_id", ids=cell_ids[unparseable])]
    made = gpd.GeoSeries(parsed, crs=gridcells.GRID_CRS, index=frame.index).to_crs(crs).values
    if not no_polygon.all():
        given_on_grid = gpd.GeoSeries(given, crs=crs).to_crs(gridcells.GRID_CRS).values
        size_m = gridcells.cell_corners(cell_ids)["size_m"].to_numpy()
        misplaced = gridcells.misplaced_cells(given_on_grid, parsed, size_m)
        if misplaced.any():
            warn(f"{source.path} layer '{source.file_layer or source.layer_name}': {int(misplaced.sum())} grid cells lie more "
                 f"than half a cell from the cell their id names (cell_id {', '.join(map(str, first_ids(cell_ids[misplaced])))}); "
                 "the polygons are kept as given: check the ids or the layer's CRS")
    geometry = np.where(no_polygon, made, given)
    columns = pd.DataFrame(frame).drop(columns="geometry", errors="ignore")
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries(geometry, crs=crs, index=frame.index)), []


def check_references(layers: dict[str, pd.DataFrame], sources: dict[str, Source]) -> list[Problem]:
    """Ids that refer to another layer must exist there (parcel and area statistics area_id, closed schools)."""
    references = (
        ("parcels", "area_id", "housing_areas", "area_id"),
        ("candidate_sites", "closes_school_id", "schools", "school_id"),
    )
    problems = []
    for layer, column, target, target_column in references:
        if layer not in layers or target not in layers or column not in layers[layer].columns:
            continue
        values = layers[layer][column]
        unknown = values.notna() & ~values.isin(layers[target][target_column])
        if unknown.any():
            problems.append(sources[layer].problem(
                f"{int(unknown.sum())} values name no {target_column} of layer '{target}'",
                f"use ids that exist in '{target}', or leave them empty", column=column,
                ids=layers[layer].loc[unknown, SCHEMAS[layer].id_column]))
    if "area_statistics" in layers and "housing_areas" in layers:
        problems += _unknown_statistics_areas(layers["area_statistics"], layers["housing_areas"], sources["area_statistics"])
    return problems


def _unknown_statistics_areas(statistics: pd.DataFrame, areas: pd.DataFrame, source: Source) -> list[Problem]:
    """area_statistics rows whose area_id is no housing area, with the closest area ids and names."""
    unknown = statistics.loc[~statistics["area_id"].isin(areas["area_id"]), "area_id"].unique()
    if not len(unknown):
        return []
    labels = areas["area_id"].astype(str) + " (" + areas["name"].astype(str) + ")"
    candidates = pd.concat([areas["area_id"].astype(str), areas["name"].astype(str)])
    by_candidate = dict(zip(candidates, pd.concat([labels, labels]), strict=True))
    hints = [f"'{v}' (closest: {', '.join(dict.fromkeys(by_candidate[c] for c in closest_names(v, candidates))) or 'none'})"
             for v in unknown[:10]]
    return [source.problem(f"{len(unknown)} area_id values name no housing area: {'; '.join(hints)}",
                           "use the area_id of the housing_areas layer", column="area_id", ids=list(unknown))]


# --- canopy raster ---------------------------------------------------------------------------------------

def read_canopy(source: Source, config: Config, extent_box) -> tuple[np.ndarray | None, dict | None, list[Problem]]:
    """The canopy fraction 0..1 in the working CRS (land-cover classes turned into 0/1), and its profile."""
    import rasterio
    from rasterio.crs import CRS
    from rasterio.vrt import WarpedVRT
    from rasterio.warp import Resampling

    if not source.path.exists():
        return None, None, [source.problem("the file does not exist", "check sources.canopy.path in the config")]
    ingest = config["ingest"]
    with rasterio.open(source.path) as src:
        src_crs = src.crs or (CRS.from_user_input(source.settings["crs"]) if source.settings.get("crs") else None)
        if src_crs is None:
            return None, None, [source.problem("the raster has no coordinate reference system", "set sources.canopy.crs in the config")]
        landcover = ingest["canopy_kind"] == "landcover"
        resampling = Resampling.nearest if landcover else Resampling.bilinear
        with WarpedVRT(src, src_crs=src_crs, crs=config.crs, resampling=resampling) as vrt:
            window = vrt.window(*extent_box).intersection(rasterio.windows.Window(0, 0, vrt.width, vrt.height)) \
                if _overlaps(vrt.bounds, extent_box) else None
            if window is None:
                return None, None, [source.problem(
                    f"the raster (bounds {[round(b) for b in vrt.bounds]}) does not overlap the housing areas "
                    f"(bounds {[round(b) for b in extent_box]})",
                    "check the raster's CRS and that it covers the municipality")]
            window = window.round_offsets().round_lengths()
            data = vrt.read(1, window=window, masked=True).astype("float32")
            transform = vrt.window_transform(window)
    values = np.where(np.ma.getmaskarray(data), np.nan, np.ma.getdata(data)).astype("float32")
    if landcover:
        classes = np.asarray(ingest["canopy_classes"], dtype="float32")
        values = np.where(np.isnan(values), np.nan, np.isin(values, classes).astype("float32"))
    elif np.nanmax(values, initial=0) > 1.0 + 1e-6 or np.nanmin(values, initial=0) < -1e-6:
        return None, None, [source.problem(
            f"canopy values range {np.nanmin(values):.2f} to {np.nanmax(values):.2f}, expected fractions 0..1",
            "scale a percentage to 0..1, or set ingest.canopy_kind: landcover with canopy_classes")]
    profile = {"driver": "GTiff", "width": values.shape[1], "height": values.shape[0], "count": 1,
               "dtype": "float32", "crs": config.crs, "transform": transform, "nodata": np.nan,
               "compress": "deflate", "tiled": True}
    return values, profile, []


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def write_canopy(values: np.ndarray, profile: dict, target: Path) -> Path:
    """Write the canopy fraction GeoTIFF atomically."""
    import rasterio

    with atomic_path(target) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(values, 1)
    return target


# --- the stage -------------------------------------------------------------------------------------------

def load_layers(config: Config) -> tuple[dict[str, pd.DataFrame], tuple | None]:
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
    if not problems:
        problems += link_districts_and_schools(layers, sources, config)
    canopy = None
    if "canopy" in sources and not problems:
        canopy = _load_canopy(sources["canopy"], config, layers)
        problems += canopy[2] if canopy else []
    if problems:
        raise InputError(problems)
    return layers, canopy


def prepare_link_table(frame: pd.DataFrame, source: Source, config: Config) -> tuple[pd.DataFrame, list[Problem]]:
    """The district_schools table: ids as text, share as a number (matched to the layers later)."""
    if frame.empty:
        return frame, [source.problem("the layer is empty", "list which schools serve which district")]
    frame = pd.DataFrame(frame).drop(columns="geometry", errors="ignore")
    for column in ("district_id", "school_id"):
        frame[column] = _to_text_ids(frame[column])
    empty = frame["district_id"].isna() | frame["school_id"].isna()
    problems = []
    if empty.any():
        problems.append(source.problem("rows lack a district_id or school_id", "give both on every row",
                                       ids=[f"row {i + 1}" for i in np.flatnonzero(empty)]))
    if "share" in frame.columns:
        raw = frame["share"]
        frame["share"] = _parse_numbers(raw, source.settings.get("csv_decimal", "."))
        not_number = frame["share"].isna() & raw.notna() & (raw.astype("string").str.strip() != "")
        if not_number.any():
            problems.append(source.problem("values are not numbers", "write shares as fractions 0..1", column="share",
                                           ids=frame.loc[not_number, "district_id"]))
    return frame, problems


def link_districts_and_schools(layers: dict[str, pd.DataFrame], sources: dict[str, Source], config: Config) -> list[Problem]:
    """Build layers['district_schools'] (CONTRACT 2) from whichever link is given; the problems found."""
    table = layers.pop("district_schools", None)
    districts = layers.get("school_districts")
    if districts is None:
        if table is not None:
            return [sources["district_schools"].problem("district_schools needs the school_districts layer",
                                                        "configure sources.school_districts")]
        return []
    schools = layers.get("schools")
    if schools is None and table is None:
        return []
    problems = [sources[layer].problem(f"sources.{layer}.{key} is {source.settings[key]!r}", f"set {key} to id or name")
                for layer, source in sources.items() for key in MATCH_KEYS
                if layer in ("district_schools", "schools", "school_districts")
                and source.settings.get(key, "id") not in ("id", "name")]
    if problems:
        return problems
    links, problems = district_schools(districts, schools, sources, table, tolerance=config["ingest"]["share_sum_tolerance"])
    if not problems:
        layers["district_schools"] = links
        if "school_ids" in districts.columns:  # the list lives on in district_schools
            layers["school_districts"] = districts.drop(columns="school_ids")
        log.info("Linked %s districts and %s schools (%s links)", f"{links.district_id.nunique():,}",
                 f"{links.school_id.nunique():,}", f"{len(links):,}")
    return problems


def _load_canopy(source: Source, config: Config, layers: dict) -> tuple | None:
    """The canopy raster over the housing areas, or None when it is optional and missing or holds no valid cell.

    A raster with no valid cell over the areas (all nodata) is an error when required and a warning when
    optional (`required: false`): it would otherwise pass as "0 cells" and leave canopy_share empty unsaid.
    """
    from rasterio.errors import RasterioError

    optional = source.settings.get("required", True) is False
    if not source.path.exists() and optional:
        warn(f"optional source canopy is missing ({source.path}); canopy_share will be empty")
        return None
    extent_box = tuple(layers["housing_areas"].total_bounds) if "housing_areas" in layers else tuple(config["extent"])
    try:
        values, profile, problems = read_canopy(source, config, extent_box)
    except (RasterioError, ValueError, OSError, pyproj.exceptions.CRSError) as err:
        return None, None, [source.problem(f"the raster could not be read ({type(err).__name__}: {err})",
                                           "check that the file is a complete GeoTIFF with a CRS")]
    if problems or np.isfinite(values).any():
        return values, profile, problems
    what = (f"the raster has no valid cell over the housing areas (bounds {[round(b) for b in extent_box]}): "
            "every cell there is nodata")
    if optional:
        warn(f"{source.path}: {what}; canopy_share will be empty")
        return None
    return None, None, [source.problem(what, "check the raster's nodata value and that it covers the municipality, "
                                       "or set sources.canopy.required: false to run without canopy figures")]


def validate(config: Config) -> dict[str, int]:
    """Check every input as ingest would, write nothing; rows per layer."""
    layers, canopy = load_layers(config)
    counts = {name: len(frame) for name, frame in layers.items()}
    if canopy is not None:
        counts["canopy"] = int(np.isfinite(canopy[0]).sum())
    return counts


def run(config: Config) -> list[Path]:
    """Ingest every configured source into data/processed/<layer>.parquet (and canopy.tif)."""
    layers, canopy = load_layers(config)
    written = []
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
    summary = {"rows": {name: len(frame) for name, frame in layers.items()}, "canopy": canopy is not None,
               "crs": config.crs}
    written.append(datasets.write(config, "ingest", summary))
    return written
