"""The social-balance page's status per earlier year of areas_mix_history ("Status 2022", ...), on the
four-area fixture (tests/browser_util.py) with a hand-written three-year history, published in Danish.

Hand history (2024 is the latest year: the page's own status layer, from areas_mix):
  A1 Gellerup        2022 udsat (2 criteria, ghetto_2018), 2023 parallelsamfund (3, parallelsamfund_2021)
  A2 Søndervang      2022 90 residents (small that year: suppressed), 2023 forebyggelse (1 criterion)
  A3 Villakvarteret  none in every year
  A4 (the HTML name) 50 residents today (suppressed on the page), but 500 and "udsat" in the history: suppressed
                     in every year all the same.
The colours expected are the catalogue's status colours typed in by hand (udsat orange #fd8d3c,
parallelsamfund red #e31a1c, forebyggelse yellow #fed976, none light grey #d9d9d9, suppressed grey #969696).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest
from browser_util import AREA_IDS, EVIL, make_project
from test_browser import Visit, browser  # noqa: F401  (the browser fixture)

from pipeline.mix.history import HISTORY_COLUMNS
from pipeline.publish import run
from pipeline.publish.pages.social_balance import earlier_years

pytestmark = pytest.mark.browser
NAMES = {"A1": "Gellerup", "A2": "Søndervang", "A3": "Villakvarteret", "A4": EVIL}
SUPPRESSED = "#969696"
# the rule sets in words, as the pages write them in Danish (never their config names ghetto_2018, parallelsamfund_2021)
RULES_2018 = "Almenboligloven § 61 a, reglerne for 2018-2020 (ghettoområder og hårde ghettoområder; ingen forebyggelsesområder)"
RULES_2021 = ("Almenboligloven § 61 a og § 61 b, reglerne fra 2021 (udsatte boligområder, parallelsamfund, "
              "omdannelsesområder og forebyggelsesområder)")


def hand_history(years: tuple[int, ...] = (2022, 2023, 2024)) -> pd.DataFrame:
    """The hand history above (every column mix writes), restricted to the given years."""
    rows = {  # (residents, status, criteria_met, rule_set) per area and year
        2022: [(2400, "udsat", 2, "ghetto_2018"), (90, "none", 0, "ghetto_2018"), (790, "none", 0, "ghetto_2018"),
               (500, "udsat", 2, "ghetto_2018")],
        2023: [(2450, "parallelsamfund", 3, "parallelsamfund_2021"), (1150, "forebyggelse", 1, "parallelsamfund_2021"),
               (795, "none", 0, "parallelsamfund_2021"), (500, "udsat", 2, "parallelsamfund_2021")],
        2024: [(2500, "omdannelse", 4, "parallelsamfund_2021"), (1200, "forebyggelse", 1, "parallelsamfund_2021"),
               (800, "none", 0, "parallelsamfund_2021"), (50, "none", 0, "parallelsamfund_2021")],
    }
    frame = pd.DataFrame([{"area_id": a, "year": y, "residents": r, "status": s, "criteria_met": n, "rule_set": rs}
                          for y in years for a, (r, s, n, rs) in zip(AREA_IDS, rows[y], strict=True)])
    for column in HISTORY_COLUMNS:
        if column not in frame.columns:
            frame[column] = pd.Series(dtype="boolean") if column.endswith("_met") else 0.5
    for column, old, new in (("rule_from_year", 2018, 2021), ("rule_to_year", 2020, None),
                             ("rule_terms", "ghetto", "parallelsamfund"), ("rule_prevention_areas", False, True)):
        frame[column] = [old if rs == "ghetto_2018" else new for rs in frame["rule_set"]]
    frame["year"] = frame["year"].astype("Int64")
    frame["residents"] = frame["residents"].astype("Int64")
    frame["years_listed"] = pd.array([0] * len(frame), dtype="Int64")
    return frame[list(HISTORY_COLUMNS)]


def published(root, years: tuple[int, ...] | None):
    """The fixture published in Danish with the hand history of these years (none: no history file)."""
    config = make_project(root, {"language": "da"})
    if years is not None:
        hand_history(years).to_parquet(config.processed("areas_mix_history.parquet"))
    run(config)
    return config.maps_dir / "social-balance.html"


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    return published(tmp_path_factory.mktemp("history"), (2022, 2023, 2024))


# The overlays of the layer control by name, and each feature's name, fill colour and shown properties.
FEATURES = """
const control = window[Object.keys(window).find(k => /^layer_control_.*_layers$/.test(k))];
const group = control.overlays[arg];
if (!group) return null;
const out = {};
group.eachLayer(function visit(l) {
  if (l.feature) { const p = l.feature.properties; out[p.name] = {fill: l.options.fillColor, status: p.f_status,
                   met: p.f_criteria_met, rule: p.f_rule_set, link: p.link}; }
  else if (l.eachLayer) l.eachLayer(visit);
});
return out;
"""


def overlays(visit: Visit) -> list[str]:
    """The names in the layer control, in order."""
    return [t.strip() for t in visit.page.locator(".leaflet-control-layers-overlays label").all_inner_texts()]


def test_a_status_layer_per_earlier_year_coloured_by_that_years_status(browser, page):  # noqa: F811
    visit = Visit(browser, page)
    names = overlays(visit)
    # one layer per earlier year, right after the page's status layer; 2024 is that status layer itself
    assert [n for n in names if re.fullmatch(r"Status \d{4}", n)] == ["Status 2022", "Status 2023"]
    assert names.index("Status 2022") == names.index("Status (vejledende)") + 1
    # off by default: only the latest status is drawn when the page opens
    assert visit.page.locator(".leaflet-control-layers-overlays input:checked").count() == 1
    y2022, y2023 = visit.js(FEATURES, "Status 2022"), visit.js(FEATURES, "Status 2023")
    assert {n: f["fill"] for n, f in y2022.items()} == {
        "Gellerup": "#fd8d3c", "Søndervang": SUPPRESSED, "Villakvarteret": "#d9d9d9", EVIL: SUPPRESSED}
    assert {n: f["fill"] for n, f in y2023.items()} == {
        "Gellerup": "#e31a1c", "Søndervang": "#fed976", "Villakvarteret": "#d9d9d9", EVIL: SUPPRESSED}
    # the figures are the history's, in Danish
    assert y2022["Gellerup"] == {"fill": "#fd8d3c", "status": "udsat boligområde", "met": "2", "rule": RULES_2018,
                                 "link": "areas/A1.html"}
    assert y2023["Søndervang"]["status"] == "forebyggelsesområde"
    assert visit.page_errors == [] and visit.console_errors == []
    visit.page.close()


def test_a_suppressed_area_carries_no_status_in_any_year(browser, page):  # noqa: F811
    """A4 is small today (50 residents): no status, criteria or profile link in any year, though the history has
    "udsat" with 500 residents; A2 is small by its 2022 residents (90): suppressed in 2022 only."""
    visit = Visit(browser, page)
    for year in ("Status 2022", "Status 2023"):
        evil = visit.js(FEATURES, year)[EVIL]
        assert evil == {"fill": SUPPRESSED, "status": "skjult", "met": "skjult", "rule": RULES_2021
                        if year.endswith("2023") else RULES_2018, "link": None}
    assert visit.js(FEATURES, "Status 2022")["Søndervang"]["status"] == "skjult"
    assert "udsat" not in visit.js(FEATURES, "Status 2023")[EVIL]["status"]
    visit.page.close()


def test_popup_tooltip_and_legend_of_a_year_in_danish(browser, page):  # noqa: F811
    visit = Visit(browser, page)
    visit.page.locator(".leaflet-control-layers-overlays label", has_text="Status 2022").locator("input").check()
    visit.page.locator(".leaflet-control-layers-overlays label", has_text="Status (vejledende)").locator("input").uncheck()
    text = visit.js("""const control = window[Object.keys(window).find(k => /^layer_control_.*_layers$/.test(k))];
        let hit = null; control.overlays[arg].eachLayer(function visit(l) {
          if (!hit && l.feature && l.feature.properties.name === "Gellerup") hit = l; else if (l.eachLayer) l.eachLayer(visit); });
        hit.openTooltip(hit.getBounds().getCenter()); const tip = hit.getTooltip().getElement().textContent;
        hit.openPopup(); return [tip, hit.getPopup().getElement().querySelector(".leaflet-popup-content").innerText];""",
                         "Status 2022")
    assert text[0] == "Gellerup \u2014 Status 2022: udsat boligområde"
    rows = dict(re.findall(r"^([^\t\n]+)\t([^\n]*)$", text[1], flags=re.M))
    assert rows == {"År": "2022", "Status (vejledende)": "udsat boligområde", "Opfyldte kriterier (af 4)": "2",
                    "Regler anvendt det år": RULES_2018}
    legend = visit.page.locator(".sb-legend").inner_text()
    assert "Status 2022 (vejledende, § 61 a og § 61 b)" in legend and "omdannelsesområde" in legend and "skjult" in legend
    visit.page.close()


@pytest.mark.parametrize("years", [None, (2024,)])
def test_no_history_or_one_year_adds_no_layer(tmp_path, years):
    """Without areas_mix_history, or with only the latest year, the page is as before: no year layer."""
    html = published(tmp_path, years).read_text(encoding="utf-8")
    assert "Status (vejledende)" in html
    assert not re.search(r"Status 20\d\d", html)


def test_earlier_years_are_every_year_but_the_latest():
    assert earlier_years(None) == []
    assert earlier_years(hand_history((2024,))) == []
    assert earlier_years(hand_history()) == [2022, 2023]
