"""The demo's statistics of earlier years: area tables with trends, so the status has a history.

The parcels carry the counts of the data year (DATA_YEAR, their `year` column); the years before it come
as an area table (area_statistics.csv, one row per area and year), as a municipality gets the ministry's
figures per area. Each earlier year scales the area's counts of the data year down by a percent a year
(slightly fewer residents then), with one trend per designed status so the history tells a story:

- the omdannelse estate was a parallelsamfund in every earlier year: its typed years_listed equals the
  history's count, and it becomes omdannelse in the data year by that history (4 earlier years + 1 >= 5);
- the parallelsamfund estate was udsat until the year before the data year (non-Western share under the
  parallelsamfund line), so it has been listed 1 earlier year;
- the udsat estate was a parallelsamfund in the first two years (non-Western share over the line), then
  udsat: off the list since, so its years_listed is 0;
- the forebyggelse area had no status under the rules of 2018-2020, which had no prevention areas.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.demo.design import COUNT_COLUMNS, FIXED_DATE

DATA_YEAR = int(FIXED_DATE[:4])
EARLIER_YEARS = 4
FEWER_RESIDENTS_PER_YEAR = 0.01
NON_WESTERN_STEP = 0.06  # how far a trend moves the non-Western share past the parallelsamfund line
# per designed status: the earlier years (years before DATA_YEAR) whose non-Western share crosses the line
CROSSINGS = {"parallelsamfund": (-1, range(2, EARLIER_YEARS + 1)), "udsat": (+1, range(3, EARLIER_YEARS + 1))}


def area_history(counts: pd.DataFrame, group: np.ndarray, plan: pd.DataFrame, mix: dict) -> pd.DataFrame:
    """area_statistics rows (area_id, year and every count) of the EARLIER_YEARS years before DATA_YEAR.

    counts are the parcels' counts, group each parcel's area position in plan (len(plan): no area).
    """
    inside = group < len(plan)
    sums = counts.loc[inside, list(COUNT_COLUMNS)].groupby(group[inside]).sum().reindex(range(len(plan)), fill_value=0)
    share_nw = sums["non_western"] / sums["residents"].where(sums["residents"] > 0)
    line = float(mix["parallelsamfund_non_western_gt"])
    rows = []
    for back in range(EARLIER_YEARS, 0, -1):
        factor = 1.0 - FEWER_RESIDENTS_PER_YEAR * back
        year = np.round(sums * factor).astype("int64")
        nw = share_nw.copy()
        for status, (direction, years_back) in CROSSINGS.items():
            if back in years_back:
                crossing = plan["design_status"].eq(status).to_numpy()
                nw[crossing] = line + direction * NON_WESTERN_STEP
        year["non_western"] = np.minimum(np.round(year["residents"] * nw.fillna(0.0)), year["residents"]).astype("int64")
        year.insert(0, "year", DATA_YEAR - back)
        year.insert(0, "area_id", plan["area_id"].to_numpy())
        rows.append(year)
    return pd.concat(rows, ignore_index=True)
