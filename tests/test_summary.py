"""Kort fortalt, the residents' summary (pipeline/publish/summary/): LIX, the rules that choose the sentences, privacy.

LIX is checked on texts counted by hand. Two hand-made areas (one strong on jobs and weak on green space, one
the reverse) are set against a hand-made municipality, and the sentences expected are worked out by hand
(da: 20.000 job, 1 ud af 10). The demo's summaries are checked in test_summary_demo.py.
"""

from __future__ import annotations

import re

import pytest

from pipeline.publish.i18n import language
from pipeline.publish.summary import Reference, area_summary, lix
from pipeline.publish.summary.lix import sentences, words

DA, EN = language("da"), language("en")
CODES = re.compile(r"\bc[1-4]\b|§|\b61\b")

# The municipality: 10,000 jobs by bike, 800 m to school (10 minutes' walk at 80 m/min), 4 out of 10 near green
# space, 20 % canopy, 25 % outside work or education, 35 % basic schooling only, 350,000 DKK mean income.
MEANS = {"jobs_bike_30": 10_000.0, "school_dist_m": 800.0, "share_residents_green_300": 0.4, "canopy_share": 0.2,
         "share_outside_work_edu": 0.25, "share_basic_edu": 0.35, "mean_income_15_64_dkk": 350_000.0}
SETTINGS = {"walk_m_per_min": 80, "jobs_bike_minutes": 30, "transit_minutes": 45, "green_near_m": 300, "family_housing_cap": 0.4,
            "omdannelse_years": 5, "non_western_threshold": 0.5, "min_difference": 0.10, "min_jobs_change": 0.01}
REFERENCE = Reference(MEANS, SETTINGS)


def area(**figures) -> dict:
    """An area equal to the municipality on every figure but those given, not on any list."""
    return {"area_id": "X", "status": "none", "eligible": False, **MEANS, **figures}


# Strong on jobs (twice the municipality's), weak on green space (1 in 10 near a park, 6 % canopy).
JOBS_AREA = area(jobs_bike_30=20_400.0, share_residents_green_300=0.1, canopy_share=0.06)
# The reverse: 4,000 jobs (-60 %), 9 in 10 near a park (+125 %), 40 % canopy (+100 %).
GREEN_AREA = area(jobs_bike_30=4_000.0, share_residents_green_300=0.9, canopy_share=0.4)


def test_lix_counts_words_long_words_and_sentences_as_by_hand():
    # 9 words, 2 sentences, 1 long word (sætning has 7 letters): 9 / 2 + 100 * 1 / 9 = 15.61
    assert lix("Det er en lang sætning med mange ord. Kort.") == pytest.approx(9 / 2 + 100 / 9)
    # a number with a thousands separator is one word; its dot ends no sentence; a colon before a space does
    assert words("Der bor 12.000 mennesker: 12,5 %.") == ["Der", "bor", "12.000", "mennesker", "12,5"]
    assert len(sentences("Der bor 12.000 mennesker: mange er unge!")) == 2
    # 4 words, 1 sentence, 2 long words (forebyggelsesområde, boligområde): 4 + 50
    assert lix("Et forebyggelsesområde, et boligområde") == pytest.approx(54.0)
    assert lix("") == 0.0


def test_an_area_strong_on_jobs_and_weak_on_green_space():
    summary = area_summary(JOBS_AREA, REFERENCE, DA)
    assert summary.strengths == ["På 30 minutter på cykel kan du nå cirka 20.000 job. I hele kommunen er det cirka 10.000."]
    # green space -75 % before canopy -70 %; the other figures equal the municipality's
    assert summary.challenges == [
        "1 ud af 10 beboere bor højst 300 meter fra en park eller et andet grønt område. I hele kommunen er det 4 ud af 10.",
        "Træer dækker cirka 6 procent af området. I alle boligområder samlet er det 20 procent.",
    ]
    assert summary.close == ["På de andre punkter ligner området resten af kommunen."]


