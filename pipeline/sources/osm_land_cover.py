"""Land cover from OpenStreetMap: areas tagged landuse, natural, leisure (and buildings, streets) as classes.

For a municipality without a land-cover raster. An .osm.pbf or .osm file is read with GDAL's OSM driver
(layers `multipolygons` and `lines`; the tags without a column of their own in `other_tags`, read with the
streets' tag reader, pipeline/sources/osm.py). The tag table (config `ingest.osm_land_cover.tags`) maps a key
and a value to a class; the first key in the table that a feature's tags match decides ('*' matches any
value). Where features overlap, the smaller wins (features are burnt largest first), so a building in a
residential landuse is sealed and a pond in a park is water; streets with a width in
`ingest.osm_land_cover.highway_width_m` are buffered by half of it and burnt last, as sealed. Cells under
no mapped feature get the `fill` class. The grid: `resolution_m` cells in the working CRS, aligned to
multiples of the resolution, over the given bounds; codes as pipeline/sources/land_cover.py's `CODES`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from pipeline.sources.land_cover import CLASSES
from pipeline.sources.osm import OSM_FILE_SUFFIXES, tag_values

AREAS_LAYER, LINES_LAYER = "multipolygons", "lines"


def is_osm_land_cover(path: Path, settings: Mapping) -> bool:
    """Whether a land_cover source is OpenStreetMap: an .osm.pbf/.osm file, or `osm: true`."""
    if settings.get("osm") is False:
        return False
    return bool(settings.get("osm")) or Path(path).suffix.lower() in OSM_FILE_SUFFIXES


def feature_classes(features: pd.DataFrame, tags: Mapping[str, Mapping[str, str]]) -> pd.Series:
    """Each feature's class from the tag table: the first key (in table order) whose value the table names."""
    out = pd.Series(pd.NA, index=features.index, dtype="string")
    for key, values in tags.items():
        value = tag_values(features, key)
        cls = value.map({str(k).lower(): v for k, v in values.items() if k != "*"}).astype("string")
        if "*" in values:
            cls = cls.where(cls.notna() | value.isna(), values["*"])
        out = out.where(out.notna(), cls)
    return out


def grid_of(bounds, resolution_m: float):
    """The shape and transform of a grid of resolution_m covering bounds, aligned to multiples of it."""
    from rasterio.transform import from_origin

    minx, miny, maxx, maxy = (float(b) for b in bounds)
    minx, miny = np.floor(minx / resolution_m) * resolution_m, np.floor(miny / resolution_m) * resolution_m
    maxx, maxy = np.ceil(maxx / resolution_m) * resolution_m, np.ceil(maxy / resolution_m) * resolution_m
    shape = (int(round((maxy - miny) / resolution_m)), int(round((maxx - minx) / resolution_m)))
    return shape, from_origin(minx, maxy, resolution_m, resolution_m)


def rasterize_land_cover(areas: gpd.GeoDataFrame, lines: gpd.GeoDataFrame | None, table: Mapping, bounds,
                         resolution_m: float) -> tuple[np.ndarray, object]:
    """The land-cover codes (uint8, land_cover.CODES) of OSM features on a grid over bounds, and its transform."""
    from rasterio.features import rasterize

    shape, transform = grid_of(bounds, resolution_m)
    fill = CLASSES.index(table.get("fill", "other")) + 1
    cls = feature_classes(areas, table["tags"])
    keep = (cls.notna() & areas.geometry.geom_type.isin(["Polygon", "MultiPolygon"])).to_numpy()
    geoms = areas.geometry.to_numpy()[keep]
    codes = np.array([CLASSES.index(c) + 1 for c in cls[keep]], dtype=np.int64)
    order = np.argsort(-shapely.area(geoms), kind="stable")
    shapes = list(zip(geoms[order], codes[order].tolist(), strict=True))
    widths = table.get("highway_width_m") or {}
    if lines is not None and len(lines) and widths:
        width_m = tag_values(lines, "highway").map({str(k): float(v) for k, v in widths.items()})
        has = width_m.notna().to_numpy()
        bands = shapely.buffer(lines.geometry.to_numpy()[has], width_m[has].to_numpy() / 2, cap_style="flat")
        shapes += [(band, CLASSES.index("sealed") + 1) for band in bands]
    if not shapes:
        return np.full(shape, fill, dtype=np.uint8), transform
    return rasterize(shapes, out_shape=shape, transform=transform, fill=fill, all_touched=False, dtype="uint8"), transform


def read_osm_land_cover(path: Path, crs, table: Mapping, bounds, resolution_m: float) -> tuple[np.ndarray, object]:
    """Read an OSM file's areas and streets within bounds (working CRS) and rasterise their land cover."""
    keys = [*table["tags"].keys(), "highway", "other_tags"]
    box = gpd.GeoSeries([shapely.box(*bounds)], crs=crs)
    frames = []
    for layer in (AREAS_LAYER, LINES_LAYER):
        info = pyogrio.read_info(path, layer=layer)
        fields = [str(f) for f in info["fields"]]
        file_box = tuple(box.to_crs(info["crs"]).total_bounds) if info["crs"] else None
        frame = pyogrio.read_dataframe(path, layer=layer, columns=[f for f in fields if f in keys], bbox=file_box)
        frames.append(frame.to_crs(crs) if len(frame) else gpd.GeoDataFrame(frame, geometry=frame.geometry, crs=crs))
    return rasterize_land_cover(frames[0], frames[1], table, bounds, resolution_m)
