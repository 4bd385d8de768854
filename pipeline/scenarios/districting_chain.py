"""The school districting chain: GerryChain's ReCom (merge two neighbouring districts, draw a random spanning
tree, cut one edge) with a cut finder that keeps each school in its own district, within capacity and within
the walk rule, run as a seeded annealing chain that records every plan it visits."""

from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass
from functools import partial

import networkx as nx
import numpy as np
from gerrychain import MarkovChain, Partition
from gerrychain.constraints import contiguous
from gerrychain.proposals import build_recom_proposal_fn
from gerrychain.proposals.tree_proposals import MetagraphError
from gerrychain.tree import bipartition_tree
from gerrychain.tree.bipartition_tree import ReselectException, _Cut
from scipy.sparse import coo_array
from scipy.sparse.csgraph import depth_first_order

from pipeline.scenarios.districting_plans import DistrictingProblem, contiguous_districts, plan_figures


def _uniform_cut(cuts: list, *, rng: random.Random):
    return rng.choice(cuts)


def violation(problem: DistrictingProblem, units: np.ndarray, school: int) -> float:
    """How far the units as school's district break capacity and the walk rule (0 = within both): pupils over
    the capacity bound, plus the pupils of units beyond the walk rule, plus 0.001 per such unit."""
    over = max(float(problem.pupils[units].sum()) - problem.capacity_bound[school], 0.0)
    bad = ~problem.allowed[units, school]
    return over + float(problem.pupils[units][bad].sum()) + 1e-3 * bad.sum()


class SchoolCutFinder:
    """A GerryChain cut finder (FindBalancedEdgeCutsFn): the tree edges whose two sides each hold exactly one of
    the two schools' own units and, in strict mode, stay within that school's capacity and walk rule; in
    repair mode, the cuts that break them no more than the two districts did before."""

    def __init__(self, problem: DistrictingProblem):
        self.problem = problem
        self.strict = True
        self.assign: np.ndarray | None = None  # the school index per unit before the step (repair mode)
        self.school_of_root = {int(u): s for s, u in enumerate(problem.root)}

    def __call__(self, h, single_district_cut=False, rootnode_choice_fn=None, *, rng):
        tree, p = h.graph, self.problem
        nodes = sorted(tree.node_indices)
        units = np.array([int(tree.node_data(node)["unit"]) for node in nodes])
        schools = [self.school_of_root[u] for u in units.tolist() if u in self.school_of_root]
        if len(schools) != 2:
            return []
        a, b = schools
        # depth-first preorder from the first node: each subtree is a contiguous run of the order
        position = {node: i for i, node in enumerate(nodes)}
        m = len(nodes)
        ends = np.array([(position[u], position[v]) for u, v in tree.edges], dtype=np.int64).reshape(-1, 2)
        adjacency = coo_array((np.ones(len(ends)), (ends[:, 0], ends[:, 1])), shape=(m, m))
        order, parent = depth_first_order(adjacency, 0, directed=False, return_predecessors=True)
        size = np.ones(m, np.int64)
        for i in order[::-1][:-1]:
            size[parent[i]] += size[i]
        start = np.empty(m, np.int64)
        start[order] = np.arange(m)

        def subtree_sums(values: np.ndarray) -> np.ndarray:
            cum = np.r_[0.0, np.cumsum(values[order])]
            return cum[start + size] - cum[start]

        pupils = p.pupils[units].astype(float)
        total = pupils.sum()
        sub_pupils = subtree_sums(pupils)
        has = {s: subtree_sums((units == p.root[s]).astype(float)) > 0.5 for s in (a, b)}
        bad = {s: (pupils + 1e-3) * ~p.allowed[units, s] for s in (a, b)}
        bad_sub = {s: subtree_sums(bad[s]) for s in (a, b)}

        def breach(s, pupils_in, bad_in):
            return np.maximum(pupils_in - p.capacity_bound[s], 0.0) + bad_in

        cost = np.full(len(nodes), np.inf)
        for x, y in ((a, b), (b, a)):
            side = has[x] & ~has[y]
            c = breach(x, sub_pupils, bad_sub[x]) + breach(y, total - sub_pupils, bad[y].sum() - bad_sub[y])
            cost[side] = c[side]
        cost[order[0]] = np.inf  # the top node has no edge above it
        if self.strict:
            ok = cost <= 1e-9
        else:
            before = sum(violation(p, units[self.assign[units] == s], s) for s in (a, b))
            ok = cost <= before + 1e-9
        cuts = []
        for i in np.flatnonzero(ok):
            sub = order[start[i]: start[i] + size[i]]
            cuts.append(_Cut(edge=(nodes[i], nodes[parent[i]]), weight=rng.random(),
                             subset=frozenset(nodes[j] for j in sub)))
        return cuts


