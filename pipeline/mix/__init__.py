"""Stage mix: tenure mix, indicative official status, family housing gap and segregation (CONTRACT 4).

Reads the ingested housing areas and, where they exist, parcels, grid_statistics, area_statistics,
school districts, schools and district_schools; writes data/processed/areas_mix.parquet (one row per
housing area), segregation.json, school_districts_mix.parquet (the districts with their pupils and mix),
parcels_mix.parquet (the statistical units with area, district and apportioned counts, which access
and scenarios read) and municipality_mix.parquet (work, education and income of all housing areas together,
pipeline/mix/municipality.py). Every column and key is explained for planners in docs/indicators.md.

Unknown is never 0: a sum over partly unknown parts is null (unless mix.blank_as_zero names the column),
a share whose denominator is 0 or unknown is null, and the status is `undetermined` where unknown inputs
could change it (pipeline/mix/status.py). Grid and area statistics: pipeline/sources/statistics.py. The status is
indicative: the official list uses two-year averages of register data.

Its datasets, as the catalogue (pipeline/core/catalogue.py) declares them:
Reads: housing_areas, parcels, schools, school_districts, grid_statistics, area_statistics, district_schools.
Writes: areas_mix, areas_mix_history, segregation, school_districts_mix, parcels_mix, municipality_mix.
"""

from __future__ import annotations

import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.core import datasets
from pipeline.core.config import Config
from pipeline.core.io import has_layer, read_layer
from pipeline.core.log import keep_warnings, log, take_warnings, warn
from pipeline.mix.assign import report_unassigned
from pipeline.mix.districts import DISTRICT_FIGURES, district_mix, district_segregation
from pipeline.mix.history import (
    YearInputs,
    current_layers,
    history_rows,
    history_years,
    year_units,
    years_listed_at,
)
from pipeline.mix.municipality import municipality_mix
from pipeline.mix.rules import (
    ON_THE_LIST,
    PATH_COLUMNS,
    area_status,
    criteria_indicators,
    family_housing_gap,
    path_off_the_list,
    rule_set_span,
    rules_for_year,
)
from pipeline.mix.schools import link_weights, read_links
from pipeline.mix.segregation import dissimilarity, group_indices, location_quotients, theil_h
from pipeline.mix.status import STATUS_NONE, UNDETERMINED, status_columns
from pipeline.mix.sums import (
    OTHER_TENURE,
    all_dwellings,
    area_sums,
    column_or_null,
    share,
    tenure_classes,
    tenure_diversity,
    tenure_shares,
)
from pipeline.sources.statistics import (
    INCOME_SUM,
    PERSON_COUNTS,
    area_coverage,
    area_sum_units,
    count_columns,
    count_support,
    parcels_mix_table,
    replace_counts,
    replace_values,
    support_columns,
)

__all__ = [
    "DISTRICT_FIGURES", "STATUS_NONE", "UDSAT_OR_WORSE", "UNDETERMINED", "area_status", "areas_mix", "criteria_indicators", "dissimilarity", "district_mix",
    "family_housing_gap", "municipality_mix", "path_off_the_list", "run", "segregation_summary", "share", "tenure_diversity",
    "with_new_dwellings",
]

STATUS_NOTE = "indicative, computed from supplied data"
UDSAT_OR_WORSE = ON_THE_LIST
SUPPORT_COLUMNS = ("support_residents", "support_dwellings", "support_c1", "support_c2", "support_c3", "support_c4",
                   "support_non_western")
GAP_COLUMNS = ("gap_add_dwellings", "gap_convert_dwellings", "gap_demolish_dwellings")



# --- segregation ---------------------------------------------------------------------------------


def reference_values(mix_config: dict) -> dict:
    """The national and regional figures the criteria c2 and c4 compare with, and the year of each."""
    return {
        "national_conviction_rate": mix_config["national_conviction_rate"],
        "national_conviction_rate_year": mix_config["national_conviction_rate_year"],
        "regional_mean_income": mix_config["regional_mean_income"],
        "regional_mean_income_year": mix_config["regional_mean_income_year"],
    }


