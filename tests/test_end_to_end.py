"""The whole pipeline through `make all` on the demo municipality, in a copy of the project."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pytest

from pipeline.core import datasets
from pipeline.core.stages import MAP_PAGES, VECTOR_LAYERS

REPO = Path(__file__).resolve().parents[1]
STATUSES = {"none", "forebyggelse", "udsat", "parallelsamfund", "omdannelse"}

pytestmark = pytest.mark.slow


def make(project: Path, *targets: str, check: bool = True) -> subprocess.CompletedProcess:
    """Run make in the project copy with this test run's virtual environment."""
    venv = Path(sys.prefix)
    # INSTALLED names a stamp inside the copy, so make never (re)installs into this run's environment
    result = subprocess.run(["make", *targets, f"VENV={venv}", f"INSTALLED={project / '.installed'}", "QUIET=--quiet"],
                            cwd=project, text=True, capture_output=True, timeout=1200)
    if check and result.returncode != 0:
        raise AssertionError(f"make {' '.join(targets)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result


def pipeline_cli(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=project, text=True, capture_output=True,
                          timeout=1200)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A copy of the project on which `make all` has run once (demo data made because data/raw is empty)."""
    if not (Path(sys.prefix) / "pyvenv.cfg").exists():
        pytest.skip("the end-to-end test runs make with this virtual environment")
    root = tmp_path_factory.mktemp("project")
    for name in ("pipeline", "config"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.tmp"))
    for name in ("Makefile", "pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, root / name)
    for folder in ("data/raw", "data/processed", "maps", "logs"):
        (root / folder).mkdir(parents=True)
        (root / folder / ".gitkeep").touch()
    os.utime(root / "pyproject.toml", (0, 0))  # the environment is installed already: make must not reinstall
    (root / ".installed").touch()
    make(root, "all")
    return root


def test_make_all_writes_every_layer_and_page(project):
    processed = project / "data" / "processed"
    for layer in VECTOR_LAYERS:
        frame = gpd.read_parquet(processed / f"{layer}.parquet")
        assert frame.crs.to_epsg() == 25832 and len(frame) > 0, layer
    for page in MAP_PAGES:
        assert (project / "maps" / page).stat().st_size > 1000, page
    run = json.loads((processed / "run.json").read_text())
    assert run["status"] == "ok" and run["inputs"] and all(len(i["sha256"]) == 64 for i in run["inputs"])
    assert {s["name"] for s in run["stages"]} == {"ingest", "mix", "access", "scenarios", "publish"}


def test_each_stage_uses_what_the_catalogue_declares_and_writes_its_columns(project):
    processed = project / "data" / "processed"
    for stage in datasets.run_order()[1:]:
        used = set(json.loads((processed / ".stamps" / f"{stage}.json").read_text())["used"])
        # every declared input is asked for (read or checked for; network.npz through datasets.input_path)
        declared = {d.name for d in datasets.reads_of(stage)}
        assert declared <= used, (stage, sorted(declared - used))
    # the demo has every layer but grid statistics: every other dataset is written, with the columns
    # the catalogue lists (no more)
    for entry in datasets.DATASETS:
        path = project / ("maps" if entry.folder == datasets.MAPS else "data/processed") / entry.file
        if entry.name == "grid_statistics":
            assert not path.exists()
            continue
        assert path.exists(), entry.name
        if entry.format in ("geoparquet", "parquet"):
            written = set(pq.read_schema(path).names) - {"bbox"}
            assert written <= {c.name for c in entry.columns}, (entry.name, written - {c.name for c in entry.columns})


def test_demo_areas_span_every_status(project):
    areas = gpd.read_parquet(project / "data" / "processed" / "areas_mix.parquet")
    assert set(areas.status) == STATUSES
    assert areas.status.notna().all()


def test_demo_history_makes_an_omdannelse_area_by_its_years(project):
    processed = project / "data" / "processed"
    history = pd.read_parquet(processed / "areas_mix_history.parquet")
    areas = gpd.read_parquet(processed / "areas_mix.parquet").set_index("area_id")
    assert sorted(history.year.unique()) == [2020, 2021, 2022, 2023, 2024]
    status = history.pivot(index="area_id", columns="year", values="status")
    listed = history.pivot(index="area_id", columns="year", values="years_listed")
    omdannelse = areas.index[areas.status == "omdannelse"]
    assert len(omdannelse) >= 1
    for area in omdannelse:
        # a parallelsamfund in each of the four earlier years (years_listed 0, 1, 2, 3 counted from the history),
        # so omdannelse in 2024: 4 + 1 >= 5
        assert status.loc[area].tolist() == ["parallelsamfund"] * 4 + ["omdannelse"]
        assert listed.loc[area].tolist() == [0, 1, 2, 3, 4] and areas.loc[area, "years_listed"] == 4
    # the forebyggelse area had no status under the 2018 rules (2020), which had no prevention areas
    prevention = areas.index[areas.status == "forebyggelse"]
    assert (status.loc[prevention, 2020] == "none").all() and (status.loc[prevention, 2021] == "forebyggelse").all()
    assert set(history.loc[history.year == 2020, "rule_set"]) == {"ghetto_2018"}
    latest = history[history.year == 2024].set_index("area_id").loc[areas.index]
    assert latest.status.tolist() == areas.status.tolist()
    assert latest.residents.tolist() == areas.residents.tolist()
    # no typed years_listed of the demo contradicts its history
    run = json.loads((processed / "run.json").read_text())
    assert not [w for w in run["warnings"] if "typed years_listed" in w]


def test_areas_csv_publishes_the_path_off_the_list(project):
    processed = project / "data" / "processed"
    areas = gpd.read_parquet(processed / "areas_mix.parquet").set_index("area_id")
    csv = pd.read_csv(processed / "areas.csv", dtype={"area_id": str}).set_index("area_id")
    for column in ("path_c1_persons", "path_c2_persons", "path_c3_persons", "path_c4_income_dkk", "path_criteria",
                   "path_persons"):
        assert column in csv.columns, column
    listed = areas.index[areas.status.isin(["udsat", "parallelsamfund", "omdannelse"])]
    assert areas.loc[listed, "path_criteria"].notna().all()
    assert csv.loc[listed, "path_criteria"].tolist() == areas.loc[listed, "path_criteria"].tolist()


def test_areas_tables_have_one_row_per_area_with_every_indicator(project):
    processed = project / "data" / "processed"
    housing = gpd.read_parquet(processed / "housing_areas.parquet")
    areas = gpd.read_parquet(processed / "areas.parquet")
    csv = pd.read_csv(processed / "areas.csv")
    assert sorted(areas.area_id) == sorted(housing.area_id) and len(csv) == len(housing)
    for column in ("status", "share_social_family", "tenure_diversity", "criteria_met", "school_dist_m",
                   "jobs_bike_30", "green_dist_m", "canopy_share"):
        assert column in areas.columns, column
    # every output made from the demo says it is synthetic
    assert csv.data_note.str.contains("Synthetic demonstration data").all()
    assert "Synthetic demonstration data" in (project / "maps" / "index.html").read_text(encoding="utf-8")


def test_second_make_all_rebuilds_nothing(project):
    stamps = project / "data" / "processed" / ".stamps"
    before = {p.name: p.stat().st_mtime_ns for p in stamps.glob("*.json")}
    result = make(project, "all")
    assert "running" not in result.stderr
    assert "pipeline run" not in result.stdout  # make found every stage target up to date
    assert {p.name: p.stat().st_mtime_ns for p in stamps.glob("*.json")} == before


def test_touching_an_input_rechecks_but_recomputes_nothing(project):
    processed = project / "data" / "processed"
    outputs = {p.name: p.stat().st_mtime_ns for p in processed.glob("*.parquet")}
    os.utime(project / "data" / "raw" / "stations.csv")
    make(project, "all")
    run = json.loads((processed / "run.json").read_text())
    assert [s["status"] for s in run["stages"]] == ["not selected"] * 4 + ["skipped"]
    assert {p.name: p.stat().st_mtime_ns for p in processed.glob("*.parquet")} == outputs


def test_changed_threshold_reruns_mix_and_what_follows_not_ingest(project):
    config = project / "config" / "pipeline.yaml"
    original = config.read_text()
    try:
        # no area has 100,000 residents: every status becomes none, so mix's outputs change
        config.write_text(original + "\nmix:\n  min_residents: 100000\n")
        result = pipeline_cli(project, "run")
        assert result.returncode == 0, result.stderr
        run = json.loads((project / "data" / "processed" / "run.json").read_text())
        status = {s["name"]: s["status"] for s in run["stages"]}
        assert status == {"ingest": "skipped", "mix": "ran", "access": "skipped", "scenarios": "ran", "publish": "ran"}
        assert set(gpd.read_parquet(project / "data" / "processed" / "areas_mix.parquet").status) == {"none"}
        # a setting that changes no result (nor any text: the pages state min_residents, not the comparison's
        # decimals) re-runs mix (its config changed) but publishes nothing new
        config.write_text(original + "\nmix:\n  min_residents: 100000\n  compare_decimals: 11\n")
        assert pipeline_cli(project, "run").returncode == 0
        run = json.loads((project / "data" / "processed" / "run.json").read_text())
        assert {s["name"]: s["status"] for s in run["stages"]}["publish"] == "skipped"
    finally:
        config.write_text(original)
        assert pipeline_cli(project, "run").returncode == 0


def test_duplicated_parcel_id_exits_2_and_leaves_the_published_pages(project):
    gpkg = project / "data" / "raw" / "municipality.gpkg"
    backup = gpkg.read_bytes()
    index = project / "maps" / "index.html"
    page_before = index.read_bytes()
    parcels = gpd.read_file(gpkg, layer="parcels", engine="pyogrio")
    duplicated = parcels.parcel_id.iloc[0]
    parcels.loc[parcels.index[1], "parcel_id"] = duplicated
    parcels.to_file(gpkg, layer="parcels", engine="pyogrio")
    try:
        result = pipeline_cli(project, "run")
        assert result.returncode == 2
        assert "municipality.gpkg" in result.stderr and "'parcel_id'" in result.stderr
        assert str(duplicated) in result.stderr and "What to do:" in result.stderr
        assert index.read_bytes() == page_before
        failed = make(project, "all", check=False)
        assert failed.returncode != 0 and index.read_bytes() == page_before
    finally:
        gpkg.write_bytes(backup)


def test_sigkill_at_any_moment_of_publish_leaves_readable_pages_and_the_next_run_completes(project):
    import signal
    import threading

    maps = project / "maps"
    seen_broken: list[str] = []
    stop = threading.Event()

    def read_pages() -> None:
        """A planner reloading the pages throughout: every read must be a whole page."""
        while not stop.is_set():
            for page in MAP_PAGES:
                text = (maps / page).read_text(encoding="utf-8")
                if not text.rstrip().endswith("</html>"):
                    seen_broken.append(page)

    reader = threading.Thread(target=read_pages)
    reader.start()
    try:
        for delay_s in (0.5, 1.5, 3.0, 5.0, 7.0):
            proc = subprocess.Popen([sys.executable, "-m", "pipeline", "--quiet", "run", "--stage", "publish", "--force"],
                                    cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(delay_s)
            proc.send_signal(signal.SIGKILL)
            proc.wait()
    finally:
        stop.set()
        reader.join()
    assert seen_broken == []
    result = pipeline_cli(project, "run", "--stage", "publish", "--force")
    assert result.returncode == 0, result.stderr
    run = json.loads((project / "data" / "processed" / "run.json").read_text())
    assert run["status"] == "ok" and "publish" in [s["name"] for s in run["stages"] if s["status"] == "ran"]
    releases = project / "published" / "releases"
    assert not [p for p in releases.iterdir() if p.name.startswith(".staging")]
