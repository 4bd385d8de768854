"""The housing-area profile pages (maps/areas/<area_id>.html) and their list (maps/areas/index.html).

Built on the published-project fixture of browser_util (four areas; A4 has 50 residents and an HTML injection as
its name), with the mix stage's path-off-the-list columns and a three-year history added by hand. Expected texts
are the fixture's hand values formatted by hand in each language (da: 12,5 %, 1.100; en: 12.5%, 1,100).
"""

from __future__ import annotations

import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlparse

import geopandas as gpd
import pandas as pd
import pytest
from browser_util import EVIL, chromium, make_project

from pipeline.publish import run
from pipeline.publish.i18n import language, missing_messages
from pipeline.publish.inputs import load_inputs
from pipeline.publish.profile_charts import history_chart
from pipeline.publish.profile_sections import (
    ACCESS_LABELS,
    CRITERIA_ROWS,
    GAP_ITEMS,
    PATH_ITEMS,
    STATUS_TEXT,
    TENURE_LABELS,
)
from pipeline.publish.profiles import TEMPLATES, build_profiles, profile_file, profile_href
from pipeline.publish.status_text import COMPARISONS

NBSP = "\u00a0"

# The path off the list as mix writes it (hand values; A4, 50 residents, must never show its 7 and 93).
PATH = pd.DataFrame({
    "area_id": ["A1", "A2", "A3", "A4"],
    "path_c1_persons": pd.array([125, 25, 0, 7], dtype="Int64"),
    "path_c2_persons": pd.array([3, 0, 0, 0], dtype="Int64"),
    "path_c3_persons": pd.array([75, 0, 0, 0], dtype="Int64"),
    "path_c4_income_dkk": [24_800.0, 0.0, 0.0, 93.0],
    "path_criteria": [("c2, c3"), None, None, None],
    "path_persons": pd.array([78, None, None, None], dtype="Int64"),
})


def history() -> pd.DataFrame:
    """Three years of A1 (2021 under the 2018-2020 rules' income threshold 0.55 and c1 0.40) and of the small A4."""
    rows = []
    for year, c1, rule_set, c4_threshold in ((2021, 0.47, "2018-2020", 0.55), (2022, None, "2021-", 0.55),
                                            (2023, 0.45, "2021-", 0.55)):
        rows.append({"area_id": "A1", "year": year, "rule_set": rule_set, "residents": 2500, "share_outside_work_edu": c1,
                     "crime_ratio": 3.2, "share_basic_edu": 0.65, "income_ratio": 0.5, "share_non_western": 0.7,
                     "c1_threshold": 0.40, "c2_threshold": 3.0, "c3_threshold": 0.60, "c4_threshold": c4_threshold,
                     "non_western_threshold": 0.5, "criteria_met": 4, "status": "parallelsamfund", "years_listed": year - 2021})
        rows.append({"area_id": "A4", "year": year, "rule_set": rule_set, "residents": 50, "share_outside_work_edu": 0.3712,
                     "crime_ratio": 1.0, "share_basic_edu": 0.2, "income_ratio": 0.9, "share_non_western": 0.4321,
                     "c1_threshold": 0.40, "c2_threshold": 3.0, "c3_threshold": 0.60, "c4_threshold": c4_threshold,
                     "non_western_threshold": 0.5, "criteria_met": 0, "status": "none", "years_listed": 0})
    frame = pd.DataFrame(rows)
    # the rule set of each year as mix writes it (areas_mix_history's rule_* columns): 2021 under the 2018-2020 law
    old = frame["rule_set"] == "2018-2020"
    return frame.assign(rule_from_year=old.map({True: 2018, False: 2021}), rule_to_year=[2020 if o else None for o in old],
                        rule_terms=old.map({True: "ghetto", False: "parallelsamfund"}), rule_prevention_areas=~old)


def publish_with_profiles(root: Path, code: str, *, with_history: bool = True, with_path: bool = True):
    """Publish the fixture in one language, then rebuild its profiles with the history (not yet in the catalogue)."""
    config = make_project(root, {"language": code})
    processed = config.processed_dir
    if with_path:
        mix = gpd.read_parquet(processed / "areas_mix.parquet").merge(PATH, on="area_id")
        mix.to_parquet(processed / "areas_mix.parquet")
    run(config)
    if with_history:
        inputs = load_inputs(config)
        inputs.frames["areas_mix_history"] = history()
        build_profiles(inputs, config, config.maps_dir)
    return config


