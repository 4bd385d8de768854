"""The shapes a page draws: geometries simplified for display, in EPSG:4326, as compact GeoJSON.

Each distinct display shape is worked out once per process and its coordinates are read at once (shapely's
`mapping` built each pair in Python); tests/test_publish_shapes.py checks every shortcut against the library
call it replaces.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyproj
import shapely
import shapely.geometry

from pipeline.core.config import Config

# One CRS object: geopandas parses a CRS given as text anew each time (milliseconds, hundreds of times a run).
MAP_CRS = pyproj.CRS.from_user_input("EPSG:4326")


def display_geometry(frame: gpd.GeoDataFrame, config: Config) -> gpd.GeoSeries:
    """Geometries for the page: simplified in metres, in EPSG:4326, coordinates rounded."""
    publish = config["publish"]
    geometry = frame.geometry
    if publish.get("simplify_tolerance_m"):
        geometry = geometry.simplify(float(publish["simplify_tolerance_m"]), preserve_topology=True)
    geometry = geometry.to_crs(MAP_CRS)
    grid = 10.0 ** -int(publish["coordinate_decimals"])
    return gpd.GeoSeries(shapely.set_precision(geometry.array, grid), index=frame.index, crs=MAP_CRS)


# The display geometry (as GeoJSON) of every shape drawn so far in this process, by the frame's CRS, the
# simplification and rounding settings and the shape's WKB: the pages draw the same shapes many times (the
# areas on every page and in every year layer, a district's catchment in every scenario), and simplifying,
# reprojecting, rounding and converting a shape gives the same result each time. Bounded: emptied when full.
_DISPLAY_SHAPES: dict[tuple, dict[bytes, dict | None]] = {}
DISPLAY_SHAPES_MAX = 200_000


def display_shapes(frame: gpd.GeoDataFrame, config: Config) -> tuple[list[bytes | None], dict[bytes, dict | None]]:
    """Each row's shape key (its WKB; None where it has no geometry) and the display geometry of each key as a
    GeoJSON mapping (None where the shape is empty once simplified and rounded); computed once per shape."""
    publish = config["publish"]
    settings = (str(frame.crs), publish.get("simplify_tolerance_m"), int(publish["coordinate_decimals"]))
    known = _DISPLAY_SHAPES.setdefault(settings, {})
    keys = shapely.to_wkb(np.asarray(frame.geometry.array, dtype=object)).tolist()
    new = [i for i, key in enumerate(keys) if key is not None and key not in known]
    if new:
        if len(known) + len(new) > DISPLAY_SHAPES_MAX:
            known.clear()
        shown = np.asarray(display_geometry(frame.iloc[new], config).array, dtype=object)
        for i, mapped in zip(new, geojson_geometries(shown), strict=True):
            known[keys[i]] = mapped
    return keys, known


# GeoJSON type of each shapely type id with the depth of its coordinate nesting (0: a position, 1: a list of
# positions, 2: of rings or lines, 3: of polygons): every simple type but LinearRing and collections.
GEOJSON_TYPES = {0: ("Point", 0), 1: ("LineString", 1), 3: ("Polygon", 2), 4: ("MultiPoint", 1),
                 5: ("MultiLineString", 2), 6: ("MultiPolygon", 3)}


def geojson_geometries(shapes: np.ndarray) -> list[dict | None]:
    """Each shape as a GeoJSON geometry with the coordinates shapely's `mapping` gives (None for a missing or empty
    shape), every coordinate read at once: shapely's mapping builds each coordinate pair in Python."""
    type_ids = shapely.get_type_id(shapes)
    simple = np.isin(type_ids, list(GEOJSON_TYPES)) & ~shapely.is_empty(shapes) & ~shapely.has_z(shapes)
    nested = iter(_coordinate_lists(shapes[simple], type_ids[simple]))
    out: list[dict | None] = []
    for shape, type_id, plain in zip(shapes, type_ids, simple, strict=True):
        if plain:
            out.append({"type": GEOJSON_TYPES[type_id][0], "coordinates": next(nested)})
        else:
            out.append(None if shape is None or shape.is_empty else shapely.geometry.mapping(shape))
    return out


def _coordinate_lists(shapes: np.ndarray, type_ids: np.ndarray) -> list:
    """The nested coordinate lists of 2D simple shapes: positions, split into lines or rings, into parts."""
    parts, part_of = shapely.get_parts(shapes, return_index=True)  # a single shape is its own one part
    part_type = type_ids[part_of]
    ring_parts = np.isin(part_type, (3, 6))
    lines = np.empty(len(parts), dtype=object)
    lines[~ring_parts] = parts[~ring_parts]
    rings, ring_of = shapely.get_rings(parts[ring_parts], return_index=True)  # exterior first, then holes
    segments = np.concatenate([lines[~ring_parts], rings]) if len(rings) else lines[~ring_parts]
    owner = np.concatenate([np.flatnonzero(~ring_parts), np.flatnonzero(ring_parts)[ring_of]])
    order = np.argsort(owner, kind="stable")  # lines and rings in part order
    segments, owner = segments[order], owner[order]
    xy = shapely.get_coordinates(segments).tolist()
    ends = np.cumsum(shapely.get_num_coordinates(segments)).tolist()
    by_part: list[list] = [[] for _ in range(len(parts))]
    start = 0
    for part, end in zip(owner.tolist(), ends, strict=True):
        by_part[part].append([tuple(c) for c in xy[start:end]])
        start = end
    out: list[list] = [[] for _ in range(len(shapes))]
    for part, (shape, kind) in enumerate(zip(part_of.tolist(), part_type.tolist(), strict=True)):
        depth = GEOJSON_TYPES[kind][1]
        segments_of_part = by_part[part]
        if depth == 0:  # a point: its one position
            out[shape] = segments_of_part[0][0]
        elif kind == 3:  # a polygon's rings
            out[shape].extend(segments_of_part)
        elif kind == 6:  # a multipolygon's polygons, each its rings
            out[shape].append(segments_of_part)
        elif kind == 4:  # a multipoint's positions
            out[shape].append(segments_of_part[0][0])
        elif kind == 5:  # a multilinestring's lines
            out[shape].append(segments_of_part[0])
        else:  # a linestring's positions
            out[shape] = segments_of_part[0]
    return out


def property_rows(frame, columns: list[str]) -> list[list]:
    """Each row's values of the columns as Python values (None where missing), as geopandas' to_geo_dict gives them."""
    values = frame[columns]
    rows = values.astype(object).to_numpy()
    rows[pd.isna(values).to_numpy()] = None
    return rows.tolist()


def drawn_features(frame: gpd.GeoDataFrame, config: Config, columns: list[str]) -> tuple[dict, list[bytes]]:
    """A GeoJSON FeatureCollection of the given (text or number) columns, display geometry, empty ones dropped;
    and each feature's shape key (display_shapes)."""
    keys, shapes = display_shapes(frame, config)
    drawn = [(key, row) for key, row in zip(keys, property_rows(frame, columns), strict=True)
             if key is not None and shapes[key] is not None]
    features = [{"type": "Feature", "properties": dict(zip(columns, row, strict=True)), "geometry": shapes[key]}
                for key, row in drawn]
    return {"type": "FeatureCollection", "features": features}, [key for key, _ in drawn]
