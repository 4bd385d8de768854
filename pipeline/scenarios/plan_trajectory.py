"""The plan over time, projected: housing areas' dwellings, residents and status year by year (CONTRACT 6a).

The engine behind plan_trajectory.parquet, plan_rehousing.parquet and plan_projects_effect.parquet. Several
variants of the plan run side by side as one array (scenarios x areas): the whole plan, the whole plan with
no rehoused resident arriving anywhere (to tell what rehousing alone does to a receiving area), the plan
without each project in turn (what that project alone does) and no plan at all. Per year the projects of
that year apply in order of project_id; then every area of every variant is measured with pipeline.mix's
own functions (tenure shares, criteria, the status under the rule set in force that year, the family
housing gap computed exactly in integers), so a projected figure is computed as the mix stage computes it.

The assumptions (docs/scenarios.md; every output calls its figures projections):
- existing dwellings keep the area's baseline residents per dwelling and composition (counts per resident);
- a dwelling built brings the residents per dwelling of its tenure, of the reference composition (by default
  the areas whose baseline status is none);
- a dwelling removed (demolished, or the minus side of a conversion) takes the area's baseline residents per
  dwelling at the area's composition at the start of the year; those of social family dwellings are rehoused
  (`same_area_share` in the same area, the rest over the receiving areas in proportion to their social family
  dwellings at the start of the year), in whole persons by largest remainder, carrying their origin's
  composition, arriving in the same year; those of other tenures leave the housing areas.
Residents are whole persons; the other person counts (and the income sum) are expected values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from pipeline.scenarios.plan_measure import SOCIAL_FAMILY, measure_years

# statuses in the order of how hard the list is; a receiving area moved up this order by rehousing is warned
STATUS_ORDER = ("none", "forebyggelse", "udsat", "parallelsamfund", "omdannelse")


class PlanProblem(ValueError):
    """A plan row the projection cannot apply: what is wrong, the projects, and what to do."""

    def __init__(self, what: str, fix: str, ids: list[str], column: str | None = None):
        super().__init__(f"{what}: {', '.join(ids)}")
        self.what, self.fix, self.ids, self.column = what, fix, ids, column


@dataclass
class Settings:
    """The plan's assumptions (config `plan`, plus what the stage derives from the data)."""

    data_year: int
    horizon: int
    kinds: list[str]  # dwelling kinds: the tenures and other, as the dwellings_<kind> columns of areas_mix
    counts: list[str]  # person counts (and the income sum) carried per resident
    residents_per_dwelling: dict[str, float]  # per kind, for dwellings built
    reference: np.ndarray  # per count, per resident of a dwelling built
    same_area_share: float = 0.0
    receiving_areas: list[str] = field(default_factory=list)  # empty: every other area with social family dwellings


@dataclass
class Projects:
    """The plan's projects in the order they apply: by year, then project_id."""

    table: pd.DataFrame  # project_id, name, plan, year, area_id, jobs_change, cost_dkk, dwellings_change_<kind>
    area_index: np.ndarray  # per project, the row of its area in the baseline
    change: np.ndarray  # (projects, kinds) signed dwellings


@dataclass
class Run:
    """The variants' figures, year by year: frames of (variants x areas) rows per year, plus the flows."""

    years: list[int]
    frames: list[tuple[pd.DataFrame, np.ndarray]]  # per year: measured rows, and each (variant, area)'s row

    def variant(self, y: int, v: int, columns: list[str] | None = None) -> pd.DataFrame:
        """Variant v's areas in year index y, in the baseline's order (only the given columns, when given)."""
        measured, source = self.frames[y]
        return (measured if columns is None else measured[columns]).iloc[source[v]].reset_index(drop=True)
    residents_removed: np.ndarray  # (years, variants, areas)
    rehoused_out: np.ndarray
    rehoused_in: np.ndarray
    flows: list[tuple[int, int, int, float]]  # (year, origin row, receiving row, residents) of variant 0
    unplaced: np.ndarray  # (years, variants): rehoused residents with no receiving area, who leave the areas


def round_half_up(values: np.ndarray) -> np.ndarray:
    """Whole numbers, halves up (NaN stays NaN)."""
    return np.floor(np.asarray(values, dtype="float64") + 0.5)


