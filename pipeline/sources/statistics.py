"""Statistics at the support where they exist: grid cells apportioned to parcels, area tables used as given.

Grid counts (DST kvadratnet) go to the parcels whose representative point lies in the cell, in
proportion to their dwellings, or to their area where the cell's parcels have no known dwellings, as
whole numbers that keep every cell's total exactly (largest remainder, ties by parcel_id). A suppressed
(null) cell value makes that column unknown for the cell's parcels. Without a parcels layer the
statistical units are the pieces of the grid cells cut by the housing areas, apportioned by area.
docs/indicators.md ("Where the figures come from") explains the rules for planners.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.core.columns import PERSON_SUBCOUNTS
from pipeline.core.log import log, warn

TENURE_PREFIX = "dwellings_"
PERSON_COUNTS = PERSON_SUBCOUNTS  # the person counts besides residents
INCOME_SUM = "gross_income_sum_15_64"
# Values an area table may give directly (used as given, taking precedence over sums).
AREA_VALUES = ("share_outside_work_edu", "conviction_rate_18plus", "crime_ratio", "share_basic_edu", "income_ratio",
               "mean_income_15_64_dkk", "share_non_western")
SUPPORTS = ("parcels", "grid", "area", "none")


def count_columns(tenures: list[str]) -> list[str]:
    """Every count column a parcel, a grid cell or an area table may carry."""
    return ["residents", *[f"{TENURE_PREFIX}{t}" for t in [*tenures, "other"]], *PERSON_COUNTS, INCOME_SUM]


def largest_remainder(totals: np.ndarray, group: np.ndarray, weight: np.ndarray, tiebreak: np.ndarray) -> np.ndarray:
    """Whole shares of each group's total in proportion to weight, summing exactly to the total.

    totals is per group (whole numbers), group the group position of each member, weight >= 0 per member
    with a positive sum in every group that has a total. Each member gets floor(total x w / W); the
    rest of the total goes one by one to the largest fractional parts, ties by tiebreak ascending.
    """
    totals = np.asarray(totals, dtype="float64")
    weight = np.asarray(weight, dtype="float64")
    group_weight = np.bincount(group, weights=weight, minlength=len(totals))
    with np.errstate(divide="ignore", invalid="ignore"):
        quota = totals[group] * weight / group_weight[group]
    quota = np.nan_to_num(quota)
    base = np.floor(quota + 1e-9)
    left = totals - np.bincount(group, weights=base, minlength=len(totals))
    fraction = quota - base
    order = np.lexsort((tiebreak, -fraction, group))
    sorted_group = group[order]
    first = np.searchsorted(sorted_group, sorted_group, side="left")
    rank = np.arange(len(order)) - first
    extra = np.zeros(len(group))
    extra[order] = rank < np.round(left[sorted_group])
    return base + extra


def unit_weights(dwellings: np.ndarray, area_m2: np.ndarray, cell: np.ndarray, n_cells: int) -> tuple[np.ndarray, np.ndarray]:
    """Per unit its apportioning weight: dwellings where every unit of its cell has known dwellings summing
    to more than 0, else its area, else (points) 1. Also, per cell, whether dwellings were used."""
    known = ~np.isnan(dwellings)
    all_known = np.bincount(cell, weights=(~known).astype(float), minlength=n_cells) == 0
    total = np.bincount(cell, weights=np.nan_to_num(dwellings), minlength=n_cells)
    by_dwellings = all_known & (total > 0)
    area_total = np.bincount(cell, weights=area_m2, minlength=n_cells)
    weight = np.where(by_dwellings[cell], np.nan_to_num(dwellings), np.where(area_total[cell] > 0, area_m2, 1.0))
    return weight, by_dwellings


def known_dwellings(units: pd.DataFrame) -> np.ndarray:
    """Per unit the sum of its known dwellings_* values; NaN when it has none known."""
    columns = [c for c in units.columns if c.startswith(TENURE_PREFIX)]
    if not columns:
        return np.full(len(units), np.nan)
    values = units[columns].apply(pd.to_numeric).astype("float64")
    return values.sum(axis=1, min_count=1).to_numpy()


def _cell_of(units: gpd.GeoDataFrame, cells: gpd.GeoDataFrame) -> np.ndarray:
    """Per unit, the position of the cell containing its representative point (-1: none)."""
    points = shapely.point_on_surface(units.geometry.to_numpy())
    unit, cell = shapely.STRtree(cells.geometry.to_numpy()).query(points, predicate="intersects")
    out = np.full(len(units), -1, dtype=np.intp)
    order = np.lexsort((cell, unit))
    unit, cell = unit[order], cell[order]
    first = np.r_[True, unit[1:] != unit[:-1]]
    out[unit[first]] = cell[first]  # a point on a shared cell edge takes the first cell
    return out


def grid_coverage(cells: gpd.GeoDataFrame):
    """The grid's coverage: the union of its cells with holes filled (DST leaves out empty cells inside)."""
    if len(cells) == 0:
        return shapely.Polygon()
    parts = shapely.get_parts(shapely.union_all(cells.geometry.to_numpy()))
    return shapely.union_all(shapely.polygons(shapely.get_exterior_ring(parts)))


