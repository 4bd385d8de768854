"""Errors the analyst sees, each with the exit status the command line returns."""

from __future__ import annotations

import signal
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

MAX_IDS_SHOWN = 10


class PipelineError(Exception):
    """A failure the pipeline explains to the analyst; exit status 1 unless a subclass says otherwise."""

    exit_code = 1
    status = "error"  # how run.json and logs/runs.jsonl name a run that ended with this error


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, which rows, and what to do about it."""

    what: str
    fix: str
    file: str | Path | None = None
    layer: str | None = None
    column: str | None = None
    ids: tuple = ()
    count: int | None = None

    def __str__(self) -> str:
        where = []
        if self.file is not None:
            where.append(f"file {self.file}")
        if self.layer:
            where.append(f"layer '{self.layer}'")
        if self.column:
            where.append(f"column '{self.column}'")
        head = ", ".join(where) + ": " if where else ""
        rows = ""
        if self.ids:
            n = self.count if self.count is not None else len(self.ids)
            shown = ", ".join(str(i) for i in list(self.ids)[:MAX_IDS_SHOWN])
            more = f" (first {MAX_IDS_SHOWN} of {n})" if n > MAX_IDS_SHOWN else ""
            rows = f" Rows{more}: {shown}."
        return f"{head}{self.what}.{rows} What to do: {self.fix}"


def first_ids(ids: Iterable) -> tuple:
    """The first offending ids, as plain Python values for the message."""
    out = []
    for value in ids:
        out.append(value.item() if hasattr(value, "item") else value)
        if len(out) == MAX_IDS_SHOWN:
            break
    return tuple(out)


class InputError(PipelineError):
    """Bad input data or config (CONTRACT 8): nothing published is replaced; exit status 2."""

    exit_code = 2
    status = "bad input"

    def __init__(self, problems: Problem | str | list[Problem | str]):
        if not isinstance(problems, list):
            problems = [problems]
        self.problems = problems
        lines = [f"Bad input ({len(problems)} problem{'s' if len(problems) != 1 else ''}):"]
        lines += [f"  - {p}" for p in problems]
        super().__init__("\n".join(lines))

    def __reduce__(self):
        # Rebuilt from its problems when it crosses a process (publish's pages built beside, beside.py).
        return type(self), (self.problems,)


class SourceUnavailable(PipelineError):
    """A required source could not be fetched and no earlier copy exists; exit status 3."""

    exit_code = 3
    status = "source unavailable"


class Killed(BaseException):
    """The run was stopped by a signal (SIGTERM, SIGINT, SIGHUP; pipeline/core/signals.py); exit status 128 + the
    signal's number. A BaseException, like KeyboardInterrupt: no `except Exception` in a stage holds it up."""

    status = "killed"

    def __init__(self, signum: int, stage: str | None = None):
        self.signum = signum
        self.signal_name = signal.Signals(signum).name
        self.stage = stage
        self.exit_code = 128 + signum
        during = f" while {stage} ran" if stage else ""
        super().__init__(f"the run was stopped by {self.signal_name}{during}")

    def __reduce__(self):
        return type(self), (self.signum, self.stage)


class Locked(PipelineError):
    """Another run holds the lock; exit status 75 (EX_TEMPFAIL), try again later."""

    exit_code = 75
    status = "locked"
