"""Snapping points to the network, and plain Dijkstra searches on it in blocks of bounded memory.

Without a streets layer every distance is the straight-line distance times a detour factor.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import dijkstra

from pipeline.network.graph import Network

# Largest dense distance block (sources x nodes) held in memory at once: 20 million cells = 160 MB. Read here
# only (rows_per_block), also for the searches on the junction graph.
MAX_BLOCK_CELLS = 20_000_000
# Distances this close to a cut-off count as within it (floating-point sums of segment lengths).
CUTOFF_EPS_M = 1e-6
# Searched nodes per chunk of work when no chunk size is given (config access.origin_chunk_size).
DEFAULT_CHUNK_SIZE = 2000


def point_xy(points: gpd.GeoSeries) -> np.ndarray:
    """Coordinates of points (other geometries by their representative point)."""
    geoms = np.asarray(points.geometry.to_numpy() if hasattr(points, "geometry") else points)
    not_point = shapely.get_type_id(geoms) != shapely.GeometryType.POINT
    if not_point.any():
        geoms = geoms.copy()
        geoms[not_point] = shapely.point_on_surface(geoms[not_point])
    return shapely.get_coordinates(geoms)


def snap(network: Network, points: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray]:
    """Each point's nearest routable node, and the straight distance to it in metres."""
    dist, node = network.tree.query(point_xy(points))
    return np.asarray(node, dtype=np.intp), np.asarray(dist, dtype=float)


def rows_per_block(n_columns: int) -> int:
    """How many search sources fit in one dense block of distances."""
    return max(1, MAX_BLOCK_CELLS // max(1, n_columns))


def _searches(graph: sp.csr_matrix, nodes: np.ndarray, *, limit: float = np.inf, columns: np.ndarray | None = None):
    """Yield (rows, distances): Dijkstra from nodes[rows], a block of rows at a time (at most MAX_BLOCK_CELLS
    cells), to every node of the graph or, given columns, to those nodes. Distances beyond limit are inf."""
    step = rows_per_block(graph.shape[0])
    for start in range(0, len(nodes), step):
        rows = slice(start, start + step)
        dist = dijkstra(graph, directed=True, indices=nodes[rows], limit=limit)
        yield rows, dist if columns is None else dist[:, columns]


def node_distances(network: Network, sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Network distances sources x targets between nodes, searching from the smaller side in blocks."""
    sources, targets = np.asarray(sources, dtype=np.intp), np.asarray(targets, dtype=np.intp)
    flip = len(np.unique(targets)) < len(np.unique(sources))
    if flip:
        sources, targets = targets, sources
    from_nodes, from_pos = np.unique(sources, return_inverse=True)
    out = np.empty((len(from_nodes), len(targets)))
    for rows, dist in _searches(network.graph, from_nodes, columns=targets):
        out[rows] = dist
    out = out[from_pos]
    return out.T if flip else out


def nearest_node_distance_m(network: Network, target_nodes: np.ndarray, target_offset_m: np.ndarray) -> np.ndarray:
    """For every node, the least of (network distance to a target node + that target's offset).

    One search from a virtual source joined to each target node by an edge as long as its offset
    (the target's snap distance), so every target counts with its own snap distance.
    """
    n = network.n_nodes
    best = np.full(n, np.inf)
    np.minimum.at(best, np.asarray(target_nodes, dtype=np.intp), np.asarray(target_offset_m, dtype=float))
    ends = np.flatnonzero(np.isfinite(best))
    coo = network.graph.tocoo()
    rows = np.r_[coo.row, np.full(len(ends), n)]
    cols = np.r_[coo.col, ends]
    augmented = sp.csr_matrix((np.r_[coo.data, best[ends]], (rows, cols)), shape=(n + 1, n + 1))
    return dijkstra(augmented, directed=True, indices=n)[:n]


def nearest_distance_m(
    network: Network | None, origins: gpd.GeoSeries, targets: gpd.GeoSeries, *, detour_factor: float
) -> np.ndarray:
    """Distance from each origin to its nearest target, both snap distances included (m).

    With network None: the straight-line distance to the nearest target geometry times detour_factor.
    NaN for every origin when there is no target.
    """
    if len(targets) == 0:
        return np.full(len(origins), np.nan)
    if network is None:
        tree = shapely.STRtree(np.asarray(targets.geometry.to_numpy()))
        _, dist = tree.query_nearest(np.asarray(origins.geometry.to_numpy()), return_distance=True, all_matches=False)
        return dist * detour_factor
    origin_node, origin_snap = snap(network, origins)
    target_node, target_snap = snap(network, targets)
    return origin_snap + nearest_node_distance_m(network, target_node, target_snap)[origin_node]


def od_distances_m(
    network: Network | None, origins: gpd.GeoSeries, destinations: gpd.GeoSeries, *, detour_factor: float
) -> np.ndarray:
    """Origins x destinations distances in metres, including both snap distances.

    With network None: the straight-line distance times detour_factor.
    """
    if network is None:
        a, b = point_xy(origins), point_xy(destinations)
        return np.hypot(a[:, None, 0] - b[None, :, 0], a[:, None, 1] - b[None, :, 1]) * detour_factor
    origin_node, origin_snap = snap(network, origins)
    dest_node, dest_snap = snap(network, destinations)
    return node_distances(network, origin_node, dest_node) + origin_snap[:, None] + dest_snap[None, :]


def chunked(values: np.ndarray, size: int) -> list[np.ndarray]:
    """values cut in consecutive chunks of at most size."""
    size = max(1, int(size))
    return [values[start:start + size] for start in range(0, len(values), size)]