def segregation_summary(areas: pd.DataFrame, mix_config: dict) -> dict:
    """segregation.json: per configured group D, xPx and shares over housing areas; Theil H over tenures."""
    tenures = tenure_classes(areas, mix_config)
    groups = {name: group_indices(areas, spec) for name, spec in mix_config["segregation_groups"].items()}
    for name, result in groups.items():
        if result["units_dropped"]:
            log.info("Segregation of %s left out %d areas with no %s or a null count",
                     name, result["units_dropped"], result["total_column"])
    counts = areas[[f"dwellings_{t}" for t in tenures]].astype("float64")
    counts = counts[counts.notna().all(axis=1)]
    return {
        "label": STATUS_NOTE,
        "units": "housing areas",
        "groups": groups,
        "tenure_theil_h": {
            "H": theil_h(counts.to_numpy()) if len(counts) else None,
            "classes": tenures,
            "units_used": int((counts.sum(axis=1) > 0).sum()),
        },
    }


# --- the area table ------------------------------------------------------------------------------


def area_columns(tenures: list[str], groups: dict) -> list[str]:
    """The columns of areas_mix.parquet in order (geometry last); docs/indicators.md explains each."""
    kinds = [*tenures, OTHER_TENURE]
    return [
        "area_id", "name", "area_type", "years_listed", "parcels", "residents", "dwellings",
        *[f"dwellings_{t}" for t in kinds], *PERSON_COUNTS, INCOME_SUM,
        *[f"share_{t}" for t in kinds], "share_social", "tenure_diversity",
        "share_outside_work_edu", "conviction_rate_18plus", "crime_ratio", "share_basic_edu",
        "mean_income_15_64_dkk", "income_ratio", "share_non_western",
        "c1_met", "c2_met", "c3_met", "c4_met", "criteria_met", "criteria", "criteria_unknown",
        "prevention_criteria_met", "prevention_criteria", "is_social", "eligible", "status", "status_basis",
        "deciding_unknown", "status_reason", "status_note", *GAP_COLUMNS, *PATH_COLUMNS, *[f"lq_{name}" for name in groups],
        *SUPPORT_COLUMNS,
    ]


def areas_mix(
    parcels: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, mix_config: dict, *, area_statistics: pd.DataFrame | None = None,
    grid_fed: tuple[str, ...] = (), grid_unusable: np.ndarray | None = None, year: int | None = None,
    years_listed: pd.DataFrame | None = None,
) -> gpd.GeoDataFrame:
    """One row per housing area with its sums, shares, diversity, criteria, status, gaps, path off the list,
    lq_* and support_*, under the rule set in force in year (None: the latest rule set).

    parcels (the statistical units) must already carry area_id (pipeline.mix.assign.assign_parcels). Sums of
    the grid_fed columns are null where grid_unusable (the area lies too little inside the grid); counts
    and values of area_statistics (aligned with areas) take precedence. years_listed, when the history
    derives it (pipeline.mix.history.years_listed_at), replaces the typed one: columns years_listed (the
    count, null where unknown), years_listed_low and years_listed_upper (its bounds). Rows follow areas' order.
    """
    _, rules = rules_for_year(mix_config, year)
    tenures = tenure_classes(parcels, rules)
    groups = rules["segregation_groups"]
    frame = area_sums(parcels, areas, tenures, tuple(rules.get("blank_as_zero") or ()))
    if years_listed is not None:
        frame["years_listed"] = years_listed["years_listed_low"].to_numpy()
        frame["years_listed_upper"] = years_listed["years_listed_upper"].to_numpy()
    if grid_unusable is not None and grid_fed:
        frame.loc[np.asarray(grid_unusable, dtype=bool), list(grid_fed)] = None
    counts = count_support(frame, count_columns(tenures), list(grid_fed))
    replace_counts(frame, area_statistics, counts)
    if area_statistics is not None and "area_type" in area_statistics.columns:
        frame["area_type"] = frame["area_type"].where(frame["area_type"].notna(), area_statistics["area_type"].to_numpy())
    frame["dwellings"] = all_dwellings(frame, tenures)
    frame = pd.concat([frame, tenure_shares(frame, tenures)], axis=1)
    frame["tenure_diversity"] = tenure_diversity(frame, tenures)
    frame = pd.concat([frame, criteria_indicators(frame, rules)], axis=1)
    replaced = replace_values(frame, area_statistics, rules)
    frame = pd.concat([frame, status_columns(frame, rules)], axis=1)
    frame["status_note"] = STATUS_NOTE
    gaps = family_housing_gap(frame["dwellings_social_family"], frame["dwellings"], rules["family_housing_cap"])
    frame = pd.concat([frame, gaps.where(frame["status"].eq("omdannelse"), axis=0)], axis=1)
    frame = pd.concat([frame, path_off_the_list(frame, rules)], axis=1)
    frame = pd.concat([frame, location_quotients(frame, groups)], axis=1)
    frame = pd.concat([frame, support_columns(frame, counts, replaced, tenures)], axis=1)
    if years_listed is not None:
        frame["years_listed"] = years_listed["years_listed"].array
    frame = frame[area_columns(tenures, groups)]
    return gpd.GeoDataFrame(frame, geometry=areas.geometry.to_numpy(), crs=areas.crs)


