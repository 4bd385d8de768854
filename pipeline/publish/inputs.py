"""Everything publish reads, with what is missing or out of date, so a page can say so instead of failing.

A stage output whose housing areas (or schools) are not the current layers' describes another run's data:
it is treated as missing and the page says it is out of date, instead of showing it next to current data.
A dataset absent, or written empty, because an optional source layer it needs (the catalogue's `needs`) is
not configured is missing as "not supplied", naming the layer: a re-run cannot help, adding the source can.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd

from pipeline.core import datasets
from pipeline.core.config import Config
from pipeline.core.log import log, warn

# A scenario summary describes the same run as its table: left out with it when that is out of date.
SUMMARY_OF = {"scenarios_school_sites": "scenarios_school_summary", "scenarios_development": "scenarios_development_summary"}


@dataclass(frozen=True)
class Reason:
    """Why an input is absent: an English message id with its values, so a page can say it in its language."""

    message: str
    values: dict = field(default_factory=dict)
    supplied: bool = True  # false: a source it needs was never configured, so a re-run cannot help

    def __str__(self) -> str:
        return self.message.format(**self.values)


@dataclass
class Inputs:
    """The frames publish works from; a missing or out-of-date one is absent and explained in `missing`."""

    frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    segregation: dict | None = None
    rasters: dict[str, Path] = field(default_factory=dict)  # a raster dataset's file, drawn by its page (land_cover)
    ranking: dict | None = None  # scenarios_ranking.json: each question's objective and best candidate
    missing: dict[str, Reason] = field(default_factory=dict)
    # what every page derives alike from the frames (the areas table), built once for the release
    derived: dict[tuple, object] = field(default_factory=dict)

    def get(self, name: str) -> pd.DataFrame | None:
        """The frame of the dataset of this name (pipeline/core/catalogue.py), or None."""
        return self.frames.get(name)


def _ids(frame: pd.DataFrame | None, column: str) -> set[str]:
    """The ids in a column, as text."""
    if frame is None or column not in frame.columns:
        return set()
    return set(frame[column].dropna().astype(str))


def mismatched(inputs: Inputs) -> dict[str, Reason]:
    """Stage outputs that describe other data than the current layers (another run's housing areas or schools)."""
    areas = _ids(inputs.get("housing_areas"), "area_id")
    schools = _ids(inputs.get("schools"), "school_id") | _ids(inputs.get("candidate_sites"), "site_id")
    found = {}
    for name in ("areas_mix", "areas_access"):
        ids = _ids(inputs.get(name), "area_id")
        if areas and inputs.get(name) is not None and ids != areas:
            entry = datasets.dataset(name)
            found[name] = Reason("out of date: {file} has {extra} areas not in the current housing areas and lacks "
                                 "{lacking}; the {stage} stage has not re-run since they changed",
                                 {"file": entry.file, "extra": len(ids - areas), "lacking": len(areas - ids),
                                  "stage": entry.writer})
    if areas and not _ids(inputs.get("scenarios_development"), "area_id") <= areas:
        found["scenarios_development"] = Reason("out of date: the scenarios stage has not re-run since the housing areas changed")
    if schools and not _ids(inputs.get("scenarios_school_sites"), "school_id") <= schools:
        found["scenarios_school_sites"] = Reason("out of date: the scenarios stage has not re-run since the schools changed")
    for table, summary in SUMMARY_OF.items():
        if table in found and inputs.get(summary) is not None:
            found[summary] = found[table]
    return found


def not_supplied(layers: tuple[str, ...] | list[str], config: Config | None = None) -> Reason:
    """The reason of a dataset absent or empty because these optional source layers are not configured (or,
    configured as optional, their file is not there)."""
    missing = datasets.optional_file_missing(config, layers[0]) if config is not None and len(layers) == 1 else None
    if missing is not None:
        return Reason("not supplied: the optional file of sources.{layer} is not there ({file})",
                      {"layer": layers[0], "file": missing.name}, supplied=False)
    if len(layers) == 1:
        return Reason("not supplied: no {layer} layer is configured (sources.{layer} in the config)",
                      {"layer": layers[0]}, supplied=False)
    return Reason("not supplied: no {layers} layers are configured ({sources} in the config)",
                  {"layers": ", ".join(layers), "sources": ", ".join(f"sources.{layer}" for layer in layers)},
                  supplied=False)


def absent_reason(config: Config, entry: datasets.Dataset) -> Reason:
    """Why a dataset was not written: an optional source it needs (the catalogue's `needs`) is not configured,
    or its stage has not run."""
    lacking = datasets.unsupplied(config, entry.name)
    if lacking:
        return not_supplied(lacking, config)
    return Reason("not computed yet: the {stage} stage has not written {file}", {"stage": entry.writer, "file": entry.file})


def _empty(data: object) -> bool:
    """Whether a dataset read holds no rows (a table written empty)."""
    return isinstance(data, pd.DataFrame) and not len(data)


def load_inputs(config: Config) -> Inputs:
    """Read every dataset the catalogue says publish reads, where it exists and is current."""
    inputs = Inputs()
    for entry in datasets.reads_of("publish"):
        if not datasets.exists(config, entry.name):
            inputs.missing[entry.name] = absent_reason(config, entry)
        elif entry.name == "segregation":
            inputs.segregation = datasets.read(config, entry.name)
        elif entry.format == "geotiff":
            inputs.rasters[entry.name] = datasets.input_path(config, entry.name)
        elif entry.name == "scenarios_ranking":
            inputs.ranking = datasets.read(config, entry.name)
        else:
            frame = datasets.read(config, entry.name)
            if _empty(frame) and datasets.unsupplied(config, entry.name):  # written empty: a layer is not supplied
                inputs.missing[entry.name] = absent_reason(config, entry)
            else:
                inputs.frames[entry.name] = frame
    for name, reason in mismatched(inputs).items():
        del inputs.frames[name]
        inputs.missing[name] = reason
        warn(f"Publish left out {name}: {reason}")
    log.info("Read %d inputs for publishing; %d missing or out of date", len(inputs.frames), len(inputs.missing))
    return inputs


def with_area_geometry(frame: pd.DataFrame, areas: gpd.GeoDataFrame | None, on: str = "area_id") -> gpd.GeoDataFrame | None:
    """The frame with the housing areas' polygons (its own geometry when it has one)."""
    if isinstance(frame, gpd.GeoDataFrame) and frame.geometry.notna().any():
        return frame
    if areas is None:
        return None
    plain = pd.DataFrame(frame.drop(columns="geometry", errors="ignore"))
    shapes = areas[["area_id", "geometry"]].rename(columns={"area_id": on})
    merged = plain.merge(shapes, on=on, how="inner")
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=areas.crs)
