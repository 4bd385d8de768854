"""The exact school districting: a mixed-integer programme solved by HiGHS (scipy.optimize.milp) that
proves the plan with the lowest D, then the shortest mean walk, then the fewest pupils moved, optimal."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_array, vstack

from pipeline.scenarios.districting_plans import DistrictingProblem


@dataclass(frozen=True)
class ExactResult:
    """The optimal plan (school index per unit) or None, HiGHS's status per solve, and whether it is proved."""

    assign: np.ndarray | None
    proved_optimal: bool
    status: str
    seconds: float


class _Model:
    """Variables: x[u,s] for the allowed unit-school pairs, f[s,arc] flow on each directed adjacency arc between
    two units allowed for s, t[s] = |g_s/G - r_s/R|."""

    def __init__(self, problem: DistrictingProblem, *, contiguity: bool = True, capacity: bool = True):
        self.p = problem
        n, k = problem.n_units, problem.n_schools
        allowed = problem.allowed
        self.pair_u, self.pair_s = np.nonzero(allowed)
        self.nx = len(self.pair_u)
        self.x_index = np.full((n, k), -1)
        self.x_index[self.pair_u, self.pair_s] = np.arange(self.nx)
        e = np.asarray(problem.edges, int).reshape(-1, 2)
        arcs = np.r_[e, e[:, ::-1]]
        fa, fs = [], []
        if contiguity:
            for s in range(k):
                ok = allowed[arcs[:, 0], s] & allowed[arcs[:, 1], s] & (arcs[:, 1] != problem.root[s])
                fa.append(np.flatnonzero(ok))
                fs.append(np.full(ok.sum(), s))
        self.arc_id = np.concatenate(fa) if fa else np.zeros(0, int)
        self.arc_s = np.concatenate(fs) if fs else np.zeros(0, int)
        self.arcs = arcs
        self.nf = len(self.arc_id)
        self.nt = k
        self.nvar = self.nx + self.nf + self.nt
        self.rows: list = []
        self.lb: list = []
        self.ub: list = []
        self._build(contiguity, capacity)

    def _add(self, rows, cols, vals, lb, ub, nrows):
        self.rows.append(coo_array((vals, (rows, cols)), shape=(nrows, self.nvar)))
        self.lb.append(np.broadcast_to(lb, nrows).astype(float))
        self.ub.append(np.broadcast_to(ub, nrows).astype(float))

    def _build(self, contiguity: bool, capacity: bool) -> None:
        p, n, k = self.p, self.p.n_units, self.p.n_schools
        # each unit to exactly one school
        self._add(self.pair_u, np.arange(self.nx), np.ones(self.nx), 1, 1, n)
        if capacity:
            bound = p.capacity_bound
            rows = self.pair_s
            self._add(rows, np.arange(self.nx), p.pupils[self.pair_u].astype(float), -np.inf,
                      np.where(np.isinf(bound), 1e18, bound), k)
        if contiguity and self.nf:
            # flow conservation: inflow - outflow = x[u,s] at every unit but the school's own
            heads = self.arcs[self.arc_id, 1]
            tails = self.arcs[self.arc_id, 0]
            fcol = self.nx + np.arange(self.nf)
            node_row = heads * k + self.arc_s
            tail_row = tails * k + self.arc_s
            xr = self.pair_u * k + self.pair_s
            not_root = self.pair_u != p.root[self.pair_s]
            rows = np.r_[node_row, tail_row, xr[not_root]]
            cols = np.r_[fcol, fcol, np.flatnonzero(not_root)]
            vals = np.r_[np.ones(self.nf), -np.ones(self.nf), -np.ones(not_root.sum())]
            keep = np.ones(n * k, bool)
            keep[p.root * k + np.arange(k)] = False  # the root's balance is free (it is the source)
            m = coo_array((vals, (rows, cols)), shape=(n * k, self.nvar)).tocsr()[np.flatnonzero(keep)]
            self.rows.append(m.tocoo())
            self.lb.append(np.zeros(m.shape[0]))
            self.ub.append(np.zeros(m.shape[0]))
            # flow only through units of the district: f[s,(u,v)] <= (n-1) x[u,s] and <= (n-1) x[v,s]
            big = float(n - 1)
            for end in (0, 1):
                ends = self.arcs[self.arc_id, end]
                xcol = self.x_index[ends, self.arc_s]
                r = np.arange(self.nf)
                self._add(np.r_[r, r], np.r_[fcol, xcol], np.r_[np.ones(self.nf), -big * np.ones(self.nf)],
                          -np.inf, 0, self.nf)
        # t_s >= +-(g_s/G - r_s/R)
        g = p.group.astype(float)
        r = p.pupils.astype(float) - g
        total_g, total_r = g.sum(), r.sum()
        if total_g > 0 and total_r > 0:
            coef = g[self.pair_u] / total_g - r[self.pair_u] / total_r
            tcol = self.nx + self.nf + np.arange(k)
            for sign in (1.0, -1.0):
                self._add(np.r_[self.pair_s, np.arange(k)], np.r_[np.arange(self.nx), tcol],
                          np.r_[sign * coef, -np.ones(k)], -np.inf, 0, k)

    def objectives(self) -> dict[str, np.ndarray]:
        p = self.p
        c_d = np.zeros(self.nvar)
        c_d[self.nx + self.nf:] = 0.5
        c_dist = np.zeros(self.nvar)
        total = max(float(p.pupils.sum()), 1.0)
        c_dist[: self.nx] = p.pupils[self.pair_u] * p.dist_m[self.pair_u, self.pair_s] / total
        c_moved = np.zeros(self.nvar)
        stays = (p.current[self.pair_u] == self.pair_s)
        c_moved[: self.nx] = -p.pupils[self.pair_u] * stays  # moved = P_known - sum stays
        return {"d": c_d, "dist": c_dist, "moved": c_moved}

    def bounds(self) -> Bounds:
        lb = np.zeros(self.nvar)
        ub = np.r_[np.ones(self.nx), np.full(self.nf, float(self.p.n_units - 1)), np.full(self.nt, np.inf)]
        for unit, school in self.p.fixed_units().items():
            lb[self.x_index[unit, school]] = 1
        return Bounds(lb, ub)

    def solve(self, *, time_limit_s: float = 60.0):
        """Lexicographic: min D; then min mean distance with D held; then min pupils moved with both held."""
        integrality = np.r_[np.ones(self.nx), np.zeros(self.nf + self.nt)]
        a = vstack(self.rows).tocsr()
        lb, ub = np.concatenate(self.lb), np.concatenate(self.ub)
        extra_rows, extra_lb, extra_ub = [], [], []
        result, proved = None, True
        costs = self.objectives()
        has_d = self.p.group.sum() > 0 and (self.p.pupils - self.p.group).sum() > 0
        for name in ("d", "dist", "moved"):
            if name == "d" and not has_d:
                continue
            cons = [LinearConstraint(a, lb, ub)]
            if extra_rows:
                cons.append(LinearConstraint(np.vstack(extra_rows), extra_lb, extra_ub))
            res = milp(costs[name], integrality=integrality, bounds=self.bounds(), constraints=cons,
                       options={"time_limit": time_limit_s, "disp": False, "mip_rel_gap": 0.0})
            if res.x is None:
                return None, False, res.message
            proved &= res.status == 0
            result = res
            value = float(costs[name] @ res.x)
            slack = 1e-7 * max(1.0, abs(value))
            extra_rows.append(costs[name])
            extra_lb.append(-np.inf)
            extra_ub.append(value + slack)
        x = result.x[: self.nx] > 0.5
        assign = np.full(self.p.n_units, -1)
        assign[self.pair_u[x]] = self.pair_s[x]
        return assign, proved, result.message


def solve_exact(problem: DistrictingProblem, *, time_limit_s: float = 60.0) -> ExactResult:
    """The lexicographically optimal plan under every constraint, or None with HiGHS's word why."""
    import time

    t0 = time.perf_counter()
    assign, proved, status = _Model(problem).solve(time_limit_s=time_limit_s)
    return ExactResult(assign, proved and assign is not None, status, time.perf_counter() - t0)


def binding_constraint(problem: DistrictingProblem, *, time_limit_s: float = 30.0) -> str:
    """When no plan meets every constraint: the constraint whose removal makes the problem feasible
    ('capacity', 'contiguity', or 'capacity and contiguity'); the walk rule is kept throughout."""
    for label, kwargs in (("capacity", {"capacity": False}), ("contiguity", {"contiguity": False})):
        assign, _, _ = _Model(problem, **kwargs).solve(time_limit_s=time_limit_s)
        if assign is not None:
            return label
    return "capacity and contiguity"
