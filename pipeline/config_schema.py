"""The config schema: what each key of pipeline/defaults.yaml may hold (type, unit, range, meaning).

The values stay in pipeline/defaults.yaml with their comments; this module only says what a value may be,
so the defaults are never kept twice. `check_config` validates the merged config (defaults + project file)
with pydantic and reports every mistake at once as one InputError (exit 2) naming the file, the key's full
dotted path and the fix. `configuration_markdown` writes the reference table of docs/configuration.md.

To add a config key (one line here, one value in defaults.yaml):
1. give it a value and a comment in pipeline/defaults.yaml, in its section;
2. add one line to the section's class below, e.g. in `Access`:
   ``max_snap_m: Positive = key("farthest a parcel may lie from the network to be snapped", "m")``
   (types: Share, Rate, Positive, NonNegative, AtLeastOne, Whole, Count, Year, Literal[...], bool, Text ...);
   a new source layer is one line in `Sources`, a new key of every source one line in `Source`;
3. run ``python -m pipeline config-docs`` to regenerate docs/configuration.md (a test compares them).
"""

from __future__ import annotations

import codecs
import datetime as dt
import difflib
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from pipeline._errors import InputError, Problem

# --- value types ------------------------------------------------------------------------------------------


def _number_input(value: Any) -> Any:
    """Refuse true/false where a number is meant (pydantic would read true as 1)."""
    if isinstance(value, bool):
        raise PydanticCustomError("bool_for_number", "true/false where a number is expected",
                                  {"fix": "write a number"})
    return value


def _text_input(value: Any) -> Any:
    """A YAML date (2024-06-30 unquoted) is read as its ISO text."""
    return value.isoformat() if isinstance(value, dt.date) else value


_NUMBER = BeforeValidator(_number_input)
Share = Annotated[float, _NUMBER, Field(ge=0, le=1)]
Rate = Annotated[float, _NUMBER, Field(gt=0, le=1)]
Positive = Annotated[float, _NUMBER, Field(gt=0)]
NonNegative = Annotated[float, _NUMBER, Field(ge=0)]
AtLeastOne = Annotated[float, _NUMBER, Field(ge=1)]
Whole = Annotated[int, _NUMBER, Field(ge=1)]
Count = Annotated[int, _NUMBER, Field(ge=0)]
Year = Annotated[int, _NUMBER, Field(ge=1900, le=2100)]
Text = Annotated[str, BeforeValidator(_text_input)]
Name = Annotated[str, Field(min_length=1)]


def key(description: str, unit: str = "") -> Any:
    """A required config key: its value comes from defaults.yaml or the project file, never from here."""
    return Field(description=description, json_schema_extra={"unit": unit})


def optional(description: str, unit: str = "") -> Any:
    """A key of a source, absent unless the project file gives it."""
    return Field(None, description=description, json_schema_extra={"unit": unit})


