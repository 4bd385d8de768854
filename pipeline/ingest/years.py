"""The statistics' years and extract dates: read, normalised and checked before any row is matched by year.

A `date` (ISO 8601) gives the year where no year is mapped; a year written "2021" or "2021.0" is the year
2021 before any duplicate check or join. In the statistics layers, blank years among given ones, years in the future and years far
from the rest of the layer (more than ingest.year_spread years) stop the run naming the rows (a blank year would belong to no year, a typed
2203 would become the current year and empty every figure). Several extract dates in one year (Frederiksberg
publishes two or three a year): the latest of each year is used, warned with the dates named.
"""

from __future__ import annotations

import datetime

import numpy as np
import pandas as pd

from pipeline.core.errors import Problem
from pipeline.core.log import warn
from pipeline.ingest.schema import SCHEMAS, STATISTICS_LAYERS, LayerSchema, Source


def clean_dates(frame: pd.DataFrame, source: Source, schema: LayerSchema) -> tuple[pd.DataFrame, list[Problem]]:
    """The `date` column (ISO 8601) as a date, and `year` taken from it where no year is mapped."""
    if "date" not in frame.columns:
        return frame, []
    frame = frame.copy()
    text = frame["date"].astype("string").str.strip()
    dates = pd.to_datetime(text.where(text != "", pd.NA), errors="coerce", format="ISO8601")
    unreadable = dates.isna() & text.notna() & (text != "")
    problems = _rows(source, unreadable, "values are not dates", "write dates as YYYY-MM-DD", "date", frame[schema.id_column])
    frame["date"] = dates
    if "year" not in frame.columns:
        frame["year"] = dates.dt.year.astype("Int64")
    return frame, problems


def clean_years(frame: pd.DataFrame, source: Source, schema: LayerSchema, *, joined: bool = False) -> tuple[pd.DataFrame, list[Problem]]:
    """Dates read, the year as a whole number, checked; the latest extract date of each year kept.

    joined: the frame is parts already joined (each part was checked on its own; a blank year there is a key
    one part lacks, and each part's dates were chosen before the join).
    """
    frame, problems = clean_dates(frame, source, schema)
    if "year" not in frame.columns or problems:
        return frame, problems
    ids = frame[schema.id_column]
    raw = frame["year"]
    text = raw.astype("string").str.strip().str.replace(r"\.0+$", "", regex=True)
    years = pd.to_numeric(text.where(text != ""), errors="coerce").astype("Float64")
    blank = raw.isna() | (raw.astype("string").str.strip() == "")
    problems += _rows(source, years.isna() & ~blank | (years != years.round()).fillna(False),
                      "years are not whole numbers", "write years as 2024", "year", ids)
    if not joined and blank.any() and not blank.all():
        problems += _rows(source, blank, f"{int(blank.sum())} rows have no year while the others have one (they would "
                          "belong to no year and drop out of every figure)",
                          "give every row its year (or date), or map no year when the figures belong to every year",
                          "year", ids)
    if source.layer_name in STATISTICS_LAYERS:  # a plan's year lies ahead by design (plan_projects: when it takes effect)
        problems += _far_years(years, source, ids)
    frame["year"] = years
    if problems or joined or "date" not in frame.columns:
        return frame, problems
    return latest_date_of_each_year(frame, source), problems


def _far_years(years: pd.Series, source: Source, ids: pd.Series) -> list[Problem]:
    """Years in the future or more than ingest.year_spread years from the layer's median year: a slip that would
    become the current year."""
    spread = int(source.settings["year_spread"])
    known = years.dropna()
    if known.empty:
        return []
    this_year = datetime.date.today().year
    median = float(np.median(known.to_numpy(dtype="float64")))
    far = ((years > this_year) | ((years - median).abs() > spread)).fillna(False).astype(bool)
    if not far.any():
        return []
    shown = ", ".join(str(int(y)) for y in pd.unique(years[far])[:5])
    return _rows(source, far, f"years in the future or more than {spread} years from the rest ({shown}; most rows "
                 f"are of {int(median)})", f"correct the year (statistics are of {this_year} or earlier)", "year", ids)


def latest_date_of_each_year(frame: pd.DataFrame, source: Source) -> pd.DataFrame:
    """The rows of the latest extract date of each year; the earlier dates of a year are dropped, warned."""
    dates = frame["date"]
    if dates.isna().all():
        return frame
    latest = dates.groupby(frame["year"]).transform("max")
    earlier = (dates < latest).fillna(False).astype(bool)
    if not earlier.any():
        return frame
    per_year = [f"{int(y)}: {', '.join(d.strftime('%Y-%m-%d') for d in sorted(g.dropna().unique()))}"
                for y, g in dates.groupby(frame["year"]) if g.nunique() > 1]
    warn(str(source.problem(
        f"several extract dates in one year ({'; '.join(per_year)}); the latest date of each year is used and "
        f"{int(earlier.sum()):,} rows of the earlier dates are left out",
        f"select one date per year with sources.{source.layer_name}.where if another date is meant", column="date")))
    return frame[~earlier.to_numpy()]


def _rows(source: Source, found: pd.Series, what: str, fix: str, column: str, ids: pd.Series) -> list[Problem]:
    """The problem `what` in `column`, naming the ids of the rows where `found` holds (unknown: not found)."""
    found = found.fillna(False).astype(bool)
    return [source.problem(what, fix, column=column, ids=ids[found])] if found.any() else []


def check_years_across(layers: dict[str, pd.DataFrame], sources: dict[str, Source], *, spread: int) -> list[Problem]:
    """A statistics layer whose years lie more than `spread` years (ingest.year_spread) from the other layers' (a
    whole file typed 1924 for 2024): it would feed a year of its own, or become the current year, and empty the
    figures the others give."""
    medians = {name: float(np.median(pd.to_numeric(frame["year"]).dropna().to_numpy(dtype="float64")))
               for name, frame in layers.items()
               if name in STATISTICS_LAYERS and "year" in frame.columns and pd.to_numeric(frame["year"]).notna().any()}
    if len(medians) < 2:
        return []
    far = [name for name, median in medians.items()
           if all(abs(median - m) > spread for n, m in medians.items() if n != name)]
    if len(far) == len(medians):  # no majority (two layers): the one farther from this year is the slip
        this_year = datetime.date.today().year
        far = [max(far, key=lambda n: abs(medians[n] - this_year))]
    return [sources[name].problem(
        f"the years lie more than {spread} years from those of the other statistics (mostly {int(medians[name])} "
        f"against {', '.join(f'{n} {int(m)}' for n, m in medians.items() if n != name)})",
        "correct the year column (or the date it is taken from)", column="year",
        ids=layers[name][SCHEMAS[name].id_column]) for name in far]
