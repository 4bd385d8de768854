"""Pages that say which layer was not supplied instead of asking for a re-run (issue 22).

The tiny municipality of tests/conftest.py, given as real files, lacks candidate sites, land cover, a plan, a
timetable, stations, canopy and statistics tables; here it gets a protected_nature layer and a year on its
parcels (2024). Every stage runs and publish writes its pages in Danish and in English: every page, profile and
the summary name the layer that was not configured, and none asks for a re-run ("not computed yet", "ikke
beregnet endnu") or says "yet" / "endnu" about them. The control is the same municipality with candidate
sites, land cover and a plan: there none of these texts appears.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from conftest import CRS, X0, Y0, tiny_layers, write_config, write_tiny_sources
from shapely.geometry import Point, box
from test_landcover import CLASS_TABLE, tiny_land_cover

from pipeline import access, ingest, mix, publish, scenarios
from pipeline.core import datasets
from pipeline.core.config import load_config
from pipeline.publish.i18n import missing_messages
from pipeline.publish.messages import message_ids
from pipeline.publish.pages.kit import LAYER_FEEDS

PAGES = ("index.html", "social-balance.html", "accessibility.html", "school-sites.html", "urban-development.html",
         "plan.html", "kort-fortalt.html", "areas/index.html", "areas/A.html", "areas/B.html")
# the layers the lacking project does not configure, and those it does
LACKING = ("stations", "candidate_sites", "grid_statistics", "area_statistics", "plan_projects", "canopy", "land_cover",
           "gtfs")
GIVEN = ("parcels", "schools", "school_districts", "jobs", "green_areas", "streets", "protected_nature")

NOT_SITES = {"da": "ikke leveret: der er ikke angivet noget candidate_sites-lag (sources.candidate_sites i konfigurationen)",
             "en": "not supplied: no candidate_sites layer is configured (sources.candidate_sites in the config)"}
NOT_PLAN = {"da": "ikke leveret: der er ikke angivet noget plan_projects-lag (sources.plan_projects i konfigurationen)",
            "en": "not supplied: no plan_projects layer is configured (sources.plan_projects in the config)"}
NOT_LAND = {"da": "ikke leveret: der er ikke angivet noget land_cover-lag (sources.land_cover i konfigurationen)",
            "en": "not supplied: no land_cover layer is configured (sources.land_cover in the config)"}
RERUN = {"da": re.compile(r"ikke beregnet|endnu", re.IGNORECASE), "en": re.compile(r"not computed|\byet\b", re.IGNORECASE)}


def visible(path: Path) -> str:
    """The page's text as a reader sees it: scripts and styles left out, tags removed, entities decoded, spaces
    collapsed."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", page)))


def section(text: str, start: str, end: str) -> str:
    """The text from `start` to the next `end` (both must be there)."""
    begin = text.index(start)
    return text[begin:text.index(end, begin)]


def run_stages(config) -> None:
    """Ingest, mix, access and scenarios on the project's real files."""
    for stage in (ingest, mix, access, scenarios):
        stage.run(config)


def published(config, code: str) -> dict[str, str]:
    """Publish in the language and read every page's visible text."""
    config = config.with_overrides({"language": code})
    publish.run(config)
    return {name: visible(config.maps_dir / name) for name in PAGES}


@pytest.fixture(scope="module")
def lacking(tmp_path_factory) -> dict[str, dict[str, str]]:
    """The tiny municipality with protected nature and parcels of 2024, nothing else optional: its pages in da and en."""
    folder = tmp_path_factory.mktemp("lacking")
    sources = write_tiny_sources(folder)
    parcels = tiny_layers()["parcels"].assign(year=2024)
    parcels.to_file(folder / "raw" / "parcels.gpkg", engine="pyogrio")
    sources["parcels"] = {"path": "raw/parcels.gpkg"}
    nature = gpd.GeoDataFrame({"nature_id": ["N1"], "kind": ["mose"]},
                              geometry=[box(X0 + 2100, Y0 + 400, X0 + 2200, Y0 + 600)], crs=CRS)
    nature.to_file(folder / "raw" / "nature.gpkg", engine="pyogrio")
    sources["protected_nature"] = {"path": "raw/nature.gpkg"}
    config = load_config(write_config(folder, {"sources": sources, "access": {"max_snap_m": 1500}}))
    run_stages(config)
    assert set(LACKING) == {layer for layer in datasets.optional_layers() if not datasets.supplied(config, layer)}
    # the scenarios stage wrote its tables, empty: it ran, so a re-run cannot help
    assert config.processed("scenarios_school_catchments.parquet").exists()
    assert pd.read_parquet(config.processed("scenarios_development.parquet")).empty
    return {code: published(config, code) for code in ("da", "en")}