class Section(BaseModel):
    """A config mapping whose keys are all known: any other key is an error naming the closest known one."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


def _parse_crs(value: str | None) -> str | None:
    """The CRS text as given, when pyproj understands it."""
    if value is None:
        return value
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        CRS.from_user_input(value)
    except CRSError as err:
        raise PydanticCustomError("crs", "'{value}' is not a CRS pyproj knows ({err})",
                                  {"value": value, "err": str(err).splitlines()[0],
                                   "fix": "write an EPSG code such as EPSG:25832 (ETRS89 / UTM 32N) or EPSG:4326"}) from err
    return value


# --- the sections -----------------------------------------------------------------------------------------


class Paths(Section):
    raw: Name = key("raw inputs (read-only; only demo-data and source downloads write here)", "path")
    processed: Name = key("stage outputs (GeoParquet, run.json)", "path")
    maps: Name = key("the published map pages (a link to the current release)", "path")
    logs: Name = key("per-run logs and logs/runs.jsonl", "path")
    lock: Name = key("the run lock file (holder's pid and start time)", "path")


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
    osm: bool | None = optional("streets: true reads the file as OpenStreetMap ways (walk/bike from ingest.osm); false: not OSM")

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
        if value is not None and not re.fullmatch(r"[0-9a-fA-F]{64}", value):
            raise PydanticCustomError("sha256", "'{value}' is not a sha256 checksum (64 hex digits)",
                                      {"value": value, "fix": "copy the whole checksum, or leave sha256 out"})
        return value

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"https?://", value):
            raise PydanticCustomError("url", "'{value}' is not an http(s) address",
                                      {"value": value, "fix": "write an address starting with https:// or http://"})
        return value

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


class Modes(Section):
    walk: bool = key("pedestrians may walk there")
    bike: bool = key("cyclists may ride there")


def _osm_word(value: Any) -> Any:
    """YAML reads unquoted yes/no as true/false: an OSM tag value is the word."""
    return {True: "yes", False: "no"}.get(value, value) if isinstance(value, bool) else value


OsmWord = Annotated[str, BeforeValidator(_osm_word)]


class Osm(Section):
    highway: dict[Name, Modes] = key("each OSM highway value's walk and bike when no access tag says otherwise")
    not_streets: list[OsmWord] = key("highway values left out without a warning (construction, proposed, ...)")
    walk_tags: list[Name] = key("access tags read for walking, least specific first")
    bike_tags: list[Name] = key("access tags read for cycling, least specific first")
    no_values: list[OsmWord] = key("tag values that take a mode away (no, private, use_sidepath, ...)")
    yes_values: list[OsmWord] = key("tag values that give a mode (yes, designated, permissive, official)")
    closed_by: dict[Name, list[OsmWord]] = key("tags that close a way to walking and cycling (motorroad: yes)")
    id_columns: list[Name] = key("columns tried in order for street_id (osm_id, osm_way_id, id, ...)")


class Ingest(Section):
    tenures: list[Name] = Field(min_length=1, description="tenure classes: the dwellings_<tenure> columns",
                                json_schema_extra={"unit": ""})
    canopy_kind: Literal["fraction", "landcover"] = key("canopy raster: fraction 0..1 per cell, or land-cover classes")
    canopy_classes: list[int] = key("land-cover classes that count as canopy (canopy_kind landcover)")
    read_extent_only: bool = key("read only features intersecting `extent` (national files); others are skipped")
    unknown_values: list[Text] = key("text in a number column that means unknown (DST's '..'), read as null, never 0")
    share_sum_tolerance: Annotated[float, _NUMBER, Field(ge=0, lt=1)] = key("district_schools: a district's shares must sum to 1 within", "share")
    crs_area_margin_deg: Annotated[float, _NUMBER, Field(ge=0, le=30)] = key("coordinates must lie in the declared CRS's area of use widened by", "degrees")
    osm: Osm = key("the OpenStreetMap tag table: walk and bike per way (docs/accessibility.md)")


class SegregationGroup(Section):
    group: Name = key("the group's count column (area sums of areas_mix)")
    total: Name = key("the total it is part of")


class RuleSet(Section):
    from_year: Year = key("the first year (list of 1 December) this rule set governs", "year")
    to_year: Year | None = optional("the last year it governs (null: still in force)", "year")
    c1_outside_work_edu_gt: Share | None = optional("criterion 1 threshold, where it differs from mix's")
    c2_crime_ratio_ge: Positive | None = optional("criterion 2 threshold, where it differs", "x national")
    c3_basic_edu_gt: Share | None = optional("criterion 3 threshold, where it differs")
    c4_income_ratio_lt: Positive | None = optional("criterion 4 threshold, where it differs", "x regional")
    min_residents: Count | None = optional("residents an area needs for a status, where it differs", "residents")
    min_social_share: Share | None = optional("share of social dwellings of a social area, where it differs")
    udsat_min_criteria: Annotated[int, _NUMBER, Field(ge=1, le=4)] | None = optional("udsat from this many criteria, where it differs", "criteria")
    parallelsamfund_non_western_gt: Share | None = optional("parallelsamfund non-Western share above, where it differs")
    omdannelse_years: Whole | None = optional("omdannelse after this many years on the list, where it differs", "years")
    forebyggelse_areas: bool | None = optional("whether the rule set has prevention areas (section 61 b, since 2021)")
    forebyggelse_non_western_gt: Share | None = optional("forebyggelse non-Western share above, where it differs")
    forebyggelse_min_criteria: Annotated[int, _NUMBER, Field(ge=1, le=4)] | None = optional("forebyggelse from this many criteria, where it differs", "criteria")
    forebyggelse_c1_gt: Share | None = optional("prevention criterion 1, where it differs")
    forebyggelse_c2_ge: Positive | None = optional("prevention criterion 2, where it differs", "x national")
    forebyggelse_c3_gt: Share | None = optional("prevention criterion 3, where it differs")
    forebyggelse_c4_lt: Positive | None = optional("prevention criterion 4, where it differs", "x regional")


class Mix(Section):
    c1_outside_work_edu_gt: Share = key("criterion 1: share of residents 18-64 outside work and education above")
    c2_crime_ratio_ge: Positive = key("criterion 2: conviction rate 18+ at least this times the national rate", "x national")
    c3_basic_edu_gt: Share = key("criterion 3: share of residents 30-59 with basic schooling only above")
    c4_income_ratio_lt: Positive = key("criterion 4: mean gross income 15-64 below this times the regional mean", "x regional")
    national_conviction_rate: Rate = key("national conviction rate (convicted / residents 18+) for criterion 2", "share")
    national_conviction_rate_year: Year = key("the year the national conviction rate describes", "year")
    regional_mean_income: Positive = key("the region's mean gross income of taxpayers 15-64 for criterion 4", "DKK")
    regional_mean_income_year: Year = key("the year the regional mean income describes", "year")
    min_residents: Count = key("an area needs at least this many residents to get a status", "residents")
    min_social_share: Share = key("an area counts as social from this share of social dwellings")
    udsat_min_criteria: Annotated[int, _NUMBER, Field(ge=1, le=4)] = key("udsat when at least this many of c1..c4 are met", "criteria")
    parallelsamfund_non_western_gt: Share = key("parallelsamfund: udsat and non-Western share above")
    omdannelse_years: Whole = key("omdannelse: parallelsamfund this many years in a row (years_listed + 1)", "years")
    forebyggelse_non_western_gt: Share = key("forebyggelse: non-Western share above")
    forebyggelse_min_criteria: Annotated[int, _NUMBER, Field(ge=1, le=4)] = key("forebyggelse: at least this many prevention criteria", "criteria")
    forebyggelse_c1_gt: Share = key("prevention criterion 1: share outside work and education above")
    forebyggelse_c2_ge: Positive = key("prevention criterion 2: conviction rate at least this times national", "x national")
    forebyggelse_c3_gt: Share = key("prevention criterion 3: share with basic schooling only above")
    forebyggelse_c4_lt: Positive = key("prevention criterion 4: mean income below this times regional", "x regional")
    family_housing_cap: Share = key("omdannelse areas: social family dwellings capped at this share by 2030")
    compare_decimals: Annotated[int, _NUMBER, Field(ge=0, le=15)] = key("indicators rounded to this many decimals before threshold tests", "decimals")
    blank_as_zero: list[Name] = key("count columns whose blanks mean 0 in your data (default none: a blank is unknown)")
    min_grid_coverage: Share = key("areas and districts less covered by the grid than this share get null grid-fed figures")
    segregation_groups: dict[str, SegregationGroup] = key("groups for segregation.json and lq_<name>: {name: {group, total}}")
    rule_sets: dict[str, RuleSet] = key("section 61 a rule sets by year: {name: {from_year, to_year, keys that differ}}")


class Access(Section):
    walk_m_per_min: Positive = key("walking speed", "m/min")
    bike_m_per_min: Positive = key("cycling speed", "m/min")
    detour_factor: AtLeastOne = key("without streets: straight-line distance times this", "x")
    snap_tolerance_m: NonNegative = key("street ends closer than this to a vertex become one junction", "m")
    free_transport_dist_m: Positive = key("pupils farther from their district's school get free transport", "m")
    jobs_walk_minutes: Positive = key("jobs_walk_15: jobs reachable walking within", "min")
    jobs_bike_minutes: Positive = key("jobs_bike_30: jobs reachable cycling within", "min")
    gravity_beta_per_min: NonNegative = key("gravity job access decay beta: jobs x exp(-beta x minutes)", "1/min")
    gravity_max_minutes: Positive = key("gravity sum counts jobs within this many cycling minutes", "min")
    origin_chunk_size: Whole = key("origins per chunk of network searches", "origins")
    min_green_area_m2: NonNegative = key("green_dist_m counts public green pieces of at least this area", "m2")
    green_near_m: Positive = key("share_residents_green_300: within this walking distance of green", "m")
    green_radius_m: Positive = key("green_m2_per_resident_1km: public green within this straight-line radius", "m")
    canopy_target_share: Share = key("meets_canopy_30: canopy_share at least")
    green_access_spacing_m: Positive = key("spacing of access points along green-area boundaries", "m")
    max_snap_m: Positive = key("parcels and destinations farther from the routable network get null network figures", "m")
    max_far_share: Share = key("more parcels than this share beyond max_snap_m stops the run (streets in a wrong CRS or extent)")


class Scenarios(Section):
    honour_capacity: bool = key("allocate pupils up to each school's capacity (false: all to the nearest school)")
    default_new_school_capacity: Whole = key("capacity of a new school site that gives none", "pupils")
    school_network_mode: Literal["walk", "bike"] = key("street network for pupils' distances")
    development_max_dist_m: NonNegative = key("a development site outside every area joins the nearest within", "m")
    school_objective: Literal["min_dissimilarity_no_overcapacity", "min_dissimilarity", "min_mean_dist"] = key(
        "how school sites are ranked")
    development_objective: Literal["max_fall_share_social_family_omdannelse", "max_jobs_bike_30_gain"] = key(
        "how development sites are ranked")


class Publish(Section):
    tiles: Name = key("base map tiles: OpenStreetMap, another folium tiles name, or none")
    simplify_tolerance_m: NonNegative = key("geometries simplified for display by", "m")
    coordinate_decimals: Annotated[int, _NUMBER, Field(ge=0, le=10)] = key("decimals of page coordinates (6 is ~0.1 m)", "decimals")
    classification_scheme: Literal[
        "FisherJenks", "FisherJenksSampled", "Quantiles", "EqualInterval", "NaturalBreaks", "JenksCaspall",
        "JenksCaspallSampled", "JenksCaspallForced", "MaximumBreaks",
    ] = key("mapclassify scheme of the legend classes")
    classes: Annotated[int, _NUMBER, Field(ge=1, le=9)] = key("number of legend classes", "classes")
    page_size_budget_bytes: Whole = key("publish warns when a page exceeds this size", "bytes")
    release_dir: Name = key("folder of releases/<run_id>/, current and previous", "path")
    keep_previous: Count = key("earlier published sets kept for rollback (0: none)", "sets")
    profile_min_overlap_share: Share = key("profiles list school districts and catchments covering at least this share of an area", "share")


class Privacy(Section):
    min_residents: Count = key("person-based figures of smaller areas and districts are suppressed", "residents")
    suppressed_label: Name = key("the text shown instead of a suppressed figure")


class Refresh(Section):
    timeout_s: Positive = key("download timeout", "s")
    retries: Count = key("download retries after a failure", "retries")
    backoff_s: NonNegative = key("first wait between retries (doubles each time)", "s")
    max_download_bytes: Whole = key("a larger download is refused", "bytes")
    keep_logs: Whole = key("per-run logs kept in logs/", "logs")


class Execution(Section):
    backend: Literal["local", "dask"] = key("where parcel-level work runs")
    scheduler: Text | None = key("null: a LocalCluster on 127.0.0.1; or tcp://host:port of a running scheduler")
    partitions: Whole = key("spatial (Hilbert) partitions of the parcels", "partitions")
    workers: Whole = key("worker processes of the LocalCluster", "workers")
    connect_timeout_s: Positive = key("an unreachable scheduler stops the run after", "s")


class PipelineConfig(Section):
    root: Text = key("folder that relative paths resolve against, relative to the config file's folder", "path")
    crs: Name = key("working CRS, projected in metres (EPSG:25832 in Denmark)", "CRS")
    extent: Annotated[list[Annotated[float, _NUMBER]], Field(min_length=4, max_length=4)] = key(
        "geometries outside this box are an input error: [xmin, ymin, xmax, ymax]", "m")
    data_note: Text = key("text shown on every page and output, e.g. the data's source and date")
    data_date: Text = key("the date the data describes (pages' data date); empty: the newest input's date")
    language: Literal["da", "en"] = key("language of the published pages: da (Danish) or en (English)")
    progress_every_s: NonNegative = key("long steps log their progress at most this often when not on a terminal", "s")
    paths: Paths
    sources: Sources
    ingest: Ingest
    mix: Mix
    access: Access
    scenarios: Scenarios
    publish: Publish
    privacy: Privacy
    refresh: Refresh
    execution: Execution

    @field_validator("crs")
    @classmethod
    def _metric_crs(cls, value: str) -> str:
        from pyproj import CRS

        crs = CRS.from_user_input(_parse_crs(value))
        units = {axis.unit_name for axis in crs.axis_info}
        if not crs.is_projected or units - {"metre"}:
            raise PydanticCustomError("crs_not_metric", "'{value}' is not a projected CRS in metres",
                                      {"value": value, "fix": "write EPSG:25832 (ETRS89 / UTM 32N), the Danish standard"})
        return value

    @field_validator("extent")
    @classmethod
    def _extent_box(cls, value: list[float]) -> list[float]:
        xmin, ymin, xmax, ymax = value
        if not (xmin < xmax and ymin < ymax):
            raise PydanticCustomError("extent_order", "the extent {value} is not [xmin, ymin, xmax, ymax] with xmin < xmax "
                                      "and ymin < ymax",
                                      {"value": value, "fix": "write [xmin, ymin, xmax, ymax] in the working CRS"})
        return value


# --- checking a config ------------------------------------------------------------------------------------

# Keys the command line adds to the merged config for one run (not written in any config file).
RUNTIME_KEYS = ("run",)


def check_config(data: dict, *, file: Path, project: Mapping, defaults: Mapping, defaults_file: Path) -> dict:
    """The merged config validated against the schema, values coerced where safe (YAML int for a float key).

    Every problem is collected and raised at once as one InputError naming the file and each key's fix.
    """
    runtime = {k: data[k] for k in RUNTIME_KEYS if k in data and k not in project}
    checked = {k: v for k, v in data.items() if k not in runtime}
    try:
        model = PipelineConfig.model_validate(checked)
    except ValidationError as err:
        problems = [_problem(e, file, project, defaults, defaults_file) for e in err.errors()]
        raise InputError(problems) from None
    return {**model.model_dump(exclude_unset=True), **runtime}


def _lookup(data: Any, loc: tuple) -> tuple[bool, Any]:
    """(found, value) at loc inside nested mappings and lists."""
    for part in loc:
        if isinstance(data, Mapping) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and part < len(data):
            data = data[part]
        else:
            return False, None
    return True, data


def _unwrap(annotation: Any) -> Any:
    """The annotation without Annotated[...] and `| None`."""
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
        elif get_origin(annotation) in (Union, type(int | None)):
            annotation = next(a for a in get_args(annotation) if a is not type(None))
        else:
            return annotation


def _model_at(loc: tuple) -> Any:
    """The schema type at loc: a model class, dict[...] or a plain type (None when loc leaves the schema)."""
    current: Any = PipelineConfig
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            if part not in current.model_fields:
                return None
            current = current.model_fields[part].annotation
        elif get_origin(current) in (dict, list):
            current = get_args(current)[-1]
        else:
            return None
    return _unwrap(current)


def _dotted(loc: tuple) -> str:
    """privacy.min_residents, extent[2]."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _decimal_text(value: float) -> str:
    """0.4 as 0.40, 0.125 as 0.125: how a share is written in the config."""
    text = f"{value:.6f}".rstrip("0")
    return text + "0" * max(0, 2 - len(text.split(".")[1]))


