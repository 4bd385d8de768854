"""Reading and writing the pipeline's own files: stage outputs in data/processed, written atomically.

Stages read earlier stages' outputs with `read_layer` and write theirs with the `write_*` functions, which
write to a temporary file beside the target and rename it into place, so a killed run never leaves a
half-written file. Reading the raw sources is ingest's job (pipeline/ingest.py).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from pipeline._atomic import atomic_path, read_json, write_json, write_text
from pipeline._errors import InputError, Problem
from pipeline.config import Config
from pipeline.stages import CANOPY_FILE


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


def write_geoparquet(frame: pd.DataFrame, target: Path) -> Path:
    """Write a (Geo)DataFrame as (Geo)Parquet atomically."""
    with atomic_path(target) as tmp:
        if isinstance(frame, gpd.GeoDataFrame):
            frame.to_parquet(tmp, index=False, write_covering_bbox=True)
        else:
            frame.to_parquet(tmp, index=False)
    return Path(target)


__all__ = [
    "CANOPY_FILE", "atomic_path", "has_layer", "layer_path", "read_json", "read_layer", "read_table",
    "write_geoparquet", "write_json", "write_text",
]
