"""Headless Chromium against the published pages, with the network blocked: they must work offline.

Uses the Debian chromium (/usr/bin/chromium) through playwright; screenshots land in tests/artifacts/.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from browser_util import EVIL, PLAN_PAGE, chromium, data_map_pages, make_project

from pipeline.publish import run

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).parent / "artifacts"
LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}

FIND_MAP = """() => { for (const k of Object.keys(window)) { if (k.startsWith('map_') && window[k] instanceof L.Map) return k; } return null; }"""


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """The fixture project, published once with tiles off."""
    config = make_project(tmp_path_factory.mktemp("project"))
    run(config)
    return config.maps_dir


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


class Visit:
    """One page load with everything the page tried to do recorded."""

    def __init__(self, browser, path: Path):
        self.console_errors, self.page_errors, self.blocked, self.dialogs = [], [], [], []
        self.page = browser.new_page(viewport={"width": 1400, "height": 900})
        self.page.route("**/*", self._route)
        self.page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        self.page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")
        self.map = self.page.evaluate(FIND_MAP)

    def _route(self, route):
        url = urlparse(route.request.url)
        if url.scheme in ("file", "data", "blob") or url.hostname in LOOPBACK:
            route.continue_()
        else:
            self.blocked.append(route.request.url)
            route.abort()

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def js(self, body: str, arg=None):
        """Evaluate a function body with `map` bound to the page's Leaflet map."""
        return self.page.evaluate(f"(arg) => {{ const map = window['{self.map}']; {body} }}", arg)


def _layer_count(visit: Visit) -> int:
    return visit.js("let n = 0; map.eachLayer(() => n++); return n;")


@pytest.mark.parametrize("page_name", data_map_pages())
def test_page_works_offline(browser, published, page_name):
    """Loads from the file with no errors and no request leaving the machine; layers toggle; tooltip; legend."""
    visit = Visit(browser, published / page_name)
    page = visit.page
    assert visit.page.evaluate("() => typeof window.L") == "object"
    assert visit.map is not None
    # every overlay in the layer control switches its layer on and off
    boxes = page.locator(".leaflet-control-layers-overlays input[type=checkbox]")
    # themes (layers with a legend) are radio buttons, one on at a time (tests/test_readable.py)
    assert page.locator(".leaflet-control-layers-overlays input").count() >= 3, "expected several switchable layers"
    for i in range(boxes.count()):
        before = _layer_count(visit)
        boxes.nth(i).click()
        after = _layer_count(visit)
        assert after != before, f"layer {i} of {page_name} did not toggle"
        boxes.nth(i).click()
        assert _layer_count(visit) == before
    # a tooltip appears when hovering a feature of a visible polygon layer
    point = visit.js("""
        let found = null;
        map.eachLayer(l => { if (!found && l.feature && l.getTooltip && l.getTooltip() && l.getBounds) {
            const c = map.latLngToContainerPoint(l.getBounds().getCenter()); found = [c.x, c.y]; } });
        return found;""")
    assert point is not None, "no polygon with a tooltip is shown"
    box = page.locator(".folium-map").bounding_box()
    page.mouse.move(box["x"] + point[0], box["y"] + point[1])
    page.wait_for_selector(".leaflet-tooltip", state="visible", timeout=3000)
    # legend or map key visible; the data date, run id and (except on the index) the back link
    if page_name == "index.html":
        assert page.locator("text=Map key").is_visible()
        assert page.locator("a[href='social-balance.html']").is_visible()
    else:
        assert page.locator(".sb-legend").first.is_visible()
        assert page.locator("#sb-back").get_attribute("href") == "index.html"
    assert page.locator("#sb-run-id").inner_text() == "run-1"
    assert page.locator("#sb-data-date").inner_text() == "January 31, 2025"  # data_date 2025-01-31, in English
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{page_name.removesuffix('.html')}.png"))
    assert visit.blocked == []
    assert visit.console_errors == [] and visit.page_errors == []
    assert visit.dialogs == []
    page.close()


def test_the_plan_page_without_a_plan_loads_offline_and_says_what_is_missing(browser, published):
    """The fixture has no plan: the page loads offline without errors and its notice says what is missing."""
    visit = Visit(browser, published / PLAN_PAGE)
    assert visit.map is not None
    notice = visit.page.locator(".sb-missing").first
    assert notice.is_visible() and "plan" in notice.inner_text().lower()
    assert visit.page.locator("#sb-back").get_attribute("href") == "index.html"
    assert visit.blocked == [] and visit.console_errors == [] and visit.page_errors == []
    visit.page.close()


def _open_popup_of(visit: Visit, name: str) -> str:
    """Open the popup of the first feature with this name and return its text."""
    opened = visit.js("""
        let hit = null;
        map.eachLayer(l => { if (!hit && l.feature && l.feature.properties.name === arg && l.getPopup && l.getPopup()) hit = l; });
        if (!hit) return false; hit.openPopup(); return true;""", name)
    assert opened, f"no feature named {name!r} with a popup"
    return visit.page.locator(".leaflet-popup-content").inner_text()