def _range_text(field: Any) -> str:
    """The allowed range of a field's value, e.g. '0 .. 1' or '> 0'."""
    low = high = ""
    for item in getattr(field, "metadata", []):
        if isinstance(item, annotated_types.Ge):
            low = f">= {item.ge:g}"
        elif isinstance(item, annotated_types.Gt):
            low = f"> {item.gt:g}"
        elif isinstance(item, annotated_types.Le):
            high = f"<= {item.le:g}"
        elif isinstance(item, annotated_types.Lt):
            high = f"< {item.lt:g}"
        elif isinstance(item, annotated_types.MinLen) and item.min_length > 1:
            low = f"{item.min_length} items"
        elif isinstance(item, annotated_types.MinLen):
            low = "non-empty"
    if low.endswith("items") and high:  # a fixed length: MaxLen is not shown
        high = ""
    if low.startswith(">=") and high.startswith("<="):
        return f"{low[3:]} .. {high[3:]}"
    return " and ".join(t for t in (low, high) if t)


def _field(loc: tuple) -> Any:
    """The pydantic FieldInfo of the key at loc, or None."""
    parent = _model_at(loc[:-1]) if loc else None
    if isinstance(parent, type) and issubclass(parent, BaseModel):
        return parent.model_fields.get(loc[-1])
    return None


