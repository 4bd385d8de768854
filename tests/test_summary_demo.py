"""Kort fortalt on the demo: every profile opens with its summary, readable (LIX), short and without codes;
the municipality in short (maps/kort-fortalt.html) is linked from the index, passes axe-core and prints on one
A4 sheet.

The demo municipality is generated and run through every stage once (Danish pages, tiles off), then publish is
run again in English. The summary's text is read back from the published pages (the paragraphs and list items
of #kort-fortalt), so what is measured is what a resident reads.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from a11y_util import AXE_JS, block_network, describe, run_axe
from browser_util import chromium
from demo_util import published_demo

from pipeline.publish.summary import lix

CODES = re.compile(r"\bc[1-4]\b|§|\b61\s*[ab]?\b")
A4_PORTRAIT_PT = (595, 842)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> dict[str, Path]:
    """The demo's maps folder in Danish and in English (the Danish run's data, publish run again)."""
    return published_demo(tmp_path_factory, "summary-demo")


class _Summary(HTMLParser):
    """The sentences of #kort-fortalt: the text of the paragraphs and list items of its .kf-text (not the map's key),
    and the id of the first section of <main>."""

    def __init__(self) -> None:
        super().__init__()
        self.depth, self.inside, self.capture = 0, False, None
        self.sentences: list[str] = []
        self.first_section: str | None = None
        self.in_main = self.in_summary = False

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "main":
            self.in_main = True
        if tag == "section" and self.in_main and self.first_section is None:
            self.first_section = attributes.get("id")
        if tag == "div" and self.in_summary and attributes.get("class") == "kf-text":
            self.inside = True
        if attributes.get("id") == "kort-fortalt":
            self.in_summary = True
        if self.inside and tag in ("p", "li") and self.capture is None:
            self.capture, self.text = tag, []

    def handle_endtag(self, tag):
        if self.capture == tag:
            self.sentences.append(" ".join("".join(self.text).split()))
            self.capture = None
        if tag == "div" and self.inside:  # .kf-text holds no other div
            self.inside = False
        if tag == "section":
            self.in_summary = False

    def handle_data(self, data):
        if self.capture:
            self.text.append(data)


def summary_of(path: Path) -> _Summary:
    parser = _Summary()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def profiles(maps: Path) -> list[Path]:
    return sorted(p for p in (maps / "areas").glob("*.html") if p.name != "index.html")


@pytest.mark.parametrize("code", ["da", "en"])
def test_every_profile_opens_with_a_short_readable_summary_without_codes(demo, code):
    pages = profiles(demo[code])
    assert len(pages) == 40
    problems, strengths = {}, set()
    for path in pages:
        found = summary_of(path)
        text = " ".join(found.sentences)
        score = lix(text)
        if found.first_section != "kort-fortalt":
            problems[path.name] = f"the first section is {found.first_section}"
        elif not 300 <= len(text) <= 1500 or score > 40 or CODES.search(text):
            problems[path.name] = f"{len(text)} characters, LIX {score:.1f}, codes {CODES.findall(text)}: {text}"
        html = path.read_text(encoding="utf-8")
        block = html[html.index('class="kf-strengths"'):] if 'class="kf-strengths"' in html else ""
        strengths.add(block[: block.find("</ul>")])
    assert problems == {}
    # different areas get different strengths: most of the 40 areas have their own set of sentences
    assert len(strengths) >= 30


def test_the_summaries_figures_are_rounded_for_people(demo):
    text = " ".join(" ".join(summary_of(p).sentences) for p in profiles(demo["da"]))
    assert "ud af 10" in text and "minutter" in text
    # no figure with decimals (12,5) nor a percent sign in the sentences: whole numbers a person can picture
    assert not re.search(r"\d,\d", text)
    # the only percentages are the rules' own limits: the family housing cap and a parallel society's share
    rules = ("I 2030 må højst 40 % af boligerne", "Over 50 % af beboerne")  # (the parser makes no-break spaces plain)
    assert "%" not in re.sub("|".join(rules), "", text)


@pytest.mark.parametrize("code", ["da", "en"])
def test_the_municipality_in_short_is_linked_from_the_index_and_readable(demo, code):
    maps = demo[code]
    assert 'href="kort-fortalt.html"' in (maps / "index.html").read_text(encoding="utf-8")
    html = (maps / "kort-fortalt.html").read_text(encoding="utf-8")
    items = [" ".join(re.sub(r"<[^>]+>", " ", t).split()) for t in re.findall(r"<(?:p|li)[^>]*>(.*?)</(?:p|li)>", html, re.S)]
    text = " ".join(t for t in items if t.endswith("."))
    assert lix(text) <= 40 and not CODES.search(text), text
    # the demo's lists (worked out from its areas table): one area of each kind, named
    words = {"da": ("1 omdannelsesområde", "Blommeengen", "Ugleparken: fra et parallelsamfund til et udsat boligområde."),
             "en": ("1 transformation area", "Blommeengen", "Ugleparken: from a parallel society to a vulnerable housing area.")}
    for expected in words[code]:
        assert expected in text


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.mark.browser
@pytest.mark.parametrize("code", ["da", "en"])
def test_axe_finds_nothing_on_the_municipality_page_and_a_profile_of_each_status(browser, demo, code):
    if not AXE_JS.exists():
        pytest.skip("axe-core not installed (npm ci)")
    maps = demo[code]
    found = {}
    for path in [maps / "kort-fortalt.html", *(maps / "areas" / f"{a}.html" for a in ("A001", "A003", "A004", "A014"))]:
        for width, height in ((1400, 900), (390, 844)):
            page = browser.new_page(viewport={"width": width, "height": height})
            block_network(page)
            page.goto(path.as_uri())
            violations = run_axe(page)
            page.close()
            if violations:
                found[f"{path.name} {width}"] = describe(violations)
    assert found == {}


@pytest.mark.browser
def test_the_municipality_page_prints_on_one_a4_sheet(browser, demo):
    page = browser.new_page()
    block_network(page)
    page.goto((demo["da"] / "kort-fortalt.html").as_uri())
    page.emulate_media(media="print")
    assert not page.locator(".pf-nav").is_visible()  # links are of no use on paper
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    page.close()
    boxes = {tuple(round(float(v)) for v in m)
             for m in re.findall(rb"/MediaBox\s*\[\s*0\s+0\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)}
    assert boxes == {A4_PORTRAIT_PT}, boxes
    assert len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf)) == 1  # one sheet
