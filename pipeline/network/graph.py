"""The street graph: streets joined where they share a vertex, line ends merged within a tolerance, per mode.

Lines join where they share a vertex (also a vertex in the middle of a line, as OpenStreetMap ways do);
lines that only cross (bridges, tunnels) do not. A line's end point within `tolerance_m` of another
line's vertex is merged with it, closing the small gaps digitising leaves. Only the largest connected
piece is routable; the pieces left out are reported. Edges are the straight segments between consecutive
vertices, with their length in metres.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from pipeline.core.errors import InputError, Problem
from pipeline.core.log import log

# Coordinates are compared after rounding to this many decimals of a metre, so that the same vertex
# written twice with floating-point noise is still one junction.
VERTEX_DECIMALS = 6
MODES = ("walk", "bike")


@dataclass(frozen=True)
class StreetGraph:
    """Every street segment as an edge between junction nodes, before any mode filter."""

    node_xy: np.ndarray  # (n, 2) metres, working CRS
    edge_u: np.ndarray
    edge_v: np.ndarray
    edge_length_m: np.ndarray
    edge_walk: np.ndarray
    edge_bike: np.ndarray
    edge_street: np.ndarray  # index into street_ids
    street_ids: np.ndarray


@dataclass(frozen=True)
class Network:
    """The routable street graph of one mode: node coordinates and a symmetric sparse matrix of lengths."""

    node_xy: np.ndarray
    graph: sp.csr_matrix
    mode: str | None
    dropped_street_ids: tuple
    dropped_length_m: float
    tree: cKDTree

    @property
    def n_nodes(self) -> int:
        return len(self.node_xy)


def _line_parts(streets: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Single LineStrings of the streets and, for each, the row of the street it came from."""
    geoms = streets.geometry.to_numpy()
    parts, row = shapely.get_parts(geoms, return_index=True)
    keep = (shapely.get_type_id(parts) == shapely.GeometryType.LINESTRING) & ~shapely.is_empty(parts)
    return parts[keep], row[keep]


