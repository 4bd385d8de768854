"""The street graph, snapping and network distances on a hand-drawn network whose distances are known.

Coordinates are metres relative to (X0, Y0) in EPSG:25832:

    (0,300.5) f (200,300.5)~(200,300)        the gap of 0.5 m between f and b is merged (tolerance 1 m)
        |                  |
        g (bike only)      b                 b starts at a vertex in the middle of a
        |                  |
      (0,0) ----- a ---- (200,0) --- a --- (400,0)
                                   c crosses a at (300,0) without a vertex (a bridge)
    c: (300,-100) -> (300,100);  d: (300,100) -> (400,100) -> (400,0);  e: far away, unconnected
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from hand_network import X0, Y0, at, hand_streets

from pipeline.core.config import load_config
from pipeline.core.errors import InputError
from pipeline.network import (
    NETWORK_FILE,
    assigned_distance_m,
    build_network,
    decayed_sum,
    k_nearest_m,
    load_or_build_network,
    nearest_distance_m,
    node_distances,
    od_distances_m,
    reachable_sum,
    snap,
)


def dist(network, a, b) -> float:
    """Network distance between the nodes at two points (both points lie on nodes)."""
    (na, nb), snaps = snap(network, at(a, b))
    assert snaps.max() < 1e-9
    return float(node_distances(network, [na], [nb])[0, 0])


def test_a_vertex_in_the_middle_of_a_line_is_a_junction(walk):
    # (0,0) -> (200,0) along a, then up b: 200 + 300 = 500
    assert dist(walk, (0, 0), (200, 300.25)) == pytest.approx(500.0, abs=0.01)


def test_a_bridge_crossing_without_a_vertex_does_not_join(walk):
    # From the south end of c the way goes round: c 200, d 100 + 100, then a west 200 = 600
    # (a junction at the crossing would give 100 + 100 = 200).
    assert dist(walk, (300, -100), (200, 0)) == pytest.approx(600.0, abs=0.01)


def test_ends_within_tolerance_are_merged(walk):
    # f's end (200,300.5) is 0.5 m from b's end: one junction at their mean (200, 300.25).
    # (0,0) -> (0,300.5) walking: a 200 + b 300 + f 200 = 700 (g is not walkable)
    assert dist(walk, (0, 0), (0, 300.5)) == pytest.approx(700.0, abs=0.01)
    node, gap = snap(walk, at((200, 300.25)))
    np.testing.assert_allclose(walk.node_xy[node[0]], [X0 + 200, Y0 + 300.25])
    assert gap[0] == pytest.approx(0.0, abs=1e-9)


def test_ends_beyond_tolerance_stay_apart_and_the_piece_is_dropped():
    network = build_network(hand_streets(), tolerance_m=0.1, mode="walk")
    # f no longer touches b and g is not walkable: f is a loose piece like e
    assert network.dropped_street_ids == ("e", "f")
    assert network.dropped_length_m == pytest.approx(100.0 + 200.0, abs=0.01)


def test_the_disconnected_piece_is_reported_and_not_routable(walk):
    assert walk.dropped_street_ids == ("e",)
    # a, b, c, d, f: (0,0), (200,0), (400,0), (200,300.25), (300,-100), (300,100), (400,100), (0,300.5)
    assert walk.n_nodes == 8
    # A point on e snaps to the nearest routable node, the merged junction (200,300.25):
    # hypot(1000 - 200, 1000 - 300.25) = hypot(800, 699.75)
    node, gap = snap(walk, at((1000, 1000)))
    np.testing.assert_allclose(walk.node_xy[node[0]], [X0 + 200, Y0 + 300.25])
    assert gap[0] == pytest.approx(np.hypot(800, 699.75), abs=0.01)


def test_walk_false_streets_are_only_in_the_bike_network(walk, bike):
    # cycling may take g straight up: 300.5; walking goes round: 700
    assert dist(bike, (0, 0), (0, 300.5)) == pytest.approx(300.5, abs=0.01)
    assert dist(walk, (0, 0), (0, 300.5)) == pytest.approx(700.0, abs=0.01)
    assert build_network(hand_streets(), tolerance_m=1.0).n_nodes == 8


def test_snapping_adds_its_distance(walk):
    # (0,-10) snaps 10 m to (0,0); (405,0) snaps 5 m to (400,0); network 400: 10 + 400 + 5 = 415
    # (0,-10) to (200,310): 10 + 500 + snap of (200,310) to (200,300.25) = 9.75 -> 519.75
    matrix = od_distances_m(walk, at((0, -10)), at((405, 0), (200, 310)), detour_factor=1.3)
    np.testing.assert_allclose(matrix, [[415.0, 519.75]], atol=0.01)


def test_nearest_counts_each_targets_own_snap(walk):
    # Targets (405,0): 400 + 5 = 405 and (0,330.5): 700 + 30 = 730 from (0,0); the nearest is 405.
    # From (0,320.5) (snap 20 to (0,300.5)): 20 + 30 = 50 to the second target.
    got = nearest_distance_m(walk, at((0, 0), (0, 320.5)), at((405, 0), (0, 330.5)), detour_factor=1.3)
    np.testing.assert_allclose(got, [405.0, 50.0], atol=0.01)


def test_od_distances_without_streets_are_straight_lines_times_the_detour():
    # 3-4-5 triangle: 500 m straight, x 1.3 = 650
    matrix = od_distances_m(None, at((0, 0), (300, 0)), at((300, 400)), detour_factor=1.3)
    np.testing.assert_allclose(matrix, [[650.0], [400.0 * 1.3]], atol=0.01)


def test_no_walkable_street_is_an_input_error():
    streets = hand_streets().assign(walk=False)
    with pytest.raises(InputError, match="walk"):
        build_network(streets, tolerance_m=1.0, mode="walk")


def test_the_cache_is_reused_until_streets_change(tmp_path):
    processed = tmp_path / "data" / "processed"
    processed.mkdir(parents=True)
    (tmp_path / "pipeline.yaml").write_text('root: "."\n')
    config = load_config(tmp_path / "pipeline.yaml")
    assert load_or_build_network(config, "walk") is None  # no streets layer
    hand_streets().to_parquet(processed / "streets.parquet")
    first = load_or_build_network(config, "walk")
    cache = processed / NETWORK_FILE
    stamp = cache.stat().st_mtime_ns
    second = load_or_build_network(config, "bike")
    assert cache.stat().st_mtime_ns == stamp  # read, not rebuilt
    assert (first.n_nodes, second.n_nodes) == (8, 8)
    assert dist(second, (0, 0), (0, 300.5)) == pytest.approx(300.5, abs=0.01)
    hand_streets().iloc[:4].to_parquet(processed / "streets.parquet")  # only a, b, c, d
    third = load_or_build_network(config, "walk")
    assert cache.stat().st_mtime_ns != stamp
    assert third.n_nodes == 7  # (0,0) (200,0) (400,0) (200,300) (300,-100) (300,100) (400,100)
    changed = config.with_overrides({"access": {"snap_tolerance_m": 0.1}})
    load_or_build_network(changed, "walk")
    assert cache.stat().st_mtime_ns != stamp


def jittered_grid(side: int, seed: int) -> gpd.GeoDataFrame:
    """Streets of a side x side grid of 100 m blocks with junctions moved up to 20 m at random."""
    rng = np.random.default_rng(seed)
    xs, ys = np.meshgrid(np.arange(side) * 100.0, np.arange(side) * 100.0)
    xy = np.column_stack([xs.ravel(), ys.ravel()]) + rng.uniform(-20, 20, (side * side, 2)) + [X0, Y0]
    node = np.arange(side * side).reshape(side, side)
    a = np.r_[node[:, :-1].ravel(), node[:-1, :].ravel()]
    b = np.r_[node[:, 1:].ravel(), node[1:, :].ravel()]
    return gpd.GeoDataFrame(geometry=shapely.linestrings(np.stack([xy[a], xy[b]], axis=1)), crs=25832)


@pytest.mark.parametrize("many_targets", [True, False])
@pytest.mark.parametrize("block_cells", [None, 500])
def test_reachable_sum_equals_a_search_over_the_whole_network(many_targets, block_cells, monkeypatch):
    # Independent method: one unbounded Dijkstra per source on the whole graph, then sum by hand.
    # many_targets searches from the sources, few targets searches from the targets; a tiny block size
    # forces the searches of one cell to be split into several blocks.
    from scipy.sparse.csgraph import dijkstra

    import pipeline.network as network_module

    if block_cells:
        monkeypatch.setattr(network_module.search, "MAX_BLOCK_CELLS", block_cells)
    network = build_network(jittered_grid(25, seed=3), tolerance_m=1.0)
    rng = np.random.default_rng(4)
    n_targets = 2000 if many_targets else 40
    source = rng.integers(0, network.n_nodes, 300)  # repeated nodes with different offsets
    source_off = rng.uniform(0, 60, 300)
    target = rng.integers(0, network.n_nodes, n_targets)
    target_off = rng.uniform(0, 60, n_targets)
    weight = rng.integers(1, 9, n_targets).astype(float)
    got = network_module.reachable_sum(
        network, source, target, weight, cutoff_m=700, source_offset_m=source_off, target_offset_m=target_off
    )
    full = dijkstra(network.graph, indices=source)[:, target] + source_off[:, None] + target_off[None, :]
    want = (full <= 700) @ weight
    np.testing.assert_allclose(got, want)
    assert (want > 0).mean() > 0.5 and want.max() < weight.sum()  # most reach some targets, none reach all


@pytest.mark.parametrize("n_targets", [2000, 40])
@pytest.mark.parametrize("block_cells", [None, 1000])
def test_decayed_sum_in_chunks_equals_a_full_search_cut_at_the_limit(n_targets, block_cells, monkeypatch):
    # Independent method: one unbounded Dijkstra per source, exp-weighted sum by hand of the pairs within
    # 900 m. Chunks of 7 searched nodes; 2000 targets search from the sources, 40 from the targets; a tiny
    # block size splits each chunk's searches into blocks of one node.
    from scipy.sparse.csgraph import dijkstra

    import pipeline.network as network_module

    if block_cells:
        monkeypatch.setattr(network_module.search, "MAX_BLOCK_CELLS", block_cells)
    network = build_network(jittered_grid(25, seed=3), tolerance_m=1.0)
    rng = np.random.default_rng(5)
    source = rng.integers(0, network.n_nodes, 300)
    target = rng.integers(0, network.n_nodes, n_targets)
    weight = rng.uniform(1, 9, n_targets)
    got = decayed_sum(network, source, target, weight, decay_per_m=1 / 500, limit_m=900, chunk_size=7)
    full = dijkstra(network.graph, indices=source)[:, target]
    want = np.where(full <= 900, np.exp(-full / 500), 0.0) @ weight
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert (full > 900).any() and (full <= 900).any()  # the limit cut some pairs and kept others


@pytest.mark.parametrize(("chunk_size", "block_cells"), [(1, None), (3, 8)])
def test_assigned_distance_equals_the_od_matrix_entry(walk, chunk_size, block_cells, monkeypatch):
    # Each origin's own school is one column of the dense origins x schools matrix (independent method).
    # Chunks of one school; or one chunk of three whose searches block_cells 8 (the 8 nodes) splits in blocks
    # of one school each.
    import pipeline.network as network_module

    origins, schools = at((0, -10), (190, 5), (405, 0), (30, 0)), at((405, 0), (200, 310), (0, 0))
    matrix = od_distances_m(walk, origins, schools, detour_factor=1.3)
    if block_cells:
        monkeypatch.setattr(network_module.search, "MAX_BLOCK_CELLS", block_cells)
    assigned = np.array([1, 0, -1, 2])
    got = assigned_distance_m(walk, origins, schools, assigned, detour_factor=1.3, chunk_size=chunk_size)
    np.testing.assert_allclose(got[[0, 1, 3]], matrix[[0, 1, 3], [1, 0, 2]], rtol=1e-12)
    assert np.isnan(got[2])
    # Without streets: (0,-10) to (200,310): hypot(200, 320) x 1.3
    straight = assigned_distance_m(None, origins, schools, assigned, detour_factor=1.3)
    assert straight[0] == pytest.approx(np.hypot(200, 320) * 1.3)


@pytest.mark.parametrize("network_kind", ["walk", "straight"])
@pytest.mark.parametrize("block_cells", [None, 8])
def test_k_nearest_are_the_first_columns_of_the_sorted_od_matrix(walk, network_kind, block_cells, monkeypatch):
    # Independent method: sort each row of the dense matrix (ties by destination position); destinations in
    # chunks of 2, so the k best are merged across chunks. Two destinations at the same point tie.
    # block_cells 8 (the 8 nodes) splits a chunk's searches into blocks of one destination each.
    import pipeline.network as network_module

    network = walk if network_kind == "walk" else None
    origins = at((0, -10), (190, 5), (405, 0), (30, 0), (200, 150))
    destinations = at((405, 0), (200, 310), (0, 0), (200, 310), (300, 100))
    assigned = np.array([4, -1, 0, 2, 1])
    matrix = od_distances_m(network, origins, destinations, detour_factor=1.3)
    if block_cells:
        monkeypatch.setattr(network_module.search, "MAX_BLOCK_CELLS", block_cells)
    got_d, got_i, own = k_nearest_m(network, origins, destinations, 3, detour_factor=1.3, chunk_size=2, assigned=assigned)
    order = np.lexsort((np.broadcast_to(np.arange(5), matrix.shape), matrix), axis=1)[:, :3]
    np.testing.assert_array_equal(got_i, order)
    np.testing.assert_allclose(got_d, np.take_along_axis(matrix, order, axis=1), rtol=1e-12)
    # The assigned destination's distance, read from the same searches: one entry per row of the matrix.
    np.testing.assert_allclose(own[[0, 2, 3, 4]], matrix[[0, 2, 3, 4], [4, 0, 2, 1]], rtol=1e-12)
    assert np.isnan(own[1])


def staircase(start: tuple[float, float], steps: int, step_m: float = 10.0) -> list[tuple[float, float]]:
    """Vertices of a way climbing in alternate east and north steps of step_m: all of them degree-2 nodes."""
    x, y = start
    points = [(x, y)]
    for i in range(steps):
        x, y = (x + step_m, y) if i % 2 == 0 else (x, y + step_m)
        points.append((x, y))
    return points


def chain_streets() -> gpd.GeoDataFrame:
    """Curved ways whose vertices are mostly degree-2 nodes, with five junctions: (0,0), (100,100), (0,100),
    (100,300) and the dead end (-30,120).

    P: a staircase (0,0)-(100,100), 200 m; Q: (0,0)-(0,100)-(100,100), 200 m, as long as P; R: a longer detour
    between the same junctions; S: a way north from (100,100) with a vertex every 10 m; L: a loop out of
    (100,100) and back; T: a ring of one closed way at the end of S; U: a cul-de-sac off Q at (0,100).
    """
    ways = [
        staircase((0, 0), 20),
        [(0, 0), (0, 50), (0, 100), (50, 100), (100, 100)],
        [(0, 0), (-50, 0), (-50, 150), (-20, 170), (60, 170), (80, 130), (100, 100)],
        [(100, 100 + 10 * i) for i in range(21)],
        [(100, 100), (140, 100), (140, 130), (110, 130), (100, 100)],
        [(100, 300), (120, 320), (100, 340), (80, 320), (100, 300)],
        [(0, 100), (-10, 110), (-20, 110), (-20, 120), (-30, 120)],
    ]
    lines = [shapely.LineString([(X0 + x, Y0 + y) for x, y in way]) for way in ways]
    return gpd.GeoDataFrame(geometry=lines, crs=25832)


def curved_grid(side: int, seed: int) -> gpd.GeoDataFrame:
    """The jittered grid with each street bent through 2 to 6 extra vertices up to 8 m off its straight line."""
    rng = np.random.default_rng(seed)
    straight = jittered_grid(side, seed)
    lines = []
    for line in straight.geometry:  # a test fixture: a loop over a few hundred lines is clearer than a vectorised bend
        (x0, y0), (x1, y1) = line.coords
        t = np.sort(rng.uniform(0.1, 0.9, rng.integers(2, 7)))
        normal = np.array([y0 - y1, x1 - x0]) / np.hypot(x1 - x0, y1 - y0)
        inner = np.column_stack([x0 + t * (x1 - x0), y0 + t * (y1 - y0)]) + rng.uniform(-8, 8, (len(t), 1)) * normal
        lines.append(shapely.LineString(np.vstack([[x0, y0], inner, [x1, y1]])))
    return gpd.GeoDataFrame(geometry=lines, crs=25832)


def exact_decayed(network, source, target, weight, decay_per_m, limit_m) -> np.ndarray:
    """The independent reference: scipy's Dijkstra all pairs on the whole graph, cut at the limit, summed by hand."""
    from scipy.sparse.csgraph import dijkstra

    full = dijkstra(network.graph, indices=source)[:, target]
    return np.where(full <= limit_m, np.exp(-decay_per_m * full), 0.0) @ weight