def apportion_grid(units: gpd.GeoDataFrame, cells: gpd.GeoDataFrame, columns: list[str]) -> tuple[pd.DataFrame, dict]:
    """The grid's columns apportioned to units (whole numbers, cell totals kept; null where a cell is suppressed).

    units have parcel_id and geometry (and dwellings_* when known); returns a frame indexed like units
    (Int64 counts, 0 for a unit in no cell) and the coverage figures of the cells no unit lies in.
    """
    cell = _cell_of(units, cells)
    inside = cell >= 0
    n_cells = len(cells)
    area_m2 = shapely.area(units.geometry.to_numpy())
    weight, by_dwellings = unit_weights(known_dwellings(units)[inside], area_m2[inside], cell[inside], n_cells)
    tiebreak = np.argsort(np.argsort(units["parcel_id"].astype("str").to_numpy()[inside], kind="stable"), kind="stable")
    out = pd.DataFrame(index=units.index)
    for column in columns:
        totals = pd.to_numeric(cells[column]).to_numpy(dtype="float64", na_value=np.nan)
        values = np.zeros(len(units))
        shares = largest_remainder(np.nan_to_num(np.round(totals)), cell[inside], weight, tiebreak)
        values[inside] = np.where(np.isnan(totals[cell[inside]]), np.nan, shares)
        out[column] = pd.array(np.where(np.isnan(values), None, np.round(values)), dtype="Int64")
    empty = np.bincount(cell[inside], minlength=n_cells) == 0
    lost = _report_empty_cells(cells, empty, columns)
    log.info("Apportioned %d grid columns of %d cells to %d units (%d cells by dwellings, the rest by area)",
             len(columns), n_cells, int(inside.sum()), int((by_dwellings & ~empty).sum()))
    return out, lost


def _report_empty_cells(cells: pd.DataFrame, empty: np.ndarray, columns: list[str]) -> dict:
    """Warn about the cells no unit lies in: their counts stay in the municipality totals only."""
    residents = pd.to_numeric(cells["residents"]).fillna(0)[empty].sum() if "residents" in cells else 0
    ids = cells["cell_id"].astype("str").to_numpy()[empty]
    if len(ids):
        warn(f"{len(ids)} grid cells hold no parcel ({int(residents)} residents); their counts stay in the "
             f"municipality totals only (cells {', '.join(ids[:10])}{', ...' if len(ids) > 10 else ''})")
    return {"cells": int(len(ids)), "residents": int(residents), "columns": list(columns)}


def grid_units(cells: gpd.GeoDataFrame, areas: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Without parcels: the pieces of the grid cells cut by the housing areas (area_id null outside every area)."""
    left = cells[["cell_id", cells.geometry.name]].reset_index(drop=True)
    right = areas[["area_id", areas.geometry.name]].reset_index(drop=True)
    pieces = gpd.overlay(left, right, how="identity", keep_geom_type=True)
    pieces = pieces[~pieces.geometry.is_empty & (pieces.geometry.area > 0)].reset_index(drop=True)
    pieces["parcel_id"] = pieces["cell_id"].astype("str") + ":" + pieces["area_id"].astype("str").where(pieces["area_id"].notna(), "-")
    log.info("Cut %d grid cells by %d housing areas into %d statistical units", len(cells), len(areas), len(pieces))
    return pieces[["parcel_id", "cell_id", "area_id", "geometry"]]


def grid_columns(cells: pd.DataFrame | None, units: pd.DataFrame, tenures: list[str]) -> list[str]:
    """The count columns the grid feeds: those it has and the units do not give (a unit column with any
    known value takes precedence over the grid for that column)."""
    if cells is None:
        return []
    given = {c for c in units.columns if c in count_columns(tenures) and pd.to_numeric(units[c]).notna().any()}
    return [c for c in count_columns(tenures) if c in cells.columns and c not in given]


def area_coverage(areas: gpd.GeoDataFrame, coverage) -> np.ndarray:
    """Per area the share of its surface inside the grid's coverage."""
    shapes = areas.geometry.to_numpy()
    total = shapely.area(shapes)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, shapely.area(shapely.intersection(shapes, coverage)) / total, 0.0)


