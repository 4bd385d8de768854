"""The school districts' figures of the stage mix: pupils, pupils in udsat-or-worse areas, capacity use, D.

Reads nothing itself: pipeline.mix.run hands it the statistical units (with area and district), the areas'
status and the district-school links; docs/indicators.md ("school_districts_mix.parquet") explains each.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.core.log import warn
from pipeline.mix.rules import ON_THE_LIST as UDSAT_OR_WORSE
from pipeline.mix.schools import split_pupils
from pipeline.mix.segregation import group_indices
from pipeline.mix.sums import as_counts as _as_counts
from pipeline.mix.sums import column_or_null, group_sums, share

DISTRICT_FIGURES = (
    "parcels", "residents", "pupils", "pupils_udsat_or_worse", "share_pupils_udsat_or_worse", "school_ids",
    "school_name", "capacity", "school_pupils", "utilisation",
)


def district_mix(
    parcels: pd.DataFrame, areas: pd.DataFrame, districts: gpd.GeoDataFrame, links: pd.DataFrame,
    schools: pd.DataFrame | None, blank_as_zero: tuple[str, ...] = (), *,
    grid_unusable: tuple[list[str], np.ndarray] | None = None,
) -> gpd.GeoDataFrame:
    """The districts with parcels, residents, pupils, pupils in udsat-or-worse areas and capacity use.

    parcels must carry area_id and district_id; areas the status per area_id; links the weighted
    district-school links (pipeline.mix.schools.link_weights). A district with no parcel, or whose schools are
    unknown, gets null figures (warned); so does a grid-fed count of a district lying too little inside the
    grid (grid_unusable: the grid-fed columns and the mask of such districts). Figure columns already in
    districts (an earlier run) are replaced.
    """
    out = districts.drop(columns=[c for c in DISTRICT_FIGURES if c in districts.columns])
    status = parcels["area_id"].map(areas.set_index("area_id")["status"])
    children = pd.to_numeric(column_or_null(parcels, "children_6_16")).astype("float64")
    if "children_6_16" in blank_as_zero:
        children = children.fillna(0.0)
    # children of an undetermined area may or may not live in an udsat-or-worse one: unknown
    worse = children.where(status.isin(UDSAT_OR_WORSE), 0.0).mask(status.eq("undetermined") & children.ne(0))
    counted = parcels.assign(pupils=children, pupils_udsat_or_worse=worse)
    ids = pd.Index(out["district_id"].astype("str"), name="district_id")
    counts = ["residents", "pupils", "pupils_udsat_or_worse"]
    sums = group_sums(counted, "district_id", ids, counts, blank_as_zero)
    if grid_unusable is not None:
        fed, mask = grid_unusable
        masked = [c for c, source in (("residents", "residents"), ("pupils", "children_6_16"),
                                       ("pupils_udsat_or_worse", "children_6_16")) if source in fed]
        sums.loc[np.asarray(mask, dtype=bool), masked] = np.nan
    sums = _as_counts(sums, counts)
    empty = sums["parcels"].eq(0).to_numpy()
    if empty.any():
        warn(f"{int(empty.sum())} school districts hold no parcel; their figures are empty "
             f"(e.g. {', '.join(ids[empty][:5])})")
    sums["share_pupils_udsat_or_worse"] = share(sums["pupils_udsat_or_worse"], sums["pupils"])
    figures = sums[["parcels", *counts, "share_pupils_udsat_or_worse"]].set_axis(out.index)
    out = pd.concat([out, figures], axis=1)
    return pd.concat([out, _school_figures(out, links, schools)], axis=1)


def _school_figures(districts: pd.DataFrame, links: pd.DataFrame, schools: pd.DataFrame | None) -> pd.DataFrame:
    """Per district its schools' ids, names and capacity, the pupils of those schools over all their
    districts (shared districts split by pipeline.mix.schools.split_pupils) and capacity utilisation."""
    ids = districts["district_id"].astype("str")
    split = split_pupils(pd.Series(districts["pupils"].to_numpy(), index=ids), links)
    names = pd.Series(schools["name"].astype("str").to_numpy(), index=schools["school_id"].astype("str")) \
        if schools is not None else pd.Series(dtype="str")
    capacity = pd.to_numeric(column_or_null(schools, "capacity")).astype("float64").set_axis(names.index) \
        if schools is not None else pd.Series(dtype="float64")
    names, capacity = names[~names.index.duplicated()], capacity[~capacity.index.duplicated()]
    pupils = split["pupils"].astype("Float64")
    school_pupils = pupils.groupby(split["school_id"]).sum().mask(pupils.isna().groupby(split["school_id"]).any())
    split = split.assign(name=split["school_id"].map(names), capacity=split["school_id"].map(capacity),
                         school_pupils=split["school_id"].map(school_pupils).astype("Float64"))
    by = split.groupby("district_id", sort=False)
    per = pd.DataFrame({
        "school_ids": by["school_id"].agg("; ".join),
        "school_name": by["name"].agg(lambda s: "; ".join(s.astype(str))),
        "capacity": by["capacity"].sum(min_count=1).mask(by["capacity"].apply(lambda s: s.isna().any())),
        "school_pupils": by["school_pupils"].sum().mask(by["school_pupils"].apply(lambda s: s.isna().any())),
    }).reindex(ids)
    unknown = per["school_ids"].isna()
    if unknown.any():
        warn(f"{int(unknown.sum())} school districts have no known school; their school figures are empty "
             f"(e.g. {', '.join(ids[unknown.to_numpy()][:5])})")
    return pd.DataFrame({
        "school_ids": per["school_ids"].astype("str").where(~unknown, None).to_numpy(),
        "school_name": per["school_name"].astype("str").where(~unknown, None).to_numpy(),
        "capacity": per["capacity"].astype("float64").round().astype("Int64").to_numpy(),
        "school_pupils": per["school_pupils"].astype("float64").round().astype("Int64").to_numpy(),
        "utilisation": share(per["school_pupils"].astype("float64"), per["capacity"].astype("float64")).to_numpy(),
    }, index=districts.index)


def district_segregation(districts: pd.DataFrame) -> dict:
    """D across school districts of the pupils living in udsat-or-worse areas against all pupils."""
    result = group_indices(districts, {"group": "pupils_udsat_or_worse", "total": "pupils"})
    return {"units": "school districts", **result}
