"""Does a layer's declared CRS fit its coordinates? Checked before anything uses the geometries.

A .prj that says EPSG:4326 on UTM metres (or the reverse) otherwise sends inf coordinates into GEOS, which
fails deep inside make_valid. Each layer's bounds are compared with the area of use of its declared CRS
(pyproj `CRS.area_of_use`, widened by `ingest.crs_area_margin_deg`: Danish data keeps EPSG:25832 east of
its 12°E zone edge, Bornholm lies at 15°E); a geographic CRS must have -180..180 / -90..90. When the
declared CRS does not fit, the usual Danish CRSs are tried to name the likely one.
"""

from __future__ import annotations

import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

# The CRSs Danish data comes in: UTM 32N and 33N (ETRS89), WGS 84, web Mercator, and DKTM1..4.
DANISH_CRSS = ("EPSG:25832", "EPSG:25833", "EPSG:4326", "EPSG:3857", "EPSG:4093", "EPSG:4094", "EPSG:4095", "EPSG:4096")


def layer_bounds(geometries) -> tuple[float, float, float, float] | None:
    """xmin, ymin, xmax, ymax over the finite coordinates of a GeoSeries; None when there are none."""
    bounds = geometries.bounds.to_numpy(dtype=float)
    if not np.isfinite(bounds).any():
        return None
    with np.errstate(invalid="ignore"):
        return (float(np.nanmin(bounds[:, 0])), float(np.nanmin(bounds[:, 1])),
                float(np.nanmax(bounds[:, 2])), float(np.nanmax(bounds[:, 3])))


def _corners(bounds) -> tuple[np.ndarray, np.ndarray]:
    """The four corners and edge midpoints of a box."""
    xmin, ymin, xmax, ymax = bounds
    xs = np.array([xmin, xmax, xmin, xmax, (xmin + xmax) / 2, (xmin + xmax) / 2, xmin, xmax])
    ys = np.array([ymin, ymin, ymax, ymax, ymin, ymax, (ymin + ymax) / 2, (ymin + ymax) / 2])
    return xs, ys


def fits(bounds, crs, margin_deg: float) -> bool:
    """Whether coordinates with these bounds can be in the CRS: inside its area of use, widened by margin_deg."""
    crs = CRS.from_user_input(crs)
    xs, ys = _corners(bounds)
    if crs.is_geographic:
        lon, lat = xs, ys  # GIS files hold lon, lat whatever the authority's axis order
    else:
        to_lonlat = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
        with np.errstate(all="ignore"):
            lon, lat = to_lonlat.transform(xs, ys, errcheck=False)
        lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        return False
    if (np.abs(lon) > 180).any() or (np.abs(lat) > 90).any():
        return False
    area = crs.area_of_use
    if area is None:
        return True
    west, south, east, north = area.bounds
    return bool((lon >= west - margin_deg).all() and (lon <= east + margin_deg).all()
                and (lat >= south - margin_deg).all() and (lat <= north + margin_deg).all())


def inside_extent(bounds, crs, working_crs, extent) -> bool:
    """Whether the bounds, read in crs, land inside the configured extent (working CRS)."""
    transform = Transformer.from_crs(CRS.from_user_input(crs), CRS.from_user_input(working_crs), always_xy=True)
    xs, ys = _corners(bounds)
    with np.errstate(all="ignore"):
        x, y = transform.transform(xs, ys, errcheck=False)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    xmin, ymin, xmax, ymax = extent
    return bool(np.isfinite(x).all() and np.isfinite(y).all() and (x >= xmin).all() and (x <= xmax).all()
                and (y >= ymin).all() and (y <= ymax).all())


def likely_crss(bounds, working_crs: str, extent, margin_deg: float) -> list[str]:
    """The usual Danish CRSs in which these coordinates fall inside the configured extent."""
    return [code for code in DANISH_CRSS
            if fits(bounds, code, margin_deg) and inside_extent(bounds, code, working_crs, extent)]


def describe(bounds) -> str:
    """The bounds in words for a message: x 700000..710000, y 6170000..6178000."""
    def number(value: float) -> str:
        return f"{value:.0f}" if abs(value) >= 1000 else f"{value:.6g}"

    xmin, ymin, xmax, ymax = bounds
    return f"x {number(xmin)}..{number(xmax)}, y {number(ymin)}..{number(ymax)}"


def crs_name(crs) -> str:
    """EPSG:nnnn when the CRS has an EPSG code, else its name."""
    try:
        parsed = CRS.from_user_input(crs)
    except CRSError:
        return str(crs)
    code = parsed.to_epsg()
    return f"EPSG:{code}" if code else parsed.name
