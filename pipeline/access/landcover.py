"""Green structure per housing area: natural cover, sealed ground, habitat fragmentation, nature-friendly lawns (CONTRACT 6c).

From the land-cover raster ingest wrote (classes as pipeline/sources/land_cover.py's `CODES`), per housing
area, over its polygon and over its own ring (the polygon grown by green.buffer_m, minus the polygon):

- share_natural_cover = (natural + semi_natural + trees cells) / valid cells; share_sealed = sealed / valid;
- effective_mesh_size_ha (Jaeger 2000) = sum_i A_i^2 / A_t: A_t the zone's valid area, A_i the area of
  habitat patch i (natural, semi_natural, trees: 8-connected cells, scipy.ndimage.label with a 3x3
  structure). Patches cut by the zone's edge count by the cutting-out procedure: patches are labelled within
  the zone only, so a patch counts with its area inside the zone, and one that leaves the zone and comes back
  counts as two pieces (as the polygon intersection of patch and zone would);

the ring's figures carry the suffix `_ring`. A cell belongs to a zone when its centre lies inside
(rasterio.features.rasterize), the same cells for every figure. Nodata cells count nowhere, neither in a
numerator nor in a denominator, and join no patches; a zone without a valid cell has null figures.
Where two areas touch, each one's ring covers part of the other, and every cell counts once in each zone.
Each area reads only the window of its ring's bounds. The polygons are reprojected to the raster's CRS (after
buffering in the working CRS, edges densified to the cell size), so the cells are the delivered ones.

The scenario nature_friendly turns green.lawn_to_meadow_share of each chosen area's lawn cells (round half
up) into semi_natural, the lawn nearest to existing habitat first (Euclidean distance in cells from any
habitat cell in the area's window, scipy's distance_transform_edt; ties in row-major order): meadow laid out
from the edge of the nature already there, deterministic, joining patches rather than scattering new ones.
Every area's figures are then recomputed (a ring may hold a neighbour's new meadow).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import ndimage

from pipeline.access.green import green_access_points
from pipeline.access.travel import Travel
from pipeline.core.progress import step
from pipeline.network import nearest_distance_m
from pipeline.network.coverage import Coverage, near_destinations
from pipeline.sources.land_cover import (
    CLASSES,
    NO_CLASS,
    cell_area_m2,
    cell_window,
    open_land_cover,
    read_classes,
)

NATURAL_COVER = ("natural", "semi_natural", "trees")
HABITAT = NATURAL_COVER
EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)
FIGURES = ("share_natural_cover", "share_sealed", "effective_mesh_size_ha")
ZONES = {1: "", 2: "_ring"}  # the zone's value in an area's mask: its column suffix
LANDCOVER_COLUMNS = tuple(f"{figure}{suffix}" for suffix in ZONES.values() for figure in FIGURES)
NATURE_FRIENDLY_COLUMNS = (
    "area_id", "name", "nature_friendly", "lawn_to_meadow_m2",
    *(f"{c}{s}" for c in LANDCOVER_COLUMNS for s in ("_before", "_after", "_change")),
)
VALID_M2 = {suffix: f"valid_m2{suffix}" for suffix in ZONES.values()}


def _lookup(names: Iterable[str]) -> np.ndarray:
    """A table indexed by class position + 1 (NO_CLASS at 0): whether the class is one of names."""
    table = np.zeros(len(CLASSES) + 1, dtype=bool)
    table[[CLASSES.index(n) + 1 for n in names]] = True
    return table


IS_NATURAL, IS_HABITAT, IS_SEALED = _lookup(NATURAL_COVER), _lookup(HABITAT), _lookup(["sealed"])


def zone_figures(cls: np.ndarray, zone: np.ndarray, cell_m2: float) -> dict[str, float]:
    """share_natural_cover, share_sealed and effective_mesh_size_ha of the cells where zone is true, and the
    zone's valid area (m2)."""
    valid = zone & (cls != NO_CLASS)
    n_valid = int(valid.sum())
    if n_valid == 0:
        return {**dict.fromkeys(FIGURES, np.nan), "valid_m2": 0.0}
    values = cls[valid] + 1
    return {
        "share_natural_cover": float(IS_NATURAL[values].sum() / n_valid),
        "share_sealed": float(IS_SEALED[values].sum() / n_valid),
        "effective_mesh_size_ha": effective_mesh_size_ha(valid & IS_HABITAT[cls + 1], n_valid, cell_m2),
        "valid_m2": n_valid * cell_m2,
    }


def effective_mesh_size_ha(habitat: np.ndarray, n_valid: int, cell_m2: float) -> float:
    """Jaeger's effective mesh size (ha): the habitat patches' areas squared, summed, over the zone's valid area."""
    labels, n = ndimage.label(habitat, structure=EIGHT_CONNECTED)
    if n == 0:
        return 0.0
    cells = np.bincount(labels.ravel())[1:].astype(np.float64)
    return float((cells ** 2).sum() * cell_m2 / n_valid / 10_000.0)