@dataclass
class ChainRun:
    """The plans the chain visited (school index per unit, by first visit), their figures, and the timing."""

    plans: list
    figures: list
    steps: int
    seconds: float
    repaired: bool


def _graph(problem: DistrictingProblem) -> nx.Graph:
    g = nx.Graph()
    for u in range(problem.n_units):
        g.add_node(u, unit=u, pupils=float(problem.pupils[u]))
    g.add_edges_from((int(a), int(b)) for a, b in np.asarray(problem.edges, int).reshape(-1, 2))
    return g


def contiguous_start(problem: DistrictingProblem, assign: np.ndarray | None = None) -> np.ndarray:
    """A contiguous plan close to assign (today's districts): each district keeps the connected piece holding its
    school; every other unit (an enclave, a unit of no known district) joins, ring by ring, the neighbouring
    district it may walk to (the nearest such school, else the nearest neighbouring school)."""
    from scipy.sparse.csgraph import connected_components

    n, k = problem.n_units, problem.n_schools
    start = np.full(n, -1) if assign is None else np.asarray(assign, int).copy()
    start[problem.root] = np.arange(k)
    a = problem.adjacency.tocoo()
    same = (start[a.row] == start[a.col]) & (start[a.row] >= 0)
    graph = coo_array((np.ones(same.sum()), (a.row[same], a.col[same])), shape=a.shape)
    _, label = connected_components(graph, directed=False)
    keep = np.zeros(n, bool)
    for s in range(k):
        keep |= (start == s) & (label == label[problem.root[s]])
    start[~keep] = -1
    adjacency = problem.adjacency.tocsr()
    while (start < 0).any():
        todo = np.flatnonzero(start < 0)
        sub = adjacency[todo].tocoo()
        school = start[sub.col]
        ok = school >= 0
        if not ok.any():
            break  # units cut off from every school: the adjacency is bridged first, so this does not happen
        unit, school = todo[sub.row[ok]], school[ok]
        key = problem.dist_m[unit, school] + np.where(problem.allowed[unit, school], 0.0, 1e12)
        order = np.lexsort((school, key, unit))
        first = np.unique(unit[order], return_index=True)[1]
        start[unit[order][first]] = school[order][first]
    return start


