"""The district proposals on the pages (CONTRACT 6b, issue 25 item 4): the school-sites page's plan layers and each
school's mix before and after, and the profiles naming the plans that move an area's pupils.

On the hand grid of tests/test_districting.py (nine street blocks of 10 pupils, schools S1 "Ølby Skole" in block 0
and S2 "Bakke Skole" in block 8, capacities 40 and 60; group pupils 4 4 0 / 4 2 0 / 1 2 2, blocks 0..8 row by row,
living in area A, the other pupils in area B), worked out by hand in tests/test_districting_outputs.py:
today S1 = {0,1,3,4}: 40 pupils, 14 of the group (35.0 %); S2 = {2,5,6,7,8}: 50, 5 (10.0 %). The best proposal
(Proposal 1, plan_01) is S1 = {0,1,2,5}: blocks 2 and 5 (20 pupils of B) move from S2 to S1, blocks 3 and 4 (6 of
A, 14 of B) from S1 to S2, 40 pupils in all; after it S1 has 40 pupils, 8 of the group (20.0 %), S2 50, 11 (22.0 %).
The stage runs once; publish builds the page and the profiles from its files (English, tiles off).
"""

from __future__ import annotations

import json
import re
import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import yaml
from browser_util import chromium
from test_districting import CRS, X0, Y0, _write_processed

from pipeline import scenarios as sc
from pipeline.core.config import load_config
from pipeline.publish.assets import copy_assets
from pipeline.publish.inputs import load_inputs
from pipeline.publish.pages import build_school_sites
from pipeline.publish.pages.district_plans import (
    MAX_PLAN_VERTICES,
    SCHOOL_COLOURS,
    school_colours,
    within_budget,
)
from pipeline.publish.profiles import build_profiles

