"""A layer's geometry: its declared CRS checked against its coordinates, reprojected, checked and repaired.

Also the DST grid cells' polygons, made from their ids where the source gives none (pipeline/sources/gridcells.py),
and multipart streets and points split into single parts.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from pipeline.core.config import Config
from pipeline.core.errors import Problem, first_ids
from pipeline.core.log import warn
from pipeline.core.parallel import active_executor
from pipeline.ingest.schema import GEOMETRY_FAMILIES, LINE, POINT, POLYGON, SCHEMAS, LayerSchema, Source
from pipeline.sources import crs as _crs
from pipeline.sources import gridcells


def to_working_crs(frame: gpd.GeoDataFrame, source: Source, crs: str, *, extent=None,
                   margin_deg: float = 5.0) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Reproject to the working CRS once the declared CRS is known to fit the coordinates (pipeline/sources/crs.py).

    A layer without CRS needs one named in config (sources.<layer>.crs); a configured CRS also replaces a
    declared one that does not fit the coordinates (a wrong .prj), with a warning.
    """
    if not isinstance(frame, gpd.GeoDataFrame):
        return frame, []  # a table without geometry (e.g. statistics per area) has no CRS to check
    configured = source.settings.get("crs")
    if frame.crs is None and not configured:
        return frame, [source.problem("the layer has no coordinate reference system",
                                      f"set sources.{source.layer_name}.crs in the config (e.g. EPSG:25832)")]
    bounds = _crs.layer_bounds(frame.geometry)
    declared = frame.crs if frame.crs is not None else configured
    use = declared
    if bounds is not None and not _crs.fits(bounds, declared, margin_deg):
        if frame.crs is not None and configured and _crs.fits(bounds, configured, margin_deg):
            warn(f"{source.path} layer '{source.file_layer or source.layer_name}': the file declares "
                 f"{_crs.crs_name(frame.crs)}, which does not fit its coordinates ({_crs.describe(bounds)}); "
                 f"read them as sources.{source.layer_name}.crs {_crs.crs_name(configured)}")
            use = configured
        else:
            return frame, [_crs_problem(source, declared, bounds, crs, extent, margin_deg)]
    frame = frame.set_crs(use, allow_override=True).to_crs(crs)
    coordinates, row = shapely.get_coordinates(frame.geometry.to_numpy(), return_index=True)
    broken = np.unique(row[~np.isfinite(coordinates).all(axis=1)])
    if len(broken):
        return frame, [source.problem(
            f"coordinates could not be reprojected from {_crs.crs_name(use)} to {crs}",
            f"check the layer's CRS (sources.{source.layer_name}.crs, or the file's .prj)", column="geometry",
            ids=frame[SCHEMAS[source.layer_name].id_column].iloc[broken].tolist(), count=len(broken))]
    return frame, []


def _crs_problem(source: Source, declared, bounds, working_crs: str, extent, margin_deg: float) -> Problem:
    """The declared CRS does not fit the coordinates: say so, and name the usual Danish CRS that fits."""
    said = "the file declares" if source.settings.get("crs") is None or not isinstance(declared, str) \
        else f"sources.{source.layer_name}.crs says"
    likely = _crs.likely_crss(bounds, working_crs, extent, margin_deg) if extent is not None else []
    seen = f"coordinates ({_crs.describe(bounds)}) lie outside its area of use"
    if likely:
        seen = f"coordinates look like {' or '.join(likely[:2])} ({_crs.describe(bounds)})"
    target = likely[0] if likely else "the CRS the coordinates are in"
    return source.problem(
        f"{said} {_crs.crs_name(declared)}, but {seen}",
        f"set sources.{source.layer_name}.crs: {target} in the config (it replaces a declared CRS that does not fit), "
        "or correct the file's CRS (a Shapefile's .prj) and export again", column="geometry")


def flatten_to_2d(frame: gpd.GeoDataFrame, source: Source) -> gpd.GeoDataFrame:
    """Geometries in 2D: z values (DAGI's -999, say) dropped, warned; the pipeline measures in the plane."""
    geoms = frame.geometry.values
    with_z = np.asarray(shapely.has_z(geoms))
    if not with_z.any():
        return frame
    z = shapely.get_coordinates(geoms[with_z], include_z=True)[:, 2]
    values = ", ".join(f"{v:g}" for v in np.unique(z[np.isfinite(z)])[:3])
    warn(f"{source.path} layer '{source.file_layer or source.layer_name}': {int(with_z.sum()):,} geometries have z values "
         f"({values}{', ...' if len(np.unique(z)) > 3 else ''}); they were dropped, the pipeline works in 2D")
    return frame.set_geometry(gpd.GeoSeries(shapely.force_2d(geoms), crs=frame.crs, index=frame.index))


