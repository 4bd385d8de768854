"""The catalogue of datasets: one writer per file, the runner's order and inputs derived from it, reads checked."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pyarrow.parquet as pq
import pytest

from pipeline import mix
from pipeline.core import datasets, datasets_views, log
from pipeline.core.runner import module_file, module_files, run_stages
from pipeline.core.stages import STAGES
from pipeline.publish.catalogue import INDICATORS, PATTERNS

REPO = Path(__file__).resolve().parents[1]


def test_every_file_has_one_writer_and_a_unique_name():
    files = [(d.folder, d.file) for d in datasets.DATASETS]
    assert len(files) == len(set(files))  # one entry (so one writer) per file
    assert len(datasets.CATALOGUE) == len(datasets.DATASETS)
    stage_names = {s.name for s in STAGES}
    for entry in datasets.DATASETS:
        assert entry.writer in stage_names and set(entry.readers) <= stage_names, entry.name
    # mix writes its district figures to a file of its own; ingest's districts have no other writer
    assert datasets.CATALOGUE["school_districts"].writer == "ingest"
    assert datasets.CATALOGUE["school_districts_mix"].writer == "mix"


def test_the_derived_order_and_inputs_are_what_the_catalogue_implies(tiny_config):
    order = datasets.run_order()
    # read off the catalogue by hand: mix reads ingest's layers, access mix's parcels_mix, scenarios access's
    # areas_access, publish the scenarios' tables
    assert order == ("ingest", "mix", "access", "scenarios", "publish")
    for entry in datasets.DATASETS:
        assert all(order.index(entry.writer) < order.index(r) for r in entry.readers if r != entry.writer), entry.name
    for stage in order[1:]:
        expected = {tiny_config.processed_dir / d.file for d in datasets.DATASETS
                    if stage in d.readers and d.writer != stage}
        assert set(datasets.inputs(tiny_config, stage)) == expected, stage
        written = {d.path(tiny_config) for d in datasets.DATASETS if d.writer == stage}
        assert set(datasets.outputs(tiny_config, stage)) == written, stage
    # the hand-read inputs of two stages
    names = {stage: {p.name for p in datasets.inputs(tiny_config, stage)} for stage in ("access", "publish")}
    assert {"parcels_mix.parquet", "housing_areas.parquet", "canopy.tif", "streets.parquet"} <= names["access"]
    assert "areas_mix.parquet" not in names["access"]
    assert {"school_districts_mix.parquet", "segregation.json", "scenarios_development.parquet"} <= names["publish"]
    # ingest reads the configured sources, not datasets
    assert {p.name for p in datasets.inputs(tiny_config, "ingest")} >= {"tiny.gpkg", "schools.shp", "jobs.csv"}


def test_a_catalogue_with_a_cycle_has_no_order():
    cyclic = dict(datasets.CATALOGUE)
    cyclic["ingest"] = datasets.Dataset("ingest", datasets.PROCESSED, "ingest.json", "json", "ingest", ("mix",), (),
                                        "x")
    cyclic["areas_mix"] = datasets.Dataset("areas_mix", datasets.PROCESSED, "areas_mix.parquet", "geoparquet", "mix",
                                           ("ingest",), (), "x")
    with pytest.raises(datasets.PipelineError, match="cycle"):
        datasets.run_order(cyclic)


def _ingested(config):
    with datasets.running("ingest"):
        from pipeline import ingest

        ingest.run(config)


def test_a_stage_reading_an_undeclared_dataset_fails(tiny_config):
    _ingested(tiny_config)
    # the real mix stage, with the catalogue's declaration that mix reads the parcels removed from a copy
    without = datasets.without_reader("parcels", "mix")
    with datasets.running("mix", without), pytest.raises(datasets.UndeclaredRead, match="mix stage reads 'parcels.parquet'"):
        mix.run(tiny_config)
    assert not tiny_config.processed("areas_mix.parquet").exists()
    # with the whole catalogue the same stage runs
    with datasets.running("mix"):
        mix.run(tiny_config)
    assert tiny_config.processed("areas_mix.parquet").exists()


def test_a_stage_writing_another_stages_dataset_fails(tiny_config):
    with datasets.running("mix"), pytest.raises(datasets.UndeclaredRead, match="mix stage writes 'housing_areas"):
        datasets.write(tiny_config, "housing_areas", gpd.GeoDataFrame({"area_id": []}, geometry=[]))


def test_every_stage_reads_only_what_it_declared_and_writes_the_catalogued_columns(tiny_config):
    # The runner runs each stage inside datasets.running(stage): one undeclared read fails the run.
    log.take_warnings()
    results = run_stages(tiny_config)
    assert [(r.name, r.status) for r in results] == [(s, "ran") for s in datasets.run_order()]
    for entry in datasets.DATASETS:
        path = entry.path(tiny_config)
        if entry.format not in ("geoparquet", "parquet") or not path.exists():
            continue
        written = set(pq.read_schema(path).names) - {"bbox"}
        assert written <= {c.name for c in entry.columns}, (entry.name, written - {c.name for c in entry.columns})
    # what the catalogue says needs a source the tiny municipality lacks (candidate sites, land cover, a plan,
    # stations, protected nature, statistics, a timetable) is absent or empty: a page may say "not supplied"
    lacking = {e.name: datasets.unsupplied(tiny_config, e.name) for e in datasets.DATASETS if datasets.unsupplied(tiny_config, e.name)}
    assert {name for name, layers in lacking.items() if "candidate_sites" in layers} == {
        "candidate_sites", "scenarios_school_sites", "scenarios_school_catchments", "scenarios_school_summary",
        "scenarios_development", "scenarios_development_summary"}
    assert lacking["green_nature_friendly"] == ("land_cover",) and lacking["plan_trajectory"] == ("plan_projects",)
    assert "school_districts_mix" not in lacking and "areas_access" not in lacking
    for name in lacking:
        path = datasets.CATALOGUE[name].path(tiny_config)
        assert not path.exists() or (path.suffix == ".parquet" and pq.ParquetFile(path).metadata.num_rows == 0), name


def test_every_column_is_classified_once():
    # One classification: the catalogue's columns carry a kind only; person-based comes from the publish catalogue.
    assert [f for f in datasets.Column.__dataclass_fields__] == ["name", "kind"]
    for entry in datasets.DATASETS:
        for column in entry.columns:
            if column.kind == "geometry":
                continue
            by_name = column.name in INDICATORS
            by_pattern = [p for p in PATTERNS if column.name.startswith(p)]
            assert by_name + len(by_pattern) == 1, (entry.name, column.name)
            assert isinstance(column.person, bool)
    person = {c.name: c.person for c in datasets.CATALOGUE["areas"].columns}
    # hand-checked against CONTRACT 7: residents and the status count people; dwellings and ids do not
    assert person["residents"] and person["status"] and person["lq_non_western"]
    assert not person["dwellings"] and not person["area_id"] and not person["canopy_share"]


def test_code_files_are_found_statically():
    names = {p.relative_to(REPO / "pipeline").as_posix() for p in module_files("pipeline.access")}
    assert {"access/__init__.py", "access/jobs.py", "access/green.py", "core/io.py", "core/datasets.py",
            "core/catalogue.py", "__init__.py"} <= names
    # access uses mix's public names (the district-school links), never a later stage's code
    assert "mix/__init__.py" in names
    assert not {"scenarios/__init__.py", "publish/pages/index.py"} & names
    assert not [n for n in names if n.startswith("ingest/")]
    # `from pipeline.network import X` brings the package's __init__ and every module it imports: an edit to
    # the searches or the cache re-runs access and scenarios (listed by hand from pipeline/network/)
    network = {f"network/{name}.py" for name in ("__init__", "graph", "cache", "search", "chains", "nearest", "sums")}
    assert network <= names
    scenarios = {p.relative_to(REPO / "pipeline").as_posix() for p in module_files("pipeline.scenarios")}
    assert network | {"scenarios/distances.py"} <= scenarios
    ingest = {p.relative_to(REPO / "pipeline").as_posix() for p in module_files("pipeline.ingest")}
    # the stage's package brings every module of it: the cleaning, the schema, the canopy raster
    assert {"ingest/__init__.py", "ingest/clean.py", "ingest/schema.py", "ingest/canopy.py", "sources/osm.py"} <= ingest
    assert "core/datasets_views.py" not in ingest  # the generated docs and Makefile rules are no stage's code
    publish = {p.relative_to(REPO / "pipeline").as_posix() for p in module_files("pipeline.publish")}
    assert {"publish/__init__.py", "publish/pages/index.py", "publish/pages/kit.py", "publish/catalogue.py"} <= publish
    # what the pages read at run time is code too: an edited template or catalogue re-runs publish
    assert {"publish/templates/page.css", "publish/templates/panel_head.html",
            "publish/locale/da/LC_MESSAGES/common.po"} <= publish
    assert not [n for n in publish if n.startswith("ingest/")]


def _statuses(config: Path) -> dict[str, str]:
    """Each stage's status in the run.json of the config's last run."""
    run = json.loads((config.parent / "data" / "processed" / "run.json").read_text(encoding="utf-8"))
    return {s["name"]: s["status"] for s in run["stages"]}


def _run(project: Path, config: Path) -> None:
    # cwd first on sys.path: `-m pipeline` runs the copy's package, whose files the test edits
    result = subprocess.run([sys.executable, "-m", "pipeline", "--quiet", "run", "--config", str(config)], cwd=project,
                            text=True, capture_output=True, timeout=600)
    assert result.returncode == 0, result.stderr


def _edit(project: Path, module: str) -> None:
    """Append a comment to the copy's source file of a pipeline module (a package's __init__.py)."""
    with open(project / module_file(module).relative_to(REPO), "a", encoding="utf-8") as handle:
        handle.write("\n# an edit\n")


@pytest.mark.slow
def test_editing_one_stages_module_reruns_it_and_the_later_stages_only(tiny_project, tmp_path):
    project = tmp_path / "copy"
    shutil.copytree(REPO / "pipeline", project / "pipeline", ignore=shutil.ignore_patterns("__pycache__"))
    _run(project, tiny_project)
    assert set(_statuses(tiny_project).values()) == {"ran"}
    _run(project, tiny_project)
    assert set(_statuses(tiny_project).values()) == {"skipped"}
    order = ["ingest", "mix", "access", "scenarios", "publish"]
    # Each edit, and the stages it must re-run, read off the order: the edited stage and every later one
    # (each later stage reads, directly or through another, what the edited one writes); a module inside a
    # stage's package (ingest's cleaning) counts as the stage's code; a page's module re-runs publish only.
    edits = [("pipeline.access", "access"), ("pipeline.mix", "mix"), ("pipeline.ingest.clean", "ingest"),
             ("pipeline.scenarios.ranking", "scenarios"), ("pipeline.publish", "publish"),
             ("pipeline.network.chains", "access")]  # access and scenarios import the network package
    for module, stage in edits:
        _edit(project, module)
        _run(project, tiny_project)
        expected = {s: "ran" if order.index(s) >= order.index(stage) else "skipped" for s in order}
        assert _statuses(tiny_project) == expected, module


def test_the_makefile_fragment_is_generated_without_the_environment(tmp_path):
    # The system Python with nothing installed (-S: no site-packages) generates the stage rules.
    result = subprocess.run([sys.executable, "-S", "-m", "pipeline.core.datasets", "makefile"], cwd=REPO, text=True,
                            capture_output=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout == datasets_views.makefile_fragment()
    assert "$(STAMPS)/access.json: $(STAMPS)/ingest.json $(STAMPS)/mix.json\n" in result.stdout
    assert "STAGE_NAMES := ingest mix access scenarios publish\n" in result.stdout


def test_architecture_doc_shows_the_catalogue():
    doc = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert datasets_views.architecture_table() in doc, "regenerate the table: python -m pipeline.core.datasets table"
    assert datasets_views.flow_diagram() in doc, "regenerate the picture: python -m pipeline.core.datasets diagram"
    assert "[scenarios]\n   ◀─ ingest: housing_areas," in datasets_views.flow_diagram()


def test_a_read_outside_a_stage_is_not_checked(tiny_config):
    _ingested(tiny_config)
    frame = datasets.read(tiny_config, "housing_areas", columns=["area_id"])
    assert list(frame.columns) == ["area_id", "geometry"] and len(frame) == 2
