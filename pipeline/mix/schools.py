"""Which schools serve which school district, and how a shared district's pupils split among them.

A district may be served by several schools and a school may serve several districts
(district_schools.parquet: district_id, school_id, share). A district's pupils go to its schools by the
`share` given (normalised over the district), else by the schools' capacities, else equally (warned).
Mix (district figures), access (school_dist_m: the nearest of the district's schools) and scenarios
(the baseline) all use these links, so they agree.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pipeline.core.config import Config
from pipeline.core.io import has_layer, read_layer
from pipeline.core.log import warn
from pipeline.sources.statistics import largest_remainder

LINK_COLUMNS = ["district_id", "school_id", "weight"]


def read_links(config: Config, districts: pd.DataFrame | None) -> pd.DataFrame | None:
    """district_schools.parquet, else the districts' own school_id; None when neither exists."""
    if has_layer(config, "district_schools"):
        links = read_layer(config, "district_schools")
        return pd.DataFrame(links.drop(columns="geometry", errors="ignore"))
    if districts is not None and "school_id" in districts.columns:
        return pd.DataFrame({"district_id": districts["district_id"], "school_id": districts["school_id"]})
    return None


def link_weights(links: pd.DataFrame | None, schools: pd.DataFrame | None) -> pd.DataFrame:
    """One row per (district, known school) with the weight of the school in the district's pupils (sum 1).

    share given for every school of the district: the shares, normalised; else capacities when all known
    and above 0; else equal weights, warned. Links to schools not in the schools layer are dropped (warned).
    """
    if links is None or schools is None or len(links) == 0:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "weight" else "str") for c in LINK_COLUMNS})
    frame = pd.DataFrame({"district_id": links["district_id"].astype("str"),
                          "school_id": links["school_id"].astype("str").str.strip(),
                          "share": pd.to_numeric(links["share"]) if "share" in links else np.nan})
    frame = frame[links["school_id"].notna().to_numpy() & frame["school_id"].ne("").to_numpy()]
    capacity = pd.to_numeric(schools["capacity"]) if "capacity" in schools else pd.Series(np.nan, index=schools.index)
    capacity = pd.Series(capacity.to_numpy(dtype="float64"), index=schools["school_id"].astype("str"))
    capacity = capacity[~capacity.index.duplicated()]
    unknown = ~frame["school_id"].isin(capacity.index)
    if unknown.any():
        warn(f"{int(unknown.sum())} district-school links name a school not in the schools layer "
             f"(e.g. {', '.join(sorted(set(frame.loc[unknown, 'school_id']))[:5])}); they were left out")
    frame = frame[~unknown].drop_duplicates(["district_id", "school_id"]).reset_index(drop=True)
    frame["capacity"] = frame["school_id"].map(capacity)
    by = frame.groupby("district_id")
    all_shares = by["share"].transform(lambda s: s.notna().all() and s.sum() > 0)
    all_capacity = by["capacity"].transform(lambda s: s.notna().all() and (s > 0).all())
    raw = np.where(all_shares, frame["share"], np.where(all_capacity, frame["capacity"], 1.0))
    equal = ~all_shares.astype(bool) & ~all_capacity.astype(bool) & by["school_id"].transform("size").gt(1)
    if equal.any():
        ids = sorted(set(frame.loc[equal, "district_id"]))
        warn(f"{len(ids)} districts share several schools of unknown capacity and no share was given; their pupils "
             f"were split equally (e.g. {', '.join(ids[:5])})")
    frame["weight"] = raw / pd.Series(raw).groupby(frame["district_id"]).transform("sum").to_numpy()
    return frame[LINK_COLUMNS]


def split_pupils(pupils: pd.Series, weights: pd.DataFrame) -> pd.DataFrame:
    """Each district's pupils (indexed by district_id) split among its schools in whole pupils (largest
    remainder, ties by school_id): one row per link with pupils (null when the district's pupils are)."""
    links = weights[weights["district_id"].isin(pupils.index)].reset_index(drop=True)
    district = pd.Index(pupils.index)
    group = district.get_indexer(links["district_id"])
    totals = pd.to_numeric(pupils).to_numpy(dtype="float64", na_value=np.nan)
    tiebreak = np.argsort(np.argsort(links["school_id"].to_numpy(dtype=str), kind="stable"), kind="stable")
    shares = largest_remainder(np.nan_to_num(np.round(totals)), group, links["weight"].to_numpy(dtype=float), tiebreak)
    known = ~np.isnan(totals[group]) if len(group) else np.zeros(0, dtype=bool)
    return links.assign(pupils=pd.array(np.where(known, shares, None), dtype="Int64"))