def check_geometries(frame: gpd.GeoDataFrame, source: Source, schema: LayerSchema, extent) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Empty, wrongly typed, invalid and out-of-extent geometries; repair what make_valid can; z dropped."""
    ids = frame[schema.id_column]
    geoms = frame.geometry.values
    empty = np.asarray(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if empty.any():
        return frame, [source.problem("geometries are empty", "give every feature a geometry or remove the row",
                                      column="geometry", ids=ids[empty])]
    types = frame.geom_type
    wrong = ~types.isin(schema.geometry)
    if wrong.any():
        expected = " or ".join(schema.geometry)
        return frame, [source.problem(f"geometries are {', '.join(sorted(types[wrong].unique()))}, expected {expected}",
                                      "export the layer with the expected geometry type", column="geometry", ids=ids[wrong])]
    frame, problems = _repair(flatten_to_2d(frame, source), source, schema)
    if problems:
        return frame, problems
    if source.layer_name == "grid_statistics":
        problems += _overlapping_cells(frame, source)
    xmin, ymin, xmax, ymax = extent
    bounds = frame.geometry.bounds
    outside = (bounds.minx < xmin) | (bounds.miny < ymin) | (bounds.maxx > xmax) | (bounds.maxy > ymax)
    if outside.any():
        problems.append(source.problem(
            f"geometries lie outside the configured extent {list(extent)} (working CRS)",
            f"check the layer's CRS (sources.{source.layer_name}.crs) or widen `extent` in the config",
            column="geometry", ids=frame.loc[outside, schema.id_column]))
    return frame, problems


def _repair(frame: gpd.GeoDataFrame, source: Source, schema: LayerSchema) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """make_valid invalid polygons, keeping their polygonal parts; warn about what was repaired."""
    invalid = active_executor().map_parcels(_invalid_geometries, frame)["invalid"]
    if not invalid.any():
        return frame, []
    ids = frame[schema.id_column]
    try:
        repaired = frame.geometry[invalid].make_valid()
    except shapely.errors.GEOSException as err:
        return frame, [source.problem(
            f"geometries are invalid and GEOS cannot repair them ({err}); the likely cause is coordinates that do not "
            "fit the layer's CRS, or a corrupt export",
            "check the layer's CRS and fix the geometries in a GIS (e.g. QGIS 'Fix geometries'), then export again",
            column="geometry", ids=ids[invalid])]
    if GEOMETRY_FAMILIES[POLYGON][0] in schema.geometry:
        repaired = _polygonal_parts(repaired)
    lost = repaired.is_empty | ~repaired.geom_type.isin(schema.geometry)
    if lost.any():
        return frame, [source.problem("geometries are invalid and cannot be repaired",
                                      "fix them in a GIS (e.g. QGIS 'Fix geometries') and export again",
                                      column="geometry", ids=ids[invalid][lost.values])]
    frame = frame.copy()
    frame.loc[invalid, "geometry"] = repaired.values
    warn(f"{source.path} layer '{source.file_layer or source.layer_name}': repaired {int(invalid.sum())} invalid "
         f"geometries with make_valid (ids {', '.join(map(str, first_ids(ids[invalid])))})")
    return frame, []


def _invalid_geometries(frame: gpd.GeoDataFrame) -> pd.DataFrame:
    """Which geometries GEOS finds invalid (row-wise, so it runs per partition on a cluster)."""
    return pd.DataFrame({"invalid": ~frame.geometry.is_valid}, index=frame.index)


def _polygonal_parts(geoms: gpd.GeoSeries) -> gpd.GeoSeries:
    """The polygons of each geometry (make_valid can return collections with lines), as one geometry each."""
    parts = geoms.explode(index_parts=False)
    parts = parts[parts.geom_type.isin(GEOMETRY_FAMILIES[POLYGON])]
    merged = parts.groupby(level=0).agg(lambda g: shapely.union_all(g.values))
    out = gpd.GeoSeries(merged.reindex(geoms.index), crs=geoms.crs)
    return out.fillna(shapely.Polygon())


def explode_multiparts(frame: gpd.GeoDataFrame, source: Source, schema: LayerSchema) -> gpd.GeoDataFrame:
    """Streets as single LineStrings and points as single Points, with a warning when a layer had multiparts."""
    single = {LINE: "MultiLineString", POINT: "MultiPoint"}
    multi_type = next((m for fam, m in single.items() if GEOMETRY_FAMILIES[fam][0] in schema.geometry
                       and GEOMETRY_FAMILIES[POLYGON][0] not in schema.geometry), None)
    if multi_type is None:
        return frame
    is_multi = frame.geom_type == multi_type
    if not is_multi.any():
        return frame
    exploded = frame.explode(index_parts=True)
    part = exploded.index.get_level_values(1)
    n_parts = exploded.groupby(level=0)[schema.id_column].transform("size")
    suffix = np.where(n_parts > 1, "-" + pd.Series(part + 1, index=exploded.index).astype(str), "")
    exploded[schema.id_column] = exploded[schema.id_column].astype(str) + suffix
    warn(f"{source.path} layer '{source.file_layer or source.layer_name}': split {int(is_multi.sum())} {multi_type} "
         f"features into single parts (ids suffixed -1, -2, ...)")
    return exploded.reset_index(drop=True)


def _overlapping_cells(frame: gpd.GeoDataFrame, source: Source) -> list[Problem]:
    """Grid cells of one year that overlap (1 km and 100 m cells mixed, a cell given twice): people counted twice."""
    first, second = gridcells.overlapping_cells(frame.geometry.values, frame["year"].to_numpy() if "year" in frame else None)
    if not len(first):
        return []
    ids = frame["cell_id"].astype("str").to_numpy()
    pairs = [f"{a} and {b}" for a, b in zip(ids[first][:10], ids[second][:10], strict=True)]
    return [source.problem(f"{len(first):,} pairs of grid cells overlap ({'; '.join(pairs)}): their people would be "
                           "counted twice", "give each place once, in cells of one size (DST's 100 m or 1 km grid, not "
                           "both)", column="cell_id", ids=np.unique(np.r_[ids[first], ids[second]]))]


def _crs_checks(config: Config) -> dict:
    """How to_working_crs checks a layer's coordinates against its declared CRS (extent and margin)."""
    return {"extent": config["extent"], "margin_deg": float(config["ingest"]["crs_area_margin_deg"])}


