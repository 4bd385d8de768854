"""Streets from OpenStreetMap: the ways of an OSM file, with walk and bike decided by the tag table in config.

A streets source is OSM when it is an .osm.pbf or .osm file (GDAL's OSM driver, read through pyogrio:
layer `lines`, the tags without a column of their own in `other_tags` as `"key"=>"value"` pairs), or
when its source config says `osm: true` (a GeoPackage, GeoJSON, ... exported from OSM with a `highway`
column and the other tags in `other_tags` or in columns of their own). Each way's `highway` value gives
its walk and bike defaults (config `ingest.osm.highway`); the access tags then take a mode away or give
it, the most specific tag deciding (`access` < `foot`; `access` < `vehicle` < `bicycle`). The table and
its reasons are explained in docs/accessibility.md ("Streets from OpenStreetMap").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from pipeline.core.config import Config
from pipeline.core.errors import InputError, Problem
from pipeline.core.log import log, warn

# File names GDAL's OSM driver reads, and the layer of its ways that are not areas or relations.
OSM_FILE_SUFFIXES = (".pbf", ".osm")
OSM_WAYS_LAYER = "lines"
TAGS_COLUMN = "other_tags"


def is_osm_source(layer_name: str, path: Path, settings: Mapping) -> bool:
    """Whether a source is read as OSM ways: a streets source that is an OSM file or says `osm: true`."""
    if layer_name != "streets" or settings.get("osm") is False:
        return False
    return bool(settings.get("osm")) or Path(path).suffix.lower() in OSM_FILE_SUFFIXES


def tag_values(ways: pd.DataFrame, key: str) -> pd.Series:
    """One tag's value per way (lower case; the first of a `;` list), from its own column or `other_tags`."""
    values = pd.Series(pd.NA, index=ways.index, dtype="string")
    if TAGS_COLUMN in ways.columns:
        # "key"=>"value" pairs separated by commas; a quote inside a value is escaped as \"
        pattern = rf'(?:^|,)"{re.escape(key)}"=>"((?:[^"\\]|\\.)*)"'
        values = ways[TAGS_COLUMN].astype("string").str.extract(pattern, expand=False)
    if key in ways.columns:
        own = ways[key].astype("string").str.strip()
        values = own.where(own.notna() & (own != ""), values)
    return values.str.split(";").str[0].str.strip().str.lower()