@pytest.mark.parametrize("limit_m", [120.0, 10_000.0])
@pytest.mark.parametrize("from_targets", [True, False])
def test_decayed_sum_on_chains_equals_all_pairs_dijkstra(limit_m, from_targets, monkeypatch):
    # Sources and targets on every kind of node: chain nodes (two on one chain, the same node on both sides),
    # junctions, the dead end, the loops. The staircase's segments are 10 m, so some pairs lie exactly 120 m
    # apart: at the limit, which counts. Blocks of one searched node and chunks of 3 split the work.
    import pipeline.network as network_module

    monkeypatch.setattr(network_module.chains, "CHAIN_BLOCK_ROWS", 1)
    network = build_network(chain_streets(), tolerance_m=1.0)
    degree = np.diff(network.graph.indptr)
    assert (degree == 2).mean() > 0.8 and (degree != 2).sum() == 5  # the five junctions of chain_streets
    every = np.arange(network.n_nodes)
    rng = np.random.default_rng(7)
    few = rng.choice(every, 12, replace=False)
    source, target = (every, few) if from_targets else (few, every)
    weight = rng.uniform(1, 9, len(target))
    got = decayed_sum(network, source, target, weight, decay_per_m=1 / 100, limit_m=limit_m, chunk_size=3)
    want = exact_decayed(network, source, target, weight, 1 / 100, limit_m)
    np.testing.assert_allclose(got, want, rtol=1e-9)
    from scipy.sparse.csgraph import dijkstra

    full = dijkstra(network.graph, indices=source)[:, target]
    if limit_m == 120.0:
        assert (full == 120.0).any() and (full > 120).any()  # pairs at the limit, and pairs cut by it


