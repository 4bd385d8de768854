"""Kort fortalt with the newer figures: jobs by bus and train (GTFS), the land cover, and the plan over time.

Hand-made areas against a hand-made municipality, the sentences worked out by hand: one area strong on jobs by
public transport and weak on green ground, one the reverse; an area with a plan trajectory whose shares are
computed by hand from its dwellings; and the same areas without a GTFS feed, land cover or plan, which get no
such sentence (never a 0). The municipality page's list of areas the plan moves is checked on a hand-made
trajectory.
"""

from __future__ import annotations

import math

import pandas as pd

from pipeline.publish.i18n import language
from pipeline.publish.inputs import Inputs
from pipeline.publish.summary import Reference, area_summary, within
from pipeline.publish.summary.aspects import comparisons, strengths_and_challenges
from pipeline.publish.summary.profile import municipality_figures
from pipeline.publish.summary.projection import cap_year, moved_areas, planned_areas

DA, EN = language("da"), language("en")

# The municipality as in test_summary.py (10,000 jobs by bike, 800 m to school, 4 in 10 near green space, 20 %
# canopy, 25 % outside work, 35 % basic schooling, 350,000 DKK), plus 5,000 jobs within 45 minutes by bus and
# train, 20 % natural cover, 25 % sealed ground and 1,600 m (20 minutes' walk at 80 m/min) to protected nature.
BASE = {"jobs_bike_30": 10_000.0, "school_dist_m": 800.0, "share_residents_green_300": 0.4, "canopy_share": 0.2,
        "share_outside_work_edu": 0.25, "share_basic_edu": 0.35, "mean_income_15_64_dkk": 350_000.0}
NEWER = {"jobs_transit_45": 5_000.0, "share_natural_cover": 0.20, "share_sealed": 0.25,
         "protected_nature_dist_m": 1_600.0}
SETTINGS = {"walk_m_per_min": 80, "jobs_bike_minutes": 30, "transit_minutes": 45, "green_near_m": 300,
            "family_housing_cap": 0.4, "omdannelse_years": 5, "non_western_threshold": 0.5, "min_difference": 0.10,
            "min_jobs_change": 0.01}
WITH_ALL = Reference({**BASE, **NEWER}, SETTINGS)
# No GTFS feed and no land cover: the access stage wrote those figures as null for the municipality and every area.
WITHOUT = Reference({**BASE, **dict.fromkeys(NEWER)}, SETTINGS)


def area(**figures) -> dict:
    """An area equal to the municipality on every figure but those given, not on any list."""
    return {"area_id": "X", "status": "none", "eligible": False, **BASE, **NEWER, **figures}


# Strong on transit: 15,000 jobs (+200 %). Weak on green ground: natural cover 5 % (-75 %), sealed 60 % (-140 %),
# 2,400 m = 30 minutes to protected nature (-50 %): the land cover's one candidate is the sealed ground.
TRANSIT_AREA = area(jobs_transit_45=15_000.0, share_natural_cover=0.05, share_sealed=0.60,
                    protected_nature_dist_m=2_400.0)
# The reverse: 2,000 jobs by transit (-60 %); natural cover 50 % (+150 %), sealed 10 % (+60 %), 400 m = 5 minutes
# to protected nature (+75 %): the land cover's candidate is the natural cover.
NATURE_AREA = area(jobs_transit_45=2_000.0, share_natural_cover=0.50, share_sealed=0.10, protected_nature_dist_m=400.0)
NEW_WORDS = ("bus og tog", "bus and train", "Natur, enge", "Nature, meadows", "Huse, veje", "Buildings, roads",
             "beskyttet natur", "protected nature")


def test_an_area_strong_on_jobs_by_transit_and_weak_on_green_ground():
    summary = area_summary(TRANSIT_AREA, WITH_ALL, DA)
    assert summary.strengths == ["Med bus og tog kan du nå cirka 15.000 job inden for 45 minutter. "
                                 "I hele kommunen er det cirka 5.000."]
    # one land-cover sentence: the sealed ground (-140 %), not the natural cover (-75 %) nor protected nature (-50 %)
    assert summary.challenges == ["Huse, veje og fliser dækker cirka 60 procent af området. "
                                  "I alle boligområder samlet er det 25 procent."]


def test_the_reverse_area_gets_the_reverse_sentences():
    summary = area_summary(NATURE_AREA, WITH_ALL, EN)
    assert summary.strengths == ["Nature, meadows and trees cover about 50 percent of the area. "
                                 "In all housing areas together it is 20 percent."]
    assert summary.challenges == ["Within 45 minutes by bus and train you can reach about 2,000 jobs. "
                                  "In the whole municipality it is about 5,000."]


