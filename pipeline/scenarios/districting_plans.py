"""School district plans over units: the problem, each plan's figures (D, distances, pupils moved) and its
constraint checks (contiguity, capacity, walk), and the Pareto front of plans."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components


@dataclass(frozen=True, eq=False)
class DistrictingProblem:
    """Units (pupils, group pupils, adjacency), schools (capacity, own unit) and the unit-to-school distances.

    ``current`` is today's school index of each unit (-1 where today's district is unknown); ``root`` is the
    index of the unit each school stands in, which always stays with its school. A capacity of NaN sets no
    bound. A unit may go to school s when its distance to s is at most ``max_walk_m``, or at most its
    distance to today's school (no pupil's walk grows beyond the limit unless it was beyond it already); a unit
    without pupils may go to any school.
    """

    unit_ids: np.ndarray
    pupils: np.ndarray
    group: np.ndarray
    edges: np.ndarray  # (m, 2) unit indices, each pair once
    school_ids: np.ndarray
    capacity: np.ndarray
    root: np.ndarray
    dist_m: np.ndarray  # (units, schools)
    current: np.ndarray
    capacity_tolerance: float = 0.0
    max_walk_m: float = np.inf
    fixed: dict = field(default_factory=dict)  # unit index -> school index, besides the roots
    walk_m: np.ndarray | None = None  # (units, schools) the farthest pupil's walk, for the walk rule (else dist_m)

    @property
    def n_units(self) -> int:
        return len(self.unit_ids)

    @property
    def n_schools(self) -> int:
        return len(self.school_ids)

    @cached_property
    def capacity_bound(self) -> np.ndarray:
        """The most pupils each school may take: floor(capacity x (1 + tolerance)), inf where unknown."""
        bound = np.floor(np.asarray(self.capacity, float) * (1.0 + self.capacity_tolerance) + 1e-9)
        return np.where(np.isnan(bound), np.inf, bound)

    @cached_property
    def allowed(self) -> np.ndarray:
        """(units, schools) bool: the schools each unit may go to under the walk rule and the fixed units."""
        walk = self.dist_m if self.walk_m is None else self.walk_m
        today = np.full(self.n_units, np.inf)
        known = self.current >= 0
        today[known] = walk[np.flatnonzero(known), self.current[known]]
        limit = np.maximum(self.max_walk_m, np.where(np.isfinite(today), today, -np.inf))
        ok = walk <= limit[:, None] + 1e-9
        ok[np.flatnonzero(known), self.current[known]] = True  # staying put never breaks the walk rule
        ok[np.asarray(self.pupils) <= 0, :] = True  # a unit without pupils is nobody's walk
        for unit, school in self.fixed_units().items():
            ok[unit, :] = False
            ok[unit, school] = True
        return ok

    def fixed_units(self) -> dict[int, int]:
        """Unit index -> school index for every unit that cannot change school (the schools' own units first)."""
        fixed = {int(u): int(s) for u, s in self.fixed.items()}
        fixed.update({int(u): s for s, u in enumerate(self.root)})
        return fixed

    @cached_property
    def adjacency(self):
        """The units' adjacency as a symmetric sparse matrix."""
        n, e = self.n_units, np.asarray(self.edges, int).reshape(-1, 2)
        data = np.ones(2 * len(e))
        return coo_array((data, (np.r_[e[:, 0], e[:, 1]], np.r_[e[:, 1], e[:, 0]])), shape=(n, n)).tocsr()


def dissimilarity_across_schools(group: np.ndarray, others: np.ndarray) -> float:
    """D = 1/2 sum_s |g_s/G - r_s/R| over schools, with g the group's pupils and r the other pupils; NaN
    when either total is 0."""
    total_g, total_r = group.sum(), others.sum()
    if total_g <= 0 or total_r <= 0:
        return float("nan")
    return float(0.5 * np.abs(group / total_g - others / total_r).sum())


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The q-quantile of values weighted by weights (the smallest value whose cumulative weight reaches q)."""
    keep = weights > 0
    if not keep.any():
        return float("nan")
    order = np.argsort(values[keep], kind="stable")
    v, w = values[keep][order], weights[keep][order]
    cum = np.cumsum(w)
    return float(v[np.searchsorted(cum, q * cum[-1] - 1e-9)])


def contiguous_districts(problem: DistrictingProblem, assign: np.ndarray) -> np.ndarray:
    """Per school: whether its units form one connected piece that holds the school's own unit."""
    a = problem.adjacency.tocoo()
    same = assign[a.row] == assign[a.col]
    graph = coo_array((np.ones(same.sum()), (a.row[same], a.col[same])), shape=a.shape)
    _, label = connected_components(graph, directed=False)
    ok = np.zeros(problem.n_schools, bool)
    for s in range(problem.n_schools):
        units = np.flatnonzero(assign == s)
        ok[s] = assign[problem.root[s]] == s and len(units) > 0 and np.all(label[units] == label[problem.root[s]])
    return ok


def school_pupils(problem: DistrictingProblem, assign: np.ndarray) -> np.ndarray:
    return np.bincount(assign, weights=problem.pupils, minlength=problem.n_schools)


def plan_figures(problem: DistrictingProblem, assign: np.ndarray) -> dict:
    """The summary figures of one plan (assign: school index per unit), constraints checked independently."""
    assign = np.asarray(assign, int)
    p = problem.pupils.astype(float)
    g = problem.group.astype(float)
    k = problem.n_schools
    d = dissimilarity_across_schools(np.bincount(assign, weights=g, minlength=k),
                                     np.bincount(assign, weights=p - g, minlength=k))
    walked = problem.dist_m[np.arange(problem.n_units), assign]
    total = p.sum()
    mean = float((p * walked).sum() / total) if total > 0 else float("nan")
    moved = float(p[(problem.current >= 0) & (assign != problem.current)].sum())
    over = float(np.maximum(school_pupils(problem, assign) - problem.capacity_bound, 0).sum())
    walk_breaches = int((~problem.allowed[np.arange(problem.n_units), assign]).sum())
    contiguous = bool(contiguous_districts(problem, assign).all())
    return {
        "d_index": d, "mean_dist_m": mean, "p90_dist_m": weighted_quantile(walked, p, 0.9),
        "pupils_moved": moved, "pupils_over_capacity": over, "contiguous": contiguous,
        "walk_breaches": walk_breaches,
        "proposal": contiguous and over == 0 and walk_breaches == 0,
    }


def binding_constraints(figures: dict) -> str:
    """Which constraints a plan breaks, in words ('' when none)."""
    broken = [name for name, bad in (("contiguity", not figures["contiguous"]),
                                      ("capacity", figures["pupils_over_capacity"] > 0),
                                      ("walk", figures["walk_breaches"] > 0)) if bad]
    return ", ".join(broken)


def pareto_front(figures: pd.DataFrame, objectives=("d_index", "mean_dist_m", "pupils_moved")) -> np.ndarray:
    """Bool mask of the rows no other row dominates (at most as large on every objective, smaller on one)."""
    values = figures[list(objectives)].to_numpy(float)
    values = np.where(np.isnan(values), np.inf, values)
    le = (values[:, None, :] <= values[None, :, :] + 1e-12).all(axis=2)
    lt = (values[:, None, :] < values[None, :, :] - 1e-12).any(axis=2)
    dominated = (le & lt).any(axis=0)
    return ~dominated


def lexicographic_order(figures: pd.DataFrame) -> np.ndarray:
    """Row order by the objective: D, then mean distance, then pupils moved (NaN D last)."""
    d = figures["d_index"].to_numpy(float)
    return np.lexsort((figures["pupils_moved"].to_numpy(float), figures["mean_dist_m"].to_numpy(float),
                       np.round(np.where(np.isnan(d), np.inf, d), 12)))
