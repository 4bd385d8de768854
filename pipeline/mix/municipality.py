"""The housing areas together: the municipality's figures for work, education and income (municipality_mix).

What an area's work, education and income are compared with (the residents' summary, the municipality page):
each figure of all housing areas together, weighted by the persons it is about, the way the access stage's
municipality_access averages its figures. For each figure, over the areas where both the area's figure and
its base are known:

    share_outside_work_edu = sum(share_outside_work_edu_i * residents_18_64_i) / sum(residents_18_64_i)
    share_basic_edu        = sum(share_basic_edu_i * residents_30_59_i) / sum(residents_30_59_i)
    mean_income_15_64_dkk  = sum(mean_income_15_64_dkk_i * taxpayers_15_64_i) / sum(taxpayers_15_64_i)

With counts this is the sum of the counts divided (segregation.json's group_share for outside work); an area
whose figure came from area_statistics as a value counts with that value. An area whose figure or base is
unknown is left out of both sums, never counted as 0; with no area known the figure and its base are null. The base columns
hold the persons each figure is weighted over.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.mix.sums import column_or_null

MUNICIPALITY = "municipality"
# Each figure of all housing areas together and the count of persons it is weighted by.
WEIGHTED_BY = {
    "share_outside_work_edu": "residents_18_64",
    "share_basic_edu": "residents_30_59",
    "mean_income_15_64_dkk": "taxpayers_15_64",
}
MUNICIPALITY_MIX_COLUMNS = ("scope", *WEIGHTED_BY, *WEIGHTED_BY.values())


def weighted_figure(values: pd.Series, weights: pd.Series) -> tuple[float | None, int | None]:
    """sum(value * weight) / sum(weight) over the rows where both are known and the weight is positive, and the
    sum of those weights (both None when there is no such row)."""
    value = pd.to_numeric(values).to_numpy(dtype="float64", na_value=np.nan)
    weight = pd.to_numeric(weights).to_numpy(dtype="float64", na_value=np.nan)
    known = ~np.isnan(value) & ~np.isnan(weight) & (weight > 0)
    total = float(weight[known].sum())
    if total <= 0:
        return None, None
    return float((value[known] * weight[known]).sum() / total), round(total)


def municipality_mix(areas: pd.DataFrame) -> pd.DataFrame:
    """One row, scope "municipality": work, education and income of all housing areas together (areas_mix's rows),
    each weighted by its persons, and those persons (the module's docstring gives the formulas)."""
    row: dict[str, object] = {"scope": MUNICIPALITY}
    for figure, base in WEIGHTED_BY.items():
        row[figure], row[base] = weighted_figure(column_or_null(areas, figure), column_or_null(areas, base))
    frame = pd.DataFrame([row], columns=list(MUNICIPALITY_MIX_COLUMNS))
    frame[list(WEIGHTED_BY)] = frame[list(WEIGHTED_BY)].astype("float64")
    frame[list(WEIGHTED_BY.values())] = frame[list(WEIGHTED_BY.values())].astype("Int64")
    return frame
