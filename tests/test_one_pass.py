"""Figures built once, placed by pages (issue 21 item 3): pipeline/publish/figures.py applies the privacy rule and the
glossary's format once per table and language; pages, profiles and summaries only choose and place its texts."""

from __future__ import annotations

import ast
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from pipeline.core.config import load_config
from pipeline.publish.catalogue import person_based
from pipeline.publish.figures import Figures, Prepared, figures_of
from pipeline.publish.i18n import language
from pipeline.publish.inputs import Inputs

REPO = Path(__file__).resolve().parents[1]
PUBLISH = REPO / "pipeline" / "publish"
# The privacy rule and the formatters: only the figures module applies them for the pages (tables.py for the csv
# and gpkg it writes, classes.py for a legend's class bounds and its suppressed entry; messages.py reads the module's
# words for the translators).
PRIVACY_HELPERS = frozenset({"is_small", "min_residents", "suppress_table", "suppressed_label", "page_suppressed_label",
                             "format_column", "display_frame"})
MAY_APPLY = frozenset({"figures.py", "tables.py", "classes.py", "privacy.py", "messages.py"})


def placing_modules() -> list[Path]:
    """The modules that only place prepared figures: the pages, the profiles and the summaries."""
    return sorted([*(PUBLISH / "pages").glob("*.py"), *PUBLISH.glob("profile*.py"), *(PUBLISH / "summary").glob("*.py")])


def privacy_uses(source: str) -> list[str]:
    """The privacy helpers a module's source imports (from pipeline.publish.privacy, or the module itself)."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module == "pipeline.publish.privacy":
            found += [a.name for a in node.names if a.name in PRIVACY_HELPERS]
        elif isinstance(node, ast.ImportFrom) and node.module == "pipeline.publish":
            found += [f"privacy (module) as {a.asname or a.name}" for a in node.names if a.name == "privacy"]
        elif isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name == "pipeline.publish.privacy"]
    return found


def test_no_page_profile_or_summary_applies_privacy_or_formats_itself():
    wrong = {str(p.relative_to(REPO)): uses for p in placing_modules() if (uses := privacy_uses(p.read_text()))}
    assert wrong == {}


def test_only_the_figures_module_tables_and_legend_classes_import_the_privacy_helpers():
    importers = {p.name for p in PUBLISH.rglob("*.py") if privacy_uses(p.read_text())}
    assert importers <= MAY_APPLY
    assert "figures.py" in importers  # the check reads the imports the figures module does make


@pytest.mark.parametrize("source, expected", [
    ("from pipeline.publish.privacy import is_small, NOT_RELEVANT", ["is_small"]),
    ("from pipeline.publish.privacy import format_column as f", ["format_column"]),
    ("from pipeline.publish import privacy", ["privacy (module) as privacy"]),
    ("import pipeline.publish.privacy", ["pipeline.publish.privacy"]),
    ("def f():\n    from pipeline.publish.privacy import min_residents", ["min_residents"]),
    ("from pipeline.publish.privacy import NOT_RELEVANT, warning_for_page", []),
])
def test_the_import_check_finds_what_it_should(source, expected):
    assert privacy_uses(source) == expected


@pytest.fixture(scope="module")
def config():
    return load_config(REPO / "config" / "pipeline.yaml")


def three_areas(config, minimum: int) -> Inputs:
    """Areas A (one resident short of the minimum), B (exactly the minimum) and C (residents unknown), with a
    history of two years, school districts and a district proposal's schools."""
    shapes = [box(700000 + 1000 * i, 6170000, 700900 + 1000 * i, 6170900) for i in range(3)]
    areas = gpd.GeoDataFrame({"area_id": ["A", "B", "C"], "name": ["Alfa", "Beta", "Gamma"]}, geometry=shapes,
                             crs=config.crs)
    mix = pd.DataFrame({"area_id": ["A", "B", "C"], "residents": [minimum - 1, minimum, None],
                        "dwellings": [40.0, 50.0, 60.0], "share_outside_work_edu": [0.25, 0.3, 0.1],
                        "crime_ratio": [1.5, 2.0, 0.5], "criteria_met": [2.0, 1.0, 0.0],
                        "status": ["udsat", "none", "none"], "share_social_family": [0.9, 0.5, 0.2]})
    history = pd.DataFrame({"area_id": ["B", "B"], "year": [2023, 2024], "residents": [minimum - 1, minimum],
                            "criteria_met": [3.0, 1.0], "status": ["udsat", "none"]})
    districts = gpd.GeoDataFrame({"district_id": ["D1", "D2"], "name": ["Nord", "Syd"], "residents": [minimum - 1, minimum],
                                  "pupils": [10.0, 40.0], "capacity": [300.0, 400.0]}, geometry=shapes[:2], crs=config.crs)
    schools = pd.DataFrame({"plan_id": ["plan_01"], "school_id": ["S1"], "school_name": [None], "capacity": [300.0],
                            "pupils_before": [float(minimum - 1)], "pupils_after": [float(minimum)],
                            "group_share_before": [0.25], "group_share_after": [0.2]})
    return Inputs(frames={"housing_areas": areas, "areas_mix": mix, "areas_mix_history": history,
                          "school_districts_mix": districts, "districting_schools": schools})


