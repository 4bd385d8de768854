"""The land-cover raster: the delivered classes (or OpenStreetMap's tags) over the housing areas, as the contract's classes.

A classified GeoTIFF is copied block by block over the housing areas' bounds widened by
`ingest.land_cover_margin_m` (pipeline/sources/land_cover.py: its own grid when projected, warped when
geographic), its codes mapped through `sources.land_cover.classes`; an OpenStreetMap file is rasterised at
`ingest.osm_land_cover.resolution_m` in the working CRS (pipeline/sources/osm_land_cover.py). Either way
ingest writes land_cover.tif with the codes of `land_cover.CODES` (0 nodata).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeline.core.config import Config
from pipeline.core.errors import Problem
from pipeline.core.io import atomic_path
from pipeline.core.log import log, warn
from pipeline.ingest.schema import Source
from pipeline.sources.land_cover import NODATA, cell_window, copy_classes, open_land_cover
from pipeline.sources.osm_land_cover import is_osm_land_cover, read_osm_land_cover

Writer = Callable[[Path], Path]


def _bounds(config: Config, layers: dict) -> tuple[float, float, float, float]:
    """The housing areas' bounds (else the extent) widened by the margin, in the working CRS."""
    margin = float(config["ingest"]["land_cover_margin_m"])
    box = layers["housing_areas"].total_bounds if "housing_areas" in layers else config["extent"]
    return (box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin)


def load_land_cover(source: Source, config: Config, layers: dict) -> tuple[Writer | None, list[Problem]]:
    """What to write as land_cover.tif (a function of the target path), or the problems; (None, []) when an
    optional source is missing."""
    if not source.path.exists():
        if source.settings.get("required", True) is False:
            warn(f"optional source land_cover is missing ({source.path}); the land-cover figures will be empty")
            return None, []
        return None, [source.problem("the file does not exist", "check sources.land_cover.path in the config")]
    bounds = _bounds(config, layers)
    if is_osm_land_cover(source.path, source.settings):
        return _osm_writer(source, config, bounds)
    if not source.settings.get("classes"):
        return None, [source.problem("a land-cover raster needs its class table",
                                     "map its codes in sources.land_cover.classes: {natural: [codes], semi_natural: "
                                     "[...], lawn, trees, sealed, water, other} (see docs/green.md)")]
    return _raster_writer(source, config, bounds)


def _raster_writer(source: Source, config: Config, bounds) -> tuple[Writer | None, list[Problem]]:
    from rasterio.errors import RasterioError
    from rasterio.warp import transform_bounds

    try:
        dataset = open_land_cover(source.path, config.crs, source.settings.get("crs"))
    except (RasterioError, OSError, ValueError) as err:
        return None, [source.problem(f"the raster could not be read ({type(err).__name__}: {err})",
                                     "check that the file is a complete GeoTIFF")]
    with dataset:
        if dataset.crs is None:
            return None, [source.problem("the raster has no coordinate reference system",
                                         "set sources.land_cover.crs in the config")]
        own = transform_bounds(config.crs, dataset.crs, *bounds, densify_pts=21)
        if cell_window(dataset, own) is None:
            return None, [source.problem(
                f"the raster (bounds {[round(b) for b in dataset.bounds]}) does not overlap the housing areas "
                f"(bounds {[round(b) for b in own]} in the raster's CRS)",
                "check the raster's CRS and that it covers the municipality")]

    def write(target: Path) -> Path:
        with open_land_cover(source.path, config.crs, source.settings.get("crs")) as ds, atomic_path(target) as tmp:
            window = cell_window(ds, transform_bounds(config.crs, ds.crs, *bounds, densify_pts=21))
            unnamed = copy_classes(ds, window, source.settings["classes"], tmp)
        if unnamed:
            listed = ", ".join(f"{code} ({n:,} cells)" for code, n in sorted(unnamed.items(), key=lambda kv: -kv[1])[:10])
            warn(f"{source.path}: codes in no class of sources.land_cover.classes were left out like nodata: {listed}; "
                 "add them to a class (other, if nothing else fits)")
        log.info("Ingested land_cover: %s x %s cells", int(window.width), int(window.height))
        return target

    return write, []


def _osm_writer(source: Source, config: Config, bounds) -> tuple[Writer | None, list[Problem]]:
    import pyogrio

    table = config["ingest"]["osm_land_cover"]
    try:
        codes, transform = read_osm_land_cover(source.path, config.crs, table, bounds, float(table["resolution_m"]))
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError, OSError) as err:
        return None, [source.problem(f"the OpenStreetMap file could not be read ({err})",
                                     "check that it is a complete .osm.pbf or .osm file")]

    def write(target: Path) -> Path:
        import rasterio

        profile = {"driver": "GTiff", "width": codes.shape[1], "height": codes.shape[0], "count": 1, "dtype": "uint8",
                   "crs": config.crs, "transform": transform, "nodata": NODATA, "compress": "deflate", "tiled": True}
        with atomic_path(target) as tmp, rasterio.open(tmp, "w", **profile) as dst:
            dst.write(codes, 1)
        log.info("Ingested land_cover from OpenStreetMap: %s x %s cells of %g m", codes.shape[1], codes.shape[0],
                 table["resolution_m"])
        return target

    return write, []
