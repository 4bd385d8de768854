"""A run stopped by SIGTERM, SIGINT or SIGHUP records itself as killed (pipeline/core/signals.py): its line in
logs/runs.jsonl says killed and names the signal, its lock and mark are gone, no child lives on, nothing
published changed, and it exits with 128 + the signal's number. SIGKILL stays recorded by the next run
(tests/test_real_data_checks.py, tests/test_end_to_end.py).

The subprocess tests run `python -m pipeline` on the tiny municipality (tests/conftest.py) after a whole run
published its pages, and stop it while publish runs (once its page builder is forked, where it can be).
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from conftest import write_config, write_tiny_sources

from pipeline.cli import main
from pipeline.core.errors import Killed
from pipeline.core.signals import STOP_SIGNALS, stop_on_signals
from pipeline.publish.beside import can_fork

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """The tiny municipality's folder after a whole run (every stage, the pages published); its config path."""
    folder = tmp_path_factory.mktemp("signals")
    config = write_config(folder, {"sources": write_tiny_sources(folder)})
    assert main(["--quiet", "run", "--config", str(config)]) == 0
    return config


def published_files(folder: Path) -> dict[str, str]:
    """sha256 of every file the published maps hold, by its path under maps/."""
    maps = folder / "maps"
    return {str(p.relative_to(maps)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(maps.rglob("*")) if p.is_file()}


def default_dispositions() -> None:
    """In the child before exec: the stop signals at their defaults (an ignored SIGHUP would stay ignored)."""
    for s in STOP_SIGNALS:
        signal.signal(s, signal.SIG_DFL)


def live(pid: int) -> bool:
    """Whether the process runs (a zombie, ended but not yet reaped, does not)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_run_stopped_during_publish_records_itself_killed_and_leaves_no_child_and_the_pages(published, signum):
    folder = published.parent
    history = folder / "logs" / "runs.jsonl"
    lines_before = len(history.read_text(encoding="utf-8").splitlines())
    current_before = os.readlink(folder / "published" / "current")
    files_before = published_files(folder)
    assert "index.html" in files_before
    err_path = folder / f"stopped-{signum.name}.err"
    with open(err_path, "w", encoding="utf-8") as err:
        run = subprocess.Popen([sys.executable, "-m", "pipeline", "run", "--stage", "publish", "--force", "--config",
                                str(published)], cwd=REPO, stdout=subprocess.DEVNULL, stderr=err,
                               preexec_fn=default_dispositions)
    children: list[int] = []
    deadline = time.monotonic() + 300
    while run.poll() is None and time.monotonic() < deadline:
        running = "publish: running" in err_path.read_text(encoding="utf-8")
        children = [c.pid for c in psutil.Process(run.pid).children(recursive=True)] if running else []
        if running and (children or not can_fork()):
            break
        time.sleep(0.01)
    assert run.poll() is None, "the run ended before it was stopped:\n" + err_path.read_text(encoding="utf-8")
    run.send_signal(signum)
    assert run.wait(timeout=120) == 128 + signum
    assert not [pid for pid in children if live(pid)], "a child of the run lives on"
    stderr = err_path.read_text(encoding="utf-8")
    assert f"error: the run was stopped by {signum.name} while publish ran" in stderr and "Traceback" not in stderr
    lines = [json.loads(line) for line in history.read_text(encoding="utf-8").splitlines()[lines_before:]]
    assert len(lines) == 1, lines
    assert lines[0]["status"] == "killed" and lines[0]["signal"] == signum.name and lines[0]["ended"]
    assert lines[0]["error"] == f"the run was stopped by {signum.name} while publish ran"
    run_json = json.loads((folder / "data" / "processed" / "run.json").read_text(encoding="utf-8"))
    assert (run_json["run_id"], run_json["status"], run_json["signal"]) == (lines[0]["run_id"], "killed", signum.name)
    # nothing published changed, nothing half-built is left, the lock and the run's mark are gone
    assert os.readlink(folder / "published" / "current") == current_before
    assert published_files(folder) == files_before
    assert not list((folder / "published" / "releases").glob(".staging-*"))
    assert not (folder / "data" / "processed" / ".lock").exists()
    assert not list((folder / "logs" / "running").glob("*.json"))
    # the next run finds nothing to record for it: its own line only
    assert main(["--quiet", "run", "--stage", "ingest", "--config", str(published)]) == 0
    after = [json.loads(line) for line in history.read_text(encoding="utf-8").splitlines()[lines_before:]]
    assert [line["status"] for line in after] == ["killed", "ok"] and after[1]["signal"] is None


def test_a_signal_in_the_block_raises_killed_naming_it_and_the_handlers_are_put_back():
    before = signal.getsignal(signal.SIGHUP)
    with pytest.raises(Killed) as raised, stop_on_signals():
        os.kill(os.getpid(), signal.SIGHUP)
        time.sleep(5)  # the handler raises before this ends
    assert (raised.value.signal_name, raised.value.exit_code, raised.value.stage) == ("SIGHUP", 129, None)
    assert signal.getsignal(signal.SIGHUP) is before


def test_a_signal_ignored_before_the_run_stays_ignored_and_one_while_the_record_is_written_is_ignored():
    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    try:
        with stop_on_signals() as stop:
            os.kill(os.getpid(), signal.SIGHUP)
            time.sleep(0.2)
            with stop.held():
                os.kill(os.getpid(), signal.SIGTERM)
                time.sleep(0.2)
        assert stop.stopped_by is None
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, before)


def _sleep(ready) -> None:
    ready.set()
    time.sleep(60)


def started_copy(fork) -> multiprocessing.Process:
    """A forked copy of this process that sleeps, once it runs (a signal sent as it forks may be lost)."""
    ready = fork.Event()
    copy = fork.Process(target=_sleep, args=(ready,))
    copy.start()
    assert ready.wait(30)
    return copy


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_a_forked_copy_ends_at_its_own_signal_and_with_the_run():
    fork = multiprocessing.get_context("fork")
    with stop_on_signals():
        alone = started_copy(fork)
        os.kill(alone.pid, signal.SIGTERM)  # the copy inherits the handler: it ends, the run goes on
        alone.join(10)
        assert alone.exitcode == 128 + signal.SIGTERM
    with pytest.raises(Killed), stop_on_signals():
        copy = started_copy(fork)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)
    copy.join(10)
    assert not copy.is_alive() and copy.exitcode == -signal.SIGKILL  # killed with the run, not left to finish
