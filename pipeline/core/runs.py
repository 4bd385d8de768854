"""Where the analyst finds out what happened: a log file per run and one line per run in logs/runs.jsonl."""

from __future__ import annotations

import json
import logging
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

from pipeline.core.config import Config
from pipeline.core.lock import process_alive
from pipeline.core.log import log

HISTORY_FILE = "runs.jsonl"
RUNNING_FOLDER = "running"  # logs/running/<run_id>.json while a run is under way
LOG_FORMAT = "%(asctime)s %(levelname)s %(message)s"


def start_run_log(config: Config, run_id: str) -> logging.Handler:
    """Send this run's log to logs/<run_id>.log and remove the oldest logs beyond refresh.keep_logs."""
    folder = config.logs_dir
    folder.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(folder / f"{run_id}.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.setLevel(logging.INFO)
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    keep = int(config["refresh"]["keep_logs"])
    for old in sorted(folder.glob("*.log"), key=lambda p: (p.stat().st_mtime_ns, p.name))[:-keep]:
        old.unlink(missing_ok=True)
    return handler


def stop_run_log(handler: logging.Handler) -> None:
    """Close the run's log file."""
    log.removeHandler(handler)
    handler.close()


def append_history(config: Config, record: dict) -> Path:
    """Append one line for this run to logs/runs.jsonl (a single write, so lines never interleave)."""
    path = config.logs_dir / HISTORY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
    with open(path, "a", encoding="utf-8") as handle:
        handle.write(line)
    return path


def history_line(run: dict) -> dict:
    """The runs.jsonl summary of a run.json record."""
    stages = run.get("stages", [])
    return {
        "run_id": run["run_id"],
        "started": run["started"],
        "ended": run["ended"],
        "status": run["status"],
        "stages_run": [s["name"] for s in stages if s["status"] == "ran"],
        "stages_skipped": [s["name"] for s in stages if s["status"] == "skipped"],
        "warnings": len(run.get("warnings", [])),
        "error": run.get("error"),
        "signal": run.get("signal"),
    }


def new_run_id() -> str:
    """A sortable, unique run id: UTC time to the millisecond plus a short random suffix."""
    now = datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z-" + uuid.uuid4().hex[:6]


def now_iso() -> str:
    """The current UTC time, ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def mark_running(config: Config, run_id: str, started: str) -> Path:
    """logs/running/<run_id>.json while the run is under way: a run killed outright (SIGKILL, power loss)
    cannot write its line in runs.jsonl, so the next run writes it from this mark (record_killed_runs)."""
    path = config.logs_dir / RUNNING_FOLDER / f"{run_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"run_id": run_id, "started": started, "pid": os.getpid()}), encoding="utf-8")
    return path


def record_killed_runs(config: Config) -> list[str]:
    """Write the runs.jsonl line of every run killed before it could: its mark left behind and its process
    gone (a run still under way is left alone); the ids of the runs recorded."""
    killed = []
    for mark in sorted((config.logs_dir / RUNNING_FOLDER).glob("*.json")):
        try:
            run = json.loads(mark.read_text(encoding="utf-8"))
            pid = int(run["pid"])
        except (ValueError, KeyError, TypeError, OSError):
            run, pid = {}, None
        if pid is not None and pid != os.getpid() and process_alive(pid):
            continue
        run_id = str(run.get("run_id", mark.stem))
        append_history(config, {
            "run_id": run_id, "started": run.get("started"), "ended": None, "status": "killed",
            "stages_run": [], "stages_skipped": [], "warnings": 0,
            "error": "the run was killed before it could record its end (SIGKILL, out of memory or power loss); "
                     "found by the next run", "signal": None})
        mark.unlink(missing_ok=True)
        killed.append(run_id)
    if killed:
        log.warning("Recorded %d killed run(s) in logs/%s: %s", len(killed), HISTORY_FILE, ", ".join(killed))
    return killed