def area_zones(areas: gpd.GeoDataFrame, buffer_m: float, raster_crs, densify_m: float) -> tuple[np.ndarray, np.ndarray]:
    """Each area's polygon and ring (buffer minus polygon), built in the working CRS, in the raster's CRS."""
    polygons = areas.geometry.to_numpy()
    ring = shapely.difference(shapely.buffer(polygons, buffer_m), polygons) if buffer_m > 0 else np.full(len(polygons), None)
    if raster_crs is not None and areas.crs is not None and not areas.crs.equals(raster_crs):
        def to_raster(shapes: np.ndarray) -> np.ndarray:
            dense = shapely.segmentize(shapes, densify_m)
            return gpd.GeoSeries(dense, crs=areas.crs).to_crs(raster_crs).to_numpy()
        polygons = to_raster(polygons)
        ring = to_raster(ring) if buffer_m > 0 else ring
    return polygons, ring


def zone_mask(polygon, ring, shape: tuple[int, int], transform) -> np.ndarray:
    """1 on the polygon's cells, 2 on the ring's, 0 elsewhere (cells whose centre lies inside; GDAL's rasterize,
    which on the demo at scale 10 gave the same masks as shapely.contains_xy on the cell centres, in half the time)."""
    from rasterio.features import rasterize

    shapes = [(g, v) for g, v in ((polygon, 1), (ring, 2)) if g is not None and not shapely.is_empty(g)]
    if not shapes:
        return np.zeros(shape, dtype=np.uint8)
    return rasterize(shapes, out_shape=shape, transform=transform, fill=0, all_touched=False, dtype="uint8")


def _outer_bounds(polygons: np.ndarray, rings: np.ndarray) -> np.ndarray:
    """Each area's bounds with its ring (the ring's, which enclose the polygon; the polygon's without a ring)."""
    bounds = shapely.bounds(polygons)
    ring_bounds = shapely.bounds(rings.astype(object))
    has_ring = ~np.isnan(ring_bounds).any(axis=1)
    bounds[has_ring] = ring_bounds[has_ring]
    return bounds


