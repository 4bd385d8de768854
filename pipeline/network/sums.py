"""Sums over the network: cumulative opportunities within a cut-off (reachable_sum) and gravity sums (decayed_sum).

Both run bounded searches from whichever side has fewer distinct nodes, in chunks of searched nodes (on the
Dask cluster when the run has one), and add each chunk's partial sums in chunk order, so every backend gives
the same floating-point sums.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipeline.core.parallel import active_executor
from pipeline.network.chains import _Chains
from pipeline.network.graph import Network
from pipeline.network.search import CUTOFF_EPS_M, DEFAULT_CHUNK_SIZE, chunked

# Searched nodes are taken in square cells of this side, so that a block's searches start close together and read
# the same nodes (scale-50 demo: 4.5 ms per gravity search in cells of 2 km, 7.2 ms in node order).
SEARCH_CELL_M = 2000.0
# The cumulative sums search each cell of at least this side on the part of the network within reach of it: larger
# cells mean fewer parts to cut out, smaller ones smaller parts (scale-10 demo, walking 1,200 m: about the same
# from 2.5 to 8 km, and faster than cells of 1.2 km).
MIN_CELL_M = 4000.0


def decayed_sum(
    network: Network, source_nodes: np.ndarray, target_nodes: np.ndarray, target_weight: np.ndarray, *,
    decay_per_m: float, limit_m: float, chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> np.ndarray:
    """For each source node, sum_t weight_t exp(-decay_per_m d(s, t)) over the targets within limit_m.

    Bounded searches from whichever side has fewer distinct nodes, in chunks of chunk_size nodes (on the
    Dask cluster when the run has one). The searches run on the junctions only (`_Chains`: every chain of
    degree-2 nodes, the vertices of curved ways, contracted to one edge), and a node on a chain is reached
    through the nearer of its chain's two ends: the same distances on a graph several times smaller. A chunk
    holds at most a block of searched nodes x junctions and of searched nodes x nodes of the other side.
    """
    source_nodes = np.asarray(source_nodes, dtype=np.intp)
    sources, position = np.unique(source_nodes, return_inverse=True)
    node_weight = np.bincount(np.asarray(target_nodes, dtype=np.intp), weights=np.asarray(target_weight, float),
                              minlength=network.n_nodes)
    targets = np.flatnonzero(node_weight)
    out = np.zeros(len(sources))
    if len(sources) == 0 or len(targets) == 0:
        return out[position]
    limit = float(limit_m) + CUTOFF_EPS_M
    executor = active_executor()
    chains = _Chains.of(network.graph)
    if len(targets) < len(sources):
        targets = targets[_cell_order(network.node_xy[targets])]
        chunks = [(nodes, node_weight[nodes]) for nodes in chunked(targets, chunk_size)]
        for at, value in executor.map_chunks(_decayed_chunk, chunks, chains, sources, None, decay_per_m, limit):
            out[at] += value  # chunk order: the same sums on every backend
    else:
        order = _cell_order(network.node_xy[sources])
        chunks = [(nodes, None) for nodes in chunked(sources[order], chunk_size)]
        found = executor.map_chunks(_decayed_chunk, chunks, chains, targets, node_weight[targets], decay_per_m, limit)
        out[order] = np.concatenate(found)
    return out[position]


def _cell_order(xy: np.ndarray) -> np.ndarray:
    """An order of the points cell by cell (square cells of SEARCH_CELL_M, row by row), so that a block of
    searches starts close together and reaches mostly the same nodes."""
    cells = _grid_cells(xy, xy.min(axis=0), SEARCH_CELL_M)
    return np.lexsort((cells[:, 0], cells[:, 1]))


def _decayed_chunk(chunk: tuple, chains: _Chains, other: np.ndarray, other_weight: np.ndarray | None,
                   decay_per_m: float, limit_m: float):
    """Decayed sums of one chunk of searches: per searched node (from sources), or per other node, sparse (from targets)."""
    nodes, weight = chunk
    searches = chains.searches(nodes, other, limit=limit_m)
    if weight is None:
        out = np.empty(len(nodes))
        for rows, cols, dist in searches:
            out[rows] = np.exp(-decay_per_m * dist) @ other_weight[cols]
        return out
    total = np.zeros(len(other))
    for rows, cols, dist in searches:
        total[cols] += weight[rows] @ np.exp(-decay_per_m * dist)
    return _nonzero(total)


def _grid_cells(xy: np.ndarray, origin: np.ndarray, cell_m: float) -> np.ndarray:
    """Integer (column, row) of each point in a square grid."""
    return np.floor((xy - origin) / cell_m).astype(np.int64)


@dataclass(frozen=True)
class _Items:
    """Points on the network grouped by node: per node its items, their weight and offset range."""

    item_node: np.ndarray  # position of each item's node in `nodes`
    item_offset: np.ndarray
    nodes: np.ndarray  # distinct node ids
    order: np.ndarray  # items sorted by node
    start: np.ndarray  # first position in `order` of each node's items
    count: np.ndarray
    weight: np.ndarray  # summed item weight per node
    min_offset: np.ndarray
    max_offset: np.ndarray

    @classmethod
    def of(cls, node: np.ndarray, offset: np.ndarray, weight: np.ndarray) -> _Items:
        nodes, item_node = np.unique(node, return_inverse=True)
        order = np.argsort(item_node, kind="stable")
        count = np.bincount(item_node, minlength=len(nodes))
        start = np.r_[0, np.cumsum(count)[:-1]]
        sorted_offset = offset[order]
        return cls(
            item_node, offset, nodes, order, start, count, np.bincount(item_node, weights=weight, minlength=len(nodes)),
            np.minimum.reduceat(sorted_offset, start), np.maximum.reduceat(sorted_offset, start),
        )

    def expand(self, node_positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each given node position, its items: (index into node_positions, item) pairs."""
        count = self.count[node_positions]
        which = np.repeat(np.arange(len(node_positions)), count)
        within = np.arange(int(count.sum())) - np.repeat(np.r_[0, np.cumsum(count)[:-1]], count)
        return which, self.order[self.start[node_positions][which] + within]


