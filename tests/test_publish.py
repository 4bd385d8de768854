"""Stage publish: areas tables, privacy, escaping, offline pages, missing inputs, atomic release and rollback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from browser_util import EVIL, make_project

from pipeline.core.errors import PipelineError
from pipeline.core.io import write_json
from pipeline.core.log import take_warnings
from pipeline.core.stages import MAP_PAGES
from pipeline.publish import build_release, run
from pipeline.publish.assets import PAGE_CSS, PAGE_JS
from pipeline.publish.classes import classify
from pipeline.publish.i18n import language
from pipeline.publish.maps import external_resources, safe_json
from pipeline.publish.privacy import format_column
from pipeline.publish.release import release, rollback


@pytest.fixture
def project(tmp_path):
    return make_project(tmp_path / "project")


def test_tables_join_mix_and_access_and_keep_values_in_parquet(project):
    run(project)
    table = gpd.read_parquet(project.processed("areas.parquet"))
    assert table["area_id"].tolist() == ["A1", "A2", "A3", "A4"]
    assert table.crs.to_epsg() == 25832
    # a mix column and an access column side by side, values as written in the fixture
    a1 = table.set_index("area_id").loc["A1"]
    assert a1["share_social_family"] == pytest.approx(0.917) and a1["jobs_bike_30"] == 15000
    assert a1["gap_add_dwellings"] == 1293 and a1["distance_method"] == "network"
    # parquet keeps the small area's values for analysts
    a4 = table.set_index("area_id").loc["A4"]
    assert a4["residents"] == 50 and a4["share_non_western"] == pytest.approx(0.4321)


def test_csv_and_gpkg_suppress_person_figures_of_the_50_resident_area(project):
    run(project)
    csv = pd.read_csv(project.processed("areas.csv"), dtype=str, keep_default_na=False).set_index("area_id")
    a4, a1 = csv.loc["A4"], csv.loc["A1"]
    for column in ("residents", "share_non_western", "share_outside_work_edu", "criteria_met", "status",
                   "jobs_bike_30", "green_dist_m", "lq_non_western"):
        assert a4[column] == "suppressed", column
        assert a1[column] != "suppressed"
    assert a1["share_non_western"] == "0.7" and a1["residents"] == "2500"
    # dwelling-based and polygon-based figures are not person-based: shown
    assert a4["dwellings"] == "20" and a4["share_owner"] == "0.5" and a4["canopy_share"] == "0.05"
    assert a4["name"] == EVIL  # CSV is data, not HTML: the name is kept verbatim
    assert (a4["suppressed"], a1["suppressed"]) == ("True", "False")
    gpkg = gpd.read_file(project.processed("areas.gpkg")).set_index("area_id")
    assert pd.isna(gpkg.loc["A4", "share_non_western"]) and gpkg.loc["A4", "dwellings"] == 20
    assert gpkg.loc["A1", "share_non_western"] == pytest.approx(0.7)


def test_pages_are_offline_and_escape_the_injected_name(project):
    run(project)
    for name in MAP_PAGES:
        page = (project.maps_dir / name).read_text(encoding="utf-8")
        assert external_resources(page) == [], name
        assert "cdn" not in page.lower() and "bootstrap" not in page.lower(), name
        assert EVIL not in page and "<b>not bold</b>" not in page, name
        assert '<script src="assets/leaflet/leaflet.js">' in page, name
    social = (project.maps_dir / "social-balance.html").read_text(encoding="utf-8")
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in social  # embedded as escaped JSON, drawn with textContent
    assert "&lt;b&gt;not bold&lt;/b&gt;" in social  # the data note, HTML-escaped in the panel
    assert "indicative, computed from supplied data" in social
    assert (project.maps_dir / "assets/leaflet/leaflet.js").stat().st_size > 100_000
    for _, href in PAGE_JS + PAGE_CSS:  # every script and stylesheet a page loads was copied beside it
        assert (project.maps_dir / href).stat().st_size > 0, href


def test_tile_url_is_the_only_network_address(tmp_path):
    config = make_project(tmp_path / "p", {"publish": {"tiles": "OpenStreetMap"}})
    run(config)
    page = (config.maps_dir / "index.html").read_text(encoding="utf-8")
    assert external_resources(page) == []
    assert "https://tile.openstreetmap.org/{z}/{x}/{y}.png" in page


def test_safe_json_cannot_close_the_script():
    text = safe_json({"name": "</script><script>alert(1)</script>&"})
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"name": "</script><script>alert(1)</script>&"}  # same value after decoding


def test_missing_and_out_of_date_inputs_show_a_notice(project):
    project.processed("areas_access.parquet").unlink()
    write_json({"key": "k", "outputs": {}, "warnings": ["a parcel lay outside every area"]},
               project.processed(".stamps/ingest.json"))
    # scenarios from another run: a school id the current schools and candidate sites do not have
    sites = pd.read_parquet(project.processed("scenarios_school_sites.parquet"))
    sites.loc[4, "school_id"] = "S9"
    sites.to_parquet(project.processed("scenarios_school_sites.parquet"))
    run(project)
    access = (project.maps_dir / "accessibility.html").read_text(encoding="utf-8")
    assert "not computed yet" in access and "areas_access.parquet" in access
    school = (project.maps_dir / "school-sites.html").read_text(encoding="utf-8")
    assert "out of date: the scenarios stage" in school and "Scenario: Ny skole Nord" not in school
    assert "id='sb-comparison'" not in school  # the summary of the same run is left out with its table
    index = (project.maps_dir / "index.html").read_text(encoding="utf-8")
    assert "a parcel lay outside every area" in index  # the run's warnings on the landing page
    csv = pd.read_csv(project.processed("areas.csv"))
    assert "jobs_bike_30" not in csv.columns and "share_owner" in csv.columns


def test_classes_follow_fisher_jenks_and_grey_out_suppressed(project):
    values = pd.Series([1, 2, 3, 10, 11, 12, 30, 31, 50, 99.0])
    hidden = pd.Series([False] * 9 + [True])
    colours, entries = classify(values, hidden, project, "jobs_walk_15")
    # five obvious clusters {1} {2,3} {10,11,12} {30,31} {50}: one colour each, the hidden value grey
    groups = colours.iloc[:9].tolist()
    assert groups[1] == groups[2] and groups[3] == groups[4] == groups[5] and groups[6] == groups[7]
    assert len(set(groups)) == 5 and colours.iloc[9] == "#969696"
    assert [label for _, label in entries] == ["1", "2 – 3", "10 – 12", "30 – 31", "50",
                                               "suppressed (fewer than 100 residents, or residents unknown)"]


def test_formats_for_planners():
    en, da = language("en"), language("da")
    assert format_column(pd.Series([0.4567, None]), "share_owner", en).tolist() == ["45.7%", "no data"]
    assert format_column(pd.Series([1234.4]), "green_dist_m", en).tolist() == ["1,234 m"]
    assert format_column(pd.Series([True, False]), "c1_met", en).tolist() == ["yes", "no"]
    # Danish: comma decimals, dot thousands, a no-break space before %; words from the catalogue
    assert format_column(pd.Series([0.4567, None]), "share_owner", da).tolist() == ["45,7\u00a0%", "ingen data"]
    assert format_column(pd.Series([1234.4]), "green_dist_m", da).tolist() == ["1.234 m"]
    assert format_column(pd.Series([True, False]), "c1_met", da).tolist() == ["ja", "nej"]
    assert format_column(pd.Series([-0.0123]), "share_social_family_change", da).tolist() == ["-1,2 procentpoint"]


def test_page_over_budget_warns(tmp_path):
    config = make_project(tmp_path / "p", {"publish": {"page_size_budget_bytes": 1000}})
    take_warnings()
    build_release(config, tmp_path / "out")
    warned = [w for w in take_warnings() if "over the budget" in w]
    assert len(warned) == len(MAP_PAGES)


def _release_name(config) -> str:
    return os.readlink(config.resolve("published/current"))


def test_release_swaps_and_rollback_restores(project):
    first = run(project)
    assert _release_name(project) == "releases/run-1"
    assert project.maps_dir.is_symlink() and first[0].is_symlink()
    second = project.with_overrides({"run": {"id": "run-2"}})
    run(second)
    root = project.resolve("published")
    assert os.readlink(root / "current") == "releases/run-2" and os.readlink(root / "previous") == "releases/run-1"
    assert (project.maps_dir / "index.html").read_text().count("run-2") >= 1
    back = rollback(project)
    assert back.name == "run-1" and os.readlink(root / "previous") == "releases/run-2"
    assert "run-1" in (project.maps_dir / "index.html").read_text()
    run(project.with_overrides({"run": {"id": "run-3"}}))
    # keep_previous 1: current run-3, previous run-1 (what was current), run-2 deleted
    assert sorted(p.name for p in (root / "releases").iterdir()) == ["run-1", "run-3"]
    assert os.readlink(root / "previous") == "releases/run-1"


def test_failed_build_changes_nothing_and_no_previous_refuses_rollback(project):
    with pytest.raises(PipelineError, match="no previous release"):
        rollback(project)
    run(project)

    def broken(folder: Path) -> None:
        (folder / "maps").mkdir()
        (folder / "maps" / "index.html").write_text("half")
        raise ValueError("boom")

    with pytest.raises(ValueError):
        release(project.with_overrides({"run": {"id": "run-2"}}), broken)
    assert _release_name(project) == "releases/run-1"
    assert "half" not in (project.maps_dir / "index.html").read_text()
    assert [p.name for p in project.resolve("published/releases").iterdir()] == ["run-1"]


def test_release_is_intact_after_sigkill(project):
    run(project)
    before = (project.maps_dir / "index.html").read_text()
    script = (
        "import sys, time; sys.path.insert(0, 'tests')\n"
        "from pathlib import Path\n"
        "from pipeline.core.config import load_config\n"
        "from pipeline.publish.release import release\n"
        f"config = load_config({str(project.path)!r}, overrides={{'run': {{'id': 'run-2'}}}})\n"
        "def build(folder):\n"
        "    (folder / 'maps').mkdir(); (folder / 'maps' / 'index.html').write_text('partial')\n"
        "    print('building', flush=True); time.sleep(60)\n"
        "release(config, build)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=Path(__file__).parents[1], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "building"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=10)
    assert _release_name(project) == "releases/run-1"
    assert (project.maps_dir / "index.html").read_text() == before
    assert pd.read_csv(project.processed("areas.csv")).shape[0] == 4
    # the next release removes the killed run's staging folder
    time.sleep(0.01)
    run(project.with_overrides({"run": {"id": "run-3"}}))
    names = sorted(p.name for p in project.resolve("published/releases").iterdir())
    assert names == ["run-1", "run-3"] and not any(n.startswith(".staging") for n in names)


def test_maps_folder_with_foreign_files_is_not_replaced(project):
    (project.maps_dir / "notes.txt").write_text("mine")
    with pytest.raises(PipelineError, match="notes.txt"):
        run(project)
    assert (project.maps_dir / "notes.txt").read_text() == "mine"


# --- privacy by column (issue 11) --------------------------------------------------------------------------

def embedded_features(html: str) -> list[dict]:
    """The properties of every feature of the data a page embeds (var sb_data... = {...})."""
    import re

    decoder = json.JSONDecoder()
    features = []
    for match in re.finditer(r"var (sb_data\w*) = (sbData\()?", html):
        payload, _ = decoder.raw_decode(html, match.end())
        # compact layers list each feature's values in the order of `keys`, as sbData rebuilds them in the browser
        keys = payload.get("keys")
        features += [dict(zip(keys, f["properties"], strict=True)) if keys is not None else f["properties"]
                     for f in payload["geojson"]["features"]]
    return features


def _number(text: str) -> float:
    return float(str(text).replace(",", "").split()[0])


def test_every_published_column_is_classified_and_no_small_area_figure_leaks(project):
    from pipeline.publish.catalogue import SUPPRESSED_COLOUR, indicator, is_classified, person_based

    run(project)
    label, minimum = "suppressed", 100
    csv = pd.read_csv(project.processed("areas.csv"), dtype=str, keep_default_na=False).set_index("area_id", drop=False)
    gpkg = gpd.read_file(project.processed("areas.gpkg")).set_index("area_id", drop=False)
    columns = {"areas.csv": set(csv.columns), "areas.gpkg": set(gpkg.columns)}
    pages = sorted(project.maps_dir.rglob("*.html"))
    assert len(pages) >= 5
    features = {}
    for page in pages:
        features[page.name] = embedded_features(page.read_text(encoding="utf-8"))
        keys = {k for f in features[page.name] for k in f}
        columns[page.name] = {k[2:] for k in keys if k.startswith("f_")} | {k[5:] for k in keys if k.startswith("fill_")}
    unclassified = {name: sorted(c for c in found if c and not is_classified(c)) for name, found in columns.items()}
    assert all(not found for found in unclassified.values()), unclassified
    assert sum(len(f) for f in features.values()) > 10  # the pages do embed data (the test can fail)

    # the tables: every person-based column of the 50-resident area A4 is suppressed, the others are shown
    person = person_based(csv.columns)
    assert {"residents", "share_non_western", "status", "lq_non_western"} <= set(person)
    for column in person:
        assert csv.loc["A4", column] == label, column
        assert pd.isna(gpkg.loc["A4", column]), column
    assert csv.loc["A1", "residents"] != label

    # the pages: a feature showing a person-based number is an area, district or school of >= 100 people,
    # and a suppressed figure is drawn in the suppressed colour
    # (a feature without residents or pupils of its own, such as a development row, is the area it names)
    area_residents = gpd.read_parquet(project.processed("areas.parquet")).set_index("name")["residents"].to_dict()
    shown_person_figures = 0
    for page, found in features.items():
        for properties in found:
            person_keys = [k for k in properties if k.startswith("f_") and indicator(k[2:]).person]
            shown = [k for k in person_keys if properties[k] not in (label, "no data")]
            if shown:
                size = properties.get("f_residents", properties.get("f_pupils", area_residents.get(properties.get("name"))))
                assert size not in (None, label, "no data") and _number(size) >= minimum, (page, shown, properties)
                shown_person_figures += len(shown)
            for key in person_keys:
                fill = properties.get(f"fill_{key[2:]}")
                if properties[key] == label and fill is not None:
                    assert fill == SUPPRESSED_COLOUR, (page, key)
    assert shown_person_figures > 0


def test_an_unclassified_column_stops_publishing_and_says_where_to_classify_it(project):
    from pipeline.publish.catalogue import UnclassifiedColumn

    mix = gpd.read_parquet(project.processed("areas_mix.parquet"))
    mix.assign(share_of_something_new=[0.5] * len(mix)).to_parquet(project.processed("areas_mix.parquet"))
    before = sorted(p.name for p in project.maps_dir.iterdir())
    with pytest.raises(UnclassifiedColumn, match=r"'share_of_something_new'.*pipeline/publish/catalogue\.py"):
        run(project)
    assert sorted(p.name for p in project.maps_dir.iterdir()) == before


def test_every_person_count_of_the_parcels_is_person_based_and_dwellings_are_not():
    from pipeline.ingest import PERSON_COUNTS, TENURE_COLUMNS
    from pipeline.mix import DISTRICT_FIGURES, area_columns
    from pipeline.publish.catalogue import indicator

    for column in (*PERSON_COUNTS, "residents", "gross_income_sum_15_64", "pupils", "mean_income_15_64_dkk"):
        assert indicator(column).person, column
    for column in (*TENURE_COLUMNS, "dwellings", "dwellings_other", "parcels", "capacity", "gap_add_dwellings"):
        assert not indicator(column).person, column
    groups = {"non_western": {"group": "non_western", "total": "residents"}}
    for column in (*area_columns(["social_family", "owner"], groups), *DISTRICT_FIGURES):  # every column mix writes
        indicator(column)