def _unknown_key_fix(loc: tuple, origin: Path, defaults_file: Path) -> str:
    """Did you mean the closest known key? (or: add the key to the schema, for a key of defaults.yaml)."""
    parent = _model_at(loc[:-1])
    known = list(parent.model_fields) if isinstance(parent, type) and issubclass(parent, BaseModel) else []
    where = _dotted(loc[:-1])
    prefix = f"{where}." if where else ""
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    if origin == defaults_file:
        section = parent.__name__ if isinstance(parent, type) else "PipelineConfig"
        return f"add a line for it to class {section} in pipeline/config_schema.py (see its docstring)"
    if close:
        return f"did you mean {prefix}{close[0]}? (check the spelling; docs/configuration.md lists every key)"
    return f"remove it; the keys under {where or 'the top level'} are: {', '.join(known)}"


DECIMAL_COMMA = re.compile(r"\s*[-+]?\d*,\d+\s*")
RANGE_ERRORS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def _keys_from_defaults(loc: tuple) -> bool:
    """Whether every key under loc has its value in defaults.yaml (the top level and its sections but sources)."""
    return loc == () or (len(loc) == 1 and _is_section(_model_at(loc)) and _model_at(loc) is not Sources)


def _value_fix(error: dict, loc: tuple, default: tuple[bool, Any]) -> str:
    """What to write instead of a wrong value."""
    kind, value, ctx = error["type"], error.get("input"), error.get("ctx") or {}
    if "fix" in ctx:
        return ctx["fix"]
    field = _field(loc)
    is_share = _range_text(field).endswith(".. 1") or _range_text(field) == "<= 1"
    if isinstance(value, str) and DECIMAL_COMMA.fullmatch(value):
        number = value.strip().replace(",", ".")
        if kind.startswith("int"):
            return f"write a whole number without separators, e.g. {value.strip().replace(',', '')}"
        if len(value.split(",")[1].strip()) == 3 and not is_share:
            return f"write {number} with a decimal point, or {value.strip().replace(',', '')} without a thousands separator"
        return f"write {number} (a decimal point, not a comma)"
    if isinstance(value, str) and re.fullmatch(r"\s*[-+]?\d+(\.\d+)?\s*%\s*", value):
        percent = float(value.strip().rstrip("%"))
        if is_share:
            return f"write the share as a fraction: {_decimal_text(percent / 100)}"
        return f"write a plain number without %, e.g. {percent:g}"
    if kind == "less_than_equal" and ctx.get("le") == 1 and isinstance(value, (int, float)) and 1 < value <= 100:
        return f"it looks like a percentage: write {_decimal_text(value / 100)}"
    hint = f"; the default is {_default_text(*default)}" if default[0] and default[1] is not None else ""
    if kind in RANGE_ERRORS:
        return f"write a value in the range {_range_text(field)}{hint}"
    if kind == "literal_error":
        allowed = [str(a) for a in get_args(_model_at(loc))] or [ctx.get("expected", "")]
        close = difflib.get_close_matches(str(value), allowed, n=1, cutoff=0.5)
        return (f"did you mean {close[0]}? " if close else "") + f"write one of: {', '.join(allowed)}"
    return _type_fix(kind, hint)


