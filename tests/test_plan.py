"""The plan over time (CONTRACT 6a): trajectory, rehousing and project effects against hand-worked figures,
and the plan_projects layer through the command line on real files (bad rows: exit 2 naming the project)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import write_config, write_tiny_sources

from pipeline.cli import main
from pipeline.core.config import DEFAULTS_FILE
from pipeline.scenarios.plan_tables import (
    check_projects,
    plan_tables,
    reference_composition,
    residents_per_dwelling,
)
from pipeline.scenarios.plan_trajectory import PlanProblem, Settings, largest_remainder

KINDS = ["social_family", "social_other", "owner", "private_rental", "cooperative", "other"]
COUNTS = ["residents_18_64", "outside_work_edu_18_64", "residents_30_59", "basic_edu_only_30_59", "residents_18plus",
          "convicted_18plus", "taxpayers_15_64", "non_western", "children_6_16", "gross_income_sum_15_64"]


def mix_config():
    return {**yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))["mix"], "tenures": KINDS[:-1]}


def area(area_id, name, status, years_listed=None, area_type=None, **values):
    row = {"area_id": area_id, "name": name, "status": status, "years_listed": years_listed, "area_type": area_type}
    for k in KINDS:
        row[f"dwellings_{k}"] = values.pop(f"dw_{k}", 0)
    row["residents"] = values.pop("residents")
    for c in COUNTS:
        row[c] = values.pop(c, 0)
    assert not values, values
    return row


def tastrup_baseline():
    """T: 917 of 917 social family dwellings, 1,834 residents, omdannelse (c1, c3, c4 met, 60 % non-Western);
    R1 and R2 receive (300 and 400 social family dwellings); N a district of owner-occupied homes."""
    rows = [
        area("T", "Tåstrupgård-like", "omdannelse", years_listed=4, dw_social_family=917, residents=1834,
             residents_18_64=1000, outside_work_edu_18_64=500, residents_30_59=600, basic_edu_only_30_59=400,
             residents_18plus=1200, convicted_18plus=12, taxpayers_15_64=800, gross_income_sum_15_64=800 * 208000,
             non_western=1100, children_6_16=400),
        area("R1", "Receiver one", "none", dw_social_family=300, dw_owner=100, residents=800, residents_18_64=500,
             outside_work_edu_18_64=100, residents_30_59=300, basic_edu_only_30_59=60, residents_18plus=600,
             convicted_18plus=3, taxpayers_15_64=450, gross_income_sum_15_64=450 * 400000, non_western=100,
             children_6_16=150),
        area("R2", "Receiver two", "none", dw_social_family=400, residents=900, residents_18_64=550,
             outside_work_edu_18_64=110, residents_30_59=350, basic_edu_only_30_59=70, residents_18plus=700,
             convicted_18plus=4, taxpayers_15_64=500, gross_income_sum_15_64=500 * 400000, non_western=90,
             children_6_16=170),
        area("N", "Villas", "none", dw_owner=500, residents=1200, residents_18_64=700, outside_work_edu_18_64=70,
             residents_30_59=500, basic_edu_only_30_59=50, residents_18plus=900, convicted_18plus=1,
             taxpayers_15_64=680, gross_income_sum_15_64=680 * 500000, non_western=60, children_6_16=250),
    ]
    return pd.DataFrame(rows)


def projects(rows):
    out = pd.DataFrame(rows)
    for k in KINDS:
        column = f"dwellings_change_{k}"
        out[column] = out[column].fillna(0).astype(int) if column in out.columns else 0
    return out


def tastrup_projects():
    return projects([
        {"project_id": "P1", "name": "New owner homes", "plan": "Tåstrup", "year": 2025, "area_id": "T",
         "dwellings_change_owner": 200, "jobs_change": 0, "cost_dkk": 400e6},
        {"project_id": "P2", "name": "Conversion to private rental", "plan": "Tåstrup", "year": 2026, "area_id": "T",
         "dwellings_change_social_family": -150, "dwellings_change_private_rental": 150, "cost_dkk": 150e6},
        {"project_id": "P3", "name": "Demolition", "plan": "Tåstrup", "year": 2027, "area_id": "T",
         "dwellings_change_social_family": -200, "cost_dkk": 100e6},
    ])


PER_DWELLING = {k: 2.5 if k == "owner" else 2.0 for k in KINDS}


def settings_for(baseline, horizon=2028, **kw):
    return Settings(2024, horizon, KINDS, COUNTS, PER_DWELLING, reference_composition(baseline, COUNTS, ["none"]), **kw)


def run_plan(baseline, plan, horizon=2028, **kw):
    checked = check_projects(plan, KINDS, pd.Index(baseline["area_id"]), 2024)
    return plan_tables(baseline, checked, settings_for(baseline, horizon, **kw), mix_config())


def rows(table, area_id):
    return table[table["area_id"].eq(area_id)].set_index("year")


def test_tastrup_shares_and_gaps_year_by_year():
    """917 of 917 social family dwellings; 200 owner homes built in 2025, 150 social family dwellings converted
    to private rental in 2026, 200 demolished in 2027. With S social family and D all dwellings, excess = 5 S - 2 D:
    2024 S = D = 917: 1,376 / 551 / 917 (CONTRACT 4's example); 2025 S 917 D 1,117: excess 2,351, so
    ceil(2351/2) = 1,176, ceil(2351/5) = 471, ceil(2351/3) = 784; 2026 S 767 D 1,117: 1,601, so 801 / 321 / 534;
    2027 S 567 D 917: 1,001, so 501 / 201 / 334; 2028 no project: as 2027."""
    trajectory, *_ = run_plan(tastrup_baseline(), tastrup_projects())
    t = rows(trajectory, "T")
    assert t.index.tolist() == [2024, 2025, 2026, 2027, 2028]
    assert t["dwellings_social_family"].tolist() == [917, 917, 767, 567, 567]
    assert t["dwellings"].tolist() == [917, 1117, 1117, 917, 917]
    assert t["dwellings_private_rental"].tolist() == [0, 0, 150, 150, 150]
    assert t["share_social_family"].tolist() == pytest.approx([1.0, 917 / 1117, 767 / 1117, 567 / 917, 567 / 917])
    assert t["gap_add_dwellings"].tolist() == [1376, 1176, 801, 501, 501]
    assert t["gap_convert_dwellings"].tolist() == [551, 471, 321, 201, 201]
    assert t["gap_demolish_dwellings"].tolist() == [917, 784, 534, 334, 334]
    # residents: 2 per dwelling (1,834 / 917); 200 owner homes x 2.5 arrive, 150 x 2 leave and 150 x 2 arrive
    # by the conversion, 200 x 2 leave by the demolition
    assert t["residents"].tolist() == [1834, 2334, 2334, 1934, 1934]
    assert t["residents_removed"].tolist() == [0, 0, 300, 400, 0]
    assert t.loc[2024, "status"] == "omdannelse" and t.loc[2024, "criteria_met"] == 3
    # areas with no project and no arrivals keep their figures
    assert rows(trajectory, "N")["residents"].tolist() == [1200] * 5
    assert trajectory["projection_note"].str.startswith("projection").all()


def test_person_counts_follow_the_stated_assumptions():
    """2025: 500 newcomers with the composition of the areas whose status is none (R1, R2, N: 2,900 residents,
    outside_work_edu_18_64 100 + 110 + 70 = 280); 2026: 300 leave at T's composition at the start of 2026."""
    trajectory, *_ = run_plan(tastrup_baseline(), tastrup_projects())
    t = rows(trajectory, "T")
    after_2025 = 500 + 500 * 280 / 2900
    assert t.loc[2025, "outside_work_edu_18_64"] == pytest.approx(after_2025)
    residents_18_64 = 1000 + 500 * (500 + 550 + 700) / 2900
    assert t.loc[2025, "residents_18_64"] == pytest.approx(residents_18_64)
    # the conversion's 150 private rental homes bring 300 of the reference composition again
    after_2026 = after_2025 - 300 * after_2025 / 2334 + 300 * 280 / 2900
    assert t.loc[2026, "outside_work_edu_18_64"] == pytest.approx(after_2026)
    assert t.loc[2025, "share_outside_work_edu"] == pytest.approx(after_2025 / residents_18_64)


def test_rehousing_400_residents_in_whole_persons_by_social_family_dwellings():
    """The 2027 demolition moves 200 x 2 = 400 residents to R1 and R2 (300 and 400 social family dwellings):
    400 x 3/7 = 171.43 and 400 x 4/7 = 228.57, so 171 and 229; the 2026 conversion's 300: 128.57 and 171.43,
    floors 128 + 171 = 299, the one left to the larger remainder (R1): 129 and 171."""
    trajectory, rehousing, *_ = run_plan(tastrup_baseline(), tastrup_projects())
    flows = rehousing.set_index(["year", "area_id"])["residents"]
    assert flows.to_dict() == {(2026, "R1"): 129, (2026, "R2"): 171, (2027, "R1"): 171, (2027, "R2"): 229}
    assert (rehousing["origin_area_id"] == "T").all()
    assert rows(trajectory, "R1")["residents"].tolist() == [800, 800, 929, 1100, 1100]
    assert rows(trajectory, "R2")["residents"].tolist() == [900, 900, 1071, 1300, 1300]
    # arrivals carry T's composition at the start of the year
    t = rows(trajectory, "T")
    r2 = rows(trajectory, "R2")
    assert r2.loc[2026, "non_western"] == pytest.approx(90 + 171 * t.loc[2025, "non_western"] / 2334)
    assert r2.loc[2026, "outside_work_edu_18_64"] == pytest.approx(
        110 + 171 * t.loc[2025, "outside_work_edu_18_64"] / 2334)


def test_same_area_share_and_named_areas():
    """A quarter stays in the same area (400 x 1/4 = 100), the rest goes to the named area R2 only."""
    trajectory, rehousing, *_ = run_plan(tastrup_baseline(), tastrup_projects(), same_area_share=0.25,
                                         receiving_areas=["R2"])
    y2027 = rehousing[rehousing["year"].eq(2027)].set_index("area_id")["residents"].to_dict()
    assert y2027 == {"T": 100, "R2": 300}
    # 2026: of the conversion's 300, 75 stay (2,334 + 75); 2027: 400 leave, 100 of them stay
    assert rows(trajectory, "T")["residents"].tolist() == [1834, 2334, 2409, 2109, 2109]


def test_largest_remainder_keeps_totals_and_unknown():
    out = largest_remainder(np.array([10.0, np.nan, 7.0]), np.array([[1, 1, 1], [2, 0, 1], [0, 0, 0]]))
    assert out[0].tolist() == [4, 3, 3]
    assert np.isnan(out[1, 0]) and out[1, 1] == 0 and np.isnan(out[1, 2])
    assert out[2].tolist() == [0, 0, 0]


def tipping_baseline():
    """O: 100 social family dwellings, 200 residents all 18-64 and outside work or education; R: 500 social
    family dwellings, 1,000 residents, c3 met (250 of 400), c1 just below (230 of 600 = 38 %)."""
    return pd.DataFrame([
        area("O", "Origin", "none", dw_social_family=100, residents=200, residents_18_64=200,
             outside_work_edu_18_64=200, residents_18plus=200, taxpayers_15_64=200,
             gross_income_sum_15_64=200 * 416000),
        area("R", "Receiver", "none", dw_social_family=500, residents=1000, residents_18_64=600,
             outside_work_edu_18_64=230, residents_30_59=400, basic_edu_only_30_59=250, residents_18plus=800,
             taxpayers_15_64=500, gross_income_sum_15_64=500 * 416000, non_western=100),
    ])


def test_a_receiving_area_tipped_onto_a_list_is_marked():
    """O demolishes 50 homes in 2025: 100 residents to R, whose c1 becomes (230 + 100) / (600 + 100) = 47 % > 40 %:
    two criteria met, eligible (1,100 residents, all social), so udsat; without the arrivals it stays none."""
    plan = projects([{"project_id": "D1", "name": "Demolition", "year": 2025, "area_id": "O",
                      "dwellings_change_social_family": -50}])
    trajectory, rehousing, *_ = run_plan(tipping_baseline(), plan, horizon=2026)
    r = rows(trajectory, "R")
    assert r["residents"].tolist() == [1000, 1100, 1100]
    assert r.loc[2025, "share_outside_work_edu"] == pytest.approx(330 / 700)
    assert r["status"].tolist() == ["none", "udsat", "udsat"]
    assert r["status_without_rehousing"].tolist() == ["none", "none", "none"]
    assert r["onto_list_by_rehousing"].tolist() == [False, True, True]
    assert rehousing[["year", "area_id", "residents", "onto_list_by_rehousing"]].values.tolist() == [
        [2025, "R", 100, True]]
    assert not rows(trajectory, "O")["onto_list_by_rehousing"].any()


def test_effect_of_a_project_is_the_difference_with_and_without_it():
    """Without P1 (200 owner homes), T ends with S 567, D 717: gap ceil((2,835 - 1,434) / 2) = 701 against 501
    with it, so -200; the same figures as a run of the plan without P1."""
    baseline, plan = tastrup_baseline(), tastrup_projects()
    _, _, effect, _ = run_plan(baseline, plan)
    without_p1, *_ = run_plan(baseline, plan[plan["project_id"].ne("P1")])
    row = effect[(effect["project_id"].eq("P1")) & effect["area_id"].eq("T")].iloc[0]
    assert row["gap_add_dwellings_with"] == 501 and row["gap_add_dwellings_without"] == 701
    assert row["gap_add_dwellings_change"] == -200
    horizon = rows(without_p1, "T").loc[2028]
    assert row["share_social_family_without"] == pytest.approx(horizon["share_social_family"]) == \
        pytest.approx(567 / 717)
    assert row["status_without"] == horizon["status"]
    assert row["share_social_family_change"] == pytest.approx(567 / 917 - 567 / 717)
    assert row["gap_change_per_million_dkk"] == pytest.approx(-200 / 400)
    for pid in ("P2", "P3"):
        alone, *_ = run_plan(baseline, plan[plan["project_id"].ne(pid)])
        mine = effect[effect["project_id"].eq(pid)].set_index("area_id")
        for area_id, r in mine.iterrows():
            h = rows(alone, area_id).loc[2028]
            assert r["share_social_family_without"] == pytest.approx(h["share_social_family"])
            assert r["residents_change"] == rows(run_plan(baseline, plan)[0], area_id).loc[2028, "residents"] - \
                h["residents"]
    # ranked: the conversion (-375) before the demolition (-300) before the building (-200)
    ranked = effect[effect["rank"].notna()].sort_values("rank")["project_id"].tolist()
    assert ranked == ["P2", "P3", "P1"]
    plan_row = effect[effect["scope"].eq("plan") & effect["area_id"].eq("T")].iloc[0]
    assert plan_row["gap_add_dwellings_change"] == 501 - 1376
    assert plan_row["sum_of_project_changes"] != pytest.approx(plan_row["share_social_family_change"])


@pytest.mark.parametrize(("change", "message"), [
    ({"year": 2026, "dwellings_change_social_family": -150, "dwellings_change_owner": 100}, "does not balance"),
    ({"year": 2026, "dwellings_change_social_family": -1000}, "removes more social_family"),
    ({"year": 2023, "dwellings_change_owner": 10}, "before the data's year 2024"),
    ({"year": 2026, "area_id": "X", "dwellings_change_owner": 10}, "in no housing area"),
])
def test_bad_plan_rows_name_the_project(change, message):
    plan = tastrup_projects()
    bad = {"project_id": "BAD-7", "name": "Bad", "area_id": "T", **change}
    plan = projects([*plan.to_dict("records"), bad])
    with pytest.raises(PlanProblem, match=message) as caught:
        run_plan(tastrup_baseline(), plan)
    assert caught.value.ids == ["BAD-7"]


def test_residents_per_dwelling_from_single_tenure_parcels():
    parcels = pd.DataFrame({"dwellings_owner": [10, 5, 0], "dwellings_social_family": [0, 5, 20],
                            "residents": [25, 20, 44]})
    out = residents_per_dwelling(parcels, ["social_family", "owner", "cooperative"], {"cooperative": 1.8})
    assert out["owner"] == 2.5 and out["social_family"] == 2.2
    assert out["cooperative"] == 1.8
    kinds = ["social_family", "owner", "private_rental"]
    assert residents_per_dwelling(parcels, kinds, None)["private_rental"] == pytest.approx(89 / 40)


# --- through the command line, on real files --------------------------------------------------------------------


def plan_project(tmp_path, rows: list[dict]):
    """The tiny municipality (area A: 150 social family and 10 owner dwellings, 370 residents; B: 50 others, 110
    residents) with a plan_projects CSV; data_date 2024 (the tiny statistics have no year)."""
    sources = write_tiny_sources(tmp_path)
    pd.DataFrame(rows).to_csv(tmp_path / "raw" / "plan.csv", index=False)
    sources["plan_projects"] = {"path": "raw/plan.csv"}
    return write_config(tmp_path, {"sources": sources, "access": {"max_snap_m": 1500}, "data_date": "2024-06-30",
                                   "plan": {"horizon": 2026}})


def run_cli(config, capsys) -> tuple[int, str]:
    status = main(["--quiet", "run", "--config", str(config)])
    return status, capsys.readouterr().err


def test_a_plan_through_every_stage(tmp_path, capsys):
    """A demolishes 50 of its 150 social family dwellings in 2025: 50 x 370 / 160 = 115.6, so 116 residents
    leave; B has no social family dwellings, so no area receives them (warned)."""
    config = plan_project(tmp_path, [{"project_id": "D1", "name": "Nedrivning", "year": 2025, "area_id": "A",
                                      "dwellings_change_social_family": -50, "cost_dkk": 20e6}])
    status, err = run_cli(config, capsys)
    assert status == 0, err
    trajectory = pd.read_parquet(tmp_path / "data" / "processed" / "plan_trajectory.parquet")
    a = trajectory[trajectory["area_id"].eq("A")].set_index("year")
    assert a["dwellings_social_family"].tolist() == [150, 100, 100]
    assert a["residents"].tolist() == [370, 254, 254]
    assert a["share_social_family"].tolist() == pytest.approx([150 / 160, 100 / 110, 100 / 110])
    assert a["gap_add_dwellings"].isna().all()  # A is no omdannelse area (370 residents): no gap reported
    assert pd.read_parquet(tmp_path / "data" / "processed" / "plan_rehousing.parquet").empty
    effect = pd.read_parquet(tmp_path / "data" / "processed" / "plan_projects_effect.parquet")
    own = effect[effect["scope"].eq("project")].iloc[0]
    assert own["share_social_family_change"] == pytest.approx(100 / 110 - 150 / 160)
    run = (tmp_path / "data" / "processed" / "run.json").read_text(encoding="utf-8")
    assert "116 residents of removed social family dwellings have no receiving area" in run
    # the page "Planen over tid": the area's share year by year (150/160, 100/110), the project ranked, linked
    page = (tmp_path / "maps" / "plan.html").read_text(encoding="utf-8")
    assert "Planen over tid" in page and "Alle tal på denne side er fremskrivninger" in page
    assert "93,8\u00a0%" in page and "90,9\u00a0%" in page and "Nedrivning" in page and "Planen genhuser ingen." in page
    assert 'href="plan.html"' in (tmp_path / "maps" / "index.html").read_text(encoding="utf-8")
    # the profile of the area the plan touches has the section, the other none
    assert 'id="pf-plan"' in (tmp_path / "maps" / "areas" / "A.html").read_text(encoding="utf-8")
    assert 'id="pf-plan"' not in (tmp_path / "maps" / "areas" / "B.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("row", "texts"), [
    ({"year": 2025, "dwellings_change_social_family": -40, "dwellings_change_owner": 30},
     ["does not balance", "BAD-1", "plan.csv"]),
    ({"year": 2023, "dwellings_change_owner": 10}, ["before the data's year 2024", "BAD-1", "year"]),
    ({"year": 2025, "dwellings_change_social_family": -151}, ["removes more social_family dwellings", "BAD-1"]),
    ({"year": 2025, "area_id": "Z", "dwellings_change_owner": 10}, ["name no area_id", "BAD-1"]),
    ({"year": 2025, "dwellings_change_owner": 2.5}, ["not whole numbers", "BAD-1"]),
])
def test_bad_plan_rows_stop_the_run_naming_the_project(tmp_path, capsys, row, texts):
    config = plan_project(tmp_path, [{"project_id": "OK-1", "name": "Fine", "year": 2025, "area_id": "A",
                                      "dwellings_change_owner": 5},
                                     {"project_id": "BAD-1", "name": "Bad", "area_id": "A", **row}])
    status, err = run_cli(config, capsys)
    assert status == 2, err
    for text in texts:
        assert text in err, (text, err)
    assert "What to do:" in err and "Traceback" not in err and "OK-1" not in err


