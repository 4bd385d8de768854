"""DST grid cell ids to cells: corners worked out by hand from the id's definition."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box

from pipeline.sources import gridcells


def test_100m_and_1km_ids_give_their_south_west_corner_and_size():
    ids = pd.Series(["100m_61756_7195", "1km_6175_719", " 100M_61756_7195 ", "250m_24703_2878"])
    corners = gridcells.cell_corners(ids)
    # 61756 x 100 m = N 6,175,600; 7195 x 100 m = E 719,500; 6175 x 1 km = N 6,175,000; 719 km = E 719,000;
    # 24703 x 250 m = N 6,175,750 and 2878 x 250 m = E 719,500 (the general <size><unit>_<N/size>_<E/size>)
    assert corners.size_m.tolist() == [100.0, 1000.0, 100.0, 250.0]
    assert corners.north_m.tolist() == [6175600.0, 6175000.0, 6175600.0, 6175750.0]
    assert corners.east_m.tolist() == [719500.0, 719000.0, 719500.0, 719500.0]


def test_cell_polygons_are_the_squares_and_bad_ids_give_none():
    ids = pd.Series(["100m_61756_7195", "1km_6175_719", "61756_7195", "100m_61756", "", None, "0m_1_1"])
    polygons = gridcells.cell_polygons(ids)
    assert polygons[0].equals(box(719500, 6175600, 719600, 6175700))
    assert polygons[1].equals(box(719000, 6175000, 720000, 6176000))
    assert polygons[0].area == 10_000 and polygons[1].area == 1_000_000
    assert [p is None for p in polygons[2:]] == [True] * 5


def test_misplaced_cells_are_those_more_than_half_a_cell_off():
    parsed = gridcells.cell_polygons(pd.Series(["100m_61756_7195"] * 3))
    # the given cell shifted by 40 m (kept), by 60 m (misplaced: the centres are 60 m > 50 m apart), or absent
    given = np.array([shapely.affinity.translate(parsed[0], 40, 0), shapely.affinity.translate(parsed[0], 0, 60), None])
    assert gridcells.misplaced_cells(given, parsed, np.array([100.0] * 3)).tolist() == [False, True, False]