def _type_fix(kind: str, hint: str) -> str:
    """The fix for a value of the wrong type."""
    fixes = {
        "int_from_float": "write a whole number",
        "int_parsing": "write a whole number", "int_type": "write a whole number",
        "float_parsing": "write a number with a decimal point", "float_type": "write a number",
        "bool_for_number": "write a number", "bool_parsing": "write true or false", "bool_type": "write true or false",
        "string_type": "write text (in quotes if it looks like a number)",
        "dict_type": "write a mapping of keys to values (indented key: value lines)",
        "model_type": "write a mapping of keys to values (indented key: value lines)",
        "list_type": "write a list, e.g. [a, b]", "too_short": "give more items", "too_long": "give fewer items",
        "missing": "give the key a value", "string_too_short": "write a non-empty text",
        "finite_number": "write a finite number",
    }
    return fixes.get(kind, "correct the value") + hint


def _what(error: dict, key_text: str, loc: tuple) -> str:
    """What is wrong, in words, with the key's full dotted path."""
    kind, value = error["type"], error.get("input")
    if kind == "extra_forbidden":
        return f"key {key_text} is not a known {'layer' if loc[:-1] == ('sources',) else 'key'}"
    if isinstance(value, str) and DECIMAL_COMMA.fullmatch(value):
        return f"key {key_text} is the text {value!r}: a number written with a decimal comma"
    if kind == "missing":
        return f"key {key_text} is missing"
    if kind in RANGE_ERRORS:
        field = _field(loc)
        unit = (field.json_schema_extra or {}).get("unit", "") if field is not None else ""
        return f"key {key_text} is {value!r}, outside its range {_range_text(field)}{f' ({unit})' if unit else ''}"
    message = error["msg"].removeprefix("Value error, ")
    if isinstance(value, Mapping):
        return f"{key_text}: {message}"
    return f"key {key_text} is {value!r}: {message[0].lower()}{message[1:]}"