class _Text(HTMLParser):
    """The text a reader sees (no style or script), and every link."""

    def __init__(self):
        super().__init__()
        self.parts, self.links, self._skip = [], [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("style", "script")
        self.links += [v for k, v in attrs if k == "href" and tag == "a"]

    def handle_endtag(self, tag):
        self._skip -= tag in ("style", "script")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def page_text(path: Path) -> tuple[str, list[str]]:
    """A page's visible text with spaces normalised, and its links."""
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return re.sub(r"\s+", " ", " ".join(parser.parts)), parser.links


@pytest.fixture(scope="module", params=["da", "en"])
def published(request, tmp_path_factory):
    return request.param, publish_with_profiles(tmp_path_factory.mktemp(f"profiles_{request.param}"), request.param)


# Hand values of area A1, formatted by hand: c1 0.45, c2 3.2, c4 0.5, the path, the gap (1293), and beside its
# access figures the municipality's averages the fixture's municipality_access gives (1100 m, 10500 jobs, 20 %).
EXPECTED = {
    "da": ["45,0 %", "§ 61 a: over 40 %", "3,20 gange", "§ 61 a: mindst 3 gange", "50,0 %", "§ 61 a: under 55 %",
           "125 flere beboere 18-64 år", "3 færre dømte", "24.800 kr. mere", "c2, c3, i alt 78 personer",
           "1.293 nye boliger", "850 m", "1.100 m", "10.500", "20,0 %", "Status: omdannelsesområde", "31. januar 2025",
           "Vest", "Byudvikling Syd", "4 af de 4 kriterier er opfyldt (c1, c2, c3, c4); mindst 2 af de 4 skal være opfyldt"],
    "en": ["45.0%", "§ 61 a: more than 40%", "3.20 times", "§ 61 a: at least 3 times", "50.0%", "§ 61 a: less than 55%",
           "125 more residents 18-64", "3 fewer convicted", "24,800 DKK more", "c2, c3, 78 persons in all",
           "1,293 new dwellings", "850 m", "1,100 m", "10,500", "20.0%", "Status: omdannelsesområde (transformation area)",
           "January 31, 2025", "Vest", "Byudvikling Syd", "4 of the 4 criteria are met (c1, c2, c3, c4); at least 2 are needed"],
}


def test_hand_values_of_an_area_appear_formatted_in_the_language(published):
    code, config = published
    text, _ = page_text(config.maps_dir / "areas" / "A1.html")
    for expected in EXPECTED[code]:
        assert expected.replace(" %", f"{NBSP}%") in text or expected in text, expected
    page = (config.maps_dir / "areas" / "A1.html").read_text(encoding="utf-8")
    assert f'<html lang="{code}">' in page
    # the history: A1's three years, 2022 unknown (a gap in the line, not a zero), 2021's rules named in their
    # own law's words (never the rule set's config name), its status too (a ghettoområde under those rules)
    rules = {"da": "reglerne for 2018-2020 (ghettoområder og hårde ghettoområder",
             "en": "the rules of 2018-2020 (ghettoområder and hårde ghettoområder"}[code]
    assert re.search(r">2021<.*" + re.escape(rules) + r".*>ghettoområde", page, re.S)
    # five charts (c1-c4, non-Western) with a point per known year: c1 has none in 2022
    assert page.count("<title>2021: ") == 5 and page.count("<title>2022: ") == 4 and page.count("<title>2023: ") == 5


def test_a_danish_profile_has_no_english_text_of_its_own(published):
    code, config = published
    if code != "da":
        pytest.skip("Danish only")
    text, _ = page_text(config.maps_dir / "areas" / "A1.html")
    english = [*ACCESS_LABELS.values(), *(r[3] for r in CRITERIA_ROWS), *(p[2].split("{n} ")[1] for p in PATH_ITEMS),
               "Status and why", "The path off the list", "Tenure mix", "no data", "threshold", "times", "Housing area"]
    assert [e for e in english if e in text] == []


def test_every_text_of_the_profiles_is_in_the_danish_catalogue():
    # the message ids of the templates (_("...")) and of the sections' tables: each needs its Danish text
    ids = []
    for template in TEMPLATES.glob("profile*.html"):
        ids += [a or b for a, b in re.findall(r"""_\(\s*(?:"([^"]+)"|'([^']+)')\s*\)""", template.read_text(encoding="utf-8"))]
    ids += [*STATUS_TEXT.values(), *(r[3] for r in CRITERIA_ROWS), *COMPARISONS.values(), *(p[2] for p in PATH_ITEMS),
            *(g[1] for g in GAP_ITEMS), *TENURE_LABELS.values(), *ACCESS_LABELS.values()]
    assert len(ids) > 80
    assert missing_messages(sorted(set(ids))) == []


def test_a_small_area_shows_no_person_counts(published):
    code, config = published
    label = language(code)("suppressed")
    text, _ = page_text(config.maps_dir / "areas" / profile_file("A4"))
    assert label in text
    assert EVIL in text  # the injected name is text (the parser unescaped it once), never markup
    assert "<img" not in (config.maps_dir / "areas" / "A4.html").read_text(encoding="utf-8")
    # A4's own person figures (c1 37 %, non-Western 43.2 %, path 7 and 93, history 37.1 %) never appear
    for figure in ("37,0", "37.0", "43,2", "43.2", "37,1", "37.1", "7", "93"):
        assert not re.search(rf"(?<![\d.,]){re.escape(figure)}(?![\d.,]*\d)", text), figure
    assert "<circle" not in (config.maps_dir / "areas" / "A4.html").read_text(encoding="utf-8")  # no history points
    # the list shows its status as suppressed too
    index, _ = page_text(config.maps_dir / "areas" / "index.html")
    assert label in index


def test_every_link_of_the_list_and_the_profiles_resolves_to_a_file(published):
    _, config = published
    folder = config.maps_dir / "areas"
    _, links = page_text(folder / "index.html")
    assert sorted(links[2:]) == sorted(profile_href(a) for a in ("A1", "A2", "A3", "A4"))  # after the two nav links
    pages = [folder / "index.html", *(folder / profile_file(a) for a in ("A1", "A2", "A3", "A4"))]
    for page in pages:
        for link in page_text(page)[1]:
            target = (page.parent / unquote(urlparse(link).path)).resolve()
            assert target.is_file(), f"{page.name} links {link}, which is no file"


def test_missing_datasets_and_columns_are_said_not_failed(tmp_path):
    # no path columns, no history, no access stage output, no scenarios: each section says what is missing. The
    # candidate sites are configured, so the scenarios are not computed yet (not "not supplied": tests/test_not_supplied.py)
    config = make_project(tmp_path, {"language": "en", "sources": {"candidate_sites": {"path": "raw/sites.gpkg"}}})
    for name in ("areas_access", "scenarios_development", "scenarios_development_summary", "scenarios_school_sites",
                 "scenarios_school_catchments", "scenarios_school_summary"):
        (config.processed_dir / f"{name}.parquet").unlink()
    run(config)
    text, _ = page_text(config.maps_dir / "areas" / "A1.html")
    assert "not computed yet: areas_mix.parquet has no path_c1_persons" in text
    assert "not computed yet: the access stage has not written areas_access.parquet" in text
    assert "not computed yet: the scenarios stage has not written scenarios_development.parquet" in text
    assert "not computed yet: the mix stage has not written areas_mix_history.parquet" in text
    assert "45.0%" in text  # what is there is still shown


def test_profile_file_names_keep_plain_ids_and_make_safe_names_of_the_others():
    """One function (pipeline.core.paths.id_file_name) names every profile: plain ids as given; any other a
    URL-safe stem and the first 8 hex digits of the id's SHA-1, so the link is the file name itself."""
    assert profile_file("0147") == "0147.html" and profile_file("A-4_b") == "A-4_b.html"
    sha = {i: hashlib.sha1(i.encode("utf-8")).hexdigest()[:8] for i in ("Søndervang 2", "A/5", "..", "index", "x" * 300)}
    assert profile_file("Søndervang 2") == f"Soendervang_2-{sha['Søndervang 2']}.html"
    assert profile_file("A/5") == profile_href("A/5") == f"A_5-{sha['A/5']}.html"
    assert profile_file("..") == f"id-{sha['..']}.html"  # no hidden or dot files
    assert profile_file("index") == f"index-{sha['index']}.html"  # never the list's own file
    assert profile_file("x" * 300) == "x" * 80 + f"-{sha['x' * 300]}.html"  # bounded
    assert profile_file("A_5") != profile_file("A/5") != profile_file("A:5")  # never two ids one file


def test_history_chart_breaks_the_line_at_an_unknown_year_and_steps_the_threshold():
    chart = history_chart([2021, 2022, 2023], [0.5, None, 0.25], [0.4, 0.4, 0.3], value_text=str, year_text=str)
    # axis top: nice ceiling of 0.5 x 1.1 = 0.55 -> 1.0; a value v sits at top + inner height x (1 - v)
    inner_h = chart.bottom - chart.top
    assert chart.ticks_y[-1][1] == "1.0"
    assert chart.value_path.count("M") == 2 and "L" not in chart.value_path  # two points, the gap not bridged
    assert [round(p[1], 1) for p in chart.points] == [round(chart.top + inner_h * 0.5, 1), round(chart.top + inner_h * 0.75, 1)]
    # the threshold is one line that steps down from 0.4 to 0.3 between 2022 and 2023
    assert chart.threshold_path.count("M") == 1
    ys = sorted({round(float(p.split(",")[1]), 1) for p in chart.threshold_path.split()})
    assert ys == [round(chart.top + inner_h * 0.6, 1), round(chart.top + inner_h * 0.7, 1)]


# ---------------------------------------------------------------- in the browser


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def _open(browser, path: Path):
    """A page loaded from its file with every request leaving the machine refused; its errors recorded."""
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors, blocked = [], []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.route("**/*", lambda r: r.continue_() if urlparse(r.request.url).scheme in ("file", "data")
               else (blocked.append(r.request.url), r.abort()))
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    return page, errors, blocked


@pytest.mark.browser
def test_profiles_open_offline_without_errors(browser, published):
    code, config = published
    for area in ("A1", "A2", "A3", "A4", "index"):
        page, errors, blocked = _open(browser, config.maps_dir / "areas" / f"{area}.html")
        assert errors == [] and blocked == []
        assert page.evaluate("() => document.documentElement.lang") == code
        if area == "A1":  # the charts are drawn: five criterion bars, history charts, the tenure bar
            assert page.locator("#pf-criteria svg").count() == 5
            assert page.locator("#pf-history svg circle").count() >= 2
        page.close()


@pytest.mark.browser
def test_the_list_filter_hides_rows_that_do_not_match(browser, published):
    code, config = published
    page, errors, _ = _open(browser, config.maps_dir / "areas" / "index.html")
    visible = "() => Array.from(document.querySelectorAll('#pf-areas tbody tr')).filter(r => !r.hidden).map(r => r.cells[1].textContent)"
    assert sorted(page.evaluate(visible)) == ["A1", "A2", "A3", "A4"]
    page.fill("#pf-filter-name", "GELLER")  # case does not matter
    assert page.evaluate(visible) == ["A1"]
    page.fill("#pf-filter-name", "")
    page.select_option("#pf-filter-status", "forebyggelse")
    assert page.evaluate(visible) == ["A2"]
    page.select_option("#pf-filter-status", "suppressed")  # the small area: listed under suppressed, not its status
    assert page.evaluate(visible) == ["A4"]
    page.fill("#pf-filter-name", "gellerup")
    assert page.evaluate(visible) == []
    assert page.locator("#pf-count").inner_text() == ("0 af 4 områder vist" if code == "da" else "0 of 4 areas shown")
    assert errors == []
    page.close()


@pytest.mark.browser
def test_print_hides_the_controls(browser, published):
    _, config = published
    page, _, _ = _open(browser, config.maps_dir / "areas" / "A1.html")
    page.emulate_media(media="print")
    assert not page.locator(".pf-nav").is_visible()
    assert page.locator("#pf-indicative").is_visible()
    page.close()


def test_without_the_mix_output_every_area_is_suppressed_and_says_why(tmp_path):
    # residents unknown (no areas_mix): the area counts as small, as on every other output
    config = make_project(tmp_path, {"language": "en"})
    (config.processed_dir / "areas_mix.parquet").unlink()
    run(config)
    text, _ = page_text(config.maps_dir / "areas" / "A1.html")
    assert "Status: suppressed" in text
    assert text.count("not computed yet: the mix stage has not written areas_mix.parquet") >= 4
    assert "45.0%" not in text
    index, _ = page_text(config.maps_dir / "areas" / "index.html")
    assert "Gellerup A1 suppressed suppressed" in index


@pytest.mark.browser
def test_every_profile_link_of_the_map_popups_resolves_to_a_profile(browser, published):
    # the area popups of the map pages (pipeline/publish/pages/layers.py) link areas/<area_id>.html relative to maps/
    _, config = published
    for page_name in ("social-balance.html", "accessibility.html"):
        page, errors, _ = _open(browser, config.maps_dir / page_name)
        links = page.evaluate("""() => { const found = new Set();
            for (const k of Object.keys(window)) { const m = window[k];
                if (k.startsWith('map_') && m instanceof L.Map) m.eachLayer(l => {
                    if (l.feature && l.feature.properties.link) found.add(l.feature.properties.link); }); }
            return Array.from(found); }""")
        assert sorted(links) == ["areas/A1.html", "areas/A2.html", "areas/A3.html"]  # A4 is suppressed: no link
        for link in links:
            assert (config.maps_dir / unquote(link)).is_file()
        assert errors == []
        page.close()


def test_a_history_without_years_says_there_is_none(tmp_path):
    # statistics that carry no year: mix writes history rows with a null year; the profile shows no history
    config = make_project(tmp_path, {"language": "en"})
    run(config)
    inputs = load_inputs(config)
    inputs.frames["areas_mix_history"] = history().assign(year=pd.array([None] * 6, dtype="Int64"))
    build_profiles(inputs, config, config.maps_dir)
    text, _ = page_text(config.maps_dir / "areas" / "A1.html")
    assert "No history for this area." in text