def reachable_sum(
    network: Network,
    source_nodes: np.ndarray,
    target_nodes: np.ndarray,
    target_weight: np.ndarray,
    *,
    cutoff_m: float,
    source_offset_m: np.ndarray | None = None,
    target_offset_m: np.ndarray | None = None,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
) -> np.ndarray:
    """For each source, the summed weight of the targets within cutoff_m (inclusive), offsets included.

    A source's distance to a target is source offset + network distance + target offset. Sources and
    targets are grouped by node: a pair of nodes whose distance plus the largest offsets is within the
    cut-off counts whole, one whose distance plus the smallest offsets is beyond counts nothing, and only
    the thin band in between is checked item by item. The graph is undirected, so the bounded searches
    run from whichever side has fewer nodes. That side is grouped in square cells as wide as the cut-off, and each
    cell is searched on the subgraph within the cut-off around it (`_Cells`), contracted to its junctions
    (`_Chains`, as the gravity sum): a search costs what its reach costs, on a graph several times smaller.
    """
    source_nodes = np.asarray(source_nodes, dtype=np.intp)
    src_off = np.zeros(len(source_nodes)) if source_offset_m is None else np.asarray(source_offset_m, dtype=float)
    t_off = np.zeros(len(target_nodes)) if target_offset_m is None else np.asarray(target_offset_m, dtype=float)
    useful = (np.asarray(target_weight) != 0) & (t_off <= cutoff_m + CUTOFF_EPS_M)
    if len(source_nodes) == 0 or not useful.any():
        return np.zeros(len(source_nodes))
    sources = _Items.of(source_nodes, src_off, np.zeros(len(source_nodes)))
    targets = _Items.of(
        np.asarray(target_nodes, dtype=np.intp)[useful], t_off[useful], np.asarray(target_weight, float)[useful]
    )
    target_item_weight = np.asarray(target_weight, float)[useful]
    from_targets = len(targets.nodes) < len(sources.nodes)
    searched, other = (targets, sources) if from_targets else (sources, targets)
    cells = _Cells(network, cutoff_m + CUTOFF_EPS_M, searched.nodes, other.nodes)
    results = active_executor().map_chunks(_reachable_chunk, cells.chunks(chunk_size), cells, sources, targets,
                                           target_item_weight, from_targets)
    node_sum = np.zeros(len(sources.nodes))
    item_sum = np.zeros(len(source_nodes))
    for (node_at, node_value), (item_at, item_value) in results:  # chunk order: the same sums on every backend
        node_sum[node_at] += node_value
        item_sum[item_at] += item_value
    return node_sum[sources.item_node] + item_sum


