"""The pages in Danish and in English: no English UI word left on a Danish page, Danish number formats.

The demo municipality (scale 0.5) is made and run once; publish then builds its pages in da and in en. Each
page is opened in headless Chromium with every layer switched on (so every legend is drawn) and the popup
and tooltip of one feature per layer opened; every text node, the title, alt and aria-label attributes and
the document title are read. The English UI words are the words of the catalogue's message ids that no
Danish text uses (built from the catalogues, not typed in); none may appear on a Danish page. Texts that are
data or config, not UI (area names, the configured data note, the run's log warnings marked lang="en"),
are skipped by element; everything else counts.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from browser_util import EVIL, make_project
from test_browser import Visit, browser  # noqa: F401  (the browser fixture)

from pipeline.core.config import load_config
from pipeline.core.stages import MAP_PAGES
from pipeline.publish import build_release, run
from pipeline.publish.i18n import language
from pipeline.publish.messages import message_ids

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[1]
NBSP = "\u00a0"

# Every overlay on, then one feature per overlay: its popup's and tooltip's text, then every text on the page.
COLLECT = """
const texts = [];
const overlays = Object.values(map._layers).filter(l => l instanceof L.FeatureGroup);
document.querySelectorAll(".leaflet-control-layers-overlays input[type=checkbox]").forEach(b => { if (!b.checked) b.click(); });
for (const group of overlays) {
  let feature = null;
  group.eachLayer(function visit(l) { if (!feature) { if (l.feature) feature = l; else if (l.eachLayer) l.eachLayer(visit); } });
  if (!feature) continue;
  if (feature.getTooltip && feature.getTooltip()) { feature.openTooltip(feature.getLatLng ? feature.getLatLng() : feature.getBounds().getCenter());
    texts.push(feature.getTooltip().getElement().textContent); feature.closeTooltip(); }
  if (feature.getPopup && feature.getPopup()) { feature.openPopup();
    const popup = feature.getPopup().getElement();  // this popup's, not the previous one fading out
    popup.querySelectorAll("*").forEach(e => ["title", "aria-label", "alt"].forEach(a => e.getAttribute(a) && texts.push(e.getAttribute(a))));
    texts.push(popup.querySelector(".leaflet-popup-content").innerText); map.closePopup(); }
}
const skip = e => e.closest("[lang]:not(html), #sb-data-note, script, style");
const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
for (let n = walker.nextNode(); n; n = walker.nextNode()) { if (!skip(n.parentElement)) texts.push(n.textContent); }
document.querySelectorAll("[title], [alt], [aria-label]").forEach(e => { if (!skip(e))
  ["title", "aria-label", "alt"].forEach(a => e.getAttribute(a) && texts.push(e.getAttribute(a))); });
