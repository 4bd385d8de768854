"""The scenario pages show the scenarios stage's summaries, figure for figure, and so does the ranking json.

The stage runs on the tiny files of test_scenarios (two areas, two schools) with two school sites and three
development sites (one in no area); publish builds the two pages from what the stage wrote. The page panels
are parsed as text (the figures a planner reads) and compared with the summary datasets at the precision
shown; the ranking json is compared with the same datasets value for value.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point
from test_scenarios import X0, Y0, _project, _write_processed

from pipeline import scenarios as sc
from pipeline.core.io import read_json
from pipeline.publish.inputs import load_inputs
from pipeline.publish.pages import build_school_sites, build_urban_development

REPO = Path(__file__).resolve().parents[1]


def _number(text: str) -> float | None:
    """A figure as the page shows it ('1,234 m', '+0.125', '62.5%', 'no data') as a number (None: no data)."""
    text = re.sub(r"<[^>]+>", "", text).strip()
    if text in ("no data", "reference", ""):
        return None
    value = float(text.replace(",", "").replace(" m", "").replace("%", "").replace("+", ""))
    return value / 100 if text.endswith("%") else value


def _same(shown: str, value, decimals: int) -> bool:
    """The page's figure equals the dataset's value at the precision the page shows."""
    number = _number(shown)
    if number is None or value is None or pd.isna(value):
        return number is None and (value is None or pd.isna(value))
    return number == pytest.approx(float(value), abs=0.5 * 10 ** -decimals + 1e-9)


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """The stage's files of a run with two school sites and three development sites, and the two pages."""
    tmp_path = tmp_path_factory.mktemp("scenario-pages")
    config = _project(tmp_path, {"access": {"free_transport_dist_m": 1000, "jobs_bike_minutes": 4},
                                 "publish": {"tiles": "none"}, "language": "en"})  # figures parsed in English format
    _write_processed(config)
    sites = gpd.read_parquet(config.processed("candidate_sites.parquet"))
    more = sites.iloc[[0, 1, 1]].assign(
        site_id=["N2", "DEV2", "FAR"], name=["Østskolen", "Bakken", "Fjernengen"], capacity=[10, None, None],
        closes_school_id=[None, None, None], new_dwellings_owner=[0, 100, 40], new_jobs=[0, 40, 5])
    more = more.set_geometry([Point(X0 + 1900, Y0 + 500), Point(X0 + 1500, Y0 + 800), Point(X0 + 15000, Y0)])
    pd.concat([sites, more], ignore_index=True).to_parquet(config.processed("candidate_sites.parquet"))
    sc.run(config)
    inputs = load_inputs(config)
    config.maps_dir.mkdir(parents=True, exist_ok=True)
    school_page = build_school_sites(inputs, config, config.maps_dir).read_text(encoding="utf-8")
    development_page = build_urban_development(inputs, config, config.maps_dir).read_text(encoding="utf-8")
    return config, school_page, development_page


def test_school_sites_panel_shows_the_summary_of_every_scenario(project):
    config, page, _ = project
    summary = pd.read_parquet(config.processed(sc.SCHOOL_SUMMARY_FILE))
    rows = re.findall(r"<tr data-scenario-id='([^']*)'>(.*?)</tr>", page)
    # every scenario, in the summary's order: ranked by rank, the baseline among them, the reference row last
    assert [r[0] for r in rows] == summary["scenario_id"].tolist()
    assert set(summary["scenario_id"]) == {"baseline", "districts_as_drawn", "N1", "N2"}
    for (scenario_id, markup), rec in zip(rows, summary.to_dict("records"), strict=True):
        name, rank, d, dist, transport, over = re.findall(r"<td>(.*?)</td>", markup)
        assert html.unescape(name) == rec["scenario_name"], scenario_id
        assert _same(rank, rec["rank"], 0), scenario_id
        d_value, d_change = d.split("<br>")
        assert _same(d_value, rec["dissimilarity"], 3) and _same(d_change, rec["dissimilarity_vs_baseline"], 3)
        dist_value, dist_change = dist.split("<br>")
        assert _same(dist_value, rec["mean_dist_m"], 0) and _same(dist_change, rec["mean_dist_m_vs_baseline"], 0)
        gain, lose = transport.split(" / ")
        assert _same(gain, rec["pupils_gain_free_transport"], 0) and _same(lose, rec["pupils_lose_free_transport"], 0)
        schools, pupils = over.split(" / ")
        assert _same(schools, rec["schools_over_capacity"], 0) and _same(pupils, rec["pupils_over_capacity"], 0)
    assert "reference" in dict(rows)["districts_as_drawn"]  # shown, not ranked


