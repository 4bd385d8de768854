"""Which housing area and which school district each parcel belongs to (CONTRACT 2).

A parcel keeps its own area_id when it has one that names a housing area; otherwise it belongs to the
area containing its representative point (a point guaranteed inside the parcel, so a parcel straddling
a boundary goes to one side, and a point parcel is its own point). A parcel in no area keeps a null
area_id and counts in the municipality totals only. The district is always found by containment.
Both are single vectorised spatial joins (geopandas.sjoin, predicate "within"; a point exactly on a shared
boundary takes the first polygon it touches).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.core.errors import InputError, Problem
from pipeline.core.log import log, warn
from pipeline.core.parallel import active_executor


def _check_crs(parcels: gpd.GeoDataFrame, other: gpd.GeoDataFrame, layer: str) -> None:
    """Stop when a polygon layer is in another CRS than the parcels (ingest puts all in one)."""
    if parcels.crs != other.crs:
        raise InputError(
            Problem(
                f"the parcels are in {parcels.crs} but {layer} is in {other.crs}",
                "run ingest, which reprojects every layer to the working CRS",
                layer=layer,
            )
        )


def _join_ids(points: gpd.GeoDataFrame, polygons: gpd.GeoDataFrame, id_column: str) -> pd.DataFrame:
    """Per point: the id of the first polygon containing it, and how many contain it.

    A point exactly on a shared boundary is within neither polygon; it takes the first polygon it touches.
    """
    joined = gpd.sjoin(points, polygons, how="left", predicate="within")
    counts = joined.groupby(level=0)[id_column].count()
    first = joined[~joined.index.duplicated(keep="first")][id_column]
    on_edge = first.isna()
    if on_edge.any():
        touching = gpd.sjoin(points[on_edge.reindex(points.index).to_numpy()], polygons, how="inner", predicate="intersects")
        touching = touching[~touching.index.duplicated(keep="first")][id_column]
        first = first.fillna(touching.reindex(first.index))
    return pd.DataFrame({id_column: first.reindex(points.index), "n_containing": counts.reindex(points.index)})


def _containing_id(points: gpd.GeoSeries, polygons: gpd.GeoDataFrame, id_column: str, layer: str) -> np.ndarray:
    """The id of the polygon containing each point (first one where polygons overlap), else null.

    Runs per spatial partition on the Dask cluster when the run's execution backend is dask.
    """
    left = gpd.GeoDataFrame(geometry=points.reset_index(drop=True), crs=points.crs)
    right = polygons[[id_column, polygons.geometry.name]].reset_index(drop=True)
    found = active_executor().map_parcels(_join_ids, left, right, id_column)
    in_several = found["n_containing"] > 1
    if in_several.any():
        warn(f"{int(in_several.sum())} parcels lay in more than one {layer} polygon; each was given the first one")
    return found[id_column].astype("str").to_numpy(dtype=object, na_value=None)


def _own_area_ids(parcels: gpd.GeoDataFrame, known: pd.Index) -> pd.Series:
    """The parcels' own area_id as str where it names a known housing area, else null."""
    if "area_id" not in parcels.columns:
        return pd.Series(None, index=parcels.index, dtype="str")
    own = parcels["area_id"].astype("str").str.strip()
    own = own.mask(own.eq(""))
    unknown = own.notna() & ~own.isin(known)
    if unknown.any():
        ids = own[unknown].unique()[:5]
        warn(
            f"{int(unknown.sum())} parcels named an area_id that is not a housing area "
            f"(e.g. {', '.join(map(str, ids))}); they were assigned by location instead"
        )
    return own.mask(unknown)


def assign_parcels(
    parcels: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, districts: gpd.GeoDataFrame | None
) -> gpd.GeoDataFrame:
    """A copy of parcels with area_id (own, else containing area, else null) and district_id (else null)."""
    _check_crs(parcels, areas, "housing_areas")
    out = parcels.copy()
    points = out.geometry.representative_point()
    own = _own_area_ids(out, pd.Index(areas["area_id"].astype("str")))
    contained = _containing_id(points, areas, "area_id", "housing_areas")
    out["area_id"] = pd.Series(np.where(own.notna(), own.to_numpy(dtype=object), contained), index=out.index, dtype="str")
    if districts is None:
        out["district_id"] = pd.Series(None, index=out.index, dtype="str")
    else:
        _check_crs(parcels, districts, "school_districts")
        found = _containing_id(points, districts, "district_id", "school_districts")
        out["district_id"] = pd.Series(found, index=out.index, dtype="str")
    log.info(
        "Assigned %d parcels: %d kept their own area_id, %d by location, %d in no housing area",
        len(out), int(own.notna().sum()), int((own.isna() & out["area_id"].notna()).sum()),
        int(out["area_id"].isna().sum()),
    )
    return out


def report_unassigned(parcels: pd.DataFrame, column: str, what: str, units: str = "parcels") -> dict[str, int]:
    """Count the parcels (or other statistical units) and residents whose column (area_id, district_id) is
    null; warn for run.json."""
    outside = parcels[column].isna()
    count = int(outside.sum())
    known = parcels["residents"] if "residents" in parcels.columns else pd.Series(0, index=parcels.index)
    residents = int(pd.to_numeric(known[outside]).sum())  # the known residents; unknown ones are not guessed
    if count:
        warn(f"{count} {units} ({residents} residents) lay outside every {what}; "
             "they count in the municipality totals only")
    else:
        log.info("Every one of the %s lay in a %s", units, what)
    return {"parcels": count, "residents": residents}
