"""Reading one source with canonical column names: a file (vector or table), or parts joined on the key.

Vector files go through pyogrio (pipeline/sources/read.py opens zips and multi-layer files and decodes text),
tables without geometry through pipeline/sources/tables.py, OpenStreetMap files through pipeline/sources/osm.py. Source
columns are mapped to the canonical names; what cannot be read becomes a problem naming file and layer.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyogrio
import pyproj
import shapely

from pipeline.core.config import Config
from pipeline.core.errors import InputError, Problem, first_ids
from pipeline.core.log import warn
from pipeline.core.paths import source_path
from pipeline.core.stages import RASTER_LAYERS, TABLE_LAYERS, VECTOR_LAYERS
from pipeline.ingest.clean import _to_text_ids
from pipeline.ingest.geometry import _crs_checks, to_working_crs
from pipeline.ingest.schema import REQUIRED_LAYERS, LayerSchema, Source
from pipeline.ingest.years import clean_years
from pipeline.sources import read as _read
from pipeline.sources import tables
from pipeline.sources.osm import is_osm_source, read_osm_streets, ways_layer

# What reading a source can raise besides InputError: GDAL (pyogrio), text decoding, Arrow, GEOS, PROJ, the OS.
READ_ERRORS = (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, pyogrio.errors.FieldError,
               pyogrio.errors.GeometryError, pyogrio.errors.CRSError, pyogrio.errors.FeatureError, ValueError, UnicodeDecodeError, OSError,
               pa.ArrowException, shapely.errors.GEOSException, pyproj.exceptions.CRSError)


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
        sources[name] = Source(name, path, {**ingest_checks(config), **settings})
    return sources, problems


def ingest_checks(config: Config) -> dict:
    """The ingest settings every source's checks read (unknown_values, year_spread, equal_to_base); a source's own
    unknown_values overrides the config's."""
    ingest = config["ingest"]
    return {"unknown_values": ingest.get("unknown_values", []), "year_spread": ingest["year_spread"],
            "equal_to_base": ingest["equal_to_base"]}


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
    frames, problems, paths = [], [], []
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
        paths.append(part_source.path)
        if not found:
            source.files.update(dict.fromkeys((c for c in frame.columns if c not in (schema.id_column, "geometry")),
                                              part_source.path))
    if problems:
        return None, problems
    problems = _unmatched_keys(frames, paths, source, schema)
    if problems:
        return None, problems
    joined, problems = join_parts(frames, source, schema)
    return joined, problems or _required_in_parts(joined, source, schema)


def _unmatched_keys(frames: list[pd.DataFrame], paths: list[Path], source: Source, schema: LayerSchema) -> list[Problem]:
    """Parts beside the one with the geometry (a capacity table beside the schools, say): a key the geometry
    part lacks is a problem naming the table's file and rows; a feature the table lacks is warned (its values
    unknown). Grid cells are exempt: a cell without a polygon is made from its id."""
    shaped = [i for i, f in enumerate(frames) if isinstance(f, gpd.GeoDataFrame) and f.geometry.notna().any()]
    if not schema.geometry or source.layer_name == "grid_statistics" or len(shaped) != 1:
        return []
    key = schema.id_column
    features = set(frames[shaped[0]][key].dropna())
    problems = []
    for frame, path in ((f, p) for i, (f, p) in enumerate(zip(frames, paths, strict=True)) if i != shaped[0]):
        keys = frame[key]
        extra = keys.notna() & ~keys.isin(features)
        if extra.any():
            problems.append(Problem(
                f"{int(extra.sum())} rows name a {key} that {paths[shaped[0]].name} does not have",
                f"use the {key} values of {paths[shaped[0]].name}, or remove the rows", file=path,
                layer=source.layer_name, column=key, ids=first_ids(keys[extra]), count=int(extra.sum())))
        lacking = sorted(features - set(keys.dropna()))
        if lacking:
            values = ", ".join(c for c in frame.columns if c not in (key, "year", "date", "geometry"))
            warn(f"{path} layer '{source.layer_name}': {len(lacking)} {key} values of {paths[shaped[0]].name} have no row "
                 f"here, so their {values} stay unknown ({key} {', '.join(map(str, lacking[:10]))})")
    return problems


def _required_in_parts(frame: pd.DataFrame, source: Source, schema: LayerSchema) -> list[Problem]:
    """Every required column of the layer given by some part, and given for every row the parts join (a key
    in one part only would add a school with no name, say)."""
    key = schema.id_column
    absent = [c for c in schema.required if c not in frame.columns]
    if absent:
        return [source.problem(f"no part gives the required column {', '.join(absent)}",
                               f"map it in one part: sources.{source.layer_name}.parts[...].columns.{absent[0]}: "
                               "<source column>", column=absent[0])]
    problems = []
    for column in (c for c in schema.required if c != key):
        blank = frame[column].isna() | (frame[column].astype("string").str.strip() == "")
        blank = blank.fillna(True).astype(bool)
        problems += [source.problem(f"{int(blank.sum())} rows have no {column} (their {key} is in one part only, or "
                                    f"the {column} is blank)", f"give every {key} its {column} in the part that maps it",
                                    column=column, ids=frame.loc[blank, key])] if blank.any() else []
    return problems


def _part_keys(frame: pd.DataFrame, source: Source, schema: LayerSchema, config: Config) -> tuple[pd.DataFrame, list[Problem]]:
    """A part ready to join: its key as text, its year (from a date) as a number, its geometry in the working CRS."""
    frame = frame.copy()
    frame[schema.id_column] = _to_text_ids(frame[schema.id_column])
    frame, problems = clean_years(frame, source, schema)
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
    columns we use, its text decoded as declared or detected (pipeline/sources/read.py). Raises InputError.

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
    return {**options, **tables.separator_option(s)}


def _open_problem(source: Source, root: Path | None = None) -> Problem | None:
    """A missing file or layer, an ambiguous zip or multi-layer file, said before reading."""
    if source.path.is_file() and tables.is_json_records(source.path):
        return None  # an array of records is no GDAL dataset until tables.py hands it over as one
    layer = source.file_layer
    if is_osm_source(source.layer_name, source.path, source.settings):
        layer = ways_layer(source.path, source.settings)  # an OSM file's ways, as read_osm_streets reads them
    return _read.locate(source.path, layer, source.layer_name, root or Path.cwd(), source.problem)[1]


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