texts.push(document.title);
return texts;
"""


# Danish words that English message ids use (the law's own terms: omdannelse areas, Almenboligloven) or that
# are spelt the same in both languages and occur in Danish data (a sector "Transport og logistik", a plan's project
# "Butikker og service i stueetagerne"): not English.
DANISH_TOO = {"omdannelse", "forebyggelse", "udsat", "almenboligloven", "transport", "service"}


def english_ui_words() -> set[str]:
    """Words of the English message ids that no Danish text of the catalogues uses (at least three letters)."""
    danish = language("da")
    english = {w for m in message_ids() for w in words(m)}
    in_danish = {w for m in message_ids() for w in words(danish(m))}
    return english - in_danish - DANISH_TOO


def words(text: str) -> set[str]:
    """The lower-case words of a text, leaving out {placeholders} and code names (school_dist_m, run.json)."""
    text = re.sub(r"\{[^}]*\}|\S*[_.]\S*", " ", text)
    return {w.lower() for w in re.findall(r"[A-Za-zÆØÅæøåéü]{3,}", text)}


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> tuple[Path, Path]:
    """The demo municipality run through every stage, and its pages published in da and in en."""
    root = tmp_path_factory.mktemp("demo")
    shutil.copytree(REPO / "config", root / "config")
    (root / "data" / "raw").mkdir(parents=True)
    for args in (["demo-data", "--out", "data/raw", "--scale", "0.5"], ["--quiet", "run", "--config", "config/pipeline.yaml"]):
        subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=root, check=True, capture_output=True, timeout=900,
                       env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"})
    config = load_config(root / "config" / "pipeline.yaml").with_overrides({"publish": {"tiles": "none"}})  # offline
    assert config["language"] == "da"  # the default
    build_release(config, root / "da")
    build_release(config.with_overrides({"language": "en"}), root / "en")
    return root / "da" / "maps", root / "en" / "maps"


def page_texts(browser, path: Path) -> list[str]:  # noqa: F811
    """Every text a reader can meet on the page, popups and legends included."""
    visit = Visit(browser, path)
    texts = visit.js(COLLECT)
    assert visit.page_errors == [] and visit.console_errors == [], (path.name, visit.page_errors, visit.console_errors)
    visit.page.close()
    return texts


def test_the_english_word_list_is_built_from_the_catalogue():
    found = english_ui_words()
    # a few hand-picked UI words that must be in it, and Danish-and-English words that must not
    assert {"warnings", "residents", "distance", "suppressed", "scenario", "dwellings"} <= found
    assert not {"status", "data", "park", "station", "omdannelse"} & found


@pytest.mark.parametrize("page_name", MAP_PAGES)
def test_no_english_left_on_a_danish_page(browser, demo, page_name):  # noqa: F811
    da_maps, en_maps = demo
    english = english_ui_words()
    texts = page_texts(browser, da_maps / page_name)
    left = sorted({w for t in texts for w in words(t)} & english)
    assert left == [], f"{page_name}: English words on the Danish page: {left}"
    html = (da_maps / page_name).read_text(encoding="utf-8")
    assert '<html lang="da">' in html
    # the same page in English does use English UI words (the check can fail), and says it is English
    en_texts = page_texts(browser, en_maps / page_name)
    assert {w for t in en_texts for w in words(t)} & english
    assert '<html lang="en">' in (en_maps / page_name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def fixture_pages(tmp_path_factory) -> Path:
    """The four-area fixture (tests/browser_util.py) published in Danish."""
    config = make_project(tmp_path_factory.mktemp("fixture"), {"language": "da"})
    run(config)
    return config.maps_dir


def test_danish_numbers_as_shown_on_the_page(browser, fixture_pages):  # noqa: F811
    """Hand values of area A1 (Gellerup): 2,500 residents, 91.7 % social family, 15,000 jobs by bike, 150 m to green,
    1,293 dwellings to add; data date 2025-01-31. In Danish: 2.500, 91,7 %, 15.000, 150 m, 1.293, 31. januar 2025."""
    visit = Visit(browser, fixture_pages / "social-balance.html")
    assert visit.js("""let hit = null; map.eachLayer(l => { if (!hit && l.feature && l.feature.properties.name === arg) hit = l; });
                       hit.openPopup(); return true;""", "Gellerup")
    text = visit.page.locator(".leaflet-popup-content").inner_text()
    rows = dict(re.findall(r"^([^\t\n]+)\t([^\n]*)$", text, flags=re.M))
    assert rows["Beboere"] == "2.500"
    assert rows["Andel almene familieboliger"] == f"91,7{NBSP}%"
    # a popup shows at most 12 figures (the status's section first): the others as the panel's tables show them
    shown = visit.js("""let hit = null; map.eachLayer(l => { if (!hit && l.feature && l.feature.properties.name === arg) hit = l; });
                        const p = hit.feature.properties; return [p.f_jobs_bike_30, p.f_green_dist_m, p.f_gap_add_dwellings];""", "Gellerup")
    assert shown == ["15.000", "150 m", "1.293"]
    assert rows["Status (vejledende)"] == "omdannelsesområde"
    assert visit.page.locator(".leaflet-popup-content a").get_attribute("href") == "areas/A1.html"
    assert visit.page.locator(".leaflet-popup-content a").inner_text() == "Områdeprofil"
    assert visit.page.locator("#sb-data-date").inner_text() == "31. januar 2025"
    # the 50-resident area is suppressed: its popup has no profile link
    assert visit.js("""let hit = null; map.eachLayer(l => { if (!hit && l.feature && l.feature.properties.name === arg) hit = l; });
                       hit.openPopup(); return true;""", EVIL)
    visit.page.wait_for_timeout(400)  # Leaflet fades the previous popup out for 200 ms before removing it
    assert visit.page.locator(".leaflet-popup").count() == 1
    assert visit.page.locator(".leaflet-popup-content a").count() == 0
    visit.page.close()


def test_the_popup_status_sentence_is_the_profile_s_first_in_both_languages():
    """Four hand areas: udsat with 2 criteria; undetermined (c2, c4 unknown); none for fewer than 1,000 residents;
    none with too few criteria. The map popup's sentence (pages/layers.py status_reasons) is the first sentence the
    profile explains the status with (publish/status_text.py), in English and in Danish."""
    import pandas as pd

    from pipeline.core.config import DEFAULTS_FILE
    from pipeline.publish.pages.layers import status_reasons
    from pipeline.publish.status_text import explanation, rules_from_config

    rules = rules_from_config(__import__("yaml").safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))["mix"])
    out = pd.DataFrame({
        "criteria_met": [2, 1, 3, 1], "criteria": ["c1, c3", "c1", "c1, c2, c4", "c4"],
        "criteria_unknown": ["", "c2, c4", "", ""], "status": ["udsat", "undetermined", "none", "none"],
        "status_basis": ["section_61a", "unknown", "few_residents", "few_criteria"], "residents": [1200, 1500, 729, 1100],
        "deciding_unknown": ["", "c2, share_non_western", "", ""], "share_non_western": [0.2, None, 0.4, 0.1],
        "prevention_criteria_met": [2, 1, 3, 1], "prevention_criteria": ["c1, c3", "c1", "c1, c2, c4", "c4"]})
    for code in ("en", "da"):
        lang = language(code)
        assert status_reasons(out, lang, rules).tolist() == [explanation(lang, row, rules)[0]
                                                             for row in out.to_dict("records")]
    assert status_reasons(out, language("da"), rules).tolist()[1:3] == [
        "Ubestemt: status afhænger af c2, andelen med ikke-vestlig oprindelse, som data ikke oplyser.",
        "Ikke omfattet af loven: 729 beboere, færre end de 1.000, som § 61 a og § 61 b kræver."]


# The social-balance page's layer control: `layers(name)` the drawn features of an overlay (in its groups), `years`
# the names of the earlier years' status layers ("Status 2020", ...).
YEAR_LAYERS_JS = """const control = window[Object.keys(window).find(k => /^layer_control_.*_layers$/.test(k))];
        const layers = (name) => { const found = []; control.overlays[name].eachLayer(function visit(l) {
          if (l.feature) found.push(l); else if (l.eachLayer) l.eachLayer(visit); }); return found; };
        const years = Object.keys(control.overlays).filter(n => /^Status \\d{4}$/.test(n));
        """


def test_demo_status_layer_per_earlier_year(browser, demo):  # noqa: F811
    """The demo's history has 2020-2024: the Danish social-balance page has "Status 2020" .. "Status 2023", each
    feature filled with the status colour of that year's status in areas_mix_history (read back from the file).
    Hand check: Birkemarken (A002) was udsat in 2020 (orange #fd8d3c) and parallelsamfund in 2023 (red #e31a1c)."""
    import pandas as pd

    from pipeline.publish.catalogue import STATUS_COLOURS

    da_maps, _ = demo
    processed = da_maps.parents[1] / "data" / "processed"
    history = pd.read_parquet(processed / "areas_mix_history.parquet")
    names = pd.read_parquet(processed / "areas_mix.parquet").set_index("area_id")["name"]
    visit = Visit(browser, da_maps / "social-balance.html")
    fills = visit.js(YEAR_LAYERS_JS + """const out = {}; years.forEach(n => { out[n] = {};
          layers(n).forEach(l => { out[n][l.feature.properties.name] = l.options.fillColor; }); });
        return out;""")
    assert sorted(fills) == ["Status 2020", "Status 2021", "Status 2022", "Status 2023"]
    for year, rows in history[history["year"] < 2024].groupby("year"):
        expected = {names[a]: STATUS_COLOURS[s] for a, s in zip(rows["area_id"], rows["status"], strict=True)}
        assert fills[f"Status {year}"] == expected, year  # the demo has no area under privacy.min_residents
    assert fills["Status 2020"]["Birkemarken"] == "#fd8d3c" and fills["Status 2023"]["Birkemarken"] == "#e31a1c"
    visit.page.close()


def test_demo_year_layers_show_the_history_on_the_status_layers_own_shapes(browser, demo):  # noqa: F811
    """Each earlier year's layer of the Danish demo page gives every area that year's status and criteria met of
    areas_mix_history (read back from the file with pandas, the status written in Danish from the catalogue) and
    its profile link, drawn on the very polygons of the page's status layer: the same geometry objects in the
    browser, so the areas' shapes are embedded once for all the year layers (maps.py RowsOnShapes)."""
    import pandas as pd

    from pipeline.publish.catalogue import STATUS_LABELS
    from pipeline.publish.status_text import GHETTO_WORDS

    da_maps, _ = demo
    processed = da_maps.parents[1] / "data" / "processed"
    history = pd.read_parquet(processed / "areas_mix_history.parquet")
    names = pd.read_parquet(processed / "areas_mix.parquet").set_index("area_id")["name"]
    visit = Visit(browser, da_maps / "social-balance.html")
    shown = visit.js(YEAR_LAYERS_JS + """const shapes = {};
        layers("Status (vejledende)").forEach(l => { shapes[l.feature.properties.name] = l.feature.geometry; });
        const out = {}; years.forEach(n => { out[n] = {}; layers(n).forEach(l => { const f = l.feature, p = f.properties;
            out[n][p.name] = [p.f_year, p.f_status, p.f_criteria_met, p.link, f.geometry === shapes[p.name]]; }); });
        return out;""")
    lang = language("da")
    earlier = history[history["year"] < history["year"].max()]
    assert sorted(shown) == [f"Status {y}" for y in sorted(earlier["year"].unique())] and len(shown) >= 2
    for year, rows in earlier.groupby("year"):
        # in the words of that year's law: 2018-2020 (rule_terms ghetto) say ghettoområde, not parallelsamfund
        words = {**STATUS_LABELS, **(GHETTO_WORDS if rows["rule_terms"].eq("ghetto").all() else {})}
        expected = {names[a]: [str(year), lang(words[s]), str(int(n)), f"areas/{a}.html", True]
                    for a, s, n in zip(rows["area_id"], rows["status"], rows["criteria_met"], strict=True)}
        assert shown[f"Status {year}"] == expected, year  # the demo has no area under privacy.min_residents
    assert visit.page_errors == [] and visit.console_errors == []
    visit.page.close()
