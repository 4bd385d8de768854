"""Every map layer as a table (issue 15: "a map alone is not accessible"), in headless Chromium.

The panel's section "The map layers as tables" (page.js sbLayerTables) holds one <details> per layer of the
layer control, built from the layer's embedded data when opened. On the hand-made project of
tests/browser_util.py (published in English and in Danish) these tests check that every layer has its table,
that a table's cells are the figures of the stage outputs (read here from the parquet files with geopandas
and formatted by hand: an independent path from publish's own formatting), that privacy suppresses the same
figures as in the popups, that "Show on map" is reached by Tab with a visible focus and opens the row's popup,
and that the section is hidden in print. Paging and the filter are checked on the demo in
tests/test_accessibility.py (the fixture has no layer longer than a page).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from browser_util import EVIL, data_map_pages, make_project
from test_browser import Visit, browser  # noqa: F401  (the browser fixture)

from pipeline.publish import run
from pipeline.publish.i18n import language

pytestmark = pytest.mark.browser

MIN_RESIDENTS = 100  # privacy.min_residents in pipeline/defaults.yaml: smaller areas and districts are suppressed

# JavaScript: the layer control's names, the tables' names, and a table's rows as the reader sees them.
CONTROL_NAMES = "() => [...document.querySelectorAll('.leaflet-control-layers-overlays label > span > span')]" \
                ".map(s => s.textContent.trim())"
TABLE_NAMES = "() => [...document.querySelectorAll('.sb-layer-table .sb-table-name')].map(s => s.textContent)"
TABLE = """async (name) => {
  const d = [...document.querySelectorAll('.sb-layer-table')].find(d => d.querySelector('.sb-table-name').textContent === name);
  d.open = true;  // the table is built on the details' toggle event, which the browser fires as a task of its own
  while (!d.querySelector('table')) { await new Promise(r => setTimeout(r, 10)); }
  const t = d.querySelector('table');
  // the column headers in document order (under sections, the labels follow the first row's own columns)
  return {caption: t.caption.textContent, header: [...t.tHead.querySelectorAll('th[scope=col]')].map(c => c.textContent),
          scopes: [...t.querySelectorAll('th')].map(th => th.scope),
          rows: [...t.tBodies[0].rows].map(r => [...r.cells].map(c => c.textContent))};
}"""


@pytest.fixture(scope="module", params=["en", "da"])
def published(request, tmp_path_factory):
    config = make_project(tmp_path_factory.mktemp(f"tables-{request.param}"), {"language": request.param})
    run(config)
    return config.maps_dir, language(request.param)


def _table(visit: Visit, name: str) -> dict:
    return visit.page.evaluate(TABLE, name)


def _number(value: float, lang) -> str:
    """A whole number written by hand in the language's convention (en 1,200; da 1.200)."""
    text = f"{value:,.0f}"
    return text.replace(",", ".") if lang.code == "da" else text


def _percent(share: float, lang) -> str:
    """A share as a percentage with one decimal, by hand (en 70.0%; da 70,0 %, a no-break space)."""
    text = f"{share * 100:.1f}"
    return text.replace(".", ",") + "\u00a0%" if lang.code == "da" else text + "%"


@pytest.mark.parametrize("page_name", data_map_pages())
def test_every_layer_in_the_layer_control_has_a_table(browser, published, page_name):  # noqa: F811
    maps, lang = published
    visit = Visit(browser, maps / page_name)
    controls = visit.page.evaluate(CONTROL_NAMES)
    tables = visit.page.evaluate(TABLE_NAMES)
    heading = visit.page.locator("#sb-tables-title").inner_text()
    visit.page.close()
    assert controls, "a page without layers checks nothing"
    # one table per layer, in the layer control's order; the areas drawn by several layers get one more of
    # every figure of their popups (before the first of those layers)
    every = lang("Housing areas: every figure")
    assert [t for t in tables if t != every] == controls
    assert tables.count(every) == (1 if page_name in ("social-balance.html", "accessibility.html") else 0)
    assert heading == {"en": "The map layers as tables", "da": "Kortlagene som tabeller"}[lang.code]
    assert visit.page_errors == []


