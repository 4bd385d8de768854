"""Access figures on the hand-drawn network of tests/hand_network.py, with hand values.

Walking distances between the nodes:
(0,0)-(200,0) 200, (0,0)-(400,0) 400, (0,0)-(400,100) 500, (0,0)-(200,300.25) 500, (0,0)-(0,300.5) 700
(the junction of b and f sits at their mean (200,300.25); b and f keep their drawn lengths 300 and 200);
cycling may also use g: (0,0)-(0,300.5) 300.5.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from hand_network import CRS, X0, Y0, at, hand_streets

from pipeline import mix
from pipeline.access import (
    AREAS_FILE,
    PARCELS_FILE,
    Travel,
    canopy_share,
    green_dist_m,
    green_m2_within,
    job_access_gravity,
    jobs_within_minutes,
    municipality_access,
    run,
    weighted_area_mean,
)
from pipeline.core.config import load_config
from pipeline.network import NETWORK_FILE


def box(x1: float, y1: float, x2: float, y2: float) -> shapely.Polygon:
    return shapely.box(X0 + x1, Y0 + y1, X0 + x2, Y0 + y2)


# Jobs: 3 at (200,0), 5 at (400,0), 7 at (400,0.01) (snaps 0.01 m), 11 at (200,300.25)
JOB_XY = ((200, 0), (400, 0), (400, 0.01), (200, 300.25))
JOBS = np.array([3.0, 5.0, 7.0, 11.0])


def test_jobs_at_exactly_the_cutoff_count_and_just_beyond_do_not(walk):
    # 5 minutes at 80 m/min = 400 m. From (0,0): 3 at 200, 5 at exactly 400 (in), 7 at 400.01 (out),
    # 11 at 500 (out) -> 3 + 5 = 8. From (0,-10) (snap 10): 3 at 210 only -> 3.
    got = jobs_within_minutes(walk, at((0, 0), (0, -10)), at(*JOB_XY), JOBS, minutes=5, m_per_min=80, detour_factor=1.3)
    np.testing.assert_allclose(got, [8.0, 3.0])


def test_jobs_within_minutes_uses_the_mode_network(walk, bike):
    # 4 minutes at 80 m/min = 320 m: a job at (0,300.5) is 700 m walking, 300.5 m cycling (g is bike only).
    kwargs = {"minutes": 4, "m_per_min": 80, "detour_factor": 1.3}
    assert jobs_within_minutes(walk, at((0, 0)), at((0, 300.5)), np.array([9.0]), **kwargs)[0] == 0.0
    assert jobs_within_minutes(bike, at((0, 0)), at((0, 300.5)), np.array([9.0]), **kwargs)[0] == 9.0


def test_jobs_without_streets_use_straight_lines_times_the_detour():
    # 400 m budget: 300 m straight x 1.3 = 390 (in), 310 x 1.3 = 403 (out), 400/1.3 = 307.69... exactly (in)
    points = at((300, 0), (0, 310), (0, -400 / 1.3))
    got = jobs_within_minutes(None, at((0, 0)), points, np.array([1.0, 10.0, 100.0]), minutes=5, m_per_min=80, detour_factor=1.3)
    np.testing.assert_allclose(got, [101.0])


def test_gravity_against_a_hand_sum(bike):
    # Cycling distances from (0,0): 200, 400, 400.01, 500 (b; via g and f it is 500.5); t = d / 250 min
    want = sum(j * math.exp(-0.1 * d / 250) for j, d in zip(JOBS, (200, 400, 400.01, 500), strict=True))
    got = job_access_gravity(bike, at((0, 0)), at(*JOB_XY), JOBS, decay_per_m=0.1 / 250, detour_factor=1.3)
    assert got[0] == pytest.approx(want, rel=1e-9)
    # From (0,-10) every trip is 10 m longer
    got = job_access_gravity(bike, at((0, -10)), at(*JOB_XY), JOBS, decay_per_m=0.1 / 250, detour_factor=1.3)
    assert got[0] == pytest.approx(want * math.exp(-0.1 * 10 / 250), rel=1e-9)


def test_gravity_counts_only_the_jobs_within_the_limit(bike):
    # Limit 450 m: the jobs at 200, 400 and 400.01 m count, the 11 at 500 m do not.
    want = sum(j * math.exp(-0.1 * d / 250) for j, d in zip(JOBS[:3], (200, 400, 400.01), strict=True))
    got = job_access_gravity(bike, at((0, 0)), at(*JOB_XY), JOBS, decay_per_m=0.1 / 250, detour_factor=1.3, limit_m=450,
                             chunk_size=1)
    assert got[0] == pytest.approx(want, rel=1e-9)


def test_gravity_without_streets():
    # 500 m straight x 1.3 = 650 m = 2.6 min cycling: 10 exp(-0.26)
    got = job_access_gravity(None, at((0, 0)), at((300, 400)), np.array([10.0]), decay_per_m=0.1 / 250, detour_factor=1.3)
    assert got[0] == pytest.approx(10 * math.exp(-0.26), rel=1e-12)


PARK = box(100, 310, 300, 510)  # 200 x 200 m, 40,000 m2; its centre (200,410) is 100 m beyond its south edge


def test_a_park_is_reached_at_its_nearest_edge(walk):
    # South edge access point (200,310) snaps 9.75 m to the junction (200,300.25), 500 m from (0,0):
    # 500 + 9.75 = 509.75 (the centre would give 500 + 109.75). From (200,0): 300 + 9.75 = 309.75.
    travel = Travel(walk, walk, 1.3)
    got = green_dist_m(travel, at((0, 0), (200, 0)), np.array([PARK]), spacing_m=50)
    np.testing.assert_allclose(got, [509.75, 309.75], atol=0.01)


def test_a_park_without_streets_is_the_straight_distance_to_its_edge_times_the_detour():
    # (200,0) is 310 m below the south edge: 310 x 1.3 = 403; a point inside the park: 0
    got = green_dist_m(Travel(None, None, 1.3), at((200, 0), (200, 400)), np.array([PARK]), spacing_m=50)
    np.testing.assert_allclose(got, [403.0, 0.0], atol=0.01)


def test_green_m2_within_a_radius():
    # A circle of 1000 m around (200,0) holds the whole park (farthest corner hypot(100, 510) = 519.7 m).
    # A circle of 500 m around (200,-100) cuts the park's south part: compare with an independent, finer
    # polygon circle (quad_segs=256) intersected with the park.
    got = green_m2_within(at((200, 0)).get_coordinates().to_numpy(), np.array([PARK]), 1000)
    assert got[0] == pytest.approx(40_000.0, abs=1e-6)
    centre = shapely.Point(X0 + 200, Y0 - 100)
    want = shapely.intersection(centre.buffer(500, quad_segs=256), PARK).area
    got = green_m2_within(np.array([[X0 + 200, Y0 - 100]]), np.array([PARK]), 500)
    assert got[0] == pytest.approx(want, rel=0.005)


def write_canopy(path, values: np.ndarray, left: float, top: float, cell: float) -> None:
    """A float32 canopy GeoTIFF with NaN nodata."""
    profile = {
        "driver": "GTiff", "width": values.shape[1], "height": values.shape[0], "count": 1, "dtype": "float32",
        "crs": CRS, "transform": Affine(cell, 0, left, 0, -cell, top), "nodata": np.nan,
    }
    with rasterio.open(path, "w", **profile) as dst:
        dst.write(values.astype("float32"), 1)


def test_canopy_share_weights_cells_by_the_part_covered(tmp_path):
    # 10 m cells: top row 1.0, 0.0; bottom row 0.5, NaN. Polygon 1 covers the top-left cell and the top half
    # of the bottom-left cell: (1.0 x 100 + 0.5 x 50) / 150 = 0.8333 (cell centres would give 1.0 or 0.75).
    # Polygon 2 covers the two bottom cells: the NaN cell is left out -> 0.5. Polygon 3: the NaN cell only.
    path = tmp_path / "canopy.tif"
    write_canopy(path, np.array([[1.0, 0.0], [0.5, np.nan]]), X0, Y0 + 20, 10)
    polygons = gpd.GeoDataFrame(geometry=[box(0, 5, 10, 20), box(0, 0, 20, 10), box(10, 0, 20, 10)], crs=CRS)
    got = canopy_share(path, polygons)
    np.testing.assert_allclose(got, [125 / 150, 0.5, np.nan], atol=1e-9)


def test_the_municipality_average_weights_every_parcel_as_the_areas_do():
    # Three parcels, the third outside every housing area (it counts for the municipality):
    # green_dist_m by residents (10 x 100 + 30 x 300 + 60 x 50) / 100 = 130 m; a parcel with no value is left out;
    # school_dist_m by children 6-16 (2 x 1000 + 0 x 9000 + 2 x 500) / 4 = 750 m;
    # canopy: two areas of 100 m2 and 300 m2 at 0.5 and 0.1 -> (50 + 30) / 400 = 0.2 of the areas' ground.
    parcels = gpd.GeoDataFrame({
        "parcel_id": ["p1", "p2", "p3"], "area_id": ["a", "b", None], "residents": [10, 30, 60],
        "children_6_16": [2, 0, 2], "green_dist_m": [100.0, 300.0, 50.0], "school_dist_m": [1000.0, 9000.0, 500.0],
        "station_dist_m": [np.nan, 200.0, 400.0],
    }, geometry=[shapely.Point(X0, Y0)] * 3, crs=CRS)
    areas = gpd.GeoDataFrame({"area_id": ["a", "b"], "canopy_share": [0.5, 0.1]},
                             geometry=[box(0, 0, 10, 10), box(0, 0, 10, 30)], crs=CRS)
    for column in ("nearest_school_dist_m", "free_transport", "jobs_walk_15", "jobs_bike_30",
                   "job_access_gravity", "job_access_index", "green_within_300", "green_m2_per_resident_1km",
                   "protected_nature_dist_m"):
        parcels[column] = np.nan
    got = municipality_access(parcels, areas).iloc[0]
    assert got["scope"] == "municipality"
    assert got["green_dist_m"] == pytest.approx(130.0)
    assert got["school_dist_m"] == pytest.approx(750.0)
    assert got["station_dist_m"] == pytest.approx((30 * 200 + 60 * 400) / 90)  # p1 has no value: left out
    assert got["canopy_share"] == pytest.approx(0.2)
    assert np.isnan(got["jobs_bike_30"])  # no parcel has a value: unknown, not 0


def test_weighted_area_mean_leaves_out_missing_values_and_zero_weights():
    # area a: (10 x 1 + 30 x 3) / 40 = 2.5; the NaN parcel does not count. b: weight 0 -> null.
    area = pd.Series(["a", "a", "a", "b", None])
    got = weighted_area_mean(np.array([1.0, 3.0, np.nan, 7.0, 9.0]), pd.Series([10, 30, 50, 0, 5]), area)
    assert got["a"] == pytest.approx(2.5)
    assert np.isnan(got["b"])


# --- the stage on real files -------------------------------------------------------------------------------

# Parcels (points): P1 (0,0) 10 residents 2 children, P2 (200,0) 30 / 6 in area A; P3 (400,0) 20 / 0 in B;
# P4 (1500,1500) 40 / 0 in no area. It snaps to the junction (200,300.25): S4 = hypot(1300, 1199.75).
S4 = math.hypot(1300, 1199.75)


def write_fixture(root, *, streets: bool = True):
    """Processed layers as ingest writes them, a canopy raster and a config, under root."""
    processed = root / "data" / "processed"
    processed.mkdir(parents=True)

    def save(name, columns, geometry):
        gpd.GeoDataFrame(columns, geometry=geometry, crs=CRS).to_parquet(processed / f"{name}.parquet")

    save("housing_areas", {"area_id": ["A", "B", "C"], "name": ["Aby", "Bby", "Cby"]},
         [box(-50, -50, 250, 150), box(300, -50, 450, 150), box(-500, -500, -400, -400)])
    save("parcels", {"parcel_id": ["P1", "P2", "P3", "P4"], "residents": [10, 30, 20, 40], "children_6_16": [2, 6, 0, 0]},
         list(at((0, 0), (200, 0), (400, 0), (1500, 1500))))
    save("schools", {"school_id": ["S1", "S2"], "name": ["One", "Two"]}, list(at((400, 0), (0, 300.5))))
    save("school_districts", {"district_id": ["D1", "D2"], "school_id": ["S1", "S2"]},
         [box(-100, -200, 250, 400), box(250, -200, 2000, 2000)])
    save("jobs", {"site_id": ["J1", "J2"], "jobs": [100, 50]}, list(at((200, 0), (400, 100))))
    save("green_areas", {"green_id": ["park", "small", "private"], "public": [True, True, False]},
         [PARK, box(0, -100, 50, -50), box(-300, -300, -100, -100)])
    save("stations", {"station_id": ["T"], "name": ["Station"]}, list(at((300, 100))))
    if streets:
        hand_streets().to_parquet(processed / "streets.parquet")
    # 100 m cells over x -50..450, y -50..150; area A covers columns 0-2, B half of column 3 and column 4
    write_canopy(processed / "canopy.tif", np.array([[0.2, 0.4, 0.6, 0.1, 0.6], [0.0, 0.2, np.nan, 0.5, 0.3]]),
                 X0 - 50, Y0 + 150, 100)
    (root / "pipeline.yaml").write_text(
        'root: "."\n'
        "access:\n"
        "  jobs_walk_minutes: 5        # 400 m walking\n"
        "  jobs_bike_minutes: 2        # 500 m cycling\n"
        "  free_transport_dist_m: 300\n"
        "  green_near_m: 310\n"
    )
    config = load_config(root / "pipeline.yaml")
    mix.run(config)  # access reads mix's parcels_mix.parquet (parcels with area, district and counts)
    return config


def gravity(*trips: tuple[float, float]) -> float:
    """sum jobs exp(-0.1 d / 250) over (jobs, cycling metres) trips."""
    return sum(j * math.exp(-0.1 * d / 250) for j, d in trips)


def test_run_writes_every_figure_per_parcel_and_area(tmp_path):
    config = write_fixture(tmp_path)
    written = run(config)
    assert {p.name for p in written} == {AREAS_FILE, PARCELS_FILE, NETWORK_FILE, "municipality_access.parquet"}
    parcels = gpd.read_parquet(config.processed(PARCELS_FILE)).set_index("parcel_id")
    areas = gpd.read_parquet(config.processed(AREAS_FILE)).set_index("area_id")

    # Schools (walking). P1: own S1 400, P2: own S1 200, P3: own S2 (0,300.5) 200 + 300 + 200 = 700, nearest S1 0.
    np.testing.assert_allclose(parcels.loc[["P1", "P2", "P3"], "school_dist_m"], [400, 200, 700], atol=0.01)
    np.testing.assert_allclose(parcels.loc[["P1", "P2", "P3"], "nearest_school_dist_m"], [400, 200, 0], atol=0.01)
    # Area A by children: (2 x 400 + 6 x 200) / 8 = 250; beyond 300 m: P1 only -> 2 / 8; B has no children -> null
    assert areas.loc["A", "school_dist_m"] == pytest.approx(250, abs=0.01)
    assert areas.loc["A", "share_pupils_free_transport"] == pytest.approx(0.25)
    assert np.isnan(areas.loc["B", "school_dist_m"])

    # P4 lies S4 (1,769 m) from the nearest routable street, beyond access.max_snap_m (500 m): its network
    # figures are null (never a 1.8 km snap), and it is left out of the index's mean.
    # Jobs J1 100 at (200,0), J2 50 at (400,100). Walking 400 m: P1 J1 (J2 is 500) 100; P2 150; P3 150.
    np.testing.assert_allclose(parcels["jobs_walk_15"], [100, 150, 150, np.nan])
    assert areas.loc["A", "jobs_walk_15"] == pytest.approx((10 * 100 + 30 * 150) / 40)  # 137.5
    # Cycling 500 m: P1 reaches J2 at exactly 500 -> 150 for P1..P3
    np.testing.assert_allclose(parcels["jobs_bike_30"], [150, 150, 150, np.nan])

    g = [
        gravity((100, 200), (50, 500)),
        gravity((100, 0), (50, 300)),
        gravity((100, 200), (50, 100)),
        np.nan,
    ]
    np.testing.assert_allclose(parcels["job_access_gravity"], g, rtol=1e-9)
    mean = (10 * g[0] + 30 * g[1] + 20 * g[2]) / 60
    area_a = (10 * g[0] + 30 * g[1]) / 40
    assert areas.loc["A", "job_access_gravity"] == pytest.approx(area_a, rel=1e-9)
    assert areas.loc["A", "job_access_index"] == pytest.approx(100 * area_a / mean, rel=1e-9)

    # Green: only the park is public and >= 10,000 m2. P1 509.75, P2 309.75, P3 509.75 (see the park test)
    np.testing.assert_allclose(parcels.loc[["P1", "P2", "P3"], "green_dist_m"], [509.75, 309.75, 509.75], atol=0.01)
    assert np.isnan(parcels.loc["P4", "green_dist_m"]) and np.isnan(parcels.loc["P4", "school_dist_m"])
    assert areas.loc["A", "share_residents_green_300"] == pytest.approx(30 / 40)  # P2 within 310 m
    assert areas.loc["B", "share_residents_green_300"] == 0.0
    # Within 1 km of P1..P3: both public parks whole (40,000 + 2,500), shared by P1..P3's 60 residents
    np.testing.assert_allclose(parcels.loc[["P1", "P2", "P3"], "green_m2_per_resident_1km"], [42_500 / 60] * 3)
    assert areas.loc["A", "green_m2_per_resident_1km"] == pytest.approx(42_500 / 60)

    # Canopy: A (0.2 + 0.4 + 0.6 + 0.0 + 0.2) / 5 = 0.28; B (0.5 x 0.1 + 0.5 x 0.5 + 0.6 + 0.3) / 3 = 0.4
    assert areas.loc["A", "canopy_share"] == pytest.approx(0.28, abs=1e-6)
    assert areas.loc["B", "canopy_share"] == pytest.approx(0.4, abs=1e-6)
    assert list(areas["meets_canopy_30"].astype(object)) == [False, True, pd.NA]

    # Station (300,100): P1 600, P2 400, P3 200; A = (10 x 600 + 30 x 400) / 40 = 450
    np.testing.assert_allclose(parcels.loc[["P1", "P2", "P3"], "station_dist_m"], [600, 400, 200], atol=0.01)
    assert areas.loc["A", "station_dist_m"] == pytest.approx(450, abs=0.01)

    # C has no parcels: every figure null; every row says how distances were measured
    figures = ["school_dist_m", "jobs_walk_15", "jobs_bike_30", "job_access_gravity", "job_access_index",
               "green_dist_m", "share_residents_green_300", "green_m2_per_resident_1km", "station_dist_m"]
    assert areas.loc["C", figures].isna().all()
    assert set(areas["distance_method"]) == {"network"} == set(parcels["distance_method"])


def test_run_without_streets_falls_back_to_straight_lines(tmp_path):
    config = write_fixture(tmp_path, streets=False)
    run(config)
    parcels = gpd.read_parquet(config.processed(PARCELS_FILE)).set_index("parcel_id")
    areas = gpd.read_parquet(config.processed(AREAS_FILE)).set_index("area_id")
    assert set(areas["distance_method"]) == {"straight_line_x1.3"} == set(parcels["distance_method"])
    # P1 -> S1 400 x 1.3 = 520; P3 -> S2 hypot(400, 300.5) x 1.3
    np.testing.assert_allclose(parcels.loc[["P1", "P3"], "school_dist_m"], [520, math.hypot(400, 300.5) * 1.3], atol=0.01)
    # P2 (200,0) is 310 m below the park: 403 m; station from P3 hypot(100, 100) x 1.3
    assert parcels.loc["P2", "green_dist_m"] == pytest.approx(403.0, abs=0.01)
    assert parcels.loc["P3", "station_dist_m"] == pytest.approx(math.hypot(100, 100) * 1.3, abs=0.01)
    assert not config.processed(NETWORK_FILE).exists()


def test_destinations_beyond_the_network_are_left_out_not_snapped_far(tmp_path, caplog):
    config = write_fixture(tmp_path)
    # a second station 2 km beyond every street: with it snapped, P4's nearest station would be it; it is left out
    stations = gpd.GeoDataFrame({"station_id": ["T", "far"], "name": ["Station", "Far"]}, geometry=list(at((300, 100), (3000, 3000))),
                                crs=CRS)
    stations.to_parquet(config.processed("stations.parquet"))
    with caplog.at_level("WARNING"):
        run(config)
    parcels = gpd.read_parquet(config.processed(PARCELS_FILE)).set_index("parcel_id")
    np.testing.assert_allclose(parcels.loc[["P1", "P2", "P3"], "station_dist_m"], [600, 400, 200], atol=0.01)
    assert "1 stations lie farther than access.max_snap_m (500 m)" in caplog.text and "station_id far" in caplog.text
    assert "1 parcels lie farther than access.max_snap_m" in caplog.text and "P4" in caplog.text


def test_most_parcels_beyond_the_network_stop_the_run(tmp_path):
    from pipeline.core.errors import InputError

    config = write_fixture(tmp_path)
    far = hand_streets().set_geometry(hand_streets().geometry.translate(5000, 5000))
    far.to_parquet(config.processed("streets.parquet"))
    with pytest.raises(InputError, match=r"4 of 4 parcels \(100%\) lie farther than access.max_snap_m"):
        run(config)
    assert not config.processed(AREAS_FILE).exists()


def test_scenarios_read_the_network_cache_and_never_write_it(tmp_path):
    # network.npz has one writer, access (the catalogue). Scenarios reads it; when the streets changed after access
    # wrote it, scenarios builds the graph in memory and leaves the file as it was (bytes and modification time).
    from pipeline.core import datasets
    from pipeline.network import build_network, load_or_build_network
    from pipeline.scenarios.distances import _network

    config = write_fixture(tmp_path)
    run(config)
    cache = config.processed(NETWORK_FILE)
    before = (cache.read_bytes(), cache.stat().st_mtime_ns)
    tolerance = float(config["access"]["snap_tolerance_m"])
    with datasets.running("scenarios"):
        walk, _, _ = _network(config, "walk")
    assert walk.n_nodes == build_network(hand_streets(), tolerance_m=tolerance, mode="walk").n_nodes
    # Without street d, c (which crosses a without a vertex) is cut off: its nodes (300,-100) and (300,100) and d's
    # (400,100) leave the routable network.
    streets = hand_streets()
    streets[streets["street_id"] != "d"].to_parquet(config.processed("streets.parquet"))
    with datasets.running("scenarios"):
        changed, _, _ = _network(config, "walk")
        with pytest.raises(datasets.UndeclaredRead, match="network.npz"):
            load_or_build_network(config, "walk")  # writing the cache is access's alone
    assert changed.n_nodes == walk.n_nodes - 3 and "c" in changed.dropped_street_ids
    assert (cache.read_bytes(), cache.stat().st_mtime_ns) == before


def test_widening_the_nearest_school_lists_gives_the_lists_of_the_wider_k(tmp_path, monkeypatch):
    # The scenarios search one widening ahead and cut the lists: each list the allocation sees must equal
    # k_nearest_m's for that k (independent: searched again for that k alone).
    import pipeline.scenarios.distances as scenario_distances
    from pipeline.network import k_nearest_m
    from pipeline.scenarios.allocation import MoreSchoolsNeeded

    monkeypatch.setattr(scenario_distances, "NEAR_SCHOOLS_FIRST", 1)
    monkeypatch.setattr(scenario_distances, "NEAR_SCHOOLS_GROWTH", 2)
    config = write_fixture(tmp_path)
    origins = at((0, 0), (200, 0), (400, 0), (0, 150))
    schools = gpd.GeoDataFrame({"school_id": ["S1", "S2"]}, geometry=list(at((400, 0), (0, 300.5))), crs=CRS)
    assigned = np.array([0, 0, 1, -1])
    seen = []

    def allocate(near):
        seen.append(near)
        if len(seen) == 1:
            raise MoreSchoolsNeeded
        return "allocated"

    result, method = scenario_distances.nearest_schools(config, origins, schools, assigned, allocate)
    assert result == "allocated" and method == "walk network" and [n.dist_m.shape[1] for n in seen] == [1, 2]
    walk, _, _ = scenario_distances._network(config, "walk")
    for near, k in zip(seen, (1, 2), strict=True):
        want_d, want_i, want_own = k_nearest_m(walk, origins, schools.geometry, k, detour_factor=1.3, assigned=assigned)
        np.testing.assert_array_equal(near.dist_m, want_d)
        np.testing.assert_array_equal(near.school, want_i)
        np.testing.assert_array_equal(near.own_dist_m, want_own)
    # by hand, walking: from (0,0) S1 400 m along a, S2 a 200 + b 300 + f 200 = 700 m; (400,0) lies at S1 and is
    # also 700 m from S2 (a west 200 + b 300 + f 200)
    np.testing.assert_allclose(seen[1].dist_m[[0, 2]], [[400, 700], [0, 700]], atol=0.01)


def test_points_in_discs_equal_a_kd_tree_pair_search():
    # Independent method: scipy's k-d tree, every pair within the reach (inclusive), summed by hand. Whole-metre
    # coordinates and origins shifted by (300, 400) from points put many pairs exactly 500 m apart; origins also lie
    # beyond the points' extent.
    from scipy.spatial import cKDTree

    from pipeline.access.discs import PointsInDiscs
    from pipeline.network import CUTOFF_EPS_M

    rng = np.random.default_rng(3)
    xy = np.round(rng.uniform(0, 3000, (4000, 2)))
    weight = rng.integers(1, 9, 4000).astype(float)
    origins = np.vstack([np.round(rng.uniform(-700, 3700, (1500, 2))), xy[:500] + [300, 400]])
    pairs = cKDTree(origins).sparse_distance_matrix(cKDTree(xy), 500 + CUTOFF_EPS_M, output_type="ndarray")
    want = np.bincount(pairs["i"], weights=weight[pairs["j"]], minlength=len(origins))
    got = PointsInDiscs.of(xy, weight, 500.0, CUTOFF_EPS_M).within(origins)
    np.testing.assert_array_equal(got, want)
    assert (want[1500:] >= weight[:500]).all() and (want == 0).any()  # the pairs at exactly 500 m count; some none
    assert PointsInDiscs.of(xy[:0], weight[:0], 500.0, CUTOFF_EPS_M).within(origins).tolist() == [0.0] * len(origins)
