"""The command line: help on every command, --quiet before or after the command, exit statuses."""

from __future__ import annotations

import subprocess
import sys

import pytest

from pipeline.cli import _parser, main

COMMANDS = ("run", "refresh", "rollback", "validate", "demo-data", "config-docs")


@pytest.mark.parametrize("argv", [["--quiet", "run"], ["run", "--quiet"], ["--quiet", "refresh"]])
def test_quiet_is_honoured_before_and_after_the_command(argv):
    assert _parser().parse_args(argv).quiet is True


def test_not_quiet_by_default():
    assert _parser().parse_args(["run"]).quiet is False


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command):
    result = subprocess.run([sys.executable, "-m", "pipeline", command, "--help"], capture_output=True, text=True)
    assert result.returncode == 0
    assert f"python -m pipeline {command}" in result.stdout


def test_quiet_run_prints_no_progress(tiny_project, capsys):
    assert main(["--quiet", "run", "--stage", "ingest", "--config", str(tiny_project)]) == 0
    assert "running" not in capsys.readouterr().err
    assert main(["run", "--stage", "ingest", "--config", str(tiny_project)]) == 0
    assert "ingest: skipped" in capsys.readouterr().err


def test_missing_config_is_bad_input(tmp_path, capsys):
    assert main(["run", "--config", str(tmp_path / "nope.yaml")]) == 2
    err = capsys.readouterr().err
    assert "nope.yaml" in err and "does not exist" in err


def test_config_docs_writes_the_generated_reference(tmp_path):
    from pipeline.core.config import configuration_docs

    out = tmp_path / "configuration.md"
    assert main(["--quiet", "config-docs", "--out", str(out)]) == 0
    assert out.read_text(encoding="utf-8") == configuration_docs()


def test_bad_config_key_exits_2_naming_the_key(tmp_path, capsys):
    config = tmp_path / "pipeline.yaml"
    config.write_text("access:\n  walk_m_per_min: 0\n", encoding="utf-8")
    assert main(["validate", "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert "access.walk_m_per_min is 0" in err and str(config) in err