def test_schools_jobs_stations_and_green_tables_equal_the_ingested_layers(browser, published):  # noqa: F811
    maps, lang = published
    processed = maps.parent / "data" / "processed"
    visit = Visit(browser, maps / "index.html")
    schools = _table(visit, lang("Schools"))
    jobs = _table(visit, lang("Job sites (sized by jobs)"))
    stations = _table(visit, lang("Stations"))
    green = _table(visit, lang("Green areas"))
    visit.page.close()
    show = {"en": "Show on map", "da": "Vis på kortet"}[lang.code]
    # the schools layer: name (row header), school id, capacity; the name column is not repeated
    assert schools["header"] == [lang("Name"), lang("School id"), lang("Capacity (pupils)"), lang("Map")]
    assert {"en": ["Name", "School id", "Capacity (pupils)", "Map"],
            "da": ["Navn", "Skole-id", "Kapacitet (elever)", "Kort"]}[lang.code] == schools["header"]
    frame = gpd.read_parquet(processed / "schools.parquet")
    expected = {(n, i, _number(c, lang), show) for n, i, c in zip(frame["name"], frame["school_id"], frame["capacity"], strict=True)}
    assert {tuple(r) for r in schools["rows"]} == expected
    assert schools["scopes"].count("row") == len(frame) and schools["caption"] == lang("Schools")
    # job sites: each site's title "<id>: <n> jobs", then id, jobs, sector
    frame = gpd.read_parquet(processed / "jobs.parquet")
    word = {"en": "jobs", "da": "job"}[lang.code]
    expected = {(f"{i}: {_number(j, lang)} {word}", i, _number(j, lang), s, show)
                for i, j, s in zip(frame["site_id"], frame["jobs"], frame["sector"], strict=True)}
    assert {tuple(r) for r in jobs["rows"]} == expected
    frame = gpd.read_parquet(processed / "stations.parquet")
    assert stations["rows"] == [[frame["name"][0], frame["station_id"][0], show]]
    # green areas: the polygon's area in m² (400 m x 300 m in the fixture), public as a word
    assert green["rows"] == [[f"{lang('Green area {id}', id='G1')} ({lang('park')})", "G1", lang("park"), lang("yes"),
                              _number(400 * 300, lang), show]]


def test_catchment_tables_give_each_schools_figures_suppressed_as_in_the_popups(browser, published):  # noqa: F811
    maps, lang = published
    processed = maps.parent / "data" / "processed"
    sites = pd.read_parquet(processed / "scenarios_school_sites.parquet")
    visit = Visit(browser, maps / "school-sites.html")
    table = _table(visit, lang("Scenario: {name}", name="Ny skole Nord"))
    visit.page.close()
    suppressed = lang("suppressed")
    header = table["header"]
    pupils, utilisation = header.index(lang("Pupils")), header.index(lang("Capacity utilisation"))
    got = {r[0]: (r[pupils], r[utilisation]) for r in table["rows"]}
    scenario = sites[sites["scenario_id"] == "C1"]
    # a school with fewer pupils than privacy.min_residents shows neither its pupils nor its utilisation
    expected = {n: (_number(p, lang), _percent(u, lang)) if p >= MIN_RESIDENTS else (suppressed, suppressed)
                for n, p, u in zip(scenario["school_name"], scenario["pupils"], scenario["utilisation"], strict=True)}
    assert got == expected
    assert EVIL in got  # a hostile name is text in the table, never markup


def test_district_mix_and_development_tables_equal_the_stage_outputs(browser, published):  # noqa: F811
    maps, lang = published
    processed = maps.parent / "data" / "processed"
    visit = Visit(browser, maps / "social-balance.html")
    districts = _table(visit, lang("School districts: pupil mix"))
    visit.page.close()
    frame = gpd.read_parquet(processed / "school_districts_mix.parquet")
    share = districts["header"].index(lang("Pupils living in udsat-or-worse areas"))
    got = {r[0]: r[share] for r in districts["rows"]}
    assert got == {n: _percent(s, lang) if r >= MIN_RESIDENTS else lang("suppressed")
                   for n, s, r in zip(frame["name"], frame["share_pupils_udsat_or_worse"], frame["residents"], strict=True)}

    visit = Visit(browser, maps / "urban-development.html")
    dev = _table(visit, lang("Site {name}: change in jobs within 30 min by bike", name="Byudvikling Syd"))
    links = visit.page.evaluate("() => [...document.querySelectorAll('.sb-layer-table tbody a')].map(a => a.getAttribute('href'))")
    visit.page.close()
    frame = pd.read_parquet(processed / "scenarios_development.parquet")
    residents = dict(zip(*(gpd.read_parquet(processed / "areas_mix.parquet")[c] for c in ("area_id", "residents")), strict=True))
    change = dev["header"].index(lang("Change in jobs within 30 min by bike"))
    got = {r[0]: r[change] for r in dev["rows"]}
    assert got == {n: _number(c, lang) if residents[a] >= MIN_RESIDENTS else lang("suppressed")
                   for a, n, c in zip(frame["area_id"], frame["area_name"], frame["jobs_bike_30_change"], strict=True)}
    # each area's profile, none for the suppressed area (A4, 50 residents)
    assert sorted(set(links)) == ["areas/A1.html", "areas/A2.html", "areas/A3.html"]


