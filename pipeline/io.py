"""Reading and writing the pipeline's own files: stage outputs in data/processed, written atomically.

Stages read earlier stages' outputs with `read_layer` and write theirs with the `write_*` functions, which
write to a temporary file beside the target and rename it into place, so a killed run never leaves a
half-written file. Reading the raw sources is ingest's job (pipeline/ingest.py).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from pipeline._errors import InputError, Problem
from pipeline.config import Config

CANOPY_FILE = "canopy.tif"


def layer_path(config: Config, layer: str) -> Path:
    """Where ingest writes a canonical vector layer."""
    return config.processed(f"{layer}.parquet")


def has_layer(config: Config, layer: str) -> bool:
    """Whether ingest wrote this (optional) layer."""
    if layer == "canopy":
        return config.processed(CANOPY_FILE).exists()
    return layer_path(config, layer).exists()


def read_layer(config: Config, layer: str, columns: list[str] | None = None) -> gpd.GeoDataFrame:
    """Read a canonical layer or another GeoParquet stage output by name (without .parquet)."""
    path = layer_path(config, layer)
    if not path.exists():
        raise InputError(Problem(f"the stage output '{layer}' is missing", "run the earlier stages first (python -m pipeline run)", file=path))
    if columns is not None:
        columns = list(dict.fromkeys([*columns, "geometry"]))
    return gpd.read_parquet(path, columns=columns)


def read_table(path: Path) -> pd.DataFrame:
    """Read a Parquet output that may or may not carry geometry."""
    try:
        return gpd.read_parquet(path)
    except ValueError:
        return pd.read_parquet(path)


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


def write_geoparquet(frame: pd.DataFrame, target: Path) -> Path:
    """Write a (Geo)DataFrame as (Geo)Parquet atomically."""
    with atomic_path(target) as tmp:
        if isinstance(frame, gpd.GeoDataFrame):
            frame.to_parquet(tmp, index=False, write_covering_bbox=True)
        else:
            frame.to_parquet(tmp, index=False)
    return Path(target)


def write_json(data: Any, target: Path) -> Path:
    """Write JSON atomically, with NaN written as null."""
    text = json.dumps(_json_safe(data), indent=2, ensure_ascii=False, default=str)
    return write_text(text + "\n", target)


def write_text(text: str, target: Path) -> Path:
    """Write a text file atomically (UTF-8)."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(target)


def read_json(path: Path) -> Any:
    """Read a JSON file."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _json_safe(value: Any) -> Any:
    """Replace NaN and numpy scalars so json.dumps writes standard JSON."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    return value
