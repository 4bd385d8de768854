"""The demo's streets: arterials, quadrant grids, cul-de-sacs, paths, the motorway and its bridges."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.demo.design import (
    BASE_GRID,
    CELL_M,
    CRS,
    CUL_DE_SAC_LAYOUTS,
    CUL_DE_SAC_PATH_M,
    QUAD_M,
    RING_CELLS,
)
from pipeline.demo.layout import Grid, Warp, _bent

# --------------------------------------------------------------------------------------------------
# Streets


def _segments(grid: Grid, cells: pd.DataFrame, quads: pd.DataFrame) -> pd.DataFrame:
    """Straight street pieces (x1, y1, x2, y2, highway, walk, bike, level): level 1 crosses level 0 on a
    bridge, level -1 (links) joins every level it touches."""
    inside = (cells.use != "outside").to_numpy().reshape(grid.ny, grid.nx)
    padded = np.pad(inside, 1)
    centre = cells[cells.use == "centre"].iloc[0]
    ring = max(1, round(RING_CELLS * math.sqrt(grid.nx * grid.ny / (BASE_GRID[0] * BASE_GRID[1]))))
    open_land = cells.use.isin(["farmland", "outside"]).to_numpy().reshape(grid.ny, grid.nx)
    parts = [_arterials(grid, padded, open_land, (int(centre.i), int(centre.j)), ring), _split_streets(cells), _quad_streets(quads), _paths(cells, quads),
             _motorway(grid, cells)]
    return pd.concat(parts, ignore_index=True)


def _frame(x1, y1, x2, y2, highway: str, walk: bool, bike: bool, level: int) -> pd.DataFrame:
    """Street pieces with shared attributes."""
    x1 = np.asarray(x1, dtype=float)
    return pd.DataFrame({"x1": x1, "y1": np.asarray(y1, float), "x2": np.asarray(x2, float),
                         "y2": np.asarray(y2, float), "highway": highway, "walk": walk, "bike": bike, "level": level})


def _arterials(grid: Grid, padded: np.ndarray, open_land: np.ndarray, centre: tuple[int, int],
               ring: int) -> pd.DataFrame:
    """Roads along the cell edges that touch the municipality, one piece per cell side: a ring road
    `ring` cells around the centre cell and the two roads through the centre's corner are primary roads
    (the arterial network), the rest secondary roads. Between two cells of open land only every third
    north-south road is kept, staggered, as country roads are."""
    # Horizontal edge (i, j) lies between cells (i, j-1) and (i, j): padded rows j and j+1, column i+1.
    jh, ih = np.nonzero(padded[:-1, 1:-1] | padded[1:, 1:-1])
    # Vertical edge (i, j) lies between cells (i-1, j) and (i, j): padded row j+1, columns i and i+1.
    jv, iv = np.nonzero(padded[1:-1, :-1] | padded[1:-1, 1:])
    ci, cj = centre
    ring_h = np.isin(jh, [cj - ring, cj + ring + 1]) & (ih >= ci - ring) & (ih <= ci + ring)
    ring_v = np.isin(iv, [ci - ring, ci + ring + 1]) & (jv >= cj - ring) & (jv <= cj + ring)
    country = (iv > 0) & (iv < grid.nx) & open_land[jv, np.clip(iv - 1, 0, grid.nx - 1)] \
        & open_land[jv, np.clip(iv, 0, grid.nx - 1)] & ((iv + 2 * jv) % 3 != 0) & ~ring_v & (iv != ci)
    jv, iv, ring_v = jv[~country], iv[~country], ring_v[~country]
    xh, yh = grid.x0 + ih * CELL_M, grid.y0 + jh * CELL_M
    xv, yv = grid.x0 + iv * CELL_M, grid.y0 + jv * CELL_M
    horizontal = _frame(xh, yh, xh + CELL_M, yh, "secondary", True, True, 0)
    vertical = _frame(xv, yv, xv, yv + CELL_M, "secondary", True, True, 0)
    horizontal.loc[ring_h | (jh == cj), "highway"] = "primary"
    vertical.loc[ring_v | (iv == ci), "highway"] = "primary"
    return pd.concat([horizontal, vertical])


def _split_streets(cells: pd.DataFrame) -> pd.DataFrame:
    """A street through the middle of every built cell, both ways."""
    built = cells[cells.use.isin(["town", "centre", "business"])]
    x, y = built.x.to_numpy(), built.y.to_numpy()
    return pd.concat([_frame(x + QUAD_M, y, x + QUAD_M, y + CELL_M, "tertiary", True, True, 0),
                      _frame(x, y + QUAD_M, x + CELL_M, y + QUAD_M, "tertiary", True, True, 0)])


def _quad_streets(quads: pd.DataFrame) -> pd.DataFrame:
    """The local streets of each built quadrant: cross streets spanning it, and between them cul-de-sacs
    (in houses and terraces: a dead end from each side, joined by a short footpath) or through streets;
    blocks of flats get footpaths and cycle paths across their courtyards."""
    q = quads[quads.spacing < QUAD_M]
    per = (QUAD_M // q.spacing).astype(int).to_numpy() - 1
    rep = np.repeat(np.arange(len(q)), per)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(per) - per, per) + 1
    x, y, s = q.x.to_numpy()[rep], q.y.to_numpy()[rep], q.spacing.to_numpy()[rep]
    highway = np.where(q.use.to_numpy()[rep] == "business", "service", "residential")
    horizontal = _frame(x, y + k * s, x + QUAD_M, y + k * s, "", True, True, 0).assign(highway=highway)
    layout = q.layout.to_numpy()[rep]
    closes = np.isin(layout, CUL_DE_SAC_LAYOUTS)
    through = _frame(x[~closes] + k[~closes] * s[~closes], y[~closes], x[~closes] + k[~closes] * s[~closes],
                     y[~closes] + QUAD_M, "", True, True, 0).assign(highway=highway[~closes])
    return pd.concat([horizontal, through, _cul_de_sacs(x[closes] + k[closes] * s[closes], y[closes], s[closes]),
                      _courtyard_paths(q)])


def _cul_de_sacs(x: np.ndarray, y: np.ndarray, spacing: np.ndarray) -> pd.DataFrame:
    """Each block-long piece of the vertical lines at x (from y up the quadrant) as two dead ends meeting
    a walking and cycling path in the middle of the block (the Danish stikvej with its sti)."""
    rows = (QUAD_M // spacing).astype(int)
    rep = np.repeat(np.arange(len(x)), rows)
    r = np.arange(len(rep)) - np.repeat(np.cumsum(rows) - rows, rows)
    lx, s = x[rep], spacing[rep]
    low, high = y[rep] + r * s, y[rep] + (r + 1) * s
    middle = (low + high) / 2
    gap = CUL_DE_SAC_PATH_M / 2
    return pd.concat([_frame(lx, low, lx, middle - gap, "residential", True, True, 0),
                      _frame(lx, middle - gap, lx, middle + gap, "path", True, True, 0),
                      _frame(lx, middle + gap, lx, high, "residential", True, True, 0)])


def _courtyard_paths(q: pd.DataFrame) -> pd.DataFrame:
    """Footpaths (walk and bike) across the middle of every block of flats, both ways."""
    flats = q[q.layout == "flats"]
    per = (QUAD_M // flats.spacing).astype(int).to_numpy()
    rep = np.repeat(np.arange(len(flats)), per)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(per) - per, per)
    x, y, s = flats.x.to_numpy()[rep], flats.y.to_numpy()[rep], flats.spacing.to_numpy()[rep]
    at = (k + 0.5) * s
    return pd.concat([_frame(x + at, y, x + at, y + QUAD_M, "footway", True, True, 0),
                      _frame(x, y + at, x + QUAD_M, y + at, "cycleway", True, True, 0)])


def _paths(cells: pd.DataFrame, quads: pd.DataFrame) -> pd.DataFrame:
    """Paths: a cycle path and a footpath across every park (walk and bike), diagonals through forests
    (walk only), and in each forest a path that crosses the road between its two cells on a footbridge."""
    park = quads[quads.use == "park"]
    forest = cells[cells.use == "forest"]
    fx, fy = forest.x.to_numpy(), forest.y.to_numpy()
    left = cells[cells.forest_left]
    lx, ly = left.x.to_numpy(), left.y.to_numpy() + QUAD_M
    deck = 40.0
    return pd.concat([
        _frame(park.x, park.y, park.x + QUAD_M, park.y + QUAD_M, "cycleway", True, True, 0),
        _frame(park.x, park.y + QUAD_M, park.x + QUAD_M, park.y, "path", True, True, 0),
        _frame(fx, fy, fx + CELL_M, fy + CELL_M, "footway", True, False, 0),
        _frame(lx, ly, lx + CELL_M - deck, ly, "footway", True, False, -1),
        _frame(lx + CELL_M - deck, ly, lx + CELL_M + deck, ly, "footway", True, False, 1),
        _frame(lx + CELL_M + deck, ly, lx + 2 * CELL_M, ly, "footway", True, False, -1),
    ])


def _motorway(grid: Grid, cells: pd.DataFrame) -> pd.DataFrame:
    """A motorway across the motorway row on bridges over every road, with a ramp at each business park."""
    # Ways end in the middle of cells, never on a road it bridges.
    ends = np.concatenate([[grid.x0 - 300], grid.x0 + np.arange(grid.nx) * CELL_M + QUAD_M,
                           [grid.x0 + grid.nx * CELL_M + 300]])
    y = grid.motorway_y
    motorway = _frame(ends[:-1], y, ends[1:], y, "motorway", False, False, 1)
    business = cells[cells.use == "business"]
    ramp_x = business.x.to_numpy() + QUAD_M
    ramp_y = np.where(business.j.to_numpy() > grid.motorway_row, grid.y0 + (grid.motorway_row + 1) * CELL_M,
                      grid.y0 + grid.motorway_row * CELL_M)
    ramps = _frame(ramp_x, y, ramp_x, ramp_y, "motorway_link", False, False, -1).drop_duplicates()
    return pd.concat([motorway, ramps])


def _streets(segments: pd.DataFrame, warp: Warp) -> gpd.GeoDataFrame:
    """LineStrings with a shared vertex wherever two pieces of one level (or a link) meet or cross,
    as OpenStreetMap ways: junctions in the middle of a way are vertices of both ways. The plan's straight
    pieces are then bent: every plan coordinate maps to one bent coordinate, so junctions stay shared."""
    n = len(segments)
    x1, y1, x2, y2 = (segments[c].to_numpy() for c in ("x1", "y1", "x2", "y2"))
    level = segments.level.to_numpy()
    lines = shapely.linestrings(np.stack([np.stack([x1, y1], 1), np.stack([x2, y2], 1)], 1))
    left, right = shapely.STRtree(lines).query(lines, predicate="intersects")
    keep = (left < right) & ((level[left] == level[right]) | (level[left] == -1) | (level[right] == -1))
    left, right = left[keep], right[keep]
    meets = shapely.intersection(lines[left], lines[right])
    if (shapely.get_type_id(meets) != 0).any():
        raise RuntimeError("demo streets overlap along a stretch; the layout is inconsistent")
    px, py = shapely.get_coordinates(meets).T
    idx = np.concatenate([left, right, np.arange(n), np.arange(n)])
    xs = np.concatenate([px, px, x1, x2])
    ys = np.concatenate([py, py, y1, y2])
    pos = np.hypot(xs - x1[idx], ys - y1[idx])
    order = np.lexsort((pos, idx))
    idx, xs, ys, pos = idx[order], xs[order], ys[order], pos[order]
    repeat = np.zeros(len(idx), bool)
    repeat[1:] = (idx[1:] == idx[:-1]) & (np.abs(pos[1:] - pos[:-1]) < 1e-6)
    geometry = _bent(shapely.linestrings(xs[~repeat], ys[~repeat], indices=idx[~repeat]), warp)
    return gpd.GeoDataFrame({
        "street_id": 100_001 + np.arange(n, dtype=np.int64), "highway": segments.highway.to_numpy(),
        "walk": segments.walk.to_numpy(bool), "bike": segments.bike.to_numpy(bool),
    }, geometry=geometry, crs=CRS)


