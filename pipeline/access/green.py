"""Public green space near each parcel (distance, area within 1 km per resident) and tree canopy (zonal statistics)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.access.discs import PointsInDiscs
from pipeline.access.travel import Travel
from pipeline.core.log import warn
from pipeline.core.parallel import active_executor
from pipeline.core.progress import fraction, step
from pipeline.network import CUTOFF_EPS_M, DEFAULT_CHUNK_SIZE, nearest_distance_m, point_xy
from pipeline.network.coverage import Coverage, near_destinations

BUFFER_QUAD_SEGS = 16


def public_green(green: gpd.GeoDataFrame) -> np.ndarray:
    """The public green areas dissolved into separate pieces (touching polygons form one piece)."""
    public = green["public"].fillna(True).astype(bool).to_numpy() if "public" in green.columns else np.ones(len(green), bool)
    polygons = green.geometry.to_numpy()[public]
    if len(polygons) == 0:
        return np.empty(0, dtype=object)
    return shapely.get_parts(shapely.union_all(polygons))


def green_access_points(pieces: np.ndarray, spacing_m: float) -> np.ndarray:
    """Access points along the boundary of each green piece: its vertices and points at most spacing_m apart."""
    if len(pieces) == 0:
        return np.empty(0, dtype=object)
    edges = shapely.segmentize(shapely.boundary(pieces), spacing_m)
    return shapely.points(np.unique(shapely.get_coordinates(edges), axis=0))


@step("distance to public green")
def green_dist_m(travel: Travel, origins: gpd.GeoSeries, pieces: np.ndarray, *, spacing_m: float,
                 cover: Coverage | None = None) -> np.ndarray:
    """Walking distance to the nearest green piece, reached at its nearest boundary access point; access points
    farther than access.max_snap_m from the network are left out (cover, pipeline/network/coverage.py)."""
    if len(pieces) == 0:
        return np.full(len(origins), np.nan)
    if travel.walk is None:
        return nearest_distance_m(None, origins, gpd.GeoSeries(pieces), detour_factor=travel.detour_factor)
    points = gpd.GeoSeries(green_access_points(pieces, spacing_m))
    points = near_destinations(cover, gpd.GeoDataFrame(geometry=points), "green access points", "point").geometry
    return nearest_distance_m(travel.walk, origins, points, detour_factor=travel.detour_factor)


def green_m2_within(origin_xy: np.ndarray, pieces: np.ndarray, radius_m: float) -> np.ndarray:
    """Public green area (m2) within radius_m straight-line of each origin: area of green inside the circle."""
    out = np.zeros(len(origin_xy))
    if len(pieces) == 0 or len(origin_xy) == 0:
        return out
    circles = shapely.buffer(shapely.points(origin_xy), radius_m, quad_segs=BUFFER_QUAD_SEGS)
    tree = shapely.STRtree(pieces)
    circle, piece = tree.query(circles, predicate="intersects")
    # A piece wholly inside its circle counts with its own area, without an overlay (most pairs: 79 % on the
    # scale-10 demo, a third of the time); only the pieces the circle cuts are intersected. The two areas are
    # the same but for the last bit of the floating-point sum (relative 1e-15).
    inside_circle, inside_piece = tree.query(circles, predicate="contains_properly")
    pair = circle.astype(np.int64) * len(pieces) + piece
    whole = np.isin(pair, inside_circle.astype(np.int64) * len(pieces) + inside_piece)
    area = shapely.area(pieces[piece])
    area[~whole] = shapely.area(shapely.intersection(circles[circle[~whole]], pieces[piece[~whole]]))
    return np.bincount(circle, weights=area, minlength=len(origin_xy))


@step("public green within {radius_m:g} m per resident")
def green_m2_per_resident(
    origin_xy: np.ndarray, residents: np.ndarray, pieces: np.ndarray, radius_m: float, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> pd.DataFrame:
    """Green within radius_m of a parcel over the residents within radius_m of it (who share that green).

    Runs in chunks of origins (on the Dask cluster when the run has one), the green and the parcels sent once.
    """
    chunks = [origin_xy[start:start + chunk_size] for start in range(0, len(origin_xy), max(1, chunk_size))]
    near = PointsInDiscs.of(origin_xy, residents, radius_m, CUTOFF_EPS_M)
    found = active_executor().map_chunks(_green_chunk, chunks, pieces, near, radius_m)
    green_m2 = np.concatenate([f[0] for f in found]) if found else np.zeros(0)
    residents_near = np.concatenate([f[1] for f in found]) if found else np.zeros(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_resident = np.where(residents_near > 0, green_m2 / residents_near, np.nan)
    return pd.DataFrame({"green_m2_1km": green_m2, "residents_1km": residents_near, "green_m2_per_resident_1km": per_resident})


def _green_chunk(origin_xy: np.ndarray, pieces: np.ndarray, residents: PointsInDiscs, radius_m: float):
    """Green area and residents within radius_m of one chunk of origins."""
    return green_m2_within(origin_xy, pieces, radius_m), residents.within(origin_xy)



def canopy_share(canopy_path: Path | None, polygons: gpd.GeoDataFrame) -> np.ndarray:
    """Mean canopy fraction over each polygon, cells weighted by the share of them it covers (exactextract)."""
    out = np.full(len(polygons), np.nan)
    is_polygon = polygons.geometry.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if canopy_path is None or not is_polygon.any():
        return out
    from exactextract import exact_extract

    shapes = _wkb_features(polygons.geometry.to_numpy()[is_polygon], np.flatnonzero(is_polygon), polygons.crs)
    result = exact_extract(
        str(canopy_path), shapes, ["mean"], include_cols=["row"], output="pandas", strategy="raster-sequential", progress=fraction()
    )
    out[result["row"].to_numpy()] = result["mean"].to_numpy(dtype=float)
    return out


def _wkb_features(geometries: np.ndarray, rows: np.ndarray, crs):
    """The polygons as exactextract features carrying WKB and their row: exactextract reads a GeoDataFrame feature by
    feature through GeoJSON text, which took 80 % of the zonal statistics (scale-10 demo: 5.3 s against 1.2 s, the
    same means to the bit)."""
    from exactextract.feature import Feature, FeatureSource

    class WkbFeature(Feature):
        def __init__(self, row: int, wkb: bytes):
            Feature.__init__(self)
            self.row, self.wkb = row, wkb

        def get(self, name: str) -> int:
            return self.row

        def geometry(self) -> bytes:
            return self.wkb

        def fields(self) -> list[str]:
            return ["row"]

    class WkbFeatures(FeatureSource):
        def count(self) -> int:
            return len(rows)

        def __iter__(self):
            for row, wkb in zip(rows.tolist(), shapely.to_wkb(geometries).tolist(), strict=True):
                yield WkbFeature(row, wkb)

        def srs_wkt(self) -> str | None:
            return crs.to_wkt() if crs is not None else None

    return WkbFeatures()


@step("canopy share (zonal statistics)")
def canopy_share_partitioned(canopy_path: Path | None, polygons: gpd.GeoDataFrame) -> np.ndarray:
    """canopy_share per polygon, run per spatial partition (on the Dask cluster when the run has one)."""
    if canopy_path is None or len(polygons) == 0:
        return np.full(len(polygons), np.nan)
    shapes = gpd.GeoDataFrame(geometry=polygons.geometry.to_numpy(), crs=polygons.crs)
    return active_executor().map_parcels(_canopy_frame, shapes, canopy_path)["canopy_share"].to_numpy(dtype=float)


def _canopy_frame(polygons: gpd.GeoDataFrame, canopy_path: Path) -> pd.DataFrame:
    """canopy_share of one partition of polygons, as a one-column frame."""
    return pd.DataFrame({"canopy_share": canopy_share(canopy_path, polygons)})


def known_flag(values: np.ndarray, test: np.ndarray) -> pd.array:
    """A yes/no flag per parcel, null where the value is unknown."""
    return pd.array(np.where(np.isnan(values), None, test), dtype="boolean")


def green_columns(travel: Travel, origins: gpd.GeoSeries, residents: np.ndarray, green, settings: dict,
                   cover: Coverage | None = None) -> dict:
    """green_dist_m, green_within_300, green_m2_1km, residents_1km and green_m2_per_resident_1km per origin."""
    if green is None:
        nothing = np.full(len(origins), np.nan)
        return {"green_dist_m": nothing, "green_within_300": known_flag(nothing, nothing > 0), "green_m2_1km": nothing,
                "residents_1km": nothing, "green_m2_per_resident_1km": nothing}
    pieces = public_green(green)
    large = pieces[shapely.area(pieces) >= settings["min_green_area_m2"]] if len(pieces) else pieces
    if len(large) == 0:
        warn(f"no public green area of at least {settings['min_green_area_m2']:,g} m2; green_dist_m is empty")
    dist = green_dist_m(travel, origins, large, spacing_m=settings["green_access_spacing_m"], cover=cover)
    columns = {"green_dist_m": dist,
               "green_within_300": known_flag(dist, dist <= settings["green_near_m"] + CUTOFF_EPS_M)}
    per_resident = green_m2_per_resident(point_xy(origins), residents, pieces, settings["green_radius_m"],
                                         int(settings["origin_chunk_size"]))
    return {**columns, **{name: per_resident[name].to_numpy() for name in per_resident.columns}}
