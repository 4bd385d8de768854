"""Land-cover rasters: a municipality's classified raster read window by window, its codes mapped to the classes.

A land-cover source is a classified GeoTIFF (Denmark's national Basemap-style 10 m maps, or any other) whose
codes config maps to the contract's classes (`sources.land_cover.classes`: {natural: [codes], semi_natural,
lawn, trees, sealed, water, other}). Ingest copies the part over the housing areas into the pipeline's own
land-cover raster, with the class's position in `CLASSES` plus one as its code and 0 as nodata (`CODES`),
block by block (at most BLOCK_CELLS x BLOCK_CELLS cells at a time, whatever the raster's width) so a national
raster never loads whole. Codes the table does not name are counted, left out
like nodata, and named in a warning.

CRS: the raster keeps its own grid when its CRS is projected, and the stages reproject the housing areas to
it: a classified raster warped to another grid duplicates and drops cells (nearest neighbour), which changes
patch shapes and with them the effective mesh size. A raster in a geographic CRS (cells of unequal area) is
warped to the working CRS with nearest-neighbour resampling (rasterio's WarpedVRT).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np

CLASSES = ("natural", "semi_natural", "lawn", "trees", "sealed", "water", "other")
# The pipeline's land-cover raster: code = position in CLASSES + 1, 0 = nodata (and codes no class names).
CODES = {name: [k + 1] for k, name in enumerate(CLASSES)}
NODATA = 0
NO_CLASS = -1
# Ingest's copy reads and writes blocks of at most this many cells each way (about 40 MB of work memory).
BLOCK_CELLS = 1024


def class_index(codes: np.ndarray, classes: Mapping[str, Iterable[int]]) -> np.ndarray:
    """Each cell's class as its position in CLASSES (int8); NO_CLASS where the code is in no class."""
    table = [(int(code), CLASSES.index(name)) for name, values in classes.items() for code in (values or [])]
    if not table:
        return np.full(codes.shape, NO_CLASS, dtype=np.int8)
    known = np.array(sorted(table), dtype=np.int64)
    keys, values = known[:, 0], known[:, 1].astype(np.int8)
    at = np.clip(np.searchsorted(keys, codes), 0, len(keys) - 1)
    return np.where(keys[at] == codes, values[at], NO_CLASS).astype(np.int8)


def open_land_cover(path, working_crs, assumed_crs=None):
    """The raster opened for windowed reading: as it is when its CRS is projected; warped to the working CRS
    (nearest neighbour) when geographic. assumed_crs: the CRS config gives a raster that has none."""
    import rasterio
    from rasterio.crs import CRS
    from rasterio.vrt import WarpedVRT
    from rasterio.warp import Resampling

    src = rasterio.open(path)
    crs = src.crs or (CRS.from_user_input(assumed_crs) if assumed_crs else None)
    if crs is not None and (crs.is_geographic or src.crs is None):
        target = CRS.from_user_input(working_crs) if crs.is_geographic else crs
        return WarpedVRT(src, src_crs=crs, crs=target, resampling=Resampling.nearest)
    return src


def cell_window(dataset, bounds):
    """The window of whole cells covering bounds (in the raster's CRS), clipped to the raster; None when apart."""
    from rasterio.windows import Window, from_bounds

    w = from_bounds(*bounds, transform=dataset.transform)
    col0, row0 = max(math.floor(w.col_off + 1e-9), 0), max(math.floor(w.row_off + 1e-9), 0)
    col1 = min(math.ceil(w.col_off + w.width - 1e-9), dataset.width)
    row1 = min(math.ceil(w.row_off + w.height - 1e-9), dataset.height)
    if col1 <= col0 or row1 <= row0:
        return None
    return Window(col0, row0, col1 - col0, row1 - row0)


def cell_area_m2(dataset) -> float:
    """One cell's area in square metres (the CRS's linear unit converted)."""
    t = dataset.transform
    factor = dataset.crs.linear_units_factor[1] if dataset.crs is not None else 1.0
    return abs(t.a * t.e - t.b * t.d) * factor ** 2


def read_classes(dataset, window, classes: Mapping[str, Iterable[int]] = CODES) -> np.ndarray:
    """A window's class positions (int8); nodata, masked cells and unnamed codes as NO_CLASS."""
    data = dataset.read(1, window=window, masked=True)
    cls = class_index(np.ma.getdata(data), classes)
    cls[np.ma.getmaskarray(data)] = NO_CLASS
    return cls


def copy_classes(dataset, window, classes: Mapping[str, Iterable[int]], target,
                 block: int = BLOCK_CELLS) -> dict[int, int]:
    """Write the window as the pipeline's land-cover raster (CODES), block by block (block x block cells at
    most); the unnamed codes' counts."""
    import rasterio
    from rasterio.windows import Window

    profile = {"driver": "GTiff", "width": int(window.width), "height": int(window.height), "count": 1,
               "dtype": "uint8", "crs": dataset.crs, "transform": dataset.window_transform(window), "nodata": NODATA,
               "compress": "deflate", "tiled": True, "blockxsize": 256, "blockysize": 256}
    unnamed: dict[int, int] = {}
    with rasterio.open(target, "w", **profile) as dst:
        for row in range(0, int(window.height), block):
            for col in range(0, int(window.width), block):
                rows, cols = min(block, int(window.height) - row), min(block, int(window.width) - col)
                data = dataset.read(1, window=Window(window.col_off + col, window.row_off + row, cols, rows), masked=True)
                cls = class_index(np.ma.getdata(data), classes)
                masked = np.ma.getmaskarray(data)
                left_out = (cls == NO_CLASS) & ~masked
                if left_out.any():
                    codes, counts = np.unique(np.ma.getdata(data)[left_out], return_counts=True)
                    for code, count in zip(codes.tolist(), counts.tolist(), strict=True):
                        unnamed[code] = unnamed.get(code, 0) + count
                out = np.where(masked | (cls == NO_CLASS), NODATA, cls + 1).astype(np.uint8)
                dst.write(out, 1, window=Window(col, row, cols, rows))
    return unnamed
