"""Printing a page for a council report: A4 landscape, map, legend, panel, source and date; no controls.

The fixture project (tests/browser_util.py) is published in Danish and every page opened in headless Chromium
with print media emulated; the printed PDF's page size is read back from the PDF itself.
"""

from __future__ import annotations

import re

import pytest
from browser_util import data_map_pages, make_project
from test_browser import Visit, browser  # noqa: F401  (the browser fixture)

from pipeline.publish import run

pytestmark = pytest.mark.browser
A4_LANDSCAPE_PT = (842, 595)  # 297 x 210 mm in PostScript points (1 pt = 1/72 inch), rounded
CONTROLS = (".leaflet-control-zoom", ".leaflet-control-layers")
ALWAYS_PRINTED = ("#sb-data-note", "#sb-data-date", "#sb-run-id", ".folium-map", ".sb-panel h1",
                  ".leaflet-control-attribution")


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    config = make_project(tmp_path_factory.mktemp("print"), {"language": "da"})
    run(config)
    return config.maps_dir


@pytest.mark.parametrize("page_name", data_map_pages())
def test_print_hides_controls_and_keeps_note_label_legend_and_date(browser, published, page_name):  # noqa: F811
    visit = Visit(browser, published / page_name)
    page = visit.page
    controls = (*CONTROLS, ".sb-links" if page_name == "index.html" else "#sb-back")  # links are of no use on paper
    for selector in controls:  # on screen the controls are there, so the check below can fail
        assert page.locator(selector).first.is_visible(), selector
    page.emulate_media(media="print")
    for selector in controls:
        assert not page.locator(selector).first.is_visible(), f"{selector} printed on {page_name}"
    for selector in ALWAYS_PRINTED:
        assert page.locator(selector).first.is_visible(), f"{selector} not printed on {page_name}"
    if page_name in ("social-balance.html", "urban-development.html"):  # the "indicative" label, always printed
        label = page.locator(".sb-label").first
        assert label.is_visible() and label.inner_text() == "vejledende, beregnet ud fra de leverede data"
    if page_name != "index.html":
        assert page.locator(".sb-legend").first.is_visible()
    # panel left of the map, side by side on the sheet
    panel, map_box = page.locator(".sb-panel").bounding_box(), page.locator(".folium-map").bounding_box()
    assert panel["x"] + panel["width"] <= map_box["x"] + 1
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    boxes = {tuple(round(float(v)) for v in m) for m in re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)}
    assert boxes == {A4_LANDSCAPE_PT}, boxes
    assert visit.page_errors == []
    page.close()
