"""Progress of long work: a bar on a terminal, periodic log lines elsewhere, nothing under --quiet.

A step that may take more than a few seconds reports how far it got, so a four-minute access stage is
never silent. Call sites stay one line:

- ``@step("jobs within {minutes:g} min at {m_per_min:g} m/min")`` on a function names the work inside it
  (the label is formatted with the call's arguments; the stage is the function's module, e.g. "Access");
- ``for chunk in track(chunks):`` reports each item done under the innermost step's label
  (``Executor.map_chunks`` does this for every chunked network search);
- ``progress=fraction("canopy_share")`` for a library that reports a completed fraction (exactextract).

On a terminal (and without --quiet) the command line turns on a tqdm bar; otherwise a line is logged at
each 10 % step, at most one per `progress_every_s` seconds (config) over all steps, e.g.
``Access: jobs within 15 min at 80 m/min: 40 % (800 of 2,000 chunks)``; a short run stays silent. The log
lines are INFO, so --quiet hides them and the run's log file keeps them.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pipeline.core.log import log

T = TypeVar("T")
STEPS = 10  # a log line at each tenth of the work


@dataclass
class _Settings:
    bar: bool = False  # a tqdm bar on stderr (a terminal, not --quiet)
    every_s: float = 10.0  # at most one log line per this many seconds
    last_line: float = field(default_factory=time.monotonic)  # when the last line was logged, by any step


_settings = _Settings()
_labels: list[str] = []


def configure(*, bar: bool, every_s: float) -> None:
    """How progress shows for this process: a bar (a terminal) or log lines at most every every_s seconds."""
    _settings.bar, _settings.every_s, _settings.last_line = bar, float(every_s), time.monotonic()


def current_label(default: str = "Working") -> str:
    """The label of the innermost running step."""
    return _labels[-1] if _labels else default


@contextmanager
def labelled(label: str) -> Iterator[None]:
    """Progress reported inside the block carries this label."""
    _labels.append(label)
    try:
        yield
    finally:
        _labels.pop()


def step(template: str) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Decorate a function whose work reports progress: the label is the template formatted with the
    call's arguments, prefixed by the stage (the function's module under pipeline, e.g. Access)."""

    def decorate(func: Callable[..., T]) -> Callable[..., T]:
        signature = inspect.signature(func)
        parts = func.__module__.split(".")
        stage = (parts[1] if parts[0] == "pipeline" and len(parts) > 1 else parts[-1]).capitalize()  # pipeline.access.jobs: Access

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> T:
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            try:
                label = template.format(**bound.arguments)
            except (KeyError, ValueError, TypeError, IndexError):
                label = template
            with labelled(f"{stage}: {label}"):
                return func(*args, **kwargs)

        return wrapper

    return decorate


class Progress:
    """One piece of work of a known size: reports each step done as a bar or a log line."""

    def __init__(self, total: float, label: str, unit: str):
        self.total, self.label, self.unit = total, label, unit
        self.done: float = 0
        self.logged_step = 0
        self.bar = None
        self._redirect = contextlib.ExitStack()
        if _settings.bar and total > 0:
            from tqdm import tqdm
            from tqdm.contrib.logging import logging_redirect_tqdm

            # log lines written while the bar shows go above it instead of through it
            self._redirect.enter_context(logging_redirect_tqdm(loggers=[log]))
            self.bar = tqdm(total=total, desc=label, unit=f" {unit}", leave=False, delay=1.0, dynamic_ncols=True)

    def advance(self, amount: float = 1) -> None:
        """amount more of the work is done."""
        self.set(self.done + amount)

    def set(self, done: float) -> None:
        """done of total is finished."""
        if self.bar is not None:
            self.bar.update(done - self.done)
        self.done = done
        if self.bar is None and self.total > 0:
            self._maybe_log()

    def _maybe_log(self) -> None:
        """A log line when the work crossed the next tenth and every_s passed since the last line of any step
        (so a long stage of many short steps still logs about every every_s seconds)."""
        reached = int(STEPS * min(self.done, self.total) / self.total)
        now = time.monotonic()
        if reached > self.logged_step and now - _settings.last_line >= _settings.every_s:
            self.logged_step, _settings.last_line = reached, now
            counts = "" if self.unit == "%" else f" ({_count(self.done)} of {_count(self.total)} {self.unit})"
            log.info("%s: %d %%%s", self.label, round(100 * self.done / self.total), counts)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        self._redirect.close()


def _count(value: float) -> str:
    """2000 as 2,000; a fraction of 100 as 40."""
    return f"{value:,.0f}"


def track(items: Iterable[T], label: str | None = None, *, unit: str = "chunks", total: int | None = None) -> Iterator[T]:
    """Yield the items, reporting each one done (label: the innermost step's, unless given)."""
    if total is None:
        total = len(items) if hasattr(items, "__len__") else 0
    progress = Progress(total, label or current_label(), unit)
    try:
        for item in items:
            yield item
            progress.advance()
    finally:
        progress.close()


def fraction(label: str | None = None) -> Callable[[float, str], None]:
    """A callback fn(done_fraction, message) for libraries that report a completed fraction (exactextract)."""
    progress = Progress(100.0, label or current_label(), "%")

    def report(done: float, message: str = "") -> None:
        progress.set(100.0 * float(done))
        if done >= 1.0:
            progress.close()

    return report
