"""The graph of junctions: every chain of degree-2 nodes (the vertices of a curved way) contracted to one edge.

Most nodes of a real street network are vertices of curved ways (87 % at the demo's scale 50), so a search on
the junctions settles several times fewer nodes and gives the same distances: a node on a chain is reached
through the nearer of its chain's two ends, or along the chain itself for two nodes of one chain.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, dijkstra

from pipeline.network.graph import _shortest_parallel_edges
from pipeline.network.search import rows_per_block

# Searched nodes per block on the contracted network: a small block's arrays stay in the processor's cache
# (scale-50 demo: 6.4 ms per gravity search in blocks of 32, 9.1 in blocks of 8; blocks of MAX_BLOCK_CELLS
# were slower still). Read here only (_Chains.block_rows).
CHAIN_BLOCK_ROWS = 32


@dataclass(frozen=True)
class _Chains:
    """The network with every chain of degree-2 nodes (the vertices of a curved way) contracted to one edge.

    Junctions are the nodes of degree other than 2. Every node has two ends, a and b, and its distance along
    its chain to each: for a chain node the junctions its chain joins, for a junction itself twice at 0. A
    path leaves a chain only through its ends, so d(s, x) is the least of off(s) + D(end of s, end of x) +
    off(x) over the ends, D the distance on the graph of junctions, and, for two nodes of one chain, the
    distance along it. A ring of degree-2 nodes without a junction (a lone closed way, or a ring whose junctions
    lie outside a subgraph) keeps its nodes as junctions.
    """

    graph: sp.csr_matrix  # junctions x junctions, chain lengths (the shortest of parallel chains)
    end: np.ndarray  # (2, nodes): position among the junctions of each node's end a and end b
    off_m: np.ndarray  # (2, nodes): distance along the chain to end a and to end b
    chain: np.ndarray  # each node's chain (-1: a junction)
    outside: int = -1  # a junction without edges standing for the ends outside a part of the network (-1: none)

    @classmethod
    def of(cls, graph: sp.csr_matrix) -> _Chains:
        """Contract the chains of a symmetric graph without self-loops or parallel edges."""
        n = graph.shape[0]
        coo = graph.tocoo()
        u, v, w = coo.row, coo.col, coo.data
        is_junction = np.diff(graph.indptr) != 2
        along, component = _along(is_junction, u, v, w)
        lone = _lone_rings(is_junction, component, u, v)
        if lone.any():
            is_junction |= lone
            along, component = _along(is_junction, u, v, w)
        # A chain has exactly two edges to junctions: the first is end a.
        leave = np.flatnonzero(~is_junction[u] & is_junction[v])
        leave = leave[np.argsort(component[u[leave]], kind="stable")]
        a_edge, b_edge = leave[0::2], leave[1::2]
        to_a = np.zeros(n)
        if len(a_edge):
            to_a = dijkstra(along, directed=True, indices=u[a_edge], min_only=True)
        to_a[is_junction] = 0.0
        number = np.zeros(component.max() + 1, dtype=np.intp)
        number[component[u[a_edge]]] = np.arange(len(a_edge))
        node_chain = np.where(is_junction, -1, number[component])
        junction_id = np.cumsum(is_junction) - 1
        ja, jb = junction_id[v[a_edge]], junction_id[v[b_edge]]
        length = w[a_edge] + to_a[u[b_edge]] + w[b_edge]
        # Per chain arrays end with a dummy, which junctions (chain -1) pick and np.where discards.
        off_a = np.where(is_junction, 0.0, np.r_[w[a_edge], 0.0][node_chain] + to_a)
        off_b = np.where(is_junction, 0.0, np.r_[length, 0.0][node_chain] - off_a)
        end_a = np.where(is_junction, junction_id, np.r_[ja, 0][node_chain])
        end_b = np.where(is_junction, junction_id, np.r_[jb, 0][node_chain])
        direct = is_junction[u] & is_junction[v] & (u < v)
        shortcut = ja != jb  # a chain back to its own junction is no shortcut
        eu, ev = np.r_[junction_id[u[direct]], ja[shortcut]], np.r_[junction_id[v[direct]], jb[shortcut]]
        ew = np.r_[w[direct], length[shortcut]]
        keep = _shortest_parallel_edges(eu, ev, ew)
        eu, ev, ew = eu[keep], ev[keep], ew[keep]
        m = int(is_junction.sum())
        contracted = sp.csr_matrix((np.r_[ew, ew], (np.r_[eu, ev], np.r_[ev, eu])), shape=(m, m))
        return cls(contracted, np.vstack([end_a, end_b]), np.vstack([off_a, off_b]), node_chain)

    def part(self, nodes: np.ndarray) -> _Chains:
        """The contracted graph of the part of the network induced by nodes (distinct node ids), its nodes numbered by
        their position in nodes: the junctions among them, each node's chain ends among those, and one junction
        without edges for the ends outside. Exact for every path that stays among the nodes."""
        inside = self.end[0, nodes[self.chain[nodes] < 0]]  # the junctions among the nodes
        local = np.full(self.graph.shape[0], -1, dtype=np.intp)
        local[inside] = np.arange(len(inside))
        graph = _induced(self.graph, inside, local)
        outside = len(inside)
        local[local < 0] = outside
        padded = sp.csr_matrix((graph.data, graph.indices, np.r_[graph.indptr, graph.indptr[-1]]),
                               shape=(outside + 1, outside + 1))
        return _Chains(padded, local[self.end[:, nodes]], self.off_m[:, nodes], self.chain[nodes], outside)

    def block_rows(self, n_columns: int) -> int:
        """Searched nodes per block when a block holds rows of n_columns distances."""
        return max(1, min(CHAIN_BLOCK_ROWS, rows_per_block(n_columns)))

    def to_junctions(self, nodes: np.ndarray, *, limit: float) -> np.ndarray:
        """Distances from the nodes to every junction within limit (inf beyond): one search per node.

        A chain node searches from a node added for it with an edge to each end of its chain, as long as its
        distance along the chain (one edge, the shorter way round, when both ends are one junction); a
        junction searches from itself.
        """
        m = self.graph.shape[0]
        on_chain = self.chain[nodes] >= 0
        (a, b), (to_a, to_b) = self.end[:, nodes[on_chain]], self.off_m[:, nodes[on_chain]]
        loop = a == b
        ends = np.column_stack([a, b])
        keep = np.column_stack([np.ones(len(a), dtype=bool), ~loop]) & (ends != self.outside)  # no edge leaves the part
        length = np.column_stack([np.where(loop, np.minimum(to_a, to_b), to_a), to_b])[keep]
        ends = ends[keep]
        indptr = np.r_[self.graph.indptr, self.graph.indptr[-1] + np.cumsum(keep.sum(axis=1))]
        size = m + len(a)
        added = sp.csr_matrix((np.r_[self.graph.data, length], np.r_[self.graph.indices, ends], indptr), shape=(size, size))
        start = np.where(on_chain, m + np.cumsum(on_chain) - 1, self.end[0, nodes])
        return dijkstra(added, directed=True, indices=start, limit=limit)[:, :m]

    def pair_distances(self, to_junction: np.ndarray, row: np.ndarray, node: np.ndarray, other: np.ndarray) -> np.ndarray:
        """Distance of each (node, other) pair, given the node's distances to the junctions in to_junction[row]."""
        end, off = self.end[:, other], self.off_m[:, other]
        dist = np.minimum(to_junction[row, end[0]] + off[0], to_junction[row, end[1]] + off[1])
        same = (self.chain[node] == self.chain[other]) & (self.chain[other] >= 0)
        dist[same] = np.minimum(dist[same], np.abs(self.off_m[0, node[same]] - off[0, same]))
        return dist

    def searches(self, nodes: np.ndarray, other: np.ndarray, *, limit: float):
        """Yield (rows, cols, distances nodes[rows] x other[cols]), a block of rows at a time: cols are the other
        nodes whose chain ends a search of the block reached or that share a chain with a node of the block (the
        rest are beyond the limit); distances beyond the limit are inf."""
        step = self.block_rows(2 * max(self.graph.shape[0], len(other), 1))
        other_end, other_off, other_chain = self.end[:, other], self.off_m[:, other], self.chain[other]
        for start in range(0, len(nodes), step):
            rows = slice(start, start + step)
            block = nodes[rows]
            to_junction = self.to_junctions(block, limit=limit)
            reached = np.isfinite(to_junction).any(axis=0)
            own_chain = np.zeros(self.chain.max() + 2, dtype=bool)  # the last entry stands for "a junction" (-1)
            own_chain[self.chain[block]] = True
            own_chain[-1] = False
            on_own_chain = own_chain[other_chain]  # their chain's ends may be out of reach, they themselves not
            cols = np.flatnonzero(reached[other_end[0]] | reached[other_end[1]] | on_own_chain)
            near = np.minimum(to_junction[:, other_end[0, cols]] + other_off[0, cols],
                              to_junction[:, other_end[1, cols]] + other_off[1, cols])
            del to_junction
            row, col = _same_chain_pairs(self.chain[block], other_chain[cols])
            near[row, col] = np.minimum(near[row, col], np.abs(self.off_m[0, block[row]] - other_off[0, cols[col]]))
            near[near > limit] = np.inf
            yield rows, cols, near