def test_urban_development_panel_shows_the_summary_of_every_site(project):
    config, _, page = project
    summary = pd.read_parquet(config.processed(sc.DEVELOPMENT_SUMMARY_FILE))
    blocks = re.findall(r'<div class="sb-site-block" data-site-id="([^"]*)">(.*?)</table></div>', page)
    assert [b[0] for b in blocks] == summary["site_id"].tolist() == ["DEV1", "DEV2", "FAR"]
    for (site_id, markup), rec in zip(blocks, summary.to_dict("records"), strict=True):
        rank = re.search(r"\((rank (\d+)|not ranked)\)", markup)
        assert (int(rank.group(2)) if rank.group(2) else None) == (None if pd.isna(rec["rank"]) else rec["rank"])
        cells = dict((r[0], r[1:]) for r in re.findall(r"<tr><td>([^<]*)</td><td[^>]*>(.*?)</td>(?:<td>(.*?)</td>)?</tr>",
                                                       markup))
        share_before, share_after = cells["Social family share"]
        assert _same(share_before, rec["share_social_family_before"], 3), site_id
        assert _same(share_after, rec["share_social_family_after"], 3), site_id
        # the surplus above the cap: a number for an omdannelsesområde, "not relevant" where the cap does not apply
        for shown, when in zip(cells["Surplus above the cap: new dwellings of other tenures (alternative 1)"],
                               ("before", "after"), strict=True):
            if rec[f"status_{when}"] in ("omdannelse", None) or pd.isna(rec[f"status_{when}"]):
                assert _same(shown, rec[f"gap_add_dwellings_{when}"], 0), (site_id, when)
            else:
                assert shown == "not relevant", (site_id, when, shown)
        assert _same(cells["Change in jobs within 30 min by bike, mean per resident"][0], rec["mean_jobs_bike_30_change"], 0), site_id
        # the fixture gives no GTFS feed: no transit row (unknown, not a change of 0)
        assert "Change in jobs within 45 min by bus and train, mean per resident" not in cells, site_id
    # how the ranking works, read from the stage's scenarios_ranking.json (its default objective), not the job change
    assert "the largest fall in the social family housing share of the omdannelsesområder" in page
    assert "the figure the ranking uses" not in page
    # DEV1's jobs: A (1,200 residents) gains 100, B (300) none: 80 per resident, not the areas' plain mean 50
    assert summary.set_index("site_id").loc["DEV1", "mean_jobs_bike_30_change"] == pytest.approx(80.0)


def test_the_ranking_json_is_the_summaries(project):
    config, _, _ = project
    ranking = read_json(config.processed(sc.RANKING_FILE))
    schools = pd.read_parquet(config.processed(sc.SCHOOL_SUMMARY_FILE))
    records = schools.astype(object).where(schools.notna(), None).to_dict("records")
    assert ranking["school_sites"]["scenarios"] == [r for r in records if r["ranked"]]
    assert ranking["school_sites"]["reference"] == next(r for r in records if not r["ranked"])
    assert ranking["school_sites"]["best"] == next(r for r in records if r["ranked"] and r["scenario_id"] != "baseline")
    development = pd.read_parquet(config.processed(sc.DEVELOPMENT_SUMMARY_FILE))
    records = development.astype(object).where(development.notna(), None).to_dict("records")
    assert ranking["development"]["sites"] == [r for r in records if r["rank"] is not None]
    assert [{k: v for k, v in r.items() if k != "reason"} for r in ranking["development"]["not_ranked"]] == [
        r for r in records if r["rank"] is None]
    # the rank follows the summary's figure exactly: the objective on the written column gives the written rank
    ranked = development[development["rank"].notna()]
    assert (ranked.sort_values("fall_share_social_family_omdannelse", ascending=False, kind="stable")["site_id"].tolist()
            == ranked.sort_values("rank")["site_id"].tolist())


def test_the_site_comparison_shows_the_transit_change_beside_the_bike_change():
    """With a feed, each site's mean change by bus and train stands beside the bike figure, as the stage wrote it."""
    from pipeline.core.config import load_config
    from pipeline.publish.figures import Prepared
    from pipeline.publish.i18n import language
    from pipeline.publish.pages.urban_development import development_comparison

    summary = pd.DataFrame({"site_id": ["S1", "S2"], "site_name": ["North", "South"], "rank": [1, 2],
                            "area_id": ["A", None], "area_name": ["Alpha", None],
                            "share_social_family_before": [0.5, None], "share_social_family_after": [0.4, None],
                            "share_social_family_change": [-0.1, None], "status_before": ["none", None],
                            "status_after": ["none", None], "gap_add_dwellings_before": [None, None],
                            "gap_add_dwellings_after": [None, None], "mean_jobs_bike_30_change": [80.0, 0.0],
                            "mean_jobs_transit_45_change": [40.0, None]})
    config = load_config(REPO / "config" / "pipeline.yaml")
    lang = language("en")
    markup = development_comparison(Prepared(summary, False, lang, lang(config["privacy"]["suppressed_label"])), lang)
    rows = re.findall(r"<tr><td>Change in jobs within 45 min by bus and train, mean per resident</td><td colspan=2>"
                      r"([^<]*)</td></tr>", markup)
    assert rows == ["+40", "no data"]  # S2's unknown stays unknown