def _nonzero(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions and values of the non-zero entries (what a chunk sends back)."""
    at = np.flatnonzero(values)
    return at, values[at]


def _reachable_chunk(
    positions: np.ndarray, cells: _Cells, sources: _Items, targets: _Items, target_item_weight: np.ndarray, from_targets: bool
) -> tuple:
    """The reachable sums contributed by the searches from one chunk of searched nodes (sparse)."""
    limit = cells.limit
    node_sum = np.zeros(len(sources.nodes))
    item_sum = np.zeros(len(sources.item_node))
    for s_pos, o_pos, dist in cells.blocks(positions):
        src, tgt, d = (o_pos, s_pos, dist.T) if from_targets else (s_pos, o_pos, dist)
        whole = d + sources.max_offset[src, None] + targets.max_offset[None, tgt] <= limit
        node_sum[src] += whole.astype(np.float64) @ targets.weight[tgt]  # src distinct in a block; float: bool is 20x slower
        band = ~whole & (d + sources.min_offset[src, None] + targets.min_offset[None, tgt] <= limit)
        if band.any():
            _band_items(sources, targets, target_item_weight, (src, tgt, d, band), limit, item_sum)
    return _nonzero(node_sum), _nonzero(item_sum)


def _band_items(sources: _Items, targets: _Items, weight: np.ndarray, block: tuple, limit: float, out: np.ndarray) -> None:
    """Add, item by item, the targets within the limit for the node pairs of the band."""
    src, tgt, d, band = block
    row, col = np.nonzero(band)
    pair, source_item = sources.expand(src[row])
    pair_of_item, target_item = targets.expand(tgt[col[pair]])
    source_item = source_item[pair_of_item]
    dist = d[row, col][pair][pair_of_item]
    total = sources.item_offset[source_item] + dist + targets.item_offset[target_item]
    reached = total <= limit
    out += np.bincount(source_item[reached], weights=weight[target_item[reached]], minlength=len(out))


class _CellIndex:
    """Points sorted by grid cell, to fetch every point of a block of cells quickly."""

    def __init__(self, xy: np.ndarray, origin: np.ndarray, cell_m: float, width: int):
        cells = _grid_cells(xy, origin, cell_m)
        self.width = width
        key = (cells[:, 1] + 1) * width + (cells[:, 0] + 1)
        self.order = np.argsort(key, kind="stable")
        self.sorted_key = key[self.order]

    def near(self, col: int, row: int) -> np.ndarray:
        """Sorted positions of the points in the 3 x 3 cells around a cell."""
        rows = np.arange(row - 1, row + 2) + 1
        lo = rows * self.width + max(col, 0)
        hi = rows * self.width + min(col + 2, self.width - 1)
        first = np.searchsorted(self.sorted_key, lo, side="left")
        last = np.searchsorted(self.sorted_key, hi, side="right")
        return np.sort(np.concatenate([self.order[a:b] for a, b in zip(first, last, strict=True)]))


class _Cells:
    """The network cut in square cells at least as wide as the limit, each searched on the part of the graph of
    junctions in the 3 x 3 cells around it (`_Chains.part`).

    A path no longer than the limit stays within the limit of where it starts (straight line), so it lies in that
    part: a search costs what the reach costs, not the whole network, and settles junctions only. searched and
    other are distinct node ids: searches start from searched and are read at other.
    """

    def __init__(self, network: Network, limit_m: float, searched: np.ndarray, other: np.ndarray):
        self.network, self.limit = network, float(limit_m)
        self.cell_m = max(self.limit, MIN_CELL_M)
        self.chains = _Chains.of(network.graph)
        self.origin = network.node_xy.min(axis=0)
        self.width = int(_grid_cells(network.node_xy, self.origin, self.cell_m)[:, 0].max()) + 3
        self.nodes = _CellIndex(network.node_xy, self.origin, self.cell_m, self.width)
        self.searched, self.other = searched, other
        self.others = _CellIndex(network.node_xy[other], self.origin, self.cell_m, self.width)
        self.cells = _grid_cells(network.node_xy[searched], self.origin, self.cell_m)
        self.key = self.cells[:, 1] * self.width + self.cells[:, 0]

    def chunks(self, size: int) -> list[np.ndarray]:
        """Positions in searched cut in chunks of at most size, cell by cell, in each cell in SEARCH_CELL_M order."""
        within = np.empty(len(self.searched), dtype=np.intp)
        within[_cell_order(self.network.node_xy[self.searched])] = np.arange(len(self.searched))
        return chunked(np.lexsort((within, self.key)), size)

    def blocks(self, positions: np.ndarray):
        """Yield (positions in searched, positions in other, distances) for the pairs within reach of these searches.

        Distances beyond the limit are inf.
        """
        local = np.full(self.network.n_nodes, -1, dtype=np.intp)
        key = self.key[positions]
        bounds = np.flatnonzero(np.r_[True, key[1:] != key[:-1], True])  # positions come cell by cell (chunks)
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            rows = positions[a:b]
            col, row = (int(c) for c in self.cells[rows[0]])
            cols = self.others.near(col, row)
            if len(cols) == 0:
                continue
            sub_nodes = self.nodes.near(col, row)
            local[sub_nodes] = np.arange(len(sub_nodes))
            part = self.chains.part(sub_nodes)
            for part_rows, at, dist in part.searches(local[self.searched[rows]], local[self.other[cols]], limit=self.limit):
                yield rows[part_rows], cols[at], dist
            local[sub_nodes] = -1
