"""Page building on both cores: part of the pages built in a forked copy of the publish process, beside it.

Publishing builds six map pages and a profile page per housing area from the same loaded inputs; the builds
are independent and write their own files into the release folder. On a machine with more than one core and
fork (Linux, macOS), `beside(job)` forks the process once the inputs are loaded (the copy shares them, nothing
is pickled on the way in), runs `job()` there while this process builds the other pages, and hands back its
result, the warnings it recorded (for run.json) and any error it raised, which the release then fails on as if
it had been raised here (nothing published is replaced). With one core, or without fork, `job()` runs here.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from pipeline.core.log import keep_warnings, take_warnings

T = TypeVar("T")
# The job of the forked process, found there by its key: fork copies this table, so the job (a closure over the
# loaded inputs) is never pickled.
_JOBS: dict[int, Callable] = {}


def _run_job(key: int) -> tuple:
    """In the forked process: the job's result and the warnings it recorded."""
    take_warnings()  # those recorded before the fork are the parent's, already kept there
    result = _JOBS[key]()
    return result, take_warnings()


def _exit_with_parent(parent: int) -> None:
    """In the forked process, first: end when the run that forked it ends, however it ends (a SIGKILL runs no
    cleanup in the parent). On Linux the kernel sends SIGKILL at the parent's death (prctl PR_SET_PDEATHSIG);
    elsewhere a daemon thread watches the parent's pid. Either way no builder lives on with the inputs' memory."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    else:
        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(0.5)
            os._exit(1)
        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


def can_fork() -> bool:
    """Whether pages can be built beside this process: more than one core and fork available."""
    return (os.cpu_count() or 1) > 1 and "fork" in multiprocessing.get_all_start_methods()


@contextmanager
def beside(job: Callable[[], T]) -> Iterator[Callable[[], T]]:
    """Run job() in a forked process while the with-block runs here; yield a function that waits for its result
    (and keeps its warnings). Without a second core or fork, that function runs job() here."""
    if not can_fork():
        yield job
        return
    key = id(job)
    _JOBS[key] = job
    try:
        with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"),
                                 initializer=_exit_with_parent, initargs=(os.getpid(),)) as pool:
            future = pool.submit(_run_job, key)

            def result() -> T:
                value, warnings = future.result()  # the job's error, if any, is raised here
                keep_warnings(warnings)
                return value

            yield result
    finally:
        _JOBS.pop(key, None)
