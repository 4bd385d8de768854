"""Distances to particular destinations: each origin's own (assigned) destination, and its k nearest.

Searched on the graph of junctions (chains.py) from the destinations' side, in chunks of destinations (on the
Dask cluster when the run has one); never an origins x destinations matrix.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from pipeline.core.parallel import active_executor
from pipeline.network.chains import _Chains
from pipeline.network.graph import Network
from pipeline.network.search import DEFAULT_CHUNK_SIZE, chunked, point_xy, rows_per_block, snap

# The nearest lists search from each destination only as far as most origins' k nearest lie, then again, wider and
# at last unbounded, for the origins whose lists the first pass could not prove complete (the demo's schools:
# lists of 64 of 600 schools; a pass reads every origin node its searches reach). The first limit: this quantile of
# the straight-line distance to the k-th nearest destination over a sample of NEAREST_REACH_SAMPLE origin nodes,
# times the detour factor and NEAREST_REACH_FACTOR; the next passes multiply it by NEAREST_REACH_GROWTH.
NEAREST_REACH_SAMPLE = 2000
NEAREST_REACH_QUANTILE = 0.9
NEAREST_REACH_FACTOR = 2.2
NEAREST_REACH_GROWTH = (1.0, 2.0)


def assigned_distance_m(
    network: Network | None, origins: gpd.GeoSeries, targets: gpd.GeoSeries, assigned: np.ndarray, *,
    detour_factor: float, chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> np.ndarray:
    """Distance from each origin to its own target (position in targets; -1: none, then NaN), snaps included (m).

    One full search per distinct target node, in chunks of targets: only the pairs asked for are kept, never
    an origins x targets matrix.
    """
    assigned = np.asarray(assigned, dtype=np.intp)
    out = np.full(len(origins), np.nan)
    rows = np.flatnonzero(assigned >= 0)
    if len(rows) == 0:
        return out
    if network is None:
        a, b = point_xy(origins)[rows], point_xy(targets)[assigned[rows]]
        out[rows] = np.hypot(*(a - b).T) * detour_factor
        return out
    origin_node, origin_snap = snap(network, origins)
    target_node, target_snap = snap(network, targets)
    wanted_target = target_node[assigned[rows]]
    nodes, which = np.unique(wanted_target, return_inverse=True)
    order = np.argsort(which, kind="stable")
    bounds = np.searchsorted(which[order], np.arange(len(nodes) + 1))
    pairs = [(c, order[bounds[c[0]]:bounds[c[-1] + 1]]) for c in chunked(np.arange(len(nodes)), chunk_size)]
    chunks = [(nodes[c], origin_node[rows[pair]], which[pair] - c[0]) for c, pair in pairs]
    found = active_executor().map_chunks(_assigned_chunk, chunks, _Chains.of(network.graph))
    out[rows[order]] = np.concatenate(found) + origin_snap[rows[order]] + target_snap[assigned[rows[order]]]
    return out


def _assigned_chunk(chunk: tuple, chains: _Chains) -> np.ndarray:
    """Network distances of (origin node, target) pairs, searched from the chunk's target nodes on the junctions."""
    target_nodes, pair_origin, pair_target = chunk
    out = np.empty(len(pair_origin))
    step = chains.block_rows(chains.graph.shape[0])
    for start in range(0, len(target_nodes), step):
        pick = np.flatnonzero((pair_target >= start) & (pair_target < start + step))
        to_junction = chains.to_junctions(target_nodes[start:start + step], limit=np.inf)
        out[pick] = chains.pair_distances(to_junction, pair_target[pick] - start, target_nodes[pair_target[pick]],
                                          pair_origin[pick])
    return out