def test_decayed_sum_reads_the_distance_along_a_chain_for_two_nodes_on_it():
    # Two nodes 60 m apart on the 200 m cul-de-sac: along it 60 m; the same node on both sides: distance 0.
    network = build_network(chain_streets(), tolerance_m=1.0)
    (a, b), _ = snap(network, at((100, 130), (100, 190)))
    got = decayed_sum(network, [a, a], [b, a], [1.0, 2.0], decay_per_m=1 / 100, limit_m=500)
    np.testing.assert_allclose(got, [np.exp(-0.6) + 2.0] * 2, rtol=1e-12)


def test_decayed_sum_on_a_lone_ring_without_junctions():
    # A closed way alone: every node has degree 2, so there is no junction to contract to; the square ring of
    # 4 x 100 m has nodes 100 m apart along it and 200 m across.
    ring = shapely.LineString([(X0, Y0), (X0 + 100, Y0), (X0 + 100, Y0 + 100), (X0, Y0 + 100), (X0, Y0)])
    network = build_network(gpd.GeoDataFrame(geometry=[ring], crs=25832), tolerance_m=1.0)
    assert network.n_nodes == 4 and (np.diff(network.graph.indptr) == 2).all()
    got = decayed_sum(network, [0], [0, 1, 2, 3], np.ones(4), decay_per_m=1 / 100, limit_m=150)
    np.testing.assert_allclose(got, [1 + 2 * np.exp(-1.0)], rtol=1e-12)  # the node across, 200 m, is beyond


