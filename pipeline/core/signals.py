"""A run stopped by a signal (SIGTERM, SIGINT, SIGHUP) ends like a failed run: children gone, lock removed, line written.

`stop_on_signals()` turns those signals, in the run's own process, into `Killed` (pipeline/core/errors.py), a
BaseException like KeyboardInterrupt, so no `except Exception` in a stage holds it up. The run then unwinds
through its own cleanup: temporary files and a release's staging folder are deleted (nothing published is
replaced; pipeline/core/atomic.py, pipeline/publish/release.py), the lock is removed (pipeline/core/lock.py),
and the command line writes run.json and the logs/runs.jsonl line with status `killed` and the signal's name,
then exits with 128 + the signal's number.

Children: a forked copy of the run (publish's page builder) is killed at once, as the kernel kills it when the
run dies (it writes only into the staging folder, which the release deletes). It inherits the handler, so a
signal sent to it alone, or to the whole process group (Ctrl-C), ends it at once too. Other children (Dask's
local workers) are closed by the run's own cleanup; any still alive once the run has unwound is terminated.

A second signal while the run unwinds ends it at once (the next run records it, as after a SIGKILL); while the
run writes its record (`held`) signals are ignored, so the record is whole. A signal ignored when the run
started (SIGHUP under nohup) stays ignored. SIGKILL cannot be caught: the next run records such a run
(pipeline/core/runs.py `record_killed_runs`).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from pipeline.core.datasets import running_stage
from pipeline.core.errors import Killed

STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGINT", "SIGHUP") if hasattr(signal, name))
CHILD_GRACE_S = 5.0  # how long a child other than a forked copy gets to end after SIGTERM before SIGKILL


def forked_children() -> list[multiprocessing.Process]:
    """This process's live children that are forked copies of it (a ProcessPoolExecutor's fork workers)."""
    fork = getattr(multiprocessing.context, "ForkProcess", None)
    return [child for child in multiprocessing.active_children() if fork is not None and isinstance(child, fork)]


def end_children(*, grace_s: float = CHILD_GRACE_S) -> None:
    """End every live child: forked copies killed at once, the others terminated and killed after `grace_s`."""
    for child in forked_children():
        child.kill()
    rest = multiprocessing.active_children()
    for child in rest:
        child.terminate()
    for child in rest:
        child.join(grace_s)
        if child.is_alive():
            child.kill()
    for child in multiprocessing.active_children():
        child.join(1.0)


class Stop:
    """The handler of the stop signals for one run, and what it has seen."""

    def __init__(self) -> None:
        self.owner = os.getpid()
        self.stopped_by: int | None = None
        self.holding = False

    def __call__(self, signum: int, frame) -> None:
        """In the run: raise Killed the first time, end at once the second. In a forked copy: end at once."""
        if os.getpid() != self.owner:
            os._exit(128 + signum)
        if self.holding:
            return
        if self.stopped_by is not None:
            end_children(grace_s=0.0)
            os._exit(128 + signum)
        self.stopped_by = signum
        for child in forked_children():
            child.kill()
        raise Killed(signum, running_stage())

    @contextmanager
    def held(self) -> Iterator[None]:
        """Signals ignored for the block: the run's record is written whole."""
        self.holding = True
        try:
            yield
        finally:
            self.holding = False


@contextmanager
def stop_on_signals() -> Iterator[Stop]:
    """SIGTERM, SIGINT and SIGHUP raise Killed in the block (those not ignored already); the handlers before it
    are put back after it. Outside the main thread (where Python cannot set handlers) the block runs as it is."""
    stop = Stop()
    if threading.current_thread() is not threading.main_thread():
        yield stop
        return
    before = {s: signal.getsignal(s) for s in STOP_SIGNALS}
    for s, handler in before.items():
        if handler != signal.SIG_IGN:
            signal.signal(s, stop)
    try:
        yield stop
    finally:
        if stop.stopped_by is not None:
            end_children()
        for s, handler in before.items():
            signal.signal(s, handler if handler is not None else signal.SIG_DFL)
