"""The config's sections besides the sources, and the whole config (`PipelineConfig`).

To add a config key (one line here, one value in defaults.yaml):
1. give it a value and a comment in pipeline/defaults.yaml, in its section;
2. add one line to the section's class below, e.g. in `Access`:
   ``max_snap_m: Positive = key("farthest a parcel may lie from the network to be snapped", "m")``
   (types: Share, Rate, Positive, NonNegative, AtLeastOne, Whole, Count, Year, Literal[...], bool, Text ...,
   from pipeline/core/config_schema/values.py); a new source layer is one line in `Sources`, a new key of every
   source one line in `Source` (pipeline/core/config_schema/sources.py);
3. run ``python -m pipeline config-docs`` to regenerate docs/configuration.md (a test compares them).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from pipeline.core.config_schema.sources import Sources
from pipeline.core.config_schema.values import (
    _NUMBER,
    AtLeastOne,
    Count,
    Name,
    NonNegative,
    Positive,
    Rate,
    Section,
    Share,
    Text,
    Whole,
    Year,
    _parse_crs,
    key,
    optional,
)


class Paths(Section):
    raw: Name = key("raw inputs (read-only; only demo-data and source downloads write here)", "path")
    processed: Name = key("stage outputs (GeoParquet, run.json)", "path")
    maps: Name = key("the published map pages (a link to the current release)", "path")
    logs: Name = key("per-run logs and logs/runs.jsonl", "path")
    lock: Name = key("the run lock file (holder's pid and start time)", "path")


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


class OsmLandCover(Section):
    resolution_m: Positive = key("cell size of the land cover rasterised from OSM", "m")
    fill: Literal["natural", "semi_natural", "lawn", "trees", "sealed", "water", "other"] = key("class of cells under no mapped feature")
    tags: dict[Name, dict[OsmWord, Literal["natural", "semi_natural", "lawn", "trees", "sealed", "water", "other"]]] = key(
        "{key: {value: class}}, '*' any value; the first key a feature matches decides")
    highway_width_m: dict[Name, Positive] = key("streets burnt as sealed, by highway value: width", "m")


class EqualToBase(Section):
    share: Rate = key("warned when a sub-count equals its base in at least this share of the rows compared", "share")
    min_rows: Whole = key("and at least this many rows (base above 0) are compared", "rows")


class Ingest(Section):
    tenures: list[Name] = Field(min_length=1, description="tenure classes: the dwellings_<tenure> columns",
                                json_schema_extra={"unit": ""})
    canopy_kind: Literal["fraction", "landcover"] = key("canopy raster: fraction 0..1 per cell, or land-cover classes")
    canopy_classes: list[int] = key("land-cover classes that count as canopy (canopy_kind landcover)")
    read_extent_only: bool = key("read only features intersecting `extent` (national files); others are skipped")
    unknown_values: list[Text] = key("text in a number column that means unknown (DST's '..'), read as null, never 0")
    share_sum_tolerance: Annotated[float, _NUMBER, Field(ge=0, lt=1)] = key("district_schools: a district's shares must sum to 1 within", "share")
    crs_area_margin_deg: Annotated[float, _NUMBER, Field(ge=0, le=30)] = key("coordinates must lie in the declared CRS's area of use widened by", "degrees")
    year_spread: Whole = key("statistics: a year in the future or this far from the layer's median year (or a layer this far "
                             "from the other statistics) stops the run", "years")
    equal_to_base: EqualToBase = key("a sub-count (residents_18_64) equal to its base (residents) in nearly every row is warned")
    osm: Osm = key("the OpenStreetMap tag table: walk and bike per way (docs/accessibility.md)")
    # green structure (CONTRACT 6c)
    land_cover_margin_m: NonNegative = key("the land-cover raster is kept over the housing areas widened by (at least green.buffer_m)", "m")
    osm_land_cover: OsmLandCover = key("land cover from OpenStreetMap tags (docs/green.md)")


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
    terms: Literal["parallelsamfund", "ghetto"] | None = optional(
        "the law's words for its lists: ghetto (2018-2020: ghettoområde, hårdt ghettoområde), else parallelsamfund")


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


class Transit(Section):
    day: Text = key("service day: a date (YYYY-MM-DD) or a weekday name (the first such day the feed serves)")
    window: Annotated[str, Field(pattern=r"^\s*\d{1,2}:[0-5]\d\s*-\s*\d{1,2}:[0-5]\d\s*$")] = key(
        "departures every minute of this window (HH:MM-HH:MM); the median travel time over them", "time")
    max_minutes: Positive = key("jobs_transit_45: jobs within this median travel time by walk, bus and train", "min")
    max_walk_minutes: Positive = key("longest walk to the first stop and from the last", "min")
    transfer_walk_minutes: NonNegative = key("longest walk between stops when changing", "min")
    max_rides: Whole = key("most vehicles per journey (changes + 1)", "rides")
    board_slack_minutes: NonNegative = key("a vehicle is boarded at least this long after reaching the stop", "min")
    gravity_max_minutes: Positive = key("the gravity sum by transit counts jobs within this travel time", "min")
    origin_chunk_size: Whole = key("origin nodes per chunk of transit searches (a Dask task each)", "origins")
    cell_m: Positive | None = optional("parcels and job sites searched per square cell of this size (null: per network node)", "m")
class Green(Section):
    buffer_m: Positive = key("the land-cover figures' ring around each housing area", "m")
    lawn_to_meadow_share: Share = key("nature_friendly: share of the chosen areas' lawn turned into meadow")
    nature_friendly_area_types: list[Literal["social", "private", "mixed"]] = key("nature_friendly: the areas of these area_types")
    nature_friendly_area_ids: list[Text] = key("nature_friendly: and these areas by area_id")


class Scenarios(Section):
    honour_capacity: bool = key("allocate pupils up to each school's capacity (false: all to the nearest school)")
    default_new_school_capacity: Whole = key("capacity of a new school site that gives none", "pupils")
    school_network_mode: Literal["walk", "bike"] = key("street network for pupils' distances")
    development_max_dist_m: NonNegative = key("a development site outside every area joins the nearest within", "m")
    school_objective: Literal["min_dissimilarity_no_overcapacity", "min_dissimilarity", "min_mean_dist"] = key(
        "how school sites are ranked")
    development_objective: Literal["max_fall_share_social_family_omdannelse", "max_jobs_bike_30_gain"] = key(
        "how development sites are ranked")


# --- districting (CONTRACT 6b) ---
class Districting(Section):
    enabled: bool = key("draw proposals for new school district boundaries")
    units: Literal["auto", "blocks", "grid", "parcels"] = key(
        "district building blocks: street blocks, grid cells, parcels, or auto (in that order)")
    grid_size_m: Positive | None = key("side of a grid cell when the units are grid cells (null: no grid cells)", "m")
    parcel_gap_m: Positive = key("parcels this far apart (a street between them) may be neighbours", "m")
    parcel_frontage_m: Positive = key("parcels apart are neighbours when they face each other along this much", "m")
    capacity_tolerance: NonNegative = key("each school may take up to capacity x (1 + this)", "share")
    max_walk_m: Positive = key("no pupil's walk to school beyond this in a proposal, unless already today", "m")
    group_statuses: list[Name] = key("the group: pupils in housing areas of these statuses (empty: udsat or worse)")
    chain_steps: Whole = key("GerryChain ReCom steps of the districting chain", "steps")
    seed: Count = key("seed of the districting chain (the same seed gives the same plans)")
    polish_plans: Count = key("the chain's best plans polished block by block to a local optimum", "plans")
    exact_max_units: Count = key("problems of at most this many units are also solved exactly (MILP)", "units")
    exact_time_limit_s: Positive = key("time limit of each exact solve", "s")
    max_plans: Whole = key("the Pareto front is thinned to at most this many proposals", "plans")
    school_ground_capacity_loss: Share = key("share of a school's capacity a development on its ground takes (on_school_id)")

    @model_validator(mode="after")
    def _grid_has_a_size(self) -> Districting:
        if self.units == "grid" and self.grid_size_m is None:
            raise PydanticCustomError("grid_without_size", "districting.units is grid but grid_size_m is null",
                                      {"fix": "give districting.grid_size_m (e.g. 250) or choose units auto, blocks or "
                                              "parcels"})
        return self


# --- the plan over time (CONTRACT 6a, pipeline/scenarios/plan.py) ---------------------------------------------
class Rehousing(Section):
    same_area_share: Share = key("share of the rehoused residents of removed social family dwellings who stay in "
                                 "their own area", "share")
    areas: list[Name] = key("areas (area_id) that receive the others; empty: every other area with social family "
                            "dwellings, in proportion to them")


class Plan(Section):
    horizon: Year = key("the plan is projected year by year from the data's year to this year", "year")
    residents_per_dwelling: dict[Name, Positive] = key(
        "residents per dwelling built, per tenure; a tenure not named: from the parcels of that tenure only, else "
        "the municipality's mean", "residents")
    new_residents_statuses: list[Literal["none", "forebyggelse", "udsat", "parallelsamfund", "omdannelse"]] = key(
        "dwellings built bring residents with the composition of the areas of these baseline statuses")
    new_residents_areas: list[Name] = key("or of these areas (area_id), when any are named")
    rehousing: Rehousing


class Publish(Section):
    tiles: Name = key("base map tiles: OpenStreetMap, another folium tiles name, or none")
    simplify_tolerance_m: NonNegative = key("geometries simplified for display by", "m")
    coordinate_decimals: Annotated[int, _NUMBER, Field(ge=0, le=10)] = key("decimals of page coordinates (6 is ~0.1 m)", "decimals")
    classification_scheme: Literal[
        "FisherJenks", "FisherJenksSampled", "Quantiles", "EqualInterval", "NaturalBreaks", "JenksCaspall",
        "JenksCaspallSampled", "JenksCaspallForced", "MaximumBreaks",
    ] = key("mapclassify scheme of the legend classes")
    classes: Annotated[int, _NUMBER, Field(ge=1, le=5)] = key(
        "number of legend classes (at most 5: more cannot be told apart by colour-blind readers)", "classes")
    page_size_budget_bytes: Whole = key("publish warns when a page exceeds this size", "bytes")
    release_dir: Name = key("folder of releases/<run_id>/, current and previous", "path")
    keep_previous: Count = key("earlier published sets kept for rollback (0: none)", "sets")
    profile_min_overlap_share: Share = key("profiles list school districts and catchments covering at least this share of an area", "share")
    table_rows_per_page: Annotated[int, _NUMBER, Field(ge=1, le=1000)] = key(
        "rows a map layer's table in the panel shows at a time (a filter and paging for longer ones)", "rows")
    summary_min_difference: Share = key("a summary calls a figure a strength or challenge when it differs from the municipality's by this share of it", "share")
    summary_min_jobs_change: Share = key("a summary names a project elsewhere that adds this share to the jobs within reach by bike", "share")
    land_cover_max_px: Annotated[int, _NUMBER, Field(ge=16, le=8000)] = key(
        "the land-cover overlay's longer side at most (keeps the page within its size budget)", "pixels")
    districting_plans_shown: Count = key(
        "the best district proposals drawn on the school-sites page and named in the profiles (0: none)", "plans")


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
    transit: Transit
    green: Green
    scenarios: Scenarios
    districting: Districting
    plan: Plan
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