def test_an_area_one_resident_short_has_every_person_based_figure_suppressed(config):
    minimum = int(config["privacy"]["min_residents"])
    lang = language("en")
    figures = Figures(three_areas(config, minimum), config, lang)
    areas = figures["areas"]
    columns = [c for c in areas.values.columns if c != "geometry"]
    texts = areas.texts(columns).set_axis(areas.values["area_id"])
    person = person_based(columns)
    assert set(person) >= {"residents", "share_outside_work_edu", "crime_ratio", "criteria_met", "status"}
    assert areas.hidden.tolist() == [True, False, True]  # A one short, C unknown: both counted as small
    for column in person:
        assert texts.at["A", column] == "suppressed", column
        assert texts.at["C", column] == "suppressed", column
        assert areas.suppressed(column).tolist() == [True, False, True]
    # the area of exactly the minimum shows its figures, in the glossary's one format (worked out by hand)
    assert texts.loc["B", ["residents", "share_outside_work_edu", "crime_ratio", "criteria_met"]].tolist() == [
        f"{minimum:,}", "30.0%", "2.00 times", "1"]
    # dwellings are not people: shown for every area, never suppressed
    assert texts["dwellings"].tolist() == ["40", "50", "60"]
    assert not areas.suppressed("dwellings").any()


def test_the_other_tables_are_suppressed_by_their_own_size(config):
    minimum = int(config["privacy"]["min_residents"])
    lang = language("da")
    figures = Figures(three_areas(config, minimum), config, lang)
    label = lang(config["privacy"]["suppressed_label"])
    assert figures.label == label and label != "suppressed"  # the page's language: "skjult" in Danish
    # a year of area B with one resident short of the minimum is suppressed, the next year not
    history = figures["history"]
    assert history.text("criteria_met").tolist() == [label, "1"]
    assert history.text("status").tolist() == [label, "ingen"]
    districts = figures["districts"]
    assert districts.text("pupils").tolist() == [label, "40"]
    assert districts.text("capacity").tolist() == ["300", "400"]  # a capacity is no person's figure
    # a proposal's school: its figures before suppressed by its pupils before, those after shown (the minimum)
    schools = figures["plan_schools"]
    assert schools.text("pupils_before").tolist() == [label] and schools.text("group_share_before").tolist() == [label]
    assert schools.text("pupils_after").tolist() == [f"{minimum:,}".replace(",", ".")]
    assert schools.text("group_share_after").tolist() == ["20,0\xa0%"]  # Danish: a no-break space before %
    assert schools.text("school_name").tolist() == ["S1"]  # a school without a name is named by its id