def test_rehousing_areas_that_are_no_housing_area_stop_the_run(tmp_path, capsys):
    config = plan_project(tmp_path, [{"project_id": "OK-1", "name": "Fine", "year": 2025, "area_id": "A",
                                      "dwellings_change_owner": 5}])
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    data["plan"]["rehousing"] = {"areas": ["B", "NOPE"]}
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    status, err = run_cli(config, capsys)
    assert status == 2 and "plan.rehousing.areas" in err and "NOPE" in err and "Traceback" not in err


def test_the_demo_plans_reach_the_cap_in_one_estate_and_miss_it_in_another():
    """The omdannelse estate (S 1,000 of D 1,060): 200 demolished, 120 sold, 159 (15 %) owner homes built, 100
    converted; then ceil(580 x 5/2 - 1,019) + 5 = 436 private rental homes, so 580 of 1,455 = 39.9 % <= 40 %.
    The parallelsamfund estate (800 of 900): 80 converted, 90 built, 64 demolished: 656 of 926 = 70.8 %."""
    from pipeline.demo.plan import plan_projects

    plan = pd.DataFrame({"archetype": ["estate_omdannelse", "estate_parallelsamfund", "estate_udsat", "owner"],
                         "area_id": ["A001", "A002", "A003", "A004"], "name": ["Øst", "Vest", "Syd", "Villa"]})
    parcels = pd.DataFrame({f"dwellings_{t}": [0] * 4 for t in KINDS[:-1]})
    parcels["dwellings_social_family"] = [1000, 800, 600, 0]
    parcels["dwellings_private_rental"] = [60, 100, 100, 300]
    projects_table = plan_projects(plan, parcels, np.arange(4), mix_config(), 2024)
    change = projects_table.set_index("project_id")
    assert change.loc["P1-05", "dwellings_change_private_rental"] == 436
    for area_id, (s, d), share in (("A001", (1000, 1060), 580 / 1455), ("A002", (800, 900), 656 / 926)):
        rows = projects_table[projects_table["area_id"].eq(area_id)]
        s_end = s + rows["dwellings_change_social_family"].sum()
        d_end = d + rows[[f"dwellings_change_{k}" for k in KINDS[:-1]]].to_numpy().sum()
        assert s_end / d_end == pytest.approx(share)
    assert 580 / 1455 <= 0.40 < 656 / 926
    assert projects_table["year"].between(2025, 2032).all() and projects_table["jobs_change"].gt(0).any()
    balanced = projects_table[[f"dwellings_change_{k}" for k in KINDS[:-1]]]
    mixed = (balanced.lt(0).any(axis=1) & balanced.gt(0).any(axis=1))
    assert balanced[mixed].sum(axis=1).eq(0).all() and mixed.sum() == 4


