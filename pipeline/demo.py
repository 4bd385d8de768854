"""The synthetic demo municipality behind ``python -m pipeline demo-data``.

Writes the raw inputs of docs/architecture.md ("Raw inputs of the demo") for a fictional Danish suburban
municipality in the formats analysts receive them. One numpy Generator draws everything, so a seed always
gives the same data (and, with GDAL's timestamps pinned, the same bytes).

The layout is a grid of 1 km cells (10 x 8 at scale 1; each side grows with sqrt(scale)), each split into
four 500 m quadrants. Roads run along every cell edge; built cells get a street through their middle and a
street grid per quadrant whose spacing depends on what is built there (detached houses, terraces, blocks of
flats, a business park). A rail line with stations runs just south of one row, a motorway crosses the
second row on bridges, and a forest path crosses a road on a footbridge: crossings without a shared vertex.
The housing areas follow a status design: target rates per area derived from the `mix` thresholds in
pipeline/defaults.yaml, with margins that the parcel-level noise cannot cross (see `_rate_profiles`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import rasterio
import shapely
import yaml
from rasterio.features import rasterize
from scipy.ndimage import zoom

from pipeline._log import log
from pipeline.config import DEFAULTS_FILE

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
    years = {"omdannelse": mix["omdannelse_years"] + 1, "short": max(mix["omdannelse_years"] - 4, 0), "zero": 0}
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


# --------------------------------------------------------------------------------------------------
# Layout: cells and quadrants


@dataclass(frozen=True)
class Grid:
    """The cell grid: size, lower-left corner, the motorway row and the rail row."""

    nx: int
    ny: int
    x0: float
    y0: float
    motorway_row: int
    rail_row: int

    @property
    def rail_y(self) -> float:
        return self.y0 + self.rail_row * CELL_M - RAIL_OFFSET_M

    @property
    def motorway_y(self) -> float:
        return self.y0 + (self.motorway_row + 0.5) * CELL_M


def _grid(scale: float) -> Grid:
    """A grid of 1 km cells whose sides grow with sqrt(scale), centred on the demo's centre point."""
    nx = max(4, round(BASE_GRID[0] * math.sqrt(scale)))
    ny = max(4, round(BASE_GRID[1] * math.sqrt(scale)))
    return Grid(nx, ny, CENTRE_XY[0] - nx * CELL_M / 2, CENTRE_XY[1] - ny * CELL_M / 2, MOTORWAY_ROW, ny // 2 + 1)


def _area_plan(rng: np.random.Generator, scale: float, mix: dict) -> pd.DataFrame:
    """One row per housing area: archetype, layout, targets and rates (the status design)."""
    rows = []
    for arche in ARCHETYPES:
        rows += [arche] * max(arche.min_count, round(arche.count * scale))
    rows.append(CENTRE)
    profiles = _rate_profiles(mix)
    plan = pd.DataFrame({
        "archetype": [a.key for a in rows], "area_type": [a.area_type for a in rows],
        "layout": [a.layout for a in rows], "quads": [a.quads for a in rows],
        "ppd": [a.persons_per_dwelling for a in rows], "design_status": [a.status for a in rows],
        "years_listed": [_years_listed(a.years_listed, mix) for a in rows],
    })
    low = np.array([a.residents[0] if a.residents else 0 for a in rows])
    high = np.array([a.residents[1] if a.residents else 0 for a in rows])
    plan["residents_target"] = rng.integers(low, high + 1).astype(float)
    plan.loc[low == 0, "residents_target"] = np.nan
    for tenure in TENURES:
        plan[f"share_{tenure}"] = [a.tenure.get(tenure, 0.0) for a in rows]
    for rate in ("c1", "c2", "c3", "c4", "nw"):
        plan[rate] = [profiles[a.rates][rate] for a in rows]
    for age in ("adult", "working", "mid", "kids", "tax"):
        plan[age] = [AGE_PROFILES[a.ages][age] for a in rows]
    plan["house_spacing"] = rng.choice([100, 125], size=len(plan))
    return plan


def _cells(rng: np.random.Generator, grid: Grid, n_town: int, scale: float) -> pd.DataFrame:
    """One row per cell with its use: outside, farmland, town, centre, business or forest."""
    i, j = np.meshgrid(np.arange(grid.nx), np.arange(grid.ny))
    cells = pd.DataFrame({"i": i.ravel(), "j": j.ravel()})
    cells["x"] = grid.x0 + cells.i * CELL_M
    cells["y"] = grid.y0 + cells.j * CELL_M
    use = np.full(len(cells), "farmland", dtype=object)
    top, right = grid.ny - 1, grid.nx - 1
    corners = ((cells.i == 0) & (cells.j == top)) | ((cells.i == right) & (cells.j == top)) | (
        (cells.i == right) & (cells.j == 0))
    use[corners.to_numpy()] = "outside"
    use[((cells.i == grid.nx // 2) & (cells.j == grid.rail_row)).to_numpy()] = "centre"
    free = (use == "farmland") & (cells.j != grid.motorway_row).to_numpy()
    near_motorway = np.flatnonzero(free & cells.j.isin([grid.motorway_row - 1, grid.motorway_row + 1]).to_numpy())
    business = rng.choice(near_motorway, size=min(len(near_motorway), max(2, round(2 * scale))), replace=False)
    use[business] = "business"
    cells["forest_left"] = _place_forests(rng, grid, cells, use, max(1, round(scale)))
    free = (use == "farmland") & (cells.j != grid.motorway_row).to_numpy()
    candidates = np.flatnonzero(free)
    if len(candidates) < n_town:
        raise ValueError(f"scale {scale} is too small for the demo layout: use a scale of {MIN_SCALE} or more")
    decay = 1.5 * math.sqrt(scale)
    weight = np.exp(-np.abs(cells.j.to_numpy()[candidates] + 0.5 - grid.rail_row) / decay)
    weight *= np.exp(-np.abs(cells.i.to_numpy()[candidates] - grid.nx / 2) / grid.nx)
    town = rng.choice(candidates, size=n_town, replace=False, p=weight / weight.sum())
    use[town] = "town"
    cells["use"] = use
    return cells


def _place_forests(rng: np.random.Generator, grid: Grid, cells: pd.DataFrame, use: np.ndarray, n: int) -> np.ndarray:
    """Mark n forests of two side-by-side cells away from the motorway (use, in place); return whether
    each cell is the left cell of a forest."""
    left_of_forest = np.zeros(len(cells), bool)
    for _ in range(n):
        # Not beside the rail, where the towns grow.
        left = np.flatnonzero((use == "farmland") & (cells.j > grid.motorway_row + 1).to_numpy()
                              & (cells.i < grid.nx - 1).to_numpy()
                              & ~cells.j.isin([grid.rail_row - 1, grid.rail_row]).to_numpy())
        left = left[use[np.minimum(left + 1, len(use) - 1)] == "farmland"]
        if len(left) == 0:
            break
        first = rng.choice(left)
        use[[first, first + 1]] = "forest"
        left_of_forest[first] = True
    return left_of_forest


def _quads(rng: np.random.Generator, cells: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """One row per quadrant of every municipal cell: use, housing area (or -1) and street spacing."""
    inside = cells[cells.use != "outside"]
    quads = pd.DataFrame({
        "cell": np.repeat(inside.index.to_numpy(), 4),
        "qi": np.tile([0, 1, 0, 1], len(inside)), "qj": np.tile([0, 0, 1, 1], len(inside)),
    })
    quads["x"] = cells.x.to_numpy()[quads.cell] + quads.qi * QUAD_M
    quads["y"] = cells.y.to_numpy()[quads.cell] + quads.qj * QUAD_M
    cell_use = cells.use.to_numpy()[quads.cell]
    use = np.where(np.isin(cell_use, ["town", "centre"]), "", cell_use).astype(object)
    area = np.full(len(quads), -1)
    qi, qj = quads.qi.to_numpy(), quads.qj.to_numpy()
    # The centre cell: the centre's housing above, shops and offices below left, a park below right.
    centre, centre_area = cell_use == "centre", len(plan) - 1
    use[centre & (qj == 1)], area[centre & (qj == 1)] = "area", centre_area
    use[centre & (qj == 0) & (qi == 0)] = "centre_jobs"
    use[centre & (qj == 0) & (qi == 1)] = "park"
    firsts = np.flatnonzero((cell_use == "town") & (qi == 0) & (qj == 0))
    _fill_town_quads(rng, firsts, plan.quads.to_numpy()[:centre_area], use, area)
    quads["use"] = use
    quads["area"] = area
    layout = np.where(area >= 0, plan.layout.to_numpy()[np.maximum(area, 0)], use)
    house_spacing = plan.house_spacing.to_numpy()[np.maximum(area, 0)]
    quads["layout"] = layout
    quads["spacing"] = np.where(layout == "houses", house_spacing, pd.Series(layout).map(SPACING_M)).astype(int)
    return quads


def _fill_town_quads(rng: np.random.Generator, firsts: np.ndarray, area_quads: np.ndarray, use: np.ndarray,
                     area: np.ndarray) -> None:
    """Give each town cell (by the index of its first quadrant; quadrant q = qi + 2 qj follows) one civic
    quadrant and three area quadrants: a two-quadrant estate takes a horizontal pair. Leftover quadrants
    become parks (use and area are changed in place)."""
    estates = list(rng.permutation(np.flatnonzero(area_quads == 2)))
    singles = list(rng.permutation(np.flatnonzero(area_quads == 1)))
    for base in firsts[rng.permutation(len(firsts))]:
        civic = int(rng.integers(4))
        use[base + civic] = "school"
        rest = [q for q in range(4) if q != civic]
        if estates:
            pair = [0, 1] if civic >= 2 else [2, 3]
            estate = estates.pop()
            for q in pair:
                use[base + q], area[base + q] = "area", estate
            rest = [q for q in rest if q not in pair]
        for q in rest:
            if singles:
                use[base + q], area[base + q] = "area", singles.pop()
            else:
                use[base + q] = "park"
    if estates or singles:
        raise ValueError("the demo layout has too few town cells for its housing areas")


# --------------------------------------------------------------------------------------------------
# Bending the plan


@dataclass(frozen=True)
class Warp:
    """A smooth one-to-one displacement of the plane: the sum of a few sine waves per coordinate."""

    centre: tuple[float, float]
    waves: np.ndarray  # (n, 6): amplitude m, wavelength m, direction and phase of dx, direction and phase of dy

    def __call__(self, xy: np.ndarray) -> np.ndarray:
        """The bent coordinates of (n, 2) plan coordinates."""
        u, v = xy[:, 0] - self.centre[0], xy[:, 1] - self.centre[1]
        out = np.array(xy, dtype=float)
        for amplitude, wavelength, dir_x, phase_x, dir_y, phase_y in self.waves:
            k = 2 * np.pi / wavelength
            out[:, 0] += amplitude * np.sin(k * (u * np.cos(dir_x) + v * np.sin(dir_x)) + phase_x)
            out[:, 1] += amplitude * np.sin(k * (u * np.cos(dir_y) + v * np.sin(dir_y)) + phase_y)
        return out

    def inverse(self, xy: np.ndarray, iterations: int = 8) -> np.ndarray:
        """Plan coordinates of bent coordinates (fixed-point iteration: the displacement is a contraction)."""
        plan = np.array(xy, dtype=float)
        for _ in range(iterations):
            plan = xy - (self(plan) - plan)
        return plan


def _warp_field(rng: np.random.Generator) -> Warp:
    """The demo's bending: the waves of WARP_WAVES in random directions and phases."""
    n = len(WARP_WAVES)
    waves = np.column_stack([np.array(WARP_WAVES), rng.uniform(0, np.pi, (n, 4))])
    waves[:, [3, 5]] *= 2
    return Warp(CENTRE_XY, waves)


def _bent(geometry, warp: Warp, decimals: int = 2) -> np.ndarray:
    """Geometries densified along their straight plan lines, then bent (coordinates to `decimals`)."""
    geoms = shapely.segmentize(np.asarray(geometry), WARP_SEGMENT_M)
    return shapely.transform(geoms, lambda xy: np.round(warp(xy), decimals))


# --------------------------------------------------------------------------------------------------
# Streets


def _segments(grid: Grid, cells: pd.DataFrame, quads: pd.DataFrame) -> pd.DataFrame:
    """Straight street pieces (x1, y1, x2, y2, highway, walk, bike, level): level 1 crosses level 0 on a
    bridge, level -1 (links) joins every level it touches."""
    inside = (cells.use != "outside").to_numpy().reshape(grid.ny, grid.nx)
    padded = np.pad(inside, 1)
    centre = cells[cells.use == "centre"].iloc[0]
    ring = max(1, round(RING_CELLS * math.sqrt(grid.nx * grid.ny / (BASE_GRID[0] * BASE_GRID[1]))))
    open_land = cells.use.isin(["farmland", "outside"]).to_numpy().reshape(grid.ny, grid.nx)
    parts = [_arterials(grid, padded, open_land, (int(centre.i), int(centre.j)), ring), _split_streets(cells), _quad_streets(quads), _paths(cells, quads),
             _motorway(grid, cells)]
    return pd.concat(parts, ignore_index=True)


def _frame(x1, y1, x2, y2, highway: str, walk: bool, bike: bool, level: int) -> pd.DataFrame:
    """Street pieces with shared attributes."""
    x1 = np.asarray(x1, dtype=float)
    return pd.DataFrame({"x1": x1, "y1": np.asarray(y1, float), "x2": np.asarray(x2, float),
                         "y2": np.asarray(y2, float), "highway": highway, "walk": walk, "bike": bike, "level": level})


def _arterials(grid: Grid, padded: np.ndarray, open_land: np.ndarray, centre: tuple[int, int],
               ring: int) -> pd.DataFrame:
    """Roads along the cell edges that touch the municipality, one piece per cell side: a ring road
    `ring` cells around the centre cell and the two roads through the centre's corner are primary roads
    (the arterial network), the rest secondary roads. Between two cells of open land only every third
    north-south road is kept, staggered, as country roads are."""
    # Horizontal edge (i, j) lies between cells (i, j-1) and (i, j): padded rows j and j+1, column i+1.
    jh, ih = np.nonzero(padded[:-1, 1:-1] | padded[1:, 1:-1])
    # Vertical edge (i, j) lies between cells (i-1, j) and (i, j): padded row j+1, columns i and i+1.
    jv, iv = np.nonzero(padded[1:-1, :-1] | padded[1:-1, 1:])
    ci, cj = centre
    ring_h = np.isin(jh, [cj - ring, cj + ring + 1]) & (ih >= ci - ring) & (ih <= ci + ring)
    ring_v = np.isin(iv, [ci - ring, ci + ring + 1]) & (jv >= cj - ring) & (jv <= cj + ring)
    country = (iv > 0) & (iv < grid.nx) & open_land[jv, np.clip(iv - 1, 0, grid.nx - 1)] \
        & open_land[jv, np.clip(iv, 0, grid.nx - 1)] & ((iv + 2 * jv) % 3 != 0) & ~ring_v & (iv != ci)
    jv, iv, ring_v = jv[~country], iv[~country], ring_v[~country]
    xh, yh = grid.x0 + ih * CELL_M, grid.y0 + jh * CELL_M
    xv, yv = grid.x0 + iv * CELL_M, grid.y0 + jv * CELL_M
    horizontal = _frame(xh, yh, xh + CELL_M, yh, "secondary", True, True, 0)
    vertical = _frame(xv, yv, xv, yv + CELL_M, "secondary", True, True, 0)
    horizontal.loc[ring_h | (jh == cj), "highway"] = "primary"
    vertical.loc[ring_v | (iv == ci), "highway"] = "primary"
    return pd.concat([horizontal, vertical])


def _split_streets(cells: pd.DataFrame) -> pd.DataFrame:
    """A street through the middle of every built cell, both ways."""
    built = cells[cells.use.isin(["town", "centre", "business"])]
    x, y = built.x.to_numpy(), built.y.to_numpy()
    return pd.concat([_frame(x + QUAD_M, y, x + QUAD_M, y + CELL_M, "tertiary", True, True, 0),
                      _frame(x, y + QUAD_M, x + CELL_M, y + QUAD_M, "tertiary", True, True, 0)])


def _quad_streets(quads: pd.DataFrame) -> pd.DataFrame:
    """The local streets of each built quadrant: cross streets spanning it, and between them cul-de-sacs
    (in houses and terraces: a dead end from each side, joined by a short footpath) or through streets;
    blocks of flats get footpaths and cycle paths across their courtyards."""
    q = quads[quads.spacing < QUAD_M]
    per = (QUAD_M // q.spacing).astype(int).to_numpy() - 1
    rep = np.repeat(np.arange(len(q)), per)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(per) - per, per) + 1
    x, y, s = q.x.to_numpy()[rep], q.y.to_numpy()[rep], q.spacing.to_numpy()[rep]
    highway = np.where(q.use.to_numpy()[rep] == "business", "service", "residential")
    horizontal = _frame(x, y + k * s, x + QUAD_M, y + k * s, "", True, True, 0).assign(highway=highway)
    layout = q.layout.to_numpy()[rep]
    closes = np.isin(layout, CUL_DE_SAC_LAYOUTS)
    through = _frame(x[~closes] + k[~closes] * s[~closes], y[~closes], x[~closes] + k[~closes] * s[~closes],
                     y[~closes] + QUAD_M, "", True, True, 0).assign(highway=highway[~closes])
    return pd.concat([horizontal, through, _cul_de_sacs(x[closes] + k[closes] * s[closes], y[closes], s[closes]),
                      _courtyard_paths(q)])


def _cul_de_sacs(x: np.ndarray, y: np.ndarray, spacing: np.ndarray) -> pd.DataFrame:
    """Each block-long piece of the vertical lines at x (from y up the quadrant) as two dead ends meeting
    a walking and cycling path in the middle of the block (the Danish stikvej with its sti)."""
    rows = (QUAD_M // spacing).astype(int)
    rep = np.repeat(np.arange(len(x)), rows)
    r = np.arange(len(rep)) - np.repeat(np.cumsum(rows) - rows, rows)
    lx, s = x[rep], spacing[rep]
    low, high = y[rep] + r * s, y[rep] + (r + 1) * s
    middle = (low + high) / 2
    gap = CUL_DE_SAC_PATH_M / 2
    return pd.concat([_frame(lx, low, lx, middle - gap, "residential", True, True, 0),
                      _frame(lx, middle - gap, lx, middle + gap, "path", True, True, 0),
                      _frame(lx, middle + gap, lx, high, "residential", True, True, 0)])


def _courtyard_paths(q: pd.DataFrame) -> pd.DataFrame:
    """Footpaths (walk and bike) across the middle of every block of flats, both ways."""
    flats = q[q.layout == "flats"]
    per = (QUAD_M // flats.spacing).astype(int).to_numpy()
    rep = np.repeat(np.arange(len(flats)), per)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(per) - per, per)
    x, y, s = flats.x.to_numpy()[rep], flats.y.to_numpy()[rep], flats.spacing.to_numpy()[rep]
    at = (k + 0.5) * s
    return pd.concat([_frame(x + at, y, x + at, y + QUAD_M, "footway", True, True, 0),
                      _frame(x, y + at, x + QUAD_M, y + at, "cycleway", True, True, 0)])


def _paths(cells: pd.DataFrame, quads: pd.DataFrame) -> pd.DataFrame:
    """Paths: a cycle path and a footpath across every park (walk and bike), diagonals through forests
    (walk only), and in each forest a path that crosses the road between its two cells on a footbridge."""
    park = quads[quads.use == "park"]
    forest = cells[cells.use == "forest"]
    fx, fy = forest.x.to_numpy(), forest.y.to_numpy()
    left = cells[cells.forest_left]
    lx, ly = left.x.to_numpy(), left.y.to_numpy() + QUAD_M
    deck = 40.0
    return pd.concat([
        _frame(park.x, park.y, park.x + QUAD_M, park.y + QUAD_M, "cycleway", True, True, 0),
        _frame(park.x, park.y + QUAD_M, park.x + QUAD_M, park.y, "path", True, True, 0),
        _frame(fx, fy, fx + CELL_M, fy + CELL_M, "footway", True, False, 0),
        _frame(lx, ly, lx + CELL_M - deck, ly, "footway", True, False, -1),
        _frame(lx + CELL_M - deck, ly, lx + CELL_M + deck, ly, "footway", True, False, 1),
        _frame(lx + CELL_M + deck, ly, lx + 2 * CELL_M, ly, "footway", True, False, -1),
    ])


def _motorway(grid: Grid, cells: pd.DataFrame) -> pd.DataFrame:
    """A motorway across the motorway row on bridges over every road, with a ramp at each business park."""
    # Ways end in the middle of cells, never on a road it bridges.
    ends = np.concatenate([[grid.x0 - 300], grid.x0 + np.arange(grid.nx) * CELL_M + QUAD_M,
                           [grid.x0 + grid.nx * CELL_M + 300]])
    y = grid.motorway_y
    motorway = _frame(ends[:-1], y, ends[1:], y, "motorway", False, False, 1)
    business = cells[cells.use == "business"]
    ramp_x = business.x.to_numpy() + QUAD_M
    ramp_y = np.where(business.j.to_numpy() > grid.motorway_row, grid.y0 + (grid.motorway_row + 1) * CELL_M,
                      grid.y0 + grid.motorway_row * CELL_M)
    ramps = _frame(ramp_x, y, ramp_x, ramp_y, "motorway_link", False, False, -1).drop_duplicates()
    return pd.concat([motorway, ramps])


def _streets(segments: pd.DataFrame, warp: Warp) -> gpd.GeoDataFrame:
    """LineStrings with a shared vertex wherever two pieces of one level (or a link) meet or cross,
    as OpenStreetMap ways: junctions in the middle of a way are vertices of both ways. The plan's straight
    pieces are then bent: every plan coordinate maps to one bent coordinate, so junctions stay shared."""
    n = len(segments)
    x1, y1, x2, y2 = (segments[c].to_numpy() for c in ("x1", "y1", "x2", "y2"))
    level = segments.level.to_numpy()
    lines = shapely.linestrings(np.stack([np.stack([x1, y1], 1), np.stack([x2, y2], 1)], 1))
    left, right = shapely.STRtree(lines).query(lines, predicate="intersects")
    keep = (left < right) & ((level[left] == level[right]) | (level[left] == -1) | (level[right] == -1))
    left, right = left[keep], right[keep]
    meets = shapely.intersection(lines[left], lines[right])
    if (shapely.get_type_id(meets) != 0).any():
        raise RuntimeError("demo streets overlap along a stretch; the layout is inconsistent")
    px, py = shapely.get_coordinates(meets).T
    idx = np.concatenate([left, right, np.arange(n), np.arange(n)])
    xs = np.concatenate([px, px, x1, x2])
    ys = np.concatenate([py, py, y1, y2])
    pos = np.hypot(xs - x1[idx], ys - y1[idx])
    order = np.lexsort((pos, idx))
    idx, xs, ys, pos = idx[order], xs[order], ys[order], pos[order]
    repeat = np.zeros(len(idx), bool)
    repeat[1:] = (idx[1:] == idx[:-1]) & (np.abs(pos[1:] - pos[:-1]) < 1e-6)
    geometry = _bent(shapely.linestrings(xs[~repeat], ys[~repeat], indices=idx[~repeat]), warp)
    return gpd.GeoDataFrame({
        "street_id": 100_001 + np.arange(n, dtype=np.int64), "highway": segments.highway.to_numpy(),
        "walk": segments.walk.to_numpy(bool), "bike": segments.bike.to_numpy(bool),
    }, geometry=geometry, crs=CRS)


# --------------------------------------------------------------------------------------------------
# Parcels and their counts


def _blocks(quads: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """The street blocks of every housing quadrant, with the building type and parcels across and up."""
    q = quads[quads.area >= 0]
    per = (QUAD_M // q.spacing).astype(int).to_numpy()
    rep = np.repeat(np.arange(len(q)), per * per)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(per * per) - per * per, per * per)
    side = per[rep]
    s = q.spacing.to_numpy()[rep]
    blocks = pd.DataFrame({"area": q.area.to_numpy()[rep], "layout": q.layout.to_numpy()[rep], "spacing": s,
                           "x": q.x.to_numpy()[rep] + (k % side) * s, "y": q.y.to_numpy()[rep] + (k // side) * s})
    building = {"houses": "house", "terraces": "terrace", "flats": "flat", "centre": "flat"}
    kind = blocks.layout.map(building).to_numpy(dtype=object)
    mixed = (blocks.layout == "mixed").to_numpy()
    checker = ((blocks.x // s + blocks.y // s) % 2 == 0).to_numpy()
    kind[mixed] = np.where(checker[mixed], "house", "flat")
    blocks["building"] = kind
    dims = np.array([PARCELS_PER_BLOCK[(b, sp)] for b, sp in zip(kind, s, strict=True)])
    blocks["nx"], blocks["ny"] = dims[:, 0], dims[:, 1]
    return blocks


def _green_patch_blocks(rng: np.random.Generator, blocks: pd.DataFrame, plan: pd.DataFrame) -> np.ndarray:
    """One block per area of houses, terraces or mixed housing kept as a small green patch (under 1 ha)."""
    eligible = plan.layout.isin(["houses", "terraces", "mixed"]).to_numpy()[blocks.area.to_numpy()]
    key = rng.random(len(blocks)) + np.where(eligible, 0.0, 2.0)
    order = np.lexsort((key, blocks.area.to_numpy()))
    first = order[np.r_[True, blocks.area.to_numpy()[order][1:] != blocks.area.to_numpy()[order][:-1]]]
    return first[eligible[first]]


def _parcel_boxes(blocks: pd.DataFrame) -> pd.DataFrame:
    """Parcels as a regular subdivision of each block's buildable part (inside the street margins)."""
    count = (blocks.nx * blocks.ny).to_numpy()
    rep = np.repeat(np.arange(len(blocks)), count)
    k = np.arange(len(rep)) - np.repeat(np.cumsum(count) - count, count)
    b = blocks.iloc[rep]
    width = (b.spacing.to_numpy() - 2 * STREET_MARGIN_M) / b.nx.to_numpy()
    height = (b.spacing.to_numpy() - 2 * STREET_MARGIN_M) / b.ny.to_numpy()
    xmin = b.x.to_numpy() + STREET_MARGIN_M + (k % b.nx.to_numpy()) * width
    ymin = b.y.to_numpy() + STREET_MARGIN_M + (k // b.nx.to_numpy()) * height
    return pd.DataFrame({"area": b.area.to_numpy(), "building": b.building.to_numpy(),
                         "xmin": xmin, "ymin": ymin, "xmax": xmin + width, "ymax": ymin + height})


def _farm_boxes(rng: np.random.Generator, cells: pd.DataFrame) -> pd.DataFrame:
    """Farm parcels along the road at the bottom of half the farmland cells: outside every housing area."""
    farmland = cells[(cells.use == "farmland") & (rng.random(len(cells)) < 0.5)]
    xmin = farmland.x.to_numpy() + rng.uniform(80, 860, len(farmland))
    ymin = farmland.y.to_numpy() + 12.0
    return pd.DataFrame({"area": -1, "building": "farm", "xmin": xmin, "ymin": ymin, "xmax": xmin + 60.0,
                         "ymax": ymin + 70.0})


def _stochastic_round(rng: np.random.Generator, values: np.ndarray) -> np.ndarray:
    """Integers whose expectation equals the values (so area sums stay on target)."""
    floor = np.floor(values)
    return (floor + (rng.random(values.shape) < values - floor)).astype(np.int64)


def _noise(rng: np.random.Generator, n: int, sigma: float = 0.25) -> np.ndarray:
    """Parcel-to-parcel variation factors around 1."""
    return np.exp(sigma * rng.standard_normal(n)).clip(0.5, 1.6)


def _spread(rng: np.random.Generator, totals: np.ndarray, weights: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Integer counts per parcel that add up (up to rounding) to each group's total, in proportion to weights."""
    wsum = np.bincount(group, weights=weights, minlength=len(totals))
    share = np.divide(weights, wsum[group], out=np.zeros_like(weights), where=wsum[group] > 0)
    return _stochastic_round(rng, totals[group] * share)


def _sub_count(rng: np.random.Generator, base: np.ndarray, rate: np.ndarray, group: np.ndarray) -> np.ndarray:
    """A sub-group count per parcel (at most its base) whose area rate is the area's target rate: parcel
    noise is renormalised so it averages to 1 over each area's base."""
    factor = _noise(rng, len(base))
    bsum = np.bincount(group, weights=base)
    wsum = np.bincount(group, weights=base * factor)
    norm = np.divide(bsum, wsum, out=np.ones_like(bsum), where=wsum > 0)
    expected = base * np.minimum(rate * factor * norm[group], 1.0)
    return np.minimum(_stochastic_round(rng, expected), base)


def _dwellings(rng: np.random.Generator, parcels: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """Dwellings per parcel and tenure: one per house or farm, an area's flats and terraces share the rest
    of its dwelling target; tenures follow the area's shares, larger buildings taking social housing first."""
    group = parcels.group.to_numpy()
    building = parcels.building.to_numpy()
    size = ((parcels.xmax - parcels.xmin) * (parcels.ymax - parcels.ymin)).to_numpy()
    single = np.isin(building, ["house", "farm"])
    houses = np.bincount(group, weights=single, minlength=len(plan))
    wanted = np.round(plan.residents_target.to_numpy() / plan.ppd.to_numpy())
    rest = np.where(np.isnan(wanted), 0.0, np.maximum(wanted - houses, 0.0))
    total = np.where(single, 1, _spread(rng, rest, np.where(single, 0.0, size * _noise(rng, len(size))), group))
    tenure = _tenures(rng, total, group, plan[[f"share_{t}" for t in ALLOCATION_ORDER]].to_numpy())
    out = pd.DataFrame(index=parcels.index)
    for k, name in enumerate(ALLOCATION_ORDER):
        out[f"dwellings_{name}"] = np.where(tenure == k, total, 0).astype(np.int64)
    # Other dwellings: a granny flat on 2% of the houses, flats above shops in the centre.
    annex = (building == "house") & (rng.random(len(parcels)) < 0.02)
    above_shops = (plan.layout.to_numpy()[group] == "centre") & (rng.random(len(parcels)) < 0.15)
    out["dwellings_other"] = np.where(annex, 1, np.where(above_shops, rng.integers(1, 4, len(parcels)), 0))
    return out[[f"dwellings_{t}" for t in TENURES] + ["dwellings_other"]]


def _tenures(rng: np.random.Generator, dwellings: np.ndarray, group: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """The tenure (column of shares) of each parcel: within each area the parcels, largest first, fill
    the tenures in order, so each tenure's dwelling share misses its target by at most one building."""
    order = np.lexsort((rng.random(len(group)), -dwellings, group))
    sorted_group, sorted_dwellings = group[order], dwellings[order].astype(float)
    totals = np.bincount(group, weights=dwellings, minlength=len(shares))
    before = np.cumsum(sorted_dwellings) - sorted_dwellings
    group_start = np.bincount(sorted_group, weights=sorted_dwellings, minlength=len(shares)).cumsum() - totals
    middle = (before - group_start[sorted_group] + sorted_dwellings / 2) / np.maximum(totals[sorted_group], 1)
    tenure = np.empty(len(group), dtype=np.int64)
    tenure[order] = np.minimum((middle[:, None] >= np.cumsum(shares, axis=1)[sorted_group]).sum(axis=1),
                               shares.shape[1] - 1)
    return tenure


def _people(rng: np.random.Generator, parcels: pd.DataFrame, dwellings: pd.DataFrame, plan: pd.DataFrame,
            mix: dict) -> pd.DataFrame:
    """Every socio-economic count of a parcel, drawn around its area's target rates; sub-counts never
    exceed their base (residents >= 18+ >= 18-64 >= 30-59, and so on)."""
    group = parcels.group.to_numpy()
    homes = dwellings.sum(axis=1).to_numpy().astype(float)
    ppd = plan.ppd.to_numpy()
    from_homes = np.bincount(group, weights=homes, minlength=len(plan)) * ppd
    target = np.where(np.isnan(plan.residents_target.to_numpy()), from_homes, plan.residents_target.to_numpy())
    residents = _spread(rng, target, homes * _noise(rng, len(homes)), group)
    p = {c: plan[c].to_numpy()[group] for c in ("adult", "working", "mid", "kids", "tax", "c1", "c2", "c3", "c4", "nw")}
    adults = _sub_count(rng, residents, p["adult"], group)
    working = _sub_count(rng, adults, p["working"], group)
    mid = _sub_count(rng, working, p["mid"], group)
    taxpayers = _sub_count(rng, working, p["tax"], group)
    mean_income = p["c4"] * mix["regional_mean_income"]
    factor = _noise(rng, len(group), 0.3)
    norm = np.bincount(group, weights=taxpayers) / np.maximum(np.bincount(group, weights=taxpayers * factor), 1e-9)
    income = np.rint(taxpayers * mean_income * factor * norm[group]).astype(np.int64)
    return pd.DataFrame({
        "residents": residents, "residents_18_64": working,
        "outside_work_edu_18_64": _sub_count(rng, working, p["c1"], group),
        "residents_30_59": mid, "basic_edu_only_30_59": _sub_count(rng, mid, p["c3"], group),
        "residents_18plus": adults,
        "convicted_18plus": _sub_count(rng, adults, p["c2"] * mix["national_conviction_rate"], group),
        "taxpayers_15_64": taxpayers, "gross_income_sum_15_64": income,
        "non_western": _sub_count(rng, residents, p["nw"], group),
        "children_6_16": _sub_count(rng, residents - adults, p["kids"], group),
    }, index=parcels.index)


def _parcels(rng: np.random.Generator, grid: Grid, cells: pd.DataFrame, quads: pd.DataFrame,
             plan: pd.DataFrame, mix: dict) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """Parcels with dwellings and people, the small green patches left inside housing areas, and the
    built blocks (area, x, y, spacing) the parcels subdivide."""
    blocks = _blocks(quads, plan)
    patch = _green_patch_blocks(rng, blocks, plan)
    keep = np.ones(len(blocks), bool)
    keep[patch] = False
    boxes = pd.concat([_parcel_boxes(blocks[keep]), _farm_boxes(rng, cells)], ignore_index=True)
    clear = (boxes.ymin >= grid.rail_y + RAIL_CLEARANCE_M) | (boxes.ymax <= grid.rail_y - RAIL_CLEARANCE_M)
    boxes = boxes[clear].reset_index(drop=True)
    boxes["group"] = np.where(boxes.area >= 0, boxes.area, len(plan))
    # Farms outside every area form one more group, with the rural profile.
    rural = {"ppd": RURAL.persons_per_dwelling, **_rate_profiles(mix)[RURAL.rates], **AGE_PROFILES[RURAL.ages],
             "layout": "farm", "residents_target": np.nan,
             **{f"share_{t}": RURAL.tenure.get(t, 0.0) for t in TENURES}}
    groups = pd.concat([plan, pd.DataFrame([rural])], ignore_index=True)
    dwellings = _dwellings(rng, boxes, groups)
    people = _people(rng, boxes, dwellings, groups, mix)
    area_ids = plan.area_id.to_numpy()[np.maximum(boxes.area.to_numpy(), 0)]
    blank = (boxes.area.to_numpy() < 0) | (rng.random(len(boxes)) < 0.15)
    parcels = gpd.GeoDataFrame({
        "parcel_id": [f"P{k:06d}" for k in range(1, len(boxes) + 1)],
        "area_id": pd.array(np.where(blank, None, area_ids), dtype="string"),
        **{c: dwellings[c].to_numpy() for c in dwellings.columns},
        **{c: people[c].to_numpy() for c in COUNT_COLUMNS},
    }, geometry=_box(boxes.xmin, boxes.ymin, boxes.xmax, boxes.ymax), crs=CRS)
    return parcels, _patches(rng, blocks.iloc[patch]), blocks[keep]


def _patches(rng: np.random.Generator, blocks: pd.DataFrame) -> gpd.GeoDataFrame:
    """Small public green patches (pocket parks, playgrounds) of under 1 ha in a block."""
    side = np.minimum(blocks.spacing.to_numpy() - 2 * STREET_MARGIN_M, 92.0)
    inset = (blocks.spacing.to_numpy() - side) / 2
    x, y = blocks.x.to_numpy() + inset, blocks.y.to_numpy() + inset
    kind = np.where(rng.random(len(blocks)) < 0.8, "park", "other")
    return _green(_box(x, y, x + side, y + side), kind, True, "Lommepark")


def _box(xmin, ymin, xmax, ymax) -> np.ndarray:
    """Rectangles from coordinate arrays (or Series, whose index is dropped)."""
    return shapely.box(*(np.asarray(v, dtype=float) for v in (xmin, ymin, xmax, ymax)))


def _green(geometry: np.ndarray, kind, public, name: str) -> gpd.GeoDataFrame:
    """Green areas with kind, public and name (scalars repeat)."""
    n = len(geometry)
    return gpd.GeoDataFrame({"kind": np.broadcast_to(kind, n), "public": np.broadcast_to(public, n).astype(bool),
                             "name": np.full(n, name, dtype=object)}, geometry=geometry, crs=CRS)


# --------------------------------------------------------------------------------------------------
# Housing areas, schools and districts


def _housing_areas(quads: pd.DataFrame, plan: pd.DataFrame) -> gpd.GeoDataFrame:
    """Housing area polygons: the quadrants of each area (two side by side for the large estates)."""
    extent = quads[quads.area >= 0].groupby("area").agg(xmin=("x", "min"), ymin=("y", "min"), xmax=("x", "max"),
                                                        ymax=("y", "max")).loc[plan.index]
    years = pd.array(np.where(plan.area_type == "social", plan.years_listed, np.nan), dtype="Int64")
    return gpd.GeoDataFrame({
        "area_id": plan.area_id.to_numpy(), "name": plan.name.to_numpy(), "area_type": plan.area_type.to_numpy(),
        "years_listed": years,
    }, geometry=_box(extent.xmin, extent.ymin, extent.xmax + QUAD_M, extent.ymax + QUAD_M), crs=CRS)


def _area_outlines(blocks: pd.DataFrame, warp: Warp, n_areas: int) -> np.ndarray:
    """Each housing area's outline: its built blocks (bent, inside the street margins, where its parcels
    lie) closed over the streets between them (grown by AREA_CLOSING_M, shrunk back to AREA_OUTLINE_M outside
    them), without holes, so it follows the blocks."""
    blocks = blocks.sort_values("area", kind="stable")
    x, y, s = blocks.x.to_numpy(), blocks.y.to_numpy(), blocks.spacing.to_numpy()
    m = STREET_MARGIN_M
    boxes = _bent(_box(x + m, y + m, x + s - m, y + s - m), warp)
    grouped = shapely.multipolygons(boxes, indices=blocks.area.to_numpy())
    if len(grouped) != n_areas:
        raise RuntimeError("a demo housing area has no parcels; the layout is inconsistent")
    grown = shapely.buffer(grouped, AREA_CLOSING_M, quad_segs=2)
    closed = shapely.buffer(grown, AREA_OUTLINE_M - AREA_CLOSING_M, quad_segs=2)
    if (shapely.get_type_id(closed) != shapely.GeometryType.POLYGON).any():
        raise RuntimeError("a demo housing area falls apart in pieces; the layout is inconsistent")
    return shapely.polygons(shapely.get_exterior_ring(closed))


def _spread_out(rng: np.random.Generator, xy: np.ndarray, n: int) -> np.ndarray:
    """Indices of n points chosen one by one, each the farthest from those chosen so far."""
    n = min(n, len(xy))
    chosen = [int(rng.integers(len(xy)))]
    nearest = np.hypot(*(xy - xy[chosen[0]]).T)
    for _ in range(n - 1):
        nxt = int(np.argmax(nearest))
        chosen.append(nxt)
        nearest = np.minimum(nearest, np.hypot(*(xy - xy[nxt]).T))
    return np.array(sorted(chosen))


def _schools(rng: np.random.Generator, quads: pd.DataFrame, n: int, names: list[str]) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Schools in spread-out civic quadrants (the rest become parks), and the quadrant of each."""
    civic = quads[quads.use == "school"]
    chosen = civic.iloc[_spread_out(rng, civic[["x", "y"]].to_numpy() + QUAD_M / 2, n)]
    dropped = civic.index.difference(chosen.index)
    quads.loc[dropped, "use"] = "park"
    quads.loc[dropped, "spacing"] = SPACING_M["park"]
    quads.loc[dropped, "layout"] = "park"
    # The school building faces the street at the bottom of the quadrant's lower-left block, placed off
    # the round numbers so no district boundary (a bisector between schools) runs through a parcel's centre.
    x = chosen.x.to_numpy() + SPACING_M["school"] / 2 + rng.uniform(-40, 40, len(chosen))
    y = chosen.y.to_numpy() + STREET_MARGIN_M + rng.uniform(15, 30, len(chosen))
    schools = gpd.GeoDataFrame({"school_id": np.arange(1, len(chosen) + 1, dtype=np.int64),
                                "name": names[:len(chosen)], "capacity": 0},
                               geometry=shapely.points(x, y), crs=CRS)
    return schools, chosen


def _boundary(cells: pd.DataFrame) -> shapely.Polygon:
    """The municipality: every cell but the cut-off corners."""
    inside = cells[cells.use != "outside"]
    return shapely.union_all(_box(inside.x, inside.y, inside.x + CELL_M, inside.y + CELL_M))


def _districts(schools: gpd.GeoDataFrame, boundary: shapely.Polygon) -> gpd.GeoDataFrame:
    """School districts: the Voronoi cell of each school clipped to the municipality (an exact tiling)."""
    voronoi = shapely.voronoi_polygons(shapely.multipoints(schools.geometry.to_numpy()), extend_to=boundary,
                                       ordered=True)
    shapes = shapely.intersection(shapely.get_parts(voronoi), boundary)
    return gpd.GeoDataFrame({
        "district_id": [f"D{k:02d}" for k in schools.school_id],
        "school_id": schools.school_id.to_numpy(),
        "name": [n.removesuffix("skolen") + " skoledistrikt" for n in schools.name],
    }, geometry=shapes, crs=CRS)


def _capacities(rng: np.random.Generator, parcels: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> np.ndarray:
    """School capacities around each district's pupils (0.85 to 1.25 times, in 25s): some schools end
    up over capacity, most with room."""
    points = parcels.geometry.representative_point().to_numpy()
    part, district = shapely.STRtree(districts.geometry.to_numpy()).query(points, predicate="intersects")
    _, first = np.unique(part, return_index=True)
    pupils = np.bincount(district[first], weights=parcels.children_6_16.to_numpy()[part[first]],
                         minlength=len(districts))
    capacity = np.maximum(pupils * rng.uniform(0.85, 1.25, len(pupils)), 100)
    return (np.round(capacity / 25) * 25).astype(np.int64)


# --------------------------------------------------------------------------------------------------
# Jobs, green areas, stations, canopy and candidate sites


def _jobs(rng: np.random.Generator, cells: pd.DataFrame, quads: pd.DataFrame, n: int) -> pd.DataFrame:
    """Job sites (CVR production units) near streets, most in the business parks and the centre."""
    kind_of = {"business": "business", "centre_jobs": "centre", "school": "civic", "farmland": "farmland"}
    kind = quads.use.map(kind_of).to_numpy(dtype=object)
    kind[(quads.use == "area").to_numpy()] = "town"
    kind[((quads.use == "area") & (quads.layout == "centre")).to_numpy()] = "centre"
    frames = []
    for name, (share, log_mean) in JOB_MIX.items():
        pool = np.flatnonzero(kind == name)
        count = round(n * share)
        q = quads.iloc[rng.choice(pool, size=count)]
        frames.append(pd.DataFrame({
            "quad": q.index.to_numpy(), "kind": name,
            "sector": rng.choice(SECTORS[name], size=count),
            "jobs": np.floor(np.exp(log_mean + 1.0 * rng.standard_normal(count))).astype(np.int64),
        }))
    jobs = pd.concat(frames, ignore_index=True)
    q = quads.loc[jobs.quad]
    farm = (q.use == "farmland").to_numpy()
    spacing = np.where(farm, CELL_M, q.spacing.to_numpy())
    ox = np.where(farm, cells.x.to_numpy()[q.cell], q.x.to_numpy())
    oy = np.where(farm, cells.y.to_numpy()[q.cell], q.y.to_numpy())
    u, v = rng.uniform(0, QUAD_M, (2, len(jobs)))
    x, y = q.x.to_numpy() + u, q.y.to_numpy() + v
    # On farmland only the east-west roads run along every cell edge (see _arterials).
    x, y = _near_street(rng, x, y, ox, oy, spacing, farm)
    pnr = 1_000_000_000 + np.cumsum(rng.integers(1, 400_000, len(jobs)))
    return pd.DataFrame({"pnr": rng.permutation(pnr), "antal_ansatte": jobs.jobs, "branche": jobs.sector,
                         "x": np.round(x, 1), "y": np.round(y, 1)})


def _near_street(rng: np.random.Generator, x: np.ndarray, y: np.ndarray, ox: np.ndarray, oy: np.ndarray,
                 spacing: np.ndarray, only_y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Move points 12-25 m off the nearest street line of a grid (origin ox, oy; spacing), one axis each
    (the y axis, towards an east-west street, where only_y)."""
    offset = rng.uniform(12, 25, len(x))
    along_x = (rng.random(len(x)) < 0.5) & ~only_y
    for coord, origin, pick in ((x, ox, along_x), (y, oy, ~along_x)):
        line = origin + np.round((coord - origin) / spacing) * spacing
        side = np.where(coord >= line, 1.0, -1.0)
        coord[pick] = (line + side * offset)[pick]
    return x, y


def _green_areas(rng: np.random.Generator, cells: pd.DataFrame, quads: pd.DataFrame, schools_at: pd.DataFrame,
                 patches: gpd.GeoDataFrame, grid: Grid) -> gpd.GeoDataFrame:
    """Parks, forests, sports fields, nature areas and small patches; a few are private."""
    m = STREET_MARGIN_M
    park = quads[quads.use == "park"]
    forest = cells[cells.forest_left]
    # The sports field fills the school quadrant's upper-right block.
    sx, sy = schools_at.x.to_numpy() + SPACING_M["school"], schools_at.y.to_numpy() + SPACING_M["school"]
    farmland = cells[(cells.use == "farmland") & (cells.j != grid.motorway_row)]
    nature_cells = farmland.iloc[rng.choice(len(farmland), size=min(len(farmland), max(1, round(10 * len(cells) / 80))),
                                            replace=False)]
    radius = rng.uniform(90, 220, len(nature_cells))
    cx = nature_cells.x.to_numpy() + rng.uniform(260, 740, len(nature_cells))
    cy = nature_cells.y.to_numpy() + radius + 25
    blob = shapely.buffer(shapely.points(cx, cy), radius, quad_segs=3)
    blob = shapely.intersection(blob, _box(nature_cells.x + m, nature_cells.y + m,
                                                  nature_cells.x + CELL_M - m, nature_cells.y + CELL_M - m))
    sports = SPACING_M["school"] - m
    parts = [
        _green(_box(park.x + m, park.y + m, park.x + QUAD_M - m, park.y + QUAD_M - m), "park", True, "Park"),
        _green(_box(forest.x + 15, forest.y + 15, forest.x + 2 * CELL_M - 15, forest.y + CELL_M - 15),
               "forest", True, "Skov"),
        _green(_box(sx + m, sy + m, sx + sports, sy + sports), "sports", rng.random(len(sx)) > 0.1,
               "Idrætsanlæg"),
        _green(blob, "nature", rng.random(len(cx)) > 0.2, "Naturområde"),
        patches,
    ]
    green = pd.concat(parts, ignore_index=True)
    green.insert(0, "green_id", [f"G{k:04d}" for k in range(1, len(green) + 1)])
    return gpd.GeoDataFrame(green, geometry="geometry", crs=CRS)


def _stations(grid: Grid, cells: pd.DataFrame, scale: float, towns: list[str], warp: Warp) -> pd.DataFrame:
    """Stations on the rail line: one at the centre, the others at the towns along the line farthest
    from the stations already placed."""
    n = max(2, round(2 * math.sqrt(scale)))
    centre = cells[cells.use == "centre"].i.iloc[0]
    beside = cells[(cells.use == "town") & cells.j.isin([grid.rail_row - 1, grid.rail_row])].i.unique()
    columns = [centre]
    for _ in range(min(n - 1, len(beside))):
        gap = np.min(np.abs(beside[:, None] - np.array(columns)[None, :]), axis=1)
        columns.append(int(beside[np.argmax(gap)]))
    x = grid.x0 + np.array(columns) * CELL_M + QUAD_M
    return pd.DataFrame({"station_id": [f"ST{k}" for k in range(1, len(x) + 1)],
                         "name": [f"{t} Station" for t in towns[:len(x)]],
                         "wkt": shapely.to_wkt(_bent(shapely.points(x, np.full(len(x), grid.rail_y)), warp),
                                               rounding_precision=1)})


def _canopy(rng: np.random.Generator, grid: Grid, quads: pd.DataFrame, green: gpd.GeoDataFrame,
            warp: Warp) -> tuple[np.ndarray, rasterio.Affine]:
    """Tree canopy fraction at 10 m: by the land use of the plan quadrant under each cell (found by bending
    back), higher over forests and parks, with smooth noise."""
    base = np.full((grid.ny * 2, grid.nx * 2), CANOPY_BY_USE["farmland"], dtype=np.float32)
    row = (grid.ny * 2 - 1) - ((quads.y - grid.y0) // QUAD_M).astype(int)
    col = ((quads.x - grid.x0) // QUAD_M).astype(int)
    base[row, col] = quads.layout.map(CANOPY_BY_USE).fillna(CANOPY_BY_USE["farmland"]).to_numpy()
    margin = int(RASTER_MARGIN_M / CANOPY_CELL_M)
    shape = (round(grid.ny * CELL_M / CANOPY_CELL_M) + 2 * margin, round(grid.nx * CELL_M / CANOPY_CELL_M) + 2 * margin)
    left, top = grid.x0 - RASTER_MARGIN_M, grid.y0 + grid.ny * CELL_M + RASTER_MARGIN_M
    transform = rasterio.Affine(CANOPY_CELL_M, 0.0, left, 0.0, -CANOPY_CELL_M, top)
    # The plan position of every cell centre: bent back exactly on a grid of every STEP-th cell (the
    # bending is smooth at that scale), bilinear in between; in bands of rows to bound the memory.
    step = 5
    coarse_r, coarse_c = np.arange(0, shape[0] + step, step), np.arange(0, shape[1] + step, step)
    xx, yy = np.meshgrid(left + (coarse_c + 0.5) * CANOPY_CELL_M, top - (coarse_r + 0.5) * CANOPY_CELL_M)
    coarse = warp.inverse(np.column_stack([xx.ravel(), yy.ravel()])).reshape(len(coarse_r), len(coarse_c), 2)
    c = np.arange(shape[1])
    j0, s = c // step, ((c % step) / step)[None, :, None]
    canopy = np.empty(shape, dtype=np.float32)
    for start in range(0, shape[0], 256):
        r = np.arange(start, min(start + 256, shape[0]))
        i0, t = r // step, ((r % step) / step)[:, None, None]
        plan = ((1 - t) * ((1 - s) * coarse[i0][:, j0] + s * coarse[i0][:, j0 + 1])
                + t * ((1 - s) * coarse[i0 + 1][:, j0] + s * coarse[i0 + 1][:, j0 + 1]))
        row = (grid.ny * 2 - 1) - np.floor((plan[..., 1] - grid.y0) / QUAD_M).astype(int)
        col = np.floor((plan[..., 0] - grid.x0) / QUAD_M).astype(int)
        inside = (row >= 0) & (row < base.shape[0]) & (col >= 0) & (col < base.shape[1])
        band = np.full(row.shape, CANOPY_BY_USE["outside"], dtype=np.float32)
        band[inside] = base[row[inside], col[inside]]
        canopy[start:start + len(r)] = band
    shapes = zip(green.geometry, green.kind.map(CANOPY_BY_KIND), strict=True)
    burnt = rasterize(shapes, out_shape=canopy.shape, transform=transform, fill=np.nan, dtype="float32")
    canopy = np.where(np.isnan(burnt), canopy, burnt)
    coarse = rng.normal(0, 0.06, (canopy.shape[0] // 10 + 1, canopy.shape[1] // 10 + 1)).astype(np.float32)
    smooth = zoom(coarse, 10, order=1)[: canopy.shape[0], : canopy.shape[1]]
    fine = rng.normal(0, 0.03, canopy.shape).astype(np.float32)
    # Two decimals: the precision of a canopy product, and the file compresses ten times better.
    return np.round(np.clip(canopy + smooth + fine, 0, 1), 2).astype(np.float32), transform


def _candidate_sites(rng: np.random.Generator, grid: Grid, cells: pd.DataFrame, quads: pd.DataFrame,
                     plan: pd.DataFrame, areas: gpd.GeoDataFrame, schools: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Three school sites (one in a large estate, one on the edge of town, one replacing a school) and four
    development sites (in the omdannelse estate, a business park, the centre and on the edge of town)."""
    def area_box(archetype: str, dx: float, dy: float, half: float):
        centre = areas.geometry[plan.index[plan.archetype == archetype][0]].centroid
        return _box(centre.x + dx - half, centre.y + dy - half, centre.x + dx + half, centre.y + dy + half)

    edge_a, edge_b = _edge_of_town(rng, cells, quads)
    business = cells[cells.use == "business"].iloc[0]
    centre_jobs = quads[quads.use == "centre_jobs"].iloc[0]
    station = shapely.points(grid.x0 + (cells[cells.use == "centre"].i.iloc[0]) * CELL_M + QUAD_M, grid.rail_y)
    closing = schools.iloc[int(np.argmin(shapely.distance(schools.geometry.to_numpy(), station)))]
    rows = [
        ("SK1", "school", "Ny skole i " + _name_of(plan, "estate_parallelsamfund"), 500, None,
         area_box("estate_parallelsamfund", -125, -125, 45), (0, 0, 0, 0, 0, 0)),
        ("SK2", "school", "Ny skole ved byranden", None, None, edge_b, (0, 0, 0, 0, 0, 0)),
        ("SK3", "school", f"Ny fælles skole i bymidten (erstatter {closing['name']})", 750, str(closing.school_id),
         _box(centre_jobs.x + 215, centre_jobs.y + 115, centre_jobs.x + 285, centre_jobs.y + 185),
         (0, 0, 0, 0, 0, 0)),
        ("UD1", "development", "Omdannelse af " + _name_of(plan, "estate_omdannelse"), None, None,
         area_box("estate_omdannelse", -125, -125, 75), (0, 30, 180, 140, 40, 30)),
        ("UD2", "development", "Udvidelse af erhvervsparken", None, None,
         _box(business.x + 35, business.y + 35, business.x + 215, business.y + 215), (0, 0, 0, 0, 0, 900)),
        ("UD3", "development", "Fortætning af bymidten", None, None,
         area_box("centre", -250, 0, 35), (40, 20, 30, 220, 60, 120)),
        ("UD4", "development", "Nyt parcelhusområde ved byranden", None, None, edge_a, (0, 0, 140, 40, 20, 0)),
    ]
    new = np.array([r[6] for r in rows], dtype=np.int64)
    frame = {"site_id": [r[0] for r in rows], "kind": [r[1] for r in rows], "name": [r[2] for r in rows],
             "capacity": pd.array([r[3] for r in rows], dtype="Int64"),
             "closes_school_id": pd.array([r[4] for r in rows], dtype="string")}
    for k, tenure in enumerate(TENURES):
        frame[f"new_dwellings_{tenure}"] = new[:, k]
    frame["new_jobs"] = new[:, 5]
    return gpd.GeoDataFrame(frame, geometry=[r[5] for r in rows], crs=CRS)


def _name_of(plan: pd.DataFrame, archetype: str) -> str:
    """The name of the first area of an archetype."""
    return plan.name[plan.archetype == archetype].iloc[0]


def _edge_of_town(rng: np.random.Generator, cells: pd.DataFrame, quads: pd.DataFrame) -> list[shapely.Polygon]:
    """Two sites in farmland just across the road from a housing area (40 m from the road)."""
    by_cell = {(r.i, r.j): r.use for r in cells.itertuples()}
    sites = []
    facing = quads[(quads.use == "area") & (quads.layout != "centre")]
    for q in facing.iloc[rng.permutation(len(facing))].itertuples():
        ci, cj = cells.i[q.cell], cells.j[q.cell]
        faces = {(-1, 0): q.qi == 0, (1, 0): q.qi == 1, (0, -1): q.qj == 0, (0, 1): q.qj == 1}
        for (di, dj), on_edge in faces.items():
            if not on_edge or by_cell.get((ci + di, cj + dj)) != "farmland" or cj + dj == MOTORWAY_ROW:
                continue
            cx = q.x + QUAD_M / 2 + di * (QUAD_M / 2 + 40 + 75)
            cy = q.y + QUAD_M / 2 + dj * (QUAD_M / 2 + 40 + 75)
            site = _box(cx - 75, cy - 75, cx + 75, cy + 75)
            if not any(shapely.intersects(site, s) for s in sites):
                sites.append(site)
            break
        if len(sites) == 2:
            return sites
    raise ValueError("the demo layout has no farmland beside a housing area for the edge-of-town sites")


# --------------------------------------------------------------------------------------------------
# Writing


def _readme(plan: pd.DataFrame, seed: int, scale: float, counts: dict[str, int], name: str) -> str:
    """README.txt: what the files are, and that they are synthetic demonstration data."""
    lines = [
        f"{name}: synthetic demonstration data",
        "",
        "Every file in this folder is SYNTHETIC DEMONSTRATION DATA made by `python -m pipeline demo-data`",
        f"(seed {seed}, scale {scale:g}). The municipality, its areas, schools, people and jobs are fictional;",
        "the counts are drawn at random around designed rates. Do not use them for anything but trying the",
        "pipeline.",
        "",
        "Files (EPSG:25832 unless said otherwise):",
        "  municipality.gpkg    layers housing_areas, parcels, school_districts, streets, candidate_sites,",
        "                       municipality (the boundary the school districts tile)",
        "  schools.shp          schools; a Shapefile in cp1252 without a .cpg file (set encoding: cp1252)",
        "  green_areas.geojson  green areas in EPSG:4326",
        "  jobs.csv             job sites, Danish columns pnr, antal_ansatte, branche and x, y",
        "  stations.csv         stations with a WKT column `wkt`",
        "  canopy.tif           tree canopy fraction 0..1, 10 m, float32",
        "",
        "Rows: " + ", ".join(f"{k} {v:,}" for k, v in counts.items()),
        "",
        "Designed indicative status (Almenboligloven section 61a, default thresholds):",
    ]
    for status in ("omdannelse", "parallelsamfund", "udsat", "forebyggelse"):
        chosen = plan[plan.design_status == status]
        lines.append(f"  {status}: " + ", ".join(f"{a} {n}" for a, n in zip(chosen.area_id, chosen.name, strict=True)))
    lines.append("  none: every other area (small or mixed areas with poor figures included on purpose)")
    return "\n".join(lines) + "\n"


def _write_all(out: Path, layers: dict, canopy: tuple[np.ndarray, rasterio.Affine], readme: str) -> list[Path]:
    """Write every demo file; GDAL's timestamps are pinned so a seed gives the same bytes."""
    gpkg = out / "municipality.gpkg"
    gpkg.unlink(missing_ok=True)
    options = {"layer_options": {"DESCRIPTION": NOTE}, "layer_metadata": {"note": NOTE}}
    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": f"{FIXED_DATE}T00:00:00Z"})
    try:
        for layer in ("housing_areas", "parcels", "school_districts", "streets", "candidate_sites", "municipality"):
            layers[layer].to_file(gpkg, layer=layer, driver="GPKG", engine="pyogrio", **options)
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})
    shp = out / "schools.shp"
    for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
        shp.with_suffix(suffix).unlink(missing_ok=True)
    layers["schools"].to_file(shp, driver="ESRI Shapefile", engine="pyogrio", encoding="cp1252",
                              layer_options={"DBF_DATE_LAST_UPDATE": FIXED_DATE})
    shp.with_suffix(".cpg").unlink(missing_ok=True)  # as exported by many desktop GIS: the encoding is config
    geojson = out / "green_areas.geojson"
    geojson.unlink(missing_ok=True)
    layers["green_areas"].to_crs(GEO_CRS).to_file(geojson, driver="GeoJSON", engine="pyogrio",
                                                   layer_options={"DESCRIPTION": NOTE, "COORDINATE_PRECISION": 7})
    layers["jobs"].to_csv(out / "jobs.csv", index=False, lineterminator="\n")
    layers["stations"].to_csv(out / "stations.csv", index=False, lineterminator="\n")
    tif = out / "canopy.tif"
    data, transform = canopy
    profile = {"driver": "GTiff", "width": data.shape[1], "height": data.shape[0], "count": 1, "dtype": "float32",
               "crs": CRS, "transform": transform, "nodata": float("nan"), "compress": "deflate", "tiled": True,
               "blockxsize": 256, "blockysize": 256}
    with rasterio.open(tif, "w", **profile) as dst:
        dst.write(data, 1)
        dst.update_tags(note=NOTE, units="tree canopy fraction 0..1")
    (out / "README.txt").write_text(readme, encoding="utf-8")
    return [gpkg, *(shp.with_suffix(s) for s in (".shp", ".shx", ".dbf", ".prj")), geojson, out / "jobs.csv",
            out / "stations.csv", tif, out / "README.txt"]


# --------------------------------------------------------------------------------------------------
# Entry point


def generate(out_dir: str | Path, *, seed: int = 42, scale: float = 1.0) -> list[Path]:
    """Write the synthetic demo municipality to out_dir and return the files written.

    Parameters
    ----------
    out_dir
        Folder to write to (created if missing); existing demo files there are replaced.
    seed
        Seed of the random generator: the same seed gives the same data.
    scale
        Size factor: parcels, areas, job sites, streets and green areas grow with it, the extent with
        sqrt(scale) each way; scale 10 gives about 60,000 parcels.
    """
    if scale < MIN_SCALE:
        raise ValueError(f"scale {scale} is too small for the demo layout: use a scale of {MIN_SCALE} or more")
    rng = np.random.default_rng(seed)
    # the `mix` thresholds of pipeline/defaults.yaml, which the status design keeps clear of
    mix = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))["mix"]
    grid = _grid(scale)
    plan = _area_plan(rng, scale, mix)
    n_schools = max(2, round(12 * scale))
    pool = _name_pool(rng)
    # the pool of stems repeats at large scales; _unique numbers the repeats
    pool = [pool[k % len(pool)] for k in range(len(plan) + n_schools)]
    plan["area_id"] = [f"A{k:03d}" for k in range(1, len(plan) + 1)]
    # area names such as Ørnehøj or Kærparken, school names such as Lærkevangskolen
    plan["name"] = _unique([(p + s[0]).capitalize() for p, s in pool[: len(plan)]])
    school_names = _unique([(p + s[1]).capitalize() + "skolen" for p, s in pool[len(plan): len(plan) + n_schools]])
    towns = [p + TOWN_ENDINGS[k % len(TOWN_ENDINGS)] for k, p in enumerate(rng.permutation(PREFIXES))]
    area_quads = int(plan.quads.iloc[:-1].sum())
    n_town = max(int((plan.quads.iloc[:-1] == 2).sum()), math.ceil(area_quads / 3))
    cells = _cells(rng, grid, n_town, scale)
    quads = _quads(rng, cells, plan)
    schools, schools_at = _schools(rng, quads, n_schools, school_names)
    warp = _warp_field(rng)
    plan_areas = _housing_areas(quads, plan)
    parcels, patches, blocks = _parcels(rng, grid, cells, quads, plan, mix)
    parcels.geometry = _bent(parcels.geometry, warp)
    areas = plan_areas.set_geometry(_area_outlines(blocks, warp, len(plan)))
    sites = _candidate_sites(rng, grid, cells, quads, plan, plan_areas, schools)
    sites.geometry = _bent(sites.geometry, warp)
    schools.geometry = _bent(schools.geometry, warp, decimals=1)
    boundary = _bent(_boundary(cells), warp)
    districts = _districts(schools, boundary)
    schools["capacity"] = _capacities(rng, parcels, districts)
    streets = _streets(_segments(grid, cells, quads), warp)
    green = _green_areas(rng, cells, quads, schools_at, patches, grid)
    green.geometry = _bent(green.geometry, warp)
    jobs = _jobs(rng, cells, quads, round(1500 * scale))
    jobs[["x", "y"]] = np.round(warp(jobs[["x", "y"]].to_numpy(dtype=float)), 1)
    layers = {
        "housing_areas": areas, "parcels": parcels, "school_districts": districts, "streets": streets,
        "candidate_sites": sites,
        "municipality": gpd.GeoDataFrame({"name": [f"{towns[0]} Kommune"], "note": [NOTE]}, geometry=[boundary], crs=CRS),
        "schools": schools, "green_areas": green, "jobs": jobs,
        "stations": _stations(grid, cells, scale, towns, warp),
    }
    canopy = _canopy(rng, grid, quads, green, warp)
    counts = {name: len(frame) for name, frame in layers.items()}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = _write_all(out, layers, canopy, _readme(plan, seed, scale, counts, f"{towns[0]} Kommune"))
    log.info("Generated the demo municipality (seed %d, scale %g): %s", seed, scale,
             ", ".join(f"{v:,} {k}" for k, v in counts.items()))
    return paths