def landcover_figures(path: Path, areas: gpd.GeoDataFrame, buffer_m: float, working_crs,
                      meadow: tuple[np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
    """Per area (the areas' index): LANDCOVER_COLUMNS and the zones' valid areas (VALID_M2).

    meadow: cells (rows and columns in the raster's grid) turned semi_natural, for the nature_friendly scenario.
    """
    columns = [*LANDCOVER_COLUMNS, *VALID_M2.values()]
    values = np.full((len(areas), len(columns)), np.nan)
    with open_land_cover(path, working_crs) as dataset:
        polygons, rings = area_zones(areas, buffer_m, dataset.crs, abs(dataset.transform.a))
        cell_m2 = cell_area_m2(dataset)
        outer = _outer_bounds(polygons, rings)
        if meadow is not None:  # sorted by row, so each window finds its cells by bisection
            order = np.argsort(meadow[0], kind="stable")
            meadow = (np.asarray(meadow[0])[order], np.asarray(meadow[1])[order])
        for i in range(len(areas)):
            window = cell_window(dataset, outer[i]) if not np.isnan(outer[i]).any() else None
            if window is None:
                continue
            cls = read_classes(dataset, window)
            if meadow is not None:
                _turn_semi_natural(cls, window, meadow)
            mask = zone_mask(polygons[i], rings[i], cls.shape, dataset.window_transform(window))
            for value, suffix in ZONES.items():
                figures = zone_figures(cls, mask == value, cell_m2)
                for figure in FIGURES:
                    values[i, columns.index(f"{figure}{suffix}")] = figures[figure]
                values[i, columns.index(VALID_M2[suffix])] = figures["valid_m2"]
    return pd.DataFrame(values, index=areas.index, columns=columns)


def _turn_semi_natural(cls: np.ndarray, window, cells: tuple[np.ndarray, np.ndarray]) -> None:
    """Turn the given cells (raster rows and columns, sorted by row) that fall in the window semi_natural."""
    lo, hi = np.searchsorted(cells[0], [int(window.row_off), int(window.row_off) + cls.shape[0]])
    r = np.asarray(cells[0][lo:hi], dtype=np.int64) - int(window.row_off)
    c = np.asarray(cells[1][lo:hi], dtype=np.int64) - int(window.col_off)
    inside = (r >= 0) & (r < cls.shape[0]) & (c >= 0) & (c < cls.shape[1])
    cls[r[inside], c[inside]] = CLASSES.index("semi_natural")


def lawn_to_meadow(path: Path, areas: gpd.GeoDataFrame, share: float, chosen: np.ndarray,
                   working_crs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The lawn cells of the chosen areas' polygons to turn semi_natural (raster rows, columns), and per area
    the area turned (m2)."""
    lawn = CLASSES.index("lawn")
    rows, cols = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    turned_m2 = np.zeros(len(areas))
    with open_land_cover(path, working_crs) as dataset:
        polygons, _ = area_zones(areas, 0.0, dataset.crs, abs(dataset.transform.a))
        cell_m2 = cell_area_m2(dataset)
        for i in np.flatnonzero(np.asarray(chosen, dtype=bool)):
            window = cell_window(dataset, shapely.bounds(polygons[i])) if not shapely.is_empty(polygons[i]) else None
            if window is None:
                continue
            cls = read_classes(dataset, window)
            inside = zone_mask(polygons[i], None, cls.shape, dataset.window_transform(window)) == 1
            candidates = np.flatnonzero((inside & (cls == lawn)).ravel())
            k = math.floor(share * len(candidates) + 0.5)
            if k == 0:
                continue
            habitat = IS_HABITAT[cls + 1]
            dist = ndimage.distance_transform_edt(~habitat).ravel() if habitat.any() else np.zeros(cls.size)
            picked = candidates[np.lexsort((candidates, dist[candidates]))][:k]
            r, c = np.divmod(picked, cls.shape[1])
            rows.append(r + int(window.row_off))
            cols.append(c + int(window.col_off))
            turned_m2[i] = k * cell_m2
    return np.concatenate(rows), np.concatenate(cols), turned_m2


@step("distance to protected nature")
def protected_nature_dist_m(travel: Travel, origins: gpd.GeoSeries, nature: gpd.GeoDataFrame | None, *,
                            spacing_m: float, cover: Coverage | None = None) -> np.ndarray:
    """Walking distance to the nearest protected nature polygon, entered at its nearest boundary access point
    (as green_dist_m: touching polygons dissolved, points every spacing_m, those beyond the network left out)."""
    if nature is None or len(nature) == 0:
        return np.full(len(origins), np.nan)
    pieces = shapely.get_parts(shapely.union_all(nature.geometry.to_numpy()))
    if travel.walk is None:
        return nearest_distance_m(None, origins, gpd.GeoSeries(pieces), detour_factor=travel.detour_factor)
    points = gpd.GeoDataFrame(geometry=gpd.GeoSeries(green_access_points(pieces, spacing_m)))
    points = near_destinations(cover, points, "protected nature access points", "point").geometry
    return nearest_distance_m(travel.walk, origins, points, detour_factor=travel.detour_factor)


def chosen_areas(areas: gpd.GeoDataFrame, settings: dict) -> np.ndarray:
    """Which areas the nature_friendly scenario changes: by area_type and by area_id (config green)."""
    types = set(settings.get("nature_friendly_area_types") or [])
    ids = {str(a) for a in settings.get("nature_friendly_area_ids") or []}
    by_type = areas["area_type"].isin(types).to_numpy() if "area_type" in areas.columns else np.zeros(len(areas), bool)
    return by_type | areas["area_id"].astype(str).isin(ids).to_numpy()


@step("land cover per housing area (zonal figures)")
def area_landcover(path: Path | None, areas: gpd.GeoDataFrame, settings: dict, working_crs) -> pd.DataFrame:
    """LANDCOVER_COLUMNS and the valid areas per area; all null without a land-cover raster."""
    if path is None:
        return pd.DataFrame(np.nan, index=areas.index, columns=[*LANDCOVER_COLUMNS, *VALID_M2.values()])
    return landcover_figures(path, areas, float(settings["buffer_m"]), working_crs)


@step("scenario nature_friendly")
def nature_friendly(path: Path, areas: gpd.GeoDataFrame, before: pd.DataFrame, settings: dict, working_crs) -> pd.DataFrame:
    """Per area: each land-cover figure before and after the chosen areas' lawn turns meadow, and the change."""
    chosen = chosen_areas(areas, settings)
    rows, cols, turned_m2 = lawn_to_meadow(path, areas, float(settings["lawn_to_meadow_share"]), chosen, working_crs)
    after = landcover_figures(path, areas, float(settings["buffer_m"]), working_crs, meadow=(rows, cols))
    out = pd.DataFrame({"area_id": areas["area_id"].to_numpy(),
                        "name": areas["name"].to_numpy() if "name" in areas else None,
                        "nature_friendly": chosen, "lawn_to_meadow_m2": turned_m2})
    for column in LANDCOVER_COLUMNS:
        out[f"{column}_before"] = before[column].to_numpy(dtype=float)
        out[f"{column}_after"] = after[column].to_numpy(dtype=float)
        out[f"{column}_change"] = out[f"{column}_after"] - out[f"{column}_before"]
    return out[list(NATURE_FRIENDLY_COLUMNS)]


def municipality_landcover(figures: pd.DataFrame) -> dict[str, float]:
    """The housing areas together: each figure as the zones' mean weighted by their valid area.

    For the shares this is the share of all the areas' valid ground; for the mesh size it is Jaeger's
    effective mesh size of the areas taken as one reporting unit (sum of A_i^2 over the total area), since
    each zone's patches were cut at its edge. Rings overlap where areas lie closer than twice the buffer,
    and such ground then counts in each ring.
    """
    out = {}
    for suffix, weight_column in VALID_M2.items():
        weight = figures[weight_column].fillna(0.0).to_numpy(dtype=float)
        for figure in FIGURES:
            values = figures[f"{figure}{suffix}"].to_numpy(dtype=float)
            known = ~np.isnan(values) & (weight > 0)
            out[f"{figure}{suffix}"] = float((values[known] * weight[known]).sum() / weight[known].sum()) if known.any() else np.nan
    return out