def _vertex_nodes(coords: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One node per distinct vertex position: node coordinates, and each vertex's node."""
    rounded = np.round(coords, VERTEX_DECIMALS)
    node_xy, vertex_node = np.unique(rounded, axis=0, return_inverse=True)
    return node_xy, vertex_node.ravel()


def _merge_close_ends(node_xy: np.ndarray, is_end: np.ndarray, tolerance_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Merge every line end with the vertices within tolerance; new coordinates and old->new node ids."""
    n = len(node_xy)
    if tolerance_m > 0 and n > 1:
        pairs = cKDTree(node_xy).query_pairs(r=tolerance_m, output_type="ndarray")
        pairs = pairs[is_end[pairs[:, 0]] | is_end[pairs[:, 1]]]
    else:
        pairs = np.empty((0, 2), dtype=np.intp)
    links = sp.csr_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    n_merged, label = connected_components(links, directed=False)
    counts = np.bincount(label, minlength=n_merged)
    merged_xy = np.column_stack([
        np.bincount(label, weights=node_xy[:, 0], minlength=n_merged) / counts,
        np.bincount(label, weights=node_xy[:, 1], minlength=n_merged) / counts,
    ])
    return merged_xy, label


def _flag(streets: gpd.GeoDataFrame, column: str) -> np.ndarray:
    """A street's walk or bike flag as bool (true when the column is absent or empty)."""
    if column not in streets.columns:
        return np.ones(len(streets), dtype=bool)
    return streets[column].fillna(True).astype(bool).to_numpy()


def street_graph(streets: gpd.GeoDataFrame, *, tolerance_m: float) -> StreetGraph:
    """The street segments as edges between junctions (shared vertices, and line ends merged within tolerance)."""
    parts, row = _line_parts(streets)
    coords, vertex_part = shapely.get_coordinates(parts, return_index=True)
    node_xy, vertex_node = _vertex_nodes(coords)
    first = np.r_[True, vertex_part[1:] != vertex_part[:-1]]
    last = np.r_[vertex_part[1:] != vertex_part[:-1], True]
    is_end = np.zeros(len(node_xy), dtype=bool)
    is_end[vertex_node[first | last]] = True
    node_xy, label = _merge_close_ends(node_xy, is_end, tolerance_m)
    vertex_node = label[vertex_node]
    same_line = ~last[:-1]  # vertex i and i+1 belong to one line
    a = np.flatnonzero(same_line)
    u, v = vertex_node[a], vertex_node[a + 1]
    length = np.hypot(*(coords[a + 1] - coords[a]).T)
    keep = u != v
    street = row[vertex_part[a]][keep]
    if "street_id" in streets.columns:
        street_ids = streets["street_id"].astype(str).to_numpy(dtype=str)
    else:
        street_ids = np.arange(len(streets)).astype(str)
    graph = StreetGraph(
        node_xy=node_xy, edge_u=u[keep], edge_v=v[keep], edge_length_m=length[keep],
        edge_walk=_flag(streets, "walk")[street], edge_bike=_flag(streets, "bike")[street],
        edge_street=street, street_ids=street_ids,
    )
    log.info("Built the street graph: %d streets, %d nodes, %d edges", len(streets), len(node_xy), int(keep.sum()))
    return graph


def _shortest_parallel_edges(u: np.ndarray, v: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Positions of the edges to keep: of several edges joining the same two nodes, the shortest."""
    lo, hi = np.minimum(u, v), np.maximum(u, v)
    order = np.lexsort((length, hi, lo))
    first = np.r_[True, (lo[order][1:] != lo[order][:-1]) | (hi[order][1:] != hi[order][:-1])]
    return order[first]


def _mode_mask(base: StreetGraph, mode: str | None) -> np.ndarray:
    """Which edges the mode may use."""
    if mode is None:
        return np.ones(len(base.edge_u), dtype=bool)
    if mode not in MODES:
        raise ValueError(f"`mode` must be one of {MODES} or None, got {mode!r}")
    return base.edge_walk if mode == "walk" else base.edge_bike


def routable(base: StreetGraph, mode: str | None = None) -> Network:
    """The largest connected piece of the street graph that the mode may use, renumbered."""
    use = np.flatnonzero(_mode_mask(base, mode))
    if len(use) == 0:
        raise InputError(Problem(
            f"no street can be used for {mode or 'travel'}", "check the streets layer and its walk/bike columns",
            layer="streets", column=mode,
        ))
    use = use[_shortest_parallel_edges(base.edge_u[use], base.edge_v[use], base.edge_length_m[use])]
    u, v, length = base.edge_u[use], base.edge_v[use], base.edge_length_m[use]
    n = len(base.node_xy)
    graph = sp.csr_matrix((length, (u, v)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    sizes = np.bincount(component[u], minlength=component.max() + 1)
    keep_node = component == np.argmax(sizes)
    new_id = np.cumsum(keep_node) - 1
    kept_edge = keep_node[u]
    dropped = np.unique(base.street_ids[base.edge_street[use][~kept_edge]])
    dropped_length = float(length[~kept_edge].sum())
    u, v, length = new_id[u[kept_edge]], new_id[v[kept_edge]], length[kept_edge]
    m = int(keep_node.sum())
    symmetric = sp.csr_matrix((np.r_[length, length], (np.r_[u, v], np.r_[v, u])), shape=(m, m))
    node_xy = base.node_xy[keep_node]
    log.info(
        "Kept the routable %s network: %d nodes, %d edges, %.0f m; left out %d unconnected streets (%.0f m)",
        mode or "street", m, len(u), float(length.sum()), len(dropped), dropped_length,
    )
    return Network(node_xy, symmetric, mode, tuple(dropped.tolist()), dropped_length, cKDTree(node_xy))


def build_network(streets: gpd.GeoDataFrame, *, tolerance_m: float, mode: str | None = None) -> Network:
    """The routable network of the streets for a mode ("walk", "bike", or None for every street)."""
    return routable(street_graph(streets, tolerance_m=tolerance_m), mode)
