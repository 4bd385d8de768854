"""The small map of Kort fortalt: the area with its school, the nearest green area and station, as inline SVG.

No script and no tiles, so it prints as drawn and opens offline. The places are chosen once for every area
(`map_places`): the school of the school district covering most of the area (else the nearest school), the
nearest public green area of at least access.min_green_area_m2 and the nearest station, by straight line
from the area's outline (the profile's figures give the distances along the streets). A station farther
than `FAR` times the extent of the rest is left off the drawing and named under it, so the area stays
large enough to see.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

WIDTH, HEIGHT, PAD = 300, 210, 14  # pixels of the drawing and the margin inside it
FAR = 3.0  # a station beyond this many times the extent of area, school and green area is named, not drawn
SCALE_BARS_M = (50, 100, 200, 250, 500, 1000, 2000, 5000, 10000)


@dataclass(frozen=True)
class Places:
    """What one area's map shows: the area, and each place with its name (None where the layer is absent)."""

    area: object  # shapely geometry, working CRS
    school: object | None = None
    school_name: str | None = None
    green: object | None = None
    station: object | None = None
    station_name: str | None = None


def _nearest(targets: gpd.GeoDataFrame | None, shapes: np.ndarray) -> np.ndarray:
    """For each shape, the position in `targets` of the nearest target (-1 where there is none)."""
    found = np.full(len(shapes), -1)
    if targets is None or not len(targets) or not len(shapes):
        return found
    present = ~shapely.is_missing(shapes)
    pairs = targets.sindex.nearest(shapes[present], return_all=False)
    found[np.flatnonzero(present)[pairs[0]]] = pairs[1]
    return found


def map_places(table: gpd.GeoDataFrame, schools: gpd.GeoDataFrame | None, green: gpd.GeoDataFrame | None,
               stations: gpd.GeoDataFrame | None, districts: pd.DataFrame | None,
               min_green_m2: float) -> dict[str, Places]:
    """Every area's places, by area_id (areas without a geometry get none)."""
    if not isinstance(table, gpd.GeoDataFrame) or table.geometry.isna().all():
        return {}
    crs = table.crs
    layers = [layer.to_crs(crs) if layer is not None and crs is not None and layer.crs not in (None, crs) else layer
              for layer in (schools, green, stations)]
    schools, green, stations = layers
    if green is not None and len(green):
        public = green["public"].fillna(True).astype(bool) if "public" in green.columns else True
        green = green[public & (green.geometry.area >= min_green_m2)]
    shapes = table.geometry.to_numpy()
    ids = table["area_id"].astype(str).to_numpy()
    school_at, green_at, station_at = (_nearest(layer, shapes) for layer in (schools, green, stations))
    own_school = _district_schools(districts)
    school_rows = ({} if schools is None else
                   dict(zip(schools["school_id"].astype(str)[::-1], range(len(schools))[::-1], strict=True)))
    places = {}
    for i, area_id in enumerate(ids):  # a handful of lookups per area
        school, school_name = None, None
        if schools is not None and len(schools):
            position = school_rows.get(own_school.get(area_id, ""), school_at[i])  # the district's, else the nearest
            row = schools.iloc[position] if position >= 0 else None
            if row is not None:
                school, school_name = row.geometry, str(row.get("name") or row.get("school_id"))
        station = stations.iloc[station_at[i]] if station_at[i] >= 0 else None
        places[area_id] = Places(
            area=shapes[i], school=school, school_name=school_name,
            green=green.geometry.iloc[green_at[i]] if green_at[i] >= 0 else None,
            station=station.geometry if station is not None else None,
            station_name=str(station.get("name") or station.get("station_id")) if station is not None else None)
    return places


def _district_schools(districts: pd.DataFrame | None) -> dict[str, str]:
    """Each area's school: that of the district covering most of it (the overlaps are sorted largest first)."""
    if districts is None or not len(districts) or "school_id" not in districts.columns:
        return {}
    first = districts.dropna(subset=["school_id"]).drop_duplicates("area_id")
    return dict(zip(first["area_id"].astype(str), first["school_id"].astype(str), strict=True))


# ---------------------------------------------------------------- drawing


def _path(geometry: object, transform) -> str:
    """An SVG path of a polygon's rings in page pixels (M x y L ... Z per ring)."""
    drawn = shapely.transform(geometry, transform)
    parts = []
    for ring in shapely.get_rings(shapely.get_parts(drawn)):  # a few rings per area
        xy = shapely.get_coordinates(ring)
        parts.append("M" + " L".join(f"{x:.1f} {y:.1f}" for x, y in xy) + " Z")
    return " ".join(parts)


def drawing(places: Places) -> dict | None:
    """The map as SVG geometry (paths and points in pixels, a scale bar), or None without an area outline."""
    area = places.area
    if area is None or shapely.is_missing(area) or shapely.is_empty(area):
        return None
    near = [g for g in (area, places.school, places.green) if g is not None]
    frame = shapely.envelope(shapely.union_all(near))
    x0, y0, x1, y1 = shapely.bounds(frame)
    size = max(math.hypot(x1 - x0, y1 - y0), 50.0)
    station_drawn = places.station is not None and shapely.distance(frame, places.station) <= FAR * size
    if station_drawn:
        frame = shapely.envelope(shapely.union_all([frame, places.station]))
    minx, miny, maxx, maxy = shapely.bounds(frame)
    scale = min((WIDTH - 2 * PAD) / max(maxx - minx, 1.0), (HEIGHT - 2 * PAD) / max(maxy - miny, 1.0))
    left = (WIDTH - scale * (maxx - minx)) / 2
    top = (HEIGHT - scale * (maxy - miny)) / 2

    def transform(xy: np.ndarray) -> np.ndarray:
        return np.column_stack([left + (xy[:, 0] - minx) * scale, top + (maxy - xy[:, 1]) * scale])

    tolerance = 0.8 / scale  # under a pixel

    def point(geometry: object) -> tuple[float, float]:
        x, y = transform(shapely.get_coordinates(shapely.centroid(geometry)))[0]
        return round(float(x), 1), round(float(y), 1)

    bar_m = max((b for b in SCALE_BARS_M if b * scale <= WIDTH / 3), default=SCALE_BARS_M[0])
    return {
        "width": WIDTH, "height": HEIGHT,
        "area": _path(shapely.simplify(area, tolerance), transform),
        "green": _path(shapely.simplify(places.green, tolerance), transform) if places.green is not None else None,
        "school": point(places.school) if places.school is not None else None,
        "station": point(places.station) if station_drawn else None,
        "scale_px": round(bar_m * scale, 1), "scale_m": bar_m,
    }