def test_the_reverse_area_gets_the_reverse_sentences():
    summary = area_summary(GREEN_AREA, REFERENCE, EN)
    # green +125 % before canopy +100 %
    assert summary.strengths == [
        "9 out of 10 residents live at most 300 metres from a park or other green area. "
        "In the whole municipality it is 4 out of 10.",
        "Trees cover about 40 percent of the area. In all housing areas together it is 20 percent.",
    ]
    assert summary.challenges == ["Within 30 minutes by bike you can reach about 4,000 jobs. "
                                  "In the whole municipality it is about 10,000."]


def test_at_most_three_strengths_the_furthest_first_and_equal_rounding_switches_to_out_of_100():
    strong = area(jobs_bike_30=30_000.0, school_dist_m=400.0, share_residents_green_300=0.8, canopy_share=0.3,
                  share_outside_work_edu=0.22)
    summary = area_summary(strong, REFERENCE, DA)
    # scores: jobs +200 %, green +100 %, school +50 % and canopy +50 % (the aspects' order), work +12 %
    starts = ("På 30 minutter på cykel kan du nå cirka 30.000 job.", "8 ud af 10 beboere bor",
              "Børnene går cirka 5 minutter til skole.")
    assert len(summary.strengths) == 3
    assert all(s.startswith(start) for s, start in zip(summary.strengths, starts, strict=True)), summary.strengths
    assert summary.challenges == []
    work = area(share_outside_work_edu=0.19)  # 1.9 -> 2 and 2.5 -> 3 (halves up): out of 10, +24 %
    assert area_summary(work, REFERENCE, DA).strengths == [
        "2 ud af 10 voksne på 18 til 64 år er hverken i job eller under uddannelse. I alle boligområder samlet er "
        "det 3 ud af 10."]
    close = area(share_outside_work_edu=0.28)  # 2.8 and 2.5 both read 3 out of 10 -> 28 and 25 out of 100
    assert area_summary(close, REFERENCE, DA).challenges == [
        "28 ud af 100 voksne på 18 til 64 år er hverken i job eller under uddannelse. I alle boligområder samlet er "
        "det 25 ud af 100."]


def test_a_difference_below_the_minimum_or_invisible_when_rounded_is_neither():
    summary = area_summary(area(jobs_bike_30=10_900.0, canopy_share=0.21), REFERENCE, DA)  # +9 %, +5 %
    assert summary.strengths == [] and summary.challenges == []
    assert summary.close


def test_a_small_area_shows_no_person_based_figure():
    small = {**JOBS_AREA, "residents": 50, "share_outside_work_edu": 0.61, "share_basic_edu": 0.77,
             "mean_income_15_64_dkk": 123_456.0, "status": "none"}
    years = [{"year": 2020, "share_outside_work_edu": 0.9, "status": "none"},
             {"year": 2024, "share_outside_work_edu": 0.2, "status": "none"}]
    summary = area_summary(small, REFERENCE, DA, hidden=True, years=years)
    text = summary.text()
    # canopy is not person-based: it stays; jobs, green space, work, education, income and the trend are left out
    assert summary.challenges == ["Træer dækker cirka 6 procent af området. I alle boligområder samlet er det 20 procent."]
    assert summary.strengths == [] and summary.trend == []
    for figure in ("20.000", "1 ud af 10", "6 ud af 10", "8 ud af 10", "120.000", "2020"):
        assert figure not in text
    assert summary.status == ["Der bor få mennesker i området.", "Derfor viser vi ikke tal om beboerne her."]


def test_status_sentences_say_what_the_status_means_without_codes():
    transformation = area(status="omdannelse", eligible=True, years_listed=4, c1_met=True, c2_met=False, c3_met=True,
                          c4_met=True, gap_add_dwellings=1376, gap_convert_dwellings=551)
    text = " ".join(area_summary(transformation, REFERENCE, DA).status)
    assert text == ("Området er et omdannelsesområde. Det har været på listen over parallelsamfund i 5 år i træk. "
                    "I 2030 må højst 40\u00a0% af boligerne være almene familieboliger. Det svarer til cirka 1.400 nye "
                    "boliger af andre slags eller cirka 550 boliger, der sælges eller laves om. Beboere, der skal "
                    "flytte, har ret til at få tilbudt en anden bolig.")
    vulnerable = area(status="udsat", eligible=True, c1_met=True, c2_met=True, c3_met=False, c4_met=None)
    assert area_summary(vulnerable, REFERENCE, EN).status[1] == "This is because of its figures for work and crime."
    prevention = area(status="forebyggelse", eligible=True, prevention_criteria="c1, c4")
    assert "Men tallene for arbejde og indkomst er tæt på grænserne." in area_summary(prevention, REFERENCE, DA).status
    listed = area(status="none", eligible=True)
    assert area_summary(listed, REFERENCE, EN).status == [
        "The area is not on any of the lists of vulnerable housing areas.",
        "Its figures for work, education, income and crime do not put it on a list."]
    for status in ("none", "forebyggelse", "udsat", "parallelsamfund", "omdannelse", "undetermined"):
        for lang in (DA, EN):
            row = area(status=status, eligible=True, c1_met=True, c2_met=True, prevention_criteria="c1, c2")
            assert not CODES.search(area_summary(row, REFERENCE, lang).text()), status