def test_the_walk_to_protected_nature_when_it_is_the_furthest_land_cover_figure():
    # 4,000 m = 50 minutes (-150 %) against natural cover 10 % (-50 %) and sealed 30 % (-20 %)
    far = area(protected_nature_dist_m=4_000.0, share_natural_cover=0.10, share_sealed=0.30)
    assert area_summary(far, WITH_ALL, DA).challenges == [
        "Der er cirka 50 minutters gang til beskyttet natur som en mose eller en eng. I hele kommunen er det 20 minutter."]


def test_the_newer_figures_compete_with_the_others_by_their_distance():
    # jobs by bike +30 %, transit +200 %, green space +50 %, canopy +100 %: the three furthest, furthest first
    strong = area(jobs_bike_30=13_000.0, jobs_transit_45=15_000.0, share_residents_green_300=0.6, canopy_share=0.4)
    starts = [s.split(" ")[:3] for s in area_summary(strong, WITH_ALL, EN).strengths]
    assert starts == [["Within", "45", "minutes"], ["Trees", "cover", "about"], ["6", "out", "of"]]


def test_a_summary_over_the_limit_loses_the_close_sentence_then_the_comparisons_nearest_the_municipality():
    # strengths: transit +200 %, canopy +100 %, green space +50 %; challenges: bike jobs -60 %, income -20 %
    row = area(jobs_transit_45=15_000.0, canopy_share=0.4, share_residents_green_300=0.6, jobs_bike_30=4_000.0,
               mean_income_15_64_dkk=280_000.0)
    strengths, challenges, _ = strengths_and_challenges(comparisons(row, False, WITH_ALL.means, SETTINGS, EN), 0.10)
    full = area_summary(row, WITH_ALL, EN)
    assert (len(full.strengths), len(full.challenges), len(full.close)) == (3, 2, 1)
    no_close = within(full, strengths, challenges, len(full.text()) - 1)
    assert no_close.close == [] and no_close.strengths == full.strengths and no_close.challenges == full.challenges
    # then income (-20 %, nearer than green space's +50 %), then green space, down to one of each
    no_income = within(full, strengths, challenges, len(no_close.text()) - 1)
    assert no_income.strengths == full.strengths and no_income.challenges == full.challenges[:1]
    assert within(full, strengths, challenges, len(no_income.text()) - 1).strengths == full.strengths[:2]
    least = within(full, strengths, challenges, 10)
    assert least.strengths == full.strengths[:1] and least.challenges == full.challenges[:1]
    assert least.status == full.status and least.plan == full.plan


def test_without_a_feed_or_land_cover_there_is_no_such_sentence_and_never_a_zero():
    for row in (TRANSIT_AREA, NATURE_AREA):
        for lang in (DA, EN):
            text = area_summary(row, WITHOUT, lang).text()
            assert not any(word in text for word in NEW_WORDS), text
    # the area's own figures unknown too (as access writes them without the layers), the municipality's known
    unknown = area(**{column: math.nan for column in NEWER})
    summary = area_summary(unknown, WITH_ALL, DA)
    assert summary.strengths == [] and summary.challenges == []
    assert not any(word in summary.text() for word in NEW_WORDS)


def test_a_share_that_rounds_to_none_is_said_in_words_not_as_0_percent():
    bare = area(share_natural_cover=0.004, canopy_share=0.003)
    assert area_summary(bare, WITH_ALL, DA).challenges == [
        "Der er næsten ingen træer i området. I alle boligområder samlet er det 20 procent.",
        "Der er næsten ingen natur, enge eller træer i området. I alle boligområder samlet er det 20 procent."]


def test_a_small_area_keeps_only_the_land_cover_that_is_not_about_people():
    # jobs by transit and the walk to protected nature are residents' averages (person-based); the cover is ground
    small = area(residents=40, jobs_transit_45=15_000.0, share_natural_cover=0.05, share_sealed=0.25,
                 protected_nature_dist_m=4_000.0)
    summary = area_summary(small, WITH_ALL, DA, hidden=True)
    assert summary.strengths == []
    assert summary.challenges == ["Natur, enge og træer dækker cirka 5 procent af området. "
                                  "I alle boligområder samlet er det 20 procent."]


# --- the plan over time -----------------------------------------------------------------------------------------

def trajectory_rows(area_id: str, shares: dict[int, tuple[int, int]], statuses: dict[int, str],
                    projects: dict[int, str], rehoused_in: dict[int, int] | None = None) -> list[dict]:
    """plan_trajectory's rows of one area, oldest first: (social family, all dwellings) per year."""
    rows = []
    for year, (family, dwellings) in shares.items():
        rows.append({"area_id": area_id, "year": year, "dwellings": dwellings, "dwellings_social_family": family,
                     "share_social_family": family / dwellings, "status": statuses[year],
                     "projects": projects.get(year), "rehoused_in": (rehoused_in or {}).get(year, 0),
                     "rehoused_out": 0})
    return rows


