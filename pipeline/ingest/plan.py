"""The plan's projects checked on ingest (CONTRACT 6a): signed dwelling changes, balanced conversions, an area each.

A row with both signs is a conversion (minus on one tenure, plus on another) and must balance; a demolition and
a new building are two projects. Which year and how many dwellings an area has then are checked by the
scenarios stage, which knows the data's year (pipeline/scenarios/plan.py). Every problem names the projects.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.errors import Problem
from pipeline.ingest.clean import numbers_of, rows_where
from pipeline.ingest.schema import PLAN_CHANGES, PLAN_SIGNED, Source


def prepare_plan_projects(frame: pd.DataFrame, source: Source) -> tuple[pd.DataFrame, list[Problem]]:
    """The signed changes as whole numbers (blank: 0), each project's area given and its conversion balanced."""
    frame = pd.DataFrame(frame).copy()
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
    problems += rows_where(source, area.isna(), "projects have no area_id",
                           "give each project the area_id of the housing area it changes", "area_id", ids)
    change = frame[list(PLAN_CHANGES)].to_numpy(dtype="int64")
    mixed = (change < 0).any(axis=1) & (change > 0).any(axis=1)
    problems += rows_where(source, pd.Series(mixed & (change.sum(axis=1) != 0), index=frame.index),
                           "a conversion (minus on one tenure, plus on another in the same row) does not balance",
                           "make the minus and plus sides equal; a demolition and a new building are two projects",
                           PLAN_CHANGES[0], ids)
    return frame, problems