@pytest.mark.parametrize("n_targets", [3000, 60])
def test_decayed_sum_on_a_grid_of_curved_ways_equals_all_pairs_dijkstra(n_targets):
    network = build_network(curved_grid(14, seed=11), tolerance_m=1.0)
    assert (np.diff(network.graph.indptr) == 2).mean() > 0.6  # most nodes are vertices of curved ways
    rng = np.random.default_rng(12)
    source = rng.integers(0, network.n_nodes, 400)
    target = rng.integers(0, network.n_nodes, n_targets)
    weight = rng.uniform(1, 9, n_targets)
    got = decayed_sum(network, source, target, weight, decay_per_m=1 / 300, limit_m=700, chunk_size=50)
    want = exact_decayed(network, source, target, weight, 1 / 300, 700)
    np.testing.assert_allclose(got, want, rtol=1e-9)
    assert 0 < (want > 0).mean()


def test_assigned_distance_on_curved_ways_equals_all_pairs_dijkstra():
    # Each origin's own target on a network of mostly degree-2 nodes (searched on its junctions), against
    # scipy's Dijkstra on the whole graph; points lie on nodes, so the snap distances are 0.
    from scipy.sparse.csgraph import dijkstra

    network = build_network(curved_grid(14, seed=11), tolerance_m=1.0)
    rng = np.random.default_rng(13)
    origin_node = rng.integers(0, network.n_nodes, 300)
    target_node = rng.integers(0, network.n_nodes, 20)
    target_node[:3] = origin_node[:3]  # an origin on its own target's node: distance 0
    assigned = rng.integers(-1, 20, 300)
    assigned[:3] = [0, 1, 2]
    points = gpd.GeoSeries(shapely.points(network.node_xy), crs=25832)
    got = assigned_distance_m(network, points.iloc[origin_node], points.iloc[target_node], assigned,
                              detour_factor=1.3, chunk_size=3)
    full = dijkstra(network.graph, indices=target_node)
    want = np.where(assigned >= 0, full[np.maximum(assigned, 0), origin_node], np.nan)
    np.testing.assert_allclose(got, want, rtol=1e-9)
    assert (got[:3] == 0).all() and np.isnan(got[assigned < 0]).all() and (assigned < 0).any()