def test_a_row_assembled_from_no_prepared_row_is_suppressed_as_of_unknown_size(config):
    lang = language("en")
    sites = pd.DataFrame({"school_id": ["S1"], "pupils": [500.0], "utilisation": [0.8]})
    prepared = Prepared(sites, [False], lang, "suppressed")
    # a catchment with the school's figures (its ROW) and one without (today's district as drawn)
    shapes = prepared.with_rows().merge(pd.DataFrame({"school_id": ["S1", "S9"]}), on="school_id", how="right")
    texts = prepared.texts_for(shapes, ["school_id", "pupils", "utilisation"])
    assert texts.to_dict("records") == [{"school_id": "S1", "pupils": "500", "utilisation": "80.0%"},
                                        {"school_id": "S9", "pupils": "suppressed", "utilisation": "suppressed"}]
    assert prepared.hidden_for(shapes).tolist() == [False, True]


def test_the_figures_are_made_once_per_release_and_language(config):
    inputs = three_areas(config, int(config["privacy"]["min_residents"]))
    da, en = language("da"), language("en")
    assert figures_of(inputs, config, da) is figures_of(inputs, config, da)
    assert figures_of(inputs, config, en) is not figures_of(inputs, config, da)
    areas = figures_of(inputs, config, da)["areas"]
    assert areas.text("residents") is areas.text("residents")  # a column's texts are made once, then kept


# The calls that write a figure's number: kit's figure() (gone), Figures.figure, a language's number and percent.
FORMATTING_CALLS = frozenset({"figure", "number", "percent"})


def formatting_calls(source: str) -> list[str]:
    """The calls of a module's source that format a figure themselves (figure(...), x.figure(...), lang.number(...),
    lang.percent(...)), each as name:line."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
            if name in FORMATTING_CALLS:
                found.append(f"{name}:{node.lineno}")
    return found


def test_no_page_formats_a_figure_itself():
    """The pages place prepared texts (Prepared.text, .words) and the glossary's texts of settings and counts."""
    pages = sorted((PUBLISH / "pages").glob("*.py"))
    assert len(pages) >= 10
    assert {p.name: calls for p in pages if (calls := formatting_calls(p.read_text()))} == {}


@pytest.mark.parametrize("source, expected", [
    ("figure(0.7, lang, 3)", ["figure:1"]),
    ("x = 1\ny = lang.number(5, 0)", ["number:2"]),
    ("self.lang.percent(0.2, 0)", ["percent:1"]),
    ("figures.figure('pupils_moved', 3)", ["figure:1"]),
    ("prepared.text('rank')\nother_text(lang, 'count', 3)\nprepared.words('status')", []),
])
def test_the_formatting_call_check_finds_what_it_should(source, expected):
    assert formatting_calls(source) == expected


def test_the_glossary_writes_signed_changes_d_and_settings_once():
    from pipeline.publish.glossary import other_text, text

    da, en = language("da"), language("en")
    assert text(en, "dissimilarity", 0.7) == "0.700" and text(en, "d_index", 0.722) == "0.722"
    assert text(en, "dissimilarity_vs_baseline", -0.0134) == "-0.013"
    assert text(en, "dissimilarity_vs_baseline", 0.0) == "+0.000"
    assert text(en, "mean_dist_m_vs_baseline", 1234.4) == "+1,234 m" and text(da, "mean_dist_m", 980.0) == "980 m"
    assert text(da, "gap_change_per_million_dkk", -0.5) == "-0,50"
    assert text(en, "mean_jobs_bike_30_change", 20.4) == "+20" and text(en, "gap_add_dwellings_change", -12) == "-12"
    assert text(en, "share_social_family_change", -0.0123) == "-1.2 points"
    assert text(en, "mean_jobs_bike_30_change", None) == "no data"  # unknown stays unknown, never +0
    assert other_text(en, "capacity_tolerance", 0.1) == "10%" and other_text(da, "family_housing_cap", 0.4) == "40\xa0%"
    assert other_text(en, "max_walk_m", 2500) == "2,500 m" and other_text(da, "detour_factor", 1.3) == "1,3"
    assert other_text(da, "count", 1234) == "1.234" and other_text(en, "segregation_index", 0.31234) == "0.312"


