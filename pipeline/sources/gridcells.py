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


def cell_polygons(cell_ids: pd.Series) -> np.ndarray:
    """The square cell of each id as a shapely polygon in EPSG:25832 (None where the id does not parse)."""
    corners = cell_corners(cell_ids)
    valid = corners.notna().all(axis=1).to_numpy()
    polygons = np.full(len(corners), None, dtype=object)
    c = corners[valid]
    polygons[valid] = shapely.box(c.east_m, c.north_m, c.east_m + c.size_m, c.north_m + c.size_m)
    return polygons


def misplaced_cells(given: np.ndarray, parsed: np.ndarray, size_m: np.ndarray) -> np.ndarray:
    """Where a given cell polygon's centre lies more than half a cell from the centre its id names (same CRS)."""
    both = ~(shapely.is_missing(given) | shapely.is_missing(parsed))
    distance = np.full(len(given), 0.0)
    distance[both] = shapely.distance(shapely.centroid(given[both]), shapely.centroid(parsed[both]))
    return both & (distance > np.asarray(size_m, dtype="float64") / 2)