def with_new_dwellings(areas: pd.DataFrame, new_dwellings: dict[str, int], mix_config: dict) -> pd.DataFrame:
    """Rows of areas_mix after adding new dwellings by tenure: dwellings, tenure shares, diversity, status,
    gap and path off the list recomputed with the stage's functions under the latest rule set; residents,
    person counts and criteria values kept (the new dwellings' residents are unknown), so the rest agrees
    with areas_mix by construction."""
    _, rules = rules_for_year(mix_config, None)
    tenures = tenure_classes(areas, rules)
    out = areas.copy()
    for tenure, count in new_dwellings.items():
        column = f"dwellings_{tenure}"
        out[column] = (pd.to_numeric(out[column]).astype("Float64") + int(count)).round().astype("Int64")
    out["dwellings"] = all_dwellings(out, tenures)
    shares = tenure_shares(out, tenures)
    out[list(shares.columns)] = shares
    out["tenure_diversity"] = tenure_diversity(out, tenures)
    status = status_columns(out, rules)
    out[list(status.columns)] = status
    gaps = family_housing_gap(out["dwellings_social_family"], out["dwellings"], rules["family_housing_cap"])
    out[list(GAP_COLUMNS)] = gaps.where(out["status"].eq("omdannelse"), axis=0)
    path = path_off_the_list(out, rules)
    out[list(path.columns)] = path
    return out


# --- the stage -----------------------------------------------------------------------------------


def _optional(config: Config, layer: str) -> gpd.GeoDataFrame | None:
    """An optional ingested layer, or None when ingest wrote none (logged)."""
    if has_layer(config, layer):
        return read_layer(config, layer)
    log.info("Mix found no %s layer; the figures that need it are empty", layer)
    return None


def compute_history(layers: dict, areas: gpd.GeoDataFrame, districts: gpd.GeoDataFrame | None,
                    mix_config: dict) -> tuple[gpd.GeoDataFrame, YearInputs, pd.DataFrame]:
    """Every year of the statistics under its year's rule set, oldest first, years_listed derived year by year.

    Returns the latest year's areas_mix and inputs (what the districts and parcels_mix are made of) and
    areas_mix_history's rows (pipeline/mix/history.py explains the years).
    """
    years = history_years(layers)
    typed = pd.to_numeric(column_or_null(areas, "years_listed")).to_numpy(dtype="float64", na_value=np.nan)
    area_ids = areas["area_id"].astype("str").to_numpy()
    statuses: dict[int, np.ndarray] = {}
    rows = []
    earlier_warnings = take_warnings()
    for year in years:  # each year's repairable problems are kept once, not once a year
        inputs = year_units(layers, areas, districts, mix_config, year)
        rule_set, rules = rules_for_year(mix_config, year)
        listed = years_listed_at(statuses, year, years, typed, area_ids)
        mixed = areas_mix(area_sum_units(inputs.assigned, inputs.info), areas, mix_config, area_statistics=inputs.table,
                          grid_fed=tuple(inputs.info["grid_fed"]), grid_unusable=inputs.info["unusable"], year=year,
                          years_listed=listed)
        if year is not None:
            statuses[year] = mixed["status"].astype("object").to_numpy()
        rows.append(history_rows(mixed, year, rule_set, rules, rule_set_span(mix_config, rule_set)))
        earlier_warnings += take_warnings()
    current = current_layers(layers)
    if current is not None:  # the layers end in different years: each feeds the current figures at its latest
        inputs = year_units(current[0], areas, districts, mix_config, None)
        mixed = areas_mix(area_sum_units(inputs.assigned, inputs.info), areas, mix_config, area_statistics=inputs.table,
                          grid_fed=tuple(inputs.info["grid_fed"]), grid_unusable=inputs.info["unusable"],
                          year=years[-1], years_listed=years_listed_at(statuses, years[-1], years, typed, area_ids))
        earlier_warnings += take_warnings()
    keep_warnings(earlier_warnings)
    return mixed, inputs, pd.concat(rows, ignore_index=True)