def test_a_project_effect_is_not_relevant_where_the_cap_binds_neither_with_nor_without_it():
    lang = language("en")
    effect = pd.DataFrame({"rank": [1, 2, 3], "status_with": ["omdannelse", "none", None],
                           "status_without": ["none", "udsat", None], "gap_add_dwellings_change": [-12.0, -3.0, 4.0],
                           "gap_change_per_million_dkk": [-0.5, -0.1, 0.2]})
    prepared = Prepared(effect, False, lang, "suppressed")
    assert prepared.text("gap_add_dwellings_change").tolist() == ["-12", "not relevant", "+4"]  # unknown: as it is
    assert prepared.text("gap_change_per_million_dkk").tolist() == ["-0.50", "not relevant", "+0.20"]
    assert prepared.text("rank").tolist() == ["1", "2", "3"]
    assert prepared.text("mean_jobs_transit_45_change").tolist() == ["no data"] * 3  # a column the stage did not write


def test_the_rehousing_is_suppressed_by_the_receiving_areas_year(config):
    minimum = int(config["privacy"]["min_residents"])
    lang = language("en")
    inputs = three_areas(config, minimum)
    inputs.frames["plan_trajectory"] = pd.DataFrame({
        "area_id": ["B", "B"], "name": ["Beta", "Beta"], "year": [2025, 2026], "residents": [minimum - 1, minimum],
        "status": ["udsat", "parallelsamfund"], "share_social_family": [0.5, 0.45], "gap_add_dwellings": [None, None]})
    inputs.frames["plan_rehousing"] = pd.DataFrame({
        "year": [2025, 2025, 2026, 2026], "area_id": ["B", "B", "B", "Z"], "name": ["Beta", "Beta", "Beta", "Zeta"],
        "status": ["udsat", "udsat", "parallelsamfund", "none"], "onto_list_by_rehousing": [False, False, True, False],
        "residents": [10, 5, 7, 3], "origin_name": ["Alfa", "Gamma", "Alfa", "Alfa"]})
    rehousing = Figures(inputs, config, lang)["plan_rehousing"]
    # 2025: the two origins summed (15) but the year one resident short: suppressed; 2026 shown; Z has no year: hidden
    assert rehousing.values["origin_name"].tolist() == ["Alfa, Gamma", "Alfa", "Alfa"]
    assert rehousing.text("residents").tolist() == ["suppressed", "7", "suppressed"]
    assert rehousing.words("status").tolist() == ["suppressed", "parallelsamfund", "suppressed"]


def test_a_profiles_plan_rows_are_suppressed_by_the_years_residents_as_on_the_plan_page(config):
    # B has the minimum today; its projected 2025 is one resident short: that year's rehousing and status are the
    # suppressed label on the profile as on the plan page, 2026 (the minimum) is shown.
    from pipeline.publish.profile_plan import plan_section
    from pipeline.publish.profile_shared import Shared

    minimum = int(config["privacy"]["min_residents"])
    lang = language("en")
    inputs = three_areas(config, minimum)
    inputs.frames["plan_trajectory"] = pd.DataFrame({
        "area_id": ["B", "B"], "name": ["Beta", "Beta"], "year": [2025, 2026], "residents": [minimum - 1, minimum],
        "status": ["udsat", "parallelsamfund"], "share_social_family": [0.5, 0.45], "projects": ["P1", None],
        "rehoused_in": [12.0, 7.0], "rehoused_out": [0.0, 3.0]})
    figures = Figures(inputs, config, lang)
    shared = Shared(config, lang, figures.label, inputs, figures)
    rows = plan_section("B", shared)["rows"]
    assert [r["year"] for r in rows] == ["2025", "2026"]
    assert [r["moved_in"] for r in rows] == ["suppressed", "7"]
    assert [r["moved_out"] for r in rows] == ["suppressed", "3"]
    assert rows[0]["status"] == "suppressed" and rows[1]["status"] != "suppressed"
    plan_years = figures["plan_years"]
    assert plan_years.text("rehoused_in").tolist() == ["suppressed", "7"]  # the plan page's texts, the same