# 900 social family homes of 1,000 (0.90) in 2024; 2026 demolishes 200 of them: 700 / 800 = 0.875; 2028 builds
# 1,000 owner-occupied homes: 700 / 1,800 = 0.389, at most the cap 0.40 from 2028; 2030 the horizon, unchanged.
# 12 + 30 residents rehoused into it from other areas are not said: it has projects of its own, whose homes say more.
PLAN = trajectory_rows("X", {2024: (900, 1000), 2026: (700, 800), 2028: (700, 1800), 2030: (700, 1800)},
                       {2024: "omdannelse", 2026: "omdannelse", 2028: "forebyggelse", 2030: "forebyggelse"},
                       {2026: "P1", 2028: "P2"}, {2026: 12, 2028: 30})
TRANSFORMATION = area(status="omdannelse", eligible=True, residents=2500, share_social_family=0.9)


def test_an_area_with_a_plan_trajectory_gets_its_projection_with_the_hand_computed_figures():
    assert cap_year(PLAN, 0.4) == 2028
    plan = area_summary(TRANSFORMATION, WITH_ALL, DA, trajectory=PLAN).plan
    assert plan == ["Med planen ventes 4 ud af 10 boliger at være almene familieboliger i 2030, mod 9 i dag.",
                    "Området når grænsen på 4 ud af 10 i 2028.",
                    "I 2030 ventes området at være et forebyggelsesområde i stedet for et omdannelsesområde.",
                    "Det er et skøn."]


def test_beside_the_projection_a_development_site_says_its_homes_but_not_its_own_share():
    site = {"site_id": "S1", "site_name": "Nye Huse", "contains_site": True, "new_dwellings": 390, "new_jobs": 0,
            "share_social_family_before": 0.9, "share_social_family_after": 0.65, "rank": 1}
    elsewhere = {"site_id": "S2", "site_name": "Erhverv", "contains_site": False, "new_dwellings": 10, "rank": 2}
    plan = area_summary(TRANSFORMATION, WITH_ALL, DA, trajectory=PLAN, sites=[site]).plan
    assert plan[-1] == "Projektet Nye Huse giver 390 nye boliger i området." and "mod 9 i dag" in plan[0]
    assert not any("7 ud af 10" in s for s in plan)  # the site's share after (0.65) is not set beside the plan's
    # the plan has projects in the area: "none of the plan's building projects lies in the area" would contradict it
    assert area_summary(TRANSFORMATION, WITH_ALL, DA, trajectory=PLAN, sites=[elsewhere]).plan[-1] == "Det er et skøn."
    without = area_summary(TRANSFORMATION, WITH_ALL, DA, sites=[site]).plan  # no plan over time: the site's share
    assert without == ["Projektet Nye Huse giver 390 nye boliger i området.",
                       "Så vil 7 ud af 10 boliger være almene familieboliger mod 9 i dag."]


def test_a_plan_that_stops_short_of_the_cap_says_so():
    # 900 / 1,000 -> 700 / 1,000 = 0.70 in 2030: over the cap 0.40 in every year
    short = trajectory_rows("X", {2024: (900, 1000), 2030: (700, 1000)}, {2024: "omdannelse", 2030: "omdannelse"},
                            {2030: "P1"})
    assert area_summary(TRANSFORMATION, WITH_ALL, EN, trajectory=short).plan == [
        "With the plan, 7 out of 10 homes are expected to be social family housing in 2030, against 9 today.",
        "That is still over the limit of 4 out of 10.", "This is an estimate."]
    # a parallel society that becomes a transformation area in the projection: the cap applies (it is over it), but
    # the step itself is the law's clock (its status sentences say so), not a move the plan makes
    parallel = {**TRANSFORMATION, "status": "parallelsamfund"}
    later = [short[0], {**short[1], "status": "omdannelse"}]
    later[0]["status"] = "parallelsamfund"
    assert area_summary(parallel, WITH_ALL, EN, trajectory=later).plan == [
        "With the plan, 7 out of 10 homes are expected to be social family housing in 2030, against 9 today.",
        "That is still over the limit of 4 out of 10.", "This is an estimate."]
    # an udsat area the plan moves off the list: no cap (it applies to transformation areas), the status said
    udsat = trajectory_rows("X", {2024: (900, 1000), 2030: (700, 1000)}, {2024: "udsat", 2030: "none"}, {2030: "P1"})
    assert area_summary({**TRANSFORMATION, "status": "udsat"}, WITH_ALL, EN, trajectory=udsat).plan[1:] == [
        "In 2030 the area is expected to be off the lists, no longer a vulnerable housing area.",
        "This is an estimate."]


