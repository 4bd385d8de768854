"""Cells of Statistics Denmark's national square grid (DST kvadratnet) from their ids.

A cell id names the cell's size and its south-west corner in ETRS89 / UTM 32N (EPSG:25832), both divided
by the size: `100m_61756_7195` is the 100 m cell whose south-west corner is N 6,175,600, E 719,500, and
`1km_6175_719` the 1 km cell with corner N 6,175,000, E 719,000. The general form is
`<size><m|km>_<N / size>_<E / size>`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

# The grid is defined in ETRS89 / UTM 32N whatever the working CRS is.
GRID_CRS = "EPSG:25832"
CELL_ID_PATTERN = r"^(?P<size>\d+)(?P<unit>m|km)_(?P<north>\d+)_(?P<east>\d+)$"
METRES_PER_UNIT = {"m": 1, "km": 1000}


def cell_corners(cell_ids: pd.Series) -> pd.DataFrame:
    """Size (m) and south-west corner (east_m, north_m, EPSG:25832) of each cell id; NaN where it does not parse."""
    parts = cell_ids.astype("string").str.strip().str.lower().str.extract(CELL_ID_PATTERN)
    size_m = pd.to_numeric(parts["size"], errors="coerce") * parts["unit"].map(METRES_PER_UNIT).astype("float64")
    size_m = size_m.where(size_m > 0)
    return pd.DataFrame({
        "size_m": size_m,
        "east_m": pd.to_numeric(parts["east"], errors="coerce") * size_m,
        "north_m": pd.to_numeric(parts["north"], errors="coerce") * size_m,
    }, index=cell_ids.index).astype("float64")


# Denmark in EPSG:25832: northings 6.0-6.5 million m, eastings 0.4-0.9 million m (Bornholm 0.87).
DENMARK_NORTH_M, DENMARK_EAST_M = (5_900_000, 6_500_000), (400_000, 1_000_000)


def swapped_cells(cell_ids: pd.Series) -> np.ndarray:
    """Where an id names the east before the north: its 'north' is an easting of Denmark and its 'east' a northing."""
    c = cell_corners(cell_ids)
    return (c.north_m.between(*DENMARK_EAST_M) & c.east_m.between(*DENMARK_NORTH_M)).to_numpy()


def unswapped(cell_id: str) -> str:
    """The id with its two numbers swapped back: 100m_7195_61756 -> 100m_61756_7195."""
    size, first, second = str(cell_id).strip().split("_")
    return f"{size}_{second}_{first}"


def swapped_where(cell_id: str) -> str:
    """Where a swapped id's cell would lie, in words (its corner read as given)."""
    c = cell_corners(pd.Series([cell_id])).iloc[0]
    return f"at N {c.north_m:,.0f} E {c.east_m:,.0f}, outside Denmark"


def cell_polygons(cell_ids: pd.Series) -> np.ndarray:
    """The square cell of each id as a shapely polygon in EPSG:25832 (None where the id does not parse)."""
    corners = cell_corners(cell_ids)
    valid = corners.notna().all(axis=1).to_numpy()
    polygons = np.full(len(corners), None, dtype=object)
    c = corners[valid]
    polygons[valid] = shapely.box(c.east_m, c.north_m, c.east_m + c.size_m, c.north_m + c.size_m)
    return polygons


def overlapping_cells(cells: np.ndarray, years: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (i < j) of cells of the same year whose overlap is more than 1 % of the smaller cell."""
    tree = shapely.STRtree(cells)  # cells sharing an edge neither overlap nor contain one another: not compared
    pairs = [tree.query(cells, predicate=p) for p in ("overlaps", "contains")]
    first, second = np.concatenate([p[0] for p in pairs]), np.concatenate([p[1] for p in pairs])
    first, second = np.minimum(first, second), np.maximum(first, second)
    keep = first < second
    if years is not None:
        same = pd.Series(years).astype("string").fillna("").to_numpy()
        keep &= same[first] == same[second]
    first, second = np.unique(np.c_[first[keep], second[keep]], axis=0).T.reshape(2, -1)
    shared = shapely.area(shapely.intersection(cells[first], cells[second]))
    smaller = np.minimum(shapely.area(cells[first]), shapely.area(cells[second]))
    overlap = shared > 0.01 * smaller
    return first[overlap], second[overlap]


def misplaced_cells(given: np.ndarray, parsed: np.ndarray, size_m: np.ndarray) -> np.ndarray:
    """Where a given cell polygon's centre lies more than half a cell from the centre its id names (same CRS)."""
    both = ~(shapely.is_missing(given) | shapely.is_missing(parsed))
    distance = np.full(len(given), 0.0)
    distance[both] = shapely.distance(shapely.centroid(given[both]), shapely.centroid(parsed[both]))
    return both & (distance > np.asarray(size_m, dtype="float64") / 2)
