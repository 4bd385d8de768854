"""Pages readable everywhere and maps that read on their own (issue 21 part B), in headless Chromium.

On the demo municipality (run once, Danish, then publish again in English; tiles off unless a test says so):
- a profile's tables on a 390 px phone are stacked rows whose cells are wide enough that no word is broken;
- a profile prints on at most three A4 sheets (counted in the PDF Chromium prints), headings kept with what
  they head and table header rows repeated;
- every map page prints on one sheet, its map framed on the whole municipality;
- the offline base map (streets, green areas, stations, area names) is drawn when the tiles cannot load.
On the fixture project (tests/browser_util.py, hand values): the criterion bars' one fixed scale per criterion.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from browser_util import NAMES, chromium, make_project
from demo_util import published_demo

from pipeline.core.stages import MAP_PAGES
from pipeline.publish import run
from pipeline.publish.profile_sections import CRITERION_AXIS_MAX

pytestmark = pytest.mark.browser
PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")  # a sheet of the PDF (not the /Pages tree)
PHONE = {"width": 390, "height": 844}
# The demo's prevention area (forebyggelsesområde) with the widest tables, and two more
PHONE_PROFILES = ("A004", "A001", "A010")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict[str, Path]:
    """The demo's maps folder in Danish and in English (the Danish run's data, publish run again)."""
    return published_demo(tmp_path_factory, "readable")


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def sheets(pdf: bytes) -> int:
    """The number of sheets of a PDF Chromium printed (its page objects)."""
    return len(PAGE_OBJECT.findall(pdf))


def printed(page) -> bytes:
    page.emulate_media(media="print")
    return page.pdf(prefer_css_page_size=True, print_background=True)


# Every cell of the profile's tables as the phone shows it: its width, the widest of its words set on one line
# in the cell's own font, and the label shown before the value (profile.css, td::before).
CELLS = """() => [...document.querySelectorAll('main table tbody td, main table tbody th')]
  .filter(c => c.offsetParent !== null && c.textContent.trim())
  .map(c => {
    const style = getComputedStyle(c), probe = document.createElement('span');
    probe.style.cssText = 'position:absolute;visibility:hidden;white-space:nowrap;font:' + style.font;
    document.body.appendChild(probe);
    let widest = 0, word = '';
    for (const w of c.textContent.trim().split(/\\s+/)) { probe.textContent = w;
      if (probe.getBoundingClientRect().width > widest) { widest = probe.getBoundingClientRect().width; word = w; } }
    probe.remove();
    const label = getComputedStyle(c, '::before').content;
    return {text: c.textContent.trim(), width: c.getBoundingClientRect().width, widest, word,
            display: style.display, label};
  })"""


@pytest.mark.parametrize("lang", ["da", "en"])
def test_profile_tables_are_stacked_rows_on_a_phone_with_no_word_broken(browser, demo, lang):
    page = browser.new_page(viewport=PHONE)
    for area in PHONE_PROFILES:
        page.goto((demo[lang] / "areas" / f"{area}.html").as_uri())
        cells = page.evaluate(CELLS)
        assert len(cells) > 40, area  # tenure, access, districts, scenarios, history
        for cell in cells:
            # a stacked row's cell spans the screen (the page's 1.25 rem padding aside), never a squeezed column
            assert cell["width"] > 300, (area, cell)
            assert cell["widest"] <= cell["width"] + 0.5, f"{area}: {cell['word']!r} broken in {cell}"
        labelled = [c for c in cells if c["label"] not in ("none", "normal")]
        assert len(labelled) > len(cells) / 2, area  # each value says which column it is
        assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]
        # on a desktop the same tables are tables again
    page.set_viewport_size({"width": 1400, "height": 900})
    assert {c["display"] for c in page.evaluate(CELLS)} == {"table-cell"}
    page.close()


def test_the_phone_shows_each_column_heading_beside_its_value(browser, demo):
    """The access table's first row on a phone: the area's figure labelled with the column heading "Dette område"."""
    page = browser.new_page(viewport=PHONE)
    page.goto((demo["da"] / "areas" / "A004.html").as_uri())
    heads = page.locator("#pf-access thead th").all_text_contents()
    assert heads[1:] == ["Dette område", "Kommunens gennemsnit"]
    first = page.locator("#pf-access tbody tr").first.locator("td")
    assert [first.nth(i).get_attribute("data-label") for i in (1, 2)] == heads[1:]
    assert page.evaluate("() => getComputedStyle(document.querySelector('#pf-access tbody td + td'), '::before')"
                         ".content") == '"Dette område"'
    page.close()


@pytest.mark.parametrize("lang", ["da", "en"])
def test_every_profile_prints_on_at_most_three_a4_sheets(browser, demo, lang):
    page = browser.new_page()
    counts = {}
    for path in sorted((demo[lang] / "areas").glob("A*.html")):
        page.goto(path.as_uri())
        pdf = printed(page)
        counts[path.stem] = sheets(pdf)
        boxes = set(re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)", pdf))
        assert {tuple(round(float(v)) for v in b) for b in boxes} == {(595, 842)}  # A4 portrait, in points
    assert len(counts) == 40
    assert max(counts.values()) <= 3, counts
    assert min(counts.values()) >= 2  # the check can fail: a profile is more than one sheet
    page.close()


def test_printed_headings_stay_with_what_they_head_and_tables_repeat_their_header_row(browser, demo):
    page = browser.new_page()
    page.goto((demo["da"] / "areas" / "A004.html").as_uri())
    page.emulate_media(media="print")
    styles = page.evaluate("""() => ({
      headings: [...document.querySelectorAll('main h2, main h3')].map(h => getComputedStyle(h).breakAfter),
      heads: [...document.querySelectorAll('main table')].map(t => t.tHead && t.tHead.rows.length === 1
               && getComputedStyle(t.tHead).display),
      groups: [...document.querySelectorAll('.pf-criterion, .pf-history > div, main tr')]
               .map(g => getComputedStyle(g).breakInside)})""")
    assert styles["headings"] and set(styles["headings"]) == {"avoid"}
    assert styles["heads"] and set(styles["heads"]) == {"table-header-group"}
    assert styles["groups"] and set(styles["groups"]) == {"avoid"}
    page.close()


@pytest.mark.parametrize("page_name", MAP_PAGES)
def test_a_map_page_prints_on_one_sheet_framed_on_the_whole_municipality(browser, demo, page_name):
    import geopandas as gpd

    processed = demo["root"] / "data" / "processed"
    frames = [gpd.read_parquet(processed / f"{n}.parquet").to_crs(4326) for n in ("housing_areas", "streets")]
    west = min(f.total_bounds[0] for f in frames)
    south = min(f.total_bounds[1] for f in frames)
    east = max(f.total_bounds[2] for f in frames)
    north = max(f.total_bounds[3] for f in frames)
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    page.goto((demo["da"] / page_name).as_uri())
    find = "Object.values(window).find(v => v instanceof L.Map)"
    page.evaluate(f"() => {{ {find}.setView([{(south + north) / 2}, {east}], 16, {{animate: false}}); }}")  # the reader zoomed into the east
    screen = page.evaluate(f"() => {find}.getBounds().toBBoxString()")
    assert float(screen.split(",")[0]) > west  # the west of the municipality is off the screen
    pdf = printed(page)
    assert sheets(pdf) == 1
    shown = [float(v) for v in page.evaluate(f"() => {find}.getBounds().toBBoxString()").split(",")]
    assert shown[0] <= west and shown[1] <= south and shown[2] >= east and shown[3] >= north, (shown, west, south, east, north)
    # not zoomed out further than needed: the municipality spans over half the printed map's width or height
    assert (east - west) / (shown[2] - shown[0]) > 0.5 or (north - south) / (shown[3] - shown[1]) > 0.5
    page.emulate_media(media="screen")  # back on the screen, the reader's view again (media listeners run async)
    page.wait_for_function(f"(screen) => {find}.getBounds().toBBoxString() === screen", arg=screen, timeout=3000)
    page.close()


def test_criterion_bars_share_one_scale_per_criterion(tmp_path, browser):
    """c4 (income ratio) of the fixture's A1 (0.5) and A3 (1.3) on the one c4 axis, 0 to 150 %: bars of
    348 x 0.5 / 1.5 = 116.0 px and 348 x 1.3 / 1.5 = 301.6 px (348 px: the bar's 360 px less its 6 px margins),
    the threshold 0.55 at 6 + 348 x 0.55 / 1.5 = 133.6 px on both; before, each area had its own axis (100 % and 200 %)."""
    assert CRITERION_AXIS_MAX["c4"] == 1.5
    config = make_project(tmp_path / "project", {"language": "da"})
    run(config)
    page = browser.new_page()
    found = {}
    for area in ("A1", "A3"):
        page.goto((config.maps_dir / "areas" / f"{area}.html").as_uri())
        found[area] = page.evaluate("""() => { const s = document.querySelector('#pf-c4 svg');
          return {bar: s.querySelector('rect').getAttribute('width'), axis: s.querySelectorAll('text')[1].textContent,
                  threshold: s.querySelector('.pf-threshold') && s.querySelector('.pf-threshold').getAttribute('x1')}; }""")
    assert found["A1"]["bar"] == "116.0" and found["A3"]["bar"] == "301.6"
    assert found["A1"]["axis"] == found["A3"]["axis"] == "150\u00a0%"  # Danish: a no-break space before %
    assert found["A1"]["threshold"] == found["A3"]["threshold"] == "133.6"
    page.close()


# ------------------------------------------------------------------ maps that read on their own
FIND = "Object.values(window).find(v => v instanceof L.Map)"


def _offline_page(browser, path: Path, viewport=None):
    """A page opened with every request off the machine refused (as with no internet)."""
    page = browser.new_page(viewport=viewport or {"width": 1400, "height": 900})
    page.route("http*://**", lambda route: route.abort())
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page


BASE_STATE = f"""() => {{ const map = {FIND}; let tiles = 0, base = null;
  map.eachLayer(l => {{ if (l instanceof L.TileLayer) tiles++; if (l.options && l.options.pane === 'sbBase' && (l instanceof L.Path || l instanceof L.Marker)) base = true; }});
  const radio = [...document.querySelectorAll('.leaflet-control-layers-base input')].find(i => i.checked);
  return {{tiles, base, checked: radio && radio.parentNode.textContent.trim(),
          stations: document.querySelectorAll('.leaflet-sbBase-pane .sb-icon.sb-station .fa-train').length}}; }}"""


def test_the_offline_base_takes_the_place_of_tiles_that_cannot_load(tmp_path, browser):
    """The fixture published with OpenStreetMap tiles, opened with no internet: the tiles fail, the base drawn
    from the fixture's own streets, green area and station (Aarhus H) takes their place, its radio checked; the
    four area names (Gellerup ..., the injected one as text) show from zoom 14 in and not at zoom 12."""
    config = make_project(tmp_path / "project", {"publish": {"tiles": "OpenStreetMap"}})
    run(config)
    page = _offline_page(browser, config.maps_dir / "social-balance.html")
    page.wait_for_function(f"() => {{ let t = 0; {FIND}.eachLayer(l => {{ if (l instanceof L.TileLayer) t++; }}); return t === 0; }}",
                           timeout=5000)
    state = page.evaluate(BASE_STATE)
    assert state == {"tiles": 0, "base": True, "checked": "Base map drawn from the municipality's layers (offline)",
                     "stations": 1}
    page.evaluate(f"() => {{ {FIND}.setZoom(15, {{animate: false}}); }}")
    names = page.locator(".sb-base-label span")
    assert sorted(names.all_inner_texts()) == sorted(NAMES)  # the injected name among them, as text
    assert page.locator(".sb-base-label img").count() == 0
    assert names.first.is_visible()
    page.evaluate(f"() => {{ {FIND}.setZoom(12, {{animate: false}}); }}")
    assert not names.first.is_visible()
    # the tiles stay selectable: choosing them again puts them back
    page.locator(".leaflet-control-layers-base input").first.check()
    assert page.evaluate(BASE_STATE)["tiles"] == 1
    page.close()


@pytest.mark.parametrize("page_name", MAP_PAGES)
def test_every_map_page_without_tiles_starts_on_the_offline_base(browser, demo, page_name):
    page = _offline_page(browser, demo["da"] / page_name)
    state = page.evaluate(BASE_STATE)
    assert state == {"tiles": 0, "base": True, "checked": "Grundkort tegnet ud fra kommunens egne lag (offline)",
                     "stations": 2}  # the demo's two stations
    page.close()


def test_the_base_of_a_municipality_fifty_times_the_demo_stays_small(demo):
    """The demo's streets and green areas copied onto a 10 x 5 grid of municipalities (50 times the demo): the base
    keeps at most MAX_BASE_VERTICES vertices of each, and its GeoJSON stays under a fifth of the page budget."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    from pipeline.core.config import load_config
    from pipeline.publish.inputs import Inputs
    from pipeline.publish.pages.base_map import MAX_BASE_VERTICES, base_frame, base_geojson

    processed = demo["root"] / "data" / "processed"
    frames = {}
    for name in ("streets", "green_areas", "stations", "housing_areas"):
        frame = gpd.read_parquet(processed / f"{name}.parquet")
        copies = [frame.assign(geometry=frame.geometry.translate(11_000 * (i % 10), 9_000 * (i // 10))) for i in range(50)]
        frames[name] = gpd.GeoDataFrame(pd.concat(copies, ignore_index=True), crs=frame.crs)
    assert shapely.get_num_coordinates(frames["streets"].geometry.to_numpy()).sum() > 5 * MAX_BASE_VERTICES
    base = base_frame(Inputs(frames=frames), load_config(demo["root"] / "config" / "pipeline.yaml"))
    for kind in ("street", "green"):
        assert 0 < shapely.get_num_coordinates(base[base["kind"] == kind].geometry.to_numpy()).sum() <= MAX_BASE_VERTICES
    assert (base["kind"] == "station").sum() == 100 and (base["kind"] == "label").sum() == 2000
    config = load_config(demo["root"] / "config" / "pipeline.yaml")
    geojson = base_geojson(base, config)
    assert len(geojson["features"]) == len(base)
    size = len(json.dumps(geojson, separators=(",", ":")).encode())
    assert size < int(config["publish"]["page_size_budget_bytes"]) / 5, size  # about 1.3 MB of 8 MB


THEMES = """() => { const map = """ + FIND + """;
  const radios = [...document.querySelectorAll('.leaflet-control-layers-overlays input[type=radio]')];
  return {names: [...new Set(radios.map(r => r.name))], count: radios.length,
          checked: radios.filter(r => r.checked).map(r => r.parentNode.textContent.trim()),
          legends: [...document.querySelectorAll('.sb-legend-title')].map(l => l.textContent),
          boxes: [...document.querySelectorAll('.leaflet-control-layers-overlays input[type=checkbox]')]
                 .map(r => r.parentNode.textContent.trim())}; }"""


def test_thematic_layers_exclude_each_other_and_one_legend_explains_the_map(browser, demo):
    page = _offline_page(browser, demo["da"] / "social-balance.html")
    start = page.evaluate(THEMES)
    # status, four earlier years, seven mix figures, the districts' pupil mix: one group of radio buttons
    assert start["count"] == 13 and len(start["names"]) == 1
    # the status layer holds omdannelse, parallelsamfund and udsat areas (§ 61 a) and prevention areas (§ 61 b)
    assert start["checked"] == ["Status (vejledende)"] and start["legends"] == ["Status (vejledende, § 61 a og § 61 b)"]
    assert start["boxes"] == ["Skoler"]  # a layer without a legend stays a checkbox, on top of any theme
    radios = page.locator(".leaflet-control-layers-overlays input[type=radio]")
    for i in range(start["count"]):
        radios.nth(i).check()
        now = page.evaluate(THEMES)
        assert len(now["checked"]) == 1 and len(now["legends"]) == 1, now
    last = page.evaluate(THEMES)  # the last theme, the districts' pupil mix, with its own legend
    assert last["checked"] == ["Skoledistrikter: elevsammensætning"] and last["legends"][0].startswith("Skoledistrikter")
    page.close()


def test_the_plan_pages_year_slider_shows_one_year_at_a_time(browser, demo):
    """The demo's plan runs 2024-2035: a year layer each, one on the map at a time, picked by the slider or the
    layer list, the slider and the legend naming the year shown."""
    page = _offline_page(browser, demo["da"] / "plan.html")
    start = page.evaluate(THEMES)
    assert start["count"] == 12 and start["checked"] == ["Fremskrevet status 2035"]
    assert start["legends"] == ["Fremskrevet status 2035 (vejledende)"]
    page.locator("#sb-plan-year").fill("2027")  # a range input takes its value as typed
    now = page.evaluate(THEMES)
    assert now["checked"] == ["Fremskrevet status 2027"] and now["legends"] == ["Fremskrevet status 2027 (vejledende)"]
    assert page.locator("#sb-plan-year-out").inner_text() == "2027"
    page.locator(".leaflet-control-layers-overlays input[type=radio]").nth(2).check()  # 2026 from the layer list
    assert page.locator("#sb-plan-year").input_value() == "2026"
    assert page.locator("#sb-plan-year-out").inner_text() == "2026"
    page.close()


def test_a_popup_opens_with_name_and_status_and_shows_at_most_twelve_figures(browser, demo):
    """Hyldkæret (A004, a prevention area) on the status layer: its name, then its status, then the rest of the
    status section; the popup says how many figures it leaves out and links the profile; the panel's table of the
    areas keeps every figure."""
    page = _offline_page(browser, demo["da"] / "social-balance.html")
    page.evaluate(f"""() => {{ let hit = null; {FIND}.eachLayer(l => {{ if (!hit && l.feature && l.getPopup && l.getPopup()
        && l.feature.properties.name === 'Hyldkæret') hit = l; }}); hit.openPopup(); }}""")
    popup = page.locator(".leaflet-popup-content")
    assert popup.locator("h4").inner_text() == "Hyldkæret"
    rows = popup.locator("tr")
    assert rows.first.locator("th").inner_text().startswith("Status")  # "Status (vejledende)"
    assert rows.first.locator("td").inner_text() == "forebyggelsesområde"
    assert 6 <= rows.count() <= 12
    total = page.evaluate("() => sbTables.filter(t => t.every)[0].data.popup.filter(r => r.length > 1).length")
    assert total > 30
    assert popup.locator(".sb-popup-more").inner_text() == f"{total - rows.count()} tal mere i profilen og i panelets tabeller"
    assert popup.locator("a").get_attribute("href") == "areas/A004.html"
    page.close()


def test_the_scenarios_dot_plot_shows_close_values_apart(tmp_path, browser):
    """The fixture's D: C1 0.31 (rank 1), the baseline and today's districts 0.40: dots at 4 % and 96 % of the
    track (the axis from the smallest to the largest value); on the demo 0,700 and 0,722 are 92 % apart."""
    config = make_project(tmp_path / "project")
    run(config)
    page = _offline_page(browser, config.maps_dir / "school-sites.html")
    dots = page.evaluate("() => [...document.querySelectorAll('#sb-bars .sb-bar-row')].map(r => [r.querySelector('.sb-bar-value')"
                         ".textContent, r.querySelector('.sb-dot').style.left, r.querySelector('.sb-dot').classList.contains('sb-best')])")
    assert dots == [["0.310", "4%", True], ["0.400", "96%", False], ["0.400", "96%", False]]
    assert page.locator(".sb-axis").inner_text() == ("The axis runs from 0.310 to 0.400, not from 0: the dots' distances "
                                                     "show the differences.")
    page.close()


def test_a_table_that_scrolls_shows_that_it_does(browser, demo):
    page = _offline_page(browser, demo["da"] / "school-sites.html")
    box = page.locator(".sb-panel .sb-scroll[tabindex='0']").first
    assert "sb-more-right" in box.get_attribute("class") and "sb-more-left" not in box.get_attribute("class")
    hint = page.locator(".sb-scroll-hint").first
    assert hint.is_visible() and hint.inner_text() == "Rul til siden for flere kolonner →"
    assert page.evaluate("(b) => b.previousElementSibling.className", box.element_handle()) == "sb-scroll-hint"
    box.focus()
    page.keyboard.press("ArrowRight")  # the keyboard scrolls it
    page.wait_for_function("(b) => b.scrollLeft > 0", arg=box.element_handle(), timeout=3000)
    page.evaluate("(b) => { b.scrollLeft = b.scrollWidth; }", box.element_handle())
    page.wait_for_function("(b) => b.classList.contains('sb-more-left') && !b.classList.contains('sb-more-right')",
                           arg=box.element_handle(), timeout=3000)
    page.close()


def test_the_map_key_draws_the_maps_own_symbols(browser, demo):
    page = _offline_page(browser, demo["da"] / "index.html")
    found = page.evaluate("""() => {
      const look = el => el && {icon: el.className, colour: getComputedStyle(el).color};
      const key = text => [...document.querySelectorAll('.sb-key-row')].find(r => r.textContent.trim() === text);
      return {
        keyStation: look(key('Station').querySelector('i')),
        mapStation: look(document.querySelector('.leaflet-marker-pane .sb-station i')),
        keySite: look(key('Mulig placering').querySelector('i')),
        keySiteArea: key('Mulig placering').querySelector('rect').getAttribute('stroke'),
        mapSiteAreas: (() => { let n = 0; Object.values(window).find(v => v instanceof L.Map).eachLayer(l => {
          if (l.feature && l.options.color === '#c1121f' && l.options.fillColor === '#c1121f') n++; }); return n; })(),
        keyDistrict: key('Skoledistrikter (stiplet)').querySelector('rect').getAttribute('stroke-dasharray'),
        keyDistrictColour: key('Skoledistrikter (stiplet)').querySelector('rect').getAttribute('stroke')};}""")
    assert found["keyStation"] == found["mapStation"] == {"icon": "fa-solid fa-train", "colour": "rgb(106, 4, 15)"}
    # the demo's candidate sites are areas: drawn in the key's red, beside the pin of a site that is a point
    assert found["keySite"] == {"icon": "fa-solid fa-location-dot", "colour": "rgb(193, 18, 31)"}
    assert found["keySiteArea"] == "#c1121f" and found["mapSiteAreas"] == 7
    assert (found["keyDistrict"], found["keyDistrictColour"]) == ("6 4", "#6a3d9a")
    page.close()
