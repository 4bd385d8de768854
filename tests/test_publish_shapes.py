"""What keeps publishing fast gives what the plain way gives (docs/publishing.md, "Publishing fast").

Each shortcut is checked against the library call it stands in for, as an independent method: shapely's
`mapping` for the GeoJSON of a shape, geopandas' `read_parquet` for a GeoParquet file, Babel's
`format_decimal` / `format_percent` for a figure, and the page's own display geometry for a cached shape.
"""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from babel.numbers import format_decimal, format_percent
from shapely.geometry import mapping

from pipeline.core import datasets
from pipeline.core.io import write_geoparquet
from pipeline.publish.geojson import display_geometry, display_shapes, geojson_geometries
from pipeline.publish.i18n import language

SHAPES = [
    shapely.Point(12.5, 55.25),
    shapely.MultiPoint([(1, 2), (3, 4)]),
    shapely.LineString([(0, 0), (1, 1), (2, 0)]),
    shapely.MultiLineString([[(0, 0), (1, 1)], [(2, 2), (3, 3), (4, 4)]]),
    shapely.Polygon([(0, 0), (4, 0), (4, 4), (0, 0)], [[(1, 1), (2, 1), (2, 2), (1, 1)]]),  # a hole
    shapely.MultiPolygon([shapely.box(0, 0, 1, 1),
                          shapely.Polygon([(2, 2), (6, 2), (6, 6), (2, 2)], [[(4, 3), (5, 3), (5, 4), (4, 3)]])]),
    None,
    shapely.Polygon(),  # empty
    shapely.Point(1, 2, 3),  # 3D: left to shapely
    shapely.GeometryCollection([shapely.Point(0, 0), shapely.LineString([(0, 0), (1, 1)])]),
    shapely.LinearRing([(0, 0), (1, 0), (1, 1), (0, 0)]),
]


def test_geojson_of_every_kind_of_shape_is_shapelys_mapping():
    got = geojson_geometries(np.array(SHAPES, dtype=object))
    expected = [None if s is None or s.is_empty else mapping(s) for s in SHAPES]
    assert [json.dumps(g) for g in got] == [json.dumps(e) for e in expected]
    # by hand for two: the polygon's exterior then its hole; the multipolygon's parts in order
    assert got[4]["coordinates"][1] == [(1.0, 1.0), (2.0, 1.0), (2.0, 2.0), (1.0, 1.0)]
    assert got[5]["type"] == "MultiPolygon" and len(got[5]["coordinates"]) == 2 and len(got[5]["coordinates"][1]) == 2
    assert got[6] is None and got[7] is None


def config_for(tolerance_m: float, decimals: int) -> dict:
    return {"publish": {"simplify_tolerance_m": tolerance_m, "coordinate_decimals": decimals}}


def test_a_shape_drawn_twice_is_worked_out_once_and_as_the_display_geometry_gives_it():
    square = shapely.box(575000.0, 6222000.0, 575500.0, 6222500.0)
    # a zigzag of 20 m: kept by a 5 m simplification, gone at 50 m
    wiggly = shapely.Polygon([(575000.0 + 10 * i, 6223000.0 + (20 if i % 2 else 0)) for i in range(50)]
                             + [(575490.0, 6223400.0), (575000.0, 6223400.0)])
    frame = gpd.GeoDataFrame({"a": [1, 2, 3, 4]}, geometry=[square, wiggly, square, None], crs="EPSG:25832")
    config = config_for(5.0, 6)
    keys, shapes = display_shapes(frame, config)
    assert keys[0] == keys[2] and keys[3] is None
    # the independent way: the page's display geometry of the whole frame, then shapely's mapping
    expected = [mapping(g) for g in display_geometry(frame.iloc[:3], config)]
    assert [json.dumps(shapes[k]) for k in keys[:3]] == [json.dumps(e) for e in expected]
    again, shapes_again = display_shapes(frame.iloc[[1]], config)
    assert shapes_again[again[0]] is shapes[keys[1]]  # the same object: not computed again
    # another setting is another display geometry
    other_keys, other = display_shapes(frame.iloc[[1]], config_for(50.0, 6))
    assert json.dumps(other[other_keys[0]]) != json.dumps(shapes[keys[1]])


@pytest.mark.parametrize("code", ["da", "en"])
def test_each_figure_formatted_once_is_babels(code):
    lang = language(code)
    values = [0.0, -0.0, 2.675, 0.125, 1234567.891, np.float32(0.1), np.float64(0.1), np.int64(1376), 12.5]
    for value in values:
        for digits in (0, 1, 2):
            pattern = "#,##0" + ("." + "0" * digits if digits else "")
            assert lang.number(value, digits) == format_decimal(value, format=pattern, locale=code), (value, digits)
    assert lang.number(-0.0) == "-0" and lang.number(0.0) == "0"  # Babel keeps the sign of -0.0; so does the cache
    # the percentages by hand (da: a no-break space before %), and as Babel writes them with the locale's pattern
    assert lang.percent(0.9171, 1) == ("91,7\u00a0%" if code == "da" else "91.7%")
    assert lang.percent(0.5) == format_percent(0.5, locale=code).replace("50", "50" + (",0" if code == "da" else ".0"))


def test_a_geoparquet_file_read_with_its_crs_parsed_once_is_geopandas_own(tmp_path):
    frame = gpd.GeoDataFrame({"area_id": ["A1", "A2"], "residents": pd.array([2500, None], dtype="Int64"),
                              "name": ["Gellerup", "Søndervang"]},
                             geometry=[shapely.box(0, 0, 1, 1), shapely.Point(575000, 6222000)], crs="EPSG:25832")
    frame = frame[["area_id", "geometry", "residents", "name"]]  # the geometry not last: its place is kept
    first, second = tmp_path / "first.parquet", tmp_path / "second.parquet"
    write_geoparquet(frame, first)  # with the covering bbox column, as the pipeline writes
    write_geoparquet(frame, second)
    datasets._read_geoparquet(first, None)  # the CRS of this text is parsed now
    got = datasets._read_geoparquet(second, None)  # and taken as parsed here
    expected = gpd.read_parquet(second)
    assert list(got.columns) == list(expected.columns) == ["area_id", "geometry", "residents", "name"]
    pd.testing.assert_frame_equal(pd.DataFrame(got.drop(columns="geometry")),
                                  pd.DataFrame(expected.drop(columns="geometry")), check_exact=True)
    assert list(got.geometry.to_wkb()) == list(expected.geometry.to_wkb())
    assert got.crs == expected.crs and got.crs.to_epsg() == 25832
    assert list(datasets._read_geoparquet(second, ["name", "geometry"]).columns) == ["name", "geometry"]  # geopandas
