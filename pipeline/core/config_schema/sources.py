"""The sources: the keys every layer's source may have (`Source`) and the layers there are (`Sources`).

A source needs a path, a url or parts; x goes with y, wkt replaces them; CRS, encoding, checksum and URL are
checked when given. A new source layer is one line in `Sources`, a new key of every source one line in `Source`.
"""

from __future__ import annotations

import codecs
import re
from typing import Literal

from pydantic import (
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from pipeline.core.config_schema.values import Section, Text, _parse_crs, key, optional


def _matching(value: str | None, pattern: str, what: str, fix: str, *, kind: str) -> str | None:
    """The text when it starts with a match of `pattern` (absent text passes); else the error `what` and its fix."""
    if value is not None and not re.match(pattern, value):
        raise PydanticCustomError(kind, what, {"value": value, "fix": fix})
    return value


class Source(Section):
    path: Text | None = optional("file path (any format pyogrio reads, CSV, GeoTIFF for canopy); local copy of url", "path")
    url: Text | None = optional("http(s) address fetched by `refresh`", "URL")
    sha256: Text | None = optional("checksum the downloaded file must match (64 hex digits)")
    layer: Text | None = optional("layer inside a multi-layer file (GeoPackage); default the only or first layer")
    columns: dict[str, str] | None = optional("{canonical_name: source_column} where the source's names differ")
    crs: Text | None = optional("CRS to assume when the file has none", "CRS")
    encoding: Text | None = optional("text encoding of a Shapefile without .cpg or a CSV (Danish files: often cp1252)")
    x: Text | None = optional("CSV: the x (easting) column")
    y: Text | None = optional("CSV: the y (northing) column")
    wkt: Text | None = optional("CSV: the WKT geometry column (instead of x and y)")
    csv_separator: Literal[",", ";", "\t", " "] | None = optional("CSV field separator")
    csv_decimal: Literal[".", ","] | None = optional("CSV decimal mark")
    required: bool | None = optional("false: a missing file (or failed download) is a warning and the layer absent")
    where: Text | None = optional("attribute filter (OGR SQL) selecting the rows to use")
    parts: list[Source] | None = optional("the layer as several files joined on its key; the other keys are defaults for every part")
    district_match: Literal["id", "name"] | None = optional("match districts by id or by name")
    school_match: Literal["id", "name"] | None = optional("match schools by id or by name")
    school_id_separator: Text | None = optional("school_districts: the text splitting several school ids in one value")
    unknown_values: list[Text] | None = optional("text in a number column that means unknown (overrides ingest.unknown_values)")
    dissolve: bool | None = optional("polygons: true joins the rows of one id into one feature (DAGI gives a parish in several parts)")
    osm: bool | None = optional("streets: true reads the file as OpenStreetMap ways (walk/bike from ingest.osm); false: not OSM")
    # land_cover (CONTRACT 6c): the raster's codes per class
    classes: dict[Literal["natural", "semi_natural", "lawn", "trees", "sealed", "water", "other"], list[int]] | None = optional(
        "land_cover: the raster's codes per class {natural: [codes], semi_natural, lawn, trees, sealed, water, other}")

    @field_validator("crs")
    @classmethod
    def _known_crs(cls, value: str | None) -> str | None:
        return _parse_crs(value)

    @field_validator("encoding")
    @classmethod
    def _known_encoding(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                codecs.lookup(value)
            except LookupError as err:
                raise PydanticCustomError("encoding", "'{value}' is not a text encoding Python knows",
                                          {"value": value, "fix": "write e.g. cp1252 (Windows Danish), utf-8 or latin-1"}) from err
        return value

    @field_validator("sha256")
    @classmethod
    def _hex_digest(cls, value: str | None) -> str | None:
        return _matching(value, r"[0-9a-fA-F]{64}\Z", "'{value}' is not a sha256 checksum (64 hex digits)",
                         "copy the whole checksum, or leave sha256 out", kind="sha256")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        return _matching(value, r"https?://", "'{value}' is not an http(s) address",
                         "write an address starting with https:// or http://", kind="url")

    @model_validator(mode="after")
    def _consistent(self) -> Source:
        if not (self.path or self.url or self.parts):
            raise PydanticCustomError("source_without_file", "the source has neither a path nor a url",
                                      {"fix": "give its path (or url), or write null for an absent layer"})
        if (self.x is None) != (self.y is None):
            raise PydanticCustomError("x_without_y", "a CSV source needs both x and y (or wkt)",
                                      {"fix": "name both coordinate columns, x and y"})
        if self.wkt is not None and self.x is not None:
            raise PydanticCustomError("wkt_and_xy", "the source gives both wkt and x/y",
                                      {"fix": "keep wkt or x and y, not both"})
        if self.csv_separator is not None and self.csv_separator == self.csv_decimal:
            raise PydanticCustomError("separator_is_decimal", "csv_separator and csv_decimal are the same character",
                                      {"fix": "Danish CSVs usually have csv_separator ';' and csv_decimal ','"})
        return self


class Sources(Section):
    housing_areas: Source | None = key("housing areas (boligområder), polygons; the one required layer")
    parcels: Source | None = key("parcels (or addresses) with dwellings by tenure and register counts")
    grid_statistics: Source | None = key("counts per cell of the DST national grid (kvadratnet), by cell id or polygons")
    area_statistics: Source | None = key("a table keyed by area_id: counts or published values per housing area")
    district_schools: Source | None = key("which schools serve which district: district_id, school_id, share")
    schools: Source | None = key("schools, points, with capacity")
    school_districts: Source | None = key("school districts, polygons, with their school_id")
    jobs: Source | None = key("job sites (CVR production units), points, with jobs")
    green_areas: Source | None = key("parks, forests, nature and sports grounds, polygons")
    streets: Source | None = key("street centre lines for the walking and cycling networks")
    stations: Source | None = key("railway and metro stations, points")
    canopy: Source | None = key("tree canopy raster (fraction 0..1, or land-cover classes)")
    candidate_sites: Source | None = key("candidate school and development sites")
    gtfs: Source | None = key("public transport timetable, GTFS (zip or folder): stops, routes, trips, stop_times, calendar")
    # green structure (CONTRACT 6c)
    land_cover: Source | None = key("classified land-cover raster (codes mapped by classes), or an OSM file rasterised")
    protected_nature: Source | None = key("protected nature (section 3: mose, eng, overdrev, sø, hede, strandeng), polygons")
    plan_projects: Source | None = key("the plan's projects: area_id, year, signed dwelling changes per tenure, jobs, cost")