class _Search:
    """The chain's moving parts over one problem: plans as school indices, their figures (each computed once),
    the proposal (ReCom with the school cut finder) and the annealing acceptance."""

    def __init__(self, problem: DistrictingProblem, *, steps: int, temperature: float, distance_weight: float,
                 max_attempts: int):
        self.problem, self.steps = problem, steps
        self.temperature, self.distance_weight = temperature, distance_weight
        self.finder = SchoolCutFinder(problem)
        self.figures: dict[bytes, dict] = {}
        self.recent: list[tuple] = []
        self.step = 0
        self.recom = build_recom_proposal_fn(
            pop_col="pupils", pop_target=max(float(problem.pupils.sum()), 1.0), epsilon=1.0,
            bipartition_tree_fn=partial(bipartition_tree, find_balanced_edge_cuts_fn=self.finder,
                                        cut_choice_fn=_uniform_cut, max_attempts=max_attempts,
                                        warn_attempts=10 * max_attempts, allow_pair_reselection=True),
            pair_selection="cut_edges")

    def breach(self, assign: np.ndarray) -> float:
        return sum(violation(self.problem, np.flatnonzero(assign == s), s) for s in range(self.problem.n_schools))

    def assign_of(self, partition) -> np.ndarray:
        """The school index per unit: a district's school is the one whose own unit it holds (the last few
        partitions' answers kept: a step asks for the same two partitions several times)."""
        for known, assign in self.recent:
            if known is partition:
                return assign
        n, root = self.problem.n_units, self.problem.root
        mapping = partition.assignment.mapping
        labels = np.fromiter((mapping[u] for u in range(n)), dtype=np.int64, count=n)
        school = np.full(labels.max() + 1, -1)
        school[labels[root]] = np.arange(self.problem.n_schools)
        assign = school[labels]
        self.recent = [(partition, assign), *self.recent[:3]]
        return assign

    def figures_of(self, partition) -> tuple[bytes, np.ndarray, dict]:
        assign = self.assign_of(partition)
        key = assign.tobytes()
        if key not in self.figures:
            self.figures[key] = plan_figures(self.problem, assign)
        return key, assign, self.figures[key]

    def score(self, f: dict) -> float:
        """Breaches first (repairing a start that breaks capacity or the walk rule), then D and mean distance."""
        d = f["d_index"] if not math.isnan(f["d_index"]) else 0.0
        breach = f["pupils_over_capacity"] + f["walk_breaches"]
        return (1e3 + breach if breach > 0 else 0.0) + d + self.distance_weight * f["mean_dist_m"] / 1000.0

    def proposal(self, partition, *, rng):
        self.finder.assign = self.assign_of(partition)
        if not self.finder.strict and self.breach(self.finder.assign) == 0:
            self.finder.strict = True
        try:
            return self.recom(partition, rng=rng)
        except (MetagraphError, ReselectException):  # no neighbouring pair had a valid cut: stay
            return partition.flip({})

    def accept(self, partition, *, rng) -> bool:
        self.step += 1
        if partition.parent is None:
            return True
        new, old = self.score(self.figures_of(partition)[2]), self.score(self.figures_of(partition.parent)[2])
        t = self.temperature * max(0.0, 1.0 - self.step / self.steps)
        return new <= old or (t > 0 and rng.random() < math.exp(-(new - old) / t))

    def one_school_each(self, partition) -> bool:
        """Every district holds exactly one school's own unit (a GerryChain constraint)."""
        labels = {partition.assignment[int(u)] for u in self.problem.root}
        return len(labels) == self.problem.n_schools == len(partition.parts)


def run_chain(problem: DistrictingProblem, *, steps: int, seed: int, start: np.ndarray | None = None,
              temperature: float = 0.02, distance_weight: float = 1e-3, max_attempts: int = 20) -> ChainRun:
    """Anneal over ReCom steps: accept a plan when its score (D + distance_weight x mean distance in km)
    falls, else with probability exp(-rise / T), T falling linearly from temperature to 0. Starts from
    ``start`` (today's districts), made contiguous first where it is not (contiguous_start); if the start
    breaks capacity or the walk rule, the first steps repair it (never raising the breach) before the search
    proper. GerryChain checks contiguity and one school per district on every proposed plan; capacity and the
    walk rule are checked again, independently, in every plan's figures (plan_figures)."""
    t0 = time.perf_counter()
    if start is None or not contiguous_districts(problem, np.asarray(start)).all():
        start = contiguous_start(problem, start)
    start = np.asarray(start, int)
    search = _Search(problem, steps=steps, temperature=temperature, distance_weight=distance_weight,
                     max_attempts=max_attempts)
    search.finder.strict = search.breach(start) == 0
    repaired = not search.finder.strict
    partition = Partition(_graph(problem), assignment={u: int(start[u]) for u in range(problem.n_units)})
    chain = MarkovChain(proposal_fn=search.proposal, constraints=[contiguous, search.one_school_each],
                        acceptance_fn=search.accept, initial_partition=partition, total_steps=steps, rng=seed)
    plans, visited, seen = [], [], set()
    for state in chain:
        key, assign, f = search.figures_of(state)
        if key in seen:
            continue
        seen.add(key)
        plans.append(assign)
        visited.append(f)
    return ChainRun(plans, visited, steps, time.perf_counter() - t0, repaired)