@pytest.mark.parametrize("code", ["da", "en"])
def test_no_page_asks_for_a_re_run_or_says_yet(lacking, code):
    for name, text in lacking[code].items():
        assert not RERUN[code].search(text), (name, RERUN[code].search(text).group(0))


def test_the_scenario_and_plan_pages_name_the_layer_not_supplied(lacking):
    da, en = lacking["da"], lacking["en"]
    assert f"Scenarier for skoleplaceringer: ikke leveret. {NOT_SITES['da']} Tilføj kilden i konfigurationen " \
           "(docs/ingest.md), og kør derefter python -m pipeline run." in da["school-sites.html"]
    assert f"School site scenarios: not supplied. {NOT_SITES['en']} Add the source to the config (docs/ingest.md), " \
           "then run python -m pipeline run." in en["school-sites.html"]
    assert f"Scenarier for byudvikling: ikke leveret. {NOT_SITES['da']}" in da["urban-development.html"]
    assert f"Urban development scenarios: not supplied. {NOT_SITES['en']}" in en["urban-development.html"]
    assert f"Planen over tid: ikke leveret. {NOT_PLAN['da']}" in da["plan.html"]
    assert f"The plan over time: not supplied. {NOT_PLAN['en']}" in en["plan.html"]


def test_the_index_lists_every_optional_layer_not_supplied_with_what_it_feeds(lacking):
    notice = section(lacking["en"]["index.html"], "Layers not supplied.", "Add the source to the config")
    for layer in LACKING:
        if layer == "grid_statistics":  # the parcels give the counts the grid cells would: not named as missing
            assert f"(sources.{layer})" not in notice
        else:
            assert f"{layer.replace('_', ' ')} (sources.{layer}): {LAYER_FEEDS[layer]}" in notice, layer
    for layer in GIVEN:
        assert f"(sources.{layer})" not in notice, layer
    danish = section(lacking["da"]["index.html"], "Lag der ikke er leveret.", "Tilføj kilden")
    assert "arealdække (sources.land_cover): tallene for arealdække (naturdække, befæstet andel, sammenhængende " \
           "natur) og scenariet med naturvenlige udearealer" in danish
    assert "køreplan (GTFS) (sources.gtfs): jobs_transit_45 og tallene for adgang til job med kollektiv trafik" in danish
    # the accessibility page lists the layers the access stage reads; the social-balance page those mix reads
    access_notice = section(lacking["en"]["accessibility.html"], "Layers not supplied.", "Add the source")
    assert [layer for layer in LACKING if f"(sources.{layer})" in access_notice] == ["stations", "canopy", "land_cover",
                                                                                     "gtfs"]
    mix_notice = section(lacking["en"]["social-balance.html"], "Layers not supplied.", "Add the source")
    assert [layer for layer in LACKING if f"(sources.{layer})" in mix_notice] == ["area_statistics"]


def test_the_profiles_name_the_layer_not_supplied(lacking):
    for code in ("da", "en"):
        profile = lacking[code]["areas/A.html"]
        green = section(profile, *{"da": ("Natur og grønne arealer", "Skoledistrikt og dets elever"),
                                   "en": ("Nature and green spaces", "School district and its pupils")}[code])
        # the walk to protected nature is there; the land-cover figures are left out, their layer named
        assert {"da": "Afstand til beskyttet natur", "en": "Distance to protected nature"}[code] in green
        assert NOT_LAND[code] in green and "no data" not in green and "ingen data" not in green
        scenarios_part = section(profile, *{"da": ("Scenarier der berører området", "Kriterierne gennem årene"),
                                            "en": ("Scenarios that touch the area", "The criteria over the years")}[code])
        assert scenarios_part.count(NOT_SITES[code]) == 2  # the development sites and the school sites
        plan = {"da": "Planen over tid (fremskrivning) ", "en": "The plan over time (projection) "}[code]
        assert plan + NOT_PLAN[code] in scenarios_part


