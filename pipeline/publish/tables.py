"""The areas tables: one row per housing area with every indicator (areas_mix joined with areas_access)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from pipeline.core import datasets
from pipeline.core.config import Config
from pipeline.core.io import write_geoparquet, write_text
from pipeline.core.log import log
from pipeline.publish.catalogue import person_based
from pipeline.publish.glossary import dictionary
from pipeline.publish.i18n import language
from pipeline.publish.inputs import Inputs
from pipeline.publish.privacy import is_small, min_residents, suppress_table, suppressed_label
from pipeline.publish.status_text import attach_rules, latest_rules

SUPPRESSED_FLAG = "suppressed"


def areas_table(areas: gpd.GeoDataFrame | None, mix: pd.DataFrame | None, access: pd.DataFrame | None,
                crs: str) -> gpd.GeoDataFrame:
    """One row per housing area: its id, name and polygon, then every mix and access column that exists."""
    parts = [p for p in (areas, mix, access) if p is not None]
    if not parts:
        return gpd.GeoDataFrame({"area_id": pd.Series(dtype=str), "name": pd.Series(dtype=str)}, geometry=[], crs=crs)
    base = parts[0]
    geometry = next((p for p in parts if isinstance(p, gpd.GeoDataFrame)), None)
    table = pd.DataFrame(base.drop(columns="geometry", errors="ignore"))
    table = table[[c for c in table.columns if c in ("area_id", "name", "area_type") or base is not areas]]
    for extra in parts[1:]:
        columns = ["area_id", *[c for c in extra.columns if c not in table.columns and c != "geometry"]]
        table = table.merge(pd.DataFrame(extra[columns]), on="area_id", how="left")
    if geometry is not None:
        shapes = geometry[["area_id", "geometry"]].drop_duplicates("area_id")
        table = table.merge(shapes, on="area_id", how="left")
        return gpd.GeoDataFrame(table, geometry="geometry", crs=geometry.crs)
    return gpd.GeoDataFrame(table, geometry=[None] * len(table), crs=crs)


def area_table_from_inputs(inputs: Inputs, config: Config) -> gpd.GeoDataFrame:
    """The areas table from whatever of housing_areas, areas_mix and areas_access exists and is current; built
    once per inputs and shared by the tables, every page and the profiles (so never modified in place)."""
    key = ("areas_table", str(config.crs))
    if key not in inputs.derived:
        table = areas_table(inputs.get("housing_areas"), inputs.get("areas_mix"), inputs.get("areas_access"), config.crs)
        # the rule set mix applied to the latest year, which every page explains the status with (status_text.py)
        attach_rules(table, latest_rules(inputs.get("areas_mix_history"), dict(config["mix"])))
        inputs.derived[key] = table
    return inputs.derived[key]


def small_areas(table: pd.DataFrame, config: Config) -> pd.Series:
    """Areas with fewer residents than privacy.min_residents (or unknown residents)."""
    if "residents" not in table.columns:
        return pd.Series(True, index=table.index)
    return is_small(table["residents"], min_residents(config))


def with_provenance(table: gpd.GeoDataFrame, config: Config) -> gpd.GeoDataFrame:
    """The data note (e.g. "synthetic demonstration data") and run id on every row, so a copy keeps them."""
    run = config.get("run") or {}
    return table.assign(data_note=config.get("data_note") or "", run_id=run.get("id", ""))


def write_tables(table: gpd.GeoDataFrame, data_dir: Path, config: Config) -> list[Path]:
    """areas.parquet with every value; areas.gpkg and areas.csv with small areas' person figures suppressed."""
    data_dir = Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    small = small_areas(table, config)
    table = with_provenance(table, config)
    parquet = write_geoparquet(table, data_dir / datasets.dataset("areas").file)

    published = table.copy()
    for column in person_based(published.columns):
        published[column] = published[column].where(~small)
    published[SUPPRESSED_FLAG] = small.to_numpy()
    gpkg = data_dir / datasets.dataset("areas_gpkg").file
    gpkg.unlink(missing_ok=True)
    published.to_file(gpkg, layer="areas", driver="GPKG")

    text = suppress_table(pd.DataFrame(table.drop(columns="geometry")), small, suppressed_label(config))
    text[SUPPRESSED_FLAG] = small.to_numpy()
    csv = write_text(text.to_csv(index=False), data_dir / datasets.dataset("areas_csv").file)
    lang = language(str(config.get("language") or "da"))
    glossary = write_text(dictionary(list(text.columns), lang).to_csv(index=False),
                          data_dir / datasets.dataset("areas_dictionary").file)
    log.info("Wrote the areas tables: %d areas, person-based figures of %d suppressed in csv and gpkg; their "
             "data dictionary", len(table), int(small.sum()))
    return [parquet, gpkg, csv, glossary]