# --- area statistics and the support of each figure ----------------------------------------------

RANK = {"none": 0, "parcels": 1, "grid": 2, "area": 3}


def area_table(table: pd.DataFrame | None, area_ids: pd.Index) -> pd.DataFrame | None:
    """The area statistics aligned with the housing areas (one row per area_id, null where not given)."""
    if table is None:
        return None
    keyed = pd.DataFrame(table.drop(columns="geometry", errors="ignore")).assign(area_id=table["area_id"].astype("str"))
    unknown = ~keyed["area_id"].isin(area_ids)
    if unknown.any():
        warn(f"{int(unknown.sum())} rows of area_statistics name an area_id that is not a housing area "
             f"(e.g. {', '.join(keyed.loc[unknown, 'area_id'].unique()[:5])}); they were left out")
    keyed = keyed[~unknown].drop_duplicates("area_id", keep="last")
    return keyed.set_index("area_id").reindex(area_ids)


def count_support(frame: pd.DataFrame, columns: list[str], grid_fed: list[str]) -> pd.DataFrame:
    """Per area and count column: grid or parcels where the sum is known, none where it is null."""
    return pd.DataFrame({c: np.where(pd.to_numeric(frame[c]).isna(), "none", "grid" if c in grid_fed else "parcels")
                         for c in columns}, index=frame.index)


def replace_counts(frame: pd.DataFrame, table: pd.DataFrame | None, support: pd.DataFrame) -> None:
    """Counts the area table gives (not null) replace the sums; their support becomes area. In place."""
    if table is None:
        return
    for column in support.columns:
        if column in table.columns:
            given = pd.to_numeric(table[column]).set_axis(frame.index)
            frame[column] = given.round().astype("Int64").where(given.notna(), frame[column])
            support[column] = support[column].where(given.isna(), "area")


def replace_values(frame: pd.DataFrame, table: pd.DataFrame | None, mix_config: dict) -> pd.DataFrame:
    """Values the area table gives replace the computed indicators (in place): shares as given, the
    conviction rate as crime_ratio over the national rate, the mean income as income_ratio over the
    regional mean. Returns per area which values were replaced (booleans, index like frame)."""
    replaced = pd.DataFrame(False, index=frame.index, columns=list(AREA_VALUES))
    if table is None:
        return replaced
    given = {c: pd.to_numeric(table[c]).set_axis(frame.index) for c in AREA_VALUES if c in table.columns}
    if "conviction_rate_18plus" in given:  # the list's own ratio (crime_ratio), where given, comes first
        ratio = given["conviction_rate_18plus"] / float(mix_config["national_conviction_rate"])
        given["crime_ratio"] = given["crime_ratio"].fillna(ratio) if "crime_ratio" in given else ratio
    if "mean_income_15_64_dkk" in given:
        ratio = given["mean_income_15_64_dkk"] / float(mix_config["regional_mean_income"])
        given["income_ratio"] = given["income_ratio"].fillna(ratio) if "income_ratio" in given else ratio
    for column, values in given.items():
        frame[column] = values.where(values.notna(), frame[column])
        if column in replaced.columns:
            replaced[column] = values.notna()
    return replaced


def coarsest(support: pd.DataFrame, columns: list[str]) -> pd.Series:
    """Per area the coarsest support among columns (area > grid > parcels), none when any is none."""
    ranks = support[columns].replace(RANK).astype("int64")
    best = ranks.max(axis=1).where(ranks.min(axis=1) > 0, 0)
    names = {v: k for k, v in RANK.items()}
    return best.map(names)