def test_an_area_layer_sharing_the_areas_data_gives_its_one_figure_and_every_figure_is_in_one_table(browser, published):  # noqa: F811
    maps, lang = published
    mix = gpd.read_parquet(maps.parent / "data" / "processed" / "areas_mix.parquet")
    visit = Visit(browser, maps / "social-balance.html")
    share = _table(visit, lang("Share social family dwellings"))
    origin = _table(visit, lang("Immigrants and descendants from non-Western countries"))
    every = _table(visit, lang("Housing areas: every figure"))
    sections = visit.page.evaluate("""() => [...document.querySelectorAll('.sb-layer-table')].find(d => d.open)
        .querySelectorAll('thead th[scope=colgroup]').length""")
    visit.page.close()
    assert share["header"] == [lang("Name"), lang("Share social family dwellings"), lang("Area profile"), lang("Map")]
    # a share of dwellings is shown for every area; a share of residents is suppressed in the small area (A4,
    # 50 residents), as in the popups (CONTRACT 7: person-based figures only)
    assert {r[0]: r[1] for r in share["rows"]} == {n: _percent(s, lang) for n, s in zip(mix["name"], mix["share_social_family"], strict=True)}
    assert {r[0]: r[1] for r in origin["rows"]} == {n: _percent(s, lang) if r >= MIN_RESIDENTS else lang("suppressed")
                                                  for n, s, r in zip(mix["name"], mix["share_non_western"], mix["residents"], strict=True)}
    # every figure of the areas' popups, under the popup's sections (Housing, Indicative status, ...)
    assert lang("Share social family dwellings") in every["header"] and lang("Residents") in every["header"]
    assert len(every["header"]) >= 20 and sections >= 3 and len(every["rows"]) == len(mix)


TAB_TO_BUTTON = """() => { const e = document.activeElement; const s = getComputedStyle(e);
  return {button: e.classList.contains('sb-show'), outline: [s.outlineStyle, parseFloat(s.outlineWidth)],
          row: e.classList.contains('sb-show') ? e.closest('tr').cells[0].textContent : null}; }"""
OPEN_HEADING = """() => { const p = [...document.querySelectorAll('.leaflet-popup')].filter(p => p.style.opacity !== '0').pop();
  const h = p && p.querySelector('.sb-popup h4');
  return {heading: h ? h.textContent : null, focused: h !== null && document.activeElement === h}; }"""


@pytest.mark.parametrize("page_name", data_map_pages())
def test_show_on_map_is_reached_by_tab_and_opens_the_rows_popup(browser, published, page_name):  # noqa: F811
    maps, _ = published
    visit = Visit(browser, maps / page_name)
    page = visit.page
    checked, tables = [], page.locator(".sb-layer-table").count()
    for i in range(tables):
        page.locator(".sb-layer-table summary").nth(i).focus()
        page.keyboard.press("Enter")  # the keyboard opens the details
        for _ in range(12):  # Tab from the summary to the first row's button (past a profile link)
            page.keyboard.press("Tab")
            stop = page.evaluate(TAB_TO_BUTTON)
            if stop["button"]:
                break
        assert stop["button"], f"Tab never reached a Show on map button in table {i} of {page_name}"
        assert stop["outline"][0] != "none" and stop["outline"][1] >= 2
        page.keyboard.press("Enter")
        if page.evaluate(TAB_TO_BUTTON)["button"]:  # a layer of tooltips only (streets, parcel dots): its tooltip names the row
            assert page.locator(".leaflet-tooltip").last.inner_text().startswith(stop["row"])
        else:  # the row's popup is open, its heading the row's name, with the focus on it
            assert page.evaluate(OPEN_HEADING) == {"heading": stop["row"], "focused": True}
            page.keyboard.press("Escape")  # closes the popup and brings the focus back to the row's button
            assert page.evaluate(TAB_TO_BUTTON)["row"] == stop["row"]
        checked.append(stop["row"])
    page.close()
    assert len(checked) == tables >= 3
    assert visit.page_errors == []


def test_the_tables_are_for_the_screen_and_not_printed(browser, published):  # noqa: F811
    maps, _ = published
    visit = Visit(browser, maps / "school-sites.html")
    page = visit.page
    assert page.locator(".sb-tables").is_visible()
    page.emulate_media(media="print")
    assert not page.locator(".sb-tables").is_visible()
    page.close()


def test_rows_per_page_come_from_the_config(browser, tmp_path):  # noqa: F811
    # publish.table_rows_per_page: 2 pages the fixture's three job sites as 2 + 1; the two schools fit one page
    config = make_project(tmp_path / "paged", {"publish": {"table_rows_per_page": 2}})
    run(config)
    visit = Visit(browser, config.maps_dir / "index.html")
    page = visit.page
    jobs = _table(visit, "Job sites (sized by jobs)")
    status = page.locator(".sb-layer-table", has_text="Job sites").locator("[role=status]").inner_text()
    page.locator(".sb-layer-table", has_text="Job sites").get_by_role("button", name="Next rows").click()
    rest = _table(visit, "Job sites (sized by jobs)")
    schools = _table(visit, "Schools")
    tools = page.locator(".sb-layer-table", has_text="Schools").locator(".sb-table-tools").count()
    page.close()
    assert status == "Rows 1–2 of 3"
    assert [r[1] for r in jobs["rows"]] == ["J1", "J2"] and [r[1] for r in rest["rows"]] == ["J3"]
    assert len(schools["rows"]) == 2 and tools == 0