def test_the_summary_names_the_layers_not_supplied_and_the_one_year(lacking):
    da, en = lacking["da"]["kort-fortalt.html"], lacking["en"]["kort-fortalt.html"]
    assert f"Planen over tid: {NOT_PLAN['da']}." in da
    assert f"Byudviklingsprojekterne og skoleplaceringerne: {NOT_SITES['da']}." in da
    assert "Tallene dækker kun ét år (2024), så der kan ikke vises en udvikling over årene." in da
    assert f"The plan over time: {NOT_PLAN['en']}." in en
    assert f"The development sites and the school sites: {NOT_SITES['en']}." in en
    assert "The statistics cover one year only (2024), so no change over the years can be shown." in en


def test_with_the_layers_supplied_no_page_says_they_are_not(tmp_path):
    # the control: candidate sites (a school and a development site), land cover and a plan given
    sources = write_tiny_sources(tmp_path)
    sites = gpd.GeoDataFrame({"site_id": ["C1", "C2"], "kind": ["school", "development"], "name": ["Nyskolen", "Engen"],
                              "capacity": [200, None], "new_dwellings_owner": [0, 50]},
                             geometry=[Point(X0 + 1200, Y0 + 500), box(X0 + 600, Y0 + 600, X0 + 700, Y0 + 700)], crs=CRS)
    sites.to_file(tmp_path / "raw" / "sites.gpkg", engine="pyogrio")
    sources["candidate_sites"] = {"path": "raw/sites.gpkg"}
    tiny_land_cover(tmp_path)
    sources["land_cover"] = {"path": "raw/lc.tif", "classes": CLASS_TABLE}
    pd.DataFrame([{"project_id": "D1", "name": "Nedrivning", "year": 2025, "area_id": "A",
                   "dwellings_change_social_family": -50}]).to_csv(tmp_path / "raw" / "plan.csv", index=False)
    sources["plan_projects"] = {"path": "raw/plan.csv"}
    # protected nature configured as optional, its file not there: ingest leaves it out, and the pages say so
    sources["protected_nature"] = {"path": "raw/natura2000.geojson", "required": False}
    config = load_config(write_config(tmp_path, {"sources": sources, "access": {"max_snap_m": 1500},
                                                 "data_date": "2024-06-30", "plan": {"horizon": 2026}}))
    run_stages(config)
    pages = published(config, "en")
    for name, text in pages.items():
        for layer in ("candidate_sites", "land_cover", "plan_projects"):
            assert f"no {layer} layer" not in text and f"(sources.{layer})" not in text, (name, layer)
        assert not RERUN["en"].search(text), name
    # what the layers feed is shown instead: land cover (A: half trees, half lawn; tests/test_landcover.py), the
    # development site in A, the school site's scenario, the plan's projection; protected nature is the one not given
    profile = pages["areas/A.html"]
    assert "Natural cover (nature, meadow, trees)50.0%25.0%" in profile and "Engenyes" in profile
    assert "Nyskolen" in section(profile, "School sites:", "The plan over time (projection)")
    assert ("not supplied: the optional file of sources.protected_nature is not there (natura2000.geojson)"
            in profile)
    assert "Engen brings 50 new homes to Ågården." in pages["kort-fortalt.html"]
    # the tiny statistics give no year (the data date is configured): said as such, not "yet"
    assert "The statistics give no year, so no change over the years can be shown." in pages["kort-fortalt.html"]


def test_every_optional_layer_has_its_words_in_both_languages():
    # one list: the layers some dataset of the catalogue needs, each with what it feeds, translated
    assert tuple(LAYER_FEEDS) == datasets.optional_layers()
    assert missing_messages(message_ids()) == []