@pytest.mark.parametrize("page_name", ["index.html", "social-balance.html", "accessibility.html"])
def test_injected_name_is_text_and_small_area_is_suppressed(browser, published, page_name):
    """The area named <img src=x onerror=...> shows that text, runs nothing, and its person figures say suppressed."""
    visit = Visit(browser, published / page_name)
    text = _open_popup_of(visit, EVIL)
    assert EVIL in text
    assert visit.page.locator(".leaflet-popup-content img").count() == 0
    rows = dict(re.findall(r"^([^\t\n]+)\t([^\n]*)$", text, flags=re.M))
    # 50 residents < privacy.min_residents 100: residents and the resident-weighted figures are words
    person_rows = {k: v for k, v in rows.items() if k in ("Residents", "Immigrants and descendants from non-Western countries",
                                                           "Jobs within 30 min by bike", "Distance to a public green area")}
    assert person_rows and set(person_rows.values()) == {"suppressed"}
    if page_name == "index.html":  # its popups show the housing figures (elsewhere, the figures of the theme)
        assert rows["Dwellings"] == "20"  # not person-based: shown
    # and the tooltip of the same area is text too
    visit.page.wait_for_timeout(100)
    assert visit.dialogs == [] and visit.page_errors == []
    visit.page.close()


def test_small_district_and_school_suppressed(browser, published):
    """District Øst (60 residents) shows its pupil figures as the word; the comparison panel is there."""
    visit = Visit(browser, published / "school-sites.html")
    # header + one scenario + baseline + today's districts as drawn (reference)
    assert visit.page.locator("#sb-comparison tr").count() == 4
    assert visit.page.locator("#sb-bars .sb-bar-row").count() == 3
    visit.page.close()
    visit = Visit(browser, published / "index.html")
    text = _open_popup_of(visit, "Øst")
    rows = dict(re.findall(r"^([^\t\n]+)\t([^\n]*)$", text, flags=re.M))
    assert rows["Pupils"] == "suppressed" and rows["Capacity (pupils)"] == "500"
    visit.page.close()


# Each feature of the themes on the map (the Leaflet layers page.js sbLayer drew, options as the canvas draws them)
# and each symbol of the legend shown (the computed style of its SVG shape), colours as the browser computes them.
FEATURES_AND_SWATCHES = """() => {
  const m = window[(""" + FIND_MAP + """)()];
  const rgb = c => { const p = document.createElement('span'); p.style.color = c; document.body.appendChild(p);
                     const v = getComputedStyle(p).color; p.remove(); return v; };
  const features = [];
  m.eachLayer(l => { if (l.sbOptions && l.sbOptions.fill) { l.eachLayer(f => { const o = f.options;
    features.push({fill: rgb(o.fillColor || o.color), fillOpacity: +o.fillOpacity, stroke: rgb(o.color),
                   weight: +o.weight, opacity: +o.opacity}); }); } });
  const swatches = [...document.querySelectorAll('.sb-legend .sb-legend-row')].map(row => {
    const shape = row.querySelector('.sb-swatch[aria-hidden=true] svg rect');
    if (!shape) { return {label: row.textContent}; }
    const s = getComputedStyle(shape);
    return {fill: s.fill, fillOpacity: +s.fillOpacity, stroke: s.stroke, weight: parseFloat(s.strokeWidth),
            opacity: +s.strokeOpacity};
  });
  return {features, swatches, labels: [...document.querySelectorAll('.sb-legend .sb-legend-row')].map(r => r.textContent)};
}"""


@pytest.mark.parametrize(("page_name", "border"), [
    ("social-balance.html", {"fillOpacity": 0.7, "stroke": "rgb(68, 68, 68)", "weight": 1}),  # layers.AREA_STYLE
    ("school-sites.html", {"fillOpacity": 0.6, "stroke": "rgb(68, 68, 68)", "weight": 2}),  # the catchments' style
])
def test_a_legend_symbol_is_a_small_copy_of_the_map_feature(browser, published, page_name, border):
    """The theme shown first (the status; the baseline's utilisation): every area drawn on the map has a legend
    symbol with its fill colour, fill opacity, border colour and border weight, as written in the style by hand."""
    visit = Visit(browser, published / page_name)
    drawn = visit.page.evaluate(FEATURES_AND_SWATCHES)
    features, swatches = drawn["features"], drawn["swatches"]
    assert len(features) >= 2 and len(swatches) >= 2, drawn
    assert all("fill" in s for s in swatches), drawn  # every entry an SVG shape, not a box with a background
    for feature in features:
        assert feature in swatches, (feature, swatches)
    assert {s["fill"] for s in swatches} >= {f["fill"] for f in features}
    assert len({f["fill"] for f in features}) >= 2  # the legend is not one symbol that happens to match
    for swatch in swatches:
        assert {k: swatch[k] for k in border} == border and swatch["opacity"] == 1
    assert visit.page_errors == [] and visit.console_errors == []
    visit.page.close()
