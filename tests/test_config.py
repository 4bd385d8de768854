"""The config schema: every mistake an exit 2 naming the file, the key and the fix, before any stage runs.

Each bad config is a real YAML file beside a tiny project that was published once; the command line must
exit 2, say what is wrong and what to write instead, and leave every published and processed file as it was.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
import yaml
from conftest import write_tiny_sources

from pipeline.cli import main
from pipeline.core.config import DEFAULTS_FILE, configuration_docs, load_config
from pipeline.core.config_schema import PipelineConfig, Source, Sources, check_config

REPO = Path(__file__).resolve().parents[1]


def write_yaml(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def snapshot(root: Path) -> dict[str, str]:
    """sha256 of every file under the project's outputs (processed, published, maps)."""
    files = [p for folder in ("data/processed", "published", "maps") for p in (root / folder).rglob("*") if p.is_file()]
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in files}


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> tuple[Path, dict]:
    """A tiny project run once end to end: (its folder, its sources config)."""
    root = tmp_path_factory.mktemp("published")
    sources = write_tiny_sources(root)
    config = write_yaml(root / "config.yaml", {"root": ".", "sources": sources})
    assert main(["--quiet", "run", "--config", str(config)]) == 0
    assert (root / "published" / "current").exists()
    return root, sources


def run_bad(published, capsys, changes: dict, command: str = "run") -> str:
    """Run the command on the project with `changes` written into its config; assert exit 2 and nothing
    changed; return the message."""
    root, sources = published
    data = {"root": ".", "sources": sources}
    for section, value in changes.items():
        data[section] = {**data[section], **value} if isinstance(value, dict) and section in data else value
    bad = write_yaml(root / "bad.yaml", data)
    before = snapshot(root)
    capsys.readouterr()
    assert main([command, "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err, err  # the message names the config file
    assert snapshot(root) == before
    return err


@pytest.mark.parametrize("command", ["run", "validate"])
def test_threshold_with_a_decimal_comma_says_write_with_a_point(published, capsys, command):
    err = run_bad(published, capsys, {"mix": {"c1_outside_work_edu_gt": "0,40"}}, command)
    assert "mix.c1_outside_work_edu_gt" in err and "'0,40'" in err
    assert "write 0.40" in err


def test_share_written_as_a_percentage_says_so(published, capsys):
    err = run_bad(published, capsys, {"mix": {"c1_outside_work_edu_gt": 40}})
    assert "mix.c1_outside_work_edu_gt is 40" in err
    assert "looks like a percentage: write 0.40" in err


@pytest.mark.parametrize("section", ["privacy", "mix"])
def test_misspelt_key_names_the_closest_known_one(published, capsys, section):
    err = run_bad(published, capsys, {section: {"min_residets": 500}})
    assert f"key {section}.min_residets is not a known key" in err
    assert f"did you mean {section}.min_residents?" in err


def test_negative_count_is_refused(published, capsys):
    err = run_bad(published, capsys, {"privacy": {"min_residents": -1000}})
    assert "privacy.min_residents is -1000" in err and "range >= 0" in err
    assert "the default is 100" in err


def test_zero_walking_speed_is_refused(published, capsys):
    err = run_bad(published, capsys, {"access": {"walk_m_per_min": 0}})
    assert "access.walk_m_per_min is 0" in err and "range > 0 (m/min)" in err
    assert "the default is 80" in err


def test_unknown_source_layer_is_refused(published, capsys):
    root, sources = published
    err = run_bad(published, capsys, {"sources": {"schols": sources["schools"]}})
    assert "key sources.schols is not a known layer" in err
    assert "did you mean sources.schools?" in err


def test_unknown_key_inside_a_source_is_refused(published, capsys):
    root, sources = published
    jobs = {**sources["jobs"], "colums": {"site_id": "pnr"}}
    err = run_bad(published, capsys, {"sources": {"jobs": jobs}})
    assert "key sources.jobs.colums is not a known key" in err
    assert "did you mean sources.jobs.columns?" in err


def test_every_mistake_is_listed_at_once(published, capsys):
    err = run_bad(published, capsys, {"privacy": {"min_residets": 500}, "access": {"bike_m_per_min": "fast"},
                                      "execution": {"backend": "Dask"}})
    assert "Bad input (3 problems)" in err
    assert "privacy.min_residets" in err and "access.bike_m_per_min is 'fast'" in err
    assert "execution.backend is 'Dask'" in err and "did you mean dask?" in err


def test_config_problem_is_reported_before_any_input_is_read(published, capsys):
    root, sources = published
    missing = {**sources, "parcels": {"path": "raw/no-such-file.gpkg"}}
    err = run_bad((root, missing), capsys, {"access": {"walk_m_per_min": 0}}, "validate")
    assert "Bad input (1 problem)" in err and "no-such-file" not in err


def test_validate_runs_no_stage(tiny_project, capsys):
    assert main(["validate", "--config", str(tiny_project)]) == 0
    err = capsys.readouterr().err
    assert "every key known and in range" in err and "parcels: 4 rows, valid" in err
    processed = tiny_project.parent / "data" / "processed"
    assert not processed.exists() or not any(processed.iterdir())
    assert not (tiny_project.parent / "published").exists()


def test_defaults_alone_validate():
    defaults = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))
    checked = check_config(defaults, file=DEFAULTS_FILE, project={}, defaults=defaults, defaults_file=DEFAULTS_FILE)
    assert checked["access"]["walk_m_per_min"] == 80


