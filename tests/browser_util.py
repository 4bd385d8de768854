"""A tiny published-project fixture: the processed files publish reads, written directly (no earlier stages).

Four housing areas in a row (500 m squares, EPSG:25832 near Aarhus); the fourth has 50 residents and a name
that is an HTML injection, so privacy and escaping can be checked on every output.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from pipeline.core.config import Config, load_config

X0, Y0, SIDE = 575000.0, 6222000.0, 500.0
EVIL = "<img src=x onerror=alert(1)>"
AREA_IDS = ["A1", "A2", "A3", "A4"]
NAMES = ["Gellerup", "Søndervang", "Villakvarteret", EVIL]
RESIDENTS = [2500, 1200, 800, 50]
CRS = "EPSG:25832"


CHROMIUM = Path("/usr/bin/chromium")  # Debian's, installed by .ci/run; playwright's own download is never used
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@contextmanager
def chromium() -> Iterator:
    """Headless Chromium driven by playwright; the test is skipped on a machine without either."""
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def square(i: int, inset: float = 0.0):
    """The i-th 500 m square of the row, shrunk by inset metres on each side."""
    return shapely.box(X0 + i * SIDE + inset, Y0 + inset, X0 + (i + 1) * SIDE - inset, Y0 + SIDE - inset)


def _gdf(data: dict, geometry: list) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(data, geometry=geometry, crs=CRS)


def areas_mix() -> gpd.GeoDataFrame:
    """areas_mix with every CONTRACT 4 column; hand-picked values."""
    data = {
        "area_id": AREA_IDS, "name": NAMES, "residents": RESIDENTS, "dwellings": [1000, 500, 400, 20],
        "share_social_family": [0.917, 0.62, 0.0, 0.5], "share_social_other": [0.03, 0.0, 0.0, 0.0],
        "share_owner": [0.02, 0.2, 0.9, 0.5], "share_private_rental": [0.02, 0.1, 0.1, 0.0],
        "share_cooperative": [0.013, 0.08, 0.0, 0.0], "tenure_diversity": [0.2, 0.6, 0.2, 0.43],
        "share_outside_work_edu": [0.45, 0.42, 0.1, 0.37], "crime_ratio": [3.2, 1.1, 0.4, 2.5],
        "share_basic_edu": [0.65, 0.5, 0.1, 0.2], "income_ratio": [0.5, 0.6, 1.3, 0.9],
        "c1_met": [True, True, False, False], "c2_met": [True, False, False, False],
        "c3_met": [True, False, False, False], "c4_met": [True, False, False, False],
        "criteria_met": [4, 1, 0, 0], "criteria": ["c1, c2, c3, c4", "c1", "", ""],
        "share_non_western": [0.7, 0.35, 0.05, 0.4321],
        "status": ["omdannelse", "forebyggelse", "none", "none"],
        "gap_add_dwellings": [1293, 0, 0, 0], "gap_convert_dwellings": [517, 0, 0, 0],
        "gap_demolish_dwellings": [862, 0, 0, 0],
        "lq_non_western": [2.1, 1.05, 0.15, 1.3],
    }
    return _gdf(data, [square(i) for i in range(4)])


def areas_access() -> pd.DataFrame:
    """areas_access with every CONTRACT 5 column (no geometry, as the access stage may write it)."""
    return pd.DataFrame({
        "area_id": AREA_IDS, "school_dist_m": [850.0, 1200.0, 2600.0, 400.0],
        "nearest_school_dist_m": [600.0, 900.0, 1500.0, 400.0], "share_pupils_free_transport": [0.0, 0.1, 0.6, 0.0],
        "jobs_walk_15": [1200, 300, 50, 900], "jobs_bike_30": [15000, 9000, 4000, 12000],
        "job_access_gravity": [5400.0, 3100.0, 1200.0, 4200.0], "job_access_index": [130.0, 90.0, 40.0, 140.0],
        "green_dist_m": [150.0, 420.0, 800.0, 60.0], "share_residents_green_300": [0.9, 0.4, 0.0, 1.0],
        "green_m2_per_resident_1km": [35.0, 20.0, 5.0, 400.0], "canopy_share": [0.12, 0.31, 0.4, 0.05],
        "meets_canopy_30": [False, True, True, False], "station_dist_m": [2000.0, 1500.0, 900.0, 3000.0],
        "distance_method": ["network", "network", "network", "network"],
    })


def municipality_access() -> pd.DataFrame:
    """municipality_access as the access stage writes it: one row of hand-chosen averages."""
    return pd.DataFrame({
        "scope": ["municipality"], "school_dist_m": [1100.0], "nearest_school_dist_m": [800.0],
        "share_pupils_free_transport": [0.2], "jobs_walk_15": [700.0], "jobs_bike_30": [10500.0],
        "job_access_gravity": [3800.0], "job_access_index": [100.0], "green_dist_m": [300.0],
        "share_residents_green_300": [0.6], "green_m2_per_resident_1km": [90.0], "station_dist_m": [1800.0],
        "canopy_share": [0.2],
    })


def write_processed(processed: Path) -> None:
    """Write every file publish reads into processed/."""
    processed.mkdir(parents=True, exist_ok=True)
    mix = areas_mix()
    mix[["area_id", "name", "geometry"]].to_parquet(processed / "housing_areas.parquet")
    mix.to_parquet(processed / "areas_mix.parquet")
    areas_access().to_parquet(processed / "areas_access.parquet")
    municipality_access().to_parquet(processed / "municipality_access.parquet")
    parcels = _gdf({"parcel_id": [f"P{i}" for i in range(8)],
                    "dwellings_social_family": [400, 517, 200, 110, 0, 0, 10, 0],
                    "dwellings_social_other": [30, 0, 0, 0, 0, 0, 0, 0], "dwellings_owner": [10, 10, 50, 50, 180, 180, 5, 5],
                    "dwellings_private_rental": [10, 10, 25, 25, 20, 20, 0, 0], "dwellings_cooperative": [6, 7, 20, 20, 0, 0, 0, 0],
                    "residents": [1200, 1300, 600, 600, 400, 400, 25, 25], "area_id": [a for a in AREA_IDS for _ in (0, 1)]},
                   [square(i // 2, inset=60 + 120 * (i % 2)) for i in range(8)])
    parcels.to_parquet(processed / "parcels.parquet")
    schools = _gdf({"school_id": ["S1", "S2"], "name": ["Tovshøjskolen", "Skjoldhøjskolen"], "capacity": [600, 500]},
                   [shapely.Point(X0 + 250, Y0 + 700), shapely.Point(X0 + 1750, Y0 + 700)])
    schools.to_parquet(processed / "schools.parquet")
    districts = _gdf({"district_id": ["D1", "D2"], "school_id": ["S1", "S2"], "name": ["Vest", "Øst"],
                      "pupils": [420, 12], "capacity": [600, 500], "utilisation": [0.7, 0.024],
                      "share_pupils_udsat_or_worse": [0.55, 0.0], "residents": [4500, 60]},
                     [shapely.box(X0, Y0 - 200, X0 + 1000, Y0 + 900), shapely.box(X0 + 1000, Y0 - 200, X0 + 2000, Y0 + 900)])
    districts[["district_id", "school_id", "name", "geometry"]].to_parquet(processed / "school_districts.parquet")
    districts.to_parquet(processed / "school_districts_mix.parquet")  # mix's district figures
    _gdf({"site_id": ["J1", "J2", "J3"], "jobs": [1200, 40, 300], "sector": ["hospital", "shop", "office"]},
         [shapely.Point(X0 + 300, Y0 - 100), shapely.Point(X0 + 900, Y0 + 250), shapely.Point(X0 + 1800, Y0 - 100)]
         ).to_parquet(processed / "jobs.parquet")
    _gdf({"green_id": ["G1"], "kind": ["park"], "public": [True]},
         [shapely.box(X0 + 1000, Y0 + 550, X0 + 1400, Y0 + 850)]).to_parquet(processed / "green_areas.parquet")
    _gdf({"street_id": ["W1", "W2"], "walk": [True, True], "bike": [True, False]},
         [shapely.LineString([(X0, Y0 - 50), (X0 + 2000, Y0 - 50)]), shapely.LineString([(X0 + 1000, Y0 - 200), (X0 + 1000, Y0 + 900)])]
         ).to_parquet(processed / "streets.parquet")
    _gdf({"station_id": ["T1"], "name": ["Aarhus H"]}, [shapely.Point(X0 + 1900, Y0 + 800)]).to_parquet(processed / "stations.parquet")
    _gdf({"site_id": ["C1", "C2"], "kind": ["school", "development"], "name": ["Ny skole Nord", "Byudvikling Syd"],
          "capacity": [450, None], "closes_school_id": [None, None],
          "new_dwellings_social_family": [0, 0], "new_dwellings_social_other": [0, 0], "new_dwellings_owner": [0, 600],
          "new_dwellings_private_rental": [0, 400], "new_dwellings_cooperative": [0, 0], "new_jobs": [0, 800]},
         [shapely.Point(X0 + 1000, Y0 + 450), shapely.Point(X0 + 250, Y0 + 250)]).to_parquet(processed / "candidate_sites.parquet")
    (processed / "segregation.json").write_text(json.dumps(
        {"groups": {"non_western": {"D": 0.412, "xPx": 0.55, "group_count": 8}}, "tenure_theil_h": {"H": 0.23}}), encoding="utf-8")
    sites = pd.DataFrame({
        "scenario_id": ["baseline", "baseline", "C1", "C1", "C1"],
        "scenario_name": ["Baseline", "Baseline", "Ny skole Nord", "Ny skole Nord", "Ny skole Nord"],
        "school_id": ["S1", "S2", "S1", "S2", "C1"], "school_name": ["Tovshøjskolen", "Skjoldhøjskolen", "Tovshøjskolen", "Skjoldhøjskolen", EVIL],
        "pupils": [420, 12, 300, 12, 120], "capacity": [600, 500, 600, 500, 450],
        "utilisation": [0.7, 0.024, 0.5, 0.024, 0.267], "share_pupils_udsat_or_worse": [0.55, 0.0, 0.5, 0.0, 0.6],
        "mean_dist_m": [1000.0, 2000.0, 800.0, 2000.0, 500.0], "p90_dist_m": [1800.0, 2600.0, 1500.0, 2600.0, 900.0],
        "pupils_gain_free_transport": [0, 0, 0, 0, 5], "pupils_lose_free_transport": [0, 0, 2, 0, 0],
        "over_capacity": [False, False, False, False, False],
        "dissimilarity": [0.40, 0.40, 0.31, 0.31, 0.31], "rank": [2, 2, 1, 1, 1],
    })
    sites.to_parquet(processed / "scenarios_school_sites.parquet")
    _gdf({"scenario_id": ["baseline", "baseline", "C1", "C1", "C1"], "school_id": ["S1", "S2", "S1", "S2", "C1"]},
         [shapely.box(X0, Y0, X0 + 1000, Y0 + 500), shapely.box(X0 + 1000, Y0, X0 + 2000, Y0 + 500),
          shapely.box(X0, Y0, X0 + 700, Y0 + 500), shapely.box(X0 + 1300, Y0, X0 + 2000, Y0 + 500),
          shapely.box(X0 + 700, Y0, X0 + 1300, Y0 + 500)]).to_parquet(processed / "scenarios_school_catchments.parquet")
    pd.DataFrame({
        "site_id": ["C2"] * 4, "site_name": ["Byudvikling Syd"] * 4, "area_id": AREA_IDS, "area_name": NAMES,
        "contains_site": [True, False, False, False],
        "status_before": ["omdannelse", "forebyggelse", "none", "none"], "status_after": ["parallelsamfund", "forebyggelse", "none", "none"],
        "share_social_family_before": [0.917, 0.62, 0.0, 0.5], "share_social_family_after": [0.458, 0.62, 0.0, 0.5],
        "share_social_family_change": [-0.459, 0.0, 0.0, 0.0],
        "gap_add_dwellings_before": [1293, 0, 0, 0], "gap_add_dwellings_after": [293, 0, 0, 0],
        "jobs_bike_30_before": [15000, 9000, 4000, 12000], "jobs_bike_30_after": [15800, 9800, 4500, 12800],
        "jobs_bike_30_change": [800, 800, 500, 800], "rank": [1, 1, 1, 1],
    }).to_parquet(processed / "scenarios_development.parquet")
    # the summaries as the scenarios stage writes them (ranked scenarios by rank, the reference row last)
    pd.DataFrame({
        "scenario_id": ["C1", "baseline", "districts_as_drawn"],
        "scenario_name": ["Ny skole Nord", "Baseline", "Today's districts as drawn"], "ranked": [True, True, False],
        "rank": pd.array([1, 2, None], dtype="Int64"), "pupils": [432, 432, 432],
        "dissimilarity": [0.31, 0.40, 0.40], "dissimilarity_vs_baseline": [-0.09, 0.0, 0.0],
        "mean_dist_m": [825.0, 1027.8, 1027.8], "mean_dist_m_vs_baseline": [-202.8, 0.0, 0.0],
        "pupils_gain_free_transport": [5, 0, 0], "pupils_lose_free_transport": [2, 0, 0],
        "schools_over_capacity": [0, 0, 0], "schools_over_capacity_vs_baseline": [0, 0, 0],
        "pupils_over_capacity": [0, 0, 0], "pupils_over_capacity_vs_baseline": [0, 0, 0],
    }).to_parquet(processed / "scenarios_school_summary.parquet")
    pd.DataFrame({
        "site_id": ["C2"], "site_name": ["Byudvikling Syd"], "rank": pd.array([1], dtype="Int64"),
        "area_id": ["A1"], "area_name": [NAMES[0]], "status_before": ["omdannelse"], "status_after": ["parallelsamfund"],
        "share_social_family_before": [0.917], "share_social_family_after": [0.458], "share_social_family_change": [-0.459],
        "gap_add_dwellings_before": [1293], "gap_add_dwellings_after": [293], "gap_convert_dwellings_before": [517],
        "gap_convert_dwellings_after": [117], "dwellings_before": [1000], "dwellings_after": [2000],
        "new_dwellings": [1000], "new_jobs": [800], "fall_share_social_family_omdannelse": [0.459],
        # the areas' changes weighted by their residents: (800 x (2500 + 1200 + 50) + 500 x 800) / 4550
        "mean_jobs_bike_30_change": [3_400_000 / 4_550],
    }).to_parquet(processed / "scenarios_development_summary.parquet")


# The fixture project has no plan_projects: the plan page draws no layer and says why (tests/test_browser.py);
# the pages that show the fixture's data as layers are the others. The plan page with a plan: tests/test_plan.py
# and the demo's pages (tests/test_accessibility.py).
PLAN_PAGE = "plan.html"


def data_map_pages() -> tuple[str, ...]:
    """The map pages that draw the fixture's layers (every map page but the plan's)."""
    from pipeline.core.stages import MAP_PAGES

    return tuple(p for p in MAP_PAGES if p != PLAN_PAGE)


def make_project(root: Path, overrides: dict | None = None) -> Config:
    """A project folder with the processed fixture and a config whose tiles are off (no network)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "maps").mkdir(exist_ok=True)
    (root / "maps" / ".gitkeep").touch()
    (root / "pipeline.yaml").write_text('root: "."\ndata_note: "Test fixture <b>not bold</b>"\ndata_date: "2025-01-31"\n',
                                        encoding="utf-8")
    write_processed(root / "data" / "processed")
    base = {"publish": {"tiles": "none"}, "run": {"id": "run-1"}, "language": "en"}  # tests/test_language.py: da
    config = load_config(root / "pipeline.yaml", overrides=base)
    return config.with_overrides(overrides or {})
