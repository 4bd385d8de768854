"""Atomic file writes with nothing but the standard library, so quick checks stay quick."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


@contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside target; on success rename it over target, on failure remove it."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(text: str, target: Path) -> Path:
    """Write a text file atomically (UTF-8)."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def write_json(data: Any, target: Path) -> Path:
    """Write JSON atomically, with NaN written as null."""
    text = json.dumps(json_safe(data), indent=2, ensure_ascii=False, default=str)
    return write_text(text + "\n", target)


def read_json(path: Path) -> Any:
    """Read a JSON file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def json_safe(value: Any) -> Any:
    """Replace NaN and numpy scalars so json.dumps writes standard JSON."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value


def write_geoparquet(frame: Any, target: Path) -> Path:
    """Write a (Geo)DataFrame as (Geo)Parquet atomically."""
    import geopandas as gpd  # not at import time: this module stays standard library only

    with atomic_path(target) as tmp:
        if isinstance(frame, gpd.GeoDataFrame):
            frame.to_parquet(tmp, index=False, write_covering_bbox=True)
        else:
            frame.to_parquet(tmp, index=False)
    return Path(target)