def test_k_nearest_on_curved_ways_are_the_nearest_of_all_pairs_dijkstra():
    # The k nearest destinations searched on the junction graph against scipy's Dijkstra on the whole graph
    # (all pairs, sorted by hand); points lie on nodes, so the snap distances are 0.
    from scipy.sparse.csgraph import dijkstra

    network = build_network(curved_grid(14, seed=11), tolerance_m=1.0)
    rng = np.random.default_rng(14)
    origin_node, dest_node = rng.integers(0, network.n_nodes, 200), rng.integers(0, network.n_nodes, 30)
    points = gpd.GeoSeries(shapely.points(network.node_xy), crs=25832)
    assigned = rng.integers(0, 30, 200)
    got_d, got_i, own = k_nearest_m(network, points.iloc[origin_node], points.iloc[dest_node], 4, detour_factor=1.3,
                                    chunk_size=7, assigned=assigned)
    full = dijkstra(network.graph, indices=origin_node)[:, dest_node]
    np.testing.assert_allclose(got_d, np.sort(full, axis=1)[:, :4], rtol=1e-9)
    np.testing.assert_array_equal(got_i, np.argsort(full, axis=1, kind="stable")[:, :4])
    np.testing.assert_allclose(own, full[np.arange(200), assigned], rtol=1e-9)