def locate_grid_cells(frame: pd.DataFrame, source: Source, crs: str) -> tuple[gpd.GeoDataFrame, list[Problem]]:
    """Each cell's polygon in the working CRS: as given (checked against its DST id), else made from the id."""
    cell_ids = frame["cell_id"]
    parsed = gridcells.cell_polygons(cell_ids)
    given = frame.geometry.values if isinstance(frame, gpd.GeoDataFrame) else np.full(len(frame), None, dtype=object)
    no_polygon = np.asarray(shapely.is_missing(given))
    unparseable = no_polygon & np.asarray(shapely.is_missing(parsed))
    if unparseable.any():
        return frame, [source.problem(
            "cell ids are not DST grid ids and the cells have no polygons", "write ids such as 100m_61756_7195 "
            "(100 m cell, corner N 6,175,600 E 719,500) or 1km_6175_719, or give the cells as polygons",
            column="cell_id", ids=cell_ids[unparseable])]
    swapped = no_polygon & gridcells.swapped_cells(cell_ids)
    if swapped.any():
        example = str(cell_ids[swapped].iloc[0])
        return frame, [source.problem(
            f"cell ids name the east before the north (e.g. {example}, which would lie {gridcells.swapped_where(example)})",
            f"write DST ids as <size>_<N/size>_<E/size>: {gridcells.unswapped(example)} for {example} (swap the two "
            "numbers where the ids are made)", column="cell_id", ids=cell_ids[swapped])]
    made = gpd.GeoSeries(parsed, crs=gridcells.GRID_CRS, index=frame.index).to_crs(crs).values
    if not no_polygon.all():
        given_on_grid = gpd.GeoSeries(given, crs=crs).to_crs(gridcells.GRID_CRS).values
        size_m = gridcells.cell_corners(cell_ids)["size_m"].to_numpy()
        misplaced = gridcells.misplaced_cells(given_on_grid, parsed, size_m)
        if misplaced.any():
            warn(f"{source.path} layer '{source.file_layer or source.layer_name}': {int(misplaced.sum())} grid cells lie more "
                 f"than half a cell from the cell their id names (cell_id {', '.join(map(str, first_ids(cell_ids[misplaced])))}); "
                 "the polygons are kept as given: check the ids or the layer's CRS")
    geometry = np.where(no_polygon, made, given)
    columns = pd.DataFrame(frame).drop(columns="geometry", errors="ignore")
    return gpd.GeoDataFrame(columns, geometry=gpd.GeoSeries(geometry, crs=crs, index=frame.index)), []
