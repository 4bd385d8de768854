"""The building blocks of school districts: street blocks (the streets polygonised, clipped to the municipality),
grid cells or parcels; their neighbours (across a shared edge, or for parcels also facing each other across a
street), the bridges joining islands, and the pupils, group pupils and today's school of each."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

# Two units are neighbours when their boundaries share at least this much line (m): blocks meeting at a corner
# only are not (a district joined through a point is not contiguous on the ground).
MIN_SHARED_EDGE_M = 1.0
# Parcels facing each other across a street: the facing edges may lie this much further apart than the nearest
# points (a street is seldom exactly parallel); parcels diagonally across a crossing face along no more than this.
FACING_TOLERANCE_M = 2.0
POLYGONAL = (3, 6)  # shapely type ids of Polygon and MultiPolygon


def street_blocks(streets: gpd.GeoSeries, extent: shapely.Geometry) -> gpd.GeoSeries:
    """The faces the streets enclose, clipped to extent, plus the pieces of extent outside every face (the
    fringe beyond the outermost streets), each as one unit."""
    lines = shapely.get_parts(shapely.line_merge(shapely.node(shapely.union_all(streets.to_numpy()))))
    faces = shapely.get_parts(shapely.polygonize(lines))
    faces = shapely.intersection(faces, extent)
    fringe = shapely.difference(extent, shapely.union_all(faces)) if len(faces) else extent
    pieces = np.concatenate([shapely.get_parts(faces), shapely.get_parts(fringe)])
    pieces = pieces[shapely.get_type_id(pieces) == 3]  # polygons only: lines and points left by clipping drop
    return gpd.GeoSeries(pieces[shapely.area(pieces) > 1.0], crs=streets.crs)


def grid_cells(extent: shapely.Geometry, size_m: float, crs) -> gpd.GeoSeries:
    """Square cells of size_m over extent, clipped to it (cells outside dropped)."""
    xmin, ymin, xmax, ymax = extent.bounds
    xs = np.arange(np.floor(xmin / size_m) * size_m, xmax, size_m)
    ys = np.arange(np.floor(ymin / size_m) * size_m, ymax, size_m)
    x, y = (a.ravel() for a in np.meshgrid(xs, ys))
    boxes = shapely.box(x, y, x + size_m, y + size_m)
    clipped = shapely.intersection(boxes, extent)
    parts = shapely.get_parts(clipped)
    parts = parts[(shapely.get_type_id(parts) == 3) & (shapely.area(parts) > 1.0)]
    return gpd.GeoSeries(parts, crs=crs)


def shared_edges(units: gpd.GeoSeries, min_shared_m: float = MIN_SHARED_EDGE_M) -> np.ndarray:
    """(m, 2) pairs i < j of units whose boundaries share at least min_shared_m of line."""
    geoms = units.to_numpy()
    left, right = shapely.STRtree(geoms).query(shapely.buffer(geoms, 0.01), predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    shared = shapely.length(shapely.intersection(shapely.boundary(geoms[left]), shapely.buffer(geoms[right], 0.01)))
    keep = shared >= min_shared_m
    return np.c_[left[keep], right[keep]].astype(np.int64)


def polygon_parcels(parcels: gpd.GeoSeries) -> np.ndarray:
    """The positions of the parcels drawn as (multi)polygons with an area: those can be units."""
    geoms = parcels.to_numpy()
    return np.flatnonzero(np.isin(shapely.get_type_id(geoms), POLYGONAL) & (shapely.area(geoms) > 0))


def facing_edges(units: gpd.GeoSeries, gap_m: float, frontage_m: float) -> np.ndarray:
    """(m, 2) pairs i < j of units apart (not touching) by at most gap_m that face each other along at least
    frontage_m: the parts of each within FACING_TOLERANCE_M of the nearest distance to the other, projected on
    the line across the gap (perpendicular to the shortest line between them), overlap by frontage_m. Two parcels
    facing each other across a street are neighbours; two diagonally across a crossing, or across a street but
    offset so they meet only at a corner, are not."""
    geoms = units.to_numpy()
    left, right = shapely.STRtree(geoms).query(geoms, predicate="dwithin", distance=gap_m)
    keep = left < right
    left, right = left[keep], right[keep]
    dist = shapely.distance(geoms[left], geoms[right])
    apart = dist > 0.01  # touching units are judged by their shared edge (shared_edges)
    left, right, dist = left[apart], right[apart], dist[apart]
    if not len(left):
        return np.empty((0, 2), dtype=np.int64)
    ends = shapely.get_coordinates(shapely.shortest_line(geoms[left], geoms[right])).reshape(-1, 2, 2)
    normal = (ends[:, 1] - ends[:, 0]) / dist[:, None]
    tangent = np.c_[-normal[:, 1], normal[:, 0]]
    reach = dist + FACING_TOLERANCE_M
    spans = []
    for near, far in ((left, right), (right, left)):
        part = shapely.intersection(geoms[near], shapely.buffer(geoms[far], reach))
        xy, pair = shapely.get_coordinates(part, return_index=True)
        along = (xy * tangent[pair]).sum(axis=1)
        low, high = np.full(len(left), np.inf), np.full(len(left), -np.inf)
        np.minimum.at(low, pair, along)
        np.maximum.at(high, pair, along)
        spans.append((low, high))
    overlap = np.minimum(spans[0][1], spans[1][1]) - np.maximum(spans[0][0], spans[1][0])
    keep = overlap >= frontage_m
    return np.c_[left[keep], right[keep]].astype(np.int64)


def parcel_edges(units: gpd.GeoSeries, gap_m: float, frontage_m: float) -> np.ndarray:
    """Neighbouring parcels: a shared edge of at least MIN_SHARED_EDGE_M, or facing each other across a gap of
    at most gap_m (a street) along at least frontage_m (facing_edges)."""
    edges = np.r_[shared_edges(units).reshape(-1, 2), facing_edges(units, gap_m, frontage_m).reshape(-1, 2)]
    return np.unique(edges, axis=0) if len(edges) else edges.astype(np.int64)


def bridge_islands(units: gpd.GeoSeries, edges: np.ndarray) -> np.ndarray:
    """The edges plus, for each piece of the unit graph cut off from the rest (an island, a block behind a
    railway), one edge from it to the nearest unit outside it, until the graph is connected."""
    from scipy.sparse import coo_array
    from scipy.sparse.csgraph import connected_components

    n = len(units)
    geoms = units.to_numpy()
    edges = np.asarray(edges, dtype=np.int64).reshape(-1, 2)
    for _ in range(n):
        graph = coo_array((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(n, n))
        count, label = connected_components(graph, directed=False)
        if count <= 1:
            return edges
        big = np.bincount(label).argmax()
        inside, outside = np.flatnonzero(label != big), np.flatnonzero(label == big)
        near, dist = shapely.STRtree(geoms[outside]).query_nearest(geoms[inside], return_distance=True,
                                                                   all_matches=False)
        best = np.argmin(dist)
        pair = sorted((int(inside[near[0][best]]), int(outside[near[1][best]])))
        edges = np.r_[edges, np.array([pair])]
    return edges


def unit_of_points(units: gpd.GeoSeries, points: gpd.GeoSeries) -> np.ndarray:
    """The unit containing each point, else the nearest unit."""
    tree = shapely.STRtree(units.to_numpy())
    which = np.full(len(points), -1, dtype=np.int64)
    p, u = tree.query(points.to_numpy(), predicate="within")
    order = np.lexsort((u, p))  # the first unit when a point lies on a shared edge
    first = np.unique(p[order], return_index=True)[1]
    which[p[order][first]] = u[order][first]
    missing = np.flatnonzero(which < 0)
    if len(missing):
        which[missing] = tree.query_nearest(points.to_numpy()[missing], return_distance=False, all_matches=False)[1]
    return which


def unit_counts(unit: np.ndarray, n_units: int, pupils: np.ndarray, in_group: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pupils and group pupils per unit (unknown counts treated as 0 pupils: they are nobody's walk)."""
    p = np.nan_to_num(np.asarray(pupils, dtype=float))
    return (np.bincount(unit, weights=p, minlength=n_units),
            np.bincount(unit, weights=np.where(in_group, p, 0.0), minlength=n_units))


def todays_school(unit: np.ndarray, n_units: int, pupils: np.ndarray, parcel_school: np.ndarray,
                  unit_point_school: np.ndarray) -> np.ndarray:
    """Today's school of each unit: the school most of its pupils go to today (by their district), else the
    school of the district holding the unit's representative point; -1 where neither is known."""
    p = np.nan_to_num(np.asarray(pupils, dtype=float))
    known = parcel_school >= 0
    frame = pd.DataFrame({"unit": unit[known], "school": parcel_school[known], "pupils": p[known]})
    sums = frame.groupby(["unit", "school"], as_index=False)["pupils"].sum()
    sums = sums[sums["pupils"] > 0].sort_values(["unit", "pupils", "school"], ascending=[True, False, True])
    best = sums.drop_duplicates("unit")
    school = np.asarray(unit_point_school, dtype=np.int64).copy()
    school[best["unit"].to_numpy()] = best["school"].to_numpy()
    return school
