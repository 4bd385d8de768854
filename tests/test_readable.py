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

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from browser_util import chromium, make_project

from pipeline.core.stages import MAP_PAGES
from pipeline.publish import run
from pipeline.publish.profile_sections import CRITERION_AXIS_MAX

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[1]
PAGE_OBJECT = re.compile(rb"/Type\s*/Page(?![a-zA-Z])")  # a sheet of the PDF (not the /Pages tree)
PHONE = {"width": 390, "height": 844}
# The demo's prevention area (forebyggelsesområde) with the widest tables, and two more
PHONE_PROFILES = ("A004", "A001", "A010")


def _pipeline(*args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=REPO, text=True, capture_output=True,
                            timeout=1200)
    assert result.returncode == 0, result.stderr


def _write_config(root: Path, language: str, tiles: str = "none") -> Path:
    config = yaml.safe_load((REPO / "config" / "pipeline.yaml").read_text(encoding="utf-8"))
    config.update({"root": "..", "language": language})
    config.setdefault("publish", {})["tiles"] = tiles
    (root / "config").mkdir(exist_ok=True)
    path = root / "config" / "pipeline.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict[str, Path]:
    """The demo's maps folder in Danish and in English (the Danish run's data, publish run again)."""
    root = tmp_path_factory.mktemp("readable-da")
    _pipeline("demo-data", "--out", str(root / "data" / "raw"))
    _pipeline("--quiet", "run", "--config", str(_write_config(root, "da")))
    english = tmp_path_factory.mktemp("readable-en")
    shutil.copytree(root / "data", english / "data", symlinks=True)
    _pipeline("--quiet", "run", "--stage", "publish", "--config", str(_write_config(english, "en")))
    return {"da": root / "maps", "en": english / "maps", "root": root}


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