def k_nearest_m(
    network: Network | None, origins: gpd.GeoSeries, destinations: gpd.GeoSeries, k: int, *,
    detour_factor: float, chunk_size: int = DEFAULT_CHUNK_SIZE, assigned: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The k nearest destinations of each origin: distances (origins x k, m, snaps included, ascending) and
    their positions in destinations (ties in destination order; inf and -1 where fewer can be reached);
    and, read from the same searches, the distance to each origin's assigned destination (position in
    destinations, -1: none, then NaN; all NaN without assigned).

    Held in memory: origins x (k + a block of destinations), never origins x all destinations.
    """
    k = max(1, min(int(k), len(destinations)))
    assigned = np.full(len(origins), -1, dtype=np.intp) if assigned is None else np.asarray(assigned, dtype=np.intp)
    if network is None:
        a, b = point_xy(origins), point_xy(destinations)
        best_d, best_i = np.full((len(a), 0), np.inf), np.full((len(a), 0), -1, dtype=np.intp)
        for block in chunked(np.arange(len(b)), rows_per_block(len(a))):
            d = np.hypot(a[:, None, 0] - b[None, block, 0], a[:, None, 1] - b[None, block, 1]) * detour_factor
            best_d, best_i = _keep_nearest(best_d, best_i, d, block, k)
        return best_d, best_i, assigned_distance_m(None, origins, destinations, assigned, detour_factor=detour_factor)
    if len(origins) == 0 or len(destinations) == 0:
        width = k if len(destinations) else 0
        return (np.full((len(origins), width), np.inf), np.full((len(origins), width), -1, dtype=np.intp),
                np.full(len(origins), np.nan))
    origin_node, origin_snap = snap(network, origins)
    dest_node, dest_snap = snap(network, destinations)
    nodes, position = np.unique(origin_node, return_inverse=True)
    chains = _Chains.of(network.graph)
    best_d, best_i = np.full((len(nodes), k), np.inf), np.full((len(nodes), k), -1, dtype=np.intp)
    own = np.full(len(origins), np.nan)
    todo = np.ones(len(nodes), dtype=bool)
    for limit in _reaches_m(network.node_xy[nodes], network.node_xy[dest_node], k, detour_factor):
        rows = np.flatnonzero(todo[position])  # the origins on the nodes still to search
        sub = np.flatnonzero(todo)
        local = np.cumsum(todo) - 1
        d, i, own_d = _nearest_pass(chains, (nodes[sub], local[position[rows]], assigned[rows]), (dest_node, dest_snap),
                                    k, limit, chunk_size)
        best_d[sub], best_i[sub] = d, i
        own[rows] = own_d + origin_snap[rows]
        # Complete: the k-th within the limit plus the least destination snap, as every destination not found is
        # farther than that (its network distance is beyond the limit); and the assigned one found (or none asked).
        todo = ~(best_d[:, -1] <= limit + dest_snap.min())
        todo[position[np.isinf(own) & (assigned >= 0)]] = True
        if not todo.any():
            break
    return best_d[position] + origin_snap[:, None], best_i[position], own


def _reaches_m(node_xy: np.ndarray, dest_xy: np.ndarray, k: int, detour_factor: float) -> list[float]:
    """The search limits of the nearest lists' passes (m): first about the reach of most nodes' k nearest
    destinations, from straight-line distances (k-d tree on a sample of the nodes), then wider, then unbounded.

    Only the speed depends on them: a pass keeps the nodes whose lists it proves complete, and the last is
    unbounded."""
    from scipy.spatial import cKDTree

    sample = node_xy[:: max(1, len(node_xy) // NEAREST_REACH_SAMPLE)]
    kth = cKDTree(dest_xy).query(sample, k=[k])[0][:, 0]
    first = float(np.quantile(kth[np.isfinite(kth)], NEAREST_REACH_QUANTILE)) * detour_factor * NEAREST_REACH_FACTOR
    return [first * growth for growth in NEAREST_REACH_GROWTH] + [np.inf]


def _nearest_pass(chains: _Chains, origin: tuple, destination: tuple, k: int, limit: float, chunk_size: int) -> tuple:
    """The k nearest destinations found within limit, for the given origin nodes (distances destination snap included,
    positions), and the distances of the asked (origin, assigned destination) pairs (inf beyond the limit, NaN
    where none is assigned). origin: (distinct nodes, each origin's position among them, each origin's assigned
    destination); destination: (nodes, snaps)."""
    nodes, origin_position, assigned = origin
    dest_node, dest_snap = destination
    executor = active_executor()
    blocks = chunked(np.arange(len(dest_node)), chunk_size)
    asked = [np.flatnonzero((assigned >= block[0]) & (assigned <= block[-1])) for block in blocks]
    chunks = [(block, dest_node[block], dest_snap[block], origin_position[rows], assigned[rows] - block[0])
              for block, rows in zip(blocks, asked, strict=True)]
    found = executor.map_chunks(_nearest_chunk, chunks, chains, nodes, k, limit)
    best_d, best_i = np.full((len(nodes), k), np.inf), np.full((len(nodes), k), -1, dtype=np.intp)
    own = np.full(len(assigned), np.nan)
    for rows, (d, i, own_d) in zip(asked, found, strict=True):
        best_d, best_i = _keep_nearest(best_d, best_i, d, i, k, columns_given=True)
        own[rows] = own_d
    return best_d, best_i, own


def _keep_nearest(best_d, best_i, d, index, k: int, columns_given: bool = False):
    """Merge a block of distances into the k best per row (ties: the lower destination position first).

    index: the block's destination positions, one per column, or (columns_given) per entry, each row then sorted
    by distance and position as this function returns them. Once a row holds k, only the rows where the block has
    one nearer than the k-th (or as near, at a lower position) are sorted again: most parcels' nearest schools are
    found in the first blocks."""
    after = _comes_after(best_d, best_i, d, index, columns_given)
    index = index if columns_given else np.broadcast_to(index, d.shape)
    if best_d.shape[1] == k and len(d):
        kth_d, kth_i = best_d[:, -1:], best_i[:, -1:]
        rows = np.flatnonzero(((d < kth_d) | ((d == kth_d) & (index < kth_i))).any(axis=1))
        if len(rows) < len(d):
            best_d, best_i = best_d.copy(), best_i.copy()
            best_d[rows], best_i[rows] = _sorted_nearest(best_d[rows], best_i[rows], d[rows], index[rows], k, after)
            return best_d, best_i
    return _sorted_nearest(best_d, best_i, d, index, k, after)


def _comes_after(best_d, best_i, d, index, columns_given: bool) -> bool:
    """Whether every destination of the block has a higher position than every one kept, and the block's columns
    put equal distances in position order (positions rising along the row, or rows sorted as returned)."""
    if not columns_given and np.any(np.diff(index) <= 0):
        return False
    found = np.isfinite(d)
    first = np.min(index, where=found if columns_given else found.any(axis=0), initial=np.iinfo(np.intp).max)
    return bool(first > np.max(best_i, initial=-1))


def _sorted_nearest(best_d, best_i, d, index, k: int, after: bool = False):
    """The k best per row of the block and the kept best together, sorted by distance then position. after: the
    block comes after the kept ones in position order (_comes_after), so a stable sort by distance alone keeps the
    positions of equal distances in order (the same result, one sort instead of two)."""
    d_all = np.concatenate([best_d, d], axis=1)
    i_all = np.concatenate([best_i, index], axis=1)
    if after:
        order = np.argsort(d_all, axis=1, kind="stable")[:, :k]
    else:
        order = np.lexsort((i_all, d_all), axis=1)[:, :k]
    best_d, best_i = np.take_along_axis(d_all, order, axis=1), np.take_along_axis(i_all, order, axis=1)
    return best_d, np.where(np.isfinite(best_d), best_i, -1)


def _nearest_chunk(chunk: tuple, chains: _Chains, nodes: np.ndarray, k: int, limit: float) -> tuple:
    """For a chunk of destinations: the k nearest within limit for each origin node (distances, destination
    positions), and the distances of the asked (origin node position, destination in chunk) pairs, destination snap
    included (inf beyond the limit). Only the origin nodes a block of searches reached are merged."""
    positions, dest_node, dest_snap, pair_node, pair_dest = chunk
    best_d, best_i = np.full((len(nodes), k), np.inf), np.full((len(nodes), k), -1, dtype=np.intp)
    own = np.full(len(pair_node), np.inf)
    at = np.full(len(nodes), -1, dtype=np.intp)
    for rows, cols, near in chains.searches(dest_node, nodes, limit=limit):
        block = near.T + dest_snap[None, rows]
        best_d[cols], best_i[cols] = _keep_nearest(best_d[cols], best_i[cols], block, positions[rows], k)
        pick = np.flatnonzero((pair_dest >= rows.start) & (pair_dest < rows.stop))
        at[cols] = np.arange(len(cols))
        reached = at[pair_node[pick]] >= 0
        own[pick[reached]] = block[at[pair_node[pick[reached]]], pair_dest[pick[reached]] - rows.start]
        at[cols] = -1
    return best_d, best_i, own