def _problem(error: dict, file: Path, project: Mapping, defaults: Mapping, defaults_file: Path) -> Problem:
    """One pydantic error as a Problem naming the file, the key and the fix."""
    loc = tuple(error["loc"])
    in_project = _lookup(project, loc)[0] or not _lookup(defaults, loc)[0]
    origin = file if in_project else defaults_file
    key_text = _dotted(loc) or "(the whole config)"
    if error["type"] == "extra_forbidden":
        fix = _unknown_key_fix(loc, origin, defaults_file)
    elif error["type"] == "missing" and _lookup(project, loc[:-1])[0] and not _keys_from_defaults(loc[:-1]):
        fix = f"add the key {loc[-1]} to {_dotted(loc[:-1])}"
    elif error["type"] == "missing":
        fix = f"give {key_text} a value in {defaults_file} (every key has its default there)"
    else:
        fix = _value_fix(error, loc, _lookup(defaults, loc))
    return Problem(_what(error, key_text, loc), fix, file=origin)


# --- the reference table ----------------------------------------------------------------------------------


def _type_name(annotation: Any) -> str:
    """A key's type in words for the reference table."""
    nullable = get_origin(annotation) in (Union, type(int | None)) and type(None) in get_args(annotation)
    bare = _unwrap(annotation)
    origin = get_origin(bare)
    if origin is Literal:
        name = " \\| ".join(f"`{a}`" if a.strip() else repr(a) for a in get_args(bare))
    elif origin is list:
        name = f"list of {_type_name(get_args(bare)[0])}"
    elif origin is dict:
        name = "mapping"
    elif isinstance(bare, type) and issubclass(bare, BaseModel):
        name = "source" if bare is Source else "mapping"
    else:
        name = {float: "number", int: "integer", bool: "true/false", str: "text"}.get(bare, str(bare))
    return f"{name} or null" if nullable else name


