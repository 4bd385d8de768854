"""The street network: a graph built from the streets layer, snapping, and network distances.

Lines join where they share a vertex (also a vertex in the middle of a line, as OpenStreetMap ways do);
lines that only cross (bridges, tunnels) do not. A line's end point within `tolerance_m` of another
line's vertex is merged with it, closing the small gaps digitising leaves. Only the largest connected
piece is routable; the pieces left out are reported. Edges are the straight segments between consecutive
vertices, with their length in metres.

Everything is vectorised: shapely for the geometry, numpy for the bookkeeping, scipy.sparse for the
graph and scipy.sparse.csgraph.dijkstra for the searches. The gravity sum searches the graph of junctions
only (`_Chains`: each chain of degree-2 nodes, the vertices of curved ways, contracted to one edge; a node on a
chain is reached through the nearer end), which gives the same distances on a graph about 8 times smaller.
The mode-independent part of the graph is cached in data/processed/network.npz, keyed by the hash of
streets.parquet and the config it depends on.

Without a streets layer every distance is the straight-line distance times a detour factor.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from pipeline._errors import InputError, Problem
from pipeline._log import log
from pipeline.config import Config
from pipeline.io import atomic_path, has_layer, layer_path, read_layer
from pipeline.parallel import active_executor

NETWORK_FILE = "network.npz"
CACHE_FORMAT = 1
# Coordinates are compared after rounding to this many decimals of a metre, so that the same vertex
# written twice with floating-point noise is still one junction.
VERTEX_DECIMALS = 6
# Largest dense distance block (sources x nodes) held in memory at once: 20 million cells = 160 MB.
MAX_BLOCK_CELLS = 20_000_000
# Searched nodes per block on the contracted network (_Chains): a small block's arrays stay in the processor's
# cache (scale-50 demo: 6.4 ms per gravity search in blocks of 32, 9.1 in blocks of 8; blocks of MAX_BLOCK_CELLS
# were slower still).
CHAIN_BLOCK_ROWS = 32
# Searched nodes are taken in square cells of this side, so that a block's searches start close together and read
# the same nodes (scale-50 demo: 4.5 ms per gravity search in cells of 2 km, 7.2 ms in node order).
SEARCH_CELL_M = 2000.0
# Distances this close to a cut-off count as within it (floating-point sums of segment lengths).
CUTOFF_EPS_M = 1e-6
# Searched nodes per chunk of work when no chunk size is given (config access.origin_chunk_size).
DEFAULT_CHUNK_SIZE = 2000
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


# --- building ------------------------------------------------------------------------------------------

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


# --- the cache -----------------------------------------------------------------------------------------

def network_key(config: Config) -> str:
    """The cache key: sha256 of streets.parquet and the config the graph depends on."""
    digest = hashlib.sha256()
    with open(layer_path(config, "streets"), "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    settings = {"format": CACHE_FORMAT, "tolerance_m": config["access"]["snap_tolerance_m"], "crs": config.crs}
    digest.update(json.dumps(settings, sort_keys=True).encode())
    return digest.hexdigest()


def _read_cache(path: Path, key: str) -> StreetGraph | None:
    """The cached street graph when its key matches, else None."""
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["key"]) != key:
                return None
            return StreetGraph(**{name: data[name] for name in StreetGraph.__dataclass_fields__})
    except (OSError, KeyError, ValueError):
        return None


def _write_cache(graph: StreetGraph, key: str, path: Path) -> Path:
    """Write the street graph and its key atomically."""
    arrays = {name: getattr(graph, name) for name in StreetGraph.__dataclass_fields__}
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        np.savez_compressed(handle, key=np.array(key), **arrays)
    return path


def load_or_build_network(config: Config, mode: str | None) -> Network | None:
    """The routable network for a mode from the cached graph (rebuilt when streets changed); None without streets."""
    if not has_layer(config, "streets"):
        return None
    key = network_key(config)
    cache = config.processed(NETWORK_FILE)
    base = _read_cache(cache, key)
    if base is None:
        base = street_graph(read_layer(config, "streets"), tolerance_m=float(config["access"]["snap_tolerance_m"]))
        _write_cache(base, key, cache)
        log.info("Cached the street graph in %s", cache.name)
    else:
        log.info("Reused the cached street graph (%d nodes)", len(base.node_xy))
    return routable(base, mode)


# --- snapping and searches -----------------------------------------------------------------------------

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


def _rows_per_block(n_columns: int) -> int:
    """How many search sources fit in one dense block of distances."""
    return max(1, MAX_BLOCK_CELLS // max(1, n_columns))


def _searches(graph: sp.csr_matrix, nodes: np.ndarray, *, limit: float = np.inf, columns: np.ndarray | None = None):
    """Yield (rows, distances): Dijkstra from nodes[rows], a block of rows at a time (at most MAX_BLOCK_CELLS
    cells), to every node of the graph or, given columns, to those nodes. Distances beyond limit are inf."""
    step = _rows_per_block(graph.shape[0])
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


def _chunks(values: np.ndarray, size: int) -> list[np.ndarray]:
    """values cut in consecutive chunks of at most size."""
    size = max(1, int(size))
    return [values[start:start + size] for start in range(0, len(values), size)]


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
    pairs = [(c, order[bounds[c[0]]:bounds[c[-1] + 1]]) for c in _chunks(np.arange(len(nodes)), chunk_size)]
    chunks = [(nodes[c], origin_node[rows[pair]], which[pair] - c[0]) for c, pair in pairs]
    found = active_executor().map_chunks(_assigned_chunk, chunks, _Chains.of(network.graph))
    out[rows[order]] = np.concatenate(found) + origin_snap[rows[order]] + target_snap[assigned[rows[order]]]
    return out


def _assigned_chunk(chunk: tuple, chains: _Chains) -> np.ndarray:
    """Network distances of (origin node, target) pairs, searched from the chunk's target nodes on the junctions."""
    target_nodes, pair_origin, pair_target = chunk
    out = np.empty(len(pair_origin))
    step = max(1, min(CHAIN_BLOCK_ROWS, MAX_BLOCK_CELLS // max(1, chains.graph.shape[0])))
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
        for block in _chunks(np.arange(len(b)), _rows_per_block(len(a))):
            d = np.hypot(a[:, None, 0] - b[None, block, 0], a[:, None, 1] - b[None, block, 1]) * detour_factor
            best_d, best_i = _keep_nearest(best_d, best_i, d, block, k)
        return best_d, best_i, assigned_distance_m(None, origins, destinations, assigned, detour_factor=detour_factor)
    origin_node, origin_snap = snap(network, origins)
    dest_node, dest_snap = snap(network, destinations)
    nodes, position = np.unique(origin_node, return_inverse=True)
    blocks = _chunks(np.arange(len(destinations)), chunk_size)
    asked = [np.flatnonzero((assigned >= block[0]) & (assigned <= block[-1])) for block in blocks]
    chunks = [(block, dest_node[block], dest_snap[block], position[rows], assigned[rows] - block[0])
              for block, rows in zip(blocks, asked, strict=True)]
    found = active_executor().map_chunks(_nearest_chunk, chunks, _Chains.of(network.graph), nodes, k)
    best_d, best_i = np.full((len(nodes), 0), np.inf), np.full((len(nodes), 0), -1, dtype=np.intp)
    own = np.full(len(origins), np.nan)
    for rows, (d, i, own_d) in zip(asked, found, strict=True):
        best_d, best_i = _keep_nearest(best_d, best_i, d, i, k, columns_given=True)
        own[rows] = own_d + origin_snap[rows]
    return best_d[position] + origin_snap[:, None], best_i[position], own


def _keep_nearest(best_d, best_i, d, index, k: int, columns_given: bool = False):
    """Merge a block of distances into the k best per row (ties: the lower destination position first)."""
    d_all = np.concatenate([best_d, d], axis=1)
    i_all = np.concatenate([best_i, index if columns_given else np.broadcast_to(index, d.shape)], axis=1)
    order = np.lexsort((i_all, d_all), axis=1)[:, :k]
    best_d, best_i = np.take_along_axis(d_all, order, axis=1), np.take_along_axis(i_all, order, axis=1)
    return best_d, np.where(np.isfinite(best_d), best_i, -1)


def _nearest_chunk(chunk: tuple, chains: _Chains, nodes: np.ndarray, k: int) -> tuple:
    """For a chunk of destinations: the k nearest for each origin node (distances, destination positions), and
    the distances of the asked (origin node position, destination in chunk) pairs, destination snap included."""
    positions, dest_node, dest_snap, pair_node, pair_dest = chunk
    best_d, best_i = np.full((len(nodes), 0), np.inf), np.full((len(nodes), 0), -1, dtype=np.intp)
    own = np.full(len(pair_node), np.nan)
    for rows, cols, near in chains.searches(dest_node, nodes, limit=np.inf):
        block = np.full((len(nodes), near.shape[0]), np.inf)
        block[cols] = near.T + dest_snap[None, rows]
        best_d, best_i = _keep_nearest(best_d, best_i, block, positions[rows], k)
        pick = (pair_dest >= rows.start) & (pair_dest < rows.stop)
        own[pick] = block[pair_node[pick], pair_dest[pick] - rows.start]
    return best_d, best_i, own


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
        chunks = [(nodes, node_weight[nodes]) for nodes in _chunks(targets, chunk_size)]
        for at, value in executor.map_chunks(_decayed_chunk, chunks, chains, sources, None, decay_per_m, limit):
            out[at] += value  # chunk order: the same sums on every backend
    else:
        order = _cell_order(network.node_xy[sources])
        chunks = [(nodes, None) for nodes in _chunks(sources[order], chunk_size)]
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


@dataclass(frozen=True)
class _Chains:
    """The network with every chain of degree-2 nodes (the vertices of a curved way) contracted to one edge.

    Junctions are the nodes of degree other than 2. Every node has two ends, a and b, and its distance along
    its chain to each: for a chain node the junctions its chain joins, for a junction itself twice at 0. A
    path leaves a chain only through its ends, so d(s, x) is the least of off(s) + D(end of s, end of x) +
    off(x) over the ends, D the distance on the graph of junctions, and, for two nodes of one chain, the
    distance along it. A network without junctions (a lone cycle) keeps every node as a junction.
    """

    graph: sp.csr_matrix  # junctions x junctions, chain lengths (the shortest of parallel chains)
    end: np.ndarray  # (2, nodes): position among the junctions of each node's end a and end b
    off_m: np.ndarray  # (2, nodes): distance along the chain to end a and to end b
    chain: np.ndarray  # each node's chain (-1: a junction)

    @classmethod
    def of(cls, graph: sp.csr_matrix) -> _Chains:
        """Contract the chains of a symmetric graph without self-loops or parallel edges."""
        n = graph.shape[0]
        is_junction = np.diff(graph.indptr) != 2
        if not is_junction.any():
            is_junction[:] = True
        coo = graph.tocoo()
        u, v, w = coo.row, coo.col, coo.data
        inner = ~is_junction[u] & ~is_junction[v]
        along = sp.csr_matrix((w[inner], (u[inner], v[inner])), shape=(n, n))
        _, component = connected_components(along, directed=False)
        # A chain has exactly two edges to junctions (its ends in a connected graph): the first is end a.
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
        keep = np.column_stack([np.ones(len(a), dtype=bool), ~loop]).ravel()
        ends = np.column_stack([a, b]).ravel()[keep]
        length = np.column_stack([np.where(loop, np.minimum(to_a, to_b), to_a), to_b]).ravel()[keep]
        indptr = np.r_[self.graph.indptr, self.graph.indptr[-1] + np.cumsum(np.where(loop, 1, 2))]
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
        step = max(1, min(CHAIN_BLOCK_ROWS, MAX_BLOCK_CELLS // (2 * max(self.graph.shape[0], len(other), 1))))
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


# --- cumulative opportunities --------------------------------------------------------------------------

def _grid_cells(xy: np.ndarray, origin: np.ndarray, cell_m: float) -> np.ndarray:
    """Integer (column, row) of each point in a square grid."""
    return np.floor((xy - origin) / cell_m).astype(np.int64)


def _subgraph(graph: sp.csr_matrix, nodes: np.ndarray, local: np.ndarray) -> sp.csr_matrix:
    """The graph induced by the nodes; local maps global ids to positions in nodes (-1 elsewhere)."""
    starts, ends = graph.indptr[nodes], graph.indptr[nodes + 1]
    counts = ends - starts
    shift = np.repeat(starts - np.r_[0, np.cumsum(counts)[:-1]], counts)
    positions = shift + np.arange(int(counts.sum()))
    cols = local[graph.indices[positions]]
    inside = cols >= 0
    kept = np.bincount(np.repeat(np.arange(len(nodes)), counts)[inside], minlength=len(nodes))
    indptr = np.r_[0, np.cumsum(kept)]
    return sp.csr_matrix((graph.data[positions][inside], cols[inside], indptr), shape=(len(nodes), len(nodes)))


class _CellIndex:
    """Points sorted by grid cell, to fetch every point of a block of cells quickly."""

    def __init__(self, xy: np.ndarray, origin: np.ndarray, cell_m: float, width: int):
        cells = _grid_cells(xy, origin, cell_m)
        self.width = width
        key = (cells[:, 1] + 1) * width + (cells[:, 0] + 1)
        self.order = np.argsort(key, kind="stable")
        self.sorted_key = key[self.order]

    def near(self, col: int, row: int, ring: int) -> np.ndarray:
        """Sorted positions of the points in the (2 ring + 1)^2 cells around a cell."""
        rows = np.arange(row - ring, row + ring + 1) + 1
        lo = rows * self.width + max(col - ring + 1, 0)
        hi = rows * self.width + min(col + ring + 1, self.width - 1)
        first = np.searchsorted(self.sorted_key, lo, side="left")
        last = np.searchsorted(self.sorted_key, hi, side="right")
        return np.sort(np.concatenate([self.order[a:b] for a, b in zip(first, last, strict=True)]))


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
    run from whichever side has fewer nodes. That side is grouped in square cells; a path no longer than
    the cut-off stays within the cut-off of where it starts (straight line), so each cell is searched on
    the subgraph within that reach only, and a search costs what the reach costs, not the whole network.
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
    cells = _Cells(network, cutoff_m, None, searched.nodes, other.nodes)
    chunks = cells.chunks(chunk_size)
    results = active_executor().map_chunks(_reachable_chunk, chunks, cells, sources, targets, target_item_weight, from_targets)
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


class _Cells:
    """The network cut in square cells, each searched on the subgraph within the cut-off around it.

    searched and other are distinct node ids: searches start from searched and are read at other.
    """

    def __init__(self, network: Network, cutoff_m: float, cell_m: float | None, searched: np.ndarray, other: np.ndarray):
        self.network = network
        self.limit = cutoff_m + CUTOFF_EPS_M
        self.cell_m = float(cell_m or max(cutoff_m, 1.0))
        self.ring = int(np.ceil(self.limit / self.cell_m))
        self.origin = network.node_xy.min(axis=0)
        self.width = int(_grid_cells(network.node_xy, self.origin, self.cell_m)[:, 0].max()) + 3
        self.nodes = _CellIndex(network.node_xy, self.origin, self.cell_m, self.width)
        self.searched, self.other = searched, other
        self.others = _CellIndex(network.node_xy[other], self.origin, self.cell_m, self.width)
        self.cells = _grid_cells(network.node_xy[searched], self.origin, self.cell_m)
        self.key = self.cells[:, 1] * self.width + self.cells[:, 0]

    def chunks(self, size: int) -> list[np.ndarray]:
        """Positions in searched cut in chunks of at most size, cell by cell (a chunk holds whole cells where it can)."""
        order = np.argsort(self.key, kind="stable")
        size = max(1, int(size))
        return [order[start:start + size] for start in range(0, len(order), size)]

    def blocks(self, positions: np.ndarray):
        """Yield (positions in searched, positions in other, distances) for the pairs within reach of these searches.

        Distances beyond the cut-off are inf.
        """
        local = np.full(self.network.n_nodes, -1, dtype=np.intp)
        key = self.key[positions]
        order = np.argsort(key, kind="stable")
        bounds = np.flatnonzero(np.r_[True, key[order][1:] != key[order][:-1], True])
        for a, b in zip(bounds[:-1], bounds[1:], strict=True):
            rows = positions[order[a:b]]
            col, row = (int(c) for c in self.cells[rows[0]])
            cols = self.others.near(col, row, self.ring)
            if len(cols) == 0:
                continue
            sub_nodes = self.nodes.near(col, row, self.ring)
            local[sub_nodes] = np.arange(len(sub_nodes))
            sub = _subgraph(self.network.graph, sub_nodes, local)
            cols_local = local[self.other[cols]]
            every_node = len(cols_local) == len(sub_nodes) and bool((cols_local == np.arange(len(sub_nodes))).all())
            searches = _searches(sub, local[self.searched[rows]], limit=self.limit, columns=None if every_node else cols_local)
            for part, dist in searches:
                yield rows[part], cols, dist
            local[sub_nodes] = -1
