"""The demo's design: constants, the archetypes of housing areas and their designed rates, names."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

NOTE = "Synthetic demonstration data: a fictional municipality, not a real place."
CRS = "EPSG:25832"
GEO_CRS = "EPSG:4326"
CENTRE_XY = (705_000.0, 6_173_000.0)
BASE_GRID = (10, 8)
CELL_M = 1000.0
QUAD_M = 500.0
STREET_MARGIN_M = 8.0
RAIL_OFFSET_M = 30.0
RAIL_CLEARANCE_M = 12.0
CANOPY_CELL_M = 10.0
MOTORWAY_ROW = 1
# The ring road runs this many cells around the centre cell at scale 1 (more with the extent).
RING_CELLS = 2
# Layouts whose cross streets are cul-de-sacs (two dead ends joined by a footpath of this length, m).
CUL_DE_SAC_LAYOUTS = ("houses", "terraces")
CUL_DE_SAC_PATH_M = 24.0
# The smooth displacement that bends the straight plan into curved streets and irregular blocks:
# (amplitude m, wavelength m) per wave, each in a random direction: a sweep across the municipality, bends
# of the roads, waves of the local streets. The slopes (2 pi amplitude / wavelength: 0.19, 0.19 and 0.14)
# keep the map one-to-one, so every junction stays a junction, every bridge a crossing without one, and no two
# areas' outlines meet (tests/test_demo.py checks all three).
WARP_WAVES = ((200.0, 6500.0), (55.0, 1800.0), (12.0, 550.0))
# Vertices along every plan line before bending (m): the detail of curved streets and outlines.
WARP_SEGMENT_M = 40.0
# Housing area outlines: the parcels grown by the closing distance (bridging the streets between them) and
# shrunk back to this far outside them (m); under half the narrowest street, so no two areas meet.
AREA_CLOSING_M = 12.0
AREA_OUTLINE_M = 3.0
# The canopy raster reaches this far beyond the plan's extent: more than the sum of the WARP_WAVES amplitudes.
RASTER_MARGIN_M = 300.0
MIN_SCALE = 0.5
FIXED_DATE = "2024-01-01"

TENURES = ("social_family", "social_other", "owner", "private_rental", "cooperative")
# Larger buildings take the tenures first in this order, so owner-occupied dwellings end up in the houses.
ALLOCATION_ORDER = ("social_family", "social_other", "private_rental", "cooperative", "owner")
COUNT_COLUMNS = (
    "residents", "residents_18_64", "outside_work_edu_18_64", "residents_30_59", "basic_edu_only_30_59",
    "residents_18plus", "convicted_18plus", "taxpayers_15_64", "gross_income_sum_15_64", "non_western",
    "children_6_16",
)
# Local street spacing (m) per quadrant use; 500 means no streets inside the quadrant.
SPACING_M = {"terraces": 125, "flats": 250, "mixed": 125, "centre": 100, "centre_jobs": 100, "school": 250,
             "park": 500, "business": 250, "forest": 500, "farmland": 500}
# Parcels per block (across, up) by building type and street spacing.
PARCELS_PER_BLOCK = {("house", 100): (4, 3), ("house", 125): (4, 3), ("terrace", 125): (2, 4),
                     ("flat", 250): (2, 2), ("flat", 125): (2, 1), ("flat", 100): (2, 2)}
# Canopy fraction by quadrant use, and burnt in over green areas by kind.
CANOPY_BY_USE = {"houses": 0.24, "terraces": 0.16, "flats": 0.12, "mixed": 0.16, "centre": 0.06,
                 "centre_jobs": 0.04, "school": 0.12, "park": 0.40, "business": 0.03, "forest": 0.85,
                 "farmland": 0.04, "outside": 0.04}
CANOPY_BY_KIND = {"forest": 0.85, "park": 0.45, "nature": 0.35, "sports": 0.06, "other": 0.30}

PREFIXES = ("Ørne", "Kær", "Bøge", "Lærke", "Mølle", "Sønder", "Nørre", "Vester", "Øster", "Rød", "Hvid",
            "Lind", "Hyld", "Ege", "Birke", "Rønne", "Tjørne", "Hassel", "Skov", "Strand", "Mose", "Eng",
            "Hede", "Stær", "Svane", "Trane", "Ugle", "Fasan", "Rå", "Bæk", "Gåse", "Hjorte", "Kilde", "Æble",
            "Pære", "Blomme", "Spurve", "Solsikke", "Kløver", "Humle")
# (area name ending, school name stem ending)
SUFFIXES = (("parken", "park"), ("haven", "have"), ("gården", "gård"), ("vangen", "vang"), ("høj", "høj"),
            ("lunden", "lund"), ("bakken", "bakke"), ("engen", "eng"), ("toften", "toft"),
            ("marken", "mark"), ("dal", "dal"), ("holm", "holm"), ("bjerg", "bjerg"), ("ager", "ager"),
            ("kæret", "kær"))
TOWN_ENDINGS = ("rup", "strup", "løse", "by", "sted", "lev", "bæk", "inge")
SECTORS = {
    "business": ("Industri", "Transport og logistik", "Engroshandel", "Bygge og anlæg", "Erhvervsservice"),
    "centre": ("Detailhandel", "Offentlig administration", "Finansiering og forsikring",
               "Hoteller og restauranter", "Sundhed og socialvæsen", "Information og kommunikation"),
    "civic": ("Undervisning", "Sundhed og socialvæsen", "Offentlig administration"),
    "town": ("Detailhandel", "Sundhed og socialvæsen", "Undervisning", "Erhvervsservice"),
    "farmland": ("Landbrug, jagt og skovbrug", "Bygge og anlæg"),
}
# Share of job sites per location kind, and the log-mean employees per site.
JOB_MIX = {"business": (0.45, 2.4), "centre": (0.22, 1.9), "civic": (0.06, 2.2), "town": (0.22, 1.2),
           "farmland": (0.05, 0.6)}


@dataclass(frozen=True)
class Archetype:
    """A kind of housing area: how many at scale 1, its layout, tenure mix, rates and designed status."""

    key: str
    count: float
    min_count: int
    area_type: str
    layout: str
    quads: int
    residents: tuple[int, int] | None  # target range; None: from the dwellings (houses)
    tenure: dict[str, float]
    rates: str
    ages: str
    persons_per_dwelling: float
    status: str
    years_listed: str | None = None  # "omdannelse" (listed long enough), "short", "zero" or None


ARCHETYPES = (
    Archetype("estate_omdannelse", 1, 1, "social", "flats", 2, (2500, 2700),
              {"social_family": 0.93, "social_other": 0.04, "private_rental": 0.03}, "omdannelse", "family",
              2.3, "omdannelse", "omdannelse"),
    Archetype("estate_parallelsamfund", 1, 1, "social", "flats", 2, (2000, 2200),
              {"social_family": 0.88, "social_other": 0.10, "owner": 0.02}, "parallelsamfund", "family",
              2.3, "parallelsamfund", "short"),
    Archetype("estate_udsat", 1, 1, "social", "flats", 2, (1650, 1800),
              {"social_family": 0.85, "social_other": 0.15}, "udsat", "family", 2.2, "udsat", "zero"),
    Archetype("social_forebyggelse", 1, 1, "social", "flats", 1, (1250, 1350),
              {"social_family": 0.80, "social_other": 0.20}, "forebyggelse", "family", 2.2, "forebyggelse",
              "zero"),
    Archetype("social_none", 1, 1, "social", "flats", 1, (1120, 1200),
              {"social_family": 0.70, "social_other": 0.30}, "calm", "family", 2.1, "none", "zero"),
    # Rates as bad as an udsat estate, but under min_residents: no status.
    Archetype("social_small", 4, 1, "social", "flats", 1, (300, 800),
              {"social_family": 0.62, "social_other": 0.38}, "udsat", "family", 2.0, "none", "zero"),
    # Rates as bad as an omdannelse estate, but a social share under min_social_share: no status.
    Archetype("mixed_large", 1, 1, "mixed", "mixed", 1, (1300, 1450),
              {"social_family": 0.32, "social_other": 0.06, "owner": 0.32, "private_rental": 0.20,
               "cooperative": 0.10}, "omdannelse", "family", 2.2, "none"),
    Archetype("mixed", 3, 1, "mixed", "mixed", 1, (600, 900),
              {"social_family": 0.25, "social_other": 0.05, "owner": 0.40, "private_rental": 0.20,
               "cooperative": 0.10}, "average", "family", 2.1, "none"),
    Archetype("owner", 18, 2, "private", "houses", 1, None, {"owner": 0.96, "private_rental": 0.04},
              "affluent", "family", 2.6, "none"),
    Archetype("private_rental", 4, 1, "private", "terraces", 1, (500, 700),
              {"private_rental": 0.90, "owner": 0.10}, "average", "young", 1.8, "none"),
    Archetype("cooperative", 4, 1, "private", "terraces", 1, (450, 600),
              {"cooperative": 0.92, "private_rental": 0.08}, "calm", "young", 1.9, "none"),
)
CENTRE = Archetype("centre", 1, 1, "mixed", "centre", 2, (1400, 1600),
                   {"social_family": 0.05, "social_other": 0.05, "owner": 0.20, "private_rental": 0.55,
                    "cooperative": 0.15}, "average", "young", 1.7, "none")
RURAL = Archetype("rural", 0, 0, "private", "farm", 0, None, {"owner": 1.0}, "affluent", "family", 2.6, "none")

# Age structure: 18+ of residents, 18-64 of 18+, 30-59 of 18-64, 6-16 of under 18, taxpayers of 18-64.
AGE_PROFILES = {
    "family": {"adult": 0.72, "working": 0.84, "mid": 0.58, "kids": 0.62, "tax": 0.97},
    "young": {"adult": 0.84, "working": 0.88, "mid": 0.50, "kids": 0.55, "tax": 0.97},
}


# --------------------------------------------------------------------------------------------------
# Status design


def _rate_profiles(mix: dict) -> dict[str, dict[str, float]]:
    """Target per-area rates: c1 share outside work/education, c2 crime ratio, c3 basic-education share,
    c4 income ratio and the non-western share, each at least 0.05 (c2: 0.8) from the threshold it must
    clear. Parcel noise is renormalised per area, so an area's rate misses its target by rounding only.
    """
    c1, c2, c3, c4 = (mix["c1_outside_work_edu_gt"], mix["c2_crime_ratio_ge"], mix["c3_basic_edu_gt"],
                      mix["c4_income_ratio_lt"])
    fc1, fc2, fc4 = mix["forebyggelse_c1_gt"], mix["forebyggelse_c2_ge"], mix["forebyggelse_c4_lt"]
    fnw, pnw = mix["forebyggelse_non_western_gt"], mix["parallelsamfund_non_western_gt"]
    return {
        # 4 criteria, non-western well over the parallelsamfund line.
        "omdannelse": {"c1": c1 + 0.10, "c2": c2 + 1.0, "c3": c3 + 0.10, "c4": c4 - 0.10, "nw": pnw + 0.15},
        # c1, c3, c4 met (c2 clearly not); non-western over the parallelsamfund line.
        "parallelsamfund": {"c1": c1 + 0.08, "c2": c2 - 1.2, "c3": c3 + 0.08, "c4": c4 - 0.08, "nw": pnw + 0.08},
        # c1, c2, c4 met (losing c2 to noise still leaves 2); non-western between the two lines.
        "udsat": {"c1": c1 + 0.07, "c2": c2 + 0.8, "c3": c3 - 0.15, "c4": c4 - 0.07, "nw": (fnw + pnw) / 2},
        # No main criterion; prevention c1 and c4 met half-way between the lines; c2 below both.
        "forebyggelse": {"c1": (fc1 + c1) / 2, "c2": fc2 - 0.8, "c3": c3 - 0.20, "c4": (fc4 + c4) / 2,
                         "nw": (fnw + pnw) / 2},
        # Under every prevention threshold.
        "calm": {"c1": fc1 - 0.10, "c2": max(fc2 - 1.2, 0.3), "c3": c3 - 0.30, "c4": fc4 + 0.20, "nw": fnw - 0.12},
        "average": {"c1": fc1 - 0.08, "c2": max(fc2 - 1.0, 0.5), "c3": c3 - 0.28, "c4": fc4 + 0.25, "nw": fnw - 0.12},
        "affluent": {"c1": 0.10, "c2": 0.4, "c3": 0.15, "c4": 1.25, "nw": 0.07},
    }


def _years_listed(kind: str | None, mix: dict) -> float:
    """Consecutive earlier years as parallelsamfund for the designed status (NaN for non-social areas)."""
    # as the history of earlier years (pipeline/demo/history.py) derives them: the omdannelse estate listed in
    # each of the omdannelse_years - 1 earlier years, the parallelsamfund estate in the last one only
    years = {"omdannelse": mix["omdannelse_years"] - 1, "short": 1, "zero": 0}
    return float(years[kind]) if kind is not None else math.nan


# --------------------------------------------------------------------------------------------------
# Names


def _name_pool(rng: np.random.Generator) -> list[tuple[str, str]]:
    """Every (prefix, suffix) pair in random order: unique fictional Danish-sounding name stems."""
    pairs = [(p, s) for p in PREFIXES for s in range(len(SUFFIXES))]
    order = rng.permutation(len(pairs))
    return [(pairs[i][0], SUFFIXES[pairs[i][1]]) for i in order]


def _unique(names: list[str]) -> list[str]:
    """Names made unique with a numeral where the pool repeats (only at very large scales)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} {seen[name]}")
    return out