def _schema_keys(model, prefix: str = "") -> set[str]:
    """Every key path of the schema, sections walked into (sources and segregation groups are leaves)."""
    keys = set()
    for name, field in model.model_fields.items():
        path = f"{prefix}{name}"
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, PipelineConfig.__base__) and annotation is not Sources:
            keys |= _schema_keys(annotation, f"{path}.")
        else:
            keys.add(path)
    return keys


def _default_keys(data: dict, prefix: str = "") -> set[str]:
    """Every key path of defaults.yaml, with the same leaves."""
    keys = set()
    for name, value in data.items():
        path = f"{prefix}{name}"
        if isinstance(value, dict) and path not in ("sources", "mix.segregation_groups", "mix.rule_sets", "ingest.osm.highway", "ingest.osm.closed_by",
                                                             "ingest.osm_land_cover.tags", "ingest.osm_land_cover.highway_width_m",
                                                             "plan.residents_per_dwelling"):
            keys |= _default_keys(value, f"{path}.")
        else:
            keys.add(path)
    return keys


def test_every_schema_key_has_a_default_and_every_default_a_schema_key():
    defaults = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))
    schema = _schema_keys(PipelineConfig)
    assert schema == _default_keys(defaults), "add the key to both pipeline/defaults.yaml and pipeline/core/config_schema/"
    assert set(defaults["sources"]) == set(Sources.model_fields)


def test_every_layer_the_pipeline_reads_is_a_source_of_the_schema():
    from pipeline.core import stages

    layers = {name for attr in dir(stages) if attr.endswith("_LAYERS") for name in getattr(stages, attr)}
    assert set(Sources.model_fields) == layers


def test_objectives_of_the_schema_are_those_the_scenarios_rank_by():
    from typing import get_args

    from pipeline.scenarios import DEVELOPMENT_OBJECTIVES, SCHOOL_OBJECTIVES

    fields = PipelineConfig.model_fields["scenarios"].annotation.model_fields
    assert set(get_args(fields["school_objective"].annotation)) == set(SCHOOL_OBJECTIVES)
    assert set(get_args(fields["development_objective"].annotation)) == set(DEVELOPMENT_OBJECTIVES)


def test_configuration_reference_is_the_generated_text():
    committed = (REPO / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert committed == configuration_docs(), "run `python -m pipeline config-docs` and commit docs/configuration.md"


def test_reference_lists_every_key_with_its_default_and_range():
    text = configuration_docs()
    row = next(line for line in text.splitlines() if line.startswith("| `mix.c1_outside_work_edu_gt`"))
    assert [c.strip() for c in row.split("|")[2:6]] == ["number", "share", "0 .. 1", "0.4"]
    keys = (_schema_keys(PipelineConfig) - {"sources"}) | {f"sources.{layer}" for layer in Sources.model_fields}
    for key in keys:
        assert f"| `{key}` |" in text, key
    for name in Source.model_fields:
        assert f"| `{name}` |" in text, name


@pytest.mark.parametrize("path", sorted((REPO / "config").rglob("*.yaml")), ids=lambda p: p.name)
def test_every_shipped_config_validates(path):
    load_config(path)


def test_values_are_coerced_where_safe_and_data_stays_a_plain_dict(tmp_path):
    config = load_config(write_yaml(tmp_path / "c.yaml", {"access": {"walk_m_per_min": 70}, "data_date": "2024-06-30",
                                                          "sources": {"jobs": {"path": "j.csv", "x": "x", "y": "y"}}}))
    assert type(config.data) is dict and config["access"]["walk_m_per_min"] == 70.0
    assert isinstance(config["access"]["walk_m_per_min"], float)
    assert config["sources"]["jobs"] == {"path": "j.csv", "x": "x", "y": "y"}  # keys not given stay absent
    assert config["sources"]["parcels"] is None


def test_unquoted_yaml_date_is_read_as_text(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("data_date: 2024-06-30\n", encoding="utf-8")
    assert load_config(path)["data_date"] == "2024-06-30"


@pytest.mark.parametrize(("changes", "fix"), [
    ({"crs": "EPSG:4326"}, "not a projected CRS in metres"),
    ({"extent": [10, 0, 5, 1]}, "xmin < xmax"),
    ({"sources": {"jobs": {"path": "j.csv", "x": "x"}}}, "needs both x and y"),
    ({"sources": {"jobs": {"path": "j.csv", "crs": "EPSG:99999"}}}, "write an EPSG code"),
    ({"sources": {"schools": {"path": "s.shp", "encoding": "cp9999"}}}, "write e.g. cp1252"),
    ({"sources": {"streets": {"required": False}}}, "neither a path nor a url"),
    ({"mix": {"udsat_min_criteria": True}}, "write a number"),
    ({"publish": {"classes": 2.5}}, "write a whole number"),
    ({"publish": {"classes": 6}}, "outside its range 1 .. 5"),  # more classes are not colour-blind safe
    ({"mix": {"regional_mean_income": "416,000"}}, "or 416000 without a thousands separator"),
    ({"access": {"detour_factor": 0.9}}, "range >= 1"),
    ({"privacy": None}, "write a mapping"),
])
def test_cheap_cross_checks_and_wrong_types(tmp_path, changes, fix):
    with pytest.raises(Exception) as caught:
        load_config(write_yaml(tmp_path / "c.yaml", changes))
    assert caught.value.exit_code == 2 and fix in str(caught.value), str(caught.value)


def test_unknown_key_in_the_defaults_asks_for_a_schema_line(tmp_path, monkeypatch):
    defaults = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))
    defaults["access"]["walk_speed_kmh"] = 4.8  # a key no schema line types
    with pytest.raises(Exception) as caught:
        check_config(defaults, file=tmp_path / "c.yaml", project={}, defaults=defaults, defaults_file=DEFAULTS_FILE)
    message = str(caught.value)
    assert f"file {DEFAULTS_FILE}: key access.walk_speed_kmh is not a known key" in message
    assert "class Access in pipeline/core/config_schema/sections.py" in message


