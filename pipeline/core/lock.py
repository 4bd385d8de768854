"""One run at a time: a lock file holding the holder's pid and start time."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.core.errors import Locked
from pipeline.core.log import warn


def process_alive(pid: int) -> bool:
    """Whether a process with this pid runs on this machine."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder(path: Path) -> dict:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def _create(path: Path, record: dict) -> bool:
    """Create the lock file exclusively; False when it exists already."""
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as handle:
        json.dump(record, handle)
    return True


@contextmanager
def run_lock(path: Path, started: str) -> Iterator[None]:
    """Hold the lock for the block; raise Locked (exit 75) when a live process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"pid": os.getpid(), "started": started, "host": socket.gethostname()}
    if not _create(path, record):
        holder = _holder(path)
        pid = holder.get("pid")
        same_host = holder.get("host", record["host"]) == record["host"]
        if isinstance(pid, int) and (process_alive(pid) or not same_host):
            raise Locked(
                f"another run holds the lock {path}: pid {pid} on {holder.get('host', '?')}, started "
                f"{holder.get('started', '?')}. Wait for it to finish, or remove the file if that process is gone."
            )
        warn(f"took over the lock {path} left by pid {pid} (started {holder.get('started', '?')}), which no longer runs")
        path.unlink(missing_ok=True)
        if not _create(path, record):
            raise Locked(f"another run took the lock {path} at the same moment; try again")
    try:
        yield
    finally:
        if _holder(path).get("pid") == os.getpid():
            path.unlink(missing_ok=True)