def test_decayed_sum_finds_a_neighbour_on_a_chain_whose_ends_are_beyond_the_limit():
    # (100,180) and (100,220) on the 200 m way S: 40 m apart along it, while both ends of S are 80 m or more
    # from either, beyond the 60 m limit; a junction-only search reaches neither end.
    network = build_network(chain_streets(), tolerance_m=1.0)
    (a, b), _ = snap(network, at((100, 180), (100, 220)))
    for source, target in ((a, b), (b, a)):
        got = decayed_sum(network, [source], [target], [3.0], decay_per_m=1 / 100, limit_m=60)
        np.testing.assert_allclose(got, [3 * np.exp(-0.4)], rtol=1e-12)
        many = decayed_sum(network, [source, 0, 1], [target], [3.0], decay_per_m=1 / 100, limit_m=60)
        assert many[0] == pytest.approx(3 * np.exp(-0.4), rel=1e-12)


def exact_reachable(network, source, target, weight, cutoff_m, source_off, target_off) -> np.ndarray:
    """The independent reference: scipy's Dijkstra all pairs on the whole graph, offsets added, summed by hand."""
    from scipy.sparse.csgraph import dijkstra

    full = dijkstra(network.graph, indices=source)[:, target] + source_off[:, None] + target_off[None, :]
    return (full <= cutoff_m) @ weight


@pytest.mark.parametrize("cutoff_m", [120.0, 10_000.0])
@pytest.mark.parametrize("from_targets", [True, False])
def test_reachable_sum_on_chains_equals_all_pairs_dijkstra(cutoff_m, from_targets, monkeypatch):
    # As the gravity test above: every kind of node on both sides, blocks of one searched node, chunks of 3.
    # Without offsets some pairs lie exactly 120 m apart (10 m staircase steps): at the cut-off, which counts.
    import pipeline.network as network_module

    monkeypatch.setattr(network_module.chains, "CHAIN_BLOCK_ROWS", 1)
    network = build_network(chain_streets(), tolerance_m=1.0)
    every = np.arange(network.n_nodes)
    rng = np.random.default_rng(8)
    few = rng.choice(every, 12, replace=False)
    source, target = (every, few) if from_targets else (few, every)
    weight = rng.integers(1, 9, len(target)).astype(float)
    zero_s, zero_t = np.zeros(len(source)), np.zeros(len(target))
    got = reachable_sum(network, source, target, weight, cutoff_m=cutoff_m, chunk_size=3)
    np.testing.assert_array_equal(got, exact_reachable(network, source, target, weight, cutoff_m, zero_s, zero_t))
    from scipy.sparse.csgraph import dijkstra

    full = dijkstra(network.graph, indices=source)[:, target]
    if cutoff_m == 120.0:
        assert (full == 120.0).any() and (full > 120).any()  # pairs at the cut-off, and pairs beyond it
    # With offsets (each item its own snap distance) the band between the nodes' smallest and largest offsets is
    # decided item by item: repeat every source with a second offset.
    source2 = np.r_[source, source]
    source_off = rng.uniform(0, 30, len(source2))
    target_off = rng.uniform(0, 30, len(target))
    got = reachable_sum(network, source2, target, weight, cutoff_m=cutoff_m, source_offset_m=source_off,
                        target_offset_m=target_off, chunk_size=3)
    np.testing.assert_array_equal(got, exact_reachable(network, source2, target, weight, cutoff_m, source_off, target_off))


@pytest.mark.parametrize("n_targets", [3000, 60])
def test_reachable_sum_on_a_grid_of_curved_ways_equals_all_pairs_dijkstra(n_targets):
    # Most nodes are vertices of curved ways; 3000 targets search from the sources, 60 from the targets.
    network = build_network(curved_grid(14, seed=11), tolerance_m=1.0)
    rng = np.random.default_rng(15)
    source = rng.integers(0, network.n_nodes, 400)
    target = rng.integers(0, network.n_nodes, n_targets)
    source_off, target_off = rng.uniform(0, 40, 400), rng.uniform(0, 40, n_targets)
    weight = rng.integers(1, 9, n_targets).astype(float)
    got = reachable_sum(network, source, target, weight, cutoff_m=500, source_offset_m=source_off,
                        target_offset_m=target_off, chunk_size=50)
    want = exact_reachable(network, source, target, weight, 500, source_off, target_off)
    np.testing.assert_array_equal(got, want)
    assert (want > 0).mean() > 0.5 and want.max() < weight.sum()  # most reach some targets, none reach all