def test_a_receiving_area_an_untouched_area_a_small_area_and_no_plan():
    receiving = trajectory_rows("R", {2024: (300, 1000), 2030: (300, 1000)}, {2024: "none", 2030: "none"}, {},
                                {2030: 7})
    assert area_summary(area(share_social_family=0.3), WITH_ALL, DA, trajectory=receiving).plan == [
        "Cirka 7 beboere fra andre områder ventes at flytte hertil på grund af planen.", "Det er et skøn."]
    # beside what the plan does to it, no "none of the plan's building projects lies in the area" (sites elsewhere)
    elsewhere = [{"site_id": "S2", "site_name": "Erhverv", "contains_site": False, "new_dwellings": 10, "rank": 1}]
    assert area_summary(area(share_social_family=0.3), WITH_ALL, DA, trajectory=receiving, sites=elsewhere).plan[-1] \
        == "Det er et skøn."
    assert area_summary(area(share_social_family=0.3), WITH_ALL, DA, sites=elsewhere).plan == [
        "Ingen af planens byggerier ligger i området."]
    untouched = trajectory_rows("U", {2024: (300, 1000), 2030: (300, 1000)}, {2024: "none", 2030: "none"}, {})
    assert area_summary(area(share_social_family=0.3), WITH_ALL, DA, trajectory=untouched).plan == []
    assert area_summary(TRANSFORMATION, WITH_ALL, DA).plan == []  # no plan_projects layer: no plan_trajectory
    # a small area: the homes are not about people and stay; its status and the rehoused residents are left out
    small = area_summary({**TRANSFORMATION, "residents": 60}, WITH_ALL, DA, hidden=True, trajectory=PLAN).plan
    assert small == ["Med planen ventes 4 ud af 10 boliger at være almene familieboliger i 2030, mod 9 i dag.",
                     "Området når grænsen på 4 ud af 10 i 2028.", "Det er et skøn."]


def test_the_municipality_page_names_the_areas_the_plan_moves():
    frame = pd.DataFrame([
        *PLAN,
        *trajectory_rows("Y", {2024: (850, 1000), 2030: (850, 1000)}, {2024: "none", 2030: "none"}, {2030: "P9"}),
        *trajectory_rows("R1", {2024: (300, 1000), 2030: (300, 1000)}, {2024: "none", 2030: "none"}, {}, {2030: 5}),
        *trajectory_rows("R2", {2024: (300, 1000), 2030: (300, 1000)}, {2024: "none", 2030: "none"}, {}, {2030: 9}),
        *trajectory_rows("S", {2024: (90, 100), 2030: (40, 100)}, {2024: "none", 2030: "none"}, {2030: "P3"}),
        *trajectory_rows("U", {2024: (300, 1000), 2030: (300, 1000)}, {2024: "none", 2030: "none"}, {}),
    ])
    names = {"X": "Blommeengen", "Y": "Egemarken", "R1": "Ro", "R2": "Rask", "S": "Smalby", "U": "Uro"}
    items = moved_areas(frame, names, {"S"}, {"family_housing_cap": 0.4}, EN)
    # Egemarken's project P9 moves neither its share nor its status: not listed;
    # Smalby is small: never named; Ro and Rask take in rehoused residents; Uro is untouched
    assert items == [
        "Blommeengen: With the plan, 4 out of 10 homes are expected to be social family housing in 2030, against 9 "
        "today. The area reaches the limit of 4 out of 10 in 2028. In 2030 the area is expected to be a "
        "prevention area instead of a transformation area.",
        "Residents who must move are expected to be rehoused in 2 other areas. This is an estimate."]
    assert moved_areas(None, names, set(), {"family_housing_cap": 0.4}, EN) == []
    # the areas whose development sites' own share of social family housing the page leaves to the projection
    assert planned_areas(frame) == {"X", "Y", "S"} and planned_areas(None) == set()


def test_the_summary_reads_the_municipality_figures_the_stages_wrote():
    # municipality_mix as the mix stage writes it, municipality_access's averages as the access stage does: read
    # as they are (no sum over the areas table here), None where a stage wrote null
    mix = pd.DataFrame({"scope": ["municipality"], "share_outside_work_edu": [0.2647], "share_basic_edu": [None],
                        "mean_income_15_64_dkk": [359_687.0], "residents_18_64": [18_895]})
    figures = municipality_figures(Inputs(frames={"municipality_mix": mix}), {"jobs_transit_45": 5_326.0})
    assert figures == {"jobs_transit_45": 5_326.0, "share_outside_work_edu": 0.2647, "share_basic_edu": None,
                       "mean_income_15_64_dkk": 359_687.0}
    assert municipality_figures(Inputs(), {"jobs_bike_30": 1.0}) == {"jobs_bike_30": 1.0}
