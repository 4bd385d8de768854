"""Page data: legend classes (Fisher-Jenks equal to mapclassify's) and the streets drawn within a vertex budget."""

from __future__ import annotations

import mapclassify
import numpy as np
import pytest

from pipeline.publish.maps import class_bins, fisher_jenks_bins


def test_fisher_jenks_on_a_hand_checked_example():
    # Three tight groups: the optimal 3 classes are the groups, upper bounds 3, 12 and 31.
    values = np.array([1.0, 2, 3, 10, 11, 12, 30, 31])
    assert fisher_jenks_bins(values, 3).tolist() == [3.0, 12.0, 31.0]
    bins, classes = class_bins(values, "FisherJenks", 3)
    assert classes.tolist() == [0, 0, 0, 1, 1, 1, 2, 2]


@pytest.mark.parametrize("seed", range(12))
def test_fisher_jenks_equals_mapclassify(seed):
    # The library itself is the independent reference: the same bins and the same class of every value,
    # on skewed data with ties (rounded values) and on small and larger samples.
    rng = np.random.default_rng(seed)
    n = int(rng.integers(6, 400))
    values = np.round(rng.lognormal(3, 1.2, n), int(rng.integers(0, 3)))
    k = int(min(rng.integers(2, 8), len(np.unique(values))))
    expected = mapclassify.FisherJenks(values, k=k)
    bins, classes = class_bins(values, "FisherJenks", k)
    np.testing.assert_array_equal(bins, expected.bins)
    np.testing.assert_array_equal(classes, expected.yb)


def test_other_schemes_come_from_mapclassify():
    values = np.arange(20, dtype=float)
    bins, classes = class_bins(values, "Quantiles", 4)
    expected = mapclassify.Quantiles(values, k=4)
    np.testing.assert_array_equal(bins, expected.bins)
    np.testing.assert_array_equal(classes, expected.yb)


def test_many_streets_are_joined_and_simplified_within_the_vertex_budget():
    import geopandas as gpd
    import shapely

    from pipeline.publish.pages import MAX_STREET_VERTICES, merged_streets

    # 6,000 wavy streets of 40 vertices (240,000 in all), each 400 m long, in rows of ten joined end to end.
    row, col = np.divmod(np.arange(6000), 10)
    t = np.linspace(0, 400, 40)
    x = col[:, None] * 400 + t[None, :]
    y = row[:, None] * 50 + 3 * np.sin(t / 400 * 2 * np.pi)[None, :]
    y[:, [0, -1]] = row[:, None] * 50  # ends exactly shared (sin(2 pi) is not exactly 0)
    lines = shapely.linestrings(np.stack([x, y], axis=-1))
    streets = gpd.GeoDataFrame({"street_id": np.arange(6000).astype(str), "walk": True, "bike": row % 2 == 0},
                               geometry=lines, crs="EPSG:25832")
    merged = merged_streets(streets, 0.5)
    assert merged.street_id.tolist() == ["3,000 streets", "3,000 streets"]  # (walk, bike): (True, False), (True, True)
    vertices = shapely.get_num_coordinates(merged.geometry.to_numpy()).sum()
    assert vertices <= MAX_STREET_VERTICES
    # Joined end to end: each row of ten is one line (600 rows), and nothing strays more than the 3 m wave.
    assert sum(len(shapely.get_parts(g)) for g in merged.geometry) == 600
    assert shapely.hausdorff_distance(merged.geometry.union_all(), streets.geometry.union_all()) <= 3.0 + 1e-6