def largest_remainder(totals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Split each row's whole total over the row's whole-number weights in proportion, in whole units.

    Exact in integers (Hamilton's method): each share's floor, then one more to the largest remainders
    until the total is kept, ties to the earlier column. A row whose weights are all 0 gets nothing (the
    caller warns); a row whose total is unknown gets NaN wherever its weight is above 0.
    """
    totals = np.asarray(totals, dtype="float64")
    w = np.nan_to_num(np.asarray(weights, dtype="float64")).round().astype(np.int64)
    known = ~np.isnan(totals)
    m = np.where(known, totals, 0).astype(np.int64)
    wsum = w.sum(axis=1)
    safe = np.where(wsum > 0, wsum, 1)
    numerators = m[:, None] * w
    base, remainder = numerators // safe[:, None], numerators % safe[:, None]
    left = np.where(wsum > 0, m - base.sum(axis=1), 0)
    order = np.argsort(-remainder, axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(w.shape[1])[None, :].repeat(len(w), axis=0), axis=1)
    out = (base + (rank < left[:, None])).astype("float64")
    return np.where(known[:, None], out, np.where(w > 0, np.nan, 0.0))


def _times(count: np.ndarray, per: np.ndarray) -> np.ndarray:
    """count x per, 0 where count is 0 even if per is unknown (no one moved: nothing unknown moved)."""
    with np.errstate(invalid="ignore"):
        return np.where(np.asarray(count) == 0, 0.0, np.asarray(count) * per)


def share_of(total: np.ndarray, share: float) -> np.ndarray:
    """round_half_up(total x share), exact for a share written as a decimal (0.25 = 1/4)."""
    f = Fraction(str(share))
    return np.floor_divide(2 * np.asarray(total, dtype="float64") * f.numerator + f.denominator, 2 * f.denominator)


def _rows(frame: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Columns of frame as a float array (NaN for null or absent)."""
    return np.column_stack([pd.to_numeric(frame[c]).to_numpy(dtype="float64", na_value=np.nan)
                            if c in frame.columns else np.full(len(frame), np.nan) for c in columns])


def simulate(baseline: pd.DataFrame, projects: Projects, settings: Settings, mix_config: dict,
             active: np.ndarray, arrivals: np.ndarray) -> Run:
    """Run the variants from the data year to the horizon.

    active (variants, projects) says which projects each variant carries out, arrivals (variants,) whether
    rehoused residents arrive anywhere. Variant 0 must carry out every project: a demolition of more
    dwellings than its area then has raises PlanProblem; other variants remove what there is.
    """
    n_var, n_area = len(active), len(baseline)
    dw0 = _rows(baseline, [f"dwellings_{k}" for k in settings.kinds])
    res0 = _rows(baseline, ["residents"])[:, 0]
    total0 = dw0.sum(axis=1)
    per_dwelling = np.where(total0 > 0, res0 / np.where(total0 > 0, total0, 1), np.nan)
    area_ids = baseline["area_id"].astype("str").to_numpy()
    receivers = np.ones(n_area, dtype=bool) if not settings.receiving_areas else np.isin(area_ids, settings.receiving_areas)
    state = {"dw": np.repeat(dw0[None], n_var, axis=0), "res": np.repeat(res0[None], n_var, axis=0),
             "cnt": np.repeat(_rows(baseline, settings.counts)[None], n_var, axis=0)}
    sf = settings.kinds.index(SOCIAL_FAMILY)
    built_per = np.array([settings.residents_per_dwelling.get(k, np.nan) for k in settings.kinds])
    years = list(range(settings.data_year, settings.horizon + 1))
    removed_all, out_all, in_all = (np.zeros((len(years), n_var, n_area)) for _ in range(3))
    run = Run(years, [], removed_all, out_all, in_all, [], np.zeros((len(years), n_var)))
    project_years = projects.table["year"].to_numpy()
    context = _Context(projects, settings, state, run, arrivals, per_dwelling, built_per, receivers, sf)
    states = []
    for y, year in enumerate(years):
        dw_start, res_start, cnt_start = state["dw"].copy(), state["res"].copy(), state["cnt"].copy()
        with np.errstate(invalid="ignore", divide="ignore"):
            composition = cnt_start / res_start[:, :, None]  # per resident, at the start of the year
        for p in np.flatnonzero(project_years == year):
            _apply(context, p, y, active[:, p], composition, dw_start)
        states.append({k: state[k].copy() for k in ("dw", "res", "cnt")})
    measured, sources = measure_years(states, years, settings.kinds, settings.counts, baseline, mix_config)
    run.frames = [(measured, source) for source in sources]
    return run


@dataclass
class _Context:
    """What every project of a run applies to and with: the plan, the state of the variants, the assumptions."""

    projects: Projects
    settings: Settings
    state: dict
    run: Run
    arrivals: np.ndarray  # (variants,) whether rehoused residents arrive
    per_dwelling: np.ndarray  # (areas,) baseline residents per dwelling
    built_per: np.ndarray  # (kinds,) residents per dwelling built
    receivers: np.ndarray  # (areas,) may receive rehoused residents
    sf: int  # the index of social family among the kinds


def _apply(context: _Context, p: int, y: int, on: np.ndarray, composition: np.ndarray, dw_start: np.ndarray) -> None:
    """Project p in year index y in every variant that carries it out (on): dwellings, residents leaving, built
    and rehoused, with the areas' composition and dwellings at the start of the year."""
    projects, settings, run, sf = context.projects, context.settings, context.run, context.sf
    per_dwelling, built_per, receivers, arrivals = (context.per_dwelling, context.built_per, context.receivers,
                                                    context.arrivals)
    year = run.years[y]
    a, change = projects.area_index[p], projects.change[p]
    dw, res, cnt = context.state["dw"], context.state["res"], context.state["cnt"]
    have = dw[:, a, :]
    removed = np.where(on[:, None], np.clip(-change, 0, None)[None, :], 0.0)
    short = (removed > np.nan_to_num(have, nan=np.inf)) & on[:, None]
    if short[0].any():
        kinds = [settings.kinds[j] for j in np.flatnonzero(short[0])]
        pid = str(projects.table["project_id"].iloc[p])
        raise PlanProblem(
            f"project {pid} removes more {', '.join(kinds)} dwellings in {year} than area "
            f"{projects.table['area_id'].iloc[p]} has then (after the earlier projects)",
            "check the project's dwellings_change_<tenure> figures and year, or the area's dwellings in the data",
            [pid], column=f"dwellings_change_{kinds[0]}")
    removed = np.minimum(removed, np.nan_to_num(have, nan=np.inf))
    built = np.where(on[:, None], np.clip(change, 0, None)[None, :], 0.0)
    leaving_sf = round_half_up(_times(removed[:, sf], per_dwelling[a]))
    leaving_other = round_half_up(_times(removed.sum(axis=1) - removed[:, sf], per_dwelling[a]))
    leaving_sf = np.fmin(leaving_sf, res[:, a])  # fmin: an unknown count of residents caps nothing
    leaving_other = np.fmin(leaving_other, res[:, a] - leaving_sf)
    leaving = leaving_sf + leaving_other
    origin = composition[:, a, :]
    res[:, a] -= leaving
    cnt[:, a, :] -= _times(leaving[:, None], origin)
    newcomers = round_half_up(_times(built, built_per[None, :])).sum(axis=1)
    res[:, a] += newcomers
    cnt[:, a, :] += _times(newcomers[:, None], settings.reference[None, :])
    dw[:, a, :] += built - removed
    run.residents_removed[y, :, a] += leaving
    run.rehoused_out[y, :, a] += leaving_sf
    # rehousing: the same area's share, the rest over the receiving areas by their social family dwellings
    stay = share_of(leaving_sf, settings.same_area_share)
    weights = np.where(receivers[None, :], np.nan_to_num(dw_start[:, :, sf]), 0.0)
    weights[:, a] = 0.0
    placed = largest_remainder(leaving_sf - stay, weights)
    run.unplaced[y] += np.where(weights.sum(axis=1) > 0, 0.0, np.nan_to_num(leaving_sf - stay))
    placed[:, a] += stay
    placed = np.where((on & arrivals)[:, None], placed, 0.0)
    res += placed
    cnt += _times(placed[:, :, None], origin[:, None, :])
    run.rehoused_in[y] += placed
    if on[0] and arrivals[0]:
        for r in np.flatnonzero(np.nan_to_num(placed[0], nan=1.0) != 0):
            run.flows.append((year, int(a), int(r), float(placed[0, r])))
