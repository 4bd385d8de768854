"""The street network: a graph built from the streets layer, snapping, and network distances.

The package holds one job per module; every public name is importable from `pipeline.network`:

- graph.py: the street graph (streets joined at shared vertices, line ends merged within a tolerance) and the
  routable network of a mode (its largest connected piece);
- cache.py: the graph cached in data/processed/network.npz, written by the access stage only;
- search.py: snapping points to nodes and plain Dijkstra searches in blocks of bounded memory
  (`MAX_BLOCK_CELLS`), nearest and origin-destination distances;
- chains.py: the graph of junctions, each chain of degree-2 nodes (the vertices of curved ways) contracted to one
  edge (`_Chains`, blocks of `CHAIN_BLOCK_ROWS` searches), which gives the same distances on a graph about 8
  times smaller;
- nearest.py: each origin's own destination and its k nearest, searched on the junctions;
- sums.py: the cumulative sums within a cut-off (`reachable_sum`) and the gravity sums (`decayed_sum`).

Everything is vectorised: shapely for the geometry, numpy for the bookkeeping, scipy.sparse for the graph and
scipy.sparse.csgraph.dijkstra for the searches. Without a streets layer every distance is the straight-line
distance times a detour factor.
"""

from pipeline.network.cache import (
    CACHE_FORMAT,
    NETWORK_FILE,
    load_network,
    load_or_build_network,
    network_key,
)
from pipeline.network.chains import CHAIN_BLOCK_ROWS, _Chains
from pipeline.network.graph import (
    MODES,
    VERTEX_DECIMALS,
    Network,
    StreetGraph,
    build_network,
    routable,
    street_graph,
)
from pipeline.network.nearest import assigned_distance_m, k_nearest_m
from pipeline.network.search import (
    CUTOFF_EPS_M,
    DEFAULT_CHUNK_SIZE,
    MAX_BLOCK_CELLS,
    nearest_distance_m,
    nearest_node_distance_m,
    node_distances,
    od_distances_m,
    point_xy,
    snap,
)
from pipeline.network.sums import SEARCH_CELL_M, decayed_sum, reachable_sum

__all__ = [
    "CACHE_FORMAT", "CHAIN_BLOCK_ROWS", "CUTOFF_EPS_M", "DEFAULT_CHUNK_SIZE", "MAX_BLOCK_CELLS", "MODES", "NETWORK_FILE",
    "SEARCH_CELL_M", "VERTEX_DECIMALS", "Network", "StreetGraph", "_Chains", "assigned_distance_m", "build_network",
    "decayed_sum", "k_nearest_m", "load_network", "load_or_build_network", "nearest_distance_m",
    "nearest_node_distance_m", "network_key", "node_distances", "od_distances_m", "point_xy", "reachable_sum", "routable",
    "snap", "street_graph",
]