def _default_text(found: bool, value: Any) -> str:
    """A default value as YAML writes it, for the table."""
    if not found:
        return ""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{k}: {_default_text(True, v)}" for k, v in value.items()) + "}"
    if isinstance(value, str):
        return f'"{value}"'
    return str(value).replace("'", "")


def _rows(fields: Mapping[str, Any], prefix: tuple, defaults: Mapping) -> list[str]:
    """One table row per key (nested sections get their own tables)."""
    rows = []
    for name, field in fields.items():
        loc = (*prefix, name)
        unit = (field.json_schema_extra or {}).get("unit", "") or ("share" if _range_text(field) == "0 .. 1" else "")
        default = _default_text(*_lookup(defaults, loc)).replace("|", "\\|")
        rows.append(f"| `{_dotted(loc)}` | {_type_name(field.annotation)} | {unit} | {_range_text(field)} | "
                    f"{default} | {field.description or ''} |")
    return rows


TABLE_HEAD = ["| key | type | unit | range | default | description |", "|---|---|---|---|---|---|"]


def configuration_markdown(defaults: Mapping) -> str:
    """docs/configuration.md: every config key with its type, unit, range, default and meaning."""
    top = {n: f for n, f in PipelineConfig.model_fields.items() if not _is_section(f.annotation)}
    lines = [
        "# Configuration reference",
        "",
        "Generated from the schema (`pipeline/config_schema.py`) and the defaults (`pipeline/defaults.yaml`) by",
        "`python -m pipeline config-docs`; do not edit by hand (a test compares this file with the generated text).",
        "A project config (`config/pipeline.yaml`) is merged over the defaults key by key and checked against the",
        "schema by every command: an unknown key, a value of the wrong type or out of its range is an input error",
        "(exit 2) naming the key and the fix. Shares are fractions 0..1 (write 0.40, not 40 or \"0,40\").",
        "To add a key: give it a value and a comment in `pipeline/defaults.yaml` and one line in its section's class",
        "in `pipeline/config_schema.py` (its docstring shows how), then run `python -m pipeline config-docs`.",
        "",
        "## Top level",
        "",
        *TABLE_HEAD,
        *_rows(top, (), defaults),
    ]
    for name, field in PipelineConfig.model_fields.items():
        if name in top:
            continue
        model = _unwrap(field.annotation)
        lines += ["", f"## {name}", ""]
        if model is Sources:
            lines += [
                "Each layer is a source (the keys in the next table) or null (absent). Layers other than these are errors.",
                "", *TABLE_HEAD, *_rows(Sources.model_fields, (name,), defaults),
                "", "### Keys of a source (`sources.<layer>.<key>`; absent unless given)", "",
                *TABLE_HEAD, *[r.replace("`sources.<layer>.", "`") for r in _rows(Source.model_fields, ("sources", "<layer>"), {})],
            ]
            continue
        lines += _section_tables(model, (name,), defaults)
        if model is Mix:
            lines += ["", "### Keys of a segregation group (`mix.segregation_groups.<name>.<key>`)", "",
                      *TABLE_HEAD, *[r.replace("`mix.segregation_groups.<name>.", "`")
                                     for r in _rows(SegregationGroup.model_fields, ("mix", "segregation_groups", "<name>"), {})]]
            lines += ["", "### Keys of a rule set (`mix.rule_sets.<name>.<key>`; each absent key as in `mix`)", "",
                      *TABLE_HEAD, *[r.replace("`mix.rule_sets.<name>.", "`")
                                     for r in _rows(RuleSet.model_fields, ("mix", "rule_sets", "<name>"), {})]]
    return "\n".join(lines) + "\n"


def _section_tables(model: type[BaseModel], loc: tuple, defaults: Mapping) -> list[str]:
    """A section's table of keys, then a table of its own for each nested section (ingest.osm)."""
    nested = {n: f for n, f in model.model_fields.items() if _is_section(f.annotation)}
    plain = {n: f for n, f in model.model_fields.items() if n not in nested}
    lines = [*TABLE_HEAD, *_rows(plain, loc, defaults)]
    for name, field in nested.items():
        lines += ["", f"### {_dotted((*loc, name))}", "", *_section_tables(_unwrap(field.annotation), (*loc, name), defaults)]
    return lines


def _is_section(annotation: Any) -> bool:
    bare = _unwrap(annotation)
    return isinstance(bare, type) and issubclass(bare, BaseModel)