# --- progress ---------------------------------------------------------------------------------------------

PROGRESS_LINE = re.compile(r"Access: jobs within 15 min at 80 m/min: 100 % \(1 of 1 chunks\)")


def _progress_project(tiny_project: Path) -> Path:
    data = yaml.safe_load(tiny_project.read_text(encoding="utf-8"))
    # the tiny fixture's schools lie 750 m from its one routable street: within reach, so their searches run
    access = {**(data.get("access") or {}), "max_snap_m": 1500}
    return write_yaml(tiny_project, {**data, "progress_every_s": 0, "access": access})


def test_progress_is_logged_when_stderr_is_not_a_terminal(tiny_project, capsys):
    config = _progress_project(tiny_project)
    assert main(["run", "--stage", "ingest", "--stage", "mix", "--stage", "access", "--config", str(config)]) == 0
    err = capsys.readouterr().err
    assert PROGRESS_LINE.search(err), err
    assert re.search(r"Access: distance to schools: 100 % \(1 of 1 chunks\)", err)


def test_quiet_run_logs_no_progress(tiny_project, capsys):
    config = _progress_project(tiny_project)
    assert main(["--quiet", "run", "--stage", "ingest", "--stage", "mix", "--stage", "access", "--config", str(config)]) == 0
    err = capsys.readouterr().err
    assert "Access:" not in err and " % (" not in err
    # the run's own log file keeps the progress lines
    log_file = max((tiny_project.parent / "logs").glob("*.log"), key=lambda p: p.stat().st_mtime_ns)
    assert PROGRESS_LINE.search(log_file.read_text(encoding="utf-8"))


@pytest.fixture
def progress_every(request):
    """Configure the progress log lines for one test, and restore the settings after it."""
    from pipeline.core import progress

    saved = (progress._settings.bar, progress._settings.every_s)
    yield lambda every_s: progress.configure(bar=False, every_s=every_s)
    progress.configure(bar=saved[0], every_s=saved[1])


def test_track_logs_a_line_at_each_tenth(progress_every, caplog):
    from pipeline.core.progress import track

    progress_every(0)
    with caplog.at_level("INFO", logger="pipeline"):
        assert list(track(range(20), "Test: work", unit="items")) == list(range(20))
    lines = [r.getMessage() for r in caplog.records]
    # 20 items, a line at each tenth: after items 2, 4, ..., 20
    assert lines == [f"Test: work: {10 * k} % ({2 * k} of 20 items)" for k in range(1, 11)]


def test_quick_work_logs_nothing(progress_every, caplog):
    from pipeline.core.progress import track

    progress_every(3600)
    with caplog.at_level("INFO", logger="pipeline"):
        list(track(range(2000), "Test: work"))
    assert caplog.records == []


def test_step_names_the_stage_and_the_arguments(progress_every, caplog):
    from pipeline.core.progress import fraction, step, track

    @step("jobs within {minutes:g} min")
    def work(items, *, minutes: float):
        report = fraction()
        report(0.5, "")
        report(1.0, "")
        return list(track(items))

    progress_every(0)
    with caplog.at_level("INFO", logger="pipeline"):
        work([1, 2], minutes=15.0)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[:2] == ["Test_config: jobs within 15 min: 50 %", "Test_config: jobs within 15 min: 100 %"]
    assert lines[2:] == ["Test_config: jobs within 15 min: 50 % (1 of 2 chunks)", "Test_config: jobs within 15 min: 100 % (2 of 2 chunks)"]
