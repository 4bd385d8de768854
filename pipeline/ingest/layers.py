"""One layer read and prepared in order; the checks across layers; the district-school link.

`read_and_prepare` turns whatever reading raises into problems (CONTRACT 8: no input ends in a traceback)
and runs `prepare_layer`, every check and conversion of one layer in order. `check_references` checks
ids that name another layer's rows; `link_districts_and_schools` builds district_schools.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.core.config import Config
from pipeline.core.errors import InputError, Problem
from pipeline.core.log import log
from pipeline.ingest.clean import _to_text_ids, clean_values, numbers_of
from pipeline.ingest.geometry import (
    _crs_checks,
    check_geometries,
    explode_multiparts,
    locate_grid_cells,
    to_working_crs,
)
from pipeline.ingest.plan import prepare_plan_projects
from pipeline.ingest.read import READ_ERRORS, read_source
from pipeline.ingest.schema import MATCH_KEYS, SCHEMAS, Source
from pipeline.sources.district_schools import closest_names, district_schools


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


def prepare_layer(frame: pd.DataFrame, source: Source, config: Config) -> tuple[pd.DataFrame, list[Problem]]:
    """Every check and conversion of one layer with canonical columns, in order; the problems found."""
    schema = SCHEMAS[source.layer_name]
    if frame.empty:
        where = source.settings.get("where")
        return frame, [source.problem("the layer is empty" + (f" (after the filter where: {where!r})" if where else ""),
                                      "export the layer with its features" + (", or check the filter" if where else ""))]
    frame, problems = clean_values(frame, source, schema)
    if source.layer_name == "plan_projects" and not problems:
        frame, problems = prepare_plan_projects(frame, source, config)
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


def check_references(layers: dict[str, pd.DataFrame], sources: dict[str, Source]) -> list[Problem]:
    """Ids that refer to another layer must exist there (parcel and area statistics area_id, closed schools)."""
    references = (
        ("parcels", "area_id", "housing_areas", "area_id"),
        ("candidate_sites", "closes_school_id", "schools", "school_id"),
        ("candidate_sites", "on_school_id", "schools", "school_id"),  # a development on a school's ground (6b)
        ("plan_projects", "area_id", "housing_areas", "area_id"),
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
        frame["share"], _, found = numbers_of(frame["share"], source, "share", frame["district_id"],
                                              fix="write shares as fractions 0..1")
        problems += found
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
