"""Where the analyst finds out what happened: a log file per run and one line per run in logs/runs.jsonl."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime
from pathlib import Path

from pipeline.core.config import Config
from pipeline.core.log import log

HISTORY_FILE = "runs.jsonl"
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
    }


def new_run_id() -> str:
    """A sortable, unique run id: UTC time to the millisecond plus a short random suffix."""
    now = datetime.now(UTC)
    return now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z-" + uuid.uuid4().hex[:6]


def now_iso() -> str:
    """The current UTC time, ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")