CENTRES = [(X0 + 50 + 100 * (i % 3), Y0 + 50 + 100 * (i // 3)) for i in range(9)]
HEADERS = ["School", "Capacity", "Pupils today → Pupils in the plan", "Group share today → Group share in the plan"]
# by hand (the module's docstring): school, capacity, pupils today -> in the plan, group share today -> in the plan
PROPOSAL_1 = {"S1": ["Ølby Skole", "40", "40 → 40", "35.0% → 20.0%"],
              "S2": ["Bakke Skole", "60", "50 → 50", "10.0% → 22.0%"]}


def _config(root, **more):
    """The hand grid's config: the chain short, the pages in English without tiles, privacy as given."""
    (root / "config.yaml").write_text(yaml.safe_dump({
        "root": ".", "language": "en", "districting": {"chain_steps": 60, **more.pop("districting", {})},
        "publish": {"tiles": "none"}, **more}), encoding="utf-8")
    return load_config(root / "config.yaml")


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    """The stage's districting files on the hand grid (privacy.min_residents 10: every school shown)."""
    root = tmp_path_factory.mktemp("district-plans")
    config = _config(root, privacy={"min_residents": 10})
    _write_processed(config)
    sc.run(config)
    summary = pd.read_parquet(config.processed("districting_summary.parquet")).set_index("plan_id")
    # the premise: plan_01 is the hand optimum (proved by the exact method)
    assert summary.loc["plan_01", "d_index"] == pytest.approx(32 / 71 - 8 / 19)
    return root, config


def _publish(config):
    """The school-sites page and the profiles built from the stage's files; the page's text."""
    inputs = load_inputs(config)
    config.maps_dir.mkdir(parents=True, exist_ok=True)
    page = build_school_sites(inputs, config, config.maps_dir).read_text(encoding="utf-8")
    build_profiles(inputs, config, config.maps_dir)
    return page


def _plan_table(page: str, plan_id: str) -> tuple[str, list[str], dict[str, list[str]]]:
    """One proposal's block of the panel: its pupils changing school, the headers, each school's cells."""
    block = re.search(rf'<div class="sb-plan-block" data-plan-id="{plan_id}">(.*?)</div>', page, re.S).group(1)
    moved = re.search(r'<b class="sb-plan-moved">(.*?)</b>', block).group(1)
    headers = re.findall(r"<th>(.*?)</th>", block)
    rows = {school: [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td>(.*?)</td>", cells)]
            for school, cells in re.findall(r'<tr data-school-id="([^"]+)">(.*?)</tr>', block)}
    return moved, headers, rows


def test_the_panel_shows_each_schools_mix_before_and_after_by_hand(grid):
    _, config = grid
    page = _publish(config)
    moved, headers, rows = _plan_table(page, "plan_01")
    assert headers == HEADERS
    assert rows == PROPOSAL_1
    assert moved == "40"  # blocks 2, 3, 4, 5 of 10 pupils each
    assert "Each school&#39;s pupils before and after the proposals" in page
    # today's districts are no proposal: no table of their own (their figures are every table's "today")
    assert 'data-plan-id="current"' not in page.split("sb-plan-block", 1)[1]


def test_a_school_with_fewer_pupils_than_the_privacy_minimum_is_suppressed(grid):
    root, _ = grid
    # the same files read under min_residents 45: S1 (40 pupils before and after) is suppressed, S2 (50) is not;
    # its capacity is no count of people
    config = _config(root, privacy={"min_residents": 45})
    _, _, rows = _plan_table(_publish(config), "plan_01")
    assert rows == {"S1": ["Ølby Skole", "40", "suppressed → suppressed", "suppressed → suppressed"],
                    "S2": PROPOSAL_1["S2"]}


def _layers(page: str) -> dict[str, dict]:
    """Each registered layer's name -> its embedded data (keys and features' properties as dicts)."""
    data = {}
    for name, payload in re.findall(r"^\s*var (sb_data_\w+) = sbData\((.*)\);\s*$", page, re.M):
        body = json.loads(payload)
        keys = body["keys"]
        for feature in body["geojson"]["features"]:
            feature["properties"] = dict(zip(keys, feature["properties"], strict=True))
        data[name] = body
    tables = re.findall(r'sbTableLayer\(\w+, \w+, (sb_data_\w+), ("(?:[^"\\]|\\.)*")', page)
    return {json.loads(name): data[var] for var, name in tables}


def _containing(feature: dict, points: list[tuple[float, float]]) -> list[int]:
    """Which of the points (working CRS) lie in the feature's shape (drawn in EPSG:4326)."""
    shape = gpd.GeoSeries([shapely.geometry.shape(feature["geometry"])], crs="EPSG:4326").to_crs(CRS).iloc[0]
    return [i for i, (x, y) in enumerate(points) if shape.contains(shapely.Point(x, y))]


def test_the_plan_layers_draw_each_plans_districts_and_the_blocks_changing_school(grid):
    _, config = grid
    layers = _layers(_publish(config))
    summary = pd.read_parquet(config.processed("districting_summary.parquet"))
    proposals = summary.loc[summary["proposal"].fillna(False).astype(bool) & summary["site_id"].isna(), "plan_id"]
    shown = ["Today's districts"] + [f"Proposal {i}" for i in range(1, min(3, len(proposals)) + 1)]
    assert [n for n in layers if n.startswith("Districts by school: ")] == [f"Districts by school: {s}" for s in shown]
    today = {f["properties"]["name"]: f for f in layers["Districts by school: Today's districts"]["geojson"]["features"]}
    assert sorted(today) == ["Bakke Skole", "Ølby Skole"]
    assert _containing(today["Ølby Skole"], CENTRES) == [0, 1, 3, 4]
    assert _containing(today["Bakke Skole"], CENTRES) == [2, 5, 6, 7, 8]
    assert today["Ølby Skole"]["properties"]["f_group_share_before"] == "35.0%"
    best = {f["properties"]["name"]: f for f in layers["Districts by school: Proposal 1"]["geojson"]["features"]}
    assert _containing(best["Ølby Skole"], CENTRES) == [0, 1, 2, 5]
    assert _containing(best["Bakke Skole"], CENTRES) == [3, 4, 6, 7, 8]
    s1, s2 = best["Ølby Skole"]["properties"], best["Bakke Skole"]["properties"]
    assert (s1["f_pupils_after"], s1["f_group_share_after"], s1["f_group_share_before"]) == ("40", "20.0%", "35.0%")
    assert (s2["f_pupils_after"], s2["f_group_share_after"], s2["f_capacity"]) == ("50", "22.0%", "60")
    assert s1["fill"] != s2["fill"]  # each school its colour, the same in every plan
    assert today["Ølby Skole"]["properties"]["fill"] == s1["fill"]
    # the blocks changing school, by pair of schools: 3 and 4 to Bakke Skole, 2 and 5 to Ølby Skole, 20 pupils each
    moved = {f["properties"]["name"]: f for f in layers["Proposal 1: where pupils change school"]["geojson"]["features"]}
    assert sorted(moved) == ["From Bakke Skole to Ølby Skole", "From Ølby Skole to Bakke Skole"]
    assert _containing(moved["From Ølby Skole to Bakke Skole"], CENTRES) == [3, 4]
    assert _containing(moved["From Bakke Skole to Ølby Skole"], CENTRES) == [2, 5]
    assert moved["From Ølby Skole to Bakke Skole"]["properties"]["f_pupils"] == "20"
    assert moved["From Ølby Skole to Bakke Skole"]["properties"]["f_group_pupils"] == "6"
    assert "Today's districts: where pupils change school" not in layers  # nobody moves today


def _profile_rows(config, area: str) -> list[list[str]] | None:
    """The profile's district proposal rows (plan, moves, pupils), [] when it says none does, None when silent."""
    page = (config.maps_dir / "areas" / f"{area}.html").read_text(encoding="utf-8")
    if 'id="pf-districting"' not in page:
        return None
    table = re.search(r'<table id="pf-districting-table".*?</table>', page, re.S)
    if table is None:
        assert "None of the district proposals on the school-sites page moves pupils of the area" in page
        return []
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", table.group(0))
            if "<td" in row]


def test_a_profile_names_the_plans_that_move_its_pupils(grid):
    _, config = grid
    _publish(config)
    # Proposal 1 moves 6 pupils of A (blocks 3 and 4) to Bakke Skole; of B 20 to Ølby Skole and 14 to Bakke Skole
    assert _profile_rows(config, "A")[0] == ["Proposal 1", "Ølby Skole → Bakke Skole (6)", "6"]
    assert _profile_rows(config, "B")[0] == [
        "Proposal 1", "Bakke Skole → Ølby Skole (20); Ølby Skole → Bakke Skole (14)", "34"]
    # every row is a plan shown on the page, with the pupils the stage's changes give the area
    changes = pd.read_parquet(config.processed("districting_changes.parquet"))
    for area in ("A", "B"):
        rows = _profile_rows(config, area)
        plans = [f"Proposal {int(p.removeprefix('plan_'))}" for p in
                 changes.loc[changes["area_id"] == area, "plan_id"].drop_duplicates() if int(p.removeprefix("plan_")) <= 3]
        assert [r[0] for r in rows] == plans
        totals = changes[changes["area_id"] == area].groupby("plan_id")["pupils"].sum()
        assert [r[2] for r in rows] == [f"{totals[f'plan_{int(r[0].split()[1]):02d}']:.0f}" for r in rows]


def test_a_profile_says_no_plan_moves_its_pupils_and_nothing_without_proposals(grid, tmp_path):
    root, config = grid
    # area A's pupils moved by no plan: its rows taken out of the stage's changes (a copy of the project)
    copy = tmp_path / "copy"
    (copy / "data").mkdir(parents=True)
    shutil.copytree(config.processed_dir, copy / "data" / "processed")
    other = _config(copy, privacy={"min_residents": 10})
    changes = pd.read_parquet(other.processed("districting_changes.parquet"))
    changes[changes["area_id"] != "A"].to_parquet(other.processed("districting_changes.parquet"))
    _publish(other)
    assert _profile_rows(other, "A") == []
    assert _profile_rows(other, "B")[0][0] == "Proposal 1"
    # districting switched off: the stage writes its tables empty, and neither page nor profile speaks of proposals
    off = tmp_path / "off"
    off.mkdir()
    config_off = _config(off, districting={"enabled": False}, privacy={"min_residents": 10})
    _write_processed(config_off)
    sc.run(config_off)
    page = _publish(config_off)
    assert _profile_rows(config_off, "A") is None and _profile_rows(config_off, "B") is None
    assert "Districts by school" not in page and "sb-plan-block" not in page


@pytest.mark.browser
def test_the_plan_layers_are_themes_with_a_legend_of_schools(grid):
    _, config = grid
    _publish(config)
    copy_assets(config.maps_dir)
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1300, "height": 900})
        errors = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((config.maps_dir / "school-sites.html").as_uri())
        page.wait_for_load_state("load")
        radio = page.get_by_label("Districts by school: Proposal 1", exact=True)
        assert radio.get_attribute("type") == "radio"  # one theme on the map at a time
        radio.check()
        legend = page.locator(".sb-legend").all_inner_texts()
        assert len(legend) == 1
        assert legend[0].split("\n") == ["Districts by school: Proposal 1", "Bakke Skole", "Ølby Skole",
                                         "Changes school in this plan"]
        page.get_by_label("Districts by school: Today's districts", exact=True).check()
        assert not radio.is_checked()
        assert page.locator(".sb-legend").all_inner_texts()[0].split("\n") == [
            "Districts by school: Today's districts", "Bakke Skole", "Ølby Skole"]
        assert errors == []
        page.close()


def test_districts_over_the_vertex_budget_are_simplified_as_a_coverage_without_gaps(grid):
    _, config = grid
    # two districts of a 1 km square sharing a zigzag boundary of 60,001 vertices (each drawn with it: over
    # MAX_PLAN_VERTICES in all); simplified, they fit, and still tile the square: no gap, no overlap
    y = np.linspace(0.0, 1000.0, 60_001)
    zigzag = np.column_stack([500.0 + np.where(np.arange(len(y)) % 2, 3.0, -3.0), y])
    west = shapely.Polygon([(0.0, 1000.0), (0.0, 0.0), *zigzag])
    east = shapely.Polygon([(1000.0, 0.0), (1000.0, 1000.0), *zigzag[::-1]])
    frame = gpd.GeoDataFrame({"plan_id": ["plan_01", "plan_01"], "school_id": ["S1", "S2"]},
                             geometry=[west, east], crs=CRS)
    assert shapely.get_num_coordinates(frame.geometry.to_numpy()).sum() > MAX_PLAN_VERTICES
    fitted = within_budget(frame, config).geometry.to_numpy()
    assert shapely.get_num_coordinates(fitted).sum() <= MAX_PLAN_VERTICES
    assert shapely.area(shapely.union_all(fitted)) == pytest.approx(1e6, abs=1e-6)
    assert shapely.area(shapely.intersection(*fitted)) == pytest.approx(0.0, abs=1e-6)
    assert within_budget(frame.iloc[:1], config).geometry.iloc[0].equals(west)  # within the budget: as it was


@pytest.mark.parametrize("count", [12, 14])
def test_each_school_has_its_colour_and_neighbours_differ_when_colours_run_short(count):
    # districts of `count` schools in a row, each touching the next: up to twelve schools each has a colour of its
    # own; beyond, every colour is used and colours repeat, never between neighbours
    strip = gpd.GeoDataFrame({"plan_id": "plan_01", "school_id": [f"S{i:02d}" for i in range(count)]},
                             geometry=[shapely.box(100 * i, 0, 100 * (i + 1), 100) for i in range(count)], crs=CRS)
    colours = school_colours(strip)
    assert set(colours) == set(strip["school_id"]) and set(colours.values()) <= set(SCHOOL_COLOURS)
    assert len(set(colours.values())) == min(count, len(SCHOOL_COLOURS))
    order = [colours[s] for s in strip["school_id"]]
    assert all(a != b for a, b in zip(order, order[1:], strict=False))