def test_the_trend_and_the_plan():
    years = [{"year": 2019, "status": "udsat", "share_outside_work_edu": 0.40, "share_basic_edu": 0.5, "income_ratio": 0.5},
             {"year": 2024, "status": "none", "share_outside_work_edu": 0.30, "share_basic_edu": 0.49, "income_ratio": 0.6}]
    summary = area_summary(area(), REFERENCE, DA, years=years)
    # work -25 % (better), education -2 % (under 10 %: not said), income +20 % (better)
    assert summary.trend == ["I 2019 var området et udsat boligområde. Nu er det ikke på nogen liste.",
                             "En større del af de voksne er i job eller under uddannelse end i 2019.",
                             "Indkomsterne er steget mere end i resten af regionen siden 2019."]
    sites = [{"site_id": "S1", "site_name": "Nye Huse", "contains_site": True, "new_dwellings": 390, "new_jobs": 0,
              "share_social_family_before": 0.94, "share_social_family_after": 0.69, "status_before": "omdannelse",
              "status_after": "omdannelse", "jobs_bike_30_before": 10_000, "jobs_bike_30_change": 0.0, "rank": 1},
             {"site_id": "S2", "site_name": "Erhverv", "contains_site": False, "new_dwellings": 0, "new_jobs": 0,
              "jobs_bike_30_before": 10_000.0, "jobs_bike_30_change": 812.0, "rank": 2},
             {"site_id": "S3", "site_name": "Lille", "contains_site": False, "jobs_bike_30_before": 10_000.0,
              "jobs_bike_30_change": 99.0, "rank": 3}]
    schools = [{"scenario_id": "baseline", "school_name": "Nordskolen", "area_share": 0.9, "rank": 4},
               {"scenario_id": "SK1", "scenario_name": "Ny skole", "school_name": "Sydskolen", "area_share": 0.8, "rank": 1}]
    plan = area_summary(area(), REFERENCE, DA, sites=sites, schools=schools).plan
    assert plan == ["Projektet Nye Huse giver 390 nye boliger i området.",
                    "Så vil 7 ud af 10 boliger være almene familieboliger mod 9 i dag.",
                    "Med projektet Erhverv kan du nå cirka 810 flere job på cykel.",
                    "I skoleforslaget, der er nummer 1, Ny skole, vil de fleste børn herfra gå på Sydskolen i stedet "
                    "for Nordskolen."]


def test_the_small_map_fits_the_area_and_leaves_a_far_station_off():
    import shapely

    from pipeline.publish.summary.area_map import Places, drawing

    square = shapely.box(0, 0, 100, 100)
    # 272 x 182 px inside the margins: scale 1.82 px/m, the square centred: 59..241 across, 14..196 down
    far = drawing(Places(area=square, station=shapely.Point(10_000, 0), station_name="Fjern"))
    assert far["area"] == "M241.0 196.0 L241.0 14.0 L59.0 14.0 L59.0 196.0 L241.0 196.0 Z"
    assert far["station"] is None  # 9.9 km off, more than 3 times the square's 141 m diagonal
    assert far["scale_m"] == 50 and far["scale_px"] == 91.0  # the longest bar within a third of the width
    # a station 50 m east widens the frame to 150 x 100 m: scale 272 / 150, the station at 14 + 150 * scale
    near = drawing(Places(area=square, station=shapely.Point(150, 50), station_name="Nær"))
    assert near["station"] == (286.0, 105.0)