def support_columns(frame: pd.DataFrame, counts: pd.DataFrame, replaced: pd.DataFrame, tenures: list[str]) -> pd.DataFrame:
    """support_residents, support_dwellings, support_c1..c4, support_non_western: where each figure came
    from (parcels | grid | area | none)."""
    derived = {
        "c1": ("share_outside_work_edu", "share_outside_work_edu", ["outside_work_edu_18_64", "residents_18_64"]),
        "c2": ("crime_ratio", "conviction_rate_18plus", ["convicted_18plus", "residents_18plus"]),
        "c3": ("share_basic_edu", "share_basic_edu", ["basic_edu_only_30_59", "residents_30_59"]),
        "c4": ("income_ratio", "income_ratio", [INCOME_SUM, "taxpayers_15_64"]),
        "non_western": ("share_non_western", "share_non_western", ["non_western", "residents"]),
    }
    out = pd.DataFrame(index=frame.index)
    out["support_residents"] = counts["residents"]
    dwellings = [f"{TENURE_PREFIX}{t}" for t in [*tenures, "other"]]
    out["support_dwellings"] = coarsest(counts, dwellings).where(frame["dwellings"].notna(), "none")
    for name, (value, given, inputs) in derived.items():
        from_counts = coarsest(counts, inputs).where(frame[value].notna(), "none")
        given_here = replaced[given] | replaced[value] if value in replaced.columns else replaced[given]
        out[f"support_{name}"] = from_counts.where(~given_here, "area").astype("str")
    return out


# --- the statistical units of the mix stage ------------------------------------------------------

def statistical_units(
    parcels: gpd.GeoDataFrame | None, grid: gpd.GeoDataFrame | None, areas: gpd.GeoDataFrame, mix_config: dict
) -> tuple[gpd.GeoDataFrame, dict]:
    """The parcels (or, without them, the grid cells cut by the areas) with the grid's counts apportioned.

    Returns the units and what the areas need to know: grid_fed columns, the cells holding no unit, and
    which areas lie too little inside the grid's coverage (their grid-fed sums are null, warned).
    """
    tenures = list(mix_config["tenures"])
    info: dict = {"grid_fed": [], "unusable": None, "lost": None}
    if parcels is None and grid is None:
        warn("there is neither a parcels layer nor grid statistics: every count of the housing areas is empty")
        return gpd.GeoDataFrame({"parcel_id": pd.Series(dtype="str")}, geometry=[], crs=areas.crs), info
    units = parcels if parcels is not None else grid_units(grid, areas)
    fed = grid_columns(grid, units, tenures)
    if grid is not None and fed:
        apportioned, info["lost"] = apportion_grid(units, grid, fed)
        coverage = grid_coverage(grid)
        outside = ~shapely.covered_by(shapely.point_on_surface(units.geometry.to_numpy()), coverage)
        units = units.drop(columns=fed, errors="ignore").assign(**{c: apportioned[c].mask(outside) for c in fed})
        share_in = area_coverage(areas, coverage)
        unusable = share_in < float(mix_config["min_grid_coverage"])
        if unusable.any():
            warn(f"{int(unusable.sum())} housing areas lie less than {mix_config['min_grid_coverage']:.0%} inside the "
                 f"grid statistics' coverage; their grid-fed figures are empty (e.g. "
                 f"{', '.join(areas['area_id'].astype(str).to_numpy()[unusable][:10])})")
        info.update(grid_fed=fed, unusable=unusable, outside=outside, coverage=coverage)
    return units, info


def area_sum_units(units: pd.DataFrame, info: dict) -> pd.DataFrame:
    """The units as the area sums see them: grid-fed counts of units outside the grid's coverage as 0
    (the coverage rule of the area decides instead), everything else as it is."""
    if not info["grid_fed"]:
        return units
    outside = info["outside"]
    return units.assign(**{c: units[c].mask(outside, 0) for c in info["grid_fed"]})


def parcels_mix_table(units: gpd.GeoDataFrame, tenures: list[str]) -> gpd.GeoDataFrame:
    """parcels_mix.parquet: per unit its id, area, district and counts after apportionment, with geometry."""
    columns = ["parcel_id", "area_id", "district_id", *[c for c in count_columns(tenures) if c in units.columns]]
    return gpd.GeoDataFrame(units[columns].assign(parcel_id=units["parcel_id"].astype("str")),
                            geometry=units.geometry.to_numpy(), crs=units.crs)
