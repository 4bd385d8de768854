"""The land-cover layer of the accessibility page: the classes drawn once per release as one small image.

The land-cover raster ingest wrote (classes 1..7, 0 nodata) is warped to Web Mercator with the most common
class of the cells under each pixel (`Resampling.mode`), at most `publish.land_cover_max_px` pixels on its
longer side so the page stays within its size budget, coloured by class (nodata transparent) and embedded
in the page as one PNG overlay with a legend. The colours tell every class apart for deuteranopes too
(CIE76 distance above 25 as they see them; tests/test_publish_classes.py measures it).
"""

from __future__ import annotations

import math
from pathlib import Path

import folium
import numpy as np

from pipeline.publish.i18n import Language
from pipeline.publish.maps import Legend, esc
from pipeline.sources.land_cover import CLASSES, NODATA

LAND_COVER_COLOURS = {"natural": "#8c510a", "semi_natural": "#d9ef8b", "lawn": "#41ab5d", "trees": "#00441b",
                      "sealed": "#969696", "water": "#4393c3", "other": "#f7f7f7"}
CLASS_LABELS = {"natural": "Nature (heath, bog, wetland)", "semi_natural": "Meadow and grassland", "lawn": "Lawn",
                "trees": "Trees and woodland", "sealed": "Buildings and paved ground", "water": "Water",
                "other": "Other (fields, bare ground)"}
WEB_MERCATOR = "EPSG:3857"
OPACITY = 0.7


def land_cover_image(path: Path, max_px: int) -> tuple[np.ndarray, list[list[float]]]:
    """The raster as RGBA pixels in Web Mercator (nodata transparent), and its bounds [[south, west], [north, east]]."""
    import rasterio
    from rasterio.warp import Resampling, calculate_default_transform, reproject, transform_bounds

    with rasterio.open(path) as src:
        transform, width, height = calculate_default_transform(src.crs, WEB_MERCATOR, src.width, src.height, *src.bounds)
        shrink = max(1.0, max(width, height) / max_px)
        out_w, out_h = math.ceil(width / shrink), math.ceil(height / shrink)
        transform = transform @ rasterio.Affine.scale(width / out_w, height / out_h)
        classes = np.zeros((out_h, out_w), dtype=np.uint8)
        reproject(rasterio.band(src, 1), classes, src_nodata=NODATA, dst_nodata=NODATA, dst_transform=transform,
                  dst_crs=WEB_MERCATOR, resampling=Resampling.mode)
    table = np.zeros((len(CLASSES) + 1, 4), dtype=np.uint8)
    for k, name in enumerate(CLASSES, start=1):
        colour = LAND_COVER_COLOURS[name]
        table[k] = [int(colour[i:i + 2], 16) for i in (1, 3, 5)] + [255]
    left, top = transform.c, transform.f
    right, bottom = left + transform.a * out_w, top + transform.e * out_h
    west, south, east, north = transform_bounds(WEB_MERCATOR, "EPSG:4326", left, bottom, right, top)
    return table[np.clip(classes, 0, len(CLASSES))], [[south, west], [north, east]]


def add_land_cover(m: folium.Map, path: Path | None, max_px: int, lang: Language, *, show: bool = False) -> None:
    """The land-cover overlay with its legend, off until the reader turns it on; nothing without a raster."""
    if path is None:
        return
    pixels, bounds = land_cover_image(path, max_px)
    name = lang("Land cover")
    overlay = folium.raster_layers.ImageOverlay(pixels, bounds, name=esc(name), opacity=OPACITY, show=show,
                                                mercator_project=False)
    m.add_child(overlay)
    Legend(m, overlay, name, [(LAND_COVER_COLOURS[c], lang(CLASS_LABELS[c])) for c in CLASSES],
           symbol={"style": {"weight": 0, "fillOpacity": OPACITY}}).add_to(m)  # the image's pixels: no outline