def test_reachable_sum_finds_a_neighbour_on_a_chain_whose_ends_are_beyond_the_cutoff():
    # (100,180) and (100,220) on the 200 m way S: 40 m apart along it, both ends of S 80 m or more away.
    network = build_network(chain_streets(), tolerance_m=1.0)
    (a, b), _ = snap(network, at((100, 180), (100, 220)))
    for source, target in ((a, b), (b, a)):
        assert reachable_sum(network, [source], [target], [3.0], cutoff_m=40).tolist() == [3.0]
        assert reachable_sum(network, [source, 0, 1], [target], [3.0], cutoff_m=39.9).tolist() == [0.0, 0.0, 0.0]


def test_block_sizes_are_read_where_they_are_patched(walk, monkeypatch):
    # The tests above patch MAX_BLOCK_CELLS in network.search and CHAIN_BLOCK_ROWS in network.chains; if a module
    # copied the value at import, the patch would change nothing and those tests could not fail. Count the blocks.
    import pipeline.network as network_module
    from pipeline.network.search import _searches

    chains = network_module._Chains.of(walk.graph)
    nodes, other = np.arange(6), np.arange(walk.n_nodes)
    assert len(list(chains.searches(nodes, other, limit=np.inf))) == 1  # 6 rows fit one block of 32
    assert len(list(_searches(walk.graph, nodes))) == 1
    monkeypatch.setattr(network_module.chains, "CHAIN_BLOCK_ROWS", 2)
    assert len(list(chains.searches(nodes, other, limit=np.inf))) == 3
    monkeypatch.setattr(network_module.chains, "CHAIN_BLOCK_ROWS", 32)
    monkeypatch.setattr(network_module.search, "MAX_BLOCK_CELLS", walk.n_nodes)  # one row of the walk graph
    assert len(list(_searches(walk.graph, nodes))) == 6
    assert len(list(chains.searches(nodes, other, limit=np.inf))) == 6  # rows of 2 x max(junctions, other) cells


def test_chains_of_a_graph_with_a_ring_without_junctions_equal_dijkstra():
    # A search on a subgraph (the reachable sums search each cell on the subgraph around it) can cut a ring's
    # junction off: the ring's nodes all have degree 2 and no chain end. Hand-made graph: the ring 0-1-2-3 (edges
    # 1, 2, 3, 4 m), apart from the path 4-5-6-7 (5 m each, 5 and 6 on a chain) joined at 7 to 8 and 9 (a junction).
    # Independent method: scipy's Dijkstra on the whole graph.
    import scipy.sparse as sp
    from scipy.sparse.csgraph import dijkstra

    from pipeline.network.chains import _Chains

    u = np.array([0, 1, 2, 3, 4, 5, 6, 7, 7])
    v = np.array([1, 2, 3, 0, 5, 6, 7, 8, 9])
    w = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 5.0, 5.0, 1.5, 2.5])
    graph = sp.csr_matrix((np.r_[w, w], (np.r_[u, v], np.r_[v, u])), shape=(10, 10))
    chains = _Chains.of(graph)
    assert (chains.chain[[5, 6]] >= 0).all() and (chains.chain[:4] == -1).all()  # the ring's nodes kept as junctions
    nodes = np.arange(10)
    got = np.full((10, 10), np.inf)
    for rows, cols, near in chains.searches(nodes, nodes, limit=np.inf):
        got[np.arange(10)[rows][:, None], cols[None, :]] = near
    np.testing.assert_allclose(got, dijkstra(graph), rtol=1e-12)
    assert got[0, 2] == 3.0 and got[4, 9] == 17.5 and np.isinf(got[0, 4])


@pytest.mark.parametrize("shuffled", [True, False])
def test_keeping_the_k_nearest_block_by_block_equals_one_sort_of_everything(shuffled):
    # Independent method: one lexsort of the whole matrix by (distance, position). Whole-metre distances tie
    # often; the blocks come in a shuffled order of positions (a tie with the k-th decides by position: the sort by
    # two keys), or in position order (each block after the kept ones: the stable sort by distance alone).
    from pipeline.network.nearest import _keep_nearest

    rng = np.random.default_rng(16)
    d = rng.integers(0, 12, (300, 40)).astype(float)
    d[rng.random(d.shape) < 0.1] = np.inf
    blocks = np.array_split(rng.permutation(40) if shuffled else np.arange(40), 8)
    best_d, best_i = np.full((300, 0), np.inf), np.full((300, 0), -1, dtype=np.intp)
    for block in blocks:
        best_d, best_i = _keep_nearest(best_d, best_i, d[:, block], block, 5)
    order = np.lexsort((np.broadcast_to(np.arange(40), d.shape), d), axis=1)[:, :5]
    np.testing.assert_array_equal(best_d, np.take_along_axis(d, order, axis=1))
    np.testing.assert_array_equal(best_i, np.where(np.isfinite(best_d), order, -1))


