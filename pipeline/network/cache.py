"""The street graph cached in data/processed/network.npz, keyed by the hash of streets.parquet and its settings.

One writer: the access stage (`load_or_build_network`) builds the graph when the streets changed and writes
the cache. Every later reader (scenarios) calls `load_network`, which reads the cache when its key matches
and otherwise builds the graph in memory, never writing: the file has exactly the one writer the catalogue
(pipeline/core/catalogue.py) names, and writing it from another stage fails there.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from pipeline.core import datasets
from pipeline.core.config import Config
from pipeline.core.io import atomic_path, has_layer, layer_path, read_layer
from pipeline.core.log import log
from pipeline.network.graph import Network, StreetGraph, routable, street_graph

NETWORK_FILE = datasets.CATALOGUE["network"].file
CACHE_FORMAT = 1


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


def _street_graph(config: Config, key: str) -> tuple[StreetGraph, bool]:
    """The street graph from the cache when its key matches, else built from streets.parquet; and whether it was built."""
    base = _read_cache(datasets.input_path(config, "network"), key)
    if base is not None:
        log.info("Reused the cached street graph (%d nodes)", len(base.node_xy))
        return base, False
    return street_graph(read_layer(config, "streets"), tolerance_m=float(config["access"]["snap_tolerance_m"])), True


def load_or_build_network(config: Config, mode: str | None) -> Network | None:
    """The routable network for a mode from the cached graph, rebuilt and cached when the streets changed (the
    cache's writer, the access stage, calls this); None without streets."""
    if not has_layer(config, "streets"):
        return None
    key = network_key(config)
    base, built = _street_graph(config, key)
    if built:
        cache = _write_cache(base, key, datasets.output_path(config, "network"))
        log.info("Cached the street graph in %s", cache.name)
    return routable(base, mode)


def load_network(config: Config, mode: str | None) -> Network | None:
    """The routable network for a mode from the cached graph, or built in memory when the cache is absent or stale;
    never writes the cache (for the stages that read it); None without streets."""
    if not has_layer(config, "streets"):
        return None
    base, built = _street_graph(config, network_key(config))
    if built:
        log.info("Built the street graph in memory: %s is absent or older than the streets (the access stage writes it)",
                 NETWORK_FILE)
    return routable(base, mode)
