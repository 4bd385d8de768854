"""The plan's projects checked on ingest (CONTRACT 6a): signed dwelling changes, balanced conversions, an area each.

A row with both signs is a conversion (minus on one tenure, plus on another) and must balance; a demolition and
a new building are two projects. Which year and how many dwellings an area has then are checked by the
scenarios stage, which knows the data's year (pipeline/scenarios/plan.py). Every problem names the projects.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.core.config import Config
from pipeline.core.errors import Problem
from pipeline.ingest.clean import numbers_of, rows_where
from pipeline.ingest.geometry import _crs_checks, to_working_crs
from pipeline.ingest.schema import PLAN_CHANGES, PLAN_SIGNED, Source


def prepare_plan_projects(frame: pd.DataFrame, source: Source, config: Config) -> tuple[pd.DataFrame, list[Problem]]:
    """The signed changes as whole numbers (blank: 0), each project's area given or its geometry in the working
    CRS (its area found later, locate_plan_projects), and its conversion balanced."""
    if isinstance(frame, gpd.GeoDataFrame):
        frame, problems = to_working_crs(frame, source, config.crs, **_crs_checks(config))
        if problems:
            return frame, problems
    frame = frame.copy()
    ids = frame["project_id"]
    problems: list[Problem] = []
    for column in PLAN_SIGNED:
        if column not in frame.columns:
            frame[column] = 0
            continue
        numbers, _, found = numbers_of(frame[column], source, column, ids,
                                       "write signed whole numbers: + built, - demolished or converted away")
        found += rows_where(source, (numbers != np.floor(numbers)) & numbers.notna(), "changes are not whole numbers",
                            "write whole dwellings and jobs", column, ids)
        problems += found
        frame[column] = numbers.fillna(0).round().astype("int64") if not found else numbers
    if problems:
        return frame, problems
    area = frame["area_id"] if "area_id" in frame.columns else pd.Series(pd.NA, index=frame.index)
    placed = ~np.asarray(shapely.is_missing(frame.geometry.values)) if isinstance(frame, gpd.GeoDataFrame) \
        else np.zeros(len(frame), dtype=bool)
    problems += rows_where(source, area.isna() & ~placed, "projects have neither an area_id nor a geometry",
                           "give each project the area_id of the housing area it changes, or its site", "area_id", ids)
    change = frame[list(PLAN_CHANGES)].to_numpy(dtype="int64")
    mixed = (change < 0).any(axis=1) & (change > 0).any(axis=1)
    problems += rows_where(source, pd.Series(mixed & (change.sum(axis=1) != 0), index=frame.index),
                           "a conversion (minus on one tenure, plus on another in the same row) does not balance",
                           "make the minus and plus sides equal; a demolition and a new building are two projects",
                           PLAN_CHANGES[0], ids)
    return frame, problems


def locate_plan_projects(layers: dict[str, pd.DataFrame], source: Source | None) -> list[Problem]:
    """Projects without area_id take the housing area containing their site's representative point; the layer is
    then a table (the geometry dropped). A site in no housing area is a problem naming the projects."""
    frame = layers.get("plan_projects")
    if frame is None or "geometry" not in frame.columns:
        return []
    frame = pd.DataFrame(frame)
    geometry = gpd.GeoSeries(frame["geometry"].to_numpy(), index=frame.index)
    if "area_id" not in frame.columns:
        frame["area_id"] = pd.Series(pd.NA, index=frame.index, dtype="string")
    todo = frame["area_id"].isna().to_numpy() & ~np.asarray(shapely.is_missing(geometry.values))
    problems = []
    if todo.any() and "housing_areas" in layers:
        areas = layers["housing_areas"]
        points = shapely.point_on_surface(geometry.values[todo])
        tree = shapely.STRtree(areas.geometry.to_numpy())
        point_index, area_index = tree.query(points, predicate="within")
        found = pd.Series(pd.NA, index=np.flatnonzero(todo), dtype="string")
        first = ~pd.Series(point_index).duplicated().to_numpy()
        found.iloc[point_index[first]] = areas["area_id"].astype("string").to_numpy()[area_index[first]]
        frame.loc[frame.index[todo], "area_id"] = found.to_numpy()
        outside = frame["area_id"].isna().to_numpy() & todo
        problems += rows_where(source, pd.Series(outside, index=frame.index),
                               "project sites lie in no housing area", "give the project its area_id, or a site "
                               "inside the housing area it changes", "area_id", frame["project_id"])
    layers["plan_projects"] = frame.drop(columns="geometry")
    return problems
