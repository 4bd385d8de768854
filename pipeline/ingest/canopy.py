"""The canopy raster: the fraction 0..1 (or land-cover classes as 0/1) over the housing areas in the working CRS.

Read through rasterio's WarpedVRT, cut to the housing areas' bounds, written as a float32 GeoTIFF with NaN
as nodata.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyproj

from pipeline.core.config import Config
from pipeline.core.errors import Problem
from pipeline.core.io import atomic_path
from pipeline.core.log import warn
from pipeline.ingest.schema import Source


def read_canopy(source: Source, config: Config, extent_box) -> tuple[np.ndarray | None, dict | None, list[Problem]]:
    """The canopy fraction 0..1 in the working CRS (land-cover classes turned into 0/1), and its profile."""
    import rasterio
    from rasterio.crs import CRS
    from rasterio.vrt import WarpedVRT
    from rasterio.warp import Resampling

    if not source.path.exists():
        return None, None, [source.problem("the file does not exist", "check sources.canopy.path in the config")]
    ingest = config["ingest"]
    with rasterio.open(source.path) as src:
        src_crs = src.crs or (CRS.from_user_input(source.settings["crs"]) if source.settings.get("crs") else None)
        if src_crs is None:
            return None, None, [source.problem("the raster has no coordinate reference system", "set sources.canopy.crs in the config")]
        landcover = ingest["canopy_kind"] == "landcover"
        resampling = Resampling.nearest if landcover else Resampling.bilinear
        with WarpedVRT(src, src_crs=src_crs, crs=config.crs, resampling=resampling) as vrt:
            window = vrt.window(*extent_box).intersection(rasterio.windows.Window(0, 0, vrt.width, vrt.height)) \
                if _overlaps(vrt.bounds, extent_box) else None
            if window is None:
                return None, None, [source.problem(
                    f"the raster (bounds {[round(b) for b in vrt.bounds]}) does not overlap the housing areas "
                    f"(bounds {[round(b) for b in extent_box]})",
                    "check the raster's CRS and that it covers the municipality")]
            window = window.round_offsets().round_lengths()
            data = vrt.read(1, window=window, masked=True).astype("float32")
            transform = vrt.window_transform(window)
    values = np.where(np.ma.getmaskarray(data), np.nan, np.ma.getdata(data)).astype("float32")
    if landcover:
        classes = np.asarray(ingest["canopy_classes"], dtype="float32")
        values = np.where(np.isnan(values), np.nan, np.isin(values, classes).astype("float32"))
    elif np.nanmax(values, initial=0) > 1.0 + 1e-6 or np.nanmin(values, initial=0) < -1e-6:
        return None, None, [source.problem(
            f"canopy values range {np.nanmin(values):.2f} to {np.nanmax(values):.2f}, expected fractions 0..1",
            "scale a percentage to 0..1, or set ingest.canopy_kind: landcover with canopy_classes")]
    profile = {"driver": "GTiff", "width": values.shape[1], "height": values.shape[0], "count": 1,
               "dtype": "float32", "crs": config.crs, "transform": transform, "nodata": np.nan,
               "compress": "deflate", "tiled": True}
    return values, profile, []


def _overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def write_canopy(values: np.ndarray, profile: dict, target: Path) -> Path:
    """Write the canopy fraction GeoTIFF atomically."""
    import rasterio

    with atomic_path(target) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        dst.write(values, 1)
    return target


def _load_canopy(source: Source, config: Config, layers: dict) -> tuple | None:
    """The canopy raster over the housing areas, or None when it is optional and missing or holds no valid cell.

    A raster with no valid cell over the areas (all nodata) is an error when required and a warning when
    optional (`required: false`): it would otherwise pass as "0 cells" and leave canopy_share empty unsaid.
    """
    from rasterio.errors import RasterioError

    optional = source.settings.get("required", True) is False
    if not source.path.exists() and optional:
        warn(f"optional source canopy is missing ({source.path}); canopy_share will be empty")
        return None
    extent_box = tuple(layers["housing_areas"].total_bounds) if "housing_areas" in layers else tuple(config["extent"])
    try:
        values, profile, problems = read_canopy(source, config, extent_box)
    except (RasterioError, ValueError, OSError, pyproj.exceptions.CRSError) as err:
        return None, None, [source.problem(f"the raster could not be read ({type(err).__name__}: {err})",
                                           "check that the file is a complete GeoTIFF with a CRS")]
    if problems or np.isfinite(values).any():
        return values, profile, problems
    what = (f"the raster has no valid cell over the housing areas (bounds {[round(b) for b in extent_box]}): "
            "every cell there is nodata")
    if optional:
        warn(f"{source.path}: {what}; canopy_share will be empty")
        return None
    return None, None, [source.problem(what, "check the raster's nodata value and that it covers the municipality, "
                                       "or set sources.canopy.required: false to run without canopy figures")]
