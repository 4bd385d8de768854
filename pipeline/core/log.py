"""Logging and the run's warnings, which also go to run.json and the index page."""

from __future__ import annotations

import logging

log = logging.getLogger("pipeline")

_warnings: list[str] = []


def warn(message: str) -> None:
    """Log a repairable problem and keep it for run.json (CONTRACT 8)."""
    log.warning(message)
    _warnings.append(message)


def take_warnings() -> list[str]:
    """Return the warnings collected since the last call, and forget them."""
    taken = list(_warnings)
    _warnings.clear()
    return taken


def keep_warnings(messages: list[str]) -> None:
    """Keep messages (taken with take_warnings) for run.json again, each once, without logging them twice."""
    for message in dict.fromkeys(messages):
        if message not in _warnings:
            _warnings.append(message)
