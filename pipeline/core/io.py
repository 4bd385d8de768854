"""Reading and writing the pipeline's own files: stage outputs in data/processed, written atomically.

Stages read and write their datasets by name through the catalogue (pipeline/core/datasets.py: `read`,
`write`; `read_layer` and `has_layer` here are the same for a layer), which checks that the running stage
declared them. The `write_*` functions write to a temporary file beside the target and rename it into
place, so a killed run never leaves a half-written file. Reading the raw sources is ingest's job (pipeline/ingest/).
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from pipeline.core import datasets
from pipeline.core.atomic import atomic_path, read_json, write_geoparquet, write_json, write_text
from pipeline.core.config import Config


def layer_path(config: Config, layer: str) -> Path:
    """The file of a dataset of the catalogue (an ingested layer or another stage output), by name."""
    return datasets.dataset(layer).path(config)


def has_layer(config: Config, layer: str) -> bool:
    """Whether the (optional) dataset was written; the running stage must declare it as read."""
    return datasets.exists(config, layer)


def read_layer(config: Config, layer: str, columns: list[str] | None = None) -> gpd.GeoDataFrame:
    """Read a dataset of the catalogue by name (an ingested layer or another stage's GeoParquet output)."""
    return datasets.read(config, layer, columns)


def read_table(path: Path) -> pd.DataFrame:
    """Read a Parquet output that may or may not carry geometry."""
    try:
        return gpd.read_parquet(path)
    except ValueError:
        return pd.read_parquet(path)


__all__ = [
    "atomic_path", "has_layer", "layer_path", "read_json", "read_layer", "read_table",
    "write_geoparquet", "write_json", "write_text",
]
