"""Scale-out: the dask backend on a distributed LocalCluster (127.0.0.1) writes what the local backend writes.

One demo municipality (scale 0.5), run once with each backend; the dask run uses 7 spatial partitions,
and the test checks that at least one housing area's parcels are split between partitions.
"""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import yaml

from pipeline.cli import main

REPO = Path(__file__).resolve().parents[1]
PARTITIONS = 7
PROVENANCE = ["run_id"]  # each run's own id, the same in every row


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, host="127.0.0.1", dashboard_address=None,
                                  processes=True) as local:
        yield local


@pytest.fixture(scope="module")
def raw(tmp_path_factory) -> Path:
    from pipeline.demo import generate

    folder = tmp_path_factory.mktemp("raw")
    generate(folder, seed=7, scale=0.5)
    return folder


def project(folder: Path, raw: Path, execution: dict) -> Path:
    """A project over the shared raw demo files with its own processed folder; returns the config path."""
    config = yaml.safe_load((REPO / "config" / "pipeline.yaml").read_text(encoding="utf-8"))
    config["root"] = "."
    for source in config["sources"].values():
        if source:
            source["path"] = str(raw / Path(source["path"]).name)
    config["execution"] = execution
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "config.yaml"
    path.write_text(yaml.safe_dump(config), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory, raw, cluster) -> dict[str, Path]:
    """The processed folders of one local run and one dask run (7 partitions) of the whole pipeline."""
    base = tmp_path_factory.mktemp("runs")
    folders = {}
    for backend, execution in {
        "local": {"backend": "local"},
        "dask": {"backend": "dask", "scheduler": cluster.scheduler_address, "partitions": PARTITIONS},
    }.items():
        config = project(base / backend, raw, execution)
        assert main(["--quiet", "run", "--config", str(config)]) == 0
        folders[backend] = base / backend / "data" / "processed"
    return folders


def test_areas_and_segregation_equal_the_local_backend(runs):
    local = pd.read_parquet(runs["local"] / "areas.parquet")
    dask = pd.read_parquet(runs["dask"] / "areas.parquet")
    assert len(local) > 20 and list(local["area_id"]) == list(dask["area_id"])  # same rows, same order
    assert local["run_id"].nunique() == 1 and local["run_id"].iloc[0] != dask["run_id"].iloc[0]
    pd.testing.assert_frame_equal(local.drop(columns=["geometry", *PROVENANCE]), dask.drop(columns=["geometry", *PROVENANCE]),
                                  check_exact=False, rtol=1e-9, atol=1e-9)
    assert (local["geometry"] == dask["geometry"]).all()
    seg_local = json.loads((runs["local"] / "segregation.json").read_text(encoding="utf-8"))
    seg_dask = json.loads((runs["dask"] / "segregation.json").read_text(encoding="utf-8"))
    assert seg_local == seg_dask
    # The parcel-level access figures too (canopy from the partitioned zonal statistics, jobs in chunks).
    pl = pd.read_parquet(runs["local"] / "parcels_access.parquet").drop(columns="geometry")
    pd_ = pd.read_parquet(runs["dask"] / "parcels_access.parquet").drop(columns="geometry")
    pd.testing.assert_frame_equal(pl, pd_, check_exact=False, rtol=1e-9, atol=1e-9)


def test_the_school_scenarios_equal_the_local_backend_exactly(runs):
    # On the cluster the nearest-school searches and the district distances run in several chunks per worker
    # (spread_chunks) and each scenario's allocation on a worker of its own; the lists, allocations and catchments
    # are the local backend's value for value and geometry for geometry.
    for name, read in (("scenarios_school_sites", gpd.read_parquet), ("scenarios_school_summary", pd.read_parquet),
                       ("scenarios_school_catchments", gpd.read_parquet)):
        local, dask = read(runs["local"] / f"{name}.parquet"), read(runs["dask"] / f"{name}.parquet")
        assert len(local) > 0
        pd.testing.assert_frame_equal(local.drop(columns=[c for c in PROVENANCE if c in local]),
                                      dask.drop(columns=[c for c in PROVENANCE if c in dask]), check_exact=True)
    catchments = gpd.read_parquet(runs["local"] / "scenarios_school_catchments.parquet")
    assert catchments["pupils"].sum() > 0