def test_project_sites_find_their_area_and_a_site_outside_every_area_stops_the_run(tmp_path, capsys):
    """Projects given as points in a GeoPackage: one without area_id inside B (x0 + 1,500) joins B; with a site
    3 km east of both areas the run stops naming that project."""
    import geopandas as gpd
    from conftest import CRS, X0, Y0
    from shapely.geometry import Point

    config = plan_project(tmp_path, [{"project_id": "x", "name": "x", "year": 2025, "area_id": "A"}])
    data = yaml.safe_load(config.read_text(encoding="utf-8"))
    sites = gpd.GeoDataFrame({"project_id": ["S1", "S2"], "name": ["Boliger", "Boliger"], "year": [2025, 2026],
                              "area_id": [None, "A"], "dwellings_change_owner": [30, 10]},
                             geometry=[Point(X0 + 1500, Y0 + 500), Point(X0 + 500, Y0 + 500)], crs=CRS)
    sites.to_file(tmp_path / "raw" / "plan.gpkg", layer="plan_projects", engine="pyogrio")
    data["sources"]["plan_projects"] = {"path": "raw/plan.gpkg", "layer": "plan_projects"}
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    status, err = run_cli(config, capsys)
    assert status == 0, err
    projects = pd.read_parquet(tmp_path / "data" / "processed" / "plan_projects.parquet")
    assert projects.set_index("project_id")["area_id"].to_dict() == {"S1": "B", "S2": "A"}
    trajectory = pd.read_parquet(tmp_path / "data" / "processed" / "plan_trajectory.parquet")
    assert trajectory[trajectory["area_id"].eq("B")]["dwellings"].tolist() == [50, 80, 80]

    sites.loc[0, "geometry"] = Point(X0 + 5000, Y0 + 500)
    sites.to_file(tmp_path / "raw" / "plan.gpkg", layer="plan_projects", engine="pyogrio")
    status, err = run_cli(config, capsys)
    assert status == 2 and "S1" in err and "lie in no housing area" in err and "S2" not in err, err


def test_unknown_residents_of_an_origin_stay_unknown_where_they_go_and_nowhere_else():
    """T's residents unknown: its 2025 building moves no one (R1, R2 keep 800 and 900), its 2026 conversion moves an
    unknown number, so the receivers' residents are unknown from 2026 (never 0); N, which receives nothing, keeps
    its figures; T's dwellings and gaps are still exact."""
    base = tastrup_baseline()
    base.loc[0, "residents"] = None
    trajectory, *_ = run_plan(base, tastrup_projects())
    r1 = rows(trajectory, "R1")
    assert r1.loc[2025, "residents"] == 800 and r1.loc[[2026, 2027, 2028], "residents"].isna().all()
    assert r1.loc[2026, "status"] == "undetermined"
    n = rows(trajectory, "N")
    assert n["residents"].tolist() == [1200] * 5 and n["outside_work_edu_18_64"].tolist() == [70] * 5
    assert rows(trajectory, "T")["gap_add_dwellings"].tolist() == [1376, 1176, 801, 501, 501]
