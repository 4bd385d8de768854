"""Polishing a school district plan: moving single boundary blocks to the neighbouring district while that
lowers D (then mean distance), every district staying contiguous, within capacity and within the walk rule."""

from __future__ import annotations

import numpy as np
from scipy.sparse.csgraph import connected_components

from pipeline.scenarios.districting_plans import DistrictingProblem, plan_figures


def _objective(problem: DistrictingProblem, g: np.ndarray, r: np.ndarray, dist_sum: np.ndarray) -> np.ndarray:
    """D (rounded to 1e-12 so float noise never counts as a gain) and the total pupil distance, per row of
    per-school group sums g, other sums r and distance sums."""
    total_g, total_r = problem.group.sum(), (problem.pupils - problem.group).sum()
    d = 0.5 * np.abs(g / total_g - r / total_r).sum(axis=-1) if total_g > 0 and total_r > 0 else np.zeros(len(g))
    return np.round(d, 12), dist_sum.sum(axis=-1)


def _still_connected(problem: DistrictingProblem, assign: np.ndarray, unit: int) -> bool:
    """Whether unit's district stays in one piece (with its school's unit) without unit."""
    members = np.flatnonzero(assign == assign[unit])
    members = members[members != unit]
    if len(members) == 0:
        return False
    sub = problem.adjacency[members][:, members]
    count, _ = connected_components(sub, directed=False)
    return count == 1


def polish(problem: DistrictingProblem, assign: np.ndarray, *, max_moves: int = 500) -> np.ndarray:
    """Greedy best-improvement over single-block moves across district boundaries: each round moves the block
    whose move lowers D most (ties: mean distance) among the moves that keep every constraint; stops when no
    move lowers (D, mean distance) or after max_moves. A plan that breaks a constraint comes back unchanged."""
    assign = np.asarray(assign, int).copy()
    if not plan_figures(problem, assign)["proposal"]:
        return assign
    k = problem.n_schools
    p = problem.pupils.astype(float)
    grp = problem.group.astype(float)
    fixed = np.zeros(problem.n_units, bool)
    fixed[list(problem.fixed_units())] = True
    e = np.asarray(problem.edges, int).reshape(-1, 2)
    arcs = np.r_[e, e[:, ::-1]]  # (unit moves, to the district of) pairs
    rows = np.arange(problem.n_units)
    for _ in range(max_moves):
        g = np.bincount(assign, weights=grp, minlength=k)
        r = np.bincount(assign, weights=p - grp, minlength=k)
        load = np.bincount(assign, weights=p, minlength=k)
        dist_sum = np.bincount(assign, weights=p * problem.dist_m[rows, assign], minlength=k)
        unit, to = arcs[:, 0], assign[arcs[:, 1]]
        frm = assign[unit]
        ok = (frm != to) & ~fixed[unit] & problem.allowed[unit, to] & (load[to] + p[unit] <= problem.capacity_bound[to])
        unit, to, frm = unit[ok], to[ok], frm[ok]
        if not len(unit):
            break
        pairs = np.unique(np.c_[unit, to], axis=0)  # a block bordering a district along several edges: once
        unit, to = pairs[:, 0], pairs[:, 1]
        frm = assign[unit]
        n = len(unit)
        gg, rr, dd = (np.repeat(x[None, :], n, axis=0) for x in (g, r, dist_sum))
        idx = np.arange(n)
        for arr, values in ((gg, grp[unit]), (rr, p[unit] - grp[unit])):
            arr[idx, frm] -= values
            arr[idx, to] += values
        dd[idx, frm] -= p[unit] * problem.dist_m[unit, frm]
        dd[idx, to] += p[unit] * problem.dist_m[unit, to]
        d_new, s_new = _objective(problem, gg, rr, dd)
        d_now, s_now = _objective(problem, g[None, :], r[None, :], dist_sum[None, :])
        better = (d_new < d_now[0]) | ((d_new == d_now[0]) & (s_new < s_now[0] - 1e-6))
        moved = False
        for i in np.lexsort((s_new, d_new)):
            if not better[i]:
                break
            if _still_connected(problem, assign, int(unit[i])):
                assign[unit[i]] = to[i]
                moved = True
                break
        if not moved:
            break
    return assign