def _same_chain_pairs(chain: np.ndarray, column_chain: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(row, column) of the pairs on one chain, given each row's chain and each column's (-1: a junction)."""
    by_chain = np.argsort(column_chain, kind="stable")
    sorted_chain = column_chain[by_chain]
    lo = np.searchsorted(sorted_chain, chain, side="left")
    count = np.where(chain >= 0, np.searchsorted(sorted_chain, chain, side="right") - lo, 0)
    row = np.repeat(np.arange(len(chain)), count)
    first = np.repeat(np.cumsum(count) - count, count)
    return row, by_chain[np.repeat(lo, count) + np.arange(int(count.sum())) - first]


def _along(is_junction: np.ndarray, u: np.ndarray, v: np.ndarray, w: np.ndarray) -> tuple[sp.csr_matrix, np.ndarray]:
    """The edges between chain nodes, and each node's connected piece of them (a chain; a junction alone)."""
    n = len(is_junction)
    inner = ~is_junction[u] & ~is_junction[v]
    along = sp.csr_matrix((w[inner], (u[inner], v[inner])), shape=(n, n))
    return along, connected_components(along, directed=False)[1]


def _lone_rings(is_junction: np.ndarray, component: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The degree-2 nodes whose piece has no edge to a junction: rings with no end to contract them to."""
    has_end = np.zeros(component.max() + 1, dtype=bool)
    has_end[component[u[~is_junction[u] & is_junction[v]]]] = True
    return ~is_junction & ~has_end[component]


def _induced(graph: sp.csr_matrix, nodes: np.ndarray, local: np.ndarray) -> sp.csr_matrix:
    """The graph induced by the nodes; local maps ids to positions in nodes (-1 elsewhere)."""
    starts, ends = graph.indptr[nodes], graph.indptr[nodes + 1]
    counts = ends - starts
    shift = np.repeat(starts - np.r_[0, np.cumsum(counts)[:-1]], counts)
    positions = shift + np.arange(int(counts.sum()))
    cols = local[graph.indices[positions]]
    inside = cols >= 0
    kept = np.bincount(np.repeat(np.arange(len(nodes)), counts)[inside], minlength=len(nodes))
    indptr = np.r_[0, np.cumsum(kept)]
    return sp.csr_matrix((graph.data[positions][inside], cols[inside], indptr), shape=(len(nodes), len(nodes)))
