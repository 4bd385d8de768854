"""Scale-out: run parcel-level work on a Dask cluster, with results identical to the local backend.

Config `execution: {backend: local | dask, scheduler: null | "tcp://host:port", partitions: N}`. With
dask, `map_parcels` splits a frame into spatially coherent partitions (Hilbert order) and runs
a row-wise function on each on a distributed Client: a LocalCluster on 127.0.0.1 when no scheduler is
given, the given scheduler otherwise. The rows come back in their original order, so every output equals
the local backend's. `map_chunks` sends chunks of work (accessibility origins) with shared data
(the network) scattered once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from pipeline.core.config import Config
from pipeline.core.errors import InputError, Problem
from pipeline.core.log import log
from pipeline.core.progress import track

ROW_ORDER = "__row_order__"
PARTITION_LABEL = "__partition__"
_active: Executor | None = None


class Executor:
    """Runs functions over partitions of parcels or chunks of work, locally or on a Dask cluster."""

    def __init__(self, backend: str, partitions: int, client=None):
        self.backend = backend
        self.partitions = max(1, int(partitions))
        self.client = client

    @property
    def distributed(self) -> bool:
        return self.client is not None

    def map_parcels(self, func: Callable[..., pd.DataFrame], frame: gpd.GeoDataFrame, *args: Any) -> pd.DataFrame:
        """func(frame, *args) for a row-wise func, run per spatial partition; rows in their original order.

        The partitions are consecutive runs of the rows in Hilbert-curve order of their bounding-box
        centres (dask-geopandas' Hilbert distance), split in the driver: no distributed shuffle.
        """
        if not self.distributed or len(frame) < 2 * self.partitions:
            return func(frame, *args)
        runs = np.array_split(hilbert_order(frame), self.partitions)
        parts = self.client.scatter([frame.iloc[rows] for rows in runs], hash=False)
        shared = [self.client.scatter(a, broadcast=True, hash=False) if isinstance(a, pd.DataFrame) else a for a in args]
        futures = [self.client.submit(_apply, func, part, shared, pure=False) for part in parts]
        pieces = self.client.gather(futures)
        order = np.concatenate(runs)
        result = pd.concat(pieces, ignore_index=True).assign(**{ROW_ORDER: order}).sort_values(ROW_ORDER, kind="stable")
        return result.drop(columns=ROW_ORDER).set_axis(frame.index)

    def partition_labels(self, frame: gpd.GeoDataFrame) -> np.ndarray:
        """The partition each row runs in under map_parcels, named by its first row's position (all 0 locally)."""
        labelled = frame.assign(**{PARTITION_LABEL: np.arange(len(frame))})
        return self.map_parcels(_first_label, labelled)[PARTITION_LABEL].to_numpy()

    def map_chunks(self, func: Callable[..., Any], chunks: Sequence, *shared: Any) -> list:
        """[func(chunk, *shared) for chunk in chunks], on the cluster with shared data sent once."""
        if not self.distributed:
            return [func(chunk, *shared) for chunk in track(chunks)]
        # hash=False: a random key per scatter. With the content's hash as key, scattering the same graph again
        # right after an earlier call released it lets the late release delete the new copy (dask/distributed
        # #8576): the searches then fail with "lost dependencies".
        scattered = [self.client.scatter(s, broadcast=True, hash=False) if _worth_scattering(s) else s for s in shared]
        futures = self.client.map(func, list(chunks), *[[s] * len(chunks) for s in scattered], pure=False)
        _wait_with_progress(futures)
        return self.client.gather(futures)


def _wait_with_progress(futures: list) -> None:
    """Wait for the futures, reporting each one finished (pipeline.core.progress)."""
    from distributed import as_completed

    for _ in track(as_completed(futures), total=len(futures)):
        pass


def _first_label(part: pd.DataFrame) -> pd.DataFrame:
    """Every row of a partition labelled with the smallest label in it."""
    return pd.DataFrame({PARTITION_LABEL: np.full(len(part), part[PARTITION_LABEL].min())})


def _worth_scattering(value: Any) -> bool:
    """Whether shared data goes to the workers once up front (arrays, frames, graphs), not small plain values."""
    return not isinstance(value, (type(None), bool, int, float, str, list, tuple, dict))


def _apply(func, part, shared):
    """Run func on one partition, its rows numbered from 0."""
    return func(part, *shared).reset_index(drop=True)


def hilbert_order(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Row positions sorted along a Hilbert curve over the frame's extent (empty geometries first)."""
    from dask_geopandas.hilbert_distance import _hilbert_distance

    geometry = frame.geometry
    usable = (~(geometry.isna() | geometry.is_empty)).to_numpy()
    distance = np.zeros(len(frame), dtype=np.int64)
    if usable.any():
        located = geometry[usable]
        distance[usable] = _hilbert_distance(located, total_bounds=located.total_bounds).to_numpy()
    return np.argsort(distance, kind="stable")


def active_executor() -> Executor:
    """The executor of the running stage: the Dask one inside `executor(config)` with backend dask, else local."""
    return _active if _active is not None else Executor("local", 1)


def _connect(config: Config):
    """A distributed Client: to the configured scheduler, or a LocalCluster on loopback."""
    from distributed import Client, LocalCluster

    execution = config["execution"]
    address = execution.get("scheduler")
    if address:
        try:
            return Client(address, timeout=execution.get("connect_timeout_s", 10)), None
        except (OSError, TimeoutError) as err:
            raise InputError(Problem(
                f"the Dask scheduler {address} cannot be reached ({type(err).__name__}: {err})",
                "start the scheduler, fix execution.scheduler, or set execution.backend: local",
                file=config.path, column="execution.scheduler")) from err
    import dask

    workers = int(execution.get("workers") or 2)
    # Workers keep glibc's own malloc thresholds: distributed sets MALLOC_TRIM_THRESHOLD_ for them, which
    # turns off glibc's growing mmap threshold, so every large numpy temporary is mapped afresh and its pages
    # faulted in again (ten times the page faults; the transit engine took twice the CPU in a worker).
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
                               processes=True)
    return Client(cluster), cluster


@contextmanager
def executor(config: Config) -> Iterator[Executor]:
    """The executor for this run's execution backend (reused when one is already open)."""
    global _active
    if _active is not None:
        yield _active
        return
    execution = config["execution"]
    backend = execution.get("backend", "local")
    if backend not in ("local", "dask"):
        raise InputError(Problem(f"execution.backend is '{backend}'", "use local or dask", file=config.path))
    if backend == "local":
        yield Executor("local", 1)
        return
    logging.getLogger("distributed.shuffle").setLevel(logging.ERROR)
    client, cluster = _connect(config)
    log.info("Connected to Dask scheduler %s", client.scheduler.address)
    _active = Executor("dask", execution.get("partitions", 4), client)
    try:
        yield _active
    finally:
        _active = None
        client.close()
        if cluster is not None:
            cluster.close()
