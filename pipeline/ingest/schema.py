"""What CONTRACT 2 asks of each canonical layer, and where a layer comes from.

`SCHEMAS` gives each layer its id column, geometry types, required and optional columns and the kind of
each (counts, amounts, shares, ids, flags with their defaults); `COUNT_BASES` the sub-counts that may not
exceed their base; `VOCABULARIES` the columns with fixed words. `Source` locates a layer for reading and
for the messages (file, layer). The catalogue (pipeline/core/catalogue.py) takes the ingested layers' columns
from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pipeline.core.columns import PERSON_SUBCOUNTS, TENURES
from pipeline.core.errors import Problem, first_ids

POLYGON, POINT, LINE = "polygon", "point", "line"
GEOMETRY_FAMILIES = {
    POLYGON: ("Polygon", "MultiPolygon"),
    POINT: ("Point", "MultiPoint"),
    LINE: ("LineString", "MultiLineString"),
}


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
# plan_projects (CONTRACT 6a): signed whole numbers of dwellings per tenure (+ built, - removed), and jobs.
PLAN_CHANGES = tuple(f"dwellings_change_{t}" for t in (*TENURES, "other"))
PLAN_SIGNED = (*PLAN_CHANGES, "jobs_change")
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
    # protected nature (Danish section 3 types: mose, eng, overdrev, sø, hede, strandeng; any other word is kept)
    "protected_nature": LayerSchema("nature_id", GEOMETRY_FAMILIES[POLYGON], ("nature_id",), ("kind",)),
    "candidate_sites": LayerSchema(
        "site_id", GEOMETRY_FAMILIES[POLYGON] + GEOMETRY_FAMILIES[POINT], ("site_id", "kind", "name"),
        ("capacity", "closes_school_id", *NEW_DWELLINGS, "new_jobs", "on_school_id"),
        counts=("capacity", *NEW_DWELLINGS, "new_jobs"),
        ids=("closes_school_id", "on_school_id"),
        defaults={**dict.fromkeys(NEW_DWELLINGS, 0), "new_jobs": 0},
    ),
    # the plan over time (CONTRACT 6a): a table with area_id; the signed changes are read by pipeline/ingest/plan.py
    "plan_projects": LayerSchema(
        "project_id", (), ("project_id", "name", "year"), ("plan", "area_id", *PLAN_SIGNED, "cost_dkk"),
        counts=("year",), amounts=("cost_dkk",), ids=("area_id",),
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
    # a source made of parts: the part's file that feeds each canonical column (messages name it)
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def file_layer(self) -> str | None:
        return self.settings.get("layer")

    def problem(self, what: str, fix: str, column: str | None = None, ids=(), count: int | None = None) -> Problem:
        """A problem located in this source."""
        return Problem(what, fix, file=self.files.get(column, self.path), layer=self.file_layer or self.layer_name,
                       column=column,
                       ids=first_ids(ids), count=count if count is not None else (len(ids) if len(ids) else None))