def run(config: Config) -> list[Path]:
    """Compute the socio-economic mix per housing area and school district and write the stage's files."""
    started = time.perf_counter()
    mix_config = {**config["mix"], "tenures": list(config["ingest"]["tenures"])}
    blank = tuple(mix_config.get("blank_as_zero") or ())
    areas = read_layer(config, "housing_areas")
    districts, schools = _optional(config, "school_districts"), _optional(config, "schools")
    layers = {"parcels": _optional(config, "parcels"), "grid_statistics": _optional(config, "grid_statistics"),
              "area_statistics": read_layer(config, "area_statistics") if has_layer(config, "area_statistics") else None}
    log.info("Mix started: %d housing areas", len(areas))
    mixed, inputs, history = compute_history(layers, areas, districts, mix_config)
    assigned, info = inputs.assigned, inputs.info
    empty = ~areas["area_id"].astype("str").isin(assigned["area_id"].dropna())
    if empty.any():
        warn(f"{int(empty.sum())} housing areas hold no parcel; their figures are empty unless area statistics give "
             f"them (e.g. {', '.join(areas['area_id'].astype(str)[empty.to_numpy()][:10])})")
    # without a parcels layer the statistical units are the grid cells cut by the housing areas
    units_name = "parcels" if inputs.parcels_given else "grid cell pieces"
    coverage = {"outside_areas": report_unassigned(assigned, "area_id", "housing area", units_name)}
    if info["lost"]:
        coverage["grid_cells_without_parcels"] = info["lost"]
    summary = segregation_summary(mixed, mix_config)
    outputs = [datasets.write(config, "areas_mix", mixed)]
    if districts is not None:
        coverage["outside_districts"] = report_unassigned(assigned, "district_id", "school district", units_name)
        links = link_weights(read_links(config, districts), schools)
        grid = None
        if info["grid_fed"]:
            grid = (info["grid_fed"], area_coverage(districts, info["coverage"]) < float(mix_config["min_grid_coverage"]))
        figures = district_mix(area_sum_units(assigned, info), mixed, districts, links, schools, blank, grid_unusable=grid)
        summary["school_districts"] = district_segregation(figures)
        outputs.append(datasets.write(config, "school_districts_mix", figures))
    summary["coverage"] = coverage
    summary["reference_values"] = reference_values(mix_config)
    outputs.insert(1, datasets.write(config, "segregation", summary))
    outputs.append(datasets.write(config, "parcels_mix", parcels_mix_table(assigned, mix_config["tenures"])))
    outputs.append(datasets.write(config, "areas_mix_history", history))
    outputs.append(datasets.write(config, "municipality_mix", municipality_mix(mixed)))

    counts = mixed["status"].value_counts()
    log.info(
        "Mix computed %d areas for %d year(s) of statistics in %.1f s: %s in the latest (%s)", len(mixed),
        history["year"].nunique(dropna=False), time.perf_counter() - started,
        ", ".join(f"{counts.get(s, 0)} {s}" for s in ("omdannelse", "parallelsamfund", "udsat", "forebyggelse",
                                                        "undetermined")),
        STATUS_NOTE,
    )
    return outputs