def test_a_partition_boundary_splits_a_housing_area_and_changes_nothing(runs, cluster):
    # The same Hilbert partitioning the dask run used for the parcel joins (7 partitions of the parcels'
    # representative points): at least one housing area has parcels in two partitions.
    from distributed import Client

    from pipeline.core.parallel import Executor

    parcels = gpd.read_parquet(runs["local"] / "parcels.parquet")
    points = gpd.GeoDataFrame(geometry=parcels.geometry.representative_point().reset_index(drop=True), crs=parcels.crs)
    with Client(cluster.scheduler_address) as client:
        labels = Executor("dask", PARTITIONS, client).partition_labels(points)
    assert len(np.unique(labels)) == PARTITIONS
    areas_access = pd.read_parquet(runs["local"] / "parcels_access.parquet")
    split = pd.Series(labels).groupby(areas_access["area_id"].to_numpy()).nunique()
    assert (split > 1).sum() >= 1
    # Those split areas have the same figures with both backends (the whole table is compared above).
    local = pd.read_parquet(runs["local"] / "areas.parquet").set_index("area_id")
    dask = pd.read_parquet(runs["dask"] / "areas.parquet").set_index("area_id")
    ids = split.index[split > 1]
    numeric = local.select_dtypes("number").columns
    np.testing.assert_allclose(local.loc[ids, numeric].to_numpy(float), dask.loc[ids, numeric].to_numpy(float),
                               rtol=1e-9, atol=1e-9, equal_nan=True)


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_an_unreachable_scheduler_stops_the_run_before_anything_is_written(tmp_path, raw, capsys):
    address = f"tcp://127.0.0.1:{_closed_port()}"
    config = project(tmp_path / "p", raw, {"backend": "dask", "scheduler": address, "connect_timeout_s": 2})
    status = main(["run", "--config", str(config)])
    assert status == 2
    err = capsys.readouterr().err
    assert "execution.scheduler" in err and address in err
    processed = tmp_path / "p" / "data" / "processed"
    written = sorted(p.name for p in processed.rglob("*") if p.is_file()) if processed.exists() else []
    assert written in ([], ["run.json"])  # at most the run record saying the run failed; no stage output
    if written:
        assert json.loads((processed / "run.json").read_text(encoding="utf-8"))["status"] != "ok"
    shutil.rmtree(tmp_path / "p")


@pytest.mark.parametrize("seed", range(6))
def test_allocation_over_the_nearest_schools_equals_the_one_over_every_school(seed):
    # Independent method: allocate_pupils over the whole parcels x schools matrix. The short lists (2 of
    # 9 schools) with tight capacities force MoreSchoolsNeeded; the lists grow until the result is exact.
    from pipeline import scenarios as sc

    rng = np.random.default_rng(seed)
    dist = rng.integers(100, 5000, size=(60, 9)).astype(float)
    pupils = rng.integers(0, 20, size=60)
    capacity = rng.integers(20, 120, size=9).astype(float)
    want = sc.allocate_pupils(dist, pupils, capacity, True)
    full = sc.NearSchools.from_matrix(dist)
    k, widened = 2, 0
    while True:
        near = sc.NearSchools(full.dist_m[:, :k], full.school[:, :k], 9)
        try:
            pairs = sc.allocate_near(near, pupils, capacity, True)
            break
        except sc.MoreSchoolsNeeded:
            k, widened = k * 2, widened + 1
    got = sc.allocation_matrix(pairs, want.shape)
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(pairs["dist_m"], dist[pairs["parcel"], pairs["school"]])
    assert widened >= 1 or capacity.sum() >= pupils.sum()  # tight seeds needed a longer list
