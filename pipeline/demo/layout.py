"""The demo's layout: the grid of 1 km cells, their quadrants, and the warp that bends the plan."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from pipeline.demo.design import (
    AGE_PROFILES,
    ARCHETYPES,
    BASE_GRID,
    CELL_M,
    CENTRE,
    CENTRE_XY,
    MIN_SCALE,
    MOTORWAY_ROW,
    QUAD_M,
    RAIL_OFFSET_M,
    SPACING_M,
    TENURES,
    WARP_SEGMENT_M,
    WARP_WAVES,
    _rate_profiles,
    _years_listed,
)

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