def _word(value) -> str:
    """A tag value from config as text: YAML reads an unquoted yes/no as a bool."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value).lower()


def _is_in(values: pd.Series, words) -> np.ndarray:
    """Which values are among the words (missing values are not)."""
    return values.isin([_word(w) for w in words]).fillna(False).to_numpy(dtype=bool)


def mode_allowed(ways: pd.DataFrame, default: np.ndarray, tags: list[str], table: Mapping) -> np.ndarray:
    """Whether each way may be used by one mode: its highway default, then its access tags in order.

    tags run from the least to the most specific (e.g. access, vehicle, bicycle), so a later tag overrides
    an earlier one. A `no` value (table `no_values`) takes the mode away. A `yes` value (`yes_values`) of the
    mode's own tag (the last: foot, bicycle) gives it, also on a motorway; of a general tag (access, vehicle)
    it only restores the highway's default, so `access=yes` never opens a motorway to pedestrians.
    """
    closed = np.zeros(len(ways), dtype=bool)
    for key, words in (table.get("closed_by") or {}).items():
        closed |= _is_in(tag_values(ways, key), words)
    base = default & ~closed
    allowed = base.copy()
    *general, own = tags
    for key in general:
        value = tag_values(ways, key)
        allowed = np.where(_is_in(value, table["no_values"]), False, np.where(_is_in(value, table["yes_values"]), base, allowed))
    value = tag_values(ways, own)
    return np.where(_is_in(value, table["no_values"]), False, np.where(_is_in(value, table["yes_values"]), True, allowed))


def street_flags(ways: pd.DataFrame, table: Mapping) -> pd.DataFrame:
    """Per way: its highway value, whether it is a street in the table, and walk and bike (the OSM tag table)."""
    highway = tag_values(ways, "highway")
    kinds = table["highway"]
    is_street = _is_in(highway, kinds.keys())
    default = {mode: highway.map({k: bool(v[mode]) for k, v in kinds.items()}).fillna(False).to_numpy(dtype=bool)
               for mode in ("walk", "bike")}
    return pd.DataFrame({
        "highway": highway,
        "is_street": is_street,
        "walk": is_street & mode_allowed(ways, default["walk"], list(table["walk_tags"]), table),
        "bike": is_street & mode_allowed(ways, default["bike"], list(table["bike_tags"]), table),
    }, index=ways.index)


def streets_from_ways(ways: gpd.GeoDataFrame, table: Mapping, where: str) -> gpd.GeoDataFrame:
    """The ways that are streets, with walk and bike from the tag table; unknown highway values are warned."""
    flags = street_flags(ways, table)
    unknown = flags.highway.notna() & ~flags.is_street & ~_is_in(flags.highway, table["not_streets"])
    if unknown.any():
        counts = flags.highway[unknown].value_counts()
        listed = ", ".join(f"{value} ({n:,})" for value, n in counts.items())
        warn(f"{where}: left out {int(unknown.sum()):,} OSM ways whose highway value is not in ingest.osm.highway: "
             f"{listed}; add a value with its walk and bike to keep those ways")
    streets = ways.loc[flags.is_street].copy()
    streets["walk"] = flags.walk[flags.is_street]
    streets["bike"] = flags.bike[flags.is_street]
    log.info("Read %s OSM ways: kept %s streets (%s walkable, %s cyclable), left out %s without a street highway value",
             f"{len(ways):,}", f"{len(streets):,}", f"{int(streets.walk.sum()):,}", f"{int(streets.bike.sum()):,}",
             f"{len(ways) - len(streets):,}")
    return streets


def _read_ways(path: Path, layer: str | None, settings: Mapping, config: Config, wanted: set[str],
               id_columns: list[str]) -> gpd.GeoDataFrame:
    """The ways of an OSM file or export: the wanted and id columns (every column when no id column is there)."""
    if path.suffix.lower() == ".parquet":
        return gpd.read_parquet(path)
    info = pyogrio.read_info(path, layer=layer, encoding=settings.get("encoding"))
    fields = [str(f) for f in info["fields"]]
    has_id = any(c in fields for c in id_columns)
    options: dict = {"columns": [f for f in fields if f in wanted or f in id_columns] if has_id else None}
    if settings.get("encoding"):
        options["encoding"] = settings["encoding"]
    if config["ingest"].get("read_extent_only") and info["crs"]:
        extent = gpd.GeoSeries([shapely.box(*config["extent"])], crs=config.crs).to_crs(info["crs"])
        options["bbox"] = tuple(extent.total_bounds)
    return pyogrio.read_dataframe(path, layer=layer, use_arrow=True, **options)


def ways_layer(path: Path, settings: Mapping) -> str | None:
    """The layer holding the ways: the configured one, `lines` in an .osm.pbf/.osm file, else the only one."""
    return settings.get("layer") or (OSM_WAYS_LAYER if Path(path).suffix.lower() in OSM_FILE_SUFFIXES else None)


def _varint(buffer: bytes, at: int) -> tuple[int, int]:
    """A protocol-buffer varint at `at`: its value and the position after it."""
    shift = value = 0
    while at < len(buffer):
        byte = buffer[at]
        at += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return value, at
    raise ValueError("varint runs past the end")


def pbf_end(path: Path) -> tuple[int, int] | None:
    """Where an .osm.pbf file ends inside a data block (a download cut short): (the byte the block should end
    at, the file's size); None when its blocks end with the file. Reads only the blocks' headers (the
    format: a 4-byte length, a BlobHeader whose field 3 is the block's size, then the block)."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        at = 0
        while at < size:
            length = int.from_bytes(handle.read(4), "big") if at + 4 <= size else size
            header = handle.read(length)
            if at + 4 + length > size or len(header) < length:
                return at + 4 + length, size
            block, i = None, 0
            try:
                while i < len(header):
                    key, i = _varint(header, i)
                    value, i = _varint(header, i)
                    if key & 7 == 2:
                        i += value
                    elif key >> 3 == 3:
                        block = value
            except ValueError:
                return at + 4 + length, size
            if block is None:
                return None  # not a block header GDAL's driver would read either; GDAL says what it makes of it
            at += 4 + length + block
            if at > size:
                return at, size
            handle.seek(at)
    return None


def read_osm_streets(path: Path, settings: Mapping, config: Config) -> gpd.GeoDataFrame:
    """The streets of an OSM source: id as street_id, name, and walk and bike from the tag table.

    The other columns pass on for ingest's checks (a missing id column is then reported with the columns present).
    """
    table = config["ingest"]["osm"]
    mapping = settings.get("columns") or {}
    path = Path(path)
    layer = ways_layer(path, settings)
    where = f"{path} layer '{layer or path.stem}'"
    mapped_flags = [c for c in ("walk", "bike") if c in mapping]
    if mapped_flags:
        raise InputError(Problem(
            "an OpenStreetMap source takes walk and bike from the OSM tag table, not from columns",
            f"remove sources.streets.columns.{'/'.join(mapped_flags)}, or set sources.streets.osm: false to read the columns",
            file=path, layer=layer, column=mapped_flags[0]))
    cut = pbf_end(path) if path.name.lower().endswith(".pbf") and path.is_file() else None
    if cut is not None:
        raise InputError(Problem(
            f"the .osm.pbf file is truncated: it ends at byte {cut[1]:,} inside a data block that runs to byte {cut[0]:,}",
            "download the file again (the download was cut short) and compare its size with the one the source gives",
            file=path, layer=layer))
    name_column = mapping.get("name", "name")
    tag_keys = {"highway", *table["walk_tags"], *table["bike_tags"], *(table.get("closed_by") or {})}
    id_columns = [mapping["street_id"]] if mapping.get("street_id") else list(table["id_columns"])
    ways = _read_ways(path, layer, settings, config, {TAGS_COLUMN, name_column, *tag_keys}, id_columns)
    if "highway" not in ways.columns and TAGS_COLUMN not in ways.columns:
        raise InputError(Problem(
            f"an OpenStreetMap source needs the ways' highway tag: there is neither a 'highway' nor an '{TAGS_COLUMN}' column",
            "export the ways with their tags, or set sources.streets.osm: false and map walk and bike columns",
            file=path, layer=layer, column="highway"))
    id_column = next((c for c in id_columns if c in ways.columns), None)
    streets = streets_from_ways(ways, table, where)
    renamed = {name_column: "name"}
    if id_column is not None:
        renamed[id_column] = "street_id"
    return streets.rename(columns=renamed)
