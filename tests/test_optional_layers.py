"""Every layer but housing_areas may be absent: the stages still run and write their outputs, with nulls.

The tiny municipality of tests/conftest.py is ingested whole, then one processed layer is removed, as if
the source had not been there, and mix, access, scenarios and publish run on what is left (issue 10).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from pipeline import access, ingest, mix, publish, scenarios
from pipeline.core import log


def run_without(config, layer: str) -> None:
    """Ingest everything, drop one processed layer, run the later stages."""
    ingest.run(config)
    config.processed(f"{layer}.parquet").unlink()
    log.take_warnings()
    for stage in (mix, access, scenarios, publish):
        stage.run(config)


@pytest.mark.parametrize("layer", ["jobs", "green_areas", "streets", "schools", "school_districts", "parcels"])
def test_an_absent_layer_gives_nulls_not_a_crash(tiny_config, layer):
    # the tiny fixture's schools lie 750 m from its routable street: within reach here, so their figures exist
    tiny_config = tiny_config.with_overrides({"access": {"max_snap_m": 1500}})
    run_without(tiny_config, layer)
    areas = gpd.read_parquet(tiny_config.processed("areas_access.parquet")).set_index("area_id")
    table = pd.read_csv(tiny_config.processed("areas.csv"), dtype={"area_id": str}).set_index("area_id")
    assert list(table.index) == ["A", "B"]
    needs = {
        # tiny fixture, area A: jobs J1 (100) is 400 m from parcel 1; green G1 is a 150 m square (below
        # 10,000 m2): green_dist_m is null either way, so the jobs figures tell an absent layer.
        "jobs": ["jobs_walk_15", "jobs_bike_30", "job_access_gravity", "job_access_index"],
        "green_areas": ["green_dist_m", "share_residents_green_300", "green_m2_per_resident_1km"],
        "schools": ["school_dist_m", "nearest_school_dist_m", "share_pupils_free_transport"],
        "school_districts": ["school_dist_m", "share_pupils_free_transport"],
    }.get(layer, [])
    for column in needs:
        assert areas[column].isna().all(), column
    if layer == "jobs":
        assert not areas["nearest_school_dist_m"].isna().any()  # the other figures are still there
        page = (tiny_config.maps_dir / "accessibility.html").read_text(encoding="utf-8")
        # the pages are Danish by default (language: da)
        assert "Lag der ikke er leveret." in page and "jobs_walk_15, jobs_bike_30 og tallene for adgang til job" in page
    if layer == "streets":
        assert set(areas["distance_method"]) == {"straight_line_x1.3"}
        assert areas.loc["A", "jobs_walk_15"] >= 0
    if layer == "parcels":
        mixed = gpd.read_parquet(tiny_config.processed("areas_mix.parquet")).set_index("area_id")
        # No counts at all: A (area_type social) could be anything, B (private) can get no status.
        assert mixed["residents"].isna().all() and mixed["status"].to_dict() == {"A": "undetermined", "B": "none"}
        assert (mixed["support_residents"] == "none").all()
        assert table.loc["A", "status"] == "suppressed"  # residents unknown: privacy treats the area as small
        page = (tiny_config.maps_dir / "social-balance.html").read_text(encoding="utf-8")
        assert "ubestemt (manglende data kan ændre den)" in page  # its own legend entry (Danish, the default)


def test_leading_zero_ids_round_trip_through_every_output(tmp_path):
    from conftest import CRS, X0, Y0, tiny_layers, write_config

    layers = tiny_layers()
    layers["housing_areas"]["area_id"] = ["0147", "0200"]
    layers["parcels"]["area_id"] = ["0147", None, "0200", None]
    layers["candidate_sites"] = gpd.GeoDataFrame(
        {"site_id": ["007", "010"], "kind": ["development", "school"], "name": ["Engen", "Nyskolen"],
         "new_dwellings_owner": [50, 0]},
        geometry=[box(X0 + 600, Y0 + 600, X0 + 700, Y0 + 700), Point(X0 + 1200, Y0 + 500)], crs=CRS)
    raw = tmp_path / "raw"
    raw.mkdir()
    sources = {}
    for name, frame in layers.items():
        frame.to_file(raw / "tiny.gpkg", layer=name, engine="pyogrio")
        sources[name] = {"path": "raw/tiny.gpkg", "layer": name}
    from pipeline.core.config import load_config

    config = load_config(write_config(tmp_path, {"sources": sources}))
    ingest.run(config)
    for name, column in (("housing_areas", "area_id"), ("parcels", "area_id"), ("candidate_sites", "site_id")):
        written = gpd.read_parquet(config.processed(f"{name}.parquet"))[column].astype(object)
        given = layers[name][column].astype(object)
        assert written.where(written.notna(), None).tolist() == given.where(given.notna(), None).tolist(), name
    for stage in (mix, access, scenarios, publish):
        stage.run(config)
    for name in ("areas_mix", "areas_access", "scenarios_development", "parcels_mix"):
        ids = set(gpd.read_parquet(config.processed(f"{name}.parquet"))["area_id"].dropna())
        assert ids == {"0147", "0200"}, name
    sites = gpd.read_parquet(config.processed("scenarios_school_sites.parquet"))
    assert "010" in set(sites["scenario_id"]) and "007" in set(gpd.read_parquet(
        config.processed("scenarios_development.parquet"))["site_id"])
    text = config.processed("areas.csv").read_text(encoding="utf-8")
    assert "\n0147," in text and "\n0200," in text  # as text, not the number 147
    assert set(gpd.read_file(config.processed("areas.gpkg"))["area_id"]) == {"0147", "0200"}
