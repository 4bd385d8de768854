"""Parcel assignment to housing areas and school districts."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from pipeline.core import log
from pipeline.mix.assign import assign_parcels, report_unassigned

CRS = "EPSG:25832"
X0, Y0 = 700000.0, 6170000.0


@pytest.fixture
def areas():
    # A: x 0..1000, B: x 1000..2000 (offsets from X0, Y0), both y 0..1000.
    return gpd.GeoDataFrame({"area_id": ["A", "B"], "name": ["Ahave", "Bakken"]},
                            geometry=[box(X0, Y0, X0 + 1000, Y0 + 1000), box(X0 + 1000, Y0, X0 + 2000, Y0 + 1000)],
                            crs=CRS)


@pytest.fixture
def districts():
    # D1: x 0..1500, D2: x 1500..2000.
    return gpd.GeoDataFrame({"district_id": ["D1", "D2"], "school_id": ["S1", "S2"]},
                            geometry=[box(X0, Y0, X0 + 1500, Y0 + 1000), box(X0 + 1500, Y0, X0 + 2000, Y0 + 1000)],
                            crs=CRS)


@pytest.fixture
def parcels():
    """p1 lies in A but names B; p2 in A, no id; p3 outside everything; p4 a point in B; p5 in B naming Z."""
    return gpd.GeoDataFrame(
        {"parcel_id": ["p1", "p2", "p3", "p4", "p5"], "area_id": ["B", None, None, None, "Z"],
         "residents": [10, 20, 30, 40, 50]},
        geometry=[box(X0 + 100, Y0 + 100, X0 + 200, Y0 + 200), box(X0 + 300, Y0 + 300, X0 + 400, Y0 + 400),
                  box(X0 + 5000, Y0 + 100, X0 + 5100, Y0 + 200), Point(X0 + 1600, Y0 + 500),
                  box(X0 + 1200, Y0 + 100, X0 + 1300, Y0 + 200)],
        crs=CRS)


def test_own_area_kept_null_filled_outside_stays_null(parcels, areas, districts):
    log.take_warnings()
    out = assign_parcels(parcels, areas, districts)
    # p1 keeps its own B although it lies in A; p2 gets A by containment; p3 is in no area;
    # p4 (a point) lies in B; p5 names the unknown Z, so it is assigned by location: B.
    assert out["area_id"].tolist()[:2] == ["B", "A"]
    assert pd.isna(out["area_id"].iloc[2])
    assert out["area_id"].iloc[3:].tolist() == ["B", "B"]
    # Districts by containment: p1, p2 (x 100..400) and p5 (x 1200) in D1, p4 (x 1600) in D2, p3 none.
    assert out["district_id"].tolist()[:2] == ["D1", "D1"]
    assert pd.isna(out["district_id"].iloc[2])
    assert out["district_id"].iloc[3:].tolist() == ["D2", "D1"]
    assert any("1 parcels named an area_id that is not a housing area" in w for w in log.take_warnings())


def test_input_is_not_changed(parcels, areas, districts):
    before = parcels.copy()
    assign_parcels(parcels, areas, districts)
    pd.testing.assert_frame_equal(parcels, before)


def test_parcels_without_area_column_and_no_districts(parcels, areas):
    out = assign_parcels(parcels.drop(columns="area_id"), areas, None)
    # Now p1 goes by location (A) and p5 too (B); district_id is null everywhere.
    assert out["area_id"].tolist()[:2] == ["A", "A"]
    assert out["area_id"].iloc[3:].tolist() == ["B", "B"]
    assert out["district_id"].isna().all()


def test_parcel_in_no_area_is_reported(parcels, areas, districts):
    log.take_warnings()
    out = assign_parcels(parcels, areas, districts)
    # Only p3 (30 residents) lies in no area and in no district.
    assert report_unassigned(out, "area_id", "housing area") == {"parcels": 1, "residents": 30}
    assert report_unassigned(out, "district_id", "school district") == {"parcels": 1, "residents": 30}
    warned = log.take_warnings()
    assert "1 parcels (30 residents) lay outside every housing area; they count in the municipality totals only" in warned


def test_overlapping_areas_take_the_first_and_warn(parcels, areas):
    log.take_warnings()
    overlap = pd.concat([areas, gpd.GeoDataFrame({"area_id": ["C"], "name": ["Cirklen"]},
                                                 geometry=[box(X0, Y0, X0 + 500, Y0 + 500)], crs=CRS)])
    out = assign_parcels(parcels.drop(columns="area_id"), overlap, None)
    # p1 and p2 lie in both A and C: A comes first in the layer.
    assert out["area_id"].tolist()[:2] == ["A", "A"]
    assert any("2 parcels lay in more than one housing_areas polygon" in w for w in log.take_warnings())


def test_crs_mismatch_is_an_input_error(parcels, areas):
    from pipeline.core.errors import InputError

    with pytest.raises(InputError, match="housing_areas"):
        assign_parcels(parcels, areas.to_crs("EPSG:4326"), None)


def test_point_on_a_shared_boundary_takes_the_first_polygon_it_touches():
    crs = "EPSG:25832"
    districts = gpd.GeoDataFrame({"district_id": ["W", "E"]},
                                 geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs=crs)
    areas = gpd.GeoDataFrame({"area_id": ["A"]}, geometry=[box(0, 0, 200, 100)], crs=crs)
    # (100, 50) lies on the W/E boundary: within neither, touching both; (150, 50) is inside E
    parcels = gpd.GeoDataFrame({"parcel_id": ["p1", "p2"], "residents": [1, 1]},
                               geometry=[Point(100, 50), Point(150, 50)], crs=crs)
    out = assign_parcels(parcels, areas, districts)
    assert out["district_id"].tolist() == ["W", "E"]
