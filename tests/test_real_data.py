"""The Copenhagen example (config/examples/copenhagen.yaml) on the real public files in ../shared/realdata/.

The expected figures are read from the source files independently (pyogrio on the Shapefile and the
GeoPackage, the json module on Frederiksberg's records), never from the pipeline's own reading. The outputs
go to a temporary folder: the example's own paths are overridden.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
import yaml

from pipeline import ingest
from pipeline.cli import main
from pipeline.core.config import load_config
from pipeline.core.stages import MAP_PAGES

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "config" / "examples" / "copenhagen.yaml"
REALDATA = REPO.parent / "shared" / "realdata"
COPENHAGEN, FREDERIKSBERG = REALDATA / "copenhagen", REALDATA / "frederiksberg"
DISTRICTS_SHP = COPENHAGEN / "skolegrunddistrikt_kk_marts2026.shp"
SCHOOLS_GPKG = COPENHAGEN / "distriktsskoler_09032026.gpkg"
ORESTAD_SCHOOLS = {"Ørestad Skole", "Kalvebod Fælled Skole", "Arena Skole og Fritid", "Fælledby Skole"}

pytestmark = pytest.mark.skipif(not DISTRICTS_SHP.exists(), reason="../shared/realdata is not beside the repository")


def redirected_paths(folder: Path) -> dict:
    """Config overrides that send every output of the example into `folder`."""
    return {"paths": {"raw": str(folder / "raw"), "processed": str(folder / "processed"), "maps": str(folder / "maps"),
                      "logs": str(folder / "logs"), "lock": str(folder / "processed" / ".lock")},
            "publish": {"release_dir": str(folder / "published")}}


@pytest.fixture(scope="module")
def ingested(tmp_path_factory):
    """The example's ingest stage run once, outputs in a temporary folder; the loaded config."""
    config = load_config(EXAMPLE, overrides=redirected_paths(tmp_path_factory.mktemp("copenhagen")))
    ingest.run(config)
    return config


def test_validate_exits_0(capsys):
    assert main(["--quiet", "validate", "--config", str(EXAMPLE)]) == 0


def test_57_districts_keep_their_danish_names(ingested):
    names = pyogrio.read_dataframe(DISTRICTS_SHP, read_geometry=False)["udd_dist_1"]
    districts = gpd.read_parquet(ingested.processed("school_districts.parquet"))
    assert len(districts) == 57 and districts.crs.to_epsg() == 25832
    assert sorted(districts["name"]) == sorted(names)
    text = "".join(districts["name"])
    assert all(letter in text for letter in "æøåÆØÅ"[:3]) and "Ø" in text  # æ, ø, å intact, also capital Ø
    assert "Distrikt Ørestad" in set(districts["name"]) and "Ålholm Skole" in set(districts["name"])
    assert all(unicodedata.is_normalized("NFC", n) for n in districts["name"])


def test_60_schools_without_invented_capacity(ingested):
    schools = gpd.read_parquet(ingested.processed("schools.parquet"))
    source = pyogrio.read_dataframe(SCHOOLS_GPKG, read_geometry=False)
    assert len(schools) == 60 == len(source)
    assert sorted(schools["name"]) == sorted(source["borgerrettetnavn"])
    assert "capacity" not in schools.columns  # elevtal is enrolled pupils, not capacity


def test_orestad_is_served_by_its_four_schools(ingested):
    links = pd.read_parquet(ingested.processed("district_schools.parquet"))
    schools = gpd.read_parquet(ingested.processed("schools.parquet")).set_index("school_id")
    districts = pyogrio.read_dataframe(DISTRICTS_SHP, read_geometry=False)
    orestad_id = str(districts.loc[districts["udd_dist_1"] == "Distrikt Ørestad", "udd_distri"].item())
    served = links.loc[links["district_id"] == orestad_id, "school_id"]
    assert set(schools.loc[served, "name"]) == ORESTAD_SCHOOLS and len(served) == 4
    # every other district is served by the one school of its own name: 56 + 4 = 60 links, every district linked
    assert len(links) == 60 and links["district_id"].nunique() == 57 and links["share"].isna().all()


def test_grid_keeps_every_resident_of_the_latest_extract(ingested):
    records = json.loads((FREDERIKSBERG / "befolkning_alle.json").read_text(encoding="utf-8"))
    cells = [r for r in records if r["type_id"] == 11 and r["udtraek_dato"] == "2014-04-01"]
    expected = sum(r["antal_samlet"] for r in cells)
    assert expected == 102_180  # as the issue states
    grid = gpd.read_parquet(ingested.processed("grid_statistics.parquet"))
    assert len(grid) == len(cells) == 956 and grid["cell_id"].is_unique
    assert int(grid["residents"].sum()) == expected
    adults = json.loads((FREDERIKSBERG / "befolkning_18_64.json").read_text(encoding="utf-8"))
    assert int(grid["residents_18_64"].sum()) == sum(
        r["antal"] for r in adults if r["type_id"] == 11 and r["udtraek_dato"] == "2014-04-01") == 67_336
    assert set(grid["year"]) == {2014} and "children_6_16" not in grid.columns
    # the given cells are the DST squares their ids name: 100m_<N/100>_<E/100> has its centre at
    # (E + 50, N + 50); the polygons came through EPSG:4326 with 7 decimals, so allow a metre
    parts = grid["cell_id"].str.split("_", expand=True)
    east, north = parts[2].astype(float) * 100 + 50, parts[1].astype(float) * 100 + 50
    centres = grid.geometry.centroid
    assert ((centres.x - east).abs().max(), (centres.y - north).abs().max()) < (1.0, 1.0)
    assert grid.geometry.area.between(9_900, 10_100).all()


def test_only_the_real_layers_are_written(ingested):
    written = sorted(p.name for p in ingested.processed_dir.glob("*.parquet"))
    assert written == ["district_schools.parquet", "grid_statistics.parquet", "housing_areas.parquet",
                       "school_districts.parquet", "schools.parquet"]
    areas = gpd.read_parquet(ingested.processed("housing_areas.parquet"))
    assert len(areas) == 67 and areas["area_id"].is_unique


@pytest.mark.slow
def test_whole_run_exits_0_with_no_status_from_invented_numbers_and_pages_open(tmp_path):
    """`python -m pipeline run` on the example exits 0, every status is none or undetermined (nothing in the
    real data decides one), and the pages open."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    data["root"] = str(REPO)
    data.update(redirected_paths(tmp_path))
    config_path = tmp_path / "copenhagen.yaml"
    config_path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    assert main(["--quiet", "run", "--config", str(config_path)]) == 0
    areas = pd.read_parquet(tmp_path / "processed" / "areas_mix.parquet")
    assert len(areas) == 67 and set(areas["status"]) <= {"none", "undetermined"}
    assert_pages_open(tmp_path / "maps")


def assert_pages_open(maps: Path) -> None:
    """Each map page loads in headless Chromium, offline, without a script error."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("no /usr/bin/chromium")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=["--headless", "--no-sandbox", "--disable-gpu"])
        for name in MAP_PAGES:
            page = browser.new_page()
            errors = []
            page.on("pageerror", lambda e, errors=errors: errors.append(str(e)))
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(("file:", "data:"))
                       else route.abort())
            page.goto((maps / name).as_uri())
            page.wait_for_load_state("load")
            assert page.evaluate("() => typeof window.L") == "object", name
            assert errors == [], (name, errors)
            page.close()
        browser.close()