def square_grid_streets(side: int, spacing_m: float) -> gpd.GeoDataFrame:
    """Straight streets of spacing_m between neighbours on a side x side grid of junctions: many equal distances."""
    ends = [((i, j), (i + 1, j)) for i in range(side - 1) for j in range(side)]
    ends += [((j, i), (j, i + 1)) for i in range(side - 1) for j in range(side)]
    lines = [shapely.LineString([(X0 + x0 * spacing_m, Y0 + y0 * spacing_m), (X0 + x1 * spacing_m, Y0 + y1 * spacing_m)])
             for (x0, y0), (x1, y1) in ends]
    return gpd.GeoDataFrame(geometry=lines, crs=25832)


@pytest.mark.parametrize("reach_factor", [0.05, 0.6, 1.5])
def test_bounded_nearest_lists_equal_the_unbounded_ones_with_ties(reach_factor, monkeypatch):
    # The nearest lists searched with a limit first (then wider, then unbounded for the lists not proved complete)
    # against the same searches unbounded from the start (bit for bit), and against scipy's Dijkstra on all pairs
    # sorted by hand (ties by destination position). On a grid of 100 m squares whole-metre distances tie often;
    # two destinations share a node; origins off the nodes carry snaps; a small reach factor leaves most lists
    # incomplete after the first pass, a large one completes most of them at once.
    from scipy.sparse.csgraph import dijkstra

    import pipeline.network.nearest as nearest

    network = build_network(square_grid_streets(9, 100.0), tolerance_m=1.0)
    rng = np.random.default_rng(21)
    origins = at(*[(float(x), float(y)) for x, y in rng.integers(0, 9, (120, 2)) * 100 + rng.integers(0, 3, (120, 2)) * 7])
    destinations = at(*[(float(x), float(y)) for x, y in rng.integers(0, 9, (14, 2)) * 100], (300, 300), (300, 300))
    assigned = rng.integers(-1, 16, 120)
    passes = []
    real_pass = nearest._nearest_pass

    def counted_pass(chains, origin, destination, k, limit, chunk_size):
        passes.append((len(origin[0]), limit))
        return real_pass(chains, origin, destination, k, limit, chunk_size)

    monkeypatch.setattr(nearest, "_nearest_pass", counted_pass)
    monkeypatch.setattr(nearest, "NEAREST_REACH_FACTOR", reach_factor)
    got_d, got_i, got_own = k_nearest_m(network, origins, destinations, 5, detour_factor=1.3, chunk_size=4,
                                        assigned=assigned)
    bounded_passes = list(passes)
    monkeypatch.setattr(nearest, "NEAREST_REACH_GROWTH", ())
    want_d, want_i, want_own = k_nearest_m(network, origins, destinations, 5, detour_factor=1.3, chunk_size=4,
                                           assigned=assigned)
    np.testing.assert_array_equal(got_d, want_d)
    np.testing.assert_array_equal(got_i, want_i)
    np.testing.assert_array_equal(got_own, want_own)
    assert np.isfinite(bounded_passes[0][1]) and passes[-1] == (bounded_passes[0][0], np.inf)
    if reach_factor == 0.6:  # the first limits proved some lists complete and left others to search again
        assert len(bounded_passes) > 1 and bounded_passes[-1][0] < bounded_passes[0][0]
    # Independent: every pair by scipy's Dijkstra on the whole graph, snaps added, sorted by (distance, position).
    origin_node, origin_snap = snap(network, origins)
    dest_node, dest_snap = snap(network, destinations)
    full = dijkstra(network.graph, indices=origin_node)[:, dest_node] + origin_snap[:, None] + dest_snap[None, :]
    order = np.lexsort((np.broadcast_to(np.arange(16), full.shape), np.round(full, 6)), axis=1)[:, :5]
    np.testing.assert_array_equal(got_i, order)
    np.testing.assert_allclose(got_d, np.take_along_axis(full, order, axis=1), rtol=1e-12)
    np.testing.assert_allclose(got_own, np.where(assigned >= 0, full[np.arange(120), np.maximum(assigned, 0)], np.nan),
                               rtol=1e-12)
    assert (np.diff(got_d, axis=1) == 0).any()  # ties within the lists



def test_nearest_lists_without_origins_or_destinations_are_empty(walk):
    # Nothing to search: no destination gives lists of width 0 (own NaN), no origin gives no rows.
    d, i, own = k_nearest_m(walk, at((0, 0), (200, 0)), at(), 3, detour_factor=1.3)
    assert d.shape == (2, 0) and i.shape == (2, 0) and np.isnan(own).all()
    d, i, own = k_nearest_m(walk, at(), at((0, 0), (200, 0)), 3, detour_factor=1.3)
    assert d.shape == (0, 2) and i.shape == (0, 2) and own.shape == (0,)
